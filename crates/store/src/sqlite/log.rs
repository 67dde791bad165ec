//! `LogStore` for SQLite: entries, perfect-subtree nodes and checkpoints in three tables, appends in one `BEGIN IMMEDIATE` transaction.

use std::ops::Range;

use custodia_ledger::{
    Entry, LedgerError, LogStore, MerkleHash, NewEntry, NodeId, StoredCheckpoint, already_appended,
};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, WriteTx};
use crate::error::{StoreError, to_i64};
use crate::rows::{
    check_nodes, checkpoint_from_columns, checkpoint_sequence, entry_from_columns, hash_column,
};

const SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries";
const INSERT_ENTRY: &str =
    "INSERT INTO log_entries (idx, leaf_hash, salt, payload, redacted) VALUES (?1, ?2, ?3, ?4, 0)";
const INSERT_NODE: &str = "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)";
const SELECT_ENTRIES: &str = "SELECT idx, leaf_hash, salt, payload, redacted FROM log_entries \
                              WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
const SELECT_LEAF: &str = "SELECT leaf_hash FROM log_entries WHERE idx = ?1";
const SELECT_LEAVES: &str = "SELECT leaf_hash FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
const SELECT_NODE: &str = "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2";

impl SqliteStore {
    fn size_now(&self) -> Result<u64, StoreError> {
        let conn = self.conn();
        let size: i64 = conn
            .prepare_cached(SIZE)
            .and_then(|mut s| s.query_row([], |row| row.get(0)))
            .map_err(self.error("read the log size"))?;
        u64::try_from(size).map_err(|_| StoreError::RowCheck {
            table: "log_entries",
            key: size.to_string(),
            what: "negative index",
        })
    }
}

