//! The GDPR's own vocabulary of grounds, shared by consent and retention: the Art 6(1) lawful bases, the
//! Art 9(2) conditions for special categories, the Chapter V transfer grounds, the recorded balancing test of
//! Art 6(1)(f), and whose law an instrument is (Art 6(3): only Union or member-state law founds a legal
//! obligation or a public task).
//!
//! These are not PIPL Art 13 bases renamed: the PIPL has no legitimate interests, the GDPR has no "other
//! circumstances laws provide", and a Chinese statutory duty is a legal obligation under the PIPL but never
//! under the GDPR.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::citation::{Citation, Instrument};
use crate::error::ModelError;
use crate::purpose::LegalBasis;

/// Whose law an instrument is, as GDPR Art 6(3) asks: a legal obligation (Art 6(1)(c), Art 17(3)(b)) or a
/// public task (Art 6(1)(e)) must be laid down by Union law or the law of a member state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LawOrigin {
    /// Union law: the GDPR itself, EU directives and regulations.
    Union,
    /// The law of a mainland-Chinese authority (the PIPL, the NDSR, the AML Law, the Broker Rule, the
    /// Insurance Law, the CAC rules, national standards): a third country's law for the GDPR.
    ThirdCountry,
    /// Not known from the instrument (a rule a user wrote): never taken for Union or member-state law.
    Unknown,
}

impl LawOrigin {
    /// Whether the law can found a GDPR legal obligation or public task (Art 6(3)).
    pub fn founds_gdpr_obligation(self) -> bool {
        self == LawOrigin::Union
    }
}

// Kept beside the GDPR vocabulary that needs it rather than in `citation.rs`: the question is the GDPR's.
impl Instrument {
    /// Whose law this instrument is (GDPR Art 6(3)).
    pub fn law_origin(self) -> LawOrigin {
        match self {
            Instrument::Gdpr | Instrument::EuAmlDirective2015 | Instrument::EuTimeLimits1971 => {
                LawOrigin::Union
            }
            Instrument::Pipl
            | Instrument::Ndsr
            | Instrument::AmlLaw2024
            | Instrument::BrokerRule2018
            | Instrument::InsuranceLaw2015
            | Instrument::CacCrossBorder2024
            | Instrument::Gb11643
            | Instrument::Gb32100
            | Instrument::CivilCode2020
            | Instrument::CybersecurityLaw2016
            | Instrument::SalesTraceability2017
            | Instrument::AccountingArchives2015
            | Instrument::IntermediaryIt2021
            | Instrument::GbT35273 => LawOrigin::ThirdCountry,
            Instrument::Custom => LawOrigin::Unknown,
        }
    }
}

/// Longest reference or text of a balancing test, in characters.
const MAX_TEXT: usize = 512;

/// The stored form of a [`BalancingTest`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalancingTestFields {
    /// Where the assessment is kept (a document number in the controller's records), so an auditor can ask
    /// for it.
    pub reference: String,
    /// The legitimate interest pursued (for a book sale: continuity of the customers' cover and the sale of
    /// the business).
    pub interest: String,
    /// The day the assessment concluded that the interest is not overridden by the person's interests or
    /// fundamental rights and freedoms.
    pub concluded_on: NaiveDate,
}

/// A recorded legitimate-interests assessment: GDPR Art 6(1)(f) is a basis only where the controller's
/// interest is not overridden by the person's, and Art 5(2) wants the controller to show that it weighed them.
/// A value that exists names where the assessment is kept and the interest it weighed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "BalancingTestFields", into = "BalancingTestFields")]
pub struct BalancingTest {
    fields: BalancingTestFields,
}

impl BalancingTest {
    /// Checks that the reference and the interest are present and at most 512 characters.
    pub fn new(fields: BalancingTestFields) -> Result<Self, ModelError> {
        for (field, value) in [
            ("balancing_test.reference", &fields.reference),
            ("balancing_test.interest", &fields.interest),
        ] {
            if value.trim().is_empty() {
                return Err(ModelError::Empty { field });
            }
            let length = value.chars().count();
            if length > MAX_TEXT {
                return Err(ModelError::InvalidLength {
                    field,
                    expected: "at most 512 characters",
                    actual: length,
                });
            }
        }
        Ok(Self { fields })
    }

    /// All fields, read-only.
    pub fn fields(&self) -> &BalancingTestFields {
        &self.fields
    }

    /// Where the assessment is kept.
    pub fn reference(&self) -> &str {
        &self.fields.reference
    }
}

impl TryFrom<BalancingTestFields> for BalancingTest {
    type Error = ModelError;

