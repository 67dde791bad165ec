//! Turns a synthetic book's consent facts into ledger events, answers permission questions about every
//! customer, and issues and verifies one receipt.
//!
//! Run with `cargo run -p custodia-consent --example consent_over_book --release -- 20000` (the number of
//! customers; 2,000 by default).

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use custodia_consent::*;
use custodia_crypto::SigningKey;
use custodia_ledger::{Log, MemoryStore, NoteSigner, SignatureKind};
use custodia_model::{ActorId, DataCategory, Purpose};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, consent_events};

fn at_nine(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc() + Duration::hours(9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let customers: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2_000);
    let today = NaiveDate::from_ymd_opt(2025, 6, 30).ok_or("date")?;
    let config = BookConfig {
        customers,
        ..BookConfig::default()
    };

    let policy = BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent);
    let mut ledger = ConsentLedger::open(Log::new(MemoryStore::new())?, policy, &mut |_| {})?;
    let notice = Notice::new(NoticeDraft {
        id: NoticeId::new_v7(),
        version: 1,
        controller_name: "示例保险经纪有限公司".into(),
        controller_contact: "privacy@broker.example".into(),
        purposes: Purpose::BUILTIN.into_iter().collect(),
        categories: DataCategory::ALL.into_iter().collect(),
        recipients: vec![],
        destinations: Default::default(),
        retention: "policy term plus 10 years (Broker Rule 2018 Art 51)".into(),
        rights: "access, copy, correct, delete, withdraw: privacy@broker.example".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of(b"the privacy notice as shown"),
        published_at: at_nine(today - Duration::days(365 * 20)),
        recorded_at: at_nine(today - Duration::days(365 * 20)),
        processing: Some(custodia_synthetic::notices::processing_details(
            "privacy@broker.example",
        )),
    })?;
    ledger.publish(&notice)?;

    let clerk = ActorId::new("clerk-0042")?;
    let mut subjects = Vec::new();
    let started = Instant::now();
    let mut batch = Vec::new();
    for (n, item) in SyntheticBook::stream(&config, today)?.enumerate() {
        let c = item?;
        let id = c.customer.id();
        subjects.push(match c.customer.party().as_person() {
            Some(p) => Subject::born(id, p.birth_date()),
            None => Subject::new(id),
        });
        // Paper forms are keyed in a few days late, which `permits` accounts for.
        let recording = Recording {
            notice: notice.reference(),
            recorded_by: clerk.clone(),
            evidence: Digest::of(format!("form {id} {n}").as_bytes()),
            grant_delay: Duration::days((n % 4) as i64),
            withdrawal_delay: Duration::days(1),
        };
        for fact in &c.consents {
            for e in consent_events(id, fact, &recording)? {
                batch.push(ConsentRecord::Event(e));
            }
        }
        if batch.len() >= 1024 {
            ledger.record_batch(&batch)?;
            batch.clear();
        }
    }
    ledger.record_batch(&batch)?;
    let stats = ledger.index().stats();
    println!(
        "recorded {} events for {} customers on a ledger of {} entries in {:.2?}",
        stats.events,
        stats.customers,
        ledger.log().size(),
        started.elapsed()
    );

    let now = at_nine(today);
    let questions = [
        (
            "marketing, contact",
            ProposedUse::domestic(Purpose::Marketing, DataCategory::Contact),
        ),
        (
            "analytics, policies",
            ProposedUse::domestic(Purpose::Analytics, DataCategory::Policies),
        ),
        (
            "claims handling, health",
            ProposedUse::domestic(Purpose::ClaimsAssistance, DataCategory::Health),
        ),
    ];
    for (label, u) in &questions {
        let started = Instant::now();
        let permitted = subjects
            .iter()
            .filter(|s| ledger.permits(s, u, now, now).is_permitted())
            .count();
        let per = started.elapsed() / u32::try_from(subjects.len().max(1))?;
        println!(
            "{label}: permitted for {permitted} of {} customers ({per:.2?} per question)",
            subjects.len()
        );
    }

    // One refusal, explained.
    if let Some(s) = subjects
        .iter()
        .find(|s| !ledger.permits(s, &questions[0].1, now, now).is_permitted())
    {
        let d = ledger.permits(s, &questions[0].1, now, now);
        println!("why not, for {}:", s.customer());
        for r in d.reasons() {
            println!("  {:?} ({}), entry {:?}", r.rule, r.citation, r.entry);
        }
    }

    // A receipt for the first recorded event, verified with the public key alone.
    let key = NoteSigner::new(
        "broker.example/consent",
        SignatureKind::Ed25519,
        SigningKey::generate()?,
    )?;
    let checkpoint = ledger.checkpoint(&key, "broker.example/consent", now)?;
    let receipt = ledger.receipt(1, &checkpoint)?;
    let verified = receipt.verify(key.verifier())?;
    println!(
        "receipt {} (a {:?}) for entry 1 verifies against tree size {}: {:?} of {:?}",
        verified.fields().receipt_id,
        verified.fields().record_kind,
        verified.tree_size(),
        verified.fields().consent.as_ref().map(|c| c.consent_state),
        verified.fields().purposes
    );
    Ok(())
}
