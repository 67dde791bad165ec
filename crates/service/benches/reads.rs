//! Gated reads through the HTTP service (issue 21, "Load and faults"): reads per second and latency
//! percentiles of `POST /api/v1/customers/{id}/read` served by the real router (the binary's, in this
//! process) on 127.0.0.1 with 2 and 8 concurrent clients (threads with keep-alive `ureq` agents), on SQLite
//! at the default durability (`synchronous=FULL`: every allowed read's access entry is a committed, fsynced
//! ledger append) and at `synchronous=NORMAL` (no fsync at commit: the CPU's share). Next to it, in the same run and on the same threads:
//!
//! - `library`: `Brokerage::read` of the same request called directly (no HTTP, no token, no JSON), to
//!   split the service's cost from the gate's;
//! - `raw`: a raw SQLite read of the same rows — the same customers' identity sections, the same bytes,
//!   sealed and stored in a plain table with `rusqlite` and opened (DEK unwrapped, AES-256-GCM), as
//!   `benches/access.rs` does (`raw_rusqlite_open`);
//! - `raw+log`: the raw read plus one committed row of an access entry's size (the floor of a read that
//!   must be logged before its plaintext leaves, `raw_read_logged` there).
//!
//! Goal (issue 21): ≥ 5,000 gated reads/s with p99 < 20 ms on two cores. Prints a table; judges nothing.
//! `cargo bench -p custodia-service --bench reads`; `CUSTODIA_BENCH_SMOKE=1` for a token run (~1 s).

// A bench is test code: a failed setup should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use custodia_access::Ticket;
use custodia_brokerage::{Brokerage, BrokerageConfig, ManualClock, Onboarding, ReadRequest, StaticKeySource};
use custodia_crypto::{Keyring, KeyringConfig, SealedSection, WrappedKey, open_section, seal_section};
use custodia_model::{CustomerId, DataCategory, Purpose};
use custodia_service::{AppState, TokenTable, mint_token, router};
use custodia_store::{Durability, SqliteConfig};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::staff::Staff;
use rusqlite::{Connection, params};

fn smoke() -> bool {
    std::env::var_os("CUSTODIA_BENCH_SMOKE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// How long each measurement runs, after a warm-up of a fifth of it.
fn window() -> Duration {
    if smoke() {
        Duration::from_millis(60)
    } else {
        Duration::from_secs(3)
    }
}

const BODY: &str = r#"{"categories":["identity"],"purpose":"legal_compliance","ticket":"audit-bench"}"#;

/// Requests done and their latencies, over the measured window.
struct Run {
    done: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    other: usize,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        sorted
            .get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    }
}

/// Runs `op` on `threads` threads (each gets its own state from `make`), a warm-up then the window;
/// `op` returns whether the call succeeded as expected.
fn drive<S>(
    threads: usize,
    make: impl Fn(usize) -> S + Sync,
    op: impl Fn(&mut S, usize) -> bool + Sync,
) -> Run {
    let warm = window() / 5;
    let measuring = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let (make, op) = (&make, &op);
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (measuring, stop) = (&measuring, &stop);
                scope.spawn(move || {
                    let mut state = make(t);
                    let (mut latencies, mut other) = (Vec::new(), 0);
                    let mut n = t * 7919;
                    while !stop.load(Ordering::Relaxed) {
                        let start = Instant::now();
                        let ok = op(&mut state, n);
                        let took = start.elapsed();
                        if measuring.load(Ordering::Relaxed) {
                            if ok {
                                latencies.push(took);
                            } else {
                                other += 1;
                            }
                        }
                        n += 1;
                    }
                    (latencies, other)
                })
            })
            .collect();
        std::thread::sleep(warm);
        measuring.store(true, Ordering::SeqCst);
        std::thread::sleep(window());
        stop.store(true, Ordering::SeqCst);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = window();
    let other = results.iter().map(|(_, o)| o).sum();
    let latencies: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
    Run {
        done: latencies.len(),
        elapsed,
        latencies,
        other,
    }
}

