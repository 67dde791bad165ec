//! Legal holds: placed and released with a reason, a scope and who did it; a hold always wins over destruction.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use custodia_model::{ActorId, CustomerId};
use serde::{Deserialize, Serialize};

use crate::error::RetentionError;
use crate::facts::Holding;

/// A hold's number in its register, assigned in order; deterministic, so registers compare and replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HoldId(u64);

impl HoldId {
    /// The number.
    pub fn value(self) -> u64 {
        self.0
    }
}

/// Which customers a hold covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HeldCustomers {
    /// Every customer (for example a regulator's investigation of the whole book).
    All,
    /// Only these customers (for example the parties to a lawsuit). A set, so that checking one customer
    /// costs O(log n) however many the hold names, and a sweep's cost per customer stays flat.
    Only(BTreeSet<CustomerId>),
}

/// What a hold covers: which customers and which holdings (empty: all holdings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldScope {
    customers: HeldCustomers,
    holdings: Vec<Holding>,
}

impl HoldScope {
    /// A scope over `customers` and `holdings` (empty: every holding).
    pub fn new(customers: HeldCustomers, holdings: Vec<Holding>) -> Self {
        Self { customers, holdings }
    }

    /// The customers.
    pub fn customers(&self) -> &HeldCustomers {
        &self.customers
    }

    /// The holdings; empty means all.
    pub fn holdings(&self) -> &[Holding] {
        &self.holdings
    }

    /// Whether the scope covers this customer's holding.
    pub fn covers(&self, customer: CustomerId, holding: Holding) -> bool {
        let customer_ok = match &self.customers {
            HeldCustomers::All => true,
            HeldCustomers::Only(list) => list.contains(&customer),
        };
        customer_ok && (self.holdings.is_empty() || self.holdings.contains(&holding))
    }
}

/// Who released a hold, when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Release {
    by: ActorId,
    on: NaiveDate,
    reason: String,
}

impl Release {
    /// Who released it.
    pub fn by(&self) -> &ActorId {
        &self.by
    }

    /// From which day it no longer applies.
    pub fn on(&self) -> NaiveDate {
        self.on
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A legal hold (litigation, regulator's inquiry, AML investigation): data it covers is never destroyed
/// while it is active, whatever the rules say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LegalHold {
    id: HoldId,
    reason: String,
    scope: HoldScope,
    placed_by: ActorId,
    placed_on: NaiveDate,
    release: Option<Release>,
}

impl LegalHold {
    /// The id.
    pub fn id(&self) -> HoldId {
        self.id
    }

    /// Why it was placed.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// What it covers.
    pub fn scope(&self) -> &HoldScope {
        &self.scope
    }

    /// Who placed it.
    pub fn placed_by(&self) -> &ActorId {
        &self.placed_by
    }

    /// The first day it applies.
    pub fn placed_on(&self) -> NaiveDate {
        self.placed_on
    }

    /// Its release, if released.
    pub fn release(&self) -> Option<&Release> {
        self.release.as_ref()
    }

    /// Whether it applies on `on`: from the day placed, up to the day before its release.
    pub fn is_active_on(&self, on: NaiveDate) -> bool {
        self.placed_on <= on && self.release.as_ref().is_none_or(|r| on < r.on)
    }
}

/// A request to place a hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceHold {
    /// Why (required: a hold without a reason cannot be reviewed).
    pub reason: String,
    /// What it covers.
    pub scope: HoldScope,
    /// Who places it.
    pub by: ActorId,
    /// The first day it applies.
    pub on: NaiveDate,
}

/// The register of legal holds, placed and released over time. Released holds stay, for the audit trail.
/// A register read back from JSON is checked like one built by calls: ids numbered 1, 2, … in order,
/// reasons present, no release before its placement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<LegalHold>", into = "Vec<LegalHold>")]
pub struct Holds {
    holds: Vec<LegalHold>,
}

impl TryFrom<Vec<LegalHold>> for Holds {
    type Error = RetentionError;

    fn try_from(holds: Vec<LegalHold>) -> Result<Self, Self::Error> {
        for (i, h) in holds.iter().enumerate() {
            if h.id.0 != i as u64 + 1 {
                return Err(RetentionError::UnknownHold { hold: h.id.0 });
            }
            if h.reason.trim().is_empty() {
                return Err(RetentionError::EmptyText { field: "hold reason" });
            }
            if let Some(r) = &h.release {
                if r.reason.trim().is_empty() {
                    return Err(RetentionError::EmptyText {
                        field: "release reason",
                    });
                }
                if r.on < h.placed_on {
                    return Err(RetentionError::ReleaseBeforePlacement {
                        hold: h.id.0,
                        placed: h.placed_on,
                        released: r.on,
                    });
                }
            }
        }
        Ok(Self { holds })
    }
}

impl From<Holds> for Vec<LegalHold> {
    fn from(value: Holds) -> Self {
        value.holds
    }
}

impl Holds {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Places a hold and returns its id. The reason must not be empty.
    pub fn place(&mut self, request: PlaceHold) -> Result<HoldId, RetentionError> {
        if request.reason.trim().is_empty() {
            return Err(RetentionError::EmptyText { field: "hold reason" });
        }
        let id = HoldId(self.holds.len() as u64 + 1);
        self.holds.push(LegalHold {
            id,
            reason: request.reason,
            scope: request.scope,
            placed_by: request.by,
            placed_on: request.on,
            release: None,
        });
        Ok(id)
    }

