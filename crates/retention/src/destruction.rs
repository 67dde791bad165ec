//! Approved destruction: a plan signed by two distinct approvers, execution through a shredder, and a
//! destruction certificate appended to the ledger.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use custodia_access::{
    ApprovalId, ApprovalRequest, ApprovalSettings, DocumentKind, Principal, SignedApproval, VerifiedQuorum,
};
use custodia_model::{ActorId, Citation, CustomerId};
use serde::{Deserialize, Serialize};

use crate::decision::{RetentionDecision, RetentionOutcome, RuleEffect};
use crate::error::RetentionError;
use crate::facts::{Holding, RecordKind};
use crate::hold::{HoldId, Holds};
use crate::rule::RuleId;

/// The number of distinct people who must approve a destruction before it runs (internal supervision).
pub const REQUIRED_APPROVALS: usize = 2;

custodia_model::typed_id!(
    /// A destruction plan's id, chosen by the caller with [`PlanId::from_uuid`] (this crate reads no clock and
    /// draws no randomness; a caller may use `PlanId::new_v7`).
    PlanId,
    "plan_id"
);

/// A rule and its citation, as certificates and plans record them. The citation is shared with the rule
/// (a sweep of a million customers names the same few citations millions of times).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuleCitation {
    rule: RuleId,
    #[serde(with = "shared_citation")]
    citation: Arc<Citation>,
}

/// Serde for `Arc<Citation>` as a plain citation (serde's `rc` feature is not enabled in the workspace).
mod shared_citation {
    use std::sync::Arc;

    use custodia_model::Citation;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &Arc<Citation>, serializer: S) -> Result<S::Ok, S::Error> {
        value.as_ref().serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<Citation>, D::Error> {
        Citation::deserialize(deserializer).map(Arc::new)
    }
}

impl RuleCitation {
    /// The rule id.
    pub fn rule(&self) -> &RuleId {
        &self.rule
    }

    /// Its citation.
    pub fn citation(&self) -> &Citation {
        &self.citation
    }
}

/// One holding to destroy, with the day destruction became due and the rules that make it due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedHolding {
    holding: Holding,
    due_since: NaiveDate,
    rules: Vec<RuleCitation>,
}

impl PlannedHolding {
    /// The holding.
    pub fn holding(&self) -> Holding {
        self.holding
    }

    /// The first day destruction was due.
    pub fn due_since(&self) -> NaiveDate {
        self.due_since
    }

    /// The duties due and the expired floors behind the destruction.
    pub fn rules(&self) -> &[RuleCitation] {
        &self.rules
    }
}

/// One customer's part of a plan: the destroyable holdings, and whether they are all the customer's
/// holdings (then the whole customer can be crypto-shredded by destroying their data key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanItem {
    customer: CustomerId,
    holdings: Vec<PlannedHolding>,
    whole_customer: bool,
}

