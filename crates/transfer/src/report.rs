//! The compliance officer's report: plan, notices, package, import and disposition as JSON, Markdown and one
//! self-contained HTML page with an inline SVG chart. Ids, counts and digests only, never personal information.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use custodia_consent::TransferPath;
use custodia_ledger::MerkleHash;
use custodia_model::TransferId;
use serde::{Deserialize, Serialize};

use crate::agreement::{AgreementDigest, DealKind, RecordKeeper, SignedAgreement};
use crate::codec::{hash_hex, hex_hash};
use crate::disposition::{DispositionCounts, DispositionOutcome};
use crate::error::TransferError;
use crate::plan::{Eligibility, EligibilityCounts, PlanSummary};

/// One verification the run performed, and whether it passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Not `#[non_exhaustive]`: each check is the caller's own verification.
pub struct Check {
    /// What was verified.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Details (counts, indices), never personal information.
    pub detail: String,
}

/// The agreement as the report shows it: organizations' names and codes (not personal information).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgreementSection {
    /// The transfer.
    pub transfer_id: TransferId,
    /// SHA-256 of the canonical agreement bytes (hex in JSON).
    pub digest: AgreementDigest,
    /// The seller's name.
    pub seller: String,
    /// The buyer's name.
    pub buyer: String,
    /// The legal path (`merger_notice` or `separate_consent` in JSON).
    pub legal_path: TransferPath,
    /// The article the path rests on.
    pub citation: String,
    /// The impact-assessment reference (PIPL Art 55).
    pub impact_assessment: String,
    /// The effective date.
    pub effective: NaiveDate,
    /// The kind of deal (a book transfer unless said otherwise).
    #[serde(default)]
    pub deal: DealKind,
    /// Who keeps the records the law says must be kept after the transfer.
    #[serde(default)]
    pub records_kept_by: RecordKeeper,
}

impl AgreementSection {
    /// The section for `agreement`.
    pub fn of(agreement: &SignedAgreement) -> Self {
        let t = agreement.terms();
        Self {
            transfer_id: t.transfer_id,
            digest: agreement.digest(),
            seller: t.seller.name().to_owned(),
            buyer: t.buyer.name().to_owned(),
            legal_path: t.legal_path,
            citation: t.path_citation().to_string(),
            impact_assessment: t.impact_assessment.clone(),
            effective: t.effective,
            deal: t.deal.kind,
            records_kept_by: t.deal.records_kept_by,
        }
    }
}

/// The package and import, in numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Not `#[non_exhaustive]`: the caller assembles it from its own package and import.
pub struct PackageSection {
    /// Customers packaged.
    pub customers: u64,
    /// Sections packaged.
    pub sections: u64,
    /// Bytes of sealed sections moved unchanged.
    pub section_bytes: u64,
    /// Bytes of the package.
    pub package_bytes: u64,
    /// Manifest root (hex in JSON).
    #[serde(with = "hex_hash")]
    pub root: MerkleHash,
    /// Customers the buyer imported.
    pub imported: u64,
    /// Whether the buyer re-keyed.
    pub rekeyed: bool,
    /// Index of the receipt on the seller's ledger.
    pub receipt_entry: Option<u64>,
}

