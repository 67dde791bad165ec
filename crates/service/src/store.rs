//! Opening a store directory made by the CLI's `custodia --store <dir> init`: `store.sqlite`, the
//! `custodia.json` settings (the ledger origin) and, unless another key file is named, `root.key`. The
//! layout is the CLI's; custodia-brokerage has no opener of a store directory yet, so this reads the same
//! three files (the closing note of issue 21's first slice asks for the opener to move into the brokerage).

use std::path::{Path, PathBuf};

use custodia_brokerage::{Brokerage, BrokerageConfig, BrokerageError, KeyFile};
use serde::Deserialize;

/// The store's file inside the store directory.
pub const STORE_FILE: &str = "store.sqlite";
/// The key file inside the store directory when no other is named.
pub const KEY_FILE: &str = "root.key";
/// The settings written at `init`.
pub const SETTINGS_FILE: &str = "custodia.json";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    origin: String,
}

/// What can go wrong opening a store directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The settings file is missing or unreadable.
    #[error(
        "{path}: not a custodia store directory (no readable custodia.json); run `custodia --store <dir> init` first"
    )]
    NotAStore {
        /// The directory.
        path: String,
    },
    /// The settings file does not parse.
    #[error("{path} is not a custodia settings file")]
    BadSettings {
        /// The settings file.
        path: String,
    },
    /// The brokerage refused to open.
    #[error(transparent)]
    Brokerage(#[from] BrokerageError),
}

/// Opens the brokerage of store directory `dir` with the key file `key_file` (default `<dir>/root.key`).
pub fn open_store_dir(dir: &Path, key_file: Option<&Path>) -> Result<Brokerage, OpenError> {
    let settings_path = dir.join(SETTINGS_FILE);
    let text = std::fs::read_to_string(&settings_path).map_err(|_| OpenError::NotAStore {
        path: dir.display().to_string(),
    })?;
    let settings: Settings = serde_json::from_str(&text).map_err(|_| OpenError::BadSettings {
        path: settings_path.display().to_string(),
    })?;
    let key: PathBuf = key_file.map_or_else(|| dir.join(KEY_FILE), Path::to_path_buf);
    let config = BrokerageConfig::sqlite(dir.join(STORE_FILE)).with_origin(settings.origin);
    Ok(Brokerage::open(config, &KeyFile::new(key))?)
}
