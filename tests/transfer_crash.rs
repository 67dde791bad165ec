//! Crash safety of a licence transfer case: every step runs in a child process that is killed (SIGKILL) at random moments, is run again to completion, and the finished case equals an uninterrupted run from a copy of the same onboarded stores — the same final plan, package root, receipt bytes and disposition counts, the same number of ledger entries on both sides (no double notice, no double-counted answer, no extra step), no half package and no half-adopted import.
//!
//! A `harness = false` test binary: the parent re-runs itself as the child (`--child <step> <dir>`), so a
//! child is chosen by its arguments, never by an environment variable. Each kill lands at a random moment
//! of the step's own work (after the child says it began the step, before the time the step took in the
//! uninterrupted run). At least 50 kills land in every run (four or more per step); `CUSTODIA_CRASH_KILLS=<n>` raises the total (it never lowers it), and
//! `CUSTODIA_CRASH_SEED=<n>` replays the kill moments of a failed run (the seed is printed).
//!
//! ```text
//! CUSTODIA_CRASH_KILLS=1000 cargo test --release --test transfer_crash
//! ```

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::{STEPS, Scenario, Step};
use custodia::ledger::LogStore;
use custodia::store::{SqliteConfig, SqliteStore};

const NAME: &str = "every_step_survives_kills_at_random_points";
const CUSTOMERS: u64 = 30;
const SEED: u64 = 5;
/// The fewest kills a run makes, whatever the environment says.
const MIN_KILLS: u64 = 50;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, step, dir, ..] = args.as_slice()
        && flag == "--child"
    {
        return child(step, dir);
    }
    if args.iter().any(|a| a == "--list") {
        println!("{NAME}: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| a == "--ignored")
        || !(filters.is_empty() || filters.iter().any(|f| NAME.contains(f.as_str())))
    {
        println!("running 0 tests");
        return ExitCode::SUCCESS;
    }
    println!("running 1 test");
    let started = Instant::now();
    every_step_survives_kills_at_random_points();
    println!("test {NAME} ... ok ({:.1?})", started.elapsed());
    ExitCode::SUCCESS
}

/// One step of the scenario in `dir`, in this process: what the parent kills.
fn child(step: &str, dir: &str) -> ExitCode {
    let step = Step::from_name(step).unwrap_or_else(|| panic!("no step {step}"));
    let scenario = Scenario {
        dir: PathBuf::from(dir),
        customers: CUSTOMERS,
        seed: SEED,
    };
    // The parent times its kill from here: the moment lands inside the step's own work.
    println!("BEGIN");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    match scenario.run_step(step) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("step {step:?} failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A child running `step` in `dir`, once it has begun the step (its `BEGIN` line read).
fn spawn(step: Step, dir: &Path) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--child", &step.name()])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.as_mut().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    assert_eq!(line.trim(), "BEGIN", "the child did not begin {step:?}");
    child
}

/// Runs `step` in a child to completion; panics with the child's message if it fails. Returns how long the
/// step's own work took (from its `BEGIN` to its exit).
fn complete(step: Step, dir: &Path) -> Duration {
    let child = spawn(step, dir);
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "step {step:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// SplitMix64: the kill moments, reproducible from the printed seed.
struct Moments(u64);

impl Moments {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A moment in `[0, span)`.
    fn within(&mut self, span: Duration) -> Duration {
        let nanos = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX).max(1);
        Duration::from_nanos(self.next() % nanos)
    }
}

fn ledger_size(path: &Path) -> u64 {
    SqliteStore::open(path, &SqliteConfig::new())
        .unwrap()
        .size()
        .unwrap()
}

/// The first ledger entry where two stores differ in kind (ids and times differ between runs; a step's
/// name, a consent record's type and an event's kind do not).
fn first_difference(a: &Path, b: &Path) -> String {
    let open = |p: &Path| SqliteStore::open(p, &SqliteConfig::new()).unwrap();
    let (a, b) = (open(a), open(b));
    let n = a.size().unwrap().max(b.size().unwrap());
    let kind = |s: &SqliteStore, i: u64| -> String {
        let Ok(entries) = s.entries(i..i + 1) else {
            return "none".to_owned();
        };
        let Some(payload) = entries.first().and_then(|e| e.payload()) else {
            return "none".to_owned();
        };
        let text = String::from_utf8_lossy(payload);
        let json = text.split_once('\n').map_or(&*text, |(_, rest)| rest);
        let Ok(value) =
            serde_json::from_str::<serde_json::Value>(json).or_else(|_| serde_json::from_str(&text))
        else {
            return format!("{} bytes", payload.len());
        };
        let pick = |v: &serde_json::Value, k: &str| v.get(k).map(|x| x.to_string()).unwrap_or_default();
        let record = value.get("record");
        format!(
            "{} {} {} {}",
            pick(&value, "kind"),
            pick(&value, "step"),
            record
                .and_then(|r| r.as_object())
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default(),
            record
                .and_then(|r| r.get("event"))
                .map(|e| pick(e, "kind"))
                .unwrap_or_default()
        )
    };
    for i in 0..n {
        let (x, y) = (kind(&a, i), kind(&b, i));
        if x != y {
            return format!("entry {i}: clean {x:?} / crashed {y:?}");
        }
    }
    "none".to_owned()
}

/// Every path under `dir` whose name ends in `.partial`.
fn partials(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".partial") {
            out.push(path);
        }
    }
    out
}

