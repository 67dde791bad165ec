//! The vault anchored in the ledger: every section, wrapped-key, blind-index and tombstone change the brokerage makes lands on its ledger in the same unit of work, pseudonymously, and [`Brokerage::verify_vault`] reconciles what the store holds with what the ledger says it should.
//!
//! The ledger is tamper-evident (RFC 9162, checkpoints an auditor can hold); the vault's tables are not.
//! So the store's writes are noted as they happen (the brokerage's [`crate::backend::Backend`] notes every
//! seam write) and [`crate::Brokerage::write`] appends the notes, one ledger entry per customer touched
//! (a long unit such as the import or the disposition appends them in steps of whole customers), before
//! the unit commits: on SQLite the vault rows and their anchors commit in one transaction, on
//! PostgreSQL in one transaction holding the store's table locks, so the two never disagree in order.
//!
//! An anchor carries ids, versions, times and SHA-256 digests of the stored bytes (ciphertext and wrapped
//! keys), and the blind-index values themselves (keyed HMACs, pseudonymous by design, already stored in
//! the clear): never a personal value. Verification walks the ledger once per ~65,536 customers (a
//! pass each, so that its memory does not grow with the book), folds the anchors into what
//! the vault should hold, and compares it with the store customer by customer, naming the first customer
//! and category that differ: a rolled-back, missing or altered version, an extra or vanished section, a
//! wrapped key changed or removed, an altered or deleted tombstone, a missing or moved blind-index row
//! (PIPL Art 46 accuracy, Art 47 destruction evidence; PIPL Art 51(3) security measures).
//!
//! What it cannot see alone: a whole store file replaced by an older copy (ledger and vault rolled back
//! together). That is found against a checkpoint held outside the store — the auditor's latest signed
//! checkpoint: [`crate::Brokerage::verify_vault`] takes it and refuses a ledger smaller than it, or one that
//! is not consistent with it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use custodia_consent::Digest;
use custodia_crypto::{BlindIndex, CryptoError, DekId, KeyStore, SectionRows};
use custodia_ledger::{LogStore, SignedCheckpoint, TrustPolicy};
use custodia_model::{CustomerId, DataCategory};
use custodia_store::{KeyRange, Namespace};
use serde::{Deserialize, Serialize};

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;
use crate::records::{self, CUSTOMERS, FACTS, STEP_PREFIX, VERSIONS};

/// One change to the vault or the key store, as the ledger records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub(crate) enum Change {
    /// A sealed section stored at a record version.
    Section {
        category: DataCategory,
        version: u64,
        digest: Digest,
    },
    /// A wrapped data key stored or rewrapped.
    Key { dek: DekId, digest: Digest },
    /// A blind-index row stored.
    BlindIndex { index: BlindIndex },
    /// The customer's keys destroyed (crypto-shredding).
    Destroyed { at: DateTime<Utc> },
    /// Sections of categories deleted, with a tombstone each.
    SectionsDeleted {
        categories: Vec<DataCategory>,
        at: DateTime<Utc>,
    },
    /// One of the customer's own records stored or deleted: the index entry the reads start from (its
    /// current version), a sealed facts record, a version record ([`ANCHORED_RECORDS`]). `key` is the
    /// record's key in hex (it starts with the customer id); `digest` the SHA-256 of the value stored,
    /// absent when the record was deleted.
    Record {
        namespace: String,
        key: String,
        digest: Option<Digest>,
    },
}

/// The record namespaces whose every write is anchored: keyed by customer id first, and what the reads
/// of a customer start from — the index entry names the current version (a rolled-back entry would
/// serve an older record as current, PIPL Art 46), the facts and version records are that version.
pub(crate) const ANCHORED_RECORDS: [Namespace; 3] = [CUSTOMERS, FACTS, VERSIONS];

/// The ledger payload of one customer's changes in one unit of work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VaultAnchor {
    pub(crate) kind: AnchorKind,
    pub(crate) customer: CustomerId,
    pub(crate) changes: Vec<Change>,
}

/// The `kind` of an anchor payload (one value, so other step payloads never parse as one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AnchorKind {
    VaultAnchor,
}

/// The changes noted since the last unit of work committed, by customer in the order first touched.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    changes: Mutex<Vec<(CustomerId, Change)>>,
}

impl Pending {
    pub(crate) fn note(&self, customer: CustomerId, change: Change) {
        self.changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((customer, change));
    }

