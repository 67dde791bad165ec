//! The notice of an incident to individuals (and the body of the report to the authority), in zh-CN and
//! en, with the content PIPL Art 57 requires: (1) the categories, cause and possible harm; (2) the
//! remedies taken and what the person can do to reduce harm; (3) the brokerage's contact. Written from
//! the register's codes, so no free text — and no personal value — reaches a notice by accident.

use custodia_model::DataCategory;
use serde::{Deserialize, Serialize};

use crate::error::OversightError;
use crate::incident::{Cause, Incident, IncidentKind, Remedy};

/// The language of a notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeLanguage {
    /// Simplified Chinese.
    ZhCn,
    /// English.
    En,
}

/// Who to contact (PIPL Art 57(3)); the PI protection officer where one is required (PIPL Art 52).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The brokerage's name.
    pub controller: String,
    /// The channel (an e-mail address or a telephone number of the brokerage's, never a person's own).
    pub channel: String,
    /// The PI protection officer's name, if one is designated.
    pub officer: Option<String>,
}

/// A notice, item by item as PIPL Art 57 lists them, and as one text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentNotice {
    /// The language.
    pub language: NoticeLanguage,
    /// Art 57(1): which information.
    pub categories: Vec<String>,
    /// Art 57(1): what happened and why.
    pub cause: String,
    /// Art 57(1): the possible harm.
    pub harm: Vec<String>,
    /// Art 57(2): the remedies taken.
    pub remedies: Vec<String>,
    /// Art 57(2): what the person can do.
    pub actions: Vec<String>,
    /// Art 57(3): the contact.
    pub contact: String,
    /// The whole text.
    pub text: String,
}

fn category_name(c: DataCategory, l: NoticeLanguage) -> &'static str {
    use DataCategory::*;
    use NoticeLanguage::*;
    match (c, l) {
        (Identity, ZhCn) => "身份信息",
        (Identity, En) => "identity details",
        (Contact, ZhCn) => "联系方式",
        (Contact, En) => "contact details",
        (FinancialAccounts, ZhCn) => "金融账户信息",
        (FinancialAccounts, En) => "financial account details",
        (Health, ZhCn) => "医疗健康信息",
        (Health, En) => "health information",
        (Policies, ZhCn) => "保单信息",
        (Policies, En) => "insurance policy details",
        (Claims, ZhCn) => "理赔信息",
        (Claims, En) => "claims details",
        (Beneficiaries, ZhCn) => "受益人信息",
        (Beneficiaries, En) => "beneficiary details",
        (MarketingPreferences, ZhCn) => "营销偏好",
        (MarketingPreferences, En) => "marketing preferences",
        (KycAml, ZhCn) => "反洗钱客户身份资料",
        (KycAml, En) => "anti-money-laundering due-diligence records",
        (_, ZhCn) => "其他个人信息",
        (_, En) => "other personal information",
    }
}

/// The harm a category's exposure may cause, and what the person can do about it.
fn harm_and_action(c: DataCategory, l: NoticeLanguage) -> (&'static str, &'static str) {
    use DataCategory::*;
    use NoticeLanguage::*;
    match (c, l) {
        (Identity | KycAml, ZhCn) => (
            "可能被冒用身份办理业务",
            "留意以您名义办理的业务，如发现异常请及时联系我们并向公安机关报案",
        ),
        (Identity | KycAml, En) => (
            "your identity may be used to open business in your name",
            "watch for business opened in your name and report any to us and to the police",
        ),
        (Contact, ZhCn) => (
            "可能收到诈骗电话、短信或邮件",
            "警惕自称本公司的来电和短信，不要透露验证码",
        ),
        (Contact, En) => (
            "you may receive fraudulent calls, messages or e-mails",
            "be wary of calls and messages claiming to be from us; never give out verification codes",
        ),
        (FinancialAccounts, ZhCn) => (
            "可能发生账户盗刷或诈骗",
            "关注账户交易，必要时联系银行挂失或更换账户",
        ),
        (FinancialAccounts, En) => (
            "your accounts may be misused",
            "check your account activity and ask your bank to block or replace the account if needed",
        ),
        (Health | Claims, ZhCn) => ("可能导致歧视或隐私受损", "如遇利用上述信息的不当联系，请告知我们"),
        (Health | Claims, En) => (
            "it may lead to discrimination or loss of privacy",
            "tell us of any contact that uses this information",
        ),
        (_, ZhCn) => (
            "可能被用于推销或诈骗",
            "警惕以保单为由的联系，通过本公司公布的渠道核实",
        ),
        (_, En) => (
            "it may be used for unwanted sales or fraud",
            "be wary of contact about your policies and check it through our published channels",
        ),
    }
}

