//! The control API under `/_fake/`: JSON to create channels, read and change device state,
//! read what senders sent, install fault rules, move the clock, and an SSE stream of events,
//! so that a test in any language can drive the fake (as people drive Mailpit or LocalStack).
//!
//! Errors are JSON `{"error": "..."}` with a 4xx status naming the problem. Reading requests
//! and answering errors is in `request`; the document's fix-ups in `document`.

mod document;
pub(crate) mod request;
mod view;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::engine::Core;
use super::events::Event;
use super::faults::{FaultRule, FaultStatus};
use super::model::{
    ChannelInfo, ChannelOptions, DeviceUpdate, DeviceView, NotificationRecord, Repeat,
};
use super::scenario::Scenario;
use document::{open_closed_parts_of_all_of, spell_unsigned_formats};
pub(crate) use request::ApiError;
use request::{channel_id, json, json_or_default, same_site_only, Body, ErrorBody};
pub(crate) use view::to_the_page;

type ApiResult<T> = Result<T, ApiError>;
type Shared = State<Arc<Core>>;

/// The control API's description: generated from the handlers' annotations below and the
/// serde types they take and return, served at `/_fake/openapi.json` and kept in the
/// repository as `docs/openapi/fake-mpns.json`.
///
/// `info.version` is the control API's version (its paths, methods and JSON shapes), not the
/// crate's: stable within a major version (fields and endpoints may be added; none is removed
/// or changes meaning); the README says the same.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "fake-mpns control API",
        version = "1.0.0",
        description = "The JSON control API of the fake Microsoft Push Notification Service (MPNS): channels, device state, recorded notifications, fault rules, the clock, settings, scenarios and an event stream. Channel URIs themselves (`/throttledthirdparty/01.00/{token}`, `/unthrottledthirdparty/01.00/{token}`) speak MPNS's protocol and are not part of this document.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        create_channel,
        list_channels,
        get_channel,
        rotate,
        get_device,
        put_device,
        channel_notifications,
        clear_channel_notifications,
        all_notifications,
        clear_all_notifications,
        reset,
        events,
        add_fault,
        list_faults,
        clear_faults,
        remove_fault,
        repeats,
        clock,
        advance,
        get_settings,
        patch_settings,
        load_scenario,
        openapi_json,
        view::notification_body,
        view::notification_render,
        view::ui_page,
        view::ui_script,
        view::ui_style
    ),
    components(schemas(Event))
)]
struct ApiDoc;

/// The control API's OpenAPI 3.1 document, as served.
pub(crate) fn openapi() -> serde_json::Value {
    let mut doc = serde_json::to_value(<ApiDoc as utoipa::OpenApi>::openapi()).unwrap_or_default();
    open_closed_parts_of_all_of(&mut doc);
    spell_unsigned_formats(&mut doc);
    doc
}

#[utoipa::path(get, path = "/_fake/openapi.json", tag = "server",
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

