//! # custodia-ledger
//!
//! The tamper-evident memory of custodia. Consent events, destruction certificates, transfer receipts
//! and access records all land here as **opaque payloads** in an append-only Merkle log: the RFC 9162
//! §2.1 tree (leaf `SHA-256(0x00 ‖ …)`, node `SHA-256(0x01 ‖ left ‖ right)`, shape fixed by the size
//! alone), with inclusion and consistency proofs and checkpoints signed in the C2SP `tlog-checkpoint` /
//! `signed-note` format that Go's checksum database, Sigstore and the public witness network read. A
//! consent receipt that carries its [`InclusionProof`] and a [`SignedCheckpoint`] can be checked offline
//! by a customer or a regulator with nothing but this crate's free functions — or any RFC 9162 verifier.
//! The bytes — leaves, proofs and their JSON, redaction records, checkpoints — are specified language-neutrally
//! in `spec/ledger.md` and `spec/checkpoint.md`, every payload kind in `spec/ledger-payloads.md`.
//!
//! ## The key decision: blinded, redactable leaves
//!
//! Every entry is hashed with a fresh random 32-byte salt, `leaf = SHA-256(0x00 ‖ salt ‖ payload)`, and
//! the salt and payload are stored beside the leaf hash. [`Log::redact`] deletes an entry's salt and
//! payload and keeps its leaf hash, so every root, proof and checkpoint still verifies, while the erased
//! entry can no longer be linked to anyone by guessing its content (without the salt, a guess cannot be
//! checked against the hash). That is how a log that must never be rewritten coexists with the right to
//! deletion (PIPL Art 47; GDPR Art 17). The redaction itself is recorded as a later entry
//! ([`RedactionRecord`]: the index, its leaf hash and the caller's reason), which can never be redacted,
//! so an erasure is always accounted for. Because the salt is simply the first 32 bytes of the RFC 9162
//! leaf data, external verifiers need no change.
//!
//! ## Other decisions
//!
//! - **Storage is a seam.** [`LogStore`] is a small trait (append a batch at an expected start index —
//!   which is what stops two writers forking the tree — read entries and node hashes, redact, keep
//!   checkpoints); [`MemoryStore`] implements it here, SQLite and PostgreSQL in `custodia-store`. The
//!   store keeps every complete perfect-subtree hash, so appends cost amortized O(1) hashing (one leaf
//!   hash plus, on average, one node hash per entry) and any root or proof at any past size is at most two
//!   node reads per tree level, in one batched read, even right after a restart. The cost is under 32
//!   bytes of node hashes per entry (see [`LogStore`] and [`MemoryStore`] for the full per-entry budget).
//! - **Sign what you store.** Checkpoints are stored as the exact signed note bytes; parsing and
//!   serializing are byte-exact inverses, and anything not in the C2SP grammar is refused, never repaired.
//!   Checkpoints carry no extension line unless asked ([`Log::checkpoint_with_time`] adds a signed
//!   `time <seconds>` line; tlog-checkpoint marks extension lines NOT RECOMMENDED), and notes that carry
//!   one still parse. DEL and C1 characters are accepted where signed-note allows them (it forbids only
//!   ASCII controls below U+0020 other than newline). Witnesses add C2SP `cosignature/v1` lines; a
//!   [`TrustPolicy`] binds one log origin and demands that log's key and a threshold of distinct trusted
//!   witnesses, so a checkpoint signed by a trusted key for another origin is refused.
//! - **Retried appends never duplicate.** A store checks inside the append's transaction whether the
//!   batch's salted leaves are already at its start index, and [`Log::append`] retries a failed batch
//!   with the same salts, so an append whose commit outcome was lost can be retried safely.
//! - **Verification names the place.** [`Log::verify`] recomputes every unredacted leaf, every stored
//!   node and every checkpoint root, checks each earlier checkpoint against the latest by consistency
//!   proof, and reports the first bad index ([`LedgerError::Tampered`]), not just "invalid".
//! - **The verifiers are written from the RFC.** [`verify_inclusion`] and [`verify_consistency`] follow
//!   RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, and are differential-tested against `ct-merkle`.
//!
//! ## What this crate must not do
//!
//! It knows nothing about customers and must never receive plaintext personal information as a payload:
//! only pseudonymous ids, categories and digests (the architecture invariant "custodia-ledger never
//! sees plaintext PII"). It depends on `custodia-crypto` for Ed25519 and randomness (its leaf salts come
//! from [`custodia_crypto::random`]) and on `ring` for SHA-256 only, and on no database, no clock (times come in as arguments) and no other custodia crate.
//! It prints nothing; long work ([`Log::verify_with_progress`]) reports through the caller's callback, with
//! the one progress event of the workspace (`custodia_model::Progress`).
//!
//! ## Example
//!
//! ```
//! use custodia_crypto::SigningKey;
//! use custodia_ledger::{
//!     Log, MemoryStore, NoteSigner, SignatureKind, SignedCheckpoint, TrustPolicy, verify_inclusion,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let signer = NoteSigner::new("broker.example/ledger", SignatureKind::Ed25519, SigningKey::generate()?)?;
//! let mut log = Log::new(MemoryStore::new())?;
//!
//! // A batch of opaque records: pseudonymous ids and digests, never plaintext PII.
//! let appended = log.append(&[b"consent c-17 granted purpose=claims", b"access a-9 by staff s-2"])?;
//! let checkpoint = log.checkpoint(&signer, "broker.example/ledger")?;
//!
//! // What a receipt carries: the entry's leaf hash, its inclusion proof and the signed checkpoint.
//! let index = appended.first_index();
//! let leaf = *log.entry(index)?.leaf_hash();
//! let proof = log.inclusion_proof(index, checkpoint.checkpoint().size())?;
//! let note_bytes = checkpoint.to_bytes();
//!
//! // Offline, the customer trusts only the broker's public key, for the broker's log.
//! let policy = TrustPolicy::log_only("broker.example/ledger", vec![signer.verifier().clone()])?;
//! let verified = SignedCheckpoint::parse(&note_bytes)?.verify(&policy)?;
//! // The tree size comes from the verified checkpoint, never from the proof: a proof that claims another
//! // size than the signed one is not a proof of inclusion in the signed tree.
//! let size = verified.checkpoint().size();
//! verify_inclusion(&leaf, proof.index(), size, proof.path(), verified.checkpoint().root())?;
//!
//! // Erasure: salt and payload go, the leaf hash and every proof stay valid, a record is appended.
//! let record = log.redact(index, b"erasure request e-4 (PIPL Art 47)")?;
//! assert!(log.entry(index)?.is_redacted());
//! assert_eq!(record, 2);
//! let after = log.inclusion_proof(index, size)?;
//! verify_inclusion(&leaf, index, size, after.path(), verified.checkpoint().root())?;
//! log.checkpoint(&signer, "broker.example/ledger")?;
//! let whole = log.verify(&policy)?;
//! assert_eq!((whole.size(), whole.redacted()), (3, 1));
//! # Ok(())
//! # }
//! ```

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
pub use store::{Entry, EntryContent, LogStore, NewEntry, Sequenced, StoredCheckpoint, already_appended};
pub use tree::NodeId;
pub use verify::VerifiedLog;
