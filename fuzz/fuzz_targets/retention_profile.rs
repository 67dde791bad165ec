//! Retention profiles as a compliance officer edits them: tag 0 parses JSON, tag 1 TOML. Never a panic;
//! a profile that loads saves to JSON and TOML that load back to the same profile.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::retention_profile::run(data));
