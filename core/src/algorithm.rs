//! The signing algorithms and how their names are parsed.

use std::fmt;
use std::str::FromStr;

use crate::error::{fail, Error, ErrorKind};

/// A JWS signing algorithm (RFC 7518).
///
/// Kafka supports `RS256` and `ES256`; we add `PS256` (Entra ID's recommendation), `ES384` and
/// `EdDSA` (Ed25519). Names parse case-insensitively, as Kafka's `CaseInsensitiveValidString`
/// does, but we always write the canonical name into the `alg` header: Kafka writes what was
/// typed, so `rs256` comes out as `"alg":"rs256"`, which is not a registered JWS algorithm.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// ECDSA on P-256 with SHA-256; 64-byte R‖S signature.
    ES256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    PS256,
    /// ECDSA on P-384 with SHA-384; 96-byte R‖S signature.
    ES384,
    /// EdDSA with Ed25519.
    EdDSA,
}

impl Algorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: &'static [Self] = &[Self::RS256, Self::ES256, Self::PS256, Self::ES384, Self::EdDSA];

    /// The canonical JWS name (`RS256`, …, `EdDSA`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::PS256 => "PS256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Whether Kafka's Java client accepts this algorithm (`RS256` and `ES256` only).
    pub const fn is_kafka_supported(self) -> bool {
        matches!(self, Self::RS256 | Self::ES256)
    }

    /// The matching jsonwebtoken algorithm.
    pub const fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::RS256 => jsonwebtoken::Algorithm::RS256,
            Self::ES256 => jsonwebtoken::Algorithm::ES256,
            Self::PS256 => jsonwebtoken::Algorithm::PS256,
            Self::ES384 => jsonwebtoken::Algorithm::ES384,
            Self::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl Algorithm {
    /// The algorithm a JWS header's `alg` names, matched exactly (`none` and unknown names: `None`).
    pub fn from_jws_alg(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses a name case-insensitively after trimming, as Kafka does.
    fn from_str(s: &str) -> Result<Self, Error> {
        let name = s.trim();
        Self::ALL.iter().copied().find(|a| a.as_str().eq_ignore_ascii_case(name)).map_or_else(
            || {
                fail(
                    ErrorKind::InvalidAlgorithm,
                    format!("unsupported signing algorithm {name:?}; use one of RS256, ES256, PS256, ES384, EdDSA"),
                )
            },
            Ok,
        )
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_prints_canonically() {
        assert_eq!(" rs256 ".parse::<Algorithm>().map(|a| a.to_string()).ok(), Some("RS256".into()));
        assert_eq!("eddsa".parse::<Algorithm>().ok(), Some(Algorithm::EdDSA));
        let err = "HS256".parse::<Algorithm>().err().map(|e| e.code());
        assert_eq!(err, Some("invalid_algorithm"));
    }
}
