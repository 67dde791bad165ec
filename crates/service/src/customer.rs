//! The customer-facing pages (issue 21): what a customer reaches through a link the brokerage sends them
//! ([`crate::link`]), in Simplified Chinese or English, on a phone, and the same operations as JSON.
//!
//! - **Answer a transfer notice** (`/c/notice/{token}`): what the served notice says — the controller, the
//!   recipient, the purposes, the customer's categories in scope, destinations abroad — and a form to object
//!   (PIPL Arts 22, 44), give a separate consent (Art 23) or refuse (Arts 14, 44). The answer is recorded on
//!   the seller's consent ledger through the case (`SellerCase::record_responses`) as one consent event
//!   whose id is the link's nonce: the ledger records each event id once, in the unit of work of the answer,
//!   so a link is used once — durably, and for every instance on the store — and a second use records
//!   nothing (410 `link_used`). The receipt page links the consent receipt (ISO/IEC TS 27560, verifiable
//!   with the ledger key alone) and says how to verify it.
//! - **Ask and follow** (`/c/requests/{token}`): the customer's requests with their state and deadline
//!   (PIPL Art 50), a form to ask how their data is handled (Art 48) or to exercise a right (Arts 44–47,
//!   15), and each answered request's signed response receipt. A requests link is not single use: it is
//!   the customer's door to their own requests until it expires.
//! - **Staff** mint links (`POST /api/v1/links`, bearer token of a member of staff).
//!
//! Every page is rendered from an askama template (HTML escaped) extending custodia-transfer's `layout.html`
//! (through `customer/base.html`), so `<html lang>` is set and the dashboard's stylesheet and CJK font stack
//! come from the same files. Every error is a page in the chosen language (or a JSON body) with a typed
//! code and a fixed sentence: never a value from the request or the store, never a stack trace. Pages are
//! sent with `Cache-Control: no-store` and `Referrer-Policy: no-referrer` (the token is in the URL).

use std::collections::BTreeSet;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use custodia_brokerage::{Brokerage, BrokerageError, ServedNotice};
use custodia_consent::{
    Channel, ConsentEvent, ConsentForm, ConsentScope, Digest, EventDraft, EventKind, Recipient,
};
use custodia_model::{ActorId, CustomerId, DataCategory, Purpose, TransferId};
use custodia_rights::{Intake, Request, RequestId, RequestKind, RightsError, StateCode};
use custodia_transfer::notice::{Language, category_name, jurisdiction_name, purpose_name};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::{Authenticated, Method, Route, require_staff};
use crate::error::{ApiError, ErrorBody};
use crate::link::{Binding, LinkClaims, LinkError, LinkKey, LinkPurpose};

/// Who records what customers do through their links (a system account, never a person).
pub const LINK_ACTOR: &str = "customer-link";
/// How long a notice-answer link works by default: 30 days (a notice's objection window is at least that).
pub const NOTICE_LINK_DAYS: u32 = 30;
/// How long a requests link works by default.
pub const REQUESTS_LINK_DAYS: u32 = 7;
/// The longest validity a link may be minted with.
pub const MAX_LINK_DAYS: u32 = 90;

/// The routes of this module, for the service's one route table.
pub(crate) fn routes() -> Vec<Route> {
    use Method::{Get, Post};
    vec![
        crate::api::route(Get, "/c/notice/{token}", notice_page),
        crate::api::route(Post, "/c/notice", notice_answer_page),
        crate::api::route(Get, "/c/receipt/{token}", consent_receipt_download),
        crate::api::route(Get, "/c/requests/{token}", requests_page),
        crate::api::route(Post, "/c/requests", request_submit_page),
        crate::api::route(
            Get,
            "/c/requests/{token}/receipt/{request}",
            response_receipt_download,
        ),
        crate::api::route(Get, "/api/v1/customer/notice/{token}", notice_json),
        crate::api::route(Post, "/api/v1/customer/notice", notice_answer_json),
        crate::api::route(Get, "/api/v1/customer/requests/{token}", requests_json),
        crate::api::route(Post, "/api/v1/customer/requests", request_submit_json),
        crate::api::route(Post, "/api/v1/links", mint_link),
    ]
}

/// The OpenAPI paths of this module, merged into [`crate::ApiDoc`] by [`CustomerPaths`].
#[derive(OpenApi)]
#[openapi(
    paths(
        notice_page,
        notice_answer_page,
        consent_receipt_download,
        requests_page,
        request_submit_page,
        response_receipt_download,
        notice_json,
        notice_answer_json,
        requests_json,
        request_submit_json,
        mint_link
    ),
    components(schemas(AnswerBody, RequestBody, MintBody))
)]
pub struct CustomerDoc;

/// Merges [`CustomerDoc`] into the service's document.
pub struct CustomerPaths;

impl utoipa::Modify for CustomerPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(CustomerDoc::openapi());
    }
}

// ---------------------------------------------------------------------------------------------------
// Languages and texts

/// A page's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag (`<html lang>`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "zh-CN" | "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of `Accept-Language`: the first range (not refused with `q=0`) that is Chinese or
    /// English; Simplified Chinese when there is none.
    pub fn from_accept(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::ZhCn;
        };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            if tag == "en" || tag.starts_with("en-") {
                return Lang::En;
            }
            if tag == "zh" || tag.starts_with("zh-") {
                return Lang::ZhCn;
            }
        }
        Lang::ZhCn
    }

    fn language(self) -> Language {
        match self {
            Lang::ZhCn => Language::SimplifiedChinese,
            Lang::En => Language::English,
        }
    }

    fn texts(self) -> &'static Texts {
        match self {
            Lang::ZhCn => &ZH,
            Lang::En => &EN,
        }
    }
}

/// The fixed texts of the pages in one language (crate-private: the templates' vocabulary).
pub(crate) struct Texts {
    pub(crate) site: &'static str,
    pub(crate) notice_title: &'static str,
    pub(crate) notice_intro_22: &'static str,
    pub(crate) notice_intro_23: &'static str,
    pub(crate) controller: &'static str,
    pub(crate) recipient: &'static str,
    pub(crate) purposes: &'static str,
    pub(crate) categories: &'static str,
    pub(crate) destinations: &'static str,
    pub(crate) retention: &'static str,
    pub(crate) rights: &'static str,
    pub(crate) served_at: &'static str,
    pub(crate) answer_legend: &'static str,
    pub(crate) answer_object: &'static str,
    pub(crate) answer_consent: &'static str,
    pub(crate) answer_refuse: &'static str,
    pub(crate) withdraw_note: &'static str,
    pub(crate) submit: &'static str,
    pub(crate) once_note: &'static str,
    pub(crate) receipt_title: &'static str,
    pub(crate) receipt_intro: &'static str,
    pub(crate) record: &'static str,
    pub(crate) recorded_at: &'static str,
    pub(crate) your_answer: &'static str,
    pub(crate) download_consent: &'static str,
    pub(crate) verify_title: &'static str,
    pub(crate) verify_intro: &'static str,
    pub(crate) checkpoint: &'static str,
    pub(crate) requests_title: &'static str,
    pub(crate) requests_intro: &'static str,
    pub(crate) no_requests: &'static str,
    pub(crate) col_request: &'static str,
    pub(crate) col_kind: &'static str,
    pub(crate) col_state: &'static str,
    pub(crate) col_received: &'static str,
    pub(crate) col_deadline: &'static str,
    pub(crate) col_receipt: &'static str,
    pub(crate) overdue: &'static str,
    pub(crate) new_request: &'static str,
    pub(crate) kind_label: &'static str,
    pub(crate) purpose_label: &'static str,
    pub(crate) purpose_none: &'static str,
    pub(crate) question_note: &'static str,
    pub(crate) submit_request: &'static str,
    pub(crate) submitted: &'static str,
    pub(crate) download_response: &'static str,
    pub(crate) verify_response_intro: &'static str,
    pub(crate) error_title: &'static str,
    pub(crate) error_code: &'static str,
    pub(crate) other_language: &'static str,
}

