//! Fuzz target `token_response` (see `fuzz/src/lib.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthbearer_fuzz::token_response(data));
