//! Purposes of processing and the legal bases they rest on (PIPL Art 13, GDPR Art 6).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::error::ModelError;

/// Why the brokerage processes a customer's data. Consent and notices are scoped by purpose (PIPL Art 14, 17).
///
/// The broker's own purposes follow what Broker Rule 2018 Art 36 lets a broker do: prepare the insurance
/// proposal (拟订投保方案), handle the application (办理投保手续), assist with claims (协助索赔). Underwriting
/// (核保) is the insurer's act, not the broker's, so it is no purpose here: the variants that were called
/// `Underwriting` and `ClaimsHandling` are [`Purpose::ProposalPreparation`] and [`Purpose::ClaimsAssistance`],
/// and their old stored codes (`underwriting`, `claims_handling`) still read as those (a serde alias and
/// [`FromStr`]), so ledgers and profiles written before the rename stay readable. They are written with the
/// new codes.
///
/// Reading one back checks a custom code as [`Purpose::custom`] does, so no stored value can carry a code
/// the constructor refuses (a newline, a built-in's name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "PurposeRepr")]
#[non_exhaustive]
pub enum Purpose {
    /// Administering policies the customer holds: renewals, changes, premium collection.
    PolicyServicing,
    /// Preparing the insurance proposal for the customer (拟订投保方案, Broker Rule 2018 Art 36): assessing
    /// the risk to be insured, including the health declaration an insurer will ask for. Formerly
    /// `underwriting`.
    #[serde(alias = "underwriting")]
    ProposalPreparation,
    /// Handling the application with the insurer on the customer's behalf (办理投保手续, Broker Rule 2018
    /// Art 36).
    ApplicationHandling,
    /// Assisting the insured or the beneficiary with a claim (协助索赔, Broker Rule 2018 Art 36). Formerly
    /// `claims_handling`.
    #[serde(alias = "claims_handling")]
    ClaimsAssistance,
    /// Marketing of products to the customer.
    Marketing,
    /// Statistics and analysis of the book.
    Analytics,
    /// Meeting a legal obligation: AML records, regulatory reporting, archive duties.
    LegalCompliance,
    /// Providing the data to the buyer of the brokerage's licence and book (PIPL Arts 22, 23).
    Transfer,
    /// A purpose the user defines; the code is validated by [`Purpose::custom`].
    Custom(String),
}

/// The unchecked serde form of a [`Purpose`].
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PurposeRepr {
    PolicyServicing,
    #[serde(alias = "underwriting")]
    ProposalPreparation,
    ApplicationHandling,
    #[serde(alias = "claims_handling")]
    ClaimsAssistance,
    Marketing,
    Analytics,
    LegalCompliance,
    Transfer,
    Custom(String),
}

impl TryFrom<PurposeRepr> for Purpose {
    type Error = ModelError;

    fn try_from(repr: PurposeRepr) -> Result<Self, Self::Error> {
        Ok(match repr {
            PurposeRepr::PolicyServicing => Purpose::PolicyServicing,
            PurposeRepr::ProposalPreparation => Purpose::ProposalPreparation,
            PurposeRepr::ApplicationHandling => Purpose::ApplicationHandling,
            PurposeRepr::ClaimsAssistance => Purpose::ClaimsAssistance,
            PurposeRepr::Marketing => Purpose::Marketing,
            PurposeRepr::Analytics => Purpose::Analytics,
            PurposeRepr::LegalCompliance => Purpose::LegalCompliance,
            PurposeRepr::Transfer => Purpose::Transfer,
            PurposeRepr::Custom(code) => Purpose::custom(&code)?,
        })
    }
}

impl Purpose {
    /// A user-defined purpose. The code is 1 to 64 characters of lower-case ASCII letters, digits and `_`,
    /// and must not collide with a built-in purpose.
    pub fn custom(code: &str) -> Result<Self, ModelError> {
        let well_formed = !code.is_empty()
            && code.len() <= 64
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed || Self::builtin(code).is_some() || Self::legacy(code).is_some() {
            return Err(ModelError::InvalidPurpose {
                value: code.to_owned(),
            });
        }
        Ok(Purpose::Custom(code.to_owned()))
    }

