//! `MemoryStore`: the in-memory `LogStore`, for tests, examples and short-lived logs.

use std::ops::Range;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{LedgerError, StoreFault};
use crate::hash::{MerkleHash, SALT_LEN, Salt};
use crate::store::{Entry, EntryContent, LogStore, NewEntry, StoredCheckpoint};
use crate::tree::NodeId;

/// Elements per segment of a [`Segmented`] vector.
const SEGMENT: usize = 4096;
/// Bytes per payload arena chunk (a larger payload gets a chunk of its own).
const ARENA_CHUNK: usize = 1 << 20;

/// A vector in fixed-size segments: it grows without ever moving what it holds, so appending a
/// million entries costs no reallocation copies (a single `Vec` would copy everything at each doubling).
#[derive(Debug)]
struct Segmented<T> {
    segments: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Segmented<T> {
    fn default() -> Self {
        Self {
            segments: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Segmented<T> {
    fn push(&mut self, value: T) {
        if self.segments.last().is_none_or(|s| s.len() == SEGMENT) {
            self.segments.push(Vec::with_capacity(SEGMENT));
        }
        if let Some(segment) = self.segments.last_mut() {
            segment.push(value);
            self.len += 1;
        }
    }

    fn get(&self, index: usize) -> Option<&T> {
        self.segments.get(index / SEGMENT)?.get(index % SEGMENT)
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.segments.get_mut(index / SEGMENT)?.get_mut(index % SEGMENT)
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// Where an entry's salt and payload live in the arena: `salt ‖ payload` from `start`, in `chunk`.
#[derive(Clone, Copy, Debug)]
struct Span {
    /// The arena chunk; the top bit marks a redacted entry.
    chunk: u32,
    start: u32,
    /// The payload's length (the salt before it is always 32 bytes).
    len: u32,
}

/// The bit of [`Span::chunk`] that marks a redacted entry.
const REDACTED: u32 = 1 << 31;

impl Span {
    fn is_redacted(self) -> bool {
        self.chunk & REDACTED != 0
    }

    fn chunk(self) -> usize {
        (self.chunk & !REDACTED) as usize
    }

    /// The salt's and the payload's byte ranges in the chunk.
    fn ranges(self) -> (Range<usize>, Range<usize>) {
        let start = self.start as usize;
        let payload = start + SALT_LEN;
        (start..payload, payload..payload + self.len as usize)
    }
}

/// An in-memory [`LogStore`].
///
/// **Layout and memory cost.** Each entry's `salt ‖ payload` is packed into 1 MiB arena chunks; the
/// per-entry columns (spans, and the hashes of each tree level) are segmented vectors of 4,096-element
/// segments, so nothing is ever moved as the log grows. Per entry the store holds 32 bytes of leaf hash,
/// on average just under 32 bytes of interior perfect-subtree hashes, 32 bytes of salt and a 12-byte
/// span (which also carries the redaction mark): about 108 bytes plus the payload (a million 200-byte
/// entries take about 310 MB).
///
/// **Limits.** A single payload may be at most 4 GiB − 33 bytes (its span is 32-bit).
///
/// **Redaction** overwrites the salt and payload bytes with zeros in place and marks the entry; the
/// memory is not returned to the allocator (a database backend deletes the columns instead).
///
/// **Sharing.** The rows sit behind one reader-writer lock, so the store is `Sync`, every method takes
/// `&self` as the [`LogStore`] seam asks, and several logs (or threads) may share one store through `&`
/// or `Arc`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    rows: RwLock<Rows>,
}

/// The rows of a [`MemoryStore`].
#[derive(Debug, Default)]
struct Rows {
    /// `levels[0]` are the leaf hashes; `levels[l][i]` is the perfect subtree `(l, i)`.
    levels: Vec<Segmented<MerkleHash>>,
    spans: Segmented<Span>,
    /// `salt ‖ payload` of every entry, end to end in 1 MiB chunks.
    arena: Vec<Vec<u8>>,
    checkpoints: Vec<StoredCheckpoint>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Rows>, LedgerError> {
        self.rows.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Rows>, LedgerError> {
        self.rows.write().map_err(|_| poisoned())
    }
}

/// A panic while the lock was held (a bug, never an input) may have left the rows half written.
fn poisoned() -> LedgerError {
    LedgerError::store(StoreFault("memory store lock poisoned".into()))
}

impl Rows {
    fn len(&self) -> u64 {
        self.spans.len() as u64
    }

    fn entry(&self, index: u64) -> Result<Entry, LedgerError> {
        let out_of_range = || LedgerError::IndexOutOfRange {
            index,
            size: self.len(),
        };
        let i = usize::try_from(index).map_err(|_| out_of_range())?;
        let leaf_hash = *self
            .levels
            .first()
            .and_then(|l| l.get(i))
            .ok_or_else(out_of_range)?;
        let span = *self.spans.get(i).ok_or_else(out_of_range)?;
        let content = if span.is_redacted() {
            EntryContent::Redacted
        } else {
            let corrupt = || LedgerError::CorruptStore {
                what: "payload span",
                index,
            };
            let chunk = self.arena.get(span.chunk()).ok_or_else(corrupt)?;
            let (salt_range, payload_range) = span.ranges();
            let salt = chunk
                .get(salt_range)
                .and_then(Salt::from_slice)
                .ok_or_else(corrupt)?;
            let payload = chunk.get(payload_range).ok_or_else(corrupt)?.to_vec();
            EntryContent::Present { salt, payload }
        };
        Ok(Entry::new(index, leaf_hash, content))
    }

    /// Copies `salt ‖ payload` into the arena. The caller has checked that the payload's length fits
    /// in a chunk offset (`u32`, less the salt).
    fn store_entry(&mut self, salt: &Salt, payload: &[u8]) -> Span {
        let needed = SALT_LEN + payload.len();
        let fits = self
            .arena
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= needed);
        if !fits {
            self.arena.push(Vec::with_capacity(ARENA_CHUNK.max(needed)));
        }
        let chunk = self.arena.len().saturating_sub(1);
        let mut span = Span {
            chunk: chunk as u32,
            start: 0,
            len: payload.len() as u32,
        };
        if let Some(bytes) = self.arena.last_mut() {
            span.start = bytes.len() as u32;
            bytes.extend_from_slice(salt.as_bytes());
            bytes.extend_from_slice(payload);
        }
        span
    }
}

impl LogStore for MemoryStore {
    fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.read()?.len())
    }

    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        self.write()?.append(start, entries, nodes)
    }

    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        self.read()?.entries(range)
    }

    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        self.read()?.nodes(ids)
    }

    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        self.write()?.redact(index)
    }

    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        self.write()?.add_checkpoint(checkpoint)
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        Ok(self.read()?.checkpoints.clone())
    }
}

