//! Destruction end to end: signed approvals (custodia-access), execution through shredders, holds re-checked at execution,

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! partial failures, safe re-runs, and certificates on the ledger.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_access::{AccessError, ApprovalSettings, Principal, SignedApproval};
use custodia_crypto::{InMemoryKeyStore, KeyStore};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::ActorId;
use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_retention::{
    CertificateLog, DestructionCertificate, DestructionMethod, DestructionPlan, Execution, ExecutionReport,
    HeldCustomers, HeldData, HoldScope, Holding, Holds, ItemStatus, KeyStoreShredder, PlaceHold, PlanId,
    PlanItem, Profile, PurposeBasis, RetentionError, RetentionFacts, ShredRequest, Shredded, Shredder,
    execute,
};
use custodia_synthetic::staff::Staff;
use proptest::prelude::*;
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap()
}

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn plan_id() -> PlanId {
    PlanId::from_uuid(Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0001)).unwrap()
}

/// A customer whose relationship ended in 2020, holding marketing preferences (no floor) and, if `with_identity`,
/// identity data still under the AML floor until 2030.
fn customer(with_identity: bool) -> RetentionFacts {
    let c = CustomerId::new_v7();
    let servicing = || vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)];
    let mut b = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
        .held(
            HeldData::new(
                c,
                Holding::Category(DataCategory::MarketingPreferences),
                d(2015, 1, 1),
                servicing(),
            )
            .unwrap(),
        )
        .relationship_ended(d(2020, 1, 1));
    if with_identity {
        b = b.held(
            HeldData::new(
                c,
                Holding::Category(DataCategory::Identity),
                d(2015, 1, 1),
                servicing(),
            )
            .unwrap(),
        );
    }
    b.build().unwrap()
}

fn items(book: &[RetentionFacts]) -> Vec<PlanItem> {
    let profile = Profile::cn_insurance_broker().unwrap();
    book.iter()
        .filter_map(|f| {
            let decisions = profile.decide(f, &Holds::new(), at().date_naive()).unwrap();
            PlanItem::from_decisions(f.customer(), &decisions)
        })
        .collect()
}

/// The staff of these tests: two approvers, the plan's proposer and its operator (both approvers too, so
/// that only the four-eyes rule refuses them), and a clerk without the approver role.
struct Team {
    dpo: Staff,
    cco: Staff,
    proposer: Staff,
    operator: Staff,
    clerk: Staff,
}

impl Team {
    fn new() -> Self {
        Self {
            dpo: Staff::approver("dpo-1", at()).unwrap(),
            cco: Staff::approver("cco-1", at()).unwrap(),
            proposer: Staff::approver("ops-1", at()).unwrap(),
            operator: Staff::approver("ops-2", at()).unwrap(),
            clerk: Staff::new("clerk-1", &["clerk"], &[], at()).unwrap(),
        }
    }

    fn directory(&self) -> impl Fn(&ActorId) -> Option<Principal> + '_ {
        move |id| {
            [&self.dpo, &self.cco, &self.proposer, &self.operator, &self.clerk]
                .into_iter()
                .find(|s| s.id() == id)
                .map(|s| s.principal.clone())
        }
    }
}

fn signed(plan: &DestructionPlan, by: &Staff) -> SignedApproval {
    by.sign(&[plan.approval_request().unwrap()]).unwrap().remove(0)
}

fn approve_and_verify(
    team: &Team,
    mut plan: DestructionPlan,
    by: &[&Staff],
) -> Result<custodia_retention::ApprovedPlan, RetentionError> {
    for s in by {
        plan.approve(signed(&plan, s))?;
    }
    plan.into_approved(
        team.operator.id(),
        &team.directory(),
        &ApprovalSettings::default(),
    )
}

fn approved(book: &[RetentionFacts]) -> custodia_retention::ApprovedPlan {
    let team = Team::new();
    let plan = DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), items(book)).unwrap();
    approve_and_verify(&team, plan, &[&team.dpo, &team.cco]).unwrap()
}

fn refused_by(result: Result<custodia_retention::ApprovedPlan, RetentionError>) -> AccessError {
    match result {
        Err(RetentionError::ApprovalRefused { source, .. }) => source,
        other => panic!("expected a refused approval, got {other:?}"),
    }
}

/// A shredder that remembers what it destroyed and fails for chosen customers.
#[derive(Default)]
struct FakeShredder {
    destroyed: BTreeSet<(CustomerId, Holding)>,
    failing: HashSet<CustomerId>,
    calls: usize,
}

