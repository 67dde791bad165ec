//! # custodia-transfer
//!
//! (Essay below is completed in a later commit.)

mod agreement;
mod codec;
mod disposition;
mod error;
pub mod facts;
mod import;
mod manifest;
pub mod notice;
pub mod package;
mod party;
mod plan;
mod progress;
mod proof;
mod receipt;
mod report;
mod responses;

pub use agreement::{
    AGREEMENT_FORMAT, AgreementDigest, AgreementTerms, BuyerObligations, BuyerSigned, CrossBorderTerms,
    CustomerSelection, DraftAgreement, MAX_AGREEMENT_LEN, Mechanism, MinorRule, SIGNED_AGREEMENT_MAGIC,
    ScopeItem, SellerSigned, SensitiveRule, SignedAgreement,
};
pub use disposition::{CategoryEraser, Disposition, DispositionCounts, DispositionPlanner, SectionShredder};
pub use error::TransferError;
pub use import::{
    Buyer, ImportOutcome, ImportSettings, MemorySections, Moving, Rekey, SectionCheck, SectionSink,
    SectionSource, import, package,
};
pub use manifest::{
    CustomerProof, MANIFEST_ENTRY_VERSION, ManifestEntry, ManifestTree, ProofOutcome, ProvenEntry,
    RootBuilder, SectionDigest,
};
pub use package::PackageSummary;
pub use party::{MAX_PARTY_TEXT, Party, PartyFields};
pub use plan::{
    CategoryDecision, CrossBorderCheck, CrossBorderThresholds, CustomerFacts, CustomerPlan, Eligibility,
    ExcludeReason, PendingReason, PlanContext, PlanSummary, Planner,
};
pub use progress::{Phase, Progress};
pub use proof::prove;
pub use receipt::{RECEIPT_FORMAT, RECEIPT_MAGIC, SignedReceipt, TransferReceipt, receipt_for};
pub use report::{AgreementSection, Check, PackageSection, TransferReport};
pub use responses::{Response, ResponseIndex, ResponseKind};