    /// Releases a hold from `on` onward. Refused if unknown, already released, dated before placement, or
    /// without a reason.
    pub fn release(
        &mut self,
        id: HoldId,
        by: ActorId,
        on: NaiveDate,
        reason: &str,
    ) -> Result<(), RetentionError> {
        if reason.trim().is_empty() {
            return Err(RetentionError::EmptyText {
                field: "release reason",
            });
        }
        let hold = self
            .holds
            .iter_mut()
            .find(|h| h.id == id)
            .ok_or(RetentionError::UnknownHold { hold: id.0 })?;
        if hold.release.is_some() {
            return Err(RetentionError::HoldAlreadyReleased { hold: id.0 });
        }
        if on < hold.placed_on {
            return Err(RetentionError::ReleaseBeforePlacement {
                hold: id.0,
                placed: hold.placed_on,
                released: on,
            });
        }
        hold.release = Some(Release {
            by,
            on,
            reason: reason.to_owned(),
        });
        Ok(())
    }

    /// Every hold, placed or released.
    pub fn all(&self) -> &[LegalHold] {
        &self.holds
    }

    /// The hold with `id`.
    pub fn hold(&self, id: HoldId) -> Option<&LegalHold> {
        self.holds.iter().find(|h| h.id == id)
    }

    /// The holds active on `on` that cover this customer's holding.
    pub fn covering(
        &self,
        customer: CustomerId,
        holding: Holding,
        on: NaiveDate,
    ) -> impl Iterator<Item = &LegalHold> {
        self.holds
            .iter()
            .filter(move |h| h.is_active_on(on) && h.scope.covers(customer, holding))
    }
}

#[cfg(test)]
mod tests {
    use custodia_model::DataCategory;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_hold_is_active_from_placement_until_the_day_before_release() {
        let c = CustomerId::new_v7();
        let other = CustomerId::new_v7();
        let mut holds = Holds::new();
        let id = holds
            .place(PlaceHold {
                reason: "lawsuit 2024-001".into(),
                scope: HoldScope::new(
                    HeldCustomers::Only(BTreeSet::from([c])),
                    vec![Holding::Category(DataCategory::Claims)],
                ),
                by: ActorId::new("legal-7").unwrap(),
                on: d(2024, 5, 1),
            })
            .unwrap();
        let claims = Holding::Category(DataCategory::Claims);
        assert_eq!(holds.covering(c, claims, d(2024, 4, 30)).count(), 0);
        assert_eq!(holds.covering(c, claims, d(2024, 5, 1)).count(), 1);
        assert_eq!(holds.covering(other, claims, d(2024, 5, 1)).count(), 0);
        assert_eq!(
            holds
                .covering(c, Holding::Category(DataCategory::Contact), d(2024, 5, 1))
                .count(),
            0
        );
        let err = holds
            .release(id, ActorId::new("legal-7").unwrap(), d(2024, 4, 1), "settled")
            .unwrap_err();
        assert!(matches!(
            err,
            RetentionError::ReleaseBeforePlacement { hold: 1, .. }
        ));
        holds
            .release(id, ActorId::new("legal-8").unwrap(), d(2025, 1, 1), "settled")
            .unwrap();
        assert_eq!(holds.covering(c, claims, d(2024, 12, 31)).count(), 1);
        assert_eq!(holds.covering(c, claims, d(2025, 1, 1)).count(), 0);
        assert_eq!(
            holds.release(id, ActorId::new("legal-8").unwrap(), d(2025, 1, 2), "again"),
            Err(RetentionError::HoldAlreadyReleased { hold: 1 })
        );
        assert_eq!(holds.hold(id).unwrap().release().unwrap().reason(), "settled");

        let json = serde_json::to_string(&holds).unwrap();
        assert_eq!(serde_json::from_str::<Holds>(&json).unwrap(), holds);
        let forged = json.replace("2025-01-01", "2020-01-01");
        assert!(
            serde_json::from_str::<Holds>(&forged).is_err(),
            "release before placement"
        );
    }

    #[test]
    fn reasons_are_required_and_unknown_holds_refused() {
        let mut holds = Holds::new();
        let err = holds
            .place(PlaceHold {
                reason: " ".into(),
                scope: HoldScope::new(HeldCustomers::All, vec![]),
                by: ActorId::new("x").unwrap(),
                on: d(2024, 1, 1),
            })
            .unwrap_err();
        assert_eq!(err, RetentionError::EmptyText { field: "hold reason" });
        assert_eq!(
            holds.release(HoldId(9), ActorId::new("x").unwrap(), d(2024, 1, 1), "r"),
            Err(RetentionError::UnknownHold { hold: 9 })
        );
    }
}
