//! Node.js bindings for the oauthbearer core (napi-rs). The surface has the shape of the WIT
//! package `kafka:oauthbearer` as jco presents it (camelCase records, kebab-case string enums,
//! `{tag, val}` variants, BigInt for 64-bit integers), so one test suite runs against both this
//! module and the jco-transpiled component. Each function converts, calls the core and converts
//! back; errors are thrown with `err.code` = the core's stable code.
// napi's macros generate `unsafe` FFI glue; the code written here uses none.
#![allow(missing_docs, unreachable_pub, clippy::needless_pass_by_value)]

use std::sync::Mutex;

// The core allocates a few short strings per call (an MSK token: ~20); glibc's malloc in Node's
// many-threaded process made malloc a fifth of the call (perf); mimalloc took an MSK token from
// 6.5 to 5.9 µs. (Not in the WebAssembly fallback: mimalloc is C.)
#[cfg(not(target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use napi::bindgen_prelude::{BigInt, Buffer, Uint8Array};
use napi_derive::napi;
use oauthbearer::assertion::{AssertionOptions as CoreOptions, AssertionType};
use oauthbearer::config::{jaas, AssertionSource, Dialect as CoreDialect, GrantPath, Mode as CoreMode};
use oauthbearer::lifecycle::{self, Decision, HandleLifecycle, HostFailure, LifecyclePolicy};
use oauthbearer::template::AssertionTemplate;
use oauthbearer::{endpoint, explain as core_explain, google, issuer, msk, request, response, retry, sasl, token};
use oauthbearer::{Algorithm as CoreAlgorithm, Config, PrivateKey, Secret};
use serde_json::Value;

/// `[name, value]` pairs (Kafka properties, SASL extensions, HTTP headers).
#[napi]
pub type Pairs = Vec<Vec<String>>;

fn fail(e: &oauthbearer::Error) -> napi::Error<String> {
    napi::Error::new(e.code().to_owned(), e.message().to_owned())
}

trait Js<T> {
    fn js(self) -> napi::Result<T, String>;
}

impl<T> Js<T> for oauthbearer::Result<T> {
    fn js(self) -> napi::Result<T, String> {
        self.map_err(|e| fail(&e))
    }
}

fn invalid(message: &str) -> napi::Error<String> {
    fail(&oauthbearer::Error::new(oauthbearer::ErrorKind::InvalidConfig, message))
}

fn u64_of(b: &BigInt) -> napi::Result<u64, String> {
    let (signed, value, lossless) = b.get_u64();
    if signed || !lossless {
        return Err(invalid("expected a non-negative 64-bit integer"));
    }
    Ok(value)
}

fn big(v: u64) -> BigInt {
    BigInt::from(v)
}

fn big_i(v: i64) -> BigInt {
    BigInt::from(v)
}

fn pairs_in(p: &Pairs) -> napi::Result<Vec<(String, String)>, String> {
    p.iter()
        .map(|pair| match pair.as_slice() {
            [k, v] => Ok((k.clone(), v.clone())),
            _ => Err(invalid("expected [name, value] pairs")),
        })
        .collect()
}

fn pairs_out(p: &[(String, String)]) -> Pairs {
    p.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect()
}

#[napi(string_enum)]
pub enum Dialect {
    #[napi(value = "kafka-java")]
    KafkaJava,
    #[napi(value = "librdkafka")]
    Librdkafka,
}

#[napi(string_enum)]
pub enum Mode {
    #[napi(value = "strict")]
    Strict,
    #[napi(value = "kafka-compatible")]
    KafkaCompatible,
}

#[napi(string_enum)]
pub enum Algorithm {
    #[napi(value = "rs256")]
    Rs256,
    #[napi(value = "ps256")]
    Ps256,
    #[napi(value = "es256")]
    Es256,
    #[napi(value = "es384")]
    Es384,
    #[napi(value = "eddsa")]
    Eddsa,
}

fn dialect(d: Dialect) -> CoreDialect {
    match d {
        Dialect::KafkaJava => CoreDialect::KafkaJava,
        Dialect::Librdkafka => CoreDialect::Librdkafka,
    }
}

fn mode(m: Mode) -> CoreMode {
    match m {
        Mode::Strict => CoreMode::Strict,
        Mode::KafkaCompatible => CoreMode::KafkaCompatible,
    }
}

fn algorithm_in(a: Algorithm) -> CoreAlgorithm {
    match a {
        Algorithm::Rs256 => CoreAlgorithm::RS256,
        Algorithm::Ps256 => CoreAlgorithm::PS256,
        Algorithm::Es256 => CoreAlgorithm::ES256,
        Algorithm::Es384 => CoreAlgorithm::ES384,
        Algorithm::Eddsa => CoreAlgorithm::EdDSA,
    }
}

fn algorithm_out(a: CoreAlgorithm) -> Algorithm {
    match a.as_str() {
        "RS256" => Algorithm::Rs256,
        "PS256" => Algorithm::Ps256,
        "ES384" => Algorithm::Es384,
        "EdDSA" => Algorithm::Eddsa,
        _ => Algorithm::Es256,
    }
}

fn config(properties: &Pairs, d: CoreDialect, m: CoreMode) -> napi::Result<Config, String> {
    let props = pairs_in(properties)?;
    Config::from_properties_with(props.iter().map(|(k, v)| (k.as_str(), v.as_str())), d, m).js()
}

/// A parsed private key bound to an algorithm; never exposes key material.
#[napi]
pub struct SigningKey(oauthbearer::SigningKey);

#[napi]
impl SigningKey {
    /// Parses PEM, DER or a JWK; `algorithm` defaults to the key's natural one.
    #[napi(factory)]
    pub fn parse(
        key: Uint8Array,
        passphrase: Option<String>,
        algorithm: Option<Algorithm>,
    ) -> napi::Result<Self, String> {
        let private = PrivateKey::from_bytes(&key, passphrase.map(Secret::new).as_ref()).js()?;
        let alg = algorithm.map_or_else(|| private.default_algorithm(), algorithm_in);
        Ok(Self(private.signing_key(alg).js()?))
    }

    /// A fresh ES256 (P-256) key.
    #[napi(factory)]
    pub fn generate() -> napi::Result<Self, String> {
        Ok(Self(PrivateKey::generate_p256().js()?.signing_key(CoreAlgorithm::ES256).js()?))
    }

