//! One suite for the records table and the unit of work, run against every backend (`tests/records.rs`).

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use custodia_crypto::{KeyStore, Keyring, KeyringConfig, SectionRows, SectionVault, seal_section};
use custodia_ledger::{LedgerError, Log, LogStore};
use custodia_model::{CustomerId, DataCategory};
use custodia_store::{Inserted, KeyRange, Namespace, Records, StoreError, Swapped, UnitOfWork};

const A: Namespace = Namespace::new("suite/a");
const B: Namespace = Namespace::new("suite/b");

/// Every check, each on a fresh store from `make`.
pub fn run<S>(make: &dyn Fn() -> S)
where
    S: Records + UnitOfWork + LogStore + KeyStore + SectionRows + Send + Sync + 'static,
{
    point_operations(&make());
    scans_are_in_byte_order_and_page(&make());
    big_endian_composites_order_like_numbers(&make());
    malformed_names_and_keys_are_refused(&make());
    a_unit_commits_everything_or_nothing(&make());
    a_failed_call_inside_a_unit_takes_back_only_itself(&make());
    a_nested_unit_is_a_savepoint(&make());
    other_threads_wait_for_an_open_unit(Arc::new(make()));
}

fn point_operations(s: &impl Records) {
    assert_eq!(s.record(A, b"k").unwrap(), None);
    s.put_record(A, b"k", b"1").unwrap();
    assert_eq!(s.record(A, b"k").unwrap(), Some(b"1".to_vec()));
    s.put_record(A, b"k", b"2").unwrap();
    assert_eq!(s.record(A, b"k").unwrap(), Some(b"2".to_vec()));
    // Namespaces are apart.
    assert_eq!(s.record(B, b"k").unwrap(), None);

    assert_eq!(s.insert_record(A, b"i", b"first").unwrap(), Inserted::Inserted);
    assert_eq!(
        s.insert_record(A, b"i", b"second").unwrap(),
        Inserted::AlreadyPresent(b"first".to_vec())
    );
    assert_eq!(s.record(A, b"i").unwrap(), Some(b"first".to_vec()));

    assert_eq!(s.swap_record(A, b"c", None, b"v1").unwrap(), Swapped::Swapped);
    assert_eq!(
        s.swap_record(A, b"c", None, b"v2").unwrap(),
        Swapped::Moved(Some(b"v1".to_vec()))
    );
    assert_eq!(
        s.swap_record(A, b"c", Some(b"v0"), b"v2").unwrap(),
        Swapped::Moved(Some(b"v1".to_vec()))
    );
    assert_eq!(
        s.swap_record(A, b"c", Some(b"v1"), b"v2").unwrap(),
        Swapped::Swapped
    );
    assert_eq!(s.record(A, b"c").unwrap(), Some(b"v2".to_vec()));
    assert_eq!(
        s.swap_record(A, b"gone", Some(b"x"), b"y").unwrap(),
        Swapped::Moved(None)
    );

    assert!(s.delete_record(A, b"c").unwrap());
    assert!(!s.delete_record(A, b"c").unwrap());
    assert_eq!(s.record(A, b"c").unwrap(), None);
    // An empty value is a value.
    s.put_record(B, b"empty", b"").unwrap();
    assert_eq!(s.record(B, b"empty").unwrap(), Some(Vec::new()));
}

fn keys(s: &impl Records, range: &KeyRange, limit: usize) -> Vec<Vec<u8>> {
    s.scan_records(A, range, limit)
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect()
}

