//! The one place the brokerage runs custodia-transfer's `Planner`: over the whole book in batches, each batch with its own small consent view, the counts merged — for a preview (read-only) or the final plan (what is still pending becomes excluded with its reason).
//!
//! Issue 15 changes the planner's inputs (deal kind, people already exported this calendar year, the
//! consent each path needs); this module is where they are wired: the cumulative cross-border counts will
//! come from the `transfer/exports` records (see `records.rs`) into the planner's context here.

use chrono::{DateTime, Utc};
use custodia_consent::{BasisPolicy, PurposeRule, TransferPath};
use custodia_model::{Citation, CustomerId, DataCategory, LegalBasis, Purpose};
use custodia_retention::Holds;
use custodia_transfer::{
    CrossBorderCheck, CrossBorderThresholds, Eligibility, PlanContext, PlanSummary, Planner, SignedAgreement,
    TransferError,
};
use serde::{Deserialize, Serialize};

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;

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
        let mut cross_border: Option<CrossBorderCheck> = None;
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
            };
            let mut planner = Planner::new(agreement, &context)?;
            for (customer, facts) in &batch {
                let facts =
                    facts.planner(*customer, view.withdrawals(*customer), &policy, at.date_naive())?;
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
            let part = planner.finish()?;
            if let Some(check) = part.cross_border {
                exported_non_sensitive += check.people_non_sensitive;
                exported_sensitive += check.people_sensitive;
                cross_border.get_or_insert(check);
            }
            Ok(())
        })?;
        // The whole book's cross-border check (PIPL Art 38; CAC 2024 thresholds), which each batch's
        // planner could only apply to its own counts.
        if let (Some(mut check), Some(cb)) = (cross_border, terms.cross_border.as_ref()) {
            let year_non_sensitive = cb
                .prior_people_non_sensitive
                .saturating_add(exported_non_sensitive);
            let year_sensitive = cb.prior_people_sensitive.saturating_add(exported_sensitive);
            let required = thresholds.required(cb.operator, year_non_sensitive, year_sensitive);
            if cb.mechanism.strength() < required.strength() {
                return Err(TransferError::CrossBorderMechanismTooWeak {
                    agreed: cb.mechanism.to_string(),
                    required: required.to_string(),
                    people_non_sensitive: year_non_sensitive,
                    people_sensitive: year_sensitive,
                }
                .into());
            }
            check.people_non_sensitive = exported_non_sensitive;
            check.people_sensitive = exported_sensitive;
            check.year_non_sensitive = year_non_sensitive;
            check.year_sensitive = year_sensitive;
            check.required = required;
            summary.cross_border = Some(check);
        }
        Ok(summary)
    }
}
