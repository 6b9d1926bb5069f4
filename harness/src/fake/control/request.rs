//! Reading control requests and answering their errors: the body extractor (its size limit
//! and deadline), the same-site guard, JSON bodies read as objects, channel ids, and the
//! `{"error": ...}` answer every refusal gets.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ApiResult;
use crate::fake::error::{path_error, FakeError};
use crate::fake::model::ChannelId;

/// An error answer.
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) String);

/// Every error answer's body.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ErrorBody {
    /// What is wrong, naming the field or value and how to fix it.
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<FakeError> for ApiError {
    fn from(e: FakeError) -> Self {
        let status = match e {
            FakeError::NoSuchChannel(_) => StatusCode::NOT_FOUND,
            FakeError::AppHasChannel { .. } => StatusCode::CONFLICT,
            FakeError::TooManyChannels { .. } => StatusCode::INSUFFICIENT_STORAGE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError(status, e.to_string())
    }
}

/// The largest control API body (axum's default limit, which the extractor applies too).
const CONTROL_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// How long a control API body may take to arrive.
const CONTROL_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// A request body, its rejections (413 past the body limit, a failed read) answered as the
/// other errors are: `{"error": ...}`.
pub(super) struct Body(pub(super) Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_json = is_json(req.headers());
        // Refused from the head, before any body is read and before any `100 Continue`.
        if let Some(n) = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| *n > CONTROL_BODY_LIMIT as u64)
        {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is too large ({n} bytes, Content-Length; the limit is {CONTROL_BODY_LIMIT} bytes); control API bodies are small JSON objects"),
            ));
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let read = tokio::time::timeout(CONTROL_BODY_TIMEOUT, Bytes::from_request(req, state));
        let read = read.await.map_err(|_| {
            ApiError(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s",
                    CONTROL_BODY_TIMEOUT.as_secs()
                ),
            )
        })?;
        let body = read.map(Body).map_err(|e| {
            let status = e.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the request body is too large ({e}); control API bodies are small JSON objects")
            } else {
                e.body_text()
            };
            ApiError(status, message)
        })?;
        // A page of another site can post text/plain without asking: a body must say it is JSON.
        if !declared_json && !body.0.iter().all(u8::is_ascii_whitespace) {
            let got = content_type.as_deref().unwrap_or("no Content-Type");
            let shown: String = got.chars().take(60).collect();
            return Err(ApiError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "the body must be JSON, sent with Content-Type: application/json (got {shown})"
                ),
            ));
        }
        Ok(body)
    }
}

/// Whether the request says its body is JSON (`application/json`, `application/*+json`).
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// A control `POST` must carry `Content-Type: application/json` or an `X-Requested-With`
/// header: a page of another site can send neither without a CORS preflight, which the fake
/// never grants, so it cannot reset the fake or install fault rules from a developer's browser.
/// (`PUT`, `PATCH` and `DELETE` always need a preflight.)
pub(super) async fn same_site_only(req: axum::extract::Request, next: Next) -> Response {
    if req.method() != Method::POST
        || is_json(req.headers())
        || req.headers().contains_key("x-requested-with")
    {
        return next.run(req).await;
    }
    ApiError(
        StatusCode::FORBIDDEN,
        format!(
            "{} {} changes state: send Content-Type: application/json or the header X-Requested-With (for example -H 'X-Requested-With: curl')",
            req.method(),
            req.uri().path()
        ),
    )
    .into_response()
}

pub(super) fn channel_id(raw: &str) -> ApiResult<ChannelId> {
    raw.parse::<u64>().map(ChannelId).map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("channel id {raw:?} is not a number (ids are listed by GET /_fake/channels)"),
        )
    })
}

/// Parses an optional JSON body; an empty body (or `null`) is `T::default()`.
pub(super) fn json_or_default<T: DeserializeOwned + Default>(
    body: &Bytes,
    what: &str,
) -> ApiResult<T> {
    let text = body.trim_ascii();
    if text.is_empty() || text == b"null" {
        return Ok(T::default());
    }
    json(body, what)
}

/// Parses a JSON object body. Anything but an object is refused first: serde would otherwise
/// read a struct from an array by position (`[null, null]` as `{}`), which the document does
/// not allow (Schemathesis found `PATCH /_fake/settings` taking it).
pub(crate) fn json<T: DeserializeOwned>(body: &Bytes, what: &str) -> ApiResult<T> {
    if body.trim_ascii().first() != Some(&b'{') {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("invalid {what} JSON: expected a JSON object ({{...}})"),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("invalid {what} JSON: {}", path_error(&e)),
        )
    })
}
