//! The access log on the ledger: every decision recorded, queries by customer and principal, inclusion
//! proofs against a signed checkpoint, and no personal value in an entry or an error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::*;
use custodia_access::{
    AccessEntry, AccessError, AccessLog, AccessRequest, Action, Effect, Gate, LogSettings, PAYLOAD_PREFIX,
    Ticket,
};
use custodia_crypto::SigningKey;
use custodia_ledger::{
    Log, MemoryStore, NoteSigner, SignatureKind, SignedCheckpoint, TrustPolicy, verify_inclusion,
};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};

const ORIGIN: &str = "broker.example/access";

#[test]
fn every_decision_is_logged_and_provable_allow_or_deny() {
    let gate = Gate::cn_insurance_broker().unwrap();
    let handler = staff("emp-0042", &["claims_handler"], &[Purpose::ClaimsAssistance]);
    let marketer = staff("emp-0043", &["marketing"], &[Purpose::Marketing]);
    let customer = CustomerId::new_v7();
    let other = CustomerId::new_v7();
    let at = monday_morning();
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"another crate's entry"]).unwrap();
    let mut entries = Vec::new();
    for (who, purpose, cust, cat, minutes) in [
        (
            &handler,
            Purpose::ClaimsAssistance,
            customer,
            DataCategory::Health,
            0,
        ),
        (&marketer, Purpose::Marketing, customer, DataCategory::Health, 5),
        (
            &handler,
            Purpose::ClaimsAssistance,
            other,
            DataCategory::Claims,
            10,
        ),
        (
            &handler,
            Purpose::ClaimsAssistance,
            customer,
            DataCategory::Claims,
            90,
        ),
    ] {
        let request = AccessRequest {
            principal: &who.principal,
            action: Action::Read,
            customer: cust,
            categories: CategorySet::from([cat]),
            purpose: &purpose,
            at: at + Duration::minutes(minutes),
            ticket: None,
            approval: None,
        };
        entries.push(
            gate.decide(&request, &plain_facts(&[cat]))
                .unwrap()
                .entry()
                .clone(),
        );
    }
    AccessLog::append(&mut log, &entries).unwrap();
    let signer = NoteSigner::new(ORIGIN, SignatureKind::Ed25519, SigningKey::generate().unwrap()).unwrap();
    let note = log.checkpoint(&signer, ORIGIN).unwrap().to_bytes();

    // Who read this customer's data, and why: both requests, the denied one too.
    let of_customer = AccessLog::of_customer(&log, customer).unwrap();
    assert_eq!(
        of_customer.iter().map(|l| l.index).collect::<Vec<_>>(),
        vec![1, 2, 4]
    );
    assert_eq!(of_customer[1].entry.effect(), Effect::Deny);
    assert_eq!(of_customer[1].entry.principal().as_str(), "emp-0043");
    // What the handler was allowed to read in the first hour.
    let first_hour = AccessLog::read_by(&log, handler.principal.id(), at..at + Duration::hours(1)).unwrap();
    assert_eq!(
        first_hour.iter().map(|l| l.entry.customer()).collect::<Vec<_>>(),
        vec![customer, other]
    );

    // Each entry proves against the signed checkpoint with the ledger's verifier alone.
    let policy = TrustPolicy::log_only(ORIGIN, vec![signer.verifier().clone()]).unwrap();
    let verified = SignedCheckpoint::parse(&note).unwrap().verify(&policy).unwrap();
    let size = verified.checkpoint().size();
    for index in 1..=4 {
        let proof = AccessLog::prove(&log, index, size).unwrap();
        assert_eq!(proof.logged.entry, entries[(index - 1) as usize]);
        verify_inclusion(
            &proof.leaf_hash,
            index,
            size,
            proof.proof.path(),
            verified.checkpoint().root(),
        )
        .unwrap();
    }
    // Index 0 is not an access entry.
    assert_eq!(
        AccessLog::prove(&log, 0, size).unwrap_err(),
        AccessError::Decode { index: 0 }
    );
}

#[test]
fn an_access_log_entry_holds_no_personal_value() {
    // A customer with a name, phone and identity number the brokerage holds sealed; none may reach the log.
    let (name, phone, id_number) = ("张三", "13800138000", "11010519491231002X");
    let gate = Gate::cn_insurance_broker().unwrap();
    let officer = staff("emp-0500", &["compliance"], &[Purpose::LegalCompliance]);
    let ticket = Ticket::new("inc-2026-0042").unwrap();
    let request = AccessRequest {
        principal: &officer.principal,
        action: Action::Export,
        customer: CustomerId::new_v7(),
        categories: CategorySet::from([
            DataCategory::Identity,
            DataCategory::Contact,
            DataCategory::KycAml,
        ]),
        purpose: &Purpose::LegalCompliance,
        at: monday_morning(),
        ticket: Some(&ticket),
        approval: None,
    };
    let facts = plain_facts(&[
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::KycAml,
    ])
    .minor();
    let entry = gate.decide(&request, &facts).unwrap().entry().clone();
    let payload = entry.payload().unwrap();
    assert!(payload.starts_with(PAYLOAD_PREFIX));
    let text = String::from_utf8(payload.clone()).unwrap();
    for value in [name, phone, id_number] {
        assert!(!text.contains(value));
    }
    // The entry's fields are exactly ids, codes, policy references and a time.
    let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let fields: Vec<&str> = json["entry"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = fields.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "action",
            "at",
            "customer",
            "outcomes",
            "principal",
            "purpose",
            "ticket"
        ]
    );
    for outcome in json["entry"]["outcomes"].as_array().unwrap() {
        let mut keys: Vec<&str> = outcome.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert!(
            keys.iter()
                .all(|k| ["category", "effect", "failed", "policies", "sensitive"].contains(k)),
            "{keys:?}"
        );
        for policy in outcome["policies"].as_array().into_iter().flatten() {
            let mut keys: Vec<&str> = policy.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, ["citation", "id"]);
        }
    }
    // It decodes back to itself; another crate's payload is not an access entry.
    assert_eq!(AccessEntry::decode(3, &payload).unwrap(), Some(entry));
    assert_eq!(
        AccessEntry::decode(3, b"{\"schema\":\"custodia-consent\"}").unwrap(),
        None
    );
    // A damaged access payload is an error naming its index, never its bytes.
    let mut damaged = text.replace("\"export\"", "\"13800138000\"").into_bytes();
    let err = AccessEntry::decode(9, &damaged).unwrap_err();
    assert_eq!(err, AccessError::Decode { index: 9 });
    assert!(!format!("{err} {err:?}").contains(phone));
    damaged.truncate(40);
    assert_eq!(
        AccessEntry::decode(9, &damaged).unwrap_err(),
        AccessError::Decode { index: 9 }
    );
}

#[test]
fn errors_name_fields_never_values() {
    let phone = "13800138000 张三";
    for err in [
        Ticket::new(phone).unwrap_err(),
        custodia_access::Role::new(phone).unwrap_err(),
        custodia_access::Course::new(phone).unwrap_err(),
    ] {
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("13800138000") && !shown.contains("张三"),
            "{shown}"
        );
    }
}

#[test]
fn log_retention_is_a_setting_never_below_six_months() {
    assert_eq!(LogSettings::default().retention_months, 36);
    assert_eq!(LogSettings::new(6).unwrap().retention_months, 6);
    assert!(matches!(
        LogSettings::new(5),
        Err(AccessError::InvalidSettings {
            field: "retention_months",
            ..
        })
    ));
}
