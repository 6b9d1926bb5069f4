//! The fake's web view (`/_fake/ui`, the way Mailpit shows mail) and the two endpoints it needs
//! beyond the rest of the control API: a notification's body as the exact bytes sent, and a
//! notification drawn as a phone would show it (SVG, by the phone's own renderer in `screen`).
//!
//! The page is plain HTML, CSS and JavaScript embedded in the binary, with no build step. Its
//! script talks only to the documented control API, shows every text from the wire with
//! `textContent` (never as markup), and puts the drawings in `<img>` elements, where an SVG can
//! run no script. A Content-Security-Policy allows this origin's scripts only, so a payload
//! that got into the page as markup still could not run.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use reqwest::Url;

use super::request::{channel_id, ApiError, ErrorBody};
use super::{ApiResult, Shared};
use crate::fake::engine::Core;
use crate::fake::model::{ChannelId, NotificationRecord};
use crate::protocol::{Content, TileValue};
use crate::screen::image::{AllowedImageUris, TileBinding};
use crate::screen::render_svg::render_svg;
use crate::screen::shell::{Applied, Shell};
use crate::screen::tile::TileKey;

const PAGE: &str = include_str!("assets/ui.html");
const SCRIPT: &str = include_str!("assets/ui.js");
const STYLE: &str = include_str!("assets/ui.css");

/// The page's policy: its own script, style, images (and the drawings it loads as blobs) and
/// API calls; nothing else, no framing.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

#[utoipa::path(get, path = "/_fake/ui", tag = "ui",
    responses((status = 200, description = "The web view: channels with their device state, each channel's notifications live, fault rules; it uses only this API", content_type = "text/html")))]
pub(super) async fn ui_page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

#[utoipa::path(get, path = "/_fake/ui/app.js", tag = "ui",
    responses((status = 200, description = "The web view's script", content_type = "text/javascript")))]
pub(super) async fn ui_script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

#[utoipa::path(get, path = "/_fake/ui/app.css", tag = "ui",
    responses((status = 200, description = "The web view's style sheet", content_type = "text/css")))]
pub(super) async fn ui_style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `GET /` on a listener that serves the control API: the web view.
pub(crate) async fn to_the_page() -> Redirect {
    Redirect::to("/_fake/ui")
}

/// The record `seq` of channel `id`, or the 400/404 that names what is wrong.
fn record(core: &Core, id: &str, seq: &str) -> ApiResult<(ChannelId, Arc<NotificationRecord>)> {
    let channel = channel_id(id)?;
    // The channel first, so that its absence is named as such.
    core.channel_info(channel)?;
    let n = seq.parse::<u64>().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("notification number {seq:?} is not a number (each record's `seq`)"),
        )
    })?;
    let found = core.notification(channel, n).ok_or_else(|| {
        ApiError(
            StatusCode::NOT_FOUND,
            format!("channel {channel} holds no notification {n} (GET /_fake/channels/{channel}/notifications lists them; the log may have dropped or forgotten it)"),
        )
    })?;
    Ok((channel, found))
}

#[utoipa::path(get, path = "/_fake/channels/{id}/notifications/{seq}/body", tag = "notifications",
    params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)"), ("seq" = u64, Path, description = "The record's `seq`")),
    responses(
        (status = 200, description = "The request body exactly as sent (the records' `body` is lossy UTF-8 text)", content_type = "application/octet-stream", body = String),
        (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody),
        (status = 404, description = "No such channel, or the channel holds no such record", body = ErrorBody),
    ))]
pub(super) async fn notification_body(
    State(core): Shared,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, found) = record(&core, &id, &seq)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        found.body.clone(),
    )
        .into_response())
}

#[utoipa::path(get, path = "/_fake/channels/{id}/notifications/{seq}/render", tag = "notifications",
    params(("id" = u64, Path, description = "The channel id (`GET /_fake/channels` lists them)"), ("seq" = u64, Path, description = "The record's `seq`")),
    responses(
        (status = 200, description = "The toast or tile as a phone would show it, on a start screen of the channel's app with that tile pinned; remote images are drawn as boxes labelled with their URI. Drawn whether or not it reached the phone: the record's `delivery` says that", content_type = "image/svg+xml", body = String),
        (status = 400, description = "Bad input: the error names the field or value", body = ErrorBody),
        (status = 404, description = "No such channel, or the channel holds no such record", body = ErrorBody),
        (status = 422, description = "Nothing a phone would show: a raw notification, a request that is not a well-formed toast or tile, or one the phone's shell refuses (the error says which)", body = ErrorBody),
    ))]
pub(super) async fn notification_render(
    State(core): Shared,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (channel, found) = record(&core, &id, &seq)?;
    let app = core.channel_info(channel)?.app;
    let svg = screen_of(&found, &app).map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        svg,
    )
        .into_response();
    // Opened on its own, the drawing may load and run nothing.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    Ok(response)
}

/// The notification on a fresh start screen of `app`: a toast in the tray, or a tile update
/// on a tile of its template, pinned for the occasion. Remote images count as downloaded,
/// since the fake does not know which hosts the app bound its channel to.
fn screen_of(record: &NotificationRecord, app: &str) -> Result<String, String> {
    let seq = record.seq;
    let Some(content) = record.content.as_deref() else {
        return Err(format!(
            "notification {seq} is not a well-formed toast, tile or raw notification (its diagnostics say why), so no phone got it"
        ));
    };
    let mut shell = Shell::new(app, "/MainPage.xaml");
    let mut binding = TileBinding::LocalImagesOnly;
    match content {
        Content::Raw { .. } => {
            return Err(format!(
                "notification {seq} is raw: it goes to the running app, and a phone's screen does not show it"
            ))
        }
        Content::Toast(_) => {}
        Content::Tile(tile) => {
            shell
                .pin(TileKey::from_id(tile.id.as_deref()), tile.template, &[])
                .map_err(|e| format!("a phone could not pin the tile notification {seq} is for: {e}"))?;
            let origins: Vec<String> = tile
                .properties
                .iter()
                .filter_map(|(_, v)| match v {
                    TileValue::Set(text) => Url::parse(text.trim()).ok(),
                    TileValue::Clear => None,
                })
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| format!("{}/", u.origin().ascii_serialization()))
                .collect();
            if let Ok(allowed) = AllowedImageUris::new(origins) {
                binding = TileBinding::RemoteFrom(allowed);
            }
        }
    }
    match shell.apply(content, &binding) {
        Ok(Applied::TileUpdated { fetches, .. }) => {
            for fetch in fetches {
                shell.image_fetched(fetch.id);
            }
        }
        Ok(_) => {}
        Err(e) => return Err(format!("a phone would not show notification {seq}: {e}")),
    }
    Ok(render_svg(&shell))
}
