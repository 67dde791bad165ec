//! Sealed sections: round trips, context binding, tamper detection and total decoding.

mod common;

use custodia_crypto::{CryptoError, SECTION_OVERHEAD, SealedSection, open_section, seal_section};
use custodia_model::{CustomerId, DataCategory};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every plaintext, category and record version round-trips, and the byte form round-trips too.
    #[test]
    fn seal_open_round_trip(
        plaintext in prop::collection::vec(any::<u8>(), 0..4096),
        category in common::category(),
        version in any::<u64>(),
    ) {
        let kr = common::keyring();
        let customer = CustomerId::new_v7();
        let (dek, _) = kr.generate_dek(customer).unwrap();
        let sealed = seal_section(&dek, customer, category, version, &plaintext).unwrap();
        prop_assert_eq!(sealed.as_bytes().len(), plaintext.len() + SECTION_OVERHEAD);
        let parsed = SealedSection::from_bytes(sealed.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &sealed);
        let opened = open_section(&dek, customer, category, version, &parsed).unwrap();
        prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
    }

    /// A section moved to another category or record version does not open.
    #[test]
    fn context_swaps_are_rejected(
        category in common::category(),
        other_category in common::category(),
        version in any::<u64>(),
        other_version in any::<u64>(),
    ) {
        let kr = common::keyring();
        let customer = CustomerId::new_v7();
        let (dek, _) = kr.generate_dek(customer).unwrap();
        let sealed = seal_section(&dek, customer, category, version, b"name=Zhang San").unwrap();
        if other_category != category {
            prop_assert_eq!(
                open_section(&dek, customer, other_category, version, &sealed),
                Err(CryptoError::DecryptionFailed)
            );
        }
        if other_version != version {
            prop_assert_eq!(
                open_section(&dek, customer, category, other_version, &sealed),
                Err(CryptoError::DecryptionFailed)
            );
        }
    }

    /// Decoding never panics on any input, and whatever decodes does not open.
    #[test]
    fn decoding_arbitrary_bytes_is_total(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let kr = common::keyring();
        let customer = CustomerId::new_v7();
        let (dek, _) = kr.generate_dek(customer).unwrap();
        if let Ok(section) = SealedSection::from_bytes(&bytes) {
            prop_assert!(open_section(&dek, customer, DataCategory::Identity, 1, &section).is_err());
        }
    }
}

/// A ciphertext moved to another customer fails: with the other customer's key it names the wrong DEK,
/// and even relabelled with that DEK id it does not authenticate.
#[test]
fn moving_a_section_to_another_customer_fails() {
    let kr = common::keyring();
    let (alice, bob) = (CustomerId::new_v7(), CustomerId::new_v7());
    let (alice_key, _) = kr.generate_dek(alice).unwrap();
    let (bob_key, _) = kr.generate_dek(bob).unwrap();
    let sealed = seal_section(&alice_key, alice, DataCategory::Health, 7, b"diabetes: no").unwrap();
    assert!(matches!(
        open_section(&bob_key, bob, DataCategory::Health, 7, &sealed),
        Err(CryptoError::WrongDataKey { .. })
    ));
    let mut relabelled = sealed.to_bytes();
    relabelled[1..17].copy_from_slice(bob_key.id().as_bytes());
    let relabelled = SealedSection::from_bytes(&relabelled).unwrap();
    assert_eq!(
        open_section(&bob_key, bob, DataCategory::Health, 7, &relabelled),
        Err(CryptoError::DecryptionFailed)
    );
    assert!(matches!(
        open_section(&alice_key, bob, DataCategory::Health, 7, &sealed),
        Err(CryptoError::CustomerMismatch { .. })
    ));
}

/// Every single-bit flip of a sealed section (header, nonce, ciphertext, tag) is rejected.
#[test]
fn every_single_bit_flip_of_a_sealed_section_is_rejected() {
    let kr = common::keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = kr.generate_dek(customer).unwrap();
    let plaintext: Vec<u8> = (0..=255).collect();
    let sealed = seal_section(&dek, customer, DataCategory::Policies, 2, &plaintext).unwrap();
    let bytes = sealed.as_bytes();
    let mut decoded_and_rejected = 0;
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        if let Ok(s) = SealedSection::from_bytes(&flipped) {
            assert!(
                open_section(&dek, customer, DataCategory::Policies, 2, &s).is_err(),
                "bit {bit}"
            );
            decoded_and_rejected += 1;
        }
    }
    // Only the version byte's flips fail to decode; all the others reach authentication and fail there.
    assert_eq!(decoded_and_rejected, bytes.len() * 8 - 8);
}
