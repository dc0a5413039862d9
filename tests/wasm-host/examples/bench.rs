//! The component's speed under wasmtime: compile and instantiate time, a whole ES256/RS256 client
//! assertion and an MSK IAM token per call. Prints JSON (median ns) for `bench/report.py`.
//! Usage: `cargo run --release -p oauthbearer-wasm-host --example bench -- [seconds-per-op]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_possible_truncation, missing_docs)]

use std::time::{Duration, Instant};

use oauthbearer_wasm_host::exports::kafka::oauthbearer::assertions::{AssertionOptions, AssertionType};
use oauthbearer_wasm_host::exports::kafka::oauthbearer::providers::{AwsCredentials, MskOptions, UserAgent};
use oauthbearer_wasm_host::exports::kafka::oauthbearer::types::{Dialect, Mode};
use oauthbearer_wasm_host::{component_path, repo_root, Loaded};

/// Median of per-batch means (ns per call), batches of `batch` calls for about `seconds`.
fn median_ns(seconds: f64, batch: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..batch {
        f(); // warm-up
    }
    let mut samples = Vec::new();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < deadline || samples.len() < 5 {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        samples.push(start.elapsed().as_nanos() as f64 / f64::from(batch));
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).map_or(3.0, |s| s.parse().unwrap());
    let path = component_path();
    let compile = median_ns(seconds.min(5.0), 1, || drop(Loaded::from_file(&path).unwrap()));
    let loaded = Loaded::from_file(&path).unwrap();
    let instantiate = median_ns(seconds, 10, || drop(loaded.instantiate().unwrap()));
    let mut i = loaded.instantiate().unwrap();
    let mut out = serde_json::Map::new();
    for (alg, file) in [("ES256", "ec-p256.pkcs8.pem"), ("RS256", "rsa2048.pkcs8.pem")] {
        let properties: Vec<(String, String)> = [
            ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
            ("sasl.oauthbearer.assertion.algorithm", alg),
            ("sasl.oauthbearer.assertion.private.key.file", "key.pem"),
            ("sasl.oauthbearer.assertion.claim.iss", "my-client"),
            ("sasl.oauthbearer.assertion.claim.sub", "my-client"),
            ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example/token"),
            ("sasl.oauthbearer.assertion.claim.jti.include", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
        let key = std::fs::read(repo_root().join("tests/keys").join(file)).unwrap();
        let options = AssertionOptions {
            mode: Mode::Strict,
            typ: AssertionType::Jwt,
            key_id: None,
            certificate: None,
            thumbprint_header: None,
        };
        let signers = i.api.kafka_oauthbearer_assertions().assertion_signer();
        let signer = signers
            .call_from_properties(&mut i.store, &properties, Dialect::KafkaJava, Some(&key), None, &options)
            .unwrap()
            .unwrap();
        let batch = if alg == "ES256" { 50 } else { 5 };
        let ns = median_ns(seconds, batch, || {
            signers.call_sign(&mut i.store, signer, 1_767_225_600_000, None).unwrap().unwrap();
        });
        out.insert(format!("assertion/{alg}"), ns.into());
    }
    let credentials = AwsCredentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
        expires_at_ms: None,
    };
    let options = MskOptions {
        region: "us-east-1".into(),
        domain: None,
        order: None,
        user_agent: UserAgent::Ours,
        min_credential_lifetime_seconds: None,
    };
    let providers = i.api.kafka_oauthbearer_providers();
    let msk = median_ns(seconds, 200, || {
        providers.call_msk_token(&mut i.store, &credentials, &options, 1_767_225_600_000).unwrap().unwrap();
    });
    out.insert("msk_token".into(), msk.into());
    out.insert("compile".into(), compile.into());
    out.insert("instantiate".into(), instantiate.into());
    out.insert("size_bytes".into(), std::fs::metadata(&path).unwrap().len().into());
    println!("{}", serde_json::Value::Object(out));
}
