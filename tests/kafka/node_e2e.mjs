// The Node clients through the real broker: `node node_e2e.mjs kafkajs|confluent BOOTSTRAP TOKEN_URL
// CLIENT_ID SECRET TOPIC` produces one record and consumes it back with our AssertionProvider (client
// secret against the local issuer) behind the client's adapter; with PROPERTIES set (a Kafka client
// .properties file, e.g. KIP-1258 to Keycloak), the provider reads that instead. Prints one JSON line.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../node/package.json', import.meta.url));
const ob = require('./dist/index.js');
const [client, bootstrap, tokenUrl, clientId, secret, topic] = process.argv.slice(2);
const provider = new ob.AssertionProvider(
  process.env.PROPERTIES ?? {
    'sasl.oauthbearer.token.endpoint.url': tokenUrl,
    'sasl.oauthbearer.client.credentials.client.id': clientId,
    'sasl.oauthbearer.client.credentials.client.secret': secret,
  },
  { mode: 'kafka-compatible' },
);
const value = `${client}-${process.pid}-${Date.now()}`;

async function kafkajs() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: ob.kafkajsOAuthBearerProvider(provider) },
  });
  return roundtrip(kafka, (c) => c);
}

async function confluent() {
  const { KafkaJS } = require('./examples/node_modules/@confluentinc/kafka-javascript');
  const kafka = new KafkaJS.Kafka({
    kafkaJS: {
      brokers: [bootstrap],
      logLevel: KafkaJS.logLevel.ERROR,
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: ob.confluentOAuthBearerProvider(provider) },
    },
  });
  return roundtrip(kafka, (c) => ({ kafkaJS: { ...c, fromBeginning: true } }));
}

/** Produces `value`, then consumes until it arrives. */
async function roundtrip(kafka, consumerConfig) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).catch(() => {});
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value }] });
  await producer.disconnect();
  const consumer = kafka.consumer(consumerConfig({ groupId: `e2e-${value}` }));
  await consumer.connect();
  await consumer.subscribe(client === 'kafkajs' ? { topic, fromBeginning: true } : { topic });
  const consumed = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('record not consumed within 60 s')), 60_000);
    consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value.toString() === value) {
          clearTimeout(timer);
          resolve(value);
        }
      },
    });
  });
  await consumer.disconnect();
  return consumed;
}

try {
  const consumed = await (client === 'kafkajs' ? kafkajs() : confluent());
  console.log(JSON.stringify({ consumed, fetches: provider.fetches }));
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ error: `${err.name}: ${err.message}` }));
  process.exit(1);
}
