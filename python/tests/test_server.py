"""The local token endpoint over real HTTP on 127.0.0.1: compatibility with kafka-auth-handler and
Google's server, the fixes (503 JSON, stale-while-failing, one fetch for many clients, HTTP/1.1),
the local issuer's routes, and `oauthbearer serve` as a process (ready line, SIGTERM)."""

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from oauthbearer import _native
from oauthbearer.providers import Provider, Token
from oauthbearer.server import Endpoint
from conftest import KEYS, VECTORS, running

MARKER = "SECRET-MARKER-77aa"


class Static(Provider):
    def __init__(self, lifetime_ms=3_600_000):
        super().__init__()
        self.lifetime_ms, self.fail = lifetime_ms, False

    def fetch(self, now_ms):
        if self.fail:
            raise _native.CredentialsError("the metadata server did not answer")
        value = _native.LocalIssuer("http://x", _native.SigningKey.generate()).sign_access_token(
            "svc", now_ms, self.lifetime_ms // 1000).token
        return Token(value, now_ms + self.lifetime_ms, "svc", {}, now_ms)


def request(url, method="GET", path="/", body=None, headers=None):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def test_any_path_get_and_post_like_kafka_auth_handler_with_http11_headers():
    provider = Static()
    with running(Endpoint(provider=provider)) as server:
        for method, path in (("GET", "/"), ("POST", "/oauth/token"), ("GET", "/anything?x=1")):
            response, data = request(server.url, method, path, body=b"grant_type=client_credentials"
                                     if method == "POST" else None)
            assert response.status == 200 and response.version == 11
            assert response.getheader("Content-Type") == "application/json"
            assert response.getheader("Content-Length") == str(len(data))
            assert response.getheader("Cache-Control") == "no-store"
            body = json.loads(data)
            assert body["token_type"] == "Bearer" and 3590 <= body["expires_in"] <= 3600
            assert _native.check_access_token(body["access_token"], "librdkafka").principal == "svc"
        response, _ = request(server.url, "DELETE", "/")
        assert response.status == 405
    assert server.stats()["fetches"] == 1, "every request was served from the cache"


def test_many_clients_one_fetch():
    provider = Static()
    with running(Endpoint(provider=provider)) as server:
        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(lambda _: request(server.url)[0].status, range(200)))
    assert statuses == [200] * 200 and server.stats()["fetches"] == 1


def test_failure_is_503_json_and_never_200_empty():
    provider = Static()
    provider.fail = True
    with running(Endpoint(provider=provider)) as server:
        response, data = request(server.url)
    assert response.status == 503
    body = json.loads(data)
    assert body["error"] == "temporarily_unavailable" and "metadata server" in body["error_description"]


def test_response_styles_match_google_and_kafka_auth_handler():
    provider = Static()
    with running(Endpoint(provider=provider, style="google-python")) as server:
        text = request(server.url)[1].decode()
    assert text.startswith('{"access_token": "') and ', "token_type": "Bearer", "expires_in": ' in text
    with running(Endpoint(provider=provider, style="kafka-auth-handler")) as server:
        body = request(server.url)[1].decode()
    assert list(json.loads(body)) == ["access_token", "expires_in", "token_type"]


def test_local_issuer_routes_secret_and_assertion_clients():
    client_key = _native.SigningKey.parse((KEYS / "rsa2048.pkcs8.pem").read_bytes())

    def endpoint(url):
        issuer = _native.LocalIssuer(url, _native.SigningKey.generate())
        issuer.register_client("secret-client", MARKER)
        issuer.register_client("kip1258-client", None, [client_key.public_jwk()])
        return Endpoint(issuer=issuer, audience="kafka-broker")

    with running(endpoint) as server:
        jwks = json.loads(request(server.url, path="/jwks")[1])
        discovery = json.loads(request(server.url, path="/.well-known/openid-configuration")[1])
        assert discovery["jwks_uri"] == f"{server.url}/jwks" and discovery["issuer"] == server.url
        basic = base64.b64encode(f"secret-client:{MARKER}".encode()).decode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        response, data = request(server.url, "POST", "/token", b"grant_type=client_credentials&scope=kafka",
                                 {**form, "Authorization": f"Basic {basic}"})
        assert response.status == 200
        token = json.loads(data)["access_token"]
        claims = jwt.decode(token, jwt.PyJWK(jwks["keys"][0]), algorithms=["ES256"], audience="kafka-broker",
                            issuer=server.url)
        assert (claims["sub"], claims["scope"]) == ("secret-client", "kafka")
        signer = _native.AssertionSigner({
            "sasl.oauthbearer.token.endpoint.url": f"{server.url}/token",
            "sasl.oauthbearer.assertion.algorithm": "RS256",
            "sasl.oauthbearer.assertion.private.key.file": "client.pem",
            "sasl.oauthbearer.assertion.claim.iss": "kip1258-client",
            "sasl.oauthbearer.assertion.claim.sub": "kip1258-client",
            "sasl.oauthbearer.assertion.claim.aud": f"{server.url}/token",
            "sasl.oauthbearer.assertion.claim.jti.include": "true",
        }, private_key=(KEYS / "rsa2048.pkcs8.pem").read_bytes())
        assertion = signer.sign(int(time.time() * 1000)).value
        body = _native.token_request({"sasl.oauthbearer.token.endpoint.url": f"{server.url}/token",
                                      "sasl.oauthbearer.assertion.file": "/unused"}, assertion=assertion).body
        response, data = request(server.url, "POST", "/token", body.encode(), form)
        assert response.status == 200, data
        response, data = request(server.url, "POST", "/token", body.encode(), form)
        assert response.status == 401 and json.loads(data)["error"] == "invalid_client", "replayed jti"
        bad = base64.b64encode(b"secret-client:wrong").decode()
        response, _ = request(server.url, "POST", "/token", b"grant_type=client_credentials",
                              {**form, "Authorization": f"Basic {bad}"})
        assert response.status == 401


