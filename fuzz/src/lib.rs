//! The fuzz targets of the oauthbearer core, as plain functions: `cargo fuzz` runs each through
//! libFuzzer (`fuzz_targets/`, nightly), and `cargo test` on stable replays every committed corpus
//! file and crash reproducer through the same function (`corpus/<target>/`, `regressions/<target>/`).
//!
//! A target may get any bytes. It must return normally — no panic, no hang, no unbounded memory —
//! and check what must hold whatever the input: every error has a stable code and its message holds
//! no secret of the input; round trips give back what went in.

// A target reports a broken invariant by panicking: that is how libFuzzer records a crash.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use oauthbearer::config::{jaas, properties, Mode};
use oauthbearer::lifecycle::{Decision, FetchFailure, LifecyclePolicy, TokenLifecycle};
use oauthbearer::{Dialect, Error, ErrorKind};

/// A fuzz target: any bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by name (the name of its `fuzz_targets/` binary and corpus folder).
pub const TARGETS: &[(&str, Target)] = &[
    ("private_key", private_key),
    ("properties", properties_text),
    ("jaas", jaas_text),
    ("template", template),
    ("prebuilt_assertion", prebuilt_assertion),
    ("token_response", token_response),
    ("access_token", access_token),
    ("broker_check", broker_check),
    ("sasl", sasl),
    ("client_auth", client_auth),
    ("explain", explain),
    ("lifecycle", lifecycle),
    ("http_request", http_request),
    ("sidecar", sidecar),
    ("sign_verify", sign_verify),
    ("request_roundtrip", request_roundtrip),
];

/// A secret every target plants where it can; no error message may hold it.
pub const PLANTED: &str = "PLANTED-SECRET-7f3a";

std::thread_local! {
    /// Whether the current input holds the marker itself (the fuzzer learns constants from
    /// comparisons): then messages that echo input text (a response body, a property name) may
    /// show it, and only the secrets a target planted by itself are checked.
    static INPUT_HAS_MARKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn begin(data: &[u8]) {
    let has = data.windows(PLANTED.len()).any(|w| w == PLANTED.as_bytes());
    INPUT_HAS_MARKER.with(|c| c.set(has));
}

fn check_error(error: &Error) {
    assert!(ErrorKind::from_code(error.code()).is_some(), "unstable code {}", error.code());
    if !INPUT_HAS_MARKER.with(std::cell::Cell::get) {
        assert!(!error.message().contains(PLANTED), "a message holds the planted secret: {}", error.code());
        assert!(!format!("{error:?}").contains(PLANTED), "Debug holds the planted secret");
    }
}

fn checked<T>(result: oauthbearer::Result<T>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            check_error(&e);
            None
        }
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Private keys in every form the core reads, with and without a (planted) passphrase.
pub fn private_key(data: &[u8]) {
    begin(data);
    let Some((&first, rest)) = data.split_first() else { return };
    let passphrase = (first & 1 == 1).then(|| oauthbearer::Secret::new(PLANTED));
    if let Some(key) = checked(oauthbearer::PrivateKey::from_bytes(rest, passphrase.as_ref())) {
        assert!(!format!("{key:?}").contains(PLANTED));
        let _ = key.thumbprint();
        let _ = key.public_jwk();
    }
}

/// `.properties` text, then both dialects' configuration readers and both modes.
pub fn properties_text(data: &[u8]) {
    begin(data);
    let Some(pairs) = checked(properties::parse(&text(data))) else { return };
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
        for mode in [Mode::Strict, Mode::KafkaCompatible] {
            let _ = checked(oauthbearer::Config::from_properties_with(pairs.iter().copied(), dialect, mode));
        }
    }
}

/// `sasl.jaas.config` values.
pub fn jaas_text(data: &[u8]) {
    begin(data);
    let _ = checked(jaas::parse(&text(data)));
}

