//! # custodia-transfer
//!
//! The reason custodia exists: moving a brokerage's customers to the buyer of its licence and book lawfully
//! and provably (PIPL Arts 22, 23, 28–31, 38–39, 47, 55–56; NDSR Arts 12, 14; AML Law 2024 Art 34).
//!
//! ## What it owns
//!
//! - **Parties and the agreement** ([`TransferParty`], [`AgreementTerms`]): names, registrations (a GB
//!   32100-checked credit code in mainland China, the local register's number elsewhere), licences,
//!   contacts, jurisdictions and public keys; the kind of deal ([`DealTerms`]: a share acquisition moves
//!   nothing and plans nothing; a book transfer moves the data; who keeps the records the law says must be
//!   kept; whether the seller dissolves; the NDSR Art 32 report); the legal path
//!   ([`custodia_consent::TransferPath`]: PIPL Art 22 notice or Art 23 separate consent — an open legal
//!   question, so a term the parties choose, never an answer this crate hard-codes); scope (purposes the
//!   buyer continues and their categories); which customers; the objection window; rules for sensitive data
//!   and minors; cross-border terms (a mechanism, [`Mechanism::None`] distinct from a claimed exemption with
//!   its ground); the buyer's obligations; the impact-assessment reference (PIPL Art 55, required). The terms
//!   have exact canonical bytes ([`AGREEMENT_FORMAT`]), both parties sign those bytes, and the typestate
//!   [`DraftAgreement`] → [`SellerSigned`] / [`BuyerSigned`] → [`SignedAgreement`] means only a fully signed
//!   agreement can plan, package or import. Terms added since the format's first version are left out of
//!   the bytes at their defaults, so agreements signed before them keep verifying.
//! - **The plan** ([`Planner`]): for every customer and category `Include`, `Exclude(reason)` or
//!   `Pending(what is missing)` ([`Eligibility`]), each with its citation and, where several requirements
//!   fail, the others listed; counted by reason. The rules are on [`Planner`]; in short: an objection or
//!   refusal recorded at any time before packaging excludes, whoever it is addressed to (PIPL Art 44); each
//!   consent a category needs is its own requirement with its own article ([`ConsentRequirement`]: PIPL
//!   Arts 31, 39, 29 on either path, 23 on the consent path); the objection window runs as the Civil Code
//!   counts it on a working-day calendar. The CAC 2024 cross-border check ([`CrossBorderThresholds`], data)
//!   counts the year's running total — custodia's earlier exports and a declared outside figure, inputs
//!   the caller's durable counter supplies ([`CrossBorderYear`], [`PriorExport`]), plus this plan's people,
//!   insured persons and beneficiaries included — and refuses a plan whose agreed mechanism falls short,
//!   so splitting a book into plans cannot avoid a mechanism. [`DisposalPlanRule`] is the NDSR Arts 28, 32
//!   gate a case runs before executing.
//! - **Notices** ([`notice`]): what each path requires in Simplified Chinese and English — every PIPL Art
//!   17 item, PIPL Arts 30, 31 and 39, the window's deadline and the consequences of objecting or refusing,
//!   with no raw codes — published as versioned consent-crate notices and served as notice-served events on
//!   the consent ledger; customers' answers are read back from the same ledger ([`ResponseIndex`]; [`responses`]
//!   documents which addressees count).
//! - **The data room** ([`data_room`]): what a buyer may see before signing, with no personal information
//!   (PIPL Art 73(4)): counts with small cells suppressed and a k-anonymous sample, and the ledger record of
//!   what was shown.
//! - **The package** ([`mod@package`], [`PackageWriter`](package::PackageWriter), [`fn@package`]): a streaming, versioned,
//!   length-prefixed format, documented byte by byte; sealed sections travel as they are, each customer's
//!   DEK re-wrapped under one fresh transfer key, which is sealed once to the buyer with HPKE; a manifest of
//!   one entry per customer committed by an RFC 9162 root; each customer's entry (ids, categories, versions,
//!   key, sections) sealed under an entry key derived from the transfer key (format 2), so a reader without
//!   it learns counts and sizes only; the seller signs a domain-separated message over the header, the
//!   counts, a digest of the sealed entry records and the root — every byte. [`verify_package`] checks that
//!   signature without any key and says it did not recompute the root; [`verify_package_with_key`] opens
//!   the entries and recomputes it. Every byte is specified in `spec/package.md`.
//! - **Import** ([`import`]): verifies everything, opens the transfer key, checks sections (or a sample),
//!   re-wraps DEKs under the buyer's keyring, optionally re-keys ([`Rekey::FreshKeys`]); any failure is a
//!   typed error naming the entry. **Receipts** ([`SignedReceipt`]) signed by the buyer, verified by the
//!   seller, appended to its ledger. **Proofs** ([`prove`], [`CustomerProof`]) that show a customer their
//!   record was, or was not, moved.
//! - **Disposition** ([`DispositionPlanner`]): after the receipt, the retention profile's transfer duty
//!   (PIPL Art 47(1)(2)) against its floors (Broker Rule 2018 Art 51, AML Law 2024 Art 34) gives destruction
//!   plans for two approvers (whole customers crypto-shredded; single categories deleted from the vault by
//!   `custodia_retention::SectionShredder`) and storage-only restrictions, with certificates on the ledger;
//!   [`DispositionCounts`] counts them by [`DispositionOutcome`] and holding.
//! - **The report** ([`TransferReport`]): JSON, Markdown and one self-contained HTML page with an SVG chart.
//!
//! ## The key design decision: move keys, not bytes, and commit to what moved
//!
//! Sections are sealed per customer and category under the customer's DEK with AAD binding customer,
//! category and record version (custodia-crypto). So the seller never decrypts or re-encrypts a section to
//! transfer it: it re-wraps each included customer's DEK under one transfer key and hands the buyer the
//! ciphertexts unchanged. Packaging costs one HPKE seal, one key re-wrap per customer and one SHA-256 over
//! each section for the manifest; it grows with customers, not with section bytes, and no plaintext or
//! long-lived key leaves the seller (PIPL Art 51). The manifest's RFC 9162 root, signed with the header
//! (which binds the transfer id and the digest of the exact signed agreement), makes the package one
//! verifiable object: a flipped byte, another buyer's key or a replay under another agreement fails. Entries
//! are sorted by customer id, so two adjacent entries prove that a customer was *not* moved.
//!
//! Import streams too, so the signature covering every entry is only checked at the end: the buyer imports
//! into a **fresh staging store that is adopted only on success** (custodia-brokerage's buyer case imports
//! inside one transaction of the buyer's store, committed only on success); a store already holding a package
//! customer is refused.
//!
//! ## Speed and memory
//!
//! Planning keeps counts only; each [`CustomerPlan`] goes back to the caller. Packaging keeps a stack of
//! O(log n) subtree hashes (plus, if asked, the [`ManifestTree`] for proofs: about 80 bytes per customer); import
//! keeps the tree and one entry at a time; the reader never allocates more than the bytes that arrive. The
//! caller's list of [`Moving`] customers and the [`ResponseIndex`] are the only per-customer state, a few
//! dozen bytes each. Measured with the library alone (`examples/scale.rs`, 256-byte sections, five per
//! customer, every section opened on import), on a 2-core machine shared with other jobs:
//!
//! | customers | plan + package + import | package size | peak resident memory |
//! |---:|---:|---:|---:|
//! | 100,000 | 1.7 s | 174 MB | 29 MiB |
//! | 1,000,000 | 15.4 s | 1.7 GB | 281 MiB |
//!
//! The documented command: `cargo build --release -p custodia-transfer --example scale &&
//! /usr/bin/time -v target/release/examples/scale 1000000 /tmp/scale.pkg` (read "Maximum resident set
//! size"). The whole main job on SQLite (`examples/license_transfer.rs`, a durable case through
//! custodia-brokerage) runs 10,000 customers in about 13 s, half of it onboarding the book.
//!
//! ## Legal readings this crate makes (each a setting or a documented choice)
//!
//! - The licence itself may not be sold (the Broker Rule 2018 forbids transferring the licence; its text
//!   is not in the project's folder and the article is not verified here, so it is cited as the rule): a
//!   "licence transfer" is a share acquisition or a book transfer ([`DealKind`]).
//! - A sensitive category needs separate consent on the PIPL Art 22 path too (PIPL Art 29 does not
//!   distinguish the path); [`SensitiveRule::FollowPath`] therefore behaves as `RequireSeparateConsent`.
//! - The objection window is the parties' term for when silence may be taken as no objection; it never cuts
//!   off the right to object (PIPL Art 44), so an objection after it and before packaging excludes.
//! - A refusal on the notice path is an objection; a refusal on the consent path cites PIPL Art 44.
//! - A guardian's consent for a beneficiary under 14 comes through the policyholder only when the
//!   policyholder is the child's parent (Civil Code Art 27); otherwise the section stays behind.
//! - Who keeps the records after the transfer ([`RecordKeeper`], default the seller); data the seller keeps
//!   restricted to storage (PIPL Art 47(2)) does not move unless the buyer keeps the records.
//! - A dissolving seller's AML due-diligence records go to the designated body (AML Law 2024 Art 34), so
//!   [`DataCategory::KycAml`](custodia_model::DataCategory::KycAml) stays behind; identity moves, because the
//!   buyer must serve the customer.
//! - NDSR Art 32 is read to cover a book transfer ("合并、分立、解散、破产等"), the cautious reading.
//! - The declared outside export figure is added to custodia's count, never deduplicated against it.
//! - The CAC 2024 provisions are not in the project's folder: their thresholds are the regulations
//!   README's and are cited as the whole instrument.
//!
//! ## What it must not do
//!
//! Talk to a database or name a backend: sections come in and go out through custodia-crypto's one vault
//! seam, `custodia_crypto::SectionVault`, and keys through `custodia_crypto::KeyStore` (custodia-store is
//! not a dependency; one store value may serve as both). Draw randomness itself: the package's salts come
//! from `custodia_crypto::random`.
//! Print, or read the clock: times are arguments (only new UUID v7 ids, for events and destruction plans,
//! take the current time, as v7 requires), and progress goes to a caller-owned callback
//! (`&mut dyn FnMut(custodia_model::Progress)`).
//! Touch key bytes: wrapping, sealing and HPKE stay inside custodia-crypto. Put personal information into a
//! ledger payload, a report or an error: only ids, categories, counts and digests. Decide an open legal
//! question: the legal path and the AML setting are the user's.
//!
//! ## Example
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use custodia_consent::{PartyId, TransferPath};
//! use custodia_crypto::{
//!     InMemoryKeyStore, InMemoryVault, KeyStore, Keyring, KeyringConfig, RecipientKeyPair, SectionVault, SigningKey,
//! };
//! use custodia_model::{CustomerId, DataCategory, Jurisdiction, Purpose, TransferId, UnifiedSocialCreditCode};
//! use custodia_transfer::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (seller_key, buyer_key) = (SigningKey::generate()?, SigningKey::generate()?);
//! let buyer_box = RecipientKeyPair::generate()?;
//! let code = |stem: &str| -> Result<UnifiedSocialCreditCode, Box<dyn std::error::Error>> {
//!     let check = UnifiedSocialCreditCode::check_character(stem.as_bytes()).ok_or("check")?;
//!     Ok(UnifiedSocialCreditCode::new(&format!("{stem}{}", char::from(check)))?)
//! };
//! let party = |name: &str, stem: &str, key: &SigningKey| -> Result<TransferParty, Box<dyn std::error::Error>> {
//!     let details = PartyDetails {
//!         party_id: PartyId::new_v7(),
//!         name: name.into(),
//!         credit_code: code(stem)?,
//!         licence: "260000000000001".into(),
//!         contact: "dpo@example.invalid".into(),
//!         jurisdiction: Jurisdiction::MAINLAND_CHINA,
//!     };
//!     Ok(TransferParty::with_keys(details, &key.verifying_key(), &buyer_box.public_key())?)
//! };
//! let terms = AgreementTerms {
//!     transfer_id: TransferId::new_v7(),
//!     seller: party("卖方经纪", "91310000MA1FL0001", &seller_key)?,
//!     buyer: party("买方经纪", "91110000MA0000009", &buyer_key)?,
//!     legal_path: TransferPath::MergerNotice,
//!     scope: vec![ScopeItem { purpose: Purpose::PolicyServicing, categories: [DataCategory::Policies].into() }],
//!     selection: CustomerSelection::Active,
//!     objection_window_days: 30,
//!     sensitive: SensitiveRule::RequireSeparateConsent,
//!     minors: MinorRule::RequireGuardianConsent,
//!     cross_border: None,
//!     obligations: BuyerObligations {
//!         continue_retention_duties: true,
//!         purpose_limitation: true,
//!         security_measures: "envelope encryption".into(),
//!     },
//!     impact_assessment: "PIA-2026-001".into(),
//!     deal: DealTerms::default(),
//!     effective: NaiveDate::from_ymd_opt(2026, 6, 1).ok_or("date")?,
//! };
//! // Both sign the same canonical bytes; only the fully signed agreement is usable.
//! let agreement = DraftAgreement::new(terms)?.sign_as_seller(&seller_key)?.countersign_as_buyer(&buyer_key)?;
//!
//! // The seller's store: one customer, one sealed section.
//! let seller_ring = Keyring::derive_from_master(&[1; 32], 1, KeyringConfig::default())?;
//! let (keys, sections) = (InMemoryKeyStore::new(), InMemoryVault::new());
//! let customer = CustomerId::new_v7();
//! let (dek, wrapped) = seller_ring.generate_dek(customer)?;
//! keys.put_wrapped_key(&wrapped)?;
//! let sealed = custodia_crypto::seal_section(&dek, customer, DataCategory::Policies, 1, b"[]")?;
//! sections.put_section(customer, DataCategory::Policies, 1, &sealed)?;
//!
//! // Package (seller) and import (buyer, into a fresh staging store).
//! let moving = vec![Moving { customer, categories: vec![DataCategory::Policies] }];
//! let now = Utc.with_ymd_and_hms(2026, 7, 15, 9, 0, 0).single().ok_or("time")?;
//! let mut package_bytes = Vec::new();
//! let (summary, _) = package(&mut package_bytes, &agreement,
//!     Seller { signing_key: &seller_key, keyring: &seller_ring, keys: &keys, sections: &sections },
//!     PackageContents { moving, created_at: now, proof_tree: ProofTree::Discard }, &mut |_| {})?;
//! let buyer_ring = Keyring::derive_from_master(&[2; 32], 1, KeyringConfig::default())?;
//! let (staged_keys, staged) = (InMemoryKeyStore::new(), InMemoryVault::new());
//! let outcome = import(package_bytes.as_slice(), &agreement,
//!     Buyer { recipient: &buyer_box, keyring: &buyer_ring, keys: &staged_keys, sections: &staged },
//!     &ImportSettings::default(), &mut |_| {})?;
//! assert_eq!((outcome.customers, outcome.root), (1, summary.root));
//!
//! // The buyer's signed receipt, verified by the seller.
//! let receipt = outcome.receipt(&agreement, now);
//! let signed = SignedReceipt::sign(receipt, &agreement, &buyer_key)?;
//! SignedReceipt::verify(&signed.encode(), &agreement, &summary)?;
//!
//! // A flipped byte anywhere fails the import.
//! package_bytes[200] ^= 1;
//! let (k2, s2) = (InMemoryKeyStore::new(), InMemoryVault::new());
//! assert!(import(package_bytes.as_slice(), &agreement,
//!     Buyer { recipient: &buyer_box, keyring: &buyer_ring, keys: &k2, sections: &s2 },
//!     &ImportSettings::default(), &mut |_| {}).is_err());
//! # Ok(())
//! # }
//! ```

