//! No error message, Display or Debug output ever carries a secret the core was given: key bytes,
//! passphrases, client secrets, assertions, tokens. Each case plants a marker in the secret input
//! and drives an error (or a Debug print) through the path that handles it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use oauthbearer::assertion::check_prebuilt_assertion;
use oauthbearer::config::Mode;
use oauthbearer::request;
use oauthbearer::response::parse_token_response;
use oauthbearer::template::AssertionTemplate;
use oauthbearer::{Algorithm, Dialect, Error, PrivateKey, Secret};

const MARK: &str = "s3cr3tMARKER";

fn leaks(text: &str) -> bool {
    text.contains(MARK) || text.contains("czNjcjN0TUFSS0VS") // the marker, or its base64
}

fn assert_clean_error<T: std::fmt::Debug>(result: oauthbearer::Result<T>, what: &str) -> Error {
    let err = result.err().unwrap_or_else(|| panic!("{what}: accepted"));
    let shown = format!("{err} | {err:?} | {}", err.code());
    assert!(!leaks(&shown), "{what} leaks: {shown}");
    err
}

#[test]
fn key_errors_never_show_key_bytes_or_passphrases() {
    let b64_marker = "czNjcjN0TUFSS0VS"; // base64 of the marker inside a PEM body
    let bad_pem = format!("-----BEGIN PRIVATE KEY-----\n{b64_marker}{b64_marker}\n-----END PRIVATE KEY-----\n");
    assert_clean_error(PrivateKey::from_bytes(bad_pem.as_bytes(), None), "bad PEM");
    assert_clean_error(PrivateKey::from_bytes(MARK.as_bytes(), None), "not a key");
    let jwk = format!(r#"{{"kty":"EC","crv":"P-256","x":"{MARK}","y":"{MARK}","d":"{MARK}"}}"#);
    assert_clean_error(PrivateKey::from_jwk(&jwk), "bad JWK");
    let encrypted = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys/rsa2048.pbes2-pbkdf2-aes256.pem"),
    )
    .unwrap();
    let err = assert_clean_error(PrivateKey::from_bytes(&encrypted, Some(&Secret::new(MARK))), "wrong passphrase");
    assert_eq!(err.code(), "wrong_passphrase");
    let plain = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys/ec-p256.pkcs8.pem"))
        .unwrap();
    let err = assert_clean_error(PrivateKey::from_bytes(&plain, Some(&Secret::new(MARK))), "needless passphrase");
    assert_eq!(err.code(), "passphrase_not_needed");
    let key = PrivateKey::from_bytes(&plain, None).unwrap();
    assert_clean_error(key.signing_key(Algorithm::RS256), "mismatch");
}

#[test]
fn token_errors_never_show_tokens_or_assertions() {
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ{MARK}In0.{MARK}{MARK}");
    for status in [400, 401, 500] {
        let body =
            format!(r#"{{"error":"invalid_grant","error_description":"bad assertion {jwt}","access_token":"{jwt}"}}"#);
        assert_clean_error(parse_token_response(status, Some("application/json"), &body, Dialect::KafkaJava), "4xx");
    }
    let body = format!(r#"{{"token_type":"Bearer","refresh_token":"{MARK}"}}"#);
    assert_clean_error(parse_token_response(200, Some("application/json"), &body, Dialect::KafkaJava), "no token");
    // A successful response's Debug hides the token and refresh token.
    let body = format!(r#"{{"access_token":"{jwt}","refresh_token":"{MARK}","expires_in":3600}}"#);
    let ok = parse_token_response(200, Some("application/json"), &body, Dialect::KafkaJava).unwrap();
    assert!(!leaks(&format!("{ok:?}")), "{ok:?}");
    for bad in [format!("{MARK}.{MARK}"), format!("{jwt}.extra"), format!("eyJ9.{MARK}.{MARK}")] {
        assert_clean_error(check_prebuilt_assertion(&bad, 0, 30, Mode::Strict), "prebuilt");
    }
}

#[test]
fn templates_requests_and_configs_never_show_secrets() {
    let template = format!(r#"{{"header":{{"kid":"{MARK}"}},"payload":"{MARK}"}}"#);
    assert_clean_error(AssertionTemplate::parse(template.as_bytes(), Dialect::KafkaJava), "template");
    let req = request::client_assertion_request("https://idp.example/token", MARK, Some("id"), None);
    assert!(!leaks(&format!("{req:?}")), "{req:?}");
    let req = request::client_secret_request(
        "https://idp.example/token",
        "id",
        &Secret::new(MARK),
        None,
        false,
        Dialect::KafkaJava,
        request::SecretMethod::Basic,
    )
    .unwrap();
    assert!(!leaks(&format!("{req:?}")), "{req:?}");
}

#[test]
fn provider_and_issuer_paths_never_show_secrets() {
    use oauthbearer::{google, issuer, msk};
    let creds = msk::AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: Secret::new(MARK),
        session_token: Some(Secret::new(MARK)),
        expires_at_ms: Some(1),
    };
    assert!(!leaks(&format!("{creds:?}")));
    assert_clean_error(msk::msk_token(&creds, &msk::MskTokenOptions::new("us-east-1"), 10_000), "expired creds");
    assert_clean_error(msk::msk_token(&creds, &msk::MskTokenOptions::new(""), 0), "no region");
    let ok = msk::msk_token(
        &msk::AwsCredentials { expires_at_ms: None, ..creds },
        &msk::MskTokenOptions::new("us-east-1"),
        0,
    )
    .unwrap();
    assert!(!leaks(&format!("{ok:?}")), "{ok:?}");
    let g = google::google_token(MARK, 1, "a@b.example", 0, google::GoogleTokenStyle::GoogleJava).unwrap();
    assert!(!leaks(&format!("{g:?}")));
    assert_clean_error(google::google_token(MARK, 1, "", 0, google::GoogleTokenStyle::GoogleJava), "principal");
    let adc = format!(r#"{{"type":"service_account","private_key":"{MARK}"}}"#);
    assert_clean_error(google::principal_from_credentials(Some(adc.as_bytes()), None), "adc");
    let body = format!("grant_type=client_credentials&client_id=c&client_secret={MARK}&client_assertion={MARK}");
    assert_clean_error(issuer::parse_client_credentials_request(&body, None), "two client authentications");
    for body in [
        format!("grant_type=client_credentials&client_id=c&client_secret={MARK}"),
        format!("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={MARK}"),
    ] {
        let req = issuer::parse_client_credentials_request(&body, None).unwrap();
        assert!(!leaks(&format!("{req:?}")));
    }
    let clients =
        [issuer::RegisteredClient { client_id: "c".into(), secret: Some(Secret::new("other")), keys: vec![] }];
    assert_clean_error(issuer::verify_client_secret("c", MARK, &clients), "secret");
    let policy = issuer::AssertionPolicy {
        audiences: vec![],
        max_lifetime_seconds: 60,
        clock_skew_seconds: 0,
        require_jti: false,
    };
    let jws = format!("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjIiwic3ViIjoiYyJ9.{MARK}");
    assert_clean_error(
        issuer::verify_client_assertion(&jws, None, &clients, &policy, 0, &mut |_, _| true),
        "assertion",
    );
}
