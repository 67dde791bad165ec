//! The compliance officer's dashboard (issue 21): one server-rendered page of the transfer cases, the access
//! monitors' alerts, the overdue rights requests and the incidents' reporting clocks, and one page per
//! transfer case with its status and plan chart (the closed case's whole report), from `askama` templates
//! (HTML auto-escaped), in zh-CN with a CJK font stack declared so that Chinese names never render as boxes.
//! The pages extend custodia-transfer's `layout.html` and `style.css` and include its `plan_chart.html` and
//! `report_body.html` (`askama.toml` lists that crate's `templates/`): the dashboard and the library's report
//! page are one design from one set of files.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use custodia_access::Alert;
use custodia_brokerage::{Brokerage, BrokerageError, CaseListing, CaseState};
use custodia_model::TransferId;
use custodia_oversight::{ClockState, IncidentId};
use custodia_rights::Overdue;
use custodia_transfer::{AgreementSection, PlanChart, ReportView, SignedAgreement};

use crate::AppState;
use crate::api::{Authenticated, blocking, html, require_staff};
use crate::error::{ApiError, ErrorBody};

/// One transfer case's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// The transfer id (its page is `/dashboard/transfers/{transfer}`).
    pub transfer: String,
    /// `seller` or `buyer`.
    pub role: String,
    /// Where the case stands (the state's code).
    pub state: String,
}

/// One alert's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRow {
    /// What was seen (the alert kind's code).
    pub kind: String,
    /// How urgent.
    pub severity: String,
    /// Whose reads.
    pub principal: String,
    /// When.
    pub at: String,
    /// The ledger indices of the access entries behind it.
    pub entries: String,
}

/// One overdue request's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueRow {
    /// The request id.
    pub request: String,
    /// The customer id.
    pub customer: String,
    /// Its kind.
    pub kind: String,
    /// Its state.
    pub state: String,
    /// When its deadline closed.
    pub closed_at: String,
}

/// One reporting clock's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockRow {
    /// The incident id.
    pub incident: String,
    /// The duty.
    pub duty: String,
    /// When it falls due ("—" when the source sets no figure).
    pub due: String,
    /// When it was met ("—" when not yet).
    pub met: String,
    /// Whether it is past due and unmet.
    pub overdue: bool,
    /// Where the duty comes from.
    pub source: String,
}

/// The dashboard page.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    /// When it was rendered (the brokerage's clock).
    pub now: String,
    /// The transfer cases.
    pub cases: Vec<CaseRow>,
    /// The alerts.
    pub alerts: Vec<AlertRow>,
    /// The overdue requests.
    pub overdue: Vec<OverdueRow>,
    /// The clocks.
    pub clocks: Vec<ClockRow>,
}

/// A value's serde code (`"high"` → `high`), or its compact JSON when it is not a plain string.
fn code<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Dashboard {
    /// The page of the brokerage's lists.
    pub fn of(
        now: DateTime<Utc>,
        cases: &[CaseListing],
        alerts: &[Alert],
        overdue: &[Overdue],
        clocks: &[(IncidentId, Vec<ClockState>)],
    ) -> Self {
        Self {
            now: time(now),
            cases: cases
                .iter()
                .map(|c| CaseRow {
                    transfer: c.transfer.to_string(),
                    role: c.role.to_string(),
                    state: code(&c.state),
                })
                .collect(),
            alerts: alerts
                .iter()
                .map(|a| AlertRow {
                    kind: code(&a.kind),
                    severity: code(&a.severity),
                    principal: a.principal.as_str().to_owned(),
                    at: time(a.at),
                    entries: a
                        .entries
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            overdue: overdue
                .iter()
                .map(|o| OverdueRow {
                    request: o.request.to_string(),
                    customer: o.customer.to_string(),
                    kind: code(&o.kind),
                    state: code(&o.state),
                    closed_at: time(o.closed_at),
                })
                .collect(),
            clocks: clocks
                .iter()
                .flat_map(|(incident, states)| {
                    states.iter().map(move |c| ClockRow {
                        incident: incident.to_string(),
                        duty: code(&c.duty),
                        due: c.due.map_or_else(|| "—".to_owned(), time),
                        met: c.met.map_or_else(|| "—".to_owned(), time),
                        overdue: c.overdue,
                        source: c.source.clone(),
                    })
                })
                .collect(),
        }
    }
}

/// The compliance dashboard (staff only).
#[utoipa::path(get, path = "/dashboard", security(("bearer" = [])), responses((status = 200, description = "the dashboard page", content_type = "text/html"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    require_staff(&auth)?;
    let (now, cases, alerts, overdue, clocks) = blocking(&state, |b| {
        Ok((
            b.now(),
            b.transfer_cases()?,
            b.alerts()?,
            b.overdue_requests()?,
            b.incident_clocks()?,
        ))
    })
    .await?;
    tracing::debug!(principal = %auth.principal.id(), cases = cases.len(), alerts = alerts.len(), overdue = overdue.len(), incidents = clocks.len(), "dashboard rendered");
    let page = Dashboard::of(now, &cases, &alerts, &overdue, &clocks);
    let text = page.render().map_err(|_| {
        tracing::error!("dashboard template failed");
        ApiError::internal()
    })?;
    Ok(html(text))
}

/// A transfer case's status as its page shows it: ids, names of organizations, codes; nothing personal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseStatus {
    /// `seller` or `buyer`.
    pub role: String,
    /// Where the case stands (the state's code).
    pub state: String,
    /// The seller's name.
    pub seller: String,
    /// The buyer's name.
    pub buyer: String,
    /// The legal path's code and citation.
    pub legal_path: String,
    /// The agreement's effective date.
    pub effective: String,
}

