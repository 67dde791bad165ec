//! Planning, one table row per rule with its article: the kind of deal, answers to whomever addressed, the
//! consent each path needs and the article each reason cites, the objection window across a holiday, the
//! year's running cross-border total, and the settings the law leaves open, tested both ways.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::*;
use custodia_consent::*;
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{
    ActorId, CategorySet, Citation, CustomerId, DataCategory, Instrument, Jurisdiction, LegalBasis, PersonId,
    Purpose, WorkingDayCalendar,
};
use custodia_retention::{
    Contract, ContractTerm, HeldData, Holding, Holds, Profile, PurposeBasis as Kept, RetentionFacts,
};
use custodia_transfer::notice::{Addressee, Language, NoticeDelivery, NoticePublication, RetentionStatement};
use custodia_transfer::*;
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// How one test customer looks.
#[derive(Clone)]
struct Spec {
    categories: Vec<DataCategory>,
    born: Option<NaiveDate>,
    sensitive: Vec<DataCategory>,
    ended: Option<NaiveDate>,
    /// Withdrawn marketing consent, retention-wise.
    people: Vec<CoveredPersonFacts>,
    /// A contract that ended long ago, with the relationship: the seller holds the data under floors only.
    long_ago: bool,
}

impl Spec {
    fn adult(categories: &[DataCategory]) -> Self {
        Self {
            categories: categories.to_vec(),
            born: Some(day(1980, 1, 1)),
            sensitive: categories.iter().copied().filter(|c| c.is_sensitive()).collect(),
            ended: None,
            people: Vec::new(),
            long_ago: false,
        }
    }
}

fn facts_of(customer: CustomerId, spec: &Spec) -> CustomerFacts {
    let mut b =
        RetentionFacts::builder(customer, Jurisdiction::MAINLAND_CHINA).relationship_started(day(2020, 1, 1));
    for c in &spec.categories {
        b = b.held(
            HeldData::new(
                customer,
                Holding::Category(*c),
                day(2020, 1, 1),
                vec![Kept::new(Purpose::PolicyServicing, LegalBasis::Contract)],
            )
            .unwrap(),
        );
    }
    if let Some(end) = spec.ended {
        b = b.relationship_ended(end);
    }
    if spec.long_ago {
        b = b
            .contract(Contract::ending(ContractTerm::MoreThanOneYear, day(2021, 1, 1)))
            .relationship_ended(day(2021, 1, 1));
    }
    CustomerFacts::new(CustomerFactsFields {
        retention: b.build().unwrap(),
        birth_date: spec.born,
        sensitive: spec.sensitive.iter().collect(),
        people: spec.people.clone(),
        prior_export: PriorExport::default(),
    })
    .unwrap()
}

fn facts(customer: CustomerId, categories: &[DataCategory]) -> CustomerFacts {
    facts_of(customer, &Spec::adult(categories))
}

struct World {
    ledger: ConsentLedger<MemoryStore>,
    notice: NoticeRef,
}

fn world(agreement: &SignedAgreement) -> World {
    let policy = BasisPolicy::cn_insurance_broker(agreement.terms().legal_path);
    let mut ledger = ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), policy, &mut |_| {}).unwrap();
    let notice = custodia_transfer::notice::transfer_notice(&NoticePublication {
        agreement,
        id: NoticeId::new_v7(),
        language: Language::SimplifiedChinese,
        published_at: at(2026, 5, 1),
        retention: RetentionStatement::of(&Profile::cn_insurance_broker().unwrap()),
    })
    .unwrap();
    ledger.publish(&notice).unwrap();
    World {
        ledger,
        notice: notice.reference(),
    }
}

/// One answer or consent, as a test records it.
struct Answer<'a> {
    kind: EventKind,
    categories: &'a [DataCategory],
    recipient: Recipient,
    destinations: &'a [Jurisdiction],
    form: ConsentForm,
    when: DateTime<Utc>,
}

fn record(w: &mut World, customer: CustomerId, a: Answer<'_>) {
    let scope = ConsentScope::new(
        [Purpose::Transfer],
        a.categories.iter().copied(),
        a.recipient,
        a.destinations.iter().copied(),
    )
    .unwrap();
    let event = ConsentEvent::new(EventDraft {
        id: EventId::new_v7(),
        customer,
        kind: a.kind,
        scope,
        form: a.form,
        notice: w.notice,
        channel: Channel::Web,
        evidence: Digest::of(b"form"),
        effective_at: a.when,
        recorded_at: a.when,
        recorded_by: ActorId::new("clerk-7").unwrap(),
        expires_at: None,
    })
    .unwrap();
    w.ledger.record(&event).unwrap();
}

fn grant(w: &mut World, agreement: &SignedAgreement, customer: CustomerId, categories: &[DataCategory]) {
    record(
        w,
        customer,
        Answer {
            kind: EventKind::Granted,
            categories,
            recipient: Recipient::ThirdParty(agreement.terms().buyer.party_id()),
            destinations: &[],
            form: ConsentForm::Separate,
            when: at(2026, 6, 2),
        },
    );
}

