//! The level and clock tables at every threshold edge, the affected-set derivation, the PIPL 57 decision,
//! notices, assessments, the audit schedule and the records of processing.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use custodia_consent::{BasisPolicy, TransferPath};
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory};
use custodia_oversight::*;
use custodia_retention::Profile;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 1, 0, 0).unwrap()
}

fn actor() -> ActorId {
    ActorId::new("sec-1").unwrap()
}

fn incident(kind: IncidentKind) -> Incident {
    Incident::register(
        IncidentId::generate(),
        NewIncident {
            discovered_at: t0(),
            kind,
            systems: vec![SystemCode::new("vault-db").unwrap()],
            categories: CategorySet::from([DataCategory::Identity, DataCategory::FinancialAccounts]),
            cause: Cause::KeyExposure,
            stated_level: None,
            by: actor(),
        },
    )
    .unwrap()
}

fn with_people(people: u64, eu: u64) -> Incident {
    let mut i = incident(IncidentKind::Leak);
    let count = AffectedCount {
        people,
        eu_people: eu,
        under_exposed_kek: people,
        ..Default::default()
    };
    i.set_affected(count, t0(), actor()).unwrap();
    i
}

#[test]
fn levels_at_every_threshold_edge() {
    let t = LevelThresholds::default();
    let table = [
        (0, Level::General),
        (999_999, Level::General),
        (1_000_000, Level::Larger),
        (1_000_001, Level::Larger),
        (9_999_999, Level::Larger),
        (10_000_000, Level::Major),
        (99_999_999, Level::Major),
        (100_000_000, Level::EspeciallyMajor),
        (u64::MAX, Level::EspeciallyMajor),
    ];
    for (people, level) in table {
        assert_eq!(t.classify(people), level, "{people}");
        assert_eq!(level.is_reportable(), people >= 1_000_000, "{people}");
    }
    assert_eq!(
        [
            Level::General,
            Level::Larger,
            Level::Major,
            Level::EspeciallyMajor
        ]
        .map(Level::zh),
        ["一般", "较大", "重大", "特别重大"]
    );
    // Thresholds are data: a stricter setting moves the edges, and a bad one is refused by field.
    let strict = LevelThresholds {
        larger: 10,
        major: 20,
        especially_major: 30,
    };
    strict.validate().unwrap();
    assert_eq!(
        [9, 10, 19, 20, 29, 30].map(|n| strict.classify(n)),
        [
            Level::General,
            Level::Larger,
            Level::Larger,
            Level::Major,
            Level::Major,
            Level::EspeciallyMajor
        ]
    );
    for (bad, field) in [
        (LevelThresholds { larger: 0, ..strict }, "thresholds.larger"),
        (LevelThresholds { major: 10, ..strict }, "thresholds.major"),
        (
            LevelThresholds {
                especially_major: 20,
                ..strict
            },
            "thresholds.especially_major",
        ),
    ] {
        assert!(matches!(bad.validate(), Err(OversightError::Invalid { field: f, .. }) if f == field));
    }
}

fn clock(i: &Incident, s: &ReportingSettings, now: DateTime<Utc>, duty: Duty) -> Option<ClockState> {
    i.clocks(s, now).into_iter().find(|c| c.duty == duty)
}

