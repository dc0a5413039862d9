//! Runs one vector case through the component's typed exports: `run(instance, op, input)`
//! returns the same JSON the core's runner (`core/tests/support/vectors.rs`) returns, or `None`
//! for an input the typed interface cannot express (an enum value that is not one of its cases).

use serde_json::{json, Map, Value};

use crate::exports::kafka::oauthbearer::types::{Algorithm, Dialect, Error, Mode};
use crate::exports::kafka::oauthbearer::{
    assertions, explain, issuer, keys, lifecycle, providers, token_endpoint, tokens,
};
use crate::Instance;

type Outcome = Result<Value, Error>;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap()
}

std::thread_local! {
    static LAST_SHOWN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// What the last guest error showed (its message and Debug), for the planted-secret checks; cleared.
pub fn take_last_error_shown() -> String {
    LAST_SHOWN.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

fn error(e: &Error) -> Value {
    LAST_SHOWN.with(|s| *s.borrow_mut() = format!("{} | {e:?}", e.message));
    json!({ "error": e.code })
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn key_bytes(input: &Value) -> Vec<u8> {
    match (s(input, "key_file"), s(input, "key_text")) {
        (Some(f), _) => std::fs::read(crate::repo_root().join("tests/keys").join(f)).unwrap(),
        (None, Some(t)) => t.as_bytes().to_vec(),
        _ => panic!("key_file or key_text needed"),
    }
}

fn properties(input: &Value) -> Vec<(String, String)> {
    input["properties"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect())
        .unwrap_or_default()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| a.iter().map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned())).collect())
        .unwrap_or_default()
}

fn pairs_json(p: &[(String, String)]) -> Value {
    p.iter().map(|(k, v)| json!([k, v])).collect()
}

fn dialect(input: &Value) -> Dialect {
    match s(input, "dialect") {
        Some("librdkafka") => Dialect::Librdkafka,
        _ => Dialect::KafkaJava,
    }
}

fn mode(input: &Value) -> Mode {
    match s(input, "mode") {
        Some("kafka-compatible") => Mode::KafkaCompatible,
        _ => Mode::Strict,
    }
}

fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "RS256" => Algorithm::Rs256,
        "PS256" => Algorithm::Ps256,
        "ES256" => Algorithm::Es256,
        "ES384" => Algorithm::Es384,
        "EdDSA" => Algorithm::Eddsa,
        _ => return None,
    })
}

/// The JWS name of a WIT algorithm.
pub fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::Rs256 => "RS256",
        Algorithm::Ps256 => "PS256",
        Algorithm::Es256 => "ES256",
        Algorithm::Es384 => "ES384",
        Algorithm::Eddsa => "EdDSA",
    }
}

