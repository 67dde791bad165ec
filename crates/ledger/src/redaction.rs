//! The redaction record: the entry the log appends when it erases another entry's salt and payload.

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::hash::{HASH_LEN, MerkleHash};

/// Every redaction record's payload starts with this tag, and no other payload may (appends refuse it),
/// so a redaction record cannot be forged by an ordinary append.
pub const REDACTION_TAG: &[u8] = b"\x00custodia-ledger redaction v1\n";

/// The record of one redaction: which entry, its leaf hash (so the record pins exactly what was erased),
/// and the caller's opaque reason (for example a pseudonymous erasure request id and the article relied
/// on, PIPL Art 47; never the erased content itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionRecord {
    target: u64,
    target_leaf_hash: MerkleHash,
    reason: Vec<u8>,
}

impl RedactionRecord {
    pub(crate) fn new(target: u64, target_leaf_hash: MerkleHash, reason: &[u8]) -> Self {
        Self {
            target,
            target_leaf_hash,
            reason: reason.to_vec(),
        }
    }

    /// Reads a payload: `Ok(None)` if it is not a redaction record at all, an error if it carries the tag
    /// but is malformed.
    pub fn from_payload(payload: &[u8]) -> Result<Option<Self>, LedgerError> {
        let Some(rest) = payload.strip_prefix(REDACTION_TAG) else {
            return Ok(None);
        };
        let (target, rest) = rest
            .split_first_chunk::<8>()
            .ok_or(LedgerError::RedactionRecordSyntax { what: "target index" })?;
        let (hash, reason) =
            rest.split_first_chunk::<HASH_LEN>()
                .ok_or(LedgerError::RedactionRecordSyntax {
                    what: "target leaf hash",
                })?;
        let target = u64::from_be_bytes(*target);
        let target_leaf_hash = MerkleHash::from_bytes(*hash);
        Ok(Some(Self {
            target,
            target_leaf_hash,
            reason: reason.to_vec(),
        }))
    }

    /// The payload bytes: tag ‖ target index (8 bytes, big-endian) ‖ target leaf hash ‖ reason.
    pub fn to_payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(REDACTION_TAG.len() + 8 + HASH_LEN + self.reason.len());
        out.extend_from_slice(REDACTION_TAG);
        out.extend_from_slice(&self.target.to_be_bytes());
        out.extend_from_slice(self.target_leaf_hash.as_bytes());
        out.extend_from_slice(&self.reason);
        out
    }

    /// The redacted entry's index.
    pub fn target(&self) -> u64 {
        self.target
    }

    /// The redacted entry's leaf hash.
    pub fn target_leaf_hash(&self) -> &MerkleHash {
        &self.target_leaf_hash
    }

    /// The caller's reason bytes.
    pub fn reason(&self) -> &[u8] {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_malformed_ones_are_named() {
        let record = RedactionRecord::new(7, MerkleHash::from_bytes([5; HASH_LEN]), b"erasure e-9");
        let payload = record.to_payload();
        assert_eq!(RedactionRecord::from_payload(&payload).unwrap(), Some(record));
        assert_eq!(RedactionRecord::from_payload(b"ordinary payload").unwrap(), None);
        let cut = &payload[..REDACTION_TAG.len() + 4];
        assert_eq!(
            RedactionRecord::from_payload(cut),
            Err(LedgerError::RedactionRecordSyntax { what: "target index" })
        );
        let cut = &payload[..REDACTION_TAG.len() + 8 + 31];
        assert_eq!(
            RedactionRecord::from_payload(cut),
            Err(LedgerError::RedactionRecordSyntax {
                what: "target leaf hash"
            })
        );
    }
}
