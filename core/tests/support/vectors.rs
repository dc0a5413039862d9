//! Executes one vector case against the core: `run(op, input) -> output`. The generator
//! (`core/examples/gen_vectors.rs`) and the runner (`core/tests/vectors.rs`) share it, so the
//! files in `tests/vectors/` are exactly what the core computes. The JSON shapes here are the
//! contract every front's runner implements; `tests/vectors/README.md` documents them.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use oauthbearer::assertion::{check_prebuilt_assertion, AssertionOptions, AssertionType};
use oauthbearer::config::jaas;
use oauthbearer::config::{AssertionSource, Dialect, GrantPath, Mode};
use oauthbearer::key::KeyType;
use oauthbearer::lifecycle::{Decision, HandleLifecycle, HostFailure, LifecyclePolicy, LifecycleSettings};
use oauthbearer::request::{self, SecretMethod};
use oauthbearer::response::parse_token_response;
use oauthbearer::retry::{Failure, RetryPolicy};
use oauthbearer::template::AssertionTemplate;
use oauthbearer::{endpoint, explain, google, issuer, msk, sasl, token};
use oauthbearer::{AssertionSigner, Backend, Config, Error, PrivateKey, Secret, SigningKey};
use serde_json::{json, Map, Value};

pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/keys")
}

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The output of a failed case: the code, and a token endpoint's parsed refusal when there is one.
fn error(e: &Error) -> Value {
    let mut out = json!({ "error": e.code() });
    if let Some(f) = e.token_endpoint_failure() {
        out["status"] = f.status.into();
        out["error_code"] = f.error.clone().into();
        out["error_description"] = f.error_description.clone().into();
        out["retryable"] = f.retryable.into();
        out["kafka_message"] = f.kafka_message.clone().into();
    }
    out
}

fn key_type(t: KeyType) -> &'static str {
    match t {
        KeyType::Rsa => "RSA",
        KeyType::P256 => "P-256",
        KeyType::P384 => "P-384",
        KeyType::Ed25519 => "Ed25519",
        _ => "other",
    }
}

fn read_key(input: &Value) -> Result<PrivateKey, Error> {
    let bytes = match (s(input, "key_file"), s(input, "key_text")) {
        (Some(f), _) => std::fs::read(keys_dir().join(f)).unwrap(),
        (None, Some(t)) => t.as_bytes().to_vec(),
        _ => panic!("key_file or key_text needed"),
    };
    PrivateKey::from_bytes(&bytes, s(input, "passphrase").map(Secret::new).as_ref())
}

fn properties(input: &Value) -> Vec<(String, String)> {
    input["properties"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect())
        .unwrap_or_default()
}

fn dialect(input: &Value) -> Dialect {
    s(input, "dialect").unwrap_or("kafka-java").parse().unwrap()
}

fn mode(input: &Value) -> Mode {
    s(input, "mode").unwrap_or("strict").parse().unwrap()
}

fn config(input: &Value) -> Result<Config, Error> {
    let props = properties(input);
    Config::from_properties_with(props.iter().map(|(k, v)| (k.as_str(), v.as_str())), dialect(input), mode(input))
}

pub fn run(op: &str, input: &Value) -> Value {
    if op == "http_request" {
        return http_request(input);
    }
    run_result(op, input).unwrap_or_else(|e| error(&e))
}

/// The bytes of an `http_request` case: each character of `request` is one byte (Latin-1), so
/// binary input fits in JSON.
pub fn request_bytes(input: &Value) -> Vec<u8> {
    s(input, "request").unwrap().chars().map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character")).collect()
}

