//! A licence transfer as a durable case over real dates, through the application layer: one case run across simulated weeks with a fresh `Brokerage` opening for every step equals the same case run in one opening; out-of-order and repeated calls are typed errors or no-ops; a second brokerage on one store is refused; a corrupted package is discarded whole; the evidence folder names the first thing that fails.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::num::NonZeroUsize;

use common::{STEPS, Scenario, Step, day, served_at};
use custodia::access::AccessError;
use custodia::brokerage::ReadRequest;
use custodia::brokerage::{
    BrokerageError, CaseRole, CaseState, ManualClock, NoticeRound, Reached, WhilePending, verify_evidence,
};
use custodia::consent::Channel;
use custodia::model::chrono::NaiveDate;
use custodia::model::{ActorId, DataCategory, Purpose};
use custodia::retention::RetentionError;
use custodia::transfer::{Eligibility, PendingReason};
use custodia_synthetic::answers::{AnswerPlan, transfer_answers};
use custodia_synthetic::book::SyntheticBook;
use custodia_synthetic::staff::Staff;

const CUSTOMERS: u64 = 40;
const SEED: u64 = 3;

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

/// The whole case in one opening of each brokerage, the clock moved between the steps: the other way to
/// get the same outcome as [`Scenario::run_step`]'s separate openings.
fn run_in_one_opening(s: &Scenario) {
    let transfer = s.agreement().transfer_id();
    let clock = ManualClock::at(served_at());
    let open = |name: &str, key| {
        let config = custodia::brokerage::BrokerageConfig::sqlite(s.dir.join(format!("{name}.db")))
            .with_clock(clock.clone())
            .with_origin(format!("{name}.example/ledger"))
            .with_batch(NonZeroUsize::new(64).unwrap());
        custodia::brokerage::Brokerage::open(config, &custodia::brokerage::StaticKeySource::new(key)).unwrap()
    };
    let (seller, buyer) = (
        open("seller", common::SELLER_KEY),
        open("buyer", common::BUYER_KEY),
    );
    let case = seller.open_seller_case(&s.agreement()).unwrap();
    let notice = case.publish_notices().unwrap().zh;
    case.serve_notices(NoticeRound::everyone(actor("notices-bot")))
        .unwrap();
    let plan = AnswerPlan::new(s.seed, served_at(), notice, actor("clerk-0002"));
    let mut answers = Vec::new();
    for (n, item) in SyntheticBook::stream(&s.book(), common::book_date())
        .unwrap()
        .enumerate()
    {
        answers.extend(
            transfer_answers(&plan, n as u64, &item.unwrap().customer, case.agreement().terms()).unwrap(),
        );
    }
    // All answers at once, on day 45: the bitemporal plan does not care when they were keyed in, only when
    // they took effect.
    clock.set(day(45));
    case.record_responses(&answers).unwrap();
    case.execute(WhilePending::Exclude).unwrap();
    let package = case.write_package(&s.package_path()).unwrap();
    let buying = buyer.open_buyer_case(&s.agreement()).unwrap();
    buying.import(&package.path, &mut |_| {}).unwrap();
    let receipt = buying.sign_receipt().unwrap();
    std::fs::write(s.dir.join("receipt.bin"), &receipt).unwrap();
    case.verify_receipt(&receipt).unwrap();
    clock.set(day(46));
    case.plan_disposition(actor("ops-1")).unwrap();
    s.approve(&case, "dpo-1").unwrap();
    s.approve(&case, "cco-1").unwrap();
    case.execute_disposition(actor("ops-2")).unwrap();
    case.close(Vec::new()).unwrap();
    assert_eq!(
        seller.seller_case(transfer).unwrap().state().unwrap(),
        CaseState::Closed
    );
}

