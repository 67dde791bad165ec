//! The periodic processing statement (the brokerage practice's §10.1 feedback to customers): for one
//! customer and one period, who read their data and for which purposes, what changed, to whom it was
//! provided (the buyer after a licence transfer included), and what was restricted or destroyed — in the
//! customer's language, built only from lines about that customer.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use custodia_model::{ActorId, Citation, CustomerId, DataCategory, Purpose, TransferId};
use custodia_retention::Holding;
use serde::{Deserialize, Serialize};

use crate::error::RightsError;
use crate::package::{AccessRecord, Organisation};
use crate::refusal::Language;

/// A change of the customer's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeLine {
    /// Whose record.
    pub customer: CustomerId,
    /// The new version.
    pub version: u32,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: ActorId,
    /// Which fields (paths, never values).
    pub fields: Vec<String>,
}

/// A provision of the customer's data to a recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionLine {
    /// Whose data.
    pub customer: CustomerId,
    /// To whom.
    pub recipient: Organisation,
    /// When.
    pub at: DateTime<Utc>,
    /// Which categories.
    pub categories: BTreeSet<DataCategory>,
    /// For which purposes.
    pub purposes: BTreeSet<Purpose>,
    /// The licence transfer it was part of, if any (the buyer, PIPL Art 22).
    pub transfer: Option<TransferId>,
}

/// What happened to a holding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionKind {
    /// Restricted to storage and security (PIPL Art 47(2)).
    StorageOnly,
    /// Destroyed.
    Destroyed,
    /// A processing restricted at the customer's request (PIPL Art 44).
    Restricted,
}

/// A restriction or destruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionLine {
    /// Whose data.
    pub customer: CustomerId,
    /// Which holding.
    pub holding: Holding,
    /// What happened.
    pub kind: RestrictionKind,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub citation: Citation,
}

/// What a statement is built from: lines from the access log, the version history, the provision records
/// and the retention certificates, which the brokerage reads for the customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementInputs {
    /// Reads.
    pub reads: Vec<AccessRecord>,
    /// Changes.
    pub changes: Vec<ChangeLine>,
    /// Provisions.
    pub provisions: Vec<ProvisionLine>,
    /// Restrictions and destructions.
    pub restrictions: Vec<RestrictionLine>,
}

/// A processing statement for one customer and one period `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProcessingStatement {
    /// The customer.
    pub customer: CustomerId,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// Its end (exclusive).
    pub to: DateTime<Utc>,
    /// The language of `readable`.
    pub language: Language,
    /// The lines in the period, oldest first.
    pub lines: StatementInputs,
    /// The readable statement.
    pub readable: String,
}

impl ProcessingStatement {
    /// Builds the statement. Any line about another customer refuses the whole statement
    /// ([`RightsError::OtherCustomer`]), so a wrong query can never put another customer's data in it;
    /// lines outside the period are left out.
    pub fn build(
        customer: CustomerId,
        period: (DateTime<Utc>, DateTime<Utc>),
        inputs: StatementInputs,
        language: Language,
    ) -> Result<Self, RightsError> {
        let (from, to) = period;
        if to <= from {
            return Err(RightsError::InvalidInput {
                field: "statement.period",
                expected: "an end after the start",
            });
        }
        let other = |what| RightsError::OtherCustomer { customer, what };
        if inputs.reads.iter().any(|l| l.customer != customer) {
            return Err(other("an access log line"));
        }
        if inputs.changes.iter().any(|l| l.customer != customer) {
            return Err(other("a change line"));
        }
        if inputs.provisions.iter().any(|l| l.customer != customer) {
            return Err(other("a provision line"));
        }
        if inputs.restrictions.iter().any(|l| l.customer != customer) {
            return Err(other("a restriction line"));
        }
        let inside = |at: &DateTime<Utc>| (from..to).contains(at);
        let mut lines = inputs;
        lines.reads.retain(|l| inside(&l.at));
        lines.changes.retain(|l| inside(&l.at));
        lines.provisions.retain(|l| inside(&l.at));
        lines.restrictions.retain(|l| inside(&l.at));
        lines.reads.sort_by_key(|l| l.at);
        lines.changes.sort_by_key(|l| l.at);
        lines.provisions.sort_by_key(|l| l.at);
        lines.restrictions.sort_by_key(|l| l.at);
        let readable = render(&lines, (from, to), language);
        Ok(Self {
            customer,
            from,
            to,
            language,
            lines,
            readable,
        })
    }
}

fn render(lines: &StatementInputs, (from, to): (DateTime<Utc>, DateTime<Utc>), language: Language) -> String {
    let zh = language == Language::Zh;
    let t = |z: &'static str, e: &'static str| if zh { z } else { e };
    let cats = |c: &BTreeSet<DataCategory>| c.iter().map(|c| c.code()).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(
        out,
        "{} {} — {}",
        t("个人信息处理情况说明", "Statement of processing"),
        from.to_rfc3339(),
        to.to_rfc3339()
    );
    let _ = writeln!(out, "\n## {} ({})", t("访问", "Reads"), lines.reads.len());
    for r in &lines.reads {
        let _ = writeln!(
            out,
            "- {} {} {} [{}]",
            r.at.to_rfc3339(),
            r.by,
            r.purpose.code(),
            cats(&r.categories)
        );
    }
    let _ = writeln!(out, "\n## {} ({})", t("变更", "Changes"), lines.changes.len());
    for c in &lines.changes {
        let _ = writeln!(
            out,
            "- {} v{} {} [{}]",
            c.at.to_rfc3339(),
            c.version,
            c.by,
            c.fields.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\n## {} ({})",
        t("对外提供", "Provided to"),
        lines.provisions.len()
    );
    for p in &lines.provisions {
        let transfer = p
            .transfer
            .map(|t_id| format!(" ({} {t_id})", t("牌照转让", "licence transfer")))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- {} {}{transfer} [{}]",
            p.at.to_rfc3339(),
            p.recipient.name,
            cats(&p.categories)
        );
    }
    let _ = writeln!(
        out,
        "\n## {} ({})",
        t("限制与销毁", "Restricted or destroyed"),
        lines.restrictions.len()
    );
    for r in &lines.restrictions {
        let what = match r.kind {
            RestrictionKind::StorageOnly => t("仅存储", "storage only"),
            RestrictionKind::Destroyed => t("已销毁", "destroyed"),
            RestrictionKind::Restricted => t("已限制处理", "restricted"),
        };
        let _ = writeln!(
            out,
            "- {} {} {what} ({})",
            r.at.to_rfc3339(),
            r.holding,
            r.citation
        );
    }
    out
}
