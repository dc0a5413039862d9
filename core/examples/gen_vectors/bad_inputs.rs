//! `tests/vectors/bad_inputs.json`: one catalogue of inputs every front must refuse with the same
//! stable code — keys, properties, JAAS, templates, pre-built assertions, token responses, access
//! tokens, SASL messages, provider inputs, client authentication and the Envoy plugin's
//! configuration. Each case lists the secrets it planted (`secrets`): no error message, repr, Debug
//! output or log line of any front may hold one.

use serde_json::{json, Value};

use super::{vectors, JTI, NOW_MS, URL};

/// Planted secrets: every case that takes a secret gets one of these.
const KEY_BYTES: &str = "UExBTlRFRC1LRVktQllURVM"; // base64 of "PLANTED-KEY-BYTES"
const PASSPHRASE: &str = "PLANTED-PASSPHRASE-41";
const CLIENT_SECRET: &str = "PLANTED-CLIENT-SECRET-42";
const TOKEN_PART: &str = "UExBTlRFRC1UT0tFTi00Mw"; // base64url of "PLANTED-TOKEN-43"
const ACCESS_KEY: &str = "PLANTED-AWS-SECRET-44";
const GOOGLE_TOKEN: &str = "ya29.PLANTED-GOOGLE-45";

fn b64url(text: &str) -> String {
    oauthbearer::encoding::b64url(text.as_bytes())
}

