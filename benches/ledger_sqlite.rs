//! The ledger on SQLite: `Log<SqliteStore>::append` against raw `rusqlite` inserts of the same rows.
//!
//! Batches of 1,000 payloads of 200 bytes, one transaction per batch on both sides. The raw baseline writes
//! the very rows custodia writes — one `log_entries` row per entry (index, 32-byte leaf hash, 32-byte salt,
//! payload) and one `log_nodes` row per completed interior node — through cached prepared statements in a
//! `BEGIN IMMEDIATE` transaction, on a file with custodia's schema and pragmas (WAL, the same `synchronous`,
//! `secure_delete=ON`). It skips what only custodia does: salts from the system generator, SHA-256 of every
//! leaf and node, and the size check that stops two writers forking the tree. Group
//! `ledger_append_sqlite_full` is the default durability (`synchronous=FULL`, one fsync per batch), the one
//! the target is about, at batches of 1,000 and (from custodia-store's first version of this bench) of 1,
//! 16 and 256; `ledger_append_sqlite_normal` (no fsync at commit) shows the CPU-bound case.
//!
//! `cargo bench --bench ledger_sqlite`; `CUSTODIA_BENCH_SMOKE=1` for a token run.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use custodia::ledger::Log;
use custodia::store::{Durability, SqliteConfig, SqliteStore};
use rusqlite::{Connection, TransactionBehavior, params};

const BATCH: usize = 1_000;
const PAYLOAD_LEN: usize = 200;

/// A raw connection on a file that custodia created (so the schema is byte for byte the same), with the
/// same pragmas custodia sets.
fn raw_connection(path: &Path, durability: Durability) -> Connection {
    drop(SqliteStore::open(path, &SqliteConfig::new().with_durability(durability)).unwrap());
    let conn = Connection::open(path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync = match durability {
        Durability::Normal => "NORMAL",
        _ => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync).unwrap();
    conn.pragma_update(None, "secure_delete", "ON").unwrap();
    conn
}

/// One transaction inserting `payloads.len()` entry rows and the interior node rows they complete, with
/// fixed hash and salt bytes (no hashing, no randomness, no size check).
fn raw_append(conn: &mut Connection, next: &mut u64, payloads: &[Vec<u8>]) {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    {
        let mut entry = tx
            .prepare_cached(
                "INSERT INTO log_entries (idx, leaf_hash, salt, payload, redacted) VALUES (?1, ?2, ?3, ?4, 0)",
            )
            .unwrap();
        let mut node = tx
            .prepare_cached("INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
            .unwrap();
        let hash = [7u8; 32];
        let salt = [8u8; 32];
        for payload in payloads {
            let index = *next;
            entry
                .execute(params![index as i64, &hash, &salt, payload])
                .unwrap();
            let (mut position, mut level) = (index, 0u8);
            while position & 1 == 1 {
                position >>= 1;
                level += 1;
                node.execute(params![level, position as i64, &hash]).unwrap();
            }
            *next += 1;
        }
    }
    tx.commit().unwrap();
}

fn appends(c: &mut Criterion) {
    let owned: Vec<Vec<u8>> = (0..BATCH)
        .map(|i| {
            let mut p = vec![b'p'; PAYLOAD_LEN];
            p[..8].copy_from_slice(&(i as u64).to_be_bytes());
            p
        })
        .collect();
    // The target's batch of 1,000 under both durabilities; smaller batches under the default show what
    // one fsync per commit costs when a caller does not batch.
    let runs: &[(&str, Durability, usize)] = &[
        ("full", Durability::Full, BATCH),
        ("normal", Durability::Normal, BATCH),
        ("full", Durability::Full, 1),
        ("full", Durability::Full, 16),
        ("full", Durability::Full, 256),
    ];
    for &(name, durability, size) in runs {
        let mut group = c.benchmark_group(format!("ledger_append_sqlite_{name}"));
        group.throughput(Throughput::Elements(size as u64));
        if !support::smoke() {
            if size == BATCH {
                group.sample_size(20).measurement_time(Duration::from_secs(4));
            } else {
                group.sample_size(10).measurement_time(Duration::from_secs(2));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let config = SqliteConfig::new().with_durability(durability);
        let mut log = Log::new(SqliteStore::open(dir.path().join("custodia.db"), &config).unwrap()).unwrap();
        let mut conn = raw_connection(&dir.path().join("raw.db"), durability);
        let mut next = 0u64;
        let rows = &owned[..size];
        let batch: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        group.bench_function(BenchmarkId::new("custodia", size), |b| {
            b.iter(|| log.append(black_box(&batch)).unwrap())
        });
        group.bench_function(BenchmarkId::new("raw_rusqlite", size), |b| {
            b.iter(|| raw_append(&mut conn, &mut next, black_box(rows)))
        });
        group.finish();
        support::paired(
            &format!("ledger_append_sqlite_{name}_{size}"),
            if size == BATCH { 21 } else { 41 },
            || {
                black_box(log.append(black_box(&batch)).unwrap());
                size as u64
            },
            || {
                raw_append(&mut conn, &mut next, black_box(rows));
                size as u64
            },
        );
        eprintln!(
            "{name}, batches of {size}: custodia log grew to {} entries, raw table to {next} rows",
            log.size()
        );
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = appends
}
criterion_main!(benches);