/// Runs `op` on `input`; `None` when the input is not expressible through the WIT types.
pub fn run(i: &mut Instance, op: &str, input: &Value) -> Option<Value> {
    let result = match op {
        "parse_key" => parse_key(i, input),
        "sign_assertion" => sign_assertion(i, input),
        "config" => config(i, input),
        "token_request" => token_request(i, input),
        "token_response" => return Some(token_response(i, input)),
        "retry" => retry(i, input),
        "prebuilt_assertion" => {
            let margin = u32::try_from(input["margin_seconds"].as_u64().unwrap_or(30)).unwrap();
            let f = i.api.kafka_oauthbearer_assertions();
            f.call_check_prebuilt_assertion(
                &mut i.store,
                s(input, "contents").unwrap(),
                u(input, "now_ms"),
                margin,
                mode(input),
            )
            .unwrap()
            .map(|p| json!({ "expires_at": p.expires_at, "value": p.assertion }))
        }
        "jaas" => {
            let f = i.api.kafka_oauthbearer_config();
            f.call_parse_jaas(&mut i.store, s(input, "text").unwrap()).unwrap().map(|e| {
                let options: Map<String, Value> = e.options.into_iter().map(|(k, v)| (k, v.into())).collect();
                json!({ "login_module": e.login_module, "control_flag": e.control_flag, "options": options })
            })
        }
        "template" => {
            let f = i.api.kafka_oauthbearer_config();
            f.call_parse_template(&mut i.store, s(input, "text").unwrap(), dialect(input))
                .unwrap()
                .map(|t| json!({ "header": parse(&t.header_json), "payload": parse(&t.payload_json) }))
        }
        "google_token" => {
            let style = match s(input, "style").unwrap() {
                "google-java" => providers::GoogleTokenStyle::GoogleJava,
                "google-python" => providers::GoogleTokenStyle::GooglePython,
                "kafka-auth-handler" => providers::GoogleTokenStyle::KafkaAuthHandler,
                _ => return None,
            };
            let f = i.api.kafka_oauthbearer_providers();
            f.call_google_token(
                &mut i.store,
                s(input, "access_token").unwrap(),
                u(input, "expires_at_ms"),
                s(input, "principal").unwrap(),
                u(input, "now_ms"),
                style,
            )
            .unwrap()
            .map(|t| json!({ "token": t.token, "expires_at_ms": t.expires_at_ms, "principal": t.principal }))
        }
        "google_principal" => {
            let f = i.api.kafka_oauthbearer_providers();
            f.call_google_principal_from_credentials(&mut i.store, s(input, "credentials_json"), s(input, "override"))
                .unwrap()
                .map(|p| match p {
                    providers::GooglePrincipal::Known(p) => json!({ "principal": p }),
                    providers::GooglePrincipal::HostMustLookUp => json!({ "source": "host_must_look_up" }),
                    providers::GooglePrincipal::NotInCredentials => json!({ "source": "not_in_credentials" }),
                })
        }
        "msk_token" => msk_token(i, input)?,
        "eventhubs_scope" => {
            let f = i.api.kafka_oauthbearer_providers();
            f.call_eventhubs_scope(&mut i.store, s(input, "bootstrap_servers").unwrap(), s(input, "scope"))
                .unwrap()
                .map(|scope| json!({ "scope": scope }))
        }
        "sasl_client_first" => {
            let f = i.api.kafka_oauthbearer_sasl();
            let ext = pairs(&input["extensions"]);
            f.call_client_first_message(&mut i.store, s(input, "token").unwrap(), s(input, "authzid"), &ext)
                .unwrap()
                .map(|b| json!({ "hex": b.iter().map(|b| format!("{b:02x}")).collect::<String>(), "length": b.len() }))
        }
        "sasl_server_error" => {
            let f = i.api.kafka_oauthbearer_sasl();
            f.call_parse_server_error(&mut i.store, s(input, "text").unwrap().as_bytes()).unwrap().map(
                |e| json!({ "status": e.status, "scope": e.scope, "openid_configuration": e.openid_configuration }),
            )
        }
        "confluent_extensions" => {
            let f = i.api.kafka_oauthbearer_sasl();
            match f
                .call_confluent_extensions(
                    &mut i.store,
                    s(input, "logical_cluster").unwrap(),
                    s(input, "identity_pool_id"),
                )
                .unwrap()
            {
                Ok(ext) => Ok(json!({
                    "librdkafka": f.call_extensions_librdkafka(&mut i.store, &ext).unwrap(),
                    "jaas": f.call_extensions_jaas(&mut i.store, &ext).unwrap(),
                })),
                Err(e) => Err(e),
            }
        }
        "check_token" => check_token(i, input),
        "broker_check" => broker_check(i, input),
        "refresh" => Ok(refresh(i, input)),
        "endpoint_body" => {
            let style = match s(input, "style").unwrap() {
                "rfc6749" => token_endpoint::ResponseStyle::Rfc6749,
                "google-python" => token_endpoint::ResponseStyle::GooglePython,
                "kafka-auth-handler" => token_endpoint::ResponseStyle::KafkaAuthHandler,
                _ => return None,
            };
            let f = i.api.kafka_oauthbearer_token_endpoint();
            let body = f
                .call_token_response_body(
                    &mut i.store,
                    s(input, "token").unwrap(),
                    u(input, "expires_at_ms"),
                    u(input, "now_ms"),
                    style,
                )
                .unwrap();
            Ok(json!({ "body": body }))
        }
        "issuer" => issuer(i, input),
        "verify_client_assertion" => verify_client_assertion(i, input),
        "explain" => Ok(explain(i, input)),
        "lifecycle" => lifecycle(i, input),
        other => panic!("unknown op {other}"),
    };
    Some(result.unwrap_or_else(|e| error(&e)))
}

