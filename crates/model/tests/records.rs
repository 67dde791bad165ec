//! Hand-made records: versions, serde round-trips and quality scoring on edge cases.

// Helpers outside #[test] functions may unwrap too: a panic in a test is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_model::{
    ActorId, AmlRisk, BookQualityReport, Claim, ClaimId, ClaimStatus, ContactSection, Customer,
    CustomerFields, CustomerId, CustomerQualityReport, DataCategory, Gender, Guardian, GuardianRelationship,
    IdentityDocument, IssueKind, Jurisdiction, KycRecord, MobileNumber, ModelError, Money, Organization,
    OrganizationName, Party, PartyKind, Person, PersonFields, PersonName, Policy, PolicyFields, PolicyId,
    PostalAddress, PostalAddressFields, ProductLine, QualityConfig, QualityConfigFields, ResidentIdNumber,
    StoredCustomer, UnifiedSocialCreditCode, VersionHistory, assess_customer,
};
use custodia_synthetic::book::{BookConfig, ConsentFact, SyntheticBook, SyntheticCustomer};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn clerk() -> ActorId {
    ActorId::new("clerk-7").unwrap()
}

fn address(country: Jurisdiction) -> PostalAddress {
    PostalAddress::new(PostalAddressFields {
        country,
        region_code: None,
        lines: vec!["北京市".into(), "朝阳区建国路88号".into()],
        postal_code: None,
    })
    .unwrap()
}

fn person(birth: NaiveDate, guardian: bool) -> Party {
    let id = ResidentIdNumber::from_parts("110105", birth, 10, Gender::Male).unwrap();
    Party::Person(
        Person::new(PersonFields {
            name: PersonName::new("张三").unwrap(),
            birth_date: birth,
            gender: Gender::Male,
            nationality: Jurisdiction::MAINLAND_CHINA,
            document: IdentityDocument::ResidentId(id),
            guardian: guardian.then(|| Guardian {
                name: PersonName::new("张大山").unwrap(),
                relationship: GuardianRelationship::Parent,
                mobile: None,
            }),
        })
        .unwrap(),
    )
}

/// A complete adult: phone and address, no policies.
fn base(party: Party) -> CustomerFields {
    CustomerFields {
        id: CustomerId::new_v7(),
        party,
        residence: Jurisdiction::MAINLAND_CHINA,
        contact: ContactSection {
            mobile: Some(MobileNumber::new("13812345678").unwrap()),
            phone: None,
            email: None,
            address: Some(address(Jurisdiction::MAINLAND_CHINA)),
        },
        accounts: vec![],
        health: None,
        policies: vec![],
        claims: vec![],
        beneficiaries: vec![],
        covered_people: vec![],
        marketing: None,
        kyc: None,
        relationship_start: date(2020, 1, 1),
        relationship_end: None,
        last_verified: date(2025, 1, 1),
    }
}

fn policy(start: NaiveDate, end: NaiveDate, line: ProductLine) -> Policy {
    Policy::new(PolicyFields {
        id: PolicyId::new_v7(),
        policy_number: "P1".into(),
        insurer: "中国人寿保险股份有限公司".into(),
        product: "意外伤害保险".into(),
        line,
        term_start: start,
        term_end: end,
        premium: Money::cny(20_000),
        termination: None,
    })
    .unwrap()
}

fn assess(fields: CustomerFields, as_of: NaiveDate) -> CustomerQualityReport {
    assess_customer(
        &Customer::new(fields, at(2020, 1, 1), clerk()).unwrap(),
        as_of,
        &QualityConfig::default(),
    )
}

fn rules(report: &CustomerQualityReport) -> Vec<(&str, IssueKind)> {
    report.issues.iter().map(|i| (i.rule.as_str(), i.kind)).collect()
}

#[test]
fn a_complete_adult_is_clean() {
    let r = assess(base(person(date(1980, 5, 5), false)), date(2025, 6, 1));
    assert!(r.is_clean(), "{:?}", r.issues);
    assert_eq!((r.required_fields, r.present_fields), (2, 2));
    assert_eq!(r.completeness(), 1.0);
}

