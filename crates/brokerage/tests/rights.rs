//! Customers' requests through the brokerage on SQLite over real dates: a request received on Monday 28 September 2026 runs across the National Day holiday and a restart between every step; a deletion erases what may go and keeps what the AML floor keeps; a correction is a new version; a withdrawal goes through the consent path; a refusal carries its reasons and the route to court; the overdue list comes from the by-deadline index; a receipt verifies with public keys only and is refused when tampered.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_access::SignedApproval;
use custodia_brokerage::{
    Brokerage, BrokerageConfig, BrokerageError, Clock, ErasureRun, ManualClock, Onboarding, StaticKeySource,
    Update,
};
use custodia_consent::{BasisPolicy, Channel, Digest, EventKind, Notice, Regime, TransferPath};
use custodia_model::{ActorId, CustomerId, DataCategory, EmailAddress, Jurisdiction, Purpose};
use custodia_retention::{Holding, Holds, Profile, RetentionError, RetentionOutcome};
use custodia_rights::{
    Action, Answer, CategoryData, ComplaintContacts, Disposition, ErasureMethod, ExtensionReason, FieldPath,
    IdentityMethod, IdentityVerification, IdentityWait, Intake, KindCode, Language, Outcome, PackageContents,
    Refusal, RefusalCode, RequestId, RequestKind, ResponsePackage, ResponseReceipt, RightsError, StateCode,
    Step, VerifiedParty,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook, SyntheticCustomer};
use custodia_synthetic::consent::{Recording, consent_events, privacy_notice};
use custodia_synthetic::staff::Staff;
use custodia_transfer::facts::retention_facts;

const KEY: [u8; 32] = [0x52; 32];

/// 10:00 Beijing time (02:00 UTC) on a 2026 day.
fn beijing(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 2, 0, 0).unwrap()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn open(path: &Path, clock: &ManualClock) -> Brokerage {
    let config = BrokerageConfig::sqlite(path).with_clock(clock.clone());
    Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap()
}

/// A book whose customers are mostly former customers (so deletions have something to erase), all of
/// them resident in the mainland (PIPL requests).
fn book() -> Vec<SyntheticCustomer> {
    let config = BookConfig {
        seed: 18,
        customers: 80,
        share_ended: 0.6,
        share_foreign: 0.0,
        ..BookConfig::default()
    };
    SyntheticBook::generate(&config, date(5, 31))
        .unwrap()
        .customers()
        .iter()
        .filter(|c| c.customer.residence() == Jurisdiction::MAINLAND_CHINA)
        .cloned()
        .collect()
}

/// Publishes the privacy notice and onboards `customers`, with their consents when `consents` says so.
fn onboard(b: &Brokerage, customers: &[SyntheticCustomer], with_consents: Consents) -> Notice {
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@broker.example", beijing(5, 31)).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(notice.reference(), actor("clerk"), Digest::of(b"form"));
    let onboarding = customers.iter().map(|c| {
        let consents = match with_consents {
            Consents::Given => c
                .consents
                .iter()
                .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
                .collect(),
            Consents::None => Vec::new(),
        };
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
    });
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    notice
}

#[derive(Clone, Copy)]
enum Consents {
    Given,
    None,
}

fn intake(customer: CustomerId, kind: RequestKind, at: DateTime<Utc>) -> Intake {
    Intake::new(customer, kind, Channel::Web, at, actor("desk-1"))
}

fn document_check(at: DateTime<Utc>) -> IdentityVerification {
    IdentityVerification::verified(
        VerifiedParty::Requester,
        IdentityMethod::DocumentInspected,
        Digest::of(b"the officer's record of the check, counter 3"),
        actor("desk-1"),
        at,
    )
}

fn refusal(code: RefusalCode, kind: KindCode) -> Refusal {
    Refusal::new(
        code,
        kind,
        Regime::Pipl,
        Language::Zh,
        &ComplaintContacts::default(),
    )
    .unwrap()
}

