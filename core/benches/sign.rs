//! Signing speed with the cached signer, per algorithm and backend, plus a whole client
//! assertion (claims, JSON, base64url, signature) on each backend, and an AWS MSK IAM token. `make bench` runs this next to `openssl speed`
//! and PyJWT and writes the medians into BENCHMARKS.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use oauthbearer::assertion::{AssertionOptions, Claims};
use oauthbearer::{msk, Algorithm, AssertionSigner, Backend, PrivateKey, Secret, SigningKey};

fn key(name: &str) -> PrivateKey {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys").join(name);
    PrivateKey::from_bytes(&std::fs::read(path).unwrap(), None).unwrap()
}

fn bench(c: &mut Criterion) {
    let message = b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1jbGllbnQiLCJzdWIiOiJteS1jbGllbnQiLCJhdWQiOiJodHRwczovL2lkcC5leGFtcGxlL3Rva2VuIiwiaWF0IjoxNzY3MjI1NjAwLCJuYmYiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyNTkwMH0";
    for (alg, file) in [
        (Algorithm::ES256, "ec-p256.pkcs8.pem"),
        (Algorithm::RS256, "rsa2048.pkcs8.pem"),
        (Algorithm::PS256, "rsa2048.pkcs8.pem"),
    ] {
        let private = key(file);
        for backend in Backend::available() {
            let signer = SigningKey::new(private.clone(), alg, backend).unwrap();
            c.bench_function(&format!("sign/{alg}/{}", backend.name()), |b| {
                b.iter(|| signer.sign(black_box(message)).unwrap())
            });
        }
        let claims = Claims {
            iss: Some("my-client".into()),
            sub: Some("my-client".into()),
            aud: Some("https://idp.example/token".into()),
            jti_include: true,
            ..Claims::kafka_defaults()
        };
        let assertion =
            AssertionSigner::new(private.signing_key(alg).unwrap(), claims, None, AssertionOptions::default()).unwrap();
        c.bench_function(&format!("assertion/{alg}/default"), |b| {
            b.iter(|| assertion.sign(black_box(1_767_225_600_000), None).unwrap())
        });
        // The WASI component's backend, natively: the baseline for the component's figures.
        if let Some(rust_crypto) = Backend::available().into_iter().find(|b| b.name() == "rust_crypto") {
            let native = assertion.with_key(SigningKey::new(private.clone(), alg, rust_crypto).unwrap());
            c.bench_function(&format!("assertion/{alg}/rust_crypto"), |b| {
                b.iter(|| native.sign(black_box(1_767_225_600_000), None).unwrap())
            });
        }
    }
    let credentials = msk::AwsCredentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        session_token: None,
        expires_at_ms: None,
    };
    let options = msk::MskTokenOptions::new("us-east-1");
    c.bench_function("msk_token", |b| {
        b.iter(|| msk::msk_token(&credentials, &options, black_box(1_767_225_600_000)).unwrap())
    });
    let mut signer = msk::MskSigner::new(credentials.clone(), options.clone()).unwrap();
    c.bench_function("msk_signer", |b| b.iter(|| signer.sign(black_box(1_767_225_600_000)).unwrap()));
    c.bench_function("parse_key/RSA-2048 PKCS#8", |b| {
        let pem =
            std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys/rsa2048.pkcs8.pem"))
                .unwrap();
        b.iter(|| PrivateKey::from_bytes(black_box(&pem), None).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
