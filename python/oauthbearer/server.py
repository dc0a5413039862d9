"""The local token endpoint (``oauthbearer serve``): what kafka-auth-handler and Google's local
auth server do on port 14293, without their defects. It is the native server of the Rust crate
``oauthbearer-server`` (``_native.NativeServer``): serving never takes the GIL, so a Beam worker's
own Python code does not compete with it.

- Binds 127.0.0.1 unless told otherwise; answers GET, HEAD and POST on any path (provider modes).
- Serves from the core's token lifecycle: one credential fetch per token lifetime, however many
  clients; the provider's ``fetch`` runs on a thread of its own, only when a refresh is due.
- On failure answers 503 with an RFC 6749 error body, while an unexpired cached token keeps being
  served; a fetch that hangs releases waiting requests at its deadline (503 ``fetch_timeout``).
- Hardened HTTP/1.1: every malformed, oversized or ambiguous request gets a JSON error (400, 405,
  408, 413, 431, 501, 505), slow and idle clients are dropped after 5 s, at most 4096 connections
  (503 past that), ``Cache-Control: no-store``.
- ``/livez``, ``/readyz`` (200 while a valid token is cached or the issuer serves, else 503 with
  the core's code) and ``/metrics`` (Prometheus text) unless ``--no-operational-paths``, which
  gives those paths back to the token (kafka-auth-handler answers a token on every path).
- An access log on stderr (``--access-log``): method, path without query, status, time — never a
  header, query or body. SIGTERM drains requests in flight and exits 0.
- With the local issuer: ``/jwks``, ``/.well-known/openid-configuration`` and a ``/token`` that
  authenticates ``client_credentials`` by client secret or KIP-1258 assertion.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable, Optional

from . import _native
from ._native import OAuthBearerError
from .providers import Provider, Token, _attempts, attempt_record

log = logging.getLogger("oauthbearer.server")

DEFAULT_PORT = 14293
RESPONSE_STYLES = {"standard": "rfc6749", "rfc6749": "rfc6749", "google-python": "google-python",
                   "kafka-auth-handler": "kafka-auth-handler"}


class Endpoint:
    """What the server answers: a provider's token, or a local issuer's routes."""

    def __init__(self, provider: Optional[Provider] = None, issuer: Optional[_native.LocalIssuer] = None, *,
                 style: str = "standard", audience: Optional[str] = None, lifetime_seconds: int = 3600) -> None:
        if (provider is None) == (issuer is None):
            raise ValueError("give exactly one of provider= or issuer=")
        self.provider, self.issuer, self.audience = provider, issuer, audience
        self.style = RESPONSE_STYLES[style]
        self.lifetime_seconds = lifetime_seconds

    def fetch(self, now_ms: int, report_attempt: Optional[Callable[[str, str], None]] = None) -> Token:
        """The provider's fetch, as the native server calls it (on its fetch thread, when a refresh
        is due); failures are logged here, once per fetch, never per request. ``report_attempt``
        takes each failed attempt the fetch retries after (the server's timeout names the last)."""
        assert self.provider is not None
        _attempts.report = None if report_attempt is None else lambda err: report_attempt(*attempt_record(err))
        try:
            return self.provider.fetch(now_ms)
        except OAuthBearerError as err:
            log.warning("token fetch failed: %s: %s", getattr(err, "code", "error"), err)
            raise
        except Exception as err:  # a library's own exception: its text may quote anything
            log.warning("token fetch failed: %s", type(err).__name__)
            raise

    def start(self, listener: _native.Listener, *, access_log: bool = False,
              observer: Optional[Callable[[str], None]] = None,
              operational_paths: bool = True) -> _native.NativeServer:
        """Serves on ``listener`` (natively, on the server's own threads). ``operational_paths``:
        ``/livez``, ``/readyz`` and ``/metrics`` (off: every path serves the token)."""
        if self.issuer is not None:
            return _native.NativeServer.issuer(self.issuer, listener, self.style, self.audience,
                                               self.lifetime_seconds, access_log, observer, operational_paths)
        assert self.provider is not None
        return _native.NativeServer.provider(self.fetch, listener, self.style, access_log=access_log,
                                             operational_paths=operational_paths,
                                             **self.provider.lifecycle_settings())


class Server:
    """A running endpoint: ``url``, ``stats()``, ``serve_forever()`` (until ``shutdown()``)."""

    def __init__(self, native: _native.NativeServer, endpoint: Endpoint) -> None:
        self.native, self.endpoint = native, endpoint
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return self.native.url

    @property
    def server_address(self) -> tuple[str, int]:
        """``(host, port)`` bound (as ``socketserver`` servers have it)."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host.strip("[]"), int(port)

    def stats(self) -> dict[str, int]:
        """Requests, refusals, overloads, fetches and failures so far, and open connections."""
        return self.native.stats()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Blocks until ``shutdown()`` (the server itself runs on its own threads)."""
        while not self._stopped.wait(poll_interval):
            pass

    def shutdown(self, drain_seconds: float = 5.0) -> None:
        """Stops accepting, lets requests in flight finish (up to ``drain_seconds``), closes."""
        self.native.shutdown(int(drain_seconds * 1000))
        self._stopped.set()

    def server_close(self) -> None:
        """Closes (``shutdown()`` already did; kept for ``socketserver``-style callers)."""
        self.shutdown(0)


def make_server(endpoint: "Endpoint | Callable[[str], Endpoint]", host: str = "127.0.0.1",
                port: int = DEFAULT_PORT, *, access_log: bool = False,
                observer: Optional[Callable[[str], None]] = None, operational_paths: bool = True) -> Server:
    """Binds and serves; ``endpoint`` may be a function of the bound URL (a local issuer names
    itself by it). ``observer(body)`` is told of every issuer ``/token`` body (tests)."""
    listener = _native.Listener(host, port)
    if listener.exposure_warning:
        log.warning(listener.exposure_warning)
    chosen = endpoint if isinstance(endpoint, Endpoint) else endpoint(listener.url)
    return Server(chosen.start(listener, access_log=access_log, observer=observer,
                               operational_paths=operational_paths), chosen)


def serve(endpoint: "Endpoint | Callable[[str], Endpoint]", host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          ready: Optional[Callable[[str], None]] = None, access_log: bool = True,
          operational_paths: bool = True) -> None:
    """Serves until SIGTERM or SIGINT, then drains and returns."""
    server = make_server(endpoint, host, port, access_log=access_log, operational_paths=operational_paths)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    if ready is not None:
        ready(server.url)
    server.serve_forever(poll_interval=0.2)
