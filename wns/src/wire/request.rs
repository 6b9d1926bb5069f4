//! The exact HTTP request a notification becomes: pure, so that tests and snapshots see the
//! bytes without a network.

use bytes::Bytes;

use super::ChannelUri;
use crate::message::{check_label, Notification};
use crate::BuildError;

/// Which toasts a `DELETE` removes from a Windows Phone 8.1 device's action center
/// (`X-WNS-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Every toast of the app.
    All,
    /// The toasts with this tag, in any group.
    Tag(String),
    /// The toasts in this group.
    Group(String),
    /// The toast with this tag in this group.
    TagInGroup {
        /// The tag.
        tag: String,
        /// The group.
        group: String,
    },
}

impl Match {
    /// The header's value, the tag and group checked as [`Options::tag`](crate::Options::tag)'s.
    pub fn header_value(&self) -> Result<String, BuildError> {
        Ok(match self {
            Match::All => "type:wns/toast;all".to_owned(),
            Match::Tag(tag) => {
                check_label("X-WNS-Match tag", tag)?;
                format!("type:wns/toast;tag={tag}")
            }
            Match::Group(group) => {
                check_label("X-WNS-Match group", group)?;
                format!("type:wns/toast;group={group}")
            }
            Match::TagInGroup { tag, group } => {
                check_label("X-WNS-Match tag", tag)?;
                check_label("X-WNS-Match group", group)?;
                format!("type:wns/toast;group={group};tag={tag}")
            }
        })
    }
}

/// One request to WNS: method, target, headers in the order they are written, and body.
///
/// ```
/// use wns::{ChannelUri, Toast, WireRequest};
///
/// let channel: ChannelUri = "https://db5.notify.windows.com/?token=AwYAAAB".parse()?;
/// let toast = Toast::new().text("Hello").build()?;
/// let http = String::from_utf8(WireRequest::notification(&channel, &toast, "EgAcAQ").to_http_bytes())?;
/// assert!(http.starts_with("POST /?token=AwYAAAB HTTP/1.1\r\nHost: db5.notify.windows.com\r\n"));
/// assert!(http.contains("Authorization: Bearer EgAcAQ\r\nContent-Type: text/xml\r\n"));
/// assert!(http.contains("X-WNS-Type: wns/toast\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    method: &'static str,
    target: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl WireRequest {
    /// A `POST` of `notification` to `channel` with the bearer `token`.
    pub fn notification(
        channel: &ChannelUri,
        notification: &Notification,
        token: &str,
    ) -> WireRequest {
        let kind = notification.kind();
        let mut headers = vec![
            ("Host", channel.authority()),
            ("Authorization", format!("Bearer {token}")),
            ("Content-Type", kind.content_type().to_owned()),
            ("Content-Length", notification.body().len().to_string()),
            ("X-WNS-Type", kind.wns_type().to_owned()),
        ];
        headers.extend(notification.options().headers());
        WireRequest {
            method: "POST",
            target: channel.path_and_query().to_owned(),
            headers,
            body: notification.body().clone(),
        }
    }

    /// A `DELETE` of the toasts `matching` from a Windows Phone 8.1 action center.
    pub fn delete(
        channel: &ChannelUri,
        matching: &Match,
        token: &str,
    ) -> Result<WireRequest, BuildError> {
        Ok(WireRequest {
            method: "DELETE",
            target: channel.path_and_query().to_owned(),
            headers: vec![
                ("Host", channel.authority()),
                ("Authorization", format!("Bearer {token}")),
                ("X-WNS-Match", matching.header_value()?),
                ("Content-Length", "0".to_owned()),
            ],
            body: Bytes::new(),
        })
    }

    /// `POST` or `DELETE`.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The headers, `Host` first.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The request as HTTP/1.1 bytes.
    pub fn to_http_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}
