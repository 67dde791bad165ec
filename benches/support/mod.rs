//! Shared settings for the root benches: the CI smoke mode and one criterion configuration.

#![allow(dead_code)]

use std::time::Duration;

use criterion::Criterion;

/// `CUSTODIA_BENCH_SMOKE=1` shrinks every book and fixture and every measurement to a token run, so CI can
/// execute each bench end to end in seconds (`cargo bench --no-run` alone only compiles them). Smoke
/// figures mean nothing; the recorded figures in `BENCHMARKS.md` come from a run without it.
pub fn smoke() -> bool {
    std::env::var_os("CUSTODIA_BENCH_SMOKE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `full` outside smoke mode, `small` in it.
pub fn size(full: u64, small: u64) -> u64 {
    if smoke() { small } else { full }
}

/// The criterion settings every root bench starts from: short warm-up and measurement (the whole recorded
/// suite must fit in about fifteen minutes on two shared cores), the minimum criterion allows in smoke mode.
/// `criterion_group!` applies the command line afterwards, so `--measurement-time` and friends still win.
pub fn criterion() -> Criterion {
    let c = Criterion::default();
    if smoke() {
        c.sample_size(10)
            .warm_up_time(Duration::from_millis(20))
            .measurement_time(Duration::from_millis(50))
            .without_plots()
    } else {
        c.sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .without_plots()
    }
}
