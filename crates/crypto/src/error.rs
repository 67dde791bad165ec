//! The one error type of custodia-crypto (decryption failures deliberately opaque) and `BackendFailure`, the seams' error source.

use std::error::Error;
use std::sync::Arc;

use custodia_model::{CustomerId, DataCategory, TransferId};

use crate::keyring::DekId;

/// A storage backend's own error, carried whole by the storage seams' failure variants
/// ([`CryptoError::KeyStore`], [`CryptoError::Vault`], `custodia_ledger::LedgerError::Store`,
/// `custodia_transfer::TransferError::Storage`), so that a caller can tell a busy database from a corrupt
/// one without the seam naming a backend: walk [`std::error::Error::source`] and downcast, or call
/// [`BackendFailure::downcast_ref`].
///
/// It is not an error itself: it dereferences to the backend's error, and the variant that carries it
/// reports that error as its `source()`, so a chain reporter prints the backend's message exactly once.
///
/// Shared behind an `Arc` so that the error types that carry it stay `Clone`; two failures are equal
/// only if they are the same failure (a clone of it), never because their messages read alike.
///
/// ```
/// use custodia_crypto::{BackendFailure, CryptoError};
///
/// let busy = std::io::Error::new(std::io::ErrorKind::WouldBlock, "database is locked");
/// let error = CryptoError::KeyStore { source: BackendFailure::new(busy) };
/// assert_eq!(error.to_string(), "key store failed");
/// let cause = std::error::Error::source(&error).ok_or("no source")?;
/// assert_eq!(cause.to_string(), "database is locked");
/// assert!(cause.downcast_ref::<std::io::Error>().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct BackendFailure(Arc<dyn Error + Send + Sync + 'static>);

impl BackendFailure {
    /// Wraps a backend's error.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }

    /// Wraps an already boxed error.
    pub fn from_boxed(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        Self(Arc::from(error))
    }

