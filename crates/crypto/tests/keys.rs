//! Wrapped keys and KEK rotation: context binding, tamper detection, rotation and retirement.

mod common;

use custodia_crypto::{
    CryptoError, DekId, Keyring, KeyringConfig, WRAPPED_KEY_LEN, WrappedKey, open_section, seal_section,
};
use custodia_model::{CustomerId, DataCategory};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any customer's DEK wraps, encodes, decodes and unwraps to the same key (same sections open).
    #[test]
    fn wrap_encode_decode_unwrap_round_trip(customer in common::customer(), rotations in 0u32..4) {
        let mut kr = common::keyring();
        for _ in 0..rotations {
            kr.rotate().unwrap();
        }
        let (dek, wrapped) = kr.generate_dek(customer).unwrap();
        prop_assert_eq!(wrapped.kek_version(), 1 + rotations);
        let decoded = WrappedKey::decode(&wrapped.encode()).unwrap();
        prop_assert_eq!(&decoded, &wrapped);
        let again = kr.unwrap(&decoded).unwrap();
        prop_assert_eq!(again.id(), dek.id());
        let sealed = seal_section(&dek, customer, DataCategory::Contact, 1, b"x").unwrap();
        prop_assert!(open_section(&again, customer, DataCategory::Contact, 1, &sealed).is_ok());
    }

    /// Decoding arbitrary bytes never panics.
    #[test]
    fn decoding_arbitrary_bytes_is_total(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(w) = WrappedKey::decode(&bytes) {
            prop_assert_eq!(w.encode(), bytes);
        }
    }
}

/// Relabelling a wrapped key with another customer, DEK id or KEK version makes it fail to unwrap.
#[test]
fn wrap_aad_binds_customer_dek_id_and_kek_version() {
    let mut kr = common::keyring();
    kr.rotate().unwrap();
    let (_, wrapped) = kr.generate_dek(CustomerId::new_v7()).unwrap();
    let bytes = wrapped.encode();
    assert_eq!(bytes.len(), WRAPPED_KEY_LEN);

    let mut other_customer = bytes.clone();
    other_customer[1..17].copy_from_slice(CustomerId::new_v7().as_bytes());
    let mut other_dek = bytes.clone();
    other_dek[17..33].copy_from_slice(DekId::new_v7().as_bytes());
    let mut other_version = bytes.clone();
    other_version[33..37].copy_from_slice(&1u32.to_be_bytes());
    for relabelled in [other_customer, other_dek, other_version] {
        let w = WrappedKey::decode(&relabelled).unwrap();
        assert_eq!(kr.unwrap(&w).unwrap_err(), CryptoError::DecryptionFailed);
    }
    let mut unknown_version = bytes;
    unknown_version[33..37].copy_from_slice(&9u32.to_be_bytes());
    assert_eq!(
        kr.unwrap(&WrappedKey::decode(&unknown_version).unwrap())
            .unwrap_err(),
        CryptoError::UnknownKekVersion { version: 9 }
    );
}

