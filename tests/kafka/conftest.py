"""A single-node Apache Kafka 4.3 broker (KRaft, SASL_PLAINTEXT with OAUTHBEARER validated through our
local issuer's JWKS) and the local issuer itself, started once for the end-to-end tests and stopped
after them. `make kafka` fetches the jars with Maven into target/kafka/lib and compiles the Java
driver into target/kafka/classes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient

from oauthbearer import _native
from oauthbearer.server import Endpoint, make_server

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "keys"
KAFKA = ROOT / "target" / "kafka"
CLASSPATH = f"{KAFKA / 'classes'}:{KAFKA / 'lib'}/*"
AUDIENCE = "kafka"
# Clients the issuer knows: a secret client and two KIP-1258 clients (the Java client's own signer).
SECRET_CLIENT = ("svc", "s3cret-e2e")
ASSERTION_CLIENTS = {"java-es256": KEYS / "ec-p256.pkcs8.pem", "java-rs256": KEYS / "rsa2048.pkcs8.pem"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Issuer:
    url: str
    endpoint: Endpoint
    #: Every form body the token path received (to compare the Java client's assertions with ours).
    bodies: list[str] = field(default_factory=list)

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"


@pytest.fixture(scope="session")
def issuer():
    def endpoint(url: str) -> Endpoint:
        local = _native.LocalIssuer(url, _native.SigningKey.generate())
        local.register_client(SECRET_CLIENT[0], SECRET_CLIENT[1], [])
        for client_id, key in ASSERTION_CLIENTS.items():
            local.register_client(client_id, None, [_native.SigningKey.parse(key.read_bytes()).public_jwk()])
        return Endpoint(issuer=local, audience=AUDIENCE)

    bodies: list[str] = []
    # The observer sees every /token form body (to compare the Java client's assertions with ours).
    server = make_server(endpoint, "127.0.0.1", 0, observer=bodies.append)
    state = Issuer(server.url, server.endpoint, bodies)
    yield state
    server.shutdown()


@dataclass
class Broker:
    bootstrap: str
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _require_jars() -> None:
    if not (KAFKA / "lib").is_dir() or not (KAFKA / "classes" / "E2e.class").is_file():
        pytest.fail("the Kafka jars or the Java driver are missing: run `make kafka` (the test command does)")


def secret_client_conf(bootstrap: str, issuer: Issuer) -> dict:
    """confluent-kafka in librdkafka's OIDC mode against the issuer (the readiness probe uses it too)."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "OAUTHBEARER",
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.token.endpoint.url": issuer.token_url,
        "sasl.oauthbearer.client.id": SECRET_CLIENT[0],
        "sasl.oauthbearer.client.secret": SECRET_CLIENT[1],
    }


@pytest.fixture(scope="session")
def broker(issuer: Issuer):
    with running_broker(issuer.jwks_url, issuer.url, lambda bootstrap: secret_client_conf(bootstrap, issuer)) as b:
        yield b


@contextlib.contextmanager
def running_broker(jwks_url: str, expected_issuer: str, probe: Callable[[str], dict]):
    """A broker validating tokens with `jwks_url` (audience AUDIENCE, issuer `expected_issuer`),
    ready once a client configured by `probe(bootstrap)` gets an answer."""
    _require_jars()
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-kafka-"))
    port, controller, internal = free_port(), free_port(), free_port()
    properties = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller}",
        "listeners": f"SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller},"
                     f"INTERNAL://127.0.0.1:{internal}",
        "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{port},INTERNAL://127.0.0.1:{internal}",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT",
        "inter.broker.listener.name": "INTERNAL",
        "controller.listener.names": "CONTROLLER",
        "sasl.enabled.mechanisms": "OAUTHBEARER",
        "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class":
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
        "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config":
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;",
        "sasl.oauthbearer.jwks.endpoint.url": jwks_url,
        "sasl.oauthbearer.expected.audience": AUDIENCE,
        "sasl.oauthbearer.expected.issuer": expected_issuer,
        "log.dirs": str(work / "data"),
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.partitions": "1",
    }
    config = work / "server.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    log4j = work / "log4j2.properties"
    log4j.write_text((Path(__file__).parent / "log4j2.properties").read_text())
    java = shutil.which("java") or "java"
    subprocess.run([java, "-cp", CLASSPATH, "kafka.tools.StorageTool", "format", "-t", "b2F1dGhiZWFyZXItZTJlLQ",
                    "-c", str(config), "--standalone"], check=True, capture_output=True)
    log = work / "broker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [java, "-Xmx512m", f"-Dlog4j2.configurationFile={log4j}",
             f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={jwks_url}",
             "-cp", CLASSPATH, "kafka.Kafka", str(config)],
            stdout=out, stderr=subprocess.STDOUT)
    bootstrap = f"127.0.0.1:{port}"
    try:
        _wait_ready(probe(bootstrap), process, log)
        yield Broker(bootstrap, log, process)
    finally:
        stop(process)
        print(f"\nbroker log: {log}")


