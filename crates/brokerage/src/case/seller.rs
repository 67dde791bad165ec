//! The seller's transfer case: notices published and served in batches, responses as they arrive, a read-only preview any day, execution on or after the execution date, the reproducible package, the buyer's receipt, the approved disposition and the report.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use custodia_access::{ApprovalRequest, SignedApproval};
use custodia_consent::{Channel, ConsentEvent, NoticeId, NoticeRef, Recipient};
use custodia_crypto::{KeyStore, PackageRandomness, SectionVault};
use custodia_ledger::MerkleHash;
use custodia_model::{ActorId, CustomerId, DataCategory, Purpose, TransferId};
use custodia_retention::{
    DestructionPlan, Execution, ExecutionReport, KeyStoreShredder, RetentionError, SectionShredder,
};
use custodia_store::{KeyRange, Records};
use custodia_transfer::notice::{
    Addressee, Language, NoticeDelivery, NoticePublication, Reader, RetentionStatement, notice_served,
    transfer_notice,
};
use custodia_transfer::package::{DEFAULT_MAX_ENTRY_LEN, Header, PackageWriter, TravellingSection};
use custodia_transfer::{
    AgreementSection, Check, CustomerProof, DispositionCounts, DispositionPlanner, Eligibility,
    PackageSection, PackageSummary, PlanSummary, ProofTree, SignedAgreement, SignedReceipt, TransferReport,
    WriterSettings,
};
use serde::{Deserialize, Serialize};

use super::{CaseRow, Loaded, out_of_order, stored_agreement};
use crate::brokerage::{Brokerage, Ledger};
use crate::consent::Recorded;
use crate::error::{BrokerageError, CaseRole, CaseState};
use crate::planning::{CustomerDecisions, PlanMode};
use crate::records::{self, CUSTOMERS, DISPOSITION, EXPORTS, FINAL, SERVED};

const ROLE: CaseRole = CaseRole::Seller;

/// The stored row of a seller's case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SellerRow {
    pub(crate) state: CaseState,
    pub(crate) agreement: String,
    pub(crate) opened_at: DateTime<Utc>,
    /// The ledger's size when the case opened: the evidence folder's checkpoints start there.
    pub(crate) opened_size: u64,
    pub(crate) notices: Option<PublishedNotices>,
    pub(crate) served: u64,
    /// The last customer `Reached::Next` considered, in hex.
    pub(crate) serve_cursor: Option<String>,
    pub(crate) responses: u64,
    pub(crate) executed: Option<Executed>,
    pub(crate) package: Option<PackageWritten>,
    pub(crate) receipt: Option<ReceiptRow>,
    pub(crate) disposition: Option<DispositionRow>,
    pub(crate) report: Option<TransferReport>,
}

impl CaseRow for SellerRow {
    fn state(&self) -> CaseState {
        self.state
    }
}

/// The two transfer notices of a case (PIPL Arts 17, 22/23), as published on the seller's ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PublishedNotices {
    /// The Simplified Chinese notice.
    pub zh: NoticeRef,
    /// The English notice.
    pub en: NoticeRef,
    /// When they were published.
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Executed {
    at: DateTime<Utc>,
    summary: PlanSummary,
}

/// What the package step wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PackageWritten {
    /// Where the package file is.
    pub path: PathBuf,
    /// When it was made (the execution's time: a re-run writes the same bytes).
    pub created_at: DateTime<Utc>,
    /// Customers in it.
    pub customers: u64,
    /// Sections in it.
    pub sections: u64,
    /// Bytes of sealed sections.
    pub section_bytes: u64,
    /// Bytes of the package.
    pub package_bytes: u64,
    /// The manifest root the seller signed.
    pub root: MerkleHash,
    header: String,
    /// SHA-256 of the sealed entry records (hex), which the signature covers.
    entries_digest: String,
    signature: String,
}

impl PackageWritten {
    fn summary(&self) -> Result<PackageSummary, BrokerageError> {
        let header = hex::decode(&self.header)
            .map_err(|e| BrokerageError::corrupt(records::CASES.as_str(), b"package header", e))?;
        let signature: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                BrokerageError::corrupt(records::CASES.as_str(), b"package signature", "not 64 bytes")
            })?;
        let entries_digest: [u8; 32] = hex::decode(&self.entries_digest)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                BrokerageError::corrupt(records::CASES.as_str(), b"package entries digest", "not 32 bytes")
            })?;
        Ok(PackageSummary {
            header: Header::decode(&header)?,
            entries_digest,
            customers: self.customers,
            sections: self.sections,
            section_bytes: self.section_bytes,
            package_bytes: self.package_bytes,
            root: self.root,
            signature,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ReceiptRow {
    pub(crate) at: DateTime<Utc>,
    pub(crate) bytes: String,
    pub(crate) entry: u64,
    customers: u64,
    rekeyed: bool,
    received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct DispositionRow {
    proposed_by: ActorId,
    on: NaiveDate,
    counts: DispositionCounts,
    parts: u32,
    approvals: Vec<(ActorId, DateTime<Utc>)>,
    executed: Option<Disposed>,
}

/// What the disposition did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Disposed {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Who ran it.
    pub operator: ActorId,
    /// Customers whose keys were destroyed (crypto-shredded whole).
    pub whole_customers: u64,
    /// Customers some of whose categories were deleted from the vault.
    pub partial_customers: u64,
    /// Customers whose holdings a legal hold kept, in part or whole.
    pub held: u64,
    /// Customers whose destruction failed (named in the ledger's certificates' absence; re-run to retry).
    pub failed: u64,
    /// The ledger indices of the destruction certificates.
    pub certificates: Vec<u64>,
}

/// Who a round of notices reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reached<'a> {
    /// The next `n` customers not yet served, in id order (a notice campaign that works through the book
    /// in batches).
    Next(NonZeroUsize),
    /// Every customer not yet served.
    Everyone,
    /// These customers, as they are reached (a branch's visits, a call centre's list).
    Customers(&'a [CustomerId]),
}

/// One round of notices: who is reached, through which channel, and who records it.
#[derive(Clone, Debug)]
pub struct NoticeRound<'a> {
    /// Who.
    pub reached: Reached<'a>,
    /// How the notice reaches them.
    pub channel: Channel,
    /// Who serves them (a member of staff, or the system account that sends them).
    pub by: ActorId,
}

impl<'a> NoticeRound<'a> {
    /// Every customer not yet served, by SMS, recorded by `by`.
    pub fn everyone(by: ActorId) -> Self {
        Self {
            reached: Reached::Everyone,
            channel: Channel::Sms,
            by,
        }
    }
}

/// What a round of notices did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Served {
    /// Notices served in this round.
    pub served: u64,
    /// Customers reached who were already served: no second notice.
    pub already_served: u64,
    /// Customers reached whom the agreement does not address (outside the selection, or holding nothing
    /// in scope), or erased.
    pub not_addressed: u64,
    /// Notices served in the case so far.
    pub total: u64,
}

