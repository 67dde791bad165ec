//! The architecture invariants that a machine can check (rust-analyzer's "tidy" test): the layer picture of
//! `ARCHITECTURE.md` read from `cargo metadata`, no printing in libraries, randomness and AEAD only in
//! custodia-crypto, databases only in custodia-store, a `//!` line atop every source file, no silenced argument
//! counts, and no ignored or panic-expecting tests.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The layer picture of `ARCHITECTURE.md`: for each workspace crate, the workspace crates it may depend on as a
/// normal (or build) dependency. A crate missing here fails the test, so a new crate must take its place in the
/// picture first. Dev-dependencies are free (tests and examples sit on top of everything), except that nothing
/// depends on the test kit `custodia-synthetic` other than as a dev-dependency.
const LAYERS: &[(&str, &[&str])] = &[
    ("custodia-model", &[]),
    ("custodia-crypto", &["custodia-model"]),
    ("custodia-ledger", &["custodia-model", "custodia-crypto"]),
    (
        "custodia-conformance",
        &["custodia-model", "custodia-crypto", "custodia-ledger"],
    ),
    ("custodia-consent", &["custodia-model", "custodia-ledger"]),
    // Retention verifies a destruction plan's signed approvals with custodia-access (issue 17).
    (
        "custodia-retention",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-access",
        ],
    ),
    (
        "custodia-transfer",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-consent",
            "custodia-retention",
        ],
    ),
    (
        "custodia-rights",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-consent",
            "custodia-retention",
        ],
    ),
    (
        "custodia-access",
        &["custodia-model", "custodia-crypto", "custodia-ledger"],
    ),
    (
        "custodia-store",
        &["custodia-model", "custodia-crypto", "custodia-ledger"],
    ),
    // Oversight (incidents, assessments, audits, records of processing): pure rules over the model, the
    // consent policy and the retention profile.
    (
        "custodia-oversight",
        &["custodia-model", "custodia-consent", "custodia-retention"],
    ),
    // The application layer: it composes everything below it, and only the facade, the CLI and the service
    // may depend on it.
    (
        "custodia-brokerage",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-consent",
            "custodia-retention",
            "custodia-transfer",
            "custodia-rights",
            "custodia-store",
            "custodia-access",
            "custodia-oversight",
        ],
    ),
    (
        "custodia-synthetic",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-consent",
            "custodia-retention",
            "custodia-transfer",
            "custodia-access",
            "custodia-oversight",
        ],
    ),
    // The operator CLI: a program over the brokerage (and the domain crates' public types it renders; the
    // access crate's principals and signed approvals, which an approver signs with their own key; the
    // oversight crate's impact assessments, which an officer writes as JSON; the rights crate's requests and
    // answers, which the desk builds).
    (
        "custodia-cli",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-consent",
            "custodia-transfer",
            "custodia-access",
            "custodia-oversight",
            "custodia-rights",
            "custodia-brokerage",
        ],
    ),
    // The HTTP service: a program and a library over the brokerage, like the CLI (the access crate's
    // principals its tokens are bound to; the rights and oversight crates' lists its pages render; the
    // consent and transfer crates' events, notices and notice wording its customer pages show).
    (
        "custodia-service",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-consent",
            "custodia-transfer",
            "custodia-access",
            "custodia-rights",
            "custodia-oversight",
            "custodia-brokerage",
        ],
    ),
    (
        "custodia",
        &[
            "custodia-model",
            "custodia-crypto",
            "custodia-ledger",
            "custodia-consent",
            "custodia-retention",
            "custodia-transfer",
            "custodia-rights",
            "custodia-access",
            "custodia-oversight",
            "custodia-store",
            "custodia-brokerage",
        ],
    ),
];

/// Crates that are programs, not libraries: they may print (they render for a person).
const PROGRAMS: &[&str] = &["custodia-cli"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, skipping build output.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != ".git" && name != "corpus" && name != "artifacts" {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Source text with line comments and doc comments removed, so that a rule quoted in a doc comment (like the
/// ones in this file) does not trip the check.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(n, line)| {
        let code = line.split("//").next().unwrap_or("");
        (!code.trim().is_empty()).then_some((n + 1, code))
    })
}

