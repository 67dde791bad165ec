//! The one error type of custodia-store: backend failures, schema versions, corruption and row checks.

use custodia_crypto::CryptoError;
use custodia_ledger::LedgerError;

/// Everything that can go wrong in a store. Each variant names what failed: the operation, the table and
/// row key, the schema version. A database driver's own error travels as its message, so that callers
/// never need to name `rusqlite` or `postgres` types.
///
/// Through the storage seams a `StoreError` arrives as the source of `LedgerError::Store`,
/// `CryptoError::KeyStore` or `CryptoError::Vault`: walk `std::error::Error::source` (or call
/// `custodia_crypto::BackendFailure::downcast_ref`) and match it, to tell a busy database
/// ([`StoreError::Busy`]: retry) from a corrupt one ([`StoreError::Corrupt`]: stop and restore).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error while doing `operation`.
    #[error("sqlite failed to {operation}: {message}")]
    Sqlite {
        /// What the store was doing (`"open the database"`, `"append to the log"`, ...).
        operation: &'static str,
        /// SQLite's own message.
        message: String,
    },
    /// PostgreSQL (or the connection to it) reported an error while doing `operation`.
    #[error("postgresql failed to {operation}: {message}")]
    Postgres {
        /// What the store was doing.
        operation: &'static str,
        /// The server's or client's message.
        message: String,
    },
    /// Another connection holds the lock the operation needed, for longer than the store waits (SQLite's
    /// busy timeout, PostgreSQL's lock timeout), or the server aborted the transaction to resolve a
    /// deadlock or a serialization conflict. Nothing was written; retrying later is safe.
    #[error("database {location} is busy: could not {operation}")]
    Busy {
        /// The file (SQLite) or schema (PostgreSQL).
        location: String,
        /// What the store was doing.
        operation: &'static str,
    },
    /// The file is not an SQLite database at all (its header is wrong or it is encrypted).
    #[error("{path} is not an sqlite database")]
    NotADatabase {
        /// The file that was opened.
        path: String,
    },
    /// The database file is damaged: SQLite found a malformed page or index, or an integrity check failed.
    #[error("database {location} is corrupt: {detail}")]
    Corrupt {
        /// The file (SQLite) or schema (PostgreSQL) that is damaged.
        location: String,
        /// What the database engine found.
        detail: String,
    },
    /// The database belongs to another application: it has tables but not custodia's schema table, or
    /// an SQLite `application_id` that is not custodia's. custodia refuses to write into it.
    #[error("database {location} is not a custodia store: {detail}")]
    ForeignDatabase {
        /// The file or schema.
        location: String,
        /// What gave it away.
        detail: String,
    },
    /// The database was written by a newer custodia whose schema this version does not know. Opening it
    /// would risk silently misreading it, so the store refuses; upgrade custodia instead.
    #[error("database schema version {found} is newer than the newest this build knows, {supported}")]
    SchemaTooNew {
        /// The newest schema version recorded in the database.
        found: u32,
        /// The newest schema version this build can migrate to.
        supported: u32,
    },
    /// The database records a schema migration this build does not know at that version (a different
    /// name, or a gap in the version sequence): it came from a diverging build.
    #[error("database schema version {version} is {name:?}, which this build does not know")]
    UnknownSchema {
        /// The recorded version.
        version: u32,
        /// The migration name recorded for it (empty for a gap).
        name: String,
    },
    /// A stored row failed its own checks (wrong length, unknown category code, a field that does not
    /// match the bytes it describes). The database was altered outside custodia or is damaged.
    #[error("row {key} of table {table} fails its check: {what}")]
    RowCheck {
        /// The table.
        table: &'static str,
        /// The row's key, for example `customer/category/version`.
        key: String,
        /// Which check failed.
        what: &'static str,
    },
    /// A configuration value is not acceptable.
    #[error("invalid store configuration {field}: {reason}")]
    InvalidConfig {
        /// The configuration field.
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A restored backup's log is shorter than a checkpoint the caller holds: the backup is older than
    /// evidence already given out, and restoring it rolls that evidence back. Refused unless the restore
    /// was told [`crate::OlderThanCheckpoint::Restore`].
    #[error(
        "backup holds {backup_size} log entries, older than the held checkpoint of size {checkpoint_size}"
    )]
    BackupOlderThanCheckpoint {
        /// The restored log's size.
        backup_size: u64,
        /// The held checkpoint's size.
        checkpoint_size: u64,
    },
    /// A restored backup's log does not verify, or does not extend the held checkpoint (its root at the
    /// checkpoint's size differs): it was altered, or it is another log.
    #[error("backup does not verify: {detail}")]
    BackupDoesNotVerify {
        /// What failed (the ledger's error, which names indices and sizes only).
        detail: String,
    },
    /// A number does not fit the database's signed 64-bit integers.
    #[error("{field} value {value} exceeds the database's 64-bit signed range")]
    OutOfRange {
        /// Which value.
        field: &'static str,
        /// The value.
        value: u64,
    },
}

