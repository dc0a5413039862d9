//! Fuzz target `private_key` (see `fuzz/src/lib.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthbearer_fuzz::private_key(data));
