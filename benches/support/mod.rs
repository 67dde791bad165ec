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

/// A paired measurement: `custodia` and `baseline` run in alternating batches (A B B A …), and the result is
/// the median over rounds of the per-round ratio `baseline / custodia` (time per unit). Criterion measures
/// one function after the other, so a load spike on a shared machine can land on one side only; alternating
/// within milliseconds cancels that drift, which is why `BENCHMARKS.md` judges targets on this ratio.
///
/// Each closure runs one batch and returns how many units it did (calls, customers, entries), so the two
/// sides may use different batch sizes (a book of 10⁴ against one of 10⁶). The result is printed to stderr
/// and appended as one JSON line to `$CARGO_TARGET_DIR/criterion/paired.jsonl` (or `target/criterion/…`)
/// for `benches/summarize.py`; the last line for a name wins.
pub fn paired(
    name: &str,
    rounds: usize,
    mut custodia: impl FnMut() -> u64,
    mut baseline: impl FnMut() -> u64,
) -> f64 {
    let rounds = if smoke() { 3 } else { rounds.max(3) };
    let time = |f: &mut dyn FnMut() -> u64| {
        let start = std::time::Instant::now();
        let units = f().max(1);
        start.elapsed().as_nanos() as f64 / units as f64
    };
    // One untimed batch each, so that neither side pays for cold caches or lazy setup.
    custodia();
    baseline();
    let (mut ours, mut raw, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = time(&mut custodia);
            (a, time(&mut baseline))
        } else {
            let b = time(&mut baseline);
            (time(&mut custodia), b)
        };
        ours.push(a);
        raw.push(b);
        ratios.push(b / a);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ours, raw, ratio) = (median(&mut ours), median(&mut raw), median(&mut ratios));
    eprintln!(
        "paired {name}: custodia {ours:.1} ns/unit, baseline {raw:.1} ns/unit, median ratio baseline/custodia {ratio:.3} ({rounds} rounds)"
    );
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
        .join("criterion");
    if std::fs::create_dir_all(&dir).is_ok() {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("paired.jsonl"))
        {
            let _ = writeln!(
                f,
                "{{\"name\":\"{name}\",\"custodia_ns\":{ours},\"baseline_ns\":{raw},\"ratio\":{ratio},\"rounds\":{rounds},\"smoke\":{}}}",
                smoke()
            );
        }
    }
    ratio
}

/// Runs `f` `n` times and returns `n`: one batch for [`paired`].
pub fn batch(n: u64, mut f: impl FnMut()) -> impl FnMut() -> u64 {
    move || {
        for _ in 0..n {
            f();
        }
        n
    }
}

/// The seller's privacy notice, published at nine on 1 January 2005, and the recording of consents given on
/// the day at onboarding under it: what the onboarding and consent-rebuild benches start from. Fixed
/// inputs the synthetic crate accepts, so a failure here is a broken fixture.
#[allow(clippy::unwrap_used)]
pub fn onboarding_notice() -> (custodia::consent::Notice, custodia_synthetic::consent::Recording) {
    use custodia_synthetic::consent::{Recording, at_nine, privacy_notice};
    let published = at_nine("2005-01-01".parse().unwrap()).unwrap();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", published).unwrap();
    let recording = Recording::on_the_day(
        notice.reference(),
        custodia::model::ActorId::new("clerk-0001").unwrap(),
        custodia::consent::Digest::of(b"onboarding form"),
    );
    (notice, recording)
}
