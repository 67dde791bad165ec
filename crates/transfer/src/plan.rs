//! The transfer plan: for every customer and category, `Include`, `Exclude(reason)` or `Pending(what is missing)`,
//! with counts by reason and the cross-border threshold check.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use custodia_consent::{
    BasisPolicy, ConsentDecision, ConsentIndex, ConsentRule, EventKind, ProposedUse, PurposeRule, Recipient,
    SeparateBecause, Subject, TransferPath,
};
use custodia_model::{
    Citation, CustomerId, DataCategory, Instrument, Jurisdiction, LegalBasis, MINOR_AGE, Purpose,
};
use custodia_retention::{Holding, Holds, Profile, RetentionFacts, RetentionOutcome};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::agreement::{Mechanism, MinorRule, OperatorStatus, SensitiveRule, SignedAgreement};
use crate::error::TransferError;
use crate::progress::{Phase, Progress};
use crate::responses::{ResponseIndex, ResponseKind};

/// Why a category of a customer does not move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExcludeReason {
    /// The customer is outside the agreement's selection (active, lapsed within N years).
    CustomerOutOfScope,
    /// The category is outside the agreement's scope.
    CategoryOutOfScope,
    /// The retention period is over: flag for destruction instead of moving it (PIPL Art 47).
    PastRetention,
    /// The agreement excludes minors' data (PIPL Art 31).
    MinorExcluded,
    /// The agreement excludes sensitive categories (PIPL Art 28).
    SensitiveExcluded,
    /// Every purpose the buyer continues for this category rests on consent, and there is none (PIPL Art 13).
    ConsentMissing,
    /// Every purpose the buyer continues for this category rests on consent, and it was withdrawn (PIPL Art 15).
    ConsentWithdrawn,
    /// The customer refused the transfer consent request (PIPL Art 23).
    ConsentRefused,
    /// The customer objected within the objection window (PIPL Arts 22, 44).
    Objected,
    /// The transfer consent was not given separately (PIPL Art 23).
    ConsentNotSeparate,
    /// A sensitive category without a separate consent to the transfer (PIPL Art 29).
    SensitiveWithoutSeparateConsent,
    /// A minor's data without a parent's or guardian's consent (PIPL Art 31).
    MinorWithoutGuardianConsent,
    /// Processing abroad without a separate consent naming the destination (PIPL Art 39).
    CrossBorderWithoutConsent,
    /// Still waiting for the notice to be served when the transfer was executed: the customer was never
    /// told, so nothing of theirs moves (PIPL Art 22).
    NoticeNotServedByExecution,
    /// The customer's objection window was still open when the transfer was executed (PIPL Arts 22, 44).
    WindowOpenAtExecution,
    /// The transfer consent the category needs had not been given when the transfer was executed (PIPL
    /// Arts 23, 29, 31, 39).
    NoConsentByExecution,
}

impl ExcludeReason {
    /// Every reason, in report order.
    pub const ALL: [ExcludeReason; 16] = [
        ExcludeReason::CustomerOutOfScope,
        ExcludeReason::CategoryOutOfScope,
        ExcludeReason::PastRetention,
        ExcludeReason::MinorExcluded,
        ExcludeReason::SensitiveExcluded,
        ExcludeReason::ConsentMissing,
        ExcludeReason::ConsentWithdrawn,
        ExcludeReason::ConsentRefused,
        ExcludeReason::Objected,
        ExcludeReason::ConsentNotSeparate,
        ExcludeReason::SensitiveWithoutSeparateConsent,
        ExcludeReason::MinorWithoutGuardianConsent,
        ExcludeReason::CrossBorderWithoutConsent,
        ExcludeReason::NoticeNotServedByExecution,
        ExcludeReason::WindowOpenAtExecution,
        ExcludeReason::NoConsentByExecution,
    ];

