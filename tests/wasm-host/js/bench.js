// The component's speed under jco (Node): instantiate time, a whole ES256/RS256 client assertion
// and an MSK IAM token per call. Prints JSON (median ns) for bench/report.py.
// Usage: node bench.js [seconds-per-op]   (after `npm run transpile`; transpiles its own
// instantiable copy into gen-instantiate/)
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as cli from '@bytecodealliance/preview2-shim/cli';
import * as io from '@bytecodealliance/preview2-shim/io';
import * as random from '@bytecodealliance/preview2-shim/random';
import { ROOT } from './vectors.js';

const seconds = Number(process.argv[2] ?? 3);
const wasm = `${ROOT}target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm`;
execFileSync('npx', ['jco', 'transpile', wasm, '-o', 'gen-instantiate', '--name', 'oauthbearer', '--instantiation', 'async'], {
  stdio: 'ignore',
});
const { instantiate } = await import('./gen-instantiate/oauthbearer.js');

/** Median of per-batch means (ns per call), batches of `batch` calls for about `seconds`. */
async function medianNs(batch, f) {
  for (let i = 0; i < batch; i++) await f();
  const samples = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || samples.length < 5) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await f();
    samples.push(Number(process.hrtime.bigint() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const v = ''; // jco's instantiate() keys imports without the version
const imports = {
  [`wasi:cli/environment${v}`]: cli.environment,
  [`wasi:cli/exit${v}`]: cli.exit,
  [`wasi:cli/stderr${v}`]: cli.stderr,
  [`wasi:cli/stdin${v}`]: cli.stdin,
  [`wasi:cli/stdout${v}`]: cli.stdout,
  [`wasi:cli/terminal-input${v}`]: cli.terminalInput,
  [`wasi:cli/terminal-output${v}`]: cli.terminalOutput,
  [`wasi:cli/terminal-stderr${v}`]: cli.terminalStderr,
  [`wasi:cli/terminal-stdin${v}`]: cli.terminalStdin,
  [`wasi:cli/terminal-stdout${v}`]: cli.terminalStdout,
  [`wasi:io/error${v}`]: io.error,
  [`wasi:io/poll${v}`]: io.poll,
  [`wasi:io/streams${v}`]: io.streams,
  [`wasi:random/insecure-seed${v}`]: random.insecureSeed,
  [`wasi:random/random${v}`]: random.random,
};
const modules = new Map();
const getCoreModule = (path) => {
  if (!modules.has(path)) modules.set(path, new WebAssembly.Module(readFileSync(new URL(`./gen-instantiate/${path}`, import.meta.url))));
  return modules.get(path);
};
const KIP1258 = JSON.parse(readFileSync(`${ROOT}bench/kip1258-properties.json`, 'utf8'));
const out = {};
out.instantiate = await medianNs(5, () => instantiate(getCoreModule, imports));
const api = await instantiate(getCoreModule, imports);
for (const [alg, file] of [['ES256', 'ec-p256.pkcs8.pem'], ['RS256', 'rsa2048.pkcs8.pem']]) {
  // The KIP-1258 client every benchmark signs for (bench/kip1258-properties.json).
  const properties = [...KIP1258, ['sasl.oauthbearer.assertion.algorithm', alg]];
  const key = readFileSync(`${ROOT}tests/keys/${file}`);
  const signer = api.assertions.AssertionSigner.fromProperties(properties, 'kafka-java', key, undefined, {
    mode: 'strict',
    typ: 'jwt',
  });
  out[`assertion/${alg}`] = await medianNs(alg === 'ES256' ? 50 : 5, () => signer.sign(1767225600000n, undefined));
}
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
out.msk_token = await medianNs(200, () =>
  api.providers.mskToken(credentials, { region: 'us-east-1', userAgent: { tag: 'ours' } }, 1767225600000n),
);
out.size_bytes = statSync(wasm).size;
out.node = process.version;
out.jco = JSON.parse(readFileSync(new URL('./node_modules/@bytecodealliance/jco/package.json', import.meta.url))).version;
console.log(JSON.stringify(out));
