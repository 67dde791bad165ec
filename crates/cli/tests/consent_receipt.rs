//! `verify consent-receipt`: the shipped consent-receipt vectors (spec/vectors/consent) verify offline with
//! the consent log's public key alone, and a copy with any one byte flipped — every byte of a real receipt —
//! is refused with exit 1, as is a receipt checked against another log's key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::cli;
use predicates::prelude::*;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors")
}

fn vkey(name: &str) -> String {
    let keys: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors().join("keys.json")).unwrap()).unwrap();
    keys[name]["vkey"].as_str().unwrap().to_owned()
}

fn receipts() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(vectors().join("consent"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("receipt-") && n.ends_with(".json"))
        })
        .collect();
    all.sort();
    all
}

#[test]
fn the_shipped_receipts_verify_with_the_consent_log_key() {
    let files = receipts();
    assert!(files.len() >= 2, "{files:?}");
    let out = cli()
        .args([
            "--json",
            "verify",
            "consent-receipt",
            "--vkey",
            &vkey("consent_log"),
        ])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.as_array().unwrap().len(), files.len());
    for r in results.as_array().unwrap() {
        assert_eq!(r["verified"], true, "{r}");
        assert_eq!(r["origin"], "vectors.example/consent");
        assert!(r["event"].as_str().is_some_and(|e| e.len() == 36), "{r}");
    }
    // Human output names each file.
    cli()
        .args(["verify", "consent-receipt", "--vkey", &vkey("consent_log")])
        .arg(&files[0])
        .assert()
        .success()
        .stdout(predicate::str::contains("verifies"));
    // Another log's key (the ledger's, a witness's): refused.
    for other in ["ledger_log", "witness"] {
        cli()
            .args(["verify", "consent-receipt", "--vkey", &vkey(other)])
            .arg(&files[0])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("verification failed"));
    }
    // Not a key; not a receipt.
    cli()
        .args(["verify", "consent-receipt", "--vkey", "not a vkey"])
        .arg(&files[0])
        .assert()
        .code(3);
    cli()
        .args(["verify", "consent-receipt", "--vkey", &vkey("consent_log")])
        .arg(vectors().join("keys.json"))
        .assert()
        .code(1);
}

#[test]
fn every_flipped_byte_of_a_real_receipt_is_refused() {
    let original = std::fs::read(&receipts()[0]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..original.len())
        .map(|at| {
            let mut flipped = original.clone();
            flipped[at] ^= 0x01;
            let path = dir.path().join(format!("flipped-{at:05}.json"));
            std::fs::write(&path, &flipped).unwrap();
            path
        })
        .collect();
    // One run over every copy (thousands of files): each is reported, and the run fails.
    let out = cli()
        .args([
            "--json",
            "verify",
            "consent-receipt",
            "--vkey",
            &vkey("consent_log"),
        ])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), original.len());
    let passed: Vec<&serde_json::Value> = results.iter().filter(|r| r["verified"] != false).collect();
    assert!(passed.is_empty(), "flipped copies that verify: {passed:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(
        "{} of {} do not verify",
        original.len(),
        original.len()
    )));
}
