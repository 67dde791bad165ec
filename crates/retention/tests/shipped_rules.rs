//! One table row per rule of the shipped `cn-insurance-broker` profile, with its article and its edge dates
//! (the last day kept, the first day due, leap days), and the settings the law leaves open tested both ways.

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use custodia_model::{
    CategorySet, Citation, CustomerId, DataCategory, Instrument, Jurisdiction, LegalBasis, PolicyId, Purpose,
    WorkingDayCalendar,
};
use custodia_retention::{
    Contract, ContractTerm, FactsBuilder, HeldData, Holding, Holds, Period, PeriodSettings, Profile,
    PurposeBasis, RecordKind, RetentionDecision, RetentionError, RetentionFacts, RetentionOutcome,
    RuleEffect, Settings,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cat(c: DataCategory) -> Holding {
    Holding::Category(c)
}

fn rec(r: RecordKind) -> Holding {
    Holding::Record(r)
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

fn marketing() -> Vec<PurposeBasis> {
    uses(&[(Purpose::Marketing, LegalBasis::Consent)])
}

fn cn() -> Profile {
    Profile::cn_insurance_broker().unwrap()
}

fn with_periods(edit: impl FnOnce(&mut PeriodSettings)) -> Profile {
    let mut settings = cn().settings();
    edit(&mut settings.periods);
    cn().with_settings(settings)
}

type More = fn(FactsBuilder) -> FactsBuilder;

fn one(holding: Holding, collected: NaiveDate, uses: Vec<PurposeBasis>, more: More) -> RetentionFacts {
    let c = CustomerId::new_v7();
    more(
        RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .held(HeldData::new(c, holding, collected, uses).unwrap()),
    )
    .build()
    .unwrap()
}

fn decide(profile: &Profile, f: &RetentionFacts, on: NaiveDate) -> RetentionDecision {
    let mut all = profile.decide(f, &Holds::new(), on).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn effects(decision: &RetentionDecision, rule: &str) -> Vec<RuleEffect> {
    decision
        .reasons()
        .iter()
        .filter(|r| r.rule_id().as_str() == rule)
        .map(|r| r.effect())
        .collect()
}

fn retain(until: NaiveDate) -> RetentionOutcome {
    RetentionOutcome::Retain { until: Some(until) }
}

fn storage(until: NaiveDate) -> RetentionOutcome {
    RetentionOutcome::StorageOnly { until: Some(until) }
}

fn destroy(from: NaiveDate) -> RetentionOutcome {
    RetentionOutcome::Destroy { due_since: from }
}

/// One rule, the article it must cite, the facts that exercise it, and the outcome on each edge date.
struct Row {
    rule: &'static str,
    citation: &'static str,
    facts: fn() -> RetentionFacts,
    dates: Vec<(NaiveDate, RetentionOutcome)>,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            rule: "broker-51-short-term",
            citation: "Broker Rule 2018 Art 51",
            // The relationship ended with the contract; the post-relationship period (3 years) makes the
            // duty due on 2022-07-01, the floor keeps the file to the fifth anniversary.
            facts: || {
                one(cat(DataCategory::Policies), d(2018, 7, 1), servicing(), |b| {
                    b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2019, 6, 30)))
                        .relationship_started(d(2018, 7, 1))
                        .relationship_ended(d(2019, 6, 30))
                })
            },
            dates: vec![
                (d(2022, 6, 30), retain(d(2022, 6, 30))),
                (d(2022, 7, 1), storage(d(2024, 6, 30))),
                (d(2024, 6, 30), storage(d(2024, 6, 30))),
                (d(2024, 7, 1), destroy(d(2024, 7, 1))),
            ],
        },
        Row {
            rule: "broker-51-long-term",
            citation: "Broker Rule 2018 Art 51",
            // Long: 2016-02-29 + 10y = 2026-02-28; short: 2020-05-01 + 5y; the later wins.
            facts: || {
                one(cat(DataCategory::Policies), d(2006, 1, 1), servicing(), |b| {
                    b.contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2016, 2, 29)))
                        .contract(Contract::ending(ContractTerm::OneYearOrLess, d(2020, 5, 1)))
                        .relationship_ended(d(2020, 5, 1))
                })
            },
            dates: vec![
                (d(2025, 5, 2), storage(d(2026, 2, 28))),
                (d(2026, 2, 28), storage(d(2026, 2, 28))),
                (d(2026, 3, 1), destroy(d(2026, 3, 1))),
            ],
        },
        Row {
            rule: "aml-34-identity",
            citation: "AML Law 2024 Art 34",
            facts: || {
                one(cat(DataCategory::Identity), d(2005, 5, 5), legal(), |b| {
                    b.relationship_started(d(2005, 5, 5))
                        .relationship_ended(d(2012, 2, 29))
                })
            },
            dates: vec![
                (d(2015, 2, 28), retain(d(2015, 2, 28))),
                (d(2015, 3, 1), storage(d(2022, 2, 28))),
                (d(2022, 2, 28), storage(d(2022, 2, 28))),
                (d(2022, 3, 1), destroy(d(2022, 3, 1))),
            ],
        },
        Row {
            rule: "aml-34-transactions",
            citation: "AML Law 2024 Art 34",
            // Identity floor to 2025-08-31; the latest transaction's to 2026-02-28.
            facts: || {
                one(cat(DataCategory::KycAml), d(2010, 1, 1), legal(), |b| {
                    b.relationship_started(d(2010, 1, 1))
                        .relationship_ended(d(2015, 8, 31))
                        .transaction(d(2014, 1, 1))
                        .transaction(d(2016, 2, 29))
                })
            },
            dates: vec![
                (d(2025, 9, 1), storage(d(2026, 2, 28))),
                (d(2026, 2, 28), storage(d(2026, 2, 28))),
                (d(2026, 3, 1), destroy(d(2026, 3, 1))),
            ],
        },
        Row {
            rule: "aml-34-dissolution",
            citation: "AML Law 2024 Art 34",
            // The relationship goes on (the floor is open), yet on dissolution the records go to the body
            // the State Council designates: neither destroyed nor kept.
            facts: || {
                one(cat(DataCategory::KycAml), d(2020, 1, 1), legal(), |b| {
                    b.relationship_started(d(2020, 1, 1))
                        .institution_dissolved(d(2026, 3, 1))
                })
            },
            dates: vec![
                (d(2026, 3, 1), retain(d(2026, 3, 1))),
                (d(2026, 3, 2), RetentionOutcome::HandOver { since: d(2026, 3, 2) }),
            ],
        },
        Row {
            rule: "pipl-56-impact-assessment",
            citation: "PIPL Art 56",
            // Counted from the end of the processing it documents, not from the customer's events.
            facts: || {
                let c = CustomerId::new_v7();
                RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
                    .held(
                        HeldData::new(c, rec(RecordKind::ImpactAssessment), d(2019, 1, 1), legal())
                            .unwrap()
                            .processing_ended(d(2020, 2, 29)),
                    )
                    .relationship_started(d(2018, 1, 1))
                    .relationship_ended(d(2019, 3, 1))
                    .consent_withdrawn(Purpose::LegalCompliance, d(2019, 3, 1))
                    .build()
                    .unwrap()
            },
            dates: vec![
                (d(2019, 3, 2), retain(d(2023, 2, 28))),
                (d(2023, 2, 28), retain(d(2023, 2, 28))),
                (d(2023, 3, 1), destroy(d(2023, 3, 1))),
            ],
        },
        Row {
            rule: "ndsr-12-provision-record",
            citation: "NDSR Art 12",
            facts: || {
                let c = CustomerId::new_v7();
                RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
                    .held(
                        HeldData::new(c, rec(RecordKind::ProvisionRecord), d(2022, 5, 1), legal())
                            .unwrap()
                            .processing_ended(d(2022, 5, 10)),
                    )
                    .build()
                    .unwrap()
            },
            dates: vec![
                (d(2025, 5, 10), retain(d(2025, 5, 10))),
                (d(2025, 5, 11), destroy(d(2025, 5, 11))),
            ],
        },
        Row {
            rule: "pipl-19-book-records",
            citation: "PIPL Art 19",
            // Processing still goes on: no period has started, whatever the customer does.
            facts: || {
                one(rec(RecordKind::ProcessingRecord), d(2020, 1, 1), legal(), |b| {
                    b.relationship_started(d(2020, 1, 1))
                        .relationship_ended(d(2021, 1, 1))
                })
            },
            dates: vec![(d(2040, 1, 1), RetentionOutcome::Retain { until: None })],
        },
        Row {
            rule: "sales-recording-short-term",
            citation: "Sales Traceability Rules 2017",
            facts: || {
                one(rec(RecordKind::SalesRecording), d(2019, 3, 16), legal(), |b| {
                    b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2020, 3, 15)))
                })
            },
            dates: vec![
                (d(2020, 3, 15), retain(d(2020, 3, 15))),
                (d(2020, 3, 16), storage(d(2025, 3, 15))),
                (d(2025, 3, 16), destroy(d(2025, 3, 16))),
            ],
        },
        Row {
            rule: "sales-recording-long-term",
            citation: "Sales Traceability Rules 2017",
            facts: || {
                one(rec(RecordKind::SalesRecording), d(2010, 3, 16), legal(), |b| {
                    b.contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2020, 3, 15)))
                })
            },
            dates: vec![
                (d(2030, 3, 15), storage(d(2030, 3, 15))),
                (d(2030, 3, 16), destroy(d(2030, 3, 16))),
            ],
        },
        Row {
            rule: "sales-recording-complaint",
            citation: "Sales Traceability Rules 2017",
            // A complaint that ended 2024-12-31 keeps the recording 2 years more, past its 5-year floor.
            facts: || {
                one(rec(RecordKind::SalesRecording), d(2019, 3, 16), legal(), |b| {
                    b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2020, 3, 15)))
                        .complaint(Some(d(2024, 12, 31)))
                })
            },
            dates: vec![
                (d(2025, 3, 16), storage(d(2026, 12, 31))),
                (d(2027, 1, 1), destroy(d(2027, 1, 1))),
            ],
        },
        Row {
            rule: "pipl-19-sales-and-business-records",
            citation: "PIPL Art 19",
            // A customer notice (客户告知书) is a business file under Art 51, then deleted.
            facts: || {
                one(rec(RecordKind::CustomerNotice), d(2019, 3, 16), legal(), |b| {
                    b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2020, 3, 15)))
                })
            },
            dates: vec![
                (d(2025, 3, 15), storage(d(2025, 3, 15))),
                (d(2025, 3, 16), destroy(d(2025, 3, 16))),
            ],
        },
        Row {
            rule: "accounting-records",
            citation: "Accounting Archives Rules 2015",
            facts: || one(rec(RecordKind::AccountingRecord), d(2000, 1, 1), legal(), |b| b),
            dates: vec![
                (d(2030, 1, 1), retain(d(2030, 1, 1))),
                (d(2030, 1, 2), destroy(d(2030, 1, 2))),
            ],
        },
        Row {
            rule: "pipl-19-complaint-records",
            citation: "PIPL Art 19",
            facts: || {
                one(rec(RecordKind::ComplaintRecord), d(2023, 1, 1), legal(), |b| {
                    b.complaint(Some(d(2023, 6, 30)))
                })
            },
            dates: vec![
                (d(2026, 6, 30), retain(d(2026, 6, 30))),
                (d(2026, 7, 1), destroy(d(2026, 7, 1))),
            ],
        },
        Row {
            rule: "csl-21-network-logs",
            citation: "Cybersecurity Law 2016 Art 21(3)",
            facts: || one(rec(RecordKind::NetworkLog), d(2025, 1, 31), legal(), |b| b),
            dates: vec![
                (d(2025, 7, 31), retain(d(2025, 7, 31))),
                (d(2025, 8, 1), destroy(d(2025, 8, 1))),
            ],
        },
        Row {
            rule: "pipl-19-network-logs",
            citation: "PIPL Art 19",
            facts: || one(rec(RecordKind::NetworkLog), d(2024, 8, 31), legal(), |b| b),
            dates: vec![
                (d(2025, 2, 28), retain(d(2025, 2, 28))),
                (d(2025, 3, 1), destroy(d(2025, 3, 1))),
            ],
        },
        Row {
            rule: "ndsr-22-suppression-record",
            citation: "NDSR Art 22(5)",
            // A prospect's opt-out: kept three years from its making, and a withdrawal does not delete it.
            facts: || {
                one(
                    rec(RecordKind::SuppressionRecord),
                    d(2024, 3, 10),
                    marketing(),
                    |b| b.consent_withdrawn(Purpose::Marketing, d(2024, 3, 10)),
                )
            },
            dates: vec![
                (d(2024, 3, 11), retain(d(2027, 3, 10))),
                (d(2027, 3, 11), destroy(d(2027, 3, 11))),
            ],
        },
        Row {
            rule: "pipl-15-consent-evidence",
            citation: "PIPL Art 15",
            // Kept while the relationship lasts and the post-relationship period after it.
            facts: || {
                one(rec(RecordKind::ConsentEvidence), d(2020, 1, 1), legal(), |b| {
                    b.relationship_started(d(2020, 1, 1))
                        .relationship_ended(d(2024, 2, 29))
                })
            },
            dates: vec![
                (d(2027, 2, 28), retain(d(2027, 2, 28))),
                (d(2027, 3, 1), destroy(d(2027, 3, 1))),
            ],
        },
        Row {
            rule: "pipl-47-consent-withdrawn",
            citation: "PIPL Art 47(1)(3)",
            // A prospect's identity kept on consent alone: withdrawal deletes it the next day, because no
            // relationship or due diligence opened the AML floor (it used to be held forever).
            facts: || {
                one(cat(DataCategory::Identity), d(2023, 1, 1), marketing(), |b| {
                    b.consent_withdrawn(Purpose::Marketing, d(2024, 3, 10))
                })
            },
            dates: vec![
                (d(2024, 3, 10), retain(d(2024, 3, 10))),
                (d(2024, 3, 11), destroy(d(2024, 3, 11))),
            ],
        },
        Row {
            rule: "pipl-47-purpose-fulfilled",
            citation: "PIPL Art 47(1)(1)",
            facts: || {
                one(
                    cat(DataCategory::Health),
                    d(2022, 1, 1),
                    uses(&[(Purpose::ProposalPreparation, LegalBasis::Contract)]),
                    |b| b.purpose_fulfilled(Purpose::ProposalPreparation, d(2022, 2, 1)),
                )
            },
            dates: vec![
                (d(2022, 2, 1), retain(d(2022, 2, 1))),
                (d(2022, 2, 2), destroy(d(2022, 2, 2))),
            ],
        },
        Row {
            rule: "pipl-47-relationship-ended",
            citation: "PIPL Art 47(1)(2)",
            // Not the day after the relationship ends: the post-relationship period (3 years) first.
            facts: || {
                one(
                    cat(DataCategory::Health),
                    d(2020, 1, 1),
                    uses(&[(Purpose::ProposalPreparation, LegalBasis::Contract)]),
                    |b| {
                        b.relationship_started(d(2020, 1, 1))
                            .relationship_ended(d(2023, 12, 31))
                    },
                )
            },
            dates: vec![
                (d(2024, 1, 1), retain(d(2026, 12, 31))),
                (d(2026, 12, 31), retain(d(2026, 12, 31))),
                (d(2027, 1, 1), destroy(d(2027, 1, 1))),
            ],
        },
        Row {
            rule: "pipl-47-transfer-completed",
            citation: "PIPL Art 47(1)(2)",
            facts: || {
                one(
                    cat(DataCategory::MarketingPreferences),
                    d(2025, 1, 1),
                    servicing(),
                    |b| b.transfer_completed(d(2025, 6, 30)),
                )
            },
            dates: vec![
                (d(2025, 6, 30), retain(d(2025, 6, 30))),
                (d(2025, 7, 1), destroy(d(2025, 7, 1))),
            ],
        },
        Row {
            rule: "pipl-47-marketing-maximum",
            citation: "PIPL Art 47(1)(2)",
            facts: || {
                one(
                    cat(DataCategory::MarketingPreferences),
                    d(2020, 2, 29),
                    servicing(),
                    |b| b,
                )
            },
            dates: vec![
                (d(2023, 2, 28), retain(d(2023, 2, 28))),
                (d(2023, 3, 1), destroy(d(2023, 3, 1))),
            ],
        },
        Row {
            rule: "pipl-47-claim-documents",
            citation: "PIPL Art 47(1)(1)",
            // Medical documents of claims have their own, shorter rule: 2 years after the claims close.
            facts: || {
                one(
                    cat(DataCategory::Health),
                    d(2023, 1, 1),
                    uses(&[(Purpose::ClaimsAssistance, LegalBasis::Contract)]),
                    |b| b.relationship_started(d(2020, 1, 1)).claim(Some(d(2024, 2, 29))),
                )
            },
            dates: vec![
                (d(2026, 2, 28), retain(d(2026, 2, 28))),
                (d(2026, 3, 1), destroy(d(2026, 3, 1))),
            ],
        },
        Row {
            rule: "ndsr-24-account-closed",
            citation: "NDSR Art 24",
            facts: || {
                one(
                    cat(DataCategory::Health),
                    d(2023, 1, 1),
                    uses(&[(Purpose::ProposalPreparation, LegalBasis::Contract)]),
                    |b| {
                        b.relationship_started(d(2023, 1, 1))
                            .account_closed(d(2025, 5, 5))
                    },
                )
            },
            dates: vec![
                (d(2025, 5, 5), retain(d(2025, 5, 5))),
                (d(2025, 5, 6), destroy(d(2025, 5, 6))),
            ],
        },
        Row {
            rule: "pipl-47-unlawful",
            citation: "PIPL Art 47(1)(4)",
            facts: || {
                one(
                    cat(DataCategory::MarketingPreferences),
                    d(2024, 1, 1),
                    marketing(),
                    |b| b.processed_unlawfully(d(2025, 5, 5)),
                )
            },
            dates: vec![
                (d(2025, 5, 5), retain(d(2025, 5, 5))),
                (d(2025, 5, 6), destroy(d(2025, 5, 6))),
            ],
        },
        Row {
            rule: "pipl-21-entrustment-ended",
            citation: "PIPL Art 21",
            facts: || {
                one(cat(DataCategory::Contact), d(2024, 1, 1), servicing(), |b| {
                    b.entrustment_ended(d(2025, 8, 31))
                })
            },
            dates: vec![
                (d(2025, 8, 31), retain(d(2025, 8, 31))),
                (d(2025, 9, 1), destroy(d(2025, 9, 1))),
            ],
        },
    ]
}