fn calendar() -> WorkingDayCalendar {
    WorkingDayCalendar::mainland_2026().unwrap()
}

fn serve(
    w: &mut World,
    agreement: &SignedAgreement,
    customers: &[CustomerId],
    cats: &[DataCategory],
    when: DateTime<Utc>,
) {
    let cal = calendar();
    let delivery = NoticeDelivery {
        agreement,
        served_at: when,
        recorded_by: ActorId::new("clerk-7").unwrap(),
        channel: Channel::Email,
        retention: RetentionStatement::of(&Profile::cn_insurance_broker().unwrap()),
        calendar: &cal,
    };
    let events: Vec<ConsentRecord> = customers
        .iter()
        .map(|c| {
            let addressee = Addressee::new(*c, cats.iter().copied().collect(), Language::English);
            ConsentRecord::Event(
                custodia_transfer::notice::notice_served(&delivery, w.notice, &addressee).unwrap(),
            )
        })
        .collect();
    w.ledger.record_batch(&events).unwrap();
}

struct Run<'a> {
    agreement: &'a SignedAgreement,
    world: &'a World,
    when: DateTime<Utc>,
    year: Option<CrossBorderYear>,
}

fn plan_with(
    run: &Run<'_>,
    customers: &[CustomerFacts],
) -> Result<(PlanSummary, Vec<CustomerPlan>), TransferError> {
    let agreement = run.agreement;
    let responses = ResponseIndex::from_log(run.world.ledger.log(), agreement.terms().buyer.party_id())?;
    let profile = Profile::cn_insurance_broker().unwrap();
    let holds = Holds::new();
    let cal = calendar();
    let context = PlanContext {
        consent: run.world.ledger.index(),
        responses: &responses,
        retention: &profile,
        holds: &holds,
        at: run.when,
        as_of: run.when,
        thresholds: CrossBorderThresholds::default(),
        calendar: &cal,
        cross_border_year: run.year,
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

fn plan(
    agreement: &SignedAgreement,
    w: &World,
    customers: &[CustomerFacts],
    when: DateTime<Utc>,
) -> Result<(PlanSummary, Vec<CustomerPlan>), TransferError> {
    plan_with(
        &Run {
            agreement,
            world: w,
            when,
            year: Some(CrossBorderYear::first_of(2026)),
        },
        customers,
    )
}

fn served() -> DateTime<Utc> {
    at(2026, 6, 1)
}

/// After the 30-day window of a notice served on 1 June (it closes at 24:00 Beijing time on 1 July).
fn after_window() -> DateTime<Utc> {
    at(2026, 7, 2)
}

fn hong_kong(mechanism: Mechanism, reference: &str) -> CrossBorderTerms {
    CrossBorderTerms {
        destination: Jurisdiction::HONG_KONG,
        mechanism,
        reference: reference.into(),
        exemption: None,
        operator: OperatorStatus::Ordinary,
    }
}

const ID: DataCategory = DataCategory::Identity;
const POL: DataCategory = DataCategory::Policies;
const HEALTH: DataCategory = DataCategory::Health;

fn include() -> Eligibility {
    Eligibility::Include
}

fn ex(r: ExcludeReason) -> Eligibility {
    Eligibility::Exclude(r)
}

fn pend(r: PendingReason) -> Eligibility {
    Eligibility::Pending(r)
}

#[test]
fn every_exclusion_and_pending_reason_cites_an_article_and_has_a_stable_key() {
    let mut keys = BTreeSet::new();
    for r in ExcludeReason::ALL {
        let c = r.citation();
        assert!(!c.article().is_empty(), "{r:?} cites no article");
        assert!(
            matches!(c.instrument(), Instrument::Pipl | Instrument::AmlLaw2024),
            "{r:?}"
        );
        let e = Eligibility::Exclude(r);
        assert_eq!(e.key().parse::<Eligibility>().unwrap(), e);
        assert!(keys.insert(e.key()));
    }
    for r in PendingReason::ALL {
        assert!(!r.citation().article().is_empty(), "{r:?} cites no article");
        let e = Eligibility::Pending(r);
        assert_eq!(e.key().parse::<Eligibility>().unwrap(), e);
        assert!(keys.insert(e.key()));
    }
    for r in ConsentRequirement::BY_SPECIFICITY {
        assert_eq!(r.missing().citation(), r.citation());
        assert_eq!(
            r.failed().citation(),
            r.citation(),
            "a failed and a missing consent cite the same article"
        );
    }
    assert_eq!(ConsentRequirement::CrossBorder.citation(), Citation::pipl("39"));
    assert_eq!(ConsentRequirement::Sensitive.citation(), Citation::pipl("29"));
    assert_eq!(ConsentRequirement::Guardian.citation(), Citation::pipl("31"));
    assert_eq!(ConsentRequirement::Provision.citation(), Citation::pipl("23"));
}

/// One rule: a scenario, the customer's first decision expected, and the article it must cite.
struct Row {
    name: &'static str,
    path: TransferPath,
    edit: fn(&mut AgreementTerms),
    spec: fn() -> Spec,
    answers: fn(&mut World, &SignedAgreement, CustomerId),
    when: fn() -> DateTime<Utc>,
    want: Eligibility,
    article: &'static str,
}

fn nothing(_: &mut AgreementTerms) {}
fn quiet(_: &mut World, _: &SignedAgreement, _: CustomerId) {}
fn served_only(w: &mut World, a: &SignedAgreement, c: CustomerId) {
    serve(w, a, &[c], &DataCategory::ALL, served());
}
fn identity() -> Spec {
    Spec::adult(&[ID])
}
fn health() -> Spec {
    Spec::adult(&[HEALTH])
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "a customer outside the selection",
            path: TransferPath::MergerNotice,
            edit: |t| t.selection = CustomerSelection::Active,
            spec: || Spec {
                ended: Some(day(2026, 3, 1)),
                ..identity()
            },
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::CustomerOutOfScope),
            article: "PIPL Art 22",
        },
        Row {
            name: "a category outside the scope",
            path: TransferPath::MergerNotice,
            edit: |t| {
                t.scope[0].categories.remove(&DataCategory::Claims);
            },
            spec: || Spec {
                sensitive: vec![],
                ..Spec::adult(&[DataCategory::Claims])
            },
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::CategoryOutOfScope),
            article: "PIPL Art 22",
        },
        Row {
            name: "data the seller keeps under floors only, restricted to storage, and the seller keeps its records",
            path: TransferPath::MergerNotice,
            edit: |t| t.selection = CustomerSelection::All,
            spec: || Spec {
                long_ago: true,
                ..Spec::adult(&[POL])
            },
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::RestrictedToStorage),
            article: "PIPL Art 47(2)",
        },
        Row {
            name: "the same, and the buyer keeps the records: it may move",
            path: TransferPath::MergerNotice,
            edit: |t| {
                t.selection = CustomerSelection::All;
                t.deal.records_kept_by = RecordKeeper::Buyer;
            },
            spec: || Spec {
                long_ago: true,
                ..Spec::adult(&[POL])
            },
            answers: served_only,
            when: after_window,
            want: include(),
            article: "PIPL Art 22",
        },
        Row {
            name: "AML records of a dissolving seller",
            path: TransferPath::MergerNotice,
            edit: |t| t.deal.seller_after = SellerAfterTransfer::Dissolves,
            spec: || Spec {
                sensitive: vec![],
                ..Spec::adult(&[DataCategory::KycAml])
            },
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::AmlRecordsToDesignatedBody),
            article: "AML Law 2024 Art 34",
        },
        Row {
            name: "a minor, and the agreement excludes minors",
            path: TransferPath::MergerNotice,
            edit: |t| t.minors = MinorRule::Exclude,
            spec: || Spec {
                born: Some(day(2015, 1, 1)),
                ..identity()
            },
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::MinorExcluded),
            article: "PIPL Art 31",
        },
        Row {
            name: "a sensitive category, and the agreement excludes them",
            path: TransferPath::MergerNotice,
            edit: |t| t.sensitive = SensitiveRule::Exclude,
            spec: health,
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::SensitiveExcluded),
            article: "PIPL Art 28",
        },
        Row {
            name: "no notice served",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: quiet,
            when: after_window,
            want: pend(PendingReason::NoticeNotServed),
            article: "PIPL Art 22",
        },
        Row {
            name: "the window still open",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: served_only,
            when: || at(2026, 6, 20),
            want: pend(PendingReason::ObjectionWindowOpen),
            article: "PIPL Art 22",
        },
        Row {
            name: "silence after the window on the notice path",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: served_only,
            when: after_window,
            want: include(),
            article: "PIPL Art 22",
        },
        Row {
            name: "an objection inside the window",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::Successor(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Objected,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 10),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::Objected),
            article: "PIPL Art 44",
        },
        Row {
            name: "an objection after the window, before packaging",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::Successor(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Objected,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 7, 10),
                    },
                );
            },
            when: || at(2026, 7, 15),
            want: ex(ExcludeReason::Objected),
            article: "PIPL Art 44",
        },
        Row {
            name: "an objection addressed to the seller",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                served_only(w, a, c);
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Objected,
                        categories: &[ID],
                        recipient: Recipient::Controller,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 10),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::Objected),
            article: "PIPL Art 44",
        },
        Row {
            name: "an objection addressed to the buyer as third party",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Objected,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 10),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::Objected),
            article: "PIPL Art 44",
        },
        Row {
            name: "a refusal on the notice path is an objection",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Refused,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 10),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::Objected),
            article: "PIPL Art 44",
        },
        Row {
            name: "a sensitive category on the notice path without consent",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: health,
            answers: served_only,
            when: after_window,
            want: pend(PendingReason::SensitiveConsentMissing),
            article: "PIPL Art 29",
        },
        Row {
            name: "a sensitive category on the notice path with a bundled consent",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: health,
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[HEALTH],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Bundled,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::SensitiveWithoutSeparateConsent),
            article: "PIPL Art 29",
        },
        Row {
            name: "a sensitive category on the notice path with a separate consent to the buyer as successor",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: health,
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::Successor(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[HEALTH],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: include(),
            article: "PIPL Art 22",
        },
        Row {
            name: "a minor on the notice path without any consent",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: || Spec {
                born: Some(day(2015, 1, 1)),
                ..identity()
            },
            answers: served_only,
            when: after_window,
            want: pend(PendingReason::GuardianConsentMissing),
            article: "PIPL Art 31",
        },
        Row {
            name: "a minor's own consent on the notice path",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: || Spec {
                born: Some(day(2015, 1, 1)),
                ..identity()
            },
            answers: |w, a, c| {
                served_only(w, a, c);
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::MinorWithoutGuardianConsent),
            article: "PIPL Art 31",
        },
        Row {
            name: "a beneficiary under 14 whose guardian is not the policyholder",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: || Spec {
                people: vec![CoveredPersonFacts {
                    person: PersonId::new_v7(),
                    customer: None,
                    birth_date: Some(day(2018, 1, 1)),
                    policyholder_is_parent: false,
                    prior_export: PriorExport::default(),
                }],
                ..Spec::adult(&[DataCategory::Beneficiaries])
            },
            answers: served_only,
            when: after_window,
            want: ex(ExcludeReason::MinorWithoutGuardianConsent),
            article: "PIPL Art 31",
        },
        Row {
            name: "a beneficiary under 14, the policyholder their parent, no consent yet",
            path: TransferPath::MergerNotice,
            edit: nothing,
            spec: || Spec {
                people: vec![CoveredPersonFacts {
                    person: PersonId::new_v7(),
                    customer: None,
                    birth_date: Some(day(2018, 1, 1)),
                    policyholder_is_parent: true,
                    prior_export: PriorExport::default(),
                }],
                ..Spec::adult(&[DataCategory::Beneficiaries])
            },
            answers: served_only,
            when: after_window,
            want: pend(PendingReason::GuardianConsentMissing),
            article: "PIPL Art 31",
        },
        Row {
            name: "the consent path without consent",
            path: TransferPath::SeparateConsent,
            edit: nothing,
            spec: identity,
            answers: quiet,
            when: after_window,
            want: pend(PendingReason::TransferConsentMissing),
            article: "PIPL Art 23",
        },
        Row {
            name: "the consent path with a bundled consent",
            path: TransferPath::SeparateConsent,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Bundled,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::ConsentNotSeparate),
            article: "PIPL Art 23",
        },
        Row {
            name: "the consent path with a bundled consent to the buyer as successor",
            path: TransferPath::SeparateConsent,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                let recipient = Recipient::Successor(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Bundled,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::ConsentNotSeparate),
            article: "PIPL Art 23",
        },
        Row {
            name: "the consent path with a separate consent to the buyer as successor",
            path: TransferPath::SeparateConsent,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                let recipient = Recipient::Successor(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: include(),
            article: "PIPL Art 23",
        },
        Row {
            name: "a refusal on the consent path",
            path: TransferPath::SeparateConsent,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Refused,
                        categories: &[ID],
                        recipient: Recipient::Controller,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 5),
                    },
                );
                let _ = a;
            },
            when: after_window,
            want: ex(ExcludeReason::ConsentRefused),
            article: "PIPL Art 44",
        },
        Row {
            name: "a withdrawn transfer consent",
            path: TransferPath::SeparateConsent,
            edit: nothing,
            spec: identity,
            answers: |w, a, c| {
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 5),
                    },
                );
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Withdrawn,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 9),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::ConsentWithdrawn),
            article: "PIPL Art 15",
        },
        Row {
            name: "abroad without consent on the notice path",
            path: TransferPath::MergerNotice,
            edit: |t| t.cross_border = Some(hong_kong(Mechanism::None, "")),
            spec: || Spec {
                sensitive: vec![],
                ..identity()
            },
            answers: served_only,
            when: after_window,
            want: pend(PendingReason::CrossBorderConsentMissing),
            article: "PIPL Art 39",
        },
        Row {
            name: "abroad with a bundled consent on the consent path: PIPL 39, not 23",
            path: TransferPath::SeparateConsent,
            edit: |t| t.cross_border = Some(hong_kong(Mechanism::None, "")),
            spec: || Spec {
                sensitive: vec![],
                ..identity()
            },
            answers: |w, a, c| {
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[Jurisdiction::HONG_KONG],
                        form: ConsentForm::Bundled,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::CrossBorderWithoutConsent),
            article: "PIPL Art 39",
        },
        Row {
            name: "abroad with a consent that does not name the destination",
            path: TransferPath::SeparateConsent,
            edit: |t| t.cross_border = Some(hong_kong(Mechanism::None, "")),
            spec: || Spec {
                sensitive: vec![],
                ..identity()
            },
            answers: |w, a, c| {
                let recipient = Recipient::ThirdParty(a.terms().buyer.party_id());
                record(
                    w,
                    c,
                    Answer {
                        kind: EventKind::Granted,
                        categories: &[ID],
                        recipient,
                        destinations: &[],
                        form: ConsentForm::Separate,
                        when: at(2026, 6, 5),
                    },
                );
            },
            when: after_window,
            want: ex(ExcludeReason::CrossBorderWithoutConsent),
            article: "PIPL Art 39",
        },
    ]
}