fn parse_key(i: &mut Instance, input: &Value) -> Outcome {
    let f = i.api.kafka_oauthbearer_keys().signing_key();
    let key = f.call_parse(&mut i.store, &key_bytes(input), s(input, "passphrase"), None).unwrap()?;
    let key_type = match f.call_key_type(&mut i.store, key).unwrap() {
        keys::KeyType::Rsa => "RSA",
        keys::KeyType::P256 => "P-256",
        keys::KeyType::P384 => "P-384",
        keys::KeyType::Ed25519 => "Ed25519",
    };
    let out = json!({
        "key_type": key_type,
        "thumbprint": f.call_thumbprint(&mut i.store, key).unwrap(),
        "public_jwk": parse(&f.call_public_jwk(&mut i.store, key).unwrap()),
        "default_algorithm": algorithm_name(f.call_default_algorithm(&mut i.store, key).unwrap()),
    });
    key.resource_drop(&mut i.store).unwrap();
    Ok(out)
}

fn sign_assertion(i: &mut Instance, input: &Value) -> Outcome {
    let f = i.api.kafka_oauthbearer_assertions().assertion_signer();
    let key = s(input, "key_file").map(|_| key_bytes(input));
    let options = assertions::AssertionOptions {
        mode: mode(input),
        typ: if s(input, "typ") == Some("client-authentication+jwt") {
            assertions::AssertionType::ClientAuthentication
        } else {
            assertions::AssertionType::Jwt
        },
        key_id: s(input, "kid").map(str::to_owned),
        certificate: s(input, "certificate_file")
            .map(|f| std::fs::read(crate::repo_root().join("tests/keys").join(f)).unwrap()),
        thumbprint_header: s(input, "thumbprint_header").map(str::to_owned),
    };
    let template = s(input, "template").map(str::as_bytes);
    let signer = f
        .call_from_properties(&mut i.store, &properties(input), dialect(input), key.as_deref(), template, &options)
        .unwrap()?;
    let now = u(input, "now_ms");
    let jti = s(input, "jti");
    let result = (|| {
        let (header, payload) = f.call_header_and_payload(&mut i.store, signer, now, jti).unwrap()?;
        let signed = f.call_sign(&mut i.store, signer, now, jti).unwrap()?;
        let alg = algorithm_name(f.call_algorithm(&mut i.store, signer).unwrap());
        let parts: Vec<&str> = signed.assertion.split('.').collect();
        Ok(json!({
            "alg": alg,
            "header_json": header,
            "payload_json": payload,
            "signing_input": format!("{}.{}", parts[0], parts[1]),
            "public_jwk": parse(&f.call_public_jwk(&mut i.store, signer).unwrap()),
            "expires_at": signed.expires_at,
            // Always returned here; the test compares it where the vector pins it and verifies
            // the signature otherwise.
            "assertion": signed.assertion,
        }))
    })();
    signer.resource_drop(&mut i.store).unwrap();
    result
}

fn config(i: &mut Instance, input: &Value) -> Outcome {
    use crate::exports::kafka::oauthbearer::config::{AssertionSource, Grant};
    let f = i.api.kafka_oauthbearer_config();
    let c = f.call_parse_config(&mut i.store, &properties(input), dialect(input), mode(input)).unwrap()?;
    let source = |s: &AssertionSource| match s {
        AssertionSource::File(p) => json!({ "file": p }),
        AssertionSource::Signed => json!("signed"),
    };
    let grant = match &c.grant {
        Grant::ClientSecret => json!({ "kind": "client_secret" }),
        Grant::ClientAssertion(s) => json!({ "kind": "client_assertion", "source": source(s) }),
        Grant::JwtBearer(s) => json!({ "kind": "jwt_bearer", "source": source(s) }),
        Grant::TokenFile(p) => json!({ "kind": "token_file", "path": p }),
    };
    let extensions: Vec<Value> = c.extensions.iter().map(|(k, v)| json!([k, v])).collect();
    Ok(json!({
        "grant": grant,
        "token_endpoint_url": c.token_endpoint_url,
        "client_id": c.client_id,
        "has_client_secret": c.has_client_secret,
        "scope": c.scope,
        "header_urlencode": c.header_urlencode,
        "algorithm": algorithm_name(c.algorithm),
        "claims": { "iss": c.claim_iss, "sub": c.claim_sub, "aud": c.claim_aud },
        "exp_seconds": c.exp_seconds,
        "nbf_seconds": c.nbf_seconds,
        "jti_include": c.jti_include,
        "private_key_file": c.private_key_file,
        "template_file": c.template_file,
        "retry_backoff_ms": c.retry_backoff_ms,
        "retry_backoff_max_ms": c.retry_backoff_max_ms,
        "extensions": extensions,
        "warnings": c.warnings.len(),
    }))
}

