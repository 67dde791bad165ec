//! A request's life and what each kind does: intake errors (unknown customer, duplicates, close relatives
//! under PIPL Art 49), identity (policy strength, a second identity verified on its own, no check carried
//! over), out-of-order steps naming the state, and the fulfilment of each kind — deletion through retention
//! (PIPL Art 47(2) storage-only under the AML Law and Broker Rule floors), correction as a new version (Art 46),
//! withdrawal through consent with its propagation (Art 15), portability under NDSR Art 25, automated decisions
//! (Art 24(3)), the NDSR Art 21 explanation (Art 48) and the processing statement.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use common::*;
use custodia_consent::{
    BasisPolicy, Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentScope, Digest, EventDraft,
    EventId, EventKind, Notice, NoticeDraft, NoticeId, PartyId, Recipient, Regime, TransferPath,
};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{ActorId, CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose, TransferId};
use custodia_retention::{
    Contract, ContractTerm, ForeignFloorGround, HeldData, Holding, Holds, Profile, PurposeBasis,
    RetentionFacts,
};
use custodia_rights::*;

#[test]
fn an_unknown_customer_is_a_typed_error_and_nothing_is_recorded() {
    let intake = Intake::new(
        CustomerId::new_v7(),
        RequestKind::Access,
        Channel::Web,
        at(3, 2),
        clerk(),
    );
    let err = Request::receive(
        intake.clone(),
        None,
        &[],
        &RightsSettings::default(),
        &calendars(),
    )
    .unwrap_err();
    assert!(matches!(err, RightsError::UnknownCustomer { customer } if customer == intake.customer));
    // A known customer record for someone else does not stand in for the one named.
    let other = mainland();
    assert!(matches!(
        Request::receive(
            intake,
            Some(&other),
            &[],
            &RightsSettings::default(),
            &calendars()
        ),
        Err(RightsError::UnknownCustomer { .. })
    ));
}

#[test]
fn a_duplicate_of_an_open_request_is_refused_and_never_inherits_its_identity_check() {
    let c = mainland();
    let (mut first, _) = receive_for(&c, RequestKind::Access, at(3, 2));
    first
        .record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars())
        .unwrap();
    let open = [first.as_open().unwrap()];
    let again = Intake::new(c.customer, RequestKind::Access, Channel::Phone, at(3, 3), clerk());
    let err = Request::receive(again, Some(&c), &open, &RightsSettings::default(), &calendars()).unwrap_err();
    assert!(matches!(err, RightsError::Duplicate { open, kind: KindCode::Access } if open == first.id()));
    // Another kind is no duplicate, and it starts unverified: the first request's check does not carry over.
    let copy = Intake::new(c.customer, RequestKind::Copy, Channel::Phone, at(3, 3), clerk());
    let (mut second, _) =
        Request::receive(copy, Some(&c), &open, &RightsSettings::default(), &calendars()).unwrap();
    assert_eq!(second.state(), StateCode::AwaitingIdentity);
    assert!(matches!(
        second.verified(),
        Err(RightsError::IdentityNotVerified { .. })
    ));
    // Nor can the earlier check be replayed onto it.
    assert!(matches!(
        second.record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars()),
        Err(RightsError::InvalidInput {
            field: "identity.verified_at",
            ..
        })
    ));
    // Once answered, the first is no longer open.
    let package =
        ResponsePackage::build(&first.verified().unwrap(), PackageContents::default(), at(3, 4)).unwrap();
    first
        .answer(Answer::done(Action::released(&package)), at(3, 4))
        .unwrap();
    assert!(first.as_open().is_none());
}

#[test]
fn the_identity_policy_asks_for_enough_and_no_more() {
    let c = mainland();
    let (mut access, _) = receive_for(&c, RequestKind::Access, at(3, 2));
    let weak = IdentityVerification::verified(
        VerifiedParty::Requester,
        IdentityMethod::OneTimeCode,
        Digest::of(b"otp session"),
        clerk(),
        at(3, 2),
    );
    assert!(matches!(
        access.record_identity(weak.clone(), &calendars()),
        Err(RightsError::IdentityTooWeak {
            method: "one_time_code",
            kind: KindCode::Access,
            ..
        })
    ));
    assert!(
        access.verifications().is_empty(),
        "a refused step changes nothing"
    );
    // Withdrawing is as easy as consenting: a one-time code suffices (PIPL Art 15; GDPR Art 7(3)).
    let withdraw = RequestKind::WithdrawConsent {
        purposes: [Purpose::Marketing].into(),
        categories: BTreeSet::new(),
    };
    let (mut w, _) = receive_for(&c, withdraw, at(3, 2));
    w.record_identity(weak, &calendars()).unwrap();
    assert_eq!(w.state(), StateCode::Verified);
    let policy = IdentityPolicy::default();
    assert_eq!(
        policy.least_method(KindCode::ExplainRules, VerifiedParty::Requester),
        IdentityMethod::AuthenticatedSession
    );
    assert_eq!(
        policy.least_method(KindCode::Deletion, VerifiedParty::Requester),
        IdentityMethod::KnowledgeCheck
    );
    for method in [
        IdentityMethod::AuthenticatedSession,
        IdentityMethod::DocumentInspected,
    ] {
        assert!(method.needs().contains("not a copy") || method.needs().contains("nothing"));
    }
}