/// Assertion template files, both dialects.
pub fn template(data: &[u8]) {
    begin(data);
    for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
        let _ = checked(oauthbearer::template::AssertionTemplate::parse(data, dialect));
    }
}

/// Pre-built assertion files.
pub fn prebuilt_assertion(data: &[u8]) {
    begin(data);
    for mode in [Mode::Strict, Mode::KafkaCompatible] {
        let _ = checked(oauthbearer::assertion::check_prebuilt_assertion(&text(data), 1_767_225_600_000, 30, mode));
    }
}

/// Token endpoint answers: the first two bytes pick the status, a flag the content type.
pub fn token_response(data: &[u8]) {
    begin(data);
    let [a, b, flags, body @ ..] = data else { return };
    let status = u16::from_be_bytes([*a, *b]) % 600;
    let content_type = match flags % 3 {
        0 => None,
        1 => Some("application/json"),
        _ => Some("text/html; charset=utf-8"),
    };
    for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
        if let Some(response) =
            checked(oauthbearer::response::parse_token_response(status, content_type, &text(body), dialect))
        {
            let token = response.token.expose();
            // A token long enough not to occur in the field names by chance never shows in Debug,
            // unless the input itself repeats it in a field that is not secret (token_type, scope).
            let echoed = [&response.token_type, &response.scope].into_iter().flatten().any(|f| f.contains(token));
            assert!(token.len() < 24 || echoed || !format!("{response:?}").contains(token), "Debug shows the token");
        }
    }
}

/// Access tokens as Kafka Java and librdkafka check them.
pub fn access_token(data: &[u8]) {
    begin(data);
    let token = text(data);
    for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
        let mut check = oauthbearer::token::TokenCheck::new(dialect);
        check.split_scope = data.first().is_some_and(|b| b & 1 == 1);
        if let Some(accepted) = checked(oauthbearer::token::check_access_token(&token, &check)) {
            let _ = checked(oauthbearer::token::check_not_expired(&accepted, 1_767_225_600_000, 30_000));
        }
    }
}

/// The broker's check: a JWKS and a token, split at the first NUL.
pub fn broker_check(data: &[u8]) {
    begin(data);
    let (jwks, token) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    if let Some(check) = checked(oauthbearer::broker::BrokerCheck::from_jwks(&text(jwks))) {
        let _ = checked(oauthbearer::broker::check_as_broker(&text(token), &check, 1_767_225_600_000));
    }
}

/// SASL/OAUTHBEARER messages: the client's first message (and its rebuild) and the server's error.
pub fn sasl(data: &[u8]) {
    begin(data);
    if let Some(message) = checked(oauthbearer::sasl::parse_client_first_message(data)) {
        let extensions: Vec<(&str, &str)> = message.extensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Some(rebuilt) =
            checked(oauthbearer::sasl::client_first_message(&message.token, message.authzid.as_deref(), &extensions))
        {
            let again = oauthbearer::sasl::parse_client_first_message(&rebuilt).expect("our own message parses");
            assert_eq!(
                (again.token, again.authzid, again.extensions),
                (message.token, message.authzid, message.extensions),
                "a parsed client-first message survives a rebuild"
            );
        }
    }
    let _ = checked(oauthbearer::sasl::parse_server_error(data));
}

/// The issuer's client authentication: a form body and an Authorization header (split at the
/// first NUL), against a secret client and an open issuer.
pub fn client_auth(data: &[u8]) {
    begin(data);
    use oauthbearer::issuer::{
        authenticate_client, parse_client_credentials_request, AssertionPolicy, RegisteredClient,
    };
    let (body, authorization) = match data.iter().position(|b| *b == 0) {
        Some(i) => (text(&data[..i]), Some(text(&data[i + 1..]))),
        None => (text(data), None),
    };
    let Some(request) = checked(parse_client_credentials_request(&body, authorization.as_deref())) else { return };
    let clients = [RegisteredClient { client_id: "svc".into(), secret: Some(PLANTED.into()), keys: Vec::new() }];
    let policy = AssertionPolicy {
        audiences: vec!["https://idp.test/token".into()],
        max_lifetime_seconds: 3600,
        clock_skew_seconds: 30,
        require_jti: false,
    };
    let _ = checked(authenticate_client(&request, &clients, &policy, 1_767_225_600_000, &mut |_, _| true));
    let _ = checked(oauthbearer::issuer::accept_any_client(&request, "anyone"));
}

