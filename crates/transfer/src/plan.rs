//! The transfer plan: for every customer and category, `Include`, `Exclude(reason)` or `Pending(what is missing)`,
//! with counts by reason and the cross-border threshold check over the year's running total.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use custodia_consent::{
    BasisPolicy, ConsentDecision, ConsentIndex, ConsentRule, Dimension, EventKind, ProposedUse, PurposeRule,
    Recipient, SeparateBecause, Subject, TransferPath,
};
use custodia_model::{
    CategorySet, Citation, CustomerId, DataCategory, Instrument, Jurisdiction, LegalBasis, MINOR_AGE,
    PersonId, Purpose, WorkingDayCalendar, beijing_date,
};
use custodia_retention::{Holding, Holds, Profile, RetentionFacts, RetentionOutcome};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::agreement::{
    DealKind, ExemptionGround, Mechanism, MinorRule, OperatorStatus, RecordKeeper, SellerAfterTransfer,
    SensitiveRule, SignedAgreement,
};
use crate::error::TransferError;
use crate::progress::{Phase, Progress};
use crate::responses::{ResponseIndex, ResponseKind};

/// Why a category of a customer does not move. Each reason cites the article behind it
/// ([`ExcludeReason::citation`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExcludeReason {
    /// The customer is outside the agreement's selection (active, lapsed within N years) (PIPL Art 22: the
    /// recipient continues only what the transfer covers).
    CustomerOutOfScope,
    /// The category is outside the agreement's scope (PIPL Art 22).
    CategoryOutOfScope,
    /// The retention period is over: flag for destruction instead of moving it (PIPL Art 47).
    PastRetention,
    /// The agreement excludes minors' data (PIPL Art 31).
    MinorExcluded,
    /// The agreement excludes sensitive categories (PIPL Art 28).
    SensitiveExcluded,
    /// Every purpose the buyer continues for this category rests on consent, and there is none (PIPL Art
    /// 13(1)(1)).
    ConsentMissing,
    /// A consent was withdrawn: a continued purpose's, or the transfer's (PIPL Art 15).
    ConsentWithdrawn,
    /// The customer refused the consent request on the consent path (PIPL Art 44: the right to refuse).
    ConsentRefused,
    /// The customer objected — at any time before packaging, to the seller or to the buyer — or refused on
    /// the notice path, where a refusal is an objection (PIPL Art 44).
    Objected,
    /// The transfer consent the consent path needs was not given separately (PIPL Art 23).
    ConsentNotSeparate,
    /// A sensitive category without a separate consent to the transfer (PIPL Art 29).
    SensitiveWithoutSeparateConsent,
    /// A minor's data without a parent's or guardian's consent (PIPL Art 31).
    MinorWithoutGuardianConsent,
    /// Processing abroad without a separate consent naming the overseas recipient (PIPL Art 39).
    CrossBorderWithoutConsent,
    /// The seller has restricted the data to storage (a duty to delete met a running floor) and keeps the
    /// records itself: processing other than storage, providing it included, has stopped (PIPL Art 47(2)).
    RestrictedToStorage,
    /// The seller is dissolving: its AML records go to the body the State Council designates, not to the
    /// buyer (AML Law 2024 Art 34).
    AmlRecordsToDesignatedBody,
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
    pub const ALL: [ExcludeReason; 18] = [
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
        ExcludeReason::RestrictedToStorage,
        ExcludeReason::AmlRecordsToDesignatedBody,
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
            ExcludeReason::RestrictedToStorage => "restricted_to_storage",
            ExcludeReason::AmlRecordsToDesignatedBody => "aml_records_to_designated_body",
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
            ExcludeReason::RestrictedToStorage => Citation::pipl("47(2)"),
            ExcludeReason::MinorExcluded | ExcludeReason::MinorWithoutGuardianConsent => Citation::pipl("31"),
            ExcludeReason::SensitiveExcluded => Citation::pipl("28"),
            ExcludeReason::ConsentMissing => Citation::pipl("13(1)(1)"),
            ExcludeReason::ConsentWithdrawn => Citation::pipl("15"),
            ExcludeReason::ConsentRefused | ExcludeReason::Objected => Citation::pipl("44"),
            ExcludeReason::ConsentNotSeparate => Citation::pipl("23"),
            ExcludeReason::SensitiveWithoutSeparateConsent => Citation::pipl("29"),
            ExcludeReason::CrossBorderWithoutConsent => Citation::pipl("39"),
            ExcludeReason::AmlRecordsToDesignatedBody => Citation::new(Instrument::AmlLaw2024, "34"),
            ExcludeReason::NoticeNotServedByExecution | ExcludeReason::WindowOpenAtExecution => {
                Citation::pipl("22")
            }
            ExcludeReason::NoConsentByExecution => Citation::pipl("23"),
        }
    }
}

