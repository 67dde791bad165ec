//! The gated read (issue 17): a principal's read of a customer's sections goes through custodia-access's gate, and its decision — allow or deny — lands on the ledger in the same unit of work as the read; principals and approvals are kept in the records table.
//!
//! | namespace | key | value |
//! |---|---|---|
//! | `access/principal` | the principal's `ActorId` (UTF-8) | the `Principal` record (JSON; public: no secret) |
//! | `access/approval` | approval id | the `SignedApproval` (JSON), verified before it was stored |

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use custodia_access::{
    AccessEntry, AccessFacts, AccessRequest, Action, ApprovalId, Permit, Principal, PurposeBasis,
    SectionFacts, SignedApproval, Ticket,
};
use custodia_consent::{ProposedUse, Subject};
use custodia_crypto::Plaintext;
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
use custodia_retention::{Holding, RetentionOutcome};
use custodia_store::{Namespace, Records};

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;
use crate::records;

pub(crate) const PRINCIPALS: Namespace = Namespace::new("access/principal");

/// How many decoded principals [`PrincipalMemo`] keeps before it starts again (a brokerage's staff and
/// services fit many times over).
const PRINCIPAL_MEMO_LIMIT: usize = 4096;

/// Decoded principal records keyed by id, each with the stored bytes it was decoded from: a gated read
/// compares the bytes it just read and skips decoding (the Ed25519 key's point decompression, the training
/// records' checks) when they are the same. Public records only (no secret: see [`Principal`]).
#[derive(Default)]
pub(crate) struct PrincipalMemo(Mutex<HashMap<ActorId, (Vec<u8>, Principal)>>);
pub(crate) const APPROVALS: Namespace = Namespace::new("access/approval");

/// A principal's request to read sections of one customer: who, whose, which categories, why, for which
/// ticket, and the approval that elevates it, if any. The time is the brokerage's clock.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    /// Who reads (a principal stored with [`Brokerage::put_principal`]).
    pub principal: ActorId,
    /// Whose data.
    pub customer: CustomerId,
    /// Which categories.
    pub categories: CategorySet,
    /// The asserted purpose (PIPL Art 6).
    pub purpose: Purpose,
    /// The ticket, case or incident the read is for.
    pub ticket: Option<Ticket>,
    /// An approval stored with [`Brokerage::store_approval`] that elevates the read.
    pub approval: Option<ApprovalId>,
}

/// What a gated read returns: the permit, the ledger index of its access entry, and the plaintext of each
/// asked category the customer holds. `Debug` shows no plaintext; the plaintext is zeroized when dropped.
pub struct GatedSections {
    /// The gate's permit (its entry is the one on the ledger).
    pub permit: Permit,
    /// The ledger index of the access entry.
    pub entry_index: u64,
    /// Each permitted category the customer holds, as the JSON of that part of the record.
    pub sections: Vec<(DataCategory, Plaintext)>,
}

impl std::fmt::Debug for GatedSections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let categories: Vec<DataCategory> = self.sections.iter().map(|(c, _)| *c).collect();
        f.debug_struct("GatedSections")
            .field("customer", &self.permit.customer())
            .field("principal", self.permit.principal())
            .field("entry_index", &self.entry_index)
            .field("categories", &categories)
            .field("plaintext", &"[REDACTED]")
            .finish()
    }
}

