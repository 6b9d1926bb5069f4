//! Well-formed MPNS requests of each type, built on a reqwest client, and a compact view of the
//! answer (status and the three MPNS headers). Used by the fake MPNS tests.

use reqwest::{Client, RequestBuilder, Response};

pub const TOAST: &str = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hi</wp:Text1><wp:Text2>There</wp:Text2></wp:Toast></wp:Notification>"#;

/// A toast of class `class` (2, 12 or 22).
pub fn toast(c: &Client, uri: &str, class: u8) -> RequestBuilder {
    toast_text(c, uri, class, "Hi")
}

pub fn toast_text(c: &Client, uri: &str, class: u8, text1: &str) -> RequestBuilder {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>{text1}</wp:Text1><wp:Text2>There</wp:Text2></wp:Toast></wp:Notification>"#
    );
    c.post(uri)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("X-WindowsPhone-Target", "toast")
        .header("X-NotificationClass", class.to_string())
        .body(body)
}

/// A standard tile update of class `class` (1, 11 or 21), for the secondary tile `id` if given.
pub fn tile(c: &Client, uri: &str, class: u8, id: Option<&str>) -> RequestBuilder {
    let id_attr = id.map(|i| format!(r#" Id="{i}""#)).unwrap_or_default();
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Tile{id_attr}><wp:Count>5</wp:Count><wp:Title>Oslo</wp:Title></wp:Tile></wp:Notification>"#
    );
    c.post(uri)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("X-WindowsPhone-Target", "token")
        .header("X-NotificationClass", class.to_string())
        .body(body)
}

/// A raw notification of class `class` (3, 13 or 23).
pub fn raw(c: &Client, uri: &str, class: u8, body: &str) -> RequestBuilder {
    c.post(uri)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("X-NotificationClass", class.to_string())
        .body(body.to_owned())
}

/// Status and the three MPNS headers ("" when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub status: u16,
    pub notification: String,
    pub device: String,
    pub subscription: String,
    pub message_id: String,
}

impl Seen {
    pub fn row(&self) -> (u16, &str, &str, &str) {
        (
            self.status,
            &self.notification,
            &self.device,
            &self.subscription,
        )
    }
}

pub async fn seen(r: Response) -> Seen {
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

pub async fn send(req: RequestBuilder) -> Seen {
    seen(req.send().await.expect("an HTTP answer")).await
}

/// Reads an answer from a raw connection up to the end of its head.
pub async fn read_head(tcp: &mut tokio::net::TcpStream) -> String {
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
