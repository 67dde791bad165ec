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
}
