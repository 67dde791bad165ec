//! The one error type of custodia-model: every variant names the field that failed, never the value.

use std::fmt;

use crate::input::InputProblem;

/// Why a value could not become a model type. Messages — `Display` and `Debug` alike, since both reach
/// logs — name the field and what was expected; they never repeat the value given, not even a value
/// that was meant to be a code (a phone number typed into a category field is still a phone number).
/// Masked fragments (`138****5678`) appear where the mask is the display form of the field. The values
/// stay in the variants' fields for the program that matches on them.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// An id was not a UUID, or was the nil UUID.
    #[error("{field}: not a valid id ({} characters)", value.chars().count())]
    InvalidId {
        /// The field that held the id.
        field: &'static str,
        /// The text that failed to parse.
        value: String,
    },
    /// A data category code or tag is not one custodia knows.
    #[error("unknown data category ({} characters)", value.chars().count())]
    UnknownCategory {
        /// The code or tag given.
        value: String,
    },
    /// A custom purpose code is malformed or shadows a built-in purpose.
    #[error("invalid purpose code ({} characters): use 1-64 of a-z, 0-9, _ and not a built-in name", value.chars().count())]
    InvalidPurpose {
        /// The code given.
        value: String,
    },
    /// Not an assigned ISO 3166-1 alpha-2 code.
    #[error("not an ISO 3166-1 alpha-2 country code ({} characters)", value.chars().count())]
    InvalidCountryCode {
        /// The code given.
        value: String,
    },
    /// A value has the wrong number of characters (or digits) for its format.
    #[error("{field}: expected {expected}, got {actual} characters")]
    InvalidLength {
        /// The field that held the value.
        field: &'static str,
        /// The length the format demands, in words (for example `"18"` or `"13 to 19 digits"`).
        expected: &'static str,
        /// The length found.
        actual: usize,
    },
    /// A character is not allowed at its position. Only the 1-based position is reported, never the value.
    #[error("{field}: character at position {position} is not allowed ({expected})")]
    InvalidCharacter {
        /// The field that held the value.
        field: &'static str,
        /// The 1-based position of the first offending character.
        position: usize,
        /// What the format allows at that position.
        expected: &'static str,
    },
    /// The check character does not match the rest of the value (GB 11643, GB 32100, Luhn).
    #[error("{field}: check character does not match ({masked})")]
    ChecksumMismatch {
        /// The field that held the value.
        field: &'static str,
        /// The value with most characters masked, enough to find the record, not to learn the number.
        masked: String,
    },
    /// A date embedded in a value (the birth date of a resident identity number) is not a real date.
    #[error("{field}: embedded date is not a valid calendar date")]
    InvalidEmbeddedDate {
        /// The field that held the value.
        field: &'static str,
    },
    /// Two fields of one record contradict each other (for example the birth date embedded in a resident
    /// identity number and the recorded birth date).
    #[error("{field}: inconsistent with {other}")]
    Inconsistent {
        /// The field that was checked.
        field: &'static str,
        /// The field it contradicts.
        other: &'static str,
    },
    /// A value does not have the format its field requires (phone, e-mail, name, currency, ...).
    #[error("{field}: not a valid {expected} ({masked})")]
    InvalidFormat {
        /// The field that held the value.
        field: &'static str,
        /// The format expected, in words.
        expected: &'static str,
        /// The value with most characters masked.
        masked: String,
    },
    /// A required text field is empty or only whitespace.
    #[error("{field}: must not be empty")]
    Empty {
        /// The field that was empty.
        field: &'static str,
    },
    /// Two dates are in the wrong order (an end before its start, a claim before its incident).
    #[error("{field}: {later} is before {earlier}")]
    DateOrder {
        /// The field whose dates are out of order.
        field: &'static str,
        /// The date that should come first.
        earlier: chrono::NaiveDate,
        /// The date that should come later but does not.
        later: chrono::NaiveDate,
    },
    /// A record refers to another record that it does not hold (a claim on a policy the customer lacks).
    #[error("{field}: refers to unknown {id}")]
    DanglingReference {
        /// The field holding the reference.
        field: &'static str,
        /// The id that could not be found.
        id: String,
    },
    /// Two entries of one record share an id that must be unique (two policies with one policy id).
    #[error("{field}: duplicate id {id}")]
    Duplicate {
        /// The field holding the ids.
        field: &'static str,
        /// The repeated id.
        id: String,
    },
    /// A number is out of the range its field allows (a share above 100 %, a zero interval).
    #[error("{field}: out of range ({allowed})")]
    OutOfRange {
        /// The field that held the number.
        field: &'static str,
        /// The range allowed, in words.
        allowed: &'static str,
    },
    /// Bytes from outside ended before a field of their format (see [`crate::ByteReader`]).
    #[error("{what}: truncated at {field} (byte {offset})")]
    Truncated {
        /// The format being decoded.
        what: &'static str,
        /// The field that was cut short.
        field: &'static str,
        /// The offset where the field started.
        offset: usize,
    },
    /// Bytes from outside go on after their format ends.
    #[error("{what}: trailing bytes after byte {offset}")]
    TrailingBytes {
        /// The format being decoded.
        what: &'static str,
        /// Where the format ended.
        offset: usize,
    },
    /// A length field of bytes from outside exceeds what the format allows; nothing was read or allocated.
    #[error("{what}: {field} longer than the limit of {limit} bytes")]
    TooLong {
        /// The format being decoded.
        what: &'static str,
        /// The length-prefixed field.
        field: &'static str,
        /// The largest length accepted.
        limit: u64,
    },
    /// An update changed nothing, so it would make a version with no reason to exist.
    #[error("{field}: update changes no field")]
    NoChange {
        /// The record that was updated.
        field: &'static str,
    },
    /// An update is not the direct successor of the current version (wrong customer, earlier time or a
    /// version number that skips).
    #[error("{field}: update does not follow version {current}")]
    VersionConflict {
        /// The record that was updated.
        field: &'static str,
        /// The current version number.
        current: u32,
    },
    /// Deserializing an input failed at `path` ([`crate::from_json`]): the path and what was wrong,
    /// never serde's own message, which quotes the offending value.
    #[error("{path}: {problem} (line {line}, column {column})")]
    Input {
        /// Where in the input, as field names and indices from the top (`fields.policies[0].term_end`);
        /// a key that is not a plain identifier shows as `?`.
        path: String,
        /// What was wrong there.
        problem: InputProblem,
        /// The input's line (1-based; 0 when the format has none).
        line: usize,
        /// The column in that line.
        column: usize,
    },
    /// A date is outside the days a working-day calendar knows: whether it is a working day is not known,
    /// and custodia never guesses (Civil Code Art 203 needs the real calendar).
    #[error("{calendar}: {date} is outside the calendar ({first} to {last})")]
    OutsideCalendar {
        /// The calendar's name.
        calendar: String,
        /// The date asked about.
        date: chrono::NaiveDate,
        /// The calendar's first day.
        first: chrono::NaiveDate,
        /// The calendar's last day.
        last: chrono::NaiveDate,
    },
}

