//! Writes the fuzzing fixtures (`fixtures/`: fuzz-only test keys, a signed agreement, a small package) and
//! the small seed corpora (`corpus/<target>/seed-*`), a handful of valid inputs per target.
//!
//! Run from `fuzz/`: `cargo run --bin seeds`. Keys are generated once and then reused, so seeds stay valid
//! for the targets, which embed the fixtures with `include_bytes!`. Re-running rewrites the seeds.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use custodia_consent::{
    BasisPolicy, Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentRecord, ConsentScope, Digest,
    EventDraft, EventId, EventKind, Notice, NoticeDraft, NoticeId, PartyId, ProcessingDetails,
    PropagationDraft, PropagationRecord, PropagationStep, Recipient, TransferPath, WithdrawalMethod,
};
use custodia_crypto::{
    InMemoryKeyStore, InMemoryVault, KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault,
    SigningKey, seal_section,
};
use custodia_ledger::{Checkpoint, Log, MemoryStore, NoteSigner, SignatureKind};
use custodia_model::{
    ActorId, CustomerId, DataCategory, Jurisdiction, Purpose, TransferId, UnifiedSocialCreditCode,
};
use custodia_retention::Profile;
use custodia_transfer::package::PackageReader;
use custodia_transfer::{
    AgreementTerms, BuyerObligations, CustomerSelection, DraftAgreement, MinorRule, Moving, PackageContents,
    PartyDetails, ProofTree, ScopeItem, Seller, SensitiveRule, SignedAgreement, TransferParty,
    TransferReceipt, package,
};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The buyer's X25519 key is derived from this fixed input (fuzz-only).
pub const RECIPIENT_IKM: &[u8] = b"custodia-fuzz recipient key, never used outside fuzzing";
/// The seller's keyring master (fuzz-only).
pub const SELLER_MASTER: [u8; 32] = [0x11; 32];
/// The buyer's keyring master (fuzz-only).
pub const BUYER_MASTER: [u8; 32] = [0x22; 32];

fn key(path: &Path) -> Res<SigningKey> {
    if let Ok(bytes) = fs::read(path) {
        return Ok(SigningKey::from_pkcs8(&bytes)?);
    }
    let key = SigningKey::generate()?;
    fs::write(path, key.expose_pkcs8())?;
    Ok(key)
}

fn write_corpus(target: &str, seeds: &[Vec<u8>]) -> Res<()> {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir)?;
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        {
            fs::remove_file(path)?;
        }
    }
    for (i, s) in seeds.iter().enumerate() {
        fs::write(dir.join(format!("seed-{i:02}")), s)?;
    }
    Ok(())
}

fn credit_code(seed: u8) -> Res<UnifiedSocialCreditCode> {
    let stem = format!("91110000{:09}", 100_000 + u32::from(seed));
    let check = UnifiedSocialCreditCode::check_character(stem.as_bytes()).ok_or("check character")?;
    Ok(UnifiedSocialCreditCode::new(&format!("{stem}{}", check as char))?)
}

fn at(y: i32, m: u32, d: u32) -> Res<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
        .single()
        .ok_or_else(|| "date".into())
}

fn uuid_of(byte: u8) -> uuid::Uuid {
    // Version-7 shaped bytes so that every id type accepts them.
    let mut b = [byte; 16];
    b[6] = 0x70 | (byte & 0x0f);
    b[8] = 0x80 | (byte & 0x3f);
    uuid::Uuid::from_bytes(b)
}

fn with_tag(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(bytes);
    out
}

