"""The native module: errors form one tree with stable codes, no secret in any repr or message,
and the core's results come through unchanged (reference vectors)."""

import json

import jwt
import pytest

import oauthbearer
from oauthbearer import _native
from conftest import KEYS, NOW_MS, VECTORS

MARKER = "SECRET-MARKER-9f2c"


def test_every_exception_derives_from_one_base_and_carries_the_code():
    for cls in (oauthbearer.PrivateKeyError, oauthbearer.ConfigError, oauthbearer.PrebuiltAssertionError,
                oauthbearer.TokenEndpointError, oauthbearer.TokenError, oauthbearer.CredentialsError,
                oauthbearer.ClientAuthenticationError):
        assert issubclass(cls, oauthbearer.OAuthBearerError)
    with pytest.raises(oauthbearer.PrivateKeyError) as err:
        _native.SigningKey.parse(b"not a key")
    assert err.value.code == "invalid_key"
    with pytest.raises(oauthbearer.ConfigError) as err:
        _native.parse_config({"sasl.oauthbearer.assertion.algorithm": "HS256",
                              "sasl.oauthbearer.token.endpoint.url": "https://x/token"})
    assert err.value.code in _native.error_codes()


def test_token_endpoint_errors_carry_kafkas_classification():
    with pytest.raises(oauthbearer.TokenEndpointError) as err:
        _native.parse_token_response(503, "application/json", '{"error":"temporarily_unavailable"}')
    assert (err.value.code, err.value.status, err.value.retryable) == ("token_response_error", 503, True)
    assert err.value.error == "temporarily_unavailable"


def test_no_secret_in_reprs_or_messages():
    key = _native.SigningKey.parse((KEYS / "ec-p256.pkcs8.pem").read_bytes())
    issuer = _native.LocalIssuer("http://127.0.0.1:1", key)
    issued = issuer.sign_access_token("alice", NOW_MS)
    props = {"sasl.oauthbearer.token.endpoint.url": "https://idp/token", "sasl.oauthbearer.client.id": "c",
             "sasl.jaas.config": f'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
                                 f'clientId="c" clientSecret="{MARKER}";'}
    request = _native.token_request(props)
    assert MARKER not in repr(request) and issued.token not in repr(issued) and "PRIVATE" not in repr(key)
    signed = _native.AssertionSigner({"sasl.oauthbearer.token.endpoint.url": "https://idp/token",
                                      "sasl.oauthbearer.assertion.claim.iss": "c",
                                      "sasl.oauthbearer.assertion.algorithm": "ES256",
                                      "sasl.oauthbearer.assertion.private.key.file": "k.pem"},
                                     private_key=(KEYS / "ec-p256.pkcs8.pem").read_bytes()).sign(NOW_MS)
    assert signed.value not in repr(signed)
    token = _native.google_token(f"ya29.{MARKER}", NOW_MS + 3_600_000, "a@b.iam.gserviceaccount.com", NOW_MS)
    assert MARKER not in repr(token)
    with pytest.raises(oauthbearer.OAuthBearerError) as err:
        _native.parse_token_response(400, "application/json", json.dumps({"error": "x", "access_token": MARKER}))
    assert MARKER not in str(err.value) and MARKER not in repr(err.value)
    with pytest.raises(oauthbearer.OAuthBearerError) as err:
        _native.SigningKey.parse((KEYS / "rsa2048.pbes2-pbkdf2-aes256.pem").read_bytes(), MARKER)
    assert err.value.code == "wrong_passphrase" and MARKER not in str(err.value)


