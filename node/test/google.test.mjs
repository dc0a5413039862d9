// GoogleProvider driven by google-auth-library against a loopback fake of the GCE metadata server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ob, serve } from './support.mjs';

const EMAIL = 'kafka-client@my-project.iam.gserviceaccount.com';
const ACCESS_TOKEN = 'ya29.c.fake-access-token';
let healthy = true;

const metadata = await serve(async (req) => {
  const flavor = { 'metadata-flavor': 'Google' };
  const path = req.url.split('?')[0];
  if (!healthy) return { status: 500, headers: flavor, body: 'internal error: secret-detail' };
  if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
    return { headers: flavor, body: { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' } };
  }
  if (path === '/computeMetadata/v1/instance/service-accounts/default/email') {
    return { headers: { ...flavor, 'content-type': 'text/plain' }, body: EMAIL };
  }
  if (path === '/computeMetadata/v1/project/project-id') {
    return { headers: { ...flavor, 'content-type': 'text/plain' }, body: 'my-project' };
  }
  return { status: 404, headers: flavor, body: 'not found' };
});
const home = mkdtempSync(join(tmpdir(), 'oauthbearer-gcp-'));
Object.assign(process.env, {
  GCE_METADATA_HOST: `127.0.0.1:${metadata.port}`,
  METADATA_SERVER_DETECTION: 'assume-present',
  HOME: home,
  CLOUDSDK_CONFIG: home,
});
delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
delete process.env[ob.PRINCIPAL_ENV];

function parts(token) {
  const [header, payload, inner] = token.split('.').map((p) => Buffer.from(p, 'base64url').toString('utf8'));
  return { header: JSON.parse(header), payload: JSON.parse(payload), inner };
}

test.after(() => metadata.close());

test('on the metadata server: the Google Managed Kafka token wraps the access token for the VM\'s service account', async () => {
  const provider = new ob.GoogleProvider();
  const calls = await Promise.all(Array.from({ length: 100 }, () => provider.token()));
  const token = calls[0];
  assert.equal(new Set(calls).size, 1);
  const tokenFetches = metadata.requests.filter((r) => r.url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token'));
  assert.equal(tokenFetches.length, 1, '100 callers, one credential fetch');
  assert.equal(token.principal, EMAIL);
  const { header, payload, inner } = parts(token.value);
  assert.deepEqual(header, { typ: 'JWT', alg: 'GOOG_OAUTH2_TOKEN' });
  assert.equal(payload.sub, EMAIL);
  assert.equal(payload.exp, Math.floor(token.expiresAtMs / 1000));
  assert.equal(inner, ACCESS_TOKEN);
});

test('the principal override (argument, then GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL) wins', async () => {
  assert.equal((await new ob.GoogleProvider({ principal: 'other@my-project.iam.gserviceaccount.com' }).token()).principal,
    'other@my-project.iam.gserviceaccount.com');
  process.env[ob.PRINCIPAL_ENV] = 'env@my-project.iam.gserviceaccount.com';
  try {
    assert.equal((await new ob.GoogleProvider().token()).principal, 'env@my-project.iam.gserviceaccount.com');
  } finally {
    delete process.env[ob.PRINCIPAL_ENV];
  }
});

test('the other styles differ only in JSON layout', async () => {
  for (const style of ['google-python', 'kafka-auth-handler']) {
    const token = await new ob.GoogleProvider({ style }).token();
    assert.equal(parts(token.value).payload.sub, EMAIL);
    assert.equal(parts(token.value).inner, ACCESS_TOKEN);
  }
  await assert.rejects(new ob.GoogleProvider({ style: 'unknown' }).token(), (e) => e instanceof ob.OAuthBearerError);
});

test('a metadata server failure is a typed error that quotes nothing it answered', async () => {
  healthy = false;
  try {
    const err = await new ob.GoogleProvider().token().then(() => null, (e) => e);
    assert.ok(err instanceof ob.CredentialsError, String(err));
    assert.equal(err.code, 'credentials_unavailable');
    assert.ok(!err.message.includes('secret-detail'), err.message);
  } finally {
    healthy = true;
  }
});
