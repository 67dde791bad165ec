//! The `SectionVault` suite over a backend's `SectionRows`: compare-and-insert, history, stale versions, purges and tombstones.

use chrono::{DateTime, Utc};
use custodia_crypto::{
    CryptoError, DataKey, InsertOutcome, Keyring, KeyringConfig, SealedSection, SectionInsert, SectionVault,
    open_section, seal_section,
};
use custodia_model::{CustomerId, DataCategory};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// An erasure time with nanoseconds, which every backend must keep exactly.
fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 987_654_321).unwrap()
}

fn keyring() -> Keyring {
    Keyring::derive_from_master(&[9u8; 32], 1, KeyringConfig::default()).unwrap()
}

fn sealed(
    key: &DataKey,
    customer: CustomerId,
    category: DataCategory,
    version: u64,
    text: &str,
) -> SealedSection {
    seal_section(key, customer, category, version, text.as_bytes()).unwrap()
}

/// Runs every [`SectionVault`] check against the vaults `make` returns: a fresh, empty one on each call.
/// The vault's rules are `custodia-crypto`'s; what this checks is that the backend's
/// [`SectionRows`](custodia_crypto::SectionRows) give them what they rely on. `cases` bounds the property
/// test.
///
/// # Panics
///
/// When the backend breaks the [`SectionRows`](custodia_crypto::SectionRows) contract, naming the check
/// and what it answered.
pub fn section_vault_suite<V: SectionVault>(make: &dyn Fn() -> V, cases: u32) {
    let run = |name: &str, body: &dyn Fn(V)| crate::check("section vault", name, || body(make()));
    run("empty_vault", &empty_vault);
    run(
        "compare_and_insert_writes_nothing_when_the_newest_moved",
        &compare_and_insert_is_atomic,
    );
    run("history_keeps_every_version", &history_keeps_every_version);
    run("stale_versions_are_refused", &stale_versions_are_refused);
    run(
        "customers_and_categories_are_separate",
        &customers_and_categories_are_separate,
    );
    run("purge_removes_one_customer", &purge_removes_one_customer);
    run(
        "purge_categories_keeps_the_others",
        &purge_categories_keeps_the_others,
    );
    run(
        "erasure_leaves_a_tombstone_and_versions_only_go_forward",
        &tombstones_keep_versions_going_forward,
    );
    run("one_vault_serves_by_reference", &one_vault_serves_by_reference);
    crate::check("section vault", "any_version_sequence_keeps_its_history", || {
        any_version_sequence_keeps_its_history(make, cases)
    });
}

fn empty_vault<V: SectionVault>(vault: V) {
    let customer = CustomerId::new_v7();
    assert_eq!(vault.section(customer, DataCategory::Health, 1).unwrap(), None);
    assert_eq!(
        vault.latest_section(customer, DataCategory::Health).unwrap(),
        None
    );
    assert!(
        vault
            .section_history(customer, DataCategory::Health)
            .unwrap()
            .is_empty()
    );
    assert!(vault.categories(customer).unwrap().is_empty());
}

fn history_keeps_every_version<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = keyring.generate_dek(customer).unwrap();
    let category = DataCategory::Health;
    let v1 = sealed(&dek, customer, category, 1, "{\"smoker\":true}");
    let v2 = sealed(&dek, customer, category, 2, "{\"smoker\":false}");
    let v5 = sealed(&dek, customer, category, 5, "{\"smoker\":false,\"bmi\":22}");
    vault.put_section(customer, category, 1, &v1).unwrap();
    vault.put_section(customer, category, 2, &v2).unwrap();
    vault.put_section(customer, category, 5, &v5).unwrap();
    let history = vault.section_history(customer, category).unwrap();
    assert_eq!(
        history.iter().map(|s| s.record_version()).collect::<Vec<_>>(),
        vec![1, 2, 5]
    );
    assert_eq!(history[1].sealed(), &v2);
    let latest = vault.latest_section(customer, category).unwrap().unwrap();
    assert_eq!(latest.record_version(), 5);
    assert_eq!(latest.sealed().as_bytes(), v5.as_bytes());
    assert_eq!(vault.section(customer, category, 2).unwrap(), Some(v2));
    assert_eq!(vault.section(customer, category, 3).unwrap(), None);
    // What comes back opens under the context it was sealed in, and only that one.
    let back = vault.section(customer, category, 1).unwrap().unwrap();
    assert_eq!(
        open_section(&dek, customer, category, 1, &back)
            .unwrap()
            .as_slice(),
        b"{\"smoker\":true}"
    );
    assert!(open_section(&dek, customer, category, 2, &back).is_err());
}

