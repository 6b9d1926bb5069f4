//! Well-formed MPNS requests of each type, built on a reqwest client, and two compact views of
//! the answer (status and the three MPNS headers): a struct, and one line.

use reqwest::{Client, RequestBuilder, Response};

use super::xml::{tile_xml, toast_xml};

/// The body [`toast`] sends.
pub(crate) const TOAST: &str = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hi</wp:Text1><wp:Text2>There</wp:Text2></wp:Toast></wp:Notification>"#;

/// A POST of `body` to `uri` with the headers a sender writes: `target` "toast", "token" or
/// None (raw); `class` 1..=23.
pub(crate) fn notification(
    c: &Client,
    uri: &str,
    target: Option<&str>,
    class: u8,
    body: String,
) -> RequestBuilder {
    let mut req = c
        .post(uri)
        .header("Content-Type", "text/xml; charset=utf-8");
    if let Some(t) = target {
        req = req.header("X-WindowsPhone-Target", t);
    }
    req.header("X-NotificationClass", class.to_string())
        .body(body)
}

/// A toast of class `class` (2, 12 or 22).
pub(crate) fn toast(c: &Client, uri: &str, class: u8) -> RequestBuilder {
    toast_text(c, uri, class, "Hi")
}

/// A toast of class `class` whose first line is `text1` (escaped here) and second "There".
pub(crate) fn toast_text(c: &Client, uri: &str, class: u8, text1: &str) -> RequestBuilder {
    notification(
        c,
        uri,
        Some("toast"),
        class,
        toast_xml(text1, "There", None),
    )
}

/// A standard tile update of class `class` (1, 11 or 21), for the secondary tile `id` if given.
pub(crate) fn tile(c: &Client, uri: &str, class: u8, id: Option<&str>) -> RequestBuilder {
    let props = [("Count", Some("5")), ("Title", Some("Oslo"))];
    notification(c, uri, Some("token"), class, tile_xml(None, id, &props))
}

/// A raw notification of class `class` (3, 13 or 23).
pub(crate) fn raw(c: &Client, uri: &str, class: u8, body: &str) -> RequestBuilder {
    notification(c, uri, None, class, body.to_owned())
}

/// Status and the three MPNS headers ("" when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub status: u16,
    pub notification: String,
    pub device: String,
    pub subscription: String,
    pub message_id: String,
}

impl Seen {
    pub(crate) fn row(&self) -> (u16, &str, &str, &str) {
        (
            self.status,
            &self.notification,
            &self.device,
            &self.subscription,
        )
    }
}

pub(crate) async fn seen(r: Response) -> Seen {
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let s = Seen {
        status: r.status().as_u16(),
        notification: h("X-NotificationStatus"),
        device: h("X-DeviceConnectionStatus"),
        subscription: h("X-SubscriptionStatus"),
        message_id: h("X-MessageID"),
    };
    let body = r.bytes().await.expect("a body");
    assert!(
        body.is_empty(),
        "MPNS answers have an empty body, got {body:?}"
    );
    s
}

/// The answer as one line: `"200 Received Connected Active"` (absent headers left out).
pub(crate) async fn answer(r: reqwest::Response) -> String {
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

/// Sends `req` and reads the answer, which must have an empty body.
pub(crate) async fn send(req: RequestBuilder) -> Seen {
    seen(req.send().await.expect("an HTTP answer")).await
}

/// Reads an answer from a raw connection up to the end of its head.
pub(crate) async fn read_head(tcp: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}
