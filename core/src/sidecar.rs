//! A token source for proxies that make their own HTTP calls (the Envoy plugin): its
//! configuration, the calls it makes, what it makes of the answers, and what it serves.
//!
//! The proxy sends each [`Call`] to the named upstream cluster and hands the answer back
//! ([`Sidecar::answer`]); the source answers with the next call, a token checked as the Kafka
//! client checks it, or a typed failure with its retryability. Two sources exist:
//! * **`oauth`**: Kafka's own `client_credentials` (client secret or KIP-1258 client assertion)
//!   or `jwt-bearer` grant, configured with Kafka's property names and sent byte for byte as the
//!   chosen client sends it; the private key or the client secret inline or in an environment
//!   variable (the proxy reads no files);
//! * **`google-metadata`**: Google Managed Kafka's `GOOG_OAUTH2_TOKEN` wrapping of the metadata
//!   server's access token, the principal from the metadata server (or configured).
//!
//! It does not offer AWS MSK IAM: Kafka's Java client and librdkafka check a token fetched from a
//! URL as a JWT and refuse the MSK token, so no token URL can serve it to a stock client.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::assertion::AssertionSigner;
use crate::config::{AssertionSource, Config, Dialect, GrantPath};
use crate::endpoint::{EndpointMode, ResponseStyle, Route};
use crate::error::{fail, Error, ErrorKind, Result};
use crate::google::{google_token, validate_principal, GoogleTokenStyle};
use crate::http::Method;
use crate::lifecycle::{FetchFailed, Fetched, LifecyclePolicy, LifecycleSettings};
use crate::response::parse_token_response;
use crate::secret::Secret;
use crate::token::{check_access_token, check_not_expired, TokenCheck};

/// The metadata server's host (what `google-auth` and the Java client library call).
pub const METADATA_HOST: &str = "metadata.google.internal";
const METADATA_ACCOUNT: &str = "/computeMetadata/v1/instance/service-accounts/default";
/// The most of an upstream answer the source reads (a token response is a few KiB).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What the proxy does with the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidecarMode {
    /// Puts `Authorization: Bearer <token>` on every request it passes upstream.
    Inject,
    /// Answers token requests itself (kafka-auth-handler's contract, for Kafka clients'
    /// `sasl.oauthbearer.token.endpoint.url`).
    Endpoint,
}

/// Where tokens come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A Kafka OAuth client configuration.
    Oauth,
    /// The GCE/GKE metadata server, wrapped for Google Managed Kafka.
    GoogleMetadata,
}

/// The plugin configuration as written (JSON). Unknown members are refused: a misspelled member
/// must not silently leave a default in force.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    mode: Option<String>,
    source: Option<String>,
    cluster: Option<String>,
    dialect: Option<String>,
    properties: Option<BTreeMap<String, String>>,
    private_key: Option<String>,
    private_key_env: Option<String>,
    client_secret_env: Option<String>,
    fetch_timeout_ms: Option<u64>,
    response_style: Option<String>,
    token_path: Option<String>,
    google_token_style: Option<String>,
    principal: Option<String>,
    metadata_host: Option<String>,
}

/// A checked plugin configuration, before the environment is read.
#[derive(Clone)]
pub struct SidecarConfig {
    /// What the proxy does with the token.
    pub mode: SidecarMode,
    /// Where tokens come from.
    pub source: SourceKind,
    /// The upstream cluster the calls go to (the IdP, or the metadata server).
    pub cluster: String,
    /// The client whose rules apply (request bytes, token checks, refresh schedule).
    pub dialect: Dialect,
    /// The served path in endpoint mode (`None`: every path, as kafka-auth-handler serves).
    pub token_path: Option<String>,
    /// The JSON layout served in endpoint mode.
    pub response_style: ResponseStyle,
    properties: BTreeMap<String, String>,
    private_key: Option<Secret>,
    private_key_env: Option<String>,
    client_secret_env: Option<String>,
    fetch_timeout_ms: Option<u64>,
    google_style: GoogleTokenStyle,
    principal: Option<String>,
    metadata_host: String,
}

