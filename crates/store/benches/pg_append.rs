//! PostgreSQL appends against raw inserts (issue 22; feature `postgres-tests`, server from `.ci/postgres.sh`).
//!
//! ```text
//! source .ci/postgres.sh && custodia_pg_start
//! cargo bench -p custodia-store --features postgres-tests --bench pg_append
//! ```
//!
//! Two measurements, each with its baseline in the same run, over the same TLS connection settings:
//!
//! * **One writer, batch sizes 1, 10, 100 and 1,000.** custodia's append ([`Log::append`] over a
//!   [`PostgresStore`]) against one prepared, auto-committed `INSERT … SELECT FROM UNNEST(…)` of the same
//!   rows (index, leaf hash, salt, 200-byte payload) into a table of the same shape (`LIKE log_entries`) in a
//!   schema of its own. The two run in alternating rounds (A B B A …) and the figure is the median of the
//!   per-round ratios `raw time / custodia time`, so a load spike on the shared machine lands on both.
//! * **Four writers against one**, batch size 10, each writer a thread with its own connection: entries per
//!   second with four writers over the rate of one, each writer's appends, and the retries per append
//!   (a [`LedgerError::Conflict`] the caller had to retry), for custodia's positional append
//!   ([`Log::append`]), for its sequenced append ([`Log::append_sequenced`], where the store assigns the
//!   index under its lock), and for raw inserts (indices from a shared counter).
//!
//! `CUSTODIA_BENCH_SMOKE=1` runs every case once, briefly, and claims no timings (CI runs it). Results
//! print to stdout, one line per case.

// A bench binary: a failure is a panic with its message (clippy.toml allows these outside library code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use custodia_ledger::{LedgerError, Log, NoteSigner, SignatureKind, TrustPolicy, leaf_hash};
use custodia_store::{PostgresConfig, PostgresStore};
use postgres::{Client, Statement};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

const PAYLOAD: usize = 200;

fn smoke() -> bool {
    std::env::var_os("CUSTODIA_BENCH_SMOKE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} is not set: start a server (`source .ci/postgres.sh && custodia_pg_start`) and run again"
        ),
    }
}

fn store(schema: &str) -> PostgresStore {
    let config = PostgresConfig::new().with_schema(schema).unwrap();
    PostgresStore::connect(&env("CUSTODIA_PG_URL"), &config).unwrap()
}

/// A raw client over the same transport as the store: TLS to `localhost` checked against the test CA.
fn raw_client() -> Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(env("CUSTODIA_PG_CA")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut config = postgres::Config::new();
    config
        .host("localhost")
        .port(env("CUSTODIA_PG_PORT").parse().unwrap())
        .user("postgres")
        .dbname("postgres")
        .ssl_mode(postgres::config::SslMode::Require);
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .unwrap()
}

/// A table shaped like the store's `log_entries`, in a schema of its own, and the prepared insert.
struct Raw {
    client: Client,
    insert: Statement,
}

impl Raw {
    fn new(raw_schema: &str, store_schema: &str) -> Self {
        let mut client = raw_client();
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {raw_schema}; \
                 CREATE TABLE IF NOT EXISTS {raw_schema}.log_entries \
                 (LIKE {store_schema}.log_entries INCLUDING ALL)"
            ))
            .unwrap();
        let insert = client
            .prepare(&format!(
                "INSERT INTO {raw_schema}.log_entries (idx, leaf_hash, salt, payload) \
                 SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[])"
            ))
            .unwrap();
        Self { client, insert }
    }

    fn insert(&mut self, rows: &Rows, first: u64) {
        let indices: Vec<i64> = (0..rows.payloads.len() as i64)
            .map(|i| first as i64 + i)
            .collect();
        self.client
            .execute(
                &self.insert,
                &[&indices, &rows.leaves, &rows.salts, &rows.payloads],
            )
            .unwrap();
    }
}

/// One batch's rows: what the store writes per entry (leaf hash, salt, payload).
struct Rows {
    leaves: Vec<Vec<u8>>,
    salts: Vec<Vec<u8>>,
    payloads: Vec<Vec<u8>>,
}

