//! Package and import: round trips, re-keying, every flipped byte, truncation, wrong keys, replays, receipts
//! and customer proofs.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use custodia_consent::TransferPath;
use custodia_crypto::{RecipientKeyPair, SectionVault, open_section};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{CustomerId, DataCategory};
use custodia_transfer::*;

#[test]
fn package_round_trips_and_sections_open_under_the_buyer_keyring() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 7);
    let (bytes, summary, tree) = make_package(&keys, &agreement, &store);
    assert_eq!(summary.customers, 7);
    assert_eq!(summary.sections, 4 * 3 + 3 * 2);
    assert_eq!(summary.package_bytes, bytes.len() as u64);
    assert_eq!(tree.root(), summary.root);

    let (outcome, staged_keys, staged) =
        import_into(&keys, &agreement, &bytes, &ImportSettings::default()).unwrap();
    assert_eq!(outcome.root, summary.root);
    assert_eq!(
        (outcome.customers, outcome.sections, outcome.sections_opened),
        (7, 18, 18)
    );
    assert_eq!(outcome.tree, tree);
    for (i, c) in store.customers.iter().enumerate() {
        let cats = categories(&staged, *c);
        assert_eq!(cats.len(), if i % 2 == 0 { 3 } else { 2 });
        for k in cats {
            let latest = staged.latest_section(*c, k).unwrap().unwrap();
            let (version, sealed) = (latest.record_version(), latest.into_sealed());
            // Sections travel unchanged: same bytes as the seller's.
            assert_eq!(
                store
                    .sections
                    .latest_section(*c, k)
                    .unwrap()
                    .unwrap()
                    .into_sealed(),
                sealed
            );
            let plain = keys
                .buyer_ring
                .open_stored_section(&staged_keys, *c, k, version, &sealed)
                .unwrap();
            assert!(plain.starts_with(format!("{{\"customer\":{i},").as_bytes()));
        }
    }
}

#[test]
fn rekeying_leaves_nothing_the_seller_knew_able_to_open() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 3);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let settings = ImportSettings {
        rekey: Rekey::FreshKeys,
        ..ImportSettings::default()
    };
    let (outcome, staged_keys, staged) = import_into(&keys, &agreement, &bytes, &settings).unwrap();
    assert!(outcome.rekeyed);
    for c in &store.customers {
        let latest = staged
            .latest_section(*c, DataCategory::Identity)
            .unwrap()
            .unwrap();
        let (version, sealed) = (latest.record_version(), latest.into_sealed());
        let old = store
            .sections
            .latest_section(*c, DataCategory::Identity)
            .unwrap()
            .unwrap()
            .into_sealed();
        assert_ne!(sealed.dek_id(), old.dek_id());
        assert!(
            keys.buyer_ring
                .open_stored_section(&staged_keys, *c, DataCategory::Identity, version, &sealed)
                .is_ok()
        );
        // The seller's data key does not open the re-keyed section.
        let seller_dek = keys
            .seller_ring
            .load_data_key(&store.keys, *c, old.dek_id())
            .unwrap();
        assert!(open_section(&seller_dek, *c, DataCategory::Identity, version, &sealed).is_err());
    }
}

#[test]
fn every_flipped_byte_fails_import() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    // Every byte of the package, header, entries and trailer alike.
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        let result = import_into(&keys, &agreement, &bad, &ImportSettings::default());
        assert!(
            result.is_err(),
            "flipping byte {i} of {} was not detected",
            bytes.len()
        );
    }
}

#[test]
fn every_truncation_and_any_appended_byte_fail_import() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    for len in 0..bytes.len() {
        assert!(
            import_into(&keys, &agreement, &bytes[..len], &ImportSettings::default()).is_err(),
            "length {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        import_into(&keys, &agreement, &longer, &ImportSettings::default()),
        Err(TransferError::MalformedPackage { .. })
    ));
}

#[test]
fn the_wrong_buyer_key_fails() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let mixed = Keys {
        buyer_recipient: RecipientKeyPair::generate().unwrap(),
        ..keys
    };
    let result = import_into(&mixed, &agreement, &bytes, &ImportSettings::default());
    assert_eq!(
        result.err(),
        Some(TransferError::AgreementMismatch { what: "buyer key" })
    );
}

