//! The conformance suite against SQLite, in memory and in WAL files, plus what only a file can show: reopening, schema versions, corruption.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "sqlite")]

mod common;

use std::cell::Cell;

use custodia_store::{Durability, SqliteConfig, SqliteStore};

#[test]
fn sqlite_in_memory_log_store_passes_the_suite() {
    custodia_conformance::log_store_suite(&|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap(), 64);
}

#[test]
fn sqlite_file_log_store_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let make = || {
        counter.set(counter.get() + 1);
        SqliteStore::open(
            dir.path().join(format!("log-{}.db", counter.get())),
            &SqliteConfig::new(),
        )
        .unwrap()
    };
    custodia_conformance::log_store_suite(&make, 24);
}

#[test]
fn sqlite_file_with_normal_durability_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let config = SqliteConfig::new().with_durability(Durability::Normal);
    let make = || {
        counter.set(counter.get() + 1);
        SqliteStore::open(dir.path().join(format!("log-{}.db", counter.get())), &config).unwrap()
    };
    custodia_conformance::log_store_suite(&make, 8);
}

#[test]
fn sqlite_vault_passes_the_suite() {
    custodia_conformance::section_vault_suite(
        &|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap(),
        64,
    );
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let make = || {
        counter.set(counter.get() + 1);
        SqliteStore::open(
            dir.path().join(format!("vault-{}.db", counter.get())),
            &SqliteConfig::new(),
        )
        .unwrap()
    };
    custodia_conformance::section_vault_suite(&make, 16);
}

#[test]
fn one_sqlite_store_passes_all_three_suites_through_references() {
    // The main job's shape: one store value is the log (`Log<&SqliteStore>`), the keys and the vault.
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let make = || {
        counter.set(counter.get() + 1);
        std::sync::Arc::new(
            SqliteStore::open(
                dir.path().join(format!("all-{}.db", counter.get())),
                &SqliteConfig::new(),
            )
            .unwrap(),
        )
    };
    custodia_conformance::log_store_suite(&make, 4);
    custodia_conformance::key_store_suite(&make, 4);
    custodia_conformance::section_vault_suite(&make, 4);
}

#[test]
fn sqlite_key_store_passes_the_suite() {
    custodia_conformance::key_store_suite(&|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap(), 64);
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let make = || {
        counter.set(counter.get() + 1);
        SqliteStore::open(
            dir.path().join(format!("keys-{}.db", counter.get())),
            &SqliteConfig::new(),
        )
        .unwrap()
    };
    custodia_conformance::key_store_suite(&make, 8);
}

// ---------------------------------------------------------------------------------------------------------
// What only a file can show.

use custodia_crypto::KeyStore;
use custodia_crypto::{CryptoError, SectionVault};
use custodia_ledger::{LedgerError, Log, LogStore};
use custodia_model::{CustomerId, DataCategory};
use custodia_store::{APPLICATION_ID, SCHEMA_VERSION, StoreError};

