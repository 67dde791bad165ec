//! The routes under `/api/v1`, `/healthz`, `/openapi.json` and `/dashboard`, their handlers and the
//! OpenAPI document derived from the handlers' annotations. The route table ([`routes`]) is what the
//! router is built from and what the tests compare with the document.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use custodia_access::{Principal, PrincipalKind, Ticket};
use custodia_brokerage::{Brokerage, BrokerageError, ReadRequest};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::auth::Token;
use crate::customer::CustomerPaths;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, auditor};

/// How long a signed checkpoint is served before the next request signs a fresh one: an anonymous
/// request must not cost a ledger write each time.
pub const CHECKPOINT_REFRESH: Duration = Duration::from_secs(10);

/// A route's method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// The method's name, as OpenAPI and HTTP spell it (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One row of the route table: method, path (axum's and OpenAPI's `{param}` syntax) and handler.
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
}

pub(crate) fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    let handler = match method {
        Method::Get => get(handler),
        Method::Post => post(handler),
    };
    Route {
        method,
        path,
        handler,
    }
}

/// **The** route table: the router is built from it and [`routes`] lists it, so a route cannot be served
/// and not listed, or listed and not served (the tests compare the list with the OpenAPI document).
pub(crate) fn route_table() -> Vec<Route> {
    use Method::{Get, Post};
    let mut table = vec![
        route(Get, "/healthz", healthz),
        route(Get, "/openapi.json", openapi_json),
        route(Get, "/dashboard", crate::dashboard::dashboard),
        route(Get, "/dashboard/transfers/{id}", crate::dashboard::transfer_case),
        route(Get, "/api/v1/checkpoint", checkpoint),
        route(Post, "/api/v1/customers/{id}/read", read_customer),
        route(
            Post,
            "/api/v1/customers/{id}/consents",
            crate::consents::record_consent,
        ),
        route(Get, "/api/v1/alerts", alerts),
        route(Get, "/api/v1/rights/overdue", overdue),
        route(Get, "/api/v1/incidents/clocks", incident_clocks),
        route(Get, "/api/v1/proofs/inclusion", auditor::inclusion_proof),
        route(Get, "/api/v1/proofs/consistency", auditor::consistency_proof),
        route(Post, "/api/v1/audit-packs", auditor::export_pack),
        route(Get, "/api/v1/audit-packs", auditor::list_packs),
        route(Get, "/api/v1/audit-packs/{size}", auditor::pack_index),
        route(Get, "/api/v1/audit-packs/{size}/files/{name}", auditor::pack_file),
        route(
            Get,
            "/api/v1/customers/{id}/consents/{event}/receipt",
            auditor::consent_receipt,
        ),
    ];
    table.extend(crate::customer::routes());
    table
}

/// Every route the service serves: method and path, from the one route table the router is built from.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    route_table()
        .iter()
        .map(|r| (r.method.as_str(), r.path))
        .collect()
}

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(title = "custodia-service", description = "A brokerage's custodia service: the gated staff API, deadlines, checkpoints"),
    paths(healthz, openapi_json, crate::dashboard::dashboard, crate::dashboard::transfer_case, checkpoint, read_customer, crate::consents::record_consent, alerts, overdue, incident_clocks,
        auditor::inclusion_proof, auditor::consistency_proof, auditor::export_pack, auditor::list_packs, auditor::pack_index, auditor::pack_file, auditor::consent_receipt),
    components(schemas(ReadBody, crate::consents::ConsentBody, ErrorBody, auditor::PackSummary, auditor::PackFiles, auditor::PackFile)),
    modifiers(&BearerAuth, &CustomerPaths)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A request from a member of staff: the bearer token's principal, as stored in the brokerage now (a
/// principal removed from the store is refused even while its token is still in the tokens file).
pub struct Authenticated {
    /// The principal's record.
    pub principal: Principal,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::unauthenticated(
                "an Authorization: Bearer <token> header is needed",
            ))?;
        let text = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::unauthenticated(
                "the Authorization header is not Bearer <token>",
            ))?;
        // Hashed once: the table and the rate limit both key by the hash, and the token itself goes now.
        let hash = Token::new(text).sha256();
        let id = state
            .tokens
            .principal_by_hash(&hash)
            .cloned()
            .ok_or(ApiError::unauthenticated(
                "the bearer token is not known to this service",
            ))?;
        if let Some(limiter) = &state.limiter {
            limiter.admit(hash, Instant::now()).map_err(|seconds| {
                tracing::warn!(principal = %id, "rate limited");
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("this token's requests are over the limit; try again in {seconds} s"),
                )
            })?;
        }
        let lookup = id.clone();
        let principal = blocking(state, move |b| b.principal(&lookup))
            .await?
            .ok_or_else(|| {
                tracing::warn!(principal = %id, "token of a principal without a record");
                ApiError::unauthenticated("the bearer token's principal has no record in this brokerage")
            })?;
        Ok(Self { principal })
    }
}