fn scans_are_in_byte_order_and_page(s: &impl Records) {
    let stored: Vec<Vec<u8>> = vec![
        vec![0x00],
        vec![0x00, 0x00],
        vec![0x01],
        vec![0x01, 0xff],
        vec![0x01, 0xff, 0x00],
        vec![0x02],
        vec![0x7f],
        vec![0x80],
        vec![0xff],
        vec![0xff, 0xff],
    ];
    for k in stored.iter().rev() {
        s.put_record(A, k, &[k.len() as u8]).unwrap();
    }
    s.put_record(B, &[0x01], b"other namespace").unwrap();
    assert_eq!(keys(s, &KeyRange::all(), 100), stored);
    let records = s.scan_records(A, &KeyRange::all(), 100).unwrap();
    assert!(records.iter().all(|r| r.value == vec![r.key.len() as u8]));
    // Pages of three, each after the last key of the one before.
    let mut paged = Vec::new();
    let mut range = KeyRange::all();
    loop {
        let page = keys(s, &range, 3);
        let Some(last) = page.last().cloned() else { break };
        paged.extend(page);
        range = KeyRange::all().after(&last);
    }
    assert_eq!(paged, stored);
    assert_eq!(
        keys(s, &KeyRange::prefix(&[0x01]), 100),
        vec![vec![0x01], vec![0x01, 0xff], vec![0x01, 0xff, 0x00]]
    );
    assert_eq!(
        keys(s, &KeyRange::prefix(&[0x01]).after(&[0x01]), 100),
        vec![vec![0x01, 0xff], vec![0x01, 0xff, 0x00]]
    );
    assert_eq!(
        keys(s, &KeyRange::prefix(&[0xff]), 100),
        vec![vec![0xff], vec![0xff, 0xff]]
    );
    assert_eq!(
        keys(s, &KeyRange::between(&[0x01, 0xff], &[0x7f]), 100),
        vec![vec![0x01, 0xff], vec![0x01, 0xff, 0x00], vec![0x02]]
    );
    assert!(keys(s, &KeyRange::all(), 0).is_empty());
}

fn big_endian_composites_order_like_numbers(s: &impl Records) {
    let customer = [7u8; 16];
    let mut numbers: Vec<u64> = vec![0, 1, 255, 256, 65_535, 1 << 32, u64::MAX, 42, 7_000_000_000];
    for n in &numbers {
        let mut key = customer.to_vec();
        key.extend_from_slice(&n.to_be_bytes());
        s.put_record(B, &key, &n.to_be_bytes()).unwrap();
    }
    numbers.sort_unstable();
    let got: Vec<u64> = s
        .scan_records(B, &KeyRange::prefix(&customer), 100)
        .unwrap()
        .iter()
        .map(|r| u64::from_be_bytes(r.value.as_slice().try_into().unwrap()))
        .collect();
    assert_eq!(got, numbers);
}

fn malformed_names_and_keys_are_refused(s: &impl Records) {
    let bad = Namespace::new("Not Valid");
    assert!(matches!(
        s.put_record(bad, b"k", b"v"),
        Err(StoreError::InvalidConfig {
            field: "record namespace",
            ..
        })
    ));
    assert!(matches!(
        s.record(A, b""),
        Err(StoreError::InvalidConfig {
            field: "record key",
            ..
        })
    ));
    assert!(s.scan_records(bad, &KeyRange::all(), 1).is_err());
}

fn customer_writes<S: KeyStore + SectionRows>(s: &S) -> CustomerId {
    let keyring = Keyring::derive_from_master(&[3u8; 32], 1, KeyringConfig::default()).unwrap();
    let customer = CustomerId::new_v7();
    let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
    s.put_wrapped_key(&wrapped).unwrap();
    let sealed = seal_section(&dek, customer, DataCategory::Contact, 1, b"{}").unwrap();
    s.put_section(customer, DataCategory::Contact, 1, &sealed)
        .unwrap();
    customer
}

