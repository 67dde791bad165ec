//! Passing a withdrawal, refusal or objection on to the recipients that hold the data (PIPL Arts 15, 23;
//! GDPR Arts 7(3), 17(2), 19): who must be told and why, the text to send each, a task the caller stores
//! whose state only moves forward (to tell → told → confirmed), and the ledger entries that prove each step.
//!
//! The crate keeps no task state itself (it has no store): [`crate::ConsentIndex::propagation_tasks`] makes
//! the tasks, the caller persists them as [`StoredPropagationTask`] and advances them; every step that
//! matters to an auditor is a [`PropagationRecord`] on the consent ledger, so the state can also be rebuilt
//! from the ledger after a crash ([`crate::ConsentIndex::propagation_tasks`] reads the steps recorded).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custodia_model::{ActorId, Citation, CustomerId, DataCategory, Jurisdiction, Purpose};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::ConsentError;
use crate::event::{Channel, EventKind};
use crate::ids::EventId;
use crate::policy::Regime;
use crate::receipt::Controller;
use crate::scope::Recipient;

/// What a recipient must do on hearing of the withdrawal, refusal or objection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PropagationDuty {
    /// It received the data on the consent that ended (its own grant, a provision resting on consent, or a
    /// successor's inherited grant): it must stop processing the data in the ended scope from the effective
    /// time (PIPL Arts 15, 23: a recipient processes only within the person's consent; GDPR Arts 7(3),
    /// 17(1)(b), 17(2)).
    StopProcessing,
    /// It received the data on a basis other than consent (a contract with an insurer, a legal duty): it is
    /// told so that it can check whether any of its own processing rested on the consent that ended (GDPR
    /// Art 19; PIPL Art 23, second sentence: the recipient stays within the scope it was given).
    Inform,
}

/// A recipient who must be told of a withdrawal, refusal or objection, and the ledger entries that show it
/// received the data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Propagation {
    /// Who must be told.
    pub recipient: Recipient,
    /// Ledger indices of the grants, provisions and (for a successor) PIPL Art 22 notices through which it
    /// received data in the ended scope.
    pub because: Vec<u64>,
    /// The duty to tell: PIPL Art 22 / Art 23 (the recipient processes only within the person's consent),
    /// GDPR Art 17(2) and 19.
    pub citation: Citation,
    /// What the recipient must do.
    pub duty: PropagationDuty,
}

/// Everything a task is about; fixed when the task is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PropagationTarget {
    /// The customer, by pseudonymous id.
    pub customer: CustomerId,
    /// The ledger index of the withdrawal, refusal or objection.
    pub ending_entry: u64,
    /// Its kind.
    pub ending: EventKind,
    /// When it took effect.
    pub ending_effective: DateTime<Utc>,
    /// The purposes it ended.
    pub purposes: BTreeSet<Purpose>,
    /// The categories it ended.
    pub categories: BTreeSet<DataCategory>,
    /// Who, how and why: the recipient, its duty, the evidence and the article.
    pub propagation: Propagation,
    /// The recipient's name and contact as a notice on the ledger gives them, if one does.
    pub recipient_details: Option<Controller>,
    /// The controller's name and contact, from the notice the ending event cites, if it is on the ledger.
    pub controller: Option<Controller>,
    /// Which law's articles the text cites.
    pub regime: Regime,
}

/// Task state: the recipient has not been told yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToTell;

/// Task state: the recipient was told, and the ledger holds the entry that says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Told {
    /// When the recipient was told.
    pub told_at: DateTime<Utc>,
    /// How.
    pub channel: Channel,
    /// SHA-256 of the text sent.
    pub text_digest: Digest,
    /// The ledger index of the [`PropagationRecord`] that proves it.
    pub entry: u64,
}

