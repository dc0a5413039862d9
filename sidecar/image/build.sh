#!/usr/bin/env bash
# Builds the sidecar image for linux/amd64 and linux/arm64 from the static binaries and writes the
# multi-arch index as one OCI archive (`podman load`, `docker load`, `skopeo copy` to a registry).
#   build.sh OUT_ARCHIVE AMD64_BINARY ARM64_BINARY DOC_DIR
# Leaves localhost/oauthbearer-sidecar:$VERSION-amd64 and -arm64 in podman's storage (the tests run
# the amd64 one). Reproducible: every timestamp is the commit's (SOURCE_DATE_EPOCH).
set -euo pipefail
out=$1 amd64=$2 arm64=$3 doc=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
name=localhost/oauthbearer-sidecar
ca=/etc/ssl/certs/ca-certificates.crt
test -s "$ca" || { echo "build.sh: $ca is missing (Debian's ca-certificates)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A list of an earlier build, or the image `podman load` made of the archive, under the same name.
podman manifest rm "$name:$version" >/dev/null 2>&1 || podman rmi "$name:$version" >/dev/null 2>&1 || true
podman manifest create "$name:$version" >/dev/null
for arch in amd64 arm64; do
  binary=$amd64; [ "$arch" = arm64 ] && binary=$arm64
  context=$work/$arch
  mkdir -p "$context/etc/ssl/certs" "$context/home/nonroot" "$context/doc"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
    > "$context/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$context/etc/group"
  cp "$ca" "$context/etc/ssl/certs/ca-certificates.crt"
  cp -r "$doc"/. "$context/doc/"
  install -m 0755 "$binary" "$context/oauthbearer-sidecar"
  podman build -q --platform "linux/$arch" --timestamp "$epoch" -f "$here/Containerfile" -t "$name:$version-$arch" \
    --label org.opencontainers.image.title=oauthbearer-sidecar \
    --label "org.opencontainers.image.description=Kafka SASL/OAUTHBEARER token endpoint (kafka-auth-handler compatible): KIP-1258 assertions, Google, AWS MSK, Azure Event Hubs" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.created=$created" \
    --label org.opencontainers.image.licenses=Apache-2.0 \
    --label org.opencontainers.image.source=https://github.com/oauthbearer/oauthbearer \
    --label org.opencontainers.image.url=https://github.com/oauthbearer/oauthbearer \
    --label "org.opencontainers.image.documentation=https://github.com/oauthbearer/oauthbearer#run-the-image" \
    "$context" >/dev/null
  podman manifest add "$name:$version" "containers-storage:$name:$version-$arch" >/dev/null
done
rm -f "$out"
# The reference inside the archive names what `podman load` creates: localhost/oauthbearer-sidecar:$version.
podman manifest push -q --all "$name:$version" "oci-archive:$out:oauthbearer-sidecar:$version"
echo "image: $out ($(du -m "$out" | cut -f1) MiB; linux/amd64 + linux/arm64)"
