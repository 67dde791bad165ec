//! Compliance audits (PIPL Arts 54, 64; NDSR Art 27): the schedule by size, audits ordered after an
//! incident, and the personal-information protection officer (PIPL Art 52). The CAC
//! 个人信息保护合规审计管理办法 (in force 2025-05-01) sets the figures; its text is **not** in
//! `shared/regulations/` — the figures are those the folder's README records, and every one is a setting.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::OversightError;

/// The CAC 2025 compliance-audit measures, cited whole: their text is not in the project's folder.
pub const CAC_AUDIT_2025: &str = "CAC 个人信息保护合规审计管理办法 (2025-05-01)";

/// How often audits are due, by people processed, and when an officer is required.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// `(more than this many people, at most this many months between audits)`, any order: the tightest
    /// tier that applies wins. CAC 2025: more than 10,000,000 people → at least every 24 months.
    pub tiers: Vec<(u64, u32)>,
    /// Below every tier, the brokerage's own interval (PIPL Art 54 says "regularly", with no figure);
    /// `None` leaves no due date.
    pub default_months: Option<u32>,
    /// People at or above which a PI protection officer is required (PIPL Art 52; CAC 2025: 1,000,000).
    pub officer_from: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            tiers: vec![(10_000_000, 24)],
            default_months: None,
            officer_from: 1_000_000,
        }
    }
}

/// What the schedule says for a brokerage of some size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDue {
    /// The interval that applies, in months, if any.
    pub interval_months: Option<u32>,
    /// When the next audit is due: the last audit plus the interval; with none yet, `today` (due now).
    pub due: Option<NaiveDate>,
    /// Whether it is past due on `today`.
    pub overdue: bool,
    /// Whether a PI protection officer is required.
    pub officer_required: bool,
    /// Audits ordered by the authority (PIPL Art 64) and not yet done, by the incident that caused them.
    pub ordered: Vec<String>,
}

impl AuditSettings {
    /// Refuses zero intervals.
    pub fn validate(&self) -> Result<(), OversightError> {
        if self.tiers.iter().any(|(_, m)| *m == 0) || self.default_months == Some(0) {
            return Err(OversightError::Invalid {
                field: "audit.tiers",
                reason: "an interval of zero months",
            });
        }
        Ok(())
    }

    /// The interval for `people`: the shortest of the tiers whose "more than" is exceeded.
    pub fn interval(&self, people: u64) -> Option<u32> {
        self.tiers
            .iter()
            .filter(|(over, _)| people > *over)
            .map(|(_, months)| *months)
            .min()
            .or(self.default_months)
    }

    /// Whether a PI protection officer is required at `people` (at or above the threshold).
    pub fn officer_required(&self, people: u64) -> bool {
        people >= self.officer_from
    }

    /// The schedule for a brokerage of `people` people, last audited on `last`, on `today`.
    pub fn due(
        &self,
        people: u64,
        last: Option<NaiveDate>,
        today: NaiveDate,
        ordered: Vec<String>,
    ) -> AuditDue {
        let interval = self.interval(people);
        let due = interval.map(|m| match last {
            Some(l) => l.checked_add_months(Months::new(m)).unwrap_or(NaiveDate::MAX),
            None => today,
        });
        AuditDue {
            interval_months: interval,
            overdue: due.is_some_and(|d| today > d),
            due,
            officer_required: self.officer_required(people),
            ordered,
        }
    }
}
