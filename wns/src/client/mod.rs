//! The async client: tokens from the cache, requests over one connection pool with a bounded
//! number in flight, a 401 answered by one refresh and one resend, and bulk sends that back off
//! as WNS asks, on the injected [`Clock`].

mod clock;
mod error;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http_body_util::{BodyExt, Full, Limited};
use hyper_tls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;

pub use clock::{Clock, Sleep, SystemClock};
pub use error::SendError;

use crate::auth::{parse_token_answer, TokenCache};
use crate::{
    Action, AuthError, ChannelUri, Credentials, Match, Notification, Outcome, Token, WireRequest,
};

type Http = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Most bytes of a token endpoint's answer read (a token is a few hundred bytes to a few KB).
const MAX_TOKEN_ANSWER: usize = 64 * 1024;
/// Most bytes of a WNS answer's body read (WNS sends none).
const MAX_ANSWER_BODY: usize = 16 * 1024;

/// How a bulk send retries answers that say "later" (406, 429, 503, `channelthrottled`) and
/// connections that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The first wait when WNS gives no `Retry-After`; doubled each time (default 1 s).
    pub first_backoff: Duration,
    /// The longest wait, whatever `Retry-After` says (default 1 hour).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            first_backoff: Duration::from_secs(1),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based), given WNS's `Retry-After`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self
            .first_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        retry_after.unwrap_or(backoff).min(self.max_delay)
    }
}

/// Builds a [`Client`].
pub struct ClientBuilder {
    credentials: Credentials,
    timeout: Duration,
    concurrency: usize,
    clock: Arc<dyn Clock>,
    token_margin: Duration,
    allowed_hosts: Vec<String>,
    roots: Vec<Vec<u8>>,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// How long one request may take, connection included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// Most requests in flight at once, tokens excluded (default 64; at least 1).
    pub fn concurrency(mut self, requests: usize) -> ClientBuilder {
        self.concurrency = requests.max(1);
        self
    }

    /// The clock for token expiry and retry waits (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ClientBuilder {
        self.clock = clock;
        self
    }

    /// How long before its expiry a token is replaced (default 5 minutes; at most a tenth of
    /// the token's lifetime is used).
    pub fn token_margin(mut self, margin: Duration) -> ClientBuilder {
        self.token_margin = margin;
        self
    }

    /// Also sends to channels on this `host:port` (http or https): for a fake WNS in tests.
    /// Real channels are always `https` on `*.notify.windows.com`.
    pub fn allow_host(mut self, authority: impl Into<String>) -> ClientBuilder {
        self.allowed_hosts
            .push(authority.into().to_ascii_lowercase());
        self
    }

    /// Trusts this CA certificate (PEM) as well as the system's: for a fake WNS's test CA.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> ClientBuilder {
        self.roots.push(pem.to_vec());
        self
    }

    /// How bulk sends retry.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client, SendError> {
        let mut tls = native_tls::TlsConnector::builder();
        for pem in &self.roots {
            let cert = native_tls::Certificate::from_pem(pem)
                .map_err(|e| SendError::Transport(format!("a root certificate is not PEM: {e}")))?;
            tls.add_root_certificate(cert);
        }
        let tls = tls
            .build()
            .map_err(|e| SendError::Transport(format!("TLS set-up failed: {e}")))?;
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(self.timeout));
        let https = HttpsConnector::from((tcp, tokio_native_tls::TlsConnector::from(tls)));
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                credentials: self.credentials,
                tokens: TokenCache::new(self.token_margin),
                timeout: self.timeout,
                permits: Semaphore::new(self.concurrency),
                concurrency: self.concurrency,
                clock: self.clock,
                allowed_hosts: self.allowed_hosts,
                retry: self.retry,
            }),
        })
    }
}

struct Inner {
    http: Http,
    credentials: Credentials,
    tokens: TokenCache,
    timeout: Duration,
    permits: Semaphore,
    concurrency: usize,
    clock: Arc<dyn Clock>,
    allowed_hosts: Vec<String>,
    retry: RetryPolicy,
}

