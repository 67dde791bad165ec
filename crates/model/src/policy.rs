//! Insurance contracts placed by the brokerage, their claims and beneficiaries.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::account::Money;
use crate::citation::{Citation, Instrument};
use crate::error::ModelError;
use crate::ids::{ClaimId, PolicyId};
use crate::mask::mask_middle;
use crate::party::PersonName;

/// Broad line of business of a product; short-term lines usually run one year or less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProductLine {
    /// Whole or term life cover.
    Life,
    /// Critical illness cover.
    CriticalIllness,
    /// Annuities and endowments.
    Annuity,
    /// Medical expense cover.
    Medical,
    /// Accident cover.
    Accident,
    /// Motor cover.
    Motor,
    /// Property cover.
    Property,
    /// Liability cover.
    Liability,
    /// Travel cover.
    Travel,
}

impl ProductLine {
    /// Whether applying for the line usually needs a health declaration (sensitive data, PIPL Art 28).
    pub fn needs_health_declaration(self) -> bool {
        matches!(
            self,
            ProductLine::Life | ProductLine::CriticalIllness | ProductLine::Medical
        )
    }
}

/// Why a contract ended before its term end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TerminationReason {
    /// Premium not paid within the grace period.
    Lapse,
    /// Surrendered by the policyholder.
    Surrender,
    /// Cancelled by the insurer or within the cooling-off period.
    Cancellation,
}

/// An early end of a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// The day the contract ended.
    pub date: NaiveDate,
    /// Why it ended.
    pub reason: TerminationReason,
}

/// Where a contract stands on a given day; derived from dates, never stored, so it cannot contradict them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyStatus {
    /// The term has not started.
    NotStarted,
    /// In force.
    Active,
    /// The term ran out.
    Expired,
    /// Ended early.
    Terminated(TerminationReason),
}

/// The fields of a [`Policy`] before validation, also its serialized form. Its `Debug` masks the policy
/// number, which the insurer's systems key the policyholder by.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFields {
    /// The policy's id.
    pub id: PolicyId,
    /// The insurer's policy number.
    pub policy_number: String,
    /// The insurer's name.
    pub insurer: String,
    /// The product's name.
    pub product: String,
    /// The line of business.
    pub line: ProductLine,
    /// First day of cover.
    pub term_start: NaiveDate,
    /// Last day of cover (inclusive).
    pub term_end: NaiveDate,
    /// Annual (or single) premium.
    pub premium: Money,
    /// Early termination, if any.
    pub termination: Option<Termination>,
}

impl PolicyFields {
    /// The policy number's mask: at most its first two and last two characters (`P2****89`), less
    /// for short numbers (see the model's masks).
    pub fn masked_policy_number(&self) -> String {
        mask_middle(&self.policy_number, 2, 2)
    }
}

/// Not derived: the policy number is shown masked (it identifies the policyholder at the insurer).
impl std::fmt::Debug for PolicyFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyFields")
            .field("id", &self.id)
            .field("policy_number", &self.masked_policy_number())
            .field("insurer", &self.insurer)
            .field("product", &self.product)
            .field("line", &self.line)
            .field("term_start", &self.term_start)
            .field("term_end", &self.term_end)
            .field("premium", &self.premium)
            .field("termination", &self.termination)
            .finish()
    }
}

/// An insurance contract placed by the brokerage (its business file: Broker Rule 2018 Art 44).
///
/// A value that exists has a non-empty number, insurer and product, `term_start <= term_end`, and any
/// termination inside the term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyFields", into = "PolicyFields")]
pub struct Policy {
    fields: PolicyFields,
}

impl Policy {
    /// Checks and wraps the fields.
    pub fn new(fields: PolicyFields) -> Result<Self, ModelError> {
        for (value, field) in [
            (&fields.policy_number, "policies.policy_number"),
            (&fields.insurer, "policies.insurer"),
            (&fields.product, "policies.product"),
        ] {
            if value.trim().is_empty() {
                return Err(ModelError::Empty { field });
            }
        }
        if fields.term_end < fields.term_start {
            return Err(ModelError::DateOrder {
                field: "policies.term_end",
                earlier: fields.term_start,
                later: fields.term_end,
            });
        }
        if let Some(t) = fields.termination
            && (t.date < fields.term_start || t.date > fields.term_end)
        {
            return Err(ModelError::OutOfRange {
                field: "policies.termination.date",
                allowed: "within the policy term",
            });
        }
        Ok(Self { fields })
    }

