//! The emulated phones in the console: how each is shown, and what the operator can do to it
//! (connection, power, app state, pin, expire, log in again, "Test Now", the AskToPin popup,
//! an `Unknown` channel error).

use std::sync::Arc;

use crate::registration::JsonBody;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mpns_harness::fake::{Connection, DeviceUpdate, Subscription};
use mpns_harness::phone::{AppState, PowerLevel, TileKey};
use serde::Deserialize;

use super::views::{ChannelView, PhoneView, PromptView, RawView, TileView, ToastView};
use super::{error, millis};
use crate::sandbox::{Shared, Slot};

fn app_state(state: AppState) -> &'static str {
    match state {
        AppState::NotRunning => "closed",
        AppState::Background => "background",
        AppState::Foreground => "foreground",
    }
}

pub(super) fn phone_view(slot: &Slot) -> PhoneView {
    let phone = &slot.phone;
    let app = &slot.app;
    let channel = app.channel().map(|c| ChannelView {
        name: c.name.clone(),
        uri: c.uri.clone(),
        toast_bound: c.toast_bound,
        tile_bound: c.tile_binding.is_some(),
    });
    let tile = app.tile(&TileKey::Primary).map(|t| TileView {
        count: t.count(),
        badge: t.badge(),
        title: t.title().map(str::to_owned),
        background_image: t.get("BackgroundImage").map(str::to_owned),
    });
    let toast = app.toasts().last().map(|t| ToastView {
        text1: t.text1.clone(),
        text2: t.text2.clone(),
        param: t.param.clone(),
    });
    let inbox = app
        .raw_inbox()
        .iter()
        .rev()
        .take(20)
        .map(|r| RawView {
            at_ms: millis(r.at),
            text: String::from_utf8_lossy(&r.body).into_owned(),
        })
        .collect();
    let events = phone
        .all_events()
        .iter()
        .rev()
        .take(8)
        .map(|e| e.describe())
        .collect();
    // The Push Patterns app's AskToPin popup, while it is on the screen.
    let prompt = slot.push_app.prompt().map(|p| PromptView {
        title: p.title,
        text: p.text,
        show_again: p.show_again,
    });
    PhoneView {
        name: phone.name().to_owned(),
        user: slot.user.clone(),
        os: phone.os().as_str(),
        situation: slot.situation.describe(),
        connection: format!("{:?}", phone.connection()),
        power: format!("{:?}", phone.power()),
        app_state: app_state(app.state()),
        pinned: tile.is_some(),
        tile,
        channel,
        toast,
        toasts: app.toasts().len(),
        inbox,
        prompt,
        events,
        svg: phone.render_svg(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(super) struct PhoneBody {
    connection: Option<String>,
    level: Option<String>,
    state: Option<String>,
    number: Option<u64>,
    show_again: Option<bool>,
}

pub(super) async fn phone_action(
    State(shared): State<Arc<Shared>>,
    Path((name, action)): Path<(String, String)>,
    body: Option<JsonBody<serde_json::Value>>,
) -> Response {
    let body: PhoneBody = match super::object(body) {
        Ok(body) => body.unwrap_or_default(),
        Err(refusal) => return refusal.answer("body"),
    };
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
        "unknown-error" => slot
            .app
            .raise_unknown_error(UNKNOWN_ERROR_MESSAGE)
            .map_err(|e| ("channel", e.to_string())),
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
        // The console says and checks the range the app takes, not the 0..=99 the service
        // can render.
        "test-now" => match body.number {
            Some(n) if n <= u64::from(TEST_NOW_MAX) => test_now(&slot, n as u8).await,
            Some(n) => Err((
                "number",
                format!("number {n} is out of range 0..={TEST_NOW_MAX}"),
            )),
            None => Err(("number", format!("number is required (0..={TEST_NOW_MAX})"))),
        },
        other => {
            let shown: String = other.chars().take(40).collect();
            return error(
                StatusCode::NOT_FOUND,
                "action",
                format!("action {shown:?} is not one of: connection, power, app, pin, unpin, expire, unknown-error, register, dismiss-prompt, test-now"),
            );
        }
    };
    match result {
        Ok(()) => {
            shared.changed("phones");
            Json(phone_view(&slot)).into_response()
        }
        Err((field, message)) => error(StatusCode::UNPROCESSABLE_ENTITY, field, message),
    }
}

type ActionResult = Result<(), (&'static str, String)>;

/// The highest number "Test Now" takes: the Push Patterns app's schedule panel lists the number
/// images 0 to 9 (the harness's `NUMBER_IMAGES`, internal to it; the app refuses others too).
const TEST_NOW_MAX: u8 = 9;

/// The `ErrorOccurred` message of an `Unknown` channel error raised from the console
/// (docs/mpns-protocol.md §6.2; the channel stays open).
const UNKNOWN_ERROR_MESSAGE: &str =
    "Raised from the sandbox console: an error of no documented type; the channel stays open.";

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
