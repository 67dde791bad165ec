//! Load and faults (issue 21; feature `postgres-tests`, server from `CUSTODIA_PG_URL`): two real
//! `custodia-service` processes on one PostgreSQL schema, on ephemeral ports of 127.0.0.1, under concurrent
//! clients for a bounded number of requests and of seconds; one process is SIGKILLed in the middle and its
//! clients retry against the survivor. Then, from a fresh brokerage on the schema: every acknowledged write
//! is on the ledger once at the entry its answer named, no consent event (the client's request id) is on it
//! twice, every acknowledged gated read's access entry is there, and the whole log verifies.
//!
//! The operations ([`Op`]) are gated reads, consent records and answers to a transfer case's notices
//! through one-time customer links (minted by staff, each answered once: its event id is the link's
//! nonce, so a retry whose first attempt was recorded is 410 `link_used` and must find it once).

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "postgres-tests")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use custodia_brokerage::{
    Brokerage, BrokerageConfig, KeyFile, ManualClock, NoticeRound, Onboarding, PostgresConfig,
    StaticKeySource, StoreDir,
};
use custodia_consent::{ConsentEvent, Digest, EventId, EventKind, TransferPath};
use custodia_model::{ActorId, CustomerId, Purpose, TransferId};
use custodia_service::{LinkKey, LinkPurpose, mint_token};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::parties;
use custodia_synthetic::staff::Staff;
use custodia_transfer::DraftAgreement;
use serde_json::Value;

/// Client threads, half on each instance at the start.
const CLIENTS: usize = 6;
/// Operations each client runs at most (retries not counted; a notice answer is two requests: the staff's
/// mint of its link, then the answer).
const REQUESTS_PER_CLIENT: u64 = 40;
/// The run stops sending new requests after this long, whatever is left of the budget.
const MAX_RUN: Duration = Duration::from_secs(20);
/// Attempts of one request before it counts as failed (transport errors and 5xx are retried).
const ATTEMPTS: u32 = 40;

fn url() -> String {
    match std::env::var("CUSTODIA_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("the postgres-tests feature is on but CUSTODIA_PG_URL is not set"),
    }
}

fn schema() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("svc_load_{}_{nanos}", std::process::id())
}

/// The transfer agreement's effective day (1 June 2026) at nine (UTC), on the set-up's manual clock: the
/// book, the notice, the staff and the transfer case are in place before the run's real time, and the case's
/// objection window ends inside the brokerage's calendar (2026), whatever day the test runs.
fn setup_time() -> DateTime<Utc> {
    at_nine(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).unwrap()
}

/// One service process and the address it bound. Killed when dropped, so that a failed assertion leaves
/// no process behind.
struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(store: &Path, tokens: &Path, link_key: &Path, schema: &str) -> Instance {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia-service"))
        .arg("--store")
        .arg(store)
        .arg("--tokens")
        .arg(tokens)
        .arg("--link-key")
        .arg(link_key)
        // No limits: the clients are the load (the customer routes are limited per client address).
        .args([
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--public-rate-limit",
            "0",
            "--postgres-schema",
            schema,
        ])
        .env("CUSTODIA_PG_URL", url())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("custodia-service exited before listening: {:?}", child.try_wait()))
            .unwrap();
        if let Some(address) = line.strip_prefix("custodia-service: listening on ") {
            break address.to_owned();
        }
        eprintln!("service: {line}");
    };
    // The rest of its stderr is drained so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Instance { child, base }
}

/// What a client does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A gated read of a customer's identity and policies (an access entry on the ledger).
    Read,
    /// A consent event recorded for a customer, under a fresh event id (the request id).
    Consent,
    /// An answer to the transfer notice served to a customer: a member of staff mints the customer's
    /// one-time link (`POST /api/v1/links`), the customer answers through it (`POST
    /// /api/v1/customer/notice`), recorded as one consent event whose id is the link's nonce.
    NoticeAnswer,
}

/// The answers a customer gives, in turn, and the event kind each is recorded as.
const ANSWERS: [(&str, EventKind); 3] = [
    ("object", EventKind::Objected),
    ("consent", EventKind::Granted),
    ("refuse", EventKind::Refused),
];

