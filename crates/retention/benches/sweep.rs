//! Sweep cost per customer from ten thousand to a million customers, against the raw cost of generating
//! the same facts (the baseline, measured in the same run). Throughput is per customer, so a flat line
//! across sizes shows the sweep's cost does not grow with the book.

// A bench may stop on a broken fixture; criterion_group! generates undocumented items.
#![allow(clippy::panic, missing_docs)]

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use custodia_retention::{Holds, PlanItem, Profile, SweepConfig, SweepObserver, sweep};

#[path = "../tests/support/book.rs"]
mod book;

/// Streams destroyable items to nowhere, as a caller writing them out would, counting them.
#[derive(Default)]
struct Count(u64);

impl SweepObserver for Count {
    fn destroyable(&mut self, item: PlanItem) {
        self.0 += black_box(item).holdings().len() as u64;
    }
}

fn sizes() -> Vec<u64> {
    // CUSTODIA_BENCH_MAX caps the largest book, for a quick run on a busy machine.
    let max = std::env::var("CUSTODIA_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000u64);
    [10_000u64, 100_000, 1_000_000]
        .into_iter()
        .filter(|n| *n <= max)
        .collect()
}

fn bench_sweep(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let profile = Profile::cn_insurance_broker().unwrap_or_else(|e| panic!("shipped profile: {e}"));
    let holds = Holds::new();
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    for n in sizes() {
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("generate_only", n), &n, |b, &n| {
            b.iter(|| {
                let mut held = 0usize;
                for f in book::book(7, n, as_of) {
                    held += black_box(&f).held().len();
                }
                held
            })
        });
        group.bench_with_input(BenchmarkId::new("generate_and_sweep", n), &n, |b, &n| {
            b.iter(|| {
                let mut count = Count::default();
                let summary = sweep(
                    &profile,
                    &holds,
                    as_of,
                    book::book(7, n, as_of),
                    SweepConfig { progress_every: 0 },
                    &mut count,
                );
                black_box((summary.holdings(), count.0))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_sweep);
criterion_main!(benches);
