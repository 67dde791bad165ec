//! The crate's one error type: every failure of agreement, plan, package, import, receipt and disposition.

use custodia_crypto::{BackendFailure, CryptoError};
use custodia_model::{CustomerId, DataCategory, TransferId};

/// Everything that can go wrong in a transfer. Each variant names the field, entry or offset that failed;
/// cryptographic failures are opaque on purpose ([`TransferError::Crypto`] carries the crypto crate's
/// opaque error, never a reason why a key did not open).
///
/// A variant that wraps another crate's error keeps it as its `source()` and does not repeat its message,
/// so a chain reporter prints every cause once. A storage failure ([`TransferError::Storage`]) carries the
/// backend's own error: downcast it (to `custodia_store::StoreError` for custodia's backends) to tell a
/// busy database from a corrupt one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A field of a party or an agreement is missing, too long or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field, such as `agreement.impact_assessment`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Stored agreement bytes are not in the canonical form this version writes, so their signatures could
    /// not be trusted to mean what a re-encoding means ("sign what you store").
    #[error("agreement bytes are not canonical (format {format})")]
    NonCanonicalAgreement {
        /// The format label found.
        format: String,
    },
    /// A signing key does not belong to the party it signs for.
    #[error("the {role} signing key does not match the agreement's {role} key")]
    WrongSigner {
        /// `seller` or `buyer`.
        role: &'static str,
    },
    /// A signature over the agreement, package or receipt does not verify, or is missing.
    #[error("{what} signature is missing or does not verify")]
    BadSignature {
        /// Whose signature over what, such as `agreement buyer`.
        what: &'static str,
    },
    /// The agreed cross-border mechanism is weaker than the CAC 2024 thresholds require (PIPL Art 38).
    #[error(
        "cross-border mechanism {agreed} is weaker than the required {required} for {people_non_sensitive} people's non-sensitive and {people_sensitive} people's sensitive information"
    )]
    CrossBorderMechanismTooWeak {
        /// The mechanism in the agreement.
        agreed: String,
        /// The mechanism the thresholds require.
        required: String,
        /// People whose non-sensitive information would leave, this year including the plan.
        people_non_sensitive: u64,
        /// People whose sensitive information would leave, this year including the plan.
        people_sensitive: u64,
    },
    /// The year's cross-border counts the planner needs are missing, or are for another year than the plan's
    /// (CAC 2024: counted from 1 January of the plan's year).
    #[error("cross-border counts: {reason}")]
    CrossBorderYear {
        /// What is wrong.
        reason: String,
    },
    /// The deal moves no personal information (a share acquisition: the processor does not change), so
    /// there is nothing to plan or package.
    #[error("a {deal} moves no personal information: nothing to plan")]
    NothingMoves {
        /// The deal kind, such as `share acquisition`.
        deal: &'static str,
    },
    /// An answer to this transfer's notice names a recipient that is neither the seller nor this buyer, so
    /// it cannot be attributed (see `custodia_transfer::responses`).
    #[error("answer {event} cannot be attributed: {reason}")]
    UnattributableAnswer {
        /// The consent event's id.
        event: String,
        /// Why.
        reason: &'static str,
    },
    /// The planner's facts about a customer contradict each other (a sensitive category not held, another
    /// customer's retention facts).
    #[error("customer {customer}: facts disagree on {field}")]
    FactsMismatch {
        /// The customer.
        customer: CustomerId,
        /// What disagrees.
        field: &'static str,
    },
    /// A deadline depends on a day the working-day calendar does not know (Civil Code Art 203).
    #[error("{what}: the working-day calendar does not reach the deadline")]
    Calendar {
        /// What was being computed.
        what: &'static str,
        /// The calendar's error.
        #[source]
        source: custodia_model::ModelError,
    },
    /// The seller processes the personal information of 10 million people or more and the disposal-plan
    /// report to the provincial authority is not recorded (NDSR Arts 28, 32): execution is refused.
    #[error(
        "the NDSR Art 32 disposal-plan report is not recorded ({people} people processed, threshold {threshold})"
    )]
    DisposalPlanReportMissing {
        /// People whose information the seller processes.
        people: u64,
        /// The threshold (NDSR Art 28: 10 million).
        threshold: u64,
    },
    /// A package or one of its records is malformed; decoding stopped at `offset`.
    #[error("malformed package at byte {offset} ({entry}): {reason}")]
    MalformedPackage {
        /// Byte offset in the package where the bad record starts.
        offset: u64,
        /// Which record: `header`, `entry 17`, `trailer`.
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// The package was written with a format version this build does not read.
    #[error("unsupported package format version {version}")]
    UnsupportedPackageVersion {
        /// The version byte found.
        version: u8,
    },
    /// The package belongs to another transfer or another agreement than the one given to import it.
    #[error("package is bound to another agreement: {what}")]
    AgreementMismatch {
        /// What differed: `transfer id`, `agreement digest`, `seller key`, `buyer key`.
        what: &'static str,
    },
    /// The package's recomputed manifest root differs from the signed one.
    #[error("manifest root mismatch: the package's entries do not match its signed root")]
    RootMismatch,
    /// One customer's entry failed: its key did not open, a section did not open, or it names another
    /// customer. The transfer is refused as a whole.
    #[error("entry {entry} (customer {customer}) failed: {reason}")]
    EntryFailed {
        /// Position of the entry in the package, from 0.
        entry: u64,
        /// The customer the entry is for.
        customer: CustomerId,
        /// What failed.
        reason: String,
    },
    /// A sealed entry (package format 2) did not open with the entry key derived from the transfer key:
    /// a wrong key, an entry moved to another place, or any changed byte. Opaque on purpose: it says
    /// which entry, never why.
    #[error("entry {entry} does not open with the transfer key")]
    EntrySealBroken {
        /// Position of the entry in the package, from 0.
        entry: u64,
    },
    /// A category section of an entry failed to open with the transferred key.
    #[error("entry {entry} (customer {customer}) section {category} does not open")]
    SectionFailed {
        /// Position of the entry in the package, from 0.
        entry: u64,
        /// The customer.
        customer: CustomerId,
        /// The category whose section failed.
        category: DataCategory,
    },
    /// The buyer's store already holds a customer of the package: import needs a fresh staging store so
    /// that a failed import can be thrown away whole.
    #[error("staging store is not fresh: it already holds customer {customer}")]
    StagingNotFresh {
        /// The customer found.
        customer: CustomerId,
    },
    /// A cryptographic operation failed. Opaque on purpose.
    #[error("cryptographic operation failed in {context}")]
    Crypto {
        /// What was being done.
        context: &'static str,
        /// The crypto crate's error.
        source: CryptoError,
    },
    /// Reading from or writing to the package stream failed.
    #[error("package i/o failed while {context}: {message}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The I/O error's message.
        message: String,
    },
    /// A storage backend behind the key store or section vault seam failed: the backend's own error is the
    /// source (for custodia-store, a `custodia_store::StoreError`).
    #[error("storage failed while {context}")]
    Storage {
        /// What was being done.
        context: &'static str,
        /// The backend's error.
        #[source]
        source: BackendFailure,
    },
    /// A value is too long for the length field the package format gives it. Nothing is written with a
    /// clipped length: a package whose lengths lie would be corrupt but signed.
    #[error("{field} is {bytes} bytes; the package format allows at most {limit}")]
    TooLongToEncode {
        /// What was being encoded, such as `section` or `transfer-wrapped key`.
        field: &'static str,
        /// Its length, in bytes.
        bytes: u64,
        /// The largest length the format's field can carry.
        limit: u64,
    },
    /// The consent ledger could not be read or written.
    #[error("consent ledger failed")]
    Consent(#[from] custodia_consent::ConsentError),
    /// The transfer ledger could not be read or written.
    #[error("ledger failed")]
    Ledger(#[from] custodia_ledger::LedgerError),
    /// A retention decision or destruction failed.
    #[error("retention failed")]
    Retention(#[from] custodia_retention::RetentionError),
    /// A model value (an id, a code) was invalid.
    #[error("model value invalid")]
    Model(#[from] custodia_model::ModelError),
    /// A receipt does not match the package the seller sent.
    #[error("receipt does not match the package: {what}")]
    ReceiptMismatch {
        /// What differed.
        what: &'static str,
    },
    /// A customer proof does not verify.
    #[error("customer proof for {customer} does not verify: {reason}")]
    ProofFailed {
        /// The customer.
        customer: CustomerId,
        /// Why.
        reason: String,
    },
    /// A report could not be serialized.
    #[error("report serialization failed: {message}")]
    Report {
        /// The serializer's message.
        message: String,
    },
    /// Something was asked of a transfer it does not contain.
    #[error("transfer {transfer} has no {what}")]
    NotInTransfer {
        /// The transfer.
        transfer: TransferId,
        /// What is missing.
        what: String,
    },
}

impl TransferError {
    pub(crate) fn crypto(context: &'static str) -> impl Fn(CryptoError) -> Self {
        move |source| TransferError::Crypto { context, source }
    }

    /// A key store or vault error: a backend failure becomes [`TransferError::Storage`] with the backend's
    /// error as its source; anything else (a destroyed key, a stale version) stays
    /// [`TransferError::Crypto`].
    pub(crate) fn stores(context: &'static str) -> impl Fn(CryptoError) -> Self {
        move |error| match error.backend() {
            Some(source) => TransferError::Storage {
                context,
                source: source.clone(),
            },
            None => TransferError::Crypto {
                context,
                source: error,
            },
        }
    }

    /// `len` as the length prefix type `T` the format gives `field` (whose largest value is `limit`), or
    /// [`TransferError::TooLongToEncode`]: never a clipped length.
    pub(crate) fn length<T: TryFrom<usize>>(field: &'static str, len: usize, limit: u64) -> Result<T, Self> {
        T::try_from(len).map_err(|_| TransferError::TooLongToEncode {
            field,
            bytes: len as u64,
            limit,
        })
    }

    pub(crate) fn io(context: &'static str) -> impl Fn(std::io::Error) -> Self {
        move |e| TransferError::Io {
            context,
            message: e.to_string(),
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        TransferError::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_too_long_for_its_field_is_refused_not_clipped() {
        assert_eq!(TransferError::length::<u8>("section count", 9, 255), Ok(9u8));
        assert_eq!(
            TransferError::length::<u8>("section count", 300, 255),
            Err(TransferError::TooLongToEncode {
                field: "section count",
                bytes: 300,
                limit: 255
            })
        );
        let shown = TransferError::length::<u16>("transfer-wrapped key", 70_000, 65_535)
            .unwrap_err()
            .to_string();
        assert_eq!(
            shown,
            "transfer-wrapped key is 70000 bytes; the package format allows at most 65535"
        );
    }

    #[test]
    fn a_storage_failure_keeps_the_backend_error_as_its_source_and_says_it_once() {
        let backend = std::io::Error::other("database is locked");
        let error = TransferError::stores("storing a section")(CryptoError::vault(backend));
        assert!(matches!(error, TransferError::Storage { .. }));
        assert_eq!(error.to_string(), "storage failed while storing a section");
        let source = std::error::Error::source(&error).unwrap();
        assert_eq!(source.to_string(), "database is locked");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        // A key store error that is not a backend failure stays a crypto error.
        let customer = CustomerId::new_v7();
        assert!(matches!(
            TransferError::stores("loading a key")(CryptoError::KeyDestroyed { customer }),
            TransferError::Crypto { .. }
        ));
    }
}
