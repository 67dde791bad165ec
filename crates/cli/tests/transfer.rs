//! A whole licence transfer driven only through the CLI, two stores (seller, buyer), across simulated dates with `--now`; then `verify` exits 1 on a flipped byte of each kind of artefact.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use custodia_consent::{ConsentEvent, NoticeRef, TransferPath};
use custodia_model::ActorId;
use custodia_model::chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use custodia_synthetic::answers::{AnswerPlan, transfer_answers};
use custodia_synthetic::consent::at_nine;
use custodia_synthetic::parties::{SampleKeys, terms};
use custodia_transfer::{CustomerSelection, SensitiveRule, SignedAgreement};
use predicates::prelude::*;

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `custodia --store <store> --now <at> --json <args>`, which must succeed.
fn step(store: &Path, at: DateTime<Utc>, args: &[&str]) -> serde_json::Value {
    json(store, &[&["--now", &rfc(at)], args].concat())
}

/// Copies `from` with the byte at `at` flipped.
fn flipped(from: &Path, to: &Path, at: usize) -> PathBuf {
    let mut bytes = std::fs::read(from).unwrap();
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x01;
    std::fs::write(to, bytes).unwrap();
    to.to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn a_whole_licence_transfer_from_the_shell_and_verify_refuses_flipped_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);
    let (seller, buyer) = (d("seller"), d("buyer"));
    let book_day = at_nine(book_date()).unwrap();
    init(&seller, "seller.example/ledger");
    init(&buyer, "buyer.example/ledger");

    // The seller's book, from CSV.
    let customers = customers(30, 5);
    write_csv(&d("book.csv"), &customers);
    write_notice(&d("notice.json"));
    let imported = step(
        &seller,
        book_day,
        &[
            "book",
            "import",
            s(&d("book.csv")),
            "--notice",
            s(&d("notice.json")),
        ],
    );
    assert_eq!(imported["imported"], customers.len() as u64);

    // The agreement: sample terms; the buyer puts its keys in, the seller signs, the buyer countersigns.
    let mut t = terms(&SampleKeys::generate().unwrap(), TransferPath::MergerNotice).unwrap();
    t.selection = CustomerSelection::LapsedWithinYears(3);
    t.sensitive = SensitiveRule::RequireSeparateConsent;
    std::fs::write(d("terms.json"), serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    step(
        &buyer,
        book_day,
        &[
            "transfer",
            "party",
            "--terms",
            s(&d("terms.json")),
            "--role",
            "buyer",
            "--out",
            s(&d("terms-b.json")),
        ],
    );
    step(
        &seller,
        book_day,
        &[
            "transfer",
            "agree",
            "--terms",
            s(&d("terms-b.json")),
            "--out",
            s(&d("offer.json")),
        ],
    );
    // A tampered offer is refused by the buyer.
    let mut offer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d("offer.json")).unwrap()).unwrap();
    let sig = offer["seller_signature"].as_str().unwrap().to_owned();
    offer["seller_signature"] =
        format!("{}{}", if sig.starts_with('0') { "1" } else { "0" }, &sig[1..]).into();
    std::fs::write(d("offer-bad.json"), offer.to_string()).unwrap();
    at(
        &buyer,
        &[
            "transfer",
            "countersign",
            s(&d("offer-bad.json")),
            "--out",
            s(&d("agreement-bad.bin")),
        ],
    )
    .assert()
    .code(3);
    step(
        &buyer,
        book_day,
        &[
            "transfer",
            "countersign",
            s(&d("offer.json")),
            "--out",
            s(&d("agreement.bin")),
        ],
    );
    let agreement = SignedAgreement::decode(&std::fs::read(d("agreement.bin")).unwrap()).unwrap();
    let id = agreement.transfer_id().to_string();

    // 1 June: the case opens, the notices go out.
    let served_at = at_nine(agreement.terms().effective).unwrap();
    let day = |n: i64| served_at + Duration::days(n);
    let opened = step(&seller, served_at, &["transfer", "open", s(&d("agreement.bin"))]);
    let execution: NaiveDate = serde_json::from_value(opened["execution_date"].clone()).unwrap();
    // Executing before the execution date is refused (exit 4), naming the date.
    at(
        &seller,
        &["--now", &rfc(served_at), "transfer", "execute", "--transfer", &id],
    )
    .assert()
    .code(4)
    .stderr(predicate::str::contains("not allowed").or(predicate::str::contains("may not run before")));
    let notified = step(&seller, served_at, &["transfer", "notify", "--transfer", &id]);
    assert!(notified["served"]["total"].as_u64().unwrap() > 0);
    let zh: NoticeRef = serde_json::from_value(notified["published"]["zh"].clone()).unwrap();

    // Day 20: the answers that arrived, from a file; a preview.
    let plan = AnswerPlan::new(5, served_at, zh, ActorId::new("clerk-0001").unwrap());
    let mut answers: Vec<ConsentEvent> = Vec::new();
    for (n, c) in customers.iter().enumerate() {
        answers.extend(
            transfer_answers(&plan, n as u64, c, agreement.terms())
                .unwrap()
                .into_iter()
                .filter(|e| e.effective_at() <= day(20)),
        );
    }
    std::fs::write(d("answers.json"), serde_json::to_vec(&answers).unwrap()).unwrap();
    let recorded = step(
        &seller,
        day(20),
        &["transfer", "respond", "--transfer", &id, s(&d("answers.json"))],
    );
    assert_eq!(recorded["recorded"], answers.len() as u64);
    // A customer's receipt of their recorded answer (PIPL Art 17; GDPR Art 7(1)), checked offline with the
    // seller's ledger key alone; another customer's answer is not theirs (exit 3).
    let answer = &answers[0];
    let (customer, event) = (answer.customer().to_string(), answer.id().to_string());
    step(
        &seller,
        day(20),
        &[
            "consent",
            "receipt",
            "--customer",
            &customer,
            "--event",
            &event,
            "--out",
            s(&d("consent-receipt.json")),
        ],
    );
    let seller_keys = step(&seller, day(20), &["keys", "public"]);
    let vkey = seller_keys["ledger_vkey"].as_str().unwrap().to_owned();
    let checked = step(
        &seller,
        day(20),
        &[
            "verify",
            "consent-receipt",
            s(&d("consent-receipt.json")),
            "--vkey",
            &vkey,
        ],
    );
    assert!(checked.to_string().contains(&event), "{checked}");
    if let Some(other) = answers.iter().find(|e| e.customer() != answer.customer()) {
        at(
            &seller,
            &[
                "consent",
                "receipt",
                "--customer",
                &customer,
                "--event",
                &other.id().to_string(),
                "--out",
                s(&d("not-theirs.json")),
            ],
        )
        .assert()
        .code(3);
    }
    let preview = step(&seller, day(20), &["transfer", "plan", "--transfer", &id]);
    assert_eq!(preview["customers"], customers.len() as u64);

    // Day 45, after the execution date and the objection window: the final plan and the package; the buyer
    // imports and signs the receipt.
    let exec_at = day(45);
    assert!(exec_at >= at_nine(execution).unwrap());
    // Approvers, each with a signing key only they hold (`approver add`: mode 0600, never overwritten).
    let key = |who: &str| d(&format!("{who}.key")).display().to_string();
    for who in ["dpo-1", "cco-1", "ops-1"] {
        step(
            &seller,
            exec_at,
            &["approver", "add", "--id", who, "--key-out", &key(who)],
        );
    }
    // The impact assessment the agreement names (PIPL Art 55(3)): execution is refused (exit 3, naming the
    // field) until one is stored and approved by two approvers.
    at(
        &seller,
        &["--now", &rfc(exec_at), "transfer", "execute", "--transfer", &id],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("agreement.impact_assessment"));
    let pia = custodia_synthetic::assessment::for_transfer(
        agreement.terms(),
        ActorId::new("privacy-office").unwrap(),
        exec_at,
    )
    .unwrap();
    let mut content = serde_json::to_value(&pia.content).unwrap();
    std::fs::write(d("pia.json"), content.to_string()).unwrap();
    // A field the content does not have is refused by name, never dropped; so is one without measures.
    content["approved"] = true.into();
    std::fs::write(d("pia-extra.json"), content.to_string()).unwrap();
    content.as_object_mut().unwrap().remove("approved");
    content["measures"] = serde_json::json!([]);
    std::fs::write(d("pia-empty.json"), content.to_string()).unwrap();
    for (file, named) in [("pia-extra.json", "approved"), ("pia-empty.json", "measures")] {
        at(&seller, &["assessment", "add", "--file", s(&d(file))])
            .assert()
            .code(3)
            .stderr(predicate::str::contains(named));
    }
    let added = step(
        &seller,
        exec_at,
        &["assessment", "add", "--file", s(&d("pia.json"))],
    );
    let pia_id = added["id"].as_str().unwrap().to_owned();
    let approve_pia = |whom: &[&str]| -> Vec<String> {
        let mut args = ["assessment", "approve", "--id", &pia_id]
            .map(String::from)
            .to_vec();
        for who in whom {
            args.extend(["--by".into(), who.to_string(), "--signing-key".into(), key(who)]);
        }
        args
    };
    // One approver is not a quorum; nothing is approved.
    at(&seller, &strs(&approve_pia(&["dpo-1"]))).assert().failure();
    let approved = step(&seller, exec_at, &strs(&approve_pia(&["dpo-1", "cco-1"])));
    let mut approvers: Vec<&str> = approved["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    approvers.sort_unstable();
    assert_eq!(approvers, ["cco-1", "dpo-1"], "{approved}");
    let listed = step(&seller, exec_at, &["assessment", "list"]);
    assert!(listed[0]["approval"].is_object(), "{listed}");
    let executed = step(&seller, exec_at, &["transfer", "execute", "--transfer", &id]);
    let moving = executed["customers_moving"].as_u64().unwrap();
    assert!(moving > 0, "nobody moves: {executed}");
    let package = step(
        &seller,
        exec_at,
        &[
            "transfer",
            "package",
            "--transfer",
            &id,
            "--out",
            s(&d("transfer.pkg")),
        ],
    );
    assert_eq!(package["customers"], moving);
    let adopted = step(
        &buyer,
        exec_at,
        &[
            "transfer",
            "import",
            "--agreement",
            s(&d("agreement.bin")),
            s(&d("transfer.pkg")),
        ],
    );
    assert_eq!(adopted["customers"], moving);
    assert_eq!(adopted["root"], package["root"]);
    step(
        &buyer,
        exec_at,
        &[
            "transfer",
            "receipt",
            "--transfer",
            &id,
            "--out",
            s(&d("receipt.bin")),
        ],
    );
    step(
        &seller,
        exec_at,
        &[
            "transfer",
            "receipt",
            "--transfer",
            &id,
            "--accept",
            s(&d("receipt.bin")),
        ],
    );
    let buyer_status = step(&buyer, exec_at, &["transfer", "status", "--transfer", &id]);
    assert_eq!(buyer_status["role"], "buyer");

    // The next day: the disposition, approved by two people; the report and the evidence folder.
    let next = exec_at + Duration::days(1);
    let planned = step(
        &seller,
        next,
        &["transfer", "dispose", "plan", "--transfer", &id, "--by", "ops-1"],
    );
    at(
        &seller,
        &["approver", "add", "--id", "dpo-1", "--key-out", &key("dpo-2")],
    )
    .assert()
    .code(3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key("dpo-1")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let approve = |who: &str| -> Vec<String> {
        [
            "transfer",
            "dispose",
            "approve",
            "--transfer",
            &id,
            "--by",
            who,
            "--signing-key",
            &key(who),
        ]
        .map(String::from)
        .to_vec()
    };
    // This book holds identity and contact data only, all still within the AML minimum retention (AML Law
    // Art 34: five years after the relationship ends), so the disposition destroys nothing: there is no
    // destruction plan to sign (four eyes are for destruction, PIPL Art 47) and the case is runnable at once.
    let destroys = planned["whole_customers"].as_u64().unwrap()
        + planned["destroy"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>();
    assert_eq!(destroys, 0, "{planned}");
    let approved = step(&seller, next, &strs(&approve("dpo-1")));
    assert_eq!(approved["signed_plans"], 0, "{approved}");
    assert_eq!(approved["state"], "disposition approved", "{approved}");
    step(
        &seller,
        next,
        &[
            "transfer",
            "dispose",
            "execute",
            "--transfer",
            &id,
            "--by",
            "ops-2",
        ],
    );
    let (mover, stayer) = (customers[0].id().to_string(), customers[1].id().to_string());
    let report = step(
        &seller,
        next,
        &[
            "transfer",
            "report",
            "--transfer",
            &id,
            "--out",
            s(&d("closing")),
            "--prove",
            &mover,
            "--prove",
            &stayer,
        ],
    );
    assert_eq!(report["all_passed"], true);
    let status = step(&seller, next, &["transfer", "status", "--transfer", &id]);
    assert_eq!(status["state"], "closed");
    assert!(d("closing/report.md").exists() && d("closing/report.html").exists());

    // Offline verification: each artefact verifies, and each with one byte flipped fails with exit 1.
    let evidence = d("closing/evidence");
    let v = json(&seller, &["verify", "evidence", s(&evidence)]);
    assert_eq!(v["customers"], moving);
    assert_eq!(v["proofs"], 2);
    let verified = json(
        &seller,
        &[
            "verify",
            "package",
            s(&d("transfer.pkg")),
            "--agreement",
            s(&d("agreement.bin")),
        ],
    );
    // Without the transfer key the entries stay sealed: the root is the signed one, and the output says so.
    assert_eq!(verified["customers"], moving);
    assert_eq!(verified["root_recomputed"], false);
    json(
        &seller,
        &[
            "verify",
            "receipt",
            s(&d("receipt.bin")),
            "--agreement",
            s(&d("agreement.bin")),
            "--package",
            s(&d("transfer.pkg")),
        ],
    );
    let vkey = json(&seller, &["keys", "public"])["ledger_vkey"]
        .as_str()
        .unwrap()
        .to_owned();
    step(
        &seller,
        next,
        &["ledger", "checkpoint", "--out", s(&d("checkpoint.txt"))],
    );
    json(
        &seller,
        &["verify", "checkpoint", s(&d("checkpoint.txt")), "--vkey", &vkey],
    );
    json(&seller, &["ledger", "verify"]);

    let pkg_len = std::fs::metadata(d("transfer.pkg")).unwrap().len() as usize;
    for at_byte in [10, pkg_len / 2, pkg_len - 5] {
        let bad = flipped(&d("transfer.pkg"), &d("bad.pkg"), at_byte);
        cli()
            .args([
                "verify",
                "package",
                s(&bad),
                "--agreement",
                s(&d("agreement.bin")),
            ])
            .assert()
            .code(1);
    }
    let bad = flipped(&d("receipt.bin"), &d("bad-receipt.bin"), 40);
    cli()
        .args([
            "verify",
            "receipt",
            s(&bad),
            "--agreement",
            s(&d("agreement.bin")),
            "--package",
            s(&d("transfer.pkg")),
        ])
        .assert()
        .code(1);
    let bad = flipped(&d("agreement.bin"), &d("bad-agreement.bin"), 30);
    cli()
        .args(["verify", "package", s(&d("transfer.pkg")), "--agreement", s(&bad)])
        .assert()
        .code(1);
    let text = std::fs::read_to_string(d("checkpoint.txt")).unwrap();
    let bad = flipped(
        &d("checkpoint.txt"),
        &d("bad-checkpoint.txt"),
        text.find('\n').unwrap() + 3,
    );
    cli()
        .args(["verify", "checkpoint", s(&bad), "--vkey", &vkey])
        .assert()
        .code(1);
    for file in [
        "package.pkg",
        "receipt.bin",
        "report.json",
        "checkpoints.json",
        "agreement.bin",
    ] {
        let copy = d(&format!("evidence-{file}"));
        copy_dir(&evidence, &copy);
        let len = std::fs::metadata(copy.join(file)).unwrap().len() as usize;
        flipped(&copy.join(file), &copy.join(file), len / 2);
        cli()
            .args(["verify", "evidence", s(&copy)])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("verification failed"));
    }

    // The compliance audit's evidence pack (PIPL Art 54): written and verified by the store, then offline
    // against the seller's published signing key; another key, or a flipped byte of any file, exits 1.
    let audit = d("audit-pack");
    let packed = step(&seller, next, &["audit", "pack", "--out", s(&audit)]);
    assert!(packed["certificates"].as_u64().is_some() && packed["checkpoints"].as_u64().unwrap() > 0);
    let signing = |store: &Path| {
        json(store, &["keys", "public"])["signing"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ours, theirs) = (signing(&seller), signing(&buyer));
    let v = cli()
        .args(["--json", "verify", "audit-pack", s(&audit), "--signing", &ours])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&v.get_output().stdout).unwrap();
    assert_eq!(v["verified"], true);
    cli()
        .args(["verify", "audit-pack", s(&audit), "--signing", &theirs])
        .assert()
        .code(1);
    cli()
        .args(["verify", "audit-pack", s(&audit), "--signing", "not-hex"])
        .assert()
        .code(3);
    let files: Vec<_> = std::fs::read_dir(&audit)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(files.len() > 5, "{files:?}");
    for (i, file) in files.iter().enumerate() {
        let copy = d(&format!("audit-{i}"));
        copy_dir(&audit, &copy);
        let len = std::fs::metadata(copy.join(file)).unwrap().len() as usize;
        flipped(&copy.join(file), &copy.join(file), len / 2);
        cli()
            .args(["verify", "audit-pack", s(&copy), "--signing", &ours])
            .assert()
            .code(1);
    }
}
