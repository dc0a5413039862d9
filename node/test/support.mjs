// Test helpers: the package (CommonJS build), loopback HTTP servers, a fake clock.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const require = createRequire(import.meta.url);
// The package under test: this folder, or a staged copy (`make node-wasm-test` stages one without
// a native addon, so that its loader falls back to WebAssembly and the same tests run on that).
export const packageDir = process.env.OAUTHBEARER_TEST_PACKAGE ?? fileURLToPath(new URL('..', import.meta.url));
export const ob = require(`${packageDir}/dist/index.js`);
// What that staged copy must have loaded; a suite meant for the fallback fails on the native addon.
if (process.env.OAUTHBEARER_TEST_ADDON && ob.addonTarget !== process.env.OAUTHBEARER_TEST_ADDON) {
  throw new Error(`expected the ${process.env.OAUTHBEARER_TEST_ADDON} build, loaded ${ob.addonTarget}`);
}

/** An HTTP server on 127.0.0.1 answering with `handle(req, body)` → {status, headers, body}. */
export async function serve(handle) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const answer = await handle(req, body);
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A clock tests move by hand; `sleep` advances it instead of waiting. */
export function fakeClock(startMs) {
  const clock = { now: startMs, slept: [] };
  clock.read = () => clock.now;
  clock.sleep = async (ms) => {
    clock.slept.push(ms);
    clock.now += ms;
  };
  return clock;
}

/** A local issuer with a fresh ES256 key. */
export function localIssuer(url = 'https://issuer.test') {
  return new ob.LocalIssuer(url, ob.SigningKey.generate());
}

/** @confluentinc/kafka-javascript, installed beside the README examples (it needs a native build). */
export const confluent = () => require('../examples/node_modules/@confluentinc/kafka-javascript');
const confluentCompat = () => require('../examples/node_modules/@confluentinc/kafka-javascript/lib/kafkajs/_common.js');

/** An IdP that accepts KIP-1258 assertions signed by `publicJwks` (verified by jose) and issues tokens. */
export async function assertionIdp(publicJwks, now = Date.now, issuer = localIssuer()) {
  const verifiedBy = [];
  const server = await serve(async (req, body) => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return { status: 400, body: { error: 'invalid_request' } };
    }
    const assertion = form.get('client_assertion');
    const { alg } = decodeProtectedHeader(assertion);
    for (const [index, jwk] of publicJwks.entries()) {
      try {
        const { payload } = await jwtVerify(assertion, await importJWK(jwk, alg), {
          audience: `${server.url}/token`,
          issuer: 'app',
          maxTokenAge: '5m',
          currentDate: new Date(now()),
        });
        verifiedBy.push(index);
        const issued = issuer.signAccessToken({ subject: payload.sub, lifetimeSeconds: 3600 }, BigInt(now()));
        return { body: { access_token: issued.token, token_type: 'Bearer', expires_in: 3600 } };
      } catch {
        // try the next registered key
      }
    }
    return { status: 401, body: { error: 'invalid_client' } };
  });
  return Object.assign(server, { verifiedBy });
}

export function kip1258(url, keyFile, alg) {
  return {
    'sasl.oauthbearer.token.endpoint.url': `${url}/token`,
    'sasl.oauthbearer.assertion.algorithm': alg,
    'sasl.oauthbearer.assertion.private.key.file': keyFile,
    'sasl.oauthbearer.assertion.claim.iss': 'app',
    'sasl.oauthbearer.assertion.claim.sub': 'app',
    'sasl.oauthbearer.assertion.claim.aud': `${url}/token`,
    'sasl.oauthbearer.assertion.claim.jti.include': 'true',
  };
}

/** A TCP listener standing in for the bootstrap broker: librdkafka connects only once a token is set. */
export async function bootstrap() {
  const server = createTcpServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, address: `127.0.0.1:${server.address().port}`, connected: once(server, 'connection') };
}

/** Whether librdkafka took the token (it connects) or refused it (`error` event). */
async function verdict(client, broker) {
  return Promise.race([
    broker.connected.then(() => 'accepted'),
    once(client, 'error').then(([err]) => `refused: ${err.message}`),
  ]);
}

/** The node-rdkafka-style configuration with our refresh callback. */
/** The node-rdkafka-style configuration with a refresh callback. */
export const rdkafkaConfig = (refreshCb) => (address) => ({
  'bootstrap.servers': address,
  'security.protocol': 'sasl_plaintext',
  'sasl.mechanisms': 'OAUTHBEARER',
  oauthbearer_token_refresh_cb: refreshCb,
});

/** The configuration the KafkaJS-compatible API derives (with its own checks) from `oauthBearerProvider`. */
export const kafkajsCompatConfig = (oauthBearerProvider) => (address) =>
  confluentCompat().kafkaJSToRdKafkaConfig({ brokers: [address], sasl: { mechanism: 'oauthbearer', oauthBearerProvider } });

export async function withRdkafka(configFor, check) {
  const broker = await bootstrap();
  const producer = new (confluent().Producer)(configFor(broker.address));
  producer.on('event.error', () => {}); // the fake broker hangs up; that is expected
  // The metadata request cannot succeed against the fake broker; a short timeout ends it early.
  const connected = new Promise((resolve) => producer.connect({ timeout: 500 }, resolve));
  try {
    check(await verdict(producer, broker));
  } finally {
    await connected;
    if (producer.isConnected()) await new Promise((resolve) => producer.disconnect(0, resolve));
    broker.server.close();
  }
}

