//! Retention rules as data: what a rule applies to, what event starts its clock, its floor and its maximum.

use std::fmt;
use std::sync::Arc;

use custodia_model::{Citation, DataCategory, Instrument, Jurisdiction, Purpose};
use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};

use crate::error::RetentionError;
use crate::facts::{ContractTerm, Holding, RecordKind};
use crate::period::Period;

/// A rule's id, unique within a profile: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`. Cheap to clone, because
/// every reason in every decision names one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RuleId(Arc<str>);

impl RuleId {
    /// Checks and wraps an id.
    pub fn new(id: &str) -> Result<Self, RetentionError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return Err(RetentionError::InvalidRuleId { id: id.to_owned() });
        }
        Ok(Self(Arc::from(id)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl TryFrom<String> for RuleId {
    type Error = RetentionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<RuleId> for String {
    fn from(value: RuleId) -> Self {
        value.0.to_string()
    }
}

/// The event that starts a rule's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Trigger {
    /// The day the holding was collected (for a record: made).
    Collection,
    /// The end of the contracts the holding concerns (of the given term, or any): every contract of the
    /// customer, or only those the holding names ([`crate::HeldData::concerning`]), so that each contract's
    /// floor counts from its own end. While a matching contract is in force, a floor on this trigger holds
    /// open; among ended ones the latest end counts (Broker Rule 2018 Art 51).
    ContractEnd {
        /// Only contracts of this term count; `None` means every contract.
        term: Option<ContractTerm>,
    },
    /// The end of the business relationship (AML Law 2024 Art 34). A floor holds open until it ends — but
    /// only once a relationship or customer due diligence exists: for a prospect the event is absent, so a
    /// lead's data is not held by a floor that could never close.
    RelationshipEnd,
    /// The end of the business relationship, or, for a prospect with none, the day the holding was
    /// collected: for the minimal records that must outlive a customer's data (suppression, consent
    /// evidence).
    RelationshipEndOrCollection,
    /// The latest transaction (AML Law 2024 Art 34).
    Transaction,
    /// Every purpose of the holding has ended and at least one ended by withdrawal of the consent it rested
    /// on: withdrawal of the only basis (PIPL Art 47(1)(3)). A withdrawal does not end a purpose that rests
    /// on a contract or a legal obligation.
    ConsentWithdrawn,
    /// Every purpose of the holding has ended and at least one ended by being fulfilled or becoming
    /// unnecessary (PIPL Art 47(1)(1)).
    PurposeFulfilled,
    /// The customer's data was handed over in a completed licence transfer.
    TransferCompleted,
    /// The customer's claims are all closed (the last closure counts); open while one is not.
    ClaimClosed,
    /// The customer's complaints are all closed (the last closure counts); open while one is not.
    ComplaintClosed,
    /// The customer closed their account (NDSR Art 24).
    AccountClosed,
    /// Processing was found to breach the law or the agreement (PIPL Art 47(1)(4)).
    UnlawfulProcessing,
    /// The entrustment under which the broker processed the data for another processor ended (PIPL Art 21).
    EntrustmentEnded,
    /// The institution was dissolved, revoked or declared bankrupt (AML Law 2024 Art 34).
    InstitutionDissolved,
    /// The processing a record documents ended (PIPL Art 56, NDSR Art 12); open while it goes on.
    ProcessingEnded,
}

impl Trigger {
    /// The stable code used in profiles.
    pub fn code(self) -> &'static str {
        match self {
            Trigger::Collection => "collection",
            Trigger::ContractEnd { .. } => "contract_end",
            Trigger::RelationshipEnd => "relationship_end",
            Trigger::Transaction => "transaction",
            Trigger::ConsentWithdrawn => "consent_withdrawn",
            Trigger::PurposeFulfilled => "purpose_fulfilled",
            Trigger::TransferCompleted => "transfer_completed",
            Trigger::RelationshipEndOrCollection => "relationship_end_or_collection",
            Trigger::ClaimClosed => "claim_closed",
            Trigger::ComplaintClosed => "complaint_closed",
            Trigger::AccountClosed => "account_closed",
            Trigger::UnlawfulProcessing => "unlawful_processing",
            Trigger::EntrustmentEnded => "entrustment_ended",
            Trigger::InstitutionDissolved => "institution_dissolved",
            Trigger::ProcessingEnded => "processing_ended",
        }
    }

    fn from_code(code: &str, term: Option<ContractTerm>) -> Option<Self> {
        Some(match code {
            "collection" => Trigger::Collection,
            "contract_end" => Trigger::ContractEnd { term },
            "relationship_end" => Trigger::RelationshipEnd,
            "transaction" => Trigger::Transaction,
            "consent_withdrawn" => Trigger::ConsentWithdrawn,
            "purpose_fulfilled" => Trigger::PurposeFulfilled,
            "transfer_completed" => Trigger::TransferCompleted,
            "relationship_end_or_collection" => Trigger::RelationshipEndOrCollection,
            "claim_closed" => Trigger::ClaimClosed,
            "complaint_closed" => Trigger::ComplaintClosed,
            "account_closed" => Trigger::AccountClosed,
            "unlawful_processing" => Trigger::UnlawfulProcessing,
            "entrustment_ended" => Trigger::EntrustmentEnded,
            "institution_dissolved" => Trigger::InstitutionDissolved,
            "processing_ended" => Trigger::ProcessingEnded,
            _ => return None,
        })
    }
}

/// A condition on a profile setting under which a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Condition {
    /// Only if the broker is an AML-obligated institution (AML Law 2024 Art 63; an open legal question,
    /// so a profile setting, default yes).
    AmlObligated,
    /// Only if the broker is an obliged entity under the EU anti-money-laundering rules (Directive (EU)
    /// 2015/849 Art 2(1)(2), Art 3(2)(e); a setting, default yes).
    EuAmlObligated,
}