mod agreement;
mod codec;
pub mod data_room;
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
mod readiness;
mod receipt;
mod report;
pub mod responses;

pub use agreement::{
    AGREEMENT_FORMAT, AgreementDigest, AgreementTerms, BuyerObligations, BuyerSigned, CrossBorderTerms,
    CustomerSelection, DealKind, DealTerms, DisposalPlanReport, DraftAgreement, ExemptionGround,
    MAX_AGREEMENT_LEN, Mechanism, MinorRule, OperatorStatus, RecordKeeper, SIGNED_AGREEMENT_MAGIC, ScopeItem,
    SellerAfterTransfer, SellerSigned, SensitiveRule, SignedAgreement,
};
pub use disposition::{Disposition, DispositionCounts, DispositionOutcome, DispositionPlanner};
pub use error::TransferError;
pub use import::{
    Buyer, ImportOutcome, ImportSettings, Moving, PackageContents, Rekey, SectionCheck, Seller, import,
    package,
};
pub use manifest::{
    CustomerProof, MANIFEST_ENTRY_VERSION, ManifestEntry, ManifestTree, ProofOutcome, ProofTree,
    ProvenManifestEntry, RootBuilder, SectionDigest,
};
pub use package::{
    PackageCheck, PackageSummary, VerifiedPackage, WriterSettings, verify_package, verify_package_with_key,
};
pub use party::{
    ForeignPartyDetails, ForeignRegistration, MAX_PARTY_TEXT, PartyDetails, TransferParty,
    TransferPartyFields,
};
pub use plan::{
    CategoryDecision, ConsentRequirement, CoveredPersonFacts, CrossBorderCheck, CrossBorderThresholds,
    CrossBorderYear, CustomerCounts, CustomerFacts, CustomerFactsFields, CustomerPlan, DeclaredExports,
    Eligibility, EligibilityCounts, ExcludeReason, ExportedPerson, PendingReason, PersonKey, PlanContext,
    PlanSummary, Planner, PriorExport,
};
pub use proof::prove;
pub use readiness::{DisposalPlanRule, DisposalPlanStatus};
pub use receipt::{RECEIPT_FORMAT, RECEIPT_MAGIC, SignedReceipt, TransferReceipt};
pub use report::{
    AgreementSection, Check, CheckRow, HoldingRow, PackageSection, PlanBar, PlanChart, ReportView, Row,
    TransferReport,
};
pub use responses::{Observed, Response, ResponseIndex, ResponseKind};
