//! The seller's disposition after the receipt: per customer and category, destroy what it may no longer hold and
//! restrict to storage what it must keep, through the retention crate's approved destruction.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use custodia_model::{ActorId, CategorySet, DataCategory};
use custodia_retention::{
    DestructionPlan, FactsBuilder, Holding, Holds, PlanId, PlanItem, Profile, RecordKind, RetentionFacts,
    RetentionOutcome as Outcome,
};
use serde::{Deserialize, Serialize};

use crate::agreement::RecordKeeper;
use crate::error::TransferError;

/// What a disposition does with one holding, the key of [`DispositionCounts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DispositionOutcome {
    /// Destroyed: the seller may no longer hold it (PIPL Art 47(1)(2) after the transfer).
    Destroy,
    /// Restricted to storage: a floor still runs (PIPL Art 47 last paragraph; Broker Rule 2018 Art 51,
    /// AML Law 2024 Art 34).
    StorageOnly,
    /// Still in use: no duty to delete has arisen.
    Retain,
    /// Handed to the body the State Council designates, neither destroyed nor given to the buyer (AML Law
    /// 2024 Art 34, on the seller's dissolution).
    HandOver,
}

/// Counts of a disposition by outcome and holding: typed keys, so a caller asks
/// `counts.count(DispositionOutcome::Destroy, Holding::Category(DataCategory::Health))` or
/// `counts.destroyed()` instead of filtering strings. In JSON each map is keyed by the holding's code
/// (`"health"`, `"record:impact_assessment"`), as before.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DispositionCounts {
    /// Customers decided.
    pub customers: u64,
    /// Customers all of whose holdings are destroyed (crypto-shredded whole).
    pub whole_customers: u64,
    /// Holdings to destroy, by holding.
    #[serde(with = "by_holding")]
    pub destroy: BTreeMap<Holding, u64>,
    /// Holdings restricted to storage (PIPL Art 47 last paragraph; NDSR Art 24), by holding.
    #[serde(with = "by_holding")]
    pub storage_only: BTreeMap<Holding, u64>,
    /// Holdings the seller may still use (no duty to delete has arisen), by holding.
    #[serde(with = "by_holding")]
    pub retain: BTreeMap<Holding, u64>,
    /// Holdings to hand to the designated body (AML Law 2024 Art 34), by holding.
    #[serde(with = "by_holding", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hand_over: BTreeMap<Holding, u64>,
}

impl DispositionCounts {
    /// The holdings with `outcome`, by holding.
    pub fn by_outcome(&self, outcome: DispositionOutcome) -> &BTreeMap<Holding, u64> {
        match outcome {
            DispositionOutcome::Destroy => &self.destroy,
            DispositionOutcome::StorageOnly => &self.storage_only,
            DispositionOutcome::Retain => &self.retain,
            DispositionOutcome::HandOver => &self.hand_over,
        }
    }

    /// How many of `holding` have `outcome`.
    pub fn count(&self, outcome: DispositionOutcome, holding: Holding) -> u64 {
        self.by_outcome(outcome).get(&holding).copied().unwrap_or(0)
    }

    /// Holdings with `outcome`, over every holding.
    pub fn total(&self, outcome: DispositionOutcome) -> u64 {
        self.by_outcome(outcome).values().sum()
    }

    /// Holdings to destroy, in all.
    pub fn destroyed(&self) -> u64 {
        self.total(DispositionOutcome::Destroy)
    }

    /// Holdings restricted to storage, in all.
    pub fn restricted(&self) -> u64 {
        self.total(DispositionOutcome::StorageOnly)
    }

    /// Holdings still in use, in all.
    pub fn retained(&self) -> u64 {
        self.total(DispositionOutcome::Retain)
    }