#[test]
fn a_package_replayed_under_another_agreement_fails() {
    let keys = Keys::generate().unwrap();
    let first = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (bytes, _, _) = make_package(&keys, &first, &store);
    // Same parties, same transfer id, a different term: another digest.
    let mut changed = first.terms().clone();
    changed.impact_assessment = "PIA-2026-018".into();
    let second = signed(&keys, changed);
    assert_eq!(
        import_into(&keys, &second, &bytes, &ImportSettings::default()).err(),
        Some(TransferError::AgreementMismatch {
            what: "agreement digest"
        })
    );
    // Another transfer altogether.
    let third = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    assert_eq!(
        import_into(&keys, &third, &bytes, &ImportSettings::default()).err(),
        Some(TransferError::AgreementMismatch { what: "transfer id" })
    );
}

#[test]
fn a_staging_store_that_is_not_fresh_is_refused() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let staged_keys = custodia_crypto::InMemoryKeyStore::new();
    // The seller's own vault holds every customer of the package: the opposite of a fresh staging store.
    let staged = &store.sections;
    let result = import(
        bytes.as_slice(),
        &agreement,
        Buyer {
            recipient: &keys.buyer_recipient,
            keyring: &keys.buyer_ring,
            keys: &staged_keys,
            sections: staged,
        },
        &ImportSettings::default(),
        &mut |_| {},
    );
    assert!(matches!(result, Err(TransferError::StagingNotFresh { .. })));
}

#[test]
fn the_buyer_receipt_verifies_and_lands_on_the_seller_ledger() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 3);
    let (bytes, summary, _) = make_package(&keys, &agreement, &store);
    let (outcome, _, _) = import_into(&keys, &agreement, &bytes, &ImportSettings::default()).unwrap();
    let receipt = outcome.receipt(&agreement, at(2026, 7, 16));
    assert!(!receipt.rekeyed);
    let signed_receipt = SignedReceipt::sign(receipt.clone(), &agreement, &keys.buyer_sign).unwrap();
    let encoded = signed_receipt.encode();
    let verified = SignedReceipt::verify(&encoded, &agreement, &summary).unwrap();
    assert_eq!(verified.receipt(), &receipt);
    let mut log = Log::new(MemoryStore::new()).unwrap();
    assert_eq!(verified.append_to(&mut log).unwrap(), 0);
    assert_eq!(log.entry(0).unwrap().payload(), Some(encoded.as_slice()));

    // A receipt signed by the seller, or altered, or for other counts, is refused.
    assert!(SignedReceipt::sign(receipt.clone(), &agreement, &keys.seller_sign).is_err());
    let mut altered = encoded.clone();
    let n = altered.len() - 70;
    altered[n] ^= 1;
    assert!(SignedReceipt::verify(&altered, &agreement, &summary).is_err());
    let mut short = outcome.receipt(&agreement, at(2026, 7, 16));
    short.customers -= 1;
    let short = SignedReceipt::sign(short, &agreement, &keys.buyer_sign).unwrap();
    assert_eq!(
        SignedReceipt::verify(&short.encode(), &agreement, &summary).err(),
        Some(TransferError::ReceiptMismatch { what: "customers" })
    );
}

#[test]
fn customers_get_proofs_that_they_were_or_were_not_moved() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 9);
    let (bytes, _, tree) = make_package(&keys, &agreement, &store);
    let mut asked: Vec<CustomerId> = store.customers.clone();
    let strangers: Vec<CustomerId> = (0..4).map(|_| CustomerId::new_v7()).collect();
    asked.extend(&strangers);
    let first = *store.customers.iter().min().unwrap();
    let mut below = *first.as_bytes();
    below[15] = below[15].wrapping_sub(1);
    asked.push(CustomerId::from_bytes(below).unwrap());
    let key = transfer_key(&keys, &agreement, &bytes);
    let proofs = prove(
        bytes.as_slice(),
        &key,
        &tree,
        &asked,
        package::DEFAULT_MAX_ENTRY_LEN,
    )
    .unwrap();
    let seller = keys.seller_sign.verifying_key();
    for (c, p) in asked.iter().zip(&proofs) {
        assert_eq!(
            p.verify(&seller).unwrap(),
            store.customers.contains(c),
            "customer {c}"
        );
    }
    // A proof shown to the wrong customer, or with another key, fails.
    let mut wrong = proofs[0].clone();
    wrong.customer = strangers[0];
    assert!(wrong.verify(&seller).is_err());
    assert!(proofs[0].verify(&keys.buyer_sign.verifying_key()).is_err());
    // A not-moved proof cannot be made from a moved customer's neighbours.
    let mut forged = proofs[store.customers.len()].clone();
    forged.customer = store.customers[0];
    assert!(forged.verify(&seller).is_err());
}
