//! No personal information where it must not be (issue 10; PIPL Arts 9, 51: pseudonymize, encrypt, keep
//! identifying data out of records that outlive it). The main job (`examples/license_transfer.rs`) runs on a
//! synthetic book; then every ledger payload, every line it logged, every file it wrote (reports, proofs,
//! the package and the SQLite files themselves) and the error messages of every validator fed the book's own
//! values are scanned for any name, identity number, phone, e-mail, address or bank number of the book.
//! Zero hits; masked values (`138****5678`, `张*`) are allowed and are not needles.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use custodia::ledger::LogStore;
use custodia::model::chrono::NaiveDate;
use custodia::model::{
    BankCardNumber, EmailAddress, MobileNumber, PhoneNumber, ResidentIdNumber, UnifiedSocialCreditCode,
};
use custodia::store::{SqliteConfig, SqliteStore};
use custodia_synthetic::book::{BookConfig, SyntheticBook, SyntheticCustomer};
use serde_json::Value;

const CUSTOMERS: u64 = 300;
const SEED: u64 = 7;

/// The book the example generates for `--customers CUSTOMERS --seed SEED` (its book date is 2026-05-31).
fn book() -> Vec<SyntheticCustomer> {
    let config = BookConfig {
        seed: SEED,
        customers: CUSTOMERS,
        ..BookConfig::default()
    };
    let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    SyntheticBook::generate(&config, as_of)
        .unwrap()
        .customers()
        .to_vec()
}

