"""Providers: caching with a single-flight refresh, stale-while-failing, and the real token
request / credential flows against servers on 127.0.0.1."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import oauthbearer
from oauthbearer import _native
from oauthbearer.providers import (AssertionProvider, FileProvider, GoogleProvider, LocalIssuerProvider,
                                   MskProvider, Provider, Token)
from oauthbearer.server import Endpoint
from conftest import KEYS, NOW_MS, localhost_tls, running, scripted_server, send_json


class Counting(Provider):
    """A provider whose fetch blocks until released, counting fetches."""

    def __init__(self, clock, fail=False):
        super().__init__(clock=clock)
        self.release, self.entered, self.calls, self.fail = threading.Event(), threading.Event(), 0, fail

    def fetch(self, now_ms):
        self.calls += 1
        self.entered.set()
        self.release.wait(5)
        if self.fail:
            raise _native_error()
        return Token("v", now_ms + 3_600_000, "p", {}, now_ms)


def _native_error():
    try:
        _native.parse_token_response(503, "application/json", "{}")
    except oauthbearer.TokenEndpointError as err:
        return err
    raise AssertionError("unreachable")


def test_hundred_concurrent_calls_make_one_fetch():
    provider = Counting(clock=lambda: NOW_MS / 1000)
    with ThreadPoolExecutor(100) as pool:
        futures = [pool.submit(provider.token) for _ in range(100)]
        assert provider.entered.wait(5)  # the leader is inside fetch; the others queue or wait
        provider.release.set()
        tokens = [f.result(5) for f in futures]
    assert provider.calls == 1 and provider.fetches == 1
    assert {t.value for t in tokens} == {"v"}


def test_refresh_follows_the_core_schedule_and_failure_serves_the_cached_token():
    now = [NOW_MS / 1000]
    provider = Counting(clock=lambda: now[0])
    provider.release.set()
    first = provider.token()
    now[0] += 60  # well before Kafka's 80 % refresh point
    assert provider.token() is first and provider.calls == 1
    now[0] += 3000  # past the refresh point, before expiry
    provider.fail = True
    assert provider.token() is first, "a failed refresh keeps serving the unexpired token"
    now[0] += 600  # expired
    with pytest.raises(oauthbearer.TokenEndpointError):
        provider.token()


def test_assertion_provider_kip1258_against_the_local_issuer(tmp_path):
    """Our KIP-1258 client against our issuer: the issuer verifies the assertion with the client's
    registered public key, the client checks the token as Kafka Java does."""
    key = KEYS / "ec-p256.pkcs8.pem"
    client_jwk = _native.SigningKey.parse(key.read_bytes()).public_jwk()

    def endpoint(url):
        issuer = _native.LocalIssuer(url, _native.SigningKey.generate())
        issuer.register_client("app", None, [client_jwk])
        return Endpoint(issuer=issuer, audience="kafka")

    with running(endpoint) as server:
        props = tmp_path / "client.properties"
        props.write_text(
            f"sasl.oauthbearer.token.endpoint.url={server.url}/token\n"
            f"sasl.oauthbearer.assertion.algorithm=ES256\n"
            f"sasl.oauthbearer.assertion.private.key.file={key}\n"
            f"sasl.oauthbearer.assertion.claim.iss=app\n"
            f"sasl.oauthbearer.assertion.claim.sub=app\n"
            f"sasl.oauthbearer.assertion.claim.aud={server.url}/token\n"
            f"sasl.oauthbearer.assertion.claim.jti.include=true\n"
        )
        provider = AssertionProvider(props)
        token = provider.token()
        assert token.principal == "app"
        # A second client with a wrong key is refused by the issuer: 401, not retried.
        other = tmp_path / "other.properties"
        other.write_text(props.read_text().replace(str(key), str(KEYS / "ec-p256.sec1.pem")).replace(
            "claim.iss=app", "claim.iss=intruder").replace("claim.sub=app", "claim.sub=intruder"))
        with pytest.raises(oauthbearer.TokenEndpointError) as err:
            AssertionProvider(other).token()
        assert err.value.status == 401


def test_client_secret_provider_retries_503_on_kafkas_schedule():
    issued = _native.LocalIssuer("http://x", _native.SigningKey.generate()).sign_access_token("svc", int(time.time() * 1000))
    answers = [(503, '{"error":"temporarily_unavailable"}')] * 2 + [
        (200, json.dumps({"access_token": issued.token, "token_type": "Bearer", "expires_in": 3600}))]
    slept = []
    with scripted_server(answers) as url:
        provider = AssertionProvider({
            "sasl.oauthbearer.token.endpoint.url": f"{url}/token",
            "sasl.jaas.config": 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
                                'clientId="svc" clientSecret="s3cret";',
        }, sleep=slept.append)
        assert provider.token().principal == "svc"
    assert slept == [0.1, 0.2], "Kafka's exponential back-off from sasl.login.retry.backoff.ms=100"


def test_unreachable_endpoint_is_a_typed_error():
    provider = AssertionProvider({
        "sasl.oauthbearer.token.endpoint.url": "http://127.0.0.1:9/token",
        "sasl.login.retry.backoff.ms": "1",
        "sasl.login.retry.backoff.max.ms": "1",
        "sasl.jaas.config": 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
                            'clientId="svc" clientSecret="s3cret";',
    }, sleep=lambda s: None)
    with pytest.raises(oauthbearer.TokenEndpointError) as err:
        provider.token()
    assert err.value.code == "token_endpoint_unreachable" and "s3cret" not in str(err.value)


def test_file_provider_rereads_and_checks(tmp_path):
    issuer = _native.LocalIssuer("http://x", _native.SigningKey.generate())
    path = tmp_path / "token"
    path.write_text(issuer.sign_access_token("first", NOW_MS).token)
    assert FileProvider(path, clock=lambda: NOW_MS / 1000).token().principal == "first"
    path.write_text("not a jwt")
    with pytest.raises(oauthbearer.TokenError):
        FileProvider(path, clock=lambda: NOW_MS / 1000).token()


def test_local_issuer_provider():
    issuer = _native.LocalIssuer("http://x", _native.SigningKey.generate())
    token = LocalIssuerProvider(issuer, "alice", clock=lambda: NOW_MS / 1000).token()
    assert (token.principal, token.expires_at_ms) == ("alice", NOW_MS + 3_600_000)


def test_google_provider_with_a_service_account_key(tmp_path, monkeypatch):
    """google-auth's real service-account flow (a signed JWT grant) against a token URI on
    127.0.0.1 standing in for Google's."""
    google_answer = json.dumps({"access_token": "ya29.test-access-token", "expires_in": 3599, "token_type": "Bearer"})
    with scripted_server([(200, google_answer)]) as url:
        token = _google_token(tmp_path, monkeypatch, url)
    header, claims, inner = token.value.split(".")
    assert token.principal == "kafka-client@demo.iam.gserviceaccount.com"
    accepted = _native.check_access_token(token.value, "kafka-java")
    assert accepted.principal == token.principal and accepted.scopes == ["kafka"]
    import base64
    assert base64.urlsafe_b64decode(inner + "==") == b"ya29.test-access-token"


