//! Planning: the consent path, the cross-border thresholds and their refusal, and counts by reason.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::*;
use custodia_consent::*;
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{ActorId, CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_retention::{HeldData, Holding, Holds, Profile, PurposeBasis as Kept, RetentionFacts};
use custodia_transfer::*;
use proptest::prelude::*;

fn facts(customer: CustomerId, categories: &[DataCategory]) -> CustomerFacts {
    let mut b = RetentionFacts::builder(customer, Jurisdiction::MAINLAND_CHINA);
    for c in categories {
        b = b.held(
            HeldData::new(
                customer,
                Holding::Category(*c),
                NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                vec![Kept::new(Purpose::PolicyServicing, LegalBasis::Contract)],
            )
            .unwrap(),
        );
    }
    CustomerFacts {
        customer,
        birth_date: Some(NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()),
        categories: categories.to_vec(),
        relationship_end: None,
        retention: b.build().unwrap(),
    }
}

struct World {
    ledger: ConsentLedger<MemoryStore>,
    notice: NoticeRef,
}

fn world(agreement: &SignedAgreement) -> World {
    let policy = BasisPolicy::cn_insurance_broker(agreement.terms().legal_path);
    let mut ledger = ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), policy, &mut |_| {}).unwrap();
    let notice = custodia_transfer::notice::transfer_notice(
        agreement,
        NoticeId::new_v7(),
        custodia_transfer::notice::Language::SimplifiedChinese,
        at(2026, 5, 1),
    )
    .unwrap();
    ledger.publish(&notice).unwrap();
    World {
        ledger,
        notice: notice.reference(),
    }
}

fn grant(
    w: &mut World,
    agreement: &SignedAgreement,
    customer: CustomerId,
    kind: EventKind,
    categories: &[DataCategory],
    destinations: &[Jurisdiction],
    when: DateTime<Utc>,
) {
    let scope = ConsentScope::new(
        [Purpose::Transfer],
        categories.iter().copied(),
        Recipient::ThirdParty(agreement.terms().buyer.party_id()),
        destinations.iter().copied(),
    )
    .unwrap();
    let event = ConsentEvent::new(EventDraft {
        id: EventId::new_v7(),
        customer,
        kind,
        scope,
        form: ConsentForm::Separate,
        notice: w.notice,
        channel: Channel::Web,
        evidence: Digest::of(b"form"),
        effective_at: when,
        recorded_at: when,
        recorded_by: ActorId::new("clerk-7").unwrap(),
        expires_at: None,
    })
    .unwrap();
    w.ledger.record(&event).unwrap();
}

fn plan(
    agreement: &SignedAgreement,
    w: &World,
    customers: &[CustomerFacts],
    when: DateTime<Utc>,
) -> Result<(PlanSummary, Vec<CustomerPlan>), TransferError> {
    let responses = ResponseIndex::from_log(w.ledger.log(), agreement.terms().buyer.party_id()).unwrap();
    let profile = Profile::cn_insurance_broker().unwrap();
    let holds = Holds::new();
    let context = PlanContext {
        consent: w.ledger.index(),
        responses: &responses,
        retention: &profile,
        holds: &holds,
        at: when,
        as_of: when,
        thresholds: CrossBorderThresholds::default(),
    };
    let mut planner = Planner::new(agreement, &context)?;
    let mut plans = Vec::new();
    let mut reports = 0;
    planner.plan_all(
        customers.iter().cloned().map(Ok),
        1,
        &mut |p| {
            plans.push(p);
            Ok(())
        },
        &mut |_| reports += 1,
    )?;
    assert_eq!(reports, customers.len() + 1);
    Ok((planner.finish()?, plans))
}

