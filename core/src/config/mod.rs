//! Kafka client configuration for SASL/OAUTHBEARER, read from a property map with the exact names,
//! defaults and ranges of Kafka 4.3's Java client ([`Dialect::KafkaJava`]) or librdkafka 2.15
//! ([`Dialect::Librdkafka`]), and the grant path decided as the client would decide it.
//!
//! In the default [`Mode::Strict`], configurations that the Kafka client accepts but silently does
//! not act on as meant are refused with `ineffective_config` and a fix. [`Mode::KafkaCompatible`]
//! accepts them and behaves exactly as the client does; the same findings are then listed in
//! [`Config::warnings`].

pub mod jaas;
pub mod names;
pub mod properties;

use std::collections::HashMap;
use std::str::FromStr;

use crate::algorithm::Algorithm;
use crate::error::{fail, Error, ErrorKind, Result};
use crate::secret::Secret;
use names::*;

/// Which client's configuration rules apply.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// Apache Kafka's Java client 4.3 (and everything built on it: Beam, Kafka Connect, Streams).
    #[default]
    KafkaJava,
    /// librdkafka 2.15 (confluent-kafka-python, confluent-kafka-javascript, …).
    Librdkafka,
}

/// How strictly to read the configuration.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Refuse configurations that the Kafka client would silently not act on (the default).
    #[default]
    Strict,
    /// Behave exactly as the Kafka client; report the same findings as warnings.
    KafkaCompatible,
}

impl Dialect {
    /// The dialect's name: `kafka-java` or `librdkafka`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KafkaJava => "kafka-java",
            Self::Librdkafka => "librdkafka",
        }
    }
}

impl FromStr for Dialect {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            // `kafka-java` is the name in every front; `kafka` and `java` are what people type.
            "kafka-java" | "java" | "kafka" => Ok(Self::KafkaJava),
            "librdkafka" | "rdkafka" => Ok(Self::Librdkafka),
            _ => fail(
                ErrorKind::InvalidConfig,
                format!("unknown dialect {s:?}; use kafka-java (alias kafka, java) or librdkafka (alias rdkafka)"),
            ),
        }
    }
}

impl Mode {
    /// The mode's name: `strict` or `kafka-compatible`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::KafkaCompatible => "kafka-compatible",
        }
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strict" => Ok(Self::Strict),
            "kafka-compatible" | "compatible" => Ok(Self::KafkaCompatible),
            _ => fail(ErrorKind::InvalidConfig, format!("unknown mode {s:?}; use strict or kafka-compatible")),
        }
    }
}

/// Where the client gets the assertion it sends.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssertionSource {
    /// A pre-built assertion file (`sasl.oauthbearer.assertion.file`), re-read when it changes.
    File(String),
    /// Signed locally from a private key, the configured claims and an optional template.
    Signed,
}

/// The token request the client makes, decided exactly as the Kafka client decides it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantPath {
    /// `client_credentials` authenticated with the client secret (Basic header).
    ClientSecret,
    /// `client_credentials` authenticated with a client assertion (KIP-1258, RFC 7523 §2.2).
    ClientAssertion(AssertionSource),
    /// The `jwt-bearer` grant (KIP-1139, RFC 7523 §2.1).
    JwtBearer(AssertionSource),
    /// A pre-issued access token read from a `file:` token endpoint URL (`FileJwtRetriever`).
    TokenFile(String),
}

/// The `sasl.oauthbearer.assertion.*` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionConfig {
    /// `assertion.algorithm` (default RS256), parsed case-insensitively.
    pub algorithm: Algorithm,
    /// `assertion.claim.aud`.
    pub aud: Option<String>,
    /// `assertion.claim.iss`.
    pub iss: Option<String>,
    /// `assertion.claim.sub`.
    pub sub: Option<String>,
    /// `assertion.claim.exp.seconds` (default 300; Java 0..=86400, librdkafka 1..).
    pub exp_seconds: u32,
    /// `assertion.claim.nbf.seconds` (default 60; Java 0..=3600, librdkafka 0..).
    pub nbf_seconds: u32,
    /// `assertion.claim.jti.include` (default false).
    pub jti_include: bool,
    /// `assertion.file`.
    pub file: Option<String>,
    /// `assertion.private.key.file`.
    pub private_key_file: Option<String>,
    /// librdkafka's `assertion.private.key.pem` (the key inline).
    pub private_key_pem: Option<Secret>,
    /// `assertion.private.key.passphrase`.
    pub private_key_passphrase: Option<Secret>,
    /// `assertion.template.file` (Java) or `assertion.jwt.template.file` (librdkafka).
    pub template_file: Option<String>,
}

