//! Consent records on a real ledger: rebuilding the index, skipping other entries, redaction, and
//! receipts that verify offline with the controller's public key and fail when tampered with.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use custodia_consent::*;
use custodia_crypto::SigningKey;
use custodia_ledger::{Log, MemoryStore, NoteSigner, SignatureKind};
use custodia_model::{DataCategory, Jurisdiction, Purpose};

fn signer(name: &str) -> NoteSigner {
    NoteSigner::new(name, SignatureKind::Ed25519, SigningKey::generate().unwrap()).unwrap()
}

fn marketing_contact() -> ProposedUse {
    ProposedUse::domestic(Purpose::Marketing, DataCategory::Contact)
}

/// A ledger holding another crate's entry, notice v1, a grant for customer 1 (index 2), a grant for
/// customer 2 (index 3) and customer 2's withdrawal (index 4).
fn ledger() -> ConsentLedger<MemoryStore> {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"retention: destruction certificate"]).unwrap();
    let mut ledger = ConsentLedger::open(log, cn_policy(), &mut |_| {}).unwrap();
    assert_eq!(ledger.publish(&notice_v1()).unwrap(), 1);
    assert_eq!(
        ledger
            .record(&EventSpec::grant(customer(1), day(1)).build())
            .unwrap(),
        2
    );
    let first = ledger
        .record_batch(&[
            ConsentRecord::Event(EventSpec::grant(customer(2), day(1)).build()),
            ConsentRecord::Event(
                EventSpec::grant(customer(2), day(5))
                    .kind(EventKind::Withdrawn)
                    .build(),
            ),
        ])
        .unwrap();
    assert_eq!(first, 3);
    ledger
}

#[test]
fn a_rebuilt_index_answers_like_the_live_one() {
    let ledger = ledger();
    let mut reports = Vec::new();
    let rebuilt = ConsentIndex::rebuild(ledger.log(), cn_policy(), &mut |p| {
        reports.push((p.phase(), p.done(), p.total()))
    })
    .unwrap();
    assert_eq!(
        reports.last(),
        Some(&(custodia_model::Phase::ConsentReplay, 5, Some(5)))
    );
    assert_eq!(rebuilt.stats(), ledger.index().stats());
    assert_eq!(rebuilt.stats().skipped, 1);
    assert_eq!(rebuilt.stats().customers, 2);
    for c in [customer(1), customer(2)] {
        for t in 0..8 {
            let s = Subject::new(c);
            assert_eq!(
                rebuilt.permits(&s, &marketing_contact(), day(t), day(9)),
                ledger.permits(&s, &marketing_contact(), day(t), day(9))
            );
        }
    }
    assert!(
        ledger
            .permits(&Subject::new(customer(2)), &marketing_contact(), day(3), day(9))
            .is_permitted()
    );
    assert!(
        !ledger
            .permits(&Subject::new(customer(2)), &marketing_contact(), day(6), day(9))
            .is_permitted()
    );
}

#[test]
fn catching_up_takes_in_only_new_entries() {
    let ledger = ledger();
    let mut log = ledger.into_log();
    let mut index = ConsentIndex::rebuild(&log, cn_policy(), &mut |_| {}).unwrap();
    let late = EventSpec::grant(customer(3), day(2)).build();
    log.append(&[&ConsentRecord::Event(late).encode().unwrap()])
        .unwrap();
    index.catch_up(&log, &mut |_| {}).unwrap();
    assert_eq!(index.last_index(), Some(5));
    assert!(
        index
            .permits(&Subject::new(customer(3)), &marketing_contact(), day(3), day(3))
            .is_permitted()
    );
    // Nothing new: a second catch-up is a no-op, not a double insert.
    index.catch_up(&log, &mut |_| {}).unwrap();
    assert_eq!(index.stats().events, 4);
}

