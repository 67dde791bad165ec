//! Table tests of the shipped `cn-insurance-broker` policies: each row a request, the expected effect, the
//! deciding policy and the article it cites; and the load-time checks of a policy set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::*;
use custodia_access::{
    AccessError, AccessFacts, AccessRequest, Action, CedarEngine, Decision, Effect, Gate, GateSettings,
    PurposeBasis, SCHEMA, SectionFacts, Ticket,
};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};

fn decide(
    gate: &Gate,
    staff: &Staff,
    action: Action,
    purpose: &Purpose,
    category: DataCategory,
    facts: AccessFacts,
    ticket: Option<&Ticket>,
) -> Decision {
    let request = AccessRequest {
        principal: &staff.principal,
        action,
        customer: CustomerId::new_v7(),
        categories: CategorySet::from([category]),
        purpose,
        at: monday_morning(),
        ticket,
        approval: None,
    };
    gate.decide(&request, &facts).unwrap()
}

/// The one category outcome of a single-category decision: effect and deciding policy ids.
fn outcome(decision: &Decision) -> (Effect, Vec<String>) {
    let o = &decision.entry().outcomes()[0];
    let ids = o.policies().iter().map(|p| p.id().to_owned()).collect();
    (o.effect(), ids)
}

struct Row {
    what: &'static str,
    roles: &'static [&'static str],
    purpose: Purpose,
    action: Action,
    category: DataCategory,
    change: fn(SectionFacts) -> SectionFacts,
    minor: bool,
    ticket: bool,
    /// Whether the principal is approved for the purpose.
    approved: bool,
    effect: Effect,
    /// The deciding policy (a forbid for a deny, a permit for an allow), or "" for the default deny.
    policy: &'static str,
    /// Where the law is: a fragment of the policy's citation.
    cites: &'static str,
}

fn same(f: SectionFacts) -> SectionFacts {
    f
}

