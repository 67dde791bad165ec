//! The sealed-section vault seam: `SectionRows` (what a backend stores), `SectionVault` (the rules, written once), and `InMemoryVault`.
//!
//! A backend implements [`SectionRows`]: a handful of row operations, one of them an atomic
//! compare-and-insert. Every type that does gets [`SectionVault`], whose methods hold the vault's rules,
//! through a blanket implementation that no backend can override: a version not newer than the newest
//! the vault has held is refused, history comes back oldest first, categories in [`DataCategory::ALL`]
//! order, erasure leaves a tombstone. So the in-memory vault, SQLite and PostgreSQL cannot drift apart,
//! and `custodia-conformance` checks each of them against the same suite.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use custodia_model::{CustomerId, DataCategory};

use crate::error::CryptoError;
use crate::section::SealedSection;

/// One stored version of one section: the record version it was sealed for and the sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionedSection {
    record_version: u64,
    sealed: SealedSection,
}

impl VersionedSection {
    /// A stored version. Backends build these when they read a row back.
    pub fn new(record_version: u64, sealed: SealedSection) -> Self {
        Self {
            record_version,
            sealed,
        }
    }

    /// The record version the section was sealed for (bound into its AAD).
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

/// What is left of a customer's category after its sections were erased: when, and the newest version
/// that was erased. It is never removed, so that versions never go backwards across an erasure (a
/// section put later must be newer than everything the vault ever held) and so that "erased on this day"
/// can be told from "never held" (PIPL Art 47; an auditor asks what was held when).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionTombstone {
    erased_at: DateTime<Utc>,
    last_version: u64,
}

impl SectionTombstone {
    /// A tombstone. Backends build these when they read a row back.
    pub fn new(erased_at: DateTime<Utc>, last_version: u64) -> Self {
        Self {
            erased_at,
            last_version,
        }
    }

    /// When the category's sections were (last) erased.
    pub fn erased_at(&self) -> DateTime<Utc> {
        self.erased_at
    }

    /// The newest record version that was erased.
    pub fn last_version(&self) -> u64 {
        self.last_version
    }
}

/// The row [`SectionRows::insert_row_if_newest`] is asked to insert, and the state it must find first.
// Not #[non_exhaustive]: an input, which a backend's own tests (and the conformance suite) build.
#[derive(Clone, Copy, Debug)]
pub struct SectionInsert<'a> {
    /// The customer.
    pub customer: CustomerId,
    /// The category.
    pub category: DataCategory,
    /// The record version the section was sealed for.
    pub record_version: u64,
    /// The sealed bytes to store as they are.
    pub sealed: &'a SealedSection,
    /// The newest version the caller saw (see the [`SectionRows`] contract): the insert happens only
    /// if that is still the newest.
    pub expected_newest: Option<u64>,
}

/// What a compare-and-insert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// The row was stored.
    Inserted,
    /// The newest version was not the one expected; nothing was written. Here is the one found.
    NewestMoved {
        /// The newest version the backend holds now (see the [`SectionRows`] contract).
        newest: Option<u64>,
    },
}

/// What a section vault backend stores: rows keyed by customer, category and record version, and one
/// tombstone row per erased category. Implement this (SQLite and PostgreSQL do, in `custodia-store`; a
/// downstream backend may), and [`SectionVault`] follows with every rule; run `custodia-conformance`'s
/// `section_vault_suite` against it.
///
/// # Contract
///
/// - The **newest version** of a customer's category is the largest record version among its rows, or,
///   when it has no row, the tombstone's last version, or none.
/// - [`SectionRows::insert_row_if_newest`] is atomic: it compares the newest version with
///   `expected_newest` and inserts only if they are equal, with no other writer in between (a
///   transaction holding the write lock, a per-key lock, or a mutex).
/// - [`SectionRows::row`], [`SectionRows::newest_row`] and [`SectionRows::tombstone_row`] are the
///   vault's reads as they are; [`SectionRows::rows`] and [`SectionRows::row_categories`] may come back
///   in any order, [`SectionVault`] orders them.
/// - Rows are stored and returned byte for byte; a row that fails its own checks on the way out is a
///   [`CryptoError::Vault`] naming it, never repaired silently.
/// - [`SectionRows::delete_rows`] deletes physically where the engine allows, and records tombstones in
///   the same atomic step.
/// - Backend failures are [`CryptoError::Vault`] with the backend's error as the source.
/// - The vault never sees a plaintext or a key: it keeps the exact bytes `custodia-crypto` sealed.
pub trait SectionRows {
    /// Stores one row if the newest version is still `insert.expected_newest` (see the contract).
    fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError>;

