"""Our output checked by independent Python implementations: PyJWT (with `cryptography`, i.e.
OpenSSL) verifies every assertion we sign, on every algorithm, key format and backend; Python's
form parser reads back every token request body; `cryptography` recomputes RFC 7638 thumbprints.

Run by `make test` after `cargo build --examples`; SIGN_SAMPLES names the example binary.
"""

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl

import jwt
import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
SIGN_SAMPLES = os.environ.get("SIGN_SAMPLES", str(ROOT / "target" / "debug" / "examples" / "sign_samples"))


def cases(name, op=None):
    doc = json.loads((VECTORS / name).read_text())
    return [c for c in doc["cases"] if op is None or c["op"] == op]


def samples():
    out = subprocess.run([SIGN_SAMPLES], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


SAMPLES = samples()


def test_every_algorithm_and_backend_is_sampled():
    assert {s["alg"] for s in SAMPLES} == {"RS256", "PS256", "ES256", "ES384", "EdDSA"}
    assert len({s["backend"] for s in SAMPLES}) >= 1
    assert len(SAMPLES) >= 8


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f'{s["alg"]}-{s["backend"]}-{s["key_file"]}')
def test_pyjwt_verifies_our_assertion(sample):
    key = jwt.PyJWK(sample["public_jwk"])
    header = jwt.get_unverified_header(sample["assertion"])
    assert header == {"alg": sample["alg"], "typ": "client-authentication+jwt", "kid": sample["thumbprint"]}
    claims = jwt.decode(
        sample["assertion"],
        key=key,
        algorithms=[sample["alg"]],
        audience=sample["aud"],
        issuer="my-client",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["exp", "iat", "nbf", "jti"]},
    )
    assert claims["sub"] == "my-client"
    assert claims["iat"] == sample["now"]
    assert claims["exp"] == sample["now"] + 300
    assert claims["nbf"] == sample["now"] - 60
    assert len(claims["jti"]) == 36 and claims["jti"] == claims["jti"].lower()


def test_tampered_assertion_is_rejected_by_pyjwt():
    sample = next(s for s in SAMPLES if s["alg"] == "ES256")
    head, payload, sig = sample["assertion"].split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged}.{sig}", key=jwt.PyJWK(sample["public_jwk"]), algorithms=["ES256"],
                   options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False})


@pytest.mark.parametrize("case", [c for c in cases("assertions.json") if "assertion" in c["output"]], ids=lambda c: c["name"])
def test_pyjwt_verifies_pinned_vectors(case):
    out = case["output"]
    decoded = jwt.api_jws.decode_complete(out["assertion"], key=jwt.PyJWK(out["public_jwk"]), algorithms=[out["alg"]])
    assert decoded["payload"] == out["payload_json"].encode()
    assert json.dumps(decoded["header"], separators=(",", ":")) == out["header_json"]


@pytest.mark.parametrize("case", [c for c in cases("keys.json") if "thumbprint" in c["output"]], ids=lambda c: c["name"])
def test_thumbprint_is_rfc7638(case):
    jwk = case["output"]["public_jwk"]
    required = {"RSA": ["e", "kty", "n"], "EC": ["crv", "kty", "x", "y"], "OKP": ["crv", "kty", "x"]}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    digest = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert digest == case["output"]["thumbprint"]
    # PyJWT accepts the public JWK as a key of the right type.
    assert jwt.PyJWK(jwk).key is not None


FORM_CASES = [c for c in cases("requests.json") if "body" in c["output"] and c["input"].get("dialect") != "librdkafka"
              and not ("scope" in c["input"] and c["input"]["kind"] == "client_secret" and not c["input"].get("header_urlencode")
                       and c["input"].get("method") != "post")]


@pytest.mark.parametrize("case", FORM_CASES, ids=lambda c: c["name"])
def test_request_bodies_are_valid_forms(case):
    """Everything but Kafka's raw-scope quirk must parse back, strictly, to the values sent."""
    fields = dict(parse_qsl(case["output"]["body"], keep_blank_values=True, strict_parsing=True))
    inp = case["input"]
    if "assertion" in inp and inp["kind"] in ("client_assertion", "jwt_bearer"):
        key = "client_assertion" if inp["kind"] == "client_assertion" else "assertion"
        assert fields[key] == inp["assertion"]
    if inp["kind"] == "client_assertion":
        assert fields["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        assert list(fields)[:3] == ["client_assertion_type", "client_assertion", "grant_type"]
    if inp.get("scope", "").strip():
        assert fields["scope"] == inp["scope"].strip()
    if inp.get("method") == "post":
        assert (fields["client_id"], fields["client_secret"]) == (inp["client_id"], inp["client_secret"])


def test_basic_credentials_decode():
    for case in cases("requests.json"):
        headers = dict(case["output"].get("headers", []))
        if "Authorization" not in headers:
            continue
        user_pass = base64.b64decode(headers["Authorization"].removeprefix("Basic "), validate=True).decode()
        inp = case["input"]
        if inp["kind"] == "client_secret" and inp.get("header_urlencode"):
            # RFC 6749 2.3.1: each part form-encoded before Basic.
            cid, secret = (dict(parse_qsl(f"v={part}"))["v"] for part in user_pass.split(":", 1))
            assert (cid, secret) == (inp["client_id"].strip(), inp["client_secret"].strip())
        elif inp["kind"] == "client_secret":
            assert user_pass == f'{inp["client_id"].strip()}:{inp["client_secret"].strip()}'
