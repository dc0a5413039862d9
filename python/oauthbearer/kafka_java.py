"""What Kafka's Java client needs to take OAUTHBEARER tokens from this package: the properties
for a token endpoint URL and for AWS's MSK IAM library, and the JVM option kafka-clients 4.0+
needs for the URL. :mod:`oauthbearer.beam` and :mod:`oauthbearer.spark` build on these (Beam's
Kafka IO and Spark's Kafka source and sink both run Kafka's Java client on machines the user
does not log into, where only a URL or a class name reaches it)."""

from __future__ import annotations

from typing import Optional

from ._native import ConfigError
from .providers import _error
from .server import DEFAULT_PORT

#: Kafka's login handler for a token endpoint URL, in kafka-clients 3.4 and later. Kafka 3.1–3.9
#: also (and Google's README only) know the ``…oauthbearer.secured.`` alias, which Kafka 4.0
#: removed (KAFKA-18293).
LOGIN_HANDLER = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
LOGIN_HANDLER_3X = "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler"
LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls"
#: From kafka-clients 4.1: the files (KIP-1258's key, assertion, template) the client may read.
ALLOWED_FILES_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.files"
DEFAULT_TOKEN_URL = f"http://127.0.0.1:{DEFAULT_PORT}/token"

#: AWS's MSK IAM library (Maven coordinates) and its OAUTHBEARER login handler.
MSK_IAM_AUTH = "software.amazon.msk:aws-msk-iam-auth:2.3.2"
MSK_LOGIN_HANDLER = "software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler"


def token_url_config(bootstrap_servers: str, kafka_clients_version: str, *, token_url: str = DEFAULT_TOKEN_URL,
                     security_protocol: str = "SASL_SSL", login_retry_max_ms: int = 120_000) -> dict[str, str]:
    """Kafka Java client properties that fetch tokens from ``token_url``.

    ``kafka_clients_version`` picks the login handler's class name (``…oauthbearer.
    OAuthBearerLoginCallbackHandler`` from 3.4 on, the ``…secured.`` alias before).
    ``login_retry_max_ms`` (``sasl.login.retry.backoff.max.ms``) is how long the client keeps
    retrying its first token fetch: Kafka's default is 10 s, less than an endpoint started beside
    the worker can take to come up; 2 minutes outlasts that.

    A ``ConfigError`` (``invalid_config``) for kafka-clients before 3.1, which has no login handler
    for a token endpoint (KIP-768)."""
    if major_minor(kafka_clients_version) < (3, 1):
        raise _error(ConfigError, "invalid_config",
                     f"kafka-clients {kafka_clients_version} has no login handler for a token endpoint (Kafka 3.1 added "
                     "it, KIP-768): run a client of Kafka 3.1 or later (Spark 3.4 and later bring one)")
    return {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": security_protocol,
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.login.callback.handler.class": LOGIN_HANDLER if major_minor(kafka_clients_version) >= (3, 4)
        else LOGIN_HANDLER_3X,
        "sasl.oauthbearer.token.endpoint.url": token_url,
        "sasl.login.retry.backoff.max.ms": str(login_retry_max_ms),
        # Kafka's client_credentials request needs a client id and secret before 4.3; the local
        # endpoint does not check them.
        "sasl.jaas.config": f'{LOGIN_MODULE} required clientId="unused" clientSecret="unused";',
    }


def msk_iam_config(bootstrap_servers: str, *, role_arn: Optional[str] = None, role_session_name: str = "oauthbearer",
                   profile: Optional[str] = None) -> dict[str, str]:
    """Kafka Java client properties for Amazon MSK with IAM through AWS's aws-msk-iam-auth
    (:data:`MSK_IAM_AUTH`) and its OAUTHBEARER login handler, on the machine's AWS credentials.
    With ``role_arn`` the library assumes the role under the fixed ``role_session_name``, so the
    principal MSK sees is the same at every re-authentication."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.jaas.config": msk_jaas(LOGIN_MODULE, role_arn=role_arn, role_session_name=role_session_name,
                                     profile=profile),
        "sasl.login.callback.handler.class": MSK_LOGIN_HANDLER,
        "sasl.client.callback.handler.class": MSK_LOGIN_HANDLER,
    }


def msk_jaas(login_module: str, *, role_arn: Optional[str], role_session_name: str, profile: Optional[str]) -> str:
    """``sasl.jaas.config`` for `login_module` with aws-msk-iam-auth's options (its profile, or the
    role it assumes under a fixed session name)."""
    options = []
    if profile:
        options.append(f'awsProfileName="{profile}"')
    if role_arn:
        options += [f'awsRoleArn="{role_arn}"', f'awsRoleSessionName="{role_session_name}"']
    return " ".join([f"{login_module} required", *options]) + ";"


def needs_allowed_urls(kafka_clients_version: str) -> bool:
    """Whether the JVM must allow the token URL (kafka-clients >= 4.0 denies every URL by default)."""
    return major_minor(kafka_clients_version) >= (4, 0)


def allowed_urls_jvm_option(token_url: str = DEFAULT_TOKEN_URL) -> str:
    """The JVM option kafka-clients >= 4.0 needs before it fetches from ``token_url``."""
    return f"-D{ALLOWED_URLS_PROPERTY}={token_url}"


def major_minor(version: str) -> tuple[int, int]:
    """``(major, minor)`` of a version such as ``3.9`` or ``3.9.1``; a ``ConfigError``
    (``invalid_config``) for one that does not start with two numbers."""
    major, minor = (str(version).split(".") + ["0"])[:2]
    if not (major.isdigit() and minor.isdigit()):
        raise _error(ConfigError, "invalid_config",
                     f"kafka-clients version {version!r} is not MAJOR.MINOR[.PATCH] (e.g. 3.9 or 3.9.2)")
    return int(major), int(minor)
