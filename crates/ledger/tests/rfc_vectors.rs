//! Known answers for the tree itself: the RFC 6962 / RFC 9162 test vectors published with Certificate
//! Transparency and kept in github.com/transparency-dev/merkle (`testonly/constants.go` leaves and roots,
//! `proof/verify_test.go` inclusion proofs, the consistency proofs of the CT test suite). Those leaves are
//! unsalted, so they are written to a `MemoryStore` directly as leaf hashes; every root and proof is then
//! produced by `Log` exactly as for salted entries.

// Helpers outside #[test] fns panic on purpose: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_ledger::{
    Log, LogStore, MemoryStore, MerkleHash, NewEntry, NodeId, Salt, node_hash, verify_consistency,
    verify_inclusion,
};
use ring::digest::{SHA256, digest};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn h(s: &str) -> MerkleHash {
    MerkleHash::from_slice(&unhex(s)).unwrap()
}

/// A log whose eight leaves are the CT test vector leaves, `SHA-256(0x00 ‖ data)`, with every complete
/// perfect subtree stored.
fn vector_log() -> Log<MemoryStore> {
    let leaves: Vec<MerkleHash> = LEAVES
        .iter()
        .map(|data| {
            MerkleHash::from_slice(digest(&SHA256, &[&[0u8][..], &unhex(data)].concat()).as_ref()).unwrap()
        })
        .collect();
    let mut nodes = Vec::new();
    let mut level_hashes = leaves.clone();
    let mut level = 0u8;
    while level_hashes.len() > 1 {
        level += 1;
        level_hashes = level_hashes
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
        for (index, hash) in level_hashes.iter().enumerate() {
            nodes.push((NodeId::new(level, index as u64).unwrap(), *hash));
        }
    }
    let salt = Salt::from_bytes([0; 32]);
    let rows: Vec<NewEntry<'_>> = leaves
        .iter()
        .map(|leaf| NewEntry::new(*leaf, salt, b""))
        .collect();
    let store = MemoryStore::new();
    store.append(0, &rows, &nodes).unwrap();
    Log::new(store).unwrap()
}

#[test]
fn roots_at_every_size_match_the_ct_vectors() {
    let log = vector_log();
    assert_eq!(
        log.root_at(0).unwrap().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for (size, root) in ROOTS.iter().enumerate() {
        assert_eq!(
            log.root_at(size as u64 + 1).unwrap(),
            h(root),
            "size {}",
            size + 1
        );
    }
    assert_eq!(log.root(), h(ROOTS[7]));
}

#[test]
fn inclusion_proofs_match_the_ct_vectors() {
    let log = vector_log();
    let cases: [(u64, u64, &[&str]); 7] = [
        (0, 1, &[]),
        (
            0,
            2,
            &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
        ),
        (
            1,
            2,
            &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (index, size, want) in cases {
        let proof = log.inclusion_proof(index, size).unwrap();
        let want: Vec<MerkleHash> = want.iter().map(|s| h(s)).collect();
        assert_eq!(proof.path(), want.as_slice(), "inclusion {index} in {size}");
        let leaf = *log.entry(index).unwrap().leaf_hash();
        verify_inclusion(&leaf, index, size, &want, &h(ROOTS[size as usize - 1])).unwrap();
    }
}

#[test]
fn consistency_proofs_match_the_ct_vectors() {
    let log = vector_log();
    let cases: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, new, want) in cases {
        let proof = log.consistency_proof(old, new).unwrap();
        let want: Vec<MerkleHash> = want.iter().map(|s| h(s)).collect();
        assert_eq!(proof.path(), want.as_slice(), "consistency {old} -> {new}");
        verify_consistency(
            old,
            new,
            &h(ROOTS[old as usize - 1]),
            &h(ROOTS[new as usize - 1]),
            &want,
        )
        .unwrap();
    }
}
