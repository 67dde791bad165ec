//! The shared suite against the in-memory stores (`custodia_ledger::MemoryStore`, `MemoryVault`): the reference the database backends must match.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custodia_ledger::MemoryStore;
use custodia_store::MemoryVault;

#[test]
fn memory_log_store_passes_the_suite() {
    common::log_store_suite(&MemoryStore::new, 64);
}

#[test]
fn memory_vault_passes_the_suite() {
    common::vault_suite(&MemoryVault::new, 64);
}

#[test]
fn memory_key_store_passes_the_suite() {
    common::key_store_suite(&custodia_crypto::InMemoryKeyStore::new, 64);
}

#[test]
fn the_reference_root_matches_the_ledger() {
    let mut log = custodia_ledger::Log::new(MemoryStore::new()).unwrap();
    for n in 0..20u8 {
        log.append(&[&[n]]).unwrap();
    }
    let store = log.store();
    let leaves: Vec<_> = store
        .entries(0..20)
        .unwrap()
        .iter()
        .map(|e| *e.leaf_hash())
        .collect();
    use custodia_ledger::LogStore;
    assert_eq!(common::reference_root(&leaves), log.root());
}
