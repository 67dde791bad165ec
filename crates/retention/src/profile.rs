//! Retention profiles: named, validated sets of rules with settings, loaded from and saved to JSON or TOML.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::RetentionError;
use crate::facts::Holding;
use crate::rule::{Condition, RetentionRule, RuleDocument, RuleId};

const CN_INSURANCE_BROKER: &str = include_str!("../profiles/cn-insurance-broker.toml");
const GDPR: &str = include_str!("../profiles/gdpr.toml");

/// Settings that answer open legal questions for one brokerage. They are settings, never hard-coded,
/// because the answer depends on the broker (regulations README, "Open legal questions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Whether the broker is an AML-obligated institution (AML Law 2024 Art 63). Default: yes, so that the
    /// AML Law 2024 Art 34 floors apply unless someone decides otherwise.
    #[serde(default = "default_true")]
    pub aml_obligated: bool,
    /// Whether the broker is an obliged entity under the EU anti-money-laundering rules (Directive (EU)
    /// 2015/849 Art 2(1)(2) and Art 3(2)(e): insurance intermediaries in life insurance and other
    /// investment-related services), so that the `gdpr` profile keeps due-diligence records under its
    /// Art 40(1). Default: yes, for the same reason as `aml_obligated`.
    #[serde(default = "default_true")]
    pub eu_aml_obligated: bool,
}

fn default_true() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            aml_obligated: true,
            eu_aml_obligated: true,
        }
    }
}

impl Settings {
    /// Whether a rule's condition holds under these settings.
    pub fn allows(&self, condition: Option<Condition>) -> bool {
        match condition {
            None => true,
            Some(Condition::AmlObligated) => self.aml_obligated,
            Some(Condition::EuAmlObligated) => self.eu_aml_obligated,
        }
    }
}

/// The serialized form of a profile, as written in JSON or TOML.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileDocument {
    /// The profile's name (`cn-insurance-broker`).
    pub name: String,
    /// A one-line description.
    #[serde(default)]
    pub description: String,
    /// The settings.
    #[serde(default)]
    pub settings: Settings,
    /// The rules, in the order decisions list their reasons.
    #[serde(default)]
    pub rules: Vec<RuleDocument>,
}

/// A validated retention profile. A value that exists has a name, unique rule ids and only valid rules.
/// It (de)serializes as its [`ProfileDocument`], checked on the way in, so it can sit inside a larger
/// configuration; [`Profile::from_json`] and [`Profile::from_toml`] give typed errors instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProfileDocument", into = "ProfileDocument")]
pub struct Profile {
    name: String,
    description: String,
    settings: Settings,
    rules: Vec<Arc<RetentionRule>>,
}

impl TryFrom<ProfileDocument> for Profile {
    type Error = RetentionError;

    fn try_from(document: ProfileDocument) -> Result<Self, Self::Error> {
        Self::from_document(document)
    }
}

impl From<Profile> for ProfileDocument {
    fn from(profile: Profile) -> Self {
        profile.to_document()
    }
}

impl Profile {
    /// Checks a document and builds the profile; the first bad rule's error names it.
    pub fn from_document(document: ProfileDocument) -> Result<Self, RetentionError> {
        if document.name.trim().is_empty() {
            return Err(RetentionError::EmptyProfileName);
        }
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(document.rules.len());
        for rule in document.rules {
            if !seen.insert(rule.id.clone()) {
                return Err(RetentionError::DuplicateRule { rule: rule.id });
            }
            rules.push(Arc::new(rule.into_rule()?));
        }
        Ok(Self {
            name: document.name,
            description: document.description,
            settings: document.settings,
            rules,
        })
    }

    /// The document form, for saving or editing.
    pub fn to_document(&self) -> ProfileDocument {
        ProfileDocument {
            name: self.name.clone(),
            description: self.description.clone(),
            settings: self.settings,
            rules: self
                .rules
                .iter()
                .map(|r| RuleDocument::from(r.as_ref()))
                .collect(),
        }
    }

    /// Loads and checks a JSON profile.
    pub fn from_json(text: &str) -> Result<Self, RetentionError> {
        let document: ProfileDocument =
            serde_json::from_str(text).map_err(|e| RetentionError::ProfileSyntax {
                format: "json",
                message: e.to_string(),
            })?;
        Self::from_document(document)
    }

    /// Loads and checks a TOML profile.
    pub fn from_toml(text: &str) -> Result<Self, RetentionError> {
        let document: ProfileDocument = toml::from_str(text).map_err(|e| RetentionError::ProfileSyntax {
            format: "toml",
            message: e.to_string(),
        })?;
        Self::from_document(document)
    }

