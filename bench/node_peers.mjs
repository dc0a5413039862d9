// oauthbearer from Node next to the Node peers, in one process: MSK IAM tokens (ours vs
// aws-msk-iam-sasl-signer-js, same static credentials) and KIP-1258 client assertions (ours vs jose
// `SignJWT` with a reused KeyLike), plus `require` cost in fresh processes. Each of ours twice: the
// native addon, and the WebAssembly fallback (the package staged without an addon by
// `make node-wasm-package`, so that its loader falls back as on macOS or Windows).
// Prints JSON (median ns per call). Usage: node bench/node_peers.mjs [seconds-per-op]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../node/package.json', import.meta.url));
const ob = require('./dist/index.js');
const FALLBACK = fileURLToPath(new URL('../target/node-wasm-package/', import.meta.url));
const obWasm = require(`${FALLBACK}dist/index.js`);
if (obWasm.addonTarget !== 'wasm32-wasi') throw new Error(`${FALLBACK} loaded ${obWasm.addonTarget}`);
const signer = require('aws-msk-iam-sasl-signer-js');
const jose = require('jose');
const seconds = Number(process.argv[2] ?? 3);
const KEYS = new URL('../tests/keys/', import.meta.url);
const CREDS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDEXAMPLE' };

/** Median of per-batch means (ns per call), batches sized to ~1/30 of `seconds`. */
async function medianNs(f, isAsync) {
  let batch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) isAsync ? await f() : f();
    if (Number(process.hrtime.bigint() - start) > (seconds * 1e9) / 30) break;
    batch *= 2;
  }
  const samples = [];
  for (let s = 0; s < 30; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) isAsync ? await f() : f();
    samples.push(Number(process.hrtime.bigint() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[15];
}

const KIP1258 = JSON.parse(readFileSync(new URL('kip1258-properties.json', import.meta.url), 'utf8'));
const out = {};
const options = { region: 'eu-west-1', order: 'sorted' };
out['msk/ours'] = await medianNs(() => ob.providers.mskToken(CREDS, options, BigInt(Date.now())), false);
out['msk/wasm'] = await medianNs(() => obWasm.providers.mskToken(CREDS, options, BigInt(Date.now())), false);
// A signer made once for the credentials (the checks and SigV4's signing key once per day), as a
// process that signs with the same credentials holds it.
const mskSigner = new ob.providers.MskSigner(CREDS, options);
out['msk/ours-signer'] = await medianNs(() => mskSigner.sign(BigInt(Date.now())), false);
const mskSignerWasm = new obWasm.providers.MskSigner(CREDS, options);
out['msk/wasm-signer'] = await medianNs(() => mskSignerWasm.sign(BigInt(Date.now())), false);
out['msk/aws'] = await medianNs(
  () => signer.generateAuthTokenFromCredentialsProvider({ region: 'eu-west-1', awsCredentialsProvider: async () => CREDS }),
  true,
);

for (const [alg, file] of [['ES256', 'ec-p256.pkcs8.pem'], ['RS256', 'rsa2048.pkcs8.pem'], ['PS256', 'rsa2048.pkcs8.pem']]) {
  const pem = readFileSync(new URL(file, KEYS));
  // The KIP-1258 client every benchmark signs for (bench/kip1258-properties.json).
  const properties = [...KIP1258, ['sasl.oauthbearer.assertion.algorithm', alg]];
  const signerOptions = { mode: alg === 'PS256' ? 'kafka-compatible' : 'strict', typ: 'jwt' };
  const ours = ob.AssertionSigner.fromProperties(properties, 'kafka-java', pem, undefined, signerOptions);
  out[`assertion/${alg}/ours`] = await medianNs(() => ours.sign(BigInt(Date.now())).assertion, false);
  const wasm = obWasm.AssertionSigner.fromProperties(properties, 'kafka-java', pem, undefined, signerOptions);
  out[`assertion/${alg}/wasm`] = await medianNs(() => wasm.sign(BigInt(Date.now())).assertion, false);
  const key = await jose.importPKCS8(pem.toString(), alg);
  out[`assertion/${alg}/jose`] = await medianNs(() => {
    const iat = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ iss: 'my-client', sub: 'my-client', aud: 'https://idp.example/token', iat, exp: iat + 300, nbf: iat - 60, jti: randomUUID() })
      .setProtectedHeader({ alg, typ: 'JWT' })
      .sign(key);
  }, true);
}

/** Median wall time of a fresh `node -e` requiring `module`, minus a bare `node -e ''`. */
function requireCost(code, runs = 15) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, ['-e', code], { cwd: new URL('../node/', import.meta.url) });
    samples.push(Number(process.hrtime.bigint() - start));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(runs / 2)];
}
const bare = requireCost('');
out['import/bare'] = bare;
out['import/oauthbearer'] = requireCost("require('./dist/index.js')") - bare;
out['import/wasm'] = requireCost(`require(${JSON.stringify(`${FALLBACK}dist/index.js`)})`) - bare;
out['import/jose'] = requireCost("require('jose')") - bare;
out.versions = {
  node: process.version,
  jose: require('jose/package.json').version,
  'aws-msk-iam-sasl-signer-js': require('aws-msk-iam-sasl-signer-js/package.json').version,
};
console.log(JSON.stringify(out));
