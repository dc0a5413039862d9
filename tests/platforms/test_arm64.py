"""The aarch64 artifacts of `make dist` installed in an arm64 Debian 12 user space (`make arm64-root`:
mmdebstrap from Debian's mirror, entered with proot and qemu-aarch64-static, so no binfmt
registration is needed): pip installs the manylinux2014_aarch64 wheel and signs an assertion that
PyJWT verifies; npm installs the linux-arm64-gnu package and the arm64 Node signs one that jose
verifies; and npm, told each CPU and libc, picks the one platform package that fits. `make
platforms-test` runs these; `make test` runs the smoke part (the arm64 sidecar
binary under qemu-user, tests/kafka/test_image.py), since the aarch64 wheel and addon are built by
`make dist` only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "dist"))
from test_dist import DIST, KEYS, PUBLIC_ES256, SIGN, clean_env, only, run, version  # noqa: E402

ARM64_ROOT = ROOT / "target" / "arm64-root"


@pytest.fixture(scope="module", autouse=True)
def made() -> None:
    if not (ARM64_ROOT / "usr" / "bin" / "python3").exists():
        pytest.fail(f"{ARM64_ROOT} is missing: run `make arm64-root` (make platforms-test does)")
    if not list(DIST.glob("*manylinux2014_aarch64*.whl")):
        pytest.fail("the aarch64 artifacts are missing: run `make dist` (make platforms-test does)")


def arm64(command: list[str], share: list[Path], env: dict[str, str] | None = None, cwd: Path | str = "/") -> str:
    """`command` run by the arm64 user space's own programs, under qemu-user through proot, with the
    `share`d folders of this machine at the same paths inside (proot 5.1 does not translate the
    paths of `statx`, which Node uses, so a folder must be where both sides look for it)."""
    proot = ["proot", "-q", "qemu-aarch64-static", "-r", str(ARM64_ROOT), "-w", str(cwd)]
    for path in share:
        proot += ["-b", f"{path}:{path}"]
    done = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", "HOME=/root", *[f"{k}={v}" for k, v in (env or {}).items()],
                           *proot, *command], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_user_space_is_arm64():
    assert arm64(["/usr/bin/python3", "-c", "import platform; print(platform.machine())"], []).strip() == "aarch64"


def test_pip_installs_the_aarch64_wheel_and_signs_an_assertion_pyjwt_verifies(tmp_path):
    wheel = only("oauthbearer-*manylinux2014_aarch64*.whl")
    musl = only("oauthbearer-*musllinux_1_2_aarch64.whl")
    share = [DIST, KEYS, tmp_path]
    site = tmp_path / "site"
    # pip decides from the arm64 interpreter's own tags: the manylinux wheel fits glibc 2.36, the
    # musllinux one does not.
    with pytest.raises(AssertionError, match="is not a supported wheel on this platform"):
        arm64(["/usr/bin/python3", "-m", "pip", "install", "--no-index", "--target", str(tmp_path / "never"), str(musl)],
              share)
    arm64(["/usr/bin/python3", "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check",
           "--target", str(site), str(wheel)], share)
    properties = tmp_path / "client.properties"
    properties.write_text(
        "sasl.oauthbearer.token.endpoint.url=https://idp.example/token\n"
        f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'ec-p256.pkcs8.pem'}\n"
        "sasl.oauthbearer.assertion.algorithm=ES256\n"
        "sasl.oauthbearer.assertion.claim.iss=arm64\nsasl.oauthbearer.assertion.claim.sub=arm64\n"
        "sasl.oauthbearer.assertion.claim.aud=https://idp.example/token\n")
    out = arm64(["/usr/bin/python3", "-c", "import platform, oauthbearer._native as n; print(platform.machine(), "
                 "n.__file__.rsplit('/', 1)[-1])"], share, {"PYTHONPATH": str(site)})
    assert out.split() == ["aarch64", "_native.abi3.so"], out
    assertion = arm64(["/usr/bin/python3", "-m", "oauthbearer", "assertion", "--config", str(properties)], share,
                      {"PYTHONPATH": str(site)}).strip()
    claims = jwt.decode(assertion, PUBLIC_ES256, algorithms=["ES256"], audience="https://idp.example/token")
    assert claims["iss"] == claims["sub"] == "arm64"


PLATFORMS = ["linux-x64-gnu", "linux-arm64-gnu", "linux-x64-musl", "linux-arm64-musl"]


def npm_project(path: Path, cpu: str, libc: str) -> Path:
    """An npm project depending on the main tarball, installed as npm would on a `cpu`/`libc` host: the
    platform packages resolve to their tarballs (overrides stand in for the registry), and npm picks
    among them by their `os`, `cpu` and `libc` fields alone."""
    v = version()
    path.mkdir()
    manifest = {"name": "app", "version": "1.0.0", "private": True,
                "dependencies": {"oauthbearer": f"file:{DIST / f'oauthbearer-{v}.tgz'}"},
                "overrides": {f"oauthbearer-{p}": f"file:{DIST / f'oauthbearer-{p}-{v}.tgz'}" for p in PLATFORMS}}
    (path / "package.json").write_text(json.dumps(manifest))
    run("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--os=linux", f"--cpu={cpu}",
        f"--libc={libc}", cwd=path, env=clean_env(npm_config_cache=str(path.parent / "npm-cache")))
    return path


def test_npm_picks_the_one_platform_package_for_each_cpu_and_libc(tmp_path):
    for cpu, libc, platform in (("x64", "glibc", "linux-x64-gnu"), ("arm64", "glibc", "linux-arm64-gnu"),
                                ("x64", "musl", "linux-x64-musl"), ("arm64", "musl", "linux-arm64-musl")):
        project = npm_project(tmp_path / platform, cpu, libc)
        installed = {p.name for p in (project / "node_modules").iterdir() if p.name.startswith("oauthbearer-")}
        assert installed == {f"oauthbearer-{platform}"}, (cpu, libc, installed)


def test_npm_installs_the_arm64_package_and_signs_an_assertion_jose_verifies(tmp_path):
    project = npm_project(tmp_path / "app", "arm64", "glibc")
    program = f"const ob = require('oauthbearer');\nconsole.log(process.arch, ob.addonTarget);\n{SIGN}"
    out = arm64(["/usr/bin/node", "-e", program], [project, KEYS], {"KEY": str(KEYS / "ec-p256.pkcs8.pem")},
                cwd=project).split()
    assert out[:2] == ["arm64", "linux-arm64-gnu"], out
    # jose (the test's own, on this machine's Node) verifies what the arm64 addon signed.
    verify = ("import { compactVerify, importJWK } from 'jose';\n"
              f"const {{ d, ...jwk }} = {(KEYS / 'ec-p256.jwk.json').read_text()};  // the public part\n"
              f"const {{ payload }} = await compactVerify({json.dumps(out[2])}, await importJWK(jwk, 'ES256'));\n"
              "console.log(JSON.parse(new TextDecoder().decode(payload)).iss);")
    verified = subprocess.run(["node", "--input-type=module", "-e", verify], cwd=ROOT / "node", capture_output=True,
                              text=True, timeout=60)
    assert verified.returncode == 0 and verified.stdout.strip() == "dist", verified.stderr