#[test]
fn every_shipped_rule_has_a_row_with_its_article() {
    let profile = cn();
    let rows = rows();
    for rule in profile.rules() {
        let row = rows
            .iter()
            .find(|r| r.rule == rule.id().as_str())
            .unwrap_or_else(|| panic!("no table row for {}", rule.id()));
        assert_eq!(rule.citation().to_string(), row.citation, "{}", rule.id());
    }
    assert_eq!(
        rows.len(),
        profile.rules().len(),
        "a row for a rule the profile lacks"
    );
}

#[test]
fn each_row_decides_as_the_law_says_on_its_edge_dates_and_names_its_rule() {
    let profile = cn();
    for row in rows() {
        let facts = (row.facts)();
        for (on, want) in &row.dates {
            let decision = decide(&profile, &facts, *on);
            assert_eq!(decision.outcome(), *want, "{} on {on}", row.rule);
            assert!(
                !effects(&decision, row.rule).is_empty(),
                "{} on {on}: the rule is not among the reasons",
                row.rule
            );
            assert!(
                decision.citations().iter().any(|c| c.to_string() == row.citation),
                "{} on {on}",
                row.rule
            );
        }
    }
}

#[test]
fn what_keeps_a_holding_is_cited_by_its_rank_pipl_47_2_for_laws_13_1_3_for_departmental_rules() {
    // The AML floor is a law's: storage only under PIPL 47(2) and NDSR 24.
    let aml = decide(&cn(), &(rows()[2].facts)(), d(2016, 1, 1));
    assert_eq!(
        aml.kept_under(),
        [Citation::pipl("47(2)"), Citation::new(Instrument::Ndsr, "24")]
    );
    assert_eq!(
        aml.citations()[..2],
        [Citation::pipl("47(2)"), Citation::new(Instrument::Ndsr, "24")]
    );
    // The Broker Rule is a departmental rule: kept under its own article as a legal obligation.
    let broker = decide(&cn(), &(rows()[0].facts)(), d(2023, 1, 1));
    assert_eq!(broker.kept_under(), [Citation::pipl("13(1)(3)")]);
    assert!(
        broker
            .citations()
            .contains(&Citation::new(Instrument::BrokerRule2018, "51"))
    );
    assert!(!broker.citations().contains(&Citation::pipl("47(2)")));
    let json = serde_json::to_value(&aml).unwrap();
    assert_eq!(json["outcome"]["outcome"], "storage_only");
    assert_eq!(json["outcome"]["until"], "2022-02-28");
}

