// Every shared vector through the native module, or — with OAUTHBEARER_API=wasm — through the
// jco-transpiled WASI component: one suite, two implementations (as lightningcss does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { compactVerify, importJWK } from 'jose';
import { NOT_EXPRESSIBLE, ROOT, run } from '../../tests/wasm-host/js/vectors.js';

const wasm = process.env.OAUTHBEARER_API === 'wasm';
const api = wasm ? await import('../../tests/wasm-host/js/gen/oauthbearer.js') : createRequire(import.meta.url)('../dist/index.js');
const files = readdirSync(`${ROOT}tests/vectors`).filter((f) => f.endsWith('.json')).sort();

async function verify(jws, jwk, alg) {
  await compactVerify(jws, await importJWK(jwk, alg));
}

for (const file of files) {
  for (const c of JSON.parse(readFileSync(`${ROOT}tests/vectors/${file}`, 'utf8')).cases) {
    test(`${wasm ? 'wasm' : 'native'} ${file}: ${c.name}`, async () => {
      if (wasm && NOT_EXPRESSIBLE.has(c.name)) {
        assert.throws(() => run(api, c.op, c.input));
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