#[test]
fn a_case_across_simulated_weeks_in_separate_openings_equals_one_opening() {
    let dir = tempfile::tempdir().unwrap();
    let base = Scenario::create(&dir.path().join("base"), CUSTOMERS, SEED);
    let weeks = base.copy_to(&dir.path().join("weeks"));
    let transfer = weeks.agreement().transfer_id();
    let expected_state = |step: Step| match step {
        Step::Open => CaseState::Opened,
        Step::Publish | Step::Serve | Step::EarlyAnswers | Step::Preview | Step::LateAnswers => {
            CaseState::Notifying
        }
        Step::Execute => CaseState::Executed,
        Step::Package | Step::BuyerOpens | Step::Import | Step::SignReceipt => CaseState::Packaged,
        Step::VerifyReceipt => CaseState::ReceiptVerified,
        Step::PlanDisposition | Step::FirstApproval => CaseState::DispositionPlanned,
        Step::SecondApproval => CaseState::DispositionApproved,
        Step::Dispose => CaseState::Disposed,
        Step::Close | Step::Export => CaseState::Closed,
    };
    for step in STEPS {
        weeks.run_step(step).unwrap_or_else(|e| panic!("{step:?}: {e}"));
        let seller = weeks.seller(step.at()).unwrap();
        assert_eq!(
            seller.seller_case(transfer).unwrap().state().unwrap(),
            expected_state(step),
            "after {step:?}"
        );
        if step == Step::Preview {
            // Day 20: every customer served is still inside the objection window.
            let preview = seller.seller_case(transfer).unwrap().preview_plan().unwrap();
            assert_eq!(preview.customers_moving, 0);
            assert!(preview.count(Eligibility::Pending(PendingReason::ObjectionWindowOpen)) > 0);
        }
    }
    let one = base.copy_to(&dir.path().join("one"));
    run_in_one_opening(&one);
    let (a, b) = (weeks.outcome(), one.outcome());
    assert_eq!(a, b, "separate openings and one opening disagree");
    // The final plan excluded what was still pending, with its reason.
    assert_eq!(a.plan.decisions.pending(), 0);
    assert!(a.plan.customers_moving > 0 && a.plan.customers_moving < CUSTOMERS);
    assert_eq!(a.imported, a.plan.customers_moving);
    let checked = verify_evidence(&weeks.evidence_path()).unwrap();
    assert_eq!(checked.root.to_hex(), a.root);
    assert_eq!(checked.proofs.len(), 4);
    // The buyer holds exactly what moved, readable with its own keys.
    let buyer = weeks.buyer(day(46)).unwrap();
    assert_eq!(
        buyer.buyer_case(transfer).unwrap().spot_check(1000).unwrap(),
        a.imported
    );
    assert!(weeks.seller(day(46)).unwrap().verify_ledger().is_ok());
    assert!(buyer.verify_ledger().is_ok());
}

fn out_of_order(result: Result<impl std::fmt::Debug, BrokerageError>, step: &str, state: CaseState) {
    match result {
        Err(BrokerageError::OutOfOrder {
            step: s, state: st, ..
        }) if s == step && st == state => {}
        other => panic!("{step}: expected out of order in {state}, got {other:?}"),
    }
}