impl Brokerage {
    /// Stores (or replaces) a principal's record, with a ledger step naming only its id.
    pub fn put_principal(&self, principal: &Principal) -> Result<(), BrokerageError> {
        self.write(|log| {
            records::put_json(
                &self.store,
                PRINCIPALS,
                principal.id().as_str().as_bytes(),
                principal,
            )?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "principal_recorded",
                "principal": principal.id(),
                "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }

    /// A stored principal's record. The stored bytes are read every time (another process sharing the
    /// store may have changed them: a training that lapsed must take effect at once, PIPL Art 51(4)); only
    /// decoding them again is saved when they are the bytes decoded last time.
    pub fn principal(&self, id: &ActorId) -> Result<Option<Principal>, BrokerageError> {
        let key = id.as_str().as_bytes();
        let Some(bytes) = self.store.record(PRINCIPALS, key)? else {
            return Ok(None);
        };
        let mut memo = self.principals.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, principal)) = memo.get(id)
            && *seen == bytes
        {
            return Ok(Some(principal.clone()));
        }
        let principal: Principal = records::decode_json(PRINCIPALS, key, &bytes)?;
        if memo.len() >= PRINCIPAL_MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(id.clone(), (bytes, principal.clone()));
        Ok(Some(principal))
    }

    pub(crate) fn known_principal(&self, id: &ActorId) -> Result<Principal, BrokerageError> {
        self.principal(id)?
            .ok_or_else(|| BrokerageError::UnknownPrincipal {
                principal: id.clone(),
            })
    }

    /// The stored records of `approvers`, as they are now: the directory a destruction's signed approvals
    /// are verified against at execution (custodia-retention's `into_approved`). An unknown approver is an
    /// error naming them.
    pub(crate) fn approver_records<'a>(
        &self,
        approvers: impl IntoIterator<Item = &'a ActorId>,
    ) -> Result<std::collections::BTreeMap<ActorId, Principal>, BrokerageError> {
        approvers
            .into_iter()
            .map(|id| Ok((id.clone(), self.known_principal(id)?)))
            .collect()
    }

