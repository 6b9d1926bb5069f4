//! The HTTP face of the fake: a listener on loopback that answers channel URIs as MPNS did and
//! serves the control API under `/_fake/`, and [`FakeMpns`], the handle Rust tests hold.
//!
//! Connections are served one hyper connection per task so that a fault rule can drop a
//! connection without answering; shutdown stops accepting, lets requests in flight finish, and
//! ends event streams and never-answering requests.
//!
//! Decisions where the reference is silent or split:
//! - a path that is neither a channel URI nor under `/_fake/` gets 400 ("malformed channel
//!   URI", reference §3.2); a well-formed channel URI with an unknown token gets 404
//!   Dropped/Disconnected/Expired;
//! - the order of checks is: URI shape (400), body size (400, read no further than 3 KB),
//!   method (405), request content (400), fault rules, then the device model (see the `answer`
//!   module for its precedence);
//! - `POST {channel}/callback` on an unauthenticated channel gets 401 (callbacks are for
//!   authenticated services only), a missing or non-http(s) `X-CallbackURI` or a blob over 1 KB
//!   gets 400;
//! - the status headers go out with lowercase names (HTTP/1 header names are case-insensitive;
//!   hyper writes them lowercase);
//! - every answer on a channel path carries `X-MessageID`, also 400/405 ones.
//!
//! The request path takes no global lock: a read lock on the token map while cloning one `Arc`,
//! then the channel's device lock. Exceptions, each short: requests to unknown channels are
//! recorded under one lock; a batched notification schedules its delivery on the clock's timer
//! list; an installed fault rule with a probability draws from its own seeded generator.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::answer::Answer;
use super::engine::{Config, Core};
use super::error::FakeError;
use super::events::Event;
use super::expect::{Expect, Expectations};
use super::faults::{Fault, FaultRule, FaultStatus};
use super::model::{
    ChannelId, ChannelInfo, ChannelOptions, Delivered, DeviceId, DeviceUpdate, DeviceView,
    NotificationRecord,
};
use super::protocol::{self, Inspected, Mode, MAX_BODY_BYTES};
use super::record::{self, RequestInfo};
use super::registry::ChannelRef;
use super::tls::{Acceptor, TlsConfig};
use crate::clock::Clock;

/// Most bytes of a `/callback` blob (reference §1.3).
pub const MAX_CALLBACK_BYTES: usize = 1024;

/// How long the wait helpers wait (wall clock) before failing the test, by default.
const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// How long a request body may take to arrive (wall clock) before the request is refused.
const BODY_READ_LIMIT: Duration = Duration::from_secs(30);

const ZERO_ID: HeaderValue = HeaderValue::from_static("00000000-0000-0000-0000-000000000000");
const X_NOTIFICATION_STATUS: HeaderName = HeaderName::from_static("x-notificationstatus");
const X_DEVICE_STATUS: HeaderName = HeaderName::from_static("x-deviceconnectionstatus");
const X_SUBSCRIPTION_STATUS: HeaderName = HeaderName::from_static("x-subscriptionstatus");
const X_MESSAGE_ID: HeaderName = HeaderName::from_static("x-messageid");

/// Per-connection controls, which the handlers reach through [`CONN`].
pub(crate) struct ConnCtl {
    kill: CancellationToken,
    /// Subject CN of the verified client certificate (TLS connections only).
    client_cn: Option<Arc<str>>,
}

tokio::task_local! {
    /// The connection a request came on, set around every poll of its handler. A request
    /// extension would cost a map and two allocations per request; cloning the `Arc` costs none
    /// (cloning a cancellation token takes a lock).
    static CONN: Arc<ConnCtl>;
}

