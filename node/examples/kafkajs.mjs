// KafkaJS with KIP-1258: the client signs a short-lived assertion instead of sending a client secret.
// An ES module (app.mjs, or "type": "module"); in CommonJS: const { AssertionProvider, … } = require('oauthbearer').
import { Kafka } from 'kafkajs';
import { AssertionProvider, kafkajsOAuthBearerProvider } from 'oauthbearer';

// Kafka's own property names (sasl.oauthbearer.token.endpoint.url, …assertion.private.key.file, …).
// The provider signs, fetches, checks, caches and refreshes: KafkaJS asks on every connection.
const provider = new AssertionProvider('client.properties');

export const config = {
  clientId: 'orders',
  brokers: ['broker-1.example.com:9093'],
  ssl: true,
  sasl: { mechanism: 'oauthbearer', oauthBearerProvider: kafkajsOAuthBearerProvider(provider) },
};
export const kafka = new Kafka(config);
