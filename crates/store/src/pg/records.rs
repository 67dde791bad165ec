//! `Records` for PostgreSQL: the `records` table, keys compared as BYTEA (byte by byte), conditional writes under a row lock.

use std::ops::Bound;

use super::PostgresStore;
use crate::error::StoreError;
use crate::records::{Inserted, KeyRange, Namespace, Record, Records, Swapped, check_record};

const SELECT: &str = "SELECT value FROM records WHERE namespace = $1 AND key = $2";

impl Records for PostgresStore {
    fn record(&self, namespace: Namespace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        check_record(namespace, key, None)?;
        let err = self.error("read a record");
        let row = self
            .client()?
            .query_opt(SELECT, &[&namespace.as_str(), &key])
            .map_err(&err)?;
        row.map(|r| r.try_get(0)).transpose().map_err(&err)
    }

    fn put_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        check_record(namespace, key, Some(value))?;
        self.client()?
            .execute(
                "INSERT INTO records (namespace, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                &[&namespace.as_str(), &key, &value],
            )
            .map_err(self.error("store a record"))?;
        Ok(())
    }

    fn insert_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<Inserted, StoreError> {
        check_record(namespace, key, Some(value))?;
        let err = self.error("insert a record");
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(&err)?;
        let inserted = tx
            .execute(
                "INSERT INTO records (namespace, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&namespace.as_str(), &key, &value],
            )
            .map_err(&err)?;
        if inserted == 1 {
            tx.commit().map_err(&err)?;
            return Ok(Inserted::Inserted);
        }
        let current: Vec<u8> = tx
            .query_one(SELECT, &[&namespace.as_str(), &key])
            .and_then(|r| r.try_get(0))
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(Inserted::AlreadyPresent(current))
    }

    fn swap_record(
        &self,
        namespace: Namespace,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swapped, StoreError> {
        check_record(namespace, key, Some(new))?;
        let err = self.error("swap a record");
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(&err)?;
        let changed = match expected {
            Some(expected) => tx
                .execute(
                    "UPDATE records SET value = $3 WHERE namespace = $1 AND key = $2 AND value = $4",
                    &[&namespace.as_str(), &key, &new, &expected],
                )
                .map_err(&err)?,
            None => tx
                .execute(
                    "INSERT INTO records (namespace, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&namespace.as_str(), &key, &new],
                )
                .map_err(&err)?,
        };
        if changed == 1 {
            tx.commit().map_err(&err)?;
            return Ok(Swapped::Swapped);
        }
        let current = tx
            .query_opt(SELECT, &[&namespace.as_str(), &key])
            .map_err(&err)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(Swapped::Moved(current))
    }

    fn delete_record(&self, namespace: Namespace, key: &[u8]) -> Result<bool, StoreError> {
        check_record(namespace, key, None)?;
        let deleted = self
            .client()?
            .execute(
                "DELETE FROM records WHERE namespace = $1 AND key = $2",
                &[&namespace.as_str(), &key],
            )
            .map_err(self.error("delete a record"))?;
        Ok(deleted > 0)
    }

    fn scan_records(
        &self,
        namespace: Namespace,
        range: &KeyRange,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        namespace.check()?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (lower, low): (&str, &[u8]) = match range.start() {
            Bound::Included(k) => ("key >= $2", k),
            Bound::Excluded(k) => ("key > $2", k),
            Bound::Unbounded => ("$2::BYTEA IS NOT NULL", &[]),
        };
        let (upper, high): (&str, &[u8]) = match range.end() {
            Bound::Included(k) => ("key <= $3", k),
            Bound::Excluded(k) => ("key < $3", k),
            Bound::Unbounded => ("$3::BYTEA IS NOT NULL", &[]),
        };
        let sql = format!(
            "SELECT key, value FROM records WHERE namespace = $1 AND {lower} AND {upper} ORDER BY key LIMIT $4"
        );
        let err = self.error("scan records");
        let rows = self
            .client()?
            .query(sql.as_str(), &[&namespace.as_str(), &low, &high, &limit])
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(Record {
                key: row.try_get(0).map_err(&err)?,
                value: row.try_get(1).map_err(&err)?,
            });
        }
        Ok(out)
    }
}
