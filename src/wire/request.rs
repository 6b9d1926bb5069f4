//! Message -> HTTP request, as data: the exact headers and body MPNS receives, and the bytes of
//! the whole request, so that both can be compared with golden files without a socket.

use bytes::Bytes;
use uuid::Uuid;

use super::ChannelUri;
use crate::message::Message;

/// The most header bytes MPNS accepts (docs/mpns-protocol.md §2: headers at most 1 KB).
pub const MAX_HEADER_BYTES: usize = 1024;

/// The largest callback blob MPNS stores (docs/mpns-protocol.md §1.3).
pub const MAX_CALLBACK_BLOB: usize = 1024;

/// Why a request could not be built.
///
/// ```
/// use mpns::{ChannelUri, RequestError, WireRequest};
///
/// let channel: ChannelUri = "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAE".parse()?;
/// let err = WireRequest::callback(&channel, "https://svc.example.com/cb", vec![0u8; 1100]).unwrap_err();
/// assert_eq!(err.to_string(), "callback blob is 1100 bytes, 76 over the limit of 1024 bytes");
/// assert!(matches!(err, RequestError::TooLarge { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The callback URI is not an absolute `http(s)` URL fit for a header.
    #[error("X-CallbackURI {value:?} must be an absolute http:// or https:// URL without whitespace or control characters")]
    BadCallbackUri {
        /// The value given.
        value: String,
    },
    /// The callback blob or the headers exceed their 1 KB limit.
    #[error("{what} is {len} bytes, {over} over the limit of {limit} bytes", over = len - limit)]
    TooLarge {
        /// `callback blob` or `header block`.
        what: &'static str,
        /// The length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

/// An HTTP request exactly as it goes on the wire: always a POST.
///
/// `headers` are the ones the sender sets, in order; `Host` and `Content-Length` are added by
/// the HTTP client (and by [`to_http_bytes`](Self::to_http_bytes)).
///
/// ```
/// use mpns::{ChannelUri, Toast, WireRequest};
/// use uuid::Uuid;
///
/// let channel: ChannelUri = "http://127.0.0.1:9/throttledthirdparty/01.00/AAF".parse()?;
/// let toast = Toast::new().text1("Hi").build()?;
/// let request = WireRequest::notification(&channel, &toast, Uuid::nil());
/// assert_eq!(
///     request.headers,
///     [
///         ("Content-Type", "text/xml; charset=utf-8".to_owned()),
///         ("X-WindowsPhone-Target", "toast".to_owned()),
///         ("X-NotificationClass", "2".to_owned()),
///         ("X-MessageID", "00000000-0000-0000-0000-000000000000".to_owned()),
///     ]
/// );
/// assert!(request.to_http_bytes().starts_with(
///     b"POST /throttledthirdparty/01.00/AAF HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Type: "
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    ///
    /// Headers, in order: `Content-Type: text/xml; charset=utf-8` (for raw too, as Microsoft's
    /// samples and the .NET recipe do), `X-WindowsPhone-Target` (`toast` or `token`; absent for
    /// raw), `X-NotificationClass`, `X-MessageID` (lowercase hyphenated). These are always far
    /// below the 1 KB header limit.
    pub fn notification(channel: &ChannelUri, message: &Message, id: Uuid) -> WireRequest {
        WireRequest {
            url: channel.as_str().to_owned(),
            headers: notification_headers(message, id),
            body: message.body.clone(),
        }
    }

    /// The callback registration of an authenticated service: `POST {channel}/callback` with
    /// `X-CallbackURI: callback_uri` and the opaque `blob` (at most 1024 bytes) that MPNS will
    /// post back to `callback_uri` when the device turns inactive.
    ///
    /// Headers, in order: `Content-Type: application/octet-stream` (the blob is opaque),
    /// `X-CallbackURI`.
    ///
    /// # Errors
    ///
    /// [`RequestError`] when the blob exceeds 1024 bytes, the callback URI is not an absolute
    /// `http(s)` URL, or the headers exceed 1 KB (see [`header_len`](Self::header_len)).
    ///
    /// ```
    /// use mpns::{ChannelUri, WireRequest};
    ///
    /// let channel: ChannelUri = "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAE".parse()?;
    /// let request = WireRequest::callback(&channel, "https://svc.example.com/cb?id=1", &b"user 42"[..])?;
    /// assert_eq!(request.url, "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAE/callback");
    /// assert_eq!(request.headers[1], ("X-CallbackURI", "https://svc.example.com/cb?id=1".to_owned()));
    /// assert_eq!(&request.body[..], b"user 42");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn callback(
        channel: &ChannelUri,
        callback_uri: &str,
        blob: impl Into<Bytes>,
    ) -> Result<WireRequest, RequestError> {
        let blob = blob.into();
        if callback_uri.parse::<ChannelUri>().is_err() {
            return Err(RequestError::BadCallbackUri {
                value: callback_uri.to_owned(),
            });
        }
        if blob.len() > MAX_CALLBACK_BLOB {
            return Err(RequestError::TooLarge {
                what: "callback blob",
                len: blob.len(),
                limit: MAX_CALLBACK_BLOB,
            });
        }
        let request = WireRequest {
            url: format!("{}/callback", channel.as_str()),
            headers: vec![
                ("Content-Type", "application/octet-stream".to_owned()),
                ("X-CallbackURI", callback_uri.to_owned()),
            ],
            body: blob,
        };
        request.check_header_len()?;
        Ok(request)
    }

    /// The host (with port, if the URL has one) for the `Host` header.
    pub fn host(&self) -> &str {
        split_url(&self.url).0
    }

    /// The path and query for the request line (`/` if the URL has none; no fragment).
    pub fn path_and_query(&self) -> String {
        let rest = split_url(&self.url).1;
        if rest.starts_with('/') {
            rest.to_owned()
        } else {
            format!("/{rest}")
        }
    }

    /// The size of the header block in bytes, counted as in [`to_http_bytes`](Self::to_http_bytes):
    /// each `Name: value\r\n` line of `Host`, the headers and `Content-Length`. The request line
    /// is not counted (it holds the channel URI, which MPNS itself made and which may be long).
    pub fn header_len(&self) -> usize {
        let line = |name: &str, value: &str| name.len() + 2 + value.len() + 2;
        line("Host", self.host())
            + self
                .headers
                .iter()
                .map(|(name, value)| line(name, value))
                .sum::<usize>()
            + line("Content-Length", &self.body.len().to_string())
    }

    /// Checks the 1 KB header limit of MPNS.
    ///
    /// # Errors
    ///
    /// [`RequestError::TooLarge`] when [`header_len`](Self::header_len) exceeds 1024 bytes.
    pub fn check_header_len(&self) -> Result<(), RequestError> {
        let len = self.header_len();
        if len > MAX_HEADER_BYTES {
            return Err(RequestError::TooLarge {
                what: "header block",
                len,
                limit: MAX_HEADER_BYTES,
            });
        }
        Ok(())
    }

    /// The whole request as HTTP/1.1 bytes: `POST <path-and-query> HTTP/1.1`, `Host`, the
    /// headers in order, `Content-Length`, an empty line, the body; lines end with CRLF. This
    /// is the format of the golden files under `fixtures/wire/`.
    pub fn to_http_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\n",
            self.path_and_query(),
            self.host()
        );
        for (name, value) in &self.headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The headers of [`WireRequest::notification`], in order. The client builds them once per