#[test]
fn out_of_order_calls_name_the_state_and_repeated_calls_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::create(&dir.path().join("s"), CUSTOMERS, SEED);
    let transfer = s.agreement().transfer_id();
    let seller = s.seller(served_at()).unwrap();
    assert!(matches!(
        seller.seller_case(transfer),
        Err(BrokerageError::NoSuchCase {
            role: CaseRole::Seller,
            ..
        })
    ));
    assert!(seller.transfer_cases().unwrap().is_empty());
    let case = seller.open_seller_case(&s.agreement()).unwrap();
    let again = seller.open_seller_case(&s.agreement()).unwrap();
    assert_eq!(again.state().unwrap(), CaseState::Opened);
    // Listed once, as the seller's, in the state it stands in.
    let listed: Vec<_> = seller
        .transfer_cases()
        .unwrap()
        .into_iter()
        .map(|c| (c.transfer, c.role, c.state))
        .collect();
    assert_eq!(listed, [(transfer, CaseRole::Seller, CaseState::Opened)]);
    let everyone = || NoticeRound::everyone(actor("bot"));
    out_of_order(case.serve_notices(everyone()), "serve notices", CaseState::Opened);
    out_of_order(case.execute(WhilePending::Exclude), "execute", CaseState::Opened);
    out_of_order(case.record_responses(&[]), "record responses", CaseState::Opened);
    let notices = case.publish_notices().unwrap();
    let size = seller.verify_ledger().unwrap().size();
    assert_eq!(case.publish_notices().unwrap(), notices);
    assert_eq!(
        seller.verify_ledger().unwrap().size(),
        size,
        "publishing again appended"
    );
    let served = case.serve_notices(everyone()).unwrap();
    assert!(served.served > 0);
    let twice = case.serve_notices(everyone()).unwrap();
    assert_eq!((twice.served, twice.total), (0, served.total));
    let listed: Vec<_> = case
        .final_plan(None, 10)
        .unwrap()
        .into_iter()
        .map(|d| d.customer)
        .collect();
    assert!(listed.is_empty(), "no final plan before execution");
    // Serving chosen customers again serves none of them twice.
    let some: Vec<_> = SyntheticBook::stream(&s.book(), common::book_date())
        .unwrap()
        .take(5)
        .map(|c| c.unwrap().customer.id())
        .collect();
    let round = NoticeRound {
        reached: Reached::Customers(&some),
        channel: Channel::Paper,
        by: actor("clerk"),
    };
    assert_eq!(case.serve_notices(round).unwrap().served, 0);
    out_of_order(
        case.write_package(&s.package_path()),
        "write the package",
        CaseState::Notifying,
    );

    // Answers: recorded once, however often they are handed in.
    let plan = AnswerPlan::new(SEED, served_at(), notices.zh, actor("clerk"));
    let mut answers = Vec::new();
    for (n, item) in SyntheticBook::stream(&s.book(), common::book_date())
        .unwrap()
        .enumerate()
    {
        answers.extend(
            transfer_answers(&plan, n as u64, &item.unwrap().customer, case.agreement().terms()).unwrap(),
        );
    }
    let first = case.record_responses(&answers).unwrap();
    assert_eq!(first.recorded, answers.len() as u64);
    let second = case.record_responses(&answers).unwrap();
    assert_eq!((second.recorded, second.already), (0, answers.len() as u64));
    let not_a_response = custodia_synthetic::consent::consent_events(
        some[0],
        &custodia_synthetic::book::ConsentFact {
            purpose: custodia::model::Purpose::Marketing,
            categories: vec![DataCategory::MarketingPreferences],
            granted_at: common::book_date(),
            withdrawn_at: None,
            separate: true,
            by_guardian: false,
        },
        &custodia_synthetic::consent::Recording::on_the_day(
            notices.zh,
            actor("clerk"),
            custodia::consent::Digest::of(b"x"),
        ),
    )
    .unwrap();
    assert!(matches!(
        case.record_responses(&not_a_response),
        Err(BrokerageError::NotAResponse { .. })
    ));

    // Execution: not before the execution date, not while pending if the parties wait, once.
    drop(case);
    drop(again);
    drop(seller);
    let early = s.seller(day(20)).unwrap();
    assert!(matches!(
        early
            .seller_case(transfer)
            .unwrap()
            .execute(WhilePending::Exclude),
        Err(BrokerageError::TooEarly { .. })
    ));
    drop(early);
    // On 1 July, the window's last day (counted from 2 June, closing at 24:00 Beijing: Civil Code Arts 201,
    // 203), it is still open: execution waits for 2 July.
    let last_day = s.seller(day(30)).unwrap();
    let on_last_day = last_day.seller_case(transfer).unwrap();
    let july = |d| NaiveDate::from_ymd_opt(2026, 7, d).unwrap();
    assert_eq!(on_last_day.execution_date().unwrap(), july(2));
    assert!(matches!(
        on_last_day.execute(WhilePending::Exclude),
        Err(BrokerageError::TooEarly { not_before, .. }) if not_before == july(2)
    ));
    drop(on_last_day);
    drop(last_day);
    let seller = s.seller(day(45)).unwrap();
    let case = seller.seller_case(transfer).unwrap();
    assert!(matches!(
        case.execute(WhilePending::Wait),
        Err(BrokerageError::StillPending { .. })
    ));
    let plan = case.execute(WhilePending::Exclude).unwrap();
    assert_eq!(case.execute(WhilePending::Exclude).unwrap(), plan);
    out_of_order(
        case.serve_notices(everyone()),
        "serve notices",
        CaseState::Executed,
    );
    out_of_order(
        case.verify_receipt(b"not yet"),
        "verify the receipt",
        CaseState::Executed,
    );
    let package = case.write_package(&s.package_path()).unwrap();
    assert_eq!(case.write_package(&s.package_path()).unwrap(), package);

    // The buyer: receipt only after the import; the import once.
    let buyer = s.buyer(day(45)).unwrap();
    let buying = buyer.open_buyer_case(&s.agreement()).unwrap();
    out_of_order(buying.sign_receipt(), "sign the receipt", CaseState::Opened);
    assert!(matches!(
        seller.open_buyer_case(&s.agreement()),
        Err(BrokerageError::NotAParty {
            role: CaseRole::Buyer,
            ..
        })
    ));
    let imported = buying.import(&package.path, &mut |_| {}).unwrap();
    assert_eq!(buying.import(&package.path, &mut |_| {}).unwrap(), imported);
    let receipt = buying.sign_receipt().unwrap();
    assert_eq!(
        buying.sign_receipt().unwrap(),
        receipt,
        "a second signature is the same bytes"
    );

    // The receipt: a forged one is refused and changes nothing; the real one once; another after it never.
    let mut forged = receipt.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(case.verify_receipt(&forged).is_err());
    assert_eq!(case.state().unwrap(), CaseState::Packaged);
    let verified = case.verify_receipt(&receipt).unwrap();
    assert_eq!(case.verify_receipt(&receipt).unwrap(), verified);
    assert!(matches!(
        case.verify_receipt(&forged),
        Err(BrokerageError::ReceiptConflict { .. })
    ));

    // From the verified receipt on, a moved customer's data is closed to the seller's sales (the gate's
    // `transferred` fact; PIPL Arts 22, 23); a customer who stayed is not.
    let sales = Staff::new(
        "sales-1",
        &["sales"],
        &[Purpose::ProposalPreparation],
        served_at(),
    )
    .unwrap();
    seller.put_principal(&sales.principal).unwrap();
    buyer.put_principal(&sales.principal).unwrap();
    let (moved, stayed): (Vec<_>, Vec<_>) = case
        .final_plan(None, 1000)
        .unwrap()
        .into_iter()
        .partition(|d| d.included().contains(&DataCategory::Contact));
    let ask = |customer| ReadRequest {
        principal: sales.id().clone(),
        customer,
        categories: [DataCategory::Contact].into_iter().collect(),
        purpose: Purpose::ProposalPreparation,
        ticket: None,
        approval: None,
    };
    let closed = |result: Result<_, BrokerageError>| match result {
        Err(BrokerageError::AccessDenied(denied)) => denied
            .policies()
            .iter()
            .any(|p| p.id() == "transferred-closed-to-sales"),
        _ => false,
    };
    let mover = moved.first().expect("a customer's contact data moved").customer;
    assert!(closed(seller.read(ask(mover))), "the seller's sales");
    // At the buyer, an imported customer whose facts the buyer has not recorded yet is refused before the
    // gate: no facts, no plaintext (`record_adopted_facts`; see the test below).
    assert!(matches!(
        buyer.read(ask(mover)),
        Err(BrokerageError::AdoptedFactsMissing { .. })
    ));
    if let Some(stayer) = stayed.iter().find(|d| d.included().is_empty()) {
        assert!(
            !closed(seller.read(ask(stayer.customer))),
            "a customer who stayed"
        );
    }

    // The disposition: two distinct approvers, each counted once. Before the plan there is nothing to sign
    // (a signature of another document is verified, then refused for the case's state).
    let dpo = s.approver("dpo-1");
    assert!(case.disposition_requests().is_err());
    let elsewhere = custodia::access::ApprovalRequest::document(
        custodia::access::ApprovalId::new_v7(),
        actor("ops-1"),
        custodia::access::DocumentKind::new("destruction-plan").unwrap(),
        custodia::model::uuid::Uuid::now_v7(),
        [7; 32],
    );
    out_of_order(
        case.approve_disposition(&dpo.sign(&[elsewhere]).unwrap()),
        "approve the disposition",
        CaseState::ReceiptVerified,
    );
    out_of_order(case.close(Vec::new()), "close", CaseState::ReceiptVerified);
    let counts = case.plan_disposition(actor("ops-1")).unwrap();
    assert_eq!(case.plan_disposition(actor("ops-9")).unwrap(), counts);
    // The operator who made the plan cannot approve it, though they hold the approver role; nor can a
    // principal without the role; nor one approver's signatures of only some of the plans.
    let requests = case.disposition_requests().unwrap();
    let proposer = Staff::approver("ops-1", served_at()).unwrap();
    let clerk = Staff::new("clerk-9", &["clerk"], &[], served_at()).unwrap();
    for staff in [&proposer, &clerk] {
        seller.put_principal(&staff.principal).unwrap();
        assert!(matches!(
            case.approve_disposition(&staff.sign(&requests).unwrap()),
            Err(BrokerageError::Access(AccessError::ApprovalRefused { .. }))
        ));
    }
    if requests.len() > 1 {
        let some = dpo.sign(&requests[1..]).unwrap();
        assert!(matches!(
            case.approve_disposition(&some),
            Err(BrokerageError::InvalidInput {
                field: "approvals",
                ..
            })
        ));
    }
    // Two approvers' signatures mixed in one call: refused (each approves on their own).
    let mixed = [
        dpo.sign(&requests).unwrap(),
        s.approver("cco-1").sign(&requests).unwrap(),
    ]
    .concat();
    assert!(matches!(
        case.approve_disposition(&mixed),
        Err(BrokerageError::InvalidInput {
            field: "approvals",
            ..
        })
    ));
    assert_eq!(case.state().unwrap(), CaseState::DispositionPlanned);
    assert_eq!(s.approve(&case, "dpo-1").unwrap(), CaseState::DispositionPlanned);
    assert_eq!(s.approve(&case, "dpo-1").unwrap(), CaseState::DispositionPlanned);
    out_of_order(
        case.execute_disposition(actor("ops-2")),
        "execute the disposition",
        CaseState::DispositionPlanned,
    );
    assert_eq!(s.approve(&case, "cco-1").unwrap(), CaseState::DispositionApproved);
    // An approver cannot run what they approved: verified again at execution, refused, nothing destroyed.
    assert!(matches!(
        case.execute_disposition(actor("cco-1")),
        Err(BrokerageError::Retention(RetentionError::ApprovalRefused { .. }))
    ));
    assert_eq!(case.state().unwrap(), CaseState::DispositionApproved);
    let disposed = case.execute_disposition(actor("ops-2")).unwrap();
    assert_eq!(case.execute_disposition(actor("ops-3")).unwrap(), disposed);
    // Each certificate on the ledger carries both signatures, which verify with the approvers' public keys.
    assert!(!disposed.certificates.is_empty());
    for index in &disposed.certificates {
        let certificate = seller.destruction_certificate(*index).unwrap();
        assert_eq!(certificate.approvers(), &[actor("dpo-1"), actor("cco-1")]);
        assert_eq!(certificate.approvals().len(), 2);
        for approval in certificate.approvals() {
            let record = s.approver(approval.approver().as_str()).principal;
            approval
                .verify(&record, &custodia::access::ApprovalSettings::default())
                .unwrap();
        }
    }
    assert!(
        seller.destruction_certificate(0).is_err(),
        "entry 0 is no certificate"
    );
    out_of_order(
        case.export_evidence(&s.evidence_path(), &[]),
        "export the evidence",
        CaseState::Disposed,
    );
    let report = case.close(Vec::new()).unwrap();
    assert_eq!(case.close(Vec::new()).unwrap(), report);
    assert!(report.all_passed(), "{:?}", report.checks);
}

