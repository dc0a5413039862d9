//! Private keys: parsing every format Kafka users have into one normalized form, the public JWK
//! and its RFC 7638 thumbprint, and the cached signer ([`SigningKey`]).
//!
//! Formats read (all parsed by the RustCrypto crates):
//!
//! | input | PEM label | made by |
//! |---|---|---|
//! | PKCS#8 | `PRIVATE KEY` (or DER) | `openssl genpkey …` |
//! | encrypted PKCS#8, PBES2 (PBKDF2 or scrypt; AES-CBC or 3DES) | `ENCRYPTED PRIVATE KEY` | `openssl pkcs8 -topk8` |
//! | encrypted PKCS#8, PBES1 / PKCS#12 PBE | `ENCRYPTED PRIVATE KEY` | `openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES` |
//! | PKCS#1 RSA | `RSA PRIVATE KEY` | `openssl pkey -traditional` |
//! | SEC1 EC | `EC PRIVATE KEY` | `openssl ecparam -genkey` |
//! | private JWK | JSON | any JOSE library |
//!
//! Refused, each with its own [`ErrorKind`]: RSA under 2048 bits (`weak_key`), curves other than
//! P-256/P-384 (`unsupported_key`), OpenSSL's old `Proc-Type: 4,ENCRYPTED` PEM encryption
//! (`unsupported_key`, with the command that converts it), a passphrase for a plain key
//! (`passphrase_not_needed`), no passphrase for an encrypted key (`passphrase_required`), and a
//! wrong one (`wrong_passphrase`).

mod jwk;
mod legacy_pbe;
mod signer;
mod verify;

use std::fmt;
use std::sync::Arc;

use der::asn1::OctetStringRef;
use der::{Decode, Encode, Sequence};
use p256::elliptic_curve::sec1::ToSec1Point;
use pkcs8::ObjectIdentifier;
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::encoding::b64url;
use crate::error::{fail, Error, ErrorKind, Result};
use crate::secret::Secret;

pub use signer::{Backend, SigningKey};
pub use verify::VerifyingKey;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");

/// The smallest RSA modulus we sign with (NIST SP 800-131A; Entra ID and Okta require it too).
pub const MIN_RSA_BITS: usize = 2048;

/// The key family, which decides the algorithms a key can sign with.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA (RS256, PS256).
    Rsa,
    /// EC on P-256 (ES256).
    P256,
    /// EC on P-384 (ES384).
    P384,
    /// Ed25519 (EdDSA).
    Ed25519,
}

impl KeyType {
    /// Whether a key of this type can sign with `alg`.
    pub const fn fits(self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (Self::Rsa, Algorithm::RS256 | Algorithm::PS256)
                | (Self::P256, Algorithm::ES256)
                | (Self::P384, Algorithm::ES384)
                | (Self::Ed25519, Algorithm::EdDSA)
        )
    }

    /// A short name for messages (`RSA`, `EC P-256`, …).
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::P256 => "EC P-256",
            Self::P384 => "EC P-384",
            Self::Ed25519 => "Ed25519",
        }
    }
}

/// The normalized key material. Every type here zeroizes itself on drop.
pub(crate) enum KeyMaterial {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A parsed private key in one normalized form, whatever format it came from.
///
/// Cheap to clone (the material is shared). `Debug` prints only the key type.
#[derive(Clone)]
pub struct PrivateKey {
    material: Arc<KeyMaterial>,
    /// A `kid` that came with the key (a JWK's `kid` member).
    key_id: Option<String>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("type", &self.key_type().describe())
            .field("material", &"[redacted]")
            .finish()
    }
}

