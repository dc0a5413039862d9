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
        #: Certificates registered on the app (PEM): client assertions naming one are checked against it.
        self.certificates: list[bytes] = []
        #: A tenant that answers AADSTS700027 to `x5t#S256` (MicrosoftDocs/entra-docs#1301).
        self.sha1_only = False
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
                elif form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                    refusal = entra.check_certificate_assertion(form.get("client_assertion", ""), form.get("client_id"))
                    if refusal:
                        return send_json(self, 401, json.dumps({"error": "invalid_client", "error_description": refusal}))
                    subject = "certificate-object-id"
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

    @property
    def token_endpoint(self) -> str:
        return f"https://localhost:{self.tls_server.server_address[1]}/{TENANT}/oauth2/v2.0/token"

    def check_certificate_assertion(self, assertion: str, client_id: str | None) -> str | None:
        """Entra's certificate-credential checks: the header's thumbprint picks a registered
        certificate, whose key must verify the signature; `aud` is the token endpoint, `iss` and
        `sub` the client id. Returns the refusal's description, or None."""
        import base64

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        header = pyjwt.get_unverified_header(assertion)
        if "x5t#S256" in header:
            if self.sha1_only:
                return "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered."
            name, digest = "x5t#S256", hashes.SHA256()
        elif "x5t" in header:
            name, digest = "x5t", hashes.SHA1()
        else:
            return "AADSTS700027: Client assertion contains an invalid signature: no x5t or x5t#S256 header."
        for pem in self.certificates:
            cert = x509.load_pem_x509_certificate(pem)
            # MSAL pads its thumbprints with "=" (RFC 7515 says unpadded); Entra takes both.
            if base64.urlsafe_b64encode(cert.fingerprint(digest)).rstrip(b"=").decode() == header[name].rstrip("="):
                break
        else:
            return "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered."
        try:
            claims = pyjwt.decode(assertion, cert.public_key(), algorithms=[header["alg"]], audience=self.token_endpoint,
                                  options={"require": ["exp", "iss", "sub", "jti"]})
        except pyjwt.PyJWTError as e:
            return f"AADSTS700027: Client assertion failed signature validation: {type(e).__name__}"
        start = claims.get("nbf", claims.get("iat", claims["exp"]))
        if not claims["iss"] == claims["sub"] == client_id or claims["exp"] - start > 600:
            return "AADSTS700023: Client assertion audience, issuer or lifetime is not valid."
        return None

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


class SpiffeHelperFile:
    """A JWT-SVID file as spiffe-helper writes it (``os.WriteFile``: the same file truncated, then
    written), so a reader can find it empty between the two."""

    def __init__(self, root, name: str):
        self.path, self.rotations = Path(root) / name, 0

    def write(self, text: str) -> None:
        import os

        self.rotations += 1
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)


@pytest.mark.parametrize("writer", [KubeletVolume, SpiffeHelperFile], ids=["kubelet-projected-token", "spiffe-jwt-svid"])
def test_kip1258_assertion_file_as_entra_workload_identity_rotated_under_load(entra, tmp_path, writer):
    """Kafka's own KIP-1258 assertion-file setting pointed at a federated token: the projected token
    azure-identity reads (the kubelet swaps a symlink) or a SPIFFE JWT-SVID (spiffe-helper rewrites
    the file in place). Eight threads ask for tokens while the file is rotated twenty times and each
    rotation's token is refreshed; not one call fails, and the newest file is what Entra gets."""
    clock = [time.time()]
    entra.clock = lambda: clock[0]
    volume = writer(tmp_path, "azure-identity-token")

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



def certificate_properties(entra, algorithm: str) -> dict[str, str]:
    """Entra certificate credentials as Kafka KIP-1258 properties (Microsoft's claims: iss = sub =
    the client id, aud = the token endpoint, a jti, at most 10 minutes)."""
    return {
        "sasl.oauthbearer.token.endpoint.url": entra.token_endpoint,
        "sasl.oauthbearer.client.credentials.client.id": CLIENT_ID,
        "sasl.oauthbearer.scope": f"{RESOURCE}/.default",
        "sasl.oauthbearer.assertion.algorithm": algorithm,
        "sasl.oauthbearer.assertion.private.key.file": str(KEYS / "rsa2048.pkcs8.pem"),
        "sasl.oauthbearer.assertion.claim.iss": CLIENT_ID,
        "sasl.oauthbearer.assertion.claim.sub": CLIENT_ID,
        "sasl.oauthbearer.assertion.claim.aud": entra.token_endpoint,
        "sasl.oauthbearer.assertion.claim.jti.include": "true",
    }


def sent_header(entra) -> dict:
    return pyjwt.get_unverified_header(entra.requests[-1]["client_assertion"])


