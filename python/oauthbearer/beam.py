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
Dataflow) or ``aws`` with ``REGION``; ``OAUTHBEARER_BEAM_PORT`` changes the port. Several SDK
processes on one worker share one endpoint: the first binds the port, the others find it taken and
rely on it.
"""

from __future__ import annotations

import errno
import os
import threading
from typing import Optional

from .providers import GoogleProvider, MskProvider, Provider
from .server import DEFAULT_PORT, Endpoint, Server, make_server

try:  # apache-beam is optional ([beam] extra); the hook works without the base class for tests.
    from apache_beam.utils.plugin import BeamPlugin
except ImportError:  # pragma: no cover - depends on the environment
    BeamPlugin = object  # type: ignore[misc,assignment]

_lock = threading.Lock()
_server: Optional[Server] = None


def provider_from_environment() -> Provider:
    """``PROVIDER=gcp`` (default) or ``aws`` (with ``REGION`` / ``AWS_REGION``)."""
    if os.environ.get("PROVIDER", "gcp") == "aws":
        return MskProvider(os.environ.get("REGION"))
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
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return None
            raise
        _server = server  # it serves on its own native threads
        return server


#: Kafka's login handler for a token endpoint URL. Kafka 3.x also (and Google's README only) knows the
#: ``…oauthbearer.secured.`` alias, which Kafka 4.0 removed (KAFKA-18293).
LOGIN_HANDLER = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
LOGIN_HANDLER_3X = "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler"
ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls"


def kafka_config(bootstrap_servers: str, *, kafka_clients_version: str = "4.0",
                 token_url: str = f"http://127.0.0.1:{DEFAULT_PORT}/token",
                 security_protocol: str = "SASL_SSL") -> dict[str, str]:
    """The ``consumer_config`` / ``producer_config`` for Beam's ``ReadFromKafka`` / ``WriteToKafka``:
    Kafka's Java client fetching tokens from this endpoint. ``kafka_clients_version`` is the
    kafka-clients version in the expansion service (it picks the login handler's class name).

    From kafka-clients 4.0 on, the workers' JVM must also allow the URL:
    ``-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=<token_url>`` (see :func:`allowed_urls_jvm_option`);
    without it the client refuses to start ("…is not allowed…")."""
    major = int(kafka_clients_version.split(".", 1)[0])
    return {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": security_protocol,
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.login.callback.handler.class": LOGIN_HANDLER if major >= 4 else LOGIN_HANDLER_3X,
        "sasl.oauthbearer.token.endpoint.url": token_url,
        # Kafka's client_credentials request needs a client id and secret before 4.3; the local
        # endpoint does not check them.
        "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                            'clientId="unused" clientSecret="unused";',
    }


def allowed_urls_jvm_option(token_url: str = f"http://127.0.0.1:{DEFAULT_PORT}/token") -> str:
    """The JVM option kafka-clients >= 4.0 needs before it fetches from ``token_url``."""
    return f"-D{ALLOWED_URLS_PROPERTY}={token_url}"


class LocalTokenEndpoint(BeamPlugin):  # type: ignore[misc,valid-type]
    """Name this class in ``--beam_plugins``; importing it on a worker starts the endpoint."""


if os.environ.get("OAUTHBEARER_BEAM_AUTOSTART", "1") != "0" and os.environ.get("PIPELINE_OPTIONS"):
    # The Beam SDK harness sets PIPELINE_OPTIONS; the launcher (which also imports plugins) does not.
    # OAUTHBEARER_BEAM_PORT moves the endpoint off 14293 (then point kafka_config's token_url at it).
    start(port=int(os.environ.get("OAUTHBEARER_BEAM_PORT", DEFAULT_PORT)))
