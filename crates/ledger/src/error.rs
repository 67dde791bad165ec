//! The one error type of custodia-ledger, including the "tampered at index N" report of whole-log verification.

use custodia_crypto::BackendFailure;
use serde::{Deserialize, Serialize};

/// Everything that can go wrong in the ledger. Bad input is a typed error naming the field, index or size
/// that failed; a storage backend's own failure travels as [`LedgerError::Store`] with the backend's
/// error as its source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The storage backend failed. This is how every [`crate::LogStore`] implementation reports its own
    /// failures, so that consumers stay generic over the store; the backend's error is the `source`
    /// (for `custodia-store`, a `custodia_store::StoreError`: walk `source()` and downcast to tell a busy
    /// database from a corrupt one).
    #[error("log store failed")]
    Store {
        /// The backend's error.
        #[source]
        source: BackendFailure,
    },
    /// An append was refused because the store's size is not the size the writer expected: another writer
    /// appended first. Nothing was written; the writer must re-read the log before it tries again, so
    /// that two writers can never fork the tree.
    #[error("append conflict: expected log size {expected}, store has {actual}")]
    Conflict {
        /// The size the writer expected (its start index).
        expected: u64,
        /// The size the store actually has.
        actual: u64,
    },
    /// An entry index at or beyond the tree size.
    #[error("index {index} is outside a log of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size it was checked against.
        size: u64,
    },
    /// A tree size larger than the log.
    #[error("tree size {size} exceeds the log size {log_size}")]
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// The log's current size.
        log_size: u64,
    },
    /// A consistency proof was asked for with the old size larger than the new one.
    #[error("consistency from size {old_size} to smaller size {new_size}")]
    SizesSwapped {
        /// The old size.
        old_size: u64,
        /// The new size.
        new_size: u64,
    },
    /// The entry's salt and payload are gone: it was redacted (PIPL Art 47 erasure).
    #[error("entry {index} is redacted")]
    Redacted {
        /// The redacted entry.
        index: u64,
    },
    /// A redaction record cannot itself be redacted: it is the lasting account that an erasure happened
    /// (PIPL Art 47), and it holds no personal data (an index, a leaf hash and the caller's reason).
    #[error("entry {index} is a redaction record and cannot be redacted")]
    RedactionRecordKept {
        /// The redaction record's index.
        index: u64,
    },
    /// A payload begins with the ledger's reserved redaction-record tag, which only [`crate::Log::redact`]
    /// may write (otherwise a caller could forge a redaction record).
    #[error("payload {position} of the batch starts with the reserved redaction tag")]
    ReservedPayload {
        /// Position of the offending payload in the batch.
        position: usize,
    },
    /// A stored row is malformed (wrong hash or salt length, missing node). The store is corrupt or
    /// tampered; whole-log verification says where.
    #[error("stored {what} at {index} is malformed")]
    CorruptStore {
        /// Which kind of stored value.
        what: &'static str,
        /// Its index (entry index, or node index within its level).
        index: u64,
    },
    /// A payload carries the redaction tag but is not a well-formed redaction record.
    #[error("malformed redaction record: {what}")]
    RedactionRecordSyntax {
        /// Which part is missing or malformed.
        what: &'static str,
    },
    /// The system random generator failed while drawing salts.
    #[error("system random generator failed")]
    Random,
    /// A signed note is not byte-exact C2SP `signed-note` syntax.
    #[error("malformed signed note: {what}")]
    NoteSyntax {
        /// Which rule the note broke.
        what: &'static str,
    },
    /// A checkpoint body is not byte-exact C2SP `tlog-checkpoint` syntax.
    #[error("malformed checkpoint {field}")]
    CheckpointSyntax {
        /// Which line or field is malformed.
        field: &'static str,
    },
    /// A key name is empty or contains a Unicode space, a `+` or an ASCII control character (C2SP
    /// signed-note).
    #[error("invalid note key name {name:?}")]
    KeyName {
        /// The refused name.
        name: String,
    },
    /// A verifier key string (`name+hash+base64`) is malformed.
    #[error("malformed verifier key: {what}")]
    VerifierKey {
        /// What is wrong with it.
        what: &'static str,
    },
    /// A signature line from a trusted key did not verify. Opaque on purpose: it names the key, never why.
    #[error("signature by trusted key {key_name} does not verify")]
    BadSignature {
        /// The trusted key's name.
        key_name: String,
    },
    /// No signature from any trusted log key verified (C2SP signed-note: the note must be rejected).
    #[error("note carries no valid signature from a trusted log key")]
    Untrusted,
    /// A checkpoint verified under a trusted log key, but for another log than the one the trust policy
    /// names: a key trusted for one origin vouches for that log only (C2SP tlog-checkpoint: the origin is
    /// the log's identity).
    #[error("checkpoint is for another log than {expected}")]
    OriginMismatch {
        /// The origin the trust policy accepts.
        expected: String,
    },
    /// Fewer trusted witness cosignatures verified than the policy demands.
    #[error("only {verified} of {required} required witness cosignatures verified")]
    WitnessThreshold {
        /// How many the policy demands.
        required: usize,
        /// How many verified.
        verified: usize,
    },
    /// A proof does not verify (RFC 9162 §2.1.3.2 or §2.1.4.2); `what` names the failed check.
    #[error("proof does not verify: {what}")]
    BadProof {
        /// The failed check.
        what: &'static str,
    },
    /// Whole-log verification found the log inconsistent with itself or its signed checkpoints.
    #[error("log verification failed at index {first_bad_index:?}: {failure}")]
    Tampered {
        /// The first entry index known to be bad, where one can be named (none when, for example, a
        /// checkpoint's own bytes are bad).
        first_bad_index: Option<u64>,
        /// What was found.
        failure: Tamper,
    },
}