fn every_step_survives_kills_at_random_points() {
    let wanted = std::env::var("CUSTODIA_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        .max(MIN_KILLS);
    let per_step = wanted.div_ceil(STEPS.len() as u64).max(4);
    let seed = std::env::var("CUSTODIA_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("{NAME}: seed {seed} (CUSTODIA_CRASH_SEED={seed} replays it), {per_step} kills per step");
    let mut moments = Moments(seed);

    let dir = tempfile::tempdir().unwrap();
    let base = Scenario::create(&dir.path().join("base"), CUSTOMERS, SEED);

    // The uninterrupted run, one child per step; each step's time bounds its kill moments.
    let clean = base.copy_to(&dir.path().join("clean"));
    let spans: Vec<Duration> = STEPS.iter().map(|step| complete(*step, &clean.dir)).collect();

    // The crashing run: every step killed at random moments, then completed.
    let crashed = base.copy_to(&dir.path().join("crashed"));
    let (mut kills, mut finished_first) = (0u64, 0u64);
    for (step, span) in STEPS.iter().zip(&spans) {
        let mut killed_here = 0;
        let mut attempts = 0;
        while killed_here < per_step && attempts < per_step * 20 {
            attempts += 1;
            let mut child = spawn(*step, &crashed.dir);
            std::thread::sleep(moments.within(*span));
            match child.try_wait().unwrap() {
                None => {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    killed_here += 1;
                }
                // It finished before the moment came: that is a run, not a kill (a failure is a failure).
                Some(status) => {
                    let mut message = String::new();
                    if let Some(mut err) = child.stderr.take() {
                        std::io::Read::read_to_string(&mut err, &mut message).unwrap();
                    }
                    assert!(
                        status.success(),
                        "step {step:?} failed before its kill: {message}"
                    );
                    finished_first += 1;
                }
            }
        }
        kills += killed_here;
        complete(*step, &crashed.dir);
    }
    println!("{NAME}: {kills} kills, {finished_first} runs finished before their kill moment");
    assert!(kills >= MIN_KILLS, "only {kills} kills landed (seed {seed})");

    let (a, b) = (clean.outcome(), crashed.outcome());
    assert_eq!(a.plan, b.plan, "final plan differs (seed {seed})");
    assert_eq!(a.root, b.root, "package root differs (seed {seed})");
    assert_eq!(a.receipt, b.receipt, "receipt differs (seed {seed})");
    assert_eq!(a.disposition, b.disposition, "disposition differs (seed {seed})");
    assert_eq!(a, b, "outcome differs (seed {seed})");
    for side in ["seller.db", "buyer.db"] {
        let (a, b) = (clean.dir.join(side), crashed.dir.join(side));
        assert_eq!(
            ledger_size(&a),
            ledger_size(&b),
            "{side}: a killed step left entries behind or was counted twice (seed {seed}); first difference: {}",
            first_difference(&a, &b)
        );
    }
    assert_eq!(
        std::fs::read(clean.package_path()).unwrap(),
        std::fs::read(crashed.package_path()).unwrap(),
        "the package is not the same bytes (seed {seed})"
    );
    assert!(
        partials(&crashed.dir).is_empty(),
        "left behind: {:?}",
        partials(&crashed.dir)
    );
    let checked = custodia::brokerage::verify_evidence(&crashed.evidence_path()).unwrap();
    assert_eq!(checked.root.to_hex(), b.root);
    let buyer = crashed.buyer(common::day(46)).unwrap();
    let buying = buyer.buyer_case(crashed.agreement().transfer_id()).unwrap();
    assert_eq!(
        buying.spot_check(1000).unwrap(),
        b.imported,
        "the buyer holds another set of customers"
    );
    assert!(buyer.verify_ledger().is_ok());
    assert!(crashed.seller(common::day(46)).unwrap().verify_ledger().is_ok());
}