/// Every control path with its handlers, the one list `routes` serves and the tests compare
/// with the document.
pub(crate) fn table() -> Vec<(&'static str, MethodRouter<Arc<Core>>)> {
    vec![
        ("/_fake/channels", post(create_channel).get(list_channels)),
        ("/_fake/channels/{id}", get(get_channel)),
        ("/_fake/channels/{id}/rotate", post(rotate)),
        (
            "/_fake/channels/{id}/device",
            get(get_device).put(put_device).patch(put_device),
        ),
        (
            "/_fake/channels/{id}/notifications",
            get(channel_notifications).delete(clear_channel_notifications),
        ),
        (
            "/_fake/notifications",
            get(all_notifications).delete(clear_all_notifications),
        ),
        ("/_fake/reset", post(reset)),
        ("/_fake/events", get(events)),
        (
            "/_fake/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        ),
        ("/_fake/faults/{id}", delete(remove_fault)),
        ("/_fake/repeats", get(repeats)),
        ("/_fake/clock", get(clock)),
        ("/_fake/clock/advance", post(advance)),
        ("/_fake/settings", get(get_settings).patch(patch_settings)),
        ("/_fake/scenario", post(load_scenario)),
        ("/_fake/openapi.json", get(openapi_json)),
        (
            "/_fake/channels/{id}/notifications/{seq}/body",
            get(view::notification_body),
        ),
        (
            "/_fake/channels/{id}/notifications/{seq}/render",
            get(view::notification_render),
        ),
        ("/_fake/ui", get(view::ui_page)),
        ("/_fake/ui/app.js", get(view::ui_script)),
        ("/_fake/ui/app.css", get(view::ui_style)),
    ]
}

pub(crate) fn routes() -> Router<Arc<Core>> {
    table()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .route("/_fake", axum::routing::any(unknown))
        .route("/_fake/", axum::routing::any(unknown))
        .route("/_fake/{*rest}", axum::routing::any(unknown))
        .method_not_allowed_fallback(wrong_method)
        .route_layer(axum::middleware::from_fn(same_site_only))
}

async fn unknown(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!(
            "no control endpoint {method} {}; endpoints: {} (GET /_fake/openapi.json describes them)",
            uri.path(),
            table().iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
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

/// A new channel and its device's state.
#[derive(Serialize, utoipa::ToSchema)]
struct ChannelCreated {
    #[serde(flatten)]
    channel: ChannelInfo,
    /// The device's state seen through the new channel.
    device_state: DeviceView,
}

#[utoipa::path(post, path = "/_fake/channels", tag = "channels",
    request_body(content = Option<ChannelOptions>, description = "Optional: an empty body takes every default"),
    responses(
        (status = 201, description = "The channel, with its URI and device state", body = ChannelCreated),
        (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody),
        (status = 409, description = "The device already has a channel for that app", body = ErrorBody),
    ))]
async fn create_channel(State(core): Shared, Body(body): Body) -> ApiResult<impl IntoResponse> {
    let opts: ChannelOptions = json_or_default(&body, "channel options")?;
    let channel = core.create_channel(opts)?;
    let device_state = core.device_view(channel.id)?;
    Ok((
        StatusCode::CREATED,
        Json(ChannelCreated {
            channel,
            device_state,
        }),
    ))
}

#[utoipa::path(get, path = "/_fake/channels", tag = "channels",
    responses((status = 200, description = "Every channel, by id", body = Vec<ChannelInfo>)))]
async fn list_channels(State(core): Shared) -> Json<Vec<ChannelInfo>> {
    Json(
        core.channel_ids()
            .into_iter()
            .filter_map(|id| core.channel_info(id).ok())
            .collect(),
    )
}

/// Every message id a channel received more than once (a sender's repeats).
#[derive(Serialize, utoipa::ToSchema)]
struct Repeats {
    /// Requests that were repeats, over all channels.
    total: u32,
    /// Each repeated message id with its channel and how many times it came.
    repeats: Vec<Repeat>,
}

#[utoipa::path(get, path = "/_fake/repeats", tag = "notifications",
    responses((status = 200, description = "Every message id a channel received more than once", body = Repeats)))]
async fn repeats(State(core): Shared) -> Json<Repeats> {
    let repeats = core.repeats();
    let total: u32 = repeats.iter().map(|r| r.times - 1).sum();
    Json(Repeats { total, repeats })
}

