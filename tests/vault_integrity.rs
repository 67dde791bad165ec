//! The vault anchored in the ledger (issue 16): after a whole licence transfer — onboarding, a package imported by the buyer, a disposition that crypto-shreds and erases — every section, wrapped key, blind-index row and tombstone reconciles with the ledger on both sides, and each row-level tampering with plain SQL (the newest version deleted, a section deleted, a customer's index entry deleted or edited, a facts record deleted, a tombstone deleted or edited, a blind-index row edited, two customers' rows swapped, a wrapped key removed) and a store restored from an older copy of its file are found, naming the customer.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{STEPS, Scenario, day};
use custodia::brokerage::BrokerageError;

const CUSTOMERS: u64 = 24;
const SEED: u64 = 11;

fn finished(dir: &Path) -> Scenario {
    let s = Scenario::create(&dir.join("base"), CUSTOMERS, SEED);
    for step in STEPS {
        s.run_step(step).unwrap();
    }
    s
}

/// Runs `sql` on the seller's store file with plain SQLite, as someone with file access would.
fn tamper(s: &Scenario, sql: &str) -> usize {
    let conn = rusqlite::Connection::open(s.dir.join("seller.db")).unwrap();
    conn.execute(sql, []).unwrap()
}

fn mismatch(s: &Scenario) -> (String, Option<String>, String) {
    match s.seller(day(46)).unwrap().verify_vault(None) {
        Err(BrokerageError::VaultMismatch {
            customer,
            category,
            what,
        }) => (
            customer.to_string(),
            category.map(|c| c.to_string()),
            what.to_owned(),
        ),
        other => panic!("tampering not found: {other:?}"),
    }
}

fn hex_of(s: &Scenario, sql: &str) -> String {
    let conn = rusqlite::Connection::open(s.dir.join("seller.db")).unwrap();
    conn.query_row(sql, [], |row| row.get::<_, String>(0)).unwrap()
}

