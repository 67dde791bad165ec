//! The response package: what the customer receives for an access, copy, portability or explanation
//! request — their data as machine-readable JSON and a readable copy in their language, the explanation of
//! processing NDSR Art 21 lists, and who read their data and why.
//!
//! # Format
//!
//! [`ResponsePackage::to_bytes`] is the line `custodia-rights-response/1`, a newline, and the package as
//! compact JSON with these fields, in this order:
//!
//! | field | content |
//! |---|---|
//! | `request`, `customer` | the request id and the pseudonymous customer id |
//! | `kind`, `regime`, `language` | the request's kind, the regime, `zh` or `en` |
//! | `prepared_at` | when the package was made (RFC 3339, UTC) |
//! | `data` | per category: `{"category": …, "value": <the category's record as JSON>}` |
//! | `explanation` | NDSR Art 21: controller, purposes with basis, method and categories, why sensitive data is needed and its impact, retention and what happens after, recipients (a buyer after a licence transfer with the categories moved), how to exercise rights |
//! | `reads` | who read the data, when, for what purpose, which categories (from the access log) |
//! | `automated` | for an automated decision: its logic, significance and how to obtain a human review |
//! | `fee` | a cost-based fee for an excessive portability request (NDSR Art 25(2)), in fen |
//! | `readable` | the readable copy, in the language: plain text, one line per item |
//!
//! The receipt binds the SHA-256 of exactly these bytes ([`ResponsePackage::digest`]); the package itself
//! holds personal information and never goes to the ledger.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use custodia_consent::{Digest, Regime};
use custodia_model::{ActorId, CustomerId, DataCategory, LegalBasis, Purpose, TransferId};
use custodia_retention::Holding;
use serde::{Deserialize, Serialize};

use crate::error::RightsError;
use crate::ids::RequestId;
use crate::kind::{KindCode, Reference};
use crate::refusal::Language;
use crate::request::VerifiedRequest;

/// The first line of a package's bytes.
pub const PACKAGE_FORMAT: &str = "custodia-rights-response/1\n";

/// One category of the customer's data, decrypted by the brokerage for the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryData {
    /// Whose data: must be the request's customer.
    pub customer: CustomerId,
    /// Which category.
    pub category: DataCategory,
    /// The category's record as JSON.
    pub value: serde_json::Value,
}

/// One read of the customer's data, from the access log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRecord {
    /// Whose data: must be the request's customer.
    pub customer: CustomerId,
    /// When.
    pub at: DateTime<Utc>,
    /// Who read it (a staff or system id).
    pub by: ActorId,
    /// For what purpose.
    pub purpose: Purpose,
    /// Which categories.
    pub categories: BTreeSet<DataCategory>,
}

/// An organisation named in an explanation: the controller or a recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: String,
}

/// A purpose of processing with its legal basis (PIPL Art 13), method and categories.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeUse {
    /// The purpose.
    pub purpose: Purpose,
    /// Its legal basis.
    pub basis: LegalBasis,
    /// How the data is processed for it.
    pub method: String,
    /// The categories used.
    pub categories: BTreeSet<DataCategory>,
}

/// Why a sensitive category is needed and what processing it means for the person (PIPL Art 30; NDSR
/// Art 21(1)(2)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveUse {
    /// The category.
    pub category: DataCategory,
    /// Why it is needed.
    pub necessity: String,
    /// The impact on the person's rights.
    pub impact: String,
}

/// How long a holding is kept and what happens afterwards (NDSR Art 21(1)(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionLine {
    /// The holding.
    pub holding: Holding,
    /// The period, or how it is determined.
    pub period: String,
    /// What happens when it ends.
    pub afterwards: String,
}

/// Who a recipient is to the brokerage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecipientRole {
    /// An entrusted processor (PIPL Art 21).
    Processor,
    /// Another processor the data is provided to (PIPL Art 23), such as an insurer.
    ThirdParty,
    /// The buyer of the book after a licence transfer (PIPL Art 22), and what was moved.
    Buyer {
        /// The transfer.
        transfer: TransferId,
        /// The categories moved.
        moved: BTreeSet<DataCategory>,
    },
}

/// A recipient of the customer's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientLine {
    /// Who.
    pub recipient: Organisation,
    /// In what role.
    pub role: RecipientRole,
    /// For which purposes.
    pub purposes: BTreeSet<Purpose>,
    /// Which categories.
    pub categories: BTreeSet<DataCategory>,
}

/// The explanation of the processing rules as NDSR Art 21 lists them (and PIPL Arts 17, 48).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingExplanation {
    /// The controller (NDSR Art 21(1)(1)).
    pub controller: Organisation,
    /// Purposes, methods and categories (21(1)(2)).
    pub purposes: Vec<PurposeUse>,
    /// Why sensitive data is needed (21(1)(2)).
    pub sensitive: Vec<SensitiveUse>,
    /// Retention (21(1)(3)).
    pub retention: Vec<RetentionLine>,
    /// Recipients, listed (21(2)), the buyer after a licence transfer included.
    pub recipients: Vec<RecipientLine>,
    /// How to access, copy, move, correct, delete, restrict, close the account and withdraw consent
    /// (21(1)(4)).
    pub how_to_exercise_rights: String,
}

