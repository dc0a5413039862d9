//! Median time of one RS256 signature (RSA-2048, PKCS#1 v1.5, SHA-256, blinded as the core signs)
//! with rsa 0.9 as this build's features configure it. Prints JSON for bench/report.py.
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::RandomizedSigner;

include!("../../median_ns.rs");

fn main() {
    let seconds: f64 = std::env::args().nth(1).map_or(3.0, |s| s.parse().expect("seconds"));
    let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/keys/rsa2048.pkcs8.pem"))
        .expect("the test key");
    let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("PKCS#8"));
    let message = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjbGllbnQifQ";
    let sign = || drop(key.sign_with_rng(&mut rand_core::OsRng, message));
    let digits = if cfg!(feature = "u64") { 64 } else { 32 };
    println!("{{\"digits\":{digits},\"sign/RS256\":{:.1}}}", median_ns(seconds, sign));
}