impl PlanItem {
    /// The destroyable part of one customer's decisions; `None` if nothing is destroyable.
    pub fn from_decisions(customer: CustomerId, decisions: &[RetentionDecision]) -> Option<Self> {
        let holdings: Vec<PlannedHolding> = decisions
            .iter()
            .filter_map(|d| match d.outcome() {
                RetentionOutcome::Destroy { due_since } => Some(PlannedHolding {
                    holding: d.holding(),
                    due_since,
                    rules: d
                        .reasons()
                        .iter()
                        .filter(|r| {
                            matches!(
                                r.effect(),
                                RuleEffect::DutyDue { .. } | RuleEffect::FloorExpired { .. }
                            )
                        })
                        .map(|r| RuleCitation {
                            rule: r.rule_id().clone(),
                            citation: r.rule().shared_citation(),
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect();
        if holdings.is_empty() {
            return None;
        }
        let whole_customer = holdings.len() == decisions.len();
        Some(Self {
            customer,
            holdings,
            whole_customer,
        })
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The holdings to destroy.
    pub fn holdings(&self) -> &[PlannedHolding] {
        &self.holdings
    }

    /// Whether these are all of the customer's holdings.
    pub fn whole_customer(&self) -> bool {
        self.whole_customer
    }
}

/// The kind a destruction plan's approvals name ([`DocumentKind`]): an approval of another kind of document
/// never counts for a plan.
pub const PLAN_DOCUMENT_KIND: &str = "destruction-plan";

/// The first bytes of the digest input of a plan ([`DestructionPlan::digest`]): they bind the digest to
/// this format, so no other document's bytes hash to a plan's digest.
pub const PLAN_DIGEST_DOMAIN: &str = "custodia-retention destruction plan v1\n";

/// What a plan's digest covers: everything but its approvals (which sign the digest).
#[derive(Serialize)]
struct PlanBody<'a> {
    id: &'a PlanId,
    proposed_by: &'a ActorId,
    proposed_on: NaiveDate,
    items: &'a [PlanItem],
}

/// A proposed destruction, waiting for approvals. It cannot run until [`DestructionPlan::into_approved`]
/// verifies the Ed25519 signatures of two distinct principals holding the approver role over the plan's
/// digest, neither of them its proposer nor the operator who will run it (custodia-access's
/// [`VerifiedQuorum`]; internal supervision, PIPL Art 51(4), the brokerage practice §15). A plan read back
/// from JSON is checked like a new one (items present and unique, every approval of this very plan, no
/// person approving twice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PlanRecord")]
pub struct DestructionPlan {
    id: PlanId,
    proposed_by: ActorId,
    proposed_on: NaiveDate,
    items: Vec<PlanItem>,
    approvals: Vec<SignedApproval>,
}

/// The serialized form of a plan, checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanRecord {
    id: PlanId,
    proposed_by: ActorId,
    proposed_on: NaiveDate,
    items: Vec<PlanItem>,
    approvals: Vec<SignedApproval>,
}

impl TryFrom<PlanRecord> for DestructionPlan {
    type Error = RetentionError;

    fn try_from(record: PlanRecord) -> Result<Self, Self::Error> {
        let mut plan = DestructionPlan::new(record.id, record.proposed_by, record.proposed_on, record.items)?;
        for a in record.approvals {
            plan.approve(a)?;
        }
        Ok(plan)
    }
}

impl DestructionPlan {
    /// A plan of `items`, proposed by `proposed_by` on `proposed_on`. Refused if empty or if a customer's
    /// holding appears twice.
    pub fn new(
        id: PlanId,
        proposed_by: ActorId,
        proposed_on: NaiveDate,
        items: Vec<PlanItem>,
    ) -> Result<Self, RetentionError> {
        if items.is_empty() {
            return Err(RetentionError::EmptyPlan { plan: id.to_string() });
        }
        let mut seen = std::collections::HashSet::new();
        for item in &items {
            for h in &item.holdings {
                if !seen.insert((item.customer, h.holding)) {
                    return Err(RetentionError::DuplicatePlanItem {
                        plan: id.to_string(),
                        customer: item.customer.to_string(),
                        holding: h.holding.to_string(),
                    });
                }
            }
        }
        Ok(Self {
            id,
            proposed_by,
            proposed_on,
            items,
            approvals: Vec::new(),
        })
    }

    /// The id.
    pub fn id(&self) -> PlanId {
        self.id
    }

    /// Who proposed it.
    pub fn proposed_by(&self) -> &ActorId {
        &self.proposed_by
    }

    /// When it was proposed.
    pub fn proposed_on(&self) -> NaiveDate {
        self.proposed_on
    }

    /// What it destroys.
    pub fn items(&self) -> &[PlanItem] {
        &self.items
    }

    /// The signed approvals so far (not yet verified against their approvers' records).
    pub fn approvals(&self) -> &[SignedApproval] {
        &self.approvals
    }

    /// SHA-256 of [`PLAN_DIGEST_DOMAIN`] followed by the compact JSON of the plan without its approvals
    /// (`id`, `proposed_by`, `proposed_on`, `items`, in that order): what its approvers sign. Any change to
    /// an item, a holding, a rule, the proposer or the day gives another digest.
    pub fn digest(&self) -> Result<[u8; 32], RetentionError> {
        let body = PlanBody {
            id: &self.id,
            proposed_by: &self.proposed_by,
            proposed_on: self.proposed_on,
            items: &self.items,
        };
        let json = serde_json::to_vec(&body).map_err(|e| RetentionError::CertificateEncoding {
            plan: self.id.to_string(),
            message: e.to_string(),
        })?;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(PLAN_DIGEST_DOMAIN.as_bytes());
        context.update(&json);
        let mut out = [0u8; 32];
        out.copy_from_slice(context.finish().as_ref());
        Ok(out)
    }

    /// The approval request an approver signs ([`ApprovalRequest::sign`]): a document of kind
    /// [`PLAN_DOCUMENT_KIND`], the plan's id (also the request's id), its proposer as the requester (so the
    /// proposer can never approve it) and its [`digest`](Self::digest).
    pub fn approval_request(&self) -> Result<ApprovalRequest, RetentionError> {
        let kind =
            DocumentKind::new(PLAN_DOCUMENT_KIND).map_err(|e| RetentionError::CertificateEncoding {
                plan: self.id.to_string(),
                message: e.to_string(),
            })?;
        let id =
            ApprovalId::from_uuid(*self.id.as_uuid()).map_err(|e| RetentionError::CertificateEncoding {
                plan: self.id.to_string(),
                message: e.to_string(),
            })?;
        Ok(ApprovalRequest::document(
            id,
            self.proposed_by.clone(),
            kind,
            *self.id.as_uuid(),
            self.digest()?,
        ))
    }

    /// Adds a signed approval. Refused if it approves another request (another plan, or this plan's id
    /// with other contents) or if its approver has already approved: two approvals must be two people.
    /// Signatures and roles are checked by [`into_approved`](Self::into_approved), against the approvers'
    /// records as they are then.
    pub fn approve(&mut self, approval: SignedApproval) -> Result<(), RetentionError> {
        if approval.request() != &self.approval_request()? {
            return Err(RetentionError::ApprovalRefused {
                plan: self.id.to_string(),
                source: custodia_access::AccessError::ApprovalRefused {
                    approver: approval.approver().clone(),
                    problem: "approves another request",
                },
            });
        }
        if self.approvals.iter().any(|a| a.approver() == approval.approver()) {
            return Err(RetentionError::DuplicateApproval {
                plan: self.id.to_string(),
                approver: approval.approver().to_string(),
            });
        }
        self.approvals.push(approval);
        Ok(())
    }

    /// The plan, ready for `operator` to run: custodia-access's [`VerifiedQuorum`] checks every approval
    /// against its approver's record from `directory` (the signature with the public key only, the approver
    /// role of `settings`), that the approvers are distinct, neither the operator nor the proposer, and at
    /// least [`REQUIRED_APPROVALS`] (or the settings' number, if higher).
    pub fn into_approved(
        self,
        operator: &ActorId,
        directory: &dyn Fn(&ActorId) -> Option<Principal>,
        settings: &ApprovalSettings,
    ) -> Result<ApprovedPlan, RetentionError> {
        let settings = ApprovalSettings {
            document_approvers: settings.document_approvers.max(REQUIRED_APPROVALS),
            ..settings.clone()
        };
        let request = self.approval_request()?;
        let quorum = VerifiedQuorum::verify(&request, &self.approvals, operator, directory, &settings)
            .map_err(|source| RetentionError::ApprovalRefused {
                plan: self.id.to_string(),
                source,
            })?;
        Ok(ApprovedPlan {
            plan: self,
            operator: operator.clone(),
            quorum,
        })
    }
}

/// A plan whose approvals were verified for one operator: the only thing [`execute`] accepts. It has no
/// `Deserialize`: a stored plan is verified again before it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedPlan {
    plan: DestructionPlan,
    operator: ActorId,
    quorum: VerifiedQuorum,
}

impl ApprovedPlan {
    /// The plan.
    pub fn plan(&self) -> &DestructionPlan {
        &self.plan
    }

    /// The operator the approvals were checked against.
    pub fn operator(&self) -> &ActorId {
        &self.operator
    }

    /// The verified approvals.
    pub fn quorum(&self) -> &VerifiedQuorum {
        &self.quorum
    }
}

/// How a shredder destroys data; recorded in the certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DestructionMethod {
    /// The customer's data keys were destroyed, so every sealed section is unreadable (design: crypto-shredding).
    CryptoShredding,
    /// The encrypted sections of the holdings were deleted from storage.
    SectionDeletion,
    /// Another method, described.
    Other(String),
}

/// One shredding request: a customer's holdings, and whether they are all of the customer's holdings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShredRequest<'a> {
    /// The customer.
    pub customer: CustomerId,
    /// The holdings to destroy.
    pub holdings: &'a [Holding],
    /// Whether these are all of the customer's holdings, so a whole-customer key may be destroyed.
    pub whole_customer: bool,
    /// When the destruction is executed.
    pub at: DateTime<Utc>,
}

/// What a shredder did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Shredded {
    /// Destroyed now.
    Destroyed,
    /// Already destroyed before (a re-run); not an error, so re-running a plan is safe.
    AlreadyDestroyed,
}

/// Executes destruction. Implemented by the storage side: an adapter over `custodia_crypto::KeyStore`
/// ([`KeyStoreShredder`]) for whole customers, one over `custodia_crypto::SectionVault`
/// ([`SectionShredder`]) for single categories.
///
/// Contract: destroying something already destroyed returns `Ok(Shredded::AlreadyDestroyed)`, never an
/// error, so that a plan can be re-run after a partial failure.
pub trait Shredder {
    /// The failure type; its message goes into the execution report.
    type Error: fmt::Display;

