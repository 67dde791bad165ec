//! `Log`: appends batches, answers roots, entries and proofs at any size, redacts, and signs checkpoints.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::error::LedgerError;
use crate::hash::{MerkleHash, SALT_LEN, Salt, leaf_hash_into, node_hash};
use crate::note::NoteSigner;
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::redaction::{REDACTION_TAG, RedactionRecord};
use crate::store::{Entry, LogStore, NewEntry, Sequenced, StoredCheckpoint};
use crate::tree::{self, NodeId, Plan};

/// What an append did: the index of the first new entry and the new tree size. The batch's entries
/// have indices `first_index..size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appended {
    first_index: u64,
    size: u64,
}

impl Appended {
    /// Index of the batch's first entry.
    pub fn first_index(&self) -> u64 {
        self.first_index
    }

    /// The tree size after the append.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The indices of the batch's entries.
    pub fn indices(&self) -> std::ops::Range<u64> {
        self.first_index..self.size
    }
}

/// A tamper-evident log over a [`LogStore`].
///
/// The log keeps the right edge of the tree (one hash per set bit of the size, at most 64) in memory, so
/// an append hashes each entry once plus, on average, one interior node — amortized O(1) — and hands
/// the store the entries and the interior nodes they complete in one atomic call.
///
/// `Log` is `Send` and `Sync` when its store is: reads (`root_at`, `entry`, proofs, `verify`) take
/// `&self`; appends, redactions and checkpoints take `&mut self`, because the log's own copy of the right
/// edge changes with them (the store's methods all take `&self`). `S` may be a store, `&Store` or
/// `Arc<Store>`, so one store value can also serve as key store and vault.
pub struct Log<S: LogStore> {
    store: S,
    size: u64,
    /// The perfect subtrees along the right edge, largest first: one per set bit of `size`.
    frontier: Vec<MerkleHash>,
    /// Hashes of every suffix of the right edge, `(first leaf, MTH(first leaf..size))`, computed on the
    /// first proof or root after an append. Every non-perfect range a proof at the current size needs
    /// is one of these, so such proofs do no hashing and read only perfect subtrees.
    suffixes: OnceLock<Vec<(u64, MerkleHash)>>,
    /// Reused across appends: the batch's salts, and the leaf preimage being hashed.
    salt_buffer: Vec<u8>,
    scratch: Vec<u8>,
    /// The last batch whose append failed with an error other than a conflict: the store may have
    /// committed it all the same (a connection lost at commit). A retry of the same payloads at the same
    /// start reuses its salts, so the store recognises the batch and does not append it twice.
    pending: Option<PendingBatch>,
}

/// A batch whose append outcome is unknown (see `Log::pending`).
struct PendingBatch {
    start: u64,
    payloads: Vec<Vec<u8>>,
    salts: Vec<u8>,
}

/// Fills `out` with `count` fresh 32-byte salts from custodia-crypto's bulk generator
/// ([`custodia_crypto::random::fill_bulk`]: one system draw keys AES-256-CTR for the whole batch, because
/// the kernel's generator asked for 32 bytes per entry would cost as much as hashing the entry).
fn draw_salts(out: &mut Vec<u8>, count: usize) -> Result<(), LedgerError> {
    out.clear();
    out.resize(count.checked_mul(SALT_LEN).ok_or(LedgerError::Random)?, 0);
    custodia_crypto::random::fill_bulk(out).map_err(|_| LedgerError::Random)
}

impl<S: LogStore> std::fmt::Debug for Log<S> {
    // Not derived: the scratch buffers hold the last batch's salts and a leaf preimage.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("size", &self.size)
            .field("root", &self.root())
            .finish_non_exhaustive()
    }
}

impl<S: LogStore> Log<S> {
    /// Opens a log over `store`, reading its size and right edge (at most 64 node reads).
    pub fn new(store: S) -> Result<Self, LedgerError> {
        let mut log = Self {
            store,
            size: 0,
            frontier: Vec::new(),
            suffixes: OnceLock::new(),
            salt_buffer: Vec::new(),
            scratch: Vec::new(),
            pending: None,
        };
        log.reload()?;
        Ok(log)
    }

