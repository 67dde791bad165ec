//! Which legal basis each purpose rests on, as data a user can load, inspect and change: PIPL Art 13 bases
//! for the `cn-insurance-broker` profile, and the GDPR's own grounds for the `gdpr` profile (Art 6(1) bases,
//! Art 9(2) conditions for special categories, Chapter V grounds for transfers out of the EEA).

use custodia_model::{
    BalancingTest, Citation, DataCategory, GdprBasis, Instrument, Jurisdiction, LegalBasis, Purpose,
    SpecialCategoryCondition, TransferGround,
};
use serde::{Deserialize, Serialize};

use crate::error::ConsentError;

/// Which law decides. Under [`Regime::Pipl`] a purpose rests on a PIPL Art 13 basis and sensitive data,
/// third parties and destinations abroad need separate consent (PIPL Arts 23, 29, 39). Under
/// [`Regime::Gdpr`] a purpose rests on a GDPR Art 6(1) basis, special-category data needs an Art 9(2)
/// condition, consent bundled with other matters is no consent (Art 7(2), 7(4)), and data used outside the
/// EEA needs a Chapter V ground (Art 44).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Regime {
    /// The PIPL, for customers in mainland China.
    Pipl,
    /// The GDPR, for customers in the EEA (GDPR Art 3; the EEA Agreement). Consent must be demonstrable
    /// (Art 7(1)) and as easy to withdraw as to give (Art 7(3)); the ledger evidence and withdrawal events give
    /// both.
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

/// The basis one purpose rests on, and the article that says so: the PIPL-shaped view of a rule. Under the
/// GDPR regime [`BasisPolicy::rule`] gives the nearest PIPL item ([`GdprBasis::nearest_pipl_basis`]) with the
/// GDPR article as its citation, for code that only asks whether a purpose rests on consent; the GDPR's own
/// rule is [`BasisPolicy::gdpr_rule`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PurposeRule {
    /// The purpose.
    pub purpose: Purpose,
    /// Its legal basis. Only [`LegalBasis::Consent`] makes the decision look for consent (PIPL Art 13(2)).
    pub basis: LegalBasis,
    /// The article the decision names as its reason.
    pub citation: Citation,
}

/// The GDPR rule for one purpose: its Art 6(1) basis, and the Art 9(2) condition under which
/// special-category data may be used for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdprPurposeRule {
    /// The purpose.
    pub purpose: Purpose,
    /// Its Art 6(1) basis. A legal obligation or public task must rest on Union or member-state law
    /// (Art 6(3)): a policy naming a Chinese duty is refused.
    pub basis: GdprBasis,
    /// The Art 9(2) condition for special-category data (health) used for this purpose; `None` refuses such
    /// data for it (Art 9(1)). With [`SpecialCategoryCondition::ExplicitConsent`] the use needs the person's
    /// explicit consent even where the purpose rests on the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_categories: Option<SpecialCategoryCondition>,
}

/// The Chapter V ground for data used in one destination outside the EEA.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRule {
    /// A jurisdiction outside the EEA.
    pub destination: Jurisdiction,
    /// The ground (Arts 45 to 49). With [`TransferGround::ExplicitConsent`] the consent must name the
    /// destination (Art 49(1)(a)).
    pub ground: TransferGround,
}

/// Whether claims data is health data for GDPR Art 9(1). An open question that depends on the lines of
/// business (a health or accident claim holds medical records, a motor damage claim usually does not), so a
/// setting; the cautious default treats claims as health data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClaimsData {
    /// Claims carry medical records: special-category data (the default).
    #[default]
    CarriesHealthData,
    /// The book's claims carry no medical records: not special-category data.
    NoHealthData,
}

/// The GDPR's part of a [`BasisPolicy`] under [`Regime::Gdpr`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdprTerms {
    /// One rule per purpose. A purpose without a rule is denied (Art 6(1)).
    pub rules: Vec<GdprPurposeRule>,
    /// The ground for each destination outside the EEA. A use in a destination without one is refused
    /// (Art 44); use inside the EEA needs none.
    #[serde(default)]
    pub transfers: Vec<TransferRule>,
    /// Whether claims are health data.
    #[serde(default)]
    pub claims: ClaimsData,
}