def test_certificate_credentials_named_by_x5t_s256_as_msal_does_or_by_x5t_as_azure_identity_does(entra, tmp_path):
    """Entra certificate credentials, where even Microsoft's SDKs disagree. The loopback Entra
    checks the header's thumbprint against the registered certificate and the signature with its
    key. MSAL given the certificate sends PS256 + `x5t#S256`; azure-identity's
    CertificateCredential sends RS256 + the SHA-1 `x5t`. Our AssertionProvider sends what MSAL
    sends by default and what azure-identity sends with `thumbprint_header="x5t"`, each accepted
    (unpadded, as RFC 7515 says; both SDKs pad with "=").
    A tenant that refuses `x5t#S256` (AADSTS700027, MicrosoftDocs/entra-docs#1301) gets a typed
    error naming that code, and `x5t` works there."""
    import msal
    import requests
    from azure.identity import CertificateCredential

    key, certificate = (KEYS / "rsa2048.pkcs8.pem").read_bytes(), (KEYS / "rsa2048.cert.pem").read_bytes()
    thumbprints = json.loads((KEYS / "rsa2048.cert.thumbprints.json").read_text())
    entra.certificates.append(certificate)
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE override a session's own CA (psf/requests#3829).
    session.verify, session.trust_env = entra.ca, False
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, authority=f"{entra.authority}/{TENANT}", instance_discovery=False, http_client=session,
        client_credential={"private_key": key.decode(), "public_certificate": certificate.decode()})
    assert "access_token" in app.acquire_token_for_client([f"{RESOURCE}/.default"])
    msal_header = sent_header(entra)
    # MSAL and azure-identity pad their thumbprints with "=" (RFC 7515 says unpadded, as we send).
    assert (msal_header["alg"], msal_header["x5t#S256"].rstrip("=")) == ("PS256", thumbprints["x5t#S256"]), msal_header

    bundle = tmp_path / "client.pem"
    bundle.write_bytes(key + certificate)
    credential = CertificateCredential(TENANT, CLIENT_ID, certificate_path=str(bundle), authority=entra.authority,
                                       disable_instance_discovery=True, connection_verify=entra.ca)
    assert AzureProvider(BOOTSTRAP, credential=credential).token().principal == "certificate-object-id"
    azure_identity_header = sent_header(entra)
    assert azure_identity_header["alg"] == "RS256" and "x5t#S256" not in azure_identity_header
    assert azure_identity_header["x5t"].rstrip("=") == thumbprints["x5t"]

    provider = oauthbearer.AssertionProvider(certificate_properties(entra, "PS256"), ca_file=entra.ca,
                                             certificate_file=KEYS / "rsa2048.cert.pem")
    assert provider.token().principal == "certificate-object-id"
    ours = sent_header(entra)
    assert ours == {"alg": msal_header["alg"], "typ": msal_header["typ"], "x5t#S256": msal_header["x5t#S256"].rstrip("=")}

    entra.sha1_only = True
    with pytest.raises(oauthbearer.OAuthBearerError) as refused:
        oauthbearer.AssertionProvider(certificate_properties(entra, "PS256"), ca_file=entra.ca,
                                      certificate_file=KEYS / "rsa2048.cert.pem").token()
    assert "AADSTS700027" in str(refused.value) and "BEGIN" not in str(refused.value)
    provider = oauthbearer.AssertionProvider(certificate_properties(entra, "RS256"), ca_file=entra.ca,
                                             certificate_file=KEYS / "rsa2048.cert.pem", thumbprint_header="x5t")
    assert provider.token().principal == "certificate-object-id"
    ours = sent_header(entra)
    assert ours == {"alg": "RS256", "typ": "JWT", "x5t": azure_identity_header["x5t"].rstrip("=")}


def test_certificate_options_are_refused_with_codes(entra):
    props = certificate_properties(entra, "RS256")
    with pytest.raises(oauthbearer.OAuthBearerError) as e:
        oauthbearer.AssertionProvider(props, certificate_file=KEYS / "ec-p256.cert.pem")
    assert e.value.code == "invalid_certificate"
    with pytest.raises(oauthbearer.OAuthBearerError) as e:
        oauthbearer.AssertionProvider(props, certificate_file=KEYS / "rsa2048.cert.pem", thumbprint_header="x5c")
    assert e.value.code == "invalid_config"
    with pytest.raises(oauthbearer.OAuthBearerError) as e:
        oauthbearer.AssertionProvider(props, thumbprint_header="x5t")
    assert e.value.code == "invalid_config"
    secret = {"sasl.oauthbearer.token.endpoint.url": entra.token_endpoint,
              "sasl.oauthbearer.client.credentials.client.id": CLIENT_ID,
              "sasl.oauthbearer.client.credentials.client.secret": SECRET}
    with pytest.raises(oauthbearer.OAuthBearerError) as e:
        oauthbearer.AssertionProvider(secret, certificate_file=KEYS / "rsa2048.cert.pem")
    assert e.value.code == "invalid_config" and SECRET not in str(e.value)
