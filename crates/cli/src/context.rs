//! The global options every command shares: where the store and its key are, the drill clock, JSON output.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use custodia_brokerage::{Brokerage, BrokerageConfig, KeyFile, ManualClock};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// The store's file inside `--store`.
pub const STORE_FILE: &str = "store.sqlite";
/// The key file inside `--store` when `--key-file` is not given.
pub const KEY_FILE: &str = "root.key";
/// The CLI's own settings inside `--store`: the ledger origin chosen at `init`.
pub const SETTINGS_FILE: &str = "custodia.json";

/// What `init` records next to the store, read at every open.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The ledger's checkpoint origin (C2SP tlog-checkpoint), fixed for the life of the store.
    pub origin: String,
}

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

    /// The key file's path.
    pub fn key_path(&self) -> Result<PathBuf> {
        Ok(match &self.key_file {
            Some(path) => path.clone(),
            None => self.store_dir()?.join(KEY_FILE),
        })
    }

    /// Opens the brokerage of `--store` with its key, on the drill clock if `--now` was given.
    pub fn open(&self) -> Result<Brokerage> {
        let dir = self.store_dir()?;
        let settings_path = dir.join(SETTINGS_FILE);
        let text = std::fs::read_to_string(&settings_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CliError::input(
                    dir.display().to_string(),
                    "is not a custodia store (no custodia.json); run `custodia --store <dir> init` first",
                )
            } else {
                CliError::io("read", &settings_path)(e)
            }
        })?;
        let settings: Settings = serde_json::from_str(&text).map_err(|_| {
            CliError::input(
                settings_path.display().to_string(),
                "not a custodia settings file",
            )
        })?;
        let mut config = BrokerageConfig::sqlite(dir.join(STORE_FILE)).with_origin(settings.origin);
        if let Some(now) = self.now {
            config = config.with_clock(ManualClock::at(now));
        }
        let brokerage = Brokerage::open(config, &KeyFile::new(self.key_path()?))?;
        tracing::debug!(store = %dir.display(), "store opened");
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
