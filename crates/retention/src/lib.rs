//! # custodia-retention
//!
//! For every customer and data category, whether the brokerage **must keep** it, **may keep** it, must
//! **restrict it to storage**, or must **destroy** it — and why, citing the rule.
//!
//! ## What it owns
//!
//! - **Rules as data** ([`RetentionRule`], [`Profile`]): each rule names its citation, what it applies to
//!   (categories, record kinds, purposes, jurisdictions), the event that starts its clock ([`Trigger`]),
//!   a minimum period (a legal floor) and an optional maximum (a duty to delete). Profiles load from and
//!   save to JSON or TOML and are validated on load, every error naming the rule. Two profiles are
//!   shipped: `cn-insurance-broker` (Broker Rule 2018 Art 51, AML Law 2024 Art 34 — its floors, which open
//!   only with a relationship or due diligence, and its hand-over on dissolution —, PIPL Arts 15, 19, 21,
//!   47, 56, NDSR Arts 12, 22(5), 24, Cybersecurity Law 2016 Art 21(3), and the sales-recording, accounting
//!   and complaint records whose texts are not in our folder) and `gdpr` (GDPR Arts 5(1)(e), 17(1)(a),
//!   17(1)(b); floors for legal claims, Art 17(3)(e), and for the EU AML rules, Directive (EU) 2015/849
//!   Art 40(1), a setting). A period the law leaves open is a setting ([`PeriodSettings`], written `$name`
//!   in a rule), each with a documented default: the post-relationship period, the marketing limit, the
//!   sales-recording periods and others. A holding no rule covers is an error ([`RetentionError::NoRule`]),
//!   never "keep forever". For an EEA customer [`RetentionDecision::gdpr_grounds`] says on which GDPR ground
//!   each floor keeps the data: a Chinese duty is never a GDPR Art 6(1)(c) or 17(3)(b) ground (Art 6(3)),
//!   and no rule may cite those articles in place of the law that imposes the duty.
//! - **Calendar periods** ([`Period`]) counted as the Civil Code counts them (民法典 Arts 201, 202): one
//!   year from 29 February ends on 28 February; with a working-day calendar ([`Profile::with_calendar`]),
//!   a last day on a rest day moves to the next working day (Art 203).
//! - **Legal holds** ([`Holds`]): placed and released with reason, scope and who; a hold always wins.
//! - **Decisions** ([`Profile::decide`]): [`RetentionOutcome::Retain`], [`RetentionOutcome::StorageOnly`] (a duty to delete
//!   meets an unexpired legal floor), [`RetentionOutcome::Destroy`] or [`RetentionOutcome::HandOver`] (AML
//!   records to the designated body on dissolution), with every [`RetentionReason`] naming its rule and
//!   citation, and [`RetentionDecision::kept_under`] naming what keeps a holding: PIPL Art 47(2) for a floor
//!   a law or administrative regulation sets, PIPL Art 13(1)(3) for a departmental rule's (the Broker
//!   Rule).
//! - **Sweeps** ([`sweep`]): a whole book, streamed in and out, into what is destroyable now (handed to
//!   a [`SweepObserver`]), what becomes so and when, and the next review date; progress goes to the
//!   caller's `&mut dyn FnMut(Progress)` like every long operation's.
//! - **Destruction** ([`DestructionPlan`]): two distinct approvers, each signing the plan's digest with
//!   custodia-access's signed approvals, neither the proposer nor the operator (internal supervision), holds checked
//!   again at execution, shredding through a [`Shredder`], and [`DestructionCertificate`]s (in batches of
//!   customers) appended to the ledger through [`CertificateLog`], which `custodia_ledger::Log`
//!   implements. [`KeyStoreShredder`] crypto-shreds whole customers through `custodia_crypto::KeyStore`;
//!   single categories need a section store's shredder. Every customer of a plan gets a line in the
//!   report (destroyed, already destroyed, held, failed); re-running a plan is safe.
//!
//! ## The key design decision
//!
//! Retention is **pure decision logic over facts the caller supplies** ([`RetentionFacts`]): dates of
//! contract ends, the relationship's end, transactions, withdrawals, fulfilled purposes, a completed
//! transfer. Floors and duties are computed independently and then combined by one rule — a due duty
//! meets the latest floor — so every outcome can be explained by the reasons it lists, a later date can
//! never undo a `Destroy` on the same facts, and a withdrawal can never extend retention past the floors.
//!
//! When the relationship has ended, the post-relationship period (complaints, beneficiaries' claims,
//! liability; a setting the notice states) has passed and every floor has expired, the holding is
//! destroyed: the broker no longer serves the customer (PIPL Art 47(1)(2), rule
//! `pipl-47-relationship-ended`). Records about the book (impact assessments, provision records) are not
//! deleted by a customer's event: they run from the end of the processing they document. A withdrawal
//! leaves a minimal suppression record and the consent evidence, records of their own.
//!
//! ## What it must not do
//!
//! It does no I/O, reads no clock (every date is an argument), prints nothing and holds no key: shredding
//! goes through the [`Shredder`] trait, certificates through [`CertificateLog`]. It does not depend on
//! the model's `Customer` type, only on its vocabulary (ids, categories, purposes, jurisdictions,
//! citations). Certificates carry ids, categories and rule citations, never personal information.
//!
//! ## Example
//!
//! ```
//! use chrono::NaiveDate;
//! use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
//! use custodia_retention::{
//!     Contract, ContractTerm, HeldData, Holding, Holds, RetentionOutcome, Profile, RetentionFacts, PurposeBasis,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("bad date");
//! let profile = Profile::cn_insurance_broker()?;
//! let customer = CustomerId::new_v7();
//! let servicing = vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)];
//! let facts = RetentionFacts::builder(customer, Jurisdiction::MAINLAND_CHINA)
//!     .held(HeldData::new(customer, Holding::Category(DataCategory::Policies), day(2015, 3, 1)?, servicing)?)
//!     .contract(Contract::ending(ContractTerm::OneYearOrLess, day(2016, 3, 1)?))
//!     .relationship_ended(day(2016, 3, 1)?)
//!     .build()?;
//!
//! // The relationship ended, but Broker Rule Art 51 keeps the business file 5 years: storage only.
//! let decisions = profile.decide(&facts, &Holds::new(), day(2020, 6, 1)?)?;
//! assert_eq!(decisions[0].outcome(), RetentionOutcome::StorageOnly { until: Some(day(2021, 3, 1)?) });
//!
//! // The day after the fifth anniversary, it must be destroyed.
//! let decisions = profile.decide(&facts, &Holds::new(), day(2021, 3, 2)?)?;
//! assert_eq!(decisions[0].outcome(), RetentionOutcome::Destroy { due_since: day(2021, 3, 2)? });
//! # Ok(())
//! # }
//! ```

