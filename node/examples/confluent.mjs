// @confluentinc/kafka-javascript (librdkafka) on AWS MSK with IAM: the AWS SDK's credential chain.
// An ES module (app.mjs, or "type": "module"); in CommonJS use require().
import { KafkaJS } from '@confluentinc/kafka-javascript';
import { MskProvider, confluentOAuthBearerProvider } from 'oauthbearer';

const provider = new MskProvider({ region: 'eu-west-1' }); // a token lives ≤ 15 min and never outlives the credentials

export const config = {
  kafkaJS: {
    brokers: ['b-1.orders.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'],
    ssl: true,
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: confluentOAuthBearerProvider(provider) },
  },
};
export const kafka = new KafkaJS.Kafka(config);
// node-rdkafka-style clients: { 'sasl.mechanisms': 'OAUTHBEARER', oauthbearer_token_refresh_cb: confluentTokenRefreshCb(provider) }
