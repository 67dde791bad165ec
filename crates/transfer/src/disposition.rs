//! The seller's disposition after the receipt: per customer and category, destroy what it may no longer hold and
//! restrict to storage what it must keep, through the retention crate's approved destruction.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use custodia_model::{ActorId, CustomerId, DataCategory};
use custodia_retention::{
    DestructionMethod, DestructionPlan, FactsBuilder, Holding, Holds, PlanId, PlanItem, Profile,
    RetentionFacts, RetentionOutcome as Outcome, ShredRequest, Shredded, Shredder,
};
use serde::{Deserialize, Serialize};

use crate::error::TransferError;
use crate::import::MemorySections;

/// Counts of a disposition by outcome and holding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispositionCounts {
    /// Customers decided.
    pub customers: u64,
    /// Customers all of whose holdings are destroyed (crypto-shredded whole).
    pub whole_customers: u64,
    /// Holdings to destroy, by holding code.
    pub destroy: BTreeMap<String, u64>,
    /// Holdings restricted to storage (PIPL Art 47 last paragraph; NDSR Art 24), by holding code.
    pub storage_only: BTreeMap<String, u64>,
    /// Holdings the seller may still use (no duty to delete has arisen), by holding code.
    pub retain: BTreeMap<String, u64>,
}

impl DispositionCounts {
    /// Total holdings with an outcome.
    pub fn total(map: &BTreeMap<String, u64>) -> u64 {
        map.values().sum()
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
    whole: Vec<PlanItem>,
    partial: Vec<PlanItem>,
    counts: DispositionCounts,
}

/// The destruction plans a disposition proposes: whole customers (crypto-shredding their keys) and single
/// categories of customers the seller must partly keep (section deletion). Each needs two approvers.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            whole: Vec::new(),
            partial: Vec::new(),
            counts: DispositionCounts::default(),
        }
    }

    /// Decides one customer. `transferred_on` is the day the buyer's receipt covered the customer's data
    /// (`None` if it did not move): the profile's transfer duty then runs from that day.
    pub fn add(
        &mut self,
        facts: RetentionFacts,
        transferred_on: Option<NaiveDate>,
    ) -> Result<Vec<(Holding, Outcome)>, TransferError> {
        let customer = facts.customer();
        let facts = match transferred_on {
            Some(day) => FactsBuilder::from(facts).transfer_completed(day).build()?,
            None => facts,
        };
        let decisions = self.profile.decide(&facts, self.holds, self.on)?;
        self.counts.customers += 1;
        for d in &decisions {
            let key = d.holding().to_string();
            let map = match d.outcome() {
                Outcome::Destroy { .. } => &mut self.counts.destroy,
                Outcome::StorageOnly { .. } => &mut self.counts.storage_only,
                _ => &mut self.counts.retain,
            };
            *map.entry(key).or_default() += 1;
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

    /// Proposes the destruction plans (by `proposed_by`, with fresh ids), ready for two approvals each.
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

/// Deletes single categories of a customer from a section store: the seam a store implements so that a
/// customer the seller must partly keep loses exactly the categories due (PIPL Art 47).
pub trait CategoryEraser {
    /// Deletes every stored version of `categories` of `customer`. Returns `false` if none was stored any
    /// more (a re-run), `true` if something was deleted.
    fn erase_categories(
        &mut self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<bool, TransferError>;
}

impl CategoryEraser for MemorySections {
    fn erase_categories(
        &mut self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<bool, TransferError> {
        let mut any = false;
        for c in categories {
            any |= self.remove(customer, *c);
        }
        Ok(any)
    }
}

/// A retention [`Shredder`] that deletes single categories through a [`CategoryEraser`]. Record holdings
/// (not sections) are refused: they live elsewhere.
#[derive(Debug)]
pub struct SectionShredder<'a, E: CategoryEraser + ?Sized> {
    eraser: &'a mut E,
}

impl<'a, E: CategoryEraser + ?Sized> SectionShredder<'a, E> {
    /// Shreds through `eraser`.
    pub fn new(eraser: &'a mut E) -> Self {
        Self { eraser }
    }
}

impl<E: CategoryEraser + ?Sized> Shredder for SectionShredder<'_, E> {
    type Error = TransferError;

    fn method(&self) -> DestructionMethod {
        DestructionMethod::SectionDeletion
    }

    fn shred(&mut self, request: &ShredRequest<'_>) -> Result<Shredded, Self::Error> {
        let mut categories = Vec::with_capacity(request.holdings.len());
        for h in request.holdings {
            match h {
                Holding::Category(c) => categories.push(*c),
                Holding::Record(r) => {
                    return Err(TransferError::invalid(
                        "disposition.holding",
                        format!("record {} is not a section", r.code()),
                    ));
                }
            }
        }
        Ok(if self.eraser.erase_categories(request.customer, &categories)? {
            Shredded::Destroyed
        } else {
            Shredded::AlreadyDestroyed
        })
    }
}
