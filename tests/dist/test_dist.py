"""The installable artifacts of `make dist` (target/dist), installed where no Rust toolchain is:
cargo and rustc are not on PATH for any install or run here, so nothing can build from source.

* the wheel (abi3, manylinux2014) in a fresh venv with its ``[gcp,aws]`` extras from the registry:
  ``oauthbearer --help``, an assertion signed and verified, a token served by ``oauthbearer serve``;
* the npm main and platform tarballs in a fresh npm project: ``require`` and ``import``, an
  assertion signed; each tarball holds exactly the intended files;
* twine's metadata check, the checksums, one version everywhere and in the CHANGELOG."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import jwt
import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "target" / "dist"
KEYS = ROOT / "tests" / "keys"
#: No cargo, no rustc: only the system's programs (python3, node and npm live in /usr/bin or the
#: interpreter's own bin folder here, never next to cargo in ~/.cargo/bin).
CLEAN_PATH = os.pathsep.join(p for p in [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
                             if not (Path(p) / "cargo").exists() and not (Path(p) / "rustc").exists())


def version() -> str:
    return tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]


def only(pattern: str) -> Path:
    found = sorted(DIST.glob(pattern))
    assert len(found) == 1, (pattern, found, sorted(p.name for p in DIST.iterdir()) if DIST.is_dir() else "no dist")
    return found[0]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUSTUP", "VIRTUAL_ENV"))}
    return {**env, "PATH": CLEAN_PATH, **extra}


def run(*command, cwd=None, env=None, timeout=600) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_no_rust_toolchain_is_reachable():
    assert shutil.which("cargo", path=CLEAN_PATH) is None and shutil.which("rustc", path=CLEAN_PATH) is None


def test_one_version_everywhere_and_in_the_changelog():
    v = version()
    assert json.loads((ROOT / "node" / "package.json").read_text())["version"] == v
    assert f"package kafka:oauthbearer@{v};" in (ROOT / "wit" / "oauthbearer.wit").read_text()
    assert tomllib.loads((ROOT / "python" / "pyproject.toml").read_text())["project"]["dynamic"] == ["version"]
    with zipfile.ZipFile(only("oauthbearer-*.whl")) as wheel:
        metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        assert f"\nVersion: {v}\n" in wheel.read(metadata).decode()
    assert re.search(rf"^## {re.escape(v)} ", (ROOT / "CHANGELOG.md").read_text(), re.M), "CHANGELOG has no entry"
    for name in (f"oauthbearer-{v}.tgz", f"oauthbearer-linux-x64-gnu-{v}.tgz", f"oauthbearer-{v}.wasm",
                 f"kafka-oauthbearer-{v}.wit", f"oauthbearer-envoy-{v}.wasm", f"oauthbearer-{v}.tar.gz",
                 f"oauthbearer-sidecar-{v}-x86_64-linux-musl", f"oauthbearer-sidecar-{v}-aarch64-linux-musl",
                 f"oauthbearer-sidecar-{v}.oci.tar"):
        assert (DIST / name).is_file(), name


def test_checksums_cover_every_artifact():
    listed = {}
    for line in (DIST / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    assert set(listed) == {p.name for p in DIST.iterdir() if p.name != "SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((DIST / name).read_bytes()).hexdigest() == digest, name


def test_the_static_sidecar_binary_runs_in_an_empty_root():
    """No dynamic dependency: the x86_64 binary alone, chrooted in a folder with nothing else (no
    libc, no loader, no /etc), prints its version."""
    root = DIST.parent / "static-root"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    shutil.copy2(DIST / f"oauthbearer-sidecar-{version()}-x86_64-linux-musl", root / "oauthbearer-sidecar")
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    done = subprocess.run([chroot, str(root), "/oauthbearer-sidecar", "--version"], capture_output=True, text=True,
                          env={}, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"oauthbearer-sidecar {version()}", done.stderr
    shutil.rmtree(root)


def test_every_artifact_has_a_cyclonedx_sbom_of_what_it_carries():
    artifacts = [p for p in DIST.iterdir() if p.name != "SHA256SUMS" and not p.name.endswith(".cdx.json")]
    boms = {p.name: json.loads((DIST / f"{p.name}.cdx.json").read_text()) for p in artifacts}
    for name, bom in boms.items():
        assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6", name
        assert bom["metadata"]["component"]["name"] == name
    names = {name: {c["name"] for c in bom.get("components", [])} for name, bom in boms.items()}
    v = version()
    assert {"aws-config", "google-cloud-auth", "azure_identity", "aws-lc-rs"} <= names[
        f"oauthbearer-sidecar-{v}-x86_64-linux-musl"]
    assert "ca-certificates" in names[f"oauthbearer-sidecar-{v}.oci.tar"], "the image's CA certificates"
    wasm = names[f"oauthbearer-{v}.wasm"]
    assert "p256" in wasm and "aws-lc-rs" not in wasm and "pyo3" not in wasm, "this artifact's features only"
    assert "pyo3" in names[only("oauthbearer-*.whl").name] and "napi" in names[f"oauthbearer-linux-x64-gnu-{v}.tgz"]
    fallback = names[f"oauthbearer-{v}.tgz"]  # the WebAssembly build of the napi crate
    assert {"napi", "p256"} <= fallback and "aws-lc-rs" not in fallback and "mimalloc" not in fallback
    assert names[f"kafka-oauthbearer-{v}.wit"] == set()
    assert not any("(proc-macro)" in n or n in ("serde_derive", "thiserror-impl") for n in wasm), "compile-time only"
    # Against CycloneDX's 1.6 schema (seconds per document: the two largest kinds).
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for name in (f"oauthbearer-sidecar-{v}.oci.tar", only("oauthbearer-*.whl").name):
        assert validator.validate_str((DIST / f"{name}.cdx.json").read_text()) is None, name


def test_the_wheel_carries_the_licence_and_the_notices_of_its_crates():
    with zipfile.ZipFile(only("oauthbearer-*.whl")) as wheel:
        assert "Apache License" in wheel.read("oauthbearer/LICENSE").decode()
        notices = wheel.read("oauthbearer/THIRD-PARTY-NOTICES.txt").decode()
    assert notices.startswith("Third-party notices for oauthbearer (wheel)")
    assert "pyo3 " in notices and "Permission is hereby granted" in notices


def test_twine_accepts_the_wheel_and_the_sdist():
    out = run(sys.executable, "-m", "twine", "check", "--strict", only("oauthbearer-*.whl"),
              only("oauthbearer-*.tar.gz"))
    assert out.count("PASSED") == 2, out


def test_the_wheel_is_abi3_and_manylinux2014():
    """glibc 2.17 (manylinux2014): pip takes it on RHEL/CentOS 7+, Debian 9+, Ubuntu 16.04+ and the
    Beam and Dataflow images; abi3: one wheel for CPython 3.9 and later."""
    assert re.fullmatch(r"oauthbearer-[\d.]+-cp39-abi3-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl",
                        only("oauthbearer-*.whl").name)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv with the wheel and its [gcp,aws] extras (from the registry)."""
    home = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", home / "v")
    python = home / "v" / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{only('oauthbearer-*.whl')}[gcp,aws]")
    return home / "v" / "bin"