fn raw(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// The database file and its WAL, as bytes.
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_reopened_file_has_the_same_log_and_runs_in_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    log.append(&[b"one", b"two", b"three"]).unwrap();
    let root = log.root();
    let store = log.into_store();
    assert_eq!(store.durability(), Durability::Full);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    let log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    assert_eq!((log.size(), log.root()), (3, root));
    let conn = raw(&path);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(id, APPLICATION_ID);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    drop(SqliteStore::open(&path, &SqliteConfig::new()).unwrap());
    raw(&path)
        .execute(
            "INSERT INTO custodia_schema (version, name) VALUES (?1, 'from the future')",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    let refused = SqliteStore::open(&path, &SqliteConfig::new()).unwrap_err();
    assert_eq!(
        refused,
        StoreError::SchemaTooNew {
            found: SCHEMA_VERSION + 1,
            supported: SCHEMA_VERSION
        }
    );
    let rows: u32 = raw(&path)
        .query_row("SELECT count(*) FROM custodia_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, SCHEMA_VERSION + 1);
}

#[test]
fn an_unknown_migration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    drop(SqliteStore::open(&path, &SqliteConfig::new()).unwrap());
    raw(&path)
        .execute(
            "UPDATE custodia_schema SET name = 'ledger v2 from a fork' WHERE version = 1",
            [],
        )
        .unwrap();
    let refused = SqliteStore::open(&path, &SqliteConfig::new()).unwrap_err();
    assert_eq!(
        refused,
        StoreError::UnknownSchema {
            version: 1,
            name: "ledger v2 from a fork".to_owned()
        }
    );
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    raw(&path)
        .execute_batch("CREATE TABLE invoices (id INTEGER)")
        .unwrap();
    let refused = SqliteStore::open(&path, &SqliteConfig::new()).unwrap_err();
    assert!(
        matches!(refused, StoreError::ForeignDatabase { .. }),
        "{refused:?}"
    );
    let path = dir.path().join("tagged.db");
    raw(&path).execute_batch("PRAGMA application_id = 1234").unwrap();
    let refused = SqliteStore::open(&path, &SqliteConfig::new()).unwrap_err();
    assert!(
        matches!(refused, StoreError::ForeignDatabase { .. }),
        "{refused:?}"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, vec![b'x'; 8192]).unwrap();
    let refused = SqliteStore::open(&path, &SqliteConfig::new()).unwrap_err();
    assert_eq!(
        refused,
        StoreError::NotADatabase {
            path: path.display().to_string()
        }
    );
}

#[test]
fn a_corrupted_file_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    let payloads: Vec<Vec<u8>> = (0..2000u32)
        .map(|i| format!("entry {i} {}", "x".repeat(100)).into_bytes())
        .collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    log.append(&refs).unwrap();
    let store = log.into_store();
    store.checkpoint_wal().unwrap();
    store.check_integrity().unwrap();
    drop(store);
    // Smash pages in the middle of the file: b-tree pages of the log tables.
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 20 * page, "the file should span many pages");
    for b in &mut bytes[10 * page..14 * page] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let result = SqliteStore::open(&path, &SqliteConfig::new()).and_then(|s| s.check_integrity());
    assert!(matches!(result, Err(StoreError::Corrupt { .. })), "{result:?}");
}

#[test]
fn a_busy_database_reaches_the_ledger_as_busy_through_the_seam() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let config = SqliteConfig::new().with_busy_timeout(std::time::Duration::from_millis(50));
    let mut log = Log::new(SqliteStore::open(&path, &config).unwrap()).unwrap();
    // Another program holds the write lock.
    let other = raw(&path);
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let refused = log.append(&[b"waits too long"]).unwrap_err();
    assert!(matches!(refused, LedgerError::Store { .. }), "{refused:?}");
    assert!(
        matches!(
            common::store_error(&refused),
            StoreError::Busy {
                operation: "begin an append",
                ..
            }
        ),
        "{refused:?}"
    );
    // Nothing was written, and once the lock is gone the append goes through.
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(log.size(), 0);
    assert_eq!(log.append(&[b"now"]).unwrap().size(), 1);
}

