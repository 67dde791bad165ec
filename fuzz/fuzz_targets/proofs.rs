//! Inclusion and consistency proofs as they arrive inside receipts, fed to the standalone verifiers.
//!
//! Input: `[mode, n, k, ops...]` over a fixed 64-leaf log. Mode 0 takes the true inclusion proof of leaf
//! `k % n` in the tree of `n` leaves, mode 1 the true consistency proof from `k % (n + 1)` to `n`; the ops
//! then flip bytes, drop or add hashes, or change the index. The verifier must accept exactly the true
//! proof and refuse every change. Mode 2 feeds arbitrary sizes, roots and paths (and the rest as JSON
//! proofs) and only asserts that nothing panics.
#![no_main]

use custodia_ledger::{
    ConsistencyProof, InclusionProof, Log, MemoryStore, MerkleHash, verify_consistency, verify_inclusion,
};
use libfuzzer_sys::fuzz_target;

const LEAVES: u64 = 64;

thread_local! {
    static LOG: Log<MemoryStore> = {
        let mut log = Log::new(MemoryStore::new()).unwrap();
        for i in 0..LEAVES {
            log.append(&[format!("leaf {i}").as_bytes()]).unwrap();
        }
        log
    };
}

fn hash(bytes: &[u8]) -> MerkleHash {
    let mut b = [0u8; 32];
    for (d, s) in b.iter_mut().zip(bytes) {
        *d = *s;
    }
    MerkleHash::from_slice(&b).unwrap()
}

/// Applies `ops` (pairs of bytes) to a path; returns the new path and an index delta.
fn mutate(path: &[MerkleHash], ops: &[u8]) -> (Vec<MerkleHash>, u64) {
    let mut bytes: Vec<u8> = path.iter().flat_map(|h| h.as_bytes().to_vec()).collect();
    let mut index_delta = 0u64;
    for op in ops.chunks(2) {
        let (a, b) = (op[0], op.get(1).copied().unwrap_or(1));
        match a % 4 {
            0 | 1 if !bytes.is_empty() => {
                let at = (usize::from(a / 4) * 256 + usize::from(b)) % bytes.len();
                bytes[at] ^= b.max(1);
            }
            2 => {
                let keep = bytes.len().saturating_sub(32 * usize::from(1 + b % 2));
                bytes.truncate(keep);
            }
            3 if b % 2 == 0 => bytes.extend_from_slice(&[b; 32]),
            _ => index_delta = index_delta.wrapping_add(u64::from(b)),
        }
    }
    (bytes.chunks(32).map(hash).collect(), index_delta)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (mode, n, k, ops) = (
        data[0] % 3,
        1 + u64::from(data[1]) % LEAVES,
        u64::from(data[2]),
        &data[3..],
    );
    LOG.with(|log| match mode {
        0 => {
            let index = k % n;
            let root = log.root_at(n).unwrap();
            let proof = log.inclusion_proof(index, n).unwrap();
            let leaf = *log.entry(index).unwrap().leaf_hash();
            assert!(proof.verify(&leaf, &root).is_ok());
            let (path, delta) = mutate(proof.path(), ops);
            let claimed = index.wrapping_add(delta);
            let ok = verify_inclusion(&leaf, claimed, n, &path, &root).is_ok();
            assert_eq!(
                ok,
                claimed == index && path == proof.path(),
                "inclusion: only the true proof verifies"
            );
        }
        1 => {
            let old = k % (n + 1);
            let (old_root, new_root) = (log.root_at(old).unwrap(), log.root_at(n).unwrap());
            let proof = log.consistency_proof(old, n).unwrap();
            assert!(proof.verify(&old_root, &new_root).is_ok());
            let (path, delta) = mutate(proof.path(), ops);
            let ok = verify_consistency(old, n, &old_root, &new_root, &path).is_ok();
            assert_eq!(
                ok,
                path == proof.path(),
                "consistency: only the true proof verifies"
            );
            if delta % 2 == 1 {
                // A wrong old size with the true path and roots.
                let claimed = old.wrapping_add(delta);
                if claimed != old && claimed <= n {
                    let ok = verify_consistency(claimed, n, &old_root, &new_root, proof.path()).is_ok();
                    // Sizes whose proofs coincide (both empty, equal roots) are the only way through.
                    assert!(!ok || log.root_at(claimed).unwrap() == old_root);
                }
            }
        }
        _ => {
            let word = |at: usize| {
                let mut w = [0u8; 8];
                for (i, d) in w.iter_mut().enumerate() {
                    *d = ops.get(at + i).copied().unwrap_or(0);
                }
                u64::from_be_bytes(w)
            };
            let (a, b) = (word(0), word(8));
            let rest = ops.get(16..).unwrap_or(&[]);
            let path: Vec<MerkleHash> = rest.chunks(32).map(hash).collect();
            let (x, y) = (hash(rest), hash(rest.get(32..).unwrap_or(&[])));
            let _ = verify_inclusion(&x, a, b, &path, &y);
            let _ = verify_consistency(a, b, &x, &y, &path);
            let _ = verify_consistency(a % 70, b % 70, &x, &y, &path);
            if let Ok(p) = serde_json::from_slice::<InclusionProof>(rest) {
                let back: InclusionProof = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
                assert_eq!(back, p);
                let _ = p.verify(&x, &y);
            }
            if let Ok(p) = serde_json::from_slice::<ConsistencyProof>(rest) {
                let back: ConsistencyProof =
                    serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
                assert_eq!(back, p);
                let _ = p.verify(&x, &y);
            }
        }
    });
});