#[test]
fn the_first_report_clock_by_operator_type_at_its_edge() {
    let big = with_people(1_000_000, 0);
    for (operator, hours) in [
        (OperatorType::CriticalInfrastructure, 1),
        (OperatorType::CentralStateOrgan, 2),
        (OperatorType::Other, 4),
    ] {
        let s = ReportingSettings {
            operator,
            ..Default::default()
        };
        let due = t0() + Duration::hours(hours);
        let at_due = clock(&big, &s, due, Duty::CacFirstReport).unwrap();
        assert_eq!(
            (at_due.due, at_due.overdue),
            (Some(due), false),
            "{operator:?} at the edge"
        );
        let after = clock(&big, &s, due + Duration::seconds(1), Duty::CacFirstReport).unwrap();
        assert!(after.overdue, "{operator:?} a second after");
        // PIPL 57's authority notice falls due with it for a reportable level.
        let pipl = clock(&big, &s, due + Duration::seconds(1), Duty::Pipl57Authority).unwrap();
        assert_eq!((pipl.due, pipl.overdue), (Some(due), true));
    }
    // One person fewer: no CAC report at all, but PIPL 57's authority notice stays (never skipped), open
    // with no figure.
    let small = with_people(999_999, 0);
    let s = ReportingSettings::default();
    let late = t0() + Duration::days(10);
    assert!(clock(&small, &s, late, Duty::CacFirstReport).is_none());
    let pipl = clock(&small, &s, late, Duty::Pipl57Authority).unwrap();
    assert_eq!((pipl.due, pipl.met, pipl.overdue), (None, None, false));
    // A stated level (an outage's length) makes an unavailability reportable; it is no PIPL 57 event.
    let mut outage = incident(IncidentKind::Unavailability);
    outage.stated_level = Some(Level::Larger);
    let duties: Vec<Duty> = outage.clocks(&s, late).iter().map(|c| c.duty).collect();
    assert_eq!(
        duties,
        [Duty::CacFirstReport, Duty::CacRemainingItems, Duty::CacSummary]
    );
}

#[test]
fn a_report_meets_its_clock_late_or_not_and_the_summary_runs_from_handling() {
    let mut i = with_people(2_000_000, 3);
    let s = ReportingSettings::default();
    let sent = t0() + Duration::hours(5);
    i.record_report(
        ReportSent {
            duty: Duty::CacFirstReport,
            at: sent,
            reference: "GD-2026-001".into(),
        },
        actor(),
    )
    .unwrap();
    let c = clock(&i, &s, sent, Duty::CacFirstReport).unwrap();
    assert_eq!((c.met, c.overdue, c.late), (Some(sent), false, true));
    // GDPR 33: 72 hours when EU customers are affected, at its edge.
    let due = t0() + Duration::hours(72);
    assert!(!clock(&i, &s, due, Duty::GdprAuthority).unwrap().overdue);
    assert!(
        clock(&i, &s, due + Duration::seconds(1), Duty::GdprAuthority)
            .unwrap()
            .overdue
    );
    // The summary cannot be sent before handling ends; after, it is due 30 days later, at its edge.
    let summary = ReportSent {
        duty: Duty::CacSummary,
        at: sent,
        reference: "GD-2026-001/S".into(),
    };
    assert!(matches!(
        i.record_report(summary.clone(), actor()),
        Err(OversightError::Step { .. })
    ));
    assert_eq!(clock(&i, &s, sent, Duty::CacSummary).unwrap().due, None);
    let handled = t0() + Duration::days(3);
    i.handled(handled, actor()).unwrap();
    let due = handled + Duration::days(30);
    assert!(!clock(&i, &s, due, Duty::CacSummary).unwrap().overdue);
    assert!(
        clock(&i, &s, due + Duration::seconds(1), Duty::CacSummary)
            .unwrap()
            .overdue
    );
    // The overdue list names exactly the clocks past due and unmet.
    let overdue: Vec<Duty> = i
        .clocks(&s, due + Duration::seconds(1))
        .into_iter()
        .filter(|c| c.overdue)
        .map(|c| c.duty)
        .collect();
    // PIPL 57's notice is a duty of its own: the CAC report did not meet it.
    assert_eq!(
        overdue,
        [Duty::CacSummary, Duty::Pipl57Authority, Duty::GdprAuthority]
    );
    // A bad reference is refused by field; a step before discovery is refused.
    let bad = ReportSent {
        duty: Duty::GdprAuthority,
        at: sent,
        reference: "has space".into(),
    };
    assert!(matches!(
        i.record_report(bad, actor()),
        Err(OversightError::Invalid {
            field: "report.reference",
            ..
        })
    ));
    assert!(matches!(
        i.handled(t0() - Duration::seconds(1), actor()),
        Err(OversightError::Step { .. })
    ));
    let steps: Vec<&str> = i.timeline.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        steps,
        ["registered", "affected_derived", "report_sent", "handled"]
    );
}

