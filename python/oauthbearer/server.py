"""The local token endpoint (``oauthbearer serve``): what kafka-auth-handler and Google's local
auth server do on port 14293, without their defects.

- Binds 127.0.0.1 unless told otherwise; answers GET and POST on any path (provider modes).
- Serves from the provider's cache: one credential fetch per token lifetime, however many clients.
- On failure answers 503 with an RFC 6749 error body, while an unexpired cached token keeps being
  served; never 200-empty or 500-empty.
- HTTP/1.1 with Content-Length and ``Cache-Control: no-store``; an access log without secrets
  (method, path without query, status, time); clean shutdown on SIGTERM.
- With the local issuer: ``/jwks``, ``/.well-known/openid-configuration`` and a ``/token`` that
  authenticates ``client_credentials`` by client secret or KIP-1258 assertion.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

from . import _native
from ._native import ClientAuthenticationError, OAuthBearerError
from .providers import Provider

log = logging.getLogger("oauthbearer.server")

DEFAULT_PORT = 14293
RESPONSE_STYLES = {"standard": "rfc6749", "rfc6749": "rfc6749", "google-python": "google-python",
                   "kafka-auth-handler": "kafka-auth-handler"}


class Endpoint:
    """What the server answers; independent of HTTP so it can be tested directly."""

    def __init__(self, provider: Optional[Provider] = None, issuer: Optional[_native.LocalIssuer] = None, *,
                 style: str = "standard", audience: Optional[str] = None, lifetime_seconds: int = 3600,
                 clock: Callable[[], float] = time.time) -> None:
        if (provider is None) == (issuer is None):
            raise ValueError("give exactly one of provider= or issuer=")
        self.provider, self.issuer, self.audience = provider, issuer, audience
        self.style = RESPONSE_STYLES[style]
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def handle(self, method: str, path: str, body: str, authorization: Optional[str]) -> tuple[int, str]:
        """``(status, JSON body)`` for one request."""
        if method not in ("GET", "POST"):
            return 405, _native.error_response_body("invalid_request", f"method {method} is not supported")
        if self.issuer is not None:
            return self._issuer(method, path.split("?", 1)[0], body, authorization)
        assert self.provider is not None
        try:
            token = self.provider.token()
        except OAuthBearerError as err:
            log.warning("token unavailable: %s: %s", getattr(err, "code", "error"), err)
            return 503, _native.error_response_body("temporarily_unavailable",
                                                    f"{getattr(err, 'code', 'error')}: {err}")
        return 200, _native.token_response_body(token.value, token.expires_at_ms, self.provider.now_ms(), self.style)

    def _issuer(self, method: str, path: str, body: str, authorization: Optional[str]) -> tuple[int, str]:
        assert self.issuer is not None
        if path == "/jwks" and method == "GET":
            return 200, self.issuer.jwks_json()
        if path == "/.well-known/openid-configuration" and method == "GET":
            return 200, self.issuer.discovery_json()
        if path != "/token":
            return 404, _native.error_response_body("invalid_request", "not found: use /token, /jwks or "
                                                    "/.well-known/openid-configuration")
        if method != "POST":
            return 405, _native.error_response_body("invalid_request", "the token endpoint takes POST")
        now = self.now_ms()
        try:
            client_id, scope = self.issuer.authenticate(body, authorization, now)
        except ClientAuthenticationError as err:
            log.info("client refused: %s: %s", getattr(err, "code", "error"), err)
            return 401, _native.error_response_body("invalid_client", str(err))
        issued = self.issuer.sign_access_token(client_id, now, self.lifetime_seconds, self.audience, scope)
        return 200, _native.token_response_body(issued.token, issued.expires_at_ms, now, self.style)


def _handler() -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "oauthbearer"
        sys_version = ""
        # One segment per response: the headers and the body are written to a buffer flushed after
        # each request, and Nagle is off. Unbuffered (the stdlib default), the body waits behind the
        # headers for the client's delayed ACK: 40 ms per request on a keep-alive connection.
        wbufsize = -1
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            endpoint: Endpoint = self.server.endpoint  # type: ignore[attr-defined]
            status, payload = endpoint.handle(self.command, self.path, body, self.headers.get("Authorization"))
            data = payload.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Pragma", "no-cache")
            self.end_headers()
            self.wfile.write(data)
            # The query string and headers may carry secrets: log neither.
            log.info("%s %s %d %.1fms", self.command, self.path.split("?", 1)[0], status,
                     (time.perf_counter() - started) * 1000)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            """Silences the stdlib's own log (it prints the request line, query included)."""

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The stdlib's listen backlog is 5: a burst of new connections (every worker's client starting
    # at once) overflowed it and the dropped SYNs were retried after 1 s (p99 1.1 s at 64
    # connections in the endpoint benchmark).
    request_queue_size = socket.SOMAXCONN
    endpoint: Endpoint

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def make_server(endpoint: "Endpoint | Callable[[str], Endpoint]", host: str = "127.0.0.1",
                port: int = DEFAULT_PORT) -> Server:
    """Binds; ``endpoint`` may be a function of the bound URL (a local issuer names itself by it)."""
    server = Server((host, port), _handler())
    server.endpoint = endpoint if isinstance(endpoint, Endpoint) else endpoint(server.url)
    return server


def serve(endpoint: "Endpoint | Callable[[str], Endpoint]", host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          ready: Optional[Callable[[str], None]] = None) -> None:
    """Serves until SIGTERM or SIGINT, then closes cleanly."""
    server = make_server(endpoint, host, port)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    if ready is not None:
        ready(server.url)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