static ZH: Texts = Texts {
    site: "客户服务",
    notice_title: "个人信息转移告知",
    notice_intro_22: "因合并、分立或转让等原因，我们将依照《个人信息保护法》第二十二条把您的下列个人信息转移给接收方。您可以反对，也可以同意。",
    notice_intro_23: "我们请求您的单独同意，以依照《个人信息保护法》第二十三条向接收方提供您的下列个人信息。您可以同意或拒绝。",
    controller: "现处理者（告知方）",
    recipient: "接收方",
    purposes: "处理目的",
    categories: "涉及您的个人信息种类",
    destinations: "境外接收地",
    retention: "保存期限",
    rights: "您的权利",
    served_at: "告知时间",
    answer_legend: "您的答复",
    answer_object: "我反对转移（《个人信息保护法》第二十二条、第四十四条）",
    answer_consent: "我单独同意转移（《个人信息保护法》第二十三条）",
    answer_refuse: "我拒绝同意（《个人信息保护法》第十四条、第四十四条）",
    withdraw_note: "您的同意可以随时撤回（《个人信息保护法》第十五条）：通过“我的请求”页面提出撤回，或联系",
    submit: "提交答复",
    once_note: "此链接只能使用一次。",
    receipt_title: "答复回执",
    receipt_intro: "您的答复已记录在我们的同意账本上。",
    record: "记录编号",
    recorded_at: "记录时间",
    your_answer: "您的答复",
    download_consent: "下载同意回执（JSON）",
    verify_title: "如何核验",
    verify_intro: "任何人都可以只用我们公开的账本密钥离线核验此回执：",
    checkpoint: "账本签名检查点",
    requests_title: "我的请求",
    requests_intro: "查看您向我们提出的请求的处理状态和答复期限（《个人信息保护法》第五十条）。",
    no_requests: "暂无请求。",
    col_request: "请求编号",
    col_kind: "类型",
    col_state: "状态",
    col_received: "收到时间",
    col_deadline: "答复期限",
    col_receipt: "回执",
    overdue: "已逾期",
    new_request: "提出问题或请求",
    kind_label: "您想要",
    purpose_label: "目的（仅反对处理或撤回同意时需要）",
    purpose_none: "（不适用）",
    question_note: "关于您的个人信息如何被处理的问题，我们会通过您登记的联系方式解释说明（《个人信息保护法》第四十八条）；此处不需要填写任何个人信息。",
    submit_request: "提交",
    submitted: "我们已收到您的请求。",
    download_response: "下载答复回执",
    verify_response_intro: "答复回执由我们签名，并附有账本条目的包含证明；可用以下命令离线核验：",
    error_title: "无法完成此操作",
    error_code: "错误代码",
    other_language: "English",
};

static EN: Texts = Texts {
    site: "Customer service",
    notice_title: "Notice of a transfer of your personal information",
    notice_intro_22: "Because of a merger, division or sale, we will transfer the personal information below to the recipient, as PIPL Art 22 provides. You may object, or consent.",
    notice_intro_23: "We ask for your separate consent to provide the personal information below to the recipient, as PIPL Art 23 requires. You may consent or refuse.",
    controller: "Current controller (sending this notice)",
    recipient: "Recipient",
    purposes: "Purposes",
    categories: "Your information concerned",
    destinations: "Destinations abroad",
    retention: "Retention",
    rights: "Your rights",
    served_at: "Notified on",
    answer_legend: "Your answer",
    answer_object: "I object to the transfer (PIPL Arts 22, 44)",
    answer_consent: "I give my separate consent to the transfer (PIPL Art 23)",
    answer_refuse: "I refuse consent (PIPL Arts 14, 44)",
    withdraw_note: "You may withdraw a consent at any time (PIPL Art 15): ask on your requests page, or contact",
    submit: "Send my answer",
    once_note: "This link works once.",
    receipt_title: "Receipt of your answer",
    receipt_intro: "Your answer is recorded on our consent ledger.",
    record: "Record id",
    recorded_at: "Recorded at",
    your_answer: "Your answer",
    download_consent: "Download the consent receipt (JSON)",
    verify_title: "How to verify it",
    verify_intro: "Anyone can verify this receipt offline with our published ledger key alone:",
    checkpoint: "The ledger's signed checkpoint",
    requests_title: "My requests",
    requests_intro: "The state and the deadline of each request you made to us (PIPL Art 50).",
    no_requests: "No requests yet.",
    col_request: "Request",
    col_kind: "Kind",
    col_state: "State",
    col_received: "Received",
    col_deadline: "Answer due by",
    col_receipt: "Receipt",
    overdue: "overdue",
    new_request: "Ask a question or make a request",
    kind_label: "You want",
    purpose_label: "Purpose (only to object or to withdraw a consent)",
    purpose_none: "(not needed)",
    question_note: "We explain how your personal information is handled through the contact you registered with us (PIPL Art 48); nothing personal is needed here.",
    submit_request: "Send",
    submitted: "We received your request.",
    download_response: "Download the response receipt",
    verify_response_intro: "The response receipt is signed by us and carries the inclusion proof of its ledger entry; verify it offline with:",
    error_title: "This could not be done",
    error_code: "Error code",
    other_language: "中文",
};

/// The kinds of request a customer can make on the requests page.
const KINDS: [&str; 6] = [
    "explain_rules",
    "access",
    "copy",
    "deletion",
    "object",
    "withdraw_consent",
];

fn kind_label(code: &str, lang: Lang) -> &'static str {
    match (lang, code) {
        (Lang::ZhCn, "explain_rules") => "询问我的信息如何被处理（第四十八条）",
        (Lang::ZhCn, "access") => "查阅我的个人信息（第四十五条）",
        (Lang::ZhCn, "copy") => "复制我的个人信息（第四十五条）",
        (Lang::ZhCn, "deletion") => "删除我的个人信息（第四十七条）",
        (Lang::ZhCn, "object") => "拒绝某项处理（第四十四条）",
        (Lang::ZhCn, "withdraw_consent") => "撤回同意（第十五条）",
        (Lang::ZhCn, "correction") => "更正、补充（第四十六条）",
        (Lang::ZhCn, "portability") => "转移（第四十五条）",
        (Lang::ZhCn, "restrict") => "限制处理（第四十四条）",
        (Lang::ZhCn, _) => "其他请求",
        (_, "explain_rules") => "Ask how my information is handled (Art 48)",
        (_, "access") => "See my personal information (Art 45)",
        (_, "copy") => "A copy of my personal information (Art 45)",
        (_, "deletion") => "Delete my personal information (Art 47)",
        (_, "object") => "Refuse a processing (Art 44)",
        (_, "withdraw_consent") => "Withdraw a consent (Art 15)",
        (_, "correction") => "Correct or complete (Art 46)",
        (_, "portability") => "Move to another processor (Art 45)",
        (_, "restrict") => "Restrict processing (Art 44)",
        (_, _) => "Another request",
    }
}

fn state_label(state: StateCode, lang: Lang) -> &'static str {
    match (lang, state) {
        (Lang::ZhCn, StateCode::AwaitingIdentity) => "待核验身份",
        (Lang::ZhCn, StateCode::AwaitingEvidence) => "等待您提供身份证明",
        (Lang::ZhCn, StateCode::Verified) => "处理中",
        (Lang::ZhCn, StateCode::Answered) => "已答复",
        (_, StateCode::AwaitingIdentity) => "identity to be checked",
        (_, StateCode::AwaitingEvidence) => "waiting for your proof of identity",
        (_, StateCode::Verified) => "in progress",
        (_, StateCode::Answered) => "answered",
        (Lang::ZhCn, _) => "处理中",
        (_, _) => "in progress",
    }
}

