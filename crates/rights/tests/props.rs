//! Properties with a quantifier in them: no package or action without every claimed identity verified on
//! the ledger first, for any sequence of steps; every refusal has a reason, a citation and the complaint
//! route; a deletion never removes data under a retention floor; working-day deadlines count exactly their
//! days and never move backwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use custodia_consent::{Digest, Regime};
use custodia_model::{DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_retention::{
    Contract, ContractTerm, ForeignFloorGround, HeldData, Holding, Holds, Profile, PurposeBasis,
    RetentionFacts, RuleEffect,
};
use custodia_rights::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Ask,
    Check(VerifiedParty, IdentityMethod, CheckResult),
    Release,
    RefuseIdentity,
    RefuseStandard,
    Extend,
}

fn op() -> impl Strategy<Value = Op> {
    let party = prop_oneof![Just(VerifiedParty::Requester), Just(VerifiedParty::Authority)];
    let method = prop_oneof![
        Just(IdentityMethod::AuthenticatedSession),
        Just(IdentityMethod::OneTimeCode),
        Just(IdentityMethod::KnowledgeCheck),
        Just(IdentityMethod::DocumentInspected),
        Just(IdentityMethod::AuthorityDocumentInspected),
    ];
    let result = prop_oneof![Just(CheckResult::Verified), Just(CheckResult::Failed)];
    prop_oneof![
        Just(Op::Ask),
        (party, method, result).prop_map(|(p, m, r)| Op::Check(p, m, r)),
        Just(Op::Release),
        Just(Op::RefuseIdentity),
        Just(Op::RefuseStandard),
        Just(Op::Extend),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For any sequence of steps, by the customer or an agent: a package is built, and an answer releases
    /// or refuses on substance, only after the ledger holds a verified identity entry for every party the
    /// request claims; an unverified request releases nothing.
    #[test]
    fn nothing_is_released_without_a_verified_identity_entry(
        by_agent in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..12),
    ) {
        let c = mainland();
        let mut intake = Intake::new(c.customer, RequestKind::Copy, custodia_consent::Channel::Web, at(3, 2), clerk());
        if by_agent {
            intake = intake.by(Requester::Agent { requester: RequesterId::new_v7() });
        }
        let (mut r, first) = Request::receive(intake, Some(&c), &[], &RightsSettings::default(), &calendars()).unwrap();
        let mut ledger = vec![first];
        for (i, op) in ops.into_iter().enumerate() {
            let when = at(3, 2) + chrono::Duration::hours(i as i64);
            let verified_on_ledger = |ledger: &[RightsEntry]| {
                let has = |party| ledger.iter().any(|e| matches!(e.step,
                    Step::IdentityChecked { party: p, result: CheckResult::Verified, .. } if p == party));
                has(VerifiedParty::Requester) && (!by_agent || has(VerifiedParty::Authority))
            };
            let step = match op {
                Op::Ask => r.ask_for_evidence(when, &calendars()),
                Op::Check(party, method, result) => {
                    let mut v = IdentityVerification::verified(party, method, Digest::of(b"check"), clerk(), when);
                    if result == CheckResult::Failed { v = v.failed(); }
                    r.record_identity(v, &calendars())
                }
                Op::Release => {
                    match r.verified() {
                        Ok(v) => {
                            prop_assert!(verified_on_ledger(&ledger));
                            let p = ResponsePackage::build(&v, PackageContents::default(), when).unwrap();
                            r.answer(Answer::done(Action::released(&p)), when)
                        }
                        Err(e) => Err(e),
                    }
                }
                Op::RefuseIdentity => r.answer(Answer::refused(refusal(RefusalCode::IdentityNotVerifiable, KindCode::Copy)), when),
                Op::RefuseStandard => {
                    let code = RefusalCode::Standard { ground: StandardGround::TradeSecrets };
                    let before = verified_on_ledger(&ledger);
                    let out = r.answer(Answer::refused(refusal(code, KindCode::Copy)), when);
                    if out.is_ok() { prop_assert!(before); }
                    out
                }
                Op::Extend => r.extend(ExtensionReason::Complexity, when, &calendars()),
            };
            if let Ok(entry) = step {
                if let Step::Answered { package: Some(_), .. } = entry.step {
                    prop_assert!(verified_on_ledger(&ledger));
                }
                ledger.push(entry);
            }
        }
        if r.state() != StateCode::Verified && r.state() != StateCode::Answered {
            prop_assert!(r.verified().is_err());
        }
    }

    /// Every refusal that can be built has a reason, a citation, a statement and the complaint route with
    /// the right to sue, in either language and regime.
    #[test]
    fn every_refusal_has_a_reason_and_the_complaint_route(
        code_index in 0usize..18,
        kind_index in 0usize..11,
        gdpr in any::<bool>(),
        english in any::<bool>(),
    ) {
        let h = Holding::Category(DataCategory::KycAml);
        let codes = [
            RefusalCode::ConfidentialByLaw, RefusalCode::StateOrganDuty,
            RefusalCode::RetentionFloor { holding: h, floors: vec![] }, RefusalCode::NoDeletionGround { holding: h },
            RefusalCode::AlreadyAccurate, RefusalCode::IdentityNotVerifiable, RefusalCode::PortabilityNotFeasible,
            RefusalCode::DeceasedArrangedOtherwise, RefusalCode::LawProvidesOtherwise,
            RefusalCode::Standard { ground: StandardGround::ALL[code_index % 8] }, RefusalCode::NotIdentifiable,
            RefusalCode::ManifestlyUnfoundedOrExcessive, RefusalCode::CopyAffectsOthers,
            RefusalCode::ErasureLegalClaims { holding: h }, RefusalCode::NoErasureGround { holding: h },
            RefusalCode::PortabilityNotApplicable, RefusalCode::CompellingLegitimateGrounds,
            RefusalCode::AutomatedDecisionPermitted,
        ];
        let regime = if gdpr { Regime::Gdpr } else { Regime::Pipl };
        let language = if english { Language::En } else { Language::Zh };
        let kind = KindCode::ALL[kind_index];
        if let Ok(r) = Refusal::new(codes[code_index].clone(), kind, regime, language, &ComplaintContacts::default()) {
            prop_assert!(!r.citations().is_empty());
            prop_assert!(!r.statement().is_empty());
            prop_assert!(!r.remedies().complaint.is_empty());
            prop_assert!(!r.remedies().court.is_empty());
            let route = if gdpr { "GDPR Art 12(4)" } else { "PIPL Art 50(2)" };
            prop_assert_eq!(r.remedies().citations[0].to_string(), route);
            prop_assert!(kind != KindCode::WithdrawConsent);
        }
    }

    /// For any customer facts, a deletion erases a holding only when retention decides `Destroy`, and never
    /// one a floor keeps in force on the day.
    #[test]
    fn a_deletion_never_removes_data_under_a_retention_floor(
        held_mask in 1u16..512,
        contract in 0u8..3,
        ended_years_ago in 0u64..14,
        relationship_ended in any::<bool>(),
        withdrew in any::<bool>(),
    ) {
        let c = mainland();
        let on = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let ended = on.checked_sub_days(Days::new(ended_years_ago * 365 + 3)).unwrap();
        let start = NaiveDate::from_ymd_opt(2010, 1, 4).unwrap();
        let mut b = RetentionFacts::builder(c.customer, Jurisdiction::MAINLAND_CHINA).relationship_started(start);
        for (i, cat) in DataCategory::ALL.iter().enumerate() {
            if held_mask & (1 << i) != 0 {
                let uses = vec![
                    PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract),
                    PurposeBasis::new(Purpose::Marketing, LegalBasis::Consent),
                ];
                b = b.held(HeldData::new(c.customer, Holding::Category(*cat), start, uses).unwrap());
            }
        }
        b = match contract {
            0 => b.contract(Contract::in_force(ContractTerm::MoreThanOneYear)),
            1 => b.contract(Contract::ending(ContractTerm::OneYearOrLess, ended)),
            _ => b.contract(Contract::ending(ContractTerm::MoreThanOneYear, ended)),
        };
        if relationship_ended && contract != 0 { b = b.relationship_ended(ended); }
        if withdrew { b = b.consent_withdrawn(Purpose::Marketing, ended); }
        let facts = b.build().unwrap();
        let profile = Profile::cn_insurance_broker().unwrap();
        let request = verified(&c, RequestKind::Deletion { categories: Default::default() });
        let foreign = ForeignFloorGround::default();
        let input = DeletionInput { profile: &profile, facts: &facts, holds: &Holds::new(), on, foreign: &foreign };
        let plan = DeletionPlan::decide(&request.verified().unwrap(), input).unwrap();
        for item in plan.items() {
            let floor = item.decision.reasons().iter().any(|r| matches!(r.effect(), RuleEffect::FloorInForce { .. }));
            if let Disposition::Erase { .. } = item.disposition {
                prop_assert!(item.decision.outcome().is_destroy());
                prop_assert!(!floor, "{} erased under a floor", item.holding);
            }
        }
        let parts = plan.answer_parts(&request.verified().unwrap(), Language::Zh, &ComplaintContacts::default(), &foreign).unwrap();
        prop_assert_eq!(parts.len(), plan.items().len());
    }

    /// For any day of receipt and any number of working days: the last day is a working day, exactly that
    /// many working days lie after the day of receipt up to it, and a later receipt never gives an earlier
    /// deadline.
    #[test]
    fn working_day_deadlines_count_exactly_and_never_move_backwards(day in 0u64..320, n in 1u32..25) {
        let cal = calendars();
        let mut settings = RightsSettings::default();
        settings.deadlines.pipl = Period::WorkingDays(n);
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let received = first.checked_add_days(Days::new(day)).unwrap();
        let deadline_of = |date: NaiveDate| {
            let c = mainland();
            let when = custodia_model::beijing_end_of_day(date).unwrap() - chrono::Duration::hours(12);
            let intake = Intake::new(c.customer, RequestKind::Access, custodia_consent::Channel::Web, when, clerk());
            Request::receive(intake, Some(&c), &[], &settings, &cal).map(|(r, _)| r.deadline().unwrap().last_day)
        };
        let Ok(last) = deadline_of(received) else { return Ok(()); };
        prop_assert!(cal.mainland.is_working_day(last).unwrap());
        let mut count = 0;
        let mut d = received;
        while d < last {
            d = d.succ_opt().unwrap();
            if cal.mainland.is_working_day(d).unwrap() { count += 1; }
        }
        prop_assert_eq!(count, n);
        if let Ok(next) = deadline_of(received.succ_opt().unwrap()) {
            prop_assert!(next >= last);
        }
    }
}