    /// Every holding that has any outcome, in order.
    pub fn holdings(&self) -> Vec<Holding> {
        let mut out: Vec<Holding> = self
            .destroy
            .keys()
            .chain(self.storage_only.keys())
            .chain(self.retain.keys())
            .chain(self.hand_over.keys())
            .copied()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn add(&mut self, outcome: DispositionOutcome, holding: Holding) {
        let map = match outcome {
            DispositionOutcome::Destroy => &mut self.destroy,
            DispositionOutcome::StorageOnly => &mut self.storage_only,
            DispositionOutcome::Retain => &mut self.retain,
            DispositionOutcome::HandOver => &mut self.hand_over,
        };
        *map.entry(holding).or_default() += 1;
    }
}

/// Serializes a count map keyed by [`Holding`] as a JSON object keyed by the holding's code (its
/// `Display`: a category code, or `record:` and a record code), which JSON object keys require.
mod by_holding {
    use std::collections::BTreeMap;

    use custodia_retention::Holding;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(map: &BTreeMap<Holding, u64>, s: S) -> Result<S::Ok, S::Error> {
        let by_code: BTreeMap<String, u64> = map.iter().map(|(h, n)| (h.to_string(), *n)).collect();
        by_code.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Holding, u64>, D::Error> {
        let by_code = BTreeMap::<String, u64>::deserialize(d)?;
        by_code
            .into_iter()
            .map(|(code, n)| {
                super::holding_from_code(&code)
                    .map(|h| (h, n))
                    .ok_or_else(|| D::Error::custom(format!("unknown holding {code:?}")))
            })
            .collect()
    }
}

/// The holding a code names: the inverse of `Holding`'s `Display`.
fn holding_from_code(code: &str) -> Option<Holding> {
    match code.strip_prefix("record:") {
        Some(record) => RecordKind::from_code(record).map(Holding::Record),
        None => code.parse::<DataCategory>().ok().map(Holding::Category),
    }
}

/// Decides the seller's disposition customer by customer. A moved customer's facts gain
/// `transfer_completed` on the day of the receipt, so the profile's PIPL Art 47(1)(2) duty applies, and its
/// floors (Broker Rule 2018 Art 51, AML Law 2024 Art 34) turn it into storage only where they still run.
#[derive(Debug)]
pub struct DispositionPlanner<'a> {
    profile: &'a Profile,
    holds: &'a Holds,
    on: NaiveDate,
    keeper: RecordKeeper,
    whole: Vec<PlanItem>,
    partial: Vec<PlanItem>,
    counts: DispositionCounts,
}

/// The destruction plans a disposition proposes: whole customers (crypto-shredding their keys, through
/// `custodia_retention::KeyStoreShredder`) and single categories of customers the seller must partly keep
/// (section deletion, through `custodia_retention::SectionShredder` over the seller's vault). Each needs
/// two approvers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Disposition {
    /// Whole customers, to crypto-shred through a key store.
    pub crypto_shred: Option<DestructionPlan>,
    /// Single categories, to delete from the section store.
    pub section_deletion: Option<DestructionPlan>,
    /// The counts.
    pub counts: DispositionCounts,
}

impl<'a> DispositionPlanner<'a> {
    /// A planner deciding on `on` with `profile` and `holds`.
    pub fn new(profile: &'a Profile, holds: &'a Holds, on: NaiveDate) -> Self {
        Self {
            profile,
            holds,
            on,
            keeper: RecordKeeper::Seller,
            whole: Vec::new(),
            partial: Vec::new(),
            counts: DispositionCounts::default(),
        }
    }

    /// The same planner, with the agreement's answer to who keeps the records the law says must be kept
    /// (default: the seller). With the buyer keeping them, the seller's copy of what moved is no longer held
    /// by its floors ([`DispositionPlanner::add_moved`]).
    pub fn with_record_keeper(mut self, keeper: RecordKeeper) -> Self {
        self.keeper = keeper;
        self
    }

    /// Decides one customer. `transferred_on` is the day the buyer's receipt covered the customer's data
    /// (`None` if it did not move): the profile's transfer duty then runs from that day. Records stay the
    /// seller's to keep; see [`DispositionPlanner::add_moved`] for a buyer that keeps them.
    pub fn add(
        &mut self,
        facts: RetentionFacts,
        transferred_on: Option<NaiveDate>,
    ) -> Result<Vec<(Holding, Outcome)>, TransferError> {
        match transferred_on {
            Some(day) => self.add_moved(facts, day, CategorySet::EMPTY),
            None => self.decide(facts),
        }
    }