impl GdprTerms {
    /// Whether `category` is special-category data under GDPR Art 9(1): health data, and claims unless the
    /// book's claims carry no medical records. Financial accounts, identity and contact data are not on
    /// Art 9's list (they are sensitive under PIPL Art 28, a different list).
    pub fn is_special_category(&self, category: DataCategory) -> bool {
        match category {
            DataCategory::Health => true,
            DataCategory::Claims => self.claims == ClaimsData::CarriesHealthData,
            _ => false,
        }
    }
}

/// The stored, editable form of a [`BasisPolicy`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasisPolicyDraft {
    /// A name for reports, such as `cn-insurance-broker`.
    pub name: String,
    /// Which law decides.
    pub regime: Regime,
    /// Below this age (in whole years) a parent or guardian must consent: 14 under PIPL Art 31; 16 by default
    /// under GDPR Art 8(1), which member states may lower to 13.
    pub guardian_age_years: u32,
    /// Under [`Regime::Pipl`], one rule per purpose; a purpose without a rule is denied: nothing is processed
    /// without a basis. Empty under [`Regime::Gdpr`], whose rules are in `gdpr`.
    #[serde(default)]
    pub rules: Vec<PurposeRule>,
    /// Under [`Regime::Gdpr`], the GDPR's rules; absent under [`Regime::Pipl`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gdpr: Option<GdprTerms>,
}

/// A validated basis policy: one rule per purpose, and under the GDPR only grounds that can stand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BasisPolicyDraft", into = "BasisPolicyDraft")]
pub struct BasisPolicy {
    draft: BasisPolicyDraft,
    /// Under the GDPR, the PIPL-shaped view of `draft.gdpr.rules` that [`BasisPolicy::rule`] returns.
    derived: Vec<PurposeRule>,
}

const MAX_REFERENCE: usize = 256;

fn check_reference(field: &'static str, value: &str) -> Result<(), ConsentError> {
    if value.trim().is_empty() || value.chars().count() > MAX_REFERENCE {
        return Err(ConsentError::InvalidText {
            field,
            max: MAX_REFERENCE,
        });
    }
    Ok(())
}

fn check_gdpr(name: &str, terms: &GdprTerms) -> Result<(), ConsentError> {
    for (i, rule) in terms.rules.iter().enumerate() {
        if terms.rules.iter().skip(i + 1).any(|r| r.purpose == rule.purpose) {
            return Err(ConsentError::DuplicatePurpose {
                policy: name.to_owned(),
                purpose: rule.purpose.code().to_owned(),
            });
        }
        let founded = rule.basis.is_founded()
            && rule
                .special_categories
                .as_ref()
                .is_none_or(SpecialCategoryCondition::is_founded);
        if !founded {
            return Err(ConsentError::UnfoundedGdprGround {
                policy: name.to_owned(),
                purpose: rule.purpose.code().to_owned(),
            });
        }
    }
    for (i, t) in terms.transfers.iter().enumerate() {
        if t.destination.is_eea_member() {
            return Err(ConsentError::TransferInsideEea {
                policy: name.to_owned(),
                destination: t.destination.code().to_owned(),
            });
        }
        if terms
            .transfers
            .iter()
            .skip(i + 1)
            .any(|o| o.destination == t.destination)
        {
            return Err(ConsentError::DuplicateDestination {
                policy: name.to_owned(),
                destination: t.destination.code().to_owned(),
            });
        }
        match &t.ground {
            TransferGround::Adequacy { decision } => check_reference("transfer.decision", decision)?,
            TransferGround::StandardContractualClauses { reference }
            | TransferGround::BindingCorporateRules { reference } => {
                check_reference("transfer.reference", reference)?
            }
            _ => {}
        }
    }
    Ok(())
}

fn derive(terms: &GdprTerms) -> Vec<PurposeRule> {
    terms
        .rules
        .iter()
        .map(|r| PurposeRule {
            purpose: r.purpose.clone(),
            basis: r.basis.nearest_pipl_basis(),
            citation: r.basis.citation(),
        })
        .collect()
}

