//! The package reader is total and bounded, sampling and progress work, the disposition certifies on the
//! ledger, and the report is self-contained.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::num::NonZeroU32;

use chrono::NaiveDate;
use common::*;
use custodia_access::ApprovalSettings;
use custodia_consent::TransferPath;
use custodia_crypto::{InMemoryKeyStore, KeyStore, SectionVault};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{ActorId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_retention::{
    Contract, ContractTerm, DestructionCertificate, DestructionPlan, Execution, HeldData, Holding, Holds,
    KeyStoreShredder, Profile, PurposeBasis as Kept, RetentionFacts, SectionShredder,
};
use custodia_synthetic::staff::Staff;
use custodia_transfer::package::{ENTRY_TAG, HEADER_LEN, PackageReader, Record};
use custodia_transfer::*;
use proptest::prelude::*;

#[test]
fn a_lying_length_field_is_refused_without_allocating_it() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 1);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let mut bad = bytes[..HEADER_LEN].to_vec();
    bad.push(ENTRY_TAG);
    bad.extend_from_slice(&u32::MAX.to_be_bytes());
    let mut reader = PackageReader::open(bad.as_slice(), package::DEFAULT_MAX_ENTRY_LEN).unwrap();
    match reader.next_record() {
        Err(TransferError::MalformedPackage { offset, entry, .. }) => {
            assert_eq!(offset, HEADER_LEN as u64);
            assert_eq!(entry, "entry 0");
        }
        other => panic!("expected a malformed entry, got {other:?}"),
    }
    // Under the limit but longer than the data: truncated, named.
    let mut short = bytes[..HEADER_LEN].to_vec();
    short.push(ENTRY_TAG);
    short.extend_from_slice(&1_000_000u32.to_be_bytes());
    short.extend_from_slice(&[0u8; 10]);
    let mut reader = PackageReader::open(short.as_slice(), package::DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert!(matches!(
        reader.next_record(),
        Err(TransferError::MalformedPackage { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For any bytes after a valid header, reading records never panics and ends in an error or a trailer.
    #[test]
    fn reading_any_bytes_after_a_header_is_total(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let keys = Keys::generate().unwrap();
        let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
        let store = seller_store(&keys.seller_ring, 1);
        let (bytes, _, _) = make_package(&keys, &agreement, &store);
        let mut input = bytes[..HEADER_LEN].to_vec();
        input.extend_from_slice(&tail);
        let mut reader = PackageReader::open(input.as_slice(), 4096).unwrap();
        for _ in 0..64 {
            match reader.next_record() {
                Ok(Record::Entry(_) | Record::Sealed(_)) => continue,
                Ok(Record::Trailer(_)) | Err(_) => break,
            }
        }
    }
}

#[test]
fn sampling_opens_fewer_sections_but_still_unwraps_every_key() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 6);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let settings = ImportSettings {
        check: SectionCheck::Sample(NonZeroU32::new(3).unwrap()),
        ..ImportSettings::default()
    };
    let (outcome, staged_keys, _) = import_into(&keys, &agreement, &bytes, &settings).unwrap();
    // Entries 0 and 3 are opened: customers 0 and 3 hold 3 and 2 sections.
    assert_eq!(outcome.sections_opened, 5);
    for c in &store.customers {
        assert_eq!(staged_keys.wrapped_keys(*c).unwrap().len(), 1);
    }
}

#[test]
fn progress_is_reported_through_the_callers_callback() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 4);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    package(
        &mut out,
        &agreement,
        seller(&keys, &store),
        PackageContents {
            moving: moving(&store),
            created_at: at(2026, 7, 1),
            proof_tree: ProofTree::Discard,
        },
        &mut |p| seen.push(p),
    )
    .unwrap();
    assert_eq!(
        seen.last().map(|p| (p.phase(), p.done(), p.total())),
        Some((custodia_model::Phase::Package, 4, Some(4)))
    );
}

fn facts_of(customer: custodia_model::CustomerId, ended: Option<NaiveDate>) -> RetentionFacts {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let servicing = || vec![Kept::new(Purpose::PolicyServicing, LegalBasis::Contract)];
    let mut b = RetentionFacts::builder(customer, Jurisdiction::MAINLAND_CHINA)
        .held(
            HeldData::new(
                customer,
                Holding::Category(DataCategory::Identity),
                day(2015, 1, 1),
                servicing(),
            )
            .unwrap(),
        )
        .held(
            HeldData::new(
                customer,
                Holding::Category(DataCategory::Health),
                day(2015, 1, 1),
                servicing(),
            )
            .unwrap(),
        );
    b = match ended {
        Some(end) => b
            .contract(Contract::ending(ContractTerm::OneYearOrLess, end))
            .relationship_ended(end),
        None => b.contract(Contract::in_force(ContractTerm::OneYearOrLess)),
    };
    b.build().unwrap()
}

