//! `calendar show | set | extend`: the shipped 2026 calendar in force, extended from a file with the next calendar (kept by the store for later commands), a gap or a malformed file refused with exit 3 naming the file, and nothing changed by a refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use predicates::prelude::*;

const NOW: &str = "2026-12-21T10:00:00+08:00";

#[test]
fn the_calendar_is_extended_from_a_file_and_kept_by_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    init(&store, "seller.example/ledger");
    let shown = json(&store, &["--now", NOW, "calendar", "show"]);
    assert_eq!(shown["calendar"]["name"], "cn-mainland-2026");
    assert_eq!(shown["calendar"]["last"], "2026-12-31");

    let next = dir.path().join("next.json");
    std::fs::write(
        &next,
        r#"{"name":"test-2027-01","first":"2027-01-01","last":"2027-01-31","holidays":["2027-01-01"],"working_weekends":[]}"#,
    )
    .unwrap();
    let gap = dir.path().join("gap.json");
    std::fs::write(
        &gap,
        r#"{"name":"gap","first":"2027-01-02","last":"2027-01-31","holidays":[],"working_weekends":[]}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name":"bad","first":"2027-01-01","last":"2027-01-31","holidays":[],"working_weekends":["2027-01-04"]}"#,
    )
    .unwrap();
    for (file, says) in [(&gap, "calendar.first"), (&bad, "working_weekends")] {
        at(
            &store,
            &[
                "--now",
                NOW,
                "calendar",
                "extend",
                "--calendar",
                file.to_str().unwrap(),
            ],
        )
        .assert()
        .code(3)
        .stderr(predicate::str::contains(says));
    }
    assert_eq!(
        json(&store, &["--now", NOW, "calendar", "show"])["calendar"]["last"],
        "2026-12-31",
        "a refusal changes nothing"
    );

    let extended = json(
        &store,
        &[
            "--now",
            NOW,
            "calendar",
            "extend",
            "--calendar",
            next.to_str().unwrap(),
        ],
    );
    assert_eq!(extended["calendar"]["name"], "cn-mainland-2026+test-2027-01");
    let shown = json(&store, &["--now", NOW, "calendar", "show"]);
    assert_eq!(shown["calendar"]["last"], "2027-01-31");
    assert_eq!(shown["calendar"]["first"], "2026-01-01");

    // `set` refuses a calendar that does not know today.
    at(
        &store,
        &[
            "--now",
            NOW,
            "calendar",
            "set",
            "--calendar",
            next.to_str().unwrap(),
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("calendar.first"));
}