#[test]
fn a_second_brokerage_on_one_store_is_refused_until_the_first_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::create(&dir.path().join("s"), 4, SEED);
    let first = s.seller(served_at()).unwrap();
    match s.seller(served_at()) {
        Err(BrokerageError::StoreInUse { path, lock }) => {
            assert!(
                path.ends_with("seller.db") && lock.ends_with("seller.db.lock"),
                "{path} {lock}"
            );
        }
        other => panic!("{other:?}"),
    }
    drop(first);
    assert!(s.seller(served_at()).is_ok());
}

#[test]
fn a_corrupted_package_is_discarded_whole_and_the_good_one_then_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::create(&dir.path().join("s"), 24, SEED);
    for step in STEPS.into_iter().take_while(|st| *st != Step::Import) {
        s.run_step(step).unwrap();
    }
    let transfer = s.agreement().transfer_id();
    let good = std::fs::read(s.package_path()).unwrap();
    let bad_path = dir.path().join("bad.pkg");
    // One flipped bit in the seller's signature: every entry imports, and only the end fails.
    let mut bad = good.clone();
    let at = bad.len() - 10;
    bad[at] ^= 0x10;
    std::fs::write(&bad_path, &bad).unwrap();
    let buyer = s.buyer(day(45)).unwrap();
    let buying = buyer.buyer_case(transfer).unwrap();
    assert!(buying.import(&bad_path, &mut |_| {}).is_err());
    assert_eq!(buying.state().unwrap(), CaseState::Opened);
    // Nothing of the failed import is in the buyer's store.
    let seller = s.seller(day(45)).unwrap();
    let moved = seller
        .seller_case(transfer)
        .unwrap()
        .final_plan(None, 100)
        .unwrap();
    let someone = moved.iter().find(|d| !d.included().is_empty()).unwrap().customer;
    assert!(matches!(
        buyer.read_trusted(someone, &DataCategory::ALL),
        Err(BrokerageError::UnknownCustomer { .. })
    ));
    let imported = buying.import(&s.package_path(), &mut |_| {}).unwrap();
    assert_eq!(
        imported.customers,
        moved.iter().filter(|d| !d.included().is_empty()).count() as u64
    );
    assert!(
        !buyer
            .read_trusted(someone, &DataCategory::ALL)
            .unwrap()
            .sections
            .is_empty()
    );
}