fn answer_label(answer: Answer, lang: Lang) -> &'static str {
    let t = lang.texts();
    match answer {
        Answer::Object => t.answer_object,
        Answer::Consent => t.answer_consent,
        Answer::Refuse => t.answer_refuse,
    }
}

// ---------------------------------------------------------------------------------------------------
// Errors

/// An error of a customer page: a status, a typed code, and for a form the field at fault. Its sentence
/// is fixed per code and language ([`CustomerError::message`]): it never carries a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerError {
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
}

impl CustomerError {
    fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            field: None,
        }
    }

    fn field(code: &'static str, field: &'static str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            field: Some(field),
        }
    }

    fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }

    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The fixed sentence for the code, in `lang`.
    pub fn message(&self, lang: Lang) -> &'static str {
        let zh = lang == Lang::ZhCn;
        match self.code {
            "link_invalid" if zh => "此链接无效。请使用我们发给您的完整链接。",
            "link_invalid" => "This link is not valid. Please use the whole link we sent you.",
            "link_expired" if zh => "此链接已过期。请联系我们获取新的链接。",
            "link_expired" => "This link has expired. Please contact us for a new one.",
            "link_used" if zh => "此链接已经使用过，您的答复已记录；同一链接不会再记录第二次答复。",
            "link_used" => {
                "This link was already used and your answer is recorded; a link never records a second answer."
            }
            "link_wrong_page" if zh => "此链接不是用于此页面的。",
            "link_wrong_page" => "This link is not for this page.",
            "link_binding" if zh => "此链接与我们记录的告知不符。请联系我们。",
            "link_binding" => "This link does not match the notice we served to you. Please contact us.",
            "links_not_configured" if zh => "此服务暂未开放客户链接。",
            "links_not_configured" => "Customer links are not enabled on this service.",
            "no_such_case" if zh => "找不到此链接所指的转移事项。",
            "no_such_case" => "The transfer this link is about cannot be found.",
            "no_such_request" if zh => "找不到此请求。",
            "no_such_request" => "This request cannot be found.",
            "not_answered" if zh => "此请求尚未答复，暂无回执。",
            "not_answered" => "This request is not answered yet, so there is no receipt.",
            "duplicate_request" if zh => "您已有一个同类请求正在处理中。",
            "duplicate_request" => "A request of this kind is already open for you.",
            "not_available" if zh => "依照适用的法律，此类请求不适用于您。",
            "not_available" => "This kind of request is not available to you under the law that applies.",
            "case_not_open" if zh => "此转移事项目前不接受答复。",
            "case_not_open" => "This transfer does not take answers now.",
            "unknown_customer" | "customer_erased" if zh => "我们不再持有与此链接相关的信息。",
            "unknown_customer" | "customer_erased" => "We no longer hold information for this link.",
            "invalid_field" | "missing_field" | "unknown_field" | "duplicate_field" if zh => {
                "表单内容无效，请返回重新填写。"
            }
            "invalid_field" | "missing_field" | "unknown_field" | "duplicate_field" => {
                "The form is not valid; please go back and fill it in again."
            }
            "malformed_json" if zh => "提交的内容不是有效的 JSON。",
            "malformed_json" => "What was sent is not valid JSON.",
            "body_too_large" if zh => "提交的内容过大。",
            "body_too_large" => "What was sent is too large.",
            _ if zh => "服务暂时无法完成此操作，请稍后再试。",
            _ => "The service could not do this; please try again later.",
        }
    }

    fn api(&self) -> ApiError {
        let message = self.message(Lang::En);
        match self.field {
            Some(field) => ApiError::field(self.status, self.code, field.to_owned(), message),
            None => ApiError::new(self.status, self.code, message),
        }
    }

    fn page(&self, lang: Lang) -> Response {
        self.page_with(lang, None)
    }

    fn page_with(&self, lang: Lang, receipt: Option<String>) -> Response {
        let page = ErrorPage {
            lang: lang.tag(),
            t: lang.texts(),
            code: self.code,
            field: self.field.unwrap_or(""),
            message: self.message(lang),
            receipt,
        };
        match page.render() {
            Ok(text) => page_response(self.status, text),
            Err(_) => {
                tracing::error!("customer error template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal").into_response()
            }
        }
    }
}

impl From<LinkError> for CustomerError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Expired => Self::new(StatusCode::GONE, "link_expired"),
            LinkError::WrongPurpose => Self::new(StatusCode::FORBIDDEN, "link_wrong_page"),
            LinkError::WrongBinding => Self::new(StatusCode::CONFLICT, "link_binding"),
            LinkError::Random => Self::internal(),
            _ => Self::new(StatusCode::FORBIDDEN, "link_invalid"),
        }
    }
}

impl From<BrokerageError> for CustomerError {
    fn from(e: BrokerageError) -> Self {
        match e {
            BrokerageError::NoSuchCase { .. } => Self::new(StatusCode::NOT_FOUND, "no_such_case"),
            BrokerageError::UnknownCustomer { .. } => Self::new(StatusCode::NOT_FOUND, "unknown_customer"),
            BrokerageError::CustomerErased { .. } => Self::new(StatusCode::GONE, "customer_erased"),
            // An event id already recorded with other content: this link's answer is on the ledger.
            BrokerageError::EventConflict { .. } => Self::new(StatusCode::GONE, "link_used"),
            BrokerageError::OutOfOrder { .. } => Self::new(StatusCode::CONFLICT, "case_not_open"),
            BrokerageError::Rights(RightsError::Duplicate { .. }) => {
                Self::new(StatusCode::CONFLICT, "duplicate_request")
            }
            BrokerageError::Rights(RightsError::UnknownCustomer { .. }) => {
                Self::new(StatusCode::NOT_FOUND, "unknown_customer")
            }
            BrokerageError::Rights(RightsError::NotAvailable { .. }) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "not_available")
            }
            BrokerageError::Rights(RightsError::OutOfOrder { .. }) => {
                Self::new(StatusCode::CONFLICT, "not_answered")
            }
            other => {
                tracing::error!(error = %other, "brokerage call of a customer page failed");
                Self::internal()
            }
        }
    }
}

fn page_response(status: StatusCode, text: String) -> Response {
    let mut response = (status, axum::response::Html(text)).into_response();
    private_headers(response.headers_mut());
    response
}

/// The headers of every customer response: not cached, no referrer (the token is in the URL), no sniffing,
/// and a policy that lets the page load nothing but its own inline style and post only to itself.
fn private_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            private_headers(response.headers_mut());
            response
        }
        Err(_) => ApiError::internal().into_response(),
    }
}

/// Runs a brokerage call on the blocking pool, with the customer error of its failure.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    call: impl FnOnce(&Brokerage) -> Result<T, CustomerError> + Send + 'static,
) -> Result<T, CustomerError> {
    let brokerage = state.brokerage().clone();
    match tokio::task::spawn_blocking(move || call(&brokerage)).await {
        Ok(result) => result,
        Err(_) => {
            tracing::error!("a customer page's brokerage call panicked or was cancelled");
            Err(CustomerError::internal())
        }
    }
}

fn key(state: &AppState) -> Result<std::sync::Arc<LinkKey>, CustomerError> {
    state.links.clone().ok_or(CustomerError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "links_not_configured",
    ))
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------------
// Forms and query strings