/// A bulk send's result for one channel.
#[derive(Debug)]
pub struct BulkResult {
    /// The channel.
    pub channel: ChannelUri,
    /// The last answer (or error), after retries.
    pub result: Result<Outcome, SendError>,
    /// Attempts made, the first included.
    pub attempts: u32,
}

/// Sends notifications to WNS. Cheap to clone: clones share the pool and the token.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use wns::{Client, Credentials, Toast};
///
/// let client = Client::builder(Credentials::store("ms-app://s-1-15-2-...", "secret")).build()?;
/// let channel = "https://db5.notify.windows.com/?token=AwYAAAB...".parse()?;
/// let outcome = client.send(&channel, &Toast::new().text("Hello").build()?).await?;
/// println!("{:?}: do {:?}", outcome.notification_status(), outcome.action());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// A builder for a client that authenticates with `credentials`.
    pub fn builder(credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            credentials,
            timeout: Duration::from_secs(30),
            concurrency: 64,
            clock: Arc::new(SystemClock),
            token_margin: Duration::from_secs(300),
            allowed_hosts: Vec::new(),
            roots: Vec::new(),
            retry: RetryPolicy::default(),
        }
    }

    /// The token the next send carries: the cached one while it is fresh, else one fetched now
    /// (by one caller at a time). Sends call this themselves; it is public for diagnostics and
    /// for measuring what token handling costs per send.
    pub async fn bearer(&self) -> Result<Arc<Token>, SendError> {
        self.token().await
    }

    /// How many tokens this client has fetched so far.
    pub fn token_fetches(&self) -> u64 {
        self.inner.tokens.fetches()
    }

    /// Sends `notification` to `channel`. A 401 is answered by one token refresh and one
    /// resend; the outcome is then the resend's.
    pub async fn send(
        &self,
        channel: &ChannelUri,
        notification: &Notification,
    ) -> Result<Outcome, SendError> {
        self.check_channel(channel)?;
        if notification.options().suppresses_popup() && !channel.is_windows_phone() {
            return Err(SendError::PhoneOnly("X-WNS-SuppressPopup"));
        }
        let make = |token: &Token| WireRequest::notification(channel, notification, token.value());
        self.with_token(channel, |t| Ok(make(t))).await
    }

    /// Removes toasts from a Windows Phone 8.1 device's action center (`DELETE` with
    /// `X-WNS-Match`). The channel must be marked with
    /// [`ChannelUri::windows_phone`](crate::ChannelUri::windows_phone).
    pub async fn delete(
        &self,
        channel: &ChannelUri,
        matching: &Match,
    ) -> Result<Outcome, SendError> {
        self.check_channel(channel)?;
        if !channel.is_windows_phone() {
            return Err(SendError::PhoneOnly("DELETE with X-WNS-Match"));
        }
        matching.header_value()?;
        self.with_token(channel, |t| {
            Ok(WireRequest::delete(channel, matching, t.value())?)
        })
        .await
    }

    /// Sends `notification` to every channel, at most the client's concurrency in flight,
    /// retrying as the [`RetryPolicy`] says. Results come in the order they finish.
    pub fn send_bulk<I>(
        &self,
        notification: &Notification,
        channels: I,
    ) -> BoxStream<'static, BulkResult>
    where
        I: IntoIterator<Item = ChannelUri>,
        I::IntoIter: Send + 'static,
    {
        let client = self.clone();
        let notification = notification.clone();
        // Jobs waiting on a retry hold no request slot, so more jobs than slots are started.
        let jobs = self.inner.concurrency.saturating_mul(4);
        stream::iter(channels)
            .map(move |channel| {
                let client = client.clone();
                let notification = notification.clone();
                async move { client.send_with_retry(channel, &notification).await }
            })
            .buffer_unordered(jobs)
            .boxed()
    }

    /// One channel's send with the retry policy.
    pub async fn send_with_retry(
        &self,
        channel: ChannelUri,
        notification: &Notification,
    ) -> BulkResult {
        let policy = self.inner.retry;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = self.send(&channel, notification).await;
            let wait = match &result {
                Ok(outcome) => match outcome.action() {
                    Action::BackOff { retry_after } => Some(retry_after),
                    _ => None,
                },
                Err(SendError::Timeout(_) | SendError::Transport(_)) => Some(None),
                Err(_) => None,
            };
            match wait {
                Some(retry_after) if attempts <= policy.max_retries => {
                    self.inner
                        .clock
                        .sleep(policy.delay(attempts, retry_after))
                        .await;
                }
                _ => {
                    return BulkResult {
                        channel,
                        result,
                        attempts,
                    }
                }
            }
        }
    }

    fn check_channel(&self, channel: &ChannelUri) -> Result<(), SendError> {
        if channel.is_wns() || self.inner.allowed_hosts.contains(&channel.authority()) {
            Ok(())
        } else {
            Err(SendError::ChannelNotAllowed {
                channel: channel.to_string(),
            })
        }
    }

    async fn token(&self) -> Result<Arc<Token>, SendError> {
        let clock = &self.inner.clock;
        Ok(self
            .inner
            .tokens
            .get(|| clock.now(), || self.fetch_token())
            .await?)
    }

    /// Sends the request `make` builds with the current token; on 401 once more with a new one.
    async fn with_token(
        &self,
        channel: &ChannelUri,
        make: impl Fn(&Token) -> Result<WireRequest, SendError>,
    ) -> Result<Outcome, SendError> {
        let token = self.token().await?;
        let outcome = self.execute(channel, make(&token)?).await?;
        if outcome.status != 401 {
            return Ok(outcome);
        }
        let clock = &self.inner.clock;
        let token = self
            .inner
            .tokens
            .replace(&token, || clock.now(), || self.fetch_token())
            .await?;
        self.execute(channel, make(&token)?).await
    }

    async fn execute(&self, channel: &ChannelUri, wire: WireRequest) -> Result<Outcome, SendError> {
        let mut request = hyper::Request::builder()
            .method(wire.method())
            .uri(channel.uri().clone());
        for (name, value) in wire.headers() {
            if *name != "Host" {
                request = request.header(*name, value);
            }
        }
        let request = request
            .body(Full::new(wire.body().clone()))
            .map_err(|e| SendError::Transport(format!("the request cannot be built: {e}")))?;
        let (status, headers, _) = self.round_trip(request, MAX_ANSWER_BODY).await?;
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
            .collect();
        Ok(Outcome::from_parts(status, headers))
    }

    async fn fetch_token(&self) -> Result<Token, AuthError> {
        let credentials = &self.inner.credentials;
        let request = hyper::Request::builder()
            .method("POST")
            .uri(credentials.token_url())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(credentials.form_body())))
            .map_err(|e| {
                AuthError::Config(format!("the token URL {:?}: {e}", credentials.token_url()))
            })?;
        let (status, _, body) = self
            .round_trip(request, MAX_TOKEN_ANSWER)
            .await
            .map_err(|e| AuthError::Unreachable(e.to_string()))?;
        parse_token_answer(status, &body, self.inner.clock.now())
    }

    /// One request within the timeout, holding a concurrency permit.
    async fn round_trip(
        &self,
        request: hyper::Request<Full<Bytes>>,
        max_body: usize,
    ) -> Result<(u16, hyper::HeaderMap, Bytes), SendError> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| SendError::Transport("the client is closed".into()))?;
        let timeout = self.inner.timeout;
        let exchange = async {
            let response = self
                .inner
                .http
                .request(request)
                .await
                .map_err(|e| SendError::Transport(error_chain(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, max_body)
                .collect()
                .await
                .map_err(|e| SendError::Transport(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok((parts.status.as_u16(), parts.headers, body))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout(timeout))?
    }
}

/// An error and its sources, joined, so that "connection refused" is not lost behind
/// "client error (Connect)".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
