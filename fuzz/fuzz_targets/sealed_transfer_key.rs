//! A transfer key sealed to the buyer with HPKE, as it arrives in a package header: decode, re-encode
//! byte-exactly, open with the buyer's key for the transfer it names and for another. Never a panic.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use custodia_crypto::SealedTransferKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sealed) = SealedTransferKey::decode(data) else {
        return;
    };
    assert_eq!(sealed.encode(), data, "sealed transfer key round trip");
    if let Ok(key) = fixtures::RECIPIENT.open_transfer_key(&sealed, sealed.transfer_id()) {
        assert_eq!(key.transfer_id(), sealed.transfer_id());
    }
    let other = fixtures::SEALED_TRANSFER_KEY.transfer_id();
    if other != sealed.transfer_id() {
        assert!(fixtures::RECIPIENT.open_transfer_key(&sealed, other).is_err());
    }
});
