//! Shared helpers of custodia-access's integration tests: principals, facts and times.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia_access::{
    AccessFacts, Course, DEFAULT_COURSE, Department, Principal, PrincipalFields, PrincipalKind, PurposeBasis,
    Role, SectionFacts, TrainingRecord,
};
use custodia_crypto::SigningKey;
use custodia_model::{ActorId, DataCategory, Purpose};

/// Monday 2 March 2026, 10:00 in Beijing.
pub fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
}

/// The security purpose of the shipped policies (a custom purpose code).
pub fn security() -> Purpose {
    Purpose::custom("security").unwrap()
}

/// Every purpose the shipped policies know, and one they do not.
pub fn all_purposes() -> Vec<Purpose> {
    let mut all = Purpose::BUILTIN.to_vec();
    all.push(security());
    all.push(Purpose::custom("fraud_review").unwrap());
    all
}

/// Every role the shipped policies name.
pub const ROLES: [&str; 8] = [
    "account_manager",
    "sales",
    "application_officer",
    "claims_handler",
    "marketing",
    "compliance",
    "security_officer",
    "approver",
];

pub struct Staff {
    pub principal: Principal,
    pub key: SigningKey,
}

/// A member of staff with `roles` and `purposes`, trained in the required course from a month before
/// `monday_morning` for a year.
pub fn staff(id: &str, roles: &[&str], purposes: &[Purpose]) -> Staff {
    let at = monday_morning();
    staff_trained(
        id,
        roles,
        purposes,
        Some((at - Duration::days(30), at + Duration::days(335))),
    )
}

pub fn staff_trained(
    id: &str,
    roles: &[&str],
    purposes: &[Purpose],
    training: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Staff {
    let key = SigningKey::generate().unwrap();
    let principal = Principal::new(PrincipalFields {
        id: ActorId::new(id).unwrap(),
        kind: PrincipalKind::Staff,
        roles: roles.iter().map(|r| Role::new(r).unwrap()).collect(),
        department: Department::new("operations").unwrap(),
        purposes: purposes.iter().cloned().collect::<BTreeSet<_>>(),
        training: training
            .map(|(from, until)| {
                vec![TrainingRecord::new(Course::new(DEFAULT_COURSE).unwrap(), from, until).unwrap()]
            })
            .unwrap_or_default(),
        verifying_key: key.verifying_key(),
    })
    .unwrap();
    Staff { principal, key }
}

/// Facts for `categories`, each with the purpose permitted and nothing restricted.
pub fn plain_facts(categories: &[DataCategory]) -> AccessFacts {
    categories.iter().fold(AccessFacts::new(), |f, c| {
        f.section(SectionFacts::new(*c, PurposeBasis::Permitted))
    })
}

/// Facts for `categories`, each changed by `change`.
pub fn facts_with(categories: &[DataCategory], change: impl Fn(SectionFacts) -> SectionFacts) -> AccessFacts {
    categories.iter().fold(AccessFacts::new(), |f, c| {
        f.section(change(SectionFacts::new(*c, PurposeBasis::Permitted)))
    })
}
