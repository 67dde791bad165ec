//! Notices a customer can act on (every PIPL Art 17 item, PIPL 30, 31, 39, the window's deadline across a
//! holiday, no raw codes) per path and language; the data room's k-anonymity and ledger record; the NDSR
//! disposal-plan check; who keeps the records after the transfer; foreign parties' registrations.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use common::*;
use custodia_consent::{Channel, NoticeId, PartyId, TransferPath};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{
    ActorId, CategorySet, CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose, WorkingDayCalendar,
};
use custodia_retention::{
    Contract, ContractTerm, HeldData, Holding, Holds, Profile, PurposeBasis, RetentionFacts,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_transfer::data_room::{DataRoomBuilder, DataRoomSettings};
use custodia_transfer::notice::{
    Addressee, Language, NoticeContext, NoticeDelivery, NoticePublication, Reader, RetentionStatement,
    notice_served, render, transfer_notice,
};
use custodia_transfer::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn retention() -> RetentionStatement {
    RetentionStatement::of(&Profile::cn_insurance_broker().unwrap())
}

fn hong_kong() -> CrossBorderTerms {
    CrossBorderTerms {
        destination: Jurisdiction::HONG_KONG,
        mechanism: Mechanism::StandardContract,
        reference: "SC-2026-0042".into(),
        exemption: None,
        operator: OperatorStatus::Ordinary,
    }
}

/// The PIPL Art 17 items (and Arts 30, 39 where they apply) as words each language must contain.
fn items(language: Language, abroad: bool) -> Vec<&'static str> {
    let mut v = match language {
        Language::SimplifiedChinese => vec![
            "个人信息处理者",
            "联系方式",
            "处理目的",
            "处理方式",
            "个人信息种类",
            "保存期限",
            "5年",
            "10年",
            "3年",
            "删除或匿名化",
            "查阅、复制",
            "更正、补充、删除",
            "注销账户",
            "撤回同意",
            "必要性",
            "对个人权益的影响",
            "医疗健康信息",
            "拟订投保方案",
        ],
        _ => vec![
            "Who processes it",
            "contact",
            "Why and how",
            "electronically",
            "What is concerned",
            "How long we keep it",
            "5 years",
            "10 years",
            "3 years",
            "deleted or anonymized",
            "access or copy",
            "correct, complete or delete",
            "close your account",
            "withdraw",
            "is needed",
            "could harm",
            "medical and health information",
            "preparing your insurance proposals",
        ],
    };
    if abroad {
        v.extend(match language {
            Language::SimplifiedChinese => ["中国香港特别行政区", "境外接收方", "第三十九条", "标准合同"],
            _ => [
                "Hong Kong Special Administrative Region",
                "overseas recipient",
                "PIPL Art 39",
                "standard contract",
            ],
        });
    }
    v
}

/// Codes that must never reach a customer's eyes.
const RAW: [&str; 14] = [
    "HK",
    "merger_notice",
    "separate_consent",
    "standard_contract",
    "policy_servicing",
    "proposal_preparation",
    "kyc_aml",
    "marketing_preferences",
    "financial_accounts",
    "exempt",
    "none",
    "（）",
    "核保",
    "underwriting",
];

#[test]
fn every_notice_carries_each_pipl_17_item_per_path_and_language_with_no_raw_code() {
    let keys = Keys::generate().unwrap();
    for path in [TransferPath::MergerNotice, TransferPath::SeparateConsent] {
        for abroad in [false, true] {
            let mut t = terms(&keys, path);
            if abroad {
                t.cross_border = Some(hong_kong());
            }
            let agreement = signed(&keys, t);
            let context = NoticeContext {
                agreement: &agreement,
                retention: retention(),
                deadline: None,
            };
            for language in Language::ALL {
                let categories: BTreeSet<DataCategory> =
                    [DataCategory::Identity, DataCategory::Health].into();
                let addressee = Addressee::new(CustomerId::new_v7(), categories, language);
                let text = render(&context, &addressee).unwrap();
                for item in items(language, abroad) {
                    assert!(
                        text.contains(item),
                        "{path:?} abroad {abroad} {language:?}: no {item:?} in\n{text}"
                    );
                }
                for name in [agreement.terms().seller.name(), agreement.terms().buyer.name()] {
                    assert!(text.contains(name));
                }
                for raw in RAW {
                    assert!(
                        !text.contains(raw),
                        "{path:?} {language:?}: raw code {raw:?} in\n{text}"
                    );
                }
                // Purposes are the customer's own: no health or marketing data, no purpose for them.
                let only_identity =
                    Addressee::new(CustomerId::new_v7(), [DataCategory::Identity].into(), language);
                let plain = render(&context, &only_identity).unwrap();
                let proposal = if language == Language::SimplifiedChinese {
                    "拟订投保方案"
                } else {
                    "insurance proposals"
                };
                assert!(!plain.contains(proposal), "{language:?}");
                // The consequences of objecting or refusing (PIPL Arts 16, 17).
                let consequence = match (path, language) {
                    (TransferPath::MergerNotice, Language::SimplifiedChinese) => "反对的后果",
                    (TransferPath::MergerNotice, _) => "If you object",
                    (_, Language::SimplifiedChinese) => "您有权拒绝",
                    (_, _) => "You may refuse",
                };
                assert!(text.contains(consequence), "{path:?} {language:?}");
                let article_16 = if language == Language::SimplifiedChinese {
                    "第十六条"
                } else {
                    "PIPL Art 16"
                };
                assert!(text.contains(article_16), "{path:?} {language:?}");
            }
        }
    }
    // The published notice carries retention as periods and the rights' procedures, not two contacts.
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let notice = transfer_notice(&NoticePublication {
        agreement: &agreement,
        id: NoticeId::new_v7(),
        language: Language::SimplifiedChinese,
        published_at: at(2026, 6, 1),
        retention: retention(),
    })
    .unwrap();
    assert!(notice.fields().retention.contains("5年") && notice.fields().retention.contains("3年"));
    assert!(notice.fields().rights.contains("注销账户") && notice.fields().rights.contains("核验身份"));
}