/// The fields of a form or query string, each named once, none unknown.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(bytes: &[u8], allowed: &'static [&'static str]) -> Result<Self, CustomerError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(bytes) {
            let Some(known) = allowed.iter().find(|a| **a == name) else {
                return Err(CustomerError::field(
                    "unknown_field",
                    "(a field this form does not have)",
                ));
            };
            if out.iter().any(|(n, _)| n == *known) {
                return Err(CustomerError::field("duplicate_field", known));
            }
            out.push(((*known).to_owned(), value.into_owned()));
        }
        Ok(Self(out))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &'static str) -> Result<&str, CustomerError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(CustomerError::field("missing_field", name)),
        }
    }
}

/// The page language: the `lang` field if given (and valid), else `Accept-Language`.
fn page_lang(fields: &Fields, headers: &HeaderMap) -> Result<Lang, CustomerError> {
    match fields.get("lang") {
        Some(tag) => Lang::parse(tag).ok_or(CustomerError::field("invalid_field", "lang")),
        None => Ok(Lang::from_accept(headers)),
    }
}

/// The language of a GET page and its query's errors: the language is chosen first, so that even an
/// error about the query is shown in it when it can be.
fn query_lang(query: Option<&str>, headers: &HeaderMap) -> (Lang, Result<(), CustomerError>) {
    let fallback = Lang::from_accept(headers);
    match Fields::parse(query.unwrap_or("").as_bytes(), &["lang"]) {
        Ok(fields) => match page_lang(&fields, headers) {
            Ok(lang) => (lang, Ok(())),
            Err(e) => (fallback, Err(e)),
        },
        Err(e) => (fallback, Err(e)),
    }
}

/// A form post's fields (only `allowed`) and the language to answer in; a bad body, field or `lang` is the
/// error with the language the browser asked for, to show its page in.
fn form_fields(
    body: Result<Bytes, BytesRejection>,
    headers: &HeaderMap,
    allowed: &'static [&'static str],
) -> Result<(Fields, Lang), (CustomerError, Lang)> {
    let parsed = body_bytes(body).and_then(|bytes| {
        let fields = Fields::parse(&bytes, allowed)?;
        let lang = page_lang(&fields, headers)?;
        Ok((fields, lang))
    });
    parsed.map_err(|e| (e, Lang::from_accept(headers)))
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, CustomerError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            CustomerError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        } else {
            CustomerError::new(StatusCode::BAD_REQUEST, "invalid_field")
        }
    })
}

/// Parses a JSON body: a syntax error is 400 `malformed_json`; an unknown, missing or invalid field is 422
/// naming it from `fields` (a client's own key is never echoed, nor serde's message, which quotes values).
fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    fields: &[&'static str],
    required: &[&'static str],
) -> Result<T, CustomerError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| CustomerError::new(StatusCode::BAD_REQUEST, "malformed_json"))?;
    let Some(object) = value.as_object() else {
        return Err(CustomerError::field("invalid_field", "(body)"));
    };
    if object.keys().any(|k| !fields.contains(&k.as_str())) {
        return Err(CustomerError::field(
            "unknown_field",
            "(a field this body does not have)",
        ));
    }
    if let Some(missing) = required.iter().find(|r| !object.contains_key(**r)) {
        return Err(CustomerError::field("missing_field", missing));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = fields.iter().find(|f| **f == path).copied().unwrap_or("(body)");
        CustomerError::field("invalid_field", field)
    })
}

// ---------------------------------------------------------------------------------------------------
// The notice: what it says, and the answer

/// A customer's answer to a transfer notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Objects to the transfer (PIPL Arts 22, 44): recorded as `objected`, addressed to the seller.
    Object,
    /// Gives a separate consent to the transfer to the recipient (PIPL Art 23): `granted`, separate.
    Consent,
    /// Refuses the consent asked for (PIPL Arts 14, 44): `refused`, addressed to the seller.
    Refuse,
}

impl Answer {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "object" => Some(Answer::Object),
            "consent" => Some(Answer::Consent),
            "refuse" => Some(Answer::Refuse),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Answer::Object => "object",
            Answer::Consent => "consent",
            Answer::Refuse => "refuse",
        }
    }
}

/// A party the notice names.
#[derive(Clone, Debug, Serialize)]
pub struct PartyView {
    /// Its name.
    pub name: String,
    /// Its contact.
    pub contact: String,
}

/// A purpose or category: its code and its name in the page's language.
#[derive(Clone, Debug, Serialize)]
pub struct Named {
    /// The code.
    pub code: String,
    /// The name.
    pub name: String,
}

/// What a served transfer notice says, as the notice page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct NoticeView {
    /// The customer.
    pub customer: String,
    /// The seller's transfer case.
    pub transfer: String,
    /// The notice id and version.
    pub notice: String,
    /// The version.
    pub notice_version: u32,
    /// The article the notice is given under: `22` (merger, sale: notice, objection) or `23` (consent).
    pub article: &'static str,
    /// The controller (the seller).
    pub controller: PartyView,
    /// The recipient (the buyer).
    pub recipient: PartyView,
    /// The purposes.
    pub purposes: Vec<Named>,
    /// The customer's categories in scope.
    pub categories: Vec<Named>,
    /// Destinations abroad.
    pub destinations: Vec<Named>,
    /// The retention statement (in the notice's language).
    pub retention: String,
    /// The rights statement (in the notice's language).
    pub rights: String,
    /// Where consents are withdrawn.
    pub withdrawal_contact: String,
    /// When it was served.
    pub served_at: String,
    /// The answers the form offers.
    pub answers: Vec<&'static str>,
    /// When the link stops working.
    pub link_expires_at: String,
}

fn notice_view(claims: &LinkClaims, transfer: TransferId, served: &ServedNotice, lang: Lang) -> NoticeView {
    let fields = served.notice.fields();
    let scope = served.event.scope();
    let language = lang.language();
    let recipient = fields
        .recipients
        .iter()
        .find(|r| r.recipient == scope.recipient())
        .or(fields.recipients.first());
    let article = match scope.recipient() {
        Recipient::Successor(_) => "22",
        _ => "23",
    };
    let answers = if article == "22" {
        vec!["object", "consent", "refuse"]
    } else {
        vec!["consent", "refuse", "object"]
    };
    NoticeView {
        customer: claims.binding.customer().to_string(),
        transfer: transfer.to_string(),
        notice: served.notice.reference().id.to_string(),
        notice_version: served.notice.reference().version,
        article,
        controller: PartyView {
            name: fields.controller_name.clone(),
            contact: fields.controller_contact.clone(),
        },
        recipient: PartyView {
            name: recipient.map(|r| r.name.clone()).unwrap_or_default(),
            contact: recipient.map(|r| r.contact.clone()).unwrap_or_default(),
        },
        purposes: fields
            .purposes
            .iter()
            .map(|p| Named {
                code: p.code().to_owned(),
                name: purpose_name(p, language).map_or_else(|_| p.code().to_owned(), str::to_owned),
            })
            .collect(),
        categories: scope
            .categories()
            .iter()
            .map(|c| Named {
                code: c.code().to_owned(),
                name: category_name(*c, language).to_owned(),
            })
            .collect(),
        destinations: scope
            .destinations()
            .iter()
            .map(|j| Named {
                code: j.code().to_owned(),
                name: jurisdiction_name(*j, language).map_or_else(|| j.code().to_owned(), str::to_owned),
            })
            .collect(),
        retention: fields.retention.clone(),
        rights: fields.rights.clone(),
        withdrawal_contact: fields.processing.as_ref().map_or_else(
            || fields.controller_contact.clone(),
            |p| p.withdrawal.contact.clone(),
        ),
        served_at: time(served.event.effective_at()),
        answers,
        link_expires_at: time(claims.expires_at),
    }
}

