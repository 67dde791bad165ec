//! Helpers shared by the store's tests; the conformance suite itself is the `custodia-conformance` crate.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use custodia_crypto::{Keyring, KeyringConfig, SigningKey};
use custodia_ledger::{NoteSigner, SignatureKind, TrustPolicy};
use custodia_store::StoreError;

pub fn signer() -> NoteSigner {
    NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap()
}

pub fn policy(signer: &NoteSigner) -> TrustPolicy {
    TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap()
}

pub fn keyring() -> Keyring {
    Keyring::derive_from_master(&[9u8; 32], 1, KeyringConfig::default()).unwrap()
}

/// The `StoreError` a seam's error carries as its source: what a caller downcasts to, to tell a busy
/// database from a corrupt one. Panics if the error has no `StoreError` source.
pub fn store_error(error: &(dyn std::error::Error + 'static)) -> StoreError {
    error
        .source()
        .and_then(|source| source.downcast_ref::<StoreError>())
        .cloned()
        .unwrap_or_else(|| panic!("{error:?} has no StoreError source"))
}
