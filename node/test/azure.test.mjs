// AzureProvider: Event Hubs tokens from @azure/identity's own credentials against a loopback
// App Service managed-identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER, plain HTTP as on App
// Service) and a loopback Entra ID over TLS with a private CA (its authority host, as the SDK is
// told in sovereign clouds); the scope derived from the namespace and checked; typed errors
// without secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SignJWT, importPKCS8, importX509, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ob, require, serve } from './support.mjs';

const NAMESPACE = 'contoso-kafka.servicebus.windows.net';
const BOOTSTRAP = `${NAMESPACE}:9093`;
const RESOURCE = `https://${NAMESPACE}`;
const IDENTITY_HEADER = 'identity-header-PLANTED';
const signingKey = await importPKCS8(readFileSync(new URL('../../tests/keys/rsa2048.pkcs8.pem', import.meta.url), 'utf8'), 'RS256');

async function accessToken(resource, subject, lifetime = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ aud: resource, sub: subject, oid: subject, tid: 'tenant' })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer('https://sts.windows.net/tenant/')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetime)
    .sign(signingKey);
}

/** App Service's managed-identity endpoint (api-version 2019-08-01). */
async function appServiceIdentity() {
  return serve(async (req) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.headers['x-identity-header'] !== IDENTITY_HEADER) return { status: 401, body: { error: 'unauthorized' } };
    const resource = url.searchParams.get('resource');
    return {
      body: {
        access_token: await accessToken(resource, 'mi-object-id'),
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource,
        token_type: 'Bearer',
      },
    };
  });
}

test('managed identity on App Service: a token for the namespace, principal from the token', async () => {
  const { ManagedIdentityCredential } = require('@azure/identity');
  const identity = await appServiceIdentity();
  Object.assign(process.env, { IDENTITY_ENDPOINT: `${identity.url}/msi/token`, IDENTITY_HEADER });
  try {
    const provider = new ob.AzureProvider({ bootstrapServers: BOOTSTRAP, credential: new ManagedIdentityCredential() });
    const token = await provider.token();
    assert.equal(provider.scope, `${RESOURCE}/.default`);
    const resources = identity.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('resource'));
    // Managed identity takes a resource, not a scope: @azure/identity strips /.default from ours.
    assert.deepEqual(resources, [RESOURCE]);
    assert.equal(token.principal, 'mi-object-id');
    assert.equal(token.expiresAtMs, decodeJwt(token.value).exp * 1000);
    await provider.token();
    assert.equal(identity.requests.length, 1, 'cached until the refresh window');
  } finally {
    delete process.env.IDENTITY_ENDPOINT;
    delete process.env.IDENTITY_HEADER;
    await identity.close();
  }
});

