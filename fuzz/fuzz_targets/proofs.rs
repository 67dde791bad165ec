//! Inclusion and consistency proofs as they arrive inside receipts, fed to the standalone verifiers.
//!
//! Input: `[mode, n, k, ops...]` over a fixed 64-leaf log. Mode 0 takes the true inclusion proof of leaf
//! `k % n` in the tree of `n` leaves, mode 1 the true consistency proof from `k % (n + 1)` to `n`; the ops
//! then flip bytes, drop or add hashes, or change the index. The verifier must accept exactly the true
//! proof and refuse every change. Mode 2 feeds arbitrary sizes, roots and paths (and the rest as JSON
//! proofs) and only asserts that nothing panics.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;
#[path = "../src/oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::proofs::run(data));
