//! The answers generator exercises the planner's answer rules: a book with its answers, planned on both
//! paths and abroad, reaches every reason the scenarios stand for, and each scenario's customer gets the
//! reason the law gives it.

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use custodia_consent::{
    BasisPolicy, Channel, ConsentLedger, ConsentRecord, Digest, NoticeId, NoticeRef, TransferPath,
};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{ActorId, DataCategory, Jurisdiction, SensitivityPolicy, WorkingDayCalendar};
use custodia_retention::{Holds, Profile};
use custodia_synthetic::answers::{
    AnswerConfig, AnswerTarget, AnswerTimes, Scenario, addressed, answers, scenario,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, consent_events, withdrawals};
use custodia_synthetic::parties::{SampleKeys, sign, terms};
use custodia_transfer::facts::{FactsInput, customer_facts_with};
use custodia_transfer::notice::{
    Addressee, Language, NoticeDelivery, NoticePublication, Reader, RetentionStatement, serve_notices,
    transfer_notice,
};
use custodia_transfer::{
    CrossBorderTerms, CrossBorderThresholds, CrossBorderYear, Eligibility, ExcludeReason, Mechanism,
    OperatorStatus, PendingReason, PlanContext, Planner, ResponseIndex,
};

fn run(
    path: TransferPath,
    abroad: bool,
) -> (
    BTreeMap<Eligibility, u64>,
    BTreeMap<Scenario, BTreeSet<Eligibility>>,
) {
    let keys = SampleKeys::generate().unwrap();
    let mut t = terms(&keys, path).unwrap();
    if abroad {
        t.cross_border = Some(CrossBorderTerms {
            destination: Jurisdiction::HONG_KONG,
            mechanism: Mechanism::StandardContract,
            reference: "SC-2026-0042".into(),
            exemption: None,
            operator: OperatorStatus::Ordinary,
        });
    }
    let agreement = sign(&keys, t).unwrap();
    let book_date = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 11,
            customers: 400,
            ..BookConfig::default()
        },
        book_date,
    )
    .unwrap();
    let policy = BasisPolicy::cn_insurance_broker(path);
    let mut ledger =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), policy.clone(), &mut |_| {}).unwrap();
    let profile = Profile::cn_insurance_broker().unwrap();
    let retention = RetentionStatement::of(&profile);
    let served_at = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let notice = transfer_notice(&NoticePublication {
        agreement: &agreement,
        id: NoticeId::new_v7(),
        language: Language::SimplifiedChinese,
        published_at: served_at,
        retention,
    })
    .unwrap();
    ledger.publish(&notice).unwrap();
    let clerk = ActorId::new("clerk-1").unwrap();
    let recording = Recording {
        notice: notice.reference(),
        recorded_by: clerk.clone(),
        evidence: Digest::of(b"form"),
        grant_delay: Duration::zero(),
        withdrawal_delay: Duration::zero(),
    };
    let mut records = Vec::new();
    for c in book.customers() {
        for f in &c.consents {
            records.extend(
                consent_events(c.customer.id(), f, &recording)
                    .unwrap()
                    .into_iter()
                    .map(ConsentRecord::Event),
            );
        }
    }
    ledger.record_batch(&records).unwrap();
    let calendar = WorkingDayCalendar::mainland_2026().unwrap();
    let effective = agreement.terms().effective;
    let scope = agreement.terms().categories();
    let sensitivity = SensitivityPolicy::default();
    let held = |c: &custodia_model::Customer| -> BTreeSet<DataCategory> {
        c.categories_held()
            .into_iter()
            .filter(|k| scope.contains(k))
            .collect()
    };
    let addressees = book
        .customers()
        .iter()
        .filter(|c| {
            agreement
                .terms()
                .selects(c.customer.relationship_end(), effective)
        })
        .map(|c| {
            let categories = held(&c.customer);
            let minor = c.customer.is_minor_at(effective);
            Addressee {
                customer: c.customer.id(),
                sensitive: sensitivity
                    .sensitive_categories(&c.customer, effective)
                    .iter()
                    .filter(|k| categories.contains(k))
                    .collect(),
                categories,
                reader: if minor { Reader::Guardian } else { Reader::Customer },
                language: Language::SimplifiedChinese,
            }
        });
    let delivery = NoticeDelivery {
        agreement: &agreement,
        served_at,
        recorded_by: clerk.clone(),
        channel: Channel::Sms,
        retention,
        calendar: &calendar,
    };
    serve_notices(
        &mut ledger,
        &delivery,
        &[(Language::SimplifiedChinese, notice.reference())],
        addressees,
        &mut |_| {},
    )
    .unwrap();
    let window_closes = delivery.deadline().unwrap().map_or(served_at, |d| d.closes_at);
    let plan_at = served_at + Duration::days(45);
    let times = AnswerTimes {
        buyer: agreement.terms().buyer.party_id(),
        notice: NoticeRef { ..notice.reference() },
        served_at,
        window_closes,
        plan_at,
        destination: abroad.then_some(Jurisdiction::HONG_KONG),
        recorded_by: clerk,
    };
    let config = AnswerConfig {
        seed: 5,
        ..AnswerConfig::default()
    };
    let mut answered = Vec::new();
    for (i, c) in book.customers().iter().enumerate() {
        let categories = held(&c.customer);
        let minor = c.customer.is_minor_at(effective);
        let needing = categories
            .iter()
            .copied()
            .filter(|k| {
                path == TransferPath::SeparateConsent
                    || abroad
                    || minor
                    || sensitivity.is_sensitive(&c.customer, *k, effective)
            })
            .collect();
        let target = AnswerTarget {
            index: i as u64,
            customer: c.customer.id(),
            categories,
            needing_consent: needing,
            minor,
        };
        answered.extend(
            answers(&config, &times, &target)
                .unwrap()
                .into_iter()
                .map(ConsentRecord::Event),
        );
    }
    ledger.record_batch(&answered).unwrap();
    let responses = ResponseIndex::new(agreement.terms().buyer.party_id())
        .answering([notice.reference()])
        .read(ledger.log())
        .unwrap();
    let holds = Holds::new();
    let context = PlanContext {
        consent: ledger.index(),
        responses: &responses,
        retention: &profile,
        holds: &holds,
        at: plan_at,
        as_of: plan_at,
        thresholds: CrossBorderThresholds::default(),
        calendar: &calendar,
        cross_border_year: Some(CrossBorderYear::first_of(2026)),
    };
    let mut planner = Planner::new(&agreement, &context).unwrap();
    let mut by_scenario: BTreeMap<Scenario, BTreeSet<Eligibility>> = BTreeMap::new();
    for (i, c) in book.customers().iter().enumerate() {
        let facts = customer_facts_with(&FactsInput {
            customer: &c.customer,
            withdrawals: &withdrawals(&c.consents),
            basis: &policy,
            sensitivity: &sensitivity,
            as_of: plan_at.date_naive(),
        })
        .unwrap();
        let plan = planner.plan(&facts).unwrap();
        let set = by_scenario.entry(scenario(&config, i as u64)).or_default();
        set.extend(plan.decisions().iter().map(|d| d.eligibility));
        let _ = addressed(i as u64);
    }
    let summary = planner.finish().unwrap();
    (summary.decisions.iter().collect(), by_scenario)
}

