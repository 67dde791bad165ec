//! The brokerage's read-only ledger proofs (`Brokerage::inclusion_proof`, `consistency_proof`): they verify
//! against the roots of the brokerage's own signed checkpoints, prove nothing for another root, and a bad
//! index or size is refused by the field's name without writing anything.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_brokerage::{Brokerage, BrokerageConfig, BrokerageError, OldKeks, StaticKeySource};

fn open(dir: &std::path::Path) -> Brokerage {
    Brokerage::open(
        BrokerageConfig::sqlite(dir.join("b.db")),
        &StaticKeySource::new([0x54; 32]),
    )
    .unwrap()
}

fn field(e: BrokerageError) -> &'static str {
    match e {
        BrokerageError::InvalidInput { field, .. } => field,
        other => panic!("not a named input error: {other}"),
    }
}

#[test]
fn consistency_proofs_verify_between_signed_checkpoints_and_bad_indices_and_sizes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    b.rotate_kek(OldKeks::Keep).unwrap();
    let old = b.checkpoint().unwrap();
    b.rotate_kek(OldKeks::Keep).unwrap();
    b.rotate_kek(OldKeks::Keep).unwrap();
    let new = b.checkpoint().unwrap();
    let (a, z) = (old.checkpoint().size(), new.checkpoint().size());
    assert!(a > 0 && z > a && b.ledger_size() == z);

    let proof = b.consistency_proof(a, z).unwrap();
    proof
        .verify(old.checkpoint().root(), new.checkpoint().root())
        .unwrap();
    assert!(
        proof
            .verify(new.checkpoint().root(), new.checkpoint().root())
            .is_err()
    );

    // An inclusion proof names the entry and size asked for (custodia-service's tests verify one with a
    // leaf from an audit pack; this crate gives tests no leaf).
    let inclusion = b.inclusion_proof(0, z).unwrap();
    assert_eq!((inclusion.index(), inclusion.size()), (0, z));
    assert!(!inclusion.path().is_empty());

    assert_eq!(field(b.inclusion_proof(z, z).unwrap_err()), "index");
    assert_eq!(field(b.inclusion_proof(0, z + 1).unwrap_err()), "size");
    assert_eq!(field(b.inclusion_proof(0, 0).unwrap_err()), "size");
    assert_eq!(field(b.consistency_proof(a, z + 1).unwrap_err()), "new");
    assert_eq!(field(b.consistency_proof(z, a).unwrap_err()), "old");
    assert!(b.consistency_proof(z, z).unwrap().path().is_empty());
    // Nothing above wrote to the ledger.
    assert_eq!(b.ledger_size(), z);
}
