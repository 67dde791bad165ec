//! Shared fixtures: two parties with keys, an agreement, a seller's store of sealed sections.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_consent::{PartyId, TransferPath};
use custodia_crypto::{
    InMemoryKeyStore, InMemoryVault, KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault,
    SigningKey, seal_section,
};
use custodia_model::{CustomerId, DataCategory, Jurisdiction, Purpose, TransferId, UnifiedSocialCreditCode};
use custodia_transfer::*;

pub const SELLER_CODE: &str = "91350100M000100Y43";

pub fn credit_code(seed: u8) -> UnifiedSocialCreditCode {
    // Build a valid code by computing the check character over a fixed stem.
    let stem = format!("91110000{:09}", 100_000 + u32::from(seed));
    let check = UnifiedSocialCreditCode::check_character(stem.as_bytes()).unwrap();
    UnifiedSocialCreditCode::new(&format!("{stem}{}", check as char)).unwrap()
}

pub struct Keys {
    pub seller_sign: SigningKey,
    pub buyer_sign: SigningKey,
    pub buyer_recipient: RecipientKeyPair,
    pub seller_ring: Keyring,
    pub buyer_ring: Keyring,
}

impl Keys {
    pub fn new() -> Self {
        Self {
            seller_sign: SigningKey::generate().unwrap(),
            buyer_sign: SigningKey::generate().unwrap(),
            buyer_recipient: RecipientKeyPair::generate().unwrap(),
            seller_ring: Keyring::derive_from_master(&[1u8; 32], 1, KeyringConfig::default()).unwrap(),
            buyer_ring: Keyring::derive_from_master(&[2u8; 32], 1, KeyringConfig::default()).unwrap(),
        }
    }
}

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).single().unwrap()
}

pub fn terms(keys: &Keys, path: TransferPath) -> AgreementTerms {
    let seller = Party::with_keys(
        PartyId::new_v7(),
        "示例保险经纪有限公司",
        credit_code(1),
        "260000000000001",
        "privacy@seller.example",
        Jurisdiction::MAINLAND_CHINA,
        &keys.seller_sign.verifying_key(),
        &keys.buyer_recipient.public_key(),
    )
    .unwrap();
    let buyer = Party::with_keys(
        PartyId::new_v7(),
        "承接保险经纪有限公司",
        credit_code(2),
        "260000000000002",
        "privacy@buyer.example",
        Jurisdiction::MAINLAND_CHINA,
        &keys.buyer_sign.verifying_key(),
        &keys.buyer_recipient.public_key(),
    )
    .unwrap();
    AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller,
        buyer,
        legal_path: path,
        scope: vec![
            ScopeItem {
                purpose: Purpose::PolicyServicing,
                categories: [
                    DataCategory::Identity,
                    DataCategory::Contact,
                    DataCategory::FinancialAccounts,
                    DataCategory::Policies,
                    DataCategory::Claims,
                    DataCategory::Beneficiaries,
                    DataCategory::KycAml,
                ]
                .into(),
            },
            ScopeItem {
                purpose: Purpose::Underwriting,
                categories: [DataCategory::Health].into(),
            },
            ScopeItem {
                purpose: Purpose::Marketing,
                categories: [DataCategory::MarketingPreferences].into(),
            },
        ],
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
        effective: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    }
}

pub fn signed(keys: &Keys, terms: AgreementTerms) -> SignedAgreement {
    DraftAgreement::new(terms)
        .unwrap()
        .sign_as_seller(&keys.seller_sign)
        .unwrap()
        .countersign_as_buyer(&keys.buyer_sign)
        .unwrap()
}

/// A seller's store: `n` customers with two or three sealed sections each.
pub struct SellerStore {
    pub keys: InMemoryKeyStore,
    pub sections: InMemoryVault,
    pub customers: Vec<CustomerId>,
}

pub fn seller_store(keyring: &Keyring, n: usize) -> SellerStore {
    let keys = InMemoryKeyStore::new();
    let sections = InMemoryVault::new();
    let mut customers = Vec::new();
    for i in 0..n {
        let customer = CustomerId::new_v7();
        let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
        keys.put_wrapped_key(&wrapped).unwrap();
        let mut cats = vec![DataCategory::Identity, DataCategory::Policies];
        if i % 2 == 0 {
            cats.push(DataCategory::Health);
        }
        for c in cats {
            let text = format!("{{\"customer\":{i},\"category\":\"{c}\"}}");
            let sealed = seal_section(&dek, customer, c, 1 + i as u64 % 3, text.as_bytes()).unwrap();
            sections
                .put_section(customer, c, 1 + i as u64 % 3, &sealed)
                .unwrap();
        }
        customers.push(customer);
    }
    SellerStore {
        keys,
        sections,
        customers,
    }
}

pub fn moving(store: &SellerStore) -> Vec<Moving> {
    store
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| Moving {
            customer: *c,
            categories: if i % 2 == 0 {
                vec![
                    DataCategory::Identity,
                    DataCategory::Policies,
                    DataCategory::Health,
                ]
            } else {
                vec![DataCategory::Identity, DataCategory::Policies]
            },
        })
        .collect()
}

/// The seller's side of `package` over the fixture's keys and store.
pub fn seller<'a>(keys: &'a Keys, store: &'a SellerStore) -> Seller<'a, InMemoryKeyStore, InMemoryVault> {
    Seller {
        signing_key: &keys.seller_sign,
        keyring: &keys.seller_ring,
        keys: &store.keys,
        sections: &store.sections,
    }
}

pub fn make_package(
    keys: &Keys,
    agreement: &SignedAgreement,
    store: &SellerStore,
) -> (Vec<u8>, PackageSummary, ManifestTree) {
    let mut out = Vec::new();
    let (summary, tree) = package(
        &mut out,
        agreement,
        seller(keys, store),
        PackageContents {
            moving: moving(store),
            created_at: at(2026, 7, 15),
            proof_tree: ProofTree::Keep,
        },
        &mut |_| {},
    )
    .unwrap();
    (out, summary, tree.unwrap())
}

pub fn import_into(
    keys: &Keys,
    agreement: &SignedAgreement,
    bytes: &[u8],
    settings: &ImportSettings,
) -> Result<(ImportOutcome, InMemoryKeyStore, InMemoryVault), TransferError> {
    let staged_keys = InMemoryKeyStore::new();
    let staged = InMemoryVault::new();
    let outcome = import(
        bytes,
        agreement,
        Buyer {
            recipient: &keys.buyer_recipient,
            keyring: &keys.buyer_ring,
            keys: &staged_keys,
            sections: &staged,
        },
        settings,
        &mut |_| {},
    )?;
    Ok((outcome, staged_keys, staged))
}

pub fn categories(store: &InMemoryVault, c: CustomerId) -> BTreeSet<DataCategory> {
    DataCategory::ALL
        .into_iter()
        .filter(|k| store.latest_section(c, *k).unwrap().is_some())
        .collect()
}