/// What is still missing before a category can move. Each "consent missing" reason names the consent the
/// law asks for and cites the article that asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PendingReason {
    /// The notice of the transfer has not been served (PIPL Art 22).
    NoticeNotServed,
    /// The notice was served and the objection window is still open (PIPL Art 22).
    ObjectionWindowOpen,
    /// The consent path's separate consent to the provision has not been given (PIPL Art 23).
    TransferConsentMissing,
    /// A sensitive category's separate consent has not been given (PIPL Art 29).
    SensitiveConsentMissing,
    /// A minor's parent's or guardian's consent has not been given (PIPL Art 31).
    GuardianConsentMissing,
    /// The separate consent to processing abroad, naming the overseas recipient, has not been given (PIPL
    /// Art 39).
    CrossBorderConsentMissing,
}

impl PendingReason {
    /// What this becomes in a final plan executed while it is still missing: the category stays with the
    /// seller (a durable transfer case's execution step, custodia-brokerage).
    pub fn at_execution(self) -> ExcludeReason {
        match self {
            PendingReason::NoticeNotServed => ExcludeReason::NoticeNotServedByExecution,
            PendingReason::ObjectionWindowOpen => ExcludeReason::WindowOpenAtExecution,
            PendingReason::TransferConsentMissing => ExcludeReason::NoConsentByExecution,
            PendingReason::SensitiveConsentMissing => ExcludeReason::SensitiveWithoutSeparateConsent,
            PendingReason::GuardianConsentMissing => ExcludeReason::MinorWithoutGuardianConsent,
            PendingReason::CrossBorderConsentMissing => ExcludeReason::CrossBorderWithoutConsent,
        }
    }

    /// Every reason, in report order.
    pub const ALL: [PendingReason; 6] = [
        PendingReason::NoticeNotServed,
        PendingReason::ObjectionWindowOpen,
        PendingReason::TransferConsentMissing,
        PendingReason::SensitiveConsentMissing,
        PendingReason::GuardianConsentMissing,
        PendingReason::CrossBorderConsentMissing,
    ];

    /// The stable code used in counts and reports.
    pub fn code(self) -> &'static str {
        match self {
            PendingReason::NoticeNotServed => "notice_not_served",
            PendingReason::ObjectionWindowOpen => "objection_window_open",
            PendingReason::TransferConsentMissing => "transfer_consent_missing",
            PendingReason::SensitiveConsentMissing => "sensitive_consent_missing",
            PendingReason::GuardianConsentMissing => "guardian_consent_missing",
            PendingReason::CrossBorderConsentMissing => "cross_border_consent_missing",
        }
    }

    /// The article that asks for what is missing.
    pub fn citation(self) -> Citation {
        match self {
            PendingReason::NoticeNotServed | PendingReason::ObjectionWindowOpen => Citation::pipl("22"),
            PendingReason::TransferConsentMissing => Citation::pipl("23"),
            PendingReason::SensitiveConsentMissing => Citation::pipl("29"),
            PendingReason::GuardianConsentMissing => Citation::pipl("31"),
            PendingReason::CrossBorderConsentMissing => Citation::pipl("39"),
        }
    }
}

/// A consent the transfer of one category needs, and the article that asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentRequirement {
    /// The parent's or guardian's consent for a minor under 14 (PIPL Art 31), on either path.
    Guardian,
    /// A separate consent naming the overseas recipient (PIPL Art 39), on either path.
    CrossBorder,
    /// A separate consent for a sensitive category (PIPL Art 29), on either path.
    Sensitive,
    /// The separate consent to providing the data to another processor (PIPL Art 23), on the consent path.
    Provision,
}

impl ConsentRequirement {
    /// The order of specificity: when several fail, the first of this list is the reason and the rest are
    /// listed beside it.
    pub const BY_SPECIFICITY: [ConsentRequirement; 4] = [
        ConsentRequirement::Guardian,
        ConsentRequirement::CrossBorder,
        ConsentRequirement::Sensitive,
        ConsentRequirement::Provision,
    ];

    /// The reason when no consent was given for it.
    pub fn missing(self) -> PendingReason {
        match self {
            ConsentRequirement::Guardian => PendingReason::GuardianConsentMissing,
            ConsentRequirement::CrossBorder => PendingReason::CrossBorderConsentMissing,
            ConsentRequirement::Sensitive => PendingReason::SensitiveConsentMissing,
            ConsentRequirement::Provision => PendingReason::TransferConsentMissing,
        }
    }

    /// The reason when a consent was given but does not meet it (bundled, by the minor, without the
    /// destination).
    pub fn failed(self) -> ExcludeReason {
        match self {
            ConsentRequirement::Guardian => ExcludeReason::MinorWithoutGuardianConsent,
            ConsentRequirement::CrossBorder => ExcludeReason::CrossBorderWithoutConsent,
            ConsentRequirement::Sensitive => ExcludeReason::SensitiveWithoutSeparateConsent,
            ConsentRequirement::Provision => ExcludeReason::ConsentNotSeparate,
        }
    }

