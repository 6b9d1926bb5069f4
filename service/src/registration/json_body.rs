//! `JsonBody<T>`: axum's `Json` extractor whose rejections (a wrong or missing content type, a
//! syntax error, a missing or mistyped field, a body over the limit) are answered in the
//! documented `{"error": {"code", "field", "message"}}` shape, as [`ServiceError`], instead of
//! axum's plain text. One extractor, so that every route that reads JSON refuses alike; the
//! console's routes use it (the service's and the patterns' routes map the same rejections
//! through [`ServiceError::from_json_rejection`]).

use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::Json;
use serde::de::DeserializeOwned;

use super::error::ServiceError;

/// A JSON request body; a body that cannot be read as `T` is refused with a JSON error.
///
/// As `Option<JsonBody<T>>`, a request without a `Content-Type` gives `None` (for routes whose
/// body is optional); one with a content type must be JSON and read as `T`.
pub(crate) struct JsonBody<T>(pub(crate) T);

/// The limit named in a 413's message: what axum's default body limit is, for the routes that
/// set none of their own (the service's routes, which set one, map their rejections
/// themselves with the configured limit).
const AXUM_DEFAULT_LIMIT: usize = 2 * 1024 * 1024;

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ServiceError> {
        <Json<T> as FromRequest<S>>::from_request(req, state)
            .await
            .map(|Json(value)| JsonBody(value))
            .map_err(|r| ServiceError::from_json_rejection(r, AXUM_DEFAULT_LIMIT))
    }
}

impl<T, S> OptionalFromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ServiceError> {
        <Json<T> as OptionalFromRequest<S>>::from_request(req, state)
            .await
            .map(|body| body.map(|Json(value)| JsonBody(value)))
            .map_err(|r| ServiceError::from_json_rejection(r, AXUM_DEFAULT_LIMIT))
    }
}
