//! The package manifest: one entry per moved customer, committed by an RFC 9162 root built with custodia-ledger's
//! hashes, and the per-customer proofs that a record was, or was not, moved.

use custodia_crypto::VerifyingKey;
use custodia_ledger::{MerkleHash, Salt, empty_root, leaf_hash, node_hash, verify_inclusion};
use custodia_model::{CustomerId, DataCategory, TransferId};
use serde::{Deserialize, Serialize};

use crate::agreement::AgreementDigest;
use crate::codec::{hex_bytes, hex_hash, hex_hashes, sha256};
use crate::error::TransferError;

/// Version byte that opens every manifest entry.
pub const MANIFEST_ENTRY_VERSION: u8 = 1;

/// One section as the manifest commits to it: category, record version and SHA-256 of the sealed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDigest {
    /// The category.
    pub category: DataCategory,
    /// The record version the section was sealed for.
    pub record_version: u64,
    /// SHA-256 of the sealed section bytes exactly as they travel.
    #[serde(with = "hex_bytes")]
    pub sha256: [u8; 32],
}

/// The manifest entry of one customer: the leaf data is its salt and its entry bytes, as `spec/package.md`
/// ("The manifest") specifies; its JSON in a customer proof is `spec/customer-proof.md`'s. The random salt
/// keeps a customer shown a neighbour's entry in a proof from confirming guesses about other entries, as in
/// custodia-ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
// Not `#[non_exhaustive]`: its fields are the leaf bytes, fixed by `MANIFEST_ENTRY_VERSION`.
pub struct ManifestEntry {
    /// The leaf's salt.
    #[serde(with = "hex_bytes")]
    pub salt: [u8; 32],
    /// The customer.
    pub customer: CustomerId,
    /// The sections moved, in category-tag order.
    pub sections: Vec<SectionDigest>,
    /// SHA-256 of the customer's DEK wrapped under the transfer key, as it travels.
    #[serde(with = "hex_bytes")]
    pub wrapped_key_sha256: [u8; 32],
}

impl ManifestEntry {
    /// The entry bytes (after the salt).
    pub fn entry_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 16 + 1 + self.sections.len() * 41 + 32);
        out.push(MANIFEST_ENTRY_VERSION);
        out.extend_from_slice(self.customer.as_bytes());
        // At most one section per category (nine), checked where entries are built and decoded.
        out.push(u8::try_from(self.sections.len()).unwrap_or(u8::MAX));
        for s in &self.sections {
            out.push(s.category.tag());
            out.extend_from_slice(&s.record_version.to_be_bytes());
            out.extend_from_slice(&s.sha256);
        }
        out.extend_from_slice(&self.wrapped_key_sha256);
        out
    }

    /// The RFC 9162 leaf hash: `SHA-256(0x00 ‖ salt ‖ entry bytes)`.
    pub fn leaf_hash(&self) -> MerkleHash {
        leaf_hash(&Salt::from_bytes(self.salt), &self.entry_bytes())
    }

    /// A digest for wrapped-key bytes.
    pub fn digest(bytes: &[u8]) -> [u8; 32] {
        sha256(bytes)
    }
}

/// Builds the RFC 9162 root of a stream of leaves in O(log n) memory: a stack of perfect subtrees, merged
/// as they fill, folded right to left at the end (the left-balanced shape of RFC 9162 §2.1.1).
#[derive(Clone, Debug, Default)]
pub struct RootBuilder {
    stack: Vec<(u64, MerkleHash)>,
    size: u64,
}

impl RootBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next leaf.
    pub fn push(&mut self, leaf: MerkleHash) {
        let mut node = (1u64, leaf);
        while let Some(&(size, left)) = self.stack.last() {
            if size != node.0 {
                break;
            }
            self.stack.pop();
            node = (size.saturating_mul(2), node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the leaves so far (the empty root for none).
    pub fn root(&self) -> MerkleHash {
        let mut nodes = self.stack.iter().rev();
        let Some(&(_, last)) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(last, |acc, (_, left)| node_hash(left, &acc))
    }
}

/// Whether packaging keeps the whole manifest tree in memory for per-customer proofs afterwards
/// ([`ManifestTree`], about 100 MB at a million customers) or only the few dozen bytes the root needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofTree {
    /// Keep the tree: [`crate::prove`] can then show each customer whether their record moved.
    Keep,
    /// Keep only what the root needs: memory stays flat in the number of customers.
    Discard,
}

/// The whole manifest tree in memory, 32 bytes per leaf and 16 per customer id (about 100 MB for a million
/// customers, all levels included), for answering per-customer proofs after packaging or import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManifestTree {
    ids: Vec<CustomerId>,
    levels: Vec<Vec<MerkleHash>>,
}

