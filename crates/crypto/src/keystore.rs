//! Crypto-shredding: the `KeyStore` trait for wrapped keys and blind-index entries, and an in-memory store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::plaintext::Plaintext;
use chrono::{DateTime, Utc};
use custodia_model::{Citation, CustomerId, DataCategory};
use serde::{Deserialize, Serialize};

use crate::blind_index::BlindIndex;
use crate::error::CryptoError;
use crate::keyring::{DataKey, DekId, Keyring, WrappedKey};
use crate::section::{SealedSection, open_section};

/// What a customer's destruction removed, for the ledger: the customer id, the ids of every destroyed
/// data key, how many blind-index entries went, when, and the rule that made it happen. It holds no
/// personal information beyond the pseudonymous customer id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestructionEvidence {
    customer: CustomerId,
    dek_ids: Vec<DekId>,
    blind_index_entries: u64,
    destroyed_at: DateTime<Utc>,
    citation: Citation,
}

impl DestructionEvidence {
    /// Evidence of a destruction; `dek_ids` are sorted so the record is canonical. Store backends build
    /// it from what they deleted.
    pub fn new(
        customer: CustomerId,
        mut dek_ids: Vec<DekId>,
        blind_index_entries: u64,
        destroyed_at: DateTime<Utc>,
    ) -> Self {
        dek_ids.sort();
        dek_ids.dedup();
        Self {
            customer,
            dek_ids,
            blind_index_entries,
            destroyed_at,
            citation: Citation::pipl("47"),
        }
    }

    /// The erased customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// Every data key destroyed, ascending.
    pub fn dek_ids(&self) -> &[DekId] {
        &self.dek_ids
    }

    /// How many blind-index entries were removed.
    pub fn blind_index_entries(&self) -> u64 {
        self.blind_index_entries
    }

    /// When the keys were destroyed.
    pub fn destroyed_at(&self) -> DateTime<Utc> {
        self.destroyed_at
    }

    /// Why: deletion under PIPL Art 47 (crypto-shredding makes every section of the customer
    /// unreadable, which is deletion of the data they hold).
    pub fn citation(&self) -> &Citation {
        &self.citation
    }
}

/// Storage of wrapped data keys and blind-index entries, per customer. Implemented here in memory and,
/// in custodia-store, on SQLite and PostgreSQL; consumers take `&dyn KeyStore` or a generic and never
/// name a backend.
///
/// # Contract
///
/// - [`KeyStore::put_wrapped_key`] inserts or replaces the key with the same customer and DEK id (a
///   rewrap replaces in place).
/// - [`KeyStore::destroy_customer`] removes **all** of the customer's wrapped keys and blind-index
///   entries in one atomic step and records a tombstone (customer id and time) that is never removed.
///   Afterwards, and forever, every read or write for that customer fails with
///   [`CryptoError::KeyDestroyed`], including a second `destroy_customer`, so evidence is issued once.
///   A backend must make the deletion physical (no soft delete of key rows); backups are out of its reach
///   and need their own expiry.
/// - Backend failures are [`CryptoError::KeyStore`] with the backend's error as the source, which never
///   contains key bytes.
/// - Every method takes `&self`, reads and writes alike (a backend keeps its connection behind a mutex),
///   so one store value serves as the key store, the section vault and the log at once; `&T` and
///   `Arc<T>` of a key store are key stores.
pub trait KeyStore {
    /// Stores (inserts or replaces) a wrapped key.
    fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError>;

    /// Every wrapped key of `customer` (empty if none yet).
    fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError>;

    /// One wrapped key; [`CryptoError::UnknownDataKey`] if it is not stored.
    fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
        self.wrapped_keys(customer)?
            .into_iter()
            .find(|k| k.dek_id() == dek_id)
            .ok_or(CryptoError::UnknownDataKey { customer, dek_id })
    }

    /// Records that `customer` has blind index `index`.
    fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError>;

    /// Customers whose entries equal `index`: candidates, to be confirmed by opening their sections.
    /// Destroyed customers never appear.
    fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError>;

    /// Destroys every wrapped key and blind-index entry of `customer` at time `at` and returns the
    /// evidence for the ledger. See the trait's contract.
    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError>;

    /// When `customer` was destroyed, if ever.
    fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError>;
}

