//! Signed notes and checkpoints (C2SP signed-note / tlog-checkpoint) as a witness or a customer receives
//! them. Tag 0: `SignedNote::parse`; 1: `Checkpoint::parse` (the note text); 2: `SignedCheckpoint::parse`
//! and verification against the fixture log key. Each re-encodes byte-exactly and never panics.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::checkpoint::run(data));
