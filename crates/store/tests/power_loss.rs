//! Power loss (feature `power-loss-tests`; root, a loop device, ext4 and `xfs_io`): appends acknowledged at `Durability::Full` all survive a power cut, and at `Durability::Normal` some do not, which shows that the test can fail.
//!
//! A process crash (the `crash` test's SIGKILL) cannot tell `synchronous=FULL` from `NORMAL`: the kernel
//! still holds every write the process made. A power cut loses what the kernel held in its page cache and
//! had not yet written to the disk. This test makes one, the way the kernel's own filesystem tests
//! (xfstests' `_scratch_shutdown`) do: the store lives on an ext4 filesystem in a loop-mounted image
//! (journal commit interval 600 s, so nothing reaches the image but what is synced); after the appends,
//! `xfs_io -x -c shutdown` calls the filesystem's shutdown ioctl without flushing its log
//! (`EXT4_GOING_FLAGS_NOLOGFLUSH`), which drops every dirty page and every uncommitted journal
//! transaction at once — the state a disk is left in when the power goes. Then the image is mounted again
//! (the journal replays what was committed) and the store reopened: every append that returned `Ok` must
//! be there at `Full`; at `Normal`, SQLite syncs the WAL only at checkpoints, so the appends since the
//! last one are gone.
//!
//! ```text
//! cargo test -p custodia-store --features power-loss-tests --test power_loss            # both cases
//! cargo test -p custodia-store --features power-loss-tests --test power_loss -- --child expect-no-loss normal
//! ```
//!
//! The second line runs the `Full` case's assertion against `Normal`, and fails: the demonstration that
//! the durability setting is what the test measures. The image is a sparse 64 MiB file in a temporary
//! directory, unmounted and deleted when the test ends, pass or fail.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
// The children of this binary need no `harness::child`: a child is run by hand to show the failure.
#[allow(dead_code)]
mod harness;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use custodia_ledger::{Log, LogStore};
use custodia_store::{Durability, SqliteConfig, SqliteStore};

fn main() -> ExitCode {
    harness::main(
        &[
            (
                "full_durability_loses_no_acknowledged_append_on_power_loss",
                full_durability_loses_no_acknowledged_append_on_power_loss,
            ),
            (
                "normal_durability_loses_acknowledged_appends_on_power_loss",
                normal_durability_loses_acknowledged_appends_on_power_loss,
            ),
        ],
        &[("expect-no-loss", expect_no_loss_child)],
    )
}

/// Appends after the baseline, one entry each (one transaction, so one commit, per append).
const APPENDS: usize = 60;

