//! [`SigningKey`]: a key, an algorithm and a backend signer built once and reused.
//!
//! Signing goes through jsonwebtoken's signer trait ([`jsonwebtoken::crypto::JwtSigner`], i.e.
//! `signature::Signer<Vec<u8>>`), with one implementation per backend:
//!
//! * `aws_lc_rs` (native builds): aws-lc-rs key pairs built from the normalized PKCS#8.
//! * `rust_crypto` (WASI): the RustCrypto keys we parsed (rsa, p256, p384, ed25519-dalek).
//!
//! We implement the trait over *parsed* keys instead of calling jsonwebtoken's own providers
//! because its RSA signers keep DER bytes and re-parse them on every signature (about 600 µs per
//! RS256 signature with aws-lc-rs; see `../shared/reference/toolchain.md`).

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::crypto::JwtSigner;

use super::PrivateKey;
use crate::algorithm::Algorithm;
use crate::error::{fail, Error, ErrorKind, Result};

/// Which crypto library signs.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// aws-lc-rs (feature `aws_lc_rs`, the default for native builds).
    #[cfg(feature = "aws_lc_rs")]
    AwsLcRs,
    /// The RustCrypto crates (feature `rust_crypto`, the WASI build's backend).
    #[cfg(feature = "rust_crypto")]
    RustCrypto,
}

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
compile_error!("oauthbearer needs a signing backend: enable the `aws_lc_rs` or the `rust_crypto` feature");

impl Default for Backend {
    /// aws-lc-rs when compiled in, else RustCrypto.
    fn default() -> Self {
        #[cfg(feature = "aws_lc_rs")]
        return Self::AwsLcRs;
        #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
        return Self::RustCrypto;
    }
}

impl Backend {
    /// Every backend compiled into this build.
    pub fn available() -> Vec<Self> {
        vec![
            #[cfg(feature = "aws_lc_rs")]
            Self::AwsLcRs,
            #[cfg(feature = "rust_crypto")]
            Self::RustCrypto,
        ]
    }

    /// The backend's name (`aws_lc_rs`, `rust_crypto`).
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "aws_lc_rs")]
            Self::AwsLcRs => "aws_lc_rs",
            #[cfg(feature = "rust_crypto")]
            Self::RustCrypto => "rust_crypto",
        }
    }
}

type BoxedSigner = Box<dyn JwtSigner + Send + Sync>;

/// A private key bound to an algorithm, with its backend signer built once.
///
/// Cloning is cheap and shares the signer. `Debug` shows the algorithm, backend and `kid` only.
#[derive(Clone)]
pub struct SigningKey {
    key: PrivateKey,
    algorithm: Algorithm,
    backend: Backend,
    signer: Arc<BoxedSigner>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("backend", &self.backend.name())
            .field("key", &self.key)
            .finish()
    }
}

