//! Shared fixtures: two parties with keys, an agreement, a seller's store of sealed sections.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use custodia_consent::TransferPath;
use custodia_crypto::{InMemoryKeyStore, InMemoryVault, KeyStore, Keyring, SectionVault, seal_section};
use custodia_model::{CustomerId, DataCategory};
use custodia_transfer::*;

/// The test kit's keys: both parties' signing and recipient keys, and the keyrings of `[1; 32]` and `[2; 32]`.
pub use custodia_synthetic::parties::SampleKeys as Keys;

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).single().unwrap()
}

/// The test kit's sample agreement on `path`.
pub fn terms(keys: &Keys, path: TransferPath) -> AgreementTerms {
    custodia_synthetic::parties::terms(keys, path).unwrap()
}

pub fn signed(keys: &Keys, terms: AgreementTerms) -> SignedAgreement {
    custodia_synthetic::parties::sign(keys, terms).unwrap()
}

/// A seller's store: `n` customers with two or three sealed sections each.
pub struct SellerStore {
    pub keys: InMemoryKeyStore,
    pub sections: InMemoryVault,
    pub customers: Vec<CustomerId>,
}

pub fn seller_store(keyring: &Keyring, n: usize) -> SellerStore {
    let keys = InMemoryKeyStore::new();
    let sections = InMemoryVault::new();
    let mut customers = Vec::new();
    for i in 0..n {
        let customer = CustomerId::new_v7();
        let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
        keys.put_wrapped_key(&wrapped).unwrap();
        let mut cats = vec![DataCategory::Identity, DataCategory::Policies];
        if i % 2 == 0 {
            cats.push(DataCategory::Health);
        }
        for c in cats {
            let text = format!("{{\"customer\":{i},\"category\":\"{c}\"}}");
            let sealed = seal_section(&dek, customer, c, 1 + i as u64 % 3, text.as_bytes()).unwrap();
            sections
                .put_section(customer, c, 1 + i as u64 % 3, &sealed)
                .unwrap();
        }
        customers.push(customer);
    }
    SellerStore {
        keys,
        sections,
        customers,
    }
}

pub fn moving(store: &SellerStore) -> Vec<Moving> {
    store
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| Moving {
            customer: *c,
            categories: if i % 2 == 0 {
                vec![
                    DataCategory::Identity,
                    DataCategory::Policies,
                    DataCategory::Health,
                ]
            } else {
                vec![DataCategory::Identity, DataCategory::Policies]
            },
        })
        .collect()
}

/// The seller's side of `package` over the fixture's keys and store.
pub fn seller<'a>(keys: &'a Keys, store: &'a SellerStore) -> Seller<'a, InMemoryKeyStore, InMemoryVault> {
    Seller {
        signing_key: &keys.seller_sign,
        keyring: &keys.seller_ring,
        keys: &store.keys,
        sections: &store.sections,
    }
}

pub fn make_package(
    keys: &Keys,
    agreement: &SignedAgreement,
    store: &SellerStore,
) -> (Vec<u8>, PackageSummary, ManifestTree) {
    let mut out = Vec::new();
    let (summary, tree) = package(
        &mut out,
        agreement,
        seller(keys, store),
        PackageContents {
            moving: moving(store),
            created_at: at(2026, 7, 15),
            proof_tree: ProofTree::Keep,
        },
        &mut |_| {},
    )
    .unwrap();
    (out, summary, tree.unwrap())
}

pub fn import_into(
    keys: &Keys,
    agreement: &SignedAgreement,
    bytes: &[u8],
    settings: &ImportSettings,
) -> Result<(ImportOutcome, InMemoryKeyStore, InMemoryVault), TransferError> {
    let staged_keys = InMemoryKeyStore::new();
    let staged = InMemoryVault::new();
    let outcome = import(
        bytes,
        agreement,
        Buyer {
            recipient: &keys.buyer_recipient,
            keyring: &keys.buyer_ring,
            keys: &staged_keys,
            sections: &staged,
        },
        settings,
        &mut |_| {},
    )?;
    Ok((outcome, staged_keys, staged))
}

pub fn categories(store: &InMemoryVault, c: CustomerId) -> BTreeSet<DataCategory> {
    DataCategory::ALL
        .into_iter()
        .filter(|k| store.latest_section(c, *k).unwrap().is_some())
        .collect()
}

/// The package's transfer key, opened from its header with the buyer's private key (as import opens it).
pub fn transfer_key(keys: &Keys, agreement: &SignedAgreement, bytes: &[u8]) -> custodia_crypto::TransferKey {
    let reader = package::PackageReader::open(bytes, package::DEFAULT_MAX_ENTRY_LEN).unwrap();
    keys.buyer_recipient
        .open_transfer_key(reader.header().sealed_key(), agreement.transfer_id())
        .unwrap()
}
