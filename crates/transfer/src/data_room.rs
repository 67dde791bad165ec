//! The due-diligence data room: what a buyer may see of the book before signing, with no personal
//! information in it — counts by category, line of business, province, age band and policy status, and a
//! de-identified sample that passes a k-anonymity check — plus the ledger entry that records what was shown.
//!
//! PIPL Art 73(4): anonymized information is information that can no longer identify a person and cannot be
//! restored; PIPL Art 4 puts it outside personal information. So the export holds no name, number, exact
//! date or address: ages are bands of ten years, places are provinces, and every count or sample group
//! smaller than `k` people is suppressed, because a small group can single someone out. `k` is a setting
//! ([`DataRoomSettings::k`], cautious default 10). The ledger entry ([`DataRoomExport::ledger_payload`])
//! carries only the export's SHA-256 and its counts, so the seller can later prove what it showed.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use custodia_ledger::{Log, LogStore};
use custodia_model::{CategorySet, Customer, DataCategory, PartyKind, PolicyStatus, ProductLine};
use serde::{Deserialize, Serialize};

use crate::codec::{hex, sha256};
use crate::error::TransferError;

/// The format name of a data-room ledger payload.
pub const DATA_ROOM_PAYLOAD: &str = "custodia-transfer/data-room/1";

/// How a data room is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRoomSettings {
    /// The smallest group shown: every count and every sample group below it is suppressed. Default 10;
    /// at least 2 (a group of one is a person).
    pub k: u32,
    /// One customer in this many enters the sample (deterministically, by position). Default 20.
    pub sample_every: u64,
    /// The day ages and policy statuses are judged on.
    pub as_of: NaiveDate,
}

impl DataRoomSettings {
    /// The cautious defaults (k 10, one in 20 sampled) on `as_of`.
    pub fn on(as_of: NaiveDate) -> Self {
        Self {
            k: 10,
            sample_every: 20,
            as_of,
        }
    }
}

/// A ten-year age band (`40-49`), or an organization, or an unknown age.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgeBand {
    /// Under 14 (PIPL Art 28: a minor's data is sensitive, so children form one band).
    Under14,
    /// 14 to 19.
    From14To19,
    /// The decade starting at this age (20, 30, …, 80); 90 and over share one band.
    Decade(u8),
    /// An organization customer.
    Organization,
}

fn age_band(customer: &Customer, on: NaiveDate) -> AgeBand {
    match customer.party().as_person().and_then(|p| p.age_at(on)) {
        None if customer.kind() == PartyKind::Organization => AgeBand::Organization,
        None => AgeBand::Decade(0),
        Some(age) if age < 14 => AgeBand::Under14,
        Some(age) if age < 20 => AgeBand::From14To19,
        Some(age) => AgeBand::Decade(u8::try_from((age.min(90) / 10) * 10).unwrap_or(90)),
    }
}

/// A policy's status in the data room: in force, or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatusBand {
    /// In force on the day.
    InForce,
    /// Not yet started.
    NotStarted,
    /// Expired at its term end.
    Expired,
    /// Ended early (lapse, surrender, cancellation).
    Terminated,
}

fn status_band(status: PolicyStatus) -> StatusBand {
    match status {
        PolicyStatus::Active => StatusBand::InForce,
        PolicyStatus::NotStarted => StatusBand::NotStarted,
        PolicyStatus::Expired => StatusBand::Expired,
        _ => StatusBand::Terminated,
    }
}

/// A count, or a note that it was below `k` and is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cell {
    /// At least `k`.
    Count(u64),
    /// Below `k`, suppressed.
    BelowK,
}

/// One row of a count table: the key and its cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tally<K> {
    /// What is counted.
    pub key: K,
    /// How many, or below k.
    pub cell: Cell,
}

fn cells<K: Ord + Clone>(counts: &BTreeMap<K, u64>, k: u32) -> Vec<Tally<K>> {
    counts
        .iter()
        .map(|(key, n)| {
            let cell = if *n >= u64::from(k) {
                Cell::Count(*n)
            } else {
                Cell::BelowK
            };
            Tally {
                key: key.clone(),
                cell,
            }
        })
        .collect()
}

