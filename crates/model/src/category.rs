//! Data categories: the unit by which custodia encrypts, consents, retains and transfers personal information.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::error::ModelError;

/// A category of a customer's data. Each category is one encrypted section per customer, because the law
/// scopes consent and retention by what kind of information it is (PIPL Arts 14, 17, 28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DataCategory {
    /// Name, identity document, birth date, gender, nationality; for organizations, registration data.
    Identity,
    /// Phone numbers, e-mail and postal addresses.
    Contact,
    /// Bank cards and accounts used to pay premiums or receive claim money.
    FinancialAccounts,
    /// Health declarations made when applying, medical records of claims.
    Health,
    /// Insurance contracts placed for the customer (the broker's business file, Broker Rule Art 44).
    Policies,
    /// Claims and their handling.
    Claims,
    /// Insured persons and beneficiaries named in policies (被保险人及受益人信息): other people's data, each
    /// person with their own id and rights (see [`crate::CoveredPerson`]).
    Beneficiaries,
    /// Marketing preferences and opt-outs.
    MarketingPreferences,
    /// Customer due diligence and transaction records kept for anti-money-laundering duties: identity
    /// document images, transaction records, politically-exposed-person and sanctions status. Sensitive
    /// (PIPL Art 28: 特定身份, 金融账户).
    KycAml,
}

/// Why a category is sensitive personal information, with the article that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SensitiveKind {
    /// 医疗健康 (medical health), PIPL Art 28.
    MedicalHealth,
    /// 金融账户 (financial accounts), PIPL Art 28.
    FinancialAccount,
    /// 特定身份 (specific identity: politically exposed person, sanctions status) together with the
    /// transaction records and identity-document images of AML due diligence, PIPL Art 28.
    SpecificIdentity,
    /// 生物识别 (biometrics): a voice or face recording used to recognize a person, PIPL Art 28.
    Biometric,
    /// 不满十四周岁未成年人的个人信息 (any information of a minor under 14), PIPL Art 28.
    MinorsInformation,
}

impl SensitiveKind {
    /// The article that makes this kind sensitive.
    pub fn citation(self) -> Citation {
        Citation::pipl("28")
    }
}

impl DataCategory {
    /// Every category, in a stable order.
    pub const ALL: [DataCategory; 9] = [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::FinancialAccounts,
        DataCategory::Health,
        DataCategory::Policies,
        DataCategory::Claims,
        DataCategory::Beneficiaries,
        DataCategory::MarketingPreferences,
        DataCategory::KycAml,
    ];

    /// The stable code used in storage, AAD and ledger payloads. It never changes once released.
    pub fn code(self) -> &'static str {
        match self {
            DataCategory::Identity => "identity",
            DataCategory::Contact => "contact",
            DataCategory::FinancialAccounts => "financial_accounts",
            DataCategory::Health => "health",
            DataCategory::Policies => "policies",
            DataCategory::Claims => "claims",
            DataCategory::Beneficiaries => "beneficiaries",
            DataCategory::MarketingPreferences => "marketing_preferences",
            DataCategory::KycAml => "kyc_aml",
        }
    }

    /// A one-byte tag, stable across releases, for compact binary formats.
    pub const fn tag(self) -> u8 {
        match self {
            DataCategory::Identity => 1,
            DataCategory::Contact => 2,
            DataCategory::FinancialAccounts => 3,
            DataCategory::Health => 4,
            DataCategory::Policies => 5,
            DataCategory::Claims => 6,
            DataCategory::Beneficiaries => 7,
            DataCategory::MarketingPreferences => 8,
            DataCategory::KycAml => 9,
        }
    }

    /// The category with the given one-byte tag.
    pub fn from_tag(tag: u8) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|c| c.tag() == tag)
            .ok_or(ModelError::UnknownCategory {
                value: tag.to_string(),
            })
    }

    /// Whether the category is sensitive personal information under PIPL Art 28, and why, when nothing is
    /// known about the customer: the cautious, category-level answer.
    ///
    /// Claims are sensitive here because claims of the health, accident and life lines carry medical
    /// records; whether one customer's claims are depends on their lines and is decided with the facts by a
    /// [`crate::SensitivityPolicy`] (a property or motor claim without medical documents is not). KYC/AML
    /// records are sensitive (document images, transaction records, PEP and sanctions status). Every category
    /// of a minor under 14 is sensitive too (PIPL Art 28), but that depends on the person, not the category:
    /// see the customer type's minor check.
    pub fn sensitivity(self) -> Option<SensitiveKind> {
        match self {
            DataCategory::Health | DataCategory::Claims => Some(SensitiveKind::MedicalHealth),
            DataCategory::FinancialAccounts => Some(SensitiveKind::FinancialAccount),
            DataCategory::KycAml => Some(SensitiveKind::SpecificIdentity),
            _ => None,
        }
    }

    /// Whether the category is sensitive personal information (PIPL Art 28).
    pub fn is_sensitive(self) -> bool {
        self.sensitivity().is_some()
    }
}

impl fmt::Display for DataCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DataCategory {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| ModelError::UnknownCategory { value: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_tags_round_trip_and_are_unique() {
        for c in DataCategory::ALL {
            assert_eq!(c.code().parse::<DataCategory>().unwrap(), c);
            assert_eq!(DataCategory::from_tag(c.tag()).unwrap(), c);
        }
        let mut tags: Vec<u8> = DataCategory::ALL.iter().map(|c| c.tag()).collect();
        tags.dedup();
        assert_eq!(tags.len(), DataCategory::ALL.len());
        assert!(DataCategory::from_tag(0).is_err());
        assert!("nope".parse::<DataCategory>().is_err());
    }

    #[test]
    fn health_and_accounts_are_sensitive_under_pipl_28() {
        assert_eq!(
            DataCategory::Health.sensitivity(),
            Some(SensitiveKind::MedicalHealth)
        );
        assert_eq!(
            DataCategory::FinancialAccounts.sensitivity(),
            Some(SensitiveKind::FinancialAccount)
        );
        assert!(!DataCategory::Contact.is_sensitive());
        assert_eq!(
            DataCategory::KycAml.sensitivity(),
            Some(SensitiveKind::SpecificIdentity),
            "PEP status, transactions and document images (PIPL Art 28)"
        );
        assert_eq!(SensitiveKind::MedicalHealth.citation().to_string(), "PIPL Art 28");
    }
}
