//! The control API under `/_fake/`: JSON to create channels, read and change device state,
//! read what senders sent, install fault rules, move the clock, and an SSE stream of events,
//! so that a test in any language can drive the fake (as people drive Mailpit or LocalStack).
//!
//! Errors are JSON `{"error": "..."}` with a 4xx status naming the problem.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::engine::Core;
use super::error::FakeError;
use super::faults::FaultRule;
use super::model::{ChannelId, ChannelInfo, ChannelOptions, DeviceUpdate, DeviceView};

/// An error answer.
pub(crate) struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct E {
            error: String,
        }
        (self.0, Json(E { error: self.1 })).into_response()
    }
}

impl From<FakeError> for ApiError {
    fn from(e: FakeError) -> Self {
        let status = match e {
            FakeError::NoSuchChannel(_) => StatusCode::NOT_FOUND,
            FakeError::AppHasChannel { .. } => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError(status, e.to_string())
    }
}

/// A request body, its rejections (413 past the body limit, a failed read) answered as the
/// other errors are: `{"error": ...}`.
struct Body(Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state).await.map(Body).map_err(|e| {
            let status = e.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the request body is too large ({e}); control API bodies are small JSON objects")
            } else {
                e.body_text()
            };
            ApiError(status, message)
        })
    }
}

type ApiResult<T> = Result<T, ApiError>;
type Shared = State<Arc<Core>>;

pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route("/_fake/channels", post(create_channel).get(list_channels))
        .route("/_fake/channels/{id}", get(get_channel))
        .route("/_fake/channels/{id}/rotate", post(rotate))
        .route(
            "/_fake/channels/{id}/device",
            get(get_device).put(put_device).patch(put_device),
        )
        .route(
            "/_fake/channels/{id}/notifications",
            get(channel_notifications).delete(clear_channel_notifications),
        )
        .route(
            "/_fake/notifications",
            get(all_notifications).delete(clear_all_notifications),
        )
        .route("/_fake/reset", post(reset))
        .route("/_fake/events", get(events))
        .route(
            "/_fake/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_fake/faults/{id}", axum::routing::delete(remove_fault))
        .route("/_fake/repeats", get(repeats))
        .route("/_fake/clock", get(clock))
        .route("/_fake/clock/advance", post(advance))
        .route("/_fake", axum::routing::any(unknown))
        .route("/_fake/", axum::routing::any(unknown))
        .route("/_fake/{*rest}", axum::routing::any(unknown))
        .method_not_allowed_fallback(wrong_method)
}

async fn unknown(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!(
            "no control endpoint {method} {}; endpoints: /_fake/channels, /_fake/channels/{{id}}/device, /_fake/channels/{{id}}/notifications, /_fake/notifications, /_fake/reset, /_fake/events, /_fake/faults, /_fake/clock/advance",
            uri.path()
        ),
    )
}

async fn wrong_method(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {method} is not allowed on {}", uri.path()),
    )
}

fn channel_id(raw: &str) -> ApiResult<ChannelId> {
    raw.parse::<u64>().map(ChannelId).map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("channel id {raw:?} is not a number (ids are listed by GET /_fake/channels)"),
        )
    })
}

/// Parses an optional JSON body; an empty body is `T::default()`.
fn json_or_default<T: DeserializeOwned + Default>(body: &Bytes, what: &str) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json(body, what)
}

fn json<T: DeserializeOwned>(body: &Bytes, what: &str) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("invalid {what} JSON: {e}")))
}

#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    channel: ChannelInfo,
    device_state: DeviceView,
}

async fn create_channel(State(core): Shared, Body(body): Body) -> ApiResult<impl IntoResponse> {
    let opts: ChannelOptions = json_or_default(&body, "channel options")?;
    let channel = core.create_channel(opts)?;
    let device_state = core.device_view(channel.id)?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            channel,
            device_state,
        }),
    ))
}

async fn list_channels(State(core): Shared) -> Json<Vec<ChannelInfo>> {
    Json(
        core.channel_ids()
            .into_iter()
            .filter_map(|id| core.channel_info(id).ok())
            .collect(),
    )
}

/// `GET /_fake/repeats`: `{"total": <requests that were repeats>, "repeats": [{"channel",
/// "message_id", "times"}]}`, every message id a channel received more than once.
async fn repeats(State(core): Shared) -> Json<serde_json::Value> {
    let repeats = core.repeats();
    let total: u32 = repeats.iter().map(|r| r.times - 1).sum();
    Json(serde_json::json!({ "total": total, "repeats": repeats }))
}

