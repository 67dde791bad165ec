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
    /// A basis policy mixes the regimes: PIPL rules in a GDPR policy, or GDPR terms in a PIPL one.
    #[error("basis policy {policy}: {detail}")]
    PolicyShape {
        /// The policy name.
        policy: String,
        /// What is wrong with its shape.
        detail: &'static str,
    },
    /// A GDPR rule rests a legal obligation, a public task or an Art 9(2)(g) condition on law that is not
    /// Union or member-state law (GDPR Art 6(3)): a Chinese duty is not a GDPR legal obligation.
    #[error(
        "basis policy {policy}: purpose {purpose} rests on law that is not Union or member-state law (GDPR Art 6(3))"
    )]
    UnfoundedGdprGround {
        /// The policy name.
        policy: String,
        /// The purpose code.
        purpose: String,
    },
    /// A transfer ground was recorded for a destination inside the EEA, where the GDPR needs none.
    #[error("basis policy {policy}: {destination} is inside the EEA; no Chapter V ground applies")]
    TransferInsideEea {
        /// The policy name.
        policy: String,
        /// The destination code.
        destination: String,
    },
    /// A destination has two transfer grounds.
    #[error("basis policy {policy}: destination {destination} has two transfer grounds")]
    DuplicateDestination {
        /// The policy name.
        policy: String,
        /// The destination code.
        destination: String,
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
    /// A propagation step does not belong to the task or the ledger it is offered to: another customer,
    /// withdrawal or recipient, or another kind of step.
    #[error("propagation of ledger entry {ending} to {recipient}: the step does not match the task")]
    PropagationMismatch {
        /// The ledger index of the withdrawal, refusal or objection.
        ending: u64,
        /// The recipient.
        recipient: String,
    },
    /// A propagation step is out of order on the ledger: a confirmation before the recipient was told, a
    /// second telling, or a step for an entry that is not a withdrawal, refusal or objection of the customer,
    /// or for a recipient that did not receive the data.
    #[error("propagation of ledger entry {ending} to {recipient}: {detail}")]
    PropagationOrder {
        /// The ledger index of the withdrawal, refusal or objection.
        ending: u64,
        /// The recipient.
        recipient: String,
        /// What is out of order.
        detail: &'static str,
    },
    /// The ledger refused an operation or its store failed.
    #[error("the consent ledger failed")]
    Ledger(#[from] custodia_ledger::LedgerError),
    /// A receipt did not verify: its record, proof, checkpoint or signature does not match. Opaque on purpose.
    #[error("consent receipt does not verify")]
    ReceiptInvalid,
}
