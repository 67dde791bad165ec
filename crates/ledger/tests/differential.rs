//! Differential tests against `ct-merkle` 0.3: roots, inclusion and consistency proofs at every size 0..=300
//! and at random larger sizes must be byte-identical, and each side's proofs must verify on the other side.

// Helpers outside #[test] fns panic on purpose: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ct_merkle::digest::{FixedOutput, HashMarker, Output, OutputSizeUser, Update, consts::U32};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof as CtConsistency, InclusionProof as CtInclusion, RootHash};
use custodia_ledger::{
    EntryContent, Log, MemoryStore, MerkleHash, Salt, leaf_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// SHA-256 from ring behind the `digest` 0.11 traits that ct-merkle is generic over (the workspace has
/// no `sha2` dependency, and this keeps both trees on one SHA-256 so only the tree logic is compared).
#[derive(Clone)]
struct RingSha256(ring::digest::Context);

impl Default for RingSha256 {
    fn default() -> Self {
        Self(ring::digest::Context::new(&ring::digest::SHA256))
    }
}
impl HashMarker for RingSha256 {}
impl OutputSizeUser for RingSha256 {
    type OutputSize = U32;
}
impl Update for RingSha256 {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}
impl FixedOutput for RingSha256 {
    fn finalize_into(self, out: &mut Output<Self>) {
        out.copy_from_slice(self.0.finish().as_ref());
    }
}

type CtTree = MemoryBackedTree<RingSha256, Vec<u8>>;

/// The leaf preimage ct-merkle must hash: `salt ‖ payload`, read back from our log.
fn preimage(log: &Log<MemoryStore>, index: u64) -> Vec<u8> {
    match log.entry(index).unwrap().content() {
        EntryContent::Present { salt, payload } => [salt.as_bytes().as_slice(), payload].concat(),
        other => panic!("entry {index} unexpectedly {other:?}"),
    }
}

fn ct_root(tree: &CtTree) -> MerkleHash {
    MerkleHash::from_slice(tree.root().as_bytes()).unwrap()
}

fn flat(path: &[MerkleHash]) -> Vec<u8> {
    path.iter().flat_map(|h| h.as_bytes().to_vec()).collect()
}

fn grow(log: &mut Log<MemoryStore>, tree: &mut CtTree, n: u64) {
    for _ in 0..n {
        let i = log.size();
        let payload = format!("entry {i}").into_bytes();
        log.append(&[&payload]).unwrap();
        tree.push(preimage(log, i));
    }
}

/// Compares everything at the current size of both trees: root, every inclusion proof (or a sample),
/// and every consistency proof from an older size (or a sample).
/// With `cross_verify`, ct-merkle's verifiers also check our proof bytes (redundant once the bytes are
/// equal to ct-merkle's own proofs, so the exhaustive sweep skips it to stay fast in debug builds).
fn compare_at_current_size(
    log: &Log<MemoryStore>,
    tree: &CtTree,
    indices: &[u64],
    olds: &[u64],
    cross_verify: bool,
) {
    let size = log.size();
    assert_eq!(tree.len(), size);
    let root = log.root();
    assert_eq!(root, ct_root(tree), "root at size {size}");
    assert_eq!(log.root_at(size).unwrap(), root);
    let ct_root_hash = tree.root();
    for &index in indices {
        let ours = log.inclusion_proof(index, size).unwrap();
        let theirs = tree.prove_inclusion(index as usize);
        assert_eq!(
            flat(ours.path()),
            theirs.as_bytes(),
            "inclusion {index} at {size}"
        );
        // The leaf preimage as ct-merkle holds it; our leaf hash recomputed from it.
        let pre = &tree.items()[index as usize];
        let leaf = leaf_hash(&Salt::from_slice(&pre[..32]).unwrap(), &pre[32..]);
        verify_inclusion(&leaf, index, size, ours.path(), &root).unwrap();
        if cross_verify {
            let ours_for_them = CtInclusion::<RingSha256>::try_from_bytes(flat(ours.path())).unwrap();
            ct_root_hash.verify_inclusion(pre, index, &ours_for_them).unwrap();
        }
    }
    for &old in olds {
        let ours = log.consistency_proof(old, size).unwrap();
        let old_root = log.root_at(old).unwrap();
        verify_consistency(old, size, &old_root, &root, ours.path()).unwrap();
        if old == 0 || old == size {
            assert!(ours.path().is_empty());
            continue;
        }
        let theirs = tree.prove_consistency((size - old) as usize);
        assert_eq!(
            flat(ours.path()),
            theirs.as_bytes(),
            "consistency {old} -> {size}"
        );
        if cross_verify {
            let their_old = RootHash::<RingSha256>::new(
                Output::<RingSha256>::try_from(old_root.as_bytes().as_slice()).unwrap(),
                old,
            );
            let ours_for_them = CtConsistency::<RingSha256>::try_from_bytes(flat(ours.path())).unwrap();
            ct_root_hash
                .verify_consistency(&their_old, &ours_for_them)
                .unwrap();
        }
    }
}

#[test]
fn every_size_from_0_to_300_matches_ct_merkle() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    let mut tree = CtTree::new();
    assert_eq!(log.root(), custodia_ledger::empty_root());
    assert_eq!(log.root(), ct_root(&tree), "empty tree");
    for size in 1..=300u64 {
        grow(&mut log, &mut tree, 1);
        let all: Vec<u64> = (0..size).collect();
        let olds: Vec<u64> = (0..=size).collect();
        compare_at_current_size(&log, &tree, &all, &olds, size.is_power_of_two() || size % 37 == 0);
    }
    // Past roots and proofs at past sizes, from the finished log, against the recorded roots.
    let mut replay = CtTree::new();
    for size in 1..=300u64 {
        replay.push(preimage(&log, size - 1));
        assert_eq!(
            log.root_at(size).unwrap(),
            ct_root(&replay),
            "past root at {size}"
        );
    }
}

