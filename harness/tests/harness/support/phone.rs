//! Helpers for the phone and World tests: notification bodies written by hand, sent over real
//! HTTP to a channel URI, the answer as one line, and a phone with one app ready to receive.

use mpns_harness::mpns::protocol::Template;
use mpns_harness::phone::{App, Phone};
use mpns_harness::World;

use super::client::client;

const HEAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A toast body.
pub fn toast_xml(text1: &str, text2: &str, param: Option<&str>) -> String {
    let param = param
        .map(|p| format!("<wp:Param>{}</wp:Param>", esc(p)))
        .unwrap_or_default();
    format!(
        r#"{HEAD}<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>{}</wp:Text1><wp:Text2>{}</wp:Text2>{param}</wp:Toast></wp:Notification>"#,
        esc(text1),
        esc(text2)
    )
}

/// A tile body: `template` None for the standard tile; each property set (`Some`) or cleared
/// (`None`).
pub fn tile_xml(
    template: Option<&str>,
    id: Option<&str>,
    props: &[(&str, Option<&str>)],
) -> String {
    let version = if template.is_some() {
        r#" Version="2.0""#
    } else {
        ""
    };
    let mut attrs = String::new();
    if let Some(id) = id {
        attrs.push_str(&format!(r#" Id="{}""#, esc(id)));
    }
    if let Some(t) = template {
        attrs.push_str(&format!(r#" Template="{t}""#));
    }
    let mut inner = String::new();
    for (k, v) in props {
        match v {
            Some(v) => inner.push_str(&format!("<wp:{k}>{}</wp:{k}>", esc(v))),
            None => inner.push_str(&format!(r#"<wp:{k} Action="Clear"></wp:{k}>"#)),
        }
    }
    format!(
        r#"{HEAD}<wp:Notification xmlns:wp="WPNotification"{version}><wp:Tile{attrs}>{inner}</wp:Tile></wp:Notification>"#
    )
}

/// A flip tile body for the primary tile.
pub fn flip_xml(props: &[(&str, Option<&str>)]) -> String {
    tile_xml(Some("FlipTile"), None, props)
}

/// The answer as one line: `"200 Received Connected Active"` (absent headers left out).
pub async fn answer(r: reqwest::Response) -> String {
    let mut parts = vec![r.status().as_u16().to_string()];
    for h in [
        "X-NotificationStatus",
        "X-DeviceConnectionStatus",
        "X-SubscriptionStatus",
    ] {
        if let Some(v) = r.headers().get(h).and_then(|v| v.to_str().ok()) {
            parts.push(v.to_owned());
        }
    }
    parts.join(" ")
}

/// POSTs a notification: `target` "toast", "token" or None (raw); `class` 1..=23.
pub async fn send(uri: &str, target: Option<&str>, class: u8, body: &str) -> String {
    let mut req = client()
        .post(uri)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("X-NotificationClass", class.to_string())
        .body(body.to_owned());
    if let Some(t) = target {
        req = req.header("X-WindowsPhone-Target", t);
    }
    answer(req.send().await.expect("an HTTP answer")).await
}

pub async fn send_toast(uri: &str, text1: &str, text2: &str, param: Option<&str>) -> String {
    send(uri, Some("toast"), 2, &toast_xml(text1, text2, param)).await
}

pub async fn send_tile(uri: &str, body: &str) -> String {
    send(uri, Some("token"), 1, body).await
}

pub async fn send_raw(uri: &str, body: &str) -> String {
    send(uri, None, 3, body).await
}

/// A World with phone "lumia" (`os`) and app "weather": primary FlipTile pinned, launched,
/// channel "push" open and bound to toast and tile (local images), then sent to the
/// background.
pub async fn ready(os: &str) -> (World, Phone, App) {
    let world = World::start().await;
    let phone = world.add_phone("lumia", os).expect("a phone");
    let app = phone.install("weather").expect("an app");
    let template = if os.starts_with("7.0") || os.starts_with("7.1") {
        Template::Standard
    } else {
        Template::FlipTile
    };
    app.pin_primary(template, &[("Title", "Weather")])
        .expect("pinned");
    app.launch();
    app.open_channel("push").expect("open");
    app.bind_toast().expect("toast bound");
    app.bind_tile().expect("tile bound");
    app.send_to_background().expect("backgrounded");
    (world, phone, app)
}

pub fn uri(app: &App) -> String {
    app.channel_uri().expect("an open channel")
}