impl From<StoreError> for LedgerError {
    /// The ledger's storage seam reports every backend failure as [`LedgerError::Store`] with this error
    /// as its source, so the table, key or schema version that failed still reaches the caller, typed.
    fn from(error: StoreError) -> Self {
        LedgerError::store(error)
    }
}

impl From<StoreError> for CryptoError {
    /// The key store seam reports every backend failure as [`CryptoError::KeyStore`] with this error as
    /// its source; it names tables, customer and key ids but never key bytes. (The vault's failures are
    /// [`CryptoError::Vault`]: the vault backends convert explicitly, never through this.)
    fn from(error: StoreError) -> Self {
        CryptoError::key_store(error)
    }
}

/// Converts a `u64` index or size to SQL's signed 64-bit integer.
pub(crate) fn to_i64(field: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { field, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::error::Error as _;

    #[test]
    fn backend_errors_arrive_whole_as_the_source_through_the_trait_seams() {
        let error = StoreError::RowCheck {
            table: "sections",
            key: "c/health/3".to_owned(),
            what: "unknown category code",
        };
        let message = error.to_string();
        assert_eq!(
            message,
            "row c/health/3 of table sections fails its check: unknown category code"
        );
        let ledger = LedgerError::from(error.clone());
        assert!(matches!(ledger, LedgerError::Store { .. }));
        // The cause is printed once, by the source, never repeated in the seam's own message.
        assert_eq!(ledger.to_string(), "log store failed");
        let source = ledger.source().unwrap();
        assert_eq!(source.to_string(), message);
        assert_eq!(source.downcast_ref::<StoreError>(), Some(&error));
        let crypto = CryptoError::from(error.clone());
        assert!(matches!(crypto, CryptoError::KeyStore { .. }));
        assert!(!crypto.to_string().contains("unknown category"));
        assert_eq!(
            crypto.backend().unwrap().downcast_ref::<StoreError>(),
            Some(&error)
        );
    }

    #[test]
    fn a_busy_database_is_told_from_a_corrupt_one_through_the_seam() {
        let busy = LedgerError::from(StoreError::Busy {
            location: "ledger.db".into(),
            operation: "append to the log",
        });
        let corrupt = LedgerError::from(StoreError::Corrupt {
            location: "ledger.db".into(),
            detail: "malformed page".into(),
        });
        let cause = |e: &LedgerError| e.source().and_then(|s| s.downcast_ref::<StoreError>()).cloned();
        assert!(matches!(cause(&busy), Some(StoreError::Busy { .. })));
        assert!(matches!(cause(&corrupt), Some(StoreError::Corrupt { .. })));
    }

    #[test]
    fn values_past_i64_are_refused() {
        assert_eq!(to_i64("log index", 5).unwrap(), 5);
        assert_eq!(
            to_i64("log index", u64::MAX).unwrap_err(),
            StoreError::OutOfRange {
                field: "log index",
                value: u64::MAX
            }
        );
    }
}
