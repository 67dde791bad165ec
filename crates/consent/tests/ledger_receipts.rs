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
    assert_eq!(f.record_kind, RecordKind::ConsentRecord);
    // The receipt has its own id, not the record's, and it is the one derived from record and checkpoint.
    assert_ne!(f.receipt_id.as_uuid(), f.record_id.as_uuid());
    assert_eq!(f.receipt_id, ReceiptId::derive(f.record_id, &checkpoint));
    assert_eq!(f.receipt_id.as_uuid().get_version_num(), 8);
    let consent = f.consent.as_ref().unwrap();
    assert_eq!(consent.consent_state, ConsentState::Given);
    assert_eq!(consent.consent_type, ConsentType::Expressed);
    assert_eq!(consent.lawful_basis.basis, custodia_model::LegalBasis::Consent);
    assert_eq!(consent.lawful_basis.citations, ["PIPL Art 13", "PIPL Art 14"]);
    // No expiry: valid from the grant until withdrawn, never a bare null.
    assert_eq!(consent.validity.from, day(1));
    assert_eq!(consent.validity.until, None);
    assert_eq!(consent.validity.ends, ValidityEnd::OnWithdrawal);
    assert_eq!(f.event.entity_role, EntityRole::PiiPrincipal);
    assert_eq!(
        f.event.entity_id.as_deref(),
        Some(customer(1).to_string().as_str())
    );
    assert_eq!(f.event.legal_reference, "PIPL Art 14");
    assert_eq!(f.purposes, [Purpose::Marketing].into());
    assert_eq!(f.notice_digest, notice_v1().fields().text_digest);
    let controller = &f.pii_controllers[0];
    assert_eq!(controller.party_role, PartyRole::Controller);
    assert_eq!(controller.party_name.as_deref(), Some("示例保险经纪有限公司"));
    let details = custodia_synthetic::notices::processing_details("privacy@seller.invalid");
    assert_eq!(controller.party_id.as_ref(), Some(&details.controller_id));
    assert_eq!(
        controller.party_address.as_ref(),
        Some(&details.controller_address)
    );
    // Domestic processing still names its jurisdiction and where the data is stored.
    assert_eq!(f.jurisdiction, Some(Jurisdiction::MAINLAND_CHINA));
    assert_eq!(f.processing_locations, [Jurisdiction::MAINLAND_CHINA].into());
    assert_eq!(f.storage_locations, details.storage_locations);
    assert_eq!(f.withdrawal_method.as_ref(), Some(&details.withdrawal));
    // The controller itself is not a recipient third party.
    assert!(f.recipient_third_parties.is_empty());
    assert_eq!(
        f.pii_information,
        serde_json::from_value::<Vec<PiiInformation>>(serde_json::json!([
            {"pii_type": "contact", "sensitive": false, "sensitive_because": null}
        ]))
        .unwrap()
    );
    assert_eq!(f.schema_version, RECEIPT_SCHEMA);
    assert_eq!(verified.tree_size(), 5);
    assert_eq!(verified.origin(), "seller.example/consent");
    assert_eq!(verified.notice(), &notice_v1());
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
    // The notice entry dropped, so the fields would lose the notice's promises: not even a receipt.
    let mut v = good.clone();
    v["notice"] = serde_json::Value::Null;
    assert!(serde_json::from_value::<ConsentReceipt>(v).is_err());
    // A member the receipt format does not define, at any depth, is refused when the receipt is read — never
    // dropped, so what a reader sees in the file is exactly what verified (a renamed null member would
    // otherwise read as the absent one and verify).
    let first_controller = good["fields"]["pii_controllers"][0].as_object().unwrap().clone();
    let renamed_null = first_controller
        .iter()
        .find(|(_, value)| value.is_null())
        .map(|(name, _)| name.clone());
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let mut edits: Vec<Edit> = vec![
        Box::new(|v| v["fields"]["pii_controllers"][0]["wechat"] = "x".into()),
        Box::new(|v| v["fields"]["pii_information"][0]["note"] = serde_json::Value::Null),
        Box::new(|v| v["fields"]["validity"]["extra"] = 1.into()),
        Box::new(|v| v["fields"]["privacy_notice"]["extra"] = 1.into()),
        Box::new(|v| v["event"]["extra"] = 1.into()),
    ];
    if let Some(name) = renamed_null {
        edits.push(Box::new(move |v| {
            let party = v["fields"]["pii_controllers"][0].as_object_mut().unwrap();
            party.remove(&name);
            party.insert(format!("{name}x"), serde_json::Value::Null);
        }));
    }
    for (n, edit) in edits.iter().enumerate() {
        let mut v = good.clone();
        edit(&mut v);
        assert!(
            serde_json::from_value::<ConsentReceipt>(v).is_err(),
            "edit {n} was read"
        );
    }
    // The notice entry replaced by the event's: not the notice the event names.
    assert_eq!(
        tamper(&|v| v["notice"] = v["event"].clone()),
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
    // The processing's jurisdiction stays the controller's; the destination abroad is a processing location.
    assert_eq!(f.jurisdiction, Some(Jurisdiction::MAINLAND_CHINA));
    assert_eq!(
        f.processing_locations,
        [Jurisdiction::MAINLAND_CHINA, Jurisdiction::HONG_KONG].into()
    );
    let consent = f.consent.as_ref().unwrap();
    assert_eq!(consent.consent_type, ConsentType::Explicit);
    assert_eq!(
        consent.lawful_basis.citations,
        ["PIPL Art 13", "PIPL Art 14", "PIPL Art 23", "PIPL Art 39"]
    );
    let recipient = &f.recipient_third_parties[0];
    assert_eq!(recipient.party_role, PartyRole::ThirdParty);
    assert_eq!(recipient.party_id, Some(buyer.to_string()));
    assert_eq!(
        recipient.party_name.as_deref(),
        Some(format!("recipient {}", Recipient::ThirdParty(buyer)).as_str())
    );
}