/// Monday 28 September 2026, the working day before National Day (1–7 October, with Saturday 10 October a
/// make-up working day): 15 working days from the day after receipt end on Friday 23 October — 29 and 30
/// September, 8, 9, 10 (made up), 12–16, 19–23 October. Extended for complexity it is 30 days from receipt:
/// Wednesday 28 October, a working day. The brokerage is opened afresh for every step.
#[test]
fn a_request_received_on_28_september_runs_across_national_day_and_a_restart_between_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.db");
    let clock = ManualClock::at(beijing(9, 28));
    let customers = book();
    let customer = customers[0].customer.id();
    let id = {
        let b = open(&path, &clock);
        onboard(&b, &customers[..3], Consents::Given);
        let r = b
            .receive_request(intake(customer, RequestKind::Access, clock.now()))
            .unwrap();
        let deadline = r.deadline().unwrap();
        assert_eq!(deadline.last_day, date(10, 23));
        assert_eq!(
            deadline.closes_at,
            Utc.with_ymd_and_hms(2026, 10, 23, 16, 0, 0).unwrap(),
            "the end of the last day, 24:00 Beijing time"
        );
        assert_eq!(r.state(), StateCode::AwaitingIdentity);
        r.id()
    };
    clock.set(beijing(9, 29));
    {
        let b = open(&path, &clock);
        let r = b.request(id).unwrap();
        assert_eq!(
            r.state(),
            StateCode::AwaitingIdentity,
            "the request survived the restart"
        );
        // No package before identity is verified.
        assert!(matches!(
            r.verified(),
            Err(RightsError::IdentityNotVerified { .. })
        ));
        let r = b.record_identity(id, document_check(clock.now())).unwrap();
        assert_eq!(r.state(), StateCode::Verified);
    }
    clock.set(beijing(10, 9));
    {
        let b = open(&path, &clock);
        let r = b.extend_request(id, ExtensionReason::Complexity).unwrap();
        assert_eq!(r.deadline().unwrap().last_day, date(10, 28));
        // Once only.
        assert!(matches!(
            b.extend_request(id, ExtensionReason::Complexity),
            Err(BrokerageError::Rights(RightsError::ExtensionRefused { .. }))
        ));
    }
    clock.set(beijing(10, 20));
    let package = {
        let b = open(&path, &clock);
        let r = b.request(id).unwrap();
        let read = b.read_trusted(customer, &DataCategory::ALL).unwrap();
        let data = read
            .sections
            .iter()
            .map(|(category, plain)| CategoryData {
                customer,
                category: *category,
                value: serde_json::from_slice(plain).unwrap(),
            })
            .collect();
        let contents = PackageContents {
            data,
            ..PackageContents::default()
        };
        let package = ResponsePackage::build(&r.verified().unwrap(), contents, clock.now()).unwrap();
        let r = b
            .answer_request(id, Answer::done(Action::released(&package)))
            .unwrap();
        assert_eq!(r.state(), StateCode::Answered);
        assert!(!r.answered().unwrap().late);
        package
    };
    clock.set(beijing(10, 21));
    let b = open(&path, &clock);
    let receipt = b.issue_receipt(id).unwrap();
    assert_eq!(b.issue_receipt(id).unwrap(), receipt, "issued once, kept");
    // Every step is on the ledger as a rights entry, in order, and the ledger verifies.
    let history = b.request_history(id).unwrap();
    let steps: Vec<&str> = history
        .iter()
        .map(|(_, entry)| {
            assert_eq!((entry.request, entry.customer), (id, customer));
            entry.step.code()
        })
        .collect();
    assert_eq!(steps, ["received", "identity_checked", "extended", "answered"]);
    b.verify_ledger().unwrap();
    drop(b);

    // Offline, with the brokerage's public keys only.
    let keys = open(&path, &clock).rights_keys();
    let verified = ResponseReceipt::verify(&receipt, &keys).unwrap();
    assert_eq!(verified.body().outcome, Outcome::Fulfilled);
    assert_eq!(verified.body().request, id);
    assert_eq!(verified.body().answered_at, beijing(10, 20));
    assert_eq!(
        verified.body().deadline,
        Some(Utc.with_ymd_and_hms(2026, 10, 28, 16, 0, 0).unwrap())
    );
    assert!(verified.names_package(&package.to_bytes()));
    // Tampered anywhere it is refused; another brokerage's keys refuse it too.
    let text = String::from_utf8(receipt.clone()).unwrap();
    for (from, to) in [("fulfilled", "refused"), ("2026-10-20", "2026-10-19")] {
        assert!(text.contains(from), "{from}");
        let forged = text.replacen(from, to, 1);
        assert!(
            ResponseReceipt::verify(forged.as_bytes(), &keys).is_err(),
            "{from} → {to}"
        );
    }
    for at in [10, receipt.len() / 2, receipt.len() - 10] {
        let mut flipped = receipt.clone();
        flipped[at] ^= 0x01;
        assert!(ResponseReceipt::verify(&flipped, &keys).is_err(), "byte {at}");
    }
    let other_dir = tempfile::tempdir().unwrap();
    let other = {
        let config = BrokerageConfig::sqlite(other_dir.path().join("other.db")).with_clock(clock.clone());
        Brokerage::open(config, &StaticKeySource::new([0x53; 32])).unwrap()
    };
    assert!(ResponseReceipt::verify(&receipt, &other.rights_keys()).is_err());
}