    /// Re-reads the size and right edge from the store, after another writer appended.
    pub fn reload(&mut self) -> Result<(), LedgerError> {
        let size = self.store.size()?;
        let nodes = tree::range_nodes(0, size)?;
        let frontier = self.store.nodes(&nodes)?;
        if frontier.len() != nodes.len() {
            return Err(LedgerError::CorruptStore {
                what: "right edge",
                index: size,
            });
        }
        self.size = size;
        self.frontier = frontier;
        self.suffixes = OnceLock::new();
        Ok(())
    }

    /// The store, for reads a consumer needs beyond this API.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The number of entries, as this log last saw it.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The current root.
    pub fn root(&self) -> MerkleHash {
        self.suffixes()
            .first()
            .map_or_else(crate::hash::empty_root, |(_, hash)| *hash)
    }

    fn suffixes(&self) -> &[(u64, MerkleHash)] {
        self.suffixes.get_or_init(|| {
            let mut starts = Vec::with_capacity(self.frontier.len());
            let mut position = 0u64;
            for level in (0..64u8).rev() {
                if self.size & (1u64 << level) != 0 {
                    starts.push(position);
                    position += 1u64 << level;
                }
            }
            let mut out = vec![(0u64, crate::hash::empty_root()); self.frontier.len()];
            let mut acc: Option<MerkleHash> = None;
            for ((slot, start), hash) in out.iter_mut().zip(&starts).zip(&self.frontier).rev() {
                let folded = match acc {
                    None => *hash,
                    Some(right) => node_hash(hash, &right),
                };
                *slot = (*start, folded);
                acc = Some(folded);
            }
            out
        })
    }

    /// Appends a batch of opaque payloads, each blinded by a fresh 32-byte salt from custodia-crypto's
    /// generator (one system draw for the whole batch). Refuses a payload that starts with
    /// [`REDACTION_TAG`]. On [`LedgerError::Conflict`] (another writer appended first) nothing was written
    /// and this log has re-read the store; the caller may retry.
    ///
    /// **Retrying after any other error never duplicates.** An error such as a connection lost at
    /// commit leaves the outcome unknown: the store may hold the batch. The log keeps that batch's salts,
    /// and the next call with the same payloads (before any other append on this log) reuses them, so its
    /// entries hash to the same leaves; the store, which checks inside its transaction whether exactly
    /// those leaves are already at that index ([`LogStore::append`]), then succeeds without appending
    /// them a second time.
    pub fn append(&mut self, payloads: &[&[u8]]) -> Result<Appended, LedgerError> {
        if let Some(position) = payloads.iter().position(|p| p.starts_with(REDACTION_TAG)) {
            return Err(LedgerError::ReservedPayload { position });
        }
        self.append_unchecked(payloads)
    }

    /// Appends a batch at the end of the log, wherever the end is by the time the store takes its lock
    /// ([`LogStore::append_sequenced`]): for several writers sharing one log (service instances on one
    /// PostgreSQL schema), where [`Log::append`] would refuse with [`LedgerError::Conflict`] each time
    /// another writer got there first. The entries' indices are in the returned [`Appended`]; this log's
    /// view moves to the end of the batch. Same salts, reserved-payload check and retry-without-duplicates
    /// as [`Log::append`].
    ///
    /// Use it only where an entry's meaning does not depend on what precedes it in the log: a caller that
    /// checks the log and then appends relies on [`Log::append`]'s conflict instead. With a store that
    /// does not sequence (the default of the trait: SQLite, memory), this reloads and retries on a
    /// conflict, up to 64 times before it returns the conflict.
    pub fn append_sequenced(&mut self, payloads: &[&[u8]]) -> Result<Appended, LedgerError> {
        if let Some(position) = payloads.iter().position(|p| p.starts_with(REDACTION_TAG)) {
            return Err(LedgerError::ReservedPayload { position });
        }
        let mut conflicts = 0u32;
        loop {
            match self.append_placed(payloads, true) {
                Err(LedgerError::Conflict { .. }) if conflicts < 64 => conflicts += 1,
                outcome => return outcome,
            }
        }
    }

