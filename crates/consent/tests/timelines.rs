//! Hand-worked timelines: what `permits` answers at a use time `at`, as known at `as_of`.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use custodia_consent::*;
use custodia_model::{DataCategory, Jurisdiction, LegalBasis, Purpose};

fn marketing_contact() -> ProposedUse {
    ProposedUse::domestic(Purpose::Marketing, DataCategory::Contact)
}

#[test]
fn backdated_paper_consent_is_invisible_before_it_was_recorded() {
    // Signed on paper on day 10, keyed in on day 20.
    let c = customer(1);
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(EventSpec::grant(c, day(10)).recorded(day(20)).build()),
    ]);
    let s = Subject::new(c);
    let u = marketing_contact();
    // Asked on day 15 about day 12: the ledger did not know yet.
    let then = index.permits(&s, &u, day(12), day(15));
    assert_eq!(then.outcome(), ConsentOutcome::Denied);
    assert!(then.has_rule(ConsentRule::NoConsent));
    // Asked today about day 12: the consent had taken effect on day 10.
    let now = index.permits(&s, &u, day(12), day(30));
    assert!(now.is_permitted());
    assert_eq!(now.basis(), Some(LegalBasis::Consent));
    assert_eq!(now.evidence(), &[1]);
    assert_eq!(now.reasons()[0].citation.to_string(), "PIPL Art 14");
    // Before day 10 it never covered anything, whatever we know now.
    assert!(!index.permits(&s, &u, day(9), day(30)).is_permitted());
}

#[test]
fn withdrawal_recorded_late_is_not_retroactive_and_changes_past_answers_only_as_of_later() {
    let c = customer(2);
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(EventSpec::grant(c, day(1)).build()),
        // Withdrawn by letter on day 40, entered on day 50.
        ConsentRecord::Event(
            EventSpec::grant(c, day(40))
                .kind(EventKind::Withdrawn)
                .recorded(day(50))
                .build(),
        ),
    ]);
    let s = Subject::new(c);
    let u = marketing_contact();
    // Before the withdrawal took effect: permitted, whatever we know.
    assert!(index.permits(&s, &u, day(39), day(60)).is_permitted());
    // After it took effect but asked before it was recorded: the system said yes then.
    assert!(index.permits(&s, &u, day(45), day(45)).is_permitted());
    // The same use, asked now: denied, citing PIPL Art 15 and the withdrawal's ledger index.
    let d = index.permits(&s, &u, day(45), day(60));
    assert!(!d.is_permitted());
    let ended = d
        .reasons()
        .iter()
        .find(|r| r.rule == ConsentRule::Ended(EventKind::Withdrawn))
        .unwrap();
    assert_eq!(ended.citation.to_string(), "PIPL Art 15");
    assert_eq!(ended.entry, Some(2));
    assert_eq!(d.evidence(), &[1, 2]);
}

#[test]
fn a_new_grant_after_a_withdrawal_covers_again() {
    let c = customer(3);
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(EventSpec::grant(c, day(1)).build()),
        ConsentRecord::Event(EventSpec::grant(c, day(5)).kind(EventKind::Objected).build()),
        ConsentRecord::Event(EventSpec::grant(c, day(9)).build()),
    ]);
    let s = Subject::new(c);
    let u = marketing_contact();
    let objected = index.permits(&s, &u, day(6), day(99));
    assert!(objected.has_rule(ConsentRule::Ended(EventKind::Objected)));
    assert_eq!(objected.reasons()[0].citation.to_string(), "PIPL Art 44");
    let again = index.permits(&s, &u, day(10), day(99));
    assert!(again.is_permitted());
    assert_eq!(again.evidence(), &[3]);
}

