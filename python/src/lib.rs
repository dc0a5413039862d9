//! `oauthbearer._native`: the oauthbearer core for Python. Each function converts its
//! arguments, calls the core and converts back; the Python package (`oauthbearer/`) adds
//! credential fetching, HTTP, caching and the client adapters.
#![forbid(unsafe_code)]
// pyo3's macros expand to code these lints dislike; Python keyword arguments make long signatures
// readable at the call site.
#![allow(unreachable_pub, missing_docs, clippy::useless_conversion, clippy::too_many_arguments)]

mod errors;
mod exit_guard;
mod server;

use std::collections::BTreeMap;
use std::sync::Mutex;

use oauthbearer::assertion::{check_prebuilt_assertion, AssertionOptions, AssertionType};
use oauthbearer::config::{AssertionSource, Dialect, GrantPath, Mode};
use oauthbearer::reload::{CertificateFile, FileAssertionSource};
use oauthbearer::{
    endpoint, explain as core_explain, google, issuer, lifecycle, msk, request, response, retry, sasl, token,
};
use oauthbearer::{Algorithm, AssertionSigner as CoreSigner, Config, PrivateKey, Secret};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use pythonize::pythonize;
use serde_json::Value;

use errors::{IntoPy, Res};

pub(crate) type Properties = BTreeMap<String, String>;

fn props(p: &Properties) -> impl Iterator<Item = (&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

pub(crate) fn parse<T: std::str::FromStr<Err = oauthbearer::Error>>(text: &str) -> Res<T> {
    text.parse::<T>().py()
}

pub(crate) fn config(properties: &Properties, dialect: &str, mode: &str) -> Res<Config> {
    Config::from_properties_with(props(properties), parse::<Dialect>(dialect)?, parse::<Mode>(mode)?).py()
}

fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize(py, value).map_err(PyErr::from)
}

/// A parsed private key bound to an algorithm, its signer built once. Never shows key material.
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct SigningKey(oauthbearer::SigningKey);

#[pymethods]
impl SigningKey {
    /// Parses PEM, DER or a JWK; `algorithm` defaults to the key's natural one.
    #[staticmethod]
    #[pyo3(signature = (data, passphrase=None, algorithm=None))]
    fn parse(data: &[u8], passphrase: Option<String>, algorithm: Option<&str>) -> Res<Self> {
        let key = PrivateKey::from_bytes(data, passphrase.map(Secret::new).as_ref()).py()?;
        let alg = algorithm.map(parse::<Algorithm>).transpose()?.unwrap_or_else(|| key.default_algorithm());
        Ok(Self(key.signing_key(alg).py()?))
    }

    /// A fresh ES256 (P-256) key from the OS random source.
    #[staticmethod]
    fn generate() -> Res<Self> {
        let key = PrivateKey::generate_p256().py()?;
        Ok(Self(key.signing_key(Algorithm::ES256).py()?))
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.0.algorithm().as_str()
    }

    #[getter]
    fn key_type(&self) -> String {
        format!("{:?}", self.0.private_key().key_type())
    }

    #[getter]
    fn thumbprint(&self) -> String {
        self.0.private_key().thumbprint()
    }

    /// The public key as a JWK dict to register with an IdP: the RFC 7638 members, `alg`, `use: "sig"`
    /// and `kid` when given.
    #[pyo3(signature = (kid=None))]
    fn public_jwk<'py>(&self, py: Python<'py>, kid: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &Value::Object(self.0.public_jwk(kid)))
    }

    /// The raw JWS signature over `message`.
    fn sign<'py>(&self, py: Python<'py>, message: &[u8]) -> Res<Bound<'py, PyBytes>> {
        let signature = exit_guard::detach(py, || self.0.sign(message)).py()?;
        Ok(PyBytes::new(py, &signature))
    }

    fn __repr__(&self) -> String {
        format!("SigningKey(algorithm={:?}, kid={:?})", self.0.algorithm().as_str(), self.0.private_key().thumbprint())
    }
}

/// A signed assertion; `repr` never shows the value.
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct SignedAssertion {
    /// The compact JWS (a secret).
    pub value: String,
    /// `iat`, seconds.
    pub issued_at: i64,
    /// `exp`, seconds.
    pub expires_at: i64,
    /// `jti`, when included.
    pub jti: Option<String>,
}

#[pymethods]
impl SignedAssertion {
    fn __repr__(&self) -> String {
        format!("SignedAssertion(value=[redacted], issued_at={}, expires_at={})", self.issued_at, self.expires_at)
    }
}

/// KIP-1258 client assertions for one configuration, from the property list and file contents.
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct AssertionSigner(CoreSigner);