    /// The article that asks for it.
    pub fn citation(self) -> Citation {
        self.missing().citation()
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

/// One category's answer with its citation. Where several requirements fail, `eligibility` is the most
/// specific and `also` lists the others, each with its own citation ([`Eligibility::citation`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CategoryDecision {
    /// The category.
    pub category: DataCategory,
    /// The answer.
    pub eligibility: Eligibility,
    /// The article it rests on.
    pub citation: Citation,
    /// The other failing requirements, most specific first (empty when only one failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Eligibility>,
}

/// A person, as the cross-border count knows them: a customer, or an insured person or beneficiary with
/// their own id (one who is also a customer counts as that customer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PersonKey {
    /// A customer of the broker.
    Customer(CustomerId),
    /// An insured person or beneficiary who is not a customer.
    Person(PersonId),
}

/// One person whose information a plan sends abroad, and which kinds the CAC 2024 provisions count for
/// them (a person can count in both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportedPerson {
    /// Who.
    pub person: PersonKey,
    /// Non-sensitive information of theirs moves abroad.
    pub non_sensitive: bool,
    /// Sensitive information of theirs moves abroad.
    pub sensitive: bool,
}

/// The plan for one customer: one decision per category held, and, on a cross-border transfer, the people
/// whose information it would send abroad (for the caller's durable yearly counter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerPlan {
    customer: CustomerId,
    decisions: Vec<CategoryDecision>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    exported: Vec<ExportedPerson>,
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

    /// The people whose information this plan sends abroad and who were not exported before this year
    /// (empty for a domestic transfer): what the caller adds to its yearly counter once the package is sent.
    pub fn exported_abroad(&self) -> &[ExportedPerson] {
        &self.exported
    }
}

/// What kinds of a person's information were already sent abroad this year, by custodia's earlier plans
/// (the caller's durable counter knows): so that no person counts twice in the CAC 2024 totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriorExport {
    /// Non-sensitive information was exported this year.
    pub non_sensitive: bool,
    /// Sensitive information was exported this year.
    pub sensitive: bool,
}

/// An insured person or beneficiary in a customer's [`DataCategory::Beneficiaries`] section, as the planner
/// needs them: to count them as people abroad, and to apply the minors' rule to them (PIPL Arts 28, 31).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoveredPersonFacts {
    /// The person's own id.
    pub person: PersonId,
    /// Their customer id, when they are a customer too: then they count once, as that customer.
    pub customer: Option<CustomerId>,
    /// Their birth date, if known.
    pub birth_date: Option<NaiveDate>,
    /// Whether the policyholder is their parent and so their guardian (Civil Code Art 27), who may consent
    /// for them (PIPL Art 31).
    pub policyholder_is_parent: bool,
    /// What of theirs was already exported this year.
    pub prior_export: PriorExport,
}

impl CoveredPersonFacts {
    fn is_minor_on(&self, date: NaiveDate) -> bool {
        is_minor(self.birth_date, date)
    }

    fn key(&self) -> PersonKey {
        self.customer
            .map_or(PersonKey::Person(self.person), PersonKey::Customer)
    }
}

fn is_minor(birth: Option<NaiveDate>, date: NaiveDate) -> bool {
    birth.is_some_and(|born| {
        born.checked_add_months(Months::new(MINOR_AGE * 12))
            .is_none_or(|adult| date < adult)
    })
}

/// The caller's part of [`CustomerFacts`]: the retention facts (the one source of the categories held and the
/// relationship's end), the birth date, which categories are sensitive, the covered people and what was
/// already exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerFactsFields {
    /// The customer's retention facts: the categories held and the relationship's end come from here.
    pub retention: RetentionFacts,
    /// A natural person's birth date (PIPL Arts 28, 31); `None` for organizations.
    pub birth_date: Option<NaiveDate>,
    /// The categories that are sensitive for this customer (a book's `SensitivityPolicy` decides; PIPL Art
    /// 28). Each must be held.
    pub sensitive: CategorySet,
    /// Insured persons and beneficiaries in the customer's beneficiaries section.
    pub people: Vec<CoveredPersonFacts>,
    /// What of the customer's own information was already exported this year.
    pub prior_export: PriorExport,
}

/// What the planner needs to know about one customer, supplied by the caller: the crate never reads a
/// customer record itself, so planning stays pure logic over its inputs. One source of facts: the
/// categories held and the relationship's end are those of the retention facts, so the plan and the
/// retention decisions can never disagree about them; a contradiction among the rest is a typed error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerFacts {
    customer: CustomerId,
    categories: Vec<DataCategory>,
    fields: CustomerFactsFields,
}

