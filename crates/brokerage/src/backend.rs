//! The one store a brokerage runs on, whichever backend it is, and the lock that keeps a second brokerage off an SQLite store.

use std::fs::File;
use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, Utc};
use custodia_consent::Digest;
use custodia_crypto::{
    BlindIndex, CryptoError, DekId, DestructionEvidence, InsertOutcome, KeyStore, SealedSection,
    SectionInsert, SectionRows, SectionTombstone, VersionedSection, WrappedKey,
};
use custodia_ledger::{
    Entry, LedgerError, LogStore, MerkleHash, NewEntry, NodeId, Sequenced, StoredCheckpoint,
};
use custodia_model::{CustomerId, DataCategory};
#[cfg(feature = "postgres")]
use custodia_store::PostgresStore;
#[cfg(feature = "sqlite")]
use custodia_store::SqliteStore;
use custodia_store::{Inserted, KeyRange, Namespace, Record, Records, StoreError, Swapped, UnitOfWork};

use crate::anchor::{ANCHORED_RECORDS, Change, Pending};
use crate::config::StoreLocation;
use crate::error::BrokerageError;

/// The store of one brokerage: the log, the key store, the vault and the records in one value, so that
/// every seam is one database and every step one transaction. Every vault and key-store write through it
/// is noted for the ledger ([`crate::anchor`]), which [`crate::Brokerage::write`] anchors in the same unit.
pub(crate) struct Backend {
    inner: Inner,
    pub(crate) pending: Pending,
}

enum Inner {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(Box<PostgresStore>),
}

/// Runs the same expression on whichever store this is.
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match &$self.inner {
            #[cfg(feature = "sqlite")]
            Inner::Sqlite($s) => $body,
            #[cfg(feature = "postgres")]
            Inner::Postgres($s) => $body,
        }
    };
}

/// The SHA-256 of stored bytes, for an anchor.
fn digest(bytes: &[u8]) -> Digest {
    Digest::of(bytes)
}

/// The exclusive lock of an SQLite store: a file beside the database, locked for as long as the
/// brokerage is open (released by the operating system if the process dies).
#[derive(Debug)]
pub(crate) struct StoreLock {
    _file: File,
}

impl Backend {
    /// Opens the store at `location` (taking its lock first, for SQLite).
    pub(crate) fn open(location: &StoreLocation) -> Result<(Self, Option<StoreLock>), BrokerageError> {
        match location {
            #[cfg(feature = "sqlite")]
            StoreLocation::Sqlite { path, config } => {
                let lock = lock(path)?;
                let store = SqliteStore::open(path, config)?;
                Ok((Self::of(Inner::Sqlite(store)), Some(lock)))
            }
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres { url, config } => Ok((
                Self::of(Inner::Postgres(Box::new(PostgresStore::connect(url, config)?))),
                None,
            )),
        }
    }

    fn of(inner: Inner) -> Self {
        Self {
            inner,
            pending: Pending::default(),
        }
    }

    /// Notes a write of one of the customer records that are anchored ([`ANCHORED_RECORDS`]); records of
    /// other namespaces are not. Their keys begin with the customer id (the brokerage writes no other
    /// key there, and the reads and [`crate::Brokerage::verify_vault`] look records up by that prefix).
    fn note_record(&self, namespace: Namespace, key: &[u8], value: Option<&[u8]>) {
        if !ANCHORED_RECORDS.contains(&namespace) {
            return;
        }
        let Some(customer) = key
            .get(..16)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .and_then(|b| CustomerId::from_bytes(b).ok())
        else {
            return;
        };
        self.pending.note(
            customer,
            Change::Record {
                namespace: namespace.as_str().to_owned(),
                key: hex::encode(key),
                digest: value.map(digest),
            },
        );
    }

    /// Copies the WAL into the main file (SQLite) so erased bytes leave it; nothing on PostgreSQL.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        match &self.inner {
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(s) => s.checkpoint_wal(),
            #[cfg(feature = "postgres")]
            Inner::Postgres(_) => Ok(()),
        }
    }

    /// Where the store is, for messages (a path or a schema; never a URL).
    pub(crate) fn location(&self) -> String {
        match &self.inner {
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(s) => s.location().to_owned(),
            #[cfg(feature = "postgres")]
            Inner::Postgres(s) => format!("schema {}", s.schema()),
        }
    }
}

