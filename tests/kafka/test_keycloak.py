"""Our KIP-1258 assertions against a real IdP server: Keycloak 26 verifies each algorithm we share
(the public key registered as `oauthbearer jwks` prints it, as given), and every refusal Keycloak
makes of what Kafka's defaults send is reproduced, carries Keycloak's own error_description, and
is one `explain` warned about beforehand."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import oauthbearer
from oauthbearer import _native

from conftest import Sidecar, free_port, run_java
from keycloak import keycloak_secret_conf
from keycloak_admin import AUDIENCE
from oauthbearer.adapters import confluent_oauth_cb
from test_e2e import java_base, roundtrip, safe
from test_envoy import port_of, sidecar
from envoy_harness import Envoy, bootstrap, cluster, listener, plugin_filter  # test_envoy put it on the path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "keys"
ALGORITHMS = {"ES256": "ec-p256.pkcs8.pem", "RS256": "rsa2048.pkcs8.pem", "PS256": "rsa2048.pkcs8.pem",
              "ES384": "ec-p384.pkcs8.pem", "EdDSA": "ed25519.pkcs8.pem"}


def jwks(key: Path, alg: str) -> dict:
    """The JWKS exactly as the CLI prints it for the user to paste into the IdP."""
    done = subprocess.run([sys.executable, "-m", "oauthbearer", "jwks", str(key), "--alg", alg],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def properties(keycloak, client_id: str, alg: str, **overrides: str) -> dict[str, str]:
    """KIP-1258 properties for Keycloak, as the README shows them: aud = the realm's issuer, a jti."""
    return {
        "sasl.oauthbearer.token.endpoint.url": keycloak.token_url,
        "sasl.oauthbearer.assertion.algorithm": alg,
        "sasl.oauthbearer.assertion.private.key.file": str(KEYS / ALGORITHMS[alg]),
        "sasl.oauthbearer.assertion.claim.iss": client_id,
        "sasl.oauthbearer.assertion.claim.sub": client_id,
        "sasl.oauthbearer.assertion.claim.aud": keycloak.issuer,
        "sasl.oauthbearer.assertion.claim.jti.include": "true",
        **overrides,
    }


@pytest.fixture(scope="module")
def clients(keycloak):
    """One Signed-JWT client per algorithm (key registered from the CLI's JWKS) and a secret client."""
    for alg in ALGORITHMS:
        keycloak.admin.create_client(keycloak.realm, f"app-{alg.lower()}", jwks=jwks(KEYS / ALGORITHMS[alg], alg))
    return keycloak


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_keycloak_accepts_our_assertions_with_the_jwks_the_cli_prints(clients, alg):
    client_id = f"app-{alg.lower()}"
    token = oauthbearer.AssertionProvider(properties(clients, client_id, alg), mode="kafka-compatible").token()
    got = claims(token.value)
    assert got["azp"] == client_id and AUDIENCE in got["aud"] and got["iss"] == clients.issuer, got
    assert token.principal == got["sub"]


def test_a_client_secret_client_gets_a_token(clients):
    from keycloak import SECRET_CLIENT
    token = oauthbearer.AssertionProvider({
        "sasl.oauthbearer.token.endpoint.url": clients.token_url,
        "sasl.oauthbearer.client.credentials.client.id": SECRET_CLIENT[0],
        "sasl.oauthbearer.client.credentials.client.secret": SECRET_CLIENT[1],
    }).token()
    assert claims(token.value)["azp"] == "app-secret"


def test_a_jwk_without_use_is_refused_which_is_why_ours_carry_it(clients):
    """The defect the CLI's `use: "sig"` fixes: Keycloak cannot load a key without it."""
    bare = {"keys": [{k: v for k, v in key.items() if k != "use"} for key in jwks(KEYS / "ec-p256.pkcs8.pem", "ES256")["keys"]]}
    clients.admin.create_client(clients.realm, "app-bare-jwk", jwks=bare)
    with pytest.raises(oauthbearer.OAuthBearerError) as refused:
        oauthbearer.AssertionProvider(properties(clients, "app-bare-jwk", "ES256")).token()
    assert "Unable to load public key" in str(refused.value)


def refusal(props: dict[str, str], *, attempts: int = 1) -> oauthbearer.OAuthBearerError:
    provider = oauthbearer.AssertionProvider(props, mode="kafka-compatible")
    for _ in range(attempts - 1):
        provider.token()
        provider = oauthbearer.AssertionProvider(props, mode="kafka-compatible")
    with pytest.raises(oauthbearer.OAuthBearerError) as refused:
        provider.token()
    return refused.value


