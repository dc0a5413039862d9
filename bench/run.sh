#!/usr/bin/env bash
# Benchmarks, every peer in the same run on the same machine: the core (criterion, both backends)
# next to `openssl speed` on one core; the Python and Node modules next to PyJWT, jose and the AWS MSK
# signers; the WASI component under wasmtime and jco; the local endpoint under wrk next to the
# kafka-auth-handler stand-in; the Envoy plugin next to Envoy's pass-through, a no-op wasm filter and credential_injector;
# import cost. Rewrites BENCHMARKS.md.
# Usage: bench/run.sh [seconds-per-measurement]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-3}
OUT=target/bench-run
mkdir -p "$OUT"
PY=${PY:-.venv/bin/python}

echo "== core (criterion, cached signers, both backends)" >&2
cargo bench -q --all-features -p oauthbearer --bench sign -- \
  --warm-up-time 1 --measurement-time "$SECONDS_PER" --noplot >"$OUT/criterion.txt"

echo "== RS256 natively with 32- and 64-bit big-number digits (the floor beside the component's RSA)" >&2
for features in "" "--features u64"; do
  # shellcheck disable=SC2086
  cargo run -q --release --manifest-path bench/rsa-digits/Cargo.toml --target-dir target $features -- "$SECONDS_PER"
done >"$OUT/rsa_digits.jsonl"

echo "== openssl speed (one process, one core)" >&2
openssl speed -seconds "$SECONDS_PER" rsa2048 ecdsap256 >"$OUT/openssl.txt" 2>/dev/null
openssl version >"$OUT/openssl-version.txt"

echo "== RSA against OpenSSL, interleaved: openssl speed, ours (aws-lc-rs), cryptography's PSS; 5 rounds" >&2
cargo build -q --release -p oauthbearer --example rsa_round
rm -f "$OUT"/rsa_rounds.*
for round in 1 2 3 4 5; do
  openssl speed -seconds 1 rsa2048 >"$OUT/rsa_rounds.$round.openssl.txt" 2>/dev/null
  target/release/examples/rsa_round 1 >"$OUT/rsa_rounds.$round.ours.json"
  "$PY" bench/pyjwt_sign.py 1 PS256 >"$OUT/rsa_rounds.$round.cryptography.json"
done

echo "== PyJWT + cryptography (key objects reused)" >&2
"$PY" bench/pyjwt_sign.py "$SECONDS_PER" >"$OUT/pyjwt.json"

echo "== WASI component under wasmtime (release-built host)" >&2
make -s wasm
cargo run -q --release -p oauthbearer-wasm-host --example bench -- "$SECONDS_PER" >"$OUT/wasmtime.json"

echo "== WASI component under jco (Node)" >&2
(cd tests/wasm-host/js && npm install -s --no-audit --no-fund && node bench.js "$SECONDS_PER") >"$OUT/jco.json"

echo "== oauthbearer from Python next to aws-msk-iam-sasl-signer-python and PyJWT" >&2
(cd bench && "../$PY" python_peers.py "$SECONDS_PER") >"$OUT/python_peers.json"

echo "== oauthbearer from Node next to aws-msk-iam-sasl-signer-js and jose" >&2
node bench/node_peers.mjs "$SECONDS_PER" >"$OUT/node_peers.json"

echo "== the local token endpoint under load (wrk): native, previous http.server, kafka-auth-handler stand-in, bare hyper" >&2
(cd bench/kah-standin && go build -o ../../target/bench/kah-standin .)
cargo build -q --release -p bare-hyper
cargo build -q --release -p oauthbearer-server --example load
make -s sidecar
"$PY" bench/endpoint.py 5 >"$OUT/endpoint.json"

echo "== the Envoy plugin in a real Envoy: pass-through, no-op wasm filter, plugin, credential_injector (wrk)" >&2
make -s envoy-plugin noop-filter
"$PY" bench/envoy.py 5 >"$OUT/envoy.json"

echo "== a CPU-bound Python thread beside the endpoint serving 5k requests/s (the Beam-worker figure)" >&2
(cd bench && "../$PY" gil.py 5) >"$OUT/gil.json"

"$PY" bench/report.py "$OUT" >BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