fn rows(batch: usize, tag: &str) -> Rows {
    let payloads: Vec<Vec<u8>> = (0..batch)
        .map(|i| {
            let mut p = format!("{tag} entry {i} ").into_bytes();
            p.resize(PAYLOAD, b'.');
            p
        })
        .collect();
    let mut salts = Vec::with_capacity(batch);
    let mut leaves = Vec::with_capacity(batch);
    for payload in &payloads {
        let mut bytes = [0u8; 32];
        custodia_crypto::random::fill_bulk(&mut bytes).unwrap();
        let salt = custodia_ledger::Salt::from_slice(&bytes).unwrap();
        leaves.push(leaf_hash(&salt, payload).as_bytes().to_vec());
        salts.push(bytes.to_vec());
    }
    Rows {
        leaves,
        salts,
        payloads,
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One writer at one batch size: custodia and raw in alternating rounds of `per_round` appends each.
fn one_writer(batch: usize, rounds: usize, per_round: usize) {
    let schema = unique("bench_pg");
    let raw_schema = format!("{schema}_raw");
    let mut log = Log::new(store(&schema)).unwrap();
    let mut raw = Raw::new(&raw_schema, &schema);
    let data = rows(batch, "one");
    let refs: Vec<&[u8]> = data.payloads.iter().map(Vec::as_slice).collect();
    let mut next_raw = 0u64;
    let custodia_round = |log: &mut Log<PostgresStore>| {
        let start = Instant::now();
        for _ in 0..per_round {
            log.append(&refs).unwrap();
        }
        start.elapsed().as_secs_f64()
    };
    let mut raw_round = |raw: &mut Raw| {
        let start = Instant::now();
        for _ in 0..per_round {
            raw.insert(&data, next_raw);
            next_raw += batch as u64;
        }
        start.elapsed().as_secs_f64()
    };
    // One untimed round each: prepared statements, caches, the first pages of both tables.
    custodia_round(&mut log);
    raw_round(&mut raw);
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = custodia_round(&mut log);
            (a, raw_round(&mut raw))
        } else {
            let b = raw_round(&mut raw);
            (custodia_round(&mut log), b)
        };
        ours.push(a);
        theirs.push(b);
        ratios.push(b / a);
    }
    let entries = (per_round * batch) as f64;
    let (a, b, ratio) = (median(&mut ours), median(&mut theirs), median(&mut ratios));
    if smoke() {
        println!("one writer, batch {batch:>4}: ran (smoke, no timings)");
    } else {
        println!(
            "one writer, batch {batch:>4}: custodia {:>9.0} entries/s ({:>7.1} us/append), raw {:>9.0} entries/s \
             ({:>7.1} us/insert); custodia/raw {ratio:.2} (median of {rounds} paired rounds of {per_round})",
            entries / a,
            a * 1e6 / per_round as f64,
            entries / b,
            b * 1e6 / per_round as f64,
        );
    }
    let log_size = log.size();
    assert_eq!(log_size, ((rounds + 1) * per_round * batch) as u64);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `Log::append`: the caller's expected start; a Conflict is retried by the caller.
    Positional,
    /// `Log::append_sequenced`: the store assigns the start under its lock.
    Sequenced,
    /// Raw inserts, indices from a shared counter.
    Raw,
}