impl fmt::Debug for SidecarConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SidecarConfig")
            .field("mode", &self.mode)
            .field("source", &self.source)
            .field("cluster", &self.cluster)
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

fn invalid<T>(message: impl Into<String>) -> Result<T> {
    fail(ErrorKind::InvalidConfig, message)
}

impl SidecarConfig {
    /// Reads the plugin configuration (a JSON object). `invalid_config` for bad JSON, unknown
    /// members and bad values; the message names the member, never its value.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| {
            // serde's "unknown field" message names members only; its type errors quote the
            // value (which may be a secret), so those get the position alone.
            let what = e.to_string();
            let what = if what.starts_with("unknown field") {
                what
            } else if e.is_data() {
                format!("a member has the wrong type (line {}, column {})", e.line(), e.column())
            } else {
                format!("not a JSON object (line {}, column {})", e.line(), e.column())
            };
            Error::new(ErrorKind::InvalidConfig, format!("the plugin configuration is refused: {what}"))
        })?;
        let mode = match raw.mode.as_deref() {
            None | Some("inject") => SidecarMode::Inject,
            Some("endpoint") => SidecarMode::Endpoint,
            Some(_) => return invalid("mode must be inject or endpoint"),
        };
        let source = match raw.source.as_deref() {
            None | Some("oauth") => SourceKind::Oauth,
            Some("google-metadata") => SourceKind::GoogleMetadata,
            Some(_) => return invalid("source must be oauth or google-metadata"),
        };
        let cluster = raw.cluster.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            Error::new(ErrorKind::MissingConfig, "cluster (the Envoy cluster the token requests go to) is required")
        })?;
        let dialect = raw.dialect.as_deref().map_or(Ok(Dialect::KafkaJava), str::parse)?;
        let token_path = match raw.token_path {
            Some(p) if !p.starts_with('/') => return invalid("token_path must start with /"),
            p => p,
        };
        if mode == SidecarMode::Inject && token_path.is_some() {
            return invalid("token_path applies to mode endpoint only");
        }
        let response_style = raw.response_style.as_deref().map_or(Ok(ResponseStyle::default()), str::parse)?;
        let google_style = raw.google_token_style.as_deref().map_or(Ok(GoogleTokenStyle::default()), str::parse)?;
        if raw.fetch_timeout_ms == Some(0) {
            return invalid("fetch_timeout_ms must be at least 1");
        }
        if raw.private_key.is_some() && raw.private_key_env.is_some() {
            return invalid("set private_key or private_key_env, not both");
        }
        let oauth_only: &[(&str, bool)] = &[
            ("properties", raw.properties.is_some()),
            ("private_key", raw.private_key.is_some()),
            ("private_key_env", raw.private_key_env.is_some()),
            ("client_secret_env", raw.client_secret_env.is_some()),
        ];
        let google_only: &[(&str, bool)] = &[
            ("google_token_style", raw.google_token_style.is_some()),
            ("principal", raw.principal.is_some()),
            ("metadata_host", raw.metadata_host.is_some()),
        ];
        let (kind, foreign) = match source {
            SourceKind::Oauth => ("oauth", google_only),
            SourceKind::GoogleMetadata => ("google-metadata", oauth_only),
        };
        if let Some((name, _)) = foreign.iter().find(|(_, set)| *set) {
            return invalid(format!("{name} does not apply to source {kind}"));
        }
        if source == SourceKind::Oauth && raw.properties.is_none() {
            return fail(ErrorKind::MissingConfig, "properties (the Kafka client's OAuth properties) are required");
        }
        Ok(Self {
            mode,
            source,
            cluster,
            dialect,
            token_path,
            response_style,
            properties: raw.properties.unwrap_or_default(),
            private_key: raw.private_key.map(Secret::new),
            private_key_env: raw.private_key_env,
            client_secret_env: raw.client_secret_env,
            fetch_timeout_ms: raw.fetch_timeout_ms,
            google_style,
            principal: raw.principal,
            metadata_host: raw.metadata_host.unwrap_or_else(|| METADATA_HOST.to_owned()),
        })
    }

    /// The members and properties that hold a secret inline (`private_key`, a client secret or key
    /// passphrase in `properties`): anyone who can read Envoy's `/config_dump` or its debug log of
    /// the configuration sees them. Names only, never values; the plugin warns at start-up.
    pub fn inline_secrets(&self) -> Vec<&str> {
        use crate::config::names::{ASSERTION_PRIVATE_KEY_PASSPHRASE, CLIENT_SECRET};
        let inline_key = self.private_key.as_ref().map(|_| "private_key");
        let in_properties =
            [CLIENT_SECRET, ASSERTION_PRIVATE_KEY_PASSPHRASE, "sasl.oauthbearer.client.secret", "sasl.jaas.config"]
                .into_iter()
                .filter(|name| {
                    self.properties
                        .get(*name)
                        .is_some_and(|v| *name != "sasl.jaas.config" || v.contains("clientSecret"))
                });
        inline_key.into_iter().chain(in_properties).collect()
    }

    /// The environment variables the configuration reads (to list in
    /// `vm_config.environment_variables.host_env_keys`).
    pub fn environment_variables(&self) -> Vec<&str> {
        [&self.private_key_env, &self.client_secret_env].into_iter().flatten().map(String::as_str).collect()
    }
}