/// A running fake MPNS server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::{ChannelOptions, FakeMpns};
///
/// let fake = FakeMpns::start().await;
/// let channel = fake.create_channel(ChannelOptions::default()).unwrap();
/// assert!(channel.uri.starts_with(fake.uri()));
/// assert!(channel.uri.contains("/throttledthirdparty/01.00/"));
/// fake.expect(channel.id).notifications(0);
/// # }
/// ```
pub struct FakeMpns {
    core: Arc<Core>,
    addr: SocketAddr,
    uri: String,
    tls_uri: Option<String>,
    task: Option<JoinHandle<()>>,
    expectations: Expectations,
    wait_limit: Duration,
}

/// Configures a [`FakeMpns`] before it starts.
#[must_use = "a builder does nothing until .start() is awaited"]
pub struct FakeMpnsBuilder {
    addr: SocketAddr,
    config: Config,
    clock: Option<Clock>,
    wait_limit: Duration,
    tls: Option<TlsConfig>,
    tls_addr: SocketAddr,
}

impl Default for FakeMpnsBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            config: Config::default(),
            clock: None,
            wait_limit: WAIT_LIMIT,
            tls: None,
            tls_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl FakeMpnsBuilder {
    /// Listen on this address (default `127.0.0.1:0`, an ephemeral port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Lenient (default) or strict reading of requests.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config.mode = mode;
        self
    }

    /// The clock (default: a fresh virtual clock; share one clock across a whole world).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Queue capacity of new devices (default 30).
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.config.queue_capacity = n;
        self
    }

    /// Notifications an unauthenticated channel takes per day before 406 (default 500).
    pub fn daily_limit(mut self, n: u32) -> Self {
        self.config.daily_limit = n;
        self
    }

    /// Seed of the channel-token generator (default: random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// Records kept per channel before the oldest are forgotten (default 10 000).
    pub fn log_limit(mut self, n: usize) -> Self {
        self.config.log_limit = n;
        self
    }

    /// Treat requests to authenticated channels over plain HTTP as if they presented a valid
    /// client certificate (default: they answer 401, as MPNS without mutual TLS would).
    pub fn allow_authenticated_over_http(mut self, allow: bool) -> Self {
        self.config.allow_authenticated_over_http = allow;
        self
    }

    /// Serve authenticated channels over https with client certificates: their URIs become
    /// `https://HOST:TLSPORT/unthrottledthirdparty/01.00/<token>`, and a send is taken only with a
    /// client certificate whose subject CN is the channel's service name (401 otherwise).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Where the https listener binds (default `127.0.0.1:0`); only with [`tls`](Self::tls).
    pub fn tls_listen(mut self, addr: SocketAddr) -> Self {
        self.tls_addr = addr;
        self
    }

    /// How long (wall clock) [`FakeMpns::wait_until`] and
    /// [`FakeMpns::wait_for_notifications`] wait before failing the test (default 10 s).
    pub fn wait_limit(mut self, limit: Duration) -> Self {
        self.wait_limit = limit;
        self
    }

    /// Binds and starts serving; returns once the listener accepts connections.
    ///
    /// # Panics
    /// If the address cannot be bound (use [`try_start`](Self::try_start) to get the error).
    pub async fn start(self) -> FakeMpns {
        let addr = self.addr;
        self.try_start().await.unwrap_or_else(|e| {
            panic!("fake MPNS could not listen on {addr}: {e}; pick another address or port 0")
        })
    }

    /// Binds and starts serving; returns once the listener accepts connections.
    pub async fn try_start(self) -> std::io::Result<FakeMpns> {
        let acceptor = self.tls.as_ref().map(Acceptor::new).transpose()?;
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let uri = format!("http://{addr}");
        let tls_listener = match &acceptor {
            Some(_) => Some(TcpListener::bind(self.tls_addr).await?),
            None => None,
        };
        let tls_addr = tls_listener.as_ref().map(|l| l.local_addr()).transpose()?;
        let tls_uri = tls_addr.map(|a| format!("https://{a}"));
        let clock = self.clock.unwrap_or_default();
        let core = Core::new(self.config, clock);
        core.set_base_uri(uri.clone(), tls_uri.clone());
        let router = router(core.clone());
        let shutdown = core.shutdown.clone();
        let plain = serve(listener, None, router.clone(), shutdown.clone());
        let task = tokio::spawn(async move {
            match (tls_listener, acceptor) {
                (Some(l), Some(a)) => {
                    tokio::join!(plain, serve(l, Some(a), router, shutdown));
                }
                _ => plain.await,
            }
        });
        Ok(FakeMpns {
            core,
            addr,
            uri,
            tls_uri,
            task: Some(task),
            expectations: Expectations::default(),
            wait_limit: self.wait_limit,
        })
    }
}

