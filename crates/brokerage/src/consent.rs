//! Consent on the brokerage's ledger: notices and events recorded once each (by id), a per-customer index of their ledger entries in the records table, and the bounded consent view one batch of customers needs.
//!
//! This module and `planning.rs` are the only places that build a `ConsentIndex` or a `ResponseIndex`: a
//! whole-book index would hold every event of every customer in memory (about 64 bytes an event), so a
//! step reads, for one batch of customers at a time, the notices and just those customers' entries —
//! found through `consent/by-customer` — and builds a small index over them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::NaiveDate;
use custodia_consent::{
    BasisPolicy, ConsentEvent, ConsentIndex, ConsentRecord, Digest, EventDraft, EventKind, Notice, PartyId,
};
use custodia_ledger::LogStore;
use custodia_model::{CustomerId, Purpose};
use custodia_store::{Inserted, KeyRange, Records};
use custodia_transfer::ResponseIndex;
use serde::Serialize;

use crate::brokerage::{Brokerage, Ledger};
use crate::error::BrokerageError;
use crate::records::{self, BY_CUSTOMER, CUSTOMERS, EVENTS, NOTICES};

/// What recording consent events did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Recorded {
    /// Events appended to the ledger now.
    pub recorded: u64,
    /// Events already on the ledger (the same id and content): skipped, never counted twice.
    pub already: u64,
    /// The ledger index of the first event appended now, if any.
    pub first_index: Option<u64>,
}

/// What recording one consent event for a client that retries did ([`Brokerage::record_consent_event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecordedEvent {
    /// The event's ledger entry: appended now, or the one a previous attempt appended.
    pub entry_index: u64,
    /// Whether it was appended by this call (false: an earlier attempt with the same id already had).
    pub fresh: bool,
}

/// The marker of a recorded notice or event: its ledger index and the digest of its record.
fn marker(index: u64, digest: &Digest) -> Vec<u8> {
    let mut value = index.to_be_bytes().to_vec();
    value.extend_from_slice(digest.as_bytes());
    value
}

fn notice_key(notice: &Notice) -> Vec<u8> {
    reference_key(notice.reference())
}

fn reference_key(r: custodia_consent::NoticeRef) -> Vec<u8> {
    let mut key = r.id.as_bytes().to_vec();
    key.extend_from_slice(&r.version.to_be_bytes());
    key
}

impl Brokerage {
    /// Publishes a notice version on the ledger (PIPL Art 17) and returns its ledger index. Publishing the
    /// same notice again returns the index it already has; another notice with the same id and version is
    /// refused ([`BrokerageError::NoticeConflict`]).
    pub fn publish_notice(&self, notice: &Notice) -> Result<u64, BrokerageError> {
        self.write(|log| self.publish_notice_in(log, notice))
    }

    pub(crate) fn publish_notice_in(&self, log: &mut Ledger, notice: &Notice) -> Result<u64, BrokerageError> {
        let record = ConsentRecord::Notice(notice.clone());
        let payload = record.encode()?;
        let digest = Digest::of(&payload);
        let key = notice_key(notice);
        if let Some(existing) = self.store.record(NOTICES, &key)? {
            let index = records::u64_at(NOTICES.as_str(), &key, &existing, 0)?;
            if existing.get(8..) != Some(digest.as_bytes().as_slice()) {
                return Err(BrokerageError::NoticeConflict {
                    notice: notice.reference().id.to_string(),
                    version: notice.reference().version,
                });
            }
            return Ok(index);
        }
        let index = log.append(&[payload.as_slice()])?.first_index();
        self.store.put_record(NOTICES, &key, &marker(index, &digest))?;
        Ok(index)
    }

    /// Records consent events on the ledger in one transaction: grants, refusals, withdrawals,
    /// objections, notices served — each once. An event whose id is already recorded with the same
    /// content is skipped (so a call repeated after a crash or a retry counts nothing twice); with other
    /// content it is refused ([`BrokerageError::EventConflict`]) and nothing is recorded.
    pub fn record_consent(&self, events: &[ConsentEvent]) -> Result<Recorded, BrokerageError> {
        self.write(|log| self.record_consent_in(log, events))
    }

