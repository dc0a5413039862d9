"""The adapters against the real client libraries: confluent-kafka's constructor calls our
oauth_cb and refuses malformed returns; kafka-python's and aiokafka's SASL code builds its
initial message from our providers."""

import asyncio

import pytest

from oauthbearer import _native
from oauthbearer.adapters import (AIOKafkaTokenProvider, KafkaPythonTokenProvider, confluent_cloud_extensions,
                                  confluent_oauth_cb)
from oauthbearer.providers import LocalIssuerProvider


@pytest.fixture
def provider():
    return LocalIssuerProvider(_native.LocalIssuer("http://127.0.0.1:1", _native.SigningKey.generate()), "alice")


def test_confluent_kafka_accepts_our_oauth_cb(provider):
    import confluent_kafka

    calls = []
    callback = confluent_oauth_cb(provider, confluent_cloud_extensions("lkc-abc123", "pool-Ab1"))

    def counting(config):
        calls.append(config)
        return callback(config)

    producer = confluent_kafka.Producer({"bootstrap.servers": "127.0.0.1:9", "security.protocol": "SASL_PLAINTEXT",
                                         "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": counting})
    producer.flush(0)
    assert calls, "the constructor calls oauth_cb before returning (it blocks until a token is set)"


def test_confluent_kafka_refuses_a_malformed_return():
    import confluent_kafka

    with pytest.raises(confluent_kafka.KafkaException):
        confluent_kafka.Producer({"bootstrap.servers": "127.0.0.1:9", "security.protocol": "SASL_PLAINTEXT",
                                  "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": lambda _c: ("token-only",)})


def test_kafka_python_builds_its_message_from_our_provider(provider):
    from kafka.net.sasl.oauth import AbstractTokenProvider, SaslMechanismOAuth

    adapter = KafkaPythonTokenProvider(provider, {"traceId": "t1"})
    assert isinstance(adapter, AbstractTokenProvider)
    mechanism = SaslMechanismOAuth(sasl_oauth_token_provider=adapter)
    message = mechanism.auth_bytes()
    token = provider.token().value
    assert message == _native.sasl_client_first_message(token, None, [("traceId", "t1")])


def test_aiokafka_provider(provider):
    from aiokafka.abc import AbstractTokenProvider

    adapter = AIOKafkaTokenProvider(provider)
    assert isinstance(adapter, AbstractTokenProvider)
    assert asyncio.run(adapter.token()) == provider.token().value


def test_invalid_extension_is_refused(provider):
    adapter = KafkaPythonTokenProvider(provider, {"auth": "reserved"})
    with pytest.raises(_native.ConfigError):
        adapter.extensions()


def test_importing_the_adapters_imports_no_kafka_client():
    """Issue 25: `import oauthbearer.adapters` loaded kafka-python and aiokafka (356 ms) for everyone."""
    import subprocess
    import sys

    probe = ("import sys, oauthbearer.adapters as a; loaded = sorted(m for m in ('kafka', 'aiokafka', 'confluent_kafka') "
             "if m in sys.modules); a.KafkaPythonTokenProvider; print(loaded, 'kafka' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[] True", out
