//! The notices a transfer's legal path requires, in Simplified Chinese and English, published on the consent
//! ledger and served to each customer as notice-served events.
//!
//! Every notice carries what PIPL Art 17 requires and a customer can act on: both processors' names and
//! contacts; the customer's own purposes, the processing methods (处理方式) and categories; retention as
//! periods with what happens after them; the procedures to exercise each right NDSR Art 21(4) lists; the
//! consequences of objecting or refusing (PIPL Arts 16, 17). Sensitive categories add their necessity and
//! impact (PIPL Art 30); a minor's notice is addressed to the guardian (PIPL Art 31); a transfer abroad adds
//! PIPL Art 39's items and the request for separate consent. The objection window follows Civil Code Arts
//! 201 and 203: from the day after service to 24:00 Beijing time of the last day, a last day on a rest day
//! moved to the next working day. The texts hold no raw codes: jurisdictions, mechanisms, purposes and
//! categories are named in words, and a jurisdiction the table cannot name is refused when the agreement is
//! made.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use custodia_consent::{
    Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentRecord, ConsentScope, Digest, EventDraft,
    EventId, EventKind, Notice, NoticeDraft, NoticeId, NoticeRecipient, NoticeRef, ProcessingDetails,
    Recipient, TransferPath, WithdrawalMethod,
};
use custodia_ledger::LogStore;
use custodia_model::{
    ActorId, CustomerId, DataCategory, Deadline, Jurisdiction, Purpose, WorkingDayCalendar, beijing_date,
};
use custodia_retention::{Period, Profile};
use serde::{Deserialize, Serialize};

use crate::agreement::{DealKind, ExemptionGround, Mechanism, SignedAgreement};
use crate::error::TransferError;
use crate::party::TransferParty;
use crate::progress::{Phase, Progress};

/// A notice language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Language {
    /// Simplified Chinese, `zh-CN`.
    SimplifiedChinese,
    /// English, `en`.
    English,
}

impl Language {
    /// Both languages.
    pub const ALL: [Language; 2] = [Language::SimplifiedChinese, Language::English];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::SimplifiedChinese => "zh-CN",
            Language::English => "en",
        }
    }

    fn zh(self) -> bool {
        self == Language::SimplifiedChinese
    }
}

/// The label of a category in a notice.
pub fn category_name(category: DataCategory, language: Language) -> &'static str {
    match (language, category) {
        (Language::SimplifiedChinese, DataCategory::Identity) => "身份信息",
        (Language::SimplifiedChinese, DataCategory::Contact) => "联系方式",
        (Language::SimplifiedChinese, DataCategory::FinancialAccounts) => "金融账户信息",
        (Language::SimplifiedChinese, DataCategory::Health) => "医疗健康信息",
        (Language::SimplifiedChinese, DataCategory::Policies) => "保单信息",
        (Language::SimplifiedChinese, DataCategory::Claims) => "理赔信息",
        (Language::SimplifiedChinese, DataCategory::Beneficiaries) => "被保险人及受益人信息",
        (Language::SimplifiedChinese, DataCategory::MarketingPreferences) => "营销偏好",
        (Language::SimplifiedChinese, DataCategory::KycAml) => "客户尽职调查及交易记录",
        (Language::SimplifiedChinese, _) => "其他个人信息",
        (_, DataCategory::Identity) => "identity information",
        (_, DataCategory::Contact) => "contact details",
        (_, DataCategory::FinancialAccounts) => "financial account information",
        (_, DataCategory::Health) => "medical and health information",
        (_, DataCategory::Policies) => "policy information",
        (_, DataCategory::Claims) => "claims information",
        (_, DataCategory::Beneficiaries) => "information on insured persons and beneficiaries",
        (_, DataCategory::MarketingPreferences) => "marketing preferences",
        (_, DataCategory::KycAml) => "customer due diligence and transaction records",
        (_, _) => "other personal information",
    }
}

/// The name of a purpose in a notice; a purpose a user defined has no name in words, so it is refused.
pub fn purpose_name(purpose: &Purpose, language: Language) -> Result<&'static str, TransferError> {
    let zh = language.zh();
    Ok(match purpose {
        Purpose::PolicyServicing => {
            if zh {
                "保单服务（续保、变更、保费收付）"
            } else {
                "servicing your policies (renewals, changes, premiums)"
            }
        }
        Purpose::ProposalPreparation => {
            if zh {
                "拟订投保方案"
            } else {
                "preparing your insurance proposals"
            }
        }
        Purpose::ApplicationHandling => {
            if zh {
                "办理投保手续"
            } else {
                "handling your insurance applications"
            }
        }
        Purpose::ClaimsAssistance => {
            if zh {
                "协助索赔"
            } else {
                "assisting you with claims"
            }
        }
        Purpose::Marketing => {
            if zh {
                "向您推荐保险产品"
            } else {
                "telling you about insurance products"
            }
        }
        Purpose::Analytics => {
            if zh {
                "统计分析"
            } else {
                "statistics about the book"
            }
        }
        Purpose::LegalCompliance => {
            if zh {
                "履行法定义务（反洗钱、业务档案）"
            } else {
                "meeting legal obligations (anti-money laundering, business records)"
            }
        }
        Purpose::Transfer => {
            if zh {
                "业务转让"
            } else {
                "the transfer of the business"
            }
        }
        _ => {
            return Err(TransferError::invalid(
                "agreement.scope",
                "a purpose a notice cannot name in words: use a built-in purpose",
            ));
        }
    })
}

