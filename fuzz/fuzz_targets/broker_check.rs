//! Fuzz target `broker_check` (see `fuzz/src/lib.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthbearer_fuzz::broker_check(data));
