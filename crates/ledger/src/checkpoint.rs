//! C2SP `tlog-checkpoint` bodies, signed checkpoints, and the trust policy (log keys plus a witness threshold).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::LedgerError;
use crate::hash::MerkleHash;
use crate::note::{
    NoteSigner, NoteVerifier, SignatureKind, SignedNote, VerifiedSignature, is_forbidden_in_note,
};

/// The prefix of the optional extension line that carries a checkpoint's time: `time <POSIX seconds>`,
/// written like the time line of a C2SP cosignature. Being part of the note text it is covered by the
/// log's signature; verifiers that do not know it ignore it, as tlog-checkpoint requires of extension
/// lines. tlog-checkpoint marks extension lines NOT RECOMMENDED (log monitors cannot audit them), so
/// checkpoints carry none unless asked ([`Checkpoint::with_time`], `Log::checkpoint_with_time`); notes
/// that carry one still parse.
const TIME_EXTENSION: &str = "time ";

/// A checkpoint body (C2SP tlog-checkpoint): origin, tree size, root hash, and optional extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: MerkleHash,
    extensions: Vec<String>,
}

/// A line of a checkpoint body: non-empty (tlog-checkpoint) and free of the ASCII control characters no
/// note may hold (signed-note; DEL and C1 characters are allowed there, so they are here).
fn check_line(line: &str, field: &'static str) -> Result<(), LedgerError> {
    if line.is_empty() || line.chars().any(|c| is_forbidden_in_note(c) || c == '\n') {
        return Err(LedgerError::CheckpointSyntax { field });
    }
    Ok(())
}

impl Checkpoint {
    /// A checkpoint for the tree of `size` leaves with `root`, issued by the log `origin` (non-empty, no
    /// ASCII control characters; tlog-checkpoint recommends a schema-less URL such as
    /// `broker.example/ledger`), with no extension line.
    pub fn new(origin: &str, size: u64, root: MerkleHash) -> Result<Self, LedgerError> {
        check_line(origin, "origin")?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The same checkpoint carrying its issue time in a `time <seconds>` extension line (whole seconds;
    /// the fraction is dropped). Optional and off by default: tlog-checkpoint marks extension lines NOT
    /// RECOMMENDED, because monitors cannot audit them. Refuses times before 1970 and a second time line.
    pub fn with_time(&self, time: DateTime<Utc>) -> Result<Self, LedgerError> {
        if self.time()?.is_some() {
            return Err(LedgerError::CheckpointSyntax {
                field: "time extension",
            });
        }
        let seconds = u64::try_from(time.timestamp()).map_err(|_| LedgerError::CheckpointSyntax {
            field: "time extension",
        })?;
        let mut out = self.clone();
        out.extensions.push(format!("{TIME_EXTENSION}{seconds}"));
        Ok(out)
    }

    /// Parses a note text strictly: origin line, decimal size with no leading zeros, canonical base64 of
    /// exactly 32 bytes, then non-empty extension lines, every line ending in a newline.
    pub fn parse(text: &str) -> Result<Self, LedgerError> {
        let bad = |field| LedgerError::CheckpointSyntax { field };
        let body = text.strip_suffix('\n').ok_or(bad("final newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().ok_or(bad("origin"))?;
        check_line(origin, "origin")?;
        let size_line = lines.next().ok_or(bad("tree size"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(bad("tree size"));
        }
        let size: u64 = size_line.parse().map_err(|_| bad("tree size"))?;
        let root_line = lines.next().ok_or(bad("root hash"))?;
        let root_bytes = STANDARD.decode(root_line).map_err(|_| bad("root hash"))?;
        if STANDARD.encode(&root_bytes) != root_line {
            return Err(bad("root hash"));
        }
        let root = MerkleHash::from_slice(&root_bytes).ok_or(bad("root hash"))?;
        let mut extensions = Vec::new();
        for line in lines {
            check_line(line, "extension line")?;
            extensions.push(line.to_owned());
        }
        let checkpoint = Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        };
        checkpoint.time()?;
        Ok(checkpoint)
    }

    /// The note text: exactly the bytes the log signs.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root.as_bytes())
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash at that size.
    pub fn root(&self) -> &MerkleHash {
        &self.root
    }

    /// The extension lines, opaque, in order.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The time carried in a `time <seconds>` extension line, if there is one. A malformed time line or
    /// two of them is an error, not "no time".
    pub fn time(&self) -> Result<Option<DateTime<Utc>>, LedgerError> {
        let bad = || LedgerError::CheckpointSyntax {
            field: "time extension",
        };
        let mut found = None;
        for line in &self.extensions {
            if let Some(digits) = line.strip_prefix(TIME_EXTENSION) {
                if found.is_some()
                    || digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || (digits.len() > 1 && digits.starts_with('0'))
                {
                    return Err(bad());
                }
                let seconds: i64 = digits.parse().map_err(|_| bad())?;
                found = Some(DateTime::from_timestamp(seconds, 0).ok_or_else(bad)?);
            }
        }
        Ok(found)
    }
}

/// A checkpoint and the signed note that carries it. Parsing is byte-exact both ways.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: SignedNote,
}

impl SignedCheckpoint {
    /// Signs `checkpoint` with the log's key ([`SignatureKind::Ed25519`]).
    pub fn sign(checkpoint: Checkpoint, signer: &NoteSigner) -> Result<Self, LedgerError> {
        if signer.verifier().kind() != SignatureKind::Ed25519 {
            return Err(LedgerError::VerifierKey {
                what: "a checkpoint is signed with an ed25519 log key, not a cosignature key",
            });
        }
        // The log signer ignores the time argument; the time travels in the checkpoint's text.
        let note = signer.sign(&checkpoint.to_text(), DateTime::<Utc>::UNIX_EPOCH)?;
        Ok(Self { checkpoint, note })
    }

    /// Parses the exact bytes of a signed checkpoint note. Does not verify any signature: call
    /// [`SignedCheckpoint::verify`] before trusting what it says.
    pub fn parse(bytes: &[u8]) -> Result<Self, LedgerError> {
        let note = SignedNote::parse(bytes)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(Self { checkpoint, note })
    }

    /// A witness's cosignature added (C2SP tlog-cosignature, timestamped Ed25519).
    pub fn cosigned(&self, witness: &NoteSigner, time: DateTime<Utc>) -> Result<Self, LedgerError> {
        Ok(Self {
            checkpoint: self.checkpoint.clone(),
            note: witness.cosign(&self.note, time)?,
        })
    }

    /// The exact note bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }

    /// The checkpoint. Unverified until [`SignedCheckpoint::verify`] says otherwise.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The signed note.
    pub fn note(&self) -> &SignedNote {
        &self.note
    }

    /// Verifies the checkpoint against `policy`: at least one trusted log key must have signed, every
    /// signature by a trusted key must verify, at least the policy's threshold of distinct trusted
    /// witnesses must have cosigned, and the checkpoint's origin must be the policy's origin
    /// ([`LedgerError::OriginMismatch`] otherwise: a key trusted for one log vouches for no other).
    pub fn verify(&self, policy: &TrustPolicy) -> Result<VerifiedCheckpoint, LedgerError> {
        let mut trusted: Vec<NoteVerifier> = policy.log_keys.clone();
        trusted.extend(policy.witnesses.iter().cloned());
        let verified = self.note.verify(&trusted)?;
        let by_log = verified.iter().any(|v| policy.log_keys.contains(v.verifier()));
        if !by_log {
            return Err(LedgerError::Untrusted);
        }
        let witnesses = verified
            .iter()
            .filter(|v| policy.witnesses.contains(v.verifier()))
            .count();
        if witnesses < policy.witness_threshold {
            return Err(LedgerError::WitnessThreshold {
                required: policy.witness_threshold,
                verified: witnesses,
            });
        }
        // Checked after the signatures, so that an unsigned note learns nothing about the policy.
        if self.checkpoint.origin != policy.origin {
            return Err(LedgerError::OriginMismatch {
                expected: policy.origin.clone(),
            });
        }
        Ok(VerifiedCheckpoint {
            checkpoint: self.checkpoint.clone(),
            signatures: verified,
        })
    }
}

impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.note, f)
    }
}

