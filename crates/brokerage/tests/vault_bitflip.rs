//! Single-bit flips of a small vault file (issue 16): a brokerage store on SQLite with a few customers,
//! several categories, an update making a second version, a deletion that erased categories (section
//! tombstones) and one that crypto-shredded a customer (a key tombstone), and blind-index lookups. The
//! file is closed and its bytes taken as the baseline, with the API's baseline answers: every customer's
//! trusted read and whole record, every blind-index lookup, every key and section tombstone (through the
//! store), and `verify_vault` against the checkpoint an auditor holds. Then one bit of the file is
//! flipped at a time and a brokerage opened on the copy: the flip must be refused at open, or turn an
//! answer into a typed error, or be reported by `verify_vault`, or leave every answer as it was. A flip
//! that changes an answer and passes verification fails the test, listed with its offset, bit, page,
//! table and the answers that changed. A panic fails it too.
//!
//! A debug `cargo test` flips an evenly spread deterministic sample; `CUSTODIA_BITFLIPS=<n>` raises the
//! number of flips (it never lowers it, and at 8 × the file size or more every bit of every byte is
//! flipped; at the file size, one bit of every byte, the bit cycling with the offset).
//! `CUSTODIA_BITFLIP_THREADS=<n>` spreads the flips over `n` workers (the outcome is the same):
//!
//! ```text
//! CUSTODIA_BITFLIPS=139264 CUSTODIA_BITFLIP_THREADS=2 cargo test --release -p custodia-brokerage --test vault_bitflip -- --nocapture
//! ```

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_brokerage::{
    Brokerage, BrokerageConfig, Clock, ErasureRun, ManualClock, Onboarding, StaticKeySource, Update,
};
use custodia_consent::{BasisPolicy, Channel, Digest, TransferPath};
use custodia_crypto::{BlindIndexField, KeyStore, SectionRows};
use custodia_ledger::SignedCheckpoint;
use custodia_model::{
    ActorId, CustomerId, DataCategory, EmailAddress, IdentityDocument, Jurisdiction, Party,
};
use custodia_retention::{Holding, Holds, Profile, RetentionOutcome};
use custodia_rights::{
    ErasureMethod, IdentityMethod, IdentityVerification, Intake, Language, RequestKind, VerifiedParty,
};
use custodia_store::{SqliteConfig, SqliteStore};
use custodia_synthetic::book::{BookConfig, SyntheticBook, SyntheticCustomer};
use custodia_synthetic::consent::privacy_notice;
use custodia_transfer::facts::retention_facts;

const KEY: [u8; 32] = [0x5A; 32];
/// The fewest flips a run makes, whatever the environment says.
const MIN_FLIPS: u64 = 600;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 2, 0, 0).unwrap()
}

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn open(path: &Path) -> Result<Brokerage, custodia_brokerage::BrokerageError> {
    let config = BrokerageConfig::sqlite(path).with_clock(ManualClock::at(at(10, 1)));
    Brokerage::open(config, &StaticKeySource::new(KEY))
}

/// The vault's customers and the lookups asked of it.
struct Book {
    customers: Vec<CustomerId>,
    lookups: Vec<(BlindIndexField, String)>,
}

fn lookups_of(c: &SyntheticCustomer, into: &mut Vec<(BlindIndexField, String)>) {
    let customer = &c.customer;
    match customer.party() {
        Party::Person(p) => match p.document() {
            IdentityDocument::ResidentId(n) => {
                into.push((BlindIndexField::IdentityNumber, n.as_str().to_owned()))
            }
            IdentityDocument::Passport { number, .. } => {
                into.push((BlindIndexField::IdentityNumber, number.as_str().to_owned()))
            }
            _ => {}
        },
        Party::Organization(o) => {
            into.push((BlindIndexField::IdentityNumber, o.credit_code.as_str().to_owned()))
        }
    }
    if let Some(m) = &customer.contact().mobile {
        into.push((BlindIndexField::Phone, m.as_str().to_owned()));
    }
    if let Some(e) = &customer.contact().email {
        into.push((BlindIndexField::Email, e.as_str().to_owned()));
    }
}