    #[napi]
    pub fn key_type(&self) -> String {
        match self.0.private_key().key_type() {
            oauthbearer::key::KeyType::Rsa => "rsa".into(),
            oauthbearer::key::KeyType::P256 => "p256".into(),
            oauthbearer::key::KeyType::P384 => "p384".into(),
            _ => "ed25519".into(),
        }
    }

    #[napi]
    pub fn algorithm(&self) -> Algorithm {
        algorithm_out(self.0.algorithm())
    }

    #[napi]
    pub fn default_algorithm(&self) -> Algorithm {
        algorithm_out(self.0.private_key().default_algorithm())
    }

    /// The public JWK (JSON text) to register with an IdP: the RFC 7638 members, `alg` and `use: "sig"`.
    #[napi]
    pub fn public_jwk(&self) -> String {
        Value::Object(self.0.public_jwk(None)).to_string()
    }

    #[napi]
    pub fn thumbprint(&self) -> String {
        self.0.private_key().thumbprint()
    }

    /// The raw JWS signature over `message`.
    #[napi]
    pub fn sign(&self, message: Uint8Array) -> napi::Result<Buffer, String> {
        Ok(self.0.sign(&message).js()?.into())
    }
}

#[napi(object)]
pub struct Variant {
    pub tag: String,
    pub val: Option<String>,
}

fn source(s: &AssertionSource) -> Variant {
    match s {
        AssertionSource::File(path) => Variant { tag: "file".into(), val: Some(path.clone()) },
        _ => Variant { tag: "signed".into(), val: None },
    }
}

#[napi(object)]
pub struct Grant {
    pub tag: String,
    pub val: Option<napi::Either<Variant, String>>,
}

#[napi(object)]
pub struct ClientConfig {
    pub grant: Grant,
    pub token_endpoint_url: Option<String>,
    pub client_id: Option<String>,
    pub has_client_secret: bool,
    pub scope: Option<String>,
    pub header_urlencode: bool,
    pub algorithm: Algorithm,
    pub claim_iss: Option<String>,
    pub claim_sub: Option<String>,
    pub claim_aud: Option<String>,
    pub exp_seconds: u32,
    pub nbf_seconds: u32,
    pub jti_include: bool,
    pub private_key_file: Option<String>,
    pub template_file: Option<String>,
    pub retry_backoff_ms: BigInt,
    pub retry_backoff_max_ms: BigInt,
    pub extensions: Pairs,
    pub warnings: Vec<String>,
}

/// What a property list configures (secrets only as `hasClientSecret`).
#[napi]
pub fn parse_config(properties: Pairs, d: Dialect, m: Mode) -> napi::Result<ClientConfig, String> {
    let c = config(&properties, dialect(d), mode(m))?;
    let grant = match &c.grant {
        GrantPath::ClientAssertion(s) => {
            Grant { tag: "client-assertion".into(), val: Some(napi::Either::A(source(s))) }
        }
        GrantPath::JwtBearer(s) => Grant { tag: "jwt-bearer".into(), val: Some(napi::Either::A(source(s))) },
        GrantPath::TokenFile(p) => Grant { tag: "token-file".into(), val: Some(napi::Either::B(p.clone())) },
        _ => Grant { tag: "client-secret".into(), val: None },
    };
    Ok(ClientConfig {
        grant,
        token_endpoint_url: c.token_endpoint_url.clone(),
        client_id: c.client_id.clone(),
        has_client_secret: c.client_secret.is_some(),
        scope: c.scope.clone(),
        header_urlencode: c.header_urlencode,
        algorithm: algorithm_out(c.assertion.algorithm),
        claim_iss: c.assertion.iss.clone(),
        claim_sub: c.assertion.sub.clone(),
        claim_aud: c.assertion.aud.clone(),
        exp_seconds: c.assertion.exp_seconds,
        nbf_seconds: c.assertion.nbf_seconds,
        jti_include: c.assertion.jti_include,
        private_key_file: c.assertion.private_key_file.clone(),
        template_file: c.assertion.template_file.clone(),
        retry_backoff_ms: big(c.retry_backoff_ms),
        retry_backoff_max_ms: big(c.retry_backoff_max_ms),
        extensions: pairs_out(&c.extensions),
        warnings: c.warnings.clone(),
    })
}

#[napi(object)]
pub struct JaasEntry {
    pub login_module: String,
    pub control_flag: String,
    pub options: Pairs,
}

#[napi]
pub fn parse_jaas(text: String) -> napi::Result<JaasEntry, String> {
    let e = jaas::parse(&text).js()?;
    let options = e.options().map(|(k, v)| vec![k.to_owned(), v.to_owned()]).collect();
    Ok(JaasEntry { login_module: e.login_module, control_flag: e.control_flag, options })
}

#[napi(object)]
pub struct TemplateParts {
    pub header_json: String,
    pub payload_json: String,
}

#[napi]
pub fn parse_template(text: String, d: Dialect) -> napi::Result<TemplateParts, String> {
    let t = AssertionTemplate::parse(text.as_bytes(), dialect(d)).js()?;
    Ok(TemplateParts {
        header_json: Value::Object(t.header).to_string(),
        payload_json: Value::Object(t.payload).to_string(),
    })
}

#[napi(object)]
pub struct AssertionOptions {
    pub mode: Mode,
    /// `jwt` or `client-authentication`.
    pub typ: String,
    pub key_id: Option<String>,
    /// The signing key's certificate (PEM or DER), named in the header (Entra ID certificate credentials).
    pub certificate: Option<Uint8Array>,
    /// `x5t#S256` (default), `x5t` or `both`.
    pub thumbprint_header: Option<String>,
}

#[napi(object)]
pub struct SignedAssertion {
    pub assertion: String,
    pub issued_at: BigInt,
    pub expires_at: BigInt,
    pub jti: Option<String>,
}

/// KIP-1258 client assertions for one configuration.
#[napi]
pub struct AssertionSigner(oauthbearer::AssertionSigner);

#[napi]
impl AssertionSigner {
    #[napi(factory)]
    pub fn from_properties(
        properties: Pairs,
        d: Dialect,
        private_key: Option<Uint8Array>,
        template: Option<Uint8Array>,
        options: AssertionOptions,
    ) -> napi::Result<Self, String> {
        let m = mode(options.mode);
        let d = dialect(d);
        let cfg = config(&properties, d, m)?;
        let opts = CoreOptions {
            dialect: d,
            mode: m,
            typ: if options.typ == "client-authentication" {
                AssertionType::ClientAuthentication
            } else {
                AssertionType::Jwt
            },
            key_id: options.key_id,
            ..CoreOptions::default()
        };
        let header = options.thumbprint_header.as_deref().map(str::parse).transpose().js()?;
        let opts = opts.with_certificate(options.certificate.as_deref(), header).js()?;
        let signer =
            oauthbearer::AssertionSigner::from_config_with(&cfg, private_key.as_deref(), template.as_deref(), opts);
        Ok(Self(signer.js()?))
    }

