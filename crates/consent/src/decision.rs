//! The answer to "may this use happen": permitted or denied, the basis, the ledger evidence, and reasons
//! that name the rule and its article.

use chrono::{DateTime, Months, NaiveDate, Utc};
use custodia_model::{Citation, CustomerId, GdprBasis, Jurisdiction, LegalBasis};
use serde::{Deserialize, Serialize};

use crate::event::EventKind;
use crate::policy::Regime;

fn mainland() -> Jurisdiction {
    Jurisdiction::MAINLAND_CHINA
}

/// The facts about a customer that the rules need, supplied by the caller: this crate never reads a
/// customer record, so the decision stays pure logic over its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subject {
    customer: CustomerId,
    birth_date: Option<NaiveDate>,
    /// Whose calendar dates the person's age: mainland China unless the caller says otherwise.
    #[serde(default = "mainland")]
    jurisdiction: Jurisdiction,
}

/// How old a person was at an instant, against an age threshold (PIPL Art 31: 14; GDPR Art 8(1): 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgeAt {
    /// Younger than the threshold.
    Under,
    /// The threshold birthday has begun in the person's jurisdiction.
    Reached,
    /// Not known: no birth date, or a birthday whose local date custodia cannot tell (a jurisdiction whose
    /// civil time it does not know, within the day around the birthday).
    Unknown,
}

/// When the threshold birthday begins, in microseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ComingOfAge {
    /// No birth date.
    NoBirthDate,
    /// Local midnight of the birthday in the person's jurisdiction. `i64::MAX` when the arithmetic overflows
    /// (always a minor, the cautious answer).
    At(i64),
    /// The civil time is unknown: the birthday begins somewhere between its start at UTC+14 and at UTC−12.
    Between(i64, i64),
}

impl ComingOfAge {
    pub(crate) fn age_at(self, at_us: i64) -> AgeAt {
        match self {
            ComingOfAge::NoBirthDate => AgeAt::Unknown,
            ComingOfAge::At(t) if at_us < t => AgeAt::Under,
            ComingOfAge::At(_) => AgeAt::Reached,
            ComingOfAge::Between(early, _) if at_us < early => AgeAt::Under,
            ComingOfAge::Between(_, late) if at_us >= late => AgeAt::Reached,
            ComingOfAge::Between(..) => AgeAt::Unknown,
        }
    }
}

impl Subject {
    /// A customer whose birth date is not known (an organization, or a person whose identity document has
    /// not been read). The minor rules cannot apply to it, and a guardian's consent cannot count for it
    /// ([`crate::ConsentRule::GuardianAgeUnknown`]).
    pub fn new(customer: CustomerId) -> Self {
        Self {
            customer,
            birth_date: None,
            jurisdiction: mainland(),
        }
    }

    /// A natural person born on `birth_date` (read from the identity document, GB 11643), living in mainland
    /// China: ages are counted on Beijing-time calendar dates. See [`Subject::in_jurisdiction`].
    pub fn born(customer: CustomerId, birth_date: NaiveDate) -> Self {
        Self {
            customer,
            birth_date: Some(birth_date),
            jurisdiction: mainland(),
        }
    }

    /// The same subject, whose age is counted on the calendar of `jurisdiction` (where the person lives):
    /// a birthday begins at local midnight there ([`Jurisdiction::start_of_day`]).
    pub fn in_jurisdiction(self, jurisdiction: Jurisdiction) -> Self {
        Self { jurisdiction, ..self }
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The birth date, when known.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }

    /// Whose calendar dates the person's age.
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    pub(crate) fn coming_of_age(&self, age_years: u32) -> ComingOfAge {
        let Some(born) = self.birth_date else {
            return ComingOfAge::NoBirthDate;
        };
        // The birthday counts as reached on the same calendar date; a 29 February birthday is reached on
        // 28 February in common years (chrono clamps to the month's end).
        let Some(birthday) = born.checked_add_months(Months::new(age_years.saturating_mul(12))) else {
            return ComingOfAge::At(i64::MAX);
        };
        if let Some(start) = self.jurisdiction.start_of_day(birthday) {
            return ComingOfAge::At(start.timestamp_micros());
        }
        let midnight = birthday
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros());
        let hour = 3_600_000_000i64;
        match midnight {
            Some(m) => ComingOfAge::Between(m.saturating_sub(14 * hour), m.saturating_add(12 * hour)),
            None => ComingOfAge::At(i64::MAX),
        }
    }

    /// How old the person is at `at` against `age_years`, on the calendar of the person's jurisdiction.
    pub fn age_at(&self, at: DateTime<Utc>, age_years: u32) -> AgeAt {
        self.coming_of_age(age_years).age_at(at.timestamp_micros())
    }

    /// Whether the person is younger than `age_years` at `at` (PIPL Art 31: 14), counted on the calendar date
    /// in the person's jurisdiction (Beijing time for the mainland: a 14th birthday begins at 16:00 UTC the
    /// day before). An unknown birth date is never a minor; a birthday whose local date cannot be told counts
    /// as not yet reached, the cautious answer.
    pub fn is_minor_at(&self, at: DateTime<Utc>, age_years: u32) -> bool {
        match self.coming_of_age(age_years) {
            ComingOfAge::NoBirthDate => false,
            other => other.age_at(at.timestamp_micros()) != AgeAt::Reached,
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

/// Why a use needs separate consent. Under the GDPR, which refuses bundled consent altogether
/// ([`ConsentRule::BundledConsent`]), the sensitive and cross-border reasons stand for the explicit consent
/// of Art 9(2)(a) and Art 49(1)(a).
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
    /// The grant took effect before the notice it cites was published: consent must be informed, so the
    /// notice comes first (PIPL Arts 14, 17; GDPR Art 13(1): at the time the data are obtained).
    NoticeAfterConsent,
    /// A guardian's grant for a person who had reached the guardian age when it took effect: it does not count
    /// (PIPL Art 31 covers persons under 14; GDPR Art 8(1)).
    GuardianForAdult,
    /// A guardian's grant for a person whose age at the time is not known: it does not count until the age is
    /// shown (PIPL Art 31; GDPR Art 8(2), reasonable efforts to verify).
    GuardianAgeUnknown,
    /// Under the GDPR, a consent given together with other matters is not a consent (Art 7(2): clearly
    /// distinguishable; Art 7(4): not a condition of the contract).
    BundledConsent,
    /// Special-category data (GDPR Art 9(1)) for a purpose with no Art 9(2) condition.
    SpecialCategoryWithoutCondition,
    /// Special-category data used under the Art 9(2) condition the reason cites.
    SpecialCategoryAllowed,
    /// Under the GDPR, a use outside the EEA with no Chapter V ground recorded for the destination (Art 44).
    NoTransferGround,
    /// A use outside the EEA under the Chapter V ground the reason cites.
    TransferGroundApplies,
    /// Under legitimate interests, a recipient other than the controller receives the data and the customer
    /// was served a notice naming it (GDPR Arts 13(1)(e), 14).
    RecipientNotified,
    /// Under legitimate interests, a recipient other than the controller would receive the data and the
    /// customer has not been served a notice naming it (GDPR Arts 13(1)(e), 14).
    RecipientNotNotified,
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
        ConsentRule::NoticeAfterConsent => "17",
        ConsentRule::GuardianForAdult | ConsentRule::GuardianAgeUnknown => "31",
        // The rules below are the GDPR's; under the PIPL they never decide, and cite its nearest article.
        ConsentRule::BundledConsent => "14",
        ConsentRule::SpecialCategoryWithoutCondition | ConsentRule::SpecialCategoryAllowed => "29",
        ConsentRule::NoTransferGround | ConsentRule::TransferGroundApplies => "38",
        ConsentRule::RecipientNotified | ConsentRule::RecipientNotNotified => "23",
    }
}

