//! The in-memory consent index by customer, rebuilt from the ledger, that answers `permits` in time
//! proportional to that customer's events, whatever the size of the book.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use chrono::{DateTime, Months, Utc};
use custodia_model::{CategorySet, Citation, CustomerId, Jurisdiction, Purpose};
use serde::{Deserialize, Serialize};

use crate::decision::{
    ConsentDecision, ConsentOutcome, ConsentReason, ConsentRule, Dimension, SeparateBecause, Subject,
};
use crate::error::ConsentError;
use crate::event::{ConsentEvent, ConsentForm, EventKind};
use crate::notice::{Notice, NoticeRef};
use crate::policy::{BasisPolicy, Regime};
use crate::record::ConsentRecord;
use crate::scope::{ProposedUse, Recipient};

/// Most distinct purposes the index holds: purposes are bits of a `u64` so that scope checks are one AND.
pub const MAX_PURPOSES: usize = 64;

/// Values seen once and referred to by a small number afterwards, so that ten million events do not carry
/// ten million copies of the same purpose, recipient or destination list.
#[derive(Debug, Clone)]
struct Interner<T> {
    ids: HashMap<T, u32>,
    values: Vec<T>,
}

impl<T: Eq + Hash + Clone> Interner<T> {
    fn new() -> Self {
        Self {
            ids: HashMap::new(),
            values: Vec::new(),
        }
    }

    fn intern(&mut self, value: &T, limit: usize, what: &'static str) -> Result<u32, ConsentError> {
        if let Some(id) = self.ids.get(value) {
            return Ok(*id);
        }
        let capacity = ConsentError::Capacity { what, limit };
        if self.values.len() >= limit {
            return Err(capacity);
        }
        let id = u32::try_from(self.values.len()).map_err(|_| capacity)?;
        self.ids.insert(value.clone(), id);
        self.values.push(value.clone());
        Ok(id)
    }

    fn get(&self, value: &T) -> Option<u32> {
        self.ids.get(value).copied()
    }

    fn value(&self, id: u32) -> Option<&T> {
        self.values.get(id as usize)
    }
}

/// The event kinds, without the guardian id the decision does not need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NoticeServed,
    Granted,
    GuardianGranted,
    Refused,
    Withdrawn,
    Objected,
}

impl Kind {
    fn of(kind: EventKind) -> Self {
        match kind {
            EventKind::NoticeServed => Kind::NoticeServed,
            EventKind::Granted => Kind::Granted,
            EventKind::GuardianGranted { .. } => Kind::GuardianGranted,
            EventKind::Refused => Kind::Refused,
            EventKind::Withdrawn => Kind::Withdrawn,
            EventKind::Objected => Kind::Objected,
        }
    }

    fn is_grant(self) -> bool {
        matches!(self, Kind::Granted | Kind::GuardianGranted)
    }

    /// The public kind for reasons; only called on the kinds that end grants, which carry no payload.
    fn ending(self) -> EventKind {
        match self {
            Kind::Refused => EventKind::Refused,
            Kind::Objected => EventKind::Objected,
            _ => EventKind::Withdrawn,
        }
    }

    fn ends_grants(self) -> bool {
        matches!(self, Kind::Refused | Kind::Withdrawn | Kind::Objected)
    }
}

/// One event in 64 bytes: times as microseconds, sets as bit masks or interned ids.
#[derive(Debug, Clone)]
struct CompactEvent {
    index: u64,
    effective: i64,
    recorded: i64,
    /// `i64::MAX` when the grant does not expire.
    expires: i64,
    purposes: u64,
    categories: CategorySet,
    recipient: u32,
    destinations: u32,
    notice: u32,
    kind: Kind,
    separate: bool,
}

#[derive(Debug, Clone)]
struct CompactNotice {
    index: u64,
    notice: Notice,
    purposes: u64,
    categories: CategorySet,
    /// Interned recipients, sorted.
    recipients: Vec<u32>,
    /// Sorted.
    destinations: Vec<Jurisdiction>,
}