/// `explain` over arbitrary property maps (the `.properties` reader makes the map).
///
/// Bytes after the first NUL are the files' contents the host hands over (key and template) and
/// the token; without a NUL there are none.
pub fn explain(data: &[u8]) {
    begin(data);
    let (props, files) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Ok(pairs) = properties::parse(&text(props)) else { return };
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let token = files.map(text);
    let context = oauthbearer::explain::ExplainContext {
        private_key: files,
        assertion_template: files,
        token: token.as_deref(),
        ..Default::default()
    };
    for dialect in [Dialect::KafkaJava, Dialect::Librdkafka] {
        for finding in oauthbearer::explain::explain(pairs.iter().copied(), dialect, &context) {
            assert!(!finding.code.is_empty());
        }
    }
    // The client-dependent rules: Spark's options at an old connector's kafka-clients (the class
    // table), and Databricks' shaded client.
    for (client, client_version, kafka_version) in [("spark", Some("3.4.1"), None), ("databricks", None, Some((3, 3)))]
    {
        let context = oauthbearer::explain::ExplainContext {
            client: Some(client),
            client_version,
            kafka_version,
            ..context.clone()
        };
        for finding in oauthbearer::explain::explain(pairs.iter().copied(), Dialect::KafkaJava, &context) {
            assert!(!finding.code.is_empty());
        }
    }
}

/// The lifecycle machine over arbitrary event sequences: 4 bytes an event. It never serves a token
/// at or past its expiry and never asks to wait until a time already past.
pub fn lifecycle(data: &[u8]) {
    begin(data);
    let policy = if data.first().is_some_and(|b| b & 1 == 1) {
        LifecyclePolicy::for_client(Dialect::Librdkafka)
    } else {
        LifecyclePolicy::for_client(Dialect::KafkaJava)
    };
    let mut life: TokenLifecycle<u64, Error> = TokenLifecycle::new(policy);
    let mut now: u64 = 1_000_000;
    let mut started: Vec<u64> = Vec::new();
    for event in data.chunks_exact(4) {
        now += u64::from(u16::from_le_bytes([event[1], event[2]])) * 7;
        let pick = |n: usize| started.get(usize::from(event[3]) % n.max(1)).copied();
        match event[0] % 4 {
            0 => match life.want(now) {
                Decision::Serve(exp) => assert!(*exp > now, "served an expired token"),
                Decision::Fetch { fetch, serve } => {
                    assert!(serve.is_none_or(|exp| *exp > now));
                    started.push(fetch);
                }
                Decision::Wait { until_ms, .. } => assert!(until_ms > now),
                Decision::Fail(e) => check_error(e),
            },
            1 => {
                if let Some(id) = pick(started.len()) {
                    let exp = now + u64::from(event[3]) * 1_000;
                    life.fetch_succeeded(id, exp, exp, Some(now), now, f64::from(event[2]) / 256.0);
                }
            }
            2 => {
                if let Some(id) = pick(started.len()) {
                    let error = Error::new(ErrorKind::TokenEndpointUnreachable, "down");
                    let retry_after = (event[3] & 1 == 1).then_some("2");
                    let failure = FetchFailure { error, retryable: event[3] & 2 == 2, retry_after };
                    life.fetch_failed(id, failure, now, f64::from(event[2]) / 256.0);
                }
            }
            _ => {
                let poll = life.poll(now);
                if let Some(id) = poll.fetch {
                    started.push(id);
                }
            }
        }
        if let Some(exp) = life.cached(now) {
            assert!(*exp > now);
        }
    }
}