#[test]
fn each_shipped_rule_decides_as_its_article_says() {
    use Action::*;
    use DataCategory::*;
    use Effect::*;
    let rows = [
        Row {
            what: "a claims handler reads health for a claim",
            roles: &["claims_handler"],
            purpose: Purpose::ClaimsAssistance,
            action: Read,
            category: Health,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "claims-handler",
            cites: "PIPL 6",
        },
        Row {
            what: "minimum necessity: a claims handler has no need of marketing preferences",
            roles: &["claims_handler"],
            purpose: Purpose::ClaimsAssistance,
            action: Read,
            category: MarketingPreferences,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "",
            cites: "",
        },
        Row {
            what: "PIPL 28: sensitive data only for a role whose purpose needs it",
            roles: &["marketing"],
            purpose: Purpose::Marketing,
            action: Read,
            category: Health,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "sensitive-needs-purpose",
            cites: "PIPL 28",
        },
        Row {
            what: "PIPL 28: a section the facts make sensitive",
            roles: &["sales"],
            purpose: Purpose::ProposalPreparation,
            action: Read,
            category: Policies,
            change: SectionFacts::sensitive,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "sensitive-needs-purpose",
            cites: "PIPL 28",
        },
        Row {
            what: "PIPL 28, 31: every category of a minor under 14 is sensitive",
            roles: &["marketing"],
            purpose: Purpose::Marketing,
            action: Read,
            category: Contact,
            change: same,
            minor: true,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "sensitive-needs-purpose",
            cites: "PIPL 28",
        },
        Row {
            what: "marketing reads contact of an adult",
            roles: &["marketing"],
            purpose: Purpose::Marketing,
            action: Read,
            category: Contact,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "marketing-contact",
            cites: "PIPL 6",
        },
        Row {
            what: "PIPL 5, 6: a purpose the principal is not approved for",
            roles: &["marketing"],
            purpose: Purpose::Marketing,
            action: Read,
            category: Contact,
            change: same,
            minor: false,
            ticket: false,
            approved: false,
            effect: Deny,
            policy: "approved-purpose-only",
            cites: "51(4)",
        },
        Row {
            what: "PIPL 13, 14: the purpose has no basis for the category",
            roles: &["claims_handler"],
            purpose: Purpose::ClaimsAssistance,
            action: Read,
            category: Claims,
            change: |f| SectionFacts::new(f.category(), PurposeBasis::NotPermitted),
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "purpose-basis-required",
            cites: "PIPL 5, 13, 14",
        },
        Row {
            what: "PIPL 47(2): storage-only data closed to servicing",
            roles: &["account_manager"],
            purpose: Purpose::PolicyServicing,
            action: Read,
            category: Identity,
            change: SectionFacts::storage_only,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "storage-only-restricted",
            cites: "PIPL 47(2)",
        },
        Row {
            what: "PIPL 47(2): storage-only data readable for legal compliance",
            roles: &["compliance"],
            purpose: Purpose::LegalCompliance,
            action: Read,
            category: Identity,
            change: SectionFacts::storage_only,
            minor: false,
            ticket: true,
            approved: true,
            effect: Permit,
            policy: "compliance-officer",
            cites: "47(2)",
        },
        Row {
            what: "PIPL 47(2): storage-only data cannot be exported even for compliance",
            roles: &["compliance"],
            purpose: Purpose::LegalCompliance,
            action: Export,
            category: Identity,
            change: SectionFacts::storage_only,
            minor: false,
            ticket: true,
            approved: true,
            effect: Deny,
            policy: "storage-only-restricted",
            cites: "NDSR 24",
        },
        Row {
            what: "PIPL 47(2): security measures may read storage-only data",
            roles: &["security_officer"],
            purpose: security(),
            action: Read,
            category: KycAml,
            change: SectionFacts::storage_only,
            minor: false,
            ticket: true,
            approved: true,
            effect: Permit,
            policy: "security-officer",
            cites: "PIPL 47(2)",
        },
        Row {
            what: "transferred customers are closed to sales",
            roles: &["sales"],
            purpose: Purpose::ProposalPreparation,
            action: Read,
            category: Contact,
            change: SectionFacts::transferred,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "transferred-closed-to-sales",
            cites: "PIPL 6, 22",
        },
        Row {
            what: "transferred customers are closed to marketing",
            roles: &["marketing"],
            purpose: Purpose::Marketing,
            action: Read,
            category: Contact,
            change: SectionFacts::transferred,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "transferred-closed-to-sales",
            cites: "§2.4",
        },
        Row {
            what: "a transferred customer's claim still served by claims",
            roles: &["claims_handler"],
            purpose: Purpose::ClaimsAssistance,
            action: Read,
            category: Claims,
            change: SectionFacts::transferred,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "claims-handler",
            cites: "PIPL 6",
        },
        Row {
            what: "held data is preserved: no update, even for the account manager's servicing",
            roles: &["account_manager"],
            purpose: Purpose::PolicyServicing,
            action: Action::Update,
            category: Contact,
            change: SectionFacts::under_legal_hold,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "legal-hold-preserved",
            cites: "PIPL 51",
        },
        Row {
            what: "held data the brokerage still retains is read for servicing as before",
            roles: &["account_manager"],
            purpose: Purpose::PolicyServicing,
            action: Read,
            category: Contact,
            change: SectionFacts::under_legal_hold,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "servicing-account-manager",
            cites: "PIPL 6",
        },
        Row {
            what: "held data is exported by compliance for the proceedings, with a ticket",
            roles: &["compliance"],
            purpose: Purpose::LegalCompliance,
            action: Action::Export,
            category: Contact,
            change: SectionFacts::under_legal_hold,
            minor: false,
            ticket: true,
            approved: true,
            effect: Permit,
            policy: "compliance-officer",
            cites: "PIPL 13(3)",
        },
        Row {
            what: "held data is not exported for marketing",
            roles: &["marketing"],
            purpose: Purpose::Marketing,
            action: Action::Export,
            category: Contact,
            change: SectionFacts::under_legal_hold,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "legal-hold-preserved",
            cites: "Civil Procedure Law Art 84",
        },
        Row {
            what: "practice §15: an oversight read names its ticket",
            roles: &["compliance"],
            purpose: Purpose::LegalCompliance,
            action: Read,
            category: KycAml,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "ticket-for-oversight-reads",
            cites: "§15",
        },
        Row {
            what: "compliance exports for a regulator with a ticket",
            roles: &["compliance"],
            purpose: Purpose::LegalCompliance,
            action: Export,
            category: KycAml,
            change: same,
            minor: false,
            ticket: true,
            approved: true,
            effect: Permit,
            policy: "compliance-officer",
            cites: "AML Law 2024 Art 34",
        },
        Row {
            what: "an account manager cannot export",
            roles: &["account_manager"],
            purpose: Purpose::PolicyServicing,
            action: Export,
            category: Contact,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "",
            cites: "",
        },
        Row {
            what: "an account manager updates contact details",
            roles: &["account_manager"],
            purpose: Purpose::PolicyServicing,
            action: Update,
            category: Contact,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "servicing-account-manager",
            cites: "PIPL 6",
        },
        Row {
            what: "analytics reads no plaintext (de-identified data only)",
            roles: &["account_manager"],
            purpose: Purpose::Analytics,
            action: Read,
            category: Policies,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "",
            cites: "",
        },
        Row {
            what: "a transfer never opens a section",
            roles: &["compliance"],
            purpose: Purpose::Transfer,
            action: Read,
            category: Identity,
            change: same,
            minor: false,
            ticket: true,
            approved: true,
            effect: Deny,
            policy: "",
            cites: "",
        },
        Row {
            what: "sales prepare a proposal without health",
            roles: &["sales"],
            purpose: Purpose::ProposalPreparation,
            action: Read,
            category: Health,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Deny,
            policy: "sensitive-needs-purpose",
            cites: "PIPL 28",
        },
        Row {
            what: "an account manager prepares a proposal with the health declaration",
            roles: &["account_manager"],
            purpose: Purpose::ProposalPreparation,
            action: Read,
            category: Health,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "proposal-health-account-manager",
            cites: "PIPL 6, 28",
        },
        Row {
            what: "application handling reads bank accounts",
            roles: &["application_officer"],
            purpose: Purpose::ApplicationHandling,
            action: Read,
            category: FinancialAccounts,
            change: same,
            minor: false,
            ticket: false,
            approved: true,
            effect: Permit,
            policy: "application-officer",
            cites: "28",
        },
    ];
    let gate = Gate::cn_insurance_broker().unwrap();
    let engine = gate.engine();
    let ticket = Ticket::new("inc-2026-0042").unwrap();
    for row in rows {
        let purposes = if row.approved {
            vec![row.purpose.clone()]
        } else {
            vec![Purpose::ClaimsAssistance]
        };
        let staff = staff("emp-0001", row.roles, &purposes);
        let mut facts = AccessFacts::new().section((row.change)(SectionFacts::new(
            row.category,
            PurposeBasis::Permitted,
        )));
        if row.minor {
            facts = facts.minor();
        }
        let decision = decide(
            &gate,
            &staff,
            row.action,
            &row.purpose,
            row.category,
            facts,
            row.ticket.then_some(&ticket),
        );
        let (effect, ids) = outcome(&decision);
        assert_eq!(effect, row.effect, "{}: {ids:?}", row.what);
        if row.policy.is_empty() {
            assert!(
                decision.entry().outcomes()[0].is_default_deny(),
                "{}: {ids:?}",
                row.what
            );
        } else {
            assert!(ids.iter().any(|id| id == row.policy), "{}: {ids:?}", row.what);
            let citation = engine.citation(row.policy).unwrap();
            assert!(citation.contains(row.cites), "{}: {citation}", row.what);
            let named = &decision.entry().outcomes()[0].policies();
            assert!(
                named.iter().any(|p| p.citation() == citation),
                "{}: the decision carries the citation",
                row.what
            );
        }
    }
}

