//! The one progress event of every long operation, and the one callback shape that receives it.
//!
//! A licence transfer plans, notifies, packages, imports and disposes of hundreds of thousands of customers;
//! a consent index is replayed from a ledger of millions of entries; a retention sweep walks the whole book.
//! Each of them takes `progress: &mut dyn FnMut(Progress)`: the caller owns the callback and decides whether
//! to draw a bar, write a log line or do nothing (`&mut |_| {}`), and the libraries print nothing.

use serde::{Deserialize, Serialize};

/// Which long operation is reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase {
    /// Deciding, customer by customer, what moves in a licence transfer.
    Plan,
    /// Serving transfer notices to customers (PIPL Arts 17, 22, 23).
    Notify,
    /// Writing the transfer package (seller).
    Package,
    /// Reading, verifying and importing the transfer package (buyer).
    Import,
    /// Destroying or restricting what the seller may no longer hold after a transfer (PIPL Art 47).
    Dispose,
    /// Verifying a whole ledger: every leaf, checkpoint and redaction.
    VerifyLog,
    /// Rebuilding the consent index by replaying the consent ledger.
    ConsentReplay,
    /// Deciding retention for a whole book (a retention sweep).
    RetentionSweep,
    /// Onboarding customers: validating, sealing and storing their records (PIPL Arts 13, 17, 51).
    Onboard,
}

/// One progress report: which operation, how many units it has done, and the total when it is known.
///
/// The unit is the operation's natural one: customers for a plan, a package, an import, a disposition or a
/// sweep; ledger entries for a log verification or a consent replay. `done` never exceeds `total` when both
/// are given; a last report with `done == total` says the operation finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Progress {
    phase: Phase,
    done: u64,
    total: Option<u64>,
}

impl Progress {
    /// A report of `done` units out of `total` (when known) for `phase`.
    pub fn new(phase: Phase, done: u64, total: Option<u64>) -> Self {
        Self { phase, done, total }
    }

    /// The operation reporting.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// The total, when the operation knows it in advance (a sweep over a stream does not).
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Whether this report says the operation is complete: the total is known and reached.
    pub fn is_complete(&self) -> bool {
        self.total.is_some_and(|t| self.done >= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_owned_by_the_caller_receives_every_report() {
        let mut seen = Vec::new();
        let mut report = |p: Progress| seen.push(p);
        let progress: &mut dyn FnMut(Progress) = &mut report;
        progress(Progress::new(Phase::Plan, 1, None));
        progress(Progress::new(Phase::Plan, 2, Some(2)));
        assert_eq!(seen.len(), 2);
        assert!(!seen[0].is_complete());
        assert!(seen[1].is_complete());
        assert_eq!(seen[1].phase(), Phase::Plan);
        assert_eq!((seen[1].done(), seen[1].total()), (2, Some(2)));
    }

    #[test]
    fn phases_serialize_in_snake_case() {
        let json = serde_json::to_string(&Phase::RetentionSweep).unwrap();
        assert_eq!(json, "\"retention_sweep\"");
    }
}
