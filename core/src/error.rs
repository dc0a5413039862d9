//! The one error type of the crate.
//!
//! Every failure is an [`Error`] whose [`ErrorKind`] maps to a stable snake_case [`Error::code`].
//! Front ends map the code once (Python exception classes, Node `err.code`, the WIT variant), so the
//! codes never change meaning. Messages are written for people and never contain key material,
//! passphrases, client secrets, assertions or tokens: they name the property, file or field at
//! fault and say how to fix it.

use std::fmt;

/// What went wrong, as a closed set of stable codes (see [`ErrorKind::code`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The algorithm name is not one we sign with (RS256, ES256, PS256, ES384, EdDSA).
    InvalidAlgorithm,
    /// The key bytes could not be parsed as any supported key format.
    InvalidKey,
    /// The key parsed but is of a kind we refuse to use (an unsupported curve, an old
    /// OpenSSL-encrypted PEM, an unknown encryption scheme).
    UnsupportedKey,
    /// The RSA key is shorter than 2048 bits.
    WeakKey,
    /// The key's family or curve does not fit the algorithm (an EC key for RS256, P-384 for ES256).
    KeyAlgorithmMismatch,
    /// The key is encrypted and no passphrase was given.
    PassphraseRequired,
    /// A passphrase was given for a key that is not encrypted (Kafka fails with "overrun" here).
    PassphraseNotNeeded,
    /// The passphrase does not decrypt the key.
    WrongPassphrase,
    /// The X.509 certificate could not be read.
    InvalidCertificate,
    /// The assertion template file is not valid for the dialect.
    InvalidTemplate,
    /// The `client_id` sent with a client assertion names another client than the assertion's
    /// `sub` (RFC 7521 §4.2, RFC 7523 §3: IdPs answer `invalid_request`); refused in strict mode.
    ClientIdMismatch,
    /// The assertion template tries to set a claim or header the signer owns
    /// (`alg`, `typ`, `iat`, `exp`, `nbf`); refused in strict mode.
    TemplateOverride,
    /// A pre-built assertion (`sasl.oauthbearer.assertion.file`) is malformed.
    InvalidAssertion,
    /// A pre-built assertion has expired, or expires within the safety margin.
    AssertionExpired,
    /// A required configuration property is missing.
    MissingConfig,
    /// A configuration property has a value outside its type or range.
    InvalidConfig,
    /// A configuration that Kafka would accept but silently not act on as the user meant
    /// (for example a private key file without `assertion.claim.iss`); refused in strict mode.
    IneffectiveConfig,
    /// `sasl.jaas.config` could not be parsed.
    InvalidJaasConfig,
    /// A file named by the configuration could not be read.
    FileUnreadable,
    /// The token endpoint answered with an error (an HTTP error status, an RFC 6749 §5.2 or an
    /// Okta-style error body).
    TokenResponseError,
    /// The token endpoint answered with success but the body holds no usable token.
    InvalidTokenResponse,
    /// A SASL extension name or value is not allowed by RFC 7628 / Kafka.
    InvalidExtension,
    /// A Kafka principal (Google `sub`) is empty, a GKE workload-identity pool id (`*.svc.id.goog`),
    /// or neither an email address nor a `principal://` identifier.
    InvalidPrincipal,
    /// Cloud credentials are malformed or of a kind that cannot be used (an ADC JSON without its
    /// fields, an unknown credential type, empty AWS keys).
    InvalidCredentials,
    /// The cloud credentials have expired or live less than the configured floor; refresh them first
    /// rather than minting a token that dies in flight.
    CredentialsExpiring,
    /// The AWS region or partition host is empty or malformed.
    InvalidRegion,
    /// An access token that the Kafka client would refuse (the message says why, in the client's terms).
    InvalidToken,
    /// An access token whose `exp` is not after `now` (plus the allowed skew).
    TokenExpired,
    /// A SASL/OAUTHBEARER message (client-first or server error) is malformed.
    InvalidSaslMessage,
    /// The local issuer refused a client: unknown client, wrong secret, bad assertion signature or
    /// claims (RFC 7523 §3).
    ClientAuthenticationFailed,
    /// The local issuer has already seen this assertion's `jti`.
    AssertionReplayed,
    /// The local issuer was asked for a grant other than `client_credentials` (RFC 6749 §5.2:
    /// answered 400 `unsupported_grant_type`, not 401 `invalid_client`).
    UnsupportedGrantType,
    /// The signing backend or the OS random source failed. Not expected with a key that parsed;
    /// no test can provoke it.
    SigningFailed,
    /// The token endpoint could not be reached (connection refused, TLS failure, timeout). The core
    /// does no I/O; the fronts raise it, with Kafka's retry policy applied first.
    TokenEndpointUnreachable,
    /// The cloud SDK could not produce credentials (no ADC found, metadata server or STS refused).
    /// Raised by the fronts, which fetch credentials.
    CredentialsUnavailable,
    /// A token fetch did not finish before its deadline and nothing valid was cached (see
    /// [`crate::lifecycle`]); the fetch's late answer is still used if it comes.
    FetchTimeout,
    /// The address a server was told to listen on is taken by another process. Raised by the
    /// fronts and servers, which bind sockets.
    AddressInUse,
    /// No token yet: the first fetch has not returned (a server's `/readyz`).
    TokenPending,
}