impl Condition {
    /// The stable code used in profiles.
    pub fn code(self) -> &'static str {
        match self {
            Condition::AmlObligated => "aml_obligated",
            Condition::EuAmlObligated => "eu_aml_obligated",
        }
    }
}

/// A period a setting gives: for rules whose period the law leaves open, or whose text is not in the
/// project's folder, so that a compliance officer sets it (each with a documented default in
/// [`crate::PeriodSettings`]). Written `$name` in a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PeriodSetting {
    /// How long after the relationship ends data is still necessary (complaints, beneficiaries' claims,
    /// liability; PIPL Art 47(1)(2)), stated in the notice.
    PostRelationship,
    /// How long marketing preferences are kept from collection, stated in the notice (PIPL Art 17).
    MarketingLimit,
    /// How long records about the book are kept after the processing they document ended.
    RecordRetention,
    /// Sales recordings of contracts of one year or less, from the contract's end.
    SalesRecordingShortTerm,
    /// Sales recordings of contracts of more than one year, from the contract's end.
    SalesRecordingLongTerm,
    /// Sales recordings after a complaint or dispute about the sale ends.
    SalesRecordingAfterComplaint,
    /// Accounting and tax records, from when they were made.
    AccountingRecords,
    /// Complaint records, from the complaint's end.
    ComplaintRecords,
    /// Network and system logs, from when they were written.
    NetworkLogs,
    /// Medical documents of claims, after the claims are closed.
    ClaimDocuments,
}

impl PeriodSetting {
    /// Every setting, in a stable order.
    pub const ALL: [PeriodSetting; 10] = [
        PeriodSetting::PostRelationship,
        PeriodSetting::MarketingLimit,
        PeriodSetting::RecordRetention,
        PeriodSetting::SalesRecordingShortTerm,
        PeriodSetting::SalesRecordingLongTerm,
        PeriodSetting::SalesRecordingAfterComplaint,
        PeriodSetting::AccountingRecords,
        PeriodSetting::ComplaintRecords,
        PeriodSetting::NetworkLogs,
        PeriodSetting::ClaimDocuments,
    ];