#[test]
fn disposition_shreds_whole_customers_deletes_single_categories_and_certifies() {
    let keys = Keys::generate().unwrap();
    let store = seller_store(&keys.seller_ring, 2);
    let sections = &store.sections;
    let key_store: &InMemoryKeyStore = &store.keys;
    let (moved, old) = (store.customers[0], store.customers[1]);
    let profile = Profile::cn_insurance_broker().unwrap();
    let holds = Holds::new();
    let on = NaiveDate::from_ymd_opt(2026, 7, 20).unwrap();
    let mut planner = DispositionPlanner::new(&profile, &holds, on);
    // Moved and in force: the broker rule keeps identity (storage only), health goes.
    planner
        .add(facts_of(moved, None), NaiveDate::from_ymd_opt(2026, 7, 15))
        .unwrap();
    // Not moved, ended 2010: every floor has run out, everything goes.
    planner
        .add(facts_of(old, NaiveDate::from_ymd_opt(2010, 1, 1)), None)
        .unwrap();
    let d = planner.finish(&ActorId::new("ops-1").unwrap()).unwrap();
    assert_eq!(d.counts.whole_customers, 1);
    assert_eq!(
        d.counts
            .storage_only
            .get(&Holding::Category(DataCategory::Identity)),
        Some(&1)
    );
    assert_eq!(
        d.counts.destroy.get(&Holding::Category(DataCategory::Health)),
        Some(&2)
    );

    let mut log = Log::new(MemoryStore::new()).unwrap();
    let now = at(2026, 7, 20);
    let operator = ActorId::new("ops-2").unwrap();
    // Two approvers sign each plan's digest (custodia-access); the operator runs it.
    let (dpo, cco) = (
        Staff::approver("dpo", now).unwrap(),
        Staff::approver("cco", now).unwrap(),
    );
    let directory = |id: &ActorId| {
        [&dpo, &cco]
            .into_iter()
            .find(|s| s.id() == id)
            .map(|s| s.principal.clone())
    };
    let settings = ApprovalSettings::default();
    let sign = |plan: &mut DestructionPlan, by: &Staff| {
        let request = plan.approval_request().unwrap();
        plan.approve(by.sign(&[request]).unwrap().remove(0)).unwrap();
    };
    let mut whole = d.crypto_shred.unwrap();
    sign(&mut whole, &dpo);
    assert!(
        whole
            .clone()
            .into_approved(&operator, &directory, &settings)
            .is_err(),
        "one approver is not enough"
    );
    sign(&mut whole, &cco);
    let report = custodia_retention::execute(
        &whole.into_approved(&operator, &directory, &settings).unwrap(),
        Execution::new(&operator, now, &holds),
        &mut KeyStoreShredder::new(key_store),
        &mut log,
    )
    .unwrap();
    assert_eq!(report.failures().count(), 0);
    assert!(key_store.destroyed_at(old).unwrap().is_some());

    let mut partial = d.section_deletion.unwrap();
    sign(&mut partial, &dpo);
    sign(&mut partial, &cco);
    let report = custodia_retention::execute(
        &partial.into_approved(&operator, &directory, &settings).unwrap(),
        Execution::new(&operator, now, &holds),
        &mut SectionShredder::new(sections),
        &mut log,
    )
    .unwrap();
    assert_eq!(report.failures().count(), 0);
    assert!(
        sections
            .latest_section(moved, DataCategory::Health)
            .unwrap()
            .is_none()
    );
    assert!(
        sections
            .latest_section(moved, DataCategory::Identity)
            .unwrap()
            .is_some()
    );
    // Both certificates are on the ledger and name the customers.
    assert_eq!(log.size(), 2);
    let cert = DestructionCertificate::from_payload(log.entry(1).unwrap().payload().unwrap()).unwrap();
    assert_eq!(cert.entries()[0].customer(), moved);
}

