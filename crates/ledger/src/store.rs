//! The storage seam: the `LogStore` trait that SQLite and PostgreSQL implement, and the rows it moves.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::hash::{MerkleHash, Salt};
use crate::tree::NodeId;

/// One new entry handed to [`LogStore::append`]: its leaf hash and the salt and payload it was computed
/// from. The payload is borrowed so that a batch is copied once, into the store.
#[derive(Clone, Copy, Debug)]
pub struct NewEntry<'a> {
    leaf_hash: MerkleHash,
    salt: Salt,
    payload: &'a [u8],
}

impl<'a> NewEntry<'a> {
    /// A row for the store. Only [`crate::Log`] builds these, after hashing; the constructor is public
    /// so that store implementations can be tested on their own.
    pub fn new(leaf_hash: MerkleHash, salt: Salt, payload: &'a [u8]) -> Self {
        Self {
            leaf_hash,
            salt,
            payload,
        }
    }

    /// `SHA-256(0x00 ‖ salt ‖ payload)`.
    pub fn leaf_hash(&self) -> &MerkleHash {
        &self.leaf_hash
    }

    /// The blinding salt.
    pub fn salt(&self) -> &Salt {
        &self.salt
    }

    /// The opaque payload.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// What is left of an entry's preimage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EntryContent {
    /// The salt and payload are stored; anyone holding them can recompute the leaf hash.
    Present {
        /// The blinding salt.
        salt: Salt,
        /// The opaque payload.
        payload: Vec<u8>,
    },
    /// Salt and payload were deleted (PIPL Art 47 erasure); only the leaf hash remains, so the tree still
    /// verifies but the entry can no longer be linked to anyone.
    Redacted,
}

/// One stored entry, as read back from a store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    index: u64,
    leaf_hash: MerkleHash,
    content: EntryContent,
}

impl Entry {
    /// An entry as a store reads it back. A store builds these; [`crate::Log::verify`] checks them.
    pub fn new(index: u64, leaf_hash: MerkleHash, content: EntryContent) -> Self {
        Self {
            index,
            leaf_hash,
            content,
        }
    }

    /// Its position in the log.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Its leaf hash, kept even after redaction.
    pub fn leaf_hash(&self) -> &MerkleHash {
        &self.leaf_hash
    }

    /// Salt and payload, or the redacted marker.
    pub fn content(&self) -> &EntryContent {
        &self.content
    }

    /// The payload, if the entry is not redacted.
    pub fn payload(&self) -> Option<&[u8]> {
        match &self.content {
            EntryContent::Present { payload, .. } => Some(payload),
            EntryContent::Redacted => None,
        }
    }

    /// Whether salt and payload were deleted.
    pub fn is_redacted(&self) -> bool {
        matches!(self.content, EntryContent::Redacted)
    }
}

/// A signed checkpoint as stored: its tree size (for ordering and lookup) and the exact note bytes that
/// were signed. Stores keep the bytes, never a re-serialization, because a signature covers exact bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCheckpoint {
    size: u64,
    note: Vec<u8>,
}

impl StoredCheckpoint {
    /// A stored checkpoint row.
    pub fn new(size: u64, note: Vec<u8>) -> Self {
        Self { size, note }
    }

    /// The tree size the checkpoint commits to.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The exact signed-note bytes.
    pub fn note(&self) -> &[u8] {
        &self.note
    }
}

/// Where a sequenced append landed ([`LogStore::append_sequenced`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequenced {
    first_index: u64,
    frontier: Option<Vec<MerkleHash>>,
}

impl Sequenced {
    /// The batch went exactly where the caller expected, with the caller's interior nodes.
    pub fn at_expected(first_index: u64) -> Self {
        Self {
            first_index,
            frontier: None,
        }
    }

    /// The store put the batch at `first_index` (another writer had appended since the caller last looked)
    /// and hashed its interior nodes from its own right edge; `frontier` is the right edge after the batch
    /// (one hash per set bit of the new size, largest subtree first).
    pub fn moved(first_index: u64, frontier: Vec<MerkleHash>) -> Self {
        Self {
            first_index,
            frontier: Some(frontier),
        }
    }

    /// Index of the batch's first entry.
    pub fn first_index(&self) -> u64 {
        self.first_index
    }

    /// The right edge after the batch when the store placed it elsewhere than expected.
    pub fn frontier(&self) -> Option<&[MerkleHash]> {
        self.frontier.as_deref()
    }
}

/// Where a log keeps its entries, its perfect-subtree hashes and its checkpoints. [`crate::MemoryStore`]
/// implements it here; `custodia-store` implements it for SQLite and PostgreSQL. Consumers are generic
/// over it and never name a backend.
///
/// **Errors.** Every method returns [`LedgerError`]; a backend reports its own failures as
/// [`LedgerError::Store`] with the backend's error as the source ([`LedgerError::store`]), and refuses a
/// stale append with [`LedgerError::Conflict`].
///
/// **What is stored.** Besides each entry (leaf hash, salt, payload), the store persists the hash of
/// every complete perfect subtree above the leaves (node `(level, index)` covers leaves
/// `index·2^level .. (index+1)·2^level`). There are fewer of them than entries (n/2 + n/4 + … < n), so
/// the cost per entry is at most 32 bytes of leaf hash + 32 bytes of interior hashes + 32 bytes of salt +
/// the payload (plus the backend's row overhead). In exchange a root or proof at any size is at most two
/// node reads per tree level — O(log n) reads, in one [`LogStore::nodes`] call — even right after a
/// restart.
///
/// **Every method takes `&self`**, writes included: a backend keeps its connection behind a `Mutex` (the
/// in-memory store keeps its rows behind a lock), so one store value serves as the log store, the key
/// store and the section vault at once, and several [`crate::Log`]s may share it. `&T` and `Arc<T>` of a
/// log store are log stores.
pub trait LogStore {
    /// The number of entries.
    fn size(&self) -> Result<u64, LedgerError>;

