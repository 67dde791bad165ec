//! Consent ledger payloads (tag 0, `ConsentRecord::decode`) and consent receipts as a customer or
//! regulator receives them (tag 1, JSON, verified with the fixture log key). Never a panic; a decoded
//! record re-encodes to bytes that decode to the same record, and the canonical encoding is a fixed point;
//! an error message never echoes a quoted value from the payload.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::consent::run(data));
