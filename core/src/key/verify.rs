//! Public keys from JWKs, and JWS signature verification with the RustCrypto crates (compiled in
//! every build, because they are also our key parsers). jsonwebtoken's own `decode` is not used:
//! it picks a process-global crypto provider and cannot run with both backends compiled in.

use std::fmt;

use p256::ecdsa::signature::Verifier as EcVerifier;
use serde_json::{Map, Value};
use signature::Verifier;

use crate::algorithm::Algorithm;
use crate::encoding::b64url_decode;
use crate::error::{fail, Error, ErrorKind, Result};

#[derive(Clone)]
enum PublicMaterial {
    /// Both RSA verifiers, built once from the key (each owns a copy of it).
    Rsa(rsa::pkcs1v15::VerifyingKey<sha2::Sha256>, rsa::pss::VerifyingKey<sha2::Sha256>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A public key that verifies JWS signatures.
#[derive(Clone)]
pub struct VerifyingKey {
    material: PublicMaterial,
    key_id: Option<String>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.material {
            PublicMaterial::Rsa(..) => "RSA",
            PublicMaterial::P256(_) => "P-256",
            PublicMaterial::P384(_) => "P-384",
            PublicMaterial::Ed25519(_) => "Ed25519",
        };
        f.debug_struct("VerifyingKey").field("type", &kind).field("kid", &self.key_id).finish()
    }
}

fn member(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>> {
    let text = jwk.get(name).and_then(Value::as_str).ok_or_else(|| invalid(&format!("no \"{name}\" member")))?;
    b64url_decode(text.trim_end_matches('=')).map_err(|_| invalid(&format!("\"{name}\" is not base64url")))
}

fn invalid(why: &str) -> Error {
    Error::new(ErrorKind::InvalidKey, format!("invalid public JWK: {why}"))
}

impl VerifyingKey {
    /// A public key from a JWK object (RSA, EC P-256/P-384, OKP Ed25519). Private members, if
    /// present, are ignored.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self> {
        let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
        let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or_default();
        let material = match (kty, crv) {
            ("RSA", _) => {
                let n = rsa::BigUint::from_bytes_be(&member(jwk, "n")?);
                let e = rsa::BigUint::from_bytes_be(&member(jwk, "e")?);
                let key = rsa::RsaPublicKey::new(n, e).map_err(|_| invalid("bad RSA modulus or exponent"))?;
                if rsa::traits::PublicKeyParts::size(&key) * 8 < 2048 {
                    return fail(ErrorKind::WeakKey, "the RSA public key is shorter than 2048 bits");
                }
                PublicMaterial::Rsa(rsa::pkcs1v15::VerifyingKey::new(key.clone()), rsa::pss::VerifyingKey::new(key))
            }
            ("EC", "P-256") => {
                let point = p256::Sec1Point::from_affine_coordinates(
                    &fixed::<32>(&member(jwk, "x")?)?.into(),
                    &fixed::<32>(&member(jwk, "y")?)?.into(),
                    false,
                );
                PublicMaterial::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(point.as_bytes())
                        .map_err(|_| invalid("point not on P-256"))?,
                )
            }
            ("EC", "P-384") => {
                let point = p384::Sec1Point::from_affine_coordinates(
                    &fixed::<48>(&member(jwk, "x")?)?.into(),
                    &fixed::<48>(&member(jwk, "y")?)?.into(),
                    false,
                );
                PublicMaterial::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(point.as_bytes())
                        .map_err(|_| invalid("point not on P-384"))?,
                )
            }
            ("OKP", "Ed25519") => PublicMaterial::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&fixed::<32>(&member(jwk, "x")?)?)
                    .map_err(|_| invalid("bad Ed25519 point"))?,
            ),
            _ => {
                return fail(ErrorKind::UnsupportedKey, format!("public JWK kty {kty:?} crv {crv:?} is not supported"))
            }
        };
        let key_id = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
        Ok(Self { material, key_id })
    }

    /// The JWK `kid`, when the JWK had one.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// Whether `signature` over `message` verifies under `alg` with one of `keys`. A JWS header's
    /// `kid` picks the keys: those with the same `kid`, and those without one. `None` when no key
    /// is left to try.
    pub fn verify_any(
        keys: &[Self],
        kid: Option<&str>,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Option<bool> {
        let mut candidates =
            keys.iter().filter(|k| kid.is_none() || k.key_id().is_none() || k.key_id() == kid).peekable();
        candidates.peek()?;
        Some(candidates.any(|k| k.verify(alg, message, signature)))
    }

    /// Whether `signature` (JWS form: raw `r||s` for ECDSA) over `message` verifies under `alg`.
    /// An algorithm that does not fit the key is `false`.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match (&self.material, alg) {
            (PublicMaterial::Rsa(k, _), Algorithm::RS256) => {
                rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            (PublicMaterial::Rsa(_, k), Algorithm::PS256) => {
                rsa::pss::Signature::try_from(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            (PublicMaterial::P256(k), Algorithm::ES256) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| EcVerifier::verify(k, message, &s).is_ok())
            }
            (PublicMaterial::P384(k), Algorithm::ES384) => {
                p384::ecdsa::Signature::from_slice(signature).is_ok_and(|s| EcVerifier::verify(k, message, &s).is_ok())
            }
            (PublicMaterial::Ed25519(k), Algorithm::EdDSA) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            _ => false,
        }
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    <[u8; N]>::try_from(bytes).map_err(|_| invalid("a coordinate has the wrong length"))
}