fn token_request(i: &mut Instance, input: &Value) -> Outcome {
    let f = i.api.kafka_oauthbearer_token_endpoint();
    let url = s(input, "url").unwrap_or("https://idp.example/oauth2/token");
    let scope = s(input, "scope");
    let id = s(input, "client_id").unwrap_or_default();
    let secret = s(input, "client_secret").unwrap_or_default();
    let urlencode = input["header_urlencode"].as_bool().unwrap_or(false);
    let st = &mut i.store;
    let req = match s(input, "kind").unwrap() {
        "client_secret" => {
            let method = if s(input, "method") == Some("post") {
                token_endpoint::SecretMethod::Post
            } else {
                token_endpoint::SecretMethod::Basic
            };
            f.call_client_secret_request(st, url, id, secret, scope, urlencode, dialect(input), method).unwrap()?
        }
        "client_secret_encoded_scope" => {
            f.call_client_secret_request_encoded_scope(st, url, id, secret, scope, urlencode).unwrap()?
        }
        "client_assertion" => f
            .call_client_assertion_request(st, url, s(input, "assertion").unwrap(), s(input, "client_id"), scope)
            .unwrap(),
        "jwt_bearer" => {
            f.call_jwt_bearer_request(st, url, s(input, "assertion").unwrap(), scope, dialect(input)).unwrap()
        }
        "from_config" => f
            .call_request_from_properties(st, &properties(input), dialect(input), mode(input), s(input, "assertion"))
            .unwrap()?,
        other => panic!("unknown request kind {other}"),
    };
    Ok(json!({ "method": req.method, "url": req.url, "headers": pairs_json(&req.headers), "body": req.body }))
}

fn token_response(i: &mut Instance, input: &Value) -> Value {
    let f = i.api.kafka_oauthbearer_token_endpoint();
    let status = u16::try_from(u(input, "status")).unwrap();
    match f
        .call_parse_token_response(
            &mut i.store,
            status,
            s(input, "content_type"),
            s(input, "body").unwrap(),
            dialect(input),
            input.get("properties").map(|_| properties(input)).as_ref(),
        )
        .unwrap()
    {
        Ok(r) => json!({
            "token": r.token,
            "token_member": r.token_member,
            "token_type": r.token_type,
            "expires_in": r.expires_in,
            "scope": r.scope,
            "refresh_token": r.refresh_token,
        }),
        Err(e) => {
            let mut out = error(&e);
            if let Some(f) = e.token_endpoint {
                out["status"] = f.status.into();
                out["error_code"] = f.error.into();
                out["error_description"] = f.error_description.into();
                out["retryable"] = f.retryable.into();
                out["kafka_message"] = f.kafka_message.into();
            }
            out
        }
    }
}

fn retry(i: &mut Instance, input: &Value) -> Outcome {
    let f = i.api.kafka_oauthbearer_token_endpoint().retry_schedule();
    let p = &input["policy"];
    let policy = match s(p, "style").unwrap_or("kafka-java") {
        "librdkafka" => token_endpoint::RetryPolicy::Librdkafka,
        _ => token_endpoint::RetryPolicy::KafkaJava((
            p["backoff_ms"].as_u64().unwrap_or(100),
            p["max_ms"].as_u64().unwrap_or(10_000),
        )),
    };
    let jitter = p["jitter"].as_f64().unwrap_or(0.0);
    let schedule = f.call_start(&mut i.store, policy, jitter, input["start_ms"].as_u64().unwrap_or(0)).unwrap()?;
    let mut delays = Vec::new();
    for failure in input["failures"].as_array().unwrap() {
        let wit_failure = token_endpoint::Failure {
            status: failure["status"].as_u64().map(|v| u16::try_from(v).unwrap()),
            retry_after: s(failure, "retry_after").map(str::to_owned),
        };
        let random = failure["random"].as_f64().unwrap_or(0.0);
        delays.push(f.call_next_delay_ms(&mut i.store, schedule, u(failure, "at_ms"), &wit_failure, random).unwrap());
    }
    schedule.resource_drop(&mut i.store).unwrap();
    Ok(json!({ "delays_ms": delays }))
}

