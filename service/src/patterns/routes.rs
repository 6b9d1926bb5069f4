//! The operator's routes: which pattern is active, and "Send" per pattern (see
//! [`router`](super::router) for the table). Bodies are JSON; a send with an empty body uses the
//! recipe's defaults for that pattern.
//!
//! This is the one place where [`PatternError`] meets HTTP: refusals are answered in the
//! service's shape, `{"error": {"code", "field", "message"}}`, a setting that breaks a rule with
//! 422 and a pattern that is not the active one with 409.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::{PatternError, Patterns, SendRequest};
use crate::registration::{
    error_response, is_json, json_body, PatternKind, ServiceError, StoreError,
};

/// The operator's pattern routes, to be put beside the service's with
/// [`router_with`](crate::registration::router_with):
///
/// | Method and path | Body | Answer |
/// |---|---|---|
/// | `GET /api/patterns` | | `{"active", "patterns": [{"id", "name", "active"}…]}` |
/// | `POST /api/patterns/active` | `{"pattern": "counter"}` | 202 `{"active", "push_pattern", "subscribers"}`; sends `Update Info` to every subscriber |
/// | `POST /api/patterns/{pattern}/send` | that pattern's settings (all optional: the recipe's defaults) | 202 `{"pattern", "subscribers", "batch"}` once the whole plan is committed; 409 if the pattern is not the active one; 422 for `tile-schedule`, which has no send |
/// | `GET /api/batches?limit=N` | | `{"batches": [...]}`, newest first (`limit` 1..=100, default 20): each batch's id, pattern, origin, time and its jobs by state (`queued`, `in_flight`, `waiting` with `waiting_until`, `delivered`, `given_up`, `cancelled_jobs`) |
/// | `POST /api/batches/{id}/cancel` | | 200 `{"batch", "cancelled"}`: jobs not yet on the wire are never sent; 404 for no such batch |
pub fn router(patterns: Patterns) -> Router {
    Router::new()
        .route("/api/patterns", get(list))
        .route("/api/patterns/active", post(activate))
        .route("/api/patterns/{pattern}/send", post(send))
        .route("/api/batches", get(batches))
        .route("/api/batches/{id}/cancel", post(cancel))
        .with_state(patterns)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchesQuery {
    limit: Option<u32>,
}

async fn batches(
    State(patterns): State<Patterns>,
    q: Result<axum::extract::Query<BatchesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>> {
    let q = q.map_err(|e| ServiceError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        code: "bad_query",
        message: e.body_text(),
    })?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "out_of_range",
            format!("limit {limit} is out of range 1..=100"),
        )
        .into());
    }
    let batches = patterns
        .state()
        .store()
        .run(move |s| s.batches(limit))
        .await?;
    Ok(Json(json!({ "batches": batches })))
}

async fn cancel(
    State(patterns): State<Patterns>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>> {
    let Path(id) = id.map_err(|e| ServiceError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        code: "bad_path",
        message: e.body_text(),
    })?;
    match patterns.cancel(id).await? {
        Some(n) => Ok(Json(json!({ "batch": id, "cancelled": n }))),
        None => Err(ServiceError::NotFound(format!("no batch {id}")).into()),
    }
}

type Result<T, E = RouteError> = std::result::Result<T, E>;

/// What a pattern route refuses with: a request the service's rules refuse (unreadable body,
/// unknown pattern), or the patterns' own error.
enum RouteError {
    Request(ServiceError),
    Pattern(PatternError),
}

impl From<ServiceError> for RouteError {
    fn from(e: ServiceError) -> Self {
        RouteError::Request(e)
    }
}

impl From<PatternError> for RouteError {
    fn from(e: PatternError) -> Self {
        RouteError::Pattern(e)
    }
}

