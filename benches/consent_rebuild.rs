//! Rebuilding consent answers from the ledger (issue 22): `ConsentIndex::rebuild` of an SQLite log that holds
//! a synthetic book's notice and every customer's consent events (the payloads the brokerage appends), against
//! a raw scan of the same rows — `SELECT payload FROM log_entries ORDER BY idx` with `rusqlite`, every payload
//! touched — in the same run (paired, `support::paired`). The difference is the decoding (JSON to typed
//! records, every invariant checked again) and the index itself.
//!
//! Target (issue 22): ratio baseline/custodia ≥ 0.5. `cargo bench --bench consent_rebuild`;
//! `CUSTODIA_BENCH_SMOKE=1` for a token run.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use custodia::consent::{BasisPolicy, ConsentIndex, ConsentRecord, TransferPath};
use custodia::ledger::Log;
use custodia::store::{SqliteConfig, SqliteStore};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::consent_events;
use rusqlite::Connection;

fn rebuild(_: &mut Criterion) {
    let n = support::size(20_000, 500);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    let (notice, recording) = support::onboarding_notice();
    log.append(&[ConsentRecord::Notice(notice).encode().unwrap().as_slice()])
        .unwrap();
    let config = BookConfig {
        seed: 11,
        customers: n,
        ..BookConfig::default()
    };
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let flush = |log: &mut Log<SqliteStore>, payloads: &mut Vec<Vec<u8>>| {
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        log.append(&refs).unwrap();
        payloads.clear();
    };
    for c in SyntheticBook::stream(&config, "2026-05-31".parse().unwrap()).unwrap() {
        let c = c.unwrap();
        for fact in &c.consents {
            for event in consent_events(c.customer.id(), fact, &recording).unwrap() {
                payloads.push(ConsentRecord::Event(event).encode().unwrap());
            }
        }
        if payloads.len() >= 4096 {
            flush(&mut log, &mut payloads);
        }
    }
    flush(&mut log, &mut payloads);
    let entries = log.size();
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent);
    let index = ConsentIndex::rebuild(&log, policy.clone(), &mut |_| {}).unwrap();
    assert_eq!(
        index.stats().events as u64 + 1,
        entries,
        "every entry is a consent record"
    );
    eprintln!("consent_rebuild: {n} customers, {entries} ledger entries");

    let raw = Connection::open(&path).unwrap();
    let scan = || {
        let mut stmt = raw
            .prepare_cached("SELECT payload FROM log_entries ORDER BY idx")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut bytes = 0usize;
        while let Some(row) = rows.next().unwrap() {
            bytes += black_box(row.get_ref(0).unwrap().as_blob().unwrap()).len();
        }
        bytes
    };
    assert!(scan() > 0);
    support::paired(
        "consent_rebuild_vs_raw_scan",
        11,
        || {
            let index = ConsentIndex::rebuild(&log, policy.clone(), &mut |_| {}).unwrap();
            black_box(index.stats().events as u64)
        },
        || {
            black_box(scan());
            entries
        },
    );
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = rebuild
}
criterion_main!(benches);
