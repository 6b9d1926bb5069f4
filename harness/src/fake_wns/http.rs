//! The fake WNS over HTTP: the token endpoints, the control API under `/_fake/`, and every other
//! path as a channel URI.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::core::{Answer, Core, Incoming};
use super::model::{ChannelRequest, Connection, Flow, Settings, WnsFault};
use crate::clock::Clock;
use crate::fake::control::request::{json as read_json_object, ApiError};
use crate::windows::{AppState, PowerState, WindowsVersion};

/// Most bytes of any request body read (notifications are refused above 5,000 with 413).
const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) core: Arc<Core>,
    pub(crate) clock: Clock,
}

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/accesstoken.srf", post(store_token))
        .route("/{tenant}/oauth2/v2.0/token", post(entra_token))
        .route("/_fake/apps", post(add_app))
        .route("/_fake/devices", post(add_device))
        .route("/_fake/devices/{name}", get(get_device).patch(patch_device))
        .route("/_fake/channels", post(add_channel).get(list_channels))
        .route(
            "/_fake/channels/{id}",
            get(get_channel).patch(patch_channel),
        )
        .route("/_fake/records", get(records))
        .route(
            "/_fake/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_fake/settings", get(get_settings).patch(patch_settings))
        .route("/_fake/clock/advance", post(advance))
        .route("/_fake/reset", post(reset))
        .route("/_fake/{*rest}", axum::routing::any(unknown))
        .fallback(notify)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(ctx)
}

fn respond(a: Answer) -> Response {
    let mut r = (
        StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        a.body,
    )
        .into_response();
    for (n, v) in a.headers {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(n.as_bytes()),
            axum::http::HeaderValue::from_str(&v),
        ) {
            r.headers_mut().append(n, v);
        }
    }
    r
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

fn headers_of(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn store_token(State(ctx): State<Ctx>, body: Bytes) -> Response {
    respond(ctx.core.token(None, &form(&body)))
}

async fn entra_token(State(ctx): State<Ctx>, Path(tenant): Path<String>, body: Bytes) -> Response {
    respond(ctx.core.token(Some(&tenant), &form(&body)))
}

async fn notify(
    State(ctx): State<Ctx>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The channel's token as it appears in the URI, not decoded: WNS matches the URI as issued.
    let token = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("token=")));
    respond(ctx.core.notify(Incoming {
        method: method.as_str(),
        channel_token: token,
        headers: headers_of(&headers),
        body: &body,
    }))
}

/// A JSON body: `application/json` required (415), and read as the fake MPNS's control API
/// reads its bodies (an object where one is expected, errors naming the field, 400).
fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Reject> {
    let media = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if media.split(';').next().map(str::trim) != Some("application/json") {
        return Err(Reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json".into(),
        ));
    }
    read_json_object(body, "control").map_err(|ApiError(status, message)| Reject(status, message))
}

/// A refused control request: its status and message, answered as `{"error": ...}`.
struct Reject(StatusCode, String);

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FlowName {
    Store,
    Entra,
}

/// `{"name": ..., "flow": "store"}` or `{"name": ..., "flow": "entra", "tenant": ...}` (serde's
/// `flatten` cannot be combined with refusing unknown fields, hence the plain shape).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppBody {
    name: String,
    flow: FlowName,
    #[serde(default)]
    tenant: Option<String>,
}

