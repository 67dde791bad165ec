//! Online backups of a SQLite store through SQLite's backup API, and restores that are checked before they are used.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::Backup;

use super::{SqliteConfig, SqliteStore, sqlite_error};
use crate::backup::{RestoreCheck, RestoreReport, verify_restored};
use crate::error::StoreError;

/// Pages copied per step of a backup; between steps other connections may write (and the copy restarts
/// if they do, so the result is one consistent snapshot).
const PAGES_PER_STEP: std::os::raw::c_int = 256;

/// Copies the whole database at `from` into a new file at `to` with SQLite's online backup API.
fn copy(from: &Connection, to: &Path, location: &str) -> Result<(), StoreError> {
    if to.exists() {
        return Err(StoreError::InvalidConfig {
            field: "backup destination",
            reason: "exists already: a backup never overwrites a file",
        });
    }
    let mut target = Connection::open(to).map_err(sqlite_error(location, "create the backup file"))?;
    let backup = Backup::new(from, &mut target).map_err(sqlite_error(location, "start the backup"))?;
    backup
        .run_to_completion(PAGES_PER_STEP, Duration::from_millis(5), None)
        .map_err(sqlite_error(location, "copy the backup"))?;
    Ok(())
}

impl SqliteStore {
    /// A consistent online backup of the whole store — log, vault, keys, keyring state — into a new file
    /// at `to` (refused if it exists), through SQLite's backup API: other connections may go on writing,
    /// and the copy is one snapshot of a committed state. Returns the log size the backup holds.
    ///
    /// A backup keeps what crypto-shredding destroys later (wrapped keys), until the KEK versions that
    /// wrapped them are retired ([`custodia_crypto::Keyring::retire_shredded`]); take a new backup after
    /// every retirement run.
    pub fn backup_to(&self, to: impl AsRef<Path>) -> Result<u64, StoreError> {
        let conn = self.conn();
        copy(&conn, to.as_ref(), &self.location)?;
        let size: i64 = conn
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries", [], |row| {
                row.get(0)
            })
            .map_err(self.error("read the log size"))?;
        u64::try_from(size).map_err(|_| StoreError::RowCheck {
            table: "log_entries",
            key: size.to_string(),
            what: "negative index",
        })
    }

    /// Restores the backup at `backup` into a new store file at `to` (refused if it exists) and checks it
    /// before handing it out ([`verify_restored`]): the restored log verifies, and it extends the
    /// checkpoint the caller holds — a backup older than that checkpoint is refused unless
    /// `check.older` is [`crate::OlderThanCheckpoint::Restore`]. A refused restore leaves no file behind.
    pub fn restore(
        backup: impl AsRef<Path>,
        to: impl AsRef<Path>,
        config: &SqliteConfig,
        check: &RestoreCheck<'_>,
    ) -> Result<(SqliteStore, RestoreReport), StoreError> {
        let (backup, to) = (backup.as_ref(), to.as_ref());
        let location = to.display().to_string();
        {
            let source = Connection::open_with_flags(backup, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(sqlite_error(&backup.display().to_string(), "open the backup"))?;
            copy(&source, to, &location)?;
        }
        let checked = SqliteStore::open(to, config).and_then(|store| {
            let report = verify_restored(&store, check)?;
            Ok((store, report))
        });
        if checked.is_err() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
            }
        }
        checked
    }
}
