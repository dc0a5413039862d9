// README "Use from WebAssembly": the component under jco in Node.
// npx jco transpile oauthbearer-<v>.wasm --name oauthbearer -o gen   (the component from make dist;
// target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm from make wasm). jco's output is ESM: run this as an
// ES module (.mjs, or "type": "module" in package.json).
import { providers } from './gen/oauthbearer.js';

/** An AWS MSK IAM token from credentials the host holds; `nowMs` is a BigInt. */
export function mskToken(credentials, region, nowMs) {
  try {
    const t = providers.mskToken(
      {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken, // undefined for long-term keys
        expiresAtMs: credentials.expiration ? BigInt(credentials.expiration.getTime()) : undefined,
      },
      { region, userAgent: { tag: 'ours' } },
      nowMs,
    );
    return { value: t.token, lifetimeMs: Number(t.expiresAtMs) };
  } catch (e) {
    // A guest error is a typed record with the core's stable code; it never holds a secret.
    throw new Error(`MSK token: ${e.payload?.code}: ${e.payload?.message}`);
  }
}