    fn try_from(fields: BalancingTestFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl From<BalancingTest> for BalancingTestFields {
    fn from(test: BalancingTest) -> Self {
        test.fields
    }
}

/// The six lawful bases of GDPR Art 6(1), items (a) to (f).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GdprBasis {
    /// (a) The person's consent, given as Art 7 requires.
    Consent,
    /// (b) Necessary for a contract with the person, or for steps at their request before one.
    Contract,
    /// (c) Necessary for a legal obligation of the controller, laid down by Union or member-state law
    /// (Art 6(3)); `law` names it. A Chinese retention or reporting duty is not one.
    LegalObligation {
        /// The Union or member-state law.
        law: Citation,
    },
    /// (d) Necessary to protect the vital interests of the person or of another natural person.
    VitalInterests,
    /// (e) Necessary for a task in the public interest or official authority laid down by Union or
    /// member-state law (Art 6(3)).
    PublicTask {
        /// The Union or member-state law.
        law: Citation,
    },
    /// (f) Necessary for the legitimate interests of the controller or a third party, not overridden by the
    /// person's interests: only with a recorded balancing test. The person may object (Art 21(1)).
    LegitimateInterests {
        /// The recorded assessment.
        test: BalancingTest,
    },
}

impl GdprBasis {
    /// The item of Art 6(1) that provides this basis.
    pub fn citation(&self) -> Citation {
        Citation::gdpr(match self {
            GdprBasis::Consent => "6(1)(a)",
            GdprBasis::Contract => "6(1)(b)",
            GdprBasis::LegalObligation { .. } => "6(1)(c)",
            GdprBasis::VitalInterests => "6(1)(d)",
            GdprBasis::PublicTask { .. } => "6(1)(e)",
            GdprBasis::LegitimateInterests { .. } => "6(1)(f)",
        })
    }

    /// Whether processing on this basis needs the person's consent.
    pub fn requires_consent(&self) -> bool {
        *self == GdprBasis::Consent
    }

    /// The Union or member-state law a legal obligation or public task names, if this basis needs one.
    pub fn law(&self) -> Option<&Citation> {
        match self {
            GdprBasis::LegalObligation { law } | GdprBasis::PublicTask { law } => Some(law),
            _ => None,
        }
    }

    /// Whether the basis can stand: a legal obligation or public task only on Union or member-state law
    /// (Art 6(3)); every other basis stands on its own.
    pub fn is_founded(&self) -> bool {
        self.law()
            .is_none_or(|law| law.instrument().law_origin().founds_gdpr_obligation())
    }

    /// The PIPL Art 13 item nearest to this basis, for code that asks a PIPL-shaped question (does it rest
    /// on consent; does a withdrawal end it): consent, contract and legal obligation map to their namesakes,
    /// vital interests to the emergency item (13(1)(4)); a public task and legitimate interests, which the
    /// PIPL does not know, to "other circumstances" (13(1)(7)). Never cite the result for an EU customer.
    pub fn nearest_pipl_basis(&self) -> LegalBasis {
        match self {
            GdprBasis::Consent => LegalBasis::Consent,
            GdprBasis::Contract => LegalBasis::Contract,
            GdprBasis::LegalObligation { .. } => LegalBasis::LegalObligation,
            GdprBasis::VitalInterests => LegalBasis::Emergency,
            GdprBasis::PublicTask { .. } | GdprBasis::LegitimateInterests { .. } => LegalBasis::OtherLaw,
        }
    }
}

/// The conditions of GDPR Art 9(2) under which special-category data (health among them) may be processed,
/// on top of an Art 6(1) basis. The ones an insurance broker meets; others can be added.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SpecialCategoryCondition {
    /// (a) The person's explicit consent for the specified purpose: the usual condition for health data in
    /// insurance.
    ExplicitConsent,
    /// (c) Vital interests of a person physically or legally incapable of giving consent.
    VitalInterests,
    /// (e) Data the person has manifestly made public.
    ManifestlyPublic,
    /// (f) Necessary for the establishment, exercise or defence of legal claims.
    LegalClaims,
    /// (g) Substantial public interest on the basis of Union or member-state law, which `law` names.
    SubstantialPublicInterest {
        /// The Union or member-state law.
        law: Citation,
    },
}

impl SpecialCategoryCondition {
    /// The point of Art 9(2).
    pub fn citation(&self) -> Citation {
        Citation::gdpr(match self {
            SpecialCategoryCondition::ExplicitConsent => "9(2)(a)",
            SpecialCategoryCondition::VitalInterests => "9(2)(c)",
            SpecialCategoryCondition::ManifestlyPublic => "9(2)(e)",
            SpecialCategoryCondition::LegalClaims => "9(2)(f)",
            SpecialCategoryCondition::SubstantialPublicInterest { .. } => "9(2)(g)",
        })
    }

    /// Whether the condition can stand: point (g) only on Union or member-state law.
    pub fn is_founded(&self) -> bool {
        match self {
            SpecialCategoryCondition::SubstantialPublicInterest { law } => {
                law.instrument().law_origin().founds_gdpr_obligation()
            }
            _ => true,
        }
    }
}

