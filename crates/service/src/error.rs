//! The service's typed JSON errors: `{ "error": <code>, "message": <text>, ... }` with a proper status. A
//! message never carries a personal value (PIPL Art 51: the service must not leak what it guards); the
//! extra fields are ids, field paths, category codes and policy ids only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodia_brokerage::BrokerageError;
use custodia_model::{CustomerId, DataCategory};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code (`unauthenticated`, `access_denied`, `unknown_customer`, `invalid_field`, …).
    pub error: &'static str,
    /// A sentence for a person, without personal information.
    pub message: String,
    /// The request field at fault, for `invalid_field`, `unknown_field`, `missing_field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The customer id, for `unknown_customer` and `customer_erased`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub customer: Option<CustomerId>,
    /// For `access_denied`: each denied category with the policies that decided it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denied: Vec<DeniedCategory>,
    /// For `access_denied`: every deciding policy id, each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// One denied category of an `access_denied` error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeniedCategory {
    /// The category's code.
    #[schema(value_type = String)]
    pub category: DataCategory,
    /// The policy ids that decided (a forbid, or a requirement that failed).
    pub policies: Vec<String>,
}

/// An error the service answers with.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: an error travels up many frames and should stay small.
    body: Box<ErrorBody>,
}

impl ApiError {
    /// An error of `status` with `code` and `message` and nothing else.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                error: code,
                message: message.into(),
                field: None,
                customer: None,
                denied: Vec::new(),
                policies: Vec::new(),
            }),
        }
    }

    /// 401: no usable bearer token.
    pub fn unauthenticated(message: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// A request field at fault (`status` 400 or 422).
    pub fn field(status: StatusCode, code: &'static str, field: String, message: impl Into<String>) -> Self {
        let mut e = Self::new(status, code, message);
        e.body.field = Some(field);
        e
    }

    /// 500: something failed inside; the body says nothing more (the event on the log names the kind).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service failed to answer; the operator's log has the event",
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl From<BrokerageError> for ApiError {
    fn from(e: BrokerageError) -> Self {
        match e {
            BrokerageError::UnknownCustomer { customer } => {
                let mut out = Self::new(
                    StatusCode::NOT_FOUND,
                    "unknown_customer",
                    format!("customer {customer} is not known to this brokerage"),
                );
                out.body.customer = Some(customer);
                out
            }
            BrokerageError::CustomerErased { customer } => {
                let mut out = Self::new(
                    StatusCode::GONE,
                    "customer_erased",
                    format!("customer {customer} was erased"),
                );
                out.body.customer = Some(customer);
                out
            }
            BrokerageError::AdoptedFactsMissing { customer } => {
                let mut out = Self::new(
                    StatusCode::CONFLICT,
                    "adopted_facts_missing",
                    format!(
                        "customer {customer} was adopted from a package and their facts are not recorded yet"
                    ),
                );
                out.body.customer = Some(customer);
                out
            }
            BrokerageError::AccessDenied(denied) => {
                let mut out = Self::new(
                    StatusCode::FORBIDDEN,
                    "access_denied",
                    "the access gate denied the read; its decision is on the ledger",
                );
                out.body.customer = Some(denied.entry().customer());
                out.body.denied = denied
                    .denied()
                    .map(|o| DeniedCategory {
                        category: o.category(),
                        policies: o
                            .policies()
                            .iter()
                            .chain(o.failed())
                            .map(|p| p.id().to_owned())
                            .collect(),
                    })
                    .collect();
                out.body.policies = denied.policies().iter().map(|p| p.id().to_owned()).collect();
                out
            }
            BrokerageError::UnknownPrincipal { principal } => Self::new(
                StatusCode::FORBIDDEN,
                "unknown_principal",
                format!("principal {principal} has no record in this brokerage"),
            ),
            BrokerageError::EventConflict { event } => Self::new(
                StatusCode::CONFLICT,
                "event_conflict",
                format!("consent event {event} is already recorded with other content"),
            ),
            BrokerageError::InvalidInput { field, .. } => Self::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                field.to_owned(),
                format!("{field} is not acceptable"),
            ),
            other => {
                tracing::error!(error = %other, "brokerage call failed");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(*self.body)).into_response()
    }
}
