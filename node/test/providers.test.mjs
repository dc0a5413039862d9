// Providers: KIP-1258 against an IdP that verifies our assertions with jose, client secrets with
// Kafka's retry schedule, typed errors, key rotation, files, the local issuer, and the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { assertionIdp, fakeClock, kip1258, localIssuer, ob, serve } from './support.mjs';

const KEYS = new URL('../../tests/keys/', import.meta.url).pathname;
const JAAS = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="svc" clientSecret="s3cret";';

function publicJwk(file) {
  return JSON.parse(ob.SigningKey.parse(readFileSync(file)).publicJwk());
}

test('a token never shows its value in inspect, toString or JSON', () => {
  const token = new ob.Token('eyJ.secret-part.sig', 1_700_000_000_000, 'alice');
  for (const text of [inspect(token), String(token), JSON.stringify(token), inspect({ token }, { depth: 5 })]) {
    assert.ok(!text.includes('secret-part'), text);
    assert.match(text, /alice/);
  }
  assert.equal(token.value, 'eyJ.secret-part.sig');
});

for (const [alg, file] of [
  ['ES256', 'ec-p256.pkcs8.pem'],
  ['RS256', 'rsa2048.pkcs8.pem'],
  ['PS256', 'rsa2048.pkcs1.pem'],
]) {
  test(`KIP-1258 ${alg}: jose verifies our assertion at the IdP and the token comes back checked`, async () => {
    const idp = await assertionIdp([publicJwk(KEYS + file)]);
    try {
      const provider = new ob.AssertionProvider(kip1258(idp.url, KEYS + file, alg));
      const token = await provider.token();
      assert.equal(token.principal, 'app');
      assert.ok(token.expiresAtMs > Date.now());
      assert.equal(idp.requests.length, 1);
      assert.equal(idp.requests[0].headers['content-type'], 'application/x-www-form-urlencoded');
    } finally {
      await idp.close();
    }
  });
}

test('KIP-1258 from a .properties file; a key the IdP does not know is refused with 401 and not retried', async () => {
  const idp = await assertionIdp([publicJwk(KEYS + 'ec-p256.pkcs8.pem')]);
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-'));
  try {
    const props = kip1258(idp.url, KEYS + 'ec-p384.pkcs8.pem', 'ES384');
    writeFileSync(join(dir, 'client.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n'));
    const provider = new ob.AssertionProvider(join(dir, 'client.properties'));
    const err = await provider.token().then(() => null, (e) => e);
    assert.ok(err instanceof ob.TokenEndpointError, String(err));
    assert.ok(err instanceof ob.OAuthBearerError);
    assert.equal(err.code, 'token_response_error');
    assert.equal(err.status, 401);
    assert.equal(err.retryable, false);
    assert.equal(idp.requests.length, 1);
  } finally {
    await idp.close();
  }
});

test('a rotated key file is picked up at the next fetch; a broken one keeps the last good key and warns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-'));
  const keyFile = join(dir, 'client.key');
  copyFileSync(KEYS + 'ec-p256.pkcs8.pem', keyFile);
  const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const clock = fakeClock(Date.now());
  const idp = await assertionIdp(
    [publicJwk(KEYS + 'ec-p256.pkcs8.pem'), next.publicKey.export({ format: 'jwk' })],
    clock.read,
  );
  // Deployment tools replace a file by renaming a new one over it (a new inode).
  const replace = (contents) => {
    writeFileSync(join(dir, 'next.key'), contents);
    renameSync(join(dir, 'next.key'), keyFile);
  };
  const warnings = [];
  try {
    const provider = new ob.AssertionProvider(kip1258(idp.url, keyFile, 'ES256'), {
      clock: clock.read,
      onReloadError: (e) => warnings.push(e),
    });
    await provider.token();
    replace(next.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    clock.now += 3_600_000; // past the refresh point
    await provider.token();
    replace('not a key');
    clock.now += 3_600_000;
    await provider.token();
    assert.deepEqual(idp.verifiedBy, [0, 1, 1]);
    assert.deepEqual(warnings.map((w) => [w.constructor.name, w.code]), [['PrivateKeyError', 'invalid_key']]);
  } finally {
    await idp.close();
  }
});

