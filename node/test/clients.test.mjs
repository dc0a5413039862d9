// The adapters in the clients themselves: KafkaJS's own SASL/OAUTHBEARER authenticator and encoder,
// and @confluentinc/kafka-javascript (librdkafka), whose client creation calls the refresh callback
// and refuses a malformed or expired token before it ever connects to a broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkajsCompatConfig, ob, rdkafkaConfig, require, withRdkafka } from './support.mjs';

const oauthBearerAuthenticator = require('kafkajs/src/broker/saslAuthenticator/oauthBearer');
const { Kafka: KafkaJS } = require('kafkajs');

const issuer = new ob.LocalIssuer('https://issuer.test', ob.SigningKey.generate());

/** Tokens from the local issuer, with SASL extensions. */
class IssuerProvider extends ob.Provider {
  async fetch(nowMs) {
    const issued = issuer.signAccessToken({ subject: 'alice', lifetimeSeconds: 3600 }, BigInt(nowMs));
    return new ob.Token(issued.token, Number(issued.expiresAtMs), 'alice', { logicalCluster: 'lkc-abc', traceId: 't1' }, nowMs);
  }
}

/** A fixed token (to show what the clients refuse). */
class FixedProvider extends ob.Provider {
  constructor(value, expiresAtMs) {
    super();
    Object.assign(this, { fixed: value, expiry: expiresAtMs });
  }

  async fetch() {
    return new ob.Token(this.fixed, this.expiry, 'alice');
  }
}

test('KafkaJS: its own authenticator sends exactly the core\'s RFC 7628 client-first message', async () => {
  const provider = new IssuerProvider();
  let sent;
  const sasl = { mechanism: 'oauthbearer', oauthBearerProvider: ob.kafkajsOAuthBearerProvider(provider) };
  const authenticator = oauthBearerAuthenticator(sasl)({
    host: '127.0.0.1',
    port: 9092,
    logger: { debug() {}, error() {} },
    saslAuthenticate: async ({ request }) => {
      sent = await request.encode();
    },
  });
  await authenticator.authenticate();
  const token = await provider.token();
  const want = ob.sasl.clientFirstMessage(token.value, null, [['logicalCluster', 'lkc-abc'], ['traceId', 't1']]);
  // KafkaJS frames the SASL bytes with a 4-byte length.
  assert.equal(sent.readInt32BE(0), want.length);
  assert.deepEqual(Buffer.from(sent.subarray(4)), want);
  // KafkaJS accepts the adapter in its client configuration.
  new KafkaJS({ brokers: ['127.0.0.1:9092'], sasl, logLevel: 0 });
});

test('confluent-kafka-javascript (node-rdkafka API): oauthbearer_token_refresh_cb is accepted', async () => {
  await withRdkafka(rdkafkaConfig(ob.confluentTokenRefreshCb(new IssuerProvider())), (v) => assert.equal(v, 'accepted'));
});

test('confluent-kafka-javascript (KafkaJS-compatible API): oauthBearerProvider is accepted', async () => {
  const provider = ob.confluentOAuthBearerProvider(new IssuerProvider());
  await withRdkafka(kafkajsCompatConfig(provider), (v) => assert.equal(v, 'accepted'));
  const token = await provider();
  assert.deepEqual(Object.keys(token).sort(), ['extensions', 'lifetime', 'principal', 'value']);
  assert.ok(Number.isInteger(token.lifetime) && token.lifetime > Date.now());
});

test('confluent-kafka-javascript refuses malformed tokens (so the acceptances above are not vacuous)', async () => {
  const hour = Date.now() + 3_600_000;
  const refreshCb = (provider) => rdkafkaConfig(ob.confluentTokenRefreshCb(provider));
  await withRdkafka(refreshCb(new FixedProvider('bad\u0001token', hour)), (v) => assert.match(v, /^refused: .*visible characters/));
  // A lifetime in seconds instead of epoch milliseconds is "expired" to librdkafka. Our providers
  // refuse such a token before any client sees it, so librdkafka gets it from a bare token source.
  const inSeconds = new ob.Token('good.token.value', Math.floor(hour / 1000), 'alice');
  await withRdkafka(refreshCb({ token: async () => inSeconds }), (v) => assert.match(v, /^refused: .*unexpired/));
  await assert.rejects(new FixedProvider('good.token.value', Math.floor(hour / 1000)).token(), (e) =>
    e instanceof ob.TokenError && e.code === 'token_expired');
  // The KafkaJS-compatible API insists on value, principal and lifetime.
  await withRdkafka(kafkajsCompatConfig(async () => ({ value: 'good.token.value', lifetime: hour })), (v) =>
    assert.match(v, /^refused: .*principal/));
});
