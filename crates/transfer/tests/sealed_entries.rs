//! Package format 2: a reader without the transfer key learns counts and sizes only — no customer id, no
//! category, no record version, no data key id — while the seller's signature covers every byte; a wrong
//! transfer key is refused opaquely; an entry cannot be moved to another place; format 1 is refused.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use custodia_consent::TransferPath;
use custodia_crypto::TransferKey;
use custodia_transfer::package::{
    DEFAULT_MAX_ENTRY_LEN, ENTRY_TAG, HEADER_LEN, PackageEntry, PackageReader, Record, TRAILER_LEN,
};
use custodia_transfer::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every entry of `bytes`, opened with the transfer key.
fn opened(bytes: &[u8], key: &TransferKey) -> Vec<PackageEntry> {
    let mut reader = PackageReader::open(bytes, DEFAULT_MAX_ENTRY_LEN).unwrap();
    reader.unseal_with(key).unwrap();
    let mut out = Vec::new();
    loop {
        match reader.next_record().unwrap() {
            Record::Entry(e) => out.push(*e),
            Record::Sealed(s) => panic!("entry {} not opened", s.index),
            Record::Trailer(_) => return out,
        }
    }
}

/// The byte ranges of the entry records: (start, end) of each, from the framing a keyless reader sees.
fn entry_records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut reader = PackageReader::open(bytes, DEFAULT_MAX_ENTRY_LEN).unwrap();
    let mut out = Vec::new();
    loop {
        match reader.next_record().unwrap() {
            Record::Sealed(s) => {
                let start = s.offset as usize;
                out.push((start, start + 5 + s.sealed_len as usize));
            }
            Record::Entry(_) => panic!("a keyless reader opened an entry"),
            Record::Trailer(_) => return out,
        }
    }
}

/// The format-1 plaintext of an entry's metadata: what a keyless reader used to see, in the layout the
/// entry body has (category tag ‖ record version ‖ section length, per section).
fn section_headers(entry: &PackageEntry) -> Vec<Vec<u8>> {
    entry
        .sections
        .iter()
        .map(|s| {
            let mut h = vec![s.category.tag()];
            h.extend_from_slice(&s.record_version.to_be_bytes());
            h.extend_from_slice(&(s.sealed.as_bytes().len() as u32).to_be_bytes());
            h
        })
        .collect()
}

#[test]
fn a_reader_without_the_transfer_key_finds_no_customer_category_version_or_key_id() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 12);
    let (bytes, summary, _) = make_package(&keys, &agreement, &store);
    let key = transfer_key(&keys, &agreement, &bytes);
    let entries = opened(&bytes, &key);
    assert_eq!(entries.len(), store.customers.len());

    // What format 1 carried in the clear: the plaintext entry bodies, concatenated. Every customer id,
    // every section header (category tag, version, length), every data key id and every sealed section
    // is found there — so the searches below can succeed, and the sealed package makes them fail.
    let mut clear = Vec::new();
    for e in &entries {
        clear.extend_from_slice(&e.salt);
        clear.extend_from_slice(e.customer.as_bytes());
        clear.extend_from_slice(&e.wrapped_key.encode());
        for (s, h) in e.sections.iter().zip(section_headers(e)) {
            clear.extend_from_slice(&h);
            clear.extend_from_slice(s.sealed.as_bytes());
        }
    }
    for e in &entries {
        assert!(contains(&clear, e.customer.as_bytes()));
        for h in section_headers(e) {
            assert!(contains(&clear, &h));
        }
        assert!(contains(&clear, e.wrapped_key.dek_id().as_bytes()));
    }

    // The package as written: none of it.
    for (i, e) in entries.iter().enumerate() {
        assert!(
            !contains(&bytes, e.customer.as_bytes()),
            "customer id of entry {i} is in the clear"
        );
        for h in section_headers(e) {
            assert!(
                !contains(&bytes, &h),
                "a section header of entry {i} is in the clear"
            );
        }
        assert!(
            !contains(&bytes, e.wrapped_key.dek_id().as_bytes()),
            "data key id of entry {i} is in the clear"
        );
        assert!(
            !contains(&bytes, &e.salt),
            "manifest salt of entry {i} is in the clear"
        );
        for s in &e.sections {
            // The first 29 bytes of a sealed section are its version byte, DEK id and nonce.
            assert!(!contains(&bytes, &s.sealed.as_bytes()[..29]));
        }
    }

    // What a keyless reader does learn: the count, and each sealed entry's length.
    let records = entry_records(&bytes);
    assert_eq!(records.len() as u64, summary.customers);
    assert_eq!(records.first().map(|r| r.0), Some(HEADER_LEN));
    assert_eq!(records.last().map(|r| r.1), Some(bytes.len() - TRAILER_LEN));
    let verified = verify_package(bytes.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert_eq!(verified.checked, PackageCheck::Signature);
    assert_eq!(verified.summary.customers, 12);
    assert_eq!(verified.summary.root, summary.root);
}

#[test]
fn verifying_with_the_key_recomputes_the_root_and_without_it_says_it_did_not() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 5);
    let (bytes, summary, _) = make_package(&keys, &agreement, &store);
    let key = transfer_key(&keys, &agreement, &bytes);
    let keyless = verify_package(bytes.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN).unwrap();
    let keyed = verify_package_with_key(bytes.as_slice(), &agreement, &key, DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert_eq!(keyless.checked, PackageCheck::Signature);
    assert_eq!(keyed.checked, PackageCheck::SignatureAndEntries);
    for v in [&keyless, &keyed] {
        assert_eq!(v.summary.signed(), summary.signed());
        assert_eq!(v.summary.package_bytes, bytes.len() as u64);
        assert_eq!(v.summary.signature, summary.signature);
    }
}