    /// Decides one customer whose `moved` categories the buyer's receipt covered on `on`: the profile's
    /// transfer duty runs from that day, and where the agreement has the buyer keep the records (PIPL Art
    /// 22), the floors of the moved categories no longer hold the seller's copy.
    pub fn add_moved(
        &mut self,
        facts: RetentionFacts,
        on: NaiveDate,
        moved: CategorySet,
    ) -> Result<Vec<(Holding, Outcome)>, TransferError> {
        let mut b = FactsBuilder::from(facts).transfer_completed(on);
        if self.keeper == RecordKeeper::Buyer {
            b = b.record_duties_passed_to_recipient(moved);
        }
        self.decide(b.build()?)
    }

    fn decide(&mut self, facts: RetentionFacts) -> Result<Vec<(Holding, Outcome)>, TransferError> {
        let customer = facts.customer();
        let decisions = self.profile.decide(&facts, self.holds, self.on)?;
        self.counts.customers += 1;
        for d in &decisions {
            let outcome = match d.outcome() {
                Outcome::Destroy { .. } => DispositionOutcome::Destroy,
                Outcome::StorageOnly { .. } => DispositionOutcome::StorageOnly,
                Outcome::HandOver { .. } => DispositionOutcome::HandOver,
                _ => DispositionOutcome::Retain,
            };
            self.counts.add(outcome, d.holding());
        }
        if let Some(item) = PlanItem::from_decisions(customer, &decisions) {
            if item.whole_customer() {
                self.counts.whole_customers += 1;
                self.whole.push(item);
            } else {
                self.partial.push(item);
            }
        }
        Ok(decisions.iter().map(|d| (d.holding(), d.outcome())).collect())
    }

    /// The counts so far.
    pub fn counts(&self) -> &DispositionCounts {
        &self.counts
    }

    /// Proposes the destruction plans (by `proposed_by`, with fresh ids), ready for two signed approvals each.
    pub fn finish(self, proposed_by: &ActorId) -> Result<Disposition, TransferError> {
        let plan = |items: Vec<PlanItem>| -> Result<Option<DestructionPlan>, TransferError> {
            if items.is_empty() {
                return Ok(None);
            }
            Ok(Some(DestructionPlan::new(
                PlanId::from_uuid(uuid::Uuid::now_v7())?,
                proposed_by.clone(),
                self.on,
                items,
            )?))
        };
        Ok(Disposition {
            crypto_shred: plan(self.whole)?,
            section_deletion: plan(self.partial)?,
            counts: self.counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_keyed_by_holding_and_serialize_by_code() {
        let mut counts = DispositionCounts::default();
        let health = Holding::Category(DataCategory::Health);
        let record = Holding::Record(RecordKind::ImpactAssessment);
        counts.add(DispositionOutcome::Destroy, health);
        counts.add(DispositionOutcome::Destroy, health);
        counts.add(DispositionOutcome::StorageOnly, record);
        counts.add(
            DispositionOutcome::Retain,
            Holding::Category(DataCategory::Identity),
        );
        assert_eq!(counts.count(DispositionOutcome::Destroy, health), 2);
        assert_eq!(
            (counts.destroyed(), counts.restricted(), counts.retained()),
            (2, 1, 1)
        );
        assert_eq!(counts.holdings().len(), 3);
        let json = serde_json::to_value(&counts).unwrap();
        assert_eq!(json["destroy"]["health"], 2);
        assert_eq!(json["storage_only"]["record:impact_assessment"], 1);
        let back: DispositionCounts = serde_json::from_value(json).unwrap();
        assert_eq!(back, counts);
        let unknown = serde_json::json!({
            "customers": 0, "whole_customers": 0, "destroy": {"nonsense": 1}, "storage_only": {}, "retain": {}
        });
        assert!(serde_json::from_value::<DispositionCounts>(unknown).is_err());
    }
}