#[test]
fn each_rule_decides_its_row_and_cites_its_article() {
    let keys = Keys::generate().unwrap();
    for row in rows() {
        let mut t = terms(&keys, row.path);
        (row.edit)(&mut t);
        let agreement = signed(&keys, t);
        let mut w = world(&agreement);
        let customer = CustomerId::new_v7();
        (row.answers)(&mut w, &agreement, customer);
        let spec = (row.spec)();
        let (_, plans) = plan(&agreement, &w, &[facts_of(customer, &spec)], (row.when)()).unwrap();
        let decision = &plans[0].decisions()[0];
        assert_eq!(decision.eligibility, row.want, "{}", row.name);
        assert_eq!(decision.citation.to_string(), row.article, "{}", row.name);
    }
}

#[test]
fn the_most_specific_failing_requirement_wins_and_every_failing_one_is_listed() {
    // A minor's own bundled consent, for health data, abroad, on the consent path: four requirements fail.
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::SeparateConsent);
    t.cross_border = Some(hong_kong(Mechanism::StandardContract, "SC-2026-1"));
    let agreement = signed(&keys, t);
    let mut w = world(&agreement);
    let c = CustomerId::new_v7();
    let recipient = Recipient::ThirdParty(agreement.terms().buyer.party_id());
    record(
        &mut w,
        c,
        Answer {
            kind: EventKind::Granted,
            categories: &[HEALTH],
            recipient,
            destinations: &[],
            form: ConsentForm::Bundled,
            when: at(2026, 6, 5),
        },
    );
    let spec = Spec {
        born: Some(day(2015, 1, 1)),
        ..health()
    };
    let (_, plans) = plan(&agreement, &w, &[facts_of(c, &spec)], after_window()).unwrap();
    let d = &plans[0].decisions()[0];
    assert_eq!(d.eligibility, ex(ExcludeReason::MinorWithoutGuardianConsent));
    assert_eq!(d.citation, Citation::pipl("31"));
    for also in [
        ExcludeReason::CrossBorderWithoutConsent,
        ExcludeReason::SensitiveWithoutSeparateConsent,
        ExcludeReason::ConsentNotSeparate,
    ] {
        assert!(d.also.contains(&ex(also)), "{also:?} missing from {:?}", d.also);
    }
    // No consent at all on the consent path for a sensitive category: pending under PIPL 29, and 23 listed.
    let c2 = CustomerId::new_v7();
    let (_, plans) = plan(&agreement, &w, &[facts_of(c2, &health())], after_window()).unwrap();
    let d = &plans[0].decisions()[0];
    assert_eq!(d.eligibility, pend(PendingReason::CrossBorderConsentMissing));
    assert!(d.also.contains(&pend(PendingReason::SensitiveConsentMissing)));
    assert!(d.also.contains(&pend(PendingReason::TransferConsentMissing)));
}