impl CustomerFacts {
    /// Checks the facts: every sensitive category is held, every covered person is unique.
    pub fn new(fields: CustomerFactsFields) -> Result<Self, TransferError> {
        let customer = fields.retention.customer();
        let mut categories: Vec<DataCategory> = fields
            .retention
            .held()
            .iter()
            .filter_map(|h| match h.holding() {
                Holding::Category(c) => Some(c),
                Holding::Record(_) => None,
            })
            .collect();
        categories.sort_by_key(|c| c.tag());
        categories.dedup();
        let held: CategorySet = categories.iter().collect();
        if !fields.sensitive.difference(held).is_empty() {
            return Err(TransferError::FactsMismatch {
                customer,
                field: "sensitive categories not held",
            });
        }
        let mut seen = BTreeSet::new();
        if !fields.people.iter().all(|p| seen.insert(p.person)) {
            return Err(TransferError::FactsMismatch {
                customer,
                field: "a covered person twice",
            });
        }
        Ok(Self {
            customer,
            categories,
            fields,
        })
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The categories held, in tag order (from the retention facts).
    pub fn categories(&self) -> &[DataCategory] {
        &self.categories
    }

    /// When the relationship ended, if it has (from the retention facts).
    pub fn relationship_end(&self) -> Option<NaiveDate> {
        self.fields.retention.relationship_ended()
    }

    /// The birth date, for a person.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.fields.birth_date
    }

    /// The retention facts.
    pub fn retention(&self) -> &RetentionFacts {
        &self.fields.retention
    }

    /// The sensitive categories.
    pub fn sensitive(&self) -> CategorySet {
        self.fields.sensitive
    }

    /// The covered people.
    pub fn people(&self) -> &[CoveredPersonFacts] {
        &self.fields.people
    }

    /// The same facts, with what of each person (the customer and every covered person) was already
    /// exported this year, as the caller's durable counter answers `lookup`: so that nobody counts twice
    /// toward the CAC 2024 thresholds.
    pub fn with_prior_exports(mut self, lookup: &dyn Fn(PersonKey) -> PriorExport) -> Self {
        self.fields.prior_export = lookup(PersonKey::Customer(self.customer));
        for p in &mut self.fields.people {
            p.prior_export = lookup(p.key());
        }
        self
    }

    fn is_minor_on(&self, date: NaiveDate) -> bool {
        is_minor(self.fields.birth_date, date)
    }

    fn subject(&self) -> Subject {
        match self.fields.birth_date {
            Some(born) => Subject::born(self.customer, born),
            None => Subject::new(self.customer),
        }
    }
}

/// The CAC 2024 cross-border thresholds, as data (促进和规范数据跨境流动规定; its text is not in the project's
/// folder, so the figures are the regulations README's and the whole instrument is cited), counted in
/// people from 1 January of the current year.
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
    /// `people_sensitive` (a critical information infrastructure operator always needs an assessment);
    /// [`Mechanism::None`] when they require none.
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
            Mechanism::None
        }
    }
}

/// Exports made outside custodia this year, as the seller declares them: added to the count (the CAC 2024
/// provisions count every export of the processor), never deduplicated against custodia's, the cautious
/// reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredExports {
    /// People whose non-sensitive information was exported.
    pub non_sensitive: u64,
    /// People whose sensitive information was exported.
    pub sensitive: u64,
}

/// The running total the CAC 2024 thresholds count, from 1 January of `year`: distinct people the seller
/// already exported this year through custodia, across every plan and case (the caller's durable counter),
/// plus the declared figure for exports outside custodia. The planner adds the people this plan would
/// export, not counting again anyone whose facts say they were exported before ([`PriorExport`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossBorderYear {
    /// The calendar year (of the plan date, Beijing time).
    pub year: i32,
    /// Distinct people whose non-sensitive information custodia already exported this year.
    pub exported_non_sensitive: u64,
    /// Distinct people whose sensitive information custodia already exported this year.
    pub exported_sensitive: u64,
    /// Exports outside custodia, declared.
    pub declared_outside: DeclaredExports,
}

impl CrossBorderYear {
    /// Nothing exported yet in `year`.
    pub fn first_of(year: i32) -> Self {
        Self {
            year,
            exported_non_sensitive: 0,
            exported_sensitive: 0,
            declared_outside: DeclaredExports::default(),
        }
    }
}

/// The result of the cross-border check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CrossBorderCheck {
    /// Where the data goes.
    pub destination: Jurisdiction,
    /// People whose non-sensitive PI this plan newly moves abroad.
    pub people_non_sensitive: u64,
    /// People whose sensitive PI this plan newly moves abroad.
    pub people_sensitive: u64,
    /// This year's non-sensitive total: custodia's earlier exports, the declared outside figure and this plan.
    pub year_non_sensitive: u64,
    /// This year's sensitive total.
    pub year_sensitive: u64,
    /// The declared outside figure included in the totals.
    pub declared_outside: DeclaredExports,
    /// The mechanism required.
    pub required: Mechanism,
    /// The mechanism agreed.
    pub agreed: Mechanism,
    /// The exemption claimed, with [`Mechanism::Exempt`].
    pub exemption: Option<ExemptionGround>,
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
    /// The working-day calendar the objection window is counted against (Civil Code Arts 201, 203).
    pub calendar: &'a WorkingDayCalendar,
    /// This year's running cross-border total, required when the agreement has cross-border terms.
    pub cross_border_year: Option<CrossBorderYear>,
}

