"""The endpoint under a bounded load from a second process (the server crate's `load` example):
no errors, bounded memory, and a KIP-1258 sidecar whose client key file is rewritten mid-load
still answers every request."""

import json
import os
import subprocess
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from oauthbearer import _native
from oauthbearer.providers import AssertionProvider
from oauthbearer.server import Endpoint
from conftest import KEYS, ROOT, running
from test_server import Static

LOAD = Path(os.environ.get("LOAD_CLIENT", ROOT / "target" / "debug" / "examples" / "load"))


def load(server, connections: int, requests: int) -> dict:
    assert LOAD.exists(), f"{LOAD} missing: cargo build -p oauthbearer-server --example load"
    host, port = server.server_address
    out = subprocess.run([str(LOAD), f"{host}:{port}", str(connections), str(requests)], capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def rss_kib() -> int:
    """This process's resident memory (the native server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_hundred_thousand_requests_at_64_connections_no_errors_bounded_memory():
    with running(Endpoint(provider=Static())) as server:
        warm = load(server, 64, 5_000)  # threads, buffers and the allocator's pools settle first
        assert warm["errors"] == 0, warm
        before = rss_kib()
        result = load(server, 64, 100_000)
        growth = rss_kib() - before
        stats = server.stats()
    assert result["errors"] == 0 and result["ok"] == 100_000, result
    assert growth <= 5 * 1024, f"RSS grew {growth} KiB over 100k requests"
    assert stats["fetches"] == 1 and stats["requests"] >= 105_000, stats


def _pem(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def test_kip1258_sidecar_key_file_rewritten_mid_load_fails_no_request(tmp_path):
    """The sidecar pattern: the key lives with the endpoint, which signs KIP-1258 assertions for a
    2 s token from the IdP, so refreshes happen during the load. The key file is rewritten with a
    second key mid-load; the IdP knows both. Every request is answered 200, and the IdP sees
    assertions signed by each key."""
    key_a = (KEYS / "ec-p256.pkcs8.pem").read_bytes()
    key_b = _pem(ec.generate_private_key(ec.SECP256R1()))
    publics = [serialization.load_pem_private_key(k, None).public_key() for k in (key_a, key_b)]
    bodies: list[str] = []

    def idp(url):
        issuer = _native.LocalIssuer(url, _native.SigningKey.generate())
        issuer.register_client("sidecar", None, [_native.SigningKey.parse(k).public_jwk() for k in (key_a, key_b)])
        return Endpoint(issuer=issuer, audience="kafka", lifetime_seconds=2)

    key_file = tmp_path / "client.pem"
    key_file.write_bytes(key_a)
    with running(idp, observer=bodies.append) as issuer_server:
        props = {
            "sasl.oauthbearer.token.endpoint.url": f"{issuer_server.url}/token",
            "sasl.oauthbearer.assertion.algorithm": "ES256",
            "sasl.oauthbearer.assertion.private.key.file": str(key_file),
            "sasl.oauthbearer.assertion.claim.iss": "sidecar",
            "sasl.oauthbearer.assertion.claim.sub": "sidecar",
            "sasl.oauthbearer.assertion.claim.aud": f"{issuer_server.url}/token",
            "sasl.oauthbearer.assertion.claim.jti.include": "true",
        }
        signed_by = lambda: {i for body in bodies for i, pub in enumerate(publics)  # noqa: E731
                             if _verifies(body, pub)}
        with running(Endpoint(provider=AssertionProvider(props))) as sidecar:
            results = [load(sidecar, 16, 5_000)]
            assert signed_by() == {0}
            key_file.write_bytes(key_b)  # in place: a reader may see it half-written (the last good key is kept)
            deadline = time.monotonic() + 30
            while 1 not in signed_by():
                assert time.monotonic() < deadline, "no refresh signed with the new key"
                results.append(load(sidecar, 16, 5_000))
            results.append(load(sidecar, 16, 5_000))
            stats = sidecar.stats()
    assert sum(r["errors"] for r in results) == 0, results
    assert sum(r["ok"] for r in results) == 5_000 * len(results)
    assert stats["fetches"] >= 2 and stats["fetch_failures"] == 0, stats


def _verifies(body: str, public_key) -> bool:
    form = dict(pair.split("=", 1) for pair in body.split("&"))
    try:
        jwt.decode(form["client_assertion"], public_key, algorithms=["ES256"], options={"verify_aud": False})
        return True
    except jwt.InvalidTokenError:
        return False