/// An acknowledged write: what the answer said.
#[derive(Clone, Debug)]
struct Acked {
    op: Op,
    customer: CustomerId,
    /// The consent event: a record's request id, an answer's link nonce; none for a read.
    event: Option<EventId>,
    /// The entry the answer named. None for a notice answer whose retry was 410 `link_used`: an attempt
    /// before recorded it and its acknowledgement was lost (the ledger must hold it once all the same).
    entry_index: Option<u64>,
}

/// What one operation came to.
enum Outcome {
    Acked {
        acked: Acked,
        /// Answered only after at least one retry.
        retried: bool,
        /// A retry found the write already made: a consent record answered `fresh: false`, a notice
        /// answer's link used.
        replayed: bool,
    },
    /// A gated read the gate denied (403; its deny entry is on the ledger, but a 403 names no entry).
    Denied,
    /// No answer after every attempt: the operation and the last status or error.
    Failed(String),
}

#[derive(Default)]
struct Tally {
    acked: Vec<Acked>,
    /// Operations answered only after at least one retry.
    retried: u64,
    /// Consent requests whose answer was `fresh: false`: an attempt before had recorded it.
    replayed: u64,
    /// Notice answers whose retry was 410 `link_used`: an attempt before had recorded it.
    used_on_retry: u64,
    /// Operations with no answer after every attempt.
    failed: Vec<String>,
    /// Gated reads the gate denied (answered 403).
    denied: u64,
    /// Customer links minted (each notice answer mints its own first).
    minted: u64,
    /// Every consent event id sent, acknowledged or not.
    sent_events: BTreeSet<EventId>,
    /// Every notice answer sent (its event id, the link's nonce), acknowledged or not, with the customer
    /// and the kind it must be recorded as.
    sent_answers: BTreeMap<EventId, (CustomerId, EventKind)>,
    /// The link of every acknowledged notice answer, replayed after the run.
    answered_links: Vec<String>,
}

/// What every client shares.
struct Shared {
    bases: Vec<String>,
    /// The member of staff's bearer token.
    staff: String,
    /// The instances' link key: the test reads each minted link's nonce, the id of its answer's event.
    links: LinkKey,
    transfer: TransferId,
    /// Customers with a consent event to copy, and that event.
    templates: Vec<(CustomerId, ConsentEvent)>,
    /// Customers the case served its notice to.
    served: Vec<CustomerId>,
    tally: Mutex<Tally>,
}

/// How a request ended.
enum Reply {
    /// A 2xx at attempt `attempt` (0 for the first).
    Success { attempt: u32, body: Value },
    /// A 4xx (never retried).
    Refused { attempt: u32, status: u16, body: Value },
    /// Only transport errors and 5xx, every attempt: the last of them.
    Failed(String),
}

/// Sends one POST until it is answered. A transport error (a refused connection, a reset, a body cut
/// short) or a 5xx may be the dead instance, so the same request goes to the other one (a load balancer's
/// retry) after a pause, at most [`ATTEMPTS`] times. `on` is the instance the client talks to; it follows
/// the retries.
fn post(agent: &ureq::Agent, s: &Shared, on: &mut usize, path: &str, body: &str, staff: bool) -> Reply {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            *on = 1 - *on;
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut request = agent
            .post(format!("{}{path}", s.bases[*on]))
            .header("content-type", "application/json");
        if staff {
            request = request.header("Authorization", format!("Bearer {}", s.staff));
        }
        let mut response = match request.send(body) {
            Ok(response) => response,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        let status = response.status();
        let text = match response.body_mut().read_to_string() {
            Ok(text) => text,
            Err(e) => {
                last = format!("{status}, then {e}");
                continue;
            }
        };
        if status.is_server_error() {
            last = format!("{status} {text}");
            continue;
        }
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path} answered {status}, not JSON ({e}): {text}"));
        return if status.is_success() {
            Reply::Success { attempt, body }
        } else {
            Reply::Refused {
                attempt,
                status: status.as_u16(),
                body,
            }
        };
    }
    Reply::Failed(last)
}

