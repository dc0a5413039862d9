//! WIT ↔ core conversions. Nothing here decides anything: each function maps one type.
#![forbid(unsafe_code)]

use oauthbearer::config::{AssertionSource, GrantPath};
use oauthbearer::key::KeyType;
use oauthbearer::{explain as core_explain, issuer as core_issuer, msk, token, Secret};
use serde_json::{Map, Value};

use crate::bindings::exports::kafka::oauthbearer::types::{Algorithm, Dialect, Error, Mode, TokenEndpointFailure};
use crate::bindings::exports::kafka::oauthbearer::{config, explain, issuer, keys, providers, token_endpoint, tokens};

/// Maps core results to WIT results.
pub(crate) trait Fail<T> {
    /// The core error as the WIT `error` record.
    fn fail(self) -> Result<T, Error>;
}

impl<T> Fail<T> for oauthbearer::Result<T> {
    fn fail(self) -> Result<T, Error> {
        self.map_err(|e| error(&e))
    }
}

/// The WIT `error` record of a core error: its stable code, its (secret-free) message and the
/// token endpoint's answer when there was one.
pub(crate) fn error(e: &oauthbearer::Error) -> Error {
    Error {
        code: e.code().to_owned(),
        message: e.message().to_owned(),
        token_endpoint: e.token_endpoint_failure().map(|f| TokenEndpointFailure {
            status: f.status,
            error: f.error.clone(),
            error_description: f.error_description.clone(),
            retryable: f.retryable,
            kafka_message: f.kafka_message.clone(),
        }),
    }
}

pub(crate) fn dialect(d: Dialect) -> oauthbearer::config::Dialect {
    match d {
        Dialect::KafkaJava => oauthbearer::config::Dialect::KafkaJava,
        Dialect::Librdkafka => oauthbearer::config::Dialect::Librdkafka,
    }
}

pub(crate) fn mode(m: Mode) -> oauthbearer::config::Mode {
    match m {
        Mode::Strict => oauthbearer::config::Mode::Strict,
        Mode::KafkaCompatible => oauthbearer::config::Mode::KafkaCompatible,
    }
}

pub(crate) fn algorithm_from(a: Algorithm) -> oauthbearer::Algorithm {
    match a {
        Algorithm::Rs256 => oauthbearer::Algorithm::RS256,
        Algorithm::Ps256 => oauthbearer::Algorithm::PS256,
        Algorithm::Es256 => oauthbearer::Algorithm::ES256,
        Algorithm::Es384 => oauthbearer::Algorithm::ES384,
        Algorithm::Eddsa => oauthbearer::Algorithm::EdDSA,
    }
}

pub(crate) fn algorithm_to(a: oauthbearer::Algorithm) -> Algorithm {
    match a {
        oauthbearer::Algorithm::RS256 => Algorithm::Rs256,
        oauthbearer::Algorithm::PS256 => Algorithm::Ps256,
        oauthbearer::Algorithm::ES256 => Algorithm::Es256,
        oauthbearer::Algorithm::ES384 => Algorithm::Es384,
        oauthbearer::Algorithm::EdDSA => Algorithm::Eddsa,
        // Not input-driven: only a core algorithm this WIT has no case for gets here, and the
        // vector run through the component (every algorithm) would fail on it.
        other => unreachable!("the WIT has no case for algorithm {other}"),
    }
}

pub(crate) fn key_type(t: KeyType) -> keys::KeyType {
    match t {
        KeyType::Rsa => keys::KeyType::Rsa,
        KeyType::P256 => keys::KeyType::P256,
        KeyType::P384 => keys::KeyType::P384,
        KeyType::Ed25519 => keys::KeyType::Ed25519,
        other => unreachable!("the WIT has no case for key type {other:?}"),
    }
}

