//! A deterministic synthetic book of retention facts, for custodia-retention's tests and example and the root
//! benches.
//!
//! It is generated per index (no state between customers), so a sweep over it streams and customer
//! `i` is the same whatever the book's size. The facts are made directly, not from the model's
//! synthetic customers, so that the retention rules can be exercised on shapes (long-ended
//! relationships, EU residents, impact-assessment records) in proportions of their own.

use crate::book::SplitMix64;
use chrono::{Days, NaiveDate};
use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};

use custodia_retention::{
    Contract, ContractTerm, HeldData, Holding, PurposeBasis, RecordKind, RetentionFacts,
};

/// The model's SplitMix64 with the two draws this book needs.
struct Mix(SplitMix64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The id of customer `index` (never nil: the index is offset by one).
pub fn customer_id(index: u64) -> CustomerId {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&index.wrapping_add(1).to_be_bytes());
    bytes[8..].copy_from_slice(&0x7000_8000_0000_0000u64.to_be_bytes());
    CustomerId::from_bytes(bytes).unwrap_or_else(|_| CustomerId::new_v7())
}

fn date(start: NaiveDate, days: u64) -> NaiveDate {
    start.checked_add_days(Days::new(days)).unwrap_or(start)
}

/// Customer `index` of the book with `seed`, as known on `as_of`: joined up to 20 years earlier, about
/// 40% with an ended relationship, one to three contracts, some transactions, some marketing consents
/// withdrawn, 5% EU residents, some impact-assessment records.
pub fn facts(seed: u64, index: u64, as_of: NaiveDate) -> RetentionFacts {
    let mut r = Mix(SplitMix64::new(seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407)));
    let customer = customer_id(index);
    let joined = as_of
        .checked_sub_days(Days::new(30 + r.below(20 * 365)))
        .unwrap_or(as_of);
    let span = (as_of - joined).num_days().max(1) as u64;
    let jurisdiction = if r.chance(5) {
        Jurisdiction::new("DE").unwrap_or(Jurisdiction::MAINLAND_CHINA)
    } else {
        Jurisdiction::MAINLAND_CHINA
    };
    let servicing = || vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)];
    // Every customer of this book has a business relationship, which opens the AML Law 2024 Art 34 floor.
    let mut b = RetentionFacts::builder(customer, jurisdiction).relationship_started(joined);
    for category in [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::Policies,
        DataCategory::FinancialAccounts,
        DataCategory::KycAml,
    ] {
        if let Ok(h) = HeldData::new(customer, Holding::Category(category), joined, servicing()) {
            b = b.held(h);
        }
    }
    if r.chance(30) {
        let uses = vec![PurposeBasis::new(
            Purpose::ProposalPreparation,
            LegalBasis::Contract,
        )];
        if let Ok(h) = HeldData::new(customer, Holding::Category(DataCategory::Health), joined, uses) {
            b = b.held(h);
        }
        if r.chance(50) {
            b = b.purpose_fulfilled(Purpose::ProposalPreparation, date(joined, r.below(span)));
        }
    }
    if r.chance(60) {
        let uses = vec![PurposeBasis::new(Purpose::Marketing, LegalBasis::Consent)];
        let collected = date(joined, r.below(span));
        if let Ok(h) = HeldData::new(
            customer,
            Holding::Category(DataCategory::MarketingPreferences),
            collected,
            uses,
        ) {
            b = b.held(h);
        }
        if r.chance(25) {
            b = b.consent_withdrawn(Purpose::Marketing, date(collected, r.below(365)));
        }
    }
    if r.chance(10) {
        let uses = vec![PurposeBasis::new(
            Purpose::LegalCompliance,
            LegalBasis::LegalObligation,
        )];
        if let Ok(h) = HeldData::new(
            customer,
            Holding::Record(RecordKind::ImpactAssessment),
            date(joined, 10),
            uses,
        ) {
            // The processing the assessment documents ended a year after it was made (PIPL Art 56 counts
            // from there).
            b = b.held(h.processing_ended(date(joined, 375)));
        }
    }
    let ended = r.chance(40).then(|| date(joined, r.below(span)));
    let mut latest = joined;
    for _ in 0..(1 + r.below(3)) {
        let term = if r.chance(70) {
            ContractTerm::OneYearOrLess
        } else {
            ContractTerm::MoreThanOneYear
        };
        let end = date(joined, r.below(span));
        latest = latest.max(end);
        b = b.contract(match ended {
            Some(e) => Contract::ending(term, end.min(e)),
            None if r.chance(50) => Contract::in_force(term),
            None => Contract::ending(term, end),
        });
        if r.chance(70) {
            b = b.transaction(date(joined, r.below(span)).min(ended.unwrap_or(as_of)));
        }
    }
    if let Some(e) = ended {
        b = b.relationship_ended(e);
    }
    b.build().unwrap_or_else(|_| {
        // Unreachable with the choices above (no holding or event is added twice); an empty customer
        // keeps the book's length if that ever changes.
        RetentionFacts::builder(customer, Jurisdiction::MAINLAND_CHINA)
            .build()
            .unwrap_or_else(|_| unreachable!())
    })
}

/// The book of `size` customers, generated lazily.
pub fn book(seed: u64, size: u64, as_of: NaiveDate) -> impl Iterator<Item = RetentionFacts> {
    (0..size).map(move |i| facts(seed, i, as_of))
}
