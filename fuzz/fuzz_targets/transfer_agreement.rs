//! Agreements and receipts as the other party sends them. Tag 0: `SignedAgreement::decode` (re-encodes
//! byte-exactly); 1: `DraftAgreement::from_bytes` (canonical bytes re-encode byte-exactly); 2: a receipt
//! body signed here with the fixture buyer key, so the fuzzer reaches the JSON and the checks behind the
//! signature; 3: a whole receipt envelope. Never a panic.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::transfer_agreement::run(data));
