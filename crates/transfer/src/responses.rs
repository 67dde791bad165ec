//! Customers' responses to the transfer, read from the consent ledger: notices served, objections, refusals.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use custodia_consent::{ConsentEvent, ConsentRecord, EventKind, PartyId, Recipient};
use custodia_ledger::{Log, LogStore};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};

use crate::error::TransferError;

/// What kind of transfer response an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseKind {
    /// The transfer notice or consent request was served (PIPL Arts 22, 23).
    NoticeServed,
    /// The customer objected to the transfer (PIPL Art 44, within the notice path's window).
    Objected,
    /// The customer refused the consent request (PIPL Art 23).
    Refused,
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

/// The transfer responses of every customer, for one buyer. Built by streaming the consent ledger once
/// ([`ResponseIndex::from_log`]) or by feeding events ([`ResponseIndex::observe`]); it keeps a few bytes per
/// response, never a customer's personal information.
///
/// An event is a transfer response when its scope names [`Purpose::Transfer`] and the buyer as recipient
/// (successor or third party): a notice served, an objection, or a refusal.
#[derive(Clone, Debug)]
pub struct ResponseIndex {
    buyer: PartyId,
    by_customer: HashMap<CustomerId, Vec<Response>>,
}

impl ResponseIndex {
    /// An empty index of responses addressed to `buyer`.
    pub fn new(buyer: PartyId) -> Self {
        Self {
            buyer,
            by_customer: HashMap::new(),
        }
    }

    /// Reads every consent record of `log`, in order. Entries that are not consent records (other payloads
    /// on a shared ledger) and redacted entries are skipped.
    pub fn from_log<S: LogStore>(log: &Log<S>, buyer: PartyId) -> Result<Self, TransferError> {
        let mut index = Self::new(buyer);
        for i in 0..log.size() {
            let entry = log.entry(i)?;
            let Some(payload) = entry.payload() else {
                continue;
            };
            if !ConsentRecord::is_consent_payload(payload) {
                continue;
            }
            if let ConsentRecord::Event(event) = ConsentRecord::decode(i, payload)? {
                index.observe(&event);
            }
        }
        Ok(index)
    }

    /// Takes note of `event` if it is a transfer response to this buyer.
    pub fn observe(&mut self, event: &ConsentEvent) {
        let scope = event.scope();
        if !scope.purposes().contains(&Purpose::Transfer) {
            return;
        }
        let to_buyer = match scope.recipient() {
            Recipient::Successor(p) | Recipient::ThirdParty(p) => p == self.buyer,
            _ => false,
        };
        if !to_buyer {
            return;
        }
        let kind = match event.kind() {
            EventKind::NoticeServed => ResponseKind::NoticeServed,
            EventKind::Objected => ResponseKind::Objected,
            EventKind::Refused => ResponseKind::Refused,
            _ => return,
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
}
