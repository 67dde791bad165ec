//! The licence transfer end to end, through the facade only: a synthetic book's plan counted per reason
//! against an independent computation written plainly from the rules; and the package refusing every
//! corruption, the wrong buyer key, a replay under another agreement, and agreements missing a signature.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use custodia::consent::{
    BasisPolicy, Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentRecord, ConsentScope, Digest,
    EventDraft, EventId, EventKind, GuardianId, Notice, NoticeDraft, NoticeId, NoticeRef, Recipient,
    TransferPath,
};
use custodia::crypto::{
    InMemoryKeyStore, InMemoryVault, KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault,
    SigningKey, seal_section,
};
use custodia::ledger::{Log, MemoryStore};
use custodia::model::chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use custodia::model::{
    ActorId, CustomerId, DataCategory, Purpose, SensitivityPolicy, TransferId, WorkingDayCalendar,
};
use custodia::retention::{Holding, Holds, Profile, RetentionOutcome};
use custodia::transfer::facts::{category_plaintexts, customer_facts, retention_facts};
use custodia::transfer::notice::{
    Addressee, Language, NoticeDelivery, NoticePublication, RetentionStatement, serve_notices,
    transfer_notice,
};
use custodia::transfer::*;
use custodia_synthetic::book::{BookConfig, ConsentFact, SyntheticBook, SyntheticCustomer};
use custodia_synthetic::consent::{Recording, consent_events, withdrawals};

const SEED: u64 = 11;
const CUSTOMERS: u64 = 240;

fn nine(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(9, 0, 0).unwrap().and_utc()
}

fn book_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
}

fn effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn served_at() -> DateTime<Utc> {
    nine(effective())
}

fn book() -> Vec<SyntheticCustomer> {
    let config = BookConfig {
        seed: SEED,
        customers: CUSTOMERS,
        ..BookConfig::default()
    };
    SyntheticBook::generate(&config, book_date())
        .unwrap()
        .customers()
        .to_vec()
}

struct Keys {
    seller: SigningKey,
    buyer: SigningKey,
    recipient: RecipientKeyPair,
    seller_ring: Keyring,
    buyer_ring: Keyring,
}

fn keys() -> Keys {
    Keys {
        seller: SigningKey::generate().unwrap(),
        buyer: SigningKey::generate().unwrap(),
        recipient: RecipientKeyPair::generate().unwrap(),
        seller_ring: Keyring::derive_from_master(&[3u8; 32], 1, KeyringConfig::default()).unwrap(),
        buyer_ring: Keyring::derive_from_master(&[4u8; 32], 1, KeyringConfig::default()).unwrap(),
    }
}

/// Every category but beneficiaries is in scope, so the scope rule has something to exclude.
fn in_scope() -> BTreeSet<DataCategory> {
    DataCategory::ALL
        .into_iter()
        .filter(|c| *c != DataCategory::Beneficiaries)
        .collect()
}

fn terms_on(k: &Keys, path: TransferPath) -> AgreementTerms {
    let party = |name: &str, stem: &str, signing: &SigningKey| {
        let keys = (&signing.verifying_key(), &k.recipient.public_key());
        custodia_synthetic::parties::party(name, stem, "260000000000009", "privacy@example.invalid", keys)
            .unwrap()
    };
    let servicing: BTreeSet<DataCategory> = in_scope()
        .into_iter()
        .filter(|c| !matches!(c, DataCategory::Health | DataCategory::MarketingPreferences))
        .collect();
    AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller: party("卖方保险经纪有限公司", "91310000MA1FL0001", &k.seller),
        buyer: party("买方保险经纪有限公司", "91110000MA0000009", &k.buyer),
        legal_path: path,
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
            security_measures: "per-customer envelope encryption".into(),
        },
        impact_assessment: "PIA-TEST-1".into(),
        deal: Default::default(),
        effective: effective(),
    }
}

fn terms(k: &Keys) -> AgreementTerms {
    terms_on(k, TransferPath::MergerNotice)
}