    /// The name used in profiles (after `$`) and in the settings table.
    pub fn code(self) -> &'static str {
        match self {
            PeriodSetting::PostRelationship => "post_relationship_period",
            PeriodSetting::MarketingLimit => "marketing_limit",
            PeriodSetting::RecordRetention => "record_retention",
            PeriodSetting::SalesRecordingShortTerm => "sales_recording_short_term",
            PeriodSetting::SalesRecordingLongTerm => "sales_recording_long_term",
            PeriodSetting::SalesRecordingAfterComplaint => "sales_recording_after_complaint",
            PeriodSetting::AccountingRecords => "accounting_records",
            PeriodSetting::ComplaintRecords => "complaint_records",
            PeriodSetting::NetworkLogs => "network_logs",
            PeriodSetting::ClaimDocuments => "claim_documents",
        }
    }

    /// The setting named `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A rule's period: fixed by the rule (`P10Y`) or given by a setting (`$post_relationship_period`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeriodSpec {
    /// A period written in the rule.
    Fixed(Period),
    /// The period a setting gives.
    Setting(PeriodSetting),
}

impl PeriodSpec {
    /// The period under `settings`.
    pub fn resolve(self, settings: &crate::profile::Settings) -> Period {
        match self {
            PeriodSpec::Fixed(p) => p,
            PeriodSpec::Setting(s) => settings.periods.get(s),
        }
    }

    /// Whether the period is the empty period written in the rule (a setting never counts as empty: its
    /// value may change).
    pub fn is_zero(self) -> bool {
        matches!(self, PeriodSpec::Fixed(p) if p.is_zero())
    }
}

impl fmt::Display for PeriodSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodSpec::Fixed(p) => p.fmt(f),
            PeriodSpec::Setting(s) => write!(f, "${}", s.code()),
        }
    }
}

/// What happens when a rule's duty falls due.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OnDue {
    /// The holding is destroyed (PIPL Art 47), unless a floor or hold keeps it.
    #[default]
    Destroy,
    /// The holding is handed to the body the State Council designates, neither destroyed nor given to a
    /// buyer (AML Law 2024 Art 34, on dissolution, revocation or bankruptcy).
    HandToDesignatedBody,
}

impl OnDue {
    /// The stable code used in profiles.
    pub fn code(self) -> &'static str {
        match self {
            OnDue::Destroy => "destroy",
            OnDue::HandToDesignatedBody => "hand_to_designated_body",
        }
    }
}

/// What a rule applies to. A holding matches if it is one of the categories or record kinds; the customer
/// must live in one of the jurisdictions (empty: any), and the holding must be kept for one of the
/// purposes (empty: any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleScope {
    categories: Vec<DataCategory>,
    record_kinds: Vec<RecordKind>,
    purposes: Vec<Purpose>,
    jurisdictions: Vec<Jurisdiction>,
}

impl RuleScope {
    /// The data categories.
    pub fn categories(&self) -> &[DataCategory] {
        &self.categories
    }

    /// The record kinds.
    pub fn record_kinds(&self) -> &[RecordKind] {
        &self.record_kinds
    }

    /// The purposes; empty means any.
    pub fn purposes(&self) -> &[Purpose] {
        &self.purposes
    }

    /// The jurisdictions; empty means any.
    pub fn jurisdictions(&self) -> &[Jurisdiction] {
        &self.jurisdictions
    }

    /// Whether the rule covers this holding at all (ignoring jurisdiction and purpose).
    pub fn covers(&self, holding: Holding) -> bool {
        match holding {
            Holding::Category(c) => self.categories.contains(&c),
            Holding::Record(r) => self.record_kinds.contains(&r),
        }
    }
}

/// One validated retention rule. A rule with a non-zero `minimum` is a **floor**: the holding must be kept
/// at least that long after the trigger. A rule with a `maximum` is a **duty to delete** once that period
/// after the trigger is over (PIPL Art 47). A rule may be both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionRule {
    id: RuleId,
    citation: Arc<Citation>,
    summary: String,
    scope: RuleScope,
    trigger: Trigger,
    minimum: PeriodSpec,
    maximum: Option<PeriodSpec>,
    condition: Option<Condition>,
    on_due: OnDue,
}

impl RetentionRule {
    /// The id.
    pub fn id(&self) -> &RuleId {
        &self.id
    }

    /// The article that is the rule's reason.
    pub fn citation(&self) -> &Citation {
        &self.citation
    }

