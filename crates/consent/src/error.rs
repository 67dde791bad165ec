//! The one error type of custodia-consent: every variant names the field, id or ledger index that failed.

/// Why a notice, event, policy, payload or query was refused. Bad input is reported, never fixed silently
/// and never a panic. Receipt verification failures are opaque on purpose: they say *that* a receipt does
/// not verify, not which byte was wrong, so a forger learns nothing from the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// A set that must not be empty was empty (a scope with no purpose, a notice with no category, ...).
    #[error("{field}: must not be empty")]
    Empty {
        /// The field that was empty.
        field: &'static str,
    },
    /// An id, actor or other model value was refused by custodia-model (a nil UUID, a blank actor id, ...);
    /// the model's error names the field.
    #[error(transparent)]
    Model(#[from] custodia_model::ModelError),
    /// A text field was blank or too long.
    #[error("{field}: must be 1 to {max} characters, not blank")]
    InvalidText {
        /// The field that was wrong.
        field: &'static str,
        /// The longest text accepted.
        max: usize,
    },
    /// Mainland China was named as a cross-border destination; PIPL Art 38 destinations are outside it.
    #[error("{field}: {code} is not a cross-border destination (PIPL Art 38)")]
    DomesticDestination {
        /// The field that named it.
        field: &'static str,
        /// The code given.
        code: String,
    },
    /// Two timestamps are in an impossible order (an expiry at or before the effective time, ...).
    #[error("{field}: {detail}")]
    InvalidTime {
        /// The field that was wrong.
        field: &'static str,
        /// What is wrong with it.
        detail: &'static str,
    },
    /// A notice version number was zero.
    #[error("notice {notice}: version must be 1 or more")]
    InvalidNoticeVersion {
        /// The notice id.
        notice: String,
    },
    /// Two notices that are not versions of the same notice, or not in version order, were compared.
    #[error("notice {notice}: cannot compare version {older} with version {newer}")]
    NoticeMismatch {
        /// The notice id of the newer notice.
        notice: String,
        /// The version given as older.
        older: u32,
        /// The version given as newer.
        newer: u32,
    },
    /// A recipient was listed twice in a notice.
    #[error("notice {notice}: recipient {recipient} listed twice")]
    DuplicateRecipient {
        /// The notice id.
        notice: String,
        /// The recipient listed twice.
        recipient: String,
    },
    /// A notice lists the controller itself as a recipient; the controller is always disclosed.
    #[error("notice {notice}: the controller is not a recipient of its own notice")]
    ControllerAsRecipient {
        /// The notice id.
        notice: String,
    },
    /// A basis policy names a purpose twice.
    #[error("basis policy {policy}: purpose {purpose} has two rules")]
    DuplicatePurpose {
        /// The policy name.
        policy: String,
        /// The purpose code.
        purpose: String,
    },
    /// A guardian age outside 1..=25 years was configured.
    #[error("basis policy {policy}: guardian age {years} is outside 1..=25")]
    InvalidGuardianAge {
        /// The policy name.
        policy: String,
        /// The age given.
        years: u32,
    },
    /// The bytes stored at a ledger index are not a consent record of a format this crate reads.
    #[error("ledger entry {index}: not a consent record: {reason}")]
    Payload {
        /// The ledger index of the entry.
        index: u64,
        /// What the decoder found wrong (never the payload itself).
        reason: String,
    },
    /// A consent record carries a format version this crate does not read.
    #[error("ledger entry {index}: unsupported consent record format {version}")]
    UnsupportedFormat {
        /// The ledger index of the entry.
        index: u64,
        /// The format version found.
        version: u32,
    },
    /// The index holds more distinct values of one kind than its compact encoding allows.
    #[error("index capacity exceeded: more than {limit} distinct {what}")]
    Capacity {
        /// What ran out (purposes, categories, ...).
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Entries must be indexed in ledger order, each once; this one is at or before the last indexed.
    #[error("ledger entry {index}: already indexed or out of order (last indexed {last})")]
    IndexOrder {
        /// The ledger index offered.
        index: u64,
        /// The last ledger index indexed.
        last: u64,
    },
    /// A ledger index that the query needs is not in the consent index, or holds a different kind of record.
    #[error("ledger entry {index}: {expected} not found in the consent index")]
    NotIndexed {
        /// The ledger index asked for.
        index: u64,
        /// What kind of record was expected there.
        expected: &'static str,
    },
    /// A notice with the same id and version was recorded twice with different content.
    #[error("notice {notice} version {version}: recorded twice with different content")]
    ConflictingNotice {
        /// The notice id.
        notice: String,
        /// The version.
        version: u32,
    },
    /// Serializing a record failed (this does not happen for the types of this crate; kept total).
    #[error("could not encode {what}: {reason}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// The serializer's message.
        reason: String,
    },
    /// The ledger refused an operation or its store failed.
    #[error("the consent ledger failed")]
    Ledger(#[from] custodia_ledger::LedgerError),
    /// A receipt did not verify: its record, proof, checkpoint or signature does not match. Opaque on purpose.
    #[error("consent receipt does not verify")]
    ReceiptInvalid,
}