fn sign(k: &Keys, terms: AgreementTerms) -> SignedAgreement {
    DraftAgreement::new(terms)
        .unwrap()
        .sign_as_seller(&k.seller)
        .unwrap()
        .countersign_as_buyer(&k.buyer)
        .unwrap()
}

/// The simulated objection: inside the window for one customer in 17, after it for another.
fn objection_day(index: usize) -> Option<i64> {
    match index % 17 {
        3 => Some(10),
        5 => Some(40),
        _ => None,
    }
}

/// The simulated answer to the separate-consent request, by position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Answer {
    Given,
    GivenByTheMinorThemself,
    Late,
    Withdrawn,
    Bundled,
    Refused,
    Silent,
}

fn answer(index: usize) -> Answer {
    match index % 10 {
        0..=3 => Answer::Given,
        4 => Answer::GivenByTheMinorThemself,
        5 => Answer::Late,
        6 => Answer::Withdrawn,
        7 => Answer::Bundled,
        8 => Answer::Refused,
        _ => Answer::Silent,
    }
}

fn is_minor(c: &SyntheticCustomer, on: NaiveDate) -> bool {
    c.customer
        .party()
        .as_person()
        .is_some_and(|p| on < p.birth_date().checked_add_months(Months::new(14 * 12)).unwrap())
}

fn selected(c: &SyntheticCustomer) -> bool {
    match c.customer.relationship_end() {
        None => true,
        Some(end) => end >= NaiveDate::from_ymd_opt(2023, 6, 1).unwrap(),
    }
}

/// Sensitive as the book's default settings say (PIPL Art 28: health, accounts, KYC/AML; claims by line).
fn sensitive(c: &SyntheticCustomer, category: DataCategory) -> bool {
    SensitivityPolicy::default().is_sensitive(&c.customer, category, effective())
}

/// The expected decision key, written plainly from the rules of the agreement and the simulation; the
/// retention crate is asked directly whether a category is past retention.
fn expected(
    path: TransferPath,
    c: &SyntheticCustomer,
    index: usize,
    category: DataCategory,
    at: DateTime<Utc>,
) -> String {
    let today = at.date_naive();
    if !selected(c) {
        return "exclude:customer_out_of_scope".into();
    }
    if !in_scope().contains(&category) {
        return "exclude:category_out_of_scope".into();
    }
    let policy = BasisPolicy::cn_insurance_broker(path);
    let facts = retention_facts(&c.customer, &withdrawals(&c.consents), &policy, today).unwrap();
    let past = Profile::cn_insurance_broker()
        .unwrap()
        .decide(&facts, &Holds::new(), today)
        .unwrap()
        .iter()
        .any(|d| {
            d.holding() == Holding::Category(category)
                && matches!(d.outcome(), RetentionOutcome::Destroy { .. })
        });
    if past {
        return "exclude:past_retention".into();
    }
    // Restricted to storage at the seller, which keeps its records (the default): it does not move
    // (PIPL Art 47(2)).
    let restricted = Profile::cn_insurance_broker()
        .unwrap()
        .decide(&facts, &Holds::new(), today)
        .unwrap()
        .iter()
        .any(|d| {
            d.holding() == Holding::Category(category)
                && matches!(d.outcome(), RetentionOutcome::StorageOnly { .. })
        });
    if restricted {
        return "exclude:restricted_to_storage".into();
    }
    let minor = is_minor(c, today);
    if category == DataCategory::MarketingPreferences {
        // Marketing rests on consent: a bundled grant, not withdrawn, and not for a minor (whose data needs
        // a separate consent).
        let fact: Option<&ConsentFact> = c.consents.iter().find(|f| f.purpose == Purpose::Marketing);
        let withdrawn = fact.is_some_and(|f| f.withdrawn_at.is_some_and(|w| w <= today));
        if withdrawn {
            return "exclude:consent_withdrawn".into();
        }
        if fact.is_none() || minor {
            return "exclude:consent_missing".into();
        }
    }
    let notice_path = path == TransferPath::MergerNotice;
    let day = |d: i64| served_at() + Duration::days(d);
    let needs_consent = !notice_path || minor || sensitive(c, category);
    // PIPL Art 44: an objection or refusal on file before the plan excludes, inside the window or after
    // it; on the notice path a refusal is an objection.
    if notice_path && objection_day(index).is_some_and(|d| day(d) <= at) {
        return "exclude:objected".into();
    }
    if needs_consent && answer(index) == Answer::Refused && day(5) <= at {
        return if notice_path {
            "exclude:objected".into()
        } else {
            "exclude:consent_refused".into()
        };
    }
    if notice_path {
        // PIPL Art 22: the notice was served to every selected customer at 09:00 UTC on 1 June; the window
        // of 30 days runs to 24:00 Beijing time on 1 July (Civil Code Arts 201, 203).
        let closes = DateTime::parse_from_rfc3339("2026-07-01T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        if at < closes {
            return "pending:objection_window_open".into();
        }
        if !needs_consent {
            return "include".into();
        }
    }
    // The most specific missing consent: a guardian's (PIPL Art 31), a sensitive category's (Art 29), the
    // provision's (Art 23).
    let missing = if minor {
        "pending:guardian_consent_missing"
    } else if sensitive(c, category) {
        "pending:sensitive_consent_missing"
    } else {
        "pending:transfer_consent_missing"
    };
    match answer(index) {
        Answer::Silent => missing.into(),
        Answer::Late if day(38) > at => missing.into(),
        Answer::Withdrawn if day(25) <= at => "exclude:consent_withdrawn".into(),
        Answer::Bundled if minor || sensitive(c, category) => {
            "exclude:sensitive_without_separate_consent".into()
        }
        // PIPL Art 23: providing to another processor needs a separate consent even for other data.
        Answer::Bundled => "exclude:consent_not_separate".into(),
        Answer::GivenByTheMinorThemself if minor => "exclude:minor_without_guardian_consent".into(),
        _ => "include".into(),
    }
}

