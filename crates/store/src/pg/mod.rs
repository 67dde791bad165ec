//! `PostgresStore`: the server backend, for several service instances sharing one ledger, vault and key store.

mod keyring;
mod keys;
mod log;
mod records;
mod tls;
mod unit;
mod vault;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres::config::SslMode as ClientSslMode;
use postgres::error::SqlState;
use postgres::{Client, NoTls, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::StoreError;
use crate::schema;
use crate::unit::UnitGate;

pub(crate) use unit::WriteTx;

pub use tls::{SslMode, Transport};

/// The advisory lock every migration takes first, so that processes opening the same database at once
/// migrate it one after another (`pg_advisory_xact_lock`, released at commit).
const MIGRATION_LOCK: i64 = 0x4375_5374_4d69_6772; // "CuStMigr"

/// Settings for connecting a [`PostgresStore`]: which schema (namespace) of the database holds the
/// store's tables (one schema is one store: one log, one vault, one key store), how the connection is
/// protected ([`SslMode`] and a CA file; by default whatever the connection string says, else
/// `prefer`), and how long an append waits for a lost server to come back before it gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresConfig {
    schema: String,
    ssl_mode: Option<SslMode>,
    root_cert: Option<PathBuf>,
    reconnect_window: Duration,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            schema: "custodia".to_owned(),
            ssl_mode: None,
            root_cert: None,
            reconnect_window: Duration::from_secs(30),
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
        Ok(Self {
            schema: schema.to_owned(),
            ..self
        })
    }

    /// The same settings with TLS mode `mode`, whatever the connection string's `sslmode` says.
    pub fn with_ssl_mode(self, mode: SslMode) -> Self {
        Self {
            ssl_mode: Some(mode),
            ..self
        }
    }

    /// The same settings with the CA certificates (PEM) that the server's certificate must chain to,
    /// whatever the connection string's `sslrootcert` says.
    pub fn with_root_certificates(self, path: impl AsRef<Path>) -> Self {
        Self {
            root_cert: Some(path.as_ref().to_path_buf()),
            ..self
        }
    }

    /// The same settings with another reconnect window: how long a log append that lost its
    /// connection keeps reconnecting and retrying (the retry is safe, appends being idempotent) before it
    /// reports the failure. Other calls never wait: they reconnect once, on the next call.
    pub fn with_reconnect_window(self, reconnect_window: Duration) -> Self {
        Self {
            reconnect_window,
            ..self
        }
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The TLS mode set here, if any (else the connection string's, else `prefer`).
    pub fn ssl_mode(&self) -> Option<SslMode> {
        self.ssl_mode
    }

    /// The CA file set here, if any.
    pub fn root_certificates(&self) -> Option<&Path> {
        self.root_cert.as_deref()
    }

    /// How long an append retries after losing its connection.
    pub fn reconnect_window(&self) -> Duration {
        self.reconnect_window
    }
}

/// The server store: the same tables as [`crate::SqliteStore`] in one PostgreSQL schema, reached through
/// a connection URL (`postgresql://user:password@host:port/database?sslmode=verify-full&sslrootcert=ca.pem`;
/// any libpq-style URL or key-value string the `postgres` crate accepts, plus libpq's `sslmode` values
/// `verify-ca` and `verify-full` and `sslrootcert`). TLS is rustls with ring; what each [`SslMode`] does
/// is spelled out there — in short, only `verify-full` authenticates the server, and `prefer` (the
/// default, as in libpq) falls back to plaintext when the server refuses TLS.
///
/// **A lost server is found again.** When the server restarts (or the connection drops), the call that
/// meets the dead connection fails, and the next call reconnects (same settings, same TLS). A log
/// append that loses its connection keeps reconnecting and retrying for the configured reconnect
/// window: appends are idempotent ([`custodia_ledger::LogStore::append`]: a batch already committed is
/// recognised by its salted leaf hashes inside the retry's transaction), so a retry after an ambiguous
/// commit never duplicates entries.
///
/// **Several writers.** Any number of processes may hold a `PostgresStore` on the same schema and
/// append to the one log. An append is one prepared call of the server-side function
/// `custodia_log_append` (schema migration 7), one round trip, in a transaction of its own: it first
/// takes the schema's appenders' lock (a transaction-scoped advisory lock, `custodia_log_lock`, which a
/// unit of work also takes before its table locks) — writers queue there, readers are not blocked —
/// then reads the current size. A positional append ([`custodia_ledger::Log::append`]) is refused with
/// [`custodia_ledger::LedgerError::Conflict`] unless the size is the writer's expected start; the log
/// re-reads the store's right edge and the caller retries. A sequenced append
/// ([`custodia_ledger::Log::append_sequenced`]) is placed at the end whatever the writer expected: the
/// function hashes the batch's interior nodes from the stored right edge and returns the new edge, so
/// several writers never retry. Either way every node hash is computed from the store's true state: no
/// fork, no gap, and the primary key on the index rules out duplicates.
///
/// **Erasure.** PostgreSQL keeps deleted or updated row versions in its files until `VACUUM` reuses the
/// space (and in its WAL archives): a redaction or purge is logically immediate, physically eventual.
/// Sections and wrapped keys are ciphertext, so crypto-shredding is what makes erasure final.
pub struct PostgresStore {
    client: Mutex<Client>,
    /// The hot statements, prepared once per connection (a reconnect empties it), keyed by their text.
    statements: Mutex<Vec<(&'static str, Statement)>>,
    connector: Connector,
    schema: String,
    /// Keeps other threads out while a unit of work is open ([`crate::UnitOfWork`]).
    gate: UnitGate,
    reconnect_window: Duration,
}

/// What it takes to open a connection again: the parsed settings (they hold the password, so this type
/// has no `Debug`) and the TLS connector.
struct Connector {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
    mode: SslMode,
}

impl Connector {
    fn new(url: &str, config: &PostgresConfig) -> Result<Self, StoreError> {
        let (rest, from_string) = tls::split_tls_settings(url)?;
        let mode = config.ssl_mode.or(from_string.mode).unwrap_or(SslMode::Prefer);
        let root_cert = config.root_cert.clone().or(from_string.root_cert);
        let tls = tls::connector(mode, root_cert.as_deref())?;
        let mut parsed = postgres::Config::from_str(&rest).map_err(|error| StoreError::Postgres {
            operation: "parse the connection string",
            // The client's message names the option, never echoes the string (which holds the password).
            message: error.to_string(),
        })?;
        parsed.ssl_mode(match mode {
            SslMode::Disable => ClientSslMode::Disable,
            SslMode::Prefer => ClientSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => ClientSslMode::Require,
        });
        Ok(Self {
            config: parsed,
            tls,
            mode,
        })
    }

    fn open(&self, schema: &str) -> Result<Client, StoreError> {
        let err = |operation| pg_error(schema, operation);
        let client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        };
        client.map_err(err("connect"))
    }
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
    ///
    /// TLS follows [`SslMode`]: from `config` if set there, else from the connection string's `sslmode`
    /// and `sslrootcert`, else `prefer`. A `verify-ca` or `verify-full` without a CA file, an unreadable
    /// CA file, or an `sslmode` libpq does not define (or `allow`) is [`StoreError::InvalidConfig`].
    pub fn connect(url: &str, config: &PostgresConfig) -> Result<Self, StoreError> {
        let schema = config.schema.clone();
        let connector = Connector::new(url, config)?;
        let mut client = connector.open(&schema)?;
        migrate(&mut client, &schema)?;
        select_schema(&mut client, &schema)?;
        Ok(Self {
            client: Mutex::new(client),
            statements: Mutex::new(Vec::new()),
            connector,
            schema,
            gate: UnitGate::default(),
            reconnect_window: config.reconnect_window,
        })
    }

    /// The TLS mode in force.
    pub fn ssl_mode(&self) -> SslMode {
        self.connector.mode
    }

    /// Whether the connection is encrypted now, as the server sees it (`pg_stat_ssl`): under
    /// [`SslMode::Prefer`] the one way to learn that the server refused TLS.
    pub fn transport(&self) -> Result<Transport, StoreError> {
        let row = self
            .client()?
            .query_one(
                "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), FALSE)",
                &[],
            )
            .map_err(self.error("read the connection's transport"))?;
        let tls: bool = row
            .try_get(0)
            .map_err(self.error("read the connection's transport"))?;
        Ok(if tls { Transport::Tls } else { Transport::Plaintext })
    }

    /// The schema holding this store's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version recorded in the database (after connect, always [`crate::SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let row = self
            .client()?
            .query_one("SELECT COALESCE(MAX(version), 0) FROM custodia_schema", &[])
            .map_err(self.error("read the schema version"))?;
        let version: i32 = row.try_get(0).map_err(self.error("read the schema version"))?;
        u32::try_from(version).map_err(|_| StoreError::RowCheck {
            table: "custodia_schema",
            key: version.to_string(),
            what: "negative version",
        })
    }

    /// The client, connected: if the connection was found dead by an earlier call (a server restart, a
    /// dropped network), it is opened again first, with the same settings, and the schema selected — but
    /// never inside an open unit of work, whose transaction died with the connection: there the call
    /// fails, and the unit with it. A panic while it was held (a bug, never a user input) poisons the
    /// mutex; the client is still sound because an open transaction rolls back when dropped.
    ///
    /// While another thread's unit of work is open, this waits for it to end.
    pub(crate) fn client(&self) -> Result<MutexGuard<'_, Client>, StoreError> {
        // Only this thread can make itself the owner, so the answer holds until it returns.
        self.connected_client(!self.gate.held_here())
    }

    /// The client; a dead connection is opened again only if `may_reconnect` (no transaction of a unit
    /// of work is open on it), and is an error otherwise.
    pub(crate) fn connected_client(&self, may_reconnect: bool) -> Result<MutexGuard<'_, Client>, StoreError> {
        let admitted = self.gate.admit();
        let mut guard = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        drop(admitted);
        if guard.is_closed() {
            if !may_reconnect {
                return Err(StoreError::Postgres {
                    operation: "continue a unit of work",
                    message: "the connection closed while the unit was open; it was rolled back".into(),
                });
            }
            let mut fresh = self.connector.open(&self.schema)?;
            select_schema(&mut fresh, &self.schema)?;
            *guard = fresh;
            // Prepared statements belong to the connection that prepared them.
            self.statements
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
        Ok(guard)
    }

    /// `sql` prepared on `client` (the connection guarded by [`PostgresStore::client`]): from the cache
    /// after the first call on this connection, so a hot statement is parsed and planned once and each
    /// call is one round trip.
    pub(crate) fn prepared(
        &self,
        client: &mut Client,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        let mut cache = self.statements.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, statement)) = cache.iter().find(|(text, _)| *text == sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        cache.push((sql, statement.clone()));
        Ok(statement)
    }

    /// Begins a seam call's write transaction on `client`: a savepoint when the current thread's unit of
    /// work is open, a transaction of its own otherwise.
    pub(crate) fn write_tx<'c>(&self, client: &'c mut Client) -> Result<WriteTx<'c>, postgres::Error> {
        WriteTx::begin(client, self.gate.held_here())
    }

    /// Whether the connection is known to be dead (the last call met a closed connection).
    pub(crate) fn connection_lost(&self) -> bool {
        self.client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_closed()
    }

    pub(crate) fn error(&self, operation: &'static str) -> impl Fn(postgres::Error) -> StoreError {
        pg_error(&self.schema, operation)
    }
}

/// Points a connection at the store's schema. The schema name was checked to be a plain identifier, so
/// it can be spliced in.
fn select_schema(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .map_err(pg_error(schema, "select the schema"))
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
        // `@schema@` names the store's schema in full (checked to be a plain identifier at configuration).
        tx.batch_execute(&migration.postgres.replace("@schema@", schema))
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
