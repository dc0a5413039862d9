//! Prints one freshly signed client assertion per algorithm, key format and backend as JSON lines
//! (`{"alg", "backend", "key_file", "assertion", "public_jwk", "aud"}`), for peers in other
//! languages to verify (`tests/peers/test_pyjwt.py`). Signatures of ES256, ES384 and PS256 are
//! randomized, so these cannot be pinned in `tests/vectors/`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use oauthbearer::assertion::{AssertionOptions, AssertionType, Claims};
use oauthbearer::{Algorithm, AssertionSigner, Backend, PrivateKey, Secret, SigningKey};
use serde_json::json;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys");
    let now_ms: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_767_225_600_000);
    let pass = Secret::new("test-passphrase");
    for (alg, file, passphrase) in [
        (Algorithm::RS256, "rsa2048.pkcs8.pem", None),
        (Algorithm::RS256, "rsa2048.pkcs12-sha1-3des.pem", Some(&pass)),
        (Algorithm::PS256, "rsa2048.pkcs1.pem", None),
        (Algorithm::ES256, "ec-p256.pkcs8.pem", None),
        (Algorithm::ES256, "ec-p256.sec1.pem", None),
        (Algorithm::ES256, "ec-p256.jwk.json", None),
        (Algorithm::ES384, "ec-p384.pkcs8.pem", None),
        (Algorithm::EdDSA, "ed25519.pkcs8.pem", None),
    ] {
        let key = PrivateKey::from_bytes(&std::fs::read(dir.join(file)).unwrap(), passphrase).unwrap();
        for backend in Backend::available() {
            let claims = Claims {
                iss: Some("my-client".into()),
                sub: Some("my-client".into()),
                aud: Some("https://idp.example/oauth2/token".into()),
                jti_include: true,
                ..Claims::kafka_defaults()
            };
            let options = AssertionOptions {
                key_id: Some(key.thumbprint()),
                typ: AssertionType::ClientAuthentication,
                ..AssertionOptions::default()
            };
            let signer =
                AssertionSigner::new(SigningKey::new(key.clone(), alg, backend).unwrap(), claims, None, options)
                    .unwrap();
            let signed = signer.sign(now_ms, None).unwrap();
            let line = json!({
                "alg": alg.as_str(),
                "backend": backend.name(),
                "key_file": file,
                "assertion": signed.expose(),
                "public_jwk": signer.signing_key().public_jwk(Some(&key.thumbprint())),
                "thumbprint": key.thumbprint(),
                "aud": "https://idp.example/oauth2/token",
                "now": now_ms / 1000,
            });
            println!("{line}");
        }
    }
}
