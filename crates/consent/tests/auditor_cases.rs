//! Issue 24's cases, one row each with its article and the answer fixed from the law before running, each
//! asked twice: once on the ledger as it stood at K, and again after later entries — recorded after K, and
//! chosen so that each would change the answer had it been known at K — were appended. An answer for
//! (T, K) never drifts.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::*;
use custodia_consent::*;
use custodia_model::{
    BalancingTest, BalancingTestFields, CustomerId, DataCategory, Jurisdiction, Purpose, TransferGround,
};

/// One row: the ledger at K, the question, and the answer the law gives.
struct Case {
    name: &'static str,
    policy: BasisPolicy,
    records: Vec<ConsentRecord>,
    subject: Subject,
    use_: ProposedUse,
    at: DateTime<Utc>,
    as_of: DateTime<Utc>,
    outcome: ConsentOutcome,
    /// A rule the reasons must name, with the article it must cite.
    rule: ConsentRule,
    article: &'static str,
    /// Entries recorded after K that would change the answer if they had been known at K.
    later: Vec<ConsentRecord>,
}

fn de() -> Jurisdiction {
    Jurisdiction::new("DE").unwrap()
}

fn beijing(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn grant(c: CustomerId, t: DateTime<Utc>) -> EventSpec {
    let mut g = EventSpec::grant(c, t);
    g.separate = true;
    g
}

fn guardian(spec: EventSpec) -> EventSpec {
    spec.kind(EventKind::GuardianGranted {
        guardian: GuardianId::from_uuid(uuid::Uuid::from_u128(0x6a)).unwrap(),
    })
}

/// A broad notice, version `v`, naming the third party 1 and the successor 2, with Hong Kong and mainland
/// China as destinations, published and recorded at `t`.
fn broad_notice(v: u32, t: DateTime<Utc>) -> Notice {
    notice_at(
        NoticeSpec {
            version: v,
            purposes: vec![
                Purpose::Marketing,
                Purpose::Analytics,
                Purpose::Transfer,
                Purpose::ProposalPreparation,
            ],
            categories: vec![
                DataCategory::Contact,
                DataCategory::Identity,
                DataCategory::Health,
                DataCategory::FinancialAccounts,
            ],
            recipients: vec![Recipient::ThirdParty(party(1)), Recipient::Successor(party(2))],
            destinations: vec![Jurisdiction::HONG_KONG, Jurisdiction::MAINLAND_CHINA],
        },
        t,
        t,
    )
}

fn ev(spec: EventSpec) -> ConsentRecord {
    ConsentRecord::Event(spec.build())
}

fn book_sale() -> BasisPolicy {
    BasisPolicy::gdpr_book_sale(
        BalancingTest::new(BalancingTestFields {
            reference: "LIA-2025-01".into(),
            interest: "sale of the brokerage business, continuity of cover".into(),
            concluded_on: NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(),
        })
        .unwrap(),
    )
}

fn cases() -> Vec<Case> {
    let c = |n: u128| customer(100 + n);
    let marketing = ProposedUse::domestic(Purpose::Marketing, DataCategory::Contact);
    let pipl = cn_policy();
    let mut rows = Vec::new();

    // Bitemporal notices.
    rows.push(Case {
        name: "a notice recorded after K is unknown as of K (the answer must not flip when it is appended)",
        policy: pipl.clone(),
        records: vec![ev(grant(c(1), day(10)))],
        subject: Subject::new(c(1)),
        use_: marketing.clone(),
        at: day(12),
        as_of: day(12),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::UnknownNotice,
        article: "PIPL Art 17",
        later: vec![ConsentRecord::Notice(notice_at(
            NoticeSpec {
                version: 1,
                purposes: vec![Purpose::Marketing],
                categories: vec![DataCategory::Contact],
                recipients: vec![],
                destinations: vec![],
            },
            day(0),
            day(20),
        ))],
    });
    rows.push(Case {
        name: "the same notice, as of after it was recorded: the consent was informed",
        policy: pipl.clone(),
        records: vec![
            ev(grant(c(1), day(10))),
            ConsentRecord::Notice(notice_at(
                NoticeSpec {
                    version: 1,
                    purposes: vec![Purpose::Marketing],
                    categories: vec![DataCategory::Contact],
                    recipients: vec![],
                    destinations: vec![],
                },
                day(0),
                day(20),
            )),
        ],
        subject: Subject::new(c(1)),
        use_: marketing.clone(),
        at: day(12),
        as_of: day(21),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::ConsentCovers,
        article: "PIPL Art 14",
        later: vec![ev(grant(c(1), day(11))
            .kind(EventKind::Withdrawn)
            .recorded(day(40)))],
    });
    rows.push(Case {
        name: "a consent citing a notice published after it took effect",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(15))),
            ev(grant(c(2), day(10)).recorded(day(16))),
        ],
        subject: Subject::new(c(2)),
        use_: marketing.clone(),
        at: day(20),
        as_of: day(20),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::NoticeAfterConsent,
        article: "PIPL Art 17",
        later: vec![],
    });

    // Guardians (PIPL 31).
    let adult = Subject::born(c(3), NaiveDate::from_ymd_opt(1990, 4, 2).unwrap());
    rows.push(Case {
        name: "a guardian's grant for a 34-year-old",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(guardian(grant(c(3), day(10)))),
        ],
        subject: adult,
        use_: marketing.clone(),
        at: day(12),
        as_of: day(12),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::GuardianForAdult,
        article: "PIPL Art 31",
        later: vec![],
    });
    rows.push(Case {
        name: "a guardian's grant for a person of unknown age",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(guardian(grant(c(4), day(10)))),
        ],
        subject: Subject::new(c(4)),
        use_: marketing.clone(),
        at: day(12),
        as_of: day(12),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::GuardianAgeUnknown,
        article: "PIPL Art 31",
        later: vec![],
    });
    // Born 2012-06-01: 12 on 2025-01-11 (day 10), 14 from 2026-06-01.
    let child = Subject::born(c(5), NaiveDate::from_ymd_opt(2012, 6, 1).unwrap());
    let bundled_at_12 = || {
        let mut g = guardian(EventSpec::grant(c(5), day(10)));
        g.separate = false;
        g
    };
    rows.push(Case {
        name: "a bundled guardian grant at 12 (a child's data is sensitive)",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(bundled_at_12()),
        ],
        subject: child,
        use_: marketing.clone(),
        at: day(12),
        as_of: day(12),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData),
        article: "PIPL Art 28",
        later: vec![],
    });
    let fourteen = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
    rows.push(Case {
        name: "the same grant after the 14th birthday: invalid when given, invalid now",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(bundled_at_12()),
        ],
        subject: child,
        use_: marketing.clone(),
        at: fourteen,
        as_of: fourteen,
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData),
        article: "PIPL Art 28",
        later: vec![],
    });
    // Born 2011-03-01: the 14th birthday begins at 2025-03-01 00:00 Beijing time (2025-02-28 16:00 UTC).
    let teen = Subject::born(c(6), NaiveDate::from_ymd_opt(2011, 3, 1).unwrap());
    rows.push(Case {
        name: "the customer's own grant at 07:00 Beijing time on the 14th birthday (still 28 February in UTC)",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(grant(c(6), beijing(2025, 3, 1, 7))),
        ],
        subject: teen,
        use_: marketing.clone(),
        at: beijing(2025, 3, 2, 12),
        as_of: beijing(2025, 3, 2, 12),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::ConsentCovers,
        article: "PIPL Art 14",
        later: vec![],
    });
    rows.push(Case {
        name: "a guardian's grant at 07:00 Beijing time on the 14th birthday",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(guardian(grant(c(6), beijing(2025, 3, 1, 7)))),
        ],
        subject: teen,
        use_: marketing.clone(),
        at: beijing(2025, 3, 2, 12),
        as_of: beijing(2025, 3, 2, 12),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::GuardianForAdult,
        article: "PIPL Art 31",
        later: vec![],
    });
    rows.push(Case {
        name: "the customer's own grant at 23:00 Beijing time the evening before the 14th birthday",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(grant(c(6), beijing(2025, 2, 28, 23))),
        ],
        subject: teen,
        use_: marketing.clone(),
        at: beijing(2025, 3, 2, 12),
        as_of: beijing(2025, 3, 2, 12),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::GuardianConsentRequired,
        article: "PIPL Art 31",
        later: vec![],
    });

    // Withdrawals reach third parties.
    let to_third_party = |cust, t| {
        let mut g = grant(cust, t);
        g.recipient = Recipient::ThirdParty(party(1));
        g
    };
    let by_third_party = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::ThirdParty(party(1)),
        Jurisdiction::MAINLAND_CHINA,
    );
    rows.push(Case {
        name: "providing to a third party after the customer withdrew from the controller",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(grant(c(7), day(1))),
            ev(to_third_party(c(7), day(2))),
            ev(EventSpec::grant(c(7), day(5)).kind(EventKind::Withdrawn)),
        ],
        subject: Subject::new(c(7)),
        use_: by_third_party.clone(),
        at: day(6),
        as_of: day(6),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::Ended(EventKind::Withdrawn),
        article: "PIPL Art 15",
        later: vec![],
    });
    let mut to_party = EventSpec::grant(c(8), day(5)).kind(EventKind::Withdrawn);
    to_party.recipient = Recipient::ThirdParty(party(1));
    rows.push(Case {
        name: "providing to the third party the customer withdrew the provision from",
        policy: pipl.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(grant(c(8), day(1))),
            ev(to_third_party(c(8), day(2))),
            ev(to_party),
        ],
        subject: Subject::new(c(8)),
        use_: by_third_party.clone(),
        at: day(6),
        as_of: day(6),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::Ended(EventKind::Withdrawn),
        article: "PIPL Art 15",
        later: vec![],
    });

    // A GDPR basis policy that is the GDPR's.
    let gdpr = BasisPolicy::gdpr();
    let in_de = |purpose, category| ProposedUse::new(purpose, category, Recipient::Controller, de());
    rows.push(Case {
        name: "health data for underwriting on the contract alone",
        policy: gdpr.clone(),
        records: vec![ConsentRecord::Notice(broad_notice(1, day(0)))],
        subject: Subject::new(c(9)),
        use_: in_de(Purpose::ProposalPreparation, DataCategory::Health),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::SeparateConsentRequired(SeparateBecause::SensitiveCategory),
        article: "GDPR Art 9(2)(a)",
        later: vec![],
    });
    let mut explicit = grant(c(9), day(1));
    explicit.purposes = vec![Purpose::ProposalPreparation];
    explicit.categories = vec![DataCategory::Health];
    rows.push(Case {
        name: "health data for underwriting with explicit consent",
        policy: gdpr.clone(),
        records: vec![ConsentRecord::Notice(broad_notice(1, day(0))), ev(explicit)],
        subject: Subject::new(c(9)),
        use_: in_de(Purpose::ProposalPreparation, DataCategory::Health),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::ConsentCovers,
        article: "GDPR Art 7(1)",
        later: vec![],
    });
    rows.push(Case {
        name: "financial accounts are not Art 9 data: contract suffices",
        policy: gdpr.clone(),
        records: vec![],
        subject: Subject::new(c(10)),
        use_: in_de(Purpose::PolicyServicing, DataCategory::FinancialAccounts),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::BasisWithoutConsent,
        article: "GDPR Art 6(1)(b)",
        later: vec![],
    });
    rows.push(Case {
        name: "consent bundled with other matters",
        policy: gdpr.clone(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(EventSpec::grant(c(11), day(1))),
        ],
        subject: Subject::new(c(11)),
        use_: in_de(Purpose::Marketing, DataCategory::Contact),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::BundledConsent,
        article: "GDPR Art 7(2)",
        later: vec![],
    });
    rows.push(Case {
        name: "data used in Norway has not left the EEA",
        policy: gdpr.clone(),
        records: vec![],
        subject: Subject::new(c(12)),
        use_: ProposedUse::new(
            Purpose::PolicyServicing,
            DataCategory::Identity,
            Recipient::Controller,
            Jurisdiction::new("NO").unwrap(),
        ),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::BasisWithoutConsent,
        article: "GDPR Art 6(1)(b)",
        later: vec![],
    });
    rows.push(Case {
        name: "data used in mainland China without a Chapter V ground",
        policy: gdpr.clone(),
        records: vec![],
        subject: Subject::new(c(12)),
        use_: ProposedUse::domestic(Purpose::PolicyServicing, DataCategory::Identity),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::NoTransferGround,
        article: "GDPR Art 44",
        later: vec![],
    });
    let scc = gdpr
        .with_transfer_rule(TransferRule {
            destination: Jurisdiction::MAINLAND_CHINA,
            ground: TransferGround::StandardContractualClauses {
                reference: "SCC (EU) 2021/914, module 1, signed 2024-11-02".into(),
            },
        })
        .unwrap();
    rows.push(Case {
        name: "data used in mainland China under standard contractual clauses",
        policy: scc,
        records: vec![],
        subject: Subject::new(c(12)),
        use_: ProposedUse::domestic(Purpose::PolicyServicing, DataCategory::Identity),
        at: day(3),
        as_of: day(3),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::TransferGroundApplies,
        article: "GDPR Art 46(2)(c)",
        later: vec![],
    });
    let to_buyer = ProposedUse::new(
        Purpose::Transfer,
        DataCategory::Contact,
        Recipient::Successor(party(2)),
        de(),
    );
    let mut served = EventSpec::grant(c(13), day(5)).kind(EventKind::NoticeServed);
    served.recipient = Recipient::Successor(party(2));
    served.purposes = vec![Purpose::Transfer];
    let served_spec = served;
    let served = || served_spec.clone();
    rows.push(Case {
        name: "the sale of the book on legitimate interests, before the notice naming the buyer",
        policy: book_sale(),
        records: vec![ConsentRecord::Notice(broad_notice(1, day(0)))],
        subject: Subject::new(c(13)),
        use_: to_buyer.clone(),
        at: day(6),
        as_of: day(6),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::RecipientNotNotified,
        article: "GDPR Art 13(1)(e)",
        later: vec![ev(served().recorded(day(30)))],
    });
    rows.push(Case {
        name: "the sale of the book on legitimate interests, once the notice was served",
        policy: book_sale(),
        records: vec![ConsentRecord::Notice(broad_notice(1, day(0))), ev(served())],
        subject: Subject::new(c(13)),
        use_: to_buyer.clone(),
        at: day(6),
        as_of: day(6),
        outcome: ConsentOutcome::Permitted,
        rule: ConsentRule::BasisWithoutConsent,
        article: "GDPR Art 6(1)(f)",
        later: vec![],
    });
    let mut objection = EventSpec::grant(c(13), day(5)).kind(EventKind::Objected);
    objection.purposes = vec![Purpose::Transfer];
    rows.push(Case {
        name: "the sale of the book on legitimate interests, after the customer objected",
        policy: book_sale(),
        records: vec![
            ConsentRecord::Notice(broad_notice(1, day(0))),
            ev(served()),
            ev(objection),
        ],
        subject: Subject::new(c(13)),
        use_: to_buyer,
        at: day(6),
        as_of: day(6),
        outcome: ConsentOutcome::Denied,
        rule: ConsentRule::Ended(EventKind::Objected),
        article: "GDPR Art 21",
        later: vec![],
    });
    rows
}