    /// Saves as pretty JSON.
    pub fn to_json(&self) -> Result<String, RetentionError> {
        serde_json::to_string_pretty(&self.to_document()).map_err(|e| RetentionError::ProfileWrite {
            format: "json",
            message: e.to_string(),
        })
    }

    /// Saves as TOML.
    pub fn to_toml(&self) -> Result<String, RetentionError> {
        toml::to_string(&self.to_document()).map_err(|e| RetentionError::ProfileWrite {
            format: "toml",
            message: e.to_string(),
        })
    }

    /// The shipped profile for an insurance brokerage in mainland China: Broker Rule 2018 Art 51, AML Law
    /// 2024 Art 34, PIPL Arts 19, 47 and 56, NDSR Art 12 (text: `profiles/cn-insurance-broker.toml`).
    /// The `Result` can only be `Err` if the embedded file were broken; a unit test loads it.
    pub fn cn_insurance_broker() -> Result<Self, RetentionError> {
        Self::from_toml(CN_INSURANCE_BROKER)
    }

    /// The shipped profile for customers in the EEA: the duties of GDPR Arts 5(1)(e), 17(1)(a), 17(1)(b),
    /// and the floors the GDPR recognises — legal claims (Art 17(3)(e): the policy file and claims for the
    /// limitation period, ten years from the end of the contract by default) and the EU AML rules (Directive
    /// (EU) 2015/849 Art 40(1): due-diligence records five years after the relationship, under the setting
    /// `eu_aml_obligated`), so a policy file is not destroyed the day after the relationship ends (text:
    /// `profiles/gdpr.toml`). Combine it with [`Profile::cn_insurance_broker`] for an EEA customer of a
    /// Chinese broker, and ask [`crate::RetentionDecision::gdpr_grounds`] for the GDPR ground of each floor.
    pub fn gdpr() -> Result<Self, RetentionError> {
        Self::from_toml(GDPR)
    }

    /// The text of a shipped profile by name, for inspection or as a template to edit.
    pub fn shipped_text(name: &str) -> Option<&'static str> {
        match name {
            "cn-insurance-broker" => Some(CN_INSURANCE_BROKER),
            "gdpr" => Some(GDPR),
            _ => None,
        }
    }

    /// One profile with the rules of all `parts`, in order. Rule ids must stay unique and the settings
    /// must agree, because a silent choice between two answers to a legal question is not allowed.
    pub fn combined(name: &str, parts: &[&Profile]) -> Result<Self, RetentionError> {
        let mut document = ProfileDocument {
            name: name.to_owned(),
            description: parts
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(" + "),
            settings: Settings::default(),
            rules: Vec::new(),
        };
        if let Some(first) = parts.first() {
            document.settings = first.settings;
        }
        for part in parts {
            if part.settings.aml_obligated != document.settings.aml_obligated {
                return Err(RetentionError::ConflictingSettings {
                    setting: "aml_obligated",
                });
            }
            if part.settings.eu_aml_obligated != document.settings.eu_aml_obligated {
                return Err(RetentionError::ConflictingSettings {
                    setting: "eu_aml_obligated",
                });
            }
            document.rules.extend(part.to_document().rules);
        }
        Self::from_document(document)
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The rules, in order.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = &RetentionRule> {
        self.rules.iter().map(|r| r.as_ref())
    }

    /// The rule with `id`, if there is one.
    pub fn rule(&self, id: &str) -> Option<&RetentionRule> {
        self.rules().find(|r| r.id().as_str() == id)
    }

    /// The rules that cover `holding` (by category or record kind), for inspection.
    pub fn rules_for(&self, holding: Holding) -> impl Iterator<Item = &RetentionRule> {
        self.rules().filter(move |r| r.scope().covers(holding))
    }

    pub(crate) fn shared_rules(&self) -> &[Arc<RetentionRule>] {
        &self.rules
    }

    /// The same profile with other settings.
    pub fn with_settings(&self, settings: Settings) -> Self {
        Self {
            settings,
            ..self.clone()
        }
    }

    /// The ids of all rules.
    pub fn rule_ids(&self) -> impl Iterator<Item = &RuleId> {
        self.rules().map(RetentionRule::id)
    }
}

#[cfg(test)]
mod tests {
    use custodia_model::{DataCategory, Instrument};

    use super::*;
    use crate::facts::RecordKind;

