//! Sweeping a whole book: what is destroyable now, what becomes so and when, and the next review date.
//!
//! The sweep streams both ways: it takes any iterator of facts, hands what is destroyable to a
//! caller-owned [`SweepObserver`] as it goes, reports progress to the caller's callback, and keeps only counts and a date histogram, so a million
//! customers never need to be in memory at once and each customer costs the same whatever the book's
//! size (a fixed number of rules per holding, one ordered-map update per scheduled date).

use std::borrow::Borrow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use custodia_model::{CustomerId, Phase, Progress};
use serde::Serialize;

use crate::decision::{RetentionDecision, RetentionOutcome};
use crate::destruction::PlanItem;
use crate::error::RetentionError;
use crate::facts::RetentionFacts;
use crate::hold::Holds;
use crate::profile::Profile;

/// How a sweep reports progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepConfig {
    /// Call the progress callback after every this many customers (0: only once, at the end).
    pub progress_every: u64,
}

/// What a sweep decides on: the profile, the hold register, the evaluation date, and how often it reports.
#[derive(Clone, Copy, Debug)]
pub struct SweepInput<'a> {
    /// The retention profile.
    pub profile: &'a Profile,
    /// The legal holds; a hold always wins.
    pub holds: &'a Holds,
    /// The evaluation date.
    pub as_of: NaiveDate,
    /// How often progress is reported.
    pub config: SweepConfig,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            progress_every: 10_000,
        }
    }
}

/// A customer whose facts could not be decided; reported, never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct SweepSummary {
    as_of: Option<NaiveDate>,
    customers: u64,
    holdings: u64,
    retain: u64,
    storage_only: u64,
    destroy: u64,
    hand_over: u64,
    held: u64,
    destroyable_customers: u64,
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

    /// Holdings to hand to the body the State Council designates (AML Law 2024 Art 34).
    pub fn hand_over(&self) -> u64 {
        self.hand_over
    }

    /// Holdings under an active legal hold.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// Customers with at least one holding destroyable now (each was handed to the observer).
    pub fn destroyable_customers(&self) -> u64 {
        self.destroyable_customers
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
    pub fn record(&mut self, facts: &RetentionFacts) -> Result<Vec<RetentionDecision>, RetentionError> {
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
                RetentionOutcome::Retain { .. } => s.retain += 1,
                RetentionOutcome::StorageOnly { .. } => s.storage_only += 1,
                RetentionOutcome::Destroy { .. } => s.destroy += 1,
                _ => s.hand_over += 1,
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
        if decisions.iter().any(|d| d.outcome().is_destroy()) {
            s.destroyable_customers += 1;
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

/// Receives what a sweep finds destroyable as it goes: the caller owns where it lands (a `Vec`, a file, a
/// queue). Progress goes to the sweep's progress callback instead.
pub trait SweepObserver {
    /// Called once per customer with something destroyable now, ready for a [`crate::DestructionPlan`].
    fn destroyable(&mut self, item: PlanItem);
}

/// Collects every destroyable item, for books small enough to plan in one go.
impl SweepObserver for Vec<PlanItem> {
    fn destroyable(&mut self, item: PlanItem) {
        self.push(item);
    }
}

/// An observer that ignores everything: for a sweep that only wants the summary.
impl SweepObserver for () {
    fn destroyable(&mut self, _item: PlanItem) {}
}

/// Sweeps a whole book as of `input.as_of`, streaming: each customer's facts are decided and dropped, and
/// what is destroyable goes to `observer`. A customer that fails is listed in the summary's failures and the
/// sweep goes on. Progress ([`Phase::RetentionSweep`], customers swept, total unknown until the end) goes to
/// `progress` every `input.config.progress_every` customers and once at the end, with the total.
pub fn sweep<I, O>(
    input: SweepInput<'_>,
    book: I,
    observer: &mut O,
    progress: &mut dyn FnMut(Progress),
) -> SweepSummary
where
    I: IntoIterator,
    I::Item: Borrow<RetentionFacts>,
    O: SweepObserver + ?Sized,
{
    let mut run = Sweep::new(input.profile, input.holds, input.as_of);
    let every = input.config.progress_every;
    for facts in book {
        let facts = facts.borrow();
        // An error is already in the summary's failures; the sweep continues with the next customer.
        if let Ok(decisions) = run.record(facts)
            && let Some(item) = PlanItem::from_decisions(facts.customer(), &decisions)
        {
            observer.destroyable(item);
        }
        let swept = run.summary().customers;
        if every > 0 && swept.is_multiple_of(every) {
            progress(Progress::new(Phase::RetentionSweep, swept, None));
        }
    }
    let swept = run.summary().customers;
    progress(Progress::new(Phase::RetentionSweep, swept, Some(swept)));
    run.finish()
}
