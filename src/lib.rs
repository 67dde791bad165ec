//! # custodia
//!
//! The facade crate: it re-exports the member crates as modules so that a program can depend on one crate
//! and write `custodia::brokerage::…`, `custodia::model::…`. It adds no code of its own; see `ARCHITECTURE.md`
//! for the map of the workspace. Programs and services start at `custodia::brokerage` (the application
//! layer, the API boundary): a `Brokerage` over one store runs every workflow.

pub use custodia_access as access;
pub use custodia_brokerage as brokerage;
pub use custodia_consent as consent;
pub use custodia_crypto as crypto;
pub use custodia_ledger as ledger;
pub use custodia_model as model;
pub use custodia_oversight as oversight;
pub use custodia_retention as retention;
pub use custodia_rights as rights;
pub use custodia_store as store;
pub use custodia_transfer as transfer;

/// The names a licence transfer needs, in one import: `use custodia::prelude::*;`. Each is defined once, in the
/// crate at the bottom of the layer that owns it; the prelude only gathers them. The application layer's own
/// prelude (`custodia::brokerage::prelude`: `Brokerage`, its cases and what their calls take) comes first.
pub mod prelude {
    pub use custodia_brokerage::prelude::*;
    pub use custodia_consent::{BasisPolicy, ConsentLedger, PartyId, TransferPath};
    pub use custodia_crypto::{
        KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault, SigningKey, VerifyingKey,
    };
    pub use custodia_ledger::{Log, LogStore, NoteSigner, TrustPolicy};
    pub use custodia_model::{
        ActorId, CategorySet, Citation, CustomerId, DataCategory, Jurisdiction, LegalBasis, Phase, Progress,
        Purpose, TransferId,
    };
    pub use custodia_retention::{Holds, Profile};
    pub use custodia_transfer::{
        AgreementTerms, BuyerObligations, CustomerSelection, DraftAgreement, Eligibility, ImportOutcome,
        MinorRule, PlanSummary, ScopeItem, SensitiveRule, SignedAgreement, SignedReceipt, TransferError,
        TransferParty, TransferReport,
    };
}

/// The README's Rust examples, compiled and run as doc tests so that the README cannot drift from the code.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
