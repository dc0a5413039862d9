//! Decryption of the two pre-PBES2 password schemes OpenSSL still writes for encrypted PKCS#8:
//! PKCS#5 PBES1 (`openssl pkcs8 -topk8 -v1 PBE-SHA1-DES` / `PBE-MD5-DES`) and PKCS#12 PBE
//! (`-v1 PBE-SHA1-3DES`, which Kafka's Java client reads on every JDK).
//!
//! Hand-written on purpose: RustCrypto's `pkcs5` parses PBES1 parameters but refuses to decrypt
//! them ("won't fix", `Error::NoPbes1CryptSupport`), and its `pkcs12` KDF is only published as a
//! pre-release. Both schemes are short (RFC 8018 §5.1/§6.1, RFC 7292 Appendix B.2). They are
//! tested against keys that OpenSSL encrypted (`tests/keys/make-keys.sh`): decrypting with this
//! code must give the exact PKCS#8 bytes OpenSSL started from.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use der::asn1::OctetStringRef;
use der::oid::ObjectIdentifier;
use der::{Decode, Sequence};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

/// PKCS#5 v1.5 `pbeWithMD5AndDES-CBC`.
pub(super) const PBE_MD5_DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.3");
/// PKCS#5 v1.5 `pbeWithSHA1AndDES-CBC`.
pub(super) const PBE_SHA1_DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.10");
/// PKCS#12 `pbeWithSHAAnd3-KeyTripleDES-CBC`.
pub(super) const PKCS12_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
/// PKCS#12 `pbeWithSHAAnd2-KeyTripleDES-CBC`.
pub(super) const PKCS12_SHA1_2DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");

/// Why a legacy decryption failed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LegacyPbeError {
    /// The parameters are malformed or the scheme is not one of ours.
    Unsupported,
    /// Padding did not check out: the passphrase is wrong.
    Decrypt,
}

#[derive(Sequence)]
struct PbeParameter<'a> {
    salt: OctetStringRef<'a>,
    iterations: u32,
}

/// Decrypts `ciphertext` with the legacy scheme `oid` and its DER `parameters`.
pub(super) fn decrypt(
    oid: ObjectIdentifier,
    parameters: &[u8],
    password: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, LegacyPbeError> {
    let params = PbeParameter::from_der(parameters).map_err(|_| LegacyPbeError::Unsupported)?;
    let salt = params.salt.as_bytes();
    // A million rounds is far above anything a real key uses; refuse rather than spin.
    if params.iterations == 0 || params.iterations > 1_000_000 {
        return Err(LegacyPbeError::Unsupported);
    }
    let rounds = params.iterations as usize;
    match oid {
        PBE_MD5_DES => {
            let dk = pbkdf1::<md5::Md5>(password, salt, rounds);
            des_cbc::<des::Des>(&dk[..8], &dk[8..16], ciphertext)
        }
        PBE_SHA1_DES => {
            let dk = pbkdf1::<Sha1>(password, salt, rounds);
            des_cbc::<des::Des>(&dk[..8], &dk[8..16], ciphertext)
        }
        PKCS12_SHA1_3DES => {
            let key = pkcs12_kdf(password, salt, rounds, 1, 24);
            let iv = pkcs12_kdf(password, salt, rounds, 2, 8);
            des_cbc::<des::TdesEde3>(&key, &iv, ciphertext)
        }
        PKCS12_SHA1_2DES => {
            let key = pkcs12_kdf(password, salt, rounds, 1, 16);
            let iv = pkcs12_kdf(password, salt, rounds, 2, 8);
            des_cbc::<des::TdesEde2>(&key, &iv, ciphertext)
        }
        _ => Err(LegacyPbeError::Unsupported),
    }
}

fn des_cbc<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, LegacyPbeError>
where
    C: cbc::cipher::BlockDecrypt + cbc::cipher::BlockCipher + cbc::cipher::KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| LegacyPbeError::Unsupported)?;
    decryptor.decrypt_padded_vec_mut::<Pkcs7>(ciphertext).map(Zeroizing::new).map_err(|_| LegacyPbeError::Decrypt)
}

/// PBKDF1 (RFC 8018 §5.1) with a 16-byte output: DES key ‖ IV.
fn pbkdf1<D: Digest>(password: &[u8], salt: &[u8], rounds: usize) -> Zeroizing<Vec<u8>> {
    let mut t = Zeroizing::new(D::new().chain_update(password).chain_update(salt).finalize().to_vec());
    for _ in 1..rounds {
        *t = D::digest(&*t).to_vec();
    }
    t.truncate(16);
    t
}

/// The PKCS#12 key derivation (RFC 7292 Appendix B.2) with SHA-1 (u = 20, v = 64). The password
/// is the BMPString (UTF-16BE) of the passphrase plus a two-byte terminator.
fn pkcs12_kdf(password: &[u8], salt: &[u8], rounds: usize, id: u8, len: usize) -> Zeroizing<Vec<u8>> {
    const V: usize = 64;
    let bmp: Zeroizing<Vec<u8>> = Zeroizing::new(
        String::from_utf8_lossy(password).encode_utf16().chain(std::iter::once(0)).flat_map(u16::to_be_bytes).collect(),
    );
    let repeat = |src: &[u8]| -> Vec<u8> {
        if src.is_empty() {
            return Vec::new();
        }
        let n = V * src.len().div_ceil(V);
        src.iter().copied().cycle().take(n).collect()
    };
    let d = [id; V];
    let mut i = Zeroizing::new([repeat(salt), repeat(&bmp)].concat());
    let mut out = Zeroizing::new(Vec::with_capacity(len + 20));
    while out.len() < len {
        let mut a = Sha1::new().chain_update(d).chain_update(&*i).finalize();
        for _ in 1..rounds {
            a = Sha1::digest(a);
        }
        out.extend_from_slice(&a);
        // B = A repeated to v bytes; each v-byte block I_j becomes (I_j + B + 1) mod 2^(8v).
        let b: Vec<u8> = a.iter().copied().cycle().take(V).collect();
        for block in i.chunks_mut(V) {
            let mut carry = 1u16;
            for k in (0..V).rev() {
                let sum = u16::from(block[k]) + u16::from(b[k]) + carry;
                block[k] = (sum & 0xff) as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(len);
    out
}