/// What execution does with decisions still pending on the execution date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhilePending {
    /// The cautious default: what is still pending stays with the seller, excluded with the reason it was
    /// pending (`notice_not_served_by_execution`, `window_open_at_execution`, `no_consent_by_execution`;
    /// PIPL Arts 22, 23): nothing moves without its basis.
    #[default]
    Exclude,
    /// Refuse to execute while anything is pending ([`BrokerageError::StillPending`]): for agreements
    /// whose parties agreed to wait.
    Wait,
}

/// What verifying the buyer's receipt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VerifiedReceipt {
    /// Customers the buyer imported.
    pub customers: u64,
    /// Whether the buyer re-keyed them.
    pub rekeyed: bool,
    /// When the buyer finished the import.
    pub received_at: DateTime<Utc>,
    /// The receipt's index on the seller's ledger (NDSR Art 12: kept at least three years).
    pub entry: u64,
}

/// A customer's transfer notice as served (PIPL Arts 17, 22, 23): the notice-served event (the customer's
/// categories in scope, the buyer as recipient, when) and the published notice it refers to (the parties,
/// the purposes, the retention, the rights), as the seller's ledger holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServedNotice {
    /// The ledger index of the notice-served event.
    pub entry: u64,
    /// The notice-served event.
    pub event: ConsentEvent,
    /// The published notice version it names.
    pub notice: custodia_consent::Notice,
}

/// The seller's side of one licence transfer: a durable case in the store, advanced by one call per step
/// at its real time (the brokerage's clock).
///
/// | step | runs in | moves to | called again |
/// |---|---|---|---|
/// | [`publish_notices`](Self::publish_notices) | opened | notifying | returns the published notices |
/// | [`serve_notices`](Self::serve_notices) | notifying | notifying | customers already served are skipped |
/// | [`record_responses`](Self::record_responses) | any but opened | (same) | events already recorded are skipped |
/// | [`preview_plan`](Self::preview_plan) | any | (same, read-only) | — |
/// | [`execute`](Self::execute) | notifying, on or after [`execution_date`](Self::execution_date) | executed | returns the final plan |
/// | [`write_package`](Self::write_package) | executed | packaged | returns what was written |
/// | [`verify_receipt`](Self::verify_receipt) | packaged | receipt verified | the same receipt: returns it; another: refused |
/// | [`plan_disposition`](Self::plan_disposition) | receipt verified | disposition planned (approved at once when it destroys nothing: no plan to sign) | returns the counts |
/// | [`approve_disposition`](Self::approve_disposition) | disposition planned | approved at the second approver's signatures | an approver already recorded counts once |
/// | [`execute_disposition`](Self::execute_disposition) | disposition approved | disposed | returns what it did |
/// | [`close`](Self::close) | disposed | closed | returns the report |
/// | [`export_evidence`](Self::export_evidence) | closed | (same) | writes the folder again |
///
/// A step called in another state fails with [`BrokerageError::OutOfOrder`] naming the state. Each step
/// is one transaction (the package file is written to a temporary file, synced and renamed before its
/// step is recorded), so a process killed at any point leaves the step done or not begun, and calling it
/// again finishes it: no double notices, no double-counted responses, no half package.
pub struct SellerCase<'b> {
    brokerage: &'b Brokerage,
    agreement: SignedAgreement,
}

impl std::fmt::Debug for SellerCase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SellerCase")
            .field("transfer", &self.agreement.transfer_id())
            .finish_non_exhaustive()
    }
}

impl Brokerage {
    /// Opens (or, if it exists, loads) this brokerage's seller case for `agreement`. Refused unless this
    /// brokerage's signing key is the agreement's seller key ([`BrokerageError::NotAParty`]); a case of
    /// the same transfer under another agreement is [`BrokerageError::CaseConflict`].
    pub fn open_seller_case(&self, agreement: &SignedAgreement) -> Result<SellerCase<'_>, BrokerageError> {
        let transfer = agreement.transfer_id();
        if agreement.terms().seller.verifying_key() != &self.party_key.verifying_key() {
            return Err(BrokerageError::NotAParty { transfer, role: ROLE });
        }
        let now = self.now();
        self.create_case(
            agreement,
            ROLE,
            |encoded, size| SellerRow {
                state: CaseState::Opened,
                agreement: encoded,
                opened_at: now,
                opened_size: size,
                notices: None,
                served: 0,
                serve_cursor: None,
                responses: 0,
                executed: None,
                package: None,
                receipt: None,
                disposition: None,
                report: None,
            },
            |row: &SellerRow| row.agreement.as_str(),
        )?;
        Ok(SellerCase {
            brokerage: self,
            agreement: agreement.clone(),
        })
    }

    /// Loads the seller case of `transfer` (after a restart, in another process).
    pub fn seller_case(&self, transfer: TransferId) -> Result<SellerCase<'_>, BrokerageError> {
        let loaded: Loaded<SellerRow> = self.load_case(transfer, ROLE)?;
        Ok(SellerCase {
            brokerage: self,
            agreement: stored_agreement(&loaded.row.agreement)?,
        })
    }
}

