//! A wasmtime host for the oauthbearer WASI component, used by the tests: loads the component
//! (`target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm`), lists its imports, and runs the shared
//! vector cases (`tests/vectors/`) through its typed WIT interface (`vectors::run`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod vectors;

use std::path::{Path, PathBuf};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{format_err, Engine, Result, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({ path: "../../wit", world: "oauthbearer" });

/// The store's data: an empty WASI context (no preopened files, no environment, no network).
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where `make wasm` puts the component (`OAUTHBEARER_WASM` overrides).
pub fn component_path() -> PathBuf {
    std::env::var_os("OAUTHBEARER_WASM")
        .map_or_else(|| repo_root().join("target/wasm32-wasip2/wasm/oauthbearer_wasi.wasm"), PathBuf::from)
}

/// A compiled component and the engine that compiled it.
pub struct Loaded {
    /// The engine.
    pub engine: Engine,
    /// The compiled component.
    pub component: Component,
}

impl Loaded {
    /// Compiles the component at `path`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let engine = Engine::default();
        let component = Component::from_file(&engine, path)
            .map_err(|e| format_err!("loading {} (build it with `make wasm`): {e}", path.display()))?;
        Ok(Self { engine, component })
    }

    /// The component's imports (`wasi:random/random@0.2.x`, …), sorted.
    pub fn imports(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.component.component_type().imports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        names.sort();
        names
    }

    /// A fresh instance with WASI preview 2 linked in.
    pub fn instantiate(&self) -> Result<Instance> {
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        let state = HostState { wasi: WasiCtx::builder().build(), table: ResourceTable::new() };
        let mut store = Store::new(&self.engine, state);
        let api = Oauthbearer::instantiate(&mut store, &self.component, &linker)?;
        Ok(Instance { store, api })
    }
}

/// An instance of the component with its store.
pub struct Instance {
    /// The store.
    pub store: Store<HostState>,
    /// The typed exports.
    pub api: Oauthbearer,
}