    /// The policy's id.
    pub fn id(&self) -> PolicyId {
        self.fields.id
    }

    /// The insurer's policy number.
    pub fn policy_number(&self) -> &str {
        &self.fields.policy_number
    }

    /// The insurer.
    pub fn insurer(&self) -> &str {
        &self.fields.insurer
    }

    /// The product name.
    pub fn product(&self) -> &str {
        &self.fields.product
    }

    /// The line of business.
    pub fn line(&self) -> ProductLine {
        self.fields.line
    }

    /// First day of cover.
    pub fn term_start(&self) -> NaiveDate {
        self.fields.term_start
    }

    /// Last day of cover, inclusive.
    pub fn term_end(&self) -> NaiveDate {
        self.fields.term_end
    }

    /// The premium.
    pub fn premium(&self) -> Money {
        self.fields.premium
    }

    /// The early termination, if any.
    pub fn termination(&self) -> Option<Termination> {
        self.fields.termination
    }

    /// Whether the insurance period (保险期间) is longer than one year, which sets the broker's archive period:
    /// at least 10 years from the contract's end instead of 5 (Broker Rule 2018 Art 51; Insurance Law 2015
    /// Art 87). The term runs from `term_start` to `term_end` inclusive, so a term from 2024-01-01 to
    /// 2024-12-31 is exactly one year and does not exceed it; one ending on 2025-01-01 does.
    pub fn term_exceeds_one_year(&self) -> bool {
        match self.fields.term_start.checked_add_months(Months::new(12)) {
            Some(one_year_later) => self.fields.term_end >= one_year_later,
            // No date a year later is representable: the term cannot be longer than that either.
            None => false,
        }
    }

    /// The rule that makes the term length matter, for reasons that cite it.
    pub fn archive_rule() -> Citation {
        Citation::new(Instrument::BrokerRule2018, "51")
    }

    /// The day the contract ended or will end (保险合同终止之日): the termination date, else the term end.
    /// Broker Rule 2018 Art 51 counts archive periods from this day.
    pub fn contract_end(&self) -> NaiveDate {
        self.fields.termination.map_or(self.fields.term_end, |t| t.date)
    }

    /// The status on `date`.
    pub fn status_at(&self, date: NaiveDate) -> PolicyStatus {
        if date < self.fields.term_start {
            return PolicyStatus::NotStarted;
        }
        match self.fields.termination {
            Some(t) if date >= t.date => PolicyStatus::Terminated(t.reason),
            _ if date > self.fields.term_end => PolicyStatus::Expired,
            _ => PolicyStatus::Active,
        }
    }

    /// Whether the contract is in force on `date`. A terminated contract is no longer in force from the
    /// termination day on.
    pub fn is_active_at(&self, date: NaiveDate) -> bool {
        self.status_at(date) == PolicyStatus::Active
    }

    /// The fields, for building an updated copy.
    pub fn to_fields(&self) -> PolicyFields {
        self.fields.clone()
    }
}

impl TryFrom<PolicyFields> for Policy {
    type Error = ModelError;

    fn try_from(value: PolicyFields) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Policy> for PolicyFields {
    fn from(value: Policy) -> Self {
        value.fields
    }
}

/// Where a claim stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClaimStatus {
    /// Being handled.
    Open,
    /// Paid (in part or in full).
    Paid,
    /// Declined by the insurer.
    Declined,
    /// Withdrawn by the customer.
    Withdrawn,
}

/// A claim under a policy the customer holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim's id.
    pub id: ClaimId,
    /// The policy claimed under; must be one of the customer's policies.
    pub policy_id: PolicyId,
    /// When the insured event happened.
    pub incident_date: NaiveDate,
    /// When the claim was reported; not before the incident.
    pub reported_on: NaiveDate,
    /// When handling finished, if it has.
    pub closed_on: Option<NaiveDate>,
    /// The status.
    pub status: ClaimStatus,
    /// Amount claimed.
    pub amount_claimed: Money,
    /// Amount paid, if any.
    pub amount_paid: Option<Money>,
    /// Whether the claim file holds medical records (then it is health data, PIPL Art 28).
    pub has_medical_records: bool,
}