fn msk_token(i: &mut Instance, input: &Value) -> Option<Outcome> {
    let credentials = providers::AwsCredentials {
        access_key_id: s(input, "access_key_id").unwrap().to_owned(),
        secret_access_key: s(input, "secret_access_key").unwrap().to_owned(),
        session_token: s(input, "session_token").map(str::to_owned),
        expires_at_ms: input["credentials_expire_at_ms"].as_u64(),
    };
    let order = match s(input, "order") {
        None => None,
        Some("python") => Some(providers::QueryOrder::Python),
        Some("sorted") => Some(providers::QueryOrder::Sorted),
        Some("rust") => Some(providers::QueryOrder::Rust),
        Some("java") => Some(providers::QueryOrder::Java),
        Some(_) => return None,
    };
    let user_agent = match input.get("user_agent") {
        None => providers::UserAgent::Ours,
        Some(Value::Null) => providers::UserAgent::Omitted,
        Some(ua) => providers::UserAgent::Custom(ua.as_str().unwrap().to_owned()),
    };
    let options = providers::MskOptions {
        region: s(input, "region").unwrap().to_owned(),
        domain: s(input, "domain").map(str::to_owned),
        order,
        user_agent,
        min_credential_lifetime_seconds: input["min_credential_lifetime_seconds"]
            .as_u64()
            .map(|v| u32::try_from(v).unwrap()),
    };
    let f = i.api.kafka_oauthbearer_providers();
    Some(f.call_msk_token(&mut i.store, &credentials, &options, u(input, "now_ms")).unwrap().map(|t| {
        json!({
            "token": t.token,
            "signed_url": t.signed_url,
            "expires_at_ms": t.expires_at_ms,
            "expires_seconds": t.expires_seconds,
        })
    }))
}

fn check_token(i: &mut Instance, input: &Value) -> Outcome {
    let f = i.api.kafka_oauthbearer_tokens();
    let check = tokens::TokenCheck {
        dialect: dialect(input),
        sub_claim: s(input, "sub_claim").map(str::to_owned),
        scope_claim: s(input, "scope_claim").map(str::to_owned),
        split_scope: input["split_scope"].as_bool().unwrap_or(false),
    };
    let accepted = f.call_check_access_token(&mut i.store, s(input, "token").unwrap(), &check).unwrap()?;
    if let Some(now) = input["now_ms"].as_u64() {
        let skew = input["skew_ms"].as_u64().unwrap_or(0);
        f.call_check_not_expired(&mut i.store, &accepted, now, skew).unwrap()?;
    }
    Ok(json!({
        "principal": accepted.principal,
        "scopes": accepted.scopes,
        "expires_at_ms": accepted.expires_at_ms,
        "issued_at_ms": accepted.issued_at_ms,
    }))
}

