//! Sealed sections, DEK wrapping and blind indexes against raw `ring` doing the same work, in the same run.
//!
//! Each group holds the custodia call and its raw baseline side by side, so their ratio is immune to the
//! drift of a shared machine:
//!
//! - `seal_256B`, `seal_4KiB`, `open_256B`, `open_4KiB`: per-customer key setup included on both sides —
//!   open the customer's wrapped DEK under the KEK (AES-256-GCM, 56-byte AAD), expand the DEK's AES key
//!   schedule (`UnboundKey::new`), then seal (fresh 96-bit nonce, 61-byte AAD, header + ciphertext + tag in
//!   one new buffer) or open (copy, authenticate, decrypt). The raw side's nonce is a counter: the cheapest
//!   nonce there is, so the baseline is never slowed by randomness custodia does differently.
//! - `wrap_dek`, `unwrap_dek`: `Keyring::wrap` / `Keyring::unwrap` against one raw ring seal / open of 32
//!   bytes under the KEK with the same AAD length. `unwrap_dek` also shows the raw open plus the AES key
//!   schedule, because `Keyring::unwrap` returns a data key ready to seal with.
//! - `blind_index`: `BlindIndexer::index` of an 18-character resident identity number (normalization
//!   included) against raw HMAC-SHA256 of the same bytes.
//!
//! `cargo bench --bench crypto`; `CUSTODIA_BENCH_SMOKE=1` for a token run.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia::crypto::{
    BlindIndexConfig, BlindIndexField, BlindIndexer, Keyring, KeyringConfig, open_section, seal_section,
};
use custodia::model::{CustomerId, DataCategory};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;

/// Wrap AAD length in custodia: label (20) + customer (16) + DEK id (16) + KEK version (4).
const WRAP_AAD_LEN: usize = 56;
/// Section AAD length in custodia: label (19) + version (1) + customer (16) + category (1) + record
/// version (8) + DEK id (16).
const SECTION_AAD_LEN: usize = 61;
/// Section header: format version (1) + DEK id (16) + nonce (12).
const HEADER_LEN: usize = 29;
const TAG_LEN: usize = 16;

/// The raw side's state: a KEK, one wrapped DEK (48 bytes: key + tag) and a nonce counter.
struct Raw {
    kek: LessSafeKey,
    wrapped: [u8; 48],
    wrap_nonce: [u8; 12],
    customer: [u8; 16],
    dek_id: [u8; 16],
    counter: u64,
}