impl Authenticated {
    /// Refuses a principal that is not a member of staff (a service account).
    fn staff(&self) -> Result<(), ApiError> {
        match self.principal.kind() {
            PrincipalKind::Staff => Ok(()),
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "staff_only",
                format!("principal {} is not a member of staff", self.principal.id()),
            )),
        }
    }
}

/// Runs a brokerage call on the blocking pool (the brokerage's API is synchronous).
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    call: impl FnOnce(&Brokerage) -> Result<T, BrokerageError> + Send + 'static,
) -> Result<T, ApiError> {
    let brokerage = state.brokerage.clone();
    match tokio::task::spawn_blocking(move || call(&brokerage)).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(_) => {
            tracing::error!("a brokerage call panicked or was cancelled");
            Err(ApiError::internal())
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "the service is up")))]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "the OpenAPI 3 document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> Result<Response, ApiError> {
    json(&ApiDoc::openapi())
}

/// The ledger's signed checkpoint (C2SP tlog-checkpoint note text). Public, like a transparency log's: it
/// carries the ledger's size and root and the brokerage's signature, no personal information, and an
/// auditor verifies it with the ledger's public key alone (PIPL Art 54). Signed at most every
/// [`CHECKPOINT_REFRESH`], since each signature is a ledger write.
#[utoipa::path(get, path = "/api/v1/checkpoint", responses((status = 200, description = "the signed checkpoint note", content_type = "text/plain"), (status = 500, body = ErrorBody)))]
pub(crate) async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let cached = {
        let cache = state
            .checkpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .as_ref()
            .filter(|(at, _)| at.elapsed() < CHECKPOINT_REFRESH)
            .map(|(_, text)| text.clone())
    };
    let text = match cached {
        Some(text) => text,
        None => {
            let signed = blocking(&state, |b| b.checkpoint()).await?;
            let text = String::from_utf8(signed.to_bytes()).map_err(|_| ApiError::internal())?;
            tracing::info!(size = signed.checkpoint().size(), "checkpoint signed");
            let mut cache = state
                .checkpoint
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *cache = Some((Instant::now(), text.clone()));
            text
        }
    };
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// A gated read's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    /// The categories asked for (`identity`, `policies`, …), each once, at least one.
    #[schema(value_type = Vec<String>)]
    pub categories: Vec<DataCategory>,
    /// The purpose asserted (PIPL Art 6), a custodia-model purpose code.
    #[schema(value_type = String)]
    pub purpose: Purpose,
    /// The ticket, case or incident id the read is for.
    pub ticket: Option<String>,
}

const READ_FIELDS: &[&str] = &["categories", "purpose", "ticket"];
const READ_REQUIRED: &[&str] = &["categories", "purpose"];

/// A field name from a client, echoed only if it is a short identifier.
pub(crate) fn shown_field(name: &str) -> String {
    if !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name.to_owned()
    } else {
        "(a field name that is not an identifier)".to_owned()
    }
}

/// Parses a gated read's body: a syntax error is 400; an unknown, missing or invalid field is 422 naming
/// it; serde's own messages (which quote the offending value) are never returned.
pub fn parse_read_body(bytes: &[u8]) -> Result<ReadBody, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not JSON (line {}, column {})", e.line(), e.column()),
        )
    })?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            ".".into(),
            "the body must be a JSON object",
        ));
    };
    if let Some(unknown) = object.keys().find(|k| !READ_FIELDS.contains(&k.as_str())) {
        let name = shown_field(unknown);
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            name.clone(),
            format!("unknown field {name}; the fields are categories, purpose, ticket"),
        ));
    }
    if let Some(missing) = READ_REQUIRED.iter().find(|k| !object.contains_key(**k)) {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            (*missing).to_owned(),
            format!("{missing} is required"),
        ));
    }
    let body: ReadBody = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            field.clone(),
            format!("{field} is not a valid value"),
        )
    })?;
    Ok(body)
}

fn read_request(
    principal: &Principal,
    customer: CustomerId,
    body: ReadBody,
) -> Result<ReadRequest, ApiError> {
    if body.categories.is_empty() {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "categories".into(),
            "name at least one category",
        ));
    }
    let mut categories = CategorySet::EMPTY;
    for (i, category) in body.categories.iter().enumerate() {
        if categories.contains(*category) {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("categories[{i}]"),
                format!("category {category} is named twice"),
            ));
        }
        categories.insert(*category);
    }
    let ticket = body.ticket.as_deref().map(Ticket::new).transpose().map_err(|_| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "ticket".into(),
            "ticket is not an id of the brokerage's system (no free text)",
        )
    })?;
    Ok(ReadRequest {
        principal: principal.id().clone(),
        customer,
        categories,
        purpose: body.purpose,
        ticket,
        approval: None,
    })
}

/// The customer id of a path.
pub(crate) fn customer_id(text: &str) -> Result<CustomerId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "id".into(),
            "the customer id in the path is not a customer id (a UUID)",
        )
    })
}

