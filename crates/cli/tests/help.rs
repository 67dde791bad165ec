//! `--help` of every command, compared with `tests/snapshots/help.txt`; every leaf command shows an example.
//!
//! The commands are discovered from the help itself (each "Commands:" section, recursively), so a new command
//! is in the snapshot without anyone listing it. To accept a deliberate change, regenerate the file with
//! `CUSTODIA_UPDATE_SNAPSHOTS=1 cargo test -p custodia-cli --test help` and review the diff. Without that
//! variable the test compares, and fails on any difference or a missing file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

fn help(path: &[String]) -> String {
    let out = common::cli().args(path).arg("--help").output().unwrap();
    assert!(out.status.success(), "custodia {path:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommand names of a help text's "Commands:" section (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn walk(path: Vec<String>, out: &mut String, leaves: &mut Vec<(String, String)>) {
    let text = help(&path);
    out.push_str(&format!("===== custodia {} --help\n{text}\n", path.join(" ")));
    let children = subcommands(&text);
    if children.is_empty() {
        leaves.push((path.join(" "), text));
    }
    for child in children {
        let mut next = path.clone();
        next.push(child);
        walk(next, out, leaves);
    }
}

#[test]
fn help_of_every_command_matches_the_snapshot_and_shows_an_example() {
    let (mut all, mut leaves) = (String::new(), Vec::new());
    walk(Vec::new(), &mut all, &mut leaves);
    assert!(leaves.len() >= 25, "only {} commands found", leaves.len());
    for (path, text) in &leaves {
        assert!(
            text.contains("Example"),
            "custodia {path} --help shows no example"
        );
    }
    let top = help(&[]);
    assert!(top.contains("Exit codes:") && top.contains("--now <RFC3339>"));
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/help.txt");
    if std::env::var_os("CUSTODIA_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&file, &all).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|_| {
        panic!(
            "{} is missing; regenerate it (see this file's docs)",
            file.display()
        )
    });
    assert!(
        expected == all,
        "--help differs from {}; regenerate it (see this file's docs) and review the diff",
        file.display()
    );
}
