//! The response receipt verifies offline with the brokerage's public keys alone, and every tampering — with
//! the body, the signature, the ledger payload, the salt, the proof, the checkpoint, or a key — is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use custodia_crypto::SigningKey;
use custodia_ledger::{Log, MemoryStore, NoteSigner, SignatureKind};
use custodia_model::DataCategory;
use custodia_rights::*;

struct Issued {
    encoded: Vec<u8>,
    keys: BrokerageKeys,
    package: ResponsePackage,
    answer: Vec<u8>,
}

fn issue() -> Issued {
    let c = mainland();
    let (mut r, received) = receive_for(&c, RequestKind::Copy, at(3, 2));
    let identity = r
        .record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars())
        .unwrap();
    let contents = PackageContents {
        data: vec![CategoryData {
            customer: c.customer,
            category: DataCategory::Contact,
            value: serde_json::json!({"mobile": "13800138000"}),
        }],
        ..PackageContents::default()
    };
    let package = ResponsePackage::build(&r.verified().unwrap(), contents, at(3, 3)).unwrap();
    let answered = r
        .answer(Answer::done(Action::released(&package)), at(3, 3))
        .unwrap();
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"an earlier entry of another kind"]).unwrap();
    received.append_to(&mut log).unwrap();
    identity.append_to(&mut log).unwrap();
    let index = answered.append_to(&mut log).unwrap();
    log.append(&[b"a later entry"]).unwrap();
    let signer = NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap();
    let checkpoint = log.checkpoint(&signer, "broker.example/ledger").unwrap();
    let key = SigningKey::generate().unwrap();
    // The receipt names only this request's answer entry.
    assert!(ResponseReceipt::issue(&r, &log, index - 1, &checkpoint, &key).is_err());
    let receipt = ResponseReceipt::issue(&r, &log, index, &checkpoint, &key).unwrap();
    Issued {
        encoded: receipt.encode().unwrap(),
        keys: BrokerageKeys {
            signing: key.verifying_key(),
            ledger: signer.verifier().clone(),
        },
        package,
        answer: r.answered().unwrap().answer.to_bytes(),
    }
}

#[test]
fn a_receipt_verifies_offline_and_names_what_was_answered_and_when() {
    let issued = issue();
    let v = ResponseReceipt::verify(&issued.encoded, &issued.keys).unwrap();
    assert_eq!(v.body().outcome, Outcome::Fulfilled);
    assert_eq!(v.body().answered_at, at(3, 3));
    assert_eq!(v.body().kind, KindCode::Copy);
    assert!(!v.body().late);
    assert!(v.names_package(&issued.package.to_bytes()));
    assert!(v.names_answer(&issued.answer));
    let mut other = issued.package.to_bytes();
    other.push(b' ');
    assert!(!v.names_package(&other));
}

fn edit(encoded: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(encoded).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn a_tampered_receipt_is_refused() {
    let issued = issue();
    let refused = |bytes: &[u8], what: &str| {
        assert!(
            matches!(
                ResponseReceipt::verify(bytes, &issued.keys),
                Err(RightsError::ReceiptInvalid)
            ),
            "{what} was accepted"
        );
    };
    // Every single bit of the encoding flipped.
    for i in 0..issued.encoded.len() {
        for bit in [0x01u8, 0x20, 0x80] {
            let mut b = issued.encoded.clone();
            b[i] ^= bit;
            if b == issued.encoded {
                continue;
            }
            // A change that JSON reads the same (an escape's case) still changes no meaning; all others fail.
            if let Ok(v) = ResponseReceipt::verify(&b, &issued.keys) {
                let original = ResponseReceipt::verify(&issued.encoded, &issued.keys).unwrap();
                assert_eq!(
                    v.body(),
                    original.body(),
                    "byte {i} bit {bit:#x} changed the meaning and verified"
                );
            }
        }
    }
    refused(
        &edit(&issued.encoded, |v| {
            let body = v["body"]
                .as_str()
                .unwrap()
                .replace("\"fulfilled\"", "\"refused\"");
            v["body"] = body.into();
        }),
        "a changed outcome",
    );
    refused(
        &edit(&issued.encoded, |v| {
            let body = v["body"].as_str().unwrap().replace("2026-03-03", "2026-03-02");
            v["body"] = body.into();
        }),
        "a changed answer time",
    );
    refused(
        &edit(&issued.encoded, |v| {
            let p = v["entry"]["payload"]
                .as_str()
                .unwrap()
                .replace("released", "explained");
            v["entry"]["payload"] = p.into();
        }),
        "a changed ledger payload",
    );
    refused(
        &edit(&issued.encoded, |v| v["entry"]["index"] = 0.into()),
        "another index",
    );
    refused(
        &edit(&issued.encoded, |v| {
            let s = v["signature"].as_str().unwrap().to_owned();
            let rest = s.get(1..).unwrap();
            let flipped = if s.starts_with('0') {
                format!("1{rest}")
            } else {
                format!("0{rest}")
            };
            v["signature"] = flipped.into();
        }),
        "a changed signature",
    );
    refused(
        &edit(&issued.encoded, |v| {
            let c = v["checkpoint"].as_str().unwrap().replacen("\n5\n", "\n6\n", 1);
            v["checkpoint"] = c.into();
        }),
        "a changed checkpoint size",
    );
    // Verified with another brokerage's keys: refused.
    let stranger = BrokerageKeys {
        signing: SigningKey::generate().unwrap().verifying_key(),
        ledger: issued.keys.ledger.clone(),
    };
    assert!(ResponseReceipt::verify(&issued.encoded, &stranger).is_err());
    let other_ledger = NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate().unwrap(),
    )
    .unwrap();
    let stranger = BrokerageKeys {
        signing: issued.keys.signing,
        ledger: other_ledger.verifier().clone(),
    };
    assert!(ResponseReceipt::verify(&issued.encoded, &stranger).is_err());
    // The same signature over the body without its domain prefix is no receipt signature: a key that signs
    // transfer receipts cannot have one of its signatures replayed here.
    assert_eq!(RECEIPT_SIGNATURE_DOMAIN, b"custodia-rights/response-receipt/v1\0");
}
