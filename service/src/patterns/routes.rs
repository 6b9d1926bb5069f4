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
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::AnyOfBuilder;
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{AskToPin, Counter, CustomTile, OneTime, PatternError, Patterns, SendRequest};
use crate::registration::{
    error_response, is_json, json_body, openapi_with, BatchProgress, ErrorBody, PatternKind,
    ServiceError, StoreError, OPENAPI_PATH,
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
///
/// It also serves the OpenAPI 3.1 document of all of it, the service's routes and these, at
/// [`OPENAPI_PATH`] (`/api/openapi.json`).
pub fn router(patterns: Patterns) -> Router {
    table()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .with_state(patterns)
}

/// Every operator route of this layer with its handlers: the one list [`router`] serves and
/// the OpenAPI document's test compares with the document.
pub(crate) fn table() -> Vec<(&'static str, MethodRouter<Patterns>)> {
    vec![
        ("/api/patterns", get(list)),
        ("/api/patterns/active", post(activate)),
        ("/api/patterns/{pattern}/send", post(send)),
        ("/api/batches", get(batches)),
        ("/api/batches/{id}/cancel", post(cancel)),
        (OPENAPI_PATH, get(openapi_json)),
    ]
}

/// This layer's routes, described from their annotations and types.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, activate, send, batches, cancel, openapi_json))]
struct PatternsDoc;

/// The OpenAPI document of the service's routes and the operator's, as served.
pub(crate) fn openapi() -> serde_json::Value {
    let mut doc = openapi_with(<PatternsDoc as utoipa::OpenApi>::openapi());
    // A send's body may be left out (the defaults), but is never `null`: utoipa can say the
    // first only by allowing the second (`Option<_>`), so the flag is set here.
    if let Some(body) = doc.pointer_mut("/paths/~1api~1patterns~1{pattern}~1send/post/requestBody")
    {
        body["required"] = serde_json::Value::Bool(false);
    }
    doc
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "document",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
async fn openapi_json() -> Response {
    // Pretty, so that the copy in the repository reads well in a diff.
    let text = serde_json::to_string_pretty(&openapi()).unwrap_or_default();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct BatchesQuery {
    /// How many batches at most, newest first, `1..=100` (20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The newest batches.
#[derive(Serialize, ToSchema)]
struct Batches {
    /// Newest first, each with its jobs counted by state.
    batches: Vec<BatchProgress>,
}

#[utoipa::path(get, path = "/api/batches", tag = "batches", params(BatchesQuery),
    responses(
        (status = 200, description = "The newest batches", body = Batches),
        (status = 400, description = "The query could not be read, or has a parameter other than `limit` (`bad_query`)", body = ErrorBody),
        (status = 422, description = "`limit` is out of range", body = ErrorBody),
    ))]
async fn batches(
    State(patterns): State<Patterns>,
    q: Result<axum::extract::Query<BatchesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Batches>> {
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
    Ok(Json(Batches { batches }))
}

/// A cancelled batch.
#[derive(Serialize, ToSchema)]
struct Cancelled {
    /// The batch's id.
    batch: i64,
    /// How many of its jobs were cancelled (those not yet on the wire).
    cancelled: u64,
}

#[utoipa::path(post, path = "/api/batches/{id}/cancel", tag = "batches",
    params(("id" = i64, Path, description = "The batch's id (`GET /api/batches` lists them)")),
    responses(
        (status = 200, description = "Cancelled: its jobs not yet on the wire are never sent", body = Cancelled),
        (status = 400, description = "The id is not an integer (`bad_path`)", body = ErrorBody),
        (status = 404, description = "No such batch", body = ErrorBody),
    ))]
async fn cancel(
    State(patterns): State<Patterns>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Cancelled>> {
    let Path(id) = id.map_err(|e| ServiceError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        code: "bad_path",
        message: e.body_text(),
    })?;
    match patterns.cancel(id).await? {
        Some(n) => Ok(Json(Cancelled {
            batch: id,
            cancelled: n as u64,
        })),
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

/// The patterns, and which is active.
#[derive(Serialize, ToSchema)]
struct PatternList {
    /// The active pattern.
    active: PatternKind,
    /// All five, in the recipe's tab order.
    patterns: Vec<PatternItem>,
}

/// One pattern.
#[derive(Serialize, ToSchema)]
struct PatternItem {
    /// Its id.
    id: PatternKind,
    /// Its display name (`Ask to Pin`).
    name: &'static str,
    /// Whether it is the active one.
    active: bool,
}

#[utoipa::path(get, path = "/api/patterns", tag = "patterns",
    responses((status = 200, description = "The patterns, and which is active", body = PatternList)))]
async fn list(State(patterns): State<Patterns>) -> Result<Json<PatternList>> {
    let active = patterns.state().store().run(|s| s.active_pattern()).await?;
    let list: Vec<_> = PatternKind::ALL
        .iter()
        .map(|&p| PatternItem {
            id: p,
            name: p.display_name(),
            active: p == active,
        })
        .collect();
    Ok(Json(PatternList {
        active,
        patterns: list,
    }))
}

fn pattern_ids() -> String {
    PatternKind::ALL.map(|p| p.id()).join(", ")
}

/// Which pattern to make the active one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pattern": "counter"}))]
struct ActivateBody {
    /// A pattern's id: `one-time`, `counter`, `ask-to-pin`, `custom-tile` or `tile-schedule`
    /// (read as text here, so that an unknown one gets the message listing them).
    #[schema(value_type = PatternKind)]
    pattern: String,
}

/// The pattern made active, and the batch that tells every subscriber.
#[derive(Serialize, ToSchema)]
struct Activated {
    /// The active pattern.
    active: PatternKind,
    /// Its display name.
    push_pattern: &'static str,
    /// How many subscribers the batch sends `Update Info` to.
    subscribers: u64,
    /// The batch's id.
    batch: i64,
}

#[utoipa::path(post, path = "/api/patterns/active", tag = "patterns",
    request_body(content = ActivateBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Active; every subscriber is sent `Update Info` (the batch is committed before this answer)", body = Activated),
        (status = 400, description = "The body is not JSON or has other fields (`malformed_json`, `wrong_fields`)", body = ErrorBody),
        (status = 415, description = "No `Content-Type: application/json` (`not_json`)", body = ErrorBody),
        (status = 422, description = "Not a pattern's id, or the body is not a JSON object", body = ErrorBody),
    ))]
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
    let body = Activated {
        active: pattern,
        push_pattern: pattern.display_name(),
        subscribers: batch.subscribers() as u64,
        batch: batch.id(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// The body of `POST /api/patterns/{pattern}/send`: that pattern's settings, every field
/// optional (an empty body or `{}` takes the recipe's defaults). Described only: the handler
/// reads the settings of the pattern its path names.
struct SendSettings;

impl PartialSchema for SendSettings {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("OneTime"))
            .item(Ref::from_schema_name("Counter"))
            .item(Ref::from_schema_name("AskToPin"))
            .item(Ref::from_schema_name("CustomTile"))
            .description(Some(
                "The settings of the pattern the path names: `OneTime` for `one-time`, `Counter` for `counter`, `AskToPin` for `ask-to-pin`, `CustomTile` for `custom-tile`; every field is optional (the recipe's defaults). Fields of another pattern are refused (400 `wrong_fields`).",
            ))
            .into()
    }
}

