//! Proof verifiers against the negative cases public implementations get wrong, the log's own input checks,
//! and proptest over random append / redact / checkpoint sequences.

// Helpers outside #[test] fns panic on purpose: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use custodia_crypto::SigningKey;
use custodia_ledger::{
    Entry, EntryContent, LedgerError, Log, LogStore, MemoryStore, MerkleHash, NewEntry, NodeId, NoteSigner,
    RedactionRecord, Salt, SignatureKind, StoredCheckpoint, TrustPolicy, empty_root, leaf_hash,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

fn log_of(n: u64) -> Log<MemoryStore> {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    let payloads: Vec<Vec<u8>> = (0..n).map(|i| format!("payload {i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    log.append(&refs).unwrap();
    log
}

fn flip(hash: &MerkleHash, byte: usize) -> MerkleHash {
    let mut bytes = *hash.as_bytes();
    bytes[byte] ^= 0x01;
    MerkleHash::from_bytes(bytes)
}

fn is_bad_proof<T: std::fmt::Debug>(result: Result<T, LedgerError>) -> bool {
    matches!(result, Err(LedgerError::BadProof { .. }))
}

#[test]
fn inclusion_negative_cases() {
    let log = log_of(13);
    let root = log.root();
    for index in 0..13u64 {
        let proof = log.inclusion_proof(index, 13).unwrap();
        let leaf = *log.entry(index).unwrap().leaf_hash();
        verify_inclusion(&leaf, index, 13, proof.path(), &root).unwrap();
        proof.verify(&leaf, &root).unwrap();
        // Index at or beyond the size.
        assert!(is_bad_proof(verify_inclusion(&leaf, 13, 13, proof.path(), &root)));
        assert!(is_bad_proof(verify_inclusion(
            &leaf,
            u64::MAX,
            13,
            proof.path(),
            &root
        )));
        assert!(is_bad_proof(verify_inclusion(&leaf, 0, 0, &[], &empty_root())));
        // Truncated at either end, and extended with junk or with the root itself.
        let path = proof.path();
        assert!(is_bad_proof(verify_inclusion(
            &leaf,
            index,
            13,
            &path[..path.len() - 1],
            &root
        )));
        assert!(is_bad_proof(verify_inclusion(
            &leaf,
            index,
            13,
            &path[1..],
            &root
        )));
        let mut longer = path.to_vec();
        longer.push(root);
        assert!(is_bad_proof(verify_inclusion(&leaf, index, 13, &longer, &root)));
        let mut longer = path.to_vec();
        longer.insert(0, leaf);
        assert!(is_bad_proof(verify_inclusion(&leaf, index, 13, &longer, &root)));
        // Any flipped byte of the leaf, path or root.
        assert!(is_bad_proof(verify_inclusion(
            &flip(&leaf, 31),
            index,
            13,
            path,
            &root
        )));
        assert!(is_bad_proof(verify_inclusion(
            &leaf,
            index,
            13,
            path,
            &flip(&root, 0)
        )));
        for i in 0..path.len() {
            let mut bad = path.to_vec();
            bad[i] = flip(&bad[i], i % 32);
            assert!(is_bad_proof(verify_inclusion(&leaf, index, 13, &bad, &root)));
        }
        // The wrong index with the right proof.
        let other = (index + 1) % 13;
        assert!(is_bad_proof(verify_inclusion(&leaf, other, 13, path, &root)));
    }
    // A one-leaf tree: the path is empty and the root is the leaf hash.
    let one = log_of(1);
    let leaf = *one.entry(0).unwrap().leaf_hash();
    assert_eq!(one.root(), leaf);
    verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    assert!(is_bad_proof(verify_inclusion(&leaf, 0, 1, &[leaf], &leaf)));
}

#[test]
fn consistency_negative_cases() {
    let log = log_of(37);
    for new in 1..=37u64 {
        let new_root = log.root_at(new).unwrap();
        for old in 1..new {
            let old_root = log.root_at(old).unwrap();
            let proof = log.consistency_proof(old, new).unwrap();
            let path = proof.path();
            verify_consistency(old, new, &old_root, &new_root, path).unwrap();
            proof.verify(&old_root, &new_root).unwrap();
            // Swapped sizes and roots.
            assert!(is_bad_proof(verify_consistency(
                new, old, &new_root, &old_root, path
            )));
            // Truncated, extended.
            assert!(is_bad_proof(verify_consistency(
                old,
                new,
                &old_root,
                &new_root,
                &path[..path.len() - 1]
            )));
            let mut longer = path.to_vec();
            longer.push(new_root);
            assert!(is_bad_proof(verify_consistency(
                old, new, &old_root, &new_root, &longer
            )));
            // A power-of-two old size: the old root is implied, so a proof that carries it is wrong.
            if old.is_power_of_two() {
                let mut with_root = vec![old_root];
                with_root.extend_from_slice(path);
                assert!(is_bad_proof(verify_consistency(
                    old, new, &old_root, &new_root, &with_root
                )));
            }
            // Flipped bytes anywhere, wrong roots.
            for i in 0..path.len() {
                let mut bad = path.to_vec();
                bad[i] = flip(&bad[i], 7);
                assert!(is_bad_proof(verify_consistency(
                    old, new, &old_root, &new_root, &bad
                )));
            }
            assert!(is_bad_proof(verify_consistency(
                old,
                new,
                &flip(&old_root, 1),
                &new_root,
                path
            )));
            assert!(is_bad_proof(verify_consistency(
                old,
                new,
                &old_root,
                &flip(&new_root, 1),
                path
            )));
            // The same proof does not prove the neighbouring old size.
            if old + 1 < new {
                let next_root = log.root_at(old + 1).unwrap();
                assert!(is_bad_proof(verify_consistency(
                    old + 1,
                    new,
                    &next_root,
                    &new_root,
                    path
                )));
            }
        }
        // Old size 0: only the empty proof and the empty-tree root.
        verify_consistency(0, new, &empty_root(), &new_root, &[]).unwrap();
        assert!(is_bad_proof(verify_consistency(
            0,
            new,
            &empty_root(),
            &new_root,
            &[new_root]
        )));
        assert!(is_bad_proof(verify_consistency(
            0,
            new,
            &new_root,
            &new_root,
            &[]
        )));
        // Old size equal to new size: only the empty proof and equal roots.
        verify_consistency(new, new, &new_root, &new_root, &[]).unwrap();
        assert!(is_bad_proof(verify_consistency(
            new,
            new,
            &new_root,
            &new_root,
            &[new_root]
        )));
        assert!(is_bad_proof(verify_consistency(
            new,
            new,
            &new_root,
            &flip(&new_root, 3),
            &[]
        )));
    }
}

#[test]
fn the_log_refuses_impossible_requests_with_typed_errors() {
    let mut log = log_of(10);
    assert_eq!(
        log.inclusion_proof(10, 10),
        Err(LedgerError::IndexOutOfRange { index: 10, size: 10 })
    );
    assert_eq!(
        log.inclusion_proof(3, 3),
        Err(LedgerError::IndexOutOfRange { index: 3, size: 3 })
    );
    assert_eq!(
        log.inclusion_proof(0, 11),
        Err(LedgerError::SizeOutOfRange {
            size: 11,
            log_size: 10
        })
    );
    assert_eq!(
        log.consistency_proof(5, 3),
        Err(LedgerError::SizesSwapped {
            old_size: 5,
            new_size: 3
        })
    );
    assert_eq!(
        log.consistency_proof(3, 11),
        Err(LedgerError::SizeOutOfRange {
            size: 11,
            log_size: 10
        })
    );
    assert_eq!(
        log.root_at(11),
        Err(LedgerError::SizeOutOfRange {
            size: 11,
            log_size: 10
        })
    );
    assert_eq!(
        log.entry(10),
        Err(LedgerError::IndexOutOfRange { index: 10, size: 10 })
    );
    assert_eq!(
        log.redact(10, b"r"),
        Err(LedgerError::IndexOutOfRange { index: 10, size: 10 })
    );
    let forged = [custodia_ledger::REDACTION_TAG, &[0u8; 40]].concat();
    assert_eq!(
        log.append(&[b"fine", &forged]),
        Err(LedgerError::ReservedPayload { position: 1 })
    );
    assert_eq!(log.size(), 10, "a refused batch appends nothing");
    let empty = log.append(&[]).unwrap();
    assert_eq!((empty.first_index(), empty.size()), (10, 10));
    let record = log.redact(4, b"erasure request 17").unwrap();
    assert_eq!(record, 10);
    assert_eq!(log.redact(4, b"again"), Err(LedgerError::Redacted { index: 4 }));
    assert_eq!(
        log.redact(10, b"hide the erasure"),
        Err(LedgerError::RedactionRecordKept { index: 10 })
    );
    assert!(log.entry(4).unwrap().is_redacted());
    assert_eq!(log.entry(4).unwrap().payload(), None);
}

/// One store shared by two writers, as two service instances share one database.
#[derive(Clone)]
struct Shared(std::rc::Rc<std::cell::RefCell<MemoryStore>>);

impl LogStore for Shared {
    fn size(&self) -> Result<u64, LedgerError> {
        self.0.borrow().size()
    }
    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        self.0.borrow().append(start, entries, nodes)
    }
    fn entries(&self, range: std::ops::Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        self.0.borrow().entries(range)
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        self.0.borrow().nodes(ids)
    }
    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        self.0.borrow().redact(index)
    }
    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        self.0.borrow().add_checkpoint(checkpoint)
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        self.0.borrow().checkpoints()
    }
}

