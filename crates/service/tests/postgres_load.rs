//! Load and faults (issue 21; feature `postgres-tests`, server from `CUSTODIA_PG_URL`): two real
//! `custodia-service` processes on one PostgreSQL schema, on ephemeral ports of 127.0.0.1, under concurrent
//! clients for a bounded number of requests and of seconds; one process is SIGKILLed in the middle and its
//! clients retry against the survivor. Then, from a fresh brokerage on the schema: every acknowledged write
//! is on the ledger once at the entry its answer named, no consent event (the client's request id) is on it
//! twice, every acknowledged gated read's access entry is there, and the whole log verifies.
//!
//! The operations are gated reads and consent records; answers to transfer notices join [`Op`] when the
//! customer pages land (their link-token route is the customer helper's).

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

use chrono::{DateTime, Utc};
use custodia_brokerage::{Brokerage, KeyFile, Onboarding, PostgresConfig, StoreDir};
use custodia_consent::{ConsentEvent, Digest, EventId};
use custodia_model::{ActorId, CustomerId, Purpose};
use custodia_service::mint_token;
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::staff::Staff;
use serde_json::Value;

/// Client threads, half on each instance at the start.
const CLIENTS: usize = 6;
/// Requests each client sends at most (its retries not counted).
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

/// Yesterday at nine (UTC): the book, the notice and the staff are in place before the run's real time.
fn setup_time() -> DateTime<Utc> {
    at_nine(Utc::now().date_naive().pred_opt().unwrap()).unwrap()
}

/// One service process and the address it bound.
struct Instance {
    child: Child,
    base: String,
}

