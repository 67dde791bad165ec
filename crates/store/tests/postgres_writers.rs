//! Four processes appending 2,500 entries each to one PostgreSQL log (feature `postgres-tests`, server from `CUSTODIA_PG_URL`), two positionally and two through the store's sequencer: no fork, no gap, no duplicate, and no sequenced append refused.
//!
//! A `harness = false` test binary: its test re-runs the binary as the writers
//! (`postgres_writers --child write <schema> <writer>`, see `harness`), so a writer is never a test of its
//! own. Without a server named in `CUSTODIA_PG_URL` the test fails: nothing pretends to pass.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod harness;

use std::collections::HashMap;
use std::io::Write;
use std::process::{ExitCode, Stdio};

use custodia_ledger::{LedgerError, Log};
use custodia_store::{PostgresConfig, PostgresStore};

fn main() -> ExitCode {
    harness::main(
        &[(
            "four_processes_append_to_one_log",
            four_processes_append_to_one_log,
        )],
        &[("write", pg_writer_child)],
    )
}

/// The server's URL. Without one the test fails: nothing pretends to pass without a server.
fn url() -> String {
    match std::env::var("CUSTODIA_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "the postgres-tests feature is on but CUSTODIA_PG_URL is not set: start a server \
             (`source .ci/postgres.sh && custodia_pg_start`) or point it at one"
        ),
    }
}

fn connect(schema: &str) -> PostgresStore {
    PostgresStore::connect(&url(), &PostgresConfig::new().with_schema(schema).unwrap()).unwrap()
}

/// A schema name no other test (in this or another process) uses.
fn fresh_schema() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("w_{}_{}", std::process::id(), nanos)
}

const WRITERS: usize = 4;
const PER_WRITER: usize = 2_500;
const BATCH: usize = 25;

/// One writer process of `four_processes_append_to_one_log`: `--child write <schema> <writer>`, with the
/// server's URL in `CUSTODIA_PG_URL` as for the parent.
fn pg_writer_child(args: &[String]) {
    let [schema, writer] = args else {
        panic!("usage: --child write <schema> <writer>, got {args:?}");
    };
    let sequenced = writer.parse::<usize>().unwrap() % 2 == 1;
    let mut log = Log::new(connect(schema)).unwrap();
    let mut written = 0;
    let mut conflicts = 0u64;
    while written < PER_WRITER {
        let payloads: Vec<Vec<u8>> = (written..written + BATCH)
            .map(|n| format!("writer {writer} entry {n}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        // Odd writers use the store's sequencer (which never refuses), even ones the positional append.
        let outcome = if sequenced {
            log.append_sequenced(&refs)
        } else {
            log.append(&refs)
        };
        match outcome {
            Ok(_) => written += BATCH,
            // Another writer got there first; the log has re-read the store's right edge. Retry.
            Err(LedgerError::Conflict { .. }) => conflicts += 1,
            Err(other) => panic!(
                "writer {writer}: {other}: {:?}",
                std::error::Error::source(&other)
            ),
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "WRITER-DONE {writer} conflicts={conflicts}").unwrap();
}

fn four_processes_append_to_one_log() {
    let schema = fresh_schema();
    drop(connect(&schema)); // migrate once up front; the writers' connects then only check
    let children: Vec<_> = (0..WRITERS)
        .map(|writer| {
            harness::child("write", &[schema.clone(), writer.to_string()])
                .env("CUSTODIA_PG_URL", url())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (writer, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains(&format!("WRITER-DONE {writer} ")),
            "writer {writer} failed: {}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        for line in stdout.lines().filter(|l| l.starts_with("WRITER-DONE")) {
            eprintln!("{line}");
            if writer % 2 == 1 {
                assert!(
                    line.ends_with(" conflicts=0"),
                    "a sequenced writer was refused: {line}"
                );
            }
        }
    }

    let log = Log::new(connect(&schema)).unwrap();
    assert_eq!(log.size(), (WRITERS * PER_WRITER) as u64);
    let signer = common::signer();
    let verified = log.verify(&common::policy(&signer)).unwrap();
    assert_eq!(verified.size(), (WRITERS * PER_WRITER) as u64);
    assert_eq!(*verified.root(), log.root());

    // Every entry of every writer exactly once, each writer's entries in its own order, no gap.
    use custodia_ledger::LogStore;
    let entries = log.store().entries(0..log.size()).unwrap();
    let mut next: HashMap<usize, usize> = HashMap::new();
    for entry in &entries {
        let text = std::str::from_utf8(entry.payload().unwrap()).unwrap();
        let rest = text.strip_prefix("writer ").unwrap();
        let (writer, n) = rest.split_once(" entry ").unwrap();
        let (writer, n): (usize, usize) = (writer.parse().unwrap(), n.parse().unwrap());
        let expected = next.entry(writer).or_insert(0);
        assert_eq!(
            n,
            *expected,
            "writer {writer}'s entries out of order at index {}",
            entry.index()
        );
        *expected += 1;
    }
    assert_eq!(next.len(), WRITERS);
    assert!(next.values().all(|&n| n == PER_WRITER));
}
