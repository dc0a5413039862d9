//! Fuzz target `sign_verify` (see `fuzz/src/lib.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthbearer_fuzz::sign_verify(data));