/// The login refresh settings (`sasl.login.refresh.*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshConfig {
    /// `sasl.login.refresh.window.factor` (0.8, range 0.5..=1.0).
    pub window_factor: f64,
    /// `sasl.login.refresh.window.jitter` (0.05, range 0..=0.25).
    pub window_jitter: f64,
    /// `sasl.login.refresh.min.period.seconds` (60, range 0..=900).
    pub min_period_seconds: u16,
    /// `sasl.login.refresh.buffer.seconds` (300, range 0..=3600).
    pub buffer_seconds: u16,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        Self { window_factor: 0.8, window_jitter: 0.05, min_period_seconds: 60, buffer_seconds: 300 }
    }
}

/// A parsed OAUTHBEARER client configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The rules it was read with.
    pub dialect: Dialect,
    /// The grant path the client takes.
    pub grant: GrantPath,
    /// `sasl.oauthbearer.token.endpoint.url`.
    pub token_endpoint_url: Option<String>,
    /// The client id (config, else JAAS `clientId`).
    pub client_id: Option<String>,
    /// The client secret (config, else JAAS `clientSecret`).
    pub client_secret: Option<Secret>,
    /// The scope (config, else JAAS `scope`).
    pub scope: Option<String>,
    /// `sasl.oauthbearer.header.urlencode` (Java, default false).
    pub header_urlencode: bool,
    /// The assertion settings.
    pub assertion: AssertionConfig,
    /// `sasl.login.retry.backoff.ms` (100).
    pub retry_backoff_ms: u64,
    /// `sasl.login.retry.backoff.max.ms` (10000; in Kafka's code the total retry window).
    pub retry_backoff_max_ms: u64,
    /// `sasl.login.connect.timeout.ms` (none).
    pub connect_timeout_ms: Option<u32>,
    /// `sasl.login.read.timeout.ms` (none).
    pub read_timeout_ms: Option<u32>,
    /// `sasl.login.refresh.*`.
    pub refresh: RefreshConfig,
    /// `sasl.oauthbearer.sub.claim.name` (`sub`).
    pub sub_claim_name: String,
    /// `sasl.oauthbearer.scope.claim.name` (`scope`).
    pub scope_claim_name: String,
    /// SASL extensions: JAAS `extension_<name>` options (Java) or `sasl.oauthbearer.extensions`
    /// (librdkafka), in the order given.
    pub extensions: Vec<(String, String)>,
    /// Findings that did not stop parsing (all findings in [`Mode::KafkaCompatible`]).
    pub warnings: Vec<String>,
}

/// A property map with Kafka's lookup rules (shared with [`crate::explain`], so both read a map the
/// same way).
pub(crate) struct Props<'a> {
    map: HashMap<&'a str, &'a str>,
    dialect: Dialect,
}

impl<'a> Props<'a> {
    /// The map of `properties` (the last of repeated names wins), read with `dialect`'s rules.
    pub(crate) fn new<I: IntoIterator<Item = (&'a str, &'a str)>>(properties: I, dialect: Dialect) -> Self {
        Self { map: properties.into_iter().collect(), dialect }
    }