def test_serve_process_prints_ready_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "oauthbearer", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PROVIDER": ""})
    try:
        line = proc.stdout.readline()
        assert line.startswith("oauthbearer: serving local tokens on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1].strip()
        response, data = request(url, "POST", "/token", b"grant_type=client_credentials&client_id=beam",
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 200
        assert _native.check_access_token(json.loads(data)["access_token"]).principal == "beam"
        # The access log names method, path, status and time: never the query, body or headers.
        response, _ = request(url, "POST", f"/token?client_secret={MARKER}", body=f"client_secret={MARKER}".encode(),
                              headers={"Authorization": f"Bearer {MARKER}"})
        assert response.status == 400, "no grant_type: unsupported_grant_type (RFC 6749 §5.2)"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
    log = proc.stderr.read()
    assert "Traceback" not in log
    assert "POST /token 200" in log and "POST /token 400" in log, log
    assert MARKER not in log


def raw(url, data: bytes) -> bytes:
    """Sends raw bytes, returns everything the server answers before it closes."""
    import socket
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


HTTP_CASES = [c for c in json.loads((VECTORS / "bad_inputs.json").read_text())["cases"]
              if c["op"] == "http_request"]


@pytest.mark.parametrize("case", HTTP_CASES, ids=[c["name"] for c in HTTP_CASES])
def test_the_catalogues_hostile_requests_get_their_json_errors_from_the_native_server(case, hostile_server):
    """The bad-input catalogue's HTTP requests (each character of `request` is one byte): the
    status and the RFC 6749 error the core's framing decides, no planted secret in the answer, and
    the server keeps answering."""
    answer = raw(hostile_server.url, case["input"]["request"].encode("latin-1"))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {case['output']['status']} ".encode()), answer[:200]
    assert json.loads(body)["error"] == case["output"]["error"], body
    for secret in [*case["secrets"], "PLANTED"]:
        assert secret.encode() not in answer
    assert request(hostile_server.url)[0].status == 200


@pytest.fixture(scope="module")
def hostile_server():
    with running(Endpoint(provider=Static())) as server:
        yield server


def test_past_the_framing_the_native_server_answers_head_options_and_405():
    with running(Endpoint(provider=Static())) as server:
        answer = raw(server.url, b"PUT / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 405 ") and b"Allow: " in answer, answer
        response, data = request(server.url, "HEAD", "/")
        assert response.status == 200 and data == b"" and int(response.getheader("Content-Length")) > 0
        response, _ = request(server.url, "OPTIONS", "/")
        assert response.status == 204 and "POST" in response.getheader("Allow")


class Hanging(Provider):
    """A provider whose fetch blocks (a metadata server that accepts and says nothing)."""

    def __init__(self):
        super().__init__(fetch_timeout_ms=300)
        self.release, self.calls = threading.Event(), 0

    def fetch(self, now_ms):
        self.calls += 1
        self.release.wait(30)
        return Static().fetch(now_ms)


def test_a_hanging_python_fetch_gets_503_fetch_timeout_at_the_deadline_then_recovers():
    provider = Hanging()
    with running(Endpoint(provider=provider)) as server:
        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: request(server.url), range(16)))
        waited = time.monotonic() - started
        for response, data in answers:
            assert response.status == 503
            assert json.loads(data)["error_description"].startswith("fetch_timeout: ")
        assert waited < 0.3 + 2, f"{waited:.2f} s for a 0.3 s deadline"
        # The one fetch all 16 waited for, and perhaps its retry after the 100 ms back-off.
        assert provider.calls <= 2, provider.calls
        provider.release.set()  # the hung fetch answers late: its token is used
        deadline = time.monotonic() + 10
        while request(server.url)[0].status != 200:
            assert time.monotonic() < deadline
        assert server.stats()["fetches"] >= 1


def test_serving_never_takes_the_gil():
    """While this process's main thread holds the GIL — blocked in read(2) called through
    ctypes.PyDLL, which keeps the GIL — another process's 200 requests are all answered, and only
    then does that process write the byte that ends the read: the native server needs no Python to
    serve a cached token. (If it did, the client would time out and report the failure instead.)"""
    import ctypes

    keep_gil = ctypes.PyDLL(None)  # PyDLL: the call holds the GIL throughout
    done_r, done_w = os.pipe()
    with running(Endpoint(provider=Static())) as server:
        assert request(server.url)[0].status == 200  # the token is cached
        host, port = server.server_address
        client = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import http.client, os, sys
            conn = http.client.HTTPConnection("{host}", {port}, timeout=5)
            def get():
                conn.request("GET", "/"); r = conn.getresponse(); r.read(); return r.status
            get(); print("ready", flush=True); sys.stdin.readline()
            try:
                ok = sum(get() == 200 for _ in range(200))
            except OSError:
                ok = -1
            os.write({done_w}, b"%d\\n" % ok)
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, pass_fds=(done_w,))
        try:
            assert client.stdout.readline().strip() == "ready"
            client.stdin.write("go\n")
            client.stdin.flush()
            report = ctypes.create_string_buffer(32)
            n = keep_gil.read(done_r, report, 31)  # blocks, GIL held, until the client reports
            assert client.wait(30) == 0
        finally:
            client.kill()
            os.close(done_r)
            os.close(done_w)
    assert report.raw[:n].strip() == b"200", f"answered while the GIL was held: {report.raw[:n]!r}"
