//! The one error type of custodia-brokerage: what went wrong, naming the path, customer, case or step, never a personal value.

use std::fmt;

use chrono::NaiveDate;
use custodia_model::{CustomerId, TransferId};
use serde::{Deserialize, Serialize};

/// Which side of a transfer a case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CaseRole {
    /// The seller: notices, responses, the plan, the package, the receipt, the disposition.
    Seller,
    /// The buyer: the import and the receipt.
    Buyer,
}

impl fmt::Display for CaseRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaseRole::Seller => "seller",
            CaseRole::Buyer => "buyer",
        })
    }
}

/// Where a transfer case stands. A seller's case goes `Opened → Notifying → Executed → Packaged →
/// ReceiptVerified → DispositionPlanned → DispositionApproved → Disposed → Closed`; a buyer's case
/// `Opened → Imported → ReceiptSigned`. Each step's call says in which states it runs (see
/// [`crate::SellerCase`] and [`crate::BuyerCase`]); in any other it fails with
/// [`BrokerageError::OutOfOrder`] naming the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CaseState {
    /// Created from the signed agreement; nothing published yet.
    Opened,
    /// Seller: the transfer notices are published; notices are being served and answers recorded.
    Notifying,
    /// Seller: the final plan is fixed (what was still pending is excluded with its reason).
    Executed,
    /// Seller: the package is written.
    Packaged,
    /// Seller: the buyer's signed receipt is verified and on the seller's ledger.
    ReceiptVerified,
    /// Seller: the disposition (what the seller may no longer hold) is planned, waiting for approvals.
    DispositionPlanned,
    /// Seller: two people approved the disposition.
    DispositionApproved,
    /// Seller: the disposition ran; certificates are on the ledger.
    Disposed,
    /// Seller: the report is written; the case is complete.
    Closed,
    /// Buyer: the package is verified and adopted into the buyer's store.
    Imported,
    /// Buyer: the receipt is signed; the case is complete.
    ReceiptSigned,
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaseState::Opened => "opened",
            CaseState::Notifying => "notifying",
            CaseState::Executed => "executed",
            CaseState::Packaged => "packaged",
            CaseState::ReceiptVerified => "receipt verified",
            CaseState::DispositionPlanned => "disposition planned",
            CaseState::DispositionApproved => "disposition approved",
            CaseState::Disposed => "disposed",
            CaseState::Closed => "closed",
            CaseState::Imported => "imported",
            CaseState::ReceiptSigned => "receipt signed",
        })
    }
}

