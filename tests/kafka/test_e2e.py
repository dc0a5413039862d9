"""End to end through a real Apache Kafka 4.3 broker: our Python and Node adapters, librdkafka's OIDC
mode and Kafka's own Java client (token endpoint and KIP-1258) authenticate with tokens from our
local issuer, and the broker refuses the tokens it should."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from conftest import ASSERTION_CLIENTS, AUDIENCE, ROOT, SECRET_CLIENT, run_java, secret_client_conf
from oauthbearer import LocalIssuerProvider, _native
from oauthbearer.providers import Provider, Token
from oauthbearer.adapters import confluent_oauth_cb
from oauthbearer.server import Endpoint, make_server


def safe(topic: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]", "-", topic)[:200]


def roundtrip(conf: dict, topic: str) -> bytes:
    """Produces one record with confluent-kafka and consumes it back."""
    value = f"py-{time.time_ns()}".encode()
    producer = Producer(conf)
    producer.produce(safe(topic), value)
    assert producer.flush(30) == 0, "produce did not complete"
    consumer = Consumer({**conf, "group.id": f"g-{time.time_ns()}", "auto.offset.reset": "earliest"})
    consumer.subscribe([safe(topic)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = consumer.poll(1)
            if message is not None and not message.error() and message.value() == value:
                return message.value()
    finally:
        consumer.close()
    pytest.fail("record not consumed within 60 s")


def test_confluent_kafka_python_with_our_oauth_cb(broker, issuer, topic):
    provider = LocalIssuerProvider(issuer.endpoint.issuer, "alice", audience=AUDIENCE)
    conf = {"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": confluent_oauth_cb(provider)}
    assert roundtrip(conf, topic).startswith(b"py-")
    assert provider.fetches == 1, "one token for the producer and the consumer"


def test_confluent_admin_client_gets_its_first_token_without_poll(broker, issuer):
    """The trap users hit (confluent-kafka-python#1713): an AdminClient (or list_topics before any
    poll()) never called oauth_cb and hung. With our adapter, list_topics answers at once."""
    provider = LocalIssuerProvider(issuer.endpoint.issuer, "admin", audience=AUDIENCE)
    conf = {"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": confluent_oauth_cb(provider)}
    started = time.monotonic()
    metadata = AdminClient(conf).list_topics(timeout=20)
    assert metadata.brokers and time.monotonic() - started < 20
    assert provider.fetches == 1
    assert Producer(conf).list_topics(timeout=20).brokers, "a producer's list_topics before any poll()"


def test_confluent_kafka_python_oidc_mode_against_our_token_endpoint(broker, issuer, topic):
    assert roundtrip(secret_client_conf(broker.bootstrap, issuer), topic).startswith(b"py-")


@pytest.mark.parametrize("client", ["kafkajs", "confluent"])
def test_node_clients_with_our_adapters(broker, issuer, topic, client):
    done = subprocess.run(["node", str(Path(__file__).parent / "node_e2e.mjs"), client, broker.bootstrap,
                           issuer.token_url, *SECRET_CLIENT, safe(topic)],
                          capture_output=True, text=True, timeout=180)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": done.stderr[-2000:]}
    assert "consumed" in result, f"{client}: {result}; broker log: {broker.log}"
    assert result["fetches"] == 1, "the provider fetched once for admin, producer and consumer"


def java_base(broker) -> dict:
    return {
        "bootstrap.servers": broker.bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.login.callback.handler.class":
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
    }


def test_java_client_with_our_token_endpoint(broker, issuer, topic):
    """The Beam path: Kafka's Java client fetches from a token endpoint URL."""
    props = {**java_base(broker), "sasl.oauthbearer.token.endpoint.url": issuer.token_url,
             "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                 f'clientId="{SECRET_CLIENT[0]}" clientSecret="{SECRET_CLIENT[1]}";'}
    result = run_java(issuer, props, "roundtrip", safe(topic))
    assert "consumed" in result, f"{result}; broker log: {broker.log}"


def test_beam_helper_config_runs_the_java_client(broker, issuer, topic):
    """`oauthbearer.beam.kafka_config` is what Beam hands to KafkaIO's Java client: with a provider-backed
    endpoint (as on a Beam worker, where the client id and secret are not checked) it produces and
    consumes through the broker."""
    from oauthbearer.beam import kafka_config

    provider = LocalIssuerProvider(issuer.endpoint.issuer, "beam-worker", audience=AUDIENCE)
    server = make_server(Endpoint(provider=provider), "127.0.0.1", 0)
    try:
        props = kafka_config(broker.bootstrap, kafka_clients_version="4.3.1", token_url=f"{server.url}/token",
                             security_protocol="SASL_PLAINTEXT")
        result = run_java(issuer, props, "roundtrip", safe(topic))
        assert "consumed" in result, f"{result}; broker log: {broker.log}"
    finally:
        server.shutdown()


def _decode(jws: str) -> tuple[dict, dict]:
    header, payload = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in jws.split(".")[:2])
    return header, payload