impl FetchFailed {
    fn of(error: Error, retry_after: Option<&str>) -> Self {
        let retryable = match error.token_endpoint_failure() {
            Some(failure) => failure.retryable,
            None => error.kind() == ErrorKind::TokenEndpointUnreachable,
        };
        Self { error, retryable, retry_after: retry_after.map(str::to_owned) }
    }
}

/// One HTTP call for the proxy to send to [`SidecarConfig::cluster`]. `Debug` leaves out the
/// headers and the body (they hold the assertion or the client secret).
#[derive(Clone)]
pub struct Call {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The `:authority` (host and port of the URL).
    pub authority: String,
    /// The `:path` (path and query of the URL).
    pub path: String,
    /// The other headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Secret>,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("authority", &self.authority)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Where a fetch is: which call is out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// The token request (OAuth), or the metadata token request with the principal known.
    Token {
        /// The principal (Google).
        principal: Option<String>,
    },
    /// The metadata server's service-account email (Google, no principal configured).
    Email,
}

/// An upstream's answer.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// `Content-Type`, if sent.
    pub content_type: Option<&'a str>,
    /// `Retry-After`, if sent.
    pub retry_after: Option<&'a str>,
    /// The body (at most [`MAX_ANSWER_BYTES`] of it).
    pub body: &'a [u8],
}

/// What to do after an answer.
#[derive(Debug)]
pub enum Outcome {
    /// Send this call next.
    Next(Exchange, Call),
    /// The fetch produced this token.
    Token(Fetched),
    /// The fetch failed.
    Failed(FetchFailed),
}

enum Source {
    Oauth { config: Box<Config>, signer: Option<Box<AssertionSigner>>, target: (String, String) },
    Google { principal: Option<String>, style: GoogleTokenStyle, host: String },
}

/// A configured token source, its key parsed once.
pub struct Sidecar {
    config: SidecarConfig,
    policy: LifecyclePolicy,
    source: Source,
}

impl fmt::Debug for Sidecar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sidecar").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The `(authority, path)` of an http(s) URL.
fn split_url(url: &str) -> Result<(String, String)> {
    let uri: http::Uri =
        url.parse().map_err(|_| Error::new(ErrorKind::InvalidConfig, "the token endpoint URL is not a valid URL"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return invalid("the token endpoint URL must be an absolute http or https URL");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return invalid("the token endpoint URL must be an http or https URL");
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Ok((authority.as_str().to_owned(), if path.is_empty() { "/".to_owned() } else { path.to_owned() }))
}

fn environment(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        Error::new(
            ErrorKind::MissingConfig,
            format!(
                "the environment variable {name} is not set; list it in vm_config.environment_variables.host_env_keys"
            ),
        )
    })
}