async fn get_channel(State(core): Shared, Path(id): Path<String>) -> ApiResult<Json<ChannelInfo>> {
    Ok(Json(core.channel_info(channel_id(&id)?)?))
}

async fn rotate(State(core): Shared, Path(id): Path<String>) -> ApiResult<Json<ChannelInfo>> {
    Ok(Json(core.rotate(channel_id(&id)?)?))
}

async fn get_device(State(core): Shared, Path(id): Path<String>) -> ApiResult<Json<DeviceView>> {
    Ok(Json(core.device_view(channel_id(&id)?)?))
}

async fn put_device(
    State(core): Shared,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<DeviceView>> {
    let id = channel_id(&id)?;
    let update: DeviceUpdate = json(&body, "device state")?;
    Ok(Json(core.update_device(id, &update)?))
}

async fn channel_notifications(State(core): Shared, Path(id): Path<String>) -> ApiResult<Response> {
    let records = core.notifications(Some(channel_id(&id)?))?;
    Ok(Json(records).into_response())
}

async fn clear_channel_notifications(
    State(core): Shared,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    core.clear_notifications(Some(channel_id(&id)?))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn all_notifications(State(core): Shared) -> ApiResult<Response> {
    Ok(Json(core.notifications(None)?).into_response())
}

async fn clear_all_notifications(State(core): Shared) -> ApiResult<StatusCode> {
    core.clear_notifications(None)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(State(core): Shared) -> StatusCode {
    core.reset();
    StatusCode::NO_CONTENT
}

async fn events(
    State(core): Shared,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = BroadcastStream::new(core.events.subscribe())
        .map(|item| {
            Ok(match item {
                Ok(event) => {
                    let value = serde_json::to_value(&event).unwrap_or_default();
                    let name = value
                        .get("type")
                        .and_then(|t| t.as_str())
                        .unwrap_or("event")
                        .to_owned();
                    SseEvent::default().event(name).data(value.to_string())
                }
                Err(BroadcastStreamRecvError::Lagged(n)) => SseEvent::default()
                    .event("lagged")
                    .data(format!("{{\"missed\":{n}}}")),
            })
        })
        .take_until(core.shutdown.clone().cancelled_owned());
    // A comment line first, so a client sees the stream open before any event happens.
    let opened = futures_util::stream::once(async { Ok(SseEvent::default().comment("open")) });
    Sse::new(opened.chain(stream)).keep_alive(KeepAlive::default())
}

#[derive(Serialize)]
struct FaultCreated {
    id: u64,
}

async fn add_fault(State(core): Shared, Body(body): Body) -> ApiResult<impl IntoResponse> {
    let rule: FaultRule = json(&body, "fault rule")?;
    let id = core
        .faults
        .add(rule)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    Ok((StatusCode::CREATED, Json(FaultCreated { id })))
}

async fn list_faults(State(core): Shared) -> impl IntoResponse {
    Json(core.faults.list())
}

async fn clear_faults(State(core): Shared) -> StatusCode {
    core.faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(core): Shared, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let n = id.parse::<u64>().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("fault id {id:?} is not a number"),
        )
    })?;
    if core.faults.remove(n) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no fault rule with id {n}; GET /_fake/faults lists them"),
        ))
    }
}

#[derive(Serialize)]
struct ClockView {
    now_ms: u64,
    #[serde(rename = "virtual")]
    is_virtual: bool,
}

fn clock_view(core: &Core) -> ClockView {
    ClockView {
        now_ms: u64::try_from(core.clock.now().as_millis()).unwrap_or(u64::MAX),
        is_virtual: core.clock.is_virtual(),
    }
}

async fn clock(State(core): Shared) -> Json<ClockView> {
    Json(clock_view(&core))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: Option<u64>,
    ms: Option<u64>,
}

async fn advance(State(core): Shared, Body(body): Body) -> ApiResult<Json<ClockView>> {
    let a: Advance = json(&body, "clock advance")?;
    let by = match (a.seconds, a.ms) {
        (Some(s), None) => Duration::from_secs(s),
        (None, Some(ms)) => Duration::from_millis(ms),
        _ => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "give exactly one of \"seconds\" or \"ms\", e.g. {\"seconds\": 450}".into(),
            ))
        }
    };
    if by > Duration::from_secs(366 * 24 * 3600) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "advance of {} s is out of range 0..=31622400 (a year)",
                by.as_secs()
            ),
        ));
    }
    if !core.clock.is_virtual() {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "the clock is real and cannot be advanced; start the fake with a virtual clock".into(),
        ));
    }
    core.advance(by);
    Ok(Json(clock_view(&core)))
}