impl LedgerError {
    /// A log store backend's failure, keeping the backend's error as the source.
    pub fn store(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        LedgerError::Store {
            source: BackendFailure::new(error),
        }
    }
}

/// A failure inside this crate's own store code (the in-memory store, or a store that broke the
/// [`crate::LogStore`] contract), carried as the source of [`LedgerError::Store`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StoreFault(pub(crate) String);

/// What whole-log verification found wrong. A data type, not an error of its own: it travels inside
/// [`LedgerError::Tampered`] with the first bad index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum Tamper {
    /// An unredacted entry's salt and payload no longer hash to its stored leaf hash.
    #[error("entry {index} does not hash to its stored leaf hash")]
    LeafMismatch {
        /// The entry.
        index: u64,
    },
    /// A stored interior node differs from the hash recomputed from the leaves beneath it.
    #[error("stored node at level {level} index {index} differs from its recomputed hash")]
    NodeMismatch {
        /// Height of the node (1 = parent of two leaves).
        level: u8,
        /// Position of the node within its level.
        index: u64,
    },
    /// An entry is redacted but no later redaction record names it with its leaf hash.
    #[error("entry {index} is redacted without a matching later redaction record")]
    UnrecordedRedaction {
        /// The entry.
        index: u64,
    },
    /// An entry carries the redaction tag but is not a well-formed redaction record of an earlier entry.
    #[error("entry {index} is a malformed redaction record")]
    BadRedactionRecord {
        /// The entry.
        index: u64,
    },
    /// A stored checkpoint does not parse or its signatures do not satisfy the trust policy.
    #[error("checkpoint {position} is not validly signed: {reason}")]
    BadCheckpoint {
        /// Position of the checkpoint in the store's list.
        position: usize,
        /// Why (the underlying error's message).
        reason: String,
    },
    /// A signed checkpoint's root differs from the root recomputed from the stored leaves.
    #[error("checkpoint at size {size} does not match the recomputed root")]
    RootMismatch {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// A checkpoint is for a size larger than the log.
    #[error("checkpoint at size {size} is beyond the log size {log_size}")]
    CheckpointBeyondLog {
        /// The checkpoint's tree size.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// An earlier checkpoint is not consistent with the latest one by consistency proof.
    #[error("checkpoint at size {size} is inconsistent with the latest checkpoint")]
    Inconsistent {
        /// The earlier checkpoint's tree size.
        size: u64,
    },
}