#[pymethods]
impl AssertionSigner {
    #[new]
    #[pyo3(signature = (properties, dialect="kafka-java", mode="strict", private_key=None, template=None, typ="JWT", key_id=None, certificate=None, thumbprint_header=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn new(
        properties: Properties,
        dialect: &str,
        mode: &str,
        private_key: Option<&[u8]>,
        template: Option<&[u8]>,
        typ: &str,
        key_id: Option<String>,
        certificate: Option<&[u8]>,
        thumbprint_header: Option<&str>,
    ) -> Res<Self> {
        let config = config(&properties, dialect, mode)?;
        let options = AssertionOptions {
            dialect: parse(dialect)?,
            mode: parse(mode)?,
            typ: if typ == "client-authentication+jwt" {
                AssertionType::ClientAuthentication
            } else {
                AssertionType::Jwt
            },
            key_id,
            ..AssertionOptions::default()
        };
        let header = thumbprint_header.map(parse).transpose()?;
        let options = options.with_certificate(certificate, header).py()?;
        Ok(Self(CoreSigner::from_config_with(&config, private_key, template, options).py()?))
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.0.signing_key().algorithm().as_str()
    }

    /// Signs at `now_ms`; a UUID `jti` is generated when absent and configured.
    #[pyo3(signature = (now_ms, jti=None))]
    fn sign(&self, py: Python<'_>, now_ms: u64, jti: Option<&str>) -> Res<SignedAssertion> {
        let s = exit_guard::detach(py, || self.0.sign(now_ms, jti)).py()?;
        Ok(SignedAssertion {
            value: s.expose().to_owned(),
            issued_at: s.issued_at,
            expires_at: s.expires_at,
            jti: s.jti,
        })
    }

    /// The header and claims `sign` would sign.
    #[pyo3(signature = (now_ms, jti=None))]
    fn header_and_payload<'py>(
        &self,
        py: Python<'py>,
        now_ms: u64,
        jti: Option<&str>,
    ) -> Res<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let (h, p) = self.0.header_and_payload(now_ms, jti).py()?;
        Ok((to_py(py, &Value::Object(h))?, to_py(py, &Value::Object(p))?))
    }

    fn public_jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &Value::Object(self.0.signing_key().public_jwk(None)))
    }

    fn __repr__(&self) -> String {
        format!("AssertionSigner(algorithm={:?})", self.algorithm())
    }
}

/// The assertion a config sends, re-reading its key, template or pre-built assertion file when it
/// changes on disk (the last good version stays in use if a new one does not parse).
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct FileAssertions(FileAssertionSource);

#[pymethods]
impl FileAssertions {
    /// `certificate_file` names the signing key's certificate in each assertion's header (Entra
    /// ID certificate credentials) with `thumbprint_header` (`x5t#S256` by default, `x5t`, `both`).
    #[new]
    #[pyo3(signature = (properties, dialect="kafka-java", mode="strict", certificate_file=None, thumbprint_header=None))]
    fn new(
        properties: Properties,
        dialect: &str,
        mode: &str,
        certificate_file: Option<std::path::PathBuf>,
        thumbprint_header: Option<&str>,
    ) -> Res<Self> {
        let config = config(&properties, dialect, mode)?;
        let header = thumbprint_header.map(parse).transpose()?;
        let certificate = CertificateFile::optional(certificate_file, header).py()?;
        Ok(Self(FileAssertionSource::from_config_with_certificate(&config, parse(mode)?, certificate).py()?))
    }

    /// `(assertion, reload_error_codes)` at `now_ms`.
    #[pyo3(signature = (now_ms, jti=None))]
    fn assertion(&self, py: Python<'_>, now_ms: u64, jti: Option<&str>) -> Res<(String, Vec<String>)> {
        let outcome = exit_guard::detach(py, || self.0.assertion(now_ms, jti)).py()?;
        let errors = outcome.reload_errors.iter().map(|e| e.code().to_owned()).collect();
        Ok((outcome.assertion.expose().to_owned(), errors))
    }

    fn __repr__(&self) -> &'static str {
        "FileAssertions(...)"
    }
}

/// What a property list configures, without secrets (only whether they are set).
#[pyfunction]
#[pyo3(signature = (properties, dialect="kafka-java", mode="strict"))]
fn parse_config<'py>(py: Python<'py>, properties: Properties, dialect: &str, mode: &str) -> Res<Bound<'py, PyDict>> {
    let c = config(&properties, dialect, mode)?;
    let d = PyDict::new(py);
    let (grant, source) = match &c.grant {
        GrantPath::ClientSecret => ("client_secret", None),
        GrantPath::ClientAssertion(s) => ("client_assertion", Some(s)),
        GrantPath::JwtBearer(s) => ("jwt_bearer", Some(s)),
        GrantPath::TokenFile(path) => {
            d.set_item("token_file", path)?;
            ("token_file", None)
        }
        _ => ("other", None),
    };
    d.set_item("grant", grant)?;
    d.set_item("dialect", c.dialect.as_str())?;
    if let Some(AssertionSource::File(path)) = source {
        d.set_item("assertion_file", path)?;
    }
    d.set_item("token_endpoint_url", &c.token_endpoint_url)?;
    d.set_item("client_id", &c.client_id)?;
    d.set_item("has_client_secret", c.client_secret.is_some())?;
    d.set_item("scope", &c.scope)?;
    d.set_item("algorithm", c.assertion.algorithm.as_str())?;
    d.set_item("private_key_file", &c.assertion.private_key_file)?;
    d.set_item("template_file", &c.assertion.template_file)?;
    d.set_item("retry_backoff_ms", c.retry_backoff_ms)?;
    d.set_item("retry_backoff_max_ms", c.retry_backoff_max_ms)?;
    d.set_item("connect_timeout_ms", c.connect_timeout_ms)?;
    d.set_item("read_timeout_ms", c.read_timeout_ms)?;
    d.set_item("extensions", c.extensions.clone())?;
    d.set_item("warnings", c.warnings.clone())?;
    Ok(d)
}