#[test]
fn pipl_51_4_an_expired_or_missing_training_record_refuses_every_category() {
    let gate = Gate::cn_insurance_broker().unwrap();
    let at = monday_morning();
    let purposes = all_purposes();
    let expired = staff_trained(
        "emp-0002",
        &ROLES,
        &purposes,
        Some((at - Duration::days(400), at - Duration::days(35))),
    );
    let ends_now = staff_trained(
        "emp-0003",
        &ROLES,
        &purposes,
        Some((at - Duration::days(365), at)),
    );
    let later = staff_trained(
        "emp-0004",
        &ROLES,
        &purposes,
        Some((at + Duration::hours(1), at + Duration::days(365))),
    );
    let never = staff_trained("emp-0005", &ROLES, &purposes, None);
    let ticket = Ticket::new("case-1").unwrap();
    for staff in [&expired, &ends_now, &later, &never] {
        for category in DataCategory::ALL {
            for purpose in &purposes {
                for action in [Action::Read, Action::Update, Action::Export] {
                    let d = decide(
                        &gate,
                        staff,
                        action,
                        purpose,
                        category,
                        plain_facts(&[category]),
                        Some(&ticket),
                    );
                    let (effect, ids) = outcome(&d);
                    assert_eq!(effect, Effect::Deny);
                    assert!(
                        ids.iter().any(|i| i == "training-required"),
                        "{category} {purpose} {ids:?}"
                    );
                }
            }
        }
    }
    // The same principal with a valid record of another course is refused too; of the required one, allowed.
    let other_course = GateSettings {
        required_course: custodia_access::Course::new("fire-safety").unwrap(),
    };
    let gate2 = Gate::new(CedarEngine::cn_insurance_broker().unwrap(), other_course);
    let trained = staff("emp-0006", &["claims_handler"], &[Purpose::ClaimsAssistance]);
    let d = decide(
        &gate2,
        &trained,
        Action::Read,
        &Purpose::ClaimsAssistance,
        DataCategory::Claims,
        plain_facts(&[DataCategory::Claims]),
        None,
    );
    assert_eq!(d.effect(), Effect::Deny);
    let d = decide(
        &gate,
        &trained,
        Action::Read,
        &Purpose::ClaimsAssistance,
        DataCategory::Claims,
        plain_facts(&[DataCategory::Claims]),
        None,
    );
    assert_eq!(d.effect(), Effect::Permit);
}