#[test]
fn not_notifying_individuals_needs_facts_that_show_no_harm() {
    let no = IndividualsDecision::NotNotified {
        reason: NoNoticeReason::SealedUnderUnexposedKeys,
        by: actor(),
        at: t0(),
    };
    let mut unknown = incident(IncidentKind::Leak);
    assert!(matches!(
        unknown.decide_individuals(no.clone(), actor()),
        Err(OversightError::Pipl57 { .. })
    ));
    let mut exposed = with_people(10, 0);
    assert!(matches!(
        exposed.decide_individuals(no.clone(), actor()),
        Err(OversightError::Pipl57 { .. })
    ));
    let mut sealed = incident(IncidentKind::Leak);
    let count = AffectedCount {
        people: 10,
        sealed_only: 10,
        ..Default::default()
    };
    sealed.set_affected(count, t0(), actor()).unwrap();
    sealed.decide_individuals(no, actor()).unwrap();
    let s = ReportingSettings::default();
    let clocks = sealed.clocks(&s, t0() + Duration::days(1));
    let individuals = clocks.iter().find(|c| c.duty == Duty::Individuals).unwrap();
    assert_eq!(individuals.met, Some(t0()));
    // The authority's notice is still there, unmet.
    let authority = clocks.iter().find(|c| c.duty == Duty::Pipl57Authority).unwrap();
    assert_eq!(authority.met, None);
}

fn c(n: u8) -> CustomerId {
    CustomerId::from_bytes([n; 16]).unwrap()
}

#[test]
fn kek_history_versions_and_the_affected_set() {
    let r2 = t0() + Duration::days(10);
    let r3 = t0() + Duration::days(20);
    let mark = |version, index, at| KekRotationMark { version, index, at };
    let history = KekHistory {
        rotations: vec![mark(2, 100, r2), mark(3, 200, r3)],
    };
    history.validate().unwrap();
    let set = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
    assert_eq!(history.versions_of(Some(5), None), set(&[1, 2, 3]));
    assert_eq!(
        history.versions_of(Some(100), None),
        set(&[2, 3]),
        "the rotation's own entry is after the key"
    );
    assert_eq!(history.versions_of(Some(99), None), set(&[1, 2, 3]));
    assert_eq!(history.versions_of(Some(200), None), set(&[3]));
    assert_eq!(
        history.versions_of(Some(5), Some(r2)),
        set(&[1]),
        "shredded at the rotation"
    );
    assert_eq!(
        history.versions_of(None, Some(r3 + Duration::seconds(1))),
        set(&[1, 2, 3])
    );
    for bad in [
        vec![mark(3, 100, r2), mark(2, 200, r3)],
        vec![mark(2, 200, r2), mark(3, 100, r3)],
        vec![mark(2, 100, r3), mark(3, 200, r2)],
        vec![mark(1, 100, r2)],
    ] {
        assert!(KekHistory { rotations: bad }.validate().is_err());
    }

    let eve = ActorId::new("emp-9").unwrap();
    let exposure = Exposure {
        since: Some(r2 + Duration::days(1)),
        kek_versions: set(&[1]),
        principals: vec![(eve.clone(), t0(), r3)],
        stated: BTreeSet::from([c(5)]),
        sealed_copy: false,
    };
    exposure.validate().unwrap();
    let facts = |n: u8, created: u64, shredded, reads: Vec<u64>, eu| CustomerFacts {
        customer: c(n),
        created: Some(created),
        shredded,
        eu,
        current_versions: if shredded.is_some() {
            BTreeSet::new()
        } else {
            set(&[3])
        },
        reads: reads.into_iter().map(|i| (eve.clone(), i)).collect(),
    };
    let mut affected = Affected::default();
    for f in [
        facts(1, 5, None, vec![], true),        // under v1 → affected
        facts(2, 150, None, vec![], false),     // only v2, v3 → unaffected
        facts(3, 150, None, vec![7, 9], false), // read by eve → affected
        facts(4, 5, Some(r2), vec![], false),   // shredded before → unaffected
        facts(5, 200, None, vec![], false),     // stated → affected
        facts(6, 5, Some(r2), vec![3], false),  // read before shredding → affected
    ] {
        affected.examine(&exposure, &history, &f);
    }
    let ids: Vec<CustomerId> = affected.affected.keys().copied().collect();
    assert_eq!(ids, [c(1), c(3), c(5), c(6)]);
    assert_eq!(
        affected.affected[&c(1)],
        [AffectedReason::ExposedKek { versions: set(&[1]) }]
    );
    assert_eq!(
        affected.affected[&c(3)],
        [AffectedReason::ReadByExposedPrincipal {
            principal: eve.clone(),
            entries: vec![7, 9]
        }]
    );
    assert_eq!(affected.affected[&c(5)], [AffectedReason::Stated]);
    assert_eq!(affected.unaffected.len(), 2);
    assert_eq!(
        affected.unaffected[&c(2)],
        UnaffectedReason::SealedUnderUnexposedKeys {
            versions: set(&[2, 3])
        }
    );
    assert_eq!(
        affected.unaffected[&c(4)],
        UnaffectedReason::ShreddedBeforeExposure { at: r2 }
    );
    let count = affected.count();
    assert_eq!(
        (
            count.people,
            count.eu_people,
            count.read_in_clear,
            count.under_exposed_kek,
            count.stated,
            count.unaffected
        ),
        (4, 1, 2, 1, 1, 2),
        "c(6) was shredded before the exposure: affected by the read alone"
    );
    assert_eq!(
        affected.affected[&c(6)],
        [AffectedReason::ReadByExposedPrincipal {
            principal: eve.clone(),
            entries: vec![3]
        }]
    );
    assert!(Exposure::default().validate().is_err());
}

