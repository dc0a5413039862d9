"""The static sidecar binary (`make sidecar-static`, what the image and the release carry) serving Kafka's Java client through the real broker,
as kafka-auth-handler users run it: the client's stock `OAuthBearerLoginCallbackHandler` with
`sasl.oauthbearer.token.endpoint.url` on the binary. KIP-1258 sidecar mode (the binary signs the
assertion and fetches from the IdP) and the binary's own local issuer (a broker trusting its JWKS)."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import ASSERTION_CLIENTS, AUDIENCE, ROOT, run_java, running_broker
from test_e2e import java_base, safe

BINARY = ROOT / "target" / "x86_64-unknown-linux-musl" / "release" / "oauthbearer-sidecar"


def start_binary(args: list[str], work: Path) -> tuple[subprocess.Popen, str, Path]:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: run `make sidecar-static` (the test command does)")
    log = work / "sidecar.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PROVIDER", "PORT")}
    process = subprocess.Popen([str(BINARY), "--port", "0", *args], stdout=subprocess.PIPE, stderr=log.open("wb"),
                               text=True, env=env)
    ready = process.stdout.readline()
    assert "serving" in ready, (ready, log.read_text())
    return process, ready.rsplit(" ", 1)[1].strip(), log


def metric(url: str, series: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series + " ")]
    return values[0] if values else 0.0


def stop(process: subprocess.Popen) -> int:
    process.terminate()
    try:
        return process.wait(15)
    finally:
        if process.poll() is None:
            process.kill()


def java_client(token_url: str) -> dict:
    # The client id and secret are not checked by a provider-mode endpoint (any path serves the token).
    return {"sasl.oauthbearer.token.endpoint.url": token_url,
            "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                'clientId="beam" clientSecret="unused";'}


def test_the_binary_in_kip1258_sidecar_mode_serves_the_java_client(broker, issuer, topic, tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("\n".join([
        f"sasl.oauthbearer.token.endpoint.url={issuer.token_url}",
        "sasl.oauthbearer.assertion.algorithm=ES256",
        f"sasl.oauthbearer.assertion.private.key.file={ASSERTION_CLIENTS['java-es256']}",
        "sasl.oauthbearer.assertion.claim.iss=java-es256", "sasl.oauthbearer.assertion.claim.sub=java-es256",
        f"sasl.oauthbearer.assertion.claim.aud={issuer.token_url}", "sasl.oauthbearer.assertion.claim.jti.include=true",
        "sasl.oauthbearer.client.credentials.client.id=java-es256"]) + "\n")
    process, url, log = start_binary(["--provider", "assertion", "--config", str(config)], tmp_path)
    try:
        result = run_java(issuer, {**java_base(broker), **java_client(f"{url}/token")}, "roundtrip", safe(topic))
        assert "consumed" in result, f"{result}; sidecar log: {log.read_text()[-2000:]}; broker log: {broker.log}"
        assert metric(url, 'oauthbearer_token_fetches_total{outcome="success",code=""}') == 1.0
        assert metric(url, "oauthbearer_ready") == 1.0
        assert metric(url, 'oauthbearer_http_requests_total{route="token",status="200"}') >= 1.0
    finally:
        assert stop(process) == 0, log.read_text()
    assert re.search(r"POST /token 200 ", log.read_text()), "the access log names the Java client's fetch"


def test_the_binarys_own_issuer_is_trusted_by_a_broker(tmp_path):
    """`oauthbearer-sidecar` with no provider: the local issuer (the README's first command, natively).
    A broker of its own trusts the binary's JWKS and issuer; the Java client authenticates with a
    client secret registered from a file."""
    clients = tmp_path / "clients.txt"
    clients.write_text("svc:s3cret-sidecar\n")
    process, url, log = start_binary(["--client-file", str(clients), "--audience", AUDIENCE], tmp_path)

    def probe(bootstrap: str) -> dict:
        return {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "OAUTHBEARER",
                "sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.token.endpoint.url": f"{url}/token",
                "sasl.oauthbearer.client.id": "svc", "sasl.oauthbearer.client.secret": "s3cret-sidecar"}

    try:
        with running_broker(f"{url}/jwks", url, probe) as broker:
            props = {**java_base(broker), "sasl.oauthbearer.token.endpoint.url": f"{url}/token",
                     "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                                         'required clientId="svc" clientSecret="s3cret-sidecar";'}

            class Trusting:  # run_java allows the issuer's URL: here the binary's
                token_url = f"{url}/token"

            result = run_java(Trusting, props, "roundtrip", f"sidecar-issuer-{os.getpid()}")
            assert "consumed" in result, f"{result}; broker log: {broker.log}"
    finally:
        assert stop(process) == 0, log.read_text()
    assert "s3cret-sidecar" not in log.read_text()
