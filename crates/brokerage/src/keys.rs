//! Where a brokerage's one secret comes from: a `KeySource` (a key file that refuses loose permissions, an environment variable for tests, a KMS later) — never the database.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use custodia_crypto::RootSecret;
use zeroize::Zeroizing;

use crate::error::BrokerageError;

/// Yields the brokerage's [`RootSecret`], from which custodia-crypto's `KeyHierarchy` derives every key:
/// the KEK keyring, the ledger's checkpoint key, the party signing key, the recipient key pair and the
/// blind-index key. The store never holds key material; a copy of the database without the key source
/// opens nothing.
///
/// Implement it for a KMS or an HSM that releases (or unwraps) a 32-byte secret; [`KeyFile`] and
/// [`EnvKeySource`] are the two built in.
pub trait KeySource {
    /// The root secret. Called once per [`crate::Brokerage::open`].
    fn root_secret(&self) -> Result<RootSecret, BrokerageError>;

    /// A name for errors and logs (a path, a variable's name, a key id): never the secret.
    fn name(&self) -> String;
}

/// A root secret in a file of its own: 64 lower-case hex digits and an optional newline (the shape of
/// `openssl rand -hex 32`). Reading refuses, naming the path, a file that its group or others may read or
/// write (unix `mode & 0o077 != 0`), a file that is not a regular file, and a file of another size or
/// format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    /// The key file at `path`, read when the brokerage opens.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Writes a fresh random root secret to a new file at `path` with mode 0600 (owner read and write
    /// only) and syncs it. Refuses with [`BrokerageError::KeyFileExists`] if anything is at `path`: a
    /// key is never overwritten (that would orphan every customer it protects).
    pub fn create(path: impl Into<PathBuf>) -> Result<Self, BrokerageError> {
        let path = path.into();
        let secret = RootSecret::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                BrokerageError::KeyFileExists {
                    path: path.display().to_string(),
                }
            } else {
                BrokerageError::io(&path, "create key file")(e)
            }
        })?;
        let mut text = Zeroizing::new(hex::encode(secret.expose_secret()));
        text.push('\n');
        file.write_all(text.as_bytes())
            .map_err(BrokerageError::io(&path, "write key file"))?;
        file.sync_all()
            .map_err(BrokerageError::io(&path, "sync key file"))?;
        Ok(Self { path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KeySource for KeyFile {
    fn root_secret(&self) -> Result<RootSecret, BrokerageError> {
        let path = self.path.display().to_string();
        let meta = std::fs::metadata(&self.path).map_err(BrokerageError::io(&self.path, "read key file"))?;
        if !meta.is_file() {
            return Err(BrokerageError::KeyFileMalformed {
                path,
                reason: "not a regular file",
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(BrokerageError::KeyFileExposed { path, mode });
            }
        }
        if meta.len() > 65 {
            return Err(BrokerageError::KeyFileMalformed {
                path,
                reason: "longer than 64 hex digits and a newline",
            });
        }
        let bytes = Zeroizing::new(
            std::fs::read(&self.path).map_err(BrokerageError::io(&self.path, "read key file"))?,
        );
        parse_hex_secret(&bytes).map_err(|reason| BrokerageError::KeyFileMalformed { path, reason })
    }

    fn name(&self) -> String {
        format!("key file {}", self.path.display())
    }
}

/// A root secret in an environment variable as 64 hex digits: for tests and throwaway runs, where a key
/// file is more ceremony than the data deserves. A production brokerage uses a [`KeyFile`] or a KMS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvKeySource {
    variable: String,
}

impl EnvKeySource {
    /// The secret in the environment variable `variable`.
    pub fn new(variable: impl Into<String>) -> Self {
        Self {
            variable: variable.into(),
        }
    }
}

impl KeySource for EnvKeySource {
    fn root_secret(&self) -> Result<RootSecret, BrokerageError> {
        let value = Zeroizing::new(std::env::var(&self.variable).map_err(|_| {
            BrokerageError::KeyVariableMissing {
                variable: self.variable.clone(),
            }
        })?);
        parse_hex_secret(value.as_bytes()).map_err(|reason| BrokerageError::KeyVariableMalformed {
            variable: self.variable.clone(),
            reason,
        })
    }

    fn name(&self) -> String {
        format!("environment variable {}", self.variable)
    }
}

/// 64 hex digits, optionally followed by one newline, as a root secret.
fn parse_hex_secret(text: &[u8]) -> Result<RootSecret, &'static str> {
    let digits = text.strip_suffix(b"\n").unwrap_or(text);
    if digits.len() != 64 {
        return Err("expected exactly 64 hex digits");
    }
    let bytes = Zeroizing::new(hex::decode(digits).map_err(|_| "not hex")?);
    RootSecret::from_slice(&bytes).map_err(|_| "not 32 bytes")
}

/// A root secret the program already holds — fetched from a KMS or unwrapped by an HSM before the
/// brokerage opens — kept in zeroizing memory (tests use it with fixed bytes, to open one brokerage many
/// times without a file). `Debug` is redacted.
pub struct StaticKeySource(Zeroizing<[u8; 32]>);

impl StaticKeySource {
    /// A source that always yields `bytes`.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

impl KeySource for StaticKeySource {
    fn root_secret(&self) -> Result<RootSecret, BrokerageError> {
        Ok(RootSecret::from_slice(self.0.as_ref())?)
    }

    fn name(&self) -> String {
        "static key source".to_owned()
    }
}

impl fmt::Debug for StaticKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticKeySource([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_secrets_parse_exactly() {
        let good = "ab".repeat(32);
        assert!(parse_hex_secret(good.as_bytes()).is_ok());
        assert!(parse_hex_secret(format!("{good}\n").as_bytes()).is_ok());
        assert!(parse_hex_secret(format!("{good}\n\n").as_bytes()).is_err());
        assert!(parse_hex_secret(&good.as_bytes()[..62]).is_err());
        assert!(parse_hex_secret("zz".repeat(32).as_bytes()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_refused_and_one_is_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let file = KeyFile::create(&path).unwrap();
        assert!(file.root_secret().is_ok());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            KeyFile::create(&path),
            Err(BrokerageError::KeyFileExists { .. })
        ));
        for loose in [0o640, 0o604, 0o660, 0o644] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
            match file.root_secret() {
                Err(BrokerageError::KeyFileExposed { path: p, mode }) => {
                    assert_eq!((p, mode), (path.display().to_string(), loose));
                }
                other => panic!("{loose:o}: {other:?}"),
            }
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(file.root_secret().is_ok());
        let short = dir.path().join("short.key");
        std::fs::write(&short, "abcd\n").unwrap();
        std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            KeyFile::new(&short).root_secret(),
            Err(BrokerageError::KeyFileMalformed { .. })
        ));
        assert!(matches!(
            KeyFile::new(dir.path().join("missing")).root_secret(),
            Err(BrokerageError::Io { .. })
        ));
    }
}
