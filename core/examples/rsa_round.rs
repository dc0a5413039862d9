//! One round of `make bench`'s RSA-against-OpenSSL comparison: the median time of an RS256 and a
//! PS256 signature (aws-lc-rs, the native default) over `seconds` each, as JSON. bench/run.sh runs it
//! between `openssl speed rsa2048` and cryptography's PSS signature, several rounds, so that each
//! ratio compares measurements taken within seconds of each other (this machine's speed drifts by
//! more than the gap being measured over a whole `make bench`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use oauthbearer::{Algorithm, Backend, PrivateKey, SigningKey};

include!("../../bench/median_ns.rs");

fn main() {
    let seconds: f64 = std::env::args().nth(1).map_or(1.0, |s| s.parse().expect("seconds"));
    let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/keys/rsa2048.pkcs8.pem")).unwrap();
    let key = PrivateKey::from_bytes(&pem, None).unwrap();
    // The same signing input as bench/pyjwt_sign.py's.
    let message = b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1jbGllbnQiLCJzdWIiOiJteS1jbGllbnQiLCJhdWQiOiJodHRwczovL2lkcC5leGFtcGxlL3Rva2VuIiwiaWF0IjoxNzY3MjI1NjAwLCJuYmYiOjE3NjcyMjU1NDAsImV4cCI6MTc2NzIyNTkwMH0";
    let mut out = Vec::new();
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let signer = SigningKey::new(key.clone(), alg, Backend::AwsLcRs).unwrap();
        let sign = || drop(signer.sign(message).unwrap());
        out.push(format!("\"sign/{alg}\":{:.1}", median_ns(seconds, sign)));
    }
    println!("{{{}}}", out.join(","));
}
