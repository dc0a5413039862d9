"""Small HTTP servers for tests on 127.0.0.1 with an OS-chosen port (the bound socket is the
readiness: no sleeps), and the one way they answer."""

from __future__ import annotations

import http.server
import threading
from typing import Iterable


def answer(handler: http.server.BaseHTTPRequestHandler, status: int, body: str,
           content_type: str = "application/json", headers: Iterable[tuple[str, str]] = ()) -> None:
    """Answers a test server's request with `body`, its type and length, and extra `headers`."""
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    for name, value in headers:
        if name.lower() not in ("content-type", "content-length"):
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Quiet(http.server.BaseHTTPRequestHandler):
    """A handler that does not log each request to stderr."""

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


class Loopback:
    """Serves `handler` on 127.0.0.1:0 in a daemon thread; `port`, `close()`."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
