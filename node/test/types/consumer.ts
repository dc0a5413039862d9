// Type-checked (tsc --noEmit) as a user's TypeScript would see the package: the published typings,
// resolved through package.json "exports", must describe what the tests exercise.
import {
  AssertionProvider,
  AzureProvider,
  ConfigError,
  GoogleProvider,
  MskProvider,
  OAuthBearerError,
  Token,
  TokenEndpointError,
  confluentOAuthBearerProvider,
  confluentTokenRefreshCb,
  kafkajsOAuthBearerProvider,
  tokens,
} from 'oauthbearer';
import { DefaultAzureCredential } from '@azure/identity';
import type { AcceptedToken, Dialect, KafkaJSOAuthBearerToken, ConfluentOAuthBearerToken, RdkafkaOAuthBearerToken } from 'oauthbearer';

export async function use(): Promise<void> {
  const provider = new AssertionProvider({ 'sasl.oauthbearer.token.endpoint.url': 'https://idp/token' }, { dialect: 'librdkafka' });
  const token: Token = await provider.token();
  const expires: number = token.expiresAtMs;
  const kafkajs: KafkaJSOAuthBearerToken = await kafkajsOAuthBearerProvider(provider)();
  const compat: ConfluentOAuthBearerToken = await confluentOAuthBearerProvider(new MskProvider({ region: 'eu-west-1' }))();
  const rdkafka: RdkafkaOAuthBearerToken = await confluentTokenRefreshCb(new GoogleProvider({ style: 'google-python' }))('');
  // Any @azure/identity TokenCredential fits AzureProvider's credential.
  const eventhubs = new AzureProvider({
    bootstrapServers: 'contoso.servicebus.windows.net:9093',
    credential: { getToken: async () => ({ token: 'x', expiresOnTimestamp: 0 }) },
  });
  const scope: string = eventhubs.scope;
  void new AzureProvider({ bootstrapServers: 'contoso.servicebus.windows.net:9093', credential: new DefaultAzureCredential() });
  const mskRole = new MskProvider({ region: 'eu-west-1', roleSessionName: 'pod-7' });
  const accepted: AcceptedToken = tokens.checkAccessToken(kafkajs.value, { dialect: 'kafka-java' as Dialect, splitScope: false });
  try {
    void [expires, compat.lifetime, rdkafka.tokenValue, accepted.principal, scope, mskRole.region];
  } catch (err) {
    if (err instanceof TokenEndpointError) void [err.status, err.retryable, err.tokenEndpoint?.kafkaMessage];
    if (err instanceof ConfigError || err instanceof OAuthBearerError) void err.code;
  }
}