/// Microseconds since the Unix epoch. Every time chrono can represent fits in an `i64` of microseconds
/// (±262,143 years), so this is total. The index compares times at microsecond resolution.
fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn purpose_bit(id: u32) -> u64 {
    // Interned purpose ids are below MAX_PURPOSES (64), so the shift never overflows; 0 would match nothing.
    1u64.checked_shl(id).unwrap_or(0)
}

/// A recipient who must be told of a withdrawal, and the ledger entries that show it received the data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Propagation {
    /// Who must be told.
    pub recipient: Recipient,
    /// Ledger indices of the grants (and, for a successor, the PIPL Art 22 notice) through which it received
    /// data in the withdrawn scope.
    pub because: Vec<u64>,
    /// The duty to tell: PIPL Art 22 / Art 23 (the recipient processes only within the person's consent),
    /// GDPR Art 17(2) and 19.
    pub citation: Citation,
}

/// Counts, for reports and capacity planning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IndexStats {
    /// Customers with at least one event.
    pub customers: usize,
    /// Events indexed.
    pub events: usize,
    /// Notice versions indexed.
    pub notices: usize,
    /// Ledger entries skipped because they were not consent records (other crates' entries, redactions).
    pub skipped: usize,
}

/// All consent events grouped by customer, with the notices they refer to and the basis policy. Built by
/// inserting ledger entries in ledger order; a query touches only the customer asked about.
#[derive(Debug, Clone)]
pub struct ConsentIndex {
    policy: BasisPolicy,
    purposes: Interner<Purpose>,
    recipients: Interner<Recipient>,
    destination_sets: Interner<Vec<Jurisdiction>>,
    notice_refs: Interner<NoticeRef>,
    notices: Vec<Option<CompactNotice>>,
    customers: HashMap<CustomerId, Vec<CompactEvent>>,
    last: Option<u64>,
    events: usize,
    notice_count: usize,
    skipped: usize,
}

/// The use, translated once into the index's compact terms.
struct Query {
    purpose: u64,
    category: CategorySet,
    recipient: Option<u32>,
    controller: Option<u32>,
    abroad: bool,
    destination: Jurisdiction,
}

impl ConsentIndex {
    /// An empty index deciding under `policy`.
    pub fn new(policy: BasisPolicy) -> Self {
        Self {
            policy,
            purposes: Interner::new(),
            recipients: Interner::new(),
            destination_sets: Interner::new(),
            notice_refs: Interner::new(),
            notices: Vec::new(),
            customers: HashMap::new(),
            last: None,
            events: 0,
            notice_count: 0,
            skipped: 0,
        }
    }

    /// The policy `permits` decides under.
    pub fn policy(&self) -> &BasisPolicy {
        &self.policy
    }

