"""Fixtures for the Envoy plugin's tests: the Authlib IdP, an echo upstream that records what
reached it, and Envoy itself (tests/support/envoy_harness.py), all on 127.0.0.1."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "keys"
sys.path.insert(0, str(ROOT / "tests" / "support"))

from authlib_idp import Client, Idp  # noqa: E402, F401 (re-exported to the tests)
from envoy_harness import PLUGIN  # noqa: E402
from loopback import Loopback, Quiet, answer  # noqa: E402

from oauthbearer import _native  # noqa: E402

ASSERTION_CLIENTS = {"app-es256": ("ES256", "ec-p256.pkcs8.pem"), "app-rs256": ("RS256", "rsa2048.pkcs8.pem")}
SECRET = "s3cret/planted-9c1e&more%"


@pytest.fixture(scope="session", autouse=True)
def plugin() -> Path:
    if not PLUGIN.is_file():
        pytest.fail(f"{PLUGIN} is missing: `make envoy-plugin` builds it (the test command does)")
    return PLUGIN


@pytest.fixture
def idp():
    clients = {cid: Client(cid, "private_key_jwt", jwk=_native.SigningKey.parse((KEYS / f).read_bytes()).public_jwk())
               for cid, (_, f) in ASSERTION_CLIENTS.items()}
    clients["svc"] = Client("svc", "client_secret_basic", secret=SECRET)
    server = Idp(clients)
    yield server
    server.close()


class Echo(Loopback):
    """An upstream that answers 200 with the request's Authorization header as JSON, and records it."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        echo = self

        class Handler(Quiet):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                authorization = self.headers.get("Authorization")
                echo.seen.append(authorization)
                answer(self, 200, json.dumps({"authorization": authorization}))

        super().__init__(Handler)


@pytest.fixture
def echo():
    server = Echo()
    yield server
    server.close()
