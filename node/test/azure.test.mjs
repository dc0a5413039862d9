// AzureProvider: Event Hubs tokens from @azure/identity's own credentials against a loopback
// App Service managed-identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER, plain HTTP as on App
// Service); the scope derived from the namespace and checked; typed errors without secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SignJWT, importPKCS8, decodeJwt } from 'jose';
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
    assert.match(e.message, /AuthenticationError \(AADSTS7000215\)/);
    assert.ok(!e.message.includes(secret) && !require('node:util').inspect(e).includes(secret));
    return true;
  });
});
