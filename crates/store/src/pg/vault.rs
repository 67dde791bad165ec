//! `SectionRows` for PostgreSQL: the `sections` and `section_tombstones` tables, writes serialized per customer and category by an advisory lock; rows only, the rules are crypto's.

use chrono::{DateTime, Utc};
use custodia_crypto::{
    CryptoError, InsertOutcome, SealedSection, SectionInsert, SectionRows, SectionTombstone, VersionedSection,
};
use custodia_model::{CustomerId, DataCategory};

use super::{PostgresStore, WriteTx, pg_error};
use crate::error::{StoreError, to_i64};
use crate::rows::{
    category_from_row, sealed_from_row, section_tombstone_from_columns, time_to_columns, version_from_row,
};

/// The newest version of a customer's category as the `SectionRows` contract defines it: the largest
/// stored version, or, with no row left, the tombstone's last version.
const NEWEST: &str = "SELECT COALESCE(\
    (SELECT MAX(version) FROM sections WHERE customer = $1 AND category = $2), \
    (SELECT last_version FROM section_tombstones WHERE customer = $1 AND category = $2))";

/// Takes the advisory lock of one customer's category for the rest of the transaction. Every put and
/// purge of that category takes it first, so the newest-version comparison cannot race.
fn lock_section(
    tx: &mut WriteTx<'_>,
    schema: &str,
    customer: CustomerId,
    category: DataCategory,
) -> Result<(), StoreError> {
    // Inside a unit of work the unit's exclusive table locks already keep every other writer out.
    if tx.in_unit() {
        return Ok(());
    }
    let key = format!("custodia section {schema} {customer} {}", category.code());
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&key])
        .map_err(pg_error(schema, "lock the section"))?;
    Ok(())
}