#[test]
fn a_grant_under_an_older_notice_does_not_reach_what_a_material_change_added() {
    let c = customer(4);
    let v1 = notice_v1();
    let mut spec = NoticeSpec {
        version: 2,
        purposes: vec![Purpose::Marketing, Purpose::Analytics, Purpose::Transfer],
        categories: vec![
            DataCategory::Contact,
            DataCategory::Identity,
            DataCategory::Health,
        ],
        recipients: vec![],
        destinations: vec![],
    };
    spec.categories.push(DataCategory::Policies);
    let v2 = notice(spec);
    assert!(v2.changes_from(&v1).unwrap().is_material());
    // The grant names Policies although v1 never disclosed it (a data-entry error, or a form reused).
    let mut g = EventSpec::grant(c, day(1));
    g.categories.push(DataCategory::Policies);
    let index = index_of(&[
        ConsentRecord::Notice(v1),
        ConsentRecord::Notice(v2),
        ConsentRecord::Event(g.build()),
    ]);
    let s = Subject::new(c);
    let d = index.permits(
        &s,
        &ProposedUse::domestic(Purpose::Marketing, DataCategory::Policies),
        day(2),
        day(2),
    );
    assert!(!d.is_permitted());
    assert!(d.has_rule(ConsentRule::NotInNotice(Dimension::Category)));
    assert!(
        index
            .permits(&s, &marketing_contact(), day(2), day(2))
            .is_permitted()
    );
    // Granted again under v2: covered.
    let mut g2 = EventSpec::grant(c, day(3));
    g2.categories = vec![DataCategory::Policies];
    g2.notice_version = 2;
    let mut records = vec![
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Notice(
            index
                .notice(NoticeRef {
                    id: notice_id(),
                    version: 2,
                })
                .unwrap()
                .clone(),
        ),
    ];
    records.push(ConsentRecord::Event(g2.build()));
    let index = index_of(&records);
    assert!(
        index
            .permits(
                &s,
                &ProposedUse::domestic(Purpose::Marketing, DataCategory::Policies),
                day(4),
                day(4)
            )
            .is_permitted()
    );
}

#[test]
fn sensitive_third_party_and_cross_border_uses_need_separate_consent() {
    let c = customer(5);
    let buyer = party(1);
    let v3 = notice(NoticeSpec {
        version: 3,
        purposes: vec![Purpose::Marketing],
        categories: vec![DataCategory::Contact, DataCategory::Health],
        recipients: vec![Recipient::ThirdParty(buyer)],
        destinations: vec![Jurisdiction::HONG_KONG],
    });
    let mut bundled = EventSpec::grant(c, day(1));
    bundled.notice_version = 3;
    bundled.categories = vec![DataCategory::Health];
    let mut separate = EventSpec::grant(c, day(2));
    separate.notice_version = 3;
    separate.categories = vec![DataCategory::Contact];
    separate.recipient = Recipient::ThirdParty(buyer);
    separate.destinations = vec![Jurisdiction::HONG_KONG];
    separate.separate = true;
    let index = index_of(&[
        ConsentRecord::Notice(v3),
        ConsentRecord::Event(bundled.build()),
        ConsentRecord::Event(separate.build()),
    ]);
    let s = Subject::new(c);
    let health = index.permits(
        &s,
        &ProposedUse::domestic(Purpose::Marketing, DataCategory::Health),
        day(5),
        day(5),
    );
    assert!(!health.is_permitted());
    let r = health
        .reasons()
        .iter()
        .find(|r| r.rule == ConsentRule::SeparateConsentRequired(SeparateBecause::SensitiveCategory))
        .unwrap();
    assert_eq!(r.citation.to_string(), "PIPL Art 29");

    let abroad = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::ThirdParty(buyer),
        Jurisdiction::HONG_KONG,
    );
    assert!(index.permits(&s, &abroad, day(5), day(5)).is_permitted());
    let elsewhere = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::ThirdParty(buyer),
        Jurisdiction::new("US").unwrap(),
    );
    let d = index.permits(&s, &elsewhere, day(5), day(5));
    assert!(d.has_rule(ConsentRule::OutsideScope(Dimension::Destination)));
    assert_eq!(
        d.reasons()
            .iter()
            .find(|r| r.rule == ConsentRule::OutsideScope(Dimension::Destination))
            .unwrap()
            .citation
            .to_string(),
        "PIPL Art 39"
    );
    // The controller itself has no consent for contact data: the third party's grant is not its own.
    let own = index.permits(&s, &marketing_contact(), day(5), day(5));
    assert!(own.has_rule(ConsentRule::OutsideScope(Dimension::Recipient)));
}

