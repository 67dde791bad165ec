//! # custodia-brokerage
//!
//! The application layer, and the API boundary of custodia: programs (the main job, the operator CLI)
//! and services (the HTTP service) call this crate, and nothing below it. A [`Brokerage`] is one
//! insurance brokerage opened over **one store** — an SQLite file by default, a PostgreSQL schema with
//! the `postgres` feature — that holds its ledger, its wrapped keys, its sealed sections and its own
//! records; its keys come from a [`KeySource`], never from the database. Every workflow is a method of
//! the brokerage or of a case it opens: a program never implements a storage seam to run one.
//!
//! ## What it owns
//!
//! - **Opening**: the store's lock (a second brokerage on one SQLite store gets
//!   [`BrokerageError::StoreInUse`]), the key hierarchy derived from the root secret (KEK keyring, ledger
//!   key, party signing key, recipient key pair, blind-index key), the KEK state recorded in the store.
//! - **Every day**: [`Brokerage::onboard_batch`] (validate, seal per category, store, record version 1
//!   with the notice shown at collection and the legal basis of each purpose: PIPL Arts 13, 14, 17),
//!   [`Brokerage::update`] (a new version: who, when, which fields; PIPL Art 46),
//!   [`Brokerage::read`] (a principal's read through custodia-access's gate, its decision on the ledger
//!   in the same unit of work; principals and signed approvals in the records table:
//!   [`Brokerage::put_principal`], [`Brokerage::store_approval`]; bulk-read alerts of the monitors run on
//!   every gated read, stored and listed with [`Brokerage::alerts`], forwarded to [`Brokerage::on_alert`]),
//!   [`Brokerage::read_trusted`] (the
//!   trusted path of the brokerage's own workflows),
//!   [`Brokerage::publish_notice`], [`Brokerage::record_consent`] (read back by id with
//!   [`Brokerage::consent_event`], notices with [`Brokerage::published_notice`]), [`Brokerage::retention_sweep`],
//!   [`Brokerage::rotate_kek`], legal holds, blind-index lookups, ledger checkpoints and verification.
//! - **Customers' requests** (custodia-rights, PIPL Arts 44–50): [`Brokerage::receive_request`] for a
//!   customer it holds, identity checks, extensions, answers it carries out itself
//!   ([`Brokerage::answer_deletion`] through retention's destruction path, [`Brokerage::answer_correction`]
//!   as a new version, [`Brokerage::answer_consent_change`] through the consent path), the open and overdue
//!   lists, and [`Brokerage::issue_receipt`], verifiable with [`Brokerage::rights_keys`] alone; each step
//!   one unit of work holding the request's JSON and its ledger entry.
//! - **Licence transfers as durable cases over real dates**: a [`SellerCase`] (notices published and
//!   served in batches ([`SellerCase::served_notice`] reads one customer's back), answers recorded as they
//!   arrive, a preview any day, execution on or after the
//!   execution date, the package, the buyer's receipt, the approved disposition, the report, the
//!   evidence folder) and a [`BuyerCase`] (the import adopted atomically, the receipt). Each is a row in
//!   the store plus a ledger entry and a signed checkpoint for every step; each step is a separate call at
//!   its real time (the clock is injected: [`Clock`], [`ManualClock`]), idempotent, refused out of order
//!   with [`BrokerageError::OutOfOrder`] naming the case's [`CaseState`], and resumable after a crash.
//! - **Evidence**: [`SellerCase::export_evidence`] writes only public material; [`verify_evidence`]
//!   re-checks the folder offline with nothing else.
//! - **Oversight** (custodia-oversight, issue 19): the incident register ([`Brokerage::register_incident`],
//!   [`Brokerage::derive_affected`] from the KEK history, the key store and the access log, the remedies,
//!   reports, the PIPL Art 57 decision, [`Brokerage::overdue_clocks`]), impact assessments approved by a
//!   verified quorum of signed principals, [`Brokerage::records_of_processing`], and the audit pack
//!   ([`Brokerage::export_audit_pack`], [`verify_audit_pack`]: public keys only).
//!
//! ## The key decisions, and why
//!
//! **One transaction per step.** Every write goes through one internal function that takes the
//! brokerage's write lock and runs the step as one unit of work of the store
//! (`custodia_store::UnitOfWork`): its ledger entries, its vault and key writes and its records commit
//! together or not at all. So a process killed at any point leaves a step done or not begun, and calling
//! it again finishes it. That is what makes a case resumable, and what the crash test
//! (`tests/transfer_crash.rs` at the workspace root) checks by killing a child process at random points
//! of every step.
//!
//! **Idempotent by identity, not by luck.** A notice-served customer has a served marker; a consent event
//! is recorded once by its id; a case row is swapped only from the state it was read in; the package's
//! transfer key, HPKE ephemeral, re-wrap nonces and salts are derived from the case's secret (itself
//! derived from the root secret and the agreement's digest), so a package written again after a crash is
//! the same bytes; a receipt is Ed25519, deterministic.
//!
//! **Bounded memory.** Nothing per customer is held for the whole book: steps stream customers in id
//! order, a batch at a time ([`BrokerageConfig::with_batch`]); each batch reads its customers' sealed
//! facts and, through a per-customer index of ledger entries in the records table, just their consent
//! events, and builds a small consent index over them instead of one whole-book index.
//!
//! **Facts from the vault.** Plans and retention read the model record reassembled from the vault's
//! newest sections over a small sealed record of the fields no category holds (id, residence,
//! relationship dates, the version): the facts are derived by custodia-transfer's one function, a
//! category erased from the vault is gone from them too (PIPL Art 47), and crypto-shredding a customer
//! erases everything at once.
//!
//! **The vault anchored in the ledger.** Every section, wrapped-key, blind-index and tombstone write is
//! noted by the store and appended in the same unit of work as one pseudonymous entry per customer;
//! [`Brokerage::verify_vault`] reconciles the store with those entries and, given a checkpoint an auditor
//! holds, finds a store restored from an older copy.
//!
//! ## Speed and memory
//!
//! The main job (`examples/license_transfer.rs`: onboarding, notices, answers, preview, execution, package,
//! import, receipt, disposition, report, evidence folder), SQLite at full durability, release build, on a
//! 2-core machine shared with other builds, 2026-12-02 (BENCHMARKS.md, "The main job at a million
//! customers", has every phase, the bytes written and the profile):
//!
//! | customers | wall time | of which onboarding | CPU | peak resident memory | bytes written ÷ files left |
//! |---:|---:|---:|---:|---:|---:|
//! | 100,000 | 412 s (at 37 % of the machine) | 129 s | 153 s | 656 MiB | 2.7× |
//! | 100,000, bounded `verify_vault` (later the same day, load 3–4) | 130 s | 88 s | 98 s | 559 MiB | |
//!
//! Up to the disposition memory stays under 300 MiB (one batch of customers, the package's O(log n) tree
//! state, the manifest tree for the import and the customers' proofs). The first peak was
//! [`Brokerage::verify_vault`]'s reconciliation, which held every customer's expected state (~5.75 KB each);
//! it now holds at most ~65,536 customers' at a time (~1.4 KB each, issue 22), and the run stays at ~270 MiB
//! through both stores' verification. The peak is now the audit pack, which holds every destruction
//! certificate in memory, typed and as JSON, to write and verify it (BENCHMARKS.md).
//! At a million customers the run does not yet meet the scale issue's 90 s and 512 MiB (BENCHMARKS.md says
//! why and what would).
//!
//! ## What it must not do
//!
//! - Talk to a database itself (custodia-store does), touch key bytes (custodia-crypto does), or decide a
//!   rule (the domain crates do): it composes them.
//! - Print: progress goes to `&mut dyn FnMut(custodia_model::Progress)` callbacks the caller owns.
//! - Put personal information on the ledger or in an error: ledger entries carry ids, codes, counts and
//!   digests; errors name ids and paths.
//! - Depend on anything above it: only the facade, the CLI and the service depend on it (`tests/tidy.rs`).
//!
//! ## Example: a whole licence transfer, seller and buyer, on SQLite
//!
//! ```
//! use custodia_brokerage::prelude::{ActorId, Brokerage, BrokerageConfig, CaseState, DraftAgreement, KeyFile};
//! use custodia_brokerage::prelude::{ManualClock, NoticeRound, Onboarding, TransferPath};
//! use custodia_synthetic::{book::{BookConfig, SyntheticBook}, consent::{at_nine, privacy_notice}, parties};
//! let (dir, clock) = (tempfile::tempdir()?, ManualClock::at(at_nine("2026-05-31".parse()?)?));
//! let open = |name: &str| -> Result<Brokerage, Box<dyn std::error::Error>> {
//!     let config = BrokerageConfig::sqlite(dir.path().join(format!("{name}.db"))).with_clock(clock.clone());
//!     Ok(Brokerage::open(config, &KeyFile::create(dir.path().join(format!("{name}.key")))?)?)
//! };
//! let (seller, buyer, actor) = (open("seller")?, open("buyer")?, |id: &str| ActorId::new(id));
//! // The seller's book: twenty customers, sealed, each with the privacy notice they were shown.
//! let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", seller.now())?;
//! seller.publish_notice(&notice)?;
//! let book = SyntheticBook::generate(&BookConfig { customers: 20, ..Default::default() }, "2026-05-31".parse()?)?;
//! let onboard = book.customers().iter().map(|c| Onboarding::new(c.customer.clone(), notice.reference()));
//! seller.onboard_batch(onboard, &mut |_| {})?;
//! // The agreement: the sample terms with each side's own keys, signed by both.
//! let mut terms = parties::terms(&parties::SampleKeys::generate()?, TransferPath::MergerNotice)?;
//! (terms.seller, terms.buyer) = (seller.as_party(&terms.seller)?, buyer.as_party(&terms.buyer)?);
//! let agreement = buyer.countersign_as_buyer(seller.sign_as_seller(DraftAgreement::new(terms)?)?)?;
//! // The impact assessment the agreement names (PIPL Art 55(3)), approved by two approvers (principals
//! // with the approver role) who sign its digest; execution is refused without it.
//! let approvers = custodia_synthetic::staff::Staff::approvers(&["dpo-1", "cco-1"], seller.now())?;
//! approvers.iter().try_for_each(|a| seller.put_principal(&a.principal))?;
//! let pia = custodia_synthetic::assessment::for_transfer(agreement.terms(), actor("privacy-office")?, seller.now())?;
//! seller.store_assessment(&pia)?;
//! let request = seller.assessment_approval_request(pia.id)?;
//! seller.approve_assessment(pia.id, &custodia_synthetic::staff::sign_each(&approvers, &request)?)?;
//! // Seller: notices; after the 30-day window, the final plan (pending stays, excluded) and the package.
//! clock.set(at_nine("2026-06-01".parse()?)?);
//! let case = seller.open_seller_case(&agreement)?;
//! case.publish_notices()?;
//! case.serve_notices(NoticeRound::everyone(actor("notices-bot")?))?;
//! clock.set(at_nine(case.execution_date()?)?);
//! let plan = case.execute(Default::default())?;
//! let package = case.write_package(&dir.path().join("transfer.pkg"))?;
//! // Buyer: verify, adopt atomically, sign the receipt. Seller: verify it, dispose, report, evidence.
//! let buying = buyer.open_buyer_case(&agreement)?;
//! assert_eq!(buying.import(&package.path, &mut |_| {})?.root, package.root);
//! case.verify_receipt(&buying.sign_receipt()?)?;
//! case.plan_disposition(actor("ops-1")?)?;
//! // The same two approvers sign each destruction plan's digest.
//! for approver in &approvers {
//!     case.approve_disposition(&approver.sign(&case.disposition_requests()?)?)?;
//! }
//! case.execute_disposition(actor("ops-2")?)?;
//! let (report, evidence) = (case.close(Vec::new())?, dir.path().join("evidence"));
//! case.export_evidence(&evidence, &[])?;
//! let checked = custodia_brokerage::verify_evidence(&evidence)?;
//! assert_eq!((checked.root, checked.customers), (report.package.root, plan.customers_moving));
//! assert!(report.all_passed() && case.state()? == CaseState::Closed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("custodia-brokerage needs a store: enable the `sqlite` feature (the default) or `postgres`");

