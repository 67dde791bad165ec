//! The compliance officer's report: plan, notices, package, import and disposition as JSON, Markdown and one
//! self-contained HTML page with an inline SVG chart. Ids, counts and digests only, never personal information.
//!
//! The HTML page is rendered by `askama` templates (HTML auto-escaped: a party's name with markup in it is
//! shown as text) from `templates/` of this crate: `layout.html` and `style.css` (the one layout and
//! stylesheet of custodia's pages, `lang` set and a CJK font stack declared), `report.html`,
//! `report_body.html` and `plan_chart.html`. The view types [`ReportView`] and [`PlanChart`] are public so
//! that custodia-service's dashboard renders the same templates (it lists this crate's `templates/` in its
//! `askama.toml`).

use std::fmt::Write as _;

use askama::Template;
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
        let _ = writeln!(md, "# Licence transfer report\n");
        let _ = writeln!(md, "Generated {}.\n", self.generated_at.to_rfc3339());
        let _ = writeln!(md, "## Agreement\n");
        let _ = writeln!(md, "| term | value |\n|---|---|");
        for (k, v) in self.agreement_rows() {
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
        if let Some(text) = self.cross_border_text() {
            let _ = writeln!(md, "\n{text}");
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

    /// The agreement's terms as the Markdown and HTML tables show them.
    fn agreement_rows(&self) -> [(&'static str, String); 9] {
        let a = &self.agreement;
        [
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
        ]
    }

    /// The cross-border check in one sentence (PIPL Arts 38–40), when the plan has one.
    fn cross_border_text(&self) -> Option<String> {
        let cb = self.plan.cross_border.as_ref()?;
        Some(format!(
            "Cross-border to {}: this plan {} people non-sensitive and {} sensitive; this year with earlier exports and \
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
        ))
    }

    /// The report as the templates show it: every section as rows of text, formatted once here.
    pub fn view(&self) -> ReportView {
        let a = &self.agreement;
        let p = &self.package;
        let d = &self.disposition;
        let row = |term: &str, value: String| Row {
            term: term.to_owned(),
            value,
        };
        let mut holdings = d.holdings();
        holdings.sort_by_key(|h| h.to_string());
        ReportView {
            generated_at: self.generated_at.to_rfc3339(),
            seller: a.seller.clone(),
            buyer: a.buyer.clone(),
            transfer: a.transfer_id.to_string(),
            legal_path: format!("{} ({})", path_code(a.legal_path), a.citation),
            agreement: self
                .agreement_rows()
                .into_iter()
                .map(|(k, v)| row(k, v))
                .collect(),
            counts: vec![
                row("customers planned", self.plan.customers.to_string()),
                row(
                    "customers with a category moving",
                    self.plan.customers_moving.to_string(),
                ),
                row("notices served", self.notices_served.to_string()),
                row("customers packaged", p.customers.to_string()),
                row("sections packaged", p.sections.to_string()),
                row("bytes sealed (moved unchanged)", p.section_bytes.to_string()),
                row("package bytes", p.package_bytes.to_string()),
                row("customers imported by the buyer", p.imported.to_string()),
                row("buyer re-keyed", if p.rekeyed { "yes" } else { "no" }.to_owned()),
                row(
                    "receipt at seller ledger entry",
                    p.receipt_entry.map_or_else(|| "—".to_owned(), |i| i.to_string()),
                ),
                row("customers decided (disposition)", d.customers.to_string()),
                row("customers destroyed whole", d.whole_customers.to_string()),
            ],
            cross_border: self.cross_border_text(),
            holdings: holdings
                .into_iter()
                .map(|h| {
                    let n = |outcome| d.count(outcome, h);
                    HoldingRow {
                        holding: h.to_string(),
                        destroy: n(DispositionOutcome::Destroy),
                        storage_only: n(DispositionOutcome::StorageOnly),
                        retain: n(DispositionOutcome::Retain),
                        hand_over: n(DispositionOutcome::HandOver),
                    }
                })
                .collect(),
            certificates: self
                .certificates
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            checks: self
                .checks
                .iter()
                .map(|c| CheckRow {
                    name: c.name.clone(),
                    passed: c.passed,
                    detail: c.detail.clone(),
                })
                .collect(),
            all_passed: self.all_passed(),
            roots: vec![
                row("package manifest root", hash_hex(&p.root)),
                row("agreement digest (SHA-256)", a.digest.to_string()),
            ],
        }
    }

    /// One self-contained HTML page from the templates (module docs): the agreement and parties, the
    /// counts, the plan as an inline SVG bar chart of inclusions, exclusions and pending decisions by
    /// reason and as a table, the disposition, every check with pass or fail, and the roots. Inline CSS, no
    /// external assets, no JavaScript; every value HTML-escaped.
    pub fn to_html(&self) -> String {
        let page = ReportPage {
            report: self.view(),
            chart: PlanChart::of(&self.plan),
        };
        match page.render() {
            Ok(mut html) => {
                html.push('\n');
                html
            }
            // Rendering writes only strings and integers into a String: it cannot fail. Were it to, the
            // page says so rather than showing half a report.
            Err(_) => "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Licence transfer report</title></head>\
                       <body><p>The report could not be rendered; see report.json or report.md.</p></body></html>\n"
                .to_owned(),
        }
    }
}

/// The standalone report page.
#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    report: ReportView,
    chart: PlanChart,
}

/// A term and its value, as one table row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The term.
    pub term: String,
    /// Its value.
    pub value: String,
}

