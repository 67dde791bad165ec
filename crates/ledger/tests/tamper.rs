//! Every single-byte change to a stored payload, salt, leaf hash, interior node or checkpoint is caught by
//! whole-log verification, which names the first bad index.

// Helpers outside #[test] fns panic on purpose: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::ops::Range;

use chrono::DateTime;
use custodia_crypto::SigningKey;
use custodia_ledger::{
    Entry, EntryContent, LedgerError, Log, LogStore, MemoryStore, MerkleHash, NewEntry, NodeId, NoteSigner,
    Salt, SignatureKind, StoredCheckpoint, Tamper, TrustPolicy,
};

/// Which stored byte to change on read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    None,
    Payload { index: u64, byte: usize },
    Salt { index: u64, byte: usize },
    Leaf { index: u64, byte: usize },
    Node { level: u8, index: u64, byte: usize },
    Checkpoint { position: usize, byte: usize },
}

/// A store that returns one byte changed, as if someone edited the database behind the log's back.
struct TamperStore {
    inner: MemoryStore,
    target: Cell<Target>,
    delta: u8,
}

fn flip_hash(hash: &MerkleHash, byte: usize, delta: u8) -> MerkleHash {
    let mut b = *hash.as_bytes();
    b[byte] ^= delta;
    MerkleHash::from_bytes(b)
}

impl LogStore for TamperStore {
    fn size(&self) -> Result<u64, LedgerError> {
        self.inner.size()
    }
    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        self.inner.append(start, entries, nodes)
    }
    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        let entries = self.inner.entries(range)?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let (index, mut leaf, mut content) = (e.index(), *e.leaf_hash(), e.content().clone());
                match (self.target.get(), &mut content) {
                    (Target::Payload { index: i, byte }, EntryContent::Present { payload, .. })
                        if i == index =>
                    {
                        payload[byte] ^= self.delta
                    }
                    (Target::Salt { index: i, byte }, EntryContent::Present { salt, .. }) if i == index => {
                        let mut b = *salt.as_bytes();
                        b[byte] ^= self.delta;
                        *salt = Salt::from_bytes(b);
                    }
                    (Target::Leaf { index: i, byte }, _) if i == index => {
                        leaf = flip_hash(&leaf, byte, self.delta)
                    }
                    _ => {}
                }
                Entry::new(index, leaf, content)
            })
            .collect())
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        let hashes = self.inner.nodes(ids)?;
        Ok(ids
            .iter()
            .zip(hashes)
            .map(|(id, h)| match self.target.get() {
                Target::Node { level, index, byte } if id.level() == level && id.index() == index => {
                    flip_hash(&h, byte, self.delta)
                }
                Target::Leaf { index, byte } if id.level() == 0 && id.index() == index => {
                    flip_hash(&h, byte, self.delta)
                }
                _ => h,
            })
            .collect())
    }
    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        self.inner.redact(index)
    }
    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        self.inner.add_checkpoint(checkpoint)
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        let mut list = self.inner.checkpoints()?;
        if let Target::Checkpoint { position, byte } = self.target.get() {
            let row = &list[position];
            let mut note = row.note().to_vec();
            note[byte] ^= self.delta;
            list[position] = StoredCheckpoint::new(row.size(), note);
        }
        Ok(list)
    }
}

fn build(delta: u8) -> (Log<TamperStore>, TrustPolicy) {
    let signer = NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap();
    let policy = TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap();
    let store = TamperStore {
        inner: MemoryStore::new(),
        target: Cell::new(Target::None),
        delta,
    };
    let mut log = Log::new(store).unwrap();
    let t = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    log.append(&[
        b"consent granted c-1",
        b"consent withdrawn c-1",
        b"destruction certificate 9",
    ])
    .unwrap();
    log.checkpoint_with_time(&signer, "broker.example/ledger", t)
        .unwrap();
    log.append(&[b"transfer receipt 4", b"access record 77"]).unwrap();
    log.redact(1, b"erasure request e-5").unwrap();
    log.append(&[b"x"]).unwrap();
    log.checkpoint_with_time(&signer, "broker.example/ledger", t)
        .unwrap();
    (log, policy)
}

fn expect_caught(log: &Log<TamperStore>, policy: &TrustPolicy, target: Target) -> LedgerError {
    log.store().target.set(target);
    let result = log.verify(policy);
    log.store().target.set(Target::None);
    match result {
        Err(e @ LedgerError::Tampered { .. }) => e,
        other => panic!("{target:?} not caught: {other:?}"),
    }
}

