//! A sample personal-information impact assessment of a licence transfer (PIPL Art 55(3), 56): what a
//! seller stores and has approved by two signing approvers before it executes the transfer its agreement
//! names — `Brokerage::store_assessment`, `Brokerage::assessment_approval_request`,
//! `Brokerage::approve_assessment`.

use chrono::{DateTime, Utc};
use custodia_model::{ActorId, CategorySet};
use custodia_oversight::{Activity, Assessment, AssessmentContent, Measure, OversightError, Risk, Severity};
use custodia_transfer::AgreementTerms;
use uuid::Uuid;

/// An assessment whose subject is the agreement's `impact_assessment` reference, covering every category
/// of its scope, providing to the buyer, and processing abroad if the agreement has cross-border terms;
/// every measure adequate, so it can be approved. Prepared by `prepared_by` at `at`, with a fresh id.
pub fn for_transfer(
    terms: &AgreementTerms,
    prepared_by: ActorId,
    at: DateTime<Utc>,
) -> Result<Assessment, OversightError> {
    let categories: CategorySet = terms
        .scope
        .iter()
        .flat_map(|item| item.categories.iter())
        .collect();
    let content = AssessmentContent {
        subject: terms.impact_assessment.clone(),
        activity: Activity {
            categories,
            providing: true,
            cross_border: terms.cross_border.is_some(),
            ..Activity::default()
        },
        lawfulness: "PIPL Art 22: the buyer continues the purposes in scope under the seller's notices; \
                     every customer is told the buyer's name and contact and may object"
            .into(),
        risks: vec![
            Risk {
                description: "the buyer's controls are not yet audited".into(),
                severity: Severity::Medium,
            },
            Risk {
                description: "customers who did not answer are moved on the notice alone".into(),
                severity: Severity::Low,
            },
        ],
        measures: vec![
            Measure {
                description:
                    "buyer obligations in the signed agreement (purpose limitation, retention duties, \
                              security measures)"
                        .into(),
                adequate: true,
            },
            Measure {
                description:
                    "a sealed package to the buyer's key; per-customer keys re-wrapped; objections honoured"
                        .into(),
                adequate: true,
            },
        ],
        prepared_by,
        prepared_at: at,
    };
    Assessment::draft(Uuid::now_v7(), content)
}
