"""The binary as an operator runs it: `/readyz` and `/metrics` before the first token, during an
IdP outage and after recovery; SIGTERM lets a request in flight finish; the hostile-request
catalogue; an oversized body written before reading gets a readable 413 (both fronts)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, clean_env, start
from steered_idp import RSA_KEY, SteeredIdp, token_for



def properties(tmp_path, url: str) -> str:
    config = tmp_path / "client.properties"
    config.write_text("\n".join([
        f"sasl.oauthbearer.token.endpoint.url={url}", "sasl.oauthbearer.assertion.algorithm=RS256",
        f"sasl.oauthbearer.assertion.private.key.file={RSA_KEY}",
        "sasl.oauthbearer.assertion.claim.iss=c", "sasl.oauthbearer.assertion.claim.sub=c",
        f"sasl.oauthbearer.assertion.claim.aud={url}", "sasl.oauthbearer.client.credentials.client.id=c",
        # A short back-off, so that recovery is seen within the test.
        "sasl.login.retry.backoff.ms=50", "sasl.login.retry.backoff.max.ms=200"]) + "\n")
    return str(config)


def metric(text: str, series: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def until(running, path: str, ok, within: float = 20.0):
    end = time.monotonic() + within
    while True:
        reply = running.get(path)
        if ok(reply) or time.monotonic() > end:
            return reply
        time.sleep(0.05)  # polling the server's back-off, not synchronizing


def test_health_and_metrics_before_the_first_token_during_an_outage_and_after(tmp_path):
    idp = SteeredIdp()
    running = start("native", ["--provider", "assertion", "--config", properties(tmp_path, idp.url),
                               "--no-access-log"], clean_env(HOME=str(tmp_path)))
    try:
        assert idp.received.wait(10), "the binary fetches at start"
        assert running.get("/livez")[0] == 200
        status, _type, body = running.get("/readyz")
        assert (status, json.loads(body)["code"]) == (503, "token_pending"), body
        status, content_type, text = running.get("/metrics")
        assert content_type.startswith("text/plain; version=0.0.4") and metric(text, "oauthbearer_ready") == 0.0
        # An outage: the IdP answers 503 to every attempt.
        idp.mode = "fail"
        idp.release.set()
        status, _type, body = until(running, "/readyz", lambda r: json.loads(r[2]).get("code") == "token_response_error")
        assert status == 503 and json.loads(body)["code"] == "token_response_error", body
        failures = metric(running.get("/metrics")[2],
                          'oauthbearer_token_fetches_total{outcome="failure",code="token_response_error"}')
        assert failures and failures >= 1
        # Recovery.
        idp.mode = "work"
        status, _type, body = until(running, "/readyz", lambda r: r[0] == 200)
        assert status == 200 and json.loads(body)["expires_in"] > 3500, body
        assert running.get("/")[0] == 200
        text = running.get("/metrics")[2]
        assert metric(text, 'oauthbearer_token_fetches_total{outcome="success",code=""}') == 1.0
        assert metric(text, "oauthbearer_token_expires_in_seconds") > 3500
    finally:
        assert running.stop() == 0
        idp.close()


def test_sigterm_lets_a_request_in_flight_finish(tmp_path):
    idp = SteeredIdp()
    running = start("native", ["--provider", "assertion", "--config", properties(tmp_path, idp.url)],
                    clean_env(HOME=str(tmp_path)))
    results = []
    client = threading.Thread(target=lambda: results.append(running.get("/token")))
    try:
        client.start()
        assert idp.received.wait(10)
        running.proc.send_signal(15)
        # The binary stops accepting: new connections are refused once the listener is closed.
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(running.url.removeprefix("http://").rsplit(":", 1), timeout=1).close()
            except OSError:
                break
            time.sleep(0.02)  # polling the listener's close, not synchronizing
        idp.mode = "work"
        idp.release.set()
        client.join(30)
        assert results and results[0][0] == 200, results
        assert running.proc.wait(15) == 0
    finally:
        running.stop()
        idp.close()
    assert "signal: shutting down" in running.stderr


@pytest.fixture(scope="module")
def slow_stdout(tmp_path_factory) -> str:
    """tests/support/slow_stdout.c built: writes to stdout return 300 ms late."""
    out = tmp_path_factory.mktemp("preload") / "slow_stdout.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(out), str(ROOT / "tests/support/slow_stdout.c"),
                    "-ldl"], check=True)
    return str(out)


@pytest.mark.parametrize("front", ["python", "native"])
def test_sigterm_right_after_the_ready_line_drains_and_exits_0(tmp_path, front, slow_stdout):
    """A supervisor may stop the sidecar the moment it reads the ready line: the handler must already
    be installed then, or the default action kills the process (status -15) without draining. The
    shim holds the process in the write of that line, so a handler installed after it is missed
    every time rather than once in a while under load."""
    running = start(front, ["--no-access-log"], clean_env(HOME=str(tmp_path), LD_PRELOAD=slow_stdout))
    assert running.stop() == 0, running.stderr[-2000:]
    assert "shutting down" in running.stderr


@pytest.mark.parametrize("front", ["python", "native"])
def test_a_bind_other_hosts_can_reach_is_warned_about_with_the_fix(tmp_path, front):
    """The image binds 0.0.0.0 ($OAUTHBEARER_HOST); loopback, the default elsewhere, stays quiet."""
    exposed = start(front, ["--no-access-log"], clean_env(HOME=str(tmp_path), OAUTHBEARER_HOST="0.0.0.0"))
    assert exposed.url.startswith("http://0.0.0.0:")
    assert exposed.stop() == 0
    assert "listening on every interface (0.0.0.0)" in exposed.stderr
    assert "-p 127.0.0.1:14293:14293" in exposed.stderr and "--host 127.0.0.1" in exposed.stderr
    quiet = start(front, ["--no-access-log"], clean_env(HOME=str(tmp_path)))
    assert quiet.url.startswith("http://127.0.0.1:")
    assert quiet.stop() == 0
    assert "listening on" not in quiet.stderr


def hostile_cases() -> list[tuple[str, bytes, int, list[str]]]:
    doc = json.loads((ROOT / "tests" / "vectors" / "bad_inputs.json").read_text())
    return [(c["name"], bytes(ord(ch) for ch in c["input"]["request"]), c["output"]["status"], c["secrets"])
            for c in doc["cases"] if c["op"] == "http_request"]


def exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_the_hostile_request_catalogue_against_the_binary(tmp_path):
    cases = hostile_cases()
    assert len(cases) >= 40
    running = start("native", ["--no-access-log"], clean_env(HOME=str(tmp_path)))
    try:
        for name, request, status, secrets in cases:
            reply = exchange(running.url, request)
            assert reply.startswith(f"HTTP/1.1 {status} ".encode()), (name, reply[:200])
            head, _, body = reply.partition(b"\r\n\r\n")
            assert b"application/json" in head and json.loads(body)["error"], name
            for secret in secrets:
                assert secret.encode() not in reply, name
            assert running.get("/jwks")[0] == 200, f"still serving after {name}"
    finally:
        assert running.stop() == 0


@pytest.mark.parametrize("front", ["python", "native"])
@pytest.mark.parametrize("size", [2 << 20, 20 << 20], ids=["2MB", "20MB"])
def test_a_body_over_the_limit_sent_before_reading_gets_a_readable_413(tmp_path, front, size):
    """Python's urllib writes the whole body before it reads: it must read the 413, not a reset."""
    running = start(front, ["--no-access-log"], clean_env(HOME=str(tmp_path)))
    try:
        request = urllib.request.Request(f"{running.url}/token", data=b"a" * size, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 413
        assert json.loads(refused.value.read())["error"] == "invalid_request"
    finally:
        assert running.stop() == 0


def test_with_operational_paths_off_every_path_serves_the_token(tmp_path):
    path = tmp_path / "token.jwt"
    path.write_text(token_for(time.time()))
    running = start("native", ["--provider", "file", "--token-file", str(path), "--no-operational-paths"],
                    clean_env(HOME=str(tmp_path)))
    try:
        for route in ("/readyz", "/livez", "/metrics"):
            status, _type, body = running.get(route)
            assert status == 200 and "access_token" in json.loads(body), route
    finally:
        assert running.stop() == 0


def test_msk_token_command_from_aws_configs_chain_equals_the_python_clis(tmp_path):
    import subprocess
    import sys

    from conftest import binary

    env = clean_env(HOME=str(tmp_path), AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_EC2_METADATA_DISABLED="true",
                    AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", AWS_REGION="us-west-2")
    args = ["msk-token", "--now", "1767225600", "--order", "java"]
    outputs = [subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=60)
               for command in ([sys.executable, "-m", "oauthbearer"], [binary()])]
    for done in outputs:
        assert done.returncode == 0, done.stderr
    assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)
    assert "wJalrXUtnFEMI" not in outputs[1].stdout
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(json.loads(outputs[1].stdout)["url"]).query)
    assert query["X-Amz-Date"] == ["20260101T000000Z"]