impl SigningKey {
    /// Binds `key` to `algorithm` on `backend`. Fails with `key_algorithm_mismatch` when the key's
    /// family or curve does not fit the algorithm.
    pub fn new(key: PrivateKey, algorithm: Algorithm, backend: Backend) -> Result<Self> {
        let key_type = key.key_type();
        if !key_type.fits(algorithm) {
            return fail(
                ErrorKind::KeyAlgorithmMismatch,
                format!(
                    "{} {} key cannot sign {algorithm}; {} keys sign {}",
                    article(key_type.describe()),
                    key_type.describe(),
                    key_type.describe(),
                    Algorithm::ALL
                        .iter()
                        .filter(|a| key_type.fits(**a))
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            );
        }
        let signer: BoxedSigner = match backend {
            #[cfg(feature = "aws_lc_rs")]
            Backend::AwsLcRs => aws_lc::signer(key.material(), algorithm)?,
            #[cfg(feature = "rust_crypto")]
            Backend::RustCrypto => rust_crypto::signer(key.material(), algorithm),
        };
        Ok(Self { key, algorithm, backend, signer: Arc::new(signer) })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The backend that signs.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs `message`, returning the raw JWS signature (R‖S for ECDSA).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.signer.try_sign(message).map_err(|_| {
            Error::new(ErrorKind::SigningFailed, format!("the {} backend failed to sign", self.backend.name()))
        })
    }

    /// The public JWK with `alg`, `use: "sig"` and, if given, `kid` added to the RFC 7638 members.
    pub fn public_jwk(&self, kid: Option<&str>) -> serde_json::Map<String, serde_json::Value> {
        let mut jwk = self.key.public_jwk();
        jwk.insert("alg".into(), self.algorithm.as_str().into());
        jwk.insert("use".into(), "sig".into());
        if let Some(kid) = kid {
            jwk.insert("kid".into(), kid.into());
        }
        jwk
    }
}

#[cfg(feature = "aws_lc_rs")]
mod aws_lc {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature as sig;
    use jsonwebtoken::crypto::JwtSigner;
    use signature::Signer;
    use zeroize::Zeroizing;

    use super::BoxedSigner;
    use crate::algorithm::Algorithm;
    use crate::error::{Error, ErrorKind, Result};
    use crate::key::KeyMaterial;

    enum Pair {
        Rsa(sig::RsaKeyPair, &'static dyn sig::RsaEncoding),
        Ecdsa(sig::EcdsaKeyPair),
        Ed25519(sig::Ed25519KeyPair),
    }

    struct AwsLcSigner {
        pair: Pair,
        algorithm: Algorithm,
        rng: SystemRandom,
    }

    impl Signer<Vec<u8>> for AwsLcSigner {
        fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
            match &self.pair {
                Pair::Rsa(pair, encoding) => {
                    let mut out = vec![0; pair.public_modulus_len()];
                    pair.sign(*encoding, &self.rng, msg, &mut out).map_err(signature::Error::from_source)?;
                    Ok(out)
                }
                Pair::Ecdsa(pair) => {
                    Ok(pair.sign(&self.rng, msg).map_err(signature::Error::from_source)?.as_ref().to_vec())
                }
                Pair::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
            }
        }
    }

    impl JwtSigner for AwsLcSigner {
        fn algorithm(&self) -> jsonwebtoken::Algorithm {
            self.algorithm.to_jsonwebtoken()
        }
    }

    pub(super) fn signer(material: &KeyMaterial, algorithm: Algorithm) -> Result<BoxedSigner> {
        use p256::elliptic_curve::sec1::ToSec1Point;
        use pkcs8::EncodePrivateKey;
        let rejected = |_| Error::new(ErrorKind::InvalidKey, "aws-lc-rs rejected the key");
        let encode = |r: pkcs8::Result<pkcs8::SecretDocument>| {
            r.map(|d| Zeroizing::new(d.as_bytes().to_vec()))
                .map_err(|_| Error::new(ErrorKind::InvalidKey, "cannot encode the key as PKCS#8"))
        };
        let pair = match material {
            KeyMaterial::Rsa(k) => {
                let der = encode(k.to_pkcs8_der())?;
                let encoding: &'static dyn sig::RsaEncoding =
                    if algorithm == Algorithm::PS256 { &sig::RSA_PSS_SHA256 } else { &sig::RSA_PKCS1_SHA256 };
                Pair::Rsa(sig::RsaKeyPair::from_pkcs8(&der).map_err(rejected)?, encoding)
            }
            // EC keys go over as the scalar and the uncompressed point; aws-lc checks they match.
            KeyMaterial::P256(k) => Pair::Ecdsa(
                sig::EcdsaKeyPair::from_private_key_and_public_key(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &Zeroizing::new(k.to_bytes()),
                    k.public_key().to_sec1_point(false).as_bytes(),
                )
                .map_err(rejected)?,
            ),
            KeyMaterial::P384(k) => Pair::Ecdsa(
                sig::EcdsaKeyPair::from_private_key_and_public_key(
                    &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                    &Zeroizing::new(k.to_bytes()),
                    k.public_key().to_sec1_point(false).as_bytes(),
                )
                .map_err(rejected)?,
            ),
            KeyMaterial::Ed25519(k) => {
                let der = encode(k.to_pkcs8_der())?;
                Pair::Ed25519(sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(rejected)?)
            }
        };
        Ok(Box::new(AwsLcSigner { pair, algorithm, rng: SystemRandom::new() }))
    }
}

#[cfg(feature = "rust_crypto")]
mod rust_crypto {
    use jsonwebtoken::crypto::JwtSigner;
    use rand_core::OsRng;
    use sha2::Sha256;
    use signature::{RandomizedSigner, SignatureEncoding, Signer};