def _google_token(tmp_path, monkeypatch, token_uri):
    adc = tmp_path / "sa.json"
    adc.write_text(json.dumps({
        "type": "service_account", "project_id": "demo", "private_key_id": "k1",
        "private_key": (KEYS / "rsa2048.pkcs8.pem").read_text(),
        "client_email": "kafka-client@demo.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": f"{token_uri}/token",
    }))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.delenv("GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL", raising=False)
    return GoogleProvider().token()


def test_msk_provider_equals_the_aws_python_signer(monkeypatch):
    import datetime
    from unittest import mock

    import botocore.auth
    import botocore.credentials
    import importlib.metadata
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    when = datetime.datetime(2026, 1, 1, 0, 0, 0)
    ua = "aws-msk-iam-sasl-signer-python/" + importlib.metadata.version("aws-msk-iam-sasl-signer-python")
    ours = MskProvider("eu-west-1", user_agent=ua,
                       clock=lambda: when.replace(tzinfo=datetime.timezone.utc).timestamp()).token()
    creds = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when), mock.patch.object(
            MSKAuthTokenProvider, "__load_default_credentials__", return_value=creds):
        theirs, expiry_ms = MSKAuthTokenProvider.generate_auth_token("eu-west-1")
    assert (ours.value, ours.expires_at_ms) == (theirs, expiry_ms)


