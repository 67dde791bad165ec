//! The reference RFC 9162 tree hash, written the slow recursive way, that every log store's roots are checked against.

use custodia_ledger::{MerkleHash, empty_root, node_hash};

/// RFC 9162 §2.1.1 `MTH` over leaf hashes, computed recursively from the definition: the reference a
/// store's roots and proofs are compared with. O(n log n); for tests.
///
/// ```
/// use custodia_ledger::{Log, LogStore, MemoryStore};
///
/// let mut log = Log::new(MemoryStore::new())?;
/// log.append(&[b"a", b"b", b"c"])?;
/// let leaves: Vec<_> = log.store().entries(0..3)?.iter().map(|e| *e.leaf_hash()).collect();
/// assert_eq!(custodia_conformance::reference_root(&leaves), log.root());
/// # Ok::<(), custodia_ledger::LedgerError>(())
/// ```
pub fn reference_root(leaves: &[MerkleHash]) -> MerkleHash {
    match leaves {
        [] => empty_root(),
        [one] => *one,
        _ => {
            // k is the largest power of two strictly smaller than n (RFC 9162 §2.1.1).
            let n = leaves.len();
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            let (left, right) = leaves.split_at(k);
            node_hash(&reference_root(left), &reference_root(right))
        }
    }
}