#[test]
fn a_minor_needs_a_guardian_and_a_grant_made_as_a_minor_stays_invalid() {
    let c = customer(6);
    // Turns 14 on 2025-03-01 (day 59).
    let s = Subject::born(c, NaiveDate::from_ymd_opt(2011, 3, 1).unwrap());
    let mut own = EventSpec::grant(c, day(10));
    own.separate = true;
    let mut guardian = EventSpec::grant(c, day(20)).kind(EventKind::GuardianGranted {
        guardian: GuardianId::new_v7(),
    });
    guardian.separate = true;
    guardian.purposes = vec![Purpose::Analytics];
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(own.build()),
        ConsentRecord::Event(guardian.build()),
    ]);
    let d = index.permits(&s, &marketing_contact(), day(30), day(99));
    assert!(d.has_rule(ConsentRule::GuardianConsentRequired));
    assert_eq!(d.reasons()[0].citation.to_string(), "PIPL Art 31");
    // Still invalid after the 14th birthday: it was given by a child.
    assert!(
        !index
            .permits(&s, &marketing_contact(), day(70), day(99))
            .is_permitted()
    );
    let analytics = ProposedUse::domestic(Purpose::Analytics, DataCategory::Contact);
    assert!(index.permits(&s, &analytics, day(30), day(99)).is_permitted());
    // Under the GDPR profile the guardian age is 16, the same grants are judged the same way (asked about a
    // use in Germany: a use in mainland China would first need a Chapter V ground, GDPR Art 44).
    let in_germany = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::Controller,
        Jurisdiction::new("DE").unwrap(),
    );
    let d = index.permits_under(&BasisPolicy::gdpr(), &s, &in_germany, day(30), day(99));
    assert_eq!(
        d.reasons()
            .iter()
            .find(|r| r.rule == ConsentRule::GuardianConsentRequired)
            .unwrap()
            .citation
            .to_string(),
        "GDPR Art 8(1)"
    );
}

#[test]
fn a_minors_bundled_grant_is_not_separate_consent() {
    let c = customer(7);
    let s = Subject::born(c, NaiveDate::from_ymd_opt(2015, 6, 1).unwrap());
    let g = EventSpec::grant(c, day(1)).kind(EventKind::GuardianGranted {
        guardian: GuardianId::new_v7(),
    });
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(g.build()),
    ]);
    let d = index.permits(&s, &marketing_contact(), day(2), day(2));
    assert!(d.has_rule(ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData)));
}

#[test]
fn expiry_ends_a_grant() {
    let c = customer(8);
    let mut g = EventSpec::grant(c, day(1));
    g.expires = Some(day(31));
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(g.build()),
    ]);
    let s = Subject::new(c);
    assert!(
        index
            .permits(&s, &marketing_contact(), day(30), day(99))
            .is_permitted()
    );
    let d = index.permits(&s, &marketing_contact(), day(31), day(99));
    assert!(d.has_rule(ConsentRule::Expired));
}

#[test]
fn contract_and_legal_obligation_need_no_consent_but_name_the_basis() {
    let index = index_of(&[]);
    let s = Subject::new(customer(9));
    let d = index.permits(
        &s,
        &ProposedUse::domestic(Purpose::ClaimsAssistance, DataCategory::Health),
        day(1),
        day(1),
    );
    assert!(d.is_permitted());
    assert_eq!(d.basis(), Some(LegalBasis::Contract));
    assert_eq!(d.reasons()[0].citation.to_string(), "PIPL Art 13(1)(2)");
    let d = index.permits(
        &s,
        &ProposedUse::domestic(Purpose::LegalCompliance, DataCategory::KycAml),
        day(1),
        day(1),
    );
    assert_eq!(d.basis(), Some(LegalBasis::LegalObligation));
    // A purpose without a rule is denied.
    let d = index.permits(
        &s,
        &ProposedUse::domestic(Purpose::custom("profiling").unwrap(), DataCategory::Contact),
        day(1),
        day(1),
    );
    assert!(!d.is_permitted());
    assert!(d.has_rule(ConsentRule::NoBasis));
    assert_eq!(d.basis(), None);
}