async fn add_app(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let b: AppBody = match json(&headers, &body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let flow = match (b.flow, b.tenant) {
        (FlowName::Store, None) => Flow::Store,
        (FlowName::Entra, Some(tenant)) => Flow::Entra { tenant },
        (FlowName::Store, Some(_)) => {
            return error(StatusCode::BAD_REQUEST, "a store app has no tenant")
        }
        (FlowName::Entra, None) => {
            return error(StatusCode::BAD_REQUEST, "an entra app needs \"tenant\"")
        }
    };
    match ctx.core.register_app(&b.name, flow) {
        Ok(creds) => (StatusCode::CREATED, axum::Json(creds)).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum VersionBody {
    Windows10,
    Windows11,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceBody {
    name: String,
    version: VersionBody,
}

async fn add_device(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let b: DeviceBody = match json(&headers, &body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let version = match b.version {
        VersionBody::Windows10 => WindowsVersion::Windows10,
        VersionBody::Windows11 => WindowsVersion::Windows11,
    };
    match ctx.core.add_device(&b.name, version) {
        Ok(()) => (
            StatusCode::CREATED,
            axum::Json(serde_json::json!({"name": b.name})),
        )
            .into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

async fn get_device(State(ctx): State<Ctx>, Path(name): Path<String>) -> Response {
    let shown = ctx.core.with_device(&name, |d, _| {
        let events: Vec<serde_json::Value> = d
            .events()
            .iter()
            .map(|e| serde_json::json!({"app": e.app, "log": format!("{:?}", e.log), "message": e.message}))
            .collect();
        serde_json::json!({"name": d.name(), "text": d.render_text(), "events": events})
    });
    match shown {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PowerBody {
    PluggedIn,
    BatteryScreenOn,
    BatteryScreenOff,
    BatterySaver,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum AppStateBody {
    Foreground,
    Background,
    NotRunning,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevicePatch {
    #[serde(default)]
    power: Option<PowerBody>,
    /// The app the next three fields are about.
    #[serde(default)]
    app: Option<String>,
    #[serde(default)]
    app_state: Option<AppStateBody>,
    #[serde(default)]
    background_task: Option<bool>,
    #[serde(default)]
    exempt: Option<bool>,
}

async fn patch_device(
    State(ctx): State<Ctx>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: DevicePatch = match json(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    if p.app.is_none()
        && (p.app_state.is_some() || p.background_task.is_some() || p.exempt.is_some())
    {
        return error(
            StatusCode::BAD_REQUEST,
            "app_state, background_task and exempt need \"app\"",
        );
    }
    let done = ctx.core.with_device(&name, |d, now| {
        if let Some(app) = &p.app {
            d.install(app);
            if let Some(s) = &p.app_state {
                d.set_app_state(
                    app,
                    match s {
                        AppStateBody::Foreground => AppState::Foreground,
                        AppStateBody::Background => AppState::Background,
                        AppStateBody::NotRunning => AppState::NotRunning,
                    },
                );
            }
            if let Some(t) = p.background_task {
                d.set_background_task(app, t);
            }
            if let Some(e) = p.exempt {
                d.set_exempt(app, e, now);
            }
        }
        if let Some(power) = &p.power {
            d.set_power(
                match power {
                    PowerBody::PluggedIn => PowerState::PluggedIn,
                    PowerBody::BatteryScreenOn => PowerState::BatteryScreenOn,
                    PowerBody::BatteryScreenOff => PowerState::BatteryScreenOff,
                    PowerBody::BatterySaver => PowerState::BatterySaver,
                },
                now,
            );
        }
        d.render_text()
    });
    match done {
        Ok(text) => axum::Json(serde_json::json!({"text": text})).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

async fn add_channel(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let req: ChannelRequest = match json(&headers, &body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    match ctx.core.create_channel(&req) {
        Ok(c) => (StatusCode::CREATED, axum::Json(c)).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

async fn list_channels(State(ctx): State<Ctx>) -> Response {
    axum::Json(ctx.core.channels()).into_response()
}

async fn get_channel(State(ctx): State<Ctx>, Path(id): Path<u64>) -> Response {
    match ctx.core.channel(id) {
        Some(c) => axum::Json(c).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no channel {id}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelPatch {
    connection: Connection,
}

async fn patch_channel(
    State(ctx): State<Ctx>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: ChannelPatch = match json(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    match ctx.core.set_connection(id, p.connection) {
        Ok(delivered) => axum::Json(serde_json::json!({
            "delivered": delivered.iter().map(|o| format!("{o:?}")).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

async fn records(State(ctx): State<Ctx>) -> Response {
    axum::Json(ctx.core.records()).into_response()
}

async fn add_fault(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let f: WnsFault = match json(&headers, &body) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    match ctx.core.add_fault(f) {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

async fn list_faults(State(ctx): State<Ctx>) -> Response {
    axum::Json(ctx.core.faults()).into_response()
}

async fn clear_faults(State(ctx): State<Ctx>) -> Response {
    ctx.core.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_settings(State(ctx): State<Ctx>) -> Response {
    axum::Json(ctx.core.settings()).into_response()
}

/// Changes the fields given, keeps the others.
async fn patch_settings(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let patch: serde_json::Map<String, serde_json::Value> = match json(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let mut current = match serde_json::to_value(ctx.core.settings()) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "settings are not an object",
            )
        }
    };
    for (k, v) in patch {
        current.insert(k, v);
    }
    let settings: Settings = match serde_json::from_value(serde_json::Value::Object(current)) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("settings: {e}")),
    };
    match ctx.core.set_settings(settings.clone()) {
        Ok(()) => axum::Json(settings).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let a: Advance = match json(&headers, &body) {
        Ok(a) => a,
        Err(r) => return r.into_response(),
    };
    if !ctx.clock.is_virtual() {
        return error(
            StatusCode::CONFLICT,
            "the fake runs on the real clock; it cannot be advanced",
        );
    }
    if a.seconds > 400 * 24 * 3600 {
        return error(StatusCode::BAD_REQUEST, "seconds: at most 400 days at once");
    }
    ctx.clock.advance(Duration::from_secs(a.seconds));
    axum::Json(serde_json::json!({"now_secs": ctx.clock.now().as_secs()})).into_response()
}

/// A body-less state change: a page of another site can send a form POST without a preflight,
/// never with a custom header, so one is required.
async fn reset(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if !headers.contains_key("x-requested-with") {
        return error(
            StatusCode::FORBIDDEN,
            "a POST without a JSON body needs the header X-Requested-With (any value)",
        );
    }
    ctx.core.reset();
    StatusCode::NO_CONTENT.into_response()
}

async fn unknown(method: Method, Path(rest): Path<String>) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no control endpoint {method} /_fake/{rest}"),
    )
}