#[test]
fn on_the_consent_path_only_separately_consented_categories_move() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::SeparateConsent));
    let mut w = world(&agreement);
    let cats = [
        DataCategory::Identity,
        DataCategory::Health,
        DataCategory::Policies,
    ];
    let b_cats = [DataCategory::Identity, DataCategory::Policies];
    let (a, b, c, d) = (
        CustomerId::new_v7(),
        CustomerId::new_v7(),
        CustomerId::new_v7(),
        CustomerId::new_v7(),
    );
    grant(
        &mut w,
        &agreement,
        a,
        EventKind::Granted,
        &cats,
        &[],
        at(2026, 6, 2),
    );
    grant(
        &mut w,
        &agreement,
        b,
        EventKind::Granted,
        &b_cats,
        &[],
        at(2026, 6, 2),
    );
    grant(
        &mut w,
        &agreement,
        c,
        EventKind::Refused,
        &cats,
        &[],
        at(2026, 6, 2),
    );
    grant(
        &mut w,
        &agreement,
        d,
        EventKind::Granted,
        &cats,
        &[],
        at(2026, 6, 2),
    );
    grant(
        &mut w,
        &agreement,
        d,
        EventKind::Withdrawn,
        &cats,
        &[],
        at(2026, 6, 10),
    );
    let customers: Vec<CustomerFacts> = [a, b, c, d, CustomerId::new_v7()]
        .iter()
        .map(|id| facts(*id, &cats))
        .collect();
    let (summary, plans) = plan(&agreement, &w, &customers, at(2026, 7, 1)).unwrap();
    assert_eq!(plans[0].included(), cats.to_vec());
    assert_eq!(plans[1].included(), b_cats.to_vec());
    assert_eq!(
        plans[1].decision(DataCategory::Health).unwrap().eligibility,
        Eligibility::Pending(PendingReason::TransferConsentMissing)
    );
    assert!(
        plans[2]
            .decisions()
            .iter()
            .all(|d| d.eligibility == Eligibility::Exclude(ExcludeReason::ConsentRefused))
    );
    assert!(
        plans[3]
            .decisions()
            .iter()
            .all(|d| d.eligibility == Eligibility::Exclude(ExcludeReason::ConsentWithdrawn))
    );
    assert_eq!(summary.count(Eligibility::Include), 5);
    assert_eq!(
        summary.count(Eligibility::Pending(PendingReason::TransferConsentMissing)),
        4
    );
    assert_eq!(summary.customers_moving, 2);
    // Every decision cites an article.
    assert!(
        plans
            .iter()
            .flat_map(|p| p.decisions())
            .all(|d| !d.citation.article().is_empty())
    );
}

