//! Tamper evidence, exhaustively (issue 10): a 64-entry ledger in a SQLite file — 62 payloads, two of them
//! erased (PIPL Art 47) with their two redaction records, four signed checkpoints — edited behind the log's
//! back with plain SQL, one case at a time; every case must be caught by reload + whole-log verification.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "sqlite")]

use chrono::{DateTime, Utc};
use custodia_crypto::SigningKey;
use custodia_ledger::{Log, NoteSigner, SignatureKind, SignedCheckpoint, TrustPolicy};
use custodia_store::{SqliteConfig, SqliteStore};
use rusqlite::Connection;
use rusqlite::types::Value;

const ENTRIES: u64 = 64;
const BATCH: u64 = 8;
/// A checkpoint is signed after every this many batches (sizes 16, 32 and 48), and after the erasures (64).
const CHECKPOINT_EVERY: u64 = 2;
/// Entries erased at the end; each erasure appends its redaction record.
const ERASED: [u64; 2] = [5, 40];
const ORIGIN: &str = "broker.example/tamper";

struct Fixture {
    _dir: tempfile::TempDir,
    log: Log<SqliteStore>,
    sql: Connection,
    policy: TrustPolicy,
    /// The latest checkpoint as an auditor or witness holds it, outside the database.
    anchor: SignedCheckpoint,
    /// [`dump`] of the untouched database.
    baseline: String,
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + seconds, 0).unwrap()
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let signer = NoteSigner::new(ORIGIN, SignatureKind::Ed25519, SigningKey::generate().unwrap()).unwrap();
    let policy = TrustPolicy::log_only(ORIGIN, vec![signer.verifier().clone()]).unwrap();
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::default()).unwrap()).unwrap();
    let payloads = ENTRIES - ERASED.len() as u64;
    for (batch, start) in (0..payloads).step_by(BATCH as usize).enumerate() {
        let batch_payloads: Vec<Vec<u8>> = (start..(start + BATCH).min(payloads))
            .map(|i| format!("consent event {i}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = batch_payloads.iter().map(Vec::as_slice).collect();
        log.append(&refs).unwrap();
        if (batch as u64 + 1).is_multiple_of(CHECKPOINT_EVERY) {
            log.checkpoint_with_time(&signer, ORIGIN, time(batch as i64))
                .unwrap();
        }
    }
    log.redact_many(&ERASED, b"erasure request 2026-114").unwrap();
    let anchor = log.checkpoint_with_time(&signer, ORIGIN, time(100)).unwrap();
    assert_eq!(log.size(), ENTRIES);
    let sql = Connection::open(&path).unwrap();
    // The tampering connection needs no durability: thousands of edits, none of them worth an fsync.
    sql.pragma_update(None, "synchronous", "OFF").unwrap();
    let baseline = dump(&sql);
    Fixture {
        _dir: dir,
        log,
        sql,
        policy,
        anchor,
        baseline,
    }
}

/// Every stored row of the ledger's three tables, as one string: restoring a case must give it back.
fn dump(sql: &Connection) -> String {
    let mut out = String::new();
    for (table, order) in [
        ("log_entries", "idx"),
        ("log_nodes", "level, idx"),
        ("log_checkpoints", "seq"),
    ] {
        let mut statement = sql
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let width = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..width {
                out.push_str(&lit(&row.get::<_, Value>(i).unwrap()));
                out.push('|');
            }
            out.push('\n');
        }
    }
    out
}

/// What catching a case means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Detection {
    /// `Log::reload` or `Log::verify` returns an error: the database alone shows the damage.
    Verify,
    /// The database verifies, but no longer extends the checkpoint an auditor already holds: its latest
    /// verified checkpoint is not the anchor, or the root at the anchor's size differs. Only needed when
    /// whole rows vanish from the end together with the checkpoints that signed them.
    Anchor,
    /// Neither: a miss.
    Missed,
}

impl Fixture {
    fn detect(&mut self) -> Detection {
        if self.log.reload().is_err() {
            return Detection::Verify;
        }
        let verified = match self.log.verify(&self.policy) {
            Ok(v) => v,
            Err(_) => return Detection::Verify,
        };
        let anchor = self.anchor.checkpoint();
        let latest_is_anchor = verified
            .latest_checkpoint()
            .is_some_and(|c| c.checkpoint() == anchor);
        let extends = verified.size() >= anchor.size()
            && self.log.root_at(anchor.size()).ok().as_ref() == Some(anchor.root());
        if latest_is_anchor && extends {
            Detection::Missed
        } else {
            Detection::Anchor
        }
    }

    /// Runs `tamper`, checks detection, then restores the database from `restore` and checks that every
    /// row is back as it was (so every case starts from the untouched state).
    fn case(&mut self, name: &str, tamper: &str, restore: &str, tally: &mut Tally, allow_anchor: bool) {
        self.sql
            .execute_batch(tamper)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let found = self.detect();
        self.sql
            .execute_batch(restore)
            .unwrap_or_else(|e| panic!("{name}: restore: {e}"));
        tally.record(name, found, allow_anchor);
        assert!(
            dump(&self.sql) == self.baseline,
            "{name}: restore left the database changed"
        );
    }
}