impl LogStore for SqliteStore {
    fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.size_now()?)
    }

    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        let count = entries.len() as u64;
        let end = start.checked_add(count).ok_or(LedgerError::SizeOutOfRange {
            size: u64::MAX,
            log_size: start,
        })?;
        to_i64("log index", end)?;
        check_nodes(nodes, end)?;
        let err = |operation| crate::sqlite::sqlite_error(&self.location, operation);
        let conn = self.conn();
        // IMMEDIATE takes the write lock before the size is read, so the size cannot change between the
        // check and the inserts: the check is what stops two writers forking the tree.
        let tx = WriteTx::begin(&conn).map_err(err("begin an append"))?;
        let actual: i64 = tx
            .prepare_cached(SIZE)
            .and_then(|mut s| s.query_row([], |row| row.get(0)))
            .map_err(err("read the log size"))?;
        let actual = u64::try_from(actual).map_err(|_| LedgerError::CorruptStore {
            what: "negative log index",
            index: 0,
        })?;
        if actual != start {
            // A retry of a batch an earlier call committed (its answer lost) is recognised by its
            // salted leaves and succeeds; anything else is a stale writer. Either way nothing is written
            // (dropping `tx` rolls back).
            let stored = if actual >= end {
                let mut select = tx.prepare_cached(SELECT_LEAVES).map_err(err("read the log"))?;
                let rows = select
                    .query_map(params![start as i64, end as i64], |row| row.get::<_, Vec<u8>>(0))
                    .map_err(err("read the log"))?;
                let mut stored = Vec::with_capacity(entries.len());
                for (index, row) in (start..end).zip(rows) {
                    stored.push(hash_column(
                        &row.map_err(err("read the log"))?,
                        "leaf hash",
                        index,
                    )?);
                }
                stored
            } else {
                Vec::new()
            };
            if already_appended(&stored, entries) {
                return Ok(());
            }
            return Err(LedgerError::Conflict {
                expected: start,
                actual,
            });
        }
        {
            let mut insert = tx
                .prepare_cached(INSERT_ENTRY)
                .map_err(err("append to the log"))?;
            for (index, entry) in (start..end).zip(entries) {
                // `end` fits in i64 (checked above) and `index < end`, so the cast is exact.
                insert
                    .execute(params![
                        index as i64,
                        entry.leaf_hash().as_bytes(),
                        entry.salt().as_bytes(),
                        entry.payload()
                    ])
                    .map_err(err("append to the log"))?;
            }
            let mut insert = tx.prepare_cached(INSERT_NODE).map_err(err("store tree nodes"))?;
            for (id, hash) in nodes {
                let index = to_i64("node index", id.index())?;
                insert
                    .execute(params![id.level(), index, hash.as_bytes()])
                    .map_err(err("store tree nodes"))?;
            }
        }
        tx.commit().map_err(err("commit an append"))?;
        Ok(())
    }

    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        let size = self.size_now()?;
        if range.end > size {
            return Err(LedgerError::IndexOutOfRange {
                index: range.end.saturating_sub(1),
                size,
            });
        }
        if range.start >= range.end {
            return Ok(Vec::new());
        }
        let err = self.error("read log entries");
        let conn = self.conn();
        let mut statement = conn.prepare_cached(SELECT_ENTRIES).map_err(&err)?;
        let rows = statement
            .query_map(
                params![to_i64("log index", range.start)?, to_i64("log index", range.end)?],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, Option<Vec<u8>>>(2)?,
                        row.get::<_, Option<Vec<u8>>>(3)?,
                        row.get::<_, i64>(4)?,
                    ))
                },
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(usize::try_from(range.end - range.start).unwrap_or(0));
        let mut expected = range.start;
        for row in rows {
            let (index, leaf, salt, payload, redacted) = row.map_err(&err)?;
            if u64::try_from(index).ok() != Some(expected) {
                return Err(LedgerError::CorruptStore {
                    what: "entry index sequence",
                    index: expected,
                });
            }
            out.push(entry_from_columns(expected, &leaf, salt, payload, redacted != 0)?);
            expected += 1;
        }
        if expected != range.end {
            return Err(LedgerError::CorruptStore {
                what: "missing entry",
                index: expected,
            });
        }
        Ok(out)
    }

    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let err = self.error("read tree nodes");
        let mut out = Vec::with_capacity(ids.len());
        let mut missing = None;
        {
            let conn = self.conn();
            let mut leaf = conn.prepare_cached(SELECT_LEAF).map_err(&err)?;
            let mut node = conn.prepare_cached(SELECT_NODE).map_err(&err)?;
            for id in ids {
                let index = to_i64("node index", id.index())?;
                let found: Option<Vec<u8>> = if id.level() == 0 {
                    leaf.query_row(params![index], |row| row.get(0))
                        .optional()
                        .map_err(&err)?
                } else {
                    node.query_row(params![id.level(), index], |row| row.get(0))
                        .optional()
                        .map_err(&err)?
                };
                match found {
                    Some(bytes) => out.push(hash_column(&bytes, "node hash", id.index())?),
                    None => {
                        missing = Some(id.first_leaf());
                        break;
                    }
                }
            }
        }
        if let Some(index) = missing {
            // The lock is released above: reading the size takes it again.
            return Err(LedgerError::IndexOutOfRange {
                index,
                size: self.size_now()?,
            });
        }
        Ok(out)
    }

    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE log_entries SET salt = NULL, payload = NULL, redacted = 1 WHERE idx = ?1",
                params![to_i64("log index", index)?],
            )
            .map_err(self.error("redact a log entry"))?;
        if changed == 0 {
            return Err(LedgerError::IndexOutOfRange {
                index,
                size: self.size_now()?,
            });
        }
        // secure_delete zeroed the old bytes in the page; the checkpoint moves that page into the main
        // file and truncates the WAL, whose older frames still held them (PIPL Art 47).
        self.checkpoint_wal()?;
        Ok(())
    }

    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        let size = to_i64("checkpoint size", checkpoint.size())?;
        let err = |operation| crate::sqlite::sqlite_error(&self.location, operation);
        let conn = self.conn();
        let tx = WriteTx::begin(&conn).map_err(err("begin storing a checkpoint"))?;
        let last: Option<(i64, i64)> = tx
            .prepare_cached("SELECT seq, size FROM log_checkpoints ORDER BY seq DESC LIMIT 1")
            .and_then(|mut s| s.query_row([], |row| Ok((row.get(0)?, row.get(1)?))).optional())
            .map_err(err("read the last checkpoint"))?;
        let log_size: i64 = tx
            .prepare_cached(SIZE)
            .and_then(|mut s| s.query_row([], |row| row.get(0)))
            .map_err(err("read the log size"))?;
        // The log size only fills in the conflict's `actual`; a negative one is caught by every read.
        let seq = checkpoint_sequence(checkpoint.size(), last, u64::try_from(log_size).unwrap_or(0))?;
        tx.prepare_cached("INSERT INTO log_checkpoints (seq, size, note) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![seq, size, checkpoint.note()]))
            .map_err(err("store a checkpoint"))?;
        tx.commit().map_err(err("commit a checkpoint"))?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        let err = self.error("read checkpoints");
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached("SELECT seq, size, note FROM log_checkpoints ORDER BY seq")
            .map_err(&err)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(&err)?;
        let mut out: Vec<StoredCheckpoint> = Vec::new();
        for row in rows {
            let (seq, size, note) = row.map_err(&err)?;
            let previous = out.last().map(StoredCheckpoint::size);
            out.push(checkpoint_from_columns(out.len(), seq, size, previous, note)?);
        }
        Ok(out)
    }
}