impl Raw {
    fn new() -> Self {
        let kek = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
        let mut raw = Raw {
            kek,
            wrapped: [0; 48],
            wrap_nonce: [1; 12],
            customer: [3; 16],
            dek_id: [4; 16],
            counter: 0,
        };
        let aad = raw.wrap_aad();
        let mut buf = [0u8; 48];
        buf[..32].copy_from_slice(&[9u8; 32]);
        let (body, tag_out) = buf.split_at_mut(32);
        let tag = raw
            .kek
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(raw.wrap_nonce),
                Aad::from(&aad),
                body,
            )
            .unwrap();
        tag_out.copy_from_slice(tag.as_ref());
        raw.wrapped = buf;
        raw
    }

    fn wrap_aad(&self) -> [u8; WRAP_AAD_LEN] {
        let mut aad = [0u8; WRAP_AAD_LEN];
        aad[..20].copy_from_slice(b"custodia/dek-wrap/v1");
        aad[20..36].copy_from_slice(&self.customer);
        aad[36..52].copy_from_slice(&self.dek_id);
        aad[52..].copy_from_slice(&1u32.to_be_bytes());
        aad
    }

    fn section_aad(&self, record_version: u64) -> [u8; SECTION_AAD_LEN] {
        let mut aad = [0u8; SECTION_AAD_LEN];
        aad[..19].copy_from_slice(b"custodia/section/v1");
        aad[19] = 1;
        aad[20..36].copy_from_slice(&self.customer);
        aad[36] = 2;
        aad[37..45].copy_from_slice(&record_version.to_be_bytes());
        aad[45..].copy_from_slice(&self.dek_id);
        aad
    }

    fn next_nonce(&mut self) -> [u8; 12] {
        self.counter += 1;
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.counter.to_be_bytes());
        nonce
    }

    /// Opens the wrapped DEK and expands its key schedule: the per-customer key setup.
    fn key_setup(&self) -> LessSafeKey {
        let mut buf = self.wrapped;
        let aad = self.wrap_aad();
        let key = self
            .kek
            .open_in_place(
                Nonce::assume_unique_for_key(self.wrap_nonce),
                Aad::from(&aad),
                &mut buf,
            )
            .unwrap();
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap())
    }

    fn seal(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let key = self.key_setup();
        let nonce = self.next_nonce();
        let aad = self.section_aad(1);
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(1);
        out.extend_from_slice(&self.dek_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut out[HEADER_LEN..],
            )
            .unwrap();
        out.extend_from_slice(tag.as_ref());
        out
    }

    fn open(&self, sealed: &[u8]) -> Vec<u8> {
        let key = self.key_setup();
        let aad = self.section_aad(1);
        let nonce: [u8; 12] = sealed[17..HEADER_LEN].try_into().unwrap();
        let mut buf = sealed[HEADER_LEN..].to_vec();
        let len = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), &mut buf)
            .unwrap()
            .len();
        buf.truncate(len);
        buf
    }

    fn wrap(&mut self, dek: &[u8; 32]) -> [u8; 48] {
        let nonce = self.next_nonce();
        let aad = self.wrap_aad();
        let mut buf = [0u8; 48];
        let (body, tag_out) = buf.split_at_mut(32);
        body.copy_from_slice(dek);
        let tag = self
            .kek
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&aad), body)
            .unwrap();
        tag_out.copy_from_slice(tag.as_ref());
        buf
    }

    fn unwrap_key(&self) -> [u8; 32] {
        let mut buf = self.wrapped;
        let aad = self.wrap_aad();
        let key = self
            .kek
            .open_in_place(
                Nonce::assume_unique_for_key(self.wrap_nonce),
                Aad::from(&aad),
                &mut buf,
            )
            .unwrap();
        key.try_into().unwrap()
    }
}

fn sections(c: &mut Criterion) {
    let keyring = Keyring::derive_from_master(&[3; 32], 1, KeyringConfig::default()).unwrap();
    let customer = CustomerId::new_v7();
    let (_, wrapped) = keyring.generate_dek(customer).unwrap();
    let category = DataCategory::Health;
    let mut raw = Raw::new();
    for (name, len) in [("256B", 256usize), ("4KiB", 4096)] {
        let plaintext = vec![0x5a; len];

        let mut group = c.benchmark_group(format!("seal_{name}"));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function("custodia", |b| {
            b.iter(|| {
                let dek = keyring.unwrap(black_box(&wrapped)).unwrap();
                seal_section(&dek, customer, category, 1, black_box(&plaintext)).unwrap()
            })
        });
        group.bench_function("raw_ring", |b| b.iter(|| raw.seal(black_box(&plaintext))));
        group.finish();
        support::paired(
            &format!("seal_{name}"),
            101,
            support::batch(1000, || {
                let dek = keyring.unwrap(black_box(&wrapped)).unwrap();
                black_box(seal_section(&dek, customer, category, 1, black_box(&plaintext)).unwrap());
            }),
            support::batch(1000, || {
                black_box(raw.seal(black_box(&plaintext)));
            }),
        );

        let dek = keyring.unwrap(&wrapped).unwrap();
        let sealed = seal_section(&dek, customer, category, 1, &plaintext).unwrap();
        drop(dek);
        let raw_sealed = raw.seal(&plaintext);
        assert_eq!(raw.open(&raw_sealed), plaintext);
        assert_eq!(sealed.as_bytes().len(), raw_sealed.len());

        let mut group = c.benchmark_group(format!("open_{name}"));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function("custodia", |b| {
            b.iter(|| {
                let dek = keyring.unwrap(black_box(&wrapped)).unwrap();
                open_section(&dek, customer, category, 1, black_box(&sealed)).unwrap()
            })
        });
        group.bench_function("raw_ring", |b| b.iter(|| raw.open(black_box(&raw_sealed))));
        group.finish();
        support::paired(
            &format!("open_{name}"),
            101,
            support::batch(1000, || {
                let dek = keyring.unwrap(black_box(&wrapped)).unwrap();
                black_box(open_section(&dek, customer, category, 1, black_box(&sealed)).unwrap());
            }),
            support::batch(1000, || {
                black_box(raw.open(black_box(&raw_sealed)));
            }),
        );
    }
}