/// Builds the small vault at `path` and returns its customers, lookups and the held checkpoint.
fn build(path: &Path) -> (Book, SignedCheckpoint) {
    let today = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let config = BookConfig {
        seed: 18,
        customers: 120,
        share_ended: 0.6,
        share_foreign: 0.0,
        ..BookConfig::default()
    };
    let book: Vec<SyntheticCustomer> =
        SyntheticBook::generate(&config, NaiveDate::from_ymd_opt(2026, 5, 31).unwrap())
            .unwrap()
            .customers()
            .iter()
            .filter(|c| c.customer.residence() == Jurisdiction::MAINLAND_CHINA)
            .cloned()
            .collect();
    // Retention decided independently: one customer who may lose some categories (the AML floor keeps
    // their KYC data), one who may lose everything (crypto-shredding), and three kept whole.
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
    let profile = Profile::cn_insurance_broker().unwrap();
    let decide = |c: &SyntheticCustomer| {
        let facts = retention_facts(&c.customer, &[], &policy, today).unwrap();
        profile.decide(&facts, &Holds::new(), today).unwrap()
    };
    let partly = book
        .iter()
        .find(|c| {
            let d = decide(c);
            d.iter().any(|d| {
                d.holding() == Holding::Category(DataCategory::KycAml)
                    && matches!(d.outcome(), RetentionOutcome::StorageOnly { .. })
            }) && d.iter().any(|d| d.outcome().is_destroy())
        })
        .expect("a customer retention erases in part");
    let wholly = book
        .iter()
        .find(|c| decide(c).iter().all(|d| d.outcome().is_destroy()))
        .expect("a customer retention erases whole");
    let kept: Vec<&SyntheticCustomer> = book
        .iter()
        .filter(|c| c.customer.id() != partly.customer.id() && c.customer.id() != wholly.customer.id())
        .take(3)
        .collect();
    let chosen: Vec<&SyntheticCustomer> = [partly, wholly].into_iter().chain(kept).collect();

    let clock = ManualClock::at(at(9, 28));
    let b = Brokerage::open(
        BrokerageConfig::sqlite(path).with_clock(clock.clone()),
        &StaticKeySource::new(KEY),
    )
    .unwrap();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@broker.example", at(5, 31)).unwrap();
    b.publish_notice(&notice).unwrap();
    b.onboard_batch(
        chosen
            .iter()
            .map(|c| Onboarding::new(c.customer.clone(), notice.reference())),
        &mut |_| {},
    )
    .unwrap();
    let mut lookups = Vec::new();
    for c in &chosen {
        lookups_of(c, &mut lookups);
    }
    // A second version: a kept customer's e-mail corrected (PIPL Art 46).
    let updated = chosen[2].customer.id();
    let record = b.read_customer_trusted(updated).unwrap();
    let mut fields = record.to_fields();
    fields.contact.email = Some(EmailAddress::new("corrected@example.com").unwrap());
    b.update(Update {
        customer: updated,
        from_version: 1,
        fields,
        by: actor("desk-2"),
    })
    .unwrap();
    lookups.push((BlindIndexField::Email, "corrected@example.com".to_owned()));
    // Two deletions (PIPL Art 47): one erases categories, one crypto-shreds.
    clock.set(at(9, 29));
    let approvers = custodia_synthetic::staff::Staff::approvers(&["dpo-1", "cco-1"], clock.now()).unwrap();
    for a in &approvers {
        b.put_principal(&a.principal).unwrap();
    }
    let mut methods = Vec::new();
    for customer in [partly.customer.id(), wholly.customer.id()] {
        let kind = RequestKind::Deletion {
            categories: BTreeSet::new(),
        };
        let id = b
            .receive_request(Intake::new(
                customer,
                kind,
                Channel::Web,
                clock.now(),
                actor("desk-1"),
            ))
            .unwrap()
            .id();
        b.record_identity(
            id,
            IdentityVerification::verified(
                VerifiedParty::Requester,
                IdentityMethod::DocumentInspected,
                Digest::of(b"the officer's record of the check"),
                actor("desk-1"),
                clock.now(),
            ),
        )
        .unwrap();
        let request = b
            .deletion_approval_request(id, &actor("ops-1"))
            .unwrap()
            .expect("something is erased");
        let approvals = approvers
            .iter()
            .map(|a| a.sign(std::slice::from_ref(&request)).unwrap().remove(0))
            .collect();
        let done = b
            .answer_deletion(
                id,
                ErasureRun {
                    operator: actor("ops-1"),
                    approvals,
                    language: Language::Zh,
                },
            )
            .unwrap();
        methods.push(done.method);
    }
    assert_eq!(
        methods,
        [
            Some(ErasureMethod::DeleteCategory),
            Some(ErasureMethod::CryptoShred)
        ]
    );
    let held = b.checkpoint().unwrap();
    let report = b.verify_vault(Some(&held)).unwrap();
    assert!(
        report.sections > 5 && report.keys > 0 && report.blind_indexes > 0,
        "{report:?}"
    );
    assert!(report.tombstones > 0 && report.destroyed == 1, "{report:?}");
    drop(b);
    let customers = chosen.iter().map(|c| c.customer.id()).collect();
    (Book { customers, lookups }, held)
}

/// Every answer the API gives about the vault, each rendered or its error.
type Answers = BTreeMap<String, Result<String, String>>;

