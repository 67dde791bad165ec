//! Plans, packages and imports N customers through the library alone, to measure its speed and peak memory
//! (stores are left out: sections are sealed on the fly and the buyer's sink only counts them).
//!
//! The documented memory command (peak resident set in "Maximum resident set size"):
//!
//! ```text
//! cargo build --release -p custodia-transfer --example scale
//! /usr/bin/time -v target/release/examples/scale 1000000 /tmp/scale.pkg
//! ```

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use custodia_consent::{BasisPolicy, Channel, ConsentIndex, NoticeId, TransferPath};
use custodia_crypto::{
    CryptoError, DekId, DestructionEvidence, InsertOutcome, KeyStore, Keyring, KeyringConfig,
    RecipientKeyPair, SealedSection, SectionInsert, SectionRows, SectionTombstone, SigningKey,
    VersionedSection, WrappedKey, seal_section,
};
use custodia_model::{
    ActorId, CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose, TransferId, WorkingDayCalendar,
};
use custodia_retention::{HeldData, Holding, Holds, Profile, PurposeBasis, RetentionFacts};
use custodia_transfer::notice::{Addressee, Language, NoticeDelivery, RetentionStatement, notice_served};
use custodia_transfer::package::PackageWriter;
use custodia_transfer::*;

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

const CATEGORIES: [DataCategory; 5] = [
    DataCategory::Identity,
    DataCategory::Contact,
    DataCategory::Policies,
    DataCategory::Beneficiaries,
    // Not KYC/AML records: they are sensitive (PIPL Art 28) and this book records no separate consents.
    DataCategory::MarketingPreferences,
];

/// The buyer's key store for the measurement: counts keys and keeps nothing.
#[derive(Default)]
struct Counting {
    keys: std::sync::atomic::AtomicU64,
}

impl KeyStore for Counting {
    fn put_wrapped_key(&self, _key: &WrappedKey) -> Result<(), CryptoError> {
        self.keys.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    fn wrapped_keys(&self, _customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
        Ok(Vec::new())
    }
    fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
        Err(CryptoError::UnknownDataKey { customer, dek_id })
    }
    fn put_blind_index(&self, _c: CustomerId, _i: &custodia_crypto::BlindIndex) -> Result<(), CryptoError> {
        Ok(())
    }
    fn find_customers(&self, _i: &custodia_crypto::BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
        Ok(Vec::new())
    }
    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError> {
        Ok(DestructionEvidence::new(customer, Vec::new(), 0, at))
    }
    fn destroyed_at(&self, _customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
        Ok(None)
    }
}

/// The buyer's section vault for the measurement: counts sections and keeps nothing (so it holds no
/// customer, and every put is of a new category).
#[derive(Default)]
struct Sink {
    sections: std::sync::atomic::AtomicU64,
}

impl SectionRows for Sink {
    fn insert_row_if_newest(&self, _insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
        self.sections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(InsertOutcome::Inserted)
    }
    fn row(&self, _c: CustomerId, _k: DataCategory, _v: u64) -> Result<Option<SealedSection>, CryptoError> {
        Ok(None)
    }
    fn newest_row(&self, _c: CustomerId, _k: DataCategory) -> Result<Option<VersionedSection>, CryptoError> {
        Ok(None)
    }
    fn rows(&self, _c: CustomerId, _k: DataCategory) -> Result<Vec<VersionedSection>, CryptoError> {
        Ok(Vec::new())
    }
    fn row_categories(&self, _c: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        Ok(Vec::new())
    }
    fn tombstone_row(
        &self,
        _c: CustomerId,
        _k: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError> {
        Ok(None)
    }
    fn delete_rows(
        &self,
        _c: CustomerId,
        _k: &[DataCategory],
        _at: DateTime<Utc>,
    ) -> Result<u64, CryptoError> {
        Ok(0)
    }
}

fn customer(i: u64) -> Fallible<CustomerId> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(i + 1).to_be_bytes());
    b[8..].copy_from_slice(&0x7000_8000_0000_0000u64.to_be_bytes());
    Ok(CustomerId::from_bytes(b)?)
}