impl Shredder for FakeShredder {
    type Error = String;

    fn method(&self) -> DestructionMethod {
        DestructionMethod::SectionDeletion
    }

    fn shred(&mut self, request: &ShredRequest<'_>) -> Result<Shredded, String> {
        self.calls += 1;
        if self.failing.contains(&request.customer) {
            return Err("section store unavailable".to_owned());
        }
        let mut any_new = false;
        for h in request.holdings {
            any_new |= self.destroyed.insert((request.customer, *h));
        }
        Ok(if any_new {
            Shredded::Destroyed
        } else {
            Shredded::AlreadyDestroyed
        })
    }
}

/// The one certificate of a report.
fn only(report: &ExecutionReport) -> (u64, &DestructionCertificate) {
    assert_eq!(report.certificates().len(), 1);
    let (i, c) = &report.certificates()[0];
    (*i, c)
}

struct BrokenLedger;

impl CertificateLog for BrokenLedger {
    type Error = &'static str;

    fn append_certificate(&mut self, _payload: &[u8]) -> Result<u64, Self::Error> {
        Err("disk full")
    }
}

#[test]
fn the_same_approver_twice_is_refused_and_one_approval_is_not_enough() {
    let team = Team::new();
    let book = [customer(false)];
    let mut plan = DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), items(&book)).unwrap();
    plan.approve(signed(&plan, &team.dpo)).unwrap();
    let err = plan.approve(signed(&plan, &team.dpo)).unwrap_err();
    assert!(matches!(err, RetentionError::DuplicateApproval { ref approver, .. } if approver == "dpo-1"));
    assert_eq!(plan.approvals().len(), 1);
    // One signer is not enough.
    let settings = ApprovalSettings::default();
    let one = plan
        .clone()
        .into_approved(team.operator.id(), &team.directory(), &settings);
    assert!(matches!(
        refused_by(one),
        AccessError::NotEnoughApprovals {
            approvals: 1,
            required: 2
        }
    ));
    // Nor when the settings ask for fewer: retention's floor of two stands.
    let lax = ApprovalSettings {
        document_approvers: 1,
        ..ApprovalSettings::default()
    };
    let one = plan
        .clone()
        .into_approved(team.operator.id(), &team.directory(), &lax);
    assert!(matches!(refused_by(one), AccessError::NotEnoughApprovals { .. }));
    plan.approve(signed(&plan, &team.cco)).unwrap();
    // A stored plan reads back checked: a forged second approval by the same person is refused.
    let json = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<DestructionPlan>(&json).unwrap(), plan);
    let forged = json.replace("cco-1", "dpo-1");
    assert!(serde_json::from_str::<DestructionPlan>(&forged).is_err());
    let approved = plan
        .into_approved(team.operator.id(), &team.directory(), &settings)
        .unwrap();
    assert_eq!(approved.quorum().approvers(), [&actor("dpo-1"), &actor("cco-1")]);
    assert_eq!(approved.operator(), &actor("ops-2"));
}

#[test]
fn the_operator_the_proposer_and_a_non_approver_cannot_approve() {
    let team = Team::new();
    let book = [customer(false)];
    let plan = || DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), items(&book)).unwrap();
    // The operator who will run it signs: refused, though they hold the approver role.
    let err = refused_by(approve_and_verify(&team, plan(), &[&team.dpo, &team.operator]));
    assert!(
        matches!(err, AccessError::ApprovalRefused { ref approver, .. } if approver == team.operator.id())
    );
    // The operator who made the plan signs: refused (their own request).
    let err = refused_by(approve_and_verify(&team, plan(), &[&team.dpo, &team.proposer]));
    assert!(
        matches!(err, AccessError::ApprovalRefused { ref approver, .. } if approver == team.proposer.id())
    );
    // A clerk without the approver role: refused.
    let err = refused_by(approve_and_verify(&team, plan(), &[&team.dpo, &team.clerk]));
    assert!(
        matches!(err, AccessError::ApprovalRefused { ref approver, problem } if approver == team.clerk.id() && problem.contains("approver role"))
    );
    // An approver the directory does not know: refused.
    let stranger = Staff::approver("stranger-1", at()).unwrap();
    let err = refused_by(approve_and_verify(&team, plan(), &[&team.dpo, &stranger]));
    assert!(matches!(err, AccessError::ApprovalRefused { ref approver, .. } if approver == stranger.id()));
    // Two approvers: runs, and only for the operator it was checked for.
    let approved = approve_and_verify(&team, plan(), &[&team.dpo, &team.cco]).unwrap();
    let holds = Holds::new();
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let someone_else = actor("ops-3");
    let err = execute(
        &approved,
        Execution::new(&someone_else, at(), &holds),
        &mut FakeShredder::default(),
        &mut ledger,
    )
    .unwrap_err();
    assert!(matches!(err, RetentionError::OperatorMismatch { .. }));
    assert_eq!(ledger.size(), 0, "nothing was certified");
}