impl Sidecar {
    /// Builds the source: reads the environment variables the configuration names through `env`,
    /// parses the Kafka properties (strict) and the key. Everything a fetch could find wrong
    /// about the configuration is found here, so a bad configuration never starts.
    pub fn new(config: SidecarConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let (source, policy) = match config.source {
            SourceKind::Oauth => Self::oauth(&config, env)?,
            SourceKind::GoogleMetadata => {
                if let Some(p) = &config.principal {
                    validate_principal(p)?;
                }
                let source = Source::Google {
                    principal: config.principal.clone(),
                    style: config.google_style,
                    host: config.metadata_host.clone(),
                };
                (source, LifecyclePolicy::for_client(config.dialect))
            }
        };
        let settings = LifecycleSettings { fetch_timeout_ms: config.fetch_timeout_ms, ..LifecycleSettings::default() };
        let policy = policy.with_settings(&settings)?;
        Ok(Self { config, policy, source })
    }

    fn oauth(config: &SidecarConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<(Source, LifecyclePolicy)> {
        let mut properties = config.properties.clone();
        if let Some(name) = &config.client_secret_env {
            let secret = environment(name, env)?;
            let key = match config.dialect {
                Dialect::KafkaJava => crate::config::names::CLIENT_SECRET,
                Dialect::Librdkafka => crate::config::names::RDKAFKA_CLIENT_SECRET,
            };
            properties.insert(key.to_owned(), secret);
        }
        let inline_key = config.private_key.is_some() || config.private_key_env.is_some();
        let key_file = crate::config::names::ASSERTION_PRIVATE_KEY_FILE;
        if inline_key && config.dialect == Dialect::KafkaJava && !properties.contains_key(key_file) {
            // Kafka Java requires the key file property; the plugin has the key's bytes instead,
            // so the property only names where they came from.
            properties.insert(key_file.to_owned(), "(plugin configuration)".to_owned());
        }
        let kafka = Config::from_properties(properties.iter().map(|(k, v)| (k.as_str(), v.as_str())), config.dialect)?;
        let signs = match &kafka.grant {
            GrantPath::ClientSecret => false,
            GrantPath::ClientAssertion(AssertionSource::Signed) | GrantPath::JwtBearer(AssertionSource::Signed) => true,
            GrantPath::ClientAssertion(_) | GrantPath::JwtBearer(_) => {
                return invalid("the plugin reads no files: sign assertions from private_key or private_key_env instead of an assertion file")
            }
            _ => return invalid("the plugin reads no files: use an http(s) token endpoint URL"),
        };
        if kafka.assertion.template_file.is_some() {
            return invalid("the plugin reads no files: an assertion template file cannot be used");
        }
        let url = kafka.token_endpoint_url.as_deref().ok_or_else(|| {
            Error::new(ErrorKind::MissingConfig, "properties need sasl.oauthbearer.token.endpoint.url")
        })?;
        let target = split_url(url)?;
        let signer = if signs {
            let key = match (&config.private_key, &config.private_key_env) {
                (Some(k), _) => Some(k.clone()),
                (None, Some(name)) => Some(Secret::new(environment(name, env)?)),
                (None, None) => None,
            };
            if key.is_none() && kafka.assertion.private_key_pem.is_none() {
                return fail(
                    ErrorKind::MissingConfig,
                    "signing assertions needs the private key: set private_key or private_key_env (the plugin reads no key files)",
                );
            }
            let bytes = key.as_ref().map(|k| k.expose().as_bytes());
            let signer = AssertionSigner::from_config(&kafka, bytes, None).map_err(|e| {
                // The core names the key file property; here the key came from the plugin's member.
                let member = config
                    .private_key_env
                    .as_ref()
                    .map_or("private_key".to_owned(), |n| format!("private_key_env {n}"));
                let prefix = format!("{key_file}: ");
                match e.message().strip_prefix(&prefix) {
                    Some(rest) => Error::new(e.kind(), format!("{member}: {rest}")),
                    None => e,
                }
            })?;
            Some(Box::new(signer))
        } else {
            if config.private_key.is_some() || config.private_key_env.is_some() {
                return invalid(
                    "a private key is set but the properties take the client-secret path; set sasl.oauthbearer.assertion.claim.iss to sign assertions",
                );
            }
            if kafka.client_secret.is_none() {
                return fail(
                    ErrorKind::MissingConfig,
                    "the client-secret path needs the client secret: set client_secret_env (or the secret property)",
                );
            }
            None
        };
        let policy = LifecyclePolicy::from_config(&kafka);
        Ok((Source::Oauth { config: Box::new(kafka), signer, target }, policy))
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &SidecarConfig {
        &self.config
    }

    /// The lifecycle policy: the client's refresh schedule and back-off, and the fetch deadline
    /// (`fetch_timeout_ms`, else the client's connect + read timeouts, else 10 s).
    pub fn policy(&self) -> LifecyclePolicy {
        self.policy
    }

    /// The first call of a fetch at `now_ms` (an assertion is signed here).
    pub fn begin(&self, now_ms: u64) -> std::result::Result<(Exchange, Call), FetchFailed> {
        match &self.source {
            Source::Oauth { config, signer, target } => {
                let assertion = match signer {
                    Some(s) => Some(s.sign(now_ms, None).map_err(|e| FetchFailed::of(e, None))?),
                    None => None,
                };
                let request = crate::request::from_config(config, assertion.as_ref().map(|a| a.expose()))
                    .map_err(|e| FetchFailed::of(e, None))?;
                let call = Call {
                    method: request.method,
                    authority: target.0.clone(),
                    path: target.1.clone(),
                    headers: request.headers,
                    body: Some(request.body),
                };
                Ok((Exchange::Token { principal: None }, call))
            }
            Source::Google { principal: Some(p), host, .. } => {
                Ok((Exchange::Token { principal: Some(p.clone()) }, metadata_call(host, "/token")))
            }
            Source::Google { principal: None, host, .. } => Ok((Exchange::Email, metadata_call(host, "/email"))),
        }
    }

    /// What to make of `answer` (`None`: no answer — a timeout, a reset, no healthy upstream) to
    /// the call of `exchange`, at `now_ms`.
    pub fn answer(&self, exchange: Exchange, answer: Option<Answer<'_>>, now_ms: u64) -> Outcome {
        let Some(answer) = answer else {
            let error = Error::new(
                ErrorKind::TokenEndpointUnreachable,
                format!("no answer from cluster {} (timeout, reset or no healthy upstream)", self.config.cluster),
            );
            return Outcome::Failed(FetchFailed::of(error, None));
        };
        let fail = |e: Error| Outcome::Failed(FetchFailed::of(e, answer.retry_after));
        let body = String::from_utf8_lossy(&answer.body[..answer.body.len().min(MAX_ANSWER_BYTES)]);
        match (&self.source, exchange) {
            (Source::Oauth { config, .. }, _) => {
                match parse_token_response(answer.status, answer.content_type, &body, self.config.dialect).and_then(
                    |r| {
                        accepted(r.token, self.config.dialect, &config.sub_claim_name, &config.scope_claim_name, now_ms)
                    },
                ) {
                    Ok(token) => Outcome::Token(token),
                    Err(e) => fail(e),
                }
            }
            (Source::Google { host, .. }, Exchange::Email) => {
                if answer.status != 200 {
                    return fail(metadata_error(answer.status, "email"));
                }
                let principal = body.trim().to_owned();
                match validate_principal(&principal) {
                    Ok(()) => {
                        Outcome::Next(Exchange::Token { principal: Some(principal) }, metadata_call(host, "/token"))
                    }
                    Err(e) => fail(e),
                }
            }
            (Source::Google { style, .. }, Exchange::Token { principal }) => {
                if answer.status != 200 {
                    return fail(metadata_error(answer.status, "token"));
                }
                let response = match parse_token_response(answer.status, answer.content_type, &body, Dialect::KafkaJava)
                {
                    Ok(r) => r,
                    Err(e) => return fail(e),
                };
                let Some(lifetime_ms) = response.expires_in.filter(|s| *s > 0.0).map(|s| (s * 1000.0) as u64) else {
                    return fail(Error::new(
                        ErrorKind::InvalidTokenResponse,
                        "the metadata server's token has no expires_in",
                    ));
                };
                let principal = principal.unwrap_or_default();
                match google_token(
                    response.token.expose(),
                    now_ms.saturating_add(lifetime_ms),
                    &principal,
                    now_ms,
                    *style,
                ) {
                    Ok(t) => Outcome::Token(Fetched {
                        token: t.token,
                        expires_at_ms: t.expires_at_ms,
                        issued_at_ms: Some(now_ms),
                    }),
                    Err(e) => fail(e),
                }
            }
        }
    }

    /// The body of a JSON 503 for a request that cannot get a valid token: RFC 6749's
    /// `temporarily_unavailable` with the core's stable code and message (never a secret).
    pub fn unavailable_body(error: &Error) -> String {
        json!({ "error": "temporarily_unavailable", "error_description": error.message(), "code": error.code() })
            .to_string()
    }

    /// The endpoint mode's answer body for `token` at `now_ms`.
    pub fn token_body(&self, token: &Fetched, now_ms: u64) -> String {
        crate::endpoint::token_response_body(
            token.token.expose(),
            token.expires_at_ms,
            now_ms,
            self.config.response_style,
        )
    }

    /// Whether the endpoint mode serves `path` (its query left out).
    pub fn serves_path(&self, path: &str) -> bool {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        self.config.token_path.as_deref().is_none_or(|p| p == path)
    }

    /// Where an endpoint-mode request goes (`None`: not the token path; pass it on): the token
    /// for `GET`, `HEAD` and `POST`, as kafka-auth-handler answers.
    pub fn route(&self, method: &str, path: &str) -> Option<Route> {
        self.serves_path(path).then(|| crate::endpoint::route(EndpointMode::Provider, Method::parse(method), path))
    }

    /// The JSON body of a refused endpoint request.
    pub fn refusal_body(description: &str) -> String {
        crate::endpoint::error_response_body("invalid_request", description)
    }

    /// The key the workers share the token state under: the plugin's name and a digest of its
    /// configuration, so a changed configuration never serves the previous one's token.
    pub fn state_key(plugin_name: &str, configuration: &[u8]) -> String {
        let digest = Sha256::digest(configuration);
        format!("oauthbearer/1/{plugin_name}/{}", hex::encode(&digest[..12]))
    }

    /// The `Authorization` value for `token` in inject mode.
    pub fn authorization(token: &Fetched) -> String {
        format!("Bearer {}", token.token.expose())
    }
}

fn metadata_call(host: &str, leaf: &str) -> Call {
    Call {
        method: "GET",
        authority: host.to_owned(),
        path: format!("{METADATA_ACCOUNT}{leaf}"),
        headers: vec![("Metadata-Flavor".to_owned(), "Google".to_owned())],
        body: None,
    }
}

fn metadata_error(status: u16, what: &str) -> Error {
    let kind = if status >= 500 || status == 429 {
        ErrorKind::TokenEndpointUnreachable
    } else {
        ErrorKind::CredentialsUnavailable
    };
    Error::new(kind, format!("the metadata server answered {status} for the service account {what}"))
}

/// A token as the client checks it: a JWT with a principal and an unexpired `exp`.
fn accepted(token: Secret, dialect: Dialect, sub: &str, scope: &str, now_ms: u64) -> Result<Fetched> {
    let check = TokenCheck { sub_claim: sub.to_owned(), scope_claim: scope.to_owned(), ..TokenCheck::new(dialect) };
    let accepted = check_access_token(token.expose(), &check)?;
    check_not_expired(&accepted, now_ms, 0)?;
    let expires_at_ms = u64::try_from(accepted.expires_at_ms).unwrap_or(0);
    let issued_at_ms = accepted.issued_at_ms.and_then(|v| u64::try_from(v).ok());
    Ok(Fetched { token, expires_at_ms, issued_at_ms })
}

#[cfg(test)]
mod tests;
