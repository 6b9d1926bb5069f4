//! Failures that are not MPNS answers: no answer came back, or the client could not be built.
//!
//! Kept apart from [`crate::Outcome`] on purpose: the .NET recipe turned "no answer" into a fake
//! 500 and so lost the difference between "MPNS said no" and "the network said nothing".

use std::error::Error as _;
use std::fmt;
use std::io;
use std::time::Duration;

/// Why no answer came back for a request; see [`TransportError::kind`].
///
/// [`crate::RetryPolicy`] backs off on every kind except [`TransportErrorKind::Tls`] and
/// [`TransportErrorKind::InvalidRequest`], which waiting does not fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connect timeout or the whole-request timeout ran out.
    Timeout,
    /// Nothing listens at the channel's host and port.
    ConnectionRefused,
    /// The peer reset or aborted the connection.
    ConnectionReset,
    /// The peer closed the connection before a complete answer (an empty reply included).
    IncompleteResponse,
    /// The peer answered with bytes that are not HTTP.
    InvalidResponse,
    /// The TLS handshake failed (certificate, trust, protocol).
    Tls,
    /// Another failure while connecting (name resolution, unreachable network, proxy).
    Connect,
    /// The request cannot be sent as built (a URL or header value HTTP does not allow).
    InvalidRequest,
    /// Anything else the HTTP stack reported.
    Other,
}

impl TransportErrorKind {
    fn describe(self) -> &'static str {
        match self {
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::ConnectionRefused => "connection refused",
            TransportErrorKind::ConnectionReset => "connection reset",
            TransportErrorKind::IncompleteResponse => "connection closed before a complete answer",
            TransportErrorKind::InvalidResponse => "the answer is not valid HTTP",
            TransportErrorKind::Tls => "TLS handshake failed",
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::InvalidRequest => "the request cannot be sent",
            TransportErrorKind::Other => "the request failed",
        }
    }
}

/// No answer came back: the request timed out, the connection failed, or what came back was not
/// HTTP. MPNS answers, even 4xx and 5xx ones, are never a `TransportError`.
///
/// The channel URI is left out of the message on purpose (it is a bearer token); bulk sends
/// pair each error with its channel anyway.
///
/// ```
/// use mpns::{Client, TransportErrorKind};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Bind and release a port on loopback, so that nothing listens there.
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let channel = format!("http://127.0.0.1:{port}/throttledthirdparty/01.00/AAF").parse().unwrap();
/// let message = mpns::Raw::new(b"ping".to_vec()).build().unwrap();
/// let err = Client::new().send(&channel, &message).await.unwrap_err();
/// assert_eq!(err.kind(), TransportErrorKind::ConnectionRefused);
/// assert!(err.to_string().starts_with("connection refused: "));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", kind.describe())]
pub struct TransportError {
    kind: TransportErrorKind,
    detail: String,
}

impl TransportError {
    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The underlying cause in words, as the HTTP stack reported it.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub(crate) fn new(kind: TransportErrorKind, detail: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            detail: detail.into(),
        }
    }

    /// Classifies a failure of the HTTP client by walking its causes; never panics.
    pub(crate) fn from_client(
        err: &hyper_util::client::legacy::Error,
        timeouts: Timeouts,
    ) -> TransportError {
        let detail = causes(err);
        let kind = classify(err);
        let detail = if kind == TransportErrorKind::Timeout {
            format!("no complete answer within {timeouts} ({detail})")
        } else {
            detail
        };
        TransportError::new(kind, detail)
    }

    /// The request timeout ran out before the answer's head arrived.
    pub(crate) fn timed_out(timeouts: Timeouts) -> TransportError {
        TransportError::new(
            TransportErrorKind::Timeout,
            format!("no complete answer within {timeouts}"),
        )
    }
}

/// The two limits a timeout message names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) total: Duration,
}

impl fmt::Display for Timeouts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {:?} request timeout (connect timeout {:?})",
            self.total, self.connect
        )
    }
}

fn classify(err: &hyper_util::client::legacy::Error) -> TransportErrorKind {
    let mut next = err.source();
    while let Some(cause) = next {
        if let Some(kind) = classify_one(cause) {
            return kind;
        }
        next = match cause.downcast_ref::<io::Error>().and_then(|e| e.get_ref()) {
            // `io::Error::source` skips the error it wraps; look at that error itself.
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    if err.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    }
}

/// The kind one link of the cause chain names, if it names one.
fn classify_one(cause: &(dyn std::error::Error + 'static)) -> Option<TransportErrorKind> {
    if cause.is::<native_tls::Error>() {
        return Some(TransportErrorKind::Tls);
    }
    #[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
    if let Some(ssl) = cause.downcast_ref::<openssl::ssl::Error>() {
        // An OpenSSL error may only carry an I/O failure (a reset during TLS): name that.
        return match ssl.io_error() {
            Some(io_err) => io_kind(io_err),
            None => Some(TransportErrorKind::Tls),
        };
    }
    #[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
    if cause.is::<openssl::error::ErrorStack>() {
        return Some(TransportErrorKind::Tls);
    }
    if let Some(hyper_err) = cause.downcast_ref::<hyper::Error>() {
        if hyper_err.is_incomplete_message() {
            return Some(TransportErrorKind::IncompleteResponse);
        }
        if hyper_err.is_parse() || hyper_err.is_parse_status() {
            return Some(TransportErrorKind::InvalidResponse);
        }
    }
    cause.downcast_ref::<io::Error>().and_then(io_kind)
}

fn io_kind(err: &io::Error) -> Option<TransportErrorKind> {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => Some(TransportErrorKind::ConnectionRefused),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => Some(TransportErrorKind::ConnectionReset),
        io::ErrorKind::UnexpectedEof => Some(TransportErrorKind::IncompleteResponse),
        io::ErrorKind::TimedOut => Some(TransportErrorKind::Timeout),
        _ => None,
    }
}

/// "outer: inner: innermost", without repeating a cause that already contains the next one.
fn causes(err: &hyper_util::client::legacy::Error) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// Why a [`crate::Client`] could not be built. Each variant names the setting at fault.
///
/// ```
/// let err = mpns::Client::builder().concurrency(0).build().unwrap_err();
/// assert_eq!(err.to_string(), "concurrency 0 is out of range 1..=65536");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A number or duration outside what the client accepts.
    #[error("{field} {value} is out of range {range}")]
    OutOfRange {
        /// The builder setting.
        field: &'static str,
        /// The value given, as text.
        value: String,
        /// The accepted range, as text.
        range: &'static str,
    },
    /// The client certificate and key could not be read.
    #[error("client certificate ({format}) cannot be used: {detail}")]
    ClientCertificate {
        /// `PEM` or `PKCS#12`.
        format: &'static str,
        /// What the TLS library said.
        detail: String,
    },
    /// An extra root certificate could not be read.
    #[error("root certificate #{index} cannot be used: {detail}")]
    RootCertificate {
        /// Its position among the roots added, from 0.
        index: usize,
        /// What the TLS library said.
        detail: String,
    },
    /// The proxy URL is not usable.
    #[error("proxy {url:?} cannot be used: {detail}")]
    Proxy {
        /// The URL given.
        url: String,
        /// Why not.
        detail: String,
    },
    /// The HTTP stack refused the configuration (for example, the TLS library failed to start).
    #[error("the HTTP client cannot be built: {0}")]
    Http(String),
}