/// What one flip did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// `Brokerage::open` refused the file.
    Open,
    /// Only answers that became typed errors changed.
    Read,
    /// `verify_vault` (with the ledger) reported it.
    Verification,
    /// Every answer as it was, verification passed.
    Harmless,
    /// An answer changed and verification passed.
    Undetected,
}

fn answers(
    path: &Path,
    book: &Book,
    held: &SignedCheckpoint,
) -> Result<(Answers, Result<(), String>), String> {
    // Error messages may name the file: each worker flips its own copy.
    let where_ = path.display().to_string();
    let scrub = |message: &str| message.replace(&where_, "<file>");
    let b = open(path).map_err(|e| scrub(&e.to_string()))?;
    let mut out = Answers::new();
    for &customer in &book.customers {
        let read = b.read_trusted(customer, &DataCategory::ALL).map(|r| {
            let mut s = format!("v{}", r.version);
            for (category, plain) in &r.sections {
                write!(s, " {category}:{}", hex::encode(plain.as_slice())).unwrap();
            }
            s
        });
        out.insert(
            format!("read {customer}"),
            read.map_err(|e| scrub(&e.to_string())),
        );
        let record = b
            .read_customer_trusted(customer)
            .map(|c| serde_json::to_string(&c).unwrap());
        out.insert(
            format!("record {customer}"),
            record.map_err(|e| scrub(&e.to_string())),
        );
    }
    for (n, (field, value)) in book.lookups.iter().enumerate() {
        let found = b.find_customers(*field, value).map(|mut ids| {
            ids.sort();
            format!("{ids:?}")
        });
        out.insert(
            format!("find {n} {field:?}"),
            found.map_err(|e| scrub(&e.to_string())),
        );
    }
    let verified = b
        .verify_vault(Some(held))
        .map(|_| ())
        .map_err(|e| scrub(&e.to_string()));
    drop(b);
    // The tombstones, through the store the brokerage runs on.
    match SqliteStore::open(path, &SqliteConfig::default()) {
        Ok(store) => {
            for &customer in &book.customers {
                out.insert(
                    format!("destroyed {customer}"),
                    store
                        .destroyed_at(customer)
                        .map(|t| format!("{t:?}"))
                        .map_err(|e| scrub(&e.to_string())),
                );
                for category in DataCategory::ALL {
                    out.insert(
                        format!("tombstone {customer} {category}"),
                        store
                            .tombstone_row(customer, category)
                            .map(|t| format!("{:?}", t.map(|t| (t.erased_at(), t.last_version()))))
                            .map_err(|e| scrub(&e.to_string())),
                    );
                }
            }
        }
        Err(e) => {
            out.insert("store".into(), Err(scrub(&e.to_string())));
        }
    }
    Ok((out, verified))
}

/// Puts `bytes` at `path` alone (no WAL or lock left from a previous flip).
fn place(path: &Path, bytes: &[u8]) {
    for suffix in ["-wal", "-shm", ".lock"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::write(path, bytes).unwrap();
}

/// The table or index each page belongs to (SQLite's `dbstat`); pages it does not list are free.
fn page_owners(path: &Path) -> (usize, BTreeMap<u64, String>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    let mut st = conn.prepare("SELECT pageno, name FROM dbstat").unwrap();
    let owners = st
        .query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (size as usize, owners)
}

fn flips_asked() -> u64 {
    match std::env::var("CUSTODIA_BITFLIPS") {
        Ok(v) => v
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("CUSTODIA_BITFLIPS={v} is not a count"))
            .max(MIN_FLIPS),
        Err(_) => MIN_FLIPS,
    }
}