    /// The trimmed, non-blank value of `name` under the dialect's lookup rules.
    pub(crate) fn value(&self, name: &str) -> Option<&'a str> {
        self.raw(name).map(|(v, _)| v)
    }

    /// Java: `oauthbearer.<name>` first, then `<name>`; values trimmed, blank = absent.
    /// librdkafka: the name and its aliases, values as given (blank = absent).
    fn raw(&self, name: &str) -> Option<(&'a str, String)> {
        let found = match self.dialect {
            Dialect::KafkaJava => {
                let prefixed = format!("{MECHANISM_PREFIX}{name}");
                self.map
                    .get(prefixed.as_str())
                    .map(|v| (*v, prefixed))
                    .or_else(|| self.map.get(name).map(|v| (*v, name.to_owned())))
            }
            Dialect::Librdkafka => self.map.get(name).map(|v| (*v, name.to_owned())),
        };
        found.map(|(v, n)| (v.trim(), n)).filter(|(v, _)| !v.is_empty())
    }

    fn string(&self, name: &str) -> Option<String> {
        self.raw(name).map(|(v, _)| v.to_owned())
    }

    fn any_string(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.string(n))
    }

    fn number<T: FromStr + PartialOrd + Copy + std::fmt::Display>(
        &self,
        name: &str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T> {
        let Some((value, used)) = self.raw(name) else { return Ok(default) };
        match value.parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(n),
            // Numeric properties are not secret, but the value is still left out of the message.
            _ => fail(ErrorKind::InvalidConfig, format!("{used} must be a number in [{min}, {max}]")),
        }
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool> {
        let Some((value, used)) = self.raw(name) else { return Ok(default) };
        if value.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if value.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            fail(ErrorKind::InvalidConfig, format!("{used} must be true or false"))
        }
    }

    fn is_set(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }
}

impl Config {
    /// Every secret this configuration holds (client secret, key passphrase, inline key), to be
    /// removed by value from text that comes back from outside ([`Error::without_secrets`]).
    pub fn held_secrets(&self) -> Vec<&str> {
        [&self.client_secret, &self.assertion.private_key_passphrase, &self.assertion.private_key_pem]
            .into_iter()
            .flatten()
            .map(Secret::expose)
            .collect()
    }

    /// Reads a Kafka property map in [`Mode::Strict`].
    pub fn from_properties<'a, I>(properties: I, dialect: Dialect) -> Result<Self>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        Self::from_properties_with(properties, dialect, Mode::Strict)
    }

    /// Reads a Kafka property map with an explicit [`Mode`]. Unknown properties are ignored (a
    /// client's map holds many unrelated ones).
    pub fn from_properties_with<'a, I>(properties: I, dialect: Dialect, mode: Mode) -> Result<Self>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let props = Props::new(properties, dialect);
        let mut findings = Findings { mode, warnings: Vec::new() };
        let config = match dialect {
            Dialect::KafkaJava => java(&props, &mut findings)?,
            Dialect::Librdkafka => librdkafka(&props, &mut findings)?,
        };
        Ok(Self { warnings: findings.warnings, ..config })
    }
}

/// Collects findings: in strict mode an ineffective setting is an error, otherwise a warning.
struct Findings {
    mode: Mode,
    warnings: Vec<String>,
}

