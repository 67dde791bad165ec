//! The test kit's consent conversion and sample parties: events match their facts, the sample agreement signs
//! and decodes, and the retention book is deterministic.

// Helpers outside #[test] functions may unwrap too: a panic in a test is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, NaiveDate};
use custodia_consent::{ConsentForm, Digest, EventKind, NoticeId, NoticeRef, TransferPath};
use custodia_model::{ActorId, CustomerId, DataCategory, Purpose};
use custodia_synthetic::book::{BookConfig, ConsentFact, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, withdrawals};
use custodia_synthetic::parties::{SampleKeys, sign, terms};
use custodia_transfer::SignedAgreement;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn recording() -> Recording {
    Recording {
        notice: NoticeRef {
            id: NoticeId::new_v7(),
            version: 1,
        },
        recorded_by: ActorId::new("clerk-7").unwrap(),
        evidence: Digest::of(b"scan"),
        grant_delay: Duration::days(3),
        withdrawal_delay: Duration::days(1),
    }
}

#[test]
fn a_withdrawn_guardian_grant_becomes_two_events_of_one_scope() {
    let fact = ConsentFact {
        purpose: Purpose::Marketing,
        categories: vec![DataCategory::Contact, DataCategory::MarketingPreferences],
        separate: false,
        granted_at: day(2024, 3, 1),
        withdrawn_at: Some(day(2025, 1, 2)),
        by_guardian: true,
    };
    let customer = CustomerId::new_v7();
    let events = consent_events(customer, &fact, &recording()).unwrap();
    assert_eq!(events.len(), 2);
    let (grant, withdrawal) = (&events[0], &events[1]);
    assert!(matches!(grant.kind(), EventKind::GuardianGranted { .. }));
    assert_eq!(withdrawal.kind(), EventKind::Withdrawn);
    assert_eq!(grant.scope(), withdrawal.scope());
    assert_eq!(grant.form(), ConsentForm::Bundled);
    assert_eq!(grant.customer(), customer);
    assert_eq!(grant.effective_at(), at_nine(day(2024, 3, 1)).unwrap());
    assert_eq!(grant.recorded_at(), grant.effective_at() + Duration::days(3));
    assert_eq!(
        withdrawal.recorded_at(),
        withdrawal.effective_at() + Duration::days(1)
    );
    assert_eq!(grant.fields().recorded_by.as_str(), "clerk-7");
    assert_eq!(withdrawals(&[fact]), vec![(Purpose::Marketing, day(2025, 1, 2))]);
}

#[test]
fn every_fact_of_a_book_converts() {
    let as_of = day(2026, 6, 30);
    let config = BookConfig {
        customers: 60,
        ..BookConfig::default()
    };
    let r = recording();
    let mut events = 0;
    for c in SyntheticBook::stream(&config, as_of).unwrap() {
        let c = c.unwrap();
        for f in &c.consents {
            let made = consent_events(c.customer.id(), f, &r).unwrap();
            assert_eq!(made.len(), 1 + usize::from(f.withdrawn_at.is_some()));
            events += made.len();
        }
    }
    assert!(events > 60);
}

#[test]
fn the_sample_agreement_signs_and_decodes() {
    let keys = SampleKeys::generate().unwrap();
    for path in [TransferPath::MergerNotice, TransferPath::SeparateConsent] {
        let agreement = sign(&keys, terms(&keys, path).unwrap()).unwrap();
        let decoded = SignedAgreement::decode(&agreement.encode()).unwrap();
        assert_eq!(decoded.digest(), agreement.digest());
        assert_eq!(decoded.terms().legal_path, path);
        assert_eq!(
            decoded.terms().buyer.verifying_key(),
            &keys.buyer_sign.verifying_key()
        );
    }
}

#[test]
fn the_retention_book_is_the_same_for_the_same_seed() {
    let as_of = day(2026, 1, 1);
    let a: Vec<_> = custodia_synthetic::retention::book(5, 50, as_of).collect();
    let b: Vec<_> = custodia_synthetic::retention::book(5, 50, as_of).collect();
    assert_eq!(a, b);
    assert_eq!(custodia_synthetic::retention::facts(5, 7, as_of), a[7]);
}
