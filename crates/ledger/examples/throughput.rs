//! Rough throughput check (not a benchmark; criterion benches come later): in-memory append of 200-byte
//! payloads in batches of 1,000 against raw SHA-256 over the same bytes, and inclusion-proof time at
//! 1,000 entries versus a large log. Each figure is the best of several rounds, to damp a shared machine.
//!
//! `cargo run --release -p custodia-ledger --example throughput -- [batches] [large_log_size]`
//! (the defaults are small so that CI runs it in a moment).

use std::hint::black_box;
use std::time::{Duration, Instant};

use custodia_ledger::{LedgerError, Log, MemoryStore};
use ring::digest::{Context, SHA256, digest};

const ROUNDS: usize = 5;

/// Time this thread spent on a CPU (Linux `/proc/thread-self/schedstat`, nanoseconds), so that other
/// processes on a shared machine do not count against us; wall-clock time where that is unavailable.
struct Clock(Option<u64>, Instant);

impl Clock {
    fn on_cpu() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    fn start() -> Self {
        Self(Self::on_cpu(), Instant::now())
    }

    fn elapsed(&self) -> Duration {
        match (self.0, Self::on_cpu()) {
            (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
            _ => self.1.elapsed(),
        }
    }
}

fn best(mut round: impl FnMut() -> Result<Duration, LedgerError>) -> Result<Duration, LedgerError> {
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        best = best.min(round()?);
    }
    Ok(best)
}

fn main() -> Result<(), LedgerError> {
    let mut args = std::env::args().skip(1);
    let batches: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let large: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);

    let payloads: Vec<Vec<u8>> = (0..1000u32)
        .map(|i| (0..200u32).map(|j| (i * 31 + j) as u8).collect())
        .collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let bytes = (batches * 1000 * 200) as f64;
    let rate = |d: Duration| bytes / d.as_secs_f64() / 1e6;

    // Baseline 1: one SHA-256 per 200-byte payload (the same message count the log hashes).
    let per_message = best(|| {
        let start = Clock::start();
        for _ in 0..batches {
            for p in &refs {
                black_box(digest(&SHA256, p));
            }
        }
        Ok(start.elapsed())
    })?;
    // Baseline 2: one SHA-256 stream over all the bytes (no per-message padding: the stricter baseline).
    let streamed = best(|| {
        let start = Clock::start();
        for _ in 0..batches {
            let mut context = Context::new(&SHA256);
            for p in &refs {
                context.update(p);
            }
            black_box(context.finish());
        }
        Ok(start.elapsed())
    })?;
    // The log, from empty, including the store's memory growth.
    let appended = best(|| {
        let mut log = Log::new(MemoryStore::new())?;
        let start = Clock::start();
        for _ in 0..batches {
            black_box(log.append(&refs)?);
        }
        Ok(start.elapsed())
    })?;
    println!(
        "{} entries of 200 bytes, batches of 1000, best of {ROUNDS}, CPU time of this thread",
        batches * 1000
    );
    println!(
        "raw SHA-256, per 200-byte message: {:8.1} MB/s",
        rate(per_message)
    );
    println!("raw SHA-256, one stream:           {:8.1} MB/s", rate(streamed));
    println!("log append:                        {:8.1} MB/s", rate(appended));
    println!(
        "append / raw: {:.2} (per message), {:.2} (stream)",
        per_message.as_secs_f64() / appended.as_secs_f64(),
        streamed.as_secs_f64() / appended.as_secs_f64()
    );

    // Proof generation at 1,000 entries and at `large` entries (8-byte payloads: a proof's cost does
    // not depend on payload size).
    let small: Vec<[u8; 8]> = (0..1000u64).map(|i| i.to_be_bytes()).collect();
    let small_refs: Vec<&[u8]> = small.iter().map(|b| b.as_slice()).collect();
    let mut log = Log::new(MemoryStore::new())?;
    let mut timings = Vec::new();
    for target in [1000u64, large] {
        while log.size() < target {
            let n = usize::try_from(target - log.size()).unwrap_or(1000).min(1000);
            log.append(small_refs.get(..n).unwrap_or(&small_refs))?;
        }
        let proofs = 20_000u64;
        let each = best(|| {
            let start = Clock::start();
            for i in 0..proofs {
                let index = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % target;
                black_box(log.inclusion_proof(index, target)?);
            }
            Ok(start.elapsed())
        })?
        .as_secs_f64()
            / proofs as f64;
        println!("inclusion proof at {target:>9} entries: {:6.2} µs", each * 1e6);
        timings.push(each);
    }
    if let [at_small, at_large] = timings[..] {
        println!("proof time {large} / 1000 entries: {:.2}", at_large / at_small);
    }
    Ok(())
}
