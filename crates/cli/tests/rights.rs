//! The customers' requests desk from the shell (`custodia rights ...`) over a store with a book imported, on
//! the drill clock: a request received on Monday 28 September 2026 runs across National Day to its answer,
//! response package and receipt (verified offline, refused with a flipped byte); a deletion is erased with
//! two approvers' keys; a withdrawal goes through the consent path; the overdue list; and bad inputs exit
//! with their codes and no personal value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use custodia_model::{Customer, Jurisdiction};
use predicates::prelude::*;

/// 10:00 Beijing time on a 2026 day.
fn beijing(month: u32, day: u32) -> String {
    format!("2026-{month:02}-{day:02}T10:00:00+08:00")
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `custodia --store <store> --now <at> --json <args>`, which must succeed.
fn step(store: &Path, at: &str, args: &[&str]) -> serde_json::Value {
    json(store, &[&["--now", at], args].concat())
}

/// `custodia --store <store> --now <at> <args>` to assert on.
fn run(store: &Path, at: &str, args: &[&str]) -> assert_cmd::Command {
    common::at(store, &[&["--now", at], args].concat())
}

struct Desk {
    _dir: tempfile::TempDir,
    store: PathBuf,
    notice: PathBuf,
    customers: Vec<Customer>,
}

impl Desk {
    fn path(&self, name: &str) -> PathBuf {
        self._dir.path().join(name)
    }
}

/// A store with a book of mainland residents imported (their requests are PIPL requests).
fn desk() -> Desk {
    desk_of(60)
}

/// A store with a book of `n` synthetic customers' mainland residents imported.
fn desk_of(n: u64) -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("broker");
    init(&store, "broker.example/ledger");
    let customers: Vec<Customer> = customers(n, 18)
        .into_iter()
        .filter(|c| c.residence() == Jurisdiction::MAINLAND_CHINA)
        .collect();
    assert!(customers.len() >= 10, "{} mainland customers", customers.len());
    let csv = dir.path().join("book.csv");
    write_csv(&csv, &customers);
    let notice = dir.path().join("notice.json");
    write_notice(&notice);
    step(
        &store,
        &beijing(6, 1),
        &["book", "import", s(&csv), "--notice", s(&notice)],
    );
    Desk {
        _dir: dir,
        store,
        notice,
        customers,
    }
}

fn receive(d: &Desk, at: &str, customer: &Customer, kind: &str, extra: &[&str]) -> String {
    let id = customer.id().to_string();
    let out = step(
        &d.store,
        at,
        &[
            &[
                "rights",
                "receive",
                "--customer",
                &id,
                "--kind",
                kind,
                "--by",
                "desk-1",
            ],
            extra,
        ]
        .concat(),
    );
    assert_eq!(out["state"], "awaiting_identity", "{out}");
    out["request"].as_str().unwrap().to_owned()
}

fn identity(d: &Desk, at: &str, request: &str) -> serde_json::Value {
    step(
        &d.store,
        at,
        &[
            "rights",
            "identity",
            "--request",
            request,
            "--method",
            "document_inspected",
            "--evidence-hex",
            &"ab".repeat(32),
            "--by",
            "desk-1",
        ],
    )
}

