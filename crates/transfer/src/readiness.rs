//! Checks a case runs before executing a transfer: the NDSR Arts 28 and 32 disposal-plan report of a
//! processor of the personal information of 10 million people or more.
//!
//! NDSR Art 28 makes a processor of the personal information of 10 million people or more follow the
//! important-data rules of Arts 30 and 32; Art 32 asks one that merges, divides, dissolves or goes bankrupt
//! to report its disposal plan and the recipient's name and contact to the provincial-level authority. A
//! book transfer is read as such an event (Art 32's "等"), the cautious reading; a share acquisition moves
//! nothing and needs no plan. The threshold is data ([`DisposalPlanRule`]); the count of people is the
//! caller's (a durable count of the seller's book, customers and covered people alike).

use serde::{Deserialize, Serialize};

use crate::agreement::{DealKind, DisposalPlanReport, SignedAgreement};
use crate::error::TransferError;

/// The NDSR Art 28 threshold, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisposalPlanRule {
    /// At or above this many people, the disposal-plan report is required. Default 10,000,000 (NDSR
    /// Art 28).
    pub threshold_people: u64,
}

impl Default for DisposalPlanRule {
    fn default() -> Self {
        Self {
            threshold_people: 10_000_000,
        }
    }
}

/// Whether execution may go ahead as far as NDSR Art 32 is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DisposalPlanStatus {
    /// Below the threshold, or a deal that moves nothing: no report needed.
    NotRequired {
        /// People whose information the seller processes.
        people: u64,
        /// The threshold.
        threshold: u64,
    },
    /// Required and recorded.
    Reported {
        /// The filing's reference.
        reference: String,
    },
}

impl DisposalPlanRule {
    /// Checks `agreement` for a seller processing the personal information of `people` people: a report is
    /// taken from the agreement's terms, else from `recorded` (the case's record, filed after signing).
    /// Refused with [`TransferError::DisposalPlanReportMissing`] when one is required and neither has it.
    pub fn check(
        &self,
        agreement: &SignedAgreement,
        people: u64,
        recorded: Option<&DisposalPlanReport>,
    ) -> Result<DisposalPlanStatus, TransferError> {
        let terms = agreement.terms();
        if people < self.threshold_people || terms.deal.kind == DealKind::ShareAcquisition {
            return Ok(DisposalPlanStatus::NotRequired {
                people,
                threshold: self.threshold_people,
            });
        }
        match terms.deal.disposal_plan_report.as_ref().or(recorded) {
            Some(report) if !report.reference.trim().is_empty() => Ok(DisposalPlanStatus::Reported {
                reference: report.reference.clone(),
            }),
            _ => Err(TransferError::DisposalPlanReportMissing {
                people,
                threshold: self.threshold_people,
            }),
        }
    }
}