#[test]
fn a_flipped_signature_bit_and_a_signature_over_another_plan_are_refused() {
    let team = Team::new();
    let book = [customer(false), customer(true)];
    let plan = DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), items(&book)).unwrap();
    // Every bit of the cco's signature, flipped in turn: refused at verification.
    let good = signed(&plan, &team.cco);
    let json = serde_json::to_value(&good).unwrap();
    let hex_sig = json["signature"].as_str().unwrap().to_owned();
    let bytes = hex::decode(&hex_sig).unwrap();
    for bit in [0usize, 7, 100, 255, 256, 511] {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let mut tampered = json.clone();
        tampered["signature"] = serde_json::Value::String(hex::encode(&flipped));
        let tampered: SignedApproval = serde_json::from_value(tampered).unwrap();
        let mut p = plan.clone();
        p.approve(signed(&p, &team.dpo)).unwrap();
        p.approve(tampered).unwrap();
        let result = p.into_approved(
            team.operator.id(),
            &team.directory(),
            &ApprovalSettings::default(),
        );
        assert_eq!(refused_by(result), AccessError::BadSignature, "bit {bit}");
    }
    // A signature over another plan (one customer fewer) does not approve this one.
    let other =
        DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), items(&book[..1])).unwrap();
    assert_ne!(other.digest().unwrap(), plan.digest().unwrap());
    let mut p = plan.clone();
    let err = p.approve(signed(&other, &team.dpo)).unwrap_err();
    assert!(matches!(err, RetentionError::ApprovalRefused { .. }));
    assert!(p.approvals().is_empty());
    // A stored, approved plan whose items are changed afterwards reads back refused.
    let mut p = other.clone();
    p.approve(signed(&p, &team.dpo)).unwrap();
    p.approve(signed(&p, &team.cco)).unwrap();
    let mut json = serde_json::to_value(&p).unwrap();
    json["items"] = serde_json::to_value(plan.items()).unwrap();
    assert!(serde_json::from_value::<DestructionPlan>(json).is_err());
}

#[test]
fn plans_refuse_empty_and_duplicate_items_and_only_destroy_decisions_enter() {
    assert!(matches!(
        DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), vec![]),
        Err(RetentionError::EmptyPlan { .. })
    ));
    let book = [customer(false)];
    let mut twice = items(&book);
    twice.extend(items(&book));
    assert!(matches!(
        DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), twice),
        Err(RetentionError::DuplicatePlanItem { .. })
    ));
    assert!(matches!(
        PlanId::from_uuid(Uuid::nil()),
        Err(custodia_model::ModelError::InvalidId { field: "plan_id", .. })
    ));
    // Identity is under the AML floor until 2030: only marketing preferences enter the plan, and not as a whole customer.
    let partial = items(&[customer(true)]);
    assert_eq!(partial.len(), 1);
    assert_eq!(partial[0].holdings().len(), 1);
    assert_eq!(
        partial[0].holdings()[0].holding(),
        Holding::Category(DataCategory::MarketingPreferences)
    );
    assert!(!partial[0].whole_customer());
    assert!(
        partial[0].holdings()[0]
            .rules()
            .iter()
            .any(|r| r.rule().as_str() == "pipl-47-relationship-ended")
    );
}