/// The consents one category still needs, and what the consent index said about them.
struct Needs {
    path: TransferPath,
    required: Vec<ConsentRequirement>,
}

impl Needs {
    fn has(&self, r: ConsentRequirement) -> bool {
        self.required.contains(&r)
    }
}

/// Plans a transfer customer by customer, in bounded memory: each customer's plan is returned to the
/// caller, and only counts stay behind (and, for a cross-border transfer, the set of people counted, so
/// that none counts twice). Only a [`SignedAgreement`] of a book transfer can make one.
///
/// The rules, applied per category held, first match wins:
/// 1. the customer outside the selection → `Exclude(customer_out_of_scope)`;
/// 2. the category outside the scope → `Exclude(category_out_of_scope)`;
/// 3. retention: `Destroy` today → `Exclude(past_retention)` (PIPL Art 47); restricted to storage at a
///    seller that keeps the records → `Exclude(restricted_to_storage)` (PIPL Art 47(2)); AML records of a
///    dissolving seller, or a hand-over due → `Exclude(aml_records_to_designated_body)` (AML Law 2024 Art 34);
/// 4. a minor under 14 (the customer, or a covered person in the beneficiaries section) and the agreement
///    excludes minors → `Exclude(minor_excluded)`;
/// 5. a sensitive category and the agreement excludes them → `Exclude(sensitive_excluded)`;
/// 6. every purpose the buyer continues for the category rests on consent, and none is permitted →
///    `Exclude(consent_withdrawn)` if a withdrawal ended it, else `Exclude(consent_missing)`;
/// 7. an objection on file — at any time before the plan, addressed to the seller or to the buyer — or a
///    refusal → `Exclude(objected)` (a refusal on the consent path is `consent_refused`) (PIPL Art 44);
/// 8. notice path (PIPL Art 22): no notice served → `Pending(notice_not_served)`; the window still open
///    (it runs from the day after service to 24:00 Beijing time of its last day, a last day on a rest day
///    moved to the next working day: Civil Code Arts 201, 203) → `Pending(objection_window_open)`. The
///    window decides when silence may be taken as no objection; it never cuts an objection off;
/// 9. the consents the category needs ([`ConsentRequirement`]): PIPL Art 31 for a minor, Art 39 abroad,
///    Art 29 for a sensitive category — on either path — and Art 23 on the consent path. A consent naming
///    the buyer as third party or as successor counts (on the consent path a successor's only when
///    separate). A failing consent is excluded with the most specific failing requirement's reason and the
///    others listed (`also`); none at all is pending with the most specific missing one's;
/// 10. otherwise `Include`.
#[derive(Debug)]
pub struct Planner<'a> {
    agreement: &'a SignedAgreement,
    context: PlanContext<'a>,
    consent_policy: BasisPolicy,
    path_citation: Citation,
    summary: PlanSummary,
    exported_non_sensitive: u64,
    exported_sensitive: u64,
    counted: HashMap<PersonKey, PriorExport>,
}

impl<'a> Planner<'a> {
    /// A planner for `agreement` judged in `context`. Refused if `context.at` is before the agreement's
    /// effective date (nothing moves under an agreement that is not yet in force), for a share acquisition
    /// (nothing moves at all), and for a cross-border agreement without this year's counts.
    pub fn new(agreement: &'a SignedAgreement, context: &PlanContext<'a>) -> Result<Self, TransferError> {
        let terms = agreement.terms();
        if context.at.date_naive() < terms.effective {
            return Err(TransferError::invalid(
                "plan.at",
                format!("before the agreement's effective date {}", terms.effective),
            ));
        }
        if terms.deal.kind == DealKind::ShareAcquisition {
            return Err(TransferError::NothingMoves {
                deal: "share acquisition",
            });
        }
        if terms.cross_border.is_some() {
            let year = beijing_date(context.at).year();
            match context.cross_border_year {
                None => {
                    return Err(TransferError::CrossBorderYear {
                        reason:
                            "the agreement has cross-border terms and the plan has no counts for the year"
                                .into(),
                    });
                }
                Some(y) if y.year != year => {
                    return Err(TransferError::CrossBorderYear {
                        reason: format!("counts for {} given to a plan in {year}", y.year),
                    });
                }
                Some(_) => {}
            }
        }
        let consent_policy = context.consent.policy().with_rule(PurposeRule {
            purpose: Purpose::Transfer,
            basis: LegalBasis::Consent,
            citation: terms.path_citation(),
        });
        Ok(Self {
            agreement,
            context: *context,
            consent_policy,
            path_citation: terms.path_citation(),
            summary: PlanSummary::default(),
            exported_non_sensitive: 0,
            exported_sensitive: 0,
            counted: HashMap::new(),
        })
    }