    /// Records one consent event for a client that may retry (a request over a network whose answer was
    /// lost): the event id is the client's idempotency key. The first call appends the event; a later call
    /// with the same id and the same content — the time of recording aside, which each attempt sets anew —
    /// appends nothing and returns the entry the first appended, so an event is on the ledger once however
    /// often it is sent (PIPL Art 14: the consent on record is the one given). The same id with other
    /// content is refused ([`BrokerageError::EventConflict`]); a customer without a record here is
    /// [`BrokerageError::UnknownCustomer`], and an event citing a notice version not published here is
    /// refused on field `notice` (the person must have been told, PIPL Art 17).
    pub fn record_consent_event(&self, event: &ConsentEvent) -> Result<RecordedEvent, BrokerageError> {
        let customer = event.customer();
        let conflict = || BrokerageError::EventConflict {
            event: event.id().to_string(),
        };
        self.write(|log| {
            if self
                .store
                .record(CUSTOMERS, &records::customer_key(customer))?
                .is_none()
            {
                return Err(BrokerageError::UnknownCustomer { customer });
            }
            let notice = event.fields().notice;
            if self.store.record(NOTICES, &reference_key(notice))?.is_none() {
                return Err(BrokerageError::InvalidInput {
                    field: "notice",
                    reason: format!(
                        "notice {} version {} is not published here",
                        notice.id, notice.version
                    ),
                });
            }
            let key = event.id().as_bytes().to_vec();
            if let Some(existing) = self.store.record(EVENTS, &key)? {
                let index = records::u64_at(EVENTS.as_str(), &key, &existing, 0)?;
                let entry = log.entry(index)?;
                let Some(payload) = entry.payload() else {
                    return Err(conflict());
                };
                return match ConsentRecord::decode(index, payload)? {
                    ConsentRecord::Event(stored)
                        if EventDraft {
                            recorded_at: event.fields().recorded_at,
                            ..stored.fields().clone()
                        } == *event.fields() =>
                    {
                        Ok(RecordedEvent {
                            entry_index: index,
                            fresh: false,
                        })
                    }
                    _ => Err(conflict()),
                };
            }
            let recorded = self.record_consent_in(log, std::slice::from_ref(event))?;
            Ok(RecordedEvent {
                entry_index: recorded.first_index.ok_or_else(conflict)?,
                fresh: true,
            })
        })
    }

