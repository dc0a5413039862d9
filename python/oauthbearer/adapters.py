"""Adapters from a :class:`~oauthbearer.Provider` to each Python Kafka client's token hook.

- confluent-kafka: ``{"oauth_cb": confluent_oauth_cb(provider)}`` — returns
  ``(token, expiry_epoch_seconds, principal, extensions)``.
- kafka-python: ``sasl_oauth_token_provider=KafkaPythonTokenProvider(provider)``.
- aiokafka: ``sasl_oauth_token_provider=AIOKafkaTokenProvider(provider)``.

Confluent Cloud needs ``logicalCluster`` / ``identityPoolId`` extensions:
``confluent_cloud_extensions("lkc-…", "pool-…")``.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Callable, Mapping, Optional

from . import _native
from .providers import Provider


def confluent_cloud_extensions(logical_cluster: str, identity_pool_id: Optional[str] = None) -> dict[str, str]:
    """Confluent Cloud's SASL extensions, validated by the core."""
    return dict(_native.confluent_extensions(logical_cluster, identity_pool_id))


def _extensions(provider: Provider, extra: Optional[Mapping[str, str]], dialect: str) -> dict[str, str]:
    merged = dict(provider.token().extensions)
    merged.update(extra or {})
    for name, value in merged.items():
        _native.validate_extension(name, value, dialect)
    return merged


def confluent_oauth_cb(provider: Provider, extensions: Optional[Mapping[str, str]] = None
                       ) -> Callable[[str], tuple[str, float, str, dict[str, str]]]:
    """confluent-kafka's ``oauth_cb``: librdkafka calls it at start-up and at 80 % of the
    lifetime; the provider's cache makes extra calls free. The lifetime handed over is absolute
    epoch seconds (a float), the unit ``oauth_cb`` wants.

    confluent-kafka since confluent-kafka-python#2130 (merged November 2025; 2.16 is tested with a
    broker) runs the callback on a background thread, so an ``AdminClient`` or ``list_topics`` works
    before any ``poll()``. Older releases ran it only from ``poll()``: call ``client.poll(0)`` once
    after creating the client there."""

    def oauth_cb(_oauthbearer_config: str) -> tuple[str, float, str, dict[str, str]]:
        token = provider.token()
        return token.value, token.expiry_seconds, token.principal, _extensions(provider, extensions, "librdkafka")

    return oauth_cb


def _base(*paths: str) -> type:
    """kafka-python moved ``AbstractTokenProvider`` between releases; subclass whichever exists."""
    for module_name, attr in (p.rsplit(":", 1) for p in paths):
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
    return object


def _kafka_python_provider() -> type:
    class KafkaPythonTokenProvider(_base("kafka.sasl.oauth:AbstractTokenProvider",  # type: ignore[misc]
                                         "kafka.net.sasl.oauth:AbstractTokenProvider",
                                         "kafka.oauth.abstract:AbstractTokenProvider")):
        """kafka-python's ``sasl_oauth_token_provider`` (``token()`` per connection)."""

        def __init__(self, provider: Provider, extensions: Optional[Mapping[str, str]] = None) -> None:
            self.provider, self._extra = provider, dict(extensions or {})

        def token(self) -> str:
            return self.provider.token().value

        def extensions(self) -> dict[str, str]:
            return _extensions(self.provider, self._extra, "kafka-java")

    return KafkaPythonTokenProvider


def _aiokafka_provider() -> type:
    class AIOKafkaTokenProvider(_base("aiokafka.abc:AbstractTokenProvider")):  # type: ignore[misc]
        """aiokafka's ``sasl_oauth_token_provider``: ``await token()`` per connection; a refresh runs
        in a worker thread so the event loop never blocks on HTTP."""

        def __init__(self, provider: Provider, extensions: Optional[Mapping[str, str]] = None) -> None:
            self.provider, self._extra = provider, dict(extensions or {})

        async def token(self) -> str:
            loop = asyncio.get_running_loop()
            token = await loop.run_in_executor(None, self.provider.token)
            return token.value

        def extensions(self) -> dict[str, str]:
            return _extensions(self.provider, self._extra, "kafka-java")

    return AIOKafkaTokenProvider


#: The client-specific adapters, made on first use: each subclasses its client's abstract provider,
#: and importing kafka-python and aiokafka up front cost every user of this module ~350 ms.
_LAZY = {"KafkaPythonTokenProvider": _kafka_python_provider, "AIOKafkaTokenProvider": _aiokafka_provider}


def __getattr__(name: str) -> type:
    make = _LAZY.get(name)
    if make is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    made = globals()[name] = make()
    made.__module__ = __name__
    return made


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