    /// The method, for the certificate.
    fn method(&self) -> DestructionMethod;

    /// Destroys the request's holdings.
    fn shred(&mut self, request: &ShredRequest<'_>) -> Result<Shredded, Self::Error>;
}

/// Crypto-shredding through a `custodia_crypto::KeyStore`: destroys all of a customer's data keys and
/// blind-index entries. It can only erase whole customers (one data key per customer, design brief), so a
/// request for some categories of a customer fails and is reported; those need section deletion.
pub struct KeyStoreShredder<'a, K: custodia_crypto::KeyStore + ?Sized> {
    store: &'a K,
}

impl<'a, K: custodia_crypto::KeyStore + ?Sized> KeyStoreShredder<'a, K> {
    /// Shreds through `store`.
    pub fn new(store: &'a K) -> Self {
        Self { store }
    }
}

/// Why the key store could not shred.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreShredError {
    /// Only some of the customer's holdings are due; a customer key cannot erase part of a customer.
    #[error("only some holdings are destroyable; crypto-shredding erases whole customers")]
    PartialCustomer,
    /// The key store failed. The message carries the whole chain of causes (the backend's error
    /// included), because an execution report keeps only the message.
    #[error("key store: {}", with_causes(.0))]
    Store(custodia_crypto::CryptoError),
}

