//! Client assertions (RFC 7523 `private_key_jwt`, KIP-1258 / KIP-1139): building the header and
//! claims as Kafka does, signing with the cached key, and checking pre-built assertion files.
//!
//! ## What goes in
//!
//! Three layers, as in Kafka: the configured claims (`aud`, `iss`, `sub`, and our `kid`/`x5t`
//! options), the template file, and the dynamic values (`alg`, `typ`, `iat`, `exp`, `nbf`, `jti`)
//! which always win. Between the first two the dialect decides: in Kafka Java the template
//! overrides the configured `aud/iss/sub` (`LayeredAssertionJwtTemplate`); in librdkafka the
//! configuration overrides the template. In [`Mode::Strict`] a template that sets a member the
//! signer owns (`alg`, `typ`, `iat`, `exp`, `nbf`, `jti`) is refused with `template_override`;
//! in [`Mode::KafkaCompatible`] it is silently replaced, as both clients do.
//!
//! Arithmetic is Kafka's: `iat = floor(now_ms / 1000)`, `exp = iat + exp_seconds`,
//! `nbf = iat - nbf_seconds`, all JSON integers. `jti` is a lowercase UUIDv4 (8-4-4-4-12).
//!
//! ## JSON member order (deterministic)
//!
//! Kafka's Java client emits `HashMap` order and librdkafka its own insertion order; neither is
//! something an IdP can depend on, since `iat`, `exp` and `jti` change on every call. Ours is fixed:
//!
//! * header: `alg`, `typ`, `kid`, `x5t`, `x5t#S256`, then other template header members in file order;
//! * payload: `iss`, `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`, then other template payload
//!   members in file order.
//!
//! Members that are absent are skipped. JSON is compact, `/` is not escaped and non-ASCII is raw
//! UTF-8 (Jackson's and cJSON's defaults).

use serde_json::{Map, Value};

use crate::config::{AssertionSource, Config, Dialect, GrantPath, Mode};
use crate::encoding::{b64url, b64url_json_object, JsonPartError};
use crate::error::{fail, Error, ErrorKind, Result};
use crate::key::{PrivateKey, SigningKey};
use crate::secret::Secret;
use crate::template::AssertionTemplate;
use crate::x509::{CertificateThumbprints, ThumbprintHeader};

/// The `typ` header value.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AssertionType {
    /// `JWT`, what Kafka and librdkafka write (the default).
    #[default]
    Jwt,
    /// `client-authentication+jwt`, the explicit type of draft-ietf-oauth-rfc7523bis.
    ClientAuthentication,
}

impl AssertionType {
    /// The header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "JWT",
            Self::ClientAuthentication => "client-authentication+jwt",
        }
    }
}

/// The configured claims (Kafka's static layer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `iss` (`sasl.oauthbearer.assertion.claim.iss`).
    pub iss: Option<String>,
    /// `sub` (`sasl.oauthbearer.assertion.claim.sub`).
    pub sub: Option<String>,
    /// `aud` (`sasl.oauthbearer.assertion.claim.aud`), a single string.
    pub aud: Option<String>,
    /// Lifetime: `exp = iat + exp_seconds` (Kafka's default 300).
    pub exp_seconds: u32,
    /// Back-dating: `nbf = iat - nbf_seconds` (Kafka's default 60).
    pub nbf_seconds: u32,
    /// Whether to add a `jti` (Kafka's default false).
    pub jti_include: bool,
}

impl Claims {
    /// Kafka's defaults: no `iss/sub/aud`, `exp` 300 s, `nbf` 60 s, no `jti`.
    pub fn kafka_defaults() -> Self {
        Self { exp_seconds: 300, nbf_seconds: 60, ..Self::default() }
    }

    /// The configured `iss`, `sub` and `aud` layered with a template's payload, as the signer
    /// merges them before adding `iat`, `nbf`, `exp` and `jti`: in Kafka Java the template wins
    /// (`LayeredAssertionJwtTemplate`), in librdkafka the configuration does.
    pub fn layered(&self, template: &AssertionTemplate, dialect: Dialect) -> Map<String, Value> {
        let mut payload = Map::new();
        for (name, value) in [("iss", &self.iss), ("sub", &self.sub), ("aud", &self.aud)] {
            if let Some(v) = value {
                payload.insert(name.into(), v.as_str().into());
            }
        }
        merge(&mut payload, &template.payload, SIGNER_OWNED_PAYLOAD, dialect == Dialect::KafkaJava);
        payload
    }