    /// Counts of what is indexed.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            customers: self.customers.len(),
            events: self.events,
            notices: self.notice_count,
            skipped: self.skipped,
        }
    }

    /// The last ledger index taken in, if any.
    pub fn last_index(&self) -> Option<u64> {
        self.last
    }

    /// A notice version, if indexed.
    pub fn notice(&self, reference: NoticeRef) -> Option<&Notice> {
        let id = self.notice_refs.get(&reference)?;
        self.notices
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(|n| &n.notice)
    }

    /// The ledger index where a notice version was recorded.
    pub fn notice_entry(&self, reference: NoticeRef) -> Option<u64> {
        let id = self.notice_refs.get(&reference)?;
        self.notices
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(|n| n.index)
    }

    fn check_order(&self, index: u64) -> Result<(), ConsentError> {
        match self.last {
            Some(last) if index <= last => Err(ConsentError::IndexOrder { index, last }),
            _ => Ok(()),
        }
    }

    /// Takes in the payload stored at ledger index `index`. Entries that are not consent payloads (another
    /// crate's, or a redacted one) are counted and skipped, returning `Ok(false)`; a consent payload that
    /// does not decode is an error naming the index. Indices must increase.
    pub fn insert_payload(&mut self, index: u64, bytes: &[u8]) -> Result<bool, ConsentError> {
        self.check_order(index)?;
        if !ConsentRecord::is_consent_payload(bytes) {
            self.skip(index)?;
            return Ok(false);
        }
        let record = ConsentRecord::decode(index, bytes)?;
        self.insert(index, &record)?;
        Ok(true)
    }

    /// Records that ledger index `index` holds nothing for this index (a redacted entry), so that the
    /// order check still sees it.
    pub fn skip(&mut self, index: u64) -> Result<(), ConsentError> {
        self.check_order(index)?;
        self.skipped += 1;
        self.last = Some(index);
        Ok(())
    }

    /// Returns spare capacity to the allocator: after a rebuild each customer's event list is exactly as
    /// long as it needs to be (vectors grow by doubling, which at ten events a customer would waste about
    /// a third of the index's memory).
    pub fn shrink_to_fit(&mut self) {
        for events in self.customers.values_mut() {
            events.shrink_to_fit();
        }
        self.customers.shrink_to_fit();
    }

    /// Forgets every event of `customer`, after their ledger entries were redacted (PIPL Art 47 erasure),
    /// so that the live index agrees with what a rebuild would find. Returns how many events were dropped.
    pub fn forget_customer(&mut self, customer: CustomerId) -> usize {
        let dropped = self.customers.remove(&customer).map_or(0, |v| v.len());
        self.events = self.events.saturating_sub(dropped);
        dropped
    }

    /// Checks, without changing anything, that [`ConsentIndex::insert`] would take in `records` one after
    /// the other: no notice version that conflicts with one indexed or earlier in the batch, and room for
    /// every new purpose. [`crate::ConsentLedger`] runs this before it appends, so that an entry the index
    /// would refuse never reaches the ledger (where it would stay for ever and block every rebuild).
    pub fn check(&self, records: &[ConsentRecord]) -> Result<(), ConsentError> {
        let mut new_purposes: Vec<&Purpose> = Vec::new();
        let mut batch_notices: Vec<&Notice> = Vec::new();
        for record in records {
            let purposes: Vec<&Purpose> = match record {
                ConsentRecord::Notice(n) => {
                    let r = n.reference();
                    let earlier = self
                        .notice(r)
                        .into_iter()
                        .chain(batch_notices.iter().copied().filter(|b| b.reference() == r));
                    for known in earlier {
                        if known != n {
                            return Err(ConsentError::ConflictingNotice {
                                notice: r.id.to_string(),
                                version: r.version,
                            });
                        }
                    }
                    batch_notices.push(n);
                    n.fields().purposes.iter().collect()
                }
                ConsentRecord::Event(e) => e.scope().purposes().iter().collect(),
            };
            for p in purposes {
                if self.purposes.get(p).is_none() && !new_purposes.contains(&p) {
                    new_purposes.push(p);
                }
            }
        }
        if self.purposes.values.len() + new_purposes.len() > MAX_PURPOSES {
            return Err(ConsentError::Capacity {
                what: "purposes",
                limit: MAX_PURPOSES,
            });
        }
        Ok(())
    }

    /// Takes in a decoded record stored at ledger index `index`. Indices must increase, so that replaying
    /// the ledger twice, or out of order, is caught rather than double counted.
    pub fn insert(&mut self, index: u64, record: &ConsentRecord) -> Result<(), ConsentError> {
        self.check_order(index)?;
        match record {
            ConsentRecord::Notice(n) => self.insert_notice(index, n)?,
            ConsentRecord::Event(e) => self.insert_event(index, e)?,
        }
        self.last = Some(index);
        Ok(())
    }

    fn purpose_mask<'a>(
        &mut self,
        purposes: impl IntoIterator<Item = &'a Purpose>,
    ) -> Result<u64, ConsentError> {
        let mut mask = 0u64;
        for p in purposes {
            mask |= purpose_bit(self.purposes.intern(p, MAX_PURPOSES, "purposes")?);
        }
        Ok(mask)
    }

    fn insert_notice(&mut self, index: u64, notice: &Notice) -> Result<(), ConsentError> {
        let fields = notice.fields();
        let id = self
            .notice_refs
            .intern(&notice.reference(), u32::MAX as usize, "notice versions")?;
        if let Some(Some(existing)) = self.notices.get(id as usize) {
            if existing.notice == *notice {
                return Ok(());
            }
            return Err(ConsentError::ConflictingNotice {
                notice: fields.id.to_string(),
                version: fields.version,
            });
        }
        let purposes = self.purpose_mask(&fields.purposes)?;
        let categories: CategorySet = fields.categories.iter().collect();
        let mut recipients = Vec::with_capacity(fields.recipients.len());
        for r in &fields.recipients {
            recipients.push(
                self.recipients
                    .intern(&r.recipient, u32::MAX as usize, "recipients")?,
            );
        }
        recipients.sort_unstable();
        let compact = CompactNotice {
            index,
            notice: notice.clone(),
            purposes,
            categories,
            recipients,
            destinations: fields.destinations.iter().copied().collect(),
        };
        let slot = id as usize;
        if self.notices.len() <= slot {
            self.notices.resize_with(slot + 1, || None);
        }
        if let Some(entry) = self.notices.get_mut(slot) {
            *entry = Some(compact);
        }
        self.notice_count += 1;
        Ok(())
    }

    fn insert_event(&mut self, index: u64, event: &ConsentEvent) -> Result<(), ConsentError> {
        let f = event.fields();
        let scope = &f.scope;
        let compact = CompactEvent {
            index,
            effective: micros(f.effective_at),
            recorded: micros(f.recorded_at),
            expires: f.expires_at.map(micros).unwrap_or(i64::MAX),
            purposes: self.purpose_mask(scope.purposes())?,
            categories: scope.categories().iter().collect(),
            recipient: self
                .recipients
                .intern(&scope.recipient(), u32::MAX as usize, "recipients")?,
            destinations: self.destination_sets.intern(
                &scope.destinations().iter().copied().collect(),
                u32::MAX as usize,
                "destination sets",
            )?,
            notice: self
                .notice_refs
                .intern(&f.notice, u32::MAX as usize, "notice versions")?,
            kind: Kind::of(f.kind),
            separate: f.form == ConsentForm::Separate,
        };
        let events = self.customers.entry(f.customer).or_default();
        // Kept sorted by (effective time, ledger index): the order in which events took effect, ties broken
        // by the order they were recorded. Usually this appends.
        let key = (compact.effective, compact.index);
        let at = events.partition_point(|e| (e.effective, e.index) <= key);
        events.insert(at, compact);
        self.events += 1;
        Ok(())
    }

    fn compact_notice(&self, id: u32) -> Option<&CompactNotice> {
        self.notices.get(id as usize).and_then(Option::as_ref)
    }

    fn destinations(&self, id: u32) -> &[Jurisdiction] {
        self.destination_sets.value(id).map(Vec::as_slice).unwrap_or(&[])
    }

    fn query(&self, use_: &ProposedUse) -> Query {
        Query {
            purpose: self.purposes.get(use_.purpose()).map(purpose_bit).unwrap_or(0),
            category: CategorySet::from([use_.category()]),
            recipient: self.recipients.get(&use_.recipient()),
            controller: self.recipients.get(&Recipient::Controller),
            abroad: use_.is_cross_border(),
            destination: use_.destination(),
        }
    }

    /// Whether a withdrawal, refusal or objection reaches the use (ignoring recipient): an empty destination
    /// list means every destination; a non-empty one only those abroad.
    fn ending_reaches(&self, e: &CompactEvent, q: &Query) -> bool {
        let dests = self.destinations(e.destinations);
        e.purposes & q.purpose != 0
            && e.categories.intersects(q.category)
            && (dests.is_empty() || (q.abroad && dests.binary_search(&q.destination).is_ok()))
    }

    /// May `use_` of `subject`'s data happen at `at`, as the ledger knew it at `as_of`? Decided under the
    /// index's policy. See [`ConsentIndex::permits_under`].
    pub fn permits(
        &self,
        subject: &Subject,
        use_: &ProposedUse,
        at: DateTime<Utc>,
        as_of: DateTime<Utc>,
    ) -> ConsentDecision {
        self.permits_under(&self.policy, subject, use_, at, as_of)
    }

    /// May `use_` happen at `at` (valid time), judged only on events recorded at or before `as_of`
    /// (transaction time)? An auditor asks with a past `as_of` what the system would have answered then.
    ///
    /// The rules, each named in the reasons with its article:
    /// - the purpose needs a basis in `policy`; a basis other than consent permits without consent
    ///   (PIPL Art 13);
    /// - otherwise some grant, effective at or before `at`, must cover purpose, category, recipient and
    ///   destination (PIPL Arts 14, 23, 39), and its notice version must have disclosed them: a grant under
    ///   an older notice does not reach what a material change added (PIPL Art 14);
    /// - sensitive categories, minors' data, third parties and destinations abroad need a separate grant
    ///   (PIPL Arts 28, 29, 23, 39);
    /// - a grant made while the person was under the guardian age must come from a guardian (PIPL Art 31);
    /// - a grant ends at its expiry, and at the effective time of a later withdrawal, refusal or objection
    ///   that reaches the use; nothing ends retroactively (PIPL Art 15);
    /// - a successor inherits the controller's grants once the person was served a notice naming it
    ///   (PIPL Art 22).
    ///
    /// Time is proportional to the number of this customer's events.
    pub fn permits_under(
        &self,
        policy: &BasisPolicy,
        subject: &Subject,
        use_: &ProposedUse,
        at: DateTime<Utc>,
        as_of: DateTime<Utc>,
    ) -> ConsentDecision {
        let regime = policy.regime();
        let reason = |rule: ConsentRule, entry: Option<u64>| ConsentReason {
            rule,
            citation: rule.citation(regime),
            entry,
        };
        let Some(purpose_rule) = policy.rule(use_.purpose()) else {
            return ConsentDecision::new(
                ConsentOutcome::Denied,
                None,
                vec![],
                vec![reason(ConsentRule::NoBasis, None)],
            );
        };
        if !purpose_rule.basis.requires_consent() {
            return ConsentDecision::new(
                ConsentOutcome::Permitted,
                Some(purpose_rule.basis),
                vec![],
                vec![ConsentReason {
                    rule: ConsentRule::BasisWithoutConsent,
                    citation: purpose_rule.citation.clone(),
                    entry: None,
                }],
            );
        }
        let basis = Some(purpose_rule.basis);
        let (at_us, as_of_us) = (micros(at), micros(as_of));
        let events: &[CompactEvent] = self
            .customers
            .get(&subject.customer())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let q = self.query(use_);
        let adult_from = adult_from(subject, policy.guardian_age_years());

        let mut separate_needed = Vec::new();
        if use_.category().is_sensitive() {
            separate_needed.push(SeparateBecause::SensitiveCategory);
        }
        if at_us < adult_from {
            separate_needed.push(SeparateBecause::MinorData);
        }
        if matches!(use_.recipient(), Recipient::ThirdParty(_)) {
            separate_needed.push(SeparateBecause::ThirdParty);
        }
        if q.abroad {
            separate_needed.push(SeparateBecause::CrossBorder);
        }

        let known = |e: &&CompactEvent| e.recorded <= as_of_us && e.effective <= at_us;
        let is_successor = matches!(use_.recipient(), Recipient::Successor(_));
        let successor_notice = match (is_successor, q.recipient) {
            (true, Some(r)) => events
                .iter()
                .filter(known)
                .filter(|e| e.kind == Kind::NoticeServed)
                .find(|e| {
                    self.compact_notice(e.notice)
                        .is_some_and(|n| n.recipients.binary_search(&r).is_ok())
                })
                .map(|e| e.index),
            _ => None,
        };

        // One backward pass: an ending event only affects grants before it, so walking from the latest
        // event back, "has a later ending event reached the use" is a flag carried along.
        let mut ended_for_use: Option<(u64, EventKind)> = None;
        let mut ended_for_controller: Option<(u64, EventKind)> = None;
        let mut covering = Vec::new();
        let mut failed: Vec<Vec<ConsentReason>> = Vec::new();
        let mut evidence = Vec::new();
        for e in events.iter().rev().filter(known) {
            if e.kind.ends_grants() {
                if self.ending_reaches(e, &q) {
                    if Some(e.recipient) == q.recipient {
                        ended_for_use = Some((e.index, e.kind.ending()));
                    }
                    if Some(e.recipient) == q.controller {
                        ended_for_controller = Some((e.index, e.kind.ending()));
                    }
                }
                continue;
            }
            if !e.kind.is_grant() {
                continue;
            }
            // A grant about another purpose or category is not a candidate: saying so for every such grant
            // would bury the reasons that matter. No candidate at all is `NoConsent`.
            let (purpose_ok, category_ok) =
                (e.purposes & q.purpose != 0, e.categories.intersects(q.category));
            if !(purpose_ok && category_ok) {
                continue;
            }
            let entry = Some(e.index);
            let mut fails = Vec::new();
            let via_controller = is_successor && Some(e.recipient) == q.controller;
            let recipient_ok = if Some(e.recipient) == q.recipient {
                true
            } else if via_controller {
                if successor_notice.is_none() {
                    fails.push(reason(ConsentRule::SuccessorNotNotified, entry));
                }
                successor_notice.is_some()
            } else {
                fails.push(reason(ConsentRule::OutsideScope(Dimension::Recipient), entry));
                false
            };
            let destination_ok = !q.abroad
                || self
                    .destinations(e.destinations)
                    .binary_search(&q.destination)
                    .is_ok();
            if !destination_ok {
                fails.push(reason(ConsentRule::OutsideScope(Dimension::Destination), entry));
            }
            match self.compact_notice(e.notice) {
                None => fails.push(reason(ConsentRule::UnknownNotice, entry)),
                Some(n) => {
                    let named =
                        Some(e.recipient) == q.controller || n.recipients.binary_search(&e.recipient).is_ok();
                    for (scope_ok, notice_ok, dim) in [
                        (purpose_ok, n.purposes & q.purpose != 0, Dimension::Purpose),
                        (
                            category_ok,
                            n.categories.intersects(q.category),
                            Dimension::Category,
                        ),
                        (recipient_ok, named, Dimension::Recipient),
                        (
                            destination_ok,
                            !q.abroad || n.destinations.binary_search(&q.destination).is_ok(),
                            Dimension::Destination,
                        ),
                    ] {
                        if scope_ok && !notice_ok {
                            fails.push(reason(ConsentRule::NotInNotice(dim), entry));
                        }
                    }
                }
            }
            if !e.separate {
                for because in &separate_needed {
                    fails.push(reason(ConsentRule::SeparateConsentRequired(*because), entry));
                }
            }
            if e.effective < adult_from && e.kind != Kind::GuardianGranted {
                fails.push(reason(ConsentRule::GuardianConsentRequired, entry));
            }
            if e.expires <= at_us {
                fails.push(reason(ConsentRule::Expired, entry));
            }
            let ended = if via_controller {
                ended_for_use.or(ended_for_controller)
            } else {
                ended_for_use
            };
            if let Some((by, kind)) = ended {
                fails.push(reason(ConsentRule::Ended(kind), Some(by)));
                evidence.push(by);
            }
            if fails.is_empty() {
                covering.push(e.index);
            } else {
                evidence.push(e.index);
                failed.push(fails);
            }
        }

        if !covering.is_empty() {
            covering.reverse();
            let mut reasons: Vec<ConsentReason> = covering
                .iter()
                .map(|i| reason(ConsentRule::ConsentCovers, Some(*i)))
                .collect();
            if let Some(served) = successor_notice {
                reasons.push(reason(ConsentRule::SuccessorNotified, Some(served)));
            }
            return ConsentDecision::new(ConsentOutcome::Permitted, basis, covering, reasons);
        }
        failed.reverse();
        let mut reasons: Vec<ConsentReason> = failed.into_iter().flatten().collect();
        if reasons.is_empty() {
            reasons.push(reason(ConsentRule::NoConsent, None));
        }
        ConsentDecision::new(ConsentOutcome::Denied, basis, evidence, reasons)
    }

    /// Which recipients must be told of the withdrawal, refusal or objection recorded at ledger index
    /// `ending` for `customer` (GDPR Art 17(2), PIPL Art 22): every third party or successor that was granted
    /// data in an overlapping purpose and category before it took effect, and every successor served a
    /// PIPL Art 22 notice while a controller grant overlapping it was in the book. An ending event addressed
    /// to the controller reaches all of them; one addressed to a recipient reaches only that recipient.
    pub fn recipients_to_tell(
        &self,
        customer: CustomerId,
        ending: u64,
    ) -> Result<Vec<Propagation>, ConsentError> {
        let not_found = ConsentError::NotIndexed {
            index: ending,
            expected: "withdrawal, refusal or objection",
        };
        let events = self.customers.get(&customer).ok_or(not_found.clone())?;
        let w = events
            .iter()
            .find(|e| e.index == ending && e.kind.ends_grants())
            .ok_or(not_found)?;
        let w_key = (w.effective, w.index);
        let controller = self.recipients.get(&Recipient::Controller);
        let to_controller = Some(w.recipient) == controller;
        let overlaps =
            |e: &CompactEvent| e.purposes & w.purposes != 0 && e.categories.intersects(w.categories);
        let earlier = events.iter().filter(|e| (e.effective, e.index) < w_key);

        let mut found: BTreeMap<Recipient, Vec<u64>> = BTreeMap::new();
        let controller_grants: Vec<u64> = earlier
            .clone()
            .filter(|e| e.kind.is_grant() && Some(e.recipient) == controller && overlaps(e))
            .map(|e| e.index)
            .collect();
        for e in earlier {
            if e.kind.is_grant()
                && Some(e.recipient) != controller
                && overlaps(e)
                && (to_controller || e.recipient == w.recipient)
                && let Some(r) = self.recipients.value(e.recipient)
            {
                found.entry(*r).or_default().push(e.index);
            }
            if e.kind == Kind::NoticeServed
                && !controller_grants.is_empty()
                && let Some(n) = self.compact_notice(e.notice)
            {
                for r in &n.recipients {
                    let Some(recipient) = self.recipients.value(*r) else {
                        continue;
                    };
                    if matches!(recipient, Recipient::Successor(_)) && (to_controller || *r == w.recipient) {
                        let because = found.entry(*recipient).or_default();
                        because.push(e.index);
                        because.extend(&controller_grants);
                    }
                }
            }
        }
        let regime = self.policy.regime();
        Ok(found
            .into_iter()
            .map(|(recipient, mut because)| {
                because.sort_unstable();
                because.dedup();
                let citation = match (regime, recipient) {
                    (Regime::Gdpr, _) => Citation::gdpr("17(2)"),
                    (_, Recipient::Successor(_)) => Citation::pipl("22"),
                    _ => Citation::pipl("23"),
                };
                Propagation {
                    recipient,
                    because,
                    citation,
                }
            })
            .collect())
    }
}

