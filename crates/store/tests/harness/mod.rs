//! A minimal test runner for the `harness = false` test binaries whose tests re-run the binary as child processes.
//!
//! Each such binary's `main` calls [`main`] with its tests and its child entry points. A child is chosen
//! by the first argument (`--child <name> …`), never by an environment variable, so no test can pass
//! because a variable is unset: without `--child`, the binary runs its tests. Like libtest, positional
//! arguments filter the tests by substring (`--exact` for whole names), `--list` lists them, and
//! `--ignored` runs none (there are no ignored tests); other libtest flags (`--nocapture`,
//! `--test-threads`, …) are accepted and have nothing to change.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, ExitCode};

/// The flag that makes the binary run one child entry point instead of its tests.
pub const CHILD: &str = "--child";

/// A command that runs child entry point `name` of this very binary with `args`.
pub fn child(name: &str, args: &[String]) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.arg(CHILD).arg(name).args(args);
    command
}

/// A test: its name and its body, which panics on failure.
pub type Test = (&'static str, fn());

/// A child entry point: its name and its body, given the arguments after the name.
pub type Child = (&'static str, fn(&[String]));

/// Runs the child named on the command line, or else the tests the command line selects.
pub fn main(tests: &[Test], children: &[Child]) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, name, rest @ ..] = args.as_slice()
        && flag == CHILD
    {
        let Some((_, entry)) = children.iter().find(|(n, _)| n == name) else {
            eprintln!("no child entry point {name:?}");
            return ExitCode::FAILURE;
        };
        entry(rest);
        return ExitCode::SUCCESS;
    }
    // libtest options that take their value as the next argument: the value is not a filter.
    const WITH_VALUE: [&str; 6] = [
        "--test-threads",
        "--skip",
        "--format",
        "--color",
        "--logfile",
        "-Z",
    ];
    let exact = args.iter().any(|a| a == "--exact");
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            if let Some(value) = rest.next()
                && arg == "--skip"
            {
                skips.push(value.as_str());
            }
        } else if !arg.starts_with('-') {
            filters.push(arg.as_str());
        }
    }
    let matches = |name: &str, pattern: &str| {
        if exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    let selected: Vec<&Test> = tests
        .iter()
        .filter(|(name, _)| {
            !args.iter().any(|a| a == "--ignored")
                && (filters.is_empty() || filters.iter().any(|f| matches(name, f)))
                && !skips.iter().any(|s| matches(name, s))
        })
        .collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &selected {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let plural = if selected.len() == 1 { "" } else { "s" };
    println!("\nrunning {} test{plural}", selected.len());
    for (name, test) in &selected {
        // A failing test panics: the panic message is the report, and the exit code fails the run.
        test();
        println!("test {name} ... ok");
    }
    println!(
        "\ntest result: ok. {} passed; 0 failed; 0 ignored; 0 measured; {} filtered out\n",
        selected.len(),
        tests.len() - selected.len()
    );
    ExitCode::SUCCESS
}