impl Serialize for SignedCheckpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SignedCheckpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SignedCheckpoint::parse(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// A checkpoint whose signatures satisfied a [`TrustPolicy`]: its root may be used to check proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    signatures: Vec<VerifiedSignature>,
}

impl VerifiedCheckpoint {
    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The signatures that verified (log and witnesses).
    pub fn signatures(&self) -> &[VerifiedSignature] {
        &self.signatures
    }
}

/// Whom to trust for checkpoints, and of which log: the log's origin (its identity, the first line of
/// every checkpoint it signs), the log's key(s) (several during a key rotation), the witnesses, and how
/// many distinct witnesses must have cosigned. A checkpoint signed by a trusted key for another origin is
/// refused: a broker that runs two logs under one key cannot pass one log's checkpoint off as the other's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustPolicy {
    origin: String,
    log_keys: Vec<NoteVerifier>,
    witnesses: Vec<NoteVerifier>,
    witness_threshold: usize,
}

impl TrustPolicy {
    /// A policy for the log `origin` with only log keys and no witness requirement.
    pub fn log_only(origin: &str, log_keys: Vec<NoteVerifier>) -> Result<Self, LedgerError> {
        Self::new(origin, log_keys, Vec::new(), 0)
    }

    /// A policy for the log `origin`. Refuses an origin that is not a checkpoint origin line (empty, or
    /// holding an ASCII control character), an empty log key list, a log key that is not
    /// [`SignatureKind::Ed25519`], a witness key that is not a [`SignatureKind::Cosignature`] key, and a
    /// threshold above the number of witnesses (a policy that nothing could ever satisfy).
    pub fn new(
        origin: &str,
        log_keys: Vec<NoteVerifier>,
        witnesses: Vec<NoteVerifier>,
        witness_threshold: usize,
    ) -> Result<Self, LedgerError> {
        check_line(origin, "origin")?;
        if log_keys.is_empty() {
            return Err(LedgerError::VerifierKey {
                what: "trust policy has no log key",
            });
        }
        if log_keys.iter().any(|k| k.kind() != SignatureKind::Ed25519) {
            return Err(LedgerError::VerifierKey {
                what: "log key is not an ed25519 note key",
            });
        }
        if witnesses.iter().any(|k| k.kind() != SignatureKind::Cosignature) {
            return Err(LedgerError::VerifierKey {
                what: "witness key is not a cosignature key",
            });
        }
        if witness_threshold > witnesses.len() {
            return Err(LedgerError::WitnessThreshold {
                required: witness_threshold,
                verified: witnesses.len(),
            });
        }
        Ok(Self {
            origin: origin.to_owned(),
            log_keys,
            witnesses,
            witness_threshold,
        })
    }

    /// The origin of the one log this policy trusts checkpoints of.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The trusted log keys.
    pub fn log_keys(&self) -> &[NoteVerifier] {
        &self.log_keys
    }

    /// The trusted witnesses.
    pub fn witnesses(&self) -> &[NoteVerifier] {
        &self.witnesses
    }

    /// How many distinct witnesses must cosign.
    pub fn witness_threshold(&self) -> usize {
        self.witness_threshold
    }
}
