//! Table tests with dates for every rule of the shipped profiles, on exact anniversaries and leap days.

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_retention::{
    Contract, ContractTerm, HeldData, Holding, Holds, Profile, PurposeBasis, RecordKind, RetentionDecision,
    RetentionFacts, RetentionOutcome, RuleEffect, Settings,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cat(c: DataCategory) -> Holding {
    Holding::Category(c)
}

fn uses(list: &[(Purpose, LegalBasis)]) -> Vec<PurposeBasis> {
    list.iter()
        .map(|(p, b)| PurposeBasis::new(p.clone(), *b))
        .collect()
}

fn servicing() -> Vec<PurposeBasis> {
    uses(&[(Purpose::PolicyServicing, LegalBasis::Contract)])
}

fn legal() -> Vec<PurposeBasis> {
    uses(&[(Purpose::LegalCompliance, LegalBasis::LegalObligation)])
}

fn cn() -> Profile {
    Profile::cn_insurance_broker().unwrap()
}

/// Builds facts: one customer in `j` holding `held`, then `more` adds events.
fn facts(
    j: Jurisdiction,
    held: Vec<(Holding, NaiveDate, Vec<PurposeBasis>)>,
    more: impl FnOnce(custodia_retention::FactsBuilder) -> custodia_retention::FactsBuilder,
) -> RetentionFacts {
    let c = CustomerId::new_v7();
    let mut b = RetentionFacts::builder(c, j);
    for (h, on, u) in held {
        b = b.held(HeldData::new(c, h, on, u).unwrap());
    }
    more(b).build().unwrap()
}

fn decide_one(profile: &Profile, f: &RetentionFacts, on: NaiveDate) -> RetentionDecision {
    let mut all = profile.decide(f, &Holds::new(), on).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn effect_of(decision: &RetentionDecision, rule: &str) -> Vec<RuleEffect> {
    decision
        .reasons()
        .iter()
        .filter(|r| r.rule_id().as_str() == rule)
        .map(|r| r.effect())
        .collect()
}

/// A table row: on `on`, the single holding's outcome is `want`.
fn check(profile: &Profile, f: &RetentionFacts, rows: &[(NaiveDate, RetentionOutcome)]) {
    for (on, want) in rows {
        assert_eq!(decide_one(profile, f, *on).outcome(), *want, "on {on}");
    }
}

#[test]
fn broker_51_short_term_keeps_five_years_from_contract_end() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Policies), d(2018, 7, 1), servicing())],
        |b| {
            b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2019, 6, 30)))
                .relationship_ended(d(2019, 6, 30))
        },
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2019, 6, 30),
                RetentionOutcome::Retain {
                    until: Some(d(2019, 6, 30)),
                },
            ),
            (
                d(2019, 7, 1),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2024, 6, 30)),
                },
            ),
            (
                d(2024, 6, 30),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2024, 6, 30)),
                },
            ),
            (
                d(2024, 7, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2024, 7, 1),
                },
            ),
            (
                d(2030, 1, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2024, 7, 1),
                },
            ),
        ],
    );
    let on = decide_one(&cn(), &f, d(2024, 7, 1));
    assert_eq!(
        effect_of(&on, "broker-51-short-term"),
        vec![RuleEffect::FloorExpired {
            ended: d(2024, 6, 30)
        }]
    );
    assert_eq!(
        effect_of(&on, "broker-51-long-term"),
        vec![],
        "no long contract, no reason"
    );
    assert!(
        on.citations()
            .iter()
            .any(|c| c.to_string() == "Broker Rule 2018 Art 51")
    );
}

#[test]
fn broker_51_from_a_leap_day_ends_on_28_february() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Claims), d(2019, 3, 1), servicing())],
        |b| {
            b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2020, 2, 29)))
                .relationship_ended(d(2020, 2, 29))
        },
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2025, 2, 28),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2025, 2, 28)),
                },
            ),
            (
                d(2025, 3, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2025, 3, 1),
                },
            ),
        ],
    );
}