    /// The row at exactly `record_version`, if stored.
    fn row(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, CryptoError>;

    /// The row with the largest record version, if any.
    fn newest_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, CryptoError>;

    /// Every row of the category, in any order.
    fn rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, CryptoError>;

    /// The categories with at least one row, in any order, repeats allowed.
    fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError>;

    /// The category's tombstone row, if it was ever erased.
    fn tombstone_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError>;

    /// In one atomic step: deletes every row of `categories` of `customer` and, for each category that
    /// had rows, records the tombstone (`at`, the largest version deleted) in place of any older one.
    /// Returns how many rows went.
    fn delete_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, CryptoError>;

    /// Makes the bytes of rows deleted so far physically gone from the backend's files where the engine
    /// needs a separate step for it (SQLite: a write-ahead-log checkpoint), PIPL Art 47. The default does
    /// nothing, for backends that delete in place.
    fn flush_deleted_rows(&self) -> Result<(), CryptoError> {
        Ok(())
    }
}

/// A backend that broke the [`SectionRows`] contract, reported as [`CryptoError::Vault`].
#[derive(Debug, thiserror::Error)]
#[error("section vault backend broke its contract: {0}")]
struct ContractBroken(&'static str);

/// Where sealed sections live, with their history: the one vault language of custodia, used by transfer,
/// retention and every program above them. Implemented for every [`SectionRows`] backend (and for `&T`
/// and `Arc<T>` of one), never by hand, so that its rules are written once, here.
///
/// **History.** Every version stays (PIPL Art 46: a correction must not lose what was held before, and an
/// auditor asks what was known when). A put at a version not newer than the newest the vault has held —
/// stored, or erased and remembered by a tombstone — is refused with
/// [`CryptoError::StaleSectionVersion`]. Versions need not be consecutive.
///
/// **Erasure.** Erasure is by crypto-shredding: destroying the customer's wrapped keys makes every version
/// unreadable at once (PIPL Art 47). [`SectionVault::purge_customer`] and
/// [`SectionVault::purge_categories`] delete the bytes too, and leave a [`SectionTombstone`].
///
/// ```
/// use chrono::Utc;
/// use custodia_crypto::{CryptoError, InMemoryVault, Keyring, KeyringConfig, SectionVault, seal_section};
/// use custodia_model::{CustomerId, DataCategory};
///
/// let keyring = Keyring::derive_from_master(&[7u8; 32], 1, KeyringConfig::default())?;
/// let vault = InMemoryVault::new();
/// let customer = CustomerId::new_v7();
/// let (dek, _) = keyring.generate_dek(customer)?;
/// for version in [1, 3] {
///     let sealed = seal_section(&dek, customer, DataCategory::Contact, version, b"{}")?;
///     vault.put_section(customer, DataCategory::Contact, version, &sealed)?;
/// }
/// let stale = seal_section(&dek, customer, DataCategory::Contact, 2, b"{}")?;
/// assert!(matches!(
///     vault.put_section(customer, DataCategory::Contact, 2, &stale),
///     Err(CryptoError::StaleSectionVersion { latest: 3, .. })
/// ));
/// assert_eq!(vault.latest_section(customer, DataCategory::Contact)?.map(|s| s.record_version()), Some(3));
/// let history = vault.section_history(customer, DataCategory::Contact)?;
/// assert_eq!(history.iter().map(|s| s.record_version()).collect::<Vec<_>>(), [1, 3]);
///
/// // Erasure (PIPL Art 47) leaves a tombstone, and versions still only go forward.
/// assert_eq!(vault.purge_categories(customer, &[DataCategory::Contact], Utc::now())?, 2);
/// assert_eq!(vault.tombstone(customer, DataCategory::Contact)?.map(|t| t.last_version()), Some(3));
/// let again = seal_section(&dek, customer, DataCategory::Contact, 3, b"{}")?;
/// assert!(vault.put_section(customer, DataCategory::Contact, 3, &again).is_err());
/// # Ok::<(), CryptoError>(())
/// ```
pub trait SectionVault: SectionRows {
    /// Stores `sealed` as `customer`'s `category` section at `record_version`, refusing a version not
    /// newer than the newest the vault has held ([`CryptoError::StaleSectionVersion`]).
    fn put_section(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
        sealed: &SealedSection,
    ) -> Result<(), CryptoError> {
        // The first try assumes a new category (one round trip for the common case); a backend that
        // holds something answers with its newest version, which is checked and tried again. Each retry
        // means another writer changed the category, so the loop ends when this version is stale or lands.
        let mut expected_newest = None;
        loop {
            if let Some(latest) = expected_newest
                && record_version <= latest
            {
                return Err(CryptoError::StaleSectionVersion {
                    customer,
                    category,
                    version: record_version,
                    latest,
                });
            }
            let insert = SectionInsert {
                customer,
                category,
                record_version,
                sealed,
                expected_newest,
            };
            match self.insert_row_if_newest(&insert)? {
                InsertOutcome::Inserted => return Ok(()),
                InsertOutcome::NewestMoved { newest } if newest != expected_newest => {
                    expected_newest = newest;
                }
                InsertOutcome::NewestMoved { .. } => {
                    return Err(CryptoError::vault(ContractBroken(
                        "refused an insert whose expected newest version it reports as the newest",
                    )));
                }
            }
        }
    }

    /// The section at exactly `record_version`, if stored.
    fn section(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, CryptoError> {
        self.row(customer, category, record_version)
    }

    /// The newest stored version of the section, if any.
    fn latest_section(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, CryptoError> {
        self.newest_row(customer, category)
    }

    /// Every stored version of the section, oldest first.
    fn section_history(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, CryptoError> {
        let mut rows = self.rows(customer, category)?;
        rows.sort_by_key(VersionedSection::record_version);
        if rows
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if a.record_version == b.record_version))
        {
            return Err(CryptoError::vault(ContractBroken("two rows of one version")));
        }
        Ok(rows)
    }

    /// The categories for which `customer` has at least one stored section, in [`DataCategory::ALL`]
    /// order.
    fn categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        let mut categories = self.row_categories(customer)?;
        categories.sort_by_key(|c| DataCategory::ALL.iter().position(|known| known == c));
        categories.dedup();
        Ok(categories)
    }

    /// Whether any section of `customer` is stored (an import refuses a staging vault that already holds
    /// a customer of the package).
    fn holds_customer(&self, customer: CustomerId) -> Result<bool, CryptoError> {
        Ok(!self.row_categories(customer)?.is_empty())
    }

    /// When `customer`'s `category` sections were erased, and the newest version erased, if ever.
    fn tombstone(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError> {
        self.tombstone_row(customer, category)
    }

    /// Deletes every version of every section of `customer` at `at`, leaves tombstones, makes the bytes
    /// physically gone where the backend needs a step for it ([`SectionVault::flush_erasures`]), and
    /// returns how many rows went (PIPL Art 47).
    fn purge_customer(&self, customer: CustomerId, at: DateTime<Utc>) -> Result<u64, CryptoError> {
        let removed = self.delete_rows(customer, &DataCategory::ALL, at)?;
        self.flush_deleted_rows()?;
        Ok(removed)
    }

    /// Deletes every version of the given categories of `customer` at `at`, keeps the others untouched,
    /// leaves tombstones, and returns how many rows went. This is how a disposition erases what the
    /// seller may no longer hold while it restricts the rest to storage (PIPL Art 47). Unlike
    /// [`SectionVault::purge_customer`] it does not flush: a caller erasing many customers calls
    /// [`SectionVault::flush_erasures`] once after the batch, and only then are the bytes gone from every
    /// file of the backend.
    fn purge_categories(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, CryptoError> {
        self.delete_rows(customer, categories, at)
    }

    /// Makes the bytes of every section purged so far physically gone from the backend's files where the
    /// engine needs a separate step for it (SQLite: a write-ahead-log checkpoint), PIPL Art 47.
    fn flush_erasures(&self) -> Result<(), CryptoError> {
        self.flush_deleted_rows()
    }
}

impl<T: SectionRows + ?Sized> SectionVault for T {}

macro_rules! forward_section_rows {
    () => {
        fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
            (**self).insert_row_if_newest(insert)
        }
        fn row(
            &self,
            customer: CustomerId,
            category: DataCategory,
            record_version: u64,
        ) -> Result<Option<SealedSection>, CryptoError> {
            (**self).row(customer, category, record_version)
        }
        fn newest_row(
            &self,
            customer: CustomerId,
            category: DataCategory,
        ) -> Result<Option<VersionedSection>, CryptoError> {
            (**self).newest_row(customer, category)
        }
        fn rows(
            &self,
            customer: CustomerId,
            category: DataCategory,
        ) -> Result<Vec<VersionedSection>, CryptoError> {
            (**self).rows(customer, category)
        }
        fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
            (**self).row_categories(customer)
        }
        fn tombstone_row(
            &self,
            customer: CustomerId,
            category: DataCategory,
        ) -> Result<Option<SectionTombstone>, CryptoError> {
            (**self).tombstone_row(customer, category)
        }
        fn delete_rows(
            &self,
            customer: CustomerId,
            categories: &[DataCategory],
            at: DateTime<Utc>,
        ) -> Result<u64, CryptoError> {
            (**self).delete_rows(customer, categories, at)
        }
        fn flush_deleted_rows(&self) -> Result<(), CryptoError> {
            (**self).flush_deleted_rows()
        }
    };
}

/// A borrowed backend is a backend: one store value can serve the vault, the keys and the log.
impl<T: SectionRows + ?Sized> SectionRows for &T {
    forward_section_rows!();
}

/// A shared backend is a backend.
impl<T: SectionRows + ?Sized> SectionRows for Arc<T> {
    forward_section_rows!();
}

/// One customer's category in the in-memory vault.
#[derive(Default)]
struct Slot {
    versions: BTreeMap<u64, SealedSection>,
    tombstone: Option<SectionTombstone>,
}

impl Slot {
    fn newest_version(&self) -> Option<u64> {
        self.versions
            .last_key_value()
            .map(|(&version, _)| version)
            .or(self.tombstone.map(|t| t.last_version))
    }
}

/// Every customer's categories in the in-memory vault.
type Slots = BTreeMap<(CustomerId, DataCategory), Slot>;

/// A [`SectionVault`] in memory (its [`SectionRows`] behind one mutex), for tests, examples and
/// single-process tools. It passes the same conformance suite as the database backends.
#[derive(Default)]
pub struct InMemoryVault {
    slots: Mutex<Slots>,
}

impl InMemoryVault {
    /// An empty vault.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Slots>, CryptoError> {
        self.slots
            .lock()
            .map_err(|_| CryptoError::vault(ContractBroken("in-memory vault lock poisoned")))
    }

    /// How many section versions are stored, over every customer.
    pub fn len(&self) -> Result<usize, CryptoError> {
        Ok(self.lock()?.values().map(|s| s.versions.len()).sum())
    }

    /// Whether no section is stored.
    pub fn is_empty(&self) -> Result<bool, CryptoError> {
        Ok(self.len()? == 0)
    }
}

impl std::fmt::Debug for InMemoryVault {
    // Ciphertext only, but a test vault of a million sections should not print them all.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InMemoryVault")
    }
}

