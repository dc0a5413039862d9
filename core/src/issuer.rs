//! The local issuer: a small OAuth authorization server's logic, embedded as the project's default
//! token source and used by the tests. It signs access tokens (ES256 by default), publishes its JWKS
//! and OpenID discovery document — so a real Kafka broker can validate its tokens through
//! `sasl.oauthbearer.jwks.endpoint.url` — and authenticates clients at its token endpoint by client
//! secret or by an RFC 7523 client assertion (what Kafka 4.3's KIP-1258 client sends).
//!
//! Pure like the rest of the core: the host passes `now`, serves HTTP, and keeps the `jti` replay
//! cache (a callback here).

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::algorithm::Algorithm;
use crate::encoding::{b64std_decode, b64url, b64url_decode, b64url_json_object};
use crate::error::{fail, Error, ErrorKind, Result};
use crate::key::{SigningKey, VerifyingKey};
use crate::secret::Secret;

/// `client_assertion_type` of RFC 7523 §2.2.
pub const JWT_BEARER_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What to put in an access token.
#[derive(Clone, Debug)]
pub struct AccessTokenClaims {
    /// `sub`: the Kafka principal.
    pub subject: String,
    /// `aud`, when the broker expects one (`sasl.oauthbearer.expected.audience`).
    pub audience: Option<String>,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// Lifetime in seconds (`exp = iat + lifetime`).
    pub lifetime_seconds: u32,
}

/// An issued access token.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The signed JWT.
    pub token: Secret,
    /// `exp * 1000`.
    pub expires_at_ms: u64,
    /// `expires_in` for the token response (= the lifetime).
    pub expires_in: u64,
}

/// The issuer: its URL (`iss`) and its signing key.
#[derive(Debug)]
pub struct LocalIssuer {
    issuer: String,
    key: SigningKey,
    kid: String,
}

impl LocalIssuer {
    /// An issuer named `issuer` (a URL without a trailing slash, e.g. `http://127.0.0.1:14293`)
    /// signing with `key`; the `kid` is the key's RFC 7638 thumbprint.
    pub fn new(issuer: impl Into<String>, key: SigningKey) -> Self {
        let kid = key.private_key().thumbprint();
        Self { issuer: issuer.into().trim_end_matches('/').to_owned(), key, kid }
    }

    /// The issuer URL (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `kid` of the signing key.
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// `<issuer>/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// `<issuer>/jwks`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// Signs an access token: header `{alg, typ:"JWT", kid}`, claims
    /// `{iss, sub, [aud], [scope], iat, exp, jti}` with `iat = floor(now)`. `jti` is a fresh
    /// UUIDv4 unless given.
    pub fn sign_access_token(&self, claims: &AccessTokenClaims, now_ms: u64, jti: Option<&str>) -> Result<IssuedToken> {
        if claims.subject.trim().is_empty() {
            return fail(ErrorKind::InvalidConfig, "the access token subject must not be empty");
        }
        let iat = now_ms / 1000;
        let exp = iat + u64::from(claims.lifetime_seconds);
        let header = json!({ "alg": self.key.algorithm().as_str(), "typ": "JWT", "kid": self.kid });
        let mut payload = Map::new();
        payload.insert("iss".into(), self.issuer.clone().into());
        payload.insert("sub".into(), claims.subject.clone().into());
        if let Some(aud) = &claims.audience {
            payload.insert("aud".into(), aud.clone().into());
        }
        if let Some(scope) = &claims.scope {
            payload.insert("scope".into(), scope.clone().into());
        }
        payload.insert("iat".into(), iat.into());
        payload.insert("exp".into(), exp.into());
        let jti = match jti {
            Some(j) => j.to_owned(),
            None => crate::assertion::new_jti()?,
        };
        payload.insert("jti".into(), jti.into());
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(Value::Object(payload).to_string().as_bytes())
        );
        let signature = self.key.sign(input.as_bytes())?;
        Ok(IssuedToken {
            token: Secret::new(format!("{input}.{}", b64url(&signature))),
            expires_at_ms: exp * 1000,
            expires_in: u64::from(claims.lifetime_seconds),
        })
    }

    /// The JWKS document: `{"keys":[{…public JWK…, "kid", "use":"sig", "alg"}]}`.
    pub fn jwks(&self) -> Value {
        let mut jwk = self.key.public_jwk(Some(&self.kid));
        jwk.insert("use".into(), "sig".into());
        jwk.insert("alg".into(), self.key.algorithm().as_str().into());
        json!({ "keys": [jwk] })
    }

    /// The OpenID Connect discovery / RFC 8414 metadata document.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint(),
            "jwks_uri": self.jwks_uri(),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": Algorithm::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            "id_token_signing_alg_values_supported": [self.key.algorithm().as_str()],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        })
    }
}