fn start(store: &Path, tokens: &Path, schema: &str) -> Instance {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia-service"))
        .arg("--store")
        .arg(store)
        .arg("--tokens")
        .arg(tokens)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
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
#[derive(Clone, Copy, Debug)]
enum Op {
    /// A gated read of a customer's identity and policies (an access entry on the ledger).
    Read,
    /// A consent event recorded for a customer, under a fresh event id (the request id).
    Consent,
    // NoticeAnswer: an answer to a transfer notice through its link token, once the customer routes exist.
}

/// An acknowledged write: what the answer said.
#[derive(Clone, Debug)]
struct Acked {
    customer: CustomerId,
    event: Option<EventId>,
    entry_index: u64,
}

#[derive(Default)]
struct Tally {
    acked: Vec<Acked>,
    /// Requests answered only after at least one retry.
    retried: u64,
    /// Consent requests whose answer was `fresh: false`: an attempt before had recorded it.
    replayed: u64,
    /// Requests with no 2xx after every attempt (with the last status or error).
    failed: Vec<String>,
    /// Gated reads the gate denied (answered 403).
    denied: u64,
    /// Every consent event id sent, acknowledged or not.
    sent_events: BTreeSet<EventId>,
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
    let b = Brokerage::open(store.postgres_config(&url(), pg()).unwrap(), &keys).unwrap();
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
    let manager = Staff::new("emp-2101", &["account_manager"], &[Purpose::PolicyServicing], at).unwrap();
    b.put_principal(&manager.principal).unwrap();
    let (token, line) = mint_token(manager.id()).unwrap();
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, serde_json::to_vec(&[line]).unwrap()).unwrap();
    let entries_before = b.verify_ledger().unwrap().size();
    drop(b);

    let mut instances = [
        start(store.path(), &tokens, &schema),
        start(store.path(), &tokens, &schema),
    ];
    let bases: Vec<String> = instances.iter().map(|i| i.base.clone()).collect();
    let killed = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let templates = Arc::new(templates);
    let token = Arc::new(token.expose().to_owned());
    let started = Instant::now();

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (bases, done, tally, templates, token) = (
                bases.clone(),
                done.clone(),
                tally.clone(),
                templates.clone(),
                token.clone(),
            );
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                let mut on = client % 2;
                for n in 0..REQUESTS_PER_CLIENT {
                    if started.elapsed() > MAX_RUN {
                        break;
                    }
                    let op = if (client as u64 + n).is_multiple_of(2) {
                        Op::Consent
                    } else {
                        Op::Read
                    };
                    let (customer, template) = &templates[(client * 7 + n as usize) % templates.len()];
                    let (path, body, event) = match op {
                        Op::Read => (
                            format!("/api/v1/customers/{customer}/read"),
                            READ.to_owned(),
                            None,
                        ),
                        Op::Consent => {
                            let id = EventId::new_v7();
                            tally.lock().unwrap().sent_events.insert(id);
                            (
                                format!("/api/v1/customers/{customer}/consents"),
                                consent_body(template, id),
                                Some(id),
                            )
                        }
                    };
                    let mut last = String::new();
                    let mut answered = None;
                    let mut denied = false;
                    for attempt in 0..ATTEMPTS {
                        if attempt > 0 {
                            // A failed attempt may be the dead instance: the same request goes to the
                            // other one (a load balancer's retry), after a pause.
                            on = 1 - on;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        let sent = agent
                            .post(format!("{}{path}", bases[on]))
                            .header("Authorization", format!("Bearer {token}"))
                            .header("content-type", "application/json")
                            .send(body.as_str());
                        match sent {
                            Ok(mut response) if response.status().is_success() => {
                                let text = response.body_mut().read_to_string().unwrap();
                                answered = Some((attempt, serde_json::from_str::<Value>(&text).unwrap()));
                                break;
                            }
                            Ok(mut response) if response.status().is_server_error() => {
                                last = format!(
                                    "{} {}",
                                    response.status(),
                                    response.body_mut().read_to_string().unwrap_or_default()
                                );
                            }
                            Ok(mut response) if response.status().as_u16() == 403 => {
                                // The gate denied this customer's read (its deny entry is on the ledger,
                                // but a 403 names no entry): answered, nothing to look up.
                                let text = response.body_mut().read_to_string().unwrap();
                                assert!(text.contains("access_denied"), "{op:?}: {text}");
                                denied = true;
                                break;
                            }
                            Ok(mut response) => panic!(
                                "{op:?} answered {}: {}",
                                response.status(),
                                response.body_mut().read_to_string().unwrap_or_default()
                            ),
                            Err(e) => last = e.to_string(),
                        }
                    }
                    let mut t = tally.lock().unwrap();
                    match answered {
                        Some((attempt, answer)) => {
                            if attempt > 0 {
                                t.retried += 1;
                            }
                            if answer["fresh"] == Value::Bool(false) {
                                t.replayed += 1;
                            }
                            t.acked.push(Acked {
                                customer: *customer,
                                event,
                                entry_index: answer["entry_index"].as_u64().unwrap(),
                            });
                        }
                        None if denied => t.denied += 1,
                        None => t.failed.push(format!("{op:?}: {last}")),
                    }
                    drop(t);
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
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
    instances[1].child.kill().unwrap();
    instances[1].child.wait().unwrap();

    // The ledger, from a fresh brokerage on the schema.
    let b = Brokerage::open(store.postgres_config(&url(), pg()).unwrap(), &keys).unwrap();
    let verified = b.verify_ledger().unwrap();
    let tally = tally.lock().unwrap();
    let customers: BTreeSet<CustomerId> = tally.acked.iter().map(|a| a.customer).collect();
    let mut consents: BTreeMap<EventId, Vec<u64>> = BTreeMap::new();
    let mut access: BTreeMap<CustomerId, BTreeSet<u64>> = BTreeMap::new();
    for customer in &customers {
        for (index, event) in b.consent_events_of(*customer).unwrap() {
            consents.entry(event.id()).or_default().push(index);
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
    let mut acked_writes = (0, 0);
    for a in &tally.acked {
        let present = match a.event {
            Some(event) => {
                acked_writes.0 += 1;
                consents.get(&event).is_some_and(|at| at.contains(&a.entry_index))
            }
            None => {
                acked_writes.1 += 1;
                access[&a.customer].contains(&a.entry_index)
            }
        };
        if !present {
            lost += 1;
        }
    }
    // No request id twice on the ledger, and only ids a client sent (the onboarding's aside).
    let duplicated = consents
        .iter()
        .filter(|(id, at)| tally.sent_events.contains(id) && at.len() > 1)
        .count();
    let sent_on_ledger = consents
        .keys()
        .filter(|id| tally.sent_events.contains(id))
        .count();
    println!(
        "load: {} requests in {:.1} s ({} before the kill), acked {} ({} consent records, {} gated reads), \
         denied {}, retried {}, replayed {}, failed {}, lost {lost}, duplicated {duplicated}; {} consent ids sent, {} \
         on the ledger; ledger {} -> {} entries, verified",
        tally.acked.len() as u64 + tally.denied + tally.failed.len() as u64,
        elapsed.as_secs_f64(),
        at_kill,
        tally.acked.len(),
        acked_writes.0,
        acked_writes.1,
        tally.denied,
        tally.retried,
        tally.replayed,
        tally.failed.len(),
        tally.sent_events.len(),
        sent_on_ledger,
        entries_before,
        verified.size(),
    );
    assert!(
        tally.failed.is_empty(),
        "requests never answered: {:?}",
        tally.failed
    );
    assert_eq!(lost, 0, "acknowledged writes missing from the ledger");
    assert_eq!(duplicated, 0, "consent events on the ledger twice");
    // Each acknowledged consent is exactly one entry; an id sent but never acknowledged is at most once.
    for a in tally.acked.iter().filter(|a| a.event.is_some()) {
        assert_eq!(consents[&a.event.unwrap()], vec![a.entry_index]);
    }
    assert!(killed.load(Ordering::SeqCst));
    assert!(
        acked_writes.0 > 0 && acked_writes.1 > 0,
        "both kinds of write ran"
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