/// The closest GDPR counterparts; where the GDPR has no "separate consent" for a rule, the article that
/// makes consent specific and distinguishable (Art 7(2)) stands in.
fn gdpr_article(rule: ConsentRule) -> &'static str {
    match rule {
        ConsentRule::BasisWithoutConsent | ConsentRule::NoBasis => "6(1)",
        ConsentRule::ConsentCovers | ConsentRule::Expired => "7(1)",
        ConsentRule::OutsideScope(Dimension::Destination) => "49(1)(a)",
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
        ConsentRule::NoticeAfterConsent => "13(1)",
        ConsentRule::GuardianForAdult => "8(1)",
        ConsentRule::GuardianAgeUnknown => "8(2)",
        ConsentRule::BundledConsent => "7(2)",
        ConsentRule::SpecialCategoryWithoutCondition => "9(1)",
        ConsentRule::SpecialCategoryAllowed => "9(2)",
        ConsentRule::NoTransferGround | ConsentRule::TransferGroundApplies => "44",
        ConsentRule::RecipientNotified | ConsentRule::RecipientNotNotified => "13(1)(e)",
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gdpr_basis: Option<GdprBasis>,
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
            gdpr_basis: None,
            evidence,
            reasons,
        }
    }

    pub(crate) fn with_gdpr_basis(mut self, basis: GdprBasis) -> Self {
        self.gdpr_basis = Some(basis);
        self
    }

    /// Permitted or denied.
    pub fn outcome(&self) -> ConsentOutcome {
        self.outcome
    }

    /// Whether the use is permitted.
    pub fn is_permitted(&self) -> bool {
        self.outcome == ConsentOutcome::Permitted
    }

    /// The basis the use rests on, when the policy names one: consent or another PIPL Art 13 basis. Under
    /// the GDPR, the nearest PIPL item of [`ConsentDecision::gdpr_basis`] (see
    /// [`GdprBasis::nearest_pipl_basis`]).
    pub fn basis(&self) -> Option<LegalBasis> {
        self.basis
    }

    /// Under the GDPR, the Art 6(1) basis the use rests on, when the policy names one.
    pub fn gdpr_basis(&self) -> Option<&GdprBasis> {
        self.gdpr_basis.as_ref()
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
    fn the_fourteenth_birthday_begins_at_midnight_beijing_time() {
        let s = Subject::born(CustomerId::new_v7(), NaiveDate::from_ymd_opt(2011, 3, 1).unwrap());
        // 2025-03-01 00:00 in Beijing is 2025-02-28 16:00 UTC.
        let birthday = Utc.with_ymd_and_hms(2025, 2, 28, 16, 0, 0).unwrap();
        let before = birthday - chrono::Duration::seconds(1);
        assert_eq!(s.age_at(before, 14), AgeAt::Under);
        assert_eq!(s.age_at(birthday, 14), AgeAt::Reached);
        assert!(s.is_minor_at(before, 14));
        assert!(!s.is_minor_at(birthday, 14));
        // In Germany (UTC+1 in winter) it begins at 23:00 UTC.
        let de = s.in_jurisdiction(Jurisdiction::new("DE").unwrap());
        assert_eq!(de.age_at(birthday, 14), AgeAt::Under);
        let berlin = Utc.with_ymd_and_hms(2025, 2, 28, 23, 0, 0).unwrap();
        assert_eq!(de.age_at(berlin, 14), AgeAt::Reached);
        // Where custodia does not know the civil time, the day around the birthday is unknown, never guessed.
        let us = s.in_jurisdiction(Jurisdiction::new("US").unwrap());
        let midnight_utc = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        assert_eq!(us.age_at(midnight_utc, 14), AgeAt::Unknown);
        assert!(
            us.is_minor_at(midnight_utc, 14),
            "unknown counts as not yet reached"
        );
        assert_eq!(
            us.age_at(midnight_utc - chrono::Duration::hours(15), 14),
            AgeAt::Under
        );
        assert_eq!(
            us.age_at(midnight_utc + chrono::Duration::hours(12), 14),
            AgeAt::Reached
        );
        assert_eq!(
            Subject::new(CustomerId::new_v7()).age_at(midnight_utc, 14),
            AgeAt::Unknown
        );
        // Stored subjects from before the jurisdiction existed read as mainland customers.
        let json = serde_json::to_value(s).unwrap();
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("jurisdiction");
        assert_eq!(serde_json::from_value::<Subject>(old).unwrap(), s);
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
            ConsentRule::NoticeAfterConsent,
            ConsentRule::GuardianForAdult,
            ConsentRule::GuardianAgeUnknown,
            ConsentRule::BundledConsent,
            ConsentRule::SpecialCategoryWithoutCondition,
            ConsentRule::SpecialCategoryAllowed,
            ConsentRule::NoTransferGround,
            ConsentRule::TransferGroundApplies,
            ConsentRule::RecipientNotified,
            ConsentRule::RecipientNotNotified,
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
