//! The fuzz oracles in CI (issue 10): every `cargo fuzz` target's oracle (`fuzz/src/oracles.rs`) replayed on
//! its committed seeds (`fuzz/corpus/<target>/seed-*`) and on a fixed number of deterministic mutations of
//! them — bit flips, byte sets, truncations, deletions, insertions and duplications, stacked. A small,
//! repeatable slice of the long fuzz runs (whose figures are in `fuzz/README.md`): every decoder of outside
//! bytes stays total and its round trips stay byte-exact on every `cargo test`.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../fuzz/src/fixtures.rs"]
mod fixtures;
#[path = "../fuzz/src/oracles.rs"]
mod oracles;

use std::path::Path;

/// Mutants per seed; the fuzz runs do millions, this keeps the debug test suite fast.
const MUTANTS: usize = 2_000;

/// xorshift64*: a fixed, dependency-free sequence, so a failure names a reproducible mutant.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One to four stacked mutations of `seed`. The first byte (a target's tag) is left alone half the time,
/// so each tag's decoder gets its share.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    let keep_tag = rng.below(2) == 0 && !out.is_empty();
    for _ in 0..=rng.below(4) {
        let from = usize::from(keep_tag);
        let len = out.len();
        match rng.below(7) {
            0 if len > from => {
                let at = from + rng.below(len - from);
                out[at] ^= 1 << rng.below(8);
            }
            1 if len > from => {
                let at = from + rng.below(len - from);
                out[at] = rng.next() as u8;
            }
            2 => out.truncate(from + rng.below(len.saturating_sub(from) + 1)),
            3 if len > from => {
                let at = from + rng.below(len - from);
                let n = 1 + rng.below((len - at).min(16));
                out.drain(at..at + n);
            }
            4 => {
                let at = from + rng.below(len.saturating_sub(from) + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            5 if len > from => {
                let at = from + rng.below(len - from);
                let n = 1 + rng.below((len - at).min(32));
                let chunk = out[at..at + n].to_vec();
                out.splice(at..at, chunk);
            }
            _ => {
                // Interesting values where a length or a count is likely: 0, 0xff, 0x7f, 0x80.
                if len > from {
                    let at = from + rng.below(len - from);
                    out[at] = [0x00, 0xff, 0x7f, 0x80][rng.below(4)];
                }
            }
        }
    }
    out
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no seeds for {target}");
    paths.into_iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn replay(target: &str, oracle: fn(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for (n, seed) in seeds(target).iter().enumerate() {
        oracle(seed);
        for m in 0..MUTANTS {
            let mutant = mutate(&mut rng, seed);
            let result = std::panic::catch_unwind(|| oracle(&mutant));
            assert!(
                result.is_ok(),
                "{target}: seed {n} mutant {m} is a finding; input (hex): {}",
                mutant.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
        }
    }
}

#[test]
fn sealed_sections() {
    replay("sealed_section", oracles::sealed_section::run);
}

#[test]
fn wrapped_keys() {
    replay("wrapped_key", oracles::wrapped_key::run);
}

#[test]
fn sealed_transfer_keys() {
    replay("sealed_transfer_key", oracles::sealed_transfer_key::run);
}

#[test]
fn notes_and_checkpoints() {
    replay("checkpoint", oracles::checkpoint::run);
}

#[test]
fn inclusion_and_consistency_proofs() {
    replay("proofs", oracles::proofs::run);
}

#[test]
fn consent_payloads_and_receipts() {
    replay("consent", oracles::consent::run);
}

#[test]
fn retention_profiles() {
    replay("retention_profile", oracles::retention_profile::run);
}

#[test]
fn transfer_packages() {
    replay("transfer_package", oracles::transfer_package::run);
}

#[test]
fn agreements_and_receipts() {
    replay("transfer_agreement", oracles::transfer_agreement::run);
}

#[test]
fn the_mutator_is_deterministic_and_changes_things() {
    let seed = b"custodia seed bytes".to_vec();
    let (mut a, mut b) = (Rng(7), Rng(7));
    let changed = (0..100)
        .filter(|_| {
            let (x, y) = (mutate(&mut a, &seed), mutate(&mut b, &seed));
            assert_eq!(x, y);
            x != seed
        })
        .count();
    assert!(changed > 80, "{changed} of 100 mutants differ from the seed");
}