/// HTTP/1.1 request heads and chunked bodies as the endpoint reads them.
pub fn http_request(data: &[u8]) {
    begin(data);
    use oauthbearer::http::{parse_head, BodyFraming, Chunked, ChunkedDecoder, Head, Limits};
    let limits = Limits::default();
    let Head::Complete { head, len } = parse_head(data, &limits) else { return };
    assert!(len <= data.len());
    assert!(!format!("{head:?}").contains(PLANTED));
    if let BodyFraming::Chunked = head.body {
        let mut decoder = ChunkedDecoder::new(&limits);
        for piece in data[len..].chunks(7) {
            match decoder.feed(piece) {
                Chunked::More => continue,
                _ => break,
            }
        }
        assert!(decoder.body().len() <= limits.body_bytes);
    }
}

/// The Envoy plugin's configuration, then answers to its first call.
pub fn sidecar(data: &[u8]) {
    begin(data);
    use oauthbearer::sidecar::{Answer, Sidecar, SidecarConfig};
    let (config, answer) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Some(config) = checked(SidecarConfig::from_json(config)) else { return };
    let env = |_: &str| Some(PLANTED.to_owned());
    let Some(sidecar) = checked(Sidecar::new(config, &env)) else { return };
    let Ok((exchange, _call)) = sidecar.begin(1_767_225_600_000) else { return };
    let status = answer.first().map_or(200, |b| u16::from(*b) + 100);
    let answer = Answer { status, content_type: Some("application/json"), retry_after: None, body: answer };
    match sidecar.answer(exchange, Some(answer), 1_767_225_600_000) {
        oauthbearer::sidecar::Outcome::Failed(f) => check_error(&f.error),
        other => assert!(!format!("{other:?}").contains(PLANTED)),
    }
}

/// Round trip: an assertion signed with claims from the input verifies with the public key, and
/// its payload holds the claims given.
pub fn sign_verify(data: &[u8]) {
    begin(data);
    use oauthbearer::assertion::{AssertionOptions, Claims};
    use oauthbearer::{Algorithm, AssertionSigner, PrivateKey};
    let Some((&pick, rest)) = data.split_first() else { return };
    // The claims, JSON and base64url are what is fuzzed here, not the curves (the vectors and the
    // peers' verifiers cover every algorithm): instrumented P-256 and P-384 arithmetic is two orders
    // of magnitude slower than Ed25519, so only a first byte of 0 signs ES256 and the rest Ed25519,
    // and ten million executions fit in a session.
    let (pem, alg) = match pick {
        0 => (include_str!("../../tests/keys/ec-p256.pkcs8.pem"), Algorithm::ES256),
        _ => (include_str!("../../tests/keys/ed25519.pkcs8.pem"), Algorithm::EdDSA),
    };
    let claim = text(rest);
    // Parsed once per thread, as a front keeps its signer: key parsing has its own target.
    std::thread_local! {
        static KEYS: std::cell::RefCell<Vec<(Algorithm, oauthbearer::key::SigningKey, oauthbearer::key::VerifyingKey)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let (key, public) = KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some((_, key, public)) = keys.iter().find(|(a, _, _)| *a == alg) {
            return (key.clone(), public.clone());
        }
        let key = PrivateKey::from_bytes(pem.as_bytes(), None).and_then(|k| k.signing_key(alg)).expect("test key");
        let public = oauthbearer::key::VerifyingKey::from_jwk(&key.private_key().public_jwk())
            .expect("our own public JWK parses");
        keys.push((alg, key.clone(), public.clone()));
        (key, public)
    });
    let claims = Claims {
        iss: Some(claim.clone()),
        sub: Some(claim.clone()),
        aud: Some(claim.clone()),
        ..Claims::kafka_defaults()
    };
    let Some(signer) = checked(AssertionSigner::new(key, claims, None, AssertionOptions::default())) else {
        return;
    };
    let Some(signed) = checked(signer.sign(1_767_225_600_000, Some("jti-1"))) else { return };
    let parts: Vec<&str> = signed.expose().split('.').collect();
    assert_eq!(parts.len(), 3);
    let signature = oauthbearer::encoding::b64url_decode(parts[2]).expect("our signature is base64url");
    let message = format!("{}.{}", parts[0], parts[1]);
    assert!(public.verify(alg, message.as_bytes(), &signature), "our signature verifies");
    let payload: serde_json::Value =
        serde_json::from_slice(&oauthbearer::encoding::b64url_decode(parts[1]).expect("base64url")).expect("JSON");
    assert_eq!(payload["iss"].as_str(), Some(claim.as_str()));
}