impl ErrorKind {
    /// The stable snake_case code of this kind, used by every front end.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidAlgorithm => "invalid_algorithm",
            Self::InvalidKey => "invalid_key",
            Self::UnsupportedKey => "unsupported_key",
            Self::WeakKey => "weak_key",
            Self::KeyAlgorithmMismatch => "key_algorithm_mismatch",
            Self::PassphraseRequired => "passphrase_required",
            Self::PassphraseNotNeeded => "passphrase_not_needed",
            Self::WrongPassphrase => "wrong_passphrase",
            Self::InvalidCertificate => "invalid_certificate",
            Self::InvalidTemplate => "invalid_template",
            Self::ClientIdMismatch => "client_id_sub_mismatch",
            Self::TemplateOverride => "template_override",
            Self::InvalidAssertion => "invalid_assertion",
            Self::AssertionExpired => "assertion_expired",
            Self::MissingConfig => "missing_config",
            Self::InvalidConfig => "invalid_config",
            Self::IneffectiveConfig => "ineffective_config",
            Self::InvalidJaasConfig => "invalid_jaas_config",
            Self::FileUnreadable => "file_unreadable",
            Self::TokenResponseError => "token_response_error",
            Self::InvalidTokenResponse => "invalid_token_response",
            Self::InvalidExtension => "invalid_extension",
            Self::InvalidPrincipal => "invalid_principal",
            Self::InvalidCredentials => "invalid_credentials",
            Self::CredentialsExpiring => "credentials_expiring",
            Self::InvalidRegion => "invalid_region",
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::InvalidSaslMessage => "invalid_sasl_message",
            Self::ClientAuthenticationFailed => "client_authentication_failed",
            Self::AssertionReplayed => "assertion_replayed",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::SigningFailed => "signing_failed",
            Self::TokenEndpointUnreachable => "token_endpoint_unreachable",
            Self::CredentialsUnavailable => "credentials_unavailable",
            Self::FetchTimeout => "fetch_timeout",
            Self::AddressInUse => "address_in_use",
            Self::TokenPending => "token_pending",
        }
    }

    /// Every kind, in declaration order (for documentation and exhaustive tests).
    pub const ALL: &'static [Self] = &[
        Self::InvalidAlgorithm,
        Self::InvalidKey,
        Self::UnsupportedKey,
        Self::WeakKey,
        Self::KeyAlgorithmMismatch,
        Self::PassphraseRequired,
        Self::PassphraseNotNeeded,
        Self::WrongPassphrase,
        Self::InvalidCertificate,
        Self::InvalidTemplate,
        Self::ClientIdMismatch,
        Self::TemplateOverride,
        Self::InvalidAssertion,
        Self::AssertionExpired,
        Self::MissingConfig,
        Self::InvalidConfig,
        Self::IneffectiveConfig,
        Self::InvalidJaasConfig,
        Self::FileUnreadable,
        Self::TokenResponseError,
        Self::InvalidTokenResponse,
        Self::InvalidExtension,
        Self::InvalidPrincipal,
        Self::InvalidCredentials,
        Self::CredentialsExpiring,
        Self::InvalidRegion,
        Self::InvalidToken,
        Self::TokenExpired,
        Self::InvalidSaslMessage,
        Self::ClientAuthenticationFailed,
        Self::AssertionReplayed,
        Self::UnsupportedGrantType,
        Self::SigningFailed,
        Self::TokenEndpointUnreachable,
        Self::CredentialsUnavailable,
        Self::FetchTimeout,
        Self::AddressInUse,
        Self::TokenPending,
    ];

    /// The family this kind belongs to: what each front's error class tree is built from.
    pub fn family(self) -> ErrorFamily {
        use ErrorFamily as F;
        match self {
            Self::InvalidKey
            | Self::UnsupportedKey
            | Self::WeakKey
            | Self::KeyAlgorithmMismatch
            | Self::PassphraseRequired
            | Self::PassphraseNotNeeded
            | Self::WrongPassphrase
            | Self::InvalidCertificate
            | Self::SigningFailed => F::PrivateKey,
            Self::InvalidAlgorithm
            | Self::InvalidTemplate
            | Self::ClientIdMismatch
            | Self::TemplateOverride
            | Self::MissingConfig
            | Self::InvalidConfig
            | Self::IneffectiveConfig
            | Self::InvalidJaasConfig
            | Self::FileUnreadable
            | Self::AddressInUse
            | Self::InvalidExtension => F::Config,
            Self::InvalidAssertion | Self::AssertionExpired => F::PrebuiltAssertion,
            Self::TokenResponseError
            | Self::InvalidTokenResponse
            | Self::TokenEndpointUnreachable
            | Self::FetchTimeout
            | Self::TokenPending => F::TokenEndpoint,
            Self::InvalidToken | Self::TokenExpired | Self::InvalidSaslMessage => F::Token,
            Self::InvalidPrincipal
            | Self::InvalidCredentials
            | Self::CredentialsExpiring
            | Self::InvalidRegion
            | Self::CredentialsUnavailable => F::Credentials,
            Self::ClientAuthenticationFailed | Self::AssertionReplayed | Self::UnsupportedGrantType => {
                F::ClientAuthentication
            }
        }
    }

    /// The kind for a stable code, the inverse of [`ErrorKind::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }
}