#[utoipa::path(get, path = "/_fake/channels/{id}", tag = "channels", params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)")),
    responses((status = 200, description = "The channel", body = ChannelInfo), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such channel", body = ErrorBody)))]
async fn get_channel(State(core): Shared, Path(id): Path<String>) -> ApiResult<Json<ChannelInfo>> {
    Ok(Json(core.channel_info(channel_id(&id)?)?))
}

#[utoipa::path(post, path = "/_fake/channels/{id}/rotate", tag = "channels", params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)")),
    responses((status = 200, description = "The channel with its new URI; the old one answers 404", body = ChannelInfo), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such channel", body = ErrorBody)))]
async fn rotate(State(core): Shared, Path(id): Path<String>) -> ApiResult<Json<ChannelInfo>> {
    Ok(Json(core.rotate(channel_id(&id)?)?))
}

#[utoipa::path(get, path = "/_fake/channels/{id}/device", tag = "devices", params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)")),
    responses((status = 200, description = "The device state seen through the channel", body = DeviceView), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such channel", body = ErrorBody)))]
async fn get_device(State(core): Shared, Path(id): Path<String>) -> ApiResult<Json<DeviceView>> {
    Ok(Json(core.device_view(channel_id(&id)?)?))
}

#[utoipa::path(method(put, patch), path = "/_fake/channels/{id}/device", tag = "devices", params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)")),
    request_body(content = DeviceUpdate, description = "Unset fields stay as they are"),
    responses((status = 200, description = "The device state after the change", body = DeviceView), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such channel", body = ErrorBody)))]
async fn put_device(
    State(core): Shared,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<DeviceView>> {
    let id = channel_id(&id)?;
    let update: DeviceUpdate = json(&body, "device state")?;
    Ok(Json(core.update_device(id, &update)?))
}

/// The header on a list of records saying how many the log(s) dropped to stay within the
/// fake's limits.
const RECORDS_DROPPED: &str = "x-fake-records-dropped";

fn records_response(records: Vec<Arc<NotificationRecord>>, dropped: u64) -> Response {
    ([(RECORDS_DROPPED, dropped.to_string())], Json(records)).into_response()
}

#[utoipa::path(get, path = "/_fake/channels/{id}/notifications", tag = "notifications", params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)")),
    responses((status = 200, description = "Every request recorded on the channel, in order", body = Vec<NotificationRecord>), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such channel", body = ErrorBody)))]
async fn channel_notifications(State(core): Shared, Path(id): Path<String>) -> ApiResult<Response> {
    let id = channel_id(&id)?;
    let records = core.notifications(Some(id))?;
    Ok(records_response(records, core.records_dropped(Some(id))?))
}

#[utoipa::path(delete, path = "/_fake/channels/{id}/notifications", tag = "notifications", params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)")),
    responses((status = 204, description = "Forgotten"), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such channel", body = ErrorBody)))]
async fn clear_channel_notifications(
    State(core): Shared,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    core.clear_notifications(Some(channel_id(&id)?))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/_fake/notifications", tag = "notifications",
    responses((status = 200, description = "Every request recorded, all channels and unknown URIs", body = Vec<NotificationRecord>)))]
async fn all_notifications(State(core): Shared) -> ApiResult<Response> {
    let records = core.notifications(None)?;
    Ok(records_response(records, core.records_dropped(None)?))
}

#[utoipa::path(delete, path = "/_fake/notifications", tag = "notifications",
    responses((status = 204, description = "Forgotten")))]
async fn clear_all_notifications(State(core): Shared) -> ApiResult<StatusCode> {
    core.clear_notifications(None)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/_fake/reset", tag = "server",
    responses((status = 204, description = "Channels, devices, records and fault rules forgotten")))]
async fn reset(State(core): Shared) -> StatusCode {
    core.reset();
    StatusCode::NO_CONTENT
}

#[utoipa::path(get, path = "/_fake/events", tag = "events",
    responses((status = 200, description = "Server-sent events: one per `Event`, the SSE event name is its `type`, the data its JSON; a `lagged` event (`{\"missed\": N}`) when a slow reader missed some", content_type = "text/event-stream", body = Event)))]
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

/// An installed fault rule's id.
#[derive(Serialize, utoipa::ToSchema)]
struct FaultCreated {
    /// For `DELETE /_fake/faults/{id}`.
    id: u64,
}

#[utoipa::path(post, path = "/_fake/faults", tag = "faults",
    request_body(content = FaultRule),
    responses((status = 201, description = "Installed", body = FaultCreated), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody)))]
async fn add_fault(State(core): Shared, Body(body): Body) -> ApiResult<impl IntoResponse> {
    let rule: FaultRule = json(&body, "fault rule")?;
    let id = core
        .faults
        .add(rule)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    Ok((StatusCode::CREATED, Json(FaultCreated { id })))
}

#[utoipa::path(get, path = "/_fake/faults", tag = "faults",
    responses((status = 200, description = "The installed rules", body = Vec<FaultStatus>)))]
async fn list_faults(State(core): Shared) -> impl IntoResponse {
    Json(core.faults.list())
}

#[utoipa::path(delete, path = "/_fake/faults", tag = "faults",
    responses((status = 204, description = "Every rule removed")))]
async fn clear_faults(State(core): Shared) -> StatusCode {
    core.faults.clear();
    StatusCode::NO_CONTENT
}

#[utoipa::path(delete, path = "/_fake/faults/{id}", tag = "faults",
    params(("id" = u64, Path, description = "The rule's id")),
    responses((status = 204, description = "Removed"), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody), (status = 404, description = "No such rule", body = ErrorBody)))]
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
#[derive(Serialize, utoipa::ToSchema)]
struct Settings {
    /// Notifications an unauthenticated channel takes per day before 406.
    daily_limit: u32,
    /// The queue capacity of devices created from now on.
    queue_capacity: usize,
}

/// `PATCH /_fake/settings`: unset fields stay.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SettingsUpdate {
    /// Notifications an unauthenticated channel takes per day before 406, from its next
    /// request on.
    daily_limit: Option<u32>,
    /// The queue capacity of every device now and of devices created later (0..=1000000).
    #[schema(maximum = 1_000_000)]
    queue_capacity: Option<usize>,
}

fn settings_view(core: &Core) -> Settings {
    Settings {
        daily_limit: core.daily_limit(),
        queue_capacity: core.queue_capacity(),
    }
}

