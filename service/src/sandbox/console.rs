//! The console's routes: the page, its JSON, the simulator's controls and server-sent events.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mpns_harness::phone::{AppState, PowerLevel, TileKey};
use mpns_harness::{Connection, DeviceUpdate, FaultRule, Subscription};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Shared, Slot};
use mpns::Clock as _;

const INDEX: &str = include_str!("assets/console.html");
const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

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
        .route("/console/api/phones/{phone}/{action}", post(phone_action))
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
    (
        status,
        Json(json!({"error": {"code": "invalid", "field": field, "message": message}})),
    )
        .into_response()
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

fn app_state(state: AppState) -> &'static str {
    match state {
        AppState::NotRunning => "closed",
        AppState::Background => "background",
        AppState::Foreground => "foreground",
    }
}

fn phone_json(slot: &Slot) -> Value {
    let phone = &slot.phone;
    let app = &slot.app;
    let channel = app.channel().map(|c| {
        json!({
            "name": c.name,
            "uri": c.uri,
            "toast_bound": c.toast_bound,
            "tile_bound": c.tile_binding.is_some(),
        })
    });
    let tile = app.tile(&TileKey::Primary).map(|t| {
        json!({
            "count": t.count(),
            "badge": t.badge(),
            "title": t.title(),
            "background_image": t.get("BackgroundImage"),
        })
    });
    let toast = app
        .toasts()
        .last()
        .map(|t| json!({"text1": t.text1, "text2": t.text2, "param": t.param}));
    let inbox: Vec<Value> = app
        .raw_inbox()
        .iter()
        .rev()
        .take(20)
        .map(|r| {
            json!({
                "at_ms": millis(r.at),
                "text": String::from_utf8_lossy(&r.body),
            })
        })
        .collect();
    let events: Vec<String> = phone
        .all_events()
        .iter()
        .rev()
        .take(8)
        .map(|e| e.describe())
        .collect();
    // The Push Patterns app's AskToPin popup, while it is on the screen.
    let prompt = slot
        .push_app
        .prompt()
        .map(|p| json!({"title": p.title, "text": p.text, "show_again": p.show_again}));
    json!({
        "name": phone.name(),
        "user": slot.user,
        "os": phone.os().as_str(),
        "situation": slot.situation.describe(),
        "connection": format!("{:?}", phone.connection()),
        "power": format!("{:?}", phone.power()),
        "app_state": app_state(app.state()),
        "pinned": tile.is_some(),
        "tile": tile,
        "channel": channel,
        "toast": toast,
        "toasts": app.toasts().len(),
        "inbox": inbox,
        "prompt": prompt,
        "events": events,
        "svg": phone.render_svg(),
    })
}