    use super::BoxedSigner;
    use crate::algorithm::Algorithm;
    use crate::key::KeyMaterial;

    enum Key {
        Rs256(rsa::pkcs1v15::SigningKey<Sha256>),
        Ps256(rsa::pss::BlindedSigningKey<Sha256>),
        Es256(p256::ecdsa::SigningKey),
        Es384(p384::ecdsa::SigningKey),
        EdDsa(ed25519_dalek::SigningKey),
    }

    struct RustCryptoSigner {
        key: Key,
        algorithm: Algorithm,
    }

    impl Signer<Vec<u8>> for RustCryptoSigner {
        fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
            // RSA signs with a random blinding factor (and a random PSS salt) from the OS;
            // ECDSA is deterministic (RFC 6979), so ES256/ES384 bytes are reproducible here.
            // p256/p384 0.14 sign through `signature` 3; jsonwebtoken's trait is on `signature` 2,
            // whose error cannot carry theirs (neither holds anything secret).
            Ok(match &self.key {
                Key::Rs256(k) => k.try_sign_with_rng(&mut OsRng, msg)?.to_vec(),
                Key::Ps256(k) => k.try_sign_with_rng(&mut OsRng, msg)?.to_vec(),
                Key::Es256(k) => p256::ecdsa::signature::Signer::<p256::ecdsa::Signature>::try_sign(k, msg)
                    .map_err(|_| signature::Error::new())?
                    .to_bytes()
                    .to_vec(),
                Key::Es384(k) => p384::ecdsa::signature::Signer::<p384::ecdsa::Signature>::try_sign(k, msg)
                    .map_err(|_| signature::Error::new())?
                    .to_bytes()
                    .to_vec(),
                Key::EdDsa(k) => Signer::<ed25519_dalek::Signature>::try_sign(k, msg)?.to_vec(),
            })
        }
    }

    impl JwtSigner for RustCryptoSigner {
        fn algorithm(&self) -> jsonwebtoken::Algorithm {
            self.algorithm.to_jsonwebtoken()
        }
    }

    pub(super) fn signer(material: &KeyMaterial, algorithm: Algorithm) -> BoxedSigner {
        // `SigningKey::new` checked that the key fits the algorithm.
        let key = match (material, algorithm) {
            (KeyMaterial::Rsa(k), Algorithm::PS256) => Key::Ps256(rsa::pss::BlindedSigningKey::new((**k).clone())),
            (KeyMaterial::Rsa(k), _) => Key::Rs256(rsa::pkcs1v15::SigningKey::new((**k).clone())),
            (KeyMaterial::P256(k), _) => Key::Es256(k.into()),
            (KeyMaterial::P384(k), _) => Key::Es384(k.into()),
            (KeyMaterial::Ed25519(k), _) => Key::EdDsa((**k).clone()),
        };
        Box::new(RustCryptoSigner { key, algorithm })
    }
}

/// "an" before a vowel sound ("an RSA key", "an EC key", "an Ed25519 key"), else "a".
fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U' | 'R' | 'a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}
