//! Customers' answers to the transfer, read from the consent ledger: notices served, objections, refusals,
//! and the separate consents addressed to the buyer as successor.
//!
//! ## Addressee conventions
//!
//! Every transfer event carries the purpose `transfer` and names a recipient. What counts for a buyer:
//!
//! - **Notice served**: addressed to the buyer as the path names it — successor on the PIPL Art 22 notice
//!   path, third party on the Art 23 consent path ([`crate::notice::buyer_recipient`]).
//! - **Objections and refusals** (answers to the notice): addressed to the seller ([`Recipient::Controller`],
//!   the party the customer deals with), to the buyer as successor, or to the buyer as third party — each
//!   counts, whoever it names. An answer addressed to another party belongs to another transfer and is
//!   passed over ([`Observed::OtherTransfer`]), unless it answers one of *this* transfer's notices: then it
//!   cannot be attributed and is [`TransferError::UnattributableAnswer`], never a silent drop.
//! - **Transfer consents** and their withdrawals stay the consent index's business (PIPL Arts 14, 15, 23):
//!   a consent naming the buyer as third party and one naming it as successor both count in the plan. On
//!   the consent path a consent to the successor counts only when it was given separately (PIPL Art 23),
//!   which this index records ([`ResponseKind::SeparateGrantToSuccessor`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use custodia_consent::{ConsentEvent, ConsentForm, ConsentRecord, EventKind, NoticeRef, PartyId, Recipient};
use custodia_ledger::{Log, LogStore};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};

use crate::error::TransferError;

/// What kind of transfer response an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseKind {
    /// The transfer notice or consent request was served (PIPL Arts 22, 23).
    NoticeServed,
    /// The customer objected to the transfer (PIPL Art 44), whenever and to whomever.
    Objected,
    /// The customer refused the consent request (PIPL Art 44; on the notice path a refusal is an objection).
    Refused,
    /// The customer (or a guardian) separately consented to the transfer, naming the buyer as successor
    /// (PIPL Art 23 asks for separateness on the consent path).
    SeparateGrantToSuccessor,
}

/// One response, as the planner needs it: kind, times, and the categories it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    kind: ResponseKind,
    effective: DateTime<Utc>,
    recorded: DateTime<Utc>,
    categories: CategorySet,
}

impl Response {
    /// The kind.
    pub fn kind(&self) -> ResponseKind {
        self.kind
    }

    /// When it took effect.
    pub fn effective(&self) -> DateTime<Utc> {
        self.effective
    }

    /// When it was recorded.
    pub fn recorded(&self) -> DateTime<Utc> {
        self.recorded
    }

    /// Whether it covers `category`.
    pub fn covers(&self, category: DataCategory) -> bool {
        self.categories.contains(category)
    }
}

/// What [`ResponseIndex::observe`] made of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Observed {
    /// A response of this transfer, kept.
    Kept(ResponseKind),
    /// A transfer event addressed to another party, of another transfer: passed over.
    OtherTransfer,
    /// Not a transfer response (another purpose, or a kind the consent index handles).
    NotAResponse,
}

/// The transfer responses of every customer, for one buyer. Built by streaming the consent ledger once
/// ([`ResponseIndex::from_log`]) or by feeding events ([`ResponseIndex::observe`]); it keeps a few bytes per
/// response, never a customer's personal information. See the module docs for which addressees count.
#[derive(Clone, Debug)]
pub struct ResponseIndex {
    buyer: PartyId,
    notices: Vec<NoticeRef>,
    by_customer: HashMap<CustomerId, Vec<Response>>,
    other_transfers: u64,
}

impl ResponseIndex {
    /// An empty index of responses for `buyer`'s transfer.
    pub fn new(buyer: PartyId) -> Self {
        Self {
            buyer,
            notices: Vec::new(),
            by_customer: HashMap::new(),
            other_transfers: 0,
        }
    }