/// PIPL Art 47: a former customer asks to delete everything. Retention decides over the sealed facts:
/// what is due goes (its sections deleted, a destruction certificate on the ledger), and the KYC data the
/// AML Law keeps ten years after the relationship ends stays, for storage only, refused with its article.
#[test]
fn a_deletion_erases_what_may_go_and_keeps_what_the_aml_floor_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.db");
    let clock = ManualClock::at(beijing(9, 28));
    let customers = book();
    // The first customer retention lets go in part while the AML floor keeps their KYC data, decided
    // independently here from the model record with the shipped profile.
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
    let profile = Profile::cn_insurance_broker().unwrap();
    let today = date(9, 29);
    let pick = customers
        .iter()
        .find(|c| {
            let facts = retention_facts(&c.customer, &[], &policy, today).unwrap();
            let decisions = profile.decide(&facts, &Holds::new(), today).unwrap();
            let outcome = |category| {
                decisions
                    .iter()
                    .find(|d| d.holding() == Holding::Category(category))
                    .map(|d| d.outcome())
            };
            matches!(
                outcome(DataCategory::KycAml),
                Some(RetentionOutcome::StorageOnly { .. })
            ) && decisions.iter().any(|d| d.outcome().is_destroy())
        })
        .expect("the book has a former customer whose KYC data the AML floor keeps");
    let customer = pick.customer.id();
    let b = open(&path, &clock);
    onboard(&b, &customers, Consents::None);
    let held_before = b.read_trusted(customer, &DataCategory::ALL).unwrap();
    let kind = RequestKind::Deletion {
        categories: BTreeSet::new(),
    };
    let id = b
        .receive_request(intake(customer, kind, clock.now()))
        .unwrap()
        .id();
    let run = |approvals: Vec<SignedApproval>| ErasureRun {
        operator: actor("ops-1"),
        approvals,
        language: Language::Zh,
    };
    // Nothing is erased before identity is verified; nor is there anything to sign.
    assert!(matches!(
        b.answer_deletion(id, run(Vec::new())),
        Err(BrokerageError::Rights(RightsError::IdentityNotVerified { .. }))
    ));
    assert!(b.deletion_approval_request(id, &actor("ops-1")).is_err());
    clock.set(beijing(9, 29));
    b.record_identity(id, document_check(clock.now())).unwrap();
    drop(b);
    let b = open(&path, &clock);
    // Two approvers (stored principals with the approver role) sign the erasure's destruction plan.
    let (dpo, cco, clerk) = (
        Staff::approver("dpo-1", clock.now()).unwrap(),
        Staff::approver("cco-1", clock.now()).unwrap(),
        Staff::new("clerk-1", &["clerk"], &[], clock.now()).unwrap(),
    );
    for s in [&dpo, &cco, &clerk] {
        b.put_principal(&s.principal).unwrap();
    }
    let request = b
        .deletion_approval_request(id, &actor("ops-1"))
        .unwrap()
        .expect("something is erased");
    let sign = |s: &Staff| s.sign(std::slice::from_ref(&request)).unwrap().remove(0);
    // One approver, or a clerk as the second: refused, nothing erased, the request still open.
    for approvals in [vec![sign(&dpo)], vec![sign(&dpo), sign(&clerk)]] {
        assert!(matches!(
            b.answer_deletion(id, run(approvals)),
            Err(BrokerageError::Retention(RetentionError::ApprovalRefused { .. }))
        ));
    }
    // Signed for another operator: refused (the plan names who makes and runs it).
    let theirs = b.deletion_approval_request(id, &actor("ops-9")).unwrap().unwrap();
    assert_ne!(theirs, request);
    let for_them = vec![
        dpo.sign(std::slice::from_ref(&theirs)).unwrap().remove(0),
        cco.sign(std::slice::from_ref(&theirs)).unwrap().remove(0),
    ];
    assert!(b.answer_deletion(id, run(for_them)).is_err());
    let still = b.read_trusted(customer, &DataCategory::ALL).unwrap();
    assert_eq!(
        still.sections.len(),
        held_before.sections.len(),
        "nothing was erased"
    );
    let done = b.answer_deletion(id, run(vec![sign(&dpo), sign(&cco)])).unwrap();
    assert_eq!(done.method, Some(ErasureMethod::DeleteCategory));
    assert_eq!(done.certificates.len(), 1);
    let answer = &done.request.answered().unwrap().answer;
    assert_eq!(answer.outcome(), Outcome::PartlyFulfilled);
    let kyc = done
        .plan
        .items()
        .iter()
        .find(|i| i.holding == Holding::Category(DataCategory::KycAml))
        .unwrap();
    assert!(matches!(kyc.disposition, Disposition::StorageOnly { .. }));
    let kept = answer
        .refusals()
        .find(|r| {
            matches!(r.code(), RefusalCode::RetentionFloor { holding, .. } if *holding == Holding::Category(DataCategory::KycAml))
        })
        .expect("the KYC data is refused with its floor");
    let cited: Vec<String> = kept.citations().iter().map(|c| c.to_string()).collect();
    assert!(cited.iter().any(|c| c.contains("AML")), "{cited:?}");
    assert!(kept.remedies().court.contains("人民法院"));
    // What was erased is gone from the vault; what is kept is still there.
    let erased: Vec<DataCategory> = answer
        .actions()
        .filter_map(|a| match a {
            Action::Erased {
                holding: Holding::Category(c),
                ..
            } => Some(*c),
            _ => None,
        })
        .collect();
    assert!(!erased.is_empty());
    assert!(!erased.contains(&DataCategory::KycAml));
    let held_after = b.read_trusted(customer, &DataCategory::ALL).unwrap();
    let after: Vec<DataCategory> = held_after.sections.iter().map(|(c, _)| *c).collect();
    for category in &erased {
        assert!(!after.contains(category), "{category:?} still readable");
    }
    assert!(after.contains(&DataCategory::KycAml));
    let before: Vec<DataCategory> = held_before.sections.iter().map(|(c, _)| *c).collect();
    for category in &after {
        assert!(before.contains(category));
    }
    // The certificate is on the ledger, and the answer came after it.
    let history = b.request_history(id).unwrap();
    assert!(done.certificates[0] < history.last().unwrap().0);
    assert!(matches!(
        history.last().unwrap().1.step,
        Step::Answered {
            outcome: Outcome::PartlyFulfilled,
            ..
        }
    ));
    // Answered: a second deletion answer is out of order and erases nothing more.
    assert!(matches!(
        b.answer_deletion(id, run(Vec::new())),
        Err(BrokerageError::Rights(RightsError::OutOfOrder {
            state: StateCode::Answered,
            ..
        }))
    ));
    let receipt = b.issue_receipt(id).unwrap();
    let verified = ResponseReceipt::verify(&receipt, &b.rights_keys()).unwrap();
    assert_eq!(verified.body().outcome, Outcome::PartlyFulfilled);
    assert!(verified.body().refusals.iter().any(|r| r == "retention_floor"));
}

