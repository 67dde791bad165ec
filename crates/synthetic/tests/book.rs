//! Properties of synthetic books: determinism, streaming, shares, valid checksums and coherent facts.

// Helpers outside #[test] functions may unwrap too: a panic in a test is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use custodia_model::{
    BankCardNumber, BookQualityReport, DataCategory, IdentityDocument, IssueKind, ModelError, Party,
    PartyKind, Purpose, QualityConfig, ResidentIdNumber, UnifiedSocialCreditCode,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

fn config(customers: u64, seed: u64) -> BookConfig {
    BookConfig {
        customers,
        seed,
        ..BookConfig::default()
    }
}

#[test]
fn same_seed_same_book_other_seed_other_book() {
    let a = SyntheticBook::generate(&config(300, 42), as_of()).unwrap();
    let b = SyntheticBook::generate(&config(300, 42), as_of()).unwrap();
    assert_eq!(a, b);
    let c = SyntheticBook::generate(&config(300, 43), as_of()).unwrap();
    assert_ne!(a.customers()[0], c.customers()[0]);
    assert_eq!(a.customers().len(), 300);
}

#[test]
fn stream_and_random_access_agree_with_generate() {
    let cfg = config(200, 7);
    let book = SyntheticBook::generate(&cfg, as_of()).unwrap();
    let stream = SyntheticBook::stream(&cfg, as_of()).unwrap();
    assert_eq!(stream.size_hint(), (200, Some(200)));
    for (streamed, generated) in stream.zip(book.customers()) {
        assert_eq!(&streamed.unwrap(), generated);
    }
    let tail: Vec<_> = SyntheticBook::stream(&cfg, as_of())
        .unwrap()
        .starting_at(150)
        .collect();
    assert_eq!(tail.len(), 50);
    assert_eq!(tail[0].as_ref().unwrap(), &book.customers()[150]);
    assert_eq!(
        &SyntheticBook::customer_at(&cfg, as_of(), 99).unwrap(),
        &book.customers()[99]
    );
}

#[test]
fn the_id_ordered_stream_is_the_same_book_sorted_by_id() {
    let cfg = config(300, 5);
    let mut book: Vec<_> = SyntheticBook::generate(&cfg, as_of())
        .unwrap()
        .customers()
        .to_vec();
    let ordered: Vec<_> = SyntheticBook::stream_in_id_order(&cfg, as_of())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_ne!(ordered, book, "generation order is not id order");
    book.sort_by_key(|c| c.customer.id());
    assert_eq!(ordered, book);
}

#[test]
fn ids_are_unique_v7() {
    let book = SyntheticBook::generate(&config(2000, 1), as_of()).unwrap();
    let mut ids: Vec<_> = book.records().map(|c| c.id()).collect();
    assert!(ids.iter().all(|id| id.as_uuid().get_version_num() == 7));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2000);
}

#[test]
fn shares_are_roughly_as_configured() {
    let cfg = config(5000, 9);
    let book = SyntheticBook::generate(&cfg, as_of()).unwrap();
    let n = 5000.0;
    let share = |pred: &dyn Fn(&custodia_model::Customer) -> bool| {
        book.records().filter(|c| pred(c)).count() as f64 / n
    };
    let orgs = share(&|c| c.kind() == PartyKind::Organization);
    let minors = share(&|c| c.is_minor_at(as_of()));
    let abroad = share(&|c| c.residence().is_outside_mainland());
    let passports = share(
        &|c| matches!(c.party(), Party::Person(p) if matches!(p.document(), IdentityDocument::Passport { .. })),
    );
    assert!(
        (orgs - cfg.share_organizations).abs() < 0.02,
        "organizations {orgs}"
    );
    assert!((minors - cfg.share_minors).abs() < 0.02, "minors {minors}");
    assert!(
        (passports - cfg.share_foreign).abs() < 0.015,
        "foreign {passports}"
    );
    assert!(abroad > 0.01 && abroad < passports, "abroad {abroad}");
    let health = share(&|c| c.health().is_some());
    assert!(health > 0.25 && health < 0.5, "health {health}");
    let bank = share(&|c| !c.accounts().is_empty());
    assert!(bank >= cfg.share_bank - 0.03, "bank {bank}");
    let ended = share(&|c| c.relationship_end().is_some());
    assert!(ended > 0.1 && ended <= cfg.share_ended + 0.02, "ended {ended}");
    let policies: Vec<_> = book.records().flat_map(|c| c.policies()).collect();
    let long = policies.iter().filter(|p| p.term_exceeds_one_year()).count() as f64 / policies.len() as f64;
    assert!(long > 0.25 && long < 0.5, "long {long}");
    let active = policies.iter().filter(|p| p.is_active_at(as_of())).count();
    assert!(active > 0 && active < policies.len());
    let earliest = policies.iter().map(|p| p.term_start()).min().unwrap();
    assert!(
        earliest < NaiveDate::from_ymd_opt(2012, 6, 30).unwrap(),
        "spread over 15 years: {earliest}"
    );
}