test('client secret: 503s are retried on Kafka\'s back-off schedule (sasl.login.retry.backoff.ms=100)', async () => {
  const clock = fakeClock(Date.now());
  const issued = localIssuer().signAccessToken({ subject: 'svc', lifetimeSeconds: 3600 }, BigInt(clock.now));
  const answers = [
    { status: 503, body: { error: 'temporarily_unavailable' } },
    { status: 503, body: { error: 'temporarily_unavailable' } },
    { body: { access_token: issued.token, token_type: 'Bearer', expires_in: 3600 } },
  ];
  const idp = await serve(async () => answers.shift());
  try {
    const provider = new ob.AssertionProvider(
      { 'sasl.oauthbearer.token.endpoint.url': `${idp.url}/token`, 'sasl.jaas.config': JAAS },
      { clock: clock.read, sleep: clock.sleep },
    );
    assert.equal((await provider.token()).principal, 'svc');
    assert.deepEqual(clock.slept, [100, 200]);
    assert.equal(idp.requests[0].headers.authorization, `Basic ${Buffer.from('svc:s3cret').toString('base64')}`);
    const shown = inspect(provider, { depth: 10, showHidden: true });
    assert.ok(!shown.includes('s3cret') && !shown.includes(issued.token), 'inspect shows no secret and no token');
  } finally {
    await idp.close();
  }
});

test('an unreachable endpoint is a typed, retried error that quotes no secret', async () => {
  const clock = fakeClock(Date.now());
  const idp = await serve(async () => ({}));
  await idp.close(); // a port nobody listens on
  const provider = new ob.AssertionProvider(
    {
      'sasl.oauthbearer.token.endpoint.url': `${idp.url}/token`,
      'sasl.login.retry.backoff.ms': '10',
      'sasl.login.retry.backoff.max.ms': '40',
      'sasl.jaas.config': JAAS,
    },
    { clock: clock.read, sleep: clock.sleep },
  );
  const err = await provider.token().then(() => null, (e) => e);
  assert.ok(err instanceof ob.TokenEndpointError, String(err));
  assert.equal(err.code, 'token_endpoint_unreachable');
  assert.ok(clock.slept.length >= 1, 'retried before giving up');
  assert.ok(!inspect(err).includes('s3cret') && !err.message.includes('s3cret'));
});

/** A provider whose fetches the test releases by hand (no timers). */
class GatedProvider extends ob.Provider {
  constructor(clock) {
    super({ clock: clock.read });
    this.issuer = localIssuer();
    this.pending = [];
    this.started = 0;
  }

  fetch(nowMs) {
    this.started += 1;
    return new Promise((resolve, reject) => {
      this.pending.push({
        ok: () => {
          const issued = this.issuer.signAccessToken({ subject: 'svc', lifetimeSeconds: 3600 }, BigInt(nowMs));
          resolve(new ob.Token(issued.token, Number(issued.expiresAtMs), 'svc', {}, nowMs));
        },
        fail: () => reject(new ob.CredentialsError('credentials_unavailable', 'no credentials')),
      });
    });
  }
}

test('100 concurrent token() calls make one fetch; all get the same token', async () => {
  const provider = new GatedProvider(fakeClock(Date.now()));
  const calls = Array.from({ length: 100 }, () => provider.token());
  assert.equal(provider.pending.length, 1);
  provider.pending[0].ok();
  const tokens = await Promise.all(calls);
  assert.equal(new Set(tokens).size, 1);
  assert.equal(provider.started, 1);
  assert.equal(provider.fetches, 1);
  await provider.token();
  assert.equal(provider.started, 1, 'served from the cache');
});

