//! The async sender: one pooled HTTP client reused for every request (keep-alive), a bulk
//! fan-out with bounded concurrency, and a retry policy kept pure so it can be tested as data.
//!
//! Everything on the wire comes from [`crate::WireRequest`]; everything read back goes through
//! [`crate::Outcome`]. This module only moves bytes and classifies failures.

mod builder;
mod bulk;
mod clock;
mod connect;
mod error;
mod retry;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use hyper::{Method, Request};
use uuid::Uuid;

pub use builder::ClientBuilder;
pub use bulk::BulkResult;
pub use clock::{Clock, ManualClock, Sleep, TokioClock};
pub use error::{BuildError, TransportError, TransportErrorKind};
pub use retry::{send_with_retry, Retried, Retry, RetryPolicy, Stop};

use crate::message::Message;
use crate::wire::{notification_headers, ChannelUri, Outcome, WireRequest, MESSAGE_ID};
use error::Timeouts;

/// hyper's HTTP/1 client over the pool of [`connect::Connector`] connections.
type HttpClient = hyper_util::client::legacy::Client<connect::Connector, Full<Bytes>>;

/// An MPNS sender. Cloning is cheap and shares the connection pool, so make one and reuse it.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use mpns::{Action, Client, Toast};
///
/// let client = Client::new();
/// let channel = "http://db3.notify.live.net/throttledthirdparty/01.00/AAF".parse()?;
/// let toast = Toast::new().text1("Game Update").text2("Game has been released").build()?;
/// let outcome = client.send(&channel, &toast).await?;
/// match outcome.action() {
///     Action::RemoveChannel => { /* delete the channel from the store */ }
///     action => println!("{} -> {action}", outcome.status),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    http: HttpClient,
    settings: Arc<Settings>,
}

#[derive(Debug)]
struct Settings {
    timeouts: Timeouts,
    concurrency: usize,
    /// `Proxy-Authorization` for requests sent to the proxy in absolute form (`http` channels;
    /// `https` ones carry it in their `CONNECT`).
    proxy_auth: Option<HeaderValue>,
}

/// Answers are expected empty; at most this much of a body is read (to keep the connection
/// reusable) before the rest is abandoned along with the connection.
const MAX_DRAINED_BODY: usize = 64 * 1024;

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeouts", &self.settings.timeouts)
            .field("concurrency", &self.settings.concurrency)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings (15 s request timeout, 5 s connect timeout, bulk
    /// concurrency 16, system roots, no client certificate, no proxy).
    ///
    /// # Panics
    ///
    /// Only if the system TLS library cannot be initialised; use
    /// [`Client::builder`]`().build()` to get that as an error instead.
    pub fn new() -> Client {
        Client::builder()
            .build()
            .expect("the default HTTP client could not be built; the system TLS library failed to initialise (call Client::builder().build() to handle this as an error)")
    }

    /// Settings for a client: timeouts, TLS client certificate, roots, proxy, concurrency.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Sends one notification and reads MPNS's answer. The request carries the message's fixed
    /// `X-MessageID`, or a fresh random one.
    ///
    /// Every answer MPNS gives, 404 included, is `Ok(Outcome)`; `Err` means no answer came back.
    ///
    /// On the wire: a POST to the channel URI with exactly the headers and body of
    /// [`WireRequest::notification`]; the HTTP stack adds only `host` and `content-length`.
    /// Redirects are never followed.
    pub async fn send(
        &self,
        channel: &ChannelUri,
        message: &Message,
    ) -> Result<Outcome, TransportError> {
        let id = message.message_id().unwrap_or_else(Uuid::new_v4);
        self.send_with_id(channel, message, id).await
    }

    /// Like [`send`](Client::send), with the `X-MessageID` given: a sender that retries (or a
    /// queue that resends after a crash) keeps one id per message and subscriber, so that MPNS
    /// and the receiving side can recognise a repeat.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = mpns::Client::new();
    /// let channel: mpns::ChannelUri = "http://db3.notify.live.net/throttledthirdparty/01.00/AAF".parse()?;
    /// let toast = mpns::Toast::new().text1("Hi").build()?;
    /// let id = uuid::Uuid::new_v4(); // stored with the job, the same on every attempt
    /// let outcome = client.send_with_id(&channel, &toast, id).await?;
    /// println!("{}", outcome.status);
    /// # Ok(()) }
    /// ```
    pub async fn send_with_id(
        &self,
        channel: &ChannelUri,
        message: &Message,
        id: Uuid,
    ) -> Result<Outcome, TransportError> {
        let request = Prepared::new(message)?.request(channel, id)?;
        self.round_trip(request).await
    }

    /// Registers a callback for an authenticated channel: MPNS will POST `blob` (at most 1 KB)
    /// to `callback_uri` when the device becomes inactive. One callback per channel; a new one
    /// replaces the old. The answer carries `X-SubscriptionStatus` and
    /// `X-DeviceConnectionStatus`.
    ///
    /// A callback URI or blob that cannot be sent is a [`TransportErrorKind::InvalidRequest`]
    /// error, raised before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = mpns::Client::builder()
    ///     .client_certificate_pem(&std::fs::read("cert.pem")?, &std::fs::read("key.pem")?)
    ///     .build()?;
    /// let channel = "https://db3.notify.live.net/unthrottledthirdparty/01.00/AAE".parse()?;
    /// let outcome = client
    ///     .register_callback(&channel, "https://push.example.com/inactive", b"user=42".to_vec())
    ///     .await?;
    /// println!("{:?}", outcome.subscription);
    /// # Ok(()) }
    /// ```
    pub async fn register_callback(
        &self,
        channel: &ChannelUri,
        callback_uri: &str,
        blob: impl Into<Bytes>,
    ) -> Result<Outcome, TransportError> {
        let request = WireRequest::callback(channel, callback_uri, blob)
            .map_err(|e| TransportError::new(TransportErrorKind::InvalidRequest, e.to_string()))?;
        self.execute(request).await
    }

    /// Sends a [`WireRequest`] exactly as built: its URL, its headers in order, its body. The
    /// HTTP stack adds only `host` and `content-length`.
    pub(crate) async fn execute(&self, request: WireRequest) -> Result<Outcome, TransportError> {
        let uri = crate::wire::request_uri(&request.url).ok_or_else(|| {
            TransportError::new(
                TransportErrorKind::InvalidRequest,
                "the URL cannot be carried by HTTP",
            )
        })?;
        let headers = header_map(&request.headers)?;
        self.round_trip(post(uri, headers, request.body)).await
    }

    /// Sends one request and reads the answer, all within the request timeout.
    ///
    /// Not an `async fn`: the request is handed to the HTTP client before the returned future
    /// starts, so the future (one per request in flight, in a bulk send) does not hold it. The
    /// future stays under 1 KB, which glibc's allocator serves from its fast per-thread cache.
    fn round_trip(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> impl Future<Output = Result<Outcome, TransportError>> + Send + '_ {
        let settings = &self.settings;
        if let Some(auth) = &settings.proxy_auth {
            if request.uri().scheme() == Some(&hyper::http::uri::Scheme::HTTP) {
                request
                    .headers_mut()
                    .insert(PROXY_AUTHORIZATION, auth.clone());
            }
        }
        let deadline = deadline_after(settings.timeouts.total);
        let response = self.http.request(request);
        let timeouts = settings.timeouts;
        async move {
            let response = match tokio::time::timeout_at(deadline, response).await {
                Ok(Ok(response)) => response,
                Ok(Err(e)) => return Err(TransportError::from_client(&e, timeouts)),
                Err(_) => return Err(TransportError::timed_out(timeouts)),
            };
            // The head is dropped before the body is read, for the same reason.
            let (outcome, body) = {
                let (head, body) = response.into_parts();
                let outcome = Outcome::from_parts(
                    head.status.as_u16(),
                    head.headers.iter().map(|(name, value)| {
                        (name.as_str(), String::from_utf8_lossy(value.as_bytes()))
                    }),
                );
                (outcome, body)
            };
            // The answer is complete once the headers are in; the body only has to be read so
            // the connection can go back to the pool. A failure here does not change the answer.
            if tokio::time::timeout_at(deadline, drain(body))
                .await
                .is_err()
            {
                tracing::debug!(
                    "answer body not read within the request timeout; connection dropped"
                );
            }
            tracing::debug!(status = outcome.status, action = %outcome.action(), "MPNS answered");
            Ok(outcome)
        }
    }
}

