"""Beam start-up hook: a local token endpoint on every worker for Beam Python's Kafka transforms.

Beam's ``ReadFromKafka`` / ``WriteToKafka`` run Kafka's **Java** client, which can only fetch
tokens from a URL. Add this to the pipeline options so each worker imports this module at start-up
and serves tokens on ``http://127.0.0.1:14293``::

    --beam_plugins=oauthbearer.beam.LocalTokenEndpoint
    # consumer_config / producer_config:
    #   sasl.oauthbearer.token.endpoint.url=http://127.0.0.1:14293/token
    #   sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler
    #   (and -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:14293/token for kafka-clients >= 4.0)

The provider comes from the environment as for ``oauthbearer serve``: ``PROVIDER=gcp`` (default on
Dataflow) or ``azure`` with ``BOOTSTRAP_SERVERS``; ``OAUTHBEARER_BEAM_PORT`` changes the port.
Several SDK processes on one worker share one endpoint: the first binds the port, the others find it
taken and rely on it. ``PROVIDER=aws`` is refused: Kafka's Java client cannot take an MSK IAM token
from a URL; use :func:`msk_kafka_config` (AWS's aws-msk-iam-auth) instead.

Workers in ``LOOPBACK`` and ``EXTERNAL`` environments never import ``--beam_plugins``: call
:func:`prepare` with the pipeline options at launch (it starts the endpoint for LOOPBACK workers
and says what to do otherwise), or start ``oauthbearer serve`` from the workers' entrypoint.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Optional

from ._native import ConfigError, LocalIssuer, OAuthBearerError, SigningKey
from .providers import MSK_FROM_A_URL, AzureProvider, GoogleProvider, LocalIssuerProvider, Provider, _error
from .kafka_java import (ALLOWED_URLS_PROPERTY, DEFAULT_TOKEN_URL, LOGIN_HANDLER, LOGIN_HANDLER_3X,  # noqa: F401
                         MSK_IAM_AUTH, MSK_LOGIN_HANDLER, allowed_urls_jvm_option, msk_iam_config, token_url_config)
from .kafka_java import needs_allowed_urls as _needs_allowed_urls
from .server import DEFAULT_PORT, Endpoint, Server, make_server

try:  # apache-beam is optional ([beam] extra); the hook works without the base class for tests.
    from apache_beam.utils.plugin import BeamPlugin
except ImportError:  # pragma: no cover - depends on the environment
    BeamPlugin = object  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)
_lock = threading.Lock()
_server: Optional[Server] = None


def provider_from_environment() -> Provider:
    """``PROVIDER=gcp`` (default), ``azure`` (with ``BOOTSTRAP_SERVERS``) or ``local`` (the embedded
    issuer, for development). ``aws`` is a
    ``ConfigError``: no token URL can serve MSK IAM to Kafka's Java client (:data:`MSK_FROM_A_URL`)."""
    kind = os.environ.get("PROVIDER") or "gcp"
    if kind == "aws":
        raise _error(ConfigError, "invalid_config", MSK_FROM_A_URL)
    if kind == "azure":
        return AzureProvider(os.environ.get("BOOTSTRAP_SERVERS", ""))
    if kind == "local":
        # The embedded issuer (a fresh key per worker): development brokers that trust it.
        return LocalIssuerProvider(LocalIssuer("http://127.0.0.1", SigningKey.generate()), "beam")
    return GoogleProvider(style=os.environ.get("OAUTHBEARER_GOOGLE_STYLE", "google-java"))


def start(provider: Optional[Provider] = None, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          style: str = "standard") -> Optional[Server]:
    """Starts the native endpoint, once per process. Returns the server, or None when
    another process already serves the port."""
    global _server
    with _lock:
        if _server is not None:
            return _server
        try:
            server = make_server(Endpoint(provider=provider or provider_from_environment(), style=style), host, port)
        except ConfigError as err:
            if getattr(err, "code", None) == "address_in_use":
                return None
            raise
        _server = server  # it serves on its own native threads
        return server


#: What Beam's Kafka expansion service runs (Beam 2.6x–2.7x bundle kafka-clients 3.9.x: tests/beam/pom.xml).
BEAM_KAFKA_CLIENTS_VERSION = "3.9"


def kafka_config(bootstrap_servers: str, *, kafka_clients_version: str = BEAM_KAFKA_CLIENTS_VERSION,
                 token_url: str = DEFAULT_TOKEN_URL, security_protocol: str = "SASL_SSL",
                 login_retry_max_ms: int = 120_000) -> dict[str, str]:
    """The ``consumer_config`` / ``producer_config`` for Beam's ``ReadFromKafka`` / ``WriteToKafka``:
    Kafka's Java client fetching tokens from this endpoint.

    ``kafka_clients_version`` is the kafka-clients version of the expansion service (3.9 for Beam's
    own, the default): it picks the login handler's class name (``org.apache.kafka.common.security.
    oauthbearer.OAuthBearerLoginCallbackHandler`` from 3.4 on; the ``…secured.`` alias before) and
    whether the JVM must allow the URL — from kafka-clients 4.0 on, the JVM running the Java
    transforms needs ``-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=<token_url>``
    (:func:`allowed_urls_jvm_option`), else the client refuses to start.

    ``login_retry_max_ms`` (``sasl.login.retry.backoff.max.ms``) is how long the client keeps
    retrying its first token fetch — Kafka's default is 10 s, less than a worker can take to start
    its endpoint; 2 minutes outlasts that."""
    return token_url_config(bootstrap_servers, kafka_clients_version, token_url=token_url,
                            security_protocol=security_protocol, login_retry_max_ms=login_retry_max_ms)


