//! `LogStore` for PostgreSQL: an append is one prepared call of a server-side function that takes the appenders' advisory lock, checks the size (or sequences) and inserts, so it costs one round trip.

use std::ops::Range;
use std::time::{Duration, Instant};

use custodia_ledger::{
    Entry, LedgerError, LogStore, MerkleHash, NewEntry, NodeId, Sequenced, StoredCheckpoint,
};

use super::{PostgresStore, pg_error};
use crate::error::{StoreError, to_i64};
use crate::rows::{
    check_nodes, checkpoint_from_columns, checkpoint_sequence, entry_from_columns, hash_column,
};

const SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0)::BIGINT FROM log_entries";

const ENTRIES: &str = "SELECT idx, leaf_hash, salt, payload, redacted FROM log_entries \
     WHERE idx >= $1 AND idx < $2 ORDER BY idx";

/// One round trip for a whole plan. Node `(level, idx)` is kept in the row of its last leaf,
/// `(idx + 1)·2^level − 1`: level 0 is that row's leaf hash, level `l ≥ 1` the `l`-th 32 bytes of its
/// `nodes` (schema migration 7); a node whose row or bytes are missing is incomplete (NULL).
const NODES: &str = "SELECT q.ord, CASE WHEN q.level = 0 THEN e.leaf_hash \
     ELSE NULLIF(substring(e.nodes FROM (q.level - 1) * 32 + 1 FOR 32), ''::BYTEA) END \
     FROM UNNEST($1::SMALLINT[], $2::BIGINT[]) WITH ORDINALITY AS q(level, idx, ord) \
     LEFT JOIN log_entries e ON e.idx = ((q.idx + 1) << q.level) - 1 \
     ORDER BY q.ord";

/// One append in one round trip: the lock, the size check, the idempotent-retry check and both inserts
/// run inside `custodia_log_append` (schema migration 7), a prepared statement.
const APPEND: &str = "SELECT first_index, appended, frontier \
     FROM custodia_log_append($1, $2, $3, $4, $5, $6, $7)";

/// One append's rows, ready for the server (arrays travel in one round trip).
#[derive(Clone, Copy)]
struct Batch<'a, 'b> {
    start: u64,
    count: u64,
    anywhere: bool,
    leaves: &'a [&'b [u8]],
    salts: &'a [&'b [u8]],
    payloads: &'a [&'b [u8]],
    /// Per entry, the hashes of the subtrees it completes, lowest level first.
    nodes: &'a [Vec<u8>],
}

/// The batch's interior nodes as each entry's `nodes` column: node `(level, idx)` goes to the row of its
/// last leaf, `(idx + 1)·2^level − 1`, at offset `(level − 1)·32`. A node of an earlier entry (it exists
/// already) or one whose lower levels are missing from the batch (its offset would be wrong) is refused.
/// Nodes the batch leaves out are simply absent: reads then find them incomplete.
fn node_blobs(start: u64, count: usize, nodes: &[(NodeId, MerkleHash)]) -> Result<Vec<Vec<u8>>, LedgerError> {
    let mut blobs = vec![Vec::new(); count];
    let mut placed: Vec<(u64, u8, &MerkleHash)> = Vec::with_capacity(nodes.len());
    for (id, hash) in nodes {
        // check_nodes has checked that the node is complete within the batch, so this cannot overflow.
        let width = 1u64.checked_shl(u32::from(id.level())).unwrap_or(u64::MAX);
        let last = id.first_leaf().saturating_add(width - 1);
        placed.push((last, id.level(), hash));
    }
    placed.sort_unstable_by_key(|(last, level, _)| (*last, *level));
    for (last, level, hash) in placed {
        let slot = last
            .checked_sub(start)
            .and_then(|offset| usize::try_from(offset).ok())
            .and_then(|offset| blobs.get_mut(offset))
            .ok_or(LedgerError::CorruptStore {
                what: "interior node of an earlier entry",
                index: last,
            })?;
        if slot.len() != usize::from(level - 1) * 32 {
            return Err(LedgerError::CorruptStore {
                what: "interior node without the levels below it",
                index: last,
            });
        }
        slot.extend_from_slice(hash.as_bytes());
    }
    Ok(blobs)
}