/// Accepts connections until shutdown; each connection is served on its own task (after a TLS
/// handshake when `tls` is set).
async fn serve(
    listener: TcpListener,
    tls: Option<Arc<Acceptor>>,
    router: Router,
    shutdown: CancellationToken,
) {
    let tracker = TaskTracker::new();
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off a little instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tracker.spawn(async move {
            match tls {
                None => serve_connection(stream, None, router, shutdown).await,
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        h = acceptor.accept(stream) => h,
                        _ = shutdown.cancelled() => return,
                    };
                    if let Ok((stream, cn)) = handshake {
                        serve_connection(stream, cn, router, shutdown).await;
                    }
                }
            }
        });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

async fn serve_connection<I>(
    io: I,
    client_cn: Option<Arc<str>>,
    router: Router,
    shutdown: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = CancellationToken::new();
    let ctl = Arc::new(ConnCtl {
        kill: kill.clone(),
        client_cn,
    });
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        CONN.scope(ctl.clone(), router.clone().oneshot(req))
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = kill.cancelled() => {}
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = kill.cancelled() => {}
            }
        }
    }
}

/// The whole HTTP surface: control API under `/_fake/`, channel URIs everywhere else.
pub(crate) fn router(core: Arc<Core>) -> Router {
    super::control::routes()
        .fallback(channel_request)
        .with_state(core)
}

/// Where a channel URI points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Notify,
    Callback,
}

/// `/throttledthirdparty/01.00/<token>` or `/unthrottledthirdparty/01.00/<token>`, optionally
/// followed by `/callback`: (authenticated, token, endpoint).
fn parse_channel_path(path: &str) -> Option<(bool, &str, Endpoint)> {
    let (authenticated, rest) = if let Some(r) = path.strip_prefix("/throttledthirdparty/01.00/") {
        (false, r)
    } else if let Some(r) = path.strip_prefix("/unthrottledthirdparty/01.00/") {
        (true, r)
    } else {
        return None;
    };
    let (token, endpoint) = match rest.strip_suffix("/callback") {
        Some(t) => (t, Endpoint::Callback),
        None => (rest, Endpoint::Notify),
    };
    let ok = !token.is_empty()
        && token.len() <= 2048
        && token.bytes().all(|b| TOKEN_BYTES[usize::from(b)]);
    ok.then_some((authenticated, token, endpoint))
}

/// The bytes a channel token may hold, by value (a table: every request checks its token).
const TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'.' | b'~');
        b += 1;
    }
    table
};

fn mpns_response(answer: &Answer, message_id: HeaderValue) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let h = r.headers_mut();
    if let Some(n) = answer.notification {
        h.insert(X_NOTIFICATION_STATUS, HeaderValue::from_static(n.as_str()));
    }
    if let Some(d) = answer.device {
        h.insert(X_DEVICE_STATUS, HeaderValue::from_static(d.as_str()));
    }
    if let Some(s) = answer.subscription {
        h.insert(X_SUBSCRIPTION_STATUS, HeaderValue::from_static(s.as_str()));
    }
    h.insert(X_MESSAGE_ID, message_id);
    if answer.status == 405 {
        h.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    r
}