/// Refuses a body the extractor could not buffer: over the limit is 413.
pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "body_too_large",
                format!("the body is over the limit of {} bytes", crate::BODY_LIMIT),
            )
        } else {
            ApiError::new(status, "unreadable_body", "the body could not be read")
        }
    })
}

/// **The gated read** (issue 17) as the token's principal: the access gate decides, its entry — allow or
/// deny — goes on the ledger with the read, and only the permitted sections come back (PIPL Arts 6, 51).
/// A deny is 403 naming the denied categories and the deciding policies, never data.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{id}/read",
    params(("id" = String, Path, description = "the customer's id (UUID)")),
    request_body = ReadBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "allowed: `{customer, entry_index, categories, sections}`, each section the JSON of that part of the record", content_type = "application/json"),
        (status = 400, description = "malformed JSON or customer id", body = ErrorBody),
        (status = 401, description = "no known bearer token", body = ErrorBody),
        (status = 403, description = "denied by the gate (categories and policy ids) or an unknown principal", body = ErrorBody),
        (status = 404, description = "unknown customer", body = ErrorBody),
        (status = 413, description = "body over the limit", body = ErrorBody),
        (status = 422, description = "an unknown, missing or invalid field, named", body = ErrorBody),
    )
)]
pub(crate) async fn read_customer(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = body_bytes(body)?;
    let customer = customer_id(&id)?;
    let request = read_request(&auth.principal, customer, parse_read_body(&bytes)?)?;
    let principal = auth.principal.id().clone();
    let outcome = blocking(&state, move |b| b.read(request)).await;
    let got = match outcome {
        Ok(got) => got,
        Err(e) => {
            if e.body().error == "access_denied" {
                tracing::info!(customer = %customer, principal = %principal, denied = e.body().denied.len(), "gated read denied");
            }
            return Err(e);
        }
    };
    tracing::info!(customer = %customer, principal = %principal, entry_index = got.entry_index, sections = got.sections.len(), "gated read allowed");
    // The sections are spliced in as the JSON they are stored as; the buffer is the response's from here.
    let mut out = Vec::with_capacity(256 + got.sections.iter().map(|(_, s)| s.len()).sum::<usize>());
    out.extend_from_slice(b"{\"customer\":");
    out.extend(serde_json::to_vec(&customer).map_err(|_| ApiError::internal())?);
    out.extend_from_slice(format!(",\"entry_index\":{},\"categories\":", got.entry_index).as_bytes());
    let permitted: Vec<DataCategory> = got.permit.categories().iter().collect();
    out.extend(serde_json::to_vec(&permitted).map_err(|_| ApiError::internal())?);
    out.extend_from_slice(b",\"sections\":{");
    for (i, (category, plain)) in got.sections.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(serde_json::to_vec(category).map_err(|_| ApiError::internal())?);
        out.push(b':');
        out.extend_from_slice(plain);
    }
    out.extend_from_slice(b"}}");
    Ok(([(header::CONTENT_TYPE, "application/json")], out).into_response())
}

/// The access monitors' stored alerts (bulk reads, sensitive reads, off-hours), oldest first.
#[utoipa::path(get, path = "/api/v1/alerts", security(("bearer" = [])), responses((status = 200, description = "the alerts", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn alerts(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    auth.staff()?;
    let alerts = blocking(&state, |b| b.alerts()).await?;
    tracing::debug!(principal = %auth.principal.id(), alerts = alerts.len(), "alerts listed");
    json(&alerts)
}

/// The customers' requests whose deadline has closed (PIPL Art 50; GDPR Art 12(3)), earliest first.
#[utoipa::path(get, path = "/api/v1/rights/overdue", security(("bearer" = [])), responses((status = 200, description = "the overdue requests", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn overdue(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    auth.staff()?;
    let overdue = blocking(&state, |b| b.overdue_requests()).await?;
    tracing::debug!(principal = %auth.principal.id(), overdue = overdue.len(), "overdue requests listed");
    json(&overdue)
}

/// Every incident's reporting clocks now (PIPL Art 57; GDPR Arts 33, 34).
#[utoipa::path(get, path = "/api/v1/incidents/clocks", security(("bearer" = [])), responses((status = 200, description = "`[{incident, clocks}]`", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn incident_clocks(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    auth.staff()?;
    let clocks = blocking(&state, |b| b.incident_clocks()).await?;
    tracing::debug!(principal = %auth.principal.id(), incidents = clocks.len(), "incident clocks listed");
    let rows: Vec<serde_json::Value> = clocks
        .into_iter()
        .map(|(incident, clocks)| serde_json::json!({ "incident": incident, "clocks": clocks }))
        .collect();
    json(&rows)
}

/// Any other path: a typed 404.
pub(crate) async fn no_such_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_route",
        "no such route; see /openapi.json",
    )
}

/// A known path with another method: a typed 405.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /openapi.json",
    )
}

/// Staff-only check for the dashboard.
pub(crate) fn require_staff(auth: &Authenticated) -> Result<(), ApiError> {
    auth.staff()
}

/// A page's HTML response.
pub(crate) fn html(text: String) -> Response {
    Html(text).into_response()
}