    /// The claims a parsed configuration asks for.
    pub fn from_config(assertion: &crate::config::AssertionConfig) -> Self {
        Self {
            iss: assertion.iss.clone(),
            sub: assertion.sub.clone(),
            aud: assertion.aud.clone(),
            exp_seconds: assertion.exp_seconds,
            nbf_seconds: assertion.nbf_seconds,
            jti_include: assertion.jti_include,
        }
    }
}

/// How the assertion is built beyond the claims.
#[derive(Clone, Debug, Default)]
pub struct AssertionOptions {
    /// Which client's layering rules to follow.
    pub dialect: Dialect,
    /// Strict refuses template overrides of signer-owned members.
    pub mode: Mode,
    /// The `typ` header.
    pub typ: AssertionType,
    /// The `kid` header (for example [`PrivateKey::thumbprint`]).
    pub key_id: Option<String>,
    /// Names this certificate in the header (Entra ID certificate credentials), with
    /// [`AssertionOptions::thumbprint_header`].
    pub certificate: Option<CertificateThumbprints>,
    /// Which thumbprint header(s) name the certificate (`x5t#S256` by default).
    pub thumbprint_header: ThumbprintHeader,
}

impl AssertionOptions {
    /// These options with `certificate` (PEM or DER) named in the header by `header`
    /// (`x5t#S256` when absent). Fails with `invalid_certificate` for a certificate that does not
    /// parse and `invalid_config` for a header without a certificate.
    pub fn with_certificate(self, certificate: Option<&[u8]>, header: Option<ThumbprintHeader>) -> Result<Self> {
        let thumbprint_header = ThumbprintHeader::for_certificate(certificate.is_some(), header)?;
        let certificate = certificate.map(CertificateThumbprints::from_bytes).transpose()?;
        Ok(Self { certificate, thumbprint_header, ..self })
    }
}

/// A signed assertion. `Debug` never shows the value.
#[derive(Clone, Debug)]
pub struct SignedAssertion {
    /// The compact JWS.
    pub value: Secret,
    /// `iat`, in seconds.
    pub issued_at: i64,
    /// `exp`, in seconds.
    pub expires_at: i64,
    /// The `jti`, when one was included.
    pub jti: Option<String>,
}

impl SignedAssertion {
    /// The compact JWS (a secret: do not log it).
    pub fn expose(&self) -> &str {
        self.value.expose()
    }
}

/// Signs client assertions: a key with its cached signer, the claims, the template and options.
#[derive(Clone, Debug)]
pub struct AssertionSigner {
    key: SigningKey,
    claims: Claims,
    template: AssertionTemplate,
    options: AssertionOptions,
}

/// Header and payload members that only the signer sets.
const SIGNER_OWNED_HEADER: &[&str] = &["alg", "typ"];
const SIGNER_OWNED_PAYLOAD: &[&str] = &["iat", "exp", "nbf", "jti"];
const HEADER_ORDER: &[&str] = &["alg", "typ", "kid", "x5t", "x5t#S256"];
const PAYLOAD_ORDER: &[&str] = &["iss", "sub", "aud", "iat", "nbf", "exp", "jti"];

impl AssertionSigner {
    /// A signer from its parts. In strict mode, refuses a template that sets `alg`, `typ`,
    /// `iat`, `exp`, `nbf` or `jti`, and a certificate that does not hold the key.
    pub fn new(
        key: SigningKey,
        claims: Claims,
        template: Option<AssertionTemplate>,
        options: AssertionOptions,
    ) -> Result<Self> {
        let template = template.unwrap_or_default();
        check_template(&template, options.mode)?;
        if let Some(cert) = &options.certificate {
            cert.check_matches(key.private_key())?;
        }
        Ok(Self { key, claims, template, options })
    }