/// Entries every row gets after K, recorded 30 days after it: a withdrawal and a fresh separate grant for
/// everything, effective before the question's time, a guardian's grant, a notice served naming both
/// recipients, a new notice version, and grants by the other customers.
fn generic_later(case: &Case) -> Vec<ConsentRecord> {
    let c = case.subject.customer();
    let late = case.as_of + Duration::days(30);
    let before = case.at - Duration::days(1);
    let wide = |mut g: EventSpec| {
        g.purposes = vec![
            Purpose::Marketing,
            Purpose::ProposalPreparation,
            Purpose::Transfer,
        ];
        g.categories = vec![
            DataCategory::Contact,
            DataCategory::Health,
            DataCategory::Identity,
        ];
        g.separate = true;
        g.recorded = late;
        g
    };
    let mut served = wide(EventSpec::grant(c, before).kind(EventKind::NoticeServed));
    served.recipient = Recipient::Successor(party(2));
    vec![
        ConsentRecord::Notice(broad_notice(7, before)),
        ev(wide(EventSpec::grant(c, before))),
        ev(wide(guardian(EventSpec::grant(c, before)))),
        ev(served),
        ev(wide(EventSpec::grant(c, before).kind(EventKind::Withdrawn))),
        ev(wide(EventSpec::grant(customer(999), before))),
    ]
    .into_iter()
    .map(|r| match r {
        // The notice, too, is recorded after K.
        ConsentRecord::Notice(n) => {
            let mut f = n.fields().clone();
            f.recorded_at = late;
            ConsentRecord::Notice(Notice::new(f).unwrap())
        }
        other => other,
    })
    .collect()
}