#[test]
fn a_corrupt_consent_payload_is_an_error_naming_its_index() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[
        &ConsentRecord::Notice(notice_v1()).encode().unwrap(),
        br#"{"schema":"custodia-consent","format":1,"record":{"event":{"id":"nope"}}}"#,
    ])
    .unwrap();
    match ConsentIndex::rebuild(&log, cn_policy(), &mut |_| {}) {
        Err(ConsentError::Payload { index: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_redacted_grant_no_longer_counts_after_a_rebuild() {
    let ledger = ledger();
    let mut log = ledger.into_log();
    let record = log.redact(2, b"erasure request 2025-02").unwrap();
    let index = ConsentIndex::rebuild(&log, cn_policy(), &mut |_| {}).unwrap();
    assert_eq!(record, 5);
    // Entry 0 (foreign), 2 (redacted) and 5 (the ledger's redaction record) are skipped.
    assert_eq!(index.stats().skipped, 3);
    assert!(
        !index
            .permits(&Subject::new(customer(1)), &marketing_contact(), day(3), day(9))
            .is_permitted()
    );
}

#[test]
fn a_receipt_verifies_offline_with_only_the_public_key() {
    let mut ledger = ledger();
    let key = signer("seller.example/consent");
    let checkpoint = ledger
        .checkpoint(&key, "seller.example/consent", day(10))
        .unwrap();
    let receipt = ledger.receipt(2, &checkpoint).unwrap();

    // What the customer holds: the receipt as JSON, and the controller's public key as a vkey string.
    let json = serde_json::to_string_pretty(&receipt).unwrap();
    let vkey = key.verifier().to_vkey();
    let held: ConsentReceipt = serde_json::from_str(&json).unwrap();
    let verifier = custodia_ledger::NoteVerifier::from_vkey(&vkey).unwrap();
    let verified = held.verify(&verifier).unwrap();

    let f = verified.fields();
    assert_eq!(f.ledger_index, 2);
    assert_eq!(f.pii_principal_id, customer(1));
    assert_eq!(f.event_type, EventKind::Granted);
    assert_eq!(f.purposes, [Purpose::Marketing].into());
    assert_eq!(f.notice_digest, Some(notice_v1().fields().text_digest));
    assert_eq!(f.pii_controller.as_ref().unwrap().name, "示例保险经纪有限公司");
    assert_eq!(f.schema_version, RECEIPT_SCHEMA);
    assert_eq!(verified.tree_size(), 5);
    assert_eq!(verified.origin(), "seller.example/consent");
    assert_eq!(verified.notice(), Some(&notice_v1()));
    // No name, number or address of the customer anywhere in the receipt.
    assert!(!json.contains("张"));
}

#[test]
fn a_tampered_receipt_fails() {
    let mut ledger = ledger();
    let key = signer("seller.example/consent");
    let checkpoint = ledger
        .checkpoint(&key, "seller.example/consent", day(10))
        .unwrap();
    let receipt = ledger.receipt(2, &checkpoint).unwrap();
    let good = serde_json::to_value(&receipt).unwrap();
    assert!(receipt.verify(key.verifier()).is_ok());

    let tamper = |edit: &dyn Fn(&mut serde_json::Value)| -> Result<VerifiedReceipt, ConsentError> {
        let mut v = good.clone();
        edit(&mut v);
        let r: ConsentReceipt = serde_json::from_value(v).unwrap();
        r.verify(key.verifier())
    };
    // The readable fields claim more than was agreed.
    assert_eq!(
        tamper(&|v| v["fields"]["purposes"] = serde_json::json!(["marketing", "analytics"])),
        Err(ConsentError::ReceiptInvalid)
    );
    // The stored payload edited to match.
    assert_eq!(
        tamper(&|v| {
            let p = v["event"]["payload"]
                .as_str()
                .unwrap()
                .replace("marketing", "analytics");
            v["event"]["payload"] = p.into();
            v["fields"]["purposes"] = serde_json::json!(["analytics"]);
        }),
        Err(ConsentError::ReceiptInvalid)
    );
    // The proof claims another position.
    assert_eq!(
        tamper(&|v| v["event"]["index"] = 3.into()),
        Err(ConsentError::ReceiptInvalid)
    );
    // The notice entry dropped, so the fields would lose the notice's promises.
    assert_eq!(
        tamper(&|v| v["notice"] = serde_json::Value::Null),
        Err(ConsentError::ReceiptInvalid)
    );
    // The other event's entry and proof put in its place.
    let other = serde_json::to_value(ledger.receipt(3, &checkpoint).unwrap()).unwrap();
    assert_eq!(
        tamper(&|v| v["event"] = other["event"].clone()),
        Err(ConsentError::ReceiptInvalid)
    );
    // Verified with some other key.
    assert_eq!(
        receipt.verify(signer("seller.example/consent").verifier()),
        Err(ConsentError::ReceiptInvalid)
    );
    // A checkpoint signed by the right key but of a forged log that holds an edited grant.
    let mut forged =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), cn_policy(), &mut |_| {}).unwrap();
    forged.publish(&notice_v1()).unwrap();
    let forged_checkpoint = forged
        .checkpoint(&key, "seller.example/consent", day(10))
        .unwrap();
    let forged_cp = serde_json::to_value(&forged_checkpoint).unwrap();
    assert_eq!(
        tamper(&|v| v["checkpoint"] = forged_cp.clone()),
        Err(ConsentError::ReceiptInvalid)
    );
}

#[test]
fn receipts_are_refused_for_entries_that_are_not_events_or_not_in_the_checkpoint() {
    let mut ledger = ledger();
    let key = signer("seller.example/consent");
    let checkpoint = ledger
        .checkpoint(&key, "seller.example/consent", day(10))
        .unwrap();
    assert!(matches!(
        ledger.receipt(1, &checkpoint),
        Err(ConsentError::NotIndexed { index: 1, .. })
    ));
    assert!(matches!(
        ledger.receipt(0, &checkpoint),
        Err(ConsentError::Payload { index: 0, .. })
    ));
    ledger
        .record(&EventSpec::grant(customer(4), day(1)).build())
        .unwrap();
    assert!(matches!(
        ledger.receipt(5, &checkpoint),
        Err(ConsentError::NotIndexed { index: 5, .. })
    ));
}

#[test]
fn cross_border_receipts_name_the_destination() {
    let mut ledger =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), cn_policy(), &mut |_| {}).unwrap();
    let buyer = party(9);
    ledger
        .publish(&notice(NoticeSpec {
            version: 2,
            purposes: vec![Purpose::Transfer],
            categories: vec![DataCategory::Policies],
            recipients: vec![Recipient::ThirdParty(buyer)],
            destinations: vec![Jurisdiction::HONG_KONG],
        }))
        .unwrap();
    let mut g = EventSpec::grant(customer(5), day(1));
    g.purposes = vec![Purpose::Transfer];
    g.categories = vec![DataCategory::Policies];
    g.recipient = Recipient::ThirdParty(buyer);
    g.destinations = vec![Jurisdiction::HONG_KONG];
    g.separate = true;
    g.notice_version = 2;
    let at = ledger.record(&g.build()).unwrap();
    let key = signer("seller.example/consent");
    let cp = ledger.checkpoint(&key, "seller.example/consent", day(2)).unwrap();
    let verified = ledger.receipt(at, &cp).unwrap().verify(key.verifier()).unwrap();
    let f = verified.fields();
    assert_eq!(f.jurisdictions, [Jurisdiction::HONG_KONG].into());
    assert_eq!(f.consent_form, ConsentForm::Separate);
    assert_eq!(f.recipients[0].recipient, Recipient::ThirdParty(buyer));
    assert_eq!(
        f.recipients[0].name.as_deref(),
        Some(format!("recipient {}", Recipient::ThirdParty(buyer)).as_str())
    );
}

