//! Signed notes and checkpoints (C2SP signed-note / tlog-checkpoint) as a witness or a customer receives
//! them. Tag 0: `SignedNote::parse`; 1: `Checkpoint::parse` (the note text); 2: `SignedCheckpoint::parse`
//! and verification against the fixture log key. Each re-encodes byte-exactly and never panics.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use custodia_ledger::{Checkpoint, SignedCheckpoint, SignedNote};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((tag, rest)) = data.split_first() else {
        return;
    };
    match tag % 3 {
        0 => {
            if let Ok(note) = SignedNote::parse(rest) {
                assert_eq!(note.to_bytes(), rest, "signed note round trip");
                let _ = note.verify(std::slice::from_ref(&*fixtures::LOG_VERIFIER));
            }
        }
        1 => {
            if let Ok(text) = std::str::from_utf8(rest)
                && let Ok(cp) = Checkpoint::parse(text)
            {
                assert_eq!(cp.to_text(), text, "checkpoint text round trip");
                let _ = cp.time();
            }
        }
        _ => {
            if let Ok(cp) = SignedCheckpoint::parse(rest) {
                assert_eq!(cp.to_bytes(), rest, "signed checkpoint round trip");
                if let Ok(v) = cp.verify(&fixtures::LOG_POLICY) {
                    assert_eq!(v.checkpoint(), cp.checkpoint());
                }
                let json = serde_json::to_string(&cp).unwrap();
                let back: SignedCheckpoint = serde_json::from_str(&json).unwrap();
                assert_eq!(back.to_bytes(), cp.to_bytes());
            }
        }
    }
});
