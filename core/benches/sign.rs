//! Signing speed with the cached signer, per algorithm and backend, plus a whole client
//! assertion (claims, JSON, base64url, signature). `make bench` runs this next to `openssl speed`
//! and PyJWT and writes the medians into BENCHMARKS.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use oauthbearer::assertion::{AssertionOptions, Claims};
use oauthbearer::{Algorithm, AssertionSigner, Backend, PrivateKey, SigningKey};

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
    }
    c.bench_function("parse_key/RSA-2048 PKCS#8", |b| {
        let pem =
            std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys/rsa2048.pkcs8.pem"))
                .unwrap();
        b.iter(|| PrivateKey::from_bytes(black_box(&pem), None).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