    #[napi]
    pub fn sign(&self, now_ms: BigInt, jti: Option<String>) -> napi::Result<SignedAssertion, String> {
        let s = self.0.sign(u64_of(&now_ms)?, jti.as_deref()).js()?;
        Ok(SignedAssertion {
            assertion: s.expose().to_owned(),
            issued_at: big_i(s.issued_at),
            expires_at: big_i(s.expires_at),
            jti: s.jti,
        })
    }

    #[napi]
    pub fn header_and_payload(&self, now_ms: BigInt, jti: Option<String>) -> napi::Result<Vec<String>, String> {
        let (h, p) = self.0.header_and_payload(u64_of(&now_ms)?, jti.as_deref()).js()?;
        Ok(vec![Value::Object(h).to_string(), Value::Object(p).to_string()])
    }

    #[napi]
    pub fn algorithm(&self) -> Algorithm {
        algorithm_out(self.0.signing_key().algorithm())
    }

    #[napi]
    pub fn public_jwk(&self) -> String {
        Value::Object(self.0.signing_key().public_jwk(None)).to_string()
    }
}

#[napi(object)]
pub struct PrebuiltAssertion {
    pub assertion: String,
    pub expires_at: Option<BigInt>,
}

#[napi]
pub fn check_prebuilt_assertion(
    contents: String,
    now_ms: BigInt,
    margin_seconds: u32,
    m: Mode,
) -> napi::Result<PrebuiltAssertion, String> {
    let p =
        oauthbearer::assertion::check_prebuilt_assertion(&contents, u64_of(&now_ms)?, margin_seconds, mode(m)).js()?;
    Ok(PrebuiltAssertion { assertion: p.value.expose().to_owned(), expires_at: p.expires_at.map(big_i) })
}

#[napi(object)]
pub struct FileAssertion {
    pub assertion: String,
    /// Files whose newest version failed to read or parse (the last good version was used).
    pub reload_errors: Vec<ErrorRecord>,
}

/// Assertions for a property list whose key, template or assertion file may change on disk:
/// re-read on change (KIP-1258), the last good version kept when a new one fails.
#[napi]
pub struct FileAssertions(oauthbearer::reload::FileAssertionSource);

#[napi]
impl FileAssertions {
    /// `certificateFile` names the signing key's certificate in each assertion's header (Entra ID
    /// certificate credentials) with `thumbprintHeader` (`x5t#S256` by default, `x5t`, `both`).
    #[napi(constructor)]
    pub fn new(
        properties: Pairs,
        d: Dialect,
        m: Mode,
        certificate_file: Option<String>,
        thumbprint_header: Option<String>,
    ) -> napi::Result<Self, String> {
        use oauthbearer::reload::{CertificateFile, FileAssertionSource};
        let m = mode(m);
        let c = config(&properties, dialect(d), m)?;
        let header = thumbprint_header.as_deref().map(str::parse).transpose().js()?;
        let certificate = CertificateFile::optional(certificate_file.map(Into::into), header).js()?;
        FileAssertionSource::from_config_with_certificate(&c, m, certificate).map(Self).js()
    }

    /// The assertion to send at `nowMs` (signed now, or the pre-built file's checked content).
    #[napi]
    pub fn assertion(&self, now_ms: BigInt, jti: Option<String>) -> napi::Result<FileAssertion, String> {
        let outcome = self.0.assertion(u64_of(&now_ms)?, jti.as_deref()).js()?;
        Ok(FileAssertion {
            assertion: outcome.assertion.expose().to_owned(),
            reload_errors: outcome.reload_errors.iter().map(error_record).collect(),
        })
    }
}

#[napi(object)]
pub struct TokenRequest {
    pub method: String,
    pub url: String,
    pub headers: Pairs,
    pub body: String,
}

fn token_request(r: oauthbearer::TokenRequest) -> TokenRequest {
    TokenRequest {
        method: r.method.to_owned(),
        url: r.url,
        headers: pairs_out(&r.headers),
        body: r.body.expose().to_owned(),
    }
}

#[napi]
pub fn client_secret_request(
    url: String,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    header_urlencode: bool,
    d: Dialect,
    method: String,
) -> napi::Result<TokenRequest, String> {
    let method = if method == "post" { request::SecretMethod::Post } else { request::SecretMethod::Basic };
    let secret = Secret::new(client_secret);
    let r = request::client_secret_request(
        &url,
        &client_id,
        &secret,
        scope.as_deref(),
        header_urlencode,
        dialect(d),
        method,
    );
    r.map(token_request).js()
}

#[napi]
pub fn client_secret_request_encoded_scope(
    url: String,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    header_urlencode: bool,
) -> napi::Result<TokenRequest, String> {
    let secret = Secret::new(client_secret);
    let r = request::client_secret_request_encoded_scope(&url, &client_id, &secret, scope.as_deref(), header_urlencode);
    r.map(token_request).js()
}

#[napi]
pub fn client_assertion_request(
    url: String,
    assertion: String,
    client_id: Option<String>,
    scope: Option<String>,
) -> TokenRequest {
    token_request(request::client_assertion_request(&url, &assertion, client_id.as_deref(), scope.as_deref()))
}

#[napi]
pub fn jwt_bearer_request(url: String, assertion: String, scope: Option<String>, d: Dialect) -> TokenRequest {
    token_request(request::jwt_bearer_request(&url, &assertion, scope.as_deref(), dialect(d)))
}

#[napi]
pub fn request_from_properties(
    properties: Pairs,
    d: Dialect,
    m: Mode,
    assertion: Option<String>,
) -> napi::Result<TokenRequest, String> {
    request::from_config(&config(&properties, dialect(d), mode(m))?, assertion.as_deref()).map(token_request).js()
}

#[napi(object)]
pub struct TokenResponse {
    pub token: String,
    pub token_member: String,
    pub token_type: Option<String>,
    pub expires_in: Option<f64>,
    pub scope: Option<String>,
    pub refresh_token: Option<String>,
}

