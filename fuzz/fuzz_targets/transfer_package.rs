//! The transfer package as the buyer receives it: the streaming reader record by record, then a full
//! import for the fixture agreement into fresh staging stores. Never a panic, and the import succeeds
//! only for a package the seller wrote byte for byte: the seeds are the only valid packages this fuzzer
//! can reach (it cannot sign), so an accepted input that is not one of them is a finding — some byte is
//! not covered by the signature and manifest (for example a field parsed leniently and re-encoded).
#![no_main]

#[path = "../src/fixtures.rs"]
mod fixtures;

use custodia_crypto::InMemoryKeyStore;
use custodia_transfer::package::{PackageReader, Record};
use custodia_transfer::{Buyer, ImportSettings, MemorySections, import};
use libfuzzer_sys::fuzz_target;

/// The packages `seeds` wrote with the fixture keys (three customers, one, none).
const SEEDS: [&[u8]; 3] = [
    include_bytes!("../corpus/transfer_package/seed-00"),
    include_bytes!("../corpus/transfer_package/seed-01"),
    include_bytes!("../corpus/transfer_package/seed-02"),
];

fuzz_target!(|data: &[u8]| {
    if let Ok(mut reader) = PackageReader::open(data, 64 * 1024) {
        for _ in 0..1000 {
            match reader.next_record() {
                Ok(Record::Entry(_)) => {}
                Ok(Record::Trailer { .. }) => {
                    assert!(reader.next_record().is_err(), "nothing after the trailer");
                    break;
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    break;
                }
            }
        }
    }
    let keys = InMemoryKeyStore::new();
    let mut sections = MemorySections::new();
    let settings = ImportSettings {
        max_entry_len: 64 * 1024,
        ..ImportSettings::default()
    };
    let outcome = import(
        data,
        &fixtures::AGREEMENT,
        Buyer {
            recipient: &fixtures::RECIPIENT,
            keyring: &fixtures::BUYER_RING,
            keys: &keys,
            sections: &mut sections,
        },
        &settings,
        &mut |_| {},
    );
    if let Ok(outcome) = outcome {
        assert_eq!(outcome.sections as usize, sections.len());
        assert!(
            SEEDS.contains(&data),
            "a package that the seller did not write was imported ({} bytes)",
            data.len()
        );
    }
});
