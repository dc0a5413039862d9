//! Fuzz target `client_auth` (see `fuzz/src/lib.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthbearer_fuzz::client_auth(data));
