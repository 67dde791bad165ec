//! Retention sweep cost per customer at 10⁴ and 10⁶ customers: the target is that a customer costs at most
//! 1.3× as much in the big book as in the small one (the sweep streams; nothing grows with the book).
//!
//! The book is generated lazily, customer by customer, so it never sits in memory; `generate_only` measures
//! that generation alone in the same run, so the sweep's own share is `generate_and_sweep − generate_only`.
//! Throughput is in customers. The 10⁶ book is one iteration per sample (flat sampling).
//!
//! `cargo bench --bench retention`; `CUSTODIA_BENCH_SMOKE=1` for a token run (10³ and 10⁴ customers).

// A bench may stop on a broken fixture; criterion_group! generates an undocumented public function.
#![allow(clippy::panic, missing_docs)]

use custodia_synthetic::retention as book;
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use custodia::model::chrono::NaiveDate;
use custodia::retention::{Holds, PlanItem, Profile, SweepConfig, SweepInput, SweepObserver, sweep};

/// Streams destroyable items to nowhere, as a caller writing them out would, counting them.
#[derive(Default)]
struct Count(u64);

impl SweepObserver for Count {
    fn destroyable(&mut self, item: PlanItem) {
        self.0 += black_box(item).holdings().len() as u64;
    }
}

fn bench_sweep(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let profile = Profile::cn_insurance_broker().unwrap_or_else(|e| panic!("shipped profile: {e}"));
    let holds = Holds::new();
    let input = SweepInput {
        profile: &profile,
        holds: &holds,
        as_of,
        config: SweepConfig { progress_every: 0 },
    };
    let sizes: &[u64] = if support::smoke() {
        &[1_000, 10_000]
    } else {
        &[10_000, 1_000_000]
    };
    let mut group = c.benchmark_group("retention_sweep");
    for &n in sizes {
        group.throughput(Throughput::Elements(n));
        if n >= 1_000_000 {
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_millis(1));
        }
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
                let summary = sweep(input, book::book(7, n, as_of), &mut count, &mut |_| {});
                black_box((summary.holdings(), count.0))
            })
        });
    }
    group.finish();
    // Paired: one sweep of the big book against one of the small book, alternating, per customer. The
    // "custodia" side is the big book, so the printed ratio is small / big; BENCHMARKS.md shows big / small.
    let run = |n: u64| {
        let mut count = Count::default();
        let summary = sweep(input, book::book(7, n, as_of), &mut count, &mut |_| {});
        black_box((summary.holdings(), count.0));
        n
    };
    if let (Some(&small), Some(&big)) = (sizes.first(), sizes.last()) {
        // Ten small sweeps per round, so the small side's batch is not a few milliseconds of noise.
        support::paired(
            "retention_sweep_growth",
            7,
            || run(big),
            || (0..10).map(|_| run(small)).sum(),
        );
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench_sweep
}
criterion_main!(benches);