/// What the token endpoint's framing (`oauthbearer::http`) decides on a whole request: the
/// refusal's status, or the method and path it would route. Refusals are not core `Error`s: the
/// endpoint answers them with the RFC 6749 error `invalid_request` and this status.
pub fn http_refusal(input: &Value) -> Result<(String, String), u16> {
    use oauthbearer::http::{self, BodyFraming, Chunked, ChunkedDecoder, Head, Limits};
    let bytes = request_bytes(input);
    let limits = Limits::default();
    let (head, len) = match http::parse_head(&bytes, &limits) {
        Head::Complete { head, len } => (head, len),
        Head::Refused(refusal) => return Err(refusal.status),
        // The server waits for the rest, then answers 408 at its request timeout.
        Head::Partial => return Err(408),
    };
    match head.body {
        BodyFraming::None => {}
        BodyFraming::Length(n) => {
            http::check_body_length(n, &limits).map_err(|r| r.status)?;
            if bytes.len() - len < n {
                return Err(408);
            }
        }
        BodyFraming::Chunked => match ChunkedDecoder::new(&limits).feed(&bytes[len..]) {
            Chunked::Done { .. } => {}
            Chunked::More => return Err(408),
            Chunked::Refused(refusal) => return Err(refusal.status),
        },
    }
    Ok((head.method.as_str().to_owned(), head.path))
}

fn http_request(input: &Value) -> Value {
    match http_refusal(input) {
        Ok((method, path)) => json!({ "method": method, "path": path }),
        Err(status) => json!({ "error": "invalid_request", "status": status }),
    }
}

/// [`run`] with the error itself (its message and Debug are checked for planted secrets).
pub fn run_result(op: &str, input: &Value) -> Result<Value, Error> {
    match op {
        "parse_key" => parse_key(input),
        "sign_assertion" => sign_assertion(input),
        "config" => config_case(input),
        "token_request" => token_request(input),
        "token_response" => token_response(input),
        "retry" => Ok(retry(input)),
        "prebuilt_assertion" => prebuilt(input),
        "jaas" => jaas::parse(s(input, "text").unwrap()).map(|e| {
            let options: Map<String, Value> = e.options().map(|(k, v)| (k.to_owned(), v.into())).collect();
            json!({ "login_module": e.login_module, "control_flag": e.control_flag, "options": options })
        }),
        "template" => AssertionTemplate::parse(s(input, "text").unwrap().as_bytes(), dialect(input))
            .map(|t| json!({ "header": t.header, "payload": t.payload })),
        "google_token" => google_token(input),
        "google_principal" => google_principal(input),
        "msk_token" => msk_token(input),
        "eventhubs_scope" => {
            oauthbearer::azure::eventhubs_token_scope(s(input, "bootstrap_servers").unwrap(), s(input, "scope"))
                .map(|scope| json!({ "scope": scope }))
        }
        "sasl_client_first" => sasl_client_first(input),
        "sasl_server_error" => sasl::parse_server_error(s(input, "text").unwrap().as_bytes())
            .map(|e| json!({ "status": e.status, "scope": e.scope, "openid_configuration": e.openid_configuration })),
        "confluent_extensions" => {
            sasl::confluent_extensions(s(input, "logical_cluster").unwrap(), s(input, "identity_pool_id")).map(
                |ext| json!({ "librdkafka": sasl::extensions_librdkafka(&ext), "jaas": sasl::extensions_jaas(&ext) }),
            )
        }
        "check_token" => check_token(input),
        "broker_check" => broker_check(input),
        "refresh" => Ok(refresh(input)),
        "endpoint_body" => Ok(json!({ "body": endpoint::token_response_body(
            s(input, "token").unwrap(),
            input["expires_at_ms"].as_u64().unwrap(),
            input["now_ms"].as_u64().unwrap(),
            s(input, "style").unwrap().parse().unwrap(),
        ) })),
        "issuer" => issuer(input),
        "verify_client_assertion" => verify_client_assertion(input),
        "explain" => Ok(explain(input)),
        "lifecycle" => lifecycle(input),
        "sidecar_config" => sidecar_config(input),
        other => panic!("unknown op {other}"),
    }
}

/// The Envoy plugin's configuration (`config`, JSON text) with its environment (`env`).
fn sidecar_config(input: &Value) -> Result<Value, Error> {
    use oauthbearer::sidecar::{Sidecar, SidecarConfig, SidecarMode, SourceKind};
    let env: Map<String, Value> = input["env"].as_object().cloned().unwrap_or_default();
    let lookup = |name: &str| env.get(name).and_then(Value::as_str).map(str::to_owned);
    let config = SidecarConfig::from_json(s(input, "config").unwrap().as_bytes())?;
    let sidecar = Sidecar::new(config, &lookup)?;
    let c = sidecar.config();
    Ok(json!({
        "mode": if c.mode == SidecarMode::Inject { "inject" } else { "endpoint" },
        "source": if c.source == SourceKind::Oauth { "oauth" } else { "google-metadata" },
        "cluster": c.cluster,
        "fetch_timeout_ms": sidecar.policy().fetch_timeout_ms,
    }))
}

