//! Crypto-shredding: a destroyed customer's keys and index entries are gone, forever, with a typed error.

mod common;

use chrono::{DateTime, Utc};
use custodia_crypto::{
    BlindIndexConfig, BlindIndexField, BlindIndexer, CryptoError, InMemoryKeyStore, KeyStore, seal_section,
};
use custodia_model::{CustomerId, DataCategory};
use proptest::prelude::*;

#[allow(clippy::unwrap_used)] // a fixture helper outside `#[test]`; the timestamps are constants
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// For any number of DEKs and any later sequence of attempts, a destroyed customer only ever gets
    /// `KeyDestroyed`, while other customers are untouched.
    #[test]
    fn shredded_keys_fail_with_key_destroyed_forever(deks in 1usize..4, attempts in 1usize..6) {
        let kr = common::keyring();
        let ix = BlindIndexer::new(&[9; 32], BlindIndexConfig::with_bits(16).unwrap()).unwrap();
        let store = InMemoryKeyStore::new();
        let (gone, kept) = (CustomerId::new_v7(), CustomerId::new_v7());
        let mut sections = Vec::new();
        for _ in 0..deks {
            let (dek, wrapped) = kr.generate_dek(gone).unwrap();
            store.put_wrapped_key(&wrapped).unwrap();
            sections.push(seal_section(&dek, gone, DataCategory::Claims, 1, b"claim 1").unwrap());
        }
        let (kept_dek, kept_wrap) = kr.generate_dek(kept).unwrap();
        store.put_wrapped_key(&kept_wrap).unwrap();
        let kept_section = seal_section(&kept_dek, kept, DataCategory::Claims, 1, b"claim 2").unwrap();
        let email = ix.index(BlindIndexField::Email, "wang.wu@example.cn").unwrap();
        store.put_blind_index(gone, &email).unwrap();

        let evidence = store.destroy_customer(gone, at(1_750_000_000)).unwrap();
        prop_assert_eq!(evidence.dek_ids().len(), deks);
        prop_assert_eq!(evidence.blind_index_entries(), 1);
        prop_assert_eq!(evidence.customer(), gone);

        let destroyed = CryptoError::KeyDestroyed { customer: gone };
        for _ in 0..attempts {
            for s in &sections {
                prop_assert_eq!(
                    kr.open_stored_section(&store, gone, DataCategory::Claims, 1, s).unwrap_err(),
                    destroyed.clone()
                );
            }
            let (_, fresh) = kr.generate_dek(gone).unwrap();
            prop_assert_eq!(store.put_wrapped_key(&fresh).unwrap_err(), destroyed.clone());
            prop_assert_eq!(store.put_blind_index(gone, &email).unwrap_err(), destroyed.clone());
            prop_assert_eq!(store.destroy_customer(gone, at(1_760_000_000)).unwrap_err(), destroyed.clone());
            prop_assert!(store.find_customers(&email).unwrap().is_empty());
        }
        prop_assert_eq!(store.destroyed_at(gone).unwrap(), Some(at(1_750_000_000)));
        let plain = kr.open_stored_section(&store, kept, DataCategory::Claims, 1, &kept_section).unwrap();
        prop_assert_eq!(plain.as_slice(), b"claim 2");
    }
}

/// Destruction is distinct from damage: a tampered section of a live customer is `DecryptionFailed`,
/// a section of a destroyed customer is `KeyDestroyed`.
#[test]
fn key_destroyed_is_distinct_from_decryption_failed() {
    let kr = common::keyring();
    let store = InMemoryKeyStore::new();
    let c = CustomerId::new_v7();
    let (dek, wrapped) = kr.generate_dek(c).unwrap();
    store.put_wrapped_key(&wrapped).unwrap();
    let sealed = seal_section(&dek, c, DataCategory::KycAml, 4, b"kyc").unwrap();
    let mut tampered = sealed.to_bytes();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let tampered = custodia_crypto::SealedSection::from_bytes(&tampered).unwrap();
    assert_eq!(
        kr.open_stored_section(&store, c, DataCategory::KycAml, 4, &tampered),
        Err(CryptoError::DecryptionFailed)
    );
    store.destroy_customer(c, at(1)).unwrap();
    assert_eq!(
        kr.open_stored_section(&store, c, DataCategory::KycAml, 4, &sealed),
        Err(CryptoError::KeyDestroyed { customer: c })
    );
    // A customer never seen is simply empty, not destroyed.
    assert!(store.wrapped_keys(CustomerId::new_v7()).unwrap().is_empty());
}