#[test]
fn the_aml_identity_floor_opens_only_with_a_relationship_or_due_diligence_and_covers_what_cdd_collects() {
    // A relationship goes on: the floor is open for identity, contact and beneficiaries alike.
    for category in [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::Beneficiaries,
        DataCategory::KycAml,
    ] {
        let f = one(cat(category), d(2023, 1, 1), marketing(), |b| {
            b.due_diligence(d(2023, 1, 2))
                .consent_withdrawn(Purpose::Marketing, d(2024, 3, 10))
        });
        let dec = decide(&cn(), &f, d(2024, 3, 11));
        assert_eq!(
            dec.outcome(),
            RetentionOutcome::StorageOnly { until: None },
            "{category}"
        );
        assert_eq!(
            effects(&dec, "aml-34-identity"),
            vec![RuleEffect::FloorInForce { until: None }]
        );
    }
    // Not AML-obligated (a setting): no floor at all.
    let not_obligated = cn().with_settings(Settings {
        aml_obligated: false,
        ..cn().settings()
    });
    let f = (rows()[2].facts)();
    assert_eq!(
        decide(&not_obligated, &f, d(2015, 3, 1)).outcome(),
        destroy(d(2015, 3, 1))
    );
}

#[test]
fn the_transaction_floor_covers_policy_and_claim_payments() {
    for category in [DataCategory::Policies, DataCategory::Claims] {
        let f = one(cat(category), d(2010, 1, 1), servicing(), |b| {
            b.relationship_started(d(2010, 1, 1))
                .relationship_ended(d(2016, 1, 1))
                .transaction(d(2016, 1, 1))
        });
        // No contract on file: only the AML transaction floor keeps them past the post-relationship period.
        assert_eq!(
            decide(&cn(), &f, d(2020, 1, 1)).outcome(),
            storage(d(2026, 1, 1)),
            "{category}"
        );
        assert_eq!(
            decide(&cn(), &f, d(2026, 1, 2)).outcome(),
            destroy(d(2026, 1, 2)),
            "{category}"
        );
    }
}

