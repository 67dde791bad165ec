//! Retention profiles: named, validated sets of rules with settings, loaded from and saved to JSON or TOML.

use std::collections::HashSet;
use std::sync::Arc;

use custodia_model::WorkingDayCalendar;
use serde::{Deserialize, Serialize};

use crate::error::RetentionError;
use crate::facts::Holding;
use crate::period::Period;
use crate::rule::{Condition, PeriodSetting, RetentionRule, RuleDocument, RuleId};

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
    /// The periods the law leaves open or whose texts are not in the project's folder (rules name them as
    /// `$setting`); in TOML the table `[settings.periods]`.
    #[serde(default)]
    pub periods: PeriodSettings,
}

fn default_true() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            aml_obligated: true,
            eu_aml_obligated: true,
            periods: PeriodSettings::default(),
        }
    }
}

fn years(n: u32) -> Period {
    // Every default below is at most 30 years, far under Period's bound, so `new` cannot fail.
    Period::new(n, 0, 0).unwrap_or_default()
}

/// The periods a profile's `$setting` rules use, each with its documented default. The notice states the
/// ones a customer must be told (the post-relationship period, the marketing limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PeriodSettings {
    /// After the relationship ends, data stays necessary for complaints, beneficiaries' claims and
    /// liability (PIPL Art 47(1)(2)). Default 3 years: the general limitation period for civil claims
    /// (Civil Code Art 188, not in the project's folder).
    pub post_relationship_period: Period,
    /// Marketing preferences, from collection. Default 3 years, as the notice states (PIPL Art 17).
    pub marketing_limit: Period,
    /// Records about the book, after the processing they document ended. Default 3 years: the floor of PIPL
    /// Art 56 and NDSR Art 12, kept no longer (PIPL Art 19).
    pub record_retention: Period,
    /// Sales recordings of contracts of one year or less, from the contract's end. Default 5 years (the
    /// 2017 traceability rules as the issue quotes them; text not in the folder).
    pub sales_recording_short_term: Period,
    /// Sales recordings of contracts of more than one year. Default 10 years.
    pub sales_recording_long_term: Period,
    /// Sales recordings after a complaint or dispute ends. Default 2 years.
    pub sales_recording_after_complaint: Period,
    /// Accounting and tax records from when they were made. Default 30 years, the accounting-archive rules'
    /// period for vouchers and ledgers (text not in the folder).
    pub accounting_records: Period,
    /// Complaint records after the complaint ends. Default 3 years (PIPL Art 19: no law sets one; the general
    /// limitation period).
    pub complaint_records: Period,
    /// Network and system logs. Default 6 months, the floor of Cybersecurity Law 2016 Art 21(3) and kept no
    /// longer (PIPL Art 19).
    pub network_logs: Period,
    /// Medical documents of claims after the claims are closed. Default 2 years, the limitation period for
    /// non-life insurance claims (Insurance Law 2015 Art 26, not in the folder); a broker placing life cover
    /// may choose 5.
    pub claim_documents: Period,
}

impl Default for PeriodSettings {
    fn default() -> Self {
        Self {
            post_relationship_period: years(3),
            marketing_limit: years(3),
            record_retention: years(3),
            sales_recording_short_term: years(5),
            sales_recording_long_term: years(10),
            sales_recording_after_complaint: years(2),
            accounting_records: years(30),
            complaint_records: years(3),
            network_logs: Period::new(0, 6, 0).unwrap_or_default(),
            claim_documents: years(2),
        }
    }
}

impl PeriodSettings {
    /// The period of `setting`.
    pub fn get(&self, setting: PeriodSetting) -> Period {
        match setting {
            PeriodSetting::PostRelationship => self.post_relationship_period,
            PeriodSetting::MarketingLimit => self.marketing_limit,
            PeriodSetting::RecordRetention => self.record_retention,
            PeriodSetting::SalesRecordingShortTerm => self.sales_recording_short_term,
            PeriodSetting::SalesRecordingLongTerm => self.sales_recording_long_term,
            PeriodSetting::SalesRecordingAfterComplaint => self.sales_recording_after_complaint,
            PeriodSetting::AccountingRecords => self.accounting_records,
            PeriodSetting::ComplaintRecords => self.complaint_records,
            PeriodSetting::NetworkLogs => self.network_logs,
            PeriodSetting::ClaimDocuments => self.claim_documents,
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
///
/// A profile may carry a [`WorkingDayCalendar`] ([`Profile::with_calendar`]): then a period's last day that
/// falls on a rest day moves to the next working day (Civil Code Art 203). The calendar is not part of the
/// document: it is attached where the profile is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProfileDocument", into = "ProfileDocument")]
pub struct Profile {
    name: String,
    description: String,
    settings: Settings,
    rules: Vec<Arc<RetentionRule>>,
    calendar: Option<Arc<WorkingDayCalendar>>,
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
            calendar: None,
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
            if let Some(setting) = PeriodSetting::ALL
                .into_iter()
                .find(|s| part.settings.periods.get(*s) != document.settings.periods.get(*s))
            {
                return Err(RetentionError::ConflictingSettings {
                    setting: setting.code(),
                });
            }
            document.rules.extend(part.to_document().rules);
        }
        let mut combined = Self::from_document(document)?;
        combined.calendar = parts.iter().find_map(|p| p.calendar.clone());
        Ok(combined)
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

    /// The same profile counting periods against `calendar`: a last day on a rest day moves to the next
    /// working day (Civil Code Art 203). Where the calendar does not know a day and the answer depends on
    /// it, a decision is [`RetentionError::Calendar`], never a guess.
    pub fn with_calendar(&self, calendar: WorkingDayCalendar) -> Self {
        Self {
            calendar: Some(Arc::new(calendar)),
            ..self.clone()
        }
    }

    /// The calendar periods are counted against, if one is attached.
    pub fn calendar(&self) -> Option<&WorkingDayCalendar> {
        self.calendar.as_deref()
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