/// Task state: the recipient confirmed that it acted, and the ledger holds the entry that says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Confirmed {
    /// The telling step.
    pub told: Told,
    /// When the recipient confirmed.
    pub confirmed_at: DateTime<Utc>,
    /// SHA-256 of its confirmation as kept by the controller.
    pub evidence: Digest,
    /// The ledger index of the [`PropagationRecord`] that proves it.
    pub entry: u64,
}

/// A task of telling one recipient of one withdrawal, refusal or objection, in state `S` ([`ToTell`],
/// [`Told`] or [`Confirmed`]). The state only moves forward, through methods that check the ledger entry
/// proving the step. The order is law (a recipient cannot confirm what it was never told), so it is in the
/// types:
///
/// ```compile_fail
/// # use custodia_consent::*;
/// # fn f(task: PropagationTask<ToTell>, confirm: Confirm) {
/// let record = task.confirm(confirm); // a task not yet told has no `confirm`
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropagationTask<S> {
    target: PropagationTarget,
    state: S,
}

/// A task in whatever state, as the caller stores it (JSON through serde) and reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "task")]
#[non_exhaustive]
pub enum StoredPropagationTask {
    /// Not told yet.
    ToTell(PropagationTask<ToTell>),
    /// Told.
    Told(PropagationTask<Told>),
    /// Told and confirmed.
    Confirmed(PropagationTask<Confirmed>),
}

impl StoredPropagationTask {
    /// What the task is about.
    pub fn target(&self) -> &PropagationTarget {
        match self {
            StoredPropagationTask::ToTell(t) => t.target(),
            StoredPropagationTask::Told(t) => t.target(),
            StoredPropagationTask::Confirmed(t) => t.target(),
        }
    }
}

/// The inputs of the telling step: the ledger entry's id, when and how the recipient was told, the digest of
/// the text sent, and who records it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tell {
    /// The id of the ledger entry.
    pub id: EventId,
    /// When the recipient was told.
    pub at: DateTime<Utc>,
    /// How.
    pub channel: Channel,
    /// SHA-256 of the text sent (usually of [`PropagationTask::notice_text`]).
    pub text_digest: Digest,
    /// When it is recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who records it.
    pub recorded_by: ActorId,
}

/// The inputs of the confirming step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    /// The id of the ledger entry.
    pub id: EventId,
    /// When the recipient confirmed.
    pub at: DateTime<Utc>,
    /// SHA-256 of the confirmation as kept.
    pub evidence: Digest,
    /// When it is recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who records it.
    pub recorded_by: ActorId,
}

impl<S> PropagationTask<S> {
    /// What the task is about.
    pub fn target(&self) -> &PropagationTarget {
        &self.target
    }

    /// The state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The notice to send the recipient, in `language`: who the controller is, which customer (by
    /// pseudonymous id), what ended and when, on what the recipient received the data, what it must do and
    /// under which articles, and how to confirm. No raw codes: purposes and categories are in words.
    pub fn notice_text(&self, language: TextLanguage) -> String {
        notice_text(&self.target, language)
    }

    fn record(&self, id: EventId, step: PropagationStep, times: StepTimes) -> PropagationRecord {
        PropagationRecord {
            draft: PropagationDraft {
                id,
                customer: self.target.customer,
                ending_entry: self.target.ending_entry,
                recipient: self.target.propagation.recipient,
                step,
                at: times.at,
                recorded_at: times.recorded_at,
                recorded_by: times.recorded_by,
            },
        }
    }

    fn check(&self, record: &PropagationRecord) -> Result<(), ConsentError> {
        let d = &record.draft;
        if d.customer != self.target.customer
            || d.ending_entry != self.target.ending_entry
            || d.recipient != self.target.propagation.recipient
        {
            return Err(ConsentError::PropagationMismatch {
                ending: self.target.ending_entry,
                recipient: self.target.propagation.recipient.to_string(),
            });
        }
        Ok(())
    }
}

struct StepTimes {
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    recorded_by: ActorId,
}

impl PropagationTask<ToTell> {
    pub(crate) fn new(target: PropagationTarget) -> Self {
        Self {
            target,
            state: ToTell,
        }
    }