impl PostgresStore {
    /// One attempt at an append: one statement, in a transaction of its own (auto-commit) or, inside
    /// the current thread's unit of work, under a savepoint of the unit's transaction.
    fn append_once(&self, batch: &Batch<'_, '_>, retry: bool) -> Result<Sequenced, LedgerError> {
        let schema = self.schema.clone();
        let err = |operation| pg_error(&schema, operation);
        let start = to_i64("log index", batch.start)?;
        let params: [&(dyn postgres::types::ToSql + Sync); 7] = [
            &start,
            &batch.anywhere,
            &retry,
            &batch.leaves,
            &batch.salts,
            &batch.payloads,
            &batch.nodes,
        ];
        let mut client = self.client()?;
        let statement = self
            .prepared(&mut client, APPEND)
            .map_err(err("prepare an append"))?;
        let row = if self.gate.held_here() {
            let mut tx = self.write_tx(&mut client).map_err(err("begin an append"))?;
            let row = tx
                .query_one(&statement, &params)
                .map_err(err("append to the log"))?;
            tx.commit().map_err(err("commit an append"))?;
            row
        } else {
            client
                .query_one(&statement, &params)
                .map_err(err("append to the log"))?
        };
        let read = err("read an append's outcome");
        let first: i64 = row.try_get(0).map_err(&read)?;
        let appended: bool = row.try_get(1).map_err(&read)?;
        let edge: Option<Vec<Vec<u8>>> = row.try_get(2).map_err(&read)?;
        let first = u64::try_from(first).map_err(|_| LedgerError::CorruptStore {
            what: "negative log index",
            index: 0,
        })?;
        if !appended {
            return Err(LedgerError::Conflict {
                expected: batch.start,
                actual: first,
            });
        }
        match edge {
            None if first == batch.start => Ok(Sequenced::at_expected(first)),
            None => Err(LedgerError::CorruptStore {
                what: "sequenced right edge",
                index: first,
            }),
            Some(edge) => {
                let end = first.saturating_add(batch.count);
                let edge = edge
                    .iter()
                    .map(|bytes| hash_column(bytes, "node hash", end))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Sequenced::moved(first, edge))
            }
        }
    }

    fn size_now(&self) -> Result<u64, StoreError> {
        let mut client = self.client()?;
        let statement = self
            .prepared(&mut client, SIZE)
            .map_err(self.error("read the log size"))?;
        let row = client
            .query_one(&statement, &[])
            .map_err(self.error("read the log size"))?;
        let size: i64 = row.try_get(0).map_err(self.error("read the log size"))?;
        u64::try_from(size).map_err(|_| StoreError::RowCheck {
            table: "log_entries",
            key: size.to_string(),
            what: "negative index",
        })
    }

    /// An append at `start` (or, `anywhere`, wherever the end is), retried across a lost connection.
    fn append_batch(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
        anywhere: bool,
        retry: bool,
    ) -> Result<Sequenced, LedgerError> {
        let count = entries.len() as u64;
        let end = start.checked_add(count).ok_or(LedgerError::SizeOutOfRange {
            size: u64::MAX,
            log_size: start,
        })?;
        to_i64("log index", end)?;
        check_nodes(nodes, end)?;
        if entries.is_empty() {
            // Nothing to write; the positional contract still refuses a stale start.
            let actual = self.size_now()?;
            return if actual == start || anywhere {
                Ok(Sequenced::at_expected(start))
            } else {
                Err(LedgerError::Conflict {
                    expected: start,
                    actual,
                })
            };
        }
        let leaves: Vec<&[u8]> = entries
            .iter()
            .map(|e| e.leaf_hash().as_bytes().as_slice())
            .collect();
        let salts: Vec<&[u8]> = entries.iter().map(|e| e.salt().as_bytes().as_slice()).collect();
        let payloads: Vec<&[u8]> = entries.iter().map(|e| e.payload()).collect();
        let node_blobs = node_blobs(start, entries.len(), nodes)?;

        let batch = Batch {
            start,
            count,
            anywhere,
            leaves: &leaves,
            salts: &salts,
            payloads: &payloads,
            nodes: &node_blobs,
        };
        // A lost connection (a server restart, a crash, a dropped network) is retried with the same
        // batch until the reconnect window closes: the attempt that got through — or the commit whose
        // answer was lost — is recognised inside the retry's call, under the lock, so nothing lands twice.
        // Inside a unit of work there is no retry: the unit's transaction died with the connection.
        let deadline = Instant::now() + self.reconnect_window;
        let mut pause = Duration::from_millis(50);
        let mut retry = retry;
        loop {
            match self.append_once(&batch, retry) {
                Err(error)
                    if !matches!(error, LedgerError::Conflict { .. })
                        && self.connection_lost()
                        && !self.gate.held_here()
                        && Instant::now() + pause < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                    retry = true;
                }
                outcome => return outcome,
            }
        }
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
        self.append_batch(start, entries, nodes, false, false).map(|_| ())
    }

    /// The store's sequencer: `custodia_log_append` takes the appenders' advisory lock, reads the size, and places the
    /// batch at the end, hashing its interior nodes from the stored right edge when the end is not
    /// `expected` — one round trip, and no writer ever retries for another's append.
    fn append_sequenced(
        &self,
        expected: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
        retry: bool,
    ) -> Result<Sequenced, LedgerError> {
        self.append_batch(expected, entries, nodes, true, retry)
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
        let mut client = self.client()?;
        let statement = self.prepared(&mut client, ENTRIES).map_err(&err)?;
        let rows = client
            .query(
                &statement,
                &[
                    &to_i64("log index", range.start)?,
                    &to_i64("log index", range.end)?,
                ],
            )
            .map_err(&err)?;
        drop(client);
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
        let mut client = self.client()?;
        let statement = self.prepared(&mut client, NODES).map_err(&err)?;
        let rows = client.query(&statement, &[&levels, &indices]).map_err(&err)?;
        drop(client);
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
