"""The local token endpoint over real HTTP on 127.0.0.1: compatibility with kafka-auth-handler and
Google's server, the fixes (503 JSON, stale-while-failing, one fetch for many clients, HTTP/1.1),
the local issuer's routes, and `oauthbearer serve` as a process (ready line, SIGTERM)."""

import base64
import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from oauthbearer import _native
from oauthbearer.providers import Provider, Token
from oauthbearer.server import Endpoint
from conftest import KEYS, running

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
    assert provider.fetches == 1, "every request was served from the cache"


def test_many_clients_one_fetch():
    provider = Static()
    with running(Endpoint(provider=provider)) as server:
        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(lambda _: request(server.url)[0].status, range(200)))
    assert statuses == [200] * 200 and provider.fetches == 1


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


def test_access_log_has_no_secrets(caplog):
    caplog.set_level(logging.INFO, logger="oauthbearer.server")
    with running(Endpoint(provider=Static())) as server:
        request(server.url, "POST", f"/token?client_secret={MARKER}", body=f"client_secret={MARKER}".encode(),
                headers={"Authorization": f"Bearer {MARKER}"})
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("POST /token 200") for line in lines), lines
    assert not any(MARKER in line for line in lines)


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
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
    assert "Traceback" not in proc.stderr.read()


def test_each_response_leaves_in_one_write_without_nagle():
    """Unbuffered (the stdlib default), the headers and the body go out as two writes and the body
    waits for the client's delayed ACK: 40 ms per request on a keep-alive connection (found by the
    endpoint benchmark: 22 requests/s at one connection)."""
    from oauthbearer.server import _handler

    handler = _handler()
    assert handler.wbufsize == -1, "responses are buffered and flushed once per request"
    assert handler.disable_nagle_algorithm is True


def test_the_listen_backlog_takes_a_burst_of_clients():
    """The stdlib's backlog of 5 dropped SYNs when many clients connected at once; each dropped one
    waited 1 s for its retry (p99 1.1 s at 64 connections in the endpoint benchmark)."""
    from oauthbearer.server import Server

    assert Server.request_queue_size >= 128
