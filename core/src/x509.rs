//! X.509 certificate thumbprints for the `x5t` and `x5t#S256` JWS headers (RFC 7515 §4.1.7–8).
//!
//! Entra ID certificate credentials identify the key by `x5t` (SHA-1) or `x5t#S256` (SHA-256) of
//! the certificate's DER, base64url-encoded.

use der::Decode;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::encoding::b64url;
use crate::error::{fail, Error, ErrorKind, Result};
use crate::key::{find_pem_block, PrivateKey};

/// Which thumbprint header names the certificate in an assertion. Microsoft's documents disagree:
/// the current certificate-credentials page, and MSAL for Entra (with PS256), send `x5t#S256`;
/// older pages, ADFS, and tenants that answer AADSTS700027 to `x5t#S256`
/// (MicrosoftDocs/entra-docs#1301) want the SHA-1 `x5t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThumbprintHeader {
    /// `x5t#S256` only (Microsoft's current documents, MSAL's choice for Entra).
    #[default]
    X5tS256,
    /// `x5t` only (older documents, ADFS).
    X5t,
    /// Both headers.
    Both,
}

impl ThumbprintHeader {
    /// The header for a certificate a front was or was not given: `header`, else the default;
    /// `invalid_config` for a header without a certificate.
    pub fn for_certificate(has_certificate: bool, header: Option<Self>) -> Result<Self> {
        if header.is_some() && !has_certificate {
            return fail(ErrorKind::InvalidConfig, "a thumbprint header needs a certificate");
        }
        Ok(header.unwrap_or_default())
    }
}

impl std::str::FromStr for ThumbprintHeader {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "x5t#S256" | "x5t#s256" => Ok(Self::X5tS256),
            "x5t" => Ok(Self::X5t),
            "both" => Ok(Self::Both),
            _ => fail(ErrorKind::InvalidConfig, format!("unknown thumbprint header {s:?}; use x5t#S256, x5t or both")),
        }
    }
}

/// The two thumbprints of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateThumbprints {
    /// `x5t`: base64url SHA-1 of the DER certificate.
    pub x5t: String,
    /// `x5t#S256`: base64url SHA-256 of the DER certificate.
    pub x5t_s256: String,
    /// The certificate's `SubjectPublicKeyInfo` (DER), to match it against a private key.
    spki: Vec<u8>,
}

impl CertificateThumbprints {
    /// Reads the first `CERTIFICATE` block of a PEM text (a chain's leaf comes first).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (_, block) = find_pem_block(pem, &["CERTIFICATE"])
            .ok_or_else(|| Error::new(ErrorKind::InvalidCertificate, "no BEGIN CERTIFICATE block found"))?;
        let (_, der) = pem_rfc7468::decode_vec(block.as_bytes())
            .map_err(|_| Error::new(ErrorKind::InvalidCertificate, "the CERTIFICATE block is not valid PEM"))?;
        Self::from_der(&der)
    }

    /// Reads a certificate file: PEM (the first `CERTIFICATE` block) or DER.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.trim_ascii_start().starts_with(b"-----") {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Error::new(ErrorKind::InvalidCertificate, "the PEM certificate is not UTF-8"))?;
            Self::from_pem(text)
        } else {
            Self::from_der(bytes)
        }
    }

    /// The JWS header members that name this certificate in `style`.
    pub fn header_members(&self, style: ThumbprintHeader) -> Vec<(&'static str, &str)> {
        match style {
            ThumbprintHeader::X5tS256 => vec![("x5t#S256", &self.x5t_s256)],
            ThumbprintHeader::X5t => vec![("x5t", &self.x5t)],
            ThumbprintHeader::Both => vec![("x5t", &self.x5t), ("x5t#S256", &self.x5t_s256)],
        }
    }

    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        use der::Encode;
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Error::new(ErrorKind::InvalidCertificate, "the certificate is not valid X.509 DER"))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|_| Error::new(ErrorKind::InvalidCertificate, "cannot read the certificate's public key"))?;
        Ok(Self { x5t: b64url(&Sha1::digest(der)), x5t_s256: b64url(&Sha256::digest(der)), spki })
    }

    /// Checks that the certificate holds `key`'s public key (an IdP rejects the assertion
    /// otherwise, usually with an unhelpful message).
    pub fn check_matches(&self, key: &PrivateKey) -> Result<()> {
        if key.public_key_der()? == self.spki {
            Ok(())
        } else {
            fail(ErrorKind::InvalidCertificate, "the certificate's public key does not belong to the signing key")
        }
    }
}
