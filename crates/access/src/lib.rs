//! # custodia-access
//!
//! Purpose-bound access to customers' data (issue 17): who may read which category of whose data, for what,
//! and the evidence that they did. It owns:
//!
//! - **principals** ([`Principal`]): members of staff and services by their one [`custodia_model::ActorId`],
//!   with roles, department, approved purposes, training records (course, passed at, valid until) and the
//!   Ed25519 public key of their approvals — a public record the brokerage stores (serde), holding no secret;
//! - **policies as data** ([`CedarEngine`] behind the small [`PolicyEngine`] seam): Cedar 4 policies and
//!   templates, validated against a schema at load, default deny, forbid over permit, each policy with an
//!   `@id` and a `@citation`; the shipped `cn-insurance-broker` set ([`CN_INSURANCE_BROKER`]);
//! - **the gate** ([`Gate`]): one decision per request — principal, action, customer, categories, purpose,
//!   time, ticket, approval — over facts the caller passes in (training is computed from the principal's
//!   records at the request's time; sensitivity, storage-only, transfer and the purpose's basis per
//!   section), returning a typed [`Decision`] whose only way to a [`Permit`] is an allow of every category,
//!   and whose deny is an [`AccessDenied`] naming categories and policy ids, never data;
//! - **the access log** ([`AccessEntry`], [`AccessLog`]): every decision, allow or deny, as a pseudonymous
//!   ledger entry, with "who read this customer's data" and "what did this principal read" queries and
//!   inclusion proofs ([`AccessProof`]);
//! - **bulk-read monitors** ([`Monitor`]): per-principal sliding windows against thresholds as data
//!   ([`MonitorSettings`]), raising typed [`Alert`]s that name the ledger entries behind them;
//! - **signed approvals** ([`SignedApproval`], [`VerifiedQuorum`]): a second principal with the approver role
//!   signs a documented, domain-separated message ([`ApprovalRequest::message`]) with Ed25519; verification
//!   needs only the public key in the approver's record.
//!
//! ## The key decision: the rules are Cedar data, the facts are inputs
//!
//! The law's rules of access — purpose limitation and minimum necessity (PIPL Arts 5, 6), strict measures
//! for sensitive data (PIPL Art 28), storage-only data (PIPL Art 47(2)), trained staff with set permissions
//! (PIPL Art 51(4)), transferred customers closed to sales — are Cedar policies a compliance officer can
//! read, change and re-validate, each naming its article. Cedar's semantics (deny unless a permit applies, a
//! forbid beats any permit, a policy that fails to evaluate is skipped) are formally modelled; the gate adds
//! one rule of its own: a policy that fails to evaluate makes the category a deny (fail closed). What the
//! rules need to know — whether training is valid at the time, whether the purpose has a basis (the
//! consent crate's answer), whether retention restricted the section — is computed by the caller from its
//! stores and passed in, so this crate holds no database, reads no clock and prints nothing.
//!
//! Practice references (`practice §n`) are to the brokerage practice note on customer information after a
//! licence transfer (`shared/000_e5240e2c59be5e53.txt`): §2.4 use without abuse, §3.1 access control and
//! intrusion detection, §3.3 staff training, §9 training, §13 responsibilities, §15 internal supervision.
//!
//! ## What it must not do
//!
//! - Touch key bytes or write a primitive: signatures are custodia-crypto's [`custodia_crypto::SigningKey`]
//!   and [`custodia_crypto::VerifyingKey`] (ring's Ed25519); the crate holds no secret type of its own.
//! - Put personal information on the log or in an error: entries and messages hold ids, codes, policy ids
//!   and times only; a [`Ticket`] is an id in the brokerage's system, never free text.
//! - Depend on a database, the consent or retention crates, or the clock: facts and times are arguments.
//!   Durable state (principals, approvals, monitor state, alerts) is kept by the application layer.
//!
//! ## Example
//!
//! ```
//! use std::collections::BTreeSet;
//! use chrono::{TimeZone, Utc};
//! use custodia_access::*;
//! use custodia_crypto::SigningKey;
//! use custodia_ledger::{Log, MemoryStore};
//! use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap(); // 10:00 in Beijing, a Monday
//! let handler = Principal::new(PrincipalFields {
//!     id: ActorId::new("emp-0042")?,
//!     kind: PrincipalKind::Staff,
//!     roles: BTreeSet::from([Role::new("claims_handler")?]),
//!     department: Department::new("claims")?,
//!     purposes: BTreeSet::from([Purpose::ClaimsAssistance]),
//!     training: vec![TrainingRecord::new(
//!         Course::new("pi-protection")?,
//!         at - chrono::Duration::days(30),
//!         at + chrono::Duration::days(335),
//!     )?],
//!     verifying_key: SigningKey::generate()?.verifying_key(),
//! })?;
//!
//! let gate = Gate::cn_insurance_broker()?;
//! let customer = CustomerId::new_v7();
//! let request = AccessRequest {
//!     principal: &handler,
//!     action: Action::Read,
//!     customer,
//!     categories: CategorySet::from([DataCategory::Claims, DataCategory::Health]),
//!     purpose: &Purpose::ClaimsAssistance,
//!     at,
//!     ticket: None,
//!     approval: None,
//! };
//! let facts = AccessFacts::new()
//!     .section(SectionFacts::new(DataCategory::Claims, PurposeBasis::Permitted))
//!     .section(SectionFacts::new(DataCategory::Health, PurposeBasis::Permitted));
//! let decision = gate.decide(&request, &facts)?;
//!
//! // Every decision lands on the ledger, allow or deny, and can be proved.
//! let mut log = Log::new(MemoryStore::new())?;
//! let index = AccessLog::append(&mut log, &[decision.entry().clone()])?.first_index();
//! let permit = decision.into_permit()?;
//! assert_eq!(permit.categories(), CategorySet::from([DataCategory::Claims, DataCategory::Health]));
//! assert_eq!(AccessLog::of_customer(&log, customer)?[0].index, index);
//!
//! // Marketing is not the handler's purpose: denied, naming the policy and its article, never the data.
//! let marketing = AccessRequest { purpose: &Purpose::Marketing, categories: CategorySet::from([DataCategory::Contact]), ..request };
//! let facts = AccessFacts::new().section(SectionFacts::new(DataCategory::Contact, PurposeBasis::Permitted));
//! let denied = gate.decide(&marketing, &facts)?.into_permit().unwrap_err();
//! assert!(denied.policies().iter().any(|p| p.id() == "approved-purpose-only"));
//! # Ok(())
//! # }
//! ```

mod approval;
mod engine;
mod error;
mod gate;
mod log;
mod monitor;
mod principal;

pub use approval::{
    APPROVAL_DOMAIN, ApprovalId, ApprovalRequest, ApprovalSettings, ApprovalSubject, ElevationScope,
    SignedApproval, VerifiedApproval, VerifiedQuorum,
};
pub use engine::{
    CN_INSURANCE_BROKER, CedarEngine, ELEVATED_READ, Effect, EngineQuery, EngineVerdict, PolicyEngine,
    PolicyRef, SCHEMA,
};
pub use error::AccessError;
pub use gate::{
    AccessDenied, AccessFacts, AccessRequest, Action, DEFAULT_COURSE, Decision, Gate, GateSettings, Permit,
    PurposeBasis, SectionFacts,
};
pub use log::{
    AccessEntry, AccessLog, AccessProof, CategoryOutcome, LogSettings, LoggedAccess, PAYLOAD_PREFIX,
    SCAN_BATCH,
};
pub use monitor::{Alert, AlertKind, Monitor, MonitorSettings, Severity, WorkingHours};
pub use principal::{
    Course, Department, DocumentKind, Principal, PrincipalFields, PrincipalKind, Role, Ticket, TrainingRecord,
};