#[test]
fn every_single_byte_change_is_caught_and_located() {
    for delta in [0x01, 0x80, 0xff] {
        let (log, policy) = build(delta);
        let verified = log.verify(&policy).unwrap();
        assert_eq!(verified.size(), 7);
        assert_eq!(verified.redacted(), 1);
        assert_eq!(verified.checkpoints(), 2);
        assert_eq!(verified.latest_checkpoint().unwrap().checkpoint().size(), 7);
        for index in 0..log.size() {
            let entry = log.entry(index).unwrap();
            if let EntryContent::Present { payload, .. } = entry.content() {
                for byte in 0..payload.len() {
                    let e = expect_caught(&log, &policy, Target::Payload { index, byte });
                    assert_eq!(
                        e,
                        LedgerError::Tampered {
                            first_bad_index: Some(index),
                            failure: Tamper::LeafMismatch { index }
                        }
                    );
                }
                for byte in 0..32 {
                    let e = expect_caught(&log, &policy, Target::Salt { index, byte });
                    assert_eq!(
                        e,
                        LedgerError::Tampered {
                            first_bad_index: Some(index),
                            failure: Tamper::LeafMismatch { index }
                        }
                    );
                }
            }
            for byte in 0..32 {
                let e = expect_caught(&log, &policy, Target::Leaf { index, byte });
                let LedgerError::Tampered { first_bad_index, .. } = e else {
                    unreachable!()
                };
                // A redacted entry's leaf is pinned by its redaction record, so even there the exact index is named.
                assert_eq!(first_bad_index, Some(index), "leaf {index} byte {byte}: {e:?}");
            }
        }
        // Interior nodes of the 7-leaf tree: (1,0) (1,1) (1,2) (2,0).
        for (level, index) in [(1u8, 0u64), (1, 1), (1, 2), (2, 0)] {
            for byte in 0..32 {
                let e = expect_caught(&log, &policy, Target::Node { level, index, byte });
                assert_eq!(
                    e,
                    LedgerError::Tampered {
                        first_bad_index: Some(index << level),
                        failure: Tamper::NodeMismatch { level, index }
                    }
                );
            }
        }
        for position in 0..2 {
            let len = log.store().inner.checkpoints().unwrap()[position].note().len();
            for byte in 0..len {
                let e = expect_caught(&log, &policy, Target::Checkpoint { position, byte });
                assert!(
                    matches!(e, LedgerError::Tampered { failure: Tamper::BadCheckpoint { position: p, .. }, .. } if p == position),
                    "checkpoint {position} byte {byte}: {e:?}"
                );
            }
        }
    }
}

#[test]
fn a_consistently_rewritten_history_is_caught_by_the_signed_checkpoint() {
    // Rewrite entry 4 completely (new payload, salt, leaf and every node above it): only the signature
    // over the root can catch that, and verification names the first index not covered by a good root.
    let signer = NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap();
    let policy = TrustPolicy::log_only("o", vec![signer.verifier().clone()]).unwrap();
    let t = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut honest = Log::new(MemoryStore::new()).unwrap();
    honest.append(&[b"a", b"b", b"c", b"d"]).unwrap();
    honest.checkpoint_with_time(&signer, "o", t).unwrap();
    honest.append(&[b"e", b"f"]).unwrap();
    let signed = honest.checkpoint_with_time(&signer, "o", t).unwrap();
    // The forger rebuilds the log with a different entry 4 and copies the signed checkpoints over.
    let mut forged = Log::new(MemoryStore::new()).unwrap();
    forged.append(&[b"a", b"b", b"c", b"d"]).unwrap();
    forged.append(&[b"E", b"f"]).unwrap();
    let store = forged.into_store();
    for c in honest.store().checkpoints().unwrap() {
        store.add_checkpoint(c).unwrap();
    }
    let forged = Log::new(store).unwrap();
    let e = forged.verify(&policy).unwrap_err();
    // Entries 0..4 differ too (fresh salts), so the first signed size already fails: nothing is proven.
    assert_eq!(
        e,
        LedgerError::Tampered {
            first_bad_index: Some(0),
            failure: Tamper::RootMismatch { size: 4 }
        }
    );
    assert_ne!(forged.root(), *signed.checkpoint().root());
}

#[test]
fn an_erasure_without_its_record_is_caught() {
    let (mut log, policy) = build(1);
    // Someone deletes entry 3's salt and payload directly in the store, bypassing `Log::redact`.
    let store = log.into_store();
    store.inner.redact(3).unwrap();
    log = Log::new(store).unwrap();
    assert_eq!(
        log.verify(&policy),
        Err(LedgerError::Tampered {
            first_bad_index: Some(3),
            failure: Tamper::UnrecordedRedaction { index: 3 }
        })
    );
}

#[test]
fn progress_is_reported_to_the_caller() {
    let (log, policy) = build(1);
    let mut seen = Vec::new();
    log.verify_with_progress(&policy, &mut |p| seen.push((p.phase(), p.done(), p.total())))
        .unwrap();
    assert_eq!(seen, vec![(custodia_model::Phase::VerifyLog, 7, Some(7))]);
}