    /// The stable code used in counts and reports.
    pub fn code(self) -> &'static str {
        match self {
            ExcludeReason::CustomerOutOfScope => "customer_out_of_scope",
            ExcludeReason::CategoryOutOfScope => "category_out_of_scope",
            ExcludeReason::PastRetention => "past_retention",
            ExcludeReason::MinorExcluded => "minor_excluded",
            ExcludeReason::SensitiveExcluded => "sensitive_excluded",
            ExcludeReason::ConsentMissing => "consent_missing",
            ExcludeReason::ConsentWithdrawn => "consent_withdrawn",
            ExcludeReason::ConsentRefused => "consent_refused",
            ExcludeReason::Objected => "objected",
            ExcludeReason::ConsentNotSeparate => "consent_not_separate",
            ExcludeReason::SensitiveWithoutSeparateConsent => "sensitive_without_separate_consent",
            ExcludeReason::MinorWithoutGuardianConsent => "minor_without_guardian_consent",
            ExcludeReason::CrossBorderWithoutConsent => "cross_border_without_consent",
            ExcludeReason::NoticeNotServedByExecution => "notice_not_served_by_execution",
            ExcludeReason::WindowOpenAtExecution => "window_open_at_execution",
            ExcludeReason::NoConsentByExecution => "no_consent_by_execution",
        }
    }

    /// The article that is the reason.
    pub fn citation(self) -> Citation {
        match self {
            ExcludeReason::CustomerOutOfScope | ExcludeReason::CategoryOutOfScope => Citation::pipl("22"),
            ExcludeReason::PastRetention => Citation::pipl("47"),
            ExcludeReason::MinorExcluded | ExcludeReason::MinorWithoutGuardianConsent => Citation::pipl("31"),
            ExcludeReason::SensitiveExcluded => Citation::pipl("28"),
            ExcludeReason::ConsentMissing => Citation::pipl("13"),
            ExcludeReason::ConsentWithdrawn => Citation::pipl("15"),
            ExcludeReason::ConsentRefused | ExcludeReason::ConsentNotSeparate => Citation::pipl("23"),
            ExcludeReason::Objected => Citation::pipl("44"),
            ExcludeReason::SensitiveWithoutSeparateConsent => Citation::pipl("29"),
            ExcludeReason::CrossBorderWithoutConsent => Citation::pipl("39"),
            ExcludeReason::NoticeNotServedByExecution | ExcludeReason::WindowOpenAtExecution => {
                Citation::pipl("22")
            }
            ExcludeReason::NoConsentByExecution => Citation::pipl("23"),
        }
    }
}

/// What is still missing before a category can move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PendingReason {
    /// The notice of the transfer has not been served (PIPL Art 22).
    NoticeNotServed,
    /// The notice was served and the objection window is still open (PIPL Art 22).
    ObjectionWindowOpen,
    /// The transfer needs the customer's consent and none has been given yet (PIPL Arts 23, 29, 31, 39).
    TransferConsentMissing,
}

impl PendingReason {
    /// What this becomes in a final plan executed while it is still missing: the category stays with the
    /// seller (a durable transfer case's execution step, custodia-brokerage).
    pub fn at_execution(self) -> ExcludeReason {
        match self {
            PendingReason::NoticeNotServed => ExcludeReason::NoticeNotServedByExecution,
            PendingReason::ObjectionWindowOpen => ExcludeReason::WindowOpenAtExecution,
            PendingReason::TransferConsentMissing => ExcludeReason::NoConsentByExecution,
        }
    }

    /// Every reason, in report order.
    pub const ALL: [PendingReason; 3] = [
        PendingReason::NoticeNotServed,
        PendingReason::ObjectionWindowOpen,
        PendingReason::TransferConsentMissing,
    ];

    /// The stable code used in counts and reports.
    pub fn code(self) -> &'static str {
        match self {
            PendingReason::NoticeNotServed => "notice_not_served",
            PendingReason::ObjectionWindowOpen => "objection_window_open",
            PendingReason::TransferConsentMissing => "transfer_consent_missing",
        }
    }

    /// The article that asks for what is missing.
    pub fn citation(self) -> Citation {
        match self {
            PendingReason::NoticeNotServed | PendingReason::ObjectionWindowOpen => Citation::pipl("22"),
            PendingReason::TransferConsentMissing => Citation::pipl("23"),
        }
    }
}

/// The answer for one category of one customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
// Not `#[non_exhaustive]`: a category moves, does not, or waits; the reasons inside may grow.
pub enum Eligibility {
    /// The category moves.
    Include,
    /// The category does not move, and why.
    Exclude(ExcludeReason),
    /// The category may move once something missing arrives.
    Pending(PendingReason),
}

