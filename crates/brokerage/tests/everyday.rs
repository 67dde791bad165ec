//! The brokerage every day: onboarding and the trusted read give the record back exactly, the book pages by id, updates are new versions (a stale one refused), consent events are recorded once, the KEK rotates across a restart, the retention sweep over sealed facts equals the sweep over the model records, and key sources refuse what they must.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use custodia_brokerage::{
    Brokerage, BrokerageConfig, BrokerageError, EnvKeySource, KeySource, ManualClock, OldKeks, Onboarding,
    StaticKeySource, Update,
};
use custodia_consent::{BasisPolicy, Digest, Notice, TransferPath};
use custodia_crypto::BlindIndexField;
use custodia_model::{ActorId, DataCategory, EmailAddress};
use custodia_retention::{HeldCustomers, HoldScope, PlaceHold, Profile, Sweep};
use custodia_synthetic::book::{BookConfig, SyntheticBook, SyntheticCustomer};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice, withdrawals};
use custodia_transfer::facts::{category_plaintexts, retention_facts};

const KEY: [u8; 32] = [0x77; 32];

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
}

fn now() -> DateTime<Utc> {
    at_nine(date()).unwrap()
}

fn open(path: &Path) -> Brokerage {
    let config = BrokerageConfig::sqlite(path).with_clock(ManualClock::at(now()));
    Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap()
}

fn book(customers: u64) -> Vec<SyntheticCustomer> {
    let config = BookConfig {
        seed: 21,
        customers,
        ..BookConfig::default()
    };
    SyntheticBook::generate(&config, date())
        .unwrap()
        .customers()
        .to_vec()
}

/// Publishes the privacy notice and onboards `book` with its consents.
fn onboard(b: &Brokerage, book: &[SyntheticCustomer]) -> Notice {
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", now()).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"f"),
    );
    let onboarding = book.iter().map(|c| {
        let consents = c
            .consents
            .iter()
            .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
            .collect();
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
    });
    let done = b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    assert_eq!(done.customers, book.len() as u64);
    notice
}

#[test]
fn onboarding_and_the_trusted_read_give_the_record_back_and_updates_are_versions() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let thirteen = book(13);
    let book = &thirteen[..12];
    let notice = onboard(&b, book);
    for c in book {
        let id = c.customer.id();
        assert_eq!(b.read_customer_trusted(id).unwrap(), c.customer, "customer {id}");
        let read = b.read_trusted(id, &DataCategory::ALL).unwrap();
        let expected = category_plaintexts(&c.customer).unwrap();
        assert_eq!(read.sections.len(), expected.len());
        for ((category, plain), (want_category, want)) in read.sections.iter().zip(&expected) {
            assert_eq!((category, plain.as_slice()), (want_category, want.as_slice()));
        }
        let shown = format!("{read:?}");
        for (_, plain) in &read.sections {
            let text = String::from_utf8_lossy(plain);
            assert!(
                !shown.contains(text.as_ref()),
                "the trusted read's Debug shows plaintext: {shown}"
            );
        }
        assert!(shown.contains("REDACTED"));
        if let Some(mobile) = &c.customer.contact().mobile {
            assert!(
                b.find_customers(BlindIndexField::Phone, mobile.as_str())
                    .unwrap()
                    .contains(&id)
            );
        }
    }
    // Onboarding twice, without a published notice, or at another version than 1 is refused.
    let first = &book[0].customer;
    let again = b.onboard(Onboarding::new(first.clone(), notice.reference()));
    assert!(matches!(again, Err(BrokerageError::CustomerExists { .. })));
    let other = privacy_notice("另一家", "x@example.invalid", now()).unwrap();
    let unpublished = b.onboard(Onboarding::new(thirteen[12].customer.clone(), other.reference()));
    assert!(matches!(
        unpublished,
        Err(BrokerageError::NoticeNotPublished { .. })
    ));

    // An update: a new e-mail, version 2, the change on record; the old version is stale.
    let mut fields = first.to_fields();
    fields.contact.email = Some(EmailAddress::new("new.address@example.com").unwrap());
    let by = ActorId::new("clerk-0002").unwrap();
    let update = |from_version| Update {
        customer: first.id(),
        from_version,
        fields: fields.clone(),
        by: by.clone(),
    };
    let version = b.update(update(1)).unwrap();
    assert_eq!(version.number(), 2);
    assert!(version.changed_fields().iter().any(|f| f == "contact.email"));
    let now_read = b.read_customer_trusted(first.id()).unwrap();
    assert_eq!(now_read.version().number(), 2);
    assert_eq!(
        now_read.contact().email.as_ref().map(|e| e.as_str()),
        Some("new.address@example.com")
    );
    assert!(matches!(
        b.update(update(1)),
        Err(BrokerageError::StaleVersion {
            current: 2,
            expected: 1,
            ..
        })
    ));
    let found = b
        .find_customers(BlindIndexField::Email, "NEW.address@example.com")
        .unwrap();
    assert_eq!(found, vec![first.id()]);
    // After a restart, the same.
    drop(b);
    let b = open(&dir.path().join("b.db"));
    assert_eq!(b.read_customer_trusted(first.id()).unwrap(), now_read);
    b.checkpoint().unwrap();
    assert_eq!(b.verify_ledger().unwrap().checkpoints(), 1);
}