#[test]
fn past_size_proofs_match_ct_merkle_proofs_taken_at_that_size() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    let mut tree = CtTree::new();
    grow(&mut log, &mut tree, 150);
    let snapshot = tree.clone();
    grow(&mut log, &mut tree, 150);
    for index in 0..150u64 {
        let ours = log.inclusion_proof(index, 150).unwrap();
        assert_eq!(
            flat(ours.path()),
            snapshot.prove_inclusion(index as usize).as_bytes()
        );
    }
    for old in 1..150u64 {
        let ours = log.consistency_proof(old, 150).unwrap();
        assert_eq!(
            flat(ours.path()),
            snapshot.prove_consistency((150 - old) as usize).as_bytes()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn random_larger_sizes_match_ct_merkle(size in 301u64..3000, picks in proptest::collection::vec(any::<u64>(), 16)) {
        let mut log = Log::new(MemoryStore::new()).unwrap();
        let mut tree = CtTree::new();
        // Append in uneven batches so batch boundaries land everywhere.
        let mut left = size;
        let mut batch_no = 0u64;
        while left > 0 {
            let n = left.min(1 + (batch_no * 37) % 211);
            let start = log.size();
            let payloads: Vec<Vec<u8>> = (start..start + n).map(|i| i.to_be_bytes().to_vec()).collect();
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let appended = log.append(&refs).unwrap();
            prop_assert_eq!(appended.indices(), start..start + n);
            for i in start..start + n {
                tree.push(preimage(&log, i));
            }
            left -= n;
            batch_no += 1;
        }
        let indices: Vec<u64> = picks.iter().map(|p| p % size).chain([0, size - 1]).collect();
        let olds: Vec<u64> = picks.iter().map(|p| p % (size + 1)).chain([1, size.next_power_of_two() / 2, size - 1]).collect();
        compare_at_current_size(&log, &tree, &indices, &olds, true);
    }
}
