//! Data quality (PIPL Art 8: accurate and complete): per-customer and per-book reports of missing fields,
//! implausible values, cross-field inconsistencies and stale verification.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::citation::{Citation, Instrument};
use crate::customer::Customer;
use crate::error::ModelError;
use crate::ids::CustomerId;
use crate::party::{Party, PartyKind};

/// Settings of the quality checks. The law sets no single re-verification interval (PIPL Art 8 asks for
/// accuracy; AML Law 2024 Art 29 asks for renewed due diligence when earlier data is in doubt), so it is a
/// setting the brokerage chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "QualityConfigFields", into = "QualityConfigFields")]
pub struct QualityConfig {
    reverification_interval_days: u32,
    max_plausible_age_years: u32,
}

/// The serialized form of a [`QualityConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityConfigFields {
    /// A customer with an active relationship whose data was last verified longer ago than this is stale.
    pub reverification_interval_days: u32,
    /// A person older than this at the report date is reported as an implausible birth date.
    pub max_plausible_age_years: u32,
}

impl QualityConfig {
    /// Checks the settings: the interval is 1 to 36,500 days, the age limit 1 to 150 years.
    pub fn new(fields: QualityConfigFields) -> Result<Self, ModelError> {
        if !(1..=36_500).contains(&fields.reverification_interval_days) {
            return Err(ModelError::OutOfRange {
                field: "quality.reverification_interval_days",
                allowed: "1 to 36500",
            });
        }
        if !(1..=150).contains(&fields.max_plausible_age_years) {
            return Err(ModelError::OutOfRange {
                field: "quality.max_plausible_age_years",
                allowed: "1 to 150",
            });
        }
        Ok(Self {
            reverification_interval_days: fields.reverification_interval_days,
            max_plausible_age_years: fields.max_plausible_age_years,
        })
    }

    /// The re-verification interval in days.
    pub fn reverification_interval_days(&self) -> u32 {
        self.reverification_interval_days
    }

    /// The highest plausible age in years.
    pub fn max_plausible_age_years(&self) -> u32 {
        self.max_plausible_age_years
    }
}

impl Default for QualityConfig {
    /// Two years between verifications, 120 years of plausible age.
    fn default() -> Self {
        Self {
            reverification_interval_days: 730,
            max_plausible_age_years: 120,
        }
    }
}

impl TryFrom<QualityConfigFields> for QualityConfig {
    type Error = ModelError;

    fn try_from(value: QualityConfigFields) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<QualityConfig> for QualityConfigFields {
    fn from(value: QualityConfig) -> Self {
        Self {
            reverification_interval_days: value.reverification_interval_days,
            max_plausible_age_years: value.max_plausible_age_years,
        }
    }
}

/// The kind of a quality problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IssueKind {
    /// A field the customer's kind and categories require is empty.
    Missing,
    /// A value is well-formed but impossible or implausible on the report date.
    Invalid,
    /// Two fields contradict each other.
    Inconsistent,
    /// The data was last verified longer ago than the configured interval.
    Stale,
}

/// One quality problem: what kind, which field, which rule (a stable code), and the article that makes it
/// matter. It names fields, never values, so reports can be shared without leaking personal information.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QualityIssue {
    /// The kind of problem.
    pub kind: IssueKind,
    /// The field path (`contact.address`, `policies.term_start`).
    pub field: String,
    /// A stable rule code (`required_for_person`, `birth_date_in_future`).
    pub rule: String,
    /// The legal reason the field matters.
    pub citation: Citation,
}

/// The quality of one customer record on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerQualityReport {
    /// The customer (a pseudonymous id, no personal data).
    pub customer: CustomerId,
    /// Person or organization.
    pub kind: PartyKind,
    /// The report date.
    pub as_of: NaiveDate,
    /// How many fields the customer's kind and categories require.
    pub required_fields: u32,
    /// How many of those are filled.
    pub present_fields: u32,
    /// Days since the data was last verified (negative if the verification date is after the report date).
    pub days_since_verified: i64,
    /// Every problem found.
    pub issues: Vec<QualityIssue>,
}