/// Verifies a notice link and loads its case's served notice; refuses a link whose notice is not the one
/// served to its customer in its case.
fn load_notice(
    b: &Brokerage,
    key: &LinkKey,
    token: &str,
) -> Result<(LinkClaims, TransferId, ServedNotice), CustomerError> {
    let claims = key.verify(token, LinkPurpose::NoticeAnswer, b.now())?;
    let Binding::Notice {
        customer,
        transfer,
        notice,
    } = claims.binding
    else {
        return Err(LinkError::WrongPurpose.into());
    };
    let case = b.seller_case(transfer)?;
    let served = case.served_notice(customer)?.ok_or_else(|| {
        tracing::info!(customer = %customer, transfer = %transfer, "link of a customer not served in its case");
        CustomerError::from(LinkError::WrongBinding)
    })?;
    if served.event.notice() != notice {
        tracing::info!(customer = %customer, transfer = %transfer, "link of another notice than the one served");
        return Err(LinkError::WrongBinding.into());
    }
    Ok((claims, transfer, served))
}

/// The link's answer, if one is recorded: the link is used.
fn used(b: &Brokerage, claims: &LinkClaims) -> Result<Option<(u64, ConsentEvent)>, CustomerError> {
    Ok(b.consent_event(claims.answer_event()?)?)
}

async fn load_unused_notice(
    state: &AppState,
    token: String,
    lang: Lang,
) -> Result<NoticeView, CustomerError> {
    let key = key(state)?;
    blocking(state, move |b| {
        let (claims, transfer, served) = load_notice(b, &key, &token)?;
        if used(b, &claims)?.is_some() {
            return Err(CustomerError::new(StatusCode::GONE, "link_used"));
        }
        Ok(notice_view(&claims, transfer, &served, lang))
    })
    .await
}

/// The answer's consent event: purpose `transfer`, the customer's categories in scope, the link's nonce
/// as its id, the digest of the link's payload as its evidence (the session that recorded it).
fn answer_event(
    claims: &LinkClaims,
    served: &ServedNotice,
    answer: Answer,
    now: DateTime<Utc>,
) -> Result<ConsentEvent, CustomerError> {
    let scope = served.event.scope();
    let categories: BTreeSet<DataCategory> = scope.categories().clone();
    let (kind, recipient, destinations): (EventKind, Recipient, Vec<_>) = match answer {
        // Objections and refusals are addressed to the seller, the party the customer deals with.
        Answer::Object => (EventKind::Objected, Recipient::Controller, Vec::new()),
        Answer::Refuse => (EventKind::Refused, Recipient::Controller, Vec::new()),
        // A consent names the recipient the notice named, and every destination abroad (PIPL Art 39).
        Answer::Consent => (
            EventKind::Granted,
            scope.recipient(),
            scope.destinations().iter().copied().collect(),
        ),
    };
    let scope = ConsentScope::new([Purpose::Transfer], categories, recipient, destinations).map_err(|e| {
        tracing::error!(error = %e, "answer scope refused");
        CustomerError::internal()
    })?;
    let mut evidence = Vec::with_capacity(32);
    evidence.extend_from_slice(b"custodia-service customer link answer ");
    evidence.extend_from_slice(&claims.nonce);
    let actor = ActorId::new(LINK_ACTOR).map_err(|_| CustomerError::internal())?;
    ConsentEvent::new(EventDraft {
        id: claims.answer_event()?,
        customer: claims.binding.customer(),
        kind,
        scope,
        form: ConsentForm::Separate,
        notice: served.event.notice(),
        channel: Channel::Web,
        evidence: Digest::of(&evidence),
        effective_at: now,
        recorded_at: now,
        recorded_by: actor,
        expires_at: None,
    })
    .map_err(|e| {
        tracing::error!(error = %e, "answer event refused");
        CustomerError::internal()
    })
}

/// How to verify a receipt: the command, the key, the checkpoint's path.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyView {
    /// The CLI command.
    pub command: String,
    /// The brokerage's ledger verifier key (C2SP vkey).
    pub vkey: String,
    /// The brokerage's signing key (hex), for response receipts.
    pub signing: String,
    /// Where the signed checkpoint is served.
    pub checkpoint: &'static str,
}

fn consent_verify(b: &Brokerage) -> VerifyView {
    let keys = b.public_keys();
    let vkey = keys.ledger.to_vkey();
    VerifyView {
        command: format!("custodia verify consent-receipt consent-receipt.json --vkey \"{vkey}\""),
        vkey,
        signing: hex::encode(keys.signing.as_bytes()),
        checkpoint: "/api/v1/checkpoint",
    }
}

/// What answering recorded.
#[derive(Clone, Debug, Serialize)]
pub struct AnswerView {
    /// The consent event's id (the consent receipt's id).
    pub event: String,
    /// The customer.
    pub customer: String,
    /// The answer given.
    pub answer: &'static str,
    /// The event kind recorded (`objected`, `granted`, `refused`).
    pub kind: String,
    /// When.
    pub recorded_at: String,
    /// The event's ledger index.
    pub entry: u64,
    /// Where the consent receipt is downloaded.
    pub receipt: String,
    /// How to verify it.
    pub verify: VerifyView,
}

fn kind_code(kind: EventKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "other".to_owned(),
    }
}

async fn record_answer(state: &AppState, token: String, answer: Answer) -> Result<AnswerView, CustomerError> {
    let key = key(state)?;
    blocking(state, move |b| {
        let (claims, transfer, served) = load_notice(b, &key, &token)?;
        let event_id = claims.answer_event()?;
        if used(b, &claims)?.is_some() {
            tracing::info!(customer = %claims.binding.customer(), event = %event_id, "used link presented again");
            return Err(CustomerError::new(StatusCode::GONE, "link_used"));
        }
        let event = answer_event(&claims, &served, answer, b.now())?;
        let case = b.seller_case(transfer)?;
        // The ledger records an event id once, in the unit of work of the answer: a concurrent second use
        // of this link (here or on another instance) finds it recorded and records nothing.
        let recorded = case.record_responses(std::slice::from_ref(&event))?;
        let Some(entry) = recorded.first_index.filter(|_| recorded.recorded == 1) else {
            return Err(CustomerError::new(StatusCode::GONE, "link_used"));
        };
        tracing::info!(customer = %event.customer(), transfer = %transfer, event = %event_id, entry, "notice answered through a link");
        Ok(AnswerView {
            event: event_id.to_string(),
            customer: event.customer().to_string(),
            answer: answer.code(),
            kind: kind_code(event.kind()),
            recorded_at: time(event.recorded_at()),
            entry,
            receipt: format!("/c/receipt/{token}"),
            verify: consent_verify(b),
        })
    })
    .await
}

/// The notice page.
#[derive(Template)]
#[template(path = "customer/notice.html")]
struct NoticePage<'a> {
    lang: &'static str,
    t: &'static Texts,
    other_lang: &'static str,
    token: &'a str,
    view: &'a NoticeView,
    options: Vec<(&'static str, &'static str)>,
    intro: &'static str,
}

/// The receipt page.
#[derive(Template)]
#[template(path = "customer/receipt.html")]
struct ReceiptPage<'a> {
    lang: &'static str,
    t: &'static Texts,
    view: &'a AnswerView,
    answer_text: &'static str,
}

/// The error page.
#[derive(Template)]
#[template(path = "customer/error.html")]
struct ErrorPage {
    lang: &'static str,
    t: &'static Texts,
    code: &'static str,
    field: &'static str,
    message: &'static str,
    /// For a used notice link: where its answer's consent receipt is.
    receipt: Option<String>,
}

fn other(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "en",
        Lang::En => "zh-CN",
    }
}

