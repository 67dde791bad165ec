//! Which legal basis each purpose rests on, as data a user can load, inspect and change (PIPL Art 13;
//! GDPR Arts 6 and 7 for the EU profile).

use custodia_model::{Citation, LegalBasis, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::ConsentError;

/// Which law's articles the decisions cite. The rules applied are the same shape; the citations and the
/// age below which a guardian must consent differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Regime {
    /// The PIPL, for customers in mainland China.
    Pipl,
    /// The GDPR, for customers in the EU (GDPR Art 3). Consent must be demonstrable (Art 7(1)) and as easy to
    /// withdraw as to give (Art 7(3)); the ledger evidence and withdrawal events give both.
    Gdpr,
}

/// How the book moves to a buyer: an open legal question, so a setting (regulations README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransferPath {
    /// A merger-like transfer: tell each person the recipient's name and contact; the recipient continues the
    /// obligations (PIPL Art 22). No new consent.
    MergerNotice,
    /// A provision to another processor: separate consent of each person (PIPL Art 23).
    SeparateConsent,
}

/// The basis one purpose rests on, and the article that says so.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PurposeRule {
    /// The purpose.
    pub purpose: Purpose,
    /// Its legal basis. Only [`LegalBasis::Consent`] makes the decision look for consent (PIPL Art 13(2)).
    pub basis: LegalBasis,
    /// The article the decision names as its reason.
    pub citation: Citation,
}

/// The stored, editable form of a [`BasisPolicy`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasisPolicyDraft {
    /// A name for reports, such as `cn-insurance-broker`.
    pub name: String,
    /// Whose citations.
    pub regime: Regime,
    /// Below this age (in whole years) a parent or guardian must consent: 14 under PIPL Art 31; 16 by default
    /// under GDPR Art 8(1), which member states may lower to 13.
    pub guardian_age_years: u32,
    /// One rule per purpose. A purpose without a rule is denied: nothing is processed without a basis.
    pub rules: Vec<PurposeRule>,
}

/// A validated basis policy: one rule per purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BasisPolicyDraft", into = "BasisPolicyDraft")]
pub struct BasisPolicy {
    draft: BasisPolicyDraft,
}

impl BasisPolicy {
    /// Checks the draft: a name, a guardian age in 1..=25, no purpose twice.
    pub fn new(draft: BasisPolicyDraft) -> Result<Self, ConsentError> {
        if draft.name.trim().is_empty() || draft.name.len() > 128 {
            return Err(ConsentError::InvalidText {
                field: "policy.name",
                max: 128,
            });
        }
        if !(1..=25).contains(&draft.guardian_age_years) {
            return Err(ConsentError::InvalidGuardianAge {
                policy: draft.name.clone(),
                years: draft.guardian_age_years,
            });
        }
        for (i, rule) in draft.rules.iter().enumerate() {
            if draft.rules.iter().skip(i + 1).any(|r| r.purpose == rule.purpose) {
                return Err(ConsentError::DuplicatePurpose {
                    policy: draft.name.clone(),
                    purpose: rule.purpose.code().to_owned(),
                });
            }
        }
        Ok(Self { draft })
    }

    /// The default profile of a Chinese insurance broker (`cn-insurance-broker`): policy servicing,
    /// proposal preparation, application handling and claims assistance (Broker Rule 2018 Art 36) rest on the
    /// contract (PIPL Art 13(1)(2)); legal compliance on legal
    /// obligation (Art 13(1)(3): AML Law 2024 Art 34, Broker Rule Art 51); marketing and analytics on consent
    /// (Art 13(1)(1)); transfer to a buyer per `transfer`: Art 22 notice or Art 23 separate consent.
    pub fn cn_insurance_broker(transfer: TransferPath) -> Self {
        let rule = |purpose, basis: LegalBasis| PurposeRule {
            purpose,
            basis,
            citation: basis.citation(),
        };
        let transfer_rule = match transfer {
            TransferPath::MergerNotice => PurposeRule {
                purpose: Purpose::Transfer,
                basis: LegalBasis::OtherLaw,
                citation: Citation::pipl("22"),
            },
            TransferPath::SeparateConsent => PurposeRule {
                purpose: Purpose::Transfer,
                basis: LegalBasis::Consent,
                citation: Citation::pipl("23"),
            },
        };
        Self {
            draft: BasisPolicyDraft {
                name: "cn-insurance-broker".into(),
                regime: Regime::Pipl,
                guardian_age_years: 14,
                rules: vec![
                    rule(Purpose::PolicyServicing, LegalBasis::Contract),
                    rule(Purpose::ProposalPreparation, LegalBasis::Contract),
                    rule(Purpose::ApplicationHandling, LegalBasis::Contract),
                    rule(Purpose::ClaimsAssistance, LegalBasis::Contract),
                    rule(Purpose::LegalCompliance, LegalBasis::LegalObligation),
                    rule(Purpose::Marketing, LegalBasis::Consent),
                    rule(Purpose::Analytics, LegalBasis::Consent),
                    transfer_rule,
                ],
            },
        }
    }

