//! Rough speed check of sealing against raw ring, as ratios in one run (the criterion benches at the
//! workspace root are the measurement of record). Run with
//! `cargo run --release -p custodia-crypto --example seal_speed [iterations]` (default 50 000; use
//! 1 000 000 for steadier numbers).
//!
//! Both sides do the same per-customer key setup: open the customer's wrapped DEK under a KEK with
//! AES-256-GCM, expand the DEK's AES key schedule, then seal one section with a fresh nonce.

use std::hint::black_box;
use std::time::{Duration, Instant};

use custodia_crypto::{CryptoError, Keyring, KeyringConfig, seal_section};
use custodia_model::{CustomerId, DataCategory};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

fn custodia(keyring: &Keyring, customer: CustomerId, plaintext: &[u8], n: u64) -> Duration {
    let (_, wrapped) = keyring.generate_dek(customer).unwrap_or_else(|e| fail(e));
    let start = Instant::now();
    for v in 0..n {
        let dek = keyring.unwrap(&wrapped).unwrap_or_else(|e| fail(e));
        let sealed =
            seal_section(&dek, customer, DataCategory::Health, v, plaintext).unwrap_or_else(|e| fail(e));
        black_box(sealed);
    }
    start.elapsed()
}

fn raw_ring(plaintext: &[u8], n: u64) -> Duration {
    let kek = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap_or_else(|_| fail(CryptoError::Random)),
    );
    let mut wrapped = vec![9u8; 32];
    let wrap_aad = [1u8; 56];
    kek.seal_in_place_append_tag(
        Nonce::assume_unique_for_key([1; 12]),
        Aad::from(&wrap_aad[..]),
        &mut wrapped,
    )
    .unwrap_or_else(|_| fail(CryptoError::Random));
    let aad = [2u8; 61];
    let start = Instant::now();
    for v in 0..n {
        let mut dek = wrapped.clone();
        let key_bytes = kek
            .open_in_place(
                Nonce::assume_unique_for_key([1; 12]),
                Aad::from(&wrap_aad[..]),
                &mut dek,
            )
            .unwrap_or_else(|_| fail(CryptoError::DecryptionFailed));
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, key_bytes).unwrap_or_else(|_| fail(CryptoError::Random)),
        );
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&v.to_be_bytes());
        let mut out = Vec::with_capacity(29 + plaintext.len() + 16);
        out.extend_from_slice(&[1u8; 29]);
        out.extend_from_slice(plaintext);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                &mut out[29..],
            )
            .unwrap_or_else(|_| fail(CryptoError::Random));
        out.extend_from_slice(tag.as_ref());
        black_box(out);
    }
    start.elapsed()
}

fn fail(e: CryptoError) -> ! {
    eprintln!("seal_speed: {e}");
    std::process::exit(1)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    // `only custodia|raw SIZE` runs one side alone, for `perf stat` instruction counts on a busy machine.
    let only = std::env::args().nth(2);
    let only_size: usize = std::env::args()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let keyring =
        Keyring::derive_from_master(&[3; 32], 1, KeyringConfig::default()).unwrap_or_else(|e| fail(e));
    let customer = CustomerId::new_v7();
    match only.as_deref() {
        Some("custodia") => {
            let d = custodia(&keyring, customer, &vec![0x5a; only_size], n);
            println!("custodia {:.0} ns/seal", d.as_nanos() as f64 / n as f64);
            return;
        }
        Some("raw") => {
            let d = raw_ring(&vec![0x5a; only_size], n);
            println!("raw ring {:.0} ns/seal", d.as_nanos() as f64 / n as f64);
            return;
        }
        _ => {}
    }
    // Alternate short batches of both sides and report the median of the per-round ratios, so that a
    // busy machine slows both sides alike.
    const ROUNDS: usize = 101;
    let batch = (n / ROUNDS as u64).max(100);
    for size in [256usize, 4096] {
        let plaintext = vec![0x5a; size];
        custodia(&keyring, customer, &plaintext, batch);
        raw_ring(&plaintext, batch);
        let mut ratios = Vec::with_capacity(ROUNDS);
        let (mut ours_total, mut raw_total) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..ROUNDS {
            let ours = custodia(&keyring, customer, &plaintext, batch);
            let raw = raw_ring(&plaintext, batch);
            ours_total += ours;
            raw_total += raw;
            ratios.push(raw.as_secs_f64() / ours.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        let per = |d: Duration| d.as_nanos() as f64 / (ROUNDS as u64 * batch) as f64;
        println!(
            "{size:>5} B: custodia {:>6.0} ns/seal, raw ring {:>6.0} ns/seal, median ratio (raw/custodia) {:.2}",
            per(ours_total),
            per(raw_total),
            ratios[ROUNDS / 2]
        );
    }
}