impl From<StoreError> for RouteError {
    fn from(e: StoreError) -> Self {
        RouteError::Request(ServiceError::Store(e))
    }
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        let pattern = match self {
            RouteError::Request(e) => return e.into_response(),
            RouteError::Pattern(e) => e,
        };
        match pattern {
            PatternError::Invalid(e) => ServiceError::Invalid(e).into_response(),
            e @ PatternError::NotActive { .. } => error_response(
                StatusCode::CONFLICT,
                "pattern_not_active",
                None,
                &format!("{e}; activate it first with POST /api/patterns/active"),
            ),
            PatternError::Store(e) => ServiceError::Store(e).into_response(),
            e @ PatternError::Internal(_) => ServiceError::Internal(e.to_string()).into_response(),
        }
    }
}

async fn list(State(patterns): State<Patterns>) -> Result<Json<serde_json::Value>> {
    let active = patterns.state().store().run(|s| s.active_pattern()).await?;
    let list: Vec<_> = PatternKind::ALL
        .iter()
        .map(|p| json!({ "id": p.id(), "name": p.display_name(), "active": *p == active }))
        .collect();
    Ok(Json(json!({ "active": active.id(), "patterns": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    pattern: String,
}

fn pattern_ids() -> String {
    PatternKind::ALL.map(|p| p.id()).join(", ")
}

async fn activate(
    State(patterns): State<Patterns>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response> {
    let body: ActivateBody = json_body(patterns.state(), body)?;
    let pattern = PatternKind::from_id(&body.pattern).ok_or_else(|| {
        let shown: String = body.pattern.chars().take(40).collect();
        ServiceError::invalid(
            "pattern",
            "unknown",
            format!("pattern {shown:?} is not one of: {}", pattern_ids()),
        )
    })?;
    let batch = patterns.activate(pattern).await?;
    let body = json!({
        "active": pattern.id(),
        "push_pattern": pattern.display_name(),
        "subscribers": batch.subscribers(),
        "batch": batch.id(),
    });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

async fn send(
    State(patterns): State<Patterns>,
    pattern: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let Path(pattern) = pattern.map_err(|e| ServiceError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        code: "bad_path",
        message: e.body_text(),
    })?;
    let kind = PatternKind::from_id(&pattern).ok_or_else(|| {
        let shown: String = pattern.chars().take(40).collect();
        ServiceError::NotFound(format!(
            "no pattern {shown:?}; the patterns are: {}",
            pattern_ids()
        ))
    })?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServiceError::BadRequest {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "body_too_large",
                message: "the request body is larger than the limit".into(),
            }
        } else {
            ServiceError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                code: "unreadable_body",
                message: e.body_text(),
            }
        }
    })?;
    // A body that is not declared JSON is refused even when it parses: a page of another site
    // can post `text/plain` without asking first.
    if !body.iter().all(u8::is_ascii_whitespace) && !is_json(&headers) {
        return Err(ServiceError::BadRequest {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "not_json",
            message: "the request body must be JSON, sent with Content-Type: application/json"
                .into(),
        }
        .into());
    }
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_array()) {
        return Err(ServiceError::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "not_an_object",
            message: "the request body must be a JSON object {...}, not an array".into(),
        }
        .into());
    }
    let request = match kind {
        PatternKind::OneTime => SendRequest::OneTime(settings(&body)?),
        PatternKind::Counter => SendRequest::Counter(settings(&body)?),
        PatternKind::AskToPin => SendRequest::AskToPin(settings(&body)?),
        PatternKind::CustomTile => SendRequest::CustomTile(settings(&body)?),
        PatternKind::TileSchedule => {
            return Err(ServiceError::invalid(
                "pattern",
                "no_send",
                "Tile Schedule has no send: phones schedule their tile images, and \"Test Now\" is POST /api/tile-update".into(),
            )
            .into())
        }
    };
    let batch = patterns.send(request).await?;
    let body = json!({
        "pattern": kind.id(),
        "subscribers": batch.subscribers(),
        "batch": batch.id(),
    });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// A pattern's settings from a JSON body; an empty body means the defaults.
fn settings<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let code = match e.classify() {
            serde_json::error::Category::Data => "wrong_fields",
            _ => "malformed_json",
        };
        RouteError::Request(ServiceError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code,
            message: e.to_string(),
        })
    })
}
