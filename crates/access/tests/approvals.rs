//! Signed approvals: an elevated read approved by a second principal, four eyes on documents, and every way
//! an approval can be forged, replayed or misused refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::*;
use custodia_access::{
    APPROVAL_DOMAIN, AccessError, AccessRequest, Action, ApprovalId, ApprovalRequest, ApprovalSettings,
    DocumentKind, Effect, ElevationScope, Gate, SignedApproval, Ticket, VerifiedQuorum,
};
use custodia_crypto::SigningKey;
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
use uuid::Uuid;

struct Setup {
    requester: Staff,
    approver: Staff,
    customer: CustomerId,
    ticket: Ticket,
    request: ApprovalRequest,
}

fn setup() -> Setup {
    // An account manager needs a claim's file to answer a complaint: beyond the role, so elevated.
    let requester = staff("emp-0100", &["account_manager"], &[Purpose::PolicyServicing]);
    let approver = staff(
        "emp-0200",
        &["approver", "compliance"],
        &[Purpose::LegalCompliance],
    );
    let customer = CustomerId::new_v7();
    let ticket = Ticket::new("cmp-2026-17").unwrap();
    let at = monday_morning();
    let request = ApprovalRequest::elevation(
        ApprovalId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)).unwrap(),
        requester.principal.id().clone(),
        ElevationScope {
            customer,
            categories: CategorySet::from([DataCategory::Claims]),
            purpose: Purpose::PolicyServicing,
            ticket: ticket.clone(),
            not_before: at - Duration::hours(1),
            not_after: at + Duration::hours(3),
        },
    )
    .unwrap();
    Setup {
        requester,
        approver,
        customer,
        ticket,
        request,
    }
}

fn read<'a>(s: &'a Setup, approval: Option<&'a custodia_access::VerifiedApproval>) -> AccessRequest<'a> {
    AccessRequest {
        principal: &s.requester.principal,
        action: Action::Read,
        customer: s.customer,
        categories: CategorySet::from([DataCategory::Claims]),
        purpose: &Purpose::PolicyServicing,
        at: monday_morning(),
        ticket: Some(&s.ticket),
        approval,
    }
}

#[test]
fn an_elevated_read_needs_a_verified_approval_that_covers_it() {
    let s = setup();
    let gate = Gate::cn_insurance_broker().unwrap();
    let facts = plain_facts(&[DataCategory::Claims]);
    assert_eq!(
        gate.decide(&read(&s, None), &facts).unwrap().effect(),
        Effect::Deny
    );

    let signed = s.request.sign(&s.approver.principal, &s.approver.key).unwrap();
    let verified = signed
        .verify(&s.approver.principal, &ApprovalSettings::default())
        .unwrap();
    let decision = gate.decide(&read(&s, Some(&verified)), &facts).unwrap();
    assert_eq!(decision.effect(), Effect::Permit);
    let id = format!("elevated-read:{}", s.request.id());
    assert_eq!(decision.entry().outcomes()[0].policies()[0].id(), id);
    assert_eq!(decision.entry().approval(), Some(s.request.id()));

    // Outside what it covers, the approval elevates nothing.
    let other_customer = AccessRequest {
        customer: CustomerId::new_v7(),
        ..read(&s, Some(&verified))
    };
    let other_category = AccessRequest {
        categories: CategorySet::from([DataCategory::Claims, DataCategory::Health]),
        ..read(&s, Some(&verified))
    };
    let too_late = AccessRequest {
        at: monday_morning() + Duration::hours(3),
        ..read(&s, Some(&verified))
    };
    let no_ticket = AccessRequest {
        ticket: None,
        ..read(&s, Some(&verified))
    };
    let update = AccessRequest {
        action: Action::Update,
        ..read(&s, Some(&verified))
    };
    for (what, request) in [
        ("customer", other_customer),
        ("category", other_category),
        ("window", too_late),
        ("ticket", no_ticket),
        ("action", update),
    ] {
        let facts = plain_facts(&request.categories.iter().collect::<Vec<_>>());
        let d = gate.decide(&request, &facts).unwrap();
        assert_eq!(d.effect(), Effect::Deny, "{what}");
        assert_eq!(d.entry().approval(), None, "{what}");
    }
    // Someone else holding the same approval is not elevated either.
    let other = staff("emp-0101", &["account_manager"], &[Purpose::PolicyServicing]);
    let by_other = AccessRequest {
        principal: &other.principal,
        ..read(&s, Some(&verified))
    };
    assert_eq!(gate.decide(&by_other, &facts).unwrap().effect(), Effect::Deny);
}