/// `customer_ids` pages through the book in id order, each id once, however the pages fall.
#[test]
fn customer_ids_page_through_the_book_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    assert!(b.customer_ids(None, 10).unwrap().is_empty());
    let book = book(7);
    onboard(&b, &book);
    let mut expected: Vec<_> = book.iter().map(|c| c.customer.id()).collect();
    expected.sort();
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = b.customer_ids(after, 3).unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last().copied() else { break };
        seen.extend(page);
        after = Some(last);
    }
    assert_eq!(seen, expected);
    assert_eq!(b.customer_ids(Some(expected[4]), 100).unwrap(), expected[5..]);
}

#[test]
fn consent_events_are_recorded_once_and_a_conflicting_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let book = book(3);
    let notice = onboard(&b, &book);
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"g"),
    );
    let fact = book
        .iter()
        .flat_map(|c| c.consents.iter().map(move |f| (c, f)))
        .next()
        .unwrap();
    let events = consent_events(fact.0.customer.id(), fact.1, &recording).unwrap();
    let first = b.record_consent(&events).unwrap();
    assert_eq!((first.recorded, first.already), (events.len() as u64, 0));
    let second = b.record_consent(&events).unwrap();
    assert_eq!((second.recorded, second.already), (0, events.len() as u64));
    // The same id with other content.
    let other = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"other"),
    );
    let changed = consent_events(fact.0.customer.id(), fact.1, &other).unwrap();
    let mut draft = changed[0].fields().clone();
    draft.id = events[0].id();
    let conflicting = custodia_consent::ConsentEvent::new(draft).unwrap();
    assert!(matches!(
        b.record_consent(&[conflicting]),
        Err(BrokerageError::EventConflict { .. })
    ));
    // Publishing the same notice again is a no-op; another notice under its id and version is refused.
    let index = b.publish_notice(&notice).unwrap();
    assert_eq!(b.publish_notice(&notice).unwrap(), index);
}

#[test]
fn a_retried_consent_event_is_on_the_ledger_once_and_the_retry_gets_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let book = book(2);
    let notice = onboard(&b, &book);
    let customer = book[0].customer.id();
    let before = b.consent_events_of(customer).unwrap().len();
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"retried"),
    );
    let mut draft = consent_events(customer, &book[0].consents[0], &recording).unwrap()[0]
        .fields()
        .clone();
    draft.id = custodia_consent::EventId::new_v7();
    let event = custodia_consent::ConsentEvent::new(draft.clone()).unwrap();
    let first = b.record_consent_event(&event).unwrap();
    assert!(first.fresh);
    // The retry is stamped later (each attempt sets its time of recording): still the same event.
    draft.recorded_at += chrono::Duration::seconds(5);
    let retry = custodia_consent::ConsentEvent::new(draft.clone()).unwrap();
    let second = b.record_consent_event(&retry).unwrap();
    assert_eq!((second.entry_index, second.fresh), (first.entry_index, false));
    let events = b.consent_events_of(customer).unwrap();
    assert_eq!(events.len(), before + 1);
    assert_eq!(
        events
            .iter()
            .filter(|(_, e)| e.id() == event.id())
            .map(|(i, _)| *i)
            .collect::<Vec<_>>(),
        vec![first.entry_index]
    );
    // The same id with other content is refused, and an unknown customer is named.
    draft.evidence = Digest::of(b"other");
    assert!(matches!(
        b.record_consent_event(&custodia_consent::ConsentEvent::new(draft.clone()).unwrap()),
        Err(BrokerageError::EventConflict { .. })
    ));
    draft.id = custodia_consent::EventId::new_v7();
    draft.customer = custodia_model::CustomerId::new_v7();
    let stranger = custodia_consent::ConsentEvent::new(draft.clone()).unwrap();
    assert!(matches!(
        b.record_consent_event(&stranger),
        Err(BrokerageError::UnknownCustomer { customer: c }) if c == draft.customer
    ));
    assert!(b.consent_events_of(draft.customer).unwrap().is_empty());
    draft.customer = customer;
    draft.notice.version += 1;
    assert!(matches!(
        b.record_consent_event(&custodia_consent::ConsentEvent::new(draft).unwrap()),
        Err(BrokerageError::InvalidInput { field: "notice", .. })
    ));
    b.verify_ledger().unwrap();
}