#[test]
fn what_the_index_would_refuse_never_reaches_the_ledger() {
    let mut ledger = ledger();
    let size = ledger.log().size();
    let mut other = notice_v1().fields().clone();
    other.text_digest = Digest::of(b"a different text under the same version");
    let conflicting = Notice::new(other).unwrap();
    assert!(matches!(
        ledger.publish(&conflicting),
        Err(ConsentError::ConflictingNotice { version: 1, .. })
    ));
    // Two different versions 7 in one batch.
    let mut a = notice_v1().fields().clone();
    a.version = 7;
    let mut b = a.clone();
    b.retention = "five years".into();
    assert!(matches!(
        ledger.record_batch(&[
            ConsentRecord::Notice(Notice::new(a).unwrap()),
            ConsentRecord::Notice(Notice::new(b).unwrap()),
        ]),
        Err(ConsentError::ConflictingNotice { version: 7, .. })
    ));
    // More purposes than the index has bits for.
    let many: Vec<ConsentRecord> = (0..MAX_PURPOSES)
        .map(|i| {
            let mut g = EventSpec::grant(customer(20), day(1));
            g.purposes = vec![Purpose::custom(&format!("custom_{i}")).unwrap()];
            ConsentRecord::Event(g.build())
        })
        .collect();
    assert!(matches!(
        ledger.record_batch(&many),
        Err(ConsentError::Capacity { what: "purposes", .. })
    ));
    assert_eq!(ledger.log().size(), size, "nothing was appended");
    // The same notice again is harmless and is recorded.
    assert!(ledger.publish(&notice_v1()).is_ok());
    assert!(ConsentIndex::rebuild(ledger.log(), cn_policy(), &mut |_| {}).is_ok());
}