fn google_token(input: &Value) -> Result<Value, Error> {
    let t = google::google_token(
        s(input, "access_token").unwrap(),
        input["expires_at_ms"].as_u64().unwrap(),
        s(input, "principal").unwrap(),
        input["now_ms"].as_u64().unwrap(),
        s(input, "style").unwrap().parse()?,
    )?;
    Ok(json!({ "token": t.token.expose(), "expires_at_ms": t.expires_at_ms, "principal": t.principal }))
}

fn google_principal(input: &Value) -> Result<Value, Error> {
    let json = s(input, "credentials_json").map(str::as_bytes);
    Ok(match google::principal_from_credentials(json, s(input, "override"))? {
        google::PrincipalSource::Known(p) => json!({ "principal": p }),
        google::PrincipalSource::HostMustLookUp => json!({ "source": "host_must_look_up" }),
        google::PrincipalSource::NotInCredentials => json!({ "source": "not_in_credentials" }),
        _ => json!({ "source": "other" }),
    })
}

fn msk_token(input: &Value) -> Result<Value, Error> {
    let credentials = msk::AwsCredentials {
        access_key_id: s(input, "access_key_id").unwrap().to_owned(),
        secret_access_key: Secret::new(s(input, "secret_access_key").unwrap()),
        session_token: s(input, "session_token").map(Secret::new),
        expires_at_ms: input["credentials_expire_at_ms"].as_u64(),
    };
    let mut options = msk::MskTokenOptions::new(s(input, "region").unwrap());
    if let Some(domain) = s(input, "domain") {
        options.domain = domain.to_owned();
    }
    if let Some(order) = s(input, "order") {
        options.order = order.parse()?;
    }
    if input.get("user_agent").is_some() {
        options.user_agent = s(input, "user_agent").map(str::to_owned);
    }
    if let Some(floor) = input["min_credential_lifetime_seconds"].as_u64() {
        options.min_credential_lifetime_seconds = u32::try_from(floor).unwrap();
    }
    let t = msk::msk_token(&credentials, &options, input["now_ms"].as_u64().unwrap())?;
    Ok(json!({
        "token": t.token.expose(),
        "signed_url": t.signed_url.expose(),
        "expires_at_ms": t.expires_at_ms,
        "expires_seconds": t.expires_seconds,
    }))
}

fn sasl_client_first(input: &Value) -> Result<Value, Error> {
    let extensions: Vec<(String, String)> = input["extensions"]
        .as_array()
        .map(|a| a.iter().map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned())).collect())
        .unwrap_or_default();
    let pairs: Vec<(&str, &str)> = extensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let bytes = sasl::client_first_message(s(input, "token").unwrap(), s(input, "authzid"), &pairs)?;
    Ok(json!({ "hex": hex_string(&bytes), "length": bytes.len() }))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_token(input: &Value) -> Result<Value, Error> {
    let mut check = token::TokenCheck::new(dialect(input));
    if let Some(c) = s(input, "sub_claim") {
        c.clone_into(&mut check.sub_claim);
    }
    if let Some(c) = s(input, "scope_claim") {
        c.clone_into(&mut check.scope_claim);
    }
    check.split_scope = input["split_scope"].as_bool().unwrap_or(false);
    let accepted = token::check_access_token(s(input, "token").unwrap(), &check)?;
    if let Some(now) = input["now_ms"].as_u64() {
        token::check_not_expired(&accepted, now, input["skew_ms"].as_u64().unwrap_or(0))?;
    }
    Ok(json!({
        "principal": accepted.principal,
        "scopes": accepted.scopes,
        "expires_at_ms": accepted.expires_at_ms,
        "issued_at_ms": accepted.issued_at_ms,
    }))
}