    /// Forgets what was noted (the unit rolled back, so the writes are gone too).
    pub(crate) fn clear(&self) {
        self.changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The anchors to append, one per customer, in the order customers were first touched.
    pub(crate) fn take(&self) -> Vec<VaultAnchor> {
        let changes = std::mem::take(&mut *self.changes.lock().unwrap_or_else(PoisonError::into_inner));
        let mut order: Vec<CustomerId> = Vec::new();
        let mut by: BTreeMap<CustomerId, Vec<Change>> = BTreeMap::new();
        for (customer, change) in changes {
            let list = by.entry(customer).or_default();
            if list.is_empty() {
                order.push(customer);
            }
            list.push(change);
        }
        order
            .into_iter()
            .map(|customer| VaultAnchor {
                kind: AnchorKind::VaultAnchor,
                customer,
                changes: by.remove(&customer).unwrap_or_default(),
            })
            .collect()
    }
}

/// A small map as a sorted vector: a customer's expected state has a handful of entries per map, and a
/// `BTreeMap` allocates a whole node (eleven slots) for even one, which made the state ~3.5 KB a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    fn insert(&mut self, key: K, value: V) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let at = self.0.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(self.0.remove(at).1)
    }

    fn get(&self, key: &K) -> Option<&V> {
        let at = self.0.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(&self.0[at].1)
    }

    fn retain(&mut self, keep: impl FnMut(&(K, V)) -> bool) {
        self.0.retain(keep);
    }

    fn clear(&mut self) {
        self.0.clear();
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// The entries in key order.
    fn as_slice(&self) -> &[(K, V)] {
        &self.0
    }

    /// A map of `entries` (the last value of a repeated key wins, as with `BTreeMap::from_iter`).
    fn collect(entries: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut map = Self::default();
        for (k, v) in entries {
            map.insert(k, v);
        }
        map
    }
}

/// An anchored record's key: the namespace's position in [`ANCHORED_RECORDS`] and the record key.
type RecordKey = (u8, Box<[u8]>);

/// What the ledger says one customer's vault and keys hold (its blind-index rows are checked by value,
/// see [`BlindRows`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Expected {
    /// Per category and version: the digest of every version stored (rows deleted with the category go).
    pub(crate) sections: SmallMap<(DataCategory, u64), Digest>,
    /// Per category deleted: when (the tombstone's time).
    pub(crate) deleted: SmallMap<DataCategory, DateTime<Utc>>,
    /// Every wrapped key and the digest of its newest bytes.
    pub(crate) keys: SmallMap<DekId, Digest>,
    /// When the keys were destroyed.
    pub(crate) destroyed: Option<DateTime<Utc>>,
    /// The customer's anchored records: (namespace, key) and the digest of the value stored.
    pub(crate) records: SmallMap<RecordKey, Digest>,
    /// Records anchored in a namespace that is not one of [`ANCHORED_RECORDS`] (never written by the
    /// brokerage; the store is never searched there, so one present is a mismatch).
    pub(crate) other_records: Vec<(String, Vec<u8>)>,
}

impl Expected {
    /// The versions of `category` anchored, ascending.
    fn versions(&self, category: DataCategory) -> &[((DataCategory, u64), Digest)] {
        let all = self.sections.as_slice();
        let start = all.partition_point(|((c, _), _)| *c < category);
        let end = all.partition_point(|((c, _), _)| *c <= category);
        &all[start..end]
    }

    pub(crate) fn apply(&mut self, change: Change) {
        match change {
            Change::Section {
                category,
                version,
                digest,
            } => {
                self.deleted.remove(&category);
                self.sections.insert((category, version), digest);
            }
            Change::Key { dek, digest } => {
                self.keys.insert(dek, digest);
            }
            // Checked by value across customers ([`BlindRows`]).
            Change::BlindIndex { .. } => {}
            Change::Destroyed { at } => {
                // Destruction removes every wrapped key and blind-index row of the customer.
                self.destroyed.get_or_insert(at);
                self.keys.clear();
            }
            Change::Record {
                namespace,
                key,
                digest,
            } => {
                // A key that is not hex was never written by the brokerage: it cannot match a stored
                // record, so the comparison reports the customer.
                let key = hex::decode(&key).unwrap_or_else(|_| key.into_bytes());
                match ANCHORED_RECORDS.iter().position(|n| n.as_str() == namespace) {
                    Some(at) => {
                        let at = u8::try_from(at).unwrap_or(u8::MAX);
                        let record = (at, key.into_boxed_slice());
                        match digest {
                            Some(digest) => self.records.insert(record, digest),
                            None => {
                                self.records.remove(&record);
                            }
                        }
                    }
                    None => {
                        let record = (namespace, key);
                        self.other_records.retain(|r| *r != record);
                        if digest.is_some() {
                            self.other_records.push(record);
                        }
                    }
                }
            }
            Change::SectionsDeleted { categories, at } => {
                for category in categories {
                    // The store tombstones only a category that had rows.
                    let before = self.sections.len();
                    self.sections.retain(|((c, _), _)| *c != category);
                    if self.sections.len() < before {
                        self.deleted.insert(category, at);
                    }
                }
            }
        }
    }
}