#[test]
fn notices_carry_pipl_57s_items_in_both_languages() {
    let mut i = with_people(3, 0);
    i.add_remedy(
        Remedy::KekRotated {
            from: 1,
            to: 2,
            rewrapped: 3,
            retired: true,
        },
        t0(),
        actor(),
    )
    .unwrap();
    let contact = Contact {
        controller: "示例保险经纪有限公司".into(),
        channel: "privacy@seller.example".into(),
        officer: Some("王敏".into()),
    };
    let zh = incident_notice(&i, &contact, NoticeLanguage::ZhCn).unwrap();
    assert_eq!(zh.categories, ["身份信息", "金融账户信息"]);
    assert!(zh.cause.contains("泄露") && zh.cause.contains("密钥"));
    assert_eq!(zh.harm.len(), 2);
    assert_eq!(zh.remedies, ["已更换加密主密钥并重新封装全部数据密钥"]);
    assert!(zh.text.contains("privacy@seller.example") && zh.text.contains("王敏"));
    let en = incident_notice(&i, &contact, NoticeLanguage::En).unwrap();
    assert_eq!(en.categories, ["identity details", "financial account details"]);
    assert!(en.text.contains("What you can do") && en.actions.len() == 2);
    let none = Contact {
        channel: " ".into(),
        ..contact
    };
    assert!(matches!(
        incident_notice(&i, &none, NoticeLanguage::En),
        Err(OversightError::Invalid { field: "contact", .. })
    ));
}

#[test]
fn assessments_when_required_complete_approved_and_kept_three_years() {
    let transfer = Activity {
        categories: CategorySet::from([DataCategory::Identity, DataCategory::Health]),
        providing: true,
        ..Default::default()
    };
    assert_eq!(
        transfer.triggers().into_iter().collect::<Vec<_>>(),
        [
            AssessmentTrigger::SensitiveInformation,
            AssessmentTrigger::ProvidingToOthers
        ]
    );
    let plain = Activity {
        categories: CategorySet::from([DataCategory::Contact]),
        ..Default::default()
    };
    let content = |activity: Activity, adequate: bool| AssessmentContent {
        subject: "transfer/t-1".into(),
        activity,
        lawfulness: "PIPL Art 22: a merger notice; necessary to continue the policies".into(),
        risks: vec![Risk {
            description: "the buyer's security is weaker".into(),
            severity: Severity::Medium,
        }],
        measures: vec![Measure {
            description: "buyer obligations in the agreement; per-customer keys".into(),
            adequate,
        }],
        prepared_by: actor(),
        prepared_at: t0(),
    };
    let id = uuid::Uuid::now_v7();
    assert!(matches!(
        Assessment::draft(id, content(plain, true)),
        Err(OversightError::Assessment { .. })
    ));
    let mut empty = content(transfer.clone(), true);
    empty.risks.clear();
    assert!(Assessment::draft(id, empty).is_err());
    let mut weak = Assessment::draft(id, content(transfer.clone(), false)).unwrap();
    assert!(weak.approve(vec![actor()], vec![id], t0()).is_err());
    let mut a = Assessment::draft(id, content(transfer, true)).unwrap();
    a.approve(vec![actor()], vec![id], t0()).unwrap();
    let keep = a.approval.as_ref().unwrap().keep_until;
    assert_eq!(keep, Utc.with_ymd_and_hms(2029, 6, 1, 1, 0, 0).unwrap());
    assert!(!a.may_be_removed(keep - Duration::seconds(1)) && a.may_be_removed(keep));
    assert!(a.approve(vec![actor()], vec![id], t0()).is_err(), "approved once");
}