    /// The backend's error.
    pub fn as_error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The backend's error as a `T`, if it is one (for example `custodia_store::StoreError`).
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl std::ops::Deref for BackendFailure {
    type Target = dyn Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::fmt::Debug for BackendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for BackendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for BackendFailure {
    /// The same failure (one value and its clones), not two failures that read alike: an equivalence, so
    /// the error enums that carry it can stay `Eq`.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BackendFailure {}

/// What went wrong in a cryptographic operation. Decryption and signature failures say only *that* they
/// failed, never why, so that no oracle leaks through error messages. Everything else names the field,
/// id or version that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Key material could not be parsed or has the wrong length.
    #[error("invalid {what} key material")]
    InvalidKey {
        /// Which kind of key was expected.
        what: &'static str,
    },
    /// A signature did not verify over the given bytes.
    #[error("signature verification failed")]
    BadSignature,
    /// The system random generator failed.
    #[error("system random generator failed")]
    Random,
    /// A ciphertext, wrapped key or sealed transfer key did not authenticate under the given key and
    /// context. Opaque on purpose: wrong key, wrong context and tampering look the same.
    #[error("decryption failed")]
    DecryptionFailed,
    /// The customer's keys were destroyed (crypto-shredding, PIPL Art 47); nothing of theirs can be opened
    /// again. Distinct from [`CryptoError::DecryptionFailed`] so callers can tell erasure from damage.
    #[error("keys of customer {customer} were destroyed")]
    KeyDestroyed {
        /// The customer whose keys are gone.
        customer: CustomerId,
    },
    /// The keyring holds no key-encryption key of this version.
    #[error("no key-encryption key of version {version} in the keyring")]
    UnknownKekVersion {
        /// The version asked for.
        version: u32,
    },
    /// The key-encryption key version is below the keyring's minimum decryption version: rewrap the key
    /// while the old version is still allowed, or restore it from backup.
    #[error("key-encryption key version {version} is retired: minimum decryption version is {minimum}")]
    KekRetired {
        /// The version the wrapped key needs.
        version: u32,
        /// The keyring's minimum decryption version.
        minimum: u32,
    },
    /// A keyring state would go backwards: a stored state's primary above the keyring's, or a state to
    /// save whose minimum or primary is below the stored one's (a stale keyring undoing a retirement).
    #[error("keyring state {field} would go back: stored {stored}, given {given}")]
    KeyringStateRegressed {
        /// Which version.
        field: &'static str,
        /// The stored value.
        stored: u32,
        /// The value given.
        given: u32,
    },
    /// The key-encryption key version already exists in the keyring.
    #[error("key-encryption key version {version} already exists")]
    DuplicateKekVersion {
        /// The version given twice.
        version: u32,
    },
    /// The primary key-encryption key has wrapped as many keys as its cap allows (random 96-bit nonces,
    /// NIST SP 800-38D §8.3): rotate the keyring.
    #[error("key-encryption key version {version} reached its wrap limit of {limit}: rotate the keyring")]
    WrapLimitReached {
        /// The exhausted version.
        version: u32,
        /// The cap in force.
        limit: u64,
    },
    /// Bytes from outside could not be decoded: wrong length, bad header or unknown tag.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Which part was wrong.
        reason: &'static str,
    },
    /// A binary format carries a version this build does not know.
    #[error("unsupported {what} format version {version}")]
    UnsupportedFormatVersion {
        /// What was being decoded.
        what: &'static str,
        /// The version byte found.
        version: u8,
    },
    /// An argument broke a documented precondition.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or field that was wrong.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A data key, wrapped key or section belongs to another customer than the one named.
    #[error("key belongs to customer {key_customer}, not {customer}")]
    CustomerMismatch {
        /// The customer the key belongs to.
        key_customer: CustomerId,
        /// The customer named by the caller.
        customer: CustomerId,
    },
    /// A sealed section was made with another data key than the one given; the section names the one it
    /// needs.
    #[error("section needs data key {needed}, got {given}")]
    WrongDataKey {
        /// The data key id in the section header.
        needed: DekId,
        /// The data key id of the key given.
        given: DekId,
    },
    /// A sealed transfer key or transfer-wrapped key is labelled with another transfer than the one
    /// being opened.
    #[error("made for transfer {found}, not {expected}")]
    TransferMismatch {
        /// The transfer being opened.
        expected: TransferId,
        /// The transfer the bytes are labelled with.
        found: TransferId,
    },
    /// No wrapped key with this id is stored for the customer.
    #[error("no data key {dek_id} stored for customer {customer}")]
    UnknownDataKey {
        /// The customer.
        customer: CustomerId,
        /// The missing data key.
        dek_id: DekId,
    },
    /// An internal invariant of this crate did not hold (a bug). Reported as an error instead of a panic.
    #[error("internal error in {what}")]
    Internal {
        /// Where the invariant failed.
        what: &'static str,
    },
    /// A key store backend failed (I/O, database, lock). The backend's error is the `source`; it names
    /// tables, customers and key ids but never key bytes.
    #[error("key store failed")]
    KeyStore {
        /// The backend's error (for `custodia-store`, a `custodia_store::StoreError`).
        #[source]
        source: BackendFailure,
    },
    /// A section vault backend failed (I/O, database, lock, a stored row that fails its check). The
    /// backend's error is the `source`.
    #[error("section vault failed")]
    Vault {
        /// The backend's error (for `custodia-store`, a `custodia_store::StoreError`).
        #[source]
        source: BackendFailure,
    },
    /// A sealed section was put at a record version that is not newer than the one already stored for
    /// the same customer and category. History is append-only: a correction is a new version (PIPL Art
    /// 46), never an overwrite, and the versions before it stay (an auditor asks what was known when).
    #[error(
        "section {category} of customer {customer} is at version {latest}; version {version} is not newer"
    )]
    StaleSectionVersion {
        /// The customer.
        customer: CustomerId,
        /// The category.
        category: DataCategory,
        /// The version that was refused.
        version: u64,
        /// The newest stored version.
        latest: u64,
    },
}

impl CryptoError {
    /// A key store backend's failure, keeping the backend's error as the source.
    pub fn key_store(error: impl Error + Send + Sync + 'static) -> Self {
        CryptoError::KeyStore {
            source: BackendFailure::new(error),
        }
    }

    /// A section vault backend's failure, keeping the backend's error as the source.
    pub fn vault(error: impl Error + Send + Sync + 'static) -> Self {
        CryptoError::Vault {
            source: BackendFailure::new(error),
        }
    }

    /// The backend's error behind a [`CryptoError::KeyStore`] or [`CryptoError::Vault`], if this is one.
    pub fn backend(&self) -> Option<&BackendFailure> {
        match self {
            CryptoError::KeyStore { source } | CryptoError::Vault { source } => Some(source),
            _ => None,
        }
    }
}