    /// A signer from a parsed [`Config`] and the contents of the files it names, which the host
    /// reads: `key` for `assertion.private.key.file` (ignored when librdkafka's inline
    /// `assertion.private.key.pem` is set) and `template` for the template file.
    ///
    /// Fails with `invalid_config` when the configuration does not sign assertions locally.
    pub fn from_config(config: &Config, key: Option<&[u8]>, template: Option<&[u8]>) -> Result<Self> {
        Self::from_config_with(
            config,
            key,
            template,
            AssertionOptions { dialect: config.dialect, ..AssertionOptions::default() },
        )
    }

    /// [`AssertionSigner::from_config`] with explicit options (its `dialect` is taken from the config).
    pub fn from_config_with(
        config: &Config,
        key: Option<&[u8]>,
        template: Option<&[u8]>,
        options: AssertionOptions,
    ) -> Result<Self> {
        if !matches!(
            config.grant,
            GrantPath::ClientAssertion(AssertionSource::Signed) | GrantPath::JwtBearer(AssertionSource::Signed)
        ) {
            return fail(ErrorKind::InvalidConfig, "this configuration does not sign client assertions locally");
        }
        let a = &config.assertion;
        let key_bytes: &[u8] = match (&a.private_key_pem, key) {
            (Some(pem), _) => pem.expose().as_bytes(),
            (None, Some(bytes)) => bytes,
            (None, None) => {
                return fail(ErrorKind::MissingConfig, "the private key file's contents are needed to sign assertions")
            }
        };
        let private_key = PrivateKey::from_bytes(key_bytes, a.private_key_passphrase.as_ref())
            .map_err(|e| e.context(crate::config::names::ASSERTION_PRIVATE_KEY_FILE))?;
        let signing_key = private_key.signing_key(a.algorithm)?;
        let template = match (template, &a.template_file) {
            (Some(bytes), _) => Some(AssertionTemplate::parse(bytes, config.dialect)?),
            (None, Some(_)) => {
                return fail(
                    ErrorKind::MissingConfig,
                    "the template file's contents are needed: the configuration names one",
                )
            }
            (None, None) => None,
        };
        let claims = Claims::from_config(a);
        if options.mode == Mode::Strict {
            let no_template = AssertionTemplate::default();
            check_client_id(config, &claims.layered(template.as_ref().unwrap_or(&no_template), config.dialect))?;
        }
        Self::new(signing_key, claims, template, AssertionOptions { dialect: config.dialect, ..options })
    }

    /// The signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The same signer with another key (after a key file changed), keeping everything else.
    pub fn with_key(&self, key: SigningKey) -> Self {
        Self { key, ..self.clone() }
    }

    /// The same signer with another key and certificate (after either file changed): fails with
    /// `invalid_certificate` when the certificate does not hold the key, as while a rotation has
    /// replaced one file and not yet the other.
    pub fn with_key_and_certificate(
        &self,
        key: SigningKey,
        certificate: Option<CertificateThumbprints>,
    ) -> Result<Self> {
        let options = AssertionOptions { certificate, ..self.options.clone() };
        Self::new(key, self.claims.clone(), Some(self.template.clone()), options)
    }

    /// The same signer with another template (after a template file changed).
    pub fn with_template(&self, template: Option<AssertionTemplate>) -> Result<Self> {
        Self::new(self.key.clone(), self.claims.clone(), template, self.options.clone())
    }

