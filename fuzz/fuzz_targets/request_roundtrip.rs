//! Fuzz target `request_roundtrip` (see `fuzz/src/lib.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthbearer_fuzz::request_roundtrip(data));
