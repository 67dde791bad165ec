//! Sealing to a buyer: the whole seller-to-buyer flow, context swaps, tamper detection, total decoding.

mod common;

use custodia_crypto::{
    CryptoError, Keyring, KeyringConfig, RecipientKeyPair, RecipientPublicKey, SEALED_TRANSFER_KEY_LEN,
    SealedTransferKey, TRANSFER_WRAPPED_KEY_LEN, TransferKey, TransferWrappedKey, open_section, seal_section,
};
use custodia_model::{CustomerId, DataCategory, TransferId};
use proptest::prelude::*;

/// Seller seals a transfer key to the buyer and re-wraps DEKs; sections travel unchanged; the buyer
/// imports the DEKs under its own keyring and opens the sections.
#[test]
fn seller_to_buyer_without_plaintext_keys_or_bulk_reencryption() {
    let seller = Keyring::derive_from_master(&[1; 32], 2, KeyringConfig::default()).unwrap();
    let buyer_ring = Keyring::derive_from_master(&[2; 32], 1, KeyringConfig::default()).unwrap();
    let buyer = RecipientKeyPair::generate().unwrap();
    let published = RecipientPublicKey::from_bytes(buyer.public_key().as_bytes()).unwrap();
    let transfer = TransferId::new_v7();

    let customers: Vec<CustomerId> = (0..5).map(|_| CustomerId::new_v7()).collect();
    let mut package = Vec::new();
    let transfer_key = TransferKey::generate(transfer).unwrap();
    let sealed_key = transfer_key.seal_to(&published).unwrap().encode();
    assert_eq!(sealed_key.len(), SEALED_TRANSFER_KEY_LEN);
    for (i, c) in customers.iter().enumerate() {
        let (dek, wrapped) = seller.generate_dek(*c).unwrap();
        let section = seal_section(&dek, *c, DataCategory::Policies, i as u64, b"policy").unwrap();
        let moved = seller
            .rewrap_for_transfer(&wrapped, &transfer_key)
            .unwrap()
            .encode();
        assert_eq!(moved.len(), TRANSFER_WRAPPED_KEY_LEN);
        package.push((*c, i as u64, section.into_bytes(), moved));
    }
    drop(transfer_key);

    // Buyer side, from bytes only.
    let sealed_key = SealedTransferKey::decode(&sealed_key).unwrap();
    assert_eq!(sealed_key.transfer_id(), transfer);
    let opened = buyer.open_transfer_key(&sealed_key, transfer).unwrap();
    for (c, version, section, moved) in package {
        let moved = TransferWrappedKey::decode(&moved).unwrap();
        assert_eq!((moved.customer(), moved.transfer_id()), (c, transfer));
        let imported = buyer_ring.import_transfer_wrapped(&opened, &moved).unwrap();
        assert_eq!(imported.kek_version(), 1);
        let dek = buyer_ring.unwrap(&imported).unwrap();
        let section = custodia_crypto::SealedSection::from_vec(section).unwrap();
        assert_eq!(
            open_section(&dek, c, DataCategory::Policies, version, &section)
                .unwrap()
                .as_slice(),
            b"policy"
        );
    }
}

/// The transfer id is bound: the HPKE `info` of the sealed key and the AAD of every moved DEK.
#[test]
fn transfer_context_swaps_are_rejected() {
    let seller = common::keyring();
    let buyer = RecipientKeyPair::generate().unwrap();
    let (t1, t2) = (TransferId::new_v7(), TransferId::new_v7());
    let k1 = TransferKey::generate(t1).unwrap();
    let k2 = TransferKey::generate(t2).unwrap();
    let sealed1 = k1.seal_to(&buyer.public_key()).unwrap();

    // Opening for another transfer id fails, even with the right private key: the label says so, and
    // relabelled bytes do not authenticate (the HPKE info and AAD bind the transfer id).
    assert_eq!(
        buyer.open_transfer_key(&sealed1, t2).unwrap_err(),
        CryptoError::TransferMismatch {
            expected: t2,
            found: t1
        }
    );
    let mut relabelled = sealed1.encode();
    relabelled[1..17].copy_from_slice(t2.as_bytes());
    let relabelled = SealedTransferKey::decode(&relabelled).unwrap();
    assert_eq!(
        buyer.open_transfer_key(&relabelled, t2).unwrap_err(),
        CryptoError::DecryptionFailed
    );
    // Another buyer cannot open it.
    let stranger = RecipientKeyPair::generate().unwrap();
    assert_eq!(
        stranger.open_transfer_key(&sealed1, t1).unwrap_err(),
        CryptoError::DecryptionFailed
    );

    let c = CustomerId::new_v7();
    let (_, wrapped) = seller.generate_dek(c).unwrap();
    let moved = seller.rewrap_for_transfer(&wrapped, &k1).unwrap();
    // Another transfer's key does not unwrap it, whether labelled so or relabelled.
    assert_eq!(
        k2.unwrap_data_key(&moved).unwrap_err(),
        CryptoError::TransferMismatch {
            expected: t2,
            found: t1
        }
    );
    let mut relabelled = moved.encode();
    relabelled[1..17].copy_from_slice(t2.as_bytes());
    let relabelled = TransferWrappedKey::decode(&relabelled).unwrap();
    assert_eq!(
        k2.unwrap_data_key(&relabelled).unwrap_err(),
        CryptoError::DecryptionFailed
    );
    // Relabelled transfer id, customer or DEK id: rejected.
    let bytes = moved.encode();
    for range in [1..17, 17..33, 33..49] {
        let mut relabelled = bytes.clone();
        let fresh = *CustomerId::new_v7().as_bytes();
        relabelled[range].copy_from_slice(&fresh);
        let w = TransferWrappedKey::decode(&relabelled).unwrap();
        assert!(k1.unwrap_data_key(&w).is_err());
    }
    assert!(k1.unwrap_data_key(&moved).is_ok());
}

