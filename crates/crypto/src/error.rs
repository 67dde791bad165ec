//! The one error type of custodia-crypto. Failures of decryption and authentication are deliberately opaque.

use custodia_model::{CustomerId, TransferId};

use crate::keyring::DekId;

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
    /// A key store backend failed (I/O, database, lock). The message comes from the backend and never
    /// contains key bytes.
    #[error("key store failed: {message}")]
    KeyStore {
        /// The backend's description of the failure.
        message: String,
    },
}
