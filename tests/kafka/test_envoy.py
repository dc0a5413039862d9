"""The Envoy plugin's token-endpoint mode serving Kafka's own Java client 4.3.1 (the Beam path):
KIP-1258 assertions signed inside Envoy (the client never holds the key) give tokens the real
broker accepts; Google Managed Kafka tokens wrapped from a fake metadata server pass the Java
client's token check in each of the three styles."""

from __future__ import annotations

import base64
import json
import sys
import urllib.request

import pytest

from conftest import ASSERTION_CLIENTS, ROOT, run_java
from test_e2e import java_base, safe

sys.path.insert(0, str(ROOT / "tests" / "support"))
from envoy_harness import PLUGIN, Envoy, bootstrap, cluster, listener, plugin_filter  # noqa: E402
from loopback import Loopback, Quiet, answer  # noqa: E402

DUMMY_CLIENT = ('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
                'clientId="unused" clientSecret="unused";')
EMAIL = "kafka-sidecar@demo-proj.iam.gserviceaccount.com"


@pytest.fixture(scope="module", autouse=True)
def plugin():
    if not PLUGIN.is_file():
        pytest.fail(f"{PLUGIN} is missing: `make envoy-plugin` builds it (the test command does)")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def sidecar(configuration: dict, upstream: str, upstream_port: int) -> Envoy:
    config = bootstrap([listener("sidecar", [plugin_filter(configuration)], None)],
                       [cluster(upstream, upstream_port)])
    return Envoy(config)


def test_java_client_through_the_broker_with_tokens_from_the_envoy_sidecar(broker, issuer, topic):
    key = ASSERTION_CLIENTS["java-es256"]
    configuration = {
        "mode": "endpoint", "cluster": "idp", "private_key": key.read_text(),
        "properties": {
            "sasl.oauthbearer.token.endpoint.url": issuer.token_url,
            "sasl.oauthbearer.assertion.algorithm": "ES256",
            "sasl.oauthbearer.assertion.claim.iss": "java-es256",
            "sasl.oauthbearer.assertion.claim.sub": "java-es256",
            "sasl.oauthbearer.assertion.claim.aud": issuer.token_url,
        },
    }
    seen = len(issuer.bodies)
    with sidecar(configuration, "idp", port_of(issuer.url)) as envoy:
        url = f"http://127.0.0.1:{envoy.port('sidecar')}/token"
        props = {**java_base(broker), "sasl.oauthbearer.token.endpoint.url": url, "sasl.jaas.config": DUMMY_CLIENT}
        result = run_java(issuer, props, "roundtrip", safe(topic))
        assert "consumed" in result, f"{result}; broker log: {broker.log}; envoy log: {envoy.log_path}"
        assert envoy.stats("wasmcustom.oauthbearer_fetches")["wasmcustom.oauthbearer_fetches"] == 1
    forms = [dict(p.split("=", 1) for p in body.split("&")) for body in issuer.bodies[seen:]]
    assert [f["client_assertion_type"] for f in forms] == ["urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"]


class Metadata(Loopback):
    """A fake GCE metadata server: the service account's email and access token, only to requests
    with `Metadata-Flavor: Google` (as the real one)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        metadata = self

        class Handler(Quiet):
            def do_GET(self):  # noqa: N802
                metadata.paths.append(self.path)
                base = "/computeMetadata/v1/instance/service-accounts/default"
                flavor = [("Metadata-Flavor", "Google")]
                if self.headers.get("Metadata-Flavor") != "Google":
                    answer(self, 403, "Missing Metadata-Flavor", "text/html", flavor)
                elif self.path == f"{base}/email":
                    answer(self, 200, EMAIL, "application/text", flavor)
                elif self.path == f"{base}/token":
                    token = {"access_token": "ya29.fake-metadata-token", "expires_in": 3599, "token_type": "Bearer"}
                    answer(self, 200, json.dumps(token), "application/json", flavor)
                else:
                    answer(self, 404, "not found", "text/html", flavor)

        super().__init__(Handler)


@pytest.mark.parametrize("style", ["google-java", "google-python", "kafka-auth-handler"])
def test_google_tokens_from_the_metadata_server_pass_the_java_clients_check(broker, issuer, style):
    metadata = Metadata()
    configuration = {"mode": "endpoint", "source": "google-metadata", "cluster": "metadata",
                     "google_token_style": style, "response_style": "google-python"}
    try:
        with sidecar(configuration, "metadata", metadata.port) as envoy:
            url = f"http://127.0.0.1:{envoy.port('sidecar')}/"
            with urllib.request.urlopen(url, timeout=10) as answer:
                token = json.loads(answer.read())["access_token"]
            header, payload, access = token.split(".")
            assert base64.urlsafe_b64decode(access + "=" * (-len(access) % 4)) == b"ya29.fake-metadata-token"
            assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"] == EMAIL
            props = {**java_base(broker), "sasl.oauthbearer.token.endpoint.url": url, "sasl.jaas.config": DUMMY_CLIENT}
            result = run_java(issuer, props, "login")
            assert result.get("login") == "ok", result
        assert metadata.paths == ["/computeMetadata/v1/instance/service-accounts/default/email",
                                  "/computeMetadata/v1/instance/service-accounts/default/token"]
    finally:
        metadata.close()
