//! Wrapped data keys (under a KEK, from a key store) and transfer-wrapped keys (from a package): decode,
//! re-encode byte-exactly, unwrap. Never a panic; an unwrap that succeeds names the customer and key the
//! bytes claim.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::wrapped_key::run(data));