/// The seller's world for the book: consent ledger with the book's facts, the transfer notices served,
/// and the simulated responses recorded.
fn seller_ledger(agreement: &SignedAgreement, book: &[SyntheticCustomer]) -> ConsentLedger<MemoryStore> {
    let path = agreement.terms().legal_path;
    let policy = BasisPolicy::cn_insurance_broker(path);
    let mut ledger = ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), policy, &mut |_| {}).unwrap();
    let general = Notice::new(NoticeDraft {
        id: NoticeId::new_v7(),
        version: 1,
        controller_name: "卖方保险经纪有限公司".into(),
        controller_contact: "privacy@example.invalid".into(),
        purposes: Purpose::BUILTIN
            .into_iter()
            .filter(|p| *p != Purpose::Transfer)
            .collect(),
        categories: DataCategory::ALL.into_iter().collect(),
        recipients: vec![],
        destinations: BTreeSet::new(),
        retention: "as the law requires".into(),
        rights: "privacy@example.invalid".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of(b"general notice"),
        published_at: nine(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()),
        recorded_at: nine(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()),
        processing: Some(custodia_synthetic::notices::processing_details(
            "privacy@example.invalid",
        )),
    })
    .unwrap();
    ledger.publish(&general).unwrap();
    let clerk = ActorId::new("clerk-0001").unwrap();
    let event = |customer, kind, scope: ConsentScope, form, notice: NoticeRef, at: DateTime<Utc>| {
        ConsentRecord::Event(
            ConsentEvent::new(EventDraft {
                id: EventId::new_v7(),
                customer,
                kind,
                scope,
                form,
                notice,
                channel: Channel::Paper,
                evidence: Digest::of(b"evidence"),
                effective_at: at,
                recorded_at: at,
                recorded_by: clerk.clone(),
                expires_at: None,
            })
            .unwrap(),
        )
    };
    let mut records = Vec::new();
    let recording = Recording {
        notice: general.reference(),
        recorded_by: clerk.clone(),
        evidence: Digest::of(b"evidence"),
        grant_delay: Duration::zero(),
        withdrawal_delay: Duration::zero(),
    };
    for c in book {
        for f in &c.consents {
            let events = consent_events(c.customer.id(), f, &recording).unwrap();
            records.extend(events.into_iter().map(ConsentRecord::Event));
        }
    }
    ledger.record_batch(&records).unwrap();

    let retention = RetentionStatement::of(&Profile::cn_insurance_broker().unwrap());
    let calendar = WorkingDayCalendar::mainland_2026().unwrap();
    let publication = |language| NoticePublication {
        agreement,
        id: NoticeId::new_v7(),
        language,
        published_at: served_at(),
        retention,
    };
    let zh = transfer_notice(&publication(Language::SimplifiedChinese)).unwrap();
    let en = transfer_notice(&publication(Language::English)).unwrap();
    ledger.publish(&zh).unwrap();
    ledger.publish(&en).unwrap();
    let scope_cats = in_scope();
    let addressees: Vec<Addressee> = book
        .iter()
        .filter(|c| selected(c))
        .map(|c| {
            Addressee::new(
                c.customer.id(),
                c.customer
                    .categories_held()
                    .into_iter()
                    .filter(|k| scope_cats.contains(k))
                    .collect(),
                Language::SimplifiedChinese,
            )
        })
        .collect();
    let delivery = NoticeDelivery {
        agreement,
        served_at: served_at(),
        recorded_by: clerk.clone(),
        channel: Channel::Sms,
        retention,
        calendar: &calendar,
    };
    serve_notices(
        &mut ledger,
        &delivery,
        &[
            (Language::SimplifiedChinese, zh.reference()),
            (Language::English, en.reference()),
        ],
        addressees,
        &mut |_| {},
    )
    .unwrap();

    let buyer = agreement.terms().buyer.party_id();
    let mut records = Vec::new();
    for (i, c) in book.iter().enumerate() {
        if !selected(c) {
            continue;
        }
        let held: BTreeSet<DataCategory> = c
            .customer
            .categories_held()
            .into_iter()
            .filter(|k| scope_cats.contains(k))
            .collect();
        let id = c.customer.id();
        if let Some(d) = objection_day(i)
            && !held.is_empty()
            && path == TransferPath::MergerNotice
        {
            let scope = ConsentScope::new(
                [Purpose::Transfer],
                held.iter().copied(),
                Recipient::Successor(buyer),
                [],
            )
            .unwrap();
            records.push(event(
                id,
                EventKind::Objected,
                scope,
                ConsentForm::Separate,
                zh.reference(),
                served_at() + Duration::days(d),
            ));
        }
        let minor = is_minor(c, effective());
        // On the consent path every category needs the consent; on the notice path only sensitive ones
        // and a minor's.
        let needing: Vec<DataCategory> = held
            .iter()
            .copied()
            .filter(|k| path == TransferPath::SeparateConsent || minor || sensitive(c, *k))
            .collect();
        if needing.is_empty() {
            continue;
        }
        let scope =
            ConsentScope::new([Purpose::Transfer], needing, Recipient::ThirdParty(buyer), []).unwrap();
        let grant = if minor {
            EventKind::GuardianGranted {
                guardian: GuardianId::new_v7(),
            }
        } else {
            EventKind::Granted
        };
        let day = |d| served_at() + Duration::days(d);
        let mut push =
            |kind, form, at| records.push(event(id, kind, scope.clone(), form, zh.reference(), at));
        match answer(i) {
            Answer::Given => push(grant, ConsentForm::Separate, day(5)),
            Answer::GivenByTheMinorThemself => push(EventKind::Granted, ConsentForm::Separate, day(5)),
            Answer::Late => push(grant, ConsentForm::Separate, day(38)),
            Answer::Withdrawn => {
                push(grant, ConsentForm::Separate, day(5));
                push(EventKind::Withdrawn, ConsentForm::Separate, day(25));
            }
            Answer::Bundled => push(grant, ConsentForm::Bundled, day(5)),
            Answer::Refused => push(EventKind::Refused, ConsentForm::Separate, day(5)),
            Answer::Silent => {}
        }
    }
    ledger.record_batch(&records).unwrap();
    ledger
}