@pytest.mark.parametrize("client_id", sorted(ASSERTION_CLIENTS))
def test_java_client_kip1258_assertion_verified_by_our_issuer(broker, issuer, topic, client_id):
    """Kafka's own KIP-1258 signer: our issuer verifies its assertion, and its claims equal ours for the
    same configuration."""
    key = ASSERTION_CLIENTS[client_id]
    alg = "ES256" if "es256" in client_id else "RS256"
    assertion_props = {
        "sasl.oauthbearer.token.endpoint.url": issuer.token_url,
        "sasl.oauthbearer.assertion.algorithm": alg,
        "sasl.oauthbearer.assertion.private.key.file": str(key),
        "sasl.oauthbearer.assertion.claim.iss": client_id,
        "sasl.oauthbearer.assertion.claim.sub": client_id,
        "sasl.oauthbearer.assertion.claim.aud": issuer.token_url,
        "sasl.oauthbearer.assertion.claim.jti.include": "true",
    }
    props = {**java_base(broker), **assertion_props,
             "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;"}
    seen = len(issuer.bodies)
    result = run_java(issuer, props, "roundtrip", safe(topic), allowed_files=(key,))
    assert "consumed" in result, f"{result}; broker log: {broker.log}"
    forms = [dict(p.split("=", 1) for p in body.split("&")) for body in issuer.bodies[seen:]]
    theirs = [f["client_assertion"] for f in forms if "client_assertion" in f]
    assert theirs, "the Java client sent no client assertion"
    java_header, java_claims = _decode(theirs[0])
    ours, _errors = _native.FileAssertions(assertion_props).assertion(java_claims["iat"] * 1000)
    our_header, our_claims = _decode(ours)
    assert {k: v for k, v in java_header.items() if k != "kid"} == {k: v for k, v in our_header.items() if k != "kid"}
    assert java_claims.keys() == our_claims.keys()
    assert {k: v for k, v in java_claims.items() if k != "jti"} == {k: v for k, v in our_claims.items() if k != "jti"}


@pytest.mark.parametrize("layout", ["wrapped at 76 columns", "base64 on one line"])
def test_kafkas_own_signer_and_ours_read_a_pem_key_at_any_width(broker, issuer, layout, tmp_path):
    """Issue 28: a key wrapped at 76 columns (Java's MIME encoder) or on one line (Base64.getEncoder())
    was refused by us; Kafka 4.3.1's KIP-1258 signer reads it, and so do we now — the same file, both
    assertions verified by our issuer against the key's registered JWK."""
    lines = ASSERTION_CLIENTS["java-rs256"].read_text().splitlines()
    body = "".join(lines[1:-1])
    if layout.startswith("wrapped"):
        body = "\n".join(body[i:i + 76] for i in range(0, len(body), 76))
    key = tmp_path / "client.key"
    key.write_text(f"{lines[0]}\n{body}\n{lines[-1]}\n")
    assertion_props = {
        "sasl.oauthbearer.token.endpoint.url": issuer.token_url,
        "sasl.oauthbearer.assertion.algorithm": "RS256",
        "sasl.oauthbearer.assertion.private.key.file": str(key),
        "sasl.oauthbearer.assertion.claim.iss": "java-rs256",
        "sasl.oauthbearer.assertion.claim.sub": "java-rs256",
        "sasl.oauthbearer.assertion.claim.aud": issuer.token_url,
        "sasl.oauthbearer.assertion.claim.jti.include": "true",
    }
    props = {**java_base(broker), **assertion_props,
             "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;"}
    seen = len(issuer.bodies)
    result = run_java(issuer, props, "login", allowed_files=(key,))
    assert result.get("login") == "ok", result
    assert any("client_assertion=" in body for body in issuer.bodies[seen:]), "Kafka's signer sent no assertion"
    from oauthbearer import AssertionProvider

    assert AssertionProvider(assertion_props).token().principal == "java-rs256"