#[test]
fn pipl_47_2_storage_only_data_is_refused_for_every_purpose_but_compliance_and_security() {
    let gate = Gate::cn_insurance_broker().unwrap();
    let purposes = all_purposes();
    // A principal holding every role and purpose, so only the storage-only rule can refuse.
    let everything = staff("emp-0007", &ROLES, &purposes);
    let ticket = Ticket::new("inc-7").unwrap();
    for category in DataCategory::ALL {
        for purpose in &purposes {
            for action in [Action::Read, Action::Update, Action::Export] {
                let facts = facts_with(&[category], SectionFacts::storage_only);
                let d = decide(
                    &gate,
                    &everything,
                    action,
                    purpose,
                    category,
                    facts,
                    Some(&ticket),
                );
                let (effect, ids) = outcome(&d);
                let allowed =
                    action == Action::Read && matches!(purpose.code(), "legal_compliance" | "security");
                if allowed {
                    assert_eq!(effect, Effect::Permit, "{category} {purpose} {ids:?}");
                } else {
                    assert_eq!(effect, Effect::Deny, "{category} {purpose} {action:?}");
                    assert!(
                        ids.iter().any(|i| i == "storage-only-restricted"),
                        "{category} {purpose} {ids:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_shipped_policy_has_an_id_and_a_citation_to_law_or_practice() {
    let engine = CedarEngine::cn_insurance_broker().unwrap();
    let policies: Vec<_> = engine.policies().collect();
    assert_eq!(policies.len(), 17);
    for p in &policies {
        assert!(
            p.citation().contains("PIPL") || p.citation().contains("practice §"),
            "{}: {}",
            p.id(),
            p.citation()
        );
    }
    // The practice's sections the issue names are each cited somewhere.
    for section in ["§2.4", "§3.1", "§3.3", "§13", "§15"] {
        assert!(
            policies.iter().any(|p| p.citation().contains(section)),
            "{section}"
        );
    }
    assert!(
        policies
            .iter()
            .any(|p| p.id() == "training-required" && p.citation().contains("PIPL 51(4)"))
    );
    assert!(
        policies
            .iter()
            .any(|p| p.id() == "sensitive-needs-purpose" && p.citation().contains("PIPL 28"))
    );
}

#[test]
fn a_bad_policy_is_a_typed_error_naming_it() {
    let load = |text: &str| CedarEngine::load(SCHEMA, text).unwrap_err();
    assert_eq!(
        load(
            r#"@id("typo") @citation("PIPL 6") permit (principal, action, resource) when { resource.categroy == "x" };"#
        ),
        AccessError::InvalidPolicy {
            policy: "typo".into()
        }
    );
    assert_eq!(
        load(
            r#"@id("wrong-type") @citation("PIPL 6") permit (principal, action, resource) when { resource.sensitive == "yes" };"#
        ),
        AccessError::InvalidPolicy {
            policy: "wrong-type".into()
        }
    );
    assert_eq!(
        load(
            r#"@id("a") @citation("PIPL 6") permit (principal, action, resource);
                @citation("PIPL 6") forbid (principal, action, resource);"#
        ),
        AccessError::MissingAnnotation {
            position: 2,
            annotation: "id"
        }
    );
    assert_eq!(
        load(r#"@id("a") permit (principal, action, resource);"#),
        AccessError::MissingAnnotation {
            position: 1,
            annotation: "citation"
        }
    );
    assert_eq!(
        load(
            r#"@id("a") @citation("x") permit (principal, action, resource);
                @id("a") @citation("y") forbid (principal, action, resource);"#
        ),
        AccessError::DuplicatePolicy { policy: "a".into() }
    );
    assert!(matches!(
        load("permit (principal, action, resource"),
        AccessError::PolicySyntax { .. }
    ));
    assert!(matches!(
        load(r#"@id("Bad Id") @citation("x") permit (principal, action, resource);"#),
        AccessError::InvalidCode { .. }
    ));
    assert_eq!(
        CedarEngine::load("entity {", "").unwrap_err(),
        AccessError::Schema
    );
}

#[test]
fn default_deny_and_forbid_overrides_permit_in_a_loaded_set() {
    // A set with a permit for everything and one forbid: the forbid wins; with no permit, deny.
    let text = r#"
        @id("all") @citation("test") permit (principal, action, resource);
        @id("no-health") @citation("PIPL 28") forbid (principal, action, resource) when { resource.category == "health" };
    "#;
    let gate = Gate::new(CedarEngine::load(SCHEMA, text).unwrap(), GateSettings::default());
    let s = staff("emp-0008", &["sales"], &[Purpose::Marketing]);
    let d = decide(
        &gate,
        &s,
        Action::Read,
        &Purpose::Marketing,
        DataCategory::Contact,
        plain_facts(&[DataCategory::Contact]),
        None,
    );
    assert_eq!(outcome(&d), (Effect::Permit, vec!["all".to_owned()]));
    let d = decide(
        &gate,
        &s,
        Action::Read,
        &Purpose::Marketing,
        DataCategory::Health,
        plain_facts(&[DataCategory::Health]),
        None,
    );
    assert_eq!(outcome(&d), (Effect::Deny, vec!["no-health".to_owned()]));
    let empty = Gate::new(CedarEngine::load(SCHEMA, "").unwrap(), GateSettings::default());
    let d = decide(
        &empty,
        &s,
        Action::Read,
        &Purpose::Marketing,
        DataCategory::Contact,
        plain_facts(&[DataCategory::Contact]),
        None,
    );
    assert!(d.entry().outcomes()[0].is_default_deny());
}

#[test]
fn a_template_links_a_standing_grant_for_one_principal_and_one_customer() {
    let text = r#"
        @id("case-assignment") @citation("PIPL 6; practice §13")
        permit (principal == ?principal, action == Custodia::Action::"read", resource in ?resource)
        when { resource.category == "claims" };
    "#;
    let mut engine = CedarEngine::load(SCHEMA, text).unwrap();
    let s = staff("emp-0009", &["claims_handler"], &[Purpose::ClaimsAssistance]);
    let mine = CustomerId::new_v7();
    engine
        .link("case-assignment", "clm-1", s.principal.id(), mine)
        .unwrap();
    assert!(matches!(
        engine.link("case-assignment", "clm-1", s.principal.id(), mine),
        Err(AccessError::Link { .. })
    ));
    assert!(matches!(
        engine.link("nope", "x", s.principal.id(), mine),
        Err(AccessError::Link { .. })
    ));
    assert_eq!(
        engine.citation("case-assignment:clm-1"),
        Some("PIPL 6; practice §13")
    );
    let gate = Gate::new(engine, GateSettings::default());
    for (customer, effect) in [(mine, Effect::Permit), (CustomerId::new_v7(), Effect::Deny)] {
        let request = AccessRequest {
            principal: &s.principal,
            action: Action::Read,
            customer,
            categories: CategorySet::from([DataCategory::Claims]),
            purpose: &Purpose::ClaimsAssistance,
            at: monday_morning(),
            ticket: None,
            approval: None,
        };
        let d = gate
            .decide(&request, &plain_facts(&[DataCategory::Claims]))
            .unwrap();
        assert_eq!(d.effect(), effect);
        if effect == Effect::Permit {
            assert_eq!(
                d.entry().outcomes()[0].policies()[0].id(),
                "case-assignment:clm-1"
            );
        }
    }
}

#[test]
fn a_request_is_decided_per_category_and_allowed_only_whole() {
    let gate = Gate::cn_insurance_broker().unwrap();
    let s = staff("emp-0010", &["claims_handler"], &[Purpose::ClaimsAssistance]);
    let cats = [DataCategory::Claims, DataCategory::MarketingPreferences];
    let request = AccessRequest {
        principal: &s.principal,
        action: Action::Read,
        customer: CustomerId::new_v7(),
        categories: CategorySet::from(cats),
        purpose: &Purpose::ClaimsAssistance,
        at: monday_morning(),
        ticket: None,
        approval: None,
    };
    let d = gate.decide(&request, &plain_facts(&cats)).unwrap();
    assert_eq!(d.effect(), Effect::Deny);
    assert_eq!(d.permitted(), CategorySet::from([DataCategory::Claims]));
    let denied = d.into_permit().unwrap_err();
    assert_eq!(
        denied.to_string(),
        "access denied to emp-0010 for claims_assistance: marketing_preferences (no permit)"
    );
    // Facts missing or doubled, or no category: typed errors, not guesses.
    assert_eq!(
        gate.decide(&request, &plain_facts(&[DataCategory::Claims]))
            .unwrap_err(),
        AccessError::MissingFacts {
            category: DataCategory::MarketingPreferences
        }
    );
    let doubled =
        plain_facts(&cats).section(SectionFacts::new(DataCategory::Claims, PurposeBasis::Permitted));
    assert_eq!(
        gate.decide(&request, &doubled).unwrap_err(),
        AccessError::DuplicateCategory {
            category: DataCategory::Claims
        }
    );
    let none = AccessRequest {
        categories: CategorySet::new(),
        ..request
    };
    assert_eq!(
        gate.decide(&none, &plain_facts(&cats)).unwrap_err(),
        AccessError::NoCategory
    );
}