#[test]
fn broker_51_long_term_keeps_ten_years_and_the_latest_contract_counts() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Beneficiaries), d(2006, 1, 1), servicing())],
        |b| {
            b.contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2016, 2, 29)))
                .contract(Contract::ending(ContractTerm::OneYearOrLess, d(2020, 5, 1)))
                .relationship_ended(d(2020, 5, 1))
        },
    );
    // Long: 2016-02-29 + 10y = 2026-02-28; short: 2020-05-01 + 5y = 2025-05-01; the later wins.
    check(
        &cn(),
        &f,
        &[
            (
                d(2025, 5, 2),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2026, 2, 28)),
                },
            ),
            (
                d(2026, 2, 28),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2026, 2, 28)),
                },
            ),
            (
                d(2026, 3, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2026, 3, 1),
                },
            ),
        ],
    );
    let on = decide_one(&cn(), &f, d(2025, 5, 2));
    assert_eq!(
        effect_of(&on, "broker-51-long-term"),
        vec![RuleEffect::FloorInForce {
            until: Some(d(2026, 2, 28))
        }]
    );
    assert_eq!(
        effect_of(&on, "broker-51-short-term"),
        vec![RuleEffect::FloorExpired { ended: d(2025, 5, 1) }]
    );
}

#[test]
fn a_contract_in_force_holds_the_floor_open() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Policies), d(2010, 1, 1), servicing())],
        |b| {
            b.contract(Contract::in_force(ContractTerm::MoreThanOneYear))
                .contract(Contract::ending(ContractTerm::OneYearOrLess, d(2011, 1, 1)))
                .relationship_ended(d(2012, 1, 1))
        },
    );
    check(
        &cn(),
        &f,
        &[(d(2040, 1, 1), RetentionOutcome::StorageOnly { until: None })],
    );
}

#[test]
fn aml_34_identity_keeps_ten_years_after_the_relationship_and_is_a_setting() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Identity), d(2005, 5, 5), legal())],
        |b| b.relationship_ended(d(2012, 2, 29)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2012, 2, 29),
                RetentionOutcome::Retain {
                    until: Some(d(2012, 2, 29)),
                },
            ),
            (
                d(2012, 3, 1),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2022, 2, 28)),
                },
            ),
            (
                d(2022, 2, 28),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2022, 2, 28)),
                },
            ),
            (
                d(2022, 3, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2022, 3, 1),
                },
            ),
        ],
    );
    let not_obligated = cn().with_settings(Settings { aml_obligated: false });
    check(
        &not_obligated,
        &f,
        &[(
            d(2012, 3, 1),
            RetentionOutcome::Destroy {
                due_since: d(2012, 3, 1),
            },
        )],
    );
    // While the relationship lasts, the AML floor is open and nothing is due.
    let ongoing = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Identity), d(2005, 5, 5), legal())],
        |b| b,
    );
    let dec = decide_one(&cn(), &ongoing, d(2030, 1, 1));
    assert_eq!(dec.outcome(), RetentionOutcome::Retain { until: None });
    assert_eq!(
        effect_of(&dec, "aml-34-identity"),
        vec![RuleEffect::FloorInForce { until: None }]
    );
    assert_eq!(
        effect_of(&dec, "pipl-19-relationship-ended"),
        vec![RuleEffect::DutyNotTriggered]
    );
}

#[test]
fn aml_34_transactions_count_from_the_latest_transaction() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::KycAml), d(2010, 1, 1), legal())],
        |b| {
            b.relationship_ended(d(2015, 8, 31))
                .transaction(d(2014, 1, 1))
                .transaction(d(2016, 2, 29))
        },
    );
    // Identity floor: 2025-08-31; transaction floor: 2016-02-29 + 10y = 2026-02-28.
    check(
        &cn(),
        &f,
        &[
            (
                d(2025, 9, 1),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2026, 2, 28)),
                },
            ),
            (
                d(2026, 2, 28),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2026, 2, 28)),
                },
            ),
            (
                d(2026, 3, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2026, 3, 1),
                },
            ),
        ],
    );
    let dec = decide_one(&cn(), &f, d(2025, 9, 1));
    assert_eq!(
        effect_of(&dec, "aml-34-identity"),
        vec![RuleEffect::FloorExpired {
            ended: d(2025, 8, 31)
        }]
    );
    assert_eq!(
        effect_of(&dec, "aml-34-transactions"),
        vec![RuleEffect::FloorInForce {
            until: Some(d(2026, 2, 28))
        }]
    );
}

#[test]
fn pipl_56_impact_assessments_are_kept_three_years() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(
            Holding::Record(RecordKind::ImpactAssessment),
            d(2020, 2, 29),
            legal(),
        )],
        |b| b.relationship_ended(d(2021, 3, 1)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2021, 3, 2),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2023, 2, 28)),
                },
            ),
            (
                d(2023, 2, 28),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2023, 2, 28)),
                },
            ),
            (
                d(2023, 3, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2023, 3, 1),
                },
            ),
        ],
    );
}

