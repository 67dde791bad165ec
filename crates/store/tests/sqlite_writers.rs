//! Several processes appending to one SQLite file: the write lock and the expected-size check keep one log, no fork, no gap, no duplicate.
//!
//! A `harness = false` test binary: its test re-runs the binary as the writers
//! (`sqlite_writers --child write <writer> <path>`, see `harness`), so a writer is never a test of its own.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod harness;

use std::collections::HashMap;
use std::io::Write;
use std::process::{ExitCode, Stdio};

use custodia_ledger::{LedgerError, Log, LogStore};
use custodia_store::{SqliteConfig, SqliteStore};

const WRITERS: usize = 4;
const PER_WRITER: usize = 500;
const BATCH: usize = 20;

fn main() -> ExitCode {
    harness::main(
        &[(
            "four_processes_share_one_sqlite_log",
            four_processes_share_one_sqlite_log,
        )],
        &[("write", sqlite_writer_child)],
    )
}

/// One writer process of `four_processes_share_one_sqlite_log`: `--child write <writer> <path>`.
fn sqlite_writer_child(args: &[String]) {
    let [writer, path] = args else {
        panic!("usage: --child write <writer> <path>, got {args:?}");
    };
    let mut log = Log::new(SqliteStore::open(path, &SqliteConfig::new()).unwrap()).unwrap();
    let (mut written, mut conflicts) = (0, 0u64);
    while written < PER_WRITER {
        let payloads: Vec<Vec<u8>> = (written..written + BATCH)
            .map(|n| format!("writer {writer} entry {n}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        match log.append(&refs) {
            Ok(_) => written += BATCH,
            Err(LedgerError::Conflict { .. }) => conflicts += 1,
            Err(other) => panic!("writer {writer}: {other}"),
        }
    }
    writeln!(
        std::io::stdout().lock(),
        "WRITER-DONE {writer} conflicts={conflicts}"
    )
    .unwrap();
}

fn four_processes_share_one_sqlite_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    drop(SqliteStore::open(&path, &SqliteConfig::new()).unwrap());
    let children: Vec<_> = (0..WRITERS)
        .map(|writer| {
            harness::child("write", &[writer.to_string(), path.display().to_string()])
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
    }
    let log = Log::new(SqliteStore::open(&path, &SqliteConfig::new()).unwrap()).unwrap();
    assert_eq!(log.size(), (WRITERS * PER_WRITER) as u64);
    let signer = common::signer();
    log.verify(&common::policy(&signer)).unwrap();
    let mut next: HashMap<usize, usize> = HashMap::new();
    for entry in log.store().entries(0..log.size()).unwrap() {
        let text = String::from_utf8(entry.payload().unwrap().to_vec()).unwrap();
        let (writer, n) = text
            .strip_prefix("writer ")
            .unwrap()
            .split_once(" entry ")
            .unwrap();
        let expected = next.entry(writer.parse().unwrap()).or_insert(0);
        assert_eq!(
            n.parse::<usize>().unwrap(),
            *expected,
            "at index {}",
            entry.index()
        );
        *expected += 1;
    }
    assert!(next.len() == WRITERS && next.values().all(|&n| n == PER_WRITER));
}
