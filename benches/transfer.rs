//! The licence transfer's data path: `package` (seller) and `import` (buyer) at 10⁴ and 10⁵ customers with
//! one sealed section each of 256 B or 4 KiB, against raw SHA-256 plus a write of the same section bytes.
//!
//! - `package` streams a signed package into memory: per customer, the stored section is read, its DEK is
//!   re-wrapped from the seller's KEK to the transfer key, the entry is written and hashed into the RFC 9162
//!   manifest. `raw_package` does, per customer, one `ring::digest` SHA-256 over the same sealed bytes and
//!   appends them to a buffer.
//! - `import` reads that package back and verifies everything (HPKE open of the transfer key, every DEK
//!   unwrapped, every section opened — the default `SectionCheck::All` — manifest root and the seller's
//!   signature), appending sections to a buffer and re-wrapped keys to a fresh in-memory key store.
//!   `raw_import` reads the raw bytes back section by section, SHA-256 over each, appending it to a buffer.
//!
//! The target (≥ 0.6) is on `(raw_package + raw_import) / (package + import)`. Both sides write to memory,
//! not files: with files, the shared disk's and page cache's cost lands on both sides and flatters the
//! ratio (the million-customer main job in `BENCHMARKS.md` measures the real file-based run). Package
//! buffers are reused (cleared, capacity kept) on both sides; sink buffers are allocated per import with
//! the final capacity on both sides. The sink keeps a hash set of customers so that `holds_customer` is
//! O(1) (`MemorySections` scans all keys, which is quadratic over a book).
//!
//! `cargo bench --bench transfer`; `CUSTODIA_BENCH_SMOKE=1` for a token run (10³ customers).

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::cell::RefCell;
use std::collections::HashSet;
use std::hint::black_box;
use std::io::Read;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use custodia::consent::TransferPath;
use custodia::crypto::{
    CryptoError, InMemoryKeyStore, InMemoryVault, InsertOutcome, KeyStore, Keyring, KeyringConfig,
    RecipientKeyPair, SealedSection, SectionInsert, SectionRows, SectionTombstone, SectionVault, SigningKey,
    VersionedSection, seal_section,
};
use custodia::model::chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia::model::{CustomerId, DataCategory, Purpose, TransferId};
use custodia::transfer::{
    AgreementTerms, Buyer, BuyerObligations, CustomerSelection, DraftAgreement, ImportSettings, MinorRule,
    Moving, PackageContents, ProofTree, ScopeItem, Seller, SensitiveRule, SignedAgreement, import, package,
};
use ring::digest::{SHA256, digest};

const CATEGORY: DataCategory = DataCategory::Policies;

struct Keys {
    seller_sign: SigningKey,
    buyer_sign: SigningKey,
    buyer_recipient: RecipientKeyPair,
    seller_ring: Keyring,
    buyer_ring: Keyring,
}

fn agreement(keys: &Keys) -> SignedAgreement {
    let party = |name: &str, seed: u32, sign: &SigningKey| {
        let stem = format!("91110000{:09}", 100_000 + seed);
        let keys = (&sign.verifying_key(), &keys.buyer_recipient.public_key());
        custodia_synthetic::parties::party(name, &stem, "260000000000001", "privacy@broker.example", keys)
            .unwrap()
    };
    let terms = AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller: party("示例保险经纪有限公司", 1, &keys.seller_sign),
        buyer: party("承接保险经纪有限公司", 2, &keys.buyer_sign),
        legal_path: TransferPath::MergerNotice,
        scope: vec![ScopeItem {
            purpose: Purpose::PolicyServicing,
            categories: [
                DataCategory::Identity,
                DataCategory::Contact,
                DataCategory::Policies,
            ]
            .into(),
        }],
        selection: CustomerSelection::LapsedWithinYears(5),
        objection_window_days: 30,
        sensitive: SensitiveRule::FollowPath,
        minors: MinorRule::RequireGuardianConsent,
        cross_border: None,
        obligations: BuyerObligations {
            continue_retention_duties: true,
            purpose_limitation: true,
            security_measures: "AES-256-GCM per customer, access control, audit log".into(),
        },
        impact_assessment: "PIA-2026-017".into(),
        deal: Default::default(),
        effective: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    };
    DraftAgreement::new(terms)
        .unwrap()
        .sign_as_seller(&keys.seller_sign)
        .unwrap()
        .countersign_as_buyer(&keys.buyer_sign)
        .unwrap()
}