    /// The profile for EU customers (`gdpr`): the same purposes on GDPR Art 6(1) bases; consent under Art 7
    /// (demonstrable, withdrawable as easily as given); guardian consent below 16 (Art 8(1)). A transfer of
    /// the book rests on consent here, since the GDPR has no merger-notice path.
    pub fn gdpr() -> Self {
        let rule = |purpose, basis: LegalBasis, article: &str| PurposeRule {
            purpose,
            basis,
            citation: Citation::gdpr(article),
        };
        Self {
            draft: BasisPolicyDraft {
                name: "gdpr".into(),
                regime: Regime::Gdpr,
                guardian_age_years: 16,
                rules: vec![
                    rule(Purpose::PolicyServicing, LegalBasis::Contract, "6(1)(b)"),
                    rule(Purpose::ProposalPreparation, LegalBasis::Contract, "6(1)(b)"),
                    rule(Purpose::ApplicationHandling, LegalBasis::Contract, "6(1)(b)"),
                    rule(Purpose::ClaimsAssistance, LegalBasis::Contract, "6(1)(b)"),
                    rule(Purpose::LegalCompliance, LegalBasis::LegalObligation, "6(1)(c)"),
                    rule(Purpose::Marketing, LegalBasis::Consent, "6(1)(a)"),
                    rule(Purpose::Analytics, LegalBasis::Consent, "6(1)(a)"),
                    rule(Purpose::Transfer, LegalBasis::Consent, "6(1)(a)"),
                ],
            },
        }
    }

    /// The rule for `purpose`, if the policy has one.
    pub fn rule(&self, purpose: &Purpose) -> Option<&PurposeRule> {
        self.draft.rules.iter().find(|r| &r.purpose == purpose)
    }

    /// A copy with `rule` replacing any rule for the same purpose: how a user adapts a shipped profile.
    pub fn with_rule(&self, rule: PurposeRule) -> Self {
        let mut draft = self.draft.clone();
        draft.rules.retain(|r| r.purpose != rule.purpose);
        draft.rules.push(rule);
        Self { draft }
    }

    /// All fields, read-only.
    pub fn fields(&self) -> &BasisPolicyDraft {
        &self.draft
    }

    /// Whose citations.
    pub fn regime(&self) -> Regime {
        self.draft.regime
    }

    /// The guardian age in years.
    pub fn guardian_age_years(&self) -> u32 {
        self.draft.guardian_age_years
    }
}

impl TryFrom<BasisPolicyDraft> for BasisPolicy {
    type Error = ConsentError;

    fn try_from(draft: BasisPolicyDraft) -> Result<Self, Self::Error> {
        BasisPolicy::new(draft)
    }
}

impl From<BasisPolicy> for BasisPolicyDraft {
    fn from(p: BasisPolicy) -> Self {
        p.draft
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_are_valid_and_follow_the_brief() {
        for p in [
            BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice),
            BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent),
            BasisPolicy::gdpr(),
        ] {
            let again = BasisPolicy::new(p.fields().clone()).unwrap();
            assert_eq!(again, p);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<BasisPolicy>(&json).unwrap(), p);
        }
        let cn = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice);
        assert_eq!(
            cn.rule(&Purpose::ClaimsAssistance).unwrap().basis,
            LegalBasis::Contract
        );
        assert_eq!(cn.rule(&Purpose::Marketing).unwrap().basis, LegalBasis::Consent);
        assert_eq!(
            cn.rule(&Purpose::Transfer).unwrap().citation.to_string(),
            "PIPL Art 22"
        );
        let sep = BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent);
        assert_eq!(sep.rule(&Purpose::Transfer).unwrap().basis, LegalBasis::Consent);
        assert_eq!(BasisPolicy::gdpr().guardian_age_years(), 16);
    }

    #[test]
    fn duplicate_purposes_and_bad_ages_are_refused() {
        let mut d = BasisPolicy::gdpr().fields().clone();
        d.rules.push(d.rules[0].clone());
        assert!(matches!(
            BasisPolicy::new(d),
            Err(ConsentError::DuplicatePurpose { .. })
        ));
        let mut d = BasisPolicy::gdpr().fields().clone();
        d.guardian_age_years = 0;
        assert!(matches!(
            BasisPolicy::new(d),
            Err(ConsentError::InvalidGuardianAge { years: 0, .. })
        ));
    }

    #[test]
    fn a_user_can_change_a_rule() {
        let custom = Purpose::custom("fraud_screening").unwrap();
        let p = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice).with_rule(PurposeRule {
            purpose: custom.clone(),
            basis: LegalBasis::LegalObligation,
            citation: Citation::pipl("13(1)(3)"),
        });
        assert_eq!(p.rule(&custom).unwrap().basis, LegalBasis::LegalObligation);
        assert!(BasisPolicy::new(p.fields().clone()).is_ok());
    }
}
