//! # custodia-conformance
//!
//! The conformance suite of custodia's storage seams, published so that every backend — the in-memory
//! stores of `custodia-ledger` and `custodia-crypto`, SQLite and PostgreSQL in `custodia-store`, and a
//! downstream program's own — is held to one contract by one set of checks (the ripgrep pattern: one
//! small trait at the bottom, many implementations, one suite):
//!
//! - [`log_store_suite`] for [`custodia_ledger::LogStore`]: appends at an expected start (the check that
//!   stops two writers forking the tree), all-or-nothing batches, reads past the end refused, redaction
//!   that keeps the leaf hash, checkpoints kept byte for byte and never going backwards, roots and
//!   proofs equal to a reference RFC 9162 tree for any batch sequence, one store shared by two logs.
//! - [`key_store_suite`] for [`custodia_crypto::KeyStore`]: wrapped keys round-trip, a rewrap replaces in
//!   place, blind indexes find their customers, and destruction is total, final and leaves exactly the
//!   others (PIPL Art 47: crypto-shredding).
//! - [`section_vault_suite`] for [`custodia_crypto::SectionVault`] over a backend's
//!   [`custodia_crypto::SectionRows`]: the compare-and-insert is atomic and writes nothing when the newest
//!   version moved, history keeps every version (PIPL Art 46), a version not newer than the newest held
//!   is refused, customers and categories are separate, purges remove exactly what they name and leave
//!   tombstones.
//!
//! ## How to use it
//!
//! Call the suites from a `#[test]` of your backend's crate, with a function that returns a fresh, empty
//! store each time it is called and a number of property-test cases (a few dozen for an embedded store,
//! a handful for a server):
//!
//! ```
//! use custodia_crypto::{InMemoryKeyStore, InMemoryVault};
//! use custodia_ledger::MemoryStore;
//!
//! // In `tests/conformance.rs` of a backend crate, with `MyStore::open_fresh` in place of these:
//! custodia_conformance::log_store_suite(&MemoryStore::new, 8);
//! custodia_conformance::key_store_suite(&InMemoryKeyStore::new, 8);
//! custodia_conformance::section_vault_suite(&InMemoryVault::new, 8);
//! ```
//!
//! A backend that keeps one connection for all three seams (as `custodia_store::SqliteStore` does) passes
//! all three suites with the same constructor.
//!
//! ## Failures
//!
//! A suite is a test: it **panics** when the backend breaks the contract, naming the check that failed
//! and what the backend answered, the way `assert!` reports (this crate allows itself `unwrap`, `expect`
//! and `panic!` for that reason alone). It never prints on success, reads no clock for decisions and
//! writes only through the store it is given.
//!
//! ## What it must not do
//!
//! Depend on a backend: it depends on `custodia-model`, `custodia-crypto` and `custodia-ledger` only (and
//! `proptest`), so that `custodia-store` and any downstream store can run it.

// A test kit: a failed check is a panic in the caller's test, as with `assert!`; see "Failures" above.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod key_store;
mod log_store;
mod reference;
mod section_vault;

pub use key_store::key_store_suite;
pub use log_store::log_store_suite;
pub use reference::reference_root;
pub use section_vault::section_vault_suite;

/// Runs one named check, and turns its panic into one that names the check, so a backend's author sees
/// which rule broke.
fn check(suite: &str, name: &str, body: impl FnOnce()) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        let detail = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        panic!("custodia-conformance: {suite} check `{name}` failed: {detail}");
    }
}