/// The kinds of private-key PEM block we read, by label.
const KEY_LABELS: &[&str] = &["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

impl PrivateKey {
    /// Reads a key file's contents: PEM (dispatched on its label), a private JWK (JSON), or DER
    /// PKCS#8 (plain or encrypted). `passphrase` is for encrypted PKCS#8 only.
    pub fn from_bytes(bytes: &[u8], passphrase: Option<&Secret>) -> Result<Self> {
        let text = std::str::from_utf8(bytes).ok().map(str::trim_start);
        match text {
            Some(t) if t.starts_with('{') => {
                refuse_passphrase(passphrase)?;
                Self::from_jwk(t)
            }
            Some(t) if t.contains("-----BEGIN") => Self::from_pem(t, passphrase),
            _ => Self::from_pkcs8_der(bytes, passphrase),
        }
    }

    /// Reads the first private-key block of a PEM text: `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`,
    /// `RSA PRIVATE KEY` or `EC PRIVATE KEY`. Other blocks (certificates, `EC PARAMETERS`) and
    /// text around the blocks are skipped.
    pub fn from_pem(pem: &str, passphrase: Option<&Secret>) -> Result<Self> {
        let (label, block) = find_pem_block(pem, KEY_LABELS).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidKey,
                "no private key PEM block found (expected BEGIN PRIVATE KEY, ENCRYPTED PRIVATE KEY, \
                 RSA PRIVATE KEY or EC PRIVATE KEY)",
            )
        })?;
        if block.contains("Proc-Type:") {
            return fail(
                ErrorKind::UnsupportedKey,
                "the key uses OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED), which Kafka \
                 cannot read either; convert it with `openssl pkcs8 -topk8 -in old.pem -out new.pem`",
            );
        }
        let der = match pem_rfc7468::decode_vec(block.as_bytes()) {
            Ok((_, der)) => der,
            Err(_) => rewrapped_pem(label, block)
                .and_then(|strict| pem_rfc7468::decode_vec(strict.as_bytes()).ok().map(|(_, der)| der))
                .ok_or_else(|| {
                    Error::new(ErrorKind::InvalidKey, format!("the {label} PEM block is not valid base64 PEM"))
                })?,
        };
        let der = Zeroizing::new(der);
        match label {
            "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => Self::from_pkcs8_der(&der, passphrase),
            "RSA PRIVATE KEY" => {
                refuse_passphrase(passphrase)?;
                Self::from_pkcs1_der(&der)
            }
            _ => {
                refuse_passphrase(passphrase)?;
                Self::from_sec1_der(&der)
            }
        }
    }

    /// Reads PKCS#8 DER: a `PrivateKeyInfo`, or an `EncryptedPrivateKeyInfo` when a passphrase is
    /// given (PBES2 with PBKDF2 or scrypt, PBES1, PKCS#12 PBE).
    pub fn from_pkcs8_der(der: &[u8], passphrase: Option<&Secret>) -> Result<Self> {
        if let Ok(info) = RawEncryptedPrivateKeyInfo::from_der(der) {
            let Some(pass) = passphrase else {
                return fail(
                    ErrorKind::PassphraseRequired,
                    "the private key is encrypted; set the passphrase \
                     (sasl.oauthbearer.assertion.private.key.passphrase)",
                );
            };
            let plain = decrypt_pkcs8(der, &info, pass)?;
            return Self::from_plain_pkcs8(&plain).map_err(|e| match e.kind() {
                // A wrong passphrase can leave valid padding by chance; the DER then fails.
                ErrorKind::InvalidKey => wrong_passphrase(),
                _ => e,
            });
        }
        refuse_passphrase(passphrase)?;
        Self::from_plain_pkcs8(der)
    }

    fn from_plain_pkcs8(der: &[u8]) -> Result<Self> {
        use pkcs8::DecodePrivateKey;
        let info = pkcs8::PrivateKeyInfo::try_from(der)
            .map_err(|_| Error::new(ErrorKind::InvalidKey, "the key is not valid PKCS#8 DER"))?;
        let oid = info.algorithm.oid;
        let material = if oid == OID_RSA {
            KeyMaterial::Rsa(Box::new(rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|_| invalid("RSA PKCS#8"))?))
        } else if oid == OID_EC {
            let curve: ObjectIdentifier =
                info.algorithm.parameters_oid().map_err(|_| invalid("EC PKCS#8 (no named curve)"))?;
            let sec1 = sec1::EcPrivateKey::from_der(info.private_key);
            match curve {
                OID_P256 => KeyMaterial::P256(
                    sec1.ok()
                        .and_then(|k| ec_secret::<p256::NistP256>(&k))
                        .ok_or_else(|| invalid("EC P-256 PKCS#8"))?,
                ),
                OID_P384 => KeyMaterial::P384(
                    sec1.ok()
                        .and_then(|k| ec_secret::<p384::NistP384>(&k))
                        .ok_or_else(|| invalid("EC P-384 PKCS#8"))?,
                ),
                other => return unsupported_curve(other),
            }
        } else if oid == OID_ED25519 {
            KeyMaterial::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| invalid("Ed25519 PKCS#8"))?,
            ))
        } else if oid == OID_RSA_PSS {
            return fail(
                ErrorKind::UnsupportedKey,
                "RSA-PSS-restricted keys (OID 1.2.840.113549.1.1.10) are not supported; generate a \
                 plain RSA key (`openssl genpkey -algorithm RSA`) and sign with PS256",
            );
        } else {
            return fail(ErrorKind::UnsupportedKey, format!("unsupported key algorithm OID {oid}"));
        };
        Self::checked(material, None)
    }

    /// A fresh P-256 key from the OS random source (`getrandom`), for an ephemeral local issuer.
    pub fn generate_p256() -> Result<Self> {
        use rand_core::RngCore;
        let mut bytes = Zeroizing::new([0u8; 32]);
        // A random 32-byte string is a valid scalar except with probability ~2^-32; draw again then.
        for _ in 0..8 {
            rand_core::OsRng
                .try_fill_bytes(bytes.as_mut())
                .map_err(|_| Error::new(ErrorKind::SigningFailed, "the OS random source failed"))?;
            if let Ok(key) = p256::SecretKey::from_slice(bytes.as_ref()) {
                return Self::checked(KeyMaterial::P256(key), None);
            }
        }
        fail(ErrorKind::SigningFailed, "the OS random source keeps returning invalid P-256 scalars")
    }

    /// Reads a PKCS#1 `RSAPrivateKey` (DER).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        use pkcs1::DecodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs1_der(der).map_err(|_| invalid("PKCS#1 RSA"))?;
        Self::checked(KeyMaterial::Rsa(Box::new(key)), None)
    }

    /// Reads a SEC1 `ECPrivateKey` (DER) on P-256 or P-384.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self> {
        let parsed = sec1::EcPrivateKey::from_der(der).map_err(|_| invalid("SEC1 EC"))?;
        let curve = parsed.parameters.and_then(|p| p.named_curve());
        let material = match curve {
            Some(OID_P256) => KeyMaterial::P256(ec_secret(&parsed).ok_or_else(|| invalid("SEC1 P-256"))?),
            Some(OID_P384) => KeyMaterial::P384(ec_secret(&parsed).ok_or_else(|| invalid("SEC1 P-384"))?),
            Some(other) => return unsupported_curve(other),
            None => return fail(ErrorKind::InvalidKey, "the SEC1 EC key does not name its curve"),
        };
        Self::checked(material, None)
    }

    /// Reads a private JWK (RFC 7517): `kty` `RSA` (with `p` and `q`), `EC` on P-256/P-384, or
    /// `OKP` Ed25519. The public members, when present, must match the private key. A `kid`
    /// member becomes the key's default key id.
    pub fn from_jwk(json: &str) -> Result<Self> {
        let (material, kid) = jwk::parse(json)?;
        Self::checked(material, kid)
    }

    fn checked(material: KeyMaterial, key_id: Option<String>) -> Result<Self> {
        if let KeyMaterial::Rsa(key) = &material {
            let bits = key.n().bits();
            if bits < MIN_RSA_BITS {
                return fail(
                    ErrorKind::WeakKey,
                    format!("the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"),
                );
            }
        }
        Ok(Self { material: Arc::new(material), key_id })
    }

    /// The key's family.
    pub fn key_type(&self) -> KeyType {
        match &*self.material {
            KeyMaterial::Rsa(_) => KeyType::Rsa,
            KeyMaterial::P256(_) => KeyType::P256,
            KeyMaterial::P384(_) => KeyType::P384,
            KeyMaterial::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The `kid` that came with the key (from a JWK), if any.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// The algorithm a key of this type signs with when none is configured
    /// (RS256, ES256, ES384, EdDSA).
    pub fn default_algorithm(&self) -> Algorithm {
        match self.key_type() {
            KeyType::Rsa => Algorithm::RS256,
            KeyType::P256 => Algorithm::ES256,
            KeyType::P384 => Algorithm::ES384,
            KeyType::Ed25519 => Algorithm::EdDSA,
        }
    }

    pub(crate) fn material(&self) -> &KeyMaterial {
        &self.material
    }

    /// The public key as a JWK holding exactly the RFC 7638 required members, in lexicographic
    /// order (`{e,kty,n}`, `{crv,kty,x,y}`, `{crv,kty,x}`).
    pub fn public_jwk(&self) -> Map<String, Value> {
        let members: Vec<(&str, String)> = match &*self.material {
            KeyMaterial::Rsa(k) => {
                vec![("e", b64url(&k.e().to_bytes_be())), ("kty", "RSA".into()), ("n", b64url(&k.n().to_bytes_be()))]
            }
            KeyMaterial::P256(k) => {
                let point = k.public_key().to_sec1_point(false);
                ec_members("P-256", point.x().map(|x| &x[..]), point.y().map(|y| &y[..]))
            }
            KeyMaterial::P384(k) => {
                let point = k.public_key().to_sec1_point(false);
                ec_members("P-384", point.x().map(|x| &x[..]), point.y().map(|y| &y[..]))
            }
            KeyMaterial::Ed25519(k) => {
                vec![("crv", "Ed25519".into()), ("kty", "OKP".into()), ("x", b64url(k.verifying_key().as_bytes()))]
            }
        };
        members.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v))).collect()
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): a stable `kid` for the key.
    pub fn thumbprint(&self) -> String {
        // public_jwk() is already the canonical member set in lexicographic order, and
        // serde_json writes it without whitespace, which is exactly RFC 7638 §3.
        let canonical = Value::Object(self.public_jwk()).to_string();
        b64url(&Sha256::digest(canonical.as_bytes()))
    }

    /// The DER `SubjectPublicKeyInfo` of the public key (used to match a certificate to the key).
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        use pkcs8::EncodePublicKey;
        let doc = match &*self.material {
            KeyMaterial::Rsa(k) => k.to_public_key().to_public_key_der().map(|d| d.as_bytes().to_vec()),
            KeyMaterial::P256(k) => {
                ec_public_key_der(OID_P256, k.public_key().to_sec1_point(false).as_bytes()).map_err(Into::into)
            }
            KeyMaterial::P384(k) => {
                ec_public_key_der(OID_P384, k.public_key().to_sec1_point(false).as_bytes()).map_err(Into::into)
            }
            KeyMaterial::Ed25519(k) => k.verifying_key().to_public_key_der().map(|d| d.as_bytes().to_vec()),
        };
        doc.map_err(|_| Error::new(ErrorKind::InvalidKey, "cannot encode the public key"))
    }

    /// A [`SigningKey`] for `alg` on the default backend, built once and reused for every
    /// signature. Fails with `key_algorithm_mismatch` if the key cannot sign with `alg`.
    pub fn signing_key(&self, alg: Algorithm) -> Result<SigningKey> {
        SigningKey::new(self.clone(), alg, Backend::default())
    }
}