/// PIPL Art 46: the customer says their e-mail address is wrong; the correction is a new record version
/// changing only that field, recorded with the answer in one unit of work. An update that changes another
/// field is refused and changes nothing.
#[test]
fn a_correction_is_a_new_version_of_the_fields_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(beijing(9, 28));
    let customers = book();
    let b = open(&dir.path().join("broker.db"), &clock);
    onboard(&b, &customers[..3], Consents::Given);
    let record = &customers[1].customer;
    let customer = record.id();
    let kind = RequestKind::Correction {
        fields: [FieldPath::new("contact.email").unwrap()].into(),
    };
    let id = b
        .receive_request(intake(customer, kind, clock.now()))
        .unwrap()
        .id();
    b.record_identity(id, document_check(clock.now())).unwrap();
    clock.set(beijing(10, 8));
    // Changing the mobile number too is more than was asked: refused, and the record stays at version 1.
    let mut too_much = record.to_fields();
    too_much.contact.email = Some(EmailAddress::new("corrected@example.com").unwrap());
    too_much.contact.mobile = None;
    let refused = b.answer_correction(
        id,
        Update {
            customer,
            from_version: 1,
            fields: too_much,
            by: actor("desk-2"),
        },
    );
    assert!(refused.is_err());
    assert_eq!(b.read_customer_trusted(customer).unwrap().version().number(), 1);
    assert_eq!(b.request(id).unwrap().state(), StateCode::Verified);
    // The e-mail alone: version 2, and the answer names it.
    let mut fields = record.to_fields();
    fields.contact.email = Some(EmailAddress::new("corrected@example.com").unwrap());
    let r = b
        .answer_correction(
            id,
            Update {
                customer,
                from_version: 1,
                fields,
                by: actor("desk-2"),
            },
        )
        .unwrap();
    let now = b.read_customer_trusted(customer).unwrap();
    assert_eq!(now.version().number(), 2);
    assert_eq!(
        now.contact().email.as_ref().map(|e| e.as_str()),
        Some("corrected@example.com")
    );
    let action = r.answered().unwrap().answer.actions().next().unwrap().clone();
    assert_eq!(
        action,
        Action::Corrected {
            version: 2,
            fields: [FieldPath::new("contact.email").unwrap()].into(),
        }
    );
    // No personal value in the stored request.
    let stored = serde_json::to_string(&b.request(id).unwrap()).unwrap();
    assert!(!stored.contains("corrected@example.com"));
}