/// The name of a jurisdiction in words, as a notice gives it (PIPL Art 39: where the recipient is); `None`
/// for one the table does not hold, which the agreement refuses as a destination.
pub fn jurisdiction_name(jurisdiction: Jurisdiction, language: Language) -> Option<&'static str> {
    const NAMES: [(&str, &str, &str); 36] = [
        ("CN", "中国内地", "mainland China"),
        (
            "HK",
            "中国香港特别行政区",
            "the Hong Kong Special Administrative Region of China",
        ),
        (
            "MO",
            "中国澳门特别行政区",
            "the Macao Special Administrative Region of China",
        ),
        ("TW", "中国台湾地区", "the Taiwan region of China"),
        ("SG", "新加坡", "Singapore"),
        ("JP", "日本", "Japan"),
        ("KR", "韩国", "the Republic of Korea"),
        ("MY", "马来西亚", "Malaysia"),
        ("TH", "泰国", "Thailand"),
        ("ID", "印度尼西亚", "Indonesia"),
        ("PH", "菲律宾", "the Philippines"),
        ("VN", "越南", "Viet Nam"),
        ("IN", "印度", "India"),
        ("AE", "阿拉伯联合酋长国", "the United Arab Emirates"),
        ("SA", "沙特阿拉伯", "Saudi Arabia"),
        ("AU", "澳大利亚", "Australia"),
        ("NZ", "新西兰", "New Zealand"),
        ("US", "美国", "the United States"),
        ("CA", "加拿大", "Canada"),
        ("MX", "墨西哥", "Mexico"),
        ("BR", "巴西", "Brazil"),
        ("GB", "英国", "the United Kingdom"),
        ("IE", "爱尔兰", "Ireland"),
        ("DE", "德国", "Germany"),
        ("FR", "法国", "France"),
        ("NL", "荷兰", "the Netherlands"),
        ("BE", "比利时", "Belgium"),
        ("LU", "卢森堡", "Luxembourg"),
        ("CH", "瑞士", "Switzerland"),
        ("AT", "奥地利", "Austria"),
        ("IT", "意大利", "Italy"),
        ("ES", "西班牙", "Spain"),
        ("SE", "瑞典", "Sweden"),
        ("DK", "丹麦", "Denmark"),
        ("NO", "挪威", "Norway"),
        ("RU", "俄罗斯", "Russia"),
    ];
    NAMES
        .iter()
        .find(|(code, _, _)| *code == jurisdiction.code())
        .map(|(_, zh, en)| if language.zh() { *zh } else { *en })
}

/// The name of a cross-border mechanism in words, with an exemption's ground.
pub fn mechanism_name(
    mechanism: Mechanism,
    exemption: Option<ExemptionGround>,
    language: Language,
) -> String {
    let zh = language.zh();
    match (mechanism, exemption) {
        (Mechanism::None, _) => if zh {
            "本年度累计出境人数未达到需要申报安全评估、订立标准合同或认证的标准"
        } else {
            "this year's exports stay below every threshold that requires an assessment, a standard contract or certification"
        }
        .to_owned(),
        (Mechanism::Exempt, Some(ExemptionGround::ContractNecessity)) => if zh {
            "为订立、履行您作为一方当事人的合同所必需（《网络数据安全管理条例》第三十五条第（四）项）"
        } else {
            "necessary to conclude or perform a contract to which you are a party (NDSR Art 35(4))"
        }
        .to_owned(),
        (Mechanism::Exempt, _) => if zh {
            "紧急情况下为保护自然人的生命健康和财产安全所必需（《网络数据安全管理条例》第三十五条第（七）项）"
        } else {
            "necessary in an emergency to protect a person's life, health or property (NDSR Art 35(7))"
        }
        .to_owned(),
        (Mechanism::StandardContract, _) => if zh {
            "与境外接收方订立并备案的个人信息出境标准合同（《个人信息保护法》第三十八条）"
        } else {
            "the standard contract for personal information export, signed with the overseas recipient and filed (PIPL Art 38)"
        }
        .to_owned(),
        (Mechanism::Certification, _) => if zh {
            "个人信息保护认证（《个人信息保护法》第三十八条）"
        } else {
            "personal information protection certification (PIPL Art 38)"
        }
        .to_owned(),
        (Mechanism::SecurityAssessment, _) => if zh {
            "国家网信部门组织的数据出境安全评估（《个人信息保护法》第三十八条、第四十条）"
        } else {
            "the data export security assessment of the Cyberspace Administration (PIPL Arts 38, 40)"
        }
        .to_owned(),
    }
}

