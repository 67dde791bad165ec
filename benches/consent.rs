//! Consent `permits` at book scale: 10⁵ and 10⁶ customers with ten events each (one and ten million
//! events), beside one `HashMap` lookup of the same customer in a map of the same size — the floor of any
//! per-customer question, for scale, not a target. The target is microseconds per question and a flat line
//! from 10⁵ to 10⁶ customers. Each book is built once per run, and the first is dropped before the second.
//!
//! `cargo bench --bench consent`; `CUSTODIA_BENCH_SMOKE=1` for a token run (10³ and 10⁴ customers).

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use custodia::consent::*;
use custodia::model::chrono::{DateTime, Duration, TimeZone, Utc};
use custodia::model::uuid::Uuid;
use custodia::model::{ActorId, CustomerId, DataCategory, Jurisdiction, Purpose};

fn day(d: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 9, 0, 0).unwrap() + Duration::days(d)
}

/// Ten events per customer: a notice served, grants for marketing and analytics, a separate grant for
/// health data, a cross-border grant, an objection, a withdrawal and a new grant, a refusal, an expiring
/// grant — spread over five years and recorded in time order, customers interleaved as a ledger would be.
fn book(n: u64) -> (ConsentIndex, Vec<CustomerId>) {
    let notice = Notice::new(NoticeDraft {
        id: NoticeId::from_uuid(Uuid::from_u128(1)).unwrap(),
        version: 1,
        controller_name: "示例保险经纪有限公司".into(),
        controller_contact: "privacy@broker.example".into(),
        purposes: [Purpose::Marketing, Purpose::Analytics, Purpose::Transfer].into(),
        categories: DataCategory::ALL.into_iter().collect(),
        recipients: vec![],
        destinations: [Jurisdiction::HONG_KONG].into(),
        retention: "10 years".into(),
        rights: "privacy@broker.example".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of(b"text"),
        published_at: day(0),
        recorded_at: day(0),
        processing: Some(custodia_synthetic::notices::processing_details(
            "privacy@broker.example",
        )),
    })
    .unwrap();
    let mut index = ConsentIndex::new(BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent));
    index.insert(0, &ConsentRecord::Notice(notice.clone())).unwrap();
    let ids: Vec<CustomerId> = (0..n)
        .map(|i| CustomerId::from_uuid(Uuid::from_u128(0x1_0000_0000 + u128::from(i))).unwrap())
        .collect();
    let actor = ActorId::new("clerk-0002").unwrap();
    let plan: [(EventKind, Purpose, DataCategory, bool, Option<Jurisdiction>, i64); 10] = [
        (
            EventKind::NoticeServed,
            Purpose::Marketing,
            DataCategory::Contact,
            false,
            None,
            0,
        ),
        (
            EventKind::Granted,
            Purpose::Marketing,
            DataCategory::Contact,
            false,
            None,
            10,
        ),
        (
            EventKind::Granted,
            Purpose::Analytics,
            DataCategory::Policies,
            false,
            None,
            20,
        ),
        (
            EventKind::Granted,
            Purpose::Analytics,
            DataCategory::Health,
            true,
            None,
            200,
        ),
        (
            EventKind::Granted,
            Purpose::Transfer,
            DataCategory::Policies,
            true,
            Some(Jurisdiction::HONG_KONG),
            300,
        ),
        (
            EventKind::Objected,
            Purpose::Analytics,
            DataCategory::Policies,
            false,
            None,
            500,
        ),
        (
            EventKind::Withdrawn,
            Purpose::Marketing,
            DataCategory::Contact,
            false,
            None,
            700,
        ),
        (
            EventKind::Granted,
            Purpose::Marketing,
            DataCategory::Contact,
            false,
            None,
            900,
        ),
        (
            EventKind::Refused,
            Purpose::Transfer,
            DataCategory::Health,
            false,
            None,
            1100,
        ),
        (
            EventKind::Granted,
            Purpose::Analytics,
            DataCategory::Identity,
            false,
            None,
            1300,
        ),
    ];
    let started = Instant::now();
    let mut next = 1u64;
    for (kind, purpose, category, separate, destination, offset) in plan {
        for (i, id) in ids.iter().enumerate() {
            let t = day(offset + (i % 97) as i64);
            let event = ConsentEvent::new(EventDraft {
                id: EventId::from_uuid(Uuid::from_u128(u128::from(next))).unwrap(),
                customer: *id,
                kind,
                scope: ConsentScope::new([purpose.clone()], [category], Recipient::Controller, destination)
                    .unwrap(),
                form: if separate {
                    ConsentForm::Separate
                } else {
                    ConsentForm::Bundled
                },
                notice: notice.reference(),
                channel: Channel::Web,
                evidence: Digest::from_bytes([7; 32]),
                effective_at: t,
                recorded_at: t,
                recorded_by: actor.clone(),
                expires_at: (offset == 1300).then(|| t + Duration::days(365)),
            })
            .unwrap();
            index.insert(next, &ConsentRecord::Event(event)).unwrap();
            next += 1;
        }
    }
    index.shrink_to_fit();
    eprintln!(
        "built an index of {} customers and {} events in {:.1?}",
        index.stats().customers,
        index.stats().events,
        started.elapsed()
    );
    (index, ids)
}

