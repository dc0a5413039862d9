//! Writes `tests/vectors/*.json` from fixed keys (`tests/keys/`), a fixed `now` and fixed `jti`s.
//!
//! Run: `cargo run -p oauthbearer --example gen_vectors` to rewrite the files, or with `--check`
//! (as the test command does) to fail without writing when any file would change. Inputs are listed here; outputs are what the core
//! computes, through the same executor the Rust runner uses (`core/tests/support/vectors.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/support/vectors.rs"]
mod vectors;

#[path = "gen_vectors/bad_inputs.rs"]
mod bad_inputs;

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
    // PEM as OpenSSL and Kafka's Java client read it: any line width, one line, CRLF, blank lines
    // around (issue 28); a character outside base64 is still refused.
    for file in ["rsa2048.pkcs8.pem", "ec-p256.pkcs8.pem", "rsa2048.pkcs1.pem", "ec-p256.pbes2-pbkdf2-aes256.pem"] {
        let pass = file.contains("pbes2").then_some("test-passphrase");
        for (layout, text) in pem_layouts(&key_text(file)) {
            out.push(case(&format!("{file} {layout}"), "parse_key", json!({ "key_text": text, "passphrase": pass })));
        }
    }
    let bad_char = key_text("rsa2048.pkcs8.pem").replacen("MII", "MI*", 1);
    out.push(case("rsa2048.pkcs8.pem with a character outside base64", "parse_key", json!({ "key_text": bad_char })));
    out.push(case("garbage", "parse_key", json!({ "key_text": "not a key" })));
    out.push(case(
        "public JWK only",
        "parse_key",
        json!({ "key_text": r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"# }),
    ));
    out
}

/// A PEM file's text laid out as other encoders write it: base64 wrapped at 76 columns (Java's MIME
/// encoder), at 48, on one line (`Base64.getEncoder()`), the whole block on one line with spaces
/// (a flattened environment variable), with CRLF and with blank lines around.
fn pem_layouts(pem: &str) -> Vec<(&'static str, String)> {
    let lines: Vec<&str> = pem.lines().collect();
    let (begin, end) = (lines[0], lines[lines.len() - 1]);
    let base64: String = lines[1..lines.len() - 1].concat();
    let wrapped = |width: usize| {
        let body: Vec<&str> = base64.as_bytes().chunks(width).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("{begin}\n{}\n{end}\n", body.join("\n"))
    };
    vec![
        ("wrapped at 76", wrapped(76)),
        ("wrapped at 48", wrapped(48)),
        ("base64 on one line", format!("{begin}\n{base64}\n{end}\n")),
        ("all on one line", format!("{begin} {base64} {end}")),
        ("with CRLF", wrapped(64).replace('\n', "\r\n")),
        ("with blank lines around", format!("\n\n{}\n\n", wrapped(64))),
    ]
}

/// A test key file's text (for cases that carry a key's contents).
fn key_text(file: &str) -> String {
    std::fs::read_to_string(vectors::keys_dir().join(file)).unwrap()
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
            "client_id is not the assertion's sub (strict: refused)",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.client.credentials.client.id": "other-client" })),
            none.clone(),
        ),
        assertion(
            "client_id is not the assertion's sub (kafka-compatible: sent as Kafka sends it)",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.client.credentials.client.id": "other-client" })),
            json!({ "mode": "kafka-compatible" }),
        ),
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
        // Entra ID certificate credentials: the certificate's thumbprint header, in each style.
        assertion(
            "Entra certificate: x5t#S256 (the default, as MSAL sends to Entra)",
            "rsa2048.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "PS256" })),
            json!({ "certificate_file": "rsa2048.cert.pem" }),
        ),
        assertion(
            "Entra certificate: x5t (older documents, ADFS)",
            "rsa2048.pkcs8.pem",
            claims.clone(),
            json!({ "certificate_file": "rsa2048.cert.pem", "thumbprint_header": "x5t" }),
        ),
        assertion(
            "Entra certificate: both thumbprints",
            "ec-p256.pkcs8.pem",
            with(json!({ "sasl.oauthbearer.assertion.algorithm": "ES256" })),
            json!({ "certificate_file": "ec-p256.cert.pem", "thumbprint_header": "both" }),
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

const GOOGLE_NOW: u64 = 1_704_067_200_000;
const PRINCIPAL: &str = "kafka-client@demo-proj.iam.gserviceaccount.com";
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn providers() -> Vec<Value> {
    let mut out = Vec::new();
    let g = |name: &str, style: &str, principal: &str, now: u64| {
        case(
            name,
            "google_token",
            json!({
                "access_token": "ya29.FAKE-ACCESS-TOKEN", "expires_at_ms": 1_704_070_800_000u64,
                "principal": principal, "now_ms": now, "style": style,
            }),
        )
    };
    for style in ["google-java", "google-python", "kafka-auth-handler"] {
        out.push(g(&format!("Google {style}: reference vector"), style, PRINCIPAL, GOOGLE_NOW));
        out.push(g(
            &format!("Google {style}: fractional now, escaped principal"),
            style,
            "principal://iam.googleapis.com/a=b&c<d>'é",
            GOOGLE_NOW + 977,
        ));
    }
    out.push(g("Google: GKE pool id refused", "google-java", "proj.svc.id.goog", GOOGLE_NOW));
    out.push(g("Google: empty principal refused", "google-java", "", GOOGLE_NOW));
    out.push(g("Google: unknown style", "go", PRINCIPAL, GOOGLE_NOW));
    let url = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/target@proj.iam.gserviceaccount.com:generateAccessToken";
    for (name, creds, over) in [
        (
            "service_account",
            json!({"type": "service_account", "client_email": PRINCIPAL, "private_key": "-----BEGIN PRIVATE KEY-----..."}),
            None,
        ),
        (
            "impersonated_service_account",
            json!({"type": "impersonated_service_account", "service_account_impersonation_url": url, "delegates": []}),
            None,
        ),
        (
            "external_account with impersonation",
            json!({"type": "external_account", "service_account_impersonation_url": url, "credential_source": {"file": "/t"}}),
            None,
        ),
        (
            "external_account without impersonation",
            json!({"type": "external_account", "audience": "//iam.googleapis.com/x", "credential_source": {"file": "/t"}}),
            None,
        ),
        ("authorized_user", json!({"type": "authorized_user", "client_id": "x", "refresh_token": "r"}), None),
        (
            "override wins",
            json!({"type": "authorized_user"}),
            Some("principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s"),
        ),
        (
            "override validated",
            json!({"type": "service_account", "client_email": PRINCIPAL}),
            Some("ns/sa@proj.svc.id.goog"),
        ),
        ("unsupported type", json!({"type": "gdch_service_account"}), None),
        ("service_account without email", json!({"type": "service_account"}), None),
    ] {
        out.push(case(
            &format!("principal: {name}"),
            "google_principal",
            json!({ "credentials_json": creds.to_string(), "override": over }),
        ));
    }
    out.push(case(
        "principal: metadata server (no JSON)",
        "google_principal",
        json!({ "credentials_json": null, "override": null }),
    ));
    out.push(case("principal: not JSON", "google_principal", json!({ "credentials_json": "{", "override": null })));

    let msk = |name: &str, region: &str, token: Option<&str>, extra: Value| {
        let mut input = json!({
            "access_key_id": AKID, "secret_access_key": AWS_SECRET, "session_token": token,
            "region": region, "now_ms": GOOGLE_NOW,
        });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        case(name, "msk_token", input)
    };
    let py = json!({ "order": "python", "user_agent": "aws-msk-iam-sasl-signer-python/1.0.2" });
    out.push(msk(
        "MSK (a) with_session_token, Python signer",
        "us-east-1",
        Some("FwoGZXIvYXdzEXAMPLE/+=="),
        py.clone(),
    ));
    out.push(msk("MSK (b) no_session_token, Python signer", "us-east-1", None, py.clone()));
    out.push(msk("MSK (c) eu_central_1, Python signer", "eu-central-1", Some("SESSIONTOKEN"), py));
    let js = json!({ "order": "sorted", "user_agent": "aws-msk-iam-sasl-signer-js/1.0.3" });
    out.push(msk("MSK (a) JS signer", "us-east-1", Some("FwoGZXIvYXdzEXAMPLE/+=="), js.clone()));
    out.push(msk("MSK (c) JS signer", "eu-central-1", Some("SESSIONTOKEN"), js));
    out.push(msk(
        "MSK (a) Go signer",
        "us-east-1",
        Some("FwoGZXIvYXdzEXAMPLE/+=="),
        json!({ "order": "sorted", "user_agent": "aws-msk-iam-sasl-signer-go/1.0.4/go1.19.8" }),
    ));
    out.push(msk(
        "MSK (a) Rust crate",
        "us-east-1",
        Some("FwoGZXIvYXdzEXAMPLE/+=="),
        json!({ "order": "rust", "user_agent": "aws-msk-iam-sasl-signer-rs/1.0.1" }),
    ));
    out.push(msk(
        "MSK (a) AWS's Java library aws-msk-iam-auth (layout as tests/kafka/test_beam_msk.py sees it)",
        "us-east-1",
        Some("FwoGZXIvYXdzEXAMPLE/+=="),
        json!({ "order": "java", "user_agent": "aws-msk-iam-auth/2.3.2/aws-sdk-java/2.30.23" }),
    ));
    out.push(msk("MSK default user agent", "us-east-1", None, json!({})));
    out.push(msk("MSK without user agent", "us-east-1", None, json!({ "user_agent": null })));
    out.push(msk("MSK credentials live 600.5 s: whole seconds (the JS signer writes 600.5)", "us-east-1", Some("SESSIONTOKEN"), json!({ "credentials_expire_at_ms": GOOGLE_NOW + 600_500, "order": "sorted", "user_agent": "aws-msk-iam-sasl-signer-js/1.0.3" })));
    out.push(msk(
        "MSK credentials expire in 30 s: refused",
        "us-east-1",
        Some("S"),
        json!({ "credentials_expire_at_ms": GOOGLE_NOW + 30_000 }),
    ));
    out.push(msk(
        "MSK credentials expired: refused",
        "us-east-1",
        Some("S"),
        json!({ "credentials_expire_at_ms": GOOGLE_NOW - 1 }),
    ));
    out.push(msk(
        "MSK floor lowered to 10 s",
        "us-east-1",
        Some("S"),
        json!({ "credentials_expire_at_ms": GOOGLE_NOW + 30_000, "min_credential_lifetime_seconds": 10 }),
    ));
    out.push(msk("MSK China partition", "cn-north-1", None, json!({ "domain": "amazonaws.com.cn" })));
    out.push(msk("MSK China partition: the domain follows the region", "cn-northwest-1", None, json!({})));
    out.push(msk(
        "MSK China region with the commercial domain: refused",
        "cn-north-1",
        None,
        json!({ "domain": "amazonaws.com" }),
    ));
    out.push(msk("MSK isolated partition (us-isob)", "us-isob-east-1", None, json!({})));
    let eventhubs = |name: &str, bootstrap: &str, scope: Option<&str>| {
        case(name, "eventhubs_scope", json!({ "bootstrap_servers": bootstrap, "scope": scope }))
    };
    out.push(eventhubs("Event Hubs: scope from the namespace", "Contoso-Kafka.servicebus.windows.net:9093", None));
    out.push(eventhubs("Event Hubs: Azure China namespace", "contoso.servicebus.chinacloudapi.cn:9093", None));
    out.push(eventhubs(
        "Event Hubs: the namespace's scope given",
        "contoso.servicebus.windows.net:9093",
        Some("https://contoso.servicebus.windows.net/.default"),
    ));
    out.push(eventhubs(
        "Event Hubs: the AMQP clients' scope refused",
        "contoso.servicebus.windows.net:9093",
        Some("https://eventhubs.azure.net/.default"),
    ));
    out.push(eventhubs(
        "Event Hubs: scope without /.default refused",
        "contoso.servicebus.windows.net:9093",
        Some("https://contoso.servicebus.windows.net"),
    ));
    out.push(eventhubs("Event Hubs: not a namespace", "broker.internal:9092", None));
    out.push(msk("MSK empty region", "", None, json!({})));
    out.push(msk("MSK malformed region", "US-East-1", None, json!({})));
    out.push(case(
        "MSK empty secret",
        "msk_token",
        json!({ "access_key_id": AKID, "secret_access_key": "", "region": "us-east-1", "now_ms": GOOGLE_NOW }),
    ));
    out
}

fn sasl_cases() -> Vec<Value> {
    let m = |name: &str, token: &str, authzid: Option<&str>, ext: Value| {
        case(name, "sasl_client_first", json!({ "token": token, "authzid": authzid, "extensions": ext }))
    };
    vec![
        m("Kafka: one extension", "123.345.567", None, json!([["nineteen", "42"]])),
        m("Kafka: no extensions", "123.345.567", None, json!([])),
        m("Kafka: authzid", "345", Some("myuser"), json!([])),
        m(
            "Confluent Cloud extensions in caller order",
            "123.345.567",
            None,
            json!([["logicalCluster", "lkc-abc123"], ["identityPoolId", "pool-XyZ"]]),
        ),
        m("authzid escaping", "t", Some("a=b,c"), json!([])),
        m("token with a space refused", "a b", None, json!([])),
        m("reserved extension refused", "t", None, json!([["auth", "x"]])),
        m("empty extension value refused (Kafka Java)", "t", None, json!([["a", ""]])),
        case(
            "server error challenge",
            "sasl_server_error",
            json!({ "text": r#"{"status":"invalid_token","scope":"kafka","openid-configuration":"https://idp.example/.well-known/openid-configuration"}"# }),
        ),
        case("server error without status", "sasl_server_error", json!({ "text": r#"{"scope":"x"}"# })),
        case(
            "Confluent extensions rendered",
            "confluent_extensions",
            json!({ "logical_cluster": "lkc-abc123", "identity_pool_id": "pool-XyZ" }),
        ),
        case(
            "Confluent bad cluster id",
            "confluent_extensions",
            json!({ "logical_cluster": "lkc abc\u{1}", "identity_pool_id": null }),
        ),
    ]
}

fn jwt(payload: Value) -> String {
    let e = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!("{}.{}.c2ln", e(br#"{"alg":"RS256","typ":"JWT"}"#), e(payload.to_string().as_bytes()))
}

fn token_cases() -> Vec<Value> {
    let t = |name: &str, token: String, dialect: &str, extra: Value| {
        let mut input = json!({ "token": token, "dialect": dialect });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        case(name, "check_token", input)
    };
    let good = jwt(
        json!({ "sub": " alice ", "exp": 1_767_229_200.75, "iat": 1_767_225_600, "scope": "kafka.read kafka.write" }),
    );
    let none = json!({});
    let mut out = vec![
        t("Java: accepted, sub trimmed, exp truncated, scope kept whole", good.clone(), "kafka-java", none.clone()),
        t("Java: scope split on request (KAFKA-19790)", good.clone(), "kafka-java", json!({ "split_scope": true })),
        t("librdkafka: accepted, sub not trimmed, no scopes", good.clone(), "librdkafka", none.clone()),
        t(
            "Java: scope array",
            jwt(json!({ "sub": "a", "exp": 2_000_000_000u64, "scope": ["x", " y "] })),
            "kafka-java",
            none.clone(),
        ),
        t(
            "Java: duplicate scopes",
            jwt(json!({ "sub": "a", "exp": 2_000_000_000u64, "scope": ["x", "x"] })),
            "kafka-java",
            none.clone(),
        ),
        t(
            "Java: custom sub claim",
            jwt(json!({ "client_id": "svc", "exp": 2_000_000_000u64 })),
            "kafka-java",
            json!({ "sub_claim": "client_id" }),
        ),
        t("Java: boolean sub becomes \"true\"", jwt(json!({ "sub": true, "exp": 1 })), "kafka-java", none.clone()),
        t("Java: missing exp", jwt(json!({ "sub": "a" })), "kafka-java", none.clone()),
        t("Java: string exp (Java crashes)", jwt(json!({ "sub": "a", "exp": "1" })), "kafka-java", none.clone()),
        t("Java: numeric sub (Java crashes)", jwt(json!({ "sub": 7, "exp": 1 })), "kafka-java", none.clone()),
        t("Java: blank sub", jwt(json!({ "sub": " ", "exp": 1 })), "kafka-java", none.clone()),
        t("Java: negative iat", jwt(json!({ "sub": "a", "exp": 1, "iat": -5 })), "kafka-java", none.clone()),
        t(
            "Java: unsigned token (trailing empty part)",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIiwiZXhwIjoxfQ.".into(),
            "kafka-java",
            none.clone(),
        ),
        t("Java: opaque token", "ya29.a0AfH6SMB".into(), "kafka-java", none.clone()),
        t("Java: standard base64 refused", "a.eyJ+/.c".into(), "kafka-java", none.clone()),
        t(
            "librdkafka: unsigned token accepted",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIiwiZXhwIjoxfQ.".into(),
            "librdkafka",
            none.clone(),
        ),
        t("librdkafka: exp 0", jwt(json!({ "sub": "a", "exp": 0 })), "librdkafka", none.clone()),
        t(
            "librdkafka: string exp (librdkafka reads NaN)",
            jwt(json!({ "sub": "a", "exp": "x" })),
            "librdkafka",
            none.clone(),
        ),
        t("librdkafka: empty sub", jwt(json!({ "sub": "", "exp": 5 })), "librdkafka", none),
        t("expired at now", good.clone(), "kafka-java", json!({ "now_ms": 1_767_229_200_000u64 })),
        t("valid with skew", good, "kafka-java", json!({ "now_ms": 1_767_229_000_000u64, "skew_ms": 30_000 })),
    ];
    let r = |name: &str, input: Value| case(name, "refresh", input);
    let now = 1_767_225_600_000u64;
    out.extend([
        r("Java: one-hour token, no jitter", json!({ "now_ms": now, "expires_at_ms": now + 3_600_000, "issued_at_ms": now, "jitter01": 0.0 })),
        r("Java: one-hour token, full jitter", json!({ "now_ms": now, "expires_at_ms": now + 3_600_000, "issued_at_ms": now, "jitter01": 0.999 })),
        r("Java: clamped to the end buffer", json!({ "now_ms": now, "expires_at_ms": now + 3_600_000, "config": { "window_factor": 0.95 }, "jitter01": 0.5 })),
        r("Java: clamped to the minimum period", json!({ "now_ms": now, "expires_at_ms": now + 3_600_000, "issued_at_ms": now - 20_000_000, "jitter01": 0.0 })),
        r("Java: short token ignores the buffers", json!({ "now_ms": now, "expires_at_ms": now + 300_000, "jitter01": 0.2 })),
        r("Java: expired token retries in 10 s", json!({ "now_ms": now, "expires_at_ms": now - 1 })),
        r("librdkafka: 80 %", json!({ "client": "librdkafka", "now_ms": now, "expires_at_ms": now + 3_600_000 })),
    ]);
    let b = |name: &str, style: &str, now: u64| {
        case(
            name,
            "endpoint_body",
            json!({ "token": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "expires_at_ms": 1_704_070_800_000u64, "now_ms": now, "style": style }),
        )
    };
    out.extend([
        b("endpoint: RFC 6749", "rfc6749", GOOGLE_NOW + 500),
        b("endpoint: Google Python (float)", "google-python", GOOGLE_NOW + 123),
        b("endpoint: kafka-auth-handler (sorted, int)", "kafka-auth-handler", GOOGLE_NOW),
        b("endpoint: expired token, expires_in 0", "rfc6749", 1_704_070_900_000),
    ]);
    out
}

fn issuer_cases() -> Vec<Value> {
    let issuer_url = "http://127.0.0.1:14293";
    let mut out = Vec::new();
    for (alg, key) in [
        ("ES256", "ec-p256.pkcs8.pem"),
        ("RS256", "rsa2048.pkcs8.pem"),
        ("EdDSA", "ed25519.pkcs8.pem"),
        ("PS256", "rsa2048.pkcs1.pem"),
    ] {
        out.push(case(&format!("issuer {alg}"), "issuer", json!({
            "key_file": key, "alg": alg, "issuer": issuer_url, "subject": "kafka-client", "audience": "kafka-broker",
            "scope": "kafka", "lifetime_seconds": 3600, "now_ms": NOW_MS, "jti": JTI,
        })));
    }
    out.push(case("issuer: key does not fit alg", "issuer", json!({
        "key_file": "ec-p256.pkcs8.pem", "alg": "RS256", "issuer": issuer_url, "subject": "s", "lifetime_seconds": 60, "now_ms": NOW_MS,
    })));
    // Client assertions signed by the core (deterministic RS256 / EdDSA), checked by the issuer.
    let token_url = format!("{issuer_url}/token");
    let signed = |key: &str, alg: &str, sub: &str, aud: &str| -> String {
        let out = vectors::run(
            "sign_assertion",
            &json!({
                "key_file": key, "now_ms": NOW_MS, "jti": JTI,
                "properties": {
                    "sasl.oauthbearer.token.endpoint.url": token_url, KEY: "/k", "sasl.oauthbearer.assertion.algorithm": alg,
                    ISS_KEY: "kafka-client", "sasl.oauthbearer.assertion.claim.sub": sub,
                    "sasl.oauthbearer.assertion.claim.aud": aud, "sasl.oauthbearer.assertion.claim.jti.include": "true",
                },
            }),
        );
        out["assertion"].as_str().unwrap().to_owned()
    };
    let body = |assertion: &str| {
        vectors::run("token_request", &json!({ "kind": "client_assertion", "assertion": assertion }))["body"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let jwk = |file: &str| {
        let key =
            oauthbearer::PrivateKey::from_bytes(&std::fs::read(vectors::keys_dir().join(file)).unwrap(), None).unwrap();
        Value::Object(key.public_jwk())
    };
    let clients = json!([
        { "client_id": "kafka-client", "jwks": [jwk("rsa2048.pkcs8.pem"), jwk("ed25519.pkcs8.pem")] },
        { "client_id": "secret-client", "secret": "s3cret" },
    ]);
    let v = |name: &str, body: String, extra: Value| {
        let mut input = json!({ "body": body, "clients": clients, "audiences": [token_url, issuer_url], "now_ms": NOW_MS + 10_000 });
        for (k, val) in extra.as_object().unwrap() {
            input[k] = val.clone();
        }
        case(name, "verify_client_assertion", input)
    };
    let rs = signed("rsa2048.pkcs8.pem", "RS256", "kafka-client", &token_url);
    out.extend([
        v("assertion RS256 accepted", body(&rs), json!({})),
        v(
            "assertion EdDSA accepted",
            body(&signed("ed25519.pkcs8.pem", "EdDSA", "kafka-client", &token_url)),
            json!({}),
        ),
        v("assertion replayed", body(&rs), json!({ "seen_jtis": [JTI] })),
        v("assertion expired", body(&rs), json!({ "now_ms": NOW_MS + 400_000 })),
        v(
            "assertion sub is not the client",
            body(&signed("rsa2048.pkcs8.pem", "RS256", "someone-else", &token_url)),
            json!({}),
        ),
        v(
            "assertion for another audience",
            body(&signed("rsa2048.pkcs8.pem", "RS256", "kafka-client", "https://other/token")),
            json!({}),
        ),
        v(
            "assertion signed by an unregistered key",
            body(&signed("ed25519.pkcs8.pem", "EdDSA", "kafka-client", &token_url)),
            json!({ "clients": [{ "client_id": "kafka-client", "jwks": [jwk("rsa2048.pkcs8.pem")] }] }),
        ),
        v(
            "client secret (Basic)",
            "grant_type=client_credentials".into(),
            json!({ "authorization": "Basic c2VjcmV0LWNsaWVudDpzM2NyZXQ=" }),
        ),
        v(
            "client secret (post)",
            "grant_type=client_credentials&client_id=secret-client&client_secret=s3cret".into(),
            json!({}),
        ),
        v(
            "wrong client secret",
            "grant_type=client_credentials&client_id=secret-client&client_secret=nope".into(),
            json!({}),
        ),
        v("wrong grant type", "grant_type=password".into(), json!({})),
    ]);
    out
}

fn explain_cases() -> Vec<Value> {
    let e = |name: &str, dialect: &str, props: Value, context: Value| {
        case(name, "explain", json!({ "properties": props, "dialect": dialect, "context": context }))
    };
    vec![
        e(
            "Java: forgot the login handler",
            "kafka-java",
            json!({ "sasl.mechanism": "OAUTHBEARER", "security.protocol": "SASL_SSL" }),
            json!({}),
        ),
        e(
            "Java: Google's README on Kafka 4 (Beam)",
            "kafka-java",
            json!({
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.login.callback.handler.class": "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
                "sasl.oauthbearer.token.endpoint.url": "http://localhost:14293",
                "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"admin\" clientSecret=\"unused\";",
            }),
            json!({ "kafka_version": [4, 1] }),
        ),
        e(
            "Java: KIP-1258 key without iss, PKCS#1 key, lowercase alg, JDK 17",
            "kafka-java",
            json!({
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.login.callback.handler.class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
                "sasl.oauthbearer.assertion.private.key.file": "/etc/kafka/key.pem",
                "sasl.oauthbearer.assertion.algorithm": "rs256",
                "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"c\" clientSecret=\"s\";",
            }),
            json!({ "private_key": key_text("rsa2048.pkcs1.pem"), "java_version": 17 }),
        ),
        e(
            "Java: encrypted PKCS#8 on JDK 17, assertion longer than the IdP allows",
            "kafka-java",
            json!({
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.login.callback.handler.class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
                "sasl.oauthbearer.assertion.private.key.file": "/etc/kafka/key.pem",
                "sasl.oauthbearer.assertion.private.key.passphrase": "test-passphrase",
                "sasl.oauthbearer.assertion.claim.iss": "c",
                "sasl.oauthbearer.assertion.claim.sub": "c",
                "sasl.oauthbearer.assertion.claim.aud": "https://idp.example/token",
                "sasl.oauthbearer.assertion.claim.exp.seconds": "900",
            }),
            // A real PBES2 key with its passphrase: the signer takes it, only JDK 17 does not.
            json!({ "private_key": key_text("rsa2048.pbes2-pbkdf2-aes256.pem"), "java_version": 17, "idp_max_assertion_lifetime_seconds": 600 }),
        ),
        e("Java: bare token from the endpoint", "kafka-java", json!({}), json!({ "token": "ya29.a0AfH6SMBopaque" })),
        e(
            "librdkafka: unsecure JWT and ES256",
            "librdkafka",
            json!({
                "sasl.mechanism": "OAUTHBEARER", "enable.sasl.oauthbearer.unsecure.jwt": "true", "sasl.oauthbearer.assertion.algorithm": "ES256",
            }),
            json!({}),
        ),
        e(
            "Java: clean KIP-1258 config",
            "kafka-java",
            kip1258_java(&[]),
            json!({ "kafka_version": [4, 3], "private_key": key_text("rsa2048.pkcs8.pem") }),
        ),
        e(
            "Java: a template file with two audiences (Keycloak takes exactly one)",
            "kafka-java",
            kip1258_java(&[
                ("sasl.oauthbearer.assertion.claim.jti.include", "true"),
                ("sasl.oauthbearer.assertion.template.file", "/etc/kafka/template.json"),
            ]),
            json!({
                "kafka_version": [4, 3],
                "assertion_template": r#"{"payload": {"aud": ["https://idp.example", "https://idp.example/token"]}}"#,
            }),
        ),
        e(
            "Java: misspelled jti switch (Kafka ignores it, the IdP then refuses the assertion)",
            "kafka-java",
            kip1258_java(&[
                ("sasl.oauthbearer.assertion.jti.include", "true"),
                ("sasl.oauthbearer.assertion.jwt.template.file", "/etc/kafka/template.json"),
            ]),
            json!({ "kafka_version": [4, 3] }),
        ),
        e(
            "librdkafka: Event Hubs with the AMQP scope, a misspelled name",
            "librdkafka",
            json!({
                "bootstrap.servers": "contoso.servicebus.windows.net:9093",
                "security.protocol": "SASL_SSL",
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.oauthbearer.method": "oidc",
                "sasl.oauthbearer.token.endpoint.url": "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
                "sasl.oauthbearer.client.id": "app",
                "sasl.oauthbearer.client.secret": "s",
                "sasl.oauthbearer.scope": "https://eventhubs.azure.net/.default",
                "sasl.oauthbearer.sub.claim": "oid",
            }),
            json!({}),
        ),
        e(
            "librdkafka: OIDC token without sub",
            "librdkafka",
            json!({ "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc" }),
            json!({ "token": "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln" }),
        ),
        e(
            "aiokafka on a broker with connections.max.reauth.ms (no KIP-368)",
            "kafka-java",
            json!({ "sasl.mechanism": "OAUTHBEARER" }),
            json!({ "client": "aiokafka", "client_version": "0.12.0", "broker_reauth_ms": 3_600_000 }),
        ),
        e(
            "kafka-python 3.0 re-authenticates; broker reauth unknown",
            "kafka-java",
            json!({ "sasl.mechanism": "OAUTHBEARER" }),
            json!({ "client": "kafka-python", "client_version": "3.0.0" }),
        ),
        e(
            "confluent-kafka 2.12 with oauth_cb: the poll trap (it re-authenticates)",
            "librdkafka",
            json!({ "sasl.mechanism": "OAUTHBEARER", "security.protocol": "SASL_SSL" }),
            json!({ "client": "confluent-kafka", "client_version": "2.12.1", "broker_reauth_ms": 0 }),
        ),
        e(
            "Java: an MSK cluster with tokens from a URL (MSK IAM tokens are not JWTs)",
            "kafka-java",
            json!({
                "bootstrap.servers": "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
                "security.protocol": "SASL_SSL",
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.login.callback.handler.class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                "sasl.oauthbearer.token.endpoint.url": "http://127.0.0.1:14293/token",
                "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"unused\" clientSecret=\"unused\";",
            }),
            json!({ "kafka_version": [3, 9] }),
        ),
        e(
            "Spark 3.4: oauthbearer.spark.kafka_options for kafka-clients 3.4+ (Spark 3.4 runs 3.3)",
            "kafka-java",
            spark_options(""),
            json!({ "client": "spark", "client_version": "3.4.1" }),
        ),
        e(
            "Databricks: plain classes on the shaded client, an unprefixed option, auto.offset.reset",
            "kafka-java",
            {
                let mut options = spark_options("");
                options["sasl.oauthbearer.scope"] = json!("kafka");
                options["kafka.auto.offset.reset"] = json!("earliest");
                options
            },
            json!({ "client": "databricks" }),
        ),
        e(
            "Spark: Databricks' shaded classes on open-source Spark 4.2",
            "kafka-java",
            spark_options("kafkashaded."),
            json!({ "client": "spark", "client_version": "4.2.0" }),
        ),
        e(
            "Databricks: shaded options as oauthbearer.spark.kafka_options(shaded=True) gives them",
            "kafka-java",
            spark_options("kafkashaded."),
            json!({ "kafka_version": [3, 9] }),
        ),
        e(
            "Spark 4.2: KIP-1258 options (its kafka-clients 3.9 knows none of them)",
            "kafka-java",
            json!({
                "kafka.bootstrap.servers": "broker:9093",
                "kafka.sasl.mechanism": "OAUTHBEARER",
                "kafka.sasl.login.callback.handler.class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                "kafka.sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
                "kafka.sasl.oauthbearer.client.credentials.client.id": "app",
                "kafka.sasl.oauthbearer.assertion.algorithm": "ES256",
                "kafka.sasl.oauthbearer.assertion.private.key.file": "/etc/kafka/key.pem",
                "kafka.sasl.oauthbearer.assertion.claim.iss": "app",
                "kafka.sasl.oauthbearer.assertion.claim.sub": "app",
                "kafka.sasl.oauthbearer.assertion.claim.aud": "https://idp.example/token",
                "kafka.sasl.oauthbearer.assertion.claim.jti.include": "true",
                "kafka.sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            }),
            json!({ "client": "spark", "client_version": "4.2.0" }),
        ),
        e(
            "Java 4.2: KIP-1258's client_credentials assertion (the assertion settings serve jwt-bearer only before 4.3)",
            "kafka-java",
            kip1258_java(&[("sasl.oauthbearer.assertion.claim.jti.include", "true")]),
            json!({ "kafka_version": [4, 2] }),
        ),
        e(
            "an unknown client",
            "librdkafka",
            json!({ "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc" }),
            json!({ "client": "kafka-net" }),
        ),
    ]
    .into_iter()
    .chain(kip1258_cases())
    .collect()
}

/// Spark Kafka options as `oauthbearer.spark.kafka_options` makes them (the classes after `shade`),
/// with two of Spark's own source options.
fn spark_options(shade: &str) -> Value {
    json!({
        "kafka.bootstrap.servers": "broker:9093",
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "OAUTHBEARER",
        "kafka.sasl.login.callback.handler.class": format!("{shade}org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"),
        "kafka.sasl.oauthbearer.token.endpoint.url": "http://127.0.0.1:14293/token",
        "kafka.sasl.login.retry.backoff.max.ms": "120000",
        "kafka.sasl.jaas.config": format!("{shade}org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"unused\" clientSecret=\"unused\";"),
        "subscribe": "events",
        "startingOffsets": "earliest",
    })
}

/// Clean KIP-1258 Kafka Java configurations (jti on) with one change each, and the key and template
/// contents explain is given: every registered algorithm spelled as registered (quiet; EdDSA is not
/// "EDDSA", issue 28), client_id against sub, a JWK's alg, and what the signer refuses, found
/// beforehand with the signer's own codes (issue 25).
/// A case of [`kip1258_cases`]: its name, the properties it changes, explain's context.
type Kip1258Case = (&'static str, Vec<(&'static str, &'static str)>, Value);

fn kip1258_cases() -> Vec<Value> {
    let cases: Vec<Kip1258Case> = vec![
        (
            "KIP-1258 RS256, as registered",
            vec![("sasl.oauthbearer.assertion.algorithm", "RS256")],
            json!({ "private_key": key_text("rsa2048.pkcs8.pem") }),
        ),
        (
            "KIP-1258 PS256, as registered",
            vec![("sasl.oauthbearer.assertion.algorithm", "PS256")],
            json!({ "private_key": key_text("rsa2048.pkcs8.pem") }),
        ),
        (
            "KIP-1258 ES256, as registered",
            vec![("sasl.oauthbearer.assertion.algorithm", "ES256")],
            json!({ "private_key": key_text("ec-p256.pkcs8.pem") }),
        ),
        (
            "KIP-1258 ES384, as registered",
            vec![("sasl.oauthbearer.assertion.algorithm", "ES384")],
            json!({ "private_key": key_text("ec-p384.pkcs8.pem") }),
        ),
        (
            "KIP-1258 EdDSA, as registered (RFC 8037's spelling)",
            vec![("sasl.oauthbearer.assertion.algorithm", "EdDSA")],
            json!({ "private_key": key_text("ed25519.pkcs8.pem") }),
        ),
        (
            "KIP-1258 EDDSA: not the registered spelling",
            vec![("sasl.oauthbearer.assertion.algorithm", "EDDSA")],
            json!({ "private_key": key_text("ed25519.pkcs8.pem") }),
        ),
        (
            "KIP-1258: client_id is not the assertion's sub",
            vec![("sasl.oauthbearer.client.credentials.client.id", "other-client")],
            json!({}),
        ),
        (
            "KIP-1258: the key is a JWK for RS256, the client signs PS256",
            vec![("sasl.oauthbearer.assertion.algorithm", "PS256")],
            json!({ "private_key": key_text("rsa2048.jwk.json").replacen('{', r#"{"alg":"RS256","#, 1) }),
        ),
        (
            "KIP-1258: an RSA key for ES256 (key_algorithm_mismatch)",
            vec![("sasl.oauthbearer.assertion.algorithm", "ES256")],
            json!({ "private_key": key_text("rsa2048.pkcs8.pem") }),
        ),
        (
            "KIP-1258: an EC key with no algorithm (Kafka's default RS256)",
            vec![],
            json!({ "private_key": key_text("ec-p256.pkcs8.pem") }),
        ),
        (
            "KIP-1258: a passphrase for a key that is not encrypted",
            vec![("sasl.oauthbearer.assertion.private.key.passphrase", "p")],
            json!({ "private_key": key_text("rsa2048.pkcs8.pem") }),
        ),
        (
            "KIP-1258: a wrong passphrase",
            vec![("sasl.oauthbearer.assertion.private.key.passphrase", "wrong")],
            json!({ "private_key": key_text("rsa2048.pbes2-pbkdf2-aes256.pem") }),
        ),
        (
            "KIP-1258: an encrypted key without its passphrase",
            vec![],
            json!({ "private_key": key_text("rsa2048.pbes2-pbkdf2-aes256.pem") }),
        ),
        (
            "KIP-1258: a template that sets exp",
            vec![("sasl.oauthbearer.assertion.template.file", "/etc/kafka/t.json")],
            json!({ "private_key": key_text("rsa2048.pkcs8.pem"), "assertion_template": r#"{"payload":{"exp":1}}"# }),
        ),
        (
            "KIP-1258: a flat template (claims not under payload)",
            vec![("sasl.oauthbearer.assertion.template.file", "/etc/kafka/t.json")],
            json!({ "private_key": key_text("rsa2048.pkcs8.pem"), "assertion_template": r#"{"iss":"c","scope":"kafka"}"# }),
        ),
        (
            "KIP-1258: the algorithm misspelled, an EC key left on RS256 (the typo is an error)",
            vec![("sasl.oauthbearer.assertion.algorithim", "ES256")],
            json!({ "private_key": key_text("ec-p256.pkcs8.pem") }),
        ),
    ];
    cases
        .into_iter()
        .map(|(name, extra, context)| {
            let extra: Vec<(&str, &str)> = extra.into_iter().chain([JTI_ON]).collect();
            case(
                name,
                "explain",
                json!({ "properties": kip1258_java(&extra), "dialect": "kafka-java", "context": context }),
            )
        })
        .collect()
}

/// `jti` on: the cases above are otherwise clean for IdPs enforcing RFC 7523.
const JTI_ON: (&str, &str) = ("sasl.oauthbearer.assertion.claim.jti.include", "true");

/// A clean KIP-1258 Kafka Java configuration, with `extra` properties added.
fn kip1258_java(extra: &[(&str, &str)]) -> Value {
    let mut props = json!({
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.login.callback.handler.class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
        "sasl.oauthbearer.assertion.private.key.file": "/etc/kafka/key.pem",
        "sasl.oauthbearer.assertion.claim.iss": "c",
        "sasl.oauthbearer.assertion.claim.sub": "c",
        "sasl.oauthbearer.assertion.claim.aud": "https://idp.example/token",
    });
    for (name, value) in extra {
        props[*name] = json!(value);
    }
    props
}

const T: u64 = 1_767_225_600_000;

fn want(now: u64) -> Value {
    json!({ "event": "want", "now_ms": now })
}

fn poll(now: u64) -> Value {
    json!({ "event": "poll", "now_ms": now })
}

fn got(fetch: u64, now: u64, expires_at_ms: u64, issued_at_ms: Option<u64>, jitter01: f64) -> Value {
    json!({ "event": "succeeded", "fetch": fetch, "now_ms": now, "expires_at_ms": expires_at_ms,
            "issued_at_ms": issued_at_ms, "jitter01": jitter01 })
}

fn failed(fetch: u64, now: u64, retryable: bool, retry_after: Option<&str>) -> Value {
    json!({ "event": "failed", "fetch": fetch, "now_ms": now, "retryable": retryable, "retry_after": retry_after,
            "random01": 0.0 })
}

fn lifecycle_cases() -> Vec<Value> {
    let java = json!({ "client": "kafka-java" });
    let rdk = json!({ "client": "librdkafka" });
    let l = |name: &str, policy: &Value, events: Vec<Value>| {
        case(name, "lifecycle", json!({ "policy": policy, "events": events }))
    };
    let hour = T + 3_600_000;
    vec![
        l(
            "single flight: one fetch, the others wait, then everyone is served from the cache",
            &java,
            vec![want(T), want(T + 1), want(T + 9_999), got(1, T + 50, hour, Some(T), 0.0), want(T + 51), poll(T + 52)],
        ),
        l(
            "Kafka Java: refresh inside the jittered window, served from the cache meanwhile",
            &java,
            vec![
                want(T),
                got(1, T, hour, Some(T), 0.5),
                poll(T + 1),
                want(T + 2_969_999),
                want(T + 2_970_000),
                want(T + 2_970_001),
                got(2, T + 2_970_500, T + 7_200_000, None, 0.0),
                want(T + 2_970_600),
            ],
        ),
        l(
            "librdkafka: refresh at 80 % of the remaining lifetime",
            &rdk,
            vec![want(T), got(1, T, T + 1_000_000, None, 0.9), poll(T + 1), want(T + 799_999), want(T + 800_000)],
        ),
        l(
            "a failed refresh keeps the cached token; Kafka's back-off 100, 200, 400 ms",
            &java,
            vec![
                want(T),
                got(1, T, T + 600_000, Some(T), 0.0),
                want(T + 480_000),
                failed(2, T + 480_000, true, None),
                want(T + 480_099),
                want(T + 480_100),
                failed(3, T + 480_100, true, None),
                poll(T + 480_101),
                want(T + 480_300),
                failed(4, T + 480_300, true, None),
                poll(T + 480_301),
            ],
        ),
        l(
            "librdkafka retries a failed refresh every 10 s",
            &rdk,
            vec![
                want(T),
                failed(1, T, true, None),
                want(T + 1),
                want(T + 10_000),
                failed(2, T + 10_000, true, None),
                poll(T + 10_001),
            ],
        ),
        l(
            "no token: callers get the failure until the back-off ends; not retryable waits 10 s",
            &java,
            vec![want(T), want(T + 1), failed(1, T + 5, false, None), want(T + 6), want(T + 10_004), want(T + 10_005)],
        ),
        l(
            "Retry-After in seconds is honoured, and capped at 10 minutes",
            &java,
            vec![
                want(T),
                failed(1, T, true, Some("30")),
                poll(T),
                want(T + 29_999),
                want(T + 30_000),
                failed(2, T + 30_000, true, Some("999999")),
                poll(T + 30_000),
            ],
        ),
        l(
            "Retry-After as an HTTP date",
            &java,
            vec![want(T), failed(1, T, true, Some("Thu, 01 Jan 2026 00:01:00 GMT")), poll(T)],
        ),
        l(
            "a hung fetch: waiters released at the deadline with fetch_timeout, its late answer used",
            &java,
            vec![
                want(T),
                want(T + 9_999),
                want(T + 10_000),
                want(T + 10_099),
                want(T + 10_100),
                got(1, T + 12_000, hour, None, 0.0),
                want(T + 12_001),
                got(2, T + 12_002, T + 3_000_000, None, 0.0),
                want(T + 12_003),
            ],
        ),
        l(
            "a hung refresh with a valid token: the cached token is served, the late failure ignored",
            &java,
            vec![
                want(T),
                got(1, T, T + 100_000, None, 0.0),
                want(T + 85_000),
                want(T + 94_999),
                want(T + 95_000),
                failed(2, T + 95_001, true, None),
                want(T + 95_100),
                want(T + 100_000),
            ],
        ),
        l(
            "a late answer older than the cache is ignored",
            &java,
            vec![
                want(T),
                want(T + 10_000),
                want(T + 10_100),
                got(2, T + 10_200, hour, None, 0.0),
                got(1, T + 11_000, T + 1_000_000, None, 0.0),
                want(T + 11_001),
            ],
        ),
        l(
            "an expired token arriving is a failure (token_expired), retried after 10 s",
            &java,
            vec![want(T), got(1, T + 10, T - 1, None, 0.0), want(T + 11), poll(T + 11)],
        ),
        l(
            "hung fetches are bounded: none starts while max_abandoned are out",
            &json!({ "client": "kafka-java", "max_abandoned": 1 }),
            vec![
                want(T),
                want(T + 10_000),
                want(T + 60_000),
                poll(T + 60_000),
                failed(1, T + 60_001, true, None),
                want(T + 60_002),
            ],
        ),
        l(
            "poll prefetches, then says when to wake",
            &java,
            vec![poll(T), poll(T + 1), got(1, T + 5, T + 1_000_000, None, 0.0), poll(T + 6), poll(T + 700_000)],
        ),
        l(
            "custom deadline and back-off",
            &json!({ "client": "librdkafka", "fetch_timeout_ms": 2_000, "retry_backoff_ms": [1_000, 4_000] }),
            vec![
                want(T),
                want(T + 1_999),
                want(T + 2_000),
                poll(T + 2_000),
                want(T + 3_000),
                failed(2, T + 3_000, true, None),
                poll(T + 3_000),
            ],
        ),
        l(
            "reports for unknown or settled fetches change nothing",
            &java,
            vec![
                want(T),
                got(7, T + 1, hour, None, 0.0),
                failed(7, T + 2, true, None),
                got(1, T + 3, hour, None, 0.0),
                got(1, T + 4, hour, None, 0.0),
                failed(1, T + 5, true, None),
                want(T + 6),
            ],
        ),
        l(
            "a back-off maximum below its start is refused",
            &json!({ "client": "kafka-java", "retry_backoff_ms": [200, 100] }),
            vec![],
        ),
        l("a zero fetch timeout is refused", &json!({ "client": "kafka-java", "fetch_timeout_ms": 0 }), vec![]),
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
    write("providers.json", "Google Managed Kafka tokens (three styles), Google principals, AWS MSK IAM tokens, Event Hubs scopes.", providers()),
    write("sasl.json", "SASL/OAUTHBEARER client-first messages (hex), server errors, Confluent extensions.", sasl_cases()),
    write("tokens.json", "Access-token checks as Kafka Java and librdkafka do them, refresh schedules, endpoint bodies.", token_cases()),
    write("issuer.json", "Local issuer: JWKS, discovery, access tokens; client authentication by assertion or secret.", issuer_cases()),
    write("explain.json", "Configuration traps found by explain: severity and code.", explain_cases()),
    write(
        "bad_inputs.json",
        "Bad inputs every front refuses with the same stable code; `secrets` lists what each case planted, which no error message, repr, Debug output or log line may hold.",
        bad_inputs::cases(),
    ),
    write(
        "lifecycle.json",
        "The token lifecycle machine: an event sequence and the decision or outcome of each event.",
        lifecycle_cases(),
    ),
    ];
    if std::env::args().any(|a| a == "--check") && results.contains(&false) {
        eprintln!("tests/vectors/ is out of date with the core: run `make vectors` and review the diff");
        std::process::exit(1);
    }
}
