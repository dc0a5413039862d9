// The addon loader (index.js): it loads this platform's addon and nothing the environment names.
// napi-rs's generated loader loads the file NAPI_RS_NATIVE_LIBRARY_PATH names; a credential
// library must not run code chosen by whoever sets its environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const probe = "const m = require(process.argv[1]); console.log(typeof m.mskToken + ' ' + Object.keys(m).length)";

test('NAPI_RS_NATIVE_LIBRARY_PATH and NAPI_RS_FORCE_WASI are not honoured', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-loader-'));
  try {
    const planted = join(dir, 'planted.js');
    const marker = join(dir, 'ran');
    writeFileSync(planted, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = {}`);
    const out = execFileSync(process.execPath, ['-e', probe, join(here, 'index.js')], {
      env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: planted, NAPI_RS_FORCE_WASI: 'error' },
      encoding: 'utf8',
    });
    assert.match(out, /^function \d+\n$/, 'the native addon, with its exports');
    assert.equal(existsSync(marker), false, 'the planted module never ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with no addon and no WebAssembly build, a coded error names what was tried and the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-loader-'));
  try {
    copyFileSync(join(here, 'index.js'), join(dir, 'index.js'));
    copyFileSync(join(here, 'package.json'), join(dir, 'package.json'));
    const run = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(join(dir, 'index.js'))}) }
      catch (e) { console.log(e.code + '|' + e.message); process.exit(3) }`], { encoding: 'utf8' });
    assert.equal(run.status, 3, run.stderr);
    const [code, message] = run.stdout.trim().split('|');
    assert.equal(code, 'addon_unavailable');
    assert.match(message, /no native addon for linux-x64/);
    assert.match(message, /oauthbearer\.linux-x64-gnu\.node: MODULE_NOT_FOUND; oauthbearer-linux-x64-gnu: MODULE_NOT_FOUND; \.\/oauthbearer\.wasi\.cjs: Cannot find module '\.\/oauthbearer\.wasi\.cjs'/);
    assert.match(message, /--omit=optional/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The package as on a platform with no addon (macOS, Windows, FreeBSD …): its files without the
// native addon, the runtime packages beside it.
function withoutAddon(body) {
  const dir = mkdtempSync(join(tmpdir(), 'oauthbearer-loader-'));
  try {
    for (const file of ['index.js', 'package.json', ...WASM_FILES]) copyFileSync(join(here, file), join(dir, file));
    symlinkSync(join(here, 'node_modules'), join(dir, 'node_modules'));
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WASM_FILES = ['oauthbearer.wasi.cjs', 'wasi-worker.mjs', 'oauthbearer.wasm32-wasi.wasm'];

test('with no native addon the WebAssembly build loads, with the same exports and no warning', () => {
  const native = Object.keys(require(join(here, 'index.js'))).sort();
  withoutAddon((dir) => {
    const run = spawnSync(process.execPath, ['-e', `const m = require(process.argv[1]);
      console.log(JSON.stringify([m.addonTarget, Object.keys(m).filter((k) => k !== '__napiBindingTarget').sort()]));
      process.emitWarning("the application's own")`, join(dir, 'index.js')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const [target, keys] = JSON.parse(run.stdout);
    assert.equal(target, 'wasm32-wasi');
    assert.deepEqual(keys, native);
    // node:wasi's experimental-feature warning is held back; the application's warnings are not.
    assert.doesNotMatch(run.stderr, /WASI/);
    assert.match(run.stderr, /Warning: the application's own/);
  });
});

test('the WebAssembly fallback honours no library path from the environment either', () => {
  withoutAddon((dir) => {
    const planted = join(dir, 'planted.js');
    const marker = join(dir, 'ran');
    writeFileSync(planted, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = {}`);
    const out = execFileSync(process.execPath, ['-e', 'console.log(require(process.argv[1]).addonTarget)',
      join(dir, 'index.js')], {
      env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: planted, NAPI_RS_FORCE_WASI: 'error' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(out, 'wasm32-wasi\n');
    assert.equal(existsSync(marker), false, 'the planted module never ran');
  });
});

test('an addon that is there but does not load is named in a warning when the fallback takes over', () => {
  withoutAddon((dir) => {
    // What a damaged install or a too-old C library looks like to require(): ERR_DLOPEN_FAILED.
    writeFileSync(join(dir, `oauthbearer.linux-${process.arch}-gnu.node`), 'not a shared object');
    const run = spawnSync(process.execPath, ['-e', 'console.log(require(process.argv[1]).addonTarget)',
      join(dir, 'index.js')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'wasm32-wasi\n');
    assert.match(run.stderr, /\[OAUTHBEARER_ADDON_FALLBACK\] Warning: the native addon did not load \(\.\/oauthbearer\.linux-x64-gnu\.node: .*file too short\)/);
  });
});