/// An error's message followed by each of its causes', `: `-separated: what an execution report keeps
/// of a shredder's failure, since it stores messages, not error values.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        out.push_str(": ");
        out.push_str(&next.to_string());
        cause = next.source();
    }
    out
}

impl<K: custodia_crypto::KeyStore + ?Sized> Shredder for KeyStoreShredder<'_, K> {
    type Error = KeyStoreShredError;

    fn method(&self) -> DestructionMethod {
        DestructionMethod::CryptoShredding
    }

    fn shred(&mut self, request: &ShredRequest<'_>) -> Result<Shredded, Self::Error> {
        if !request.whole_customer {
            return Err(KeyStoreShredError::PartialCustomer);
        }
        if self
            .store
            .destroyed_at(request.customer)
            .map_err(KeyStoreShredError::Store)?
            .is_some()
        {
            return Ok(Shredded::AlreadyDestroyed);
        }
        match self.store.destroy_customer(request.customer, request.at) {
            Ok(_evidence) => Ok(Shredded::Destroyed),
            // Another worker destroyed it between the check and the call: the end state is the same.
            Err(custodia_crypto::CryptoError::KeyDestroyed { .. }) => Ok(Shredded::AlreadyDestroyed),
            Err(e) => Err(KeyStoreShredError::Store(e)),
        }
    }
}