#[test]
fn elevation_never_lifts_training_basis_or_storage_only() {
    let mut s = setup();
    let gate = Gate::cn_insurance_broker().unwrap();
    let verified = s
        .request
        .sign(&s.approver.principal, &s.approver.key)
        .unwrap()
        .verify(&s.approver.principal, &ApprovalSettings::default())
        .unwrap();
    let storage_only = facts_with(
        &[DataCategory::Claims],
        custodia_access::SectionFacts::storage_only,
    );
    let d = gate.decide(&read(&s, Some(&verified)), &storage_only).unwrap();
    assert!(
        d.denied()
            .any(|o| o.policies().iter().any(|p| p.id() == "storage-only-restricted"))
    );
    let at = monday_morning();
    s.requester = staff_trained(
        "emp-0100",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        Some((at - Duration::days(400), at - Duration::days(1))),
    );
    let d = gate
        .decide(&read(&s, Some(&verified)), &plain_facts(&[DataCategory::Claims]))
        .unwrap();
    assert!(
        d.denied()
            .any(|o| o.policies().iter().any(|p| p.id() == "training-required"))
    );
}

#[test]
fn a_tampered_approval_signature_is_refused() {
    let s = setup();
    let settings = ApprovalSettings::default();
    let signed = s.request.sign(&s.approver.principal, &s.approver.key).unwrap();
    let json = serde_json::to_value(&signed).unwrap();
    let hex_sig = json["signature"].as_str().unwrap().to_owned();
    // Every bit of the signature, flipped, is refused.
    for i in 0..64 * 8 {
        let mut bytes = hex::decode(&hex_sig).unwrap();
        bytes[i / 8] ^= 1 << (i % 8);
        let mut tampered = json.clone();
        tampered["signature"] = hex::encode(bytes).into();
        let tampered: SignedApproval = serde_json::from_value(tampered).unwrap();
        assert_eq!(
            tampered.verify(&s.approver.principal, &settings),
            Err(AccessError::BadSignature),
            "bit {i}"
        );
    }
    // A changed request under the old signature: refused.
    let mut moved = json.clone();
    moved["request"]["subject"]["elevation"]["customer"] = CustomerId::new_v7().to_string().into();
    let moved: SignedApproval = serde_json::from_value(moved).unwrap();
    assert_eq!(
        moved.verify(&s.approver.principal, &settings),
        Err(AccessError::BadSignature)
    );
    let mut longer = json.clone();
    longer["request"]["subject"]["elevation"]["categories"] = serde_json::json!(["claims", "health"]);
    let longer: SignedApproval = serde_json::from_value(longer).unwrap();
    assert_eq!(
        longer.verify(&s.approver.principal, &settings),
        Err(AccessError::BadSignature)
    );
    // A digest or purpose that could smuggle a line into the message does not even load.
    let mut smuggled = json.clone();
    smuggled["request"]["subject"]["elevation"]["purpose"] = serde_json::json!({"custom": "x\nticket y"});
    assert!(serde_json::from_value::<SignedApproval>(smuggled).is_err());
    // A signature that is not 64 bytes does not even load.
    let mut short = json.clone();
    short["signature"] = "abcd".into();
    assert!(serde_json::from_value::<SignedApproval>(short).is_err());
    // The untouched approval round-trips and verifies.
    let back: SignedApproval = serde_json::from_value(json).unwrap();
    assert_eq!(back, signed);
    back.verify(&s.approver.principal, &settings).unwrap();
}

