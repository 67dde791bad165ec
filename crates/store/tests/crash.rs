//! Crash safety of the SQLite log: a child appends batches and reports each commit; SIGKILL at random moments loses nothing reported and tears no batch.
//!
//! A `harness = false` test binary: its test re-runs the binary as the appending child
//! (`crash --child append <iteration> <path>`, see `harness`), so the child is never a test of its own.
//! 20 kills by default; the long run is
//! `CUSTODIA_CRASH_ITERATIONS=1000 cargo test -p custodia-store --release --test crash`.
//! `CUSTODIA_CRASH_SEED=<n>` replays the random kill moments of a failed run (the seed is in its message).

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod harness;

use std::io::{BufRead, BufReader, Write};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use custodia_ledger::{Log, LogStore};
use custodia_store::{SqliteConfig, SqliteStore};

fn main() -> ExitCode {
    harness::main(
        &[(
            "sigkill_never_loses_or_tears_a_batch",
            sigkill_never_loses_or_tears_a_batch,
        )],
        &[("append", crash_child)],
    )
}

/// The payload of entry `item` of a batch of `len` entries.
fn payload(iteration: u64, batch: u64, item: u64, len: u64) -> String {
    format!("i{iteration} b{batch} e{item}/{len}")
}

/// The appending child of `sigkill_never_loses_or_tears_a_batch`: `--child append <iteration> <path>`.
/// It stops by itself after 30 seconds so that it never outlives a parent that died.
fn crash_child(args: &[String]) {
    let [iteration, path] = args else {
        panic!("usage: --child append <iteration> <path>, got {args:?}");
    };
    let iteration: u64 = iteration.parse().unwrap();
    let mut log = Log::new(SqliteStore::open(path, &SqliteConfig::new()).unwrap()).unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "OPENED").unwrap();
    out.flush().unwrap();
    let started = Instant::now();
    let mut batch = 0u64;
    while started.elapsed() < Duration::from_secs(30) {
        let len = 1 + (batch * 7 + iteration) % 16;
        let payloads: Vec<String> = (0..len)
            .map(|item| payload(iteration, batch, item, len))
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(String::as_bytes).collect();
        let appended = log.append(&refs).unwrap();
        // Only after the commit returned: a reported batch is an acknowledged one.
        writeln!(
            out,
            "COMMITTED {iteration} {batch} {len} {} {}",
            appended.first_index(),
            appended.size()
        )
        .unwrap();
        out.flush().unwrap();
        batch += 1;
    }
}

/// xorshift64*: enough randomness to pick kill moments, replayable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[derive(Debug, Clone, Copy)]
struct Reported {
    iteration: u64,
    batch: u64,
    len: u64,
    first: u64,
    size: u64,
}

/// Reads one report line.
fn parse(line: &str) -> Option<Reported> {
    let at = line.find("COMMITTED ")?;
    let rest = line[at..].strip_prefix("COMMITTED ")?.trim_end();
    let n: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
    Some(Reported {
        iteration: n[0],
        batch: n[1],
        len: n[2],
        first: n[3],
        size: n[4],
    })
}

fn sigkill_never_loses_or_tears_a_batch() {
    let iterations: u64 = std::env::var("CUSTODIA_CRASH_ITERATIONS")
        .ok()
        .map(|v| v.parse().unwrap())
        .unwrap_or(20);
    let seed: u64 = std::env::var("CUSTODIA_CRASH_SEED")
        .ok()
        .map(|v| v.parse().unwrap())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let signer = common::signer();
    let policy = common::policy(&signer);
    let mut reported: Vec<Reported> = Vec::new();

    for iteration in 0..iterations {
        let context = format!("seed {seed}, iteration {iteration}");
        let mut child = harness::child("append", &[iteration.to_string(), path.display().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill before the store is open (mid-migration on the first run), or after a random number of
        // commits, then a random pause so that the kill lands anywhere in the next transaction.
        let commits_before_kill = rng.next() % 14;
        let pause = Duration::from_micros(rng.next() % 3_000);
        if commits_before_kill > 0 {
            let mut seen = 0;
            for line in lines.by_ref() {
                let line = line.unwrap();
                if let Some(r) = parse(&line) {
                    reported.push(r);
                    seen += 1;
                    if seen >= commits_before_kill {
                        break;
                    }
                }
            }
            assert_eq!(
                seen, commits_before_kill,
                "{context}: the child stopped by itself"
            );
        }
        std::thread::sleep(pause);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Lines written before the kill were for commits that returned: they count too.
        for line in lines {
            let Ok(line) = line else { break };
            if let Some(r) = parse(&line) {
                reported.push(r);
            }
        }

        let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
        let log = Log::new(store).unwrap();
        log.verify(&policy)
            .unwrap_or_else(|e| panic!("{context}: the log does not verify: {e}"));
        let size = log.size();
        let entries = log.store().entries(0..size).unwrap();
        let texts: Vec<String> = entries
            .iter()
            .map(|e| String::from_utf8(e.payload().unwrap().to_vec()).unwrap())
            .collect();

        // Every reported batch is there, whole, where the append said.
        for r in &reported {
            assert!(
                r.size <= size,
                "{context}: reported batch {r:?} is beyond the log of {size}"
            );
            assert_eq!(r.size - r.first, r.len, "{context}: {r:?}");
            for item in 0..r.len {
                assert_eq!(
                    texts[(r.first + item) as usize],
                    payload(r.iteration, r.batch, item, r.len),
                    "{context}: reported batch {r:?} lost entry {item}"
                );
            }
        }
        // No partial batch anywhere: the log is a sequence of whole batches, each e0..e{len-1}.
        let mut index = 0usize;
        while index < texts.len() {
            let (head, len_text) = texts[index].rsplit_once('/').unwrap();
            let len: usize = len_text.parse().unwrap();
            let prefix = head.rsplit_once(" e").unwrap().0.to_owned();
            for item in 0..len {
                let expected = format!("{prefix} e{item}/{len}");
                assert_eq!(
                    texts.get(index + item),
                    Some(&expected),
                    "{context}: batch starting at {index} is torn"
                );
            }
            index += len;
        }
    }
    // The run did exercise something: kills after commits happened and were checked.
    assert!(
        !reported.is_empty(),
        "seed {seed}: no child ever reported a commit"
    );
}