    /// The built-in purposes.
    pub const BUILTIN: [Purpose; 8] = [
        Purpose::PolicyServicing,
        Purpose::ProposalPreparation,
        Purpose::ApplicationHandling,
        Purpose::ClaimsAssistance,
        Purpose::Marketing,
        Purpose::Analytics,
        Purpose::LegalCompliance,
        Purpose::Transfer,
    ];

    fn builtin(code: &str) -> Option<Purpose> {
        Self::BUILTIN.into_iter().find(|p| p.code() == code)
    }

    /// The purpose an old code, written before the Broker Rule Art 36 rename, now reads as.
    fn legacy(code: &str) -> Option<Purpose> {
        match code {
            "underwriting" => Some(Purpose::ProposalPreparation),
            "claims_handling" => Some(Purpose::ClaimsAssistance),
            _ => None,
        }
    }

    /// The stable code used in storage and ledger payloads.
    pub fn code(&self) -> &str {
        match self {
            Purpose::PolicyServicing => "policy_servicing",
            Purpose::ProposalPreparation => "proposal_preparation",
            Purpose::ApplicationHandling => "application_handling",
            Purpose::ClaimsAssistance => "claims_assistance",
            Purpose::Marketing => "marketing",
            Purpose::Analytics => "analytics",
            Purpose::LegalCompliance => "legal_compliance",
            Purpose::Transfer => "transfer",
            Purpose::Custom(code) => code,
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Purpose {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Self::builtin(s).or_else(|| Self::legacy(s)) {
            Some(p) => Ok(p),
            None => Self::custom(s),
        }
    }
}

/// The seven legal bases of PIPL Art 13, paragraph 1, items (1) to (7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LegalBasis {
    /// (1) The individual's consent.
    Consent,
    /// (2) Necessary to conclude or perform a contract to which the individual is a party, or for human
    /// resources management.
    Contract,
    /// (3) Necessary to perform statutory duties or obligations (for a broker: AML Law, Broker Rule archives).
    LegalObligation,
    /// (4) Necessary to respond to a public health emergency, or to protect life, health or property in an
    /// emergency.
    Emergency,
    /// (5) News reporting and supervision by public opinion in the public interest, within a reasonable scope.
    PublicInterestReporting,
    /// (6) Information the individual disclosed, or that was otherwise lawfully disclosed, within a
    /// reasonable scope.
    LawfullyDisclosed,
    /// (7) Other circumstances that laws or administrative regulations provide for.
    OtherLaw,
}

impl LegalBasis {
    /// All seven bases, in the order of PIPL Art 13.
    pub const ALL: [LegalBasis; 7] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegalObligation,
        LegalBasis::Emergency,
        LegalBasis::PublicInterestReporting,
        LegalBasis::LawfullyDisclosed,
        LegalBasis::OtherLaw,
    ];

    /// The item of PIPL Art 13 that provides this basis.
    pub fn citation(self) -> Citation {
        let item = match self {
            LegalBasis::Consent => 1,
            LegalBasis::Contract => 2,
            LegalBasis::LegalObligation => 3,
            LegalBasis::Emergency => 4,
            LegalBasis::PublicInterestReporting => 5,
            LegalBasis::LawfullyDisclosed => 6,
            LegalBasis::OtherLaw => 7,
        };
        Citation::pipl(format!("13(1)({item})"))
    }

