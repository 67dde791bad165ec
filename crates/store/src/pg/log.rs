//! `LogStore` for PostgreSQL: appends serialize through a table lock, batches travel as arrays in one round trip.

use std::ops::Range;
use std::time::{Duration, Instant};

use custodia_ledger::{
    Entry, LedgerError, LogStore, MerkleHash, NewEntry, NodeId, StoredCheckpoint, already_appended,
};

use super::{PostgresStore, pg_error};
use crate::error::{StoreError, to_i64};
use crate::rows::{
    check_nodes, checkpoint_from_columns, checkpoint_sequence, entry_from_columns, hash_column,
};

const SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0)::BIGINT FROM log_entries";

/// One append's rows, ready for the server (arrays travel in one round trip each).
#[derive(Clone, Copy)]
struct Batch<'a, 'b> {
    start: u64,
    end: u64,
    entries: &'a [NewEntry<'b>],
    indices: &'a [i64],
    leaves: &'a [&'b [u8]],
    salts: &'a [&'b [u8]],
    payloads: &'a [&'b [u8]],
    levels: &'a [i16],
    node_indices: &'a [i64],
    hashes: &'a [&'a [u8]],
}

impl PostgresStore {
    /// One attempt at an append, in one transaction.
    fn append_once(&self, batch: &Batch<'_, '_>) -> Result<(), LedgerError> {
        let Batch {
            start,
            end,
            entries,
            indices,
            leaves,
            salts,
            payloads,
            levels,
            node_indices,
            hashes,
        } = *batch;
        let schema = self.schema.clone();
        let err = |operation| pg_error(&schema, operation);
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(err("begin an append"))?;
        // Writers queue here; readers (ACCESS SHARE) are not blocked. Under READ COMMITTED the next
        // statement takes a fresh snapshot after the lock is granted, so it sees every earlier append.
        tx.batch_execute("LOCK TABLE log_entries IN EXCLUSIVE MODE")
            .map_err(err("lock the log"))?;
        let row = tx.query_one(SIZE, &[]).map_err(err("read the log size"))?;
        let actual: i64 = row.try_get(0).map_err(err("read the log size"))?;
        let actual = u64::try_from(actual).map_err(|_| LedgerError::CorruptStore {
            what: "negative log index",
            index: 0,
        })?;
        if actual != start {
            // A retry of a batch an earlier attempt committed (its answer lost) is recognised by its
            // salted leaves and succeeds; anything else is a stale writer. Either way nothing is written
            // (dropping `tx` rolls back).
            let mut stored = Vec::new();
            if actual >= end {
                let rows = tx
                    .query(
                        "SELECT idx, leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                        &[&(start as i64), &(end as i64)],
                    )
                    .map_err(err("read the log"))?;
                for (index, row) in (start..end).zip(&rows) {
                    let bytes: Vec<u8> = row.try_get(1).map_err(err("read the log"))?;
                    stored.push(hash_column(&bytes, "leaf hash", index)?);
                }
            }
            if already_appended(&stored, entries) {
                return Ok(());
            }
            return Err(LedgerError::Conflict {
                expected: start,
                actual,
            });
        }
        if !entries.is_empty() {
            tx.execute(
                "INSERT INTO log_entries (idx, leaf_hash, salt, payload) \
                 SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[])",
                &[&indices, &leaves, &salts, &payloads],
            )
            .map_err(err("append to the log"))?;
        }
        if !levels.is_empty() {
            tx.execute(
                "INSERT INTO log_nodes (level, idx, hash) SELECT * FROM UNNEST($1::SMALLINT[], $2::BIGINT[], $3::BYTEA[])",
                &[&levels, &node_indices, &hashes],
            )
            .map_err(err("store tree nodes"))?;
        }
        tx.commit().map_err(err("commit an append"))?;
        Ok(())
    }

    fn size_now(&self) -> Result<u64, StoreError> {
        let row = self
            .client()?
            .query_one(SIZE, &[])
            .map_err(self.error("read the log size"))?;
        let size: i64 = row.try_get(0).map_err(self.error("read the log size"))?;
        u64::try_from(size).map_err(|_| StoreError::RowCheck {
            table: "log_entries",
            key: size.to_string(),
            what: "negative index",
        })
    }
}

impl LogStore for PostgresStore {
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
        // `end` fits in i64 (checked above) and every index is below it, so the casts are exact.
        let indices: Vec<i64> = (start..end).map(|i| i as i64).collect();
        let leaves: Vec<&[u8]> = entries
            .iter()
            .map(|e| e.leaf_hash().as_bytes().as_slice())
            .collect();
        let salts: Vec<&[u8]> = entries.iter().map(|e| e.salt().as_bytes().as_slice()).collect();
        let payloads: Vec<&[u8]> = entries.iter().map(|e| e.payload()).collect();
        let levels: Vec<i16> = nodes.iter().map(|(id, _)| i16::from(id.level())).collect();
        let node_indices: Vec<i64> = nodes
            .iter()
            .map(|(id, _)| to_i64("node index", id.index()))
            .collect::<Result<_, _>>()?;
        let hashes: Vec<&[u8]> = nodes.iter().map(|(_, h)| h.as_bytes().as_slice()).collect();