#[utoipa::path(get, path = "/_fake/settings", tag = "server",
    responses((status = 200, description = "The settings now", body = Settings)))]
async fn get_settings(State(core): Shared) -> Json<Settings> {
    Json(settings_view(&core))
}

#[utoipa::path(patch, path = "/_fake/settings", tag = "server",
    request_body(content = SettingsUpdate, description = "Unset fields stay as they are"),
    responses((status = 200, description = "The settings after the change", body = Settings), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody)))]
async fn patch_settings(State(core): Shared, Body(body): Body) -> ApiResult<Json<Settings>> {
    let u: SettingsUpdate = json(&body, "settings")?;
    if let Some(cap) = u.queue_capacity {
        core.set_queue_capacity(cap)?;
    }
    if let Some(n) = u.daily_limit {
        core.set_daily_limit(n);
    }
    Ok(Json(settings_view(&core)))
}

#[utoipa::path(post, path = "/_fake/scenario", tag = "server",
    request_body(content = Scenario),
    responses((status = 200, description = "The channels it created", body = Vec<ChannelInfo>), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody)))]
async fn load_scenario(State(core): Shared, Body(body): Body) -> ApiResult<impl IntoResponse> {
    let scenario: Scenario = json(&body, "scenario")?;
    let channels = core.apply_scenario(&scenario)?;
    Ok((StatusCode::OK, Json(channels)))
}

/// The fake's clock.
#[derive(Serialize, utoipa::ToSchema)]
struct ClockView {
    /// Clock time in ms since the fake started (virtual time on a virtual clock).
    now_ms: u64,
    /// Whether the clock is virtual (moved only by `POST /_fake/clock/advance`).
    #[serde(rename = "virtual")]
    is_virtual: bool,
}

fn clock_view(core: &Core) -> ClockView {
    ClockView {
        now_ms: u64::try_from(core.clock.now().as_millis()).unwrap_or(u64::MAX),
        is_virtual: core.clock.is_virtual(),
    }
}

#[utoipa::path(get, path = "/_fake/clock", tag = "clock",
    responses((status = 200, description = "The clock now", body = ClockView)))]
async fn clock(State(core): Shared) -> Json<ClockView> {
    Json(clock_view(&core))
}

/// How far to move a virtual clock: exactly one of the two.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Advance {
    /// Seconds.
    seconds: Option<u64>,
    /// Milliseconds.
    ms: Option<u64>,
}

#[utoipa::path(post, path = "/_fake/clock/advance", tag = "clock",
    request_body(content = Advance, description = "Exactly one of `seconds` or `ms`, at most a year"),
    responses((status = 200, description = "The clock after the move", body = ClockView), (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody),
        (status = 409, description = "The clock is real", body = ErrorBody)))]
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use tower::ServiceExt;

    use super::{openapi, routes, table};
    use crate::clock::Clock;
    use crate::fake::engine::{Config, Core};

    const METHODS: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];

    /// Every (path, method) the router serves: each path of the table, asked with each method;
    /// the ones not served get the 405 fallback.
    async fn served() -> BTreeSet<(String, String)> {
        let core = Core::new(Config::default(), Clock::virtual_clock());
        let router = routes().with_state(core);
        let mut out = BTreeSet::new();
        for (path, _) in table() {
            let concrete = path.replace("{id}", "1").replace("{seq}", "1");
            for method in METHODS {
                // The custom header passes the cross-site guard, which would otherwise answer a
                // body-less POST with 403 before the router could say 405.
                let req = Request::builder()
                    .method(method.clone())
                    .uri(&concrete)
                    .header("X-Requested-With", "test")
                    .body(Body::empty())
                    .unwrap();
                let status = router.clone().oneshot(req).await.unwrap().status();
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
        assert!(served.len() > 20, "{served:?}");
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && unserved.is_empty(),
            "served but not in the document: {undocumented:?}; in the document but not served: {unserved:?}"
        );
    }

    #[test]
    fn no_part_of_an_all_of_is_closed_to_the_other_parts_properties() {
        let doc = openapi();
        let status = &doc["components"]["schemas"]["FaultStatus"]["allOf"];
        let parts = status.as_array().expect("FaultStatus is an allOf");
        assert!(parts
            .iter()
            .any(|p| p["properties"].get("action").is_some()));
        for part in parts {
            assert_ne!(part["additionalProperties"], false, "{part}");
        }
        assert_eq!(
            doc["components"]["schemas"]["FaultRule"]["additionalProperties"], false,
            "a rule with an unknown field is still refused"
        );
    }
}