/// An HTTP request for the caller to make; `repr` hides the body (it holds secrets).
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct TokenRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[pymethods]
impl TokenRequest {
    fn __repr__(&self) -> String {
        format!("TokenRequest(method={:?}, url={:?}, body=[redacted])", self.method, self.url)
    }
}

impl From<oauthbearer::TokenRequest> for TokenRequest {
    fn from(r: oauthbearer::TokenRequest) -> Self {
        Self { method: r.method.to_owned(), url: r.url, headers: r.headers, body: r.body.expose().to_owned() }
    }
}

/// The token request a property list configures; `assertion` when the grant takes one.
#[pyfunction]
#[pyo3(signature = (properties, dialect="kafka-java", mode="strict", assertion=None))]
fn token_request(properties: Properties, dialect: &str, mode: &str, assertion: Option<&str>) -> Res<TokenRequest> {
    request::from_config(&config(&properties, dialect, mode)?, assertion).map(Into::into).py()
}

/// A parsed token response; `repr` hides the tokens.
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct TokenResponse {
    pub token: String,
    pub token_type: Option<String>,
    pub expires_in: Option<f64>,
    pub scope: Option<String>,
}

#[pymethods]
impl TokenResponse {
    fn __repr__(&self) -> String {
        format!("TokenResponse(token=[redacted], expires_in={:?}, scope={:?})", self.expires_in, self.scope)
    }
}

/// Parses a token endpoint's answer as the dialect's client does (`TokenEndpointError` on refusal).
#[pyfunction]
#[pyo3(signature = (status, content_type, body, dialect="kafka-java", properties=None))]
fn parse_token_response(
    status: u16,
    content_type: Option<&str>,
    body: &str,
    dialect: &str,
    properties: Option<Properties>,
) -> Res<TokenResponse> {
    // With the client's properties, a refusal never quotes a secret they hold.
    let r = match properties {
        Some(p) => {
            response::parse_token_response_for(status, content_type, body, &config(&p, dialect, "kafka-compatible")?)
        }
        None => response::parse_token_response(status, content_type, body, parse(dialect)?),
    }
    .py()?;
    Ok(TokenResponse {
        token: r.token.expose().to_owned(),
        token_type: r.token_type,
        expires_in: r.expires_in,
        scope: r.scope,
    })
}

/// Kafka's (or librdkafka's) retry schedule for one token fetch.
#[pyclass(module = "oauthbearer._native")]
pub struct RetrySchedule(retry::RetryState);

#[pymethods]
impl RetrySchedule {
    #[new]
    #[pyo3(signature = (start_ms, style="kafka-java", backoff_ms=100, max_ms=10_000, jitter=0.0))]
    fn new(start_ms: u64, style: &str, backoff_ms: u64, max_ms: u64, jitter: f64) -> Res<Self> {
        let mut policy = if style == "librdkafka" {
            retry::RetryPolicy::librdkafka()
        } else {
            retry::RetryPolicy::kafka_java(backoff_ms, max_ms).py()?
        };
        policy.jitter = jitter;
        Ok(Self(policy.start(start_ms)))
    }

    /// Milliseconds to wait before the next attempt after a failure at `now_ms`, or None to give
    /// up. `status` None means a transport error.
    #[pyo3(signature = (now_ms, status=None, retry_after=None, random01=0.0))]
    fn next_delay_ms(
        &mut self,
        now_ms: u64,
        status: Option<u16>,
        retry_after: Option<&str>,
        random01: f64,
    ) -> Option<u64> {
        self.0.next_delay_ms(now_ms, retry::Failure { status, retry_after }, random01)
    }
}

/// A provider token; `repr` hides the value.
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct ProviderToken {
    pub value: String,
    pub expires_at_ms: u64,
    pub principal: String,
}

#[pymethods]
impl ProviderToken {
    fn __repr__(&self) -> String {
        format!("ProviderToken(value=[redacted], expires_at_ms={}, principal={:?})", self.expires_at_ms, self.principal)
    }
}

/// Google Managed Kafka's `GOOG_OAUTH2_TOKEN` pseudo-JWT around a Google access token.
#[pyfunction]
#[pyo3(signature = (access_token, expires_at_ms, principal, now_ms, style="google-java"))]
fn google_token(
    access_token: &str,
    expires_at_ms: u64,
    principal: &str,
    now_ms: u64,
    style: &str,
) -> Res<ProviderToken> {
    let t = google::google_token(access_token, expires_at_ms, principal, now_ms, parse(style)?).py()?;
    Ok(ProviderToken { value: t.token.expose().to_owned(), expires_at_ms: t.expires_at_ms, principal: t.principal })
}