/// Section deletion through a `custodia_crypto::SectionVault`: deletes every version of a customer's due
/// categories and leaves their tombstones, keeping the customer's other categories. This is how a customer
/// the seller must partly keep (Broker Rule 2018 Art 51, AML Law 2024 Art 34) loses exactly the
/// categories due (PIPL Art 47). Record holdings are refused: they are not sections and live elsewhere.
///
/// The vault's write-ahead copies leave the files at the vault's next
/// [`custodia_crypto::SectionVault::flush_erasures`], which the caller runs once after the plan.
pub struct SectionShredder<'a, V: custodia_crypto::SectionVault + ?Sized> {
    vault: &'a V,
}

impl<'a, V: custodia_crypto::SectionVault + ?Sized> SectionShredder<'a, V> {
    /// Shreds through `vault`.
    pub fn new(vault: &'a V) -> Self {
        Self { vault }
    }
}

impl<V: custodia_crypto::SectionVault + ?Sized> fmt::Debug for SectionShredder<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SectionShredder")
    }
}

/// Why the section vault could not shred.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SectionShredError {
    /// A record holding was asked of the section vault, which holds only category sections.
    #[error("invalid disposition.holding: record {} is not a section", .record.code())]
    NotASection {
        /// The record kind asked for.
        record: RecordKind,
    },
    /// The section vault failed. The message carries the whole chain of causes, as for
    /// [`KeyStoreShredError::Store`].
    #[error("section vault: {}", with_causes(.0))]
    Vault(custodia_crypto::CryptoError),
}

impl<V: custodia_crypto::SectionVault + ?Sized> Shredder for SectionShredder<'_, V> {
    type Error = SectionShredError;

    fn method(&self) -> DestructionMethod {
        DestructionMethod::SectionDeletion
    }

    fn shred(&mut self, request: &ShredRequest<'_>) -> Result<Shredded, Self::Error> {
        let mut categories = Vec::with_capacity(request.holdings.len());
        for h in request.holdings {
            match h {
                Holding::Category(c) => categories.push(*c),
                Holding::Record(record) => return Err(SectionShredError::NotASection { record: *record }),
            }
        }
        let removed = self
            .vault
            .purge_categories(request.customer, &categories, request.at)
            .map_err(SectionShredError::Vault)?;
        // Nothing left to delete is a re-run: the end state is the one asked for.
        Ok(if removed > 0 {
            Shredded::Destroyed
        } else {
            Shredded::AlreadyDestroyed
        })
    }
}

/// Where destruction certificates are recorded. `custodia_ledger::Log` implements it; a certificate is
/// one opaque payload (JSON, no personal information).
pub trait CertificateLog {
    /// The failure type.
    type Error: fmt::Display;

    /// Appends one payload and returns its index in the log.
    fn append_certificate(&mut self, payload: &[u8]) -> Result<u64, Self::Error>;
}

impl<S: custodia_ledger::LogStore> CertificateLog for custodia_ledger::Log<S> {
    type Error = custodia_ledger::LedgerError;

    fn append_certificate(&mut self, payload: &[u8]) -> Result<u64, Self::Error> {
        Ok(self.append(&[payload])?.first_index())
    }
}

/// One customer's line in a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateEntry {
    customer: CustomerId,
    holdings: Vec<Holding>,
    rules: Vec<RuleId>,
    already_destroyed: bool,
}

impl CertificateEntry {
    /// The customer (a pseudonymous id).
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The holdings destroyed.
    pub fn holdings(&self) -> &[Holding] {
        &self.holdings
    }

    /// The ids of the rules behind the destruction, without repeats; their citations are in the
    /// certificate's [`DestructionCertificate::rules`].
    pub fn rules(&self) -> &[RuleId] {
        &self.rules
    }

    /// Whether the shredder found them already destroyed (a re-run after a partial failure).
    pub fn already_destroyed(&self) -> bool {
        self.already_destroyed
    }
}

