// MskProvider: byte-identical to aws-msk-iam-sasl-signer-js (frozen clock) except where that signer's
// X-Amz-Expires is fractional; the AWS SDK's credential chain, ini profiles and STS roles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ob, require, serve } from './support.mjs';

const signer = require('aws-msk-iam-sasl-signer-js');
const THEIR_USER_AGENT = `aws-msk-iam-sasl-signer-js/${require('aws-msk-iam-sasl-signer-js/package.json').version}`;
const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const CREDS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDEXAMPLE',
};

// No network beyond loopback: the SDK must not probe the instance metadata service, and must not
// read this machine's AWS files.
const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-aws-'));
writeFileSync(join(dir, 'config'), '');
writeFileSync(join(dir, 'credentials'), '[team]\naws_access_key_id = AKIDTEAM\naws_secret_access_key = team-secret\n');
Object.assign(process.env, {
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(dir, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
});
for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION',
  'AWS_DEFAULT_REGION', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN']) {
  delete process.env[name];
}

function decode(token) {
  return new URL(Buffer.from(token, 'base64url').toString('utf8'));
}

async function theirs(t, credentials) {
  t.mock.timers.enable({ apis: ['Date'], now: NOW });
  try {
    return await signer.generateAuthTokenFromCredentialsProvider({
      region: 'eu-west-1',
      awsCredentialsProvider: async () => credentials,
    });
  } finally {
    t.mock.timers.reset();
  }
}

function ours(credentials, options = {}) {
  return new ob.MskProvider({
    region: 'eu-west-1',
    credentials: async () => credentials,
    userAgent: THEIR_USER_AGENT,
    clock: () => NOW,
    ...options,
  }).token();
}

test('with its order and user agent, our token is aws-msk-iam-sasl-signer-js\'s token, byte for byte', async (t) => {
  const reference = await theirs(t, CREDS);
  const token = await ours(CREDS);
  assert.equal(token.value, reference.token);
  assert.equal(token.expiresAtMs, reference.expiryTime);
  assert.equal(token.principal, '');
});

test('MskSigner, made once and signing on later days, gives the JS signer\'s token and mskToken\'s each time', async (t) => {
  const options = { region: 'eu-west-1', order: 'sorted', userAgent: { tag: 'custom', val: THEIR_USER_AGENT } };
  const credentials = { accessKeyId: CREDS.accessKeyId, secretAccessKey: CREDS.secretAccessKey, sessionToken: CREDS.sessionToken };
  const mskSigner = new ob.providers.MskSigner(credentials, options);
  assert.ok(mskSigner instanceof ob.MskSigner);
  for (const now of [NOW, NOW + 1_500, NOW + 86_400_000, NOW + 86_400_000 * 40 + 3_000, NOW]) {
    t.mock.timers.enable({ apis: ['Date'], now });
    let reference;
    try {
      reference = await signer.generateAuthTokenFromCredentialsProvider({
        region: 'eu-west-1',
        awsCredentialsProvider: async () => CREDS,
      });
    } finally {
      t.mock.timers.reset();
    }
    const token = mskSigner.sign(BigInt(now));
    assert.equal(token.token, reference.token, `at ${now}`);
    assert.equal(Number(token.expiresAtMs), reference.expiryTime);
    assert.deepEqual(token, ob.providers.mskToken(credentials, options, BigInt(now)));
  }
  assert.throws(() => new ob.providers.MskSigner(credentials, { region: 'nowhere' }), (err) =>
    err instanceof ob.OAuthBearerError && err.code === 'invalid_region');
  const expiring = new ob.providers.MskSigner({ ...credentials, expiresAtMs: BigInt(NOW + 120_000) }, options);
  assert.equal(expiring.sign(BigInt(NOW)).expiresSeconds, 120);
  assert.throws(() => expiring.sign(BigInt(NOW + 61_000)), (err) => err.code === 'credentials_expiring');
});

test('credentials expiring in 600.5 s: the JS signer sends X-Amz-Expires=600.5, we send 600; nothing else differs', async (t) => {
  const expiring = { ...CREDS, expiration: new Date(NOW + 600_500) };
  const reference = decode((await theirs(t, expiring)).token);
  const token = await ours(expiring);
  const mine = decode(token.value);
  assert.equal(reference.searchParams.get('X-Amz-Expires'), '600.5');
  assert.equal(mine.searchParams.get('X-Amz-Expires'), '600');
  assert.equal(token.expiresAtMs, NOW + 600_000);
  const rest = (url) =>
    [...url.searchParams].filter(([k]) => k !== 'X-Amz-Expires' && k !== 'X-Amz-Signature').map((p) => p.join('='));
  assert.deepEqual(rest(mine), rest(reference));
  assert.equal(mine.host, reference.host);
  assert.notEqual(mine.searchParams.get('X-Amz-Signature'), reference.searchParams.get('X-Amz-Signature'));
});

