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
use super::error::{path_error, FakeError};
use super::faults::FaultRule;
use super::model::{ChannelId, ChannelInfo, ChannelOptions, DeviceUpdate, DeviceView};
use super::scenario::Scenario;

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
        .route("/_fake/clock", get(clock))
        .route("/_fake/clock/advance", post(advance))
        .route("/_fake/settings", get(get_settings).patch(patch_settings))
        .route("/_fake/scenario", post(load_scenario))
        .route("/_fake", axum::routing::any(unknown))
        .route("/_fake/", axum::routing::any(unknown))
        .route("/_fake/{*rest}", axum::routing::any(unknown))
        .method_not_allowed_fallback(wrong_method)
}

async fn unknown(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!(
            "no control endpoint {method} {}; endpoints: /_fake/channels, /_fake/channels/{{id}}/device, /_fake/channels/{{id}}/notifications, /_fake/notifications, /_fake/reset, /_fake/events, /_fake/faults, /_fake/clock/advance, /_fake/settings, /_fake/scenario",
            uri.path()
        ),
    )
}

/// Any path outside `/_fake/` on a control listener of its own.
pub(crate) async fn not_a_control_path(uri: axum::http::Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!(
            "{} is not a control API path: this listener serves /_fake/ only; channel URIs are on the notification listener",
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
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("invalid {what} JSON: {}", path_error(&e)),
        )
    })
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

/// The server's settings that can change at run time.
#[derive(Serialize)]
struct SettingsView {
    /// Notifications an unauthenticated channel takes per day before 406.
    daily_limit: u32,
    /// The queue capacity of devices created from now on.
    queue_capacity: usize,
}

/// `PATCH /_fake/settings`: unset fields stay.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsUpdate {
    daily_limit: Option<u32>,
    queue_capacity: Option<usize>,
}

fn settings_view(core: &Core) -> SettingsView {
    SettingsView {
        daily_limit: core.daily_limit(),
        queue_capacity: core.queue_capacity(),
    }
}

async fn get_settings(State(core): Shared) -> Json<SettingsView> {
    Json(settings_view(&core))
}

async fn patch_settings(State(core): Shared, Body(body): Body) -> ApiResult<Json<SettingsView>> {
    let u: SettingsUpdate = json(&body, "settings")?;
    if let Some(cap) = u.queue_capacity {
        core.set_queue_capacity(cap)?;
    }
    if let Some(n) = u.daily_limit {
        core.set_daily_limit(n);
    }
    Ok(Json(settings_view(&core)))
}

async fn load_scenario(State(core): Shared, Body(body): Body) -> ApiResult<impl IntoResponse> {
    let scenario: Scenario = json(&body, "scenario")?;
    let channels = core.apply_scenario(&scenario)?;
    Ok((StatusCode::OK, Json(channels)))
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