/// PIPL Art 15: a withdrawal of marketing consent becomes a consent event recorded through the
/// brokerage's consent path (recording it again counts nothing twice) and the request is answered with it.
#[test]
fn a_withdrawal_is_a_consent_event_through_the_consent_path() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(beijing(9, 28));
    let customers = book();
    let b = open(&dir.path().join("broker.db"), &clock);
    let notice = onboard(&b, &customers[..3], Consents::Given);
    let customer = customers[2].customer.id();
    let kind = RequestKind::WithdrawConsent {
        purposes: [Purpose::Marketing].into(),
        categories: BTreeSet::new(),
    };
    let id = b
        .receive_request(intake(customer, kind, clock.now()))
        .unwrap()
        .id();
    b.record_identity(id, document_check(clock.now())).unwrap();
    clock.set(beijing(9, 30));
    let done = b
        .answer_consent_change(
            id,
            notice.reference(),
            Digest::of(b"the web form of the request"),
            actor("desk-3"),
        )
        .unwrap();
    assert_eq!(done.event.kind(), EventKind::Withdrawn);
    assert_eq!(done.event.customer(), customer);
    assert_eq!(done.event.effective_at(), beijing(9, 30));
    assert!(matches!(
        done.request.answered().unwrap().answer.actions().next(),
        Some(Action::ConsentEnded { consent_entry, .. }) if *consent_entry == done.entry
    ));
    // It is the consent ledger's own record, and recording it again counts nothing twice.
    let again = b.record_consent(std::slice::from_ref(&done.event)).unwrap();
    assert_eq!((again.recorded, again.already), (0, 1));
}

