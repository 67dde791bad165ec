//! Record versions: every update of a customer record yields a new version saying when, who and what changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::ActorId;
use crate::error::ModelError;
use crate::ids::CustomerId;

/// One version of a customer record: its number (1 for the creation), when and by whom it was made, and the
/// field paths that changed (for version 1, every field the record held). PIPL Art 46 (correction) and the
/// accuracy duty of PIPL Art 8 need this trail; the crypto layer binds the number into each section's AAD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(deny_unknown_fields)]
pub struct RecordVersion {
    number: u32,
    at: DateTime<Utc>,
    by: ActorId,
    changed_fields: Vec<String>,
}

impl RecordVersion {
    pub(crate) fn new(number: u32, at: DateTime<Utc>, by: ActorId, changed_fields: Vec<String>) -> Self {
        Self {
            number,
            at,
            by,
            changed_fields,
        }
    }

    /// The version number, starting at 1.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// When the version was made.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Who made it.
    pub fn by(&self) -> &ActorId {
        &self.by
    }

    /// The field paths that changed (`contact.mobile`, `policies`, ...).
    pub fn changed_fields(&self) -> &[String] {
        &self.changed_fields
    }
}

/// The versions of one customer record in order, each the direct successor of the one before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "VersionHistoryFields", into = "VersionHistoryFields")]
pub struct VersionHistory {
    customer: CustomerId,
    // Kept apart from the later versions so that "a history is never empty" holds by construction.
    first: RecordVersion,
    later: Vec<RecordVersion>,
}

/// The serialized form of a [`VersionHistory`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionHistoryFields {
    /// The customer.
    pub customer: CustomerId,
    /// Every version, oldest first.
    pub versions: Vec<RecordVersion>,
}

impl VersionHistory {
    /// A history that starts with `first`, which must be version 1.
    pub fn new(customer: CustomerId, first: RecordVersion) -> Result<Self, ModelError> {
        if first.number != 1 {
            return Err(ModelError::VersionConflict {
                field: "version.number",
                current: 0,
            });
        }
        Ok(Self {
            customer,
            first,
            later: Vec::new(),
        })
    }

    /// Appends the next version: number one higher than the last, made no earlier.
    pub fn push(&mut self, customer: CustomerId, next: RecordVersion) -> Result<(), ModelError> {
        let current = self.latest();
        if customer != self.customer
            || next.number != current.number.saturating_add(1)
            || next.at < current.at
        {
            return Err(ModelError::VersionConflict {
                field: "version.number",
                current: current.number,
            });
        }
        self.later.push(next);
        Ok(())
    }

    /// The customer the history is about.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> impl Iterator<Item = &RecordVersion> {
        std::iter::once(&self.first).chain(self.later.iter())
    }

    /// How many versions there are (at least one).
    pub fn len(&self) -> usize {
        1 + self.later.len()
    }

    /// Always false: a history holds at least the creation. Present because `len` is.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The newest version.
    pub fn latest(&self) -> &RecordVersion {
        self.later.last().unwrap_or(&self.first)
    }
}

impl TryFrom<VersionHistoryFields> for VersionHistory {
    type Error = ModelError;

    fn try_from(value: VersionHistoryFields) -> Result<Self, Self::Error> {
        let mut versions = value.versions.into_iter();
        let first = versions.next().ok_or(ModelError::Empty {
            field: "version.versions",
        })?;
        let mut history = Self::new(value.customer, first)?;
        for next in versions {
            history.push(value.customer, next)?;
        }
        Ok(history)
    }
}

impl From<VersionHistory> for VersionHistoryFields {
    fn from(value: VersionHistory) -> Self {
        let mut versions = Vec::with_capacity(value.len());
        versions.push(value.first);
        versions.extend(value.later);
        Self {
            customer: value.customer,
            versions,
        }
    }
}