    #[test]
    fn shipped_profiles_load_and_round_trip_through_json_and_toml() {
        for profile in [Profile::cn_insurance_broker().unwrap(), Profile::gdpr().unwrap()] {
            let json = profile.to_json().unwrap();
            assert_eq!(Profile::from_json(&json).unwrap(), profile);
            let toml = profile.to_toml().unwrap();
            assert_eq!(Profile::from_toml(&toml).unwrap(), profile);
            assert_eq!(
                Profile::from_toml(Profile::shipped_text(profile.name()).unwrap()).unwrap(),
                profile
            );
        }
    }

    #[test]
    fn the_cn_profile_cites_every_article_the_issue_names() {
        let p = Profile::cn_insurance_broker().unwrap();
        let cited: Vec<String> = p.rules().map(|r| r.citation().to_string()).collect();
        for want in [
            "Broker Rule 2018 Art 51",
            "AML Law 2024 Art 34",
            "PIPL Art 56",
            "NDSR Art 12",
            "PIPL Art 19",
            "PIPL Art 47(1)(3)",
            "PIPL Art 47(1)(1)",
            "PIPL Art 47(1)(2)",
        ] {
            assert!(cited.iter().any(|c| c == want), "{want} missing from {cited:?}");
        }
        assert!(p.settings().aml_obligated);
        assert!(
            p.rules_for(Holding::Record(RecordKind::ImpactAssessment))
                .any(|r| r.is_floor())
        );
        assert_eq!(
            p.rule("aml-34-identity").unwrap().citation().instrument(),
            Instrument::AmlLaw2024
        );
        assert!(
            p.rules_for(Holding::Category(DataCategory::Policies))
                .any(|r| r.id().as_str() == "broker-51-long-term")
        );
    }

    #[test]
    fn a_profile_embedded_in_other_json_is_checked() {
        #[derive(Serialize, Deserialize)]
        struct Config {
            retention: Profile,
        }
        let config = Config {
            retention: Profile::gdpr().unwrap(),
        };
        let json = serde_json::to_string(&config).unwrap();
        let back: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(back.retention, config.retention);
        let broken = json.replace("\"P0D\"", "\"soon\"");
        let err = serde_json::from_str::<Config>(&broken).err().unwrap();
        assert!(err.to_string().contains("gdpr-17-1-b-consent-withdrawn"), "{err}");
    }

    #[test]
    fn duplicate_rule_ids_are_refused() {
        let mut doc = Profile::gdpr().unwrap().to_document();
        let first = doc.rules[0].clone();
        doc.rules.push(first);
        let err = Profile::from_document(doc).unwrap_err();
        assert_eq!(
            err,
            RetentionError::DuplicateRule {
                rule: "gdpr-17-1-b-consent-withdrawn".into()
            }
        );
    }

    #[test]
    fn an_unknown_category_in_toml_names_the_rule() {
        let text = r#"
            name = "mine"
            [[rules]]
            id = "keep-tattoos"
            instrument = "Custom"
            article = "1"
            categories = ["tattoos"]
            trigger = "collection"
            minimum = "P1Y"
        "#;
        let err = Profile::from_toml(text).unwrap_err();
        assert!(
            matches!(err, RetentionError::UnknownValue { ref rule, field: "category", .. } if rule == "keep-tattoos")
        );
        assert!(matches!(
            Profile::from_json("{"),
            Err(RetentionError::ProfileSyntax { format: "json", .. })
        ));
        assert!(matches!(
            Profile::from_toml("name = \"x\"\nsurprise = 1"),
            Err(RetentionError::ProfileSyntax { format: "toml", .. })
        ));
        assert_eq!(
            Profile::from_toml("name = \" \""),
            Err(RetentionError::EmptyProfileName)
        );
    }

    #[test]
    fn combining_keeps_ids_unique_and_settings_consistent() {
        let cn = Profile::cn_insurance_broker().unwrap();
        let eu = Profile::gdpr().unwrap();
        let both = Profile::combined("cn+gdpr", &[&cn, &eu]).unwrap();
        assert_eq!(both.rules().len(), cn.rules().len() + eu.rules().len());
        assert!(matches!(
            Profile::combined("twice", &[&cn, &cn]),
            Err(RetentionError::DuplicateRule { .. })
        ));
        let not_aml = eu.with_settings(Settings {
            aml_obligated: false,
            ..Settings::default()
        });
        assert_eq!(
            Profile::combined("x", &[&cn, &not_aml]),
            Err(RetentionError::ConflictingSettings {
                setting: "aml_obligated"
            })
        );
    }
}
