//! # custodia-model
//!
//! The vocabulary every other custodia crate speaks, and the only place where customer data is shaped and
//! checked: ids, data categories and their sensitivity (PIPL Art 28), purposes and the legal bases of PIPL
//! Art 13, jurisdictions, legal citations and the rank of the instrument they cite; customers (persons and
//! organizations) with their data in sections by [`DataCategory`]; policies, claims and beneficiaries, and
//! the insured persons and beneficiaries as people with their own ids ([`CoveredPerson`]); which of a
//! customer's categories are sensitive under a book's settings ([`SensitivityPolicy`]); working-day
//! calendars and Civil Code deadlines ([`WorkingDayCalendar`]); validated identifiers with display masks;
//! record versions; data-quality reports (PIPL Art 8). It is also the one place a name shared by several crates is
//! defined: the id macro ([`typed_id!`]), who acted ([`ActorId`]), the progress event of every long operation
//! ([`Progress`]), sets of categories ([`CategorySet`]) and the bounded reader of every decoder
//! ([`ByteReader`]). Synthetic books for examples, benches and tests live in the `custodia-synthetic` test kit,
//! not here.
//!
//! ## Key design decision: parse, don't validate
//!
//! Every identifier is a newtype that can only be built through its checking constructor, and deserializes
//! through the same constructor (`#[serde(try_from = ...)]`): a [`ResidentIdNumber`] that exists has a
//! valid GB 11643 check character and a real embedded birth date, a [`UnifiedSocialCreditCode`] a valid
//! GB 32100 check character, a [`BankCardNumber`] a valid Luhn digit, a [`Person`] an identity number that
//! agrees with its birth date and gender. Checksums are written from the standards; e-mail syntax comes from
//! `validator`. Bad input is a typed [`ModelError`] naming the field (`identity.resident_id`), and the
//! message shows at most a masked fragment, because error messages end up in logs. Identifiers print their
//! mask (`110105********1234`, `138****5678`, `张*`) through `Debug` and `Display`; the full value needs an
//! explicit `as_str()`.
//!
//! Records from real books are incomplete, so the record types make optional what may be missing and
//! [`assess_customer`] reports what is missing, implausible, inconsistent or stale; only contradictions that
//! make a record meaningless (a relationship ending before it starts, a claim on a policy the customer does not
//! hold) are refused at construction. A change makes a new [`Customer`] with the next [`RecordVersion`]
//! (when, who, which fields); nothing is edited in place.
//!
//! ## What this crate must not do
//!
//! Depend on any other custodia crate, do I/O, read the clock (dates come in as arguments; only the
//! `new_v7` id constructors take the current time, as UUID v7 requires), print, or hold secrets. It has no crypto or database dependency (`cargo tree -p custodia-model` shows none). The values
//! here are plaintext personal information; keeping them secret is custodia-crypto's job.
//!
//! ## Example
//!
//! ```
//! use chrono::NaiveDate;
//! use custodia_model::{BookQualityReport, ModelError, QualityConfig, ResidentIdNumber};
//! // The test kit, a dev-dependency: never a dependency of a production crate.
//! use custodia_synthetic::book::{BookConfig, SyntheticBook};
//!
//! // The GB 11643-1999 example number: born 1949-12-31, female; shown only masked.
//! let id = ResidentIdNumber::new("11010519491231002X")?;
//! assert_eq!(id.to_string(), "110105********002X");
//! assert!(matches!(
//!     ResidentIdNumber::new("110105194912310021"),
//!     Err(ModelError::ChecksumMismatch { field: "identity.resident_id", .. })
//! ));
//!
//! // A deterministic synthetic book, streamed customer by customer into a quality report.
//! let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default();
//! let config = BookConfig { seed: 7, customers: 200, ..BookConfig::default() };
//! let mut report = BookQualityReport::new(as_of, QualityConfig::default(), 5);
//! let mut minors = 0;
//! for generated in SyntheticBook::stream(&config, as_of)? {
//!     let customer = generated?.customer;
//!     minors += usize::from(customer.is_minor_at(as_of));
//!     report.add(&custodia_model::assess_customer(&customer, as_of, &QualityConfig::default()));
//! }
//! assert_eq!(report.customers, 200);
//! assert!(minors > 0);
//! # Ok::<(), ModelError>(())
//! ```

mod account;
mod actor;
mod calendar;
mod category;
mod category_set;
mod citation;
mod contact;
mod customer;
mod error;
mod gdpr;
mod identity;
mod ids;
mod input;
mod jurisdiction;
mod mask;
mod party;
mod people;
mod policy;
mod progress;
mod purpose;
mod quality;
mod reader;
mod sensitivity;

/// Re-exported because its `NaiveDate` and `DateTime` are in this crate's public API: a downstream crate (or an
/// example using only the `custodia` facade) names the same version without depending on chrono itself.
pub use chrono;
/// Re-exported because `Uuid` is in the public API of the id types, and [`typed_id!`] names it as
/// `$crate::uuid`, so that a crate defining its ids needs no uuid dependency of its own.
pub use uuid;

/// What [`typed_id!`] expands to needs from this crate's dependencies; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}
mod version;

pub use account::{AccountUse, BankAccount, BankCardNumber, Money, MoneyFields};
pub use actor::ActorId;
pub use calendar::{CalendarFields, Deadline, WorkingDayCalendar, beijing_date, beijing_end_of_day};
pub use category::{DataCategory, SensitiveKind};
pub use category_set::{CategorySet, CategorySetIter};
pub use citation::{Citation, Instrument, Rank};
pub use contact::{EmailAddress, MobileNumber, PhoneNumber, PostalAddress, PostalAddressFields};
pub use customer::{
    AmlRisk, AmlTransaction, ContactSection, Customer, CustomerFields, HealthDeclaration, KycRecord,
    MarketingPreferences, StoredCustomer, TransactionKind,
};
pub use error::ModelError;
pub use gdpr::{
    BalancingTest, BalancingTestFields, GdprBasis, LawOrigin, SpecialCategoryCondition, TransferGround,
};
pub use identity::{Gender, ResidentIdNumber, UnifiedSocialCreditCode};
pub use ids::{AccountId, ClaimId, CustomerId, PolicyId, TransferId};
pub use input::{InputProblem, from_json, from_json_str, without_values};
pub use jurisdiction::Jurisdiction;
pub use party::{
    DocumentNumber, Guardian, GuardianRelationship, IdentityDocument, MINOR_AGE, Organization,
    OrganizationName, Party, PartyKind, Person, PersonFields, PersonName,
};
pub use people::{AmlDuty, CoveredPerson, CoveredPersonFields, PersonBasis, PersonId, PersonRole};
pub use policy::{
    Beneficiary, BeneficiaryRelationship, Claim, ClaimStatus, Policy, PolicyFields, PolicyStatus,
    ProductLine, Termination, TerminationReason,
};
pub use progress::{Phase, Progress};
pub use purpose::{LegalBasis, Purpose};
pub use quality::{
    BookQualityReport, CustomerQualityReport, IssueKind, QualityConfig, QualityConfigFields, QualityIssue,
    WorstCustomer, assess_customer,
};
pub use reader::{ByteReader, LimitedReader};
pub use sensitivity::{
    ClaimsSensitivity, Sensitivity, SensitivityOverride, SensitivityPolicy, SensitivityPolicyFields,
};
pub use version::{RecordVersion, VersionHistory, VersionHistoryFields};
