//! Wrapped data keys (under a KEK, from a key store) and transfer-wrapped keys (from a package): decode,
//! re-encode byte-exactly, unwrap. Never a panic; an unwrap that succeeds names the customer and key the
//! bytes claim.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use custodia_crypto::{TransferWrappedKey, WrappedKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(wrapped) = WrappedKey::decode(data) {
        assert_eq!(wrapped.encode(), data, "wrapped key round trip");
        for ring in [&*fixtures::SELLER_RING, &*fixtures::BUYER_RING] {
            if let Ok(dek) = ring.unwrap(&wrapped) {
                assert_eq!(dek.customer(), wrapped.customer());
                assert_eq!(dek.id(), wrapped.dek_id());
            }
        }
    }
    if let Ok(wrapped) = TransferWrappedKey::decode(data) {
        assert_eq!(wrapped.encode(), data, "transfer wrapped key round trip");
        if let Ok(dek) = fixtures::TRANSFER_KEY.unwrap_data_key(&wrapped) {
            assert_eq!(dek.customer(), wrapped.customer());
            assert_eq!(dek.id(), wrapped.dek_id());
            assert_eq!(wrapped.transfer_id(), fixtures::TRANSFER_KEY.transfer_id());
        }
    }
});
