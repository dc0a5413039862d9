"""AzureProvider against a loopback Entra ID and App Service's managed-identity endpoint, reached by
azure-identity's own credentials through their documented settings (an authority host over TLS
with a private CA, IDENTITY_ENDPOINT / IDENTITY_HEADER, a workload-identity token file)."""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt as pyjwt
import pytest

import oauthbearer
from oauthbearer import AzureProvider, _native
from oauthbearer.server import Endpoint
from conftest import KEYS, localhost_tls, running, send_json

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0a1b2c3d-aaaa-bbbb-cccc-000000000001"
SECRET = "client-secret-PLANTED-az"
NAMESPACE = "contoso-kafka.servicebus.windows.net"
BOOTSTRAP = f"{NAMESPACE}:9093"
RESOURCE = f"https://{NAMESPACE}"
IDENTITY_HEADER = "identity-header-PLANTED"


class FakeEntra:
    """Entra ID's v2.0 endpoints for one tenant (OpenID discovery, the token endpoint for client
    secrets and client assertions) over TLS, and App Service's managed-identity endpoint over plain
    HTTP, as on App Service. Access tokens are RS256 JWTs (PyJWT) for the scope's resource."""

    def __init__(self, tls: tuple[str, str]):
        import ssl

        self.requests: list[dict] = []
        self.token_file_contents: "str | None" = None
        self.lifetime = 3600
        entra = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path.endswith("/.well-known/openid-configuration"):
                    base = f"https://localhost:{entra.tls_server.server_address[1]}/{TENANT}"
                    return send_json(self, 200, json.dumps({
                        "issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode"}))
                if url.path == "/msi/token":
                    entra.requests.append({"kind": "managed-identity", **query})
                    if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                        return send_json(self, 401, json.dumps({"error": "unauthorized"}))
                    token = entra.access_token(query.get("resource", ""), "mi-object-id")
                    return send_json(self, 200, json.dumps({
                        "access_token": token, "expires_on": str(int(time.time()) + entra.lifetime),
                        "resource": query.get("resource"), "token_type": "Bearer"}))
                send_json(self, 404, "{}")

            def do_POST(self):  # noqa: N802
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                entra.requests.append({"kind": "token", **form})
                scope = form.get("scope", "").split()
                resource = next((s[: -len("/.default")] for s in scope if s.endswith("/.default")), "")
                if form.get("client_secret") == SECRET:
                    subject = "sp-object-id"
                elif (form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                      and form.get("client_assertion") == entra.token_file_contents):
                    subject = "workload-object-id"
                else:
                    return send_json(self, 401, json.dumps({
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: x"}))
                send_json(self, 200, json.dumps({
                    "token_type": "Bearer", "expires_in": entra.lifetime, "ext_expires_in": entra.lifetime,
                    "access_token": entra.access_token(resource, subject)}))

            def log_message(self, *args):
                pass

        self.tls_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        self.tls_server.socket = context.wrap_socket(self.tls_server.socket, server_side=True)
        self.http_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        for server in (self.tls_server, self.http_server):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.authority = f"https://localhost:{self.tls_server.server_address[1]}"
        self.identity_endpoint = f"http://127.0.0.1:{self.http_server.server_address[1]}/msi/token"

    def access_token(self, resource: str, subject: str) -> str:
        now = int(time.time())
        claims = {"aud": resource, "iss": f"https://sts.windows.net/{TENANT}/", "sub": subject, "oid": subject,
                  "tid": TENANT, "iat": now, "nbf": now, "exp": now + self.lifetime}
        return pyjwt.encode(claims, (KEYS / "rsa2048.pkcs8.pem").read_bytes(), algorithm="RS256")

    def close(self):
        for server in (self.tls_server, self.http_server):
            server.shutdown()
            server.server_close()


@pytest.fixture
def entra(tmp_path):
    fake = FakeEntra(localhost_tls(tmp_path))
    fake.ca = str(tmp_path / "cert.pem")
    yield fake
    fake.close()


def client_secret_credential(entra, secret=SECRET):
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(TENANT, CLIENT_ID, secret, authority=entra.authority,
                                  disable_instance_discovery=True, connection_verify=entra.ca)


def test_client_secret_credential_gets_a_token_for_the_namespace(entra):
    provider = AzureProvider(BOOTSTRAP, credential=client_secret_credential(entra))
    token = provider.token()
    assert provider.scope == f"{RESOURCE}/.default"
    requests = [r for r in entra.requests if r["kind"] == "token"]
    assert [(r["grant_type"], r["client_id"], r["scope"]) for r in requests] == [
        ("client_credentials", CLIENT_ID, f"{RESOURCE}/.default")]
    # The Entra token goes to the client as it is; the principal is its sub, the expiry its exp.
    claims = pyjwt.decode(token.value, options={"verify_signature": False})
    assert (token.principal, claims["aud"], token.expires_at_ms) == ("sp-object-id", RESOURCE, claims["exp"] * 1000)
    assert SECRET not in repr(token) and token.value not in repr(token)
    provider.token()
    assert len([r for r in entra.requests if r["kind"] == "token"]) == 1, "cached until the refresh window"


def test_managed_identity_on_app_service(entra, monkeypatch):
    from azure.identity import ManagedIdentityCredential

    monkeypatch.setenv("IDENTITY_ENDPOINT", entra.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    token = AzureProvider(BOOTSTRAP, credential=ManagedIdentityCredential()).token()
    (request,) = [r for r in entra.requests if r["kind"] == "managed-identity"]
    # Managed identity takes a resource, not a scope: azure-identity strips /.default from ours.
    assert request["resource"] == RESOURCE
    assert token.principal == "mi-object-id"


def test_workload_identity_sends_the_projected_token_file_as_the_client_assertion(entra, tmp_path):
    from azure.identity import WorkloadIdentityCredential

    token_file = tmp_path / "azure-identity-token"
    entra.token_file_contents = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig"
    token_file.write_text(entra.token_file_contents)
    credential = WorkloadIdentityCredential(tenant_id=TENANT, client_id=CLIENT_ID, token_file_path=str(token_file),
                                            authority=entra.authority, disable_instance_discovery=True,
                                            connection_verify=entra.ca)
    token = AzureProvider(BOOTSTRAP, credential=credential).token()
    assert token.principal == "workload-object-id"
    (request,) = [r for r in entra.requests if r["kind"] == "token"]
    assert request["client_assertion"] == entra.token_file_contents and "client_secret" not in request


def test_the_endpoint_serves_event_hubs_tokens_to_kafka_clients(entra):
    """PROVIDER=azure behind the token endpoint: what Kafka's Java client (Beam) fetches."""
    provider = AzureProvider(BOOTSTRAP, credential=client_secret_credential(entra))
    with running(Endpoint(provider=provider)) as server:
        import urllib.request

        with urllib.request.urlopen(server.url, timeout=30) as answer:
            body = json.loads(answer.read())
    accepted = _native.check_access_token(body["access_token"])
    assert accepted.principal == "sp-object-id" and body["token_type"].lower() == "bearer"


def test_wrong_scopes_and_hosts_are_refused_before_any_request(entra):
    for scope in ("https://eventhubs.azure.net/.default", f"{RESOURCE}", f"https://other1.servicebus.windows.net/.default"):
        with pytest.raises(oauthbearer.ConfigError) as err:
            AzureProvider(BOOTSTRAP, scope=scope, credential=client_secret_credential(entra))
        assert err.value.code == "invalid_config" and f"{RESOURCE}/.default" in str(err.value)
    with pytest.raises(oauthbearer.ConfigError):
        AzureProvider("broker.internal:9092")
    assert entra.requests == []


def test_a_refused_credential_is_typed_with_entras_code_and_no_secret(entra):
    wrong = "wrong-secret-PLANTED"
    with pytest.raises(oauthbearer.CredentialsError) as err:
        AzureProvider(BOOTSTRAP, credential=client_secret_credential(entra, wrong)).token()
    assert err.value.code == "credentials_unavailable" and "AADSTS7000215" in str(err.value)
    for secret in (wrong, SECRET):
        assert secret not in str(err.value) and secret not in repr(err.value)
