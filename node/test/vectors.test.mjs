// Every shared vector through the package's addon (native, or the WebAssembly build where the
// package under test has no native one: see support.mjs), or — with OAUTHBEARER_API=wasm — through
// the jco-transpiled WASI component: one suite, three implementations (as lightningcss does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { compactVerify, importJWK } from 'jose';
import { NOT_EXPRESSIBLE, NOT_IN_THIS_API, ROOT, run } from '../../tests/wasm-host/js/vectors.js';
import { ob } from './support.mjs';

const component = process.env.OAUTHBEARER_API === 'wasm';
const api = component ? await import('../../tests/wasm-host/js/gen/oauthbearer.js') : ob;
const files = readdirSync(`${ROOT}tests/vectors`).filter((f) => f.endsWith('.json')).sort();

async function verify(jws, jwk, alg) {
  await compactVerify(jws, await importJWK(jwk, alg));
}

let ran = 0;
for (const file of files) {
  for (const c of JSON.parse(readFileSync(`${ROOT}tests/vectors/${file}`, 'utf8')).cases) {
    // Named operations this API does not have are not made into tests (nothing skipped counts as passed).
    if (c.op in NOT_IN_THIS_API) continue;
    ran += 1;
    test(`${component ? 'component' : ob.addonTarget} ${file}: ${c.name}`, async () => {
      if (component && NOT_EXPRESSIBLE.has(c.name)) {
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
      if ('error' in want) {
        for (const secret of [...(c.secrets ?? []), 'PLANTED']) {
          assert.ok(!got.shown.includes(secret), `the error shows a planted secret: ${got.shown}`);
        }
      }
    });
  }
}

test('the bad-input catalogue runs here', () => {
  const catalogue = JSON.parse(readFileSync(`${ROOT}tests/vectors/bad_inputs.json`, 'utf8')).cases;
  const here = catalogue.filter((c) => !(c.op in NOT_IN_THIS_API));
  assert.ok(here.length >= 150 && ran > 400, `${here.length} catalogue cases, ${ran} cases in all`);
});

test('explain names the property a misspelled one meant (Kafka ignores `…assertion.jti.include`)', () => {
  const findings = api.explain.explain([['sasl.mechanism', 'OAUTHBEARER'], ['sasl.oauthbearer.assertion.jti.include', 'true']], 'kafka-java', {});
  const finding = findings.find((f) => f.code === 'unknown_property');
  assert.deepEqual([finding?.severity, finding?.fix], ['warning', 'did you mean sasl.oauthbearer.assertion.claim.jti.include?']);
});