struct Package {
    name: String,
    /// The directory holding its `Cargo.toml`.
    dir: PathBuf,
    /// Normal and build dependencies inside the workspace.
    deps: BTreeSet<String>,
}

fn workspace_packages() -> Vec<Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let names: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    packages
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().expect("manifest path"));
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.contains(*d))
                .map(str::to_owned)
                .collect();
            Package {
                name: p["name"].as_str().expect("name").to_owned(),
                dir: manifest.parent().expect("manifest dir").to_path_buf(),
                deps,
            }
        })
        .collect()
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let layers: BTreeMap<&str, BTreeSet<&str>> = LAYERS
        .iter()
        .map(|(name, allowed)| (*name, allowed.iter().copied().collect()))
        .collect();
    let mut wrong = Vec::new();
    for package in workspace_packages() {
        let Some(allowed) = layers.get(package.name.as_str()) else {
            wrong.push(format!(
                "{} is not in the layer picture (tests/tidy.rs LAYERS, ARCHITECTURE.md)",
                package.name
            ));
            continue;
        };
        for dep in &package.deps {
            if !allowed.contains(dep.as_str()) {
                wrong.push(format!(
                    "{} depends on {dep}, which the layer picture forbids",
                    package.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}

/// The library sources of the workspace: `src/` of every package but the programs, without `src/bin` and
/// `src/main.rs`.
fn library_sources() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for package in workspace_packages() {
        if PROGRAMS.contains(&package.name.as_str()) {
            continue;
        }
        for file in rust_files(&package.dir.join("src")) {
            let relative = file.strip_prefix(&package.dir).unwrap_or(&file).to_path_buf();
            if relative.starts_with("src/bin") || relative == Path::new("src/main.rs") {
                continue;
            }
            // The root package's src/ is the facade; the member crates' own src/ are listed under their names.
            out.push((package.name.clone(), file));
        }
    }
    out
}

fn offences(files: &[(String, PathBuf)], patterns: &[&str], allowed_in: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (package, file) in files {
        if allowed_in.contains(&package.as_str()) {
            continue;
        }
        let text = fs::read_to_string(file).expect("source is UTF-8");
        for (line, code) in code_lines(&text) {
            for pattern in patterns {
                if code.contains(pattern) {
                    found.push(format!("{}:{line}: {pattern}", file.display()));
                }
            }
        }
    }
    found
}

#[test]
fn libraries_print_nothing() {
    let found = offences(
        &library_sources(),
        &["println!", "eprintln!", "print!(", "eprint!(", "dbg!("],
        &[],
    );
    assert!(
        found.is_empty(),
        "library code prints (progress goes through the callback):\n{}",
        found.join("\n")
    );
}

#[test]
fn randomness_and_aead_only_in_crypto() {
    let found = offences(
        &library_sources(),
        &["ring::aead", "ring::rand", "hpke::", "getrandom"],
        &["custodia-crypto"],
    );
    assert!(
        found.is_empty(),
        "randomness or AEAD outside custodia-crypto:\n{}",
        found.join("\n")
    );
}

#[test]
fn databases_only_in_store() {
    let found = offences(
        &library_sources(),
        &["rusqlite", "postgres::"],
        &["custodia-store"],
    );
    assert!(
        found.is_empty(),
        "a database crate outside custodia-store:\n{}",
        found.join("\n")
    );
}

/// Every Rust file of the repository, outside build output.
fn all_sources() -> Vec<PathBuf> {
    rust_files(&root())
}

#[test]
fn every_source_file_opens_with_a_module_doc_line() {
    let missing: Vec<String> = all_sources()
        .into_iter()
        .filter(|f| !fs::read_to_string(f).is_ok_and(|t| t.starts_with("//!")))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files that do not open with `//!`:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_silenced_argument_counts_and_no_ignored_or_panic_expecting_tests() {
    // Spelled in pieces so that this file does not find itself.
    let patterns = [
        concat!("too_many", "_arguments"),
        concat!("#[", "ignore"),
        concat!("should", "_panic"),
    ];
    let mut found = Vec::new();
    for file in all_sources() {
        let text = fs::read_to_string(&file).expect("source is UTF-8");
        for (line, code) in code_lines(&text) {
            for pattern in &patterns {
                if code.contains(pattern) {
                    found.push(format!("{}:{line}: {pattern}", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "found:\n{}", found.join("\n"));
}
