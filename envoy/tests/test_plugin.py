"""The oauthbearer Envoy plugin in a real Envoy (V8): the injector against an Authlib IdP (KIP-1258
assertions, client secret, jwt-bearer), one fetch for all workers, refresh and outage behaviour, and
bad configurations refused at start with the core's codes."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time

import pytest

from conftest import ASSERTION_CLIENTS, KEYS, SECRET
from envoy_harness import Envoy, bootstrap, cluster, listener, plugin_filter


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assertion_config(idp, client_id: str, **extra) -> dict:
    alg, _ = ASSERTION_CLIENTS[client_id]
    return {
        "cluster": "idp",
        "properties": {
            "sasl.oauthbearer.token.endpoint.url": idp.token_url,
            "sasl.oauthbearer.assertion.algorithm": alg,
            "sasl.oauthbearer.assertion.claim.iss": client_id,
            "sasl.oauthbearer.assertion.claim.sub": client_id,
            "sasl.oauthbearer.assertion.claim.aud": idp.token_url,
            "sasl.oauthbearer.assertion.claim.jti.include": "true",
        },
        **extra,
    }


def injector(idp, echo, configuration: dict, env_keys=()) -> dict:
    return bootstrap([listener("main", [plugin_filter(configuration, env_keys=env_keys)], "upstream")],
                     [cluster("idp", idp.port), cluster("upstream", echo.port)])


def get(port: int, path: str = "/", headers: dict | None = None, connection=None) -> tuple[int, dict, bytes]:
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    answer = conn.getresponse()
    body = answer.read()
    if connection is None:
        conn.close()
    return answer.status, dict(answer.getheaders()), body


@pytest.mark.parametrize("client_id", sorted(ASSERTION_CLIENTS))
def test_injects_a_token_got_with_a_kip1258_assertion(idp, echo, client_id):
    _, key_file = ASSERTION_CLIENTS[client_id]
    key = (KEYS / key_file).read_text()
    # ES256 from a host environment variable, RS256 inline.
    if client_id == "app-es256":
        config, env, keys = assertion_config(idp, client_id, private_key_env="OAUTHBEARER_KEY"), {"OAUTHBEARER_KEY": key}, ("OAUTHBEARER_KEY",)
    else:
        config, env, keys = assertion_config(idp, client_id, private_key=key), {}, ()
    with Envoy(injector(idp, echo, config, keys), env=env) as envoy:
        status, _, body = get(envoy.port("main"), headers={"Authorization": "Basic c3RvbGVu"})
        assert status == 200, body
        token = json.loads(body)["authorization"].removeprefix("Bearer ")
        assert claims(token)["sub"] == client_id
        assert idp.issued == [(client_id, "private_key_jwt")]
        assert all(a and a.startswith("Bearer ") for a in echo.seen), "the client's own Authorization never passes"
        log = envoy.log()
    assert key.splitlines()[1] not in log and token not in log


def test_one_fetch_for_every_request_on_both_workers(idp, echo):
    """A slow IdP: requests on both workers pause for the one fetch in flight, then all get its token."""
    idp.delay = 0.5
    config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text())
    with Envoy(injector(idp, echo, config)) as envoy:
        port = envoy.port("main")
        results: list[tuple[int, bytes]] = []

        def client() -> None:
            for _ in range(4):  # a new connection each time: Envoy spreads them over its workers
                try:
                    status, _, body = get(port)
                    results.append((status, body))
                except OSError as failure:
                    results.append((0, repr(failure).encode()))

        threads = [threading.Thread(target=client) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        workers = {k: v for k, v in envoy.stats("listener.main.worker_").items()
                   if k.endswith("downstream_cx_total")}
        fetches = envoy.stats("wasmcustom.oauthbearer_")
        state = f"idp requests {idp.requests}, workers {workers}, plugin {fetches}, log {envoy.log_path}"
        assert len(results) == 64 and {s for s, _ in results} == {200}, f"{[r for r in results if r[0] != 200][:3]}; {state}"
        assert len({json.loads(b)["authorization"] for _, b in results}) == 1, state
        assert idp.requests == 1, state
        assert len(workers) == 2 and all(v > 0 for v in workers.values()), state
        assert fetches["wasmcustom.oauthbearer_fetches"] == 1 and fetches["wasmcustom.oauthbearer_fetch_failures"] == 0, state


def test_one_fetch_when_every_worker_starts_at_once(idp, echo):
    """Every root (the main thread's and each worker's) looks at the shared state 1 ms after its
    configuration, when nothing is stored yet. Envoy creates an absent key whatever CAS it is given
    and overwrites a present one when given none, so two roots that both found nothing could both
    store "fetch in flight": the first store must be one that fails once another root has stored.
    Eight workers started five times: one fetch each time."""
    config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text())
    for attempt in range(5):
        before = idp.requests
        with Envoy(injector(idp, echo, config), concurrency=8) as envoy:
            status, _, body = get(envoy.port("main"))
            fetches = envoy.stats("wasmcustom.oauthbearer_fetches")["wasmcustom.oauthbearer_fetches"]
        assert status == 200, body
        assert (fetches, idp.requests - before) == (1, 1), f"start {attempt}: {fetches} fetches, log {envoy.log_path}"


def test_refreshes_before_expiry_keeps_the_token_through_an_outage_then_recovers(idp, echo):
    """3 s tokens on Kafka Java's schedule (window 0.8 + jitter, no buffer): refreshed with no failed
    request; IdP down → the cached token is still injected until it expires, then JSON 503 with the
    core's code; IdP back → tokens again (back-off capped by the Kafka property at 500 ms)."""
    idp.lifetime_seconds = 3
    config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text())
    config["properties"].update({"sasl.login.refresh.buffer.seconds": "0", "sasl.login.refresh.min.period.seconds": "0",
                                 "sasl.login.retry.backoff.max.ms": "500"})
    with Envoy(injector(idp, echo, config)) as envoy:
        port = envoy.port("main")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        tokens: list[str] = []
        deadline = time.monotonic() + 15
        while idp.requests < 2 and time.monotonic() < deadline:
            status, _, body = get(port, connection=conn)
            assert status == 200, body
            token = json.loads(body)["authorization"].removeprefix("Bearer ")
            assert claims(token)["exp"] * 1000 > time.time() * 1000 - 5, "an expired token was injected"
            tokens.append(token)
        assert idp.requests >= 2, "no refresh within 15 s"
        # The refresh happened before the first token expired: every request succeeded meanwhile.
        first_exp = claims(tokens[0])["exp"]
        assert int(time.time()) <= first_exp + 1

        idp.down = True
        while True:
            status, _, body = get(port, connection=conn)
            if status != 200:
                break
            last = json.loads(body)["authorization"].removeprefix("Bearer ")
            assert time.time() < claims(last)["exp"] + 0.1, "the cached token was injected past its expiry"
            assert time.monotonic() < deadline + 15
        assert status == 503
        answer = json.loads(body)
        assert answer["error"] == "temporarily_unavailable" and answer["code"] == "token_response_error", answer
        assert time.time() >= claims(last)["exp"] - 0.1, "503 while the cached token was still valid"

        idp.down = False
        recovered = time.monotonic() + 10
        while get(port, connection=conn)[0] != 200:
            assert time.monotonic() < recovered, "no recovery within 10 s of the IdP's return"
        conn.close()
    assert all(a and a.startswith("Bearer ") for a in echo.seen), "a request went upstream without a token"