fn stale_versions_are_refused<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = keyring.generate_dek(customer).unwrap();
    let category = DataCategory::Contact;
    vault
        .put_section(customer, category, 3, &sealed(&dek, customer, category, 3, "a"))
        .unwrap();
    for version in [3, 2, 0] {
        let refused = vault.put_section(
            customer,
            category,
            version,
            &sealed(&dek, customer, category, version, "b"),
        );
        assert_eq!(
            refused,
            Err(CryptoError::StaleSectionVersion {
                customer,
                category,
                version,
                latest: 3
            })
        );
    }
    assert_eq!(vault.section_history(customer, category).unwrap().len(), 1);
    vault
        .put_section(customer, category, 4, &sealed(&dek, customer, category, 4, "c"))
        .unwrap();
}

fn customers_and_categories_are_separate<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let alice = CustomerId::new_v7();
    let bob = CustomerId::new_v7();
    let (alice_key, _) = keyring.generate_dek(alice).unwrap();
    let (bob_key, _) = keyring.generate_dek(bob).unwrap();
    for category in [DataCategory::KycAml, DataCategory::Identity, DataCategory::Health] {
        vault
            .put_section(
                alice,
                category,
                1,
                &sealed(&alice_key, alice, category, 1, "alice"),
            )
            .unwrap();
    }
    vault
        .put_section(
            bob,
            DataCategory::Contact,
            7,
            &sealed(&bob_key, bob, DataCategory::Contact, 7, "bob"),
        )
        .unwrap();
    assert_eq!(
        vault.categories(alice).unwrap(),
        vec![DataCategory::Identity, DataCategory::Health, DataCategory::KycAml]
    );
    assert_eq!(vault.categories(bob).unwrap(), vec![DataCategory::Contact]);
    assert_eq!(vault.latest_section(bob, DataCategory::Health).unwrap(), None);
    assert_eq!(vault.latest_section(alice, DataCategory::Contact).unwrap(), None);
    // Bob's version 7 does not stop Alice's version 1 of the same category.
    vault
        .put_section(
            alice,
            DataCategory::Contact,
            1,
            &sealed(&alice_key, alice, DataCategory::Contact, 1, "a"),
        )
        .unwrap();
}

fn purge_removes_one_customer<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let alice = CustomerId::new_v7();
    let bob = CustomerId::new_v7();
    let (alice_key, _) = keyring.generate_dek(alice).unwrap();
    let (bob_key, _) = keyring.generate_dek(bob).unwrap();
    for version in 1..=3 {
        let c = DataCategory::Identity;
        vault
            .put_section(alice, c, version, &sealed(&alice_key, alice, c, version, "a"))
            .unwrap();
    }
    vault
        .put_section(
            alice,
            DataCategory::Health,
            1,
            &sealed(&alice_key, alice, DataCategory::Health, 1, "a"),
        )
        .unwrap();
    vault
        .put_section(
            bob,
            DataCategory::Identity,
            1,
            &sealed(&bob_key, bob, DataCategory::Identity, 1, "b"),
        )
        .unwrap();
    assert_eq!(vault.purge_customer(alice, at()).unwrap(), 4);
    assert!(vault.categories(alice).unwrap().is_empty());
    assert_eq!(vault.section(alice, DataCategory::Identity, 2).unwrap(), None);
    assert_eq!(vault.categories(bob).unwrap(), vec![DataCategory::Identity]);
    assert_eq!(vault.purge_customer(alice, at()).unwrap(), 0);
}