#[napi(object)]
pub struct TokenEndpointFailure {
    pub status: u32,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub retryable: bool,
    pub kafka_message: String,
}

#[napi(object)]
pub struct ErrorRecord {
    pub code: String,
    pub message: String,
    pub token_endpoint: Option<TokenEndpointFailure>,
}

#[napi(object)]
pub struct TokenResponseOutcome {
    pub response: Option<TokenResponse>,
    pub error: Option<ErrorRecord>,
}

fn error_record(e: &oauthbearer::Error) -> ErrorRecord {
    ErrorRecord {
        code: e.code().to_owned(),
        message: e.message().to_owned(),
        token_endpoint: e.token_endpoint_failure().map(|f| TokenEndpointFailure {
            status: u32::from(f.status),
            error: f.error.clone(),
            error_description: f.error_description.clone(),
            retryable: f.retryable,
            kafka_message: f.kafka_message.clone(),
        }),
    }
}

/// The token endpoint's answer parsed as the dialect's client does. Returned as an outcome, not
/// thrown, so the refusal's details (status, retryable, Kafka's message) reach JS intact; the
/// package's `parseTokenResponse` throws it as a `TokenEndpointError`.
#[napi]
pub fn parse_token_response_outcome(
    status: u32,
    content_type: Option<String>,
    body: String,
    d: Dialect,
    properties: Option<Pairs>,
) -> napi::Result<TokenResponseOutcome, String> {
    let status = u16::try_from(status).unwrap_or(u16::MAX);
    // With the client's properties, a refusal never quotes a secret they hold.
    let parsed = match properties {
        Some(p) => {
            let props = pairs_in(&p)?;
            let props = props.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let config = Config::from_properties_with(props, dialect(d), CoreMode::KafkaCompatible).js()?;
            response::parse_token_response_for(status, content_type.as_deref(), &body, &config)
        }
        None => response::parse_token_response(status, content_type.as_deref(), &body, dialect(d)),
    };
    Ok(match parsed {
        Ok(r) => TokenResponseOutcome {
            response: Some(TokenResponse {
                token: r.token.expose().to_owned(),
                token_member: r.token_member.to_owned(),
                token_type: r.token_type,
                expires_in: r.expires_in,
                scope: r.scope,
                refresh_token: r.refresh_token.map(|t| t.expose().to_owned()),
            }),
            error: None,
        },
        Err(e) => TokenResponseOutcome { response: None, error: Some(error_record(&e)) },
    })
}

#[napi(object)]
pub struct RetryPolicy {
    /// `kafka-java` (val = [backoffMs, maxMs]) or `librdkafka`.
    pub tag: String,
    pub val: Option<Vec<BigInt>>,
}

#[napi(object)]
pub struct Failure {
    pub status: Option<u32>,
    pub retry_after: Option<String>,
}

/// Settings on top of the client's lifecycle policy (WIT `lifecycle-settings`).
#[napi(object)]
pub struct LifecycleSettings {
    pub fetch_timeout_ms: Option<BigInt>,
    /// `[initialMs, maxMs]`.
    pub retry_backoff_ms: Option<Vec<BigInt>>,
    pub max_abandoned: Option<u32>,
}

fn lifecycle_settings(s: &LifecycleSettings) -> napi::Result<lifecycle::LifecycleSettings, String> {
    let retry_backoff_ms = match s.retry_backoff_ms.as_deref() {
        None => None,
        Some([initial, max]) => Some((u64_of(initial)?, u64_of(max)?)),
        Some(_) => return Err(invalid("retryBackoffMs needs [initialMs, maxMs]")),
    };
    let fetch_timeout_ms = s.fetch_timeout_ms.as_ref().map(u64_of).transpose()?;
    Ok(lifecycle::LifecycleSettings { fetch_timeout_ms, retry_backoff_ms, max_abandoned: s.max_abandoned })
}

#[napi(object)]
pub struct FetchStart {
    pub fetch: BigInt,
    pub serve: Option<BigInt>,
}

#[napi(object)]
pub struct WaitFor {
    pub fetch: BigInt,
    pub until_ms: BigInt,
    pub wait_ms: BigInt,
}

/// `{tag: 'fetch', val: fetchId}` (the host's error of that fetch) or `{tag: 'error', val: ErrorRecord}`.
#[napi(object)]
pub struct LifecycleFailure {
    pub tag: String,
    pub val: napi::Either<BigInt, ErrorRecord>,
}

/// `{tag: 'serve' | 'fetch' | 'wait' | 'fail', val}` (WIT `decision`).
#[napi(object)]
pub struct LifecycleDecision {
    pub tag: String,
    pub val: napi::bindgen_prelude::Either4<BigInt, FetchStart, WaitFor, LifecycleFailure>,
}

#[napi(object)]
pub struct PollResult {
    pub fetch: Option<BigInt>,
    pub wake_at_ms: Option<BigInt>,
}

/// The core's lifecycle machine for one token source; the host keeps the tokens and errors.
#[napi]
pub struct TokenLifecycle(Mutex<HandleLifecycle>);

fn lifecycle_of(policy: LifecyclePolicy, settings: &LifecycleSettings) -> napi::Result<TokenLifecycle, String> {
    let policy = policy.with_settings(&lifecycle_settings(settings)?).js()?;
    Ok(TokenLifecycle(Mutex::new(HandleLifecycle::new(policy))))
}

#[napi]
impl TokenLifecycle {
    #[napi(factory)]
    pub fn create(client: Dialect, settings: LifecycleSettings) -> napi::Result<Self, String> {
        lifecycle_of(LifecyclePolicy::for_client(dialect(client)), &settings)
    }

    #[napi(factory)]
    pub fn from_properties(
        properties: Pairs,
        d: Dialect,
        m: Mode,
        settings: LifecycleSettings,
    ) -> napi::Result<Self, String> {
        let props = pairs_in(&properties)?;
        let props = props.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let config = Config::from_properties_with(props, dialect(d), mode(m)).js()?;
        lifecycle_of(LifecyclePolicy::from_config(&config), &settings)
    }