fn render(template: &impl Template, status: StatusCode, lang: Lang) -> Response {
    match template.render() {
        Ok(text) => page_response(status, text),
        Err(_) => {
            tracing::error!("customer template failed");
            CustomerError::internal().page(lang)
        }
    }
}

/// The notice page of a link: what the served notice says and the answer form (`form#notice-answer`).
#[utoipa::path(get, path = "/c/notice/{token}", params(("token" = String, Path, description = "the link token"), ("lang" = Option<String>, Query, description = "`zh-CN` or `en`; else Accept-Language; default zh-CN")), responses((status = 200, description = "the notice page", content_type = "text/html"), (status = 403, description = "not a valid link (`link_invalid`, `link_wrong_page`)", content_type = "text/html"), (status = 409, description = "`link_binding`", content_type = "text/html"), (status = 410, description = "`link_used`, `link_expired`", content_type = "text/html")))]
pub(crate) async fn notice_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (lang, checked) = query_lang(query.as_deref(), &headers);
    if let Err(e) = checked {
        return e.page(lang);
    }
    match load_unused_notice(&state, token.clone(), lang).await {
        Ok(view) => {
            let t = lang.texts();
            let options = view
                .answers
                .iter()
                .filter_map(|a| Answer::parse(a).map(|x| (x.code(), answer_label(x, lang))))
                .collect();
            let page = NoticePage {
                lang: lang.tag(),
                t,
                other_lang: other(lang),
                token: &token,
                options,
                intro: if view.article == "22" {
                    t.notice_intro_22
                } else {
                    t.notice_intro_23
                },
                view: &view,
            };
            render(&page, StatusCode::OK, lang)
        }
        // A used link still opens its answer's receipt.
        Err(e) if e.code == "link_used" => e.page_with(lang, Some(format!("/c/receipt/{token}"))),
        Err(e) => e.page(lang),
    }
}

const ANSWER_FIELDS: &[&str] = &["token", "answer", "lang"];

/// Answers a notice from the page's form (`application/x-www-form-urlencoded`: `token`, `answer` =
/// `object` | `consent` | `refuse`, optional `lang`): records it and shows the receipt page (`#receipt`).
#[utoipa::path(post, path = "/c/notice", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "token, answer (object | consent | refuse), lang"), responses((status = 200, description = "the receipt page", content_type = "text/html"), (status = 403, description = "`link_invalid`", content_type = "text/html"), (status = 410, description = "`link_used` (nothing recorded), `link_expired`", content_type = "text/html"), (status = 422, description = "a missing, unknown or invalid field", content_type = "text/html")))]
pub(crate) async fn notice_answer_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (fields, lang) = match form_fields(body, &headers, ANSWER_FIELDS) {
        Ok(x) => x,
        Err((e, lang)) => return e.page(lang),
    };
    let parsed = fields.required("token").and_then(|token| {
        let answer = Answer::parse(fields.required("answer")?)
            .ok_or(CustomerError::field("invalid_field", "answer"))?;
        Ok((token.to_owned(), answer))
    });
    let (token, answer) = match parsed {
        Ok(x) => x,
        Err(e) => return e.page(lang),
    };
    match record_answer(&state, token, answer).await {
        Ok(view) => {
            let page = ReceiptPage {
                lang: lang.tag(),
                t: lang.texts(),
                answer_text: answer_label(answer, lang),
                view: &view,
            };
            render(&page, StatusCode::OK, lang)
        }
        Err(e) => e.page(lang),
    }
}

/// A notice answer as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The link token.
    pub token: String,
    /// `object`, `consent` or `refuse`.
    pub answer: Answer,
}

/// What a notice link's served notice says, as JSON.
#[utoipa::path(get, path = "/api/v1/customer/notice/{token}", params(("token" = String, Path, description = "the link token"), ("lang" = Option<String>, Query, description = "the language of the names: `zh-CN` or `en`")), responses((status = 200, description = "the notice: controller, recipient, purposes, categories, destinations, answers", content_type = "application/json"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub(crate) async fn notice_json(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (lang, checked) = query_lang(query.as_deref(), &headers);
    if let Err(e) = checked {
        return e.api().into_response();
    }
    match load_unused_notice(&state, token, lang).await {
        Ok(view) => json_response(StatusCode::OK, &view),
        Err(e) => e.api().into_response(),
    }
}

/// Answers a notice (JSON body `{token, answer}`); a used link is 410 `link_used` and records nothing.
#[utoipa::path(post, path = "/api/v1/customer/notice", request_body = AnswerBody, responses((status = 200, description = "what was recorded: the event, its ledger entry, the receipt's path, how to verify it", content_type = "application/json"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn notice_answer_json(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let bytes = body_bytes(body)?;
        let body: AnswerBody = json_body(&bytes, &["token", "answer"], &["token", "answer"])?;
        record_answer(&state, body.token, body.answer).await
    }
    .await;
    match result {
        Ok(view) => json_response(StatusCode::OK, &view),
        Err(e) => e.api().into_response(),
    }
}

/// The consent receipt of a used notice link's answer (custodia-consent-receipt JSON), as a download.
#[utoipa::path(get, path = "/c/receipt/{token}", params(("token" = String, Path, description = "the link token, after its answer")), responses((status = 200, description = "the consent receipt", content_type = "application/json"), (status = 403, body = ErrorBody), (status = 404, description = "`not_answered`: the link has no answer yet", body = ErrorBody), (status = 410, body = ErrorBody)))]
pub(crate) async fn consent_receipt_download(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    let result = async {
        let key = key(&state)?;
        blocking(&state, move |b| {
            let (claims, _, _) = load_notice(b, &key, &token)?;
            let Some((_, event)) = used(b, &claims)? else {
                return Err(CustomerError::new(StatusCode::NOT_FOUND, "not_answered"));
            };
            let receipt = b.consent_receipt(event.customer(), event.id())?;
            serde_json::to_vec_pretty(&receipt).map_err(|_| CustomerError::internal())
        })
        .await
    }
    .await;
    match result {
        Ok(bytes) => download(bytes, "application/json", "consent-receipt.json"),
        Err(e) => e.api().into_response(),
    }
}

/// A receipt as a download, with the customer pages' `private_headers` (not stored, no referrer, not sniffed).
fn download(bytes: Vec<u8>, content_type: &'static str, filename: &'static str) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response();
    private_headers(response.headers_mut());
    response
}

// ---------------------------------------------------------------------------------------------------
// The customer's own requests

/// One request as the status page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    /// Its id.
    pub id: String,
    /// Its kind's code.
    pub kind: &'static str,
    /// Its kind, in words.
    pub kind_name: &'static str,
    /// Its state's code.
    pub state: &'static str,
    /// Its state, in words.
    pub state_name: &'static str,
    /// When it was received.
    pub received_at: String,
    /// The last day to answer it (local date), once a deadline runs.
    pub deadline: Option<String>,
    /// When that day ends, in UTC.
    pub closes_at: Option<String>,
    /// Whether it is past its deadline, unanswered.
    pub overdue: bool,
    /// The outcome, once answered (`fulfilled`, `partly_fulfilled`, `refused`).
    pub outcome: Option<&'static str>,
    /// Where its response receipt is downloaded, once answered.
    pub receipt: Option<String>,
}

fn request_view(r: &Request, token: &str, now: DateTime<Utc>, lang: Lang) -> RequestView {
    let kind = r.kind().code().code();
    let answered = r.answered();
    RequestView {
        id: r.id().to_string(),
        kind,
        kind_name: kind_label(kind, lang),
        state: r.state().code(),
        state_name: state_label(r.state(), lang),
        received_at: time(r.intake().received_at),
        deadline: r.deadline().map(|d| d.last_day.to_string()),
        closes_at: r.deadline().map(|d| time(d.closes_at)),
        overdue: r.is_overdue(now),
        outcome: answered.map(|a| a.answer.outcome().code()),
        receipt: answered.map(|_| format!("/c/requests/{token}/receipt/{}", r.id())),
    }
}