fn plan_at(
    agreement: &SignedAgreement,
    ledger: &ConsentLedger<MemoryStore>,
    book: &[SyntheticCustomer],
    at: DateTime<Utc>,
) -> (PlanSummary, Vec<CustomerPlan>) {
    let responses = ResponseIndex::from_log(ledger.log(), agreement.terms().buyer.party_id()).unwrap();
    let profile = Profile::cn_insurance_broker().unwrap();
    let holds = Holds::new();
    let calendar = WorkingDayCalendar::mainland_2026().unwrap();
    let context = PlanContext {
        consent: ledger.index(),
        responses: &responses,
        retention: &profile,
        holds: &holds,
        at,
        as_of: at,
        thresholds: CrossBorderThresholds::default(),
        calendar: &calendar,
        cross_border_year: None,
    };
    let mut planner = Planner::new(agreement, &context).unwrap();
    let plans = book
        .iter()
        .map(|c| {
            planner
                .plan(
                    &customer_facts(
                        &c.customer,
                        &withdrawals(&c.consents),
                        context.consent.policy(),
                        at.date_naive(),
                    )
                    .unwrap(),
                )
                .unwrap()
        })
        .collect();
    (planner.finish().unwrap(), plans)
}

#[test]
fn plan_counts_per_reason_match_an_independent_computation() {
    let k = keys();
    let book = book();
    for path in [TransferPath::MergerNotice, TransferPath::SeparateConsent] {
        counts_match_on(&k, &book, path);
    }
}