#[test]
fn a_minor_without_guardian_is_missing_one_under_pipl_31() {
    let r = assess(base(person(date(2015, 5, 5), false)), date(2025, 6, 1));
    assert_eq!(rules(&r), vec![("required_for_minor", IssueKind::Missing)]);
    assert_eq!(r.issues[0].field, "identity.guardian");
    assert_eq!(r.issues[0].citation.to_string(), "PIPL Art 31");
    assert_eq!((r.required_fields, r.present_fields), (3, 2));
    // The same child at 14 no longer needs one; with one, it is clean.
    assert!(assess(base(person(date(2011, 5, 5), false)), date(2025, 6, 1)).is_clean());
    assert!(assess(base(person(date(2015, 5, 5), true)), date(2025, 6, 1)).is_clean());
}

#[test]
fn staleness_follows_the_configured_interval_and_active_relationships() {
    let fields = base(person(date(1980, 5, 5), false));
    let customer = Customer::new(fields.clone(), at(2020, 1, 1), clerk()).unwrap();
    let short = QualityConfig::new(QualityConfigFields {
        reverification_interval_days: 100,
        max_plausible_age_years: 120,
    })
    .unwrap();
    let r = assess_customer(&customer, date(2025, 4, 11), &short);
    assert_eq!(r.days_since_verified, 100);
    assert!(r.is_clean(), "exactly the interval is not stale");
    let r = assess_customer(&customer, date(2025, 4, 12), &short);
    assert_eq!(rules(&r), vec![("reverification_due", IssueKind::Stale)]);
    // An ended relationship is not re-verified.
    let ended = Customer::new(
        CustomerFields {
            relationship_end: Some(date(2025, 2, 1)),
            ..fields
        },
        at(2020, 1, 1),
        clerk(),
    )
    .unwrap();
    assert!(assess_customer(&ended, date(2026, 1, 1), &short).is_clean());
    assert!(
        QualityConfig::new(QualityConfigFields {
            reverification_interval_days: 0,
            max_plausible_age_years: 120
        })
        .is_err()
    );
}

#[test]
fn inconsistencies_and_impossible_dates_are_reported() {
    let mut f = base(person(date(1980, 5, 5), false));
    let p = policy(date(2019, 6, 1), date(2019, 12, 31), ProductLine::Accident);
    f.claims = vec![Claim {
        id: ClaimId::new_v7(),
        policy_id: p.id(),
        incident_date: date(2020, 3, 1),
        reported_on: date(2020, 3, 2),
        closed_on: Some(date(2020, 4, 1)),
        status: ClaimStatus::Paid,
        amount_claimed: Money::cny(100),
        amount_paid: Some(Money::cny(100)),
        has_medical_records: true,
    }];
    f.policies = vec![p];
    f.kyc = Some(KycRecord {
        verified_on: date(2020, 1, 1),
        risk: AmlRisk::Low,
        occupation: Some("教师".into()),
        transactions: vec![],
    });
    f.contact.address = Some(address(Jurisdiction::new("DE").unwrap()));
    let r = assess(f, date(2025, 6, 1));
    let found = rules(&r);
    for expected in [
        ("policy_before_relationship", IssueKind::Inconsistent),
        ("incident_outside_cover", IssueKind::Inconsistent),
        ("address_outside_residence", IssueKind::Inconsistent),
        ("payout_account_for_paid_claim", IssueKind::Missing),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    assert_eq!(found.len(), 4, "{found:?}");

    // A report date before the birth makes the birth date and the relationship impossible.
    let r = assess(base(person(date(2021, 1, 1), true)), date(2020, 6, 1));
    let found = rules(&r);
    assert!(
        found.contains(&("birth_date_in_future", IssueKind::Invalid)),
        "{found:?}"
    );
    assert!(
        found.contains(&("relationship_before_birth", IssueKind::Inconsistent)),
        "{found:?}"
    );
    assert!(
        found.contains(&("date_in_future", IssueKind::Invalid)),
        "{found:?}"
    );
}

#[test]
fn organizations_need_their_own_fields() {
    let org = Party::Organization(Organization {
        name: OrganizationName::new("北京华信科技有限公司").unwrap(),
        credit_code: UnifiedSocialCreditCode::new("91350100M000100Y43").unwrap(),
        legal_representative: None,
        contact_person: Some(PersonName::new("李四").unwrap()),
    });
    let mut f = base(org);
    f.policies = vec![policy(
        date(2021, 1, 1),
        date(2021, 12, 31),
        ProductLine::Property,
    )];
    let r = assess(f, date(2025, 6, 1));
    let missing: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::Missing)
        .map(|i| i.field.as_str())
        .collect();
    assert_eq!(
        missing,
        vec!["contact.email", "identity.legal_representative", "kyc_aml"]
    );
    assert_eq!((r.required_fields, r.present_fields), (6, 3));
    assert!((r.completeness() - 0.5).abs() < 1e-12);
    let mut book = BookQualityReport::new(date(2025, 6, 1), QualityConfig::default(), 5);
    book.add(&r);
    book.add(&assess(base(person(date(1980, 5, 5), false)), date(2025, 6, 1)));
    assert_eq!(
        (book.customers, book.clean_customers, book.complete_customers),
        (2, 1, 1)
    );
    assert_eq!((book.required_fields, book.present_fields), (8, 5));
    assert_eq!(book.worst.len(), 1);
    assert_eq!(book.issues_by_field.get("kyc_aml"), Some(&1));
}