#[test]
fn every_single_byte_change_is_refused_with_and_without_the_key() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 2);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let key = transfer_key(&keys, &agreement, &bytes);
    let records = entry_records(&bytes);
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            assert!(
                verify_package(bad.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN).is_err(),
                "keyless: byte {i} ^ {flip:#04x} not refused"
            );
            let imported = import_into(&keys, &agreement, &bad, &ImportSettings::default());
            assert!(imported.is_err(), "import: byte {i} ^ {flip:#04x} not refused");
            // A change inside a sealed entry (past its tag and length) is refused when that entry is
            // opened, opaquely, naming only its index.
            if let Some(n) = records.iter().position(|(s, e)| i >= s + 5 && i < *e) {
                let keyed = verify_package_with_key(bad.as_slice(), &agreement, &key, DEFAULT_MAX_ENTRY_LEN);
                assert_eq!(
                    keyed.err(),
                    Some(TransferError::EntrySealBroken { entry: n as u64 }),
                    "byte {i}"
                );
                assert_eq!(
                    imported.err(),
                    Some(TransferError::EntrySealBroken { entry: n as u64 })
                );
            }
        }
    }
}

#[test]
fn a_wrong_transfer_key_is_refused_opaquely() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 3);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let wrong = TransferKey::generate(agreement.transfer_id()).unwrap();
    let err =
        verify_package_with_key(bytes.as_slice(), &agreement, &wrong, DEFAULT_MAX_ENTRY_LEN).unwrap_err();
    assert_eq!(err, TransferError::EntrySealBroken { entry: 0 });
    let shown = err.to_string();
    assert_eq!(shown, "entry 0 does not open with the transfer key");
    for c in &store.customers {
        assert!(!shown.contains(&c.to_string()));
    }
    // The reader holding the key shows neither key nor entry contents.
    let mut reader = PackageReader::open(bytes.as_slice(), DEFAULT_MAX_ENTRY_LEN).unwrap();
    reader.unseal_with(&wrong).unwrap();
    let shown = format!("{reader:?} {:?}", wrong.entry_key().unwrap());
    assert!(
        shown.contains("unsealing: true") && shown.contains("[REDACTED]"),
        "{shown}"
    );
    // A key of another transfer is refused before any entry is read.
    let other = TransferKey::generate(custodia_model::TransferId::new_v7()).unwrap();
    let mut reader = PackageReader::open(bytes.as_slice(), DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert_eq!(
        reader.unseal_with(&other).err(),
        Some(TransferError::AgreementMismatch { what: "transfer key" })
    );
    // Proofs need the right key too.
    let tree = make_package(&keys, &agreement, &store).2;
    assert_eq!(
        prove(
            bytes.as_slice(),
            &wrong,
            &tree,
            &store.customers,
            DEFAULT_MAX_ENTRY_LEN
        )
        .err(),
        Some(TransferError::EntrySealBroken { entry: 0 })
    );
}

#[test]
fn entries_cannot_be_swapped_or_moved_the_index_is_bound() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 3);
    let (bytes, _, _) = make_package(&keys, &agreement, &store);
    let key = transfer_key(&keys, &agreement, &bytes);
    let records = entry_records(&bytes);
    let part = |n: usize| &bytes[records[n].0..records[n].1];
    let head = &bytes[..HEADER_LEN];
    let tail = &bytes[records[2].1..];
    // Entries 0 and 1 swapped: entry 0's place now holds a record sealed for place 1.
    let swapped = [head, part(1), part(0), part(2), tail].concat();
    // Entry 1 dropped: entry 2 now stands at place 1.
    let dropped = [head, part(0), part(2), tail].concat();
    for (bad, at) in [(&swapped, 0u64), (&dropped, 1)] {
        let mut reader = PackageReader::open(bad.as_slice(), DEFAULT_MAX_ENTRY_LEN).unwrap();
        reader.unseal_with(&key).unwrap();
        let err = loop {
            match reader.next_record() {
                Ok(Record::Entry(_)) => continue,
                Ok(other) => panic!("a moved entry was read: {other:?}"),
                Err(e) => break e,
            }
        };
        assert_eq!(err, TransferError::EntrySealBroken { entry: at });
        assert_eq!(
            import_into(&keys, &agreement, bad, &ImportSettings::default()).err(),
            Some(TransferError::EntrySealBroken { entry: at })
        );
        // Without the key, the entries digest in the signed trailer no longer matches.
        assert!(matches!(
            verify_package(bad.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN),
            Err(TransferError::MalformedPackage { ref entry, .. }) if entry == "trailer"
        ));
    }
    // An entry record shorter than a sealed entry can be is refused by its framing.
    let mut short = head.to_vec();
    short.push(ENTRY_TAG);
    short.extend_from_slice(&27u32.to_be_bytes());
    short.extend_from_slice(&[0u8; 27]);
    let mut reader = PackageReader::open(short.as_slice(), DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert!(matches!(
        reader.next_record(),
        Err(TransferError::MalformedPackage { offset, .. }) if offset == HEADER_LEN as u64
    ));
}

#[test]
fn format_1_is_refused_with_the_version_named() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let store = seller_store(&keys.seller_ring, 1);
    let (mut bytes, _, _) = make_package(&keys, &agreement, &store);
    assert_eq!(bytes[8], 2);
    bytes[8] = 1;
    assert_eq!(
        verify_package(bytes.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN).err(),
        Some(TransferError::UnsupportedPackageVersion { version: 1 })
    );
    assert_eq!(
        import_into(&keys, &agreement, &bytes, &ImportSettings::default()).err(),
        Some(TransferError::UnsupportedPackageVersion { version: 1 })
    );
}
