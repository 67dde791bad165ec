//! The brokerage's own records in the store's records table: one namespace per kind, big-endian composite keys, JSON values, and the ledger payloads of its steps.
//!
//! | namespace | key | value |
//! |---|---|---|
//! | `customer/index` | customer | [`CustomerEntry`] (current version, origin) |
//! | `customer/version` | customer ‖ version (u32 BE) | the model's `RecordVersion` (who, when, which fields) |
//! | `customer/facts` | customer ‖ version | the customer's facts, sealed under their DEK |
//! | `consent/notice` | notice id ‖ version | ledger index (u64 BE) ‖ SHA-256 of the record |
//! | `consent/event` | event id | ledger index ‖ SHA-256 of the record |
//! | `consent/by-customer` | customer ‖ ledger index | empty: the customer's consent entries, in ledger order |
//! | `transfer/case` | transfer ‖ role (1 byte) | the case row (state, step data) |
//! | `transfer/served` | transfer ‖ customer | ledger index of the notice-served event |
//! | `transfer/final` | transfer ‖ customer | the customer's final decisions |
//! | `transfer/disposition` | transfer ‖ part (u32 BE) | one destruction plan of the disposition |
//! | `transfer/exports` | year (i32 BE) ‖ transfer | people exported abroad that calendar year (issue 15 reads it) |
//! | `brokerage/settings` | a name | KEK state, blind-index size, legal holds, the rights settings, the working-day calendar in force |
//! | `keys/wraps` | KEK version (u32 BE) | wraps made (u64 BE), so the cap counts across restarts |
//! | `rights/request` | request id | the `custodia_rights::Request` as JSON (ids, codes, digests, dates only) |
//! | `rights/entry` | request ‖ ledger index (u64 BE) | the step's code: the request's entries, in ledger order |
//! | `rights/by-customer` | customer ‖ request | empty: the customer's requests (the duplicate check) |
//! | `rights/by-deadline` | close (u64 BE, order-preserving seconds; `u64::MAX` while the clock is stopped) ‖ request | empty: open requests, earliest close first |
//! | `rights/receipt` | request id | the signed response receipt as issued |
//! | `access/principal` | actor id (UTF-8) | a custodia-access `Principal` (public record; see `access.rs`) |
//! | `access/approval` | approval id | a verified custodia-access `SignedApproval` |
//! | `access/monitor` | `state` | the bulk-read monitors' state (custodia-access `Monitor`; see `alerts.rs`) |
//! | `access/alert` | ledger index (u64 BE) ‖ alert kind code | a custodia-access `Alert` (ids, counts, ledger indices) |
//! | `oversight/incident`, `oversight/affected`, `oversight/assessment`, `oversight/assessment-approvals`, `oversight/reverify` | see `oversight.rs` | incidents, affected sets, impact assessments and their approvals, re-verification marks |
//!
//! Later issues add namespaces (access log, principals, incidents), never tables.

use custodia_model::{CustomerId, TransferId};
use custodia_store::{KeyRange, Namespace, Record, Records};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::error::{BrokerageError, CaseRole};

pub(crate) const CUSTOMERS: Namespace = Namespace::new("customer/index");
pub(crate) const VERSIONS: Namespace = Namespace::new("customer/version");
pub(crate) const FACTS: Namespace = Namespace::new("customer/facts");
pub(crate) const NOTICES: Namespace = Namespace::new("consent/notice");
pub(crate) const EVENTS: Namespace = Namespace::new("consent/event");
pub(crate) const BY_CUSTOMER: Namespace = Namespace::new("consent/by-customer");
pub(crate) const CASES: Namespace = Namespace::new("transfer/case");
pub(crate) const SERVED: Namespace = Namespace::new("transfer/served");
pub(crate) const FINAL: Namespace = Namespace::new("transfer/final");
pub(crate) const DISPOSITION: Namespace = Namespace::new("transfer/disposition");
pub(crate) const EXPORTS: Namespace = Namespace::new("transfer/exports");
pub(crate) const DECLARED_EXPORTS: Namespace = Namespace::new("transfer/declared-exports");
pub(crate) const SETTINGS: Namespace = Namespace::new("brokerage/settings");
pub(crate) const WRAPS: Namespace = Namespace::new("keys/wraps");
pub(crate) const RIGHTS_REQUESTS: Namespace = Namespace::new("rights/request");
pub(crate) const RIGHTS_ENTRIES: Namespace = Namespace::new("rights/entry");
pub(crate) const RIGHTS_BY_CUSTOMER: Namespace = Namespace::new("rights/by-customer");
pub(crate) const RIGHTS_BY_DEADLINE: Namespace = Namespace::new("rights/by-deadline");
pub(crate) const RIGHTS_RECEIPTS: Namespace = Namespace::new("rights/receipt");

/// The prefix of every ledger entry the brokerage writes itself (case steps, onboardings, updates, key
/// rotations): the consent crate's rebuild and the transfer crate's response index skip it.
pub(crate) const STEP_PREFIX: &[u8] = b"custodia-brokerage/v1\n";

