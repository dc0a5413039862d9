//! Private JWK input (RFC 7517 / RFC 7518 §6).

use p256::elliptic_curve::sec1::ToSec1Point;
use rsa::BigUint;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::KeyMaterial;
use crate::encoding::b64url_decode;
use crate::error::{fail, Error, ErrorKind, Result};

/// The members we read. Private members are zeroized on drop.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct Jwk {
    kty: Option<String>,
    crv: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn invalid_jwk(what: &str) -> Error {
    Error::new(ErrorKind::InvalidKey, format!("invalid private JWK: {what}"))
}

fn member(value: Option<&String>, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    let text = value.ok_or_else(|| invalid_jwk(&format!("member \"{name}\" is missing")))?;
    b64url_decode(text).map(Zeroizing::new).map_err(|_| invalid_jwk(&format!("member \"{name}\" is not base64url")))
}

/// Parses a private JWK into key material and its `kid`.
pub(super) fn parse(json: &str) -> Result<(KeyMaterial, Option<String>)> {
    let jwk: Jwk = serde_json::from_str(json).map_err(|_| invalid_jwk("not a JSON object"))?;
    if jwk.d.is_none() {
        return fail(ErrorKind::InvalidKey, "the JWK is a public key (no \"d\" member); a private key is needed");
    }
    let material = match (jwk.kty.as_deref(), jwk.crv.as_deref()) {
        (Some("RSA"), _) => rsa_key(&jwk)?,
        (Some("EC"), Some("P-256")) => {
            let d = member(jwk.d.as_ref(), "d")?;
            let key = p256::SecretKey::from_slice(&d).map_err(|_| invalid_jwk("bad P-256 \"d\""))?;
            let point = key.public_key().to_sec1_point(false);
            check_public(&jwk, point.x().map(|x| &x[..]), point.y().map(|y| &y[..]))?;
            KeyMaterial::P256(key)
        }
        (Some("EC"), Some("P-384")) => {
            let d = member(jwk.d.as_ref(), "d")?;
            let key = p384::SecretKey::from_slice(&d).map_err(|_| invalid_jwk("bad P-384 \"d\""))?;
            let point = key.public_key().to_sec1_point(false);
            check_public(&jwk, point.x().map(|x| &x[..]), point.y().map(|y| &y[..]))?;
            KeyMaterial::P384(key)
        }
        (Some("OKP"), Some("Ed25519")) => {
            let d = member(jwk.d.as_ref(), "d")?;
            let seed: [u8; 32] = d.as_slice().try_into().map_err(|_| invalid_jwk("Ed25519 \"d\" must be 32 bytes"))?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            check_public(&jwk, Some(key.verifying_key().as_bytes()), None)?;
            KeyMaterial::Ed25519(Box::new(key))
        }
        (Some("EC" | "OKP"), crv) => {
            return fail(
                ErrorKind::UnsupportedKey,
                format!("JWK curve {:?} is not supported; use P-256, P-384 or Ed25519", crv.unwrap_or("")),
            )
        }
        (kty, _) => {
            return fail(ErrorKind::UnsupportedKey, format!("JWK key type {:?} is not supported", kty.unwrap_or("")))
        }
    };
    Ok((material, jwk.kid.clone()))
}

fn rsa_key(jwk: &Jwk) -> Result<KeyMaterial> {
    let int = |v: Option<&String>, name: &str| member(v, name).map(|b| BigUint::from_bytes_be(&b));
    let (n, e, d) = (int(jwk.n.as_ref(), "n")?, int(jwk.e.as_ref(), "e")?, int(jwk.d.as_ref(), "d")?);
    if jwk.p.is_none() || jwk.q.is_none() {
        return fail(ErrorKind::UnsupportedKey, "RSA JWKs without the primes \"p\" and \"q\" are not supported");
    }
    let primes = vec![int(jwk.p.as_ref(), "p")?, int(jwk.q.as_ref(), "q")?];
    let mut key =
        rsa::RsaPrivateKey::from_components(n, e, d, primes).map_err(|_| invalid_jwk("inconsistent RSA members"))?;
    key.validate().map_err(|_| invalid_jwk("inconsistent RSA members"))?;
    key.precompute().map_err(|_| invalid_jwk("inconsistent RSA members"))?;
    Ok(KeyMaterial::Rsa(Box::new(key)))
}

fn check_public(jwk: &Jwk, x: Option<&[u8]>, y: Option<&[u8]>) -> Result<()> {
    for (name, given, derived) in [("x", jwk.x.as_ref(), x), ("y", jwk.y.as_ref(), y)] {
        if let (Some(given), Some(derived)) = (given, derived) {
            if member(Some(given), name)?.as_slice() != derived {
                return fail(ErrorKind::InvalidKey, format!("invalid private JWK: \"{name}\" does not match \"d\""));
            }
        }
    }
    Ok(())
}
