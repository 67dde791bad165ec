//! Oversight through the brokerage on SQLite (issue 19): an incident whose affected customers are derived
//! from a planted exposed KEK version and an exposed principal, its remedies carried out and recorded, its
//! clocks and notices; an impact assessment approved by signed principals; records of processing that
//! follow the profile; and an audit pack that verifies offline and fails at every flipped byte.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia_access::{
    ApprovalId, ApprovalRequest, Course, DEFAULT_COURSE, Department, DocumentKind, Principal,
    PrincipalFields, PrincipalKind, Role, TrainingRecord,
};
use custodia_brokerage::Clock;
use custodia_brokerage::{
    ASSESSMENT_DOCUMENT, Brokerage, BrokerageConfig, BrokerageError, ManualClock, OldKeks, Onboarding,
    OversightConfig, ReadRequest, StaticKeySource, verify_audit_pack, verify_audit_pack_files,
};
use custodia_consent::{Digest, Notice};
use custodia_crypto::SigningKey;
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
use custodia_oversight::{
    Activity, AffectedReason, Assessment, AssessmentContent, Cause, Contact, Duty, Exposure, IncidentKind,
    IndividualsDecision, Measure, NewIncident, NoNoticeReason, OversightError, Remedy, ReportSent, Risk,
    Severity, SystemCode, UnaffectedReason,
};
use custodia_retention::Profile;
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};

const KEY: [u8; 32] = [0x19; 32];

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn t0() -> DateTime<Utc> {
    at_nine(date()).unwrap()
}

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn open_with(path: &Path, clock: &ManualClock, profile: Option<Profile>) -> Brokerage {
    let mut config = BrokerageConfig::sqlite(path).with_clock(clock.clone());
    if let Some(p) = profile {
        config = config.with_profile(p);
    }
    Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap()
}

fn open(path: &Path, clock: &ManualClock) -> Brokerage {
    open_with(path, clock, None)
}

/// Onboards a synthetic book of `n` customers (seed `seed`) with its consents; returns their ids.
fn onboard(b: &Brokerage, seed: u64, n: u64, notice: &Notice, publish: bool) -> Vec<CustomerId> {
    let config = BookConfig {
        seed,
        customers: n,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&config, date())
        .unwrap()
        .customers()
        .to_vec();
    if publish {
        b.publish_notice(notice).unwrap();
    }
    let recording = Recording::on_the_day(notice.reference(), actor("clerk"), Digest::of(b"f"));
    let onboarding = book.iter().map(|c| {
        let consents = c
            .consents
            .iter()
            .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
            .collect();
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
    });
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    book.iter().map(|c| c.customer.id()).collect()
}

fn principal(id: &str, roles: &[&str], purposes: &[Purpose], at: DateTime<Utc>) -> (Principal, SigningKey) {
    let key = SigningKey::generate().unwrap();
    let p = Principal::new(PrincipalFields {
        id: actor(id),
        kind: PrincipalKind::Staff,
        roles: roles.iter().map(|r| Role::new(r).unwrap()).collect(),
        department: Department::new("operations").unwrap(),
        purposes: purposes.iter().cloned().collect::<BTreeSet<_>>(),
        training: vec![
            TrainingRecord::new(
                Course::new(DEFAULT_COURSE).unwrap(),
                at - Duration::days(30),
                at + Duration::days(300),
            )
            .unwrap(),
        ],
        verifying_key: key.verifying_key(),
    })
    .unwrap();
    (p, key)
}

fn read(p: &Principal, customer: CustomerId) -> ReadRequest {
    ReadRequest {
        principal: p.id().clone(),
        customer,
        categories: [DataCategory::Identity, DataCategory::Policies]
            .into_iter()
            .collect(),
        purpose: Purpose::PolicyServicing,
        ticket: None,
        approval: None,
    }
}

fn notice() -> Notice {
    privacy_notice("示例保险经纪有限公司", "privacy@seller.example", t0()).unwrap()
}