#[test]
fn an_update_yields_a_new_version_naming_what_changed() {
    let v1 = Customer::new(base(person(date(1980, 5, 5), false)), at(2020, 1, 1), clerk()).unwrap();
    assert_eq!(v1.version().number(), 1);
    assert!(
        v1.version()
            .changed_fields()
            .contains(&"contact.mobile".to_owned())
    );
    let mut edit = v1.to_fields();
    edit.contact.mobile = Some(MobileNumber::new("13900001111").unwrap());
    edit.last_verified = date(2025, 3, 1);
    let v2 = v1
        .update(edit.clone(), at(2025, 3, 1), ActorId::new("agent-12").unwrap())
        .unwrap();
    assert_eq!(v2.version().number(), 2);
    assert_eq!(v2.version().by().as_str(), "agent-12");
    assert_eq!(v2.version().at(), at(2025, 3, 1));
    assert_eq!(v2.version().changed_fields(), ["contact.mobile", "last_verified"]);
    assert_eq!(
        v1.contact().mobile.as_ref().unwrap().as_str(),
        "13812345678",
        "the old version is untouched"
    );

    assert_eq!(
        v2.update(v2.to_fields(), at(2025, 4, 1), clerk()),
        Err(ModelError::NoChange { field: "customer" })
    );
    assert!(matches!(
        v2.update(v1.to_fields(), at(2025, 2, 1), clerk()),
        Err(ModelError::VersionConflict { .. })
    ));
    let mut other = edit.clone();
    other.id = CustomerId::new_v7();
    assert!(matches!(
        v2.update(other, at(2025, 4, 1), clerk()),
        Err(ModelError::Inconsistent { .. })
    ));
    let mut bad = edit;
    bad.relationship_end = Some(date(2019, 1, 1));
    assert!(matches!(
        v2.update(bad, at(2025, 4, 1), clerk()),
        Err(ModelError::DateOrder {
            field: "relationship_end",
            ..
        })
    ));

    let mut history = VersionHistory::new(v1.id(), v1.version().clone()).unwrap();
    history.push(v2.id(), v2.version().clone()).unwrap();
    assert!(
        history.push(v2.id(), v2.version().clone()).is_err(),
        "a version cannot be pushed twice"
    );
    assert_eq!(history.len(), 2);
    assert_eq!(history.latest().number(), 2);
    let json = serde_json::to_string(&history).unwrap();
    assert_eq!(serde_json::from_str::<VersionHistory>(&json).unwrap(), history);
    let broken = json.replace("\"number\":2", "\"number\":3");
    assert!(serde_json::from_str::<VersionHistory>(&broken).is_err());
}

#[test]
fn customers_refuse_dangling_references() {
    let mut f = base(person(date(1980, 5, 5), false));
    f.claims = vec![Claim {
        id: ClaimId::new_v7(),
        policy_id: PolicyId::new_v7(),
        incident_date: date(2021, 1, 1),
        reported_on: date(2021, 1, 2),
        closed_on: None,
        status: ClaimStatus::Open,
        amount_claimed: Money::cny(1),
        amount_paid: None,
        has_medical_records: false,
    }];
    assert!(matches!(
        Customer::new(f, at(2020, 1, 1), clerk()),
        Err(ModelError::DanglingReference {
            field: "claims.policy_id",
            ..
        })
    ));
}

