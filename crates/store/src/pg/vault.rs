//! `SectionVault` for PostgreSQL: the `sections` table, puts serialized per customer and category by an advisory lock.

use custodia_crypto::SealedSection;
use custodia_model::{CustomerId, DataCategory};

use super::{PostgresStore, pg_error};
use crate::error::{StoreError, to_i64};
use crate::rows::{category_from_row, sealed_from_row, version_from_row};
use crate::vault::{SectionVault, VersionedSection, sort_categories};

impl SectionVault for PostgresStore {
    fn put_section(
        &mut self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
        sealed: &SealedSection,
    ) -> Result<(), StoreError> {
        let version = to_i64("record version", record_version)?;
        let schema = self.schema.clone();
        let err = |operation| pg_error(&schema, operation);
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut tx = client.transaction().map_err(err("begin a section put"))?;
        // Two writers of the same section queue here, so the newest-version check cannot race.
        let key = format!("custodia section {schema} {customer} {}", category.code());
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&key])
            .map_err(err("lock the section"))?;
        let row = tx
            .query_one(
                "SELECT MAX(version) FROM sections WHERE customer = $1 AND category = $2",
                &[&customer.as_bytes().as_slice(), &category.code()],
            )
            .map_err(err("read the newest section version"))?;
        let latest: Option<i64> = row.try_get(0).map_err(err("read the newest section version"))?;
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
        tx.execute(
            "INSERT INTO sections (customer, category, version, sealed) VALUES ($1, $2, $3, $4)",
            &[
                &customer.as_bytes().as_slice(),
                &category.code(),
                &version,
                &sealed.as_bytes(),
            ],
        )
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
        let err = self.error("read a section");
        let row = self
            .client()
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

    fn latest_section(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, StoreError> {
        let err = self.error("read the newest section");
        let row = self
            .client()
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

    fn section_history(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, StoreError> {
        let err = self.error("read a section history");
        let rows = self
            .client()
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

    fn categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, StoreError> {
        let err = self.error("list a customer's categories");
        let rows = self
            .client()
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
        sort_categories(&mut out);
        Ok(out)
    }

    fn purge_customer(&mut self, customer: CustomerId) -> Result<u64, StoreError> {
        self.client()
            .execute(
                "DELETE FROM sections WHERE customer = $1",
                &[&customer.as_bytes().as_slice()],
            )
            .map_err(self.error("purge a customer's sections"))
    }

    fn purge_categories(
        &mut self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<u64, StoreError> {
        let codes: Vec<&str> = categories.iter().map(|c| c.code()).collect();
        self.client()
            .execute(
                "DELETE FROM sections WHERE customer = $1 AND category = ANY($2)",
                &[&customer.as_bytes().as_slice(), &codes],
            )
            .map_err(self.error("purge a customer's categories"))
    }
}
