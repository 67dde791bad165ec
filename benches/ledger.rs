//! The ledger in memory: appends against raw SHA-256 of the same payload bytes, and proofs as the log grows.
//!
//! - `ledger_append_memory`: `Log<MemoryStore>::append` of batches of 1,000 payloads of 200 bytes (salts,
//!   leaf hashes, interior nodes, storage) against `ring::digest` SHA-256 over each of the same 1,000
//!   payloads. Throughput is in entries. The log is replaced by a fresh one (outside the timed region) every
//!   200,000 entries, so memory stays bounded while appends still land in a log of realistic size.
//! - `inclusion_proof`, `consistency_proof`: proofs at the current size of logs of 10³, 10⁴, 10⁵ and 10⁶
//!   entries (each log built once per run), for indexes and old sizes spread over the whole log. The
//!   baseline is the same proof at 10³; the target is at most 2× from 10³ to 10⁶.
//!
//! `cargo bench --bench ledger`; `CUSTODIA_BENCH_SMOKE=1` for a token run (logs up to 10⁴).

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
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
}

/// A log of `size` entries of 32 bytes (payload size does not enter a proof).
fn log_of(size: u64) -> Log<MemoryStore> {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    let chunk = 10_000u64;
    let owned: Vec<[u8; 32]> = (0..chunk).map(|i| [i as u8; 32]).collect();
    let mut done = 0;
    while done < size {
        let n = (size - done).min(chunk) as usize;
        let batch: Vec<&[u8]> = owned[..n].iter().map(|p| p.as_slice()).collect();
        log.append(&batch).unwrap();
        done += n as u64;
    }
    log
}

fn proofs(c: &mut Criterion) {
    let sizes: &[u64] = if support::smoke() {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    let mut inclusion = Vec::new();
    let mut consistency = Vec::new();
    for &size in sizes {
        let started = Instant::now();
        let log = log_of(size);
        eprintln!("built a log of {size} entries in {:.1?}", started.elapsed());
        // A stride coprime with the size walks every index (and old size) in turn, so each question
        // touches a different path, as a service answering for a whole book would.
        let stride = 7_919u64;
        let mut k = 0u64;
        let mut i = 0u64;
        let proof = log.inclusion_proof(0, size).unwrap();
        inclusion.push((size, proof.path().len()));
        let mut group = c.benchmark_group("inclusion_proof");
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter(|| {
                k = (k + stride) % size;
                log.inclusion_proof(black_box(k), size).unwrap()
            })
        });
        group.finish();
        let proof = log.consistency_proof(size / 3, size).unwrap();
        consistency.push((size, proof.path().len()));
        let mut group = c.benchmark_group("consistency_proof");
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter(|| {
                i = (i + stride) % (size - 1);
                log.consistency_proof(black_box(i + 1), size).unwrap()
            })
        });
        group.finish();
    }
    eprintln!("proof lengths (size, hashes): inclusion {inclusion:?}, consistency {consistency:?}");
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = append, proofs
}
criterion_main!(benches);