/// One de-identified sample row: only generalized attributes and what the book holds. Every attribute is
/// treated as a quasi-identifier: a k-anonymity group is rows equal in all of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SampleRow {
    /// The age band.
    pub age_band: AgeBand,
    /// The province (the first two digits of the address's administrative division code), if known.
    pub province: Option<u8>,
    /// The line of the customer's first policy.
    pub line: Option<ProductLine>,
    /// Its status.
    pub status: Option<StatusBand>,
    /// The categories held, in [`DataCategory::ALL`] order.
    pub categories: Vec<DataCategory>,
}

impl SampleRow {
    fn class(&self) -> &SampleRow {
        self
    }
}

fn province(customer: &Customer) -> Option<u8> {
    customer
        .contact()
        .address
        .as_ref()
        .filter(|a| a.country().is_mainland_china())
        .and_then(|a| a.region_code())
        .and_then(|code| code.get(..2))
        .and_then(|two| two.parse().ok())
}

/// The data room, built customer by customer in bounded memory (counts, and the sampled rows).
#[derive(Clone, Debug)]
pub struct DataRoomBuilder {
    settings: DataRoomSettings,
    seen: u64,
    by_category: BTreeMap<DataCategory, u64>,
    by_line: BTreeMap<ProductLine, u64>,
    by_province: BTreeMap<Option<u8>, u64>,
    by_age_band: BTreeMap<AgeBand, u64>,
    by_policy_status: BTreeMap<StatusBand, u64>,
    sample: Vec<SampleRow>,
}

impl DataRoomBuilder {
    /// An empty data room; refused if `k` is below 2 or `sample_every` is 0.
    pub fn new(settings: DataRoomSettings) -> Result<Self, TransferError> {
        if settings.k < 2 {
            return Err(TransferError::invalid(
                "data_room.k",
                "at least 2: a group of one is a person",
            ));
        }
        if settings.sample_every == 0 {
            return Err(TransferError::invalid("data_room.sample_every", "at least 1"));
        }
        Ok(Self {
            settings,
            seen: 0,
            by_category: BTreeMap::new(),
            by_line: BTreeMap::new(),
            by_province: BTreeMap::new(),
            by_age_band: BTreeMap::new(),
            by_policy_status: BTreeMap::new(),
            sample: Vec::new(),
        })
    }

    /// Counts one customer and samples it if its turn has come.
    pub fn add(&mut self, customer: &Customer) {
        let on = self.settings.as_of;
        let categories: CategorySet = customer.categories_held().into_iter().collect();
        for c in categories {
            *self.by_category.entry(c).or_default() += 1;
        }
        for p in customer.policies() {
            *self.by_line.entry(p.line()).or_default() += 1;
            *self
                .by_policy_status
                .entry(status_band(p.status_at(on)))
                .or_default() += 1;
        }
        let band = age_band(customer, on);
        let province = province(customer);
        *self.by_province.entry(province).or_default() += 1;
        *self.by_age_band.entry(band).or_default() += 1;
        if self.seen.is_multiple_of(self.settings.sample_every) {
            let first = customer.policies().first();
            self.sample.push(SampleRow {
                age_band: band,
                province,
                line: first.map(|p| p.line()),
                status: first.map(|p| status_band(p.status_at(on))),
                categories: categories.iter().collect(),
            });
        }
        self.seen += 1;
    }

    /// The export: small cells suppressed, sample rows in groups of fewer than `k` removed, the rest sorted
    /// (so the order reveals nothing of the book's).
    pub fn finish(self) -> DataRoomExport {
        let k = self.settings.k;
        let mut classes: HashMap<SampleRow, u64> = HashMap::new();
        for row in &self.sample {
            *classes.entry(row.class().clone()).or_default() += 1;
        }
        let (mut kept, dropped): (Vec<SampleRow>, Vec<SampleRow>) = self
            .sample
            .into_iter()
            .partition(|r| classes.get(r.class()).copied().unwrap_or(0) >= u64::from(k));
        kept.sort();
        DataRoomExport {
            as_of: self.settings.as_of,
            k,
            customers: self.seen,
            by_category: cells(&self.by_category, k),
            by_line: cells(&self.by_line, k),
            by_province: cells(&self.by_province, k),
            by_age_band: cells(&self.by_age_band, k),
            by_policy_status: cells(&self.by_policy_status, k),
            sample: kept,
            suppressed_sample_rows: dropped.len() as u64,
        }
    }
}

