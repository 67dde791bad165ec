//! The ledger payload of a consent record: a documented, versioned, canonical JSON encoding.
//!
//! The byte-level specification is `spec/consent-records.md` at the repository root.
//!
//! Format 3 is the UTF-8 JSON object that `serde_json` writes for
//! `{"schema":"custodia-consent","format":3,"record":{"notice":{…}}}`, `…"record":{"event":{…}}}` or
//! `…"record":{"propagation":{…}}}`, fields in declaration order, sets in sorted order, no whitespace. It
//! always starts with [`PAYLOAD_PREFIX`], so a shared ledger can hold other crates' entries beside ours. The
//! bytes are stored once and never re-serialized: a receipt proves the stored bytes, and decoding is the only
//! thing a reader does to them.
//!
//! Format 3 added a notice's `processing` (controller id and address, the processing's jurisdiction, storage
//! locations, the withdrawal method: ISO/IEC TS 27560 elements a receipt must carry), required in every
//! format-3 notice. Format 2 added a notice's `recorded_at` (notices are bitemporal), the `provided` event
//! kind and the `propagation` record. Payloads of formats 1 and 2, written before, still decode: their
//! notices have no `processing`; a format-1 notice was known from its publication, so its `recorded_at` is
//! its `published_at`; a payload holding anything a later format added is refused.

use serde::{Deserialize, Serialize};

use custodia_model::without_values;

use crate::error::ConsentError;
use crate::event::{ConsentEvent, EventKind};
use crate::notice::Notice;
use crate::propagation::PropagationRecord;

/// The format version written by this crate.
pub const FORMAT_VERSION: u32 = 3;

/// The oldest format version this crate still reads.
const OLDEST_FORMAT: u32 = 1;

/// Every consent payload starts with these bytes.
pub const PAYLOAD_PREFIX: &[u8] = br#"{"schema":"custodia-consent","#;

const SCHEMA: &str = "custodia-consent";

/// What a consent ledger entry holds: a notice version, or an event about one customer. Neither holds a
/// customer's name, number or address: events carry pseudonymous ids, categories, purposes and digests;
/// notices carry the controller's and recipients' organizational details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentRecord {
    /// A published notice version.
    Notice(Notice),
    /// A consent event.
    Event(ConsentEvent),
    /// A step of passing a withdrawal, refusal or objection on to a recipient: told, or confirmed
    /// (PIPL Arts 15, 23; GDPR Arts 7(3), 17(2), 19).
    Propagation(PropagationRecord),
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema: &'static str,
    format: u32,
    record: &'a ConsentRecord,
}

/// The envelope with its record decoded in the same pass: the fast path of [`ConsentRecord::decode`] for
/// the formats whose records decode as they are (2 and later).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeTyped {
    schema: String,
    format: u32,
    record: ConsentRecord,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn {
    schema: String,
    format: u32,
    record: serde_json::Value,
}

impl ConsentRecord {
    /// The payload bytes, in format [`FORMAT_VERSION`], to append to the ledger. A notice without its
    /// processing details ([`crate::ProcessingDetails`]) is refused: format 3 requires them.
    pub fn encode(&self) -> Result<Vec<u8>, ConsentError> {
        if let ConsentRecord::Notice(n) = self
            && n.fields().processing.is_none()
        {
            return Err(ConsentError::Empty {
                field: "notice.processing",
            });
        }
        serde_json::to_vec(&EnvelopeOut {
            schema: SCHEMA,
            format: FORMAT_VERSION,
            record: self,
        })
        .map_err(|e| ConsentError::Encode {
            what: "consent record",
            reason: e.to_string(),
        })
    }

    /// Decodes the payload stored at ledger index `index`. Total: any bytes give a record or a typed error
    /// naming the index, and every invariant of the types is checked again on the way in.
    pub fn decode(index: u64, bytes: &[u8]) -> Result<Self, ConsentError> {
        // The record straight from the bytes when that succeeds for a format-2-or-later envelope: every
        // consent view, plan and gated read decodes its customers' entries, and building a
        // `serde_json::Value` first was most of that cost. Anything else (format 1, whose notices are upgraded,
        // and every payload the fast path refuses) takes the path below, which decides and names the error;
        // a payload the fast path accepts decodes to the same record on both.
        if let Ok(typed) = serde_json::from_slice::<EnvelopeTyped>(bytes)
            && typed.schema == SCHEMA
            && typed.format >= 2
            && typed.format <= FORMAT_VERSION
        {
            return Self::checked(index, typed.format, typed.record);
        }
        Self::decode_through_value(index, bytes)
    }

    /// The general path of [`ConsentRecord::decode`]: the envelope first, its record as a
    /// `serde_json::Value` (upgraded when it is format 1), then the record.
    fn decode_through_value(index: u64, bytes: &[u8]) -> Result<Self, ConsentError> {
        let payload = |e: serde_json::Error| ConsentError::Payload {
            index,
            reason: without_values(&e.to_string()),
        };
        let envelope: EnvelopeIn = serde_json::from_slice(bytes).map_err(payload)?;
        if envelope.schema != SCHEMA {
            return Err(ConsentError::Payload {
                index,
                // Never the value found: an error outlives the entry, which may hold anything.
                reason: format!("schema is not {SCHEMA:?}"),
            });
        }
        if !(OLDEST_FORMAT..=FORMAT_VERSION).contains(&envelope.format) {
            return Err(ConsentError::UnsupportedFormat {
                index,
                version: envelope.format,
            });
        }
        let mut value = envelope.record;
        if envelope.format == 1 {
            upgrade_format_1(index, &mut value)?;
        }
        let record: ConsentRecord = serde_json::from_value(value).map_err(payload)?;
        Self::checked(index, envelope.format, record)
    }

