//! Agreements: validation names the term, canonical bytes round-trip exactly, and no change to a signed
//! envelope survives decoding.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use custodia_consent::TransferPath;
use custodia_model::Jurisdiction;
use custodia_transfer::*;
use proptest::prelude::*;

fn field_of(result: Result<DraftAgreement, TransferError>) -> &'static str {
    match result {
        Err(TransferError::InvalidField { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[test]
fn invalid_terms_are_refused_naming_the_term() {
    let keys = Keys::generate().unwrap();
    let base = terms(&keys, TransferPath::MergerNotice);

    let mut t = base.clone();
    t.impact_assessment = " ".into();
    assert_eq!(field_of(DraftAgreement::new(t)), "agreement.impact_assessment");

    let mut t = base.clone();
    t.objection_window_days = 0;
    assert_eq!(
        field_of(DraftAgreement::new(t)),
        "agreement.objection_window_days"
    );

    let mut t = base.clone();
    t.buyer = t.seller.clone();
    assert_eq!(field_of(DraftAgreement::new(t)), "agreement.buyer");

    let mut t = base.clone();
    t.scope.reverse();
    assert_eq!(field_of(DraftAgreement::new(t)), "agreement.scope");

    let mut t = base.clone();
    t.obligations.purpose_limitation = false;
    assert_eq!(field_of(DraftAgreement::new(t)), "agreement.obligations");

    let mut t = base.clone();
    t.cross_border = Some(CrossBorderTerms {
        destination: Jurisdiction::MAINLAND_CHINA,
        mechanism: Mechanism::StandardContract,
        reference: "SC-1".into(),
        operator: OperatorStatus::Ordinary,
        exemption: None,
    });
    assert_eq!(
        field_of(DraftAgreement::new(t)),
        "agreement.cross_border.destination"
    );

    let mut t = base.clone();
    t.cross_border = Some(CrossBorderTerms {
        destination: Jurisdiction::HONG_KONG,
        mechanism: Mechanism::StandardContract,
        reference: String::new(),
        operator: OperatorStatus::Ordinary,
        exemption: None,
    });
    assert_eq!(
        field_of(DraftAgreement::new(t)),
        "agreement.cross_border.reference"
    );

    // A consent-path agreement needs no objection window.
    let mut t = terms(&keys, TransferPath::SeparateConsent);
    t.objection_window_days = 0;
    assert!(DraftAgreement::new(t).is_ok());
}

#[test]
fn the_legal_path_is_a_term_both_ways() {
    let keys = Keys::generate().unwrap();
    for path in [TransferPath::MergerNotice, TransferPath::SeparateConsent] {
        let a = signed(&keys, terms(&keys, path));
        assert_eq!(a.terms().legal_path, path);
        let article = if path == TransferPath::MergerNotice {
            "22"
        } else {
            "23"
        };
        assert_eq!(a.terms().path_citation().article(), article);
    }
}

#[test]
fn either_party_may_sign_first_and_the_result_is_the_same_agreement() {
    let keys = Keys::generate().unwrap();
    let draft = DraftAgreement::new(terms(&keys, TransferPath::MergerNotice)).unwrap();
    let a = draft
        .clone()
        .sign_as_seller(&keys.seller_sign)
        .unwrap()
        .countersign_as_buyer(&keys.buyer_sign)
        .unwrap();
    let b = draft
        .sign_as_buyer(&keys.buyer_sign)
        .unwrap()
        .countersign_as_seller(&keys.seller_sign)
        .unwrap();
    assert_eq!(a.digest(), b.digest());
    assert_eq!(SignedAgreement::decode(&a.encode()).unwrap().digest(), b.digest());
    // Countersigning checks the first signature: a forged seller signature is refused by the buyer.
    let other = Keys::generate().unwrap();
    let forged = DraftAgreement::new(terms(&other, TransferPath::MergerNotice)).unwrap();
    assert!(forged.sign_as_seller(&keys.seller_sign).is_err());
}

/// The half-signed agreement as a buyer in another process gets it — the draft's bytes and the seller's
/// signature — rebuilds with `SellerSigned::from_parts` only when the signature is the seller's over that draft.
#[test]
fn a_half_signed_agreement_rebuilds_from_its_parts_only_with_the_sellers_signature() {
    let keys = Keys::generate().unwrap();
    let draft = DraftAgreement::new(terms(&keys, TransferPath::MergerNotice)).unwrap();
    let half = draft.clone().sign_as_seller(&keys.seller_sign).unwrap();
    let received = DraftAgreement::from_bytes(draft.as_bytes()).unwrap();
    let rebuilt = SellerSigned::from_parts(received, *half.seller_signature()).unwrap();
    let signed = rebuilt.countersign_as_buyer(&keys.buyer_sign).unwrap();
    assert_eq!(signed.digest(), draft.digest());
    // The buyer's signature in the seller's place, or the seller's over other terms, is refused.
    let by_buyer = draft.clone().sign_as_buyer(&keys.buyer_sign).unwrap();
    let wrong = SellerSigned::from_parts(draft.clone(), *by_buyer.buyer_signature());
    assert!(matches!(wrong, Err(TransferError::BadSignature { .. })));
    let mut other_terms = terms(&keys, TransferPath::MergerNotice);
    other_terms.objection_window_days += 1;
    let other = DraftAgreement::new(other_terms).unwrap();
    assert!(SellerSigned::from_parts(other, *half.seller_signature()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For every byte of a signed envelope, changing it makes decoding fail (never panic).
    #[test]
    fn every_changed_byte_of_a_signed_envelope_is_refused(pos in 0usize..4096, bit in 0u8..8) {
        let keys = Keys::generate().unwrap();
        let a = signed(&keys, terms(&keys, TransferPath::MergerNotice));
        let mut bytes = a.encode();
        let i = pos % bytes.len();
        bytes[i] ^= 1 << bit;
        prop_assert!(SignedAgreement::decode(&bytes).is_err());
    }

    /// Decoding arbitrary bytes never panics.
    #[test]
    fn decoding_any_bytes_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = SignedAgreement::decode(&bytes);
        let _ = DraftAgreement::from_bytes(&bytes);
        let mut framed = b"CUSTAGR1".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = SignedAgreement::decode(&framed);
    }
}

#[test]
fn canonical_bytes_round_trip_exactly() {
    let keys = Keys::generate().unwrap();
    let draft = DraftAgreement::new(terms(&keys, TransferPath::SeparateConsent)).unwrap();
    let again = DraftAgreement::from_bytes(draft.as_bytes()).unwrap();
    assert_eq!(again, draft);
    assert!(draft.as_bytes().starts_with(AGREEMENT_FORMAT.as_bytes()));
    // Pretty-printed JSON of the same terms is not the canonical form.
    let json: serde_json::Value =
        serde_json::from_slice(&draft.as_bytes()[AGREEMENT_FORMAT.len()..]).unwrap();
    let mut pretty = AGREEMENT_FORMAT.as_bytes().to_vec();
    pretty.extend_from_slice(serde_json::to_string_pretty(&json).unwrap().as_bytes());
    assert!(matches!(
        DraftAgreement::from_bytes(&pretty),
        Err(TransferError::NonCanonicalAgreement { .. })
    ));
}
