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