fn contact() -> Contact {
    Contact {
        controller: "示例保险经纪有限公司".into(),
        channel: "privacy@seller.example".into(),
        officer: None,
    }
}

fn new_incident(at: DateTime<Utc>) -> NewIncident {
    NewIncident {
        discovered_at: at,
        kind: IncidentKind::Leak,
        systems: vec![SystemCode::new("vault-db").unwrap()],
        categories: CategorySet::from([DataCategory::Identity, DataCategory::Policies]),
        cause: Cause::KeyExposure,
        stated_level: None,
        by: actor("sec-1"),
    }
}

/// The test: KEK version 1 is exposed (every customer onboarded before the first rotation is
/// affected); a principal is exposed for a window (the customers it read in clear in the window are
/// affected, a read outside it and another principal's reads are not); the customers onboarded under
/// version 2 and not read are listed separately as sealed under unexposed keys. Then the remedies, each
/// on the ledger, and the PIPL 57 decision refused on these facts.
#[test]
fn an_exposed_kek_version_and_principal_give_exactly_the_affected_and_unaffected_customers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let clock = ManualClock::at(t0());
    let b = open(&path, &clock);
    b.set_oversight_config(&OversightConfig::new(contact())).unwrap();
    let notice = notice();
    let under_v1 = onboard(&b, 31, 5, &notice, true);
    clock.set(t0() + Duration::days(1));
    assert_eq!(b.rotate_kek(OldKeks::Retire).unwrap().primary, 2);
    clock.set(t0() + Duration::days(2));
    let under_v2 = onboard(&b, 32, 6, &notice, false);
    assert!(under_v1.iter().all(|c| !under_v2.contains(c)));

    let (eve, _) = principal(
        "emp-0009",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        t0(),
    );
    let (bob, _) = principal(
        "emp-0002",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        t0(),
    );
    b.put_principal(&eve).unwrap();
    b.put_principal(&bob).unwrap();
    // Eve reads before the window (not counted), then in it; Bob reads in it (not exposed).
    let before = t0() + Duration::days(2) + Duration::hours(1);
    let from = t0() + Duration::days(3);
    let until = t0() + Duration::days(4);
    clock.set(before);
    let mut read_early = BTreeSet::new();
    for c in &under_v2[..2] {
        if b.read(read(&eve, *c)).is_ok() {
            read_early.insert(*c);
        }
    }
    clock.set(from + Duration::hours(1));
    let mut read_in_window: BTreeMap<CustomerId, u64> = BTreeMap::new();
    for c in &under_v2[2..5] {
        match b.read(read(&eve, *c)) {
            Ok(got) => {
                read_in_window.insert(*c, got.entry_index);
            }
            Err(BrokerageError::AccessDenied(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    let _ = b.read(read(&bob, under_v2[5]));
    assert!(
        !read_in_window.is_empty(),
        "some customer of the book is readable"
    );

    clock.set(until + Duration::hours(1));
    let incident = b.register_incident(new_incident(until)).unwrap();
    let exposure = Exposure {
        since: Some(from),
        kek_versions: BTreeSet::from([1]),
        principals: vec![(eve.id().clone(), from, until)],
        ..Default::default()
    };
    let derived = b.derive_affected(incident.id, &exposure, actor("sec-1")).unwrap();
    let expected: BTreeSet<CustomerId> = under_v1.iter().chain(read_in_window.keys()).copied().collect();
    let got: BTreeSet<CustomerId> = derived.affected.affected.keys().copied().collect();
    assert_eq!(got, expected);
    for c in &under_v1 {
        assert_eq!(
            derived.affected.affected[c],
            [AffectedReason::ExposedKek {
                versions: BTreeSet::from([1])
            }]
        );
    }
    for (c, index) in &read_in_window {
        assert_eq!(
            derived.affected.affected[c],
            [AffectedReason::ReadByExposedPrincipal {
                principal: eve.id().clone(),
                entries: vec![*index]
            }]
        );
    }
    let unaffected: BTreeSet<CustomerId> = under_v2
        .iter()
        .filter(|c| !read_in_window.contains_key(c))
        .copied()
        .collect();
    assert_eq!(
        derived
            .affected
            .unaffected
            .keys()
            .copied()
            .collect::<BTreeSet<_>>(),
        unaffected
    );
    for c in &unaffected {
        assert_eq!(
            derived.affected.unaffected[c],
            UnaffectedReason::SealedUnderUnexposedKeys {
                versions: BTreeSet::from([2])
            }
        );
    }
    let count = derived.incident.affected.unwrap();
    assert_eq!(count.people, expected.len() as u64);
    assert_eq!(count.unaffected, unaffected.len() as u64);
    assert_eq!(b.affected_of(incident.id).unwrap().unwrap(), derived.affected);

    // PIPL 57: not notifying is refused on these facts (data left readable); the authority duty is there.
    let refused = b.decide_individuals(
        incident.id,
        IndividualsDecision::NotNotified {
            reason: NoNoticeReason::SealedUnderUnexposedKeys,
            by: actor("dpo-1"),
            at: clock.now(),
        },
        actor("dpo-1"),
    );
    assert!(matches!(
        refused,
        Err(BrokerageError::Oversight(OversightError::Pipl57 { .. }))
    ));
    let clocks = b.incident_clocks().unwrap();
    let duties: Vec<Duty> = clocks[0].1.iter().map(|c| c.duty).collect();
    assert_eq!(
        duties,
        [Duty::Pipl57Authority, Duty::Individuals],
        "below 较大: no CAC report"
    );

    // Remedies: revoke Eve (her next read is denied), rotate the KEK, force re-verification.
    b.remedy_revoke_principal(incident.id, eve.id(), actor("sec-1"))
        .unwrap();
    assert!(matches!(
        b.read(read(&eve, *read_in_window.keys().next().unwrap())),
        Err(BrokerageError::AccessDenied(_))
    ));
    let rotation = b
        .remedy_rotate_kek(incident.id, OldKeks::Retire, actor("sec-1"))
        .unwrap();
    assert_eq!(rotation.primary, 3);
    assert_eq!(rotation.rewrapped, (under_v1.len() + under_v2.len()) as u64);
    let affected_ids: Vec<CustomerId> = expected.iter().copied().collect();
    b.remedy_force_reverification(incident.id, &affected_ids, actor("sec-1"))
        .unwrap();
    assert_eq!(
        b.reverification_required(affected_ids[0]).unwrap(),
        Some(custodia_brokerage::Reverification {
            incident: incident.id,
            forced_at: clock.now(),
        })
    );
    assert_eq!(
        b.reverification_required(*unaffected.iter().next().unwrap())
            .unwrap(),
        None
    );
    let unknown = CustomerId::from_bytes([7; 16]).unwrap();
    assert!(matches!(
        b.remedy_force_reverification(incident.id, &[unknown], actor("sec-1")),
        Err(BrokerageError::UnknownCustomer { .. })
    ));

    // Reports and the notices; the timeline has every step, and survives a reopening.
    b.record_incident_report(
        incident.id,
        ReportSent {
            duty: Duty::Pipl57Authority,
            at: clock.now(),
            reference: "SH-CAC-2026-0042".into(),
        },
        actor("dpo-1"),
    )
    .unwrap();
    b.decide_individuals(
        incident.id,
        IndividualsDecision::Notified {
            at: clock.now(),
            people: count.people,
        },
        actor("dpo-1"),
    )
    .unwrap();
    // PIPL Art 52: from the officer threshold (a setting; 5 people here) notices must name the officer.
    let mut strict = OversightConfig::new(contact());
    strict.audit.officer_from = 5;
    b.set_oversight_config(&strict).unwrap();
    assert!(matches!(
        b.incident_notices(incident.id),
        Err(BrokerageError::InvalidInput {
            field: "oversight.contact.officer",
            ..
        })
    ));
    assert!(b.audit_due().unwrap().officer_required);
    strict.contact.officer = Some("王敏".into());
    b.set_oversight_config(&strict).unwrap();
    let (zh, en) = b.incident_notices(incident.id).unwrap();
    assert!(zh.text.contains("个人信息保护负责人：王敏"));
    assert_eq!(zh.remedies.len(), 3);
    assert!(zh.text.contains("privacy@seller.example") && en.text.contains("What we have done"));
    assert!(b.overdue_clocks().unwrap().is_empty());
    drop(b);
    let b = open(&path, &clock);
    let stored = b.incident(incident.id).unwrap();
    let steps: Vec<&str> = stored.timeline.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "registered",
            "affected_derived",
            "remedy",
            "remedy",
            "remedy",
            "report_sent",
            "individuals"
        ]
    );
    assert!(matches!(
        stored.remedies.as_slice(),
        [
            (_, Remedy::PrincipalRevoked { .. }),
            (_, Remedy::KekRotated { from: 2, to: 3, .. }),
            (_, Remedy::ReverificationForced { .. })
        ]
    ));
    // Every step is on the ledger, and the register is the record its latest step digests: the audit
    // pack proves both offline.
    b.verify_ledger().unwrap();
    let pack = b.export_audit_pack(&dir.path().join("audit")).unwrap();
    let verified = verify_audit_pack(&dir.path().join("audit")).unwrap();
    assert_eq!(verified.incidents, 1);
    // 3 settings, 2 rotations, 7 incident steps — and no other oversight entry.
    assert_eq!((verified.entries, verified.rotations), (3 + 2 + 7, 2));
    let statistics: custodia_brokerage::AuditStatistics =
        serde_json::from_slice(&std::fs::read(dir.path().join("audit/statistics.json")).unwrap()).unwrap();
    // Eve, revoked, has no training left; Bob is trained. Eve's early and in-window reads, Bob's one, and
    // Eve's denied read after revocation.
    assert_eq!((statistics.principals, statistics.trained), (2, 1));
    let eve_counts = statistics.access_by_principal[eve.id().as_str()];
    assert_eq!(eve_counts.0, (read_early.len() + read_in_window.len()) as u64);
    assert!(eve_counts.1 >= 1);
    assert!(pack.files.contains_key("statistics.json"));
    // An unknown stated customer is refused by id.
    let stated = Exposure {
        stated: BTreeSet::from([unknown]),
        ..Default::default()
    };
    assert!(matches!(
        b.derive_affected(incident.id, &stated, actor("sec-1")),
        Err(BrokerageError::UnknownCustomer { customer }) if customer == unknown
    ));
}

fn assessment_content(at: DateTime<Utc>) -> AssessmentContent {
    AssessmentContent {
        subject: "transfer/sample".into(),
        activity: Activity {
            categories: CategorySet::from([DataCategory::Identity, DataCategory::Health]),
            providing: true,
            ..Default::default()
        },
        lawfulness: "PIPL Art 22: the licence transfer continues the policies; notices to every customer"
            .into(),
        risks: vec![Risk {
            description: "the buyer's controls are untested".into(),
            severity: Severity::Medium,
        }],
        measures: vec![Measure {
            description: "buyer obligations in the signed agreement; per-customer keys re-wrapped".into(),
            adequate: true,
        }],
        prepared_by: actor("dpo-1"),
        prepared_at: at,
    }
}

/// An assessment approved by two signed approvers (custodia-access document approvals verified as a
/// quorum); a forged or partial approval is refused; the approval is kept three years; then an audit pack
/// that verifies offline, and fails at every flipped byte.
#[test]
fn an_assessment_is_approved_by_signed_principals_and_the_audit_pack_verifies_and_fails_at_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let clock = ManualClock::at(t0());
    let b = open(&path, &clock);
    b.set_oversight_config(&OversightConfig::new(contact())).unwrap();
    let customers = onboard(&b, 41, 3, &notice(), true);
    let (a1, k1) = principal("cco-1", &["approver"], &[], t0());
    let (a2, k2) = principal("cfo-1", &["approver"], &[], t0());
    let (a3, k3) = principal("ops-1", &["account_manager"], &[Purpose::PolicyServicing], t0());
    for p in [&a1, &a2, &a3] {
        b.put_principal(p).unwrap();
    }
    let assessment = Assessment::draft(uuid::Uuid::now_v7(), assessment_content(t0())).unwrap();
    b.store_assessment(&assessment).unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, &assessment.content_bytes().unwrap());
    let request = ApprovalRequest::document(
        ApprovalId::new_v7(),
        actor("dpo-1"),
        DocumentKind::new(ASSESSMENT_DOCUMENT).unwrap(),
        assessment.id,
        digest.as_ref().try_into().unwrap(),
    );
    let s1 = request.sign(&a1, &k1).unwrap();
    let s2 = request.sign(&a2, &k2).unwrap();
    // One approver is not a quorum; a non-approver's signature is refused; other content is refused.
    assert!(
        b.approve_assessment(assessment.id, std::slice::from_ref(&s1))
            .is_err()
    );
    let by_non_approver = request.sign(&a3, &k3).unwrap();
    assert!(matches!(
        b.approve_assessment(assessment.id, &[s1.clone(), by_non_approver]),
        Err(BrokerageError::Access(_))
    ));
    let other = ApprovalRequest::document(
        ApprovalId::new_v7(),
        actor("dpo-1"),
        DocumentKind::new(ASSESSMENT_DOCUMENT).unwrap(),
        assessment.id,
        [0; 32],
    );
    assert!(matches!(
        b.approve_assessment(
            assessment.id,
            &[other.sign(&a1, &k1).unwrap(), other.sign(&a2, &k2).unwrap()]
        ),
        Err(BrokerageError::InvalidInput {
            field: "approvals",
            ..
        })
    ));
    assert!(matches!(
        b.approved_assessment("transfer/sample"),
        Err(BrokerageError::InvalidInput {
            field: "agreement.impact_assessment",
            ..
        })
    ));
    let approved = b.approve_assessment(assessment.id, &[s1, s2]).unwrap();
    assert_eq!(b.approved_assessment("transfer/sample").unwrap(), approved);
    assert!(
        b.approved_assessment("PIA-2026-017").is_err(),
        "an unknown reference"
    );
    let approval = approved.approval.as_ref().unwrap();
    assert_eq!(approval.approvers, [actor("cco-1"), actor("cfo-1")]);
    assert!(!approved.may_be_removed(t0() + Duration::days(3 * 365)));

    // An incident with a report, a KEK rotation, and the pack.
    clock.set(t0() + Duration::hours(2));
    let incident = b
        .register_incident(new_incident(t0() + Duration::hours(1)))
        .unwrap();
    let exposure = Exposure {
        stated: BTreeSet::from([customers[0]]),
        ..Default::default()
    };
    b.derive_affected(incident.id, &exposure, actor("sec-1")).unwrap();
    b.remedy_rotate_kek(incident.id, OldKeks::Keep, actor("sec-1"))
        .unwrap();
    let pack_dir = dir.path().join("audit");
    let pack = b.export_audit_pack(&pack_dir).unwrap();
    let verified = verify_audit_pack(&pack_dir).unwrap();
    assert_eq!(verified.signing, b.public_keys().signing);
    assert_eq!(
        (verified.incidents, verified.assessments, verified.rotations),
        (1, 1, 1)
    );
    assert!(verified.entries >= 5 && verified.checkpoints >= 2);
    assert_eq!(b.last_audit().unwrap(), Some(pack.mark));
    // A second pack starts at the first's mark and verifies too.
    clock.set(t0() + Duration::hours(3));
    b.incident_handled(incident.id, actor("sec-1")).unwrap();
    let (second, checked) = b.export_verified_audit_pack(&dir.path().join("audit-2")).unwrap();
    assert!(second.mark.size > pack.mark.size);
    assert_eq!(checked, verify_audit_pack(&dir.path().join("audit-2")).unwrap());
    // The second pack starts at the first's checkpoint and ends at its own.
    assert_eq!(checked.checkpoints, 2);

    // Every byte of every file flipped, one at a time (in memory, the pack read once): verification fails
    // each time, naming a file. On disk, a flip is found the same way.
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for name in pack
        .files
        .keys()
        .cloned()
        .chain(["MANIFEST.json".to_owned(), "MANIFEST.sig".to_owned()])
    {
        files.insert(name.clone(), std::fs::read(pack_dir.join(&name)).unwrap());
    }
    verify_audit_pack_files(&files).unwrap();
    let names: Vec<String> = files.keys().cloned().collect();
    let mut flips = 0usize;
    for name in &names {
        for i in 0..files[name].len() {
            files.get_mut(name).unwrap()[i] ^= 0x01;
            match verify_audit_pack_files(&files) {
                Err(BrokerageError::Evidence { .. }) => {}
                other => panic!("{name} byte {i}: {other:?}"),
            }
            files.get_mut(name).unwrap()[i] ^= 0x01;
            flips += 1;
        }
    }
    assert_eq!(flips, files.values().map(Vec::len).sum::<usize>());
    verify_audit_pack_files(&files).unwrap();
    let sig = pack_dir.join("MANIFEST.sig");
    let original = std::fs::read(&sig).unwrap();
    let mut flipped = original.clone();
    flipped[0] ^= 0x01;
    std::fs::write(&sig, &flipped).unwrap();
    assert!(matches!(
        verify_audit_pack(&pack_dir),
        Err(BrokerageError::Evidence {
            file: "MANIFEST.sig",
            ..
        })
    ));
    std::fs::write(&sig, &original).unwrap();
    verify_audit_pack(&pack_dir).unwrap();
    // A missing file is named.
    std::fs::remove_file(pack_dir.join("statistics.json")).unwrap();
    assert!(matches!(
        verify_audit_pack(&pack_dir),
        Err(BrokerageError::Evidence {
            file: "statistics.json",
            ..
        })
    ));
}

