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