    /// The GDPR Art 6(1) basis that corresponds, where one does. Items (5) to (7) of PIPL Art 13 have no
    /// exact counterpart, so an EU customer's processing on those bases needs its own analysis. Neither has
    /// item (3): a PIPL legal obligation is a duty under Chinese law, and only Union or member-state law
    /// founds a GDPR Art 6(1)(c) obligation (GDPR Art 6(3); see [`crate::GdprBasis`]).
    pub fn gdpr_counterpart(self) -> Option<Citation> {
        match self {
            LegalBasis::Consent => Some(Citation::gdpr("6(1)(a)")),
            LegalBasis::Contract => Some(Citation::gdpr("6(1)(b)")),
            LegalBasis::Emergency => Some(Citation::gdpr("6(1)(d)")),
            LegalBasis::LegalObligation
            | LegalBasis::PublicInterestReporting
            | LegalBasis::LawfullyDisclosed
            | LegalBasis::OtherLaw => None,
        }
    }

    /// Whether processing on this basis needs the individual's consent (PIPL Art 13, paragraph 2).
    pub fn requires_consent(self) -> bool {
        self == LegalBasis::Consent
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_stored_custom_purpose_is_checked_like_a_new_one() {
        let read = |json: &str| serde_json::from_str::<Purpose>(json);
        assert_eq!(
            read(r#"{"custom":"broker_survey"}"#).unwrap(),
            Purpose::custom("broker_survey").unwrap()
        );
        for bad in [
            r#"{"custom":"a\nb"}"#,
            r#"{"custom":"marketing"}"#,
            r#"{"custom":"underwriting"}"#,
            r#"{"custom":""}"#,
        ] {
            assert!(read(bad).is_err(), "{bad} was read");
        }
        // Built-ins and their old codes still read.
        assert_eq!(read(r#""underwriting""#).unwrap(), Purpose::ProposalPreparation);
        assert_eq!(read(r#""claims_assistance""#).unwrap(), Purpose::ClaimsAssistance);
        for p in Purpose::BUILTIN {
            assert_eq!(read(&serde_json::to_string(&p).unwrap()).unwrap(), p);
        }
    }
    use super::*;

    #[test]
    fn custom_purposes_are_validated() {
        assert_eq!(
            Purpose::custom("fraud_screening").unwrap().code(),
            "fraud_screening"
        );
        assert!(Purpose::custom("").is_err());
        assert!(Purpose::custom("Bad Code").is_err());
        assert!(
            Purpose::custom("marketing").is_err(),
            "a custom purpose must not shadow a built-in one"
        );
        assert_eq!("marketing".parse::<Purpose>().unwrap(), Purpose::Marketing);
    }

    #[test]
    fn the_broker_rule_36_purposes_replace_underwriting_and_old_codes_still_read() {
        assert_eq!(Purpose::ProposalPreparation.code(), "proposal_preparation");
        assert_eq!(
            "underwriting".parse::<Purpose>().unwrap(),
            Purpose::ProposalPreparation
        );
        assert_eq!(
            serde_json::from_str::<Purpose>("\"claims_handling\"").unwrap(),
            Purpose::ClaimsAssistance
        );
        assert_eq!(
            serde_json::to_string(&Purpose::ClaimsAssistance).unwrap(),
            "\"claims_assistance\""
        );
        assert!(
            Purpose::custom("underwriting").is_err(),
            "an old code is not free for reuse"
        );
        assert!(Purpose::BUILTIN.iter().all(|p| p.code() != "underwriting"));
    }

    #[test]
    fn bases_cite_pipl_13_and_map_to_gdpr_6() {
        assert_eq!(LegalBasis::Contract.citation().to_string(), "PIPL Art 13(1)(2)");
        assert_eq!(
            LegalBasis::Consent.gdpr_counterpart().unwrap().to_string(),
            "GDPR Art 6(1)(a)"
        );
        assert!(LegalBasis::OtherLaw.gdpr_counterpart().is_none());
        // GDPR Art 6(3): a Chinese legal obligation is not a GDPR Art 6(1)(c) ground.
        assert!(LegalBasis::LegalObligation.gdpr_counterpart().is_none());
        assert!(LegalBasis::Consent.requires_consent());
        assert!(!LegalBasis::LegalObligation.requires_consent());
    }
}