#[test]
fn audit_schedule_and_officer_at_their_edges() {
    let s = AuditSettings::default();
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert_eq!(
        s.interval(10_000_000),
        None,
        "exactly ten million is not more than"
    );
    assert_eq!(s.interval(10_000_001), Some(24));
    assert!(!s.officer_required(999_999) && s.officer_required(1_000_000));
    let due = s.due(10_000_001, Some(d(2024, 6, 1)), d(2026, 6, 1), vec![]);
    assert_eq!((due.due, due.overdue), (Some(d(2026, 6, 1)), false));
    assert!(
        s.due(10_000_001, Some(d(2024, 6, 1)), d(2026, 6, 2), vec![])
            .overdue
    );
    assert_eq!(s.due(20, None, d(2026, 6, 2), vec![]).due, None);
    let own = AuditSettings {
        default_months: Some(12),
        ..Default::default()
    };
    assert_eq!(own.due(20, None, d(2026, 6, 2), vec![]).due, Some(d(2026, 6, 2)));
    assert!(
        AuditSettings {
            default_months: Some(0),
            ..Default::default()
        }
        .validate()
        .is_err()
    );
}

#[test]
fn records_of_processing_change_when_the_profile_changes() {
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
    let holdings = Holdings {
        people: 2,
        by_category: [("identity".to_owned(), 2u64), ("health".to_owned(), 1)].into(),
        ..Default::default()
    };
    let owners = Responsibilities::default();
    assert_eq!(owners.missing(), None);
    let cn = Profile::cn_insurance_broker().unwrap();
    let a = records_of_processing(
        ("B", "privacy@b.example", None),
        &policy,
        &cn,
        &holdings,
        &owners,
        t0(),
    );
    assert!(!a.activities.is_empty());
    assert_eq!(a.activities[0].categories, ["identity", "health"]);
    let identity = a.inventory.iter().find(|i| i.category == "identity").unwrap();
    assert!(!identity.retention.is_empty());
    assert_eq!(identity.accountable.department, "operations");
    let health = a.inventory.iter().find(|i| i.category == "health").unwrap();
    assert!(health.sensitive && health.people == 1);
    let md = a.to_markdown();
    assert!(md.contains("| identity | no | 2 |") && md.contains("incident_response"));
    // The profile without its first rule: the records differ exactly there.
    let mut document = cn.to_document();
    let dropped = document.rules.remove(0);
    let smaller = Profile::from_document(document).unwrap();
    let b = records_of_processing(
        ("B", "privacy@b.example", None),
        &policy,
        &smaller,
        &holdings,
        &owners,
        t0(),
    );
    assert_ne!(a, b);
    let rules = |r: &RecordsOfProcessing| -> BTreeSet<String> {
        r.inventory
            .iter()
            .flat_map(|i| i.retention.iter().map(|l| l.rule.clone()))
            .collect()
    };
    let gone: Vec<String> = rules(&a).difference(&rules(&b)).cloned().collect();
    assert_eq!(gone, [dropped.id]);
    assert_ne!(a.to_markdown(), b.to_markdown());
    // An owner missing is found.
    let mut partial = owners.clone();
    partial.steps.remove("destruction");
    assert_eq!(partial.missing().as_deref(), Some("destruction"));
}