    /// The header and payload that [`AssertionSigner::sign`] signs for `now_ms` and `jti`.
    ///
    /// `jti` is used only when `jti_include` is on; `None` then draws a UUIDv4 from the OS.
    pub fn header_and_payload(
        &self,
        now_ms: u64,
        jti: Option<&str>,
    ) -> Result<(Map<String, Value>, Map<String, Value>)> {
        let mut header = Map::new();
        header.insert("alg".into(), self.key.algorithm().as_str().into());
        header.insert("typ".into(), self.options.typ.as_str().into());
        if let Some(kid) = self.options.key_id.as_ref() {
            header.insert("kid".into(), kid.as_str().into());
        }
        if let Some(cert) = &self.options.certificate {
            for (name, thumbprint) in cert.header_members(self.options.thumbprint_header) {
                header.insert(name.into(), thumbprint.into());
            }
        }
        merge(&mut header, &self.template.header, SIGNER_OWNED_HEADER, true);

        let mut payload = self.claims.layered(&self.template, self.options.dialect);

        let iat =
            i64::try_from(now_ms / 1000).map_err(|_| Error::new(ErrorKind::InvalidConfig, "now is out of range"))?;
        payload.insert("iat".into(), iat.into());
        payload.insert("nbf".into(), (iat - i64::from(self.claims.nbf_seconds)).into());
        payload.insert("exp".into(), (iat + i64::from(self.claims.exp_seconds)).into());
        if self.claims.jti_include {
            let jti = match jti {
                Some(j) => j.to_owned(),
                None => new_jti()?,
            };
            payload.insert("jti".into(), jti.into());
        }
        Ok((ordered(header, HEADER_ORDER), ordered(payload, PAYLOAD_ORDER)))
    }

    /// Signs an assertion at `now_ms` (Unix milliseconds). `jti` as in
    /// [`AssertionSigner::header_and_payload`].
    pub fn sign(&self, now_ms: u64, jti: Option<&str>) -> Result<SignedAssertion> {
        let (header, payload) = self.header_and_payload(now_ms, jti)?;
        let signing_input = format!(
            "{}.{}",
            b64url(Value::Object(header).to_string().as_bytes()),
            b64url(Value::Object(payload.clone()).to_string().as_bytes())
        );
        let signature = self.key.sign(signing_input.as_bytes())?;
        Ok(SignedAssertion {
            value: Secret::new(format!("{signing_input}.{}", b64url(&signature))),
            issued_at: payload.get("iat").and_then(Value::as_i64).unwrap_or_default(),
            expires_at: payload.get("exp").and_then(Value::as_i64).unwrap_or_default(),
            jti: payload.get("jti").and_then(Value::as_str).map(str::to_owned),
        })
    }
}

/// Refuses a `client_id` that names another client than the assertion's `sub` (`payload`: the
/// claims as signed): RFC 7521 §4.2 and RFC 7523 §3 require both to identify the same client, and
/// IdPs answer `400 invalid_request` ("client_id mismatch"). Kafka sends both unchecked.
pub fn check_client_id(config: &Config, payload: &Map<String, Value>) -> Result<()> {
    let (Some(client_id), Some(Value::String(sub))) = (&config.client_id, payload.get("sub")) else { return Ok(()) };
    if client_id == sub {
        return Ok(());
    }
    fail(
        ErrorKind::ClientIdMismatch,
        format!(
            "the client_id {client_id:?} sent with the assertion is not its sub {sub:?}: RFC 7521 §4.2 and RFC 7523 §3 \
             require both to name the same client, and IdPs refuse the request (\"client_id mismatch\")"
        ),
    )
}

/// In strict mode, refuses a template that sets a member the signer owns (`alg`, `typ`, `iat`,
/// `exp`, `nbf`, `jti`); Kafka silently replaces them, which hides a mistaken template.
pub fn check_template(template: &AssertionTemplate, mode: Mode) -> Result<()> {
    if mode != Mode::Strict {
        return Ok(());
    }
    if !template.ignored.is_empty() {
        let shown: Vec<String> = template.ignored.iter().take(5).map(|m| format!("{m:?}")).collect();
        return fail(
            ErrorKind::InvalidTemplate,
            format!(
                "the assertion template has top-level members {} that Kafka ignores: a template is \
                 {{\"header\": {{…}}, \"payload\": {{…}}}}; move claims under \"payload\" and JWS headers under \"header\"",
                shown.join(", ")
            ),
        );
    }
    let owned: Vec<&str> = SIGNER_OWNED_HEADER
        .iter()
        .filter(|m| template.header.contains_key(**m))
        .chain(SIGNER_OWNED_PAYLOAD.iter().filter(|m| template.payload.contains_key(**m)))
        .copied()
        .collect();
    if owned.is_empty() {
        return Ok(());
    }
    fail(
        ErrorKind::TemplateOverride,
        format!(
            "the assertion template sets {}, which the signer always sets itself (Kafka silently replaces them); remove them from the template",
            owned.join(", ")
        ),
    )
}

