//! The console's routes: the page, its JSON, the simulator's controls and server-sent events.
//!
//! Here are the routes and the page-wide handlers (state, events, faults, clock); the phone
//! actions are in `phones`, the task that announces changes in `watchers`, and the JSON the
//! browser reads is typed in `views`.

mod phones;
mod views;
mod watchers;

pub(super) use watchers::spawn_watchers;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use crate::registration::JsonBody;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mpns_harness::fake::FaultRule;
use serde::Deserialize;

use super::Shared;
use mpns::Clock as _;
use views::{ClockView, ConsoleState, ErrorBody, ErrorView, FaultAdded, WindowsView};

const INDEX: &str = include_str!("../assets/console.html");
const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The longest jump "advance the clock" takes: a week.
const MAX_ADVANCE_SECONDS: u64 = 7 * 86_400;
/// The most sends one fault rule fails.
const MAX_FAULT_COUNT: u64 = 1000;

pub(super) fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/console.css", get(css))
        .route("/console/console.js", get(js))
        .route("/console/api/state", get(state))
        .route("/console/api/events", get(events))
        .route(
            "/console/api/phones/{phone}/{action}",
            post(phones::phone_action),
        )
        .route("/console/api/faults", post(add_fault).delete(clear_faults))
        .route("/console/api/clock/advance", post(advance))
        .with_state(shared)
}

async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        INDEX,
    )
        .into_response()
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

/// A console error: `{"error": {"code", "field", "message"}}`, like the service's.
fn error(status: StatusCode, field: &str, message: String) -> Response {
    refuse(status, "invalid", field, message)
}

fn refuse(status: StatusCode, code: &'static str, field: &str, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorView {
            code,
            field: field.to_owned(),
            message,
        },
    };
    (status, Json(body)).into_response()
}

/// Why a JSON body was refused after it was read: not an object, or not the fields expected.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    /// The answer, naming `field`.
    fn answer(self, field: &str) -> Response {
        refuse(self.status, self.code, field, self.message)
    }
}

/// A JSON body read as `T`; it must be an object (serde would take an array such as `[5]`
/// for a struct's fields in order). `None` when no body came. A body that is not JSON or not
/// well-formed was already refused by [`JsonBody`] (`not_json`, `malformed_json`); fields that
/// do not fit `T` are `wrong_fields`.
fn object<T: serde::de::DeserializeOwned>(
    body: Option<JsonBody<serde_json::Value>>,
) -> Result<Option<T>, Refusal> {
    let Some(JsonBody(value)) = body else {
        return Ok(None);
    };
    if !value.is_object() {
        return Err(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: "the body must be a JSON object {...}".into(),
        });
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "wrong_fields",
            message: e.to_string(),
        })
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn now_ms(shared: &Shared) -> u64 {
    shared
        .clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map(millis)
        .unwrap_or(0)
}

async fn state(State(shared): State<Arc<Shared>>) -> Json<ConsoleState> {
    let tile_requests = match shared.patterns.get() {
        Some(p) => {
            let store = p.state().store().clone();
            let list = store
                .run(|s| s.latest_tile_requests(5))
                .await
                .unwrap_or_default();
            Some(list)
        }
        None => None,
    };
    Json(ConsoleState {
        now_ms: now_ms(&shared),
        advanced_seconds: shared.clock.advanced().as_secs(),
        fake: shared.world.fake().uri().to_owned(),
        service: shared.service_url().to_owned(),
        phones: shared.slots().iter().map(phones::phone_view).collect(),
        windows: shared.windows.get().map(windows_view).into_iter().collect(),
        faults: shared.world.fake().faults(),
        tile_requests,
    })
}

/// The Windows PC as the console draws it.
fn windows_view(slot: &super::WindowsSlot) -> WindowsView {
    let app = super::WINDOWS_APP;
    slot.pc.with(|d, _| WindowsView {
        name: slot.pc.name().to_owned(),
        user: slot.user.clone(),
        os: "Windows 11",
        channel: slot.channel.clone(),
        badge: d.badge(app).map(str::to_owned),
        toasts: d
            .notification_center()
            .iter()
            .rev()
            .filter(|(a, _)| *a == app)
            .map(|(_, t)| t.texts.join(" — "))
            .collect(),
        raws: d
            .raw_received(app)
            .1
            .iter()
            .rev()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect(),
        events: d
            .events()
            .iter()
            .rev()
            .take(8)
            .map(|e| format!("[{}] {}", e.app, e.message))
            .collect(),
        svg: d.render_svg(),
    })
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.changes.subscribe();
    let stop = shared.stop.clone();
    let stream = futures_util::stream::unfold((rx, stop), |(mut rx, mut stop)| async move {
        if *stop.borrow() {
            return None;
        }
        tokio::select! {
            msg = rx.recv() => match msg {
                Ok(what) => Some((Ok(Event::default().event(what).data(what)), (rx, stop))),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    Some((Ok(Event::default().event("all").data("all")), (rx, stop)))
                }
                Err(_) => None,
            },
            _ = stop.changed() => None,
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    count: u64,
}

async fn add_fault(
    State(shared): State<Arc<Shared>>,
    body: Option<JsonBody<serde_json::Value>>,
) -> Response {
    let body = match object::<FaultBody>(body) {
        Ok(body) => body,
        Err(refusal) => return refusal.answer("count"),
    };
    let Some(body) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "count",
            "the body must be JSON {\"count\": N}".into(),
        );
    };
    if !(1..=MAX_FAULT_COUNT).contains(&body.count) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "count",
            format!("count {} is out of range 1..={MAX_FAULT_COUNT}", body.count),
        );
    }
    match shared
        .world
        .fake()
        .add_fault(FaultRule::next_503(body.count))
    {
        Ok(id) => {
            tracing::info!(count = body.count, "fault rule added: next sends get 503");
            shared.changed("phones");
            Json(FaultAdded {
                id,
                count: body.count,
            })
            .into_response()
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, "count", e.to_string()),
    }
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.world.fake().clear_faults();
    shared.changed("phones");
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    seconds: u64,
}

async fn advance(
    State(shared): State<Arc<Shared>>,
    body: Option<JsonBody<serde_json::Value>>,
) -> Response {
    let body = match object::<AdvanceBody>(body) {
        Ok(body) => body,
        Err(refusal) => return refusal.answer("seconds"),
    };
    let Some(body) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "seconds",
            "the body must be JSON {\"seconds\": N}".into(),
        );
    };
    if !(1..=MAX_ADVANCE_SECONDS).contains(&body.seconds) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "seconds",
            format!(
                "seconds {} is out of range 1..={MAX_ADVANCE_SECONDS}",
                body.seconds
            ),
        );
    }
    shared.clock.advance(Duration::from_secs(body.seconds));
    shared.world.settle().await;
    tracing::info!(seconds = body.seconds, "clock advanced");
    shared.changed("clock");
    Json(ClockView {
        now_ms: now_ms(&shared),
        advanced_seconds: shared.clock.advanced().as_secs(),
    })
    .into_response()
}