#[test]
fn the_objection_window_runs_to_24_00_beijing_time_of_its_last_day_and_past_a_holiday() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let mut w = world(&agreement);
    let c = CustomerId::new_v7();
    // Served 09:00 UTC on 1 September: 30 days end on 1 October, National Day, so the last day is 8 October.
    serve(&mut w, &agreement, &[c], &[ID], at(2026, 9, 1));
    let f = [facts(c, &[ID])];
    let at_utc = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).single().unwrap();
    let key = |when| plan(&agreement, &w, &f, when).unwrap().1[0].decisions()[0].eligibility;
    assert_eq!(key(at_utc(10, 5, 9)), pend(PendingReason::ObjectionWindowOpen));
    // 15:59 UTC on 8 October is 23:59 in Beijing: still open; 16:00 UTC is 24:00: closed.
    assert_eq!(key(at_utc(10, 8, 15)), pend(PendingReason::ObjectionWindowOpen));
    assert_eq!(key(at_utc(10, 8, 16)), include());
    // A window whose last day the calendar does not know is an error, never a guess: when the notice is
    // served (its text states the deadline), and when a plan meets such a notice.
    let cal = calendar();
    let late = NoticeDelivery {
        agreement: &agreement,
        served_at: at(2026, 12, 10),
        recorded_by: ActorId::new("clerk-7").unwrap(),
        channel: Channel::Email,
        retention: RetentionStatement::of(&Profile::cn_insurance_broker().unwrap()),
        calendar: &cal,
    };
    let addressee = Addressee::new(c, [ID].into(), Language::SimplifiedChinese);
    assert!(matches!(
        custodia_transfer::notice::notice_served(&late, w.notice, &addressee),
        Err(TransferError::Calendar { .. })
    ));
    let mut w2 = world(&agreement);
    let successor = Recipient::Successor(agreement.terms().buyer.party_id());
    record(
        &mut w2,
        c,
        Answer {
            kind: EventKind::NoticeServed,
            categories: &[ID],
            recipient: successor,
            destinations: &[],
            form: ConsentForm::Separate,
            when: at(2026, 12, 10),
        },
    );
    assert!(matches!(
        plan(&agreement, &w2, &f, at(2026, 12, 20)),
        Err(TransferError::Calendar { .. })
    ));
}

