"""Byte-equality of the two fronts: `oauthbearer serve` (Python: google-auth, botocore,
azure-identity) and the native binary (google-cloud-auth, aws-config, azure_identity) answer the
same bytes for the same credentials and clock. Both run against the same loopback stand-ins,
reached through the SDKs' own settings (`GCE_METADATA_HOST`, the AWS container-credential
variables, App Service's `IDENTITY_ENDPOINT`, `HTTPS_PROXY` + `SSL_CERT_FILE`), with their wall
clocks frozen at the same second by libfaketime."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import jwt as pyjwt
import pytest

from conftest import ROOT, clean_env, frozen_clock, start
from loopback import Loopback, Quiet, answer
from tls_proxy import TlsProxy

from oauthbearer import _native

KEYS = ROOT / "tests" / "keys"
RSA_KEY = KEYS / "rsa2048.pkcs8.pem"
FRONTS = ("python", "native")


def both(args: list[str], env: dict[str, str], paths: tuple[str, ...] = ("/",)) -> dict[str, list[str]]:
    """Each front's answers (status and body) to `paths`, in turn; both must stop cleanly."""
    answers = {}
    for front in FRONTS:
        running = start(front, args, env)
        try:
            answers[front] = [f"{status} {body}" for status, _type, body in (running.get(p) for p in paths)]
        finally:
            status = running.stop()
        assert status == 0, (front, running.stderr[-2000:])
    return answers


def frozen_now() -> int:
    return int(time.time())


# ---------------------------------------------------------------- Google


class Metadata(Quiet):
    """GCE's metadata server: a token for the default service account, its email."""

    def do_GET(self):  # noqa: N802
        path = self.path.split("?", 1)[0]
        if self.headers.get("Metadata-Flavor") != "Google":
            return answer(self, 403, "{}")
        if path.endswith("/service-accounts/default/token"):
            return answer(self, 200, json.dumps({"access_token": "ya29.metadata-token", "expires_in": 3599,
                                                 "token_type": "Bearer"}), headers=[("Metadata-Flavor", "Google")])
        if path.endswith("/service-accounts/default/email"):
            return answer(self, 200, "workload@demo.iam.gserviceaccount.com", "text/plain",
                          [("Metadata-Flavor", "Google")])
        if "/service-accounts/default" in path:
            return answer(self, 200, json.dumps({"email": "workload@demo.iam.gserviceaccount.com",
                                                 "aliases": ["default"], "scopes": []}),
                          headers=[("Metadata-Flavor", "Google")])
        if path.endswith("/project/project-id"):
            return answer(self, 200, "demo", "text/plain", [("Metadata-Flavor", "Google")])
        answer(self, 200, "", "text/plain", [("Metadata-Flavor", "Google")])


def tokeninfo_handler(expires_at: int) -> type:
    class Tokeninfo(Quiet):
        """Google's tokeninfo: the metadata token's expiry, as metadata's `expires_in` put it."""

        def do_POST(self):  # noqa: N802
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            if urllib.parse.urlsplit(self.path).path != "/tokeninfo" or form.get("access_token") != "ya29.metadata-token":
                return answer(self, 400, json.dumps({"error": "invalid_token"}))
            answer(self, 200, json.dumps({"azp": "1", "aud": "1", "scope": "https://www.googleapis.com/auth/cloud-platform",
                                          "exp": str(expires_at), "expires_in": "3599", "access_type": "online"}))

    return Tokeninfo


@pytest.mark.parametrize("args,env", [
    ([], {"PROVIDER": "gcp"}),
    (["--provider", "gcp"], {}),
    (["--provider", "gcp", "--gcp-style", "google-python", "--response-style", "google-python"], {}),
    (["--provider", "gcp"], {"GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL": "kafka@other.iam.gserviceaccount.com"}),
], ids=["kafka-auth-handler", "google-java", "google-python", "principal-override"])
def test_google_on_the_metadata_server(tmp_path, args, env):
    now = frozen_now()
    metadata = Loopback(Metadata)
    proxy = TlsProxy(tmp_path, ["oauth2.googleapis.com"], tokeninfo_handler(now + 3599))
    try:
        answers = both(["--no-access-log", *args], clean_env(
            **frozen_clock(now), **env, HOME=str(tmp_path), GCE_METADATA_HOST=f"127.0.0.1:{metadata.port}",
            GCE_METADATA_IP=f"127.0.0.1:{metadata.port}", HTTPS_PROXY=proxy.url, SSL_CERT_FILE=str(proxy.ca)))
    finally:
        metadata.close()
        proxy.close()
    assert answers["python"] == answers["native"]
    status, body = answers["native"][0].split(" ", 1)
    assert status == "200", body
    token = json.loads(body)["access_token"]
    claims = _native.check_access_token(token)
    assert claims.principal == env.get("GOOGLE_MANAGED_KAFKA_AUTH_PRINCIPAL", "workload@demo.iam.gserviceaccount.com")
    assert claims.expires_at_ms == (now + 3599) * 1000
    assert proxy.tunnels == ["oauth2.googleapis.com:443"], "the binary asked Google's tokeninfo for the expiry"