fn has(map: &BTreeMap<Eligibility, u64>, e: Eligibility) -> bool {
    map.get(&e).copied().unwrap_or(0) > 0
}

#[test]
fn on_the_notice_path_late_objections_and_refusals_exclude_whoever_they_are_addressed_to() {
    let (counts, by) = run(TransferPath::MergerNotice, false);
    let objected = Eligibility::Exclude(ExcludeReason::Objected);
    for s in [
        Scenario::ObjectionInWindow,
        Scenario::ObjectionAfterWindow,
        Scenario::RefusalOnNotice,
    ] {
        assert!(
            by.get(&s).is_some_and(|set| set.contains(&objected)),
            "{s:?}: {:?}",
            by.get(&s)
        );
    }
    for e in [
        Eligibility::Include,
        Eligibility::Exclude(ExcludeReason::SensitiveWithoutSeparateConsent),
        Eligibility::Exclude(ExcludeReason::ConsentWithdrawn),
        Eligibility::Exclude(ExcludeReason::MinorWithoutGuardianConsent),
        Eligibility::Pending(PendingReason::SensitiveConsentMissing),
    ] {
        assert!(has(&counts, e), "no {e} in {counts:?}");
    }
}

#[test]
fn on_the_consent_path_abroad_every_consent_requirement_shows_with_its_own_article() {
    let (counts, by) = run(TransferPath::SeparateConsent, true);
    assert!(by[&Scenario::RefusalOnNotice].contains(&Eligibility::Exclude(ExcludeReason::ConsentRefused)));
    assert!(
        by[&Scenario::ConsentWithoutDestination]
            .contains(&Eligibility::Exclude(ExcludeReason::CrossBorderWithoutConsent))
    );
    for e in [
        Eligibility::Include,
        Eligibility::Exclude(ExcludeReason::Objected),
        Eligibility::Exclude(ExcludeReason::CrossBorderWithoutConsent),
        Eligibility::Pending(PendingReason::CrossBorderConsentMissing),
    ] {
        assert!(has(&counts, e), "no {e} in {counts:?}");
    }
}