/// A refusal states its coded reason, its articles and the route to court (PIPL Art 50); an identity that
/// cannot be verified releases nothing; an answer claiming an erasure the brokerage did not carry out is
/// refused; unknown customers and duplicates are typed errors that record nothing.
#[test]
fn a_refusal_carries_its_reasons_and_unknown_customers_and_duplicates_record_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(beijing(9, 28));
    let customers = book();
    let b = open(&dir.path().join("broker.db"), &clock);
    onboard(&b, &customers[..3], Consents::Given);
    let customer = customers[0].customer.id();
    let size = b.verify_ledger().unwrap().size();

    let stranger = CustomerId::new_v7();
    assert!(matches!(
        b.receive_request(intake(stranger, RequestKind::Access, clock.now())),
        Err(BrokerageError::Rights(RightsError::UnknownCustomer { customer })) if customer == stranger
    ));
    assert_eq!(b.verify_ledger().unwrap().size(), size, "nothing recorded");

    let kind = RequestKind::Portability {
        recipient: custodia_rights::Reference::new("insurer-7").unwrap(),
    };
    let first = b
        .receive_request(intake(customer, kind.clone(), clock.now()))
        .unwrap();
    let size = b.verify_ledger().unwrap().size();
    assert!(matches!(
        b.receive_request(intake(customer, kind.clone(), clock.now())),
        Err(BrokerageError::Rights(RightsError::Duplicate { open, .. })) if open == first.id()
    ));
    assert_eq!(b.verify_ledger().unwrap().size(), size, "nothing recorded");
    // The same intake again is a retry: the stored request, nothing new.
    let again = b.receive_request(first.intake().clone()).unwrap();
    assert_eq!(again, first);
    assert_eq!(b.verify_ledger().unwrap().size(), size);

    let id = first.id();
    b.record_identity(id, document_check(clock.now()).failed())
        .unwrap();
    let erased = Answer::done(Action::Erased {
        holding: Holding::Category(DataCategory::Contact),
        method: ErasureMethod::CryptoShred,
    });
    assert!(matches!(
        b.answer_request(id, erased),
        Err(BrokerageError::InvalidInput { .. })
    ));
    let r = b
        .answer_request(
            id,
            Answer::refused(refusal(RefusalCode::IdentityNotVerifiable, KindCode::Portability)),
        )
        .unwrap();
    let answer = &r.answered().unwrap().answer;
    assert_eq!(answer.outcome(), Outcome::Refused);
    assert!(answer.package().is_none());
    let refused = answer.refusals().next().unwrap();
    let cited: Vec<String> = refused.citations().iter().map(|c| c.to_string()).collect();
    assert!(cited.iter().any(|c| c == "NDSR Art 25(1)(1)"), "{cited:?}");
    assert!(refused.remedies().court.contains("人民法院"));
    let receipt = b.issue_receipt(id).unwrap();
    let verified = ResponseReceipt::verify(&receipt, &b.rights_keys()).unwrap();
    assert_eq!(verified.body().outcome, Outcome::Refused);
    assert_eq!(verified.body().refusals, ["identity_not_verifiable"]);
    // Answered, it no longer blocks a new request of its kind.
    b.receive_request(intake(customer, kind, beijing(9, 29))).unwrap();
}