    fn machine(&self) -> napi::Result<std::sync::MutexGuard<'_, HandleLifecycle>, String> {
        self.0.lock().map_err(|_| invalid("token lifecycle poisoned"))
    }

    #[napi]
    pub fn want(&self, now_ms: BigInt) -> napi::Result<LifecycleDecision, String> {
        use napi::bindgen_prelude::Either4::{A, B, C, D};
        let now = u64_of(&now_ms)?;
        let mut life = self.machine()?;
        let (tag, val) = match life.want(now) {
            Decision::Serve(id) => ("serve", A(big(*id))),
            Decision::Fetch { fetch, serve } => {
                ("fetch", B(FetchStart { fetch: big(fetch), serve: serve.map(|id| big(*id)) }))
            }
            Decision::Wait { fetch, until_ms, wait_ms } => {
                ("wait", C(WaitFor { fetch: big(fetch), until_ms: big(until_ms), wait_ms: big(wait_ms) }))
            }
            Decision::Fail(failure) => {
                let failure = match failure {
                    HostFailure::Fetch(id) => LifecycleFailure { tag: "fetch".into(), val: napi::Either::A(big(*id)) },
                    HostFailure::Core(e) => {
                        LifecycleFailure { tag: "error".into(), val: napi::Either::B(error_record(e)) }
                    }
                };
                ("fail", D(failure))
            }
        };
        Ok(LifecycleDecision { tag: tag.into(), val })
    }

    /// `cached`, `ignored` or `expired`.
    #[napi]
    pub fn fetch_succeeded(
        &self,
        fetch: BigInt,
        expires_at_ms: BigInt,
        issued_at_ms: Option<BigInt>,
        now_ms: BigInt,
        jitter01: f64,
    ) -> napi::Result<String, String> {
        let issued = issued_at_ms.as_ref().map(u64_of).transpose()?;
        let (fetch, exp, now) = (u64_of(&fetch)?, u64_of(&expires_at_ms)?, u64_of(&now_ms)?);
        Ok(self.machine()?.handle_succeeded(fetch, exp, issued, now, jitter01).as_str().to_owned())
    }

    #[napi]
    pub fn fetch_failed(
        &self,
        fetch: BigInt,
        retryable: bool,
        retry_after: Option<String>,
        now_ms: BigInt,
        random01: f64,
    ) -> napi::Result<bool, String> {
        let (fetch, now) = (u64_of(&fetch)?, u64_of(&now_ms)?);
        Ok(self.machine()?.handle_failed(fetch, retryable, retry_after.as_deref(), now, random01))
    }

    /// An attempt inside fetch `fetch` failed (`code`, `message`) and the fetch retries; a later
    /// timeout of the fetch names it. Whether `fetch` is the fetch in flight.
    #[napi]
    pub fn attempt_failed(&self, fetch: BigInt, code: String, message: String) -> napi::Result<bool, String> {
        let error = oauthbearer::Error::reported(&code, message);
        Ok(self.machine()?.attempt_failed(u64_of(&fetch)?, &error))
    }

    #[napi]
    pub fn poll(&self, now_ms: BigInt) -> napi::Result<PollResult, String> {
        let p = self.machine()?.poll(u64_of(&now_ms)?);
        Ok(PollResult { fetch: p.fetch.map(big), wake_at_ms: p.wake_at_ms.map(big) })
    }
}

/// Kafka's (or librdkafka's) retry schedule for one token fetch.
#[napi]
pub struct RetrySchedule(Mutex<retry::RetryState>);

#[napi]
impl RetrySchedule {
    #[napi(factory)]
    pub fn start(policy: RetryPolicy, jitter: f64, start_ms: BigInt) -> napi::Result<Self, String> {
        let mut p = if policy.tag == "librdkafka" {
            retry::RetryPolicy::librdkafka()
        } else {
            let v = policy.val.unwrap_or_default();
            let (backoff, max) = match v.as_slice() {
                [b, m] => (u64_of(b)?, u64_of(m)?),
                _ => return Err(invalid("kafka-java needs [backoffMs, maxMs]")),
            };
            retry::RetryPolicy::kafka_java(backoff, max).js()?
        };
        p.jitter = jitter;
        Ok(Self(Mutex::new(p.start(u64_of(&start_ms)?))))
    }

    #[napi]
    pub fn next_delay_ms(
        &self,
        now_ms: BigInt,
        failure: Failure,
        random01: f64,
    ) -> napi::Result<Option<BigInt>, String> {
        let status = failure.status.map(|s| u16::try_from(s).unwrap_or(u16::MAX));
        let f = retry::Failure { status, retry_after: failure.retry_after.as_deref() };
        let mut state = self.0.lock().map_err(|_| invalid("retry schedule poisoned"))?;
        Ok(state.next_delay_ms(u64_of(&now_ms)?, f, random01).map(big))
    }
}

#[napi]
pub fn token_response_body(
    token: String,
    expires_at_ms: BigInt,
    now_ms: BigInt,
    style: String,
) -> napi::Result<String, String> {
    Ok(endpoint::token_response_body(&token, u64_of(&expires_at_ms)?, u64_of(&now_ms)?, style.parse().js()?))
}

#[napi]
pub fn error_response_body(error: String, description: String) -> String {
    endpoint::error_response_body(&error, &description)
}

#[napi(object)]
pub struct ProviderToken {
    pub token: String,
    pub expires_at_ms: BigInt,
    pub principal: String,
}

#[napi]
pub fn google_token(
    access_token: String,
    expires_at_ms: BigInt,
    principal: String,
    now_ms: BigInt,
    style: String,
) -> napi::Result<ProviderToken, String> {
    let style = match style.as_str() {
        "google-java" | "google-python" | "kafka-auth-handler" => style.parse().js()?,
        _ => return Err(invalid("unknown Google token style")),
    };
    let t = google::google_token(&access_token, u64_of(&expires_at_ms)?, &principal, u64_of(&now_ms)?, style).js()?;
    Ok(ProviderToken {
        token: t.token.expose().to_owned(),
        expires_at_ms: big(t.expires_at_ms),
        principal: t.principal,
    })
}

#[napi]
pub fn google_principal_from_credentials(
    credentials_json: Option<String>,
    principal_override: Option<String>,
) -> napi::Result<Variant, String> {
    let json = credentials_json.as_deref().map(str::as_bytes);
    Ok(match google::principal_from_credentials(json, principal_override.as_deref()).js()? {
        google::PrincipalSource::Known(p) => Variant { tag: "known".into(), val: Some(p) },
        google::PrincipalSource::HostMustLookUp => Variant { tag: "host-must-look-up".into(), val: None },
        _ => Variant { tag: "not-in-credentials".into(), val: None },
    })
}

#[napi]
pub fn validate_google_principal(principal: String) -> napi::Result<(), String> {
    google::validate_principal(&principal).js()
}