#[test]
fn a_request_for_another_person_waits_for_that_authority_to_be_verified_on_its_own() {
    let c = mainland();
    let agent = Requester::Agent {
        requester: RequesterId::new_v7(),
    };
    let intake = Intake::new(
        c.customer,
        RequestKind::Copy,
        Channel::InPerson,
        at(3, 2),
        clerk(),
    )
    .by(agent);
    let (mut r, _) =
        Request::receive(intake, Some(&c), &[], &RightsSettings::default(), &calendars()).unwrap();
    r.record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars())
        .unwrap();
    assert_eq!(r.state(), StateCode::AwaitingIdentity);
    assert!(matches!(
        r.verified(),
        Err(RightsError::IdentityNotVerified {
            missing: "the authority to act for the customer",
            ..
        })
    ));
    // Nothing can be done or refused on substance meanwhile.
    let refuse = refusal(
        RefusalCode::Standard {
            ground: StandardGround::TradeSecrets,
        },
        KindCode::Copy,
    );
    assert!(matches!(
        r.answer(Answer::refused(refuse), at(3, 3)),
        Err(RightsError::IdentityNotVerified { .. })
    ));
    // A failed authority check leaves it unverified.
    r.record_identity(strong(VerifiedParty::Authority, at(3, 3)).failed(), &calendars())
        .unwrap();
    assert_eq!(r.state(), StateCode::AwaitingIdentity);
    r.record_identity(strong(VerifiedParty::Authority, at(3, 4)), &calendars())
        .unwrap();
    assert_eq!(r.state(), StateCode::Verified);
    // The customer in person has no authority to show.
    let (mut own, _) = receive_for(&c, RequestKind::ExplainRules, at(3, 2));
    assert!(
        own.record_identity(strong(VerifiedParty::Authority, at(3, 2)), &calendars())
            .is_err()
    );
}

#[test]
fn close_relatives_of_a_deceased_customer_get_the_rights_pipl_49_names() {
    let relative = Requester::CloseRelative {
        requester: RequesterId::new_v7(),
        relation: Relation::Child,
    };
    let died = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
    let deceased = mainland().deceased(died, DeathArrangement::None);
    let receive = |c: &KnownCustomer, kind| {
        let intake = Intake::new(c.customer, kind, Channel::InPerson, at(3, 2), clerk()).by(relative.clone());
        Request::receive(intake, Some(c), &[], &RightsSettings::default(), &calendars())
    };
    assert!(receive(&deceased, RequestKind::Copy).is_ok());
    assert!(
        receive(
            &deceased,
            RequestKind::Deletion {
                categories: BTreeSet::new()
            }
        )
        .is_ok()
    );
    assert!(matches!(
        receive(
            &deceased,
            RequestKind::Object {
                purposes: [Purpose::Marketing].into()
            }
        ),
        Err(RightsError::NotAvailable { .. })
    ));
    // Only for a deceased customer; and not under the GDPR (Recital 27).
    assert!(matches!(
        receive(&mainland(), RequestKind::Copy),
        Err(RightsError::InvalidInput {
            field: "requester",
            ..
        })
    ));
    let eu = KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::new("FR").unwrap())
        .deceased(died, DeathArrangement::None);
    assert!(matches!(
        receive(&eu, RequestKind::Copy),
        Err(RightsError::NotAvailable {
            regime: Regime::Gdpr,
            ..
        })
    ));
    // Where the deceased excluded relatives, the only answer is that refusal (PIPL Art 49).
    let excluded = mainland().deceased(died, DeathArrangement::RelativesExcluded);
    let (mut r, _) = receive(&excluded, RequestKind::Copy).unwrap();
    r.record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars())
        .unwrap();
    r.record_identity(strong(VerifiedParty::Authority, at(3, 2)), &calendars())
        .unwrap();
    let package =
        ResponsePackage::build(&r.verified().unwrap(), PackageContents::default(), at(3, 3)).unwrap();
    assert!(matches!(
        r.answer(Answer::done(Action::released(&package)), at(3, 3)),
        Err(RightsError::AnswerMismatch { .. })
    ));
    r.answer(
        Answer::refused(refusal(RefusalCode::DeceasedArrangedOtherwise, KindCode::Copy)),
        at(3, 3),
    )
    .unwrap();
    assert_eq!(r.answered().unwrap().answer.outcome(), Outcome::Refused);
    assert_eq!(
        r.answered()
            .unwrap()
            .answer
            .refusals()
            .next()
            .unwrap()
            .citations()[0]
            .to_string(),
        "PIPL Art 49"
    );
}

