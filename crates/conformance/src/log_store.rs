//! The `LogStore` suite: appends, conflicts, reads, redaction, checkpoints and roots against the reference tree.

use custodia_crypto::SigningKey;
use custodia_ledger::{
    LedgerError, Log, LogStore, MerkleHash, NewEntry, NodeId, NoteSigner, Salt, SignatureKind,
    StoredCheckpoint, TrustPolicy, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn signer() -> NoteSigner {
    NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap()
}

fn policy(signer: &NoteSigner) -> TrustPolicy {
    TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap()
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

/// Runs every [`LogStore`] check against the stores `make` returns: a fresh, empty store on each call.
/// `cases` bounds the property tests (keep it small for a server backend).
///
/// # Panics
///
/// When the store breaks the [`LogStore`] contract, naming the check and what the store answered.
pub fn log_store_suite<S: LogStore>(make: &dyn Fn() -> S, cases: u32) {
    let run = |name: &str, body: &dyn Fn(S)| crate::check("log store", name, || body(make()));
    run("empty_store", &empty_store);
    run("appends_read_back_in_order", &appends_read_back_in_order);
    run(
        "roots_and_proofs_match_the_reference",
        &roots_and_proofs_match_the_reference,
    );
    run(
        "stale_appends_are_refused_and_write_nothing",
        &stale_appends_are_refused_and_write_nothing,
    );
    run("failed_appends_write_nothing", &failed_appends_write_nothing);
    run("reads_past_the_end_are_refused", &reads_past_the_end_are_refused);
    run("redaction_keeps_the_tree", &redaction_keeps_the_tree);
    run("checkpoints_keep_exact_bytes", &checkpoints_keep_exact_bytes);
    run(
        "checkpoint_sizes_never_go_backwards",
        &checkpoint_sizes_never_go_backwards,
    );
    run("one_store_serves_two_logs", &one_store_serves_two_logs);
    crate::check("log store", "any_batch_sequence_matches_the_reference", || {
        any_batch_sequence_matches_the_reference(make, cases)
    });
}

fn empty_store<S: LogStore>(store: S) {
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

fn appends_read_back_in_order<S: LogStore>(store: S) {
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
    assert_eq!(reopened.root(), crate::reference_root(&leaves(reopened.store())));
}

fn roots_and_proofs_match_the_reference<S: LogStore>(store: S) {
    let mut log = Log::new(store).unwrap();
    for batch in 0..6 {
        let payloads: Vec<Vec<u8>> = (0..batch * 2 + 1).map(|i| payload(batch, i)).collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        log.append(&refs).unwrap();
    }
    let all = leaves(log.store());
    let n = all.len() as u64;
    assert_eq!(log.root(), crate::reference_root(&all));
    for size in 1..=n {
        let root = log.root_at(size).unwrap();
        assert_eq!(
            root,
            crate::reference_root(&all[..size as usize]),
            "root at {size}"
        );
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

fn stale_appends_are_refused_and_write_nothing<S: LogStore>(store: S) {
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
    let more: Vec<NewEntry<'_>> = (2u8..4)
        .map(|i| NewEntry::new(leaf(i), Salt::from_bytes([i; 32]), &payloads[i as usize]))
        .collect();
    // A second writer that still thinks the log is empty, with its own batch.
    assert_eq!(
        store.append(0, &more, &[]),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 2
        })
    );
    // The first writer retrying the very batch it already appended (its commit's answer was lost):
    // recognised by its salted leaves, it succeeds and writes nothing (LogStore::append is idempotent).
    store
        .append(0, &rows, &[(NodeId::new(1, 0).unwrap(), node)])
        .unwrap();
    assert_eq!(store.size().unwrap(), 2);
    // A writer from the future.
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

fn failed_appends_write_nothing<S: LogStore>(store: S) {
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

fn reads_past_the_end_are_refused<S: LogStore>(store: S) {
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

fn redaction_keeps_the_tree<S: LogStore>(store: S) {
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
    let store = log.into_store();
    // The store's own redaction is idempotent, and refuses an index past the end.
    store.redact(1).unwrap();
    assert!(matches!(
        store.redact(99),
        Err(LedgerError::IndexOutOfRange { index: 99, .. })
    ));
}

fn checkpoints_keep_exact_bytes<S: LogStore>(store: S) {
    let signer = signer();
    let time = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut log = Log::new(store).unwrap();
    log.append(&[b"one"]).unwrap();
    let first = log
        .checkpoint_with_time(&signer, "broker.example/ledger", time)
        .unwrap();
    log.append(&[b"two", b"three"]).unwrap();
    let second = log
        .checkpoint_with_time(&signer, "broker.example/ledger", time)
        .unwrap();
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

fn checkpoint_sizes_never_go_backwards<S: LogStore>(store: S) {
    let signer = signer();
    let time = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut log = Log::new(store).unwrap();
    log.append(&[b"one", b"two"]).unwrap();
    let at_two = log
        .checkpoint_with_time(&signer, "broker.example/ledger", time)
        .unwrap();
    let store = log.into_store();
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

fn one_store_serves_two_logs<S: LogStore>(store: S) {
    // Two logs over one store value, as two writers of one database: the seam takes `&self` throughout.
    let mut first = Log::new(&store).unwrap();
    let mut second = Log::new(&store).unwrap();
    first.append(&[b"a", b"b"]).unwrap();
    assert_eq!(
        second.append(&[b"c"]),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 2
        }),
        "a writer with a stale view must be refused"
    );
    assert_eq!(store.size().unwrap(), 2, "a refused append wrote something");
    // It re-read the store, so a retry lands after the first writer's entries.
    assert_eq!(second.append(&[b"c"]).unwrap().indices(), 2..3);
    first.reload().unwrap();
    assert_eq!(first.root(), second.root());
    assert_eq!(first.root(), crate::reference_root(&leaves(&store)));
}

fn any_batch_sequence_matches_the_reference<S: LogStore>(make: &dyn Fn() -> S, cases: u32) {
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
            prop_assert_eq!(log.root(), crate::reference_root(&all));
            let n = all.len() as u64;
            for index in 0..n {
                let proof = log.inclusion_proof(index, n).unwrap();
                prop_assert!(
                    verify_inclusion(&all[index as usize], index, n, proof.path(), &log.root()).is_ok()
                );
            }
            let reopened = Log::new(log.into_store()).unwrap();
            prop_assert_eq!(reopened.root(), crate::reference_root(&all));
            Ok(())
        })
        .unwrap();
}