#[test]
fn ndsr_12_provision_records_are_kept_three_years() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(
            Holding::Record(RecordKind::ProvisionRecord),
            d(2022, 5, 10),
            legal(),
        )],
        |b| b.purpose_fulfilled(Purpose::LegalCompliance, d(2022, 6, 1)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2022, 6, 1),
                RetentionOutcome::Retain {
                    until: Some(d(2022, 6, 1)),
                },
            ),
            (
                d(2022, 6, 2),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2025, 5, 10)),
                },
            ),
            (
                d(2025, 5, 10),
                RetentionOutcome::StorageOnly {
                    until: Some(d(2025, 5, 10)),
                },
            ),
            (
                d(2025, 5, 11),
                RetentionOutcome::Destroy {
                    due_since: d(2025, 5, 11),
                },
            ),
        ],
    );
    let dec = decide_one(&cn(), &f, d(2025, 5, 11));
    assert_eq!(
        effect_of(&dec, "pipl-47-purpose-fulfilled"),
        vec![RuleEffect::DutyDue { since: d(2022, 6, 2) }]
    );
}

#[test]
fn pipl_47_withdrawal_of_the_only_basis_deletes() {
    let marketing = uses(&[(Purpose::Marketing, LegalBasis::Consent)]);
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Contact), d(2023, 1, 1), marketing.clone())],
        |b| b.consent_withdrawn(Purpose::Marketing, d(2024, 3, 10)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2024, 3, 10),
                RetentionOutcome::Retain {
                    until: Some(d(2024, 3, 10)),
                },
            ),
            (
                d(2024, 3, 11),
                RetentionOutcome::Destroy {
                    due_since: d(2024, 3, 11),
                },
            ),
        ],
    );
    // A withdrawal does not end a purpose that rests on a contract.
    let both = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(
            cat(DataCategory::Contact),
            d(2023, 1, 1),
            uses(&[
                (Purpose::Marketing, LegalBasis::Consent),
                (Purpose::PolicyServicing, LegalBasis::Contract),
            ]),
        )],
        |b| b.consent_withdrawn(Purpose::Marketing, d(2024, 3, 10)),
    );
    check(
        &cn(),
        &both,
        &[(d(2025, 1, 1), RetentionOutcome::Retain { until: None })],
    );
    // Identity kept on consent alone, withdrawn while the AML floor is open: storage only (PIPL 47 last para).
    let identity = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Identity), d(2023, 1, 1), marketing)],
        |b| b.consent_withdrawn(Purpose::Marketing, d(2024, 3, 10)),
    );
    check(
        &cn(),
        &identity,
        &[(d(2024, 3, 11), RetentionOutcome::StorageOnly { until: None })],
    );
}

#[test]
fn pipl_47_purpose_fulfilled_deletes() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(
            cat(DataCategory::Health),
            d(2022, 1, 1),
            uses(&[(Purpose::ProposalPreparation, LegalBasis::Contract)]),
        )],
        |b| b.purpose_fulfilled(Purpose::ProposalPreparation, d(2022, 2, 1)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2022, 2, 1),
                RetentionOutcome::Retain {
                    until: Some(d(2022, 2, 1)),
                },
            ),
            (
                d(2022, 2, 2),
                RetentionOutcome::Destroy {
                    due_since: d(2022, 2, 2),
                },
            ),
        ],
    );
}

#[test]
fn pipl_19_relationship_end_with_no_floor_destroys_the_next_day() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Contact), d(2020, 1, 1), servicing())],
        |b| b.relationship_ended(d(2023, 12, 31)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2023, 12, 31),
                RetentionOutcome::Retain {
                    until: Some(d(2023, 12, 31)),
                },
            ),
            (
                d(2024, 1, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2024, 1, 1),
                },
            ),
        ],
    );
}

#[test]
fn pipl_47_transfer_completed_ends_the_sellers_holding() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(
            cat(DataCategory::MarketingPreferences),
            d(2025, 1, 1),
            servicing(),
        )],
        |b| b.transfer_completed(d(2025, 6, 30)),
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2025, 6, 30),
                RetentionOutcome::Retain {
                    until: Some(d(2025, 6, 30)),
                },
            ),
            (
                d(2025, 7, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2025, 7, 1),
                },
            ),
        ],
    );
}

#[test]
fn pipl_47_marketing_maximum_from_a_leap_day() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(
            cat(DataCategory::MarketingPreferences),
            d(2020, 2, 29),
            servicing(),
        )],
        |b| b,
    );
    check(
        &cn(),
        &f,
        &[
            (
                d(2021, 1, 1),
                RetentionOutcome::Retain {
                    until: Some(d(2023, 2, 28)),
                },
            ),
            (
                d(2023, 2, 28),
                RetentionOutcome::Retain {
                    until: Some(d(2023, 2, 28)),
                },
            ),
            (
                d(2023, 3, 1),
                RetentionOutcome::Destroy {
                    due_since: d(2023, 3, 1),
                },
            ),
        ],
    );
}