/// A client the issuer knows.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    /// `client_id`.
    pub client_id: String,
    /// The client's secret, for `client_secret_basic` / `_post`.
    pub secret: Option<Secret>,
    /// Keys its assertions may be signed with (`private_key_jwt`).
    pub keys: Vec<VerifyingKey>,
}

/// How strictly assertions are checked.
#[derive(Clone, Debug)]
pub struct AssertionPolicy {
    /// Accepted `aud` values (RFC 7523 §3: the token endpoint or the issuer).
    pub audiences: Vec<String>,
    /// The longest `exp - iat` (or `exp - now`) accepted (default 3600 s).
    pub max_lifetime_seconds: u64,
    /// Clock skew allowed on `exp` and `nbf` (default 30 s, as Kafka's broker).
    pub clock_skew_seconds: u64,
    /// Refuse assertions without a `jti` (Kafka's client omits it by default, so off by default).
    pub require_jti: bool,
}

impl AssertionPolicy {
    /// Defaults for an issuer: its token endpoint and its own URL as audiences.
    pub fn for_issuer(issuer: &LocalIssuer) -> Self {
        Self {
            audiences: vec![issuer.token_endpoint(), issuer.issuer().to_owned()],
            max_lifetime_seconds: 3600,
            clock_skew_seconds: 30,
            require_jti: false,
        }
    }
}

/// A client assertion that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The authenticated client.
    pub client_id: String,
    /// Its `jti`, if any (already recorded by the replay callback).
    pub jti: Option<String>,
    /// `exp * 1000` (how long the replay cache must remember the `jti`).
    pub expires_at_ms: u64,
}

fn refused<T>(why: impl Into<String>) -> Result<T> {
    fail(ErrorKind::ClientAuthenticationFailed, why)
}

fn unsupported_grant<T>(request: &ClientCredentialsRequest) -> Result<T> {
    let asked = request.grant_type.as_deref().map_or_else(|| "none".to_owned(), |g| format!("{g:?}"));
    fail(ErrorKind::UnsupportedGrantType, format!("grant_type must be client_credentials, not {asked}"))
}

/// The HTTP status and RFC 6749 §5.2 `error` a token endpoint answers a refused request with:
/// 400 `unsupported_grant_type` for another grant, else 401 `invalid_client`.
pub fn refusal_status(error: &Error) -> (u16, &'static str) {
    match error.kind() {
        ErrorKind::UnsupportedGrantType => (400, "unsupported_grant_type"),
        _ => (401, "invalid_client"),
    }
}

/// Verifies a client assertion per RFC 7523 §3: a JWS with one of our algorithms signed by one of
/// the client's keys (the `kid` picks it when present); `iss` = `sub` = the client id; `aud` one of
/// the policy's; `exp` present and not past (with skew) and not too far out; `nbf` not in the
/// future. `jti_is_new(jti, exp_ms)` records a `jti` and says whether it was unseen
/// (`assertion_replayed` otherwise). `client_id`, when the request named one, must match `iss`.
pub fn verify_client_assertion(
    assertion: &str,
    client_id: Option<&str>,
    clients: &[RegisteredClient],
    policy: &AssertionPolicy,
    now_ms: u64,
    jti_is_new: &mut dyn FnMut(&str, u64) -> bool,
) -> Result<VerifiedAssertion> {
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return refused("the client assertion is not a compact JWS");
    }
    let decode = |part: &str| -> Result<Map<String, Value>> {
        b64url_json_object(part).map_err(|_| {
            Error::new(ErrorKind::ClientAuthenticationFailed, "the client assertion is not base64url JSON")
        })
    };
    let (header, claims) = (decode(parts[0])?, decode(parts[1])?);
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let alg = Algorithm::from_jws_alg(alg_name).ok_or_else(|| {
        Error::new(ErrorKind::ClientAuthenticationFailed, format!("assertion alg {alg_name:?} is not accepted"))
    })?;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    if claims.get("sub").and_then(Value::as_str) != Some(iss) || iss.is_empty() {
        return refused("the assertion's iss and sub must both be the client id (RFC 7523 §3)");
    }
    if client_id.is_some_and(|id| id != iss) {
        return refused("the assertion's iss does not match the client_id of the request");
    }
    let client = clients
        .iter()
        .find(|c| c.client_id == iss)
        .ok_or_else(|| Error::new(ErrorKind::ClientAuthenticationFailed, format!("unknown client {iss:?}")))?;
    let signature = b64url_decode(parts[2])
        .map_err(|_| Error::new(ErrorKind::ClientAuthenticationFailed, "bad signature encoding"))?;
    let message = format!("{}.{}", parts[0], parts[1]);
    let kid = header.get("kid").and_then(Value::as_str);
    if VerifyingKey::verify_any(&client.keys, kid, alg, message.as_bytes(), &signature) != Some(true) {
        return refused(format!("the assertion's signature does not verify with any key registered for {iss:?}"));
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => policy.audiences.contains(a),
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).any(|a| policy.audiences.iter().any(|p| p == a))
        }
        _ => false,
    };
    if !audience_ok {
        return refused(format!("the assertion's aud must be one of {:?}", policy.audiences));
    }
    let now = now_ms / 1000;
    let skew = policy.clock_skew_seconds;
    let exp = match claims.get("exp").and_then(Value::as_f64) {
        Some(e) if e >= 0.0 => e as u64,
        _ => return refused("the assertion has no numeric exp"),
    };
    if exp + skew <= now {
        return fail(ErrorKind::AssertionExpired, format!("the assertion expired {} s ago", now - exp));
    }
    let from = claims.get("iat").and_then(Value::as_f64).map_or(now, |i| i.max(0.0) as u64).min(now);
    if exp.saturating_sub(from) > policy.max_lifetime_seconds {
        return refused(format!("the assertion lives longer than the allowed {} s", policy.max_lifetime_seconds));
    }
    if claims.get("nbf").and_then(Value::as_f64).is_some_and(|nbf| nbf as u64 > now + skew) {
        return refused("the assertion is not valid yet (nbf is in the future)");
    }
    let jti = claims.get("jti").and_then(Value::as_str).map(str::to_owned);
    match &jti {
        None if policy.require_jti => return refused("the assertion has no jti"),
        Some(j) if !jti_is_new(j, exp * 1000) => {
            return fail(ErrorKind::AssertionReplayed, "this assertion's jti was already used")
        }
        _ => {}
    }
    Ok(VerifiedAssertion { client_id: iss.to_owned(), jti, expires_at_ms: exp * 1000 })
}