    /// Plans one customer and adds it to the counts.
    pub fn plan(&mut self, facts: &CustomerFacts) -> Result<CustomerPlan, TransferError> {
        let today = self.context.at.date_naive();
        let retention = self
            .context
            .retention
            .decide(facts.retention(), self.context.holds, today)?;
        let minor = facts.is_minor_on(today);
        let mut decisions = Vec::with_capacity(facts.categories().len());
        for category in facts.categories().iter().copied() {
            let outcome = retention
                .iter()
                .find(|d| d.holding() == Holding::Category(category))
                .map(|d| d.outcome());
            let (eligibility, also) = self.decide(facts, category, minor, outcome)?;
            decisions.push(CategoryDecision {
                category,
                eligibility,
                citation: eligibility.citation(&self.path_citation),
                also,
            });
        }
        let mut plan = CustomerPlan {
            customer: facts.customer(),
            decisions,
            exported: Vec::new(),
        };
        self.count(&mut plan, facts, minor);
        Ok(plan)
    }

    fn count(&mut self, plan: &mut CustomerPlan, facts: &CustomerFacts, minor: bool) {
        self.summary.customers += 1;
        for d in &plan.decisions {
            self.summary.decisions.add(d.eligibility, 1);
        }
        let first_other = plan
            .decisions
            .iter()
            .map(|d| d.eligibility)
            .find(|e| *e != Eligibility::Include);
        let included = plan.included();
        let people = &mut self.summary.customers_by_first;
        match (first_other, included.is_empty()) {
            (None, false) => people.add(Eligibility::Include, 1),
            (None, true) => people.add_nothing_held(1),
            (Some(e), _) => people.add(e, 1),
        }
        if included.is_empty() {
            return;
        }
        self.summary.customers_moving += 1;
        if self.agreement.terms().cross_border.is_none() {
            return;
        }
        // The CAC 2024 provisions count people: the customer, and every covered person whose section moves.
        let today = self.context.at.date_naive();
        let sensitive = |c: &DataCategory| minor || facts.sensitive().contains(*c);
        let mut abroad = vec![(
            PersonKey::Customer(facts.customer()),
            included.iter().any(|c| !sensitive(c)),
            included.iter().any(sensitive),
            facts.fields.prior_export,
        )];
        if included.contains(&DataCategory::Beneficiaries) {
            for p in facts.people() {
                let child = p.is_minor_on(today);
                abroad.push((p.key(), !child, child, p.prior_export));
            }
        }
        for (person, non_sensitive, sensitive, prior) in abroad {
            let seen = self.counted.entry(person).or_insert(prior);
            let new_ns = non_sensitive && !seen.non_sensitive;
            let new_s = sensitive && !seen.sensitive;
            seen.non_sensitive |= non_sensitive;
            seen.sensitive |= sensitive;
            self.exported_non_sensitive += u64::from(new_ns);
            self.exported_sensitive += u64::from(new_s);
            if new_ns || new_s {
                plan.exported.push(ExportedPerson {
                    person,
                    non_sensitive: new_ns,
                    sensitive: new_s,
                });
            }
        }
    }

