//! The gated read on SQLite (issue 17): a principal's read goes through the access gate, its decision — allow or deny — is on the ledger with the read, principals and approvals persist in the records table across a reopening, and an elevated read needs an approval verified against its approver's record.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia_access::{
    AccessEntry, AccessError, AlertKind, ApprovalId, ApprovalRequest, Course, DEFAULT_COURSE, Department,
    Effect, ElevationScope, MonitorSettings, Principal, PrincipalFields, PrincipalKind, Role, Severity,
    SignedApproval, Ticket, TrainingRecord,
};
use custodia_brokerage::{
    Brokerage, BrokerageConfig, BrokerageError, ManualClock, Onboarding, ReadRequest, StaticKeySource,
};
use custodia_consent::Digest;
use custodia_crypto::SigningKey;
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};

const KEY: [u8; 32] = [0x51; 32];

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() // a Monday
}

fn now() -> DateTime<Utc> {
    at_nine(date()).unwrap()
}

fn open(path: &Path) -> Brokerage {
    let config = BrokerageConfig::sqlite(path).with_clock(ManualClock::at(now()));
    Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap()
}

/// Onboards a small synthetic book with its consents; returns the customers' ids.
fn onboard(b: &Brokerage) -> Vec<CustomerId> {
    onboard_book(b, 6).into_iter().map(|(c, _)| c).collect()
}

/// Onboards `n` customers; returns each id and whether the customer is a minor today (whose every category
/// is sensitive).
fn onboard_book(b: &Brokerage, n: u64) -> Vec<(CustomerId, bool)> {
    let config = BookConfig {
        seed: 17,
        customers: n,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&config, date())
        .unwrap()
        .customers()
        .to_vec();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", now()).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"f"),
    );
    let onboarding = book.iter().map(|c| {
        let consents = c
            .consents
            .iter()
            .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
            .collect();
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
    });
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    book.iter()
        .map(|c| (c.customer.id(), c.customer.is_minor_at(date())))
        .collect()
}

fn principal(id: &str, roles: &[&str], purposes: &[Purpose], trained: bool) -> (Principal, SigningKey) {
    let key = SigningKey::generate().unwrap();
    let at = now();
    let training = if trained {
        vec![
            TrainingRecord::new(
                Course::new(DEFAULT_COURSE).unwrap(),
                at - Duration::days(30),
                at + Duration::days(300),
            )
            .unwrap(),
        ]
    } else {
        Vec::new()
    };
    let p = Principal::new(PrincipalFields {
        id: ActorId::new(id).unwrap(),
        kind: PrincipalKind::Staff,
        roles: roles.iter().map(|r| Role::new(r).unwrap()).collect(),
        department: Department::new("operations").unwrap(),
        purposes: purposes.iter().cloned().collect::<BTreeSet<_>>(),
        training,
        verifying_key: key.verifying_key(),
    })
    .unwrap();
    (p, key)
}

fn read(
    principal: &Principal,
    customer: CustomerId,
    categories: &[DataCategory],
    purpose: Purpose,
) -> ReadRequest {
    ReadRequest {
        principal: principal.id().clone(),
        customer,
        categories: categories.iter().copied().collect(),
        purpose,
        ticket: None,
        approval: None,
    }
}

fn ledger_size(b: &Brokerage) -> u64 {
    b.checkpoint().unwrap().checkpoint().size()
}

