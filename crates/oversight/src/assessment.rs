//! Personal-information protection impact assessments (PIPL Arts 55, 56; the process of GB/T 39335-2020,
//! whose text is not in the project's folder): when one is required, what it must contain, and how long
//! it is kept. Approval is by signed principals through custodia-access's document approvals (the
//! brokerage verifies the quorum); this module only says what is approved: the digest of
//! [`Assessment::content_bytes`].

use std::collections::BTreeSet;

use chrono::{DateTime, Months, Utc};
use custodia_model::{ActorId, CategorySet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::OversightError;

/// Why an assessment is required (PIPL Art 55(1)–(5)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentTrigger {
    /// (1) Processing sensitive personal information (PIPL Art 28).
    SensitiveInformation,
    /// (2) Automated decision-making.
    AutomatedDecision,
    /// (3) Entrusting processing to another.
    Entrusting,
    /// (3) Providing to another processor — a licence transfer is one.
    ProvidingToOthers,
    /// (3) Publishing personal information.
    Publishing,
    /// (4) Providing abroad.
    CrossBorder,
    /// (5) Other processing with a major impact on individuals.
    MajorImpact,
}

/// A processing activity described by what PIPL Art 55 asks about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// The categories processed.
    pub categories: CategorySet,
    /// Whether it makes automated decisions about people.
    pub automated_decision: bool,
    /// Whether it entrusts processing to a processor.
    pub entrusting: bool,
    /// Whether it provides the data to another processor (a buyer).
    pub providing: bool,
    /// Whether it publishes the data.
    pub publishing: bool,
    /// Whether the data leaves the mainland.
    pub cross_border: bool,
    /// Whether the responder judged the impact major on other grounds.
    pub major_impact: bool,
}

impl Activity {
    /// The triggers of PIPL Art 55 this activity meets; an assessment is required when any is.
    pub fn triggers(&self) -> BTreeSet<AssessmentTrigger> {
        let mut t = BTreeSet::new();
        if self.categories.iter().any(|c| c.is_sensitive()) {
            t.insert(AssessmentTrigger::SensitiveInformation);
        }
        for (on, trigger) in [
            (self.automated_decision, AssessmentTrigger::AutomatedDecision),
            (self.entrusting, AssessmentTrigger::Entrusting),
            (self.providing, AssessmentTrigger::ProvidingToOthers),
            (self.publishing, AssessmentTrigger::Publishing),
            (self.cross_border, AssessmentTrigger::CrossBorder),
            (self.major_impact, AssessmentTrigger::MajorImpact),
        ] {
            if on {
                t.insert(trigger);
            }
        }
        t
    }
}

/// A risk found (PIPL Art 56(2)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// What could happen, to whom.
    pub description: String,
    /// How severe: `low`, `medium`, `high`.
    pub severity: Severity,
}

/// A risk's severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// A protective measure and whether the assessors judged it lawful, effective and proportionate
/// (PIPL Art 56(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// What it is.
    pub description: String,
    /// Whether it is adequate.
    pub adequate: bool,
}

/// An assessment's content: what PIPL Art 56 lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentContent {
    /// The activity assessed (a code: `transfer/<id>`, `marketing-campaign-2026q3`).
    pub subject: String,
    /// The activity's description.
    pub activity: Activity,
    /// (1) Whether purposes and methods are lawful, legitimate and necessary, and why.
    pub lawfulness: String,
    /// (2) The impact on individuals' rights and the security risks.
    pub risks: Vec<Risk>,
    /// (3) The measures.
    pub measures: Vec<Measure>,
    /// Who prepared it.
    pub prepared_by: ActorId,
    /// When.
    pub prepared_at: DateTime<Utc>,
}

/// A stored assessment: content, and its approval once given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The id (the approvals' document id).
    pub id: Uuid,
    /// The content approved.
    pub content: AssessmentContent,
    /// The approval, once a quorum of signed approvals was verified.
    pub approval: Option<AssessmentApproval>,
}

/// Who approved an assessment and when; the signed approvals are kept by custodia-access's records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentApproval {
    /// The approvers (distinct principals, signatures verified).
    pub approvers: Vec<ActorId>,
    /// The approvals' ids.
    pub approvals: Vec<Uuid>,
    /// When it was approved.
    pub at: DateTime<Utc>,
    /// Kept at least until (PIPL Art 56: three years).
    pub keep_until: DateTime<Utc>,
}

/// PIPL Art 56: kept at least three years.
pub const KEEP_YEARS: u32 = 3;

fn subject_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'))
}

impl Assessment {
    /// A draft; refused unless the activity requires one and every item of Art 56 is there.
    pub fn draft(id: Uuid, content: AssessmentContent) -> Result<Self, OversightError> {
        let problem = if !subject_ok(&content.subject) {
            Some("the subject is not a code of 1 to 128 of A-Z, a-z, 0-9, '.', '-', '_', '/'")
        } else if content.activity.triggers().is_empty() {
            Some("the activity meets none of PIPL Art 55's cases")
        } else if content.lawfulness.trim().is_empty() {
            Some("Art 56(1): say whether purposes and methods are lawful, legitimate and necessary")
        } else if content.risks.is_empty() || content.risks.iter().any(|r| r.description.trim().is_empty()) {
            Some("Art 56(2): describe the impact and the risks")
        } else if content.measures.is_empty()
            || content.measures.iter().any(|m| m.description.trim().is_empty())
        {
            Some("Art 56(3): describe the measures")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(OversightError::Assessment {
                assessment: id,
                problem,
            }),
            None => Ok(Self {
                id,
                content,
                approval: None,
            }),
        }
    }

    /// The exact bytes the approvers sign the digest of: the content's JSON.
    pub fn content_bytes(&self) -> Result<Vec<u8>, OversightError> {
        serde_json::to_vec(&self.content).map_err(|_| OversightError::Invalid {
            field: "assessment.content",
            reason: "not serializable",
        })
    }

    /// Marks it approved (after the caller verified the quorum); refused when a measure is not adequate
    /// (a risk left untreated cannot be approved) or it is already approved.
    pub fn approve(
        &mut self,
        approvers: Vec<ActorId>,
        approvals: Vec<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<(), OversightError> {
        let problem = if self.approval.is_some() {
            Some("already approved")
        } else if self.content.measures.iter().any(|m| !m.adequate) {
            Some("a measure is not adequate to its risk (Art 56(3))")
        } else if at < self.content.prepared_at {
            Some("approved before it was prepared")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(OversightError::Assessment {
                assessment: self.id,
                problem,
            });
        }
        let keep_until =
            at.checked_add_months(Months::new(12 * KEEP_YEARS))
                .ok_or(OversightError::Invalid {
                    field: "assessment.at",
                    reason: "out of range",
                })?;
        self.approval = Some(AssessmentApproval {
            approvers,
            approvals,
            at,
            keep_until,
        });
        Ok(())
    }

    /// Whether it may be removed at `now` (never before three years after approval; never a draft's
    /// record of processing either, so a draft is kept).
    pub fn may_be_removed(&self, now: DateTime<Utc>) -> bool {
        self.approval.as_ref().is_some_and(|a| now >= a.keep_until)
    }
}