impl Eligibility {
    /// The stable count key: `include`, `exclude:<reason>`, `pending:<reason>`.
    pub fn key(self) -> String {
        match self {
            Eligibility::Include => "include".to_owned(),
            Eligibility::Exclude(r) => format!("exclude:{}", r.code()),
            Eligibility::Pending(r) => format!("pending:{}", r.code()),
        }
    }

    /// The article the answer rests on (for `Include`, the legal path's, given by the caller).
    pub fn citation(self, path: &Citation) -> Citation {
        match self {
            Eligibility::Include => path.clone(),
            Eligibility::Exclude(r) => r.citation(),
            Eligibility::Pending(r) => r.citation(),
        }
    }
}

impl fmt::Display for Eligibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl FromStr for Eligibility {
    type Err = TransferError;

    /// Parses a count key (`include`, `exclude:<reason>`, `pending:<reason>`), as reports write them.
    fn from_str(key: &str) -> Result<Self, Self::Err> {
        let unknown =
            || TransferError::invalid("plan.key", "not include, exclude:<reason> or pending:<reason>");
        if key == "include" {
            return Ok(Eligibility::Include);
        }
        if let Some(code) = key.strip_prefix("exclude:") {
            return ExcludeReason::ALL
                .into_iter()
                .find(|r| r.code() == code)
                .map(Eligibility::Exclude)
                .ok_or_else(unknown);
        }
        if let Some(code) = key.strip_prefix("pending:") {
            return PendingReason::ALL
                .into_iter()
                .find(|r| r.code() == code)
                .map(Eligibility::Pending)
                .ok_or_else(unknown);
        }
        Err(unknown())
    }
}

impl Eligibility {
    /// Whether the category moves.
    pub fn is_include(self) -> bool {
        self == Eligibility::Include
    }

    /// Whether the category does not move.
    pub fn is_exclude(self) -> bool {
        matches!(self, Eligibility::Exclude(_))
    }

    /// Whether the category waits for something missing.
    pub fn is_pending(self) -> bool {
        matches!(self, Eligibility::Pending(_))
    }
}

/// Counts by [`Eligibility`]: how many category decisions (or customers) were included, excluded for each
/// reason, or pending for each reason. Keyed by the enum, never by text; reports write the stable keys
/// (`include`, `exclude:objected`, `pending:transfer_consent_missing`) through serde.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EligibilityCounts {
    counts: BTreeMap<Eligibility, u64>,
}

impl EligibilityCounts {
    /// No counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// The count of `eligibility`.
    pub fn count(&self, eligibility: Eligibility) -> u64 {
        self.counts.get(&eligibility).copied().unwrap_or(0)
    }

    /// How many were included.
    pub fn included(&self) -> u64 {
        self.count(Eligibility::Include)
    }

    /// How many were excluded, whatever the reason.
    pub fn excluded(&self) -> u64 {
        self.sum(Eligibility::is_exclude)
    }

    /// How many are pending, whatever is missing.
    pub fn pending(&self) -> u64 {
        self.sum(Eligibility::is_pending)
    }

    /// All counts together.
    pub fn total(&self) -> u64 {
        self.sum(|_| true)
    }

    /// Each eligibility with a non-zero count, in [`Eligibility`] order (include, exclusions, pending).
    pub fn iter(&self) -> impl Iterator<Item = (Eligibility, u64)> + '_ {
        self.counts.iter().map(|(e, n)| (*e, *n))
    }

    /// Adds `n` to the count of `eligibility`.
    pub fn add(&mut self, eligibility: Eligibility, n: u64) {
        if n > 0 {
            let count = self.counts.entry(eligibility).or_default();
            *count = count.saturating_add(n);
        }
    }

    fn sum(&self, keep: impl Fn(Eligibility) -> bool) -> u64 {
        self.counts
            .iter()
            .filter(|(e, _)| keep(**e))
            .fold(0u64, |acc, (_, n)| acc.saturating_add(*n))
    }

    /// The counts by their stable text keys, in the order reports list them (by key).
    fn by_key(&self) -> BTreeMap<String, u64> {
        self.iter().map(|(e, n)| (e.key(), n)).collect()
    }
}

impl FromIterator<(Eligibility, u64)> for EligibilityCounts {
    fn from_iter<I: IntoIterator<Item = (Eligibility, u64)>>(iter: I) -> Self {
        let mut counts = Self::new();
        for (e, n) in iter {
            counts.add(e, n);
        }
        counts
    }
}