/// Checks a client secret in constant time (HMAC of both under a fixed key, compared by
/// `verify_slice`).
pub fn verify_client_secret(client_id: &str, secret: &str, clients: &[RegisteredClient]) -> Result<()> {
    let mac = |value: &[u8]| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"oauthbearer client secret check")
            .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        m.update(value);
        m
    };
    let expected = clients.iter().find(|c| c.client_id == client_id).and_then(|c| c.secret.as_ref());
    match expected {
        Some(stored)
            if mac(secret.as_bytes())
                .verify_slice(&mac(stored.expose().as_bytes()).finalize().into_bytes())
                .is_ok() =>
        {
            Ok(())
        }
        _ => refused(format!("client {client_id:?} is unknown or its secret is wrong")),
    }
}

/// An open test issuer's check: a well-formed `client_credentials` request from any client. The
/// client id (from the Basic header or the form) becomes the subject, `default_subject` when the
/// request names none. Only for issuers that register no clients (local tests).
pub fn accept_any_client(request: &ClientCredentialsRequest, default_subject: &str) -> Result<String> {
    if request.grant_type.as_deref() != Some("client_credentials") {
        return unsupported_grant(request);
    }
    Ok(request.client_id.clone().filter(|id| !id.trim().is_empty()).unwrap_or_else(|| default_subject.to_owned()))
}

/// Remembers assertion `jti`s until they expire (RFC 7523 §3: the server may refuse a replayed
/// `jti`), for [`authenticate_client`]'s callback. Expired entries are forgotten on each call, so
/// it holds at most the assertions of one maximum lifetime.
#[derive(Clone, Debug, Default)]
pub struct ReplayCache {
    seen: std::collections::HashMap<String, u64>,
}

impl ReplayCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `jti` (usable until `expires_at_ms`) at `now_ms`; `false` when it was seen and
    /// has not expired yet.
    pub fn check_and_record(&mut self, jti: &str, expires_at_ms: u64, now_ms: u64) -> bool {
        self.seen.retain(|_, exp| *exp > now_ms);
        if self.seen.contains_key(jti) {
            return false;
        }
        self.seen.insert(jti.to_owned(), expires_at_ms);
        true
    }

    /// How many `jti`s are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// A parsed `client_credentials` token request, as the token endpoint receives it.
#[derive(Clone, Debug, Default)]
pub struct ClientCredentialsRequest {
    /// `grant_type`.
    pub grant_type: Option<String>,
    /// `client_id` from the Basic header or the form.
    pub client_id: Option<String>,
    /// `client_secret` from the Basic header or the form.
    pub client_secret: Option<Secret>,
    /// `client_assertion_type`.
    pub client_assertion_type: Option<String>,
    /// `client_assertion`.
    pub client_assertion: Option<Secret>,
    /// `scope`.
    pub scope: Option<String>,
}

