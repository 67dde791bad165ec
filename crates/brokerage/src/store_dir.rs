//! A store directory: the layout the operator CLI's `init` makes and every program that runs a brokerage
//! from it opens (the CLI, the service) — one SQLite file, the settings chosen at `init`, and, unless the
//! operator keeps it elsewhere, the root-secret key file. Kept here so that the CLI and the service read one
//! layout, not two copies of it.
//!
//! | file | what |
//! |---|---|
//! | `store.sqlite` | the store ([`BrokerageConfig::sqlite`]) |
//! | `custodia.json` | [`StoreSettings`]: the ledger's checkpoint origin, fixed for the life of the store |
//! | `root.key` | the root secret ([`crate::KeyFile`], mode 0600), when no other key file is named |

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::BrokerageConfig;
use crate::error::BrokerageError;
use crate::keys::KeyFile;

/// What `init` records next to the store, read at every open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// The ledger's checkpoint origin (C2SP tlog-checkpoint), fixed for the life of the store.
    pub origin: String,
}

/// A store directory (see the module docs for its files).
#[derive(Clone, Debug)]
pub struct StoreDir {
    dir: PathBuf,
}

impl StoreDir {
    /// The store's file inside the directory.
    pub const STORE_FILE: &'static str = "store.sqlite";
    /// The key file inside the directory when no other is named.
    pub const KEY_FILE: &'static str = "root.key";
    /// The settings written at `init`.
    pub const SETTINGS_FILE: &'static str = "custodia.json";

    /// The store directory at `dir` (nothing is read yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The SQLite file.
    pub fn store_file(&self) -> PathBuf {
        self.dir.join(Self::STORE_FILE)
    }

    /// The settings file.
    pub fn settings_file(&self) -> PathBuf {
        self.dir.join(Self::SETTINGS_FILE)
    }

    /// The key file when no other is named.
    pub fn default_key_file(&self) -> PathBuf {
        self.dir.join(Self::KEY_FILE)
    }

    /// Makes a new store directory: the directory if missing, a fresh key file at `key_file` (mode 0600,
    /// never over an existing one) and the settings with `origin`. Refused, with nothing written, when the
    /// directory already holds a store or its settings ([`BrokerageError::StoreDirInUse`]). The store
    /// itself is created by the first [`Brokerage::open`](crate::Brokerage::open) of [`StoreDir::config`].
    pub fn create(&self, origin: &str, key_file: &Path) -> Result<(), BrokerageError> {
        std::fs::create_dir_all(&self.dir).map_err(BrokerageError::io(&self.dir, "create"))?;
        let settings = self.settings_file();
        if settings.exists() || self.store_file().exists() {
            return Err(BrokerageError::StoreDirInUse {
                path: self.dir.display().to_string(),
            });
        }
        KeyFile::create(key_file)?;
        let text = serde_json::to_vec_pretty(&StoreSettings {
            origin: origin.to_owned(),
        })
        .map_err(|e| BrokerageError::InvalidInput {
            field: "origin",
            reason: e.to_string(),
        })?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&settings)
            .map_err(BrokerageError::io(&settings, "create"))?;
        file.write_all(&text)
            .map_err(BrokerageError::io(&settings, "write"))?;
        file.sync_all().map_err(BrokerageError::io(&settings, "sync"))
    }

    /// The settings recorded at `init`: [`BrokerageError::NotAStoreDir`] when there are none,
    /// [`BrokerageError::StoreSettingsMalformed`] when they do not parse (an unknown member included).
    pub fn settings(&self) -> Result<StoreSettings, BrokerageError> {
        let path = self.settings_file();
        let text = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                BrokerageError::NotAStoreDir {
                    path: self.dir.display().to_string(),
                }
            } else {
                BrokerageError::io(&path, "read")(e)
            }
        })?;
        serde_json::from_slice(&text).map_err(|_| BrokerageError::StoreSettingsMalformed {
            path: path.display().to_string(),
        })
    }

    /// The configuration that opens this directory's store with its recorded origin (add a clock or other
    /// settings to it before [`Brokerage::open`](crate::Brokerage::open)).
    pub fn config(&self) -> Result<BrokerageConfig, BrokerageError> {
        let settings = self.settings()?;
        Ok(BrokerageConfig::sqlite(self.store_file()).with_origin(settings.origin))
    }

    /// The configuration that opens the brokerage of this directory on PostgreSQL instead of its SQLite
    /// file: the schema of `config` at `url`, with the directory's recorded origin (several instances of
    /// one brokerage behind a load balancer each open the same settings, key file and schema). The
    /// directory's `store.sqlite` is not used.
    #[cfg(feature = "postgres")]
    pub fn postgres_config(
        &self,
        url: &str,
        config: custodia_store::PostgresConfig,
    ) -> Result<BrokerageConfig, BrokerageError> {
        let settings = self.settings()?;
        Ok(BrokerageConfig::postgres(url, config).with_origin(settings.origin))
    }

    /// The key file: `key_file` when named, else the directory's own.
    pub fn key_file(&self, key_file: Option<&Path>) -> PathBuf {
        key_file.map_or_else(|| self.default_key_file(), Path::to_path_buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_directory_opens_and_a_second_create_is_refused() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = StoreDir::new(tmp.path().join("seller"));
        assert!(matches!(dir.config(), Err(BrokerageError::NotAStoreDir { .. })));
        let key = dir.default_key_file();
        dir.create("seller.example/ledger", &key)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            dir.settings().unwrap_or_else(|e| panic!("{e}")).origin,
            "seller.example/ledger"
        );
        let b = crate::Brokerage::open(
            dir.config().unwrap_or_else(|e| panic!("{e}")),
            &KeyFile::new(dir.key_file(None)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        drop(b);
        assert!(matches!(
            dir.create("other", &key),
            Err(BrokerageError::StoreDirInUse { .. })
        ));
    }

    #[test]
    fn settings_with_an_unknown_member_are_refused_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = StoreDir::new(tmp.path());
        std::fs::write(dir.settings_file(), br#"{"origin": "o", "extra": 1}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        match dir.settings() {
            Err(BrokerageError::StoreSettingsMalformed { path }) => assert!(path.ends_with("custodia.json")),
            other => panic!("{other:?}"),
        }
    }
}