#[test]
fn the_evidence_folder_names_the_first_thing_that_fails() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::create(&dir.path().join("s"), 12, SEED);
    for step in STEPS {
        s.run_step(step).unwrap();
    }
    let folder = s.evidence_path();
    assert!(verify_evidence(&folder).is_ok());
    let fails = |file: &str| match verify_evidence(&folder) {
        Err(BrokerageError::Evidence { file: f, check, .. }) => {
            if f == file {
                check
            } else {
                "other file"
            }
        }
        other => panic!("{other:?}"),
    };
    // A flipped byte in the receipt: the manifest says it first.
    let receipt = folder.join("receipt.bin");
    let original = std::fs::read(&receipt).unwrap();
    let mut flipped = original.clone();
    flipped[20] ^= 1;
    std::fs::write(&receipt, &flipped).unwrap();
    assert_eq!(fails("receipt.bin"), "digest");
    // With the manifest "fixed" too, the receipt's own check catches it.
    let manifest_path = folder.join("MANIFEST.json");
    let original_manifest = std::fs::read(&manifest_path).unwrap();
    let mut manifest: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let digest = custodia::transfer::ManifestEntry::digest(&flipped);
    manifest.insert(
        "receipt.bin".into(),
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    );
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    assert_eq!(fails("receipt.bin"), "receipt");
    std::fs::write(&receipt, &original).unwrap();
    std::fs::write(&manifest_path, &original_manifest).unwrap();
    assert!(verify_evidence(&folder).is_ok());
    // A missing file is named.
    std::fs::remove_file(folder.join("proofs.json")).unwrap();
    assert_eq!(fails("proofs.json"), "read");
}