/// Parses a form-encoded token request body and an optional `Authorization: Basic` header (whose
/// id and secret are form-decoded, RFC 6749 §2.3.1).
pub fn parse_client_credentials_request(body: &str, authorization: Option<&str>) -> Result<ClientCredentialsRequest> {
    let mut req = ClientCredentialsRequest::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        let v = v.into_owned();
        match &*k {
            "grant_type" => req.grant_type = Some(v),
            "client_id" => req.client_id = Some(v),
            "client_secret" => req.client_secret = Some(Secret::new(v)),
            "client_assertion_type" => req.client_assertion_type = Some(v),
            "client_assertion" => req.client_assertion = Some(Secret::new(v)),
            "scope" => req.scope = Some(v),
            _ => {}
        }
    }
    let basic = authorization.and_then(|h| h.strip_prefix("Basic ").or_else(|| h.strip_prefix("basic ")));
    let methods = [basic.is_some(), req.client_secret.is_some(), req.client_assertion.is_some()];
    if methods.iter().filter(|used| **used).count() > 1 {
        // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
        return fail(
            ErrorKind::ClientAuthenticationFailed,
            "the request authenticates the client more than once (Basic header, client_secret, client_assertion); use one",
        );
    }
    if let Some(basic) = basic {
        let bad = || Error::new(ErrorKind::ClientAuthenticationFailed, "malformed Basic authorization header");
        let decoded = b64std_decode(basic.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (id, secret) = text.split_once(':').ok_or_else(bad)?;
        let form_decode =
            |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        req.client_id = form_decode(id);
        req.client_secret = form_decode(secret).map(Secret::new);
    }
    Ok(req)
}

/// Authenticates a token request: a client assertion when one is present (its type must be
/// RFC 7523's), else the client secret. Returns the client id.
pub fn authenticate_client(
    request: &ClientCredentialsRequest,
    clients: &[RegisteredClient],
    policy: &AssertionPolicy,
    now_ms: u64,
    jti_is_new: &mut dyn FnMut(&str, u64) -> bool,
) -> Result<String> {
    if request.grant_type.as_deref() != Some("client_credentials") {
        return unsupported_grant(request);
    }
    if let Some(assertion) = &request.client_assertion {
        if request.client_assertion_type.as_deref() != Some(JWT_BEARER_ASSERTION_TYPE) {
            return refused(format!("client_assertion_type must be {JWT_BEARER_ASSERTION_TYPE}"));
        }
        let verified = verify_client_assertion(
            assertion.expose(),
            request.client_id.as_deref(),
            clients,
            policy,
            now_ms,
            jti_is_new,
        )?;
        return Ok(verified.client_id);
    }
    match (&request.client_id, &request.client_secret) {
        (Some(id), Some(secret)) => verify_client_secret(id, secret.expose(), clients).map(|()| id.clone()),
        _ => refused("no client credentials (client secret or client assertion) in the request"),
    }
}

/// A local issuer with its registered clients and its `jti` replay cache: what a token endpoint in
/// issuer mode serves, shared between threads. With no client registered the issuer is open (any
/// well-formed `client_credentials` request passes, its client id as the subject: local tests only).
#[derive(Debug)]
pub struct IssuerService {
    issuer: LocalIssuer,
    clients: std::sync::Mutex<Vec<RegisteredClient>>,
    replay: std::sync::Mutex<ReplayCache>,
}

impl IssuerService {
    /// A service for `issuer` with no client registered.
    pub fn new(issuer: LocalIssuer) -> Self {
        Self { issuer, clients: std::sync::Mutex::default(), replay: std::sync::Mutex::default() }
    }

    /// The issuer.
    pub fn issuer(&self) -> &LocalIssuer {
        &self.issuer
    }

    /// Registers a client (its secret and/or the keys of its assertions).
    pub fn register(&self, client: RegisteredClient) {
        // A panic elsewhere while holding the lock leaves a valid Vec: keep using it.
        self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(client);
    }

    /// Authenticates a token request (form body and `Authorization` header) at `now_ms`: returns
    /// the client id and the requested scope. Replayed assertion `jti`s are refused.
    pub fn authenticate(
        &self,
        body: &str,
        authorization: Option<&str>,
        now_ms: u64,
    ) -> Result<(String, Option<String>)> {
        let request = parse_client_credentials_request(body, authorization)?;
        let clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.is_empty() {
            return Ok((accept_any_client(&request, "kafka-client")?, request.scope));
        }
        let policy = AssertionPolicy::for_issuer(&self.issuer);
        let mut replay = self.replay.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let client_id = authenticate_client(&request, &clients, &policy, now_ms, &mut |jti, exp_ms| {
            replay.check_and_record(jti, exp_ms, now_ms)
        })?;
        Ok((client_id, request.scope))
    }
}