/// The buyer's section vault rows: every section appended to one buffer, customers remembered in a hash
/// set (a put is always of a new customer here, so the newest version is always none).
struct VecSink {
    out: RefCell<Vec<u8>>,
    customers: RefCell<HashSet<CustomerId>>,
}

impl SectionRows for VecSink {
    fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
        self.customers.borrow_mut().insert(insert.customer);
        self.out.borrow_mut().extend_from_slice(insert.sealed.as_bytes());
        Ok(InsertOutcome::Inserted)
    }
    fn row(&self, _: CustomerId, _: DataCategory, _: u64) -> Result<Option<SealedSection>, CryptoError> {
        Ok(None)
    }
    fn newest_row(&self, _: CustomerId, _: DataCategory) -> Result<Option<VersionedSection>, CryptoError> {
        Ok(None)
    }
    fn rows(&self, _: CustomerId, _: DataCategory) -> Result<Vec<VersionedSection>, CryptoError> {
        Ok(Vec::new())
    }
    fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        Ok(if self.customers.borrow().contains(&customer) {
            vec![CATEGORY]
        } else {
            Vec::new()
        })
    }
    fn tombstone_row(&self, _: CustomerId, _: DataCategory) -> Result<Option<SectionTombstone>, CryptoError> {
        Ok(None)
    }
    fn delete_rows(&self, _: CustomerId, _: &[DataCategory], _: DateTime<Utc>) -> Result<u64, CryptoError> {
        Ok(0)
    }
}

/// The seller's book: `n` customers, one sealed section of `len` bytes each, keys in a key store.
struct Book {
    keys: InMemoryKeyStore,
    sections: InMemoryVault,
    moving: Vec<Moving>,
    /// The sealed bytes in package order (by customer id), for the raw side.
    sealed: Vec<Vec<u8>>,
}

fn book(keyring: &Keyring, n: u64, len: usize) -> Book {
    let keys = InMemoryKeyStore::new();
    let sections = InMemoryVault::new();
    let mut moving = Vec::new();
    let mut sealed_by_customer = Vec::new();
    let plaintext = vec![0x5a; len];
    for _ in 0..n {
        let customer = CustomerId::new_v7();
        let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
        keys.put_wrapped_key(&wrapped).unwrap();
        let sealed = seal_section(&dek, customer, CATEGORY, 1, &plaintext).unwrap();
        sections.put_section(customer, CATEGORY, 1, &sealed).unwrap();
        sealed_by_customer.push((customer, sealed.into_bytes()));
        moving.push(Moving {
            customer,
            categories: vec![CATEGORY],
        });
    }
    sealed_by_customer.sort_by_key(|(c, _)| *c);
    Book {
        keys,
        sections,
        moving,
        sealed: sealed_by_customer.into_iter().map(|(_, s)| s).collect(),
    }
}

fn write_package(keys: &Keys, agreement: &SignedAgreement, book: &Book, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let (summary, _) = package(
        &mut *out,
        agreement,
        Seller {
            signing_key: &keys.seller_sign,
            keyring: &keys.seller_ring,
            keys: &book.keys,
            sections: &book.sections,
        },
        PackageContents {
            moving: book.moving.clone(),
            created_at: Utc.with_ymd_and_hms(2026, 7, 15, 9, 0, 0).unwrap(),
            proof_tree: ProofTree::Discard,
        },
        &mut |_| {},
    )
    .unwrap();
    summary.customers
}

/// Imports `package`; returns the customer count and the buyer's stores (dropped by the caller).
fn read_package(
    keys: &Keys,
    agreement: &SignedAgreement,
    package: &[u8],
    sink_capacity: usize,
) -> (u64, InMemoryKeyStore, VecSink) {
    let buyer_keys = InMemoryKeyStore::new();
    let sink = VecSink {
        out: RefCell::new(Vec::with_capacity(sink_capacity)),
        customers: RefCell::new(HashSet::new()),
    };
    let outcome = import(
        package,
        agreement,
        Buyer {
            recipient: &keys.buyer_recipient,
            keyring: &keys.buyer_ring,
            keys: &buyer_keys,
            sections: &sink,
        },
        &ImportSettings::default(),
        &mut |_| {},
    )
    .unwrap();
    (outcome.customers, buyer_keys, sink)
}

