"""A loopback token endpoint a test steers (tests/sidecar and the image tests in tests/kafka)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from loopback import Loopback, Quiet, answer

from oauthbearer import _native

RSA_KEY = Path(__file__).resolve().parents[1] / "keys" / "rsa2048.pkcs8.pem"


def token_for(now: float) -> str:
    """An RS256 access token for `kafka-client`, issued at `now`, valid for an hour."""
    issuer = _native.LocalIssuer("https://idp.test", _native.SigningKey.parse(RSA_KEY.read_bytes()))
    return issuer.sign_access_token("kafka-client", int(now * 1000), 3600).token


class SteeredIdp:
    """A token endpoint the test steers: `mode` is `hang` (holds the request until released),
    `fail` (503) or `work`; `received` is set when a request arrives."""

    def __init__(self) -> None:
        self.mode = "hang"
        self.release = threading.Event()
        self.received = threading.Event()
        idp = self

        class Handler(Quiet):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                idp.received.set()
                if idp.mode == "hang":
                    idp.release.wait(30)
                if idp.mode == "fail":
                    return answer(self, 503, json.dumps({"error": "temporarily_unavailable"}))
                answer(self, 200, json.dumps({"access_token": token_for(time.time()), "token_type": "Bearer",
                                              "expires_in": 3600}))

        self.server = Loopback(Handler)
        self.url = f"http://127.0.0.1:{self.server.port}/token"

    def close(self) -> None:
        self.release.set()
        self.server.close()
