"""Writes the seed corpus of every fuzz target from the project's own test data (tests/keys and the
shared vectors in tests/vectors), so fuzzing starts from inputs that reach deep. `make fuzz` runs it
before the fuzzers; the seeds are committed with the corpus the fuzzers grew (minimized)."""

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
VECTORS = ROOT / "tests" / "vectors"


def put(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{hashlib.sha1(data).hexdigest()[:16]}").write_bytes(data)


def cases(name: str):
    return json.loads((VECTORS / name).read_text())["cases"]


def properties_text(props: dict) -> bytes:
    return "".join(f"{k}={v}\n" for k, v in props.items()).encode()


def main() -> None:
    for key in (ROOT / "tests" / "keys").iterdir():
        if key.suffix in (".pem", ".der", ".json"):
            put("private_key", b"\x00" + key.read_bytes())
            put("private_key", b"\x01" + key.read_bytes())
    for case in cases("keys.json"):  # PEM at other widths, on one line, with CRLF (issue 28): one key's
        if case["name"].startswith("rsa2048.pkcs8.pem ") and "BEGIN" in case["input"].get("key_text", ""):
            put("private_key", b"\x00" + case["input"]["key_text"].encode())
    for case in cases("config.json") + cases("explain.json") + cases("assertions.json"):
        props = case["input"].get("properties")
        if props:
            put("properties", properties_text(props))
            put("explain", properties_text(props))
    for case in cases("jaas.json"):
        put("jaas", case["input"]["text"].encode())
    for case in cases("templates.json"):
        put("template", case["input"]["text"].encode())
    for case in cases("prebuilt_assertions.json"):
        put("prebuilt_assertion", case["input"]["contents"].encode())
    for case in cases("responses.json"):
        i = case["input"]
        flags = 1 if (i.get("content_type") or "").startswith("application/json") else 0
        put("token_response", i["status"].to_bytes(2, "big") + bytes([flags]) + i["body"].encode())
    for case in cases("tokens.json"):
        if case["op"] == "check_token":
            put("access_token", case["input"]["token"].encode())
    for case in cases("issuer.json"):
        i, out = case["input"], case["output"]
        if case["op"] == "issuer" and "jwks" in out:
            put("broker_check", json.dumps(out["jwks"]).encode() + b"\x00" + out.get("token", "a.b.c").encode())
        if case["op"] == "verify_client_assertion":
            put("client_auth", i["body"].encode() + (b"\x00" + i["authorization"].encode() if i.get("authorization") else b""))
    for case in cases("sasl.json"):
        if case["op"] == "sasl_client_first":
            put("sasl", bytes.fromhex(case["output"].get("hex", "")))
        elif case["op"] == "sasl_server_error":
            put("sasl", case["input"]["text"].encode())
    put("lifecycle", bytes([0, 10, 0, 0, 3, 1, 0, 0, 1, 5, 0, 200, 0, 255, 255, 1, 2, 7, 0, 3]))
    for request in (b"POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                    b"POST /token HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                    b"GET /jwks HTTP/1.0\r\n\r\n"):
        put("http_request", request)
    put("sidecar", json.dumps({"cluster": "idp", "private_key_env": "K", "properties": {
        "sasl.oauthbearer.token.endpoint.url": "http://idp/token", "sasl.oauthbearer.assertion.algorithm": "ES256",
        "sasl.oauthbearer.assertion.claim.iss": "c", "sasl.oauthbearer.assertion.claim.sub": "c",
        "sasl.oauthbearer.assertion.claim.aud": "http://idp/token"}}).encode() + b"\x00" + b'{"access_token":"a.b.c"}')
    put("sidecar", b'{"source":"google-metadata","cluster":"m"}\x00sa@p.iam.gserviceaccount.com')
    for pick in range(3):
        put("sign_verify", bytes([pick]) + b"client-1")
    for seed in (b"svc\0s3cret/with=specials&more%\0kafka", b"\x01client id\0p@ss:word \0a b", b"id\0secret\0"):
        put("request_roundtrip", seed)


if __name__ == "__main__":
    main()