fn purge_categories_keeps_the_others<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let alice = CustomerId::new_v7();
    let bob = CustomerId::new_v7();
    let (alice_key, _) = keyring.generate_dek(alice).unwrap();
    let (bob_key, _) = keyring.generate_dek(bob).unwrap();
    let held = [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::Health,
    ];
    for c in held {
        for version in 1..=2 {
            vault
                .put_section(alice, c, version, &sealed(&alice_key, alice, c, version, "a"))
                .unwrap();
        }
        vault
            .put_section(bob, c, 1, &sealed(&bob_key, bob, c, 1, "b"))
            .unwrap();
    }
    // Contact and health go with every version; a category she never had counts nothing.
    let erase = [DataCategory::Contact, DataCategory::Health, DataCategory::Claims];
    assert_eq!(vault.purge_categories(alice, &erase, at()).unwrap(), 4);
    assert_eq!(vault.categories(alice).unwrap(), vec![DataCategory::Identity]);
    assert_eq!(
        vault
            .section_history(alice, DataCategory::Identity)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(vault.section(alice, DataCategory::Contact, 1).unwrap(), None);
    assert_eq!(vault.categories(bob).unwrap(), held.to_vec());
    assert_eq!(vault.purge_categories(alice, &erase, at()).unwrap(), 0);
    assert_eq!(vault.purge_categories(alice, &[], at()).unwrap(), 0);
}

fn compare_and_insert_is_atomic<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = keyring.generate_dek(customer).unwrap();
    let category = DataCategory::Claims;
    let first = sealed(&dek, customer, category, 4, "first");
    fn insert<'a>(
        (customer, category): (CustomerId, DataCategory),
        record_version: u64,
        sealed: &'a SealedSection,
        expected_newest: Option<u64>,
    ) -> SectionInsert<'a> {
        SectionInsert {
            customer,
            category,
            record_version,
            sealed,
            expected_newest,
        }
    }
    let key = (customer, category);
    assert_eq!(
        vault.insert_row_if_newest(&insert(key, 4, &first, None)).unwrap(),
        InsertOutcome::Inserted
    );
    // A writer that saw nothing stored, or saw another newest version, is told what is there and writes
    // nothing: this is what makes the version rule hold with several writers.
    let second = sealed(&dek, customer, category, 9, "second");
    for stale in [None, Some(3), Some(5)] {
        assert_eq!(
            vault
                .insert_row_if_newest(&insert(key, 9, &second, stale))
                .unwrap(),
            InsertOutcome::NewestMoved { newest: Some(4) },
            "expected {stale:?}"
        );
    }
    assert_eq!(vault.section_history(customer, category).unwrap().len(), 1);
    assert_eq!(
        vault
            .insert_row_if_newest(&insert(key, 9, &second, Some(4)))
            .unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        vault
            .latest_section(customer, category)
            .unwrap()
            .map(|s| s.record_version()),
        Some(9)
    );
}

