"""PyJWT + cryptography signing speed, key objects parsed once and reused (their fastest path).

Usage: pyjwt_sign.py [seconds] [ALG ...]. Prints JSON: {"sign/ES256": median_ns, "encode/ES256": median_ns, ...}. `sign/*` is the raw JWS
signature over a fixed signing input (compare with our `sign/*`); `encode/*` is `jwt.encode` of a
KIP-1258-shaped claim set (compare with our `assertion/*`, which also builds claims and JSON).
"""

import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

KEYS = Path(__file__).resolve().parent.parent / "tests" / "keys"
MESSAGE = (
    b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1jbGllbnQiLCJzdWIiOiJteS1jbGllbnQiLCJhdWQiOiJodHRwczovL2lk"
    b"cC5leGFtcGxlL3Rva2VuIiwiaWF0IjoxNzY3MjI1NjAwLCJuYmYiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyNTkwMH0"
)


def _batch_size(fn, seconds: float) -> int:
    """Calls per batch: doubled until one batch takes ~seconds/30."""
    n = 1
    while True:
        if _batch_ns(fn, n) * n > seconds * 1e9 / 30:
            return n
        n *= 2


def _batch_ns(fn, n: int) -> float:
    """Mean time per call of one batch of `n` calls."""
    start = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - start) / n


def median_ns(fn, seconds: float) -> float:
    """Median per-call time over ~30 batches that together take about `seconds`."""
    n = _batch_size(fn, seconds)
    return statistics.median(_batch_ns(fn, n) for _ in range(30))


def paired_median_ns(ours, peer, seconds: float) -> tuple[float, float]:
    """Median per-call times of two functions measured in alternating batches (30 each, about
    `seconds` in all per function), so that both see the same machine: its speed drifts by more
    than a 10 % gap within a minute."""
    sizes = (_batch_size(ours, seconds), _batch_size(peer, seconds))
    samples: tuple[list, list] = ([], [])
    for _ in range(30):
        for fn, n, out in zip((ours, peer), sizes, samples):
            out.append(_batch_ns(fn, n))
    return statistics.median(samples[0]), statistics.median(samples[1])


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    ec = load_pem_private_key((KEYS / "ec-p256.pkcs8.pem").read_bytes(), None)
    rsa = load_pem_private_key((KEYS / "rsa2048.pkcs8.pem").read_bytes(), None)
    cases = {
        "ES256": (ECAlgorithm(ECAlgorithm.SHA256), ec),
        "RS256": (RSAAlgorithm(RSAAlgorithm.SHA256), rsa),
        "PS256": (RSAPSSAlgorithm(RSAPSSAlgorithm.SHA256), rsa),
    }
    # `pyjwt_sign.py SECONDS PS256`: that raw signature only (a round of make bench's RSA comparison).
    only = sys.argv[2:]
    out = {}
    for name, (alg, key) in cases.items():
        if only and name not in only:
            continue
        out[f"sign/{name}"] = median_ns(lambda: alg.sign(MESSAGE, key), seconds)
        if only:
            continue

        def encode(name=name, key=key):
            iat = int(time.time())
            claims = {
                "iss": "my-client",
                "sub": "my-client",
                "aud": "https://idp.example/token",
                "iat": iat,
                "exp": iat + 300,
                "nbf": iat - 60,
                "jti": str(uuid.uuid4()),
            }
            return jwt.encode(claims, key, algorithm=name)

        out[f"encode/{name}"] = median_ns(encode, seconds)
    out["versions"] = {"PyJWT": jwt.__version__, "cryptography": __import__("cryptography").__version__}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
