//! Shared strategies and fixtures for the integration tests.
#![allow(dead_code)]
// Fixture helpers sit outside `#[test]` functions, where clippy.toml's test allowance does not reach.
#![allow(clippy::unwrap_used)]

use custodia_crypto::{Keyring, KeyringConfig};
use custodia_model::{CustomerId, DataCategory};
use proptest::prelude::*;

/// A keyring derived from a fixed master, one version.
pub fn keyring() -> Keyring {
    Keyring::derive_from_master(&[0x5a; 32], 1, KeyringConfig::default()).unwrap()
}

/// Any valid customer id.
pub fn customer() -> impl Strategy<Value = CustomerId> {
    any::<[u8; 16]>()
        .prop_filter("nil uuid is refused", |b| b != &[0u8; 16])
        .prop_map(|b| CustomerId::from_bytes(b).unwrap())
}

/// Any data category.
pub fn category() -> impl Strategy<Value = DataCategory> {
    prop::sample::select(DataCategory::ALL.to_vec())
}