#[test]
fn steps_out_of_order_name_the_state_and_change_nothing() {
    let c = mainland();
    let (mut r, _) = receive_for(&c, RequestKind::Access, at(3, 2));
    // An answer with data before identity: refused, naming what is missing.
    assert!(matches!(
        r.verified(),
        Err(RightsError::IdentityNotVerified {
            missing: "the requester",
            ..
        })
    ));
    r.ask_for_evidence(at(3, 2), &calendars()).unwrap();
    assert!(matches!(
        r.ask_for_evidence(at(3, 3), &calendars()),
        Err(RightsError::OutOfOrder {
            state: StateCode::AwaitingEvidence,
            step: "ask for identity evidence",
            ..
        })
    ));
    r.record_identity(strong(VerifiedParty::Requester, at(3, 3)), &calendars())
        .unwrap();
    assert!(matches!(
        r.record_identity(strong(VerifiedParty::Requester, at(3, 3)), &calendars()),
        Err(RightsError::OutOfOrder {
            state: StateCode::Verified,
            ..
        })
    ));
    let before = r.clone();
    // An action of another kind does not fit.
    let wrong = Answer::done(Action::Corrected {
        version: 2,
        fields: [FieldPath::new("contact.mobile").unwrap()].into(),
    });
    assert!(matches!(
        r.answer(wrong, at(3, 4)),
        Err(RightsError::AnswerMismatch { .. })
    ));
    // A refusal code of another kind or regime does not fit either.
    let deletion_code = refusal(
        RefusalCode::NoDeletionGround {
            holding: Holding::Category(DataCategory::Contact),
        },
        KindCode::Deletion,
    );
    assert!(matches!(
        r.answer(Answer::refused(deletion_code), at(3, 4)),
        Err(RightsError::RefusalNotApplicable { .. })
    ));
    assert_eq!(r, before, "failed steps changed nothing");
    let package =
        ResponsePackage::build(&r.verified().unwrap(), PackageContents::default(), at(3, 4)).unwrap();
    r.answer(Answer::done(Action::released(&package)), at(3, 4))
        .unwrap();
    for err in [
        r.answer(Answer::done(Action::released(&package)), at(3, 5))
            .unwrap_err(),
        r.extend(ExtensionReason::Complexity, at(3, 5), &calendars())
            .unwrap_err(),
        r.ask_for_evidence(at(3, 5), &calendars()).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                RightsError::OutOfOrder {
                    state: StateCode::Answered,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("answered"));
    }
    assert!(
        r.verified().is_err(),
        "an answered request builds no more packages"
    );
}

#[test]
fn an_unverifiable_identity_is_refused_with_the_route_to_court_and_releases_nothing() {
    let c = mainland();
    let (mut r, _) = receive_for(
        &c,
        RequestKind::Portability {
            recipient: Reference::new("insurer-7").unwrap(),
        },
        at(3, 2),
    );
    r.record_identity(strong(VerifiedParty::Requester, at(3, 2)).failed(), &calendars())
        .unwrap();
    let code = refusal(RefusalCode::IdentityNotVerifiable, KindCode::Portability);
    let entry = r.answer(Answer::refused(code), at(3, 3)).unwrap();
    let a = &r.answered().unwrap().answer;
    assert_eq!(a.outcome(), Outcome::Refused);
    assert!(a.package().is_none());
    let refused = a.refusals().next().unwrap();
    assert_eq!(refused.citations()[1].to_string(), "NDSR Art 25(1)(1)");
    assert!(refused.remedies().court.contains("人民法院"));
    assert!(matches!(
        entry.step,
        Step::Answered {
            package: None,
            outcome: Outcome::Refused,
            ..
        }
    ));
}

fn held(customer: CustomerId, category: DataCategory) -> HeldData {
    let servicing = vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)];
    HeldData::new(
        customer,
        Holding::Category(category),
        NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
        servicing,
    )
    .unwrap()
}