fn index(body: &Value, field: &str) -> u64 {
    body[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {body}"))
}

fn gated_read(agent: &ureq::Agent, s: &Shared, on: &mut usize, customer: CustomerId) -> Outcome {
    let path = format!("/api/v1/customers/{customer}/read");
    match post(agent, s, on, &path, READ, true) {
        Reply::Success { attempt, body } => Outcome::Acked {
            acked: Acked {
                op: Op::Read,
                customer,
                event: None,
                entry_index: Some(index(&body, "entry_index")),
            },
            retried: attempt > 0,
            replayed: false,
        },
        Reply::Refused {
            status: 403, body, ..
        } if body["error"] == "access_denied" => Outcome::Denied,
        Reply::Refused { status, body, .. } => panic!("a gated read answered {status}: {body}"),
        Reply::Failed(last) => Outcome::Failed(format!("read: {last}")),
    }
}

fn consent_record(
    agent: &ureq::Agent,
    s: &Shared,
    on: &mut usize,
    customer: CustomerId,
    template: &ConsentEvent,
) -> Outcome {
    let id = EventId::new_v7();
    s.tally.lock().unwrap().sent_events.insert(id);
    let path = format!("/api/v1/customers/{customer}/consents");
    match post(agent, s, on, &path, &consent_body(template, id), true) {
        Reply::Success { attempt, body } => Outcome::Acked {
            replayed: body["fresh"] == Value::Bool(false),
            acked: Acked {
                op: Op::Consent,
                customer,
                event: Some(id),
                entry_index: Some(index(&body, "entry_index")),
            },
            retried: attempt > 0,
        },
        Reply::Refused { status, body, .. } => panic!("a consent record answered {status}: {body}"),
        Reply::Failed(last) => Outcome::Failed(format!("consent: {last}")),
    }
}

fn notice_answer(
    agent: &ureq::Agent,
    s: &Shared,
    on: &mut usize,
    customer: CustomerId,
    turn: usize,
) -> Outcome {
    let mint = serde_json::json!({
        "customer": customer, "purpose": "notice_answer", "transfer": s.transfer
    })
    .to_string();
    let token = match post(agent, s, on, "/api/v1/links", &mint, true) {
        Reply::Success { body, .. } => {
            s.tally.lock().unwrap().minted += 1;
            body["path"]
                .as_str()
                .and_then(|p| p.strip_prefix("/c/notice/"))
                .unwrap_or_else(|| panic!("a minted link's path: {body}"))
                .to_owned()
        }
        Reply::Refused { status, body, .. } => panic!("minting a notice link answered {status}: {body}"),
        Reply::Failed(last) => return Outcome::Failed(format!("mint: {last}")),
    };
    let event = s
        .links
        .verify(&token, LinkPurpose::NoticeAnswer, Utc::now())
        .unwrap()
        .answer_event()
        .unwrap();
    let (answer, kind) = ANSWERS[turn % ANSWERS.len()];
    s.tally
        .lock()
        .unwrap()
        .sent_answers
        .insert(event, (customer, kind));
    let body = serde_json::json!({ "token": token, "answer": answer }).to_string();
    let acked = |entry_index| Acked {
        op: Op::NoticeAnswer,
        customer,
        event: Some(event),
        entry_index,
    };
    match post(agent, s, on, "/api/v1/customer/notice", &body, false) {
        Reply::Success { attempt, body } => {
            assert_eq!(body["event"], event.to_string(), "{body}");
            s.tally.lock().unwrap().answered_links.push(token);
            Outcome::Acked {
                acked: acked(Some(index(&body, "entry"))),
                retried: attempt > 0,
                replayed: false,
            }
        }
        // A retry that finds the link used: the attempt before recorded the answer and its acknowledgement
        // was lost (the killed instance). Answered — the check below finds it on the ledger exactly once.
        Reply::Refused {
            attempt,
            status: 410,
            body,
        } if attempt > 0 && body["error"] == "link_used" => Outcome::Acked {
            acked: acked(None),
            retried: true,
            replayed: true,
        },
        Reply::Refused {
            attempt,
            status,
            body,
        } => panic!("a notice answer answered {status} at attempt {attempt}: {body}"),
        Reply::Failed(last) => Outcome::Failed(format!("notice answer: {last}")),
    }
}

fn consent_body(template: &ConsentEvent, id: EventId) -> String {
    let mut value = serde_json::to_value(template.fields()).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("id");
    object.insert("event".into(), Value::String(id.to_string()));
    for field in ["customer", "recorded_at", "recorded_by"] {
        object.remove(field);
    }
    value.to_string()
}

const READ: &str =
    r#"{"categories":["identity","policies"],"purpose":"policy_servicing","ticket":"clm.21001"}"#;

/// One client: [`REQUESTS_PER_CLIENT`] operations at most, the three kinds in turn, over the customers in
/// turn, starting on instance `client % 2`.
fn run_client(client: usize, s: &Shared, started: Instant, done: &AtomicU64) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut on = client % 2;
    for n in 0..REQUESTS_PER_CLIENT as usize {
        if started.elapsed() > MAX_RUN {
            break;
        }
        let turn = client * 7 + n;
        let outcome = match (client + n) % 3 {
            0 => {
                let (customer, template) = &s.templates[turn % s.templates.len()];
                consent_record(&agent, s, &mut on, *customer, template)
            }
            1 => {
                let (customer, _) = &s.templates[turn % s.templates.len()];
                gated_read(&agent, s, &mut on, *customer)
            }
            _ => notice_answer(&agent, s, &mut on, s.served[turn % s.served.len()], turn),
        };
        let mut t = s.tally.lock().unwrap();
        match outcome {
            Outcome::Acked {
                acked,
                retried,
                replayed,
            } => {
                t.retried += u64::from(retried);
                match (replayed, acked.op) {
                    (true, Op::NoticeAnswer) => t.used_on_retry += 1,
                    (true, _) => t.replayed += 1,
                    (false, _) => {}
                }
                t.acked.push(acked);
            }
            Outcome::Denied => t.denied += 1,
            Outcome::Failed(what) => t.failed.push(what),
        }
        drop(t);
        done.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn two_instances_one_killed_every_acknowledged_write_is_on_the_ledger_once() {
    let schema = schema();
    let dir = tempfile::tempdir().unwrap();
    let store = StoreDir::new(dir.path().join("store"));
    store
        .create("load.example/ledger", &store.default_key_file())
        .unwrap();
    let pg = || PostgresConfig::new().with_schema(&schema).unwrap();
    let keys = KeyFile::new(store.key_file(None));

    // The book, its consents and a member of staff, through the library on the shared schema.
    let at = setup_time();
    let b = Brokerage::open(
        store
            .postgres_config(&url(), pg())
            .unwrap()
            .with_clock(ManualClock::at(at)),
        &keys,
    )
    .unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 21,
            customers: 24,
            ..BookConfig::default()
        },
        at.date_naive(),
    )
    .unwrap()
    .customers()
    .to_vec();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", at).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"onboarding form"),
    );
    let onboarding = book.iter().map(|c| {
        let consents = c
            .consents
            .iter()
            .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
            .collect();
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
    });
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    // Each customer's first consent event is the template of the events the clients record for them.
    let templates: Vec<(CustomerId, ConsentEvent)> = book
        .iter()
        .filter_map(|c| {
            let fact = c.consents.first()?;
            let event = consent_events(c.customer.id(), fact, &recording)
                .unwrap()
                .into_iter()
                .next()?;
            Some((c.customer.id(), event))
        })
        .collect();
    assert!(
        templates.len() >= 4,
        "the book has too few customers with consents"
    );
    // A transfer case of this (seller) brokerage to a buyer brokerage (SQLite, aside), its notices
    // published and served: the notices the clients' customers answer.
    let buyer = Brokerage::open(
        BrokerageConfig::sqlite(dir.path().join("buyer.db")).with_clock(ManualClock::at(at)),
        &StaticKeySource::new([0x42; 32]),
    )
    .unwrap();
    let party_keys = parties::SampleKeys::generate().unwrap();
    let mut terms = parties::terms(&party_keys, TransferPath::MergerNotice).unwrap();
    terms.seller = b.as_party(&terms.seller).unwrap();
    terms.buyer = buyer.as_party(&terms.buyer).unwrap();
    let agreement = buyer
        .countersign_as_buyer(b.sign_as_seller(DraftAgreement::new(terms).unwrap()).unwrap())
        .unwrap();
    drop(buyer);
    let case = b.open_seller_case(&agreement).unwrap();
    case.publish_notices().unwrap();
    case.serve_notices(NoticeRound::everyone(ActorId::new("notices-bot").unwrap()))
        .unwrap();
    let served: Vec<CustomerId> = book
        .iter()
        .map(|c| c.customer.id())
        .filter(|id| case.served_notice(*id).unwrap().is_some())
        .collect();
    assert!(
        served.len() >= 4,
        "the case served too few customers: {}",
        served.len()
    );
    let transfer = case.transfer_id();
    drop(case);
    let manager = Staff::new("emp-2101", &["account_manager"], &[Purpose::PolicyServicing], at).unwrap();
    b.put_principal(&manager.principal).unwrap();
    let (token, line) = mint_token(manager.id()).unwrap();
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, serde_json::to_vec(&[line]).unwrap()).unwrap();
    let entries_before = b.verify_ledger().unwrap().size();
    drop(b);
    // The link key both instances sign and check links with, made the way an operator makes it.
    let link_key = dir.path().join("links.key");
    let made = Command::new(env!("CARGO_BIN_EXE_custodia-service"))
        .args(["link-key", "--out"])
        .arg(&link_key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));

    let mut instances = [
        start(store.path(), &tokens, &link_key, &schema),
        start(store.path(), &tokens, &link_key, &schema),
    ];
    let shared = Arc::new(Shared {
        bases: instances.iter().map(|i| i.base.clone()).collect(),
        staff: token.expose().to_owned(),
        links: LinkKey::load(&link_key).unwrap(),
        transfer,
        templates,
        served: served.clone(),
        tally: Mutex::new(Tally::default()),
    });
    let killed = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (shared, done) = (shared.clone(), done.clone());
            std::thread::spawn(move || run_client(client, &shared, started, &done))
        })
        .collect();

    // SIGKILL one instance in the middle: after a third of the budget, or a third of the time.
    let budget = CLIENTS as u64 * REQUESTS_PER_CLIENT;
    while done.load(Ordering::SeqCst) < budget / 3 && started.elapsed() < MAX_RUN / 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let at_kill = done.load(Ordering::SeqCst);
    instances[0].child.kill().unwrap();
    instances[0].child.wait().unwrap();
    killed.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let elapsed = started.elapsed();
    // A lost acknowledgement, on purpose: every acknowledged answer's link presented again to the survivor
    // (those the killed instance recorded included) is 410 `link_used`, and records nothing (checked below).
    let links = std::mem::take(&mut shared.tally.lock().unwrap().answered_links);
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .build()
        .into();
    for (n, token) in links.iter().enumerate() {
        let body = serde_json::json!({ "token": token, "answer": ANSWERS[n % ANSWERS.len()].0 }).to_string();
        let mut on = 1;
        match post(&agent, &shared, &mut on, "/api/v1/customer/notice", &body, false) {
            Reply::Refused {
                status: 410, body, ..
            } => assert_eq!(body["error"], "link_used", "{body}"),
            Reply::Success { body, .. } => panic!("a used link recorded an answer again: {body}"),
            Reply::Refused { status, body, .. } => panic!("a used link answered {status}: {body}"),
            Reply::Failed(last) => panic!("the survivor did not answer a used link: {last}"),
        }
    }
    instances[1].child.kill().unwrap();
    instances[1].child.wait().unwrap();

    // The ledger, from a fresh brokerage on the schema: every consent event (records and answers alike)
    // of every customer a client wrote for, with its entries and kind.
    let b = Brokerage::open(store.postgres_config(&url(), pg()).unwrap(), &keys).unwrap();
    let verified = b.verify_ledger().unwrap();
    let tally = shared.tally.lock().unwrap();
    let customers: BTreeSet<CustomerId> = shared
        .templates
        .iter()
        .map(|(c, _)| *c)
        .chain(served.iter().copied())
        .collect();
    let mut consents: BTreeMap<EventId, Vec<u64>> = BTreeMap::new();
    let mut kinds: BTreeMap<EventId, (CustomerId, EventKind)> = BTreeMap::new();
    let mut access: BTreeMap<CustomerId, BTreeSet<u64>> = BTreeMap::new();
    for customer in &customers {
        for (index, event) in b.consent_events_of(*customer).unwrap() {
            consents.entry(event.id()).or_default().push(index);
            kinds.insert(event.id(), (event.customer(), event.kind()));
        }
        access.insert(
            *customer,
            b.access_log_of(*customer)
                .unwrap()
                .into_iter()
                .map(|(i, _)| i)
                .collect(),
        );
    }
    let mut lost = 0;
    let count = |op| tally.acked.iter().filter(|a| a.op == op).count();
    for a in &tally.acked {
        let present = match (a.event, a.entry_index) {
            // At the entry its answer named.
            (Some(event), Some(entry)) => consents.get(&event).is_some_and(|at| at.contains(&entry)),
            // A notice answer whose retry found its link used: on the ledger, somewhere.
            (Some(event), None) => consents.contains_key(&event),
            (None, entry) => access[&a.customer].contains(&entry.unwrap()),
        };
        if !present {
            lost += 1;
        }
    }
    // No request id and no link's answer twice on the ledger (only ids a client sent: the onboarding's
    // events are aside).
    let sent = |id: &EventId| tally.sent_events.contains(id) || tally.sent_answers.contains_key(id);
    let duplicated = consents
        .iter()
        .filter(|(id, at)| sent(id) && at.len() > 1)
        .count();
    let on_ledger =
        |ids: &mut dyn Iterator<Item = &EventId>| ids.filter(|id| consents.contains_key(id)).count();
    let records_on_ledger = on_ledger(&mut tally.sent_events.iter());
    let answers_on_ledger = on_ledger(&mut tally.sent_answers.keys());
    println!(
        "load: {} operations in {:.1} s ({} before the kill), acked {} ({} consent records, {} gated reads, {} \
         notice answers of which {} found their link used on a retry), denied {}, retried {}, replayed {}, \
         failed {}, lost {lost}, duplicated {duplicated}; {} links minted, {} used links presented again (410); \
         consent ids {} sent, {} on the ledger; answers {} sent, {} on the ledger; ledger {} -> {} entries, \
         verified",
        tally.acked.len() as u64 + tally.denied + tally.failed.len() as u64,
        elapsed.as_secs_f64(),
        at_kill,
        tally.acked.len(),
        count(Op::Consent),
        count(Op::Read),
        count(Op::NoticeAnswer),
        tally.used_on_retry,
        tally.denied,
        tally.retried,
        tally.replayed,
        tally.failed.len(),
        tally.minted,
        links.len(),
        tally.sent_events.len(),
        records_on_ledger,
        tally.sent_answers.len(),
        answers_on_ledger,
        entries_before,
        verified.size(),
    );
    assert!(
        tally.failed.is_empty(),
        "operations never answered: {:?}",
        tally.failed
    );
    assert_eq!(lost, 0, "acknowledged writes missing from the ledger");
    assert_eq!(duplicated, 0, "consent events on the ledger twice");
    // Each acknowledged consent record and notice answer is exactly one entry: the one its answer named,
    // or (a used link on a retry) one. An id sent but never acknowledged is at most once (above).
    for a in &tally.acked {
        if let Some(event) = a.event {
            match a.entry_index {
                Some(entry) => assert_eq!(consents[&event], vec![entry], "{a:?}"),
                None => assert_eq!(consents[&event].len(), 1, "{a:?}"),
            }
        }
    }
    // Each answer on the ledger is the customer's, of the kind they answered.
    for (id, answered) in &tally.sent_answers {
        if let Some(recorded) = kinds.get(id) {
            assert_eq!(recorded, answered, "answer {id}");
        }
    }
    assert!(killed.load(Ordering::SeqCst));
    assert!(
        count(Op::Consent) > 0 && count(Op::Read) > 0 && count(Op::NoticeAnswer) > 0,
        "every kind of operation was acknowledged"
    );
    assert!(verified.size() > entries_before);
}

#[test]
fn the_binary_refuses_a_postgres_schema_without_a_url_or_with_a_bad_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreDir::new(dir.path().join("store"));
    store
        .create("load.example/ledger", &store.default_key_file())
        .unwrap();
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, b"[]").unwrap();
    let run = |schema: &str, url: Option<String>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_custodia-service"));
        command
            .arg("--store")
            .arg(store.path())
            .arg("--tokens")
            .arg(&tokens)
            .args(["--listen", "127.0.0.1:0", "--postgres-schema", schema])
            .env_remove("CUSTODIA_PG_URL");
        if let Some(url) = url {
            command.env("CUSTODIA_PG_URL", url);
        }
        let out = command.output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, stderr) = run("svc_load_nourl", None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("CUSTODIA_PG_URL"), "{stderr}");
    let (code, stderr) = run("Not-A-Schema", Some(url()));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--postgres-schema"), "{stderr}");
    // The URL (which may carry a password) is never echoed.
    assert!(!stderr.contains(&url()), "{stderr}");
}