#[test]
fn an_access_request_runs_across_national_day_to_a_verified_receipt() {
    let d = desk();
    let customer = &d.customers[0];
    let id = receive(&d, &beijing(9, 28), customer, "access", &["--channel", "web"]);
    let shown = step(&d.store, &beijing(9, 28), &["rights", "show", "--request", &id]);
    // 15 working days from the day after receipt, over the National Day holiday: Friday 23 October.
    assert_eq!(shown["last_day"], "2026-10-23", "{shown}");
    assert_eq!(shown["closes_at"], "2026-10-23T16:00:00Z");
    let list = step(&d.store, &beijing(9, 28), &["rights", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["request"], id.as_str());
    // Nothing is released before identity is verified.
    let out = d.path("early.pkg");
    run(
        &d.store,
        &beijing(9, 28),
        &["rights", "release", "--request", &id, "--out", s(&out)],
    )
    .assert()
    .code(4);
    assert!(!out.exists(), "no package written for a refused answer");

    // The evidence as a file: its SHA-256 is recorded.
    let record = d.path("check.txt");
    std::fs::write(&record, "counter 3, passport inspected by desk-1").unwrap();
    let r = step(
        &d.store,
        &beijing(9, 29),
        &[
            "rights",
            "identity",
            "--request",
            &id,
            "--method",
            "document_inspected",
            "--evidence-file",
            s(&record),
            "--by",
            "desk-1",
        ],
    );
    assert_eq!(r["state"], "verified", "{r}");
    let r = step(
        &d.store,
        &beijing(10, 9),
        &["rights", "extend", "--request", &id, "--reason", "complexity"],
    );
    assert_eq!(r["last_day"], "2026-10-28", "30 days from receipt: {r}");
    // Once only.
    run(
        &d.store,
        &beijing(10, 9),
        &["rights", "extend", "--request", &id, "--reason", "complexity"],
    )
    .assert()
    .code(4);

    let package = d.path("response.pkg");
    let r = step(
        &d.store,
        &beijing(10, 20),
        &["rights", "release", "--request", &id, "--out", s(&package)],
    );
    assert_eq!(r["state"], "answered", "{r}");
    assert!(r["package"]["categories"].as_u64().unwrap() >= 2, "{r}");
    // The customer's data is in the package file, never on stdout.
    let name = match customer.fields().party {
        custodia_model::Party::Person(ref p) => p.name().as_str().to_owned(),
        custodia_model::Party::Organization(ref o) => o.name.as_str().to_owned(),
    };
    let bytes = std::fs::read(&package).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains(&name));
    assert!(!r.to_string().contains(&name));
    assert!(
        step(&d.store, &beijing(10, 20), &["rights", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let receipt = d.path("receipt.txt");
    step(
        &d.store,
        &beijing(10, 21),
        &["rights", "receipt", "--request", &id, "--out", s(&receipt)],
    );
    let steps: Vec<String> = step(&d.store, &beijing(10, 21), &["rights", "show", "--request", &id])["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps, ["received", "identity_checked", "extended", "answered"]);

    // Offline, with the brokerage's public keys only.
    let keys = json(&d.store, &["keys", "public"]);
    let (signing, vkey) = (
        keys["signing"].as_str().unwrap(),
        keys["ledger_vkey"].as_str().unwrap(),
    );
    let v = json(
        &d.store,
        &[
            "verify",
            "rights-receipt",
            s(&receipt),
            "--signing",
            signing,
            "--vkey",
            vkey,
        ],
    );
    assert_eq!(
        (v["verified"].as_bool(), v["outcome"].as_str()),
        (Some(true), Some("fulfilled"))
    );
    assert_eq!(v["request"], id.as_str());
    let original = std::fs::read(&receipt).unwrap();
    for at in [10, original.len() / 2, original.len() - 10] {
        let mut flipped = original.clone();
        flipped[at] ^= 0x01;
        let file = d.path(&format!("flipped-{at}.txt"));
        std::fs::write(&file, &flipped).unwrap();
        cli()
            .args([
                "verify",
                "rights-receipt",
                s(&file),
                "--signing",
                signing,
                "--vkey",
                vkey,
            ])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("verification failed"));
    }
    // Another key: refused too.
    cli()
        .args([
            "verify",
            "rights-receipt",
            s(&receipt),
            "--signing",
            &"11".repeat(32),
            "--vkey",
            vkey,
        ])
        .assert()
        .code(predicate::in_iter([1, 3]));
}

#[test]
fn a_deletion_is_erased_with_two_approvers_and_a_withdrawal_goes_through_the_consent_path() {
    let d = desk_of(300);
    let key = |who: &str| d.path(&format!("{who}.key"));
    for who in ["dpo-1", "cco-1"] {
        step(
            &d.store,
            &beijing(9, 1),
            &["approver", "add", "--id", who, "--key-out", s(&key(who))],
        );
    }
    // The first former customer retention lets something go for: the erasure has a plan to sign.
    let mut chosen = None;
    let mut former: Vec<&Customer> = d
        .customers
        .iter()
        .filter(|c| c.fields().relationship_end.is_some())
        .collect();
    former.sort_by_key(|c| c.fields().relationship_end);
    for customer in former {
        let id = receive(&d, &beijing(9, 28), customer, "deletion", &[]);
        identity(&d, &beijing(9, 28), &id);
        let plan = step(
            &d.store,
            &beijing(9, 29),
            &["rights", "deletion-plan", "--request", &id, "--operator", "ops-1"],
        );
        if plan["erases"] == true {
            assert_eq!(plan["digest"].as_str().unwrap().len(), 64, "{plan}");
            chosen = Some(id);
            break;
        }
    }
    let id = chosen.expect("a former customer with something to erase");
    // One approver is not enough; an approver's key under another's name is refused; nothing is erased.
    run(
        &d.store,
        &beijing(9, 29),
        &[
            "rights",
            "delete",
            "--request",
            &id,
            "--operator",
            "ops-1",
            "--by",
            "dpo-1",
            "--signing-key",
            s(&key("dpo-1")),
        ],
    )
    .assert()
    .failure();
    run(
        &d.store,
        &beijing(9, 29),
        &[
            "rights",
            "delete",
            "--request",
            &id,
            "--operator",
            "ops-1",
            "--by",
            "dpo-1",
            "--signing-key",
            s(&key("cco-1")),
            "--by",
            "cco-1",
            "--signing-key",
            s(&key("cco-1")),
        ],
    )
    .assert()
    .code(3);
    run(
        &d.store,
        &beijing(9, 29),
        &[
            "rights",
            "delete",
            "--request",
            &id,
            "--operator",
            "ops-1",
            "--by",
            "dpo-1",
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("--signing-key"));
    let shown = step(&d.store, &beijing(9, 29), &["rights", "show", "--request", &id]);
    assert_eq!(shown["state"], "verified", "nothing answered: {shown}");
    let done = step(
        &d.store,
        &beijing(9, 29),
        &[
            "rights",
            "delete",
            "--request",
            &id,
            "--operator",
            "ops-1",
            "--by",
            "dpo-1",
            "--signing-key",
            s(&key("dpo-1")),
            "--by",
            "cco-1",
            "--signing-key",
            s(&key("cco-1")),
        ],
    );
    assert_eq!(done["state"], "answered", "{done}");
    assert!(done["erased"].as_u64().unwrap() >= 1, "{done}");
    assert_eq!(done["certificates"].as_array().unwrap().len(), 1, "{done}");
    // Answered: a second answer is out of order.
    run(
        &d.store,
        &beijing(9, 29),
        &["rights", "delete", "--request", &id, "--operator", "ops-1"],
    )
    .assert()
    .code(4);
    json(&d.store, &["ledger", "verify"]);

    // A withdrawal of marketing consent: a consent event through the consent path.
    let customer = &d.customers[1];
    let id = receive(
        &d,
        &beijing(9, 28),
        customer,
        "withdraw_consent",
        &["--purpose", "marketing", "--channel", "phone"],
    );
    identity(&d, &beijing(9, 28), &id);
    let done = step(
        &d.store,
        &beijing(9, 30),
        &[
            "rights",
            "consent-change",
            "--request",
            &id,
            "--notice",
            s(&d.notice),
            "--evidence-hex",
            &"cd".repeat(32),
            "--by",
            "desk-3",
        ],
    );
    assert_eq!(done["state"], "answered", "{done}");
    assert!(done["entry"].as_u64().is_some(), "{done}");
}

#[test]
fn overdue_requests_are_listed_earliest_first_and_a_refusal_answers_one() {
    let d = desk();
    let late = receive(&d, &beijing(9, 28), &d.customers[0], "access", &[]);
    let later = receive(
        &d,
        &beijing(10, 9),
        &d.customers[1],
        "copy",
        &["--channel", "email"],
    );
    let explained = receive(&d, &beijing(9, 28), &d.customers[2], "explain_rules", &[]);
    identity(&d, &beijing(9, 28), &explained);
    let package = d.path("explained.pkg");
    step(
        &d.store,
        &beijing(9, 30),
        &["rights", "release", "--request", &explained, "--out", s(&package)],
    );
    let open: Vec<String> = step(&d.store, &beijing(10, 26), &["rights", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(open, [late.clone(), later.clone()], "earliest close first");
    let overdue = step(&d.store, &beijing(10, 26), &["rights", "overdue"]);
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
    assert_eq!(overdue[0]["request"], late.as_str());
    assert_eq!(overdue[0]["closed_at"], "2026-10-23T16:00:00Z");
    // Not overdue yet on 23 October.
    assert!(
        step(&d.store, &beijing(10, 23), &["rights", "overdue"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A refusal code must fit the kind: portability's grounds do not refuse an access request.
    run(
        &d.store,
        &beijing(10, 26),
        &[
            "rights",
            "refuse",
            "--request",
            &late,
            "--code",
            "portability_not_feasible",
        ],
    )
    .assert()
    .code(3);
    let r = step(
        &d.store,
        &beijing(10, 26),
        &[
            "rights",
            "refuse",
            "--request",
            &late,
            "--code",
            "identity_not_verifiable",
            "--language",
            "en",
        ],
    );
    assert_eq!(r["state"], "answered", "{r}");
    let overdue = step(&d.store, &beijing(10, 26), &["rights", "overdue"]);
    assert!(overdue.as_array().unwrap().is_empty(), "{overdue}");
    // The human list.
    run(&d.store, &beijing(10, 26), &["rights", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 open requests").and(predicate::str::contains(later.as_str())));
    // A GB/T 35273-style ground refuses a verified request.
    identity(&d, &beijing(10, 26), &later);
    let r = step(
        &d.store,
        &beijing(10, 27),
        &[
            "rights",
            "refuse",
            "--request",
            &later,
            "--code",
            "standard:trade_secrets",
        ],
    );
    assert_eq!(r["state"], "answered", "{r}");
    let receipt = d.path("later.txt");
    step(
        &d.store,
        &beijing(10, 27),
        &["rights", "receipt", "--request", &later, "--out", s(&receipt)],
    );
    let keys = json(&d.store, &["keys", "public"]);
    let v = json(
        &d.store,
        &[
            "verify",
            "rights-receipt",
            s(&receipt),
            "--signing",
            keys["signing"].as_str().unwrap(),
            "--vkey",
            keys["ledger_vkey"].as_str().unwrap(),
        ],
    );
    assert_eq!(v["refusals"], serde_json::json!(["standard"]), "{v}");
}

#[test]
fn bad_inputs_are_refused_with_their_codes_and_no_personal_value() {
    let d = desk();
    let now = beijing(9, 28);
    let customer = d.customers[0].id().to_string();
    let stranger = "0190f7a2-1c7e-7d1a-9b0e-3f4c5d6e7f80";
    let receive_args = |who: &str, kind: &str| -> Vec<String> {
        [
            "rights",
            "receive",
            "--customer",
            who,
            "--kind",
            kind,
            "--by",
            "desk-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // Unknown customer: refused (3), nothing recorded.
    run(&d.store, &now, &args(&receive_args(stranger, "access")))
        .assert()
        .code(3);
    // Unknown kind, channel, method, reason: usage (2).
    run(&d.store, &now, &args(&receive_args(&customer, "everything")))
        .assert()
        .code(2);
    let mut bad_channel = receive_args(&customer, "access");
    bad_channel.extend(["--channel".into(), "pigeon".into()]);
    run(&d.store, &now, &args(&bad_channel)).assert().code(2);
    run(
        &d.store,
        &now,
        &[
            "rights",
            "receive",
            "--customer",
            "not-an-id",
            "--kind",
            "access",
            "--by",
            "x",
        ],
    )
    .assert()
    .code(2);
    // A flag the kind does not take is refused, not dropped.
    let mut extra = receive_args(&customer, "access");
    extra.extend(["--purpose".into(), "marketing".into()]);
    run(&d.store, &now, &args(&extra))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--purpose"));
    // A withdrawal names a purpose; a correction a field.
    run(
        &d.store,
        &now,
        &args(&receive_args(&customer, "withdraw_consent")),
    )
    .assert()
    .code(3);
    run(&d.store, &now, &args(&receive_args(&customer, "correction")))
        .assert()
        .code(3);
    let mut field = receive_args(&customer, "correction");
    field.extend(["--field".into(), "contact email!".into()]);
    run(&d.store, &now, &args(&field)).assert().code(3);
    run(&d.store, &now, &args(&receive_args(&customer, "portability")))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--reference"));

    // Someone else asking: an agent is named by id; a close relative only for a deceased customer (the
    // records hold no date of death, so refused); flags the capacity does not take are refused.
    let agent_id = "0190f7a2-1c7e-7d1a-9b0e-3f4c5d6e7f81";
    let with = |kind: &str, extra: &[&str]| {
        let mut v = receive_args(&d.customers[2].id().to_string(), kind);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let agent = json(
        &d.store,
        &[
            &["--now", now.as_str()],
            args(&with(
                "copy",
                &["--requester", "agent", "--requester-id", agent_id],
            ))
            .as_slice(),
        ]
        .concat(),
    );
    assert_eq!(agent["state"], "awaiting_identity", "{agent}");
    run(&d.store, &now, &args(&with("access", &["--requester", "agent"])))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--requester-id"));
    run(
        &d.store,
        &now,
        &args(&with("access", &["--requester-id", agent_id])),
    )
    .assert()
    .code(3);
    run(&d.store, &now, &args(&with("access", &["--relation", "spouse"])))
        .assert()
        .code(3);
    run(
        &d.store,
        &now,
        &args(&with(
            "access",
            &[
                "--requester",
                "close_relative",
                "--requester-id",
                agent_id,
                "--relation",
                "child",
            ],
        )),
    )
    .assert()
    .code(3);
    run(&d.store, &now, &args(&with("access", &["--requester", "cousin"])))
        .assert()
        .code(2);

    // A duplicate of an open request: refused (3).
    let id = receive(&d, &now, &d.customers[0], "access", &[]);
    run(&d.store, &now, &args(&receive_args(&customer, "access")))
        .assert()
        .code(3);
    // Evidence: bad hex, both forms, neither, a missing file.
    let identity_args = |evidence: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "rights",
            "identity",
            "--request",
            &id,
            "--method",
            "knowledge_check",
            "--by",
            "desk-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(evidence.iter().map(|s| s.to_string()));
        v
    };
    run(&d.store, &now, &args(&identity_args(&["--evidence-hex", "xyz"])))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--evidence-hex"));
    run(
        &d.store,
        &now,
        &args(&identity_args(&["--evidence-hex", &"ab".repeat(31)])),
    )
    .assert()
    .code(3);
    run(
        &d.store,
        &now,
        &args(&identity_args(&[
            "--evidence-hex",
            &"ab".repeat(32),
            "--evidence-file",
            "x",
        ])),
    )
    .assert()
    .code(2);
    run(&d.store, &now, &args(&identity_args(&[]))).assert().code(2);
    run(
        &d.store,
        &now,
        &args(&identity_args(&["--evidence-file", s(&d.path("missing"))])),
    )
    .assert()
    .code(4);
    let mut method = identity_args(&["--evidence-hex", &"ab".repeat(32)]);
    method[5] = "telepathy".into();
    run(&d.store, &now, &args(&method)).assert().code(2);
    // An unknown request: refused (3).
    run(&d.store, &now, &["rights", "show", "--request", stranger])
        .assert()
        .code(3);
    // A standard ground with an unknown name: usage.
    run(
        &d.store,
        &now,
        &["rights", "refuse", "--request", &id, "--code", "standard:whim"],
    )
    .assert()
    .code(2);
    // A refusal code that is not one.
    run(
        &d.store,
        &now,
        &["rights", "refuse", "--request", &id, "--code", "because"],
    )
    .assert()
    .code(2);
    // Release of a kind answered elsewhere.
    let deletion = receive(&d, &now, &d.customers[1], "deletion", &[]);
    identity(&d, &now, &deletion);
    run(
        &d.store,
        &now,
        &[
            "rights",
            "release",
            "--request",
            &deletion,
            "--out",
            s(&d.path("d.pkg")),
        ],
    )
    .assert()
    .code(3);
    // No personal value in any error: the customers' names never appear on stderr.
    let out = run(&d.store, &now, &args(&extra)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for c in &d.customers {
        if let custodia_model::Party::Person(p) = &c.fields().party {
            assert!(!stderr.contains(p.name().as_str()));
        }
    }
}

#[test]
fn a_correction_is_a_new_version_of_the_fields_asked_for_and_nothing_more() {
    let d = desk();
    let customer = d
        .customers
        .iter()
        .find(|c| c.fields().contact.email.is_some() && c.fields().contact.mobile.is_some())
        .expect("a customer with an e-mail address and a mobile number");
    let id = receive(
        &d,
        &beijing(9, 28),
        customer,
        "correction",
        &["--field", "contact.email"],
    );
    identity(&d, &beijing(9, 28), &id);
    let write = |name: &str, text: &str| {
        let path = d.path(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let correct = |values: &Path| {
        run(
            &d.store,
            &beijing(10, 8),
            &[
                "rights",
                "correct",
                "--request",
                &id,
                "--values",
                s(values),
                "--by",
                "desk-2",
            ],
        )
    };
    // More than was asked (the mobile number too): refused, nothing recorded.
    let too_much = write(
        "too-much.json",
        r#"{"contact.email": "corrected@example.com", "contact.mobile": null}"#,
    );
    correct(&too_much).assert().code(3);
    // A field the record does not have; a value the model refuses (named by path, never echoed); not JSON.
    let unknown = write("unknown.json", r#"{"contact.fax": "x"}"#);
    correct(&unknown)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("contact.fax"));
    let bad = write("bad.json", r#"{"contact.email": "not-an-address"}"#);
    let out = correct(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not-an-address"));
    correct(&write("empty.json", "{}")).assert().code(3);
    correct(&write("broken.json", "{")).assert().code(3);
    let shown = step(&d.store, &beijing(10, 8), &["rights", "show", "--request", &id]);
    assert_eq!(shown["state"], "verified", "{shown}");

    let good = write("corrected.json", r#"{"contact.email": "corrected@example.com"}"#);
    let done = json(
        &d.store,
        &[
            "--now",
            &beijing(10, 8),
            "rights",
            "correct",
            "--request",
            &id,
            "--values",
            s(&good),
            "--by",
            "desk-2",
        ],
    );
    assert_eq!(
        (done["state"].as_str(), done["version"].as_u64()),
        (Some("answered"), Some(2)),
        "{done}"
    );
    assert!(!done.to_string().contains("corrected@example.com"));
    let masked = json(&d.store, &["customer", "show", &customer.id().to_string()]);
    assert_eq!(masked["version"], 2);
    assert_ne!(
        masked["email"].as_str(),
        customer
            .fields()
            .contact
            .email
            .as_ref()
            .map(|e| e.mask())
            .as_deref(),
        "{masked}"
    );
}

/// An EU resident's request is a GDPR request, whose deadline runs on the working days of the controller's
/// EEA establishment: until `rights eea-calendar` sets that calendar the request is refused rather than
/// counted on the mainland calendar; a state outside the EEA is refused as the establishment; with the
/// calendar set the request is taken, under the GDPR, due a month after receipt (GDPR Art 12(3)).
#[test]
fn a_gdpr_request_waits_for_the_eea_establishments_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("broker");
    init(&store, "broker.example/ledger");
    // Citizens with a resident identity card (what the CSV takes) who live in Germany.
    let people: Vec<Customer> = customers(40, 18).into_iter().take(3).collect();
    let (csv, notice) = (dir.path().join("book.csv"), dir.path().join("notice.json"));
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record(HEADER.split(',')).unwrap();
    let residence = HEADER.split(',').position(|c| c == "residence").unwrap();
    for c in &people {
        let mut row = cells(c).unwrap();
        row[residence] = "DE".into();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    write_notice(&notice);
    step(
        &store,
        &beijing(6, 1),
        &["book", "import", s(&csv), "--notice", s(&notice)],
    );
    let id = people[0].id().to_string();
    let receive = [
        "rights",
        "receive",
        "--customer",
        &id,
        "--kind",
        "access",
        "--by",
        "desk-1",
    ];
    run(&store, &beijing(6, 2), &receive)
        .assert()
        .failure()
        .stderr(predicate::str::contains("calendar"));
    let calendar = dir.path().join("de-2026.json");
    let days = serde_json::json!({
        "name": "de-2026",
        "first": "2026-01-01",
        "last": "2026-12-31",
        "holidays": ["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25",
                     "2026-10-03", "2026-12-25", "2026-12-26"],
        "working_weekends": [],
    });
    std::fs::write(&calendar, days.to_string()).unwrap();
    let set = |state: &str| {
        [
            "rights",
            "eea-calendar",
            "--jurisdiction",
            state,
            "--calendar",
            s(&calendar),
        ]
        .map(String::from)
    };
    run(&store, &beijing(6, 2), &args(&set("CN"))).assert().code(3);
    let mut bad = days.clone();
    bad["holidays"] = serde_json::json!(["2027-01-01"]);
    let outside = dir.path().join("bad.json");
    std::fs::write(&outside, bad.to_string()).unwrap();
    run(
        &store,
        &beijing(6, 2),
        &[
            "rights",
            "eea-calendar",
            "--jurisdiction",
            "DE",
            "--calendar",
            s(&outside),
        ],
    )
    .assert()
    .code(3);
    step(&store, &beijing(6, 2), &args(&set("DE")));
    let taken = step(&store, &beijing(6, 2), &receive);
    assert_eq!(taken["state"], "awaiting_identity", "{taken}");
    assert_eq!(taken["regime"], "gdpr", "{taken}");
    assert_eq!(taken["last_day"], "2026-07-02", "{taken}");
}
