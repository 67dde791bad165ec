//! The global options every command shares: where the store and its key are, the drill clock, JSON output.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use custodia_brokerage::{Brokerage, KeyFile, ManualClock, StoreDir};

use crate::error::{CliError, Result};

/// The global options.
pub struct Context {
    /// The store directory.
    pub store: Option<PathBuf>,
    /// The key file, if not `<store>/root.key`.
    pub key_file: Option<PathBuf>,
    /// Machine-readable output on stdout.
    pub json: bool,
    /// The drill clock: the time every step runs at, instead of the system clock.
    pub now: Option<DateTime<Utc>>,
}

impl Context {
    /// The store directory, required by the command.
    pub fn store_dir(&self) -> Result<&Path> {
        self.store
            .as_deref()
            .ok_or(CliError::Usage("this command needs --store <DIR>"))
    }

    /// The store directory's layout (custodia-brokerage's `StoreDir`, which the service opens too).
    pub fn store(&self) -> Result<StoreDir> {
        Ok(StoreDir::new(self.store_dir()?))
    }

    /// The key file's path.
    pub fn key_path(&self) -> Result<PathBuf> {
        Ok(self.store()?.key_file(self.key_file.as_deref()))
    }

    /// Opens the brokerage of `--store` with its key, on the drill clock if `--now` was given.
    pub fn open(&self) -> Result<Brokerage> {
        let store = self.store()?;
        let mut config = store.config()?;
        if let Some(now) = self.now {
            config = config.with_clock(ManualClock::at(now));
        }
        let brokerage = Brokerage::open(config, &KeyFile::new(self.key_path()?))?;
        tracing::debug!(store = %store.path().display(), "store opened");
        Ok(brokerage)
    }

    /// Prints `human` on stdout, or `json` when `--json` was given.
    pub fn emit(&self, human: impl FnOnce() -> String, json: impl FnOnce() -> serde_json::Value) {
        if self.json {
            println!("{}", json());
        } else {
            println!("{}", human());
        }
    }
}

/// Reads a whole file, naming it on failure.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(CliError::io("read", path))
}

/// Writes a file that must not exist yet (an artefact is never overwritten silently).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(CliError::io("create", path))?;
    file.write_all(bytes).map_err(CliError::io("write", path))?;
    file.sync_all().map_err(CliError::io("sync", path))
}
