//! `Records` for SQLite: the `records` table, keys compared as BLOBs (byte by byte), each write one statement or one immediate transaction.

use std::ops::Bound;

use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, WriteTx};
use crate::error::StoreError;
use crate::records::{Inserted, KeyRange, Namespace, Record, Records, Swapped, check_record};

const SELECT: &str = "SELECT value FROM records WHERE namespace = ?1 AND key = ?2";

impl Records for SqliteStore {
    fn record(&self, namespace: Namespace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        check_record(namespace, key, None)?;
        self.conn()
            .prepare_cached(SELECT)
            .and_then(|mut s| {
                s.query_row(params![namespace.as_str(), key], |row| row.get(0))
                    .optional()
            })
            .map_err(self.error("read a record"))
    }

    fn put_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        check_record(namespace, key, Some(value))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO records (namespace, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute(params![namespace.as_str(), key, value]))
            .map_err(self.error("store a record"))?;
        Ok(())
    }

    fn insert_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<Inserted, StoreError> {
        check_record(namespace, key, Some(value))?;
        let err = self.error("insert a record");
        let conn = self.conn();
        let tx = WriteTx::begin(&conn).map_err(&err)?;
        let current: Option<Vec<u8>> = tx
            .prepare_cached(SELECT)
            .and_then(|mut s| {
                s.query_row(params![namespace.as_str(), key], |row| row.get(0))
                    .optional()
            })
            .map_err(&err)?;
        if let Some(current) = current {
            return Ok(Inserted::AlreadyPresent(current));
        }
        tx.prepare_cached("INSERT INTO records (namespace, key, value) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![namespace.as_str(), key, value]))
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(Inserted::Inserted)
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
        let conn = self.conn();
        // IMMEDIATE (or the unit's lock) is taken before the comparison: no other writer slips in between.
        let tx = WriteTx::begin(&conn).map_err(&err)?;
        let current: Option<Vec<u8>> = tx
            .prepare_cached(SELECT)
            .and_then(|mut s| {
                s.query_row(params![namespace.as_str(), key], |row| row.get(0))
                    .optional()
            })
            .map_err(&err)?;
        if current.as_deref() != expected {
            return Ok(Swapped::Moved(current));
        }
        tx.prepare_cached(
            "INSERT INTO records (namespace, key, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
        )
        .and_then(|mut s| s.execute(params![namespace.as_str(), key, new]))
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(Swapped::Swapped)
    }

    fn delete_record(&self, namespace: Namespace, key: &[u8]) -> Result<bool, StoreError> {
        check_record(namespace, key, None)?;
        let deleted = self
            .conn()
            .prepare_cached("DELETE FROM records WHERE namespace = ?1 AND key = ?2")
            .and_then(|mut s| s.execute(params![namespace.as_str(), key]))
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
        // Four statements, one per kind of lower and upper bound, each with a fixed shape (so each is
        // prepared once and cached); an unbounded side compares against nothing.
        let (lower, low): (&str, &[u8]) = match range.start() {
            Bound::Included(k) => ("key >= ?2", k),
            Bound::Excluded(k) => ("key > ?2", k),
            Bound::Unbounded => ("?2 IS NOT NULL", &[]),
        };
        let (upper, high): (&str, &[u8]) = match range.end() {
            Bound::Included(k) => ("key <= ?3", k),
            Bound::Excluded(k) => ("key < ?3", k),
            Bound::Unbounded => ("?3 IS NOT NULL", &[]),
        };
        let sql = format!(
            "SELECT key, value FROM records WHERE namespace = ?1 AND {lower} AND {upper} ORDER BY key LIMIT ?4"
        );
        let err = self.error("scan records");
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&sql).map_err(&err)?;
        let rows = statement
            .query_map(params![namespace.as_str(), low, high, limit], |row| {
                Ok(Record {
                    key: row.get(0)?,
                    value: row.get(1)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }
}