/// What [`Brokerage::verify_vault`] compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VaultVerified {
    /// The ledger's size when verified.
    pub ledger_size: u64,
    /// Anchor entries read.
    pub anchors: u64,
    /// Customers compared.
    pub customers: u64,
    /// Section versions compared.
    pub sections: u64,
    /// Wrapped keys compared.
    pub keys: u64,
    /// Blind-index rows compared.
    pub blind_indexes: u64,
    /// Section tombstones compared.
    pub tombstones: u64,
    /// Customers whose keys were destroyed.
    pub destroyed: u64,
    /// Customer records compared (index entries, facts and versions).
    pub records: u64,
}

/// Entries read from the ledger at a time.
const PAGE: u64 = 4096;

/// Customers whose expected state one pass of [`Brokerage::verify_vault`] holds: ~1.4 KB each (measured at
/// 100,000 customers in one pass: 143 MB), so a pass holds ~90 MB however large the book (BENCHMARKS.md,
/// "Peak RSS 512 MiB"); every further pass reads the whole ledger again (~1 s per 680,000 entries).
pub(crate) const CUSTOMERS_PER_PASS: u64 = 65_536;

/// Customers whose blind-index rows one pass holds, by value (~32 bytes a row, three rows a customer).
pub(crate) const BLIND_CUSTOMERS_PER_PASS: u64 = 262_144;

/// How [`Brokerage::verify_vault`] splits the book into passes over the ledger.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Passes {
    /// Customers a pass compares at most (about: customers go to passes by their id).
    pub(crate) customers: u64,
    /// Customers whose blind-index rows a pass checks, by value.
    pub(crate) blind_customers: u64,
}

impl Default for Passes {
    fn default() -> Self {
        Self {
            customers: CUSTOMERS_PER_PASS,
            blind_customers: BLIND_CUSTOMERS_PER_PASS,
        }
    }
}

/// The pass of `customer` among `passes`: the whole id as a number, never its leading bytes (a UUID v7
/// starts with its creation time, so the leading bytes group customers onboarded together).
fn pass_of(customer: CustomerId, passes: u64) -> u64 {
    let n = u128::from_be_bytes(*customer.as_bytes()) % u128::from(passes);
    // n < passes, a u64.
    u64::try_from(n).unwrap_or(0)
}

/// The blind-index pass of `index` among `passes` (std's SipHash with its fixed keys: the same in every run).
fn blind_pass_of(index: &BlindIndex, passes: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    index.hash(&mut hasher);
    hasher.finish() % passes
}

/// The blind-index rows the ledger says the store holds, for the values of one pass: every row noted, in
/// ledger order, and every destruction (which removes the customer's rows noted before it).
#[derive(Default)]
struct BlindRows {
    /// The values of the pass, each numbered.
    values: BTreeMap<BlindIndex, u32>,
    /// (value, customer, when noted).
    rows: Vec<(u32, CustomerId, u64)>,
    /// (customer, when destroyed).
    destroyed: Vec<(CustomerId, u64)>,
    /// Changes noted, the clock of `rows` and `destroyed`.
    clock: u64,
}

impl BlindRows {
    fn note(&mut self, customer: CustomerId, change: &Change, pass: u64, passes: u64) {
        self.clock += 1;
        match change {
            Change::BlindIndex { index } if blind_pass_of(index, passes) == pass => {
                let next = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
                let value = *self.values.entry(index.clone()).or_insert(next);
                self.rows.push((value, customer, self.clock));
            }
            Change::Destroyed { .. } => self.destroyed.push((customer, self.clock)),
            _ => {}
        }
    }

