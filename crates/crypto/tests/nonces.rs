//! No nonce repeats over a million seals under one key (random 96-bit nonces from the buffered pool).

use std::collections::HashSet;

use custodia_crypto::{Keyring, KeyringConfig, SECTION_HEADER_LEN, seal_section};
use custodia_model::{CustomerId, DataCategory};

#[test]
fn no_nonce_repeats_over_a_million_seals_under_one_key() {
    const SEALS: usize = 1_000_000;
    let kr = Keyring::derive_from_master(&[8; 32], 1, KeyringConfig::default()).unwrap();
    let customer = CustomerId::new_v7();
    let (dek, _) = kr.generate_dek(customer).unwrap();
    let mut seen: HashSet<[u8; 12]> = HashSet::with_capacity(SEALS);
    for i in 0..SEALS {
        let sealed = seal_section(&dek, customer, DataCategory::Contact, i as u64, &[]).unwrap();
        let nonce: [u8; 12] = sealed.as_bytes()[17..SECTION_HEADER_LEN].try_into().unwrap();
        assert!(seen.insert(nonce), "nonce repeated after {i} seals");
    }
    assert_eq!(seen.len(), SEALS);
}

/// Threads each draw from their own buffer; their nonces do not collide with each other either.
#[test]
fn nonces_from_several_threads_do_not_collide() {
    let kr = Keyring::derive_from_master(&[8; 32], 1, KeyringConfig::default()).unwrap();
    let customer = CustomerId::new_v7();
    let (dek, _) = kr.generate_dek(customer).unwrap();
    let all: Vec<Vec<[u8; 12]>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..20_000)
                        .map(|_| {
                            let sealed = seal_section(&dek, customer, DataCategory::Contact, 1, b"").unwrap();
                            sealed.as_bytes()[17..SECTION_HEADER_LEN].try_into().unwrap()
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seen = HashSet::new();
    for nonce in all.into_iter().flatten() {
        assert!(seen.insert(nonce));
    }
    assert_eq!(seen.len(), 80_000);
}