fn ec_members(crv: &str, x: Option<&[u8]>, y: Option<&[u8]>) -> Vec<(&'static str, String)> {
    vec![
        ("crv", crv.to_owned()),
        ("kty", "EC".into()),
        ("x", x.map(b64url).unwrap_or_default()),
        ("y", y.map(b64url).unwrap_or_default()),
    ]
}

fn invalid(what: &str) -> Error {
    Error::new(ErrorKind::InvalidKey, format!("the key is not a valid {what} private key"))
}

fn wrong_passphrase() -> Error {
    Error::new(ErrorKind::WrongPassphrase, "the passphrase does not decrypt the private key")
}

/// The secret scalar of a SEC1 `ECPrivateKey` on curve `C`, read as elliptic-curve 0.13's
/// `SecretKey::from_sec1_der` did before the curves moved to 0.14 (whose own PKCS#8/SEC1 readers sit on a
/// second der/pkcs8 line): the scalar may be 24 bytes up to the field's size (left-padded: some
/// encoders drop leading zero bytes) and must be in 1..n; a public key in the structure must be the
/// scalar's.
/// `None` says only "invalid": the callers name the format, and never the bytes.
fn ec_secret<C>(key: &sec1::EcPrivateKey<'_>) -> Option<p256::elliptic_curve::SecretKey<C>>
where
    C: p256::elliptic_curve::CurveArithmetic,
    p256::elliptic_curve::FieldBytesSize<C>: p256::elliptic_curve::sec1::ModulusSize,
    p256::elliptic_curve::AffinePoint<C>: p256::elliptic_curve::sec1::FromSec1Point<C> + ToSec1Point<C>,
{
    let secret = p256::elliptic_curve::SecretKey::<C>::from_slice(key.private_key).ok()?;
    match key.public_key {
        Some(embedded) => {
            let embedded = p256::elliptic_curve::PublicKey::<C>::from_sec1_bytes(embedded).ok()?;
            (embedded == secret.public_key()).then_some(secret)
        }
        None => Some(secret),
    }
}

/// An EC public key's DER `SubjectPublicKeyInfo` (RFC 5480: id-ecPublicKey, the named curve, the
/// uncompressed point), built with the der/spki line the other key types encode with.
fn ec_public_key_der(curve: ObjectIdentifier, point: &[u8]) -> der::Result<Vec<u8>> {
    let parameters = der::asn1::AnyRef::from(&curve);
    spki::SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef { oid: OID_EC, parameters: Some(parameters) },
        subject_public_key: der::asn1::BitStringRef::from_bytes(point)?,
    }
    .to_der()
}