def assertion_sidecar_properties(issuer: Issuer, client_id: str = "java-es256") -> dict:
    """``oauthbearer serve --provider assertion`` properties: KIP-1258 to the issuer as `client_id`
    (one of ASSERTION_CLIENTS), ES256 or RS256 after its key."""
    return {
        "sasl.oauthbearer.token.endpoint.url": issuer.token_url,
        "sasl.oauthbearer.assertion.algorithm": "ES256" if client_id.endswith("es256") else "RS256",
        "sasl.oauthbearer.assertion.private.key.file": ASSERTION_CLIENTS[client_id],
        "sasl.oauthbearer.assertion.claim.iss": client_id,
        "sasl.oauthbearer.assertion.claim.sub": client_id,
        "sasl.oauthbearer.assertion.claim.aud": issuer.token_url,
    }


class Sidecar:
    """``oauthbearer serve --provider assertion``: tokens got with `properties` (KIP-1258 to an IdP),
    served on ``port`` to Kafka's Java client, as a worker's or pod's entrypoint would start it; its
    access log counts the fetches."""

    def __init__(self, properties: dict, port: int, work: Path):
        config = work / "sidecar.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        self.log = work / "sidecar.log"
        self.url = f"http://127.0.0.1:{port}/token"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oauthbearer", "serve", "--provider", "assertion", "--config", str(config),
             "--port", str(port)],
            stdout=subprocess.PIPE, stderr=self.log.open("wb"), text=True, env={**os.environ, "PROVIDER": ""})
        ready = self.process.stdout.readline()
        assert ready.startswith("oauthbearer: serving assertion tokens on"), (ready, self.log.read_text())

    def fetches(self) -> int:
        """Tokens served: one access-log line per answered token request."""
        return len(re.findall(r" /token 200 ", self.log.read_text()))

    def stop(self) -> None:
        stop(self.process)


#: What the fixtures and tests measure (start-up times, peak memory), printed after the run
#: (pytest captures a passing test's own output).
MEASURED: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASURED:
        terminalreporter.section("measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


def peak_rss_mib(pid: int) -> int:
    """A process's peak resident set (VmHWM) in MiB; 0 once it has exited."""
    try:
        return int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) // 1024
    except (OSError, AttributeError):
        return 0


#: Kafka's Java client logs each failed token fetch it will retry (kafka-clients Retry.java).
RETRY_LINE = re.compile(r"Attempt (\d+) to make call resulted in an error; sleeping (\d+) ms before retrying")


def wait_for_log(read_log: Callable[[], str], pattern: re.Pattern, accept: Callable[[re.Match], bool],
                 process: subprocess.Popen, seconds: float) -> re.Match:
    """Follows a log (``read_log()`` returns its text so far) until a line matches `pattern` and
    `accept(match)`; fails if `process` ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for match in pattern.finditer(read_log()):
            if accept(match):
                return match
        if process.poll() is not None:
            err = process.communicate()[1] or ""
            pytest.fail(f"the job ended before the log showed {pattern.pattern!r}: {err[-3000:]}")
        time.sleep(0.25)  # polling a log file; the event is the line, not the time
    pytest.fail(f"no line matching {pattern.pattern!r} within {seconds:.0f} s")


def consume(broker: "Broker", issuer: Issuer, topic: str, count: int) -> dict[bytes, bytes]:
    """Reads `topic` from the start with confluent-kafka (the issuer's secret client), an
    independent reader of what a pipeline wrote: key -> value, until `count` records or 60 s."""
    consumer = Consumer({**secret_client_conf(broker.bootstrap, issuer), "group.id": f"check-{topic}",
                         "auto.offset.reset": "earliest"})
    got: dict[bytes, bytes] = {}
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        while len(got) < count and time.monotonic() < deadline:
            message = consumer.poll(1)
            if message is not None and message.error() is None:
                got[message.key()] = message.value()
    finally:
        consumer.close()
    return got


def stop(*processes: subprocess.Popen) -> None:
    """Terminates the processes and waits for them (30 s each, then kills)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(probe: dict, process: subprocess.Popen, log: Path) -> None:
    """Probes with an authenticated metadata request until the broker answers (no fixed sleep)."""
    admin = AdminClient(probe)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the broker exited with {process.returncode}; see {log}")
        try:
            if admin.list_topics(timeout=2).brokers:
                return
        except KafkaException:
            continue
    pytest.fail(f"the broker did not answer within 120 s; see {log}")


def run_java(issuer: Issuer, properties: dict, *args: str, allowed_files: tuple[Path, ...] = ()) -> dict:
    """Runs the Java driver with `properties`; returns its JSON line (with the log path on failure)."""
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-java-"))
    config = work / "client.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    log4j = work / "log4j2.properties"
    log4j.write_text((Path(__file__).parent / "log4j2.properties").read_text())
    command = [shutil.which("java") or "java", f"-Dlog4j2.configurationFile={log4j}",
               f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={issuer.token_url},{properties.get('sasl.oauthbearer.token.endpoint.url', '')}",
               f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.files={','.join(str(f) for f in allowed_files)}",
               "-cp", CLASSPATH, "E2e", str(config), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    (work / "client.log").write_text(done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": f"no output (exit {done.returncode})"}
    result["log"] = str(work / "client.log")
    return result


@pytest.fixture
def topic(request) -> str:
    return f"e2e-{request.node.name.replace('[', '-').replace(']', '')}-{os.getpid()}"


# Keycloak and its broker (keycloak.py), for test_keycloak.py.
from keycloak import keycloak, keycloak_broker  # noqa: E402,F401 - fixtures