/// The record of one execution of a plan (or of one part of it, see [`Execution::certificate_batch`]):
/// which customers and holdings, by which method, when, by whom, approved by whom, under which rules.
/// Ids and citations only: no personal information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DestructionCertificate {
    plan: PlanId,
    part: u32,
    method: DestructionMethod,
    executed_at: DateTime<Utc>,
    operator: ActorId,
    approvers: Vec<ActorId>,
    /// The signed approvals the execution verified, so that anyone holding the approvers' public keys can
    /// check them again (`spec/ledger-payloads.md`). Absent from certificates written before signed
    /// approvals (and from the spec vector of that format).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    approvals: Vec<SignedApproval>,
    rules: Vec<RuleCitation>,
    entries: Vec<CertificateEntry>,
}

impl DestructionCertificate {
    /// The plan executed.
    pub fn plan(&self) -> PlanId {
        self.plan
    }

    /// Which part of this execution's certificates this is, from 1.
    pub fn part(&self) -> u32 {
        self.part
    }

    /// Every rule the entries name, with its citation.
    pub fn rules(&self) -> &[RuleCitation] {
        &self.rules
    }

    /// The method.
    pub fn method(&self) -> &DestructionMethod {
        &self.method
    }

    /// When.
    pub fn executed_at(&self) -> DateTime<Utc> {
        self.executed_at
    }

    /// Who ran it.
    pub fn operator(&self) -> &ActorId {
        &self.operator
    }

    /// Who approved it.
    pub fn approvers(&self) -> &[ActorId] {
        &self.approvers
    }

    /// The signed approvals verified at execution (Ed25519 over the plan's digest).
    pub fn approvals(&self) -> &[SignedApproval] {
        &self.approvals
    }

    /// What was destroyed.
    pub fn entries(&self) -> &[CertificateEntry] {
        &self.entries
    }

    /// The bytes appended to the ledger: canonical JSON of this certificate.
    pub fn to_payload(&self) -> Result<Vec<u8>, RetentionError> {
        serde_json::to_vec(self).map_err(|e| RetentionError::CertificateEncoding {
            plan: self.plan.to_string(),
            message: e.to_string(),
        })
    }

    /// Reads a certificate back from a ledger payload.
    pub fn from_payload(payload: &[u8]) -> Result<Self, RetentionError> {
        serde_json::from_slice(payload).map_err(|e| RetentionError::CertificateEncoding {
            plan: "-".to_owned(),
            message: e.to_string(),
        })
    }
}

/// What happened to one customer's part of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemStatus {
    /// Every planned holding was destroyed now.
    Destroyed,
    /// The shredder found them already destroyed.
    AlreadyDestroyed,
    /// Some or all holdings are under an active legal hold and were not touched; the rest (if any) were
    /// shredded, with the result in `rest`.
    Held {
        /// The holds.
        holds: Vec<HoldId>,
        /// The holdings kept because of them.
        kept: Vec<Holding>,
        /// What happened to the other holdings, if there were any.
        rest: Option<Shredded>,
    },
    /// The shredder failed; nothing is certified for this customer. Re-run the plan.
    Failed {
        /// The shredder's message.
        message: String,
    },
}

/// One customer's line in an execution report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ItemReport {
    customer: CustomerId,
    status: ItemStatus,
}

impl ItemReport {
    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// What happened.
    pub fn status(&self) -> &ItemStatus {
        &self.status
    }
}

/// The result of one execution: a line per customer of the plan (none is dropped), and the certificates
/// with their ledger indices if anything was destroyed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use = "failed and held items need attention"]
#[non_exhaustive]
pub struct ExecutionReport {
    plan: PlanId,
    items: Vec<ItemReport>,
    certificates: Vec<(u64, DestructionCertificate)>,
}

impl ExecutionReport {
    /// The plan.
    pub fn plan(&self) -> PlanId {
        self.plan
    }

    /// One line per customer, in plan order.
    pub fn items(&self) -> &[ItemReport] {
        &self.items
    }

    /// The lines that failed.
    pub fn failures(&self) -> impl Iterator<Item = &ItemReport> {
        self.items
            .iter()
            .filter(|i| matches!(i.status, ItemStatus::Failed { .. }))
    }