    /// The same index, knowing this transfer's notices: an answer to one of them that names another party
    /// than the seller or this buyer is then [`TransferError::UnattributableAnswer`].
    pub fn answering(mut self, notices: impl IntoIterator<Item = NoticeRef>) -> Self {
        self.notices.extend(notices);
        self
    }

    /// Reads every consent record of `log`, in order. Entries that are not consent records (other payloads
    /// on a shared ledger) and redacted entries are skipped.
    pub fn from_log<S: LogStore>(log: &Log<S>, buyer: PartyId) -> Result<Self, TransferError> {
        Self::new(buyer).read(log)
    }

    /// Reads every consent record of `log` into this index (see [`ResponseIndex::from_log`]).
    pub fn read<S: LogStore>(mut self, log: &Log<S>) -> Result<Self, TransferError> {
        for i in 0..log.size() {
            let entry = log.entry(i)?;
            let Some(payload) = entry.payload() else {
                continue;
            };
            if !ConsentRecord::is_consent_payload(payload) {
                continue;
            }
            if let ConsentRecord::Event(event) = ConsentRecord::decode(i, payload)? {
                self.observe(&event)?;
            }
        }
        Ok(self)
    }

    /// Takes note of `event` if it is a response of this transfer (see the module docs).
    pub fn observe(&mut self, event: &ConsentEvent) -> Result<Observed, TransferError> {
        let scope = event.scope();
        if !scope.purposes().contains(&Purpose::Transfer) {
            return Ok(Observed::NotAResponse);
        }
        let recipient = scope.recipient();
        let to_buyer = recipient.party() == Some(self.buyer);
        let to_seller = recipient == Recipient::Controller;
        let kind = match event.kind() {
            EventKind::NoticeServed if to_buyer => ResponseKind::NoticeServed,
            EventKind::NoticeServed => return Ok(self.elsewhere(event)),
            EventKind::Objected if to_buyer || to_seller => ResponseKind::Objected,
            EventKind::Refused if to_buyer || to_seller => ResponseKind::Refused,
            EventKind::Objected | EventKind::Refused => {
                if self.notices.contains(&event.notice()) {
                    return Err(TransferError::UnattributableAnswer {
                        event: event.id().to_string(),
                        reason: "it answers this transfer's notice but names another recipient",
                    });
                }
                return Ok(self.elsewhere(event));
            }
            EventKind::Granted | EventKind::GuardianGranted { .. }
                if recipient == Recipient::Successor(self.buyer) && event.form() == ConsentForm::Separate =>
            {
                ResponseKind::SeparateGrantToSuccessor
            }
            _ => return Ok(Observed::NotAResponse),
        };
        let categories: CategorySet = scope.categories().iter().collect();
        self.by_customer
            .entry(event.customer())
            .or_default()
            .push(Response {
                kind,
                effective: event.effective_at(),
                recorded: event.recorded_at(),
                categories,
            });
        Ok(Observed::Kept(kind))
    }

    fn elsewhere(&mut self, _event: &ConsentEvent) -> Observed {
        self.other_transfers += 1;
        Observed::OtherTransfer
    }

    /// The earliest response of `kind` for `customer` and `category` that took effect by `at` and was
    /// recorded by `as_of` (bitemporal, like the consent index).
    pub fn earliest(
        &self,
        customer: CustomerId,
        category: DataCategory,
        kind: ResponseKind,
        at: DateTime<Utc>,
        as_of: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.by_customer
            .get(&customer)?
            .iter()
            .filter(|r| r.kind == kind && r.covers(category) && r.effective <= at && r.recorded <= as_of)
            .map(|r| r.effective)
            .min()
    }

    /// How many customers have at least one response.
    pub fn customers(&self) -> usize {
        self.by_customer.len()
    }

    /// How many transfer events addressed to other parties (other transfers) were passed over.
    pub fn other_transfers(&self) -> u64 {
        self.other_transfers
    }
}
