"""oauthbearer from Python next to the Python peers, in one process: MSK IAM tokens (ours vs
aws-msk-iam-sasl-signer-python, same static credentials) and KIP-1258 client assertions (ours vs
PyJWT `jwt.encode` with a reused key object), plus import cost in fresh interpreters.

Prints JSON: {"msk/ours": ns, "msk/aws": ns, "assertion/ES256/ours": ns, "assertion/ES256/pyjwt": ns, ...,
"import/oauthbearer": ns, "import/jwt": ns, "versions": {...}}.
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pyjwt_sign import median_ns, paired_median_ns

KEYS = Path(__file__).resolve().parent.parent / "tests" / "keys"
#: The KIP-1258 client every benchmark signs for.
KIP1258 = json.loads((Path(__file__).resolve().parent / "kip1258-properties.json").read_text())
CREDS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEJr//////////wEaDEXAMPLE")


def msk(seconds: float) -> dict:
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
    from botocore.credentials import CredentialProvider, Credentials

    from oauthbearer import _native

    class Static(CredentialProvider):
        def load(self):  # noqa: ANN201 - botocore's interface
            return Credentials(*CREDS)

    provider = Static()
    ours = median_ns(lambda: _native.msk_token(*CREDS, None, "eu-west-1", int(time.time() * 1000)), seconds)
    aws = median_ns(lambda: MSKAuthTokenProvider.generate_auth_token_from_credentials_provider("eu-west-1", provider),
                    seconds)
    return {"msk/ours": ours, "msk/aws": aws}


def assertions(seconds: float) -> dict:
    import uuid

    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from oauthbearer import _native

    out = {}
    for alg, key_file in (("ES256", "ec-p256.pkcs8.pem"), ("RS256", "rsa2048.pkcs8.pem"), ("PS256", "rsa2048.pkcs8.pem")):
        pem = (KEYS / key_file).read_bytes()
        props = {**dict(KIP1258), "sasl.oauthbearer.assertion.algorithm": alg}
        signer = _native.AssertionSigner(props, "kafka-java", "kafka-compatible" if alg == "PS256" else "strict", pem)
        key = load_pem_private_key(pem, None)

        def encode(alg=alg, key=key):
            iat = int(time.time())
            claims = {"iss": "my-client", "sub": "my-client", "aud": "https://idp.example/token", "iat": iat,
                      "exp": iat + 300, "nbf": iat - 60, "jti": str(uuid.uuid4())}
            return jwt.encode(claims, key, algorithm=alg)

        # Alternating batches: the target is ≥ 1.0×, and RSA's margin is within the machine's drift.
        out[f"assertion/{alg}/ours"], out[f"assertion/{alg}/pyjwt"] = paired_median_ns(
            lambda: signer.sign(int(time.time() * 1000)).value, encode, seconds)
    return out


def import_cost(runs: int = 15) -> dict:
    """Median wall time of a fresh interpreter importing the module, minus a bare interpreter."""
    def median_run(code: str) -> float:
        samples = []
        for _ in range(runs):
            start = time.perf_counter_ns()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.perf_counter_ns() - start)
        return statistics.median(samples)

    bare = median_run("pass")
    return {
        "import/bare": bare,
        "import/oauthbearer": median_run("import oauthbearer") - bare,
        "import/jwt": median_run("import jwt, jwt.algorithms, cryptography.hazmat.primitives.asymmetric.ec") - bare,
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    from importlib.metadata import version
    out = {**msk(seconds), **assertions(seconds), **import_cost()}
    out["versions"] = {name: version(name) for name in ("oauthbearer", "aws-msk-iam-sasl-signer-python", "PyJWT",
                                                          "cryptography", "botocore")}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
