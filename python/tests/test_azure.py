"""AzureProvider against a loopback Entra ID and App Service's managed-identity endpoint, reached by
azure-identity's own credentials through their documented settings (an authority host over TLS
with a private CA, IDENTITY_ENDPOINT / IDENTITY_HEADER, a workload-identity token file)."""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
        #: Federated credentials Entra would accept as client assertions (projected tokens issued so far).
        self.assertions: set[str] = set()
        self.lifetime = 3600
        self.clock = time.time
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
                        "access_token": token, "expires_on": str(int(entra.clock()) + entra.lifetime),
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
                      and form.get("client_assertion") in entra.assertions):
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
        now = int(self.clock())
        claims = {"aud": resource, "iss": f"https://sts.windows.net/{TENANT}/", "sub": subject, "oid": subject,
                  "tid": TENANT, "iat": now, "nbf": now, "exp": now + self.lifetime}
        return pyjwt.encode(claims, (KEYS / "rsa2048.pkcs8.pem").read_bytes(), algorithm="RS256")

    def close(self):
        for server in (self.tls_server, self.http_server):
            server.shutdown()
            server.server_close()


@pytest.fixture
def entra():
    fake = FakeEntra(localhost_tls())
    fake.ca = localhost_tls()[0]
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
    projected = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig"
    entra.assertions.add(projected)
    token_file.write_text(projected)
    credential = WorkloadIdentityCredential(tenant_id=TENANT, client_id=CLIENT_ID, token_file_path=str(token_file),
                                            authority=entra.authority, disable_instance_discovery=True,
                                            connection_verify=entra.ca)
    token = AzureProvider(BOOTSTRAP, credential=credential).token()
    assert token.principal == "workload-object-id"
    (request,) = [r for r in entra.requests if r["kind"] == "token"]
    assert request["client_assertion"] == projected and "client_secret" not in request


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


def projected_token(now: float, serial: int) -> str:
    """A Kubernetes projected service-account token for Entra's token exchange (what the kubelet
    writes to AZURE_FEDERATED_TOKEN_FILE)."""
    claims = {"iss": "https://oidc.prod-aks.azure.com/tenant/issuer", "sub": "system:serviceaccount:kafka:app",
              "aud": ["api://AzureADTokenExchange"], "iat": int(now), "nbf": int(now), "exp": int(now) + 3600,
              "kubernetes.io": {"serviceaccount": {"name": "app", "uid": str(serial)}}}
    return pyjwt.encode(claims, (KEYS / "rsa2048.pkcs8.pem").read_bytes(), algorithm="RS256")


class KubeletVolume:
    """A projected volume as the kubelet's atomic writer lays it out: the file is a symlink into
    ``..data``, itself a symlink to a timestamped folder that each rotation replaces at once."""

    def __init__(self, root, name: str):
        import os

        self.root, self.name, self.rotations = Path(root), name, 0
        os.symlink(f"..data/{name}", self.root / name)

    @property
    def path(self) -> Path:
        return self.root / self.name

    def write(self, text: str) -> None:
        import os

        self.rotations += 1
        folder = self.root / f"..2026_12_01_{self.rotations:04d}"
        folder.mkdir()
        (folder / self.name).write_text(text)
        os.symlink(folder.name, self.root / "..data_tmp")
        os.replace(self.root / "..data_tmp", self.root / "..data")


def test_kip1258_assertion_file_as_entra_workload_identity_rotated_under_load(entra, tmp_path):
    """Kafka's own KIP-1258 assertion-file setting pointed at the projected token azure-identity
    reads: eight threads ask for tokens while the kubelet rotates the file twenty times and each
    rotation's token is refreshed; not one call fails, and the newest file is what Entra gets."""
    clock = [time.time()]
    entra.clock = lambda: clock[0]
    volume = KubeletVolume(tmp_path, "azure-identity-token")

    def rotate() -> str:
        token = projected_token(clock[0], volume.rotations)
        entra.assertions.add(token)
        volume.write(token)
        return token

    rotate()
    base = f"https://localhost:{entra.tls_server.server_address[1]}/{TENANT}/oauth2/v2.0/token"
    provider = oauthbearer.AssertionProvider({
        "sasl.oauthbearer.token.endpoint.url": base,
        "sasl.oauthbearer.assertion.file": str(volume.path),
        "sasl.oauthbearer.client.credentials.client.id": CLIENT_ID,
        "sasl.oauthbearer.scope": f"{RESOURCE}/.default",
    }, ca_file=entra.ca, clock=lambda: clock[0])
    first = provider.token()
    assert first.principal == "workload-object-id"
    stop, failures = threading.Event(), []

    def hammer() -> None:
        while not stop.is_set():
            try:
                provider.token()
            except Exception as failure:  # noqa: BLE001 - any failure fails the test
                failures.append(repr(failure))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for rotation in range(20):
            # The kubelet rotates, then time passes Kafka's refresh point (80-85 % of the hour) but
            # not the cached token's expiry; the threads' calls start the refresh.
            rotate()
            clock[0] += 3300
            with provider._cond:
                assert provider._cond.wait_for(lambda: provider.fetches >= rotation + 2, timeout=20), rotation
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert failures == []
    forms = [r for r in entra.requests if r["kind"] == "token"]
    assert len(forms) >= 21 and all(f["client_id"] == CLIENT_ID for f in forms)
    assert forms[-1]["client_assertion"] == volume.path.read_text(), "the newest projected token"
    assert len({f["client_assertion"] for f in forms}) == 21, "every rotation was picked up"