@pytest.mark.parametrize("grant", ["client_secret", "jwt_bearer"])
def test_client_secret_and_jwt_bearer_grants(idp, echo, grant):
    if grant == "client_secret":
        config = {"cluster": "idp", "client_secret_env": "OB_SECRET",
                  "properties": {"sasl.oauthbearer.token.endpoint.url": idp.token_url,
                                 "sasl.oauthbearer.client.credentials.client.id": "svc"}}
        env, keys, expected = {"OB_SECRET": SECRET}, ("OB_SECRET",), ("svc", "client_secret_basic")
    else:
        config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text())
        config["properties"]["sasl.oauthbearer.jwt.retriever.class"] = \
            "org.apache.kafka.common.security.oauthbearer.JwtBearerJwtRetriever"
        env, keys, expected = {}, (), ("app-es256", "jwt-bearer")
    with Envoy(injector(idp, echo, config, keys), env=env) as envoy:
        status, _, body = get(envoy.port("main"))
        assert status == 200, body
        assert idp.issued == [expected]
    log = envoy.log()  # once Envoy stopped: it writes its log file in bursts
    assert SECRET not in log
    # Issue 28: an inline key stands in /config_dump; the plugin says so at start-up, naming, not showing it.
    inline_warning = "secrets inline in the plugin configuration (private_key)"
    assert (inline_warning in log) == (grant == "jwt_bearer"), log[-3000:]
    assert "MIGHAgEAMBMGByqGSM49" not in log