#[test]
fn active_is_judged_on_the_plan_date_and_the_lapsed_cutoff_on_the_effective_date() {
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::MergerNotice);
    t.selection = CustomerSelection::Active;
    let active = signed(&keys, t.clone());
    let today = day(2026, 7, 2);
    // Active: ended before the plan date → out; ending on the plan date → out (ended); after → in.
    assert!(!active.terms().selects(Some(day(2026, 7, 1)), today));
    assert!(!active.terms().selects(Some(today), today));
    assert!(active.terms().selects(Some(day(2026, 7, 3)), today));
    assert!(active.terms().selects(None, today));
    // Lapsed within 5 years: counted back from the effective date (1 June 2026), whatever the plan date.
    t.selection = CustomerSelection::LapsedWithinYears(5);
    let lapsed = signed(&keys, t);
    for plan_day in [day(2026, 6, 1), day(2027, 6, 1)] {
        assert!(
            lapsed.terms().selects(Some(day(2021, 6, 1)), plan_day),
            "the cutoff day itself is in"
        );
        assert!(
            !lapsed.terms().selects(Some(day(2021, 5, 31)), plan_day),
            "the day before is out"
        );
    }
}

#[test]
fn a_share_acquisition_plans_no_package() {
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::MergerNotice);
    t.deal.kind = DealKind::ShareAcquisition;
    let agreement = signed(&keys, t);
    let w = world(&agreement);
    assert!(matches!(
        plan(
            &agreement,
            &w,
            &[facts(CustomerId::new_v7(), &[ID])],
            after_window()
        ),
        Err(TransferError::NothingMoves { .. })
    ));
}