impl Serialize for EligibilityCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.by_key().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EligibilityCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let by_key = BTreeMap::<String, u64>::deserialize(deserializer)?;
        by_key
            .into_iter()
            .map(|(k, n)| {
                k.parse::<Eligibility>()
                    .map(|e| (e, n))
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

/// Customers by the first category decision that is not `Include` (a per-person view of the plan): a
/// customer all of whose categories move counts as `Include`, one who holds no category at all as
/// nothing held. Written as one map in reports, with the key `nothing_held` beside the eligibility keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomerCounts {
    by_first: EligibilityCounts,
    nothing_held: u64,
}

const NOTHING_HELD: &str = "nothing_held";

impl CustomerCounts {
    /// No counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Customers whose first non-include decision is `eligibility` (`Include`: everything moves).
    pub fn by_first(&self) -> &EligibilityCounts {
        &self.by_first
    }

    /// Customers who hold no category at all.
    pub fn nothing_held(&self) -> u64 {
        self.nothing_held
    }

    /// Adds `n` customers whose first non-include decision is `eligibility`.
    pub fn add(&mut self, eligibility: Eligibility, n: u64) {
        self.by_first.add(eligibility, n);
    }

    /// Adds `n` customers who hold nothing.
    pub fn add_nothing_held(&mut self, n: u64) {
        self.nothing_held = self.nothing_held.saturating_add(n);
    }
}

impl Serialize for CustomerCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut by_key = self.by_first.by_key();
        if self.nothing_held > 0 {
            by_key.insert(NOTHING_HELD.to_owned(), self.nothing_held);
        }
        by_key.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CustomerCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut counts = Self::new();
        for (k, n) in BTreeMap::<String, u64>::deserialize(deserializer)? {
            if k == NOTHING_HELD {
                counts.add_nothing_held(n);
            } else {
                counts.add(k.parse().map_err(serde::de::Error::custom)?, n);
            }
        }
        Ok(counts)
    }
}

/// One category's answer with its citation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CategoryDecision {
    /// The category.
    pub category: DataCategory,
    /// The answer.
    pub eligibility: Eligibility,
    /// The article it rests on.
    pub citation: Citation,
}

/// The plan for one customer: one decision per category held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerPlan {
    customer: CustomerId,
    decisions: Vec<CategoryDecision>,
}

impl CustomerPlan {
    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// One decision per category held, in [`DataCategory::ALL`] order.
    pub fn decisions(&self) -> &[CategoryDecision] {
        &self.decisions
    }

    /// The categories that move.
    pub fn included(&self) -> Vec<DataCategory> {
        self.decisions
            .iter()
            .filter(|d| d.eligibility == Eligibility::Include)
            .map(|d| d.category)
            .collect()
    }

    /// The decision for `category`, if held.
    pub fn decision(&self, category: DataCategory) -> Option<&CategoryDecision> {
        self.decisions.iter().find(|d| d.category == category)
    }
}

/// What the planner needs to know about one customer, supplied by the caller: the crate never reads a
/// customer record itself, so planning stays pure logic over its inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerFacts {
    /// The customer.
    pub customer: CustomerId,
    /// A natural person's birth date (for PIPL Art 31 and Art 28's minors rule); `None` for organizations.
    pub birth_date: Option<NaiveDate>,
    /// The categories held, each one sealed section.
    pub categories: Vec<DataCategory>,
    /// When the relationship ended, if it has.
    pub relationship_end: Option<NaiveDate>,
    /// The customer's retention facts, for the past-retention check.
    pub retention: RetentionFacts,
}

impl CustomerFacts {
    fn is_minor_on(&self, date: NaiveDate) -> bool {
        self.birth_date.is_some_and(|born| {
            born.checked_add_months(Months::new(MINOR_AGE * 12))
                .is_none_or(|adult| date < adult)
        })
    }

    fn subject(&self) -> Subject {
        match self.birth_date {
            Some(born) => Subject::born(self.customer, born),
            None => Subject::new(self.customer),
        }
    }
}