def test_the_wheel_runs_its_command_signs_and_serves_in_a_clean_venv(venv, tmp_path):
    assert "serve" in run(venv / "oauthbearer", "--help")
    run(venv / "python", "-c", "import google.auth, botocore, oauthbearer._native")  # the extras came along
    properties = tmp_path / "client.properties"
    properties.write_text("sasl.oauthbearer.token.endpoint.url=https://idp.example/token\n"
                          f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'ec-p256.pkcs8.pem'}\n"
                          "sasl.oauthbearer.assertion.algorithm=ES256\n"
                          "sasl.oauthbearer.assertion.claim.iss=dist\nsasl.oauthbearer.assertion.claim.sub=dist\n"
                          "sasl.oauthbearer.assertion.claim.aud=https://idp.example/token\n")
    assertion = run(venv / "oauthbearer", "assertion", "--config", properties).strip()
    public = jwt.PyJWK(json.loads((KEYS / "ec-p256.jwk.json").read_text()), "ES256")
    claims = jwt.decode(assertion, public, algorithms=["ES256"], audience="https://idp.example/token")
    assert claims["iss"] == claims["sub"] == "dist"

    serve = subprocess.Popen([venv / "oauthbearer", "serve", "--port", "0", "--no-access-log"], env=clean_env(PROVIDER=""),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = serve.stdout.readline().rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), url
        request = urllib.request.Request(f"{url}/token", data=b"grant_type=client_credentials&client_id=dist",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            token = json.loads(answer.read())["access_token"]
    finally:
        serve.terminate()
        serve.wait(10)
    payload = token.split(".")[1]
    # The embedded issuer's token for the client id asked for.
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"] == "dist"


def test_the_wheel_never_crashes_at_exit(venv):
    """Issue 25: the zig-linked wheel segfaulted when the interpreter exited during a fetch; the
    development build never did, so this runs with the wheel itself."""
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from exit_cases import VARIANTS, failures, run_exit_cases

    results = run_exit_cases(venv / "python", env=clean_env())
    assert len(results) >= 50 and {r[0] for r in results} == set(VARIANTS)
    assert not failures(results), failures(results)[:3]


def tar_names(path: Path) -> set[str]:
    with tarfile.open(path) as tar:
        return {name.removeprefix("package/") for name in tar.getnames()}


def test_the_npm_tarballs_hold_only_the_intended_files():
    v = version()
    main = tar_names(DIST / f"oauthbearer-{v}.tgz")
    built = {f"dist/{p.name}" for p in (ROOT / "node" / "dist").iterdir()}
    notices = {"LICENSE", "THIRD-PARTY-NOTICES.txt"}
    fallback = {"oauthbearer.wasi.cjs", "wasi-worker.mjs", "oauthbearer.wasm32-wasi.wasm"}
    assert main == {"package.json", "README.md", "index.js", "index.d.ts", *notices, *built, *fallback}, main
    assert not any(name.endswith(".node") for name in main), "the addon belongs to the platform package"
    assert tar_names(DIST / f"oauthbearer-linux-x64-gnu-{v}.tgz") == {"package.json", "README.md", *notices,
                                                                        "oauthbearer.linux-x64-gnu.node"}
    with tarfile.open(DIST / f"oauthbearer-{v}.tgz") as tar:
        manifest = json.load(tar.extractfile("package/package.json"))
    assert manifest["optionalDependencies"] == {"oauthbearer-linux-x64-gnu": v}


def test_the_npm_addon_needs_glibc_2_17_like_the_wheel(tmp_path):
    """Linked by zig against glibc 2.17, as the wheel: it loads on Amazon Linux 2, RHEL/CentOS 7+ and
    Debian 9+ (the development build asks for this machine's glibc: 2.34 here)."""
    with tarfile.open(DIST / f"oauthbearer-linux-x64-gnu-{version()}.tgz") as tar:
        addon = tmp_path / "addon.node"
        addon.write_bytes(tar.extractfile("package/oauthbearer.linux-x64-gnu.node").read())
    needs = set(re.findall(r"GLIBC_(\d+)\.(\d+)", run("readelf", "-V", str(addon))))
    assert needs and max((int(a), int(b)) for a, b in needs) <= (2, 17), sorted(needs)


SIGN = """
const properties = [
  ['sasl.oauthbearer.token.endpoint.url', 'https://idp.example/token'],
  ['sasl.oauthbearer.assertion.algorithm', 'ES256'],
  ['sasl.oauthbearer.assertion.private.key.file', '/k.pem'],
  ['sasl.oauthbearer.assertion.claim.iss', 'dist'], ['sasl.oauthbearer.assertion.claim.sub', 'dist'],
  ['sasl.oauthbearer.assertion.claim.aud', 'https://idp.example/token'],
];
const key = require('node:fs').readFileSync(process.env.KEY);
const signer = ob.assertions.AssertionSigner.fromProperties(properties, 'kafka-java', key, undefined,
  { mode: 'strict', typ: 'jwt' });
console.log(signer.sign(BigInt(Date.now())).assertion);
"""


PUBLIC_ES256 = jwt.PyJWK(json.loads((KEYS / "ec-p256.jwk.json").read_text()), "ES256")


def npm_installed(tmp_path: Path, *arguments) -> tuple[Path, dict[str, str]]:
    """A fresh npm project with `npm install ARGUMENTS`, and the environment its programs run in."""
    project = tmp_path / "app"
    project.mkdir()
    env = clean_env(KEY=str(KEYS / "ec-p256.pkcs8.pem"), npm_config_cache=str(tmp_path / "npm-cache"))
    run("npm", "init", "-y", cwd=project, env=env)
    run("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *arguments, cwd=project, env=env)
    return project, env


def test_the_npm_tarballs_install_and_sign_in_a_clean_project(tmp_path):
    v = version()
    project, env = npm_installed(tmp_path, DIST / f"oauthbearer-{v}.tgz", DIST / f"oauthbearer-linux-x64-gnu-{v}.tgz")
    for program in (f"const ob = require('oauthbearer');\n{SIGN}",
                    f"import * as ob from 'oauthbearer';\nimport {{ createRequire }} from 'node:module';\n"
                    f"const require = createRequire(import.meta.url);\n{SIGN}"):
        flag = "--input-type=module" if program.startswith("import") else "--input-type=commonjs"
        assertion = run("node", flag, "-e", program, cwd=project, env=env).strip()
        claims = jwt.decode(assertion, PUBLIC_ES256, algorithms=["ES256"], audience="https://idp.example/token")
        assert claims["iss"] == "dist"


def test_the_npm_main_package_alone_signs_through_its_webassembly_fallback(tmp_path):
    """As on macOS or Windows: no platform package installs, so the loader takes the WebAssembly build."""
    project, env = npm_installed(tmp_path, "--omit=optional", DIST / f"oauthbearer-{version()}.tgz")
    assert not (project / "node_modules" / "oauthbearer-linux-x64-gnu").exists()
    program = f"const ob = require('oauthbearer');\nconsole.log(ob.addonTarget);\n{SIGN}"
    done = subprocess.run(["node", "-e", program], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    target, assertion = done.stdout.split()
    assert target == "wasm32-wasi" and done.stderr == ""
    claims = jwt.decode(assertion, PUBLIC_ES256, algorithms=["ES256"], audience="https://idp.example/token")
    assert claims["iss"] == "dist"
