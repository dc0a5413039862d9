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

/// The EC curves moved from p256/p384 0.13 to 0.14 (a faster P-256, see core/Cargo.toml). What 0.13
/// did is the reference: the same keys, public keys and — RFC 6979 being deterministic — the same
/// RustCrypto signatures, byte for byte.
#[cfg(feature = "rust_crypto")]
#[test]
fn ec_keys_and_signatures_are_the_ones_the_0_13_curves_made() {
    use p256_0_13::pkcs8::{DecodePrivateKey, EncodePublicKey};
    use signature::Signer;
    let file =
        |name: &str| std::fs::read_to_string(format!("{}/../tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let messages: [&[u8]; 3] = [b"", b"header.payload", &[0xa5; 1000]];

    let pem = file("ec-p256.pkcs8.pem");
    let ours = PrivateKey::from_bytes(pem.as_bytes(), None).unwrap();
    let theirs = p256_0_13::SecretKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(ours.public_key_der().unwrap(), theirs.public_key().to_public_key_der().unwrap().as_bytes());
    let signer = SigningKey::new(ours, Algorithm::ES256, Backend::RustCrypto).unwrap();
    let reference = p256_0_13::ecdsa::SigningKey::from(&theirs);
    for message in messages {
        let expected: p256_0_13::ecdsa::Signature = reference.sign(message);
        assert_eq!(signer.sign(message).unwrap(), expected.to_bytes().as_slice());
    }

    let pem = file("ec-p384.pkcs8.pem");
    let ours = PrivateKey::from_bytes(pem.as_bytes(), None).unwrap();
    let theirs = p384_0_13::SecretKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(ours.public_key_der().unwrap(), theirs.public_key().to_public_key_der().unwrap().as_bytes());
    let signer = SigningKey::new(ours, Algorithm::ES384, Backend::RustCrypto).unwrap();
    let reference = p384_0_13::ecdsa::SigningKey::from(&theirs);
    for message in messages {
        let expected: p384_0_13::ecdsa::Signature = reference.sign(message);
        assert_eq!(signer.sign(message).unwrap(), expected.to_bytes().as_slice());
    }
}

/// SEC1 `ECPrivateKey` structures at the edges, read by `ec_secret` and by elliptic-curve 0.13's
/// `SecretKey::from_sec1_der` (what read them before): both accept or both refuse, and an accepted
/// key is the same key.
#[test]
fn sec1_keys_at_the_edges_are_read_as_elliptic_curve_0_13_read_them() {
    use p256_0_13::elliptic_curve::sec1::ToEncodedPoint;
    let key = p256_0_13::SecretKey::from_slice(&[0x42; 32]).unwrap();
    let other = p256_0_13::SecretKey::from_slice(&[0x43; 32]).unwrap();
    // A scalar with a leading zero byte, written short (OpenSSL writes 31 bytes then).
    let short = p256_0_13::SecretKey::from_slice(&[[0u8].as_slice(), &[0x42; 31]].concat()).unwrap();
    let n_bytes: Vec<u8> = hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").unwrap();
    let uncompressed = key.public_key().to_encoded_point(false);
    let compressed = key.public_key().to_encoded_point(true);
    let others = other.public_key().to_encoded_point(false);
    let not_on_curve = [&[4u8][..], &[1u8; 64]].concat();
    let scalars: Vec<Vec<u8>> = vec![
        key.to_bytes().to_vec(),
        short.to_bytes()[1..].to_vec(),
        vec![0x42; 24],
        vec![0x42; 23],
        vec![0x42; 33],
        vec![0; 32],
        n_bytes,
        vec![0xff; 32],
    ];
    let publics: Vec<Option<&[u8]>> = vec![
        None,
        Some(uncompressed.as_bytes()),
        Some(compressed.as_bytes()),
        Some(others.as_bytes()),
        Some(&not_on_curve),
        Some(&[0]),
    ];
    let mut accepted = 0;
    for scalar in &scalars {
        for public in &publics {
            let der = sec1::EcPrivateKey {
                private_key: scalar,
                parameters: Some(sec1::EcParameters::NamedCurve(OID_P256)),
                public_key: *public,
            }
            .to_der()
            .unwrap();
            let ours = PrivateKey::from_sec1_der(&der);
            let theirs = p256_0_13::SecretKey::from_sec1_der(&der);
            assert_eq!(ours.is_ok(), theirs.is_ok(), "scalar {} bytes, public {public:?}", scalar.len());
            if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
                use p256_0_13::pkcs8::EncodePublicKey;
                assert_eq!(ours.public_key_der().unwrap(), theirs.public_key().to_public_key_der().unwrap().as_bytes());
                accepted += 1;
            }
        }
    }
    // The full-length scalar with no public key, or its own (uncompressed or compressed); the short
    // (31- and 24-byte) scalars with none (the public key here is the full-length scalar's).
    assert_eq!(accepted, 5);
}