/// What the record keeps of a request: its method, and one small buffer of its own holding
/// the body, the message ID, the path and the headers (packed).
///
/// hyper's header values, URI and body point into the connection's read buffer (8 KB or more):
/// a record that kept them would keep that whole buffer alive, and the connection would have to
/// allocate a fresh one for every request.
fn request_info(parts: Parts, body: &[u8], id: &HeaderValue) -> RequestInfo {
    let Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    // Only a path (and query) is copied; other forms of request target are kept as they are.
    let (path, other_uri) = match (uri.scheme(), uri.authority()) {
        (None, None) => (uri.path_and_query().map_or("", |p| p.as_str()), None),
        _ => ("", Some(uri.clone())),
    };
    let mut data =
        Vec::with_capacity(body.len() + id.len() + path.len() + record::packed_len(&headers));
    data.extend_from_slice(body);
    data.extend_from_slice(id.as_bytes());
    data.extend_from_slice(path.as_bytes());
    record::pack_headers(&headers, &mut data);
    RequestInfo {
        method,
        other_uri,
        data: Bytes::from(data),
        lens: [body.len(), id.len(), path.len()],
    }
}

/// Reads at most `limit` bytes of body. `Err` carries the diagnostic.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, String> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared {
        if n > limit as u64 {
            return Err(format!(
                "The body has {n} bytes (Content-Length), over the limit of {limit} bytes; it was not read."
            ));
        }
    }
    let mut collect = std::pin::pin!(collect(Limited::new(body, limit)));
    // A small body has usually arrived with the head: then no timer is set up for it.
    let read = match futures_util::poll!(collect.as_mut()) {
        Poll::Ready(r) => Ok(r),
        Poll::Pending => tokio::time::timeout(BODY_READ_LIMIT, collect).await,
    };
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(format!(
            "The body is over the limit of {limit} bytes; reading stopped there."
        )),
        Ok(Err(e)) => Err(format!("The body could not be read: {e}.")),
        Err(_) => Err(format!(
            "The body did not arrive within {} s.",
            BODY_READ_LIMIT.as_secs()
        )),
    }
}

/// The body's data frames as one buffer. A body that comes in one frame (as a small one
/// does) is taken as it is, without a copy or a list of frames.
async fn collect(mut body: Limited<Body>) -> Result<Bytes, axum::BoxError> {
    let mut first = Bytes::new();
    let mut more = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if first.is_empty() && more.is_empty() {
            first = data;
        } else {
            if more.is_empty() {
                more.extend_from_slice(&std::mem::take(&mut first));
            }
            more.extend_from_slice(&data);
        }
    }
    Ok(if more.is_empty() {
        first
    } else {
        more.freeze()
    })
}

