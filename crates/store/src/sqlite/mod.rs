//! `SqliteStore`: the embedded default backend — one file in WAL mode holding the log, the vault and the keys.

mod backup;
mod keyring;
mod keys;
mod log;
mod records;
mod unit;
mod vault;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::ffi::ErrorCode;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::StoreError;
use crate::schema;
use crate::unit::UnitGate;

pub(crate) use unit::WriteTx;

/// SQLite's `application_id` header field for a custodia store: `"CuSt"` in ASCII. A file with another
/// non-zero id belongs to another program and is refused.
pub const APPLICATION_ID: i32 = 0x4375_5374;

/// The page cache of one connection, in KiB (SQLite's `cache_size` as a negative number): 32 MiB.
const CACHE_KIB: i64 = 32 * 1024;

/// How hard SQLite works to keep a committed transaction through a crash. The database always runs in
/// WAL mode; this picks its `synchronous` setting.
///
/// The default, [`Durability::Full`], loses **no acknowledged append** on a process crash or a power
/// loss: when [`custodia_ledger::LogStore::append`] returns `Ok`, the batch is on stable storage. A log
/// whose entries are evidence (consent records, destruction certificates; PIPL Art 54 audits, NDSR
/// record keeping) should not give that up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is synced to disk at every commit. Survives process crashes and
    /// power loss. One `fsync` per committed transaction, so batch your appends.
    #[default]
    Full,
    /// `synchronous=NORMAL`: the WAL is synced only at checkpoints. Survives a **process** crash with
    /// nothing lost, and the database is never corrupted, but a **power loss or operating-system crash**
    /// may roll back the most recent transactions — appends the caller was told had succeeded. Use it
    /// only where those appends can be replayed from elsewhere.
    Normal,
}

