//! Tree shape arithmetic: which stored perfect subtrees make up a range, a root or a proof (RFC 9162 §2.1).

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::hash::{MerkleHash, empty_root, node_hash};

/// The address of a perfect subtree: the `2^level` leaves starting at `index << level`. Level 0 nodes are
/// leaf hashes. Every perfect subtree that is complete in the log is stored, so any root and any proof
/// is a handful of reads (at most two per tree level) whatever the log's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId {
    level: u8,
    index: u64,
}

impl NodeId {
    /// The node at `level` (0 = leaves, at most 63) and position `index` within that level.
    pub fn new(level: u8, index: u64) -> Result<Self, LedgerError> {
        if level > 63 || index.checked_shl(u32::from(level)).is_none() || (index << level) >> level != index {
            return Err(LedgerError::CorruptStore {
                what: "node id",
                index,
            });
        }
        Ok(Self { level, index })
    }

    /// Built by this crate's own arithmetic, where `level < 64` and the covered range fits in `u64`.
    pub(crate) const fn new_unchecked(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// Height above the leaves (0 = a leaf).
    pub const fn level(&self) -> u8 {
        self.level
    }

    /// Position within its level.
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// The first leaf index this node covers.
    pub const fn first_leaf(&self) -> u64 {
        self.index << self.level
    }
}

/// The largest power of two strictly smaller than `n` (`n >= 2`), RFC 9162's split point `k`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    // For n >= 2, n - 1 >= 1 so leading_zeros <= 63 and the shift is in range.
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtrees, left to right, whose right fold is `MTH(D[lo:hi])`. `lo` must be a multiple of
/// the largest power of two not above `hi - lo` (true of every range RFC 9162's recursion visits).
pub(crate) fn range_nodes(lo: u64, hi: u64) -> Result<Vec<NodeId>, LedgerError> {
    let mut nodes = Vec::with_capacity(hi.saturating_sub(lo).count_ones() as usize);
    push_range_nodes(lo, hi, &mut nodes)?;
    Ok(nodes)
}

/// Appends the nodes of `range_nodes(lo, hi)` to `out`, returning how many it added. Walks only the
/// set bits of the width, so a range costs O(popcount), not 64 steps.
fn push_range_nodes(lo: u64, hi: u64, out: &mut Vec<NodeId>) -> Result<usize, LedgerError> {
    let mut position = lo;
    let mut width = hi.saturating_sub(lo);
    let mut added = 0;
    while width != 0 {
        // The highest set bit of a non-zero `width` is at most 63.
        let level = 63 - width.leading_zeros() as u8;
        let span = 1u64 << level;
        if !position.is_multiple_of(span) {
            return Err(LedgerError::CorruptStore {
                what: "unaligned range",
                index: lo,
            });
        }
        out.push(NodeId::new_unchecked(level, position >> level));
        position += span;
        width &= !span;
        added += 1;
    }
    Ok(added)
}

/// Folds perfect subtree hashes, left to right, into the hash of their range (RFC 9162 MTH).
pub(crate) fn fold_right(hashes: &[MerkleHash]) -> MerkleHash {
    let mut iter = hashes.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |acc, left| node_hash(left, &acc))
}

/// The ranges whose hashes form the inclusion path of leaf `index` in a tree of `size` leaves, from the
/// leaf upwards (RFC 9162 §2.1.3.1). Requires `index < size`.
pub(crate) fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut top_down = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            top_down.push((lo + k, hi));
            hi = lo + k;
        } else {
            top_down.push((lo, lo + k));
            lo += k;
        }
    }
    top_down.reverse();
    top_down
}

/// The ranges whose hashes form the consistency proof from `old` to `new` leaves, in proof order
/// (RFC 9162 §2.1.4.1, SUBPROOF with b = true). Requires `0 < old < new`.
pub(crate) fn consistency_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let mut top_down = Vec::new();
    let (mut lo, mut hi) = (0u64, new);
    let mut whole_subtree = true;
    loop {
        if old == hi {
            if !whole_subtree {
                top_down.push((lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if old <= lo + k {
            top_down.push((lo + k, hi));
            hi = lo + k;
        } else {
            top_down.push((lo, lo + k));
            lo += k;
            whole_subtree = false;
        }
    }
    top_down.reverse();
    top_down
}

/// A set of ranges to hash, planned so that all their nodes are fetched in one store read.
pub(crate) struct Plan {
    nodes: Vec<NodeId>,
    /// For each range: its hash already known (a cached right-edge suffix), or how many consecutive
    /// entries of `nodes` it folds.
    parts: Vec<Part>,
}

enum Part {
    Known(MerkleHash),
    Fold(usize),
}

impl Plan {
    /// Plans the ranges; `known` answers a range's hash without any read when it can.
    pub(crate) fn new(
        ranges: &[(u64, u64)],
        known: impl Fn(u64, u64) -> Option<MerkleHash>,
    ) -> Result<Self, LedgerError> {
        let mut nodes = Vec::with_capacity(ranges.len() + 8);
        let mut parts = Vec::with_capacity(ranges.len());
        for &(lo, hi) in ranges {
            match known(lo, hi) {
                Some(hash) => parts.push(Part::Known(hash)),
                None => parts.push(Part::Fold(push_range_nodes(lo, hi, &mut nodes)?)),
            }
        }
        Ok(Self { nodes, parts })
    }

    pub(crate) fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Folds the fetched hashes (one per planned node, in order) into one hash per range.
    pub(crate) fn fold(&self, fetched: &[MerkleHash]) -> Result<Vec<MerkleHash>, LedgerError> {
        if fetched.len() != self.nodes.len() {
            return Err(LedgerError::store(crate::error::StoreFault(format!(
                "store returned {} node hashes for {} requested",
                fetched.len(),
                self.nodes.len()
            ))));
        }
        let mut out = Vec::with_capacity(self.parts.len());
        let mut rest = fetched;
        for part in &self.parts {
            match part {
                Part::Known(hash) => out.push(*hash),
                Part::Fold(count) => {
                    let (these, tail) = rest.split_at((*count).min(rest.len()));
                    out.push(fold_right(these));
                    rest = tail;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_the_largest_smaller_power_of_two() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn range_nodes_follow_the_binary_decomposition() {
        assert_eq!(range_nodes(0, 0).unwrap(), vec![]);
        assert_eq!(
            range_nodes(0, 7).unwrap(),
            vec![
                NodeId::new_unchecked(2, 0),
                NodeId::new_unchecked(1, 2),
                NodeId::new_unchecked(0, 6)
            ]
        );
        assert_eq!(
            range_nodes(8, 11).unwrap(),
            vec![NodeId::new_unchecked(1, 4), NodeId::new_unchecked(0, 10)]
        );
        assert!(range_nodes(1, 3).is_err());
    }

    #[test]
    fn node_ids_refuse_ranges_past_u64() {
        assert!(NodeId::new(64, 0).is_err());
        assert!(NodeId::new(63, 2).is_err());
        assert!(NodeId::new(63, 1).is_ok());
    }
}