    /// The ledger entry that records telling the recipient. Append it, then call
    /// [`PropagationTask::told`] with its ledger index ([`crate::ConsentLedger::record_told`] does both).
    pub fn tell(&self, tell: Tell) -> PropagationRecord {
        self.record(
            tell.id,
            PropagationStep::Told {
                channel: tell.channel,
                text_digest: tell.text_digest,
            },
            StepTimes {
                at: tell.at,
                recorded_at: tell.recorded_at,
                recorded_by: tell.recorded_by,
            },
        )
    }

    /// The task once `record`, a telling step of this task, is on the ledger at `entry`.
    pub fn told(self, entry: u64, record: &PropagationRecord) -> Result<PropagationTask<Told>, ConsentError> {
        self.check(record)?;
        let PropagationStep::Told { channel, text_digest } = record.draft.step else {
            return Err(ConsentError::PropagationMismatch {
                ending: self.target.ending_entry,
                recipient: self.target.propagation.recipient.to_string(),
            });
        };
        Ok(PropagationTask {
            target: self.target,
            state: Told {
                told_at: record.draft.at,
                channel,
                text_digest,
                entry,
            },
        })
    }
}

impl PropagationTask<Told> {
    /// The ledger entry that records the recipient's confirmation. Refused if it is dated before the
    /// recipient was told.
    pub fn confirm(&self, confirm: Confirm) -> Result<PropagationRecord, ConsentError> {
        if confirm.at < self.state.told_at {
            return Err(ConsentError::InvalidTime {
                field: "propagation.at",
                detail: "a confirmation cannot come before the recipient was told",
            });
        }
        Ok(self.record(
            confirm.id,
            PropagationStep::Confirmed {
                evidence: confirm.evidence,
            },
            StepTimes {
                at: confirm.at,
                recorded_at: confirm.recorded_at,
                recorded_by: confirm.recorded_by,
            },
        ))
    }

    /// The task once `record`, a confirming step of this task, is on the ledger at `entry`.
    pub fn confirmed(
        self,
        entry: u64,
        record: &PropagationRecord,
    ) -> Result<PropagationTask<Confirmed>, ConsentError> {
        self.check(record)?;
        let PropagationStep::Confirmed { evidence } = record.draft.step else {
            return Err(ConsentError::PropagationMismatch {
                ending: self.target.ending_entry,
                recipient: self.target.propagation.recipient.to_string(),
            });
        };
        Ok(PropagationTask {
            target: self.target,
            state: Confirmed {
                told: self.state,
                confirmed_at: record.draft.at,
                evidence,
                entry,
            },
        })
    }
}

/// One step of propagation as the ledger records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PropagationStep {
    /// The recipient was told.
    Told {
        /// How.
        channel: Channel,
        /// SHA-256 of the text sent.
        text_digest: Digest,
    },
    /// The recipient confirmed that it acted.
    Confirmed {
        /// SHA-256 of the confirmation as kept.
        evidence: Digest,
    },
}

/// Every field of a propagation ledger entry: ids, times and digests, never a name or address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropagationDraft {
    /// This entry's id.
    pub id: EventId,
    /// The customer, by pseudonymous id.
    pub customer: CustomerId,
    /// The ledger index of the withdrawal, refusal or objection passed on.
    pub ending_entry: u64,
    /// The recipient.
    pub recipient: Recipient,
    /// What happened.
    pub step: PropagationStep,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it, by directory id.
    pub recorded_by: ActorId,
}

/// A propagation step, as appended to the consent ledger ([`crate::ConsentRecord::Propagation`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PropagationDraft", into = "PropagationDraft")]
pub struct PropagationRecord {
    draft: PropagationDraft,
}

impl PropagationRecord {
    /// A record from its fields. Every combination of valid fields is a record that can be stated; whether
    /// the step is in order is checked against the ledger when it is appended.
    pub fn new(draft: PropagationDraft) -> Self {
        Self { draft }
    }

