//! The async sender: one pooled HTTP client reused for every request (keep-alive), a bulk
//! fan-out with bounded concurrency, and a retry policy kept pure so it can be tested as data.
//!
//! Everything on the wire comes from [`crate::WireRequest`]; everything read back goes through
//! [`crate::Outcome`]. This module only moves bytes and classifies failures.

mod builder;
mod bulk;
mod clock;
mod error;
mod retry;

use std::sync::Arc;

use bytes::Bytes;
use uuid::Uuid;

pub use builder::ClientBuilder;
pub use bulk::BulkResult;
pub use clock::{Clock, ManualClock, Sleep, TokioClock};
pub use error::{BuildError, TransportError, TransportErrorKind};
pub use retry::{send_with_retry, Retried, Retry, RetryPolicy, Stop};

use crate::message::Message;
use crate::wire::{ChannelUri, Outcome, WireRequest};
use error::Timeouts;

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
    http: reqwest::Client,
    settings: Arc<Settings>,
}

#[derive(Debug)]
struct Settings {
    timeouts: Timeouts,
    concurrency: usize,
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
    /// [`WireRequest::notification`]; the HTTP stack adds only `host`, `content-length` and
    /// `accept: */*`. Redirects are never followed.
    pub async fn send(
        &self,
        channel: &ChannelUri,
        message: &Message,
    ) -> Result<Outcome, TransportError> {
        let id = message.message_id().unwrap_or_else(Uuid::new_v4);
        self.send_with_id(channel, message, id).await
    }

    pub(crate) async fn send_with_id(
        &self,
        channel: &ChannelUri,
        message: &Message,
        id: Uuid,
    ) -> Result<Outcome, TransportError> {
        self.execute(WireRequest::notification(channel, message, id))
            .await
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
    /// HTTP stack adds only `host`, `content-length` and `accept: */*`.
    pub(crate) async fn execute(&self, request: WireRequest) -> Result<Outcome, TransportError> {
        let mut builder = self.http.post(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        let mut response = builder
            .body(request.body)
            .send()
            .await
            .map_err(|e| TransportError::from_reqwest(e, self.settings.timeouts))?;
        let outcome = Outcome::from_parts(
            response.status().as_u16(),
            response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value.as_bytes()))),
        );
        // The answer is complete once the headers are in; the body only has to be read so the
        // connection can go back to the pool. A failure here does not change the answer.
        let mut drained = 0;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    drained += chunk.len();
                    if drained > MAX_DRAINED_BODY {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "answer body unreadable; connection dropped");
                    break;
                }
            }
        }
        tracing::debug!(status = outcome.status, action = %outcome.action(), "MPNS answered");
        Ok(outcome)
    }
}
