//! The crate's one error type. Every variant names a field, an id, a state or a code: never a personal value
//! (a test feeds personal values through every constructor and finds none in any message or `Debug`).

use custodia_consent::{ConsentError, Regime};
use custodia_ledger::LedgerError;
use custodia_model::{CustomerId, ModelError};
use custodia_retention::RetentionError;

use crate::ids::RequestId;
use crate::kind::KindCode;
use crate::request::StateCode;

/// Why a step of a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RightsError {
    /// An input is not what the field takes.
    #[error("{field}: expected {expected}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What it takes.
        expected: &'static str,
    },
    /// The brokerage does not know the customer the request concerns: nothing is recorded or released.
    #[error("unknown customer {customer}")]
    UnknownCustomer {
        /// The id the request named.
        customer: CustomerId,
    },
    /// The same customer already has an open request of the same kind: the requester is pointed to it.
    /// The new request is not recorded, so it cannot inherit the open one's identity check.
    #[error("request {open} of kind {kind} is already open for this customer")]
    Duplicate {
        /// The open request.
        open: RequestId,
        /// Its kind.
        kind: KindCode,
    },
    /// A step was called in a state that does not allow it.
    #[error("request {request} is {state}: cannot {step}")]
    OutOfOrder {
        /// The request.
        request: RequestId,
        /// Its current state.
        state: StateCode,
        /// The step refused.
        step: &'static str,
    },
    /// Something would be released or done before every identity the request claims was verified on its
    /// own (the requester's, and for a request on another's behalf the authority to act for them).
    #[error("request {request}: identity not verified ({missing})")]
    IdentityNotVerified {
        /// The request.
        request: RequestId,
        /// Which verification is missing.
        missing: &'static str,
    },
    /// A verification method gives less assurance than the identity policy asks for this kind.
    #[error("request {request}: method {method} is weaker than the policy requires for {kind}")]
    IdentityTooWeak {
        /// The request.
        request: RequestId,
        /// The method's code.
        method: &'static str,
        /// The request's kind.
        kind: KindCode,
    },
    /// The request is not one the customer's regime gives (for example a close relative's request under the
    /// GDPR, which does not cover deceased persons, Recital 27), or the kind is not one PIPL Art 49 opens to
    /// close relatives.
    #[error("{what} is not available under {regime:?}")]
    NotAvailable {
        /// What was asked.
        what: &'static str,
        /// The regime.
        regime: Regime,
    },
    /// No calendar covers the dates the deadline needs, or none was given for the regime: custodia never
    /// guesses a working day.
    #[error("deadline: {0}")]
    Calendar(#[from] ModelError),
    /// No working-day calendar was configured for the regime's deadlines.
    #[error("no working-day calendar for {regime:?} deadlines")]
    NoCalendar {
        /// The regime.
        regime: Regime,
    },
    /// An extension that the settings or the law do not allow.
    #[error("request {request}: extension refused ({why})")]
    ExtensionRefused {
        /// The request.
        request: RequestId,
        /// Why.
        why: &'static str,
    },
    /// A refusal code that does not apply to the request's kind or regime.
    #[error("refusal {code} does not apply to a {kind} request under {regime:?}")]
    RefusalNotApplicable {
        /// The code.
        code: &'static str,
        /// The request's kind.
        kind: KindCode,
        /// The regime.
        regime: Regime,
    },
    /// An answer that does not fit the request (an empty answer, an action of another kind, a package of
    /// another request).
    #[error("request {request}: answer does not fit ({what})")]
    AnswerMismatch {
        /// The request.
        request: RequestId,
        /// What does not fit.
        what: &'static str,
    },
    /// An input line concerns another customer than the one the package or statement is for: nothing is
    /// produced, so no other customer's data can leak into it.
    #[error("{what} concerns another customer than {customer}")]
    OtherCustomer {
        /// The customer the output is for.
        customer: CustomerId,
        /// Which input.
        what: &'static str,
    },
    /// A ledger payload that is not a rights entry of this crate.
    #[error("ledger entry {index}: {why}")]
    Payload {
        /// The ledger index.
        index: u64,
        /// Why.
        why: &'static str,
    },
    /// A receipt or its proofs did not verify. Opaque on purpose: it says that, not why.
    #[error("response receipt does not verify")]
    ReceiptInvalid,
    /// Encoding an output failed.
    #[error("encoding {what} failed")]
    Encoding {
        /// What.
        what: &'static str,
    },
    /// The ledger refused.
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// Consent refused.
    #[error("consent: {0}")]
    Consent(#[from] ConsentError),
    /// Retention refused.
    #[error("retention: {0}")]
    Retention(#[from] RetentionError),
}
