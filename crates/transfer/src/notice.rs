//! The notices a transfer's legal path requires, in Simplified Chinese and English, published on the consent
//! ledger and served to each customer as notice-served events.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custodia_consent::{
    Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentRecord, ConsentScope, Digest, EventDraft,
    EventId, EventKind, Notice, NoticeDraft, NoticeId, NoticeRecipient, NoticeRef, ProcessingDetails,
    Recipient, TransferPath, WithdrawalMethod,
};
use custodia_ledger::LogStore;
use custodia_model::{ActorId, CustomerId, DataCategory, Purpose};
use serde::{Deserialize, Serialize};

use crate::agreement::SignedAgreement;
use crate::error::TransferError;
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
}

fn category_name(category: DataCategory, language: Language) -> &'static str {
    match (language, category) {
        (Language::SimplifiedChinese, DataCategory::Identity) => "身份信息",
        (Language::SimplifiedChinese, DataCategory::Contact) => "联系方式",
        (Language::SimplifiedChinese, DataCategory::FinancialAccounts) => "金融账户信息",
        (Language::SimplifiedChinese, DataCategory::Health) => "健康信息",
        (Language::SimplifiedChinese, DataCategory::Policies) => "保单信息",
        (Language::SimplifiedChinese, DataCategory::Claims) => "理赔信息",
        (Language::SimplifiedChinese, DataCategory::Beneficiaries) => "受益人信息",
        (Language::SimplifiedChinese, DataCategory::MarketingPreferences) => "营销偏好",
        (Language::SimplifiedChinese, DataCategory::KycAml) => "反洗钱客户身份资料",
        (Language::SimplifiedChinese, _) => "其他信息",
        (_, DataCategory::Identity) => "identity",
        (_, DataCategory::Contact) => "contact details",
        (_, DataCategory::FinancialAccounts) => "financial accounts",
        (_, DataCategory::Health) => "health information",
        (_, DataCategory::Policies) => "policies",
        (_, DataCategory::Claims) => "claims",
        (_, DataCategory::Beneficiaries) => "beneficiaries",
        (_, DataCategory::MarketingPreferences) => "marketing preferences",
        (_, DataCategory::KycAml) => "anti-money-laundering due diligence records",
        (_, _) => "other information",
    }
}

fn purpose_name(purpose: &Purpose, language: Language) -> String {
    let zh = language == Language::SimplifiedChinese;
    match purpose {
        Purpose::PolicyServicing => if zh { "保单服务" } else { "policy servicing" }.to_owned(),
        Purpose::Underwriting => if zh { "核保" } else { "underwriting" }.to_owned(),
        Purpose::ClaimsHandling => if zh { "理赔服务" } else { "claims handling" }.to_owned(),
        Purpose::Marketing => if zh { "产品营销" } else { "marketing" }.to_owned(),
        Purpose::Analytics => if zh { "统计分析" } else { "analytics" }.to_owned(),
        Purpose::LegalCompliance => if zh {
            "履行法定义务"
        } else {
            "legal compliance"
        }
        .to_owned(),
        Purpose::Transfer => if zh { "业务转让" } else { "transfer" }.to_owned(),
        other => other.code().to_owned(),
    }
}

fn join(items: impl IntoIterator<Item = String>, language: Language) -> String {
    let sep = if language == Language::SimplifiedChinese {
        "、"
    } else {
        ", "
    };
    items.into_iter().collect::<Vec<_>>().join(sep)
}

