//! `KeyStore` for PostgreSQL: wrapped keys, blind-index entries and tombstones; writes and shredding serialized per customer.

use chrono::{DateTime, Utc};
use custodia_crypto::{BlindIndex, CryptoError, DekId, DestructionEvidence, KeyStore, WrappedKey};
use custodia_model::CustomerId;

use super::{PostgresStore, WriteTx, pg_error};
use crate::error::StoreError;
use crate::rows::{customer_from_row, dek_id_from_row, time_from_columns, time_to_columns, wrapped_from_row};

/// Takes the customer's advisory lock for the rest of the transaction, then fails with
/// [`CryptoError::KeyDestroyed`] if the customer has a tombstone. Every key write and the destruction
/// take the same lock, so no key can be written after (or during) its customer's destruction.
fn lock_alive(tx: &mut WriteTx<'_>, schema: &str, customer: CustomerId) -> Result<(), CryptoError> {
    let err = pg_error(schema, "lock a customer's keys");
    let key = format!("custodia keys {schema} {customer}");
    // Inside a unit of work the unit's exclusive table locks already keep every other writer out (and
    // one advisory lock per customer would fill the server's lock table on a large unit).
    if !tx.in_unit() {
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&key])
            .map_err(&err)?;
    }
    let tombstone = tx
        .query_opt(
            "SELECT 1 FROM key_tombstones WHERE customer = $1",
            &[&customer.as_bytes().as_slice()],
        )
        .map_err(&err)?;
    match tombstone {
        Some(_) => Err(CryptoError::KeyDestroyed { customer }),
        None => Ok(()),
    }
}

impl PostgresStore {
    fn check_alive(&self, customer: CustomerId) -> Result<(), CryptoError> {
        let tombstone = self
            .client()?
            .query_opt(
                "SELECT 1 FROM key_tombstones WHERE customer = $1",
                &[&customer.as_bytes().as_slice()],
            )
            .map_err(self.error("read a key tombstone"))?;
        match tombstone {
            Some(_) => Err(CryptoError::KeyDestroyed { customer }),
            None => Ok(()),
        }
    }

    /// Runs `body` in one transaction holding `customer`'s key lock, after checking it is alive.
    fn write_keys<T>(
        &self,
        customer: CustomerId,
        operation: &'static str,
        body: impl FnOnce(&mut WriteTx<'_>) -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        let err = self.error(operation);
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(&err)?;
        lock_alive(&mut tx, &self.schema, customer)?;
        let out = body(&mut tx)?;
        tx.commit().map_err(&err)?;
        Ok(out)
    }
}

impl KeyStore for PostgresStore {
    fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError> {
        let err = self.error("store a wrapped key");
        self.write_keys(key.customer(), "store a wrapped key", |tx| {
            tx.execute(
                "INSERT INTO wrapped_keys (customer, dek_id, wrapped) VALUES ($1, $2, $3) \
                 ON CONFLICT (customer, dek_id) DO UPDATE SET wrapped = excluded.wrapped",
                &[
                    &key.customer().as_bytes().as_slice(),
                    &key.dek_id().as_bytes().as_slice(),
                    &key.encode(),
                ],
            )
            .map_err(&err)?;
            Ok(())
        })
    }

    fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
        self.check_alive(customer)?;
        let err = self.error("read wrapped keys");
        let rows = self
            .client()?
            .query(
                "SELECT dek_id, wrapped FROM wrapped_keys WHERE customer = $1 ORDER BY dek_id",
                &[&customer.as_bytes().as_slice()],
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let dek_id: Vec<u8> = row.try_get(0).map_err(&err)?;
            let bytes: Vec<u8> = row.try_get(1).map_err(&err)?;
            out.push(wrapped_from_row(customer, &dek_id, &bytes)?);
        }
        Ok(out)
    }

    fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
        self.check_alive(customer)?;
        let err = self.error("read a wrapped key");
        let row = self
            .client()?
            .query_opt(
                "SELECT wrapped FROM wrapped_keys WHERE customer = $1 AND dek_id = $2",
                &[&customer.as_bytes().as_slice(), &dek_id.as_bytes().as_slice()],
            )
            .map_err(&err)?;
        match row {
            Some(row) => {
                let bytes: Vec<u8> = row.try_get(0).map_err(&err)?;
                Ok(wrapped_from_row(customer, dek_id.as_bytes(), &bytes)?)
            }
            None => Err(CryptoError::UnknownDataKey { customer, dek_id }),
        }
    }

    fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError> {
        let err = self.error("store a blind index entry");
        let normalization = i16::from(index.normalization_version());
        let bits = i32::from(index.bits());
        self.write_keys(customer, "store a blind index entry", |tx| {
            tx.execute(
                "INSERT INTO blind_index (field, normalization, bits, value, customer) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING",
                &[&index.field().code(), &normalization, &bits, &index.value(), &customer.as_bytes().as_slice()],
            )
            .map_err(&err)?;
            Ok(())
        })
    }

    fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
        let err = self.error("look up a blind index");
        let rows = self
            .client()?
            .query(
                "SELECT customer FROM blind_index WHERE field = $1 AND normalization = $2 AND bits = $3 \
                 AND value = $4 ORDER BY customer",
                &[
                    &index.field().code(),
                    &i16::from(index.normalization_version()),
                    &i32::from(index.bits()),
                    &index.value(),
                ],
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let bytes: Vec<u8> = row.try_get(0).map_err(&err)?;
            out.push(customer_from_row("blind_index", &bytes)?);
        }
        Ok(out)
    }

    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError> {
        let err = self.error("destroy a customer's keys");
        let id = customer.as_bytes().as_slice();
        self.write_keys(customer, "destroy a customer's keys", |tx| {
            let deleted = tx
                .query("DELETE FROM wrapped_keys WHERE customer = $1 RETURNING dek_id, wrapped", &[&id])
                .map_err(&err)?;
            let mut dek_ids = Vec::with_capacity(deleted.len());
            let mut kek_versions = std::collections::BTreeSet::new();
            for row in &deleted {
                let bytes: Vec<u8> = row.try_get(0).map_err(&err)?;
                let wrapped: Vec<u8> = row.try_get(1).map_err(&err)?;
                dek_ids.push(dek_id_from_row(customer, &bytes)?);
                kek_versions.insert(wrapped_from_row(customer, &bytes, &wrapped)?.kek_version());
            }
            // The KEK versions that wrapped these keys, for their scheduled retirement (KeyringStore).
            let (first_seconds, first_nanos) = time_to_columns(at);
            let first_nanos = i32::try_from(first_nanos).map_err(|_| StoreError::OutOfRange {
                field: "destruction nanoseconds",
                value: first_nanos.unsigned_abs(),
            })?;
            for version in kek_versions {
                tx.execute(
                    "INSERT INTO kek_shreds (kek_version, first_destroyed_seconds, first_destroyed_nanos) \
                     VALUES ($1, $2, $3) ON CONFLICT (kek_version) DO NOTHING",
                    &[&i64::from(version), &first_seconds, &first_nanos],
                )
                .map_err(&err)?;
            }
            let entries = tx.execute("DELETE FROM blind_index WHERE customer = $1", &[&id]).map_err(&err)?;
            let (seconds, nanos) = time_to_columns(at);
            let nanos = i32::try_from(nanos)
                .map_err(|_| StoreError::OutOfRange { field: "destruction nanoseconds", value: nanos.unsigned_abs() })?;
            tx.execute(
                "INSERT INTO key_tombstones (customer, destroyed_seconds, destroyed_nanos) VALUES ($1, $2, $3)",
                &[&id, &seconds, &nanos],
            )
            .map_err(&err)?;
            Ok(DestructionEvidence::new(customer, dek_ids, entries, at))
        })
    }

    fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
        let err = self.error("read a key tombstone");
        let row = self
            .client()?
            .query_opt(
                "SELECT destroyed_seconds, destroyed_nanos FROM key_tombstones WHERE customer = $1",
                &[&customer.as_bytes().as_slice()],
            )
            .map_err(&err)?;
        match row {
            Some(row) => {
                let seconds: i64 = row.try_get(0).map_err(&err)?;
                let nanos: i32 = row.try_get(1).map_err(&err)?;
                Ok(Some(time_from_columns(customer, seconds, i64::from(nanos))?))
            }
            None => Ok(None),
        }
    }
}
