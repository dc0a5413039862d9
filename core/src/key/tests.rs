//! Unit tests of the key module.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn generated_p256_keys_are_fresh_and_sign() {
    let a = PrivateKey::generate_p256().unwrap();
    let b = PrivateKey::generate_p256().unwrap();
    assert_eq!(a.key_type(), KeyType::P256);
    assert_ne!(a.thumbprint(), b.thumbprint());
    let signer = a.signing_key(Algorithm::ES256).unwrap();
    assert_eq!(signer.sign(b"x").unwrap().len(), 64);
}

/// `key` (a test key's file name) re-encrypted-as-written with its PBES2 KDF cost changed by `change`.
fn with_kdf_cost(key: &str, change: impl FnOnce(&mut pkcs5::pbes2::Kdf<'_>)) -> String {
    use pkcs8::der::{Decode, Encode};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys").join(key);
    let (_, der) = pem_rfc7468::decode_vec(&std::fs::read(path).unwrap()).unwrap();
    let mut info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der).unwrap();
    let pkcs5::EncryptionScheme::Pbes2(params) = &mut info.encryption_algorithm else { panic!("not PBES2") };
    change(&mut params.kdf);
    pem_rfc7468::encode_string("ENCRYPTED PRIVATE KEY", pem_rfc7468::LineEnding::LF, &info.to_der().unwrap()).unwrap()
}

#[test]
fn key_derivation_costs_that_would_hang_or_exhaust_the_host_are_refused_before_decrypting() {
    let pass = Secret::new("test-passphrase");
    let huge_n = with_kdf_cost("rsa2048.pbes2-scrypt.pem", |kdf| {
        if let pkcs5::pbes2::Kdf::Scrypt(p) = kdf {
            p.cost_parameter = 1 << 32; // 4 TiB of scrypt memory with r = 8
        }
    });
    let err = PrivateKey::from_bytes(huge_n.as_bytes(), Some(&pass)).unwrap_err();
    assert_eq!(err.code(), "unsupported_key", "{}", err.message());
    assert!(err.message().contains("N=4294967296"), "{}", err.message());
    let many = with_kdf_cost("rsa2048.pbes2-pbkdf2-aes256.pem", |kdf| {
        if let pkcs5::pbes2::Kdf::Pbkdf2(p) = kdf {
            p.iteration_count = 100_000_000;
        }
    });
    let err = PrivateKey::from_bytes(many.as_bytes(), Some(&pass)).unwrap_err();
    assert_eq!(err.code(), "unsupported_key", "{}", err.message());
    // The limits leave real keys alone: OpenSSL's scrypt default and PBKDF2 keys still decrypt.
    assert!(PrivateKey::from_bytes(with_kdf_cost("rsa2048.pbes2-scrypt.pem", |_| {}).as_bytes(), Some(&pass)).is_ok());
}
