//! The one place the brokerage runs custodia-transfer's `Planner`: over the whole book in batches, each batch with its own small consent view, the counts merged — for a preview (read-only) or the final plan (what is still pending becomes excluded with its reason).
//!
//! The planner's durable inputs are wired here: the calendar year's running cross-border total comes from
//! the `transfer/exports` records every executed case leaves (and the declared figure for exports outside
//! custodia), and each batch's planner is handed the total so far, so the last batch checks the whole book
//! against the CAC 2024 thresholds (PIPL Art 38) and no split of the book into batches or cases avoids a
//! mechanism.

use chrono::{DateTime, Datelike, Utc};
use custodia_consent::{BasisPolicy, PurposeRule, TransferPath};
use custodia_model::{Citation, CustomerId, DataCategory, LegalBasis, Purpose, TransferId, beijing_date};
use custodia_retention::Holds;
use custodia_store::KeyRange;
use custodia_transfer::{
    CrossBorderThresholds, CrossBorderYear, DeclaredExports, Eligibility, PlanContext, PlanSummary, Planner,
    SignedAgreement,
};
use serde::{Deserialize, Serialize};

use crate::brokerage::{Brokerage, Ledger};
use crate::error::BrokerageError;
use crate::records::{self, DECLARED_EXPORTS, EXPORTS};

/// What one executed case exported abroad in a calendar year (the `transfer/exports` record, keyed by the
/// year and the transfer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct YearExports {
    pub(crate) non_sensitive: u64,
    pub(crate) sensitive: u64,
}

/// The key of a case's `transfer/exports` record: the year, big-endian, then the transfer.
pub(crate) fn exports_key(year: i32, transfer: TransferId) -> Vec<u8> {
    let mut key = year.to_be_bytes().to_vec();
    key.extend_from_slice(transfer.as_bytes());
    key
}

/// The calendar year (Beijing time) the CAC 2024 provisions count a plan at `at` in.
pub(crate) fn export_year(at: DateTime<Utc>) -> i32 {
    beijing_date(at).year()
}

/// One customer's decisions in a plan: each category held, and whether it moves and why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerDecisions {
    /// The customer.
    pub customer: CustomerId,
    /// Each category held and its decision, in category order.
    pub decisions: Vec<(DataCategory, Eligibility)>,
}

impl CustomerDecisions {
    /// The categories that move.
    pub fn included(&self) -> Vec<DataCategory> {
        self.decisions
            .iter()
            .filter(|(_, e)| e.is_include())
            .map(|(c, _)| *c)
            .collect()
    }
}

/// Whether a plan is a preview or the final plan of an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlanMode {
    /// As the planner says: pending stays pending.
    Preview,
    /// The execution's plan: what is still pending is excluded with the reason it was pending
    /// (`PendingReason::at_execution`).
    Final,
}

/// The consent basis policy a case decides under: the brokerage's, with the transfer purpose resting on
/// the agreement's legal path (PIPL Art 22 notice or Art 23 consent).
pub(crate) fn case_policy(policy: &BasisPolicy, path: TransferPath) -> BasisPolicy {
    let rule = match path {
        TransferPath::SeparateConsent => PurposeRule {
            purpose: Purpose::Transfer,
            basis: LegalBasis::Consent,
            citation: Citation::pipl("23"),
        },
        _ => PurposeRule {
            purpose: Purpose::Transfer,
            basis: LegalBasis::OtherLaw,
            citation: Citation::pipl("22"),
        },
    };
    policy.with_rule(rule)
}

/// Adds one customer's decisions to `summary` the way the planner counts them.
fn count(summary: &mut PlanSummary, plan: &CustomerDecisions) {
    summary.customers += 1;
    for (_, e) in &plan.decisions {
        summary.decisions.add(*e, 1);
    }
    let first_other = plan
        .decisions
        .iter()
        .map(|(_, e)| *e)
        .find(|e| *e != Eligibility::Include);
    let included = plan.decisions.iter().any(|(_, e)| e.is_include());
    match (first_other, included) {
        (None, true) => summary.customers_by_first.add(Eligibility::Include, 1),
        (None, false) => summary.customers_by_first.add_nothing_held(1),
        (Some(e), _) => summary.customers_by_first.add(e, 1),
    }
    if included {
        summary.customers_moving += 1;
    }
}

