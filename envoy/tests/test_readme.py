"""The README's two Envoy configurations ("Use from Envoy") run in a real Envoy: only the addresses,
ports and the plugin's path are replaced with the test's; everything else is the README's text, so
the section cannot drift from what works."""

from __future__ import annotations

import http.client
import json
import re

import pytest

from conftest import KEYS, ROOT, Client, Idp
from envoy_harness import PLUGIN, Envoy
from oauthbearer import _native
from test_plugin import claims

README_URL = "http://idp.internal:8080/realms/kafka/token"


def readme_configs() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use from Envoy", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "the README's Envoy section has an injector and an endpoint configuration"
    return blocks


def localized(config: str, idp, upstream_port: int | None) -> str:
    """The README's configuration with the test's addresses; fails if an expected text is gone."""
    replacements = {
        "/etc/envoy/oauthbearer_envoy.wasm": str(PLUGIN),
        README_URL: idp.token_url,
        "address: idp.internal, port_value: 8080": f"address: 127.0.0.1, port_value: {idp.port}",
        "port_value: 9901": "port_value: 0",
    }
    if upstream_port is None:
        replacements["port_value: 14293"] = "port_value: 0"
    else:
        replacements["port_value: 10000"] = "port_value: 0"
        replacements["address: rest-proxy.internal, port_value: 8082"] = f"address: 127.0.0.1, port_value: {upstream_port}"
    for old, new in replacements.items():
        assert old in config, f"the README's configuration no longer holds {old!r}"
        config = config.replace(old, new)
    return config


@pytest.fixture
def readme_idp():
    jwk = _native.SigningKey.parse((KEYS / "ec-p256.pkcs8.pem").read_bytes()).public_jwk()
    server = Idp({"kafka-client": Client("kafka-client", "private_key_jwt", jwk=jwk)})
    yield server
    server.close()


ENV = {"OAUTHBEARER_PRIVATE_KEY": (KEYS / "ec-p256.pkcs8.pem").read_text()}


def test_the_readme_injector_configuration(readme_idp, echo):
    config = localized(readme_configs()[0], readme_idp, echo.port)
    with Envoy(config, env=ENV) as envoy:
        conn = http.client.HTTPConnection("127.0.0.1", envoy.port("rest_proxy"), timeout=10)
        conn.request("GET", "/topics", headers={"Authorization": "Bearer the-callers-own"})
        answer = conn.getresponse()
        body = answer.read()
        assert answer.status == 200, body
        token = json.loads(body)["authorization"].removeprefix("Bearer ")
        assert claims(token)["sub"] == "kafka-client"
    assert readme_idp.issued == [("kafka-client", "private_key_jwt")]


def test_the_readme_token_endpoint_configuration(readme_idp):
    config = localized(readme_configs()[1], readme_idp, None)
    with Envoy(config, env=ENV) as envoy:
        conn = http.client.HTTPConnection("127.0.0.1", envoy.port("token_endpoint"), timeout=10)
        conn.request("POST", "/token", body="grant_type=client_credentials",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        body = json.loads(answer.read())
        assert answer.status == 200 and list(body) == ["access_token", "expires_in", "token_type"], body
        assert claims(body["access_token"])["sub"] == "kafka-client"
        conn.request("GET", "/other")
        other = conn.getresponse()
        assert other.status == 404 and other.read() == b"not found"
