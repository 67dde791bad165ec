//! The vault anchored in the ledger: every section, wrapped-key, blind-index and tombstone change the brokerage makes lands on its ledger in the same unit of work, pseudonymously, and [`Brokerage::verify_vault`] reconciles what the store holds with what the ledger says it should.
//!
//! The ledger is tamper-evident (RFC 9162, checkpoints an auditor can hold); the vault's tables are not.
//! So the store's writes are noted as they happen (the brokerage's [`crate::backend::Backend`] notes every
//! seam write) and [`crate::Brokerage::write`] appends the notes, one ledger entry per customer touched,
//! before the unit commits: on SQLite the vault rows and their anchors commit in one transaction, on
//! PostgreSQL in one transaction holding the store's table locks, so the two never disagree in order.
//!
//! An anchor carries ids, versions, times and SHA-256 digests of the stored bytes (ciphertext and wrapped
//! keys), and the blind-index values themselves (keyed HMACs, pseudonymous by design, already stored in
//! the clear): never a personal value. Verification walks the ledger once, folds the anchors into what
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

/// What the ledger says one customer's vault and keys hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expected {
    /// Per category: every version stored and its digest (rows deleted with the category go).
    pub(crate) sections: BTreeMap<DataCategory, BTreeMap<u64, Digest>>,
    /// Per category deleted: when (the tombstone's time).
    pub(crate) deleted: BTreeMap<DataCategory, DateTime<Utc>>,
    /// Every wrapped key and the digest of its newest bytes.
    pub(crate) keys: BTreeMap<DekId, Digest>,
    /// Every blind-index value stored for the customer.
    pub(crate) blind: BTreeSet<BlindIndex>,
    /// When the keys were destroyed.
    pub(crate) destroyed: Option<DateTime<Utc>>,
    /// The customer's anchored records: (namespace, key) and the digest of the value stored.
    pub(crate) records: BTreeMap<(String, Vec<u8>), Digest>,
}

impl Expected {
    pub(crate) fn apply(&mut self, change: Change) {
        match change {
            Change::Section {
                category,
                version,
                digest,
            } => {
                self.deleted.remove(&category);
                self.sections.entry(category).or_default().insert(version, digest);
            }
            Change::Key { dek, digest } => {
                self.keys.insert(dek, digest);
            }
            Change::BlindIndex { index } => {
                self.blind.insert(index);
            }
            Change::Destroyed { at } => {
                // Destruction removes every wrapped key and blind-index row of the customer.
                self.destroyed.get_or_insert(at);
                self.keys.clear();
                self.blind.clear();
            }
            Change::Record {
                namespace,
                key,
                digest,
            } => {
                // A key that is not hex was never written by the brokerage: it cannot match a stored
                // record, so the comparison reports the customer.
                let key = hex::decode(&key).unwrap_or_else(|_| key.into_bytes());
                match digest {
                    Some(digest) => {
                        self.records.insert((namespace, key), digest);
                    }
                    None => {
                        self.records.remove(&(namespace, key));
                    }
                }
            }
            Change::SectionsDeleted { categories, at } => {
                for category in categories {
                    // The store tombstones only a category that had rows.
                    if self.sections.remove(&category).is_some() {
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

impl Brokerage {
    /// Verifies the ledger ([`Brokerage::verify_ledger`]), then reconciles the vault and the key store with
    /// it: every section version, wrapped key, blind-index row and tombstone the store holds must be the one
    /// the ledger anchored, and every one anchored must be there (ARCHITECTURE.md, "The vault anchored in the ledger"). The first difference is
    /// [`BrokerageError::VaultMismatch`], naming the customer and the category.
    ///
    /// `held` is the newest checkpoint an auditor keeps outside the store (see
    /// [`Brokerage::checkpoint`]): a store rolled back whole (ledger and vault from an older copy of the
    /// file) is consistent with itself, and only a checkpoint from outside shows it —
    /// [`BrokerageError::LedgerBehindCheckpoint`]. O(ledger entries) time; memory for what the anchors say
    /// of every customer.
    pub fn verify_vault(&self, held: Option<&SignedCheckpoint>) -> Result<VaultVerified, BrokerageError> {
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
        let mut expected: BTreeMap<CustomerId, Expected> = BTreeMap::new();
        let mut start = 0;
        while start < size {
            let end = size.min(start + PAGE);
            for entry in LogStore::entries(&*self.store, start..end)? {
                let Some(anchor) = entry.payload().and_then(parse_anchor) else {
                    continue;
                };
                report.anchors += 1;
                let state = expected.entry(anchor.customer).or_default();
                for change in anchor.changes {
                    state.apply(change);
                }
            }
            start = end;
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
                    expected.entry(customer).or_default();
                }
                Ok(())
            },
        )?;
        let mut by_index: BTreeMap<&BlindIndex, BTreeSet<CustomerId>> = BTreeMap::new();
        for (customer, state) in &expected {
            for index in &state.blind {
                by_index.entry(index).or_default().insert(*customer);
            }
        }
        for (customer, state) in &expected {
            self.compare(*customer, state, &mut report)?;
        }
        for (index, customers) in by_index {
            let found: BTreeSet<CustomerId> = self.store.find_customers(index)?.into_iter().collect();
            if let Some(customer) = found.symmetric_difference(&customers).next() {
                return Err(mismatch(
                    *customer,
                    None,
                    "a blind-index row is missing, moved or extra",
                ));
            }
            report.blind_indexes += customers.len() as u64;
        }
        Ok(report)
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
            let keys: BTreeMap<DekId, Digest> = match self.store.wrapped_keys(customer) {
                Ok(keys) => keys
                    .iter()
                    .map(|k| (k.dek_id(), Digest::of(&k.encode())))
                    .collect(),
                Err(CryptoError::KeyDestroyed { .. }) => BTreeMap::new(),
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
        let mut stored: BTreeMap<(String, Vec<u8>), Digest> = BTreeMap::new();
        for namespace in ANCHORED_RECORDS {
            records::scan_pages(
                &self.store,
                namespace,
                KeyRange::prefix(customer.as_bytes()),
                self.batch.get(),
                &mut |page| {
                    for record in page {
                        stored.insert(
                            (namespace.as_str().to_owned(), record.key),
                            Digest::of(&record.value),
                        );
                    }
                    Ok(())
                },
            )?;
        }
        if stored != state.records {
            return Err(mismatch(
                customer,
                None,
                "a customer record (index entry, facts or version) is missing, extra or altered",
            ));
        }
        report.records += stored.len() as u64;
        let held: BTreeSet<DataCategory> = self.store.row_categories(customer)?.into_iter().collect();
        for category in DataCategory::ALL {
            let want = state.sections.get(&category);
            let rows: BTreeMap<u64, Digest> = if held.contains(&category) {
                self.store
                    .rows(customer, category)?
                    .iter()
                    .map(|r| (r.record_version(), Digest::of(r.sealed().as_bytes())))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let empty = BTreeMap::new();
            let want_rows = want.unwrap_or(&empty);
            if rows != *want_rows {
                let what = match (rows.keys().next_back(), want_rows.keys().next_back()) {
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

/// An anchor, if `payload` is one (the brokerage's prefix and an anchor's JSON).
fn parse_anchor(payload: &[u8]) -> Option<VaultAnchor> {
    let json = payload.strip_prefix(STEP_PREFIX)?;
    serde_json::from_slice::<VaultAnchor>(json).ok()
}
