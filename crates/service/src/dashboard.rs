//! The compliance officer's dashboard (issue 21): one server-rendered page of the access monitors' alerts,
//! the overdue rights requests and the incidents' reporting clocks, from an `askama` template (HTML
//! auto-escaped), in zh-CN with a CJK font stack declared so that Chinese names never render as boxes.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, SecondsFormat, Utc};
use custodia_access::Alert;
use custodia_oversight::{ClockState, IncidentId};
use custodia_rights::Overdue;

use crate::AppState;
use crate::api::{Authenticated, blocking, html, require_staff};
use crate::error::{ApiError, ErrorBody};

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
        alerts: &[Alert],
        overdue: &[Overdue],
        clocks: &[(IncidentId, Vec<ClockState>)],
    ) -> Self {
        Self {
            now: time(now),
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
    let (now, alerts, overdue, clocks) = blocking(&state, |b| {
        Ok((b.now(), b.alerts()?, b.overdue_requests()?, b.incident_clocks()?))
    })
    .await?;
    tracing::debug!(principal = %auth.principal.id(), alerts = alerts.len(), overdue = overdue.len(), incidents = clocks.len(), "dashboard rendered");
    let page = Dashboard::of(now, &alerts, &overdue, &clocks);
    let text = page.render().map_err(|_| {
        tracing::error!("dashboard template failed");
        ApiError::internal()
    })?;
    Ok(html(text))
}