fn main() -> Res<()> {
    fs::create_dir_all("fixtures")?;
    let seller_sign = key(Path::new("fixtures/seller.pk8"))?;
    let buyer_sign = key(Path::new("fixtures/buyer.pk8"))?;
    let log_sign = key(Path::new("fixtures/log.pk8"))?;
    let recipient = RecipientKeyPair::derive_from_ikm(RECIPIENT_IKM)?;
    let seller_ring = Keyring::derive_from_master(&SELLER_MASTER, 1, KeyringConfig::default())?;

    // Crypto: one customer's wrapped key (the fixture), sections under it, a transfer key.
    let customer = CustomerId::from_bytes([0x01; 16])?;
    let (dek, wrapped) = seller_ring.generate_dek(customer)?;
    fs::write("fixtures/wrapped_key.bin", wrapped.encode())?;
    let mut sections = Vec::new();
    for (i, category) in [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::Health,
    ]
    .into_iter()
    .enumerate()
    {
        let plain = format!("{{\"section\":{i}}}");
        sections.push(seal_section(&dek, customer, category, 1 + i as u64, plain.as_bytes())?.to_bytes());
    }
    sections.push(seal_section(&dek, customer, DataCategory::Policies, 7, b"")?.to_bytes());
    write_corpus("sealed_section", &sections)?;

    // Transfer: an agreement between the fixed keys, a package of three customers.
    let party = |name: &str, code: u8, sign: &SigningKey| -> Res<TransferParty> {
        let details = PartyDetails {
            party_id: PartyId::from_uuid(uuid_of(code))?,
            name: name.into(),
            credit_code: credit_code(code)?,
            licence: "260000000000001".into(),
            contact: "privacy@party.example".into(),
            jurisdiction: Jurisdiction::MAINLAND_CHINA,
        };
        Ok(TransferParty::with_keys(
            details,
            &sign.verifying_key(),
            &recipient.public_key(),
        )?)
    };
    let terms = AgreementTerms {
        transfer_id: TransferId::from_bytes([0x07; 16])?,
        seller: party("示例保险经纪有限公司", 1, &seller_sign)?,
        buyer: party("承接保险经纪有限公司", 2, &buyer_sign)?,
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
            security_measures: "AES-256-GCM per customer".into(),
        },
        impact_assessment: "PIA-FUZZ-1".into(),
        deal: Default::default(),
        effective: NaiveDate::from_ymd_opt(2026, 6, 1).ok_or("date")?,
    };
    let draft = DraftAgreement::new(terms)?;
    let draft_bytes = draft.as_bytes().to_vec();
    let agreement: SignedAgreement = draft
        .sign_as_seller(&seller_sign)?
        .countersign_as_buyer(&buyer_sign)?;
    fs::write("fixtures/agreement.bin", agreement.encode())?;

    let keys = InMemoryKeyStore::new();
    let store = InMemoryVault::new();
    let mut moving = Vec::new();
    for n in 0..3u8 {
        let c = CustomerId::from_bytes([0x30 + n; 16])?;
        let (dek, wrapped) = seller_ring.generate_dek(c)?;
        keys.put_wrapped_key(&wrapped)?;
        let mut categories = vec![DataCategory::Identity];
        if n != 1 {
            categories.push(DataCategory::Policies);
        }
        for cat in &categories {
            let sealed = seal_section(&dek, c, *cat, 1, format!("{{\"n\":{n}}}").as_bytes())?;
            store.put_section(c, *cat, 1, &sealed)?;
        }
        moving.push(Moving {
            customer: c,
            categories,
        });
    }
    let mut packages = Vec::new();
    for count in [3usize, 1, 0] {
        let mut out = Vec::new();
        package(
            &mut out,
            &agreement,
            Seller {
                signing_key: &seller_sign,
                keyring: &seller_ring,
                keys: &keys,
                sections: &store,
            },
            PackageContents {
                moving: moving.iter().take(count).cloned().collect(),
                created_at: at(2026, 7, 15)?,
                proof_tree: ProofTree::Discard,
            },
            &mut |_| {},
        )?;
        packages.push(out);
    }
    fs::write("fixtures/package.bin", &packages[0])?;
    write_corpus("transfer_package", &packages)?;

    // The sealed transfer key from the package header, and keys wrapped under the transfer key.
    let reader = PackageReader::open(packages[0].as_slice(), 1 << 20)?;
    let sealed_key = reader.header().sealed_key().clone();
    fs::write("fixtures/sealed_transfer_key.bin", sealed_key.encode())?;
    let other = custodia_crypto::TransferKey::generate(TransferId::from_bytes([0x08; 16])?)?;
    write_corpus(
        "sealed_transfer_key",
        &[
            sealed_key.encode(),
            other.seal_to(&recipient.public_key())?.encode(),
        ],
    )?;
    let transfer_key = recipient.open_transfer_key(&sealed_key, sealed_key.transfer_id())?;
    write_corpus(
        "wrapped_key",
        &[
            wrapped.encode(),
            transfer_key.wrap_data_key(&dek)?.encode(),
            other.wrap_data_key(&dek)?.encode(),
        ],
    )?;

    // Receipts for the transfer: the JSON body and the signed envelope.
    let summary = custodia_transfer::verify_package(packages[0].as_slice(), &agreement, 1 << 20)?.summary;
    let (root, customers, section_count) = (summary.root, summary.customers, summary.sections);
    let receipt = TransferReceipt {
        transfer_id: agreement.transfer_id(),
        agreement_digest: agreement.digest(),
        root,
        customers,
        sections: section_count,
        rekeyed: false,
        received_at: at(2026, 7, 16)?,
    };
    let body = serde_json::to_vec(&receipt)?;
    let signed = custodia_transfer::SignedReceipt::sign(receipt, &agreement, &buyer_sign)?;
    write_corpus(
        "transfer_agreement",
        &[
            with_tag(0, &agreement.encode()),
            with_tag(1, &draft_bytes),
            with_tag(2, &body),
            with_tag(3, &signed.encode()),
        ],
    )?;

    // Ledger: checkpoints (plain, signed, cosigned) and proofs.
    let log_signer = NoteSigner::new("fuzz.example/log", SignatureKind::Ed25519, log_sign)?;
    let witness = NoteSigner::new(
        "fuzz.example/witness",
        SignatureKind::Ed25519,
        SigningKey::generate()?,
    )?;
    let mut log = Log::new(MemoryStore::new())?;
    for i in 0..13u32 {
        log.append(&[format!("entry {i}").as_bytes()])?;
    }
    let cp = log.checkpoint_with_time(&log_signer, "fuzz.example/log", at(2026, 7, 1)?)?;
    let cosigned = cp.cosigned(&witness, at(2026, 7, 2)?)?;
    let plain = Checkpoint::new("fuzz.example/log", 13, log.root())?;
    write_corpus(
        "checkpoint",
        &[
            with_tag(0, &cp.to_bytes()),
            with_tag(0, &cosigned.to_bytes()),
            with_tag(1, plain.to_text().as_bytes()),
            with_tag(2, &cp.to_bytes()),
        ],
    )?;
    // proofs: [mode, n, i/m, mutation bytes...] as the target reads them.
    write_corpus(
        "proofs",
        &[
            vec![0, 13, 5],
            vec![1, 13, 8],
            vec![0, 64, 63, 3, 7],
            vec![1, 64, 32, 1, 0, 0x80],
            vec![2, 5, 3, 0, 0, 0, 0, 0, 0, 0, 9],
        ],
    )?;

    // Consent: a notice and an event payload, and a receipt with its proofs.
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent);
    let mut ledger = ConsentLedger::open(Log::new(MemoryStore::new())?, policy, &mut |_| {})?;
    let published = at(2020, 1, 1)?;
    let notice = Notice::new(NoticeDraft {
        id: NoticeId::from_uuid(uuid_of(0x41))?,
        version: 1,
        controller_name: "示例保险经纪有限公司".into(),
        controller_contact: "privacy@broker.example".into(),
        purposes: Purpose::BUILTIN.into_iter().collect(),
        categories: DataCategory::ALL.into_iter().collect(),
        recipients: vec![],
        destinations: Default::default(),
        retention: "policy term plus 10 years".into(),
        rights: "access, copy, correct, delete, withdraw".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of(b"the privacy notice as shown"),
        published_at: published,
        recorded_at: published,
        processing: Some(ProcessingDetails {
            controller_id: credit_code(1)?.to_string(),
            controller_address: "上海市浦东新区示例路 1 号 (synthetic)".into(),
            jurisdiction: Jurisdiction::MAINLAND_CHINA,
            storage_locations: [Jurisdiction::MAINLAND_CHINA].into(),
            withdrawal: WithdrawalMethod {
                channels: [Channel::Web, Channel::Email].into(),
                contact: "privacy@broker.example".into(),
            },
        }),
    })?;
    ledger.publish(&notice)?;
    let event = ConsentEvent::new(EventDraft {
        id: EventId::from_uuid(uuid_of(0x42))?,
        customer,
        kind: EventKind::Granted,
        scope: ConsentScope::new(
            [Purpose::Marketing],
            [DataCategory::Contact],
            Recipient::Controller,
            [],
        )?,
        form: ConsentForm::Separate,
        notice: notice.reference(),
        channel: Channel::Paper,
        evidence: Digest::of(b"form 1"),
        effective_at: published + Duration::days(3),
        recorded_at: published + Duration::days(4),
        recorded_by: ActorId::new("fuzz-clerk-43")?,
        expires_at: None,
    })?;
    let index = ledger.record(&event)?;
    let cp = ledger.checkpoint(&log_signer, "fuzz.example/log", at(2026, 7, 1)?)?;
    let consent_receipt = ledger.receipt(index, &cp)?;
    // Format 2 added a provision event and propagation steps, format 3 a notice's processing details;
    // notices of formats 1 (no recorded_at) and 2 (no processing) still decode, so one of each is a seed.
    let provided = ConsentEvent::new(EventDraft {
        id: EventId::from_uuid(uuid_of(0x44))?,
        kind: EventKind::Provided,
        ..event.fields().clone()
    })?;
    let withdrawal = ConsentEvent::new(EventDraft {
        id: EventId::from_uuid(uuid_of(0x45))?,
        kind: EventKind::Withdrawn,
        effective_at: published + Duration::days(9),
        recorded_at: published + Duration::days(9),
        ..event.fields().clone()
    })?;
    let told = PropagationRecord::new(PropagationDraft {
        id: EventId::from_uuid(uuid_of(0x46))?,
        customer,
        ending_entry: 3,
        recipient: Recipient::ThirdParty(PartyId::from_uuid(uuid_of(0x47))?),
        step: PropagationStep::Told {
            channel: Channel::Email,
            text_digest: Digest::of(b"the withdrawal notice sent"),
        },
        at: published + Duration::days(10),
        recorded_at: published + Duration::days(10),
        recorded_by: ActorId::new("fuzz-clerk-43")?,
    });
    let notice_bytes = ConsentRecord::Notice(notice.clone()).encode()?;
    // The format-2 bytes as format 2 wrote them: the same canonical JSON without the last notice field,
    // `processing` (format 3 added it); the format-1 bytes also without recorded_at.
    let text = String::from_utf8(notice_bytes.clone())?;
    let cut = text.find(",\"processing\":").ok_or("no processing in a notice")?;
    let format_2 = format!("{}}}}}}}", &text[..cut]).replacen("\"format\":3", "\"format\":2", 1);
    let field = format_2
        .find(",\"recorded_at\":\"")
        .ok_or("no recorded_at in a notice")?;
    let end = format_2[field + 16..]
        .find('"')
        .ok_or("unterminated recorded_at")?
        + field
        + 17;
    let format_1 =
        format!("{}{}", &format_2[..field], &format_2[end..]).replacen("\"format\":2", "\"format\":1", 1);
    write_corpus(
        "consent",
        &[
            with_tag(0, &notice_bytes),
            with_tag(0, &ConsentRecord::Event(event).encode()?),
            with_tag(1, &serde_json::to_vec(&consent_receipt)?),
            with_tag(0, &ConsentRecord::Event(provided).encode()?),
            with_tag(0, &ConsentRecord::Event(withdrawal).encode()?),
            with_tag(0, &ConsentRecord::Propagation(told).encode()?),
            with_tag(0, format_1.as_bytes()),
            with_tag(0, format_2.as_bytes()),
        ],
    )?;

    // Retention: the shipped profiles, in TOML and JSON.
    let mut profiles = Vec::new();
    for p in [Profile::cn_insurance_broker()?, Profile::gdpr()?] {
        profiles.push(with_tag(0, p.to_json()?.as_bytes()));
        profiles.push(with_tag(1, p.to_toml()?.as_bytes()));
    }
    write_corpus("retention_profile", &profiles)?;
    println!("fixtures and seeds written");
    Ok(())
}