#[test]
fn a_second_writer_cannot_fork_the_tree() {
    let shared = Shared(Default::default());
    let mut first = Log::new(shared.clone()).unwrap();
    let mut second = Log::new(shared.clone()).unwrap();
    first.append(&[b"a", b"b"]).unwrap();
    // The second writer still believes the log is empty: its append is refused and nothing is written.
    assert_eq!(
        second.append(&[b"c"]),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 2
        })
    );
    assert_eq!(shared.size().unwrap(), 2);
    // It has re-read the store, so a retry lands after the first writer's entries.
    assert_eq!(second.size(), 2);
    assert_eq!(second.root(), first.root());
    let appended = second.append(&[b"c"]).unwrap();
    assert_eq!(appended.indices(), 2..3);
    first.reload().unwrap();
    assert_eq!(first.root(), second.root());
    assert_eq!(first.root_at(2).unwrap(), second.root_at(2).unwrap());
    // And the store contract itself: a row at the wrong start index is refused.
    let salt = Salt::from_bytes([1; 32]);
    let row = NewEntry::new(leaf_hash(&salt, b"x"), salt, b"x");
    let store = shared.clone();
    assert_eq!(
        store.append(1, &[row], &[]),
        Err(LedgerError::Conflict {
            expected: 1,
            actual: 3
        })
    );
    assert_eq!(store.size().unwrap(), 3);
}