#[test]
fn a_tampered_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    log.append(&[b"one", b"two"]).unwrap();
    drop(log);
    let keyring = common::keyring();
    let customer = CustomerId::new_v7();
    let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
    let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
    store.put_wrapped_key(&wrapped).unwrap();
    let sealed = custodia_crypto::seal_section(&dek, customer, DataCategory::Health, 1, b"h").unwrap();
    store
        .put_section(customer, DataCategory::Health, 1, &sealed)
        .unwrap();
    drop(store);

    let conn = raw(&path);
    conn.execute("UPDATE log_entries SET leaf_hash = x'0102' WHERE idx = 1", [])
        .unwrap();
    conn.execute("UPDATE log_entries SET salt = NULL WHERE idx = 0", [])
        .unwrap();
    conn.execute("UPDATE sections SET sealed = x'00'", []).unwrap();
    let other = CustomerId::new_v7();
    conn.execute("UPDATE wrapped_keys SET customer = ?1", [other.as_bytes()])
        .unwrap();
    drop(conn);

    let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
    assert_eq!(
        store.entries(1..2).unwrap_err(),
        LedgerError::CorruptStore {
            what: "leaf hash",
            index: 1
        }
    );
    assert_eq!(
        store.entries(0..1).unwrap_err(),
        LedgerError::CorruptStore {
            what: "salt or payload missing",
            index: 0
        }
    );
    let bad_section = store.section(customer, DataCategory::Health, 1).unwrap_err();
    assert!(
        matches!(bad_section, CryptoError::Vault { .. }),
        "{bad_section:?}"
    );
    assert_eq!(
        common::store_error(&bad_section),
        StoreError::RowCheck {
            table: "sections",
            key: format!("{customer}/health/1"),
            what: "sealed bytes are not a sealed section"
        }
    );
    // A wrapped key moved under another customer's row is named, not opened.
    let moved = store.wrapped_keys(other).unwrap_err();
    assert!(matches!(moved, CryptoError::KeyStore { .. }), "{moved:?}");
    let cause = common::store_error(&moved);
    assert!(
        cause.to_string().contains("wrapped key names another customer"),
        "{cause}"
    );
}

#[test]
fn redaction_and_shredding_leave_no_bytes_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let secret = b"customer 7 said: phone 13800138000";
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    log.append(&[b"keep me", secret.as_slice()]).unwrap();
    assert!(
        contains(&file_bytes(&path), secret),
        "the payload is on disk before redaction"
    );
    log.redact(1, b"erasure request 7").unwrap();
    assert!(
        !contains(&file_bytes(&path), secret),
        "the redacted payload must leave the file and the WAL"
    );
    assert!(contains(&file_bytes(&path), b"keep me"));

    let store = log.into_store();
    let keyring = common::keyring();
    let customer = CustomerId::new_v7();
    let (_, wrapped) = keyring.generate_dek(customer).unwrap();
    store.put_wrapped_key(&wrapped).unwrap();
    let encoded = wrapped.encode();
    assert!(contains(&file_bytes(&path), &encoded));
    store
        .destroy_customer(
            customer,
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        )
        .unwrap();
    assert!(
        !contains(&file_bytes(&path), &encoded),
        "a shredded wrapped key must leave the file and the WAL"
    );
}

#[test]
fn purged_categories_leave_the_file_and_the_wal_at_the_next_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
    let customer = CustomerId::new_v7();
    let (key, _) = common::keyring().generate_dek(customer).unwrap();
    let seal = |category, text: &str| {
        custodia_crypto::seal_section(&key, customer, category, 1, text.as_bytes()).unwrap()
    };
    let kept = seal(DataCategory::Identity, "kept for the archive floor");
    let erased = seal(DataCategory::Health, "erased at disposition");
    store
        .put_section(customer, DataCategory::Identity, 1, &kept)
        .unwrap();
    store
        .put_section(customer, DataCategory::Health, 1, &erased)
        .unwrap();
    assert!(contains(&file_bytes(&path), erased.as_bytes()));
    assert_eq!(
        store
            .purge_categories(
                customer,
                &[DataCategory::Health],
                chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap()
            )
            .unwrap(),
        1
    );
    // The documented contract: a batch of purges, then one flush (a WAL checkpoint), and the bytes are
    // gone everywhere.
    store.flush_erasures().unwrap();
    let bytes = file_bytes(&path);
    assert!(
        !contains(&bytes, erased.as_bytes()),
        "an erased section must leave the file and the WAL"
    );
    assert!(contains(&bytes, kept.as_bytes()), "a kept section stays");
}

#[test]
fn two_stores_on_one_file_never_fork_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let mut a = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    let mut b = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    a.append(&[b"from a"]).unwrap();
    // b still thinks the log is empty: refused, nothing written, and b has caught up.
    assert_eq!(
        b.append(&[b"from b"]).unwrap_err(),
        LedgerError::Conflict {
            expected: 0,
            actual: 1
        }
    );
    assert_eq!(b.size(), 1);
    b.append(&[b"from b"]).unwrap();
    a.reload().unwrap();
    assert_eq!(a.root(), b.root());
    let signer = common::signer();
    a.verify(&common::policy(&signer)).unwrap();
}