def explained(props: dict[str, str]) -> set[str]:
    """explain's codes, with the template file's contents as the CLI reads them."""
    template = props.get("sasl.oauthbearer.assertion.template.file")
    findings = _native.explain(props, assertion_template=Path(template).read_bytes() if template else None)
    return {code for _severity, code, _message, _fix in findings}


def test_keycloak_refusals_are_explained_before_they_happen(clients, tmp_path):
    """Kafka's default (no jti), an aud Keycloak does not take (another spelling of its host, a
    trailing /), two audiences from a template file, a pre-built assertion file sent twice: explain
    names each beforehand, Keycloak
    refuses each with its own description, and our error carries it (and no assertion)."""
    localhost = clients.issuer.replace("127.0.0.1", "localhost")
    cases = [
        ("assertion_without_jti", properties(clients, "app-es256", "ES256",
                                             **{"sasl.oauthbearer.assertion.claim.jti.include": "false"}),
         "Token jti claim is required", 1),
        ("assertion_audience_mismatch", properties(clients, "app-es256", "ES256",
                                                   **{"sasl.oauthbearer.assertion.claim.aud": localhost}),
         "Invalid token audience", 1),
        ("assertion_audience_mismatch", properties(clients, "app-es256", "ES256",
                                                   **{"sasl.oauthbearer.assertion.claim.aud": clients.issuer + "/"}),
         "Invalid token audience", 1),
    ]
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"payload": {"aud": [clients.issuer, clients.token_url]}}))
    cases.append(("assertion_multiple_audiences", properties(clients, "app-es256", "ES256", **{
        "sasl.oauthbearer.assertion.template.file": str(template)}), "Multiple audiences not allowed", 1))
    signer = _native.AssertionSigner(properties(clients, "app-es256", "ES256"),
                                     private_key=(KEYS / "ec-p256.pkcs8.pem").read_bytes())
    assertion = signer.sign(int(time.time() * 1000)).value
    prebuilt = tmp_path / "assertion.jwt"
    prebuilt.write_text(assertion)
    cases.append(("prebuilt_assertion_reused", {"sasl.oauthbearer.token.endpoint.url": clients.token_url,
                                                "sasl.oauthbearer.assertion.file": str(prebuilt)},
                  "Token reuse detected", 2))
    for code, props, description, attempts in cases:
        assert code in explained(props), (code, props)
        err = refusal(props, attempts=attempts)
        assert err.code == "token_response_error" and description in str(err), (code, str(err))
        assert assertion.split(".")[2] not in str(err) and "PLANTED" not in repr(err)


# Through the broker: a second Kafka 4.3.1 broker validates Keycloak's access tokens with Keycloak's
# JWKS (expected issuer: the realm; expected audience: "kafka", from the clients' audience mapper).

def oauth_cb_conf(broker, provider) -> dict:
    return {"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": confluent_oauth_cb(provider)}


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_our_python_provider_produces_and_consumes_with_keycloak_tokens(clients, keycloak_broker, topic, alg):
    provider = oauthbearer.AssertionProvider(properties(clients, f"app-{alg.lower()}", alg), mode="kafka-compatible")
    assert roundtrip(oauth_cb_conf(keycloak_broker, provider), topic)


def test_librdkafka_oidc_with_a_keycloak_client_secret(clients, keycloak_broker, topic):
    assert roundtrip(keycloak_secret_conf(keycloak_broker.bootstrap, clients), topic)


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_kafkas_java_client_kip1258_signer_with_keycloak(clients, keycloak_broker, issuer, topic, alg):
    """Kafka 4.3.1's own KIP-1258 signer, configured as Keycloak needs (jti on, aud the realm)."""
    props = {**java_base(keycloak_broker), **properties(clients, f"app-{alg.lower()}", alg),
             "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;"}
    result = run_java(issuer, props, "roundtrip", safe(topic), allowed_files=(KEYS / ALGORITHMS[alg],))
    assert "consumed" in result, f"{result}; broker log: {keycloak_broker.log}"