#[test]
fn each_contracts_floor_counts_from_its_own_end() {
    let (short, long) = (PolicyId::new_v7(), PolicyId::new_v7());
    let c = CustomerId::new_v7();
    // Claims only under the short contract: its floor ends 5 years after that contract, even though a long
    // contract of the same customer ended later.
    let f = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
        .held(
            HeldData::new(c, cat(DataCategory::Claims), d(2015, 1, 1), servicing())
                .unwrap()
                .concerning(vec![short]),
        )
        .contract(Contract::ending(ContractTerm::OneYearOrLess, d(2016, 1, 1)).for_policy(short))
        .contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2018, 1, 1)).for_policy(long))
        .relationship_ended(d(2018, 1, 1))
        .build()
        .unwrap();
    assert_eq!(decide(&cn(), &f, d(2021, 1, 2)).outcome(), destroy(d(2021, 1, 2)));
    // Without the list the latest end of all contracts counts (the cautious answer when nothing is known).
    let c2 = CustomerId::new_v7();
    let unlisted = RetentionFacts::builder(c2, Jurisdiction::MAINLAND_CHINA)
        .held(HeldData::new(c2, cat(DataCategory::Claims), d(2015, 1, 1), servicing()).unwrap())
        .contract(Contract::ending(ContractTerm::OneYearOrLess, d(2016, 1, 1)).for_policy(short))
        .contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2018, 1, 1)).for_policy(long))
        .relationship_ended(d(2018, 1, 1))
        .build()
        .unwrap();
    assert_eq!(
        decide(&cn(), &unlisted, d(2021, 1, 2)).outcome(),
        storage(d(2028, 1, 1))
    );
}