fn counts_match_on(k: &Keys, book: &[SyntheticCustomer], path: TransferPath) {
    let agreement = sign(k, terms_on(k, path));
    let ledger = seller_ledger(&agreement, book);
    for at in [served_at() + Duration::days(20), served_at() + Duration::days(45)] {
        let (summary, plans) = plan_at(&agreement, &ledger, book, at);
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for (i, (c, plan)) in book.iter().zip(&plans).enumerate() {
            for category in c.customer.categories_held() {
                let key = expected(path, c, i, category, at);
                let got = plan.decision(category).map(|d| d.eligibility.key());
                assert_eq!(
                    got.as_deref(),
                    Some(key.as_str()),
                    "{path:?}: customer {i} {category} at {at}"
                );
                *want.entry(key).or_default() += 1;
            }
        }
        let got: BTreeMap<String, u64> = summary.decisions.iter().map(|(e, n)| (e.key(), n)).collect();
        assert_eq!(got, want, "{path:?}: counts at {at}");
        assert_eq!(summary.customers, CUSTOMERS);
    }
    // The book exercises every rule the simulation can reach on this path.
    let (summary, _) = plan_at(&agreement, &ledger, book, served_at() + Duration::days(45));
    let path_keys: &[&str] = if path == TransferPath::MergerNotice {
        &[
            "exclude:objected",
            "exclude:sensitive_without_separate_consent",
            "pending:sensitive_consent_missing",
        ]
    } else {
        &[
            "exclude:consent_not_separate",
            "exclude:minor_without_guardian_consent",
            "exclude:consent_refused",
            "pending:transfer_consent_missing",
        ]
    };
    for key in [
        "include",
        "exclude:customer_out_of_scope",
        "exclude:category_out_of_scope",
        "exclude:past_retention",
        "exclude:consent_withdrawn",
    ]
    .iter()
    .chain(path_keys)
    {
        assert!(
            summary.count(key.parse().unwrap()) > 0,
            "no {key} in {:?}",
            summary.decisions
        );
    }
}

