"""Provider tokens checked by the vendors' own code and by independent implementations:

* aws-msk-iam-sasl-signer-python (botocore SigV4) with a frozen clock produces exactly our MSK token
  when our order and user agent are set to its own, and equals our signature for random credentials,
  regions and times (a property test against an independent SigV4 implementation);
* Python's json.dumps (the Google local server's serializer) writes exactly our google-python claims
  for random principals and fractional times;
* PyJWT verifies the local issuer's access tokens with the issuer's own JWKS.

RUN_OPS names the core's op runner (core/examples/run_ops.rs).
"""

import base64
import datetime
import importlib.metadata
import json
import os
import random
import string
import subprocess
from pathlib import Path
from unittest import mock

import botocore.auth
import jwt
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
RUN_OPS = os.environ.get("RUN_OPS", str(ROOT / "target" / "debug" / "examples" / "run_ops"))
SIGNER_UA = "aws-msk-iam-sasl-signer-python/" + importlib.metadata.version("aws-msk-iam-sasl-signer-python")


def core(requests):
    """Runs [(op, input)] through the core in one process; returns the outputs."""
    text = "\n".join(json.dumps({"op": op, "input": inp}) for op, inp in requests) + "\n"
    out = subprocess.run([RUN_OPS], input=text, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.split("\n") if line]


def b64decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def aws_signer(creds, region, when):
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when), mock.patch.object(
        MSKAuthTokenProvider, "__load_default_credentials__", return_value=creds
    ):
        return MSKAuthTokenProvider.generate_auth_token(region)


def msk_input(akid, secret, token, region, when):
    now_ms = int(when.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    return {
        "access_key_id": akid,
        "secret_access_key": secret,
        "session_token": token,
        "region": region,
        "now_ms": now_ms,
        "order": "python",
        "user_agent": SIGNER_UA,
    }


def test_msk_reference_cases_equal_the_aws_python_signer():
    fixed = datetime.datetime(2024, 1, 1, 0, 0, 0)
    cases = [
        ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEXAMPLE/+==", "us-east-1"),
        ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None, "us-east-1"),
        ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SESSIONTOKEN", "eu-central-1"),
    ]
    ours = core([("msk_token", msk_input(a, s, t, r, fixed)) for a, s, t, r in cases])
    for (a, s, t, r), got in zip(cases, ours):
        token, expiry_ms = aws_signer(Credentials(a, s, t), r, fixed)
        assert got["token"] == token
        assert got["expires_at_ms"] == expiry_ms == 1704068100000


def test_msk_signature_equals_botocore_for_random_inputs():
    rng = random.Random(20261125)
    alphabet = string.ascii_letters + string.digits + "/+="
    regions = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "sa-east-1", "me-south-1", "us-gov-west-1"]
    cases = []
    for _ in range(60):
        akid = "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        secret = "".join(rng.choice(alphabet) for _ in range(40))
        token = rng.choice([None, "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300)))])
        when = datetime.datetime(2020, 1, 1) + datetime.timedelta(seconds=rng.randint(0, 400_000_000))
        cases.append((akid, secret, token, rng.choice(regions), when))
    ours = core([("msk_token", msk_input(*c)) for c in cases])
    for c, got in zip(cases, ours):
        token, expiry_ms = aws_signer(Credentials(c[0], c[1], c[2]), c[3], c[4])
        assert got["token"] == token, c[3:]
        assert got["expires_at_ms"] == expiry_ms


def test_google_python_claims_equal_json_dumps():
    rng = random.Random(7)
    requests, expected = [], []
    for i in range(40):
        local = "".join(rng.choice(string.ascii_letters + "._-é\u2028😀\"\\<>&'") for _ in range(rng.randint(1, 12)))
        principal = f"principal://iam.googleapis.com/{local}" if i % 2 else f"sa-{i}@proj.iam.gserviceaccount.com"
        now_ms = rng.randint(1_600_000_000_000, 1_900_000_000_000)
        exp_ms = now_ms + rng.randint(0, 7_200_000)
        requests.append(("google_token", {"access_token": "ya29.x", "expires_at_ms": exp_ms, "principal": principal,
                                          "now_ms": now_ms, "style": "google-python"}))
        claims = json.dumps(dict(exp=exp_ms / 1000, iss="Google", iat=now_ms / 1000, sub=principal))
        expected.append(claims)
    for got, claims in zip(core(requests), expected):
        assert b64decode(got["token"].split(".")[1]).decode() == claims


def test_pyjwt_verifies_local_issuer_tokens_with_its_jwks():
    cases = json.loads((ROOT / "tests" / "vectors" / "issuer.json").read_text())["cases"]
    fresh = [dict(c["input"], return_token=True) for c in cases if c["op"] == "issuer" and "error" not in c["output"]]
    assert {i["alg"] for i in fresh} == {"ES256", "RS256", "EdDSA", "PS256"}
    for out in core([("issuer", i) for i in fresh]):
        jwk = jwt.PyJWK(out["jwks"]["keys"][0])
        claims = jwt.decode(out["token"], jwk.key, algorithms=[jwk.algorithm_name], audience="kafka-broker",
                            issuer="http://127.0.0.1:14293", options={"verify_exp": False})
        assert claims["sub"] == "kafka-client"


def test_kafka_auth_handler_claims_equal_go_fmt():
    """Go's own %q (the handler's format string, run with `go run`) writes our kafka-auth-handler claims."""
    rng = random.Random(11)
    pool = string.ascii_letters + "._-é\u00a0\u200b\u2028😀\"\\<>&'\x7f\x01\t"
    requests, lines = [], []
    for i in range(40):
        principal = f"principal://iam.googleapis.com/{''.join(rng.choice(pool) for _ in range(rng.randint(1, 10)))}"
        now_ms = rng.randint(1_600_000_000_000, 1_900_000_000_000)
        exp_ms = now_ms + rng.randint(0, 7_200_000)
        requests.append(("google_token", {"access_token": "ya29.x", "expires_at_ms": exp_ms, "principal": principal,
                                          "now_ms": now_ms, "style": "kafka-auth-handler"}))
        lines.append(json.dumps({"exp": exp_ms // 1000, "iat": now_ms // 1000, "sub": principal}))
    go = subprocess.run(["go", "run", str(ROOT / "tests" / "peers" / "goquote" / "main.go")], input="\n".join(lines) + "\n",
                        check=True, capture_output=True, text=True, env=dict(os.environ, GO111MODULE="off", GOFLAGS=""))
    expected = [json.loads(line) for line in go.stdout.split("\n") if line]
    assert len(expected) == len(requests)
    for got, claims in zip(core(requests), expected):
        assert b64decode(got["token"].split(".")[1]).decode() == claims