/// Takes the exclusive lock of the SQLite store at `path`: `<path>.lock`, created if missing. A second
/// brokerage on the same store, in this process or another, gets [`BrokerageError::StoreInUse`].
#[cfg(feature = "sqlite")]
fn lock(path: &Path) -> Result<StoreLock, BrokerageError> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(BrokerageError::io(&lock_path, "open the store's lock file"))?;
    match file.try_lock() {
        Ok(()) => Ok(StoreLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(BrokerageError::StoreInUse {
            path: path.display().to_string(),
            lock: lock_path.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(BrokerageError::io(&lock_path, "lock the store")(e)),
    }
}

impl LogStore for Backend {
    fn size(&self) -> Result<u64, LedgerError> {
        each!(self, s => s.size())
    }
    fn append(
        &self,
        start: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
    ) -> Result<(), LedgerError> {
        each!(self, s => s.append(start, entries, nodes))
    }
    fn append_sequenced(
        &self,
        expected: u64,
        entries: &[NewEntry<'_>],
        nodes: &[(NodeId, MerkleHash)],
        retry: bool,
    ) -> Result<Sequenced, LedgerError> {
        each!(self, s => s.append_sequenced(expected, entries, nodes, retry))
    }
    fn entries(&self, range: Range<u64>) -> Result<Vec<Entry>, LedgerError> {
        each!(self, s => s.entries(range))
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<MerkleHash>, LedgerError> {
        each!(self, s => s.nodes(ids))
    }
    fn redact(&self, index: u64) -> Result<(), LedgerError> {
        each!(self, s => s.redact(index))
    }
    fn add_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<(), LedgerError> {
        each!(self, s => s.add_checkpoint(checkpoint))
    }
    fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        each!(self, s => s.checkpoints())
    }
}

impl KeyStore for Backend {
    fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError> {
        each!(self, s => s.put_wrapped_key(key))?;
        let (dek, digest) = (key.dek_id(), digest(&key.encode()));
        self.pending.note(key.customer(), Change::Key { dek, digest });
        Ok(())
    }
    fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
        each!(self, s => s.wrapped_keys(customer))
    }
    fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
        each!(self, s => s.wrapped_key(customer, dek_id))
    }
    fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError> {
        each!(self, s => s.put_blind_index(customer, index))?;
        let index = index.clone();
        self.pending.note(customer, Change::BlindIndex { index });
        Ok(())
    }
    fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
        each!(self, s => s.find_customers(index))
    }
    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError> {
        let evidence = each!(self, s => s.destroy_customer(customer, at))?;
        let at = evidence.destroyed_at();
        self.pending.note(customer, Change::Destroyed { at });
        Ok(evidence)
    }
    fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
        each!(self, s => s.destroyed_at(customer))
    }
}

impl SectionRows for Backend {
    fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
        let outcome = each!(self, s => s.insert_row_if_newest(insert))?;
        if outcome == InsertOutcome::Inserted {
            let change = Change::Section {
                category: insert.category,
                version: insert.record_version,
                digest: digest(insert.sealed.as_bytes()),
            };
            self.pending.note(insert.customer, change);
        }
        Ok(outcome)
    }
    fn row(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, CryptoError> {
        each!(self, s => s.row(customer, category, record_version))
    }
    fn newest_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, CryptoError> {
        each!(self, s => s.newest_row(customer, category))
    }
    fn rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, CryptoError> {
        each!(self, s => s.rows(customer, category))
    }
    fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        each!(self, s => s.row_categories(customer))
    }
    fn tombstone_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError> {
        each!(self, s => s.tombstone_row(customer, category))
    }
    fn delete_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, CryptoError> {
        let removed = each!(self, s => s.delete_rows(customer, categories, at))?;
        if removed > 0 {
            let categories = categories.to_vec();
            self.pending
                .note(customer, Change::SectionsDeleted { categories, at });
        }
        Ok(removed)
    }
    fn flush_deleted_rows(&self) -> Result<(), CryptoError> {
        each!(self, s => s.flush_deleted_rows())
    }
}

impl Records for Backend {
    fn record(&self, namespace: Namespace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.record(namespace, key))
    }
    fn put_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        each!(self, s => s.put_record(namespace, key, value))?;
        self.note_record(namespace, key, Some(value));
        Ok(())
    }
    fn insert_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<Inserted, StoreError> {
        let inserted = each!(self, s => s.insert_record(namespace, key, value))?;
        if inserted == Inserted::Inserted {
            self.note_record(namespace, key, Some(value));
        }
        Ok(inserted)
    }
    fn swap_record(
        &self,
        namespace: Namespace,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swapped, StoreError> {
        let swapped = each!(self, s => s.swap_record(namespace, key, expected, new))?;
        if swapped == Swapped::Swapped {
            self.note_record(namespace, key, Some(new));
        }
        Ok(swapped)
    }
    fn delete_record(&self, namespace: Namespace, key: &[u8]) -> Result<bool, StoreError> {
        let deleted = each!(self, s => s.delete_record(namespace, key))?;
        if deleted {
            self.note_record(namespace, key, None);
        }
        Ok(deleted)
    }
    fn scan_records(
        &self,
        namespace: Namespace,
        range: &KeyRange,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        each!(self, s => s.scan_records(namespace, range, limit))
    }
}

impl UnitOfWork for Backend {
    fn unit_of_work<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<StoreError>,
    {
        each!(self, s => s.unit_of_work(body))
    }
}