impl ModelError {
    fn variant(&self) -> &'static str {
        match self {
            ModelError::InvalidId { .. } => "InvalidId",
            ModelError::UnknownCategory { .. } => "UnknownCategory",
            ModelError::InvalidPurpose { .. } => "InvalidPurpose",
            ModelError::InvalidCountryCode { .. } => "InvalidCountryCode",
            ModelError::InvalidLength { .. } => "InvalidLength",
            ModelError::InvalidCharacter { .. } => "InvalidCharacter",
            ModelError::ChecksumMismatch { .. } => "ChecksumMismatch",
            ModelError::InvalidEmbeddedDate { .. } => "InvalidEmbeddedDate",
            ModelError::Inconsistent { .. } => "Inconsistent",
            ModelError::InvalidFormat { .. } => "InvalidFormat",
            ModelError::Empty { .. } => "Empty",
            ModelError::DateOrder { .. } => "DateOrder",
            ModelError::DanglingReference { .. } => "DanglingReference",
            ModelError::Duplicate { .. } => "Duplicate",
            ModelError::OutOfRange { .. } => "OutOfRange",
            ModelError::Truncated { .. } => "Truncated",
            ModelError::TrailingBytes { .. } => "TrailingBytes",
            ModelError::TooLong { .. } => "TooLong",
            ModelError::NoChange { .. } => "NoChange",
            ModelError::VersionConflict { .. } => "VersionConflict",
            ModelError::Input { .. } => "Input",
            ModelError::OutsideCalendar { .. } => "OutsideCalendar",
        }
    }
}

/// Not derived: a derived `Debug` would print the values some variants keep (an id that did not parse
/// may be a phone number typed into the wrong field). It shows the variant and the message instead,
/// which are written to name fields only.
impl fmt::Debug for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelError::{}({:?})", self.variant(), self.to_string())
    }
}