/// The raw baseline's file: each customer's identity section, the same bytes, sealed under one DEK each.
struct Raw {
    path: std::path::PathBuf,
    keyring: Keyring,
    keys: Vec<(CustomerId, WrappedKey)>,
    entry: Vec<u8>,
    synchronous: &'static str,
}

impl Raw {
    fn new(
        dir: &std::path::Path,
        sections: &[(CustomerId, Vec<u8>)],
        entry: Vec<u8>,
        synchronous: &'static str,
    ) -> Self {
        let path = dir.join("raw.db");
        let conn = Connection::open(&path).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(
            "CREATE TABLE sections (customer BLOB, category TEXT, version INTEGER, sealed BLOB, \
             PRIMARY KEY (customer, category, version)); \
             CREATE TABLE log (idx INTEGER PRIMARY KEY, payload BLOB NOT NULL)",
        )
        .unwrap();
        let keyring = Keyring::derive_from_master(&[3; 32], 1, KeyringConfig::default()).unwrap();
        let mut keys = Vec::new();
        for (customer, plaintext) in sections {
            let (dek, wrapped) = keyring.generate_dek(*customer).unwrap();
            let sealed = seal_section(&dek, *customer, DataCategory::Identity, 1, plaintext).unwrap();
            conn.execute(
                "INSERT INTO sections VALUES (?1, 'identity', 1, ?2)",
                params![customer.as_bytes().as_slice(), sealed.as_bytes()],
            )
            .unwrap();
            keys.push((*customer, wrapped));
        }
        Self {
            path,
            keyring,
            keys,
            entry,
            synchronous,
        }
    }

    /// A connection of one client thread, at the brokerage's durability.
    fn connect(&self) -> Connection {
        let conn = Connection::open(&self.path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA synchronous={}; PRAGMA busy_timeout=10000",
            self.synchronous
        ))
        .unwrap();
        conn
    }

    fn read(&self, conn: &Connection, n: usize) -> bool {
        let (customer, wrapped) = &self.keys[n % self.keys.len()];
        let bytes: Vec<u8> = conn
            .prepare_cached(
                "SELECT sealed FROM sections WHERE customer = ?1 AND category = 'identity' AND version = 1",
            )
            .unwrap()
            .query_row(params![customer.as_bytes().as_slice()], |r| r.get(0))
            .unwrap();
        let sealed = SealedSection::from_vec(bytes).unwrap();
        let dek = self.keyring.unwrap(wrapped).unwrap();
        !open_section(&dek, *customer, DataCategory::Identity, 1, &sealed)
            .unwrap()
            .is_empty()
    }

    fn read_logged(&self, conn: &Connection, n: usize) -> bool {
        let ok = self.read(conn, n);
        conn.prepare_cached("INSERT INTO log (payload) VALUES (?1)")
            .unwrap()
            .execute(params![self.entry])
            .unwrap();
        ok
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or `--list` from a harness runner is not ours to parse.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    for (name, durability, synchronous) in [
        ("FULL (the default)", Durability::Full, "FULL"),
        ("NORMAL", Durability::Normal, "NORMAL"),
    ] {
        run(name, durability, synchronous);
    }
}