/// Records of processing come from the profile, the policy and the store: a profile with one rule fewer
/// gives records without it; the accountable owners are in them.
#[test]
fn records_of_processing_follow_the_profile_and_name_the_owners() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let clock = ManualClock::at(t0());
    let b = open(&path, &clock);
    b.set_oversight_config(&OversightConfig::new(contact())).unwrap();
    onboard(&b, 51, 4, &notice(), true);
    let before = b.write_records_of_processing(&dir.path().join("ropa")).unwrap();
    assert_eq!(before.people, 4);
    assert!(
        before
            .inventory
            .iter()
            .all(|i| i.accountable.department != "unassigned")
    );
    let md = std::fs::read_to_string(dir.path().join("ropa/records-of-processing.md")).unwrap();
    assert!(md.contains("incident_response") && md.contains("示例保险经纪有限公司"));
    drop(b);
    let mut document = Profile::cn_insurance_broker().unwrap().to_document();
    let dropped = document.rules.remove(0).id;
    let b = open_with(&path, &clock, Some(Profile::from_document(document).unwrap()));
    let after = b.records_of_processing().unwrap();
    let rules = |r: &custodia_oversight::RecordsOfProcessing| -> BTreeSet<String> {
        r.inventory
            .iter()
            .flat_map(|i| i.retention.iter().map(|l| l.rule.clone()))
            .collect()
    };
    assert_eq!(
        rules(&before)
            .difference(&rules(&after))
            .cloned()
            .collect::<Vec<_>>(),
        [dropped]
    );
    // The schedule: four people need no officer and no fixed interval.
    let due = b.audit_due().unwrap();
    assert!(!due.officer_required && due.interval_months.is_none());
    // Bad settings are refused by field.
    let mut bad = OversightConfig::new(contact());
    bad.reporting.other_hours = 0;
    assert!(matches!(
        b.set_oversight_config(&bad),
        Err(BrokerageError::Oversight(OversightError::Invalid {
            field: "reporting.other_hours",
            ..
        }))
    ));
    let mut partial = OversightConfig::new(contact());
    partial.responsibilities.steps.remove("destruction");
    assert!(matches!(
        b.set_oversight_config(&partial),
        Err(BrokerageError::InvalidInput {
            field: "responsibilities",
            ..
        })
    ));
}