impl CustomerQualityReport {
    /// Share of required fields that are filled, from 0.0 to 1.0 (1.0 when nothing is required).
    pub fn completeness(&self) -> f64 {
        if self.required_fields == 0 {
            1.0
        } else {
            f64::from(self.present_fields) / f64::from(self.required_fields)
        }
    }

    /// Whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.issues.is_empty()
    }

    /// How many issues of `kind` the report holds.
    pub fn count(&self, kind: IssueKind) -> usize {
        self.issues.iter().filter(|i| i.kind == kind).count()
    }
}

fn pipl(article: &str) -> Citation {
    Citation::pipl(article)
}

fn aml(article: &str) -> Citation {
    Citation::new(Instrument::AmlLaw2024, article)
}

struct Assessor {
    required: u32,
    present: u32,
    issues: Vec<QualityIssue>,
}

impl Assessor {
    fn require(&mut self, present: bool, field: &str, rule: &str, citation: Citation) {
        self.required += 1;
        if present {
            self.present += 1;
        } else {
            self.issue(IssueKind::Missing, field, rule, citation);
        }
    }

    fn issue(&mut self, kind: IssueKind, field: &str, rule: &str, citation: Citation) {
        self.issues.push(QualityIssue {
            kind,
            field: field.to_owned(),
            rule: rule.to_owned(),
            citation,
        });
    }
}