impl Durability {
    fn pragma_value(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// Settings for opening an [`SqliteStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteConfig {
    durability: Durability,
    busy_timeout: Duration,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteConfig {
    /// The defaults: [`Durability::Full`] and a five-second busy timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same settings with another durability.
    pub fn with_durability(self, durability: Durability) -> Self {
        Self { durability, ..self }
    }

    /// The same settings with another busy timeout: how long a write waits for another connection's
    /// write transaction on the same file before failing.
    pub fn with_busy_timeout(self, busy_timeout: Duration) -> Self {
        Self { busy_timeout, ..self }
    }

    /// The durability setting.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// The busy timeout.
    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }
}

/// The embedded store: one SQLite file (compiled in, nothing to install) in WAL mode, holding the
/// ledger's entries, nodes and checkpoints ([`custodia_ledger::LogStore`]), the vault of sealed sections
/// ([`custodia_crypto::SectionRows`], so [`custodia_crypto::SectionVault`] with its rules) and the wrapped
/// keys ([`custodia_crypto::KeyStore`]).
///
/// **One value, three seams.** Every seam method takes `&self`, so one `SqliteStore` serves the log (as
/// `Log<&SqliteStore>` or `Log<Arc<SqliteStore>>`), the keys and the sections over one connection.
///
/// Several `SqliteStore`s — in one process or several — may open the same file: writes serialize
/// through SQLite's write lock (`BEGIN IMMEDIATE`), and a log append whose expected size is stale is
/// refused with [`custodia_ledger::LedgerError::Conflict`], so two writers never fork the tree.
///
/// **Erasure.** The file runs with `secure_delete=ON`, so a redacted payload or purged section is
/// overwritten with zeros in the database file, and a redaction ends with a WAL checkpoint so that the
/// old page versions leave the WAL too (PIPL Art 47). Backups taken before are out of reach; erase
/// there too, or rely on crypto-shredding for sections.
pub struct SqliteStore {
    /// Behind a mutex so that the store is `Sync` and every seam works behind `&self`.
    conn: Mutex<Connection>,
    location: String,
    durability: Durability,
    /// Keeps other threads out while a unit of work is open ([`crate::UnitOfWork`]).
    gate: UnitGate,
    /// A WAL checkpoint asked for inside a unit of work, run once the unit has committed.
    checkpoint_after_unit: AtomicBool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

/// Maps a SQLite error to a typed [`StoreError`]: corruption, "not a database" and a lock held too long
/// (`SQLITE_BUSY`, `SQLITE_LOCKED`) get their own variants naming the file, everything else carries the
/// operation and SQLite's message.
pub(crate) fn sqlite_error(
    location: &str,
    operation: &'static str,
) -> impl Fn(rusqlite::Error) -> StoreError {
    let location = location.to_owned();
    move |error| match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            location: location.clone(),
            detail: error.to_string(),
        },
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase {
            path: location.clone(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy {
            location: location.clone(),
            operation,
        },
        _ => StoreError::Sqlite {
            operation,
            message: error.to_string(),
        },
    }
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, sets WAL mode and the configured durability,
    /// and applies the schema migrations this build knows.
    ///
    /// Refuses a file that is not SQLite ([`StoreError::NotADatabase`]), a damaged one
    /// ([`StoreError::Corrupt`]), another program's database ([`StoreError::ForeignDatabase`]) and a
    /// schema newer than or unknown to this build ([`StoreError::SchemaTooNew`],
    /// [`StoreError::UnknownSchema`]) — without changing it.
    pub fn open(path: impl AsRef<Path>, config: &SqliteConfig) -> Result<Self, StoreError> {
        let location = path.as_ref().display().to_string();
        let conn = Connection::open(path.as_ref()).map_err(sqlite_error(&location, "open the database"))?;
        Self::setup(conn, location, config, true)
    }

    /// A store in memory, gone when dropped: for tests and examples. It runs the same schema; WAL and
    /// durability do not apply.
    pub fn open_in_memory(config: &SqliteConfig) -> Result<Self, StoreError> {
        let location = ":memory:".to_owned();
        let conn = Connection::open_in_memory().map_err(sqlite_error(&location, "open the database"))?;
        Self::setup(conn, location, config, false)
    }

    fn setup(
        mut conn: Connection,
        location: String,
        config: &SqliteConfig,
        file: bool,
    ) -> Result<Self, StoreError> {
        let err = |operation| sqlite_error(&location, operation);
        conn.busy_timeout(config.busy_timeout)
            .map_err(err("set the busy timeout"))?;
        // The first read of the header is where a non-database or damaged file shows itself.
        let application_id: i32 = conn
            .query_row("PRAGMA application_id", [], |row| row.get(0))
            .map_err(err("read the header"))?;
        if application_id != 0 && application_id != APPLICATION_ID {
            return Err(StoreError::ForeignDatabase {
                location,
                detail: format!("application_id is {application_id:#x}, not custodia's {APPLICATION_ID:#x}"),
            });
        }
        if file {
            let mode: String = conn
                .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
                .map_err(err("switch to WAL mode"))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Sqlite {
                    operation: "switch to WAL mode",
                    message: format!("journal mode stayed {mode}"),
                });
            }
        }
        conn.pragma_update(None, "synchronous", config.durability.pragma_value())
            .map_err(err("set the durability"))?;
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(err("turn on secure delete"))?;
        // Every seam call inside a unit of work is a savepoint, and SQLite keeps a savepoint's undo copy of
        // each page it first changes in a statement journal: a temporary file in /var/tmp once it passes
        // 64 KiB. At 2,000 customers the main job made 126,000 writes (259 MB) to those files against
        // 63,000 to the two databases and their WALs (issue 22, strace). Few reached the disk (the same
        // pages were rewritten while still dirty), but each was a system call. A statement journal is never
        // read after a crash (the WAL is), so durability is untouched; sorts' temporary tables stay in
        // memory too.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(err("keep temporary files in memory"))?;
        // A page cache of CACHE_KIB instead of SQLite's 2 MiB: the tables are keyed by random-looking
        // 16-byte customer ids, so a batch's transaction reads pages from all over the file; a cache too
        // small for them reads the same pages back from the OS. The bytes written are the same either way.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)
            .map_err(err("size the page cache"))?;
        // Statements of the log, vault and key tables; the default cache of 16 would thrash.
        conn.set_prepared_statement_cache_capacity(64);
        // The query planner's stability guarantee: plans never depend on bound values. Without it, the
        // bundled SQLite (built with STAT4) marks the parameters of range scans and of `ORDER BY ... DESC`
        // lookups as plan-relevant, and rusqlite's statement cache clears the bindings of every statement it
        // takes back — which expires it, so each "cached" statement was parsed and planned again on every use
        // (a fifth of a gated read's time in the profile, issue 17). Our queries have one right plan each.
        let qpsg = conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(err("enable the query planner stability guarantee"))?;
        if !qpsg {
            return Err(StoreError::Sqlite {
                operation: "enable the query planner stability guarantee",
                message: "the option stayed off".to_owned(),
            });
        }
        migrate(&mut conn, &location, application_id)?;
        Ok(Self {
            conn: Mutex::new(conn),
            location,
            durability: config.durability,
            gate: UnitGate::default(),
            checkpoint_after_unit: AtomicBool::new(false),
        })
    }

