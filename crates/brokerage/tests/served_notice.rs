//! The read side a customer-facing page needs (issue 21): a customer's served transfer notice, a published
//! notice by reference, and a consent event by id — each read back from the ledger entry its marker names,
//! so that what a page shows, and whether a one-time link was used, is what the ledger holds.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_brokerage::{Brokerage, BrokerageConfig, KeyFile, ManualClock, NoticeRound, Onboarding};
use custodia_consent::{
    Channel, ConsentEvent, ConsentForm, ConsentScope, Digest, EventDraft, EventId, EventKind, NoticeRef,
    Recipient, TransferPath,
};
use custodia_model::{ActorId, CustomerId, Purpose};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{at_nine, privacy_notice};
use custodia_synthetic::parties;
use custodia_transfer::DraftAgreement;

#[test]
fn a_served_notice_and_an_answer_are_read_back_from_the_ledger_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(at_nine("2026-05-31".parse().unwrap()).unwrap());
    let open = |name: &str| {
        let config = BrokerageConfig::sqlite(dir.path().join(format!("{name}.db"))).with_clock(clock.clone());
        let key = dir.path().join(format!("{name}.key"));
        let keys = if key.exists() {
            KeyFile::new(key)
        } else {
            KeyFile::create(key).unwrap()
        };
        Brokerage::open(config, &keys).unwrap()
    };
    let (seller, buyer) = (open("seller"), open("buyer"));
    let privacy = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", seller.now()).unwrap();
    seller.publish_notice(&privacy).unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            customers: 6,
            ..Default::default()
        },
        "2026-05-31".parse().unwrap(),
    )
    .unwrap();
    let onboard = book
        .customers()
        .iter()
        .map(|c| Onboarding::new(c.customer.clone(), privacy.reference()));
    seller.onboard_batch(onboard, &mut |_| {}).unwrap();
    let mut terms = parties::terms(
        &parties::SampleKeys::generate().unwrap(),
        TransferPath::MergerNotice,
    )
    .unwrap();
    (terms.seller, terms.buyer) = (
        seller.as_party(&terms.seller).unwrap(),
        buyer.as_party(&terms.buyer).unwrap(),
    );
    let agreement = buyer
        .countersign_as_buyer(
            seller
                .sign_as_seller(DraftAgreement::new(terms).unwrap())
                .unwrap(),
        )
        .unwrap();
    clock.set(at_nine("2026-06-01".parse().unwrap()).unwrap());
    let case = seller.open_seller_case(&agreement).unwrap();
    let published = case.publish_notices().unwrap();
    let customer = book.customers()[0].customer.id();

    // Before serving: nothing served; the published notices read back; an unpublished version does not.
    assert_eq!(case.served_notice(customer).unwrap(), None);
    let zh = seller.published_notice(published.zh).unwrap().unwrap();
    assert_eq!(zh.reference(), published.zh);
    assert_eq!(zh.fields().controller_name, "示例保险经纪有限公司");
    let unpublished = NoticeRef {
        id: published.zh.id,
        version: 2,
    };
    assert_eq!(seller.published_notice(unpublished).unwrap(), None);

    case.serve_notices(NoticeRound::everyone(ActorId::new("notices-bot").unwrap()))
        .unwrap();
    let served = case.served_notice(customer).unwrap().unwrap();
    assert_eq!(served.event.customer(), customer);
    assert_eq!(served.event.kind(), EventKind::NoticeServed);
    assert!([published.zh, published.en].contains(&served.event.notice()));
    assert_eq!(served.notice.reference(), served.event.notice());
    assert!(served.event.scope().purposes().contains(&Purpose::Transfer));
    assert_eq!(case.served_notice(CustomerId::new_v7()).unwrap(), None);

    // An answer under a chosen id: absent before, present (as recorded) after, once.
    let id = EventId::new_v7();
    assert_eq!(seller.consent_event(id).unwrap(), None);
    let objection = ConsentEvent::new(EventDraft {
        id,
        customer,
        kind: EventKind::Objected,
        scope: ConsentScope::new(
            [Purpose::Transfer],
            served.event.scope().categories().iter().copied(),
            Recipient::Controller,
            [],
        )
        .unwrap(),
        form: ConsentForm::Separate,
        notice: served.event.notice(),
        channel: Channel::Web,
        evidence: Digest::of(b"session"),
        effective_at: seller.now(),
        recorded_at: seller.now(),
        recorded_by: ActorId::new("customer-link").unwrap(),
        expires_at: None,
    })
    .unwrap();
    let recorded = case.record_responses(std::slice::from_ref(&objection)).unwrap();
    assert_eq!(recorded.recorded, 1);
    let (index, found) = seller.consent_event(id).unwrap().unwrap();
    assert_eq!(Some(index), recorded.first_index);
    assert_eq!(found, objection);
    assert_eq!(
        case.record_responses(std::slice::from_ref(&objection))
            .unwrap()
            .recorded,
        0
    );
    let transfer = case.transfer_id();
    drop(case);
    drop(seller);

    let seller = open("seller");
    assert_eq!(seller.consent_event(id).unwrap(), Some((index, objection)));
    let again = seller
        .seller_case(transfer)
        .unwrap()
        .served_notice(customer)
        .unwrap();
    assert_eq!(again, Some(served));
}