macro_rules! forward_key_store {
    () => {
        fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError> {
            (**self).put_wrapped_key(key)
        }
        fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
            (**self).wrapped_keys(customer)
        }
        fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
            (**self).wrapped_key(customer, dek_id)
        }
        fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError> {
            (**self).put_blind_index(customer, index)
        }
        fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
            (**self).find_customers(index)
        }
        fn destroy_customer(
            &self,
            customer: CustomerId,
            at: DateTime<Utc>,
        ) -> Result<DestructionEvidence, CryptoError> {
            (**self).destroy_customer(customer, at)
        }
        fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
            (**self).destroyed_at(customer)
        }
    };
}

/// A borrowed key store is a key store: one store value can serve the keys, the vault and the log.
impl<T: KeyStore + ?Sized> KeyStore for &T {
    forward_key_store!();
}

/// A shared key store is a key store.
impl<T: KeyStore + ?Sized> KeyStore for Arc<T> {
    forward_key_store!();
}

/// The in-memory store's lock was poisoned by a panic while it was held.
#[derive(Debug, thiserror::Error)]
#[error("in-memory key store lock poisoned")]
struct Poisoned;

#[derive(Default)]
struct Inner {
    keys: HashMap<CustomerId, BTreeMap<DekId, WrappedKey>>,
    index: HashMap<BlindIndex, BTreeSet<CustomerId>>,
    index_by_customer: HashMap<CustomerId, BTreeSet<BlindIndex>>,
    tombstones: HashMap<CustomerId, DateTime<Utc>>,
}

impl Inner {
    fn check_alive(&self, customer: CustomerId) -> Result<(), CryptoError> {
        if self.tombstones.contains_key(&customer) {
            return Err(CryptoError::KeyDestroyed { customer });
        }
        Ok(())
    }
}

/// A [`KeyStore`] in memory, for tests, examples and single-process tools.
///
/// ```
/// use chrono::Utc;
/// use custodia_crypto::{CryptoError, InMemoryKeyStore, Keyring, KeyringConfig, KeyStore};
/// use custodia_model::{CustomerId, DataCategory};
///
/// let keyring = Keyring::derive_from_master(&[7u8; 32], 1, KeyringConfig::default())?;
/// let store = InMemoryKeyStore::new();
/// let customer = CustomerId::new_v7();
/// let (dek, wrapped) = keyring.generate_dek(customer)?;
/// store.put_wrapped_key(&wrapped)?;
/// let sealed = custodia_crypto::seal_section(&dek, customer, DataCategory::Contact, 1, b"...")?;
/// drop(dek);
///
/// let evidence = store.destroy_customer(customer, Utc::now())?;
/// assert_eq!(evidence.dek_ids(), &[wrapped.dek_id()]);
/// assert_eq!(
///     keyring.open_stored_section(&store, customer, DataCategory::Contact, 1, &sealed).unwrap_err(),
///     CryptoError::KeyDestroyed { customer },
/// );
/// # Ok::<(), CryptoError>(())
/// ```
#[derive(Default)]
pub struct InMemoryKeyStore {
    inner: Mutex<Inner>,
}

impl InMemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, CryptoError> {
        self.inner.lock().map_err(|_| CryptoError::key_store(Poisoned))
    }
}

impl std::fmt::Debug for InMemoryKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InMemoryKeyStore")
    }
}

impl KeyStore for InMemoryKeyStore {
    fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError> {
        let mut inner = self.lock()?;
        inner.check_alive(key.customer())?;
        inner
            .keys
            .entry(key.customer())
            .or_default()
            .insert(key.dek_id(), key.clone());
        Ok(())
    }

    fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
        let inner = self.lock()?;
        inner.check_alive(customer)?;
        Ok(inner
            .keys
            .get(&customer)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError> {
        let mut inner = self.lock()?;
        inner.check_alive(customer)?;
        inner.index.entry(index.clone()).or_default().insert(customer);
        inner
            .index_by_customer
            .entry(customer)
            .or_default()
            .insert(index.clone());
        Ok(())
    }

    fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
        let inner = self.lock()?;
        Ok(inner
            .index
            .get(index)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default())
    }

    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError> {
        let mut inner = self.lock()?;
        inner.check_alive(customer)?;
        // One lock held for the whole step: nobody sees a half-destroyed customer.
        let keys = inner.keys.remove(&customer).unwrap_or_default();
        let indexes = inner.index_by_customer.remove(&customer).unwrap_or_default();
        for index in &indexes {
            let now_empty = match inner.index.get_mut(index) {
                Some(set) => {
                    set.remove(&customer);
                    set.is_empty()
                }
                None => false,
            };
            if now_empty {
                inner.index.remove(index);
            }
        }
        inner.tombstones.insert(customer, at);
        Ok(DestructionEvidence::new(
            customer,
            keys.into_keys().collect(),
            u64::try_from(indexes.len()).unwrap_or(u64::MAX),
            at,
        ))
    }

    fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
        Ok(self.lock()?.tombstones.get(&customer).copied())
    }
}

impl Keyring {
    /// Loads and unwraps one of `customer`'s data keys from `store`. A destroyed customer fails with
    /// [`CryptoError::KeyDestroyed`], never with a decryption error.
    pub fn load_data_key(
        &self,
        store: &dyn KeyStore,
        customer: CustomerId,
        dek_id: DekId,
    ) -> Result<DataKey, CryptoError> {
        let wrapped = store.wrapped_key(customer, dek_id)?;
        if wrapped.customer() != customer {
            return Err(CryptoError::CustomerMismatch {
                key_customer: wrapped.customer(),
                customer,
            });
        }
        self.unwrap(&wrapped)
    }

    /// Opens a stored section in one step: finds the data key the section names in `store`, unwraps it
    /// and opens. After crypto-shredding this fails with [`CryptoError::KeyDestroyed`] forever.
    pub fn open_stored_section(
        &self,
        store: &dyn KeyStore,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
        sealed: &SealedSection,
    ) -> Result<Plaintext, CryptoError> {
        let key = self.load_data_key(store, customer, sealed.dek_id())?;
        open_section(&key, customer, category, record_version, sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blind_index::{BlindIndexConfig, BlindIndexField, BlindIndexer};
    use crate::keyring::KeyringConfig;

    #[test]
    fn destroy_removes_keys_and_index_entries_and_is_final() {
        let kr = Keyring::derive_from_master(&[2u8; 32], 1, KeyringConfig::default()).unwrap();
        let ix = BlindIndexer::new(&[3u8; 32], BlindIndexConfig::with_bits(8).unwrap()).unwrap();
        let store = InMemoryKeyStore::new();
        let (a, b) = (CustomerId::new_v7(), CustomerId::new_v7());
        let (_, wa1) = kr.generate_dek(a).unwrap();
        let (_, wa2) = kr.generate_dek(a).unwrap();
        let (_, wb) = kr.generate_dek(b).unwrap();
        for w in [&wa1, &wa2, &wb] {
            store.put_wrapped_key(w).unwrap();
        }
        let phone = ix.index(BlindIndexField::Phone, "13800138000").unwrap();
        let mail = ix.index(BlindIndexField::Email, "a@b.c").unwrap();
        store.put_blind_index(a, &phone).unwrap();
        store.put_blind_index(a, &mail).unwrap();
        store.put_blind_index(b, &phone).unwrap();
        assert_eq!(store.find_customers(&phone).unwrap().len(), 2);

        let at = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let ev = store.destroy_customer(a, at).unwrap();
        let mut expected = vec![wa1.dek_id(), wa2.dek_id()];
        expected.sort();
        assert_eq!(ev.dek_ids(), expected.as_slice());
        assert_eq!(ev.blind_index_entries(), 2);
        assert_eq!(ev.destroyed_at(), at);
        assert_eq!(ev.citation().to_string(), "PIPL Art 47");
        assert_eq!(store.find_customers(&phone).unwrap(), vec![b]);
        assert!(store.find_customers(&mail).unwrap().is_empty());
        assert_eq!(store.destroyed_at(a).unwrap(), Some(at));
        assert_eq!(store.destroyed_at(b).unwrap(), None);

        let gone = CryptoError::KeyDestroyed { customer: a };
        assert_eq!(store.wrapped_keys(a).unwrap_err(), gone);
        assert_eq!(store.put_wrapped_key(&wa1).unwrap_err(), gone);
        assert_eq!(store.put_blind_index(a, &phone).unwrap_err(), gone);
        assert_eq!(store.destroy_customer(a, at).unwrap_err(), gone);
        assert_eq!(kr.load_data_key(&store, a, wa1.dek_id()).unwrap_err(), gone);
        assert!(kr.load_data_key(&store, b, wb.dek_id()).is_ok());
        assert!(matches!(
            kr.load_data_key(&store, b, wa1.dek_id()),
            Err(CryptoError::UnknownDataKey { .. })
        ));
        let json = serde_json::to_string(&ev).unwrap();
        let back: DestructionEvidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ev);
    }
}