impl SellerCase<'_> {
    /// The transfer.
    pub fn transfer_id(&self) -> TransferId {
        self.agreement.transfer_id()
    }

    /// The signed agreement.
    pub fn agreement(&self) -> &SignedAgreement {
        &self.agreement
    }

    /// Where the case stands.
    pub fn state(&self) -> Result<CaseState, BrokerageError> {
        Ok(self.load()?.row.state)
    }

    /// The published transfer notices, once published.
    pub fn notices(&self) -> Result<PublishedNotices, BrokerageError> {
        let row = self.load()?.row;
        row.notices
            .ok_or_else(|| self.refuse("read the notices", row.state))
    }

    /// The first day [`SellerCase::execute`] runs, a Beijing date: the day after the objection window of a
    /// notice served on the agreement's effective date has closed (PIPL Art 22). The window is counted from
    /// the next day and ends at 24:00 Beijing on its last day, which a rest day moves to the next working day
    /// (Civil Code Arts 201, 203) — so on `effective + window` itself the window is still open. A customer
    /// served later stays pending until their own window closes. Past the brokerage's calendar: a typed error.
    pub fn execution_date(&self) -> Result<NaiveDate, BrokerageError> {
        let terms = self.agreement.terms();
        let window = self
            .brokerage
            .calendar()?
            .deadline(terms.effective, terms.objection_window_days)?;
        window
            .last_day
            .checked_add_days(chrono::Days::new(1))
            .ok_or(BrokerageError::InvalidInput {
                field: "agreement.effective",
                reason: "the objection window ends at the last representable date".into(),
            })
    }

    fn load(&self) -> Result<Loaded<SellerRow>, BrokerageError> {
        self.brokerage.load_case(self.transfer_id(), ROLE)
    }

    fn id(&self) -> (TransferId, CaseRole) {
        (self.transfer_id(), ROLE)
    }

    fn refuse(&self, step: &'static str, state: CaseState) -> BrokerageError {
        out_of_order(self.transfer_id(), ROLE, step, state)
    }

    /// Runs one step: loads the row inside the write, lets `body` change it, and swaps it in.
    fn step<T>(
        &self,
        body: impl FnOnce(&mut Ledger, &Loaded<SellerRow>, &mut SellerRow) -> Result<T, BrokerageError>,
    ) -> Result<T, BrokerageError> {
        let b = self.brokerage;
        b.write(|log| {
            let loaded = self.load()?;
            let mut row = loaded.row.clone();
            let value = body(log, &loaded, &mut row)?;
            b.save_case(self.transfer_id(), ROLE, &loaded, &row)?;
            Ok(value)
        })
    }

    /// Publishes the transfer notice in Simplified Chinese and English on the seller's ledger (PIPL Arts
    /// 17, 22/23): the seller as controller, the buyer named, the digest of the text for every category in
    /// scope. Opened → notifying.
    pub fn publish_notices(&self) -> Result<PublishedNotices, BrokerageError> {
        let b = self.brokerage;
        self.step(|log, _, row| {
            if let Some(notices) = row.notices {
                return Ok(notices);
            }
            if row.state != CaseState::Opened {
                return Err(self.refuse("publish notices", row.state));
            }
            let at = b.now();
            let publication = |language| NoticePublication {
                agreement: &self.agreement,
                id: NoticeId::new_v7(),
                language,
                published_at: at,
                retention: RetentionStatement::of(&b.profile),
            };
            let zh = transfer_notice(&publication(Language::SimplifiedChinese))?;
            let en = transfer_notice(&publication(Language::English))?;
            b.publish_notice_in(log, &zh)?;
            b.publish_notice_in(log, &en)?;
            let notices = PublishedNotices {
                zh: zh.reference(),
                en: en.reference(),
                at,
            };
            row.notices = Some(notices);
            row.state = CaseState::Notifying;
            b.step_entry(log, self.id(), "publish notices", row.state, &notices)?;
            Ok(notices)
        })
    }

    /// Serves the notice to the customers `round` reaches, one transaction per batch: a notice-served
    /// event each (the buyer named, the digest of the exact text in the customer's language: Simplified
    /// Chinese for mainland residents, English otherwise), and a served marker, so that a customer is
    /// never served twice — not on a second call, not after a crash. Customers outside the selection or
    /// holding nothing in scope are not addressed. Runs while notifying.
    pub fn serve_notices(&self, round: NoticeRound<'_>) -> Result<Served, BrokerageError> {
        let b = self.brokerage;
        let state = self.load()?.row.state;
        if state != CaseState::Notifying {
            return Err(self.refuse("serve notices", state));
        }
        let mut total = Served::default();
        match round.reached {
            Reached::Customers(list) => {
                for chunk in list.chunks(b.batch.get()) {
                    let done = self.serve_batch(&round, chunk)?;
                    total.served += done.served;
                    total.already_served += done.already_served;
                    total.not_addressed += done.not_addressed;
                    total.total = done.total;
                }
            }
            Reached::Next(_) | Reached::Everyone => {
                let mut left = match round.reached {
                    Reached::Next(n) => n.get() as u64,
                    _ => u64::MAX,
                };
                while left > 0 {
                    let (done, exhausted) = self.serve_next(&round, left)?;
                    left = left.saturating_sub(done.served);
                    total.served += done.served;
                    total.already_served += done.already_served;
                    total.not_addressed += done.not_addressed;
                    total.total = done.total;
                    if exhausted {
                        break;
                    }
                }
            }
        }
        if total.total == 0 {
            total.total = self.load()?.row.served;
        }
        Ok(total)
    }

    /// Serves the listed customers in one transaction.
    fn serve_batch(
        &self,
        round: &NoticeRound<'_>,
        customers: &[CustomerId],
    ) -> Result<Served, BrokerageError> {
        self.step(|log, _, row| {
            let mut facts = Vec::with_capacity(customers.len());
            for c in customers {
                match self.brokerage.customer_facts(*c) {
                    Ok((_, f, _)) => facts.push((*c, Some(f))),
                    Err(BrokerageError::CustomerErased { .. }) => facts.push((*c, None)),
                    Err(e) => return Err(e),
                }
            }
            self.serve_in(log, row, round, facts)
        })
    }

    /// Serves the next customers after the cursor, up to `left` notices, in one transaction; says whether
    /// the book is exhausted.
    fn serve_next(&self, round: &NoticeRound<'_>, left: u64) -> Result<(Served, bool), BrokerageError> {
        let b = self.brokerage;
        self.step(|log, _, row| {
            let range = match &row.serve_cursor {
                Some(cursor) => {
                    let last = hex::decode(cursor)
                        .map_err(|e| BrokerageError::corrupt(records::CASES.as_str(), b"serve cursor", e))?;
                    KeyRange::all().after(&last)
                }
                None => KeyRange::all(),
            };
            let page = b.store.scan_records(CUSTOMERS, &range, b.batch.get())?;
            let exhausted = page.len() < b.batch.get();
            let mut facts = Vec::new();
            let mut addressable = 0u64;
            let mut last_key = None;
            for record in &page {
                if addressable >= left {
                    break;
                }
                let customer = records::customer_at(CUSTOMERS.as_str(), &record.key, 0)?;
                last_key = Some(record.key.clone());
                match b.customer_facts(customer) {
                    Ok((_, f, _)) => {
                        if self.addressee(customer, &f).is_some() && !self.is_served(customer)? {
                            addressable += 1;
                        }
                        facts.push((customer, Some(f)));
                    }
                    Err(BrokerageError::CustomerErased { .. } | BrokerageError::UnknownCustomer { .. }) => {
                        facts.push((customer, None));
                    }
                    Err(e) => return Err(e),
                }
            }
            let exhausted = exhausted && last_key.as_ref() == page.last().map(|r| &r.key);
            if let Some(key) = last_key {
                row.serve_cursor = Some(hex::encode(key));
            }
            let served = self.serve_in(log, row, round, facts)?;
            Ok((served, exhausted || page.is_empty()))
        })
    }

    fn is_served(&self, customer: CustomerId) -> Result<bool, BrokerageError> {
        let key = records::case_customer_key(self.transfer_id(), customer);
        Ok(self.brokerage.store.record(SERVED, &key)?.is_some())
    }

    /// Whom to tell and in which language, if the agreement addresses the customer at all.
    fn addressee(&self, customer: CustomerId, facts: &crate::customers::StoredFacts) -> Option<Addressee> {
        let terms = self.agreement.terms();
        let c = facts.customer();
        if !terms.selects(c.relationship_end(), terms.effective) {
            return None;
        }
        let in_scope = terms.categories();
        let categories: BTreeSet<DataCategory> = c
            .categories_held()
            .into_iter()
            .filter(|k| in_scope.contains(k))
            .collect();
        if categories.is_empty() {
            return None;
        }
        Some(Addressee {
            customer,
            sensitive: categories
                .iter()
                .copied()
                .filter(|k| c.is_sensitive_at(*k, terms.effective))
                .collect(),
            categories,
            // A child's notice is addressed to the guardian (PIPL Art 31).
            reader: if c.is_minor_at(terms.effective) {
                Reader::Guardian
            } else {
                Reader::Customer
            },
            language: if c.residence().is_mainland_china() {
                Language::SimplifiedChinese
            } else {
                Language::English
            },
        })
    }

    fn serve_in(
        &self,
        log: &mut Ledger,
        row: &mut SellerRow,
        round: &NoticeRound<'_>,
        customers: Vec<(CustomerId, Option<crate::customers::StoredFacts>)>,
    ) -> Result<Served, BrokerageError> {
        let b = self.brokerage;
        let notices = row
            .notices
            .ok_or_else(|| self.refuse("serve notices", row.state))?;
        let calendar = b.calendar()?;
        let delivery = NoticeDelivery {
            agreement: &self.agreement,
            served_at: b.now(),
            recorded_by: round.by.clone(),
            channel: round.channel,
            retention: RetentionStatement::of(&b.profile),
            calendar: &calendar,
        };
        let mut done = Served::default();
        let mut events = Vec::new();
        let mut this_round: BTreeSet<CustomerId> = BTreeSet::new();
        for (customer, facts) in customers {
            let Some(addressee) = facts.as_ref().and_then(|f| self.addressee(customer, f)) else {
                done.not_addressed += 1;
                continue;
            };
            if this_round.contains(&customer) || self.is_served(customer)? {
                done.already_served += 1;
                continue;
            }
            this_round.insert(customer);
            let notice = match addressee.language {
                Language::SimplifiedChinese => notices.zh,
                _ => notices.en,
            };
            events.push(notice_served(&delivery, notice, &addressee)?);
        }
        let recorded = b.record_consent_in(log, &events)?;
        if let Some(first) = recorded.first_index {
            for (i, event) in events.iter().enumerate() {
                let key = records::case_customer_key(self.transfer_id(), event.customer());
                b.store
                    .put_record(SERVED, &key, &(first + i as u64).to_be_bytes())?;
            }
        }
        done.served = recorded.recorded;
        row.served += done.served;
        done.total = row.served;
        if done.served > 0 {
            b.step_entry_unsigned(log, self.id(), "serve notices", row.state, &done)?;
        }
        Ok(done)
    }

    /// Records customers' answers as they arrive — objections, refusals, separate (or guardian's)
    /// consents and their withdrawals, any day and in any order — on the seller's ledger. Each event must
    /// be a transfer response addressed to the seller or to this case's buyer ([`BrokerageError::NotAResponse`]); an event already
    /// recorded is skipped, so a retry never counts an answer twice. Runs in every state after opened (an
    /// answer after execution is evidence too; it does not change the final plan).
    pub fn record_responses(&self, events: &[ConsentEvent]) -> Result<Recorded, BrokerageError> {
        let buyer = self.agreement.terms().buyer.party_id();
        for event in events {
            let scope = event.scope();
            // Addressed to the seller (the party the customer deals with) or to the buyer as successor or
            // third party: the three conventions the planner reads (custodia_transfer::responses).
            let addressed = match scope.recipient() {
                Recipient::Controller => true,
                Recipient::Successor(p) | Recipient::ThirdParty(p) => p == buyer,
                _ => false,
            };
            if !scope.purposes().contains(&Purpose::Transfer) || !addressed {
                return Err(BrokerageError::NotAResponse {
                    transfer: self.transfer_id(),
                    event: event.id().to_string(),
                });
            }
        }
        let b = self.brokerage;
        self.step(|log, _, row| {
            if row.state == CaseState::Opened {
                return Err(self.refuse("record responses", row.state));
            }
            let recorded = b.record_consent_in(log, events)?;
            row.responses += recorded.recorded;
            Ok(recorded)
        })
    }

    /// The notice served to `customer` in this case, or `None` when they were not served (not yet, or not
    /// addressed). Read-only: what a customer-facing page shows before the customer answers.
    pub fn served_notice(&self, customer: CustomerId) -> Result<Option<ServedNotice>, BrokerageError> {
        let b = self.brokerage;
        let key = records::case_customer_key(self.transfer_id(), customer);
        let Some(value) = b.store.record(SERVED, &key)? else {
            return Ok(None);
        };
        let entry = records::u64_at(SERVED.as_str(), &key, &value, 0)?;
        let event = match b.consent_record_at(SERVED.as_str(), &key, entry)? {
            custodia_consent::ConsentRecord::Event(e)
                if e.customer() == customer && e.kind() == custodia_consent::EventKind::NoticeServed =>
            {
                e
            }
            _ => {
                return Err(BrokerageError::corrupt(
                    SERVED.as_str(),
                    &key,
                    "the marked entry is not this customer's notice",
                ));
            }
        };
        let notice = b.published_notice(event.notice())?.ok_or_else(|| {
            BrokerageError::corrupt(SERVED.as_str(), &key, "the served notice is not published")
        })?;
        Ok(Some(ServedNotice { entry, event, notice }))
    }

    /// The plan as it would be now — read-only, any day, in any state: every customer and category
    /// `Include`, `Exclude(reason)` or `Pending(what is missing)`, counted by reason.
    pub fn preview_plan(&self) -> Result<PlanSummary, BrokerageError> {
        self.brokerage.plan_book(
            &self.agreement,
            self.brokerage.now(),
            PlanMode::Preview,
            &mut |_| Ok(()),
        )
    }

    /// Executes the transfer: fixes the final plan on or after [`SellerCase::execution_date`], one
    /// transaction for the whole book. Refused until the agreement's `impact_assessment` names a stored,
    /// approved assessment that assessed providing the data to another processor
    /// ([`Brokerage::approved_assessment`]; PIPL Art 55(3), 56). What is still pending becomes excluded with the reason it was
    /// pending (`pending`: [`WhilePending::Exclude`], the default), or execution is refused while
    /// anything is pending ([`WhilePending::Wait`]). Each customer's decisions are stored for the package,
    /// the disposition and the customers' proofs. Notifying → executed.
    pub fn execute(&self, pending: WhilePending) -> Result<PlanSummary, BrokerageError> {
        let b = self.brokerage;
        let now = b.now();
        {
            let row = self.load()?.row;
            if let Some(executed) = row.executed {
                return Ok(executed.summary);
            }
            if row.state != CaseState::Notifying {
                return Err(self.refuse("execute", row.state));
            }
            let not_before = self.execution_date()?;
            if custodia_model::beijing_date(now) < not_before {
                return Err(BrokerageError::TooEarly {
                    transfer: self.transfer_id(),
                    step: "execute",
                    not_before,
                });
            }
            b.check_transfer_assessment(&self.agreement)?;
            if pending == WhilePending::Wait {
                let preview = self.preview_plan()?;
                if preview.decisions.pending() > 0 {
                    return Err(BrokerageError::StillPending {
                        transfer: self.transfer_id(),
                        pending: preview.decisions.pending(),
                    });
                }
            }
        }
        self.step(|log, _, row| {
            if row.state != CaseState::Notifying {
                return Err(self.refuse("execute", row.state));
            }
            let transfer = self.transfer_id();
            let summary = b.plan_book(&self.agreement, now, PlanMode::Final, &mut |decided| {
                let key = records::case_customer_key(transfer, decided.customer);
                records::put_json(&b.store, FINAL, &key, &decided.decisions)
            })?;
            if let Some(cb) = &summary.cross_border {
                // This case's part of the year's running total, read back by every later plan.
                records::put_json(
                    &b.store,
                    EXPORTS,
                    &crate::planning::exports_key(crate::planning::export_year(now), transfer),
                    &crate::planning::YearExports {
                        non_sensitive: cb.people_non_sensitive,
                        sensitive: cb.people_sensitive,
                    },
                )?;
            }
            row.executed = Some(Executed {
                at: now,
                summary: summary.clone(),
            });
            row.state = CaseState::Executed;
            b.step_entry(
                log,
                self.id(),
                "execute",
                row.state,
                &serde_json::json!({
                    "customers": summary.customers,
                    "moving": summary.customers_moving,
                    "decisions": summary.decisions,
                }),
            )?;
            Ok(summary)
        })
    }

    /// The final plan, a page at a time: up to `limit` customers' decisions in id order, after `after`
    /// (from the first customer if `None`). Empty before execution.
    pub fn final_plan(
        &self,
        after: Option<CustomerId>,
        limit: usize,
    ) -> Result<Vec<CustomerDecisions>, BrokerageError> {
        let prefix = self.transfer_id().as_bytes().to_vec();
        let range = match after {
            Some(c) => KeyRange::prefix(&prefix).after(&records::case_customer_key(self.transfer_id(), c)),
            None => KeyRange::prefix(&prefix),
        };
        let mut out = Vec::new();
        for record in self.brokerage.store.scan_records(FINAL, &range, limit)? {
            let customer = records::customer_at(FINAL.as_str(), &record.key, 16)?;
            let decisions = records::decode_json(FINAL, &record.key, &record.value)?;
            out.push(CustomerDecisions { customer, decisions });
        }
        Ok(out)
    }

    /// A customer's final decisions, once the case is executed.
    pub fn final_decisions(&self, customer: CustomerId) -> Result<Option<CustomerDecisions>, BrokerageError> {
        let key = records::case_customer_key(self.transfer_id(), customer);
        let decisions: Option<Vec<(DataCategory, Eligibility)>> =
            records::get_json(&self.brokerage.store, FINAL, &key)?;
        Ok(decisions.map(|decisions| CustomerDecisions { customer, decisions }))
    }

    /// Writes the package to `path`: every customer with a category to move, in id order, their newest
    /// sealed sections of those categories as they are and their data key re-wrapped under the transfer
    /// key, which is sealed to the buyer; the manifest root signed by the seller. Every random value comes
    /// from the case's secret (custodia-crypto's `PackageRandomness::derived`), so writing it again after
    /// a crash gives the same bytes. The bytes go to `<path>.partial`, are synced, and renamed to `path`
    /// before the step is recorded: there is never a half package at `path`. Executed → packaged.
    pub fn write_package(&self, path: &Path) -> Result<PackageWritten, BrokerageError> {
        let b = self.brokerage;
        let row = self.load()?.row;
        if let Some(written) = row.package {
            return Ok(written);
        }
        let executed = match (&row.state, &row.executed) {
            (CaseState::Executed, Some(executed)) => executed.clone(),
            _ => return Err(self.refuse("write the package", row.state)),
        };
        let summary = self.write_package_file(path, executed.at)?;
        let written = PackageWritten {
            path: path.to_path_buf(),
            created_at: executed.at,
            customers: summary.customers,
            sections: summary.sections,
            section_bytes: summary.section_bytes,
            package_bytes: summary.package_bytes,
            root: summary.root,
            header: hex::encode(summary.header.as_bytes()),
            entries_digest: hex::encode(summary.entries_digest),
            signature: hex::encode(summary.signature),
        };
        self.step(|log, _, row| {
            if row.state != CaseState::Executed {
                return Err(self.refuse("write the package", row.state));
            }
            row.package = Some(written.clone());
            row.state = CaseState::Packaged;
            b.step_entry(
                log,
                self.id(),
                "write the package",
                row.state,
                &serde_json::json!({
                    "root": written.root,
                    "customers": written.customers,
                    "sections": written.sections,
                    "bytes": written.package_bytes,
                }),
            )?;
            Ok(written.clone())
        })
    }

    /// The package's randomness, derived from the case's secret: the same values on every call.
    fn package_randomness(&self) -> Result<PackageRandomness, BrokerageError> {
        let secret = self
            .brokerage
            .keys
            .transfer_secret(self.agreement.digest().as_bytes())?;
        Ok(PackageRandomness::derived(secret))
    }

    /// The transfer key of the case's package (derived from the case's secret, as when it was written):
    /// the seller opens its own package's sealed entries with it.
    fn transfer_key(&self) -> Result<custodia_crypto::TransferKey, BrokerageError> {
        self.package_randomness()?
            .transfer_key(self.transfer_id())
            .map_err(|source| {
                BrokerageError::Transfer(custodia_transfer::TransferError::Crypto {
                    context: "transfer key",
                    source,
                })
            })
    }

    fn write_package_file(
        &self,
        path: &Path,
        created_at: DateTime<Utc>,
    ) -> Result<PackageSummary, BrokerageError> {
        let b = self.brokerage;
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial).map_err(BrokerageError::io(&partial, "create"))?;
        let settings = WriterSettings {
            created_at,
            proof_tree: ProofTree::Discard,
            randomness: self.package_randomness()?,
        };
        let mut writer =
            PackageWriter::start_with(BufWriter::new(file), &self.agreement, &b.party_key, settings)?;
        let keyring = b.keyring();
        let transfer = self.transfer_id();
        records::scan_pages(
            &b.store,
            FINAL,
            KeyRange::prefix(transfer.as_bytes()),
            b.batch.get(),
            &mut |page| {
                for record in page {
                    let customer = records::customer_at(FINAL.as_str(), &record.key, 16)?;
                    let decisions: Vec<(DataCategory, Eligibility)> =
                        records::decode_json(FINAL, &record.key, &record.value)?;
                    let mut travelling = Vec::new();
                    for (category, e) in decisions {
                        if !e.is_include() {
                            continue;
                        }
                        let latest = b.store.latest_section(customer, category)?.ok_or_else(|| {
                            BrokerageError::Transfer(custodia_transfer::TransferError::EntryFailed {
                                entry: writer.customers(),
                                customer,
                                reason: format!("no stored {category} section"),
                            })
                        })?;
                        travelling.push(TravellingSection {
                            category,
                            record_version: latest.record_version(),
                            sealed: latest.into_sealed(),
                        });
                    }
                    let Some(dek) = travelling.first().map(|s| s.sealed.dek_id()) else {
                        continue;
                    };
                    let wrapped = b.store.wrapped_key(customer, dek)?;
                    writer.add(&keyring, &wrapped, travelling)?;
                }
                Ok(())
            },
        )?;
        drop(keyring);
        let (summary, _) = writer.finish()?;
        // `finish` flushed the buffer into the file; sync it, then move it into place.
        let file = File::options()
            .write(true)
            .open(&partial)
            .map_err(BrokerageError::io(&partial, "open"))?;
        file.sync_all().map_err(BrokerageError::io(&partial, "sync"))?;
        std::fs::rename(&partial, path).map_err(BrokerageError::io(path, "rename the package into"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename is durable once the directory is synced (POSIX); a platform that cannot open a
            // directory has nothing to sync here.
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(summary)
    }

    /// Verifies the buyer's signed receipt against the agreement and the package written (same transfer,
    /// digest, root, customers and sections) and appends it to the seller's ledger (NDSR Art 12). The same
    /// receipt again returns what the first call found; another receipt is refused. Packaged → receipt
    /// verified.
    pub fn verify_receipt(&self, receipt: &[u8]) -> Result<VerifiedReceipt, BrokerageError> {
        let b = self.brokerage;
        let encoded = hex::encode(receipt);
        self.step(|log, _, row| {
            if let Some(done) = &row.receipt {
                if done.bytes != encoded {
                    return Err(BrokerageError::ReceiptConflict {
                        transfer: self.transfer_id(),
                    });
                }
                return Ok(VerifiedReceipt {
                    customers: done.customers,
                    rekeyed: done.rekeyed,
                    received_at: done.received_at,
                    entry: done.entry,
                });
            }
            let package = match (&row.state, &row.package) {
                (CaseState::Packaged, Some(p)) => p.clone(),
                _ => return Err(self.refuse("verify the receipt", row.state)),
            };
            let verified = SignedReceipt::verify(receipt, &self.agreement, &package.summary()?)?;
            let entry = verified.append_to(log)?;
            let r = verified.receipt();
            row.receipt = Some(ReceiptRow {
                at: b.now(),
                bytes: encoded.clone(),
                entry,
                customers: r.customers,
                rekeyed: r.rekeyed,
                received_at: r.received_at,
            });
            row.state = CaseState::ReceiptVerified;
            b.step_entry(
                log,
                self.id(),
                "verify the receipt",
                row.state,
                &serde_json::json!({ "entry": entry }),
            )?;
            Ok(VerifiedReceipt {
                customers: r.customers,
                rekeyed: r.rekeyed,
                received_at: r.received_at,
                entry,
            })
        })
    }

    /// Plans the disposition — what the seller may no longer hold now that the buyer has the data — for
    /// every customer, in one transaction: a moved customer's facts gain `transfer_completed` on the day
    /// the buyer received the package, so the retention profile's PIPL Art 47(1)(2) duty applies, and its
    /// floors (Broker Rule 2018 Art 51, AML Law 2024 Art 34) keep what must stay, restricted to storage.
    /// The destruction plans, proposed by `proposed_by`, wait for two approvers. Receipt verified →
    /// disposition planned.
    pub fn plan_disposition(&self, proposed_by: ActorId) -> Result<DispositionCounts, BrokerageError> {
        let b = self.brokerage;
        let on = b.now().date_naive();
        self.step(|log, _, row| {
            if let Some(d) = &row.disposition {
                return Ok(d.counts.clone());
            }
            let received = match (&row.state, &row.receipt) {
                (CaseState::ReceiptVerified, Some(r)) => r.received_at.date_naive(),
                _ => return Err(self.refuse("plan the disposition", row.state)),
            };
            let transfer = self.transfer_id();
            let holds = b.holds()?;
            let policy = crate::planning::case_policy(&b.policy, self.agreement.terms().legal_path);
            let mut counts = DispositionCounts::default();
            let mut parts = 0u32;
            b.customer_batches(&mut |batch| {
                let ids: Vec<CustomerId> = batch.iter().map(|(c, _)| *c).collect();
                let view = b.consent_view(&ids, policy.clone(), None)?;
                let mut planner = DispositionPlanner::new(&b.profile, &holds, on);
                for (customer, facts) in &batch {
                    let retention = facts.retention(view.withdrawals(*customer), &policy, on)?;
                    let moved = self
                        .final_decisions(*customer)?
                        .is_some_and(|d| !d.included().is_empty());
                    planner.add(retention, moved.then_some(received))?;
                }
                let disposition = planner.finish(&proposed_by)?;
                merge_counts(&mut counts, &disposition.counts);
                for plan in [disposition.crypto_shred, disposition.section_deletion]
                    .into_iter()
                    .flatten()
                {
                    records::put_json(&b.store, DISPOSITION, &records::part_key(transfer, parts), &plan)?;
                    parts += 1;
                }
                Ok(())
            })?;
            row.disposition = Some(DispositionRow {
                proposed_by: proposed_by.clone(),
                on,
                counts: counts.clone(),
                parts,
                approvals: Vec::new(),
                executed: None,
            });
            // Four eyes are for destruction (PIPL Art 47): a disposition that destroys nothing (every
            // category still within a minimum retention, say) has no plan to sign and is runnable at once.
            row.state = if parts == 0 {
                CaseState::DispositionApproved
            } else {
                CaseState::DispositionPlanned
            };
            b.step_entry(log, self.id(), "plan the disposition", row.state, &counts)?;
            Ok(counts)
        })
    }

    /// What an approver of the disposition signs: one custodia-access approval request per destruction plan
    /// (part) of the disposition, each a document of kind `destruction-plan` naming the plan's id, its
    /// proposer and the SHA-256 digest of its contents. Sign each with `ApprovalRequest::sign` and hand the
    /// signatures to [`approve_disposition`](Self::approve_disposition).
    pub fn disposition_requests(&self) -> Result<Vec<ApprovalRequest>, BrokerageError> {
        let row = self.load()?.row;
        let Some(d) = &row.disposition else {
            return Err(self.refuse("list the disposition's approval requests", row.state));
        };
        (0..d.parts)
            .map(|part| Ok(self.disposition_part(part)?.approval_request()?))
            .collect()
    }

    fn disposition_part(&self, part: u32) -> Result<DestructionPlan, BrokerageError> {
        let key = records::part_key(self.transfer_id(), part);
        records::get_json(&self.brokerage.store, DISPOSITION, &key)?
            .ok_or_else(|| BrokerageError::corrupt(DISPOSITION.as_str(), &key, "missing part"))
    }

    /// Records one approver's signed approval of the disposition: `approvals` holds their signature of every
    /// request of [`disposition_requests`](Self::disposition_requests) (one per plan), all by the same
    /// principal. Each is verified now against the approver's stored record — the Ed25519 signature with the
    /// public key only, the approver role, not the operator who made the plan (PIPL Art 51(4); the practice's
    /// §15 internal supervision) — and kept with its plan; at execution all are verified again, against the
    /// records as they are then and the operator who runs it. The second distinct approver makes the
    /// disposition runnable; an approver already recorded counts once. Disposition planned → disposition
    /// approved (at the second).
    pub fn approve_disposition(&self, approvals: &[SignedApproval]) -> Result<CaseState, BrokerageError> {
        let b = self.brokerage;
        let Some(first) = approvals.first() else {
            let row = self.load()?.row;
            if row.disposition.as_ref().is_some_and(|d| d.parts == 0) {
                // Nothing to destroy, so nothing to sign (see plan_disposition): the case is already runnable.
                return Ok(row.state);
            }
            return Err(BrokerageError::InvalidInput {
                field: "approvals",
                reason: "no signed approval".into(),
            });
        };
        let approver = first.approver().clone();
        if approvals.iter().any(|a| a.approver() != &approver) {
            return Err(BrokerageError::InvalidInput {
                field: "approvals",
                reason: "signed by more than one approver; each approver approves on their own".into(),
            });
        }
        let record = b.known_principal(&approver)?;
        for a in approvals {
            a.verify(&record, &b.approvals)?;
        }
        self.step(|log, _, row| {
            let state = row.state;
            let Some(d) = row.disposition.as_mut() else {
                return Err(self.refuse("approve the disposition", state));
            };
            if d.approvals.iter().any(|(a, _)| *a == approver) {
                return Ok(state);
            }
            if state != CaseState::DispositionPlanned {
                return Err(self.refuse("approve the disposition", state));
            }
            if approvals.len() != d.parts as usize {
                return Err(BrokerageError::InvalidInput {
                    field: "approvals",
                    reason: format!(
                        "{} signed approvals for a disposition of {} plans; one per plan",
                        approvals.len(),
                        d.parts
                    ),
                });
            }
            for part in 0..d.parts {
                let mut plan = self.disposition_part(part)?;
                let request = plan.approval_request()?;
                let signed = approvals
                    .iter()
                    .find(|a| a.request() == &request)
                    .ok_or_else(|| BrokerageError::InvalidInput {
                        field: "approvals",
                        reason: format!("no signed approval of plan {} (part {part})", plan.id()),
                    })?;
                plan.approve(signed.clone())?;
                let key = records::part_key(self.transfer_id(), part);
                records::put_json(&b.store, DISPOSITION, &key, &plan)?;
            }
            d.approvals.push((approver.clone(), b.now()));
            if d.approvals.len() >= 2 {
                row.state = CaseState::DispositionApproved;
            }
            b.step_entry(
                log,
                self.id(),
                "approve the disposition",
                row.state,
                &serde_json::json!({ "approver": approver, "signed_plans": approvals.len() }),
            )?;
            Ok(row.state)
        })
    }

    /// Runs the approved disposition, in one transaction: holds are checked again (a hold placed since
    /// still wins), whole customers are crypto-shredded (their keys destroyed, so their sections and
    /// sealed facts can never be opened again) and single categories deleted from the vault, with the
    /// destruction certificates on the ledger (PIPL Art 47). Disposition approved → disposed.
    pub fn execute_disposition(&self, operator: ActorId) -> Result<Disposed, BrokerageError> {
        let b = self.brokerage;
        let now = b.now();
        let done = self.step(|log, _, row| {
            let state = row.state;
            let Some(d) = row.disposition.as_mut() else {
                return Err(self.refuse("execute the disposition", state));
            };
            if let Some(done) = &d.executed {
                return Ok(done.clone());
            }
            if state != CaseState::DispositionApproved {
                return Err(self.refuse("execute the disposition", state));
            }
            let holds = b.holds()?;
            let mut done = Disposed {
                at: now,
                operator: operator.clone(),
                whole_customers: 0,
                partial_customers: 0,
                held: 0,
                failed: 0,
                certificates: Vec::new(),
            };
            // The approvals are verified again here, against the approvers' records as they are now and
            // the operator who runs it (neither approver may be the operator, nor the plan's proposer).
            let records = b.approver_records(d.approvals.iter().map(|(a, _)| a))?;
            let directory = |id: &ActorId| records.get(id).cloned();
            for part in 0..d.parts {
                let plan = self.disposition_part(part)?;
                let whole = plan.items().iter().all(|i| i.whole_customer());
                let approved = plan.into_approved(&operator, &directory, &b.approvals)?;
                let run = Execution::new(&operator, now, &holds);
                let report: ExecutionReport = if whole {
                    custodia_retention::execute(&approved, run, &mut KeyStoreShredder::new(&*b.store), log)?
                } else {
                    custodia_retention::execute(&approved, run, &mut SectionShredder::new(&*b.store), log)?
                };
                for item in report.items() {
                    match item.status() {
                        custodia_retention::ItemStatus::Failed { .. } => done.failed += 1,
                        custodia_retention::ItemStatus::Held { .. } => done.held += 1,
                        _ if whole => done.whole_customers += 1,
                        _ => done.partial_customers += 1,
                    }
                }
                done.certificates
                    .extend(report.certificates().iter().map(|(i, _)| *i));
                // The part's customers are done: their anchors go to the ledger now, inside the unit, so
                // that what is noted for a book of any size is not all held until the unit ends.
                b.anchor_in(log)?;
            }
            if done.failed > 0 {
                return Err(BrokerageError::Retention(
                    RetentionError::CertificateNotRecorded {
                        plan: self.transfer_id().to_string(),
                        destroyed: 0,
                        message: format!("{} customers failed to shred; nothing was committed", done.failed),
                    },
                ));
            }
            d.executed = Some(done.clone());
            row.state = CaseState::Disposed;
            b.step_entry(
                log,
                self.id(),
                "execute the disposition",
                row.state,
                &serde_json::json!({
                    "whole_customers": done.whole_customers,
                    "partial_customers": done.partial_customers,
                    "held": done.held,
                    "certificates": done.certificates,
                }),
            )?;
            Ok(done)
        })?;
        // The erased sections and keys leave the WAL file too (SQLite; secure_delete zeroed the pages).
        b.store.flush()?;
        Ok(done)
    }

    /// Closes the case with its report (ids and counts only): the agreement, the final plan, the notices
    /// served, the package and the receipt, the disposition and its certificates, and the checks — the
    /// seller's own (agreement signatures, the package verified offline, the receipt, the whole ledger)
    /// and any `checks` the caller adds (the buyer's, for instance). Disposed → closed.
    pub fn close(&self, checks: Vec<Check>) -> Result<TransferReport, BrokerageError> {
        let b = self.brokerage;
        let row = self.load()?.row;
        if let Some(report) = row.report {
            return Ok(report);
        }
        if row.state != CaseState::Disposed {
            return Err(self.refuse("close", row.state));
        }
        let (Some(executed), Some(package), Some(receipt), Some(disposition)) =
            (&row.executed, &row.package, &row.receipt, &row.disposition)
        else {
            return Err(self.refuse("close", row.state));
        };
        let mut all = vec![Check {
            name: "agreement signed by both parties".into(),
            passed: true,
            detail: format!("digest {}", self.agreement.digest()),
        }];
        // With the transfer key (derived from the case): every sealed entry opened and checked and the root
        // recomputed, not only the signature a keyless verifier checks.
        let offline = File::open(&package.path)
            .map_err(BrokerageError::io(&package.path, "open"))
            .and_then(|f| {
                let key = self.transfer_key()?;
                Ok(custodia_transfer::verify_package_with_key(
                    BufReader::new(f),
                    &self.agreement,
                    &key,
                    DEFAULT_MAX_ENTRY_LEN,
                )?
                .summary)
            });
        all.push(Check {
            name: "package verifies offline (signature, agreement binding, entries opened, root recomputed)"
                .into(),
            passed: offline.as_ref().is_ok_and(|s| s.root == package.root),
            detail: match &offline {
                Ok(s) => format!("{} customers, root {}", s.customers, s.root),
                Err(e) => e.to_string(),
            },
        });
        all.push(Check {
            name: "seller verified the buyer's receipt".into(),
            passed: true,
            detail: format!("{} customers, ledger entry {}", receipt.customers, receipt.entry),
        });
        let verified = b.verify_ledger();
        all.push(Check {
            name: "seller ledger (consents, notices, steps, receipt, certificates) verifies".into(),
            passed: verified.is_ok(),
            detail: match &verified {
                Ok(v) => format!("{} entries", v.size()),
                Err(e) => e.to_string(),
            },
        });
        all.extend(checks);
        let report = TransferReport {
            generated_at: b.now(),
            agreement: AgreementSection::of(&self.agreement),
            plan: executed.summary.clone(),
            notices_served: row.served,
            package: PackageSection {
                customers: package.customers,
                sections: package.sections,
                section_bytes: package.section_bytes,
                package_bytes: package.package_bytes,
                root: package.root,
                imported: receipt.customers,
                rekeyed: receipt.rekeyed,
                receipt_entry: Some(receipt.entry),
            },
            disposition: disposition.counts.clone(),
            certificates: disposition
                .executed
                .as_ref()
                .map(|d| d.certificates.clone())
                .unwrap_or_default(),
            checks: all,
        };
        self.step(|log, _, row| {
            if let Some(report) = &row.report {
                return Ok(report.clone());
            }
            if row.state != CaseState::Disposed {
                return Err(self.refuse("close", row.state));
            }
            row.report = Some(report.clone());
            row.state = CaseState::Closed;
            b.step_entry(
                log,
                self.id(),
                "close",
                row.state,
                &serde_json::json!({ "checks_passed": report.all_passed() }),
            )?;
            Ok(report.clone())
        })
    }

    /// The report, once the case is closed.
    pub fn report(&self) -> Result<TransferReport, BrokerageError> {
        let row = self.load()?.row;
        row.report
            .ok_or_else(|| self.refuse("read the report", row.state))
    }

    /// The package written, once packaged.
    pub fn package(&self) -> Result<PackageWritten, BrokerageError> {
        let row = self.load()?.row;
        row.package
            .ok_or_else(|| self.refuse("read the package", row.state))
    }

    /// The disposition's execution, once disposed.
    pub fn disposed(&self) -> Result<Disposed, BrokerageError> {
        let row = self.load()?.row;
        row.disposition
            .and_then(|d| d.executed)
            .ok_or_else(|| self.refuse("read the disposition", row.state))
    }

    /// Proofs for `customers` that their record was — or, for a customer who stayed, was not — in the
    /// package: the manifest leaf's inclusion under the signed root, or the two adjacent entries around
    /// where the customer would be. Each verifies offline with the seller's public key. Once packaged.
    pub fn prove(&self, customers: &[CustomerId]) -> Result<Vec<CustomerProof>, BrokerageError> {
        let package = self.package()?;
        let key = self.transfer_key()?;
        let tree = crate::evidence::manifest_tree(&package.path, &key)?;
        let file = File::open(&package.path).map_err(BrokerageError::io(&package.path, "open"))?;
        Ok(custodia_transfer::prove(
            BufReader::new(file),
            &key,
            &tree,
            customers,
            DEFAULT_MAX_ENTRY_LEN,
        )?)
    }

    /// Exports the case as an evidence folder at `dir` (created; it must be empty or missing) holding only
    /// public material — the signed agreement, the public keys, the package, the signed receipt, the
    /// ledger's checkpoints since the case opened with consistency proofs between them, the receipt's
    /// ledger entry with its inclusion proof, proofs for `proofs_for`, the report, and a manifest of
    /// SHA-256 digests — that [`crate::verify_evidence`] re-checks offline. Once closed.
    pub fn export_evidence(
        &self,
        dir: &Path,
        proofs_for: &[CustomerId],
    ) -> Result<crate::EvidenceFolder, BrokerageError> {
        let row = self.load()?.row;
        if row.state != CaseState::Closed {
            return Err(self.refuse("export the evidence", row.state));
        }
        let proofs = self.prove(proofs_for)?;
        crate::evidence::export(self.brokerage, &row, &self.agreement, &proofs, dir)
    }
}

/// Adds `part`'s counts to `total`.
fn merge_counts(total: &mut DispositionCounts, part: &DispositionCounts) {
    total.customers += part.customers;
    total.whole_customers += part.whole_customers;
    for (into, from) in [
        (&mut total.destroy, &part.destroy),
        (&mut total.storage_only, &part.storage_only),
        (&mut total.retain, &part.retain),
    ] {
        for (holding, n) in from {
            *into.entry(*holding).or_default() += n;
        }
    }
}

impl Brokerage {
    /// Appends a step's ledger entry without signing a checkpoint (for the many small steps of a notice
    /// campaign; the next major step's checkpoint covers them).
    pub(crate) fn step_entry_unsigned<D: Serialize>(
        &self,
        log: &mut Ledger,
        (transfer, role): (TransferId, CaseRole),
        step: &'static str,
        state: CaseState,
        detail: &D,
    ) -> Result<u64, BrokerageError> {
        let payload = records::step_payload(&serde_json::json!({
            "kind": "case_step", "transfer": transfer, "role": role, "step": step,
            "at": self.now(), "state": state, "detail": detail,
        }))?;
        Ok(log.append(&[payload.as_slice()])?.first_index())
    }
}