impl BasisPolicy {
    /// Checks the draft: a name, a guardian age in 1..=25, no purpose twice; PIPL rules under the PIPL and
    /// GDPR terms under the GDPR, never both; under the GDPR, every legal obligation, public task and
    /// Art 9(2)(g) condition on Union or member-state law (Art 6(3)), every transfer ground for a destination
    /// outside the EEA, named once, with its reference.
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
        let derived = match (draft.regime, &draft.gdpr) {
            (Regime::Gdpr, Some(terms)) if draft.rules.is_empty() => {
                check_gdpr(&draft.name, terms)?;
                derive(terms)
            }
            (Regime::Gdpr, _) => {
                return Err(ConsentError::PolicyShape {
                    policy: draft.name.clone(),
                    detail: "a GDPR policy has GDPR terms and no PIPL rules",
                });
            }
            (_, None) => Vec::new(),
            (_, Some(_)) => {
                return Err(ConsentError::PolicyShape {
                    policy: draft.name.clone(),
                    detail: "only a GDPR policy has GDPR terms",
                });
            }
        };
        Ok(Self { draft, derived })
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
                gdpr: None,
            },
            derived: Vec::new(),
        }
    }

    /// The profile for customers in the EEA (`gdpr`), on the GDPR's own grounds:
    ///
    /// - policy servicing, underwriting and claims handling rest on the contract (Art 6(1)(b)); health data
    ///   for them, and claims (see [`ClaimsData`]), needs explicit consent (Art 9(2)(a));
    /// - legal compliance rests on the EU anti-money-laundering rules (Art 6(1)(c) with Directive (EU)
    ///   2015/849 Arts 13, 40 and 43), valid only for a broker that is an obliged entity under them; a Chinese
    ///   duty is never a GDPR legal obligation (Art 6(3)) — put such a purpose on legitimate interests with a
    ///   recorded balancing test instead;
    /// - marketing, analytics and the transfer of the book rest on consent (Art 6(1)(a)), because no
    ///   balancing test can ship with a library; a sale of the book usually rests on legitimate interests
    ///   (Art 6(1)(f)) with the Art 13/14 notice: [`BasisPolicy::gdpr_book_sale`];
    /// - consent is refused when bundled with other matters (Art 7(2), 7(4)) and needs a guardian below 16
    ///   (Art 8(1));
    /// - no transfer ground is recorded, so every use outside the EEA is refused until the user records one
    ///   ([`BasisPolicy::with_transfer_rule`], Art 44).
    pub fn gdpr() -> Self {
        let rule = |purpose, basis: GdprBasis, special: Option<SpecialCategoryCondition>| GdprPurposeRule {
            purpose,
            basis,
            special_categories: special,
        };
        let explicit = Some(SpecialCategoryCondition::ExplicitConsent);
        let terms = GdprTerms {
            rules: vec![
                rule(Purpose::PolicyServicing, GdprBasis::Contract, explicit.clone()),
                rule(
                    Purpose::ProposalPreparation,
                    GdprBasis::Contract,
                    explicit.clone(),
                ),
                rule(
                    Purpose::ApplicationHandling,
                    GdprBasis::Contract,
                    explicit.clone(),
                ),
                rule(Purpose::ClaimsAssistance, GdprBasis::Contract, explicit),
                rule(
                    Purpose::LegalCompliance,
                    GdprBasis::LegalObligation {
                        law: Citation::new(Instrument::EuAmlDirective2015, "13, 40, 43"),
                    },
                    None,
                ),
                rule(Purpose::Marketing, GdprBasis::Consent, None),
                rule(Purpose::Analytics, GdprBasis::Consent, None),
                rule(Purpose::Transfer, GdprBasis::Consent, None),
            ],
            transfers: Vec::new(),
            claims: ClaimsData::CarriesHealthData,
        };
        Self {
            derived: derive(&terms),
            draft: BasisPolicyDraft {
                name: "gdpr".into(),
                regime: Regime::Gdpr,
                guardian_age_years: 16,
                rules: Vec::new(),
                gdpr: Some(terms),
            },
        }
    }

    /// The `gdpr` profile with the transfer of the book on legitimate interests (Art 6(1)(f)) weighed in
    /// `test`: the buyer may receive an EEA customer's data once the customer was served a notice naming it
    /// (Arts 13(1)(e), 14), unless the customer objected (Art 21(1)).
    pub fn gdpr_book_sale(test: BalancingTest) -> Self {
        let mut policy = Self::gdpr();
        if let Some(terms) = policy.draft.gdpr.as_mut() {
            for rule in terms.rules.iter_mut().filter(|r| r.purpose == Purpose::Transfer) {
                rule.basis = GdprBasis::LegitimateInterests { test: test.clone() };
            }
            policy.derived = derive(terms);
        }
        policy
    }

    /// The rule for `purpose`, if the policy has one: under the GDPR, its PIPL-shaped view (see
    /// [`PurposeRule`]).
    pub fn rule(&self, purpose: &Purpose) -> Option<&PurposeRule> {
        let rules = match self.draft.regime {
            Regime::Gdpr => &self.derived,
            _ => &self.draft.rules,
        };
        rules.iter().find(|r| &r.purpose == purpose)
    }

    /// The GDPR rule for `purpose`, under [`Regime::Gdpr`].
    pub fn gdpr_rule(&self, purpose: &Purpose) -> Option<&GdprPurposeRule> {
        self.draft
            .gdpr
            .as_ref()
            .and_then(|t| t.rules.iter().find(|r| &r.purpose == purpose))
    }

    /// The GDPR terms, under [`Regime::Gdpr`].
    pub fn gdpr_terms(&self) -> Option<&GdprTerms> {
        self.draft.gdpr.as_ref()
    }

    /// The Chapter V ground recorded for `destination`, under [`Regime::Gdpr`].
    pub fn transfer_ground(&self, destination: Jurisdiction) -> Option<&TransferGround> {
        self.draft
            .gdpr
            .as_ref()
            .and_then(|t| t.transfers.iter().find(|r| r.destination == destination))
            .map(|r| &r.ground)
    }

    /// A copy with `rule` replacing any rule for the same purpose: how a user adapts a shipped profile.
    ///
    /// Under the GDPR the PIPL basis is translated: consent to Art 6(1)(a), contract to 6(1)(b), emergency to
    /// 6(1)(d), legal obligation to 6(1)(c) on the law `rule.citation` names when that is Union law; the
    /// purpose keeps its Art 9(2) condition. A basis the GDPR does not know, or a legal obligation on any other
    /// law (GDPR Art 6(3)), leaves the purpose without a rule, so it is denied: the cautious answer. Use
    /// [`BasisPolicy::with_gdpr_rule`] to state a GDPR rule directly.
    pub fn with_rule(&self, rule: PurposeRule) -> Self {
        let mut out = self.clone();
        match out.draft.gdpr.as_mut() {
            Some(terms) => {
                let special = terms
                    .rules
                    .iter()
                    .find(|r| r.purpose == rule.purpose)
                    .and_then(|r| r.special_categories.clone());
                terms.rules.retain(|r| r.purpose != rule.purpose);
                let basis = match rule.basis {
                    LegalBasis::Consent => Some(GdprBasis::Consent),
                    LegalBasis::Contract => Some(GdprBasis::Contract),
                    LegalBasis::Emergency => Some(GdprBasis::VitalInterests),
                    LegalBasis::LegalObligation => Some(GdprBasis::LegalObligation {
                        law: rule.citation.clone(),
                    }),
                    _ => None,
                }
                .filter(GdprBasis::is_founded);
                if let Some(basis) = basis {
                    terms.rules.push(GdprPurposeRule {
                        purpose: rule.purpose,
                        basis,
                        special_categories: special,
                    });
                }
                out.derived = derive(terms);
            }
            None => {
                out.draft.rules.retain(|r| r.purpose != rule.purpose);
                out.draft.rules.push(rule);
            }
        }
        out
    }

    /// A copy with `rule` replacing any GDPR rule for the same purpose. Refused on a PIPL policy, and for a
    /// ground that cannot stand (a legal obligation on Chinese law: GDPR Art 6(3)).
    pub fn with_gdpr_rule(&self, rule: GdprPurposeRule) -> Result<Self, ConsentError> {
        let mut draft = self.draft.clone();
        let terms = draft.gdpr.as_mut().ok_or_else(|| ConsentError::PolicyShape {
            policy: draft.name.clone(),
            detail: "only a GDPR policy has GDPR terms",
        })?;
        terms.rules.retain(|r| r.purpose != rule.purpose);
        terms.rules.push(rule);
        Self::new(draft)
    }

    /// A copy with the Chapter V ground for `rule.destination` recorded (replacing any earlier one).
    /// Refused on a PIPL policy and for a destination inside the EEA.
    pub fn with_transfer_rule(&self, rule: TransferRule) -> Result<Self, ConsentError> {
        let mut draft = self.draft.clone();
        let terms = draft.gdpr.as_mut().ok_or_else(|| ConsentError::PolicyShape {
            policy: draft.name.clone(),
            detail: "only a GDPR policy has GDPR terms",
        })?;
        terms.transfers.retain(|t| t.destination != rule.destination);
        terms.transfers.push(rule);
        Self::new(draft)
    }

    /// A copy with the claims setting changed, under the GDPR (no effect on a PIPL policy).
    pub fn with_claims_data(&self, claims: ClaimsData) -> Self {
        let mut out = self.clone();
        if let Some(terms) = out.draft.gdpr.as_mut() {
            terms.claims = claims;
        }
        out
    }

    /// All fields, read-only.
    pub fn fields(&self) -> &BasisPolicyDraft {
        &self.draft
    }

    /// Which law decides.
    pub fn regime(&self) -> Regime {
        self.draft.regime
    }

    /// The guardian age in years.
    pub fn guardian_age_years(&self) -> u32 {
        self.draft.guardian_age_years
    }

    /// Whether a use in `destination` leaves the regime's territory: outside mainland China under the PIPL
    /// (Art 38), outside the EEA under the GDPR (Chapter V).
    pub fn is_cross_border(&self, destination: Jurisdiction) -> bool {
        match self.draft.regime {
            Regime::Gdpr => !destination.is_eea_member(),
            _ => destination.is_outside_mainland(),
        }
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
        let mut d = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice)
            .fields()
            .clone();
        d.rules.push(d.rules[0].clone());
        assert!(matches!(
            BasisPolicy::new(d),
            Err(ConsentError::DuplicatePurpose { .. })
        ));
        let mut d = BasisPolicy::gdpr().fields().clone();
        let terms = d.gdpr.as_mut().unwrap();
        terms.rules.push(terms.rules[0].clone());
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

    #[test]
    fn a_gdpr_policy_has_the_gdprs_grounds_and_refuses_chinese_law_as_an_obligation() {
        let eu = BasisPolicy::gdpr();
        assert_eq!(eu.regime(), Regime::Gdpr);
        let servicing = eu.gdpr_rule(&Purpose::PolicyServicing).unwrap();
        assert_eq!(servicing.basis, GdprBasis::Contract);
        assert_eq!(
            servicing.special_categories,
            Some(SpecialCategoryCondition::ExplicitConsent)
        );
        // The PIPL-shaped view names the GDPR article.
        let view = eu.rule(&Purpose::LegalCompliance).unwrap();
        assert_eq!(view.basis, LegalBasis::LegalObligation);
        assert_eq!(view.citation.to_string(), "GDPR Art 6(1)(c)");
        // GDPR Art 6(3): the AML Law 2024 is not Union or member-state law.
        let chinese = GdprPurposeRule {
            purpose: Purpose::LegalCompliance,
            basis: GdprBasis::LegalObligation {
                law: Citation::new(Instrument::AmlLaw2024, "34"),
            },
            special_categories: None,
        };
        assert_eq!(
            eu.with_gdpr_rule(chinese),
            Err(ConsentError::UnfoundedGdprGround {
                policy: "gdpr".into(),
                purpose: "legal_compliance".into()
            })
        );
        // Translating a PIPL legal obligation does not smuggle it in either: the purpose loses its rule.
        let translated = eu.with_rule(PurposeRule {
            purpose: Purpose::LegalCompliance,
            basis: LegalBasis::LegalObligation,
            citation: Citation::pipl("13(1)(3)"),
        });
        assert!(translated.rule(&Purpose::LegalCompliance).is_none());
        let consent = eu.with_rule(PurposeRule {
            purpose: Purpose::ClaimsAssistance,
            basis: LegalBasis::Consent,
            citation: Citation::pipl("23"),
        });
        let rule = consent.gdpr_rule(&Purpose::ClaimsAssistance).unwrap();
        assert_eq!(rule.basis, GdprBasis::Consent);
        assert_eq!(
            rule.special_categories,
            Some(SpecialCategoryCondition::ExplicitConsent),
            "the Art 9(2) condition stays"
        );
        assert!(matches!(
            BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice)
                .with_gdpr_rule(eu.gdpr_rule(&Purpose::Marketing).unwrap().clone()),
            Err(ConsentError::PolicyShape { .. })
        ));
    }

    #[test]
    fn transfer_grounds_are_for_destinations_outside_the_eea() {
        let eu = BasisPolicy::gdpr();
        let scc = TransferGround::StandardContractualClauses {
            reference: "SCC 2021/914 with buyer, signed 2026-02-01".into(),
        };
        let cn = eu
            .with_transfer_rule(TransferRule {
                destination: Jurisdiction::MAINLAND_CHINA,
                ground: scc.clone(),
            })
            .unwrap();
        assert_eq!(cn.transfer_ground(Jurisdiction::MAINLAND_CHINA), Some(&scc));
        assert!(cn.is_cross_border(Jurisdiction::MAINLAND_CHINA));
        let de = Jurisdiction::new("DE").unwrap();
        assert!(!cn.is_cross_border(de));
        assert!(!cn.is_cross_border(Jurisdiction::new("NO").unwrap()));
        assert_eq!(
            eu.with_transfer_rule(TransferRule {
                destination: de,
                ground: scc
            }),
            Err(ConsentError::TransferInsideEea {
                policy: "gdpr".into(),
                destination: "DE".into()
            })
        );
        let json = serde_json::to_string(&cn).unwrap();
        assert_eq!(serde_json::from_str::<BasisPolicy>(&json).unwrap(), cn);
        let blank = json.replace("SCC 2021/914 with buyer, signed 2026-02-01", " ");
        assert!(serde_json::from_str::<BasisPolicy>(&blank).is_err());
    }

    #[test]
    fn claims_are_health_data_unless_the_setting_says_otherwise() {
        let eu = BasisPolicy::gdpr();
        let terms = eu.gdpr_terms().unwrap();
        assert!(terms.is_special_category(DataCategory::Claims));
        assert!(terms.is_special_category(DataCategory::Health));
        // Financial accounts are sensitive under PIPL Art 28, but not on GDPR Art 9's list.
        assert!(!terms.is_special_category(DataCategory::FinancialAccounts));
        let motor = eu.with_claims_data(ClaimsData::NoHealthData);
        assert!(
            !motor
                .gdpr_terms()
                .unwrap()
                .is_special_category(DataCategory::Claims)
        );
        assert!(
            motor
                .gdpr_terms()
                .unwrap()
                .is_special_category(DataCategory::Health)
        );
    }

    #[test]
    fn the_book_sale_rests_on_a_recorded_balancing_test() {
        let test = BalancingTest::new(custodia_model::BalancingTestFields {
            reference: "LIA-2026-007".into(),
            interest: "sale of the brokerage business".into(),
            concluded_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        })
        .unwrap();
        let p = BasisPolicy::gdpr_book_sale(test.clone());
        assert_eq!(
            p.gdpr_rule(&Purpose::Transfer).unwrap().basis,
            GdprBasis::LegitimateInterests { test }
        );
        assert_eq!(
            p.rule(&Purpose::Transfer).unwrap().citation.to_string(),
            "GDPR Art 6(1)(f)"
        );
        assert!(!p.rule(&Purpose::Transfer).unwrap().basis.requires_consent());
    }

    #[test]
    fn a_policy_is_one_regime() {
        let mut d = BasisPolicy::gdpr().fields().clone();
        d.regime = Regime::Pipl;
        assert!(matches!(
            BasisPolicy::new(d),
            Err(ConsentError::PolicyShape { .. })
        ));
        let mut d = BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice)
            .fields()
            .clone();
        d.regime = Regime::Gdpr;
        assert!(matches!(
            BasisPolicy::new(d),
            Err(ConsentError::PolicyShape { .. })
        ));
    }
}
