//! The in-memory consent index by customer, rebuilt from the ledger, that answers `permits` in time
//! proportional to that customer's events, whatever the size of the book.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

use chrono::{DateTime, Utc};
use custodia_model::{
    CategorySet, Citation, CustomerId, GdprBasis, Jurisdiction, Purpose, SpecialCategoryCondition,
    TransferGround,
};
use serde::{Deserialize, Serialize};

use crate::decision::{
    AgeAt, ComingOfAge, ConsentDecision, ConsentOutcome, ConsentReason, ConsentRule, Dimension,
    SeparateBecause, Subject,
};
use crate::error::ConsentError;
use crate::event::{ConsentEvent, ConsentForm, EventKind};
use crate::notice::{Notice, NoticeRef};
use crate::policy::{BasisPolicy, Regime};
use crate::propagation::{
    Propagation, PropagationDuty, PropagationRecord, PropagationStep, PropagationTarget, PropagationTask,
    StoredPropagationTask,
};
use crate::receipt::Controller;
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
    Provided,
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
            EventKind::Provided => Kind::Provided,
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
    /// When the version was published (valid time).
    published: i64,
    /// When it was recorded (transaction time).
    recorded: i64,
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
    /// Propagation steps indexed.
    pub propagations: usize,
    /// Ledger entries skipped because they were not consent records (other crates' entries, redactions).
    pub skipped: usize,
    /// Entries whose recorded time is earlier than that of an entry before them in the ledger. The answer
    /// to a question as of K never changes when entries recorded after K are appended; an entry appended
    /// later but dated as recorded earlier (keyed in by several clerks at once, or backdated) can change an
    /// answer already given, and an auditor can see how many there are.
    pub recorded_out_of_order: usize,
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
    /// Propagation steps by customer, in ledger order, with their ledger indices.
    propagations: HashMap<CustomerId, Vec<(u64, PropagationRecord)>>,
    last: Option<u64>,
    events: usize,
    notice_count: usize,
    propagation_count: usize,
    skipped: usize,
    newest_recorded: i64,
    recorded_out_of_order: usize,
}

/// The use, translated once into the index's compact terms.
struct Query {
    purpose: u64,
    category: CategorySet,
    recipient: Option<u32>,
    controller: Option<u32>,
    /// Whether the use is abroad under the deciding law (outside the mainland, or outside the EEA).
    abroad: bool,
    destination: Jurisdiction,
    /// Whether the use is by a successor; from the use itself, never from what the index has seen, so that
    /// an answer does not depend on entries recorded later.
    by_successor: bool,
}

/// What a grant must satisfy for one use, under the deciding law.
struct GrantRules {
    regime: Regime,
    /// PIPL: separate consent needed whatever the grant (sensitive category, third party, abroad).
    separate_needed: Vec<SeparateBecause>,
    /// GDPR: a grant bundled with other matters is no consent (Art 7(2)).
    bundled_refused: bool,
    /// Whether a grant must list the destination of a use abroad (PIPL Art 39; GDPR Art 49(1)(a) only).
    grant_names_destination: bool,
    /// PIPL Art 22: a successor inherits the controller's grants once notified.
    successor_inherits: bool,
    age: ComingOfAge,
}

/// What the walk over one customer's grants found.
struct Walk {
    covering: Vec<u64>,
    failed: Vec<Vec<ConsentReason>>,
    evidence: Vec<u64>,
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
            propagations: HashMap::new(),
            last: None,
            events: 0,
            notice_count: 0,
            propagation_count: 0,
            skipped: 0,
            newest_recorded: i64::MIN,
            recorded_out_of_order: 0,
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
            propagations: self.propagation_count,
            skipped: self.skipped,
            recorded_out_of_order: self.recorded_out_of_order,
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

