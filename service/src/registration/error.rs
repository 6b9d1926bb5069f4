//! The one error type of the service's handlers. Every refusal is a JSON body
//! `{"error": {"code", "field", "message"}}` with a 4xx status, so a phone app (or a person
//! with curl) learns which field broke which rule; store failures are a 500 whose body does not
//! leak database details (they go to the log).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::field::FieldError;
use super::store::StoreError;

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A field broke a rule (422).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The request could not be read (400, 413 or 415), or its route does not take the method
    /// (405).
    #[error("{message}")]
    BadRequest {
        /// 400, 405, 413 or 415.
        status: StatusCode,
        /// A stable machine-readable name (`malformed_json`).
        code: &'static str,
        /// What a person reads.
        message: String,
    },
    /// No such thing (404).
    #[error("{0}")]
    NotFound(String),
    /// The database failed (500).
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// Something that should not fail did (500); the detail goes to the log only.
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    pub(crate) fn invalid(
        field: &'static str,
        code: &'static str,
        message: String,
    ) -> ServiceError {
        ServiceError::Invalid(FieldError::new(field, code, message))
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ServiceError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::BadRequest { status, .. } => *status,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Store(_) | ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid(e) => e.code,
            ServiceError::BadRequest { code, .. } => code,
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Store(_) => "storage_failed",
            ServiceError::Internal(_) => "internal",
        }
    }

    pub(crate) fn from_json_rejection(rejection: JsonRejection, limit: usize) -> ServiceError {
        let status = rejection.status();
        let (code, message) = match &rejection {
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => (
                "body_too_large",
                format!("the request body is larger than the limit of {limit} bytes"),
            ),
            JsonRejection::MissingJsonContentType(_) => (
                "not_json",
                "the request body must be JSON, sent with Content-Type: application/json".into(),
            ),
            JsonRejection::JsonSyntaxError(e) => ("malformed_json", e.body_text()),
            JsonRejection::JsonDataError(e) => ("wrong_fields", e.body_text()),
            other => ("unreadable_body", other.body_text()),
        };
        ServiceError::BadRequest {
            status: if status == StatusCode::UNPROCESSABLE_ENTITY {
                StatusCode::BAD_REQUEST
            } else {
                status
            },
            code,
            message,
        }
    }

    pub(crate) fn from_query_rejection(rejection: QueryRejection) -> ServiceError {
        ServiceError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "bad_query",
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        match &self {
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "registration service storage failed")
            }
            ServiceError::Internal(e) => tracing::error!(error = %e, "registration service failed"),
            _ => {}
        }
        let field = match &self {
            ServiceError::Invalid(e) => Some(e.field),
            _ => None,
        };
        error_response(self.status(), self.code(), field, &self.to_string())
    }
}

/// The body of every refusal, `{"error": {"code", "field", "message"}}`, with its status; for
/// the routes of the layers above, which answer their own errors in the same shape.
pub(crate) fn error_response(
    status: StatusCode,
    code: &str,
    field: Option<&str>,
    message: &str,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            field: field.map(str::to_owned),
            message: message.to_owned(),
        },
    };
    (status, Json(body)).into_response()
}

/// Every refusal's body (the OpenAPI document's `ErrorBody`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {"code": "out_of_range", "field": "limit", "message": "limit 0 is out of range 1..=1000"}}))]
pub(crate) struct ErrorBody {
    /// What was refused and why.
    error: ErrorDetail,
}

/// The refusal itself.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable machine-readable name of the rule or the problem (`malformed_json`,
    /// `out_of_range`, `not_found`, `unauthorized`, `rate_limited`, ...).
    code: String,
    /// The request field that broke a rule (with a 422), else null.
    field: Option<String>,
    /// What a person reads: the field, the rule and the limit.
    message: String,
}