/// Grants, withdrawals and guardian grants are consent records; a served notice, an objection, a refusal
/// and a provision are records of their own kind, with no consent elements.
#[test]
fn events_that_are_not_consents_are_records_of_their_own_kind() {
    let mut ledger =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), cn_policy(), &mut |_| {}).unwrap();
    ledger.publish(&notice_v1()).unwrap();
    let kinds = [
        (EventKind::Granted, RecordKind::ConsentRecord),
        (EventKind::Withdrawn, RecordKind::ConsentRecord),
        (EventKind::NoticeServed, RecordKind::NoticeRecord),
        (EventKind::Objected, RecordKind::ObjectionRecord),
        (EventKind::Refused, RecordKind::RefusalRecord),
        (EventKind::Provided, RecordKind::ProvisionRecord),
    ];
    let mut at = Vec::new();
    for (i, (kind, _)) in kinds.iter().enumerate() {
        let spec = EventSpec::grant(customer(7), day(1 + i as i64)).kind(*kind);
        at.push(ledger.record(&spec.build()).unwrap());
    }
    let key = signer("seller.example/consent");
    let cp = ledger
        .checkpoint(&key, "seller.example/consent", day(20))
        .unwrap();
    for ((kind, record_kind), index) in kinds.iter().zip(at) {
        let verified = ledger
            .receipt(index, &cp)
            .unwrap()
            .verify(key.verifier())
            .unwrap();
        let f = verified.fields();
        assert_eq!(f.record_kind, *record_kind, "{kind:?}");
        assert_eq!(
            f.consent.is_some(),
            *record_kind == RecordKind::ConsentRecord,
            "{kind:?}"
        );
        let role = match kind {
            EventKind::NoticeServed | EventKind::Provided => EntityRole::Controller,
            _ => EntityRole::PiiPrincipal,
        };
        assert_eq!(f.event.entity_role, role, "{kind:?}");
        if *kind == EventKind::Withdrawn {
            let consent = f.consent.as_ref().unwrap();
            assert_eq!(consent.consent_state, ConsentState::Withdrawn);
            assert_eq!(consent.validity.ends, ValidityEnd::Indefinite);
            assert!(consent.lawful_basis.citations.contains(&"PIPL Art 15".to_owned()));
        }
    }
}

/// A guardian's receipt for a minor lists every category as sensitive (PIPL Art 28: a minor's personal
/// information is sensitive), names the guardian as the entity that consented, and cites PIPL Art 31.
#[test]
fn a_guardians_receipt_lists_every_category_as_sensitive() {
    let mut ledger =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), cn_policy(), &mut |_| {}).unwrap();
    ledger.publish(&notice_v1()).unwrap();
    let guardian = GuardianId::from_uuid(uuid::Uuid::from_u128(0x6a4d)).unwrap();
    let mut g = EventSpec::grant(customer(8), day(1)).kind(EventKind::GuardianGranted { guardian });
    g.categories = vec![DataCategory::Contact, DataCategory::Identity];
    let at = ledger.record(&g.build()).unwrap();
    let key = signer("seller.example/consent");
    let cp = ledger.checkpoint(&key, "seller.example/consent", day(2)).unwrap();
    let verified = ledger.receipt(at, &cp).unwrap().verify(key.verifier()).unwrap();
    let f = verified.fields();
    assert_eq!(f.pii_information.len(), 2);
    for info in &f.pii_information {
        assert!(info.sensitive, "{:?}", info.pii_type);
        assert_eq!(info.sensitive_because.as_deref(), Some("PIPL Art 28"));
    }
    assert_eq!(f.event.entity_role, EntityRole::Guardian);
    assert_eq!(f.event.entity_id, Some(guardian.to_string()));
    assert!(
        f.consent
            .as_ref()
            .unwrap()
            .lawful_basis
            .citations
            .contains(&"PIPL Art 31".to_owned())
    );
    // The same categories granted by the person themselves are not sensitive.
    let own = ledger
        .record(&EventSpec::grant(customer(9), day(1)).build())
        .unwrap();
    let cp = ledger.checkpoint(&key, "seller.example/consent", day(3)).unwrap();
    let verified = ledger.receipt(own, &cp).unwrap().verify(key.verifier()).unwrap();
    assert!(verified.fields().pii_information.iter().all(|i| !i.sensitive));
}