    /// The certificates with their indices in the ledger, in order; none if nothing was destroyed.
    pub fn certificates(&self) -> &[(u64, DestructionCertificate)] {
        &self.certificates
    }
}

/// Who runs a plan, when, and against which holds.
#[derive(Clone, Copy, Debug)]
pub struct Execution<'a> {
    /// The person running it.
    pub operator: &'a ActorId,
    /// The time of execution; holds are checked on its date.
    pub at: DateTime<Utc>,
    /// The hold register, checked again at execution: a hold placed after approval still wins.
    pub holds: &'a Holds,
    /// At most this many customers per certificate, so that one ledger entry (and the inclusion proof a
    /// regulator is shown for one customer) stays small.
    pub certificate_batch: NonZeroUsize,
}

impl<'a> Execution<'a> {
    /// The default batch of certificates: 1000 customers.
    pub const DEFAULT_BATCH: NonZeroUsize = match NonZeroUsize::new(1000) {
        Some(n) => n,
        None => NonZeroUsize::MIN,
    };

    /// An execution by `operator` at `at` against `holds`, with the default certificate batch.
    pub fn new(operator: &'a ActorId, at: DateTime<Utc>, holds: &'a Holds) -> Self {
        Self {
            operator,
            at,
            holds,
            certificate_batch: Self::DEFAULT_BATCH,
        }
    }
}

