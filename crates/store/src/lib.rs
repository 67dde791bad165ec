//! # custodia-store
//!
//! Where custodia's evidence and secrets rest: the ledger's entries, tree nodes and signed checkpoints,
//! the customers' sealed sections with their history, and the wrapped data keys and blind-index entries
//! whose destruction is crypto-shredding. It is the **only crate that talks to a database**.
//!
//! Two backends, one schema and one behaviour, each a cargo feature:
//!
//! - `SqliteStore` (feature `sqlite`, the default) — the embedded store: one file, SQLite compiled in,
//!   nothing to install.
//! - `PostgresStore` (feature `postgres`) — the server backend, for several service instances sharing
//!   one ledger. Off by default: a SQLite-only build compiles no async runtime (`cargo tree -p
//!   custodia-store -e normal` shows no tokio or postgres).
//!
//! Each implements the seams the crates below define — [`custodia_ledger::LogStore`],
//! [`custodia_crypto::KeyStore`] and [`custodia_crypto::SectionRows`] (whence
//! [`custodia_crypto::SectionVault`], whose rules crypto writes once) — with every method on `&self`, so
//! one store value serves as log, key store and vault. Both pass the conformance suite of
//! `custodia-conformance`, which also runs against the in-memory stores of those crates.
//!
//! Two more, for the application layer above (custodia-brokerage), which keeps its own state here too:
//! [`Records`], one rule-free table of namespaced byte keys and values (put, insert-if-absent,
//! compare-and-swap, delete, get, ordered range scans), and [`UnitOfWork`], one database transaction in
//! which ledger appends, vault and key writes and records commit together or not at all.
//!
//! ## The key decisions, and why
//!
//! **The database's own locking keeps the log whole.** A log append is one transaction that first takes
//! the database's write lock (`BEGIN IMMEDIATE` on SQLite; on PostgreSQL the schema's appenders' advisory
//! lock, inside the server-side `custodia_log_append`), then checks that the log's size is the writer's
//! expected start and refuses with [`custodia_ledger::LedgerError::Conflict`] otherwise, then inserts
//! entries and tree nodes. Writers in other processes therefore never fork the tree, leave a gap or
//! duplicate an index (a primary key on the index backs this up); the loser re-reads the right edge
//! ([`custodia_ledger::Log`] does so on conflict) and retries — or, on PostgreSQL with
//! [`custodia_ledger::Log::append_sequenced`], the store places the batch at its end and nobody retries.
//!
//! **An acknowledged append survives a crash.** SQLite runs in WAL mode with `synchronous=FULL` by
//! default ([`Durability::Full`]): when an append returns `Ok`, the batch is on stable storage, through a
//! process crash or a power loss. [`Durability::Normal`] is an opt-in that may lose the last transactions
//! on power loss, spelled out on the variant. The crash test kills an appending child with SIGKILL at
//! random moments and checks that every reported batch is there, none is torn and the log verifies;
//! 20 kills run in `cargo test`, and the long run is
//!
//! ```text
//! CUSTODIA_CRASH_ITERATIONS=1000 cargo test -p custodia-store --release --test crash
//! ```
//!
//! **Schemas change only forward, and never silently.** Every open applies the numbered migrations this
//! build knows inside one transaction and records each one's version and name. A database of a newer
//! version ([`StoreError::SchemaTooNew`]), with a migration this build does not know
//! ([`StoreError::UnknownSchema`]), or belonging to another program ([`StoreError::ForeignDatabase`]) is
//! refused untouched.
//!
//! **Every row is checked on the way out.** A hash of the wrong length, a missing payload, sealed bytes
//! that are not a section, a wrapped key stored under another customer's row: each is a typed error
//! naming the table, the row and the check ([`StoreError::RowCheck`],
//! [`custodia_ledger::LedgerError::CorruptStore`]); a damaged SQLite file is [`StoreError::Corrupt`] or
//! [`StoreError::NotADatabase`]. Nothing is repaired silently.
//!
//! **Erasure is physical where the engine allows.** SQLite runs with `secure_delete=ON` and checkpoints
//! its WAL after a redaction, purge or crypto-shredding, so the erased bytes leave both files (PIPL Art
//! 47; tested by searching the files). PostgreSQL frees row versions only at `VACUUM`, so there erasure
//! rests on crypto-shredding: what lingers is ciphertext whose key is gone.
//!
//! ## What it must not do
//!
//! - No domain crate (consent, retention, transfer) depends on this one: they are generic over the
//!   traits that `custodia-ledger` and `custodia-crypto` define, and a program picks the backend.
//! - Add rules: it stores rows. "A version not newer than the newest is refused", "history oldest
//!   first", "erasure leaves a tombstone" are written once in `custodia-crypto`'s `SectionVault`; the
//!   backends give it an atomic compare-and-insert and plain row reads.
//! - It never sees a plaintext or a key: sections arrive sealed and keys wrapped by `custodia-crypto`.
//! - It prints nothing and reads no clock; times come in as arguments.
//!
//! ## PostgreSQL
//!
//! With feature `postgres`, `PostgresStore::connect` takes a URL such as
//! `postgresql://custodia:secret@db.internal:5432/broker?sslmode=verify-full&sslrootcert=/etc/custodia/ca.pem`
//! and a `PostgresConfig` naming the schema that holds the tables (default `custodia`; created on first
//! connect). TLS is rustls with ring; `SslMode` says exactly what each libpq mode does here (only
//! `verify-full` authenticates the server; `prefer`, the default, falls back to plaintext when the server
//! refuses TLS). A lost server is found again on the next call, and appends are idempotent, so an append
//! retried after a crash at commit never lands twice. Point every service instance at the
//! same URL and schema to share one ledger. The PostgreSQL half of the test suite runs with `--features
//! postgres-tests` (which turns on `postgres`) against the server in `CUSTODIA_PG_URL` (it fails, rather
//! than passes, when the variable is missing); `.ci/postgres.sh` starts a throwaway one.
//!
//! ## Backups and restores
//!
//! `SqliteStore::backup_to` takes a consistent online backup (SQLite's backup API); for PostgreSQL use
//! `pg_dump --format=custom --schema=<schema>` or a base backup with WAL archiving. A restore is checked
//! before use against the ledger and a checkpoint held outside the store ([`verify_restored`],
//! `SqliteStore::restore`); a backup older than that checkpoint is refused unless the caller passes
//! [`OlderThanCheckpoint::Restore`]. Crypto-shredding holds against backups once the KEK versions that
//! wrapped the shredded keys are retired on schedule (`custodia_crypto::Keyring::retire_shredded`, over
//! the stores' `custodia_crypto::KeyringStore`), and the keyring's state persists in the store.
//!
//! ## Errors through the seams
//!
//! A failure reaches a caller of the seams as the source of `LedgerError::Store`, `CryptoError::KeyStore`
//! or `CryptoError::Vault`; downcast it to [`StoreError`] to tell [`StoreError::Busy`] (retry) from
//! [`StoreError::Corrupt`] (stop and restore).
//!
//! ## Example
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use chrono::{TimeZone, Utc};
//! use custodia_crypto::{CryptoError, KeyStore, Keyring, KeyringConfig, SectionVault, seal_section};
//! use custodia_ledger::Log;
//! use custodia_model::{CustomerId, DataCategory};
//! use custodia_store::{SqliteConfig, SqliteStore};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("custodia.db");
//! // One store value: the log borrows it, and it is the key store and the vault as well.
//! let store = SqliteStore::open(&path, &SqliteConfig::new())?;
//!
//! // The ledger: appends are durable when they return.
//! let mut log = Log::new(&store)?;
//! let appended = log.append(&[b"consent granted: customer 7f3c, marketing".as_slice()])?;
//! assert_eq!(appended.size(), 1);
//!
//! // A customer's key and a sealed section.
//! let keyring = Keyring::derive_from_master(&[7u8; 32], 1, KeyringConfig::default())?;
//! let customer = CustomerId::new_v7();
//! let (dek, wrapped) = keyring.generate_dek(customer)?;
//! store.put_wrapped_key(&wrapped)?;
//! let sealed = seal_section(&dek, customer, DataCategory::Contact, 1, b"{\"phone\":\"13800138000\"}")?;
//! store.put_section(customer, DataCategory::Contact, 1, &sealed)?;
//!
//! // Reopened later, it is all still there.
//! drop(log);
//! drop(store);
//! let store = SqliteStore::open(&path, &SqliteConfig::new())?;
//! let latest = store.latest_section(customer, DataCategory::Contact)?.expect("stored above");
//! let plain = keyring.open_stored_section(&store, customer, DataCategory::Contact, 1, latest.sealed())?;
//! assert_eq!(plain.as_slice(), b"{\"phone\":\"13800138000\"}");
//!
//! // Crypto-shredding (PIPL Art 47): the keys go, and the section can never be opened again.
//! let evidence = store.destroy_customer(customer, Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap())?;
//! assert_eq!(evidence.dek_ids(), &[wrapped.dek_id()]);
//! assert_eq!(
//!     keyring.open_stored_section(&store, customer, DataCategory::Contact, 1, latest.sealed()).unwrap_err(),
//!     CryptoError::KeyDestroyed { customer },
//! );
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// A build with no backend feature keeps the shared row checks and schema it would need, unused.
#![cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]

mod backup;
mod error;
#[cfg(feature = "postgres")]
mod pg;
mod records;
mod rows;
mod schema;
#[cfg(feature = "sqlite")]
mod sqlite;
mod unit;

pub use backup::{OlderThanCheckpoint, RestoreCheck, RestoreReport, verify_restored};
pub use error::StoreError;
#[cfg(feature = "postgres")]
pub use pg::{PostgresConfig, PostgresStore, SslMode, Transport};
pub use records::{
    Inserted, KeyRange, MAX_RECORD_KEY_LEN, MAX_RECORD_VALUE_LEN, Namespace, Record, Records, Swapped,
};
pub use schema::SCHEMA_VERSION;
#[cfg(feature = "sqlite")]
pub use sqlite::{APPLICATION_ID, Durability, SqliteConfig, SqliteStore};
pub use unit::UnitOfWork;
