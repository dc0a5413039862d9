// README "Use from WebAssembly": a wasmtime host signs a KIP-1258 assertion with the component.
// Run from the repository root: `cargo run -p oauthbearer-wasm-host --example readme`.
use exports::kafka::oauthbearer::assertions::{AssertionOptions, AssertionType};
use exports::kafka::oauthbearer::types::{Dialect, Mode};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({ path: "../../wit", world: "oauthbearer" });

struct Host(WasiCtx, ResourceTable);
impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.0, table: &mut self.1 }
    }
}

/// Signs an assertion for `properties` (Kafka client config) and returns the token request line.
pub fn sign(wasm: &str, properties: Vec<(String, String)>, now_ms: u64) -> wasmtime::Result<String> {
    let engine = Engine::default();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let mut store = Store::new(&engine, Host(WasiCtx::builder().build(), ResourceTable::new()));
    let api = Oauthbearer::instantiate(&mut store, &Component::from_file(&engine, wasm)?, &linker)?;
    // The component reads no files: ask it which key file the config names, and read it here.
    let config =
        api.kafka_oauthbearer_config().call_parse_config(&mut store, &properties, Dialect::KafkaJava, Mode::Strict)?;
    let config = config.map_err(|e| wasmtime::format_err!("{}: {}", e.code, e.message))?;
    let key = std::fs::read(config.private_key_file.expect("a private key file"))?;
    let signers = api.kafka_oauthbearer_assertions().assertion_signer();
    let options = AssertionOptions {
        mode: Mode::Strict,
        typ: AssertionType::Jwt,
        key_id: None,
        certificate: None,
        thumbprint_header: None,
    };
    let signer = signers
        .call_from_properties(&mut store, &properties, Dialect::KafkaJava, Some(&key), None, &options)?
        .map_err(|e| wasmtime::format_err!("{}: {}", e.code, e.message))?;
    let assertion =
        signers.call_sign(&mut store, signer, now_ms, None)?.map_err(|e| wasmtime::format_err!("{}", e.code))?;
    let request = api.kafka_oauthbearer_token_endpoint().call_client_assertion_request(
        &mut store,
        config.token_endpoint_url.as_deref().unwrap_or_default(),
        &assertion.assertion,
        None,
        config.scope.as_deref(),
    )?;
    Ok(format!("{} {} (assertion expires at {})", request.method, request.url, assertion.expires_at))
}

fn main() -> wasmtime::Result<()> {
    let properties: Vec<(String, String)> = [
        ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/oauth2/token"),
        ("sasl.oauthbearer.assertion.algorithm", "ES256"),
        ("sasl.oauthbearer.assertion.private.key.file", "tests/keys/ec-p256.pkcs8.pem"),
        ("sasl.oauthbearer.assertion.claim.iss", "my-client"),
        ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example/oauth2/token"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64;
    println!("{}", sign("target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm", properties, now_ms)?);
    Ok(())
}