#[test]
fn a_finished_transfer_reconciles_and_every_row_tampering_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = finished(dir.path());
    let seller = s.seller(day(46)).unwrap();
    let report = seller.verify_vault(None).unwrap();
    assert!(
        report.anchors > 0 && report.sections > 0 && report.keys > 0,
        "{report:?}"
    );
    assert!(report.blind_indexes > 0, "{report:?}");
    assert!(
        report.destroyed > 0,
        "the disposition crypto-shredded customers: {report:?}"
    );
    // The held checkpoint: the newest the seller signed.
    let held = seller.checkpoint().unwrap();
    seller.verify_vault(Some(&held)).unwrap();
    drop(seller);
    let buyer = s.buyer(day(46)).unwrap();
    let imported = buyer.verify_vault(None).unwrap();
    assert!(
        imported.sections > 0 && imported.keys > 0,
        "the import is anchored: {imported:?}"
    );
    // The import appends its anchors batch by batch (the scenario's batch is smaller than the book), each
    // batch of whole customers: one anchor per adopted customer, as if appended at the unit's end.
    assert_eq!(imported.anchors, imported.customers, "{imported:?}");
    drop(buyer);

    let case = |name: &str| s.copy_to(&dir.path().join(name));

    // The newest version of a section deleted: an older one would be served as current (PIPL 46).
    let t = case("newest");
    let n = tamper(
        &t,
        "DELETE FROM sections WHERE (customer, category, version) = \
         (SELECT customer, category, version FROM sections ORDER BY version DESC LIMIT 1)",
    );
    assert_eq!(n, 1);
    let (_, category, what) = mismatch(&t);
    assert!(category.is_some(), "{what}");

    // A whole section deleted.
    let t = case("section");
    let customer = hex_of(&t, "SELECT hex(customer) FROM sections LIMIT 1");
    tamper(
        &t,
        &format!("DELETE FROM sections WHERE hex(customer) = '{customer}'"),
    );
    let (named, category, _) = mismatch(&t);
    assert_eq!(named.replace('-', "").to_uppercase(), customer);
    assert!(category.is_some());

    // A section's ciphertext replaced by another customer's (two customers' rows swapped).
    let t = case("swap");
    tamper(
        &t,
        "UPDATE sections SET sealed = (SELECT sealed FROM sections s2 WHERE s2.customer <> sections.customer \
         AND s2.category = sections.category LIMIT 1) WHERE (customer, category, version) = \
         (SELECT customer, category, version FROM sections s3 WHERE EXISTS (SELECT 1 FROM sections s4 \
         WHERE s4.customer <> s3.customer AND s4.category = s3.category) LIMIT 1)",
    );
    mismatch(&t);

    // A key tombstone deleted (destruction evidence, PIPL 47), and one edited.
    let t = case("key-tombstone");
    assert_eq!(
        tamper(
            &t,
            "DELETE FROM key_tombstones WHERE customer = (SELECT MIN(customer) FROM key_tombstones)"
        ),
        1
    );
    let (_, category, what) = mismatch(&t);
    assert_eq!(category, None, "{what}");
    let t = case("key-tombstone-time");
    tamper(
        &t,
        "UPDATE key_tombstones SET destroyed_seconds = destroyed_seconds - 86400",
    );
    mismatch(&t);

    // A blind-index row edited: a lookup would find the wrong customer or nobody.
    let t = case("blind");
    tamper(
        &t,
        "UPDATE blind_index SET customer = (SELECT MIN(customer) FROM wrapped_keys) \
         WHERE (field, value, customer) = (SELECT field, value, customer FROM blind_index \
         WHERE customer <> (SELECT MIN(customer) FROM wrapped_keys) LIMIT 1)",
    );
    mismatch(&t);

    // A wrapped key deleted.
    let t = case("key");
    tamper(
        &t,
        "DELETE FROM wrapped_keys WHERE customer = (SELECT MIN(customer) FROM wrapped_keys)",
    );
    mismatch(&t);

    // A customer's index entry (it names the current version the reads start from) deleted, and one
    // replaced by another customer's: the reads would say the customer is unknown or serve another version.
    let t = case("index-entry");
    let customer = hex_of(
        &t,
        "SELECT hex(key) FROM records WHERE namespace = 'customer/index' ORDER BY key LIMIT 1",
    );
    assert_eq!(
        tamper(
            &t,
            &format!("DELETE FROM records WHERE namespace = 'customer/index' AND hex(key) = '{customer}'"),
        ),
        1
    );
    let (named, category, _) = mismatch(&t);
    assert_eq!(named.replace('-', "").to_uppercase(), customer);
    assert_eq!(category, None);
    let t = case("index-entry-value");
    assert_eq!(
        tamper(
            &t,
            "UPDATE records SET value = CAST('{\"version\":9,\"origin\":\"onboarded\"}' AS BLOB) \
             WHERE namespace = 'customer/index' AND key = (SELECT MIN(key) FROM records \
             WHERE namespace = 'customer/index')",
        ),
        1
    );
    mismatch(&t);
    // A sealed facts record deleted.
    let t = case("facts");
    assert_eq!(
        tamper(
            &t,
            "DELETE FROM records WHERE namespace = 'customer/facts' AND key = \
             (SELECT MAX(key) FROM records WHERE namespace = 'customer/facts')",
        ),
        1
    );
    mismatch(&t);

    // A section tombstone deleted (the disposition erased categories of customers it kept).
    let tombstones: i64 = rusqlite::Connection::open(s.dir.join("seller.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM section_tombstones", [], |r| r.get(0))
        .unwrap();
    assert!(
        tombstones > 0,
        "the disposition left no section tombstone to tamper with"
    );
    {
        let t = case("section-tombstone");
        tamper(
            &t,
            "DELETE FROM section_tombstones WHERE (customer, category) = \
             (SELECT customer, category FROM section_tombstones LIMIT 1)",
        );
        let (_, category, _) = mismatch(&t);
        assert!(category.is_some());
    }
}

