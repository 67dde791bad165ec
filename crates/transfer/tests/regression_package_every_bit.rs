//! Every single-byte change of a small package makes import fail (issue 10), checked harder than by one
//! flipped bit per byte: each of the eight bits of every byte, and the byte inverted. A field that is
//! parsed leniently (any non-zero value read as "yes", a reserved bit ignored) and not covered byte for
//! byte by the manifest and the seller's signature would pass one of these.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

mod common;

use common::*;
use custodia_consent::TransferPath;
use custodia_transfer::ImportSettings;

#[test]
fn every_bit_of_every_byte_and_every_inverted_byte_of_a_package_fails_import() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 1);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    assert!(import_into(&keys, &agreement, &bytes, &ImportSettings::default()).is_ok());
    let mut cases = 0;
    for i in 0..bytes.len() {
        for delta in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF] {
            let mut bad = bytes.clone();
            bad[i] ^= delta;
            assert!(
                import_into(&keys, &agreement, &bad, &ImportSettings::default()).is_err(),
                "byte {i} of {} changed by {delta:#04x} was imported",
                bytes.len()
            );
            cases += 1;
        }
    }
    assert_eq!(cases, bytes.len() * 9);
}