test('any TokenCredential; the scope it is asked for is the namespace\'s', async () => {
  const asked = [];
  const credential = {
    async getToken(scope) {
      asked.push(scope);
      return { token: await accessToken(RESOURCE, 'sp-object-id'), expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const token = await new ob.AzureProvider({ bootstrapServers: BOOTSTRAP, credential }).token();
  assert.deepEqual([asked, token.principal], [[`${RESOURCE}/.default`], 'sp-object-id']);
  assert.ok(!require('node:util').inspect(token).includes(token.value));
});

test('wrong scopes and hosts are refused before any request', () => {
  const credential = { getToken: () => assert.fail('no request for a wrong scope') };
  for (const scope of ['https://eventhubs.azure.net/.default', RESOURCE, 'https://other1.servicebus.windows.net/.default']) {
    assert.throws(
      () => new ob.AzureProvider({ bootstrapServers: BOOTSTRAP, scope, credential }),
      (e) => e instanceof ob.ConfigError && e.code === 'invalid_config' && e.message.includes(`${RESOURCE}/.default`),
    );
  }
  assert.throws(() => new ob.AzureProvider({ bootstrapServers: 'broker.internal:9092', credential }), (e) => e.code === 'invalid_config');
});

test('a refused credential is a typed error with Entra\'s code and no secret', async () => {
  const secret = 'client-secret-PLANTED';
  const credential = {
    async getToken() {
      const err = new Error(`AADSTS7000215: Invalid client secret provided: ${secret}`);
      err.name = 'AuthenticationError';
      throw err;
    },
  };
  await assert.rejects(new ob.AzureProvider({ bootstrapServers: BOOTSTRAP, credential }).token(), (e) => {
    assert.equal(e.code, 'credentials_unavailable');
    assert.match(e.message, /^Azure credentials \(AADSTS7000215\): AuthenticationError \(/);
    assert.ok(!e.message.includes(secret) && !require('node:util').inspect(e).includes(secret));
    return true;
  });
});

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '0a1b2c3d-aaaa-bbbb-cccc-000000000001';
const SECRET = 'client-secret-PLANTED-az';
const TLS_KEY = new URL('../../tests/keys/localhost-tls.key.pem', import.meta.url);
const TLS_CERT = new URL('../../tests/keys/localhost-tls.cert.pem', import.meta.url);

/** Entra ID's v2.0 discovery and token endpoints for one tenant, over TLS (a private CA). */
const CERT_PEM = readFileSync(new URL('../../tests/keys/rsa2048.cert.pem', import.meta.url), 'utf8');

/** Entra's certificate-credential check: the header's thumbprint names the registered certificate
 * (padding tolerated, as MSAL pads), whose key verifies the signature; aud = the token endpoint. */
async function certificateSubject(assertion, tokenEndpoint) {
  const cert = new X509Certificate(CERT_PEM);
  const b64url = (hex) => Buffer.from(hex.replaceAll(':', ''), 'hex').toString('base64url');
  const header = decodeProtectedHeader(assertion);
  const named = header['x5t#S256'] !== undefined
    ? header['x5t#S256'].replace(/=+$/, '') === b64url(cert.fingerprint256)
    : header.x5t?.replace(/=+$/, '') === b64url(cert.fingerprint);
  if (!named) return null;
  try {
    await jwtVerify(assertion, await importX509(CERT_PEM, header.alg), {
      audience: tokenEndpoint, issuer: CLIENT_ID, subject: CLIENT_ID,
      clockTolerance: 300, // Entra's skew allowance: the SDK's nbf comes from its own reading of the clock
    });
    return 'certificate-object-id';
  } catch {
    return null;
  }
}

async function fakeEntra() {
  const requests = [];
  const server = createServer(
    { key: readFileSync(TLS_KEY), cert: readFileSync(TLS_CERT) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const base = `https://localhost:${server.address().port}/${TENANT}`;
        const send = (status, body) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.url.includes('/.well-known/openid-configuration')) {
          return send(200, {
            issuer: `${base}/v2.0`, token_endpoint: `${base}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`, jwks_uri: `${base}/discovery/v2.0/keys`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          });
        }
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        requests.push(Object.fromEntries(form));
        let subject = 'sp-object-id';
        if (form.get('client_assertion')) {
          subject = await certificateSubject(form.get('client_assertion'), `${base}/oauth2/v2.0/token`);
          if (!subject) return send(401, { error: 'invalid_client', error_description: 'AADSTS700027: Client assertion failed signature validation.' });
        } else if (form.get('client_secret') !== SECRET) {
          return send(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        }
        const resource = (form.get('scope') ?? '').split(' ').find((s) => s.endsWith('/.default'))?.slice(0, -'/.default'.length);
        send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: await accessToken(resource, subject) });
      });
    },
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://localhost:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

test('client secret over TLS: @azure/identity reaches a loopback Entra by its authority host, trusting a private CA', async () => {
  const entra = await fakeEntra();
  // Node reads extra CAs only at start-up: the SDK runs in a child process started with NODE_EXTRA_CA_CERTS.
  const child = `
    const { ClientSecretCredential } = require('@azure/identity');
    const ob = require('./dist/index.js');
    const credential = new ClientSecretCredential(${JSON.stringify(TENANT)}, ${JSON.stringify(CLIENT_ID)}, process.env.SECRET,
      { authorityHost: process.env.ENTRA, disableInstanceDiscovery: true });
    new ob.AzureProvider({ bootstrapServers: ${JSON.stringify(BOOTSTRAP)}, credential }).token().then(
      (t) => console.log(JSON.stringify({ principal: t.principal, expiresAtMs: t.expiresAtMs })),
      (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
  try {
    const run = (secret) => promisify(execFile)(process.execPath, ['-e', child], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: fileURLToPath(TLS_CERT), ENTRA: entra.url, SECRET: secret },
      timeout: 60_000,
    });
    const ok = JSON.parse((await run(SECRET)).stdout);
    assert.equal(ok.principal, 'sp-object-id', JSON.stringify(ok));
    assert.deepEqual(entra.requests.map((r) => [r.grant_type, r.client_id, r.scope]), [['client_credentials', CLIENT_ID, `${RESOURCE}/.default`]]);
    const refused = JSON.parse((await run('wrong-secret-PLANTED')).stdout);
    assert.equal(refused.code, 'credentials_unavailable');
    assert.match(refused.message, /AADSTS7000215/);
    assert.ok(!refused.message.includes('PLANTED'));
  } finally {
    await entra.close();
  }
});


test('client certificate over TLS: @azure/identity\'s ClientCertificateCredential and our AssertionProvider with the same certificate, each header checked by the loopback Entra', async () => {
  const entra = await fakeEntra();
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-'));
  const keyPem = readFileSync(new URL('../../tests/keys/rsa2048.pkcs8.pem', import.meta.url), 'utf8');
  writeFileSync(join(dir, 'client.pem'), keyPem + CERT_PEM);
  const child = `
    const { ClientCertificateCredential } = require('@azure/identity');
    const ob = require('./dist/index.js');
    const credential = new ClientCertificateCredential(${JSON.stringify(TENANT)}, ${JSON.stringify(CLIENT_ID)},
      { certificatePath: process.env.BUNDLE }, { authorityHost: process.env.ENTRA, disableInstanceDiscovery: true });
    const tokenEndpoint = process.env.ENTRA + '/' + ${JSON.stringify(TENANT)} + '/oauth2/v2.0/token';
    const ours = (alg, thumbprintHeader) => new ob.AssertionProvider({
      'sasl.oauthbearer.token.endpoint.url': tokenEndpoint,
      'sasl.oauthbearer.client.credentials.client.id': ${JSON.stringify(CLIENT_ID)},
      'sasl.oauthbearer.scope': ${JSON.stringify(RESOURCE + '/.default')},
      'sasl.oauthbearer.assertion.algorithm': alg,
      'sasl.oauthbearer.assertion.private.key.file': process.env.KEY,
      'sasl.oauthbearer.assertion.claim.iss': ${JSON.stringify(CLIENT_ID)},
      'sasl.oauthbearer.assertion.claim.sub': ${JSON.stringify(CLIENT_ID)},
      'sasl.oauthbearer.assertion.claim.aud': tokenEndpoint,
      'sasl.oauthbearer.assertion.claim.jti.include': 'true',
    }, { certificateFile: process.env.CERT, thumbprintHeader }).token();
    (async () => {
      const out = [];
      for (const get of [() => new ob.AzureProvider({ bootstrapServers: ${JSON.stringify(BOOTSTRAP)}, credential }).token(),
                         () => ours('PS256'), () => ours('RS256', 'x5t')]) {
        out.push(await get().then((t) => t.principal, (e) => e.code + ': ' + e.message));
      }
      console.log(JSON.stringify(out));
    })();`;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', child], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env, NODE_EXTRA_CA_CERTS: fileURLToPath(TLS_CERT), ENTRA: entra.url, BUNDLE: join(dir, 'client.pem'),
        KEY: fileURLToPath(new URL('../../tests/keys/rsa2048.pkcs8.pem', import.meta.url)),
        CERT: fileURLToPath(new URL('../../tests/keys/rsa2048.cert.pem', import.meta.url)),
      },
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(stdout), ['certificate-object-id', 'certificate-object-id', 'certificate-object-id']);
    const headers = entra.requests.map((r) => decodeProtectedHeader(r.client_assertion));
    const thumbprints = JSON.parse(readFileSync(new URL('../../tests/keys/rsa2048.cert.thumbprints.json', import.meta.url), 'utf8'));
    // @azure/identity (MSAL Node) names the certificate as MSAL Python does for Entra: PS256 with x5t#S256.
    assert.equal(headers[0].alg, 'PS256', JSON.stringify(headers[0]));
    assert.equal(headers[0]['x5t#S256']?.replace(/=+$/, ''), thumbprints['x5t#S256']);
    assert.deepEqual(headers[1], { alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbprints['x5t#S256'] });
    assert.deepEqual(headers[2], { alg: 'RS256', typ: 'JWT', x5t: thumbprints.x5t });
  } finally {
    await entra.close();
  }
});