/// A category the disposition erased from a kept customer's vault is gone from what the brokerage reads
/// about them too — the planner's and retention's facts come from the vault's sections, so no copy of an
/// erased section survives in a facts record (PIPL Art 47).
#[test]
fn an_erased_category_is_gone_from_the_record_the_brokerage_reads() {
    let dir = tempfile::tempdir().unwrap();
    let s = finished(dir.path());
    let erased: Vec<(String, String)> = {
        let conn = rusqlite::Connection::open(s.dir.join("seller.db")).unwrap();
        let mut st = conn
            .prepare(
                "SELECT lower(hex(customer)), category FROM section_tombstones t WHERE NOT EXISTS \
                 (SELECT 1 FROM key_tombstones k WHERE k.customer = t.customer)",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(
        !erased.is_empty(),
        "the disposition erased no category of a kept customer"
    );
    let seller = s.seller(day(46)).unwrap();
    for (hex, code) in &erased {
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        let customer: custodia::model::CustomerId = uuid.parse().unwrap();
        let category: custodia::model::DataCategory =
            serde_json::from_value(serde_json::Value::String(code.clone())).unwrap();
        let record = seller.read_customer_trusted(customer).unwrap();
        assert!(
            !record.categories_held().contains(&category),
            "customer {customer}: erased {category} is still in the record the brokerage reads"
        );
        let read = seller.read_trusted(customer, &[category]).unwrap();
        assert!(
            read.sections.is_empty(),
            "customer {customer}: erased {category} was read"
        );
    }
}

#[test]
fn a_store_restored_from_an_older_copy_is_found_against_a_held_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::create(&dir.path().join("base"), CUSTOMERS, SEED);
    // The older copy: the store before the transfer.
    let older = s.copy_to(&dir.path().join("older"));
    for step in STEPS {
        s.run_step(step).unwrap();
    }
    let held = s.seller(day(46)).unwrap().checkpoint().unwrap();
    // The older copy is consistent with itself ...
    let restored = older.seller(day(46)).unwrap();
    restored.verify_vault(None).unwrap();
    // ... and not with the checkpoint the auditor holds.
    match restored.verify_vault(Some(&held)) {
        Err(BrokerageError::LedgerBehindCheckpoint { size, .. }) => {
            assert_eq!(size, held.checkpoint().size())
        }
        other => panic!("a rolled-back store passed: {other:?}"),
    }
}

/// The brokerage's settings (its KEK state and blind-index size) are written when the store is made, before
/// its first ledger entry. Deleted from a store in use, they are not silently re-created with defaults —
/// which would seal under the wrong KEK version or look customers up under another index size — but the
/// store is refused at open, naming the record.
#[test]
fn a_store_whose_settings_were_deleted_is_refused_not_given_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let base = Scenario::create(&dir.path().join("base"), 4, SEED);
    // Each record's key, and as the error names it (hex).
    for (key, hex) in [("kek", "6b656b"), ("blind-index", "626c696e642d696e646578")] {
        let s = base.copy_to(&dir.path().join(key));
        let deleted = tamper(
            &s,
            &format!(
                "DELETE FROM records WHERE namespace = 'brokerage/settings' AND key = CAST('{key}' AS BLOB)"
            ),
        );
        assert_eq!(deleted, 1, "{key}");
        match s.seller(day(0)) {
            Err(BrokerageError::RecordCorrupt {
                namespace,
                key: named,
                ..
            }) => {
                assert_eq!(namespace, "brokerage/settings");
                assert_eq!(named, hex);
            }
            Err(other) => panic!("{key}: {other:?}"),
            Ok(_) => panic!("{key}: opened with defaults"),
        }
    }
    // The untouched copy still opens.
    base.seller(day(0)).unwrap();
}
