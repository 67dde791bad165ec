//! # custodia-model
//!
//! The vocabulary every other custodia crate speaks: customer and other ids, data categories and their
//! sensitivity (PIPL Art 28), purposes and the legal bases of PIPL Art 13, jurisdictions, and legal
//! citations.
//!
//! **Must not**: depend on any other custodia crate, do I/O, or hold secrets. It has no crypto or database
//! dependency (`cargo tree -p custodia-model` shows none).

mod account;
mod category;
mod citation;
mod contact;
mod customer;
mod error;
mod identity;
mod ids;
mod jurisdiction;
mod mask;
mod party;
mod policy;
mod purpose;
mod quality;
pub mod synthetic;
mod version;

pub use account::{AccountUse, BankAccount, BankCardNumber, Money, MoneyFields};
pub use category::{DataCategory, SensitiveKind};
pub use citation::{Citation, Instrument};
pub use contact::{EmailAddress, MobileNumber, PhoneNumber, PostalAddress, PostalAddressFields};
pub use customer::{
    AmlRisk, AmlTransaction, ContactSection, Customer, CustomerFields, HealthDeclaration, KycRecord,
    MarketingPreferences, StoredCustomer, TransactionKind,
};
pub use error::ModelError;
pub use identity::{Gender, ResidentIdNumber, UnifiedSocialCreditCode};
pub use ids::{AccountId, ClaimId, CustomerId, PolicyId, TransferId};
pub use jurisdiction::Jurisdiction;
pub use party::{
    DocumentNumber, Guardian, GuardianRelationship, IdentityDocument, MINOR_AGE, Organization,
    OrganizationName, Party, PartyKind, Person, PersonFields, PersonName,
};
pub use policy::{
    Beneficiary, BeneficiaryRelationship, Claim, ClaimStatus, Policy, PolicyFields, PolicyStatus,
    ProductLine, Termination, TerminationReason,
};
pub use purpose::{LegalBasis, Purpose};
pub use quality::{
    BookQualityReport, CustomerQualityReport, IssueKind, QualityConfig, QualityConfigFields, QualityIssue,
    WorstCustomer, assess_customer,
};
pub use version::{Actor, RecordVersion, VersionHistory, VersionHistoryFields};