fn cause_text(kind: IncidentKind, cause: Cause, l: NoticeLanguage) -> String {
    let what = match (kind, l) {
        (IncidentKind::Leak, NoticeLanguage::ZhCn) => "发生或可能发生个人信息泄露",
        (IncidentKind::Tampering, NoticeLanguage::ZhCn) => "发生或可能发生个人信息篡改",
        (IncidentKind::Loss, NoticeLanguage::ZhCn) => "发生或可能发生个人信息丢失",
        (_, NoticeLanguage::ZhCn) => "系统或数据不可用",
        (IncidentKind::Leak, NoticeLanguage::En) => {
            "your personal information was or may have been disclosed"
        }
        (IncidentKind::Tampering, NoticeLanguage::En) => {
            "your personal information was or may have been altered"
        }
        (IncidentKind::Loss, NoticeLanguage::En) => "your personal information was or may have been lost",
        (_, NoticeLanguage::En) => "systems or data were unavailable",
    };
    let why = match (cause, l) {
        (Cause::Unknown, NoticeLanguage::ZhCn) => "原因正在调查",
        (Cause::CredentialCompromise, NoticeLanguage::ZhCn) => "原因是员工账户凭证被盗用",
        (Cause::KeyExposure, NoticeLanguage::ZhCn) => "原因是加密密钥暴露",
        (Cause::Misdelivery, NoticeLanguage::ZhCn) => "原因是信息误发",
        (Cause::Insider, NoticeLanguage::ZhCn) => "原因是内部人员违规",
        (Cause::Intrusion, NoticeLanguage::ZhCn) => "原因是网络入侵",
        (Cause::SystemFailure, NoticeLanguage::ZhCn) => "原因是系统故障",
        (Cause::Unknown, NoticeLanguage::En) => "the cause is under investigation",
        (Cause::CredentialCompromise, NoticeLanguage::En) => "a staff account's credentials were misused",
        (Cause::KeyExposure, NoticeLanguage::En) => "an encryption key was exposed",
        (Cause::Misdelivery, NoticeLanguage::En) => "information was sent to the wrong recipient",
        (Cause::Insider, NoticeLanguage::En) => "an insider broke our rules",
        (Cause::Intrusion, NoticeLanguage::En) => "our network was intruded",
        (Cause::SystemFailure, NoticeLanguage::En) => "a system failed",
    };
    match l {
        NoticeLanguage::ZhCn => format!("{what}，{why}。"),
        NoticeLanguage::En => format!("{what}; {why}."),
    }
}

fn remedy_text(r: &Remedy, l: NoticeLanguage) -> String {
    match (r, l) {
        (Remedy::KekRotated { .. }, NoticeLanguage::ZhCn) => "已更换加密主密钥并重新封装全部数据密钥".into(),
        (Remedy::KekRotated { .. }, NoticeLanguage::En) => {
            "we replaced the master encryption key and re-wrapped every data key".into()
        }
        (Remedy::PrincipalRevoked { .. }, NoticeLanguage::ZhCn) => "已撤销相关账户的访问权限".into(),
        (Remedy::PrincipalRevoked { .. }, NoticeLanguage::En) => "we revoked the account's access".into(),
        (Remedy::ReverificationForced { .. }, NoticeLanguage::ZhCn) => "办理业务前将再次核验您的身份".into(),
        (Remedy::ReverificationForced { .. }, NoticeLanguage::En) => {
            "we will verify your identity again before acting on your requests".into()
        }
    }
}

/// Writes the notice of `incident` in `language`. Refused for an incident that is not a PIPL 57 event or
/// without a contact channel.
pub fn incident_notice(
    incident: &Incident,
    contact: &Contact,
    language: NoticeLanguage,
) -> Result<IncidentNotice, OversightError> {
    if !incident.kind.is_personal_information_incident() {
        return Err(OversightError::Step {
            incident: incident.id,
            problem: "an unavailability is not a personal-information incident to notify",
        });
    }
    if contact.channel.trim().is_empty() || contact.controller.trim().is_empty() {
        return Err(OversightError::Invalid {
            field: "contact",
            reason: "name the controller and a channel (PIPL Art 57(3))",
        });
    }
    let categories: Vec<String> = incident
        .categories
        .iter()
        .map(|c| category_name(c, language).to_owned())
        .collect();
    let mut harm = Vec::new();
    let mut actions = Vec::new();
    for c in incident.categories.iter() {
        let (h, a) = harm_and_action(c, language);
        if !harm.iter().any(|x| x == h) {
            harm.push(h.to_owned());
        }
        if !actions.iter().any(|x| x == a) {
            actions.push(a.to_owned());
        }
    }
    let remedies: Vec<String> = incident
        .remedies
        .iter()
        .map(|(_, r)| remedy_text(r, language))
        .collect();
    let cause = cause_text(incident.kind, incident.cause, language);
    let contact_text = match (language, &contact.officer) {
        (NoticeLanguage::ZhCn, Some(o)) => {
            format!(
                "{}，{}；个人信息保护负责人：{}",
                contact.controller, contact.channel, o
            )
        }
        (NoticeLanguage::ZhCn, None) => format!("{}，{}", contact.controller, contact.channel),
        (NoticeLanguage::En, Some(o)) => format!(
            "{}, {}; personal information protection officer: {}",
            contact.controller, contact.channel, o
        ),
        (NoticeLanguage::En, None) => format!("{}, {}", contact.controller, contact.channel),
    };
    let (l_cat, l_cause, l_harm, l_rem, l_act, l_contact, sep, none) = match language {
        NoticeLanguage::ZhCn => (
            "涉及的信息种类",
            "原因",
            "可能造成的危害",
            "我们采取的补救措施",
            "您可以采取的措施",
            "联系方式",
            "；",
            "正在采取",
        ),
        NoticeLanguage::En => (
            "Information involved",
            "What happened",
            "Possible harm",
            "What we have done",
            "What you can do",
            "Contact",
            "; ",
            "under way",
        ),
    };
    let remedies_line = if remedies.is_empty() {
        none.to_owned()
    } else {
        remedies.join(sep)
    };
    let text = format!(
        "{l_cat}: {}\n{l_cause}: {cause}\n{l_harm}: {}\n{l_rem}: {remedies_line}\n{l_act}: {}\n{l_contact}: {contact_text}\n",
        categories.join(sep),
        harm.join(sep),
        actions.join(sep),
    );
    Ok(IncidentNotice {
        language,
        categories,
        cause,
        harm,
        remedies,
        actions,
        contact: contact_text,
        text,
    })
}