/// The overdue list comes from the by-deadline index: received on 28 September (closing at the end of 23
/// October) and on Friday 9 October (the worked Saturday 10 October counts: closing at the end of Thursday
/// 29 October), seen on 26 October, only the first is
/// late; an answered request and one whose clock is stopped (identity evidence awaited, with the pause
/// setting on) are not; answered late, the first leaves the lists and its receipt says it was late.
#[test]
fn overdue_requests_are_listed_by_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.db");
    let clock = ManualClock::at(beijing(9, 28));
    let customers = book();
    let b = open(&path, &clock);
    onboard(&b, &customers[..4], Consents::Given);
    let id = |i: usize| customers[i].customer.id();
    let late = b
        .receive_request(intake(id(0), RequestKind::Access, clock.now()))
        .unwrap();
    let answered = b
        .receive_request(intake(id(1), RequestKind::ExplainRules, clock.now()))
        .unwrap();
    b.record_identity(answered.id(), document_check(clock.now()))
        .unwrap();
    let explained = {
        let r = b.request(answered.id()).unwrap();
        ResponsePackage::build(&r.verified().unwrap(), PackageContents::default(), clock.now()).unwrap()
    };
    b.answer_request(answered.id(), Answer::done(Action::explained(&explained)))
        .unwrap();
    // The pause setting on: a request waiting for identity evidence has no running deadline.
    let mut config = b.rights_config().unwrap();
    config.settings.deadlines.identity_wait = IdentityWait::Paused;
    b.set_rights_config(&config).unwrap();
    let paused = b
        .receive_request(intake(id(3), RequestKind::Copy, clock.now()))
        .unwrap();
    let paused = b.ask_for_identity_evidence(paused.id()).unwrap();
    assert!(paused.deadline().is_none());
    clock.set(beijing(10, 9));
    let later = b
        .receive_request(intake(id(2), RequestKind::Copy, clock.now()))
        .unwrap();
    assert_eq!(later.deadline().unwrap().last_day, date(10, 29));
    drop(b);
    clock.set(beijing(10, 26));
    let b = open(&path, &clock);
    let open_ids: Vec<RequestId> = b.open_requests().unwrap().iter().map(|r| r.id()).collect();
    assert_eq!(
        open_ids,
        [late.id(), later.id(), paused.id()],
        "earliest close first, stopped clocks last"
    );
    let overdue = b.overdue_requests().unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].request, late.id());
    assert_eq!(overdue[0].kind, KindCode::Access);
    assert_eq!(
        overdue[0].closed_at,
        Utc.with_ymd_and_hms(2026, 10, 23, 16, 0, 0).unwrap()
    );
    b.record_identity(late.id(), document_check(clock.now())).unwrap();
    let package = {
        let r = b.request(late.id()).unwrap();
        ResponsePackage::build(&r.verified().unwrap(), PackageContents::default(), clock.now()).unwrap()
    };
    let r = b
        .answer_request(late.id(), Answer::done(Action::released(&package)))
        .unwrap();
    assert!(r.answered().unwrap().late);
    assert!(b.overdue_requests().unwrap().is_empty());
    let open_ids: Vec<RequestId> = b.open_requests().unwrap().iter().map(|r| r.id()).collect();
    assert_eq!(open_ids, [later.id(), paused.id()]);
    let receipt = b.issue_receipt(late.id()).unwrap();
    assert!(
        ResponseReceipt::verify(&receipt, &b.rights_keys())
            .unwrap()
            .body()
            .late
    );
}