/// The CAC 2024 cross-border thresholds, as data (促进和规范数据跨境流动规定, Arts 7, 8), counted in people
/// from 1 January of the current year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossBorderThresholds {
    /// At or above this many people's non-sensitive PI: security assessment. Default 1,000,000.
    pub assessment_non_sensitive: u64,
    /// At or above this many people's sensitive PI: security assessment. Default 10,000.
    pub assessment_sensitive: u64,
    /// At or above this many people's non-sensitive PI: standard contract or certification. Default 100,000.
    pub contract_non_sensitive: u64,
    /// At or above this many people's sensitive PI: standard contract or certification. Default 1.
    pub contract_sensitive: u64,
}

impl Default for CrossBorderThresholds {
    fn default() -> Self {
        Self {
            assessment_non_sensitive: 1_000_000,
            assessment_sensitive: 10_000,
            contract_non_sensitive: 100_000,
            contract_sensitive: 1,
        }
    }
}

impl CrossBorderThresholds {
    /// The mechanism the thresholds require for exports of this year's `people_non_sensitive` and
    /// `people_sensitive` (a critical information infrastructure operator always needs an assessment).
    pub fn required(
        &self,
        operator: OperatorStatus,
        people_non_sensitive: u64,
        people_sensitive: u64,
    ) -> Mechanism {
        let (non_sensitive, sensitive) = (people_non_sensitive, people_sensitive);
        if operator == OperatorStatus::CriticalInformationInfrastructure
            || non_sensitive >= self.assessment_non_sensitive
            || sensitive >= self.assessment_sensitive
        {
            Mechanism::SecurityAssessment
        } else if non_sensitive >= self.contract_non_sensitive || sensitive >= self.contract_sensitive {
            Mechanism::StandardContract
        } else {
            Mechanism::Exempt
        }
    }
}

/// The result of the cross-border check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CrossBorderCheck {
    /// Where the data goes.
    pub destination: Jurisdiction,
    /// People whose non-sensitive PI this plan moves abroad.
    pub people_non_sensitive: u64,
    /// People whose sensitive PI this plan moves abroad.
    pub people_sensitive: u64,
    /// This year's totals including earlier exports.
    pub year_non_sensitive: u64,
    /// This year's sensitive total including earlier exports.
    pub year_sensitive: u64,
    /// The mechanism required.
    pub required: Mechanism,
    /// The mechanism agreed.
    pub agreed: Mechanism,
    /// The rule.
    pub citation: Citation,
}

/// Counts of a finished plan. Written to reports with the keys `by_key` and `customers_by_key`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanSummary {
    /// Customers planned.
    pub customers: u64,
    /// Customers with at least one category included.
    pub customers_moving: u64,
    /// Category decisions by eligibility: [`EligibilityCounts::included`], [`EligibilityCounts::excluded`],
    /// [`EligibilityCounts::pending`], or one reason's [`EligibilityCounts::count`].
    #[serde(rename = "by_key")]
    pub decisions: EligibilityCounts,
    /// Customers by their first non-include decision, for a per-person view.
    #[serde(rename = "customers_by_key")]
    pub customers_by_first: CustomerCounts,
    /// The cross-border check, when the agreement has cross-border terms.
    pub cross_border: Option<CrossBorderCheck>,
}

impl PlanSummary {
    /// The count of category decisions with `eligibility`.
    pub fn count(&self, eligibility: Eligibility) -> u64 {
        self.decisions.count(eligibility)
    }
}

/// Everything a planner consults besides the agreement and the customer's facts.
#[derive(Clone, Copy, Debug)]
pub struct PlanContext<'a> {
    /// The consent index (for consent-based purposes and transfer consents).
    pub consent: &'a ConsentIndex,
    /// Transfer responses from the consent ledger.
    pub responses: &'a ResponseIndex,
    /// The seller's retention profile.
    pub retention: &'a Profile,
    /// The seller's legal holds.
    pub holds: &'a Holds,
    /// The time the plan is judged at (valid time).
    pub at: DateTime<Utc>,
    /// What was recorded by this time counts (transaction time; usually equal to `at`).
    pub as_of: DateTime<Utc>,
    /// The cross-border thresholds.
    pub thresholds: CrossBorderThresholds,
}