async fn state(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let phones: Vec<Value> = shared.slots().iter().map(phone_json).collect();
    let faults = serde_json::to_value(shared.world.fake().faults()).unwrap_or(Value::Null);
    let tile_requests = match shared.patterns.get() {
        Some(p) => {
            let store = p.state().store().clone();
            let list = store.run(|s| s.tile_requests()).await.unwrap_or_default();
            serde_json::to_value(list.iter().rev().take(5).collect::<Vec<_>>())
                .unwrap_or(Value::Null)
        }
        None => Value::Null,
    };
    Json(json!({
        "now_ms": now_ms(&shared),
        "advanced_seconds": shared.clock.advanced().as_secs(),
        "fake": shared.world.fake().uri(),
        "service": shared.service_url(),
        "phones": phones,
        "faults": faults,
        "tile_requests": tile_requests,
    }))
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

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PhoneBody {
    connection: Option<String>,
    level: Option<String>,
    state: Option<String>,
    number: Option<u8>,
    show_again: Option<bool>,
}

async fn phone_action(
    State(shared): State<Arc<Shared>>,
    Path((name, action)): Path<(String, String)>,
    body: Option<Json<PhoneBody>>,
) -> Response {
    let Some(slot) = shared
        .slots()
        .iter()
        .find(|s| s.phone.name() == name)
        .cloned()
    else {
        let shown: String = name.chars().take(40).collect();
        return error(
            StatusCode::NOT_FOUND,
            "phone",
            format!("no phone named {shown:?}"),
        );
    };
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let result = match action.as_str() {
        "connection" => set_connection(&slot, body.connection.as_deref()),
        "power" => set_power(&slot, body.level.as_deref()),
        "app" => set_app(&slot, body.state.as_deref()),
        "pin" => slot.push_app.pin().map_err(|e| ("tile", e.to_string())),
        "unpin" => {
            if slot.app.unpin(&TileKey::Primary) {
                Ok(())
            } else {
                Err(("tile", "the primary tile is not pinned".to_owned()))
            }
        }
        "expire" => expire(&shared, &slot),
        "register" => reregister(&shared, &slot).await,
        "dismiss-prompt" => match body.show_again {
            Some(show_again) if slot.push_app.dismiss_prompt(show_again) => Ok(()),
            Some(_) => Err(("prompt", "no AskToPin popup is shown".to_owned())),
            None => Err((
                "show_again",
                "show_again is required (true or false: the popup's \"Show this message again\")"
                    .to_owned(),
            )),
        },
        "test-now" => match body.number {
            Some(n) => test_now(&slot, n).await,
            None => Err(("number", "number is required (0..=99)".to_owned())),
        },
        other => {
            let shown: String = other.chars().take(40).collect();
            return error(
                StatusCode::NOT_FOUND,
                "action",
                format!("action {shown:?} is not one of: connection, power, app, pin, unpin, expire, register, dismiss-prompt, test-now"),
            );
        }
    };
    match result {
        Ok(()) => {
            shared.changed("phones");
            Json(phone_json(&slot)).into_response()
        }
        Err((field, message)) => error(StatusCode::UNPROCESSABLE_ENTITY, field, message),
    }
}

type ActionResult = Result<(), (&'static str, String)>;

fn set_connection(slot: &Slot, value: Option<&str>) -> ActionResult {
    let connection = match value {
        Some("Connected") => Connection::Connected,
        Some("TempDisconnected") => Connection::TempDisconnected,
        Some("Disconnected") => Connection::Disconnected,
        Some("Inactive") => Connection::Inactive,
        other => {
            return Err((
                "connection",
                format!("connection {other:?} is not one of: Connected, TempDisconnected, Disconnected, Inactive"),
            ))
        }
    };
    slot.phone.set_connection(connection);
    Ok(())
}

fn set_power(slot: &Slot, value: Option<&str>) -> ActionResult {
    let level = match value {
        Some("Normal") => PowerLevel::Normal,
        Some("Low") => PowerLevel::Low,
        Some("CriticalLow") => PowerLevel::CriticalLow,
        other => {
            return Err((
                "level",
                format!("level {other:?} is not one of: Normal, Low, CriticalLow"),
            ))
        }
    };
    slot.phone.set_power(level);
    Ok(())
}

fn set_app(slot: &Slot, value: Option<&str>) -> ActionResult {
    match value {
        Some("foreground") => slot.app.launch(),
        Some("background") => {
            if slot.app.state() == AppState::NotRunning {
                slot.app.launch();
            }
            slot.app
                .send_to_background()
                .map_err(|e| ("state", e.to_string()))?;
        }
        Some("closed") => slot.app.close(),
        other => {
            return Err((
                "state",
                format!("state {other:?} is not one of: foreground, background, closed"),
            ))
        }
    }
    Ok(())
}

fn expire(shared: &Shared, slot: &Slot) -> ActionResult {
    let channel = slot
        .app
        .channel()
        .ok_or_else(|| ("channel", "the app has no channel to expire".to_owned()))?;
    shared
        .world
        .fake()
        .update_device(
            channel.id,
            &DeviceUpdate {
                subscription: Some(Subscription::Expired),
                ..DeviceUpdate::default()
            },
        )
        .map(|_| ())
        .map_err(|e| ("channel", e.to_string()))
}

/// The app's "Test Now" with number image `n` selected in its schedule panel (the app must be
/// running, as its button is on the app's screen).
async fn test_now(slot: &Slot, n: u8) -> ActionResult {
    let app = &slot.push_app;
    app.select_number(n)
        .map_err(|e| ("number", e.to_string()))?;
    app.test_now()
        .await
        .map(|_| ())
        .map_err(|e| ("number", e.to_string()))
}

/// The app's "log in again": a closed app is launched for it (a launch logs in with the saved
/// user) and closed again afterwards; a running one logs in. A channel MPNS expired is closed
/// first, so the app opens a new one.
async fn reregister(shared: &Shared, slot: &Slot) -> ActionResult {
    let was = slot.app.state();
    let expired = slot.app.channel().is_some_and(|c| {
        shared
            .world
            .fake()
            .device(c.id)
            .map(|d| d.subscription == Subscription::Expired)
            .unwrap_or(false)
    });
    if expired {
        let _ = slot.app.close_channel();
    }
    let app = &slot.push_app;
    let result = if was == AppState::NotRunning {
        app.launch().await
    } else {
        app.login(&slot.user).await
    };
    app.settle().await;
    match was {
        AppState::NotRunning => app.close(),
        AppState::Background => {
            let _ = app.send_to_background();
        }
        AppState::Foreground => {}
    }
    result.map_err(|e| ("registration", e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    count: u64,
}

async fn add_fault(State(shared): State<Arc<Shared>>, body: Option<Json<FaultBody>>) -> Response {
    let Some(Json(body)) = body else {
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
            Json(json!({"id": id, "count": body.count})).into_response()
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

async fn advance(State(shared): State<Arc<Shared>>, body: Option<Json<AdvanceBody>>) -> Response {
    let Some(Json(body)) = body else {
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
    Json(json!({
        "now_ms": now_ms(&shared),
        "advanced_seconds": shared.clock.advanced().as_secs(),
    }))
    .into_response()
}

/// The task that turns what happens into change notices: the fake's events and new
/// registrations at once; each phone's events and new rows in the status log are looked for
/// every 150 ms (a phone applies a delivery after the fake answered, the service logs it after
/// the answer came back).
pub(super) fn spawn_watchers(shared: &Arc<Shared>) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(patterns) = shared.patterns.get() else {
        return Vec::new();
    };
    let state = patterns.state().clone();
    let shared = shared.clone();
    let mut stop = shared.stop.clone();
    let mut phone_events: Vec<_> = shared.slots().iter().map(|s| s.phone.events()).collect();
    let mut fake_events = shared.world.fake().events();
    let mut registrations = state.subscribe();
    vec![tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(150));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_id = 0i64;
        loop {
            tokio::select! {
                e = fake_events.recv() => match e {
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => shared.changed("phones"),
                    Err(_) => {}
                },
                _ = registrations.recv() => shared.changed("subscribers"),
                _ = interval.tick() => {
                    let mut phones_changed = false;
                    for events in &mut phone_events {
                        for e in events.drain() {
                            tracing::debug!(event = %e.describe(), "phone event");
                            phones_changed = true;
                        }
                    }
                    if phones_changed {
                        shared.changed("phones");
                    }
                    let store = state.store().clone();
                    let after = last_id;
                    if let Ok(rows) = store.run(move |s| s.status_log(after, 1000)).await {
                        if let Some(last) = rows.last() {
                            last_id = last.id;
                            shared.changed("log");
                        }
                    }
                }
                _ = stop.changed() => return,
            }
        }
    })]
}