/// `broker::check_as_broker` with the JWKS and the broker's settings of the case.
fn broker_check(input: &Value) -> Result<Value, Error> {
    let audience = input["audience"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let check = oauthbearer::broker::BrokerCheck::from_jwks(s(input, "jwks").unwrap())?.expecting(
        audience,
        s(input, "issuer").map(str::to_owned),
        input["clock_skew_seconds"].as_u64(),
    );
    let accepted =
        oauthbearer::broker::check_as_broker(s(input, "token").unwrap(), &check, input["now_ms"].as_u64().unwrap())?;
    Ok(json!({ "principal": accepted.principal, "expires_at_ms": accepted.expires_at_ms }))
}

fn refresh(input: &Value) -> Value {
    let now = input["now_ms"].as_u64().unwrap();
    let exp = input["expires_at_ms"].as_u64().unwrap();
    let d = if s(input, "client") == Some("librdkafka") {
        token::refresh_at_librdkafka(now, exp)
    } else {
        let c = &input["config"];
        let defaults = token::RefreshConfig::default();
        let config = token::RefreshConfig {
            window_factor: c["window_factor"].as_f64().unwrap_or(defaults.window_factor),
            window_jitter: c["window_jitter"].as_f64().unwrap_or(defaults.window_jitter),
            min_period_seconds: c["min_period_seconds"].as_u64().unwrap_or(defaults.min_period_seconds),
            buffer_seconds: c["buffer_seconds"].as_u64().unwrap_or(defaults.buffer_seconds),
        };
        token::refresh_at_java(
            now,
            exp,
            input["issued_at_ms"].as_u64(),
            &config,
            input["jitter01"].as_f64().unwrap_or(0.0),
        )
    };
    json!({ "at_ms": d.at_ms, "expired": d.expired })
}

fn local_issuer(input: &Value) -> Result<issuer::LocalIssuer, Error> {
    let key = read_key(input)?;
    let alg: oauthbearer::Algorithm = s(input, "alg").unwrap_or("ES256").parse()?;
    Ok(issuer::LocalIssuer::new(s(input, "issuer").unwrap(), key.signing_key(alg)?))
}

/// The issuer's documents, and an access token (exact for RS256 and EdDSA; the runner verifies
/// the others against the JWKS).
fn issuer(input: &Value) -> Result<Value, Error> {
    let issuer = local_issuer(input)?;
    let claims = issuer::AccessTokenClaims {
        subject: s(input, "subject").unwrap().to_owned(),
        audience: s(input, "audience").map(str::to_owned),
        scope: s(input, "scope").map(str::to_owned),
        lifetime_seconds: u32::try_from(input["lifetime_seconds"].as_u64().unwrap()).unwrap(),
    };
    let issued = issuer.sign_access_token(&claims, input["now_ms"].as_u64().unwrap(), s(input, "jti"))?;
    let parts: Vec<&str> = issued.token.expose().split('.').collect();
    let mut out = json!({
        "jwks": issuer.jwks(),
        "discovery": issuer.discovery(),
        "signing_input": format!("{}.{}", parts[0], parts[1]),
        "expires_at_ms": issued.expires_at_ms,
    });
    // Peers ask for randomized signatures too (`return_token`); the vector files pin only these.
    if matches!(s(input, "alg"), Some("RS256" | "EdDSA")) || input["return_token"].as_bool() == Some(true) {
        out["token"] = issued.token.expose().into();
    }
    Ok(out)
}

fn verify_client_assertion(input: &Value) -> Result<Value, Error> {
    let clients: Vec<issuer::RegisteredClient> = input["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| issuer::RegisteredClient {
            client_id: c["client_id"].as_str().unwrap().to_owned(),
            secret: c["secret"].as_str().map(Secret::new),
            keys: c["jwks"].as_array().map_or_else(Vec::new, |keys| {
                keys.iter().map(|k| oauthbearer::key::VerifyingKey::from_jwk(k.as_object().unwrap()).unwrap()).collect()
            }),
        })
        .collect();
    let policy = issuer::AssertionPolicy {
        audiences: input["audiences"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
        max_lifetime_seconds: input["max_lifetime_seconds"].as_u64().unwrap_or(3600),
        clock_skew_seconds: input["clock_skew_seconds"].as_u64().unwrap_or(30),
        require_jti: input["require_jti"].as_bool().unwrap_or(false),
    };
    let seen: Vec<String> = input["seen_jtis"]
        .as_array()
        .map(|a| a.iter().map(|j| j.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let request = issuer::parse_client_credentials_request(s(input, "body").unwrap(), s(input, "authorization"))?;
    let client_id =
        issuer::authenticate_client(&request, &clients, &policy, input["now_ms"].as_u64().unwrap(), &mut |jti, _| {
            !seen.iter().any(|j| j == jti)
        })?;
    Ok(json!({ "client_id": client_id }))
}

fn explain(input: &Value) -> Value {
    let props = properties(input);
    let c = &input["context"];
    let context = explain::ExplainContext {
        kafka_version: c["kafka_version"]
            .as_array()
            .map(|v| (u32::try_from(v[0].as_u64().unwrap()).unwrap(), u32::try_from(v[1].as_u64().unwrap()).unwrap())),
        java_version: c["java_version"].as_u64().map(|v| u32::try_from(v).unwrap()),
        private_key: c["private_key"].as_str().map(str::as_bytes),
        token: c["token"].as_str(),
        idp_max_assertion_lifetime_seconds: c["idp_max_assertion_lifetime_seconds"]
            .as_u64()
            .map(|v| u32::try_from(v).unwrap()),
        client: c["client"].as_str(),
        client_version: c["client_version"].as_str(),
        broker_reauth_ms: c["broker_reauth_ms"].as_u64(),
        assertion_template: c["assertion_template"].as_str().map(str::as_bytes),
    };
    let findings = explain::explain(props.iter().map(|(k, v)| (k.as_str(), v.as_str())), dialect(input), &context);
    json!({ "findings": findings.iter().map(|f| json!({ "severity": f.severity.as_str(), "code": f.code })).collect::<Vec<_>>() })
}

fn parse_key(input: &Value) -> Result<Value, Error> {
    let key = read_key(input)?;
    Ok(json!({
        "key_type": key_type(key.key_type()),
        "thumbprint": key.thumbprint(),
        // As every front prints it: `alg` (the key's default) and `use: "sig"` with the RFC 7638 members.
        "public_jwk": key.signing_key(key.default_algorithm())?.public_jwk(None),
        "default_algorithm": key.default_algorithm().as_str(),
    }))
}

/// Signs with every available backend; RS256 and EdDSA signatures are deterministic and pinned,
/// the others are verified by the runners with the key's public JWK.
fn sign_assertion(input: &Value) -> Result<Value, Error> {
    let config = config(input)?;
    let key_bytes = s(input, "key_file").map(|f| std::fs::read(keys_dir().join(f)).unwrap());
    let template = s(input, "template").map(str::as_bytes);
    let options = AssertionOptions {
        mode: mode(input),
        typ: if s(input, "typ") == Some("client-authentication+jwt") {
            AssertionType::ClientAuthentication
        } else {
            AssertionType::Jwt
        },
        key_id: s(input, "kid").map(str::to_owned),
        ..AssertionOptions::default()
    };
    let certificate = s(input, "certificate_file").map(|f| std::fs::read(keys_dir().join(f)).unwrap());
    let header = s(input, "thumbprint_header").map(str::parse).transpose()?;
    let options = options.with_certificate(certificate.as_deref(), header)?;
    let mut signer = AssertionSigner::from_config_with(&config, key_bytes.as_deref(), template, options)?;
    // The runner signs on every compiled backend; the generator on the default one.
    if let Some(name) = s(input, "backend") {
        let backend = Backend::available().into_iter().find(|b| b.name() == name).unwrap();
        let key = signer.signing_key();
        signer = signer.with_key(SigningKey::new(key.private_key().clone(), key.algorithm(), backend)?);
    }
    let now_ms = input["now_ms"].as_u64().unwrap();
    let jti = s(input, "jti");
    let (header, payload) = signer.header_and_payload(now_ms, jti)?;
    let signed = signer.sign(now_ms, jti)?;
    let parts: Vec<&str> = signed.expose().split('.').collect();
    let alg = signer.signing_key().algorithm();
    let deterministic = matches!(alg.as_str(), "RS256" | "EdDSA");
    let mut out = json!({
        "alg": alg.as_str(),
        "header_json": Value::Object(header).to_string(),
        "payload_json": Value::Object(payload).to_string(),
        "signing_input": format!("{}.{}", parts[0], parts[1]),
        "public_jwk": signer.signing_key().public_jwk(None),
        "expires_at": signed.expires_at,
    });
    if deterministic {
        out["assertion"] = signed.expose().into();
    }
    Ok(out)
}

fn grant(g: &GrantPath) -> Value {
    let source = |s: &AssertionSource| match s {
        AssertionSource::File(p) => json!({ "file": p }),
        AssertionSource::Signed => json!("signed"),
        _ => json!("other"),
    };
    match g {
        GrantPath::ClientSecret => json!({ "kind": "client_secret" }),
        GrantPath::ClientAssertion(src) => json!({ "kind": "client_assertion", "source": source(src) }),
        GrantPath::JwtBearer(src) => json!({ "kind": "jwt_bearer", "source": source(src) }),
        GrantPath::TokenFile(p) => json!({ "kind": "token_file", "path": p }),
        _ => json!({ "kind": "other" }),
    }
}

fn config_case(input: &Value) -> Result<Value, Error> {
    let c = config(input)?;
    Ok(json!({
        "grant": grant(&c.grant),
        "token_endpoint_url": c.token_endpoint_url,
        "client_id": c.client_id,
        "has_client_secret": c.client_secret.is_some(),
        "scope": c.scope,
        "header_urlencode": c.header_urlencode,
        "algorithm": c.assertion.algorithm.as_str(),
        "claims": { "iss": c.assertion.iss, "sub": c.assertion.sub, "aud": c.assertion.aud },
        "exp_seconds": c.assertion.exp_seconds,
        "nbf_seconds": c.assertion.nbf_seconds,
        "jti_include": c.assertion.jti_include,
        "private_key_file": c.assertion.private_key_file,
        "template_file": c.assertion.template_file,
        "retry_backoff_ms": c.retry_backoff_ms,
        "retry_backoff_max_ms": c.retry_backoff_max_ms,
        "extensions": c.extensions,
        "warnings": c.warnings.len(),
    }))
}

fn request_json(r: &oauthbearer::TokenRequest) -> Value {
    json!({ "method": r.method, "url": r.url, "headers": r.headers, "body": r.body.expose() })
}

fn token_request(input: &Value) -> Result<Value, Error> {
    let url = s(input, "url").unwrap_or("https://idp.example/oauth2/token");
    let scope = s(input, "scope");
    let req = match s(input, "kind").unwrap() {
        "client_secret" => request::client_secret_request(
            url,
            s(input, "client_id").unwrap_or_default(),
            &Secret::new(s(input, "client_secret").unwrap_or_default()),
            scope,
            input["header_urlencode"].as_bool().unwrap_or(false),
            dialect(input),
            if s(input, "method") == Some("post") { SecretMethod::Post } else { SecretMethod::Basic },
        )?,
        "client_secret_encoded_scope" => request::client_secret_request_encoded_scope(
            url,
            s(input, "client_id").unwrap_or_default(),
            &Secret::new(s(input, "client_secret").unwrap_or_default()),
            scope,
            input["header_urlencode"].as_bool().unwrap_or(false),
        )?,
        "client_assertion" => {
            request::client_assertion_request(url, s(input, "assertion").unwrap(), s(input, "client_id"), scope)
        }
        "jwt_bearer" => request::jwt_bearer_request(url, s(input, "assertion").unwrap(), scope, dialect(input)),
        "from_config" => request::from_config(&config(input)?, s(input, "assertion"))?,
        other => panic!("unknown request kind {other}"),
    };
    Ok(request_json(&req))
}

fn token_response(input: &Value) -> Result<Value, Error> {
    let status = u16::try_from(input["status"].as_u64().unwrap()).unwrap();
    let parsed = match input.get("properties") {
        Some(_) => oauthbearer::response::parse_token_response_for(
            status,
            s(input, "content_type"),
            s(input, "body").unwrap(),
            &Config::from_properties_with(
                properties(input).iter().map(|(k, v)| (k.as_str(), v.as_str())),
                dialect(input),
                Mode::KafkaCompatible,
            )?,
        ),
        None => parse_token_response(status, s(input, "content_type"), s(input, "body").unwrap(), dialect(input)),
    };
    match parsed {
        Ok(r) => Ok(json!({
            "token": r.token.expose(),
            "token_member": r.token_member,
            "token_type": r.token_type,
            "expires_in": r.expires_in,
            "scope": r.scope,
            "refresh_token": r.refresh_token.as_ref().map(Secret::expose),
        })),
        Err(e) => Err(e),
    }
}

fn retry(input: &Value) -> Value {
    let p = &input["policy"];
    let mut policy = match s(p, "style").unwrap_or("kafka-java") {
        "librdkafka" => RetryPolicy::librdkafka(),
        _ => RetryPolicy::kafka_java(p["backoff_ms"].as_u64().unwrap_or(100), p["max_ms"].as_u64().unwrap_or(10_000))
            .unwrap(),
    };
    policy.jitter = p["jitter"].as_f64().unwrap_or(0.0);
    let start = input["start_ms"].as_u64().unwrap_or(0);
    let mut state = policy.start(start);
    let delays: Vec<Value> = input["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let failure = Failure {
                status: f["status"].as_u64().map(|v| u16::try_from(v).unwrap()),
                retry_after: s(f, "retry_after"),
            };
            state.next_delay_ms(f["at_ms"].as_u64().unwrap(), failure, f["random"].as_f64().unwrap_or(0.0)).into()
        })
        .collect();
    json!({ "delays_ms": delays })
}

fn prebuilt(input: &Value) -> Result<Value, Error> {
    let margin = u32::try_from(input["margin_seconds"].as_u64().unwrap_or(30)).unwrap();
    let checked = check_prebuilt_assertion(
        s(input, "contents").unwrap(),
        input["now_ms"].as_u64().unwrap(),
        margin,
        mode(input),
    )?;
    Ok(json!({ "expires_at": checked.expires_at, "value": checked.value.expose() }))
}

/// One lifecycle machine (the handle form every front binds) driven through `events`; one output
/// per event.
fn lifecycle(input: &Value) -> Result<Value, Error> {
    let p = &input["policy"];
    let settings = LifecycleSettings {
        fetch_timeout_ms: p["fetch_timeout_ms"].as_u64(),
        retry_backoff_ms: p["retry_backoff_ms"].as_array().map(|a| (a[0].as_u64().unwrap(), a[1].as_u64().unwrap())),
        max_abandoned: p["max_abandoned"].as_u64().map(|n| n as u32),
    };
    let client = s(p, "client").unwrap_or("kafka-java").parse().unwrap();
    let mut life = HandleLifecycle::new(LifecyclePolicy::for_client(client).with_settings(&settings)?);
    let mut out = Vec::new();
    for e in input["events"].as_array().unwrap() {
        let now = e["now_ms"].as_u64().unwrap();
        let fetch = e["fetch"].as_u64().unwrap_or(0);
        out.push(match s(e, "event").unwrap() {
            "want" => match life.want(now) {
                Decision::Serve(id) => json!({ "serve": id }),
                Decision::Fetch { fetch, serve } => json!({ "fetch": fetch, "serve": serve }),
                Decision::Wait { fetch, until_ms, wait_ms } => {
                    json!({ "wait": fetch, "until_ms": until_ms, "wait_ms": wait_ms })
                }
                Decision::Fail(HostFailure::Fetch(id)) => json!({ "fail": { "fetch": id } }),
                Decision::Fail(HostFailure::Core(e)) => json!({ "fail": { "error": e.code() } }),
            },
            "succeeded" => {
                let arrival = life.handle_succeeded(
                    fetch,
                    e["expires_at_ms"].as_u64().unwrap(),
                    e["issued_at_ms"].as_u64(),
                    now,
                    e["jitter01"].as_f64().unwrap_or(0.0),
                );
                json!({ "arrival": arrival.as_str() })
            }
            "failed" => {
                let recorded = life.handle_failed(
                    fetch,
                    e["retryable"].as_bool().unwrap(),
                    s(e, "retry_after"),
                    now,
                    e["random01"].as_f64().unwrap_or(0.0),
                );
                json!({ "recorded": recorded })
            }
            "poll" => {
                let p = life.poll(now);
                json!({ "fetch": p.fetch, "wake_at_ms": p.wake_at_ms })
            }
            other => panic!("unknown lifecycle event {other}"),
        });
    }
    Ok(json!({ "decisions": out }))
}