/// Groups of error kinds, one per error class in the Python and Node fronts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorFamily {
    /// A private key problem (format, passphrase, strength, curve, signing).
    PrivateKey,
    /// A configuration, algorithm, template, extension or file problem.
    Config,
    /// A pre-built assertion is malformed or expired.
    PrebuiltAssertion,
    /// The token endpoint refused, failed or was unreachable.
    TokenEndpoint,
    /// An access token or SASL message a Kafka client would refuse.
    Token,
    /// Cloud credentials are missing, malformed or expiring.
    Credentials,
    /// The local issuer refused a client.
    ClientAuthentication,
}

impl ErrorFamily {
    /// The family's stable name (`private_key`, `config`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::PrivateKey => "private_key",
            Self::Config => "config",
            Self::PrebuiltAssertion => "prebuilt_assertion",
            Self::TokenEndpoint => "token_endpoint",
            Self::Token => "token",
            Self::Credentials => "credentials",
            Self::ClientAuthentication => "client_authentication",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Details of a token endpoint failure, kept apart from the message so hosts can act on them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenEndpointFailure {
    /// The HTTP status the endpoint answered with.
    pub status: u16,
    /// RFC 6749 §5.2 `error` (or Okta `errorCode`), when the body had one.
    pub error: Option<String>,
    /// RFC 6749 §5.2 `error_description` (or Okta `errorSummary`), when the body had one.
    pub error_description: Option<String>,
    /// RFC 6749 §5.2 `error_uri`, when the body had one.
    pub error_uri: Option<String>,
    /// Whether Kafka's Java client would retry this status (see [`crate::retry`]).
    pub retryable: bool,
    /// The exact text Kafka's Java client puts in its exception for this response
    /// (`formatErrorMessage`), with token-shaped values redacted and cut to 1000 characters.
    pub kafka_message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    token_endpoint: Option<TokenEndpointFailure>,
}

/// The crate's error: a stable [`ErrorKind`], a message for people, and for token endpoint failures
/// the parsed details. Never carries secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

impl Error {
    /// A new error of `kind` with a message. The message must not contain secrets; every call
    /// site in this crate builds it from property names, file paths and fixed text.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner { kind, message: message.into(), token_endpoint: None }))
    }

