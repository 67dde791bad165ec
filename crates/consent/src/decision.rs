//! The answer to "may this use happen": permitted or denied, the basis, the ledger evidence, and reasons
//! that name the rule and its article.

use chrono::{DateTime, Months, NaiveDate, Utc};
use custodia_model::{Citation, CustomerId, LegalBasis};
use serde::{Deserialize, Serialize};

use crate::event::EventKind;
use crate::policy::Regime;

/// The facts about a customer that the rules need, supplied by the caller: this crate never reads a
/// customer record, so the decision stays pure logic over its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subject {
    customer: CustomerId,
    birth_date: Option<NaiveDate>,
}

impl Subject {
    /// A customer whose birth date is not known (an organization, or a person whose identity document has
    /// not been read). The minor rules cannot apply to it.
    pub fn new(customer: CustomerId) -> Self {
        Self {
            customer,
            birth_date: None,
        }
    }

    /// A natural person born on `birth_date` (read from the identity document, GB 11643).
    pub fn born(customer: CustomerId, birth_date: NaiveDate) -> Self {
        Self {
            customer,
            birth_date: Some(birth_date),
        }
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The birth date, when known.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }

    /// Whether the person is younger than `age_years` at `at` (PIPL Art 31: 14). The birthday counts as
    /// reached on the same calendar date; a 29 February birthday is reached on 28 February in common years
    /// (chrono clamps to the month's end). A date so far out that the arithmetic overflows counts as a
    /// minor, the cautious answer.
    pub fn is_minor_at(&self, at: DateTime<Utc>, age_years: u32) -> bool {
        match self.birth_date {
            None => false,
            Some(born) => match born.checked_add_months(Months::new(age_years.saturating_mul(12))) {
                Some(comes_of_age) => at.date_naive() < comes_of_age,
                None => true,
            },
        }
    }
}

/// Permitted or denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentOutcome {
    /// The use may happen.
    Permitted,
    /// The use must not happen.
    Denied,
}

/// Which part of a scope failed to reach the use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dimension {
    /// The purpose.
    Purpose,
    /// The data category.
    Category,
    /// The recipient.
    Recipient,
    /// The destination abroad.
    Destination,
}

/// Why a use needs separate consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SeparateBecause {
    /// The category is sensitive (PIPL Arts 28, 29).
    SensitiveCategory,
    /// The person is a minor, so all their data is sensitive (PIPL Art 28).
    MinorData,
    /// The data goes to another processor (PIPL Art 23).
    ThirdParty,
    /// The data leaves mainland China (PIPL Art 39).
    CrossBorder,
}

/// A rule that decided, or helped decide, the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentRule {
    /// The purpose rests on a basis other than consent, so no consent is needed (PIPL Art 13(2)).
    BasisWithoutConsent,
    /// The policy names no basis for the purpose: nothing is processed without one (PIPL Art 13).
    NoBasis,
    /// A grant covers the use.
    ConsentCovers,
    /// The customer has given no grant in force for this use.
    NoConsent,
    /// A grant's scope does not reach the use in this dimension.
    OutsideScope(Dimension),
    /// A grant's scope reaches the use but its notice did not disclose it: a material change added it
    /// after the grant, so consent must be asked again (PIPL Art 14).
    NotInNotice(Dimension),
    /// A grant refers to a notice version that is not on the ledger.
    UnknownNotice,
    /// The use needs separate consent and the grant was bundled.
    SeparateConsentRequired(SeparateBecause),
    /// The grant was made by the customer while under the guardian age (PIPL Art 31).
    GuardianConsentRequired,
    /// The grant expired before the use.
    Expired,
    /// A later withdrawal, refusal or objection ended the grant (PIPL Art 15: not retroactive).
    Ended(EventKind),
    /// The use is by a successor that inherits the controller's grants, and the customer was told its name
    /// and contact before the use (PIPL Art 22).
    SuccessorNotified,
    /// The use is by a successor, and the customer has not been told its name and contact (PIPL Art 22).
    SuccessorNotNotified,
}

impl ConsentRule {
    /// The article this rule comes from, under `regime`.
    pub fn citation(self, regime: Regime) -> Citation {
        match regime {
            Regime::Gdpr => Citation::gdpr(gdpr_article(self)),
            _ => Citation::pipl(pipl_article(self)),
        }
    }
}

fn pipl_article(rule: ConsentRule) -> &'static str {
    match rule {
        ConsentRule::BasisWithoutConsent => "13(2)",
        ConsentRule::NoBasis => "13",
        ConsentRule::ConsentCovers | ConsentRule::NotInNotice(_) | ConsentRule::Expired => "14",
        ConsentRule::NoConsent => "13(1)(1)",
        ConsentRule::OutsideScope(Dimension::Recipient) => "23",
        ConsentRule::OutsideScope(Dimension::Destination) => "39",
        ConsentRule::OutsideScope(_) => "14",
        ConsentRule::UnknownNotice => "17",
        ConsentRule::SeparateConsentRequired(SeparateBecause::SensitiveCategory) => "29",
        ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData) => "28",
        ConsentRule::SeparateConsentRequired(SeparateBecause::ThirdParty) => "23",
        ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder) => "39",
        ConsentRule::GuardianConsentRequired => "31",
        ConsentRule::Ended(EventKind::Withdrawn) => "15",
        ConsentRule::Ended(EventKind::Objected) => "44",
        ConsentRule::Ended(_) => "14",
        ConsentRule::SuccessorNotified | ConsentRule::SuccessorNotNotified => "22",
    }
}

