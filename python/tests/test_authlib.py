"""An Authlib authorization server (framework-free, on loopback) authenticates our clients the way
an IdP would: KIP-1258 assertions through Authlib's own RFC 7523 `private_key_jwt` verifier, and
client secrets through its `client_secret_basic` check."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse

import pytest
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion

import oauthbearer
from oauthbearer import _native
from oauthbearer.providers import AssertionProvider
from conftest import KEYS, send_json


class Client(ClientMixin):
    def __init__(self, client_id: str, method: str, secret: str | None = None, jwk: dict | None = None):
        self.client_id, self.method, self.secret, self.jwk = client_id, method, secret, jwk

    def get_client_id(self):  # noqa: ANN201
        return self.client_id

    def get_allowed_scope(self, scope):  # noqa: ANN001, ANN201
        return scope or ""

    def check_client_secret(self, client_secret):  # noqa: ANN001, ANN201
        return self.secret is not None and client_secret == self.secret

    def check_endpoint_auth_method(self, method, endpoint):  # noqa: ANN001, ANN201
        return method == self.method

    def check_grant_type(self, grant_type):  # noqa: ANN001, ANN201
        return grant_type == "client_credentials"


class FormRequest(OAuth2Request):
    def __init__(self, uri: str, form: dict, headers: dict):
        super().__init__("POST", uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self):  # noqa: ANN201
        return self._form

    @property
    def args(self):  # noqa: ANN201
        return {}


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]


class PrivateKeyJwt(JWTBearerClientAssertion):
    """Authlib's RFC 7523 client-assertion verifier as `private_key_jwt`, with a jti replay cache."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, audience: str):
        super().__init__(validate_jti=True)
        self.audience, self.seen = audience, set()

    def get_audiences(self):  # noqa: ANN201
        return [self.audience]

    def validate_jti(self, claims, jti):  # noqa: ANN001, ANN201
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True

    def resolve_client_public_key(self, client):  # noqa: ANN001, ANN201
        return client.jwk


class Idp(AuthorizationServer):
    """Authlib's server behind the stdlib HTTP server; access tokens are JWTs from a local issuer (Kafka
    clients refuse opaque tokens)."""

    def __init__(self, clients: dict[str, Client]):
        super().__init__()
        self.clients, self.issued = clients, []
        issuer = _native.LocalIssuer("https://idp.test", _native.SigningKey.generate())

        def access_token(client, grant_type, user=None, scope=None):  # noqa: ANN001, ANN202
            return issuer.sign_access_token(client.client_id, int(time.time() * 1000), 3600, None, None).token

        self.register_token_generator("default", BearerTokenGenerator(access_token))
        self.register_grant(ClientCredentials)
        idp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = dict(urllib.parse.parse_qsl(body))
                request = FormRequest(idp.token_url, form, dict(self.headers))
                status, payload, headers = idp.create_token_response(request)
                body = payload if isinstance(payload, str) else json.dumps(payload)
                send_json(self, status, body, [(k, v) for k, v in headers if k.lower() != "content-type"])

            def log_message(self, *args):  # noqa: ANN002
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.token_url = f"http://127.0.0.1:{self.http.server_address[1]}/token"
        self.register_client_auth_method("private_key_jwt", PrivateKeyJwt(self.token_url))
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def query_client(self, client_id):  # noqa: ANN001, ANN201
        return self.clients.get(client_id)

    def create_oauth2_request(self, request):  # noqa: ANN001, ANN201
        return request  # already a FormRequest

    def save_token(self, token, request):  # noqa: ANN001, ANN201
        self.issued.append((request.client.get_client_id(), request.client.method))

    def handle_response(self, status, body, headers):  # noqa: ANN001, ANN201
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        pass

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def idp(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback
    keys = {"app-es256": "ec-p256.pkcs8.pem", "app-rs256": "rsa2048.pkcs8.pem"}
    clients = {cid: Client(cid, "private_key_jwt", jwk=_native.SigningKey.parse((KEYS / f).read_bytes()).public_jwk())
               for cid, f in keys.items()}
    clients["svc"] = Client("svc", "client_secret_basic", secret="s3cret/with=specials&more%")
    server = Idp(clients)
    yield server
    server.close()


@pytest.mark.parametrize(("client_id", "alg", "key"), [("app-es256", "ES256", "ec-p256.pkcs8.pem"),
                                                        ("app-rs256", "RS256", "rsa2048.pkcs8.pem")])
def test_authlib_authenticates_our_kip1258_assertions(idp, client_id, alg, key):
    provider = AssertionProvider({
        "sasl.oauthbearer.token.endpoint.url": idp.token_url,
        "sasl.oauthbearer.assertion.algorithm": alg,
        "sasl.oauthbearer.assertion.private.key.file": str(KEYS / key),
        "sasl.oauthbearer.assertion.claim.iss": client_id,
        "sasl.oauthbearer.assertion.claim.sub": client_id,
        "sasl.oauthbearer.assertion.claim.aud": idp.token_url,
        "sasl.oauthbearer.assertion.claim.jti.include": "true",
    })
    assert provider.token().principal == client_id
    assert idp.issued == [(client_id, "private_key_jwt")]


def test_authlib_authenticates_our_client_secret_requests(idp):
    jaas = ('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
            'clientId="svc" clientSecret="s3cret/with=specials&more%";')
    for extra in ({}, {"sasl.oauthbearer.header.urlencode": "true"}):
        provider = AssertionProvider({"sasl.oauthbearer.token.endpoint.url": idp.token_url, "sasl.jaas.config": jaas,
                                      **extra})
        assert provider.token().principal == "svc"
    assert idp.issued == [("svc", "client_secret_basic")] * 2


def test_authlib_refuses_a_wrong_secret_and_the_error_is_typed(idp):
    jaas = ('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
            'clientId="svc" clientSecret="wrong";')
    with pytest.raises(oauthbearer.TokenEndpointError) as err:
        AssertionProvider({"sasl.oauthbearer.token.endpoint.url": idp.token_url, "sasl.jaas.config": jaas}).token()
    assert err.value.status == 401 and err.value.error == "invalid_client"
    assert "wrong" not in str(err.value)