mod decision;
mod destruction;
mod error;
mod facts;
mod gdpr;
mod hold;
mod period;
mod profile;
mod rule;
mod sweep;

pub use decision::{RetentionDecision, RetentionOutcome, RetentionReason, RuleEffect};
pub use destruction::{
    ApprovedPlan, CertificateEntry, CertificateLog, DestructionCertificate, DestructionMethod,
    DestructionPlan, Execution, ExecutionReport, ItemReport, ItemStatus, KeyStoreShredError,
    KeyStoreShredder, PLAN_DIGEST_DOMAIN, PLAN_DOCUMENT_KIND, PlanId, PlanItem, PlannedHolding,
    REQUIRED_APPROVALS, RuleCitation, SectionShredError, SectionShredder, ShredRequest, Shredded, Shredder,
    execute,
};
pub use error::RetentionError;
pub use facts::{
    Closures, Contract, ContractTerm, FactsBuilder, HeldData, Holding, PurposeBasis, PurposeEvent,
    RecordKind, RetentionFacts,
};
pub use gdpr::{ForeignFloorGround, GdprFloorGround, GdprRetentionGround};
pub use hold::{HeldCustomers, HoldId, HoldScope, Holds, LegalHold, PlaceHold, Release};
pub use period::Period;
pub use profile::{PeriodSettings, Profile, ProfileDocument, Settings};
pub use rule::{
    Condition, OnDue, PeriodSetting, PeriodSpec, RetentionRule, RuleDocument, RuleId, RuleScope, Trigger,
};
pub use sweep::{Sweep, SweepConfig, SweepFailure, SweepInput, SweepObserver, SweepSummary, sweep};
