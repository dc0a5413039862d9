// The package `oauthbearer` (CommonJS entry; index.mts is the ESM one).
export {
  OAuthBearerError,
  PrivateKeyError,
  ConfigError,
  PrebuiltAssertionError,
  TokenEndpointError,
  TokenError,
  CredentialsError,
  ClientAuthenticationError,
} from './errors';
export type { TokenEndpointDetails } from './errors';
export * from './providers';
export * from './adapters';
export { keys, config, assertions, tokenEndpoint, providers, sasl, tokens, issuer, explain, lifecycle, addonTarget } from './api';
export { SigningKey, AssertionSigner, FileAssertions, LocalIssuer, RetrySchedule, TokenLifecycle, MskSigner } from './api';
export type * from '../index.js';