#[test]
fn format_1_payloads_written_before_notices_were_bitemporal_still_decode() {
    // A format-1 notice had no recorded_at: it was known from its publication.
    let published_late = notice_at(
        NoticeSpec {
            version: 1,
            purposes: vec![Purpose::Marketing],
            categories: vec![DataCategory::Contact],
            recipients: vec![],
            destinations: vec![],
        },
        day(3),
        day(3),
    );
    let to_format_1 = |record: &ConsentRecord, drop_recorded_at: bool| {
        let mut v: serde_json::Value = serde_json::from_slice(&record.encode().unwrap()).unwrap();
        v["format"] = 1.into();
        // `get_mut`, not indexing: indexing a JSON object inserts the key it does not find.
        if drop_recorded_at
            && let Some(n) = v
                .get_mut("record")
                .and_then(|r| r.get_mut("notice"))
                .and_then(|n| n.as_object_mut())
        {
            n.remove("recorded_at");
        }
        serde_json::to_vec(&v).unwrap()
    };
    let record = ConsentRecord::Notice(published_late.clone());
    assert_eq!(
        ConsentRecord::decode(0, &to_format_1(&record, true)).unwrap(),
        record
    );
    // recorded_at is not a format-1 field, and nothing format 2 added decodes as format 1.
    assert!(matches!(
        ConsentRecord::decode(0, &to_format_1(&record, false)),
        Err(ConsentError::Payload { index: 0, .. })
    ));
    let provided = ConsentRecord::Event(
        EventSpec::grant(customer(1), day(4))
            .kind(EventKind::Provided)
            .build(),
    );
    assert!(matches!(
        ConsentRecord::decode(0, &to_format_1(&provided, true)),
        Err(ConsentError::Payload { index: 0, .. })
    ));
    let grant = ConsentRecord::Event(EventSpec::grant(customer(1), day(4)).build());
    assert_eq!(
        ConsentRecord::decode(0, &to_format_1(&grant, true)).unwrap(),
        grant
    );
    // The bytes written today are format 2.
    assert!(
        String::from_utf8(grant.encode().unwrap())
            .unwrap()
            .contains("\"format\":2")
    );
}