    /// Verifies `approval` against its approver's stored record (signature with the public key only, approver
    /// role, four eyes) and stores it, with a ledger step naming the approval, requester and approver.
    pub fn store_approval(&self, approval: &SignedApproval) -> Result<(), BrokerageError> {
        let approver = self.known_principal(approval.approver())?;
        approval.verify(&approver, &self.approvals)?;
        let id = approval.request().id();
        self.write(|log| {
            records::put_json(&self.store, APPROVALS, id.as_bytes(), approval)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "approval_recorded",
                "approval": id,
                "requester": approval.request().requester(),
                "approver": approval.approver(),
                "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }

    /// A stored approval.
    pub fn approval(&self, id: ApprovalId) -> Result<Option<SignedApproval>, BrokerageError> {
        records::get_json(&self.store, APPROVALS, id.as_bytes())
    }

    /// **The gated read**: the path from sealed sections to plaintext for a principal. The principal's
    /// stored record, the customer's facts (held categories, a minor under 14 today, retention's storage-only
    /// restriction, the purpose's basis from the consent ledger) and the approval, if named and still valid
    /// against its approver's record, go to the gate; its decision's access entry is appended to the ledger
    /// in the same unit of work as the read. An allow opens the asked categories the customer holds; a deny
    /// is [`BrokerageError::AccessDenied`] naming categories and policies — and its entry is on the ledger
    /// too. The bulk-read monitors observe the entry in the same unit of work and their alerts are stored
    /// ([`Brokerage::alerts`]) and forwarded ([`Brokerage::on_alert`]). [`Brokerage::read_trusted`] stays
    /// as the trusted path of the brokerage's own workflows.
    pub fn read(&self, request: ReadRequest) -> Result<GatedSections, BrokerageError> {
        let principal = self.known_principal(&request.principal)?;
        let verified = match request.approval {
            Some(id) => {
                let signed = self
                    .approval(id)?
                    .ok_or(BrokerageError::UnknownApproval { approval: id })?;
                let approver = self.known_principal(signed.approver())?;
                Some(signed.verify(&approver, &self.approvals)?)
            }
            None => None,
        };
        let at = self.now();
        // The monitor is held across the unit of work, so entries are observed in ledger order.
        let mut monitor = self.monitor_state();
        let mut raised = Vec::new();
        let outcome = self.write(|log| {
            // The facts, the decision, its entry and the plaintext come from one unit of work: an erasure
            // or a correction cannot fall between the decision and the sections it releases.
            let (facts, opened) =
                self.access_facts(request.customer, &request.categories, &request.purpose, at)?;
            let gate_request = AccessRequest {
                principal: &principal,
                action: Action::Read,
                customer: request.customer,
                categories: request.categories,
                purpose: &request.purpose,
                at,
                ticket: request.ticket.as_ref(),
                approval: verified.as_ref(),
            };
            let decision = self.gate.decide(&gate_request, &facts)?;
            let payload = decision.entry().payload()?;
            let entry_index = log.append(&[payload.as_slice()])?.first_index();
            let logged = custodia_access::LoggedAccess::new(entry_index, decision.entry().clone());
            raised = self.observe_access(&mut monitor, log, &logged)?;
            match decision.into_permit() {
                Ok(permit) => {
                    // The sections the facts were built from, opened once: only the permitted ones leave.
                    let permitted = permit.categories();
                    let sections = opened
                        .into_iter()
                        .filter(|(c, _)| permitted.contains(*c))
                        .collect();
                    Ok(Ok(GatedSections {
                        permit,
                        entry_index,
                        sections,
                    }))
                }
                // The deny's entry must commit: the unit of work succeeds and the denial is returned after.
                Err(denied) => Ok(Err(denied)),
            }
        });
        if outcome.is_err() {
            Self::forget_monitor(&mut monitor);
        }
        drop(monitor);
        let outcome = outcome?;
        self.forward_alerts(&raised);
        outcome.map_err(BrokerageError::from)
    }

    /// The access entries on the ledger about `customer`, allow or deny (the rights desk's "who read my data
    /// and why").
    pub fn access_log_of(&self, customer: CustomerId) -> Result<Vec<(u64, AccessEntry)>, BrokerageError> {
        let log = self.log();
        Ok(custodia_access::AccessLog::of_customer(&log, customer)?
            .into_iter()
            .map(|l| (l.index, l.entry))
            .collect())
    }

    /// Enforces the access log's retention today (by the brokerage's clock): every access entry older than
    /// the configured months (`BrokerageConfig::with_access_log`; default 36, never below 6 — Cybersecurity
    /// Law 2016 Art 21(3), the insurance intermediaries' IT rules) is redacted through the ledger's
    /// redactable leaves in one unit of work, with a redaction record each; the tree and its checkpoints
    /// still verify. Returns how many entries it redacted (0 when none had expired). It scans the whole
    /// ledger: a periodic job, not a per-read cost.
    pub fn expire_access_log(&self) -> Result<u64, BrokerageError> {
        let now = self.now();
        let reason = format!(
            "access-log retention: {} months (Cybersecurity Law Art 21(3): at least 6)",
            self.access_log.retention_months
        );
        self.write(|log| {
            let appended =
                custodia_access::AccessLog::redact_expired(log, &self.access_log, now, reason.as_bytes())?;
            Ok(appended.map_or(0, |a| a.size() - a.first_index()))
        })
    }

    /// The destruction certificate at ledger `index` (a disposition's or an erasure's, from
    /// `Disposed::certificates` or `DeletionAnswered::certificates`), with the signed approvals its
    /// execution verified: anyone holding the approvers' public keys can check them again
    /// (`SignedApproval::verify`). An index that holds something else is an error naming it.
    pub fn destruction_certificate(
        &self,
        index: u64,
    ) -> Result<custodia_retention::DestructionCertificate, BrokerageError> {
        let entry = self.log().entry(index)?;
        let payload = entry.payload().ok_or_else(|| BrokerageError::InvalidInput {
            field: "index",
            reason: format!("ledger entry {index} is redacted"),
        })?;
        custodia_retention::DestructionCertificate::from_payload(payload).map_err(|_| {
            BrokerageError::InvalidInput {
                field: "index",
                reason: format!("ledger entry {index} is not a destruction certificate"),
            }
        })
    }

    /// The categories of `customer` that moved in a licence transfer: every category, for a customer this
    /// brokerage imported from a seller's package (the buyer); the categories a seller case of this
    /// brokerage included, once the buyer's receipt is verified (the seller: the data is the buyer's from
    /// then on, and what the seller keeps is kept for its floors). PIPL Arts 22, 23; the practice's §5.3.
    pub(crate) fn moved_categories(
        &self,
        customer: CustomerId,
        entry: &records::CustomerEntry,
    ) -> Result<CategorySet, BrokerageError> {
        if matches!(entry.origin, records::Origin::Imported { .. }) {
            return Ok(DataCategory::ALL.into_iter().collect());
        }
        #[derive(serde::Deserialize)]
        struct State {
            state: crate::error::CaseState,
        }
        let mut moved = CategorySet::EMPTY;
        records::scan_pages(
            &self.store,
            records::CASES,
            custodia_store::KeyRange::all(),
            64,
            &mut |page| {
                for r in page {
                    // Seller cases only: transfer id (16 bytes) ‖ role 0.
                    if r.key.len() != 17 || r.key[16] != 0 {
                        continue;
                    }
                    let row: State = records::decode_json(records::CASES, &r.key, &r.value)?;
                    use crate::error::CaseState as S;
                    if !matches!(
                        row.state,
                        S::ReceiptVerified
                            | S::DispositionPlanned
                            | S::DispositionApproved
                            | S::Disposed
                            | S::Closed
                    ) {
                        continue;
                    }
                    let mut id = [0u8; 16];
                    id.copy_from_slice(&r.key[..16]);
                    let transfer = custodia_model::TransferId::from_bytes(id)
                        .map_err(|e| BrokerageError::corrupt(records::CASES.as_str(), &r.key, e))?;
                    let key = records::case_customer_key(transfer, customer);
                    let decisions: Option<Vec<(DataCategory, custodia_transfer::Eligibility)>> =
                        records::get_json(&self.store, records::FINAL, &key)?;
                    for (category, eligibility) in decisions.unwrap_or_default() {
                        if eligibility.is_include() {
                            moved.insert(category);
                        }
                    }
                }
                Ok(())
            },
        )?;
        Ok(moved)
    }

    /// The facts the gate needs about one customer's asked categories, from the brokerage's stores.
    fn access_facts(
        &self,
        customer: CustomerId,
        categories: &CategorySet,
        purpose: &Purpose,
        at: DateTime<Utc>,
    ) -> Result<(AccessFacts, crate::customers::OpenedSections), BrokerageError> {
        let today = custodia_model::beijing_date(at);
        let (entry, stored, _, opened) = self.customer_facts_and_sections(customer)?;
        let record = stored.customer();
        let view = self.consent_view(&[customer], self.policy.clone(), None)?;
        let retention = stored.retention(view.withdrawals(customer), &self.policy, today)?;
        let holds = self.holds()?;
        let decisions = self.profile.decide(&retention, &holds, today)?;
        let moved = self.moved_categories(customer, &entry)?;
        let subject = match record.party().as_person() {
            Some(person) => Subject::born(customer, person.birth_date()),
            None => Subject::new(customer),
        };
        let mut facts = AccessFacts::new();
        if record.is_minor_at(today) {
            facts = facts.minor();
        }
        for category in categories.iter() {
            let use_ = ProposedUse::domestic(purpose.clone(), category);
            let basis = if view.index.permits(&subject, &use_, at, at).is_permitted() {
                PurposeBasis::Permitted
            } else {
                PurposeBasis::NotPermitted
            };
            let mut section = SectionFacts::new(category, basis);
            // The book's sensitivity settings (custodia-model's `SensitivityPolicy`: claims by line of
            // business, a child beneficiary, overrides) can only add to the category's own (PIPL Art 28).
            if self.sensitivity.is_sensitive(record, category, today) {
                section = section.sensitive();
            }
            // Anything but unrestricted retention — storage only, due for destruction, due for hand-over —
            // allows no processing but storage and security (PIPL Art 47(2), NDSR Art 24): the cautious
            // reading of a section that should already be gone.
            let restricted = decisions.iter().any(|d| {
                d.holding() == Holding::Category(category)
                    && !matches!(d.outcome(), RetentionOutcome::Retain { .. })
            });
            if restricted {
                section = section.storage_only();
            }
            if holds
                .covering(customer, Holding::Category(category), today)
                .next()
                .is_some()
            {
                section = section.under_legal_hold();
            }
            if moved.contains(category) {
                section = section.transferred();
            }
            facts = facts.section(section);
        }
        Ok((facts, opened))
    }
}
