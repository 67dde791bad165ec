//! Progress reports for long work: the caller owns the callback, the library prints nothing.

use serde::{Deserialize, Serialize};

/// Which phase of a transfer is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase {
    /// Deciding what moves.
    Plan,
    /// Serving notices.
    Notify,
    /// Writing the package (seller).
    Package,
    /// Reading and importing the package (buyer).
    Import,
    /// Destroying or restricting what the seller keeps.
    Dispose,
}

/// One progress report: the phase, how many customers are done, and the total when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    phase: Phase,
    done: u64,
    total: Option<u64>,
}

impl Progress {
    /// A report.
    pub fn new(phase: Phase, done: u64, total: Option<u64>) -> Self {
        Self { phase, done, total }
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Customers done.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// The total, when known.
    pub fn total(&self) -> Option<u64> {
        self.total
    }
}
