//! `KeyStore` for SQLite: wrapped keys, blind-index entries and destruction tombstones; shredding in one immediate transaction.

use chrono::{DateTime, Utc};
use custodia_crypto::{BlindIndex, CryptoError, DekId, DestructionEvidence, KeyStore, WrappedKey};
use custodia_model::CustomerId;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, WriteTx, sqlite_error};
use crate::rows::{customer_from_row, dek_id_from_row, time_from_columns, time_to_columns, wrapped_from_row};

/// Fails with [`CryptoError::KeyDestroyed`] if `customer` has a tombstone.
fn check_alive(conn: &Connection, location: &str, customer: CustomerId) -> Result<(), CryptoError> {
    let destroyed = conn
        .prepare_cached("SELECT 1 FROM key_tombstones WHERE customer = ?1")
        .and_then(|mut s| s.query_row(params![customer.as_bytes()], |_| Ok(())).optional())
        .map_err(sqlite_error(location, "read a key tombstone"))?;
    match destroyed {
        Some(()) => Err(CryptoError::KeyDestroyed { customer }),
        None => Ok(()),
    }
}

impl SqliteStore {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: the write lock is taken before the tombstone is
    /// checked, so no write can land between a destruction and its check.
    fn write_keys<T>(
        &self,
        operation: &'static str,
        body: impl FnOnce(&Connection) -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        let conn = self.conn();
        let err = sqlite_error(&self.location, operation);
        let tx = WriteTx::begin(&conn).map_err(&err)?;
        let out = body(&tx)?;
        tx.commit().map_err(&err)?;
        Ok(out)
    }
}

impl KeyStore for SqliteStore {
    fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError> {
        let location = self.location.clone();
        self.write_keys("store a wrapped key", |tx| {
            check_alive(tx, &location, key.customer())?;
            tx.prepare_cached(
                "INSERT INTO wrapped_keys (customer, dek_id, wrapped) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (customer, dek_id) DO UPDATE SET wrapped = excluded.wrapped",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key.customer().as_bytes(),
                    key.dek_id().as_bytes(),
                    key.encode()
                ])
            })
            .map_err(sqlite_error(&location, "store a wrapped key"))?;
            Ok(())
        })
    }

    fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
        let conn = self.conn();
        check_alive(&conn, &self.location, customer)?;
        let err = self.error("read wrapped keys");
        let mut statement = conn
            .prepare_cached("SELECT dek_id, wrapped FROM wrapped_keys WHERE customer = ?1 ORDER BY dek_id")
            .map_err(&err)?;
        let rows = statement
            .query_map(params![customer.as_bytes()], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (dek_id, bytes) = row.map_err(&err)?;
            out.push(wrapped_from_row(customer, &dek_id, &bytes)?);
        }
        Ok(out)
    }

    fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
        let conn = self.conn();
        check_alive(&conn, &self.location, customer)?;
        let bytes: Option<Vec<u8>> = conn
            .prepare_cached("SELECT wrapped FROM wrapped_keys WHERE customer = ?1 AND dek_id = ?2")
            .and_then(|mut s| {
                s.query_row(params![customer.as_bytes(), dek_id.as_bytes()], |row| row.get(0))
                    .optional()
            })
            .map_err(self.error("read a wrapped key"))?;
        match bytes {
            Some(bytes) => Ok(wrapped_from_row(customer, dek_id.as_bytes(), &bytes)?),
            None => Err(CryptoError::UnknownDataKey { customer, dek_id }),
        }
    }

    fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError> {
        let location = self.location.clone();
        self.write_keys("store a blind index entry", |tx| {
            check_alive(tx, &location, customer)?;
            tx.prepare_cached(
                "INSERT OR IGNORE INTO blind_index (field, normalization, bits, value, customer) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    index.field().code(),
                    index.normalization_version(),
                    index.bits(),
                    index.value(),
                    customer.as_bytes()
                ])
            })
            .map_err(sqlite_error(&location, "store a blind index entry"))?;
            Ok(())
        })
    }

    fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
        let conn = self.conn();
        let err = self.error("look up a blind index");
        // Destroyed customers' entries were deleted with their keys, so none can match.
        let mut statement = conn
            .prepare_cached(
                "SELECT customer FROM blind_index WHERE field = ?1 AND normalization = ?2 AND bits = ?3 \
                 AND value = ?4 ORDER BY customer",
            )
            .map_err(&err)?;
        let rows = statement
            .query_map(
                params![
                    index.field().code(),
                    index.normalization_version(),
                    index.bits(),
                    index.value()
                ],
                |row| row.get::<_, Vec<u8>>(0),
            )
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(customer_from_row("blind_index", &row.map_err(&err)?)?);
        }
        Ok(out)
    }

    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError> {
        let location = self.location.clone();
        let evidence = self.write_keys("destroy a customer's keys", |tx| {
            check_alive(tx, &location, customer)?;
            let err = sqlite_error(&location, "destroy a customer's keys");
            let rows: Vec<(Vec<u8>, Vec<u8>)> = {
                let mut statement = tx
                    .prepare_cached("SELECT dek_id, wrapped FROM wrapped_keys WHERE customer = ?1")
                    .map_err(&err)?;
                let rows = statement
                    .query_map(params![customer.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
                    .map_err(&err)?;
                rows.collect::<Result<_, _>>().map_err(&err)?
            };
            let mut dek_ids: Vec<DekId> = Vec::with_capacity(rows.len());
            let mut kek_versions = std::collections::BTreeSet::new();
            for (dek_id, wrapped) in &rows {
                dek_ids.push(dek_id_from_row(customer, dek_id)?);
                kek_versions.insert(wrapped_from_row(customer, dek_id, wrapped)?.kek_version());
            }
            // The KEK versions that wrapped these keys, so that they are retired on schedule and the
            // keys die in every backup too (KeyringStore, Keyring::retire_shredded).
            let (first_seconds, first_nanos) = time_to_columns(at);
            for version in kek_versions {
                tx.prepare_cached(
                    "INSERT INTO kek_shreds (kek_version, first_destroyed_seconds, first_destroyed_nanos) \
                     VALUES (?1, ?2, ?3) ON CONFLICT (kek_version) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![version, first_seconds, first_nanos]))
                .map_err(&err)?;
            }
            tx.execute("DELETE FROM wrapped_keys WHERE customer = ?1", params![customer.as_bytes()])
                .map_err(&err)?;
            let entries = tx
                .execute("DELETE FROM blind_index WHERE customer = ?1", params![customer.as_bytes()])
                .map_err(&err)?;
            let (seconds, nanos) = time_to_columns(at);
            tx.execute(
                "INSERT INTO key_tombstones (customer, destroyed_seconds, destroyed_nanos) VALUES (?1, ?2, ?3)",
                params![customer.as_bytes(), seconds, nanos],
            )
            .map_err(&err)?;
            Ok(DestructionEvidence::new(customer, dek_ids, entries as u64, at))
        })?;
        // secure_delete overwrote the deleted rows in their pages; the checkpoint removes the older page
        // versions from the WAL, so the wrapped keys are physically gone from the files (PIPL Art 47).
        self.checkpoint_wal()?;
        Ok(evidence)
    }

    fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
        let conn = self.conn();
        let row: Option<(i64, i64)> = conn
            .prepare_cached(
                "SELECT destroyed_seconds, destroyed_nanos FROM key_tombstones WHERE customer = ?1",
            )
            .and_then(|mut s| {
                s.query_row(params![customer.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(self.error("read a key tombstone"))?;
        Ok(row
            .map(|(seconds, nanos)| time_from_columns(customer, seconds, nanos))
            .transpose()?)
    }
}