std::thread_local! {
    static ACCEPTED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A case that must fail; [`cases`] panics, naming them all, when the core accepts any, so the
/// file only holds refusals.
fn bad(name: &str, op: &str, input: Value, secrets: &[&str]) -> Value {
    let output = vectors::run(op, &input);
    if output.get("error").is_none() {
        ACCEPTED.with(|a| a.borrow_mut().push(format!("{name}: {output}")));
    }
    json!({ "name": name, "op": op, "input": input, "output": output, "secrets": secrets })
}

/// A test key re-encoded with its PBES2 KDF cost changed (a hostile key file).
fn with_kdf_cost(key: &str, change: impl FnOnce(&mut pkcs5::pbes2::Kdf<'_>)) -> String {
    use pkcs8::der::{Decode, Encode};
    let (_, der) = pem_rfc7468::decode_vec(&std::fs::read(vectors::keys_dir().join(key)).unwrap()).unwrap();
    let mut info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der).unwrap();
    let pkcs5::EncryptionScheme::Pbes2(params) = &mut info.encryption_algorithm else { panic!("not PBES2") };
    change(&mut params.kdf);
    pem_rfc7468::encode_string("ENCRYPTED PRIVATE KEY", pem_rfc7468::LineEnding::LF, &info.to_der().unwrap()).unwrap()
}

fn keys() -> Vec<Value> {
    let k = |name: &str, text: &str, passphrase: Option<&str>, secrets: &[&str]| {
        let mut input = json!({ "key_text": text });
        if let Some(p) = passphrase {
            input["passphrase"] = p.into();
        }
        bad(&format!("key: {name}"), "parse_key", input, secrets)
    };
    let f = |name: &str, file: &str, passphrase: Option<&str>| {
        let mut input = json!({ "key_file": file });
        if let Some(p) = passphrase {
            input["passphrase"] = p.into();
        }
        let secrets: Vec<&str> = passphrase.into_iter().collect();
        bad(&format!("key: {name}"), "parse_key", input, &secrets)
    };
    let pem = |label: &str, body: &str| format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
    let ec_jwk = |extra: Value| {
        let mut jwk = json!({ "kty": "EC", "crv": "P-256", "x": KEY_BYTES, "y": KEY_BYTES, "d": KEY_BYTES });
        for (key, value) in extra.as_object().unwrap() {
            if value.is_null() {
                jwk.as_object_mut().unwrap().remove(key);
            } else {
                jwk[key] = value.clone();
            }
        }
        jwk.to_string()
    };
    vec![
        k("empty", "", None, &[]),
        k("whitespace", " \n\t ", None, &[]),
        k("plain text", "PLANTED-KEY-BYTES is not a key", None, &["PLANTED-KEY-BYTES"]),
        k("PEM with a bad base64 body", &pem("PRIVATE KEY", &format!("{KEY_BYTES}!!")), None, &[KEY_BYTES]),
        k("PEM body that is not DER", &pem("PRIVATE KEY", &format!("{KEY_BYTES}{KEY_BYTES}")), None, &[KEY_BYTES]),
        k("PEM without an end line", &format!("-----BEGIN PRIVATE KEY-----\n{KEY_BYTES}\n"), None, &[KEY_BYTES]),
        k("PEM with an unknown label", &pem("SECRET THING", KEY_BYTES), None, &[KEY_BYTES]),
        k("RSA PEM label with EC bytes", &pem("RSA PRIVATE KEY", KEY_BYTES), None, &[KEY_BYTES]),
        k("EC PEM label with garbage", &pem("EC PRIVATE KEY", KEY_BYTES), None, &[KEY_BYTES]),
        k(
            "encrypted PEM label with garbage",
            &pem("ENCRYPTED PRIVATE KEY", KEY_BYTES),
            Some(PASSPHRASE),
            &[KEY_BYTES, PASSPHRASE],
        ),
        k("a public key", include_str!("../../../tests/keys/ec-p256.pub.pem"), None, &[]),
        k("a certificate", include_str!("../../../tests/keys/ec-p256.cert.pem"), None, &[]),
        k("JSON that is not an object", "[1, 2, 3]", None, &[]),
        k("JWK: not JSON", "{\"kty\": \"EC\", ", None, &[]),
        k("JWK: no kty", &ec_jwk(json!({ "kty": null })), None, &[KEY_BYTES]),
        k("JWK: unknown kty", &ec_jwk(json!({ "kty": "XYZ" })), None, &[KEY_BYTES]),
        k("JWK: symmetric oct key", &json!({ "kty": "oct", "k": KEY_BYTES }).to_string(), None, &[KEY_BYTES]),
        k("JWK: public only", &ec_jwk(json!({ "d": null })), None, &[KEY_BYTES]),
        k("JWK: unknown curve", &ec_jwk(json!({ "crv": "P-999" })), None, &[KEY_BYTES]),
        k("JWK: d not base64url", &ec_jwk(json!({ "d": "***" })), None, &[KEY_BYTES]),
        k("JWK: d of the wrong length", &ec_jwk(json!({})), None, &[KEY_BYTES]),
        k(
            "JWK: numeric members",
            &json!({ "kty": "EC", "crv": "P-256", "x": 1, "y": 2, "d": 3 }).to_string(),
            None,
            &[],
        ),
        k(
            "JWK: RSA without primes",
            &json!({ "kty": "RSA", "n": KEY_BYTES, "e": "AQAB", "d": KEY_BYTES }).to_string(),
            None,
            &[KEY_BYTES],
        ),
        k(
            "JWK: OKP with an unknown curve",
            &json!({ "kty": "OKP", "crv": "X448", "x": KEY_BYTES, "d": KEY_BYTES }).to_string(),
            None,
            &[KEY_BYTES],
        ),
        k("JWK: a passphrase for a JWK", &ec_jwk(json!({})), Some(PASSPHRASE), &[KEY_BYTES, PASSPHRASE]),
        f("encrypted key without a passphrase", "rsa2048.pbes2-pbkdf2-aes256.pem", None),
        f("encrypted key, wrong passphrase", "rsa2048.pbes2-pbkdf2-aes256.pem", Some(PASSPHRASE)),
        f("scrypt-encrypted key, wrong passphrase", "rsa2048.pbes2-scrypt.pem", Some(PASSPHRASE)),
        f("PBES1 key, wrong passphrase", "rsa2048.pbes1-sha1-des.pem", Some(PASSPHRASE)),
        f("PKCS#12 PBE key, wrong passphrase", "rsa2048.pkcs12-sha1-3des.pem", Some(PASSPHRASE)),
        f("legacy encrypted PKCS#1, wrong passphrase", "rsa2048.pkcs1-legacy-encrypted.pem", Some(PASSPHRASE)),
        f("a passphrase for a plain key", "ec-p256.pkcs8.pem", Some(PASSPHRASE)),
        f("RSA 1024 is too weak", "rsa1024.pkcs8.pem", None),
        k(
            "scrypt asking for terabytes (N = 2^32)",
            &with_kdf_cost("rsa2048.pbes2-scrypt.pem", |kdf| {
                if let pkcs5::pbes2::Kdf::Scrypt(p) = kdf {
                    p.cost_parameter = 1 << 32;
                }
            }),
            Some(PASSPHRASE),
            &[PASSPHRASE],
        ),
        k(
            "PBKDF2 asking for 100 M iterations",
            &with_kdf_cost("rsa2048.pbes2-pbkdf2-aes256.pem", |kdf| {
                if let pkcs5::pbes2::Kdf::Pbkdf2(p) = kdf {
                    p.iteration_count = 100_000_000;
                }
            }),
            Some(PASSPHRASE),
            &[PASSPHRASE],
        ),
        f("secp256k1 is not supported", "ec-secp256k1.pkcs8.pem", None),
    ]
}

fn configs() -> Vec<Value> {
    let c = |name: &str, dialect: &str, props: Value, secrets: &[&str]| {
        bad(
            &format!("config: {name}"),
            "config",
            json!({ "dialect": dialect, "mode": "strict", "properties": props }),
            secrets,
        )
    };
    let url = "sasl.oauthbearer.token.endpoint.url";
    let iss = "sasl.oauthbearer.assertion.claim.iss";
    let key = "sasl.oauthbearer.assertion.private.key.file";
    let secret = "sasl.oauthbearer.client.credentials.client.secret";
    let jaas =
        |body: &str| format!("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required {body}");
    vec![
        c(
            "unknown algorithm",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.algorithm": "HS256" }),
            &[],
        ),
        c(
            "algorithm none",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.algorithm": "none" }),
            &[],
        ),
        c(
            "ftp token endpoint",
            "kafka-java",
            json!({ url: "ftp://idp/token", secret: CLIENT_SECRET }),
            &[CLIENT_SECRET],
        ),
        c(
            "token endpoint without a scheme",
            "kafka-java",
            json!({ url: "idp.example/token", secret: CLIENT_SECRET }),
            &[CLIENT_SECRET],
        ),
        c(
            "exp seconds not a number",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.claim.exp.seconds": "soon" }),
            &[],
        ),
        c(
            "exp seconds above Kafka's range",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.claim.exp.seconds": "86401" }),
            &[],
        ),
        c(
            "nbf seconds negative",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.claim.nbf.seconds": "-1" }),
            &[],
        ),
        c(
            "jti include not a boolean",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.claim.jti.include": "yes" }),
            &[],
        ),
        c(
            "header urlencode not a boolean",
            "kafka-java",
            json!({ url: URL, secret: CLIENT_SECRET, "sasl.oauthbearer.header.urlencode": "1" }),
            &[CLIENT_SECRET],
        ),
        c(
            "retry backoff not a number",
            "kafka-java",
            json!({ url: URL, secret: CLIENT_SECRET, "sasl.login.retry.backoff.ms": "fast" }),
            &[CLIENT_SECRET],
        ),
        c(
            "refresh window factor out of range",
            "kafka-java",
            json!({ url: URL, secret: CLIENT_SECRET, "sasl.login.refresh.window.factor": "2.0" }),
            &[CLIENT_SECRET],
        ),
        c(
            "refresh buffer out of range",
            "kafka-java",
            json!({ url: URL, secret: CLIENT_SECRET, "sasl.login.refresh.buffer.seconds": "99999" }),
            &[CLIENT_SECRET],
        ),
        c(
            "key file without claim.iss",
            "kafka-java",
            json!({ url: URL, key: "/k.pem", secret: CLIENT_SECRET }),
            &[CLIENT_SECRET],
        ),
        c(
            "assertion file and claim.iss",
            "kafka-java",
            json!({ url: URL, "sasl.oauthbearer.assertion.file": "/a.jwt", iss: "c" }),
            &[],
        ),
        c(
            "librdkafka template name on Java",
            "kafka-java",
            json!({ url: URL, iss: "c", key: "/k", "sasl.oauthbearer.assertion.jwt.template.file": "/t.json" }),
            &[],
        ),
        c("JAAS without a login module", "kafka-java", json!({ url: URL, "sasl.jaas.config": "required;" }), &[]),
        c(
            "JAAS with an unterminated quote",
            "kafka-java",
            json!({ url: URL, "sasl.jaas.config": jaas(&format!("clientSecret=\"{CLIENT_SECRET};")) }),
            &[CLIENT_SECRET],
        ),
        c(
            "JAAS without the final semicolon",
            "kafka-java",
            json!({ url: URL, "sasl.jaas.config": jaas(&format!("clientId=\"a\" clientSecret=\"{CLIENT_SECRET}\"")) }),
            &[CLIENT_SECRET],
        ),
        c(
            "JAAS with a bad control flag",
            "kafka-java",
            json!({ url: URL, "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule sometimes;" }),
            &[],
        ),
        c(
            "FileJwtRetriever without a file URL",
            "kafka-java",
            json!({ url: URL, "sasl.oauthbearer.jwt.retriever.class": "org.apache.kafka.common.security.oauthbearer.FileJwtRetriever" }),
            &[],
        ),
        c("librdkafka: unknown method", "librdkafka", json!({ "sasl.oauthbearer.method": "magic", url: URL }), &[]),
        c(
            "librdkafka: oidc without a token endpoint",
            "librdkafka",
            json!({ "sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.client.id": "c", "sasl.oauthbearer.client.secret": CLIENT_SECRET }),
            &[CLIENT_SECRET],
        ),
        c(
            "librdkafka: unknown grant type",
            "librdkafka",
            json!({ "sasl.oauthbearer.method": "oidc", url: URL, "sasl.oauthbearer.grant.type": "password" }),
            &[],
        ),
        c(
            "librdkafka: assertion exp not a number",
            "librdkafka",
            json!({ "sasl.oauthbearer.method": "oidc", url: URL, "sasl.oauthbearer.client.credentials.client.assertion.private.key.file": "/k", "sasl.oauthbearer.assertion.claim.exp.seconds": "x" }),
            &[],
        ),
        c(
            "librdkafka: key file and inline key",
            "librdkafka",
            json!({ "sasl.oauthbearer.method": "oidc", url: URL, "sasl.oauthbearer.assertion.private.key.file": "/k", "sasl.oauthbearer.assertion.private.key.pem": KEY_BYTES }),
            &[KEY_BYTES],
        ),
    ]
}

fn responses() -> Vec<Value> {
    let r = |name: &str, status: u16, content_type: Option<&str>, body: &str, dialect: &str, secrets: &[&str]| {
        bad(
            &format!("token response: {name}"),
            "token_response",
            json!({ "status": status, "content_type": content_type, "body": body, "dialect": dialect }),
            secrets,
        )
    };
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.{TOKEN_PART}");
    let json = Some("application/json");
    vec![
        r(
            "400 invalid_client",
            400,
            json,
            r#"{"error":"invalid_client","error_description":"bad"}"#,
            "kafka-java",
            &[],
        ),
        r(
            "401 with the token echoed",
            401,
            json,
            &format!(r#"{{"error":"invalid_client","access_token":"{jwt}"}}"#),
            "kafka-java",
            &[TOKEN_PART],
        ),
        r("500 HTML", 500, Some("text/html"), "<html>oops</html>", "kafka-java", &[]),
        r("503 empty", 503, None, "", "kafka-java", &[]),
        r("429", 429, json, r#"{"error":"slow_down"}"#, "kafka-java", &[]),
        r(
            "Okta error",
            403,
            json,
            r#"{"errorCode":"E0000011","errorSummary":"Invalid token provided"}"#,
            "kafka-java",
            &[],
        ),
        r("200 empty body", 200, json, "", "kafka-java", &[]),
        r("200 not JSON", 200, json, "not json", "kafka-java", &[]),
        r("200 JSON array", 200, json, "[1]", "kafka-java", &[]),
        r("200 without a token", 200, json, r#"{"token_type":"Bearer"}"#, "kafka-java", &[]),
        r("200 blank token", 200, json, r#"{"access_token":"   "}"#, "kafka-java", &[]),
        r("200 numeric token", 200, json, r#"{"access_token":12}"#, "kafka-java", &[]),
        r(
            "202 is not success for Java",
            202,
            json,
            &format!(r#"{{"access_token":"{jwt}"}}"#),
            "kafka-java",
            &[TOKEN_PART],
        ),
        r("librdkafka: 400", 400, json, r#"{"error":"invalid_grant"}"#, "librdkafka", &[]),
        r(
            "librdkafka: not JSON content",
            200,
            Some("text/plain"),
            &format!(r#"{{"access_token":"{jwt}"}}"#),
            "librdkafka",
            &[TOKEN_PART],
        ),
        r(
            "librdkafka: no content type",
            200,
            None,
            &format!(r#"{{"access_token":"{jwt}"}}"#),
            "librdkafka",
            &[TOKEN_PART],
        ),
        r("librdkafka: without a token", 200, json, r#"{"expires_in":3600}"#, "librdkafka", &[]),
        r("truncated JSON", 200, json, &format!(r#"{{"access_token":"{jwt}"#), "kafka-java", &[TOKEN_PART]),
        // IdPs that echo what the client sent (issue 25): with the client's properties, every
        // secret they hold is removed by value, whatever its shape.
        echoed(
            "the decoded Basic credentials echoed",
            &format!(r#"{{"error":"invalid_client","error_description":"bad credentials my-client:{CLIENT_SECRET}"}}"#),
            json!({ "sasl.oauthbearer.client.credentials.client.secret": CLIENT_SECRET }),
        ),
        // Short, so that no token-shaped run hides it: only the by-value removal of its
        // form-encoded spelling (as the request body had it) does.
        echoed(
            "the form-encoded secret echoed",
            r#"{"error":"invalid_request","error_description":"client_secret=PLANTED%2641 is not accepted"}"#,
            json!({ "sasl.oauthbearer.client.credentials.client.secret": "PLANTED&41" }),
        ),
        echoed(
            "the key passphrase echoed",
            &format!(r#"{{"error":"invalid_client","error_description":"cannot use {PASSPHRASE} here"}}"#),
            json!({
                "sasl.oauthbearer.assertion.private.key.file": "/etc/kafka/client.key",
                "sasl.oauthbearer.assertion.private.key.passphrase": PASSPHRASE,
                "sasl.oauthbearer.assertion.claim.iss": "my-client",
            }),
        ),
    ]
}

/// A 401 whose description echoes a secret the client's `properties` hold.
fn echoed(name: &str, body: &str, properties: Value) -> Value {
    let mut props = json!({
        "sasl.oauthbearer.token.endpoint.url": URL,
        "sasl.oauthbearer.client.credentials.client.id": "my-client",
    });
    for (k, v) in properties.as_object().unwrap() {
        props[k] = v.clone();
    }
    let secrets: Vec<&str> =
        [CLIENT_SECRET, PASSPHRASE, "PLANTED%2641"].into_iter().filter(|s| body.contains(s)).collect();
    bad(
        &format!("token response: {name}"),
        "token_response",
        json!({ "status": 401, "content_type": "application/json", "body": body, "dialect": "kafka-java", "properties": props }),
        &secrets,
    )
}

fn tokens() -> Vec<Value> {
    let t = |name: &str, token: &str, dialect: &str, extra: Value, secrets: &[&str]| {
        let mut input = json!({ "token": token, "dialect": dialect });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        bad(&format!("access token: {name}"), "check_token", input, secrets)
    };
    let jws =
        |payload: Value| format!("{}.{}.{TOKEN_PART}", b64url(r#"{"alg":"RS256"}"#), b64url(&payload.to_string()));
    let exp = 1_767_229_200;
    let mut out = Vec::new();
    for dialect in ["kafka-java", "librdkafka"] {
        out.extend([
            t("empty", "", dialect, json!({}), &[]),
            t("one part", TOKEN_PART, dialect, json!({}), &[TOKEN_PART]),
            t("two parts", &format!("a.{TOKEN_PART}"), dialect, json!({}), &[TOKEN_PART]),
            t("four parts", &format!("a.b.c.{TOKEN_PART}"), dialect, json!({}), &[TOKEN_PART]),
            t("payload not base64url", &format!("a.***.{TOKEN_PART}"), dialect, json!({}), &[TOKEN_PART]),
            t("payload not JSON", &format!("a.{}.{TOKEN_PART}", b64url("nope")), dialect, json!({}), &[TOKEN_PART]),
            t("payload a JSON array", &format!("a.{}.{TOKEN_PART}", b64url("[1]")), dialect, json!({}), &[TOKEN_PART]),
            t("no sub", &jws(json!({ "exp": exp })), dialect, json!({}), &[TOKEN_PART]),
            t("no exp", &jws(json!({ "sub": "a" })), dialect, json!({}), &[TOKEN_PART]),
            t(
                "expired",
                &jws(json!({ "sub": "a", "exp": 1_700_000_000 })),
                dialect,
                json!({ "now_ms": NOW_MS }),
                &[TOKEN_PART],
            ),
        ]);
    }
    out.extend([
        t("Java: string exp", &jws(json!({ "sub": "a", "exp": "soon" })), "kafka-java", json!({}), &[TOKEN_PART]),
        t("Java: numeric sub", &jws(json!({ "sub": 7, "exp": exp })), "kafka-java", json!({}), &[TOKEN_PART]),
        t("Java: blank sub", &jws(json!({ "sub": "  ", "exp": exp })), "kafka-java", json!({}), &[TOKEN_PART]),
        t(
            "Java: custom sub claim missing",
            &jws(json!({ "sub": "a", "exp": exp })),
            "kafka-java",
            json!({ "sub_claim": "client_id" }),
            &[TOKEN_PART],
        ),
        t(
            "Java: blank scope",
            &jws(json!({ "sub": "a", "exp": exp, "scope": ["a", " "] })),
            "kafka-java",
            json!({}),
            &[TOKEN_PART],
        ),
    ]);
    out
}

fn assertions_and_files() -> Vec<Value> {
    let p = |name: &str, contents: &str, secrets: &[&str]| {
        bad(
            &format!("pre-built assertion: {name}"),
            "prebuilt_assertion",
            json!({ "contents": contents, "now_ms": NOW_MS, "margin_seconds": 30, "mode": "strict" }),
            secrets,
        )
    };
    let header = b64url(r#"{"alg":"ES256","typ":"JWT"}"#);
    let j = |name: &str, text: &str, secrets: &[&str]| {
        bad(&format!("jaas: {name}"), "jaas", json!({ "text": text }), secrets)
    };
    let tpl = |name: &str, text: &str, dialect: &str| {
        bad(&format!("template: {name}"), "template", json!({ "text": text, "dialect": dialect }), &[])
    };
    let module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
    vec![
        p("empty", "", &[]),
        p("two parts", &format!("{header}.{TOKEN_PART}"), &[TOKEN_PART]),
        p("payload not base64url", &format!("{header}.%%%.{TOKEN_PART}"), &[TOKEN_PART]),
        p("header not JSON", &format!("{}.{}.{TOKEN_PART}", b64url("x"), b64url("{}")), &[TOKEN_PART]),
        p("no exp (strict)", &format!("{header}.{}.{TOKEN_PART}", b64url(r#"{"iss":"a"}"#)), &[TOKEN_PART]),
        p("expired", &format!("{header}.{}.{TOKEN_PART}", b64url(r#"{"exp":1700000000}"#)), &[TOKEN_PART]),
        p(
            "expires within the margin",
            &format!("{header}.{}.{TOKEN_PART}", b64url(&format!(r#"{{"exp":{}}}"#, NOW_MS / 1000 + 10))),
            &[TOKEN_PART],
        ),
        p("string exp", &format!("{header}.{}.{TOKEN_PART}", b64url(r#"{"exp":"later"}"#)), &[TOKEN_PART]),
        j("empty", "", &[]),
        j("no control flag", &format!("{module};"), &[]),
        j("unknown control flag", &format!("{module} maybe;"), &[]),
        j("no semicolon", &format!("{module} required"), &[]),
        j("unterminated quote", &format!("{module} required clientSecret=\"{CLIENT_SECRET};"), &[CLIENT_SECRET]),
        j("option without a value", &format!("{module} required clientSecret=;"), &[]),
        j("two entries", &format!("{module} required; {module} required;"), &[]),
        tpl("not JSON", "{", "kafka-java"),
        tpl("an array", "[]", "kafka-java"),
        tpl("header not an object", r#"{"header":1,"payload":{}}"#, "kafka-java"),
        tpl("payload not an object", r#"{"header":{},"payload":"x"}"#, "kafka-java"),
        tpl("librdkafka: header not an object", r#"{"header":[],"payload":{}}"#, "librdkafka"),
    ]
}

fn providers_and_sasl() -> Vec<Value> {
    let g = |name: &str, access: &str, principal: &str, style: &str, secrets: &[&str]| {
        bad(
            &format!("google token: {name}"),
            "google_token",
            json!({ "access_token": access, "expires_at_ms": NOW_MS + 3_600_000, "principal": principal, "now_ms": NOW_MS, "style": style }),
            secrets,
        )
    };
    let gp = |name: &str, credentials: &str| {
        bad(&format!("google principal: {name}"), "google_principal", json!({ "credentials_json": credentials }), &[])
    };
    let m = |name: &str, extra: Value| {
        let mut input = json!({
            "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": ACCESS_KEY, "region": "eu-west-1", "now_ms": NOW_MS,
        });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        bad(&format!("msk token: {name}"), "msk_token", input, &[ACCESS_KEY])
    };
    let sf = |name: &str, extensions: Value, authzid: Option<&str>| {
        bad(
            &format!("sasl client first: {name}"),
            "sasl_client_first",
            json!({ "token": format!("a.b.{TOKEN_PART}"), "authzid": authzid, "extensions": extensions }),
            &[TOKEN_PART],
        )
    };
    let se = |name: &str, text: &str| {
        bad(&format!("sasl server error: {name}"), "sasl_server_error", json!({ "text": text }), &[])
    };
    let eh = |name: &str, bootstrap: &str, scope: Option<&str>| {
        bad(
            &format!("event hubs scope: {name}"),
            "eventhubs_scope",
            json!({ "bootstrap_servers": bootstrap, "scope": scope }),
            &[],
        )
    };
    let sa = "kafka@proj.iam.gserviceaccount.com";
    vec![
        g("empty access token", "", sa, "google-java", &[]),
        g("empty principal", GOOGLE_TOKEN, "", "google-java", &[GOOGLE_TOKEN]),
        g("principal not an email", GOOGLE_TOKEN, "kafka", "google-python", &[GOOGLE_TOKEN]),
        g("workload identity principal", GOOGLE_TOKEN, "proj.svc.id.goog", "kafka-auth-handler", &[GOOGLE_TOKEN]),
        g("unknown style", GOOGLE_TOKEN, sa, "google-go", &[GOOGLE_TOKEN]),
        gp("not JSON", "{"),
        gp("an array", "[]"),
        gp("unknown type", r#"{"type":"magic"}"#),
        gp("service account without client_email", r#"{"type":"service_account"}"#),
        m("unknown region", json!({ "region": "mars-1" })),
        m("empty region", json!({ "region": "" })),
        m("empty access key id", json!({ "access_key_id": "" })),
        m("credentials already expired", json!({ "credentials_expire_at_ms": NOW_MS - 1 })),
        m("credentials expire within the floor", json!({ "credentials_expire_at_ms": NOW_MS + 30_000 })),
        m("unknown query order", json!({ "order": "random" })),
        m("China region with the commercial domain", json!({ "region": "cn-north-1", "domain": "amazonaws.com" })),
        eh(
            "the AMQP clients' scope",
            "contoso.servicebus.windows.net:9093",
            Some("https://eventhubs.azure.net/.default"),
        ),
        eh(
            "scope without /.default",
            "contoso.servicebus.windows.net:9093",
            Some("https://contoso.servicebus.windows.net"),
        ),
        eh(
            "another namespace's scope",
            "contoso.servicebus.windows.net:9093",
            Some("https://fabrikam.servicebus.windows.net/.default"),
        ),
        eh("not an Event Hubs namespace", "broker.internal:9092", None),
        eh("namespace name too short", "abc.servicebus.windows.net:9093", None),
        sf("extension name with a digit first", json!([["1bad", "v"]]), None),
        sf("extension named auth", json!([["auth", "v"]]), None),
        sf("extension value with a control character", json!([["ok", "a\u{1}b"]]), None),
        sf("extension name with a space", json!([["a b", "v"]]), None),
        sf("empty extension name", json!([["", "v"]]), None),
        se("not JSON", "oops"),
        se("JSON array", "[]"),
        se("no status", r#"{"scope":"kafka"}"#),
        bad(
            "confluent extensions: empty logical cluster",
            "confluent_extensions",
            json!({ "logical_cluster": "" }),
            &[],
        ),
        bad(
            "confluent extensions: control character",
            "confluent_extensions",
            json!({ "logical_cluster": "lkc-\u{2}" }),
            &[],
        ),
    ]
}

fn client_auth() -> Vec<Value> {
    let token_url = "https://issuer.example/token";
    let clients = json!([{ "client_id": "secret-client", "secret": CLIENT_SECRET }]);
    let v = |name: &str, body: &str, authorization: Option<&str>, secrets: &[&str]| {
        bad(
            &format!("client authentication: {name}"),
            "verify_client_assertion",
            json!({ "body": body, "authorization": authorization, "clients": clients, "audiences": [token_url], "now_ms": NOW_MS }),
            secrets,
        )
    };
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{id}:{secret}"))
        )
    };
    let wrong = "PLANTED-WRONG-SECRET-46";
    let assertion = format!("{}.{}.{TOKEN_PART}", b64url(r#"{"alg":"RS256"}"#), b64url(r#"{"iss":"x","sub":"x"}"#));
    vec![
        v("wrong secret (Basic)", "grant_type=client_credentials", Some(&basic("secret-client", wrong)), &[wrong, CLIENT_SECRET]),
        v("wrong secret (post)", &format!("grant_type=client_credentials&client_id=secret-client&client_secret={wrong}"), None, &[wrong, CLIENT_SECRET]),
        v("unknown client", "grant_type=client_credentials", Some(&basic("nobody", wrong)), &[wrong]),
        v("no credentials", "grant_type=client_credentials", None, &[]),
        v("wrong grant type", "grant_type=password&username=a", Some(&basic("secret-client", CLIENT_SECRET)), &[CLIENT_SECRET]),
        v("Basic not base64", "grant_type=client_credentials", Some("Basic ***"), &[]),
        v("Basic without a colon", "grant_type=client_credentials", Some(&format!("Basic {}", b64url("nocolon"))), &[]),
        v("credentials twice", &format!("grant_type=client_credentials&client_id=secret-client&client_secret={CLIENT_SECRET}"), Some(&basic("secret-client", CLIENT_SECRET)), &[CLIENT_SECRET]),
        v("assertion of an unknown client", &format!("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"), None, &[TOKEN_PART]),
        v("assertion with the wrong type", &format!("grant_type=client_credentials&client_assertion_type=bearer&client_assertion={assertion}"), None, &[TOKEN_PART]),
        v("assertion that is not a JWS", "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=abc", None, &[]),
    ]
}

fn signing() -> Vec<Value> {
    let s = |name: &str, props: Value, template: Option<&str>, key: &str| {
        let mut input = json!({ "properties": props, "key_file": key, "now_ms": NOW_MS, "jti": JTI });
        if let Some(t) = template {
            input["template"] = t.into();
        }
        bad(&format!("sign assertion: {name}"), "sign_assertion", input, &[])
    };
    let c = |name: &str, props: Value, key: &str, extra: Value| {
        let mut input = json!({ "properties": props, "key_file": key, "now_ms": NOW_MS, "jti": JTI });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        bad(&format!("sign assertion: {name}"), "sign_assertion", input, &[])
    };
    let base = |alg: &str| {
        json!({
            "sasl.oauthbearer.token.endpoint.url": URL, "sasl.oauthbearer.assertion.algorithm": alg,
            "sasl.oauthbearer.assertion.private.key.file": "/k", "sasl.oauthbearer.assertion.claim.iss": "c",
            "sasl.oauthbearer.assertion.claim.sub": "c", "sasl.oauthbearer.assertion.claim.aud": URL,
        })
    };
    vec![
        s("EC key for RS256", base("RS256"), None, "ec-p256.pkcs8.pem"),
        s("RSA key for ES256", base("ES256"), None, "rsa2048.pkcs8.pem"),
        s("P-384 key for ES256", base("ES256"), None, "ec-p384.pkcs8.pem"),
        s("Ed25519 key for ES384", base("ES384"), None, "ed25519.pkcs8.pem"),
        s("template overrides jti", base("ES256"), Some(r#"{"header":{},"payload":{"jti":"x"}}"#), "ec-p256.pkcs8.pem"),
        s(
            "template overrides alg",
            base("ES256"),
            Some(r#"{"header":{"alg":"none"},"payload":{}}"#),
            "ec-p256.pkcs8.pem",
        ),
        s("template overrides exp", base("ES256"), Some(r#"{"header":{},"payload":{"exp":1}}"#), "ec-p256.pkcs8.pem"),
        s("encrypted key without the passphrase", base("RS256"), None, "rsa2048.pbes2-pbkdf2-aes256.pem"),
        c(
            "certificate of another key",
            base("RS256"),
            "rsa2048.pkcs8.pem",
            json!({ "certificate_file": "ec-p256.cert.pem" }),
        ),
        c(
            "certificate that is a key",
            base("RS256"),
            "rsa2048.pkcs8.pem",
            json!({ "certificate_file": "rsa2048.pkcs8.pem" }),
        ),
        c(
            "unknown thumbprint header",
            base("RS256"),
            "rsa2048.pkcs8.pem",
            json!({ "certificate_file": "rsa2048.cert.pem", "thumbprint_header": "x5c" }),
        ),
        c(
            "thumbprint header without a certificate",
            base("RS256"),
            "rsa2048.pkcs8.pem",
            json!({ "thumbprint_header": "x5t" }),
        ),
    ]
}

fn sidecar_configs() -> Vec<Value> {
    let key = include_str!("../../../tests/keys/ec-p256.pkcs8.pem");
    let props = json!({
        "sasl.oauthbearer.token.endpoint.url": "http://idp.internal/token", "sasl.oauthbearer.assertion.algorithm": "ES256",
        "sasl.oauthbearer.assertion.claim.iss": "c", "sasl.oauthbearer.assertion.claim.sub": "c",
        "sasl.oauthbearer.assertion.claim.aud": "http://idp.internal/token",
    });
    let p = |name: &str, config: Value, env: Value, secrets: &[&str]| {
        bad(
            &format!("envoy plugin: {name}"),
            "sidecar_config",
            json!({ "config": config.to_string(), "env": env }),
            secrets,
        )
    };
    let with = |changes: Value| {
        let mut config = json!({ "cluster": "idp", "private_key_env": "KEY", "properties": props });
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                config.as_object_mut().unwrap().remove(k);
            } else if k == "properties" {
                for (pk, pv) in v.as_object().unwrap() {
                    config["properties"][pk] = pv.clone();
                }
            } else {
                config[k] = v.clone();
            }
        }
        config
    };
    let env = json!({ "KEY": key, "SECRET": CLIENT_SECRET });
    let bad_key = format!("-----BEGIN PRIVATE KEY-----\n{KEY_BYTES}\n-----END PRIVATE KEY-----");
    let mut out = vec![
        bad("envoy plugin: not JSON", "sidecar_config", json!({ "config": "{", "env": {} }), &[]),
        bad("envoy plugin: a JSON array", "sidecar_config", json!({ "config": "[]", "env": {} }), &[]),
        bad(
            "envoy plugin: a member of the wrong type",
            "sidecar_config",
            json!({ "config": format!(r#"{{"cluster":"idp","fetch_timeout_ms":"{CLIENT_SECRET}","properties":{{}}}}"#), "env": {} }),
            &[CLIENT_SECRET],
        ),
    ];
    out.extend([
        p("no cluster", with(json!({ "cluster": null })), env.clone(), &[]),
        p("blank cluster", with(json!({ "cluster": " " })), env.clone(), &[]),
        p("unknown member", with(json!({ "clustre": "idp" })), env.clone(), &[]),
        p("unknown mode", with(json!({ "mode": "proxy" })), env.clone(), &[]),
        p("unknown source", with(json!({ "source": "aws" })), env.clone(), &[]),
        p("unknown dialect", with(json!({ "dialect": "jvm" })), env.clone(), &[]),
        p("zero fetch timeout", with(json!({ "fetch_timeout_ms": 0 })), env.clone(), &[]),
        p("token path in inject mode", with(json!({ "token_path": "/token" })), env.clone(), &[]),
        p("relative token path", with(json!({ "mode": "endpoint", "token_path": "token" })), env.clone(), &[]),
        p("unknown response style", with(json!({ "mode": "endpoint", "response_style": "xml" })), env.clone(), &[]),
        p("key variable not set", with(json!({})), json!({}), &[]),
        p("key inline and from the environment", with(json!({ "private_key": key })), env.clone(), &[]),
        p("invalid inline key", with(json!({ "private_key_env": null, "private_key": bad_key })), json!({}), &[KEY_BYTES]),
        p("key of another algorithm", with(json!({ "properties": { "sasl.oauthbearer.assertion.algorithm": "RS256" } })), env.clone(), &[]),
        p("unknown algorithm", with(json!({ "properties": { "sasl.oauthbearer.assertion.algorithm": "HS256" } })), env.clone(), &[]),
        p("bad Kafka property", with(json!({ "properties": { "sasl.login.retry.backoff.ms": "soon" } })), env.clone(), &[]),
        p("no properties", with(json!({ "properties": null })), env.clone(), &[]),
        p("no token endpoint", json!({ "cluster": "idp", "client_secret_env": "SECRET", "properties": { "sasl.oauthbearer.client.credentials.client.id": "c" } }), env.clone(), &[CLIENT_SECRET]),
        p("file token endpoint", json!({ "cluster": "idp", "properties": { "sasl.oauthbearer.token.endpoint.url": "file:/run/token" } }), env.clone(), &[]),
        p("assertion file", json!({ "cluster": "idp", "properties": { "sasl.oauthbearer.token.endpoint.url": "http://idp/t", "sasl.oauthbearer.assertion.file": "/a.jwt" } }), env.clone(), &[]),
        p("client secret variable not set", json!({ "cluster": "idp", "client_secret_env": "NOPE", "properties": { "sasl.oauthbearer.token.endpoint.url": "http://idp/t", "sasl.oauthbearer.client.credentials.client.id": "c" } }), env.clone(), &[]),
        p("no client secret", json!({ "cluster": "idp", "properties": { "sasl.oauthbearer.token.endpoint.url": "http://idp/t", "sasl.oauthbearer.client.credentials.client.id": "c" } }), env.clone(), &[]),
        p("key on the client-secret path", json!({ "cluster": "idp", "private_key_env": "KEY", "client_secret_env": "SECRET", "properties": { "sasl.oauthbearer.token.endpoint.url": "http://idp/t", "sasl.oauthbearer.client.credentials.client.id": "c" } }), env.clone(), &[CLIENT_SECRET]),
        p("google member on the oauth source", with(json!({ "principal": "a@b.iam.gserviceaccount.com" })), env.clone(), &[]),
        p("oauth member on the google source", json!({ "source": "google-metadata", "cluster": "m", "private_key_env": "KEY" }), env.clone(), &[]),
        p("google: bad principal", json!({ "source": "google-metadata", "cluster": "m", "principal": "proj.svc.id.goog" }), env, &[]),
    ]);
    out
}

/// Every case of the catalogue.
/// A JWS over `header` and `claims`, signed by `key` (RS256 signatures are deterministic, so the
/// file stays the same from run to run).
fn jws(key: &oauthbearer::SigningKey, header: &Value, claims: &Value) -> String {
    let message = format!("{}.{}", b64url(&header.to_string()), b64url(&claims.to_string()));
    let signature = oauthbearer::encoding::b64url(&key.sign(message.as_bytes()).unwrap());
    format!("{message}.{signature}")
}

/// The broker's check of an access token against a JWKS (`inspect --jwks`): every way a broker
/// refuses a token. The token is the secret each case plants (its signature).
fn broker_checks() -> Vec<Value> {
    let pem = |file: &str| std::fs::read_to_string(vectors::keys_dir().join(file)).unwrap();
    let rsa = oauthbearer::PrivateKey::from_pem(&pem("rsa2048.pkcs8.pem"), None).unwrap();
    let key = rsa.signing_key(oauthbearer::Algorithm::RS256).unwrap();
    let other = oauthbearer::PrivateKey::from_pem(&pem("ec-p256.pkcs8.pem"), None).unwrap();
    let jwks = |jwk: serde_json::Map<String, Value>| json!({ "keys": [jwk] }).to_string();
    let ours = jwks(key.public_jwk(Some("k1")));
    let theirs = jwks(other.public_jwk());
    let now_s = NOW_MS / 1000;
    let claims = |extra: Value| {
        let mut c = json!({ "sub": "alice", "iss": "https://issuer.example", "aud": "kafka", "iat": now_s, "exp": now_s + 3600 });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let header = json!({ "alg": "RS256", "kid": "k1", "typ": "JWT" });
    let good = jws(&key, &header, &claims(json!({})));
    let b = |name: &str, token: &str, jwks: &str, extra: Value| {
        let mut input = json!({ "token": token, "jwks": jwks, "now_ms": NOW_MS, "audience": ["kafka"], "issuer": "https://issuer.example" });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        let signature = token.rsplit('.').next().unwrap_or_default();
        let secrets: Vec<&str> = [signature].into_iter().filter(|s| s.len() > 8).collect();
        bad(&format!("broker check: {name}"), "broker_check", input, &secrets)
    };
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        format!("{}.{}.{}", parts[0], b64url(&claims(json!({ "sub": "mallory" })).to_string()), parts[2])
    };
    let unsigned = format!("{}.{}.", b64url(r#"{"alg":"none"}"#), b64url(&claims(json!({})).to_string()));
    let hs256 = format!("{}.{}.{TOKEN_PART}", b64url(r#"{"alg":"HS256"}"#), b64url(&claims(json!({})).to_string()));
    vec![
        b("JWKS not JSON", &good, "{keys:", json!({})),
        b("JWKS without keys", &good, r#"{"key":[]}"#, json!({})),
        b("JWKS key without its modulus", &good, r#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#, json!({})),
        b("JWKS key of an unknown type", &good, r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, json!({})),
        b("signed by another key", &good, &theirs, json!({})),
        b(
            "kid not in the JWKS",
            &jws(&key, &json!({ "alg": "RS256", "kid": "k2" }), &claims(json!({}))),
            &ours,
            json!({}),
        ),
        b("payload changed after signing", &tampered, &ours, json!({})),
        b("alg none", &unsigned, &ours, json!({})),
        b("alg HS256", &hs256, &ours, json!({})),
        b("signature not base64url", &format!("{}.***", good.rsplit_once('.').unwrap().0), &ours, json!({})),
        b("no iat", &jws(&key, &header, &claims(json!({ "iat": null }))), &ours, json!({})),
        b("no sub", &jws(&key, &header, &claims(json!({ "sub": null }))), &ours, json!({})),
        b("expired past the skew", &good, &ours, json!({ "now_ms": NOW_MS + 3_700_000 })),
        b("not valid yet", &jws(&key, &header, &claims(json!({ "nbf": now_s + 600 }))), &ours, json!({})),
        b("another issuer", &good, &ours, json!({ "issuer": "https://elsewhere.example" })),
        b("another audience", &good, &ours, json!({ "audience": ["other-cluster"] })),
        b("no aud when one is expected", &jws(&key, &header, &claims(json!({ "aud": null }))), &ours, json!({})),
    ]
}

/// Requests to the token endpoint that its HTTP framing refuses (`oauthbearer::http`), each with
/// the status the endpoint answers (body: the RFC 6749 error `invalid_request`). A bearer token
/// or a client secret is planted in many: no answer may echo it.
fn http_requests() -> Vec<Value> {
    let token_header = format!("Authorization: Bearer {TOKEN_PART}\r\n");
    let h = |name: &str, request: String, secrets: &[&str]| {
        bad(&format!("HTTP request: {name}"), "http_request", json!({ "request": request }), secrets)
    };
    let post = |headers: &str, body: &str| format!("POST /token HTTP/1.1\r\nHost: a\r\n{headers}\r\n{body}");
    let secret_body = format!("grant_type=client_credentials&client_secret={CLIENT_SECRET}");
    let many: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
    vec![
        h("Content-Length -1", post(&format!("{token_header}Content-Length: -1\r\n"), ""), &[TOKEN_PART]),
        h("Content-Length past the body limit", post("Content-Length: 99999999999\r\n", ""), &[]),
        h("Content-Length past u64", post("Content-Length: 184467440737095516160\r\n", ""), &[]),
        h("Content-Length not a number", post("Content-Length: abc\r\n", ""), &[]),
        h("Content-Length 1e3", post("Content-Length: 1e3\r\n", ""), &[]),
        h("Content-Length +5", post("Content-Length: +5\r\n", "hello"), &[]),
        h("Content-Length empty", post("Content-Length: \r\n", ""), &[]),
        h("Content-Length twice, same value", post("Content-Length: 2\r\nContent-Length: 2\r\n", "ab"), &[]),
        h("Content-Length twice, different", post("Content-Length: 2\r\nContent-Length: 3\r\n", "abc"), &[]),
        h("Content-Length list", post("Content-Length: 2, 2\r\n", "ab"), &[]),
        h(
            "Content-Length with Transfer-Encoding (request smuggling)",
            post("Content-Length: 68\r\nTransfer-Encoding: chunked\r\n", &format!("0\r\n\r\n{secret_body}")),
            &[CLIENT_SECRET],
        ),
        h("Transfer-Encoding gzip", post("Transfer-Encoding: gzip\r\n", ""), &[]),
        h("Transfer-Encoding gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", ""), &[]),
        h("Transfer-Encoding twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), &[]),
        h("Transfer-Encoding on HTTP/1.0", "POST /token HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(), &[]),
        h("declared body past 64 KiB", post("Content-Length: 70000\r\n", ""), &[]),
        h("chunked body past 64 KiB", post("Transfer-Encoding: chunked\r\n", "10001\r\n"), &[]),
        h("chunk size not hex", post("Transfer-Encoding: chunked\r\n", "xyz\r\n"), &[]),
        h("chunk size negative", post("Transfer-Encoding: chunked\r\n", "-5\r\n"), &[]),
        h("chunk size overflowing", post("Transfer-Encoding: chunked\r\n", "fffffffffffffffffffff\r\n"), &[]),
        h(
            "chunk data past its size",
            post("Transfer-Encoding: chunked\r\n", &format!("2\r\n{secret_body}\r\n0\r\n\r\n")),
            &[CLIENT_SECRET],
        ),
        h("chunk line endless", post("Transfer-Encoding: chunked\r\n", &"1".repeat(5000)), &[]),
        h("binary garbage", "\u{0}\u{ff}\u{fe}\u{1}garbage\u{2}\r\n\r\n".into(), &[]),
        h("a TLS ClientHello", "\u{16}\u{3}\u{1}\u{0}\u{a5}\u{1}\u{0}\u{0}\u{a1}\u{3}\u{3}\u{0}\u{0}".into(), &[]),
        h("the HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".into(), &[]),
        h("HTTP/2.0 request line", format!("GET /token HTTP/2.0\r\nHost: a\r\n{token_header}\r\n"), &[TOKEN_PART]),
        h("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n".into(), &[]),
        h("no version", "GET /\r\nHost: a\r\n\r\n".into(), &[]),
        h("no Host on HTTP/1.1", format!("POST /token HTTP/1.1\r\n{token_header}Content-Length: 0\r\n\r\n"), &[TOKEN_PART]),
        h("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".into(), &[]),
        h("header without a colon", format!("GET / HTTP/1.1\r\nHost: a\r\n{TOKEN_PART}\r\n\r\n"), &[TOKEN_PART]),
        h("space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n".into(), &[]),
        h("NUL in a header value", format!("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN_PART}\u{0}\r\n\r\n"), &[TOKEN_PART]),
        h("folded header line", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n".into(), &[]),
        h("header of 9 KiB", format!("GET / HTTP/1.1\r\nHost: a\r\n{token_header}X-Big: {}\r\n\r\n", "a".repeat(9 * 1024)), &[TOKEN_PART]),
        h("100 header fields", format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n"), &[]),
        h("request line of 9 KiB", format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "p".repeat(9 * 1024)), &[]),
        h("relative target", "GET token HTTP/1.1\r\nHost: a\r\n\r\n".into(), &[]),
        h("CONNECT authority-form", "CONNECT idp.example:443 HTTP/1.1\r\nHost: idp.example\r\n\r\n".into(), &[]),
        h(
            "two Authorization headers",
            format!("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN_PART}\r\nAuthorization: Basic {TOKEN_PART}\r\n\r\n"),
            &[TOKEN_PART],
        ),
        h("Authorization not UTF-8", "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \u{ff}\u{fe}\r\n\r\n".into(), &[]),
    ]
}

pub(crate) fn cases() -> Vec<Value> {
    let mut out = Vec::new();
    out.extend(keys());
    out.extend(configs());
    out.extend(responses());
    out.extend(tokens());
    out.extend(assertions_and_files());
    out.extend(providers_and_sasl());
    out.extend(client_auth());
    out.extend(signing());
    out.extend(sidecar_configs());
    out.extend(broker_checks());
    out.extend(http_requests());
    let accepted = ACCEPTED.with(|a| a.borrow().clone());
    assert!(accepted.is_empty(), "bad inputs the core accepts:\n{}", accepted.join("\n"));
    out
}