/// A customer's requests, as the status page shows them.
#[derive(Clone, Debug, Serialize)]
pub struct RequestsView {
    /// The customer.
    pub customer: String,
    /// Their requests, oldest first.
    pub requests: Vec<RequestView>,
    /// The request just submitted, if any.
    pub submitted: Option<RequestView>,
    /// When the link stops working.
    pub link_expires_at: String,
}

fn requests_claims(b: &Brokerage, key: &LinkKey, token: &str) -> Result<CustomerId, CustomerError> {
    Ok(key
        .verify(token, LinkPurpose::Requests, b.now())?
        .binding
        .customer())
}

async fn load_requests(
    state: &AppState,
    token: String,
    lang: Lang,
    submit: Option<RequestKind>,
) -> Result<RequestsView, CustomerError> {
    let key = key(state)?;
    blocking(state, move |b| {
        let now = b.now();
        let claims = key.verify(&token, LinkPurpose::Requests, now)?;
        let customer = claims.binding.customer();
        let submitted = match submit {
            Some(kind) => {
                let actor = ActorId::new(LINK_ACTOR).map_err(|_| CustomerError::internal())?;
                let intake = Intake::new(customer, kind, Channel::Web, now, actor).with_id(RequestId::new_v7());
                let request = b.receive_request(intake)?;
                tracing::info!(customer = %customer, request = %request.id(), kind = request.kind().code().code(), "request received through a link");
                Some(request_view(&request, &token, now, lang))
            }
            None => None,
        };
        let requests = b
            .customer_requests(customer)?
            .iter()
            .map(|r| request_view(r, &token, now, lang))
            .collect();
        Ok(RequestsView {
            customer: customer.to_string(),
            requests,
            submitted,
            link_expires_at: time(claims.expires_at),
        })
    })
    .await
}

const REQUEST_FIELDS: &[&str] = &["token", "kind", "purpose", "lang"];

/// The kind of request a form or body asks for.
fn request_kind(kind: &str, purpose: Option<&str>) -> Result<RequestKind, CustomerError> {
    let purposes = || -> Result<BTreeSet<Purpose>, CustomerError> {
        let text = purpose
            .filter(|p| !p.is_empty())
            .ok_or(CustomerError::field("missing_field", "purpose"))?;
        match text.parse::<Purpose>() {
            Ok(Purpose::Custom(_)) | Err(_) => Err(CustomerError::field("invalid_field", "purpose")),
            Ok(p) => Ok([p].into()),
        }
    };
    let no_purpose = || {
        if purpose.is_some_and(|p| !p.is_empty()) {
            Err(CustomerError::field("invalid_field", "purpose"))
        } else {
            Ok(())
        }
    };
    Ok(match kind {
        "explain_rules" => {
            no_purpose()?;
            RequestKind::ExplainRules
        }
        "access" => {
            no_purpose()?;
            RequestKind::Access
        }
        "copy" => {
            no_purpose()?;
            RequestKind::Copy
        }
        "deletion" => {
            no_purpose()?;
            RequestKind::Deletion {
                categories: BTreeSet::new(),
            }
        }
        "object" => RequestKind::Object {
            purposes: purposes()?,
        },
        "withdraw_consent" => RequestKind::WithdrawConsent {
            purposes: purposes()?,
            categories: BTreeSet::new(),
        },
        _ => return Err(CustomerError::field("invalid_field", "kind")),
    })
}

/// The requests page.
#[derive(Template)]
#[template(path = "customer/requests.html")]
struct RequestsPage<'a> {
    lang: &'static str,
    t: &'static Texts,
    other_lang: &'static str,
    token: &'a str,
    view: &'a RequestsView,
    kinds: Vec<(&'static str, &'static str)>,
    purposes: Vec<(&'static str, &'static str)>,
    verify: String,
}

const FORM_PURPOSES: [Purpose; 4] = [
    Purpose::Marketing,
    Purpose::Analytics,
    Purpose::Transfer,
    Purpose::PolicyServicing,
];

fn requests_page_response(
    state: &AppState,
    lang: Lang,
    token: &str,
    view: &RequestsView,
    status: StatusCode,
) -> Response {
    let keys = state.brokerage().public_keys();
    let page = RequestsPage {
        lang: lang.tag(),
        t: lang.texts(),
        other_lang: other(lang),
        token,
        view,
        kinds: KINDS.iter().map(|k| (*k, kind_label(k, lang))).collect(),
        purposes: FORM_PURPOSES
            .iter()
            .map(|p| {
                let code: &'static str = match p {
                    Purpose::Marketing => "marketing",
                    Purpose::Analytics => "analytics",
                    Purpose::Transfer => "transfer",
                    _ => "policy_servicing",
                };
                (code, purpose_name(p, lang.language()).unwrap_or(code))
            })
            .collect(),
        verify: format!(
            "custodia verify rights-receipt response-receipt.txt --signing {} --vkey \"{}\"",
            hex::encode(keys.signing.as_bytes()),
            keys.ledger.to_vkey()
        ),
    };
    render(&page, status, lang)
}

/// The customer's requests with their state and deadline, and the form to ask or request
/// (`form#rights-request`).
#[utoipa::path(get, path = "/c/requests/{token}", params(("token" = String, Path, description = "the requests link token"), ("lang" = Option<String>, Query, description = "`zh-CN` or `en`")), responses((status = 200, description = "the requests page", content_type = "text/html"), (status = 403, description = "`link_invalid`, `link_wrong_page`", content_type = "text/html"), (status = 410, description = "`link_expired`", content_type = "text/html")))]
pub(crate) async fn requests_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (lang, checked) = query_lang(query.as_deref(), &headers);
    if let Err(e) = checked {
        return e.page(lang);
    }
    match load_requests(&state, token.clone(), lang, None).await {
        Ok(view) => requests_page_response(&state, lang, &token, &view, StatusCode::OK),
        Err(e) => e.page(lang),
    }
}

/// Submits a question or a request from the page's form (`token`, `kind`, `purpose` for `object` and
/// `withdraw_consent`, optional `lang`), and shows the requests page with it (`#submitted`).
#[utoipa::path(post, path = "/c/requests", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "token, kind, purpose, lang"), responses((status = 201, description = "the requests page with the new request", content_type = "text/html"), (status = 403, description = "`link_invalid`", content_type = "text/html"), (status = 409, description = "`duplicate_request`", content_type = "text/html"), (status = 422, description = "a missing, unknown or invalid field", content_type = "text/html")))]
pub(crate) async fn request_submit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (fields, lang) = match form_fields(body, &headers, REQUEST_FIELDS) {
        Ok(x) => x,
        Err((e, lang)) => return e.page(lang),
    };
    let parsed = fields.required("token").and_then(|token| {
        let kind = request_kind(fields.required("kind")?, fields.get("purpose"))?;
        Ok((token.to_owned(), kind))
    });
    let (token, kind) = match parsed {
        Ok(x) => x,
        Err(e) => return e.page(lang),
    };
    match load_requests(&state, token.clone(), lang, Some(kind)).await {
        Ok(view) => requests_page_response(&state, lang, &token, &view, StatusCode::CREATED),
        Err(e) => e.page(lang),
    }
}

/// A request as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// The requests link token.
    pub token: String,
    /// `explain_rules` (a question, PIPL Art 48), `access`, `copy`, `deletion`, `object`, `withdraw_consent`.
    pub kind: String,
    /// For `object` and `withdraw_consent`: the purpose's code.
    pub purpose: Option<String>,
}