#[derive(Clone, Debug)]
enum Op {
    Append(Vec<Vec<u8>>),
    Redact(u64),
    RedactMany(Vec<u64>),
    Checkpoint,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..12).prop_map(Op::Append),
        2 => any::<u64>().prop_map(Op::Redact),
        1 => proptest::collection::vec(any::<u64>(), 0..4).prop_map(Op::RedactMany),
        1 => Just(Op::Checkpoint),
    ]
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000 + seconds, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For every sequence of appends, redactions and checkpoints: the log verifies as a whole, every entry
    /// reads back as the model says (payload or redacted), every inclusion proof verifies at the current
    /// size and at every checkpoint size, every checkpoint is consistent with the current root, and every
    /// past root is the one the log had at that size.
    #[test]
    fn random_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..24)) {
        let signer = NoteSigner::new("broker.example/ledger", SignatureKind::Ed25519, SigningKey::generate().unwrap()).unwrap();
        let policy = TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap();
        let mut log = Log::new(MemoryStore::new()).unwrap();
        let mut model: Vec<Option<Vec<u8>>> = Vec::new();
        let mut roots = vec![log.root()];
        let mut checkpoint_sizes = Vec::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Append(batch) => {
                    let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
                    let appended = log.append(&refs).unwrap();
                    prop_assert_eq!(appended.first_index(), model.len() as u64);
                    for (i, payload) in batch.into_iter().enumerate() {
                        model.push(Some(payload));
                        // Past roots, one per size, taken from a fresh computation at that size.
                        roots.push(log.root_at(appended.first_index() + i as u64 + 1).unwrap());
                    }
                    prop_assert_eq!(roots.last().copied(), Some(log.root()));
                }
                Op::Redact(pick) => {
                    if model.is_empty() {
                        continue;
                    }
                    let target = pick % model.len() as u64;
                    let result = log.redact(target, format!("erasure {step}").as_bytes());
                    if model[target as usize].is_none() {
                        prop_assert_eq!(result, Err(LedgerError::Redacted { index: target }));
                    } else if model[target as usize].as_ref().is_some_and(|p| p.starts_with(custodia_ledger::REDACTION_TAG)) {
                        prop_assert_eq!(result, Err(LedgerError::RedactionRecordKept { index: target }));
                    } else {
                        let record_index = result.unwrap();
                        prop_assert_eq!(record_index, model.len() as u64);
                        let record = log.entry(record_index).unwrap();
                        let parsed = RedactionRecord::from_payload(record.payload().unwrap()).unwrap().unwrap();
                        prop_assert_eq!(parsed.target(), target);
                        model[target as usize] = None;
                        model.push(Some(record.payload().unwrap().to_vec()));
                        roots.push(log.root());
                    }
                }
                Op::RedactMany(picks) => {
                    if model.is_empty() {
                        continue;
                    }
                    let targets: Vec<u64> = picks.iter().map(|p| p % model.len() as u64).collect();
                    let result = log.redact_many(&targets, b"bulk erasure");
                    // The first refused index, in order, decides the error; otherwise all are erased.
                    let mut seen = std::collections::HashSet::new();
                    let refusal = targets.iter().find_map(|&t| {
                        if !seen.insert(t) || model[t as usize].is_none() {
                            Some(LedgerError::Redacted { index: t })
                        } else if model[t as usize].as_ref().is_some_and(|p| p.starts_with(custodia_ledger::REDACTION_TAG)) {
                            Some(LedgerError::RedactionRecordKept { index: t })
                        } else {
                            None
                        }
                    });
                    match refusal {
                        Some(error) => prop_assert_eq!(result, Err(error)),
                        None => {
                            let appended = result.unwrap();
                            prop_assert_eq!(appended.indices(), model.len() as u64..(model.len() + targets.len()) as u64);
                            for (record_index, &t) in appended.indices().zip(&targets) {
                                model[t as usize] = None;
                                model.push(Some(log.entry(record_index).unwrap().payload().unwrap().to_vec()));
                                roots.push(log.root_at(record_index + 1).unwrap());
                            }
                        }
                    }
                }
                Op::Checkpoint => {
                    let signed = log.checkpoint_with_time(&signer, "broker.example/ledger", time(step as i64)).unwrap();
                    prop_assert_eq!(signed.checkpoint().size(), log.size());
                    prop_assert_eq!(signed.checkpoint().time().unwrap(), Some(time(step as i64)));
                    checkpoint_sizes.push(log.size());
                }
            }
        }
        let verified = log.verify(&policy).unwrap();
        prop_assert_eq!(verified.size(), model.len() as u64);
        prop_assert_eq!(*verified.root(), log.root());
        prop_assert_eq!(verified.redacted(), model.iter().filter(|m| m.is_none()).count() as u64);
        prop_assert_eq!(verified.checkpoints(), checkpoint_sizes.len());
        let size = log.size();
        for (index, expected) in model.iter().enumerate() {
            let entry = log.entry(index as u64).unwrap();
            match (expected, entry.content()) {
                (Some(payload), EntryContent::Present { payload: stored, .. }) => prop_assert_eq!(payload, stored),
                (None, EntryContent::Redacted) => {}
                (e, c) => prop_assert!(false, "entry {} expected {:?}, found {:?}", index, e, c),
            }
            let proof = log.inclusion_proof(index as u64, size).unwrap();
            verify_inclusion(entry.leaf_hash(), index as u64, size, proof.path(), &log.root()).unwrap();
            for &at in &checkpoint_sizes {
                if (index as u64) < at {
                    let proof = log.inclusion_proof(index as u64, at).unwrap();
                    verify_inclusion(entry.leaf_hash(), index as u64, at, proof.path(), &roots[at as usize]).unwrap();
                }
            }
        }
        for (at, root) in roots.iter().enumerate() {
            prop_assert_eq!(log.root_at(at as u64).unwrap(), *root);
        }
        for &at in &checkpoint_sizes {
            let proof = log.consistency_proof(at, size).unwrap();
            verify_consistency(at, size, &roots[at as usize], &log.root(), proof.path()).unwrap();
        }
    }
}