/// The principal of ADC credentials: `("known", email)`, `("host_must_look_up", None)` for user
/// credentials, `("not_in_credentials", None)` for metadata-server credentials.
#[pyfunction]
#[pyo3(signature = (credentials_json, principal_override=None))]
fn google_principal(
    credentials_json: Option<&str>,
    principal_override: Option<&str>,
) -> Res<(&'static str, Option<String>)> {
    Ok(match google::principal_from_credentials(credentials_json.map(str::as_bytes), principal_override).py()? {
        google::PrincipalSource::Known(p) => ("known", Some(p)),
        google::PrincipalSource::HostMustLookUp => ("host_must_look_up", None),
        _ => ("not_in_credentials", None),
    })
}

/// Checks a principal (email, `principal://…`; not a `*.svc.id.goog` pool).
#[pyfunction]
fn validate_google_principal(principal: &str) -> Res<()> {
    google::validate_principal(principal).py()
}

/// The message for an Azure SDK credential failure: Entra's AADSTS code, the error's type name and
/// its message, redacted.
#[pyfunction]
#[pyo3(signature = (error_name, sdk_message, secrets=Vec::new()))]
fn azure_credential_failure_message(error_name: &str, sdk_message: &str, secrets: Vec<String>) -> String {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    oauthbearer::azure::credential_failure_message(error_name, sdk_message, &secrets)
}

/// A cloud SDK's failure for an error message: `source`, the SDK error's type name and, when the
/// SDK diagnosed it itself, its message (one line, cut, `secrets` and credential-shaped parts
/// redacted).
#[pyfunction]
#[pyo3(signature = (source, error_name, sdk_message, secrets=Vec::new()))]
fn credential_failure_message(source: &str, error_name: &str, sdk_message: &str, secrets: Vec<String>) -> String {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    oauthbearer::response::credential_failure(source, error_name, sdk_message, &secrets)
}

/// The scope of Event Hubs tokens for the namespace of `bootstrap_servers`: `scope` checked
/// against it, or derived (`https://<namespace>.servicebus.windows.net/.default`).
#[pyfunction]
#[pyo3(signature = (bootstrap_servers, scope=None))]
fn eventhubs_scope(bootstrap_servers: &str, scope: Option<&str>) -> Res<String> {
    oauthbearer::azure::eventhubs_token_scope(bootstrap_servers, scope).py()
}

/// An AWS MSK IAM token (base64url of the SigV4-presigned `kafka-cluster:Connect` URL).
#[pyfunction]
#[pyo3(signature = (access_key_id, secret_access_key, session_token, credentials_expire_at_ms, region, now_ms, order="python", user_agent=None, domain=None, min_credential_lifetime_seconds=None, max_expires_seconds=None))]
fn msk_token(
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    credentials_expire_at_ms: Option<u64>,
    region: String,
    now_ms: u64,
    order: &str,
    user_agent: Option<String>,
    domain: Option<String>,
    min_credential_lifetime_seconds: Option<u32>,
    max_expires_seconds: Option<u32>,
) -> Res<ProviderToken> {
    let credentials = msk::AwsCredentials {
        access_key_id,
        secret_access_key: Secret::new(secret_access_key),
        session_token: session_token.map(Secret::new),
        expires_at_ms: credentials_expire_at_ms,
    };
    let mut options = msk::MskTokenOptions::new(region);
    options.order = parse(order)?;
    if let Some(ua) = user_agent {
        options.user_agent = (!ua.is_empty()).then_some(ua);
    }
    if let Some(domain) = domain {
        options.domain = domain;
    }
    if let Some(floor) = min_credential_lifetime_seconds {
        options.min_credential_lifetime_seconds = floor;
    }
    if let Some(longest) = max_expires_seconds {
        options.max_expires_seconds = longest;
    }
    let t = msk::msk_token(&credentials, &options, now_ms).py()?;
    Ok(ProviderToken { value: t.token.expose().to_owned(), expires_at_ms: t.expires_at_ms, principal: String::new() })
}

/// The signed URL inside an MSK token (for `msk-token` output).
#[pyfunction]
fn msk_signed_url(token: &str) -> Res<String> {
    let bytes = oauthbearer::encoding::b64url_decode(token).map_err(|_| {
        errors::to_pyerr(&oauthbearer::Error::new(oauthbearer::ErrorKind::InvalidToken, "not base64url"))
    })?;
    String::from_utf8(bytes)
        .map_err(|_| errors::to_pyerr(&oauthbearer::Error::new(oauthbearer::ErrorKind::InvalidToken, "not UTF-8")))
}

/// The SASL/OAUTHBEARER client-first message (RFC 7628).
#[pyfunction]
#[pyo3(signature = (token, authzid=None, extensions=Vec::new()))]
fn sasl_client_first_message<'py>(
    py: Python<'py>,
    token: &str,
    authzid: Option<&str>,
    extensions: Vec<(String, String)>,
) -> Res<Bound<'py, PyBytes>> {
    let pairs: Vec<(&str, &str)> = extensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(PyBytes::new(py, &sasl::client_first_message(token, authzid, &pairs).py()?))
}

/// Confluent Cloud's `logicalCluster` / `identityPoolId` extensions, validated.
#[pyfunction]
#[pyo3(signature = (logical_cluster, identity_pool_id=None))]
fn confluent_extensions(logical_cluster: &str, identity_pool_id: Option<&str>) -> Res<Vec<(String, String)>> {
    sasl::confluent_extensions(logical_cluster, identity_pool_id).py()
}

