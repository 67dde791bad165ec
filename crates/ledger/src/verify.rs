//! Whole-log verification: every leaf, every stored node, every redaction and every checkpoint, naming the first bad index.

use std::collections::{BTreeMap, HashMap};

use custodia_model::{Phase, Progress};

use crate::Log;
use crate::checkpoint::{SignedCheckpoint, TrustPolicy, VerifiedCheckpoint};
use crate::error::{LedgerError, Tamper};
use crate::hash::{MerkleHash, leaf_hash, node_hash};
use crate::proof::verify_consistency;
use crate::redaction::RedactionRecord;
use crate::store::{EntryContent, LogStore};
use crate::tree::{self, NodeId};

/// How many entries verification reads per store call (and between progress reports).
const CHUNK: u64 = 4096;

/// What a successful whole-log verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLog {
    size: u64,
    root: MerkleHash,
    latest: Option<VerifiedCheckpoint>,
    checkpoints: usize,
    redacted: u64,
}

impl VerifiedLog {
    /// The number of entries checked.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root recomputed from every leaf.
    pub fn root(&self) -> &MerkleHash {
        &self.root
    }

    /// The latest signed checkpoint, verified against the policy and matching the recomputed root at its
    /// size. Entries at or beyond its size are internally consistent but not yet signed.
    pub fn latest_checkpoint(&self) -> Option<&VerifiedCheckpoint> {
        self.latest.as_ref()
    }

    /// How many checkpoints were verified.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints
    }

    /// How many entries are redacted (each with its redaction record).
    pub fn redacted(&self) -> u64 {
        self.redacted
    }
}

/// What the streaming pass found: the earliest failure pinned to one index, and the earliest failure
/// known only to lie within a range of indices (a bad node or root).
#[derive(Default)]
struct Findings {
    exact: Option<(u64, Tamper)>,
    bounded: Option<(std::ops::Range<u64>, Tamper)>,
}

impl Findings {
    fn exact(&mut self, index: u64, failure: Tamper) {
        if self.exact.as_ref().is_none_or(|(i, _)| index < *i) {
            self.exact = Some((index, failure));
        }
    }

    fn bounded(&mut self, range: std::ops::Range<u64>, failure: Tamper) {
        if self.bounded.as_ref().is_none_or(|(r, _)| range.start < r.start) {
            self.bounded = Some((range, failure));
        }
    }

    /// The exact failure, unless a range failure lies wholly before it (then something before the exact
    /// index is certainly bad, and the range's start is the first index that may be).
    fn into_error(self) -> Option<LedgerError> {
        match (self.exact, self.bounded) {
            (Some((index, failure)), Some((range, _))) if range.end > index => {
                Some(tampered(Some(index), failure))
            }
            (_, Some((range, failure))) => Some(tampered(Some(range.start), failure)),
            (Some((index, failure)), None) => Some(tampered(Some(index), failure)),
            (None, None) => None,
        }
    }
}

fn tampered(first_bad_index: Option<u64>, failure: Tamper) -> LedgerError {
    LedgerError::Tampered {
        first_bad_index,
        failure,
    }
}

impl<S: LogStore> Log<S> {
    /// Verifies the whole log against `policy` (see [`Log::verify_with_progress`]).
    pub fn verify(&self, policy: &TrustPolicy) -> Result<VerifiedLog, LedgerError> {
        self.verify_with_progress(policy, &mut |_| {})
    }

