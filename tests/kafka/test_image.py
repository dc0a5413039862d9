"""The sidecar image (`make image`) as users run it, with podman (runc, cgroupfs: what runs here):
kafka-auth-handler's run line, Kafka's Java client through the real broker, `/readyz` before the
first token, a non-root process, a clean stop on SIGTERM, the multi-arch OCI archive, and the
static arm64 binary answering under qemu-user."""

from __future__ import annotations

import base64
import calendar
import io
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import ASSERTION_CLIENTS, ROOT, free_port, run_java
from test_e2e import java_base, safe

sys.path.insert(0, str(ROOT / "tests" / "support"))
from steered_idp import SteeredIdp  # noqa: E402

import jwt as pyjwt  # noqa: E402
from oauthbearer import _native  # noqa: E402

VERSION = next(line.split('"')[1] for line in (ROOT / "Cargo.toml").read_text().splitlines()
               if line.startswith("version = "))
IMAGE = f"localhost/oauthbearer-sidecar:{VERSION}-amd64"
ARCHIVE = ROOT / "target" / "image" / f"oauthbearer-sidecar-{VERSION}.oci.tar"
STATIC = {"amd64": ROOT / "target" / "x86_64-unknown-linux-musl" / "release" / "oauthbearer-sidecar",
          "arm64": ROOT / "target" / "aarch64-unknown-linux-musl" / "release" / "oauthbearer-sidecar"}
# runc and the cgroupfs manager, and limits no higher than the sandbox's (containers-and-platforms.md).
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"]
LIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]
AWS_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
NONROOT = 65532


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    for path in (ARCHIVE, *STATIC.values()):
        if not path.is_file():
            pytest.fail(f"{path} is missing: run `make image` (the test command does)")
    if subprocess.run(PODMAN + ["image", "exists", IMAGE]).returncode != 0:
        pytest.fail(f"{IMAGE} is not in podman's storage: run `make image`")


