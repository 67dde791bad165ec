//! Ledger proofs as the log grows: inclusion and consistency proofs at the current size of in-memory logs of
//! 10³, 10⁴, 10⁵ and 10⁶ entries (each log built once per run), for indexes and old sizes spread over the
//! whole log. The baseline is the same proof at 10³; the target is at most 2× from 10³ to 10⁶.
//!
//! `cargo bench --bench ledger_proofs`; `CUSTODIA_BENCH_SMOKE=1` for a token run (logs up to 10⁴).

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use custodia::ledger::{Log, MemoryStore};

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
    let logs: Vec<(u64, Log<MemoryStore>)> = sizes
        .iter()
        .map(|&size| {
            let started = Instant::now();
            let log = log_of(size);
            eprintln!("built a log of {size} entries in {:.1?}", started.elapsed());
            (size, log)
        })
        .collect();
    // A stride coprime with the sizes walks every index (and old size) in turn, so each question touches a
    // different path, as a service answering for a whole book would.
    const STRIDE: u64 = 7_919;
    let inclusion = |log: &Log<MemoryStore>, size: u64, k: &mut u64| {
        *k = (*k + STRIDE) % size;
        log.inclusion_proof(black_box(*k), size).unwrap()
    };
    let consistency = |log: &Log<MemoryStore>, size: u64, k: &mut u64| {
        *k = (*k + STRIDE) % (size - 1);
        log.consistency_proof(black_box(*k + 1), size).unwrap()
    };
    let mut lengths = Vec::new();
    for (size, log) in &logs {
        let size = *size;
        lengths.push((
            size,
            log.inclusion_proof(0, size).unwrap().path().len(),
            log.consistency_proof(size / 3, size).unwrap().path().len(),
        ));
        let mut k = 0u64;
        let mut group = c.benchmark_group("inclusion_proof");
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter(|| inclusion(log, size, &mut k))
        });
        group.finish();
        let mut group = c.benchmark_group("consistency_proof");
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter(|| consistency(log, size, &mut k))
        });
        group.finish();
    }
    eprintln!("proof lengths (size, inclusion hashes, consistency hashes): {lengths:?}");
    // Paired: the largest log against 10³, alternating, so the growth ratio is not a load artefact. The
    // "custodia" side is the big log, so the printed ratio is small / big; BENCHMARKS.md shows big / small.
    if let (Some((small, small_log)), Some((big, big_log))) = (logs.first(), logs.last()) {
        let (mut i, mut j) = (0u64, 0u64);
        support::paired(
            "inclusion_proof_growth",
            101,
            support::batch(1000, || {
                black_box(inclusion(big_log, *big, &mut i));
            }),
            support::batch(1000, || {
                black_box(inclusion(small_log, *small, &mut j));
            }),
        );
        support::paired(
            "consistency_proof_growth",
            101,
            support::batch(1000, || {
                black_box(consistency(big_log, *big, &mut i));
            }),
            support::batch(1000, || {
                black_box(consistency(small_log, *small, &mut j));
            }),
        );
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = proofs
}
criterion_main!(benches);