/// A ground for a transfer of personal data to a third country, outside the EEA (GDPR Chapter V, Art 44).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransferGround {
    /// An adequacy decision of the Commission for the destination (Art 45(3)), which `decision` names.
    Adequacy {
        /// The decision, for example `Implementing Decision (EU) 2019/419` (Japan).
        decision: String,
    },
    /// Standard data protection clauses adopted by the Commission (Art 46(2)(c)), signed with the recipient;
    /// `reference` names the signed contract.
    StandardContractualClauses {
        /// Where the signed clauses are kept.
        reference: String,
    },
    /// Binding corporate rules approved under Art 47; `reference` names the approval.
    BindingCorporateRules {
        /// The approval.
        reference: String,
    },
    /// The person's explicit consent after being told of the risks (Art 49(1)(a)): the consent must name the
    /// destination.
    ExplicitConsent,
    /// Necessary for a contract between the person and the controller (Art 49(1)(b)); occasional transfers
    /// only.
    ContractWithSubject,
    /// Necessary for legal claims (Art 49(1)(e)).
    LegalClaims,
}

impl TransferGround {
    /// The article that provides the ground.
    pub fn citation(&self) -> Citation {
        Citation::gdpr(match self {
            TransferGround::Adequacy { .. } => "45(3)",
            TransferGround::StandardContractualClauses { .. } => "46(2)(c)",
            TransferGround::BindingCorporateRules { .. } => "47",
            TransferGround::ExplicitConsent => "49(1)(a)",
            TransferGround::ContractWithSubject => "49(1)(b)",
            TransferGround::LegalClaims => "49(1)(e)",
        })
    }

    /// Whether the ground needs the person's explicit consent naming the destination.
    pub fn requires_consent(&self) -> bool {
        *self == TransferGround::ExplicitConsent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test() -> BalancingTest {
        BalancingTest::new(BalancingTestFields {
            reference: "LIA-2026-007".into(),
            interest: "sale of the brokerage business and continuity of cover".into(),
            concluded_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        })
        .unwrap()
    }

    #[test]
    fn only_union_law_founds_an_obligation() {
        let aml_cn = GdprBasis::LegalObligation {
            law: Citation::new(Instrument::AmlLaw2024, "34"),
        };
        assert!(
            !aml_cn.is_founded(),
            "GDPR Art 6(3): a Chinese duty is not a legal obligation"
        );
        let aml_eu = GdprBasis::LegalObligation {
            law: Citation::new(Instrument::EuAmlDirective2015, "40(1)"),
        };
        assert!(aml_eu.is_founded());
        assert!(
            !GdprBasis::PublicTask {
                law: Citation::new(Instrument::Custom, "1")
            }
            .is_founded()
        );
        assert!(GdprBasis::Contract.is_founded());
        assert_eq!(aml_eu.citation().to_string(), "GDPR Art 6(1)(c)");
        assert_eq!(
            GdprBasis::LegitimateInterests { test: test() }
                .citation()
                .to_string(),
            "GDPR Art 6(1)(f)"
        );
        assert!(
            !SpecialCategoryCondition::SubstantialPublicInterest {
                law: Citation::pipl("28")
            }
            .is_founded()
        );
        assert_eq!(Instrument::BrokerRule2018.law_origin(), LawOrigin::ThirdCountry);
    }

    #[test]
    fn a_balancing_test_names_its_record_and_round_trips() {
        let t = test();
        let json = serde_json::to_string(&GdprBasis::LegitimateInterests { test: t.clone() }).unwrap();
        assert_eq!(
            serde_json::from_str::<GdprBasis>(&json).unwrap(),
            GdprBasis::LegitimateInterests { test: t.clone() }
        );
        let blank = json.replace("LIA-2026-007", " ");
        assert!(serde_json::from_str::<GdprBasis>(&blank).is_err());
        assert!(matches!(
            BalancingTest::new(BalancingTestFields {
                interest: String::new(),
                ..t.fields().clone()
            }),
            Err(ModelError::Empty {
                field: "balancing_test.interest"
            })
        ));
    }

    #[test]
    fn grounds_cite_their_articles() {
        assert_eq!(
            SpecialCategoryCondition::ExplicitConsent.citation().to_string(),
            "GDPR Art 9(2)(a)"
        );
        assert_eq!(
            TransferGround::StandardContractualClauses {
                reference: "SCC-1".into()
            }
            .citation()
            .to_string(),
            "GDPR Art 46(2)(c)"
        );
        assert!(TransferGround::ExplicitConsent.requires_consent());
        assert_eq!(
            GdprBasis::VitalInterests.nearest_pipl_basis(),
            LegalBasis::Emergency
        );
    }
}