class Container:
    """`podman run IMAGE` in the foreground: its stdout's first line is the binary's ready line."""

    def __init__(self, run_args: list[str], args: list[str] = (), env: dict | None = None, image: str = IMAGE) -> None:
        self.name = f"oauthbearer-test-{uuid.uuid4().hex[:12]}"
        self.proc = subprocess.Popen(PODMAN + ["run", "--rm", "--name", self.name, *LIMITS, *run_args, image, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.ready = self.proc.stdout.readline()
        self.stderr = ""
        if "serving" not in self.ready:
            self.stop()
            raise AssertionError(f"the image did not serve: {self.ready!r} {self.stderr[-3000:]}")

    def inspect(self, template: str) -> str:
        return subprocess.run(PODMAN + ["inspect", "-f", template, self.name], capture_output=True, text=True,
                              check=True).stdout.strip()

    def stop(self) -> int:
        """`podman stop`: SIGTERM (the image's STOPSIGNAL), SIGKILL only after 20 s."""
        subprocess.run(PODMAN + ["stop", "-t", "20", self.name], capture_output=True, timeout=60)
        try:
            status = self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                subprocess.run(PODMAN + ["rm", "-f", self.name], capture_output=True, timeout=60)
                self.proc.kill()
            _out, self.stderr = self.proc.communicate(timeout=30)
        return status


def get(url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as reply:
        return reply.code, reply.read().decode()


def test_kafka_auth_handlers_run_line_works_with_the_image(tmp_path):
    """`-p 14293:14293 -e PROVIDER=aws -e REGION=…`, as its README writes it (the port published on
    the host's loopback here). The keys reach podman from its environment, never its command line."""
    port = free_port()
    started = time.time()
    container = Container(["-p", f"127.0.0.1:{port}:14293", "-e", "PROVIDER=aws", "-e", "REGION=eu-west-1",
                           "-e", "AWS_ACCESS_KEY_ID", "-e", "AWS_SECRET_ACCESS_KEY",
                           "-e", "AWS_EC2_METADATA_DISABLED=true"], env=AWS_KEYS)
    try:
        assert container.ready.strip().endswith("http://0.0.0.0:14293"), container.ready
        status, body = get(f"http://127.0.0.1:{port}/")
        assert status == 200, body
        answer_ = json.loads(body)
        assert list(answer_) == ["access_token", "expires_in", "token_type"], "kafka-auth-handler's layout"
        url = base64.urlsafe_b64decode(answer_["access_token"] + "==").decode()
        # The same bytes the core signs for these keys at the URL's own X-Amz-Date.
        stamp = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Date"][0]
        at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        assert started - 5 <= at <= time.time() + 5
        ours = _native.msk_token(AWS_KEYS["AWS_ACCESS_KEY_ID"], AWS_KEYS["AWS_SECRET_ACCESS_KEY"], None, None,
                                 "eu-west-1", int(at) * 1000)
        assert answer_["access_token"] == ours.value
        assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    finally:
        assert container.stop() == 0, container.stderr
    assert "listening on every interface (0.0.0.0)" in container.stderr, "the bind is named, with the fix"
    assert AWS_KEYS["AWS_SECRET_ACCESS_KEY"] not in container.stderr


def readme_block(first_line: str) -> str:
    """The README's shell block starting with `first_line` (python/tests/test_readme.py checks
    that every block is claimed by a test; this file claims this one)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    (found,) = [b for b in blocks if b.startswith(first_line)]
    return found


def test_the_readmes_load_and_run_lines_work_as_written(tmp_path):
    """README "Run the image": `podman load` of the archive, then the run line, with this machine's
    podman flags (runc, cgroupfs, limits), the archive's path, the version and a free host port."""
    text = readme_block("podman load -i oauthbearer-sidecar-<v>.oci.tar")
    port = free_port()
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line.replace("oauthbearer-sidecar-<v>.oci.tar", str(ARCHIVE)).replace("<v>", VERSION)
                            .replace("127.0.0.1:14293:14293", f"127.0.0.1:{port}:14293"), comments=True)
        commands.append(words)
    (load, run) = commands
    assert load[:2] == ["podman", "load"]
    loaded = subprocess.run(PODMAN + load[1:], capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0 and f"localhost/oauthbearer-sidecar:{VERSION}" in loaded.stdout, loaded.stderr
    assert run[:2] == ["podman", "run"] and run[-1] == f"localhost/oauthbearer-sidecar:{VERSION}"
    container = Container(run[2:-1], env=AWS_KEYS, image=run[-1])
    try:
        status, body = get(f"http://127.0.0.1:{port}/token")
        assert status == 200 and json.loads(body)["access_token"], body
    finally:
        assert container.stop() == 0, container.stderr


def kip1258_config(tmp_path: Path, token_url: str, key: Path) -> Path:
    config = tmp_path / "client.properties"
    config.write_text("\n".join([
        f"sasl.oauthbearer.token.endpoint.url={token_url}", "sasl.oauthbearer.assertion.algorithm=ES256",
        "sasl.oauthbearer.assertion.private.key.file=/config/client.key",
        "sasl.oauthbearer.assertion.claim.iss=java-es256", "sasl.oauthbearer.assertion.claim.sub=java-es256",
        f"sasl.oauthbearer.assertion.claim.aud={token_url}", "sasl.oauthbearer.assertion.claim.jti.include=true",
        "sasl.oauthbearer.client.credentials.client.id=java-es256",
        "sasl.login.retry.backoff.ms=50", "sasl.login.retry.backoff.max.ms=200"]) + "\n")
    config.chmod(0o644)
    return config


def host_network(config: Path, key: Path, port: int) -> list[str]:
    """The host's network (the test broker and IdP listen on its loopback), bound to loopback there;
    the client's properties and key mounted read-only, readable by the image's non-root user."""
    return ["--network", "host", "-e", "OAUTHBEARER_HOST=127.0.0.1", "-e", f"PORT={port}",
            "-v", f"{config}:/config/client.properties:ro", "-v", f"{key}:/config/client.key:ro"]


def test_the_image_serves_the_java_client_through_the_broker(broker, issuer, topic, tmp_path):
    port = free_port()
    config = kip1258_config(tmp_path, issuer.token_url, ASSERTION_CLIENTS["java-es256"])
    container = Container(host_network(config, ASSERTION_CLIENTS["java-es256"], port),
                          ["--provider", "assertion", "--config", "/config/client.properties"])
    try:
        props = {**java_base(broker), "sasl.oauthbearer.token.endpoint.url": f"http://127.0.0.1:{port}/token",
                 "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                     'clientId="beam" clientSecret="unused";'}
        result = run_java(issuer, props, "roundtrip", safe(topic))
        assert "consumed" in result, f"{result}; broker log: {broker.log}"
        assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    finally:
        assert container.stop() == 0, container.stderr
    assert "POST /token 200 " in container.stderr, "the access log names the Java client's fetch"


def test_readyz_gates_on_the_first_token_as_a_non_root_process_that_stops_cleanly_on_sigterm(tmp_path):
    idp = SteeredIdp()  # holds its first answer until released
    port = free_port()
    config = kip1258_config(tmp_path, idp.url, ASSERTION_CLIENTS["java-es256"])
    container = Container(host_network(config, ASSERTION_CLIENTS["java-es256"], port),
                          ["--provider", "assertion", "--config", "/config/client.properties"])
    try:
        assert idp.received.wait(20), "the first fetch starts at once"
        status, body = get(f"http://127.0.0.1:{port}/readyz")
        assert status == 503 and json.loads(body)["code"] == "token_pending", body
        assert get(f"http://127.0.0.1:{port}/livez")[0] == 200
        idp.release.set()
        end = time.monotonic() + 20
        while (status := get(f"http://127.0.0.1:{port}/readyz")[0]) != 200 and time.monotonic() < end:
            time.sleep(0.05)  # polling the fetch's completion, not synchronizing
        assert status == 200

        # Every id of the serving process, read from the host's /proc.
        pid = int(container.inspect("{{.State.Pid}}"))
        ids = {line.split()[0]: line.split()[1:] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith(("Uid:", "Gid:"))}
        assert ids == {"Uid:": [str(NONROOT)] * 4, "Gid:": [str(NONROOT)] * 4}, ids
        assert container.inspect("{{.Config.User}}") == f"{NONROOT}:{NONROOT}"

        started = time.monotonic()
        assert container.stop() == 0, container.stderr
        assert time.monotonic() - started < 15, "stopped by SIGTERM, not killed after podman's timeout"
    finally:
        container.stop()
        idp.close()
    assert "signal: shutting down" in container.stderr


def blob(archive: tarfile.TarFile, descriptor: dict) -> bytes:
    return archive.extractfile("blobs/" + descriptor["digest"].replace(":", "/")).read()


def elf_facts(data: bytes) -> tuple[int, set[int]]:
    """(e_machine, the program header types) of a 64-bit little-endian ELF file."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    machine = struct.unpack_from("<H", data, 18)[0]
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    types = {struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)}
    return machine, types


PT_DYNAMIC, PT_INTERP = 2, 3
MACHINES = {"amd64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64


def test_the_archive_is_a_multi_arch_oci_index_of_static_non_root_images():
    with tarfile.open(ARCHIVE) as archive:
        layout = json.loads(archive.extractfile("oci-layout").read())
        assert layout["imageLayoutVersion"] == "1.0.0"
        top = json.loads(archive.extractfile("index.json").read())
        (entry,) = top["manifests"]
        # What `podman load` names it: localhost/oauthbearer-sidecar:VERSION.
        assert entry["annotations"]["org.opencontainers.image.ref.name"] == f"oauthbearer-sidecar:{VERSION}"
        index = json.loads(blob(archive, entry))
        assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
        platforms = {f'{m["platform"]["os"]}/{m["platform"]["architecture"]}': m for m in index["manifests"]}
        assert set(platforms) == {"linux/amd64", "linux/arm64"}
        for arch in ("amd64", "arm64"):
            manifest = json.loads(blob(archive, platforms[f"linux/{arch}"]))
            config = json.loads(blob(archive, manifest["config"]))
            assert config["architecture"] == arch and config["os"] == "linux"
            labels = config["config"]["Labels"]
            assert labels["org.opencontainers.image.version"] == VERSION
            assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
            assert len(labels["org.opencontainers.image.revision"]) == 40
            for key in ("title", "description", "created", "source"):
                assert labels[f"org.opencontainers.image.{key}"], key
            assert config["config"]["User"] == f"{NONROOT}:{NONROOT}"
            assert config["config"]["Entrypoint"] == ["/usr/local/bin/oauthbearer-sidecar"]
            assert "OAUTHBEARER_HOST=0.0.0.0" in config["config"]["Env"]
            files = {}
            for layer in manifest["layers"]:
                with tarfile.open(fileobj=io.BytesIO(blob(archive, layer))) as tar:
                    for member in tar.getmembers():
                        files[member.name.lstrip("./")] = (member, tar.extractfile(member).read()
                                                           if member.isfile() else b"")
            binary = files["usr/local/bin/oauthbearer-sidecar"][1]
            assert binary == STATIC[arch].read_bytes(), "the static binary make image built"
            machine, types = elf_facts(binary)
            assert machine == MACHINES[arch] and PT_INTERP not in types and PT_DYNAMIC not in types, \
                "static: no interpreter, no dynamic section"
            assert b"BEGIN CERTIFICATE" in files["etc/ssl/certs/ca-certificates.crt"][1]
            assert f"nonroot:x:{NONROOT}:{NONROOT}:".encode() in files["etc/passwd"][1]
            assert files["home/nonroot"][0].uid == NONROOT
            assert b"Apache License" in files["usr/share/doc/oauthbearer-sidecar/LICENSE"][1]
            notices = files["usr/share/doc/oauthbearer-sidecar/THIRD-PARTY-NOTICES.txt"][1].decode()
            assert "aws-config " in notices and "Debian package ca-certificates" in notices
            sbom = json.loads(files["usr/share/doc/oauthbearer-sidecar/sbom.cdx.json"][1])
            assert sbom["metadata"]["component"]["name"] == ARCHIVE.name
            assert not any(name.startswith(("bin/", "usr/bin/", "sbin/")) for name in files), "no shell, no tools"


def test_podman_loads_the_archive_into_a_store_of_its_own():
    # podman refuses a run root path longer than 50 characters: pytest's tmp_path is longer.
    store_dir = Path(tempfile.mkdtemp(prefix="ob-store-"))
    store = ["--root", str(store_dir / "root"), "--runroot", str(store_dir / "run"), "--storage-driver", "vfs"]
    try:
        loaded = subprocess.run(PODMAN + store + ["load", "-i", str(ARCHIVE)], capture_output=True, text=True,
                                timeout=300)
        assert loaded.returncode == 0, loaded.stderr
        assert f"Loaded image: localhost/oauthbearer-sidecar:{VERSION}" in loaded.stdout, loaded.stdout
        labels = subprocess.run(PODMAN + store + ["inspect", "-f", "{{json .Labels}}",
                                                  f"localhost/oauthbearer-sidecar:{VERSION}"],
                                capture_output=True, text=True, check=True).stdout
        assert json.loads(labels)["org.opencontainers.image.version"] == VERSION
    finally:
        subprocess.run(PODMAN + store + ["system", "reset", "--force"], capture_output=True, timeout=120)
        shutil.rmtree(store_dir, ignore_errors=True)


def test_the_arm64_binary_answers_a_token_request_under_qemu_user(tmp_path):
    clients = tmp_path / "clients.txt"
    clients.write_text("kafka:arm64-secret-PLANTED\n")
    process = subprocess.Popen(["qemu-aarch64-static", str(STATIC["arm64"]), "--port", "0", "--client-file",
                                str(clients), "--no-access-log"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={"PATH": os.environ["PATH"]})
    try:
        ready = process.stdout.readline()
        assert "serving local tokens" in ready, (ready, process.stderr.read() if process.poll() is not None else "")
        url = ready.rsplit(" ", 1)[1].strip()
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "kafka",
                                       "client_secret": "arm64-secret-PLANTED"}).encode()
        status, body = get(f"{url}/token", data=form)
        assert status == 200, body
        token = json.loads(body)["access_token"]
        status, jwks = get(f"{url}/jwks")
        key = pyjwt.PyJWKSet.from_json(jwks).keys[0]
        claims = pyjwt.decode(token, key.key, algorithms=["ES256"], options={"verify_aud": False})
        assert claims["iss"] == url and claims["sub"] == "kafka"
    finally:
        process.terminate()
        assert process.wait(30) == 0