fn a_unit_commits_everything_or_nothing<S>(s: &S)
where
    S: Records + UnitOfWork + LogStore + KeyStore + SectionRows,
{
    let mut log = Log::new(s).unwrap();
    let mut written = None;
    let failed: Result<(), StoreError> = s.unit_of_work(|| {
        log.append(&[b"entry".as_slice()]).unwrap();
        s.put_record(A, b"unit", b"1").unwrap();
        written = Some(customer_writes(s));
        Err(StoreError::InvalidConfig {
            field: "test",
            reason: "the body fails after writing",
        })
    });
    assert!(failed.is_err());
    let customer = written.unwrap();
    log.reload().unwrap();
    assert_eq!(log.size(), 0);
    assert_eq!(s.record(A, b"unit").unwrap(), None);
    assert!(s.wrapped_keys(customer).unwrap().is_empty());
    assert!(!s.holds_customer(customer).unwrap());

    let customer = s
        .unit_of_work(|| -> Result<CustomerId, StoreError> {
            log.append(&[b"entry".as_slice()]).unwrap();
            s.put_record(A, b"unit", b"1")?;
            Ok(customer_writes(s))
        })
        .unwrap();
    log.reload().unwrap();
    assert_eq!(log.size(), 1);
    assert_eq!(s.record(A, b"unit").unwrap(), Some(b"1".to_vec()));
    assert_eq!(s.wrapped_keys(customer).unwrap().len(), 1);
    // A destruction inside a unit is undone with it, tombstone and all.
    let at = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap();
    let undone: Result<(), StoreError> = s.unit_of_work(|| {
        s.destroy_customer(customer, at).unwrap();
        s.delete_rows(customer, &[DataCategory::Contact], at).unwrap();
        Err(StoreError::InvalidConfig {
            field: "test",
            reason: "roll back",
        })
    });
    assert!(undone.is_err());
    assert_eq!(s.destroyed_at(customer).unwrap(), None);
    assert!(s.holds_customer(customer).unwrap());
    s.unit_of_work(|| -> Result<(), StoreError> {
        s.destroy_customer(customer, at).unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(s.destroyed_at(customer).unwrap(), Some(at));
}

fn a_failed_call_inside_a_unit_takes_back_only_itself<S>(s: &S)
where
    S: Records + UnitOfWork + LogStore,
{
    let mut log = Log::new(s).unwrap();
    let start = log.size();
    s.unit_of_work(|| -> Result<(), StoreError> {
        s.put_record(A, b"kept", b"1")?;
        // A stale append conflicts inside the unit; its savepoint rolls back and the unit goes on.
        let stale = s.append(start + 5, &[], &[]);
        assert!(matches!(stale, Err(LedgerError::Conflict { .. })));
        log.append(&[b"after the conflict".as_slice()]).unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(s.record(A, b"kept").unwrap(), Some(b"1".to_vec()));
    log.reload().unwrap();
    assert_eq!(log.size(), start + 1);
}

fn a_nested_unit_is_a_savepoint<S>(s: &S)
where
    S: Records + UnitOfWork,
{
    s.unit_of_work(|| -> Result<(), StoreError> {
        s.put_record(A, b"outer", b"1")?;
        let inner: Result<(), StoreError> = s.unit_of_work(|| {
            s.put_record(A, b"inner", b"1")?;
            Err(StoreError::InvalidConfig {
                field: "test",
                reason: "inner fails",
            })
        });
        assert!(inner.is_err());
        s.unit_of_work(|| s.put_record(A, b"inner-ok", b"1"))?;
        Ok(())
    })
    .unwrap();
    assert_eq!(s.record(A, b"outer").unwrap(), Some(b"1".to_vec()));
    assert_eq!(s.record(A, b"inner").unwrap(), None);
    assert_eq!(s.record(A, b"inner-ok").unwrap(), Some(b"1".to_vec()));
}

fn other_threads_wait_for_an_open_unit<S>(s: Arc<S>)
where
    S: Records + UnitOfWork + Send + Sync + 'static,
{
    let (opened_tx, opened_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let owner = {
        let s = s.clone();
        std::thread::spawn(move || {
            s.unit_of_work(|| -> Result<(), StoreError> {
                s.put_record(A, b"thread", b"unit")?;
                opened_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                Err(StoreError::InvalidConfig {
                    field: "test",
                    reason: "roll back",
                })
            })
        })
    };
    opened_rx.recv().unwrap();
    let reader = {
        let s = s.clone();
        // Never sees the open unit's write: it waits for the unit to end, and the unit rolls back.
        std::thread::spawn(move || s.record(A, b"thread").unwrap())
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!reader.is_finished(), "a reader ran inside another thread's unit");
    release_tx.send(()).unwrap();
    assert!(owner.join().unwrap().is_err());
    assert_eq!(reader.join().unwrap(), None);
}
