//! The `gdpr` profile's floors (legal claims, GDPR Art 17(3)(e); the EU AML rules, Directive (EU) 2015/849
//! Art 40(1), a setting tested both ways), and the GDPR ground of every floor that keeps an EEA customer's
//! data when the Chinese and EU profiles combine: a Chinese duty is never a GDPR Art 6(1)(c) or 17(3)(b)
//! ground (Art 6(3)); it rests on Art 6(1)(f) with a recorded balancing test, or on Art 17(3)(e).

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use custodia_model::{
    BalancingTest, BalancingTestFields, CustomerId, DataCategory, Jurisdiction, LawOrigin, LegalBasis,
    Purpose,
};
use custodia_retention::{
    Contract, ContractTerm, ForeignFloorGround, GdprRetentionGround, HeldData, Holding, Holds, Profile,
    PurposeBasis, RetentionDecision, RetentionError, RetentionFacts, RetentionOutcome, Settings,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn servicing() -> Vec<PurposeBasis> {
    vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)]
}

/// An EEA customer in `j` holding `category` since 2010, a contract of more than a year and the
/// relationship both ending on 2020-01-01.
fn ended(j: Jurisdiction, category: DataCategory) -> RetentionFacts {
    let c = CustomerId::new_v7();
    RetentionFacts::builder(c, j)
        .held(HeldData::new(c, Holding::Category(category), d(2010, 1, 1), servicing()).unwrap())
        .contract(Contract::ending(ContractTerm::MoreThanOneYear, d(2020, 1, 1)))
        .relationship_ended(d(2020, 1, 1))
        .build()
        .unwrap()
}

