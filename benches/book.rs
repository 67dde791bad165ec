//! Synthetic book generation: customers per second from `SyntheticBook::stream`, the generator every
//! example, test and bench draws its books from. The target is a million customers in seconds; the bench
//! measures batches of 10⁴ customers (throughput in customers, so the median times 100 is a million) and
//! times one full stream of 10⁶ customers once, outside criterion, printed to stderr.
//!
//! `cargo bench --bench book`; `CUSTODIA_BENCH_SMOKE=1` for a token run (no million-customer pass).

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use custodia::model::chrono::NaiveDate;
use custodia_synthetic::book::{BookConfig, SyntheticBook};

fn generate(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let n = support::size(10_000, 1_000);
    let config = BookConfig {
        customers: n,
        seed: 7,
        ..BookConfig::default()
    };
    let mut group = c.benchmark_group("synthetic_book");
    group.throughput(Throughput::Elements(n));
    group.bench_with_input(BenchmarkId::new("stream", n), &config, |b, config| {
        b.iter(|| {
            let mut consents = 0usize;
            for customer in SyntheticBook::stream(config, as_of).unwrap() {
                consents += black_box(customer.unwrap()).consents.len();
            }
            consents
        })
    });
    group.finish();

    if !support::smoke() {
        let million = BookConfig {
            customers: 1_000_000,
            seed: 7,
            ..BookConfig::default()
        };
        let started = Instant::now();
        let mut count = 0u64;
        for customer in SyntheticBook::stream(&million, as_of).unwrap() {
            black_box(customer.unwrap());
            count += 1;
        }
        eprintln!(
            "synthetic_book: streamed {count} customers in {:.2?} (one pass)",
            started.elapsed()
        );
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = generate
}
criterion_main!(benches);