test('refresh follows the core\'s schedule; a failed refresh serves the cached token, then retries', async () => {
  const clock = fakeClock(1_767_225_600_000);
  const provider = new GatedProvider(clock);
  const first = provider.token();
  provider.pending.shift().ok();
  const token = await first;
  clock.now += 60_000;
  assert.equal(await provider.token(), token, 'well inside the refresh window');
  clock.now += 3_000_000; // past Kafka's 80 % (± jitter) refresh point, before expiry
  assert.equal(await provider.token(), token, 'the caller that starts the refresh is served the cached token');
  assert.equal(provider.started, 2);
  assert.equal(await provider.token(), token, 'callers during a refresh get the valid cached token');
  provider.pending.shift().fail();
  assert.equal(await provider.token(), token, 'a failed refresh falls back to the cached token');
  assert.equal(provider.started, 2, 'and does not retry at once');
  clock.now += 60_000;
  assert.equal(await provider.token(), token);
  assert.equal(provider.started, 3, 'retried after the back-off');
  provider.pending.shift().ok();
  await new Promise((resolve) => setImmediate(resolve)); // the fetch's settlement reaches the provider
  assert.notEqual(await provider.token(), token, 'the refreshed token once it arrived');
});

test('with no valid cached token a failure reaches every waiting caller', async () => {
  const provider = new GatedProvider(fakeClock(Date.now()));
  const calls = [provider.token(), provider.token()];
  provider.pending.shift().fail();
  for (const call of calls) await assert.rejects(call, (e) => e instanceof ob.CredentialsError);
});

test('FileProvider re-reads the file and checks the token as the client would', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-'));
  const file = join(dir, 'token.jwt');
  const clock = fakeClock(Date.now());
  const issuer = localIssuer();
  const sign = (sub) => issuer.signAccessToken({ subject: sub, lifetimeSeconds: 600 }, BigInt(clock.now)).token;
  writeFileSync(file, `${sign('alice')}\n`);
  const provider = new ob.FileProvider(file, { clock: clock.read, extensions: { traceId: 'abc' } });
  const token = await provider.token();
  assert.deepEqual([token.principal, token.extensions], ['alice', { traceId: 'abc' }]);
  writeFileSync(file, sign('bob'));
  clock.now += 590_000;
  assert.equal((await provider.token()).principal, 'alice', 'still valid: served while the file is re-read');
  assert.equal((await provider.token()).principal, 'bob');
  writeFileSync(file, 'garbage');
  clock.now += 600_000;
  await assert.rejects(provider.token(), (e) => e instanceof ob.TokenError && e.code === 'invalid_token');
  await assert.rejects(new ob.FileProvider(join(dir, 'missing')).token(), (e) => e instanceof ob.ConfigError);
});

test('LocalIssuerProvider tokens verify against the issuer\'s JWKS with jose', async () => {
  const issuer = localIssuer('https://issuer.test');
  const provider = new ob.LocalIssuerProvider(issuer, 'alice', { audience: 'kafka', scope: 'produce' });
  const token = await provider.token();
  const jwk = JSON.parse(issuer.jwks()).keys[0];
  const { payload } = await jwtVerify(token.value, await importJWK(jwk, 'ES256'), { issuer: 'https://issuer.test', audience: 'kafka' });
  assert.equal(payload.sub, 'alice');
  assert.equal(token.expiresAtMs, payload.exp * 1000);
});

test('a fetch that fails synchronously does not wedge the provider', async () => {
  class Throwing extends ob.Provider {
    constructor(clock) {
      super({ clock: clock.read });
      this.calls = 0;
    }

    fetch() {
      this.calls += 1;
      throw new ob.CredentialsError('credentials_unavailable', 'not yet');
    }
  }
  const clock = fakeClock(Date.now());
  const provider = new Throwing(clock);
  await assert.rejects(provider.token(), (e) => e instanceof ob.CredentialsError);
  await assert.rejects(provider.token(), (e) => e instanceof ob.CredentialsError);
  assert.equal(provider.calls, 1, 'within the back-off (100 ms) the failure is repeated');
  clock.now += 100;
  await assert.rejects(provider.token(), (e) => e instanceof ob.CredentialsError);
  assert.equal(provider.calls, 2, 'after the back-off the next call fetches again');
});