/// A receipt under another checkpoint is another receipt of the same record; a receipt whose id was
/// changed does not verify.
#[test]
fn the_receipt_id_is_the_receipts_own_and_is_checked() {
    let mut ledger = ledger();
    let key = signer("seller.example/consent");
    let first = ledger
        .checkpoint(&key, "seller.example/consent", day(10))
        .unwrap();
    ledger
        .record(&EventSpec::grant(customer(4), day(1)).build())
        .unwrap();
    let second = ledger
        .checkpoint(&key, "seller.example/consent", day(11))
        .unwrap();
    let a = ledger.receipt(2, &first).unwrap();
    let b = ledger.receipt(2, &second).unwrap();
    assert_eq!(a.fields().record_id, b.fields().record_id);
    assert_ne!(a.fields().receipt_id, b.fields().receipt_id);
    let mut v = serde_json::to_value(&a).unwrap();
    v["fields"]["receipt_id"] = serde_json::json!(b.fields().receipt_id);
    let forged: ConsentReceipt = serde_json::from_value(v).unwrap();
    assert_eq!(forged.verify(key.verifier()), Err(ConsentError::ReceiptInvalid));
}

/// A notice recorded before format 3 has no processing details: its events still get receipts, whose
/// controller id, address, jurisdiction, storage locations and withdrawal method are absent, not made up.
#[test]
fn receipts_under_a_format_2_notice_leave_out_what_it_did_not_say() {
    let mut legacy = notice_v1().fields().clone();
    legacy.processing = None;
    let legacy = Notice::new(legacy).unwrap();
    // The bytes format 2 wrote: today's canonical bytes without the last notice field, `processing`.
    // (A `serde_json::Value` would reorder the keys, and a payload must start with its schema.)
    let text = String::from_utf8(ConsentRecord::Notice(notice_v1()).encode().unwrap()).unwrap();
    let cut = text.find(",\"processing\":").unwrap();
    let format_2 = format!("{}}}}}}}", &text[..cut]).replacen("\"format\":3", "\"format\":2", 1);
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[format_2.as_bytes()]).unwrap();
    let grant = EventSpec::grant(customer(1), day(1)).build();
    log.append(&[&ConsentRecord::Event(grant).encode().unwrap()])
        .unwrap();
    let mut ledger = ConsentLedger::open(log, cn_policy(), &mut |_| {}).unwrap();
    let key = signer("seller.example/consent");
    let cp = ledger.checkpoint(&key, "seller.example/consent", day(2)).unwrap();
    let verified = ledger.receipt(1, &cp).unwrap().verify(key.verifier()).unwrap();
    assert_eq!(verified.notice(), &legacy);
    let f = verified.fields();
    assert_eq!(f.jurisdiction, None);
    assert!(f.storage_locations.is_empty());
    assert_eq!(f.withdrawal_method, None);
    assert_eq!(f.pii_controllers[0].party_id, None);
    // Publishing such a notice today is refused: format 3 requires the details.
    assert!(matches!(
        ledger.publish(&legacy),
        Err(ConsentError::Empty {
            field: "notice.processing"
        })
    ));
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
        // Neither format 1 nor 2 had a notice's processing details (format 3 added them).
        if let Some(n) = v
            .get_mut("record")
            .and_then(|r| r.get_mut("notice"))
            .and_then(|n| n.as_object_mut())
        {
            n.remove("processing");
        }
        serde_json::to_vec(&v).unwrap()
    };
    let record = ConsentRecord::Notice(published_late.clone());
    let mut without_processing = published_late.fields().clone();
    without_processing.processing = None;
    assert_eq!(
        ConsentRecord::decode(0, &to_format_1(&record, true)).unwrap(),
        ConsentRecord::Notice(Notice::new(without_processing).unwrap())
    );
    // A format-3 notice without its processing details, and a format-2 one with them, are refused.
    let mut v: serde_json::Value = serde_json::from_slice(&record.encode().unwrap()).unwrap();
    v["record"]["notice"]["processing"] = serde_json::Value::Null;
    assert!(matches!(
        ConsentRecord::decode(0, &serde_json::to_vec(&v).unwrap()),
        Err(ConsentError::Payload { index: 0, .. })
    ));
    let mut v: serde_json::Value = serde_json::from_slice(&record.encode().unwrap()).unwrap();
    v["format"] = 2.into();
    assert!(matches!(
        ConsentRecord::decode(0, &serde_json::to_vec(&v).unwrap()),
        Err(ConsentError::Payload { index: 0, .. })
    ));
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
    // The bytes written today are format 3.
    assert!(
        String::from_utf8(grant.encode().unwrap())
            .unwrap()
            .contains("\"format\":3")
    );
}
