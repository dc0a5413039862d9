"""The binary's credential kinds that `test_equality.py` does not cover, each against a loopback
stand-in reached through the SDK's own settings: Entra client secrets and workload identity over
TLS (`AZURE_AUTHORITY_HOST`, `SSL_CERT_FILE`), AWS web identity (IRSA) through STS
(`AWS_ENDPOINT_URL_STS`) under the fixed session name, and a Google service-account key file."""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer

import jwt as pyjwt

from conftest import ROOT, clean_env, start
from loopback import Loopback, Quiet, answer
from tls_proxy import TlsProxy, make_ca_and_leaf

RSA_KEY = ROOT / "tests" / "keys" / "rsa2048.pkcs8.pem"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0a1b2c3d-aaaa-bbbb-cccc-000000000001"
NAMESPACE = "contoso-kafka.servicebus.windows.net"


def entra_token(resource: str, subject: str) -> str:
    now = int(time.time())
    claims = {"aud": resource, "iss": f"https://sts.windows.net/{TENANT}/", "sub": subject, "iat": now, "nbf": now,
              "exp": now + 3600}
    return pyjwt.encode(claims, RSA_KEY.read_bytes(), algorithm="RS256")


class Entra:
    """Entra's v2.0 token endpoint for one tenant over TLS (a CA of the test's own)."""

    def __init__(self, tmp_path) -> None:
        self.ca, leaf, key = make_ca_and_leaf(tmp_path, ["localhost"])
        self.forms: list[dict] = []
        entra = self

        class Handler(Quiet):
            def do_POST(self):  # noqa: N802
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                entra.forms.append({"path": self.path, **form})
                resource = form.get("scope", "").removesuffix("/.default")
                if form.get("client_secret") == "client-secret-PLANTED":
                    subject = "sp-object-id"
                elif form.get("client_assertion") == "projected-token-PLANTED":
                    subject = "workload-object-id"
                else:
                    return answer(self, 401, json.dumps({"error": "invalid_client",
                                                         "error_description": "AADSTS7000215: Invalid client secret"}))
                answer(self, 200, json.dumps({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                                              "access_token": entra_token(resource, subject)}))

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(leaf), str(key))
        self.http.socket = context.wrap_socket(self.http.socket, server_side=True)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.authority = f"https://localhost:{self.http.server_address[1]}"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def served_token(args: list[str], env: dict[str, str]) -> tuple[int, dict, str]:
    running = start("native", ["--no-access-log", *args], env)
    try:
        status, _type, body = running.get("/")
    finally:
        assert running.stop() == 0, running.stderr
    return status, json.loads(body), running.stderr


def test_azure_client_secret_and_workload_identity(tmp_path):
    entra = Entra(tmp_path)
    projected = tmp_path / "azure-identity-token"
    projected.write_text("projected-token-PLANTED")
    base = {"PROVIDER": "azure", "BOOTSTRAP_SERVERS": f"{NAMESPACE}:9093", "HOME": str(tmp_path),
            "AZURE_AUTHORITY_HOST": entra.authority, "SSL_CERT_FILE": str(entra.ca), "AZURE_TENANT_ID": TENANT,
            "AZURE_CLIENT_ID": CLIENT_ID}
    try:
        status, body, _err = served_token([], clean_env(**base, AZURE_CLIENT_SECRET="client-secret-PLANTED"))
        assert status == 200, body
        claims = pyjwt.decode(body["access_token"], options={"verify_signature": False})
        assert (claims["sub"], claims["aud"]) == ("sp-object-id", f"https://{NAMESPACE}")
        status, body, _err = served_token([], clean_env(**base, AZURE_FEDERATED_TOKEN_FILE=str(projected)))
        assert status == 200, body
        assert pyjwt.decode(body["access_token"], options={"verify_signature": False})["sub"] == "workload-object-id"
        # A refused secret: a typed 503 with Entra's code, never the secret.
        status, body, err = served_token([], clean_env(**base, AZURE_CLIENT_SECRET="wrong-secret-PLANTED"))
        assert status == 503 and "credentials_unavailable" in body["error_description"], body
        assert "AADSTS7000215" in body["error_description"]
        assert "wrong-secret-PLANTED" not in json.dumps(body) + err
    finally:
        entra.close()
    scopes = {f["scope"] for f in entra.forms}
    assert scopes == {f"https://{NAMESPACE}/.default"}
    assert all(f["path"] == f"/{TENANT}/oauth2/v2.0/token" for f in entra.forms)