fn unsupported_curve<T>(oid: ObjectIdentifier) -> Result<T> {
    let name = match oid.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1".to_owned(),
        "1.3.132.0.35" => "P-521".to_owned(),
        other => format!("OID {other}"),
    };
    fail(ErrorKind::UnsupportedKey, format!("EC curve {name} is not supported; use P-256 (ES256) or P-384 (ES384)"))
}

fn refuse_passphrase(passphrase: Option<&Secret>) -> Result<()> {
    match passphrase {
        Some(_) => fail(
            ErrorKind::PassphraseNotNeeded,
            "a passphrase was given but the private key is not encrypted; remove the passphrase \
             (Kafka's Java client fails here with a bare \"overrun\" error)",
        ),
        None => Ok(()),
    }
}

/// `EncryptedPrivateKeyInfo` read at the `AlgorithmIdentifier` level, so that schemes the
/// `pkcs5` crate does not know (PKCS#12 PBE) can still be recognised.
#[derive(Sequence)]
struct RawEncryptedPrivateKeyInfo<'a> {
    algorithm: AlgorithmIdentifierRef<'a>,
    data: OctetStringRef<'a>,
}

/// The most PBKDF2 iterations a key file may ask for (10 M, a few seconds of CPU): `pkcs5` allows
/// 100 M, a minute or more, and the key file decides. OpenSSL writes 2048, Python's `cryptography`
/// and Java's keytool use at most a few hundred thousand.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// The most memory an scrypt-encrypted key may make the parser use (1 GiB, `N·r·p·128` bytes): the
/// file sets `N`, `r` and `p`, and `scrypt` allocates `N·r·128` bytes without a bound (a 2^32 `N`
/// asks for terabytes). OpenSSL writes `N` = 16384, `r` = 8 (16 MiB); the "sensitive" profile of
/// the scrypt paper (`N` = 2^20, `r` = 8) is exactly 1 GiB.
pub const MAX_SCRYPT_BYTES: u64 = 1 << 30;

