//! `SectionVault` for SQLite: one row per customer, category and record version in the `sections` table.

use std::sync::PoisonError;

use custodia_crypto::SealedSection;
use custodia_model::{CustomerId, DataCategory};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use crate::error::{StoreError, to_i64};
use crate::rows::{category_from_row, sealed_from_row, version_from_row};
use crate::vault::{SectionVault, VersionedSection, sort_categories};

impl SectionVault for SqliteStore {
    fn put_section(
        &mut self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
        sealed: &SealedSection,
    ) -> Result<(), StoreError> {
        let version = to_i64("record version", record_version)?;
        let err = |operation| super::sqlite_error(&self.location, operation);
        // IMMEDIATE takes the write lock before the check: no other writer slips a version in between.
        let tx = self
            .conn
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("begin a section put"))?;
        let latest: Option<i64> = tx
            .prepare_cached("SELECT MAX(version) FROM sections WHERE customer = ?1 AND category = ?2")
            .and_then(|mut s| s.query_row(params![customer.as_bytes(), category.code()], |row| row.get(0)))
            .map_err(err("read the newest section version"))?;
        if let Some(latest) = latest
            && latest >= version
        {
            let latest = version_from_row(customer, category, latest)?;
            return Err(StoreError::StaleSectionVersion {
                customer,
                category,
                version: record_version,
                latest,
            });
        }
        tx.prepare_cached(
            "INSERT INTO sections (customer, category, version, sealed) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                customer.as_bytes(),
                category.code(),
                version,
                sealed.as_bytes()
            ])
        })
        .map_err(err("store a section"))?;
        tx.commit().map_err(err("commit a section put"))
    }

    fn section(
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

    fn latest_section(
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

    fn section_history(
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

    fn categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, StoreError> {
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
        sort_categories(&mut out);
        Ok(out)
    }

    fn purge_customer(&mut self, customer: CustomerId) -> Result<u64, StoreError> {
        let conn = self.conn();
        let removed = conn
            .execute(
                "DELETE FROM sections WHERE customer = ?1",
                params![customer.as_bytes()],
            )
            .map_err(self.error("purge a customer's sections"))?;
        // The mutex is not reentrant: release it before the checkpoint takes it again.
        drop(conn);
        // secure_delete zeroed the rows in their pages; the checkpoint clears the WAL's older copies.
        self.checkpoint_wal()?;
        Ok(removed as u64)
    }

    fn purge_categories(
        &mut self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<u64, StoreError> {
        let err = |operation| super::sqlite_error(&self.location, operation);
        let tx = self
            .conn
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("begin a category purge"))?;
        let mut removed = 0;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM sections WHERE customer = ?1 AND category = ?2")
                .map_err(err("prepare a category purge"))?;
            for category in categories {
                removed += delete
                    .execute(params![customer.as_bytes(), category.code()])
                    .map_err(err("purge a customer's categories"))?;
            }
        }
        tx.commit().map_err(err("commit a category purge"))?;
        // secure_delete zeroed the rows in their pages; the WAL's older copies go at the caller's checkpoint.
        Ok(removed as u64)
    }
}
