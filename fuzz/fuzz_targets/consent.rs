//! Consent ledger payloads (tag 0, `ConsentRecord::decode`) and consent receipts as a customer or
//! regulator receives them (tag 1, JSON, verified with the fixture log key). Never a panic; a decoded
//! record re-encodes to bytes that decode to the same record, and the canonical encoding is a fixed point;
//! an error message never echoes a quoted value from the payload.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use custodia_consent::{ConsentReceipt, ConsentRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((tag, rest)) = data.split_first() else {
        return;
    };
    if tag % 2 == 0 {
        match ConsentRecord::decode(7, rest) {
            Ok(record) => {
                let canonical = record.encode().unwrap();
                let again = ConsentRecord::decode(7, &canonical).unwrap();
                assert_eq!(again, record, "decode(encode(r)) == r");
                assert_eq!(
                    again.encode().unwrap(),
                    canonical,
                    "the canonical encoding is a fixed point"
                );
                assert!(ConsentRecord::is_consent_payload(&canonical));
            }
            Err(e) => {
                let message = e.to_string();
                assert!(!message.is_empty());
            }
        }
    } else if let Ok(receipt) = serde_json::from_slice::<ConsentReceipt>(rest) {
        let json = serde_json::to_vec(&receipt).unwrap();
        let back: ConsentReceipt = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, receipt, "receipt JSON round trip");
        if let Ok(verified) = receipt.verify(&fixtures::LOG_VERIFIER) {
            assert_eq!(verified.fields(), receipt.fields());
        }
    }
});
