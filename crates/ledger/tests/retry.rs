//! An append whose commit outcome was lost is retried without duplicating: the store commits the batch
//! and then reports an error (as a connection lost at commit does); the caller retries the same payloads.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use custodia_crypto::SigningKey;
use custodia_ledger::{
    Entry, LedgerError, Log, LogStore, MemoryStore, MerkleHash, NewEntry, NodeId, NoteSigner, SignatureKind,
    StoredCheckpoint, TrustPolicy,
};

/// A store that commits the next append and then says it failed, once.
#[derive(Default)]
struct LostCommit {
    inner: MemoryStore,
    lose_next: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("connection lost at commit")]
struct ConnectionLost;

impl LogStore for LostCommit {
    fn size(&self) -> Result<u64, LedgerError> {
        self.inner.size()
    }
    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        self.inner.append(start, entries, nodes)?;
        if self.lose_next.swap(false, Ordering::SeqCst) {
            return Err(LedgerError::store(ConnectionLost));
        }
        Ok(())
    }
    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        self.inner.entries(range)
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        self.inner.nodes(ids)
    }
    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        self.inner.redact(index)
    }
    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        self.inner.add_checkpoint(checkpoint)
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        self.inner.checkpoints()
    }
}

fn payloads(log: &Log<&LostCommit>) -> Vec<Vec<u8>> {
    log.store()
        .entries(0..log.store().size().unwrap())
        .unwrap()
        .into_iter()
        .map(|e| e.payload().unwrap().to_vec())
        .collect()
}

#[test]
fn a_retry_after_a_lost_commit_appends_nothing_twice() {
    let store = LostCommit::default();
    let mut log = Log::new(&store).unwrap();
    log.append(&[b"consent c-1 granted"]).unwrap();
    store.lose_next.store(true, Ordering::SeqCst);
    let failed = log.append(&[b"consent c-2 granted", b"access a-9"]).unwrap_err();
    assert!(matches!(failed, LedgerError::Store { .. }), "{failed:?}");
    // The batch is in the store although the caller was told it failed.
    assert_eq!(store.size().unwrap(), 3);
    // The caller retries the same payloads: the log reuses the batch's salts, the store recognises it.
    let retried = log.append(&[b"consent c-2 granted", b"access a-9"]).unwrap();
    assert_eq!(retried.indices(), 1..3);
    assert_eq!(
        payloads(&log),
        [
            b"consent c-1 granted".to_vec(),
            b"consent c-2 granted".to_vec(),
            b"access a-9".to_vec()
        ]
    );
    // And the log goes on from the right edge.
    log.append(&[b"consent c-3 granted"]).unwrap();
    let signer = NoteSigner::new(
        "o.example/log",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap();
    log.checkpoint(&signer, "o.example/log").unwrap();
    let verified = log
        .verify(&TrustPolicy::log_only("o.example/log", vec![signer.verifier().clone()]).unwrap())
        .unwrap();
    assert_eq!(verified.size(), 4);
}

#[test]
fn other_payloads_after_a_lost_commit_are_a_new_batch() {
    let store = LostCommit::default();
    let mut log = Log::new(&store).unwrap();
    store.lose_next.store(true, Ordering::SeqCst);
    log.append(&[b"first"]).unwrap_err();
    // The caller gives up on that batch and appends something else: it is not mistaken for the first,
    // which is in the store; the log sees the conflict, re-reads, and the caller's retry lands after it.
    assert!(matches!(
        log.append(&[b"second"]),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 1
        })
    ));
    log.append(&[b"second"]).unwrap();
    assert_eq!(payloads(&log), [b"first".to_vec(), b"second".to_vec()]);
}

#[test]
fn a_stale_writer_with_another_batch_is_still_a_conflict() {
    let store = MemoryStore::new();
    let mut a = Log::new(&store).unwrap();
    let mut b = Log::new(&store).unwrap();
    a.append(&[b"a"]).unwrap();
    assert!(matches!(
        b.append(&[b"a"]),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 1
        })
    ));
    b.append(&[b"a"]).unwrap();
    assert_eq!(
        store.size().unwrap(),
        2,
        "the same payload by another writer is another entry"
    );
}

#[test]
fn a_sequenced_append_on_a_store_that_does_not_sequence_reloads_and_lands_at_the_end() {
    let store = MemoryStore::new();
    let mut a = Log::new(&store).unwrap();
    let mut b = Log::new(&store).unwrap();
    a.append(&[b"a1", b"a2", b"a3"]).unwrap();
    // b's view (size 0) is stale: the trait's default refuses, the log reloads and tries again.
    let placed = b.append_sequenced(&[b"b1", b"b2"]).unwrap();
    assert_eq!(placed.indices(), 3..5);
    assert_eq!(b.size(), 5);
    a.reload().unwrap();
    assert_eq!(a.root(), b.root());
    // A reserved payload is refused here too.
    assert!(matches!(
        b.append_sequenced(&[custodia_ledger::REDACTION_TAG]),
        Err(LedgerError::ReservedPayload { position: 0 })
    ));
}

#[test]
fn a_sequenced_retry_after_a_lost_commit_appends_nothing_twice() {
    let store = LostCommit::default();
    let mut log = Log::new(&store).unwrap();
    log.append_sequenced(&[b"one"]).unwrap();
    store.lose_next.store(true, Ordering::SeqCst);
    log.append_sequenced(&[b"two", b"three"]).unwrap_err();
    let retried = log.append_sequenced(&[b"two", b"three"]).unwrap();
    assert_eq!(retried.indices(), 1..3);
    assert_eq!(
        payloads(&log),
        [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
}