    /// The citation, shared: plans and certificates name it for every destroyed holding, so it is
    /// reference-counted rather than copied.
    pub fn shared_citation(&self) -> Arc<Citation> {
        Arc::clone(&self.citation)
    }

    /// A one-line human summary.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// What the rule applies to.
    pub fn scope(&self) -> &RuleScope {
        &self.scope
    }

    /// What starts its clock.
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The floor: keep at least this long after the trigger. Zero for a pure duty to delete.
    pub fn minimum(&self) -> PeriodSpec {
        self.minimum
    }

    /// The maximum: delete once this long after the trigger has passed. `None` for a pure floor.
    pub fn maximum(&self) -> Option<PeriodSpec> {
        self.maximum
    }

    /// What happens when the duty falls due: destroy, or hand to the designated body.
    pub fn on_due(&self) -> OnDue {
        self.on_due
    }

    /// The setting the rule depends on, if any.
    pub fn condition(&self) -> Option<Condition> {
        self.condition
    }

    /// Whether this rule sets a floor (a period a setting gives counts as one).
    pub fn is_floor(&self) -> bool {
        !self.minimum.is_zero()
    }

    /// Whether this rule sets a duty to delete.
    pub fn is_duty(&self) -> bool {
        self.maximum.is_some()
    }
}

/// The editable, serialized form of a rule: plain strings, as written in a JSON or TOML profile.
/// [`RuleDocument::into_rule`] checks it and names the rule in every error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDocument {
    /// The rule id.
    pub id: String,
    /// The instrument, as `custodia_model::Instrument` spells it in serde (`Pipl`, `AmlLaw2024`, …).
    pub instrument: String,
    /// The article, as written after "Art" (`47`, `34`, `17(1)(b)`).
    pub article: String,
    /// A one-line summary for people.
    #[serde(default)]
    pub summary: String,
    /// Data category codes (`identity`, `kyc_aml`, …).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Record kind codes (`impact_assessment`, …).
    #[serde(default)]
    pub record_kinds: Vec<String>,
    /// Purpose codes; empty means any.
    #[serde(default)]
    pub purposes: Vec<String>,
    /// ISO 3166-1 alpha-2 codes; empty means any.
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    /// The trigger code (`contract_end`, `relationship_end`, …).
    pub trigger: String,
    /// With `contract_end` only: `one_year_or_less` or `more_than_one_year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_term: Option<String>,
    /// The floor as an ISO 8601 period (`P10Y`), or `$setting` for a period a setting gives
    /// (`$post_relationship_period`); `P0D` for none.
    pub minimum: String,
    /// The maximum as an ISO 8601 period or `$setting`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<String>,
    /// A setting the rule depends on (`aml_obligated`, `eu_aml_obligated`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// What a due duty does: `destroy` (the default) or `hand_to_designated_body`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_due: Option<String>,
}