#[test]
fn facts_that_contradict_each_other_are_a_typed_error() {
    let c = CustomerId::new_v7();
    let retention = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
        .held(
            HeldData::new(
                c,
                Holding::Category(ID),
                day(2020, 1, 1),
                vec![Kept::new(Purpose::PolicyServicing, LegalBasis::Contract)],
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let err = CustomerFacts::new(CustomerFactsFields {
        retention,
        birth_date: None,
        sensitive: CategorySet::from([HEALTH]),
        people: Vec::new(),
        prior_export: PriorExport::default(),
    })
    .unwrap_err();
    assert!(matches!(err, TransferError::FactsMismatch { customer, .. } if customer == c));
}

#[test]
fn an_answer_that_cannot_be_attributed_is_a_typed_error_never_a_silent_drop() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let mut w = world(&agreement);
    let c = CustomerId::new_v7();
    // An objection to this transfer's notice that names some other party.
    record(
        &mut w,
        c,
        Answer {
            kind: EventKind::Objected,
            categories: &[ID],
            recipient: Recipient::ThirdParty(PartyId::new_v7()),
            destinations: &[],
            form: ConsentForm::Separate,
            when: at(2026, 6, 5),
        },
    );
    let err = ResponseIndex::new(agreement.terms().buyer.party_id())
        .answering([w.notice])
        .read(w.ledger.log())
        .unwrap_err();
    assert!(matches!(err, TransferError::UnattributableAnswer { .. }));
    // Without knowing the notices, it is another transfer's answer: passed over and counted, not dropped.
    let index = ResponseIndex::from_log(w.ledger.log(), agreement.terms().buyer.party_id()).unwrap();
    assert_eq!(index.other_transfers(), 1);
}

#[test]
fn two_plans_of_60000_cannot_avoid_the_standard_contract_that_one_of_120000_needs() {
    // The running total: the second plan is refused, because custodia exported 60,000 people earlier this
    // year (the caller's durable counter) and this plan brings it to 120,000.
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::SeparateConsent);
    t.cross_border = Some(hong_kong(Mechanism::None, ""));
    let agreement = signed(&keys, t);
    let mut w = world(&agreement);
    let c = CustomerId::new_v7();
    let recipient = Recipient::ThirdParty(agreement.terms().buyer.party_id());
    record(
        &mut w,
        c,
        Answer {
            kind: EventKind::Granted,
            categories: &[ID],
            recipient,
            destinations: &[Jurisdiction::HONG_KONG],
            form: ConsentForm::Separate,
            when: at(2026, 6, 5),
        },
    );
    let f = facts_of(
        c,
        &Spec {
            sensitive: vec![],
            ..identity()
        },
    );
    let year = |n| CrossBorderYear {
        exported_non_sensitive: n,
        ..CrossBorderYear::first_of(2026)
    };
    let run = |y| {
        plan_with(
            &Run {
                agreement: &agreement,
                world: &w,
                when: after_window(),
                year: Some(y),
            },
            std::slice::from_ref(&f),
        )
    };
    let (summary, plans) = run(year(60_000)).unwrap();
    assert_eq!(summary.cross_border.as_ref().unwrap().year_non_sensitive, 60_001);
    assert_eq!(plans[0].exported_abroad().len(), 1);
    match run(year(99_999)) {
        Err(TransferError::CrossBorderMechanismTooWeak {
            required,
            people_non_sensitive,
            ..
        }) => {
            assert_eq!(required, "standard_contract");
            assert_eq!(people_non_sensitive, 100_000);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A person already counted this year does not count again.
    let counted = f.clone().with_prior_exports(&|_| PriorExport {
        non_sensitive: true,
        sensitive: false,
    });
    let (summary, plans) = plan_with(
        &Run {
            agreement: &agreement,
            world: &w,
            when: after_window(),
            year: Some(year(99_999)),
        },
        &[counted],
    )
    .unwrap();
    assert_eq!(summary.cross_border.unwrap().year_non_sensitive, 99_999);
    assert!(plans[0].exported_abroad().is_empty());
    // The declared outside figure counts too.
    let declared = CrossBorderYear {
        declared_outside: DeclaredExports {
            non_sensitive: 99_999,
            sensitive: 0,
        },
        ..CrossBorderYear::first_of(2026)
    };
    assert!(
        plan_with(
            &Run {
                agreement: &agreement,
                world: &w,
                when: after_window(),
                year: Some(declared)
            },
            std::slice::from_ref(&f)
        )
        .is_err()
    );
    // No counts for the plan's year: refused, not assumed zero.
    assert!(matches!(
        plan_with(
            &Run {
                agreement: &agreement,
                world: &w,
                when: after_window(),
                year: None
            },
            std::slice::from_ref(&f)
        ),
        Err(TransferError::CrossBorderYear { .. })
    ));
    assert!(matches!(
        plan_with(
            &Run {
                agreement: &agreement,
                world: &w,
                when: after_window(),
                year: Some(CrossBorderYear::first_of(2025))
            },
            std::slice::from_ref(&f)
        ),
        Err(TransferError::CrossBorderYear { .. })
    ));
}

#[test]
fn no_mechanism_is_its_own_value_and_an_exemption_names_its_ground() {
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::SeparateConsent);
    t.cross_border = Some(CrossBorderTerms {
        exemption: None,
        ..hong_kong(Mechanism::Exempt, "")
    });
    assert!(matches!(
        DraftAgreement::new(t.clone()),
        Err(TransferError::InvalidField {
            field: "agreement.cross_border.exemption",
            ..
        })
    ));
    t.cross_border = Some(CrossBorderTerms {
        exemption: Some(ExemptionGround::ContractNecessity),
        ..hong_kong(Mechanism::Exempt, "")
    });
    let exempt = signed(&keys, t.clone());
    let mut w = world(&exempt);
    let c = CustomerId::new_v7();
    let recipient = Recipient::ThirdParty(exempt.terms().buyer.party_id());
    record(
        &mut w,
        c,
        Answer {
            kind: EventKind::Granted,
            categories: &[HEALTH],
            recipient,
            destinations: &[Jurisdiction::HONG_KONG],
            form: ConsentForm::Separate,
            when: at(2026, 6, 5),
        },
    );
    // A claimed exemption passes where "none" would be refused (sensitive data abroad needs a contract).
    let (summary, _) = plan(&exempt, &w, &[facts(c, &[HEALTH])], after_window()).unwrap();
    let cb = summary.cross_border.unwrap();
    assert_eq!(
        (cb.agreed, cb.required),
        (Mechanism::Exempt, Mechanism::StandardContract)
    );
    assert_eq!(cb.exemption.unwrap().citation().to_string(), "NDSR Art 35(4)");
    t.cross_border = Some(hong_kong(Mechanism::None, ""));
    let none = signed(&keys, t);
    let mut w = world(&none);
    let recipient = Recipient::ThirdParty(none.terms().buyer.party_id());
    record(
        &mut w,
        c,
        Answer {
            kind: EventKind::Granted,
            categories: &[HEALTH],
            recipient,
            destinations: &[Jurisdiction::HONG_KONG],
            form: ConsentForm::Separate,
            when: at(2026, 6, 5),
        },
    );
    assert!(matches!(
        plan(&none, &w, &[facts(c, &[HEALTH])], after_window()),
        Err(TransferError::CrossBorderMechanismTooWeak { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// An objection or refusal recorded at any time before packaging — inside or after the window, to the
    /// seller, to the buyer as successor or as third party, on either path — always excludes.
    #[test]
    fn an_objection_recorded_before_packaging_always_excludes(
        offset_hours in 1i64..(60 * 24),
        addressee in 0usize..3,
        notice_path in any::<bool>(),
        refusal in any::<bool>(),
    ) {
        let keys = Keys::generate().unwrap();
        let path = if notice_path { TransferPath::MergerNotice } else { TransferPath::SeparateConsent };
        let agreement = signed(&keys, terms(&keys, path));
        let mut w = world(&agreement);
        let c = CustomerId::new_v7();
        serve(&mut w, &agreement, &[c], &[ID], served());
        grant(&mut w, &agreement, c, &[ID]);
        let buyer = agreement.terms().buyer.party_id();
        let recipient = [Recipient::Controller, Recipient::Successor(buyer), Recipient::ThirdParty(buyer)][addressee];
        let when = served() + Duration::hours(offset_hours);
        let kind = if refusal { EventKind::Refused } else { EventKind::Objected };
        record(&mut w, c, Answer { kind, categories: &[ID], recipient, destinations: &[], form: ConsentForm::Separate, when });
        let packaging = when + Duration::hours(1);
        let (_, plans) = plan(&agreement, &w, &[facts(c, &[ID])], packaging).unwrap();
        let e = plans[0].decisions()[0].eligibility;
        prop_assert!(
            matches!(e, Eligibility::Exclude(ExcludeReason::Objected | ExcludeReason::ConsentRefused)),
            "{e:?}"
        );
        prop_assert!(plans[0].included().is_empty());
    }

    /// Under an agreement without a mechanism, however the book is split into plans — and replanned — the
    /// people exported in a year never reach the threshold that needs a standard contract: the plan that
    /// would is refused whole, and the caller's counter only grows with plans that passed.
    #[test]
    fn however_plans_are_split_the_year_never_passes_the_threshold_without_a_mechanism(
        sizes in prop::collection::vec(1usize..6, 1..8),
        replan in any::<bool>(),
    ) {
        let keys = Keys::generate().unwrap();
        let mut t = terms(&keys, TransferPath::SeparateConsent);
        t.cross_border = Some(hong_kong(Mechanism::None, ""));
        let agreement = signed(&keys, t);
        let mut w = world(&agreement);
        let customers: Vec<CustomerId> = (0..sizes.iter().sum::<usize>()).map(|_| CustomerId::new_v7()).collect();
        let recipient = Recipient::ThirdParty(agreement.terms().buyer.party_id());
        for c in &customers {
            record(&mut w, *c, Answer { kind: EventKind::Granted, categories: &[ID], recipient, destinations: &[Jurisdiction::HONG_KONG], form: ConsentForm::Separate, when: at(2026, 6, 5) });
        }
        // The threshold, scaled down: a contract from 10 people on (the CAC 2024 figure is 100,000).
        let thresholds = CrossBorderThresholds { contract_non_sensitive: 10, ..CrossBorderThresholds::default() };
        let responses = ResponseIndex::from_log(w.ledger.log(), agreement.terms().buyer.party_id()).unwrap();
        let profile = Profile::cn_insurance_broker().unwrap();
        let holds = Holds::new();
        let cal = calendar();
        // The caller's durable counter: who was exported this year.
        let mut exported: BTreeSet<PersonKey> = BTreeSet::new();
        let mut start = 0;
        for size in &sizes {
            let batch = if replan && start > 0 { &customers[start - 1..start + size] } else { &customers[start..start + size] };
            start += size;
            let context = PlanContext {
                consent: w.ledger.index(),
                responses: &responses,
                retention: &profile,
                holds: &holds,
                at: after_window(),
                as_of: after_window(),
                thresholds,
                calendar: &cal,
                cross_border_year: Some(CrossBorderYear { exported_non_sensitive: exported.len() as u64, ..CrossBorderYear::first_of(2026) }),
            };
            let mut planner = Planner::new(&agreement, &context).unwrap();
            let mut new_people = Vec::new();
            for c in batch {
                let f = facts_of(*c, &Spec { sensitive: vec![], ..identity() })
                    .with_prior_exports(&|k| PriorExport { non_sensitive: exported.contains(&k), sensitive: false });
                let p = planner.plan(&f).unwrap();
                new_people.extend(p.exported_abroad().iter().map(|e| e.person));
            }
            if planner.finish().is_ok() {
                exported.extend(new_people);
            }
            prop_assert!(exported.len() < 10, "{} people exported without a mechanism", exported.len());
        }
    }
}

#[test]
fn the_html_report_shows_the_new_reasons() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let mut w = world(&agreement);
    let c = CustomerId::new_v7();
    serve(&mut w, &agreement, &[c], &[HEALTH], served());
    let (summary, _) = plan(&agreement, &w, &[facts(c, &[HEALTH])], after_window()).unwrap();
    let report = TransferReport {
        generated_at: after_window(),
        agreement: AgreementSection::of(&agreement),
        plan: summary,
        notices_served: 1,
        package: PackageSection::default(),
        disposition: DispositionCounts::default(),
        certificates: vec![],
        checks: vec![],
    };
    assert!(report.to_markdown().contains("pending:sensitive_consent_missing"));
    assert!(report.to_html().contains("pending:sensitive_consent_missing"));
}
