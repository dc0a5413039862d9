"""Shared fixtures: test keys, and servers on 127.0.0.1 with an OS-chosen port, started and
stopped around each test (readiness is the bound socket, no sleeps)."""

import contextlib
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oauthbearer.server import make_server

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "keys"
VECTORS = ROOT / "tests" / "vectors"
sys.path.insert(0, str(ROOT / "tests" / "support"))  # test support shared with the Envoy plugin's tests
NOW_MS = 1_767_225_600_000


@contextlib.contextmanager
def running(endpoint, **options):
    """A native server for `endpoint` (an Endpoint or a function of the URL) on a free port."""
    server = make_server(endpoint, "127.0.0.1", 0, **options)
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture
def keys():
    return KEYS


def send_json(handler: BaseHTTPRequestHandler, status: int, body: str, headers=()) -> None:
    """Answers a test server's request with a JSON body and its length."""
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@contextlib.contextmanager
def scripted_server(answers, bodies=None):
    """An HTTP server on 127.0.0.1 answering each POST with the next ``(status, json_text)`` of
    `answers` (the last one repeats); yields its base URL. Request bodies go to `bodies` if given."""
    answers = list(answers)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if bodies is not None:
                bodies.append(body.decode("utf-8", "replace"))
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            send_json(self, status, body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def localhost_tls() -> tuple[str, str]:
    """The committed TLS certificate for ``localhost`` and 127.0.0.1 (its own CA; the Node tests use it
    too) and its key: (certificate path, key path). Clients trust it only when told to."""
    return str(KEYS / "localhost-tls.cert.pem"), str(KEYS / "localhost-tls.key.pem")
