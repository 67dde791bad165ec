//! Inclusion and consistency proofs and their standalone verifiers, written from RFC 9162 §2.1.3.2 and §2.1.4.2.

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::hash::{MerkleHash, node_hash};

/// Proves that a leaf hash sits at `index` in the tree of `size` leaves (RFC 9162 §2.1.3). A party that
/// holds only this proof, the entry's leaf hash and a signed checkpoint for `size` can check it with
/// [`verify_inclusion`]: this is how a customer or regulator checks a consent receipt offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    index: u64,
    size: u64,
    path: Vec<MerkleHash>,
}

impl InclusionProof {
    /// A proof as received from elsewhere. Any shape is accepted here; [`InclusionProof::verify`]
    /// decides whether it proves anything.
    pub fn new(index: u64, size: u64, path: Vec<MerkleHash>) -> Self {
        Self { index, size, path }
    }

    /// The leaf's index.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The tree size the proof is for.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The sibling hashes, from the leaf upwards.
    pub fn path(&self) -> &[MerkleHash] {
        &self.path
    }

    /// Checks this proof for `leaf_hash` against the tree `root` (see [`verify_inclusion`]), **at the size
    /// the proof itself carries**. The size is part of untrusted input: when the root comes from a
    /// checkpoint, use [`InclusionProof::verify_in`], which takes size and root from the verified
    /// checkpoint.
    pub fn verify(&self, leaf_hash: &MerkleHash, root: &MerkleHash) -> Result<(), LedgerError> {
        verify_inclusion(leaf_hash, self.index, self.size, &self.path, root)
    }

    /// Checks this proof for `leaf_hash` in the tree a verified checkpoint signs: its size and its root,
    /// never the size the proof carries (a proof claiming another size is refused, as a path for another
    /// size does not fold to the signed root).
    pub fn verify_in(
        &self,
        leaf_hash: &MerkleHash,
        checkpoint: &crate::checkpoint::VerifiedCheckpoint,
    ) -> Result<(), LedgerError> {
        let signed = checkpoint.checkpoint();
        verify_inclusion(leaf_hash, self.index, signed.size(), &self.path, signed.root())
    }
}

/// Proves that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves: the log only
/// ever appended (RFC 9162 §2.1.4). Witnesses and auditors check it with [`verify_consistency`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    old_size: u64,
    new_size: u64,
    path: Vec<MerkleHash>,
}

impl ConsistencyProof {
    /// A proof as received from elsewhere; [`ConsistencyProof::verify`] decides whether it proves anything.
    pub fn new(old_size: u64, new_size: u64, path: Vec<MerkleHash>) -> Self {
        Self {
            old_size,
            new_size,
            path,
        }
    }

    /// The older tree size.
    pub fn old_size(&self) -> u64 {
        self.old_size
    }

    /// The newer tree size.
    pub fn new_size(&self) -> u64 {
        self.new_size
    }

    /// The proof hashes in RFC 9162 order.
    pub fn path(&self) -> &[MerkleHash] {
        &self.path
    }

    /// Checks this proof between the two roots (see [`verify_consistency`]).
    pub fn verify(&self, old_root: &MerkleHash, new_root: &MerkleHash) -> Result<(), LedgerError> {
        verify_consistency(self.old_size, self.new_size, old_root, new_root, &self.path)
    }
}

fn bad(what: &'static str) -> LedgerError {
    LedgerError::BadProof { what }
}

/// Verifies an inclusion proof, step by step as RFC 9162 §2.1.3.2 writes it. Refuses `index >= size`,
/// a path that is too short (the walk does not reach the root) or too long (a hash left after the
/// root), and a recomputed root that differs from `root`.
pub fn verify_inclusion(
    leaf_hash: &MerkleHash,
    index: u64,
    size: u64,
    path: &[MerkleHash],
    root: &MerkleHash,
) -> Result<(), LedgerError> {
    // Step 1.
    if index >= size {
        return Err(bad("leaf index is not below the tree size"));
    }
    // Step 2: fn and sn. `size >= 1` here, so `size - 1` cannot underflow.
    let mut f_n = index;
    let mut s_n = size - 1;
    // Step 3.
    let mut r = *leaf_hash;
    // Step 4.
    for p in path {
        // 4a.
        if s_n == 0 {
            return Err(bad("inclusion path is longer than the tree is high"));
        }
        // 4b.
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c.
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    if s_n != 0 {
        return Err(bad("inclusion path is shorter than the tree is high"));
    }
    if r != *root {
        return Err(bad("inclusion path does not lead to the root"));
    }
    Ok(())
}

/// Verifies a consistency proof, step by step as RFC 9162 §2.1.4.2 writes it, with the edge cases the
/// RFC leaves to the caller made explicit: `old_size > new_size` is refused; `old_size == new_size`
/// verifies only with an empty proof and equal roots; `old_size == 0` (every tree extends the empty tree)
/// verifies only with an empty proof and `old_root` equal to the empty-tree hash. A power-of-two
/// `old_size` gets `old_root` prepended to the path (step 2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &MerkleHash,
    new_root: &MerkleHash,
    path: &[MerkleHash],
) -> Result<(), LedgerError> {
    if old_size > new_size {
        return Err(bad("old tree size is larger than the new tree size"));
    }
    if old_size == new_size {
        if !path.is_empty() {
            return Err(bad("consistency proof between equal sizes must be empty"));
        }
        if old_root != new_root {
            return Err(bad("equal tree sizes with different roots"));
        }
        return Ok(());
    }
    if old_size == 0 {
        if !path.is_empty() {
            return Err(bad("consistency proof from the empty tree must be empty"));
        }
        if *old_root != crate::hash::empty_root() {
            return Err(bad("old root of the empty tree is not the empty hash"));
        }
        return Ok(());
    }
    // Step 1.
    if path.is_empty() {
        return Err(bad("consistency proof is empty"));
    }
    // Step 2.
    let mut hashes: Vec<MerkleHash> = Vec::with_capacity(path.len() + 1);
    if old_size.is_power_of_two() {
        hashes.push(*old_root);
    }
    hashes.extend_from_slice(path);
    // Step 3. Both sizes are >= 1 here.
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    // Step 4.
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5. `hashes` is non-empty: `path` was.
    let Some((first, rest)) = hashes.split_first() else {
        return Err(bad("consistency proof is empty"));
    };
    let mut f_r = *first;
    let mut s_r = *first;
    // Step 6.
    for c in rest {
        // 6a.
        if s_n == 0 {
            return Err(bad("consistency proof is longer than the tree is high"));
        }
        // 6b.
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        // 6c.
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 7.
    if s_n != 0 {
        return Err(bad("consistency proof is shorter than the tree is high"));
    }
    if f_r != *old_root {
        return Err(bad("consistency proof does not lead to the old root"));
    }
    if s_r != *new_root {
        return Err(bad("consistency proof does not lead to the new root"));
    }
    Ok(())
}
