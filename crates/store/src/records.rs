//! The application layer's records: one rule-free table of namespaced, byte-ordered keys and values, with put, insert-if-absent, compare-and-swap, delete, get and ordered range scans.
//!
//! custodia-brokerage keeps its own state here — transfer cases, served markers, per-customer indexes of
//! consent entries, sealed customer facts, the KEK state — and later issues (access log, principals, rights
//! requests, incidents) add namespaces, never tables. The store adds no rules: a key is bytes, a value is
//! bytes, and keys compare byte by byte (`memcmp`), so a big-endian composite key (customer ‖ ledger index,
//! principal ‖ time, deadline ‖ case) makes "by customer", "by principal and time" and "by deadline" plain
//! range scans.

use std::ops::Bound;
use std::sync::Arc;

use crate::error::StoreError;

/// The longest key a record may have: 512 bytes (PostgreSQL's B-tree refuses entries past about 2.7 kB; a
/// composite key of ids and big-endian numbers is far below either limit).
pub const MAX_RECORD_KEY_LEN: usize = 512;

/// The largest value a record may hold: 64 MiB. Anything per customer belongs in a record of its own.
pub const MAX_RECORD_VALUE_LEN: usize = 64 << 20;

/// The name of one kind of record, such as `transfer/case` or `consent/by-customer`: 1 to 64 characters of
/// lower-case ASCII letters, digits and `/`, `-`, `_`, `.`.
///
/// Names are `'static` (written in code, one per kind of record), so making one is `const` and free; every
/// store call checks the name and refuses a malformed one with [`StoreError::InvalidConfig`] before it
/// touches the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(&'static str);

impl Namespace {
    /// The namespace called `name` (checked when used; see [`Namespace::check`]).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The name.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// Checks the name: 1 to 64 characters of `a-z`, `0-9`, `/`, `-`, `_`, `.`.
    pub fn check(&self) -> Result<(), StoreError> {
        let bad = |reason| StoreError::InvalidConfig {
            field: "record namespace",
            reason,
        };
        if self.0.is_empty() || self.0.len() > 64 {
            return Err(bad("must be 1 to 64 characters"));
        }
        if !self
            .0
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'/' | b'-' | b'_' | b'.'))
        {
            return Err(bad("only a-z, 0-9, '/', '-', '_' and '.'"));
        }
        Ok(())
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Checks a namespace, key and (optional) value against the limits, naming what is wrong.
pub(crate) fn check_record(namespace: Namespace, key: &[u8], value: Option<&[u8]>) -> Result<(), StoreError> {
    namespace.check()?;
    if key.is_empty() || key.len() > MAX_RECORD_KEY_LEN {
        return Err(StoreError::InvalidConfig {
            field: "record key",
            reason: "must be 1 to 512 bytes",
        });
    }
    if value.is_some_and(|v| v.len() > MAX_RECORD_VALUE_LEN) {
        return Err(StoreError::InvalidConfig {
            field: "record value",
            reason: "must be at most 64 MiB",
        });
    }
    Ok(())
}

/// A range of keys to scan, in ascending byte order. Built from [`KeyRange::all`] or [`KeyRange::prefix`],
/// then narrowed with [`KeyRange::after`] to page through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key of the namespace.
    pub fn all() -> Self {
        Self {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Every key that starts with `prefix` (all keys for an empty prefix).
    pub fn prefix(prefix: &[u8]) -> Self {
        if prefix.is_empty() {
            return Self::all();
        }
        Self {
            start: Bound::Included(prefix.to_vec()),
            end: prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
        }
    }

    /// Keys from `start` (included) to `end` (excluded).
    pub fn between(start: &[u8], end: &[u8]) -> Self {
        Self {
            start: Bound::Included(start.to_vec()),
            end: Bound::Excluded(end.to_vec()),
        }
    }

    /// The same range, from just after `key`: the next page after a scan whose last key was `key`.
    pub fn after(self, key: &[u8]) -> Self {
        let start = match self.start {
            Bound::Included(s) | Bound::Excluded(s) if s.as_slice() > key => Bound::Included(s),
            _ => Bound::Excluded(key.to_vec()),
        };
        Self { start, ..self }
    }

    /// The lower bound.
    pub fn start(&self) -> Bound<&[u8]> {
        self.start.as_ref().map(Vec::as_slice)
    }

    /// The upper bound.
    pub fn end(&self) -> Bound<&[u8]> {
        self.end.as_ref().map(Vec::as_slice)
    }
}

/// The smallest key greater than every key starting with `prefix`, if there is one (there is none for a
/// prefix of only `0xff` bytes).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One record read back by a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// Its key.
    pub key: Vec<u8>,
    /// Its value.
    pub value: Vec<u8>,
}