#[test]
fn the_html_report_is_self_contained_and_the_json_round_trips() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let mut plan = PlanSummary::default();
    plan.customers = 3;
    plan.customers_moving = 2;
    plan.decisions = [
        (Eligibility::Include, 5),
        (Eligibility::Exclude(ExcludeReason::Objected), 2),
        (Eligibility::Pending(PendingReason::ObjectionWindowOpen), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        (
            plan.decisions.included(),
            plan.decisions.excluded(),
            plan.decisions.pending()
        ),
        (5, 2, 1)
    );
    let report = TransferReport {
        generated_at: at(2026, 7, 20),
        agreement: AgreementSection::of(&agreement),
        plan,
        notices_served: 3,
        package: PackageSection::default(),
        disposition: DispositionCounts::default(),
        certificates: vec![4],
        checks: vec![Check {
            name: "ledger <verifies>".into(),
            passed: true,
            detail: "3 entries".into(),
        }],
    };
    let html = report.to_html();
    assert!(html.contains("<svg") && html.contains("exclude:objected"));
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    // Escaped by the template (askama writes numeric character references).
    assert!(html.contains("ledger &#60;verifies&#62;") && !html.contains("<verifies>"));
    let back: TransferReport = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    assert_eq!(back, report);
    assert!(report.to_markdown().contains("| include | 5 |"));
    assert!(report.all_passed());
}

#[test]
fn the_html_report_is_tables_from_the_templates_and_escapes_a_hostile_party_name() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let mut section = AgreementSection::of(&agreement);
    section.seller = "<img src=x onerror=alert(1)>示例 & \"经纪\"".into();
    let mut plan = PlanSummary::default();
    plan.customers = 2;
    plan.decisions = [(Eligibility::Exclude(ExcludeReason::Objected), 2)]
        .into_iter()
        .collect();
    let report = TransferReport {
        generated_at: at(2026, 7, 20),
        agreement: section,
        plan,
        notices_served: 2,
        package: PackageSection::default(),
        disposition: DispositionCounts::default(),
        certificates: vec![],
        checks: vec![
            Check {
                name: "receipt verified".into(),
                passed: true,
                detail: "2 customers".into(),
            },
            Check {
                name: "ledger verifies".into(),
                passed: false,
                detail: "entry 7: bad signature".into(),
            },
        ],
    };
    let html = report.to_html();
    // The name is text, never markup: no element was made of it, in the heading or the parties' table.
    assert!(!html.contains("<img"), "{html}");
    let escaped = "&#60;img src=x onerror=alert(1)&#62;示例 &#38; &#34;经纪&#34;";
    assert_eq!(html.matches(escaped).count(), 2, "{html}");
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    for font in [
        "\"Noto Sans CJK SC\"",
        "\"Source Han Sans SC\"",
        "\"PingFang SC\"",
        "\"Microsoft YaHei\"",
        "\"Hiragino Sans GB\"",
        "sans-serif",
    ] {
        assert!(html.contains(font), "{font}");
    }
    // Real tables, not a <pre> dump of the Markdown.
    assert!(!html.contains("<pre"));
    for id in [
        "report-agreement",
        "report-counts",
        "plan-decisions",
        "report-checks",
        "report-roots",
    ] {
        assert!(html.contains(&format!(r#"<table id="{id}">"#)), "{id}");
    }
    assert!(html.contains(r#"<tr class="exclude"><td class="code">exclude:objected</td><td>exclude</td><td class="num">2</td></tr>"#));
    assert!(html.contains(
        r#"<tr class="fail"><td>ledger verifies</td><td>未通过 fail</td><td>entry 7: bad signature</td></tr>"#
    ));
    assert!(html.contains(r#"<tr class="ok"><td>receipt verified</td>"#));
    assert!(html.contains("有未通过项 some failed"));
    assert!(html.contains(&custodia_ledger::empty_root().to_hex()));
    // The Markdown is unchanged by the page: the name as it is, in its table.
    assert!(
        report
            .to_markdown()
            .contains("| seller | <img src=x onerror=alert(1)>示例 & \"经纪\" |")
    );
}

#[test]
fn a_package_writer_never_shows_its_transfer_key() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let writer = package::PackageWriter::start(
        Vec::new(),
        &agreement,
        &keys.seller_sign,
        at(2026, 7, 1),
        ProofTree::Discard,
    )
    .unwrap();
    let shown = format!("{writer:?}");
    assert!(shown.starts_with("PackageWriter"));
    assert!(shown.contains(&agreement.transfer_id().to_string()));
    // Only the transfer id and a count: no field that could carry key material.
    assert!(!shown.to_lowercase().contains("key"));
}

#[test]
fn a_count_that_disagrees_with_the_entries_names_the_trailer_offset() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (mut bytes, _, _) = make_package(&keys, &agreement, &store);
    let trailer = bytes.len() - package::TRAILER_LEN;
    bytes[trailer + 8] ^= 1;
    match import_into(&keys, &agreement, &bytes, &ImportSettings::default()) {
        Err(TransferError::MalformedPackage { offset, entry, .. }) => {
            assert_eq!((offset, entry.as_str()), (trailer as u64, "trailer"));
        }
        other => panic!("expected a malformed trailer, got {other:?}"),
    }
}