/// The explanation of an automated decision (PIPL Art 24(3); GDPR Arts 15(1)(h), 22(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomatedExplanation {
    /// The decision.
    pub decision: Reference,
    /// The logic involved, in plain words.
    pub logic: String,
    /// Its significance and consequences for the person.
    pub significance: String,
    /// How to obtain a human review and contest it.
    pub human_review: String,
}

/// A cost-based fee for an excessive portability request (NDSR Art 25(2)), in fen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// The amount, in fen (0.01 yuan).
    pub fen: u64,
}

/// What goes into a package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageContents {
    /// The customer's language.
    pub language: Language,
    /// The data, for access, copy and portability.
    pub data: Vec<CategoryData>,
    /// The explanation of processing.
    pub explanation: Option<ProcessingExplanation>,
    /// Who read the data and why.
    pub reads: Vec<AccessRecord>,
    /// An automated decision's explanation.
    pub automated: Option<AutomatedExplanation>,
    /// A fee for an excessive portability request.
    pub fee: Option<Fee>,
}

/// A response package; see the module docs for its format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsePackage {
    request: RequestId,
    customer: CustomerId,
    kind: KindCode,
    regime: Regime,
    language: Language,
    prepared_at: DateTime<Utc>,
    data: Vec<CategoryData>,
    explanation: Option<ProcessingExplanation>,
    reads: Vec<AccessRecord>,
    automated: Option<AutomatedExplanation>,
    fee: Option<Fee>,
    readable: String,
}

impl ResponsePackage {
    /// Builds the package for a verified request (the only way to get one: no package exists for an
    /// unverified request). Refuses data or reads of any other customer, data for a kind that releases
    /// none, an explanation of an automated decision other than the one asked about, and a fee on anything
    /// but portability.
    pub fn build(
        request: &VerifiedRequest<'_>,
        contents: PackageContents,
        prepared_at: DateTime<Utc>,
    ) -> Result<Self, RightsError> {
        let request = request.request();
        let customer = request.customer();
        let kind = request.kind().code();
        let other = |what| RightsError::OtherCustomer { customer, what };
        if contents.data.iter().any(|d| d.customer != customer) {
            return Err(other("data"));
        }
        if contents.reads.iter().any(|r| r.customer != customer) {
            return Err(other("access log"));
        }
        let bad = |field, expected| RightsError::InvalidInput { field, expected };
        if !matches!(kind, KindCode::Access | KindCode::Copy | KindCode::Portability)
            && !contents.data.is_empty()
        {
            return Err(bad("package.data", "data only for access, copy or portability"));
        }
        if contents.fee.is_some() && kind != KindCode::Portability {
            return Err(bad("package.fee", "a fee only for portability (NDSR Art 25(2))"));
        }
        if let Some(a) = &contents.automated {
            let asked = match request.kind() {
                crate::RequestKind::ExplainAutomatedDecision { decision }
                | crate::RequestKind::RefuseAutomatedDecision { decision } => Some(decision),
                _ => None,
            };
            if asked != Some(&a.decision) {
                return Err(bad(
                    "package.automated",
                    "the explanation of the decision asked about",
                ));
            }
        }
        let mut package = Self {
            request: request.id(),
            customer,
            kind,
            regime: request.regime(),
            language: contents.language,
            prepared_at,
            data: contents.data,
            explanation: contents.explanation,
            reads: contents.reads,
            automated: contents.automated,
            fee: contents.fee,
            readable: String::new(),
        };
        package.readable = package.render();
        Ok(package)
    }

    /// The request it answers.
    pub fn request(&self) -> RequestId {
        self.request
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The data.
    pub fn data(&self) -> &[CategoryData] {
        &self.data
    }

    /// The explanation of processing.
    pub fn explanation(&self) -> Option<&ProcessingExplanation> {
        self.explanation.as_ref()
    }

    /// The reads.
    pub fn reads(&self) -> &[AccessRecord] {
        &self.reads
    }

    /// The readable copy.
    pub fn readable(&self) -> &str {
        &self.readable
    }

    /// The package's exact bytes (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = PACKAGE_FORMAT.as_bytes().to_vec();
        // Serializing plain data (strings, ids, dates, JSON values) into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, self);
        out
    }