/// At the buyer, an adopted customer's requests and gated reads wait for the facts the package does not
/// carry (residence, relationship dates, last verification): refused with a typed error naming the customer
/// — never "unknown", since the buyer holds their data and must answer them (PIPL Arts 22, 45). Once the
/// buyer records them the customer is a record like any other: the sections that travelled and the facts
/// as one checked model record, read back through the trusted path and the gate, and their request taken.
#[test]
fn the_buyer_records_an_adopted_customers_facts_and_then_serves_them() {
    use custodia::brokerage::AdoptedFacts;
    use custodia::rights::{Intake, RequestKind};
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::create(&dir.path().join("s"), 24, SEED);
    for step in STEPS
        .into_iter()
        .take_while(|st| !matches!(st, Step::SignReceipt))
    {
        s.run_step(step).unwrap();
    }
    let (seller, buyer) = (s.seller(day(45)).unwrap(), s.buyer(day(45)).unwrap());
    let case = seller.seller_case(s.agreement().transfer_id()).unwrap();
    let decision = case
        .final_plan(None, 1000)
        .unwrap()
        .into_iter()
        .find(|d| d.included().contains(&DataCategory::Identity))
        .expect("somebody moved");
    let mover = decision.customer;
    let original = seller.read_customer_trusted(mover).unwrap();
    let officer = Staff::new("cco-b", &["compliance"], &[Purpose::LegalCompliance], served_at()).unwrap();
    buyer.put_principal(&officer.principal).unwrap();
    let ask = ReadRequest {
        principal: officer.id().clone(),
        customer: mover,
        categories: [DataCategory::Identity].into_iter().collect(),
        purpose: Purpose::LegalCompliance,
        ticket: Some(custodia::access::Ticket::new("adoption-check").unwrap()),
        approval: None,
    };
    let intake = || {
        Intake::new(
            mover,
            RequestKind::Access,
            Channel::Web,
            buyer.now(),
            actor("desk-b"),
        )
    };
    let missing = |e: BrokerageError| matches!(e, BrokerageError::AdoptedFactsMissing { customer } if customer == mover);
    assert!(missing(buyer.read(ask.clone()).unwrap_err()));
    assert!(missing(buyer.receive_request(intake()).unwrap_err()));

    let f = original.fields();
    let facts = AdoptedFacts {
        customer: mover,
        residence: f.residence,
        relationship_start: f.relationship_start,
        relationship_end: f.relationship_end,
        last_verified: f.last_verified,
        by: actor("ops-b"),
    };
    // Facts that fail the model's checks are refused and record nothing.
    let mut wrong = facts.clone();
    wrong.relationship_end = wrong.relationship_start.pred_opt();
    assert!(matches!(
        buyer.record_adopted_facts(wrong),
        Err(BrokerageError::Model(_))
    ));
    assert!(missing(buyer.read(ask.clone()).unwrap_err()));
    // The seller onboarded this customer itself: not an adoption.
    assert!(matches!(
        seller.record_adopted_facts(facts.clone()),
        Err(BrokerageError::InvalidInput {
            field: "adopted.customer",
            ..
        })
    ));

    let adopted = buyer.record_adopted_facts(facts.clone()).unwrap();
    assert_eq!(adopted.party(), original.party());
    assert_eq!(adopted.residence(), original.residence());
    assert_eq!(adopted.categories_held(), decision.included());
    assert_eq!(buyer.read_customer_trusted(mover).unwrap(), adopted);
    assert!(matches!(
        buyer.record_adopted_facts(facts),
        Err(BrokerageError::InvalidInput {
            field: "adopted.customer",
            ..
        })
    ));
    let read = buyer.read(ask).unwrap();
    assert_eq!(read.sections.len(), 1);
    let request = buyer.receive_request(intake()).unwrap();
    assert_eq!(request.customer(), mover);
    buyer.verify_vault(None).unwrap();
    buyer.verify_ledger().unwrap();
}