fn decide(profile: &Profile, f: &RetentionFacts, on: NaiveDate) -> RetentionDecision {
    let mut all = profile.decide(f, &Holds::new(), on).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn test() -> BalancingTest {
    BalancingTest::new(BalancingTestFields {
        reference: "LIA-2026-011".into(),
        interest: "keeping records a Chinese broker must keep under its own law".into(),
        concluded_on: d(2026, 1, 15),
    })
    .unwrap()
}

fn de() -> Jurisdiction {
    Jurisdiction::new("DE").unwrap()
}

#[test]
fn the_gdpr_profile_alone_keeps_the_policy_file_for_the_limitation_period() {
    let gdpr = Profile::gdpr().unwrap();
    for category in [DataCategory::Policies, DataCategory::Claims] {
        let f = ended(de(), category);
        // Not the day after the relationship ended: GDPR Art 17(3)(e) keeps it for legal claims.
        let dec = decide(&gdpr, &f, d(2020, 1, 2));
        assert_eq!(
            dec.outcome(),
            RetentionOutcome::StorageOnly {
                until: Some(d(2030, 1, 1))
            },
            "{category}"
        );
        assert!(
            dec.citations()
                .iter()
                .any(|c| c.to_string() == "GDPR Art 17(3)(e)")
        );
        let grounds = dec.gdpr_grounds(de(), &ForeignFloorGround::NotRecorded);
        assert_eq!(grounds.len(), 1);
        assert_eq!(grounds[0].ground, Some(GdprRetentionGround::LegalClaims));
        assert_eq!(
            decide(&gdpr, &f, d(2030, 1, 2)).outcome(),
            RetentionOutcome::Destroy {
                due_since: d(2030, 1, 2)
            }
        );
    }
    // Contact details are not part of the file: erased the day after (GDPR Art 5(1)(e)).
    assert_eq!(
        decide(&gdpr, &ended(de(), DataCategory::Contact), d(2020, 1, 2)).outcome(),
        RetentionOutcome::Destroy {
            due_since: d(2020, 1, 2)
        }
    );
}

#[test]
fn kyc_is_kept_under_the_eu_aml_rules_when_the_broker_is_obliged_and_only_then() {
    let gdpr = Profile::gdpr().unwrap();
    assert!(gdpr.settings().eu_aml_obligated, "the cautious default");
    let f = ended(Jurisdiction::new("NO").unwrap(), DataCategory::KycAml);
    let dec = decide(&gdpr, &f, d(2020, 1, 2));
    assert_eq!(
        dec.outcome(),
        RetentionOutcome::StorageOnly {
            until: Some(d(2025, 1, 1))
        }
    );
    assert!(
        dec.citations()
            .iter()
            .any(|c| c.to_string() == "AMLD (EU) 2015/849 Art 40(1)")
    );
    let grounds = dec.gdpr_grounds(Jurisdiction::new("NO").unwrap(), &ForeignFloorGround::NotRecorded);
    let Some(GdprRetentionGround::LegalObligation { law }) = &grounds[0].ground else {
        panic!("{grounds:?}")
    };
    assert_eq!(law.to_string(), "AMLD (EU) 2015/849 Art 40(1)");
    assert_eq!(grounds[0].origin, LawOrigin::Union);

    let not_obliged = gdpr.with_settings(Settings {
        eu_aml_obligated: false,
        ..gdpr.settings()
    });
    assert_eq!(
        decide(&not_obliged, &f, d(2020, 1, 2)).outcome(),
        RetentionOutcome::Destroy {
            due_since: d(2020, 1, 2)
        }
    );
}

#[test]
fn the_profile_covers_the_eea_not_only_the_eu() {
    let gdpr = Profile::gdpr().unwrap();
    for code in ["IS", "LI", "NO", "DE", "PT"] {
        let f = ended(Jurisdiction::new(code).unwrap(), DataCategory::Contact);
        assert!(decide(&gdpr, &f, d(2020, 1, 2)).outcome().is_destroy(), "{code}");
    }
    for code in ["CH", "GB", "CN"] {
        let f = ended(Jurisdiction::new(code).unwrap(), DataCategory::Contact);
        assert_eq!(
            decide(&gdpr, &f, d(2020, 1, 2)).outcome(),
            RetentionOutcome::Retain { until: None },
            "{code}"
        );
    }
}

#[test]
fn a_chinese_duty_kept_for_an_eea_customer_rests_on_6_1_f_or_17_3_e_never_6_1_c() {
    let both = Profile::combined(
        "cn+gdpr",
        &[
            &Profile::cn_insurance_broker().unwrap(),
            &Profile::gdpr().unwrap(),
        ],
    )
    .unwrap();
    let fr = Jurisdiction::new("FR").unwrap();
    let f = ended(fr, DataCategory::Identity);
    let dec = decide(&both, &f, d(2021, 1, 1));
    // AML Law 2024 Art 34 keeps identity data ten years: storage only until 2030.
    assert_eq!(
        dec.outcome(),
        RetentionOutcome::StorageOnly {
            until: Some(d(2030, 1, 1))
        }
    );
    let ground_of = |foreign: &ForeignFloorGround, rule: &str| {
        dec.gdpr_grounds(fr, foreign)
            .into_iter()
            .find(|g| g.rule.as_str() == rule)
            .unwrap()
    };
    // Nothing recorded: the Chinese floors are reported without a GDPR ground, for the controller to decide.
    for rule in ["aml-34-identity", "broker-51-long-term"] {
        let g = ground_of(&ForeignFloorGround::NotRecorded, rule);
        assert_eq!(g.origin, LawOrigin::ThirdCountry, "{rule}");
        assert_eq!(g.ground, None, "{rule}");
    }
    let g = ground_of(
        &ForeignFloorGround::LegitimateInterests(test()),
        "aml-34-identity",
    );
    assert_eq!(
        g.ground,
        Some(GdprRetentionGround::LegitimateInterests { test: test() })
    );
    assert_eq!(g.ground.unwrap().citations()[0].to_string(), "GDPR Art 6(1)(f)");
    let g = ground_of(&ForeignFloorGround::LegalClaims, "aml-34-identity");
    assert_eq!(g.ground, Some(GdprRetentionGround::LegalClaims));
    // The EU floors keep their own grounds whatever is recorded for the Chinese ones.
    assert_eq!(
        ground_of(&ForeignFloorGround::NotRecorded, "gdpr-17-3-e-legal-claims").ground,
        Some(GdprRetentionGround::LegalClaims)
    );
    assert!(matches!(
        ground_of(&ForeignFloorGround::NotRecorded, "eu-amld-40-due-diligence").ground,
        Some(GdprRetentionGround::LegalObligation { .. })
    ));
    // Outside the EEA the GDPR gives no grounds.
    assert!(
        dec.gdpr_grounds(Jurisdiction::MAINLAND_CHINA, &ForeignFloorGround::NotRecorded)
            .is_empty()
    );
}

#[test]
fn no_combination_presents_a_chinese_floor_as_a_gdpr_legal_obligation() {
    let cn = Profile::cn_insurance_broker().unwrap();
    let eu = Profile::gdpr().unwrap();
    let both = Profile::combined("cn+gdpr", &[&cn, &eu]).unwrap();
    let foreign = [
        ForeignFloorGround::NotRecorded,
        ForeignFloorGround::LegalClaims,
        ForeignFloorGround::LegitimateInterests(test()),
    ];
    let mut chinese_floors_seen = 0;
    for code in ["DE", "FR", "IS", "LI", "NO", "IE", "FI"] {
        let j = Jurisdiction::new(code).unwrap();
        for category in DataCategory::ALL {
            for contract_end in [None, Some(d(2015, 6, 30))] {
                let c = CustomerId::new_v7();
                let mut b = RetentionFacts::builder(c, j)
                    .held(HeldData::new(c, Holding::Category(category), d(2010, 1, 1), servicing()).unwrap())
                    .relationship_ended(d(2016, 1, 1))
                    .transaction(d(2015, 12, 1));
                b = b.contract(match contract_end {
                    Some(e) => Contract::ending(ContractTerm::MoreThanOneYear, e),
                    None => Contract::in_force(ContractTerm::OneYearOrLess),
                });
                let f = b.build().unwrap();
                for on in [d(2016, 1, 2), d(2020, 1, 1), d(2024, 1, 1)] {
                    let dec = decide(&both, &f, on);
                    for fg in &foreign {
                        for g in dec.gdpr_grounds(j, fg) {
                            if g.origin == LawOrigin::ThirdCountry {
                                chinese_floors_seen += 1;
                                assert!(
                                    !matches!(g.ground, Some(GdprRetentionGround::LegalObligation { .. })),
                                    "{code} {category} {on}: {g:?}"
                                );
                                let cited: Vec<String> = g
                                    .ground
                                    .iter()
                                    .flat_map(GdprRetentionGround::citations)
                                    .map(|c| c.to_string())
                                    .collect();
                                assert!(
                                    !cited
                                        .iter()
                                        .any(|c| c == "GDPR Art 6(1)(c)" || c == "GDPR Art 17(3)(b)"),
                                    "{code} {category} {on}: {cited:?}"
                                );
                            }
                        }
                    }
                    // Nor does any reason of the decision cite those articles.
                    assert!(
                        !dec.citations()
                            .iter()
                            .any(|c| c.to_string() == "GDPR Art 6(1)(c)"
                                || c.to_string() == "GDPR Art 17(3)(b)")
                    );
                }
            }
        }
    }
    assert!(
        chinese_floors_seen > 100,
        "the loop must meet Chinese floors ({chinese_floors_seen})"
    );
}

#[test]
fn a_rule_cannot_cite_a_gdpr_legal_obligation_in_place_of_the_law() {
    let text = r#"
        name = "mine"
        [[rules]]
        id = "aml-kept-for-the-eu"
        instrument = "Gdpr"
        article = "17(3)(b)"
        categories = ["kyc_aml"]
        trigger = "relationship_end"
        minimum = "P10Y"
    "#;
    let err = Profile::from_toml(text).unwrap_err();
    assert!(
        matches!(err, RetentionError::InvalidCitation { ref rule, field: "article", .. } if rule == "aml-kept-for-the-eu"),
        "{err}"
    );
    assert!(Profile::from_toml(&text.replace("17(3)(b)", "6(1)(c)")).is_err());
    assert!(Profile::from_toml(&text.replace("17(3)(b)", "17(3)(e)")).is_ok());
}