#[test]
fn categories_and_sensitivity_of_a_customer() {
    let child = Customer::new(base(person(date(2015, 5, 5), true)), at(2020, 1, 1), clerk()).unwrap();
    assert_eq!(
        child.categories_held(),
        vec![DataCategory::Identity, DataCategory::Contact]
    );
    assert!(
        child.is_sensitive_at(DataCategory::Contact, date(2025, 1, 1)),
        "all data of a minor is sensitive"
    );
    assert!(!child.is_sensitive_at(DataCategory::Contact, date(2029, 6, 1)));
    assert_eq!(child.sensitive_categories_at(date(2025, 1, 1)).len(), 2);
    assert!(child.sensitive_categories_at(date(2029, 6, 1)).is_empty());
}

#[test]
fn serde_round_trips_of_every_record_type() {
    let book = SyntheticBook::generate(
        &BookConfig {
            customers: 300,
            ..BookConfig::default()
        },
        date(2026, 1, 1),
    )
    .unwrap();
    let json = serde_json::to_string(&book).unwrap();
    let back: SyntheticBook = serde_json::from_str(&json).unwrap();
    assert_eq!(back, book);
    for s in book.customers().iter().take(50) {
        let json = serde_json::to_string(&s.customer).unwrap();
        assert_eq!(serde_json::from_str::<Customer>(&json).unwrap(), s.customer);
        let stored: StoredCustomer = serde_json::from_str(&json).unwrap();
        assert_eq!(stored.version.number(), 1);
        for p in s.customer.policies() {
            assert_eq!(
                serde_json::from_str::<Policy>(&serde_json::to_string(p).unwrap()).unwrap(),
                *p
            );
        }
        let facts: Vec<ConsentFact> =
            serde_json::from_str(&serde_json::to_string(&s.consents).unwrap()).unwrap();
        assert_eq!(facts, s.consents);
        let one: SyntheticCustomer = serde_json::from_str(&serde_json::to_string(s).unwrap()).unwrap();
        assert_eq!(&one, s);
        let report = assess_customer(&s.customer, date(2026, 1, 1), &QualityConfig::default());
        let back: CustomerQualityReport =
            serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(back, report);
    }
    let mut book_report = BookQualityReport::new(date(2026, 1, 1), QualityConfig::default(), 5);
    book_report.extend(book.records());
    let back: BookQualityReport =
        serde_json::from_str(&serde_json::to_string(&book_report).unwrap()).unwrap();
    assert_eq!(back.customers, book_report.customers);
    assert_eq!(back.issues_by_rule, book_report.issues_by_rule);
}

#[test]
fn deserialization_runs_the_cross_field_checks() {
    let c = Customer::new(base(person(date(1980, 5, 5), false)), at(2020, 1, 1), clerk()).unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&c).unwrap();
    json["fields"]["relationship_end"] = "2010-01-01".into();
    assert!(serde_json::from_value::<Customer>(json).is_err());
    let mut json: serde_json::Value = serde_json::to_value(&c).unwrap();
    json["fields"]["contact"]["mobile"] = "12345".into();
    assert!(serde_json::from_value::<Customer>(json).is_err());
}

#[test]
fn debug_output_shows_only_masks() {
    let book = SyntheticBook::generate(
        &BookConfig {
            customers: 200,
            ..BookConfig::default()
        },
        date(2026, 1, 1),
    )
    .unwrap();
    for c in book.records() {
        let debug = format!("{c:?}");
        let mut secrets: Vec<String> = Vec::new();
        if let Party::Person(p) = c.party() {
            secrets.push(p.name().as_str().to_owned());
            if let IdentityDocument::ResidentId(id) = p.document() {
                secrets.push(id.as_str().to_owned());
            }
        }
        secrets.extend(c.contact().mobile.iter().map(|m| m.as_str().to_owned()));
        secrets.extend(c.contact().email.iter().map(|m| m.as_str().to_owned()));
        // A person's address beyond its first line is personal; an organization's is public registration data.
        if c.kind() == PartyKind::Person {
            secrets.extend(
                c.contact()
                    .address
                    .iter()
                    .flat_map(|a| a.lines().iter().skip(1).cloned()),
            );
        }
        secrets.extend(c.accounts().iter().map(|a| a.card.as_str().to_owned()));
        secrets.extend(c.health().iter().flat_map(|h| h.conditions.iter().cloned()));
        for secret in secrets {
            assert!(
                !debug.contains(&secret),
                "Debug leaks {secret:?} of customer {}",
                c.id()
            );
        }
    }
}