    /// `record`, decoded from a payload of `format`, if that format can hold it.
    fn checked(index: u64, format: u32, record: ConsentRecord) -> Result<Self, ConsentError> {
        if record.format_introduced() > format {
            return Err(ConsentError::Payload {
                index,
                reason: format!("not a format {format} record"),
            });
        }
        if let ConsentRecord::Notice(n) = &record
            && format >= 3
            && n.fields().processing.is_none()
        {
            return Err(ConsentError::Payload {
                index,
                reason: "a format 3 notice names its processing details".to_owned(),
            });
        }
        Ok(record)
    }

    /// The first format version that can hold this record.
    fn format_introduced(&self) -> u32 {
        match self {
            ConsentRecord::Notice(n) if n.fields().processing.is_some() => 3,
            ConsentRecord::Notice(_) => 1,
            ConsentRecord::Event(e) if e.kind() == EventKind::Provided => 2,
            ConsentRecord::Event(_) => 1,
            ConsentRecord::Propagation(_) => 2,
        }
    }

    /// Whether `bytes` claim to be a consent payload (start with [`PAYLOAD_PREFIX`]). Other crates' entries
    /// in a shared ledger, and redacted entries, do not; a rebuild skips them.
    pub fn is_consent_payload(bytes: &[u8]) -> bool {
        bytes.starts_with(PAYLOAD_PREFIX)
    }
}

/// A format-1 notice has no `recorded_at`: it was known from its publication, so `recorded_at` becomes its
/// `published_at`. A format-1 notice that names a `recorded_at` is not format 1.
fn upgrade_format_1(index: u64, record: &mut serde_json::Value) -> Result<(), ConsentError> {
    let Some(notice) = record
        .get_mut("notice")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return Ok(());
    };
    if notice.contains_key("recorded_at") {
        return Err(ConsentError::Payload {
            index,
            reason: "recorded_at is not a format 1 notice field".to_owned(),
        });
    }
    if let Some(published) = notice.get("published_at").cloned() {
        notice.insert("recorded_at".to_owned(), published);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn garbage_is_a_typed_error_naming_the_index() {
        for bad in [
            &b""[..],
            b"\xff\xfe",
            b"{}",
            br#"{"schema":"custodia-consent","format":1,"record":{"event":{}}}"#,
            br#"{"schema":"other","format":1,"record":null}"#,
        ] {
            match ConsentRecord::decode(42, bad) {
                Err(ConsentError::Payload { index: 42, .. }) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            ConsentRecord::decode(7, br#"{"schema":"custodia-consent","format":9,"record":null}"#),
            Err(ConsentError::UnsupportedFormat { index: 7, version: 9 })
        );
        assert_eq!(
            ConsentRecord::decode(7, br#"{"schema":"custodia-consent","format":0,"record":null}"#),
            Err(ConsentError::UnsupportedFormat { index: 7, version: 0 })
        );
    }

    #[test]
    fn errors_do_not_echo_payload_values() {
        let bad = br#"{"schema":"custodia-consent","format":1,"record":{"event":{"id":"13800138000"}}}"#;
        let err = ConsentRecord::decode(1, bad).unwrap_err().to_string();
        assert!(!err.contains("13800138000"), "{err}");
        assert_eq!(without_values(r#"a "secret" b"#), "a \"…\" b");
        assert_eq!(
            without_values("unknown field `secret`, expected one of `schema`, `format`"),
            "unknown field `…`, expected one of `schema`, `format`"
        );
        assert_eq!(
            without_values("missing field `notice` at line 1"),
            "missing field `notice` at line 1"
        );
    }

    /// The published vectors' payloads (spec/vectors/consent: every record kind, formats 1 to 3).
    fn vector_payloads() -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/vectors/consent"));
        let mut payloads: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with("payload-") || name.starts_with("notice-format-")
            })
            .map(|p| std::fs::read(p).unwrap())
            .map(|bytes| bytes.strip_suffix(b"\n").map(<[u8]>::to_vec).unwrap_or(bytes))
            .collect();
        payloads.sort();
        assert!(payloads.len() >= 10, "the vectors are there");
        payloads
    }

    #[test]
    fn the_fast_path_decodes_every_vector_as_the_general_path_does() {
        for bytes in vector_payloads() {
            let fast = ConsentRecord::decode(5, &bytes).unwrap();
            assert_eq!(ConsentRecord::decode_through_value(5, &bytes).unwrap(), fast);
            // Re-encoded in format 3 (a notice of format 1 or 2 without processing details cannot be).
            if let Ok(again) = fast.encode() {
                assert_eq!(ConsentRecord::decode(5, &again).unwrap(), fast);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Any single-byte change of a vector: the decoder answers as the general path does — the same
        /// record, or the same error.
        #[test]
        fn a_changed_vector_decodes_as_the_general_path_decodes_it(
            pick in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let vectors = vector_payloads();
            let mut bytes = pick.get(&vectors).clone();
            let i = at.index(bytes.len());
            bytes[i] = byte;
            prop_assert_eq!(ConsentRecord::decode(9, &bytes), ConsentRecord::decode_through_value(9, &bytes));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut with_prefix = PAYLOAD_PREFIX.to_vec();
            with_prefix.extend_from_slice(&bytes);
            for b in [&bytes, &with_prefix] {
                if let Err(e) = ConsentRecord::decode(3, b) {
                    let named = matches!(
                        e,
                        ConsentError::Payload { index: 3, .. } | ConsentError::UnsupportedFormat { index: 3, .. }
                    );
                    prop_assert!(named);
                }
            }
        }
    }
}