fn raw_write(sealed: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    for s in sealed {
        black_box(digest(&SHA256, s));
        out.extend_from_slice(s);
    }
}

fn raw_read(n: u64, len: usize, mut input: &[u8], sink_capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(sink_capacity);
    let mut buf = vec![0u8; len];
    for _ in 0..n {
        input.read_exact(&mut buf).unwrap();
        black_box(digest(&SHA256, &buf));
        out.extend_from_slice(&buf);
    }
    out
}

/// Times `f` once per iteration (setup such as building the buyer's empty stores stays inside `f`, as it
/// is part of an import; dropping them is not timed).
fn timed<T>(iterations: u64, mut f: impl FnMut() -> T) -> Duration {
    let mut spent = Duration::ZERO;
    for _ in 0..iterations {
        let start = Instant::now();
        let out = black_box(f());
        spent += start.elapsed();
        drop(out);
    }
    spent
}

fn transfer(c: &mut Criterion) {
    let keys = Keys {
        seller_sign: SigningKey::generate().unwrap(),
        buyer_sign: SigningKey::generate().unwrap(),
        buyer_recipient: RecipientKeyPair::generate().unwrap(),
        seller_ring: Keyring::derive_from_master(&[1u8; 32], 1, KeyringConfig::default()).unwrap(),
        buyer_ring: Keyring::derive_from_master(&[2u8; 32], 1, KeyringConfig::default()).unwrap(),
    };
    let agreement = agreement(&keys);
    let sizes: &[u64] = if support::smoke() {
        &[1_000]
    } else {
        &[10_000, 100_000]
    };
    for &n in sizes {
        for (name, len) in [("256B", 256usize), ("4KiB", 4096)] {
            let started = Instant::now();
            let book = book(&keys.seller_ring, n, len);
            eprintln!(
                "transfer: sealed {n} customers of {name} in {:.1?}",
                started.elapsed()
            );
            let sealed_len = book.sealed[0].len();
            let capacity = n as usize * sealed_len;
            let (mut packaged, mut raw) = (Vec::new(), Vec::new());
            assert_eq!(write_package(&keys, &agreement, &book, &mut packaged), n);
            assert_eq!(read_package(&keys, &agreement, &packaged, capacity).0, n);
            raw_write(&book.sealed, &mut raw);
            assert_eq!(raw_read(n, sealed_len, &raw, capacity), raw);

            let mut group = c.benchmark_group(format!("transfer_{name}"));
            group.throughput(Throughput::Elements(n));
            if n >= 100_000 {
                group.sampling_mode(SamplingMode::Flat).sample_size(10);
            }
            group.bench_function(BenchmarkId::new("package", n), |b| {
                b.iter_custom(|i| timed(i, || write_package(&keys, &agreement, &book, &mut packaged)))
            });
            group.bench_function(BenchmarkId::new("raw_package", n), |b| {
                b.iter_custom(|i| timed(i, || raw_write(&book.sealed, &mut raw)))
            });
            group.bench_function(BenchmarkId::new("import", n), |b| {
                b.iter_custom(|i| timed(i, || read_package(&keys, &agreement, &packaged, capacity)))
            });
            group.bench_function(BenchmarkId::new("raw_import", n), |b| {
                b.iter_custom(|i| timed(i, || raw_read(n, sealed_len, &raw, capacity)))
            });
            group.finish();
            // Paired: package + import against raw package + raw import, alternating.
            support::paired(
                &format!("transfer_{name}_{n}"),
                if n >= 100_000 { 5 } else { 11 },
                || {
                    write_package(&keys, &agreement, &book, &mut packaged);
                    black_box(read_package(&keys, &agreement, &packaged, capacity));
                    n
                },
                || {
                    raw_write(&book.sealed, &mut raw);
                    black_box(raw_read(n, sealed_len, &raw, capacity));
                    n
                },
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = transfer
}
criterion_main!(benches);
