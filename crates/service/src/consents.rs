//! `POST /api/v1/customers/{id}/consents`: a member of staff records one consent event for a customer
//! (a grant, refusal, withdrawal, objection, a guardian's grant, a notice served) through the brokerage's
//! consent path, [`Brokerage::record_consent_event`](custodia_brokerage::Brokerage::record_consent_event).
//!
//! The event id is chosen by the client and is its idempotency key: a request whose answer was lost is
//! sent again with the same id and body, and the answer names the entry the first attempt appended
//! (`fresh: false`) — an event is on the ledger once however often it is sent. The time of recording is
//! the brokerage's clock and the recorder is the token's principal: neither is taken from the body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use custodia_consent::{
    Channel, ConsentError, ConsentEvent, ConsentForm, ConsentScope, Digest, EventDraft, EventId, EventKind,
    NoticeRef,
};
use custodia_model::CustomerId;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{Authenticated, blocking, body_bytes, customer_id, require_staff, shown_field};
use crate::error::{ApiError, ErrorBody};

/// A consent event's body. Every field is named in a 422 when it is unknown, missing or invalid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// The event's id (a UUID the client chooses): the idempotency key of the request, and the id a
    /// consent receipt is later issued under.
    #[schema(value_type = String)]
    pub event: EventId,
    /// What happened: `notice_served`, `granted`, `refused`, `withdrawn`, `objected`, `provided`, or
    /// `{"guardian_granted": {"guardian": <uuid>}}` (PIPL Arts 14–17, 23, 31, 44).
    #[schema(value_type = Object)]
    pub kind: EventKind,
    /// What it is about: `{purposes, categories, recipient, destinations}`, purposes and categories not
    /// empty (PIPL Art 14: consent is specific).
    #[schema(value_type = Object)]
    pub scope: ConsentScope,
    /// `separate` (单独同意, PIPL Arts 23, 29, 39) or `bundled`.
    #[schema(value_type = String)]
    pub form: ConsentForm,
    /// The notice version the customer was shown, `{id, version}`; it must be published here.
    #[schema(value_type = Object)]
    pub notice: NoticeRef,
    /// How it reached the brokerage: `web`, `mobile_app`, `paper`, `phone`, `in_person`, `email`, `sms`,
    /// `other`.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// SHA-256 (hex) of the evidence the brokerage keeps (form scan, session log, call recording).
    #[schema(value_type = String)]
    pub evidence: Digest,
    /// When it took effect (RFC 3339).
    #[schema(value_type = String)]
    pub effective_at: DateTime<Utc>,
    /// When a grant lapses, if it does (RFC 3339; only on a grant, after `effective_at`).
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<DateTime<Utc>>,
}

const CONSENT_FIELDS: &[&str] = &[
    "event",
    "kind",
    "scope",
    "form",
    "notice",
    "channel",
    "evidence",
    "effective_at",
    "expires_at",
];
const CONSENT_REQUIRED: &[&str] = &[
    "event",
    "kind",
    "scope",
    "form",
    "notice",
    "channel",
    "evidence",
    "effective_at",
];

/// Parses a JSON object body of `fields` (`required` among them): a syntax error is 400; an unknown,
/// missing or invalid field is 422 naming it (serde's messages, which quote values, are never returned).
pub(crate) fn parse_object<T: DeserializeOwned>(
    bytes: &[u8],
    fields: &[&str],
    required: &[&str],
) -> Result<T, ApiError> {
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
    if let Some(unknown) = object.keys().find(|k| !fields.contains(&k.as_str())) {
        let name = shown_field(unknown);
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            name.clone(),
            format!("unknown field {name}; the fields are {}", fields.join(", ")),
        ));
    }
    if let Some(missing) = required.iter().find(|k| !object.contains_key(**k)) {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            (*missing).to_owned(),
            format!("{missing} is required"),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        // The path is made of the body's own field names (checked above) and indices, or nested keys;
        // each segment is shown only if it is an identifier.
        let field = e
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => shown_field(key),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        let field = if field.is_empty() { ".".to_owned() } else { field };
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            field.clone(),
            format!("{field} is not a valid value"),
        )
    })
}

/// The event the body describes, for `customer`, recorded now by the token's principal.
fn consent_event(
    auth: &Authenticated,
    customer: CustomerId,
    body: ConsentBody,
    now: DateTime<Utc>,
) -> Result<ConsentEvent, ApiError> {
    ConsentEvent::new(EventDraft {
        id: body.event,
        customer,
        kind: body.kind,
        scope: body.scope,
        form: body.form,
        notice: body.notice,
        channel: body.channel,
        evidence: body.evidence,
        effective_at: body.effective_at,
        recorded_at: now,
        recorded_by: auth.principal.id().clone(),
        expires_at: body.expires_at,
    })
    .map_err(|e| {
        let field = match &e {
            ConsentError::InvalidTime { field, .. } => field.strip_prefix("event.").unwrap_or(field),
            _ => ".",
        };
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            field.to_owned(),
            match e {
                ConsentError::InvalidTime { detail, .. } => format!("{field}: {detail}"),
                _ => "the event is not valid".to_owned(),
            },
        )
    })
}

/// **Records a consent event** for the customer, as the token's principal (staff only), on the ledger
/// through the brokerage's consent path (PIPL Arts 14–17: the controller can show the consent it relies
/// on). `201` when appended now, `200` when a request with the same event id and content already was
/// (the answer names that entry): a client retries until it gets either, and the event is on the ledger
/// once.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{id}/consents",
    params(("id" = String, Path, description = "the customer's id (UUID)")),
    request_body = ConsentBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "recorded now: `{customer, event, entry_index, fresh: true}`", content_type = "application/json"),
        (status = 200, description = "already recorded by an earlier attempt: `{customer, event, entry_index, fresh: false}`", content_type = "application/json"),
        (status = 400, description = "malformed JSON or customer id", body = ErrorBody),
        (status = 401, description = "no known bearer token", body = ErrorBody),
        (status = 403, description = "not a member of staff", body = ErrorBody),
        (status = 404, description = "unknown customer", body = ErrorBody),
        (status = 409, description = "the event id is recorded with other content", body = ErrorBody),
        (status = 413, description = "body over the limit", body = ErrorBody),
        (status = 422, description = "an unknown, missing or invalid field, named; a notice not published here is `notice`", body = ErrorBody),
    )
)]
pub(crate) async fn record_consent(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_staff(&auth)?;
    let bytes = body_bytes(body)?;
    let customer = customer_id(&id)?;
    let body: ConsentBody = parse_object(&bytes, CONSENT_FIELDS, CONSENT_REQUIRED)?;
    let event = consent_event(&auth, customer, body, state.brokerage().now())?;
    let event_id = event.id();
    let recorded = blocking(&state, move |b| b.record_consent_event(&event)).await?;
    tracing::info!(customer = %customer, principal = %auth.principal.id(), event = %event_id, entry_index = recorded.entry_index, fresh = recorded.fresh, "consent recorded");
    let status = if recorded.fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = serde_json::json!({
        "customer": customer,
        "event": event_id,
        "entry_index": recorded.entry_index,
        "fresh": recorded.fresh,
    });
    let body = serde_json::to_vec(&body).map_err(|_| ApiError::internal())?;
    Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}
