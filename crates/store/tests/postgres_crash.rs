//! Server crashes (feature `postgres-tests`; server, TLS and crash script from `.ci/postgres.sh`): a store finds a restarted server again on the next call, and four writer processes appending through ten `pg_ctl -m immediate` crashes lose nothing, duplicate nothing, and leave a log that verifies.
//!
//! A `harness = false` test binary: its tests re-run the binary as the writers (`postgres_crash --child
//! write <schema> <writer> <batches>`, see `harness`). The crash is `CUSTODIA_PG_CRASH`, a script that kills
//! every server process at once (no shutdown checkpoint) and starts the server again, which replays its
//! WAL. Without the variables set by `custodia_pg_start` the tests fail: nothing pretends to pass.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use custodia_ledger::{LedgerError, Log, LogStore};
use custodia_store::{PostgresConfig, PostgresStore};

fn main() -> ExitCode {
    harness::main(
        &[
            (
                "a_restarted_server_is_found_again_on_the_next_call",
                a_restarted_server_is_found_again_on_the_next_call,
            ),
            (
                "four_writers_through_ten_server_crashes_lose_and_duplicate_nothing",
                four_writers_through_ten_server_crashes_lose_and_duplicate_nothing,
            ),
        ],
        &[("write", writer_child)],
    )
}

fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "the postgres-tests feature is on but {name} is not set: start the server with \
             `source .ci/postgres.sh && custodia_pg_start`"
        ),
    }
}

fn connect(schema: &str) -> PostgresStore {
    let config = PostgresConfig::new()
        .with_schema(schema)
        .unwrap()
        .with_reconnect_window(Duration::from_secs(60));
    PostgresStore::connect(&env("CUSTODIA_PG_URL"), &config).unwrap()
}

fn fresh_schema(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{}", std::process::id(), nanos)
}

/// Kills every server process and starts the server again (the script `.ci/postgres.sh` wrote).
fn crash_and_restart() {
    let status = Command::new(env("CUSTODIA_PG_CRASH")).status().unwrap();
    assert!(status.success(), "the crash script failed: {status}");
}

fn a_restarted_server_is_found_again_on_the_next_call() {
    let schema = fresh_schema("r");
    let store = connect(&schema);
    let mut log = Log::new(&store).unwrap();
    log.append(&[b"before the crash"]).unwrap();
    crash_and_restart();
    // The first call meets the dead connection and may fail; the one after it must work, without the
    // application building a new store.
    let first = store.size();
    let second = store.size().unwrap();
    assert_eq!(second, 1, "first call after the restart: {first:?}");
    // And an append, which retries across a lost connection by itself, goes through at once.
    crash_and_restart();
    log.append(&[b"after the crash"]).unwrap();
    assert_eq!(store.size().unwrap(), 2);
}

const WRITERS: usize = 4;
const CRASHES: usize = 10;
const BATCH: usize = 5;