/// What the buyer sees: no personal information (PIPL Arts 4, 73(4)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DataRoomExport {
    /// The day it describes.
    pub as_of: NaiveDate,
    /// The smallest group shown.
    pub k: u32,
    /// Customers counted.
    pub customers: u64,
    /// Customers holding each category.
    pub by_category: Vec<Tally<DataCategory>>,
    /// Policies by line of business.
    pub by_line: Vec<Tally<ProductLine>>,
    /// Customers by province (`None`: abroad or unknown).
    pub by_province: Vec<Tally<Option<u8>>>,
    /// Customers by age band.
    pub by_age_band: Vec<Tally<AgeBand>>,
    /// Policies by status.
    pub by_policy_status: Vec<Tally<StatusBand>>,
    /// The de-identified sample, every group of at least `k` rows.
    pub sample: Vec<SampleRow>,
    /// Sample rows removed because their group was smaller than `k`.
    pub suppressed_sample_rows: u64,
}

/// What the ledger records of a data-room export: its digest and counts, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DataRoomRecord {
    /// [`DATA_ROOM_PAYLOAD`].
    pub format: String,
    /// SHA-256 of the export's JSON, hex.
    pub digest: String,
    /// The day it describes.
    pub as_of: NaiveDate,
    /// Its k.
    pub k: u32,
    /// Customers counted.
    pub customers: u64,
    /// Sample rows shown.
    pub sample_rows: u64,
    /// Sample rows suppressed.
    pub suppressed_sample_rows: u64,
}

impl DataRoomExport {
    /// Whether the export passes the k-anonymity check: every sample group and every shown count has at
    /// least `k`. [`DataRoomBuilder::finish`] only makes exports that pass; this re-checks one read back.
    pub fn check_k_anonymity(&self) -> Result<(), TransferError> {
        let k = u64::from(self.k);
        let mut classes: HashMap<_, u64> = HashMap::new();
        for row in &self.sample {
            *classes.entry(row.class()).or_default() += 1;
        }
        if classes.values().any(|n| *n < k) {
            return Err(TransferError::invalid(
                "data_room.sample",
                "a group smaller than k",
            ));
        }
        let small = |c: Cell| matches!(c, Cell::Count(n) if n < k);
        if self.by_category.iter().any(|t| small(t.cell))
            || self.by_line.iter().any(|t| small(t.cell))
            || self.by_province.iter().any(|t| small(t.cell))
            || self.by_age_band.iter().any(|t| small(t.cell))
            || self.by_policy_status.iter().any(|t| small(t.cell))
        {
            return Err(TransferError::invalid(
                "data_room.counts",
                "a count smaller than k shown",
            ));
        }
        Ok(())
    }

    /// The export as JSON, what the buyer receives.
    pub fn to_json(&self) -> Result<String, TransferError> {
        serde_json::to_string_pretty(self).map_err(|e| TransferError::Report {
            message: e.to_string(),
        })
    }

    /// The ledger record: the export's digest and counts.
    pub fn record(&self) -> Result<DataRoomRecord, TransferError> {
        let json = serde_json::to_vec(self).map_err(|e| TransferError::Report {
            message: e.to_string(),
        })?;
        Ok(DataRoomRecord {
            format: DATA_ROOM_PAYLOAD.to_owned(),
            digest: hex(&sha256(&json)),
            as_of: self.as_of,
            k: self.k,
            customers: self.customers,
            sample_rows: self.sample.len() as u64,
            suppressed_sample_rows: self.suppressed_sample_rows,
        })
    }

    /// The ledger payload: the record as JSON (pseudonymous: a digest and counts).
    pub fn ledger_payload(&self) -> Result<Vec<u8>, TransferError> {
        serde_json::to_vec(&self.record()?).map_err(|e| TransferError::Report {
            message: e.to_string(),
        })
    }

    /// Appends the ledger payload to `log`, so that what was shown is on the record; returns its index.
    pub fn append_to<S: LogStore>(&self, log: &mut Log<S>) -> Result<u64, TransferError> {
        Ok(log.append(&[&self.ledger_payload()?])?.first_index())
    }
}
