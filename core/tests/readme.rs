//! The README's Rust example ("Use (Rust)") compiles and runs, and the README shows it verbatim:
//! its free names (`key_pem`, `now_ms`, and the HTTP answer's `status`, `content_type`, `body`) are
//! this function's parameters, the HTTP exchange it leaves to the host is answered by the local
//! issuer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use oauthbearer::issuer::{AccessTokenClaims, LocalIssuer};
use oauthbearer::{PrivateKey, TokenResponse};

fn readme_example(
    key_pem: Vec<u8>,
    now_ms: u64,
    status: u16,
    content_type: Option<&str>,
    body: String,
) -> oauthbearer::Result<(String, TokenResponse)> {
    // README:begin
    use oauthbearer::{AssertionSigner, Config, Dialect};

    // The host reads the files the configuration names; the core only sees their bytes and the time.
    let config = Config::from_properties(
        [
            ("sasl.oauthbearer.assertion.algorithm", "ES256"),
            ("sasl.oauthbearer.assertion.private.key.file", "/etc/kafka/client.key"),
            ("sasl.oauthbearer.assertion.claim.iss", "my-client"),
            ("sasl.oauthbearer.assertion.claim.sub", "my-client"),
            ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example/token"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
        ],
        Dialect::KafkaJava, // or Dialect::Librdkafka for librdkafka's property names and layering
    )?;
    let signer = AssertionSigner::from_config(&config, Some(&key_pem), None)?; // parses the key once
    let assertion = signer.sign(now_ms, None)?; // fresh jti, iat = floor(now)
    let request = oauthbearer::request::from_config(&config, Some(assertion.expose()))?;
    // POST request.body to request.url with request.headers, then:
    let token = oauthbearer::response::parse_token_response(status, content_type, &body, Dialect::KafkaJava)?;
    // README:end
    Ok((request.body.expose().to_owned(), token))
}

#[test]
fn the_readme_rust_example_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let key_pem = std::fs::read(root.join("tests/keys/ec-p256.pkcs8.pem")).unwrap();
    let now_ms = 1_767_225_600_000;
    let issuer_key = PrivateKey::generate_p256().unwrap().signing_key(oauthbearer::Algorithm::ES256).unwrap();
    let issued = LocalIssuer::new("https://idp.example", issuer_key)
        .sign_access_token(
            &AccessTokenClaims { subject: "my-client".into(), audience: None, scope: None, lifetime_seconds: 3600 },
            now_ms,
            None,
        )
        .unwrap();
    let body = format!(r#"{{"access_token":"{}","token_type":"Bearer","expires_in":3600}}"#, issued.token.expose());
    let (request_body, token) = readme_example(key_pem, now_ms, 200, Some("application/json"), body).unwrap();
    assert!(request_body
        .starts_with("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
    assert_eq!(token.token.expose(), issued.token.expose());
}

#[test]
fn the_readme_shows_the_example_verbatim() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = std::fs::read_to_string(root.join("core/tests/readme.rs")).unwrap();
    let begin = source.find("    // README:begin\n").unwrap() + "    // README:begin\n".len();
    let end = source.find("    // README:end\n").unwrap();
    let example: String =
        source[begin..end].lines().map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l))).collect();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "the README's Rust example differs from core/tests/readme.rs"
    );
}