#[test]
fn execution_certifies_on_the_ledger_reports_failures_and_reruns_safely() {
    let book = [customer(false), customer(true), customer(false)];
    let plan = approved(&book);
    let mut shredder = FakeShredder::default();
    shredder.failing.insert(book[2].customer());
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let holds = Holds::new();
    let operator = actor("ops-2");
    let run = Execution::new(&operator, at(), &holds);

    let report = execute(&plan, run, &mut shredder, &mut ledger).unwrap();
    assert_eq!(report.items().len(), 3, "every customer is reported");
    assert_eq!(report.items()[0].status(), &ItemStatus::Destroyed);
    assert_eq!(report.items()[1].status(), &ItemStatus::Destroyed);
    assert!(
        matches!(report.items()[2].status(), ItemStatus::Failed { message } if message == "section store unavailable")
    );
    assert_eq!(report.failures().count(), 1);

    let (index, certificate) = only(&report);
    let entry = ledger.entry(index).unwrap();
    let stored = DestructionCertificate::from_payload(entry.payload().unwrap()).unwrap();
    assert_eq!(&stored, certificate);
    assert_eq!(stored.entries().len(), 2);
    assert_eq!(stored.operator().as_str(), "ops-2");
    assert_eq!(stored.approvers(), &[actor("dpo-1"), actor("cco-1")]);
    // The certificate carries the signatures: each verifies again with its approver's public key alone.
    assert_eq!(stored.approvals().len(), 2);
    let team = Team::new();
    for a in stored.approvals() {
        assert_eq!(a.request(), &plan.plan().approval_request().unwrap());
        // The team here has fresh keys: the certificate's signatures are not theirs.
        let record = team.directory()(a.approver()).unwrap();
        assert_eq!(
            a.verify(&record, &ApprovalSettings::default()),
            Err(AccessError::BadSignature)
        );
    }
    assert_eq!(stored.method(), &DestructionMethod::SectionDeletion);
    assert!(stored.entries().iter().all(|e| !e.already_destroyed()));
    let payload = String::from_utf8(entry.payload().unwrap().to_vec()).unwrap();
    assert_eq!(stored.part(), 1);
    assert!(
        stored
            .rules()
            .iter()
            .any(|r| r.citation().to_string() == "PIPL Art 47(1)(2)")
    );
    assert!(payload.contains("\"instrument\":\"Pipl\"") && payload.contains("pipl-47-relationship-ended"));

    // The failing store recovers; a re-run destroys the rest and certifies the first ones as already done.
    shredder.failing.clear();
    let rerun = execute(&plan, run, &mut shredder, &mut ledger).unwrap();
    assert_eq!(rerun.items()[0].status(), &ItemStatus::AlreadyDestroyed);
    assert_eq!(rerun.items()[2].status(), &ItemStatus::Destroyed);
    let (second, cert) = only(&rerun);
    assert!(second > index);
    assert_eq!(cert.entries().len(), 3);
    assert_eq!(
        shredder.destroyed.len(),
        3,
        "three contact sections, identity never touched"
    );
}

#[test]
fn a_hold_placed_after_approval_still_wins_at_execution() {
    let book = [customer(false), customer(false)];
    let plan = approved(&book);
    let mut holds = Holds::new();
    let hold = holds
        .place(PlaceHold {
            reason: "court order 2026-17".into(),
            scope: HoldScope::new(HeldCustomers::Only([book[0].customer()].into()), vec![]),
            by: actor("legal-1"),
            on: d(2026, 1, 10),
        })
        .unwrap();
    let mut shredder = FakeShredder::default();
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let operator = actor("ops-2");
    let report = execute(
        &plan,
        Execution::new(&operator, at(), &holds),
        &mut shredder,
        &mut ledger,
    )
    .unwrap();
    assert_eq!(
        report.items()[0].status(),
        &ItemStatus::Held {
            holds: vec![hold],
            kept: vec![Holding::Category(DataCategory::MarketingPreferences)],
            rest: None,
        }
    );
    assert_eq!(report.items()[1].status(), &ItemStatus::Destroyed);
    assert_eq!(shredder.calls, 1);
    let (_, cert) = only(&report);
    assert_eq!(cert.entries().len(), 1);
    assert_eq!(cert.entries()[0].customer(), book[1].customer());
}

#[test]
fn a_ledger_failure_is_an_error_and_the_rerun_certifies() {
    let book = [customer(false)];
    let plan = approved(&book);
    let mut shredder = FakeShredder::default();
    let holds = Holds::new();
    let operator = actor("ops-2");
    let run = Execution::new(&operator, at(), &holds);
    let err = execute(&plan, run, &mut shredder, &mut BrokenLedger).unwrap_err();
    assert!(
        matches!(err, RetentionError::CertificateNotRecorded { destroyed: 1, ref message, .. } if message == "disk full")
    );
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let report = execute(&plan, run, &mut shredder, &mut ledger).unwrap();
    let (_, cert) = only(&report);
    assert!(cert.entries()[0].already_destroyed());
}