impl ToSchema for SendSettings {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("OneTime".into(), OneTime::schema()));
        schemas.push(("Counter".into(), Counter::schema()));
        schemas.push(("AskToPin".into(), AskToPin::schema()));
        schemas.push(("CustomTile".into(), CustomTile::schema()));
    }
}

/// A send accepted: its whole plan is committed.
#[derive(Serialize, ToSchema)]
struct Sent {
    /// The pattern.
    pattern: PatternKind,
    /// How many subscribers it sends to.
    subscribers: u64,
    /// The batch's id (`GET /api/batches` shows its progress).
    batch: i64,
}

#[utoipa::path(post, path = "/api/patterns/{pattern}/send", tag = "patterns",
    params(("pattern" = PatternKind, Path, description = "The pattern; it must be the active one. `tile-schedule` has no send (422)")),
    request_body(content = SendSettings, content_type = "application/json", description = "Optional: an empty body takes the recipe's defaults"),
    responses(
        (status = 202, description = "Accepted: the whole plan is committed before this answer", body = Sent),
        (status = 400, description = "The body is not JSON or has fields the pattern does not take (`malformed_json`, `wrong_fields`)", body = ErrorBody),
        (status = 404, description = "No such pattern", body = ErrorBody),
        (status = 409, description = "The pattern is not the active one (`pattern_not_active`)", body = ErrorBody),
        (status = 415, description = "A body without `Content-Type: application/json` (`not_json`)", body = ErrorBody),
        (status = 422, description = "A setting breaks a rule (the error names it), `tile-schedule`, or the body is not a JSON object", body = ErrorBody),
    ))]
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
    let body = Sent {
        pattern: kind,
        subscribers: batch.subscribers() as u64,
        batch: batch.id(),
    };
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use tower::ServiceExt;

    use super::{openapi, router, table};
    use crate::patterns::{Patterns, PatternsConfig};
    use crate::registration::{router_with, service_table, ServiceConfig, ServiceState, Store};

    const METHODS: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];

    /// Every (path, method) the service with the operator's routes serves: each path of both
    /// tables asked with each method; a method a path does not take gets the 405 fallback.
    async fn served() -> BTreeSet<(String, String)> {
        let state = ServiceState::new(Store::in_memory().unwrap(), ServiceConfig::default());
        let patterns = Patterns::start(
            state.clone(),
            mpns::Client::new(),
            PatternsConfig::default(),
        );
        let app = router_with(state, router(patterns));
        let paths: Vec<&str> = service_table()
            .iter()
            .map(|(p, _)| *p)
            .chain(table().iter().map(|(p, _)| *p))
            .collect();
        let mut out = BTreeSet::new();
        for path in paths {
            let concrete = path
                .replace("{user}", "ann")
                .replace("{file}", "7.png")
                .replace("{pattern}", "counter")
                .replace("{id}", "1");
            for method in METHODS {
                let req = Request::builder()
                    .method(method.clone())
                    .uri(&concrete)
                    .body(Body::empty())
                    .unwrap();
                let status = app.clone().oneshot(req).await.unwrap().status();
                // HEAD is answered by GET handlers (axum): the document lists GET only.
                if status != StatusCode::METHOD_NOT_ALLOWED && method != Method::HEAD {
                    out.insert((path.to_owned(), method.as_str().to_ascii_lowercase()));
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn every_route_served_is_in_the_openapi_document_and_every_documented_one_is_served() {
        let doc = openapi();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| METHODS.iter().any(|m| m.as_str().eq_ignore_ascii_case(k)))
                    .map(move |m| (path.clone(), m.clone()))
            })
            .collect();
        let served = served().await;
        assert!(served.len() >= 15, "{served:?}");
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && unserved.is_empty(),
            "served but not in the document: {undocumented:?}; in the document but not served: {unserved:?}"
        );
    }

    #[test]
    fn the_document_has_the_guards_answers_where_the_guard_gives_them() {
        let doc = openapi();
        let op = |path: &str, method: &str| doc["paths"][path][method].clone();
        let register = op("/api/registrations", "post");
        assert!(register["responses"]["429"]["headers"]["Retry-After"].is_object());
        assert!(register["responses"]["413"].is_object(), "a body: 413");
        assert!(register["responses"].get("401").is_none(), "a phone route");
        assert!(register.get("security").is_none(), "a phone route");
        let activate = op("/api/patterns/active", "post");
        assert!(activate["responses"]["401"]["headers"]["WWW-Authenticate"].is_object());
        assert!(activate["responses"]["403"]["description"]
            .as_str()
            .unwrap()
            .contains("cross_site_request"));
        assert!(
            activate["responses"].get("429").is_none(),
            "not rate-limited"
        );
        assert_eq!(
            activate["security"],
            serde_json::json!([{ "operatorToken": [] }, {}])
        );
        let subscribers = op("/api/subscribers", "get");
        assert!(subscribers["responses"].get("413").is_none(), "no body");
        assert!(!subscribers["responses"]["403"]["description"]
            .as_str()
            .unwrap()
            .contains("cross_site_request"));
        let document = op("/api/openapi.json", "get");
        assert!(document.get("security").is_none(), "the document is open");
        assert_eq!(
            doc["components"]["securitySchemes"]["operatorToken"]["scheme"],
            "bearer"
        );
        assert_eq!(
            op("/images/numbers/{file}", "get")["responses"]["200"]["content"]["image/png"]
                ["schema"]["$ref"],
            "#/components/schemas/Png"
        );
        assert_eq!(
            doc["components"]["schemas"]["Png"]["contentMediaType"],
            "image/png"
        );
        assert_eq!(
            op("/api/patterns/{pattern}/send", "post")["requestBody"]["required"],
            false,
            "a send's body may be left out"
        );
    }
}
