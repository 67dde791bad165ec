//! The one error type of custodia-model: every variant names the field or value that failed.

/// Why a value could not become a model type. Messages name the field; they never echo a full
/// identity number, phone or account number, only what is needed to find the mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// An id was not a UUID, or was the nil UUID.
    #[error("{field}: not a valid id: {value:?}")]
    InvalidId {
        /// The field that held the id.
        field: &'static str,
        /// The text that failed to parse.
        value: String,
    },
    /// A data category code or tag is not one custodia knows.
    #[error("unknown data category {value:?}")]
    UnknownCategory {
        /// The code or tag given.
        value: String,
    },
    /// A custom purpose code is malformed or shadows a built-in purpose.
    #[error("invalid purpose code {value:?}: use 1-64 of a-z, 0-9, _ and not a built-in name")]
    InvalidPurpose {
        /// The code given.
        value: String,
    },
    /// Not an assigned ISO 3166-1 alpha-2 code.
    #[error("not an ISO 3166-1 alpha-2 country code: {value:?}")]
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