/** A provider whose fetches hang until told otherwise (an IdP behind a dead proxy). */
class HangingProvider extends ob.Provider {
  constructor(options) {
    super(options);
    Object.assign(this, { hang: true, calls: 0, unblock: [] });
  }

  fetch(nowMs) {
    this.calls += 1;
    const token = new ob.Token(`v${this.calls}`, nowMs + 3_600_000, 'p', {}, nowMs);
    return this.hang ? new Promise((resolve) => this.unblock.push(() => resolve(token))) : Promise.resolve(token);
  }
}

test('a fetch that hangs forever releases every caller with fetch_timeout at the deadline; recovery', async () => {
  const provider = new HangingProvider({ fetchTimeoutMs: 300 });
  const started = performance.now();
  const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => provider.token()));
  const waited = performance.now() - started;
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    assert.ok(o.reason instanceof ob.TokenEndpointError && o.reason.code === 'fetch_timeout', String(o.reason));
  }
  assert.ok(waited < 300 + 500, `waited ${waited} ms past a 300 ms deadline`);
  assert.equal(provider.calls, 1, 'one fetch for all 50 callers');
  // Fetches work again: after the back-off (100 ms) the next caller starts a fresh fetch.
  provider.hang = false;
  const until = performance.now() + 5_000;
  for (;;) {
    try {
      assert.equal((await provider.token()).value, 'v2');
      break;
    } catch (err) {
      assert.ok(err.code === 'fetch_timeout' && performance.now() < until, String(err));
      await new Promise((resolve) => setTimeout(resolve, 20)); // retry until the back-off ends
    }
  }
  assert.equal(provider.calls, 2);
  provider.unblock.forEach((release) => release());
});

test('a hung refresh keeps serving the cached token; its late answer is used', async () => {
  const clock = fakeClock(1_767_225_600_000);
  const provider = new HangingProvider({ clock: clock.read, fetchTimeoutMs: 200 });
  provider.hang = false;
  const first = await provider.token();
  provider.hang = true;
  clock.now += 3_100_000; // past Kafka's refresh point, before expiry
  const tokens = await Promise.all(Array.from({ length: 50 }, () => provider.token()));
  assert.ok(tokens.every((t) => t === first), 'the valid cached token is served meanwhile');
  assert.equal(provider.calls, 2, 'one refresh, and it hangs');
  clock.now += 1_000; // past the refresh's deadline: abandoned, the cached token still served
  assert.equal(await provider.token(), first);
  provider.unblock.forEach((release) => release());
  await new Promise((resolve) => setImmediate(resolve)); // the late answer's settlement reaches the provider
  assert.equal((await provider.token()).value, 'v2');
});

test('a fetch that returns an unusable token fails the callers at once, without an unhandled rejection', async () => {
  class Broken extends ob.Provider {
    constructor(expiry) {
      super({ fetchTimeoutMs: 5_000 });
      this.expiry = expiry;
    }

    async fetch() {
      return new ob.Token('v', this.expiry, 'p');
    }
  }
  const started = performance.now();
  for (const expiry of [Number.NaN, -1, 1.5]) {
    await assert.rejects(new Broken(expiry).token(), (e) => e instanceof ob.TokenError && e.code === 'invalid_token');
  }
  assert.ok(performance.now() - started < 1_000, 'not left waiting for the deadline');
  class Empty extends ob.Provider {
    async fetch() {
      return undefined;
    }
  }
  await assert.rejects(new Empty().token(), (e) => e instanceof ob.CredentialsError && e.code === 'credentials_unavailable');
});