/// Refuses key-derivation costs a key file could use to hang or exhaust the host before the
/// passphrase is even tried (`unsupported_key`, naming the cost and the limit).
fn check_kdf_cost(scheme: &pkcs5::EncryptionScheme<'_>) -> Result<()> {
    let pkcs5::EncryptionScheme::Pbes2(params) = scheme else { return Ok(()) };
    match &params.kdf {
        pkcs5::pbes2::Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => fail(
            ErrorKind::UnsupportedKey,
            format!(
                "the key asks for {} PBKDF2 iterations; at most {MAX_PBKDF2_ITERATIONS} are allowed (re-encrypt it with fewer)",
                p.iteration_count
            ),
        ),
        pkcs5::pbes2::Kdf::Scrypt(p) => {
            let bytes = u128::from(p.cost_parameter)
                * u128::from(p.block_size)
                * u128::from(p.parallelization.max(1))
                * 128;
            if bytes > u128::from(MAX_SCRYPT_BYTES) {
                return fail(
                    ErrorKind::UnsupportedKey,
                    format!(
                        "the key's scrypt cost (N={}, r={}, p={}) needs more than {} MiB; re-encrypt it with a smaller N",
                        p.cost_parameter,
                        p.block_size,
                        p.parallelization,
                        MAX_SCRYPT_BYTES >> 20
                    ),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn decrypt_pkcs8(der: &[u8], info: &RawEncryptedPrivateKeyInfo<'_>, pass: &Secret) -> Result<Zeroizing<Vec<u8>>> {
    let password = pass.expose().as_bytes();
    if info.algorithm.oid == OID_PBES2 {
        let parsed = pkcs8::EncryptedPrivateKeyInfo::try_from(der).map_err(|_| {
            Error::new(
                ErrorKind::UnsupportedKey,
                "the key's PBES2 parameters use a KDF or cipher we do not support \
                 (supported: PBKDF2 with HMAC-SHA1/SHA-224/SHA-256/SHA-384/SHA-512 or scrypt; \
                 AES-128/192/256-CBC, DES-EDE3-CBC)",
            )
        })?;
        check_kdf_cost(&parsed.encryption_algorithm)?;
        return parsed.decrypt(password).map(|doc| Zeroizing::new(doc.as_bytes().to_vec())).map_err(|e| match e {
            pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::UnsupportedAlgorithm { .. }) => {
                Error::new(ErrorKind::UnsupportedKey, "the key's PBES2 cipher is not supported")
            }
            _ => wrong_passphrase(),
        });
    }
    let params = info.algorithm.parameters.map(|p| p.to_der()).transpose().ok().flatten();
    match legacy_pbe::decrypt(info.algorithm.oid, params.as_deref().unwrap_or_default(), password, info.data.as_bytes())
    {
        Ok(plain) => Ok(plain),
        Err(legacy_pbe::LegacyPbeError::Decrypt) => Err(wrong_passphrase()),
        Err(legacy_pbe::LegacyPbeError::Unsupported) => {
            fail(ErrorKind::UnsupportedKey, format!("unsupported key encryption scheme OID {}", info.algorithm.oid))
        }
    }
}

/// Finds the first PEM block whose label is one of `labels`; returns the label and the block's
/// full text (BEGIN line to END line).
/// `block` re-wrapped in RFC 7468's strict form (64 columns, `\n`), the only one pem-rfc7468
/// decodes: OpenSSL and Kafka's Java client read a key's base64 at any line width, on one line
/// (Java's `Base64.getEncoder()`, a flattened environment variable) and wrapped at 76 columns
/// (Java's MIME encoder, many secret stores), so we must too (RFC 7468 §3 allows lax parsers).
/// Only white space moves: a block whose base64 is not ASCII, or that has headers, is left to
/// the strict decoder's refusal.
fn rewrapped_pem(label: &str, block: &str) -> Option<Zeroizing<String>> {
    let (begin, end) = (format!("-----BEGIN {label}-----"), format!("-----END {label}-----"));
    let body = block.strip_prefix(&begin)?.strip_suffix(&end)?;
    let base64: Zeroizing<String> = Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    if !base64.is_ascii() || base64.contains(':') {
        return None;
    }
    let mut out = Zeroizing::new(String::with_capacity(base64.len() + base64.len() / 64 + begin.len() + end.len() + 4));
    out.push_str(&begin);
    out.push('\n');
    for line in base64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).ok()?);
        out.push('\n');
    }
    out.push_str(&end);
    out.push('\n');
    Some(out)
}

pub(crate) fn find_pem_block<'a>(text: &'a str, labels: &[&'static str]) -> Option<(&'static str, &'a str)> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----")?;
        let label = &after[..label_end];
        let end_marker = format!("-----END {label}-----");
        let block_end = after.find(&end_marker)? + 11 + end_marker.len();
        if let Some(known) = labels.iter().find(|l| **l == label) {
            return Some((known, &rest[start..start + block_end]));
        }
        rest = &rest[start + block_end..];
    }
    None
}

#[cfg(test)]
mod tests;