/// The customer's requests, as JSON.
#[utoipa::path(get, path = "/api/v1/customer/requests/{token}", params(("token" = String, Path, description = "the requests link token"), ("lang" = Option<String>, Query, description = "the language of the names: `zh-CN` or `en`")), responses((status = 200, description = "`{customer, requests: [{id, kind, state, deadline, closes_at, overdue, outcome, receipt}]}`", content_type = "application/json"), (status = 403, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub(crate) async fn requests_json(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (lang, checked) = query_lang(query.as_deref(), &headers);
    if let Err(e) = checked {
        return e.api().into_response();
    }
    match load_requests(&state, token, lang, None).await {
        Ok(view) => json_response(StatusCode::OK, &view),
        Err(e) => e.api().into_response(),
    }
}

/// Submits a question or a request (JSON body `{token, kind, purpose}`).
#[utoipa::path(post, path = "/api/v1/customer/requests", request_body = RequestBody, responses((status = 201, description = "the requests, with `submitted`", content_type = "application/json"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn request_submit_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let bytes = body_bytes(body)?;
        let body: RequestBody = json_body(&bytes, &["token", "kind", "purpose"], &["token", "kind"])?;
        let kind = request_kind(&body.kind, body.purpose.as_deref())?;
        load_requests(&state, body.token, Lang::from_accept(&headers), Some(kind)).await
    }
    .await;
    match result {
        Ok(view) => json_response(StatusCode::CREATED, &view),
        Err(e) => e.api().into_response(),
    }
}

/// The signed response receipt of one of the link's customer's answered requests, as a download.
#[utoipa::path(get, path = "/c/requests/{token}/receipt/{request}", params(("token" = String, Path, description = "the requests link token"), ("request" = String, Path, description = "the request id")), responses((status = 200, description = "the response receipt", content_type = "text/plain"), (status = 403, body = ErrorBody), (status = 404, description = "`no_such_request` (also another customer's)", body = ErrorBody), (status = 409, description = "`not_answered`", body = ErrorBody)))]
pub(crate) async fn response_receipt_download(
    State(state): State<AppState>,
    Path((token, request)): Path<(String, String)>,
) -> Response {
    let result = async {
        let key = key(&state)?;
        let id: RequestId = request
            .parse()
            .map_err(|_| CustomerError::field("invalid_field", "request"))?;
        blocking(&state, move |b| {
            let customer = requests_claims(b, &key, &token)?;
            let not_theirs = CustomerError::new(StatusCode::NOT_FOUND, "no_such_request");
            let stored = match b.request(id) {
                Ok(r) => r,
                Err(BrokerageError::InvalidInput { field: "request", .. }) => return Err(not_theirs),
                Err(e) => return Err(e.into()),
            };
            if stored.customer() != customer {
                return Err(not_theirs);
            }
            if stored.state() != StateCode::Answered {
                return Err(CustomerError::new(StatusCode::CONFLICT, "not_answered"));
            }
            Ok(b.issue_receipt(id)?)
        })
        .await
    }
    .await;
    match result {
        Ok(bytes) => download(bytes, "text/plain; charset=utf-8", "response-receipt.txt"),
        Err(e) => e.api().into_response(),
    }
}

// ---------------------------------------------------------------------------------------------------
// Staff: minting links

/// A link to mint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintBody {
    /// The customer's id.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// `notice_answer` or `requests`.
    #[schema(value_type = String)]
    pub purpose: LinkPurpose,
    /// For `notice_answer`: the seller's transfer case (the transfer id).
    #[schema(value_type = Option<String>)]
    pub transfer: Option<TransferId>,
    /// Days the link works (1 to 90; default 30 for a notice answer, 7 for requests).
    pub valid_days: Option<u32>,
}

/// A minted link.
#[derive(Clone, Debug, Serialize)]
pub struct Minted {
    /// The purpose.
    pub purpose: LinkPurpose,
    /// The customer.
    pub customer: String,
    /// The page's path (append to the service's public address).
    pub path: String,
    /// The JSON operation's path.
    pub api_path: String,
    /// When it stops working.
    pub expires_at: String,
}

/// Mints a customer link (staff only): for a notice answer, the notice served to the customer in the
/// case (409 `not_served` when there is none); for requests, the customer's own requests.
#[utoipa::path(post, path = "/api/v1/links", request_body = MintBody, security(("bearer" = [])), responses((status = 200, description = "`{purpose, customer, path, api_path, expires_at}`", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`not_served`", body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, description = "`links_not_configured`", body = ErrorBody)))]
pub(crate) async fn mint_link(
    State(state): State<AppState>,
    auth: Authenticated,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_staff(&auth)?;
    let key = key(&state).map_err(|e| e.api())?;
    let bytes = body_bytes(body).map_err(|e| e.api())?;
    let body: MintBody = json_body(
        &bytes,
        &["customer", "purpose", "transfer", "valid_days"],
        &["customer", "purpose"],
    )
    .map_err(|e| e.api())?;
    let default_days = match body.purpose {
        LinkPurpose::NoticeAnswer => NOTICE_LINK_DAYS,
        LinkPurpose::Requests => REQUESTS_LINK_DAYS,
    };
    let days = body.valid_days.unwrap_or(default_days);
    if !(1..=MAX_LINK_DAYS).contains(&days) {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "valid_days".into(),
            format!("valid_days must be 1 to {MAX_LINK_DAYS}"),
        ));
    }
    let principal = auth.principal.id().clone();
    let customer = body.customer;
    let purpose = body.purpose;
    let transfer = body.transfer;
    let minted = crate::api::blocking(&state, move |b| {
        let expires_at = b.now() + Duration::days(i64::from(days));
        let binding = match (purpose, transfer) {
            (LinkPurpose::NoticeAnswer, Some(transfer)) => {
                let case = match b.seller_case(transfer) {
                    Ok(case) => case,
                    Err(BrokerageError::NoSuchCase { .. }) => {
                        let missing = ApiError::field(
                            StatusCode::NOT_FOUND,
                            "no_such_case",
                            "transfer".into(),
                            format!("this brokerage has no seller case of transfer {transfer}"),
                        );
                        return Ok((Err(missing), expires_at));
                    }
                    Err(e) => return Err(e),
                };
                match case.served_notice(customer)? {
                    Some(served) => Ok(Binding::Notice {
                        customer,
                        transfer,
                        notice: served.event.notice(),
                    }),
                    None => Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "not_served",
                        format!("customer {customer} was not served a notice in case {transfer}"),
                    )),
                }
            }
            (LinkPurpose::NoticeAnswer, None) => Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                "transfer".into(),
                "transfer is required for a notice_answer link",
            )),
            (LinkPurpose::Requests, None) => Ok(Binding::Requests { customer }),
            (LinkPurpose::Requests, Some(_)) => Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "transfer".into(),
                "a requests link binds no transfer",
            )),
        };
        Ok((binding, expires_at))
    })
    .await?;
    let (binding, expires_at) = minted;
    let binding = binding?;
    let token = key.mint(&binding, expires_at).map_err(|_| ApiError::internal())?;
    let (path, api_path) = match purpose {
        LinkPurpose::NoticeAnswer => (
            format!("/c/notice/{token}"),
            format!("/api/v1/customer/notice/{token}"),
        ),
        LinkPurpose::Requests => (
            format!("/c/requests/{token}"),
            format!("/api/v1/customer/requests/{token}"),
        ),
    };
    tracing::info!(principal = %principal, customer = %customer, purpose = ?purpose, "customer link minted");
    Ok(json_response(
        StatusCode::OK,
        &Minted {
            purpose,
            customer: customer.to_string(),
            path,
            api_path,
            expires_at: time(expires_at),
        },
    ))
}
