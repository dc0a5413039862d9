//! The local issuer's access tokens verify against its own JWKS (with our RustCrypto verifier and,
//! via `common::verify_independently`, an implementation other than the signer), on every
//! algorithm and backend; its client-assertion check accepts what our signer makes and refuses
//! tampering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use base64::Engine;
use oauthbearer::assertion::{AssertionOptions, Claims};
use oauthbearer::issuer::{self, AccessTokenClaims, AssertionPolicy, LocalIssuer, RegisteredClient};
use oauthbearer::key::VerifyingKey;
use oauthbearer::{Algorithm, AssertionSigner, Backend, PrivateKey, SigningKey};
use serde_json::Value;

const NOW: u64 = 1_767_225_600_000;

fn key(file: &str) -> PrivateKey {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys");
    PrivateKey::from_bytes(&std::fs::read(dir.join(file)).unwrap(), None).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

const KEYS: [(Algorithm, &str); 5] = [
    (Algorithm::ES256, "ec-p256.pkcs8.pem"),
    (Algorithm::RS256, "rsa2048.pkcs8.pem"),
    (Algorithm::PS256, "rsa2048.pkcs8.pem"),
    (Algorithm::ES384, "ec-p384.pkcs8.pem"),
    (Algorithm::EdDSA, "ed25519.pkcs8.pem"),
];

#[test]
fn access_tokens_verify_against_the_jwks() {
    for (alg, file) in KEYS {
        for backend in Backend::available() {
            let private = key(file);
            let issuer =
                LocalIssuer::new("http://127.0.0.1:14293/", SigningKey::new(private.clone(), alg, backend).unwrap());
            let claims = AccessTokenClaims {
                subject: "kafka-client".into(),
                audience: Some("kafka".into()),
                scope: Some("kafka".into()),
                lifetime_seconds: 3600,
            };
            let token = issuer.sign_access_token(&claims, NOW + 999, None).unwrap();
            let parts: Vec<&str> = token.token.expose().split('.').collect();
            let jwks = issuer.jwks();
            let jwk = jwks["keys"][0].as_object().unwrap();
            assert_eq!(jwk["kid"], private.thumbprint());
            let verifier = VerifyingKey::from_jwk(jwk).unwrap();
            let input = format!("{}.{}", parts[0], parts[1]);
            let sig = b64(parts[2]);
            assert!(verifier.verify(alg, input.as_bytes(), &sig), "{alg} {backend:?}");
            common::verify_independently(alg.as_str(), &private.public_key_der().unwrap(), input.as_bytes(), &sig);
            let mut tampered = sig.clone();
            tampered[5] ^= 1;
            assert!(!verifier.verify(alg, input.as_bytes(), &tampered));
            let payload: Value = serde_json::from_slice(&b64(parts[1])).unwrap();
            assert_eq!(payload["iss"], "http://127.0.0.1:14293");
            assert_eq!(payload["iat"], NOW / 1000);
            assert_eq!(payload["exp"], NOW / 1000 + 3600);
            assert_eq!(token.expires_at_ms, (NOW / 1000 + 3600) * 1000);
            assert_eq!(issuer.discovery()["jwks_uri"], "http://127.0.0.1:14293/jwks");
        }
    }
}

#[test]
fn assertions_of_every_algorithm_authenticate_and_replays_do_not() {
    let issuer =
        LocalIssuer::new("http://127.0.0.1:14293", key("ec-p256.pkcs8.pem").signing_key(Algorithm::ES256).unwrap());
    let policy = AssertionPolicy::for_issuer(&issuer);
    for (alg, file) in KEYS {
        let private = key(file);
        let client = RegisteredClient {
            client_id: "c1".into(),
            secret: None,
            keys: vec![VerifyingKey::from_jwk(&private.public_jwk()).unwrap()],
        };
        let claims = Claims {
            iss: Some("c1".into()),
            sub: Some("c1".into()),
            aud: Some(issuer.token_endpoint()),
            jti_include: true,
            ..Claims::kafka_defaults()
        };
        let signer =
            AssertionSigner::new(private.signing_key(alg).unwrap(), claims, None, AssertionOptions::default()).unwrap();
        let assertion = signer.sign(NOW, None).unwrap();
        let mut seen = std::collections::HashSet::new();
        let mut cache = |jti: &str, _exp: u64| seen.insert(jti.to_owned());
        let clients = [client];
        let ok =
            issuer::verify_client_assertion(assertion.expose(), Some("c1"), &clients, &policy, NOW + 1000, &mut cache)
                .unwrap();
        assert_eq!(ok.client_id, "c1");
        let again =
            issuer::verify_client_assertion(assertion.expose(), None, &clients, &policy, NOW + 2000, &mut cache);
        assert_eq!(again.unwrap_err().code(), "assertion_replayed", "{alg}");
        let other =
            issuer::verify_client_assertion(assertion.expose(), Some("c2"), &clients, &policy, NOW, &mut |_, _| true);
        assert_eq!(other.unwrap_err().code(), "client_authentication_failed");
    }
}

#[test]
fn replay_cache_refuses_a_live_jti_and_forgets_expired_ones() {
    let mut cache = issuer::ReplayCache::new();
    assert!(cache.check_and_record("a", 2_000, 1_000));
    assert!(!cache.check_and_record("a", 2_000, 1_500), "replayed while live");
    assert!(cache.check_and_record("b", 9_000, 1_500));
    assert_eq!(cache.len(), 2);
    assert!(cache.check_and_record("a", 3_000, 2_000), "expired entries are forgotten");
    assert_eq!(cache.len(), 2);
}

#[test]
fn an_open_issuer_accepts_any_client_credentials_request() {
    let with_id =
        issuer::parse_client_credentials_request("grant_type=client_credentials&client_id=app", None).unwrap();
    assert_eq!(issuer::accept_any_client(&with_id, "kafka-client").unwrap(), "app");
    let anonymous = issuer::parse_client_credentials_request("grant_type=client_credentials", None).unwrap();
    assert_eq!(issuer::accept_any_client(&anonymous, "kafka-client").unwrap(), "kafka-client");
    let wrong = issuer::parse_client_credentials_request("grant_type=password", None).unwrap();
    assert_eq!(issuer::accept_any_client(&wrong, "x").unwrap_err().code(), "unsupported_grant_type");
}