test('the default chain reads the environment; the region comes from AWS_REGION', async () => {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey, AWS_REGION: 'eu-west-1' });
  try {
    const token = await new ob.MskProvider({ clock: () => NOW, userAgent: THEIR_USER_AGENT }).token();
    const url = decode(token.value);
    assert.equal(url.host, 'kafka.eu-west-1.amazonaws.com');
    assert.match(url.searchParams.get('X-Amz-Credential'), /^AKIAIOSFODNN7EXAMPLE\/20260101\/eu-west-1\/kafka-cluster\/aws4_request$/);
    assert.equal(token.value, (await ours({ ...CREDS, sessionToken: undefined })).value);
  } finally {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) delete process.env[name];
  }
});

test('an ini profile', async () => {
  const token = await new ob.MskProvider({ region: 'us-east-1', profile: 'team', clock: () => NOW }).token();
  assert.match(decode(token.value).searchParams.get('X-Amz-Credential'), /^AKIDTEAM\//);
});

test('a role ARN is assumed through STS; the token never outlives the role credentials', async () => {
  const expiration = new Date(NOW + 300_000).toISOString();
  const sts = await serve(async () => ({
    headers: { 'content-type': 'text/xml' },
    body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
      <Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>
      <SessionToken>role-session</SessionToken><Expiration>${expiration}</Expiration></Credentials>
      <AssumedRoleUser><AssumedRoleId>AROA:oauthbearer</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/kafka/oauthbearer</Arn></AssumedRoleUser>
      </AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  }));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDBASE', AWS_SECRET_ACCESS_KEY: 'base-secret', AWS_ENDPOINT_URL_STS: sts.url });
  try {
    const provider = new ob.MskProvider({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/kafka', clock: () => NOW });
    const token = await provider.token();
    const url = decode(token.value);
    assert.match(url.searchParams.get('X-Amz-Credential'), /^ASIAROLE\//);
    assert.equal(url.searchParams.get('X-Amz-Security-Token'), 'role-session');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '300');
    assert.equal(token.expiresAtMs, NOW + 300_000);
    const form = new URLSearchParams(sts.requests[0].body);
    assert.deepEqual([form.get('Action'), form.get('RoleArn'), form.get('RoleSessionName')],
      ['AssumeRole', 'arn:aws:iam::123456789012:role/kafka', 'oauthbearer']);
  } finally {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_STS']) delete process.env[name];
    await sts.close();
  }
});

function webIdentitySts() {
  // Credentials that have just expired: every call for credentials goes back to STS, as each
  // refresh of a long-running client does.
  return serve(async () => {
    const expiration = new Date(Date.now() - 1_000).toISOString();
    return {
      headers: { 'content-type': 'text/xml' },
      body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
        <Credentials><AccessKeyId>ASIAWEBID</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>
        <SessionToken>web-session</SessionToken><Expiration>${expiration}</Expiration></Credentials>
        <SubjectFromWebIdentityToken>system:serviceaccount:kafka:app</SubjectFromWebIdentityToken>
        <AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/kafka/x</Arn></AssumedRoleUser>
        </AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
    };
  });
}

for (const [label, env, options, expected] of [
  ['by default', {}, {}, 'oauthbearer'],
  ['from AWS_ROLE_SESSION_NAME', { AWS_ROLE_SESSION_NAME: 'pod-7' }, {}, 'pod-7'],
  ['from roleSessionName', { AWS_ROLE_SESSION_NAME: 'pod-7' }, { roleSessionName: 'mine' }, 'mine'],
]) {
  test(`web identity (IRSA) through the default chain: the role session name stays the same at every refresh, ${label}`, async () => {
    const sts = await webIdentitySts();
    const tokenFile = join(dir, 'web-identity-token');
    writeFileSync(tokenFile, 'eyJ.projected.token');
    Object.assign(process.env, {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/kafka', AWS_ENDPOINT_URL_STS: sts.url, ...env,
    });
    try {
      const provider = new ob.MskProvider({ region: 'eu-west-1', clock: () => NOW, ...options });
      for (let refresh = 0; refresh < 3; refresh++) await provider.credentials();
      const names = sts.requests.map((r) => new URLSearchParams(r.body)).map((f) => [f.get('Action'), f.get('RoleSessionName')]);
      assert.equal(names.length, 3, 'each refresh asked STS again');
      assert.deepEqual(names, Array(3).fill(['AssumeRoleWithWebIdentity', expected]));
    } finally {
      for (const name of ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_ENDPOINT_URL_STS', ...Object.keys(env)]) delete process.env[name];
      await sts.close();
    }
  });
}

test('no region, no credentials: typed errors', async () => {
  assert.throws(() => new ob.MskProvider(), (e) => e instanceof ob.CredentialsError && e.code === 'invalid_region');
  const provider = new ob.MskProvider({ region: 'eu-west-1', profile: 'nobody' });
  await assert.rejects(provider.token(), (e) => e instanceof ob.CredentialsError && e.code === 'credentials_unavailable');
  await assert.rejects(ours({ accessKeyId: '', secretAccessKey: '' }), (e) => e instanceof ob.OAuthBearerError);
});