impl ManifestTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next customer's leaf. Customers come in strictly increasing id order (packages enforce it).
    pub fn push(&mut self, customer: CustomerId, leaf: MerkleHash) {
        self.ids.push(customer);
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        if let Some(leaves) = self.levels.first_mut() {
            leaves.push(leaf);
        }
        // Upper levels are rebuilt lazily by `seal`.
        self.levels.truncate(1);
    }

    /// Computes the upper levels: each level pairs the one below, a lone last node is carried up unchanged,
    /// which is the RFC 9162 left-balanced tree.
    pub fn seal(&mut self) {
        self.levels.truncate(1);
        loop {
            let Some(top) = self.levels.last() else {
                return;
            };
            if top.len() <= 1 {
                return;
            }
            let next: Vec<MerkleHash> = top
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => node_hash(l, r),
                    [one] => *one,
                    // `chunks(2)` yields one or two items.
                    _ => empty_root(),
                })
                .collect();
            self.levels.push(next);
        }
    }

    /// Leaves.
    pub fn size(&self) -> u64 {
        self.ids.len() as u64
    }

    /// The root (call [`ManifestTree::seal`] first).
    pub fn root(&self) -> MerkleHash {
        match self.levels.last() {
            Some(top) if top.len() == 1 => top.first().copied().unwrap_or_else(empty_root),
            _ => empty_root(),
        }
    }

    /// Where `customer` is, or where it would be: `Ok(index)` or `Err(insertion point)`.
    pub fn position(&self, customer: CustomerId) -> Result<usize, usize> {
        self.ids.binary_search(&customer)
    }

    /// The RFC 9162 inclusion path of leaf `index` (call [`ManifestTree::seal`] first).
    pub fn path(&self, index: usize) -> Vec<MerkleHash> {
        let mut path = Vec::new();
        let mut i = index;
        for level in self.levels.iter().take(self.levels.len().saturating_sub(1)) {
            let sibling = i ^ 1;
            if let Some(h) = level.get(sibling) {
                path.push(*h);
            }
            i >>= 1;
        }
        path
    }
}

/// A manifest entry with its position and inclusion path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProvenManifestEntry {
    /// The entry.
    pub entry: ManifestEntry,
    /// Its index in the manifest.
    pub index: u64,
    /// Its RFC 9162 inclusion path (hex in JSON).
    #[serde(with = "hex_hashes")]
    pub path: Vec<MerkleHash>,
}

/// Whether a customer's record moved, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ProofOutcome {
    /// The customer's entry is in the manifest.
    Moved {
        /// The entry and its path.
        entry: ProvenManifestEntry,
    },
    /// The customer is not in the manifest: the entries either side of where it would be, adjacent, prove
    /// the gap (manifests are sorted by customer id, which import enforces).
    NotMoved {
        /// The entry just before, if any.
        before: Option<ProvenManifestEntry>,
        /// The entry just after, if any.
        after: Option<ProvenManifestEntry>,
    },
}

/// What a customer is shown: that their record was, or was not, moved in a transfer, checkable with the
/// seller's public key alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CustomerProof {
    /// The customer.
    pub customer: CustomerId,
    /// The transfer.
    pub transfer_id: TransferId,
    /// The agreement the package is bound to.
    pub agreement_digest: AgreementDigest,
    /// The package header, hex, exactly as signed.
    pub header: String,
    /// Manifest size (the package's entry count).
    pub size: u64,
    /// Sections in the package (the trailer's, signed).
    pub sections: u64,
    /// Bytes of sealed sections in the package (the trailer's, signed).
    pub section_bytes: u64,
    /// SHA-256 of the package's sealed entry records (the trailer's, signed; hex in JSON).
    #[serde(with = "hex_bytes")]
    pub entries_digest: [u8; 32],
    /// Manifest root (hex in JSON).
    #[serde(with = "hex_hash")]
    pub root: MerkleHash,
    /// The seller's Ed25519 signature from the package trailer (hex in JSON), over the signed message of
    /// `spec/package.md` (domain prefix, header, size, sections, section bytes, entries digest, root).
    #[serde(with = "hex_bytes")]
    pub signature: [u8; 64],
    /// Moved or not, with the entries proving it.
    pub outcome: ProofOutcome,
}