/// message and replaces only the last one, `X-MessageID`, for each send.
pub(crate) fn notification_headers(message: &Message, id: Uuid) -> Vec<(&'static str, String)> {
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
    headers.push((MESSAGE_ID, id.hyphenated().to_string()));
    headers
}

/// The name of the header that carries a notification's id.
pub(crate) const MESSAGE_ID: &str = "X-MessageID";

/// Splits `scheme://[userinfo@]host[:port]/path?query#fragment` into the host (with port) and
/// the path with query. The URL comes from a [`ChannelUri`], so it has a scheme and a host.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let without_fragment = after_scheme.split('#').next().unwrap_or("");
    let end = without_fragment
        .find(['/', '?'])
        .unwrap_or(without_fragment.len());
    let (authority, rest) = without_fragment.split_at(end);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    (host, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> WireRequest {
        WireRequest {
            url: url.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn host_and_path_come_from_the_url() {
        let r = request("http://user@db3.notify.live.net:8080/a/b?x=1#frag");
        assert_eq!(r.host(), "db3.notify.live.net:8080");
        assert_eq!(r.path_and_query(), "/a/b?x=1");
        assert_eq!(request("https://h").path_and_query(), "/");
        assert_eq!(request("https://h?q=1").path_and_query(), "/?q=1");
    }

    #[test]
    fn header_len_counts_host_headers_and_content_length_lines() {
        let mut r = request("http://h:9/x");
        r.headers.push(("A", "b".to_owned()));
        // "Host: h:9\r\n" = 11, "A: b\r\n" = 6, "Content-Length: 0\r\n" = 19
        assert_eq!(r.header_len(), 36);
    }
}