#[test]
fn gdpr_rules_apply_to_eu_customers_only() {
    let gdpr = Profile::gdpr().unwrap();
    let de = Jurisdiction::new("DE").unwrap();
    let marketing = uses(&[(Purpose::Marketing, LegalBasis::Consent)]);
    let f = facts(
        de,
        vec![(cat(DataCategory::Contact), d(2023, 1, 1), marketing.clone())],
        |b| b.consent_withdrawn(Purpose::Marketing, d(2024, 2, 29)),
    );
    let dec = decide_one(&gdpr, &f, d(2024, 3, 1));
    assert_eq!(
        dec.outcome(),
        RetentionOutcome::Destroy {
            due_since: d(2024, 3, 1)
        }
    );
    assert_eq!(
        effect_of(&dec, "gdpr-17-1-b-consent-withdrawn"),
        vec![RuleEffect::DutyDue { since: d(2024, 3, 1) }]
    );
    let cn_customer = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Contact), d(2023, 1, 1), marketing)],
        |b| b.consent_withdrawn(Purpose::Marketing, d(2024, 2, 29)),
    );
    let dec = decide_one(&gdpr, &cn_customer, d(2024, 3, 1));
    assert_eq!(dec.outcome(), RetentionOutcome::Retain { until: None });
    assert!(dec.reasons().is_empty());

    let fulfilled = facts(
        de,
        vec![(cat(DataCategory::Health), d(2023, 1, 1), servicing())],
        |b| b.purpose_fulfilled(Purpose::PolicyServicing, d(2024, 1, 31)),
    );
    check(
        &gdpr,
        &fulfilled,
        &[(
            d(2024, 2, 1),
            RetentionOutcome::Destroy {
                due_since: d(2024, 2, 1),
            },
        )],
    );
    let ended = facts(
        de,
        vec![(cat(DataCategory::Contact), d(2023, 1, 1), servicing())],
        |b| b.relationship_ended(d(2024, 1, 31)),
    );
    let dec = decide_one(&gdpr, &ended, d(2024, 2, 1));
    assert_eq!(
        dec.outcome(),
        RetentionOutcome::Destroy {
            due_since: d(2024, 2, 1)
        }
    );
    assert!(
        dec.citations()
            .iter()
            .any(|c| c.to_string() == "GDPR Art 5(1)(e)")
    );
}

#[test]
fn an_eu_customer_of_a_chinese_broker_gets_both_duties_and_floors() {
    let both = Profile::combined("cn+gdpr", &[&cn(), &Profile::gdpr().unwrap()]).unwrap();
    let fr = Jurisdiction::new("FR").unwrap();
    let f = facts(
        fr,
        vec![(cat(DataCategory::Identity), d(2010, 1, 1), servicing())],
        |b| b.relationship_ended(d(2020, 1, 1)),
    );
    let dec = decide_one(&both, &f, d(2021, 1, 1));
    assert_eq!(
        dec.outcome(),
        RetentionOutcome::StorageOnly {
            until: Some(d(2030, 1, 1))
        }
    );
    let cited: Vec<String> = dec.citations().iter().map(|c| c.to_string()).collect();
    assert!(cited.contains(&"AML Law 2024 Art 34".to_owned()));
    assert!(cited.contains(&"GDPR Art 5(1)(e)".to_owned()));
}

#[test]
fn decisions_serialize_with_rule_ids_and_citations() {
    let f = facts(
        Jurisdiction::MAINLAND_CHINA,
        vec![(cat(DataCategory::Identity), d(2005, 5, 5), legal())],
        |b| b.relationship_ended(d(2012, 2, 29)),
    );
    let dec = decide_one(&cn(), &f, d(2013, 1, 1));
    let cited: Vec<String> = dec.citations().iter().map(|c| c.to_string()).collect();
    assert_eq!(
        cited[..2],
        ["PIPL Art 47(2)".to_owned(), "NDSR Art 24".to_owned()]
    );
    let json = serde_json::to_value(&dec).unwrap();
    assert_eq!(json["outcome"]["outcome"], "storage_only");
    assert_eq!(json["outcome"]["until"], "2022-02-28");
    let reasons = json["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["rule"] == "aml-34-identity"
        && r["citation"] == "AML Law 2024 Art 34"
        && r["effect"]["effect"] == "floor_in_force"));
}
