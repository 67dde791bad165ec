//! The cost of the buyer's optional re-keying (`Rekey::FreshKeys`) against the default (`Rekey::Keep`), on
//! 1,000 customers with five 256-byte sections each, beside the raw baseline of one SHA-256 over every
//! sealed section (the least any verified import must do).
//!
//! `cargo bench -p custodia --bench transfer_rekey`.

// A bench is test code: a failed setup should stop the run loudly. criterion_group! generates an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use custodia::consent::TransferPath;
use custodia::crypto::{
    InMemoryKeyStore, InMemoryVault, KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault,
    SigningKey, seal_section,
};
use custodia::model::chrono::{NaiveDate, TimeZone, Utc};
use custodia::model::{CustomerId, DataCategory, Purpose, TransferId};
use custodia::transfer::*;

const CATEGORIES: [DataCategory; 5] = [
    DataCategory::Identity,
    DataCategory::Contact,
    DataCategory::Policies,
    DataCategory::Beneficiaries,
    DataCategory::KycAml,
];

fn rekey(c: &mut Criterion) {
    let (seller, buyer, recipient) = (
        SigningKey::generate().unwrap(),
        SigningKey::generate().unwrap(),
        RecipientKeyPair::generate().unwrap(),
    );
    let party = |name: &str, stem: &str, key: &SigningKey| {
        let keys = (&key.verifying_key(), &recipient.public_key());
        custodia_synthetic::parties::party(name, stem, "260000000000001", "dpo@example.invalid", keys)
            .unwrap()
    };
    let agreement = DraftAgreement::new(AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller: party("卖方", "91310000MA1FL0001", &seller),
        buyer: party("买方", "91110000MA0000009", &buyer),
        legal_path: TransferPath::MergerNotice,
        scope: vec![ScopeItem {
            purpose: Purpose::PolicyServicing,
            categories: CATEGORIES.into_iter().collect(),
        }],
        selection: CustomerSelection::All,
        objection_window_days: 30,
        sensitive: SensitiveRule::FollowPath,
        minors: MinorRule::RequireGuardianConsent,
        cross_border: None,
        obligations: BuyerObligations {
            continue_retention_duties: true,
            purpose_limitation: true,
            security_measures: "x".into(),
        },
        impact_assessment: "PIA".into(),
        deal: Default::default(),
        effective: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    })
    .unwrap()
    .sign_as_seller(&seller)
    .unwrap()
    .countersign_as_buyer(&buyer)
    .unwrap();
    let ring = Keyring::derive_from_master(&[1; 32], 1, KeyringConfig::default()).unwrap();
    let (keys, sections, mut moving) = (InMemoryKeyStore::new(), InMemoryVault::new(), Vec::new());
    let mut sealed_bytes = Vec::new();
    for _ in 0..1000 {
        let customer = CustomerId::new_v7();
        let (dek, wrapped) = ring.generate_dek(customer).unwrap();
        keys.put_wrapped_key(&wrapped).unwrap();
        for category in CATEGORIES {
            let sealed = seal_section(&dek, customer, category, 1, &[0x5a; 256]).unwrap();
            sealed_bytes.push(sealed.as_bytes().to_vec());
            sections.put_section(customer, category, 1, &sealed).unwrap();
        }
        moving.push(Moving {
            customer,
            categories: CATEGORIES.to_vec(),
        });
    }
    let mut bytes = Vec::new();
    let now = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).single().unwrap();
    package(
        &mut bytes,
        &agreement,
        Seller {
            signing_key: &seller,
            keyring: &ring,
            keys: &keys,
            sections: &sections,
        },
        PackageContents {
            moving,
            created_at: now,
            proof_tree: ProofTree::Discard,
        },
        &mut |_| {},
    )
    .unwrap();
    let buyer_ring = Keyring::derive_from_master(&[2; 32], 1, KeyringConfig::default()).unwrap();

    let mut group = c.benchmark_group("import_1000_customers_5x256B");
    group.sample_size(10);
    for (name, rekey) in [("keep", Rekey::Keep), ("fresh_keys", Rekey::FreshKeys)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let (k, s) = (InMemoryKeyStore::new(), InMemoryVault::new());
                let settings = ImportSettings {
                    rekey,
                    ..ImportSettings::default()
                };
                let outcome = import(
                    bytes.as_slice(),
                    &agreement,
                    Buyer {
                        recipient: &recipient,
                        keyring: &buyer_ring,
                        keys: &k,
                        sections: &s,
                    },
                    &settings,
                    &mut |_| {},
                )
                .unwrap();
                black_box(outcome.customers)
            });
        });
    }
    group.bench_function("raw_sha256_of_every_section", |b| {
        b.iter(|| {
            for s in &sealed_bytes {
                black_box(ring::digest::digest(&ring::digest::SHA256, s));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, rekey);
criterion_main!(benches);