#[test]
fn every_case_has_its_answer_and_keeps_it_after_later_entries() {
    for case in cases() {
        let mut index = ConsentIndex::new(case.policy.clone());
        let mut next = 0u64;
        for r in &case.records {
            index.insert(next, r).unwrap();
            next += 1;
        }
        let first = index.permits(&case.subject, &case.use_, case.at, case.as_of);
        assert_eq!(
            first.outcome(),
            case.outcome,
            "{}: {:?}",
            case.name,
            first.reasons()
        );
        let deciding = first
            .reasons()
            .iter()
            .find(|r| r.rule == case.rule)
            .unwrap_or_else(|| panic!("{}: no {:?} in {:?}", case.name, case.rule, first.reasons()));
        assert_eq!(deciding.citation.to_string(), case.article, "{}", case.name);

        let mut later = case.later.clone();
        later.extend(generic_later(&case));
        for r in &later {
            let recorded = match r {
                ConsentRecord::Event(e) => e.recorded_at(),
                ConsentRecord::Notice(n) => n.fields().recorded_at,
                _ => unreachable!(),
            };
            assert!(
                recorded > case.as_of,
                "{}: a later entry must be recorded after K",
                case.name
            );
            index.insert(next, r).unwrap();
            next += 1;
        }
        let second = index.permits(&case.subject, &case.use_, case.at, case.as_of);
        assert_eq!(
            second, first,
            "{}: the answer drifted after later entries",
            case.name
        );
    }
}