/// Plans a transfer customer by customer, in bounded memory: each customer's plan is returned to the
/// caller, and only counts stay behind. Only a [`SignedAgreement`] can make one.
///
/// The rules, applied per category held, first match wins:
/// 1. the customer outside the selection → `Exclude(customer_out_of_scope)`;
/// 2. the category outside the scope → `Exclude(category_out_of_scope)`;
/// 3. the retention profile says `Destroy` today → `Exclude(past_retention)` (PIPL Art 47: flag for destruction);
/// 4. a minor under 14 and the agreement excludes minors → `Exclude(minor_excluded)`;
/// 5. a sensitive category and the agreement excludes them → `Exclude(sensitive_excluded)`;
/// 6. every purpose the buyer continues for the category rests on consent, and none is permitted →
///    `Exclude(consent_withdrawn)` if a withdrawal ended it, else `Exclude(consent_missing)`;
/// 7. notice path (PIPL Art 22): no notice served → `Pending(notice_not_served)`; an objection effective
///    before the window closed → `Exclude(objected)`; the window still open → `Pending(objection_window_open)`;
/// 8. a separate transfer consent is needed — always on the consent path (PIPL Art 23), and on the notice
///    path for sensitive categories under `RequireSeparateConsent`, minors under `RequireGuardianConsent`,
///    and any processing abroad: a refusal on file → `Exclude(consent_refused)`; otherwise the consent index does not permit the transfer use (purpose `transfer`,
///    recipient the buyer as third party, destination abroad if any): the first failing rule decides —
///    withdrawn, refused, objected, guardian missing, not separate, sensitive or cross-border — and no
///    consent at all is `Pending(transfer_consent_missing)`;
/// 9. otherwise `Include`.
#[derive(Debug)]
pub struct Planner<'a> {
    agreement: &'a SignedAgreement,
    context: PlanContext<'a>,
    consent_policy: BasisPolicy,
    path_citation: Citation,
    summary: PlanSummary,
    exported_non_sensitive: u64,
    exported_sensitive: u64,
}

impl<'a> Planner<'a> {
    /// A planner for `agreement` judged in `context`. Refused if `context.at` is before the agreement's
    /// effective date: nothing moves under an agreement that is not yet in force.
    pub fn new(agreement: &'a SignedAgreement, context: &PlanContext<'a>) -> Result<Self, TransferError> {
        if context.at.date_naive() < agreement.terms().effective {
            return Err(TransferError::invalid(
                "plan.at",
                format!(
                    "before the agreement's effective date {}",
                    agreement.terms().effective
                ),
            ));
        }
        let consent_policy = context.consent.policy().with_rule(PurposeRule {
            purpose: Purpose::Transfer,
            basis: LegalBasis::Consent,
            citation: Citation::pipl("23"),
        });
        Ok(Self {
            agreement,
            context: *context,
            consent_policy,
            path_citation: agreement.terms().path_citation(),
            summary: PlanSummary::default(),
            exported_non_sensitive: 0,
            exported_sensitive: 0,
        })
    }

    /// Plans one customer and adds it to the counts.
    pub fn plan(&mut self, facts: &CustomerFacts) -> Result<CustomerPlan, TransferError> {
        let terms = self.agreement.terms();
        let today = self.context.at.date_naive();
        let retention = self
            .context
            .retention
            .decide(&facts.retention, self.context.holds, today)?;
        let minor = facts.is_minor_on(today);
        let mut categories = facts.categories.clone();
        categories.sort_by_key(|c| c.tag());
        categories.dedup();
        let mut decisions = Vec::with_capacity(categories.len());
        for category in categories {
            let past_retention = retention.iter().any(|d| {
                d.holding() == Holding::Category(category)
                    && matches!(d.outcome(), RetentionOutcome::Destroy { .. })
            });
            let eligibility = self.decide(facts, category, minor, past_retention);
            decisions.push(CategoryDecision {
                category,
                eligibility,
                citation: eligibility.citation(&self.path_citation),
            });
        }
        let plan = CustomerPlan {
            customer: facts.customer,
            decisions,
        };
        self.count(&plan, minor, terms.cross_border.is_some());
        Ok(plan)
    }