/// Now plus `timeout`, saturating: a timeout too long to add to the clock (`Duration::MAX`)
/// gives a deadline a century away instead of a panic.
fn deadline_after(timeout: std::time::Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + std::time::Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Reads and discards an answer's body, up to [`MAX_DRAINED_BODY`].
async fn drain(mut body: Incoming) {
    let mut drained = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                drained += frame.data_ref().map_or(0, Bytes::len);
                if drained > MAX_DRAINED_BODY {
                    break;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "answer body unreadable; connection dropped");
                break;
            }
        }
    }
}

/// A notification's headers and body, built once per message: each send only clones them (the
/// values and the body are shared, not copied) and sets its own `X-MessageID`.
#[derive(Clone)]
pub(crate) struct Prepared {
    headers: HeaderMap,
    message_id: HeaderName,
    body: Bytes,
}

impl Prepared {
    pub(crate) fn new(message: &Message) -> Result<Prepared, TransportError> {
        Ok(Prepared {
            headers: header_map(&notification_headers(message, Uuid::nil()))?,
            message_id: header_name(MESSAGE_ID)?,
            body: message.body.clone(),
        })
    }

    /// The request to `channel` with `X-MessageID: id`, as [`WireRequest::notification`] has it.
    pub(crate) fn request(
        &self,
        channel: &ChannelUri,
        id: Uuid,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let uri = channel.request_uri().clone();
        let mut headers = self.headers.clone();
        let mut text = Uuid::encode_buffer();
        // Replacing the value keeps the header in its place, the last.
        headers.insert(
            self.message_id.clone(),
            header_value(id.hyphenated().encode_lower(&mut text))?,
        );
        Ok(post(uri, headers, self.body.clone()))
    }
}

fn post(uri: hyper::Uri, headers: HeaderMap, body: Bytes) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    request
}

/// The headers of a list, in its order.
fn header_map(list: &[(&str, String)]) -> Result<HeaderMap, TransportError> {
    let mut headers = HeaderMap::with_capacity(list.len());
    for (name, value) in list {
        headers.append(header_name(name)?, header_value(value)?);
    }
    Ok(headers)
}

fn header_name(name: &str) -> Result<HeaderName, TransportError> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
        TransportError::new(
            TransportErrorKind::InvalidRequest,
            format!("header name {name:?}: {e}"),
        )
    })
}

fn header_value(value: &str) -> Result<HeaderValue, TransportError> {
    HeaderValue::from_str(value).map_err(|e| {
        TransportError::new(
            TransportErrorKind::InvalidRequest,
            format!("header value {value:?}: {e}"),
        )
    })
}