    /// All fields, read-only.
    pub fn fields(&self) -> &PropagationDraft {
        &self.draft
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.draft.customer
    }

    /// Whether this is a telling step.
    pub fn is_told(&self) -> bool {
        matches!(self.draft.step, PropagationStep::Told { .. })
    }
}

impl From<PropagationDraft> for PropagationRecord {
    fn from(draft: PropagationDraft) -> Self {
        Self { draft }
    }
}

impl From<PropagationRecord> for PropagationDraft {
    fn from(r: PropagationRecord) -> Self {
        r.draft
    }
}

/// The language of a propagation notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TextLanguage {
    /// Simplified Chinese (zh-CN).
    SimplifiedChinese,
    /// English.
    English,
}

fn purpose_label(p: &Purpose, language: TextLanguage) -> String {
    let zh = matches!(language, TextLanguage::SimplifiedChinese);
    let label = match (p, zh) {
        (Purpose::PolicyServicing, true) => "保单服务",
        (Purpose::PolicyServicing, false) => "policy servicing",
        (Purpose::ProposalPreparation, true) => "拟订投保方案",
        (Purpose::ProposalPreparation, false) => "preparing insurance proposals",
        (Purpose::ApplicationHandling, true) => "办理投保手续",
        (Purpose::ApplicationHandling, false) => "handling insurance applications",
        (Purpose::ClaimsAssistance, true) => "协助索赔",
        (Purpose::ClaimsAssistance, false) => "claims assistance",
        (Purpose::Marketing, true) => "营销推广",
        (Purpose::Marketing, false) => "marketing",
        (Purpose::Analytics, true) => "统计分析",
        (Purpose::Analytics, false) => "analytics",
        (Purpose::LegalCompliance, true) => "履行法定义务",
        (Purpose::LegalCompliance, false) => "legal compliance",
        (Purpose::Transfer, true) => "业务转让",
        (Purpose::Transfer, false) => "transfer of the business",
        // A purpose the user defined has only its name.
        (other, _) => return other.code().replace('_', " "),
    };
    label.to_owned()
}

fn category_label(c: DataCategory, language: TextLanguage) -> &'static str {
    let zh = matches!(language, TextLanguage::SimplifiedChinese);
    match (c, zh) {
        (DataCategory::Identity, true) => "身份信息",
        (DataCategory::Identity, false) => "identity data",
        (DataCategory::Contact, true) => "联系方式",
        (DataCategory::Contact, false) => "contact details",
        (DataCategory::FinancialAccounts, true) => "金融账户信息",
        (DataCategory::FinancialAccounts, false) => "financial account data",
        (DataCategory::Health, true) => "医疗健康信息",
        (DataCategory::Health, false) => "health data",
        (DataCategory::Policies, true) => "保单信息",
        (DataCategory::Policies, false) => "policy data",
        (DataCategory::Claims, true) => "理赔信息",
        (DataCategory::Claims, false) => "claims data",
        (DataCategory::Beneficiaries, true) => "被保险人及受益人信息",
        (DataCategory::Beneficiaries, false) => "data of insured persons and beneficiaries",
        (DataCategory::MarketingPreferences, true) => "营销偏好",
        (DataCategory::MarketingPreferences, false) => "marketing preferences",
        (DataCategory::KycAml, true) => "客户尽职调查与反洗钱记录",
        (DataCategory::KycAml, false) => "customer due diligence and anti-money-laundering records",
        (_, true) => "其他个人信息",
        (_, false) => "other personal data",
    }
}

