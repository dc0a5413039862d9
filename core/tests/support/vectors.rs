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
use oauthbearer::request::{self, SecretMethod};
use oauthbearer::response::parse_token_response;
use oauthbearer::retry::{Failure, RetryPolicy};
use oauthbearer::template::AssertionTemplate;
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

fn error(e: &Error) -> Value {
    json!({ "error": e.code() })
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
    let result = match op {
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
        other => panic!("unknown op {other}"),
    };
    result.unwrap_or_else(|e| error(&e))
}

fn parse_key(input: &Value) -> Result<Value, Error> {
    let key = read_key(input)?;
    Ok(json!({
        "key_type": key_type(key.key_type()),
        "thumbprint": key.thumbprint(),
        "public_jwk": key.public_jwk(),
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
        "public_jwk": signer.signing_key().private_key().public_jwk(),
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
    match parse_token_response(status, s(input, "content_type"), s(input, "body").unwrap(), dialect(input)) {
        Ok(r) => Ok(json!({
            "token": r.token.expose(),
            "token_member": r.token_member,
            "token_type": r.token_type,
            "expires_in": r.expires_in,
            "scope": r.scope,
            "refresh_token": r.refresh_token.as_ref().map(Secret::expose),
        })),
        Err(e) => {
            let mut out = error(&e);
            if let Some(f) = e.token_endpoint_failure() {
                out["status"] = f.status.into();
                out["error_code"] = f.error.clone().into();
                out["error_description"] = f.error_description.clone().into();
                out["retryable"] = f.retryable.into();
                out["kafka_message"] = f.kafka_message.clone().into();
            }
            Ok(out)
        }
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