mod access;
mod alerts;
mod anchor;
mod backend;
mod brokerage;
mod calendar;
mod case;
mod clock;
mod config;
mod consent;
mod customers;
mod error;
mod evidence;
mod keys;
mod oversight;
mod planning;
mod proofs;
mod records;
mod rights;
mod store_dir;
mod sweep;

pub use access::{GatedSections, ReadRequest};
pub use alerts::{AlertSink, SNAPSHOT_EVERY};
pub use anchor::VaultVerified;
pub use brokerage::{Brokerage, KekRotation, OldKeks, PublicKeys};
pub use case::CaseListing;
pub use case::buyer::{BuyerCase, Imported};
pub use case::seller::{
    Disposed, NoticeRound, PackageWritten, PublishedNotices, Reached, SellerCase, Served, ServedNotice,
    VerifiedReceipt, WhilePending,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{BrokerageConfig, DEFAULT_BATCH};
pub use consent::{Recorded, RecordedEvent};
/// The PostgreSQL settings [`BrokerageConfig::postgres`] and [`StoreDir::postgres_config`] take (schema,
/// TLS), re-exported so that a program over the brokerage need not depend on the store crate.
#[cfg(feature = "postgres")]
pub use custodia_store::PostgresConfig;
pub use customers::{AdoptedFacts, Onboarded, Onboarding, TrustedRead, Update};
pub use error::{BrokerageError, CaseRole, CaseState};
pub use evidence::{EvidenceFolder, VerifiedEvidence, verify_evidence};
pub use keys::{EnvKeySource, KeyFile, KeySource, StaticKeySource};
pub use oversight::pack::{
    AUDIT_PACK_DOMAIN, AuditPack, AuditStatistics, VerifiedAuditPack, verify_audit_pack,
    verify_audit_pack_files,
};
pub use oversight::{ASSESSMENT_DOCUMENT, AuditMark, Derived, OversightConfig, REVOKED_ROLE, Reverification};
pub use planning::CustomerDecisions;
pub use rights::{ConsentChanged, DeletionAnswered, ErasureRun, RightsConfig};
pub use store_dir::{StoreDir, StoreSettings};

/// The names a licence transfer needs, in one import: the brokerage's own and the domain names its calls
/// take and return. `custodia::prelude` re-exports it.
pub mod prelude {
    pub use crate::{
        Brokerage, BrokerageConfig, BrokerageError, BuyerCase, CaseRole, CaseState, Clock, EnvKeySource,
        KeyFile, KeySource, ManualClock, NoticeRound, OldKeks, Onboarding, Reached, SellerCase, SystemClock,
        Update, WhilePending, verify_evidence,
    };
    pub use custodia_consent::{Channel, ConsentEvent, Notice, TransferPath};
    pub use custodia_model::{ActorId, CustomerId, DataCategory, Progress};
    pub use custodia_transfer::{Check, DraftAgreement, PlanSummary, SignedAgreement, TransferReport};
}
