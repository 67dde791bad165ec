//! Withdrawals that reach third parties, end to end on a real ledger: the tasks a program acts on, their
//! texts, the steps the ledger refuses out of order, the state the caller stores, and the same state rebuilt
//! from the ledger after a crash.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use custodia_consent::*;
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{DataCategory, Jurisdiction, Purpose};

/// A notice naming the third party 1 (an insurer) and the successor 2, a controller grant, a separate grant
/// to the insurer (index 2), a provision of servicing data to the insurer on the contract (index 3), the
/// customer's withdrawal of marketing addressed to the controller (index 4).
fn ledger() -> ConsentLedger<MemoryStore> {
    let c = customer(1);
    let mut ledger =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), cn_policy(), &mut |_| {}).unwrap();
    ledger
        .publish(&notice(NoticeSpec {
            version: 1,
            purposes: vec![Purpose::Marketing, Purpose::PolicyServicing],
            categories: vec![DataCategory::Contact],
            recipients: vec![Recipient::ThirdParty(party(1)), Recipient::Successor(party(2))],
            destinations: vec![],
        }))
        .unwrap();
    let mut own = EventSpec::grant(c, day(1));
    own.separate = true;
    let mut to_insurer = EventSpec::grant(c, day(2));
    to_insurer.separate = true;
    to_insurer.recipient = Recipient::ThirdParty(party(1));
    let mut servicing = EventSpec::grant(c, day(3)).kind(EventKind::Provided);
    servicing.recipient = Recipient::ThirdParty(party(1));
    servicing.purposes = vec![Purpose::PolicyServicing];
    ledger
        .record_batch(&[
            ConsentRecord::Event(own.build()),
            ConsentRecord::Event(to_insurer.build()),
            ConsentRecord::Event(servicing.build()),
            ConsentRecord::Event(EventSpec::grant(c, day(5)).kind(EventKind::Withdrawn).build()),
        ])
        .unwrap();
    ledger
}

fn tell(at: i64) -> Tell {
    Tell {
        id: EventId::new_v7(),
        at: day(at),
        channel: Channel::Email,
        text_digest: Digest::of(b"the notice sent"),
        recorded_at: day(at),
        recorded_by: actor(),
    }
}

fn confirm(at: i64) -> Confirm {
    Confirm {
        id: EventId::new_v7(),
        at: day(at),
        evidence: Digest::of(b"the insurer's reply"),
        recorded_at: day(at),
        recorded_by: actor(),
    }
}

fn only_task(ledger: &ConsentLedger<MemoryStore>) -> StoredPropagationTask {
    let mut tasks = ledger.index().propagation_tasks(customer(1), 4).unwrap();
    assert_eq!(tasks.len(), 1);
    tasks.remove(0)
}

#[test]
fn after_a_withdrawal_the_third_party_may_no_longer_be_supplied() {
    let ledger = ledger();
    let s = Subject::new(customer(1));
    let supply = ProposedUse::new(
        Purpose::Marketing,
        DataCategory::Contact,
        Recipient::ThirdParty(party(1)),
        Jurisdiction::MAINLAND_CHINA,
    );
    assert!(ledger.permits(&s, &supply, day(4), day(9)).is_permitted());
    let after = ledger.permits(&s, &supply, day(6), day(9));
    assert!(!after.is_permitted());
    assert!(after.has_rule(ConsentRule::Ended(EventKind::Withdrawn)));
    // The contract-based provision is untouched by the withdrawal of marketing.
    let servicing = ProposedUse::new(
        Purpose::PolicyServicing,
        DataCategory::Contact,
        Recipient::ThirdParty(party(1)),
        Jurisdiction::MAINLAND_CHINA,
    );
    assert!(ledger.permits(&s, &servicing, day(6), day(9)).is_permitted());
}

#[test]
fn a_task_moves_to_told_and_confirmed_with_a_ledger_entry_for_each_step() {
    let mut ledger = ledger();
    let StoredPropagationTask::ToTell(task) = only_task(&ledger) else {
        panic!("a new task is to tell")
    };
    let target = task.target();
    assert_eq!(target.propagation.recipient, Recipient::ThirdParty(party(1)));
    assert_eq!(target.propagation.duty, PropagationDuty::StopProcessing);
    assert_eq!(target.propagation.because, vec![2]);
    assert_eq!(target.propagation.citation.to_string(), "PIPL Art 23");
    assert_eq!(target.ending, EventKind::Withdrawn);
    assert_eq!(target.purposes, [Purpose::Marketing].into());

    let told = ledger.record_told(&task, tell(6)).unwrap();
    assert_eq!(told.state().entry, 5);
    assert_eq!(ledger.index().stats().propagations, 1);
    // Telling twice is refused by the ledger before anything is appended.
    assert!(matches!(
        ledger.record_told(&task, tell(7)),
        Err(ConsentError::PropagationOrder { ending: 4, .. })
    ));
    assert_eq!(ledger.log().size(), 6);
    // A confirmation dated before the telling is refused by the task.
    assert!(matches!(
        told.confirm(confirm(5)),
        Err(ConsentError::InvalidTime { .. })
    ));
    let done = ledger.record_confirmed(&told, confirm(8)).unwrap();
    assert_eq!(done.state().entry, 6);
    assert_eq!(done.state().told.entry, 5);
    assert!(matches!(
        ledger.record_confirmed(&told, confirm(9)),
        Err(ConsentError::PropagationOrder { .. })
    ));

    // The state is data the caller keeps: it round-trips through JSON.
    let stored = StoredPropagationTask::Confirmed(done.clone());
    let json = serde_json::to_string(&stored).unwrap();
    assert_eq!(
        serde_json::from_str::<StoredPropagationTask>(&json).unwrap(),
        stored
    );
    // After a crash the same state comes back from the ledger, live and rebuilt.
    assert_eq!(only_task(&ledger), stored);
    let rebuilt = ConsentIndex::rebuild(ledger.log(), cn_policy(), &mut |_| {}).unwrap();
    assert_eq!(rebuilt.propagation_tasks(customer(1), 4).unwrap(), vec![stored]);
}