/// Every request outside `/_fake/`.
async fn channel_request(State(core): State<Arc<Core>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let message_id = parts.headers.get(&X_MESSAGE_ID).cloned().unwrap_or(ZERO_ID);
    let conn = CONN.try_with(Arc::clone).ok();
    let client_cn = conn.as_ref().and_then(|c| c.client_cn.clone());
    let Some((authenticated, token, endpoint)) = parse_channel_path(parts.uri.path()) else {
        let diagnostic = format!(
            "Malformed channel URI {}: expected /throttledthirdparty/01.00/<token> or /unthrottledthirdparty/01.00/<token> (control API under /_fake/).",
            protocol_text_short(parts.uri.path())
        );
        let answer = Answer::bare(400);
        let info = request_info(parts, &[], &message_id);
        core.record_refused(None, info, None, answer, None, vec![diagnostic]);
        return mpns_response(&answer, message_id);
    };
    let channel = core.resolve(token, authenticated);
    if endpoint == Endpoint::Callback {
        let answer =
            callback_request(&core, channel.as_ref(), &parts, body, client_cn.as_deref()).await;
        return mpns_response(&answer, message_id);
    }
    let bytes = match read_body(&parts.headers, body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(diagnostic) => {
            let answer = Answer::bare(400);
            let info = request_info(parts, &[], &message_id);
            core.record_refused(channel.as_ref(), info, None, answer, None, vec![diagnostic]);
            return mpns_response(&answer, message_id);
        }
    };
    let inspected = protocol::inspect(&parts.method, &parts.headers, &bytes, core.config.mode);
    let info = request_info(parts, &bytes, &message_id);
    let inspected = match inspected {
        Ok(i) => i,
        Err(rejection) => {
            let answer = Answer::bare(rejection.status);
            core.record_refused(
                channel.as_ref(),
                info,
                None,
                answer,
                None,
                rejection.diagnostics,
            );
            return mpns_response(&answer, message_id);
        }
    };
    if let Some((answer, record)) =
        apply_fault(&core, channel.as_ref(), conn.as_deref(), &inspected).await
    {
        if record {
            let diagnostics = inspected.diagnostics.clone();
            core.record_refused(
                channel.as_ref(),
                info,
                Some(&inspected),
                answer,
                None,
                diagnostics,
            );
        }
        return mpns_response(&answer, message_id);
    }
    let answer = core.receive(channel.as_ref(), inspected, client_cn.as_deref(), info);
    mpns_response(&answer, message_id)
}