/// What [`Records::insert_record`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
// Not `#[non_exhaustive]`: an insert-if-absent inserts or finds a value; there is no third outcome.
pub enum Inserted {
    /// The key was free; the value is stored.
    Inserted,
    /// A value was already there (returned); nothing changed.
    AlreadyPresent(Vec<u8>),
}

/// What [`Records::swap_record`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
// Not `#[non_exhaustive]`: a compare-and-swap swaps or finds another value; there is no third outcome.
pub enum Swapped {
    /// The value was as expected and is replaced.
    Swapped,
    /// The value was not as expected (it is returned, `None` if absent); nothing changed.
    Moved(Option<Vec<u8>>),
}

/// The records seam of the application layer: rows of `(namespace, key, value)` with byte-ordered keys.
///
/// Every method takes `&self` and is one atomic statement of the backend; several of them become one
/// atomic change inside [`crate::UnitOfWork::unit_of_work`]. The trait adds no rules — what a record means
/// is the caller's business — and lives here, above the conformance kit, because only the application
/// layer needs it; `crates/store/tests/records.rs` runs one suite against every backend.
pub trait Records {
    /// The value stored under `key`, if any.
    fn record(&self, namespace: Namespace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores `value` under `key`, replacing any value.
    fn put_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<(), StoreError>;

    /// Stores `value` under `key` only if nothing is stored there yet.
    fn insert_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<Inserted, StoreError>;

    /// Replaces the value under `key` with `new` only if it is `expected` now (`None`: only if absent).
    fn swap_record(
        &self,
        namespace: Namespace,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swapped, StoreError>;

    /// Deletes the record under `key`; `true` if there was one.
    fn delete_record(&self, namespace: Namespace, key: &[u8]) -> Result<bool, StoreError>;

    /// Up to `limit` records whose keys fall in `range`, in ascending key order. Page through a large
    /// range with [`KeyRange::after`] and the last key returned.
    fn scan_records(
        &self,
        namespace: Namespace,
        range: &KeyRange,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError>;
}

impl<T: Records + ?Sized> Records for &T {
    fn record(&self, namespace: Namespace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).record(namespace, key)
    }
    fn put_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        (**self).put_record(namespace, key, value)
    }
    fn insert_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<Inserted, StoreError> {
        (**self).insert_record(namespace, key, value)
    }
    fn swap_record(
        &self,
        namespace: Namespace,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swapped, StoreError> {
        (**self).swap_record(namespace, key, expected, new)
    }
    fn delete_record(&self, namespace: Namespace, key: &[u8]) -> Result<bool, StoreError> {
        (**self).delete_record(namespace, key)
    }
    fn scan_records(
        &self,
        namespace: Namespace,
        range: &KeyRange,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        (**self).scan_records(namespace, range, limit)
    }
}

impl<T: Records + ?Sized> Records for Arc<T> {
    fn record(&self, namespace: Namespace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).record(namespace, key)
    }
    fn put_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        (**self).put_record(namespace, key, value)
    }
    fn insert_record(&self, namespace: Namespace, key: &[u8], value: &[u8]) -> Result<Inserted, StoreError> {
        (**self).insert_record(namespace, key, value)
    }
    fn swap_record(
        &self,
        namespace: Namespace,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swapped, StoreError> {
        (**self).swap_record(namespace, key, expected, new)
    }
    fn delete_record(&self, namespace: Namespace, key: &[u8]) -> Result<bool, StoreError> {
        (**self).delete_record(namespace, key)
    }
    fn scan_records(
        &self,
        namespace: Namespace,
        range: &KeyRange,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        (**self).scan_records(namespace, range, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_end_just_past_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(KeyRange::prefix(&[]), KeyRange::all());
        let r = KeyRange::prefix(b"ab");
        assert_eq!(r.start(), Bound::Included(b"ab".as_slice()));
        assert_eq!(r.end(), Bound::Excluded(b"ac".as_slice()));
        let next = r.after(b"abz");
        assert_eq!(next.start(), Bound::Excluded(b"abz".as_slice()));
        assert_eq!(next.end(), Bound::Excluded(b"ac".as_slice()));
    }

    #[test]
    fn namespaces_are_checked() {
        assert!(Namespace::new("transfer/case").check().is_ok());
        for bad in ["", "Transfer", "a b", "x;drop", &"n".repeat(65)] {
            let leaked: &'static str = Box::leak(bad.to_owned().into_boxed_str());
            assert!(Namespace::new(leaked).check().is_err(), "{bad:?}");
        }
        assert!(check_record(Namespace::new("a"), &[], None).is_err());
        assert!(check_record(Namespace::new("a"), &[0; 513], None).is_err());
        assert!(check_record(Namespace::new("a"), &[0; 512], Some(b"v")).is_ok());
    }
}