#[test]
fn the_kek_rotates_rewrapping_keys_and_the_rotation_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let b = open(&path);
    let book = book(6);
    onboard(&b, &book);
    let rotation = b.rotate_kek(OldKeks::Retire).unwrap();
    assert_eq!(
        (rotation.primary, rotation.min_decrypt, rotation.rewrapped),
        (2, 2, 6)
    );
    drop(b);
    let b = open(&path);
    for c in &book {
        assert_eq!(b.read_customer_trusted(c.customer.id()).unwrap(), c.customer);
    }
    let kept = b.rotate_kek(OldKeks::Keep).unwrap();
    assert_eq!((kept.primary, kept.min_decrypt), (3, 2));
    assert!(b.verify_ledger().is_ok());
    // The rewrapped keys are anchored: the vault still reconciles with its ledger (issue 16).
    let verified = b.verify_vault(None).unwrap();
    assert_eq!(verified.keys, 6, "{verified:?}");
}

#[test]
fn the_sweep_over_sealed_facts_equals_the_sweep_over_the_model_records() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let book = book(60);
    onboard(&b, &book);
    let summary = b.retention_sweep(&mut |_| {}).unwrap();
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
    let profile = Profile::cn_insurance_broker().unwrap();
    let holds = custodia_retention::Holds::new();
    let mut direct = Sweep::new(&profile, &holds, date());
    for c in &book {
        let facts = retention_facts(&c.customer, &withdrawals(&c.consents), &policy, date()).unwrap();
        direct.record(&facts).unwrap();
    }
    assert_eq!(summary, direct.finish());
    assert_eq!(summary.customers(), 60);
    assert!(summary.destroy() > 0 && summary.retain() > 0);
    // A hold on everyone: nothing is destroyable any more.
    let hold = PlaceHold {
        reason: "regulator's inquiry 2026-17".into(),
        scope: HoldScope::new(HeldCustomers::All, Vec::new()),
        by: ActorId::new("legal-1").unwrap(),
        on: date(),
    };
    b.place_hold(hold).unwrap();
    let held = b.retention_sweep(&mut |_| {}).unwrap();
    assert_eq!(held.destroyable_customers(), 0);
    assert!(held.held() > 0);
}

#[test]
fn key_sources_refuse_what_they_must() {
    let variable = format!("CUSTODIA_TEST_KEY_{}", std::process::id());
    let source = EnvKeySource::new(&variable);
    assert!(matches!(
        source.root_secret(),
        Err(BrokerageError::KeyVariableMissing { .. })
    ));
    // (A set variable is exercised by the root tests' scenarios through `StaticKeySource`: setting one here
    // would need `unsafe`, which the workspace forbids.)
    let dir = tempfile::tempdir().unwrap();
    let key = custodia_brokerage::KeyFile::create(dir.path().join("root.key")).unwrap();
    let secret = key.root_secret().unwrap();
    // The same key file opens the same brokerage twice (its keys do not change between openings).
    let path = dir.path().join("b.db");
    let first = Brokerage::open(BrokerageConfig::sqlite(&path), &key)
        .unwrap()
        .public_keys();
    let again = Brokerage::open(BrokerageConfig::sqlite(&path), &key)
        .unwrap()
        .public_keys();
    assert_eq!(first, again);
    drop(secret);
    // Another root secret gives other keys: the store holds no key material of its own.
    let other = Brokerage::open(
        BrokerageConfig::sqlite(dir.path().join("c.db")),
        &StaticKeySource::new([1; 32]),
    )
    .unwrap()
    .public_keys();
    assert_ne!(first.signing, other.signing);
}

/// A service shares one brokerage (and the cases it opens) between request handlers.
#[test]
fn the_brokerage_and_its_cases_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Brokerage>();
    assert_send_sync::<custodia_brokerage::SellerCase<'static>>();
    assert_send_sync::<custodia_brokerage::BuyerCase<'static>>();
}

