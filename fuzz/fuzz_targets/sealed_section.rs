//! Sealed sections from storage or a package: parse, re-encode byte-exactly, and try to open under the
//! seed customer's key in every category and a few versions. Never a panic; an open succeeds only for
//! the exact (category, version) the section was sealed for.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::sealed_section::run(data));
