// The README's Node.js examples, run as written: the KafkaJS one against a loopback KIP-1258 IdP
// (jose verifies the assertion), the confluent-kafka-javascript one with AWS credentials from the
// environment, handed to librdkafka.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertionIdp, kafkajsCompatConfig, kip1258, ob, require, withRdkafka } from './support.mjs';

const EXAMPLES = new URL('../examples/', import.meta.url);
const KEY = new URL('../../tests/keys/ec-p256.pkcs8.pem', import.meta.url).pathname;
const oauthBearerAuthenticator = require('kafkajs/src/broker/saslAuthenticator/oauthBearer');

test('the README shows both examples verbatim', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const file of ['kafkajs.mjs', 'confluent.mjs']) {
    assert.ok(readme.includes(readFileSync(new URL(file, EXAMPLES), 'utf8').trim()), `${file} is not in the README`);
  }
});

test('KafkaJS example: KIP-1258 token through KafkaJS\'s own authenticator', async () => {
  const idp = await assertionIdp([JSON.parse(ob.SigningKey.parse(readFileSync(KEY)).publicJwk())]);
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-example-'));
  const props = kip1258(idp.url, KEY, 'ES256');
  writeFileSync(join(dir, 'client.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n'));
  process.chdir(dir);
  try {
    const { config } = await import(new URL('kafkajs.mjs', EXAMPLES));
    let sent;
    await oauthBearerAuthenticator(config.sasl)({
      host: 'broker-1.example.com',
      port: 9093,
      logger: { debug() {}, error() {} },
      saslAuthenticate: async ({ request }) => {
        sent = (await request.encode()).subarray(4).toString('latin1');
      },
    }).authenticate();
    const token = sent.match(/auth=Bearer ([^\u0001]+)/)[1];
    const accepted = ob.tokens.checkAccessToken(token, { dialect: 'kafka-java', splitScope: false });
    assert.equal(accepted.principal, 'app');
    assert.equal(idp.verifiedBy.length, 1);
  } finally {
    await idp.close();
  }
});

test('confluent-kafka-javascript example: an MSK IAM token librdkafka accepts', async () => {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const { config } = await import(new URL('confluent.mjs', EXAMPLES));
  const provider = config.kafkaJS.sasl.oauthBearerProvider;
  await withRdkafka(kafkajsCompatConfig(provider), (verdict) => assert.equal(verdict, 'accepted'));
  const token = await provider();
  const url = new URL(Buffer.from(token.value, 'base64url').toString('utf8'));
  assert.equal(url.host, 'kafka.eu-west-1.amazonaws.com');
  assert.equal(url.searchParams.get('Action'), 'kafka-cluster:Connect');
});