/// A small seller store: every customer's sections sealed, keys in memory.
fn seller_store(k: &Keys, book: &[SyntheticCustomer]) -> (InMemoryKeyStore, InMemoryVault, Vec<Moving>) {
    let keys = InMemoryKeyStore::new();
    let sections = InMemoryVault::new();
    let mut moving = Vec::new();
    for c in book {
        let id = c.customer.id();
        let (dek, wrapped) = k.seller_ring.generate_dek(id).unwrap();
        keys.put_wrapped_key(&wrapped).unwrap();
        let mut cats = Vec::new();
        for (category, plain) in category_plaintexts(&c.customer).unwrap() {
            let sealed = seal_section(&dek, id, category, 1, &plain).unwrap();
            sections.put_section(id, category, 1, &sealed).unwrap();
            cats.push(category);
        }
        moving.push(Moving {
            customer: id,
            categories: cats,
        });
    }
    (keys, sections, moving)
}

fn package_of(k: &Keys, agreement: &SignedAgreement, n: usize) -> (Vec<u8>, PackageSummary) {
    let book: Vec<SyntheticCustomer> = book().into_iter().take(n).collect();
    let (keys, sections, moving) = seller_store(k, &book);
    let mut out = Vec::new();
    let (summary, _) = package(
        &mut out,
        agreement,
        Seller {
            signing_key: &k.seller,
            keyring: &k.seller_ring,
            keys: &keys,
            sections: &sections,
        },
        PackageContents {
            moving,
            created_at: served_at(),
            proof_tree: ProofTree::Discard,
        },
        &mut |_| {},
    )
    .unwrap();
    (out, summary)
}

fn import_bytes(k: &Keys, agreement: &SignedAgreement, bytes: &[u8]) -> Result<ImportOutcome, TransferError> {
    let keys = InMemoryKeyStore::new();
    let sections = InMemoryVault::new();
    import(
        bytes,
        agreement,
        Buyer {
            recipient: &k.recipient,
            keyring: &k.buyer_ring,
            keys: &keys,
            sections: &sections,
        },
        &ImportSettings::default(),
        &mut |_| {},
    )
}

#[test]
fn a_flipped_byte_anywhere_in_a_package_fails_import() {
    let k = keys();
    let agreement = sign(&k, terms(&k));
    let (bytes, summary) = package_of(&k, &agreement, 3);
    assert_eq!(import_bytes(&k, &agreement, &bytes).unwrap().root, summary.root);
    // Every byte of the header, the first entry's framing and keys, and the trailer; a dense sample (one
    // byte in five) of the section bytes between, to keep the debug build fast. The crate's own tests flip
    // every byte of a smaller package.
    let first_entry_keys = package::HEADER_LEN + 5 + 32 + 16 + 2 + 109 + 1;
    let trailer = bytes.len() - (1 + 8 + 32 + 64);
    let positions = (0..first_entry_keys)
        .chain((first_entry_keys..trailer).step_by(5))
        .chain(trailer..bytes.len());
    for i in positions {
        let mut bad = bytes.clone();
        bad[i] ^= 0x80;
        assert!(
            import_bytes(&k, &agreement, &bad).is_err(),
            "byte {i} of {}",
            bytes.len()
        );
    }
}

#[test]
fn the_wrong_buyer_key_fails() {
    let k = keys();
    let agreement = sign(&k, terms(&k));
    let (bytes, _) = package_of(&k, &agreement, 2);
    let other = Keys {
        recipient: RecipientKeyPair::generate().unwrap(),
        ..keys()
    };
    assert_eq!(
        import_bytes(&other, &agreement, &bytes).err(),
        Some(TransferError::AgreementMismatch { what: "buyer key" })
    );
}

#[test]
fn a_package_replayed_under_another_agreement_fails() {
    let k = keys();
    let agreement = sign(&k, terms(&k));
    let (bytes, _) = package_of(&k, &agreement, 2);
    let mut other_terms = agreement.terms().clone();
    other_terms.objection_window_days = 31;
    let other = sign(&k, other_terms);
    assert_eq!(
        import_bytes(&k, &other, &bytes).err(),
        Some(TransferError::AgreementMismatch {
            what: "agreement digest"
        })
    );
}

