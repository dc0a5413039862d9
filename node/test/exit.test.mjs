// process.exit while a fetch is in flight (issue 25): every run ends with the script's own status,
// never a signal, whatever the provider is doing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./fixtures/exit-during-fetch.mjs', import.meta.url));
const keys = fileURLToPath(new URL('../../tests/keys', import.meta.url));
const variants = ['signing-rsa', 'signing-ec', 'backoff-rsa', 'pending-rsa', 'pending-ec'];

function run(variant) {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, keys, variant], { timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ variant, status: err ? err.code : 0, signal: err?.signal ?? null, stderr: stderr.slice(-800) });
    });
  });
}

test('process.exit with a fetch in flight exits with its own status, 50 times out of 50', async () => {
  const runs = variants.flatMap((v) => Array(10).fill(v));
  const results = [];
  for (let i = 0; i < runs.length; i += 2) results.push(...(await Promise.all(runs.slice(i, i + 2).map(run))));
  assert.equal(results.length, 50);
  const bad = results.filter((r) => r.status !== 7 || r.signal !== null);
  assert.deepEqual(bad, []);
});