test('Entra certificate credentials: the certificate named by x5t#S256 (default), x5t or both, as Node computes its fingerprints', async () => {
  const { X509Certificate } = await import('node:crypto');
  const cert = new X509Certificate(readFileSync(KEYS + 'rsa2048.cert.pem'));
  const b64url = (hex) => Buffer.from(hex.replaceAll(':', ''), 'hex').toString('base64url');
  const [sha1, sha256] = [b64url(cert.fingerprint), b64url(cert.fingerprint256)];
  const idp = await assertionIdp([publicJwk(KEYS + 'rsa2048.pkcs8.pem')]);
  try {
    for (const [thumbprintHeader, alg, expected] of [
      [undefined, 'PS256', { 'x5t#S256': sha256 }],
      ['x5t', 'RS256', { x5t: sha1 }],
      ['both', 'RS256', { x5t: sha1, 'x5t#S256': sha256 }],
    ]) {
      const props = kip1258(idp.url, KEYS + 'rsa2048.pkcs8.pem', alg);
      const provider = new ob.AssertionProvider(props, { certificateFile: KEYS + 'rsa2048.cert.pem', thumbprintHeader });
      assert.equal((await provider.token()).principal, 'app');
      const assertion = new URLSearchParams(idp.requests.at(-1).body).get('client_assertion');
      assert.deepEqual(decodeProtectedHeader(assertion), { alg, typ: 'JWT', ...expected });
    }
    const props = kip1258(idp.url, KEYS + 'rsa2048.pkcs8.pem', 'RS256');
    const refused = (options) => {
      try {
        new ob.AssertionProvider(props, options);
      } catch (e) {
        return e.code;
      }
      return 'accepted';
    };
    assert.equal(refused({ certificateFile: KEYS + 'ec-p256.cert.pem' }), 'invalid_certificate');
    assert.equal(refused({ certificateFile: KEYS + 'rsa2048.cert.pem', thumbprintHeader: 'x5c' }), 'invalid_config');
    assert.equal(refused({ thumbprintHeader: 'x5t' }), 'invalid_config');
  } finally {
    await idp.close();
  }
});

test('a refused connection is named in the timeout and is its cause', async () => {
  // Issue 25: a typo in the port read like a slow endpoint ("did not finish within 10000 ms").
  const idp = await serve(async () => ({}));
  await idp.close(); // a port nobody listens on
  const provider = new ob.AssertionProvider(
    { 'sasl.oauthbearer.token.endpoint.url': `${idp.url}/token`, 'sasl.jaas.config': JAAS },
    // A deadline the first refused attempt always beats, even on a loaded machine.
    { fetchTimeoutMs: 2000, sleep: () => new Promise((resolve) => setTimeout(resolve, 10)) },
  );
  const err = await provider.token().then(() => null, (e) => e);
  assert.equal(err?.code, 'fetch_timeout', String(err));
  assert.match(err.message, /its last attempt failed with token_endpoint_unreachable: .*connection refused \(ECONNREFUSED\)/);
  assert.ok(err.cause instanceof ob.TokenEndpointError && err.cause.code === 'token_endpoint_unreachable', String(err.cause));
});

test('an IdP that echoes the client credentials never gets them shown', async () => {
  const secret = 's3cret-PLANTED-42';
  const idp = await serve(async () => ({
    status: 401,
    body: JSON.stringify({ error: 'invalid_client', error_description: `bad client credentials my-client:${secret}` }),
  }));
  try {
    const provider = new ob.AssertionProvider({
      'sasl.oauthbearer.token.endpoint.url': `${idp.url}/token`,
      'sasl.oauthbearer.client.credentials.client.id': 'my-client',
      'sasl.oauthbearer.client.credentials.client.secret': secret,
    });
    const err = await provider.token().then(() => null, (e) => e);
    assert.equal(err?.code, 'token_response_error', String(err));
    assert.match(err.message, /my-client:\[redacted\]/);
    assert.ok(!inspect(err, { depth: 5 }).includes(secret) && !JSON.stringify(err.tokenEndpoint).includes(secret));
  } finally {
    await idp.close();
  }
});