    /// Appends `entries` at indices `start..start + entries.len()` and stores `nodes` (the interior
    /// perfect-subtree hashes, level ≥ 1, that these entries complete) — all or nothing, in one
    /// transaction. Must refuse with [`LedgerError::Conflict`], writing nothing, unless the store's size is
    /// exactly `start`: that check is what stops two writers from forking the tree.
    ///
    /// **Idempotent.** If the store already holds, at `start..start + entries.len()`, entries with exactly
    /// these leaf hashes, the batch was committed by an earlier call whose outcome the caller never
    /// learnt (a connection lost at commit): the append succeeds without writing anything. Leaf hashes are
    /// salted with fresh randomness, so only a retry of the very same batch matches; a different batch at
    /// a stale `start` is still a [`LedgerError::Conflict`]. The check runs inside the append's
    /// transaction, under its lock. (Use [`already_appended`] for it.)
    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError>;

    /// Appends `entries` at the end of the log, wherever the end is when the store takes its lock: a
    /// store-side sequencer, for several writers sharing one log. `expected` is where the caller believes
    /// the end is and `nodes` are the interior nodes for that position; if the store's size is `expected`
    /// this is [`LogStore::append`]. Otherwise a store that sequences places the batch at its true end,
    /// hashes the interior nodes from its own right edge and returns that edge
    /// ([`Sequenced::moved`]), so a writer whose view is stale never has to retry.
    ///
    /// **Idempotent** like `append`: with `retry` (the caller lost the outcome of an earlier call with the
    /// very same entries) a store that finds these leaf hashes at or after `expected` returns where they
    /// are and writes nothing.
    ///
    /// The default is positional: `append(expected, …)`, refusing a stale `expected` with
    /// [`LedgerError::Conflict`] (the caller reloads and tries again). The PostgreSQL store sequences.
    fn append_sequenced(
        &self,
        expected: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
        retry: bool,
    ) -> Result<Sequenced, LedgerError> {
        let _ = retry;
        self.append(expected, entries, nodes)
            .map(|()| Sequenced::at_expected(expected))
    }

    /// The entries with indices in `range`, in order. Must refuse a range that reaches past the size
    /// with [`LedgerError::IndexOutOfRange`].
    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError>;

    /// The stored hashes of the given perfect subtrees, in the order asked. Level 0 is the leaf hash of
    /// entry `index`. Must refuse a node that is not complete with [`LedgerError::IndexOutOfRange`].
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError>;

    /// Deletes entry `index`'s salt and payload and keeps its leaf hash. Idempotent. The log writes the
    /// redaction record before it calls this, so an erased entry is never unaccounted for.
    fn redact(&self, index: u64) -> Result<(), LedgerError>;

    /// Stores a signed checkpoint's exact bytes under its tree size. Must refuse, with
    /// [`LedgerError::Conflict`], a checkpoint whose size is larger than the store's log (it could not be
    /// verified) or smaller than the newest stored checkpoint's (a writer with a stale view), so that
    /// checkpoint sizes never go backwards.
    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError>;

    /// Every stored checkpoint, in the order stored.
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError>;
}

/// The idempotency check of [`LogStore::append`] for a backend: whether `stored` — the leaf hashes a store
/// holds at `start..start + batch.len()`, read inside the append's transaction — are exactly the batch's.
/// A backend calls it when its size is not `start`; `true` means "already appended, succeed without
/// writing", `false` means [`LedgerError::Conflict`].
pub fn already_appended(stored: &[MerkleHash], batch: &[NewEntry<'_>]) -> bool {
    !batch.is_empty()
        && stored.len() == batch.len()
        && stored
            .iter()
            .zip(batch)
            .all(|(stored, new)| stored == new.leaf_hash())
}

macro_rules! forward_log_store {
    () => {
        fn size(&self) -> Result<u64, LedgerError> {
            (**self).size()
        }
        fn append(
            &self,
            start: u64,
            entries: &[NewEntry<'_>],
            nodes: &[(NodeId, MerkleHash)],
        ) -> Result<(), LedgerError> {
            (**self).append(start, entries, nodes)
        }
        fn append_sequenced(
            &self,
            expected: u64,
            entries: &[NewEntry<'_>],
            nodes: &[(NodeId, MerkleHash)],
            retry: bool,
        ) -> Result<Sequenced, LedgerError> {
            (**self).append_sequenced(expected, entries, nodes, retry)
        }
        fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
            (**self).entries(range)
        }
        fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
            (**self).nodes(ids)
        }
        fn redact(&self, index: u64) -> Result<(), LedgerError> {
            (**self).redact(index)
        }
        fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
            (**self).add_checkpoint(checkpoint)
        }
        fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
            (**self).checkpoints()
        }
    };
}

/// A borrowed log store is a log store: `Log<&SqliteStore>` shares one store value with the key store
/// and the vault.
impl<T: LogStore + ?Sized> LogStore for &T {
    forward_log_store!();
}

/// A shared log store is a log store: `Log<Arc<SqliteStore>>`.
impl<T: LogStore + ?Sized> LogStore for Arc<T> {
    forward_log_store!();
}