/// Where a customer in the index came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum Origin {
    /// Onboarded here.
    Onboarded,
    /// Imported from a seller's package.
    Imported { transfer: TransferId },
}

/// A customer's entry in `customer/index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CustomerEntry {
    /// The current record version (0 for an imported customer whose facts the buyer has not recorded).
    pub(crate) version: u32,
    pub(crate) origin: Origin,
}

pub(crate) fn customer_key(customer: CustomerId) -> Vec<u8> {
    customer.as_bytes().to_vec()
}

pub(crate) fn versioned_key(customer: CustomerId, version: u32) -> Vec<u8> {
    let mut key = customer.as_bytes().to_vec();
    key.extend_from_slice(&version.to_be_bytes());
    key
}

pub(crate) fn indexed_key(customer: CustomerId, index: u64) -> Vec<u8> {
    let mut key = customer.as_bytes().to_vec();
    key.extend_from_slice(&index.to_be_bytes());
    key
}

pub(crate) fn case_key(transfer: TransferId, role: CaseRole) -> Vec<u8> {
    let mut key = transfer.as_bytes().to_vec();
    key.push(match role {
        CaseRole::Seller => 0,
        CaseRole::Buyer => 1,
    });
    key
}

pub(crate) fn case_customer_key(transfer: TransferId, customer: CustomerId) -> Vec<u8> {
    let mut key = transfer.as_bytes().to_vec();
    key.extend_from_slice(customer.as_bytes());
    key
}

pub(crate) fn part_key(transfer: TransferId, part: u32) -> Vec<u8> {
    let mut key = transfer.as_bytes().to_vec();
    key.extend_from_slice(&part.to_be_bytes());
    key
}

/// The customer id at `offset` of a key.
pub(crate) fn customer_at(
    namespace: &'static str,
    key: &[u8],
    offset: usize,
) -> Result<CustomerId, BrokerageError> {
    let bytes: [u8; 16] = key
        .get(offset..offset + 16)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| BrokerageError::corrupt(namespace, key, "key too short for a customer id"))?;
    CustomerId::from_bytes(bytes).map_err(|e| BrokerageError::corrupt(namespace, key, e))
}

/// The big-endian u64 at `offset` of `bytes`.
pub(crate) fn u64_at(
    namespace: &'static str,
    key: &[u8],
    bytes: &[u8],
    offset: usize,
) -> Result<u64, BrokerageError> {
    bytes
        .get(offset..offset + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| BrokerageError::corrupt(namespace, key, "too short for a number"))
}

/// The JSON value of a record, decoded.
pub(crate) fn get_json<T: DeserializeOwned>(
    store: &Backend,
    namespace: Namespace,
    key: &[u8],
) -> Result<Option<T>, BrokerageError> {
    store
        .record(namespace, key)?
        .map(|bytes| decode_json(namespace, key, &bytes))
        .transpose()
}

pub(crate) fn decode_json<T: DeserializeOwned>(
    namespace: Namespace,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, BrokerageError> {
    serde_json::from_slice(bytes).map_err(|e| BrokerageError::corrupt(namespace.as_str(), key, e))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, BrokerageError> {
    serde_json::to_vec(value).map_err(|e| BrokerageError::InvalidInput {
        field: "record",
        reason: e.to_string(),
    })
}

pub(crate) fn put_json<T: Serialize>(
    store: &Backend,
    namespace: Namespace,
    key: &[u8],
    value: &T,
) -> Result<(), BrokerageError> {
    Ok(store.put_record(namespace, key, &to_json(value)?)?)
}

/// Every record of `range` in key order, `page` at a time, handed to `each` page by page.
pub(crate) fn scan_pages(
    store: &Backend,
    namespace: Namespace,
    range: KeyRange,
    page: usize,
    each: &mut dyn FnMut(Vec<Record>) -> Result<(), BrokerageError>,
) -> Result<(), BrokerageError> {
    let mut next = range.clone();
    loop {
        let records = store.scan_records(namespace, &next, page)?;
        let Some(last) = records.last().map(|r| r.key.clone()) else {
            return Ok(());
        };
        let full = records.len() == page;
        each(records)?;
        if !full {
            return Ok(());
        }
        next = range.clone().after(&last);
    }
}

/// Every customer of the customer index, in id order, read `page` entries at a time and handed to `each`.
pub(crate) fn each_customer(
    store: &Backend,
    page: usize,
    each: &mut dyn FnMut(CustomerId) -> Result<(), BrokerageError>,
) -> Result<(), BrokerageError> {
    scan_pages(store, CUSTOMERS, KeyRange::all(), page, &mut |records| {
        records
            .iter()
            .try_for_each(|r| each(customer_at(CUSTOMERS.as_str(), &r.key, 0)?))
    })
}

/// A ledger payload of the brokerage's own: the prefix and the JSON of `value`. Only ids, counts,
/// digests, times, actor ids and codes go in, never a personal value.
pub(crate) fn step_payload<T: Serialize>(value: &T) -> Result<Vec<u8>, BrokerageError> {
    let mut payload = STEP_PREFIX.to_vec();
    payload.extend_from_slice(&to_json(value)?);
    Ok(payload)
}
