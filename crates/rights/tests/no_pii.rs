//! No personal value reaches the ledger, the stored request, the receipt's body or an error: a request is
//! run through every kind with a package full of a customer's personal values, and personal values are fed
//! to every constructor that can refuse them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::*;
use custodia_model::{DataCategory, Purpose};
use custodia_rights::*;

const PII: [&str; 6] = [
    "张三",
    "13800138000",
    "11010519491231002X",
    "zhang.san@example.cn",
    "朝阳区建国路",
    "6222020200112233445",
];

fn assert_clean(text: &str, what: &str) {
    for value in PII {
        assert!(!text.contains(value), "{what} contains {value}: {text}");
    }
}

fn kinds() -> Vec<RequestKind> {
    vec![
        RequestKind::Access,
        RequestKind::Copy,
        RequestKind::Portability {
            recipient: Reference::new("insurer-7").unwrap(),
        },
        RequestKind::Correction {
            fields: [FieldPath::new("contact.mobile").unwrap()].into(),
        },
        RequestKind::Deletion {
            categories: BTreeSet::new(),
        },
        RequestKind::ExplainRules,
        RequestKind::WithdrawConsent {
            purposes: [Purpose::Marketing].into(),
            categories: BTreeSet::new(),
        },
        RequestKind::Restrict {
            purposes: [Purpose::Analytics].into(),
        },
        RequestKind::Object {
            purposes: [Purpose::Marketing].into(),
        },
        RequestKind::ExplainAutomatedDecision {
            decision: Reference::new("uw-118").unwrap(),
        },
        RequestKind::RefuseAutomatedDecision {
            decision: Reference::new("uw-118").unwrap(),
        },
    ]
}

#[test]
fn ledger_entries_stored_requests_and_receipt_bodies_carry_no_personal_values() {
    for kind in kinds() {
        let c = mainland();
        let code = kind.code();
        let (mut r, received) = receive_for(&c, kind, at(3, 2));
        let mut entries = vec![received];
        entries.push(r.ask_for_evidence(at(3, 2), &calendars()).unwrap());
        entries.push(
            r.record_identity(strong(VerifiedParty::Requester, at(3, 3)), &calendars())
                .unwrap(),
        );
        entries.push(
            r.extend(ExtensionReason::Complexity, at(3, 4), &calendars())
                .unwrap(),
        );
        let data = if matches!(code, KindCode::Access | KindCode::Copy | KindCode::Portability) {
            vec![CategoryData {
                customer: c.customer,
                category: DataCategory::Identity,
                value: serde_json::json!({ "name": PII[0], "mobile": PII[1], "id": PII[2], "email": PII[3],
                    "address": PII[4], "card": PII[5] }),
            }]
        } else {
            Vec::new()
        };
        let package = ResponsePackage::build(
            &r.verified().unwrap(),
            PackageContents {
                data,
                ..PackageContents::default()
            },
            at(3, 5),
        )
        .unwrap();
        let answer = match code {
            KindCode::Access | KindCode::Copy | KindCode::Portability => {
                Answer::done(Action::released(&package))
            }
            KindCode::ExplainRules
            | KindCode::ExplainAutomatedDecision
            | KindCode::RefuseAutomatedDecision => Answer::done(Action::explained(&package)),
            KindCode::WithdrawConsent | KindCode::Object | KindCode::Restrict => {
                Answer::done(Action::ConsentEnded {
                    consent_entry: 9,
                    recipients: 2,
                })
            }
            KindCode::Correction => Answer::refused(refusal(RefusalCode::AlreadyAccurate, code)),
            _ => Answer::refused(refusal(
                RefusalCode::Standard {
                    ground: StandardGround::ControllerLegalDuty,
                },
                code,
            )),
        };
        entries.push(r.answer(answer, at(3, 6)).unwrap());
        for e in &entries {
            assert_clean(&String::from_utf8(e.encode().unwrap()).unwrap(), "a ledger entry");
            assert_clean(&format!("{e:?}"), "a ledger entry's Debug");
        }
        assert_clean(&serde_json::to_string(&r).unwrap(), "the stored request");
        assert_clean(&format!("{r:?}"), "the request's Debug");
        assert_clean(
            &String::from_utf8(r.answered().unwrap().answer.to_bytes()).unwrap(),
            "the answer",
        );
        if !package.data().is_empty() {
            // The package is what carries them, to the customer only.
            assert!(String::from_utf8(package.to_bytes()).unwrap().contains(PII[1]));
        }
    }
}

#[test]
fn errors_fed_personal_values_repeat_none_of_them() {
    let mut messages = Vec::new();
    for value in PII {
        for candidate in [
            value.to_owned(),
            format!("contact.{value}"),
            format!("policies[{value}]"),
            format!(" {value}"),
        ] {
            if let Err(e) = FieldPath::new(&candidate) {
                messages.push(format!("{e} {e:?}"));
            }
            if let Err(e) = Reference::new(&candidate) {
                messages.push(format!("{e} {e:?}"));
            }
        }
        if let Err(e) = Reference::new(&format!("{value}\n")) {
            messages.push(format!("{e} {e:?}"));
        }
        let bad_package = format!("custodia-rights-response/1\n{{\"name\":\"{value}\"}}");
        if let Err(e) = ResponsePackage::from_bytes(bad_package.as_bytes()) {
            messages.push(format!("{e} {e:?}"));
        }
        let bad_entry = format!("custodia-rights/1\n{{\"request\":\"{value}\"}}");
        if let Err(e) = RightsEntry::decode(3, bad_entry.as_bytes()) {
            messages.push(format!("{e} {e:?}"));
        }
        if let Err(e) = Answer::from_bytes(format!("{{\"parts\":[\"{value}\"]}}").as_bytes()) {
            messages.push(format!("{e} {e:?}"));
        }
        let bad_receipt = format!("{{\"body\":\"{value}\"}}");
        if let Err(e) = ResponseReceipt::verify(bad_receipt.as_bytes(), &keys()) {
            messages.push(format!("{e} {e:?}"));
        }
    }
    // Step errors name ids, states and codes.
    let c = mainland();
    let (mut r, _) = receive_for(&c, RequestKind::Access, at(3, 2));
    messages.push(r.verified().unwrap_err().to_string());
    let weak = IdentityVerification::verified(
        VerifiedParty::Requester,
        IdentityMethod::OneTimeCode,
        custodia_consent::Digest::of(PII[2].as_bytes()),
        clerk(),
        at(3, 2),
    );
    messages.push(format!(
        "{:?}",
        r.record_identity(weak, &calendars()).unwrap_err()
    ));
    assert!(messages.len() > 30, "{}", messages.len());
    for m in &messages {
        assert_clean(m, "an error");
    }
}

fn keys() -> BrokerageKeys {
    let key = custodia_crypto::SigningKey::generate().unwrap();
    let signer = custodia_ledger::NoteSigner::new(
        "broker.example/ledger",
        custodia_ledger::SignatureKind::Ed25519,
        custodia_crypto::SigningKey::generate().unwrap(),
    )
    .unwrap();
    BrokerageKeys {
        signing: key.verifying_key(),
        ledger: signer.verifier().clone(),
    }
}
