#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::issuer::{AccessTokenClaims, LocalIssuer};
use crate::key::PrivateKey;
use crate::Algorithm;

const NOW: u64 = 1_767_225_600_000;
const SECRET: &str = "planted-client-secret-9f1c";

fn key_pem() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/keys/ec-p256.pkcs8.pem")).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn assertion_config() -> String {
    json!({
        "cluster": "idp",
        "properties": {
            "sasl.oauthbearer.token.endpoint.url": "https://idp.example:8443/realms/k/token?x=1",
            "sasl.oauthbearer.assertion.algorithm": "ES256",
            "sasl.oauthbearer.assertion.claim.iss": "client-1",
            "sasl.oauthbearer.assertion.claim.sub": "client-1",
            "sasl.oauthbearer.assertion.claim.aud": "https://idp.example:8443/realms/k/token",
        },
        "private_key_env": "KEY",
    })
    .to_string()
}

fn issued(lifetime: u32) -> String {
    let key = PrivateKey::from_bytes(key_pem().as_bytes(), None).unwrap().signing_key(Algorithm::ES256).unwrap();
    let issuer = LocalIssuer::new("https://idp.example", key);
    let claims = AccessTokenClaims { subject: "svc".into(), audience: None, scope: None, lifetime_seconds: lifetime };
    issuer.sign_access_token(&claims, NOW, None).unwrap().token.expose().to_owned()
}

fn code(config: &str, env: &dyn Fn(&str) -> Option<String>) -> &'static str {
    match SidecarConfig::from_json(config.as_bytes()).and_then(|c| Sidecar::new(c, env)) {
        Ok(_) => "ok",
        Err(e) => {
            assert!(!e.message().contains(SECRET) && !e.message().contains("BEGIN"), "{}", e.message());
            e.code()
        }
    }
}

#[test]
fn an_assertion_call_is_kafkas_request_split_for_the_proxy() {
    let pem = key_pem();
    let env = move |name: &str| (name == "KEY").then(|| pem.clone());
    let sidecar = Sidecar::new(SidecarConfig::from_json(assertion_config().as_bytes()).unwrap(), &env).unwrap();
    let (exchange, call) = sidecar.begin(NOW).unwrap();
    assert_eq!(exchange, Exchange::Token { principal: None });
    assert_eq!(
        (call.method, call.authority.as_str(), call.path.as_str()),
        ("POST", "idp.example:8443", "/realms/k/token?x=1")
    );
    let body = call.body.as_ref().unwrap().expose();
    assert!(body.starts_with(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ey"
    ));
    assert!(call.headers.iter().any(|(k, v)| k == "Content-Type" && v == "application/x-www-form-urlencoded"));
    assert!(!format!("{call:?}").contains("ey"), "Debug leaves out the body");
    assert_eq!(sidecar.policy().fetch_timeout_ms, crate::lifecycle::DEFAULT_FETCH_TIMEOUT_MS);
}

#[test]
fn answers_are_checked_as_kafka_checks_them() {
    let config = json!({"cluster": "idp", "client_secret_env": "S", "properties": {
        "sasl.oauthbearer.token.endpoint.url": "http://127.0.0.1:9/token",
        "sasl.oauthbearer.client.credentials.client.id": "c"}})
    .to_string();
    let env = |name: &str| (name == "S").then(|| SECRET.to_owned());
    let sidecar = Sidecar::new(SidecarConfig::from_json(config.as_bytes()).unwrap(), &env).unwrap();
    let (exchange, call) = sidecar.begin(NOW).unwrap();
    assert!(call.headers.iter().any(|(k, v)| k == "Authorization" && v.starts_with("Basic ")));
    let token = issued(600);
    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 600}).to_string();
    let ok = Answer { status: 200, content_type: Some("application/json"), retry_after: None, body: body.as_bytes() };
    let Outcome::Token(t) = sidecar.answer(exchange.clone(), Some(ok), NOW + 10) else { panic!() };
    assert_eq!((t.expires_at_ms, t.issued_at_ms), (NOW + 600_000, Some(NOW)));
    assert_eq!(Sidecar::authorization(&t), format!("Bearer {token}"));

    let opaque = br#"{"access_token":"opaque-not-a-jwt","expires_in":60}"#;
    let refused = Answer { body: opaque, ..ok };
    let Outcome::Failed(f) = sidecar.answer(exchange.clone(), Some(refused), NOW) else { panic!() };
    assert_eq!((f.error.code(), f.retryable), ("invalid_token", false));

    let busy = Answer {
        status: 503,
        content_type: None,
        retry_after: Some("7"),
        body: b"{\"error\":\"temporarily_unavailable\"}",
    };
    let Outcome::Failed(f) = sidecar.answer(exchange.clone(), Some(busy), NOW) else { panic!() };
    assert_eq!((f.error.code(), f.retryable, f.retry_after.as_deref()), ("token_response_error", true, Some("7")));

    let Outcome::Failed(f) = sidecar.answer(exchange.clone(), None, NOW) else { panic!() };
    assert_eq!((f.error.code(), f.retryable), ("token_endpoint_unreachable", true));

    let Outcome::Failed(f) = sidecar.answer(exchange, Some(ok), NOW + 600_000) else { panic!() };
    assert_eq!(f.error.code(), "token_expired");
}