/// The message for an Azure SDK credential failure: Entra's AADSTS code, the error's name and its
/// message, redacted.
#[napi]
pub fn azure_credential_failure_message(
    error_name: String,
    sdk_message: String,
    secrets: Option<Vec<String>>,
) -> String {
    let secrets: Vec<&str> = secrets.iter().flatten().map(String::as_str).collect();
    oauthbearer::azure::credential_failure_message(&error_name, &sdk_message, &secrets)
}

/// A cloud SDK's failure for an error message: `source`, the SDK error's name and, when the SDK
/// diagnosed it itself, its message (one line, cut, `secrets` and credential-shaped parts redacted).
#[napi]
pub fn credential_failure_message(
    source: String,
    error_name: String,
    sdk_message: String,
    secrets: Option<Vec<String>>,
) -> String {
    let secrets: Vec<&str> = secrets.iter().flatten().map(String::as_str).collect();
    oauthbearer::response::credential_failure(&source, &error_name, &sdk_message, &secrets)
}

/// A dialect's one name (`kafka-java`, `librdkafka`) for any name people type (`kafka`, `java`,
/// `rdkafka`); `invalid_config` for others.
#[napi]
pub fn dialect_name(name: String) -> napi::Result<String, String> {
    Ok(name.parse::<CoreDialect>().js()?.as_str().to_owned())
}

/// Environment variables the cloud SDKs take secrets from (removed from their messages by value).
#[napi]
pub fn sdk_secret_variables() -> Vec<&'static str> {
    oauthbearer::response::SDK_SECRET_VARIABLES.to_vec()
}

/// The Entra scope of Event Hubs tokens for the namespace of `bootstrapServers`
/// (`https://<namespace>.servicebus.windows.net/.default`), or `scope` once checked against it.
#[napi]
pub fn eventhubs_scope(bootstrap_servers: String, scope: Option<String>) -> napi::Result<String, String> {
    oauthbearer::azure::eventhubs_token_scope(&bootstrap_servers, scope.as_deref()).js()
}

#[napi(object)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expires_at_ms: Option<BigInt>,
}

#[napi(object)]
pub struct MskOptions {
    pub region: String,
    pub domain: Option<String>,
    pub order: Option<String>,
    /// `{tag: 'ours'}`, `{tag: 'omitted'}` or `{tag: 'custom', val}`.
    pub user_agent: Option<Variant>,
    pub min_credential_lifetime_seconds: Option<u32>,
}

#[napi(object)]
pub struct MskIamToken {
    // UTF-8 (napi_create_string_utf8), though both are ASCII: the WebAssembly fallback's emnapi builds a
    // Latin-1 string a character at a time in JavaScript (9x slower there), for ~3% of a native call.
    pub token: String,
    pub signed_url: String,
    pub expires_at_ms: BigInt,
    pub expires_seconds: u32,
}

#[napi]
pub fn msk_token(
    credentials: AwsCredentials,
    options: MskOptions,
    now_ms: BigInt,
) -> napi::Result<MskIamToken, String> {
    let t = msk::msk_token(&msk_credentials(credentials)?, &msk_options(options)?, u64_of(&now_ms)?).js()?;
    Ok(msk_iam_token(t))
}

/// Signs MSK IAM tokens for one set of credentials: the checks and SigV4's signing key once (per UTC
/// day), not per token as `mskToken`.
#[napi]
pub struct MskSigner(msk::MskSigner);

#[napi]
impl MskSigner {
    #[napi(constructor)]
    pub fn new(credentials: AwsCredentials, options: MskOptions) -> napi::Result<Self, String> {
        msk::MskSigner::new(msk_credentials(credentials)?, msk_options(options)?).map(Self).js()
    }

    /// The token at `nowMs`.
    #[napi]
    pub fn sign(&mut self, now_ms: BigInt) -> napi::Result<MskIamToken, String> {
        Ok(msk_iam_token(self.0.sign(u64_of(&now_ms)?).js()?))
    }
}

fn msk_credentials(credentials: AwsCredentials) -> napi::Result<msk::AwsCredentials, String> {
    Ok(msk::AwsCredentials {
        access_key_id: credentials.access_key_id,
        secret_access_key: Secret::new(credentials.secret_access_key),
        session_token: credentials.session_token.map(Secret::new),
        expires_at_ms: credentials.expires_at_ms.as_ref().map(u64_of).transpose()?,
    })
}

fn msk_options(options: MskOptions) -> napi::Result<msk::MskTokenOptions, String> {
    let mut o = msk::MskTokenOptions::new(options.region);
    if let Some(domain) = options.domain {
        o.domain = domain;
    }
    if let Some(order) = options.order {
        o.order = order.parse().js()?;
    }
    match options.user_agent {
        Some(Variant { tag, val }) if tag == "custom" => o.user_agent = val,
        Some(Variant { tag, .. }) if tag == "omitted" => o.user_agent = None,
        _ => {}
    }
    if let Some(floor) = options.min_credential_lifetime_seconds {
        o.min_credential_lifetime_seconds = floor;
    }
    Ok(o)
}

fn msk_iam_token(t: msk::MskToken) -> MskIamToken {
    MskIamToken {
        token: t.token.expose().to_owned(),
        signed_url: t.signed_url.expose().to_owned(),
        expires_at_ms: big(t.expires_at_ms),
        expires_seconds: t.expires_seconds,
    }
}

#[napi]
pub fn client_first_message(token: String, authzid: Option<String>, extensions: Pairs) -> napi::Result<Buffer, String> {
    let ext = pairs_in(&extensions)?;
    let pairs: Vec<(&str, &str)> = ext.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(sasl::client_first_message(&token, authzid.as_deref(), &pairs).js()?.into())
}

#[napi(object)]
pub struct ServerError {
    pub status: String,
    pub scope: Option<String>,
    pub openid_configuration: Option<String>,
}

#[napi]
pub fn parse_server_error(message: Uint8Array) -> napi::Result<ServerError, String> {
    let e = sasl::parse_server_error(&message).js()?;
    Ok(ServerError { status: e.status, scope: e.scope, openid_configuration: e.openid_configuration })
}

#[napi]
pub fn confluent_extensions(logical_cluster: String, identity_pool_id: Option<String>) -> napi::Result<Pairs, String> {
    Ok(pairs_out(&sasl::confluent_extensions(&logical_cluster, identity_pool_id.as_deref()).js()?))
}