def test_the_kip1258_sidecar_serves_kafkas_java_client_keycloak_tokens(clients, keycloak_broker, issuer, topic,
                                                                        tmp_path):
    """The Beam path: `oauthbearer serve` signs assertions for Keycloak, Kafka's Java client fetches
    from it by URL (its client id and secret are placeholders the endpoint does not check)."""
    sidecar = Sidecar(properties(clients, "app-es256", "ES256"), free_port(), tmp_path)
    try:
        props = {**java_base(keycloak_broker), "sasl.oauthbearer.token.endpoint.url": sidecar.url,
                 "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                     'clientId="unused" clientSecret="unused";'}
        result = run_java(issuer, props, "roundtrip", safe(topic))
        assert "consumed" in result, f"{result}; broker log: {keycloak_broker.log}; sidecar: {sidecar.log}"
        assert sidecar.fetches() >= 1
    finally:
        sidecar.stop()


@pytest.mark.parametrize("client", ["kafkajs", "confluent"])
def test_our_node_provider_behind_node_clients_with_keycloak_tokens(clients, keycloak_broker, topic, client, tmp_path):
    """Our Node AssertionProvider (KIP-1258 ES256 to Keycloak, from a .properties file) behind KafkaJS
    and @confluentinc/kafka-javascript: one token for admin, producer and consumer."""
    config = tmp_path / "client.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in properties(clients, "app-es256", "ES256").items()))
    done = subprocess.run(["node", str(Path(__file__).parent / "node_e2e.mjs"), client, keycloak_broker.bootstrap,
                           "-", "-", "-", safe(topic)], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PROPERTIES": str(config)})
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": done.stderr[-2000:]}
    assert "consumed" in result and result["fetches"] == 1, f"{client}: {result}; broker log: {keycloak_broker.log}"


# The Envoy plugin (#11) with Keycloak: its injector puts Keycloak's tokens on requests to an
# upstream that checks them itself (Keycloak's own userinfo endpoint), and its token-endpoint mode
# serves them to Kafka's Java client through the broker. One fetch for both of Envoy's workers.

def envoy_config(keycloak, mode: str, **extra: str) -> dict:
    props = properties(keycloak, "app-es256", "ES256", **extra)
    key = Path(props.pop("sasl.oauthbearer.assertion.private.key.file")).read_text()
    return {"mode": mode, "cluster": "keycloak", "private_key": key, "properties": props}


def test_the_envoy_injector_puts_keycloak_tokens_on_requests_keycloak_accepts(clients):
    """Requests through the injector reach Keycloak's userinfo endpoint with a token Keycloak
    issued to app-es256 (scope openid, so userinfo answers for its service account); the clients'
    own Authorization never passes, and the key and tokens stay out of Envoy's log."""
    netloc = clients.base.removeprefix("http://")
    config = envoy_config(clients, "inject", **{"sasl.oauthbearer.scope": "openid"})
    bootstrap_config = bootstrap([listener("main", [plugin_filter(config)], "keycloak")],
                                 [cluster("keycloak", port_of(clients.base))])
    path = f"/realms/{clients.realm}/protocol/openid-connect/userinfo"
    with Envoy(bootstrap_config) as envoy:
        for _ in range(4):
            connection = http.client.HTTPConnection("127.0.0.1", envoy.port("main"), timeout=30)
            # Keycloak checks a token's issuer against the host the request names: its own.
            connection.request("GET", path, headers={"Host": netloc, "Authorization": "Basic c3RvbGVu"})
            answer = connection.getresponse()
            body = answer.read()
            connection.close()
            assert answer.status == 200, (answer.status, body, envoy.log()[-3000:])
            assert json.loads(body)["preferred_username"] == "service-account-app-es256", body
        assert envoy.stats("wasmcustom.oauthbearer_fetches")["wasmcustom.oauthbearer_fetches"] == 1
        log = envoy.log()
    assert config["private_key"].splitlines()[1] not in log and "eyJ" not in log


def test_the_envoy_sidecar_serves_kafkas_java_client_keycloak_tokens(clients, keycloak_broker, issuer, topic):
    """The Beam path with the key inside Envoy: Kafka's Java client fetches from the plugin's
    token endpoint, which signs the KIP-1258 assertion for Keycloak; the broker checks Keycloak's
    token with Keycloak's JWKS."""
    with sidecar(envoy_config(clients, "endpoint"), "keycloak", port_of(clients.base)) as envoy:
        url = f"http://127.0.0.1:{envoy.port('sidecar')}/token"
        props = {**java_base(keycloak_broker), "sasl.oauthbearer.token.endpoint.url": url,
                 "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                     'clientId="unused" clientSecret="unused";'}
        result = run_java(issuer, props, "roundtrip", safe(topic))
        assert "consumed" in result, f"{result}; broker log: {keycloak_broker.log}; envoy log: {envoy.log_path}"
        assert envoy.stats("wasmcustom.oauthbearer_fetches")["wasmcustom.oauthbearer_fetches"] == 1
