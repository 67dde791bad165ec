//! A per-token rate limit: at most `requests` in each fixed window, counted per bearer token after it is
//! recognised (so the table holds at most one counter per token of the tokens file). Over the limit is a
//! 429 JSON error. A bound on how fast one credential can pull records out (PIPL Art 51(2): technical
//! security measures; the access monitors still see every read that is let through).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limit: `requests` per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in one window (at least 1).
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

/// The counters of every token seen.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    windows: Mutex<HashMap<[u8; 32], (Instant, u32)>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of the token with hash `key` at `now`; `Err(seconds)` until its window ends when
    /// the window's allowance is spent.
    pub(crate) fn admit(&self, key: [u8; 32], now: Instant) -> Result<(), u64> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = windows.entry(key).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.limit.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit.requests {
            let left = self
                .limit
                .window
                .saturating_sub(now.saturating_duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_token_is_refused_past_its_allowance_until_the_window_ends() {
        let limiter = Limiter::new(RateLimit {
            requests: 2,
            window: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_eq!(limiter.admit(a, t0), Ok(()));
        assert_eq!(limiter.admit(a, t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(limiter.admit(a, t0 + Duration::from_secs(10)), Err(50));
        // Another token has its own allowance.
        assert_eq!(limiter.admit(b, t0 + Duration::from_secs(10)), Ok(()));
        // A new window starts afresh.
        assert_eq!(limiter.admit(a, t0 + Duration::from_secs(60)), Ok(()));
    }
}