fn broker_check(i: &mut Instance, input: &Value) -> Outcome {
    let check = tokens::BrokerCheck {
        jwks_json: s(input, "jwks").unwrap().to_owned(),
        expected_audience: input["audience"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        expected_issuer: s(input, "issuer").map(str::to_owned),
        clock_skew_seconds: input["clock_skew_seconds"].as_u64(),
    };
    let f = i.api.kafka_oauthbearer_tokens();
    let accepted =
        f.call_check_as_broker(&mut i.store, s(input, "token").unwrap(), &check, u(input, "now_ms")).unwrap()?;
    Ok(json!({ "principal": accepted.principal, "expires_at_ms": accepted.expires_at_ms }))
}

fn refresh(i: &mut Instance, input: &Value) -> Value {
    let f = i.api.kafka_oauthbearer_tokens();
    let (now, exp) = (u(input, "now_ms"), u(input, "expires_at_ms"));
    let d = if s(input, "client") == Some("librdkafka") {
        f.call_refresh_at_librdkafka(&mut i.store, now, exp).unwrap()
    } else {
        let c = &input["config"];
        let defaults = f.call_default_refresh_config(&mut i.store).unwrap();
        let config = tokens::RefreshConfig {
            window_factor: c["window_factor"].as_f64().unwrap_or(defaults.window_factor),
            window_jitter: c["window_jitter"].as_f64().unwrap_or(defaults.window_jitter),
            min_period_seconds: c["min_period_seconds"].as_u64().unwrap_or(defaults.min_period_seconds),
            buffer_seconds: c["buffer_seconds"].as_u64().unwrap_or(defaults.buffer_seconds),
        };
        let jitter = input["jitter01"].as_f64().unwrap_or(0.0);
        f.call_refresh_at_java(&mut i.store, now, exp, input["issued_at_ms"].as_u64(), config, jitter).unwrap()
    };
    json!({ "at_ms": d.at_ms, "expired": d.expired })
}

fn issuer(i: &mut Instance, input: &Value) -> Outcome {
    let alg = algorithm(s(input, "alg").unwrap_or("ES256")).expect("a JWS algorithm name");
    let keys = i.api.kafka_oauthbearer_keys().signing_key();
    let key = keys.call_parse(&mut i.store, &key_bytes(input), s(input, "passphrase"), Some(alg)).unwrap()?;
    let f = i.api.kafka_oauthbearer_issuer().local_issuer();
    let issuer = f.call_constructor(&mut i.store, s(input, "issuer").unwrap(), key).unwrap();
    let claims = issuer::AccessTokenClaims {
        subject: s(input, "subject").unwrap().to_owned(),
        audience: s(input, "audience").map(str::to_owned),
        scope: s(input, "scope").map(str::to_owned),
        lifetime_seconds: u32::try_from(u(input, "lifetime_seconds")).unwrap(),
    };
    let result = (|| {
        let issued =
            f.call_sign_access_token(&mut i.store, issuer, &claims, u(input, "now_ms"), s(input, "jti")).unwrap()?;
        let parts: Vec<&str> = issued.token.split('.').collect();
        Ok(json!({
            "jwks": parse(&f.call_jwks(&mut i.store, issuer).unwrap()),
            "discovery": parse(&f.call_discovery(&mut i.store, issuer).unwrap()),
            "signing_input": format!("{}.{}", parts[0], parts[1]),
            "expires_at_ms": issued.expires_at_ms,
            "token": issued.token,
        }))
    })();
    issuer.resource_drop(&mut i.store).unwrap();
    key.resource_drop(&mut i.store).unwrap();
    result
}

fn verify_client_assertion(i: &mut Instance, input: &Value) -> Outcome {
    let clients: Vec<issuer::RegisteredClient> = input["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| issuer::RegisteredClient {
            client_id: c["client_id"].as_str().unwrap().to_owned(),
            secret: c["secret"].as_str().map(str::to_owned),
            jwks: c["jwks"].as_array().map_or_else(Vec::new, |keys| keys.iter().map(Value::to_string).collect()),
        })
        .collect();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().map(|j| j.as_str().unwrap().to_owned()).collect()).unwrap_or_default()
    };
    let policy = issuer::AssertionPolicy {
        audiences: strings(&input["audiences"]),
        max_lifetime_seconds: input["max_lifetime_seconds"].as_u64().unwrap_or(3600),
        clock_skew_seconds: input["clock_skew_seconds"].as_u64().unwrap_or(30),
        require_jti: input["require_jti"].as_bool().unwrap_or(false),
    };
    let f = i.api.kafka_oauthbearer_issuer();
    let seen = strings(&input["seen_jtis"]);
    let body = s(input, "body").unwrap();
    let client = f
        .call_authenticate_client(
            &mut i.store,
            body,
            s(input, "authorization"),
            &clients,
            &policy,
            u(input, "now_ms"),
            &seen,
        )
        .unwrap()?;
    Ok(json!({ "client_id": client.client_id }))
}