#[derive(Default)]
struct Tally {
    cases: u64,
    by_verify: u64,
    by_anchor: u64,
    missed: Vec<String>,
}

impl Tally {
    fn record(&mut self, name: &str, found: Detection, allow_anchor: bool) {
        self.cases += 1;
        match found {
            Detection::Verify => self.by_verify += 1,
            Detection::Anchor if allow_anchor => self.by_anchor += 1,
            _ => self.missed.push(format!("{name}: {found:?}")),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn lit(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => format!("X'{}'", hex(b)),
    }
}

/// Every row of `table` as (key columns' SQL condition, column values).
fn rows(sql: &Connection, table: &str, key: &[&str], columns: &[&str]) -> Vec<(String, Vec<Value>)> {
    let all: Vec<&str> = key.iter().chain(columns).copied().collect();
    let query = format!(
        "SELECT {} FROM {table} ORDER BY {}",
        all.join(", "),
        key.join(", ")
    );
    let mut statement = sql.prepare(&query).unwrap();
    statement
        .query_map([], |row| {
            let values: Vec<Value> = (0..all.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<Result<_, _>>()?;
            Ok(values)
        })
        .unwrap()
        .map(|values| {
            let values = values.unwrap();
            let condition = key
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k} = {}", lit(v)))
                .collect::<Vec<_>>()
                .join(" AND ");
            (condition, values[key.len()..].to_vec())
        })
        .collect()
}

fn set(table: &str, condition: &str, columns: &[&str], values: &[Value]) -> String {
    let assignments = columns
        .iter()
        .zip(values)
        .map(|(c, v)| format!("{c} = {}", lit(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE {table} SET {assignments} WHERE {condition};")
}

/// Every single-byte change (XOR 0x01) of every blob column of every row, and every row deleted.
fn bytes_and_deletions(f: &mut Fixture, tally: &mut Tally, table: &str, key: &[&str], columns: &[&str]) {
    for (condition, values) in rows(&f.sql, table, key, columns) {
        for (c, value) in columns.iter().zip(&values) {
            let Value::Blob(bytes) = value else { continue };
            for at in 0..bytes.len() {
                let mut changed = bytes.clone();
                changed[at] ^= 0x01;
                f.case(
                    &format!("{table} {condition} {c}[{at}]"),
                    &set(table, &condition, &[c], &[Value::Blob(changed)]),
                    &set(table, &condition, &[c], std::slice::from_ref(value)),
                    tally,
                    false,
                );
            }
        }
        // Deleting the row, restored by re-inserting it as it was.
        let insert = insert_row(&f.sql, table, key, columns, &condition);
        // The latest checkpoint row deleted leaves a log whose newest entries are merely not signed
        // yet, which the database alone cannot tell from an honest one: the held checkpoint catches it.
        f.case(
            &format!("{table} {condition} deleted"),
            &format!("DELETE FROM {table} WHERE {condition};"),
            &insert,
            tally,
            table == "log_checkpoints",
        );
    }
}

/// The INSERT statement that puts back the row matching `condition` exactly as it is now.
fn insert_row(sql: &Connection, table: &str, key: &[&str], columns: &[&str], condition: &str) -> String {
    let all: Vec<&str> = key.iter().chain(columns).copied().collect();
    let query = format!("SELECT {} FROM {table} WHERE {condition}", all.join(", "));
    let values: Vec<Value> = sql
        .query_row(&query, [], |row| {
            (0..all.len()).map(|i| row.get::<_, Value>(i)).collect()
        })
        .unwrap();
    format!(
        "INSERT INTO {table} ({}) VALUES ({});",
        all.join(", "),
        values.iter().map(lit).collect::<Vec<_>>().join(", ")
    )
}

/// Every pair of rows with their non-key columns swapped.
fn swaps(f: &mut Fixture, tally: &mut Tally, table: &str, key: &[&str], columns: &[&str]) {
    let all = rows(&f.sql, table, key, columns);
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            let ((ci, vi), (cj, vj)) = (&all[i], &all[j]);
            let tamper = format!("{}{}", set(table, ci, columns, vj), set(table, cj, columns, vi));
            let restore = format!("{}{}", set(table, ci, columns, vi), set(table, cj, columns, vj));
            f.case(
                &format!("{table} swap ({ci}) <-> ({cj})"),
                &tamper,
                &restore,
                tally,
                false,
            );
        }
    }
}

const ENTRY_COLUMNS: &[&str] = &["leaf_hash", "salt", "payload", "redacted"];
const NODE_COLUMNS: &[&str] = &["hash"];
const CHECKPOINT_COLUMNS: &[&str] = &["size", "note"];

#[test]
fn every_byte_change_deletion_swap_and_truncation_of_a_64_entry_sqlite_ledger_is_detected() {
    let mut f = fixture();
    assert_eq!(
        f.detect(),
        Detection::Missed,
        "the untouched log verifies and extends its anchor"
    );
    let mut tally = Tally::default();

    // Entries (leaf hash, salt, payload), interior nodes and checkpoints: every byte, every row deleted.
    bytes_and_deletions(&mut f, &mut tally, "log_entries", &["idx"], ENTRY_COLUMNS);
    bytes_and_deletions(&mut f, &mut tally, "log_nodes", &["level", "idx"], NODE_COLUMNS);
    bytes_and_deletions(
        &mut f,
        &mut tally,
        "log_checkpoints",
        &["seq"],
        CHECKPOINT_COLUMNS,
    );

    // The redaction flag flipped on every entry: an entry marked erased that never was, and an erased
    // entry marked present.
    for idx in 0..ENTRIES {
        let toggle = format!("UPDATE log_entries SET redacted = 1 - redacted WHERE idx = {idx};");
        f.case(
            &format!("log_entries idx = {idx} redaction flag flipped"),
            &toggle,
            &toggle,
            &mut tally,
            false,
        );
    }
    // An erased entry brought back with a forged salt and payload, and a present entry erased without a
    // redaction record (salt and payload gone, flag set).
    for (condition, values) in rows(&f.sql, "log_entries", &["idx"], ENTRY_COLUMNS) {
        let restore = set("log_entries", &condition, ENTRY_COLUMNS, &values);
        let forged = if values[3] == Value::Integer(1) {
            vec![
                values[0].clone(),
                Value::Blob(vec![7; 32]),
                Value::Blob(b"consent event 5".to_vec()),
                Value::Integer(0),
            ]
        } else {
            vec![values[0].clone(), Value::Null, Value::Null, Value::Integer(1)]
        };
        f.case(
            &format!("log_entries {condition} erasure forged or undone"),
            &set("log_entries", &condition, ENTRY_COLUMNS, &forged),
            &restore,
            &mut tally,
            false,
        );
    }

    // Every pair of rows swapped, in each table.
    swaps(&mut f, &mut tally, "log_entries", &["idx"], ENTRY_COLUMNS);
    swaps(&mut f, &mut tally, "log_nodes", &["level", "idx"], NODE_COLUMNS);
    swaps(
        &mut f,
        &mut tally,
        "log_checkpoints",
        &["seq"],
        CHECKPOINT_COLUMNS,
    );

    // Every truncation point: the entries from `keep` on deleted (nodes and checkpoints left), and the
    // thorough forger's truncation that also deletes the nodes over them and the checkpoints that signed
    // them. The second leaves a shorter log that is internally consistent, so only the auditor's anchor
    // can catch it; every such case must be caught by it.
    let entries = rows(&f.sql, "log_entries", &["idx"], ENTRY_COLUMNS);
    let nodes = rows(&f.sql, "log_nodes", &["level", "idx"], NODE_COLUMNS);
    let checkpoints = rows(&f.sql, "log_checkpoints", &["seq"], CHECKPOINT_COLUMNS);
    let reinsert = |rows: &[(String, Vec<Value>)], table: &str, key: &[&str], columns: &[&str]| {
        rows.iter()
            .map(|(condition, _)| insert_row(&f.sql, table, key, columns, condition))
            .collect::<String>()
    };
    let all_entries = reinsert(&entries, "log_entries", &["idx"], ENTRY_COLUMNS);
    let all_nodes = reinsert(&nodes, "log_nodes", &["level", "idx"], NODE_COLUMNS);
    let all_checkpoints = reinsert(&checkpoints, "log_checkpoints", &["seq"], CHECKPOINT_COLUMNS);
    let restore_all = format!(
        "DELETE FROM log_entries; DELETE FROM log_nodes; DELETE FROM log_checkpoints; {all_entries}{all_nodes}{all_checkpoints}"
    );
    for keep in 0..ENTRIES {
        f.case(
            &format!("truncated to {keep} entries"),
            &format!("DELETE FROM log_entries WHERE idx >= {keep};"),
            &restore_all,
            &mut tally,
            false,
        );
        // A node at (level, idx) covers leaves idx << level .. (idx + 1) << level.
        f.case(
            &format!("truncated to {keep} entries with nodes and checkpoints"),
            &format!(
                "DELETE FROM log_entries WHERE idx >= {keep}; \
                 DELETE FROM log_nodes WHERE ((idx + 1) << level) > {keep}; \
                 DELETE FROM log_checkpoints WHERE size > {keep};"
            ),
            &restore_all,
            &mut tally,
            true,
        );
    }

    assert_eq!(f.detect(), Detection::Missed, "the restored log verifies again");
    eprintln!(
        "tamper cases: {} — {} caught by verification alone, {} by the held checkpoint, {} missed",
        tally.cases,
        tally.by_verify,
        tally.by_anchor,
        tally.missed.len()
    );
    assert!(
        tally.cases > 10_000,
        "the enumeration is exhaustive ({} cases)",
        tally.cases
    );
    assert!(
        tally.missed.is_empty(),
        "{} of {} cases not detected, first: {:#?}",
        tally.missed.len(),
        tally.cases,
        tally.missed.iter().take(20).collect::<Vec<_>>()
    );
}