    fn decide(
        &self,
        facts: &CustomerFacts,
        category: DataCategory,
        minor: bool,
        retention: Option<RetentionOutcome>,
    ) -> Result<(Eligibility, Vec<Eligibility>), TransferError> {
        let terms = self.agreement.terms();
        let ctx = &self.context;
        let today = ctx.at.date_naive();
        let exclude = |r| Ok((Eligibility::Exclude(r), Vec::new()));
        let pending = |r| Ok((Eligibility::Pending(r), Vec::new()));
        // 1. Selection.
        if !terms.selects(facts.relationship_end(), today) {
            return exclude(ExcludeReason::CustomerOutOfScope);
        }
        // 2. Scope.
        let purposes: Vec<&Purpose> = terms.purposes_for(category).collect();
        if purposes.is_empty() {
            return exclude(ExcludeReason::CategoryOutOfScope);
        }
        // 3. Retention, who keeps the records, and what becomes of the seller.
        match retention {
            Some(RetentionOutcome::Destroy { .. }) => return exclude(ExcludeReason::PastRetention),
            Some(RetentionOutcome::HandOver { .. }) => {
                return exclude(ExcludeReason::AmlRecordsToDesignatedBody);
            }
            Some(RetentionOutcome::StorageOnly { .. })
                if terms.deal.records_kept_by == RecordKeeper::Seller =>
            {
                return exclude(ExcludeReason::RestrictedToStorage);
            }
            _ => {}
        }
        if terms.deal.seller_after == SellerAfterTransfer::Dissolves && category == DataCategory::KycAml {
            return exclude(ExcludeReason::AmlRecordsToDesignatedBody);
        }
        let covered_minors: Vec<&CoveredPersonFacts> = if category == DataCategory::Beneficiaries {
            facts.people().iter().filter(|p| p.is_minor_on(today)).collect()
        } else {
            Vec::new()
        };
        let minors_data = minor || !covered_minors.is_empty();
        let sensitive = minors_data || facts.sensitive().contains(category);
        // 4, 5. Agreement rules for minors and sensitive data.
        if minors_data && terms.minors == MinorRule::Exclude {
            return exclude(ExcludeReason::MinorExcluded);
        }
        if sensitive && terms.sensitive == SensitiveRule::Exclude {
            return exclude(ExcludeReason::SensitiveExcluded);
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
            return exclude(if withdrawn {
                ExcludeReason::ConsentWithdrawn
            } else {
                ExcludeReason::ConsentMissing
            });
        }
        // 7. Objections and refusals, whenever and to whomever (PIPL Art 44).
        let responses = ctx.responses;
        let customer = facts.customer();
        let earliest = |kind| responses.earliest(customer, category, kind, ctx.at, ctx.as_of);
        let notice_path = terms.legal_path == TransferPath::MergerNotice;
        if earliest(ResponseKind::Objected).is_some() {
            return exclude(ExcludeReason::Objected);
        }
        if earliest(ResponseKind::Refused).is_some() {
            return exclude(if notice_path {
                ExcludeReason::Objected
            } else {
                ExcludeReason::ConsentRefused
            });
        }
        // 8. The notice path's window.
        if notice_path {
            let Some(served) = earliest(ResponseKind::NoticeServed) else {
                return pending(PendingReason::NoticeNotServed);
            };
            let window = ctx
                .calendar
                .deadline(beijing_date(served), terms.objection_window_days)
                .map_err(|source| TransferError::Calendar {
                    what: "objection window",
                    source,
                })?;
            if ctx.at < window.closes_at {
                return pending(PendingReason::ObjectionWindowOpen);
            }
        }
        // 9. The consents this category needs.
        let abroad = terms.cross_border.as_ref().map(|c| c.destination);
        let needs = Needs {
            path: terms.legal_path,
            required: ConsentRequirement::BY_SPECIFICITY
                .into_iter()
                .filter(|r| match r {
                    ConsentRequirement::Guardian => minors_data,
                    ConsentRequirement::CrossBorder => abroad.is_some(),
                    ConsentRequirement::Sensitive => sensitive,
                    ConsentRequirement::Provision => !notice_path,
                })
                .collect(),
        };
        if needs.required.is_empty() {
            return Ok((Eligibility::Include, Vec::new()));
        }
        // A covered minor's guardian can consent through this customer's record only if the policyholder is
        // their parent (Civil Code Art 27).
        if covered_minors.iter().any(|p| !p.policyholder_is_parent) {
            return exclude(ExcludeReason::MinorWithoutGuardianConsent);
        }
        let buyer = terms.buyer.party_id();
        let destination = abroad.unwrap_or(Jurisdiction::MAINLAND_CHINA);
        let ask = |recipient| {
            ctx.consent.permits_under(
                &self.consent_policy,
                &subject,
                &ProposedUse::new(Purpose::Transfer, category, recipient, destination),
                ctx.at,
                ctx.as_of,
            )
        };
        let third = ask(Recipient::ThirdParty(buyer));
        if third.is_permitted() {
            return Ok((Eligibility::Include, Vec::new()));
        }
        let successor = ask(Recipient::Successor(buyer));
        let separate_successor = earliest(ResponseKind::SeparateGrantToSuccessor).is_some();
        if successor.is_permitted() && (notice_path || separate_successor) {
            return Ok((Eligibility::Include, Vec::new()));
        }
        let mut failing = consent_failures(&needs, &[&third, &successor]);
        if successor.is_permitted() {
            // On the consent path a bundled consent to the successor is no PIPL Art 23 consent.
            failing.push(Eligibility::Exclude(ExcludeReason::ConsentNotSeparate));
        }
        if failing.is_empty() {
            failing = needs
                .required
                .iter()
                .map(|r| Eligibility::Pending(r.missing()))
                .collect();
        }
        failing.sort_by_key(|e| specificity(*e));
        failing.dedup();
        let winner = failing.remove(0);
        Ok((winner, failing))
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
    /// mechanism does not meet what the CAC 2024 thresholds require for this year's running total —
    /// custodia's earlier exports this year, the declared outside figure, and this plan's new people —
    /// so that splitting the book into plans cannot avoid a mechanism (PIPL Art 38).
    pub fn finish(mut self) -> Result<PlanSummary, TransferError> {
        if let (Some(cb), Some(year)) = (
            &self.agreement.terms().cross_border,
            self.context.cross_border_year,
        ) {
            let year_non_sensitive = year
                .exported_non_sensitive
                .saturating_add(year.declared_outside.non_sensitive)
                .saturating_add(self.exported_non_sensitive);
            let year_sensitive = year
                .exported_sensitive
                .saturating_add(year.declared_outside.sensitive)
                .saturating_add(self.exported_sensitive);
            let required = self
                .context
                .thresholds
                .required(cb.operator, year_non_sensitive, year_sensitive);
            if !cb.mechanism.satisfies(required) {
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
                declared_outside: year.declared_outside,
                required,
                agreed: cb.mechanism,
                exemption: cb.exemption,
                citation: Citation::whole(Instrument::CacCrossBorder2024),
            });
        }
        Ok(self.summary)
    }
}

