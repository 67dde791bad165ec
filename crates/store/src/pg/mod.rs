//! `PostgresStore`: the server backend, for several service instances sharing one ledger, vault and key store.

mod keys;
mod log;
mod records;
mod unit;
mod vault;

use std::sync::{Mutex, MutexGuard, PoisonError};

use postgres::error::SqlState;
use postgres::{Client, NoTls};

use crate::error::StoreError;
use crate::schema;
use crate::unit::UnitGate;

pub(crate) use unit::WriteTx;

/// The advisory lock every migration takes first, so that processes opening the same database at once
/// migrate it one after another (`pg_advisory_xact_lock`, released at commit).
const MIGRATION_LOCK: i64 = 0x4375_5374_4d69_6772; // "CuStMigr"

/// Settings for connecting a [`PostgresStore`]: which schema (namespace) of the database holds the
/// store's tables. One schema is one store: one log, one vault, one key store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresConfig {
    schema: String,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            schema: "custodia".to_owned(),
        }
    }
}

impl PostgresConfig {
    /// The default schema, `custodia`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same settings with the tables in schema `schema`: 1 to 63 characters of lower-case ASCII
    /// letters, digits and `_`, not starting with a digit nor with `pg_` (PostgreSQL reserves those).
    /// It is created on first connect if missing.
    pub fn with_schema(self, schema: &str) -> Result<Self, StoreError> {
        let bad = |reason| StoreError::InvalidConfig {
            field: "schema",
            reason,
        };
        if schema.is_empty() || schema.len() > 63 {
            return Err(bad("must be 1 to 63 characters"));
        }
        if !schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(bad("only lower-case ascii letters, digits and underscores"));
        }
        if schema.starts_with(|c: char| c.is_ascii_digit()) || schema.starts_with("pg_") {
            return Err(bad("must not start with a digit or pg_"));
        }
        drop(self);
        Ok(Self {
            schema: schema.to_owned(),
        })
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

/// The server store: the same tables as [`crate::SqliteStore`] in one PostgreSQL schema, reached through
/// a connection URL (`postgresql://user:password@host:port/database`; any libpq-style URL or key-value
/// string the `postgres` crate accepts; TLS is not enabled by this build, so keep the server on a
/// trusted network or a local socket).
///
/// **Several writers.** Any number of processes may hold a `PostgresStore` on the same schema and
/// append to the one log. Each append runs in one transaction that first takes
/// `LOCK TABLE log_entries IN EXCLUSIVE MODE` — writers queue there, readers are not blocked — then
/// reads the current size and refuses with [`custodia_ledger::LedgerError::Conflict`] unless it is the
/// writer's expected start. A [`custodia_ledger::Log`] that gets the conflict re-reads the store's right
/// edge and the caller retries, so every node hash is computed from the store's true state: no fork, no
/// gap, and the primary key on the index rules out duplicates.
///
/// **Erasure.** PostgreSQL keeps deleted or updated row versions in its files until `VACUUM` reuses the
/// space (and in its WAL archives): a redaction or purge is logically immediate, physically eventual.
/// Sections and wrapped keys are ciphertext, so crypto-shredding is what makes erasure final.
pub struct PostgresStore {
    client: Mutex<Client>,
    schema: String,
    /// Keeps other threads out while a unit of work is open ([`crate::UnitOfWork`]).
    gate: UnitGate,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may carry a password.
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// Maps a client or server error to a typed [`StoreError`]: the server's corruption codes (`XX001`,
/// `XX002`) get [`StoreError::Corrupt`]; a lock not granted in time, a deadlock or a serialization
/// failure (`55P03`, `40P01`, `40001`) get [`StoreError::Busy`]; everything else the operation and the
/// message.
pub(crate) fn pg_error(schema: &str, operation: &'static str) -> impl Fn(postgres::Error) -> StoreError {
    let schema = schema.to_owned();
    move |error| match error.code() {
        Some(code) if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED => {
            StoreError::Corrupt {
                location: format!("schema {schema}"),
                detail: error.to_string(),
            }
        }
        Some(code)
            if *code == SqlState::LOCK_NOT_AVAILABLE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::T_R_SERIALIZATION_FAILURE =>
        {
            StoreError::Busy {
                location: format!("schema {schema}"),
                operation,
            }
        }
        _ => {
            let message = match error.as_db_error() {
                Some(db) => format!("{}: {}", db.code().code(), db.message()),
                None => error.to_string(),
            };
            StoreError::Postgres { operation, message }
        }
    }
}

impl PostgresStore {
    /// Connects to the server at `url`, creates the configured schema if missing, and applies the schema
    /// migrations this build knows — refusing a schema newer than or unknown to this build
    /// ([`StoreError::SchemaTooNew`], [`StoreError::UnknownSchema`]) and a schema that holds another
    /// program's tables ([`StoreError::ForeignDatabase`]), without changing them.
    pub fn connect(url: &str, config: &PostgresConfig) -> Result<Self, StoreError> {
        let schema = config.schema.clone();
        let err = |operation| pg_error(&schema, operation);
        let mut client = Client::connect(url, NoTls).map_err(err("connect"))?;
        migrate(&mut client, &schema)?;
        // The schema name was checked to be a plain identifier, so it can be spliced in.
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .map_err(err("select the schema"))?;
        Ok(Self {
            client: Mutex::new(client),
            schema,
            gate: UnitGate::default(),
        })
    }

