//! The `KeyStore` suite: wrapped keys, rewraps, blind indexes and crypto-shredding that is total and final.

use custodia_crypto::{
    BlindIndexConfig, BlindIndexField, BlindIndexer, CryptoError, KeyStore, Keyring, KeyringConfig,
    seal_section,
};
use custodia_model::{CustomerId, DataCategory};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn keyring() -> Keyring {
    Keyring::derive_from_master(&[9u8; 32], 1, KeyringConfig::default()).unwrap()
}

fn indexer() -> BlindIndexer {
    BlindIndexer::new(&[3u8; 32], BlindIndexConfig::with_bits(16).unwrap()).unwrap()
}

fn at(seconds: i64, nanos: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, nanos).unwrap()
}

/// Runs every [`KeyStore`] check against the key stores `make` returns: a fresh, empty one on each call.
/// `cases` bounds the property test.
///
/// # Panics
///
/// When the store breaks the [`KeyStore`] contract, naming the check and what the store answered.
pub fn key_store_suite<K: KeyStore>(make: &dyn Fn() -> K, cases: u32) {
    let run = |name: &str, body: &dyn Fn(K)| crate::check("key store", name, || body(make()));
    run("wrapped_keys_round_trip", &wrapped_keys_round_trip);
    run("a_rewrap_replaces_in_place", &a_rewrap_replaces_in_place);
    run(
        "blind_indexes_find_their_customers",
        &blind_indexes_find_their_customers,
    );
    run("destruction_is_total_and_final", &destruction_is_total_and_final);
    run(
        "one_key_store_serves_by_reference",
        &one_key_store_serves_by_reference,
    );
    crate::check("key store", "any_destruction_leaves_exactly_the_others", || {
        any_destruction_leaves_exactly_the_others(make, cases)
    });
}

fn wrapped_keys_round_trip<K: KeyStore>(store: K) {
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    assert!(store.wrapped_keys(customer).unwrap().is_empty());
    let (first, wrapped_first) = keyring.generate_dek(customer).unwrap();
    let (_, wrapped_second) = keyring.generate_dek(customer).unwrap();
    store.put_wrapped_key(&wrapped_first).unwrap();
    store.put_wrapped_key(&wrapped_second).unwrap();
    let mut ids: Vec<_> = store
        .wrapped_keys(customer)
        .unwrap()
        .iter()
        .map(|k| k.dek_id())
        .collect();
    ids.sort();
    let mut expected = vec![wrapped_first.dek_id(), wrapped_second.dek_id()];
    expected.sort();
    assert_eq!(ids, expected);
    let back = store.wrapped_key(customer, first.id()).unwrap();
    assert_eq!(back.encode(), wrapped_first.encode());
    // What comes back unwraps to the same key: a section sealed before opens after.
    let sealed = seal_section(&first, customer, DataCategory::Identity, 1, b"name").unwrap();
    let opened = keyring
        .open_stored_section(&store, customer, DataCategory::Identity, 1, &sealed)
        .unwrap();
    assert_eq!(opened.as_slice(), b"name");
    let other = CustomerId::new_v7();
    assert_eq!(
        store.wrapped_key(other, first.id()).unwrap_err(),
        CryptoError::UnknownDataKey {
            customer: other,
            dek_id: first.id()
        }
    );
    assert_eq!(store.destroyed_at(customer).unwrap(), None);
}

fn a_rewrap_replaces_in_place<K: KeyStore>(store: K) {
    let mut keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
    store.put_wrapped_key(&wrapped).unwrap();
    keyring.rotate().unwrap();
    let rewrapped = keyring.rewrap(&wrapped).unwrap();
    store.put_wrapped_key(&rewrapped).unwrap();
    let keys = store.wrapped_keys(customer).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kek_version(), 2);
    assert_eq!(
        store.wrapped_key(customer, dek.id()).unwrap().encode(),
        rewrapped.encode()
    );
}

fn blind_indexes_find_their_customers<K: KeyStore>(store: K) {
    let indexer = indexer();
    let (alice, bob) = (CustomerId::new_v7(), CustomerId::new_v7());
    let shared = indexer.index(BlindIndexField::Phone, "13800138000").unwrap();
    let alice_mail = indexer
        .index(BlindIndexField::Email, "alice@example.com")
        .unwrap();
    store.put_blind_index(alice, &shared).unwrap();
    store.put_blind_index(bob, &shared).unwrap();
    store.put_blind_index(alice, &alice_mail).unwrap();
    store.put_blind_index(alice, &alice_mail).unwrap(); // twice is once
    let mut found = store.find_customers(&shared).unwrap();
    found.sort();
    let mut expected = vec![alice, bob];
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(store.find_customers(&alice_mail).unwrap(), vec![alice]);
    let nobody = indexer
        .index(BlindIndexField::Email, "nobody@example.com")
        .unwrap();
    assert!(store.find_customers(&nobody).unwrap().is_empty());
    // The same digits in another field are another index.
    let as_id = indexer
        .index(BlindIndexField::IdentityNumber, "13800138000")
        .unwrap();
    assert!(store.find_customers(&as_id).unwrap().is_empty());
}

