//! The records table and the unit of work against every backend: SQLite in memory and in a file, and PostgreSQL (feature `postgres-tests`, server from `CUSTODIA_PG_URL`).

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod records_suite;

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_in_memory_passes_the_records_suite() {
    use custodia_store::{SqliteConfig, SqliteStore};
    records_suite::run(&|| SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap());
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_files_pass_the_records_suite() {
    use std::sync::atomic::{AtomicU32, Ordering};

    use custodia_store::{SqliteConfig, SqliteStore};
    let dir = tempfile::tempdir().unwrap();
    let counter = AtomicU32::new(0);
    records_suite::run(&|| {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        SqliteStore::open(dir.path().join(format!("records-{n}.db")), &SqliteConfig::new()).unwrap()
    });
}

#[cfg(feature = "postgres-tests")]
#[test]
fn postgres_passes_the_records_suite() {
    use std::sync::atomic::{AtomicU32, Ordering};

    use custodia_store::{PostgresConfig, PostgresStore};
    let url = match std::env::var("CUSTODIA_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("the postgres-tests feature is on but CUSTODIA_PG_URL is not set"),
    };
    let counter = AtomicU32::new(0);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    records_suite::run(&|| {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let schema = format!("r_{}_{n}_{stamp}", std::process::id());
        PostgresStore::connect(&url, &PostgresConfig::new().with_schema(&schema).unwrap()).unwrap()
    });
}
