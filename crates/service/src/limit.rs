//! A per-token rate limit: at most `requests` in each fixed window, counted per bearer token after it is
//! recognised (so the table holds at most one counter per token of the tokens file). Over the limit is a
//! 429 JSON error. A bound on how fast one credential can pull records out (PIPL Art 51(2): technical
//! security measures; the access monitors still see every read that is let through).
//!
//! The same window logic counts the unauthenticated routes per client address ([`crate::public_limit`]):
//! there the keys come from the network, so the table has a cap (`Limiter::bounded`) and is pruned of
//! ended windows.

use std::collections::HashMap;
use std::hash::Hash;
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

/// The counters of every key seen (a token's hash by default; a client address for the public routes).
#[derive(Debug)]
pub(crate) struct Limiter<K = [u8; 32]> {
    limit: RateLimit,
    /// The most keys tracked at once.
    cap: usize,
    table: Mutex<Table<K>>,
}

#[derive(Debug)]
struct Table<K> {
    windows: HashMap<K, (Instant, u32)>,
    /// When a full table may next be pruned: pruning walks the whole table, so at most 8 times a window.
    next_prune: Option<Instant>,
}

impl<K: Eq + Hash + Copy> Limiter<K> {
    /// A limiter whose keys are bounded elsewhere (the tokens file's).
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self::bounded(limit, usize::MAX)
    }

    /// A limiter tracking at most `cap` keys (at least 1). When the table is full, the keys whose window
    /// has ended are dropped (at most 8 times a window); if it is still full, a key not in it is refused
    /// until the next prune — a flood of new keys costs no memory past the cap, and the keys already
    /// counted keep their count (refusing a newcomer cannot reset a flooder's window).
    pub(crate) fn bounded(limit: RateLimit, cap: usize) -> Self {
        Self {
            limit,
            cap: cap.max(1),
            table: Mutex::new(Table {
                windows: HashMap::new(),
                next_prune: None,
            }),
        }
    }

    /// The number of keys tracked now.
    #[cfg(test)]
    pub(crate) fn tracked(&self) -> usize {
        self.lock().windows.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table<K>> {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one request of `key` at `now`; `Err(seconds)` until its window ends when the window's
    /// allowance is spent (or, for a key not tracked while the table is full, until the next prune).
    pub(crate) fn admit(&self, key: K, now: Instant) -> Result<(), u64> {
        let window = self.limit.window;
        let mut table = self.lock();
        if !table.windows.contains_key(&key) && table.windows.len() >= self.cap {
            if table.next_prune.is_none_or(|at| now >= at) {
                table
                    .windows
                    .retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
                table.next_prune = Some(now + (window / 8).max(Duration::from_secs(1)));
            }
            if table.windows.len() >= self.cap {
                let left = table
                    .next_prune
                    .map_or(window, |at| at.saturating_duration_since(now));
                return Err(left.as_secs().max(1));
            }
        }
        let entry = table.windows.entry(key).or_insert((now, 0));
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

    #[test]
    fn a_bounded_table_never_tracks_more_than_its_cap_and_prunes_ended_windows() {
        let minute = Duration::from_secs(60);
        let limiter = Limiter::<u32>::bounded(
            RateLimit {
                requests: 2,
                window: minute,
            },
            3,
        );
        let t0 = Instant::now();
        for key in 0..3 {
            assert_eq!(limiter.admit(key, t0), Ok(()));
        }
        // A flood of new keys while every window is live: refused, and the table stays at its cap.
        for key in 3..1000 {
            assert!(limiter.admit(key, t0 + Duration::from_secs(1)).is_err());
        }
        assert_eq!(limiter.tracked(), 3);
        // The keys already counted keep their own allowance (1 left each), and their counts.
        assert_eq!(limiter.admit(0, t0 + Duration::from_secs(2)), Ok(()));
        assert_eq!(limiter.admit(0, t0 + Duration::from_secs(2)), Err(58));
        // Once the windows have ended, a prune makes room for a newcomer.
        assert_eq!(limiter.admit(7, t0 + minute), Ok(()));
        assert_eq!(limiter.tracked(), 1);
        // A prune frees only ended windows: key 7's is live, two free places remain, then full again.
        assert_eq!(limiter.admit(8, t0 + minute), Ok(()));
        assert_eq!(limiter.admit(9, t0 + minute), Ok(()));
        assert!(limiter.admit(10, t0 + minute + Duration::from_secs(1)).is_err());
        assert_eq!(limiter.tracked(), 3);
    }
}