#[test]
fn the_later_entries_would_have_changed_the_answers() {
    // The second asking is a real test only if the later entries matter: asked as of after them, most
    // answers change.
    let mut changed = 0;
    let all = cases();
    for case in &all {
        let mut index = ConsentIndex::new(case.policy.clone());
        let mut records = case.records.clone();
        records.extend(case.later.clone());
        records.extend(generic_later(case));
        for (i, r) in records.iter().enumerate() {
            index.insert(i as u64, r).unwrap();
        }
        let before = {
            let mut index = ConsentIndex::new(case.policy.clone());
            for (i, r) in case.records.iter().enumerate() {
                index.insert(i as u64, r).unwrap();
            }
            index.permits(&case.subject, &case.use_, case.at, case.as_of)
        };
        let now = index.permits(
            &case.subject,
            &case.use_,
            case.at,
            case.as_of + Duration::days(60),
        );
        if now.outcome() != before.outcome() || now.reasons() != before.reasons() {
            changed += 1;
        }
    }
    assert!(
        changed * 2 > all.len(),
        "only {changed} of {} answers depend on the later entries",
        all.len()
    );
}

#[test]
fn a_withdrawal_reaches_every_recipient_with_what_it_must_do() {
    let c = customer(200);
    let insurer = party(3);
    let mut provided = EventSpec::grant(c, day(2)).kind(EventKind::Provided);
    provided.recipient = Recipient::ThirdParty(insurer);
    provided.purposes = vec![Purpose::Marketing, Purpose::PolicyServicing];
    let mut to_a = grant(c, day(1));
    to_a.recipient = Recipient::ThirdParty(party(1));
    let index = index_of(&[
        ConsentRecord::Notice(broad_notice(1, day(0))),
        ev(grant(c, day(1))),
        ev(to_a),
        ev(provided),
        ev(EventSpec::grant(c, day(5)).kind(EventKind::Withdrawn)),
    ]);
    let tell = index.recipients_to_tell(c, 4).unwrap();
    let duties: Vec<(Recipient, PropagationDuty, String)> = tell
        .iter()
        .map(|p| (p.recipient, p.duty, p.citation.to_string()))
        .collect();
    assert_eq!(
        duties,
        vec![
            (
                Recipient::ThirdParty(party(1)),
                PropagationDuty::StopProcessing,
                "PIPL Art 23".into()
            ),
            // Marketing data went to the insurer too, and marketing rests on consent.
            (
                Recipient::ThirdParty(insurer),
                PropagationDuty::StopProcessing,
                "PIPL Art 23".into()
            ),
        ]
    );

    // An objection to servicing reaches the insurer, which received servicing data on the contract: it is
    // told, to check its own basis.
    let mut provided = EventSpec::grant(c, day(2)).kind(EventKind::Provided);
    provided.recipient = Recipient::ThirdParty(insurer);
    provided.purposes = vec![Purpose::PolicyServicing];
    let mut objection = EventSpec::grant(c, day(5)).kind(EventKind::Objected);
    objection.purposes = vec![Purpose::PolicyServicing];
    let index = index_of(&[
        ConsentRecord::Notice(broad_notice(1, day(0))),
        ev(provided),
        ev(objection),
    ]);
    let tell = index.recipients_to_tell(c, 2).unwrap();
    assert_eq!(tell.len(), 1);
    assert_eq!(tell[0].duty, PropagationDuty::Inform);
    assert_eq!(tell[0].because, vec![1]);
}
