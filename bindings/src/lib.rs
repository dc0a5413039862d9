//! The oauthbearer core as a WASI component: the guest side of the WIT package
//! `kafka:oauthbearer` (`../wit/oauthbearer.wit`).
//!
//! This crate only converts between WIT values and core values and calls the core; every rule
//! lives in `oauthbearer`. Build it with `cargo build -p oauthbearer-wasi --target wasm32-wasip2
//! --profile wasm`; the result is a component (rustup's `wasm-component-ld` links it as one).

// `bindings` is wit-bindgen's generated `unsafe` glue (and `export!` expands it here); the
// modules we write, `convert` and `guest`, forbid `unsafe`.
#[allow(unsafe_code, missing_docs, unreachable_pub, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ path: "../wit", world: "oauthbearer" });
}

mod convert;
mod guest;

use guest::Component;

bindings::export!(Component with_types_in bindings);