    /// Verifies the whole log: every stored checkpoint is signed as `policy` demands; every unredacted
    /// entry's salt and payload hash to its leaf hash; every stored interior node equals the hash
    /// recomputed from the leaves; every redacted entry has a later redaction record naming it and its
    /// leaf hash; the recomputed root at every checkpoint's size equals that checkpoint's root; and every
    /// earlier checkpoint is consistent with the latest by consistency proof.
    ///
    /// A failure is [`LedgerError::Tampered`] with the first bad index: the entry itself for a bad leaf,
    /// salt, payload or redaction (a redacted entry's leaf hash is pinned by its redaction record, so even
    /// that is named exactly); the first leaf under a bad stored node; and for a root mismatch the size of
    /// the last checkpoint that did match (every index below it is proven good, so the damage starts
    /// there). When several things are wrong, the earliest index that is certainly bad is reported; an
    /// erasure that looks unrecorded only because its record was itself damaged reports the record. A
    /// checkpoint that does not parse or verify is reported by its position, with no index. Store failures
    /// pass through as they are. `progress` gets [`Phase::VerifyLog`] reports (entries checked out of the
    /// log's size) after each chunk of 4,096 entries: the one progress event of custodia-model.
    ///
    /// Cost: one pass over the entries in chunks, one batched node read per chunk, memory proportional to
    /// the number of checkpoints and redactions (not to the log).
    pub fn verify_with_progress(
        &self,
        policy: &TrustPolicy,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<VerifiedLog, LedgerError> {
        let size = self.store().size()?;
        // 1. Checkpoints: parse, check signatures, index by size.
        let stored = self.store().checkpoints()?;
        let mut by_size: BTreeMap<u64, Vec<(usize, VerifiedCheckpoint)>> = BTreeMap::new();
        for (position, row) in stored.iter().enumerate() {
            let bad = |reason: String| tampered(None, Tamper::BadCheckpoint { position, reason });
            let signed = SignedCheckpoint::parse(row.note()).map_err(|e| bad(e.to_string()))?;
            let verified = signed.verify(policy).map_err(|e| bad(e.to_string()))?;
            let checkpoint_size = verified.checkpoint().size();
            if checkpoint_size != row.size() {
                return Err(bad(format!(
                    "stored under size {} but signed for size {checkpoint_size}",
                    row.size()
                )));
            }
            if checkpoint_size > size {
                return Err(tampered(
                    Some(size),
                    Tamper::CheckpointBeyondLog {
                        size: checkpoint_size,
                        log_size: size,
                    },
                ));
            }
            by_size
                .entry(checkpoint_size)
                .or_default()
                .push((position, verified));
        }

        // 2. Entries, nodes and roots, streamed in index order. Nothing returns early here (except store
        // failures): a bad leaf hash under a redacted entry shows first as a bad node or root, which only
        // bounds where the damage is; the redaction record that pins that leaf comes later and names the
        // exact index. `Findings` keeps the first of each and picks the earliest provable index at the end.
        let mut findings = Findings::default();
        let mut frontier: Vec<MerkleHash> = Vec::new();
        let mut records: HashMap<u64, Vec<MerkleHash>> = HashMap::new();
        let mut redacted: Vec<(u64, MerkleHash)> = Vec::new();
        let mut proven_good = 0u64;
        let mut check_roots = |at: u64, frontier: &[MerkleHash], findings: &mut Findings| {
            if let Some(list) = by_size.get(&at) {
                let root = tree::fold_right(frontier);
                if list.iter().any(|(_, c)| *c.checkpoint().root() != root) {
                    findings.bounded(proven_good..at, Tamper::RootMismatch { size: at });
                } else if findings.bounded.is_none() {
                    proven_good = at;
                }
            }
        };
        check_roots(0, &frontier, &mut findings);
        let mut start = 0u64;
        while start < size {
            let end = start.saturating_add(CHUNK).min(size);
            let entries = self.store().entries(start..end)?;
            if entries.len() as u64 != end - start {
                return Err(LedgerError::CorruptStore {
                    what: "entry range",
                    index: start,
                });
            }
            let mut computed: Vec<(NodeId, MerkleHash)> = Vec::new();
            for (index, entry) in (start..end).zip(&entries) {
                if entry.index() != index {
                    findings.exact(index, Tamper::LeafMismatch { index });
                }
                match entry.content() {
                    EntryContent::Present { salt, payload } => {
                        if leaf_hash(salt, payload) != *entry.leaf_hash() {
                            findings.exact(index, Tamper::LeafMismatch { index });
                        }
                        match RedactionRecord::from_payload(payload) {
                            Ok(None) => {}
                            Ok(Some(record)) if record.target() < index => {
                                records
                                    .entry(record.target())
                                    .or_default()
                                    .push(*record.target_leaf_hash());
                            }
                            Ok(Some(_)) | Err(_) => {
                                findings.exact(index, Tamper::BadRedactionRecord { index })
                            }
                        }
                    }
                    _ => redacted.push((index, *entry.leaf_hash())),
                }
                let mut hash = *entry.leaf_hash();
                let mut position = index;
                let mut level = 0u8;
                while position & 1 == 1 {
                    let Some(left) = frontier.pop() else {
                        return Err(LedgerError::CorruptStore {
                            what: "right edge",
                            index,
                        });
                    };
                    hash = node_hash(&left, &hash);
                    position >>= 1;
                    level += 1;
                    computed.push((NodeId::new_unchecked(level, position), hash));
                }
                frontier.push(hash);
                check_roots(index + 1, &frontier, &mut findings);
            }
            let ids: Vec<NodeId> = computed.iter().map(|(id, _)| *id).collect();
            let stored_nodes = self.store().nodes(&ids)?;
            if stored_nodes.len() != ids.len() {
                return Err(LedgerError::CorruptStore {
                    what: "node batch",
                    index: start,
                });
            }
            for ((id, hash), stored) in computed.iter().zip(&stored_nodes) {
                if hash != stored {
                    let first = id.first_leaf();
                    let last = first.saturating_add(1u64 << id.level());
                    findings.bounded(
                        first..last,
                        Tamper::NodeMismatch {
                            level: id.level(),
                            index: id.index(),
                        },
                    );
                }
            }
            start = end;
            progress(Progress::new(Phase::VerifyLog, end, Some(size)));
        }

        // 3. Every redaction is recorded later with the leaf hash it erased. A bad entry found above may be
        // the redaction record itself, and then the redaction it recorded looks unrecorded: report the
        // cause, not that consequence.
        if findings.exact.is_none() {
            for (index, leaf) in &redacted {
                let recorded = records.get(index).is_some_and(|hashes| hashes.contains(leaf));
                if !recorded {
                    findings.exact(*index, Tamper::UnrecordedRedaction { index: *index });
                }
            }
        }
        if let Some(error) = findings.into_error() {
            return Err(error);
        }

        // 4. Every earlier checkpoint is consistent with the latest, by consistency proof.
        let root = tree::fold_right(&frontier);
        let latest = by_size
            .iter()
            .next_back()
            .and_then(|(_, list)| list.first())
            .map(|(_, c)| c.clone());
        if let Some(latest) = &latest {
            let new_size = latest.checkpoint().size();
            for (&old_size, list) in by_size.range(..new_size) {
                let proof = self.consistency_unchecked(old_size, new_size)?;
                for (_, old) in list {
                    verify_consistency(
                        old_size,
                        new_size,
                        old.checkpoint().root(),
                        latest.checkpoint().root(),
                        proof.path(),
                    )
                    .map_err(|_| tampered(Some(old_size), Tamper::Inconsistent { size: old_size }))?;
                }
            }
        }
        Ok(VerifiedLog {
            size,
            root,
            latest,
            checkpoints: stored.len(),
            redacted: redacted.len() as u64,
        })
    }
}
