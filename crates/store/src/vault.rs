//! The vault of sealed sections: customer, category and record version to sealed bytes, with history.

use std::collections::BTreeMap;

use custodia_crypto::SealedSection;
use custodia_model::{CustomerId, DataCategory};

use crate::error::StoreError;

/// One stored version of one section: the record version it was sealed for and the sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionedSection {
    record_version: u64,
    sealed: SealedSection,
}

impl VersionedSection {
    /// A stored version. Stores build these when they read a row back.
    pub fn new(record_version: u64, sealed: SealedSection) -> Self {
        Self {
            record_version,
            sealed,
        }
    }

    /// The record version the section was sealed for (bound into its AAD by `custodia-crypto`).
    pub fn record_version(&self) -> u64 {
        self.record_version
    }

    /// The sealed bytes, exactly as stored.
    pub fn sealed(&self) -> &SealedSection {
        &self.sealed
    }

    /// Gives the sealed section back.
    pub fn into_sealed(self) -> SealedSection {
        self.sealed
    }
}

/// Where sealed sections live. The vault never sees a plaintext or a key: it keeps the exact bytes
/// `custodia-crypto` sealed, under the customer, category and record version that the seal's AAD binds,
/// so a row moved to another key does not open.
///
/// **History.** Every version stays (PIPL Art 46: a correction must not lose what was held before, and
/// an auditor asks what was known when). A put at a version not newer than the newest stored one is
/// refused with [`StoreError::StaleSectionVersion`]. Versions need not be consecutive.
///
/// **Erasure.** Erasure is by crypto-shredding: destroying the customer's wrapped keys makes every
/// version unreadable at once (PIPL Art 47). [`SectionVault::purge_customer`] also deletes the bytes,
/// for the case where storage must be freed too.
pub trait SectionVault {
    /// Stores `sealed` as `customer`'s `category` section at `record_version`.
    fn put_section(
        &mut self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
        sealed: &SealedSection,
    ) -> Result<(), StoreError>;

    /// The section at exactly `record_version`, if stored.
    fn section(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, StoreError>;

    /// The newest stored version of the section, if any.
    fn latest_section(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, StoreError>;

    /// Every stored version of the section, oldest first.
    fn section_history(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, StoreError>;

    /// The categories for which `customer` has at least one stored section, in
    /// [`DataCategory::ALL`] order.
    fn categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, StoreError>;

    /// Deletes every version of every section of `customer` and returns how many rows went.
    fn purge_customer(&mut self, customer: CustomerId) -> Result<u64, StoreError>;

    /// Deletes every version of the given categories of `customer`, keeps the others untouched, and returns
    /// how many rows went. This is how a disposition erases what the seller may no longer hold while it
    /// restricts the rest to storage (PIPL Art 47). Unlike [`SectionVault::purge_customer`] it does not
    /// checkpoint SQLite's write-ahead log on every call: a caller erasing many customers calls
    /// `SqliteStore::checkpoint_wal` once after the batch, and only then have the older page images left
    /// the WAL file as well.
    fn purge_categories(
        &mut self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<u64, StoreError>;
}

/// An in-memory [`SectionVault`], for tests and examples. It runs the same conformance suite as the
/// database backends.
#[derive(Debug, Default)]
pub struct MemoryVault {
    sections: BTreeMap<(CustomerId, DataCategory), BTreeMap<u64, SealedSection>>,
}

impl MemoryVault {
    /// An empty vault.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Orders categories the way [`SectionVault::categories`] promises: [`DataCategory::ALL`] order.
pub(crate) fn sort_categories(categories: &mut Vec<DataCategory>) {
    categories.sort_by_key(|c| DataCategory::ALL.iter().position(|known| known == c));
    categories.dedup();
}

impl SectionVault for MemoryVault {
    fn put_section(
        &mut self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
        sealed: &SealedSection,
    ) -> Result<(), StoreError> {
        let history = self.sections.entry((customer, category)).or_default();
        if let Some((&latest, _)) = history.last_key_value()
            && record_version <= latest
        {
            return Err(StoreError::StaleSectionVersion {
                customer,
                category,
                version: record_version,
                latest,
            });
        }
        history.insert(record_version, sealed.clone());
        Ok(())
    }

    fn section(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, StoreError> {
        Ok(self
            .sections
            .get(&(customer, category))
            .and_then(|h| h.get(&record_version))
            .cloned())
    }

    fn latest_section(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, StoreError> {
        Ok(self
            .sections
            .get(&(customer, category))
            .and_then(|h| h.last_key_value())
            .map(|(&version, sealed)| VersionedSection::new(version, sealed.clone())))
    }

    fn section_history(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, StoreError> {
        Ok(self
            .sections
            .get(&(customer, category))
            .map(|h| {
                h.iter()
                    .map(|(&v, s)| VersionedSection::new(v, s.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, StoreError> {
        let mut out: Vec<DataCategory> = self
            .sections
            .iter()
            .filter(|((c, _), history)| *c == customer && !history.is_empty())
            .map(|((_, category), _)| *category)
            .collect();
        sort_categories(&mut out);
        Ok(out)
    }

    fn purge_customer(&mut self, customer: CustomerId) -> Result<u64, StoreError> {
        self.purge_categories(customer, &DataCategory::ALL)
    }

    fn purge_categories(
        &mut self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<u64, StoreError> {
        let mut removed = 0u64;
        self.sections.retain(|(c, category), history| {
            if *c == customer && categories.contains(category) {
                removed += history.len() as u64;
                false
            } else {
                true
            }
        });
        Ok(removed)
    }
}