fn main() -> Fallible<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    let path = args.next().unwrap_or_else(|| {
        std::env::temp_dir()
            .join("custodia-scale.pkg")
            .display()
            .to_string()
    });
    let started = Instant::now();
    let (seller_key, buyer_key, buyer_box) = (
        SigningKey::generate()?,
        SigningKey::generate()?,
        RecipientKeyPair::generate()?,
    );
    let party = |name: &str, stem: &str, key: &SigningKey| -> Fallible<TransferParty> {
        let keys = (&key.verifying_key(), &buyer_box.public_key());
        Ok(custodia_synthetic::parties::party(
            name,
            stem,
            "260000000000001",
            "dpo@example.invalid",
            keys,
        )?)
    };
    let effective = NaiveDate::from_ymd_opt(2026, 6, 1).ok_or("date")?;
    let agreement = DraftAgreement::new(AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller: party("卖方", "91310000MA1FL0001", &seller_key)?,
        buyer: party("买方", "91110000MA0000009", &buyer_key)?,
        legal_path: TransferPath::MergerNotice,
        scope: vec![ScopeItem {
            purpose: Purpose::PolicyServicing,
            categories: CATEGORIES.into_iter().collect(),
        }],
        selection: CustomerSelection::All,
        objection_window_days: 30,
        sensitive: SensitiveRule::RequireSeparateConsent,
        minors: MinorRule::RequireGuardianConsent,
        cross_border: None,
        obligations: BuyerObligations {
            continue_retention_duties: true,
            purpose_limitation: true,
            security_measures: "x".into(),
        },
        impact_assessment: "PIA".into(),
        deal: Default::default(),
        effective,
    })?
    .sign_as_seller(&seller_key)?
    .countersign_as_buyer(&buyer_key)?;

    // Plan: every customer served a notice 40 days ago, judged after the window.
    let served = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().ok_or("time")?;
    let mut responses = ResponseIndex::new(agreement.terms().buyer.party_id());
    let notice = custodia_consent::NoticeRef {
        id: NoticeId::new_v7(),
        version: 1,
    };
    let profile = Profile::cn_insurance_broker()?;
    let calendar = WorkingDayCalendar::mainland_2026()?;
    let delivery = NoticeDelivery {
        agreement: &agreement,
        served_at: served,
        recorded_by: ActorId::new("svc-notices")?,
        channel: Channel::Sms,
        retention: RetentionStatement::of(&profile),
        calendar: &calendar,
    };
    let all: BTreeSet<DataCategory> = CATEGORIES.into_iter().collect();
    for i in 0..n {
        let addressee = Addressee::new(customer(i)?, all.clone(), Language::SimplifiedChinese);
        responses.observe(&notice_served(&delivery, notice, &addressee)?)?;
    }
    let consent = ConsentIndex::new(BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice));
    let holds = Holds::new();
    let at = served + Duration::days(40);
    let context = PlanContext {
        consent: &consent,
        responses: &responses,
        retention: &profile,
        holds: &holds,
        at,
        as_of: at,
        thresholds: CrossBorderThresholds::default(),
        calendar: &calendar,
        cross_border_year: None,
    };
    let mut planner = Planner::new(&agreement, &context)?;
    let mut moving = Vec::new();
    for i in 0..n {
        let id = customer(i)?;
        let mut b = RetentionFacts::builder(id, Jurisdiction::MAINLAND_CHINA);
        for c in CATEGORIES {
            b = b.held(HeldData::new(
                id,
                Holding::Category(c),
                effective,
                vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)],
            )?);
        }
        let facts = CustomerFacts::new(CustomerFactsFields {
            retention: b.relationship_started(effective).build()?,
            birth_date: None,
            sensitive: Default::default(),
            people: Vec::new(),
            prior_export: PriorExport::default(),
        })?;
        let plan = planner.plan(&facts)?;
        moving.push(Moving {
            customer: id,
            categories: plan.included(),
        });
    }
    let summary = planner.finish()?;
    drop(responses);
    eprintln!(
        "plan: {} customers, {} moving ({:.1?})",
        summary.customers,
        summary.customers_moving,
        started.elapsed()
    );

    // Package: sections sealed on the fly (256 bytes each), streamed to a file.
    let ring = Keyring::derive_from_master(&[9; 32], 1, KeyringConfig::default())?;
    let plaintext = [0x5au8; 256];
    let mut writer = PackageWriter::start(
        BufWriter::new(File::create(&path)?),
        &agreement,
        &seller_key,
        at,
        ProofTree::Discard,
    )?;
    for m in &moving {
        let (dek, wrapped) = ring.generate_dek(m.customer)?;
        let sections = m
            .categories
            .iter()
            .map(|c| -> Fallible<package::TravellingSection> {
                Ok(package::TravellingSection {
                    category: *c,
                    record_version: 1,
                    sealed: seal_section(&dek, m.customer, *c, 1, &plaintext)?,
                })
            })
            .collect::<Fallible<Vec<_>>>()?;
        writer.add(&ring, &wrapped, sections)?;
    }
    drop(moving);
    let (package_summary, _) = writer.finish()?;
    eprintln!(
        "package: {} customers, {} bytes ({:.1?})",
        package_summary.customers,
        package_summary.package_bytes,
        started.elapsed()
    );

    // Import: everything verified, every section opened, nothing kept but counts and the proof tree.
    let buyer_ring = Keyring::derive_from_master(&[8; 32], 1, KeyringConfig::default())?;
    let keys = Counting::default();
    let sink = Sink::default();
    let outcome = import(
        BufReader::new(File::open(&path)?),
        &agreement,
        Buyer {
            recipient: &buyer_box,
            keyring: &buyer_ring,
            keys: &keys,
            sections: &sink,
        },
        &ImportSettings {
            progress_every: u64::MAX,
            ..ImportSettings::default()
        },
        &mut |_| {},
    )?;
    println!(
        "{n} customers: planned, packaged ({} bytes) and imported ({} sections opened) in {:.1?}",
        package_summary.package_bytes,
        outcome.sections_opened,
        started.elapsed()
    );
    std::fs::remove_file(&path)?;
    Ok(())
}