impl Claim {
    /// Checks the claim's own dates: reported on or after the incident, closed on or after reporting.
    pub fn check(&self) -> Result<(), ModelError> {
        if self.reported_on < self.incident_date {
            return Err(ModelError::DateOrder {
                field: "claims.reported_on",
                earlier: self.incident_date,
                later: self.reported_on,
            });
        }
        if let Some(closed) = self.closed_on
            && closed < self.reported_on
        {
            return Err(ModelError::DateOrder {
                field: "claims.closed_on",
                earlier: self.reported_on,
                later: closed,
            });
        }
        Ok(())
    }
}

/// How a beneficiary is related to the insured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BeneficiaryRelationship {
    /// Husband or wife.
    Spouse,
    /// Son or daughter.
    Child,
    /// Father or mother.
    Parent,
    /// Anyone else.
    Other,
}

/// A beneficiary named in a policy: a third person's data held by the broker.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beneficiary {
    /// The policy naming the beneficiary; must be one of the customer's policies.
    pub policy_id: PolicyId,
    /// The beneficiary's name.
    pub name: PersonName,
    /// The relationship to the insured.
    pub relationship: BeneficiaryRelationship,
    /// Share of the benefit in percent, 1 to 100.
    pub share_percent: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fields(start: NaiveDate, end: NaiveDate) -> PolicyFields {
        PolicyFields {
            id: PolicyId::new_v7(),
            policy_number: "P-1".into(),
            insurer: "中国人寿".into(),
            product: "意外险".into(),
            line: ProductLine::Accident,
            term_start: start,
            term_end: end,
            premium: Money::cny(10_000),
            termination: None,
        }
    }

    #[test]
    fn one_year_boundary() {
        let exactly = Policy::new(fields(date(2024, 1, 1), date(2024, 12, 31))).unwrap();
        assert!(!exactly.term_exceeds_one_year());
        let longer = Policy::new(fields(date(2024, 1, 1), date(2025, 1, 1))).unwrap();
        assert!(longer.term_exceeds_one_year());
        let leap = Policy::new(fields(date(2024, 2, 29), date(2025, 2, 28))).unwrap();
        assert!(
            leap.term_exceeds_one_year(),
            "2024-02-29 + 12 months is 2025-02-28"
        );
        assert_eq!(Policy::archive_rule().to_string(), "Broker Rule 2018 Art 51");
    }

    #[test]
    fn status_follows_dates() {
        let mut f = fields(date(2020, 1, 1), date(2029, 12, 31));
        f.termination = Some(Termination {
            date: date(2023, 6, 1),
            reason: TerminationReason::Lapse,
        });
        let p = Policy::new(f).unwrap();
        assert_eq!(p.status_at(date(2019, 12, 31)), PolicyStatus::NotStarted);
        assert!(p.is_active_at(date(2023, 5, 31)));
        assert_eq!(
            p.status_at(date(2023, 6, 1)),
            PolicyStatus::Terminated(TerminationReason::Lapse)
        );
        assert_eq!(p.contract_end(), date(2023, 6, 1));
        let q = Policy::new(fields(date(2020, 1, 1), date(2020, 12, 31))).unwrap();
        assert!(q.is_active_at(date(2020, 12, 31)));
        assert_eq!(q.status_at(date(2021, 1, 1)), PolicyStatus::Expired);
    }

    #[test]
    fn debug_masks_the_policy_number() {
        let mut f = fields(date(2024, 1, 1), date(2024, 12, 31));
        f.policy_number = "P2026000123456789".into();
        let p = Policy::new(f).unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("P2026000123456789"), "{shown}");
        assert!(!shown.contains("2026000123"), "{shown}");
        assert!(shown.contains("P2*************89"), "{shown}");
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(matches!(
            Policy::new(fields(date(2024, 1, 2), date(2024, 1, 1))),
            Err(ModelError::DateOrder {
                field: "policies.term_end",
                ..
            })
        ));
        let mut f = fields(date(2024, 1, 1), date(2024, 12, 31));
        f.termination = Some(Termination {
            date: date(2025, 1, 1),
            reason: TerminationReason::Surrender,
        });
        assert!(matches!(Policy::new(f), Err(ModelError::OutOfRange { .. })));
        let mut f = fields(date(2024, 1, 1), date(2024, 12, 31));
        f.insurer = " ".into();
        assert_eq!(
            Policy::new(f),
            Err(ModelError::Empty {
                field: "policies.insurer"
            })
        );
        let p = Policy::new(fields(date(2024, 1, 1), date(2024, 12, 31))).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), p);
    }
}