/// PIPL Art 47: a customer whose one-year policy ended in March 2022 and whose relationship ended then asks
/// to delete everything in March 2026, after the three-year post-relationship period (a retention setting).
/// The Broker Rule keeps the policy file five years, the AML Law the KYC data ten years: those are kept to
/// storage, with their floors cited; the health answers go (PIPL Art 47(1)(2)).
#[test]
fn a_deletion_erases_what_retention_lets_go_and_keeps_floors_to_storage_with_their_articles() {
    let c = mainland();
    let ended = NaiveDate::from_ymd_opt(2022, 3, 1).unwrap();
    let facts = RetentionFacts::builder(c.customer, Jurisdiction::MAINLAND_CHINA)
        .held(held(c.customer, DataCategory::Policies))
        .held(held(c.customer, DataCategory::KycAml))
        .held(held(c.customer, DataCategory::Health))
        .contract(Contract::ending(ContractTerm::OneYearOrLess, ended))
        .relationship_started(NaiveDate::from_ymd_opt(2015, 3, 1).unwrap())
        .relationship_ended(ended)
        .build()
        .unwrap();
    let profile = Profile::cn_insurance_broker().unwrap();
    let request = verified(
        &c,
        RequestKind::Deletion {
            categories: BTreeSet::new(),
        },
    );
    let foreign = ForeignFloorGround::default();
    let input = DeletionInput {
        profile: &profile,
        facts: &facts,
        holds: &Holds::new(),
        on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        foreign: &foreign,
    };
    let plan = DeletionPlan::decide(&request.verified().unwrap(), input).unwrap();
    let erased: Vec<Holding> = plan.erasures().map(|(h, _)| h).collect();
    assert_eq!(erased, [Holding::Category(DataCategory::Health)]);
    assert!(!erased.contains(&Holding::Category(DataCategory::Policies)));
    assert!(!erased.contains(&Holding::Category(DataCategory::KycAml)));
    assert!(
        !plan.crypto_shred(),
        "a customer with floors is not shredded whole"
    );
    let parts = plan
        .answer_parts(
            &request.verified().unwrap(),
            Language::Zh,
            &ComplaintContacts::default(),
            &foreign,
        )
        .unwrap();
    let mut request = request;
    request.answer(Answer::new(parts).unwrap(), at(3, 5)).unwrap();
    let answer = &request.answered().unwrap().answer;
    assert_eq!(answer.outcome(), Outcome::PartlyFulfilled);
    let cited: Vec<String> = answer
        .refusals()
        .flat_map(|r| r.citations().iter().map(ToString::to_string))
        .collect();
    assert!(cited.contains(&"PIPL Art 47(2)".to_owned()), "{cited:?}");
    assert!(cited.contains(&"AML Law 2024 Art 34".to_owned()), "{cited:?}");
    assert!(
        cited.iter().any(|c| c.starts_with("Broker Rule 2018 Art 51")),
        "{cited:?}"
    );
    for r in answer.refusals() {
        assert!(!r.remedies().complaint.is_empty() && !r.remedies().court.is_empty());
    }
    // A deletion of the health section alone is fulfilled, by deleting that category.
    let mut only_health = verified(
        &c,
        RequestKind::Deletion {
            categories: [DataCategory::Health].into(),
        },
    );
    let plan = DeletionPlan::decide(&only_health.verified().unwrap(), input).unwrap();
    assert_eq!(plan.items().len(), 1);
    assert_eq!(
        plan.erasures().next(),
        Some((
            Holding::Category(DataCategory::Health),
            ErasureMethod::DeleteCategory
        ))
    );
    let parts = plan
        .answer_parts(
            &only_health.verified().unwrap(),
            Language::Zh,
            &ComplaintContacts::default(),
            &foreign,
        )
        .unwrap();
    only_health.answer(Answer::new(parts).unwrap(), at(3, 5)).unwrap();
    assert_eq!(
        only_health.answered().unwrap().answer.outcome(),
        Outcome::Fulfilled
    );
    // Another customer's facts are refused.
    let stranger = verified(
        &mainland(),
        RequestKind::Deletion {
            categories: BTreeSet::new(),
        },
    );
    assert!(matches!(
        DeletionPlan::decide(&stranger.verified().unwrap(), input),
        Err(RightsError::OtherCustomer { .. })
    ));
}

#[test]
fn a_deletion_while_the_contract_is_in_force_keeps_the_data_with_pipl_47_1() {
    let c = mainland();
    let facts = RetentionFacts::builder(c.customer, Jurisdiction::MAINLAND_CHINA)
        .held(held(c.customer, DataCategory::Policies))
        .contract(Contract::in_force(ContractTerm::MoreThanOneYear))
        .relationship_started(NaiveDate::from_ymd_opt(2015, 3, 1).unwrap())
        .build()
        .unwrap();
    let profile = Profile::cn_insurance_broker().unwrap();
    let request = verified(
        &c,
        RequestKind::Deletion {
            categories: BTreeSet::new(),
        },
    );
    let foreign = ForeignFloorGround::default();
    let input = DeletionInput {
        profile: &profile,
        facts: &facts,
        holds: &Holds::new(),
        on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        foreign: &foreign,
    };
    let plan = DeletionPlan::decide(&request.verified().unwrap(), input).unwrap();
    assert_eq!(plan.erasures().count(), 0);
    let parts = plan
        .answer_parts(
            &request.verified().unwrap(),
            Language::En,
            &ComplaintContacts::default(),
            &foreign,
        )
        .unwrap();
    let codes: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            AnswerPart::Refused(r) => Some(r.code().code()),
            _ => None,
        })
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| *c == "retention_floor" || *c == "no_deletion_ground"),
        "{codes:?}"
    );
    assert!(!codes.is_empty());
}