/// Assesses one customer on `as_of`.
///
/// Completeness: persons need a phone (mobile or E.164) and an address, and a guardian while under 14
/// (PIPL Art 31); organizations need a phone, an address, an e-mail, a legal representative and a contact
/// person. A customer with policies needs a due-diligence record (AML Law 2024 Art 28), one with a paid claim
/// a bank account to pay into, one with a life, critical-illness or medical policy a health declaration, and
/// a due-diligence record needs an occupation.
///
/// Validity: birth, relationship-start and verification dates after `as_of`, ages beyond the configured
/// limit. Consistency: relationship starting before birth, verification before the relationship, policies
/// starting before the relationship, contracts in force after the relationship ended, claims whose incident
/// lies outside the policy's term, transactions after the relationship ended, an address in another country
/// than the residence, marketing allowed on a channel the customer has no contact data for.
///
/// Staleness: a customer whose relationship is still active and whose data was verified more than the
/// configured interval before `as_of`. Ended relationships are not re-verified: there is no one to ask and
/// no processing to justify it (PIPL Art 47 storage only).
pub fn assess_customer(
    customer: &Customer,
    as_of: NaiveDate,
    config: &QualityConfig,
) -> CustomerQualityReport {
    let f = customer.fields();
    let mut a = Assessor {
        required: 0,
        present: 0,
        issues: Vec::new(),
    };
    let has_phone = f.contact.mobile.is_some() || f.contact.phone.is_some();
    match &f.party {
        Party::Person(p) => {
            a.require(has_phone, "contact.phone", "required_for_person", pipl("8"));
            a.require(
                f.contact.address.is_some(),
                "contact.address",
                "required_for_person",
                pipl("8"),
            );
            if p.is_minor_at(as_of) {
                a.require(
                    p.guardian().is_some(),
                    "identity.guardian",
                    "required_for_minor",
                    pipl("31"),
                );
            }
            if p.birth_date() > as_of {
                a.issue(
                    IssueKind::Invalid,
                    "identity.birth_date",
                    "birth_date_in_future",
                    pipl("8"),
                );
            } else if p
                .age_at(as_of)
                .is_some_and(|age| age > config.max_plausible_age_years)
            {
                a.issue(
                    IssueKind::Invalid,
                    "identity.birth_date",
                    "implausible_age",
                    pipl("8"),
                );
            }
            if f.relationship_start < p.birth_date() {
                a.issue(
                    IssueKind::Inconsistent,
                    "relationship_start",
                    "relationship_before_birth",
                    pipl("8"),
                );
            }
        }
        Party::Organization(o) => {
            a.require(has_phone, "contact.phone", "required_for_organization", pipl("8"));
            a.require(
                f.contact.address.is_some(),
                "contact.address",
                "required_for_organization",
                pipl("8"),
            );
            a.require(
                f.contact.email.is_some(),
                "contact.email",
                "required_for_organization",
                pipl("8"),
            );
            a.require(
                o.legal_representative.is_some(),
                "identity.legal_representative",
                "required_for_organization",
                aml("28"),
            );
            a.require(
                o.contact_person.is_some(),
                "identity.contact_person",
                "required_for_organization",
                pipl("8"),
            );
        }
    }
    if !f.policies.is_empty() {
        a.require(
            f.kyc.is_some(),
            "kyc_aml",
            "due_diligence_for_policyholder",
            aml("28"),
        );
    }
    if let Some(kyc) = &f.kyc {
        a.require(
            kyc.occupation.is_some(),
            "kyc_aml.occupation",
            "due_diligence_content",
            aml("29"),
        );
        if let Some(end) = f.relationship_end
            && kyc.transactions.iter().any(|t| t.date > end)
        {
            a.issue(
                IssueKind::Inconsistent,
                "kyc_aml.transactions",
                "transaction_after_relationship_end",
                aml("34"),
            );
        }
    }
    if f.claims.iter().any(|c| c.amount_paid.is_some()) {
        a.require(
            !f.accounts.is_empty(),
            "financial_accounts",
            "payout_account_for_paid_claim",
            pipl("8"),
        );
    }
    if f.policies.iter().any(|p| p.line().needs_health_declaration()) {
        a.require(
            f.health.is_some(),
            "health",
            "health_declaration_for_product",
            pipl("8"),
        );
    }

    if f.relationship_start > as_of {
        a.issue(
            IssueKind::Invalid,
            "relationship_start",
            "date_in_future",
            pipl("8"),
        );
    }
    if f.last_verified > as_of {
        a.issue(IssueKind::Invalid, "last_verified", "date_in_future", pipl("8"));
    }
    if f.last_verified < f.relationship_start {
        a.issue(
            IssueKind::Inconsistent,
            "last_verified",
            "verified_before_relationship",
            pipl("8"),
        );
    }
    for p in &f.policies {
        if p.term_start() < f.relationship_start {
            a.issue(
                IssueKind::Inconsistent,
                "policies.term_start",
                "policy_before_relationship",
                pipl("8"),
            );
        }
        if let Some(end) = f.relationship_end
            && p.contract_end() > end
        {
            a.issue(
                IssueKind::Inconsistent,
                "relationship_end",
                "contract_outlives_relationship",
                pipl("8"),
            );
        }
    }
    for c in &f.claims {
        if let Some(p) = customer.policy(c.policy_id)
            && (c.incident_date < p.term_start() || c.incident_date > p.contract_end())
        {
            a.issue(
                IssueKind::Inconsistent,
                "claims.incident_date",
                "incident_outside_cover",
                pipl("8"),
            );
        }
    }
    if let Some(addr) = &f.contact.address
        && addr.country() != f.residence
    {
        a.issue(
            IssueKind::Inconsistent,
            "contact.address",
            "address_outside_residence",
            pipl("8"),
        );
    }
    if let Some(m) = &f.marketing {
        let sms_ok = !m.sms || f.contact.mobile.is_some();
        let mail_ok = !m.email || f.contact.email.is_some();
        let phone_ok = !m.phone || has_phone;
        if !(sms_ok && mail_ok && phone_ok) {
            a.issue(
                IssueKind::Inconsistent,
                "marketing_preferences",
                "channel_without_contact",
                pipl("8"),
            );
        }
    }

    let days_since_verified = (as_of - f.last_verified).num_days();
    let active = f.relationship_end.is_none_or(|end| end > as_of);
    if active && days_since_verified > i64::from(config.reverification_interval_days) {
        a.issue(IssueKind::Stale, "last_verified", "reverification_due", pipl("8"));
    }
    CustomerQualityReport {
        customer: f.id,
        kind: f.party.kind(),
        as_of,
        required_fields: a.required,
        present_fields: a.present,
        days_since_verified,
        issues: a.issues,
    }
}