/// After a licence transfer's disposition the seller has crypto-shredded the customers it may no longer
/// hold (its profile here has no retention floor, so moved customers go whole): a KEK exposure discovered
/// later lists exactly them as shredded before the exposure (their keys were gone), the rest as affected;
/// and the audit pack carries the destruction certificates, proven. Execution is refused until the
/// agreement's assessment reference names an approved assessment covering its scope (PIPL Art 55(3)).
#[test]
fn customers_shredded_by_a_disposition_before_the_exposure_are_listed_apart() {
    use custodia_brokerage::prelude::{DraftAgreement, KeyFile, NoticeRound, TransferPath};
    use custodia_synthetic::parties;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(at_nine("2026-05-31".parse().unwrap()).unwrap());
    let cn = Profile::cn_insurance_broker().unwrap();
    let floors: BTreeSet<String> = cn
        .rules()
        .filter(|r| r.is_floor())
        .map(|r| r.id().as_str().to_owned())
        .collect();
    let mut document = cn.to_document();
    document.rules.retain(|r| !floors.contains(&r.id));
    let no_floors = Profile::from_document(document).unwrap();
    let open = |name: &str| {
        let config = BrokerageConfig::sqlite(dir.path().join(format!("{name}.db")))
            .with_clock(clock.clone())
            .with_profile(no_floors.clone());
        Brokerage::open(
            config,
            &KeyFile::create(dir.path().join(format!("{name}.key"))).unwrap(),
        )
        .unwrap()
    };
    let (seller, buyer) = (open("seller"), open("buyer"));
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", seller.now()).unwrap();
    seller.publish_notice(&notice).unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            customers: 20,
            ..Default::default()
        },
        "2026-05-31".parse().unwrap(),
    )
    .unwrap();
    let ids: Vec<CustomerId> = book.customers().iter().map(|c| c.customer.id()).collect();
    let onboarding = book
        .customers()
        .iter()
        .map(|c| Onboarding::new(c.customer.clone(), notice.reference()));
    seller.onboard_batch(onboarding, &mut |_| {}).unwrap();
    let mut terms = parties::terms(
        &parties::SampleKeys::generate().unwrap(),
        TransferPath::MergerNotice,
    )
    .unwrap();
    (terms.seller, terms.buyer) = (
        seller.as_party(&terms.seller).unwrap(),
        buyer.as_party(&terms.buyer).unwrap(),
    );
    let agreement = buyer
        .countersign_as_buyer(
            seller
                .sign_as_seller(DraftAgreement::new(terms).unwrap())
                .unwrap(),
        )
        .unwrap();
    clock.set(at_nine("2026-06-01".parse().unwrap()).unwrap());
    let case = seller.open_seller_case(&agreement).unwrap();
    case.publish_notices().unwrap();
    case.serve_notices(NoticeRound::everyone(actor("notices-bot")))
        .unwrap();
    clock.set(at_nine(case.execution_date().unwrap()).unwrap());
    // The gate (PIPL Art 55(3)): the agreement's assessment reference resolves to nothing stored yet, so
    // execution is refused; then to an approved assessment that left out a category of the scope, still
    // refused, naming the category; then to one that covers the scope.
    let gate_refused = |what: &str| match case.execute(Default::default()) {
        Err(BrokerageError::InvalidInput {
            field: "agreement.impact_assessment",
            reason,
        }) => assert!(reason.contains(what), "{reason}"),
        other => panic!("{other:?}"),
    };
    gate_refused("no stored assessment");
    let approvers = custodia_synthetic::staff::Staff::approvers(&["dpo-1", "cco-1"], seller.now()).unwrap();
    for approver in &approvers {
        seller.put_principal(&approver.principal).unwrap();
    }
    let approve = |pia: &Assessment| {
        seller.store_assessment(pia).unwrap();
        let request = seller.assessment_approval_request(pia.id).unwrap();
        let signed = custodia_synthetic::staff::sign_each(&approvers, &request).unwrap();
        seller.approve_assessment(pia.id, &signed).unwrap();
    };
    let full = custodia_synthetic::assessment::for_transfer(
        agreement.terms(),
        actor("privacy-office"),
        seller.now(),
    )
    .unwrap();
    let mut narrow = full.content.clone();
    let left_out = narrow.activity.categories.iter().next().unwrap();
    narrow.activity.categories.remove(left_out);
    approve(&Assessment::draft(uuid::Uuid::now_v7(), narrow).unwrap());
    gate_refused(left_out.code());
    clock.set(seller.now() + Duration::minutes(1));
    approve(
        &custodia_synthetic::assessment::for_transfer(
            agreement.terms(),
            actor("privacy-office"),
            seller.now(),
        )
        .unwrap(),
    );
    case.execute(Default::default()).unwrap();
    let package = case.write_package(&dir.path().join("transfer.pkg")).unwrap();
    let buying = buyer.open_buyer_case(&agreement).unwrap();
    buying.import(&package.path, &mut |_| {}).unwrap();
    case.verify_receipt(&buying.sign_receipt().unwrap()).unwrap();
    case.plan_disposition(actor("ops-1")).unwrap();
    for approver in &approvers {
        let signed = approver.sign(&case.disposition_requests().unwrap()).unwrap();
        case.approve_disposition(&signed).unwrap();
    }
    let disposed = case.execute_disposition(actor("ops-2")).unwrap();
    assert!(disposed.whole_customers > 0, "{disposed:?}");

    clock.set(seller.now() + Duration::days(1));
    let incident = seller.register_incident(new_incident(seller.now())).unwrap();
    let exposure = Exposure {
        since: Some(seller.now()),
        kek_versions: BTreeSet::from([1]),
        ..Default::default()
    };
    let derived = seller
        .derive_affected(incident.id, &exposure, actor("sec-1"))
        .unwrap();
    let shredded: Vec<CustomerId> = derived.affected.unaffected.keys().copied().collect();
    assert_eq!(shredded.len() as u64, disposed.whole_customers);
    for c in &shredded {
        assert!(matches!(
            derived.affected.unaffected[c],
            UnaffectedReason::ShreddedBeforeExposure { .. }
        ));
        assert!(matches!(
            seller.read_trusted(*c, &DataCategory::ALL),
            Err(BrokerageError::CustomerErased { .. })
        ));
    }
    let all: BTreeSet<CustomerId> = derived
        .affected
        .affected
        .keys()
        .chain(derived.affected.unaffected.keys())
        .copied()
        .collect();
    assert_eq!(
        all,
        ids.iter().copied().collect::<BTreeSet<_>>(),
        "every customer examined once"
    );
    let pack = dir.path().join("evidence-audit");
    seller.export_audit_pack(&pack).unwrap();
    let verified = verify_audit_pack(&pack).unwrap();
    assert_eq!(verified.certificates, disposed.certificates.len());
}
