//! The shared conformance suite: written once over the traits, run against the in-memory stores, SQLite and PostgreSQL.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use custodia_crypto::{
    BlindIndexConfig, BlindIndexField, BlindIndexer, CryptoError, DataKey, KeyStore, Keyring, KeyringConfig,
    SealedSection, SigningKey, open_section, seal_section,
};
use custodia_ledger::{
    LedgerError, Log, LogStore, MerkleHash, NewEntry, NodeId, NoteSigner, Salt, SignatureKind,
    StoredCheckpoint, TrustPolicy, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
use custodia_model::{CustomerId, DataCategory};
use custodia_store::{SectionVault, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// RFC 9162 MTH over leaf hashes, written the slow recursive way as the reference the stores are checked
/// against.
pub fn reference_root(leaves: &[MerkleHash]) -> MerkleHash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            // k is the largest power of two strictly smaller than n (RFC 9162 §2.1.1).
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

pub fn signer() -> NoteSigner {
    NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap()
}

pub fn policy(signer: &NoteSigner) -> TrustPolicy {
    TrustPolicy::log_only(vec![signer.verifier().clone()]).unwrap()
}

fn payload(batch: usize, item: usize) -> Vec<u8> {
    format!("batch {batch} item {item}").into_bytes()
}

/// Every leaf hash of the log, read back through the store.
fn leaves<S: LogStore>(store: &S) -> Vec<MerkleHash> {
    let size = store.size().unwrap();
    store
        .entries(0..size)
        .unwrap()
        .iter()
        .map(|e| *e.leaf_hash())
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// LogStore

/// Runs every `LogStore` check. `make` returns a fresh, empty store each call; `cases` bounds the
/// property tests (keep it small for a server backend).
pub fn log_store_suite<S: LogStore>(make: &dyn Fn() -> S, cases: u32) {
    empty_store(make());
    appends_read_back_in_order(make());
    roots_and_proofs_match_the_reference(make());
    stale_appends_are_refused_and_write_nothing(make());
    failed_appends_write_nothing(make());
    reads_past_the_end_are_refused(make());
    redaction_keeps_the_tree(make());
    checkpoints_keep_exact_bytes(make());
    checkpoint_sizes_never_go_backwards(make());
    any_batch_sequence_matches_the_reference(make, cases);
}

pub fn empty_store<S: LogStore>(store: S) {
    assert_eq!(store.size().unwrap(), 0);
    assert!(store.entries(0..0).unwrap().is_empty());
    assert!(matches!(
        store.entries(0..1),
        Err(LedgerError::IndexOutOfRange { size: 0, .. })
    ));
    assert!(matches!(
        store.nodes(&[NodeId::new(0, 0).unwrap()]),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    assert!(store.checkpoints().unwrap().is_empty());
    let log = Log::new(store).unwrap();
    assert_eq!(log.root(), empty_root());
}

pub fn appends_read_back_in_order<S: LogStore>(store: S) {
    let mut log = Log::new(store).unwrap();
    let mut expected = Vec::new();
    for (batch, len) in [1usize, 3, 8, 0, 5].into_iter().enumerate() {
        let payloads: Vec<Vec<u8>> = (0..len).map(|i| payload(batch, i)).collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let appended = log.append(&refs).unwrap();
        assert_eq!(appended.first_index(), expected.len() as u64);
        assert_eq!(appended.size(), (expected.len() + len) as u64);
        expected.extend(payloads);
    }
    let store = log.into_store();
    assert_eq!(store.size().unwrap(), expected.len() as u64);
    let entries = store.entries(0..expected.len() as u64).unwrap();
    for (i, (entry, payload)) in entries.iter().zip(&expected).enumerate() {
        assert_eq!(entry.index(), i as u64);
        assert_eq!(entry.payload(), Some(payload.as_slice()));
        let salt = match entry.content() {
            custodia_ledger::EntryContent::Present { salt, .. } => *salt,
            other => panic!("entry {i} should be present, is {other:?}"),
        };
        assert_eq!(leaf_hash(&salt, payload), *entry.leaf_hash());
    }
    let middle = store.entries(3..7).unwrap();
    assert_eq!(
        middle.iter().map(|e| e.index()).collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
    // A log reopened over the store sees the same tree.
    let reopened = Log::new(store).unwrap();
    assert_eq!(reopened.size(), expected.len() as u64);
    assert_eq!(reopened.root(), reference_root(&leaves(reopened.store())));
}

pub fn roots_and_proofs_match_the_reference<S: LogStore>(store: S) {
    let mut log = Log::new(store).unwrap();
    for batch in 0..6 {
        let payloads: Vec<Vec<u8>> = (0..batch * 2 + 1).map(|i| payload(batch, i)).collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        log.append(&refs).unwrap();
    }
    let all = leaves(log.store());
    let n = all.len() as u64;
    assert_eq!(log.root(), reference_root(&all));
    for size in 1..=n {
        let root = log.root_at(size).unwrap();
        assert_eq!(root, reference_root(&all[..size as usize]), "root at {size}");
        for index in [0, size / 2, size - 1] {
            let proof = log.inclusion_proof(index, size).unwrap();
            verify_inclusion(&all[index as usize], index, size, proof.path(), &root).unwrap();
        }
        let proof = log.consistency_proof(size, n).unwrap();
        verify_consistency(size, n, &root, &log.root(), proof.path()).unwrap();
    }
    let signer = signer();
    log.verify(&policy(&signer)).unwrap();
}

pub fn stale_appends_are_refused_and_write_nothing<S: LogStore>(mut store: S) {
    let leaf = |i: u8| leaf_hash(&Salt::from_bytes([i; 32]), &[i]);
    let payloads: Vec<[u8; 1]> = (0u8..4).map(|i| [i]).collect();
    let rows: Vec<NewEntry<'_>> = (0u8..2)
        .map(|i| NewEntry::new(leaf(i), Salt::from_bytes([i; 32]), &payloads[i as usize]))
        .collect();
    let node = node_hash(&leaf(0), &leaf(1));
    store
        .append(0, &rows, &[(NodeId::new(1, 0).unwrap(), node)])
        .unwrap();
    assert_eq!(store.size().unwrap(), 2);
    // A second writer that still thinks the log is empty.
    assert_eq!(
        store.append(0, &rows, &[]),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 2
        })
    );
    // A writer from the future.
    let more: Vec<NewEntry<'_>> = (2u8..4)
        .map(|i| NewEntry::new(leaf(i), Salt::from_bytes([i; 32]), &payloads[i as usize]))
        .collect();
    assert_eq!(
        store.append(5, &more, &[]),
        Err(LedgerError::Conflict {
            expected: 5,
            actual: 2
        })
    );
    assert_eq!(store.size().unwrap(), 2);
    assert_eq!(store.nodes(&[NodeId::new(1, 0).unwrap()]).unwrap(), vec![node]);
    // The right writer goes through.
    store.append(2, &more, &[]).unwrap();
    assert_eq!(store.size().unwrap(), 4);
}

pub fn failed_appends_write_nothing<S: LogStore>(mut store: S) {
    let leaf = |i: u8| leaf_hash(&Salt::from_bytes([i; 32]), &[i]);
    let payloads: Vec<[u8; 1]> = (0u8..4).map(|i| [i]).collect();
    let rows = |range: std::ops::Range<u8>| -> Vec<NewEntry<'_>> {
        range
            .map(|i| NewEntry::new(leaf(i), Salt::from_bytes([i; 32]), &payloads[i as usize]))
            .collect()
    };
    store
        .append(
            0,
            &rows(0..2),
            &[(NodeId::new(1, 0).unwrap(), node_hash(&leaf(0), &leaf(1)))],
        )
        .unwrap();
    // The batch's entries are fine but one of its nodes is a level-0 "interior" node: refused whole.
    let bad = store.append(2, &rows(2..4), &[(NodeId::new(0, 2).unwrap(), leaf(2))]);
    assert!(bad.is_err(), "a level-0 interior node must be refused");
    assert_eq!(store.size().unwrap(), 2);
    // A node that already exists: refused whole as well.
    let duplicate = store.append(2, &rows(2..4), &[(NodeId::new(1, 0).unwrap(), leaf(3))]);
    assert!(duplicate.is_err(), "a second node (1, 0) must be refused");
    assert_eq!(store.size().unwrap(), 2);
    assert!(matches!(
        store.entries(2..3),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    assert_eq!(
        store.nodes(&[NodeId::new(1, 0).unwrap()]).unwrap(),
        vec![node_hash(&leaf(0), &leaf(1))]
    );
}

pub fn reads_past_the_end_are_refused<S: LogStore>(store: S) {
    let mut log = Log::new(store).unwrap();
    log.append(&[b"a", b"b", b"c"]).unwrap();
    let store = log.into_store();
    assert!(matches!(
        store.entries(0..4),
        Err(LedgerError::IndexOutOfRange { size: 3, .. })
    ));
    assert!(matches!(
        store.entries(2..10),
        Err(LedgerError::IndexOutOfRange { size: 3, .. })
    ));
    // (1, 1) covers leaves 2..4, not complete in a log of three.
    assert!(matches!(
        store.nodes(&[NodeId::new(1, 1).unwrap()]),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        store.nodes(&[NodeId::new(0, 3).unwrap()]),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    assert_eq!(
        store
            .nodes(&[NodeId::new(0, 2).unwrap(), NodeId::new(1, 0).unwrap()])
            .unwrap()
            .len(),
        2
    );
}

pub fn redaction_keeps_the_tree<S: LogStore>(store: S) {
    let mut log = Log::new(store).unwrap();
    log.append(&[
        b"customer 1 consented",
        b"customer 2 consented",
        b"customer 3 consented",
    ])
    .unwrap();
    let root_before = log.root_at(3).unwrap();
    let record = log.redact(1, b"erasure request 42, PIPL Art 47").unwrap();
    assert_eq!(record, 3);
    assert!(log.entry(1).unwrap().is_redacted());
    assert_eq!(log.entry(1).unwrap().payload(), None);
    assert_eq!(
        log.entry(0).unwrap().payload(),
        Some(&b"customer 1 consented"[..])
    );
    assert_eq!(log.root_at(3).unwrap(), root_before);
    assert!(matches!(
        log.redact(1, b"again"),
        Err(LedgerError::Redacted { index: 1 })
    ));
    let signer = signer();
    let verified = log.verify(&policy(&signer)).unwrap();
    assert_eq!(verified.redacted(), 1);
    let mut store = log.into_store();
    // The store's own redaction is idempotent, and refuses an index past the end.
    store.redact(1).unwrap();
    assert!(matches!(
        store.redact(99),
        Err(LedgerError::IndexOutOfRange { index: 99, .. })
    ));
}

pub fn checkpoints_keep_exact_bytes<S: LogStore>(store: S) {
    let signer = signer();
    let time = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut log = Log::new(store).unwrap();
    log.append(&[b"one"]).unwrap();
    let first = log.checkpoint(&signer, "broker.example/ledger", time).unwrap();
    log.append(&[b"two", b"three"]).unwrap();
    let second = log.checkpoint(&signer, "broker.example/ledger", time).unwrap();
    let stored = log.store().checkpoints().unwrap();
    assert_eq!(
        stored,
        vec![
            StoredCheckpoint::new(1, first.to_bytes()),
            StoredCheckpoint::new(3, second.to_bytes())
        ]
    );
    let verified = log.verify(&policy(&signer)).unwrap();
    assert_eq!(verified.checkpoints(), 2);
    assert_eq!(verified.latest_checkpoint().unwrap().checkpoint().size(), 3);
}

pub fn checkpoint_sizes_never_go_backwards<S: LogStore>(store: S) {
    let signer = signer();
    let time = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut log = Log::new(store).unwrap();
    log.append(&[b"one", b"two"]).unwrap();
    let at_two = log.checkpoint(&signer, "broker.example/ledger", time).unwrap();
    let mut store = log.into_store();
    // A checkpoint of a smaller tree than the newest stored one (a writer with a stale view) is refused…
    assert!(matches!(
        store.add_checkpoint(StoredCheckpoint::new(1, at_two.to_bytes())),
        Err(LedgerError::Conflict { expected: 1, .. })
    ));
    // …and so is one of a tree larger than the log, which could never be verified.
    assert!(matches!(
        store.add_checkpoint(StoredCheckpoint::new(3, at_two.to_bytes())),
        Err(LedgerError::Conflict {
            expected: 3,
            actual: 2
        })
    ));
    assert_eq!(
        store.checkpoints().unwrap(),
        vec![StoredCheckpoint::new(2, at_two.to_bytes())]
    );
}

pub fn any_batch_sequence_matches_the_reference<S: LogStore>(make: &dyn Fn() -> S, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strategy = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 1..12);
    runner
        .run(&strategy, |batch_sizes| {
            let mut log = Log::new(make()).unwrap();
            let mut payloads: Vec<Vec<u8>> = Vec::new();
            for (batch, sizes) in batch_sizes.iter().enumerate() {
                let these: Vec<Vec<u8>> = sizes
                    .iter()
                    .map(|&len| vec![batch as u8; usize::from(len % 40)])
                    .collect();
                let refs: Vec<&[u8]> = these.iter().map(Vec::as_slice).collect();
                log.append(&refs).unwrap();
                payloads.extend(these);
            }
            let all = leaves(log.store());
            prop_assert_eq!(all.len(), payloads.len());
            prop_assert_eq!(log.root(), reference_root(&all));
            let n = all.len() as u64;
            for index in 0..n {
                let proof = log.inclusion_proof(index, n).unwrap();
                prop_assert!(
                    verify_inclusion(&all[index as usize], index, n, proof.path(), &log.root()).is_ok()
                );
            }
            let reopened = Log::new(log.into_store()).unwrap();
            prop_assert_eq!(reopened.root(), reference_root(&all));
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------------------
// SectionVault

pub fn keyring() -> Keyring {
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

/// Runs every `SectionVault` check; `make` returns a fresh, empty vault each call.
pub fn vault_suite<V: SectionVault>(make: &dyn Fn() -> V, cases: u32) {
    empty_vault(make());
    history_keeps_every_version(make());
    stale_versions_are_refused(make());
    customers_and_categories_are_separate(make());
    purge_removes_one_customer(make());
    purge_categories_keeps_the_others(make());
    any_version_sequence_keeps_its_history(make, cases);
}

pub fn empty_vault<V: SectionVault>(vault: V) {
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

pub fn history_keeps_every_version<V: SectionVault>(mut vault: V) {
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

pub fn stale_versions_are_refused<V: SectionVault>(mut vault: V) {
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
            Err(StoreError::StaleSectionVersion {
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

pub fn customers_and_categories_are_separate<V: SectionVault>(mut vault: V) {
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

pub fn purge_removes_one_customer<V: SectionVault>(mut vault: V) {
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
    assert_eq!(vault.purge_customer(alice).unwrap(), 4);
    assert!(vault.categories(alice).unwrap().is_empty());
    assert_eq!(vault.section(alice, DataCategory::Identity, 2).unwrap(), None);
    assert_eq!(vault.categories(bob).unwrap(), vec![DataCategory::Identity]);
    assert_eq!(vault.purge_customer(alice).unwrap(), 0);
}

pub fn purge_categories_keeps_the_others<V: SectionVault>(mut vault: V) {
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
    assert_eq!(vault.purge_categories(alice, &erase).unwrap(), 4);
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
    assert_eq!(vault.purge_categories(alice, &erase).unwrap(), 0);
    assert_eq!(vault.purge_categories(alice, &[]).unwrap(), 0);
}

pub fn any_version_sequence_keeps_its_history<V: SectionVault>(make: &dyn Fn() -> V, cases: u32) {
    let keyring = keyring();
    let customer = CustomerId::new_v7();
    let (dek, _) = keyring.generate_dek(customer).unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(0u64..20, 1..10), |versions| {
            let mut vault = make();
            let category = DataCategory::Policies;
            let mut kept: Vec<u64> = Vec::new();
            for &version in &versions {
                let section = sealed(&dek, customer, category, version, "p");
                let result = vault.put_section(customer, category, version, &section);
                match kept.last() {
                    Some(&latest) if version <= latest => {
                        prop_assert_eq!(
                            result,
                            Err(StoreError::StaleSectionVersion {
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

// ---------------------------------------------------------------------------------------------------------
// KeyStore

fn indexer() -> BlindIndexer {
    BlindIndexer::new(&[3u8; 32], BlindIndexConfig::with_bits(16).unwrap()).unwrap()
}

fn at(seconds: i64, nanos: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, nanos).unwrap()
}

/// Runs every `KeyStore` check; `make` returns a fresh, empty key store each call.
pub fn key_store_suite<K: KeyStore>(make: &dyn Fn() -> K, cases: u32) {
    wrapped_keys_round_trip(make());
    a_rewrap_replaces_in_place(make());
    blind_indexes_find_their_customers(make());
    destruction_is_total_and_final(make());
    any_destruction_leaves_exactly_the_others(make, cases);
}

pub fn wrapped_keys_round_trip<K: KeyStore>(store: K) {
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

pub fn a_rewrap_replaces_in_place<K: KeyStore>(store: K) {
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

pub fn blind_indexes_find_their_customers<K: KeyStore>(store: K) {
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

pub fn destruction_is_total_and_final<K: KeyStore>(store: K) {
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

pub fn any_destruction_leaves_exactly_the_others<K: KeyStore>(make: &dyn Fn() -> K, cases: u32) {
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
