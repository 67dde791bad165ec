//! The main job: a brokerage sells its licence and book, and moves its customers to the buyer lawfully and
//! provably, on the embedded SQLite default.
//!
//! ```text
//! cargo run --release --example license_transfer -- --customers 10000 --out /tmp/transfer
//! ```
//!
//! Options: `--customers N` (default 10,000), `--out DIR` (default: a fresh directory under the system temp
//! directory), `--seed S` (default 1). The story: synthesize a book and seal it into the seller's SQLite
//! vault; record its consents on the seller's ledger; agree and sign (PIPL Art 22 notice path, sensitive
//! data and minors only with separate or guardian consent); plan; publish and serve bilingual notices;
//! simulate objections (some inside, some after the window), separate consents (some late, some withdrawn,
//! refused, bundled or given by a minor without a guardian); plan again after the window; package; import as
//! the buyer into a staging SQLite file adopted only on success; receipt; prove two customers' outcomes;
//! dispose (crypto-shred or delete what the seller may no longer hold, restrict the rest to storage, two
//! approvers, certificates on the ledger); verify every ledger; write `report.json`, `report.md` and
//! `report.html`. Progress goes to stderr; the exit code is non-zero if any verification fails.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use custodia::consent::{
    BasisPolicy, Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentRecord, ConsentScope, Digest,
    EventDraft, EventId, EventKind, GuardianId, NoticeId, Recipient, TransferPath,
};
use custodia::crypto::{KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault, SigningKey};
use custodia::ledger::{Log, NoteSigner, SignatureKind, TrustPolicy};
use custodia::model::chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia::model::{ActorId, CustomerId, DataCategory, Progress, Purpose, TransferId, WorkingDayCalendar};
use custodia::retention::{Execution, Holds, KeyStoreShredder, Profile, SectionShredder};
use custodia::store::{Durability, SqliteConfig, SqliteStore};
use custodia::transfer::facts::{category_plaintexts, customer_facts};
use custodia::transfer::notice::{
    Addressee, Language, NoticeDelivery, NoticePublication, Reader, RetentionStatement, serve_notices,
    transfer_notice,
};
use custodia::transfer::package::DEFAULT_MAX_ENTRY_LEN;
use custodia::transfer::{
    AgreementSection, AgreementTerms, Buyer, BuyerObligations, Check, CustomerSelection, DispositionPlanner,
    DraftAgreement, ImportSettings, MinorRule, Moving, PackageContents, PackageSection, PlanContext, Planner,
    ProofTree, ResponseIndex, ScopeItem, Seller, SensitiveRule, SignedAgreement, SignedReceipt,
    TransferReport, import, package, prove,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook, SyntheticCustomer};
use custodia_synthetic::consent::{Recording, consent_events, withdrawals};
use custodia_synthetic::parties::party;

const USAGE: &str = "usage: license_transfer [--customers N] [--out DIR] [--seed S]";

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    customers: u64,
    out: Option<PathBuf>,
    seed: u64,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        customers: 10_000,
        out: None,
        seed: 1,
    };
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--customers" => {
                let v = value("--customers")?;
                parsed.customers = v
                    .parse()
                    .map_err(|_| format!("--customers: {v:?} is not a whole number of customers"))?;
                if parsed.customers == 0 {
                    return Err("--customers must be at least 1".into());
                }
            }
            "--seed" => {
                let v = value("--seed")?;
                parsed.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: {v:?} is not an unsigned 64-bit number"))?;
            }
            "--out" => parsed.out = Some(PathBuf::from(value("--out")?)),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

/// SplitMix64 of the seed and a customer's position: the simulated customer responses, reproducible.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        ^ index
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn nine(date: NaiveDate) -> Fallible<DateTime<Utc>> {
    Ok(date.and_hms_opt(9, 0, 0).ok_or("time")?.and_utc())
}

fn progress_line(p: Progress) {
    match p.total() {
        Some(total) => eprintln!("  {:?}: {} of {total}", p.phase(), p.done()),
        None => eprintln!("  {:?}: {}", p.phase(), p.done()),
    }
}

struct Check_ {
    checks: Vec<Check>,
}

impl Check_ {
    fn record(&mut self, name: &str, passed: bool, detail: String) {
        if !passed {
            eprintln!("VERIFICATION FAILED: {name}: {detail}");
        }
        self.checks.push(Check {
            name: name.to_owned(),
            passed,
            detail,
        });
    }
}

