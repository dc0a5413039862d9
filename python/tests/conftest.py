"""Shared fixtures: test keys, and servers on 127.0.0.1 with an OS-chosen port, started and
stopped around each test (readiness is the bound socket, no sleeps)."""

import contextlib
import threading
from pathlib import Path

import pytest

from oauthbearer.server import make_server

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "keys"
VECTORS = ROOT / "tests" / "vectors"
NOW_MS = 1_767_225_600_000


@contextlib.contextmanager
def running(endpoint):
    """A server for `endpoint` (an Endpoint or a function of the URL) on a free port."""
    server = make_server(endpoint, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def keys():
    return KEYS