impl RuleDocument {
    /// Checks the document and builds the rule. Every error names the rule id.
    pub fn into_rule(self) -> Result<RetentionRule, RetentionError> {
        let id = RuleId::new(&self.id)?;
        let rule = self.id.clone();
        let unknown = |field: &'static str, value: &str| RetentionError::UnknownValue {
            rule: rule.clone(),
            field,
            value: value.to_owned(),
        };
        let instrument = Instrument::deserialize(self.instrument.as_str().into_deserializer()).map_err(
            |_: serde::de::value::Error| RetentionError::InvalidCitation {
                rule: rule.clone(),
                field: "instrument",
                value: self.instrument.clone(),
            },
        )?;
        // An empty article cites the whole instrument (a rule whose text is not in the project's folder:
        // naming no article is better than guessing one); blank space is a mistake. GDPR Art 6(1)(c) and
        // 17(3)(b) are grounds only through the Union or member-state law that imposes the duty (Art 6(3)): a
        // rule cites that law, so no rule can present another law's duty as one.
        if self.article.trim() != self.article
            || (!self.article.is_empty() && self.article.trim().is_empty())
            || crate::gdpr::cites_obligation_ground(&Citation::new(instrument, self.article.clone()))
        {
            return Err(RetentionError::InvalidCitation {
                rule: rule.clone(),
                field: "article",
                value: self.article.clone(),
            });
        }
        let categories = self
            .categories
            .iter()
            .map(|c| c.parse::<DataCategory>().map_err(|_| unknown("category", c)))
            .collect::<Result<Vec<_>, _>>()?;
        let record_kinds = self
            .record_kinds
            .iter()
            .map(|c| RecordKind::from_code(c).ok_or_else(|| unknown("record_kind", c)))
            .collect::<Result<Vec<_>, _>>()?;
        let purposes = self
            .purposes
            .iter()
            .map(|c| c.parse::<Purpose>().map_err(|_| unknown("purpose", c)))
            .collect::<Result<Vec<_>, _>>()?;
        let jurisdictions = self
            .jurisdictions
            .iter()
            .map(|c| Jurisdiction::new(c).map_err(|_| unknown("jurisdiction", c)))
            .collect::<Result<Vec<_>, _>>()?;
        if categories.is_empty() && record_kinds.is_empty() {
            return Err(RetentionError::EmptyScope { rule });
        }
        let term = match &self.contract_term {
            None => None,
            Some(t) => Some(ContractTerm::from_code(t).ok_or_else(|| unknown("contract_term", t))?),
        };
        let trigger =
            Trigger::from_code(&self.trigger, term).ok_or_else(|| unknown("trigger", &self.trigger))?;
        if term.is_some() && !matches!(trigger, Trigger::ContractEnd { .. }) {
            return Err(RetentionError::MisplacedContractTerm { rule });
        }
        let period = |field: &'static str, text: &str| -> Result<PeriodSpec, RetentionError> {
            if let Some(name) = text.strip_prefix('$') {
                return PeriodSetting::from_code(name)
                    .map(PeriodSpec::Setting)
                    .ok_or_else(|| unknown(field, text));
            }
            text.parse::<Period>()
                .map(PeriodSpec::Fixed)
                .map_err(|_| RetentionError::InvalidPeriod {
                    rule: rule.clone(),
                    field,
                    value: text.to_owned(),
                })
        };
        let minimum = period("minimum", &self.minimum)?;
        let maximum = match &self.maximum {
            None => None,
            Some(m) => Some(period("maximum", m)?),
        };
        match (minimum, maximum) {
            (PeriodSpec::Fixed(min), Some(PeriodSpec::Fixed(max))) if max.can_end_before(&min) => {
                return Err(RetentionError::MaximumBelowMinimum {
                    rule,
                    minimum: min.to_string(),
                    maximum: max.to_string(),
                });
            }
            (min, None) if min.is_zero() => return Err(RetentionError::NoEffect { rule }),
            _ => {}
        }
        let condition = match self.condition.as_deref() {
            None => None,
            Some("aml_obligated") => Some(Condition::AmlObligated),
            Some("eu_aml_obligated") => Some(Condition::EuAmlObligated),
            Some(other) => return Err(unknown("condition", other)),
        };
        let on_due = match self.on_due.as_deref() {
            None | Some("destroy") => OnDue::Destroy,
            Some("hand_to_designated_body") => OnDue::HandToDesignatedBody,
            Some(other) => return Err(unknown("on_due", other)),
        };
        Ok(RetentionRule {
            id,
            citation: Arc::new(Citation::new(instrument, self.article)),
            summary: self.summary,
            scope: RuleScope {
                categories,
                record_kinds,
                purposes,
                jurisdictions,
            },
            trigger,
            minimum,
            maximum,
            condition,
            on_due,
        })
    }
}