/// A WIT property list as the core's `(name, value)` iterator.
pub(crate) fn props(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

pub(crate) fn pairs_from(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    props(pairs).collect()
}

pub(crate) fn pairs_to(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs.to_vec()
}

/// A JSON object handed over as text, or `None` if it is not one.
pub(crate) fn json_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

fn assertion_source(s: &AssertionSource) -> config::AssertionSource {
    match s {
        AssertionSource::File(path) => config::AssertionSource::File(path.clone()),
        _ => config::AssertionSource::Signed,
    }
}

pub(crate) fn client_config(c: &oauthbearer::Config) -> config::ClientConfig {
    let grant = match &c.grant {
        GrantPath::ClientAssertion(s) => config::Grant::ClientAssertion(assertion_source(s)),
        GrantPath::JwtBearer(s) => config::Grant::JwtBearer(assertion_source(s)),
        GrantPath::TokenFile(path) => config::Grant::TokenFile(path.clone()),
        _ => config::Grant::ClientSecret,
    };
    config::ClientConfig {
        grant,
        token_endpoint_url: c.token_endpoint_url.clone(),
        client_id: c.client_id.clone(),
        has_client_secret: c.client_secret.is_some(),
        scope: c.scope.clone(),
        header_urlencode: c.header_urlencode,
        algorithm: algorithm_to(c.assertion.algorithm),
        claim_iss: c.assertion.iss.clone(),
        claim_sub: c.assertion.sub.clone(),
        claim_aud: c.assertion.aud.clone(),
        exp_seconds: c.assertion.exp_seconds,
        nbf_seconds: c.assertion.nbf_seconds,
        jti_include: c.assertion.jti_include,
        private_key_file: c.assertion.private_key_file.clone(),
        template_file: c.assertion.template_file.clone(),
        retry_backoff_ms: c.retry_backoff_ms,
        retry_backoff_max_ms: c.retry_backoff_max_ms,
        extensions: pairs_to(&c.extensions),
        warnings: c.warnings.clone(),
    }
}

pub(crate) fn token_request(r: oauthbearer::TokenRequest) -> token_endpoint::TokenRequest {
    token_endpoint::TokenRequest {
        method: r.method.to_owned(),
        url: r.url,
        headers: r.headers,
        body: r.body.expose().to_owned(),
    }
}

pub(crate) fn msk_options(o: providers::MskOptions) -> msk::MskTokenOptions {
    let mut options = msk::MskTokenOptions::new(o.region);
    if let Some(domain) = o.domain {
        options.domain = domain;
    }
    if let Some(order) = o.order {
        options.order = match order {
            providers::QueryOrder::Python => msk::QueryOrder::Python,
            providers::QueryOrder::Sorted => msk::QueryOrder::Sorted,
            providers::QueryOrder::Rust => msk::QueryOrder::RustCrate,
            providers::QueryOrder::Java => msk::QueryOrder::Java,
        };
    }
    match o.user_agent {
        providers::UserAgent::Ours => {}
        providers::UserAgent::Omitted => options.user_agent = None,
        providers::UserAgent::Custom(ua) => options.user_agent = Some(ua),
    }
    if let Some(floor) = o.min_credential_lifetime_seconds {
        options.min_credential_lifetime_seconds = floor;
    }
    options
}

pub(crate) fn refresh_config_to(c: token::RefreshConfig) -> tokens::RefreshConfig {
    tokens::RefreshConfig {
        window_factor: c.window_factor,
        window_jitter: c.window_jitter,
        min_period_seconds: c.min_period_seconds,
        buffer_seconds: c.buffer_seconds,
    }
}

pub(crate) fn refresh_config_from(c: tokens::RefreshConfig) -> token::RefreshConfig {
    token::RefreshConfig {
        window_factor: c.window_factor,
        window_jitter: c.window_jitter,
        min_period_seconds: c.min_period_seconds,
        buffer_seconds: c.buffer_seconds,
    }
}

pub(crate) fn registered_client(c: issuer::RegisteredClient) -> Result<core_issuer::RegisteredClient, Error> {
    Ok(core_issuer::RegisteredClient {
        client_id: c.client_id,
        secret: c.secret.map(Secret::new),
        keys: c.jwks.iter().map(|jwk| crate::guest::verifying_key(jwk)).collect::<Result<_, _>>()?,
    })
}

pub(crate) fn finding(f: core_explain::Finding) -> explain::Finding {
    explain::Finding {
        severity: match f.severity {
            core_explain::Severity::Error => explain::Severity::Error,
            core_explain::Severity::Warning => explain::Severity::Warning,
            core_explain::Severity::Info => explain::Severity::Info,
        },
        code: f.code,
        message: f.message,
        fix: f.fix,
    }
}