fn dek_wrapping(c: &mut Criterion) {
    let keyring = Keyring::derive_from_master(&[3; 32], 1, KeyringConfig::default()).unwrap();
    let (dek, wrapped) = keyring.generate_dek(CustomerId::new_v7()).unwrap();
    let mut raw = Raw::new();
    let raw_dek = [9u8; 32];
    assert_eq!(raw.unwrap_key(), raw_dek);

    let mut group = c.benchmark_group("wrap_dek");
    group.bench_function("custodia", |b| b.iter(|| keyring.wrap(black_box(&dek)).unwrap()));
    group.bench_function("raw_ring", |b| b.iter(|| raw.wrap(black_box(&raw_dek))));
    group.finish();
    support::paired(
        "wrap_dek",
        101,
        support::batch(1000, || {
            black_box(keyring.wrap(black_box(&dek)).unwrap());
        }),
        support::batch(1000, || {
            black_box(raw.wrap(black_box(&raw_dek)));
        }),
    );

    let mut group = c.benchmark_group("unwrap_dek");
    group.bench_function("custodia", |b| {
        b.iter(|| keyring.unwrap(black_box(&wrapped)).unwrap())
    });
    group.bench_function("raw_ring", |b| b.iter(|| black_box(&raw).unwrap_key()));
    group.bench_function("raw_ring_with_key_schedule", |b| {
        b.iter(|| black_box(&raw).key_setup())
    });
    group.finish();
    support::paired(
        "unwrap_dek",
        101,
        support::batch(1000, || {
            black_box(keyring.unwrap(black_box(&wrapped)).unwrap());
        }),
        support::batch(1000, || {
            black_box(black_box(&raw).unwrap_key());
        }),
    );
    support::paired(
        "unwrap_dek_vs_key_schedule",
        101,
        support::batch(1000, || {
            black_box(keyring.unwrap(black_box(&wrapped)).unwrap());
        }),
        support::batch(1000, || {
            black_box(black_box(&raw).key_setup());
        }),
    );
}

fn blind_index(c: &mut Criterion) {
    let indexer = BlindIndexer::new(
        &[0x17; 32],
        BlindIndexConfig::for_population(1_000_000, 3).unwrap(),
    )
    .unwrap();
    let raw_key = hmac::Key::new(hmac::HMAC_SHA256, &[0x17; 32]);
    // A valid GB 11643 number, already normalized, so both sides hash the same 18 bytes.
    let id = "11010519491231002X";
    let mut group = c.benchmark_group("blind_index");
    group.bench_function("custodia", |b| {
        b.iter(|| {
            indexer
                .index(BlindIndexField::IdentityNumber, black_box(id))
                .unwrap()
        })
    });
    group.bench_function("raw_hmac_sha256", |b| {
        b.iter(|| hmac::sign(&raw_key, black_box(id.as_bytes())))
    });
    group.finish();
    support::paired(
        "blind_index",
        101,
        support::batch(1000, || {
            black_box(
                indexer
                    .index(BlindIndexField::IdentityNumber, black_box(id))
                    .unwrap(),
            );
        }),
        support::batch(1000, || {
            black_box(hmac::sign(&raw_key, black_box(id.as_bytes())));
        }),
    );
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = sections, dek_wrapping, blind_index
}
criterion_main!(benches);
