//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use oauthbearer::Secret;

pub const PASS: &str = "test-passphrase";

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

pub fn key_bytes(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("tests/keys/{name}"))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn pass() -> Secret {
    Secret::new(PASS)
}

/// Verifies a JWS signature with RustCrypto (or, for RustCrypto-made signatures, with aws-lc-rs
/// too when it is compiled in): an implementation other than the signer's.
pub fn verify_independently(alg: &str, public_der: &[u8], message: &[u8], sig: &[u8]) {
    use p256_0_13::pkcs8::DecodePublicKey;
    use signature::Verifier;
    match alg {
        "RS256" => {
            let k = rsa::RsaPublicKey::from_public_key_der(public_der).unwrap();
            let v = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(k);
            v.verify(message, &rsa::pkcs1v15::Signature::try_from(sig).unwrap()).expect("RS256 verifies");
        }
        "PS256" => {
            let k = rsa::RsaPublicKey::from_public_key_der(public_der).unwrap();
            let v = rsa::pss::VerifyingKey::<sha2::Sha256>::new(k);
            v.verify(message, &rsa::pss::Signature::try_from(sig).unwrap()).expect("PS256 verifies");
        }
        "ES256" => {
            assert_eq!(sig.len(), 64, "ES256 signatures are 64-byte R||S");
            let v = p256_0_13::ecdsa::VerifyingKey::from_public_key_der(public_der).unwrap();
            v.verify(message, &p256_0_13::ecdsa::Signature::from_slice(sig).unwrap()).expect("ES256 verifies");
        }
        "ES384" => {
            assert_eq!(sig.len(), 96);
            let v = p384_0_13::ecdsa::VerifyingKey::from_public_key_der(public_der).unwrap();
            v.verify(message, &p384_0_13::ecdsa::Signature::from_slice(sig).unwrap()).expect("ES384 verifies");
        }
        "EdDSA" => {
            let v = ed25519_dalek::VerifyingKey::from_public_key_der(public_der).unwrap();
            v.verify(message, &ed25519_dalek::Signature::from_slice(sig).unwrap()).expect("EdDSA verifies");
        }
        other => panic!("unknown alg {other}"),
    }
    #[cfg(feature = "aws_lc_rs")]
    {
        use aws_lc_rs::signature as s;
        let algorithm: &dyn s::VerificationAlgorithm = match alg {
            "RS256" => &s::RSA_PKCS1_2048_8192_SHA256,
            "PS256" => &s::RSA_PSS_2048_8192_SHA256,
            "ES256" => &s::ECDSA_P256_SHA256_FIXED,
            "ES384" => &s::ECDSA_P384_SHA384_FIXED,
            _ => &s::ED25519,
        };
        let spki = spki::SubjectPublicKeyInfoRef::try_from(public_der).unwrap();
        let raw = spki.subject_public_key.raw_bytes();
        s::UnparsedPublicKey::new(algorithm, raw).verify(message, sig).expect("aws-lc-rs verifies");
    }
}
