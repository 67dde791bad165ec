//! `SectionRows` for SQLite: one row per customer, category and record version in `sections`, one tombstone per erased category; rows only, the rules are crypto's.

use chrono::{DateTime, Utc};
use custodia_crypto::{
    CryptoError, InsertOutcome, SealedSection, SectionInsert, SectionRows, SectionTombstone, VersionedSection,
};
use custodia_model::{CustomerId, DataCategory};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, WriteTx};
use crate::error::{StoreError, to_i64};
use crate::rows::{
    category_from_row, sealed_from_row, section_tombstone_from_columns, time_to_columns, version_from_row,
};

/// The newest version of a customer's category as the `SectionRows` contract defines it: the largest
/// stored version, or, with no row left, the tombstone's last version.
const NEWEST: &str = "SELECT COALESCE(\
    (SELECT MAX(version) FROM sections WHERE customer = ?1 AND category = ?2), \
    (SELECT last_version FROM section_tombstones WHERE customer = ?1 AND category = ?2))";

impl SqliteStore {
    fn insert_section_row(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, StoreError> {
        let (customer, category) = (insert.customer, insert.category);
        let version = to_i64("record version", insert.record_version)?;
        let err = |operation| super::sqlite_error(&self.location, operation);
        let conn = self.conn();
        // IMMEDIATE takes the write lock before the comparison: no other writer slips a version in between.
        let tx = WriteTx::begin(&conn).map_err(err("begin a section put"))?;
        let newest: Option<i64> = tx
            .prepare_cached(NEWEST)
            .and_then(|mut s| s.query_row(params![customer.as_bytes(), category.code()], |row| row.get(0)))
            .map_err(err("read the newest section version"))?;
        let newest = newest
            .map(|v| version_from_row(customer, category, v))
            .transpose()?;
        if newest != insert.expected_newest {
            // Dropping `tx` rolls back; nothing was written.
            return Ok(InsertOutcome::NewestMoved { newest });
        }
        tx.prepare_cached(
            "INSERT INTO sections (customer, category, version, sealed) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                customer.as_bytes(),
                category.code(),
                version,
                insert.sealed.as_bytes()
            ])
        })
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
        let conn = self.conn();
        let bytes: Option<Vec<u8>> = conn
            .prepare_cached(
                "SELECT sealed FROM sections WHERE customer = ?1 AND category = ?2 AND version = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![customer.as_bytes(), category.code(), version], |row| {
                    row.get(0)
                })
                .optional()
            })
            .map_err(self.error("read a section"))?;
        bytes
            .map(|b| sealed_from_row(customer, category, record_version, b))
            .transpose()
    }

    fn newest_section_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, StoreError> {
        let conn = self.conn();
        let row: Option<(i64, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT version, sealed FROM sections WHERE customer = ?1 AND category = ?2 \
                 ORDER BY version DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![customer.as_bytes(), category.code()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
            })
            .map_err(self.error("read the newest section"))?;
        row.map(|(version, bytes)| {
            let version = version_from_row(customer, category, version)?;
            Ok(VersionedSection::new(
                version,
                sealed_from_row(customer, category, version, bytes)?,
            ))
        })
        .transpose()
    }

    fn section_rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, StoreError> {
        let err = self.error("read a section history");
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT version, sealed FROM sections WHERE customer = ?1 AND category = ?2 ORDER BY version",
            )
            .map_err(&err)?;
        let rows = statement
            .query_map(params![customer.as_bytes(), category.code()], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (version, bytes) = row.map_err(&err)?;
            let version = version_from_row(customer, category, version)?;
            out.push(VersionedSection::new(
                version,
                sealed_from_row(customer, category, version, bytes)?,
            ));
        }
        Ok(out)
    }

    fn section_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, StoreError> {
        let err = self.error("list a customer's categories");
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached("SELECT DISTINCT category FROM sections WHERE customer = ?1")
            .map_err(&err)?;
        let rows = statement
            .query_map(params![customer.as_bytes()], |row| row.get::<_, String>(0))
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(category_from_row(customer, &row.map_err(&err)?)?);
        }
        Ok(out)
    }

    fn section_tombstone(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, StoreError> {
        let conn = self.conn();
        let row: Option<(i64, i64, i64)> = conn
            .prepare_cached(
                "SELECT erased_seconds, erased_nanos, last_version FROM section_tombstones \
                 WHERE customer = ?1 AND category = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![customer.as_bytes(), category.code()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
            })
            .map_err(self.error("read a section tombstone"))?;
        row.map(|(seconds, nanos, last)| {
            section_tombstone_from_columns(customer, category, seconds, nanos, last)
        })
        .transpose()
    }

    fn delete_section_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let err = |operation| super::sqlite_error(&self.location, operation);
        let (seconds, nanos) = time_to_columns(at);
        let conn = self.conn();
        let tx = WriteTx::begin(&conn).map_err(err("begin a section purge"))?;
        let mut removed = 0;
        {
            let mut newest = tx
                .prepare_cached("SELECT MAX(version) FROM sections WHERE customer = ?1 AND category = ?2")
                .map_err(err("prepare a section purge"))?;
            let mut delete = tx
                .prepare_cached("DELETE FROM sections WHERE customer = ?1 AND category = ?2")
                .map_err(err("prepare a section purge"))?;
            let mut tombstone = tx
                .prepare_cached(
                    "INSERT INTO section_tombstones \
                     (customer, category, erased_seconds, erased_nanos, last_version) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (customer, category) DO UPDATE SET \
                     erased_seconds = excluded.erased_seconds, erased_nanos = excluded.erased_nanos, \
                     last_version = excluded.last_version",
                )
                .map_err(err("prepare a section purge"))?;
            for category in categories {
                let key = params![customer.as_bytes(), category.code()];
                let last: Option<i64> = newest
                    .query_row(key, |row| row.get(0))
                    .map_err(err("purge a customer's sections"))?;
                let Some(last) = last else { continue };
                removed += delete.execute(key).map_err(err("purge a customer's sections"))?;
                tombstone
                    .execute(params![
                        customer.as_bytes(),
                        category.code(),
                        seconds,
                        nanos,
                        last
                    ])
                    .map_err(err("record a section tombstone"))?;
            }
        }
        tx.commit().map_err(err("commit a section purge"))?;
        // secure_delete zeroed the rows in their pages; the WAL's older copies go at the next checkpoint
        // (`flush_deleted_rows`).
        Ok(removed as u64)
    }
}

impl SectionRows for SqliteStore {
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

    fn flush_deleted_rows(&self) -> Result<(), CryptoError> {
        // secure_delete zeroed the rows in their pages; the checkpoint clears the WAL's older copies.
        self.checkpoint_wal().map_err(CryptoError::vault)
    }
}