impl PostgresStore {
    fn insert_section_row(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, StoreError> {
        let (customer, category) = (insert.customer, insert.category);
        let version = to_i64("record version", insert.record_version)?;
        let err = |operation| pg_error(&self.schema, operation);
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(err("begin a section put"))?;
        lock_section(&mut tx, &self.schema, customer, category)?;
        let row = tx
            .query_one(NEWEST, &[&customer.as_bytes().as_slice(), &category.code()])
            .map_err(err("read the newest section version"))?;
        let newest: Option<i64> = row.try_get(0).map_err(err("read the newest section version"))?;
        let newest = newest
            .map(|v| version_from_row(customer, category, v))
            .transpose()?;
        if newest != insert.expected_newest {
            // Dropping `tx` rolls back; nothing was written.
            return Ok(InsertOutcome::NewestMoved { newest });
        }
        tx.execute(
            "INSERT INTO sections (customer, category, version, sealed) VALUES ($1, $2, $3, $4)",
            &[
                &customer.as_bytes().as_slice(),
                &category.code(),
                &version,
                &insert.sealed.as_bytes(),
            ],
        )
        .map_err(err("store a section"))?;
        tx.commit().map_err(err("commit a section put"))?;
        Ok(InsertOutcome::Inserted)
    }

    fn section_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, StoreError> {
        let version = to_i64("record version", record_version)?;
        let err = self.error("read a section");
        let row = self
            .client()?
            .query_opt(
                "SELECT sealed FROM sections WHERE customer = $1 AND category = $2 AND version = $3",
                &[&customer.as_bytes().as_slice(), &category.code(), &version],
            )
            .map_err(&err)?;
        match row {
            Some(row) => {
                let bytes: Vec<u8> = row.try_get(0).map_err(&err)?;
                Ok(Some(sealed_from_row(customer, category, record_version, bytes)?))
            }
            None => Ok(None),
        }
    }

    fn newest_section_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, StoreError> {
        let err = self.error("read the newest section");
        let row = self
            .client()?
            .query_opt(
                "SELECT version, sealed FROM sections WHERE customer = $1 AND category = $2 \
                 ORDER BY version DESC LIMIT 1",
                &[&customer.as_bytes().as_slice(), &category.code()],
            )
            .map_err(&err)?;
        match row {
            Some(row) => {
                let version = version_from_row(customer, category, row.try_get(0).map_err(&err)?)?;
                let bytes: Vec<u8> = row.try_get(1).map_err(&err)?;
                Ok(Some(VersionedSection::new(
                    version,
                    sealed_from_row(customer, category, version, bytes)?,
                )))
            }
            None => Ok(None),
        }
    }

    fn section_rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, StoreError> {
        let err = self.error("read a section history");
        let rows = self
            .client()?
            .query(
                "SELECT version, sealed FROM sections WHERE customer = $1 AND category = $2 ORDER BY version",
                &[&customer.as_bytes().as_slice(), &category.code()],
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let version = version_from_row(customer, category, row.try_get(0).map_err(&err)?)?;
            let bytes: Vec<u8> = row.try_get(1).map_err(&err)?;
            out.push(VersionedSection::new(
                version,
                sealed_from_row(customer, category, version, bytes)?,
            ));
        }
        Ok(out)
    }

    fn section_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, StoreError> {
        let err = self.error("list a customer's categories");
        let rows = self
            .client()?
            .query(
                "SELECT DISTINCT category FROM sections WHERE customer = $1",
                &[&customer.as_bytes().as_slice()],
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let code: String = row.try_get(0).map_err(&err)?;
            out.push(category_from_row(customer, &code)?);
        }
        Ok(out)
    }

    fn section_tombstone(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, StoreError> {
        let err = self.error("read a section tombstone");
        let row = self
            .client()?
            .query_opt(
                "SELECT erased_seconds, erased_nanos, last_version FROM section_tombstones \
                 WHERE customer = $1 AND category = $2",
                &[&customer.as_bytes().as_slice(), &category.code()],
            )
            .map_err(&err)?;
        match row {
            Some(row) => {
                let seconds: i64 = row.try_get(0).map_err(&err)?;
                let nanos: i32 = row.try_get(1).map_err(&err)?;
                let last: i64 = row.try_get(2).map_err(&err)?;
                Ok(Some(section_tombstone_from_columns(
                    customer,
                    category,
                    seconds,
                    i64::from(nanos),
                    last,
                )?))
            }
            None => Ok(None),
        }
    }

    fn delete_section_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let err = |operation| pg_error(&self.schema, operation);
        let (seconds, nanos) = time_to_columns(at);
        let nanos = i32::try_from(nanos).map_err(|_| StoreError::OutOfRange {
            field: "erasure nanoseconds",
            value: nanos.unsigned_abs(),
        })?;
        let id = customer.as_bytes().as_slice();
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(err("begin a section purge"))?;
        let mut removed = 0;
        for category in categories {
            lock_section(&mut tx, &self.schema, customer, *category)?;
            let deleted = tx
                .query(
                    "DELETE FROM sections WHERE customer = $1 AND category = $2 RETURNING version",
                    &[&id, &category.code()],
                )
                .map_err(err("purge a customer's sections"))?;
            let mut last: Option<i64> = None;
            for row in &deleted {
                let version: i64 = row.try_get(0).map_err(err("purge a customer's sections"))?;
                last = Some(last.map_or(version, |l| l.max(version)));
            }
            let Some(last) = last else { continue };
            removed += deleted.len() as u64;
            tx.execute(
                "INSERT INTO section_tombstones \
                 (customer, category, erased_seconds, erased_nanos, last_version) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer, category) DO UPDATE SET \
                 erased_seconds = excluded.erased_seconds, erased_nanos = excluded.erased_nanos, \
                 last_version = excluded.last_version",
                &[&id, &category.code(), &seconds, &nanos, &last],
            )
            .map_err(err("record a section tombstone"))?;
        }
        tx.commit().map_err(err("commit a section purge"))?;
        Ok(removed)
    }
}

impl SectionRows for PostgresStore {
    fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
        self.insert_section_row(insert).map_err(CryptoError::vault)
    }

    fn row(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, CryptoError> {
        self.section_row(customer, category, record_version)
            .map_err(CryptoError::vault)
    }

    fn newest_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, CryptoError> {
        self.newest_section_row(customer, category)
            .map_err(CryptoError::vault)
    }

    fn rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, CryptoError> {
        self.section_rows(customer, category).map_err(CryptoError::vault)
    }

    fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        self.section_categories(customer).map_err(CryptoError::vault)
    }

    fn tombstone_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError> {
        self.section_tombstone(customer, category)
            .map_err(CryptoError::vault)
    }

    fn delete_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, CryptoError> {
        self.delete_section_rows(customer, categories, at)
            .map_err(CryptoError::vault)
    }

    // PostgreSQL frees row versions only at VACUUM; nothing to flush here. Erasure there rests on
    // crypto-shredding (see `PostgresStore`).
}
