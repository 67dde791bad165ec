//! The conformance suite against the in-memory stores (`MemoryStore`, `InMemoryKeyStore`, `InMemoryVault`): the reference the database backends must match.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_crypto::{InMemoryKeyStore, InMemoryVault};
use custodia_ledger::MemoryStore;

#[test]
fn memory_log_store_passes_the_suite() {
    custodia_conformance::log_store_suite(&MemoryStore::new, 64);
}

#[test]
fn memory_vault_passes_the_suite() {
    custodia_conformance::section_vault_suite(&InMemoryVault::new, 64);
}

#[test]
fn memory_key_store_passes_the_suite() {
    custodia_conformance::key_store_suite(&InMemoryKeyStore::new, 64);
}

#[test]
fn shared_and_borrowed_stores_pass_the_suites() {
    // `&T` and `Arc<T>` of a store are stores: the blanket impls forward every method.
    custodia_conformance::log_store_suite(&|| std::sync::Arc::new(MemoryStore::new()), 8);
    custodia_conformance::key_store_suite(&|| std::sync::Arc::new(InMemoryKeyStore::new()), 8);
    custodia_conformance::section_vault_suite(&|| std::sync::Arc::new(InMemoryVault::new()), 8);
}

#[test]
fn the_reference_root_matches_the_ledger() {
    let mut log = custodia_ledger::Log::new(MemoryStore::new()).unwrap();
    for n in 0..20u8 {
        log.append(&[&[n]]).unwrap();
    }
    let store = log.store();
    use custodia_ledger::LogStore;
    let leaves: Vec<_> = store
        .entries(0..20)
        .unwrap()
        .iter()
        .map(|e| *e.leaf_hash())
        .collect();
    assert_eq!(custodia_conformance::reference_root(&leaves), log.root());
}