/// A period in words: `3年`, `6个月`, `3 years`, `6 months`.
pub fn period_words(period: Period, language: Language) -> String {
    let parts = [
        (period.year_part(), "年", "year"),
        (period.month_part(), "个月", "month"),
        (period.day_part(), "日", "day"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, zh, en)| {
            if language.zh() {
                format!("{n}{zh}")
            } else if *n == 1 {
                format!("1 {en}")
            } else {
                format!("{n} {en}s")
            }
        })
        .collect();
    match (words.is_empty(), language.zh()) {
        (true, true) => "0日".to_owned(),
        (true, false) => "no time".to_owned(),
        (false, true) => words.concat(),
        (false, false) => words.join(" and "),
    }
}

fn date_words(date: NaiveDate, language: Language) -> String {
    if language.zh() {
        format!("{}年{}月{}日", date.year(), date.month(), date.day())
    } else {
        date.format("%-d %B %Y").to_string()
    }
}

/// The retention periods a notice states, read from the seller's retention profile: the business-file and
/// AML floors, the post-relationship period and the marketing limit (settings the notice must state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionStatement {
    /// Whether the AML Law 2024 Art 34 floors apply (the profile's `aml_obligated`).
    pub aml_obligated: bool,
    /// How long data is kept after the relationship ends (PIPL Art 47(1)(2)).
    pub post_relationship: Period,
    /// How long marketing preferences are kept from collection.
    pub marketing_limit: Period,
}

impl RetentionStatement {
    /// The statement of `profile`'s settings.
    pub fn of(profile: &Profile) -> Self {
        let settings = profile.settings();
        Self {
            aml_obligated: settings.aml_obligated,
            post_relationship: settings.periods.post_relationship_period,
            marketing_limit: settings.periods.marketing_limit,
        }
    }

    /// The retention items in words (PIPL Art 17(1)(2); NDSR Art 21(3): the periods and what happens after).
    pub fn text(&self, language: Language) -> String {
        let post = period_words(self.post_relationship, language);
        let marketing = period_words(self.marketing_limit, language);
        if language.zh() {
            let aml = if self.aml_obligated {
                "客户身份资料在业务关系结束后、客户交易信息在交易结束后至少保存10年（《反洗钱法》第三十四条）；"
            } else {
                ""
            };
            format!(
                "保存期限：保险业务档案、客户告知书等自保险合同终止之日起保存，保险期间1年以下的不少于5年，超过1年的不少于10年\
                 （《保险经纪人监管规定》第五十一条）；{aml}其他个人信息在业务关系结束后保存{post}，用于处理投诉、受益人理赔及责任争议；\
                 营销偏好自收集之日起保存{marketing}。期限届满后予以删除或匿名化处理；法律、行政法规规定的保存期限未届满的，\
                 除存储和采取必要的安全保护措施外停止处理（《个人信息保护法》第四十七条）。"
            )
        } else {
            let aml = if self.aml_obligated {
                " customer identity records at least 10 years after the business relationship ends, and transaction records at least 10 years after each transaction (AML Law 2024 Art 34);"
            } else {
                ""
            };
            format!(
                "How long we keep it: business files and customer notices from the end of each insurance contract, at least 5 years for \
                 cover of one year or less and at least 10 years for longer cover (Broker Rule 2018 Art 51);{aml} other personal \
                 information {post} after the business relationship ends, to handle complaints, beneficiaries' claims and liability \
                 questions; marketing preferences {marketing} from collection. When a period ends the information is deleted or \
                 anonymized; while a period set by law or administrative regulation runs, it is only stored and kept secure (PIPL Art 47)."
            )
        }
    }
}

/// Who a notice is addressed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reader {
    /// The customer.
    Customer,
    /// The parent or guardian of a customer under 14 (PIPL Art 31).
    Guardian,
}

/// One customer to notify: who, the categories in scope they hold (and which of them are sensitive), who
/// reads the notice, and in which language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressee {
    /// The customer.
    pub customer: CustomerId,
    /// Their categories in scope.
    pub categories: BTreeSet<DataCategory>,
    /// Which of them are sensitive for this customer (PIPL Arts 28, 30).
    pub sensitive: BTreeSet<DataCategory>,
    /// The customer, or the guardian of a customer under 14 (PIPL Art 31).
    pub reader: Reader,
    /// The language of their notice.
    pub language: Language,
}

impl Addressee {
    /// An adult customer with `categories`, sensitive by the category-level cautious answer
    /// ([`DataCategory::is_sensitive`]); refine with the struct's fields.
    pub fn new(customer: CustomerId, categories: BTreeSet<DataCategory>, language: Language) -> Self {
        let sensitive = categories.iter().copied().filter(|c| c.is_sensitive()).collect();
        Self {
            customer,
            categories,
            sensitive,
            reader: Reader::Customer,
            language,
        }
    }
}