#[test]
fn a_successor_inherits_controller_grants_once_notified_under_art_22() {
    let c = customer(10);
    let buyer = party(2);
    let merger_notice = notice(NoticeSpec {
        version: 2,
        purposes: vec![Purpose::Marketing, Purpose::Analytics, Purpose::Transfer],
        categories: vec![
            DataCategory::Contact,
            DataCategory::Identity,
            DataCategory::Health,
        ],
        recipients: vec![Recipient::Successor(buyer)],
        destinations: vec![],
    });
    let mut served = EventSpec::grant(c, day(50)).kind(EventKind::NoticeServed);
    served.notice_version = 2;
    served.recipient = Recipient::Successor(buyer);
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Notice(merger_notice),
        ConsentRecord::Event(EventSpec::grant(c, day(1)).build()),
        ConsentRecord::Event(served.build()),
        ConsentRecord::Event(EventSpec::grant(c, day(70)).kind(EventKind::Withdrawn).build()),
    ]);
    let s = Subject::new(c);
    let by_buyer = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::Successor(buyer),
        Jurisdiction::MAINLAND_CHINA,
    );
    let before = index.permits(&s, &by_buyer, day(40), day(99));
    assert!(before.has_rule(ConsentRule::SuccessorNotNotified));
    let after = index.permits(&s, &by_buyer, day(60), day(99));
    assert!(after.is_permitted());
    assert!(after.has_rule(ConsentRule::SuccessorNotified));
    assert_eq!(after.evidence(), &[2]);
    // The customer withdraws from the seller: the buyer's inherited grant ends too, and the buyer must be told.
    assert!(!index.permits(&s, &by_buyer, day(71), day(99)).is_permitted());
    let tell = index.recipients_to_tell(c, 4).unwrap();
    assert_eq!(tell.len(), 1);
    assert_eq!(tell[0].recipient, Recipient::Successor(buyer));
    assert_eq!(tell[0].because, vec![2, 3]);
    assert_eq!(tell[0].citation.to_string(), "PIPL Art 22");
    assert!(matches!(
        index.recipients_to_tell(c, 2),
        Err(ConsentError::NotIndexed { index: 2, .. })
    ));
}

#[test]
fn a_withdrawal_from_the_controller_is_passed_to_third_parties_that_received_the_data() {
    let c = customer(11);
    let (a, b) = (party(3), party(4));
    let v = notice(NoticeSpec {
        version: 5,
        purposes: vec![Purpose::Marketing, Purpose::Analytics],
        categories: vec![DataCategory::Contact],
        recipients: vec![Recipient::ThirdParty(a), Recipient::ThirdParty(b)],
        destinations: vec![],
    });
    let to = |p, purpose: Purpose, t| {
        let mut g = EventSpec::grant(c, t);
        g.recipient = Recipient::ThirdParty(p);
        g.purposes = vec![purpose];
        g.separate = true;
        g.notice_version = 5;
        ConsentRecord::Event(g.build())
    };
    let index = index_of(&[
        ConsentRecord::Notice(v),
        to(a, Purpose::Marketing, day(1)),
        to(b, Purpose::Analytics, day(2)),
        ConsentRecord::Event(EventSpec::grant(c, day(9)).kind(EventKind::Withdrawn).build()),
    ]);
    let tell = index.recipients_to_tell(c, 3).unwrap();
    assert_eq!(
        tell.iter().map(|p| p.recipient).collect::<Vec<_>>(),
        vec![Recipient::ThirdParty(a)],
        "only the recipient that got marketing data"
    );
    assert_eq!(tell[0].because, vec![1]);
}

#[test]
fn withdrawing_one_destination_keeps_domestic_processing() {
    let c = customer(12);
    let v = notice(NoticeSpec {
        version: 6,
        purposes: vec![Purpose::Marketing],
        categories: vec![DataCategory::Contact],
        recipients: vec![],
        destinations: vec![Jurisdiction::HONG_KONG],
    });
    let mut g = EventSpec::grant(c, day(1));
    g.destinations = vec![Jurisdiction::HONG_KONG];
    g.separate = true;
    g.notice_version = 6;
    let mut w = EventSpec::grant(c, day(5)).kind(EventKind::Withdrawn);
    w.destinations = vec![Jurisdiction::HONG_KONG];
    let index = index_of(&[
        ConsentRecord::Notice(v),
        ConsentRecord::Event(g.build()),
        ConsentRecord::Event(w.build()),
    ]);
    let s = Subject::new(c);
    let hk = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::Controller,
        Jurisdiction::HONG_KONG,
    );
    assert!(index.permits(&s, &hk, day(4), day(9)).is_permitted());
    assert!(!index.permits(&s, &hk, day(6), day(9)).is_permitted());
    assert!(
        index
            .permits(&s, &marketing_contact(), day(6), day(9))
            .is_permitted()
    );
}