#[napi]
pub fn extensions_librdkafka(extensions: Pairs) -> napi::Result<String, String> {
    Ok(sasl::extensions_librdkafka(&pairs_in(&extensions)?))
}

#[napi]
pub fn extensions_jaas(extensions: Pairs) -> napi::Result<String, String> {
    Ok(sasl::extensions_jaas(&pairs_in(&extensions)?))
}

#[napi]
pub fn validate_extension(name: String, value: String, d: Dialect) -> napi::Result<(), String> {
    sasl::validate_extension(&name, &value, dialect(d)).js()
}

#[napi(object)]
pub struct TokenCheck {
    pub dialect: Dialect,
    pub sub_claim: Option<String>,
    pub scope_claim: Option<String>,
    pub split_scope: bool,
}

#[napi(object)]
pub struct AcceptedToken {
    pub principal: String,
    pub scopes: Vec<String>,
    pub expires_at_ms: BigInt,
    pub issued_at_ms: Option<BigInt>,
    pub claims_json: String,
}

#[napi]
pub fn check_access_token(token: String, check: TokenCheck) -> napi::Result<AcceptedToken, String> {
    let mut c = token::TokenCheck::new(dialect(check.dialect));
    if let Some(claim) = check.sub_claim {
        c.sub_claim = claim;
    }
    if let Some(claim) = check.scope_claim {
        c.scope_claim = claim;
    }
    c.split_scope = check.split_scope;
    Ok(accepted_token(token::check_access_token(&token, &c).js()?))
}

fn accepted_token(a: token::AcceptedToken) -> AcceptedToken {
    AcceptedToken {
        principal: a.principal,
        scopes: a.scopes,
        expires_at_ms: big_i(a.expires_at_ms),
        issued_at_ms: a.issued_at_ms.map(big_i),
        claims_json: Value::Object(a.claims).to_string(),
    }
}

/// What a broker checks beyond the client (`sasl.oauthbearer.*` on the broker).
#[napi(object)]
pub struct BrokerCheck {
    /// The JWKS document (`{"keys": [...]}`) of `sasl.oauthbearer.jwks.endpoint.url`.
    pub jwks_json: String,
    /// `sasl.oauthbearer.expected.audience` (empty: not checked).
    pub expected_audience: Vec<String>,
    /// `sasl.oauthbearer.expected.issuer` (absent: not checked).
    pub expected_issuer: Option<String>,
    /// `sasl.oauthbearer.clock.skew.seconds` (default 30).
    pub clock_skew_seconds: Option<BigInt>,
}

/// Checks an access token as Kafka's broker would (`BrokerJwtValidator`); the error says the one
/// reason, which the broker never tells the client.
#[napi]
pub fn check_as_broker(token: String, check: BrokerCheck, now_ms: BigInt) -> napi::Result<AcceptedToken, String> {
    let skew = check.clock_skew_seconds.as_ref().map(u64_of).transpose()?;
    let c = oauthbearer::broker::BrokerCheck::from_jwks(&check.jwks_json).js()?.expecting(
        check.expected_audience,
        check.expected_issuer,
        skew,
    );
    Ok(accepted_token(oauthbearer::broker::check_as_broker(&token, &c, u64_of(&now_ms)?).js()?))
}

#[napi]
pub fn check_not_expired(accepted: AcceptedToken, now_ms: BigInt, skew_ms: BigInt) -> napi::Result<(), String> {
    let (expires_at_ms, _) = accepted.expires_at_ms.get_i64();
    let a = token::AcceptedToken {
        principal: accepted.principal,
        scopes: accepted.scopes,
        expires_at_ms,
        issued_at_ms: accepted.issued_at_ms.map(|b| b.get_i64().0),
        header: None,
        claims: serde_json::Map::new(),
    };
    token::check_not_expired(&a, u64_of(&now_ms)?, u64_of(&skew_ms)?).js()
}

#[napi(object)]
pub struct RefreshConfig {
    pub window_factor: f64,
    pub window_jitter: f64,
    pub min_period_seconds: BigInt,
    pub buffer_seconds: BigInt,
}

#[napi(object)]
pub struct RefreshDecision {
    pub at_ms: BigInt,
    pub expired: bool,
}

#[napi]
pub fn default_refresh_config() -> RefreshConfig {
    let d = token::RefreshConfig::default();
    RefreshConfig {
        window_factor: d.window_factor,
        window_jitter: d.window_jitter,
        min_period_seconds: big(d.min_period_seconds),
        buffer_seconds: big(d.buffer_seconds),
    }
}

#[napi]
pub fn refresh_at_java(
    now_ms: BigInt,
    expires_at_ms: BigInt,
    issued_at_ms: Option<BigInt>,
    config: RefreshConfig,
    jitter01: f64,
) -> napi::Result<RefreshDecision, String> {
    let c = token::RefreshConfig {
        window_factor: config.window_factor,
        window_jitter: config.window_jitter,
        min_period_seconds: u64_of(&config.min_period_seconds)?,
        buffer_seconds: u64_of(&config.buffer_seconds)?,
    };
    let iat = issued_at_ms.as_ref().map(u64_of).transpose()?;
    let d = token::refresh_at_java(u64_of(&now_ms)?, u64_of(&expires_at_ms)?, iat, &c, jitter01);
    Ok(RefreshDecision { at_ms: big(d.at_ms), expired: d.expired })
}

#[napi]
pub fn refresh_at_librdkafka(now_ms: BigInt, expires_at_ms: BigInt) -> napi::Result<RefreshDecision, String> {
    let d = token::refresh_at_librdkafka(u64_of(&now_ms)?, u64_of(&expires_at_ms)?);
    Ok(RefreshDecision { at_ms: big(d.at_ms), expired: d.expired })
}

#[napi(object)]
pub struct AccessTokenClaims {
    pub subject: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
    pub lifetime_seconds: u32,
}

#[napi(object)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at_ms: BigInt,
    pub expires_in: BigInt,
}

/// A local OAuth issuer: access tokens, JWKS, discovery.
#[napi]
pub struct LocalIssuer(issuer::LocalIssuer);

#[napi]
impl LocalIssuer {
    #[napi(constructor)]
    pub fn new(issuer_url: String, key: &SigningKey) -> Self {
        Self(issuer::LocalIssuer::new(issuer_url, key.0.clone()))
    }

