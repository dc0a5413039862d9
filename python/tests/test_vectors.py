"""The shared vectors (tests/vectors/) through the Python front's own API. Every case of every
file is either run here or named, with its reason, in NOT_IN_THIS_API (operations whose inputs
this front's API takes in another shape; the WASI and Rust runners cover those)."""

import json

import jwt
import pytest

import oauthbearer
from oauthbearer import _native
from conftest import KEYS, VECTORS

#: Operations the Python API exposes differently, and where they are covered instead.
NOT_IN_THIS_API = {
    "config": "parse_config returns a flatter dict; covered through test_cli/test_providers and the other fronts",
    "token_request": "only the from-properties form is exposed (test_providers posts it to real servers)",
    "jaas": "parsed inside parse_config (no separate JAAS API)",
    "template": "templates are read by AssertionSigner (the assertion vectors use them)",
    "sasl_server_error": "clients parse the server challenge themselves",
    "verify_client_assertion": "exposed as LocalIssuer.authenticate with registered clients (test_server)",
    "sidecar_config": "the Envoy plugin's configuration: the core and the plugin's own tests run it",
}
#: Operations run in test_native.py, and the HTTP requests, which test_server.py sends to the native server.
RUN_ELSEWHERE = {"sign_assertion", "google_token", "msk_token", "http_request"}


# Operations whose refusals this front reaches through another API shape (the error code is all a
# refusal compares); their successful outputs have other shapes here.
ERRORS_ONLY = {"config", "jaas", "verify_client_assertion"}


def expressible(case):
    """Inputs with parameters this front does not take (custom refresh settings, an IdP's maximum
    assertion lifetime) are left to the other fronts."""
    inp = case["input"]
    if case["op"] in ERRORS_ONLY and "error" in case["output"]:
        # A blank property is an absent one; LocalIssuer takes no replay list or custom policy.
        policy = {"seen_jtis", "max_lifetime_seconds", "clock_skew_seconds", "require_jti"}
        return not (case["op"] == "jaas" and not inp["text"].strip()) and not policy & set(inp)
    if case["op"] == "refresh" and inp.get("config"):
        return False
    return case["op"] not in NOT_IN_THIS_API and case["op"] not in RUN_ELSEWHERE


def run(op, inp):
    if op == "parse_key":
        key = _native.SigningKey.parse((KEYS / inp["key_file"]).read_bytes() if "key_file" in inp
                                       else inp["key_text"].encode(), inp.get("passphrase"))
        types = {"Rsa": "RSA", "P256": "P-256", "P384": "P-384", "Ed25519": "Ed25519"}
        return {"key_type": types[key.key_type], "thumbprint": key.thumbprint, "public_jwk": key.public_jwk(),
                "default_algorithm": key.algorithm}
    if op == "retry":
        p = inp["policy"]
        schedule = _native.RetrySchedule(inp.get("start_ms", 0), p.get("style", "kafka-java"), p.get("backoff_ms", 100),
                                         p.get("max_ms", 10_000), p.get("jitter", 0.0))
        return {"delays_ms": [schedule.next_delay_ms(f["at_ms"], f.get("status"), f.get("retry_after"),
                                                     f.get("random", 0.0)) for f in inp["failures"]]}
    if op == "prebuilt_assertion":
        value, exp = _native.check_prebuilt(inp["contents"], inp["now_ms"], inp.get("margin_seconds", 30),
                                            inp.get("mode", "strict"))
        return {"expires_at": exp, "value": value}
    if op == "eventhubs_scope":
        return {"scope": _native.eventhubs_scope(inp["bootstrap_servers"], inp.get("scope"))}
    if op == "google_principal":
        kind, principal = _native.google_principal(inp.get("credentials_json"), inp.get("override"))
        return {"principal": principal} if kind == "known" else {"source": kind}
    if op == "sasl_client_first":
        b = _native.sasl_client_first_message(inp["token"], inp.get("authzid"), [tuple(p) for p in inp["extensions"]])
        return {"hex": b.hex(), "length": len(b)}
    if op == "confluent_extensions":
        pairs = _native.confluent_extensions(inp["logical_cluster"], inp.get("identity_pool_id"))
        return {"pairs": pairs}
    if op == "check_token":
        a = _native.check_access_token(inp["token"], inp.get("dialect", "kafka-java"), inp.get("now_ms"),
                                       inp.get("sub_claim", "sub"), inp.get("scope_claim", "scope"),
                                       inp.get("skew_ms", 0), inp.get("split_scope", False))
        return {"principal": a.principal, "scopes": a.scopes, "expires_at_ms": a.expires_at_ms,
                "issued_at_ms": a.issued_at_ms}
    if op == "broker_check":
        a = _native.check_as_broker(inp["token"], inp["jwks"], inp["now_ms"], inp.get("audience", []), inp.get("issuer"),
                                    inp.get("clock_skew_seconds", 30))
        return {"principal": a.principal, "expires_at_ms": a.expires_at_ms}
    if op == "refresh":
        at_ms, expired = _native.refresh_at(inp["now_ms"], inp["expires_at_ms"], inp.get("issued_at_ms"),
                                            inp.get("client", "kafka-java"), inp.get("jitter01", 0.0))
        return {"at_ms": at_ms, "expired": expired}
    if op == "endpoint_body":
        return {"body": _native.token_response_body(inp["token"], inp["expires_at_ms"], inp["now_ms"], inp["style"])}
    if op == "explain":
        c = inp.get("context", {})
        findings = _native.explain(inp["properties"], inp.get("dialect", "kafka-java"),
                                   tuple(c["kafka_version"]) if c.get("kafka_version") else None, c.get("java_version"),
                                   c["private_key"].encode() if c.get("private_key") else None, c.get("token"),
                                   c.get("idp_max_assertion_lifetime_seconds"), c.get("client"), c.get("client_version"),
                                   c.get("broker_reauth_ms"),
                                   c["assertion_template"].encode() if c.get("assertion_template") else None)
        return {"findings": [{"severity": s, "code": code} for s, code, _m, _f in findings]}
    if op == "issuer":
        key = _native.SigningKey.parse((KEYS / inp["key_file"]).read_bytes(), None, inp.get("alg", "ES256"))
        issuer = _native.LocalIssuer(inp["issuer"], key)
        t = issuer.sign_access_token(inp["subject"], inp["now_ms"], inp["lifetime_seconds"], inp.get("audience"),
                                     inp.get("scope"), inp.get("jti"))
        return {"jwks": json.loads(issuer.jwks_json()), "discovery": json.loads(issuer.discovery_json()),
                "signing_input": t.token.rsplit(".", 1)[0], "expires_at_ms": t.expires_at_ms, "token": t.token}
    if op == "token_response":
        r = _native.parse_token_response(inp["status"], inp.get("content_type"), inp["body"],
                                         inp.get("dialect", "kafka-java"), inp.get("properties"))
        return {"token": r.token, "token_type": r.token_type, "expires_in": r.expires_in, "scope": r.scope}
    if op == "lifecycle":
        return {"decisions": run_lifecycle(inp)}
    if op == "config":
        _native.parse_config(inp["properties"], inp.get("dialect", "kafka-java"), inp.get("mode", "strict"))
        return {"accepted": True}
    if op == "jaas":
        _native.parse_config({"sasl.jaas.config": inp["text"], "sasl.oauthbearer.token.endpoint.url": "https://idp/t"})
        return {"accepted": True}
    if op == "verify_client_assertion":
        issuer = _native.LocalIssuer(inp["audiences"][0].removesuffix("/token"), _native.SigningKey.generate())
        for c in inp["clients"]:
            issuer.register_client(c["client_id"], c.get("secret"), c.get("jwks", []))
        return {"client_id": issuer.authenticate(inp["body"], inp.get("authorization"), inp["now_ms"])[0]}
    raise AssertionError(f"no runner for {op}")