/// Runs an approved plan: re-checks holds, shreds each customer's holdings, reports every customer, and
/// appends one certificate of everything destroyed (or found destroyed) to `log`.
///
/// Re-running the same plan is safe: destroyed items come back `AlreadyDestroyed` and are certified again,
/// so a run whose certificate failed to record is completed by the next run.
pub fn execute<S, L>(
    plan: &ApprovedPlan,
    run: Execution<'_>,
    shredder: &mut S,
    log: &mut L,
) -> Result<ExecutionReport, RetentionError>
where
    S: Shredder + ?Sized,
    L: CertificateLog + ?Sized,
{
    if run.operator != &plan.operator {
        return Err(RetentionError::OperatorMismatch {
            plan: plan.plan.id.to_string(),
        });
    }
    let signed: Vec<SignedApproval> = plan
        .quorum
        .approvals()
        .iter()
        .map(|a| a.signed().clone())
        .collect();
    let approvers: Vec<ActorId> = signed.iter().map(|a| a.approver().clone()).collect();
    let plan = &plan.plan;
    let today = run.at.date_naive();
    let mut items = Vec::with_capacity(plan.items.len());
    let mut entries = Vec::new();
    for item in &plan.items {
        let mut hold_ids: Vec<HoldId> = Vec::new();
        let mut kept = Vec::new();
        let mut go = Vec::new();
        let mut rules: Vec<RuleCitation> = Vec::new();
        for planned in &item.holdings {
            let covering: Vec<HoldId> = run
                .holds
                .covering(item.customer, planned.holding, today)
                .map(|h| h.id())
                .collect();
            if covering.is_empty() {
                go.push(planned.holding);
                for r in &planned.rules {
                    if !rules.contains(r) {
                        rules.push(r.clone());
                    }
                }
            } else {
                kept.push(planned.holding);
                for id in covering {
                    if !hold_ids.contains(&id) {
                        hold_ids.push(id);
                    }
                }
            }
        }
        let result = if go.is_empty() {
            None
        } else {
            let request = ShredRequest {
                customer: item.customer,
                holdings: &go,
                whole_customer: item.whole_customer && kept.is_empty(),
                at: run.at,
            };
            Some(shredder.shred(&request))
        };
        let status = match result {
            Some(Err(e)) => ItemStatus::Failed {
                message: e.to_string(),
            },
            Some(Ok(done)) => {
                entries.push((
                    CertificateEntry {
                        customer: item.customer,
                        holdings: go,
                        rules: rules.iter().map(|r| r.rule.clone()).collect(),
                        already_destroyed: done == Shredded::AlreadyDestroyed,
                    },
                    rules,
                ));
                match (kept.is_empty(), done) {
                    (true, Shredded::Destroyed) => ItemStatus::Destroyed,
                    (true, _) => ItemStatus::AlreadyDestroyed,
                    (false, d) => ItemStatus::Held {
                        holds: hold_ids,
                        kept,
                        rest: Some(d),
                    },
                }
            }
            None => ItemStatus::Held {
                holds: hold_ids,
                kept,
                rest: None,
            },
        };
        items.push(ItemReport {
            customer: item.customer,
            status,
        });
    }

    let mut certificates = Vec::new();
    for (part, chunk) in entries.chunks(run.certificate_batch.get()).enumerate() {
        let mut rules: Vec<RuleCitation> = Vec::new();
        for (_, cited) in chunk {
            for r in cited {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
        }
        let certificate = DestructionCertificate {
            plan: plan.id,
            part: u32::try_from(part + 1).unwrap_or(u32::MAX),
            method: shredder.method(),
            executed_at: run.at,
            operator: run.operator.clone(),
            approvers: approvers.clone(),
            approvals: signed.clone(),
            rules,
            entries: chunk.iter().map(|(e, _)| e.clone()).collect(),
        };
        let payload = certificate.to_payload()?;
        let index = log
            .append_certificate(&payload)
            .map_err(|e| RetentionError::CertificateNotRecorded {
                plan: plan.id.to_string(),
                destroyed: entries.len(),
                message: e.to_string(),
            })?;
        certificates.push((index, certificate));
    }
    Ok(ExecutionReport {
        plan: plan.id,
        items,
        certificates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_ids_refuse_nil_and_nothing_destroyable_makes_no_item() {
        assert!(matches!(
            PlanId::from_uuid(uuid::Uuid::nil()),
            Err(custodia_model::ModelError::InvalidId { field: "plan_id", .. })
        ));
        assert!(PlanItem::from_decisions(CustomerId::new_v7(), &[]).is_none());
    }

    #[test]
    fn the_default_batch_is_a_thousand() {
        assert_eq!(Execution::DEFAULT_BATCH.get(), 1000);
    }

    #[test]
    fn the_section_shredder_deletes_exactly_the_due_categories_and_is_idempotent() {
        use custodia_crypto::{InMemoryVault, Keyring, KeyringConfig, SectionVault, seal_section};
        use custodia_model::DataCategory;

        let keyring = Keyring::derive_from_master(&[4u8; 32], 1, KeyringConfig::default()).unwrap();
        let vault = InMemoryVault::new();
        let customer = CustomerId::new_v7();
        let (dek, _) = keyring.generate_dek(customer).unwrap();
        for category in [
            DataCategory::Identity,
            DataCategory::Contact,
            DataCategory::Health,
        ] {
            let sealed = seal_section(&dek, customer, category, 1, b"{}").unwrap();
            vault.put_section(customer, category, 1, &sealed).unwrap();
        }
        let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let due = [
            Holding::Category(DataCategory::Contact),
            Holding::Category(DataCategory::Health),
        ];
        let request = ShredRequest {
            customer,
            holdings: &due,
            whole_customer: false,
            at,
        };
        let mut shredder = SectionShredder::new(&vault);
        assert_eq!(shredder.method(), DestructionMethod::SectionDeletion);
        assert_eq!(shredder.shred(&request), Ok(Shredded::Destroyed));
        assert_eq!(vault.categories(customer).unwrap(), vec![DataCategory::Identity]);
        assert_eq!(
            vault
                .tombstone(customer, DataCategory::Health)
                .unwrap()
                .map(|t| t.erased_at()),
            Some(at)
        );
        // A re-run finds nothing left: already destroyed, not an error.
        assert_eq!(shredder.shred(&request), Ok(Shredded::AlreadyDestroyed));
        let record = [Holding::Record(RecordKind::ProvisionRecord)];
        let refused = shredder
            .shred(&ShredRequest {
                holdings: &record,
                ..request
            })
            .unwrap_err();
        assert!(matches!(refused, SectionShredError::NotASection { .. }));
        assert!(refused.to_string().contains("is not a section"));
    }
}