#[test]
fn a_childs_notice_is_addressed_to_the_guardian() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let context = NoticeContext {
        agreement: &agreement,
        retention: retention(),
        deadline: None,
    };
    for (language, words) in [
        (
            Language::SimplifiedChinese,
            ["尊敬的监护人", "第三十一条", "您监护的未成年人"],
        ),
        (
            Language::English,
            ["Dear parent or guardian", "PIPL Art 31", "the child's"],
        ),
    ] {
        let mut addressee = Addressee::new(CustomerId::new_v7(), [DataCategory::Identity].into(), language);
        addressee.reader = Reader::Guardian;
        addressee.sensitive = addressee.categories.clone();
        let text = render(&context, &addressee).unwrap();
        for w in words {
            assert!(text.contains(w), "{language:?}: no {w:?}");
        }
    }
}

#[test]
fn a_served_notice_states_its_deadline_moved_past_national_day() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let calendar = WorkingDayCalendar::mainland_2026().unwrap();
    let delivery = NoticeDelivery {
        agreement: &agreement,
        served_at: at(2026, 9, 1),
        recorded_by: ActorId::new("svc-1").unwrap(),
        channel: Channel::Sms,
        retention: retention(),
        calendar: &calendar,
    };
    let deadline = delivery.deadline().unwrap().unwrap();
    assert_eq!(deadline.last_day, day(2026, 10, 8));
    for (language, words) in [
        (Language::SimplifiedChinese, "2026年10月8日24时（北京时间）"),
        (Language::English, "24:00 Beijing time on 8 October 2026"),
    ] {
        let addressee = Addressee::new(CustomerId::new_v7(), [DataCategory::Identity].into(), language);
        let context = NoticeContext {
            agreement: &agreement,
            retention: retention(),
            deadline: Some(deadline),
        };
        let text = render(&context, &addressee).unwrap();
        assert!(text.contains(words), "{language:?}:\n{text}");
        // The served event's evidence is the digest of exactly this text.
        let notice = custodia_consent::NoticeRef {
            id: NoticeId::new_v7(),
            version: 1,
        };
        let event = notice_served(&delivery, notice, &addressee).unwrap();
        assert_eq!(
            event.fields().evidence,
            custodia_consent::Digest::of(text.as_bytes())
        );
    }
}

#[test]
fn a_share_acquisition_notice_says_nothing_moves() {
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::MergerNotice);
    t.deal.kind = DealKind::ShareAcquisition;
    let agreement = signed(&keys, t);
    let context = NoticeContext {
        agreement: &agreement,
        retention: retention(),
        deadline: None,
    };
    let text = render(
        &context,
        &Addressee::new(
            CustomerId::new_v7(),
            [DataCategory::Identity].into(),
            Language::SimplifiedChinese,
        ),
    )
    .unwrap();
    assert!(
        text.contains("不转移") && text.contains("无需您作出答复"),
        "{text}"
    );
}

#[test]
fn a_foreign_party_is_named_by_its_own_registration() {
    let keys = Keys::generate().unwrap();
    let mut t = terms(&keys, TransferPath::SeparateConsent);
    let foreign = |registration: Option<ForeignRegistration>| {
        let mut fields = t.buyer.fields().clone();
        fields.jurisdiction = Jurisdiction::HONG_KONG;
        fields.credit_code = None;
        fields.registration = registration;
        TransferParty::new(fields)
    };
    assert!(matches!(
        foreign(None),
        Err(TransferError::InvalidField {
            field: "party.registration",
            ..
        })
    ));
    let buyer = foreign(Some(ForeignRegistration {
        register: "Companies Registry, Hong Kong".into(),
        number: "3141592".into(),
    }))
    .unwrap();
    assert!(buyer.credit_code().is_none());
    t.buyer = buyer;
    t.cross_border = Some(hong_kong());
    let agreement = signed(&keys, t);
    let context = NoticeContext {
        agreement: &agreement,
        retention: retention(),
        deadline: None,
    };
    let text = render(
        &context,
        &Addressee::new(
            CustomerId::new_v7(),
            [DataCategory::Identity].into(),
            Language::English,
        ),
    )
    .unwrap();
    assert!(
        text.contains("registration no. 3141592 with the Companies Registry, Hong Kong"),
        "{text}"
    );
    // A mainland party without a credit code is refused.
    let mut fields = agreement.terms().seller.fields().clone();
    fields.credit_code = None;
    assert!(matches!(
        TransferParty::new(fields),
        Err(TransferError::InvalidField {
            field: "party.credit_code",
            ..
        })
    ));
}