    /// Reads a package's bytes back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RightsError> {
        let bad = RightsError::InvalidInput {
            field: "package",
            expected: "a custodia-rights-response/1 package",
        };
        let json = bytes.strip_prefix(PACKAGE_FORMAT.as_bytes()).ok_or(bad)?;
        serde_json::from_slice(json).map_err(|_| RightsError::InvalidInput {
            field: "package",
            expected: "a custodia-rights-response/1 package",
        })
    }

    /// SHA-256 of [`ResponsePackage::to_bytes`], which the answer and the receipt name.
    pub fn digest(&self) -> Digest {
        Digest::of(&self.to_bytes())
    }

    fn render(&self) -> String {
        let zh = self.language == Language::Zh;
        let t = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = writeln!(
            out,
            "{} {}",
            t("个人信息请求答复", "Response to your request"),
            self.request
        );
        let _ = writeln!(out, "{}: {}", t("请求类型", "Request"), self.kind);
        let _ = writeln!(
            out,
            "{}: {}",
            t("答复时间", "Prepared at"),
            self.prepared_at.to_rfc3339()
        );
        if !self.data.is_empty() {
            let _ = writeln!(out, "\n## {}", t("您的个人信息", "Your personal information"));
            for d in &self.data {
                let _ = writeln!(out, "### {}", d.category.code());
                flatten(&mut out, "", &d.value);
            }
        }
        if let Some(e) = &self.explanation {
            let _ = writeln!(
                out,
                "\n## {}",
                t("个人信息处理规则", "How your information is processed")
            );
            let _ = writeln!(
                out,
                "{}: {} ({})",
                t("处理者", "Controller"),
                e.controller.name,
                e.controller.contact
            );
            for p in &e.purposes {
                let cats: Vec<&str> = p.categories.iter().map(|c| c.code()).collect();
                let _ = writeln!(
                    out,
                    "- {}: {}; {}: {}; {}: {}; {}: {}",
                    t("目的", "purpose"),
                    p.purpose.code(),
                    t("依据", "basis"),
                    p.basis.citation(),
                    t("方式", "method"),
                    p.method,
                    t("种类", "categories"),
                    cats.join(", ")
                );
            }
            for s in &e.sensitive {
                let _ = writeln!(
                    out,
                    "- {} {}: {}; {}: {}",
                    t("敏感个人信息", "sensitive"),
                    s.category.code(),
                    s.necessity,
                    t("影响", "impact"),
                    s.impact
                );
            }
            for r in &e.retention {
                let _ = writeln!(
                    out,
                    "- {} {}: {}; {}",
                    t("保存期限", "retention"),
                    r.holding,
                    r.period,
                    r.afterwards
                );
            }
            for r in &e.recipients {
                let role = match &r.role {
                    RecipientRole::Processor => t("受托处理者", "processor").to_owned(),
                    RecipientRole::ThirdParty => t("接收方", "recipient").to_owned(),
                    RecipientRole::Buyer { transfer, moved } => {
                        let moved: Vec<&str> = moved.iter().map(|c| c.code()).collect();
                        format!(
                            "{} {transfer}: {}",
                            t("牌照转让的受让方", "buyer in licence transfer"),
                            moved.join(", ")
                        )
                    }
                };
                let _ = writeln!(
                    out,
                    "- {}: {} ({}) — {role}",
                    t("接收方", "recipient"),
                    r.recipient.name,
                    r.recipient.contact
                );
            }
            let _ = writeln!(
                out,
                "{}: {}",
                t("如何行使权利", "Your rights"),
                e.how_to_exercise_rights
            );
        }
        if !self.reads.is_empty() {
            let _ = writeln!(
                out,
                "\n## {}",
                t("谁访问了您的信息及原因", "Who read your information and why")
            );
            for r in &self.reads {
                let cats: Vec<&str> = r.categories.iter().map(|c| c.code()).collect();
                let _ = writeln!(
                    out,
                    "- {} {} {} [{}]",
                    r.at.to_rfc3339(),
                    r.by,
                    r.purpose.code(),
                    cats.join(", ")
                );
            }
        }
        if let Some(a) = &self.automated {
            let _ = writeln!(
                out,
                "\n## {} {}",
                t("自动化决策", "Automated decision"),
                a.decision
            );
            let _ = writeln!(out, "{}: {}", t("逻辑", "Logic"), a.logic);
            let _ = writeln!(out, "{}: {}", t("影响", "Significance"), a.significance);
            let _ = writeln!(out, "{}: {}", t("人工复核", "Human review"), a.human_review);
        }
        if let Some(fee) = self.fee {
            let _ = writeln!(
                out,
                "\n{}: {}.{:02}",
                t("费用（元）", "Fee (CNY)"),
                fee.fen / 100,
                fee.fen % 100
            );
        }
        out
    }
}

/// Writes `value` as one `path: value` line per leaf.
fn flatten(out: &mut String, path: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(out, &p, v);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(out, &format!("{path}[{i}]"), v);
            }
        }
        serde_json::Value::String(s) => {
            let _ = writeln!(out, "{path}: {s}");
        }
        other => {
            let _ = writeln!(out, "{path}: {other}");
        }
    }
}