/// Validates one SASL extension as the dialect's client does.
#[pyfunction]
#[pyo3(signature = (name, value, dialect="kafka-java"))]
fn validate_extension(name: &str, value: &str, dialect: &str) -> Res<()> {
    sasl::validate_extension(name, value, parse(dialect)?).py()
}

/// A token a Kafka client would accept.
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct AcceptedToken {
    pub principal: String,
    pub scopes: Vec<String>,
    pub expires_at_ms: i64,
    pub issued_at_ms: Option<i64>,
}

impl From<token::AcceptedToken> for AcceptedToken {
    fn from(a: token::AcceptedToken) -> Self {
        Self { principal: a.principal, scopes: a.scopes, expires_at_ms: a.expires_at_ms, issued_at_ms: a.issued_at_ms }
    }
}

#[pymethods]
impl AcceptedToken {
    fn __repr__(&self) -> String {
        format!("AcceptedToken(principal={:?}, expires_at_ms={})", self.principal, self.expires_at_ms)
    }
}

/// Checks an access token as the client (`kafka-java` or `librdkafka`) would; with `now_ms`, also
/// that it has not expired (`TokenError` with code `invalid_token` / `token_expired`).
#[pyfunction]
#[pyo3(signature = (token, dialect="kafka-java", now_ms=None, sub_claim="sub", scope_claim="scope", skew_ms=0, split_scope=false))]
fn check_access_token(
    token: &str,
    dialect: &str,
    now_ms: Option<u64>,
    sub_claim: &str,
    scope_claim: &str,
    skew_ms: u64,
    split_scope: bool,
) -> Res<AcceptedToken> {
    let mut check = token::TokenCheck::new(parse(dialect)?);
    sub_claim.clone_into(&mut check.sub_claim);
    scope_claim.clone_into(&mut check.scope_claim);
    check.split_scope = split_scope;
    let accepted = token::check_access_token(token, &check).py()?;
    if let Some(now) = now_ms {
        token::check_not_expired(&accepted, now, skew_ms).py()?;
    }
    Ok(accepted.into())
}

/// Checks an access token as the broker would (`BrokerJwtValidator`): signature against the JWKS,
/// `exp`/`iat`/`nbf` with the clock skew, the expected issuer and audience.
#[pyfunction]
#[pyo3(signature = (token, jwks_json, now_ms, audience=Vec::new(), issuer=None, clock_skew_seconds=30))]
fn check_as_broker(
    token: &str,
    jwks_json: &str,
    now_ms: u64,
    audience: Vec<String>,
    issuer: Option<String>,
    clock_skew_seconds: u64,
) -> Res<AcceptedToken> {
    let check = oauthbearer::broker::BrokerCheck::from_jwks(jwks_json).py()?.expecting(
        audience,
        issuer,
        Some(clock_skew_seconds),
    );
    let accepted = oauthbearer::broker::check_as_broker(token, &check, now_ms).py()?;
    Ok(accepted.into())
}

/// When to refresh a token: `(at_ms, expired)` on the client's schedule (`kafka-java` with
/// `jitter01` in [0, 1), or `librdkafka`).
#[pyfunction]
#[pyo3(signature = (now_ms, expires_at_ms, issued_at_ms=None, client="kafka-java", jitter01=0.0))]
fn refresh_at(now_ms: u64, expires_at_ms: u64, issued_at_ms: Option<u64>, client: &str, jitter01: f64) -> (u64, bool) {
    let d = if client == "librdkafka" {
        token::refresh_at_librdkafka(now_ms, expires_at_ms)
    } else {
        token::refresh_at_java(now_ms, expires_at_ms, issued_at_ms, &token::RefreshConfig::default(), jitter01)
    };
    (d.at_ms, d.expired)
}

/// A token endpoint success body (`rfc6749`, `google-python`, `kafka-auth-handler`).
#[pyfunction]
#[pyo3(signature = (token, expires_at_ms, now_ms, style="rfc6749"))]
fn token_response_body(token: &str, expires_at_ms: u64, now_ms: u64, style: &str) -> Res<String> {
    Ok(endpoint::token_response_body(token, expires_at_ms, now_ms, parse(style)?))
}

/// An RFC 6749 §5.2 error body.
#[pyfunction]
fn error_response_body(error: &str, description: &str) -> String {
    endpoint::error_response_body(error, description)
}

/// The pre-built assertion in `contents`, checked; returns `(assertion, exp)`.
#[pyfunction]
#[pyo3(signature = (contents, now_ms, margin_seconds=30, mode="strict"))]
fn check_prebuilt(contents: &str, now_ms: u64, margin_seconds: u32, mode: &str) -> Res<(String, Option<i64>)> {
    let p = check_prebuilt_assertion(contents, now_ms, margin_seconds, parse(mode)?).py()?;
    Ok((p.value.expose().to_owned(), p.expires_at))
}