        let batch = Batch {
            start,
            end,
            entries,
            indices: &indices,
            leaves: &leaves,
            salts: &salts,
            payloads: &payloads,
            levels: &levels,
            node_indices: &node_indices,
            hashes: &hashes,
        };
        // A lost connection (a server restart, a crash, a dropped network) is retried with the same
        // batch until the reconnect window closes: the attempt that got through — or the commit whose
        // answer was lost — is recognised inside the retry's transaction, so nothing lands twice. Inside a
        // unit of work there is no retry: the unit's transaction died with the connection.
        let deadline = Instant::now() + self.reconnect_window;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.append_once(&batch) {
                Err(error)
                    if !matches!(error, LedgerError::Conflict { .. })
                        && self.connection_lost()
                        && !self.gate.held_here()
                        && Instant::now() + pause < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                outcome => return outcome,
            }
        }
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
        let rows = self
            .client()?
            .query(
                "SELECT idx, leaf_hash, salt, payload, redacted FROM log_entries \
                 WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[
                    &to_i64("log index", range.start)?,
                    &to_i64("log index", range.end)?,
                ],
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        let mut expected = range.start;
        for row in rows {
            let index: i64 = row.try_get(0).map_err(&err)?;
            if u64::try_from(index).ok() != Some(expected) {
                return Err(LedgerError::CorruptStore {
                    what: "entry index sequence",
                    index: expected,
                });
            }
            let leaf: Vec<u8> = row.try_get(1).map_err(&err)?;
            let salt: Option<Vec<u8>> = row.try_get(2).map_err(&err)?;
            let payload: Option<Vec<u8>> = row.try_get(3).map_err(&err)?;
            let redacted: bool = row.try_get(4).map_err(&err)?;
            out.push(entry_from_columns(expected, &leaf, salt, payload, redacted)?);
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
        let levels: Vec<i16> = ids.iter().map(|id| i16::from(id.level())).collect();
        let indices: Vec<i64> = ids
            .iter()
            .map(|id| to_i64("node index", id.index()))
            .collect::<Result<_, _>>()?;
        let err = self.error("read tree nodes");
        // One round trip for the whole plan: level 0 reads the leaf hash, higher levels the node table.
        let rows = self
            .client()?
            .query(
                "SELECT q.ord, COALESCE(n.hash, e.leaf_hash) \
                 FROM UNNEST($1::SMALLINT[], $2::BIGINT[]) WITH ORDINALITY AS q(level, idx, ord) \
                 LEFT JOIN log_nodes n ON q.level > 0 AND n.level = q.level AND n.idx = q.idx \
                 LEFT JOIN log_entries e ON q.level = 0 AND e.idx = q.idx \
                 ORDER BY q.ord",
                &[&levels, &indices],
            )
            .map_err(&err)?;
        if rows.len() != ids.len() {
            return Err(LedgerError::CorruptStore {
                what: "node batch",
                index: 0,
            });
        }
        let mut out = Vec::with_capacity(ids.len());
        for (row, id) in rows.iter().zip(ids) {
            let hash: Option<Vec<u8>> = row.try_get(1).map_err(&err)?;
            match hash {
                Some(bytes) => out.push(hash_column(&bytes, "node hash", id.index())?),
                None => {
                    return Err(LedgerError::IndexOutOfRange {
                        index: id.first_leaf(),
                        size: self.size_now()?,
                    });
                }
            }
        }
        Ok(out)
    }

    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        let changed = self
            .client()?
            .execute(
                "UPDATE log_entries SET salt = NULL, payload = NULL, redacted = TRUE WHERE idx = $1",
                &[&to_i64("log index", index)?],
            )
            .map_err(self.error("redact a log entry"))?;
        if changed == 0 {
            return Err(LedgerError::IndexOutOfRange {
                index,
                size: self.size_now()?,
            });
        }
        Ok(())
    }

    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        let size = to_i64("checkpoint size", checkpoint.size())?;
        let schema = self.schema.clone();
        let err = |operation| pg_error(&schema, operation);
        let mut client = self.client()?;
        let mut tx = self
            .write_tx(&mut client)
            .map_err(err("begin storing a checkpoint"))?;
        // Checkpoint writers queue here, so sequence numbers stay dense and sizes never go backwards.
        tx.batch_execute("LOCK TABLE log_checkpoints IN EXCLUSIVE MODE")
            .map_err(err("lock the checkpoints"))?;
        let last = tx
            .query_opt(
                "SELECT seq, size FROM log_checkpoints ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .map_err(err("read the last checkpoint"))?;
        let last: Option<(i64, i64)> = match last {
            Some(row) => Some((
                row.try_get(0).map_err(err("read the last checkpoint"))?,
                row.try_get(1).map_err(err("read the last checkpoint"))?,
            )),
            None => None,
        };
        let log_size: i64 = tx
            .query_one(SIZE, &[])
            .and_then(|row| row.try_get(0))
            .map_err(err("read the log size"))?;
        // The log size only fills in the conflict's `actual`; a negative one is caught by every read.
        let seq = checkpoint_sequence(checkpoint.size(), last, u64::try_from(log_size).unwrap_or(0))?;
        tx.execute(
            "INSERT INTO log_checkpoints (seq, size, note) VALUES ($1, $2, $3)",
            &[&seq, &size, &checkpoint.note()],
        )
        .map_err(err("store a checkpoint"))?;
        tx.commit().map_err(err("commit a checkpoint"))?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        let err = self.error("read checkpoints");
        let rows = self
            .client()?
            .query("SELECT seq, size, note FROM log_checkpoints ORDER BY seq", &[])
            .map_err(&err)?;
        let mut out: Vec<StoredCheckpoint> = Vec::with_capacity(rows.len());
        for row in rows {
            let seq: i64 = row.try_get(0).map_err(&err)?;
            let size: i64 = row.try_get(1).map_err(&err)?;
            let note: Vec<u8> = row.try_get(2).map_err(&err)?;
            let previous = out.last().map(StoredCheckpoint::size);
            out.push(checkpoint_from_columns(out.len(), seq, size, previous, note)?);
        }
        Ok(out)
    }
}