#[test]
fn the_message_is_domain_separated_and_names_the_approver() {
    let s = setup();
    let message = String::from_utf8(s.request.message(s.approver.principal.id())).unwrap();
    assert!(message.starts_with(&format!("{APPROVAL_DOMAIN}\n")));
    assert!(message.contains("\napprover emp-0200\n"));
    assert!(message.contains("\ncategories claims\n"));
    // A signature over the same lines without the domain line (what another protocol of the same key might
    // sign) is no approval.
    let undomained = message.strip_prefix(&format!("{APPROVAL_DOMAIN}\n")).unwrap();
    let forged = s.approver.key.sign(undomained.as_bytes());
    let mut json =
        serde_json::to_value(s.request.sign(&s.approver.principal, &s.approver.key).unwrap()).unwrap();
    json["signature"] = hex::encode(forged.as_bytes()).into();
    let forged: SignedApproval = serde_json::from_value(json).unwrap();
    assert_eq!(
        forged.verify(&s.approver.principal, &ApprovalSettings::default()),
        Err(AccessError::BadSignature)
    );
    // Re-labelled as another approver, the signature no longer verifies (the approver is in the message).
    let mut twin = s.approver.principal.clone();
    twin = serde_json::from_value({
        let mut v = serde_json::to_value(&twin).unwrap();
        v["id"] = "emp-0201".into();
        v
    })
    .unwrap();
    let mut json =
        serde_json::to_value(s.request.sign(&s.approver.principal, &s.approver.key).unwrap()).unwrap();
    json["approver"] = "emp-0201".into();
    let relabelled: SignedApproval = serde_json::from_value(json).unwrap();
    assert_eq!(
        relabelled.verify(&twin, &ApprovalSettings::default()),
        Err(AccessError::BadSignature)
    );
}

#[test]
fn who_may_approve() {
    let s = setup();
    let settings = ApprovalSettings::default();
    // Only with the approver's registered key.
    let stranger = SigningKey::generate().unwrap();
    assert!(matches!(
        s.request.sign(&s.approver.principal, &stranger),
        Err(AccessError::ApprovalRefused { .. })
    ));
    // Not one's own request.
    let self_approver = staff(
        "emp-0100",
        &["approver", "account_manager"],
        &[Purpose::PolicyServicing],
    );
    let own = s
        .request
        .sign(&self_approver.principal, &self_approver.key)
        .unwrap();
    assert!(
        matches!(own.verify(&self_approver.principal, &settings), Err(AccessError::ApprovalRefused { problem, .. }) if problem.contains("own request"))
    );
    // Not without the approver role.
    let colleague = staff("emp-0300", &["account_manager"], &[Purpose::PolicyServicing]);
    let by_colleague = s.request.sign(&colleague.principal, &colleague.key).unwrap();
    assert!(
        matches!(by_colleague.verify(&colleague.principal, &settings), Err(AccessError::ApprovalRefused { problem, .. }) if problem.contains("role"))
    );
    // Checked against the signer's own record only.
    let signed = s.request.sign(&s.approver.principal, &s.approver.key).unwrap();
    assert!(matches!(
        signed.verify(&colleague.principal, &settings),
        Err(AccessError::ApprovalRefused { .. })
    ));
    // Not for longer than the settings allow, and never an empty window.
    let strict = ApprovalSettings {
        max_elevation_seconds: 3600,
        ..ApprovalSettings::default()
    };
    assert_eq!(
        signed.verify(&s.approver.principal, &strict),
        Err(AccessError::ApprovalWindow {
            problem: "longer than allowed"
        })
    );
    let at = monday_morning();
    let empty = ApprovalRequest::elevation(
        ApprovalId::from_uuid(Uuid::from_u128(7)).unwrap(),
        s.requester.principal.id().clone(),
        ElevationScope {
            customer: s.customer,
            categories: CategorySet::from([DataCategory::Claims]),
            purpose: Purpose::PolicyServicing,
            ticket: s.ticket.clone(),
            not_before: at,
            not_after: at,
        },
    );
    assert_eq!(
        empty.unwrap_err(),
        AccessError::ApprovalWindow { problem: "empty" }
    );
}