#[test]
fn a_correction_is_a_new_version_of_only_the_fields_asked_for() {
    let c = mainland();
    let kind = RequestKind::Correction {
        fields: [FieldPath::new("contact.mobile").unwrap()].into(),
    };
    let mut r = verified(&c, kind);
    // The model's record versions carry who, when and which fields; build one through a customer update.
    let v2 = version_with(&["contact.mobile"], 2);
    let action = correction_action(&r.verified().unwrap(), &v2).unwrap();
    assert!(matches!(&action, Action::Corrected { version: 2, .. }));
    let beyond = version_with(&["contact.mobile", "identity.name"], 2);
    assert!(correction_action(&r.verified().unwrap(), &beyond).is_err());
    r.answer(Answer::done(action), at(3, 3)).unwrap();
    // PIPL Art 46(2): checked and accurate is a reasoned refusal.
    let mut accurate = verified(
        &c,
        RequestKind::Correction {
            fields: [FieldPath::new("contact.email").unwrap()].into(),
        },
    );
    accurate
        .answer(
            Answer::refused(refusal(RefusalCode::AlreadyAccurate, KindCode::Correction)),
            at(3, 3),
        )
        .unwrap();
    assert_eq!(
        accurate
            .answered()
            .unwrap()
            .answer
            .refusals()
            .next()
            .unwrap()
            .citations()[0]
            .to_string(),
        "PIPL Art 46(2)"
    );
}

fn version_with(fields: &[&str], number: u32) -> custodia_model::RecordVersion {
    let json = serde_json::json!({
        "number": number,
        "at": "2026-03-03T02:00:00Z",
        "by": "desk-1",
        "changed_fields": fields,
    });
    serde_json::from_value(json).unwrap()
}

#[test]
fn a_withdrawal_becomes_a_consent_event_and_reaches_every_recipient() {
    let day = |d| at(1, d);
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
    let mut ledger = ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), policy, &mut |_| {}).unwrap();
    let insurer = PartyId::new_v7();
    let notice = Notice::new(NoticeDraft {
        id: NoticeId::new_v7(),
        version: 1,
        controller_name: "示例保险经纪有限公司".into(),
        controller_contact: "privacy@broker.example".into(),
        purposes: [Purpose::Marketing].into(),
        categories: [DataCategory::Contact].into(),
        recipients: vec![],
        destinations: Default::default(),
        retention: "until withdrawn".into(),
        rights: "privacy@broker.example".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of(b"notice text"),
        published_at: day(2),
        recorded_at: day(2),
        // Who the controller is and how to withdraw (ISO/IEC TS 27560; required to publish).
        processing: Some(custodia_consent::ProcessingDetails {
            controller_id: "91310000MA1FL0000X".into(),
            controller_address: "上海市浦东新区示例路 1 号".into(),
            jurisdiction: Jurisdiction::MAINLAND_CHINA,
            storage_locations: [Jurisdiction::MAINLAND_CHINA].into(),
            withdrawal: custodia_consent::WithdrawalMethod {
                channels: [Channel::Web].into(),
                contact: "privacy@broker.example".into(),
            },
        }),
    })
    .unwrap();
    ledger.publish(&notice).unwrap();
    let c = mainland();
    let event = |kind, recipient| {
        ConsentEvent::new(EventDraft {
            id: EventId::new_v7(),
            customer: c.customer,
            kind,
            scope: ConsentScope::new([Purpose::Marketing], [DataCategory::Contact], recipient, []).unwrap(),
            form: ConsentForm::Separate,
            notice: notice.reference(),
            channel: Channel::Web,
            evidence: Digest::of(b"web session"),
            effective_at: day(5),
            recorded_at: day(5),
            recorded_by: ActorId::new("web").unwrap(),
            expires_at: None,
        })
        .unwrap()
    };
    ledger
        .record(&event(EventKind::Granted, Recipient::Controller))
        .unwrap();
    ledger
        .record(&event(EventKind::Provided, Recipient::ThirdParty(insurer)))
        .unwrap();
    let kind = RequestKind::WithdrawConsent {
        purposes: [Purpose::Marketing].into(),
        categories: BTreeSet::new(),
    };
    let mut r = verified(&c, kind);
    let change = ConsentChange {
        notice: notice.reference(),
        evidence: Digest::of(b"request form"),
        effective_at: at(3, 2),
        recorded_at: at(3, 2),
        recorded_by: clerk(),
    };
    let withdrawal = consent_event(&r.verified().unwrap(), change.clone()).unwrap();
    assert_eq!(withdrawal.kind(), EventKind::Withdrawn);
    assert_eq!(withdrawal.scope().recipient(), Recipient::Controller);
    let entry = ledger.record(&withdrawal).unwrap();
    let action = consent_action(&r.verified().unwrap(), ledger.index(), entry).unwrap();
    assert!(
        matches!(action, Action::ConsentEnded { recipients: 1, .. }),
        "{action:?}"
    );
    r.answer(Answer::done(action), at(3, 2)).unwrap();
    assert_eq!(r.answered().unwrap().answer.outcome(), Outcome::Fulfilled);
    // Never retroactive (PIPL Art 15).
    let mut back = change;
    back.effective_at = at(1, 1);
    let again = verified(
        &c,
        RequestKind::Object {
            purposes: [Purpose::Marketing].into(),
        },
    );
    assert!(consent_event(&again.verified().unwrap(), back).is_err());
    // No code refuses a withdrawal.
    for ground in StandardGround::ALL {
        assert!(!RefusalCode::Standard { ground }.applies_to(KindCode::WithdrawConsent));
    }
}

