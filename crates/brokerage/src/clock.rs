//! The clock a brokerage reads, injected: the system clock in production, a manual clock in tests and simulations.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// Where a [`crate::Brokerage`] reads the time from. Every step of every workflow takes its time here
/// once, so a test (or a simulation of weeks) sets the date and a service uses the system clock; the
/// domain crates below never read a clock at all.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says what it was last set to; clones share the time. For tests, examples and
/// simulations that walk a transfer through its weeks.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use custodia_brokerage::{Clock, ManualClock};
///
/// let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap());
/// let seen_by_the_brokerage = clock.clone();
/// clock.advance(Duration::days(31));
/// assert_eq!(seen_by_the_brokerage.now(), Utc.with_ymd_and_hms(2026, 7, 2, 9, 0, 0).unwrap());
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Sets the time (it may go back: a test decides).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManualClock({})", self.now())
    }
}
