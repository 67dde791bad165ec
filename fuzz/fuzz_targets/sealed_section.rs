//! Sealed sections from storage or a package: parse, re-encode byte-exactly, and try to open under the
//! seed customer's key in every category and a few versions. Never a panic; an open succeeds only for
//! the exact (category, version) the section was sealed for.
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use custodia_crypto::{SealedSection, open_section};
use custodia_model::DataCategory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sealed) = SealedSection::from_bytes(data) else {
        return;
    };
    assert_eq!(
        sealed.as_bytes(),
        data,
        "a parsed section re-encodes byte-exactly"
    );
    assert_eq!(
        sealed.plaintext_len() + custodia_crypto::SECTION_OVERHEAD,
        data.len()
    );
    let dek = &*fixtures::DEK;
    let mut opened = 0;
    for category in DataCategory::ALL {
        for version in [0u64, 1, 2, 3, 7, u64::MAX] {
            if let Ok(plain) = open_section(dek, dek.customer(), category, version, &sealed) {
                assert_eq!(plain.len(), sealed.plaintext_len());
                opened += 1;
            }
        }
    }
    assert!(opened <= 1, "one ciphertext opens in at most one context");
});