fn protocol_text_short(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

/// Applies the first matching fault rule. `Some((answer, record))` answers now; `None` goes on
/// (after a delay, if the rule said so). Dropping and never answering do not return.
async fn apply_fault(
    core: &Core,
    channel: Option<&ChannelRef>,
    conn: Option<&ConnCtl>,
    inspected: &Inspected,
) -> Option<(Answer, bool)> {
    let (rule, fault) =
        core.faults
            .check(channel.map(|c| c.id), inspected.target, inspected.batching)?;
    let channel_id = channel.map(|c| c.id);
    let action = match fault {
        Fault::Status503 => "status_503".to_owned(),
        Fault::Delay(d) => format!("delay {} ms", d.as_millis()),
        Fault::DropConnection => "drop_connection".to_owned(),
        Fault::NeverAnswer => "never_answer".to_owned(),
    };
    core.events.emit(|| Event::FaultApplied {
        rule,
        channel: channel_id,
        action,
    });
    core.touch();
    let kill = conn.map(|c| c.kill.clone());
    match fault {
        Fault::Status503 => Some((Answer::bare(503), true)),
        Fault::Delay(d) => {
            tokio::select! {
                _ = tokio::time::sleep(d) => None,
                _ = core.shutdown.cancelled() => Some((Answer::bare(503), false)),
            }
        }
        Fault::DropConnection => {
            if let Some(kill) = kill {
                kill.cancel();
                std::future::pending::<()>().await;
            }
            Some((Answer::bare(503), false))
        }
        Fault::NeverAnswer => {
            core.shutdown.cancelled().await;
            if let Some(kill) = kill {
                kill.cancel();
                std::future::pending::<()>().await;
            }
            Some((Answer::bare(503), false))
        }
    }
}

/// `POST {channel}/callback`: stores `X-CallbackURI` and the blob (reference §1.3).
async fn callback_request(
    core: &Core,
    channel: Option<&ChannelRef>,
    parts: &Parts,
    body: Body,
    client_cn: Option<&str>,
) -> Answer {
    if parts.method != Method::POST {
        return Answer::bare(405);
    }
    let uri = parts
        .headers
        .get("x-callbackuri")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .and_then(|u| reqwest::Url::parse(u).ok());
    let Some(uri) = uri else {
        return Answer::bare(400);
    };
    let Ok(blob) = read_body(&parts.headers, body, MAX_CALLBACK_BYTES).await else {
        return Answer::bare(400);
    };
    core.register_callback(channel, client_cn, uri.to_string(), blob)
}

impl FakeMpns {
    /// Starts a lenient fake on `127.0.0.1:0` with a virtual clock; returns once listening.
    pub async fn start() -> FakeMpns {
        Self::builder().start().await
    }

    /// Configures a fake before starting it.
    pub fn builder() -> FakeMpnsBuilder {
        FakeMpnsBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, the base of every channel URI and of `/_fake/`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT` when TLS is configured: the base of authenticated channel URIs.
    pub fn tls_uri(&self) -> Option<&str> {
        self.tls_uri.as_deref()
    }

    /// The clock the fake runs on.
    pub fn clock(&self) -> &Clock {
        &self.core.clock
    }

    /// Moves a virtual clock forward, delivering whatever becomes due.
    ///
    /// # Panics
    /// If the fake runs on a real clock.
    pub fn advance(&self, by: Duration) {
        self.core.advance(by);
    }

    /// Creates a channel for a device and app (as a phone's push client would).
    pub fn create_channel(&self, options: ChannelOptions) -> Result<ChannelInfo, FakeError> {
        self.core.create_channel(options)
    }

    /// A channel's current description.
    pub fn channel(&self, id: ChannelId) -> Result<ChannelInfo, FakeError> {
        self.core.channel_info(id)
    }

    /// Every channel, by id.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        self.core
            .channel_ids()
            .into_iter()
            .filter_map(|id| self.core.channel_info(id).ok())
            .collect()
    }

    /// A channel's device state.
    pub fn device(&self, id: ChannelId) -> Result<DeviceView, FakeError> {
        self.core.device_view(id)
    }

    /// Changes a channel's device state (unset fields stay). Reconnecting delivers the queue;
    /// going Inactive fires stored callbacks.
    pub fn update_device(
        &self,
        id: ChannelId,
        update: &DeviceUpdate,
    ) -> Result<DeviceView, FakeError> {
        self.core.update_device(id, update)
    }

    /// Changes device-level state (`connection`, `power`, `queue_capacity`) of a device by name,
    /// with or without channels (as a phone's push client going offline would); channel-level
    /// fields are refused with an error naming them.
    pub fn update_device_by_id(
        &self,
        device: &DeviceId,
        update: &DeviceUpdate,
    ) -> Result<(), FakeError> {
        self.core.update_device_by_id(device, update)
    }

    /// Gives a channel a new URI; the old one answers 404 from now on.
    pub fn rotate_channel(&self, id: ChannelId) -> Result<ChannelInfo, FakeError> {
        self.core.rotate(id)
    }

    /// Notifications delivered to a device from now on (the device is created if new): what
    /// an emulated phone's push client receives.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use mpns_harness::{ChannelOptions, DeviceId, FakeMpns};
    ///
    /// let fake = FakeMpns::start().await;
    /// let phone = DeviceId::from("lumia-920");
    /// let mut inbox = fake.deliveries(&phone);
    /// let channel = fake
    ///     .create_channel(ChannelOptions {
    ///         device: Some(phone.clone()),
    ///         app: Some("weather".into()),
    ///         ..Default::default()
    ///     })
    ///     .unwrap();
    /// // ... a sender POSTs a toast to channel.uri ...
    /// assert!(inbox.try_recv().is_err(), "nothing sent yet");
    /// # let _ = channel;
    /// # }
    /// ```
    pub fn deliveries(&self, device: &DeviceId) -> broadcast::Receiver<Delivered> {
        self.core.subscribe_device(device)
    }

    /// Every request recorded on a channel, in order (`None`: all channels, plus requests to
    /// unknown channel URIs).
    pub fn notifications(
        &self,
        channel: Option<ChannelId>,
    ) -> Result<Vec<NotificationRecord>, FakeError> {
        Ok(self
            .core
            .notifications(channel)?
            .into_iter()
            // Each record is built afresh when read: taken out of its `Arc`, not copied.
            .map(Arc::unwrap_or_clone)
            .collect())
    }

    /// The request recorded on `channel` as number `seq`, if the log still holds it.
    pub(crate) fn notification(&self, channel: ChannelId, seq: u64) -> Option<NotificationRecord> {
        self.core
            .notification(channel, seq)
            .map(Arc::unwrap_or_clone)
    }

    /// Forgets recorded requests (of one channel, or all).
    pub fn clear_notifications(&self, channel: Option<ChannelId>) -> Result<(), FakeError> {
        self.core.clear_notifications(channel)
    }

    /// Installs a fault rule; returns its id.
    pub fn add_fault(&self, rule: FaultRule) -> Result<u64, FakeError> {
        self.core.faults.add(rule).map_err(FakeError::Invalid)
    }

    /// The installed fault rules.
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.core.faults.list()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.core.faults.clear();
    }

    /// Everything that happens from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.core.events.subscribe()
    }

    /// Forgets every channel, device, record and fault rule.
    pub fn reset(&self) {
        self.core.reset();
    }

    /// States what a channel must have received by the time the fake is dropped (or
    /// [`verify`](Self::verify) is called).
    pub fn expect(&self, channel: ChannelId) -> Expect<'_> {
        Expect::new(&self.expectations, channel)
    }

    /// Checks the expectations now; `Err` is the report a drop would panic with.
    pub fn verify(&self) -> Result<(), String> {
        self.expectations.verify(&self.core)
    }

    /// Waits until at least `n` requests were recorded (all channels and unknown URIs).
    ///
    /// # Panics
    /// After the wait limit (10 s of wall-clock time by default) without getting there.
    pub async fn wait_for_notifications(&self, n: usize) {
        self.wait_until_described(&format!("{n} notifications recorded"), |f| {
            f.core.notification_count() >= n
        })
        .await;
    }

    /// Waits until `condition` holds; it is checked now and after each change.
    ///
    /// # Panics
    /// After the wait limit (10 s of wall-clock time by default) without it holding.
    pub async fn wait_until(&self, condition: impl FnMut(&FakeMpns) -> bool) {
        self.wait_until_described("the condition", condition).await;
    }

    async fn wait_until_described(&self, what: &str, mut condition: impl FnMut(&FakeMpns) -> bool) {
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        self.core
            .waiting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _waiting = Waiting(&self.core.waiting);
        let deadline = tokio::time::Instant::now() + self.wait_limit;
        loop {
            let changed = self.core.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if condition(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let seen = self.core.notification_count();
                panic!(
                    "fake MPNS: waited {:.1} s for {what} but it never held ({seen} requests recorded); check that the sender targets {} and, for batched classes, that the test advances the clock",
                    self.wait_limit.as_secs_f64(),
                    self.uri
                );
            }
        }
    }

    /// Stops serving: no new connections, requests in flight finish, then returns.
    pub async fn shutdown(mut self) {
        self.core.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeMpns {
    fn drop(&mut self) {
        self.core.shutdown.cancel();
        if !std::thread::panicking() {
            if let Err(report) = self.expectations.verify(&self.core) {
                panic!("{report}");
            }
        }
    }
}

impl std::fmt::Debug for FakeMpns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeMpns").field("uri", &self.uri).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_paths_are_parsed_and_odd_ones_refused() {
        assert_eq!(
            parse_channel_path("/throttledthirdparty/01.00/AAF_x-1"),
            Some((false, "AAF_x-1", Endpoint::Notify))
        );
        assert_eq!(
            parse_channel_path("/unthrottledthirdparty/01.00/AAE/callback"),
            Some((true, "AAE", Endpoint::Callback))
        );
        for bad in [
            "/",
            "/throttledthirdparty/01.00/",
            "/throttledthirdparty/02.00/abc",
            "/throttledthirdparty/01.00/a/b",
            "/throttledthirdparty/01.00/a%20b",
        ] {
            assert_eq!(parse_channel_path(bad), None, "{bad}");
        }
    }
}