fn tombstones_keep_versions_going_forward<V: SectionVault>(vault: V) {
    let keyring = keyring();
    let (alice, bob) = (CustomerId::new_v7(), CustomerId::new_v7());
    let (key, _) = keyring.generate_dek(alice).unwrap();
    let (bob_key, _) = keyring.generate_dek(bob).unwrap();
    let contact = DataCategory::Contact;
    assert_eq!(vault.tombstone(alice, contact).unwrap(), None);
    for version in [2, 7] {
        vault
            .put_section(
                alice,
                contact,
                version,
                &sealed(&key, alice, contact, version, "a"),
            )
            .unwrap();
    }
    vault
        .put_section(bob, contact, 1, &sealed(&bob_key, bob, contact, 1, "b"))
        .unwrap();
    let erased_at = at();
    assert_eq!(vault.purge_categories(alice, &[contact], erased_at).unwrap(), 2);
    let tombstone = vault.tombstone(alice, contact).unwrap().unwrap();
    assert_eq!(
        tombstone.erased_at(),
        erased_at,
        "the tombstone keeps the exact time"
    );
    assert_eq!(tombstone.last_version(), 7);
    assert!(!vault.holds_customer(alice).unwrap());
    // A category never held has no tombstone, and neither does another customer.
    assert_eq!(vault.tombstone(alice, DataCategory::Health).unwrap(), None);
    assert_eq!(vault.tombstone(bob, contact).unwrap(), None);
    // A purge that finds nothing leaves the tombstone as it was.
    assert_eq!(
        vault
            .purge_categories(alice, &[contact], erased_at + chrono::Duration::days(1))
            .unwrap(),
        0
    );
    assert_eq!(vault.tombstone(alice, contact).unwrap(), Some(tombstone));
    // Versions never go backwards across an erasure.
    for version in [0, 7] {
        assert_eq!(
            vault.put_section(
                alice,
                contact,
                version,
                &sealed(&key, alice, contact, version, "c")
            ),
            Err(CryptoError::StaleSectionVersion {
                customer: alice,
                category: contact,
                version,
                latest: 7
            })
        );
    }
    vault
        .put_section(alice, contact, 8, &sealed(&key, alice, contact, 8, "d"))
        .unwrap();
    assert_eq!(vault.categories(alice).unwrap(), vec![contact]);
    // Erasing again replaces the tombstone with the later erasure.
    let later = erased_at + chrono::Duration::days(30);
    assert_eq!(vault.purge_customer(alice, later).unwrap(), 1);
    let again = vault.tombstone(alice, contact).unwrap().unwrap();
    assert_eq!((again.erased_at(), again.last_version()), (later, 8));
    assert_eq!(vault.categories(bob).unwrap(), vec![contact]);
}

fn one_vault_serves_by_reference<V: SectionVault>(vault: V) {
    // Writes through a borrow are seen by the owner: the seam takes `&self` throughout.
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = keyring.generate_dek(customer).unwrap();
    let borrowed = &vault;
    borrowed
        .put_section(
            customer,
            DataCategory::Identity,
            1,
            &sealed(&dek, customer, DataCategory::Identity, 1, "i"),
        )
        .unwrap();
    assert!(vault.holds_customer(customer).unwrap());
    assert_eq!(vault.categories(customer).unwrap(), vec![DataCategory::Identity]);
}

fn any_version_sequence_keeps_its_history<V: SectionVault>(make: &dyn Fn() -> V, cases: u32) {
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = keyring.generate_dek(customer).unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(0u64..20, 1..10), |versions| {
            let vault = make();
            let category = DataCategory::Policies;
            let mut kept: Vec<u64> = Vec::new();
            for &version in &versions {
                let section = sealed(&dek, customer, category, version, "p");
                let result = vault.put_section(customer, category, version, &section);
                match kept.last() {
                    Some(&latest) if version <= latest => {
                        prop_assert_eq!(
                            result,
                            Err(CryptoError::StaleSectionVersion {
                                customer,
                                category,
                                version,
                                latest
                            })
                        );
                    }
                    _ => {
                        prop_assert!(result.is_ok());
                        kept.push(version);
                    }
                }
            }
            let history: Vec<u64> = vault
                .section_history(customer, category)
                .unwrap()
                .iter()
                .map(|s| s.record_version())
                .collect();
            prop_assert_eq!(&history, &kept);
            let latest = vault
                .latest_section(customer, category)
                .unwrap()
                .map(|s| s.record_version());
            prop_assert_eq!(latest, kept.last().copied());
            Ok(())
        })
        .unwrap();
}