test('every error is an OAuthBearerError, constructors included', () => {
  // Issue 25: a missing key file, an RSA key for ES256 or a passphrase on a plain key threw a plain Error.
  const keys = new URL('../../tests/keys/', import.meta.url).pathname;
  const props = (extra) => ({
    'sasl.oauthbearer.token.endpoint.url': 'https://idp.example/token',
    'sasl.oauthbearer.assertion.claim.iss': 'c',
    'sasl.oauthbearer.assertion.claim.sub': 'c',
    'sasl.oauthbearer.assertion.claim.aud': 'https://idp.example/token',
    ...extra,
  });
  const cases = [
    [{ 'sasl.oauthbearer.assertion.private.key.file': `${keys}missing.pem` }, 'file_unreadable', ob.ConfigError],
    [{ 'sasl.oauthbearer.assertion.private.key.file': `${keys}rsa2048.pkcs8.pem`, 'sasl.oauthbearer.assertion.algorithm': 'ES256' },
      'key_algorithm_mismatch', ob.PrivateKeyError],
    [{ 'sasl.oauthbearer.assertion.private.key.file': `${keys}rsa2048.pkcs8.pem`, 'sasl.oauthbearer.assertion.private.key.passphrase': 'p' },
      'passphrase_not_needed', ob.PrivateKeyError],
  ];
  for (const [extra, code, Class] of cases) {
    assert.throws(() => new ob.AssertionProvider(props(extra)), (e) => e instanceof Class && e instanceof ob.OAuthBearerError && e.code === code);
  }
  assert.throws(() => ob.SigningKey.parse(Buffer.from('nope')), (e) => e instanceof ob.PrivateKeyError);
  assert.ok(ob.SigningKey.generate() instanceof ob.SigningKey, 'instances are still the class\'s');
  // Static factories too (napi-rs defines them read-only).
  assert.throws(() => ob.lifecycle.TokenLifecycle.create('kafka-java', { retryBackoffMs: [5n, 1n] }),
    (e) => e instanceof ob.ConfigError && e.code === 'invalid_config');
});

test('an endpoint that accepts and never answers is a read timeout, not unreachable', async () => {
  // Issue 28: Node's one fetch deadline read as "cannot reach"; undici says when the request went out.
  const { createServer } = await import('node:net');
  const silent = createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((resolve) => silent.on('listening', resolve));
  try {
    const url = `http://127.0.0.1:${silent.address().port}/token`;
    const provider = new ob.AssertionProvider(
      { 'sasl.oauthbearer.token.endpoint.url': url, 'sasl.jaas.config': JAAS, 'sasl.login.retry.backoff.ms': '1', 'sasl.login.retry.backoff.max.ms': '1' },
      { timeoutMs: 300, fetchTimeoutMs: 5000, sleep: async () => {} },
    );
    const err = await provider.token().then(() => null, (e) => e);
    assert.equal(err?.code, 'token_endpoint_unreachable', String(err));
    assert.match(err.message, /accepted the connection but did not answer within 300 ms \(read timeout\)/);
  } finally {
    silent.close();
  }
});

test('an endpoint that never accepts the connection is a connect timeout', async () => {
  // A listener whose accept queue is full drops the next SYN (Node accepts everything itself, so a
  // Python process holds the listener: backlog 0, one connection waiting, nobody accepting).
  const { spawn } = await import('node:child_process');
  const holder = spawn('python3', ['-c', [
    'import socket, sys',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'w = socket.socket(); w.connect(s.getsockname())',
    'print(s.getsockname()[1], flush=True); sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve) => holder.stdout.once('data', (d) => resolve(String(d).trim())));
    const provider = new ob.AssertionProvider(
      {
        'sasl.oauthbearer.token.endpoint.url': `http://127.0.0.1:${port}/token`,
        'sasl.jaas.config': JAAS,
        'sasl.login.retry.backoff.ms': '1',
        'sasl.login.retry.backoff.max.ms': '1',
      },
      { timeoutMs: 300, fetchTimeoutMs: 5000, sleep: async () => {} },
    );
    const err = await provider.token().then(() => null, (e) => e);
    assert.equal(err?.code, 'token_endpoint_unreachable', String(err));
    assert.match(err.message, /the connection was not accepted within 300 ms \(connect timeout\)/);
  } finally {
    holder.stdin.end();
    holder.kill();
  }
});
