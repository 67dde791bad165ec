//! `MemoryStore`: the in-memory `LogStore`, for tests, examples and short-lived logs.

use std::ops::Range;

use crate::error::LedgerError;
use crate::hash::{MerkleHash, SALT_LEN, Salt};
use crate::store::{Entry, EntryContent, LogStore, NewEntry, StoredCheckpoint};
use crate::tree::NodeId;

/// An in-memory [`LogStore`].
///
/// **Layout and memory cost.** Payloads live end to end in one byte arena (one allocation per batch at
/// most, not one per entry), with an 8-byte end offset per entry. Per entry the store holds: 32 bytes
/// of leaf hash, on average just under 32 bytes of interior perfect-subtree hashes, 32 bytes of salt,
/// 8 bytes of offset and 1 byte of redaction flag — about 105 bytes plus the payload.
///
/// **Redaction** overwrites the salt and payload bytes with zeros in place and marks the entry; the
/// memory is not returned to the allocator (a database backend deletes the columns instead).
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// `levels[0]` are the leaf hashes; `levels[l][i]` is the perfect subtree `(l, i)`.
    levels: Vec<Vec<MerkleHash>>,
    salts: Vec<Salt>,
    /// `ends[i]` is where entry `i`'s payload ends in `arena`; it starts where entry `i - 1`'s ends.
    ends: Vec<usize>,
    arena: Vec<u8>,
    redacted: Vec<bool>,
    checkpoints: Vec<StoredCheckpoint>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn len(&self) -> u64 {
        self.salts.len() as u64
    }

    fn span(&self, index: usize) -> Option<Range<usize>> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)?,
            None => 0,
        };
        Some(start..end)
    }

    fn entry(&self, index: u64) -> Result<Entry, LedgerError> {
        let out_of_range = LedgerError::IndexOutOfRange {
            index,
            size: self.len(),
        };
        let i = usize::try_from(index).map_err(|_| out_of_range.clone())?;
        let leaf_hash = *self
            .levels
            .first()
            .and_then(|l| l.get(i))
            .ok_or(out_of_range.clone())?;
        let redacted = *self.redacted.get(i).ok_or(out_of_range.clone())?;
        let content = if redacted {
            EntryContent::Redacted
        } else {
            let salt = *self.salts.get(i).ok_or(out_of_range.clone())?;
            let payload = self
                .span(i)
                .and_then(|span| self.arena.get(span))
                .ok_or(LedgerError::CorruptStore {
                    what: "payload span",
                    index,
                })?
                .to_vec();
            EntryContent::Present { salt, payload }
        };
        Ok(Entry::new(index, leaf_hash, content))
    }
}

impl LogStore for MemoryStore {
    fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.len())
    }

    fn append(
        &mut self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        if start != self.len() {
            return Err(LedgerError::Conflict {
                expected: start,
                actual: self.len(),
            });
        }
        // Check every interior node lands exactly at the end of its level before touching anything, so
        // that a refused append leaves the store as it was (all or nothing).
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
            // `level < level_lengths.len()` was just ensured.
            let expected = level_lengths.get(level).copied().unwrap_or(0);
            if id.index() != expected {
                return Err(LedgerError::CorruptStore {
                    what: "interior node position",
                    index: id.index(),
                });
            }
            if let Some(len) = level_lengths.get_mut(level) {
                *len += 1;
            }
        }
        let payload_bytes: usize = entries.iter().map(|e| e.payload().len()).sum();
        self.arena.reserve(payload_bytes);
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        for entry in entries {
            self.arena.extend_from_slice(entry.payload());
            self.ends.push(self.arena.len());
            self.salts.push(*entry.salt());
            self.redacted.push(false);
            if let Some(leaves) = self.levels.first_mut() {
                leaves.push(*entry.leaf_hash());
            }
        }
        for (id, hash) in nodes {
            let level = usize::from(id.level());
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
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
        ids.iter()
            .map(|id| {
                let missing = LedgerError::IndexOutOfRange {
                    index: id.first_leaf(),
                    size: self.len(),
                };
                let level = self.levels.get(usize::from(id.level())).ok_or(missing.clone())?;
                let i = usize::try_from(id.index()).map_err(|_| missing.clone())?;
                level.get(i).copied().ok_or(missing)
            })
            .collect()
    }

    fn redact(&mut self, index: u64) -> Result<(), LedgerError> {
        let out_of_range = LedgerError::IndexOutOfRange {
            index,
            size: self.len(),
        };
        let i = usize::try_from(index).map_err(|_| out_of_range.clone())?;
        let span = self.span(i).ok_or(out_of_range.clone())?;
        if let Some(bytes) = self.arena.get_mut(span) {
            bytes.fill(0);
        }
        if let Some(salt) = self.salts.get_mut(i) {
            *salt = Salt::from_bytes([0; SALT_LEN]);
        }
        if let Some(flag) = self.redacted.get_mut(i) {
            *flag = true;
        }
        Ok(())
    }

    fn add_checkpoint(&mut self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        self.checkpoints.push(checkpoint);
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        Ok(self.checkpoints.clone())
    }
}