fn destruction_is_total_and_final<K: KeyStore>(store: K) {
    let keyring = keyring();
    let indexer = indexer();
    let (alice, bob) = (CustomerId::new_v7(), CustomerId::new_v7());
    let (alice_key, alice_wrapped) = keyring.generate_dek(alice).unwrap();
    let (_, alice_wrapped_2) = keyring.generate_dek(alice).unwrap();
    let (bob_key, bob_wrapped) = keyring.generate_dek(bob).unwrap();
    for wrapped in [&alice_wrapped, &alice_wrapped_2, &bob_wrapped] {
        store.put_wrapped_key(wrapped).unwrap();
    }
    let phone = indexer.index(BlindIndexField::Phone, "13800138000").unwrap();
    let mail = indexer
        .index(BlindIndexField::Email, "alice@example.com")
        .unwrap();
    store.put_blind_index(alice, &phone).unwrap();
    store.put_blind_index(alice, &mail).unwrap();
    store.put_blind_index(bob, &phone).unwrap();
    let sealed = seal_section(&alice_key, alice, DataCategory::Health, 2, b"diagnosis").unwrap();

    let when = at(1_790_000_000, 123_456_789);
    let evidence = store.destroy_customer(alice, when).unwrap();
    let mut expected = vec![alice_wrapped.dek_id(), alice_wrapped_2.dek_id()];
    expected.sort();
    assert_eq!(evidence.customer(), alice);
    assert_eq!(evidence.dek_ids(), expected.as_slice());
    assert_eq!(evidence.blind_index_entries(), 2);
    assert_eq!(evidence.destroyed_at(), when);
    assert_eq!(evidence.citation().to_string(), "PIPL Art 47");
    assert_eq!(
        store.destroyed_at(alice).unwrap(),
        Some(when),
        "the tombstone keeps the exact time"
    );

    let gone = CryptoError::KeyDestroyed { customer: alice };
    assert_eq!(store.wrapped_keys(alice).unwrap_err(), gone);
    assert_eq!(store.wrapped_key(alice, alice_key.id()).unwrap_err(), gone);
    assert_eq!(store.put_wrapped_key(&alice_wrapped).unwrap_err(), gone);
    assert_eq!(store.put_blind_index(alice, &phone).unwrap_err(), gone);
    assert_eq!(store.destroy_customer(alice, when).unwrap_err(), gone);
    assert_eq!(
        keyring
            .open_stored_section(&store, alice, DataCategory::Health, 2, &sealed)
            .unwrap_err(),
        gone
    );
    assert_eq!(store.find_customers(&phone).unwrap(), vec![bob]);
    assert!(store.find_customers(&mail).unwrap().is_empty());
    // Bob is untouched.
    assert_eq!(store.destroyed_at(bob).unwrap(), None);
    assert_eq!(
        keyring.load_data_key(&store, bob, bob_key.id()).unwrap().id(),
        bob_key.id()
    );
}

fn one_key_store_serves_by_reference<K: KeyStore>(store: K) {
    // Writes through a borrow are seen by the owner: the seam takes `&self` throughout.
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
    let borrowed = &store;
    borrowed.put_wrapped_key(&wrapped).unwrap();
    assert_eq!(
        store.wrapped_key(customer, dek.id()).unwrap().encode(),
        wrapped.encode()
    );
    borrowed.destroy_customer(customer, at(1_790_000_000, 0)).unwrap();
    assert!(store.destroyed_at(customer).unwrap().is_some());
}

fn any_destruction_leaves_exactly_the_others<K: KeyStore>(make: &dyn Fn() -> K, cases: u32) {
    let keyring = keyring();
    let indexer = indexer();
    let phones: Vec<_> = (0..4)
        .map(|i| {
            indexer
                .index(BlindIndexField::Phone, &format!("1380013800{i}"))
                .unwrap()
        })
        .collect();
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strategy = prop::collection::vec((0usize..4, any::<bool>()), 1..8);
    runner
        .run(&strategy, |customers| {
            let store = make();
            let mut plan = Vec::new();
            for &(phone, destroy) in &customers {
                let customer = CustomerId::new_v7();
                let (_, wrapped) = keyring.generate_dek(customer).unwrap();
                store.put_wrapped_key(&wrapped).unwrap();
                store.put_blind_index(customer, &phones[phone]).unwrap();
                plan.push((customer, phone, destroy));
            }
            for (customer, _, destroy) in &plan {
                if *destroy {
                    let evidence = store.destroy_customer(*customer, at(1_790_000_000, 0)).unwrap();
                    prop_assert_eq!(evidence.dek_ids().len(), 1);
                    prop_assert_eq!(evidence.blind_index_entries(), 1);
                }
            }
            for (i, phone) in phones.iter().enumerate() {
                let mut found = store.find_customers(phone).unwrap();
                found.sort();
                let mut expected: Vec<CustomerId> = plan
                    .iter()
                    .filter(|(_, p, d)| *p == i && !*d)
                    .map(|(c, _, _)| *c)
                    .collect();
                expected.sort();
                prop_assert_eq!(found, expected);
            }
            for (customer, _, destroy) in &plan {
                let keys = store.wrapped_keys(*customer);
                if *destroy {
                    prop_assert_eq!(
                        keys.unwrap_err(),
                        CryptoError::KeyDestroyed { customer: *customer }
                    );
                } else {
                    prop_assert_eq!(keys.unwrap().len(), 1);
                }
            }
            Ok(())
        })
        .unwrap();
}
