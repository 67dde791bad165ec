//! # custodia-rights
//!
//! Customers' requests end to end, as pure decision logic: what may be asked (every right of PIPL Arts
//! 44–49, 15 and 24(3), and GDPR Arts 15–22), how a request arrives and whose identity it claims, when it
//! must be answered over a real working-day calendar, what each kind does, how a refusal is reasoned, what
//! the customer receives, and a receipt the customer verifies offline.
//!
//! ## What it owns
//!
//! - **Kinds** ([`RequestKind`]): access and copy (PIPL Art 45), portability (Art 45(3) with NDSR Art 25's
//!   conditions), correction (46), deletion (47), explanation of the rules (48), withdrawal of consent (15),
//!   restriction and objection (44), explanation and refusal of automated decisions (24(3)); each cites its
//!   articles under both regimes ([`KindCode::citations`]). Close relatives of a deceased customer (PIPL
//!   Art 49) are a [`Requester`], open to the kinds Art 49 names.
//! - **Intake** ([`Intake`], [`Request::receive`]): channel, requester, the customer (an id the brokerage
//!   knows: [`KnownCustomer`]; an unknown one is [`RightsError::UnknownCustomer`]), duplicates of an open
//!   request refused ([`RightsError::Duplicate`]) so that nothing inherits another request's identity check.
//! - **Identity** ([`IdentityVerification`]): method, SHA-256 of the brokerage's record of the check, who and
//!   when — never the document. Each method says what it needs to see ([`IdentityMethod::needs`]); the
//!   policy ([`IdentityPolicy`]) says how strong a check each kind needs. A request for another person needs
//!   the authority verified on its own ([`VerifiedParty::Authority`]).
//! - **Deadlines** ([`Calendars`], [`DeadlineSettings`]): 15 working days (30 days once extended for a
//!   complex case) by default under the PIPL, which says only "promptly"; one month plus two under GDPR
//!   Art 12(3); over the 2026 mainland calendar shipped in custodia-model, a typed error past its end; a
//!   pause while identity evidence is awaited as a setting; overdue requests listed ([`overdue`]).
//! - **The state machine** ([`Request`]): awaiting identity → awaiting evidence → verified → answered; a
//!   step out of order is [`RightsError::OutOfOrder`] naming the state, and a failed step changes nothing.
//! - **Refusals** ([`Refusal`], [`RefusalCode`]): a coded reason with its citation (PIPL 18(1), 35 via 45;
//!   the retention floors giving storage-only; NDSR 25; GDPR 11(2), 12(5), 15(4), 17(3)(b), (e), 20, 21(1),
//!   23; the GB/T 35273-style grounds [`StandardGround`]), and always the complaint route and the right to
//!   sue ([`Remedies`]: PIPL Arts 50(2), 65; GDPR Arts 12(4), 77, 79).
//! - **Fulfilment** ([`fulfil`]): a deletion asks retention and lists what is erased and what is kept and
//!   why ([`DeletionPlan`]); a correction is a new record version ([`correction_action`]); a withdrawal,
//!   restriction or objection is a consent event whose propagation consent computes ([`consent_event`]);
//!   portability checks NDSR Art 25 ([`PortabilityConditions`]).
//! - **The response package** ([`ResponsePackage`], format in [`package`]): the data as JSON and readable,
//!   the NDSR Art 21 explanation, who read the data and why; buildable only from a [`VerifiedRequest`].
//! - **The processing statement** ([`ProcessingStatement`]): per customer and period, from lines of that
//!   customer only.
//! - **Ledger entries** ([`RightsEntry`]) for every step, pseudonymous; **receipts** ([`ResponseReceipt`],
//!   bytes in [`receipt`]) signed with Ed25519 through custodia-crypto, domain-separated, carrying the
//!   answer entry's inclusion proof and a signed checkpoint.
//!
//! ## Key design decisions
//!
//! **The request is a public record; the answer's content is not.** A [`Request`] holds ids, codes,
//! digests, dates and staff ids — a correction names field paths, never values — so the brokerage stores it
//! as it is (serde) and the ledger may record its steps. The response package holds personal information:
//! only its SHA-256 reaches the answer, the ledger and the receipt.
//!
//! **The safe path is the only path.** A package can only be built from a [`VerifiedRequest`], which only a
//! request with every claimed identity verified gives; an answer that does anything needs the same, and
//! before it only an identity refusal may be given. A [`Refusal`] cannot be built without its remedies.
//!
//! **Deadlines are data over calendars that are data.** The periods are settings with the article or
//! standard behind them; the calendar is `custodia_model::WorkingDayCalendar`, loaded as data; nothing
//! guesses a day the calendar does not know.
//!
//! ## Legal readings
//!
//! - PIPL Art 49's "查阅、复制、更正、删除等" is read narrowly: relatives may access, copy, correct, delete and
//!   have the rules explained; the GDPR does not cover deceased persons (Recital 27), so a relative's
//!   request under it is [`RightsError::NotAvailable`].
//! - A withdrawal of consent is never refused (PIPL Art 15; GDPR Art 7(3)): no refusal code applies to it.
//! - A floor of a departmental rule (Broker Rule 2018 Art 51) keeps data as a legal obligation (PIPL
//!   Art 13(1)(3)) rather than under Art 47(2); the refusal names what retention names. Under the GDPR a
//!   third country's floor is no Art 17(3) exemption by itself: unless the controller recorded legal claims
//!   as its ground (`ForeignFloorGround`), the deletion answer is an error for a person to resolve.
//! - The clock runs while identity evidence is awaited unless the setting says otherwise.
//!
//! ## What it must not do
//!
//! No database, no clock (times are arguments), no printing, no key handling of its own (signatures through
//! custodia-crypto, digests through custodia-consent's SHA-256). It never puts a personal value on the ledger
//! or in an error. Durable state — requests, their ledger indices, the packages sent — belongs to the
//! application layer.
//!
//! ## Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use custodia_consent::{Channel, Digest};
//! use custodia_crypto::SigningKey;
//! use custodia_ledger::{Log, MemoryStore, NoteSigner, SignatureKind};
//! use custodia_model::{ActorId, CustomerId, DataCategory, Jurisdiction};
//! use custodia_rights::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let calendars = Calendars::mainland_2026()?;
//! let customer = KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::MAINLAND_CHINA);
//! let clerk = ActorId::new("desk-1")?;
//! // Received on Thursday 30 April 2026, before the Labour Day holiday (1–5 May) and the worked Saturday 9 May.
//! let at = Utc.with_ymd_and_hms(2026, 4, 30, 2, 0, 0).single().ok_or("date")?;
//! let intake = Intake::new(customer.customer, RequestKind::Access, Channel::Web, at, clerk.clone());
//! let (mut request, received) = Request::receive(intake, Some(&customer), &[], &RightsSettings::default(), &calendars)?;
//! assert_eq!(request.deadline().ok_or("deadline")?.last_day.to_string(), "2026-05-25");
//!
//! let check = IdentityVerification::verified(
//!     VerifiedParty::Requester, IdentityMethod::KnowledgeCheck, Digest::of(b"check record"), clerk, at);
//! let identity = request.record_identity(check, &calendars)?;
//! let contents = PackageContents {
//!     data: vec![CategoryData { customer: customer.customer, category: DataCategory::Contact,
//!                               value: serde_json::json!({"email": "someone@example.cn"}) }],
//!     ..PackageContents::default()
//! };
//! let package = ResponsePackage::build(&request.verified()?, contents, at)?;
//! let answered = request.answer(Answer::done(Action::released(&package)), at)?;
//!
//! let mut log = Log::new(MemoryStore::new())?;
//! for entry in [&received, &identity] { entry.append_to(&mut log)?; }
//! let index = answered.append_to(&mut log)?;
//! let signer = NoteSigner::new("broker.example/ledger", SignatureKind::Ed25519, SigningKey::generate()?)?;
//! let checkpoint = log.checkpoint(&signer, "broker.example/ledger")?;
//! let key = SigningKey::generate()?;
//! let receipt = ResponseReceipt::issue(&request, &log, index, &checkpoint, &key)?.encode()?;
//!
//! // Offline, with the brokerage's public keys only.
//! let keys = BrokerageKeys { signing: key.verifying_key(), ledger: signer.verifier().clone() };
//! let verified = ResponseReceipt::verify(&receipt, &keys)?;
//! assert!(verified.names_package(&package.to_bytes()));
//! assert_eq!(verified.body().outcome, Outcome::Fulfilled);
//! # Ok(())
//! # }
//! ```

