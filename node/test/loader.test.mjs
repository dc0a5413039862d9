// The addon loader (index.js): it loads this platform's addon and nothing the environment names.
// napi-rs's generated loader loads the file NAPI_RS_NATIVE_LIBRARY_PATH names; a credential
// library must not run code chosen by whoever sets its environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
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

test('with no addon for the platform, a coded error names what was tried and the fix', () => {
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
    assert.match(message, /oauthbearer\.linux-x64-gnu\.node: MODULE_NOT_FOUND; oauthbearer-linux-x64-gnu: MODULE_NOT_FOUND/);
    assert.match(message, /--omit=optional/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