#[test]
fn unsigned_or_half_signed_agreements_cannot_be_used() {
    let k = keys();
    let agreement = sign(&k, terms(&k));
    let full = agreement.encode();
    assert_eq!(SignedAgreement::decode(&full).unwrap(), agreement);
    // Without the buyer's signature, without both, or with either one flipped.
    let sig_start = full.len() - 128;
    assert_eq!(
        SignedAgreement::decode(&full[..full.len() - 64]).err(),
        Some(TransferError::BadSignature {
            what: "agreement buyer"
        })
    );
    assert_eq!(
        SignedAgreement::decode(&full[..sig_start]).err(),
        Some(TransferError::BadSignature {
            what: "agreement seller"
        })
    );
    for (offset, who) in [
        (sig_start, "agreement seller"),
        (sig_start + 64, "agreement buyer"),
    ] {
        let mut bad = full.clone();
        bad[offset + 7] ^= 1;
        assert_eq!(
            SignedAgreement::decode(&bad).err(),
            Some(TransferError::BadSignature { what: who })
        );
    }
    // A signature by the wrong party is refused when signing, and a seller's signature placed in the
    // buyer's slot does not verify.
    let draft = DraftAgreement::new(terms(&k)).unwrap();
    assert_eq!(
        draft.clone().sign_as_seller(&k.buyer).err(),
        Some(TransferError::WrongSigner { role: "seller" })
    );
    let mut swapped = full.clone();
    let seller_sig = full[sig_start..sig_start + 64].to_vec();
    swapped[sig_start + 64..].copy_from_slice(&seller_sig);
    assert!(SignedAgreement::decode(&swapped).is_err());
    // Terms bytes that are not canonical are refused even before signatures.
    let mut spaced = draft.as_bytes().to_vec();
    spaced.push(b' ');
    assert!(matches!(
        DraftAgreement::from_bytes(&spaced),
        Err(TransferError::NonCanonicalAgreement { .. })
    ));
}

#[test]
fn customers_are_told_in_both_languages_with_the_buyer_named() {
    let k = keys();
    let agreement = sign(&k, terms(&k));
    let cats: BTreeSet<DataCategory> = [DataCategory::Identity, DataCategory::Health].into();
    let context = custodia::transfer::notice::NoticeContext {
        agreement: &agreement,
        retention: RetentionStatement::of(&Profile::cn_insurance_broker().unwrap()),
        deadline: None,
    };
    let render = |language| {
        let addressee = Addressee::new(CustomerId::new_v7(), cats.clone(), language);
        custodia::transfer::notice::render(&context, &addressee).unwrap()
    };
    let (zh, en) = (render(Language::SimplifiedChinese), render(Language::English));
    for text in [&zh, &en] {
        assert!(text.contains(agreement.terms().buyer.name()));
        assert!(text.contains(agreement.terms().buyer.contact()));
        assert!(text.contains(agreement.terms().buyer.credit_code().unwrap().as_str()));
    }
    assert!(zh.contains("第二十二条") && zh.contains("健康信息") && zh.contains("30日"));
    assert!(en.contains("PIPL Art 22") && en.contains("health information") && en.contains("30 days"));
}

#[test]
fn customer_ids_are_sorted_in_the_package_whatever_order_they_are_given_in() {
    let k = keys();
    let agreement = sign(&k, terms(&k));
    let book: Vec<SyntheticCustomer> = book().into_iter().take(5).collect();
    let (keys, sections, mut moving) = seller_store(&k, &book);
    moving.reverse();
    let mut out = Vec::new();
    let (_, tree) = package(
        &mut out,
        &agreement,
        Seller {
            signing_key: &k.seller,
            keyring: &k.seller_ring,
            keys: &keys,
            sections: &sections,
        },
        PackageContents {
            moving,
            created_at: served_at(),
            proof_tree: ProofTree::Keep,
        },
        &mut |_| {},
    )
    .unwrap();
    let tree = tree.unwrap();
    let ids: Vec<CustomerId> = book.iter().map(|c| c.customer.id()).collect();
    for id in &ids {
        assert!(tree.position(*id).is_ok());
    }
    assert_eq!(import_bytes(&k, &agreement, &out).unwrap().customers, 5);
}