@pytest.mark.parametrize("region", ["us-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "us-iso-east-1",
                                    "us-isob-east-1", "us-isof-south-1", "eu-isoe-west-1", "eusc-de-east-1"])
def test_msk_tokens_name_the_host_of_the_regions_partition_as_botocore_knows_it(region):
    """China and the isolated partitions have their own domains; the AWS signers hard-code amazonaws.com."""
    import re

    from botocore.loaders import create_loader
    partitions = create_loader().load_data("partitions")["partitions"]
    suffix = next(p["outputs"]["dnsSuffix"] for p in partitions
                  if region in p.get("regions", {}) or re.match(p["regionRegex"], region))
    token = _native.msk_token("AKIAIOSFODNN7EXAMPLE", "secret", None, None, region, NOW_MS)
    assert _native.msk_signed_url(token.value).startswith(f"https://kafka.{region}.{suffix}/?Action=")
    with pytest.raises(oauthbearer.CredentialsError) as wrong:
        _native.msk_token("AKIAIOSFODNN7EXAMPLE", "secret", None, None, "cn-north-1", NOW_MS, domain="amazonaws.com")
    assert wrong.value.code == "invalid_region"


def test_msk_provider_needs_a_region(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(oauthbearer.CredentialsError) as err:
        MskProvider()
    assert err.value.code == "invalid_region"


class _Metadata:
    """Google's metadata server (GCE/GKE/Cloud Run), as google-auth calls it."""

    @staticmethod
    def handler():
        from http.server import BaseHTTPRequestHandler

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = self.path.split("?", 1)[0]
                if path.endswith("/service-accounts/default/token"):
                    body = {"access_token": "ya29.metadata-token", "expires_in": 3599, "token_type": "Bearer"}
                elif "/service-accounts/default" in path:
                    body = {"email": "workload@demo.iam.gserviceaccount.com", "aliases": ["default"],
                            "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}
                elif path.endswith("/project/project-id"):
                    body = "demo"
                else:
                    body = ""
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(200)
                self.send_header("Metadata-Flavor", "Google")
                self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


def test_google_provider_on_the_metadata_server(tmp_path):
    """Metadata-server credentials: the principal is not in any file; google-auth's
    `service_account_email` (fetched from the metadata server) is used."""
    import os
    import subprocess
    import sys
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata.handler())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GCE_", "CLOUDSDK_"))}
    env.update(GCE_METADATA_HOST=host, GCE_METADATA_IP=host, HOME=str(tmp_path))
    code = ("from oauthbearer.providers import GoogleProvider; from oauthbearer import _native\n"
            "t = GoogleProvider().token(); print(t.principal, _native.check_access_token(t.value).principal)")
    try:
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["workload@demo.iam.gserviceaccount.com"] * 2


STS_ANSWER = """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLEASSUMED</AccessKeyId>
      <SecretAccessKey>assumed-secret</SecretAccessKey>
      <SessionToken>assumed-session-token</SessionToken>
      <Expiration>2026-01-01T00:10:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:oauthbearer</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/kafka/oauthbearer</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</AssumeRoleResponse>"""


def test_msk_provider_assumes_a_role_and_caps_the_lifetime_by_its_expiry(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    now = 1767225600  # 2026-01-01T00:00:00Z; the role's credentials expire 10 minutes later
    with scripted_server([(200, STS_ANSWER)]) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
        token = MskProvider("us-east-1", role_arn="arn:aws:iam::123456789012:role/kafka", clock=lambda: now).token()
    url_text = _native.msk_signed_url(token.value)
    assert "X-Amz-Credential=ASIAEXAMPLEASSUMED%2F" in url_text and "X-Amz-Security-Token=assumed-session-token" in url_text
    assert "X-Amz-Expires=600" in url_text and token.expires_at_ms == (now + 600) * 1000


WEB_IDENTITY_ANSWER = STS_ANSWER.replace("AssumeRoleResponse", "AssumeRoleWithWebIdentityResponse").replace(
    "AssumeRoleResult", "AssumeRoleWithWebIdentityResult")


@pytest.mark.parametrize("env, kwargs, expected", [
    ({}, {}, "oauthbearer"),
    ({"AWS_ROLE_SESSION_NAME": "pod-7"}, {}, "pod-7"),
    ({"AWS_ROLE_SESSION_NAME": "pod-7"}, {"role_session_name": "mine"}, "mine"),
])
def test_msk_web_identity_keeps_one_role_session_name_across_refreshes(tmp_path, monkeypatch, env, kwargs, expected):
    """IRSA: every refresh assumes the role with the same session name, so the principal MSK sees
    does not change at re-authentication; the rotated token file is re-read each time."""
    from urllib.parse import parse_qs
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    token_file = tmp_path / "token"
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/kafka")
    bodies: list = []
    with scripted_server([(200, WEB_IDENTITY_ANSWER)], bodies) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
        provider = MskProvider("us-east-1", **kwargs)
        for rotation in range(3):
            token_file.write_text(f"projected-token-{rotation}")
            assert provider.credentials()[0] == "ASIAEXAMPLEASSUMED"
    forms = [parse_qs(b) for b in bodies]
    assert [(f["Action"], f["RoleSessionName"]) for f in forms] == [(["AssumeRoleWithWebIdentity"], [expected])] * 3
    assert [f["WebIdentityToken"][0] for f in forms] == [f"projected-token-{i}" for i in range(3)]


def test_google_refresh_failure_is_typed_and_quotes_nothing(tmp_path, monkeypatch):
    marker = "SECRET-MARKER-g00g"
    answer = json.dumps({"error": "invalid_grant", "error_description": marker})
    with scripted_server([(400, answer)]) as url:
        with pytest.raises(oauthbearer.CredentialsError) as err:
            _google_token(tmp_path, monkeypatch, url)
    assert err.value.code == "credentials_unavailable" and marker not in str(err.value)


def test_an_unexpected_exception_in_fetch_releases_the_waiters():
    """A bug or a library's own exception type in fetch must reach every waiting caller and leave the
    provider usable: it used to leave the refresh in flight forever."""

    class Broken(Counting):
        def fetch(self, now_ms):
            self.calls += 1
            self.entered.set()
            self.release.wait(5)
            raise ValueError("library failure")

    now = [NOW_MS / 1000]
    provider = Broken(clock=lambda: now[0])
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(provider.token) for _ in range(10)]
        assert provider.entered.wait(5)
        provider.release.set()
        for f in futures:
            with pytest.raises(ValueError):
                f.result(5)
    with pytest.raises(ValueError):
        provider.token()
    assert provider.calls == 1, "within the back-off (10 s: not an oauthbearer error) the failure is repeated"
    now[0] += 10
    with pytest.raises(ValueError):
        provider.token()
    assert provider.calls == 2, "after the back-off the next call fetches again"


class Hanging(Provider):
    """A provider whose fetches hang until told otherwise (a metadata server that accepts the
    connection and says nothing), on the real clock."""

    def __init__(self, lifetime_s: float, fetch_timeout_ms: int, clock=time.time):
        super().__init__(clock=clock, fetch_timeout_ms=fetch_timeout_ms)
        self.hang, self.unblock, self.lifetime_s, self.calls = True, threading.Event(), lifetime_s, 0

    def fetch(self, now_ms):
        self.calls += 1
        if self.hang:
            self.unblock.wait()  # until the test ends: never, as far as the callers know
        return Token(f"v{self.calls}", now_ms + int(self.lifetime_s * 1000), "p", {}, now_ms)


def _concurrent_tokens(provider, n=50):
    """n concurrent callers; each result or exception with how long that caller waited."""
    def call():
        start = time.monotonic()
        try:
            return provider.token(), time.monotonic() - start
        except Exception as err:  # noqa: BLE001 - the test inspects it
            return err, time.monotonic() - start
    with ThreadPoolExecutor(n) as pool:
        return [f.result(30) for f in [pool.submit(call) for _ in range(n)]]


def test_a_fetch_that_hangs_forever_releases_every_caller_with_fetch_timeout_at_the_deadline():
    provider = Hanging(lifetime_s=3600, fetch_timeout_ms=300)
    try:
        results = _concurrent_tokens(provider)
        for outcome, waited in results:
            assert isinstance(outcome, oauthbearer.TokenEndpointError) and outcome.code == "fetch_timeout"
            # One deadline (0.3 s), or two for a caller that came after the back-off; plus slack.
            assert waited < 1.5, f"waited {waited:.3f} s with a 0.3 s deadline"
        # The one fetch all 50 waited for (a caller whose thread started past the 100 ms back-off
        # after the deadline would start the retry).
        assert provider.calls <= 2, provider.calls
        # Fetches work again: after the back-off (100 ms) the next caller starts a fresh fetch.
        provider.hang = False
        deadline = time.monotonic() + 5
        while True:
            try:
                token = provider.token()
                break
            except oauthbearer.TokenEndpointError as err:
                # Within the back-off the timeout is repeated; retry until it ends.
                assert err.code == "fetch_timeout" and time.monotonic() < deadline
                threading.Event().wait(0.02)
        assert token.value == f"v{provider.calls}"
    finally:
        provider.unblock.set()


def test_a_hung_refresh_keeps_serving_the_cached_token_and_its_late_answer_is_used():
    now = [NOW_MS / 1000]
    provider = Hanging(lifetime_s=3600, fetch_timeout_ms=200, clock=lambda: now[0])
    provider.hang = False
    first = provider.token()
    assert first.value == "v1"
    provider.hang = True
    now[0] += 3100  # past Kafka's refresh point (80-85 % of an hour), before expiry
    results = _concurrent_tokens(provider)
    assert all(outcome is first for outcome, _ in results), "the valid cached token is served meanwhile"
    assert provider.calls == 2, "one refresh, and it hangs"
    now[0] += 1  # past the refresh's deadline: abandoned, the cached token still served
    assert provider.token() is first and provider.calls == 2
    # The hung refresh answers late with a valid token: it is used.
    provider.hang = False
    provider.unblock.set()
    with provider._cond:
        assert provider._cond.wait_for(lambda: provider.fetches == 2, timeout=5)
    assert provider.token().value == "v2"


class _JwtBearerIdp:
    """A loopback IdP for the jwt-bearer grant (RFC 7523 §2.1): PyJWT verifies the assertion, and
    the answer is a token from a local issuer. Optionally over TLS."""

    def __init__(self, public_pem: bytes, tls=None):
        import http.server
        import ssl
        import urllib.parse

        import jwt as pyjwt

        self.issuer = _native.LocalIssuer("https://idp.test", _native.SigningKey.generate())
        self.grants: list[str] = []
        idp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                idp.grants.append(form.get("grant_type", ""))
                try:
                    claims = pyjwt.decode(form["assertion"], public_pem, algorithms=["ES256"], audience=idp.url)
                    token = idp.issuer.sign_access_token(claims["sub"], int(time.time() * 1000), 3600, None, None)
                    status, body = 200, json.dumps({"access_token": token.token, "token_type": "Bearer"})
                except (KeyError, pyjwt.PyJWTError) as err:
                    status, body = 400, json.dumps({"error": "invalid_grant", "error_description": type(err).__name__})
                send_json(self, status, body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://localhost:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _jwt_bearer_props(url: str) -> dict:
    return {
        "sasl.oauthbearer.token.endpoint.url": url,
        "sasl.oauthbearer.jwt.retriever.class": "org.apache.kafka.common.security.oauthbearer.JwtBearerJwtRetriever",
        "sasl.oauthbearer.assertion.algorithm": "ES256",
        "sasl.oauthbearer.assertion.private.key.file": str(KEYS / "ec-p256.pkcs8.pem"),
        "sasl.oauthbearer.assertion.claim.iss": "svc",
        "sasl.oauthbearer.assertion.claim.sub": "svc",
        "sasl.oauthbearer.assertion.claim.aud": url,
    }


def _public_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key((KEYS / "ec-p256.pkcs8.pem").read_bytes(), None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_assertion_provider_jwt_bearer_grant_verified_by_pyjwt():
    idp = _JwtBearerIdp(_public_pem())
    try:
        token = AssertionProvider(_jwt_bearer_props(idp.url)).token()
        assert token.principal == "svc"
        assert idp.grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    finally:
        idp.close()


def test_assertion_provider_trusts_a_private_ca_only_when_given():
    """`ca_file=` verifies an IdP whose certificate a private CA issued; without it the TLS handshake
    fails and the error is typed."""
    cert, key = localhost_tls()
    idp = _JwtBearerIdp(_public_pem(), tls=(cert, key))
    try:
        props = {**_jwt_bearer_props(idp.url), "sasl.login.retry.backoff.ms": "1", "sasl.login.retry.backoff.max.ms": "1"}
        assert AssertionProvider(props, ca_file=cert).token().principal == "svc"
        with pytest.raises(oauthbearer.TokenEndpointError) as err:
            AssertionProvider(props, sleep=lambda _s: None).token()
        assert err.value.code == "token_endpoint_unreachable"
    finally:
        idp.close()


def test_serve_with_provider_set_is_a_kafka_auth_handler_drop_in(tmp_path):
    """`PROVIDER=gcp oauthbearer serve` on the metadata server answers kafka-auth-handler's layout
    (sorted keys, integer expires_in) around kafka-auth-handler's Google token bytes."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request
    from http.server import ThreadingHTTPServer

    metadata = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata.handler())
    threading.Thread(target=metadata.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    host = f"127.0.0.1:{metadata.server_address[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GCE_", "CLOUDSDK_"))}
    env.update(GCE_METADATA_HOST=host, GCE_METADATA_IP=host, HOME=str(tmp_path), PROVIDER="gcp")
    proc = subprocess.Popen([sys.executable, "-m", "oauthbearer", "serve", "--port", "0", "--no-access-log"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        with urllib.request.urlopen(f"{url}/", timeout=30) as answer:
            body = answer.read().decode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
        metadata.shutdown()
        metadata.server_close()
    answer = json.loads(body)
    assert list(answer) == ["access_token", "expires_in", "token_type"], body
    assert body == json.dumps(answer, separators=(",", ":")), "compact, as Go's json.Marshal"
    token = answer["access_token"]
    claims = _native.check_access_token(token)
    assert claims.principal == "workload@demo.iam.gserviceaccount.com"
    # The token is kafka-auth-handler's bytes for this access token, expiry and principal.
    want = _native.google_token("ya29.metadata-token", claims.expires_at_ms, claims.principal,
                                claims.issued_at_ms, "kafka-auth-handler")
    assert token == want.value


def test_a_fetch_that_returns_an_unusable_token_fails_the_callers_at_once():
    class Broken(Provider):
        def fetch(self, now_ms):
            return Token("v", -1, "p", {}, now_ms)

    started = time.monotonic()
    with pytest.raises(oauthbearer.TokenError) as err:
        Broken(fetch_timeout_ms=5_000).token()
    assert err.value.code == "invalid_token"
    assert time.monotonic() - started < 1, "not left waiting for the deadline"


def test_a_lasting_failure_raised_again_does_not_grow_its_traceback():
    now = [NOW_MS / 1000]

    class Failing(Provider):
        def fetch(self, now_ms):
            raise ValueError("down")

    provider = Failing(clock=lambda: now[0])
    depths = []
    for _ in range(50):
        try:
            provider.token()
        except ValueError as err:
            depth, tb = 0, err.__traceback__
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            depths.append(depth)
    assert len(set(depths[1:])) == 1, depths


def _refused_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/token"


def _secret_client(url: str, secret: str = "s3cret-PLANTED-42") -> dict:
    return {"sasl.oauthbearer.token.endpoint.url": url,
            "sasl.oauthbearer.client.credentials.client.id": "my-client",
            "sasl.oauthbearer.client.credentials.client.secret": secret}


def test_a_refused_connection_is_named_in_the_timeout_and_is_its_cause():
    """Issue 25: a typo in the port read like a slow endpoint ("did not finish within 10000 ms")."""
    # A deadline the first refused attempt always beats, even on a loaded machine.
    provider = AssertionProvider(_secret_client(_refused_url()), fetch_timeout_ms=2000,
                                 sleep=lambda s: time.sleep(0.01))
    with pytest.raises(oauthbearer.TokenEndpointError) as err:
        provider.token()
    assert err.value.code == "fetch_timeout"
    assert "its last attempt failed with token_endpoint_unreachable" in str(err.value)
    assert "connection refused (ConnectionRefusedError)" in str(err.value)
    cause = err.value.__cause__
    assert isinstance(cause, oauthbearer.TokenEndpointError) and cause.code == "token_endpoint_unreachable"


def test_serves_503_naming_the_last_attempt(caplog):
    with running(Endpoint(provider=AssertionProvider(_secret_client(_refused_url()), fetch_timeout_ms=2000,
                                                     sleep=lambda s: time.sleep(0.01)))) as server:
        import urllib.error
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(server.url + "/token", timeout=10)
        body = json.loads(answer.value.read())
    assert answer.value.code == 503 and body["error_description"].startswith("fetch_timeout: ")
    assert "connection refused" in body["error_description"], body


def test_an_idp_that_echoes_the_client_credentials_never_gets_them_shown(caplog):
    """Issue 25: an IdP repeating the decoded Basic credentials in its error_description."""
    secret = "s3cret-PLANTED-42"
    answer = json.dumps({"error": "invalid_client", "error_description": f"bad client credentials my-client:{secret}"})
    with scripted_server([(401, answer)]) as url:
        provider = AssertionProvider(_secret_client(f"{url}/token", secret))
        with pytest.raises(oauthbearer.TokenEndpointError) as err:
            provider.token()
        assert err.value.code == "token_response_error"
        assert "my-client:[redacted]" in str(err.value), str(err.value)
        shown = [str(err.value), repr(err.value), str(getattr(err.value, "error_description", "")),
                 str(getattr(err.value, "kafka_message", ""))]
        with running(Endpoint(provider=AssertionProvider(_secret_client(f"{url}/token", secret)))) as server:
            import urllib.error
            import urllib.request

            with pytest.raises(urllib.error.HTTPError) as served:
                urllib.request.urlopen(server.url + "/token", timeout=10)
            shown.append(served.value.read().decode())
    shown.append(caplog.text)
    assert all(secret not in text for text in shown), shown


def test_sdk_diagnoses_are_kept_redacted_and_relayed_answers_are_not(monkeypatch, tmp_path):
    """Issue 25: "Google credentials could not be refreshed (DefaultCredentialsError)" said nothing
    of ADC's set-up; what a server answered is still never quoted."""
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST", "GCE_METADATA_IP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud ADC file
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:1")  # no metadata server either
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    with pytest.raises(oauthbearer.CredentialsError) as err:
        GoogleProvider().fetch(NOW_MS)
    message = str(err.value)
    assert message.startswith("Google credentials could not be refreshed: DefaultCredentialsError: "), message
    assert "set-up-adc" in message or "default credentials" in message.lower(), message
    assert isinstance(err.value.__cause__, oauthbearer.CredentialsError)


def _with_300_ms_timeouts(url: str) -> AssertionProvider:
    """A client-secret provider whose connect and read timeouts are 300 ms, retried once at once."""
    return AssertionProvider({**_secret_client(url), "sasl.login.read.timeout.ms": "300",
                              "sasl.login.connect.timeout.ms": "300",
                              "sasl.login.retry.backoff.ms": "1", "sasl.login.retry.backoff.max.ms": "1"},
                             fetch_timeout_ms=5000, sleep=lambda s: None)


def test_an_endpoint_that_accepts_and_never_answers_is_a_read_timeout_not_unreachable():
    """Issue 28: a read timeout read "cannot reach the token endpoint … TimeoutError"."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts (the kernel does), never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/token"
        provider = _with_300_ms_timeouts(url)
        with pytest.raises(oauthbearer.TokenEndpointError) as err:
            provider.token()
    assert err.value.code == "token_endpoint_unreachable"
    assert "accepted the connection but did not answer within 0.3 s (read timeout" in str(err.value), str(err.value)


def test_an_endpoint_that_never_accepts_the_connection_is_a_connect_timeout():
    """Issue 28: a listener whose accept queue is full (backlog 0, one connection waiting) drops the
    next SYN, so connecting times out — on loopback, deterministically."""
    import socket

    with socket.socket() as full, socket.socket() as waiting:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        waiting.connect(full.getsockname())  # fills the queue; nobody accepts it
        url = f"http://127.0.0.1:{full.getsockname()[1]}/token"
        provider = _with_300_ms_timeouts(url)
        with pytest.raises(oauthbearer.TokenEndpointError) as err:
            provider.token()
    assert err.value.code == "token_endpoint_unreachable"
    assert "the connection was not accepted within 0.3 s (connect timeout" in str(err.value), str(err.value)