#[test]
fn google_metadata_asks_for_the_email_then_wraps_the_token() {
    let config = br#"{"source":"google-metadata","cluster":"metadata","google_token_style":"kafka-auth-handler"}"#;
    let sidecar = Sidecar::new(SidecarConfig::from_json(config).unwrap(), &no_env).unwrap();
    let (exchange, call) = sidecar.begin(NOW).unwrap();
    assert_eq!(exchange, Exchange::Email);
    assert_eq!(call.authority, METADATA_HOST);
    assert_eq!(call.path, "/computeMetadata/v1/instance/service-accounts/default/email");
    assert_eq!(call.headers, vec![("Metadata-Flavor".to_owned(), "Google".to_owned())]);
    let email = Answer {
        status: 200,
        content_type: Some("application/text"),
        retry_after: None,
        body: b"sa@p.iam.gserviceaccount.com",
    };
    let Outcome::Next(exchange, call) = sidecar.answer(exchange, Some(email), NOW) else { panic!() };
    assert_eq!(call.path, "/computeMetadata/v1/instance/service-accounts/default/token");
    let token = Answer { body: br#"{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}"#, ..email };
    let Outcome::Token(t) = sidecar.answer(exchange, Some(token), NOW) else { panic!() };
    let expected = google_token(
        "ya29.x",
        NOW + 3_599_000,
        "sa@p.iam.gserviceaccount.com",
        NOW,
        GoogleTokenStyle::KafkaAuthHandler,
    )
    .unwrap();
    assert_eq!(t.token, expected.token);
    // The wrapped token passes Kafka Java's client check, with the email as principal.
    let accepted = check_access_token(t.token.expose(), &TokenCheck::new(Dialect::KafkaJava)).unwrap();
    assert_eq!(accepted.principal, "sa@p.iam.gserviceaccount.com");
}

#[test]
fn bad_configurations_are_refused_with_their_codes_and_no_secret() {
    let pem = key_pem();
    let with_key = move |name: &str| (name == "KEY").then(|| pem.clone());
    let secret = |name: &str| (name == "S").then(|| SECRET.to_owned());
    type Env<'a> = &'a dyn Fn(&str) -> Option<String>;
    let cases: Vec<(String, &str, Env<'_>)> = vec![
        (assertion_config(), "ok", &with_key),
        (assertion_config(), "missing_config", &no_env),
        ("{".into(), "invalid_config", &no_env),
        ("[]".into(), "invalid_config", &no_env),
        (r#"{"cluster":"idp","propertise":{}}"#.into(), "invalid_config", &no_env),
        (r#"{"properties":{}}"#.into(), "missing_config", &no_env),
        (r#"{"cluster":"idp","mode":"proxy","properties":{}}"#.into(), "invalid_config", &no_env),
        (r#"{"cluster":"idp","source":"google-metadata","properties":{}}"#.into(), "invalid_config", &no_env),
        (r#"{"cluster":"idp","source":"google-metadata","principal":" "}"#.into(), "invalid_principal", &no_env),
        (r#"{"cluster":"idp","properties":{},"token_path":"/t"}"#.into(), "invalid_config", &no_env),
        (r#"{"cluster":"idp","mode":"endpoint","token_path":"t","properties":{}}"#.into(), "invalid_config", &no_env),
        (r#"{"cluster":"idp","dialect":"jvm","properties":{}}"#.into(), "invalid_config", &no_env),
        (r#"{"cluster":"idp","fetch_timeout_ms":0,"properties":{}}"#.into(), "invalid_config", &no_env),
        (
            assertion_config().replace("\"ES256\"", "\"HS256\""),
            "invalid_algorithm",
            &with_key,
        ),
        (
            assertion_config().replace("private_key_env\":\"KEY\"", "private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\""),
            "invalid_key",
            &no_env,
        ),
        (
            assertion_config().replace("\"ES256\"", "\"RS256\""),
            "key_algorithm_mismatch",
            &with_key,
        ),
        (
            assertion_config().replace("https://idp.example:8443/realms/k/token?x=1", "ftp://idp/token"),
            "invalid_config",
            &with_key,
        ),
        (
            json!({"cluster":"idp","client_secret_env":"S","properties":{
                "sasl.oauthbearer.token.endpoint.url":"http://idp/t",
                "sasl.login.retry.backoff.ms":"x",
                "sasl.oauthbearer.client.credentials.client.id":"c"}}).to_string(),
            "invalid_config",
            &secret,
        ),
        (
            json!({"cluster":"idp","properties":{"sasl.oauthbearer.token.endpoint.url":"http://idp/t",
                "sasl.oauthbearer.client.credentials.client.id":"c"}}).to_string(),
            "missing_config",
            &no_env,
        ),
        (
            json!({"cluster":"idp","properties":{"sasl.oauthbearer.token.endpoint.url":"file:/tmp/token"}}).to_string(),
            "invalid_config",
            &no_env,
        ),
        (
            json!({"cluster":"idp","private_key_env":"KEY","properties":{"sasl.oauthbearer.token.endpoint.url":"http://idp/t",
                "sasl.oauthbearer.client.credentials.client.id":"c","sasl.oauthbearer.client.credentials.client.secret":SECRET}}).to_string(),
            "ineffective_config",
            &with_key,
        ),
    ];
    for (config, expected, env) in &cases {
        assert_eq!(code(config, *env), *expected, "{config}");
    }
}

#[test]
fn the_unavailable_body_and_endpoint_paths() {
    let body = Sidecar::unavailable_body(&Error::new(ErrorKind::FetchTimeout, "slow"));
    assert_eq!(body, r#"{"error":"temporarily_unavailable","error_description":"slow","code":"fetch_timeout"}"#);
    let config = br#"{"source":"google-metadata","cluster":"m","mode":"endpoint","token_path":"/token","principal":"a@b.iam.gserviceaccount.com"}"#;
    let sidecar = Sidecar::new(SidecarConfig::from_json(config).unwrap(), &no_env).unwrap();
    assert!(sidecar.serves_path("/token") && sidecar.serves_path("/token?x") && !sidecar.serves_path("/other"));
    let stored = Fetched { token: Secret::new("a.b.c"), expires_at_ms: NOW + 3_600_000, issued_at_ms: None };
    assert_eq!(sidecar.token_body(&stored, NOW), r#"{"access_token":"a.b.c","token_type":"Bearer","expires_in":3600}"#);
    assert_eq!(format!("{stored:?}"), format!("Fetched {{ expires_at_ms: {}, .. }}", NOW + 3_600_000));
}

#[test]
fn inline_secrets_are_named_for_the_start_up_warning_never_shown() {
    // Envoy shows the plugin configuration in /config_dump (issue 28).
    let from_env = SidecarConfig::from_json(assertion_config().as_bytes()).unwrap();
    assert!(from_env.inline_secrets().is_empty());
    let inline = json!({
        "cluster": "idp",
        "properties": {
            "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
            "sasl.oauthbearer.assertion.claim.iss": "client-1",
            "sasl.oauthbearer.assertion.private.key.passphrase": "PLANTED-PASSPHRASE",
        },
        "private_key": key_pem(),
    });
    let config = SidecarConfig::from_json(inline.to_string().as_bytes()).unwrap();
    assert_eq!(config.inline_secrets(), ["private_key", "sasl.oauthbearer.assertion.private.key.passphrase"]);
    assert!(!format!("{:?}", config.inline_secrets()).contains("PLANTED"));
}
