//! The incident register from the shell (`custodia incident ...`) on the drill clock: an incident registered
//! at 09:30 runs its reporting clocks (overdue at 14:00 until the reports are recorded), the affected set is
//! derived from a stated list, a forced re-verification makes the rights desk refuse anything but a document
//! inspected after it (exit 3, naming the incident), the KEK is rotated and a principal revoked, the
//! individuals decision and handling are recorded, and the notices are written in zh-CN and en; bad inputs
//! exit with their codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use custodia_model::{Customer, Jurisdiction};
use predicates::prelude::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn step(store: &Path, at: &str, args: &[&str]) -> serde_json::Value {
    json(store, &[&["--now", at], args].concat())
}

fn run(store: &Path, at: &str, args: &[&str]) -> assert_cmd::Command {
    common::at(store, &[&["--now", at], args].concat())
}

/// A store with a book of mainland residents, and the folder it is in.
fn store() -> (tempfile::TempDir, PathBuf, Vec<Customer>) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("broker");
    init(&store, "broker.example/ledger");
    let customers: Vec<Customer> = customers(40, 7)
        .into_iter()
        .filter(|c| c.residence() == Jurisdiction::MAINLAND_CHINA)
        .collect();
    assert!(customers.len() >= 5);
    let csv = dir.path().join("book.csv");
    write_csv(&csv, &customers);
    let notice = dir.path().join("notice.json");
    write_notice(&notice);
    step(
        &store,
        "2026-06-01T09:00:00+08:00",
        &["book", "import", s(&csv), "--notice", s(&notice)],
    );
    (dir, store, customers)
}

const DISCOVERED: &str = "2026-06-02T09:30:00+08:00";