#[test]
fn the_post_relationship_and_marketing_periods_are_settings_tested_both_ways() {
    let row = rows()
        .into_iter()
        .find(|r| r.rule == "pipl-47-relationship-ended")
        .unwrap();
    let f = (row.facts)();
    let none = with_periods(|p| p.post_relationship_period = Period::ZERO);
    assert_eq!(decide(&none, &f, d(2024, 1, 1)).outcome(), destroy(d(2024, 1, 1)));
    assert_eq!(
        decide(&cn(), &f, d(2024, 1, 1)).outcome(),
        retain(d(2026, 12, 31))
    );
    let one_year = with_periods(|p| p.marketing_limit = Period::years(1).unwrap());
    let m = one(
        cat(DataCategory::MarketingPreferences),
        d(2020, 2, 29),
        servicing(),
        |b| b,
    );
    assert_eq!(
        decide(&one_year, &m, d(2021, 3, 1)).outcome(),
        destroy(d(2021, 3, 1))
    );
    assert_eq!(decide(&cn(), &m, d(2021, 3, 1)).outcome(), retain(d(2023, 2, 28)));
    // A network-log setting below the statutory 6 months cannot cut the floor: storage only to its end.
    let short_logs = with_periods(|p| p.network_logs = Period::new(0, 3, 0).unwrap());
    let logs = one(rec(RecordKind::NetworkLog), d(2025, 1, 31), legal(), |b| b);
    assert_eq!(
        decide(&short_logs, &logs, d(2025, 6, 1)).outcome(),
        storage(d(2025, 7, 31))
    );
}