BAD = [
    ("invalid_key", {"private_key": "-----BEGIN PRIVATE KEY-----\nUExBTlRFRC1LRVktQllURVM=\n-----END PRIVATE KEY-----"}, {}),
    ("key_algorithm_mismatch", {"private_key": "RSA"}, {}),
    ("invalid_algorithm", {"properties": {"sasl.oauthbearer.assertion.algorithm": "HS256"}}, {}),
    ("invalid_config", {"properties": {"sasl.login.retry.backoff.ms": "soon"}}, {}),
    ("missing_config", {"private_key_env": "OB_UNSET_KEY"}, {}),
    ("invalid_config", {"unknown_member": 1}, {}),
]


@pytest.mark.parametrize(("code", "change", "env"), BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)])
def test_a_bad_configuration_refuses_to_start_with_its_code_and_no_secret(idp, echo, code, change, env):
    config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text())
    for name, value in change.items():
        if name == "properties":
            config["properties"].update(value)
        elif value == "RSA":
            config[name] = (KEYS / "rsa2048.pkcs8.pem").read_text()
            config["properties"]["sasl.oauthbearer.assertion.algorithm"] = "ES256"
        else:
            config.pop("private_key", None)
            config[name] = value
    envoy = Envoy(injector(idp, echo, config, ("OB_UNSET_KEY",)), env=env)
    try:
        with pytest.raises(RuntimeError, match="exited"):
            envoy.wait_ready()
    finally:
        envoy.stop()
    log = envoy.log()
    assert f"plugin configuration refused: [{code}]" in log, log[-3000:]
    for secret in ("UExBTlRFRC1LRVktQllURVM", "MIGHAgEAMBMGByqGSM49", "MIIEv"):
        assert secret not in log


def test_endpoint_mode_answers_token_requests_itself(idp):
    """Token-endpoint mode on a configured path, kafka-auth-handler's bytes; other paths pass on."""
    config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text(),
                              mode="endpoint", token_path="/token", response_style="kafka-auth-handler")
    config["properties"]["sasl.oauthbearer.assertion.claim.jti.include"] = "true"
    envoy_config = bootstrap([listener("sidecar", [plugin_filter(config)], None)], [cluster("idp", idp.port)])
    with Envoy(envoy_config) as envoy:
        port = envoy.port("sidecar")
        status, headers, body = get(port, "/token?scope=kafka")
        assert status == 200 and headers["content-type"] == "application/json", body
        answer = json.loads(body)
        assert list(answer) == ["access_token", "expires_in", "token_type"]  # Go's sorted keys
        assert claims(answer["access_token"])["sub"] == "app-es256" and 3590 <= answer["expires_in"] <= 3600
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/token", body="grant_type=client_credentials&scope=kafka",
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic eDp5"})
        post = conn.getresponse()
        assert post.status == 200 and json.loads(post.read())["access_token"] == answer["access_token"]
        conn.request("OPTIONS", "/token")
        options = conn.getresponse()
        options.read()
        assert options.status == 204 and options.getheader("allow") == "GET, HEAD, POST, OPTIONS"
        conn.request("DELETE", "/token")
        refused = conn.getresponse()
        assert refused.status == 405 and json.loads(refused.read())["error"] == "invalid_request"
        conn.close()
        assert get(port, "/elsewhere")[0] == 404, "other paths go on to the route"
        assert idp.requests == 1


def test_a_hanging_idp_gives_a_503_at_the_fetch_deadline(idp, echo):
    """The IdP answers after 3 s; with `fetch_timeout_ms` 400 the waiting request is released with a
    JSON 503 near the deadline, and nothing reaches the upstream without a token."""
    idp.delay = 3
    config = assertion_config(idp, "app-es256", private_key=(KEYS / "ec-p256.pkcs8.pem").read_text(),
                              fetch_timeout_ms=400)
    with Envoy(injector(idp, echo, config)) as envoy:
        started = time.monotonic()
        status, _, body = get(envoy.port("main"))
        elapsed = time.monotonic() - started
        assert status == 503, body
        # Envoy answers a timed-out callout with its own 504 ("upstream request timeout").
        assert json.loads(body)["code"] in {"fetch_timeout", "token_endpoint_unreachable", "token_response_error"}, body
        assert elapsed < 2.5, f"released after {elapsed:.2f} s, not at the 0.4 s deadline"
    assert echo.seen == []
