//! # oauthbearer
//!
//! The pure core of the oauthbearer toolkit for Kafka SASL/OAUTHBEARER. It signs KIP-1258 client
//! assertions (RFC 7523 `private_key_jwt`), builds and parses token requests and responses byte
//! for byte as Kafka's Java client and librdkafka do, and reads Kafka's configuration with its
//! exact names, defaults and ranges. It also formats provider tokens ([`google`] for Google Managed
//! Kafka, [`msk`] for AWS MSK IAM) and SASL/OAUTHBEARER messages ([`sasl`]), checks access tokens
//! and schedules refreshes as Kafka clients do ([`token`]), serves as a small local OAuth issuer
//! ([`issuer`], [`endpoint`]) and explains configuration traps ([`explain`]). [`lifecycle`] is the
//! sans-IO machine every front caches and refreshes tokens with: one fetch in flight, Kafka's
//! refresh schedule and back-off, and a deadline for fetches that never return.
//!
//! The core is **pure**: it does no network I/O, never reads a clock (every function that needs
//! the time takes `now`), holds no global state, and takes randomness only from the OS through
//! `getrandom` (signature blinding, PSS salts, UUIDv4 `jti`s) or from the caller. The one
//! exception is the optional `fs` feature ([`reload`]), which re-reads files when they change.
//!
//! ```
//! use oauthbearer::{AssertionSigner, Config, Dialect};
//!
//! // The host reads the files the configuration names; the core only sees their bytes.
//! let key = std::fs::read_to_string("../tests/keys/ec-p256.pkcs8.pem").unwrap();
//! let config = Config::from_properties(
//!     [
//!         ("sasl.oauthbearer.assertion.algorithm", "ES256"),
//!         ("sasl.oauthbearer.assertion.private.key.file", "/etc/kafka/client.key"),
//!         ("sasl.oauthbearer.assertion.claim.iss", "my-client"),
//!         ("sasl.oauthbearer.assertion.claim.sub", "my-client"),
//!         ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example/token"),
//!         ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
//!     ],
//!     Dialect::KafkaJava,
//! )
//! .unwrap();
//! let signer = AssertionSigner::from_config(&config, Some(key.as_bytes()), None).unwrap();
//! let assertion = signer.sign(1_767_225_600_000, None).unwrap();
//! assert_eq!(assertion.expires_at, 1_767_225_600 + 300);
//! let request = oauthbearer::request::from_config(&config, Some(assertion.expose())).unwrap();
//! assert!(request.body.expose().starts_with("client_assertion_type=urn%3Aietf%3Aparams"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod algorithm;
pub mod assertion;
pub mod azure;
pub mod broker;
pub mod config;
pub mod encoding;
pub mod endpoint;
pub mod error;
pub mod explain;
pub mod google;
pub mod http;
pub mod issuer;
pub mod key;
pub mod lifecycle;
pub mod msk;
#[cfg(feature = "fs")]
pub mod reload;
pub mod request;
pub mod response;
pub mod retry;
pub mod sasl;
pub mod secret;
pub mod sidecar;
pub mod template;
pub mod token;
pub mod x509;

pub use algorithm::Algorithm;

pub use assertion::{AssertionSigner, Claims};
pub use config::{Config, Dialect, GrantPath};
pub use error::{Error, ErrorFamily, ErrorKind, Result};
pub use key::{Backend, PrivateKey, SigningKey};
pub use request::TokenRequest;
pub use response::TokenResponse;
pub use retry::RetryPolicy;

pub use secret::Secret;