/// The order in which failing reasons decide: the customer's own word first (a withdrawal, an objection or
/// refusal), then the failing requirements from the most specific (PIPL Art 31, 39, 29, 23), then the
/// missing ones in the same order.
fn specificity(e: Eligibility) -> u8 {
    let requirement = |r: ConsentRequirement| {
        ConsentRequirement::BY_SPECIFICITY
            .iter()
            .position(|x| *x == r)
            .map_or(9, |i| i as u8)
    };
    match e {
        Eligibility::Exclude(ExcludeReason::ConsentWithdrawn) => 0,
        Eligibility::Exclude(ExcludeReason::Objected | ExcludeReason::ConsentRefused) => 1,
        Eligibility::Exclude(r) => ConsentRequirement::BY_SPECIFICITY
            .iter()
            .find(|x| x.failed() == r)
            .map_or(9, |x| 2 + requirement(*x)),
        Eligibility::Pending(r) => ConsentRequirement::BY_SPECIFICITY
            .iter()
            .find(|x| x.missing() == r)
            .map_or(19, |x| 10 + requirement(*x)),
        Eligibility::Include => 20,
    }
}

/// Every failing reason the consent index gave for the transfer uses, kept where the requirement applies on
/// this path: on the notice path a consent need not be separate from other matters to be a PIPL Art 23
/// consent, because Art 23 does not apply there.
fn consent_failures(needs: &Needs, decisions: &[&ConsentDecision]) -> Vec<Eligibility> {
    let notice_path = needs.path == TransferPath::MergerNotice;
    let mut out = Vec::new();
    for d in decisions {
        for reason in d.reasons() {
            let e = match reason.rule {
                ConsentRule::Ended(EventKind::Withdrawn) => Some(ExcludeReason::ConsentWithdrawn),
                ConsentRule::Ended(EventKind::Refused) if notice_path => Some(ExcludeReason::Objected),
                ConsentRule::Ended(EventKind::Refused) => Some(ExcludeReason::ConsentRefused),
                ConsentRule::Ended(EventKind::Objected) => Some(ExcludeReason::Objected),
                ConsentRule::GuardianConsentRequired if needs.has(ConsentRequirement::Guardian) => {
                    Some(ExcludeReason::MinorWithoutGuardianConsent)
                }
                ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder)
                | ConsentRule::OutsideScope(Dimension::Destination)
                | ConsentRule::NotInNotice(Dimension::Destination)
                    if needs.has(ConsentRequirement::CrossBorder) =>
                {
                    Some(ExcludeReason::CrossBorderWithoutConsent)
                }
                ConsentRule::SeparateConsentRequired(
                    SeparateBecause::SensitiveCategory | SeparateBecause::MinorData,
                ) if needs.has(ConsentRequirement::Sensitive) => {
                    Some(ExcludeReason::SensitiveWithoutSeparateConsent)
                }
                // A consent to the buyer as third party that was bundled: it is no PIPL Art 23 consent, and
                // no separate consent for whatever else this category needs (a section the customer's
                // facts make sensitive, such as one holding a child's data, which the consent index cannot
                // see from the category alone).
                ConsentRule::SeparateConsentRequired(SeparateBecause::ThirdParty) => {
                    for (requirement, reason) in [
                        (ConsentRequirement::Provision, ExcludeReason::ConsentNotSeparate),
                        (
                            ConsentRequirement::Sensitive,
                            ExcludeReason::SensitiveWithoutSeparateConsent,
                        ),
                        (
                            ConsentRequirement::CrossBorder,
                            ExcludeReason::CrossBorderWithoutConsent,
                        ),
                    ] {
                        if needs.has(requirement) {
                            out.push(Eligibility::Exclude(reason));
                        }
                    }
                    None
                }
                _ => None,
            };
            out.extend(e.map(Eligibility::Exclude));
        }
    }
    out
}
