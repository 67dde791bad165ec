//! # custodia-ledger
//!
//! The tamper-evident memory of custodia: consent events, destruction certificates, transfer receipts and
//! access records all land here, as opaque payloads in an append-only RFC 9162 Merkle log with inclusion
//! and consistency proofs and Ed25519-signed C2SP checkpoints.
//!
//! Work in progress: the API below is in place and implemented; the tests, differential checks against
//! `ct-merkle` and the full essay follow.

mod checkpoint;
mod error;
mod hash;
mod log;
mod memory;
mod note;
mod proof;
mod redaction;
mod store;
mod tree;
mod verify;

pub use checkpoint::{Checkpoint, SignedCheckpoint, TrustPolicy, VerifiedCheckpoint};
pub use error::{LedgerError, Tamper};
pub use hash::{HASH_LEN, MerkleHash, SALT_LEN, Salt, empty_root, leaf_hash, node_hash};
pub use log::{Appended, Log};
pub use memory::MemoryStore;
pub use note::{
    MAX_NOTE_LEN, MAX_SIGNATURES, NoteSignature, NoteSigner, NoteVerifier, SignatureKind, SignedNote,
    VerifiedSignature,
};
pub use proof::{ConsistencyProof, InclusionProof, verify_consistency, verify_inclusion};
pub use redaction::{REDACTION_TAG, RedactionRecord};
pub use store::{Entry, EntryContent, LogStore, NewEntry, StoredCheckpoint};
pub use tree::NodeId;
pub use verify::{VerifiedLog, VerifyProgress};