/// What must never appear, with what it is (for the failure message).
#[derive(Default)]
struct Needles(BTreeSet<(String, &'static str)>);

impl Needles {
    fn add(&mut self, what: &'static str, value: &str) {
        let value = value.trim();
        if !value.is_empty() {
            self.0.insert((value.to_lowercase(), what));
        }
    }

    /// Every identifying string value of the customer record, found by field name anywhere in its JSON
    /// form, so a field added to the model later is covered without editing this test.
    fn collect(&mut self, value: &Value, key: &str) {
        match value {
            Value::Object(map) => {
                if key == "address"
                    && let Some(Value::Array(lines)) = map.get("lines")
                {
                    let lines: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
                    // The most specific line (street, building) and the whole address; the first lines
                    // alone (a province, a city) identify no one.
                    if let Some(last) = lines.last() {
                        self.add("address line", last);
                    }
                    self.add("address", &lines.concat());
                    self.add("address", &lines.join(" "));
                }
                for (k, v) in map {
                    self.collect(v, k);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v, key)),
            Value::String(s) => {
                let what = match key {
                    "name" | "legal_representative" | "contact_person" => "name",
                    "resident_id" | "number" => "identity number",
                    "credit_code" => "credit code",
                    "mobile" | "phone" => "phone",
                    "email" => "e-mail",
                    "card" => "bank number",
                    _ => return,
                };
                self.add(what, s);
                if what == "phone" {
                    // The national form as well: +86 1380013800 is also written 1380013800.
                    if let Some(national) = s.strip_prefix("+86") {
                        self.add(what, national);
                    }
                }
                if what == "bank number" {
                    // Cards are often printed in groups of four.
                    let grouped: Vec<String> = s
                        .as_bytes()
                        .chunks(4)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    self.add(what, &grouped.join(" "));
                }
            }
            _ => {}
        }
    }

    /// Every needle found in `haystack`, with a little context. Needles are indexed by their first four
    /// bytes, so a haystack is walked once rather than once per needle.
    fn hits(&self, place: &str, haystack: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(haystack).to_lowercase();
        let bytes = text.as_bytes();
        let mut index: HashMap<&[u8], Vec<&(String, &'static str)>> = HashMap::new();
        let mut short = Vec::new();
        for n in &self.0 {
            match n.0.as_bytes().get(..4) {
                Some(prefix) => index.entry(prefix).or_default().push(n),
                None => short.push(n),
            }
        }
        let mut found = BTreeSet::new();
        for at in 0..bytes.len().saturating_sub(3) {
            for n in index.get(&bytes[at..at + 4]).into_iter().flatten() {
                if bytes[at..].starts_with(n.0.as_bytes()) {
                    found.insert((at, *n));
                }
            }
        }
        for n in short {
            if let Some(at) = text.find(n.0.as_str()) {
                found.insert((at, n));
            }
        }
        found
            .into_iter()
            .map(|(at, (needle, what))| {
                let mut start = at.saturating_sub(40);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (at + needle.len() + 40).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                format!("{place}: {what} {needle:?} in …{}…", &text[start..end])
            })
            .collect()
    }
}

/// The example binary, built by cargo for this profile and target directory (a no-op when it is fresh).
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test> → target/<profile>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let mut build = Command::new(env!("CARGO"));
    build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", "license_transfer"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    if let Some(target_dir) = profile_dir.parent() {
        build.arg("--target-dir").arg(target_dir);
    }
    let status = build.status().unwrap();
    assert!(status.success(), "building the license_transfer example failed");
    let bin = profile_dir
        .join("examples")
        .join(format!("license_transfer{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "no example binary at {}", bin.display());
    bin
}

/// Every payload of the ledger in `path`, read through the store's public `LogStore` API.
fn ledger_payloads(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let store = SqliteStore::open(path, &SqliteConfig::default()).unwrap();
    let size = store.size().unwrap();
    store
        .entries(0..size)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.payload().map(|p| (e.index(), p.to_vec())))
        .collect()
}

#[test]
fn the_main_job_leaves_no_personal_information_in_ledgers_logs_reports_files_or_errors() {
    let book = book();
    let mut needles = Needles::default();
    for c in &book {
        needles.collect(&serde_json::to_value(&c.customer).unwrap(), "");
    }
    assert!(
        needles.0.len() > CUSTOMERS as usize * 4,
        "{} needles",
        needles.0.len()
    );
    // The scanner itself finds what it looks for.
    let (some_needle, _) = needles.0.iter().next().unwrap().clone();
    assert_eq!(
        needles.hits("probe", format!("x{some_needle}y").as_bytes()).len(),
        1
    );

    let bin = example();
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(bin)
        .args([
            "--customers",
            &CUSTOMERS.to_string(),
            "--seed",
            &SEED.to_string(),
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (run.stdout, run.stderr);
    assert!(
        run.status.success(),
        "the main job failed:\n{}\n{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );

    let mut hits = Vec::new();
    hits.extend(needles.hits("stdout", &stdout));
    hits.extend(needles.hits("stderr", &stderr));

    // Every ledger payload.
    let payloads = ledger_payloads(&out.path().join("seller.sqlite"));
    assert!(payloads.len() > CUSTOMERS as usize, "{} payloads", payloads.len());
    for (index, payload) in &payloads {
        hits.extend(needles.hits(&format!("ledger entry {index}"), payload));
    }

    // Every file the job wrote: reports, proofs, the package, the SQLite files (vaults hold only sealed
    // sections; the ledger only ids, categories and digests).
    let mut files = Vec::new();
    let mut dirs = vec![out.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            hits.extend(needles.hits(&path.display().to_string(), &std::fs::read(&path).unwrap()));
            files.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    for expected in [
        "report.json",
        "report.md",
        "report.html",
        "seller.sqlite",
        "proofs.json",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} missing from {files:?}"
        );
    }

    // Positive control: the job really ran on this book — its customers' pseudonymous ids are on the
    // ledger (which is allowed), so the needles above are the right ones.
    let ledger_text: String = payloads
        .iter()
        .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
        .collect();
    let ids_on_ledger = book
        .iter()
        .filter(|c| ledger_text.contains(&c.customer.id().to_string()))
        .count();
    assert!(
        ids_on_ledger * 2 > book.len(),
        "only {ids_on_ledger} of {} book customers appear on the ledger: the example's book differs from this test's",
        book.len()
    );

    // Error messages of every validator, fed each customer's own values made invalid by one character.
    let mut errors = 0;
    for c in &book {
        let value = serde_json::to_value(&c.customer).unwrap();
        let mut local = Needles::default();
        local.collect(&value, "");
        for (needle, what) in &local.0 {
            let broken = format!("{needle}x");
            let messages: Vec<String> = match *what {
                "identity number" => vec![err(broken.parse::<ResidentIdNumber>())],
                "credit code" => vec![err(UnifiedSocialCreditCode::new(&broken))],
                "phone" => vec![err(MobileNumber::new(&broken)), err(PhoneNumber::new(&broken))],
                "e-mail" => vec![err(EmailAddress::new(&broken.replace('@', "@@")))],
                "bank number" => vec![err(BankCardNumber::new(&broken))],
                _ => continue,
            };
            for m in messages.into_iter().filter(|m| !m.is_empty()) {
                errors += 1;
                hits.extend(needles.hits(&format!("error for a broken {what}"), m.as_bytes()));
            }
        }
    }
    assert!(errors > CUSTOMERS as usize, "{errors} error messages checked");

    assert!(
        hits.is_empty(),
        "{} hits of the book's personal information:\n{}",
        hits.len(),
        hits.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The error's `Display` and `Debug` (both reach logs), or nothing when the value was accepted.
fn err<T, E: std::fmt::Display + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => String::new(),
        Err(e) => format!("{e} {e:?}"),
    }
}