/// Round trip: a client-secret token request built as Kafka builds it (with KIP-1025's
/// `header.urlencode`, or `client_secret_post`) and parsed by the issuer gives back the client id,
/// the secret and the scope (the input, split at NULs, trimmed as Kafka trims them).
pub fn request_roundtrip(data: &[u8]) {
    begin(data);
    use oauthbearer::request::{client_secret_request, SecretMethod};
    let parts: Vec<String> = text(data).split('\0').map(str::to_owned).collect();
    let [id, secret, scope, ..] = parts.as_slice() else { return };
    let method = if data.first().is_some_and(|b| b & 1 == 1) { SecretMethod::Post } else { SecretMethod::Basic };
    let scope = Some(scope.as_str()).filter(|s| !s.trim().is_empty());
    let secret = oauthbearer::Secret::new(secret.clone());
    let Some(request) =
        checked(client_secret_request("https://idp.test/token", id, &secret, scope, true, Dialect::KafkaJava, method))
    else {
        return;
    };
    let authorization = request.headers.iter().find(|(k, _)| k == "Authorization").map(|(_, v)| v.as_str());
    let parsed = oauthbearer::issuer::parse_client_credentials_request(request.body.expose(), authorization)
        .expect("the issuer parses what the client sends");
    assert_eq!(parsed.client_id.as_deref(), Some(id.trim()));
    assert_eq!(parsed.client_secret.as_ref().map(oauthbearer::Secret::expose), Some(secret.expose().trim()));
    assert_eq!(parsed.scope.as_deref().map(str::trim), scope.map(str::trim));
    assert_eq!(parsed.grant_type.as_deref(), Some("client_credentials"));
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::TARGETS;

    /// Every committed corpus file and crash reproducer of one target; how many.
    fn replay(root: &Path, name: &str, target: super::Target) -> usize {
        let mut replayed = 0;
        for folder in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(folder).join(name)) else { continue };
            for entry in entries.flatten() {
                let data = match std::fs::read(entry.path()) {
                    Ok(data) => data,
                    // A running fuzzer replaced it (make fuzz next to cargo test).
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => panic!("{}: {e}", entry.path().display()),
                };
                target(&data);
                replayed += 1;
            }
        }
        replayed
    }

    /// Every committed corpus file and crash reproducer, through its target, on stable: natively a
    /// thread per target (the corpora are thousands of inputs, and the machine has more than one
    /// core); built for wasm32-wasip1 (`make wasm-test`: the core as the component, the Envoy plugin
    /// and the npm fallback compile it), one after the other, as that target has no threads.
    #[test]
    fn corpus_and_regressions_replay() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        #[cfg(not(target_family = "wasm"))]
        let replayed: usize = std::thread::scope(|scope| {
            let runs: Vec<_> =
                TARGETS.iter().map(|(name, target)| scope.spawn(move || replay(root, name, *target))).collect();
            runs.into_iter().map(|run| run.join().expect("a target panicked on a committed input")).sum()
        });
        #[cfg(target_family = "wasm")]
        let replayed: usize = TARGETS.iter().map(|(name, target)| replay(root, name, *target)).sum();
        assert!(replayed >= TARGETS.len(), "the corpus is committed ({replayed} files replayed)");
    }
}