fn join(items: impl IntoIterator<Item = String>, language: Language) -> String {
    let items: Vec<String> = items.into_iter().collect();
    if language.zh() {
        return items.join("、");
    }
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn registration(party: &TransferParty, language: Language) -> String {
    match (party.credit_code(), party.registration(), language.zh()) {
        (Some(code), _, true) => format!("统一社会信用代码{}", code.as_str()),
        (Some(code), _, false) => format!("unified social credit code {}", code.as_str()),
        (None, Some(r), true) => format!("{}登记号{}", r.register, r.number),
        (None, Some(r), false) => format!("registration no. {} with the {}", r.number, r.register),
        (None, None, _) => String::new(),
    }
}

/// What a notice is rendered from: the agreement, the retention periods it states, and, for a notice served
/// to one customer, the objection window's deadline counted from its service.
#[derive(Clone, Copy, Debug)]
pub struct NoticeContext<'a> {
    /// The signed agreement.
    pub agreement: &'a SignedAgreement,
    /// The retention periods to state.
    pub retention: RetentionStatement,
    /// The objection window's deadline for this customer, once served (`None` in the published notice,
    /// which states the rule instead).
    pub deadline: Option<Deadline>,
}

/// Renders the notice text for `addressee` in `addressee.language` (see the module docs for what it holds).
pub fn render(context: &NoticeContext<'_>, addressee: &Addressee) -> Result<String, TransferError> {
    let t = context.agreement.terms();
    let language = addressee.language;
    let zh = language.zh();
    let (seller, buyer) = (&t.seller, &t.buyer);
    let names = |set: &BTreeSet<DataCategory>| {
        join(
            set.iter().map(|c| category_name(*c, language).to_owned()),
            language,
        )
    };
    let cats = names(&addressee.categories);
    let purposes = t
        .purposes_for_categories(&addressee.categories)
        .into_iter()
        .map(|p| purpose_name(p, language).map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()?;
    let purposes = join(purposes, language);
    let notice_path = t.legal_path == TransferPath::MergerNotice;
    let article = if notice_path { "二十二" } else { "二十三" };
    let article_en = if notice_path { "22" } else { "23" };
    let buyer_reg = registration(buyer, language);
    let seller_reg = registration(seller, language);
    let mut parts: Vec<String> = Vec::new();

    // Title and reader (PIPL Art 31: a minor's notice goes to the guardian).
    let abroad = t.cross_border.as_ref();
    parts.push(match (notice_path, abroad.is_some(), zh) {
        (true, false, true) => "【个人信息转移告知书】".to_owned(),
        (true, true, true) => "【个人信息转移及出境告知书暨单独同意请求】".to_owned(),
        (false, false, true) => "【个人信息提供告知书暨单独同意请求】".to_owned(),
        (false, true, true) => "【个人信息提供及出境告知书暨单独同意请求】".to_owned(),
        (true, false, false) => "Notice of the transfer of your personal information".to_owned(),
        (true, true, false) => "Notice of the transfer of your personal information abroad, and a request for your separate consent".to_owned(),
        (false, false, false) => "Notice of a provision of your personal information, and a request for your separate consent".to_owned(),
        (false, true, false) => "Notice of a provision of your personal information abroad, and a request for your separate consent".to_owned(),
    });
    let (your, your_cap) = match (addressee.reader, zh) {
        (Reader::Guardian, true) => {
            parts.push("尊敬的监护人：本告知涉及您监护的不满十四周岁的未成年人的个人信息，需由您作出决定（《个人信息保护法》第三十一条）。".into());
            ("您监护的未成年人的", "您监护的未成年人的")
        }
        (Reader::Guardian, false) => {
            parts.push("Dear parent or guardian: this notice concerns the personal information of a child under 14 in your care, and the decisions are yours to make (PIPL Art 31).".into());
            ("the child's ", "The child's ")
        }
        (Reader::Customer, true) => {
            parts.push("尊敬的客户：".into());
            ("您的", "您的")
        }
        (Reader::Customer, false) => {
            parts.push("Dear customer,".into());
            ("your ", "Your ")
        }
    };

    // What happens, and who the processors are (PIPL Arts 17(1)(1), 22, 23).
    if t.deal.kind == DealKind::ShareAcquisition {
        parts.push(if zh {
            format!("{seller_name}的股权发生变更，{seller_name}仍是您个人信息的处理者，您的个人信息不转移。", seller_name = seller.name())
        } else {
            format!("The shares of {} change hands; it remains the processor of your personal information, and nothing moves.", seller.name())
        });
    } else if zh {
        parts.push(format!(
            "{}拟将其保险经纪业务整体转让予{}。转让完成后，{your}{cats}将由{}接收并处理。",
            seller.name(),
            buyer.name(),
            buyer.name()
        ));
    } else {
        parts.push(format!(
            "{} intends to transfer its insurance brokerage business as a whole to {}. Once the transfer is complete, {your}{cats} will be received and processed by {}.",
            seller.name(),
            buyer.name(),
            buyer.name()
        ));
    }
    parts.push(if zh {
        format!(
            "个人信息处理者：转出方{}（{seller_reg}，联系方式：{}）；接收方{}（{buyer_reg}，联系方式：{}）。",
            seller.name(),
            seller.contact(),
            buyer.name(),
            buyer.contact()
        )
    } else {
        format!(
            "Who processes it: the transferring broker {} ({seller_reg}; contact: {}) and the receiving broker {} ({buyer_reg}; contact: {}).",
            seller.name(),
            seller.contact(),
            buyer.name(),
            buyer.contact()
        )
    });

    // Purposes, methods, categories (PIPL Art 17(1)(2)).
    parts.push(if zh {
        format!(
            "处理目的：{purposes}。处理方式：以电子方式收集、存储、使用、加工和传输，加密保存并按岗位控制访问；接收方在原处理目的和处理方式范围内处理，\
             如需变更，将重新取得您的同意（《个人信息保护法》第{article}条）。涉及的个人信息种类：{cats}。"
        )
    } else {
        format!(
            "Why and how: for {purposes}; the information is collected, stored, used, analysed and transmitted electronically, kept \
             encrypted, and open only to staff whose role needs it. The receiving broker keeps to these purposes and methods and will ask \
             for your consent again before changing them (PIPL Art {article_en}). What is concerned: {cats}."
        )
    });

    // Sensitive categories: necessity and impact (PIPL Arts 28, 30).
    if !addressee.sensitive.is_empty() {
        let sens = names(&addressee.sensitive);
        let verb = if addressee.sensitive.len() == 1 {
            "is"
        } else {
            "are"
        };
        parts.push(if zh {
            format!(
                "其中{sens}属于敏感个人信息。处理的必要性：为继续为{}提供保险经纪服务（如协助索赔、保单服务、反洗钱义务）所必需；\
                 对个人权益的影响：一旦泄露或者被非法使用，可能危害人身、财产安全或者人格尊严，接收方将采取加密存储、访问控制和审计等严格保护措施\
                 （《个人信息保护法》第二十八条、第三十条）。",
                if addressee.reader == Reader::Guardian { "该未成年人" } else { "您" }
            )
        } else {
            format!(
                "Of these, {sens} {verb} sensitive personal information. It is needed to go on providing the brokerage service (assistance \
                 with claims, policy servicing, anti-money-laundering duties); if leaked or misused it could harm personal or property \
                 safety or dignity, so the receiving broker keeps it encrypted, under access control and audit (PIPL Arts 28, 30)."
            )
        });
    }

    // Transfer abroad: PIPL Art 39's items.
    if let Some(cb) = abroad {
        let place = jurisdiction_name(cb.destination, language).ok_or_else(|| {
            TransferError::invalid(
                "agreement.cross_border.destination",
                "no name in words for the notice",
            )
        })?;
        let basis = mechanism_name(cb.mechanism, cb.exemption, language);
        parts.push(if zh {
            format!(
                "境外处理：接收方将在{place}处理上述个人信息。境外接收方：{}（{buyer_reg}），联系方式：{}；处理目的、处理方式和个人信息种类同上。\
                 您可以通过上述联系方式向境外接收方查阅、复制、更正、补充、删除个人信息或者撤回同意。出境依据：{basis}。\
                 向境外提供个人信息需要取得您的单独同意（《个人信息保护法》第三十九条）。",
                buyer.name(),
                buyer.contact()
            )
        } else {
            format!(
                "Abroad: the receiving broker processes this information in {place}. The overseas recipient is {} ({buyer_reg}; contact: \
                 {}), for the purposes, by the methods and for the information above; through that contact you can access, copy, correct, \
                 complete or delete your information there or withdraw your consent. The legal ground for the export: {basis}. Sending \
                 personal information abroad needs your separate consent (PIPL Art 39).",
                buyer.name(),
                buyer.contact()
            )
        });
    }

    // Retention as periods (PIPL Art 17(1)(2); NDSR Art 21(3)).
    parts.push(context.retention.text(language));

    // Rights and the procedures for each (PIPL Arts 44–48, 50; NDSR Arts 21(4), 23).
    parts.push(if zh {
        format!(
            "您的权利及行使方式：您可以向{}（{}）或{}（{}）提出申请，查阅、复制个人信息，请求将其转移至您指定的处理者，请求更正、补充、删除个人信息，\
             限制或者拒绝处理，注销账户，撤回同意；请说明您的身份和所涉信息，我们核验身份后及时处理并答复，拒绝的将说明理由，\
             您可以依法向人民法院提起诉讼（《个人信息保护法》第四十四条至第五十条，《网络数据安全管理条例》第二十一条、第二十三条）。",
            seller.name(),
            seller.contact(),
            buyer.name(),
            buyer.contact()
        )
    } else {
        format!(
            "Your rights and how to use them: write to {} ({}) or {} ({}) to access or copy your information, have it sent to a processor \
             you name, correct, complete or delete it, restrict or refuse its processing, close your account, or withdraw a consent. Say \
             who you are and which information you mean; once we have checked your identity we deal with it promptly and answer you, \
             giving reasons if we refuse, and you may take a refusal to court (PIPL Arts 44–50; NDSR Arts 21, 23).",
            seller.name(),
            seller.contact(),
            buyer.name(),
            buyer.contact()
        )
    });

    // The answer asked for, its window and its consequences (PIPL Arts 15, 16, 17, 23, 29, 31, 39, 44).
    let needs_consent: Vec<String> = {
        let mut list = Vec::new();
        if !addressee.sensitive.is_empty() {
            list.push(if zh {
                format!("{}（敏感个人信息，第二十九条）", names(&addressee.sensitive))
            } else {
                format!(
                    "{} (sensitive information, PIPL Art 29)",
                    names(&addressee.sensitive)
                )
            });
        }
        if abroad.is_some() {
            list.push(if zh {
                "向境外提供（第三十九条）".to_owned()
            } else {
                "the transfer abroad (PIPL Art 39)".to_owned()
            });
        }
        list
    };
    if t.deal.kind == DealKind::ShareAcquisition {
        parts.push(if zh {
            "本告知仅为告知，无需您作出答复。".to_owned()
        } else {
            "This notice is for your information; no answer is needed.".to_owned()
        });
    } else if notice_path {
        let window = match context.deadline {
            Some(d) if zh => format!("于{}24时（北京时间）前", date_words(d.last_day, language)),
            Some(d) => format!("by 24:00 Beijing time on {}", date_words(d.last_day, language)),
            None if zh => format!(
                "自收到本告知之次日起{}日内（最后一日为法定休假日的，以休假日结束的次日为最后一日，截至当日北京时间24时）",
                t.objection_window_days
            ),
            None => format!(
                "within {} days counted from the day after you receive this notice (a last day on a public holiday or weekend moves to the next working day; the period ends at 24:00 Beijing time)",
                t.objection_window_days
            ),
        };
        parts.push(if zh {
            format!(
                "如您反对转移，请{window}联系{}或{}。期限届满前我们不会转移{your}个人信息；期限届满后您仍可随时反对，在信息转移前收到的反对都将被执行\
                 （《个人信息保护法》第四十四条）。反对的后果：{your}个人信息不会转移至{}，{}停止提供服务后将按上述保存期限处理{your}信息；\
                 {your}保险合同继续有效，您可以另行委托保险经纪人。我们不会因您反对而拒绝提供法律规定必须提供的服务（《个人信息保护法》第十六条）。",
                seller.contact(),
                buyer.contact(),
                buyer.name(),
                seller.name()
            )
        } else {
            format!(
                "If you object to the transfer, contact {} or {} {window}. Nothing of yours moves before then, and you can still object at any \
                 time afterwards: every objection we receive before your information moves is honoured (PIPL Art 44). If you object, {your}\
                 information does not go to {}; {} keeps it only for the periods above after it stops serving you. {your_cap}insurance \
                 contracts stay in force, and you are free to appoint another broker. Objecting never costs you a service the law says we must provide \
                 (PIPL Art 16).",
                seller.contact(),
                buyer.contact(),
                buyer.name(),
                seller.name()
            )
        });
        if !needs_consent.is_empty() {
            parts.push(if zh {
                format!(
                    "此外，下列事项需要{}单独同意：{}。同意请通过{}明确回复；您有权拒绝，拒绝或不作回复的，该部分信息不会转移，其余部分按本告知办理；\
                     您可以随时撤回同意，撤回不影响撤回前已进行的处理（《个人信息保护法》第十五条）。",
                    if addressee.reader == Reader::Guardian { "您作为监护人" } else { "您" },
                    join(needs_consent, language),
                    buyer.contact()
                )
            } else {
                format!(
                    "The following also need {} separate consent: {}. To consent, say so expressly through {}. You may refuse: if you refuse or \
                     do not answer, that information does not move and the rest follows this notice. You can withdraw a consent at any time; \
                     the withdrawal does not undo what was done before it (PIPL Art 15).",
                    if addressee.reader == Reader::Guardian { "your (as guardian)" } else { "your" },
                    join(needs_consent, language),
                    buyer.contact()
                )
            });
        }
    } else {
        parts.push(if zh {
            format!(
                "请您就上述提供{}作出单独同意（《个人信息保护法》第二十三条{}）：同意请通过{}明确回复。您有权拒绝；拒绝或不作回复的，{your}个人信息\
                 不会提供给{}，{}停止提供服务后将按上述保存期限处理{your}信息，{your}保险合同继续有效，我们不会因此拒绝提供法律规定必须提供的服务\
                 （第十六条）。您可以随时撤回同意，撤回不影响撤回前基于同意已进行的处理（第十五条）。",
                if abroad.is_some() { "及出境" } else { "" },
                if abroad.is_some() { "、第三十九条" } else { "" },
                seller.contact(),
                buyer.name(),
                seller.name()
            )
        } else {
            format!(
                "Please give your separate consent to this provision{} (PIPL Art 23{}): say so expressly through {}. You may refuse: if you \
                 refuse or do not answer, {your}information is not provided to {}; {} keeps it only for the periods above after it stops \
                 serving you, {your}insurance contracts stay in force, and refusing never costs you a service the law says we must provide \
                 (PIPL Art 16). You can withdraw your consent at any time; the withdrawal does not undo what was done before it (PIPL Art 15).",
                if abroad.is_some() { " and to the transfer abroad" } else { "" },
                if abroad.is_some() { ", Art 39" } else { "" },
                seller.contact(),
                buyer.name(),
                seller.name()
            )
        });
    }
    // One paragraph per item, in both languages: a notice is read, so its items stand apart.
    Ok(parts.join("\n"))
}

/// The recipient a transfer event names: the buyer as successor on the notice path, as third party on the
/// consent path (see [`crate::responses`] for the conventions answers follow).
pub fn buyer_recipient(agreement: &SignedAgreement) -> Recipient {
    let buyer = agreement.terms().buyer.party_id();
    match agreement.terms().legal_path {
        TransferPath::MergerNotice => Recipient::Successor(buyer),
        _ => Recipient::ThirdParty(buyer),
    }
}

/// What a published notice is made from.
#[derive(Clone, Copy, Debug)]
pub struct NoticePublication<'a> {
    /// The signed agreement.
    pub agreement: &'a SignedAgreement,
    /// The notice's id.
    pub id: NoticeId,
    /// Its language.
    pub language: Language,
    /// When it is published.
    pub published_at: DateTime<Utc>,
    /// The retention periods it states.
    pub retention: RetentionStatement,
}