impl From<&RetentionRule> for RuleDocument {
    fn from(rule: &RetentionRule) -> Self {
        // Instrument serializes as a bare string (a unit variant); anything else cannot happen for a
        // unit-only enum, and an empty string would then fail the next load loudly rather than silently.
        let instrument = match serde_json::to_value(rule.citation.instrument()) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        };
        let term = match rule.trigger {
            Trigger::ContractEnd { term } => term.map(|t| t.code().to_owned()),
            _ => None,
        };
        RuleDocument {
            id: rule.id.to_string(),
            instrument,
            article: rule.citation.article().to_owned(),
            summary: rule.summary.clone(),
            categories: rule
                .scope
                .categories
                .iter()
                .map(|c| c.code().to_owned())
                .collect(),
            record_kinds: rule
                .scope
                .record_kinds
                .iter()
                .map(|c| c.code().to_owned())
                .collect(),
            purposes: rule.scope.purposes.iter().map(|c| c.code().to_owned()).collect(),
            jurisdictions: rule
                .scope
                .jurisdictions
                .iter()
                .map(|c| c.code().to_owned())
                .collect(),
            trigger: rule.trigger.code().to_owned(),
            contract_term: term,
            minimum: rule.minimum.to_string(),
            maximum: rule.maximum.map(|m| m.to_string()),
            condition: rule.condition.map(|c| c.code().to_owned()),
            on_due: (rule.on_due != OnDue::Destroy).then(|| rule.on_due.code().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> RuleDocument {
        RuleDocument {
            id: "aml-34-identity".into(),
            instrument: "AmlLaw2024".into(),
            article: "34".into(),
            summary: "identity data 10 years after the relationship ends".into(),
            categories: vec!["identity".into()],
            trigger: "relationship_end".into(),
            minimum: "P10Y".into(),
            condition: Some("aml_obligated".into()),
            ..RuleDocument::default()
        }
    }

    #[test]
    fn a_good_document_becomes_a_rule_and_back() {
        let rule = doc().into_rule().unwrap();
        assert_eq!(rule.citation().to_string(), "AML Law 2024 Art 34");
        assert!(rule.is_floor() && !rule.is_duty());
        assert_eq!(RuleDocument::from(&rule), doc());
    }

    #[test]
    fn every_error_names_the_rule() {
        let cases: Vec<(RuleDocument, &str)> = vec![
            (
                RuleDocument {
                    categories: vec!["tattoos".into()],
                    ..doc()
                },
                "category",
            ),
            (
                RuleDocument {
                    instrument: "Hammurabi".into(),
                    ..doc()
                },
                "instrument",
            ),
            (
                RuleDocument {
                    article: " ".into(),
                    ..doc()
                },
                "article",
            ),
            (
                RuleDocument {
                    trigger: "full_moon".into(),
                    ..doc()
                },
                "trigger",
            ),
            (
                RuleDocument {
                    jurisdictions: vec!["cn".into()],
                    ..doc()
                },
                "jurisdiction",
            ),
            (
                RuleDocument {
                    purposes: vec!["Bad Purpose".into()],
                    ..doc()
                },
                "purpose",
            ),
            (
                RuleDocument {
                    condition: Some("always".into()),
                    ..doc()
                },
                "condition",
            ),
            (
                RuleDocument {
                    minimum: "ten years".into(),
                    ..doc()
                },
                "minimum",
            ),
            (
                RuleDocument {
                    maximum: Some("P5Y".into()),
                    ..doc()
                },
                "maximum",
            ),
            (
                RuleDocument {
                    categories: vec![],
                    ..doc()
                },
                "scope",
            ),
            (
                RuleDocument {
                    contract_term: Some("one_year_or_less".into()),
                    ..doc()
                },
                "contract_term",
            ),
            (
                RuleDocument {
                    minimum: "P0D".into(),
                    ..doc()
                },
                "no effect",
            ),
        ];
        for (d, what) in cases {
            let err = d.into_rule().unwrap_err();
            assert!(
                err.to_string().starts_with("rule aml-34-identity:"),
                "{what}: {err}"
            );
        }
        let err = RuleDocument {
            id: "Bad Id".into(),
            ..doc()
        }
        .into_rule()
        .unwrap_err();
        assert!(matches!(err, RetentionError::InvalidRuleId { ref id } if id == "Bad Id"));
    }

    #[test]
    fn maximum_below_minimum_is_refused() {
        let err = RuleDocument {
            maximum: Some("P9Y11M".into()),
            ..doc()
        }
        .into_rule()
        .unwrap_err();
        assert!(matches!(err, RetentionError::MaximumBelowMinimum { .. }));
        let ok = RuleDocument {
            maximum: Some("P10Y".into()),
            ..doc()
        }
        .into_rule()
        .unwrap();
        assert!(ok.is_duty() && ok.is_floor());
    }
}
