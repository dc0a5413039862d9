"""A loopback IdP for tests: Authlib's authorization server (framework-free, on the stdlib HTTP
server) authenticates clients as an IdP would — KIP-1258 assertions through Authlib's RFC 7523
``private_key_jwt`` verifier (with a ``jti`` replay cache), client secrets through its
``client_secret_basic`` check — and, for the ``jwt-bearer`` grant (RFC 7523 §2.1), PyJWT verifies
the assertion against the client's registered key. Access tokens are JWTs from the core's local
issuer (Kafka clients refuse opaque tokens).

Used by the Python front's tests and the Envoy plugin's tests. Switches for fault tests:
``down`` (answer 503), ``lifetime_seconds`` (token lifetime), ``issued`` (every token handed out).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse

import jwt
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion

from loopback import Loopback, Quiet, answer
from oauthbearer import _native

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


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
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


class PrivateKeyJwt(JWTBearerClientAssertion):
    """Authlib's RFC 7523 client-assertion verifier as `private_key_jwt`, with a jti replay cache."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, audiences: list[str]):
        super().__init__(validate_jti=True)
        self.audiences, self.seen = audiences, set()

    def get_audiences(self):  # noqa: ANN201
        return self.audiences

    def validate_jti(self, claims, jti):  # noqa: ANN001, ANN201
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True

    def resolve_client_public_key(self, client):  # noqa: ANN001, ANN201
        return client.jwk


class Idp(AuthorizationServer):
    """Authlib's server behind the stdlib HTTP server on 127.0.0.1 (`token_url`)."""

    def __init__(self, clients: dict[str, Client], *, lifetime_seconds: int = 3600, audiences: list[str] = ()):
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback
        super().__init__()
        self.clients, self.issued, self.requests = clients, [], 0
        self.lifetime_seconds, self.down, self.delay = lifetime_seconds, False, 0.0
        self.lock = threading.Lock()
        self.issuer = _native.LocalIssuer("https://idp.test", _native.SigningKey.generate())

        def access_token(client, grant_type, user=None, scope=None):  # noqa: ANN001, ANN202
            return self.sign(client.client_id)

        self.register_token_generator("default", BearerTokenGenerator(access_token))
        self.register_grant(ClientCredentials)
        idp = self

        class Handler(Quiet):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with idp.lock:
                    idp.requests += 1
                status, body, headers = idp.answer(body, self.headers)  # case-insensitive, as Envoy lowercases
                answer(self, status, body, headers=headers)

        self.server = Loopback(Handler)
        self.port = self.server.port
        self.token_url = f"http://127.0.0.1:{self.port}/token"
        self.register_client_auth_method("private_key_jwt", PrivateKeyJwt([self.token_url, *audiences]))
        self.audiences = [self.token_url, *audiences]

    def sign(self, subject: str) -> str:
        now = int(time.time() * 1000)
        return self.issuer.sign_access_token(subject, now, self.lifetime_seconds, None, None).token

    def answer(self, body: str, headers: dict) -> tuple[int, str, list]:
        if self.delay:
            time.sleep(self.delay)  # a slow IdP (the behaviour under test, not synchronisation)
        if self.down:
            return 503, json.dumps({"error": "temporarily_unavailable"}), [("Retry-After", "0")]
        form = dict(urllib.parse.parse_qsl(body))
        if form.get("grant_type") == JWT_BEARER:
            return self.jwt_bearer(form.get("assertion", ""))
        request = FormRequest(self.token_url, form, headers)
        status, payload, out = self.create_token_response(request)
        return status, payload if isinstance(payload, str) else json.dumps(payload), out

    def jwt_bearer(self, assertion: str) -> tuple[int, str, list]:
        """RFC 7523 §2.1: PyJWT verifies the assertion with the key of the client its `iss` names."""
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False})["iss"]
            client = self.clients[issuer]
            key = jwt.PyJWK(client.jwk)
            claims = jwt.decode(assertion, key, algorithms=[key.algorithm_name], audience=self.audiences,
                                options={"require": ["exp", "iss", "sub", "aud"]})
        except (jwt.PyJWTError, KeyError) as failure:
            return 400, json.dumps({"error": "invalid_grant", "error_description": type(failure).__name__}), []
        token = self.sign(claims["sub"])
        with self.lock:
            self.issued.append((claims["sub"], "jwt-bearer"))
        return 200, json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime_seconds}), []

    def query_client(self, client_id):  # noqa: ANN001, ANN201
        return self.clients.get(client_id)

    def create_oauth2_request(self, request):  # noqa: ANN001, ANN201
        return request  # already a FormRequest

    def save_token(self, token, request):  # noqa: ANN001, ANN201
        with self.lock:
            self.issued.append((request.client.get_client_id(), request.client.method))

    def handle_response(self, status, body, headers):  # noqa: ANN001, ANN201
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        pass

    def close(self) -> None:
        self.server.close()