/// Merges `layer` into `into`, skipping `owned` members. When `layer_wins` is false, members
/// already present are kept (librdkafka's "configuration overrides template").
fn merge(into: &mut Map<String, Value>, layer: &Map<String, Value>, owned: &[&str], layer_wins: bool) {
    for (k, v) in layer {
        if owned.contains(&k.as_str()) || (!layer_wins && into.contains_key(k)) {
            continue;
        }
        into.insert(k.clone(), v.clone());
    }
}

/// Reorders `map`: the names in `order` first, then the rest in their current order.
fn ordered(mut map: Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for name in order {
        if let Some(v) = map.shift_remove(*name) {
            out.insert((*name).to_owned(), v);
        }
    }
    out.extend(map);
    out
}

/// A lowercase UUIDv4 from the OS's random source.
pub fn new_jti() -> Result<String> {
    use rand_core::RngCore;
    let mut bytes = [0u8; 16];
    rand_core::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| Error::new(ErrorKind::SigningFailed, "the OS random source failed"))?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
}

/// The default margin for pre-built assertions: one that expires within 30 s is refused, since
/// the token endpoint would most likely see it expired.
pub const DEFAULT_EXPIRY_MARGIN_SECONDS: u32 = 30;

/// What a pre-built assertion file holds, after checking.
#[derive(Clone, Debug)]
pub struct PrebuiltAssertion {
    /// The assertion (trimmed).
    pub value: Secret,
    /// Its decoded header.
    pub header: Map<String, Value>,
    /// Its decoded claims.
    pub payload: Map<String, Value>,
    /// `exp` in seconds, when present.
    pub expires_at: Option<i64>,
}

/// Checks a pre-built assertion (`sasl.oauthbearer.assertion.file`) as Kafka does — trimmed, three
/// non-empty parts, header and payload base64url JSON objects — and, unlike Kafka, that its `exp`
/// is later than `now + margin_seconds` (`assertion_expired` otherwise). In strict mode an
/// assertion without a numeric `exp` is refused too (RFC 7523 §3 requires one).
pub fn check_prebuilt_assertion(
    contents: &str,
    now_ms: u64,
    margin_seconds: u32,
    mode: Mode,
) -> Result<PrebuiltAssertion> {
    let value = contents.trim();
    let parts: Vec<&str> = value.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.trim().is_empty()) {
        return fail(ErrorKind::InvalidAssertion, "the assertion file must hold a JWT with three non-empty parts");
    }
    let decode = |part: &str, what: &str| -> Result<Map<String, Value>> {
        b64url_json_object(part.trim_end_matches('=')).map_err(|e| {
            let problem = match e {
                JsonPartError::Base64 => "is not base64url",
                JsonPartError::NotObject => "is not a JSON object",
            };
            Error::new(ErrorKind::InvalidAssertion, format!("the assertion's {what} {problem}"))
        })
    };
    let header = decode(parts[0], "header")?;
    let payload = decode(parts[1], "payload")?;
    let expires_at = payload.get("exp").and_then(Value::as_f64).map(|e| e as i64);
    match expires_at {
        Some(exp) => {
            let now_s = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
            if exp <= now_s.saturating_add(i64::from(margin_seconds)) {
                let how = if exp <= now_s {
                    format!("expired {} s ago", now_s - exp)
                } else {
                    format!("expires in {} s", exp - now_s)
                };
                return fail(
                    ErrorKind::AssertionExpired,
                    format!("the pre-built assertion {how} (margin {margin_seconds} s); the process that writes the file has stopped refreshing it"),
                );
            }
        }
        None if mode == Mode::Strict => {
            return fail(
                ErrorKind::InvalidAssertion,
                "the pre-built assertion has no numeric \"exp\" claim (RFC 7523 §3 requires one)",
            )
        }
        None => {}
    }
    Ok(PrebuiltAssertion { value: Secret::new(value), header, payload, expires_at })
}