/// The simulated response of customer `index` to the transfer, on top of the served notice.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Consent {
    Given,
    Late,
    GivenThenWithdrawn,
    Bundled,
    MinorWithoutGuardian,
    Refused,
    None,
}

fn simulated(seed: u64, index: u64) -> (Option<i64>, Consent) {
    let h = mix(seed, index);
    let objection = match h % 100 {
        0..=2 => Some(1 + ((h >> 8) % 25) as i64),
        3 => Some(40),
        _ => None,
    };
    let consent = match (h >> 16) % 100 {
        0..=54 => Consent::Given,
        55..=64 => Consent::Late,
        65..=69 => Consent::GivenThenWithdrawn,
        70..=74 => Consent::Bundled,
        75..=77 => Consent::MinorWithoutGuardian,
        78..=79 => Consent::Refused,
        _ => Consent::None,
    };
    (objection, consent)
}

fn run(args: Args) -> Fallible<bool> {
    let started = Instant::now();
    let out = match args.out {
        Some(dir) => dir,
        None => {
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
            std::env::temp_dir().join(format!("custodia-license-transfer-{nanos}"))
        }
    };
    fs::create_dir_all(&out)?;
    for name in [
        "seller-vault.sqlite",
        "seller-ledger.sqlite",
        "buyer-staging.sqlite",
        "buyer-vault.sqlite",
    ] {
        for suffix in ["", "-wal", "-shm"] {
            let path = out.join(format!("{name}{suffix}"));
            if path.exists() {
                fs::remove_file(path)?;
            }
        }
    }
    let mut checks = Check_ { checks: Vec::new() };
    let book_date = NaiveDate::from_ymd_opt(2026, 5, 31).ok_or("date")?;
    let effective = NaiveDate::from_ymd_opt(2026, 6, 1).ok_or("date")?;
    let served_at = nine(effective)?;
    let first_plan_at = served_at + Duration::days(20);
    let final_plan_at = served_at + Duration::days(45);
    let config = BookConfig {
        seed: args.seed,
        customers: args.customers,
        ..BookConfig::default()
    };
    let book = || SyntheticBook::stream(&config, book_date);
    let fast = SqliteConfig::new().with_durability(Durability::Normal);

    // Keys of both parties. In production each lives in its own secret store.
    let seller_sign = SigningKey::generate()?;
    let buyer_sign = SigningKey::generate()?;
    let seller_recipient = RecipientKeyPair::generate()?;
    let buyer_recipient = RecipientKeyPair::generate()?;
    let seller_ring = Keyring::derive_from_master(&[0x5e; 32], 1, KeyringConfig::default())?;
    let buyer_ring = Keyring::derive_from_master(&[0xb7; 32], 1, KeyringConfig::default())?;
    let ledger_signer = NoteSigner::new(
        "seller.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate()?,
    )?;
    let trust = TrustPolicy::log_only(ledger_signer.name(), vec![ledger_signer.verifier().clone()])?;

    // 1. The agreement, signed by both; the buyer checks the seller's signature before countersigning.
    let seller_party = party(
        "示例保险经纪有限公司",
        "91310000MA1FL0000",
        "260000000000001",
        "privacy@seller.example / 400-000-0001",
        (&seller_sign.verifying_key(), &seller_recipient.public_key()),
    )?;
    let buyer_party = party(
        "承接保险经纪有限公司",
        "91110000MA0000000",
        "260000000000002",
        "privacy@buyer.example / 400-000-0002",
        (&buyer_sign.verifying_key(), &buyer_recipient.public_key()),
    )?;
    let servicing: BTreeSet<DataCategory> = [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::FinancialAccounts,
        DataCategory::Policies,
        DataCategory::Claims,
        DataCategory::Beneficiaries,
        DataCategory::KycAml,
    ]
    .into();
    let terms = AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller: seller_party,
        buyer: buyer_party,
        // The open legal question (PIPL 22 or 23) is the parties' choice, not the library's.
        legal_path: TransferPath::MergerNotice,
        scope: vec![
            ScopeItem {
                purpose: Purpose::PolicyServicing,
                categories: servicing,
            },
            ScopeItem {
                purpose: Purpose::ProposalPreparation,
                categories: [DataCategory::Health].into(),
            },
            ScopeItem {
                purpose: Purpose::Marketing,
                categories: [DataCategory::MarketingPreferences].into(),
            },
        ],
        selection: CustomerSelection::LapsedWithinYears(3),
        objection_window_days: 30,
        sensitive: SensitiveRule::RequireSeparateConsent,
        minors: MinorRule::RequireGuardianConsent,
        cross_border: None,
        obligations: BuyerObligations {
            continue_retention_duties: true,
            purpose_limitation: true,
            security_measures:
                "per-customer AES-256-GCM envelope encryption, role-based access, audit ledger".into(),
        },
        impact_assessment: "PIA-2026-031 (PIPL Art 55), approved 2026-05-20".into(),
        deal: Default::default(),
        effective,
    };
    let draft = DraftAgreement::new(terms)?;
    let sent = draft.as_bytes().to_vec();
    let seller_signed = DraftAgreement::from_bytes(&sent)?.sign_as_seller(&seller_sign)?;
    let agreement = seller_signed.countersign_as_buyer(&buyer_sign)?;
    let agreement = SignedAgreement::decode(&agreement.encode())?;
    checks.record(
        "agreement signed by both parties",
        true,
        format!("digest {}", agreement.digest()),
    );
    eprintln!("agreement {} signed by both parties", agreement.transfer_id());

    // 2. The seller's book, sealed into its vault, and its consents on its ledger.
    // One store value is the seller's vault and key store: every seam takes `&self`.
    let seller_store = SqliteStore::open(out.join("seller-vault.sqlite"), &fast)?;
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
    let seller_log = Log::new(SqliteStore::open(
        out.join("seller-ledger.sqlite"),
        &SqliteConfig::new(),
    )?)?;
    let mut consent = ConsentLedger::open(seller_log, policy.clone(), &mut |_| {})?;
    let general = custodia::consent::Notice::new(custodia::consent::NoticeDraft {
        id: NoticeId::new_v7(),
        version: 1,
        controller_name: agreement.terms().seller.name().to_owned(),
        controller_contact: agreement.terms().seller.contact().to_owned(),
        purposes: Purpose::BUILTIN.into_iter().filter(|p| *p != Purpose::Transfer).collect(),
        categories: DataCategory::ALL.into_iter().collect(),
        recipients: vec![],
        destinations: BTreeSet::new(),
        retention: "policy term plus 5 or 10 years (Broker Rule 2018 Art 51); AML records 10 years (AML Law 2024 Art 34)".into(),
        rights: "access, copy, correct, delete, withdraw: privacy@seller.example".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of("the privacy notice as shown at onboarding".as_bytes()),
        published_at: nine(NaiveDate::from_ymd_opt(2005, 1, 1).ok_or("date")?)?,
        recorded_at: nine(NaiveDate::from_ymd_opt(2005, 1, 1).ok_or("date")?)?,
        processing: Some(custodia_synthetic::notices::processing_details(
            agreement.terms().seller.contact(),
        )),
    })?;
    consent.publish(&general)?;
    let clerk = ActorId::new("clerk-0001")?;
    let mut batch: Vec<ConsentRecord> = Vec::with_capacity(2048);
    let mut sections_sealed = 0u64;
    for (n, item) in book()?.enumerate() {
        let SyntheticCustomer { customer, consents } = item?;
        let id = customer.id();
        let (dek, wrapped) = seller_ring.generate_dek(id)?;
        seller_store.put_wrapped_key(&wrapped)?;
        let version = u64::from(customer.version().number());
        for (category, plain) in category_plaintexts(&customer)? {
            let sealed = custodia::crypto::seal_section(&dek, id, category, version, &plain)?;
            seller_store.put_section(id, category, version, &sealed)?;
            sections_sealed += 1;
        }
        let recording = Recording {
            notice: general.reference(),
            recorded_by: clerk.clone(),
            evidence: Digest::of(format!("form {id} {n}").as_bytes()),
            grant_delay: Duration::zero(),
            withdrawal_delay: Duration::zero(),
        };
        for fact in &consents {
            batch.extend(
                consent_events(id, fact, &recording)?
                    .into_iter()
                    .map(ConsentRecord::Event),
            );
        }
        if batch.len() >= 1024 {
            consent.record_batch(&batch)?;
            batch.clear();
        }
        if (n + 1) % 5000 == 0 {
            eprintln!("  book: {} customers sealed", n + 1);
        }
    }
    if !batch.is_empty() {
        consent.record_batch(&batch)?;
        batch.clear();
    }
    eprintln!(
        "book: {} customers, {sections_sealed} sealed sections, {} consent events ({:.1?})",
        args.customers,
        consent.index().stats().events,
        started.elapsed()
    );

    // 3. Notices: published in both languages, served to every selected customer with data in scope.
    let retention = RetentionStatement::of(&Profile::cn_insurance_broker()?);
    let calendar = WorkingDayCalendar::mainland_2026()?;
    let publication = |language| NoticePublication {
        agreement: &agreement,
        id: NoticeId::new_v7(),
        language,
        published_at: served_at,
        retention,
    };
    let notice_zh = transfer_notice(&publication(Language::SimplifiedChinese))?;
    let notice_en = transfer_notice(&publication(Language::English))?;
    consent.publish(&notice_zh)?;
    consent.publish(&notice_en)?;
    let in_scope = agreement.terms().categories();
    let mut addressees = Vec::new();
    for item in book()? {
        let c = item?.customer;
        if !agreement.terms().selects(c.relationship_end(), effective) {
            continue;
        }
        let categories: BTreeSet<DataCategory> = c
            .categories_held()
            .into_iter()
            .filter(|k| in_scope.contains(k))
            .collect();
        let minor = c.is_minor_at(effective);
        addressees.push(Addressee {
            customer: c.id(),
            sensitive: categories
                .iter()
                .copied()
                .filter(|k| c.is_sensitive_at(*k, effective))
                .collect(),
            categories,
            // A child's notice is addressed to the guardian (PIPL Art 31).
            reader: if minor { Reader::Guardian } else { Reader::Customer },
            language: if c.residence().is_mainland_china() {
                Language::SimplifiedChinese
            } else {
                Language::English
            },
        });
    }
    let delivery = NoticeDelivery {
        agreement: &agreement,
        served_at,
        recorded_by: clerk.clone(),
        channel: Channel::Sms,
        retention,
        calendar: &calendar,
    };
    let served = serve_notices(
        &mut consent,
        &delivery,
        &[
            (Language::SimplifiedChinese, notice_zh.reference()),
            (Language::English, notice_en.reference()),
        ],
        addressees,
        &mut progress_line,
    )?;
    eprintln!("notices: {served} served ({:.1?})", started.elapsed());

    // 4. Customers respond: objections and separate consents, some late.
    let buyer_id = agreement.terms().buyer.party_id();
    for (n, item) in book()?.enumerate() {
        let c = item?.customer;
        if !agreement.terms().selects(c.relationship_end(), effective) {
            continue;
        }
        let held: BTreeSet<DataCategory> = c
            .categories_held()
            .into_iter()
            .filter(|k| in_scope.contains(k))
            .collect();
        let minor = c.is_minor_at(effective);
        let needing: BTreeSet<DataCategory> = held
            .iter()
            .copied()
            .filter(|k| minor || k.is_sensitive())
            .collect();
        let (objection, response) = simulated(args.seed, n as u64);
        let event = |kind, scope: ConsentScope, form, at: DateTime<Utc>| {
            ConsentEvent::new(EventDraft {
                id: EventId::new_v7(),
                customer: c.id(),
                kind,
                scope,
                form,
                notice: notice_zh.reference(),
                channel: Channel::MobileApp,
                evidence: Digest::of(format!("response {} {n}", c.id()).as_bytes()),
                effective_at: at,
                recorded_at: at,
                recorded_by: clerk.clone(),
                expires_at: None,
            })
        };
        if let Some(day) = objection
            && !held.is_empty()
        {
            let scope = ConsentScope::new(
                [Purpose::Transfer],
                held.iter().copied(),
                Recipient::Successor(buyer_id),
                [],
            )?;
            batch.push(ConsentRecord::Event(event(
                EventKind::Objected,
                scope,
                ConsentForm::Separate,
                served_at + Duration::days(day),
            )?));
        }
        if needing.is_empty() {
            continue;
        }
        let scope = ConsentScope::new(
            [Purpose::Transfer],
            needing.iter().copied(),
            Recipient::ThirdParty(buyer_id),
            [],
        )?;
        let grant = if minor {
            EventKind::GuardianGranted {
                guardian: GuardianId::new_v7(),
            }
        } else {
            EventKind::Granted
        };
        let early = served_at + Duration::days(5);
        let mut push = |kind, form, at| -> Fallible<()> {
            batch.push(ConsentRecord::Event(event(kind, scope.clone(), form, at)?));
            Ok(())
        };
        match response {
            Consent::Given => push(grant, ConsentForm::Separate, early)?,
            Consent::Late => push(grant, ConsentForm::Separate, served_at + Duration::days(38))?,
            Consent::GivenThenWithdrawn => {
                push(grant, ConsentForm::Separate, early)?;
                push(
                    EventKind::Withdrawn,
                    ConsentForm::Separate,
                    served_at + Duration::days(25),
                )?;
            }
            Consent::Bundled => push(grant, ConsentForm::Bundled, early)?,
            Consent::MinorWithoutGuardian => push(EventKind::Granted, ConsentForm::Separate, early)?,
            Consent::Refused => push(EventKind::Refused, ConsentForm::Separate, early)?,
            Consent::None => {}
        }
        if batch.len() >= 1024 {
            consent.record_batch(&batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        consent.record_batch(&batch)?;
        batch.clear();
    }
    let responses = ResponseIndex::from_log(consent.log(), buyer_id)?;
    eprintln!(
        "responses: {} customers answered ({:.1?})",
        responses.customers(),
        started.elapsed()
    );

    // 5. Plan twice: during the objection window (much is pending), and after it (final).
    let profile = Profile::cn_insurance_broker()?;
    let holds = Holds::new();
    let plan_once =
        |at: DateTime<Utc>, keep: bool| -> Fallible<(custodia::transfer::PlanSummary, Vec<Moving>)> {
            let context = PlanContext {
                consent: consent.index(),
                responses: &responses,
                retention: &profile,
                holds: &holds,
                at,
                as_of: at,
                thresholds: Default::default(),
                calendar: &calendar,
                cross_border_year: None,
            };
            let mut planner = Planner::new(&agreement, &context)?;
            let mut moving = Vec::new();
            for item in book()? {
                let c = item?;
                let facts = customer_facts(&c.customer, &withdrawals(&c.consents), &policy, at.date_naive())?;
                let plan = planner.plan(&facts)?;
                let included = plan.included();
                if keep && !included.is_empty() {
                    moving.push(Moving {
                        customer: plan.customer(),
                        categories: included,
                    });
                }
            }
            Ok((planner.finish()?, moving))
        };
    let (first, _) = plan_once(first_plan_at, false)?;
    eprintln!(
        "plan during the window: {} of {} customers moving, {} category decisions pending ({:.1?})",
        first.customers_moving,
        first.customers,
        first.decisions.pending(),
        started.elapsed()
    );
    let (plan, moving) = plan_once(final_plan_at, true)?;
    eprintln!(
        "final plan: {} of {} customers moving ({:.1?})",
        plan.customers_moving,
        plan.customers,
        started.elapsed()
    );
    let moved: BTreeSet<CustomerId> = moving.iter().map(|m| m.customer).collect();

    // 6. Package (seller).
    let package_path = out.join("transfer.pkg");
    let (summary, tree) = package(
        BufWriter::new(fs::File::create(&package_path)?),
        &agreement,
        Seller {
            signing_key: &seller_sign,
            keyring: &seller_ring,
            keys: &seller_store,
            sections: &seller_store,
        },
        PackageContents {
            moving,
            created_at: final_plan_at,
            proof_tree: ProofTree::Keep,
        },
        &mut progress_line,
    )?;
    let seller_tree = tree.ok_or("manifest tree")?;
    eprintln!(
        "package: {} customers, {} sections, {} bytes ({:.1?})",
        summary.customers,
        summary.sections,
        summary.package_bytes,
        started.elapsed()
    );

    // 7. Import (buyer), into a staging file adopted only on success.
    let staging_path = out.join("buyer-staging.sqlite");
    let staging = SqliteStore::open(&staging_path, &fast)?;
    let imported = import(
        BufReader::new(fs::File::open(&package_path)?),
        &agreement,
        Buyer {
            recipient: &buyer_recipient,
            keyring: &buyer_ring,
            keys: &staging,
            sections: &staging,
        },
        &ImportSettings::default(),
        &mut progress_line,
    );
    let outcome = match imported {
        Ok(outcome) => {
            staging.checkpoint_wal()?;
            drop(staging);
            fs::rename(&staging_path, out.join("buyer-vault.sqlite"))?;
            outcome
        }
        Err(e) => {
            drop(staging);
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(out.join(format!("buyer-staging.sqlite{suffix}")));
            }
            return Err(e.into());
        }
    };
    checks.record(
        "buyer verified the package (signature, agreement binding, root, every key and section)",
        outcome.root == summary.root && outcome.customers == summary.customers,
        format!(
            "{} customers, {} sections opened",
            outcome.customers, outcome.sections_opened
        ),
    );
    let buyer_vault = SqliteStore::open(out.join("buyer-vault.sqlite"), &fast)?;
    let mut sample_ok = true;
    for m in moved.iter().take(50) {
        for c in buyer_vault.categories(*m)? {
            let v = buyer_vault.latest_section(*m, c)?.ok_or("section")?;
            sample_ok &= buyer_ring
                .open_stored_section(&buyer_vault, *m, c, v.record_version(), v.sealed())
                .is_ok();
        }
    }
    checks.record(
        "buyer opens adopted sections with its own keyring",
        sample_ok,
        "first 50 customers".into(),
    );

    // 8. Receipt: the buyer signs, the seller verifies and appends it to its ledger.
    let receipt = SignedReceipt::sign(
        outcome.receipt(&agreement, final_plan_at),
        &agreement,
        &buyer_sign,
    )?;
    let verified = SignedReceipt::verify(&receipt.encode(), &agreement, &summary);
    checks.record(
        "seller verified the buyer's receipt",
        verified.is_ok(),
        match &verified {
            Ok(r) => format!("{} customers, root {}", r.receipt().customers, r.receipt().root),
            Err(e) => e.to_string(),
        },
    );
    let mut seller_log = consent.into_log();
    let receipt_entry = verified?.append_to(&mut seller_log)?;

    // 9. Proofs for one moved customer and one who stayed.
    let stayed = book()?
        .filter_map(Result::ok)
        .map(|c| c.customer.id())
        .find(|c| !moved.contains(c));
    let mut asked: Vec<CustomerId> = moved.iter().next().copied().into_iter().collect();
    asked.extend(stayed);
    let proofs = prove(
        BufReader::new(fs::File::open(&package_path)?),
        &seller_tree,
        &asked,
        DEFAULT_MAX_ENTRY_LEN,
    )?;
    let seller_key = seller_sign.verifying_key();
    let proofs_ok = proofs
        .iter()
        .zip(&asked)
        .all(|(p, c)| p.verify(&seller_key).ok() == Some(moved.contains(c)));
    checks.record(
        "customer proofs (moved and not moved) verify",
        proofs_ok,
        format!("{} proofs", proofs.len()),
    );
    fs::write(out.join("proofs.json"), serde_json::to_string_pretty(&proofs)?)?;

    // 10. Disposition: what the seller may no longer hold, after the receipt.
    let dispose_on = final_plan_at.date_naive() + Duration::days(1);
    let mut disposer = DispositionPlanner::new(&profile, &holds, dispose_on);
    for item in book()? {
        let c = item?;
        let facts = custodia::transfer::facts::retention_facts(
            &c.customer,
            &withdrawals(&c.consents),
            &policy,
            dispose_on,
        )?;
        let transferred_on = moved
            .contains(&c.customer.id())
            .then(|| final_plan_at.date_naive());
        disposer.add(facts, transferred_on)?;
    }
    let disposition = disposer.finish(&ActorId::new("ops-transfer-01")?)?;
    let approved_at = nine(dispose_on)?;
    let operator = ActorId::new("ops-transfer-02")?;
    let mut certificates = Vec::new();
    if let Some(mut plan) = disposition.crypto_shred.clone() {
        plan.approve(ActorId::new("dpo-001")?, approved_at)?;
        plan.approve(ActorId::new("cco-001")?, approved_at)?;
        let report = custodia::retention::execute(
            &plan.into_approved()?,
            Execution::new(&operator, approved_at, &holds),
            &mut KeyStoreShredder::new(&seller_store),
            &mut seller_log,
        )?;
        // Every crypto-shredded customer's keys are gone for good: loading one fails with KeyDestroyed.
        let gone = report.items().iter().all(|item| {
            seller_store
                .destroyed_at(item.customer())
                .is_ok_and(|d| d.is_some())
        });
        checks.record(
            "whole customers crypto-shredded",
            report.failures().count() == 0 && gone,
            format!("{} customers, every key store tombstoned", report.items().len()),
        );
        certificates.extend(report.certificates().iter().map(|(i, _)| *i));
    }
    if let Some(mut plan) = disposition.section_deletion.clone() {
        let plan_items = plan.items().to_vec();
        plan.approve(ActorId::new("dpo-001")?, approved_at)?;
        plan.approve(ActorId::new("cco-001")?, approved_at)?;
        let report = custodia::retention::execute(
            &plan.into_approved()?,
            Execution::new(&operator, approved_at, &holds),
            &mut SectionShredder::new(&seller_store),
            &mut seller_log,
        )?;
        // One flush for the whole batch (a WAL checkpoint): only now have the erased sections left the
        // WAL as well.
        seller_store.flush_erasures()?;
        let mut erased = 0u64;
        let mut all_gone = true;
        for item in plan_items.iter() {
            for h in item.holdings() {
                if let custodia::retention::Holding::Category(c) = h.holding() {
                    all_gone &= seller_store.latest_section(item.customer(), c)?.is_none();
                    erased += 1;
                }
            }
        }
        checks.record(
            "single categories deleted from the seller's vault",
            report.failures().count() == 0 && all_gone,
            format!("{} customers, {erased} sections gone", report.items().len()),
        );
        certificates.extend(report.certificates().iter().map(|(i, _)| *i));
    }
    eprintln!(
        "disposition: {} holdings destroyed, {} restricted to storage ({:.1?})",
        disposition.counts.destroyed(),
        disposition.counts.restricted(),
        started.elapsed()
    );

    // 11. Verify every ledger.
    let now = final_plan_at + Duration::days(2);
    seller_log.checkpoint(&ledger_signer, "seller.example/ledger")?;
    let verified_log = seller_log.verify(&trust);
    checks.record(
        "seller ledger (consents, notices, receipt, certificates) verifies",
        verified_log.is_ok(),
        match &verified_log {
            Ok(v) => format!("{} entries", v.size()),
            Err(e) => e.to_string(),
        },
    );
    let responses_again = ResponseIndex::from_log(&seller_log, buyer_id)?;
    checks.record(
        "responses rebuilt from the ledger",
        responses_again.customers() == responses.customers(),
        format!("{} customers", responses_again.customers()),
    );

    // 12. The report.
    let report = TransferReport {
        generated_at: now,
        agreement: AgreementSection::of(&agreement),
        plan,
        notices_served: served,
        package: PackageSection {
            customers: summary.customers,
            sections: summary.sections,
            section_bytes: summary.section_bytes,
            package_bytes: summary.package_bytes,
            root: summary.root,
            imported: outcome.customers,
            rekeyed: outcome.rekeyed,
            receipt_entry: Some(receipt_entry),
        },
        disposition: disposition.counts.clone(),
        certificates,
        checks: checks.checks,
    };
    fs::write(out.join("report.json"), report.to_json()?)?;
    fs::write(out.join("report.md"), report.to_markdown())?;
    fs::write(out.join("report.html"), report.to_html())?;

    println!(
        "licence transfer {} ({})",
        agreement.transfer_id(),
        report.agreement.citation
    );
    println!(
        "  plan: {} customers, {} moving; category decisions: {} included, {} excluded, {} pending",
        report.plan.customers,
        report.plan.customers_moving,
        report.plan.decisions.included(),
        report.plan.decisions.excluded(),
        report.plan.decisions.pending()
    );
    println!(
        "  package: {} customers, {} sections, {} bytes; imported by the buyer, receipt at ledger entry {receipt_entry}",
        summary.customers, summary.sections, summary.package_bytes
    );
    println!(
        "  checks: {} of {} passed; report in {}",
        report.checks.iter().filter(|c| c.passed).count(),
        report.checks.len(),
        display(&out)
    );
    println!("  done in {:.1?}", started.elapsed());
    Ok(report.all_passed())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("license_transfer: a verification failed (see the report)");
            ExitCode::FAILURE
        }
        Err(e) => {
            // Each cause once: the errors' own messages do not repeat their sources.
            let mut message = e.to_string();
            let mut cause = e.source();
            while let Some(next) = cause {
                message.push_str(": ");
                message.push_str(&next.to_string());
                cause = next.source();
            }
            eprintln!("license_transfer: {message}");
            ExitCode::FAILURE
        }
    }
}
