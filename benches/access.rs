//! The gated read: `Brokerage::read` of one section — the principal's record loaded, the customer's facts
//! (sealed facts opened, consent basis, retention, holds, transfers), the Cedar decision, the access entry
//! appended to the ledger in its own transaction, the monitors, the section read and opened — against a raw
//! baseline that only reads the same-size sealed section from an SQLite table with `rusqlite` and opens it
//! (the DEK unwrapped, AES-256-GCM), in the same run (paired, `support::paired`).
//!
//! Two durabilities: `full` (the default: every logged read is a committed, fsynced ledger append) and
//! `normal` (WAL without fsync at commit). Target (issue 17): ratio baseline/custodia ≥ 0.2.
//!
//! A second baseline, `raw_read_logged`, adds the least a logged read must do on top of the raw read: one
//! row of the access entry's size inserted and committed in its own transaction, at the same `synchronous`
//! setting — the floor set by "no plaintext without an allow entry on the ledger" (BENCHMARKS.md).
//!
//! `cargo bench --bench access`; `CUSTODIA_BENCH_SMOKE=1` for a token run.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use custodia::access::Ticket;
use custodia::brokerage::{
    Brokerage, BrokerageConfig, ManualClock, Onboarding, ReadRequest, StaticKeySource,
};
use custodia::crypto::{Keyring, KeyringConfig, SealedSection, open_section, seal_section};
use custodia::model::{CustomerId, DataCategory, Purpose};
use custodia::store::{Durability, SqliteConfig};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::staff::Staff;
use rusqlite::{Connection, params};

/// A brokerage with a small onboarded book and a compliance officer; the customer read and its plaintext.
fn brokerage(dir: &std::path::Path, durability: Durability) -> (Brokerage, ReadRequest, Vec<u8>) {
    // A Monday morning (working hours: no off-hours alert on every read), the clock held still.
    let monday = custodia_synthetic::consent::at_nine("2026-06-01".parse().unwrap()).unwrap();
    let config = BrokerageConfig::sqlite_with(
        dir.join("custodia.db"),
        SqliteConfig::new().with_durability(durability),
    )
    .with_clock(ManualClock::at(monday));
    let b = Brokerage::open(config, &StaticKeySource::new([0x42; 32])).unwrap();
    let book = BookConfig {
        seed: 5,
        customers: 50,
        ..BookConfig::default()
    };
    let customers = SyntheticBook::generate(&book, monday.date_naive()).unwrap();
    let first: CustomerId = customers.customers()[0].customer.id();
    let notice = custodia_synthetic::consent::privacy_notice(
        "示例保险经纪有限公司",
        "privacy@seller.example",
        b.now(),
    )
    .unwrap();
    b.publish_notice(&notice).unwrap();
    let onboard = customers
        .customers()
        .iter()
        .map(|c| Onboarding::new(c.customer.clone(), notice.reference()));
    b.onboard_batch(onboard, &mut |_| {}).unwrap();
    let officer = Staff::new("emp-bench", &["compliance"], &[Purpose::LegalCompliance], b.now()).unwrap();
    b.put_principal(&officer.principal).unwrap();
    let request = ReadRequest {
        principal: officer.id().clone(),
        customer: first,
        categories: [DataCategory::Identity].into_iter().collect(),
        purpose: Purpose::LegalCompliance,
        ticket: Some(Ticket::new("audit-bench").unwrap()),
        approval: None,
    };
    let got = b.read(request.clone()).unwrap();
    let plaintext = got.sections[0].1.to_vec();
    (b, request, plaintext)
}

/// The baseline's table: one sealed section of the same length, in custodia's SQLite pragmas' WAL mode.
struct Raw {
    conn: Connection,
    keyring: Keyring,
    wrapped: custodia::crypto::WrappedKey,
    customer: CustomerId,
}

impl Raw {
    fn new(dir: &std::path::Path, plaintext: &[u8], durability: Durability) -> Self {
        let conn = Connection::open(dir.join("raw.db")).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        let synchronous = match durability {
            Durability::Full => "FULL",
            _ => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous={synchronous}; \
             CREATE TABLE sections (customer BLOB, category TEXT, version INTEGER, sealed BLOB, \
             PRIMARY KEY (customer, category, version)); \
             CREATE TABLE log (idx INTEGER PRIMARY KEY, payload BLOB NOT NULL)"
        ))
        .unwrap();
        let keyring = Keyring::derive_from_master(&[3; 32], 1, KeyringConfig::default()).unwrap();
        let customer = CustomerId::new_v7();
        let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
        let sealed = seal_section(&dek, customer, DataCategory::Identity, 1, plaintext).unwrap();
        conn.execute(
            "INSERT INTO sections VALUES (?1, 'identity', 1, ?2)",
            params![customer.as_bytes().as_slice(), sealed.as_bytes()],
        )
        .unwrap();
        Self {
            conn,
            keyring,
            wrapped,
            customer,
        }
    }

    fn read(&self) -> usize {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT sealed FROM sections WHERE customer = ?1 AND category = 'identity' AND version = 1",
            )
            .unwrap();
        let bytes: Vec<u8> = stmt
            .query_row(params![self.customer.as_bytes().as_slice()], |r| r.get(0))
            .unwrap();
        let sealed = SealedSection::from_vec(bytes).unwrap();
        let dek = self.keyring.unwrap(&self.wrapped).unwrap();
        open_section(&dek, self.customer, DataCategory::Identity, 1, &sealed)
            .unwrap()
            .len()
    }

    /// The raw read, then `entry` appended to a plain table and committed (autocommit: its own transaction).
    fn read_logged(&self, entry: &[u8]) -> usize {
        let n = self.read();
        self.conn
            .prepare_cached("INSERT INTO log (payload) VALUES (?1)")
            .unwrap()
            .execute(params![entry])
            .unwrap();
        n
    }
}

fn gated_read(c: &mut Criterion) {
    for (name, durability) in [("full", Durability::Full), ("normal", Durability::Normal)] {
        let dir = tempfile::tempdir().unwrap();
        let (b, request, plaintext) = brokerage(dir.path(), durability);
        let raw = Raw::new(dir.path(), &plaintext, durability);
        assert_eq!(raw.read(), plaintext.len());
        // An access entry's bytes as the ledger holds them, for the logged baseline.
        let (_, entry) = b.access_log_of(request.customer).unwrap().pop().unwrap();
        let entry = entry.payload().unwrap();
        let mut group = c.benchmark_group(format!("gated_read_{name}"));
        group.bench_function("custodia", |bench| {
            bench.iter(|| b.read(black_box(request.clone())).unwrap())
        });
        group.bench_function("raw_rusqlite_open", |bench| bench.iter(|| black_box(raw.read())));
        group.bench_function("raw_read_logged", |bench| {
            bench.iter(|| black_box(raw.read_logged(black_box(&entry))))
        });
        group.finish();
        let n = support::size(200, 20);
        support::paired(
            &format!("gated_read_{name}"),
            21,
            support::batch(n, || {
                black_box(b.read(black_box(request.clone())).unwrap());
            }),
            support::batch(n, || {
                black_box(raw.read());
            }),
        );
        support::paired(
            &format!("gated_read_{name}_vs_logged"),
            21,
            support::batch(n, || {
                black_box(b.read(black_box(request.clone())).unwrap());
            }),
            support::batch(n, || {
                black_box(raw.read_logged(&entry));
            }),
        );
        let alerts = b.alerts().unwrap().len();
        eprintln!("gated_read_{name}: {alerts} alerts raised by the bench's own reads");
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = gated_read
}
criterion_main!(benches);
