#!/usr/bin/env bash
# Packs the npm package in napi-rs's layout: the main package `oauthbearer` (JavaScript, types, the
# loader, the WebAssembly fallback) with an optional dependency on one package per platform (`oauthbearer-linux-x64-gnu`, the
# native addon only). napi's own commands make the platform packages; `npm pkg` adds the optional
# dependencies (all `napi pre-publish` does besides publishing). Usage: npm-pack.sh OUT_DIR ADDON_DIR
# ADDON_DIR holds the addons zig linked for release (`oauthbearer.<platform>.node`: glibc 2.17 like
# the wheel, or musl), not the development build; the main package depends on the platform packages
# that were packed.
set -euo pipefail
out=$(realpath "$1")
addons=$(realpath "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
napi="$root/node/node_modules/.bin/napi"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cd "$root/node"
cp package.json index.js index.d.ts oauthbearer.wasi.cjs wasi-worker.mjs "$stage/"
cp -r dist "$stage/dist"
cp "$root/README.md" "$root/LICENSE" "$stage/"
# The notices of the crates compiled into the addons: in the platform packages and the main one.
"$root/.venv/bin/python" "$root/tests/dist/sbom.py" --artifact "oauthbearer (npm)" --package oauthbearer-node \
  --target x86_64-unknown-linux-gnu --target aarch64-unknown-linux-gnu --target x86_64-unknown-linux-musl \
  --target aarch64-unknown-linux-musl --target wasm32-wasip1-threads --notices "$stage/THIRD-PARTY-NOTICES.txt"
mkdir "$stage/artifacts"
cp "$addons"/*.node "$stage/artifacts/"
cd "$stage"
# napi's commands want an addon for every configured target: configure the ones built.
node -e '
  const fs = require("fs");
  const triples = { "linux-x64-gnu": "x86_64-unknown-linux-gnu", "linux-arm64-gnu": "aarch64-unknown-linux-gnu",
                    "linux-x64-musl": "x86_64-unknown-linux-musl", "linux-arm64-musl": "aarch64-unknown-linux-musl" };
  const built = fs.readdirSync("artifacts").map((f) => triples[f.replace(/^oauthbearer\.|\.node$/g, "")]);
  const p = JSON.parse(fs.readFileSync("package.json"));
  p.napi.targets = p.napi.targets.filter((t) => built.includes(t));
  fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n");'
# napi reports each file it writes on stderr: keep that for a failure only.
"$napi" create-npm-dirs --npm-dir npm >"$stage/napi.log" 2>&1 || { cat "$stage/napi.log"; exit 1; }
"$napi" artifacts --output-dir artifacts --npm-dir npm >"$stage/napi.log" 2>&1 || { cat "$stage/napi.log"; exit 1; }
rm "$stage/napi.log"
# `napi artifacts` also leaves the addon next to the loader; the main package must not carry it.
rm -f ./*.node
# The WebAssembly fallback's module, added after `napi artifacts`, which takes *.wasm files away.
cp "$root/node/oauthbearer.wasm32-wasi.wasm" .
version=$(node -p 'require("./package.json").version')
for dir in npm/*/; do
  name=$(node -p "require('./${dir}package.json').name")
  cp LICENSE THIRD-PARTY-NOTICES.txt "$dir"
  (cd "$dir" && node -e 'const p = require("./package.json"); p.files.push("THIRD-PARTY-NOTICES.txt");
    require("fs").writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n")')
  npm pkg set "optionalDependencies.${name}=${version}"
  (cd "$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
done
npm pack --silent --pack-destination "$out" >/dev/null
ls "$out"/*.tgz
