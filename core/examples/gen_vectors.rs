//! Writes `tests/vectors/*.json` from fixed keys (`tests/keys/`), a fixed `now` and fixed `jti`s.
//!
//! Run: `cargo run -p oauthbearer --example gen_vectors` to rewrite the files, or with `--check`
//! (as the test command does) to fail without writing when any file would change. Inputs are listed here; outputs are what the core
//! computes, through the same executor the Rust runner uses (`core/tests/support/vectors.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/support/vectors.rs"]
mod vectors;

use base64::Engine;
use serde_json::{json, Value};

/// 2026-01-01T00:00:00.123Z: the fixed `now` (the `.123` checks that `iat` is floored).
const NOW_MS: u64 = 1_767_225_600_123;
const JTI: &str = "0b6e0f0a-5e8e-4a57-9d57-2c4a9f0f6a11";
const URL: &str = "https://idp.example/oauth2/token";
const ISS_KEY: &str = "sasl.oauthbearer.assertion.claim.iss";
const KEY: &str = "sasl.oauthbearer.assertion.private.key.file";

fn case(name: &str, op: &str, input: Value) -> Value {
    let output = vectors::run(op, &input);
    json!({ "name": name, "op": op, "input": input, "output": output })
}

/// Writes (or with `--check`, compares) one file; returns whether it was already up to date.
fn write(file: &str, description: &str, cases: Vec<Value>) -> bool {
    let doc = json!({ "description": description, "cases": cases });
    let path = vectors::vectors_dir().join(file);
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let n = doc["cases"].as_array().map_or(0, Vec::len);
    let same = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
    if std::env::args().any(|a| a == "--check") {
        println!("{} {} ({n} cases)", if same { "up to date:" } else { "DIFFERS:" }, path.display());
    } else {
        std::fs::write(&path, text).unwrap();
        println!("wrote {} ({n} cases)", path.display());
    }
    same
}