#[test]
fn an_incident_from_registration_to_notices_with_its_clocks_and_remedies() {
    let (dir, store, customers) = store();
    let (c0, c1) = (customers[0].id().to_string(), customers[1].id().to_string());
    // A request of c0 received before the incident.
    let request = step(
        &store,
        "2026-06-01T10:00:00+08:00",
        &[
            "rights",
            "receive",
            "--customer",
            &c0,
            "--kind",
            "access",
            "--by",
            "desk-1",
        ],
    )["request"]
        .as_str()
        .unwrap()
        .to_owned();

    let registered = step(
        &store,
        DISCOVERED,
        &[
            "incident",
            "register",
            "--kind",
            "leak",
            "--category",
            "identity",
            "--category",
            "contact",
            "--system",
            "crm",
            "--cause",
            "credential_compromise",
            "--level",
            "major",
            "--by",
            "sec-1",
        ],
    );
    let id = registered["incident"].as_str().unwrap().to_owned();
    assert_eq!(registered["kind"], "leak");
    assert_eq!(registered["discovered_at"], "2026-06-02T01:30:00Z");
    assert_eq!(registered["categories"].as_array().unwrap().len(), 2);
    // The first report is due four hours after discovery: not overdue at 10:00, overdue at 14:00.
    assert!(
        step(&store, "2026-06-02T10:00:00+08:00", &["incident", "overdue"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let overdue = step(&store, "2026-06-02T14:00:00+08:00", &["incident", "overdue"]);
    let duties: Vec<&str> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["duty"].as_str().unwrap())
        .collect();
    assert!(duties.contains(&"cac_first_report"), "{overdue}");
    assert!(
        overdue
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["incident"] == id.as_str())
    );
    assert_eq!(overdue[0]["due"], "2026-06-02T05:30:00Z");

    // Who is affected: the stated customers.
    let ids = dir.path().join("affected.txt");
    std::fs::write(&ids, format!("{c1}\n\n")).unwrap();
    let derived = step(
        &store,
        "2026-06-02T11:00:00+08:00",
        &[
            "incident",
            "affected",
            "--incident",
            &id,
            "--customer",
            &c0,
            "--customers-file",
            s(&ids),
            "--by",
            "sec-1",
        ],
    );
    let mut affected: Vec<&str> = derived["affected_customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    affected.sort_unstable();
    let mut expected = vec![c0.as_str(), c1.as_str()];
    expected.sort_unstable();
    assert_eq!(affected, expected, "{derived}");
    assert_eq!(derived["affected"]["people"], 2);

    // Remedy: both must verify again; the rights desk refuses a knowledge check, or a document inspected
    // before the mark, by the incident's id (exit 3), and takes a document inspected after it.
    let marked = step(
        &store,
        "2026-06-02T11:30:00+08:00",
        &[
            "incident",
            "remedy",
            "reverify",
            "--incident",
            &id,
            "--affected",
            "--by",
            "sec-1",
        ],
    );
    assert_eq!(marked["reverify"], 2);
    let identity = |at: &str, method: &str| {
        run(
            &store,
            at,
            &[
                "rights",
                "identity",
                "--request",
                &request,
                "--method",
                method,
                "--evidence-hex",
                &"ab".repeat(32),
                "--by",
                "desk-1",
            ],
        )
    };
    identity("2026-06-02T12:00:00+08:00", "knowledge_check")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(id.as_str()));
    identity("2026-06-02T11:00:00+08:00", "document_inspected")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(id.as_str()));
    identity("2026-06-03T10:00:00+08:00", "document_inspected")
        .assert()
        .success();

    // Remedy: rotate the KEK; revoke a principal.
    let rotated = step(
        &store,
        "2026-06-02T12:00:00+08:00",
        &[
            "incident",
            "remedy",
            "rotate-kek",
            "--incident",
            &id,
            "--by",
            "sec-1",
        ],
    );
    assert_eq!(rotated["primary"], 2, "{rotated}");
    step(
        &store,
        "2026-06-02T12:00:00+08:00",
        &[
            "approver",
            "add",
            "--id",
            "clerk-7",
            "--key-out",
            s(&dir.path().join("clerk-7.key")),
        ],
    );
    let revoked = step(
        &store,
        "2026-06-02T12:10:00+08:00",
        &[
            "incident",
            "remedy",
            "revoke",
            "--incident",
            &id,
            "--principal",
            "clerk-7",
            "--by",
            "sec-1",
        ],
    );
    assert_eq!(revoked["remedies"], 3, "{revoked}");

    // Reports, the individuals decision, handling: the clocks are met.
    for duty in ["cac_first_report", "pipl57_authority"] {
        step(
            &store,
            "2026-06-02T13:00:00+08:00",
            &[
                "incident",
                "report",
                "--incident",
                &id,
                "--duty",
                duty,
                "--reference",
                "CAC-2026-0602/17",
                "--by",
                "dpo-1",
            ],
        );
    }
    step(
        &store,
        "2026-06-02T13:30:00+08:00",
        &[
            "incident",
            "individuals",
            "--incident",
            &id,
            "--notified",
            "2",
            "--by",
            "dpo-1",
        ],
    );
    let handled = step(
        &store,
        "2026-06-05T10:00:00+08:00",
        &["incident", "handled", "--incident", &id, "--by", "sec-1"],
    );
    assert!(handled["handled_at"].is_string());
    let overdue = step(&store, "2026-06-05T10:00:00+08:00", &["incident", "overdue"]);
    assert!(overdue.as_array().unwrap().is_empty(), "{overdue}");
    let clocks = step(&store, "2026-06-05T10:00:00+08:00", &["incident", "clocks"]);
    let first = clocks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["duty"] == "cac_first_report")
        .unwrap();
    assert_eq!(
        (first["met"].as_str(), first["late"].as_bool()),
        (Some("2026-06-02T05:00:00Z"), Some(false))
    );
    // The summary is due 30 days after handling, and overdue after that.
    let late = step(&store, "2026-07-06T10:00:00+08:00", &["incident", "overdue"]);
    assert_eq!(late[0]["duty"], "cac_summary", "{late}");

    // The notices, in zh-CN and en, to files, naming the contact set.
    step(
        &store,
        "2026-06-05T09:00:00+08:00",
        &[
            "incident",
            "contact",
            "--controller",
            "示例保险经纪有限公司",
            "--channel",
            "privacy@broker.example",
        ],
    );
    run(
        &store,
        "2026-06-05T09:00:00+08:00",
        &["incident", "contact", "--controller", " ", "--channel", "x"],
    )
    .assert()
    .code(3);
    let out = dir.path().join("notices");
    step(
        &store,
        "2026-06-05T10:00:00+08:00",
        &["incident", "notices", "--incident", &id, "--out", s(&out)],
    );
    let zh = std::fs::read_to_string(out.join("notice-zh-CN.txt")).unwrap();
    let en = std::fs::read_to_string(out.join("notice-en.txt")).unwrap();
    assert!(
        zh.contains("身份信息") && zh.contains("示例保险经纪有限公司"),
        "{zh}"
    );
    assert!(en.contains("privacy@broker.example"), "{en}");
    assert!(en.contains("identity details"), "{en}");
    // Not overwritten.
    run(
        &store,
        "2026-06-05T10:00:00+08:00",
        &["incident", "notices", "--incident", &id, "--out", s(&out)],
    )
    .assert()
    .code(4);

    let shown = step(
        &store,
        "2026-06-05T10:00:00+08:00",
        &["incident", "show", "--incident", &id],
    );
    assert!(shown["timeline"].as_array().unwrap().len() >= 8, "{shown}");
    let list = step(&store, "2026-06-05T10:00:00+08:00", &["incident", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    run(&store, "2026-06-05T10:00:00+08:00", &["incident", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 incidents").and(predicate::str::contains("handled")));
    json(&store, &["ledger", "verify"]);
}

#[test]
fn bad_incident_inputs_exit_with_their_codes() {
    let (dir, store, customers) = store();
    let now = DISCOVERED;
    let register = |extra: &[&str]| {
        let mut args = vec!["incident", "register", "--by", "sec-1"];
        args.extend_from_slice(extra);
        run(&store, now, &args)
    };
    // Usage: no system, no category, an unknown kind, cause or level.
    register(&["--kind", "leak", "--category", "identity"])
        .assert()
        .code(2);
    register(&["--kind", "leak", "--system", "crm"]).assert().code(2);
    register(&["--kind", "fire", "--category", "identity", "--system", "crm"])
        .assert()
        .code(2);
    register(&[
        "--kind",
        "leak",
        "--category",
        "identity",
        "--system",
        "crm",
        "--cause",
        "gremlins",
    ])
    .assert()
    .code(2);
    register(&["--kind", "leak", "--category", "everything", "--system", "crm"])
        .assert()
        .code(2);
    // Refused: a system code outside its alphabet.
    register(&[
        "--kind",
        "leak",
        "--category",
        "identity",
        "--system",
        "CRM system",
    ])
    .assert()
    .code(3)
    .stderr(predicate::str::contains("--system"));
    let id = step(
        &store,
        now,
        &[
            "incident",
            "register",
            "--kind",
            "loss",
            "--category",
            "contact",
            "--system",
            "backup",
            "--by",
            "sec-1",
        ],
    )["incident"]
        .as_str()
        .unwrap()
        .to_owned();
    // An unknown incident: refused; not an id: usage.
    let stranger = "0190f7a2-1c7e-7d1a-9b0e-3f4c5d6e7f80";
    run(&store, now, &["incident", "show", "--incident", stranger])
        .assert()
        .code(3);
    run(&store, now, &["incident", "show", "--incident", "INC-1"])
        .assert()
        .code(2);
    // An empty exposure; a principal without its window; a bad line in a customers file.
    run(
        &store,
        now,
        &["incident", "affected", "--incident", &id, "--by", "sec-1"],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("exposure"));
    run(
        &store,
        now,
        &[
            "incident",
            "affected",
            "--incident",
            &id,
            "--principal",
            "clerk-7",
            "--by",
            "sec-1",
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("window"));
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, format!("{}\nnot-an-id\n", customers[0].id())).unwrap();
    run(
        &store,
        now,
        &[
            "incident",
            "affected",
            "--incident",
            &id,
            "--customers-file",
            s(&bad),
            "--by",
            "sec-1",
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("line 2"));
    // Reverify with no derived set; revoke an unknown principal.
    run(
        &store,
        now,
        &[
            "incident",
            "remedy",
            "reverify",
            "--incident",
            &id,
            "--affected",
            "--by",
            "sec-1",
        ],
    )
    .assert()
    .code(3);
    run(
        &store,
        now,
        &[
            "incident",
            "remedy",
            "revoke",
            "--incident",
            &id,
            "--principal",
            "nobody",
            "--by",
            "sec-1",
        ],
    )
    .assert()
    .code(3);
    // Individuals: neither or both.
    run(
        &store,
        now,
        &["incident", "individuals", "--incident", &id, "--by", "dpo-1"],
    )
    .assert()
    .code(2);
    run(
        &store,
        now,
        &[
            "incident",
            "individuals",
            "--incident",
            &id,
            "--notified",
            "3",
            "--not-notified",
            "shredded_before_exposure",
            "--by",
            "dpo-1",
        ],
    )
    .assert()
    .code(2);
    // A report of an unknown duty; a reference outside its alphabet.
    run(
        &store,
        now,
        &[
            "incident",
            "report",
            "--incident",
            &id,
            "--duty",
            "tell_everyone",
            "--reference",
            "x",
            "--by",
            "dpo-1",
        ],
    )
    .assert()
    .code(2);
    run(
        &store,
        now,
        &[
            "incident",
            "report",
            "--incident",
            &id,
            "--duty",
            "pipl57_authority",
            "--reference",
            "a b",
            "--by",
            "dpo-1",
        ],
    )
    .assert()
    .code(3);
}