    /// The schema holding this store's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version recorded in the database (after connect, always [`crate::SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let row = self
            .client()
            .query_one("SELECT COALESCE(MAX(version), 0) FROM custodia_schema", &[])
            .map_err(self.error("read the schema version"))?;
        let version: i32 = row.try_get(0).map_err(self.error("read the schema version"))?;
        u32::try_from(version).map_err(|_| StoreError::RowCheck {
            table: "custodia_schema",
            key: version.to_string(),
            what: "negative version",
        })
    }

    /// The client. A panic while it was held (a bug, never a user input) poisons the mutex; the client
    /// is still sound because an open transaction rolls back when dropped.
    ///
    /// While another thread's unit of work is open, this waits for it to end.
    pub(crate) fn client(&self) -> MutexGuard<'_, Client> {
        let admitted = self.gate.admit();
        let client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        drop(admitted);
        client
    }

    /// Begins a seam call's write transaction on `client`: a savepoint when the current thread's unit of
    /// work is open, a transaction of its own otherwise.
    pub(crate) fn write_tx<'c>(&self, client: &'c mut Client) -> Result<WriteTx<'c>, postgres::Error> {
        WriteTx::begin(client, self.gate.held_here())
    }

    pub(crate) fn error(&self, operation: &'static str) -> impl Fn(postgres::Error) -> StoreError {
        pg_error(&self.schema, operation)
    }
}

/// Creates the schema if needed and applies the pending migrations in one transaction under
/// [`MIGRATION_LOCK`].
fn migrate(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    let err = |operation| pg_error(schema, operation);
    let mut tx = client.transaction().map_err(err("begin the migration"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(err("take the migration lock"))?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}"
    ))
    .map_err(err("create the schema"))?;
    let tables = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
            &[&schema],
        )
        .map_err(err("list the tables"))?;
    let mut names = Vec::with_capacity(tables.len());
    for row in &tables {
        names.push(row.try_get::<_, String>(0).map_err(err("list the tables"))?);
    }
    if !names.iter().any(|n| n == "custodia_schema") {
        if let Some(table) = names.first() {
            return Err(StoreError::ForeignDatabase {
                location: format!("schema {schema}"),
                detail: format!("it has table {table:?} but no custodia_schema table"),
            });
        }
        tx.batch_execute("CREATE TABLE custodia_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .map_err(err("create the schema table"))?;
    }
    let rows = tx
        .query("SELECT version, name FROM custodia_schema", &[])
        .map_err(err("read the schema table"))?;
    let mut applied = Vec::with_capacity(rows.len());
    for row in &rows {
        let version: i32 = row.try_get(0).map_err(err("read the schema table"))?;
        let name: String = row.try_get(1).map_err(err("read the schema table"))?;
        let version = u32::try_from(version).map_err(|_| StoreError::UnknownSchema {
            version: 0,
            name: name.clone(),
        })?;
        applied.push((version, name));
    }
    for migration in schema::pending(&applied)? {
        tx.batch_execute(migration.postgres)
            .map_err(err("apply a schema migration"))?;
        let version = i32::try_from(migration.version).map_err(|_| StoreError::OutOfRange {
            field: "schema version",
            value: u64::from(migration.version),
        })?;
        tx.execute(
            "INSERT INTO custodia_schema (version, name) VALUES ($1, $2)",
            &[&version, &migration.name],
        )
        .map_err(err("record a schema migration"))?;
    }
    tx.commit().map_err(err("commit the migration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schema_is_custodia() {
        assert_eq!(PostgresConfig::new().schema(), "custodia");
    }

    #[test]
    fn plain_lower_case_identifiers_are_accepted() {
        for name in ["broker", "broker_2026", "_staging", "a"] {
            assert_eq!(PostgresConfig::new().with_schema(name).unwrap().schema(), name);
        }
        let longest = "s".repeat(63);
        assert!(PostgresConfig::new().with_schema(&longest).is_ok());
    }

    #[test]
    fn anything_that_would_need_quoting_is_refused() {
        for name in [
            "",
            "Broker",
            "broker-1",
            "broker; DROP TABLE x",
            "1broker",
            "pg_catalog",
            "bröker",
            "a b",
        ] {
            let refused = PostgresConfig::new().with_schema(name).unwrap_err();
            assert!(
                matches!(refused, StoreError::InvalidConfig { field: "schema", .. }),
                "{name:?}: {refused:?}"
            );
        }
        assert!(PostgresConfig::new().with_schema(&"s".repeat(64)).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        #[test]
        fn every_accepted_schema_is_a_plain_identifier(name in "\\PC{0,70}") {
            if let Ok(config) = PostgresConfig::new().with_schema(&name) {
                let s = config.schema();
                proptest::prop_assert!(!s.is_empty() && s.len() <= 63);
                proptest::prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
                proptest::prop_assert!(!s.as_bytes()[0].is_ascii_digit());
            }
        }
    }
}
