//! Which categories of a customer are sensitive (PIPL Art 28): claims by line of business, a book's
//! overrides with their reasons, covered minors, tested both ways on a synthetic book.

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use custodia_model::{
    ActorId, ClaimsSensitivity, Customer, DataCategory, ModelError, PersonRole, ProductLine, Sensitivity,
    SensitivityOverride, SensitivityPolicy, SensitivityPolicyFields,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};

fn book() -> Vec<Customer> {
    let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    SyntheticBook::generate(
        &BookConfig {
            seed: 9,
            customers: 1500,
            ..BookConfig::default()
        },
        as_of,
    )
    .unwrap()
    .records()
    .cloned()
    .collect()
}

fn on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn with(edit: impl FnOnce(&mut SensitivityPolicyFields)) -> Result<SensitivityPolicy, ModelError> {
    let mut fields = SensitivityPolicy::default().fields().clone();
    edit(&mut fields);
    SensitivityPolicy::new(fields)
}

fn reason(category: DataCategory, sensitivity: Sensitivity) -> SensitivityOverride {
    SensitivityOverride {
        category,
        sensitivity,
        reason: "compliance committee decision 2026-04".into(),
        recorded_by: ActorId::new("dpo-001").unwrap(),
        recorded_on: on(),
    }
}

#[test]
fn property_and_motor_claims_without_medical_records_are_not_sensitive_by_default_and_health_lines_are() {
    let book = book();
    let policy = SensitivityPolicy::default();
    let property_only = book
        .iter()
        .find(|c| {
            !c.claims().is_empty()
                && !c.is_minor_at(on())
                && c.claims().iter().all(|cl| {
                    !cl.has_medical_records
                        && c.policy(cl.policy_id)
                            .is_some_and(|p| matches!(p.line(), ProductLine::Property | ProductLine::Motor))
                })
        })
        .expect("a customer with property or motor claims only");
    assert!(!policy.is_sensitive(property_only, DataCategory::Claims, on()));
    // The cautious category-level answer, without the facts, stays sensitive.
    assert!(property_only.is_sensitive_at(DataCategory::Claims, on()));
    // The setting both ways: a book that treats every motor and property claim as medical.
    let strict = with(|f| {
        f.claims_by_line
            .insert(ProductLine::Property, ClaimsSensitivity::Always);
        f.claims_by_line
            .insert(ProductLine::Motor, ClaimsSensitivity::Always);
    })
    .unwrap();
    assert!(strict.is_sensitive(property_only, DataCategory::Claims, on()));
    let medical = book
        .iter()
        .find(|c| {
            c.claims().iter().any(|cl| {
                c.policy(cl.policy_id)
                    .is_some_and(|p| p.line() == ProductLine::Medical)
            })
        })
        .expect("a customer with a medical claim");
    assert!(policy.is_sensitive(medical, DataCategory::Claims, on()));
}

#[test]
fn a_book_overrides_a_category_with_a_recorded_reason_but_never_below_what_pipl_28_names() {
    let book = book();
    let adult = book
        .iter()
        .find(|c| !c.is_minor_at(on()) && c.kyc().is_some())
        .unwrap();
    assert!(SensitivityPolicy::default().is_sensitive(adult, DataCategory::KycAml, on()));
    let lowered = with(|f| {
        f.overrides
            .push(reason(DataCategory::KycAml, Sensitivity::NotSensitive))
    })
    .unwrap();
    assert!(!lowered.is_sensitive(adult, DataCategory::KycAml, on()));
    let raised = with(|f| {
        f.overrides
            .push(reason(DataCategory::Contact, Sensitivity::Sensitive))
    })
    .unwrap();
    assert!(raised.is_sensitive(adult, DataCategory::Contact, on()));
    assert!(
        with(|f| f
            .overrides
            .push(reason(DataCategory::Health, Sensitivity::NotSensitive)))
        .is_err()
    );
    assert!(
        with(|f| {
            let mut r = reason(DataCategory::Contact, Sensitivity::Sensitive);
            r.reason = " ".into();
            f.overrides.push(r);
        })
        .is_err()
    );
    // A minor's data is sensitive whatever the book says.
    if let Some(minor) = book.iter().find(|c| c.is_minor_at(on())) {
        assert!(lowered.is_sensitive(minor, DataCategory::KycAml, on()));
    }
}

#[test]
fn beneficiaries_are_people_and_a_child_among_them_makes_the_section_sensitive() {
    let book = book();
    let with_child = book
        .iter()
        .find(|c| c.covered_people().iter().any(|p| p.is_minor_at(on())))
        .expect("a policyholder with a child beneficiary under 14");
    assert!(SensitivityPolicy::default().is_sensitive(with_child, DataCategory::Beneficiaries, on()));
    assert!(with_child.is_sensitive_at(DataCategory::Beneficiaries, on()));
    for p in with_child.covered_people() {
        assert_eq!(p.role(), PersonRole::Beneficiary);
        assert!(with_child.policy(p.policy_id()).is_some());
    }
    let ids: std::collections::BTreeSet<_> = book
        .iter()
        .flat_map(|c| c.covered_people().iter().map(|p| p.id()))
        .collect();
    let count: usize = book.iter().map(|c| c.covered_people().len()).sum();
    assert_eq!(ids.len(), count, "every covered person has an id of their own");
}