fn keys() -> Vec<Value> {
    let p = Some("test-passphrase");
    let mut out = Vec::new();
    for (file, pass) in [
        ("rsa2048.pkcs8.pem", None),
        ("rsa2048.pkcs8.der", None),
        ("rsa2048.pkcs1.pem", None),
        ("rsa2048.jwk.json", None),
        ("rsa2048.pbes2-pbkdf2-aes256.pem", p),
        ("rsa2048.pbes2-pbkdf2sha1-aes128.pem", p),
        ("rsa2048.pbes2-scrypt.pem", p),
        ("rsa2048.pkcs12-sha1-3des.pem", p),
        ("rsa2048.pbes1-sha1-des.pem", p),
        ("rsa2048.pbes1-md5-des.pem", p),
        ("ec-p256.pkcs8.pem", None),
        ("ec-p256.sec1.pem", None),
        ("ec-p256.jwk.json", None),
        ("ec-p256.pbes2-pbkdf2-aes256.pem", p),
        ("ec-p384.pkcs8.pem", None),
        ("ec-p384.sec1.pem", None),
        ("ec-p384.jwk.json", None),
        ("ed25519.pkcs8.pem", None),
        ("ed25519.jwk.json", None),
        // Refusals.
        ("rsa1024.pkcs8.pem", None),
        ("ec-secp256k1.pkcs8.pem", None),
        ("rsa2048.pkcs1-legacy-encrypted.pem", p),
        ("rsa2048.pkcs8.pem", p),
        ("ec-p256.sec1.pem", p),
        ("rsa2048.pbes2-pbkdf2-aes256.pem", None),
        ("rsa2048.cert.pem", None),
    ] {
        out.push(case(
            &format!("{file}{}", if pass.is_some() { " +passphrase" } else { "" }),
            "parse_key",
            json!({ "key_file": file, "passphrase": pass }),
        ));
    }
    for file in ["rsa2048.pbes2-scrypt.pem", "rsa2048.pkcs12-sha1-3des.pem", "rsa2048.pbes1-md5-des.pem"] {
        out.push(case(
            &format!("{file} wrong passphrase"),
            "parse_key",
            json!({ "key_file": file, "passphrase": "wrong" }),
        ));
    }
    out.push(case("garbage", "parse_key", json!({ "key_text": "not a key" })));
    out.push(case(
        "public JWK only",
        "parse_key",
        json!({ "key_text": r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"# }),
    ));
    out
}

fn assertion(name: &str, key: &str, props: Value, extra: Value) -> Value {
    let mut input = json!({ "key_file": key, "now_ms": NOW_MS, "jti": JTI });
    let mut properties = json!({ "sasl.oauthbearer.token.endpoint.url": URL, KEY: format!("/etc/kafka/{key}") });
    for (k, v) in props.as_object().unwrap() {
        properties[k] = v.clone();
    }
    input["properties"] = properties;
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    case(name, "sign_assertion", input)
}

fn assertions() -> Vec<Value> {
    let claims = json!({ ISS_KEY: "my-client", "sasl.oauthbearer.assertion.claim.sub": "my-client", "sasl.oauthbearer.assertion.claim.aud": URL });
    let with = |extra: Value| {
        let mut c = claims.clone();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let none = json!({});
    vec![
        assertion("RS256 defaults", "rsa2048.pkcs8.pem", claims.clone(), none.clone()),
        assertion(
            "RS256 iss only (Kafka allows it; warned)",
            "rsa2048.pkcs8.pem",
            json!({ ISS_KEY: "my-client" }),
            none.clone(),
        ),
        assertion(
            "RS256 lowercase alg written canonically",
            "rsa2048.pkcs1.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "rs256" })),
            none.clone(),
        ),
        assertion(
            "RS256 jti, custom exp and nbf",
            "rsa2048.pkcs8.pem",
            with(json!({
            "sasl.oauthbearer.assertion.claim.jti.include": "true",
            "sasl.oauthbearer.assertion.claim.exp.seconds": "60",
            "sasl.oauthbearer.assertion.claim.nbf.seconds": "0" })),
            none.clone(),
        ),
        assertion(
            "RS256 encrypted PKCS#8",
            "rsa2048.pbes2-pbkdf2-aes256.pem",
            with(json!({
            "sasl.oauthbearer.assertion.private.key.passphrase": "test-passphrase" })),
            none.clone(),
        ),
        assertion(
            "ES256",
            "ec-p256.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "ES256" })),
            none.clone(),
        ),
        assertion(
            "ES256 SEC1 key",
            "ec-p256.sec1.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "es256" })),
            none.clone(),
        ),
        assertion(
            "PS256",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "PS256" })),
            none.clone(),
        ),
        assertion(
            "ES384",
            "ec-p384.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "ES384" })),
            none.clone(),
        ),
        assertion(
            "EdDSA",
            "ed25519.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "EdDSA" })),
            none.clone(),
        ),
        assertion(
            "kid and rfc7523bis typ",
            "rsa2048.pkcs8.pem",
            claims.clone(),
            json!({
            "kid": "my-kid", "typ": "client-authentication+jwt" }),
        ),
        assertion(
            "Java layering: template overrides config aud, adds kid and claims",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.template.file": "/etc/kafka/template.json" })),
            json!({ "template": r#"{"header":{"kid":"tmpl-kid","x5t":"abc"},"payload":{"aud":["https://issuer.example"],"tenant":"t1","sub":"from-template"}}"# }),
        ),
        assertion(
            "librdkafka layering: config overrides template",
            "rsa2048.pkcs8.pem",
            with(
                json!({ "sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.grant.type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "sasl.oauthbearer.assertion.jwt.template.file": "/etc/kafka/template.json" }),
            ),
            json!({ "dialect": "librdkafka", "template": r#"{"header":{"kid":"k"},"payload":{"sub":"from-template","scp":"x"}}"# }),
        ),
        assertion(
            "strict: template may not set signer-owned members",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.template.file": "/t.json" })),
            json!({ "template": r#"{"header":{"alg":"none"},"payload":{"exp":1}}"# }),
        ),
        assertion(
            "compatible: template's signer-owned members are replaced",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.template.file": "/t.json" })),
            json!({ "mode": "kafka-compatible", "template": r#"{"header":{"alg":"none","typ":"x"},"payload":{"exp":1,"iat":2}}"# }),
        ),
        assertion(
            "key does not fit algorithm",
            "ec-p256.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "RS256" })),
            none.clone(),
        ),
        assertion("weak key", "rsa1024.pkcs8.pem", claims.clone(), none.clone()),
        assertion(
            "passphrase for a plain key",
            "rsa2048.pkcs8.pem",
            with(json!({
            "sasl.oauthbearer.assertion.private.key.passphrase": "test-passphrase" })),
            none.clone(),
        ),
        assertion(
            "invalid template",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.template.file": "/t.json" })),
            json!({ "template": r#"{"header":[]}"# }),
        ),
        assertion(
            "unsupported algorithm",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "HS256" })),
            none,
        ),
    ]
}

fn config_cases() -> Vec<Value> {
    let c = |name: &str, dialect: &str, mode: &str, props: Value| {
        case(name, "config", json!({ "dialect": dialect, "mode": mode, "properties": props }))
    };
    let url = "sasl.oauthbearer.token.endpoint.url";
    let jaas = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"admin\" clientSecret=\"unused\" extension_logicalCluster=\"lkc-1\";";
    vec![
        c(
            "client secret via JAAS (Google's Beam recipe)",
            "kafka-java",
            "strict",
            json!({ url: "http://localhost:14293", "sasl.jaas.config": jaas }),
        ),
        c(
            "KIP-1258 via claim.iss",
            "kafka-java",
            "strict",
            json!({ url: URL, ISS_KEY: "id", "sasl.oauthbearer.assertion.claim.sub": "id",
            "sasl.oauthbearer.assertion.claim.aud": URL, KEY: "/k.pem", "sasl.oauthbearer.client.credentials.client.id": "id" }),
        ),
        c(
            "KIP-1258 via assertion file",
            "kafka-java",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.assertion.file": "/run/assertion.jwt" }),
        ),
        c(
            "trap: key file without claim.iss (strict)",
            "kafka-java",
            "strict",
            json!({ url: URL, KEY: "/k.pem",
            "sasl.oauthbearer.client.credentials.client.id": "id", "sasl.oauthbearer.client.credentials.client.secret": "s" }),
        ),
        c(
            "trap: key file without claim.iss (compatible)",
            "kafka-java",
            "kafka-compatible",
            json!({ url: URL, KEY: "/k.pem",
            "sasl.oauthbearer.client.credentials.client.id": "id", "sasl.oauthbearer.client.credentials.client.secret": "s" }),
        ),
        c(
            "trap: file and iss both set (strict)",
            "kafka-java",
            "strict",
            json!({ url: URL, ISS_KEY: "id", "sasl.oauthbearer.assertion.file": "/a.jwt" }),
        ),
        c(
            "jwt-bearer retriever",
            "kafka-java",
            "strict",
            json!({ url: URL, KEY: "/k.pem",
            "sasl.oauthbearer.jwt.retriever.class": "org.apache.kafka.common.security.oauthbearer.JwtBearerJwtRetriever",
            "sasl.oauthbearer.assertion.claim.sub": "s", "sasl.oauthbearer.assertion.claim.aud": "a" }),
        ),
        c("file: token URL", "kafka-java", "strict", json!({ url: "file:///var/run/kafka/token.jwt" })),
        c(
            "mechanism prefix wins",
            "kafka-java",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.client.credentials.client.id": "plain",
            "oauthbearer.sasl.oauthbearer.client.credentials.client.id": "prefixed", "sasl.oauthbearer.client.credentials.client.secret": "s" }),
        ),
        c(
            "missing secret",
            "kafka-java",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.client.credentials.client.id": "id" }),
        ),
        c(
            "exp.seconds out of range",
            "kafka-java",
            "strict",
            json!({ url: URL, ISS_KEY: "i", KEY: "/k", "sasl.oauthbearer.assertion.claim.exp.seconds": "90000" }),
        ),
        c(
            "librdkafka client secret",
            "librdkafka",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.client.id": "id", "sasl.oauthbearer.client.secret": "s", "sasl.oauthbearer.extensions": "logicalCluster=lkc-1,identityPoolId=pool-2" }),
        ),
        c(
            "librdkafka jwt-bearer",
            "librdkafka",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.grant.type": "urn:ietf:params:oauth:grant-type:jwt-bearer", KEY: "/k.pem", "sasl.oauthbearer.assertion.claim.sub": "s" }),
        ),
        c(
            "librdkafka: assertion.file is exclusive",
            "librdkafka",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.grant.type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "sasl.oauthbearer.assertion.file": "/a", KEY: "/k" }),
        ),
        c(
            "invalid extension name",
            "kafka-java",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.client.credentials.client.id": "id",
            "sasl.oauthbearer.client.credentials.client.secret": "s",
            "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required extension_auth=\"x\";" }),
        ),
        c(
            "librdkafka has no KIP-1258 (strict)",
            "librdkafka",
            "strict",
            json!({ url: URL, "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.client.id": "id", "sasl.oauthbearer.client.secret": "s", ISS_KEY: "id", KEY: "/k" }),
        ),
    ]
}

fn requests() -> Vec<Value> {
    let r = |name: &str, input: Value| case(name, "token_request", input);
    let a = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
    vec![
        // apache/kafka ClientAssertionRequestFormatterTest, minimal case.
        r("client assertion, minimal (Kafka's test vector)", json!({ "kind": "client_assertion", "assertion": a })),
        r(
            "client assertion, client id and scope",
            json!({ "kind": "client_assertion", "assertion": a, "client_id": "my client", "scope": "openid profile" }),
        ),
        r(
            "client assertion, scope!special",
            json!({ "kind": "client_assertion", "assertion": a, "scope": "scope!special" }),
        ),
        r("client assertion, what?query", json!({ "kind": "client_assertion", "assertion": a, "scope": "what?query" })),
        r(
            "client assertion, trimmed scope",
            json!({ "kind": "client_assertion", "assertion": a, "scope": "  trimmed  " }),
        ),
        r(
            "client secret, Java, raw scope",
            json!({ "kind": "client_secret", "client_id": " id ", "client_secret": " s3cr3t ", "scope": "openid profile" }),
        ),
        r(
            "client secret, Java, header.urlencode",
            json!({ "kind": "client_secret", "client_id": "id:with/colon", "client_secret": "p@ss word~", "scope": "openid profile", "header_urlencode": true }),
        ),
        r(
            "client secret, librdkafka",
            json!({ "kind": "client_secret", "dialect": "librdkafka", "client_id": "id", "client_secret": "s", "scope": "a b" }),
        ),
        r(
            "client secret, post",
            json!({ "kind": "client_secret", "method": "post", "client_id": "id", "client_secret": "s&=", "scope": "a b" }),
        ),
        r(
            "client secret, scope always encoded",
            json!({ "kind": "client_secret_encoded_scope", "client_id": "id", "client_secret": "s", "scope": "a b" }),
        ),
        r(
            "client secret, non-ASCII",
            json!({ "kind": "client_secret", "client_id": "ĉlient", "client_secret": "sécret", "header_urlencode": true }),
        ),
        r("client secret, blank secret", json!({ "kind": "client_secret", "client_id": "id", "client_secret": "  " })),
        r("jwt-bearer, Java", json!({ "kind": "jwt_bearer", "assertion": a, "scope": "test.scope" })),
        // librdkafka's unit-test vector (rdkafka_sasl_oauthbearer_oidc.c).
        r(
            "jwt-bearer, librdkafka (its test vector)",
            json!({ "kind": "jwt_bearer", "dialect": "librdkafka", "assertion": "test.jwt.assertion", "scope": "test.scope" }),
        ),
        r(
            "jwt-bearer, librdkafka curl-escaped scope",
            json!({ "kind": "jwt_bearer", "dialect": "librdkafka", "assertion": a, "scope": "a b*~" }),
        ),
        r(
            "from config: client secret via JAAS",
            json!({ "kind": "from_config", "url": URL, "properties": {
            "sasl.oauthbearer.token.endpoint.url": URL,
            "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"admin\" clientSecret=\"unused\" scope=\"kafka\";" } }),
        ),
        r(
            "from config: KIP-1258",
            json!({ "kind": "from_config", "assertion": a, "properties": {
            "sasl.oauthbearer.token.endpoint.url": URL, "sasl.oauthbearer.assertion.file": "/a.jwt",
            "sasl.oauthbearer.client.credentials.client.id": "my-client", "sasl.oauthbearer.scope": "kafka" } }),
        ),
    ]
}

fn responses() -> Vec<Value> {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2lnbmF0dXJl";
    let r = |name: &str, status: u16, ct: Option<&str>, body: &str, dialect: &str| {
        case(name, "token_response", json!({ "status": status, "content_type": ct, "body": body, "dialect": dialect }))
    };
    let ok = format!(r#"{{"access_token":"{jwt}","token_type":"Bearer","expires_in":3599,"scope":"kafka"}}"#);
    vec![
        r("200 access_token", 200, Some("application/json"), &ok, "kafka-java"),
        r("201 accepted by Java", 201, None, &ok, "kafka-java"),
        r(
            "id_token fallback, padded value trimmed",
            200,
            None,
            &format!(r#"{{"access_token":5,"id_token":"  {jwt} \n"}}"#),
            "kafka-java",
        ),
        r(
            "expires_in as string",
            200,
            None,
            &format!(r#"{{"access_token":"{jwt}","expires_in":"3600","refresh_token":"r"}}"#),
            "kafka-java",
        ),
        r(
            "trailing content ignored like Jackson",
            200,
            None,
            &format!(r#"{{"access_token":"{jwt}"}} trailing"#),
            "kafka-java",
        ),
        r("no token: snippet redacted", 200, None, &format!(r#"{{"token":"{jwt}"}}"#), "kafka-java"),
        r("empty 200 is retryable", 200, None, "", "kafka-java"),
        r("not JSON", 200, None, "<html>", "kafka-java"),
        r("librdkafka needs JSON content type", 200, Some("text/plain"), &ok, "librdkafka"),
        r("librdkafka accepts 2xx", 204, Some("application/json; charset=utf-8"), &ok, "librdkafka"),
        r(
            "400 invalid_client (RFC 6749 5.2)",
            400,
            None,
            r#"{"error":"invalid_client","error_description":"Client authentication failed","error_uri":"https://idp.example/e"}"#,
            "kafka-java",
        ),
        r("401 error without description", 401, None, r#"{"error":"invalid_client"}"#, "kafka-java"),
        r(
            "Okta-style error",
            403,
            None,
            r#"{"errorCode":"E0000011","errorSummary":"Invalid token provided"}"#,
            "kafka-java",
        ),
        r("503 empty body is retryable", 503, None, "", "kafka-java"),
        r("502 HTML", 502, None, "<html>Bad Gateway</html>", "kafka-java"),
        r("500 JSON without error", 500, None, r#"{"message":"boom"}"#, "kafka-java"),
        r(
            "error body echoing a token is redacted",
            400,
            None,
            &format!(r#"{{"error":"invalid_grant","error_description":"assertion {jwt} expired"}}"#),
            "kafka-java",
        ),
    ]
}

fn retries() -> Vec<Value> {
    let fails = |statuses: &[Option<u16>], step: &[u64]| -> Value {
        statuses.iter().zip(step).map(|(s, at)| json!({ "status": s, "at_ms": at })).collect()
    };
    let mut at = vec![0u64];
    for d in [100, 200, 400, 800, 1600, 3200, 3700] {
        let last = *at.last().unwrap();
        at.push(last + d);
    }
    vec![
        case(
            "Kafka defaults, all 500",
            "retry",
            json!({ "policy": { "style": "kafka-java" }, "failures": fails(&[Some(500); 8], &at) }),
        ),
        case(
            "Kafka: 401 stops",
            "retry",
            json!({ "policy": { "style": "kafka-java" }, "failures": fails(&[Some(401)], &[0]) }),
        ),
        case(
            "Kafka: transport errors retry",
            "retry",
            json!({ "policy": { "style": "kafka-java", "backoff_ms": 1000, "max_ms": 2500 }, "failures": fails(&[None, None, None], &[0, 1000, 2500]) }),
        ),
        case(
            "Retry-After seconds and date",
            "retry",
            json!({ "policy": { "style": "kafka-java" }, "start_ms": 0, "failures": [
            { "status": 429, "retry_after": "2", "at_ms": 0 },
            { "status": 503, "retry_after": "Thu, 01 Jan 1970 00:00:05 GMT", "at_ms": 2000 },
            { "status": 429, "retry_after": "3600", "at_ms": 5000 } ] }),
        ),
        case(
            "jitter",
            "retry",
            json!({ "policy": { "style": "kafka-java", "jitter": 0.5 }, "failures": [
            { "status": 500, "at_ms": 0, "random": 0.0 }, { "status": 500, "at_ms": 100, "random": 0.5 }, { "status": 500, "at_ms": 300, "random": 0.99 } ] }),
        ),
        case(
            "librdkafka",
            "retry",
            json!({ "policy": { "style": "librdkafka" }, "failures": fails(&[Some(503); 5], &[0, 5000, 15000, 30000, 50000]) }),
        ),
        case(
            "librdkafka: 401 and transport errors stop",
            "retry",
            json!({ "policy": { "style": "librdkafka" }, "failures": fails(&[None], &[0]) }),
        ),
    ]
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

fn prebuilt() -> Vec<Value> {
    let now_s = NOW_MS / 1000;
    let jwt = |payload: Value| format!("{}.{}.c2ln", b64(&json!({ "alg": "RS256", "typ": "JWT" })), b64(&payload));
    let p = |name: &str, contents: String, mode: &str| {
        case(
            name,
            "prebuilt_assertion",
            json!({ "contents": contents, "now_ms": NOW_MS, "margin_seconds": 30, "mode": mode }),
        )
    };
    vec![
        p("valid, trimmed", format!("  {}\n", jwt(json!({ "iss": "c", "exp": now_s + 300 }))), "strict"),
        p("expires inside the margin", jwt(json!({ "exp": now_s + 10 })), "strict"),
        p("expired", jwt(json!({ "exp": now_s - 1 })), "strict"),
        p("no exp (strict)", jwt(json!({ "iss": "c" })), "strict"),
        p("no exp (compatible)", jwt(json!({ "iss": "c" })), "kafka-compatible"),
        p("two parts", "a.b".into(), "strict"),
        p("empty signature", format!("{}.", jwt(json!({ "exp": now_s + 300 })).rsplit_once('.').unwrap().0), "strict"),
        p("payload not JSON", format!("{}.bm90LWpzb24.c2ln", b64(&json!({ "alg": "RS256" }))), "strict"),
    ]
}

fn jaas_cases() -> Vec<Value> {
    let m = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
    let j = |name: &str, text: String| case(name, "jaas", json!({ "text": text }));
    vec![
        j(
            "quoted and unquoted",
            format!("{m} required clientId=\"id\" clientSecret=secret scope='a b' extension_x=\"1\";"),
        ),
        j("escapes", format!(r#"{m} required a="q\"uote" b="tab\there" c="\101";"#)),
        j("comments", format!("{m} /* c */ required // line\n a=1 /b=2\n;")),
        j("no semicolon", format!("{m} required a=1")),
        j("bad flag", format!("{m} mandatory;")),
        j("two modules", format!("{m} required; {m} required;")),
    ]
}

fn template_cases() -> Vec<Value> {
    let t = |name: &str, text: &str, dialect: &str| case(name, "template", json!({ "text": text, "dialect": dialect }));
    vec![
        t("java: members optional", r#"{"payload":{"aud":"x"}}"#, "kafka-java"),
        t("java: null member", r#"{"header":null,"payload":{},"other":1}"#, "kafka-java"),
        t("librdkafka: both required", r#"{"payload":{"aud":"x"}}"#, "librdkafka"),
        t("file order kept", r#"{"header":{"z":1,"a":2},"payload":{"m":[1,2],"b":{"c":true}}}"#, "kafka-java"),
        t("member not an object", r#"{"payload":"x"}"#, "kafka-java"),
        t("not JSON", "{", "kafka-java"),
    ]
}

fn main() {
    let results = [
    write("keys.json", "Key parsing: key_type, RFC 7638 thumbprint, public JWK, or the error code.", keys()),
    write("assertions.json", "Client assertions: header and payload JSON, signing input; RS256 and EdDSA assertions exact, others verified with public_jwk.", assertions()),
    write("config.json", "Kafka property maps: the grant path and parsed values, or the error code.", config_cases()),
    write("requests.json", "Token requests: method, URL, ordered headers, body.", requests()),
    write(
        "responses.json",
        "Token responses: the token and RFC 6749 fields, or the typed failure with Kafka's message.",
        responses(),
    ),
    write("retry.json", "Retry delays after each failed attempt (null = give up).", retries()),
    write(
        "prebuilt_assertions.json",
        "Pre-built assertion files: checked shape and exp against now + margin.",
        prebuilt(),
    ),
    write("jaas.json", "sasl.jaas.config parsing.", jaas_cases()),
    write("templates.json", "Assertion template files per dialect.", template_cases()),
    ];
    if std::env::args().any(|a| a == "--check") && results.contains(&false) {
        eprintln!("tests/vectors/ is out of date with the core: run `make vectors` and review the diff");
        std::process::exit(1);
    }
}