/// Runs `program args`, panicking with its output if it fails.
fn run(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap_or_else(|error| {
        panic!("cannot run {program}: {error} (the power-loss test needs it installed)")
    });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A loop-mounted ext4 image in a temporary directory; unmounted (and so detached) and deleted on drop.
struct Scratch {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl Scratch {
    fn new() -> Self {
        let uid = Command::new("id").arg("-u").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the power-loss test mounts a filesystem and must run as root"
        );
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("disk.img");
        // Sparse: 64 MiB of address space, a few MiB on the real disk.
        std::fs::File::create(&image).unwrap().set_len(64 << 20).unwrap();
        run("mkfs.ext4", &["-q", "-F", image.to_str().unwrap()]);
        std::fs::create_dir(dir.path().join("mnt")).unwrap();
        let mut scratch = Self { dir, mounted: false };
        scratch.mount();
        scratch
    }

    fn image(&self) -> PathBuf {
        self.dir.path().join("disk.img")
    }

    fn mount_point(&self) -> PathBuf {
        self.dir.path().join("mnt")
    }

    fn mount(&mut self) {
        // A 600 s journal commit interval: nothing reaches the image unless it is synced (or written back
        // after the kernel's 30 s dirty expiry, far longer than the test).
        run(
            "mount",
            &[
                "-t",
                "ext4",
                "-o",
                "loop,commit=600",
                self.image().to_str().unwrap(),
                self.mount_point().to_str().unwrap(),
            ],
        );
        self.mounted = true;
    }

    /// The power cut: the filesystem stops at once, dropping its dirty pages and its unflushed journal.
    fn cut_power(&self) {
        run(
            "xfs_io",
            &["-x", "-c", "shutdown", self.mount_point().to_str().unwrap()],
        );
    }

    fn unmount(&mut self) {
        run("umount", &[self.mount_point().to_str().unwrap()]);
        self.mounted = false;
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.mounted {
            // Best effort (a failing test must still clean up); lazy, so that a leftover open file
            // cannot keep the image mounted.
            let _ = Command::new("umount").arg("-l").arg(self.mount_point()).status();
        }
    }
}

/// What one power cut did: how many appends were acknowledged, and how many entries came back.
#[derive(Debug)]
struct Outcome {
    acknowledged: u64,
    recovered: u64,
}

/// Appends to a store on the scratch filesystem at `durability`, cuts the power, and reopens it.
fn power_cut(durability: Durability) -> Outcome {
    let mut scratch = Scratch::new();
    let path: PathBuf = scratch.mount_point().join("ledger.db");
    let config = SqliteConfig::new().with_durability(durability);
    let store = SqliteStore::open(&path, &config).unwrap();
    let mut log = Log::new(&store).unwrap();
    // The baseline: the schema and a first entry, checkpointed and synced, so that the file exists on
    // the image at either durability and only the appends below are in question.
    log.append(&[b"baseline"]).unwrap();
    store.checkpoint_wal().unwrap();
    run("sync", &["-f", path.to_str().unwrap()]);
    let mut acknowledged = 1u64;
    for n in 0..APPENDS {
        log.append(&[format!("consent c-{n} granted").as_bytes()])
            .unwrap();
        acknowledged += 1;
    }
    scratch.cut_power();
    // The connection goes after the power: what it would write on close never reaches the image.
    drop(log);
    drop(store);
    scratch.unmount();
    scratch.mount();
    let store = SqliteStore::open(&path, &SqliteConfig::new()).unwrap();
    store.check_integrity().unwrap();
    let recovered = store.size().unwrap();
    // Whatever survived is a prefix of what was appended, and the log over it verifies.
    let payloads: Vec<Vec<u8>> = store
        .entries(0..recovered)
        .unwrap()
        .into_iter()
        .map(|e| e.payload().unwrap().to_vec())
        .collect();
    for (n, payload) in payloads.iter().enumerate().skip(1) {
        assert_eq!(payload, format!("consent c-{} granted", n - 1).as_bytes());
    }
    let mut log = Log::new(&store).unwrap();
    let signer = common::signer();
    log.checkpoint(&signer, signer.name()).unwrap();
    assert_eq!(log.verify(&common::policy(&signer)).unwrap().size(), recovered);
    drop(log);
    drop(store);
    scratch.unmount();
    let outcome = Outcome {
        acknowledged,
        recovered,
    };
    println!(
        "power cut at {durability:?}: {} appends acknowledged, {} recovered, {} lost",
        outcome.acknowledged,
        outcome.recovered,
        outcome.acknowledged.saturating_sub(outcome.recovered)
    );
    outcome
}

fn assert_no_loss(outcome: &Outcome, durability: Durability) {
    assert_eq!(
        outcome.recovered,
        outcome.acknowledged,
        "a power cut at {durability:?} lost {} of {} acknowledged appends",
        outcome.acknowledged.saturating_sub(outcome.recovered),
        outcome.acknowledged
    );
}

fn full_durability_loses_no_acknowledged_append_on_power_loss() {
    let outcome = power_cut(Durability::Full);
    assert_no_loss(&outcome, Durability::Full);
}

fn normal_durability_loses_acknowledged_appends_on_power_loss() {
    // The documented cost of Durability::Normal, observed: the same test, the same power cut, and
    // appends the caller was told had succeeded are gone. If this ever passes with nothing lost, the test
    // above no longer proves anything.
    let outcome = power_cut(Durability::Normal);
    assert!(
        outcome.recovered < outcome.acknowledged,
        "a power cut at Normal lost nothing ({outcome:?}): the test cannot tell the durabilities apart"
    );
}

/// `--child expect-no-loss normal|full`: the no-loss assertion at the given durability (it fails at
/// `normal`, which is the point of running it).
fn expect_no_loss_child(args: &[String]) {
    let durability = match args {
        [mode] if mode == "normal" => Durability::Normal,
        [mode] if mode == "full" => Durability::Full,
        _ => panic!("usage: --child expect-no-loss normal|full, got {args:?}"),
    };
    let outcome = power_cut(durability);
    assert_no_loss(&outcome, durability);
}
