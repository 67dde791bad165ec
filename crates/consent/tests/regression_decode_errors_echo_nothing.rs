//! A corrupt or hostile ledger payload's decode error names what was wrong and where, never the bytes
//! found (PIPL Art 51: an error lands in logs that outlive the ledger entry, which may be erased later).
//! Found by hardening (issue 10): the schema check echoed the payload's `schema` value, and serde's
//! backtick-quoted values (an unknown field's name, an out-of-range integer) passed through unmasked.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]

use custodia_consent::ConsentRecord;

/// A value shaped like personal information, to be planted in every string position.
const PLANTED: &str = "张三丰 13800138000 zhang.san@example.com";

#[test]
fn decode_errors_never_echo_a_payload_value() {
    let payloads = [
        // The schema field itself.
        format!(r#"{{"schema":"{PLANTED}","format":1,"record":{{}}}}"#),
        // A value of the wrong type where the format number goes.
        format!(r#"{{"schema":"custodia-consent","format":"{PLANTED}","record":{{}}}}"#),
        // An unknown envelope field, named by the planted text.
        format!(r#"{{"schema":"custodia-consent","format":1,"{PLANTED}":1,"record":{{}}}}"#),
        // Unknown record variants and fields.
        format!(r#"{{"schema":"custodia-consent","format":1,"record":{{"{PLANTED}":{{}}}}}}"#),
        format!(r#"{{"schema":"custodia-consent","format":1,"record":{{"event":{{"{PLANTED}":1}}}}}}"#),
        format!(r#"{{"schema":"custodia-consent","format":1,"record":{{"event":{{"id":"{PLANTED}"}}}}}}"#),
        format!(r#"{{"schema":"custodia-consent","format":1,"record":{{"notice":{{"id":"{PLANTED}"}}}}}}"#),
        // A number where a small one goes: serde quotes integers in backticks.
        r#"{"schema":"custodia-consent","format":13800138000,"record":{}}"#.to_owned(),
        // Broken JSON right after the planted text.
        format!(r#"{{"schema":"{PLANTED}"#),
    ];
    for (n, payload) in payloads.iter().enumerate() {
        let error = ConsentRecord::decode(9, payload.as_bytes()).unwrap_err();
        for shown in [error.to_string(), format!("{error:?}")] {
            for part in ["张三丰", "13800138000", "zhang.san@example.com"] {
                assert!(
                    !shown.contains(part),
                    "payload {n}: the error repeats {part:?}: {shown}"
                );
            }
            assert!(
                shown.contains('9'),
                "payload {n}: the error names the ledger index: {shown}"
            );
        }
    }
}
