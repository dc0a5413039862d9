"""Interpreter exit while oauthbearer works (issue 25: a segfault at exit after a failed fetch).

Each variant is a short script that leaves a provider's fetch busy — in a signing call that
released the GIL, in a back-off sleep, behind a running native server — and exits with status 7.
CPython then finalizes with those threads alive; every run must end with the script's own status
(a crash ends with 139, SIGSEGV, or another signal). Run by the development build's tests
(python/tests/test_exit.py) and with the wheel from ``make dist`` (tests/dist)."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KEYS = Path(__file__).resolve().parents[1] / "keys"
EXIT_STATUS = 7

SCRIPT = r'''
import sys, urllib.request, urllib.error
import oauthbearer
from oauthbearer.server import Endpoint, make_server

variant, keys = sys.argv[1], sys.argv[2]
algorithm, key = ("ES256", "ec-p256.pkcs8.pem") if variant.endswith("-ec") else ("RS256", "rsa2048.pkcs8.pem")
props = {"sasl.oauthbearer.token.endpoint.url": "http://127.0.0.1:1/token",  # refused
         "sasl.oauthbearer.assertion.algorithm": algorithm,
         "sasl.oauthbearer.assertion.private.key.file": f"{keys}/{key}",
         "sasl.oauthbearer.assertion.claim.iss": "c", "sasl.oauthbearer.assertion.claim.sub": "c",
         "sasl.oauthbearer.assertion.claim.aud": "http://127.0.0.1:1/token"}
# "signing": no back-off, so the fetch thread signs again and again (most of its time in a native
# call with the GIL released); "backoff": Kafka's back-off, as users run it.
options = {} if variant.startswith("backoff") else {"sleep": lambda seconds: None}
provider = oauthbearer.AssertionProvider(props, fetch_timeout_ms=150, **options)
if variant.startswith("server"):
    server = make_server(Endpoint(provider=provider), "127.0.0.1", 0)
    try:
        urllib.request.urlopen(server.url + "/token", timeout=5)
    except urllib.error.HTTPError as answer:
        assert answer.code == 503, answer.code
else:
    try:
        provider.token()
    except oauthbearer.TokenEndpointError as err:
        assert err.code == "fetch_timeout", err  # what it names is test_providers.py's to check
    if variant.startswith("dropped"):
        del provider
sys.exit(%d)
''' % EXIT_STATUS

VARIANTS = ["signing-rsa", "signing-ec", "backoff-rsa", "dropped-rsa", "server-rsa", "server-ec"]


def run_exit_cases(python: str | Path, runs_per_variant: int = 9, env: dict[str, str] | None = None
                   ) -> list[tuple[str, int, str]]:
    """Runs every variant ``runs_per_variant`` times (two at a time) under ``-X faulthandler``;
    returns ``(variant, status, stderr tail)`` of each run."""
    def one(variant: str) -> tuple[str, int, str]:
        done = subprocess.run([str(python), "-X", "faulthandler", "-c", SCRIPT, variant, str(KEYS)],
                              capture_output=True, text=True, timeout=120, env=env)
        return variant, done.returncode, done.stderr[-1500:]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, [v for v in VARIANTS for _ in range(runs_per_variant)]))


def failures(results: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    return [r for r in results if r[1] != EXIT_STATUS]