#[test]
fn portability_follows_ndsr_25_and_gdpr_20() {
    let ok = PortabilityConditions {
        collected_on: CollectedOn::ConsentOrContract,
        feasibility: Feasibility::Feasible,
        others: OthersRights::Unaffected,
    };
    assert!(ok.refusals(Regime::Pipl).is_empty());
    let bad = PortabilityConditions {
        collected_on: CollectedOn::OtherBasis,
        feasibility: Feasibility::NotFeasible,
        others: OthersRights::Harmed,
    };
    let codes: Vec<&str> = bad.refusals(Regime::Pipl).iter().map(RefusalCode::code).collect();
    assert_eq!(
        codes,
        [
            "portability_not_consent_or_contract",
            "portability_not_feasible",
            "portability_harms_others"
        ]
    );
    let gdpr: Vec<&str> = bad.refusals(Regime::Gdpr).iter().map(RefusalCode::code).collect();
    assert_eq!(gdpr, ["portability_not_applicable", "copy_affects_others"]);
    // A fee for an excessive request (NDSR Art 25(2)) only on portability.
    let c = mainland();
    let p = verified(
        &c,
        RequestKind::Portability {
            recipient: Reference::new("insurer-7").unwrap(),
        },
    );
    let with_fee = PackageContents {
        fee: Some(Fee { fen: 5_000 }),
        ..PackageContents::default()
    };
    let package = ResponsePackage::build(&p.verified().unwrap(), with_fee.clone(), at(3, 3)).unwrap();
    assert!(package.readable().contains("50.00"));
    let a = verified(&c, RequestKind::Access);
    assert!(ResponsePackage::build(&a.verified().unwrap(), with_fee, at(3, 3)).is_err());
}

#[test]
fn automated_decisions_are_explained_and_reviewed_by_a_person() {
    let c = mainland();
    let decision = Reference::new("uw-score-2026-118").unwrap();
    let mut explain = verified(
        &c,
        RequestKind::ExplainAutomatedDecision {
            decision: decision.clone(),
        },
    );
    let contents = PackageContents {
        automated: Some(AutomatedExplanation {
            decision: decision.clone(),
            logic: "风险评分基于投保年龄与理赔记录".into(),
            significance: "影响保费报价".into(),
            human_review: "可申请人工复核".into(),
        }),
        ..PackageContents::default()
    };
    let package = ResponsePackage::build(&explain.verified().unwrap(), contents, at(3, 3)).unwrap();
    explain
        .answer(Answer::done(Action::explained(&package)), at(3, 3))
        .unwrap();
    let mut refuse = verified(
        &c,
        RequestKind::RefuseAutomatedDecision {
            decision: decision.clone(),
        },
    );
    let other = Reference::new("another-decision").unwrap();
    let wrong = Action::HumanReview {
        decision: other,
        reviewed_by: clerk(),
    };
    assert!(refuse.answer(Answer::done(wrong), at(3, 3)).is_err());
    refuse
        .answer(
            Answer::done(Action::HumanReview {
                decision,
                reviewed_by: clerk(),
            }),
            at(3, 3),
        )
        .unwrap();
    assert_eq!(
        KindCode::RefuseAutomatedDecision.citations(Regime::Pipl)[0].to_string(),
        "PIPL Art 24(3)"
    );
}

