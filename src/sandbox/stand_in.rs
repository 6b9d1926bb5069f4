//! STAND-IN for the real "Push Patterns" phone app (`mpns_harness::apps::push_patterns`, built
//! elsewhere). The lead replaces this whole module with the real app at merge: everything the
//! sandbox needs from the app goes through [`start_push_patterns_app`] and [`register`].
//!
//! What it does, the least the sandbox needs: install the app, launch it, open its channel,
//! bind it to toasts and to the tile (remote images from the service allowed), pin the primary
//! tile when asked, register with the service over HTTP (`POST /api/registrations`), then put
//! the app where the situation says; and the Inbox's "Test Now" ([`test_now`]). No login
//! screen, no inbox logic, no AskToPin prompt, no schedule of its own.

use mpns_harness::mpns::protocol::Template;
use mpns_harness::phone::{App, Phone};

use super::Situation;

/// The app's name on the phone.
pub(crate) const APP_NAME: &str = "Push Patterns";
/// The channel's name (the recipe's).
pub(crate) const CHANNEL_NAME: &str = "PushPatternsChannel";

/// Installs and starts the app on `phone` in `situation`, registered as `user` with the
/// service at `service_url`.
pub(crate) async fn start_push_patterns_app(
    http: &reqwest::Client,
    phone: &Phone,
    service_url: &str,
    user: &str,
    situation: Situation,
) -> Result<App, String> {
    let app = phone
        .install(APP_NAME)
        .map_err(|e| format!("install: {e}"))?;
    app.launch();
    app.open_channel(CHANNEL_NAME)
        .map_err(|e| format!("open channel: {e}"))?;
    app.bind_toast().map_err(|e| format!("bind toast: {e}"))?;
    app.bind_tile_with([format!("{service_url}/")])
        .map_err(|e| format!("bind tile: {e}"))?;
    if situation != Situation::NotPinned {
        pin(&app)?;
    }
    register(http, &app, service_url, user).await?;
    match situation {
        Situation::PinnedInBackground => app
            .send_to_background()
            .map_err(|e| format!("background: {e}"))?,
        Situation::NotPinned => app.close(),
        Situation::Foreground => {}
    }
    Ok(app)
}

/// Pins the primary tile with the template the service sends to this OS (Flip from 8.0).
pub(crate) fn pin(app: &App) -> Result<(), String> {
    let template = if app.phone().os().as_str().starts_with('8') {
        Template::FlipTile
    } else {
        Template::Standard
    };
    app.pin_primary(template, &[("Title", "Push Patterns")])
        .map_err(|e| format!("pin: {e}"))
}

/// Registers the app's channel with the service (the app's login).
pub(crate) async fn register(
    http: &reqwest::Client,
    app: &App,
    service_url: &str,
    user: &str,
) -> Result<(), String> {
    let uri = app
        .channel_uri()
        .ok_or_else(|| "register: the app has no channel".to_owned())?;
    let body = serde_json::json!({
        "user_name": user,
        "channel_uri": uri,
        "os_version": app.phone().os().as_str(),
    });
    let response = http
        .post(format!("{service_url}/api/registrations"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("register: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(format!("register: the service answered {status}: {text}"));
    }
    Ok(())
}

/// The Tile Schedule panel's "Test Now": asks the service for a tile with number image `number`.
pub(crate) async fn test_now(
    http: &reqwest::Client,
    service_url: &str,
    user: &str,
    number: u8,
) -> Result<(), String> {
    let body = serde_json::json!({ "user_name": user, "number": number });
    let response = http
        .post(format!("{service_url}/api/tile-update"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("test now: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(format!("test now: the service answered {status}: {text}"));
    }
    Ok(())
}