#[test]
fn a_deleted_or_reordered_checkpoint_row_is_caught_and_a_stale_checkpoint_refused() {
    use custodia_ledger::StoredCheckpoint;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custodia.db");
    let signer = common::signer();
    let time = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    for n in 0..3u8 {
        log.append(&[&[n]]).unwrap();
        log.checkpoint_with_time(&signer, "broker.example/ledger", time)
            .unwrap();
    }
    let store = log.into_store();
    let stale = StoredCheckpoint::new(1, b"a writer that missed two appends".to_vec());
    assert_eq!(
        store.add_checkpoint(stale),
        Err(LedgerError::Conflict {
            expected: 1,
            actual: 3
        })
    );
    assert_eq!(store.checkpoints().unwrap().len(), 3);
    drop(store);

    raw(&path)
        .execute("DELETE FROM log_checkpoints WHERE seq = 2", [])
        .unwrap();
    let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
    assert_eq!(
        store.checkpoints().unwrap_err(),
        LedgerError::CorruptStore {
            what: "checkpoint sequence (a row is missing)",
            index: 1
        }
    );
    drop(store);
    let conn = raw(&path);
    conn.execute("UPDATE log_checkpoints SET seq = 2 WHERE seq = 3", [])
        .unwrap();
    conn.execute("UPDATE log_checkpoints SET size = 5 WHERE seq = 1", [])
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
    assert_eq!(
        store.checkpoints().unwrap_err(),
        LedgerError::CorruptStore {
            what: "checkpoint order (sizes go backwards)",
            index: 1
        }
    );
}

#[test]
fn both_stores_can_be_shared_between_threads() {
    // The KeyStore contract: safe to share behind `&self`. A compile-time check.
    fn shareable<T: Send + Sync>() {}
    shareable::<SqliteStore>();
    #[cfg(feature = "postgres")]
    shareable::<custodia_store::PostgresStore>();
    let store = std::sync::Arc::new(SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap());
    let keyring = common::keyring();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let store = std::sync::Arc::clone(&store);
            let (_, wrapped) = keyring.generate_dek(CustomerId::new_v7()).unwrap();
            std::thread::spawn(move || {
                store.put_wrapped_key(&wrapped).unwrap();
                store.wrapped_keys(wrapped.customer()).unwrap().len()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), 1);
    }
}

/// Issue 22 ("ledger bytes per entry: at most 400 bytes for 200-byte payloads"): the file a ledger of
/// 200-byte entries leaves, after its WAL is checkpointed, divided by its entries. Measured at 343 bytes:
/// 293 in `log_entries` (payload, salt, leaf hash, row header, page slack) and 47 in `log_nodes` (one
/// interior node per entry on average); the other tables' first pages make the rest.
#[test]
fn a_ledger_of_200_byte_entries_takes_at_most_400_bytes_per_entry_on_disk() {
    const ENTRIES: usize = 20_000;
    const BATCH: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let mut log = custodia_ledger::Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    for batch in 0..ENTRIES / BATCH {
        let payloads: Vec<Vec<u8>> = (0..BATCH)
            .map(|i| {
                let mut payload = vec![b'p'; 200];
                payload[..8].copy_from_slice(&((batch * BATCH + i) as u64).to_be_bytes());
                payload
            })
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        log.append(&refs).unwrap();
    }
    let store = log.into_store();
    store.checkpoint_wal().unwrap();
    drop(store);
    let per_entry = std::fs::metadata(&path).unwrap().len() / ENTRIES as u64;
    assert!(per_entry <= 400, "{per_entry} bytes per entry");
    assert!(
        per_entry > 264,
        "{per_entry} bytes per entry is less than the rows themselves: not measured"
    );
}
