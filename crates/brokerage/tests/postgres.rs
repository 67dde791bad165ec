//! The brokerage on PostgreSQL (feature `postgres-tests`, server from `CUSTODIA_PG_URL`): a whole licence transfer with each side in its own schema, and two instances of one brokerage sharing a schema, their writes serialized by the database.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "postgres-tests")]

use chrono::{DateTime, Utc};
use custodia_brokerage::{
    Brokerage, BrokerageConfig, CaseState, ManualClock, NoticeRound, Onboarding, StaticKeySource,
    WhilePending,
};
use custodia_consent::{Digest, TransferPath};
use custodia_model::ActorId;
use custodia_store::PostgresConfig;
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::parties::{SampleKeys, terms};
use custodia_synthetic::staff::Staff;
use custodia_transfer::DraftAgreement;

fn url() -> String {
    match std::env::var("CUSTODIA_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("the postgres-tests feature is on but CUSTODIA_PG_URL is not set"),
    }
}

fn schema(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("b_{name}_{}_{nanos}", std::process::id())
}

fn open(schema: &str, key: u8, clock: &ManualClock) -> Brokerage {
    let config = BrokerageConfig::postgres(&url(), PostgresConfig::new().with_schema(schema).unwrap())
        .with_clock(clock.clone());
    Brokerage::open(config, &StaticKeySource::new([key; 32])).unwrap()
}

fn at(day: &str) -> DateTime<Utc> {
    at_nine(day.parse().unwrap()).unwrap()
}

#[test]
fn a_whole_transfer_runs_on_postgresql() {
    let clock = ManualClock::at(at("2026-05-31"));
    let (s, b) = (schema("seller"), schema("buyer"));
    let (seller, buyer) = (open(&s, 1, &clock), open(&b, 2, &clock));
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", seller.now()).unwrap();
    seller.publish_notice(&notice).unwrap();
    let book = BookConfig {
        seed: 9,
        customers: 30,
        ..BookConfig::default()
    };
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"f"),
    );
    let onboarding = SyntheticBook::stream(&book, "2026-05-31".parse().unwrap())
        .unwrap()
        .map(|c| {
            let c = c.unwrap();
            let consents = c
                .consents
                .iter()
                .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
                .collect();
            Onboarding::new(c.customer, notice.reference()).with_consents(consents)
        });
    seller.onboard_batch(onboarding, &mut |_| {}).unwrap();
    let mut terms = terms(&SampleKeys::generate().unwrap(), TransferPath::MergerNotice).unwrap();
    terms.seller = seller.as_party(&terms.seller).unwrap();
    terms.buyer = buyer.as_party(&terms.buyer).unwrap();
    let agreement = buyer
        .countersign_as_buyer(
            seller
                .sign_as_seller(DraftAgreement::new(terms).unwrap())
                .unwrap(),
        )
        .unwrap();
    clock.set(at("2026-06-01"));
    let case = seller.open_seller_case(&agreement).unwrap();
    case.publish_notices().unwrap();
    case.serve_notices(NoticeRound::everyone(ActorId::new("bot").unwrap()))
        .unwrap();
    // A second instance of the seller on the same schema sees the case (no lock on PostgreSQL).
    let other = open(&s, 1, &clock);
    assert_eq!(
        other
            .seller_case(agreement.transfer_id())
            .unwrap()
            .state()
            .unwrap(),
        CaseState::Notifying
    );
    clock.set(at_nine(case.execution_date().unwrap()).unwrap());
    // The approvers are stored principals with the approver role, one through each instance. They approve
    // the impact assessment the agreement names (execution needs it, PIPL Art 55(3)), then the disposition.
    let approvers = Staff::approvers(&["dpo-1", "cco-1"], seller.now()).unwrap();
    let [dpo, cco] = &approvers[..] else {
        unreachable!("two ids, two approvers")
    };
    seller.put_principal(&dpo.principal).unwrap();
    other.put_principal(&cco.principal).unwrap();
    let pia = custodia_synthetic::assessment::for_transfer(
        agreement.terms(),
        ActorId::new("privacy-office").unwrap(),
        seller.now(),
    )
    .unwrap();
    seller.store_assessment(&pia).unwrap();
    let request = other.assessment_approval_request(pia.id).unwrap();
    let signed = custodia_synthetic::staff::sign_each(&approvers, &request).unwrap();
    other.approve_assessment(pia.id, &signed).unwrap();
    let plan = case.execute(WhilePending::Exclude).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let package = case.write_package(&dir.path().join("t.pkg")).unwrap();
    let buying = buyer.open_buyer_case(&agreement).unwrap();
    assert_eq!(
        buying.import(&package.path, &mut |_| {}).unwrap().customers,
        plan.customers_moving
    );
    case.verify_receipt(&buying.sign_receipt().unwrap()).unwrap();
    case.plan_disposition(ActorId::new("ops-1").unwrap()).unwrap();
    // The approvals come from the two instances: one case, one store.
    case.approve_disposition(&dpo.sign(&case.disposition_requests().unwrap()).unwrap())
        .unwrap();
    let other_case = other.seller_case(agreement.transfer_id()).unwrap();
    other_case
        .approve_disposition(&cco.sign(&other_case.disposition_requests().unwrap()).unwrap())
        .unwrap();
    case.execute_disposition(ActorId::new("ops-2").unwrap()).unwrap();
    let report = case.close(Vec::new()).unwrap();
    assert!(report.all_passed(), "{:?}", report.checks);
    case.export_evidence(&dir.path().join("evidence"), &[]).unwrap();
    custodia_brokerage::verify_evidence(&dir.path().join("evidence")).unwrap();
    assert_eq!(buying.spot_check(100).unwrap(), plan.customers_moving);
}

#[test]
fn two_instances_onboarding_at_once_serialize_in_the_database() {
    let clock = ManualClock::at(at("2026-05-31"));
    let s = schema("shared");
    let first = open(&s, 3, &clock);
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", first.now()).unwrap();
    first.publish_notice(&notice).unwrap();
    let book = BookConfig {
        seed: 4,
        customers: 40,
        ..BookConfig::default()
    };
    let customers: Vec<_> = SyntheticBook::generate(&book, "2026-05-31".parse().unwrap())
        .unwrap()
        .customers()
        .iter()
        .map(|c| Onboarding::new(c.customer.clone(), notice.reference()))
        .collect();
    let (left, right) = customers.split_at(20);
    let second = open(&s, 3, &clock);
    std::thread::scope(|scope| {
        let a = scope.spawn(|| first.onboard_batch(left.to_vec(), &mut |_| {}).unwrap());
        let b = scope.spawn(|| second.onboard_batch(right.to_vec(), &mut |_| {}).unwrap());
        assert_eq!(a.join().unwrap().customers + b.join().unwrap().customers, 40);
    });
    first.checkpoint().unwrap();
    assert!(first.verify_ledger().is_ok());
    assert_eq!(first.retention_sweep(&mut |_| {}).unwrap().customers(), 40);
}
