//! The one error type of custodia-access: every variant names the field, policy, principal or category that
//! failed, never a customer's personal value.

use custodia_model::{ActorId, DataCategory};

/// Why a principal, a policy set, a request, an approval or a log entry was refused. Messages are lower-case,
/// name ids, codes and positions, and never repeat a personal value (issue 16: no personal information in
/// errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// A code (role, department, course, ticket, policy id) is empty, too long or uses other characters
    /// than its alphabet allows.
    #[error("invalid {field}: {expected}")]
    InvalidCode {
        /// Which kind of code.
        field: &'static str,
        /// What a valid one looks like.
        expected: &'static str,
    },
    /// A principal record breaks an invariant (a training record that ends before it starts, no role).
    #[error("principal {principal}: {problem}")]
    InvalidPrincipal {
        /// The principal.
        principal: ActorId,
        /// What is wrong, in words that hold no personal value.
        problem: &'static str,
    },
    /// The schema of a policy set does not parse.
    #[error("policy schema does not parse")]
    Schema,
    /// The policy text does not parse; `position` is the 1-based index of the policy in its file when it
    /// is known.
    #[error("policy text does not parse{}", position.map(|p| format!(" (policy {p})")).unwrap_or_default())]
    PolicySyntax {
        /// Which policy, counted from 1, when the parser says.
        position: Option<usize>,
    },
    /// A policy or template lacks its `@id("…")` or `@citation("…")` annotation, so a decision could not name
    /// it or its law.
    #[error("policy {position} has no @{annotation} annotation")]
    MissingAnnotation {
        /// The policy's place in its file, counted from 1.
        position: usize,
        /// `id` or `citation`.
        annotation: &'static str,
    },
    /// Two policies or templates share an id.
    #[error("policy {policy}: duplicate id")]
    DuplicatePolicy {
        /// The repeated id.
        policy: String,
    },
    /// A policy does not validate against the schema (an attribute that does not exist, a type mismatch).
    #[error("policy {policy} does not validate against the schema")]
    InvalidPolicy {
        /// The offending policy's id.
        policy: String,
    },
    /// A template could not be linked (no such template, a link id already used).
    #[error("template {template}: cannot link as {link}")]
    Link {
        /// The template's id.
        template: String,
        /// The id the link was to get.
        link: String,
    },
    /// The policy engine could not build a request or its entities (a principal or section that does not fit
    /// the schema).
    #[error("policy engine refused the {what}")]
    Engine {
        /// `principal`, `section`, `context` or `request`.
        what: &'static str,
    },
    /// A request names no data category.
    #[error("request names no data category")]
    NoCategory,
    /// A request names a category for which the caller passed no facts; the gate refuses to guess.
    #[error("no facts for category {category}")]
    MissingFacts {
        /// The category.
        category: DataCategory,
    },
    /// A request names a category twice, or facts are given twice for one category.
    #[error("category {category} named twice")]
    DuplicateCategory {
        /// The category.
        category: DataCategory,
    },
    /// An approval was signed by a key other than the approver's registered one, or does not verify.
    /// Opaque on purpose: it says that it failed, not why.
    #[error("approval signature does not verify")]
    BadSignature,
    /// An approval's approver is not the principal given, lacks the approver role, or is the requester or
    /// operator themselves (four eyes).
    #[error("approval by {approver}: {problem}")]
    ApprovalRefused {
        /// Who signed.
        approver: ActorId,
        /// Why the approval does not count.
        problem: &'static str,
    },
    /// Two approvals of one subject came from the same principal.
    #[error("principal {approver} approved twice")]
    DuplicateApproval {
        /// The repeated approver.
        approver: ActorId,
    },
    /// Fewer distinct approvals than required.
    #[error("{approvals} distinct approvals, {required} required")]
    NotEnoughApprovals {
        /// Distinct valid approvals given.
        approvals: usize,
        /// Approvals required.
        required: usize,
    },
    /// An approval's window is empty or longer than the settings allow.
    #[error("approval window is {problem}")]
    ApprovalWindow {
        /// `empty` or `longer than allowed`.
        problem: &'static str,
    },
    /// An access-log payload does not decode; `index` is its ledger index.
    #[error("access log entry {index} does not decode")]
    Decode {
        /// The ledger index.
        index: u64,
    },
    /// An access-log entry could not be encoded.
    #[error("access log entry could not be encoded")]
    Encode,
    /// Monitor settings are inconsistent (a zero window, a zero threshold).
    #[error("monitor setting {field}: {problem}")]
    InvalidSettings {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The ledger failed.
    #[error("ledger: {0}")]
    Ledger(#[from] custodia_ledger::LedgerError),
}