/// One explain finding.
#[pyfunction]
#[pyo3(signature = (properties, dialect="kafka-java", kafka_version=None, java_version=None, private_key=None, token=None, idp_max_assertion_lifetime_seconds=None, client=None, client_version=None, broker_reauth_ms=None, assertion_template=None))]
#[allow(clippy::too_many_arguments)] // Python keyword arguments
fn explain(
    properties: Properties,
    dialect: &str,
    kafka_version: Option<(u32, u32)>,
    java_version: Option<u32>,
    private_key: Option<&[u8]>,
    token: Option<&str>,
    idp_max_assertion_lifetime_seconds: Option<u32>,
    client: Option<&str>,
    client_version: Option<&str>,
    broker_reauth_ms: Option<u64>,
    assertion_template: Option<&[u8]>,
) -> Res<Vec<(String, String, String, String)>> {
    let context = core_explain::ExplainContext {
        kafka_version,
        java_version,
        private_key,
        token,
        idp_max_assertion_lifetime_seconds,
        client,
        client_version,
        broker_reauth_ms,
        assertion_template,
    };
    let findings = core_explain::explain(props(&properties), parse(dialect)?, &context);
    Ok(findings.into_iter().map(|f| (f.severity.as_str().to_owned(), f.code, f.message, f.fix)).collect())
}

/// The kafka-clients version (`"3.9"`) open-source Spark `spark_version`'s Kafka connector runs;
/// `None` for a release the core's table does not know.
#[pyfunction]
fn spark_kafka_clients_version(spark_version: &str) -> Option<String> {
    core_explain::spark_kafka_clients_version(spark_version).map(|(major, minor)| format!("{major}.{minor}"))
}

/// An issued access token; `repr` hides it.
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at_ms: u64,
    pub expires_in: u64,
}

#[pymethods]
impl IssuedToken {
    fn __repr__(&self) -> String {
        format!("IssuedToken(token=[redacted], expires_at_ms={})", self.expires_at_ms)
    }
}

/// A local OAuth issuer: signs access tokens, publishes JWKS and discovery, authenticates
/// `client_credentials` requests by secret or KIP-1258 assertion (with a replay cache).
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct LocalIssuer(pub(crate) std::sync::Arc<issuer::IssuerService>);

#[pymethods]
impl LocalIssuer {
    #[new]
    fn new(issuer_url: String, key: &SigningKey) -> Self {
        Self(std::sync::Arc::new(issuer::IssuerService::new(issuer::LocalIssuer::new(issuer_url, key.0.clone()))))
    }

    #[getter]
    fn issuer(&self) -> &str {
        self.0.issuer().issuer()
    }

    #[getter]
    fn token_endpoint(&self) -> String {
        self.0.issuer().token_endpoint()
    }

    #[getter]
    fn jwks_uri(&self) -> String {
        self.0.issuer().jwks_uri()
    }

    /// The JWKS document, as served.
    fn jwks_json(&self) -> String {
        self.0.issuer().jwks().to_string()
    }

    /// The OpenID discovery document, as served.
    fn discovery_json(&self) -> String {
        self.0.issuer().discovery().to_string()
    }

    /// Registers a client with a secret and/or public JWKs (dicts) for its assertions.
    #[pyo3(signature = (client_id, secret=None, jwks=Vec::new()))]
    fn register_client(&self, client_id: String, secret: Option<String>, jwks: Vec<Bound<'_, PyAny>>) -> Res<()> {
        let keys = jwks
            .iter()
            .map(|jwk| match pythonize::depythonize::<Value>(jwk) {
                Ok(Value::Object(jwk)) => oauthbearer::key::VerifyingKey::from_jwk(&jwk).py(),
                _ => Err(errors::to_pyerr(&oauthbearer::Error::new(
                    oauthbearer::ErrorKind::InvalidKey,
                    "a client JWK is not a JSON object (a dict)",
                ))),
            })
            .collect::<Res<Vec<_>>>()?;
        self.0.register(issuer::RegisteredClient { client_id, secret: secret.map(Secret::new), keys });
        Ok(())
    }

    /// Signs an access token for `subject`.
    #[pyo3(signature = (subject, now_ms, lifetime_seconds=3600, audience=None, scope=None, jti=None))]
    fn sign_access_token(
        &self,
        py: Python<'_>,
        subject: String,
        now_ms: u64,
        lifetime_seconds: u32,
        audience: Option<String>,
        scope: Option<String>,
        jti: Option<&str>,
    ) -> Res<IssuedToken> {
        let claims = issuer::AccessTokenClaims { subject, audience, scope, lifetime_seconds };
        let t = exit_guard::detach(py, || self.0.issuer().sign_access_token(&claims, now_ms, jti)).py()?;
        Ok(IssuedToken { token: t.token.expose().to_owned(), expires_at_ms: t.expires_at_ms, expires_in: t.expires_in })
    }

    /// Authenticates a token request (form body + `Authorization` header) against the registered
    /// clients; returns `(client_id, scope)`. Refuses replayed assertion `jti`s. With no client
    /// registered the issuer is open: any `client_credentials` request passes (local tests only).
    #[pyo3(signature = (body, authorization, now_ms))]
    fn authenticate(&self, body: &str, authorization: Option<&str>, now_ms: u64) -> Res<(String, Option<String>)> {
        self.0.authenticate(body, authorization, now_ms).py()
    }