#[test]
fn who_keeps_the_records_after_a_transfer_is_a_setting_tested_both_ways() {
    let facts = |passed: bool| {
        let c = CustomerId::new_v7();
        let mut b = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .held(HeldData::new(c, cat(DataCategory::Policies), d(2020, 1, 1), servicing()).unwrap())
            .contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2025, 12, 31)))
            .relationship_started(d(2020, 1, 1))
            .transfer_completed(d(2026, 7, 1));
        if passed {
            b = b.record_duties_passed_to_recipient(CategorySet::from([DataCategory::Policies]));
        }
        b.build().unwrap()
    };
    // The seller keeps them (the cautious default): its copy is restricted under the Art 51 floor.
    let kept = decide(&cn(), &facts(false), d(2026, 7, 2));
    assert_eq!(kept.outcome(), storage(d(2035, 12, 31)));
    // The buyer keeps them (PIPL Art 22: the recipient continues the obligations): the seller destroys.
    let passed = decide(&cn(), &facts(true), d(2026, 7, 2));
    assert_eq!(passed.outcome(), destroy(d(2026, 7, 2)));
    assert_eq!(
        effects(&passed, "broker-51-long-term"),
        vec![RuleEffect::FloorPassedToRecipient]
    );
}

#[test]
fn civil_code_203_moves_a_last_day_on_a_holiday_to_the_next_working_day() {
    // A short contract that ended 2021-10-01: five years end on 2026-10-01, National Day; with the 2026
    // calendar the floor runs to Thursday 8 October.
    let f = one(cat(DataCategory::Policies), d(2021, 1, 1), servicing(), |b| {
        b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2021, 10, 1)))
            .relationship_ended(d(2021, 10, 1))
    });
    let calendar = cn().with_calendar(WorkingDayCalendar::mainland_2026().unwrap());
    assert_eq!(
        decide(&calendar, &f, d(2026, 10, 2)).outcome(),
        storage(d(2026, 10, 8))
    );
    assert_eq!(
        decide(&calendar, &f, d(2026, 10, 9)).outcome(),
        destroy(d(2026, 10, 9))
    );
    // Without a calendar the nominal day stands.
    assert_eq!(
        decide(&cn(), &f, d(2026, 10, 2)).outcome(),
        destroy(d(2026, 10, 2))
    );
    // Where the answer depends on a day the calendar does not know, it is an error, never a guess.
    let later = one(cat(DataCategory::Policies), d(2021, 1, 1), servicing(), |b| {
        b.contract(Contract::ending(ContractTerm::OneYearOrLess, d(2022, 1, 1)))
            .relationship_ended(d(2022, 1, 1))
    });
    assert!(matches!(
        calendar.decide(&later, &Holds::new(), d(2027, 1, 2)),
        Err(RetentionError::Calendar { .. })
    ));
    // Long after, the day cannot matter: the nominal day stands.
    assert!(calendar.decide(&later, &Holds::new(), d(2027, 6, 1)).is_ok());
}