#[test]
fn the_ledger_refuses_steps_out_of_order_or_for_the_wrong_recipient() {
    let mut ledger = ledger();
    let StoredPropagationTask::ToTell(task) = only_task(&ledger) else {
        panic!("a new task is to tell")
    };
    // A confirmation written by hand before any telling.
    let told = task.clone().told(99, &task.tell(tell(6))).unwrap();
    let early = told.confirm(confirm(7)).unwrap();
    assert!(matches!(
        ledger.record_batch(&[ConsentRecord::Propagation(early)]),
        Err(ConsentError::PropagationOrder { .. })
    ));
    // A step for a recipient that never received the data.
    let mut f = task.tell(tell(6)).fields().clone();
    f.recipient = Recipient::ThirdParty(party(9));
    assert!(matches!(
        ledger.record_batch(&[ConsentRecord::Propagation(PropagationRecord::new(f.clone()))]),
        Err(ConsentError::PropagationOrder { .. })
    ));
    // A step for an entry that is not a withdrawal.
    f.recipient = Recipient::ThirdParty(party(1));
    f.ending_entry = 2;
    assert!(matches!(
        ledger.record_batch(&[ConsentRecord::Propagation(PropagationRecord::new(f.clone()))]),
        Err(ConsentError::PropagationOrder { ending: 2, .. })
    ));
    // A task refuses a record of another task.
    assert!(matches!(
        task.told(7, &PropagationRecord::new(f)),
        Err(ConsentError::PropagationMismatch { .. })
    ));
}

#[test]
fn the_notice_text_names_who_what_and_why_in_words() {
    let ledger = ledger();
    let StoredPropagationTask::ToTell(task) = only_task(&ledger) else {
        panic!("a new task is to tell")
    };
    let zh = task.notice_text(TextLanguage::SimplifiedChinese);
    for want in [
        "recipient third_party:",
        "示例保险经纪有限公司",
        "撤回同意",
        "营销推广",
        "联系方式",
        "2025年1月6日（北京时间）",
        "第十五条、第二十三条",
        "停止",
        "privacy@seller.invalid",
    ] {
        assert!(zh.contains(want), "{want} missing from {zh}");
    }
    let en = task.notice_text(TextLanguage::English);
    for want in [
        "withdrew consent",
        "marketing",
        "contact details",
        "PIPL Arts 15 and 23",
        "please stop",
        "2025-01-06 (Beijing time)",
    ] {
        assert!(en.contains(want), "{want} missing from {en}");
    }
    // No raw codes: purposes and categories are in words.
    for text in [&zh, &en] {
        assert!(!text.contains("marketing_preferences") && !text.contains("policy_servicing"));
    }
}

#[test]
fn a_recipient_on_another_basis_is_told_to_check_its_own() {
    let c = customer(2);
    let mut ledger =
        ConsentLedger::open(Log::new(MemoryStore::new()).unwrap(), cn_policy(), &mut |_| {}).unwrap();
    ledger.publish(&notice_v1()).unwrap();
    let mut provided = EventSpec::grant(c, day(2)).kind(EventKind::Provided);
    provided.recipient = Recipient::ThirdParty(party(3));
    provided.purposes = vec![Purpose::PolicyServicing];
    ledger.record(&provided.build()).unwrap();
    let mut objection = EventSpec::grant(c, day(4)).kind(EventKind::Objected);
    objection.purposes = vec![Purpose::PolicyServicing];
    let ending = ledger.record(&objection.build()).unwrap();
    let tasks = ledger.index().propagation_tasks(c, ending).unwrap();
    let StoredPropagationTask::ToTell(task) = &tasks[0] else {
        panic!("a new task is to tell")
    };
    assert_eq!(task.target().propagation.duty, PropagationDuty::Inform);
    let text = task.notice_text(TextLanguage::English);
    assert!(text.contains("objected to the processing"), "{text}");
    assert!(text.contains("on a basis other than that consent"), "{text}");
    // No notice names the party: the text still stands.
    assert!(text.starts_with("To Recipient:"), "{text}");
}