/// Everything that can go wrong in the application layer. Every variant names the path, customer, case,
/// step or field that failed; none carries a personal value or a key byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerageError {
    /// Another process (or another `Brokerage` in this one) has the store open: a second opening of one
    /// SQLite store is refused rather than risk two writers' in-memory views drifting apart.
    #[error("the store {path} is open in another brokerage (lock file {lock})")]
    StoreInUse {
        /// The store's file.
        path: String,
        /// The lock file beside it.
        lock: String,
    },
    /// A file could not be read, written, synced or renamed.
    #[error("{operation} {path} failed: {message}")]
    Io {
        /// The path.
        path: String,
        /// What was being done.
        operation: &'static str,
        /// The operating system's kind of error.
        kind: std::io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// A key file may be read or written by its group or by others (`mode & 0o077 != 0`): refused, since
    /// the root secret in it is every key of the brokerage.
    #[error("key file {path} has mode {mode:o}: it must be readable and writable by its owner only (0600)")]
    KeyFileExposed {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// A key file does not hold a root secret in the expected format.
    #[error("key file {path} is not a custodia root secret: {reason}")]
    KeyFileMalformed {
        /// The key file.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A directory without the settings a store directory has (`StoreDir`): it was never initialized.
    #[error(
        "{path} is not a custodia store directory (no custodia.json); run `custodia --store <dir> init` first"
    )]
    NotAStoreDir {
        /// The directory.
        path: String,
    },
    /// A store directory's settings file does not parse (an unknown member included).
    #[error("{path} is not a custodia settings file")]
    StoreSettingsMalformed {
        /// The settings file.
        path: String,
    },
    /// `StoreDir::create` found a store or its settings already there: one is never overwritten.
    #[error("{path} already holds a store; init never overwrites one")]
    StoreDirInUse {
        /// The directory.
        path: String,
    },
    /// `KeyFile::create` found a file already there: a key is never overwritten.
    #[error("key file {path} already exists; a key file is never overwritten")]
    KeyFileExists {
        /// The key file.
        path: String,
    },
    /// The environment variable of an `EnvKeySource` is unset.
    #[error("environment variable {variable} holding the root secret is not set")]
    KeyVariableMissing {
        /// The variable.
        variable: String,
    },
    /// The environment variable of an `EnvKeySource` is not 64 hex digits.
    #[error("environment variable {variable} is not a root secret: {reason}")]
    KeyVariableMalformed {
        /// The variable.
        variable: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A key source failed for a reason of its own (a KMS, an HSM).
    #[error("key source {source_name} failed: {reason}")]
    KeySource {
        /// Which source.
        source_name: String,
        /// What went wrong (never key bytes).
        reason: String,
    },
    /// A configuration value is not acceptable.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A customer is already in the store: onboarding twice is refused (update instead).
    #[error("customer {customer} is already onboarded")]
    CustomerExists {
        /// The customer.
        customer: CustomerId,
    },
    /// The customer is not in this brokerage's store.
    #[error("customer {customer} is not known to this brokerage")]
    UnknownCustomer {
        /// The customer.
        customer: CustomerId,
    },
    /// The customer was adopted from a seller's package and the facts of the relationship the package does
    /// not carry (residence, relationship dates, last verification) are not recorded yet
    /// ([`Brokerage::record_adopted_facts`](crate::Brokerage::record_adopted_facts)): until they are, no
    /// rule that depends on them (the regime of a request, retention, the gate) can be applied.
    #[error("customer {customer} was adopted from a package and their facts are not recorded yet")]
    AdoptedFactsMissing {
        /// The customer.
        customer: CustomerId,
    },
    /// The customer's keys were destroyed (crypto-shredded): nothing of theirs can be read or changed.
    #[error("customer {customer} was erased")]
    CustomerErased {
        /// The customer.
        customer: CustomerId,
    },
    /// An update was made from another version than the current one (PIPL Art 46: corrections apply to
    /// the record as it is).
    #[error("customer {customer} is at version {current}, not {expected}")]
    StaleVersion {
        /// The customer.
        customer: CustomerId,
        /// The version stored.
        current: u32,
        /// The version the update was made from.
        expected: u32,
    },
    /// A record to onboard is not at version 1.
    #[error("customer {customer} is at version {version}; onboarding takes version 1")]
    NotFirstVersion {
        /// The customer.
        customer: CustomerId,
        /// Its version.
        version: u32,
    },
    /// The notice a customer was shown is not published on this brokerage's ledger (PIPL Art 17).
    #[error("notice {notice} version {version} is not published on this ledger")]
    NoticeNotPublished {
        /// The notice id.
        notice: String,
        /// Its version.
        version: u32,
    },
    /// Two different notices share an id and version.
    #[error("notice {notice} version {version} is already published with other content")]
    NoticeConflict {
        /// The notice id.
        notice: String,
        /// Its version.
        version: u32,
    },
    /// Two different events share an id: an event is recorded once.
    #[error("event {event} is already recorded with other content")]
    EventConflict {
        /// The event id.
        event: String,
    },
    /// No case of this role for this transfer in the store.
    #[error("no {role} case for transfer {transfer}")]
    NoSuchCase {
        /// The transfer.
        transfer: TransferId,
        /// The role.
        role: CaseRole,
    },
    /// A case for this transfer already exists under another agreement.
    #[error("the {role} case of transfer {transfer} was opened under another agreement")]
    CaseConflict {
        /// The transfer.
        transfer: TransferId,
        /// The role.
        role: CaseRole,
    },
    /// This brokerage's keys are not the agreement's keys for the role.
    #[error("this brokerage is not the {role} of transfer {transfer}: its keys are not the agreement's")]
    NotAParty {
        /// The transfer.
        transfer: TransferId,
        /// The role it tried to act in.
        role: CaseRole,
    },
    /// A step was called in a state where it does not run.
    #[error("transfer {transfer}: {step} is not allowed while the {role} case is {state}")]
    OutOfOrder {
        /// The transfer.
        transfer: TransferId,
        /// The case's role.
        role: CaseRole,
        /// The step asked for.
        step: &'static str,
        /// Where the case stands.
        state: CaseState,
    },
    /// A step was called before the date it may run on.
    #[error("transfer {transfer}: {step} may not run before {not_before}")]
    TooEarly {
        /// The transfer.
        transfer: TransferId,
        /// The step.
        step: &'static str,
        /// The first day it may run.
        not_before: NaiveDate,
    },
    /// Execution was asked to wait for pending decisions, and some are still pending.
    #[error("transfer {transfer}: {pending} category decisions are still pending")]
    StillPending {
        /// The transfer.
        transfer: TransferId,
        /// How many.
        pending: u64,
    },
    /// An incident forced the customer behind a request to verify their identity again
    /// ([`Brokerage::remedy_force_reverification`](crate::Brokerage::remedy_force_reverification)), and
    /// the check offered does not do it: it predates the mark, or its method relies on what was on file
    /// (a session, a code to contact details on file, facts of the record), which the incident may have
    /// exposed. A document inspected after the mark is needed (GDPR Art 12(6); PIPL Art 50, 51).
    #[error(
        "request {request}: incident {incident} requires the identity to be verified again by an inspected document dated after it"
    )]
    ReverificationRequired {
        /// The rights request.
        request: custodia_rights::RequestId,
        /// The incident that forced it.
        incident: custodia_oversight::IncidentId,
    },
    /// A second, different receipt for a case whose receipt is already verified (or signed).
    #[error("transfer {transfer} already has another receipt")]
    ReceiptConflict {
        /// The transfer.
        transfer: TransferId,
    },
    /// An event handed to a case as a response is not a transfer response to this case's buyer.
    #[error("event {event} is not a response to transfer {transfer}")]
    NotAResponse {
        /// The transfer.
        transfer: TransferId,
        /// The event id.
        event: String,
    },
    /// A stored record does not decode: the store was altered outside custodia or is damaged.
    #[error("record {key} of {namespace} is damaged: {reason}")]
    RecordCorrupt {
        /// The namespace.
        namespace: &'static str,
        /// The record's key, in hex.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// An evidence folder failed a check; the first failure is named.
    #[error("evidence {file}: {check} failed: {reason}")]
    Evidence {
        /// The file (relative to the folder).
        file: &'static str,
        /// The check.
        check: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The vault or the key store differs from what the ledger anchored: the first customer (and category)
    /// that differs, and how (PIPL Arts 46, 47, 51(3)).
    #[error("the vault differs from its ledger at customer {customer}{}: {what}", .category.map(|c| format!(", category {c}")).unwrap_or_default())]
    VaultMismatch {
        /// The customer.
        customer: custodia_model::CustomerId,
        /// The category, when the difference is in a section or a tombstone.
        category: Option<custodia_model::DataCategory>,
        /// What differs.
        what: &'static str,
    },
    /// The store's ledger is not the one a checkpoint held outside it was signed over: a store file
    /// restored from an older copy, or a ledger rewritten.
    #[error("the ledger is not the one the held checkpoint of size {size} covers: {reason}")]
    LedgerBehindCheckpoint {
        /// The held checkpoint's size.
        size: u64,
        /// Why.
        reason: &'static str,
    },
    /// The store failed.
    #[error("store failed")]
    Store(#[from] custodia_store::StoreError),
    /// The ledger failed.
    #[error("ledger failed")]
    Ledger(#[from] custodia_ledger::LedgerError),
    /// A cryptographic operation or a key or vault store failed.
    #[error("cryptography or key storage failed")]
    Crypto(#[from] custodia_crypto::CryptoError),
    /// A consent record or decision failed.
    #[error("consent failed")]
    Consent(#[from] custodia_consent::ConsentError),
    /// A retention rule, plan or execution failed.
    #[error("retention failed")]
    Retention(#[from] custodia_retention::RetentionError),
    /// A transfer agreement, plan, package, import or receipt failed.
    #[error("transfer failed")]
    Transfer(#[from] custodia_transfer::TransferError),
    /// A model value is invalid.
    #[error("model value invalid")]
    Model(#[from] custodia_model::ModelError),
    /// A customer's request broke a rule of custodia-rights (an unknown customer, a duplicate, a step out
    /// of order, an identity not verified, an answer that does not fit).
    #[error("rights request failed")]
    Rights(#[from] custodia_rights::RightsError),
    /// The access gate, a principal record or an approval failed (issue 17).
    #[error("access: {0}")]
    Access(#[from] custodia_access::AccessError),
    /// The gate denied a read: the denied categories and the deciding policy ids (never the data). Its
    /// access entry is on the ledger.
    #[error("{0}")]
    AccessDenied(#[from] custodia_access::AccessDenied),
    /// A read or approval names a principal the brokerage has no record of.
    #[error("unknown principal {principal}")]
    UnknownPrincipal {
        /// The principal.
        principal: custodia_model::ActorId,
    },
    /// An incident, assessment or audit rule of custodia-oversight was broken (issue 19).
    #[error("oversight: {0}")]
    Oversight(#[from] custodia_oversight::OversightError),
    /// A read names an approval the brokerage has not stored.
    #[error("unknown approval {approval}")]
    UnknownApproval {
        /// The approval.
        approval: custodia_access::ApprovalId,
    },
}

impl BrokerageError {
    /// An I/O failure on `path` while doing `operation`.
    pub(crate) fn io(path: &std::path::Path, operation: &'static str) -> impl Fn(std::io::Error) -> Self {
        let path = path.display().to_string();
        move |e| BrokerageError::Io {
            path: path.clone(),
            operation,
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    /// A stored record of `namespace` under `key` that does not decode. The reason is usually a decoder's
    /// message, which quotes the value it found — a name, a number — so every quoted value is dropped
    /// ([`custodia_model::without_values`]): the error names what is wrong and where, never what the record
    /// holds (PIPL Art 51(3): an error message is not a channel for personal information).
    pub(crate) fn corrupt(namespace: &'static str, key: &[u8], reason: impl fmt::Display) -> Self {
        BrokerageError::RecordCorrupt {
            namespace,
            key: hex::encode(key),
            reason: custodia_model::without_values(&reason.to_string()),
        }
    }
}