    /// The file this store was opened from (`:memory:` for an in-memory store).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The durability the store runs with.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// The schema version recorded in the database (after open, always [`crate::SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn()
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM custodia_schema",
                [],
                |row| row.get(0),
            )
            .map_err(self.error("read the schema version"))
    }

    /// Runs SQLite's full `integrity_check` over every page and index. O(size of the file): call it on
    /// a schedule or after a suspected fault, not on every open. A damaged file is
    /// [`StoreError::Corrupt`] with SQLite's findings.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.error("check integrity"))?;
        let findings: Vec<String> = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(self.error("check integrity"))?
            .collect::<Result<_, _>>()
            .map_err(self.error("check integrity"))?;
        if findings.len() == 1 && findings.first().is_some_and(|f| f == "ok") {
            return Ok(());
        }
        Err(StoreError::Corrupt {
            location: self.location.clone(),
            detail: findings.join("; "),
        })
    }

    /// Copies everything in the WAL into the main file and truncates the WAL. A redaction does this by
    /// itself; call it after other deletions whose old bytes must leave the WAL file.
    ///
    /// Inside a unit of work ([`crate::UnitOfWork`]) the checkpoint waits until the unit has committed: the
    /// erased bytes are only gone from the files once the transaction that erased them is in the main file.
    pub fn checkpoint_wal(&self) -> Result<(), StoreError> {
        let conn = self.conn();
        if !conn.is_autocommit() {
            self.checkpoint_after_unit.store(true, Ordering::SeqCst);
            return Ok(());
        }
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(self.error("checkpoint the WAL"))
    }

    /// The connection. A panic while it was held (a bug, never a user input) poisons the mutex; the
    /// connection itself is still sound, because an open transaction rolls back when dropped. While another
    /// thread's unit of work is open, this waits for it to end.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        let admitted = self.gate.admit();
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        drop(admitted);
        conn
    }

    pub(crate) fn error(&self, operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
        sqlite_error(&self.location, operation)
    }
}