#[test]
fn a_document_needs_two_distinct_approvers_neither_the_operator() {
    let operator = staff(
        "emp-0400",
        &["compliance", "approver"],
        &[Purpose::LegalCompliance],
    );
    let a = staff("emp-0401", &["approver"], &[]);
    let b = staff("emp-0402", &["approver"], &[]);
    let directory = {
        let all = [
            operator.principal.clone(),
            a.principal.clone(),
            b.principal.clone(),
        ];
        move |id: &ActorId| all.iter().find(|p| p.id() == id).cloned()
    };
    let plan = ApprovalRequest::document(
        ApprovalId::from_uuid(Uuid::from_u128(0x42)).unwrap(),
        operator.principal.id().clone(),
        DocumentKind::new("destruction-plan").unwrap(),
        Uuid::from_u128(0x99),
        [0xab; 32],
    );
    let settings = ApprovalSettings::default();
    let by_a = plan.sign(&a.principal, &a.key).unwrap();
    let by_b = plan.sign(&b.principal, &b.key).unwrap();
    let by_operator = plan.sign(&operator.principal, &operator.key).unwrap();
    let op = operator.principal.id();

    let quorum =
        VerifiedQuorum::verify(&plan, &[by_a.clone(), by_b.clone()], op, &directory, &settings).unwrap();
    assert_eq!(quorum.approvers(), vec![a.principal.id(), b.principal.id()]);
    // The same principal approving twice is refused.
    assert_eq!(
        VerifiedQuorum::verify(&plan, &[by_a.clone(), by_a.clone()], op, &directory, &settings).unwrap_err(),
        AccessError::DuplicateApproval {
            approver: a.principal.id().clone()
        }
    );
    // One is not enough.
    assert_eq!(
        VerifiedQuorum::verify(&plan, std::slice::from_ref(&by_a), op, &directory, &settings).unwrap_err(),
        AccessError::NotEnoughApprovals {
            approvals: 1,
            required: 2
        }
    );
    // The operator is not an approver of what they carry out.
    assert!(matches!(
        VerifiedQuorum::verify(&plan, &[by_a.clone(), by_operator], op, &directory, &settings),
        Err(AccessError::ApprovalRefused { .. })
    ));
    // An approval of another plan (another digest) does not count for this one.
    let other = ApprovalRequest::document(
        plan.id(),
        op.clone(),
        DocumentKind::new("destruction-plan").unwrap(),
        Uuid::from_u128(0x99),
        [0xac; 32],
    );
    let by_b_other = other.sign(&b.principal, &b.key).unwrap();
    assert!(matches!(
        VerifiedQuorum::verify(&plan, &[by_a.clone(), by_b_other], op, &directory, &settings),
        Err(AccessError::ApprovalRefused { .. })
    ));
    // An unknown signer is refused.
    let nobody = staff("emp-0499", &["approver"], &[]);
    let by_nobody = plan.sign(&nobody.principal, &nobody.key).unwrap();
    assert!(matches!(
        VerifiedQuorum::verify(&plan, &[by_a, by_nobody], op, &directory, &settings),
        Err(AccessError::ApprovalRefused { .. })
    ));
    // Stored and read back, a document approval still verifies; a digest that is not 64 hex digits does not load.
    let json = serde_json::to_value(&by_b).unwrap();
    let back: SignedApproval = serde_json::from_value(json.clone()).unwrap();
    back.verify(&b.principal, &settings).unwrap();
    let mut bad = json;
    bad["request"]["subject"]["document"]["digest"] = "ab\nkind x".into();
    assert!(serde_json::from_value::<SignedApproval>(bad).is_err());
    // A document approval never elevates a read.
    let verified = by_b.verify(&b.principal, &settings).unwrap();
    let gate = Gate::cn_insurance_broker().unwrap();
    let request = AccessRequest {
        principal: &operator.principal,
        action: Action::Read,
        customer: CustomerId::new_v7(),
        categories: CategorySet::from([DataCategory::Health]),
        purpose: &Purpose::PolicyServicing,
        at: monday_morning(),
        ticket: None,
        approval: Some(&verified),
    };
    assert_eq!(
        gate.decide(&request, &plain_facts(&[DataCategory::Health]))
            .unwrap()
            .entry()
            .approval(),
        None
    );
}

#[test]
fn principals_and_approvals_are_public_records_that_round_trip() {
    let s = setup();
    let json = serde_json::to_string(&s.requester.principal).unwrap();
    let back: custodia_access::Principal = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.requester.principal);
    // No private key material in the record: only the 32-byte public key, as hex.
    assert!(!json.contains("pkcs8"));
    assert!(json.contains(&hex::encode(s.requester.key.verifying_key().as_bytes())));
    let pkcs8 = hex::encode(s.requester.key.expose_pkcs8());
    assert!(!json.contains(&pkcs8[..64]));
    // Unknown fields and records without a role are refused.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["name"] = "张三".into();
    assert!(serde_json::from_value::<custodia_access::Principal>(v.clone()).is_err());
    v.as_object_mut().unwrap().remove("name");
    v["roles"] = serde_json::json!([]);
    assert!(serde_json::from_value::<custodia_access::Principal>(v).is_err());
}