#[test]
fn a_holding_no_rule_covers_is_an_error_not_never_past_retention() {
    let text = r#"
        name = "only-marketing"
        [[rules]]
        id = "marketing-limit"
        instrument = "Pipl"
        article = "47(1)(2)"
        categories = ["marketing_preferences"]
        trigger = "collection"
        minimum = "P0D"
        maximum = "P3Y"
    "#;
    let profile = Profile::from_toml(text).unwrap();
    let f = one(cat(DataCategory::Health), d(2020, 1, 1), servicing(), |b| b);
    assert!(matches!(
        profile.decide(&f, &Holds::new(), d(2021, 1, 1)),
        Err(RetentionError::NoRule { ref holding, .. }) if holding == "health"
    ));
}

#[test]
fn gdpr_rules_apply_to_eu_customers_only() {
    let gdpr = Profile::gdpr().unwrap();
    let de = Jurisdiction::new("DE").unwrap();
    let c = CustomerId::new_v7();
    let f = RetentionFacts::builder(c, de)
        .held(HeldData::new(c, cat(DataCategory::Contact), d(2023, 1, 1), marketing()).unwrap())
        .consent_withdrawn(Purpose::Marketing, d(2024, 2, 29))
        .build()
        .unwrap();
    assert_eq!(decide(&gdpr, &f, d(2024, 3, 1)).outcome(), destroy(d(2024, 3, 1)));
    let cn_customer = one(cat(DataCategory::Contact), d(2023, 1, 1), marketing(), |b| {
        b.consent_withdrawn(Purpose::Marketing, d(2024, 2, 29))
    });
    let dec = decide(&gdpr, &cn_customer, d(2024, 3, 1));
    assert_eq!(dec.outcome(), RetentionOutcome::Retain { until: None });
    assert!(dec.reasons().is_empty());
}