impl Findings {
    fn ineffective(&mut self, message: String) -> Result<()> {
        match self.mode {
            Mode::Strict => fail(ErrorKind::IneffectiveConfig, message),
            Mode::KafkaCompatible => {
                self.warnings.push(message);
                Ok(())
            }
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
}

fn algorithm(props: &Props<'_>, findings: &mut Findings) -> Result<Algorithm> {
    let Some((typed, used)) = props.raw(ASSERTION_ALGORITHM) else { return Ok(Algorithm::RS256) };
    let alg = Algorithm::from_str(typed).map_err(|e| e.context(&used))?;
    if !alg.is_kafka_supported() {
        findings
            .warn(format!("{used}={alg} is an oauthbearer extension; Kafka's own clients accept only RS256 and ES256"));
    }
    if typed != alg.as_str() && props.dialect == Dialect::KafkaJava {
        findings.warn(format!(
            "{used}={typed}: Kafka's Java client would write \"alg\":\"{typed}\" as typed (not a valid JWS alg); we write \"{alg}\""
        ));
    }
    Ok(alg)
}

fn java(props: &Props<'_>, findings: &mut Findings) -> Result<Config> {
    let jaas = props.raw(SASL_JAAS_CONFIG).map(|(v, _)| jaas::parse(v)).transpose()?;
    let jaas_option = |name: &str| {
        jaas.as_ref().and_then(|j| j.option(name)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
    };
    // ConfigOrJaas: the config property wins over the deprecated JAAS option.
    let mut config_or_jaas = |property: &str, option: &str| -> Option<String> {
        match (props.string(property), jaas_option(option)) {
            (Some(c), Some(_)) => {
                findings.warn(format!("both {property} and the JAAS option {option} are set; {property} is used"));
                Some(c)
            }
            (c, j) => c.or(j),
        }
    };
    let client_id = config_or_jaas(CLIENT_ID, "clientId");
    let client_secret = config_or_jaas(CLIENT_SECRET, "clientSecret").map(Secret::new);
    let scope = config_or_jaas(SCOPE, "scope");

    let assertion = AssertionConfig {
        algorithm: algorithm(props, findings)?,
        aud: props.string(ASSERTION_CLAIM_AUD),
        iss: props.string(ASSERTION_CLAIM_ISS),
        sub: props.string(ASSERTION_CLAIM_SUB),
        exp_seconds: props.number(ASSERTION_CLAIM_EXP_SECONDS, 300, 0, 86_400)?,
        nbf_seconds: props.number(ASSERTION_CLAIM_NBF_SECONDS, 60, 0, 3_600)?,
        jti_include: props.bool(ASSERTION_CLAIM_JTI_INCLUDE, false)?,
        file: props.string(ASSERTION_FILE),
        private_key_file: props.string(ASSERTION_PRIVATE_KEY_FILE),
        private_key_pem: None,
        private_key_passphrase: props.string(ASSERTION_PRIVATE_KEY_PASSPHRASE).map(Secret::new),
        template_file: props.string(ASSERTION_TEMPLATE_FILE),
    };
    if let Some((_, used)) = props.raw(RDKAFKA_ASSERTION_TEMPLATE_FILE) {
        findings
            .ineffective(format!("{used} is librdkafka's name; Kafka's Java client reads {ASSERTION_TEMPLATE_FILE}"))?;
    }

    let token_endpoint_url = props.string(TOKEN_ENDPOINT_URL);
    let retriever = props.string(JWT_RETRIEVER_CLASS).unwrap_or_else(|| DEFAULT_JWT_RETRIEVER.to_owned());
    let retriever_name = retriever.strip_prefix(RETRIEVER_PACKAGE).unwrap_or(&retriever).to_owned();
    let file_url = token_endpoint_url.as_deref().and_then(file_url_path);
    if let Some(url) = &token_endpoint_url {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("file:")) {
            return fail(ErrorKind::InvalidConfig, format!("{TOKEN_ENDPOINT_URL} must be an http, https or file URL"));
        }
    }

    let assertion_source = |findings: &mut Findings| -> Result<AssertionSource> {
        match &assertion.file {
            Some(file) => {
                let ignored = ignored_by_assertion_file(props);
                if !ignored.is_empty() {
                    findings.ineffective(format!(
                        "{ASSERTION_FILE} is set, so Kafka ignores {}; remove them or the file",
                        ignored.join(", ")
                    ))?;
                }
                Ok(AssertionSource::File(file.clone()))
            }
            None => Ok(AssertionSource::Signed),
        }
    };

    let grant = match retriever_name.as_str() {
        "JwtBearerJwtRetriever" => GrantPath::JwtBearer(assertion_source(findings)?),
        "FileJwtRetriever" => GrantPath::TokenFile(file_url.ok_or_else(|| {
            Error::new(ErrorKind::MissingConfig, format!("FileJwtRetriever needs {TOKEN_ENDPOINT_URL} as a file: URL"))
        })?),
        "DefaultJwtRetriever" | "ClientCredentialsJwtRetriever" => {
            if let (Some(path), "DefaultJwtRetriever") = (&file_url, retriever_name.as_str()) {
                GrantPath::TokenFile(path.clone())
            } else if assertion.file.is_some() || assertion.iss.is_some() {
                if assertion.file.is_some() && assertion.iss.is_some() {
                    findings.ineffective(format!(
                        "both {ASSERTION_FILE} and {ASSERTION_CLAIM_ISS} are set; Kafka uses the file and ignores the claim"
                    ))?;
                }
                GrantPath::ClientAssertion(assertion_source(findings)?)
            } else {
                // Kafka's trap: a key file or template without claim.iss silently stays on the
                // client-secret path, then fails with "client.secret value is required".
                let unused: Vec<&str> =
                    [ASSERTION_PRIVATE_KEY_FILE, ASSERTION_TEMPLATE_FILE, ASSERTION_CLAIM_SUB, ASSERTION_CLAIM_AUD]
                        .into_iter()
                        .filter(|n| props.is_set(n))
                        .collect();
                if !unused.is_empty() {
                    findings.ineffective(format!(
                        "{} set without {ASSERTION_CLAIM_ISS}: Kafka 4.3 only signs a client assertion when \
                         {ASSERTION_CLAIM_ISS} (or {ASSERTION_FILE}) is set, and otherwise silently falls back to \
                         the client secret; set {ASSERTION_CLAIM_ISS} (usually your client id)",
                        unused.join(", ")
                    ))?;
                }
                GrantPath::ClientSecret
            }
        }
        _ => {
            return fail(
                ErrorKind::InvalidConfig,
                format!("{JWT_RETRIEVER_CLASS}={retriever} is not one of Kafka's built-in retrievers"),
            )
        }
    };

    check_grant_requirements(
        &grant,
        &assertion,
        client_id.as_deref(),
        client_secret.as_ref(),
        token_endpoint_url.as_deref(),
    )?;
    if matches!(grant, GrantPath::ClientAssertion(_) | GrantPath::JwtBearer(_)) {
        if client_secret.is_some() && matches!(grant, GrantPath::ClientAssertion(_)) {
            findings.ineffective(format!(
                "a client secret is set but the client authenticates with an assertion, so the secret is never sent; remove {CLIENT_SECRET}"
            ))?;
        }
        if props.bool(HEADER_URLENCODE, false)? {
            findings.warn(format!("{HEADER_URLENCODE} has no effect on the assertion path"));
        }
    }
    if assertion.file.is_none() && matches!(grant, GrantPath::ClientAssertion(_) | GrantPath::JwtBearer(_)) {
        for (claim, name) in [("sub", ASSERTION_CLAIM_SUB), ("aud", ASSERTION_CLAIM_AUD)] {
            if !props.is_set(name) && assertion.template_file.is_none() {
                findings.warn(format!(
                    "{name} is not set: RFC 7523 §3 requires \"{claim}\" and most IdPs reject assertions without it"
                ));
            }
        }
    }

    let extensions: Vec<(String, String)> = jaas
        .as_ref()
        .map(|j| {
            j.options()
                .filter_map(|(k, v)| k.strip_prefix("extension_").map(|name| (name.to_owned(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();

    for (name, value) in &extensions {
        crate::sasl::validate_extension(name, value, Dialect::KafkaJava)?;
    }
    let retry_backoff_ms = props.number(LOGIN_RETRY_BACKOFF_MS, 100u64, 0, u64::MAX)?;
    let retry_backoff_max_ms = props.number(LOGIN_RETRY_BACKOFF_MAX_MS, 10_000u64, 0, u64::MAX)?;
    if retry_backoff_max_ms < retry_backoff_ms {
        return fail(
            ErrorKind::InvalidConfig,
            format!("{LOGIN_RETRY_BACKOFF_MAX_MS} must be at least {LOGIN_RETRY_BACKOFF_MS}"),
        );
    }
    Ok(Config {
        dialect: Dialect::KafkaJava,
        grant,
        token_endpoint_url,
        client_id,
        client_secret,
        scope,
        header_urlencode: props.bool(HEADER_URLENCODE, false)?,
        assertion,
        retry_backoff_ms,
        retry_backoff_max_ms,
        connect_timeout_ms: props
            .raw(LOGIN_CONNECT_TIMEOUT_MS)
            .map(|_| props.number(LOGIN_CONNECT_TIMEOUT_MS, 0, 0, i32::MAX as u32))
            .transpose()?,
        read_timeout_ms: props
            .raw(LOGIN_READ_TIMEOUT_MS)
            .map(|_| props.number(LOGIN_READ_TIMEOUT_MS, 0, 0, i32::MAX as u32))
            .transpose()?,
        refresh: RefreshConfig {
            window_factor: props.number(LOGIN_REFRESH_WINDOW_FACTOR, 0.8, 0.5, 1.0)?,
            window_jitter: props.number(LOGIN_REFRESH_WINDOW_JITTER, 0.05, 0.0, 0.25)?,
            min_period_seconds: props.number(LOGIN_REFRESH_MIN_PERIOD_SECONDS, 60, 0, 900)?,
            buffer_seconds: props.number(LOGIN_REFRESH_BUFFER_SECONDS, 300, 0, 3_600)?,
        },
        sub_claim_name: props.string(SUB_CLAIM_NAME).unwrap_or_else(|| "sub".into()),
        scope_claim_name: props.string(SCOPE_CLAIM_NAME).unwrap_or_else(|| "scope".into()),
        extensions,
        warnings: Vec::new(),
    })
}

/// The `assertion.*` properties other than the file that Kafka ignores when the file is set.
fn ignored_by_assertion_file(props: &Props<'_>) -> Vec<&'static str> {
    [
        ASSERTION_CLAIM_AUD,
        ASSERTION_CLAIM_SUB,
        ASSERTION_CLAIM_JTI_INCLUDE,
        ASSERTION_CLAIM_EXP_SECONDS,
        ASSERTION_CLAIM_NBF_SECONDS,
        ASSERTION_PRIVATE_KEY_FILE,
        ASSERTION_PRIVATE_KEY_PEM,
        ASSERTION_PRIVATE_KEY_PASSPHRASE,
        ASSERTION_TEMPLATE_FILE,
        RDKAFKA_ASSERTION_TEMPLATE_FILE,
        ASSERTION_ALGORITHM,
    ]
    .into_iter()
    .filter(|n| props.is_set(n))
    .collect()
}

/// The path of a `file:` URL (`file:/a`, `file:///a`), as `new URL(u).getPath()` gives it.
fn file_url_path(url: &str) -> Option<String> {
    let rest = url.get(..5).filter(|p| p.eq_ignore_ascii_case("file:")).map(|_| &url[5..])?;
    let path = rest.strip_prefix("//").map_or(rest, |r| r.find('/').map_or("", |i| &r[i..]));
    Some(path.to_owned())
}

fn check_grant_requirements(
    grant: &GrantPath,
    assertion: &AssertionConfig,
    client_id: Option<&str>,
    client_secret: Option<&Secret>,
    token_endpoint_url: Option<&str>,
) -> Result<()> {
    let missing =
        |name: &str| fail(ErrorKind::MissingConfig, format!("the OAuth configuration option {name} value is required"));
    if !matches!(grant, GrantPath::TokenFile(_)) && token_endpoint_url.is_none() {
        return missing(TOKEN_ENDPOINT_URL);
    }
    match grant {
        GrantPath::ClientSecret => {
            if client_id.is_none() {
                return missing(CLIENT_ID);
            }
            if client_secret.is_none() {
                return missing(CLIENT_SECRET);
            }
        }
        GrantPath::ClientAssertion(AssertionSource::Signed) | GrantPath::JwtBearer(AssertionSource::Signed)
            if assertion.private_key_file.is_none() && assertion.private_key_pem.is_none() =>
        {
            return missing(ASSERTION_PRIVATE_KEY_FILE);
        }
        _ => {}
    }
    Ok(())
}

fn librdkafka(props: &Props<'_>, findings: &mut Findings) -> Result<Config> {
    let method = props.string(RDKAFKA_METHOD).unwrap_or_else(|| "default".into());
    if !method.eq_ignore_ascii_case("oidc") {
        return fail(
            ErrorKind::InvalidConfig,
            format!("{RDKAFKA_METHOD}={method}: librdkafka only fetches tokens with {RDKAFKA_METHOD}=oidc"),
        );
    }
    let assertion = AssertionConfig {
        algorithm: algorithm(props, findings)?,
        aud: props.string(ASSERTION_CLAIM_AUD),
        iss: props.string(ASSERTION_CLAIM_ISS),
        sub: props.string(ASSERTION_CLAIM_SUB),
        exp_seconds: props.number(ASSERTION_CLAIM_EXP_SECONDS, 300, 1, i32::MAX as u32)?,
        nbf_seconds: props.number(ASSERTION_CLAIM_NBF_SECONDS, 60, 0, i32::MAX as u32)?,
        jti_include: props.bool(ASSERTION_CLAIM_JTI_INCLUDE, false)?,
        file: props.string(ASSERTION_FILE),
        private_key_file: props.string(ASSERTION_PRIVATE_KEY_FILE),
        private_key_pem: props.string(ASSERTION_PRIVATE_KEY_PEM).map(Secret::new),
        private_key_passphrase: props.string(ASSERTION_PRIVATE_KEY_PASSPHRASE).map(Secret::new),
        template_file: props.string(RDKAFKA_ASSERTION_TEMPLATE_FILE),
    };
    if props.is_set(ASSERTION_TEMPLATE_FILE) {
        findings.ineffective(format!(
            "{ASSERTION_TEMPLATE_FILE} is Kafka Java's name; librdkafka reads {RDKAFKA_ASSERTION_TEMPLATE_FILE}"
        ))?;
    }
    if assertion.private_key_file.is_some() && assertion.private_key_pem.is_some() {
        return fail(
            ErrorKind::InvalidConfig,
            format!("{ASSERTION_PRIVATE_KEY_FILE} and {ASSERTION_PRIVATE_KEY_PEM} are mutually exclusive"),
        );
    }
    let client_id = props.any_string(&[RDKAFKA_CLIENT_ID, CLIENT_ID]);
    let client_secret = props.any_string(&[RDKAFKA_CLIENT_SECRET, CLIENT_SECRET]).map(Secret::new);
    let grant_type = props.string(RDKAFKA_GRANT_TYPE).unwrap_or_else(|| "client_credentials".into());
    let grant = match grant_type.as_str() {
        "client_credentials" => {
            let unused: Vec<&str> =
                [ASSERTION_FILE, ASSERTION_PRIVATE_KEY_FILE, ASSERTION_PRIVATE_KEY_PEM, ASSERTION_CLAIM_ISS]
                    .into_iter()
                    .filter(|n| props.is_set(n))
                    .collect();
            if !unused.is_empty() {
                findings.ineffective(format!(
                    "{} set, but librdkafka 2.15 has no client-assertion support for client_credentials \
                     (librdkafka#5377) and sends the client secret; use {RDKAFKA_GRANT_TYPE}={JWT_BEARER_GRANT} \
                     or oauthbearer's token callback",
                    unused.join(", ")
                ))?;
            }
            GrantPath::ClientSecret
        }
        JWT_BEARER_GRANT => {
            if let Some(file) = &assertion.file {
                let others = ignored_by_assertion_file(props);
                if !others.is_empty() || props.is_set(ASSERTION_CLAIM_ISS) {
                    return fail(
                        ErrorKind::InvalidConfig,
                        format!("{ASSERTION_FILE} is mutually exclusive with every other sasl.oauthbearer.assertion.* property"),
                    );
                }
                GrantPath::JwtBearer(AssertionSource::File(file.clone()))
            } else {
                GrantPath::JwtBearer(AssertionSource::Signed)
            }
        }
        _ => {
            return fail(
                ErrorKind::InvalidConfig,
                format!("{RDKAFKA_GRANT_TYPE} must be client_credentials or {JWT_BEARER_GRANT}"),
            )
        }
    };
    check_grant_requirements(
        &grant,
        &assertion,
        client_id.as_deref(),
        client_secret.as_ref(),
        props.string(TOKEN_ENDPOINT_URL).as_deref(),
    )?;
    let extensions = match props.string(RDKAFKA_EXTENSIONS) {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|kv| {
                kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidConfig,
                        format!("{RDKAFKA_EXTENSIONS} must be k=v pairs separated by commas"),
                    )
                })
            })
            .collect::<Result<_>>()?,
    };
    for (name, value) in &extensions {
        crate::sasl::validate_extension(name, value, Dialect::Librdkafka)?;
    }
    Ok(Config {
        dialect: Dialect::Librdkafka,
        grant,
        token_endpoint_url: props.string(TOKEN_ENDPOINT_URL),
        client_id,
        client_secret,
        scope: props.string(SCOPE),
        header_urlencode: false,
        assertion,
        retry_backoff_ms: 5_000,
        retry_backoff_max_ms: 50_000,
        connect_timeout_ms: None,
        read_timeout_ms: Some(20_000),
        refresh: RefreshConfig { window_factor: 0.8, window_jitter: 0.0, min_period_seconds: 0, buffer_seconds: 0 },
        sub_claim_name: props.string(SUB_CLAIM_NAME).unwrap_or_else(|| "sub".into()),
        scope_claim_name: "scope".into(),
        extensions,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
