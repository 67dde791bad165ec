//! SQLite appends through `Log<SqliteStore>` beside raw `rusqlite` inserts of the same rows (entries and
//! tree nodes) in the same batch sizes under the same durability setting. The bar: custodia's
//! throughput at least 0.7 of the raw baseline's.

// A bench is test code: a panic here is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use custodia_ledger::Log;
use custodia_store::{Durability, SqliteConfig, SqliteStore};
use rusqlite::{Connection, TransactionBehavior, params};

const PAYLOAD_LEN: usize = 120;

/// A raw connection on a file with custodia's schema and the same pragmas: WAL and `synchronous`.
fn raw_connection(path: &std::path::Path, durability: Durability) -> Connection {
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

/// The raw baseline: one transaction inserting `batch` entry rows and the interior node rows they
/// complete, with precomputed hashes and salts (no hashing, no size check).
fn raw_append(conn: &mut Connection, next: &mut u64, batch: usize, payload: &[u8]) {
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
        for _ in 0..batch {
            let index = *next;
            entry
                .execute(params![index as i64, &hash, &hash, payload])
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
    let payload = vec![b'p'; PAYLOAD_LEN];
    for durability in [Durability::Full, Durability::Normal] {
        let mut group = c.benchmark_group(format!("sqlite_append_{durability:?}").to_lowercase());
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1));
        for batch in [1usize, 16, 256] {
            group.throughput(Throughput::Elements(batch as u64));
            let dir = tempfile::tempdir().unwrap();

            let mut conn = raw_connection(&dir.path().join("raw.db"), durability);
            let mut next = 0u64;
            group.bench_with_input(BenchmarkId::new("raw_rusqlite", batch), &batch, |b, &batch| {
                b.iter(|| raw_append(&mut conn, &mut next, batch, black_box(&payload)))
            });

            let config = SqliteConfig::new().with_durability(durability);
            let mut log =
                Log::new(SqliteStore::open(dir.path().join("custodia.db"), &config).unwrap()).unwrap();
            let payloads: Vec<&[u8]> = (0..batch).map(|_| payload.as_slice()).collect();
            group.bench_with_input(BenchmarkId::new("custodia_log", batch), &batch, |b, _| {
                b.iter(|| log.append(black_box(&payloads)).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, appends);
criterion_main!(benches);
