//! The ledger in memory: appends against raw SHA-256 of the same payload bytes.
//!
//! `ledger_append_memory`: `Log<MemoryStore>::append` of batches of 1,000 payloads of 200 bytes (salts, leaf
//! hashes, interior nodes, storage) against `ring::digest` SHA-256 over each of the same 1,000 payloads.
//! Throughput is in entries. The log is replaced by a fresh one (outside the timed region) every 200,000
//! entries, so memory stays bounded while appends still land in a log of realistic size. Proofs are in
//! `ledger_proofs.rs`.
//!
//! `cargo bench --bench ledger`; `CUSTODIA_BENCH_SMOKE=1` for a token run.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia::ledger::{Log, MemoryStore};
use ring::digest::{SHA256, digest};

const BATCH: usize = 1_000;
const PAYLOAD_LEN: usize = 200;
const RESET_AT: u64 = 200_000;

/// 1,000 distinct 200-byte payloads.
fn payloads() -> Vec<Vec<u8>> {
    (0..BATCH)
        .map(|i| {
            let mut p = vec![b'p'; PAYLOAD_LEN];
            p[..8].copy_from_slice(&(i as u64).to_be_bytes());
            p
        })
        .collect()
}

fn append(c: &mut Criterion) {
    let owned = payloads();
    let batch: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    let mut group = c.benchmark_group("ledger_append_memory");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut log = Log::new(MemoryStore::new()).unwrap();
    group.bench_function("custodia", |b| {
        b.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                if log.size() >= RESET_AT {
                    log = Log::new(MemoryStore::new()).unwrap();
                }
                let start = Instant::now();
                black_box(log.append(black_box(&batch)).unwrap());
                spent += start.elapsed();
            }
            spent
        })
    });
    group.bench_function("raw_sha256", |b| {
        b.iter(|| {
            for payload in &batch {
                black_box(digest(&SHA256, black_box(payload)));
            }
        })
    });
    group.finish();
    // 41 rounds of four batches stay under the reset size, so no round pays for dropping a log.
    log = Log::new(MemoryStore::new()).unwrap();
    support::paired(
        "ledger_append_memory",
        41,
        || {
            for _ in 0..4 {
                black_box(log.append(black_box(&batch)).unwrap());
            }
            4 * BATCH as u64
        },
        || {
            for _ in 0..4 {
                for payload in &batch {
                    black_box(digest(&SHA256, black_box(payload)));
                }
            }
            4 * BATCH as u64
        },
    );
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = append
}
criterion_main!(benches);