def msk_kafka_config(bootstrap_servers: str, *, role_arn: Optional[str] = None,
                     role_session_name: str = "oauthbearer", profile: Optional[str] = None) -> dict[str, str]:
    """``consumer_config`` / ``producer_config`` for Amazon MSK with IAM from Beam: AWS's own
    aws-msk-iam-auth library (:data:`MSK_IAM_AUTH`, added to the expansion service's classpath)
    signing with its OAUTHBEARER login handler on the worker's AWS credentials.

    No token endpoint is involved, because none can serve MSK: an MSK IAM token is a SigV4-presigned
    URL, and Kafka's Java client checks a token fetched from a URL as a JWT ("Malformed JWT").
    With ``role_arn``, the library assumes the role under the fixed ``role_session_name``, so the
    principal MSK sees is the same at every re-authentication; with web identity (IRSA) instead, set
    ``AWS_ROLE_SESSION_NAME`` on the workers for the same reason."""
    return msk_iam_config(bootstrap_servers, role_arn=role_arn, role_session_name=role_session_name, profile=profile)


def needs_allowed_urls(kafka_clients_version: str = BEAM_KAFKA_CLIENTS_VERSION) -> bool:
    """Whether the JVM must allow the token URL (kafka-clients >= 4.0 denies every URL by default)."""
    return _needs_allowed_urls(kafka_clients_version)


class LocalTokenEndpoint(BeamPlugin):  # type: ignore[misc,valid-type]
    """Name this class in ``--beam_plugins``; importing it on a worker starts the endpoint."""


PLUGIN = f"{__name__}.LocalTokenEndpoint"


def prepare(options: Any, *, port: int = DEFAULT_PORT, provider: Optional[Provider] = None) -> Optional[Server]:
    """Call at launch with the pipeline's options: makes sure the workers will find an endpoint, and
    says so in the log when the plugin cannot do it.

    * ``LOOPBACK``: the Python workers run in this process, which never imports ``--beam_plugins``:
      the endpoint is started here (unless ``port`` is already served) and returned.
    * ``EXTERNAL``: the workers are started by someone else and never import ``--beam_plugins``
      either: a warning says to run ``oauthbearer serve`` next to them (their entrypoint).
    * ``DOCKER``, ``PROCESS`` or the runner's default (Dataflow): the plugin starts the endpoint in
      each worker; a warning says so when ``--beam_plugins`` does not name it.

    The Java Kafka client reaches the endpoint at ``127.0.0.1``, so it must run on the same host (or
    network namespace) as the endpoint: true for Dataflow's SDK containers of one worker VM and for
    Flink's EMBEDDED Java transforms when the endpoint runs on each task manager's host."""
    from apache_beam.options.pipeline_options import PortableOptions, SetupOptions

    environment = (options.view_as(PortableOptions).environment_type or "").upper()
    plugins = options.view_as(SetupOptions).beam_plugins or []
    if environment == "LOOPBACK":
        server = start(provider, port=port)
        if server is None:
            log.info("LOOPBACK workers run in this process, which does not import --beam_plugins; port %d is "
                     "already served here, so the workers use that endpoint", port)
        else:
            log.info("LOOPBACK workers run in this process, which does not import --beam_plugins; serving tokens "
                     "for them on %s", server.url)
        return server
    if environment == "EXTERNAL":
        log.warning("EXTERNAL workers do not import --beam_plugins, so no token endpoint starts with them: run "
                    "`oauthbearer serve` next to each worker (in its entrypoint) on port %d", port)
    elif PLUGIN not in plugins:
        log.warning("--beam_plugins does not name %s: the workers start no token endpoint; add it, or run "
                    "`oauthbearer serve` in the worker container's entrypoint", PLUGIN)
    else:
        log.info("%s workers import --beam_plugins: each starts its token endpoint on 127.0.0.1:%d (nothing "
                 "to do at launch)", environment or "the runner's default", port)
    return None


if os.environ.get("OAUTHBEARER_BEAM_AUTOSTART", "1") != "0" and os.environ.get("PIPELINE_OPTIONS"):
    # The Beam SDK harness sets PIPELINE_OPTIONS; the launcher (which also imports plugins) does not.
    # OAUTHBEARER_BEAM_PORT moves the endpoint off 14293 (then point kafka_config's token_url at it).
    try:
        start(port=int(os.environ.get("OAUTHBEARER_BEAM_PORT", DEFAULT_PORT)))
    except OAuthBearerError as failure:  # a worker must not die on import: say why nothing serves
        log.error("oauthbearer.beam: no token endpoint on this worker: [%s] %s", failure.code, failure)