/// One table: the service, the library and the raw baselines at one durability.
fn run(name: &str, durability: Durability, synchronous: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    // A Monday morning (working hours: no off-hours alert on every read), the clock held still.
    let monday = custodia_synthetic::consent::at_nine("2026-06-01".parse().unwrap()).unwrap();
    let config = BrokerageConfig::sqlite_with(
        dir.path().join("custodia.db"),
        SqliteConfig::new().with_durability(durability),
    )
    .with_clock(ManualClock::at(monday));
    let b = Brokerage::open(config, &StaticKeySource::new([0x42; 32])).unwrap();
    let customers = if smoke() { 5 } else { 200 };
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 5,
            customers,
            ..BookConfig::default()
        },
        monday.date_naive(),
    )
    .unwrap();
    let notice = custodia_synthetic::consent::privacy_notice(
        "示例保险经纪有限公司",
        "privacy@seller.example",
        b.now(),
    )
    .unwrap();
    b.publish_notice(&notice).unwrap();
    b.onboard_batch(
        book.customers()
            .iter()
            .map(|c| Onboarding::new(c.customer.clone(), notice.reference())),
        &mut |_| {},
    )
    .unwrap();
    let ids: Vec<CustomerId> = book.customers().iter().map(|c| c.customer.id()).collect();
    let officer = Staff::new("emp-bench", &["compliance"], &[Purpose::LegalCompliance], b.now()).unwrap();
    b.put_principal(&officer.principal).unwrap();
    let request = |customer: CustomerId| ReadRequest {
        principal: officer.id().clone(),
        customer,
        categories: [DataCategory::Identity].into_iter().collect(),
        purpose: Purpose::LegalCompliance,
        ticket: Some(Ticket::new("audit-bench").unwrap()),
        approval: None,
    };
    // The same rows for the raw side: each customer's identity section as the gated read returns it.
    let sections: Vec<(CustomerId, Vec<u8>)> = ids
        .iter()
        .map(|id| {
            let got = b.read(request(*id)).unwrap();
            (*id, got.sections[0].1.to_vec())
        })
        .collect();
    let (_, entry) = b.access_log_of(ids[0]).unwrap().pop().unwrap();
    let raw = Raw::new(
        dir.path(),
        &sections,
        entry.payload().unwrap().to_vec(),
        synchronous,
    );

    let (token, line) = mint_token(officer.id()).unwrap();
    let mut tokens = TokenTable::new();
    tokens.insert(&line).unwrap();
    let brokerage = Arc::new(b);
    let app = router(AppState::new(brokerage.clone(), tokens));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // The service's runtime as the binary builds it (`Runtime::new`: one worker per core).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        custodia_service::serve(listener, app, std::future::pending())
            .await
            .unwrap();
    });
    let bearer = format!("Bearer {}", token.expose());
    let urls: Vec<String> = ids
        .iter()
        .map(|id| format!("{base}/api/v1/customers/{id}/read"))
        .collect();

    println!(
        "\ngated reads, {} customers, SQLite synchronous={name}, {} cores, {:.1} s windows{}",
        ids.len(),
        std::thread::available_parallelism().map_or(0, usize::from),
        window().as_secs_f64(),
        if smoke() {
            " (SMOKE: figures mean nothing)"
        } else {
            ""
        }
    );
    println!("| clients | what | reads/s | p50 | p99 | gated/raw (reads/s) |");
    println!("|---|---|---|---|---|---|");
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    for clients in [2, 8] {
        let http = drive(
            clients,
            |_| -> ureq::Agent {
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into()
            },
            |agent, n| {
                let mut response = agent
                    .post(&urls[n % urls.len()])
                    .header("Authorization", &bearer)
                    .header("content-type", "application/json")
                    .send(BODY)
                    .unwrap();
                let ok = response.status() == 200;
                let _ = response.body_mut().read_to_vec().unwrap();
                ok
            },
        );
        let library = drive(
            clients,
            |_| (),
            |(), n| brokerage.read(request(ids[n % ids.len()])).is_ok(),
        );
        let bare = drive(clients, |_| raw.connect(), |conn, n| raw.read(conn, n));
        let logged = drive(clients, |_| raw.connect(), |conn, n| raw.read_logged(conn, n));
        for (what, run) in [
            ("HTTP service", &http),
            ("library `Brokerage::read`", &library),
            ("raw read + open", &bare),
            ("raw read + open + one committed row", &logged),
        ] {
            let ratio = match what {
                "HTTP service" | "library `Brokerage::read`" => {
                    format!("{:.4}", run.per_second() / bare.per_second())
                }
                _ => "—".to_owned(),
            };
            println!(
                "| {clients} | {what} | {:.0} | {} | {} | {ratio} |",
                run.per_second(),
                ms(run.percentile(50)),
                ms(run.percentile(99)),
            );
            if run.other > 0 {
                println!(
                    "|   | ({what}: {} calls not answered as allowed) | | | | |",
                    run.other
                );
            }
        }
    }
    drop(runtime);
    let alerts = brokerage.alerts().unwrap().len();
    println!(
        "{alerts} alerts raised by the bench's own reads; ledger verified: {} entries",
        brokerage.verify_ledger().unwrap().size()
    );
}