# ---------------------------------------------------------------- AWS

AWS_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE/+=="}


def test_aws_from_the_environment_is_kafka_auth_handlers_answer(tmp_path):
    now = frozen_now()
    env = clean_env(**frozen_clock(now), **AWS_KEYS, PROVIDER="aws", REGION="eu-west-1", HOME=str(tmp_path),
                    AWS_EC2_METADATA_DISABLED="true")
    answers = both(["--no-access-log"], env)
    assert answers["python"] == answers["native"]
    body = json.loads(answers["native"][0].split(" ", 1)[1])
    assert list(body) == ["access_token", "expires_in", "token_type"] and body["expires_in"] == 900
    url = base64.urlsafe_b64decode(body["access_token"] + "==").decode()
    assert url.startswith("https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect"), url


def container_handler(expires: str) -> type:
    class Container(Quiet):
        """ECS / EKS Pod Identity container credentials (`AWS_CONTAINER_CREDENTIALS_FULL_URI`)."""

        def do_GET(self):  # noqa: N802
            if self.headers.get("Authorization") != "container-token-PLANTED":
                return answer(self, 401, "{}")
            answer(self, 200, json.dumps({"AccessKeyId": "ASIACONTAINEREXAMPLE", "SecretAccessKey": "container-secret",
                                          "Token": "container-session-token", "Expiration": expires}))

    return Container


def test_aws_container_credentials_cap_the_token_by_their_expiry(tmp_path):
    now = frozen_now()
    expires = datetime.fromtimestamp(now + 600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    container = Loopback(container_handler(expires))
    try:
        env = clean_env(**frozen_clock(now), PROVIDER="aws", REGION="us-east-1", HOME=str(tmp_path),
                        AWS_EC2_METADATA_DISABLED="true",
                        AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{container.port}/v2/credentials",
                        AWS_CONTAINER_AUTHORIZATION_TOKEN="container-token-PLANTED")
        answers = both(["--no-access-log"], env)
    finally:
        container.close()
    assert answers["python"] == answers["native"]
    body = json.loads(answers["native"][0].split(" ", 1)[1])
    assert body["expires_in"] == 600, "never longer than the credentials"
    assert "container-secret" not in answers["native"][0]


# ---------------------------------------------------------------- Azure

NAMESPACE = "contoso-kafka.servicebus.windows.net"


def app_service_handler(now: int) -> type:
    class AppService(Quiet):
        """App Service's managed-identity endpoint (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`)."""

        def do_GET(self):  # noqa: N802
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            if self.headers.get("X-IDENTITY-HEADER") != "identity-header-PLANTED":
                return answer(self, 401, "{}")
            claims = {"aud": query.get("resource"), "iss": "https://sts.windows.net/t/", "sub": "mi-object-id",
                      "iat": now, "nbf": now, "exp": now + 3600}
            token = pyjwt.encode(claims, RSA_KEY.read_bytes(), algorithm="RS256")
            answer(self, 200, json.dumps({"access_token": token, "expires_on": str(now + 3600),
                                          "resource": query.get("resource"), "token_type": "Bearer"}))

    return AppService


def test_azure_managed_identity_on_app_service(tmp_path):
    now = frozen_now()
    identity = Loopback(app_service_handler(now))
    try:
        env = clean_env(**frozen_clock(now), PROVIDER="azure", BOOTSTRAP_SERVERS=f"{NAMESPACE}:9093",
                        HOME=str(tmp_path), IDENTITY_ENDPOINT=f"http://127.0.0.1:{identity.port}/msi/token",
                        IDENTITY_HEADER="identity-header-PLANTED")
        answers = both(["--no-access-log"], env)
    finally:
        identity.close()
    assert answers["python"] == answers["native"]
    token = json.loads(answers["native"][0].split(" ", 1)[1])["access_token"]
    assert pyjwt.decode(token, options={"verify_signature": False})["aud"] == f"https://{NAMESPACE}"


# ---------------------------------------------------------------- KIP-1258 sidecar, file, local issuer


def fixed_token(now: int, subject: str = "kafka-client") -> str:
    issuer = _native.LocalIssuer("https://idp.test", _native.SigningKey.parse(RSA_KEY.read_bytes()))
    return issuer.sign_access_token(subject, now * 1000, 3600, None, None, "fixed-jti").token


def test_kip1258_sidecar_sends_the_same_request_and_serves_the_same_answer(tmp_path):
    now = frozen_now()
    bodies: list[dict[str, str]] = []
    token = fixed_token(now)

    class Idp(Quiet):
        def do_POST(self):  # noqa: N802
            bodies.append(dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode())))
            answer(self, 200, json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600}))

    idp = Loopback(Idp)
    url = f"http://127.0.0.1:{idp.port}/token"
    config = tmp_path / "client.properties"
    config.write_text("\n".join([
        f"sasl.oauthbearer.token.endpoint.url={url}",
        "sasl.oauthbearer.assertion.algorithm=RS256",
        f"sasl.oauthbearer.assertion.private.key.file={RSA_KEY}",
        "sasl.oauthbearer.assertion.claim.iss=kafka-client", "sasl.oauthbearer.assertion.claim.sub=kafka-client",
        f"sasl.oauthbearer.assertion.claim.aud={url}", "sasl.oauthbearer.assertion.claim.jti.include=true",
        "sasl.oauthbearer.client.credentials.client.id=kafka-client", "sasl.oauthbearer.scope=kafka"]) + "\n")
    try:
        answers = both(["--provider", "assertion", "--config", str(config), "--no-access-log"],
                       clean_env(**frozen_clock(now), HOME=str(tmp_path)))
    finally:
        idp.close()
    assert answers["python"] == answers["native"]
    assert json.loads(answers["native"][0].split(" ", 1)[1])["access_token"] == token
    python_body, native_body = bodies
    assert set(python_body) == set(native_body)
    for name in python_body:
        if name != "client_assertion":
            assert python_body[name] == native_body[name], name
    # The assertions differ in their random jti only.
    headers = [pyjwt.get_unverified_header(b["client_assertion"]) for b in bodies]
    claims = [pyjwt.decode(b["client_assertion"], options={"verify_signature": False}) for b in bodies]
    assert headers[0] == headers[1]
    assert claims[0].pop("jti") != claims[1].pop("jti")
    assert claims[0] == claims[1] and claims[0]["iat"] == now