    fn count(&mut self, plan: &CustomerPlan, minor: bool, abroad: bool) {
        self.summary.customers += 1;
        for d in &plan.decisions {
            self.summary.decisions.add(d.eligibility, 1);
        }
        let first_other = plan
            .decisions
            .iter()
            .map(|d| d.eligibility)
            .find(|e| *e != Eligibility::Include);
        let people = &mut self.summary.customers_by_first;
        match (first_other, plan.included().is_empty()) {
            (None, false) => people.add(Eligibility::Include, 1),
            (None, true) => people.add_nothing_held(1),
            (Some(e), _) => people.add(e, 1),
        }
        let included = plan.included();
        if !included.is_empty() {
            self.summary.customers_moving += 1;
            if abroad {
                if minor || included.iter().any(|c| c.is_sensitive()) {
                    self.exported_sensitive += 1;
                }
                if !minor && included.iter().any(|c| !c.is_sensitive()) {
                    self.exported_non_sensitive += 1;
                }
            }
        }
    }

    fn decide(
        &self,
        facts: &CustomerFacts,
        category: DataCategory,
        minor: bool,
        past_retention: bool,
    ) -> Eligibility {
        let terms = self.agreement.terms();
        let ctx = &self.context;
        let today = ctx.at.date_naive();
        // 1. Selection.
        if !terms.selects(facts.relationship_end, today) {
            return Eligibility::Exclude(ExcludeReason::CustomerOutOfScope);
        }
        // 2. Scope.
        let purposes: Vec<&Purpose> = terms.purposes_for(category).collect();
        if purposes.is_empty() {
            return Eligibility::Exclude(ExcludeReason::CategoryOutOfScope);
        }
        // 3. Retention.
        if past_retention {
            return Eligibility::Exclude(ExcludeReason::PastRetention);
        }
        let sensitive = category.is_sensitive() || minor;
        // 4, 5. Agreement rules for minors and sensitive data.
        if minor && terms.minors == MinorRule::Exclude {
            return Eligibility::Exclude(ExcludeReason::MinorExcluded);
        }
        if sensitive && terms.sensitive == SensitiveRule::Exclude {
            return Eligibility::Exclude(ExcludeReason::SensitiveExcluded);
        }
        // 6. Continued purposes.
        let subject = facts.subject();
        let mut withdrawn = false;
        let mut permitted = false;
        for purpose in &purposes {
            let d = ctx.consent.permits(
                &subject,
                &ProposedUse::domestic((*purpose).clone(), category),
                ctx.at,
                ctx.as_of,
            );
            if d.is_permitted() {
                permitted = true;
                break;
            }
            withdrawn |= d.has_rule(ConsentRule::Ended(EventKind::Withdrawn));
        }
        if !permitted {
            return Eligibility::Exclude(if withdrawn {
                ExcludeReason::ConsentWithdrawn
            } else {
                ExcludeReason::ConsentMissing
            });
        }
        // 7. The legal path.
        let responses = ctx.responses;
        let customer = facts.customer;
        let earliest = |kind| responses.earliest(customer, category, kind, ctx.at, ctx.as_of);
        let abroad = terms.cross_border.as_ref().map(|c| c.destination);
        let needs_consent = match terms.legal_path {
            TransferPath::MergerNotice => {
                let Some(served) = earliest(ResponseKind::NoticeServed) else {
                    return Eligibility::Pending(PendingReason::NoticeNotServed);
                };
                let closes = served + Duration::days(i64::from(terms.objection_window_days));
                if earliest(ResponseKind::Objected).is_some_and(|o| o <= closes) {
                    return Eligibility::Exclude(ExcludeReason::Objected);
                }
                if ctx.at < closes {
                    return Eligibility::Pending(PendingReason::ObjectionWindowOpen);
                }
                (category.is_sensitive() && terms.sensitive == SensitiveRule::RequireSeparateConsent)
                    || (minor && terms.minors == MinorRule::RequireGuardianConsent)
                    || abroad.is_some()
            }
            _ => true,
        };
        // 8. The separate transfer consent: a refusal on file decides first (the consent index has no grant
        // to report it against).
        if needs_consent {
            if earliest(ResponseKind::Refused).is_some() {
                return Eligibility::Exclude(ExcludeReason::ConsentRefused);
            }
            let use_ = ProposedUse::new(
                Purpose::Transfer,
                category,
                Recipient::ThirdParty(terms.buyer.party_id()),
                abroad.unwrap_or(Jurisdiction::MAINLAND_CHINA),
            );
            let d = ctx
                .consent
                .permits_under(&self.consent_policy, &subject, &use_, ctx.at, ctx.as_of);
            if !d.is_permitted() {
                return consent_failure(&d);
            }
        }
        Eligibility::Include
    }

