//! The README's wasmtime host example runs, and the README shows it verbatim.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

mod example {
    include!("../examples/readme.rs");
}

use oauthbearer_wasm_host::{component_path, repo_root};

#[test]
fn readme_wasmtime_example_signs_an_assertion() {
    let key = repo_root().join("tests/keys/ec-p256.pkcs8.pem");
    let properties: Vec<(String, String)> = [
        ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/oauth2/token"),
        ("sasl.oauthbearer.assertion.algorithm", "ES256"),
        ("sasl.oauthbearer.assertion.private.key.file", key.to_str().unwrap()),
        ("sasl.oauthbearer.assertion.claim.iss", "my-client"),
        ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example/oauth2/token"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let line = example::sign(component_path().to_str().unwrap(), properties, 1_767_225_600_000).unwrap();
    assert_eq!(line, "POST https://idp.example/oauth2/token (assertion expires at 1767225900)");
}

#[test]
fn readme_shows_the_example_verbatim() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let example = std::fs::read_to_string(repo_root().join("tests/wasm-host/examples/readme.rs")).unwrap();
    assert!(
        readme.contains(example.trim()),
        "README's wasmtime example differs from tests/wasm-host/examples/readme.rs"
    );
}