    /// An error a host reports by its code (a front's exception, a failed attempt): a code the
    /// core does not know becomes [`ErrorKind::CredentialsUnavailable`] with the code kept in front
    /// of the message.
    pub fn reported(code: &str, message: impl Into<String>) -> Self {
        match ErrorKind::from_code(code) {
            Some(kind) => Self::new(kind, message),
            None => Self::new(ErrorKind::CredentialsUnavailable, format!("{code}: {}", message.into())),
        }
    }

    pub(crate) fn token_endpoint(message: impl Into<String>, failure: TokenEndpointFailure) -> Self {
        Self(Box::new(Inner {
            kind: ErrorKind::TokenResponseError,
            message: message.into(),
            token_endpoint: Some(failure),
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The stable snake_case code (same as `self.kind().code()`).
    pub fn code(&self) -> &'static str {
        self.0.kind.code()
    }

    /// The human-readable message (no code prefix).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The token endpoint's answer, for [`ErrorKind::TokenResponseError`].
    pub fn token_endpoint_failure(&self) -> Option<&TokenEndpointFailure> {
        self.0.token_endpoint.as_ref()
    }

    /// The same error with every secret in `secrets` removed by value from its message and from
    /// the token endpoint's words ([`crate::response::redact_held`]): for errors that quote text
    /// from outside (an IdP that echoes the client credentials in its `error_description`).
    #[must_use]
    pub fn without_secrets(mut self, secrets: &[&str]) -> Self {
        use crate::response::redact_held;
        self.0.message = redact_held(&self.0.message, secrets);
        if let Some(f) = self.0.token_endpoint.as_mut() {
            f.error_description = f.error_description.as_deref().map(|d| redact_held(d, secrets));
            f.kafka_message = redact_held(&f.kafka_message, secrets);
        }
        self
    }

    /// The same error with `context` put in front of the message (for example the property name).
    pub(crate) fn context(mut self, context: &str) -> Self {
        self.0.message = format!("{context}: {}", self.0.message);
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code())
            .field("message", &self.0.message)
            .field("token_endpoint", &self.0.token_endpoint)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.0.message, self.code())
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for `Err(Error::new(kind, message))`.
pub(crate) fn fail<T>(kind: ErrorKind, message: impl Into<String>) -> Result<T> {
    Err(Error::new(kind, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let code = kind.code();
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            assert!(seen.insert(code), "duplicate code {code}");
            assert_eq!(ErrorKind::from_code(code), Some(*kind));
        }
    }

    #[test]
    fn display_carries_code() {
        let e = Error::new(ErrorKind::WeakKey, "RSA key is 1024 bits; at least 2048 are required");
        assert_eq!(e.to_string(), "RSA key is 1024 bits; at least 2048 are required [weak_key]");
        assert_eq!(
            e.context("sasl.oauthbearer.assertion.private.key.file").message(),
            "sasl.oauthbearer.assertion.private.key.file: RSA key is 1024 bits; at least 2048 are required"
        );
    }
}
