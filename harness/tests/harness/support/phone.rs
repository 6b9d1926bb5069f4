//! Helpers for the phone and World tests: notifications sent over real HTTP to a channel URI
//! with the answer as one line, and a phone with one app ready to receive.

use mpns_harness::protocol::Template;
use mpns_harness::{App, Phone, World};

use super::client::client;
use super::requests::{answer, notification};
use super::xml::toast_xml;

/// POSTs a notification: `target` "toast", "token" or None (raw); `class` 1..=23. Returns the
/// answer as one line.
pub(crate) async fn send(uri: &str, target: Option<&str>, class: u8, body: &str) -> String {
    let req = notification(&client(), uri, target, class, body.to_owned());
    answer(req.send().await.expect("an HTTP answer")).await
}

pub(crate) async fn send_toast(uri: &str, text1: &str, text2: &str, param: Option<&str>) -> String {
    send(uri, Some("toast"), 2, &toast_xml(text1, text2, param)).await
}

pub(crate) async fn send_tile(uri: &str, body: &str) -> String {
    send(uri, Some("token"), 1, body).await
}

pub(crate) async fn send_raw(uri: &str, body: &str) -> String {
    send(uri, None, 3, body).await
}

/// A World with phone "lumia" (`os`) and app "weather": primary FlipTile pinned, launched,
/// channel "push" open and bound to toast and tile (local images), then sent to the
/// background.
pub(crate) async fn ready(os: &str) -> (World, Phone, App) {
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

pub(crate) fn uri(app: &App) -> String {
    app.channel_uri().expect("an open channel")
}