    fn __repr__(&self) -> String {
        format!("LocalIssuer(issuer={:?}, kid={:?})", self.0.issuer().issuer(), self.0.issuer().key_id())
    }
}

/// The `(key, value)` pairs of a Java `.properties` text, in order.
#[pyfunction]
fn parse_properties(text: &str) -> Res<Vec<(String, String)>> {
    oauthbearer::config::properties::parse(text).py()
}

/// A random UUID v4 for `jti`s.
#[pyfunction]
fn new_jti() -> Res<String> {
    oauthbearer::assertion::new_jti().py()
}

/// What a caller who wants a token must do (`kind`: `serve`, `fetch`, `wait` or `fail`). Tokens
/// are named by the fetch that produced them; `fail` carries the fetch whose error to raise, or
/// the machine's own `error` (a timeout).
#[pyclass(module = "oauthbearer._native", frozen, get_all)]
pub struct LifecycleDecision {
    pub kind: &'static str,
    pub fetch: Option<u64>,
    pub serve: Option<u64>,
    pub until_ms: Option<u64>,
    pub wait_ms: Option<u64>,
    pub error: Option<Py<PyAny>>,
}

#[pymethods]
impl LifecycleDecision {
    fn __repr__(&self) -> String {
        format!(
            "LifecycleDecision(kind={:?}, fetch={:?}, serve={:?}, wait_ms={:?})",
            self.kind, self.fetch, self.serve, self.wait_ms
        )
    }
}

/// The core's token lifecycle machine for one token source (the provider keeps the tokens and
/// errors; the machine decides when to serve, fetch, wait or fail).
#[pyclass(module = "oauthbearer._native", frozen)]
pub struct TokenLifecycle(Mutex<lifecycle::HandleLifecycle>);

fn lifecycle_settings(
    fetch_timeout_ms: Option<u64>,
    retry_backoff_ms: Option<(u64, u64)>,
    max_abandoned: Option<u32>,
) -> lifecycle::LifecycleSettings {
    lifecycle::LifecycleSettings { fetch_timeout_ms, retry_backoff_ms, max_abandoned }
}

#[pymethods]
impl TokenLifecycle {
    /// The client's policy (`kafka-java` or `librdkafka`) with the given settings.
    #[new]
    #[pyo3(signature = (client="kafka-java", fetch_timeout_ms=None, retry_backoff_ms=None, max_abandoned=None))]
    fn new(
        client: &str,
        fetch_timeout_ms: Option<u64>,
        retry_backoff_ms: Option<(u64, u64)>,
        max_abandoned: Option<u32>,
    ) -> Res<Self> {
        let settings = lifecycle_settings(fetch_timeout_ms, retry_backoff_ms, max_abandoned);
        let policy = lifecycle::LifecyclePolicy::for_client(parse(client)?).with_settings(&settings).py()?;
        Ok(Self(Mutex::new(lifecycle::HandleLifecycle::new(policy))))
    }

    /// The policy a client configuration implies (`sasl.login.refresh.*`, its back-off, its
    /// connect + read timeouts), with an optional deadline instead.
    #[staticmethod]
    #[pyo3(signature = (properties, dialect="kafka-java", mode="strict", fetch_timeout_ms=None))]
    fn for_properties(properties: Properties, dialect: &str, mode: &str, fetch_timeout_ms: Option<u64>) -> Res<Self> {
        let settings = lifecycle_settings(fetch_timeout_ms, None, None);
        let policy = lifecycle::LifecyclePolicy::from_config(&config(&properties, dialect, mode)?)
            .with_settings(&settings)
            .py()?;
        Ok(Self(Mutex::new(lifecycle::HandleLifecycle::new(policy))))
    }

    /// The deadline of a fetch, in ms.
    #[getter]
    fn fetch_timeout_ms(&self) -> Res<u64> {
        Ok(self.0.lock().map_err(errors::poisoned)?.policy().fetch_timeout_ms)
    }

    /// A token is wanted at `now_ms`.
    fn want(&self, py: Python<'_>, now_ms: u64) -> Res<LifecycleDecision> {
        let mut life = self.0.lock().map_err(errors::poisoned)?;
        let none = LifecycleDecision { kind: "", fetch: None, serve: None, until_ms: None, wait_ms: None, error: None };
        Ok(match life.want(now_ms) {
            lifecycle::Decision::Serve(id) => LifecycleDecision { kind: "serve", serve: Some(*id), ..none },
            lifecycle::Decision::Fetch { fetch, serve } => {
                LifecycleDecision { kind: "fetch", fetch: Some(fetch), serve: serve.copied(), ..none }
            }
            lifecycle::Decision::Wait { fetch, until_ms, wait_ms } => LifecycleDecision {
                kind: "wait",
                fetch: Some(fetch),
                until_ms: Some(until_ms),
                wait_ms: Some(wait_ms),
                ..none
            },
            lifecycle::Decision::Fail(lifecycle::HostFailure::Fetch(id)) => {
                LifecycleDecision { kind: "fail", fetch: Some(*id), ..none }
            }
            lifecycle::Decision::Fail(lifecycle::HostFailure::Core(e)) => {
                LifecycleDecision { kind: "fail", error: Some(errors::to_pyerr(e).into_value(py).into_any()), ..none }
            }
        })
    }