/// `onboard_all` writes a whole book as one unit of work, a batch at a time inside it: a source that fails
/// on its last customer, or a customer refused in the last batch, leaves nothing of the call in the store or
/// on the ledger (no book half imported); the same book without the fault goes in whole and reconciles.
#[test]
fn onboard_all_writes_the_whole_book_or_nothing() {
    use std::num::NonZeroUsize;
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerageConfig::sqlite(dir.path().join("b.db"))
        .with_clock(ManualClock::at(now()))
        .with_batch(NonZeroUsize::new(4).unwrap());
    let b = Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", now()).unwrap();
    b.publish_notice(&notice).unwrap();
    let customers = book(11);
    let onboarding = |c: &SyntheticCustomer| Onboarding::new(c.customer.clone(), notice.reference());
    let before = b.verify_ledger().unwrap().size();

    // The source fails after ten good customers (two full batches already written inside the unit).
    let mut batches = Vec::new();
    let failing = customers[..10]
        .iter()
        .map(|c| Ok(onboarding(c)))
        .chain(std::iter::once(Err("line 12: unreadable")));
    let outcome = b.onboard_all(failing, &mut |p| batches.push(p.done())).unwrap();
    assert_eq!(outcome, Err("line 12: unreadable"));
    assert_eq!(
        batches,
        [4, 8],
        "two batches were written inside the unit before the fault"
    );
    assert_eq!(b.people_held().unwrap(), 0);
    assert_eq!(b.verify_ledger().unwrap().size(), before);
    assert!(matches!(
        b.read_customer_trusted(customers[0].customer.id()),
        Err(BrokerageError::UnknownCustomer { .. })
    ));

    // A customer refused in the last batch (the first one again): nothing either.
    let repeated = customers
        .iter()
        .chain(std::iter::once(&customers[0]))
        .map(|c| Ok::<_, std::convert::Infallible>(onboarding(c)));
    assert!(matches!(
        b.onboard_all(repeated, &mut |_| {}),
        Err(BrokerageError::CustomerExists { .. })
    ));
    assert_eq!(b.people_held().unwrap(), 0);
    assert_eq!(b.verify_ledger().unwrap().size(), before);

    // The book without the fault: every customer, and the vault reconciles with the ledger.
    let whole = customers
        .iter()
        .map(|c| Ok::<_, std::convert::Infallible>(onboarding(c)));
    let done = b.onboard_all(whole, &mut |_| {}).unwrap().unwrap();
    assert_eq!(done.customers, 11);
    assert_eq!(b.people_held().unwrap(), 11);
    for c in &customers {
        assert_eq!(b.read_customer_trusted(c.customer.id()).unwrap(), c.customer);
    }
    assert_eq!(b.verify_vault(None).unwrap().customers, 11);
}

/// A consent receipt for a customer's recorded consent event: issued against a checkpoint signed now, it
/// verifies offline with the brokerage's ledger key alone and proves that very event; another customer's
/// event and an event never recorded are refused by id; another key does not verify it.
#[test]
fn a_customers_consent_receipt_verifies_with_the_ledger_key_alone() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(&dir.path().join("b.db"));
    let customers = book(12);
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", now()).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"f"),
    );
    // The events as recorded at onboarding (their ids are the ones the receipts name).
    let with_events: Vec<(&SyntheticCustomer, Vec<custodia_consent::ConsentEvent>)> = customers
        .iter()
        .map(|c| {
            let events = c
                .consents
                .iter()
                .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
                .collect();
            (c, events)
        })
        .collect();
    let onboarding = with_events.iter().map(|(c, events)| {
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(events.clone())
    });
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    let with_events: Vec<_> = with_events.into_iter().filter(|(_, e)| !e.is_empty()).collect();
    assert!(with_events.len() >= 2, "the book has customers with consents");
    let (first, events) = &with_events[0];
    let event = events[0].id();
    let receipt = b.consent_receipt(first.customer.id(), event).unwrap();
    let verified = receipt.verify(&b.public_keys().ledger).unwrap();
    assert_eq!(verified.event().id(), event);
    assert_eq!(verified.fields().pii_principal_id, first.customer.id());
    // Another customer's event, and an event never recorded.
    let other = with_events[1].1[0].id();
    for wrong in [other, custodia_consent::EventId::new_v7()] {
        assert!(matches!(
            b.consent_receipt(first.customer.id(), wrong),
            Err(BrokerageError::InvalidInput { field: "event", .. })
        ));
    }
    // Another brokerage's ledger key (another root secret) does not verify it.
    let config = BrokerageConfig::sqlite(dir.path().join("other.db")).with_clock(ManualClock::at(now()));
    let elsewhere = Brokerage::open(config, &StaticKeySource::new([0x01; 32])).unwrap();
    assert!(receipt.verify(&elsewhere.public_keys().ledger).is_err());
}