/// The versioned notice (PIPL Art 17) for the transfer, to publish on the consent ledger: the seller as
/// controller, the buyer named as successor and as third party on either path (so that a consent naming
/// either counts), the destination abroad if any, retention as periods, the rights and their procedures, and the
/// digest of the text rendered for every category in scope.
pub fn transfer_notice(publication: &NoticePublication<'_>) -> Result<Notice, TransferError> {
    let agreement = publication.agreement;
    let language = publication.language;
    let t = agreement.terms();
    let categories = t.categories();
    let mut purposes: BTreeSet<Purpose> = t.scope.iter().map(|s| s.purpose.clone()).collect();
    purposes.insert(Purpose::Transfer);
    let buyer = t.buyer.party_id();
    let named = |recipient| NoticeRecipient {
        recipient,
        name: t.buyer.name().to_owned(),
        contact: t.buyer.contact().to_owned(),
    };
    // Both addressee conventions name the buyer (see `crate::responses`): a consent to it as third party or
    // as successor is a consent to a recipient the notice disclosed.
    let recipients = vec![
        named(Recipient::ThirdParty(buyer)),
        named(Recipient::Successor(buyer)),
    ];
    let context = NoticeContext {
        agreement,
        retention: publication.retention,
        deadline: None,
    };
    let text = render(
        &context,
        &Addressee::new(CustomerId::from_bytes([0xff; 16])?, categories.clone(), language),
    )?;
    let rights = if language.zh() {
        format!(
            "查阅、复制、转移、更正、补充、删除、限制或拒绝处理、注销账户、撤回同意：向{}（{}）或{}（{}）提出申请，核验身份后及时处理，拒绝的说明理由",
            t.seller.name(),
            t.seller.contact(),
            t.buyer.name(),
            t.buyer.contact()
        )
    } else {
        format!(
            "access, copy, port, correct, complete, delete, restrict or refuse processing, close the account, withdraw consent: apply to {} ({}) or {} ({}); handled promptly once identity is checked, with reasons for any refusal",
            t.seller.name(),
            t.seller.contact(),
            t.buyer.name(),
            t.buyer.contact()
        )
    };
    Ok(Notice::new(NoticeDraft {
        id: publication.id,
        version: 1,
        controller_name: t.seller.name().to_owned(),
        controller_contact: t.seller.contact().to_owned(),
        purposes,
        categories,
        recipients,
        destinations: t.cross_border.iter().map(|c| c.destination).collect(),
        retention: publication.retention.text(language),
        rights,
        language: language.tag().into(),
        text_digest: Digest::of(text.as_bytes()),
        published_at: publication.published_at,
        // The transfer notice is published to the ledger when it is made: its publication is its recording.
        recorded_at: publication.published_at,
        processing: Some(ProcessingDetails {
            // A mainland seller is named by its unified social credit code, one elsewhere by its register.
            controller_id: match (t.seller.credit_code(), t.seller.registration()) {
                (Some(code), _) => code.to_string(),
                (None, Some(r)) => format!("{}: {}", r.register, r.number),
                (None, None) => t.seller.party_id().to_string(),
            },
            // The agreement names no postal address for its parties: the seller's registered contact, which
            // every customer is told (PIPL Art 22), stands for it.
            controller_address: t.seller.contact().to_owned(),
            jurisdiction: t.seller.jurisdiction(),
            storage_locations: [t.seller.jurisdiction(), t.buyer.jurisdiction()].into(),
            withdrawal: WithdrawalMethod {
                channels: [Channel::Email, Channel::Paper].into(),
                contact: t.seller.contact().to_owned(),
            },
        }),
    })?)
}