def run_lifecycle(inp):
    p = inp["policy"]
    backoff = tuple(p["retry_backoff_ms"]) if p.get("retry_backoff_ms") else None
    life = _native.TokenLifecycle(p.get("client", "kafka-java"), p.get("fetch_timeout_ms"), backoff,
                                  p.get("max_abandoned"))
    out = []
    for e in inp["events"]:
        now, kind = e["now_ms"], e["event"]
        if kind == "want":
            d = life.want(now)
            out.append({"serve": {"serve": d.serve},
                        "fetch": {"fetch": d.fetch, "serve": d.serve},
                        "wait": {"wait": d.fetch, "until_ms": d.until_ms, "wait_ms": d.wait_ms},
                        "fail": {"fail": {"error": d.error.code} if d.error is not None else {"fetch": d.fetch}},
                        }[d.kind])
        elif kind == "succeeded":
            out.append({"arrival": life.fetch_succeeded(e["fetch"], e["expires_at_ms"], e.get("issued_at_ms"), now,
                                                        e.get("jitter01", 0.0))})
        elif kind == "failed":
            out.append({"recorded": life.fetch_failed(e["fetch"], e["retryable"], e.get("retry_after"), now,
                                                      e.get("random01", 0.0))})
        else:
            fetch, wake = life.poll(now)
            out.append({"fetch": fetch, "wake_at_ms": wake})
    return out


ALL = [(p.name, c) for p in sorted(VECTORS.glob("*.json")) for c in json.loads(p.read_text())["cases"]]
CASES = [(f, c) for f, c in ALL if expressible(c)]


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f}:{c['name']}" for f, c in CASES])
def test_vector(file, case):
    op, expected = case["op"], case["output"]
    try:
        got = run(op, case["input"])
    except oauthbearer.OAuthBearerError as err:
        got = {"error": err.code}
        expected = {"error": expected["error"]} if "error" in expected else expected
        shown = f"{err} | {err!r} | {err.args!r} | {vars(err)!r}"
        for secret in [*case.get("secrets", []), "PLANTED"]:
            assert secret not in shown, f"the error shows a planted secret: {shown}"
    if op == "confluent_extensions" and "error" not in got:
        assert got["pairs"] and all(k in expected["jaas"] for k, _ in got["pairs"])
        return
    if op == "issuer" and "error" not in got:
        jwt.api_jws.PyJWS().decode(got["token"], key=jwt.PyJWK(got["jwks"]["keys"][0]), algorithms=[case["input"]["alg"]])
        if "token" not in expected:
            del got["token"]
    if op == "token_response" and "error" not in got:
        expected = {k: expected[k] for k in got}
    assert got == expected


def test_every_case_is_run_here_or_named():
    """No case is silently dropped: each runs here, in test_native, or under a named reason."""
    ops = {c["op"] for _f, c in ALL}
    assert ops <= {c["op"] for _f, c in CASES} | RUN_ELSEWHERE | set(NOT_IN_THIS_API), ops
    left_out = [c["name"] for _f, c in ALL if not expressible(c) and c["op"] not in RUN_ELSEWHERE]
    # Left out: the named operations (the Envoy plugin's 29 configurations among them) and the
    # inputs `expressible` names.
    assert len(CASES) > 280 and len(left_out) < 90, (len(CASES), left_out)
