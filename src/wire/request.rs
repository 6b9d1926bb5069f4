//! Message -> HTTP request, as data.

use bytes::Bytes;
use uuid::Uuid;

use super::ChannelUri;
use crate::message::Message;

/// An HTTP request exactly as it goes on the wire: always a POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// The channel URI (or `{channel}/callback`).
    pub url: String,
    /// Header names and values, in the order they are sent.
    pub headers: Vec<(&'static str, String)>,
    /// The body bytes.
    pub body: Bytes,
}

impl WireRequest {
    /// The request that delivers `message` to `channel`, with `X-MessageID: id`.
    pub fn notification(channel: &ChannelUri, message: &Message, id: Uuid) -> WireRequest {
        let kind = message.kind();
        let mut headers = Vec::with_capacity(4);
        headers.push(("Content-Type", "text/xml; charset=utf-8".to_owned()));
        if let Some(target) = kind.target() {
            headers.push(("X-WindowsPhone-Target", target.to_owned()));
        }
        headers.push((
            "X-NotificationClass",
            message.class().header_value(kind).to_string(),
        ));
        headers.push(("X-MessageID", id.hyphenated().to_string()));
        WireRequest {
            url: channel.as_str().to_owned(),
            headers,
            body: message.body.clone(),
        }
    }
}