/// How one round of notices is served: under which agreement, when, by whom and through which channel, with
/// the retention periods the notices state and the calendar their windows are counted against.
#[derive(Clone, Debug)]
pub struct NoticeDelivery<'a> {
    /// The signed agreement the notices are about.
    pub agreement: &'a SignedAgreement,
    /// When they are served (effective and recorded time of each notice-served event).
    pub served_at: DateTime<Utc>,
    /// Who serves them: a member of staff or the system account that sends them.
    pub recorded_by: ActorId,
    /// How they reach the customers.
    pub channel: Channel,
    /// The retention periods the notices state.
    pub retention: RetentionStatement,
    /// The working-day calendar the objection window is counted against (Civil Code Arts 201, 203).
    pub calendar: &'a WorkingDayCalendar,
}

impl NoticeDelivery<'_> {
    /// The objection window's deadline for a notice served now (notice path only).
    pub fn deadline(&self) -> Result<Option<Deadline>, TransferError> {
        if self.agreement.terms().legal_path != TransferPath::MergerNotice {
            return Ok(None);
        }
        self.calendar
            .deadline(
                beijing_date(self.served_at),
                self.agreement.terms().objection_window_days,
            )
            .map(Some)
            .map_err(|source| TransferError::Calendar {
                what: "objection window",
                source,
            })
    }
}