    /// Per value, in value order: the customers expected to hold it (ascending, once each). A value whose
    /// every row was destroyed is left out, as the ledger no longer says anyone holds it.
    fn expected(mut self) -> Vec<(BlindIndex, Vec<CustomerId>)> {
        // The last destruction of each customer.
        self.destroyed.sort_unstable();
        let last = |customer: &CustomerId| {
            let after = self.destroyed.partition_point(|(c, _)| c <= customer);
            after
                .checked_sub(1)
                .and_then(|i| self.destroyed.get(i))
                .filter(|(c, _)| c == customer)
                .map(|(_, at)| *at)
        };
        self.rows
            .retain(|(_, customer, at)| last(customer).is_none_or(|destroyed| *at > destroyed));
        self.rows.sort_unstable();
        let mut by_value: Vec<Vec<CustomerId>> = vec![Vec::new(); self.values.len()];
        for (value, customer, _) in self.rows {
            let list = &mut by_value[value as usize];
            if list.last() != Some(&customer) {
                list.push(customer);
            }
        }
        self.values
            .into_iter()
            .filter_map(|(index, value)| {
                let customers = std::mem::take(&mut by_value[value as usize]);
                (!customers.is_empty()).then_some((index, customers))
            })
            .collect()
    }
}

/// Whether an anchor's JSON may hold a blind-index row or a destruction: a tag spelled out in it, or an
/// escape (a JSON string with an escape can spell a tag without its bytes).
fn may_touch_blind_rows(json: &[u8]) -> bool {
    json.contains(&b'\\') || contains(json, br#""blind_index""#) || contains(json, br#""destroyed""#)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The smallest customer in one of two ascending lists and not the other.
fn first_difference(a: &[CustomerId], b: &[CustomerId]) -> Option<CustomerId> {
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) => return Some(*x.min(y)),
            (Some(x), None) | (None, Some(x)) => return Some(*x),
            (None, None) => return None,
        }
    }
}

/// How a pass reads the ledger: the first reads every entry below `size` and notes, for the later
/// passes, where their anchors sit; a later pass reads only the indices noted for it.
enum Read<'a> {
    All { later: &'a mut Later, size: u64 },
    Only(Vec<u64>),
}

/// The ledger indices of the anchors each later pass reads, found by the first pass (8 bytes an anchor,
/// against reading the whole ledger again per pass: at a million customers, 16 passes over ~6 million
/// entries took 526 s).
struct Later {
    /// Per pass (index 0 unused): the anchors of its customers, in ledger order.
    mine: Vec<Vec<u64>>,
    /// The anchors that may hold a blind-index row or a destruction, in ledger order: every pass that
    /// checks blind-index values reads them.
    blind: Vec<u64>,
}

impl Later {
    fn new(passes: u64) -> Self {
        Self {
            mine: (0..passes).map(|_| Vec::new()).collect(),
            blind: Vec::new(),
        }
    }

    fn note(&mut self, index: u64, pass: u64, touches_blind_rows: bool) {
        if let Some(list) = usize::try_from(pass)
            .ok()
            .and_then(|p| self.mine.get_mut(p))
            .filter(|_| pass > 0)
        {
            list.push(index);
        }
        if touches_blind_rows && self.mine.len() > 1 {
            self.blind.push(index);
        }
    }