fn bench(c: &mut Criterion) {
    let sizes: &[u64] = if support::smoke() {
        &[1_000, 10_000]
    } else {
        &[100_000, 1_000_000]
    };
    // Both books stay in memory (about 1.3 GB at 10⁶), so the paired growth ratio below can alternate them.
    let books: Vec<(u64, ConsentIndex, Vec<CustomerId>)> = sizes
        .iter()
        .map(|&n| {
            let (index, ids) = book(n);
            (n, index, ids)
        })
        .collect();
    let marketing = ProposedUse::domestic(Purpose::Marketing, DataCategory::Contact);
    let health = ProposedUse::domestic(Purpose::Analytics, DataCategory::Health);
    let abroad = ProposedUse::new(
        Purpose::Transfer,
        DataCategory::Policies,
        Recipient::Controller,
        Jurisdiction::HONG_KONG,
    );
    let contract = ProposedUse::domestic(Purpose::ClaimsAssistance, DataCategory::Health);
    let questions = [
        ("consent_marketing", &marketing),
        ("consent_sensitive", &health),
        ("consent_cross_border", &abroad),
        ("contract_basis", &contract),
    ];
    let (at, as_of) = (day(1000), day(2000));
    // A stride through the book so that successive questions touch different customers (cache misses, as
    // in a service answering for a whole book).
    const STRIDE: usize = 7_919;
    let ask = |index: &ConsentIndex, ids: &[CustomerId], u: &ProposedUse, k: &mut usize| {
        *k = (*k + STRIDE) % ids.len();
        black_box(index.permits(&Subject::new(ids[*k]), u, at, as_of))
    };
    let maps: Vec<HashMap<CustomerId, u64>> = books
        .iter()
        .map(|(_, _, ids)| ids.iter().map(|id| (*id, 1)).collect())
        .collect();
    for (position, (n, index, ids)) in books.iter().enumerate() {
        let n = *n;
        let mut k = 0usize;
        for (name, u) in questions {
            let mut group = c.benchmark_group(format!("permits_{name}"));
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| ask(index, ids, u, &mut k))
            });
            group.finish();
        }
        let baseline = &maps[position];
        let mut group = c.benchmark_group("permits_baseline_hashmap_lookup");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                k = (k + STRIDE) % ids.len();
                black_box(baseline.get(&ids[k]))
            })
        });
        group.finish();
    }
    // Paired: the big book against the small one, alternating. The "custodia" side is the big book, so the
    // printed ratio is small / big; BENCHMARKS.md shows big / small.
    if let (Some((_, small, small_ids)), Some((_, big, big_ids))) = (books.first(), books.last()) {
        for (name, u) in questions {
            let (mut i, mut j) = (0usize, 0usize);
            support::paired(
                &format!("permits_{name}_growth"),
                101,
                support::batch(1000, || {
                    ask(big, big_ids, u, &mut i);
                }),
                support::batch(1000, || {
                    ask(small, small_ids, u, &mut j);
                }),
            );
        }
    }
    // The same growth for one hash-map lookup: the cost of a bigger book's cache misses alone.
    if let (Some(small), Some(big), Some((_, _, small_ids)), Some((_, _, big_ids))) =
        (maps.first(), maps.last(), books.first(), books.last())
    {
        let (mut i, mut j) = (0usize, 0usize);
        support::paired(
            "permits_baseline_hashmap_lookup_growth",
            101,
            support::batch(1000, || {
                i = (i + STRIDE) % big_ids.len();
                black_box(big.get(&big_ids[i]));
            }),
            support::batch(1000, || {
                j = (j + STRIDE) % small_ids.len();
                black_box(small.get(&small_ids[j]));
            }),
        );
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = bench
}
criterion_main!(benches);
