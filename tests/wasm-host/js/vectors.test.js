// The WASI component under jco in Node: every shared vector through the typed WIT exports,
// compared with the recorded native-core output; randomized signatures are verified with jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { compactVerify, importJWK } from 'jose';
import * as api from './gen/oauthbearer.js';
import { NOT_EXPRESSIBLE, ROOT, run } from './vectors.js';

const files = readdirSync(`${ROOT}tests/vectors`).filter((f) => f.endsWith('.json')).sort();

async function verify(jws, jwk, alg) {
  await compactVerify(jws, await importJWK(jwk, alg));
}

test('vector files are all found', () => {
  assert.ok(files.length >= 14, files.join(','));
});

for (const file of files) {
  const doc = JSON.parse(readFileSync(`${ROOT}tests/vectors/${file}`, 'utf8'));
  for (const c of doc.cases) {
    test(`${file}: ${c.name}`, async () => {
      if (NOT_EXPRESSIBLE.has(c.name)) {
        // Outside the typed interface: jco refuses to lower the value.
        assert.throws(() => run(api, c.op, c.input), /enum|variant|invalid|TypeError/i);
        return;
      }
      const got = run(api, c.op, c.input);
      const want = c.output;
      if (!('error' in want) && c.op === 'sign_assertion') {
        await verify(got.assertion, got.public_jwk, want.alg);
        if (!('assertion' in want)) delete got.assertion;
      }
      if (!('error' in want) && c.op === 'issuer') {
        await verify(got.token, got.jwks.keys[0], c.input.alg ?? 'ES256');
        if (!('token' in want)) delete got.token;
      }
      assert.deepEqual(got, want);
    });
  }
}

test('component size is reported', () => {
  const size = statSync(`${ROOT}target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm`).size;
  console.log(`component under jco: ${size} bytes`);
  assert.ok(size <= 1024 * 1024);
});