def test_a_token_file(tmp_path):
    now = frozen_now()
    path = tmp_path / "token.jwt"
    path.write_text(fixed_token(now) + "\n")
    answers = both(["--provider", "file", "--token-file", str(path), "--no-access-log"],
                   clean_env(**frozen_clock(now), HOME=str(tmp_path)))
    assert answers["python"] == answers["native"]
    assert answers["native"][0].startswith('200 {"access_token":"')


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_local_issuer(tmp_path):
    """Same key, port and clock: the same discovery document, JWKS and token, but for the jti
    every token gets fresh (and the signature over it)."""
    now = frozen_now()
    clients = tmp_path / "clients.txt"
    clients.write_text("# id:secret\nkafka:client-secret-PLANTED\n")
    port = free_port()
    env = clean_env(**frozen_clock(now), HOME=str(tmp_path))
    args = ["--key", str(RSA_KEY), "--client-file", str(clients), "--audience", "broker", "--no-access-log"]
    seen = {}
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "kafka",
                                   "client_secret": "client-secret-PLANTED"}).encode()
    for front in FRONTS:
        running = start(front, args + ["--port", str(port)], env)
        try:
            seen[front] = [running.get("/.well-known/openid-configuration"), running.get("/jwks"),
                           running.get("/token", data=form), running.get("/readyz")]
        finally:
            assert running.stop() == 0, running.stderr
    python, native = seen["python"], seen["native"]
    assert python[0] == native[0] and python[1] == native[1] and python[3] == native[3]
    answers = [json.loads(s[2][2]) for s in (python, native)]
    python_token, native_token = (a.pop("access_token") for a in answers)
    assert answers[0] == answers[1], "the rest of the answer"
    assert python_token.split(".")[0] == native_token.split(".")[0], "the same header"
    claims = [pyjwt.decode(t, options={"verify_signature": False}) for t in (python_token, native_token)]
    assert claims[0].pop("jti") != claims[1].pop("jti")
    assert claims[0] == claims[1] and claims[0]["iss"] == f"http://127.0.0.1:{port}" and claims[0]["iat"] == now