impl SectionRows for InMemoryVault {
    fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
        let mut slots = self.lock()?;
        let slot = slots.entry((insert.customer, insert.category)).or_default();
        let newest = slot.newest_version();
        if newest != insert.expected_newest {
            return Ok(InsertOutcome::NewestMoved { newest });
        }
        slot.versions.insert(insert.record_version, insert.sealed.clone());
        Ok(InsertOutcome::Inserted)
    }

    fn row(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, CryptoError> {
        Ok(self
            .lock()?
            .get(&(customer, category))
            .and_then(|s| s.versions.get(&record_version))
            .cloned())
    }

    fn newest_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, CryptoError> {
        Ok(self
            .lock()?
            .get(&(customer, category))
            .and_then(|s| s.versions.last_key_value())
            .map(|(&version, sealed)| VersionedSection::new(version, sealed.clone())))
    }

    fn rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, CryptoError> {
        Ok(self
            .lock()?
            .get(&(customer, category))
            .map(|s| {
                s.versions
                    .iter()
                    .map(|(&version, sealed)| VersionedSection::new(version, sealed.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        // Nine lookups, not a scan: import asks this once per customer.
        let slots = self.lock()?;
        Ok(DataCategory::ALL
            .into_iter()
            .filter(|c| slots.get(&(customer, *c)).is_some_and(|s| !s.versions.is_empty()))
            .collect())
    }

    fn tombstone_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError> {
        Ok(self.lock()?.get(&(customer, category)).and_then(|s| s.tombstone))
    }

    fn delete_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, CryptoError> {
        let mut slots = self.lock()?;
        let mut removed = 0u64;
        for category in categories {
            let Some(slot) = slots.get_mut(&(customer, *category)) else {
                continue;
            };
            let Some((&last, _)) = slot.versions.last_key_value() else {
                continue;
            };
            removed += slot.versions.len() as u64;
            slot.versions.clear();
            slot.tombstone = Some(SectionTombstone::new(at, last));
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::{Keyring, KeyringConfig};
    use crate::section::seal_section;

    /// A backend whose compare-and-insert always refuses with the state it was told to expect.
    struct Liar;

    impl SectionRows for Liar {
        fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
            Ok(InsertOutcome::NewestMoved {
                newest: insert.expected_newest,
            })
        }
        fn row(&self, _: CustomerId, _: DataCategory, _: u64) -> Result<Option<SealedSection>, CryptoError> {
            Ok(None)
        }
        fn newest_row(
            &self,
            _: CustomerId,
            _: DataCategory,
        ) -> Result<Option<VersionedSection>, CryptoError> {
            Ok(None)
        }
        fn rows(&self, _: CustomerId, _: DataCategory) -> Result<Vec<VersionedSection>, CryptoError> {
            Ok(Vec::new())
        }
        fn row_categories(&self, _: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
            Ok(vec![
                DataCategory::KycAml,
                DataCategory::Identity,
                DataCategory::KycAml,
            ])
        }
        fn tombstone_row(
            &self,
            _: CustomerId,
            _: DataCategory,
        ) -> Result<Option<SectionTombstone>, CryptoError> {
            Ok(None)
        }
        fn delete_rows(
            &self,
            _: CustomerId,
            _: &[DataCategory],
            _: DateTime<Utc>,
        ) -> Result<u64, CryptoError> {
            Ok(0)
        }
    }

    #[test]
    fn a_backend_that_breaks_the_contract_is_an_error_not_a_loop() {
        let keyring = Keyring::derive_from_master(&[1u8; 32], 1, KeyringConfig::default()).unwrap();
        let customer = CustomerId::new_v7();
        let (dek, _) = keyring.generate_dek(customer).unwrap();
        let sealed = seal_section(&dek, customer, DataCategory::Health, 1, b"x").unwrap();
        let refused = Liar
            .put_section(customer, DataCategory::Health, 1, &sealed)
            .unwrap_err();
        assert!(matches!(refused, CryptoError::Vault { .. }), "{refused:?}");
        // The rules, not the backend, order and deduplicate categories.
        assert_eq!(
            Liar.categories(customer).unwrap(),
            vec![DataCategory::Identity, DataCategory::KycAml]
        );
    }

    #[test]
    fn one_vault_serves_through_references_and_arcs() {
        fn takes<V: SectionVault>(vault: V, customer: CustomerId) -> bool {
            vault.holds_customer(customer).unwrap()
        }
        let vault = Arc::new(InMemoryVault::new());
        let customer = CustomerId::new_v7();
        assert!(!takes(&*vault, customer));
        assert!(!takes(Arc::clone(&vault), customer));
        assert!(vault.is_empty().unwrap());
        assert_eq!(format!("{vault:?}"), "InMemoryVault");
        // Trait objects too, for a program that picks its backend at run time.
        let as_vault: &dyn SectionVault = &*vault;
        assert!(!as_vault.holds_customer(customer).unwrap());
        let as_rows: &dyn SectionRows = &*vault;
        assert!(!takes(as_rows, customer));
    }
}