def refused(broker, token: str) -> tuple[str, str]:
    """(librdkafka's error, the broker's log lines written meanwhile) when the broker refuses `token`,
    sent with a valid-looking lifetime so that only the broker judges it."""
    offset = len(broker.log_text())
    failed = threading.Event()
    errors: list[str] = []

    def on_error(err) -> None:  # noqa: ANN001
        errors.append(str(err))
        failed.set()

    producer = Producer({"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                         "sasl.mechanisms": "OAUTHBEARER", "error_cb": on_error, "log_level": 0,
                         "oauth_cb": lambda _config: (token, time.time() + 3600, "alice", {})})
    deadline = time.monotonic() + 30
    while not failed.is_set() and time.monotonic() < deadline:
        producer.poll(0.2)
    return " ".join(errors), broker.log_text()[offset:]


def broker_verdict(issuer, token: str) -> tuple[int, dict]:
    """`oauthbearer inspect` judging as the broker does, with the broker's JWKS, audience and issuer."""
    return inspect_verdict(token, "--jwks", issuer.jwks_url, "--audience", AUDIENCE, "--issuer", issuer.url)


def inspect_verdict(token: str, *args: str) -> tuple[int, dict]:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "oauthbearer"), "inspect", token, *args],
                          capture_output=True, text=True)
    return done.returncode, json.loads(done.stdout or "{}")


def test_broker_refuses_a_token_signed_by_another_key(broker, issuer):
    stranger = _native.LocalIssuer(issuer.url, _native.SigningKey.generate())
    token = stranger.sign_access_token("mallory", int(time.time() * 1000), 3600, AUDIENCE, None).token
    error, log = refused(broker, token)
    assert "SASL authentication error" in error and "invalid_token" in error, error
    assert "verification key" in log or "signature" in log, f"the broker log should say why: {broker.log}"
    code, verdict = broker_verdict(issuer, token)
    assert code == 1 and "another key" in verdict["reason"], verdict


def test_broker_refuses_an_expired_token_and_inspect_names_it(broker, issuer):
    past = int(time.time() * 1000) - 7_200_000
    token = issuer.endpoint.issuer.sign_access_token("alice", past, 3600, AUDIENCE, None).token
    error, log = refused(broker, token)
    assert "SASL authentication error" in error, error
    assert "Expiration Time" in log, f"the broker log should say why: {broker.log}"
    code, verdict = broker_verdict(issuer, token)
    assert code == 1 and verdict["code"] == "token_expired", verdict


def test_broker_refuses_a_wrong_audience(broker, issuer):
    token = issuer.endpoint.issuer.sign_access_token("alice", int(time.time() * 1000), 3600, "not-kafka", None).token
    error, log = refused(broker, token)
    assert "SASL authentication error" in error, error
    assert "Audience" in log and "not-kafka" in log, f"the broker log should say why: {broker.log}"
    code, verdict = broker_verdict(issuer, token)
    assert code == 1 and "audience" in verdict["reason"] and "not-kafka" in verdict["reason"], verdict


def test_inspect_accepts_what_the_broker_accepts(broker, issuer):
    token = issuer.endpoint.issuer.sign_access_token("alice", int(time.time() * 1000), 3600, AUDIENCE, None).token
    code, verdict = broker_verdict(issuer, token)
    assert code == 0 and verdict["principal"] == "alice", verdict


@pytest.mark.parametrize("style", ["google-java", "google-python", "kafka-auth-handler"])
def test_google_tokens_pass_the_java_clients_validator(broker, issuer, style):
    """A token endpoint serving Google Managed Kafka's GOOG_OAUTH2_TOKEN tokens: Kafka's Java client
    (ClientJwtValidator) must accept each style at login. Google's broker side is not available here."""
    now = int(time.time() * 1000)
    google = _native.google_token("ya29.fake-access-token", now + 3_600_000,
                                  "kafka@my-project.iam.gserviceaccount.com", now, style)

    class Fixed(Provider):
        def fetch(self, now_ms):  # noqa: ANN001, ANN201
            return Token(google.value, google.expires_at_ms, google.principal, {}, now)

    server = make_server(Endpoint(provider=Fixed()), "127.0.0.1", 0)
    try:
        props = {**java_base(broker), "sasl.oauthbearer.token.endpoint.url": f"{server.url}/token",
                 "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                     'clientId="any" clientSecret="any";'}
        result = run_java(issuer, props, "login")
        assert result.get("login") == "ok", result
    finally:
        server.shutdown()


def test_the_java_driver_reports_an_error_holding_control_characters_as_valid_json(issuer):
    """Kafka quotes a bad bootstrap address in its message; the driver's JSON must escape the tab
    and the control character in it (json.loads in run_java fails otherwise)."""
    result = run_java(issuer, {"bootstrap.servers": "bad\\thost\\u0001:9092", "security.protocol": "PLAINTEXT"},
                      "login")
    assert "bad\thost\x01:9092" in result["error"], result