/// The notice-served event for one customer: purpose `transfer`, their categories, the buyer as
/// recipient, with the SHA-256 of the exact text rendered for them (with their deadline) as evidence.
pub fn notice_served(
    delivery: &NoticeDelivery<'_>,
    notice: NoticeRef,
    addressee: &Addressee,
) -> Result<ConsentEvent, TransferError> {
    let agreement = delivery.agreement;
    let context = NoticeContext {
        agreement,
        retention: delivery.retention,
        deadline: delivery.deadline()?,
    };
    let text = render(&context, addressee)?;
    let destinations: Vec<_> = agreement
        .terms()
        .cross_border
        .iter()
        .map(|c| c.destination)
        .collect();
    Ok(ConsentEvent::new(EventDraft {
        id: EventId::new_v7(),
        customer: addressee.customer,
        kind: EventKind::NoticeServed,
        scope: ConsentScope::new(
            [Purpose::Transfer],
            addressee.categories.iter().copied(),
            buyer_recipient(agreement),
            destinations,
        )?,
        form: ConsentForm::Separate,
        notice,
        channel: delivery.channel,
        evidence: Digest::of(text.as_bytes()),
        effective_at: delivery.served_at,
        recorded_at: delivery.served_at,
        recorded_by: delivery.recorded_by.clone(),
        expires_at: None,
    })?)
}

