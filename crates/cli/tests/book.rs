//! `init`, `book import`, `book quality`, `customer show`: happy paths, bad inputs, and a 100,000-row file whose planted bad rows must be reported by line exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::*;
use predicates::prelude::*;

#[test]
fn init_makes_a_private_key_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    init(&store, "seller.example/ledger");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.join("root.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = std::fs::read(store.join("root.key")).unwrap();
    at(&store, &["init"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("never overwrites"));
    assert_eq!(std::fs::read(store.join("root.key")).unwrap(), key);
    // A command on a directory that is no store says so.
    at(&dir.path().join("none"), &["book", "quality"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("init"));
}

#[test]
fn import_quality_and_a_masked_customer() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    init(&store, "seller.example/ledger");
    let customers = customers(40, 7);
    let (csv, notice) = (dir.path().join("book.csv"), dir.path().join("notice.json"));
    write_csv(&csv, &customers);
    write_notice(&notice);
    let out = json(
        &store,
        &[
            "book",
            "import",
            csv.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
        ],
    );
    assert_eq!(out["imported"], customers.len() as u64);
    assert_eq!(out["quality"]["customers"], customers.len() as u64);
    let q = json(&store, &["book", "quality"]);
    assert_eq!(q["quality"]["customers"], customers.len() as u64);
    // Masked by default: no full identity number, mobile or name on stdout.
    let c = &customers[0];
    let shown = at(&store, &["customer", "show", &c.id().to_string()])
        .output()
        .unwrap();
    assert!(shown.status.success());
    let text = String::from_utf8(shown.stdout).unwrap();
    let row = cells(c).unwrap();
    assert!(text.contains(&c.id().to_string()));
    for value in [&row[2], &row[3], &row[8], &row[10]] {
        if value.chars().count() > 2 {
            assert!(
                !text.contains(value.as_str()),
                "customer show printed a value unmasked"
            );
        }
    }
    // Importing the same file again: every row is already in the store; nothing written.
    let again = at(
        &store,
        &[
            "book",
            "import",
            csv.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("line 2: customer_id: already in the store"));
    // An unknown customer is an error naming the id.
    at(
        &store,
        &["customer", "show", "0190f7a2-1c7e-7d1a-9b0e-3f4c5d6e7f80"],
    )
    .assert()
    .code(4);
}

#[test]
fn gb18030_and_bad_headers_are_refused_with_how_to_convert() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    init(&store, "seller.example/ledger");
    let notice = dir.path().join("notice.json");
    write_notice(&notice);
    let customers = customers(5, 3);
    let csv = dir.path().join("gb.csv");
    write_csv(&csv, &customers);
    // "张" in GB18030 is D5 C5: not UTF-8.
    let mut bytes = std::fs::read(&csv).unwrap();
    bytes.extend_from_slice(b"x,person,\xd5\xc5,1,2,3,4,5,,,,,,,,2020-01-01,,2020-01-01\n");
    std::fs::write(&csv, bytes).unwrap();
    at(
        &store,
        &[
            "book",
            "import",
            csv.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("iconv -f GB18030 -t UTF-8"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{HEADER},wechat\n")).unwrap();
    at(
        &store,
        &[
            "book",
            "import",
            bad.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
        ],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains("unknown column \"wechat\""));
    // With a BOM the file imports.
    let bom = dir.path().join("bom.csv");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(
        std::fs::read(dir.path().join("gb.csv"))
            .unwrap()
            .split(|b| *b == b'\n')
            .take(customers.len() + 1)
            .flat_map(|l| [l, b"\n"].concat()),
    );
    std::fs::write(&bom, bytes).unwrap();
    let out = json(
        &store,
        &[
            "book",
            "import",
            bom.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
        ],
    );
    assert_eq!(out["imported"], customers.len() as u64);
}

/// Debug builds check 100,000 rows in seconds (validation only: the planted rows make the import refuse
/// before anything is written); the writing path runs on a smaller file with `--skip-invalid`.
#[test]
fn planted_bad_rows_of_a_100k_file_are_reported_by_line_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    init(&store, "seller.example/ledger");
    let notice = dir.path().join("notice.json");
    write_notice(&notice);
    let base = customers(300, 11);
    let rows = 100_000usize;
    let csv = dir.path().join("big.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record(HEADER.split(',')).unwrap();
    let mut planted = BTreeSet::new();
    let mut fields = Vec::new();
    for i in 0..rows {
        let mut row = cells(&base[i % base.len()]).unwrap();
        row[0] =
            custodia_model::uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + i as u128 + 1)
                .to_string();
        let line = i as u64 + 2;
        match i % 9973 {
            17 => {
                row[10] = "not-an-email".into();
                planted.insert(line);
                fields.push((line, "email"));
            }
            101 => {
                row[15] = "2020-13-45".into();
                planted.insert(line);
                fields.push((line, "relationship_start"));
            }
            555 if row[1] == "person" => {
                let mut id: Vec<char> = row[3].chars().collect();
                id[17] = if id[17] == '0' { '1' } else { '0' };
                row[3] = id.into_iter().collect();
                planted.insert(line);
                fields.push((line, "id_number"));
            }
            _ => {}
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let entries_before = json(&store, &["ledger", "verify"])["ledger_entries"].clone();
    let out = at(
        &store,
        &[
            "--json",
            "book",
            "import",
            csv.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let reported: BTreeSet<u64> = stderr
        .lines()
        .filter_map(|l| l.split(": line ").nth(1))
        .map(|rest| rest.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(reported, planted);
    for (line, field) in fields {
        assert!(
            stderr.contains(&format!("line {line}: {field}:")),
            "line {line} {field} not reported"
        );
    }
    assert!(stderr.contains(&format!(
        "{} of {rows} rows refused; nothing was imported",
        planted.len()
    )));
    let q = json(&store, &["book", "quality"]);
    assert_eq!(q["quality"]["customers"], 0);
    // Nothing at all was written: not even the notice's publication is on the ledger.
    assert_eq!(
        json(&store, &["ledger", "verify"])["ledger_entries"],
        entries_before
    );
    // The writing path: the first 2,000 rows with --skip-invalid; the refused lines listed exactly.
    let small = dir.path().join("small.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let head: Vec<&str> = text.lines().take(2001).collect();
    std::fs::write(&small, head.join("\n") + "\n").unwrap();
    let expected: Vec<u64> = planted.iter().copied().filter(|l| *l <= 2001).collect();
    let out = json(
        &store,
        &[
            "book",
            "import",
            small.to_str().unwrap(),
            "--notice",
            notice.to_str().unwrap(),
            "--skip-invalid",
        ],
    );
    assert_eq!(out["refused_lines"], serde_json::json!(expected));
    assert_eq!(out["imported"], 2000 - expected.len() as u64);
}

/// The import writes the whole file in one unit of work: a process killed while it writes leaves no
/// customer of the file in the store (nothing half imported), and the store still opens and verifies. The
/// kill comes after the checking pass has finished (the `rows checked` event of `-v`), in the writing pass;
/// if the import is done before the kill lands, every row is in.
#[test]
fn an_import_killed_while_it_writes_leaves_nothing_half_imported() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    init(&store, "seller.example/ledger");
    let notice = dir.path().join("notice.json");
    write_notice(&notice);
    let rows = 6_000usize;
    let base = customers(200, 5);
    let csv = dir.path().join("book.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record(HEADER.split(',')).unwrap();
    for i in 0..rows {
        let mut row = cells(&base[i % base.len()]).unwrap();
        row[0] =
            custodia_model::uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + i as u128 + 1)
                .to_string();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("custodia"))
        .arg("--store")
        .arg(&store)
        .args(["-v", "book", "import"])
        .arg(&csv)
        .arg("--notice")
        .arg(&notice)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains("rows checked") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let held = json(&store, &["book", "quality"])["quality"]["customers"]
        .as_u64()
        .unwrap();
    if status.success() {
        assert_eq!(held, rows as u64, "the import finished before the kill");
    } else {
        assert_eq!(held, 0, "a killed import left {held} customers half imported");
    }
    at(&store, &["ledger", "verify"]).assert().success();
}