    /// The indices `pass` reads, ascending, once each: its own anchors, and the blind-index ones if it
    /// checks blind-index values. Taken, since each pass runs once.
    fn wanted(&mut self, pass: u64, blind: bool) -> Vec<u64> {
        let mine = usize::try_from(pass)
            .ok()
            .and_then(|p| self.mine.get_mut(p))
            .map(std::mem::take)
            .unwrap_or_default();
        if !blind {
            return mine;
        }
        let mut all = mine;
        all.extend_from_slice(&self.blind);
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Entries at most this far apart are read in one range (a few skipped reads instead of a query each).
const GAP: u64 = 32;

/// `indices` (ascending) as ranges to read, joining those at most [`GAP`] apart.
fn runs(indices: &[u64]) -> Vec<std::ops::Range<u64>> {
    let mut runs: Vec<std::ops::Range<u64>> = Vec::new();
    for &i in indices {
        match runs.last_mut() {
            Some(run) if i >= run.end && i - run.end <= GAP => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs
}

/// The first differences found so far, kept so that the one reported is the one a single pass over the
/// whole book reports: the smallest customer whose rows differ, else the smallest blind-index value.
#[derive(Default)]
struct Differences {
    customer: Option<(CustomerId, BrokerageError)>,
    blind: Option<(BlindIndex, BrokerageError)>,
}

impl Brokerage {
    /// Verifies the ledger ([`Brokerage::verify_ledger`]), then reconciles the vault and the key store with
    /// it: every section version, wrapped key, blind-index row and tombstone the store holds must be the one
    /// the ledger anchored, and every one anchored must be there (ARCHITECTURE.md, "The vault anchored in the ledger"). The first difference is
    /// [`BrokerageError::VaultMismatch`], naming the customer and the category.
    ///
    /// `held` is the newest checkpoint an auditor keeps outside the store (see
    /// [`Brokerage::checkpoint`]): a store rolled back whole (ledger and vault from an older copy of the
    /// file) is consistent with itself, and only a checkpoint from outside shows it —
    /// [`BrokerageError::LedgerBehindCheckpoint`].
    ///
    /// Memory is bounded whatever the book's size: the customers are split by id into passes of at most
    /// about 65,536 (k = ⌈customers ÷ 65,536⌉ passes), each pass folding only its customers' anchors
    /// (~1.4 KB a customer, measured) and the blind-index rows of a share of the values; an anchor of another pass is
    /// skipped after reading its customer id. O(k × ledger entries) reading, the comparison once per
    /// customer and per blind-index value. The difference reported is the same whatever the passes.
    pub fn verify_vault(&self, held: Option<&SignedCheckpoint>) -> Result<VaultVerified, BrokerageError> {
        self.verify_vault_in_passes(held, Passes::default())
    }

    /// [`Brokerage::verify_vault`] with the book split as `passes` says (the tests force several passes).
    pub(crate) fn verify_vault_in_passes(
        &self,
        held: Option<&SignedCheckpoint>,
        passes: Passes,
    ) -> Result<VaultVerified, BrokerageError> {
        self.verify_ledger()?;
        let log = self.log();
        let size = log.size();
        if let Some(held) = held {
            let trust = TrustPolicy::log_only(&self.origin, vec![self.ledger_signer.verifier().clone()])?;
            let checkpoint = held.verify(&trust)?.checkpoint().clone();
            let behind = |reason| BrokerageError::LedgerBehindCheckpoint {
                size: checkpoint.size(),
                reason,
            };
            if checkpoint.size() > size {
                return Err(behind("the ledger is shorter than the checkpoint"));
            }
            if log.root_at(checkpoint.size())? != *checkpoint.root() {
                return Err(behind("the ledger's root at that size is another"));
            }
        }
        drop(log);
        let mut report = VaultVerified {
            ledger_size: size,
            ..VaultVerified::default()
        };
        let mut known = 0u64;
        records::scan_pages(
            &self.store,
            CUSTOMERS,
            KeyRange::all(),
            self.batch.get(),
            &mut |page| {
                known += page.len() as u64;
                Ok(())
            },
        )?;
        let k = known.div_ceil(passes.customers.max(1)).max(1);
        let blind_k = known.div_ceil(passes.blind_customers.max(1)).clamp(1, k);
        let mut found = Differences::default();
        // The first pass reads the whole ledger and notes where the anchors every later pass needs sit;
        // each later pass reads only those.
        let mut later = Later::new(k);
        for pass in 0..k {
            let read = if pass == 0 {
                Read::All {
                    later: &mut later,
                    size,
                }
            } else {
                Read::Only(later.wanted(pass, pass < blind_k))
            };
            self.verify_pass(pass, k, blind_k, read, &mut report, &mut found)?;
        }
        // A customer's difference first, as a single pass compares every customer before the values.
        match (found.customer, found.blind) {
            (Some((_, e)), _) | (None, Some((_, e))) => Err(e),
            (None, None) => Ok(report),
        }
    }

    /// One pass: the customers of `pass` of `k` compared, and, in the first `blind_k` passes, the
    /// blind-index values of that pass; reading the ledger as `read` says.
    fn verify_pass(
        &self,
        pass: u64,
        k: u64,
        blind_k: u64,
        read: Read<'_>,
        report: &mut VaultVerified,
        found: &mut Differences,
    ) -> Result<(), BrokerageError> {
        let mut expected: BTreeMap<CustomerId, Expected> = BTreeMap::new();
        let mut blind = (pass < blind_k).then(BlindRows::default);
        let (mut later, only, ranges) = match read {
            // The first pass reads the whole ledger as one run.
            Read::All { later, size } => (Some(later), None, std::iter::once(0..size).collect()),
            Read::Only(indices) => {
                let ranges = runs(&indices);
                (None, Some(indices), ranges)
            }
        };
        let mut wanted = only.map(|indices| indices.into_iter().peekable());
        let mut visit = |index: u64, json: &[u8]| {
            // Every anchor has a head; one of another pass is left there unless its blind-index rows are
            // this pass's to check.
            let Ok(head) = serde_json::from_slice::<AnchorHead>(json) else {
                return;
            };
            let customer_pass = pass_of(head.customer, k);
            if let Some(later) = later.as_mut() {
                later.note(index, customer_pass, may_touch_blind_rows(json));
            }
            let mine = customer_pass == pass;
            let rows = blind.as_mut().filter(|_| may_touch_blind_rows(json));
            if !mine && rows.is_none() {
                return;
            }
            let Ok(anchor) = serde_json::from_slice::<VaultAnchor>(json) else {
                return;
            };
            if let Some(rows) = rows {
                for change in &anchor.changes {
                    rows.note(anchor.customer, change, pass, blind_k);
                }
            }
            if mine {
                report.anchors += 1;
                let state = expected.entry(anchor.customer).or_default();
                for change in anchor.changes {
                    state.apply(change);
                }
            }
        };
        for range in ranges {
            let mut start = range.start;
            while start < range.end {
                let end = range.end.min(start + PAGE);
                for entry in LogStore::entries(&*self.store, start..end)? {
                    // A run may cover a few entries no anchor of this pass sits at.
                    if let Some(wanted) = wanted.as_mut()
                        && wanted.next_if_eq(&entry.index()).is_none()
                    {
                        continue;
                    }
                    if let Some(json) = entry.payload().and_then(|p| p.strip_prefix(STEP_PREFIX)) {
                        visit(entry.index(), json);
                    }
                }
                start = end;
            }
        }
        // Customers the brokerage knows but the ledger never anchored must hold nothing.
        records::scan_pages(
            &self.store,
            CUSTOMERS,
            KeyRange::all(),
            self.batch.get(),
            &mut |page| {
                for record in page {
                    let customer = records::customer_at(CUSTOMERS.as_str(), &record.key, 0)?;
                    if pass_of(customer, k) == pass {
                        expected.entry(customer).or_default();
                    }
                }
                Ok(())
            },
        )?;
        for (customer, state) in &expected {
            if found
                .customer
                .as_ref()
                .is_some_and(|(first, _)| first <= customer)
            {
                break;
            }
            match self.compare(*customer, state, report) {
                Ok(()) => {}
                Err(e @ BrokerageError::VaultMismatch { .. }) => {
                    found.customer = Some((*customer, e));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        drop(expected);
        // A customer's difference is the one reported, so the blind-index rows need no look then.
        let Some(rows) = blind.filter(|_| found.customer.is_none()) else {
            return Ok(());
        };
        for (index, customers) in rows.expected() {
            if found.blind.as_ref().is_some_and(|(first, _)| *first <= index) {
                break;
            }
            let mut held = self.store.find_customers(&index)?;
            held.sort_unstable();
            held.dedup();
            if let Some(customer) = first_difference(&held, &customers) {
                let e = mismatch(customer, None, "a blind-index row is missing, moved or extra");
                found.blind = Some((index, e));
                break;
            }
            report.blind_indexes += customers.len() as u64;
        }
        Ok(())
    }

    /// Compares one customer's rows with what the ledger says.
    fn compare(
        &self,
        customer: CustomerId,
        state: &Expected,
        report: &mut VaultVerified,
    ) -> Result<(), BrokerageError> {
        report.customers += 1;
        let destroyed = self.store.destroyed_at(customer)?;
        if destroyed != state.destroyed {
            return Err(mismatch(
                customer,
                None,
                "the key tombstone differs (destruction time or presence)",
            ));
        }
        if destroyed.is_some() {
            report.destroyed += 1;
        } else {
            let keys: SmallMap<DekId, Digest> = match self.store.wrapped_keys(customer) {
                Ok(keys) => SmallMap::collect(keys.iter().map(|k| (k.dek_id(), Digest::of(&k.encode())))),
                Err(CryptoError::KeyDestroyed { .. }) => SmallMap::default(),
                Err(e) => return Err(e.into()),
            };
            if keys != state.keys {
                return Err(mismatch(
                    customer,
                    None,
                    "a wrapped data key is missing, extra or altered",
                ));
            }
            report.keys += keys.len() as u64;
        }
        let mut stored: SmallMap<RecordKey, Digest> = SmallMap::default();
        for (at, namespace) in (0u8..).zip(ANCHORED_RECORDS) {
            records::scan_pages(
                &self.store,
                namespace,
                KeyRange::prefix(customer.as_bytes()),
                self.batch.get(),
                &mut |page| {
                    for record in page {
                        stored.insert((at, record.key.into_boxed_slice()), Digest::of(&record.value));
                    }
                    Ok(())
                },
            )?;
        }
        if stored != state.records || !state.other_records.is_empty() {
            return Err(mismatch(
                customer,
                None,
                "a customer record (index entry, facts or version) is missing, extra or altered",
            ));
        }
        report.records += stored.len() as u64;
        let held: BTreeSet<DataCategory> = self.store.row_categories(customer)?.into_iter().collect();
        for category in DataCategory::ALL {
            let want_rows = state.versions(category);
            let rows: SmallMap<(DataCategory, u64), Digest> = if held.contains(&category) {
                SmallMap::collect(
                    self.store
                        .rows(customer, category)?
                        .iter()
                        .map(|r| ((category, r.record_version()), Digest::of(r.sealed().as_bytes()))),
                )
            } else {
                SmallMap::default()
            };
            if rows.as_slice() != want_rows {
                let newest = |m: &[((DataCategory, u64), Digest)]| m.last().map(|((_, v), _)| *v);
                let what = match (newest(rows.as_slice()), newest(want_rows)) {
                    (None, Some(_)) => "a section anchored on the ledger is gone",
                    (Some(_), None) => "a section the ledger never anchored is there",
                    (Some(a), Some(b)) if a < b => "the newest version is missing (rolled back)",
                    (Some(a), Some(b)) if a > b => "a version the ledger never anchored is there",
                    _ => "a section version differs from its anchored digest",
                };
                return Err(mismatch(customer, Some(category), what));
            }
            report.sections += rows.len() as u64;
            let tombstone = self.store.tombstone_row(customer, category)?;
            match (tombstone.map(|t| t.erased_at()), state.deleted.get(&category)) {
                (None, None) => {}
                (Some(a), Some(b)) if a == *b => report.tombstones += 1,
                (None, Some(_)) => {
                    return Err(mismatch(customer, Some(category), "a section tombstone is gone"));
                }
                _ => return Err(mismatch(customer, Some(category), "a section tombstone differs")),
            }
        }
        Ok(())
    }
}

fn mismatch(customer: CustomerId, category: Option<DataCategory>, what: &'static str) -> BrokerageError {
    BrokerageError::VaultMismatch {
        customer,
        category,
        what,
    }
}

/// The head of an anchor payload: enough to know whose it is (serde skips the changes).
#[derive(Deserialize)]
struct AnchorHead {
    #[serde(rename = "kind")]
    _kind: AnchorKind,
    customer: CustomerId,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::NaiveDate;
    use custodia_synthetic::book::{BookConfig, SyntheticBook};
    use custodia_synthetic::consent::{at_nine, privacy_notice};

    use super::*;
    use crate::{BrokerageConfig, ManualClock, Onboarding, StaticKeySource};

    /// 40 customers in passes of about 8 (5 passes), the blind-index values in the first 3.
    const CUSTOMERS: u64 = 40;
    const SPLIT: Passes = Passes {
        customers: 8,
        blind_customers: 16,
    };
    const WHOLE: Passes = Passes {
        customers: u64::MAX,
        blind_customers: u64::MAX,
    };

    fn open(path: &Path) -> Brokerage {
        let now = at_nine(NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()).unwrap();
        let config = BrokerageConfig::sqlite(path).with_clock(ManualClock::at(now));
        Brokerage::open(config, &StaticKeySource::new([0x5a; 32])).unwrap()
    }

    /// A store with the book onboarded; its customers, ascending.
    fn onboarded(path: &Path) -> Vec<CustomerId> {
        let date = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
        let b = open(path);
        let notice = privacy_notice(
            "示例保险经纪有限公司",
            "privacy@seller.example",
            at_nine(date).unwrap(),
        )
        .unwrap();
        b.publish_notice(&notice).unwrap();
        let config = BookConfig {
            seed: 5,
            customers: CUSTOMERS,
            ..BookConfig::default()
        };
        let book = SyntheticBook::generate(&config, date).unwrap();
        let onboarding = book
            .customers()
            .iter()
            .map(|c| Onboarding::new(c.customer.clone(), notice.reference()));
        b.onboard_batch(onboarding, &mut |_| {}).unwrap();
        let mut ids: Vec<CustomerId> = book.customers().iter().map(|c| c.customer.id()).collect();
        ids.sort_unstable();
        ids
    }

    /// The mismatch found in several passes, after checking that one pass finds the very same.
    fn split_mismatch(path: &Path) -> (CustomerId, Option<DataCategory>, &'static str) {
        let b = open(path);
        let whole = b
            .verify_vault_in_passes(None, WHOLE)
            .map_err(|e| format!("{e:?}"));
        match b.verify_vault_in_passes(None, SPLIT) {
            Err(e) => {
                assert_eq!(Err(format!("{e:?}")), whole);
                match e {
                    BrokerageError::VaultMismatch {
                        customer,
                        category,
                        what,
                    } => (customer, category, what),
                    other => panic!("not a mismatch: {other:?}"),
                }
            }
            Ok(report) => panic!("tampering not found in passes: {report:?}"),
        }
    }

    #[test]
    fn later_passes_read_their_anchors_and_the_blind_ones_in_runs() {
        let mut later = Later::new(3);
        // (index, pass, may touch blind-index rows)
        for (i, pass, blind) in [
            (1, 0, true),
            (2, 1, false),
            (5, 2, true),
            (7, 1, true),
            (200, 1, false),
        ] {
            later.note(i, pass, blind);
        }
        // Pass 1 checks blind-index values: its own anchors and every blind one, once each, in order.
        assert_eq!(later.wanted(1, true), [1, 2, 5, 7, 200]);
        // Pass 2 does not: its own only.
        assert_eq!(later.wanted(2, false), [5]);
        // Indices at most GAP apart are one run; farther, a new one.
        assert_eq!(runs(&[1, 2, 5, 7, 200]), [1..8, 200..201]);
        assert_eq!(
            runs(&[3, 3 + GAP + 1]),
            std::iter::once(3..4 + GAP + 1).collect::<Vec<_>>()
        );
        assert_eq!(runs(&[3, 3 + GAP + 2]), [3..4, 5 + GAP..6 + GAP]);
        assert!(runs(&[]).is_empty());
    }

    #[test]
    fn several_passes_count_what_one_pass_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let ids = onboarded(&path);
        let passes: BTreeSet<u64> = ids.iter().map(|c| pass_of(*c, 5)).collect();
        assert_eq!(passes.len(), 5, "every pass has customers");
        let b = open(&path);
        let whole = b.verify_vault_in_passes(None, WHOLE).unwrap();
        assert_eq!(whole, b.verify_vault(None).unwrap());
        assert_eq!(whole, b.verify_vault_in_passes(None, SPLIT).unwrap());
        assert_eq!(whole.customers, CUSTOMERS);
        assert!(
            whole.blind_indexes >= CUSTOMERS && whole.sections > 0 && whole.records > 0,
            "{whole:?}"
        );
    }

    /// The store file under the brokerage, opened beside it: writes through it bypass the anchors, as an
    /// alteration outside custodia would.
    fn raw(path: &Path) -> custodia_store::SqliteStore {
        custodia_store::SqliteStore::open(path, &custodia_store::SqliteConfig::new()).unwrap()
    }

    #[test]
    fn a_section_gone_in_a_later_pass_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let ids = onboarded(&path);
        let victim = *ids.iter().find(|c| pass_of(**c, 5) == 1).unwrap();
        let at = at_nine(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).unwrap();
        let n = SectionRows::delete_rows(&raw(&path), victim, &DataCategory::ALL, at).unwrap();
        assert!(n > 0);
        let (customer, category, what) = split_mismatch(&path);
        assert_eq!(customer, victim);
        assert!(category.is_some(), "{what}");
    }

    /// A blind-index row added, outside the anchors, for a customer of another pass that the ledger never
    /// gave that value: the value's pass finds it, and the difference named is the one a single pass names.
    #[test]
    fn a_blind_index_row_added_across_passes_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let ids = onboarded(&path);
        // Every blind-index value the ledger anchored, with its customer.
        let b = open(&path);
        let mut anchored: Vec<(CustomerId, BlindIndex)> = Vec::new();
        for entry in LogStore::entries(&*b.store, 0..b.log().size()).unwrap() {
            let json = entry.payload().and_then(|p| p.strip_prefix(STEP_PREFIX));
            if let Some(anchor) = json.and_then(|j| serde_json::from_slice::<VaultAnchor>(j).ok()) {
                for change in anchor.changes {
                    if let Change::BlindIndex { index } = change {
                        anchored.push((anchor.customer, index));
                    }
                }
            }
        }
        drop(b);
        let (owner, index) = anchored.last().cloned().unwrap();
        let holders: BTreeSet<CustomerId> = anchored
            .iter()
            .filter(|(_, i)| *i == index)
            .map(|(c, _)| *c)
            .collect();
        // A customer of another pass who does not hold this value.
        let other = *ids
            .iter()
            .find(|c| pass_of(**c, 5) != pass_of(owner, 5) && !holders.contains(c))
            .unwrap();
        raw(&path).put_blind_index(other, &index).unwrap();
        let (customer, category, what) = split_mismatch(&path);
        assert_eq!((customer, category), (other, None), "{what}");
        assert_eq!(what, "a blind-index row is missing, moved or extra");
    }
}