/// Serves the notice to every addressee: one notice-served event each, appended to the consent ledger in
/// batches of 1,024 (one ledger transaction per batch). `notices` gives the published notice of each
/// language. Returns how many were served; progress is reported as [`custodia_model::Phase::Notify`].
pub fn serve_notices<S: LogStore, I: IntoIterator<Item = Addressee>>(
    ledger: &mut ConsentLedger<S>,
    delivery: &NoticeDelivery<'_>,
    notices: &[(Language, NoticeRef)],
    addressees: I,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, TransferError> {
    let mut batch = Vec::with_capacity(1024);
    let mut served = 0u64;
    for a in addressees {
        if a.categories.is_empty() {
            continue;
        }
        let notice = notices
            .iter()
            .find(|(l, _)| *l == a.language)
            .map(|(_, n)| *n)
            .ok_or_else(|| TransferError::invalid("notices", format!("no notice in {}", a.language.tag())))?;
        batch.push(ConsentRecord::Event(notice_served(delivery, notice, &a)?));
        served += 1;
        if batch.len() == 1024 {
            ledger.record_batch(&batch)?;
            batch.clear();
            progress(Progress::new(Phase::Notify, served, None));
        }
    }
    if !batch.is_empty() {
        ledger.record_batch(&batch)?;
    }
    progress(Progress::new(Phase::Notify, served, Some(served)));
    Ok(served)
}