    /// Forgets every event and propagation step of `customer`, after their ledger entries were redacted
    /// (PIPL Art 47 erasure), so that the live index agrees with what a rebuild would find. Returns how many
    /// events were dropped.
    pub fn forget_customer(&mut self, customer: CustomerId) -> usize {
        let dropped = self.customers.remove(&customer).map_or(0, |v| v.len());
        self.events = self.events.saturating_sub(dropped);
        let steps = self.propagations.remove(&customer).map_or(0, |v| v.len());
        self.propagation_count = self.propagation_count.saturating_sub(steps);
        dropped
    }

    /// Checks, without changing anything, that [`ConsentIndex::insert`] would take in `records` one after
    /// the other: no notice version that conflicts with one indexed or earlier in the batch, room for every
    /// new purpose, and propagation steps in order (each for a withdrawal, refusal or objection already
    /// indexed and a recipient that must be told of it; told once, confirmed once and only after telling).
    /// [`crate::ConsentLedger`] runs this before it appends, so that an entry the index would refuse never
    /// reaches the ledger (where it would stay for ever and block every rebuild).
    pub fn check(&self, records: &[ConsentRecord]) -> Result<(), ConsentError> {
        let mut new_purposes: Vec<&Purpose> = Vec::new();
        let mut batch_notices: Vec<&Notice> = Vec::new();
        let mut batch_steps: Vec<&PropagationRecord> = Vec::new();
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
                ConsentRecord::Propagation(p) => {
                    self.check_step(p, &batch_steps)?;
                    batch_steps.push(p);
                    Vec::new()
                }
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

    fn check_step(&self, p: &PropagationRecord, batch: &[&PropagationRecord]) -> Result<(), ConsentError> {
        let f = p.fields();
        let order = |detail| ConsentError::PropagationOrder {
            ending: f.ending_entry,
            recipient: f.recipient.to_string(),
            detail,
        };
        let to_tell = self
            .recipients_to_tell(f.customer, f.ending_entry)
            .map_err(|_| order("not a withdrawal, refusal or objection of the customer"))?;
        if !to_tell.iter().any(|t| t.recipient == f.recipient) {
            return Err(order("the recipient did not receive data in the ended scope"));
        }
        let same = |q: &&PropagationRecord| {
            let g = q.fields();
            g.customer == f.customer && g.ending_entry == f.ending_entry && g.recipient == f.recipient
        };
        let earlier: Vec<&PropagationRecord> = self
            .propagations
            .get(&f.customer)
            .into_iter()
            .flatten()
            .map(|(_, r)| r)
            .chain(batch.iter().copied())
            .filter(same)
            .collect();
        let told = earlier.iter().any(|r| r.is_told());
        let confirmed = earlier.iter().any(|r| !r.is_told());
        match f.step {
            PropagationStep::Told { .. } if told => Err(order("the recipient was already told")),
            PropagationStep::Confirmed { .. } if !told => {
                Err(order("a confirmation before the recipient was told"))
            }
            PropagationStep::Confirmed { .. } if confirmed => Err(order("already confirmed")),
            _ => Ok(()),
        }
    }

    /// Takes in a decoded record stored at ledger index `index`. Indices must increase, so that replaying
    /// the ledger twice, or out of order, is caught rather than double counted.
    pub fn insert(&mut self, index: u64, record: &ConsentRecord) -> Result<(), ConsentError> {
        self.check_order(index)?;
        let recorded = match record {
            ConsentRecord::Notice(n) => {
                self.insert_notice(index, n)?;
                n.fields().recorded_at
            }
            ConsentRecord::Event(e) => {
                self.insert_event(index, e)?;
                e.recorded_at()
            }
            ConsentRecord::Propagation(p) => {
                // Taken in as recorded: `check` keeps steps in order before they reach the ledger, and a
                // ledger entry cannot be refused on rebuild.
                self.propagations
                    .entry(p.customer())
                    .or_default()
                    .push((index, p.clone()));
                self.propagation_count += 1;
                p.fields().recorded_at
            }
        };
        let recorded = micros(recorded);
        if recorded < self.newest_recorded {
            self.recorded_out_of_order += 1;
        }
        self.newest_recorded = self.newest_recorded.max(recorded);
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
            published: micros(fields.published_at),
            recorded: micros(fields.recorded_at),
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

    /// The notice version as the ledger knew it at `as_of_us`: a notice recorded later is unknown then, so
    /// an answer as of K never changes when a notice is appended after K (notices are bitemporal too).
    fn notice_as_of(&self, id: u32, as_of_us: i64) -> Option<&CompactNotice> {
        self.compact_notice(id).filter(|n| n.recorded <= as_of_us)
    }

    fn destinations(&self, id: u32) -> &[Jurisdiction] {
        self.destination_sets.value(id).map(Vec::as_slice).unwrap_or(&[])
    }

    fn query(&self, policy: &BasisPolicy, use_: &ProposedUse) -> Query {
        Query {
            purpose: self.purposes.get(use_.purpose()).map(purpose_bit).unwrap_or(0),
            category: CategorySet::from([use_.category()]),
            recipient: self.recipients.get(&use_.recipient()),
            controller: self.recipients.get(&Recipient::Controller),
            abroad: policy.is_cross_border(use_.destination()),
            destination: use_.destination(),
            by_successor: matches!(use_.recipient(), Recipient::Successor(_)),
        }
    }

    /// Whether a withdrawal, refusal or objection reaches the use: its purpose and category, and its
    /// destination (an empty destination list means every destination; a non-empty one only those abroad),
    /// addressed to the use's recipient or to the controller. An ending addressed to the controller reaches
    /// every recipient the controller provides to: the customer who withdraws from the controller withdraws
    /// the provision to third parties too (PIPL Art 15; GDPR Art 7(3)).
    fn ending_reaches(&self, e: &CompactEvent, q: &Query) -> bool {
        let dests = self.destinations(e.destinations);
        e.purposes & q.purpose != 0
            && e.categories.intersects(q.category)
            && (dests.is_empty() || (q.abroad && dests.binary_search(&q.destination).is_ok()))
            && (Some(e.recipient) == q.recipient || Some(e.recipient) == q.controller)
    }

    /// The first notice served to the customer, known at (`at_us`, `as_of_us`), whose notice version was
    /// published by then and names `recipient`.
    fn served_naming(
        &self,
        events: &[CompactEvent],
        recipient: Option<u32>,
        at_us: i64,
        as_of_us: i64,
    ) -> Option<u64> {
        let r = recipient?;
        events
            .iter()
            .filter(|e| e.recorded <= as_of_us && e.effective <= at_us && e.kind == Kind::NoticeServed)
            .find(|e| {
                self.notice_as_of(e.notice, as_of_us)
                    .is_some_and(|n| n.published <= e.effective && n.recipients.binary_search(&r).is_ok())
            })
            .map(|e| e.index)
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

    /// May `use_` happen at `at` (valid time), judged only on entries recorded at or before `as_of`
    /// (transaction time)? An auditor asks with a past `as_of` what the system would have answered then,
    /// and the answer for (`at`, `as_of`) never changes when entries recorded after `as_of` are appended:
    /// events and notices alike are taken only as recorded by `as_of`.
    ///
    /// Under the PIPL ([`Regime::Pipl`]), each rule named in the reasons with its article:
    /// - the purpose needs a basis in `policy`; a basis other than consent permits without consent
    ///   (PIPL Art 13);
    /// - otherwise some grant, effective at or before `at`, must cover purpose, category, recipient and
    ///   destination (PIPL Arts 14, 23, 39), and its notice version — published before the grant took effect
    ///   (PIPL Arts 14, 17: the notice comes first) and recorded by `as_of` — must have disclosed them: a grant
    ///   under an older notice does not reach what a material change added (PIPL Art 14);
    /// - sensitive categories, third parties and destinations abroad need a separate grant (PIPL Arts 29,
    ///   23, 39), and so does any grant given while the person was under 14 (all of a minor's data is
    ///   sensitive, Art 28);
    /// - a grant given while the person was under the guardian age must come from a guardian, and a
    ///   guardian's grant counts only for a person under that age when it took effect, on the calendar date
    ///   of the person's jurisdiction (PIPL Art 31); a grant invalid when given stays invalid;
    /// - a grant ends at its expiry, and at the effective time of a later withdrawal, refusal or objection
    ///   that reaches the use — addressed to its recipient, or to the controller, which reaches every
    ///   recipient; nothing ends retroactively (PIPL Art 15);
    /// - a successor inherits the controller's grants once the person was served a notice naming it
    ///   (PIPL Art 22).
    ///
    /// Under the GDPR ([`Regime::Gdpr`]): the purpose needs an Art 6(1) basis; special-category data
    /// (health; claims unless the setting says otherwise) needs the purpose's Art 9(2) condition, and where
    /// that is explicit consent, a grant; a use outside the EEA needs the destination's Chapter V ground
    /// (Art 44), and where that is explicit consent (Art 49(1)(a)), a grant naming the destination; a grant
    /// bundled with other matters is no consent (Art 7(2), 7(4)); legitimate interests (Art 6(1)(f)) end at an
    /// objection (Art 21) and reach a recipient other than the controller only once the person was served a
    /// notice naming it (Arts 13(1)(e), 14); there is no PIPL Art 22 inheritance.
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
        match policy.regime() {
            Regime::Gdpr => self.permits_gdpr(policy, subject, use_, at, as_of),
            _ => self.permits_pipl(policy, subject, use_, at, as_of),
        }
    }

    fn events_of(&self, subject: &Subject) -> &[CompactEvent] {
        self.customers
            .get(&subject.customer())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn permits_pipl(
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
        let events = self.events_of(subject);
        let q = self.query(policy, use_);

        let mut separate_needed = Vec::new();
        if use_.category().is_sensitive() {
            separate_needed.push(SeparateBecause::SensitiveCategory);
        }
        if matches!(use_.recipient(), Recipient::ThirdParty(_)) {
            separate_needed.push(SeparateBecause::ThirdParty);
        }
        if q.abroad {
            separate_needed.push(SeparateBecause::CrossBorder);
        }
        let rules = GrantRules {
            regime,
            separate_needed,
            bundled_refused: false,
            grant_names_destination: true,
            successor_inherits: true,
            age: subject.coming_of_age(policy.guardian_age_years()),
        };
        let successor_notice = match use_.recipient() {
            Recipient::Successor(_) => self.served_naming(events, q.recipient, at_us, as_of_us),
            _ => None,
        };
        let walk = self.walk(events, &q, &rules, successor_notice, (at_us, as_of_us));
        if !walk.covering.is_empty() {
            let mut reasons: Vec<ConsentReason> = walk
                .covering
                .iter()
                .map(|i| reason(ConsentRule::ConsentCovers, Some(*i)))
                .collect();
            if let Some(served) = successor_notice {
                reasons.push(reason(ConsentRule::SuccessorNotified, Some(served)));
            }
            return ConsentDecision::new(ConsentOutcome::Permitted, basis, walk.covering, reasons);
        }
        let mut reasons: Vec<ConsentReason> = walk.failed.into_iter().flatten().collect();
        if reasons.is_empty() {
            reasons.push(reason(ConsentRule::NoConsent, None));
        }
        ConsentDecision::new(ConsentOutcome::Denied, basis, walk.evidence, reasons)
    }

    fn permits_gdpr(
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
        let cited = |rule: ConsentRule, citation: Citation| ConsentReason {
            rule,
            citation,
            entry: None,
        };
        let (Some(rule), Some(terms)) = (policy.gdpr_rule(use_.purpose()), policy.gdpr_terms()) else {
            return ConsentDecision::new(
                ConsentOutcome::Denied,
                None,
                vec![],
                vec![reason(ConsentRule::NoBasis, None)],
            );
        };
        let basis = Some(rule.basis.nearest_pipl_basis());
        let decide = |outcome, evidence, reasons| {
            ConsentDecision::new(outcome, basis, evidence, reasons).with_gdpr_basis(rule.basis.clone())
        };
        let (at_us, as_of_us) = (micros(at), micros(as_of));
        let events = self.events_of(subject);
        let q = self.query(policy, use_);

        // The grounds that need no consent, named in the reasons of a permitted use; and whether consent is
        // needed after all (explicit consent for special categories or a transfer, or consent as the basis).
        let mut grounds = Vec::new();
        let mut consent_needed = rule.basis.requires_consent();
        if terms.is_special_category(use_.category()) {
            match &rule.special_categories {
                None => {
                    return decide(
                        ConsentOutcome::Denied,
                        vec![],
                        vec![reason(ConsentRule::SpecialCategoryWithoutCondition, None)],
                    );
                }
                Some(SpecialCategoryCondition::ExplicitConsent) => consent_needed = true,
                Some(condition) => {
                    grounds.push(cited(ConsentRule::SpecialCategoryAllowed, condition.citation()))
                }
            }
        }
        let mut grant_names_destination = false;
        if q.abroad {
            match policy.transfer_ground(use_.destination()) {
                None => {
                    return decide(
                        ConsentOutcome::Denied,
                        vec![],
                        vec![reason(ConsentRule::NoTransferGround, None)],
                    );
                }
                Some(TransferGround::ExplicitConsent) => {
                    consent_needed = true;
                    grant_names_destination = true;
                }
                Some(ground) => grounds.push(cited(ConsentRule::TransferGroundApplies, ground.citation())),
            }
        }
        if let GdprBasis::LegitimateInterests { .. } = rule.basis {
            // Art 21(1): an objection ends processing on legitimate interests (for marketing, absolutely:
            // Art 21(3)); the controller's compelling grounds are a human decision, not this one.
            let objection = events
                .iter()
                .filter(|e| e.recorded <= as_of_us && e.effective <= at_us && e.kind == Kind::Objected)
                .rfind(|e| self.ending_reaches(e, &q));
            if let Some(o) = objection {
                return decide(
                    ConsentOutcome::Denied,
                    vec![o.index],
                    vec![reason(ConsentRule::Ended(EventKind::Objected), Some(o.index))],
                );
            }
            if use_.recipient() != Recipient::Controller {
                match self.served_naming(events, q.recipient, at_us, as_of_us) {
                    Some(served) => grounds.push(reason(ConsentRule::RecipientNotified, Some(served))),
                    None => {
                        return decide(
                            ConsentOutcome::Denied,
                            vec![],
                            vec![reason(ConsentRule::RecipientNotNotified, None)],
                        );
                    }
                }
            }
        }
        if !consent_needed {
            let mut reasons = vec![cited(ConsentRule::BasisWithoutConsent, rule.basis.citation())];
            let evidence = grounds.iter().filter_map(|r| r.entry).collect();
            reasons.extend(grounds);
            return decide(ConsentOutcome::Permitted, evidence, reasons);
        }

        let rules = GrantRules {
            regime,
            separate_needed: Vec::new(),
            bundled_refused: true,
            grant_names_destination,
            successor_inherits: false,
            age: subject.coming_of_age(policy.guardian_age_years()),
        };
        let walk = self.walk(events, &q, &rules, None, (at_us, as_of_us));
        if !walk.covering.is_empty() {
            let mut reasons: Vec<ConsentReason> = walk
                .covering
                .iter()
                .map(|i| reason(ConsentRule::ConsentCovers, Some(*i)))
                .collect();
            let mut evidence = walk.covering;
            evidence.extend(grounds.iter().filter_map(|r| r.entry));
            reasons.extend(grounds);
            return decide(ConsentOutcome::Permitted, evidence, reasons);
        }
        // Say first why consent was needed where the basis alone would not have asked for it: explicit
        // consent for special categories (Art 9(2)(a)) or for a transfer (Art 49(1)(a)).
        let mut reasons: Vec<ConsentReason> = Vec::new();
        if terms.is_special_category(use_.category())
            && rule.special_categories == Some(SpecialCategoryCondition::ExplicitConsent)
        {
            reasons.push(reason(
                ConsentRule::SeparateConsentRequired(SeparateBecause::SensitiveCategory),
                None,
            ));
        }
        if grant_names_destination {
            reasons.push(reason(
                ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder),
                None,
            ));
        }
        let grant_reasons: Vec<ConsentReason> = walk.failed.into_iter().flatten().collect();
        if grant_reasons.is_empty() {
            reasons.push(reason(ConsentRule::NoConsent, None));
        }
        reasons.extend(grant_reasons);
        decide(ConsentOutcome::Denied, walk.evidence, reasons)
    }

    /// One backward pass over the customer's known events: an ending event only affects grants before it,
    /// so walking from the latest event back, "has a later ending event reached the use" is a flag carried
    /// along. Every grant of the use's purpose and category is judged against `rules`.
    fn walk(
        &self,
        events: &[CompactEvent],
        q: &Query,
        rules: &GrantRules,
        successor_notice: Option<u64>,
        (at_us, as_of_us): (i64, i64),
    ) -> Walk {
        let reason = |rule: ConsentRule, entry: Option<u64>| ConsentReason {
            rule,
            citation: rule.citation(rules.regime),
            entry,
        };
        let known = |e: &&CompactEvent| e.recorded <= as_of_us && e.effective <= at_us;
        let mut ended: Option<(u64, EventKind)> = None;
        let mut walk = Walk {
            covering: Vec::new(),
            failed: Vec::new(),
            evidence: Vec::new(),
        };
        for e in events.iter().rev().filter(known) {
            if e.kind.ends_grants() {
                if self.ending_reaches(e, q) {
                    ended = Some((e.index, e.kind.ending()));
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
            let via_controller =
                rules.successor_inherits && q.by_successor && Some(e.recipient) == q.controller;
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
                || !rules.grant_names_destination
                || self
                    .destinations(e.destinations)
                    .binary_search(&q.destination)
                    .is_ok();
            if !destination_ok {
                fails.push(reason(ConsentRule::OutsideScope(Dimension::Destination), entry));
            }
            match self.notice_as_of(e.notice, as_of_us) {
                None => fails.push(reason(ConsentRule::UnknownNotice, entry)),
                Some(n) => {
                    if n.published > e.effective {
                        fails.push(reason(ConsentRule::NoticeAfterConsent, entry));
                    }
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
            // The person's age when the grant took effect decides who could give it, whatever their age
            // at the use: a grant invalid when given stays invalid (PIPL Art 31).
            let age = rules.age.age_at(e.effective);
            let maybe_minor = match (age, rules.age) {
                (AgeAt::Under, _) => true,
                (AgeAt::Unknown, ComingOfAge::NoBirthDate) => false,
                (AgeAt::Unknown, _) => true,
                _ => false,
            };
            if e.kind == Kind::GuardianGranted {
                match age {
                    AgeAt::Under => {}
                    AgeAt::Reached => fails.push(reason(ConsentRule::GuardianForAdult, entry)),
                    _ => fails.push(reason(ConsentRule::GuardianAgeUnknown, entry)),
                }
            } else if maybe_minor {
                fails.push(reason(ConsentRule::GuardianConsentRequired, entry));
            }
            if rules.bundled_refused && !e.separate {
                fails.push(reason(ConsentRule::BundledConsent, entry));
            }
            if !rules.bundled_refused && !e.separate {
                for because in &rules.separate_needed {
                    fails.push(reason(ConsentRule::SeparateConsentRequired(*because), entry));
                }
                if maybe_minor {
                    fails.push(reason(
                        ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData),
                        entry,
                    ));
                }
            }
            if e.expires <= at_us {
                fails.push(reason(ConsentRule::Expired, entry));
            }
            if let Some((by, kind)) = ended {
                fails.push(reason(ConsentRule::Ended(kind), Some(by)));
                walk.evidence.push(by);
            }
            if fails.is_empty() {
                walk.covering.push(e.index);
            } else {
                walk.evidence.push(e.index);
                walk.failed.push(fails);
            }
        }
        walk.covering.reverse();
        walk.failed.reverse();
        walk
    }

    /// Which recipients must be told of the withdrawal, refusal or objection recorded at ledger index
    /// `ending` for `customer` (PIPL Arts 15, 22, 23; GDPR Arts 17(2), 19), and what each must do:
    ///
    /// - every third party or successor granted data in an overlapping purpose and category before it took
    ///   effect, and every successor served a PIPL Art 22 notice while a controller grant overlapping it was
    ///   in the book: [`PropagationDuty::StopProcessing`];
    /// - every recipient the controller recorded providing overlapping data to ([`EventKind::Provided`]):
    ///   [`PropagationDuty::StopProcessing`] when the provided purposes rest on consent under the index's
    ///   policy (or, for an objection, on legitimate interests), [`PropagationDuty::Inform`] when they rest
    ///   on another basis.
    ///
    /// An ending event addressed to the controller reaches all of them; one addressed to a recipient reaches
    /// only that recipient.
    pub fn recipients_to_tell(
        &self,
        customer: CustomerId,
        ending: u64,
    ) -> Result<Vec<Propagation>, ConsentError> {
        let w = self.ending_event(customer, ending)?;
        let events = self.customers.get(&customer).map(Vec::as_slice).unwrap_or(&[]);
        let w_key = (w.effective, w.index);
        let controller = self.recipients.get(&Recipient::Controller);
        let to_controller = Some(w.recipient) == controller;
        let overlaps =
            |e: &CompactEvent| e.purposes & w.purposes != 0 && e.categories.intersects(w.categories);
        let earlier = events.iter().filter(|e| (e.effective, e.index) < w_key);

        let mut found: BTreeMap<Recipient, (Vec<u64>, PropagationDuty)> = BTreeMap::new();
        let mut add = |recipient: Recipient, because: &[u64], duty: PropagationDuty| {
            let entry = found.entry(recipient).or_insert((Vec::new(), duty));
            entry.0.extend_from_slice(because);
            entry.1 = entry.1.min(duty);
        };
        let controller_grants: Vec<u64> = earlier
            .clone()
            .filter(|e| e.kind.is_grant() && Some(e.recipient) == controller && overlaps(e))
            .map(|e| e.index)
            .collect();
        for e in earlier {
            let reaches = to_controller || e.recipient == w.recipient;
            if (e.kind.is_grant() || e.kind == Kind::Provided)
                && Some(e.recipient) != controller
                && overlaps(e)
                && reaches
                && let Some(r) = self.recipients.value(e.recipient)
            {
                let duty = if e.kind.is_grant() || self.provision_ends(e.purposes & w.purposes, w.kind) {
                    PropagationDuty::StopProcessing
                } else {
                    PropagationDuty::Inform
                };
                add(*r, &[e.index], duty);
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
                        let mut because = vec![e.index];
                        because.extend(&controller_grants);
                        add(*recipient, &because, PropagationDuty::StopProcessing);
                    }
                }
            }
        }
        let regime = self.policy.regime();
        Ok(found
            .into_iter()
            .map(|(recipient, (mut because, duty))| {
                because.sort_unstable();
                because.dedup();
                let citation = match (regime, recipient, duty) {
                    (Regime::Gdpr, _, PropagationDuty::Inform) => Citation::gdpr("19"),
                    (Regime::Gdpr, _, _) => Citation::gdpr("17(2)"),
                    (_, Recipient::Successor(_), _) => Citation::pipl("22"),
                    _ => Citation::pipl("23"),
                };
                Propagation {
                    recipient,
                    because,
                    citation,
                    duty,
                }
            })
            .collect())
    }

    fn ending_event(&self, customer: CustomerId, ending: u64) -> Result<&CompactEvent, ConsentError> {
        let not_found = ConsentError::NotIndexed {
            index: ending,
            expected: "withdrawal, refusal or objection",
        };
        self.customers
            .get(&customer)
            .and_then(|events| events.iter().find(|e| e.index == ending && e.kind.ends_grants()))
            .ok_or(not_found)
    }

    /// Whether a provision of the purposes in `mask` rested on what an ending of `kind` ends: consent, or
    /// for an objection also legitimate interests (GDPR Art 21).
    fn provision_ends(&self, mask: u64, kind: Kind) -> bool {
        (0..MAX_PURPOSES as u32)
            .filter(|bit| mask & purpose_bit(*bit) != 0)
            .filter_map(|bit| self.purposes.value(bit))
            .any(|p| {
                let consent = self.policy.rule(p).is_some_and(|r| r.basis.requires_consent());
                let objectable = kind == Kind::Objected
                    && self
                        .policy
                        .gdpr_rule(p)
                        .is_some_and(|r| matches!(r.basis, GdprBasis::LegitimateInterests { .. }));
                consent || objectable
            })
    }

    /// The propagation tasks of the withdrawal, refusal or objection at ledger index `ending`: one per
    /// recipient of [`ConsentIndex::recipients_to_tell`], each in the state the ledger shows (told or
    /// confirmed when a [`PropagationRecord`] says so), with the recipient's and the controller's details
    /// from the notices on the ledger. The caller stores them and advances them; calling this again after a
    /// crash gives the same tasks back from the ledger.
    pub fn propagation_tasks(
        &self,
        customer: CustomerId,
        ending: u64,
    ) -> Result<Vec<StoredPropagationTask>, ConsentError> {
        let w = self.ending_event(customer, ending)?;
        let to_tell = self.recipients_to_tell(customer, ending)?;
        let purposes: BTreeSet<Purpose> = (0..MAX_PURPOSES as u32)
            .filter(|bit| w.purposes & purpose_bit(*bit) != 0)
            .filter_map(|bit| self.purposes.value(bit).cloned())
            .collect();
        let controller = self.compact_notice(w.notice).map(|n| {
            let f = n.notice.fields();
            Controller {
                name: f.controller_name.clone(),
                contact: f.controller_contact.clone(),
            }
        });
        let steps: &[(u64, PropagationRecord)] =
            self.propagations.get(&customer).map(Vec::as_slice).unwrap_or(&[]);
        let mut out = Vec::with_capacity(to_tell.len());
        for propagation in to_tell {
            let recipient = propagation.recipient;
            let target = PropagationTarget {
                customer,
                ending_entry: ending,
                ending: w.kind.ending(),
                ending_effective: DateTime::from_timestamp_micros(w.effective).unwrap_or_default(),
                purposes: purposes.clone(),
                categories: w.categories.iter().collect(),
                recipient_details: self.details_of(recipient),
                controller: controller.clone(),
                propagation,
                regime: self.policy.regime(),
            };
            let mut task = StoredPropagationTask::ToTell(PropagationTask::new(target));
            for (entry, step) in steps {
                let f = step.fields();
                if f.ending_entry != ending || f.recipient != recipient {
                    continue;
                }
                task = match task {
                    StoredPropagationTask::ToTell(t) if step.is_told() => {
                        StoredPropagationTask::Told(t.told(*entry, step)?)
                    }
                    StoredPropagationTask::Told(t) if !step.is_told() => {
                        StoredPropagationTask::Confirmed(t.confirmed(*entry, step)?)
                    }
                    // `check` keeps steps in order; a step out of order on the ledger changes nothing.
                    other => other,
                };
            }
            out.push(task);
        }
        Ok(out)
    }

    /// The recipient's name and contact from the latest notice version on the ledger that names it.
    fn details_of(&self, recipient: Recipient) -> Option<Controller> {
        self.notices
            .iter()
            .flatten()
            .filter_map(|n| {
                n.notice
                    .fields()
                    .recipients
                    .iter()
                    .find(|r| r.recipient == recipient)
                    .map(|r| (n.index, r))
            })
            .max_by_key(|(index, _)| *index)
            .map(|(_, r)| Controller {
                name: r.name.clone(),
                contact: r.contact.clone(),
            })
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