#[test]
fn the_data_room_holds_no_personal_information_passes_k_anonymity_and_is_logged() {
    let as_of = day(2026, 5, 31);
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 3,
            customers: 600,
            ..BookConfig::default()
        },
        as_of,
    )
    .unwrap();
    let mut builder = DataRoomBuilder::new(DataRoomSettings {
        k: 3,
        sample_every: 1,
        as_of,
    })
    .unwrap();
    for c in book.records() {
        builder.add(c);
    }
    let export = builder.finish();
    assert_eq!(export.customers, 600);
    export.check_k_anonymity().unwrap();
    assert!(export.suppressed_sample_rows > 0, "small groups are suppressed");
    let json = export.to_json().unwrap();
    for c in book.records() {
        if let Some(p) = c.party().as_person() {
            assert!(!json.contains(p.name().as_str()));
        }
        if let Some(m) = &c.contact().mobile {
            assert!(!json.contains(m.as_str()));
        }
        assert!(!json.contains(&c.id().to_string()));
    }
    // A group of one is a person: k below 2 is refused.
    assert!(
        DataRoomBuilder::new(DataRoomSettings {
            k: 1,
            sample_every: 1,
            as_of
        })
        .is_err()
    );
    // What was shown lands on the ledger as its digest and counts.
    let mut log = Log::new(MemoryStore::new()).unwrap();
    let index = export.append_to(&mut log).unwrap();
    let entry = log.entry(index).unwrap();
    let record: serde_json::Value = serde_json::from_slice(entry.payload().unwrap()).unwrap();
    assert_eq!(record["format"], custodia_transfer::data_room::DATA_ROOM_PAYLOAD);
    assert_eq!(record["digest"], export.record().unwrap().digest);
    assert_eq!(record["customers"], 600);
}

#[test]
fn the_ndsr_disposal_plan_report_gates_execution_at_the_threshold_which_is_data() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let rule = DisposalPlanRule::default();
    assert_eq!(rule.threshold_people, 10_000_000);
    assert!(matches!(
        rule.check(&agreement, 9_999_999, None).unwrap(),
        DisposalPlanStatus::NotRequired { .. }
    ));
    assert!(matches!(
        rule.check(&agreement, 10_000_000, None),
        Err(TransferError::DisposalPlanReportMissing {
            people: 10_000_000,
            ..
        })
    ));
    let report = DisposalPlanReport {
        reference: "SH-NDSR32-2026-007".into(),
        authority: "上海市网信办".into(),
        filed_on: day(2026, 5, 20),
    };
    assert_eq!(
        rule.check(&agreement, 12_000_000, Some(&report)).unwrap(),
        DisposalPlanStatus::Reported {
            reference: "SH-NDSR32-2026-007".into()
        }
    );
    // The threshold is data: a lower one gates a small book too.
    let strict = DisposalPlanRule {
        threshold_people: 100,
    };
    assert!(strict.check(&agreement, 150, None).is_err());
    // A report recorded in the agreement itself counts.
    let mut t = terms(&keys, TransferPath::MergerNotice);
    t.deal.disposal_plan_report = Some(report);
    let reported = signed(&keys, t);
    assert!(strict.check(&reported, 150, None).is_ok());
}

#[test]
fn who_keeps_the_records_decides_the_sellers_disposition_both_ways() {
    let profile = Profile::cn_insurance_broker().unwrap();
    let holds = Holds::new();
    let facts = || {
        let c = CustomerId::new_v7();
        RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .held(
                HeldData::new(
                    c,
                    Holding::Category(DataCategory::Policies),
                    day(2020, 1, 1),
                    vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)],
                )
                .unwrap(),
            )
            .contract(Contract::ending(ContractTerm::MoreThanOneYear, day(2025, 12, 31)))
            .relationship_started(day(2020, 1, 1))
            .build()
            .unwrap()
    };
    let moved = CategorySet::from([DataCategory::Policies]);
    let mut seller_keeps = DispositionPlanner::new(&profile, &holds, day(2026, 7, 20));
    seller_keeps.add_moved(facts(), day(2026, 7, 17), moved).unwrap();
    assert_eq!(seller_keeps.counts().restricted(), 1);
    let mut buyer_keeps =
        DispositionPlanner::new(&profile, &holds, day(2026, 7, 20)).with_record_keeper(RecordKeeper::Buyer);
    buyer_keeps.add_moved(facts(), day(2026, 7, 17), moved).unwrap();
    assert_eq!(buyer_keeps.counts().destroyed(), 1);
    let _ = PartyId::new_v7();
}