fn explain(i: &mut Instance, input: &Value) -> Value {
    let c = &input["context"];
    let small = |v: &Value| u32::try_from(v.as_u64().unwrap()).unwrap();
    let context = explain::ExplainContext {
        kafka_version: c["kafka_version"].as_array().map(|v| (small(&v[0]), small(&v[1]))),
        java_version: c["java_version"].as_u64().map(|_| small(&c["java_version"])),
        private_key: c["private_key"].as_str().map(|k| k.as_bytes().to_vec()),
        token: c["token"].as_str().map(str::to_owned),
        idp_max_assertion_lifetime_seconds: c["idp_max_assertion_lifetime_seconds"]
            .as_u64()
            .map(|_| small(&c["idp_max_assertion_lifetime_seconds"])),
        client: c["client"].as_str().map(str::to_owned),
        client_version: c["client_version"].as_str().map(str::to_owned),
        broker_reauth_ms: c["broker_reauth_ms"].as_u64(),
        assertion_template: c["assertion_template"].as_str().map(|t| t.as_bytes().to_vec()),
    };
    let f = i.api.kafka_oauthbearer_explain();
    let findings = f.call_explain(&mut i.store, &properties(input), dialect(input), &context).unwrap();
    let findings: Vec<Value> = findings
        .iter()
        .map(|f| {
            let severity = match f.severity {
                explain::Severity::Error => "error",
                explain::Severity::Warning => "warning",
                explain::Severity::Info => "info",
            };
            json!({ "severity": severity, "code": f.code })
        })
        .collect();
    json!({ "findings": findings })
}

fn lifecycle(i: &mut Instance, input: &Value) -> Outcome {
    let f = i.api.kafka_oauthbearer_lifecycle().token_lifecycle();
    let p = &input["policy"];
    let settings = lifecycle::LifecycleSettings {
        fetch_timeout_ms: p["fetch_timeout_ms"].as_u64(),
        retry_backoff_ms: p["retry_backoff_ms"].as_array().map(|a| (a[0].as_u64().unwrap(), a[1].as_u64().unwrap())),
        max_abandoned: p["max_abandoned"].as_u64().map(|n| u32::try_from(n).unwrap()),
    };
    let client = if s(p, "client") == Some("librdkafka") { Dialect::Librdkafka } else { Dialect::KafkaJava };
    let life = f.call_create(&mut i.store, client, settings).unwrap()?;
    let mut out = Vec::new();
    for e in input["events"].as_array().unwrap() {
        let now = u(e, "now_ms");
        let fetch = e["fetch"].as_u64().unwrap_or(0);
        out.push(match s(e, "event").unwrap() {
            "want" => match f.call_want(&mut i.store, life, now).unwrap() {
                lifecycle::Decision::Serve(id) => json!({ "serve": id }),
                lifecycle::Decision::Fetch(start) => json!({ "fetch": start.fetch, "serve": start.serve }),
                lifecycle::Decision::Wait(w) => {
                    json!({ "wait": w.fetch, "until_ms": w.until_ms, "wait_ms": w.wait_ms })
                }
                lifecycle::Decision::Fail(lifecycle::Failure::Fetch(id)) => json!({ "fail": { "fetch": id } }),
                lifecycle::Decision::Fail(lifecycle::Failure::Error(e)) => json!({ "fail": { "error": e.code } }),
            },
            "succeeded" => {
                let arrival = f
                    .call_fetch_succeeded(
                        &mut i.store,
                        life,
                        fetch,
                        u(e, "expires_at_ms"),
                        e["issued_at_ms"].as_u64(),
                        now,
                        e["jitter01"].as_f64().unwrap_or(0.0),
                    )
                    .unwrap();
                let name = match arrival {
                    lifecycle::Arrival::Cached => "cached",
                    lifecycle::Arrival::Ignored => "ignored",
                    lifecycle::Arrival::Expired => "expired",
                };
                json!({ "arrival": name })
            }
            "failed" => {
                let recorded = f
                    .call_fetch_failed(
                        &mut i.store,
                        life,
                        fetch,
                        e["retryable"].as_bool().unwrap(),
                        s(e, "retry_after"),
                        now,
                        e["random01"].as_f64().unwrap_or(0.0),
                    )
                    .unwrap();
                json!({ "recorded": recorded })
            }
            _ => {
                let p = f.call_poll(&mut i.store, life, now).unwrap();
                json!({ "fetch": p.fetch, "wake_at_ms": p.wake_at_ms })
            }
        });
    }
    life.resource_drop(&mut i.store).unwrap();
    Ok(json!({ "decisions": out }))
}