#[test]
fn the_key_store_shredder_erases_whole_customers_only_and_is_idempotent() {
    let book = [customer(false), customer(true)];
    let plan = approved(&book);
    let store = InMemoryKeyStore::new();
    let mut shredder = KeyStoreShredder::new(&store);
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let holds = Holds::new();
    let operator = actor("ops-2");
    let run = Execution::new(&operator, at(), &holds);
    let report = execute(&plan, run, &mut shredder, &mut ledger).unwrap();
    assert_eq!(report.items()[0].status(), &ItemStatus::Destroyed);
    assert!(
        matches!(report.items()[1].status(), ItemStatus::Failed { message } if message.contains("whole customers"))
    );
    assert_eq!(store.destroyed_at(book[0].customer()).unwrap(), Some(at()));
    assert_eq!(store.destroyed_at(book[1].customer()).unwrap(), None);
    let (_, cert) = only(&report);
    assert_eq!(cert.method(), &DestructionMethod::CryptoShredding);

    let rerun = execute(&plan, run, &mut shredder, &mut ledger).unwrap();
    assert_eq!(rerun.items()[0].status(), &ItemStatus::AlreadyDestroyed);
}

#[test]
fn large_executions_are_certified_in_batches() {
    let book = [customer(false), customer(false), customer(false)];
    let plan = approved(&book);
    let mut shredder = FakeShredder::default();
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let holds = Holds::new();
    let operator = actor("ops-2");
    let mut run = Execution::new(&operator, at(), &holds);
    run.certificate_batch = std::num::NonZeroUsize::new(2).unwrap();
    let report = execute(&plan, run, &mut shredder, &mut ledger).unwrap();
    let parts: Vec<(u64, u32, usize)> = report
        .certificates()
        .iter()
        .map(|(i, c)| (*i, c.part(), c.entries().len()))
        .collect();
    assert_eq!(parts, vec![(0, 1, 2), (1, 2, 1)]);
    assert_eq!(ledger.size(), 2);
    for (i, c) in report.certificates() {
        let stored =
            DestructionCertificate::from_payload(ledger.entry(*i).unwrap().payload().unwrap()).unwrap();
        assert_eq!(&stored, c);
    }
}

#[test]
fn certificates_carry_ids_and_citations_only() {
    let book = [customer(false)];
    let plan = approved(&book);
    let mut shredder = FakeShredder::default();
    let mut ledger = Log::new(MemoryStore::new()).unwrap();
    let holds = Holds::new();
    let operator = actor("ops-2");
    let report = execute(
        &plan,
        Execution::new(&operator, at(), &holds),
        &mut shredder,
        &mut ledger,
    )
    .unwrap();
    let (index, _) = only(&report);
    let json: serde_json::Value =
        serde_json::from_slice(ledger.entry(index).unwrap().payload().unwrap()).unwrap();
    // Sorted: serde_json keeps a map's keys in document order when its `preserve_order` feature is on
    // (cedar-policy-core turns it on for every crate of a build that includes custodia-access).
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut keys = v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(&json),
        [
            "approvals",
            "approvers",
            "entries",
            "executed_at",
            "method",
            "operator",
            "part",
            "plan",
            "rules"
        ]
    );
    assert_eq!(
        keys(&json["entries"][0]),
        ["already_destroyed", "customer", "holdings", "rules"]
    );
    assert_eq!(json["entries"][0]["customer"], book[0].customer().to_string());
    assert_eq!(
        json["entries"][0]["holdings"][0]["category"],
        "marketing_preferences"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However approvals arrive, a person is counted once and the plan runs only with two people.
    #[test]
    fn approvals_count_people_not_clicks(approvers in prop::collection::vec(0..4u8, 0..8)) {
        let staff = approver_pool();
        let team = Team::new();
        let directory = |id: &ActorId| staff.iter().find(|s| s.id() == id).map(|s| s.principal.clone());
        let mut plan = DestructionPlan::new(plan_id(), actor("ops-1"), at().date_naive(), items(&[customer(false)])).unwrap();
        let mut people = BTreeSet::new();
        for a in &approvers {
            let result = plan.approve(signed(&plan, &staff[usize::from(*a)]));
            prop_assert_eq!(result.is_ok(), people.insert(*a));
        }
        prop_assert_eq!(plan.approvals().len(), people.len());
        let result = plan.into_approved(team.operator.id(), &directory, &ApprovalSettings::default());
        prop_assert_eq!(result.is_ok(), people.len() >= 2);
    }
}

/// Four approvers, made once (key generation draws randomness; the property runs 64 cases).
fn approver_pool() -> &'static [Staff] {
    static POOL: std::sync::OnceLock<Vec<Staff>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        (0..4)
            .map(|i| Staff::approver(&format!("approver-{i}"), at()).unwrap())
            .collect()
    })
}