    /// The counts so far.
    pub fn summary(&self) -> &PlanSummary {
        &self.summary
    }

    /// Plans every customer of `customers`, handing each plan to `sink` and reporting progress every
    /// `every` customers.
    pub fn plan_all<I>(
        &mut self,
        customers: I,
        every: u64,
        sink: &mut dyn FnMut(CustomerPlan) -> Result<(), TransferError>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), TransferError>
    where
        I: IntoIterator<Item = Result<CustomerFacts, TransferError>>,
    {
        let every = every.max(1);
        for facts in customers {
            let plan = self.plan(&facts?)?;
            sink(plan)?;
            if self.summary.customers.is_multiple_of(every) {
                progress(Progress::new(Phase::Plan, self.summary.customers, None));
            }
        }
        progress(Progress::new(
            Phase::Plan,
            self.summary.customers,
            Some(self.summary.customers),
        ));
        Ok(())
    }

    /// Finishes the plan: the counts, and the cross-border check, which refuses a plan whose agreed
    /// mechanism is weaker than the CAC 2024 thresholds require for this year's exports (PIPL Art 38).
    pub fn finish(mut self) -> Result<PlanSummary, TransferError> {
        if let Some(cb) = &self.agreement.terms().cross_border {
            let year_non_sensitive = cb
                .prior_people_non_sensitive
                .saturating_add(self.exported_non_sensitive);
            let year_sensitive = cb.prior_people_sensitive.saturating_add(self.exported_sensitive);
            let required = self
                .context
                .thresholds
                .required(cb.operator, year_non_sensitive, year_sensitive);
            if cb.mechanism.strength() < required.strength() {
                return Err(TransferError::CrossBorderMechanismTooWeak {
                    agreed: cb.mechanism.to_string(),
                    required: required.to_string(),
                    people_non_sensitive: year_non_sensitive,
                    people_sensitive: year_sensitive,
                });
            }
            self.summary.cross_border = Some(CrossBorderCheck {
                destination: cb.destination,
                people_non_sensitive: self.exported_non_sensitive,
                people_sensitive: self.exported_sensitive,
                year_non_sensitive,
                year_sensitive,
                required,
                agreed: cb.mechanism,
                citation: Citation::new(Instrument::CacCrossBorder2024, "7-8"),
            });
        }
        Ok(self.summary)
    }
}

/// Maps a denied transfer-consent decision to the first failing rule, most decisive first.
fn consent_failure(d: &ConsentDecision) -> Eligibility {
    let order: [(ConsentRule, Eligibility); 9] = [
        (
            ConsentRule::Ended(EventKind::Withdrawn),
            Eligibility::Exclude(ExcludeReason::ConsentWithdrawn),
        ),
        (
            ConsentRule::Ended(EventKind::Refused),
            Eligibility::Exclude(ExcludeReason::ConsentRefused),
        ),
        (
            ConsentRule::Ended(EventKind::Objected),
            Eligibility::Exclude(ExcludeReason::Objected),
        ),
        (
            ConsentRule::GuardianConsentRequired,
            Eligibility::Exclude(ExcludeReason::MinorWithoutGuardianConsent),
        ),
        // A minor's data is all sensitive (PIPL Art 28), so a bundled grant fails as sensitive data does.
        (
            ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData),
            Eligibility::Exclude(ExcludeReason::SensitiveWithoutSeparateConsent),
        ),
        (
            ConsentRule::SeparateConsentRequired(SeparateBecause::SensitiveCategory),
            Eligibility::Exclude(ExcludeReason::SensitiveWithoutSeparateConsent),
        ),
        (
            ConsentRule::SeparateConsentRequired(SeparateBecause::ThirdParty),
            Eligibility::Exclude(ExcludeReason::ConsentNotSeparate),
        ),
        (
            ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder),
            Eligibility::Exclude(ExcludeReason::CrossBorderWithoutConsent),
        ),
        (
            ConsentRule::OutsideScope(custodia_consent::Dimension::Destination),
            Eligibility::Exclude(ExcludeReason::CrossBorderWithoutConsent),
        ),
    ];
    order
        .into_iter()
        .find(|(rule, _)| d.has_rule(*rule))
        .map(|(_, e)| e)
        .unwrap_or(Eligibility::Pending(PendingReason::TransferConsentMissing))
}
