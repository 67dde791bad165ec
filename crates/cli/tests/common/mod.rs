//! Shared helpers of the CLI tests: the binary, synthetic book CSVs (with planted bad rows), notices and terms.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use custodia_model::chrono::NaiveDate;
use custodia_model::{Customer, IdentityDocument, Party};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{at_nine, privacy_notice};

/// The built `custodia` binary.
pub fn cli() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("custodia").unwrap()
}

/// `custodia --store <store> <args>`.
pub fn at(store: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut c = cli();
    c.arg("--store").arg(store).args(args);
    c
}

/// The book date of the synthetic books.
pub fn book_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
}

/// The CSV header (the columns of templates/book.csv).
pub const HEADER: &str = "customer_id,kind,name,id_number,birth_date,gender,nationality,residence,mobile,phone,email,address_country,address_region_code,address_line,postal_code,relationship_start,relationship_end,last_verified";

/// The CSV cells of `c`, or `None` for a person without a resident identity card (the CSV takes those only).
pub fn cells(c: &Customer) -> Option<Vec<String>> {
    let f = c.fields();
    let opt = |v: Option<&str>| v.unwrap_or("").to_owned();
    let (kind, name, number, birth, gender, nationality) = match &f.party {
        Party::Person(p) => {
            let IdentityDocument::ResidentId(n) = p.document() else {
                return None;
            };
            let gender = format!("{:?}", p.gender()).to_lowercase();
            (
                "person",
                p.name().as_str().to_owned(),
                n.as_str().to_owned(),
                p.birth_date().to_string(),
                gender,
                p.nationality().to_string(),
            )
        }
        Party::Organization(o) => (
            "organization",
            o.name.as_str().to_owned(),
            o.credit_code.as_str().to_owned(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    let address = f.contact.address.as_ref();
    Some(vec![
        f.id.to_string(),
        kind.into(),
        name,
        number,
        birth,
        gender,
        nationality,
        f.residence.to_string(),
        opt(f.contact.mobile.as_ref().map(|m| m.as_str())),
        opt(f.contact.phone.as_ref().map(|m| m.as_str())),
        opt(f.contact.email.as_ref().map(|m| m.as_str())),
        opt(address.map(|a| a.country().to_string()).as_deref()),
        opt(address.and_then(|a| a.region_code())),
        opt(address.map(|a| a.lines().join(" ")).as_deref()),
        opt(address.and_then(|a| a.postal_code())),
        f.relationship_start.to_string(),
        opt(f.relationship_end.map(|d| d.to_string()).as_deref()),
        f.last_verified.to_string(),
    ])
}

/// The synthetic customers that fit the CSV, from a book of `n` (seed `seed`).
pub fn customers(n: u64, seed: u64) -> Vec<Customer> {
    let config = BookConfig {
        customers: n,
        seed,
        ..Default::default()
    };
    SyntheticBook::stream(&config, book_date())
        .unwrap()
        .map(|c| c.unwrap().customer)
        .filter(|c| cells(c).is_some())
        .collect()
}

/// Writes a CSV of `customers` to `path`.
pub fn write_csv(path: &Path, customers: &[Customer]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(HEADER.split(',')).unwrap();
    for c in customers {
        w.write_record(cells(c).unwrap()).unwrap();
    }
    w.flush().unwrap();
}

/// A privacy notice (JSON) written to `path`.
pub fn write_notice(path: &Path) {
    let published = at_nine(NaiveDate::from_ymd_opt(2005, 1, 1).unwrap()).unwrap();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", published).unwrap();
    std::fs::write(path, serde_json::to_vec(&notice).unwrap()).unwrap();
}

/// A fresh store at `dir` (init must succeed).
pub fn init(dir: &Path, origin: &str) {
    at(dir, &["init", "--origin", origin]).assert().success();
}

/// Runs `custodia --json ...` and parses stdout.
pub fn json(store: &Path, args: &[&str]) -> serde_json::Value {
    let out = at(store, &[&["--json"], args].concat()).output().unwrap();
    assert!(
        out.status.success(),
        "custodia {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