#[test]
fn every_generated_identifier_revalidates() {
    let book = SyntheticBook::generate(&config(1000, 3), as_of()).unwrap();
    for c in book.records() {
        match c.party() {
            Party::Person(p) => {
                if let IdentityDocument::ResidentId(id) = p.document() {
                    assert_eq!(ResidentIdNumber::new(id.as_str()).unwrap(), *id);
                    assert!(id.check_consistent(p.birth_date(), p.gender()).is_ok());
                }
            }
            Party::Organization(o) => {
                assert_eq!(
                    UnifiedSocialCreditCode::new(o.credit_code.as_str()).unwrap(),
                    o.credit_code
                );
            }
        }
        for a in c.accounts() {
            assert!(BankCardNumber::new(a.card.as_str()).is_ok());
        }
    }
}

#[test]
fn facts_are_coherent() {
    let book = SyntheticBook::generate(&config(3000, 5), as_of()).unwrap();
    let mut minors_with_guardian_consent = 0;
    let mut withdrawals = 0;
    for s in book.customers() {
        let c = &s.customer;
        assert!(c.relationship_start() <= as_of());
        assert!(c.last_verified() >= c.relationship_start() && c.last_verified() <= as_of());
        if let Some(end) = c.relationship_end() {
            assert!(end <= as_of());
            assert!(
                c.policies().iter().all(|p| p.contract_end() <= end),
                "contracts end before the relationship"
            );
        }
        for p in c.policies() {
            assert!(p.term_start() >= c.relationship_start() && p.term_start() <= as_of());
        }
        for claim in c.claims() {
            assert!(claim.reported_on <= as_of());
        }
        for t in c.kyc().map(|k| k.transactions.as_slice()).unwrap_or_default() {
            assert!(t.date <= as_of());
        }
        for f in &s.consents {
            assert!(f.granted_at >= c.relationship_start() || f.purpose == Purpose::ProposalPreparation);
            assert!(f.granted_at <= as_of());
            if let Some(w) = f.withdrawn_at {
                assert!(w >= f.granted_at && w <= as_of());
                withdrawals += 1;
            }
            if f.categories.iter().any(|cat| cat.is_sensitive()) {
                assert!(
                    f.separate,
                    "sensitive categories need separate consent (PIPL Art 29)"
                );
            }
        }
        if c.is_minor_at(as_of()) {
            assert!(
                s.consents
                    .iter()
                    .any(|f| f.by_guardian && f.purpose == Purpose::PolicyServicing)
            );
            minors_with_guardian_consent += 1;
        }
        if let Some(m) = c.marketing()
            && (m.sms || m.email || m.phone)
        {
            let fact = s
                .consents
                .iter()
                .find(|f| f.purpose == Purpose::Marketing)
                .unwrap();
            assert!(
                fact.withdrawn_at.is_none(),
                "an opted-out customer has no marketing channel open"
            );
        }
        if c.health().is_some() {
            assert!(c.categories_held().contains(&DataCategory::Health));
        }
    }
    assert!(minors_with_guardian_consent > 0);
    assert!(withdrawals > 0);
}

#[test]
fn the_book_quality_report_finds_the_planted_gaps() {
    let book = SyntheticBook::generate(&config(2000, 11), as_of()).unwrap();
    let mut report = BookQualityReport::new(as_of(), QualityConfig::default(), 10);
    report.extend(book.records());
    assert_eq!(report.customers, 2000);
    assert!(report.count(IssueKind::Missing) > 0);
    assert!(report.count(IssueKind::Stale) > 0);
    assert_eq!(
        report.count(IssueKind::Invalid),
        0,
        "the generator makes no impossible dates"
    );
    assert!(report.completeness() > 0.95 && report.completeness() < 1.0);
    assert_eq!(report.worst.len(), 10);
    assert!(
        report
            .worst
            .windows(2)
            .all(|w| w[0].completeness <= w[1].completeness)
    );
    // Without planted gaps nothing is missing.
    let clean = SyntheticBook::generate(
        &BookConfig {
            share_incomplete: 0.0,
            ..config(1000, 11)
        },
        as_of(),
    )
    .unwrap();
    let mut report = BookQualityReport::new(as_of(), QualityConfig::default(), 0);
    report.extend(clean.records());
    assert_eq!(report.issues_by_rule.get("required_for_minor"), None);
    assert_eq!(
        report.count(IssueKind::Inconsistent),
        0,
        "{:?}",
        report.issues_by_rule
    );
}

#[test]
fn bad_configurations_are_refused() {
    for bad in [
        BookConfig {
            share_minors: 1.5,
            ..BookConfig::default()
        },
        BookConfig {
            share_foreign: f64::NAN,
            ..BookConfig::default()
        },
        BookConfig {
            share_organizations: 0.6,
            share_minors: 0.5,
            ..BookConfig::default()
        },
        BookConfig {
            years: 0,
            ..BookConfig::default()
        },
    ] {
        assert!(
            matches!(
                SyntheticBook::stream(&bad, as_of()),
                Err(ModelError::OutOfRange { .. })
            ),
            "{bad:?}"
        );
    }
    let extreme = BookConfig {
        share_organizations: 1.0,
        share_minors: 0.0,
        customers: 50,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&extreme, as_of()).unwrap();
    assert!(book.records().all(|c| c.kind() == PartyKind::Organization));
    let minors = BookConfig {
        share_organizations: 0.0,
        share_minors: 1.0,
        customers: 50,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&minors, as_of()).unwrap();
    assert!(book.records().all(|c| c.is_minor_at(as_of())));
}