/// Renders the notice text for `categories` (a customer's categories in scope) in `language`.
///
/// On the notice path (PIPL Art 22) it tells the buyer's name and contact, that the buyer continues the
/// obligations, and the objection window. On the consent path (PIPL Art 23) it is the consent request:
/// recipient name and contact, purposes, method and categories, asking for a separate consent. Cross-border
/// terms add the destination and how to exercise rights against the overseas recipient (PIPL Art 39).
pub fn render(
    agreement: &SignedAgreement,
    categories: &BTreeSet<DataCategory>,
    language: Language,
) -> String {
    let t = agreement.terms();
    let (seller, buyer) = (&t.seller, &t.buyer);
    let cats = join(
        categories.iter().map(|c| category_name(*c, language).to_owned()),
        language,
    );
    let purposes = join(
        t.scope.iter().map(|s| purpose_name(&s.purpose, language)),
        language,
    );
    let zh = language == Language::SimplifiedChinese;
    let mut text = match (t.legal_path, zh) {
        (TransferPath::MergerNotice, true) => format!(
            "【个人信息转移告知】因{}的保险经纪业务及客户业务整体转让，您的{}将转移至{}（统一社会信用代码{}，联系方式：{}）。\
             接收方将继续履行个人信息处理者的义务，处理目的（{}）和处理方式不变（《个人信息保护法》第二十二条）。\
             如有异议，请于收到本告知之日起{}日内联系{}。",
            seller.name(),
            cats,
            buyer.name(),
            buyer.credit_code().as_str(),
            buyer.contact(),
            purposes,
            t.objection_window_days,
            seller.contact()
        ),
        (TransferPath::MergerNotice, false) => format!(
            "Notice of transfer: {} is transferring its insurance brokerage business and customer book. Your {} \
             will pass to {} (unified social credit code {}, contact: {}), which continues the obligations of \
             the personal information processor for the same purposes ({}) and methods (PIPL Art 22). To \
             object, contact {} within {} days of this notice.",
            seller.name(),
            cats,
            buyer.name(),
            buyer.credit_code().as_str(),
            buyer.contact(),
            purposes,
            seller.contact(),
            t.objection_window_days
        ),
        (_, true) => format!(
            "【单独同意请求】{}拟向{}（统一社会信用代码{}，联系方式：{}）提供您的{}，\
             处理目的为{}，处理方式为接收方作为保险经纪人继续存储、使用。未经您的单独同意，我们不会提供\
             （《个人信息保护法》第二十三条）。您可随时撤回同意，联系{}。",
            seller.name(),
            buyer.name(),
            buyer.credit_code().as_str(),
            buyer.contact(),
            cats,
            purposes,
            seller.contact()
        ),
        (_, false) => format!(
            "Request for your separate consent: {} proposes to provide your {} to {} (unified social credit \
             code {}, contact: {}) for {}, to be stored and used by the recipient as an insurance broker. \
             Nothing is provided without your separate consent (PIPL Art 23); you may withdraw it at any time \
             through {}.",
            seller.name(),
            cats,
            buyer.name(),
            buyer.credit_code().as_str(),
            buyer.contact(),
            purposes,
            seller.contact()
        ),
    };
    if let Some(cb) = &t.cross_border {
        text.push_str(&if zh {
            format!(
                "接收方将在境外（{}）处理您的个人信息，依据：{}（{}）。您可通过{}向境外接收方行使权利（《个人信息保护法》第三十九条）。",
                cb.destination,
                cb.mechanism,
                cb.reference,
                buyer.contact()
            )
        } else {
            format!(
                " The recipient processes your information outside mainland China ({}) under {} ({}); exercise \
                 your rights against it through {} (PIPL Art 39).",
                cb.destination,
                cb.mechanism,
                cb.reference,
                buyer.contact()
            )
        });
    }
    text
}

/// The recipient a transfer event names: the buyer as successor on the notice path, as third party on the
/// consent path.
pub fn buyer_recipient(agreement: &SignedAgreement) -> Recipient {
    let buyer = agreement.terms().buyer.party_id();
    match agreement.terms().legal_path {
        TransferPath::MergerNotice => Recipient::Successor(buyer),
        _ => Recipient::ThirdParty(buyer),
    }
}

/// The versioned notice (PIPL Art 17) for the transfer in `language`, to publish on the consent ledger: the
/// seller as controller, the buyer named as successor and as third party (for the separate consents some
/// categories need), the destination abroad if any, and the digest of the rendered text for every category
/// in scope.
pub fn transfer_notice(
    agreement: &SignedAgreement,
    id: NoticeId,
    language: Language,
    published_at: DateTime<Utc>,
) -> Result<Notice, TransferError> {
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
    let mut recipients = vec![named(Recipient::ThirdParty(buyer))];
    if t.legal_path == TransferPath::MergerNotice {
        recipients.push(named(Recipient::Successor(buyer)));
    }
    let text = render(agreement, &categories, language);
    Ok(Notice::new(NoticeDraft {
        id,
        version: 1,
        controller_name: t.seller.name().to_owned(),
        controller_contact: t.seller.contact().to_owned(),
        purposes,
        categories,
        recipients,
        destinations: t.cross_border.iter().map(|c| c.destination).collect(),
        retention: if language == Language::SimplifiedChinese {
            "接收方继续履行法定保存期限（保险经纪人监管规定第五十一条、反洗钱法第三十四条）".into()
        } else {
            "the recipient continues the legal retention periods (Broker Rule 2018 Art 51, AML Law 2024 Art 34)".into()
        },
        rights: format!("{} / {}", t.seller.contact(), t.buyer.contact()),
        language: language.tag().into(),
        text_digest: Digest::of(text.as_bytes()),
        published_at,
        // The transfer notice is published to the ledger when it is made: its publication is its recording.
        recorded_at: published_at,
        processing: Some(ProcessingDetails {
            controller_id: t.seller.credit_code().to_string(),
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

/// One customer to notify: who, the categories in scope they hold, and which language they read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressee {
    /// The customer.
    pub customer: CustomerId,
    /// Their categories in scope.
    pub categories: BTreeSet<DataCategory>,
    /// The language of their notice.
    pub language: Language,
}

/// How one round of notices is served: under which agreement, when, by whom and through which channel.
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
}

/// The notice-served event for one customer: purpose `transfer`, their categories, the buyer as
/// recipient, with the SHA-256 of the exact text rendered for them as evidence.
pub fn notice_served(
    delivery: &NoticeDelivery<'_>,
    notice: NoticeRef,
    addressee: &Addressee,
) -> Result<ConsentEvent, TransferError> {
    let agreement = delivery.agreement;
    let text = render(agreement, &addressee.categories, addressee.language);
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
