//! Principals, the gated read and the access log from the shell (`custodia access ...`): a trained account
//! manager reads a customer's identity and contact for policy servicing and sees them masked; an untrained
//! one and a marketer are denied (exit 4) and their denials are on the log too; bad inputs exit with their
//! codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::*;
use custodia_model::{Customer, Party};
use predicates::prelude::*;

const NOW: &str = "2026-06-01T10:00:00+08:00";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn step(store: &Path, args: &[&str]) -> serde_json::Value {
    json(store, &[&["--now", NOW], args].concat())
}

fn run(store: &Path, args: &[&str]) -> assert_cmd::Command {
    common::at(store, &[&["--now", NOW], args].concat())
}

fn add(store: &Path, dir: &Path, id: &str, role: &str, purpose: &str, trained: bool) {
    let key = dir.join(format!("{id}.key"));
    let mut args = vec![
        "access",
        "principal",
        "add",
        "--id",
        id,
        "--role",
        role,
        "--department",
        "service",
        "--purpose",
        purpose,
        "--key-out",
        s(&key),
    ];
    if trained {
        args.extend([
            "--course",
            "pi-protection",
            "--passed-at",
            "2026-05-01T09:00:00+08:00",
            "--valid-until",
            "2027-05-01T09:00:00+08:00",
        ]);
    }
    step(store, &args);
    assert!(key.exists());
}

fn name(c: &Customer) -> Option<String> {
    match &c.fields().party {
        Party::Person(p) => Some(p.name().as_str().to_owned()),
        Party::Organization(_) => None,
    }
}

#[test]
fn a_gated_read_is_masked_logged_and_denied_without_training_or_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("broker");
    init(&store, "broker.example/ledger");
    let customers: Vec<Customer> = customers(30, 17)
        .into_iter()
        .filter(|c| name(c).is_some())
        .collect();
    let csv = dir.path().join("book.csv");
    write_csv(&csv, &customers);
    let notice = dir.path().join("notice.json");
    write_notice(&notice);
    step(&store, &["book", "import", s(&csv), "--notice", s(&notice)]);
    add(
        &store,
        dir.path(),
        "emp-0001",
        "account_manager",
        "policy_servicing",
        true,
    );
    add(
        &store,
        dir.path(),
        "emp-0003",
        "account_manager",
        "policy_servicing",
        false,
    );
    add(&store, dir.path(), "emp-0002", "marketing", "marketing", true);
    let shown = step(&store, &["access", "principal", "show", "--id", "emp-0001"]);
    assert!(shown.to_string().contains("account_manager"), "{shown}");

    let read = |who: &str, customer: &Customer, purpose: &str| {
        let id = customer.id().to_string();
        run(
            &store,
            &[
                "--json",
                "access",
                "read",
                "--principal",
                who,
                "--customer",
                &id,
                "--category",
                "identity",
                "--category",
                "contact",
                "--purpose",
                purpose,
            ],
        )
        .output()
        .unwrap()
    };
    // Some customers are restricted to storage by retention (ended relationships): the first one allowed.
    let (customer, out) = customers
        .iter()
        .find_map(|c| {
            let out = read("emp-0001", c, "policy_servicing");
            out.status.success().then_some((c, out))
        })
        .expect("a customer the account manager may read");
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let full = name(customer).unwrap();
    assert!(got["sections"]["identity"]["name"].is_string(), "{got}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&full),
        "the name is masked"
    );
    assert!(got["entry"].as_u64().is_some());

    // Untrained, or the wrong purpose for the role: denied (4), no personal value on either stream.
    for (who, purpose) in [("emp-0003", "policy_servicing"), ("emp-0002", "marketing")] {
        let out = read(who, customer, purpose);
        assert_eq!(
            out.status.code(),
            Some(4),
            "{who}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
        assert!(!String::from_utf8_lossy(&out.stderr).contains(&full));
    }
    // The log holds the allow and both denials.
    let id = customer.id().to_string();
    let log = step(&store, &["access", "log", "--customer", &id]);
    let effects: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["principal"].as_str().unwrap(), e["effect"].as_str().unwrap()))
        .collect();
    for expected in [("emp-0001", "permit"), ("emp-0003", "deny"), ("emp-0002", "deny")] {
        assert!(effects.contains(&expected), "{expected:?} in {effects:?}");
    }
    let mine = step(
        &store,
        &["access", "log", "--customer", &id, "--principal", "emp-0002"],
    );
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let none = step(
        &store,
        &["access", "log", "--customer", &id, "--to", "2026-06-01T00:00:00Z"],
    );
    assert!(none.as_array().unwrap().is_empty());
    assert!(step(&store, &["access", "alerts"]).is_array());
    run(&store, &["access", "log", "--customer", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("access entries about customer"));
}

#[test]
fn bad_access_inputs_exit_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("broker");
    init(&store, "broker.example/ledger");
    let key = dir.path().join("k.key");
    let add = |extra: &[&str]| {
        let mut args = vec![
            "access",
            "principal",
            "add",
            "--department",
            "service",
            "--key-out",
            s(&key),
        ];
        args.extend_from_slice(extra);
        run(&store, &args)
    };
    // Usage: no role; an unknown purpose; a course without its dates.
    add(&["--id", "emp-1"]).assert().code(2);
    add(&["--id", "emp-1", "--role", "clerk", "--purpose", "curiosity"])
        .assert()
        .code(2);
    add(&["--id", "emp-1", "--role", "clerk", "--course", "pi-protection"])
        .assert()
        .code(2);
    // Refused: a bad id, a bad role code, training that ends before it starts; no key file is left.
    add(&["--id", "", "--role", "clerk"]).assert().code(3);
    add(&["--id", "emp-1", "--role", "Clerk Role!"]).assert().code(3);
    add(&[
        "--id",
        "emp-1",
        "--role",
        "clerk",
        "--course",
        "pi-protection",
        "--passed-at",
        "2026-05-01T00:00:00Z",
        "--valid-until",
        "2026-04-01T00:00:00Z",
    ])
    .assert()
    .code(3);
    assert!(!key.exists(), "no key written for a refused principal");
    add(&["--id", "emp-1", "--role", "clerk"]).assert().success();
    // Added once only; the key file is never overwritten.
    add(&["--id", "emp-1", "--role", "clerk"]).assert().code(3);
    // A read by an unknown principal (3), of a malformed customer id (2), without a category (2).
    let stranger = "0190f7a2-1c7e-7d1a-9b0e-3f4c5d6e7f80";
    run(
        &store,
        &[
            "access",
            "read",
            "--principal",
            "nobody",
            "--customer",
            stranger,
            "--category",
            "identity",
            "--purpose",
            "policy_servicing",
        ],
    )
    .assert()
    .code(3);
    run(
        &store,
        &[
            "access",
            "read",
            "--principal",
            "emp-1",
            "--customer",
            "x",
            "--category",
            "identity",
            "--purpose",
            "policy_servicing",
        ],
    )
    .assert()
    .code(2);
    run(
        &store,
        &[
            "access",
            "read",
            "--principal",
            "emp-1",
            "--customer",
            stranger,
            "--purpose",
            "policy_servicing",
        ],
    )
    .assert()
    .code(2);
    run(&store, &["access", "principal", "show", "--id", "nobody"])
        .assert()
        .code(3);
}
