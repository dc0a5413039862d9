// cargo's runner for wasm32-wasip1 test binaries (`make wasm-test` replays the fuzz corpora this way):
// runs the module on Node's WASI (V8, the engine jco, Envoy and the npm fallback run it on) with the
// repository preopened at its own path, so that the absolute paths compiled in (CARGO_MANIFEST_DIR)
// resolve. Usage: node --no-warnings wasi-run.mjs <module.wasm> [args...]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const [module, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [module, ...args], env: process.env, preopens: { [root]: root }, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(module), wasi.getImportObject());
process.exitCode = wasi.start(instance);