impl Default for PackageSection {
    /// Nothing packaged: zero counts and the root of an empty manifest (RFC 9162).
    fn default() -> Self {
        Self {
            customers: 0,
            sections: 0,
            section_bytes: 0,
            package_bytes: 0,
            root: custodia_ledger::empty_root(),
            imported: 0,
            rekeyed: false,
            receipt_entry: None,
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Not `#[non_exhaustive]`: the caller assembles the report from its own run, then renders it.
pub struct TransferReport {
    /// When it was written.
    pub generated_at: DateTime<Utc>,
    /// The agreement.
    pub agreement: AgreementSection,
    /// The plan's counts.
    pub plan: PlanSummary,
    /// Notices served.
    pub notices_served: u64,
    /// The package and import.
    pub package: PackageSection,
    /// The disposition's counts.
    pub disposition: DispositionCounts,
    /// Destruction certificates on the seller's ledger, by index.
    pub certificates: Vec<u64>,
    /// Every verification performed.
    pub checks: Vec<Check>,
}

/// The legal path's stable code, as reports have always written it.
fn path_code(path: TransferPath) -> &'static str {
    match path {
        TransferPath::MergerNotice => "merger_notice",
        TransferPath::SeparateConsent => "separate_consent",
        _ => "other",
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl TransferReport {
    /// Whether every check passed.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String, TransferError> {
        serde_json::to_string_pretty(self).map_err(|e| TransferError::Report {
            message: e.to_string(),
        })
    }

    /// The plan's counts, largest first, ties in key order.
    fn rows(counts: &EligibilityCounts) -> Vec<(Eligibility, u64)> {
        let mut rows: Vec<(Eligibility, u64)> = counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.key().cmp(&b.0.key())));
        rows
    }

    /// Markdown for a compliance file.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let a = &self.agreement;
        let _ = writeln!(md, "# Licence transfer report\n");
        let _ = writeln!(md, "Generated {}.\n", self.generated_at.to_rfc3339());
        let _ = writeln!(md, "## Agreement\n");
        let _ = writeln!(md, "| term | value |\n|---|---|");
        for (k, v) in [
            ("transfer", a.transfer_id.to_string()),
            ("agreement digest", a.digest.to_string()),
            ("seller", a.seller.clone()),
            ("buyer", a.buyer.clone()),
            (
                "legal path",
                format!("{} ({})", path_code(a.legal_path), a.citation),
            ),
            ("impact assessment (PIPL Art 55)", a.impact_assessment.clone()),
            ("effective", a.effective.to_string()),
            (
                "deal",
                match a.deal {
                    DealKind::ShareAcquisition => "share acquisition (nothing moves)".to_owned(),
                    _ => "book transfer".to_owned(),
                },
            ),
            (
                "records kept by",
                match a.records_kept_by {
                    RecordKeeper::Buyer => "the buyer (PIPL Art 22)".to_owned(),
                    _ => "the seller".to_owned(),
                },
            ),
        ] {
            let _ = writeln!(md, "| {k} | {v} |");
        }
        let _ = writeln!(md, "\n## Plan\n");
        let _ = writeln!(
            md,
            "{} customers planned, {} with at least one category moving.\n",
            self.plan.customers, self.plan.customers_moving
        );
        let _ = writeln!(md, "| category decisions | count |\n|---|---:|");
        for (k, v) in Self::rows(&self.plan.decisions) {
            let _ = writeln!(md, "| {} | {v} |", k.key());
        }
        if let Some(cb) = &self.plan.cross_border {
            let _ = writeln!(
                md,
                "\nCross-border to {}: this plan {} people non-sensitive and {} sensitive; this year with earlier exports and \
                 {} + {} declared outside custodia, {} non-sensitive and {} sensitive; required {}, agreed {}{} ({}).",
                cb.destination,
                cb.people_non_sensitive,
                cb.people_sensitive,
                cb.declared_outside.non_sensitive,
                cb.declared_outside.sensitive,
                cb.year_non_sensitive,
                cb.year_sensitive,
                cb.required,
                cb.agreed,
                cb.exemption
                    .map(|g| format!(", exemption under {}", g.citation()))
                    .unwrap_or_default(),
                cb.citation
            );
        }
        let _ = writeln!(md, "\n## Notices\n\n{} notices served.\n", self.notices_served);
        let p = &self.package;
        let _ = writeln!(md, "## Package and import\n");
        let _ = writeln!(
            md,
            "{} customers, {} sections ({} bytes sealed, moved unchanged) in a {}-byte package; root `{}`. \
             Buyer imported {} customers (re-keyed: {}); receipt at seller ledger entry {}.\n",
            p.customers,
            p.sections,
            p.section_bytes,
            p.package_bytes,
            hash_hex(&p.root),
            p.imported,
            p.rekeyed,
            p.receipt_entry.map_or_else(|| "-".to_owned(), |i| i.to_string())
        );
        let d = &self.disposition;
        let _ = writeln!(md, "## Disposition\n");
        let _ = writeln!(
            md,
            "{} customers decided, {} destroyed whole. Certificates at ledger entries {:?}.\n",
            d.customers, d.whole_customers, self.certificates
        );
        let _ = writeln!(
            md,
            "| holding | destroy | storage only | retain | hand over |\n|---|---:|---:|---:|---:|"
        );
        // Rows in the order of the holdings' codes, as the JSON keys are.
        let mut holdings = d.holdings();
        holdings.sort_by_key(|h| h.to_string());
        for h in holdings {
            let n = |outcome| d.count(outcome, h);
            let _ = writeln!(
                md,
                "| {h} | {} | {} | {} | {} |",
                n(DispositionOutcome::Destroy),
                n(DispositionOutcome::StorageOnly),
                n(DispositionOutcome::Retain),
                n(DispositionOutcome::HandOver)
            );
        }
        let _ = writeln!(md, "\n## Verification\n");
        for c in &self.checks {
            let _ = writeln!(
                md,
                "- [{}] {}: {}",
                if c.passed { "x" } else { " " },
                c.name,
                c.detail
            );
        }
        md
    }

    /// One self-contained HTML page: inline CSS and an inline SVG bar chart of the plan's inclusions,
    /// exclusions and pending decisions by reason. No external assets, no JavaScript.
    pub fn to_html(&self) -> String {
        let rows = Self::rows(&self.plan.decisions);
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
        let (bar_h, label_w, chart_w) = (22u64, 300u64, 420u64);
        let height = bar_h * rows.len() as u64 + 10;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"plan by reason\">",
            label_w + chart_w + 80
        );
        for (i, (eligibility, count)) in rows.iter().enumerate() {
            let key = eligibility.key();
            let y = i as u64 * bar_h + 4;
            let w = (count * chart_w / max).max(1);
            let colour = if eligibility.is_include() {
                "#2e7d32"
            } else if eligibility.is_pending() {
                "#f9a825"
            } else {
                "#c62828"
            };
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
                 <rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{colour}\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"12\">{count}</text>",
                label_w - 6,
                y + 14,
                esc(&key),
                bar_h - 6,
                label_w + w + 6,
                y + 14
            );
        }
        svg.push_str("</svg>");
        let checks: String = self
            .checks
            .iter()
            .map(|c| {
                format!(
                    "<li class=\"{}\">{} — {}</li>",
                    if c.passed { "ok" } else { "fail" },
                    esc(&c.name),
                    esc(&c.detail)
                )
            })
            .collect();
        let md = esc(&self.to_markdown());
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Licence transfer report</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}}\
             h1{{font-size:1.6em}}.ok{{color:#2e7d32}}.fail{{color:#c62828;font-weight:bold}}\
             pre{{background:#f6f6f6;padding:1em;white-space:pre-wrap}}</style></head><body>\
             <h1>Licence transfer report</h1><p>{} → {}: transfer {}, {} ({}).</p>\
             <h2>Plan: category decisions by reason</h2>{svg}<h2>Verification</h2><ul>{checks}</ul>\
             <h2>Details</h2><pre>{md}</pre></body></html>\n",
            esc(&self.agreement.seller),
            esc(&self.agreement.buyer),
            self.agreement.transfer_id,
            esc(path_code(self.agreement.legal_path)),
            esc(&self.agreement.citation)
        )
    }
}