    /// Every consent event on the ledger about `customer`, with its entry index, found by reading the
    /// whole ledger (not the consent index the brokerage keeps): what an auditor counts when checking that
    /// each event is recorded once. O(entries): an audit, not a per-request call.
    pub fn consent_events_of(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<(u64, ConsentEvent)>, BrokerageError> {
        const PAGE: u64 = 4096;
        let log = self.log();
        let mut out = Vec::new();
        let mut start = 0;
        while start < log.size() {
            let end = (start + PAGE).min(log.size());
            for entry in log.entries(start..end)? {
                let Some(payload) = entry.payload() else {
                    continue;
                };
                if !ConsentRecord::is_consent_payload(payload) {
                    continue;
                }
                if let ConsentRecord::Event(event) = ConsentRecord::decode(entry.index(), payload)?
                    && event.customer() == customer
                {
                    out.push((entry.index(), event));
                }
            }
            start = end;
        }
        Ok(out)
    }

    pub(crate) fn record_consent_in(
        &self,
        log: &mut Ledger,
        events: &[ConsentEvent],
    ) -> Result<Recorded, BrokerageError> {
        let mut fresh: Vec<(&ConsentEvent, Vec<u8>, Digest)> = Vec::with_capacity(events.len());
        let mut done = Recorded::default();
        for event in events {
            let payload = ConsentRecord::Event(event.clone()).encode()?;
            let digest = Digest::of(&payload);
            let key = event.id().as_bytes().to_vec();
            if let Some(existing) = self.store.record(EVENTS, &key)? {
                if existing.get(8..) != Some(digest.as_bytes().as_slice()) {
                    return Err(BrokerageError::EventConflict {
                        event: event.id().to_string(),
                    });
                }
                done.already += 1;
                continue;
            }
            if fresh.iter().any(|(e, _, _)| e.id() == event.id()) {
                done.already += 1;
                continue;
            }
            fresh.push((event, payload, digest));
        }
        if fresh.is_empty() {
            return Ok(done);
        }
        let slices: Vec<&[u8]> = fresh.iter().map(|(_, p, _)| p.as_slice()).collect();
        let appended = log.append(&slices)?;
        for (index, (event, _, digest)) in appended.indices().zip(&fresh) {
            let key = event.id().as_bytes().to_vec();
            if let Inserted::AlreadyPresent(_) =
                self.store.insert_record(EVENTS, &key, &marker(index, digest))?
            {
                return Err(BrokerageError::EventConflict {
                    event: event.id().to_string(),
                });
            }
            self.store
                .put_record(BY_CUSTOMER, &records::indexed_key(event.customer(), index), &[])?;
        }
        done.recorded = fresh.len() as u64;
        done.first_index = Some(appended.first_index());
        Ok(done)
    }

    /// A consent receipt for `customer`'s consent event `event` (ISO/IEC TS 27560; `spec/consent-receipt.md`):
    /// the record's fields, the event's and its notice's ledger entries with their inclusion proofs, against
    /// a checkpoint signed now. The customer, or a regulator, checks it offline with the brokerage's ledger
    /// key alone (`ConsentReceipt::verify` with [`Brokerage::public_keys`]' `ledger`): the controller can
    /// show the consent and what the person was told (PIPL Arts 14, 17; GDPR Art 7(1)). An event that is
    /// not recorded here, or is another customer's, is refused by id.
    pub fn consent_receipt(
        &self,
        customer: CustomerId,
        event: custodia_consent::EventId,
    ) -> Result<custodia_consent::ConsentReceipt, BrokerageError> {
        let not_theirs = || BrokerageError::InvalidInput {
            field: "event",
            reason: format!("{event} is not a consent event recorded here for customer {customer}"),
        };
        let marker = self
            .store
            .record(EVENTS, event.as_bytes())?
            .ok_or_else(not_theirs)?;
        let index = records::u64_at(EVENTS.as_str(), event.as_bytes(), &marker, 0)?;
        let view = self.consent_view(&[customer], self.policy.clone(), None)?;
        let checkpoint = self.checkpoint()?;
        let receipt = custodia_consent::ConsentReceipt::issue(&self.log(), &view.index, index, &checkpoint)?;
        if receipt.fields().pii_principal_id != customer {
            return Err(not_theirs());
        }
        Ok(receipt)
    }

    /// The consent event recorded here under `event`, with its ledger index, or `None` when no event has
    /// that id. Read back from the ledger entry its marker names, so what comes back is what the ledger
    /// holds (PIPL Arts 14, 15: the controller can show each answer as recorded). A caller that derives an
    /// event's id from something used once — a one-time link's nonce — learns from this whether that thing
    /// was used: the record is durable and shared by every process on the store.
    pub fn consent_event(
        &self,
        event: custodia_consent::EventId,
    ) -> Result<Option<(u64, ConsentEvent)>, BrokerageError> {
        let Some(marker) = self.store.record(EVENTS, event.as_bytes())? else {
            return Ok(None);
        };
        let index = records::u64_at(EVENTS.as_str(), event.as_bytes(), &marker, 0)?;
        match self.consent_record_at(EVENTS.as_str(), event.as_bytes(), index)? {
            ConsentRecord::Event(found) if found.id() == event => Ok(Some((index, found))),
            _ => Err(BrokerageError::corrupt(
                EVENTS.as_str(),
                event.as_bytes(),
                "the marked entry is not this event",
            )),
        }
    }

    /// The notice version `notice` as published here (PIPL Art 17), or `None` when it is not.
    pub fn published_notice(
        &self,
        notice: custodia_consent::NoticeRef,
    ) -> Result<Option<Notice>, BrokerageError> {
        let mut key = notice.id.as_bytes().to_vec();
        key.extend_from_slice(&notice.version.to_be_bytes());
        let Some(marker) = self.store.record(NOTICES, &key)? else {
            return Ok(None);
        };
        let index = records::u64_at(NOTICES.as_str(), &key, &marker, 0)?;
        match self.consent_record_at(NOTICES.as_str(), &key, index)? {
            ConsentRecord::Notice(found) if found.reference() == notice => Ok(Some(found)),
            _ => Err(BrokerageError::corrupt(
                NOTICES.as_str(),
                &key,
                "the marked entry is not this notice",
            )),
        }
    }

    /// The consent record on the ledger at `index` (named by the record `key` of `namespace`).
    pub(crate) fn consent_record_at(
        &self,
        namespace: &'static str,
        key: &[u8],
        index: u64,
    ) -> Result<ConsentRecord, BrokerageError> {
        let entries = self.store.entries(index..index + 1)?;
        let payload = entries.first().and_then(|e| e.payload()).ok_or_else(|| {
            BrokerageError::corrupt(namespace, key, "the marked ledger entry has no payload")
        })?;
        Ok(ConsentRecord::decode(index, payload)?)
    }

    /// The ledger indices of every published notice, ascending.
    fn notice_indices(&self) -> Result<Vec<u64>, BrokerageError> {
        let mut out = Vec::new();
        records::scan_pages(&self.store, NOTICES, KeyRange::all(), 1024, &mut |page| {
            for r in page {
                out.push(records::u64_at(NOTICES.as_str(), &r.key, &r.value, 0)?);
            }
            Ok(())
        })?;
        out.sort_unstable();
        Ok(out)
    }

    /// The consent view of one batch of customers: a consent index over the notices and their events
    /// (deciding under `policy`), their transfer responses to `buyer` if asked, and their consent
    /// withdrawals by purpose (for the retention facts). Memory grows with the batch, never the book.
    pub(crate) fn consent_view(
        &self,
        customers: &[CustomerId],
        policy: BasisPolicy,
        buyer: Option<PartyId>,
    ) -> Result<ConsentView, BrokerageError> {
        let mut indices = self.notice_indices()?;
        for customer in customers {
            let prefix = records::customer_key(*customer);
            records::scan_pages(
                &self.store,
                BY_CUSTOMER,
                KeyRange::prefix(&prefix),
                1024,
                &mut |page| {
                    for r in page {
                        indices.push(records::u64_at(BY_CUSTOMER.as_str(), &r.key, &r.key, 16)?);
                    }
                    Ok(())
                },
            )?;
        }
        indices.sort_unstable();
        indices.dedup();
        let mut view = ConsentView {
            index: ConsentIndex::new(policy),
            responses: buyer.map(ResponseIndex::new),
            withdrawals: HashMap::new(),
        };
        // Contiguous runs of indices are read with one call each (a batch onboarded together has its
        // events side by side on the ledger).
        let mut start = 0;
        while start < indices.len() {
            let mut end = start + 1;
            while indices
                .get(end)
                .zip(indices.get(end - 1))
                .is_some_and(|(b, a)| *b == a + 1)
            {
                end += 1;
            }
            let (Some(first), Some(last)) = (indices.get(start), indices.get(end - 1)) else {
                break;
            };
            for entry in self.store.entries(*first..last + 1)? {
                let Some(payload) = entry.payload() else {
                    view.index.skip(entry.index())?;
                    continue;
                };
                if !ConsentRecord::is_consent_payload(payload) {
                    view.index.skip(entry.index())?;
                    continue;
                }
                let record = self.notices.decode(entry.index(), payload)?;
                if let ConsentRecord::Event(event) = &record {
                    view.observe(event)?;
                }
                view.index.insert(entry.index(), &record)?;
            }
            start = end;
        }
        Ok(view)
    }
}

/// How many decoded notices [`NoticeMemo`] keeps before it starts again (a brokerage publishes a few
/// notice versions a year).
const NOTICE_MEMO_LIMIT: usize = 256;

/// Decoded notice records keyed by ledger index, each with the payload bytes it was decoded from. Every
/// consent view takes in every published notice, and decoding one (its full text, purposes, recipients) was
/// most of a gated read's consent-basis cost; a view reads the payload bytes every time and reuses the
/// decoded notice only when they are byte for byte the ones decoded before — decoding is a pure function of
/// the bytes, so the view, and every answer drawn from it (PIPL Arts 13, 14), is the same as without the
/// memo, whichever process wrote the ledger. Events are never kept: only notices, which are public.
#[derive(Default)]
pub(crate) struct NoticeMemo(Mutex<HashMap<u64, (Vec<u8>, ConsentRecord)>>);

impl NoticeMemo {
    /// [`ConsentRecord::decode`] of the payload at `index`, through the memo for notices.
    pub(crate) fn decode(&self, index: u64, payload: &[u8]) -> Result<ConsentRecord, BrokerageError> {
        let mut memo = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, record)) = memo.get(&index)
            && seen.as_slice() == payload
        {
            return Ok(record.clone());
        }
        let record = ConsentRecord::decode(index, payload)?;
        if matches!(record, ConsentRecord::Notice(_)) {
            if memo.len() >= NOTICE_MEMO_LIMIT {
                memo.clear();
            }
            memo.insert(index, (payload.to_vec(), record.clone()));
        }
        Ok(record)
    }
}

/// The consent state of one batch of customers (see [`Brokerage::consent_view`]).
#[derive(Debug)]
pub(crate) struct ConsentView {
    pub(crate) index: ConsentIndex,
    pub(crate) responses: Option<ResponseIndex>,
    withdrawals: HashMap<CustomerId, Vec<(Purpose, NaiveDate)>>,
}

impl ConsentView {
    /// Takes note of `event`; an answer the response index cannot attribute to a party is an error, never
    /// passed over.
    fn observe(&mut self, event: &ConsentEvent) -> Result<(), BrokerageError> {
        if let Some(responses) = &mut self.responses {
            responses.observe(event)?;
        }
        if event.kind() == EventKind::Withdrawn {
            let on = event.effective_at().date_naive();
            let list = self.withdrawals.entry(event.customer()).or_default();
            for purpose in event.scope().purposes() {
                list.push((purpose.clone(), on));
            }
        }
        Ok(())
    }

    /// The customer's consent withdrawals, by purpose and day.
    pub(crate) fn withdrawals(&self, customer: CustomerId) -> &[(Purpose, NaiveDate)] {
        self.withdrawals.get(&customer).map(Vec::as_slice).unwrap_or(&[])
    }
}
