"""Kafka SASL/OAUTHBEARER tokens: KIP-1258 client assertions, Google Managed Kafka and AWS MSK IAM
tokens, a local token endpoint, and adapters for confluent-kafka, kafka-python and aiokafka.

All token logic lives in the Rust core (``oauthbearer._native``); this package fetches
credentials, makes HTTP requests, caches tokens and adapts to the Kafka clients.
"""

from ._native import (
    AssertionSigner,
    ClientAuthenticationError,
    ConfigError,
    CredentialsError,
    LocalIssuer,
    OAuthBearerError,
    PrebuiltAssertionError,
    PrivateKeyError,
    SigningKey,
    TokenEndpointError,
    TokenError,
    __version__,
)
# Not `typing.TYPE_CHECKING`: importing typing (with re, contextlib, collections) was 10 of the 12 ms
# `import oauthbearer` took; type checkers treat any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .providers import (
        AssertionProvider,
        AzureProvider,
        FileProvider,
        GoogleProvider,
        LocalIssuerProvider,
        MskProvider,
        Provider,
        Token,
    )

# The providers module brings urllib.request, ssl, http.client, email and dataclasses with it; a
# Beam worker or a CLI call that signs with `_native` alone should not pay for them at import, so
# the providers load on first use (PEP 562). tests/test_import.py holds `import oauthbearer` to that.
_PROVIDERS = frozenset({"AssertionProvider", "AzureProvider", "FileProvider", "GoogleProvider",
                        "LocalIssuerProvider", "MskProvider", "Provider", "Token"})


# Submodules reached as attributes (`oauthbearer.providers.…` after `import oauthbearer`), as when
# this module imported the providers eagerly.
_SUBMODULES = frozenset({"adapters", "beam", "cli", "providers", "server"})


def __getattr__(name: str) -> object:
    if name in _PROVIDERS:
        from . import providers

        return getattr(providers, name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PROVIDERS})


__all__ = [
    "AssertionProvider",
    "AzureProvider",
    "AssertionSigner",
    "ClientAuthenticationError",
    "ConfigError",
    "CredentialsError",
    "FileProvider",
    "GoogleProvider",
    "LocalIssuer",
    "LocalIssuerProvider",
    "MskProvider",
    "OAuthBearerError",
    "PrebuiltAssertionError",
    "PrivateKeyError",
    "Provider",
    "SigningKey",
    "Token",
    "TokenEndpointError",
    "TokenError",
    "__version__",
]
