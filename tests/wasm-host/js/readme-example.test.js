import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mskToken } from './readme-example.js';
import { ROOT } from './vectors.js';

test('README jco example makes an MSK token', () => {
  const now = 1767225600000n;
  const t = mskToken({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' }, 'us-east-1', now);
  const url = Buffer.from(t.value, 'base64url').toString();
  assert.match(url, /^https:\/\/kafka\.us-east-1\.amazonaws\.com\/\?Action=kafka-cluster%3AConnect&/);
  assert.match(url, /&User-Agent=oauthbearer%2F/);
  assert.equal(t.lifetimeMs, 1767225600000 + 900_000);
  assert.throws(() => mskToken({ accessKeyId: 'AKID', secretAccessKey: 'x' }, 'not a region', now), /invalid_region/);
});

test('README shows the jco example verbatim', () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  assert.ok(readme.includes(readFileSync(new URL('./readme-example.js', import.meta.url), 'utf8').trim()));
});