/// One holding's disposition counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldingRow {
    /// The holding's code.
    pub holding: String,
    /// How many are destroyed.
    pub destroy: u64,
    /// How many are restricted to storage.
    pub storage_only: u64,
    /// How many are retained.
    pub retain: u64,
    /// How many are handed over.
    pub hand_over: u64,
}

/// One check's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRow {
    /// What was verified.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Details.
    pub detail: String,
}

/// A [`TransferReport`] as the templates show it (`templates/report_body.html`): text and counts, escaped
/// by the template when rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportView {
    /// When the report was written (RFC 3339).
    pub generated_at: String,
    /// The seller's name.
    pub seller: String,
    /// The buyer's name.
    pub buyer: String,
    /// The transfer id.
    pub transfer: String,
    /// The legal path's code and citation.
    pub legal_path: String,
    /// The agreement's terms.
    pub agreement: Vec<Row>,
    /// The plan's, notices', package's, import's and disposition's counts.
    pub counts: Vec<Row>,
    /// The cross-border check in one sentence, when there is one.
    pub cross_border: Option<String>,
    /// The disposition by holding.
    pub holdings: Vec<HoldingRow>,
    /// The destruction certificates' ledger indices, comma-separated.
    pub certificates: String,
    /// Every check.
    pub checks: Vec<CheckRow>,
    /// Whether every check passed.
    pub all_passed: bool,
    /// The package's manifest root and the agreement's digest.
    pub roots: Vec<Row>,
}

/// One bar of the plan chart (and one row of its table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanBar {
    /// The decision's stable key (`include`, `exclude:objected`, …).
    pub key: String,
    /// How many category decisions.
    pub count: u64,
    /// `include`, `exclude` or `pending` (also the row's CSS class).
    pub class: &'static str,
    /// The bar's colour.
    pub colour: &'static str,
    /// The bar's top.
    pub y: u64,
    /// The baseline of its labels.
    pub text_y: u64,
    /// The bar's width.
    pub width: u64,
    /// Where its count is written.
    pub count_x: u64,
}

/// A plan's category decisions by reason, laid out as an SVG bar chart (`templates/plan_chart.html`),
/// largest first, ties in key order: the report's plan, or a case's preview on the service's dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanChart {
    /// Customers planned.
    pub customers: u64,
    /// Customers with at least one category moving.
    pub customers_moving: u64,
    /// Category decisions included.
    pub included: u64,
    /// Category decisions excluded.
    pub excluded: u64,
    /// Category decisions pending.
    pub pending: u64,
    /// The chart's width.
    pub width: u64,
    /// The chart's height.
    pub height: u64,
    /// Where the labels end (right-aligned).
    pub label_x: u64,
    /// Where the bars start.
    pub bar_x: u64,
    /// Each bar's height.
    pub bar_height: u64,
    /// The bars.
    pub bars: Vec<PlanBar>,
}

impl PlanChart {
    /// The chart of `plan`.
    pub fn of(plan: &PlanSummary) -> Self {
        let rows = TransferReport::rows(&plan.decisions);
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
        let (bar_h, label_w, chart_w) = (22u64, 300u64, 420u64);
        let bars = rows
            .iter()
            .enumerate()
            .map(|(i, (eligibility, count))| {
                let y = i as u64 * bar_h + 4;
                let width = (count * chart_w / max).max(1);
                let (class, colour) = if eligibility.is_include() {
                    ("include", "#2e7d32")
                } else if eligibility.is_pending() {
                    ("pending", "#f9a825")
                } else {
                    ("exclude", "#c62828")
                };
                PlanBar {
                    key: eligibility.key(),
                    count: *count,
                    class,
                    colour,
                    y,
                    text_y: y + 14,
                    width,
                    count_x: label_w + width + 6,
                }
            })
            .collect();
        Self {
            customers: plan.customers,
            customers_moving: plan.customers_moving,
            included: plan.decisions.included(),
            excluded: plan.decisions.excluded(),
            pending: plan.decisions.pending(),
            width: label_w + chart_w + 80,
            height: bar_h * rows.len() as u64 + 10,
            label_x: label_w - 6,
            bar_x: label_w,
            bar_height: bar_h - 6,
            bars,
        }
    }
}