mod deadline;
mod error;
pub mod fulfil;
mod ids;
mod intake;
mod kind;
mod ledger;
pub mod package;
pub mod receipt;
mod refusal;
mod request;
mod statement;

pub use deadline::{
    Calendars, DeadlineSettings, EeaCalendar, ExtensionReason, IdentityWait, Pause, Period, ResponseDeadline,
};
pub use error::RightsError;
pub use fulfil::{
    CollectedOn, ConsentChange, DeletionInput, DeletionItem, DeletionPlan, Disposition, Feasibility,
    OthersRights, PortabilityConditions, consent_action, consent_event, correction_action,
};
pub use ids::{RequestId, RequesterId};
pub use intake::{
    Assurance, CheckResult, DeathArrangement, IdentityMethod, IdentityPolicy, IdentityVerification, Intake,
    KnownCustomer, OpenRequest, Relation, Requester, VerifiedParty,
};
pub use kind::{FieldPath, KindCode, MAX_FIELD_PATH, MAX_FIELDS, Reference, RequestKind};
pub use ledger::{ENTRY_FORMAT, RightsEntry, Step};
pub use package::{
    AccessRecord, AutomatedExplanation, CategoryData, Fee, Organisation, PACKAGE_FORMAT, PackageContents,
    ProcessingExplanation, PurposeUse, RecipientLine, RecipientRole, ResponsePackage, RetentionLine,
    SensitiveUse,
};
pub use receipt::{BrokerageKeys, RECEIPT_FORMAT, RECEIPT_SIGNATURE_DOMAIN, ReceiptBody, ResponseReceipt};
pub use refusal::{ComplaintContacts, Language, Refusal, RefusalCode, Remedies, StandardGround};
pub use request::{
    Action, Answer, AnswerPart, Answered, ErasureMethod, Extension, Outcome, Overdue, Request,
    RightsSettings, StateCode, VerifiedRequest, overdue,
};
pub use statement::{
    ChangeLine, ProcessingStatement, ProvisionLine, RestrictionKind, RestrictionLine, StatementInputs,
};