#[test]
fn the_explanation_lists_what_ndsr_21_asks_including_the_buyer_after_a_transfer() {
    let c = mainland();
    let mut r = verified(&c, RequestKind::ExplainRules);
    let transfer = TransferId::new_v7();
    let explanation = ProcessingExplanation {
        controller: Organisation {
            name: "示例保险经纪有限公司".into(),
            contact: "privacy@broker.example".into(),
        },
        purposes: vec![PurposeUse {
            purpose: Purpose::PolicyServicing,
            basis: LegalBasis::Contract,
            method: "保单服务".into(),
            categories: [DataCategory::Policies].into(),
        }],
        sensitive: vec![SensitiveUse {
            category: DataCategory::Health,
            necessity: "核保所需".into(),
            impact: "影响承保".into(),
        }],
        retention: vec![RetentionLine {
            holding: Holding::Category(DataCategory::Policies),
            period: "合同终止后10年".into(),
            afterwards: "删除".into(),
        }],
        recipients: vec![RecipientLine {
            recipient: Organisation {
                name: "受让经纪公司".into(),
                contact: "dpo@buyer.example".into(),
            },
            role: RecipientRole::Buyer {
                transfer,
                moved: [DataCategory::Policies, DataCategory::Contact].into(),
            },
            purposes: [Purpose::PolicyServicing].into(),
            categories: [DataCategory::Policies].into(),
        }],
        how_to_exercise_rights: "privacy@broker.example".into(),
    };
    let contents = PackageContents {
        explanation: Some(explanation),
        ..PackageContents::default()
    };
    let package = ResponsePackage::build(&r.verified().unwrap(), contents.clone(), at(3, 3)).unwrap();
    let text = package.readable();
    for expected in [
        "受让经纪公司",
        &transfer.to_string(),
        "核保所需",
        "合同终止后10年",
        "PIPL Art 13",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // No data in an explanation.
    let with_data = PackageContents {
        data: vec![CategoryData {
            customer: c.customer,
            category: DataCategory::Contact,
            value: serde_json::json!({}),
        }],
        ..contents
    };
    assert!(ResponsePackage::build(&r.verified().unwrap(), with_data, at(3, 3)).is_err());
    r.answer(Answer::done(Action::explained(&package)), at(3, 3))
        .unwrap();
    // The package's bytes round-trip and its digest is what the answer names.
    assert_eq!(ResponsePackage::from_bytes(&package.to_bytes()).unwrap(), package);
    assert_eq!(r.answered().unwrap().answer.package(), Some(package.digest()));
}

#[test]
fn access_packages_hold_only_the_customers_own_data_and_reads() {
    let c = mainland();
    let r = verified(&c, RequestKind::Access);
    let read = |customer| AccessRecord {
        customer,
        at: at(2, 1),
        by: ActorId::new("emp-0042").unwrap(),
        purpose: Purpose::ClaimsAssistance,
        categories: [DataCategory::Claims].into(),
    };
    let mine = PackageContents {
        reads: vec![read(c.customer)],
        language: Language::En,
        ..PackageContents::default()
    };
    let package = ResponsePackage::build(&r.verified().unwrap(), mine, at(3, 3)).unwrap();
    assert!(package.readable().contains("emp-0042"));
    let theirs = PackageContents {
        reads: vec![read(c.customer), read(CustomerId::new_v7())],
        ..PackageContents::default()
    };
    assert!(matches!(
        ResponsePackage::build(&r.verified().unwrap(), theirs, at(3, 3)),
        Err(RightsError::OtherCustomer { .. })
    ));
    let data = PackageContents {
        data: vec![CategoryData {
            customer: CustomerId::new_v7(),
            category: DataCategory::Contact,
            value: serde_json::json!({}),
        }],
        ..PackageContents::default()
    };
    assert!(matches!(
        ResponsePackage::build(&r.verified().unwrap(), data, at(3, 3)),
        Err(RightsError::OtherCustomer { .. })
    ));
}

#[test]
fn the_processing_statement_covers_one_customer_and_one_period() {
    let c = mainland();
    let read = |customer, when| AccessRecord {
        customer,
        at: when,
        by: ActorId::new("emp-0042").unwrap(),
        purpose: Purpose::PolicyServicing,
        categories: [DataCategory::Policies].into(),
    };
    let inputs = StatementInputs {
        reads: vec![read(c.customer, at(2, 1)), read(c.customer, at(5, 1))],
        changes: vec![ChangeLine {
            customer: c.customer,
            version: 3,
            at: at(2, 2),
            by: clerk(),
            fields: vec!["contact.mobile".into()],
        }],
        provisions: vec![ProvisionLine {
            customer: c.customer,
            recipient: Organisation {
                name: "受让经纪公司".into(),
                contact: "dpo@buyer.example".into(),
            },
            at: at(2, 3),
            categories: [DataCategory::Policies].into(),
            purposes: [Purpose::Transfer].into(),
            transfer: Some(TransferId::new_v7()),
        }],
        restrictions: vec![RestrictionLine {
            customer: c.customer,
            holding: Holding::Category(DataCategory::Contact),
            kind: RestrictionKind::Destroyed,
            at: at(2, 4),
            citation: custodia_model::Citation::pipl("47(1)"),
        }],
    };
    let s =
        ProcessingStatement::build(c.customer, (at(1, 1), at(4, 1)), inputs.clone(), Language::Zh).unwrap();
    assert_eq!(s.lines.reads.len(), 1, "the May read is outside the period");
    assert!(
        s.readable.contains("牌照转让")
            && s.readable.contains("已销毁")
            && s.readable.contains("contact.mobile")
    );
    let mut mixed = inputs;
    mixed.provisions[0].customer = CustomerId::new_v7();
    assert!(matches!(
        ProcessingStatement::build(c.customer, (at(1, 1), at(4, 1)), mixed, Language::En),
        Err(RightsError::OtherCustomer { .. })
    ));
}

/// GDPR Art 17(3): for an EEA customer, a Chinese floor is no exemption by itself; with legal claims recorded
/// as the controller's ground (retention's `ForeignFloorGround`) the refusal cites Art 17(3)(e), and with
/// nothing recorded the answer is an error for a person to resolve rather than a claim the law does not make.
#[test]
fn an_eea_customers_deletion_cites_gdpr_17_3_or_asks_the_controller_to_decide() {
    let de = Jurisdiction::new("DE").unwrap();
    let c = KnownCustomer::new(CustomerId::new_v7(), de);
    let ended = NaiveDate::from_ymd_opt(2022, 3, 1).unwrap();
    let facts = RetentionFacts::builder(c.customer, de)
        .held(held(c.customer, DataCategory::KycAml))
        .relationship_started(NaiveDate::from_ymd_opt(2015, 3, 1).unwrap())
        .relationship_ended(ended)
        .build()
        .unwrap();
    let profile = Profile::cn_insurance_broker().unwrap();
    let calendars = calendars().with_eea(EeaCalendar::new(eu_weekdays(), de).unwrap());
    let intake = Intake::new(
        c.customer,
        RequestKind::Deletion {
            categories: BTreeSet::new(),
        },
        Channel::Email,
        at(3, 2),
        clerk(),
    );
    let (mut r, _) = Request::receive(intake, Some(&c), &[], &RightsSettings::default(), &calendars).unwrap();
    assert_eq!(r.regime(), Regime::Gdpr);
    r.record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars)
        .unwrap();
    let on = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let nothing = ForeignFloorGround::NotRecorded;
    let input = DeletionInput {
        profile: &profile,
        facts: &facts,
        holds: &Holds::new(),
        on,
        foreign: &nothing,
    };
    let plan = DeletionPlan::decide(&r.verified().unwrap(), input).unwrap();
    assert!(matches!(
        plan.answer_parts(
            &r.verified().unwrap(),
            Language::En,
            &ComplaintContacts::default(),
            &nothing
        ),
        Err(RightsError::AnswerMismatch { .. })
    ));
    let claims = ForeignFloorGround::LegalClaims;
    let parts = plan
        .answer_parts(
            &r.verified().unwrap(),
            Language::En,
            &ComplaintContacts::default(),
            &claims,
        )
        .unwrap();
    r.answer(Answer::new(parts).unwrap(), at(3, 3)).unwrap();
    let refusal = r.answered().unwrap().answer.refusals().next().unwrap().clone();
    assert_eq!(refusal.citations()[0].to_string(), "GDPR Art 17(3)(e)");
    assert_eq!(refusal.remedies().citations[0].to_string(), "GDPR Art 12(4)");
}

fn eu_weekdays() -> custodia_model::WorkingDayCalendar {
    custodia_model::WorkingDayCalendar::new(custodia_model::CalendarFields {
        name: "weekdays-2026 (test)".into(),
        first: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        last: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        holidays: BTreeSet::new(),
        working_weekends: BTreeSet::new(),
    })
    .unwrap()
}

#[test]
fn a_stored_request_reads_back_the_same_and_a_forged_state_is_refused() {
    let c = mainland();
    let (mut r, _) = receive_for(&c, RequestKind::Access, at(3, 2));
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
    // A record claiming "verified" without a verified check is refused.
    let forged = json.replace("\"awaiting_identity\"", "\"verified\"");
    assert!(serde_json::from_str::<Request>(&forged).is_err());
    r.record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars())
        .unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
    let forged = json.replace("\"verified\",\"relatives", "\"answered\",\"relatives");
    assert_ne!(forged, json);
    assert!(serde_json::from_str::<Request>(&forged).is_err());
}