/// Every single-bit flip of an encoded sealed transfer key and of a transfer-wrapped key is rejected.
#[test]
fn every_single_bit_flip_of_sealed_transfer_keys_is_rejected() {
    let buyer = RecipientKeyPair::generate().unwrap();
    let transfer = TransferId::new_v7();
    let key = TransferKey::generate(transfer).unwrap();
    let bytes = key.seal_to(&buyer.public_key()).unwrap().encode();
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        if let Ok(s) = SealedTransferKey::decode(&flipped) {
            assert!(buyer.open_transfer_key(&s, transfer).is_err(), "bit {bit}");
        }
    }

    let seller = common::keyring();
    let (_, wrapped) = seller.generate_dek(CustomerId::new_v7()).unwrap();
    let moved = seller.rewrap_for_transfer(&wrapped, &key).unwrap().encode();
    for bit in 0..moved.len() * 8 {
        let mut flipped = moved.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        if let Ok(w) = TransferWrappedKey::decode(&flipped) {
            assert!(key.unwrap_data_key(&w).is_err(), "bit {bit}");
        }
    }
}

/// A buyer key pair survives export and reload of its private key, and keys derive deterministically.
#[test]
fn recipient_keys_export_and_reload() {
    let pair = RecipientKeyPair::generate().unwrap();
    let again = RecipientKeyPair::from_private_bytes(pair.expose_private_bytes()).unwrap();
    assert_eq!(again.public_key(), pair.public_key());
    assert_eq!(
        RecipientKeyPair::derive_from_ikm(&[7; 32]).unwrap().public_key(),
        RecipientKeyPair::derive_from_ikm(&[7; 32]).unwrap().public_key()
    );
    assert!(RecipientKeyPair::derive_from_ikm(&[7; 31]).is_err());
    assert!(RecipientKeyPair::from_private_bytes(&[1; 33]).is_err());
    assert!(RecipientPublicKey::from_bytes(&[1; 31]).is_err());
    let json = serde_json::to_string(&pair.public_key()).unwrap();
    let back: RecipientPublicKey = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pair.public_key());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Decoding arbitrary bytes never panics; anything that decodes re-encodes to the same bytes.
    #[test]
    fn decoding_arbitrary_bytes_is_total(bytes in prop::collection::vec(any::<u8>(), 0..160)) {
        if let Ok(s) = SealedTransferKey::decode(&bytes) {
            prop_assert_eq!(s.encode(), bytes.clone());
        }
        if let Ok(w) = TransferWrappedKey::decode(&bytes) {
            prop_assert_eq!(w.encode(), bytes);
        }
    }
}

/// Every truncation of valid encodings is an error, never a panic.
#[test]
fn truncated_encodings_are_errors() {
    let buyer = RecipientKeyPair::derive_from_ikm(&[3; 32]).unwrap();
    let key = TransferKey::generate(TransferId::new_v7()).unwrap();
    let sealed = key.seal_to(&buyer.public_key()).unwrap().encode();
    for cut in 0..sealed.len() {
        assert!(SealedTransferKey::decode(&sealed[..cut]).is_err());
    }
    let seller = common::keyring();
    let (_, wrapped) = seller.generate_dek(CustomerId::new_v7()).unwrap();
    let moved = seller.rewrap_for_transfer(&wrapped, &key).unwrap().encode();
    for cut in 0..moved.len() {
        assert!(TransferWrappedKey::decode(&moved[..cut]).is_err());
    }
}

/// A low-order buyer key (all zeros gives an all-zero shared secret) is refused, not silently used.
#[test]
fn low_order_recipient_keys_are_refused() {
    let key = TransferKey::generate(TransferId::new_v7()).unwrap();
    let zero = RecipientPublicKey::from_bytes(&[0; 32]).unwrap();
    assert!(matches!(key.seal_to(&zero), Err(CryptoError::InvalidKey { .. })));
}