/// The quality of a whole book, built customer by customer so that a book of any size streams through it.
/// It holds counts and ids, never personal data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BookQualityReport {
    /// The report date.
    pub as_of: NaiveDate,
    /// The settings used.
    pub config: QualityConfig,
    /// Customers assessed.
    pub customers: u64,
    /// Of those, persons.
    pub persons: u64,
    /// Of those, organizations.
    pub organizations: u64,
    /// Customers without any issue.
    pub clean_customers: u64,
    /// Customers with every required field filled.
    pub complete_customers: u64,
    /// Customers with a stale verification.
    pub stale_customers: u64,
    /// Required fields over all customers.
    pub required_fields: u64,
    /// Filled required fields over all customers.
    pub present_fields: u64,
    /// Issues by kind.
    pub issues_by_kind: BTreeMap<IssueKind, u64>,
    /// Issues by rule code.
    pub issues_by_rule: BTreeMap<String, u64>,
    /// Issues by field path.
    pub issues_by_field: BTreeMap<String, u64>,
    /// The least complete customers (lowest completeness, then most issues), at most `worst_limit` of them.
    pub worst: Vec<WorstCustomer>,
    /// How many worst customers to keep.
    pub worst_limit: usize,
}

/// A customer in the worst list of a [`BookQualityReport`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorstCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// Its completeness.
    pub completeness: f64,
    /// Its number of issues.
    pub issues: usize,
}

impl BookQualityReport {
    /// An empty report for `as_of` that will keep the `worst_limit` least complete customers.
    pub fn new(as_of: NaiveDate, config: QualityConfig, worst_limit: usize) -> Self {
        Self {
            as_of,
            config,
            customers: 0,
            persons: 0,
            organizations: 0,
            clean_customers: 0,
            complete_customers: 0,
            stale_customers: 0,
            required_fields: 0,
            present_fields: 0,
            issues_by_kind: BTreeMap::new(),
            issues_by_rule: BTreeMap::new(),
            issues_by_field: BTreeMap::new(),
            worst: Vec::new(),
            worst_limit,
        }
    }

    /// Adds one customer's report.
    pub fn add(&mut self, report: &CustomerQualityReport) {
        self.customers += 1;
        match report.kind {
            PartyKind::Person => self.persons += 1,
            PartyKind::Organization => self.organizations += 1,
        }
        self.clean_customers += u64::from(report.is_clean());
        self.complete_customers += u64::from(report.present_fields == report.required_fields);
        self.stale_customers += u64::from(report.count(IssueKind::Stale) > 0);
        self.required_fields += u64::from(report.required_fields);
        self.present_fields += u64::from(report.present_fields);
        for issue in &report.issues {
            *self.issues_by_kind.entry(issue.kind).or_default() += 1;
            *self.issues_by_rule.entry(issue.rule.clone()).or_default() += 1;
            *self.issues_by_field.entry(issue.field.clone()).or_default() += 1;
        }
        if self.worst_limit > 0 && !report.is_clean() {
            let entry = WorstCustomer {
                customer: report.customer,
                completeness: report.completeness(),
                issues: report.issues.len(),
            };
            let worse = |a: &WorstCustomer, b: &WorstCustomer| {
                a.completeness
                    .total_cmp(&b.completeness)
                    .then(b.issues.cmp(&a.issues))
                    .then(a.customer.cmp(&b.customer))
            };
            let position = self.worst.partition_point(|w| worse(w, &entry).is_lt());
            if position < self.worst_limit {
                self.worst.insert(position, entry);
                self.worst.truncate(self.worst_limit);
            }
        }
    }

    /// Assesses every customer of `customers` and adds it.
    pub fn extend<'a>(&mut self, customers: impl IntoIterator<Item = &'a Customer>) {
        for c in customers {
            self.add(&assess_customer(c, self.as_of, &self.config));
        }
    }

    /// Share of required fields filled over the book, 0.0 to 1.0 (1.0 for an empty book).
    pub fn completeness(&self) -> f64 {
        if self.required_fields == 0 {
            1.0
        } else {
            // Counts stay far below 2^53, where u64 to f64 is exact.
            self.present_fields as f64 / self.required_fields as f64
        }
    }

    /// Issues of `kind` over the book.
    pub fn count(&self, kind: IssueKind) -> u64 {
        self.issues_by_kind.get(&kind).copied().unwrap_or(0)
    }
}