/// An incident exposed identity data and its remedy forced the affected customer to verify again (GDPR
/// Art 12(6); PIPL Art 50, 51): a check dated before the mark, or one that relies on what was on file (a
/// session, a code to contact details on file, facts of the record), is refused by the incident's id and
/// changes nothing; an inspected document dated after the mark verifies and clears it, so the customer's
/// next request takes the usual checks. Another customer's requests are untouched throughout.
#[test]
fn after_a_forced_reverification_only_a_document_inspected_since_verifies_and_it_clears_the_mark() {
    use custodia_oversight::{Cause, IncidentKind, NewIncident, SystemCode};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.db");
    let clock = ManualClock::at(beijing(6, 1));
    let customers = book();
    let b = open(&path, &clock);
    onboard(&b, &customers[..2], Consents::Given);
    let (marked, other) = (customers[0].customer.id(), customers[1].customer.id());
    let received = clock.now();
    let before = b
        .receive_request(intake(marked, RequestKind::Access, received))
        .unwrap();
    let unmarked = b
        .receive_request(intake(other, RequestKind::Access, received))
        .unwrap();
    clock.set(beijing(6, 2));
    let incident = b
        .register_incident(NewIncident {
            discovered_at: clock.now(),
            kind: IncidentKind::Leak,
            systems: vec![SystemCode::new("crm").unwrap()],
            categories: [DataCategory::Identity, DataCategory::Contact].into(),
            cause: Cause::Unknown,
            stated_level: None,
            by: actor("sec-1"),
        })
        .unwrap();
    b.remedy_force_reverification(incident.id, &[marked], actor("sec-1"))
        .unwrap();
    let mark = b.reverification_required(marked).unwrap().unwrap();
    assert_eq!((mark.incident, mark.forced_at), (incident.id, clock.now()));
    assert_eq!(b.reverification_required(other).unwrap(), None);

    let refused = |check: IdentityVerification| {
        let refused = b.record_identity(before.id(), check).unwrap_err();
        assert!(
            matches!(
                refused,
                BrokerageError::ReverificationRequired { request, incident: i }
                    if request == before.id() && i == incident.id
            ),
            "{refused:?}"
        );
    };
    // A document inspected after receipt but before the mark.
    refused(document_check(received + chrono::Duration::hours(1)));
    // Methods that rely on what the incident may have exposed, even with high enough assurance.
    for method in [
        IdentityMethod::AuthenticatedSession,
        IdentityMethod::OneTimeCode,
        IdentityMethod::KnowledgeCheck,
    ] {
        refused(IdentityVerification::verified(
            VerifiedParty::Requester,
            method,
            Digest::of(b"record of the check"),
            actor("desk-1"),
            clock.now(),
        ));
    }
    assert_eq!(
        b.request(before.id()).unwrap().state(),
        StateCode::AwaitingIdentity
    );
    assert_eq!(b.reverification_required(marked).unwrap(), Some(mark));

    // The other customer's request takes the usual knowledge check.
    let knowledge = |at| {
        IdentityVerification::verified(
            VerifiedParty::Requester,
            IdentityMethod::KnowledgeCheck,
            Digest::of(b"policy number and start date compared"),
            actor("desk-1"),
            at,
        )
    };
    b.record_identity(unmarked.id(), knowledge(clock.now())).unwrap();

    // An inspected document after the mark verifies, and clears it.
    clock.set(beijing(6, 3));
    let r = b
        .record_identity(before.id(), document_check(clock.now()))
        .unwrap();
    assert!(r.verified().is_ok());
    assert_eq!(b.reverification_required(marked).unwrap(), None);
    let next = b
        .receive_request(intake(marked, RequestKind::Copy, clock.now()))
        .unwrap();
    b.record_identity(next.id(), knowledge(clock.now())).unwrap();
    b.verify_ledger().unwrap();
}

/// GDPR deadlines run on an EEA establishment's working days: settings read from a file that name a state
/// outside the EEA as the establishment are refused, and nothing is recorded.
#[test]
fn rights_settings_with_an_establishment_outside_the_eea_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(beijing(6, 1));
    let b = open(&dir.path().join("broker.db"), &clock);
    let mut config = serde_json::to_value(b.rights_config().unwrap()).unwrap();
    let calendar = custodia_model::WorkingDayCalendar::mainland_2026().unwrap();
    config["eea"] = serde_json::json!({ "calendar": calendar, "jurisdiction": "CN" });
    let config: custodia_brokerage::RightsConfig = serde_json::from_value(config).unwrap();
    let entries = b.verify_ledger().unwrap().size();
    assert!(matches!(
        b.set_rights_config(&config),
        Err(BrokerageError::Rights(_))
    ));
    assert_eq!(b.rights_config().unwrap().eea, None);
    assert_eq!(b.verify_ledger().unwrap().size(), entries);
}
