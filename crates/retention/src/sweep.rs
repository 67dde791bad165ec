//! Sweeping a whole book: what is destroyable now, what becomes so and when, and the next review date.
//!
//! The sweep streams: it takes any iterator of facts and keeps only the summary, so a million customers
//! never need to be in memory at once, and each customer costs the same whatever the book's size (a
//! fixed number of rules per holding, one ordered-map update per scheduled date).

use std::borrow::Borrow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use custodia_model::CustomerId;
use serde::Serialize;

use crate::decision::{Decision, Outcome};
use crate::destruction::PlanItem;
use crate::error::RetentionError;
use crate::facts::RetentionFacts;
use crate::hold::Holds;
use crate::profile::Profile;

/// How a sweep reports progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepConfig {
    /// Call the progress callback after every this many customers (0: never).
    pub progress_every: u64,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            progress_every: 10_000,
        }
    }
}

/// Progress of a running sweep, handed to the caller's callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepProgress {
    /// Customers swept so far.
    pub customers: u64,
    /// Of which failed.
    pub failures: u64,
}

/// A customer whose facts could not be decided; reported, never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SweepFailure {
    customer: CustomerId,
    error: String,
}

impl SweepFailure {
    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// What went wrong.
    pub fn error(&self) -> &str {
        &self.error
    }
}

/// What a sweep found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    as_of: Option<NaiveDate>,
    customers: u64,
    holdings: u64,
    retain: u64,
    storage_only: u64,
    destroy: u64,
    held: u64,
    destroyable: Vec<PlanItem>,
    becoming_destroyable: BTreeMap<NaiveDate, u64>,
    next_review: Option<NaiveDate>,
    failures: Vec<SweepFailure>,
}

impl SweepSummary {
    /// The evaluation date.
    pub fn as_of(&self) -> Option<NaiveDate> {
        self.as_of
    }

    /// Customers swept, including failures.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Holdings decided.
    pub fn holdings(&self) -> u64 {
        self.holdings
    }

    /// Holdings to retain.
    pub fn retain(&self) -> u64 {
        self.retain
    }

    /// Holdings restricted to storage (PIPL Art 47, last paragraph), including held ones.
    pub fn storage_only(&self) -> u64 {
        self.storage_only
    }

    /// Holdings to destroy now.
    pub fn destroy(&self) -> u64 {
        self.destroy
    }

    /// Holdings under an active legal hold.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// What is destroyable now, per customer, ready for a [`crate::DestructionPlan`].
    pub fn destroyable(&self) -> &[PlanItem] {
        &self.destroyable
    }

    /// How many holdings become destroyable on each future date, on the current facts.
    pub fn becoming_destroyable(&self) -> &BTreeMap<NaiveDate, u64> {
        &self.becoming_destroyable
    }

    /// The earliest future day on which some decision changes: the next date to sweep again.
    pub fn next_review(&self) -> Option<NaiveDate> {
        self.next_review
    }

    /// Customers that could not be decided.
    pub fn failures(&self) -> &[SweepFailure] {
        &self.failures
    }
}

/// A sweep in progress: feed it customers one at a time with [`Sweep::record`], then [`Sweep::finish`].
#[derive(Debug)]
pub struct Sweep<'a> {
    profile: &'a Profile,
    holds: &'a Holds,
    as_of: NaiveDate,
    summary: SweepSummary,
}

impl<'a> Sweep<'a> {
    /// A sweep of `profile` and `holds` as of `as_of`.
    pub fn new(profile: &'a Profile, holds: &'a Holds, as_of: NaiveDate) -> Self {
        Self {
            profile,
            holds,
            as_of,
            summary: SweepSummary {
                as_of: Some(as_of),
                ..SweepSummary::default()
            },
        }
    }

    /// Decides one customer, adds the result to the summary and returns the decisions. A failure is
    /// recorded in the summary as well as returned.
    pub fn record(&mut self, facts: &RetentionFacts) -> Result<Vec<Decision>, RetentionError> {
        let s = &mut self.summary;
        s.customers += 1;
        let decisions = match self.profile.decide(facts, self.holds, self.as_of) {
            Ok(d) => d,
            Err(e) => {
                s.failures.push(SweepFailure {
                    customer: facts.customer(),
                    error: e.to_string(),
                });
                return Err(e);
            }
        };
        for d in &decisions {
            s.holdings += 1;
            if !d.holds().is_empty() {
                s.held += 1;
            }
            match d.outcome() {
                Outcome::Retain { .. } => s.retain += 1,
                Outcome::StorageOnly { .. } => s.storage_only += 1,
                Outcome::Destroy { .. } => s.destroy += 1,
            }
            if let Some(from) = d.destroyable_from().filter(|f| *f > self.as_of) {
                *s.becoming_destroyable.entry(from).or_insert(0) += 1;
            }
            for change in [d.next_change(), d.destroyable_from()].into_iter().flatten() {
                if change > self.as_of && s.next_review.is_none_or(|r| change < r) {
                    s.next_review = Some(change);
                }
            }
        }
        if let Some(item) = PlanItem::from_decisions(facts.customer(), &decisions) {
            s.destroyable.push(item);
        }
        Ok(decisions)
    }

    /// The summary so far.
    pub fn summary(&self) -> &SweepSummary {
        &self.summary
    }

    /// The final summary.
    pub fn finish(self) -> SweepSummary {
        self.summary
    }
}

/// Sweeps a whole book as of `as_of`, streaming: each customer's facts are decided and dropped. A
/// customer that fails is listed in the summary's failures and the sweep goes on. `progress` is called
/// every `config.progress_every` customers and once at the end.
pub fn sweep<I>(
    profile: &Profile,
    holds: &Holds,
    as_of: NaiveDate,
    book: I,
    config: SweepConfig,
    progress: &mut dyn FnMut(SweepProgress),
) -> SweepSummary
where
    I: IntoIterator,
    I::Item: Borrow<RetentionFacts>,
{
    let mut run = Sweep::new(profile, holds, as_of);
    for facts in book {
        // The error is already in the summary's failures; the sweep continues with the next customer.
        let _ = run.record(facts.borrow());
        let s = run.summary();
        if config.progress_every > 0 && s.customers.is_multiple_of(config.progress_every) {
            progress(SweepProgress {
                customers: s.customers,
                failures: s.failures.len() as u64,
            });
        }
    }
    let s = run.summary();
    progress(SweepProgress {
        customers: s.customers,
        failures: s.failures.len() as u64,
    });
    run.finish()
}