impl CaseStatus {
    fn of(agreement: &SignedAgreement, role: &str, state: CaseState) -> Self {
        let a = AgreementSection::of(agreement);
        Self {
            role: role.to_owned(),
            state: code(&state),
            seller: a.seller,
            buyer: a.buyer,
            legal_path: format!("{} ({})", code(&a.legal_path), a.citation),
            effective: a.effective.to_string(),
        }
    }
}

/// One transfer case's page: its status, and the plan chart — the plan as it would be now (the seller
/// case's read-only preview, PIPL Art 22's objection window and the answers so far counted in), or, once
/// the case is closed, the report's final plan and the whole report, from custodia-transfer's templates.
/// No case: the page says so.
#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    /// When it was rendered (the brokerage's clock).
    pub now: String,
    /// The transfer id asked for.
    pub transfer: String,
    /// The case, if this brokerage has one for the transfer.
    pub case: Option<CaseStatus>,
    /// The plan chart (seller cases).
    pub chart: Option<PlanChart>,
    /// The report, once the seller case is closed.
    pub report: Option<ReportView>,
}

impl CasePage {
    /// The page of `transfer` in `brokerage`: its seller case if it has one, else its buyer case, else none.
    pub fn load(brokerage: &Brokerage, transfer: TransferId) -> Result<Self, BrokerageError> {
        let mut page = Self {
            now: time(brokerage.now()),
            transfer: transfer.to_string(),
            case: None,
            chart: None,
            report: None,
        };
        match brokerage.seller_case(transfer) {
            Ok(case) => {
                let state = case.state()?;
                page.case = Some(CaseStatus::of(case.agreement(), "seller", state));
                if state == CaseState::Closed {
                    let report = case.report()?;
                    page.chart = Some(PlanChart::of(&report.plan));
                    page.report = Some(report.view());
                } else {
                    page.chart = Some(PlanChart::of(&case.preview_plan()?));
                }
                return Ok(page);
            }
            Err(BrokerageError::NoSuchCase { .. }) => {}
            Err(e) => return Err(e),
        }
        match brokerage.buyer_case(transfer) {
            Ok(case) => {
                page.case = Some(CaseStatus::of(case.agreement(), "buyer", case.state()?));
                Ok(page)
            }
            Err(BrokerageError::NoSuchCase { .. }) => Ok(page),
            Err(e) => Err(e),
        }
    }
}

/// A transfer case's page (staff only); 404 with a page saying so when the brokerage has no such case.
#[utoipa::path(get, path = "/dashboard/transfers/{id}", security(("bearer" = [])), params(("id" = String, Path, description = "the transfer id (a UUID)")), responses((status = 200, description = "the case's status and plan chart", content_type = "text/html"), (status = 404, description = "no such case: a page saying so", content_type = "text/html"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn transfer_case(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_staff(&auth)?;
    let transfer: TransferId = id.parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "id".into(),
            "the transfer id in the path is not a transfer id (a UUID)",
        )
    })?;
    let page = blocking(&state, move |b| CasePage::load(b, transfer)).await?;
    tracing::debug!(principal = %auth.principal.id(), transfer = %transfer, found = page.case.is_some(), "transfer case page rendered");
    let status = if page.case.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let text = page.render().map_err(|_| {
        tracing::error!("transfer case template failed");
        ApiError::internal()
    })?;
    Ok((status, html(text)).into_response())
}