#[test]
fn combining_the_profiles_never_presents_a_chinese_duty_as_a_gdpr_ground() {
    let both = Profile::combined("cn+gdpr", &[&cn(), &Profile::gdpr().unwrap()]).unwrap();
    let fr = Jurisdiction::new("FR").unwrap();
    let c = CustomerId::new_v7();
    let f = RetentionFacts::builder(c, fr)
        .held(HeldData::new(c, cat(DataCategory::Identity), d(2010, 1, 1), servicing()).unwrap())
        .relationship_started(d(2010, 1, 1))
        .relationship_ended(d(2020, 1, 1))
        .build()
        .unwrap();
    let dec = decide(&both, &f, d(2021, 1, 1));
    assert_eq!(dec.outcome(), storage(d(2030, 1, 1)));
    let cited: Vec<String> = dec.citations().iter().map(|c| c.to_string()).collect();
    // The Chinese floor is cited as what it is (AML Law 2024 Art 34, PIPL Art 47(2)), the GDPR duty as its
    // own article; neither GDPR Art 6(1)(c) nor Art 17(3)(b) appears, because a Chinese legal obligation is
    // not a Union or Member State law (GDPR Art 6(3)).
    assert!(cited.contains(&"AML Law 2024 Art 34".to_owned()));
    assert!(cited.contains(&"PIPL Art 47(2)".to_owned()));
    assert!(cited.contains(&"GDPR Art 5(1)(e)".to_owned()));
    for ground in ["GDPR Art 6(1)(c)", "GDPR Art 17(3)(b)"] {
        assert!(!cited.contains(&ground.to_owned()), "{cited:?}");
    }
    for rule in cn().rules() {
        assert_ne!(rule.citation().instrument(), Instrument::Gdpr, "{}", rule.id());
    }
}