fn check_entry(proven: &ProvenManifestEntry, size: u64, root: &MerkleHash) -> Result<(), String> {
    verify_inclusion(&proven.entry.leaf_hash(), proven.index, size, &proven.path, root)
        .map_err(|e| e.to_string())
}

impl CustomerProof {
    pub(crate) fn prove(entry: ManifestEntry, index: usize, tree: &ManifestTree) -> ProvenManifestEntry {
        ProvenManifestEntry {
            entry,
            index: index as u64,
            path: tree.path(index),
        }
    }

    /// Verifies the proof with the seller's key as `spec/customer-proof.md` specifies: the header's binding
    /// to the transfer and agreement, the package signature over header, counts, entries digest and root,
    /// and the inclusion
    /// (or the adjacent pair around the gap). Returns whether the customer's record moved.
    pub fn verify(&self, seller: &VerifyingKey) -> Result<bool, TransferError> {
        let fail = |reason: String| TransferError::ProofFailed {
            customer: self.customer,
            reason,
        };
        let header = crate::package::Header::decode_hex(&self.header).map_err(|e| fail(e.to_string()))?;
        if header.transfer_id() != self.transfer_id || header.agreement_digest() != self.agreement_digest {
            return Err(fail("header names another transfer or agreement".into()));
        }
        let signed = crate::package::Signed {
            count: self.size,
            sections: self.sections,
            section_bytes: self.section_bytes,
            entries_digest: self.entries_digest,
            root: self.root,
        };
        crate::package::verify_package_signature(seller, &header, &signed, &self.signature)
            .map_err(|e| fail(e.to_string()))?;
        match &self.outcome {
            ProofOutcome::Moved { entry } => {
                if entry.entry.customer != self.customer {
                    return Err(fail("entry names another customer".into()));
                }
                check_entry(entry, self.size, &self.root).map_err(fail)?;
                Ok(true)
            }
            ProofOutcome::NotMoved { before, after } => {
                if let Some(b) = before {
                    check_entry(b, self.size, &self.root).map_err(fail)?;
                    if b.entry.customer >= self.customer {
                        return Err(fail("entry before is not before the customer".into()));
                    }
                }
                if let Some(a) = after {
                    check_entry(a, self.size, &self.root).map_err(fail)?;
                    if a.entry.customer <= self.customer {
                        return Err(fail("entry after is not after the customer".into()));
                    }
                }
                let adjacent = match (before, after) {
                    (Some(b), Some(a)) => b.index.checked_add(1) == Some(a.index),
                    (None, Some(a)) => a.index == 0,
                    (Some(b), None) => b.index.checked_add(1) == Some(self.size),
                    (None, None) => self.size == 0,
                };
                if !adjacent {
                    return Err(fail("entries around the gap are not adjacent".into()));
                }
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaf(i: u64) -> MerkleHash {
        leaf_hash(&Salt::from_bytes([7u8; 32]), &i.to_be_bytes())
    }

    fn id(i: u64) -> CustomerId {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&(i + 1).to_be_bytes());
        CustomerId::from_bytes(b).unwrap()
    }

    /// RFC 9162 MTH written from the definition, for comparison.
    fn mth(leaves: &[MerkleHash]) -> MerkleHash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// For every size, the streaming root, the sealed tree's root and the definition agree, and every
        /// leaf's path verifies with custodia-ledger's RFC 9162 verifier.
        #[test]
        fn roots_and_paths_agree_with_rfc_9162(n in 0u64..70) {
            let leaves: Vec<MerkleHash> = (0..n).map(leaf).collect();
            let mut builder = RootBuilder::new();
            let mut tree = ManifestTree::new();
            for (i, l) in leaves.iter().enumerate() {
                builder.push(*l);
                tree.push(id(i as u64), *l);
            }
            tree.seal();
            let expected = mth(&leaves);
            prop_assert_eq!(builder.root(), expected);
            prop_assert_eq!(tree.root(), expected);
            for (i, l) in leaves.iter().enumerate() {
                prop_assert!(verify_inclusion(l, i as u64, n, &tree.path(i), &expected).is_ok());
            }
        }
    }
}