#[test]
fn a_gated_read_is_decided_logged_with_the_read_and_opens_only_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let b = open(&path);
    let customers = onboard(&b);
    let (manager, _) = principal(
        "emp-0001",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        true,
    );
    let (marketer, _) = principal("emp-0002", &["marketing"], &[Purpose::Marketing], true);
    let (untrained, _) = principal(
        "emp-0003",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        false,
    );
    for p in [&manager, &marketer, &untrained] {
        b.put_principal(p).unwrap();
    }

    // Some customers of the book are restricted to storage by retention (a relationship that ended): their
    // reads are denied by the storage-only rule; the others' are allowed.
    let cats = [DataCategory::Identity, DataCategory::Policies];
    let before = ledger_size(&b);
    let mut allowed = None;
    for c in &customers {
        match b.read(read(&manager, *c, &cats, Purpose::PolicyServicing)) {
            Ok(got) => {
                allowed.get_or_insert((*c, got));
            }
            Err(BrokerageError::AccessDenied(denied)) => {
                assert!(
                    denied
                        .policies()
                        .iter()
                        .all(|p| p.id() == "storage-only-restricted"),
                    "{denied}"
                );
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(
        ledger_size(&b),
        before + customers.len() as u64,
        "one entry per decision, allow or deny"
    );
    let (customer, got) = allowed.expect("some customer of the book is not restricted");
    // Allowed: the sections are those of the trusted path, and the entry is on the ledger at its index.
    assert_eq!(got.permit.categories(), CategorySet::from(cats));
    let trusted = b.read_trusted(customer, &cats).unwrap();
    assert_eq!(got.sections.len(), trusted.sections.len());
    for ((c1, p1), (c2, p2)) in got.sections.iter().zip(&trusted.sections) {
        assert_eq!((c1, p1.as_slice()), (c2, p2.as_slice()));
    }
    let shown = format!("{got:?}");
    for (_, plain) in &got.sections {
        let text = String::from_utf8_lossy(plain);
        assert!(
            !shown.contains(text.as_ref()) && shown.contains("[REDACTED]"),
            "{shown}"
        );
    }
    let log = b.access_log_of(customer).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, got.entry_index);
    assert_eq!(&log[0].1, got.permit.entry());

    // Denied: a typed error naming the policy, and its entry is on the ledger too.
    let err = b
        .read(read(
            &marketer,
            customer,
            &[DataCategory::Health],
            Purpose::Marketing,
        ))
        .unwrap_err();
    let BrokerageError::AccessDenied(denied) = err else {
        panic!("{err:?}")
    };
    assert!(
        denied
            .policies()
            .iter()
            .any(|p| p.id() == "sensitive-needs-purpose"),
        "{denied}"
    );
    let err = b
        .read(read(&untrained, customer, &cats, Purpose::PolicyServicing))
        .unwrap_err();
    let BrokerageError::AccessDenied(denied) = err else {
        panic!("{err:?}")
    };
    assert!(denied.policies().iter().any(|p| p.id() == "training-required"));
    let log = b.access_log_of(customer).unwrap();
    assert_eq!(
        log.iter().map(|(_, e)| e.effect()).collect::<Vec<_>>(),
        vec![Effect::Permit, Effect::Deny, Effect::Deny]
    );

    // An unknown principal is refused before the gate: no decision, no entry.
    let size = ledger_size(&b);
    let (stranger, _) = principal("emp-9999", &["compliance"], &[Purpose::LegalCompliance], true);
    assert!(matches!(
        b.read(read(&stranger, customer, &cats, Purpose::LegalCompliance)),
        Err(BrokerageError::UnknownPrincipal { .. })
    ));
    assert_eq!(ledger_size(&b), size);

    // Every access entry on the ledger decodes and holds no section content.
    let plaintext = String::from_utf8(trusted.sections[0].1.to_vec()).unwrap();
    for (index, entry) in b.access_log_of(customer).unwrap() {
        let text = String::from_utf8(entry.payload().unwrap()).unwrap();
        assert!(!text.contains(&plaintext), "entry {index}");
        assert_eq!(AccessEntry::decode(index, text.as_bytes()).unwrap(), Some(entry));
    }

    // Principals persist across a reopening.
    drop(b);
    let b = open(&path);
    assert_eq!(b.principal(manager.id()).unwrap(), Some(manager.clone()));
    assert_eq!(b.access_log_of(customer).unwrap().len(), 3);
    b.verify_ledger().unwrap();
}

#[test]
fn an_elevated_read_needs_a_stored_approval_verified_against_its_approver() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let b = open(&path);
    let customers = onboard(&b);
    let (manager, _) = principal(
        "emp-0101",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        true,
    );
    let (approver, approver_key) = principal("emp-0201", &["approver"], &[], true);
    b.put_principal(&manager).unwrap();
    b.put_principal(&approver).unwrap();
    // A customer whose claims the manager's own role cannot read, and whose sections are not restricted
    // (a compliance read with a ticket tells which: it is allowed unless storage-only applies).
    let (officer, _) = principal("emp-0301", &["compliance"], &[Purpose::LegalCompliance], true);
    b.put_principal(&officer).unwrap();
    let customer = *customers
        .iter()
        .find(|c| {
            b.read(ReadRequest {
                ticket: Some(Ticket::new("chk-1").unwrap()),
                ..read(&officer, **c, &[DataCategory::Claims], Purpose::LegalCompliance)
            })
            .is_ok()
        })
        .expect("a customer with claims in use");
    let ticket = Ticket::new("cmp-2026-9").unwrap();
    let request = ApprovalRequest::elevation(
        ApprovalId::new_v7(),
        manager.id().clone(),
        ElevationScope {
            customer,
            categories: CategorySet::from([DataCategory::Claims]),
            purpose: Purpose::PolicyServicing,
            ticket: ticket.clone(),
            not_before: now() - Duration::hours(1),
            not_after: now() + Duration::hours(2),
        },
    )
    .unwrap();
    let ask = ReadRequest {
        ticket: Some(ticket.clone()),
        ..read(
            &manager,
            customer,
            &[DataCategory::Claims],
            Purpose::PolicyServicing,
        )
    };
    // Without the approval: denied (claims are beyond an account manager's servicing).
    assert!(matches!(
        b.read(ask.clone()),
        Err(BrokerageError::AccessDenied(_))
    ));
    // A tampered approval is refused at the door and never stored.
    let signed = request.sign(&approver, &approver_key).unwrap();
    let mut json = serde_json::to_value(&signed).unwrap();
    let mut sig = hex::decode(json["signature"].as_str().unwrap()).unwrap();
    sig[5] ^= 0x40;
    json["signature"] = hex::encode(sig).into();
    let tampered: SignedApproval = serde_json::from_value(json).unwrap();
    assert!(matches!(
        b.store_approval(&tampered),
        Err(BrokerageError::Access(AccessError::BadSignature))
    ));
    assert_eq!(b.approval(request.id()).unwrap(), None);
    // An approval naming an id that was never stored is refused.
    assert!(matches!(
        b.read(ReadRequest {
            approval: Some(request.id()),
            ..ask.clone()
        }),
        Err(BrokerageError::UnknownApproval { .. })
    ));
    // Stored, it elevates the read it covers, and the entry names it.
    b.store_approval(&signed).unwrap();
    drop(b);
    let b = open(&path);
    assert_eq!(b.approval(request.id()).unwrap(), Some(signed));
    let got = b
        .read(ReadRequest {
            approval: Some(request.id()),
            ..ask.clone()
        })
        .unwrap();
    assert_eq!(got.permit.entry().approval(), Some(request.id()));
    let id = format!("elevated-read:{}", request.id());
    assert!(
        got.permit.entry().outcomes()[0]
            .policies()
            .iter()
            .any(|p| p.id() == id)
    );
    // The approver's record changed (role withdrawn): the stored approval no longer counts.
    let demoted = Principal::new(PrincipalFields {
        id: approver.id().clone(),
        kind: PrincipalKind::Staff,
        roles: BTreeSet::from([Role::new("account_manager").unwrap()]),
        department: approver.department().clone(),
        purposes: BTreeSet::new(),
        training: approver.training().to_vec(),
        verifying_key: *approver.verifying_key(),
    })
    .unwrap();
    b.put_principal(&demoted).unwrap();
    assert!(matches!(
        b.read(ReadRequest {
            approval: Some(request.id()),
            ..ask
        }),
        Err(BrokerageError::Access(AccessError::ApprovalRefused { .. }))
    ));
}