fn notice_text(t: &PropagationTarget, language: TextLanguage) -> String {
    let zh = matches!(language, TextLanguage::SimplifiedChinese);
    let join = |items: Vec<String>| items.join(if zh { "、" } else { ", " });
    let purposes = join(t.purposes.iter().map(|p| purpose_label(p, language)).collect());
    let categories = join(
        t.categories
            .iter()
            .map(|c| category_label(*c, language).to_owned())
            .collect(),
    );
    // Dates in Beijing time under the PIPL (the controller's calendar); in UTC under the GDPR.
    let date = match t.regime {
        Regime::Gdpr => format!("{} (UTC)", t.ending_effective.date_naive()),
        _ => {
            let d = Jurisdiction::MAINLAND_CHINA
                .local_date(t.ending_effective)
                .unwrap_or_else(|| t.ending_effective.date_naive());
            if zh {
                use chrono::Datelike;
                format!("{}年{}月{}日（北京时间）", d.year(), d.month(), d.day())
            } else {
                format!("{d} (Beijing time)")
            }
        }
    };
    let recipient = t
        .recipient_details
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_else(|| {
            if zh {
                "贵方".to_owned()
            } else {
                "Recipient".to_owned()
            }
        });
    let (controller, contact) = match &t.controller {
        Some(c) => (c.name.clone(), c.contact.clone()),
        None if zh => ("我方".to_owned(), "见双方协议".to_owned()),
        None => (String::new(), "as agreed between us".to_owned()),
    };
    let gdpr = t.regime == Regime::Gdpr;
    let customer = t.customer;
    if zh {
        let what = match t.ending {
            EventKind::Refused => "拒绝同意",
            EventKind::Objected => "对该处理提出反对",
            _ => "撤回同意",
        };
        let not_retroactive = if t.ending == EventKind::Withdrawn {
            "撤回不影响撤回前基于同意已进行的处理活动的效力。"
        } else {
            ""
        };
        let law = if gdpr {
            "《通用数据保护条例》（欧盟）第七条第三款、第十七条第二款及第十九条"
        } else {
            "《中华人民共和国个人信息保护法》第十五条、第二十三条"
        };
        let duty = match t.propagation.duty {
            PropagationDuty::StopProcessing => format!(
                "贵方系基于该同意接收上述个人信息。依据{law}，自上述日期起，贵方不得再以该同意为依据处理上述个人信息，请停止相关处理，并在完成后向我方书面确认。{not_retroactive}"
            ),
            PropagationDuty::Inform => format!(
                "贵方系基于同意以外的依据接收上述个人信息。依据{law}，现将上述情况告知贵方：请核查贵方的处理是否以该同意为依据；如是，请停止相关处理，并向我方书面确认核查结果。"
            ),
        };
        format!(
            "致{recipient}：\n\n{controller}通知：编号为 {customer} 的客户已于{date}{what}，范围为：为{purposes}目的处理的{categories}。\n\n{duty}\n\n联系方式：{contact}\n"
        )
    } else {
        let what = match t.ending {
            EventKind::Refused => "refused consent",
            EventKind::Objected => "objected to the processing",
            _ => "withdrew consent",
        };
        let not_retroactive = if t.ending == EventKind::Withdrawn {
            " The withdrawal does not affect processing carried out before it."
        } else {
            ""
        };
        let law = if gdpr {
            "GDPR Arts 7(3), 17(2) and 19"
        } else {
            "PIPL Arts 15 and 23"
        };
        let duty = match t.propagation.duty {
            PropagationDuty::StopProcessing => format!(
                "You received this data from us on that consent. Under {law}, you may no longer process it on that consent from that date: please stop, and confirm to us in writing when you have.{not_retroactive}"
            ),
            PropagationDuty::Inform => format!(
                "You received this data from us on a basis other than that consent. Under {law}, we tell you so that you can check whether any of your processing rests on that consent; if it does, please stop it, and confirm the result of your check to us in writing."
            ),
        };
        let intro = if controller.is_empty() {
            "We inform you".to_owned()
        } else {
            format!("{controller} informs you")
        };
        format!(
            "To {recipient}:\n\n{intro} that the customer with reference {customer} {what} on {date} for {purposes}, covering {categories}.\n\n{duty}\n\nContact: {contact}\n"
        )
    }
}