def test_azure_client_certificates_are_refused_with_the_way_out(tmp_path):
    env = clean_env(PROVIDER="azure", BOOTSTRAP_SERVERS=f"{NAMESPACE}:9093", HOME=str(tmp_path),
                    AZURE_TENANT_ID=TENANT, AZURE_CLIENT_ID=CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH="/etc/cert.pem")
    import subprocess

    from conftest import binary

    done = subprocess.run([binary(), "--port", "0"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith("error: credentials_unavailable: AZURE_CLIENT_CERTIFICATE_PATH is set"), done.stderr
    assert "--provider assertion" in done.stderr


STS_ANSWER = """<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>
      <SecretAccessKey>web-identity-secret</SecretAccessKey>
      <SessionToken>web-identity-session</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>system:serviceaccount:kafka:app</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/kafka/oauthbearer</Arn>
      <AssumedRoleId>AROAEXAMPLE:oauthbearer</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"""


def test_aws_web_identity_assumes_the_role_under_the_fixed_session_name(tmp_path):
    """IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, STS reached through AWS_ENDPOINT_URL_STS. The
    session name is `oauthbearer` (aws-config's own default changes per process, and MSK refuses a
    re-authentication that changes the principal)."""
    forms: list[dict] = []
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))

    class Sts(Quiet):
        def do_POST(self):  # noqa: N802
            forms.append(dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode())))
            answer(self, 200, STS_ANSWER.format(expiration=expiration), "text/xml")

    sts = Loopback(Sts)
    token_file = tmp_path / "token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln")
    try:
        status, body, _err = served_token([], clean_env(
            PROVIDER="aws", REGION="us-east-1", HOME=str(tmp_path), AWS_EC2_METADATA_DISABLED="true",
            AWS_ROLE_ARN="arn:aws:iam::123456789012:role/kafka", AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
            AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{sts.port}"))
    finally:
        sts.close()
    assert status == 200, body
    assert 590 <= body["expires_in"] <= 600, "never longer than the role's credentials"
    (form,) = forms
    assert (form["Action"], form["RoleSessionName"]) == ("AssumeRoleWithWebIdentity", "oauthbearer"), form


def test_google_service_account_key_file(tmp_path):
    """ADC from GOOGLE_APPLICATION_CREDENTIALS. google-cloud-auth does not exchange a service-account
    key at its token_uri (google-auth does): it signs a self-signed JWT access token for the scope.
    Its expiry is read from the JWT (tokeninfo does not know self-signed tokens); the principal is
    the key's client_email."""
    from cryptography.hazmat.primitives import serialization

    grants: list[dict] = []

    class Oauth(Quiet):
        def do_POST(self):  # noqa: N802
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            grants.append(form)
            answer(self, 200, json.dumps({"access_token": "ya29.sa-token", "expires_in": 3599,
                                          "token_type": "Bearer"}))

    oauth = Loopback(Oauth)
    expires_at = int(time.time()) + 3599

    class Tokeninfo(Quiet):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            answer(self, 200, json.dumps({"exp": str(expires_at), "expires_in": "3599"}))

    proxy = TlsProxy(tmp_path, ["oauth2.googleapis.com"], Tokeninfo)
    key = serialization.load_pem_private_key(RSA_KEY.read_bytes(), None)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    adc = tmp_path / "sa.json"
    adc.write_text(json.dumps({"type": "service_account", "project_id": "demo", "private_key_id": "k1",
                               "private_key": pem, "client_email": "kafka-client@demo.iam.gserviceaccount.com",
                               "client_id": "1", "token_uri": f"http://127.0.0.1:{oauth.port}/token"}))
    try:
        status, body, _err = served_token(["--provider", "gcp"], clean_env(
            HOME=str(tmp_path), GOOGLE_APPLICATION_CREDENTIALS=str(adc), HTTPS_PROXY=proxy.url,
            SSL_CERT_FILE=str(proxy.ca)))
    finally:
        oauth.close()
        proxy.close()
    assert status == 200, body
    header, claims, access = body["access_token"].split(".")
    import base64

    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["sub"] == "kafka-client@demo.iam.gserviceaccount.com"
    inner = base64.urlsafe_b64decode(access + "=" * (-len(access) % 4)).decode()
    self_signed = pyjwt.decode(inner, key.public_key(), algorithms=["RS256"], options={"verify_aud": False})
    assert self_signed["iss"] == self_signed["sub"] == "kafka-client@demo.iam.gserviceaccount.com"
    assert self_signed["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert decoded["exp"] == self_signed["exp"], "the pseudo-JWT expires with the access token"
    assert grants == [] and proxy.tunnels == [], "no exchange at token_uri, no tokeninfo"