impl Brokerage {
    /// Plans `agreement` over the whole book at `at`, batch by batch, handing each customer's decisions to
    /// `sink` in id order. The counts are the planner's; the cross-border check is applied to the whole
    /// book's counts (the planner sees one batch at a time).
    pub(crate) fn plan_book(
        &self,
        agreement: &SignedAgreement,
        at: DateTime<Utc>,
        mode: PlanMode,
        sink: &mut dyn FnMut(CustomerDecisions) -> Result<(), BrokerageError>,
    ) -> Result<PlanSummary, BrokerageError> {
        let terms = agreement.terms();
        let policy = case_policy(&self.policy, terms.legal_path);
        let holds: Holds = self.holds()?;
        let thresholds = CrossBorderThresholds::default();
        let buyer = terms.buyer.party_id();
        let mut summary = PlanSummary::default();
        // The running total: earlier cases this year, then each batch's new people as the plan goes.
        let mut year = match terms.cross_border {
            Some(_) => Some(self.cross_border_year(agreement.transfer_id(), at)?),
            None => None,
        };
        let calendar = self.calendar()?;
        let (mut exported_non_sensitive, mut exported_sensitive) = (0u64, 0u64);
        self.customer_batches(&mut |batch| {
            let ids: Vec<CustomerId> = batch.iter().map(|(c, _)| *c).collect();
            let view = self.consent_view(&ids, policy.clone(), Some(buyer))?;
            let responses = view
                .responses
                .clone()
                .unwrap_or_else(|| custodia_transfer::ResponseIndex::new(buyer));
            let context = PlanContext {
                consent: &view.index,
                responses: &responses,
                retention: &self.profile,
                holds: &holds,
                at,
                as_of: at,
                thresholds,
                calendar: &calendar,
                cross_border_year: year,
            };
            let mut planner = Planner::new(agreement, &context)?;
            for (customer, facts) in &batch {
                let facts = facts.planner(view.withdrawals(*customer), &policy, at.date_naive())?;
                let plan = planner.plan(&facts)?;
                let decisions = plan
                    .decisions()
                    .iter()
                    .map(|d| {
                        let e = match (mode, d.eligibility) {
                            (PlanMode::Final, Eligibility::Pending(r)) => {
                                Eligibility::Exclude(r.at_execution())
                            }
                            (_, e) => e,
                        };
                        (d.category, e)
                    })
                    .collect();
                let decided = CustomerDecisions {
                    customer: *customer,
                    decisions,
                };
                count(&mut summary, &decided);
                sink(decided)?;
            }
            // The planner refuses a mechanism too weak for the total so far (it only grows, so the last
            // batch's check is the whole book's).
            let part = planner.finish()?;
            if let (Some(check), Some(y)) = (part.cross_border, year.as_mut()) {
                exported_non_sensitive += check.people_non_sensitive;
                exported_sensitive += check.people_sensitive;
                y.exported_non_sensitive = y
                    .exported_non_sensitive
                    .saturating_add(check.people_non_sensitive);
                y.exported_sensitive = y.exported_sensitive.saturating_add(check.people_sensitive);
                let mut check = check;
                check.people_non_sensitive = exported_non_sensitive;
                check.people_sensitive = exported_sensitive;
                summary.cross_border = Some(check);
            }
            Ok(())
        })?;
        Ok(summary)
    }
}

impl Brokerage {
    /// The running cross-border total of the calendar year of `at` before `transfer`'s plan: the people
    /// every other executed case of this brokerage exported that year, and the declared figure for exports
    /// outside custodia ([`Brokerage::declare_outside_exports`]). A person exported by two cases of one
    /// year counts twice, the cautious direction (the CAC 2024 provisions count distinct people; custodia
    /// keeps no list of people across cases).
    pub(crate) fn cross_border_year(
        &self,
        transfer: TransferId,
        at: DateTime<Utc>,
    ) -> Result<CrossBorderYear, BrokerageError> {
        let year = export_year(at);
        let mut total = CrossBorderYear::first_of(year);
        let own = exports_key(year, transfer);
        records::scan_pages(
            &self.store,
            EXPORTS,
            KeyRange::prefix(&year.to_be_bytes()),
            self.batch.get(),
            &mut |page| {
                for record in page.iter().filter(|r| r.key != own) {
                    let e: YearExports = records::decode_json(EXPORTS, &record.key, &record.value)?;
                    total.exported_non_sensitive =
                        total.exported_non_sensitive.saturating_add(e.non_sensitive);
                    total.exported_sensitive = total.exported_sensitive.saturating_add(e.sensitive);
                }
                Ok(())
            },
        )?;
        total.declared_outside =
            records::get_json(&self.store, DECLARED_EXPORTS, &year.to_be_bytes())?.unwrap_or_default();
        Ok(total)
    }

    /// Declares the people whose information the brokerage exported abroad in `year` outside custodia
    /// (other systems, paper), which the CAC 2024 thresholds count with custodia's own exports (PIPL Art
    /// 38). Replaces an earlier declaration for the year; recorded on the ledger with the counts.
    pub fn declare_outside_exports(
        &self,
        year: i32,
        declared: DeclaredExports,
    ) -> Result<(), BrokerageError> {
        self.write(|log: &mut Ledger| {
            records::put_json(&self.store, DECLARED_EXPORTS, &year.to_be_bytes(), &declared)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "outside_exports_declared", "year": year,
                "non_sensitive": declared.non_sensitive, "sensitive": declared.sensitive, "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }
}