/// `writers` threads appending batches of `batch` for `duration`: per-writer appends and retries.
fn writers(mode: Mode, writers: usize, batch: usize, duration: Duration) -> (Vec<u64>, u64) {
    let schema = unique("bench_w");
    let raw_schema = format!("{schema}_raw");
    drop(store(&schema)); // migrate once, before the writers connect
    if mode == Mode::Raw {
        drop(Raw::new(&raw_schema, &schema));
    }
    let barrier = Arc::new(Barrier::new(writers + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let (schema, raw_schema) = (schema.clone(), raw_schema.clone());
            let (barrier, stop, counter) = (barrier.clone(), stop.clone(), counter.clone());
            std::thread::spawn(move || {
                let data = rows(batch, &format!("writer {w}"));
                let refs: Vec<&[u8]> = data.payloads.iter().map(Vec::as_slice).collect();
                let (mut appends, mut retries) = (0u64, 0u64);
                match mode {
                    Mode::Raw => {
                        let mut raw = Raw::new(&raw_schema, &schema);
                        barrier.wait();
                        while !stop.load(Ordering::Relaxed) {
                            let first = counter.fetch_add(batch as u64, Ordering::Relaxed);
                            raw.insert(&data, first);
                            appends += 1;
                        }
                    }
                    Mode::Positional | Mode::Sequenced => {
                        let mut log = Log::new(store(&schema)).unwrap();
                        barrier.wait();
                        while !stop.load(Ordering::Relaxed) {
                            let outcome = if mode == Mode::Positional {
                                log.append(&refs)
                            } else {
                                log.append_sequenced(&refs)
                            };
                            match outcome {
                                Ok(_) => appends += 1,
                                Err(LedgerError::Conflict { .. }) => retries += 1,
                                Err(other) => panic!("writer {w}: {other}"),
                            }
                        }
                    }
                }
                (appends, retries)
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut per_writer = Vec::new();
    let mut retries = 0;
    for thread in threads {
        let (a, r) = thread.join().unwrap();
        per_writer.push(a);
        retries += r;
    }
    if mode != Mode::Raw {
        // Whatever the interleaving, the log holds every acknowledged append once and verifies.
        let log = Log::new(store(&schema)).unwrap();
        let total: u64 = per_writer.iter().sum();
        assert_eq!(log.size(), total * batch as u64, "{mode:?}");
        let signer = NoteSigner::new(
            "bench.example/ledger",
            SignatureKind::Ed25519,
            custodia_crypto::SigningKey::generate().unwrap(),
        )
        .unwrap();
        let policy = TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap();
        log.verify(&policy).unwrap();
    }
    (per_writer, retries)
}

fn multi_writer(batch: usize, rounds: usize, duration: Duration) {
    let modes = match std::env::var("PG_APPEND_MODE").as_deref() {
        Ok("sequenced") => vec![Mode::Sequenced, Mode::Raw],
        _ => vec![Mode::Positional, Mode::Sequenced, Mode::Raw],
    };
    for mode in modes {
        let (mut ratios, mut min_share, mut retry_rates) = (Vec::new(), Vec::new(), Vec::new());
        let mut last = String::new();
        for round in 0..rounds {
            // Alternate which configuration runs first.
            let (one, four) = if round % 2 == 0 {
                let one = writers(mode, 1, batch, duration);
                (one, writers(mode, 4, batch, duration))
            } else {
                let four = writers(mode, 4, batch, duration);
                (writers(mode, 1, batch, duration), four)
            };
            let one_total: u64 = one.0.iter().sum();
            let four_total: u64 = four.0.iter().sum();
            ratios.push(four_total as f64 / one_total.max(1) as f64);
            let fair = four_total as f64 / 4.0;
            min_share.push(*four.0.iter().min().unwrap() as f64 / fair.max(1.0));
            retry_rates.push(four.1 as f64 / four_total.max(1) as f64);
            last = format!(
                "1 writer {one_total} appends ({} retries); 4 writers {:?} appends ({} retries)",
                one.1, four.0, four.1
            );
        }
        if smoke() {
            println!("{mode:?} writers, batch {batch}: ran (smoke, no timings); {last}");
        } else {
            println!(
                "{mode:?} writers, batch {batch}, {} s per run: 4 writers / 1 writer {:.2} (median of {rounds} \
                 paired rounds; all: {:.2?}); slowest writer's share of a fair quarter {:.2}; retries per \
                 append with 4 writers {:.3}; last round: {last}",
                duration.as_secs_f64(),
                median(&mut ratios.clone()),
                ratios,
                median(&mut min_share),
                median(&mut retry_rates),
            );
        }
    }
}

fn main() {
    let started = Instant::now();
    // `pg_append one` or `pg_append writers` runs one half (cargo bench passes `--bench`, ignored).
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let (rounds, scale) = if smoke() { (1, 1) } else { (31, 0) };
    // PG_APPEND_BATCHES=1,10 limits the one-writer batch sizes (for a profile of one of them).
    let batches: Vec<usize> = match std::env::var("PG_APPEND_BATCHES") {
        Ok(list) => list.split(',').map(|b| b.trim().parse().unwrap()).collect(),
        Err(_) => vec![1, 10, 100, 1000],
    };
    for batch in batches.into_iter().filter(|_| wants("one")) {
        // About the same number of entries per round at every batch size (fewer in smoke mode).
        let per_round = if scale == 1 {
            2
        } else {
            (2000 / batch).clamp(4, 400)
        };
        one_writer(batch, rounds, per_round);
    }
    let (rounds, duration) = if smoke() {
        (1, Duration::from_millis(200))
    } else {
        (5, Duration::from_secs(2))
    };
    if wants("writers") {
        multi_writer(10, rounds, duration);
    }
    eprintln!("pg_append: {:.1} s", started.elapsed().as_secs_f64());
}