#[test]
fn gdpr_profile_cites_the_gdpr() {
    let c = customer(13);
    let mut separate = EventSpec::grant(c, day(1));
    separate.separate = true;
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(separate.build()),
        ConsentRecord::Event(EventSpec::grant(c, day(3)).kind(EventKind::Withdrawn).build()),
    ]);
    let s = Subject::new(c);
    let policy = BasisPolicy::gdpr();
    // Used in Germany: inside the EEA, no transfer (GDPR Chapter V).
    let de = Jurisdiction::new("DE").unwrap();
    let marketing = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::Controller,
        de,
    );
    let ok = index.permits_under(&policy, &s, &marketing, day(2), day(9));
    assert!(ok.is_permitted());
    assert_eq!(ok.reasons()[0].citation.to_string(), "GDPR Art 7(1)");
    assert_eq!(ok.gdpr_basis(), Some(&custodia_model::GdprBasis::Consent));
    let no = index.permits_under(&policy, &s, &marketing, day(4), day(9));
    assert!(
        no.reasons()
            .iter()
            .any(|r| r.citation.to_string() == "GDPR Art 7(3)")
    );
    let servicing = ProposedUse::new(
        Purpose::PolicyServicing,
        DataCategory::Identity,
        Recipient::Controller,
        de,
    );
    let contract = index.permits_under(&policy, &s, &servicing, day(4), day(9));
    assert!(contract.is_permitted());
    assert_eq!(contract.reasons()[0].citation.to_string(), "GDPR Art 6(1)(b)");
    // The same use in mainland China is a transfer to a third country: refused until a ground is recorded.
    let in_china = index.permits_under(
        &policy,
        &s,
        &ProposedUse::domestic(Purpose::PolicyServicing, DataCategory::Identity),
        day(4),
        day(9),
    );
    assert!(!in_china.is_permitted());
    assert!(in_china.has_rule(ConsentRule::NoTransferGround));
    assert_eq!(in_china.reasons()[0].citation.to_string(), "GDPR Art 44");
}

#[test]
fn a_bundled_consent_is_no_consent_under_the_gdpr() {
    let c = customer(15);
    let index = index_of(&[
        ConsentRecord::Notice(notice_v1()),
        ConsentRecord::Event(EventSpec::grant(c, day(1)).build()),
    ]);
    let s = Subject::new(c);
    let de = Jurisdiction::new("DE").unwrap();
    let marketing = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::Controller,
        de,
    );
    let d = index.permits_under(&BasisPolicy::gdpr(), &s, &marketing, day(2), day(9));
    assert!(!d.is_permitted());
    let bundled = d
        .reasons()
        .iter()
        .find(|r| r.rule == ConsentRule::BundledConsent)
        .unwrap();
    assert_eq!(bundled.citation.to_string(), "GDPR Art 7(2)");
    // Under the PIPL the same bundled grant covers non-sensitive domestic marketing.
    assert!(
        index
            .permits(&s, &marketing_contact(), day(2), day(9))
            .is_permitted()
    );
}

#[test]
fn the_index_refuses_out_of_order_and_conflicting_entries() {
    let mut index = ConsentIndex::new(cn_policy());
    index.insert(5, &ConsentRecord::Notice(notice_v1())).unwrap();
    assert_eq!(
        index.insert(5, &ConsentRecord::Notice(notice_v1())),
        Err(ConsentError::IndexOrder { index: 5, last: 5 })
    );
    // The same notice again is fine; a different text under the same version is not.
    index.insert(6, &ConsentRecord::Notice(notice_v1())).unwrap();
    let mut other = notice_v1().fields().clone();
    other.text_digest = Digest::of(b"something else");
    assert!(matches!(
        index.insert(7, &ConsentRecord::Notice(Notice::new(other).unwrap())),
        Err(ConsentError::ConflictingNotice { version: 1, .. })
    ));
    let c = customer(14);
    index
        .insert(8, &ConsentRecord::Event(EventSpec::grant(c, day(1)).build()))
        .unwrap();
    assert_eq!(index.stats().events, 1);
    assert_eq!(index.forget_customer(c), 1);
    assert!(
        !index
            .permits(&Subject::new(c), &marketing_contact(), day(2), day(2))
            .is_permitted()
    );
    let _ = Duration::days(1);
}