/// The closest GDPR counterparts; where the GDPR has no "separate consent" for a rule, the article that
/// makes consent specific and distinguishable (Art 7(2)) stands in.
fn gdpr_article(rule: ConsentRule) -> &'static str {
    match rule {
        ConsentRule::BasisWithoutConsent | ConsentRule::NoBasis => "6(1)",
        ConsentRule::ConsentCovers | ConsentRule::Expired => "7(1)",
        ConsentRule::NoConsent | ConsentRule::OutsideScope(_) | ConsentRule::Ended(EventKind::Refused) => {
            "6(1)(a)"
        }
        ConsentRule::NotInNotice(_) => "13(3)",
        ConsentRule::UnknownNotice => "13",
        ConsentRule::SeparateConsentRequired(SeparateBecause::SensitiveCategory) => "9(2)(a)",
        ConsentRule::SeparateConsentRequired(SeparateBecause::MinorData)
        | ConsentRule::GuardianConsentRequired => "8(1)",
        ConsentRule::SeparateConsentRequired(SeparateBecause::ThirdParty) => "7(2)",
        ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder) => "49(1)(a)",
        ConsentRule::Ended(EventKind::Objected) => "21",
        ConsentRule::Ended(_) => "7(3)",
        ConsentRule::SuccessorNotified | ConsentRule::SuccessorNotNotified => "14",
    }
}

/// One machine-readable reason: the rule, its article, and the ledger entry it concerns, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsentReason {
    /// The rule.
    pub rule: ConsentRule,
    /// Its article.
    pub citation: Citation,
    /// The ledger index of the grant, withdrawal or notice the rule was applied to.
    pub entry: Option<u64>,
}

/// The answer to [`crate::ConsentIndex::permits`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsentDecision {
    outcome: ConsentOutcome,
    basis: Option<LegalBasis>,
    evidence: Vec<u64>,
    reasons: Vec<ConsentReason>,
}

impl ConsentDecision {
    pub(crate) fn new(
        outcome: ConsentOutcome,
        basis: Option<LegalBasis>,
        mut evidence: Vec<u64>,
        reasons: Vec<ConsentReason>,
    ) -> Self {
        evidence.sort_unstable();
        evidence.dedup();
        Self {
            outcome,
            basis,
            evidence,
            reasons,
        }
    }

    /// Permitted or denied.
    pub fn outcome(&self) -> ConsentOutcome {
        self.outcome
    }

    /// Whether the use is permitted.
    pub fn is_permitted(&self) -> bool {
        self.outcome == ConsentOutcome::Permitted
    }

    /// The basis the use rests on, when the policy names one: consent or another PIPL Art 13 basis.
    pub fn basis(&self) -> Option<LegalBasis> {
        self.basis
    }

    /// Ledger indices of the evidence, ascending. When permitted on consent: every grant in force that
    /// covers the use (GDPR Art 7(1): the controller can demonstrate consent). When denied: the grants that
    /// were considered and the events that ended them.
    pub fn evidence(&self) -> &[u64] {
        &self.evidence
    }

    /// The reasons, in the order the grants they concern took effect. A denial lists, for each grant of
    /// this purpose and category, every rule it failed; with no such grant, [`ConsentRule::NoConsent`].
    pub fn reasons(&self) -> &[ConsentReason] {
        &self.reasons
    }

    /// Whether some reason applies `rule`.
    pub fn has_rule(&self, rule: ConsentRule) -> bool {
        self.reasons.iter().any(|r| r.rule == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn minor_until_the_fourteenth_birthday() {
        let s = Subject::born(
            CustomerId::new_v7(),
            NaiveDate::from_ymd_opt(2012, 2, 29).unwrap(),
        );
        let day = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
        assert!(s.is_minor_at(day(2026, 2, 27), 14));
        assert!(!s.is_minor_at(day(2026, 2, 28), 14));
        assert!(!Subject::new(CustomerId::new_v7()).is_minor_at(day(2026, 1, 1), 14));
    }

    #[test]
    fn every_rule_cites_an_article_in_both_regimes() {
        let rules = [
            ConsentRule::BasisWithoutConsent,
            ConsentRule::NoBasis,
            ConsentRule::ConsentCovers,
            ConsentRule::NoConsent,
            ConsentRule::OutsideScope(Dimension::Destination),
            ConsentRule::NotInNotice(Dimension::Purpose),
            ConsentRule::UnknownNotice,
            ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder),
            ConsentRule::GuardianConsentRequired,
            ConsentRule::Expired,
            ConsentRule::Ended(EventKind::Withdrawn),
            ConsentRule::SuccessorNotNotified,
        ];
        for r in rules {
            assert!(r.citation(Regime::Pipl).to_string().starts_with("PIPL Art "));
            assert!(r.citation(Regime::Gdpr).to_string().starts_with("GDPR Art "));
        }
        assert_eq!(
            ConsentRule::Ended(EventKind::Withdrawn)
                .citation(Regime::Pipl)
                .to_string(),
            "PIPL Art 15"
        );
        assert_eq!(
            ConsentRule::Ended(EventKind::Withdrawn)
                .citation(Regime::Gdpr)
                .to_string(),
            "GDPR Art 7(3)"
        );
        assert_eq!(
            ConsentRule::SeparateConsentRequired(SeparateBecause::CrossBorder)
                .citation(Regime::Pipl)
                .to_string(),
            "PIPL Art 39"
        );
    }
}