/// Applies the pending migrations in one `BEGIN IMMEDIATE` transaction, so that two processes opening a
/// fresh file at once do not both migrate it.
fn migrate(conn: &mut Connection, location: &str, application_id: i32) -> Result<(), StoreError> {
    let err = |operation| sqlite_error(location, operation);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err("begin the migration"))?;
    let has_schema_table: bool = tx
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'custodia_schema'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(err("read the schema table"))?
        .is_some();
    if !has_schema_table {
        let other: Option<String> = tx
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'table' LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(err("list the tables"))?;
        if let Some(table) = other {
            return Err(StoreError::ForeignDatabase {
                location: location.to_owned(),
                detail: format!("it has table {table:?} but no custodia_schema table"),
            });
        }
        tx.execute_batch("CREATE TABLE custodia_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .map_err(err("create the schema table"))?;
    } else if application_id == 0 {
        return Err(StoreError::ForeignDatabase {
            location: location.to_owned(),
            detail: "it has a custodia_schema table but no custodia application_id".to_owned(),
        });
    }
    let applied: Vec<(u32, String)> = {
        let mut statement = tx
            .prepare("SELECT version, name FROM custodia_schema")
            .map_err(err("read the schema table"))?;
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(err("read the schema table"))?
            .collect::<Result<_, _>>()
            .map_err(err("read the schema table"))?
    };
    let pending = schema::pending(&applied)?;
    for migration in pending {
        tx.execute_batch(migration.sqlite)
            .map_err(err("apply a schema migration"))?;
        tx.execute(
            "INSERT INTO custodia_schema (version, name) VALUES (?1, ?2)",
            rusqlite::params![migration.version, migration.name],
        )
        .map_err(err("record a schema migration"))?;
    }
    if application_id == 0 {
        // Only a fresh file: rewriting the header on every open would cost a write and a sync.
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(err("set the application id"))?;
    }
    tx.commit().map_err(err("commit the migration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_durability_is_the_default() {
        assert_eq!(Durability::default(), Durability::Full);
        assert_eq!(SqliteConfig::new().durability(), Durability::Full);
        assert_eq!(Durability::Full.pragma_value(), "FULL");
        assert_eq!(Durability::Normal.pragma_value(), "NORMAL");
    }

    #[test]
    fn the_configured_durability_reaches_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        for (durability, expected) in [(Durability::Full, 2), (Durability::Normal, 1)] {
            let config = SqliteConfig::new().with_durability(durability);
            let store = SqliteStore::open(dir.path().join(format!("{durability:?}.db")), &config).unwrap();
            let synchronous: i64 = store
                .conn()
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap();
            assert_eq!(synchronous, expected, "{durability:?}");
            let secure: i64 = store
                .conn()
                .query_row("PRAGMA secure_delete", [], |r| r.get(0))
                .unwrap();
            assert_eq!(secure, 1);
            let temp_store: i64 = store
                .conn()
                .query_row("PRAGMA temp_store", [], |r| r.get(0))
                .unwrap();
            assert_eq!(temp_store, 2, "statement journals stay in memory");
            let cache: i64 = store
                .conn()
                .query_row("PRAGMA cache_size", [], |r| r.get(0))
                .unwrap();
            assert_eq!(cache, -CACHE_KIB);
            assert_eq!(store.durability(), durability);
        }
    }

    #[test]
    fn the_busy_timeout_is_configurable() {
        let config = SqliteConfig::new().with_busy_timeout(Duration::from_millis(250));
        assert_eq!(config.busy_timeout(), Duration::from_millis(250));
        assert_eq!(config.durability(), Durability::Full);
    }

    #[test]
    fn cached_statements_are_not_prepared_again_on_each_use() {
        let store = SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap();
        // The shapes that were re-prepared on every use before the stability guarantee: a newest-version
        // lookup (`ORDER BY ... DESC`) and a key-range scan.
        for sql in [
            "SELECT version, sealed FROM sections WHERE customer = ?1 AND category = ?2 \
             ORDER BY version DESC LIMIT 1",
            "SELECT key, value FROM records WHERE namespace = ?1 AND key >= ?2 AND key < ?3 ORDER BY key LIMIT 10",
        ] {
            let conn = store.conn();
            for round in 0..3u8 {
                let mut statement = conn.prepare_cached(sql).unwrap();
                let params = (1..=statement.parameter_count())
                    .map(|i| vec![round, i as u8])
                    .collect::<Vec<_>>();
                let mut rows = statement
                    .query(rusqlite::params_from_iter(params.iter().map(Vec::as_slice)))
                    .unwrap();
                while rows.next().unwrap().is_some() {}
                drop(rows);
                assert_eq!(
                    statement.get_status(rusqlite::StatementStatus::RePrepare),
                    0,
                    "round {round}: {sql}"
                );
            }
        }
    }

    #[test]
    fn records_of_a_version_6_file_move_to_the_rowid_table_intact() {
        use crate::records::Records;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v6.db");
        let big = vec![7u8; 20_000];
        {
            // A file as a build at schema version 6 left it (records WITHOUT ROWID), with a small and a large
            // record.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE custodia_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            )
            .unwrap();
            for migration in &schema::MIGRATIONS[..6] {
                conn.execute_batch(migration.sqlite).unwrap();
                conn.execute(
                    "INSERT INTO custodia_schema (version, name) VALUES (?1, ?2)",
                    rusqlite::params![migration.version, migration.name],
                )
                .unwrap();
            }
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            let insert = "INSERT INTO records (namespace, key, value) VALUES (?1, ?2, ?3)";
            conn.execute(
                insert,
                rusqlite::params!["probe/a", b"small".as_slice(), b"v".as_slice()],
            )
            .unwrap();
            conn.execute(
                insert,
                rusqlite::params!["probe/a", b"large".as_slice(), big.as_slice()],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
        assert_eq!(store.schema_version().unwrap(), schema::SCHEMA_VERSION);
        let ns = crate::Namespace::new("probe/a");
        assert_eq!(
            store.record(ns, b"small").unwrap().as_deref(),
            Some(b"v".as_slice())
        );
        assert_eq!(store.record(ns, b"large").unwrap(), Some(big));
        let sql: String = store
            .conn()
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 'records'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        // The upsert still finds the key through the unique index.
        store.put_record(ns, b"small", b"w").unwrap();
        assert_eq!(
            store.record(ns, b"small").unwrap().as_deref(),
            Some(b"w".as_slice())
        );
        store.check_integrity().unwrap();
    }

    #[test]
    fn a_fresh_store_is_at_the_newest_schema() {
        let store = SqliteStore::open_in_memory(&SqliteConfig::new()).unwrap();
        assert_eq!(store.schema_version().unwrap(), schema::SCHEMA_VERSION);
        store.check_integrity().unwrap();
        assert_eq!(store.location(), ":memory:");
    }
}