/// The monitors run on every gated read: a planted bulk read (one principal, many customers within the
/// window) raises a typed alert naming exactly its ledger entries, stored and forwarded; normal traffic
/// raises none; the alert and the monitor's state survive reopening the store.
#[test]
fn a_planted_bulk_read_fires_normal_traffic_does_not_and_the_alert_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let settings = MonitorSettings {
        max_distinct_customers: 3,
        ..MonitorSettings::default()
    };
    let open_monitored = || {
        let config = BrokerageConfig::sqlite(&path)
            .with_clock(ManualClock::at(now()))
            .with_monitor(settings.clone());
        Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap()
    };
    let b = open_monitored();
    let adults: Vec<CustomerId> = onboard_book(&b, 16)
        .into_iter()
        .filter(|(_, minor)| !minor)
        .map(|(c, _)| c)
        .collect();
    let (clerk, _) = principal(
        "emp-0010",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        true,
    );
    let (insider, _) = principal(
        "emp-0011",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        true,
    );
    b.put_principal(&clerk).unwrap();
    b.put_principal(&insider).unwrap();
    let forwarded = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = forwarded.clone();
    b.on_alert(move |alert| sink.lock().unwrap().push(alert.clone()));
    let contact = [DataCategory::Contact];
    let allowed_reads =
        |b: &Brokerage, who: &Principal, customers: &[CustomerId]| -> Vec<(CustomerId, u64)> {
            customers
                .iter()
                .filter_map(
                    |c| match b.read(read(who, *c, &contact, Purpose::PolicyServicing)) {
                        Ok(got) => Some((*c, got.entry_index)),
                        Err(BrokerageError::AccessDenied(_)) => None,
                        Err(other) => panic!("{other:?}"),
                    },
                )
                .collect()
        };

    // Normal traffic: a few customers, read again and again — no alert.
    let mut normal = Vec::new();
    for _ in 0..5 {
        normal.extend(allowed_reads(&b, &clerk, &adults[..3]));
    }
    assert!(normal.len() >= 5, "the clerk's reads are allowed");
    assert_eq!(b.alerts().unwrap(), Vec::new());
    assert!(forwarded.lock().unwrap().is_empty());

    // The planted bulk read: every adult customer's contact data within minutes.
    let planted: Vec<(CustomerId, u64)> = allowed_reads(&b, &insider, &adults);
    assert!(planted.len() > 3, "enough allowed reads to cross the threshold");
    let alerts = b.alerts().unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.principal, *insider.id());
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(
        alert.kind,
        AlertKind::DistinctCustomers {
            count: 4,
            threshold: 3
        }
    );
    let indices: Vec<u64> = planted[..4].iter().map(|(_, i)| *i).collect();
    assert_eq!(alert.entries, indices, "the entries behind it, by ledger index");
    assert_eq!(*forwarded.lock().unwrap(), alerts);

    // Reopened: the alert is still there; more reads by the insider in the same window raise no repeat.
    drop(b);
    let b = open_monitored();
    assert_eq!(b.alerts().unwrap(), alerts);
    let again = allowed_reads(
        &b,
        &insider,
        &adults[..1]
            .iter()
            .chain(planted.iter().map(|(c, _)| c))
            .copied()
            .collect::<Vec<_>>(),
    );
    assert!(!again.is_empty());
    assert_eq!(b.alerts().unwrap(), alerts);
}