impl Rows {
    fn append(
        &mut self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        if start != self.len() {
            // A retry of a batch that is already here succeeds without writing (see the trait).
            let stored: Vec<MerkleHash> = (start..start.saturating_add(entries.len() as u64))
                .map_while(|index| {
                    let index = usize::try_from(index).ok()?;
                    self.levels.first()?.get(index).copied()
                })
                .collect();
            if crate::store::already_appended(&stored, entries) {
                return Ok(());
            }
            return Err(LedgerError::Conflict {
                expected: start,
                actual: self.len(),
            });
        }
        // Check everything before touching anything, so that a refused append leaves the store as it
        // was (all or nothing): payload sizes, and every interior node landing exactly at the end of its
        // level.
        if let Some(position) = entries
            .iter()
            .position(|e| u32::try_from(e.payload().len()).is_err())
        {
            return Err(LedgerError::store(StoreFault(format!(
                "payload {position} of the batch exceeds 4 GiB"
            ))));
        }
        let mut level_lengths: Vec<u64> = self.levels.iter().map(|l| l.len() as u64).collect();
        for (id, _) in nodes {
            let level = usize::from(id.level());
            if level == 0 {
                return Err(LedgerError::CorruptStore {
                    what: "interior node at level 0",
                    index: id.index(),
                });
            }
            if level_lengths.len() <= level {
                level_lengths.resize(level + 1, 0);
            }
            match level_lengths.get_mut(level) {
                Some(len) if *len == id.index() => *len += 1,
                _ => {
                    return Err(LedgerError::CorruptStore {
                        what: "interior node position",
                        index: id.index(),
                    });
                }
            }
        }
        if self.levels.is_empty() {
            self.levels.push(Segmented::default());
        }
        if self.arena.len() + entries.len() >= REDACTED as usize {
            return Err(LedgerError::store(StoreFault(
                "memory store arena is full".into(),
            )));
        }
        for entry in entries {
            let span = self.store_entry(entry.salt(), entry.payload());
            self.spans.push(span);
            if let Some(leaves) = self.levels.first_mut() {
                leaves.push(*entry.leaf_hash());
            }
        }
        for (id, hash) in nodes {
            let level = usize::from(id.level());
            while self.levels.len() <= level {
                self.levels.push(Segmented::default());
            }
            if let Some(row) = self.levels.get_mut(level) {
                row.push(*hash);
            }
        }
        Ok(())
    }

    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        if range.end > self.len() {
            return Err(LedgerError::IndexOutOfRange {
                index: range.end.saturating_sub(1),
                size: self.len(),
            });
        }
        range.map(|index| self.entry(index)).collect()
    }

    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let found = self
                .levels
                .get(usize::from(id.level()))
                .and_then(|level| level.get(usize::try_from(id.index()).ok()?));
            match found {
                Some(hash) => out.push(*hash),
                None => {
                    return Err(LedgerError::IndexOutOfRange {
                        index: id.first_leaf(),
                        size: self.len(),
                    });
                }
            }
        }
        Ok(out)
    }

    fn redact(&mut self, index: u64) -> Result<(), LedgerError> {
        let size = self.len();
        let out_of_range = || LedgerError::IndexOutOfRange { index, size };
        let i = usize::try_from(index).map_err(|_| out_of_range())?;
        let span = self.spans.get_mut(i).ok_or_else(out_of_range)?;
        let (salt_range, payload_range) = span.ranges();
        let chunk = span.chunk();
        span.chunk |= REDACTED;
        if let Some(bytes) = self
            .arena
            .get_mut(chunk)
            .and_then(|c| c.get_mut(salt_range.start..payload_range.end))
        {
            bytes.fill(0);
        }
        Ok(())
    }

    fn add_checkpoint(&mut self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        let size = self.len();
        let newest = self.checkpoints.last().map_or(0, StoredCheckpoint::size);
        if checkpoint.size() > size || checkpoint.size() < newest {
            return Err(LedgerError::Conflict {
                expected: checkpoint.size(),
                actual: size,
            });
        }
        self.checkpoints.push(checkpoint);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn segmented_vectors_cross_segment_boundaries() {
        let mut v = Segmented::default();
        for i in 0..(SEGMENT * 2 + 3) {
            v.push(i);
        }
        assert_eq!(v.len(), SEGMENT * 2 + 3);
        assert_eq!(v.get(SEGMENT - 1), Some(&(SEGMENT - 1)));
        assert_eq!(v.get(SEGMENT), Some(&SEGMENT));
        assert_eq!(v.get(SEGMENT * 2 + 2), Some(&(SEGMENT * 2 + 2)));
        assert_eq!(v.get(SEGMENT * 2 + 3), None);
    }

    #[test]
    fn payloads_larger_than_a_chunk_and_across_chunks_read_back() {
        let store = MemoryStore::new();
        let big = vec![7u8; ARENA_CHUNK + 5];
        let small = vec![1u8; ARENA_CHUNK / 2 + 1];
        let salt = Salt::from_bytes([3; SALT_LEN]);
        let rows = [
            NewEntry::new(leaf_hash(&salt, &small), salt, &small),
            NewEntry::new(leaf_hash(&salt, &small), salt, &small),
            NewEntry::new(leaf_hash(&salt, &big), salt, &big),
        ];
        let node = crate::hash::node_hash(rows[0].leaf_hash(), rows[1].leaf_hash());
        store
            .append(0, &rows, &[(NodeId::new_unchecked(1, 0), node)])
            .unwrap();
        let entries = store.entries(0..3).unwrap();
        assert_eq!(entries[0].payload(), Some(small.as_slice()));
        assert_eq!(entries[1].payload(), Some(small.as_slice()));
        assert_eq!(entries[2].payload(), Some(big.as_slice()));
        assert_eq!(store.nodes(&[NodeId::new_unchecked(1, 0)]).unwrap(), vec![node]);
        // A node out of place is refused and nothing is written.
        let row = NewEntry::new(leaf_hash(&salt, b"x"), salt, b"x");
        assert!(
            store
                .append(3, &[row], &[(NodeId::new_unchecked(1, 5), node)])
                .is_err()
        );
        assert_eq!(store.size().unwrap(), 3);
        store.redact(1).unwrap();
        assert!(store.entries(1..2).unwrap()[0].is_redacted());
        assert_eq!(store.entries(0..1).unwrap()[0].payload(), Some(small.as_slice()));
        assert!(store.entries(2..4).is_err());
    }
}