#[test]
fn a_weaker_cross_border_mechanism_than_the_thresholds_require_is_refused() {
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::SeparateConsent);
    t.cross_border = Some(CrossBorderTerms {
        destination: Jurisdiction::HONG_KONG,
        mechanism: Mechanism::Exempt,
        reference: String::new(),
        operator: OperatorStatus::Ordinary,
        prior_people_non_sensitive: 0,
        prior_people_sensitive: 0,
    });
    let exempt = signed(&keys, t.clone());
    let mut w = world(&exempt);
    let cats = [DataCategory::Identity, DataCategory::Health];
    let customers: Vec<CustomerFacts> = (0..3).map(|_| facts(CustomerId::new_v7(), &cats)).collect();
    for c in &customers {
        grant(
            &mut w,
            &exempt,
            c.customer,
            EventKind::Granted,
            &cats,
            &[Jurisdiction::HONG_KONG],
            at(2026, 6, 2),
        );
    }
    // A consent without the destination does not reach processing abroad (PIPL Art 39).
    let stranger = facts(CustomerId::new_v7(), &cats);
    grant(
        &mut w,
        &exempt,
        stranger.customer,
        EventKind::Granted,
        &cats,
        &[],
        at(2026, 6, 2),
    );
    let mut all = customers.clone();
    all.push(stranger);
    // Three people's sensitive data abroad needs at least a standard contract (CAC 2024): exempt is refused.
    match plan(&exempt, &w, &all, at(2026, 7, 1)) {
        Err(TransferError::CrossBorderMechanismTooWeak {
            required,
            people_sensitive,
            ..
        }) => {
            assert_eq!(required, "standard_contract");
            assert_eq!(people_sensitive, 3);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // With a standard contract the same plan passes and reports the counts.
    let mut t2 = t;
    if let Some(cb) = &mut t2.cross_border {
        cb.mechanism = Mechanism::StandardContract;
        cb.reference = "SC-2026-44".into();
    }
    let contract = signed(&keys, t2);
    let mut w = world(&contract);
    for c in &customers {
        grant(
            &mut w,
            &contract,
            c.customer,
            EventKind::Granted,
            &cats,
            &[Jurisdiction::HONG_KONG],
            at(2026, 6, 2),
        );
    }
    grant(
        &mut w,
        &contract,
        all[3].customer,
        EventKind::Granted,
        &cats,
        &[],
        at(2026, 6, 2),
    );
    let (summary, plans) = plan(&contract, &w, &all, at(2026, 7, 1)).unwrap();
    let cb = summary.cross_border.unwrap();
    assert_eq!((cb.people_sensitive, cb.people_non_sensitive), (3, 3));
    assert_eq!(cb.required, Mechanism::StandardContract);
    assert!(
        plans[3]
            .decisions()
            .iter()
            .all(|d| d.eligibility == Eligibility::Exclude(ExcludeReason::CrossBorderWithoutConsent))
    );
}

#[test]
fn on_the_notice_path_the_window_decides() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let mut w = world(&agreement);
    let cats = [DataCategory::Identity, DataCategory::Policies];
    let (told, objector, untold) = (CustomerId::new_v7(), CustomerId::new_v7(), CustomerId::new_v7());
    let served = at(2026, 6, 1);
    let notice = w.notice;
    let served_events: Vec<ConsentRecord> = [told, objector]
        .iter()
        .map(|c| {
            ConsentRecord::Event(
                custodia_transfer::notice::notice_served(
                    &custodia_transfer::notice::NoticeDelivery {
                        agreement: &agreement,
                        served_at: served,
                        recorded_by: ActorId::new("clerk-7").unwrap(),
                        channel: Channel::Email,
                    },
                    notice,
                    &custodia_transfer::notice::Addressee {
                        customer: *c,
                        categories: cats.into(),
                        language: custodia_transfer::notice::Language::English,
                    },
                )
                .unwrap(),
            )
        })
        .collect();
    w.ledger.record_batch(&served_events).unwrap();
    let objection = ConsentEvent::new(EventDraft {
        id: EventId::new_v7(),
        customer: objector,
        kind: EventKind::Objected,
        scope: ConsentScope::new(
            [Purpose::Transfer],
            cats,
            Recipient::Successor(agreement.terms().buyer.party_id()),
            [],
        )
        .unwrap(),
        form: ConsentForm::Separate,
        notice,
        channel: Channel::Phone,
        evidence: Digest::of(b"call"),
        effective_at: served + Duration::days(12),
        recorded_at: served + Duration::days(12),
        recorded_by: ActorId::new("clerk-7").unwrap(),
        expires_at: None,
    })
    .unwrap();
    w.ledger.record(&objection).unwrap();
    let customers: Vec<CustomerFacts> = [told, objector, untold]
        .iter()
        .map(|c| facts(*c, &cats))
        .collect();
    let key = |p: &CustomerPlan| p.decisions()[0].eligibility;
    let (_, during) = plan(&agreement, &w, &customers, served + Duration::days(10)).unwrap();
    assert_eq!(
        key(&during[0]),
        Eligibility::Pending(PendingReason::ObjectionWindowOpen)
    );
    assert_eq!(
        key(&during[1]),
        Eligibility::Pending(PendingReason::ObjectionWindowOpen)
    );
    assert_eq!(
        key(&during[2]),
        Eligibility::Pending(PendingReason::NoticeNotServed)
    );
    let (_, after) = plan(&agreement, &w, &customers, served + Duration::days(31)).unwrap();
    assert_eq!(key(&after[0]), Eligibility::Include);
    assert_eq!(key(&after[1]), Eligibility::Exclude(ExcludeReason::Objected));
    assert_eq!(
        key(&after[2]),
        Eligibility::Pending(PendingReason::NoticeNotServed)
    );
    // Judged as known before the objection was recorded, the objector was still moving (bitemporal).
    let responses = ResponseIndex::from_log(w.ledger.log(), agreement.terms().buyer.party_id()).unwrap();
    assert!(
        responses
            .earliest(
                objector,
                DataCategory::Identity,
                ResponseKind::Objected,
                served + Duration::days(31),
                served + Duration::days(11)
            )
            .is_none()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// For all counts, more people never need a weaker mechanism, and the 2024 boundaries fall where the
    /// rules put them.
    #[test]
    fn the_required_mechanism_is_monotonic(ns in 0u64..2_000_000, s in 0u64..20_000, dn in 0u64..500_000, ds in 0u64..5_000, ciio in any::<bool>()) {
        let t = CrossBorderThresholds::default();
        let operator = if ciio { OperatorStatus::CriticalInformationInfrastructure } else { OperatorStatus::Ordinary };
        let low = t.required(operator, ns, s);
        let high = t.required(operator, ns + dn, s + ds);
        prop_assert!(low.strength() <= high.strength());
        let expected = if ciio || ns >= 1_000_000 || s >= 10_000 {
            Mechanism::SecurityAssessment
        } else if ns >= 100_000 || s >= 1 {
            Mechanism::StandardContract
        } else {
            Mechanism::Exempt
        };
        prop_assert_eq!(low, expected);
    }
}

#[test]
fn nothing_is_planned_before_the_agreement_takes_effect() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let w = world(&agreement);
    let customers = vec![facts(CustomerId::new_v7(), &[DataCategory::Identity])];
    match plan(&agreement, &w, &customers, at(2026, 5, 31)) {
        Err(TransferError::InvalidField { field, .. }) => assert_eq!(field, "plan.at"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
