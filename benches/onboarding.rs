//! The one-time onboarding of a book (issue 22): `Brokerage::onboard_batch` of 2,000 customers with their
//! consents, in id order, one unit of work per 2,000 as the main job runs it — each customer's data key
//! generated and wrapped, every category sealed, blind indexes, the sealed facts, version 1, the consent
//! events and vault anchors appended to the ledger, a signed checkpoint — against a raw baseline that inserts
//! **the same sealed rows** with `rusqlite` into a fresh file of the same schema at the same pragmas (WAL,
//! `synchronous=FULL`, `secure_delete=ON`, in as many transactions), in the same run (paired,
//! `support::paired`). The rows are read back from a store the same onboarding filled, so both sides write
//! the same bytes: the ratio is the price of computing them (keys, sealing, hashing, JSON, checks).
//!
//! Target (issue 22): ratio baseline/custodia ≥ 0.5. `cargo bench --bench onboarding`;
//! `CUSTODIA_BENCH_SMOKE=1` for a token run.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::num::NonZeroUsize;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use custodia::brokerage::{Brokerage, BrokerageConfig, ManualClock, Onboarding, StaticKeySource};
use custodia::consent::Notice;
use custodia_synthetic::book::{BookConfig, SyntheticBook, SyntheticCustomer};
use custodia_synthetic::consent::{Recording, at_nine, consent_events};
use rusqlite::Connection;
use rusqlite::types::Value;

/// Customers per unit of work, as the main job onboards (examples/license_transfer.rs).
const BATCH: NonZeroUsize = NonZeroUsize::new(2000).unwrap();

struct Book {
    notice: Notice,
    customers: Vec<SyntheticCustomer>,
    recording: Recording,
}

fn book(n: u64) -> Book {
    let book_date = "2026-05-31".parse().unwrap();
    let config = BookConfig {
        seed: 9,
        customers: n,
        ..BookConfig::default()
    };
    let customers = SyntheticBook::stream_in_id_order(&config, book_date)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (notice, recording) = support::onboarding_notice();
    Book {
        notice,
        customers,
        recording,
    }
}

/// Onboards the book into a fresh store at `path` (the store opened and the notice published first, as
/// the main job does); returns the customers onboarded.
fn onboard(path: &Path, book: &Book) -> u64 {
    let clock = ManualClock::at(at_nine("2026-05-31".parse().unwrap()).unwrap());
    let config = BrokerageConfig::sqlite(path).with_clock(clock).with_batch(BATCH);
    let b = Brokerage::open(config, &StaticKeySource::new([0x42; 32])).unwrap();
    b.publish_notice(&book.notice).unwrap();
    let mut onboarded = 0;
    for chunk in book.customers.chunks(BATCH.get()) {
        let batch = chunk.iter().map(|c| {
            let consents = c
                .consents
                .iter()
                .flat_map(|f| consent_events(c.customer.id(), f, &book.recording).unwrap())
                .collect();
            Onboarding::new(c.customer.clone(), book.notice.reference()).with_consents(consents)
        });
        onboarded += b.onboard_batch(batch, &mut |_| {}).unwrap().customers;
    }
    onboarded
}

/// Every row of a store file, table by table, and the statements that make its schema.
struct Rows {
    schema: Vec<String>,
    tables: Vec<(String, usize, Vec<Vec<Value>>)>,
    units: usize,
}

impl Rows {
    fn read(path: &Path, units: usize) -> Self {
        let conn = Connection::open(path).unwrap();
        let mut schema = Vec::new();
        let mut names = Vec::new();
        let mut stmt = conn
            .prepare(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
                 ORDER BY type = 'index', rowid",
            )
            .unwrap();
        for row in stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .unwrap()
        {
            let (kind, name, sql) = row.unwrap();
            if kind == "table" {
                names.push(name);
            }
            schema.push(sql);
        }
        let mut tables = Vec::new();
        for name in names {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
            let columns = stmt.column_count();
            let rows: Vec<Vec<Value>> = stmt
                .query_map([], |r| (0..columns).map(|i| r.get::<_, Value>(i)).collect())
                .unwrap()
                .map(Result::unwrap)
                .collect();
            tables.push((name, columns, rows));
        }
        Self {
            schema,
            tables,
            units,
        }
    }

    fn count(&self) -> usize {
        self.tables.iter().map(|(_, _, rows)| rows.len()).sum()
    }

    fn bytes(&self) -> usize {
        let size = |v: &Value| match v {
            Value::Blob(b) => b.len(),
            Value::Text(t) => t.len(),
            _ => 8,
        };
        self.tables
            .iter()
            .flat_map(|(_, _, rows)| rows.iter().flatten())
            .map(size)
            .sum()
    }

    /// The raw baseline: a fresh file at `path` with the store's pragmas and schema, every row inserted with a
    /// cached prepared statement, in `units` transactions (each a share of every table).
    fn insert(&self, path: &Path) {
        let mut conn = Connection::open(path).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;",
        )
        .unwrap();
        for sql in &self.schema {
            conn.execute_batch(sql).unwrap();
        }
        for unit in 0..self.units {
            let tx = conn.transaction().unwrap();
            for (name, columns, rows) in &self.tables {
                let share = rows.len().div_ceil(self.units);
                let placeholders = vec!["?"; *columns].join(", ");
                let mut stmt = tx
                    .prepare_cached(&format!("INSERT INTO \"{name}\" VALUES ({placeholders})"))
                    .unwrap();
                for row in rows.iter().skip(unit * share).take(share) {
                    stmt.execute(rusqlite::params_from_iter(row.iter())).unwrap();
                }
            }
            tx.commit().unwrap();
        }
    }
}

fn onboarding(_: &mut Criterion) {
    let n = support::size(2_000, 100);
    let book = book(n);
    let dir = tempfile::tempdir().unwrap();
    let filled = dir.path().join("filled.sqlite");
    assert_eq!(onboard(&filled, &book), n);
    let units = (n as usize).div_ceil(BATCH.get());
    let rows = Rows::read(&filled, units);
    eprintln!(
        "onboarding: {n} customers stored {} rows, {} bytes of values, in {} tables",
        rows.count(),
        rows.bytes(),
        rows.tables.len()
    );
    // Each batch writes a fresh file (kept until the end, so no deletion is timed).
    let (mut ours, mut theirs) = (0u32, 0u32);
    support::paired(
        "onboarding_vs_raw_insert",
        7,
        || {
            ours += 1;
            onboard(&dir.path().join(format!("custodia-{ours}.sqlite")), &book)
        },
        || {
            theirs += 1;
            rows.insert(&dir.path().join(format!("raw-{theirs}.sqlite")));
            n
        },
    );
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = onboarding
}
criterion_main!(benches);
