//! Agreements and receipts as the other party sends them. Tag 0: `SignedAgreement::decode` (re-encodes
//! byte-exactly); 1: `DraftAgreement::from_bytes` (canonical bytes re-encode byte-exactly); 2: a receipt
//! body signed here with the fixture buyer key, so the fuzzer reaches the JSON and the checks behind the
//! signature; 3: a whole receipt envelope. Never a panic.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use std::sync::LazyLock;

use custodia_transfer::package::{PackageReader, Record};
use custodia_transfer::{DraftAgreement, PackageSummary, SignedAgreement, SignedReceipt};
use libfuzzer_sys::fuzz_target;

static SUMMARY: LazyLock<PackageSummary> = LazyLock::new(|| {
    let mut reader = PackageReader::open(fixtures::PACKAGE, 1 << 20).unwrap();
    let header = reader.header().clone();
    let (mut customers, mut sections) = (0, 0);
    loop {
        match reader.next_record().unwrap() {
            Record::Entry(e) => {
                customers += 1;
                sections += e.sections.len() as u64;
            }
            Record::Trailer { root, signature, .. } => {
                return PackageSummary {
                    header,
                    customers,
                    sections,
                    section_bytes: 0,
                    package_bytes: fixtures::PACKAGE.len() as u64,
                    root,
                    signature,
                };
            }
        }
    }
});

const RECEIPT_DOMAIN: &[u8] = b"custodia-transfer/receipt-signature/v1\0";

fuzz_target!(|data: &[u8]| {
    let Some((tag, rest)) = data.split_first() else {
        return;
    };
    match tag % 4 {
        0 => {
            if let Ok(a) = SignedAgreement::decode(rest) {
                assert_eq!(a.encode(), rest, "signed agreement round trip");
            }
        }
        1 => {
            if let Ok(d) = DraftAgreement::from_bytes(rest) {
                assert_eq!(d.as_bytes(), rest, "canonical agreement bytes round trip");
                let again = DraftAgreement::new(d.terms().clone()).unwrap();
                assert_eq!(
                    again.as_bytes(),
                    rest,
                    "terms re-encode to the same canonical bytes"
                );
            }
        }
        2 => {
            let mut body = custodia_transfer::RECEIPT_FORMAT.as_bytes().to_vec();
            body.extend_from_slice(rest);
            let mut message = RECEIPT_DOMAIN.to_vec();
            message.extend_from_slice(&body);
            let signature = fixtures::BUYER.sign(&message);
            let mut envelope = custodia_transfer::RECEIPT_MAGIC.to_vec();
            envelope.extend_from_slice(&(body.len() as u32).to_be_bytes());
            envelope.extend_from_slice(&body);
            envelope.extend_from_slice(signature.as_bytes());
            if let Ok(r) = SignedReceipt::verify(&envelope, &fixtures::AGREEMENT, &SUMMARY) {
                assert_eq!(r.encode(), envelope, "receipt envelope round trip");
            }
        }
        _ => {
            if let Ok(r) = SignedReceipt::verify(rest, &fixtures::AGREEMENT, &SUMMARY) {
                assert_eq!(r.encode(), rest, "receipt envelope round trip");
            }
        }
    }
});
