//! The transfer package as the buyer receives it: the streaming reader record by record, then a full
//! import for the fixture agreement into fresh staging stores. Never a panic, and the import succeeds
//! only for a package the seller wrote byte for byte: the seeds are the only valid packages this fuzzer
//! can reach (it cannot sign), so an accepted input that is not one of them is a finding — some byte is
//! not covered by the signature and manifest (for example a field parsed leniently and re-encoded).
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::transfer_package::run(data));