#[test]
fn every_answer_changing_bit_flip_of_the_vault_file_is_refused_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    let built = dir.path().join("built.db");
    let (book, held) = build(&built);
    let mut wal = built.as_os_str().to_owned();
    wal.push("-wal");
    assert!(
        std::fs::metadata(PathBuf::from(&wal)).map_or(true, |m| m.len() == 0),
        "the closed store left a WAL"
    );
    let baseline_bytes = std::fs::read(&built).unwrap();
    let (page_size, owners) = page_owners(&built);
    let path = dir.path().join("baseline.db");
    place(&path, &baseline_bytes);
    let (baseline, verified) = answers(&path, &book, &held).unwrap();
    verified.expect("the baseline verifies");
    assert!(baseline.values().all(|a| a.is_ok()) || baseline.values().any(|a| a.is_ok()));
    // The baseline is what the vault says: reads of the kept customers, a refusal for the shredded one,
    // lookups that find someone and a tombstone of each kind.
    assert!(
        baseline
            .iter()
            .any(|(k, v)| k.starts_with("find") && v.as_ref().is_ok_and(|s| s != "[]"))
    );
    assert!(baseline.iter().any(|(k, v)| k.starts_with("read") && v.is_err()));
    assert!(
        baseline
            .iter()
            .any(|(k, v)| k.starts_with("destroyed") && v.as_ref().is_ok_and(|s| s != "None"))
    );
    assert!(
        baseline
            .iter()
            .any(|(k, v)| k.starts_with("tombstone") && v.as_ref().is_ok_and(|s| s != "None"))
    );
    // Opening it again gives the same answers (nothing in the answers depends on the run).
    place(&path, &baseline_bytes);
    assert_eq!(answers(&path, &book, &held).unwrap().0, baseline);

    let bits = baseline_bytes.len() as u64 * 8;
    let flips = flips_asked().min(bits);
    // One flip: its outcome, the table its page belongs to, and what went wrong if it failed.
    let flip = |k: u64, path: &Path| -> (Outcome, String, Option<String>) {
        // Evenly spread over every bit of the file, the bit within a byte varying from flip to flip.
        let j = (u128::from(k) * u128::from(bits) / u128::from(flips)) as u64;
        let offset = (j / 8) as usize;
        let bit = if flips == bits { j % 8 } else { (j + k) % 8 };
        let page = offset as u64 / page_size as u64 + 1;
        let table = owners.get(&page).cloned().unwrap_or_else(|| "(free)".into());
        let mut bytes = baseline_bytes.clone();
        bytes[offset] ^= 1 << bit;
        place(path, &bytes);
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| answers(path, &book, &held)));
        let (outcome, failure) = match run {
            Err(_) => (
                Outcome::Undetected,
                Some(format!(
                    "offset {offset} bit {bit} (page {page}, {table}): panicked"
                )),
            ),
            Ok(Err(_)) => (Outcome::Open, None),
            Ok(Ok((got, verified))) => {
                let changed: Vec<(&String, &Result<String, String>)> = got
                    .iter()
                    .filter(|(key, value)| baseline.get(*key) != Some(*value))
                    .collect();
                let silent = changed.iter().any(|(_, v)| v.is_ok());
                if silent && verified.is_ok() {
                    let mut what = String::new();
                    for (key, value) in &changed {
                        let short = |v: Option<&Result<String, String>>| {
                            let s = format!("{v:?}");
                            s.chars().take(160).collect::<String>()
                        };
                        write!(
                            what,
                            "\n    {key}: {} -> {}",
                            short(baseline.get(*key)),
                            short(Some(value))
                        )
                        .unwrap();
                    }
                    (
                        Outcome::Undetected,
                        Some(format!(
                            "offset {offset} bit {bit} (page {page}, {table}): changed{what}"
                        )),
                    )
                } else if silent || (changed.is_empty() && verified.is_err()) {
                    (Outcome::Verification, None)
                } else if !changed.is_empty() {
                    (Outcome::Read, None)
                } else {
                    (Outcome::Harmless, None)
                }
            }
        };
        (outcome, table, failure)
    };
    // Workers, each with its own copy of the file (CUSTODIA_BITFLIP_THREADS; one by default).
    let threads: u64 = std::env::var("CUSTODIA_BITFLIP_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let results: Vec<Vec<(Outcome, String, Option<String>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let path = dir.path().join(format!("flip-{w}.db"));
                let flip = &flip;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut k = w;
                    while k < flips {
                        done.push(flip(k, &path));
                        if done.len() % 5_000 == 0 {
                            let undetected = done.iter().filter(|d| d.0 == Outcome::Undetected).count();
                            eprintln!("worker {w}: {} flips, {undetected} undetected", done.len());
                        }
                        k += threads;
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counts: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut by_table: BTreeMap<String, BTreeMap<Outcome, u64>> = BTreeMap::new();
    let mut failures = Vec::new();
    for (outcome, table, failure) in results.into_iter().flatten() {
        *counts.entry(outcome).or_default() += 1;
        *by_table.entry(table).or_default().entry(outcome).or_default() += 1;
        failures.extend(failure);
    }
    eprintln!(
        "{flips} flips of {} bits ({} bytes, {} pages of {page_size}): {counts:?}",
        bits,
        baseline_bytes.len(),
        baseline_bytes.len() / page_size
    );
    for (table, counts) in &by_table {
        eprintln!("  {table}: {counts:?}");
    }
    assert_eq!(counts.values().sum::<u64>(), flips);
    assert!(
        counts.get(&Outcome::Open).copied().unwrap_or(0)
            + counts.get(&Outcome::Verification).copied().unwrap_or(0)
            > 0,
        "no flip was found at all: {counts:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {flips} flips changed an answer and passed verification:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