/// A store whose writes can be made to fail, as a database does when its disk is full.
struct Flaky {
    inner: MemoryStore,
    fail_writes: bool,
    fail_redactions: bool,
}

impl LogStore for Flaky {
    fn size(&self) -> Result<u64, LedgerError> {
        self.inner.size()
    }
    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        if self.fail_writes {
            return Err(disk_full());
        }
        self.inner.append(start, entries, nodes)
    }
    fn entries(&self, range: std::ops::Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        self.inner.entries(range)
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        self.inner.nodes(ids)
    }
    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        if self.fail_writes || self.fail_redactions {
            return Err(disk_full());
        }
        self.inner.redact(index)
    }
    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        self.inner.add_checkpoint(checkpoint)
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        self.inner.checkpoints()
    }
}

/// The backend's own error, as a database driver would report it.
fn disk_full() -> LedgerError {
    LedgerError::store(std::io::Error::other("disk full"))
}

/// The failure arrives as [`LedgerError::Store`] with the backend's error whole as its source.
fn assert_disk_full(result: Result<(), LedgerError>) {
    let error = result.unwrap_err();
    assert_eq!(error.to_string(), "log store failed");
    let source = std::error::Error::source(&error).unwrap();
    assert_eq!(source.to_string(), "disk full");
    assert_eq!(
        source.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::Other
    );
}