    #[napi]
    pub fn sign_access_token(
        &self,
        claims: AccessTokenClaims,
        now_ms: BigInt,
        jti: Option<String>,
    ) -> napi::Result<IssuedToken, String> {
        let c = issuer::AccessTokenClaims {
            subject: claims.subject,
            audience: claims.audience,
            scope: claims.scope,
            lifetime_seconds: claims.lifetime_seconds,
        };
        let t = self.0.sign_access_token(&c, u64_of(&now_ms)?, jti.as_deref()).js()?;
        Ok(IssuedToken {
            token: t.token.expose().to_owned(),
            expires_at_ms: big(t.expires_at_ms),
            expires_in: big(t.expires_in),
        })
    }

    #[napi]
    pub fn jwks(&self) -> String {
        self.0.jwks().to_string()
    }

    #[napi]
    pub fn discovery(&self) -> String {
        self.0.discovery().to_string()
    }

    #[napi]
    pub fn token_endpoint(&self) -> String {
        self.0.token_endpoint()
    }

    #[napi]
    pub fn jwks_uri(&self) -> String {
        self.0.jwks_uri()
    }
}

#[napi(object)]
pub struct RegisteredClient {
    pub client_id: String,
    pub secret: Option<String>,
    /// Public JWKs (JSON texts).
    pub jwks: Vec<String>,
}

#[napi(object)]
pub struct AssertionPolicy {
    pub audiences: Vec<String>,
    pub max_lifetime_seconds: BigInt,
    pub clock_skew_seconds: BigInt,
    pub require_jti: bool,
}

#[napi(object)]
pub struct AuthenticatedClient {
    pub client_id: String,
    pub jti: Option<String>,
    pub jti_expires_at_ms: Option<BigInt>,
}

fn registered(c: RegisteredClient) -> napi::Result<issuer::RegisteredClient, String> {
    let keys = c
        .jwks
        .iter()
        .map(|text| match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(jwk)) => oauthbearer::key::VerifyingKey::from_jwk(&jwk).js(),
            _ => Err(fail(&oauthbearer::Error::new(
                oauthbearer::ErrorKind::InvalidKey,
                "a client JWK is not a JSON object",
            ))),
        })
        .collect::<napi::Result<Vec<_>, String>>()?;
    Ok(issuer::RegisteredClient { client_id: c.client_id, secret: c.secret.map(Secret::new), keys })
}

/// Authenticates a `client_credentials` request; the host keeps the replay cache (`seenJtis`).
#[napi]
pub fn authenticate_client(
    body: String,
    authorization: Option<String>,
    clients: Vec<RegisteredClient>,
    policy: AssertionPolicy,
    now_ms: BigInt,
    seen_jtis: Vec<String>,
) -> napi::Result<AuthenticatedClient, String> {
    let clients = clients.into_iter().map(registered).collect::<napi::Result<Vec<_>, String>>()?;
    let policy = issuer::AssertionPolicy {
        audiences: policy.audiences,
        max_lifetime_seconds: u64_of(&policy.max_lifetime_seconds)?,
        clock_skew_seconds: u64_of(&policy.clock_skew_seconds)?,
        require_jti: policy.require_jti,
    };
    let request = issuer::parse_client_credentials_request(&body, authorization.as_deref()).js()?;
    let mut recorded = None;
    let client_id = issuer::authenticate_client(&request, &clients, &policy, u64_of(&now_ms)?, &mut |jti, exp| {
        recorded = Some((jti.to_owned(), exp));
        !seen_jtis.iter().any(|seen| seen == jti)
    })
    .js()?;
    let (jti, jti_expires_at_ms) = recorded.map_or((None, None), |(j, e)| (Some(j), Some(big(e))));
    Ok(AuthenticatedClient { client_id, jti, jti_expires_at_ms })
}

#[napi(object)]
pub struct ExplainContext {
    pub kafka_version: Option<Vec<u32>>,
    pub java_version: Option<u32>,
    pub private_key: Option<Uint8Array>,
    pub token: Option<String>,
    pub idp_max_assertion_lifetime_seconds: Option<u32>,
    /// The client library (`aiokafka`, `confluent-kafka`, `kafkajs`, `@confluentinc/kafka-javascript`, `spark`,
    /// `databricks`, …).
    pub client: Option<String>,
    /// Its version (`2.2.0`).
    pub client_version: Option<String>,
    /// The broker's `connections.max.reauth.ms`.
    pub broker_reauth_ms: Option<BigInt>,
    /// The assertion template file's contents (its `aud` layers over the configured one).
    pub assertion_template: Option<Uint8Array>,
}

#[napi(object)]
pub struct Finding {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub fix: String,
}

#[napi]
pub fn explain(properties: Pairs, d: Dialect, context: ExplainContext) -> napi::Result<Vec<Finding>, String> {
    let props = pairs_in(&properties)?;
    let kafka_version = match context.kafka_version.as_deref() {
        Some([major, minor]) => Some((*major, *minor)),
        Some(_) => return Err(invalid("kafkaVersion is [major, minor]")),
        None => None,
    };
    let ctx = core_explain::ExplainContext {
        kafka_version,
        java_version: context.java_version,
        private_key: context.private_key.as_deref(),
        token: context.token.as_deref(),
        idp_max_assertion_lifetime_seconds: context.idp_max_assertion_lifetime_seconds,
        client: context.client.as_deref(),
        client_version: context.client_version.as_deref(),
        broker_reauth_ms: context.broker_reauth_ms.as_ref().map(u64_of).transpose()?,
        assertion_template: context.assertion_template.as_deref(),
    };
    let findings = core_explain::explain(props.iter().map(|(k, v)| (k.as_str(), v.as_str())), dialect(d), &ctx);
    Ok(findings
        .into_iter()
        .map(|f| Finding { severity: f.severity.as_str().to_owned(), code: f.code, message: f.message, fix: f.fix })
        .collect())
}

/// Every stable error code of the core.
#[napi]
pub fn error_codes() -> Vec<String> {
    oauthbearer::ErrorKind::ALL.iter().map(|k| k.code().to_owned()).collect()
}

/// `[code, family]` for every error code: the family picks the package's error class.
#[napi]
pub fn error_families() -> Pairs {
    oauthbearer::ErrorKind::ALL.iter().map(|k| vec![k.code().to_owned(), k.family().name().to_owned()]).collect()
}

/// The `(name, value)` pairs of a Java `.properties` text.
#[napi]
pub fn parse_properties(text: String) -> napi::Result<Pairs, String> {
    Ok(pairs_out(&oauthbearer::config::properties::parse(&text).js()?))
}