/// Under a legal hold, data the brokerage still retains is read for its purposes as before, while data the
/// hold alone keeps (retention found it due) is restricted to storage: refused for servicing, read by
/// compliance for the proceedings with a ticket (the gate's `legal_hold` and `storage_only` facts).
#[test]
fn held_data_is_read_only_for_the_purposes_a_hold_allows() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let customers = onboard(&b);
    let (manager, _) = principal(
        "emp-0020",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        true,
    );
    let (officer, _) = principal("emp-0021", &["compliance"], &[Purpose::LegalCompliance], true);
    b.put_principal(&manager).unwrap();
    b.put_principal(&officer).unwrap();
    b.place_hold(custodia_retention::PlaceHold {
        reason: "court order 2026-17".into(),
        scope: custodia_retention::HoldScope::new(custodia_retention::HeldCustomers::All, Vec::new()),
        by: ActorId::new("legal-1").unwrap(),
        on: date(),
    })
    .unwrap();
    let cats = [DataCategory::Identity];
    let (mut retained, mut kept_by_hold) = (0, 0);
    for c in &customers {
        match b.read(read(&manager, *c, &cats, Purpose::PolicyServicing)) {
            Ok(_) => retained += 1,
            Err(BrokerageError::AccessDenied(denied)) => {
                assert!(
                    denied
                        .policies()
                        .iter()
                        .any(|p| p.id() == "storage-only-restricted"),
                    "{denied}"
                );
                kept_by_hold += 1;
                // Compliance reads it for the proceedings, naming the case.
                let mut request = read(&officer, *c, &cats, Purpose::LegalCompliance);
                request.ticket = Some(Ticket::new("case-2026-17").unwrap());
                let got = b.read(request.clone()).unwrap();
                assert_eq!(got.permit.categories(), CategorySet::from(cats));
                // Without the ticket: refused.
                request.ticket = None;
                assert!(matches!(b.read(request), Err(BrokerageError::AccessDenied(_))));
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(
        retained > 0 && kept_by_hold > 0,
        "{retained} retained, {kept_by_hold} kept by the hold"
    );
}

/// The access log's retention on an append-only ledger: entries past the configured months are redacted
/// (payload and salt erased, leaf hash kept), the ledger still verifies, newer entries stay, and a setting
/// below the legal six months is refused.
#[test]
fn expired_access_entries_are_redacted_and_the_ledger_still_verifies() {
    use custodia_access::LogSettings;
    assert!(matches!(
        LogSettings::new(5),
        Err(AccessError::InvalidSettings {
            field: "retention_months",
            ..
        })
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let clock = ManualClock::at(now());
    let open_with = |settings: LogSettings| {
        let config = BrokerageConfig::sqlite(&path)
            .with_clock(clock.clone())
            .with_access_log(settings);
        Brokerage::open(config, &StaticKeySource::new(KEY))
    };
    // A setting made past the constructor is refused at open.
    assert!(open_with(LogSettings { retention_months: 1 }).is_err());
    let b = open_with(LogSettings::new(6).unwrap()).unwrap();
    let customers = onboard(&b);
    let (officer, _) = principal("emp-0030", &["compliance"], &[Purpose::LegalCompliance], true);
    b.put_principal(&officer).unwrap();
    let ask = |c: CustomerId| {
        let mut r = read(&officer, c, &[DataCategory::Identity], Purpose::LegalCompliance);
        r.ticket = Some(Ticket::new("audit-2026").unwrap());
        r
    };
    let old: Vec<u64> = customers[..3]
        .iter()
        .map(|c| b.read(ask(*c)).unwrap().entry_index)
        .collect();
    assert_eq!(b.expire_access_log().unwrap(), 0, "nothing has expired yet");
    // Seven months on: the old entries have expired; a new read has not.
    clock.set(now() + Duration::days(213));
    let new = b.read(ask(customers[0])).unwrap().entry_index;
    assert_eq!(b.expire_access_log().unwrap(), 3);
    let logged: Vec<u64> = customers[..3]
        .iter()
        .flat_map(|c| b.access_log_of(*c).unwrap())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(logged, vec![new], "only the new entry is left to read");
    for i in &old {
        assert!(b.destruction_certificate(*i).is_err(), "entry {i} is redacted");
    }
    let verified = b.verify_ledger().unwrap();
    assert_eq!(verified.redacted(), 3);
    assert_eq!(
        b.expire_access_log().unwrap(),
        0,
        "a second run redacts nothing more"
    );
}

/// The gate decides on the principal's record as stored at the moment of the read: a training record
/// that lapsed, or a role taken away, takes effect at the next read (PIPL Art 51(4)), though the previous
/// read decoded the old record.
#[test]
fn a_changed_principal_record_takes_effect_at_the_next_read() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let customers = onboard(&b);
    let (manager, _) = principal(
        "emp-0001",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        true,
    );
    b.put_principal(&manager).unwrap();
    let cats = [DataCategory::Identity];
    let customer = customers
        .iter()
        .copied()
        .find(|c| {
            b.read(read(&manager, *c, &cats, Purpose::PolicyServicing))
                .is_ok()
        })
        .expect("some customer of the book is not restricted");
    // Twice, so that the second read is decided on the record decoded by the first.
    b.read(read(&manager, customer, &cats, Purpose::PolicyServicing))
        .unwrap();

    let untrained = Principal::new(PrincipalFields {
        id: manager.id().clone(),
        kind: PrincipalKind::Staff,
        roles: manager.roles().clone(),
        department: manager.department().clone(),
        purposes: manager.purposes().clone(),
        training: Vec::new(),
        verifying_key: *manager.verifying_key(),
    })
    .unwrap();
    b.put_principal(&untrained).unwrap();
    match b.read(read(&manager, customer, &cats, Purpose::PolicyServicing)) {
        Err(BrokerageError::AccessDenied(denied)) => assert!(
            denied.policies().iter().any(|p| p.id() == "training-required"),
            "{denied}"
        ),
        other => panic!("expected a denial by the training rule, got {other:?}"),
    }

    b.put_principal(&manager).unwrap();
    b.read(read(&manager, customer, &cats, Purpose::PolicyServicing))
        .unwrap();
}
