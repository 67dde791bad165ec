//! A transfer key sealed to the buyer with HPKE, as it arrives in a package header: decode, re-encode
//! byte-exactly, open with the buyer's key for the transfer it names and for another. Never a panic.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::sealed_transfer_key::run(data));