    /// Fetch `fetch` returned a token; `cached`, `ignored` or `expired`.
    #[pyo3(signature = (fetch, expires_at_ms, issued_at_ms, now_ms, jitter01=0.0))]
    fn fetch_succeeded(
        &self,
        fetch: u64,
        expires_at_ms: u64,
        issued_at_ms: Option<u64>,
        now_ms: u64,
        jitter01: f64,
    ) -> Res<&'static str> {
        let mut life = self.0.lock().map_err(errors::poisoned)?;
        Ok(life.handle_succeeded(fetch, expires_at_ms, issued_at_ms, now_ms, jitter01).as_str())
    }

    /// Fetch `fetch` failed; whether the failure was recorded (keep the error for `fail` decisions).
    #[pyo3(signature = (fetch, retryable, retry_after, now_ms, random01=0.0))]
    fn fetch_failed(
        &self,
        fetch: u64,
        retryable: bool,
        retry_after: Option<&str>,
        now_ms: u64,
        random01: f64,
    ) -> Res<bool> {
        let mut life = self.0.lock().map_err(errors::poisoned)?;
        Ok(life.handle_failed(fetch, retryable, retry_after, now_ms, random01))
    }

    /// An attempt inside fetch `fetch` failed with `code` and `message` and the fetch retries; a
    /// later timeout of the fetch names it. Whether `fetch` is the fetch in flight.
    fn attempt_failed(&self, fetch: u64, code: &str, message: &str) -> Res<bool> {
        let error = oauthbearer::Error::reported(code, message);
        Ok(self.0.lock().map_err(errors::poisoned)?.attempt_failed(fetch, &error))
    }

    /// Time passed: `(fetch to start or None, when to poll next or None)`.
    fn poll(&self, now_ms: u64) -> Res<(Option<u64>, Option<u64>)> {
        let p = self.0.lock().map_err(errors::poisoned)?.poll(now_ms);
        Ok((p.fetch, p.wake_at_ms))
    }

    fn __repr__(&self) -> String {
        "TokenLifecycle(...)".to_owned()
    }
}

/// Every stable error code of the core.
#[pyfunction]
fn error_codes() -> Vec<&'static str> {
    oauthbearer::ErrorKind::ALL.iter().map(|k| k.code()).collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<SigningKey>()?;
    m.add_class::<SignedAssertion>()?;
    m.add_class::<AssertionSigner>()?;
    m.add_class::<FileAssertions>()?;
    m.add_class::<TokenRequest>()?;
    m.add_class::<TokenResponse>()?;
    m.add_class::<RetrySchedule>()?;
    m.add_class::<ProviderToken>()?;
    m.add_class::<AcceptedToken>()?;
    m.add_class::<IssuedToken>()?;
    m.add_class::<LocalIssuer>()?;
    m.add_class::<LifecycleDecision>()?;
    m.add_class::<TokenLifecycle>()?;
    m.add_class::<server::NativeServer>()?;
    m.add_class::<server::AttemptReporter>()?;
    m.add_class::<server::Listener>()?;
    m.add_function(wrap_pyfunction!(parse_config, m)?)?;
    m.add_function(wrap_pyfunction!(token_request, m)?)?;
    m.add_function(wrap_pyfunction!(parse_token_response, m)?)?;
    m.add_function(wrap_pyfunction!(google_token, m)?)?;
    m.add_function(wrap_pyfunction!(google_principal, m)?)?;
    m.add_function(wrap_pyfunction!(validate_google_principal, m)?)?;
    m.add_function(wrap_pyfunction!(eventhubs_scope, m)?)?;
    m.add_function(wrap_pyfunction!(azure_credential_failure_message, m)?)?;
    m.add_function(wrap_pyfunction!(credential_failure_message, m)?)?;
    m.add("SDK_SECRET_VARIABLES", oauthbearer::response::SDK_SECRET_VARIABLES.to_vec())?;
    m.add_function(wrap_pyfunction!(msk_token, m)?)?;
    m.add_function(wrap_pyfunction!(msk_signed_url, m)?)?;
    m.add_function(wrap_pyfunction!(sasl_client_first_message, m)?)?;
    m.add_function(wrap_pyfunction!(confluent_extensions, m)?)?;
    m.add_function(wrap_pyfunction!(validate_extension, m)?)?;
    m.add_function(wrap_pyfunction!(check_access_token, m)?)?;
    m.add_function(wrap_pyfunction!(check_as_broker, m)?)?;
    m.add_function(wrap_pyfunction!(refresh_at, m)?)?;
    m.add_function(wrap_pyfunction!(token_response_body, m)?)?;
    m.add_function(wrap_pyfunction!(error_response_body, m)?)?;
    m.add_function(wrap_pyfunction!(check_prebuilt, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(spark_kafka_clients_version, m)?)?;
    m.add_function(wrap_pyfunction!(new_jti, m)?)?;
    m.add_function(wrap_pyfunction!(parse_properties, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(exit_guard::quiesce, m)?)?;
    Ok(())
}