/// Rotation keeps old data readable until the minimum decryption version rises past it; rewrapped keys
/// keep working; the retired ones fail with a clear, typed error.
#[test]
fn rotation_keeps_old_data_readable_until_retired() {
    let mut kr = Keyring::derive_from_master(&[1; 32], 1, KeyringConfig::default()).unwrap();
    let customer = CustomerId::new_v7();
    let (dek, old_wrap) = kr.generate_dek(customer).unwrap();
    let sealed = seal_section(&dek, customer, DataCategory::Identity, 1, b"110105194912310029").unwrap();
    drop(dek);

    assert_eq!(kr.rotate().unwrap(), 2);
    assert_eq!(kr.primary_version(), 2);
    // Old wrap still opens, and the data with it.
    let k = kr.unwrap(&old_wrap).unwrap();
    assert!(open_section(&k, customer, DataCategory::Identity, 1, &sealed).is_ok());
    // New DEKs go to version 2; rewrap moves the old one.
    let (_, new_wrap) = kr.generate_dek(customer).unwrap();
    assert_eq!(new_wrap.kek_version(), 2);
    let moved = kr.rewrap(&old_wrap).unwrap();
    assert_eq!((moved.kek_version(), moved.dek_id()), (2, old_wrap.dek_id()));

    kr.set_min_decrypt_version(2).unwrap();
    assert_eq!(
        kr.unwrap(&old_wrap).unwrap_err(),
        CryptoError::KekRetired {
            version: 1,
            minimum: 2
        }
    );
    assert_eq!(
        kr.rewrap(&old_wrap).unwrap_err(),
        CryptoError::KekRetired {
            version: 1,
            minimum: 2
        }
    );
    assert!(
        CryptoError::KekRetired {
            version: 1,
            minimum: 2
        }
        .to_string()
        .contains("retired")
    );
    let k = kr.unwrap(&moved).unwrap();
    assert_eq!(
        open_section(&k, customer, DataCategory::Identity, 1, &sealed)
            .unwrap()
            .as_slice(),
        b"110105194912310029"
    );
}

/// A keyring restored from the same master and explicit material for old versions opens the same keys.
#[test]
fn explicit_material_keyrings_open_what_they_wrapped() {
    let mut kr = Keyring::from_key_material(1, &[3; 32], KeyringConfig::default()).unwrap();
    let (_, w1) = kr.generate_dek(CustomerId::new_v7()).unwrap();
    assert_eq!(kr.rotate_with_key_material(&[4; 32]).unwrap(), 2);
    let (_, w2) = kr.generate_dek(CustomerId::new_v7()).unwrap();

    let mut restored = Keyring::from_key_material(2, &[4; 32], KeyringConfig::default()).unwrap();
    assert_eq!(
        restored.unwrap(&w1).unwrap_err(),
        CryptoError::KekRetired {
            version: 1,
            minimum: 2
        }
    );
    restored.add_key_material(1, &[3; 32]).unwrap();
    assert!(restored.unwrap(&w1).is_ok());
    assert!(restored.unwrap(&w2).is_ok());
}

/// Every single-bit flip of an encoded wrapped key is rejected, at decoding or at unwrapping.
#[test]
fn every_single_bit_flip_of_a_wrapped_key_is_rejected() {
    let kr = common::keyring();
    let (_, wrapped) = kr.generate_dek(CustomerId::new_v7()).unwrap();
    let bytes = wrapped.encode();
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        if let Ok(w) = WrappedKey::decode(&flipped) {
            assert!(kr.unwrap(&w).is_err(), "bit {bit}");
        }
    }
}

/// Rotating a customer's DEK itself: a second data key for the same customer; each section names the
/// key that sealed it, and the store finds the right one.
#[test]
fn dek_rotation_keeps_both_generations_openable() {
    use custodia_crypto::{InMemoryKeyStore, KeyStore};
    let kr = common::keyring();
    let store = InMemoryKeyStore::new();
    let c = CustomerId::new_v7();
    let (old, old_wrap) = kr.generate_dek(c).unwrap();
    let (new, new_wrap) = kr.generate_dek(c).unwrap();
    assert_ne!(old.id(), new.id());
    store.put_wrapped_key(&old_wrap).unwrap();
    store.put_wrapped_key(&new_wrap).unwrap();
    let s_old = seal_section(&old, c, DataCategory::Contact, 1, b"v1").unwrap();
    let s_new = seal_section(&new, c, DataCategory::Contact, 2, b"v2").unwrap();
    assert_eq!((s_old.dek_id(), s_new.dek_id()), (old.id(), new.id()));
    assert_eq!(store.wrapped_keys(c).unwrap().len(), 2);
    for (s, v, text) in [(&s_old, 1, b"v1"), (&s_new, 2, b"v2")] {
        let plain = kr
            .open_stored_section(&store, c, DataCategory::Contact, v, s)
            .unwrap();
        assert_eq!(plain.as_slice(), text);
    }
}