def test_reference_vectors_through_the_python_module():
    """The assertions, Google tokens and MSK tokens of tests/vectors, through this front."""
    ran = 0
    signing = [c for f in ("assertions.json", "bad_inputs.json")
               for c in json.loads((VECTORS / f).read_text())["cases"] if c["op"] == "sign_assertion"]
    for case in signing:
        inp, out = case["input"], case["output"]
        key = (KEYS / inp["key_file"]).read_bytes() if "key_file" in inp else None
        certificate = (KEYS / inp["certificate_file"]).read_bytes() if "certificate_file" in inp else None
        typ = inp.get("typ", "JWT")
        try:
            signer = _native.AssertionSigner(inp["properties"], inp.get("dialect", "kafka-java"),
                                             inp.get("mode", "strict"), key, (inp.get("template") or "").encode()
                                             or None, typ, inp.get("kid"), certificate, inp.get("thumbprint_header"))
            header, payload = signer.header_and_payload(inp["now_ms"], inp.get("jti"))
            signed = signer.sign(inp["now_ms"], inp.get("jti"))
        except oauthbearer.OAuthBearerError as err:
            assert out == {"error": err.code}, case["name"]
            assert "PLANTED" not in f"{err} {err!r}"
            ran += 1
            continue
        assert signed.value.rsplit(".", 1)[0] == out["signing_input"], case["name"]
        assert (header, payload) == (json.loads(out["header_json"]), json.loads(out["payload_json"]))
        if "assertion" in out:
            assert signed.value == out["assertion"], case["name"]
        else:
            jwt.api_jws.PyJWS().decode(signed.value, key=jwt.PyJWK(out["public_jwk"], out["alg"]),
                                       algorithms=[out["alg"]])
        ran += 1
    for case in json.loads((VECTORS / "providers.json").read_text())["cases"]:
        inp, out = case["input"], case["output"]
        try:
            if case["op"] == "google_token":
                t = _native.google_token(inp["access_token"], inp["expires_at_ms"], inp["principal"], inp["now_ms"],
                                         inp["style"])
                got = {"token": t.value, "expires_at_ms": t.expires_at_ms, "principal": t.principal}
            elif case["op"] == "msk_token":
                ua = inp.get("user_agent", None) if "user_agent" in inp else None
                t = _native.msk_token(inp["access_key_id"], inp["secret_access_key"], inp.get("session_token"),
                                      inp.get("credentials_expire_at_ms"), inp["region"], inp["now_ms"],
                                      inp.get("order", "python"), "" if "user_agent" in inp and ua is None else ua,
                                      inp.get("domain"), inp.get("min_credential_lifetime_seconds"))
                got = {"token": t.value, "expires_at_ms": t.expires_at_ms}
                out = {k: out[k] for k in got} if "error" not in out else out
            else:
                continue
        except oauthbearer.OAuthBearerError as err:
            got = {"error": err.code}
        assert got == out, case["name"]
        ran += 1
    assert ran > 40


def test_pem_layouts_are_read_as_openssl_and_cryptography_read_them(tmp_path):
    """Issue 28: a key wrapped at 76 or 48 columns, or on one line, was refused; OpenSSL and
    Kafka's Java client read them. Every PEM layout case of the key vectors: we accept exactly what
    `openssl pkey` and cryptography accept, with the same public key."""
    import shutil
    import subprocess

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

    assert shutil.which("openssl"), "openssl is on every machine of this kind"
    cases = [c for c in json.loads((VECTORS / "keys.json").read_text())["cases"]
             if "BEGIN" in c["input"].get("key_text", "")]
    assert len(cases) >= 20
    for case in cases:
        text, passphrase = case["input"]["key_text"], case["input"].get("passphrase")
        path = tmp_path / "key.pem"
        path.write_text(text)
        pass_args = ["-passin", f"pass:{passphrase}"] if passphrase else []
        by_openssl = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", *pass_args],
                                    capture_output=True, text=True)
        try:
            theirs = load_pem_private_key(text.encode(), passphrase.encode() if passphrase else None)
        except ValueError:
            theirs = None
        try:
            ours = _native.SigningKey.parse(text.encode(), passphrase)
        except oauthbearer.OAuthBearerError:
            ours = None
        assert (ours is None) == (theirs is None), case["name"]
        # `openssl pkey` alone wants the BEGIN line on a line of its own; cryptography, Kafka's Java
        # reader (white space stripped) and we take a block flattened onto one line as well.
        if "all on one line" not in case["name"]:
            assert (ours is None) == (by_openssl.returncode != 0), case["name"]
        if ours is not None and by_openssl.returncode == 0:
            public = theirs.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
            assert public == by_openssl.stdout, case["name"]
        if ours is not None:
            original = KEYS / case["name"].split(" ", 1)[0]
            assert ours.thumbprint == _native.SigningKey.parse(original.read_bytes(), passphrase).thumbprint, case["name"]