/// One writer: appends `batches` batches, retrying each until it is acknowledged, and prints `ACK <batch>`
/// for each acknowledged one. A retry after any error other than a conflict repeats the same payloads,
/// which the log and the store recognise if the failed attempt had committed after all.
fn writer_child(args: &[String]) {
    let [schema, writer, batches] = args else {
        panic!("usage: --child write <schema> <writer> <batches>, got {args:?}");
    };
    let batches: usize = batches.parse().unwrap();
    let mut log = loop {
        match PostgresStore::connect(
            &env("CUSTODIA_PG_URL"),
            &PostgresConfig::new().with_schema(schema).unwrap(),
        )
        .map_err(LedgerError::store)
        .and_then(Log::new)
        {
            Ok(log) => break log,
            // The server may be down this very moment.
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let mut errors = 0u64;
    for batch in 0..batches {
        let payloads: Vec<Vec<u8>> = (0..BATCH)
            .map(|item| format!("writer {writer} batch {batch} item {item}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let started = Instant::now();
        loop {
            // Odd writers use the store's sequencer, even ones the positional append: both must hold.
            let outcome = if writer.parse::<usize>().unwrap() % 2 == 1 {
                log.append_sequenced(&refs)
            } else {
                log.append(&refs)
            };
            match outcome {
                Ok(_) => break,
                Err(LedgerError::Conflict { .. }) => {}
                Err(other) => {
                    errors += 1;
                    assert!(
                        started.elapsed() < Duration::from_secs(120),
                        "writer {writer} batch {batch}: still failing after two minutes: {other}"
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
        println!("ACK {batch}");
    }
    println!("WRITER-DONE {writer} errors={errors}");
}

fn four_writers_through_ten_server_crashes_lose_and_duplicate_nothing() {
    let schema = fresh_schema("c");
    drop(connect(&schema)); // migrate once up front
    // Enough batches that every writer is still appending when the last crash comes.
    let batches = 400;
    let acked: Arc<Mutex<BTreeMap<usize, BTreeSet<usize>>>> = Arc::default();
    let mut children = Vec::new();
    let mut readers = Vec::new();
    for writer in 0..WRITERS {
        let mut child = harness::child(
            "write",
            &[schema.clone(), writer.to_string(), batches.to_string()],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let stdout = child.stdout.take().unwrap();
        let acked = acked.clone();
        readers.push(std::thread::spawn(move || {
            let mut done = None;
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                if let Some(batch) = line.strip_prefix("ACK ") {
                    acked
                        .lock()
                        .unwrap()
                        .entry(writer)
                        .or_default()
                        .insert(batch.parse().unwrap());
                } else if line.starts_with("WRITER-DONE") {
                    done = Some(line);
                }
            }
            done
        }));
        children.push(child);
    }
    let started = Instant::now();
    let mut crashes = 0;
    while crashes < CRASHES {
        std::thread::sleep(Duration::from_millis(700));
        let before: usize = acked.lock().unwrap().values().map(BTreeSet::len).sum();
        crash_and_restart();
        crashes += 1;
        eprintln!("crash {crashes}: {before} batches acknowledged before it");
    }
    for (writer, (child, reader)) in children.into_iter().zip(readers).enumerate() {
        let output = child.wait_with_output().unwrap();
        let done = reader.join().unwrap();
        assert!(
            output.status.success() && done.is_some(),
            "writer {writer} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("{}", done.unwrap_or_default());
    }
    let elapsed = started.elapsed();

    let log = Log::new(connect(&schema)).unwrap();
    let entries = log.store().entries(0..log.size()).unwrap();
    let mut seen: BTreeMap<(usize, usize, usize), u32> = BTreeMap::new();
    for entry in &entries {
        let text = std::str::from_utf8(entry.payload().unwrap()).unwrap();
        let fields: Vec<&str> = text.split(' ').collect();
        let [_, writer, _, batch, _, item] = fields.as_slice() else {
            panic!("unexpected payload {text:?}");
        };
        *seen
            .entry((
                writer.parse().unwrap(),
                batch.parse().unwrap(),
                item.parse().unwrap(),
            ))
            .or_default() += 1;
    }
    let acked = acked.lock().unwrap();
    let mut lost = 0;
    for (writer, batches) in acked.iter() {
        for batch in batches {
            for item in 0..BATCH {
                if !seen.contains_key(&(*writer, *batch, item)) {
                    lost += 1;
                }
            }
        }
    }
    let duplicated: u32 = seen.values().map(|n| n - 1).sum();
    let acknowledged: usize = acked.values().map(BTreeSet::len).sum();
    let signer = common::signer();
    let mut checked = Log::new(log.into_store()).unwrap();
    checked.checkpoint(&signer, signer.name()).unwrap();
    let verified = checked.verify(&common::policy(&signer)).unwrap();
    println!(
        "server crashes: {crashes}; writers: {WRITERS}; batches acknowledged: {acknowledged} of {}; entries: {}; \
         lost: {lost}; duplicated: {duplicated}; log verifies at size {}; {:.1} s",
        WRITERS * batches,
        entries.len(),
        verified.size(),
        elapsed.as_secs_f64()
    );
    assert_eq!(
        acknowledged,
        WRITERS * batches,
        "every batch is acknowledged in the end"
    );
    assert_eq!(lost, 0, "acknowledged entries lost");
    assert_eq!(duplicated, 0, "entries appended twice");
    assert_eq!(entries.len(), WRITERS * batches * BATCH);
}
