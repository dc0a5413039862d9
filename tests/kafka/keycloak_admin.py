"""Keycloak's admin REST API, as the tests use it: a realm, clients that authenticate with a signed
JWT (their public keys as a JWKS string) or a client secret, an audience mapper so access tokens
name the broker's audience."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

AUDIENCE = "kafka"


class KeycloakAdmin:
    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.username, self.password = username, password
        self.token = ""
        self.login()

    def login(self) -> None:
        form = urllib.parse.urlencode({"grant_type": "password", "client_id": "admin-cli",
                                       "username": self.username, "password": self.password}).encode()
        with urllib.request.urlopen(f"{self.base}/realms/master/protocol/openid-connect/token", form, timeout=30) as r:
            self.token = json.loads(r.read())["access_token"]

    def call(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        request = urllib.request.Request(f"{self.base}/admin{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None

    def create_realm(self, realm: str) -> None:
        self.call("POST", "/realms", {"realm": realm, "enabled": True})

    def create_client(self, realm: str, client_id: str, *, jwks: Optional[dict] = None,
                      secret: Optional[str] = None) -> None:
        """A confidential client with a service account (client_credentials), authenticated by a
        signed JWT checked against `jwks` or by `secret`; its access tokens name AUDIENCE."""
        client: dict[str, Any] = {
            "clientId": client_id, "enabled": True, "publicClient": False, "serviceAccountsEnabled": True,
            "standardFlowEnabled": False, "directAccessGrantsEnabled": False,
            "protocolMappers": [{
                "name": "kafka-audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                "config": {"included.custom.audience": AUDIENCE, "access.token.claim": "true",
                           "id.token.claim": "false"},
            }],
        }
        if jwks is not None:
            client["clientAuthenticatorType"] = "client-jwt"
            client["attributes"] = {"use.jwks.string": "true", "jwks.string": json.dumps(jwks)}
        else:
            client["clientAuthenticatorType"] = "client-secret"
            client["secret"] = secret
        self.call("POST", f"/realms/{realm}/clients", client)