    fn append_unchecked(&mut self, payloads: &[&[u8]]) -> Result<Appended, LedgerError> {
        self.append_placed(payloads, false)
    }

    /// One attempt at an append, positional or (`sequenced`) wherever the store's end is.
    fn append_placed(&mut self, payloads: &[&[u8]], sequenced: bool) -> Result<Appended, LedgerError> {
        let start = self.size;
        let count = payloads.len() as u64;
        let end = start.checked_add(count).ok_or(LedgerError::SizeOutOfRange {
            size: u64::MAX,
            log_size: start,
        })?;
        if payloads.is_empty() {
            return Ok(Appended {
                first_index: start,
                size: start,
            });
        }
        let mut salt_bytes = std::mem::take(&mut self.salt_buffer);
        let retry = self.pending.take().filter(|pending| {
            pending.start == start
                && pending.payloads.len() == payloads.len()
                && pending
                    .payloads
                    .iter()
                    .zip(payloads)
                    .all(|(a, b)| a.as_slice() == *b)
        });
        let is_retry = retry.is_some();
        let drawn = match retry {
            Some(pending) => {
                salt_bytes = pending.salts;
                Ok(())
            }
            None => draw_salts(&mut salt_bytes, payloads.len()),
        };
        let placement = sequenced.then_some(is_retry);
        let result = drawn.and_then(|()| self.hash_and_store(start, end, payloads, &salt_bytes, placement));
        if let Err(error) = &result
            && !matches!(error, LedgerError::Conflict { .. } | LedgerError::Random)
        {
            // Copied only on failure, so a successful append costs nothing extra.
            self.pending = Some(PendingBatch {
                start,
                payloads: payloads.iter().map(|p| p.to_vec()).collect(),
                salts: salt_bytes.clone(),
            });
        }
        self.salt_buffer = salt_bytes;
        result
    }

    /// Hashes a batch whose salts are drawn, and hands it to the store: at `start` exactly, or with
    /// `sequenced = Some(retry)` wherever the store's end is.
    fn hash_and_store(
        &mut self,
        start: u64,
        end: u64,
        payloads: &[&[u8]],
        salt_bytes: &[u8],
        sequenced: Option<bool>,
    ) -> Result<Appended, LedgerError> {
        let mut frontier = self.frontier.clone();
        let mut entries = Vec::with_capacity(payloads.len());
        let mut nodes = Vec::with_capacity(payloads.len());
        for ((index, payload), salt) in (start..end).zip(payloads).zip(salt_bytes.chunks_exact(SALT_LEN)) {
            // `chunks_exact(SALT_LEN)` yields exactly SALT_LEN bytes, so `from_slice` always succeeds.
            let salt = Salt::from_slice(salt).ok_or(LedgerError::Random)?;
            let leaf = leaf_hash_into(&mut self.scratch, &salt, payload);
            entries.push(NewEntry::new(leaf, salt, payload));
            // Merge completed perfect subtrees: each trailing 1-bit of `index` closes one.
            let mut hash = leaf;
            let mut position = index;
            let mut level = 0u8;
            while position & 1 == 1 {
                // The frontier holds one hash per set bit of the size, so a left sibling exists here.
                let left = frontier.pop().ok_or(LedgerError::CorruptStore {
                    what: "right edge",
                    index,
                })?;
                hash = node_hash(&left, &hash);
                position >>= 1;
                level += 1;
                nodes.push((NodeId::new_unchecked(level, position), hash));
            }
            frontier.push(hash);
        }
        let placed = match sequenced {
            None => self
                .store
                .append(start, &entries, &nodes)
                .map(|()| Sequenced::at_expected(start)),
            Some(retry) => self.store.append_sequenced(start, &entries, &nodes, retry),
        };
        match placed {
            Ok(placed) if placed.first_index() == start => {
                self.size = end;
                self.frontier = frontier;
                self.suffixes = OnceLock::new();
                Ok(Appended {
                    first_index: start,
                    size: end,
                })
            }
            Ok(placed) => {
                // Another writer appended first and the store placed the batch after it, hashing the
                // interior nodes from its own right edge: that edge replaces this log's stale one.
                let first = placed.first_index();
                let size = first
                    .checked_add(end - start)
                    .ok_or(LedgerError::SizeOutOfRange {
                        size: u64::MAX,
                        log_size: first,
                    })?;
                let edge = placed.frontier().ok_or(LedgerError::CorruptStore {
                    what: "sequenced right edge",
                    index: first,
                })?;
                if edge.len() != size.count_ones() as usize {
                    return Err(LedgerError::CorruptStore {
                        what: "sequenced right edge",
                        index: size,
                    });
                }
                self.size = size;
                self.frontier = edge.to_vec();
                self.suffixes = OnceLock::new();
                Ok(Appended {
                    first_index: first,
                    size,
                })
            }
            Err(conflict @ LedgerError::Conflict { .. }) => {
                self.reload()?;
                Err(conflict)
            }
            Err(other) => Err(other),
        }
    }

    fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        if size > self.size {
            return Err(LedgerError::SizeOutOfRange {
                size,
                log_size: self.size,
            });
        }
        Ok(())
    }

    fn hash_ranges(&self, ranges: &[(u64, u64)]) -> Result<Vec<MerkleHash>, LedgerError> {
        let size = self.size;
        let suffixes = self.suffixes();
        let known = |lo: u64, hi: u64| {
            if hi != size {
                return None;
            }
            suffixes
                .binary_search_by_key(&lo, |(start, _)| *start)
                .ok()
                .and_then(|i| suffixes.get(i))
                .map(|(_, hash)| *hash)
        };
        let plan = Plan::new(ranges, known)?;
        let fetched = self.store.nodes(plan.nodes())?;
        plan.fold(&fetched)
    }

    /// The root of the tree at any past `size` (O(log n) node reads).
    pub fn root_at(&self, size: u64) -> Result<MerkleHash, LedgerError> {
        self.check_size(size)?;
        if size == self.size {
            return Ok(self.root());
        }
        let hashes = self.hash_ranges(&[(0, size)])?;
        hashes.into_iter().next().ok_or(LedgerError::CorruptStore {
            what: "root",
            index: size,
        })
    }

    /// The entry at `index`: its leaf hash and either its salt and payload or the redacted marker.
    pub fn entry(&self, index: u64) -> Result<Entry, LedgerError> {
        if index >= self.size {
            return Err(LedgerError::IndexOutOfRange {
                index,
                size: self.size,
            });
        }
        self.store
            .entries(index..index + 1)?
            .into_iter()
            .next()
            .ok_or(LedgerError::CorruptStore { what: "entry", index })
    }

    /// The entries with indices in `range` (for consumers that rebuild their own index from the log),
    /// checked against the size this log last saw.
    pub fn entries(&self, range: std::ops::Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        if range.start > range.end || range.end > self.size {
            return Err(LedgerError::IndexOutOfRange {
                index: range.end.max(range.start),
                size: self.size,
            });
        }
        self.store.entries(range)
    }

    /// The inclusion proof of entry `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, LedgerError> {
        self.check_size(size)?;
        if index >= size {
            return Err(LedgerError::IndexOutOfRange { index, size });
        }
        let path = self.hash_ranges(&tree::inclusion_ranges(index, size))?;
        Ok(InclusionProof::new(index, size, path))
    }

    /// The consistency proof from the tree of `old_size` leaves to the tree of `new_size` (RFC 9162
    /// §2.1.4.1). Empty when `old_size` is 0 or equals `new_size`, as [`crate::verify_consistency`] expects.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<ConsistencyProof, LedgerError> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(LedgerError::SizesSwapped { old_size, new_size });
        }
        self.consistency_unchecked(old_size, new_size)
    }

    /// The consistency proof, for sizes the caller has checked against the store (`old <= new <= size`).
    pub(crate) fn consistency_unchecked(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, LedgerError> {
        if old_size == 0 || old_size == new_size {
            return Ok(ConsistencyProof::new(old_size, new_size, Vec::new()));
        }
        let path = self.hash_ranges(&tree::consistency_ranges(old_size, new_size))?;
        Ok(ConsistencyProof::new(old_size, new_size, path))
    }

    /// Erases entry `index` (PIPL Art 47; GDPR Art 17): first appends a [`RedactionRecord`] naming the
    /// entry and its leaf hash with the caller's `reason` (opaque; never the erased content), then deletes
    /// the entry's salt and payload, keeping its leaf hash so every root and proof still verifies.
    /// Returns the redaction record's index. Refuses an entry that is already redacted
    /// ([`LedgerError::Redacted`]) and a redaction record ([`LedgerError::RedactionRecordKept`]: it must
    /// outlive what it erased); `reason` must not carry personal data, since it is never erased. If the
    /// deletion fails after the record was written, calling again is safe: the store's redaction is
    /// idempotent and a second record only repeats the first.
    pub fn redact(&mut self, index: u64, reason: &[u8]) -> Result<u64, LedgerError> {
        self.redact_many(&[index], reason)
            .map(|records| records.first_index())
    }

    /// Erases several entries at once (a customer's whole history, say), with one record per entry
    /// appended in a single batch: one store transaction instead of one per entry. Every index is checked
    /// before anything is written; a duplicate index is refused as [`LedgerError::Redacted`]. Returns the
    /// records' indices, in the order of `indices`.
    pub fn redact_many(&mut self, indices: &[u64], reason: &[u8]) -> Result<Appended, LedgerError> {
        let mut records = Vec::with_capacity(indices.len());
        let mut seen = std::collections::HashSet::with_capacity(indices.len());
        for &index in indices {
            if !seen.insert(index) {
                return Err(LedgerError::Redacted { index });
            }
            let entry = self.entry(index)?;
            if entry.is_redacted() {
                return Err(LedgerError::Redacted { index });
            }
            if entry.payload().is_some_and(|p| p.starts_with(REDACTION_TAG)) {
                return Err(LedgerError::RedactionRecordKept { index });
            }
            records.push(RedactionRecord::new(index, *entry.leaf_hash(), reason).to_payload());
        }
        let slices: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        let appended = self.append_unchecked(&slices)?;
        for &index in indices {
            self.store.redact(index)?;
        }
        Ok(appended)
    }

    /// Signs a checkpoint of the current tree for `origin` with the log's key, and stores its exact
    /// bytes. The checkpoint carries no extension line (tlog-checkpoint marks them NOT RECOMMENDED); use
    /// [`Log::checkpoint_with_time`] for one that carries its time. On [`LedgerError::Conflict`] (another
    /// writer appended or checkpointed a larger tree first) nothing was stored and this log has re-read
    /// the store, as [`Log::append`] does; the caller may retry.
    pub fn checkpoint(&mut self, signer: &NoteSigner, origin: &str) -> Result<SignedCheckpoint, LedgerError> {
        let checkpoint = Checkpoint::new(origin, self.size, self.root())?;
        self.sign_and_store(checkpoint, signer)
    }

    /// As [`Log::checkpoint`], with the time in a signed `time <seconds>` extension line (opt-in; other
    /// verifiers ignore the line, and log monitors cannot audit it).
    pub fn checkpoint_with_time(
        &mut self,
        signer: &NoteSigner,
        origin: &str,
        time: DateTime<Utc>,
    ) -> Result<SignedCheckpoint, LedgerError> {
        let checkpoint = Checkpoint::new(origin, self.size, self.root())?.with_time(time)?;
        self.sign_and_store(checkpoint, signer)
    }

    fn sign_and_store(
        &mut self,
        checkpoint: Checkpoint,
        signer: &NoteSigner,
    ) -> Result<SignedCheckpoint, LedgerError> {
        let signed = SignedCheckpoint::sign(checkpoint, signer)?;
        match self
            .store
            .add_checkpoint(StoredCheckpoint::new(self.size, signed.to_bytes()))
        {
            Ok(()) => Ok(signed),
            Err(conflict @ LedgerError::Conflict { .. }) => {
                self.reload()?;
                Err(conflict)
            }
            Err(other) => Err(other),
        }
    }

    /// Every stored checkpoint, parsed (not verified).
    pub fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, LedgerError> {
        self.store
            .checkpoints()?
            .iter()
            .map(|c| SignedCheckpoint::parse(c.note()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    #[test]
    fn a_log_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Log<MemoryStore>>();
    }

    #[test]
    fn one_store_value_serves_logs_by_reference_and_by_arc() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let mut by_ref = Log::new(&*store).unwrap();
        by_ref.append(&[b"a"]).unwrap();
        let mut by_arc = Log::new(std::sync::Arc::clone(&store)).unwrap();
        assert_eq!(by_arc.size(), 1);
        by_arc.append(&[b"b"]).unwrap();
        // The first log's view is stale: its append is refused, and it re-reads the shared store.
        assert!(matches!(
            by_ref.append(&[b"c"]),
            Err(LedgerError::Conflict {
                expected: 1,
                actual: 2
            })
        ));
        assert_eq!(by_ref.root(), by_arc.root());
        assert_eq!(store.size().unwrap(), 2);
    }

    #[test]
    fn debug_shows_no_salt_or_payload() {
        let mut log = Log::new(MemoryStore::new()).unwrap();
        log.append(&[b"very distinctive payload"]).unwrap();
        let salt = match log.entry(0).unwrap().content() {
            crate::EntryContent::Present { salt, .. } => *salt,
            crate::EntryContent::Redacted => unreachable!(),
        };
        let shown = format!("{log:?}");
        assert!(shown.contains("size: 1"));
        assert!(!shown.contains("distinctive"));
        let hex: String = salt.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert!(!shown.contains(&hex[..8]));
        assert!(!shown.contains(&format!("{:?}", &salt.as_bytes()[..4])[1..8]));
    }

    #[test]
    fn redact_many_checks_everything_before_writing() {
        let mut log = Log::new(MemoryStore::new()).unwrap();
        log.append(&[b"a", b"b", b"c", b"d"]).unwrap();
        assert_eq!(
            log.redact_many(&[1, 1], b"r"),
            Err(LedgerError::Redacted { index: 1 })
        );
        assert_eq!(
            log.redact_many(&[1, 9], b"r"),
            Err(LedgerError::IndexOutOfRange { index: 9, size: 4 })
        );
        assert_eq!(log.size(), 4, "a refused redaction writes nothing");
        assert!(!log.entry(1).unwrap().is_redacted());
        let records = log.redact_many(&[3, 1], b"erasure e-1").unwrap();
        assert_eq!(records.indices(), 4..6);
        assert!(log.entry(1).unwrap().is_redacted() && log.entry(3).unwrap().is_redacted());
        let first = RedactionRecord::from_payload(log.entry(4).unwrap().payload().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!((first.target(), first.reason()), (3, &b"erasure e-1"[..]));
        assert_eq!(log.entries(0..6).unwrap().len(), 6);
        assert!(log.entries(2..7).is_err());
        assert!(log.redact_many(&[], b"nothing").unwrap().indices().is_empty());
    }

    #[test]
    fn salts_are_fresh_per_entry_and_per_batch() {
        let mut log = Log::new(MemoryStore::new()).unwrap();
        log.append(&[b"same", b"same"]).unwrap();
        log.append(&[b"same"]).unwrap();
        let leaves: Vec<MerkleHash> = (0..3).map(|i| *log.entry(i).unwrap().leaf_hash()).collect();
        assert_ne!(leaves[0], leaves[1]);
        assert_ne!(leaves[1], leaves[2]);
        assert_ne!(leaves[0], leaves[2]);
    }
}