#[test]
fn a_failed_store_write_leaves_the_log_as_it_was() {
    let mut log = Log::new(Flaky {
        inner: MemoryStore::new(),
        fail_writes: false,
        fail_redactions: false,
    })
    .unwrap();
    log.append(&[b"a", b"b", b"c"]).unwrap();
    let root = log.root();
    let mut store = log.into_store();
    store.fail_writes = true;
    let mut log = Log::new(store).unwrap();
    assert_disk_full(log.append(&[b"d"]).map(|_| ()));
    assert_eq!((log.size(), log.root()), (3, root));
    assert_disk_full(log.redact(1, b"r").map(|_| ()));
    assert!(!log.entry(1).unwrap().is_redacted());
    let mut store = log.into_store();
    store.fail_writes = false;
    let mut log = Log::new(store).unwrap();
    assert_eq!(log.append(&[b"d"]).unwrap().indices(), 3..4);
    assert_eq!(log.root_at(3).unwrap(), root);
    // A redaction whose deletion fails after its record was written can simply be repeated.
    let mut store = log.into_store();
    store.fail_redactions = true;
    let mut log = Log::new(store).unwrap();
    assert_disk_full(log.redact(1, b"r").map(|_| ()));
    assert_eq!(log.size(), 5, "the record was written");
    assert!(!log.entry(1).unwrap().is_redacted());
    let mut store = log.into_store();
    store.fail_redactions = false;
    let mut log = Log::new(store).unwrap();
    assert_eq!(log.redact(1, b"r").unwrap(), 5);
    assert!(log.entry(1).unwrap().is_redacted());
    let signer = NoteSigner::new("o", SignatureKind::Ed25519, SigningKey::generate().unwrap()).unwrap();
    log.checkpoint_with_time(&signer, "o", time(0)).unwrap();
    let verified = log
        .verify(&TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap())
        .unwrap();
    assert_eq!(verified.redacted(), 1);
}
