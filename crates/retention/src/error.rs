//! The one error type of custodia-retention: every variant names the rule, hold, plan or field that failed.

use chrono::NaiveDate;

/// Why a profile, a set of facts, a hold or a destruction step was refused. Messages are lower-case and
/// name the rule id, hold id, customer or field, so that a compliance officer can find the mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RetentionError {
    /// A profile document is not well-formed JSON or TOML, or lacks a required field.
    #[error("profile is not well-formed {format}: {message}")]
    ProfileSyntax {
        /// `json` or `toml`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A profile could not be written out.
    #[error("profile could not be written as {format}: {message}")]
    ProfileWrite {
        /// `json` or `toml`.
        format: &'static str,
        /// The serializer's message.
        message: String,
    },
    /// A profile has no name.
    #[error("profile name is empty")]
    EmptyProfileName,
    /// A rule id is empty or uses characters other than `a-z`, `0-9`, `-`, `_`, `.`.
    #[error("invalid rule id {id:?}: use 1-64 of a-z, 0-9, '-', '_', '.'")]
    InvalidRuleId {
        /// The id given.
        id: String,
    },
    /// Two rules in one profile share an id.
    #[error("rule {rule}: duplicate rule id")]
    DuplicateRule {
        /// The repeated id.
        rule: String,
    },
    /// A rule's citation names no instrument custodia knows, or has an empty article.
    #[error("rule {rule}: invalid citation {field}: {value:?}")]
    InvalidCitation {
        /// The rule.
        rule: String,
        /// `instrument` or `article`.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A rule names a data category, record kind, purpose, jurisdiction, trigger, contract term or
    /// condition that does not exist.
    #[error("rule {rule}: unknown {field} {value:?}")]
    UnknownValue {
        /// The rule.
        rule: String,
        /// Which list or field held the value.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A rule applies to nothing: it lists no data category and no record kind.
    #[error("rule {rule}: applies to no data category and no record kind")]
    EmptyScope {
        /// The rule.
        rule: String,
    },
    /// A period is not an ISO 8601 date duration such as `P10Y`, `P1Y6M` or `P30D`.
    #[error("rule {rule}: {field} {value:?} is not a period like P10Y, P6M, P30D")]
    InvalidPeriod {
        /// The rule, or `-` where a period is parsed on its own.
        rule: String,
        /// `minimum` or `maximum`.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A rule's maximum period is shorter than its minimum.
    #[error("rule {rule}: maximum {maximum} is shorter than minimum {minimum}")]
    MaximumBelowMinimum {
        /// The rule.
        rule: String,
        /// The minimum period.
        minimum: String,
        /// The maximum period.
        maximum: String,
    },
    /// A rule has neither a minimum nor a maximum, so it can never change a decision.
    #[error("rule {rule}: has a zero minimum and no maximum, so it has no effect")]
    NoEffect {
        /// The rule.
        rule: String,
    },
    /// A contract term filter was given for a trigger other than `contract_end`.
    #[error("rule {rule}: contract_term is only allowed with the contract_end trigger")]
    MisplacedContractTerm {
        /// The rule.
        rule: String,
    },
    /// Two profiles were combined and both name the same setting differently.
    #[error("profiles disagree on setting {setting}")]
    ConflictingSettings {
        /// The setting.
        setting: &'static str,
    },
    /// No rule of the profile covers a holding: a category with no retention entry is a gap in the profile,
    /// never "keep forever".
    #[error("customer {customer}: no rule of profile {profile} covers {holding}")]
    NoRule {
        /// The customer.
        customer: String,
        /// The holding.
        holding: String,
        /// The profile.
        profile: String,
    },
    /// A period's last day depends on whether a day is a working day, and the profile's calendar does not
    /// know that day (Civil Code Art 203): load the calendar of that year.
    #[error("rule {rule}: the last day of its period depends on a day outside the calendar")]
    Calendar {
        /// The rule.
        rule: String,
        /// The calendar's error.
        #[source]
        source: custodia_model::ModelError,
    },
    /// A date computed from a rule's period falls outside the calendar chrono supports.
    #[error("rule {rule}: period from {from} falls outside the supported calendar")]
    DateOutOfRange {
        /// The rule.
        rule: String,
        /// The date the period was counted from.
        from: NaiveDate,
    },
    /// A data holding of a customer names no purpose it is kept for; PIPL Art 19 allows none.
    #[error("customer {customer}: {holding} is held for no purpose")]
    NoPurpose {
        /// The customer.
        customer: String,
        /// The holding.
        holding: String,
    },
    /// The same holding, or the same single-valued fact, appears twice in one customer's facts.
    #[error("customer {customer}: {field} given twice")]
    DuplicateFact {
        /// The customer.
        customer: String,
        /// The fact given twice.
        field: String,
    },
    /// An actor id, plan id or other model value was refused by custodia-model; its error names the field.
    #[error(transparent)]
    Model(#[from] custodia_model::ModelError),
    /// A free-text field that the law makes mandatory, such as a hold's reason, is empty.
    #[error("{field} must not be empty")]
    EmptyText {
        /// The field.
        field: &'static str,
    },
    /// A hold id is not in the register.
    #[error("hold {hold}: not found")]
    UnknownHold {
        /// The hold.
        hold: u64,
    },
    /// A hold was released twice.
    #[error("hold {hold}: already released")]
    HoldAlreadyReleased {
        /// The hold.
        hold: u64,
    },
    /// A hold's release is dated before it was placed.
    #[error("hold {hold}: release on {released} is before placement on {placed}")]
    ReleaseBeforePlacement {
        /// The hold.
        hold: u64,
        /// When it was placed.
        placed: NaiveDate,
        /// The release date given.
        released: NaiveDate,
    },
    /// A destruction plan item was built from a decision that is not `Destroy`.
    #[error("customer {customer}: {holding} is not destroyable")]
    NotDestroyable {
        /// The customer.
        customer: String,
        /// The holding.
        holding: String,
    },
    /// A destruction plan has no items.
    #[error("destruction plan {plan} has no items")]
    EmptyPlan {
        /// The plan.
        plan: String,
    },
    /// The same customer and holding appear twice in one plan.
    #[error("destruction plan {plan}: customer {customer} {holding} listed twice")]
    DuplicatePlanItem {
        /// The plan.
        plan: String,
        /// The customer.
        customer: String,
        /// The holding.
        holding: String,
    },
    /// The same person tried to approve a plan twice (internal supervision needs two distinct people).
    #[error("destruction plan {plan}: {approver} has already approved it")]
    DuplicateApproval {
        /// The plan.
        plan: String,
        /// The approver.
        approver: String,
    },
    /// A plan was executed with fewer than two distinct approvals.
    #[error("destruction plan {plan}: needs 2 distinct approvers, has {approvals}")]
    NotEnoughApprovals {
        /// The plan.
        plan: String,
        /// The number of distinct approvals it has.
        approvals: usize,
    },
    /// A plan's signed approvals were refused (custodia-access): too few, the same approver twice, the
    /// operator or the plan's proposer signing, a principal without the approver role, a signature that does
    /// not verify, or an approval of another plan. The source names the approver, never a secret.
    #[error("destruction plan {plan}: approval refused: {source}")]
    ApprovalRefused {
        /// The plan.
        plan: String,
        /// Why.
        source: custodia_access::AccessError,
    },
    /// An approved plan was run by someone other than the operator its approvals were checked against.
    #[error("destruction plan {plan}: run by an operator its approvals were not checked against")]
    OperatorMismatch {
        /// The plan.
        plan: String,
    },
    /// The destruction certificate could not be encoded.
    #[error("destruction plan {plan}: certificate could not be encoded: {message}")]
    CertificateEncoding {
        /// The plan.
        plan: String,
        /// The encoder's message.
        message: String,
    },
    /// Shredding ran but the certificate could not be appended to the ledger. Re-running the plan is safe
    /// and appends a certificate that covers the items already destroyed.
    #[error(
        "destruction plan {plan}: {destroyed} items destroyed but the certificate was not recorded: {message}"
    )]
    CertificateNotRecorded {
        /// The plan.
        plan: String,
        /// How many customers this run destroyed or confirmed destroyed (some certificates may have been
        /// recorded before the failure).
        destroyed: usize,
        /// The ledger's message.
        message: String,
    },
}