/// The first instant (microseconds) at which the subject is no longer under the guardian age: midnight UTC
/// of the birthday. `i64::MIN` when the birth date is unknown (never a minor); `i64::MAX` when the
/// arithmetic overflows (always a minor, the cautious answer). Same rule as [`Subject::is_minor_at`].
fn adult_from(subject: &Subject, age_years: u32) -> i64 {
    match subject.birth_date() {
        None => i64::MIN,
        Some(born) => born
            .checked_add_months(Months::new(age_years.saturating_mul(12)))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| micros(dt.and_utc()))
            .unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_fits_in_64_bytes() {
        // The memory budget of ten million events (about 640 MB) rests on this.
        assert!(std::mem::size_of::<CompactEvent>() <= 64);
    }

    #[test]
    fn purposes_beyond_the_mask_are_refused_not_dropped() {
        let mut interner: Interner<Purpose> = Interner::new();
        for i in 0..MAX_PURPOSES {
            let p = Purpose::custom(&format!("p{i}")).unwrap();
            assert_eq!(interner.intern(&p, MAX_PURPOSES, "purposes").unwrap(), i as u32);
        }
        let extra = Purpose::custom("one_too_many").unwrap();
        assert_eq!(
            interner.intern(&extra, MAX_PURPOSES, "purposes"),
            Err(ConsentError::Capacity {
                what: "purposes",
                limit: MAX_PURPOSES
            })
        );
        assert_eq!(purpose_bit(63), 1 << 63);
        assert_eq!(purpose_bit(64), 0);
    }
}
