//! The WASI component under wasmtime: every shared vector through its typed WIT exports, its
//! imports against an allow-list, its size, and guest errors as typed `error` records (a trap
//! fails the run, since every call unwraps wasmtime's own `Result`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use base64::Engine as _;
use oauthbearer::key::VerifyingKey;
use oauthbearer_wasm_host::{component_path, repo_root, vectors, Loaded};
use serde_json::Value;

/// Imports the component may have: what Rust's std for wasm32-wasip2 links (environment, exit,
/// stdio and terminal streams, `insecure-seed` for `HashMap`'s hasher) and `wasi:random/random`,
/// which our code uses for `jti`s and randomized signatures. No clocks (time is a parameter), no
/// file system, no sockets, no HTTP.
const ALLOWED_IMPORT_PREFIXES: &[&str] = &[
    "wasi:random/random@",
    "wasi:random/insecure-seed@",
    "wasi:io/poll@",
    "wasi:cli/environment@",
    "wasi:cli/exit@",
    "wasi:cli/stdin@",
    "wasi:cli/stdout@",
    "wasi:cli/stderr@",
    "wasi:cli/terminal-input@",
    "wasi:cli/terminal-output@",
    "wasi:cli/terminal-stdin@",
    "wasi:cli/terminal-stdout@",
    "wasi:cli/terminal-stderr@",
    "wasi:io/error@",
    "wasi:io/streams@",
];

/// Vector cases the typed interface cannot express, and why.
const NOT_EXPRESSIBLE: &[(&str, &str)] = &[
    ("google token: unknown style", "google-token-style is a WIT enum: an unknown style name cannot be passed"),
    ("msk token: unknown query order", "query-order is a WIT enum: an unknown order name cannot be passed"),
    ("Google: unknown style", "google-token-style is a WIT enum: an unknown style name cannot be passed"),
];

/// The component, compiled once for all tests (cranelift in a debug build takes seconds).
fn loaded() -> &'static Loaded {
    static LOADED: std::sync::OnceLock<Loaded> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| Loaded::from_file(&component_path()).unwrap())
}

fn b64url(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// Verifies a compact JWS with the native core's verifier (the component signed it with
/// RustCrypto; the core's verifier is an independent build).
fn verify(jws: &str, jwk: &Value, alg: &str) {
    let key = VerifyingKey::from_jwk(jwk.as_object().unwrap()).unwrap();
    let (signing_input, signature) = jws.rsplit_once('.').unwrap();
    assert!(
        key.verify(alg.parse().unwrap(), signing_input.as_bytes(), &b64url(signature)),
        "signature does not verify: {alg}"
    );
}

fn vector_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("tests/vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Operations of the shared vectors the component does not have (the Envoy plugin's configuration:
/// the core and the plugin's own tests run it).
/// The Envoy plugin's configuration (the plugin's own tests run it) and the token endpoint's HTTP
/// framing (the native server's tests run it).
const NOT_IN_THIS_API: &[&str] = &["sidecar_config", "http_request"];

#[test]
fn every_vector_passes_through_the_component() {
    let loaded = loaded();
    let mut instance = loaded.instantiate().unwrap();
    let (mut total, mut errors, mut skipped) = (0, 0, Vec::new());
    for file in vector_files() {
        let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let (op, name, expected) = (case["op"].as_str().unwrap(), case["name"].as_str().unwrap(), &case["output"]);
            let where_ = format!("{}: {name}", file.file_name().unwrap().to_string_lossy());
            if NOT_IN_THIS_API.contains(&op) {
                continue;
            }
            vectors::take_last_error_shown();
            let Some(mut got) = vectors::run(&mut instance, op, &case["input"]) else {
                skipped.push(name.to_owned());
                continue;
            };
            total += 1;
            if expected.get("error").is_some() {
                errors += 1;
                let shown = vectors::take_last_error_shown();
                assert!(!shown.is_empty(), "{where_}: the refusal came back as a guest error record");
                let secrets =
                    case["secrets"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).collect());
                for secret in secrets.into_iter().chain(["PLANTED"]) {
                    assert!(!shown.contains(secret), "{where_}: the error shows a planted secret: {shown}");
                }
            }
            match op {
                "sign_assertion" if expected.get("error").is_none() => {
                    let jws = got["assertion"].as_str().unwrap().to_owned();
                    verify(&jws, &got["public_jwk"], expected["alg"].as_str().unwrap());
                    if expected.get("assertion").is_none() {
                        got.as_object_mut().unwrap().remove("assertion");
                    }
                }
                "issuer" if expected.get("error").is_none() => {
                    let jws = got["token"].as_str().unwrap().to_owned();
                    let alg = case["input"]["alg"].as_str().unwrap_or("ES256");
                    verify(&jws, &got["jwks"]["keys"][0], alg);
                    if expected.get("token").is_none() {
                        got.as_object_mut().unwrap().remove("token");
                    }
                }
                _ => {}
            }
            assert_eq!(got, *expected, "{where_}");
        }
    }
    let allowed: Vec<&str> = NOT_EXPRESSIBLE.iter().map(|(name, _)| *name).collect();
    assert_eq!(skipped, allowed, "cases the typed interface cannot express");
    assert!(total > 200, "only {total} cases ran");
    println!("component: {total} vector cases identical to the native core ({errors} typed errors, no traps)");
}

#[test]
fn imports_are_on_the_allow_list_and_size_is_within_budget() {
    let path = component_path();
    let loaded = loaded();
    let imports = loaded.imports();
    println!("component imports:\n  {}", imports.join("\n  "));
    for name in &imports {
        assert!(ALLOWED_IMPORT_PREFIXES.iter().any(|p| name.starts_with(p)), "unexpected import {name}");
    }
    assert!(imports.iter().any(|n| n.starts_with("wasi:random/random@")), "wasi:random expected");
    let size = std::fs::metadata(&path).unwrap().len();
    println!("component size: {size} bytes ({:.0} KiB)", size as f64 / 1024.0);
    assert!(size <= 1024 * 1024, "component is {size} bytes, over the 1 MiB budget");
}

#[test]
fn a_guest_error_is_a_typed_record_with_the_core_code_and_no_secret() {
    let loaded = loaded();
    let mut i = loaded.instantiate().unwrap();
    let keys = i.api.kafka_oauthbearer_keys().signing_key();
    let secret = b"-----BEGIN PRIVATE KEY-----\nU0VDUkVULU1BUktFUg==\n-----END PRIVATE KEY-----\n";
    let err = keys.call_parse(&mut i.store, secret, None, None).unwrap().err().unwrap();
    assert_eq!(err.code, "invalid_key");
    assert!(!err.message.contains("SECRET-MARKER") && !err.message.contains("U0VDUkVU"), "{}", err.message);
    let encrypted = std::fs::read(repo_root().join("tests/keys/ec-p256.pbes2-pbkdf2-aes256.pem")).unwrap();
    let err = keys.call_parse(&mut i.store, &encrypted, Some("hunter2-wrong"), None).unwrap().err().unwrap();
    assert_eq!(err.code, "wrong_passphrase");
    assert!(!err.message.contains("hunter2"), "{}", err.message);
    // The instance is still usable after an error (no trap, no poisoned state).
    let ok = i.api.kafka_oauthbearer_sasl().call_extensions_jaas(&mut i.store, &Vec::new()).unwrap();
    assert_eq!(ok, "");
}
