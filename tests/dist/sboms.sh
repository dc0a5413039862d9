#!/usr/bin/env bash
# A CycloneDX SBOM next to every artifact in DIST (ARTIFACT.cdx.json): the crates compiled into it
# (tests/dist/sbom.py), none for what carries no compiled code. Usage: sboms.sh DIST PYTHON
set -euo pipefail
dist=$1 python=$2
here=$(cd "$(dirname "$0")" && pwd)
for path in "$dist"/*; do
  name=$(basename "$path")
  case $name in
    *.cdx.json|SHA256SUMS) continue ;;
    *manylinux2014_x86_64*.whl|oauthbearer-*.tar.gz) set -- oauthbearer-python x86_64-unknown-linux-gnu ;;
    *manylinux2014_aarch64*.whl) set -- oauthbearer-python aarch64-unknown-linux-gnu ;;
    *musllinux_1_2_x86_64.whl) set -- oauthbearer-python x86_64-unknown-linux-musl ;;
    *musllinux_1_2_aarch64.whl) set -- oauthbearer-python aarch64-unknown-linux-musl ;;
    oauthbearer-linux-x64-gnu-*.tgz) set -- oauthbearer-node x86_64-unknown-linux-gnu ;;
    oauthbearer-linux-arm64-gnu-*.tgz) set -- oauthbearer-node aarch64-unknown-linux-gnu ;;
    oauthbearer-linux-x64-musl-*.tgz) set -- oauthbearer-node x86_64-unknown-linux-musl ;;
    oauthbearer-linux-arm64-musl-*.tgz) set -- oauthbearer-node aarch64-unknown-linux-musl ;;
    oauthbearer-envoy-*.wasm) set -- oauthbearer-envoy wasm32-wasip1 ;;
    oauthbearer-sidecar-*-x86_64-linux-musl) set -- oauthbearer-sidecar x86_64-unknown-linux-musl ;;
    oauthbearer-sidecar-*-aarch64-linux-musl) set -- oauthbearer-sidecar aarch64-unknown-linux-musl ;;
    *.oci.tar) continue ;;  # make image writes its SBOM (both architectures, Debian's CA certificates)
    oauthbearer-*.wasm) set -- oauthbearer-wasi wasm32-wasip2 ;;
    oauthbearer-*.tgz) set -- oauthbearer-node wasm32-wasip1-threads ;;  # the WebAssembly fallback
    *.wit) set -- none none ;;  # the WIT text
    *) echo "sboms.sh: no SBOM rule for $name" >&2; exit 1 ;;
  esac
  "$python" "$here/sbom.py" --artifact "$name" --package "$1" --target "$2" --sbom "$path.cdx.json"
done
