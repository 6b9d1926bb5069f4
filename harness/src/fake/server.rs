//! [`FakeMpns`], the handle Rust tests hold, and its builder: it binds the listeners on
//! loopback, puts the control API under `/_fake/` and channel URIs everywhere else on one
//! router, and verifies the test's expectations when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::channel_uri::channel_request;
use super::conn::{serve, ConnLimits};
use super::control::to_the_page;
use super::engine::{Config, Core};
use super::error::FakeError;
use super::events::Event;
use super::expect::{Expect, Expectations};
use super::faults::{FaultRule, FaultStatus};
use super::model::{
    ChannelId, ChannelInfo, ChannelOptions, Delivered, DeviceId, DeviceUpdate, DeviceView,
    NotificationRecord, Repeat,
};
use super::scenario::Scenario;
use super::tls::{Acceptor, TlsConfig};
use crate::clock::Clock;
use crate::protocol::Mode;

/// How long the wait helpers wait (wall clock) before failing the test, by default.
const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// A running fake MPNS server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::fake::ChannelOptions;
/// use mpns_harness::FakeMpns;
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
    control_uri: String,
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
    limits: ConnLimits,
    control_addr: Option<SocketAddr>,
    public_uri: Option<String>,
    public_tls_uri: Option<String>,
    scenario: Option<Scenario>,
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
            limits: ConnLimits::default(),
            control_addr: None,
            public_uri: None,
            public_tls_uri: None,
            scenario: None,
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

    /// The byte budget of all the logs together (every channel's and the one of requests to
    /// unknown channel URIs; default 256 MiB). A log that records a request while all are over
    /// it forgets its own oldest records, but keeps its newest one; the drops are counted
    /// ([`FakeMpns::records_dropped`], `records_dropped` of a channel). A record costs its
    /// kept request (at most [`HEADERS_KEPT`](crate::fake::HEADERS_KEPT) of headers,
    /// [`PATH_KEPT`](crate::fake::PATH_KEPT) of path, the body) and its diagnostics.
    pub fn log_bytes(mut self, bytes: usize) -> Self {
        self.config.log_bytes = bytes;
        self
    }

    /// The most channels the fake holds (default 1 000 000). Past it, creating a channel
    /// fails with [`FakeError::TooManyChannels`] until a reset: the control API answers 507
    /// Insufficient Storage, an emulated phone's app gets it as `PhoneError::Fake`. Device, app, OS version and service names are at most 256 bytes each.
    pub fn max_channels(mut self, n: usize) -> Self {
        self.config.max_channels = n;
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

    /// Serve the control API (`/_fake/...`) on a listener of its own at this address; the
    /// notification listener then answers `/_fake/...` as any other path that is not a
    /// channel URI (400). Default: both on one listener.
    pub fn control_listen(mut self, addr: SocketAddr) -> Self {
        self.control_addr = Some(addr);
        self
    }

    /// The scheme, host and port written into channel URIs instead of the bound address, e.g.
    /// `http://fake-mpns:8080` for a fake in a CI service container that other containers reach
    /// by that name. `http` or `https`, no path, query or user; checked by
    /// [`try_start`](Self::try_start).
    pub fn public_uri(mut self, uri: impl Into<String>) -> Self {
        self.public_uri = Some(uri.into());
        self
    }

    /// The same for authenticated channels on the https listener (`https` only); only with
    /// [`tls`](Self::tls).
    pub fn public_tls_uri(mut self, uri: impl Into<String>) -> Self {
        self.public_tls_uri = Some(uri.into());
        self
    }

    /// State to start in: channels (with fixed tokens), device states, fault rules, the daily
    /// limit and queue capacity; applied by [`try_start`](Self::try_start) before the first
    /// request is served.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = Some(scenario);
        self
    }

    /// How long (wall clock) [`FakeMpns::wait_until`] and
    /// [`FakeMpns::wait_for_notifications`] wait before failing the test (default 10 s).
    pub fn wait_limit(mut self, limit: Duration) -> Self {
        self.wait_limit = limit;
        self
    }

    /// How long a client may take to send a request head, or stay idle between requests on a
    /// keep-alive connection, before the connection is closed (default 10 s); a zero duration
    /// is taken as 1 ms.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Once [`FakeMpns::shutdown`] is called, how long requests in flight get to finish before
    /// their connections are dropped (default 10 s), so that a half-sent request cannot hold
    /// the shutdown.
    pub fn drain_deadline(mut self, deadline: Duration) -> Self {
        self.limits.drain_deadline = deadline;
        self
    }

    /// The most connections open at once on each listener; one more is closed as soon as it is
    /// accepted (default 1024; 0 is taken as 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.limits.max_connections = n.max(1);
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

    /// Binds and starts serving; returns once the listeners accept connections.
    ///
    /// Errors: an address that cannot be bound, unusable TLS settings, a public URI that is not
    /// `http(s)://HOST[:PORT]`, or a scenario that does not apply (the message names the entry),
    /// the last two as [`std::io::ErrorKind::InvalidInput`].
    pub async fn try_start(self) -> std::io::Result<FakeMpns> {
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let public = self
            .public_uri
            .as_deref()
            .map(|u| check_public_uri(u, false))
            .transpose()
            .map_err(invalid)?;
        let public_tls = match (&self.public_tls_uri, &self.tls) {
            (Some(_), None) => {
                return Err(invalid(
                    "a public https URI needs TLS (a certificate and key)".into(),
                ))
            }
            (Some(u), Some(_)) => Some(check_public_uri(u, true).map_err(invalid)?),
            (None, _) => None,
        };
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
        let control_listener = match self.control_addr {
            Some(a) => Some(TcpListener::bind(a).await?),
            None => None,
        };
        let control_uri = match &control_listener {
            Some(l) => format!("http://{}", l.local_addr()?),
            None => uri.clone(),
        };
        let clock = self.clock.unwrap_or_default();
        let core = Core::new(self.config, clock);
        core.set_base_uri(
            public.unwrap_or_else(|| reachable_base("http", addr)),
            public_tls.or_else(|| tls_addr.map(|a| reachable_base("https", a))),
        );
        if let Some(scenario) = &self.scenario {
            core.apply_scenario(scenario)
                .map_err(|e| invalid(format!("scenario: {e}")))?;
        }
        let shutdown = core.shutdown.clone();
        let limits = self.limits;
        let (notify_router, control_router) = match control_listener {
            Some(l) => (
                channel_router(core.clone()),
                Some((l, control_router(core.clone()))),
            ),
            None => (router(core.clone()), None),
        };
        let plain = serve(
            listener,
            None,
            notify_router.clone(),
            shutdown.clone(),
            limits,
        );
        let tls_shutdown = shutdown.clone();
        let tls = async move {
            if let (Some(l), Some(a)) = (tls_listener, acceptor) {
                serve(l, Some(a), notify_router, tls_shutdown, limits).await;
            }
        };
        let control = async move {
            if let Some((l, r)) = control_router {
                serve(l, None, r, shutdown, limits).await;
            }
        };
        let task = tokio::spawn(async move {
            tokio::join!(plain, tls, control);
        });
        Ok(FakeMpns {
            core,
            addr,
            uri,
            tls_uri,
            control_uri,
            task: Some(task),
            expectations: Expectations::default(),
            wait_limit: self.wait_limit,
        })
    }
}

/// The whole HTTP surface: control API under `/_fake/`, channel URIs everywhere else, and
/// `GET /` sent to the web view (`/` is no channel URI; any other method on it still gets
/// MPNS's answer to a malformed one).
pub(crate) fn router(core: Arc<Core>) -> Router {
    super::control::routes()
        .route("/", get(to_the_page).fallback(channel_request))
        .fallback(channel_request)
        .with_state(core)
}

/// The notification listener's surface when the control API has a listener of its own: every
/// path is read as a channel URI (so `/_fake/...` gets MPNS's 400 for a malformed one).
fn channel_router(core: Arc<Core>) -> Router {
    Router::new().fallback(channel_request).with_state(core)
}

/// The control listener's surface: the control API, `GET /` sent to the web view, and its JSON
/// 404 for any other path.
fn control_router(core: Arc<Core>) -> Router {
    super::control::routes()
        .route(
            "/",
            get(to_the_page).fallback(super::control::not_a_control_path),
        )
        .fallback(super::control::not_a_control_path)
        .with_state(core)
}

/// The base of channel URIs when no public URI is given: the bound address, with an unspecified
/// IP (`0.0.0.0`, `::`), which no client can connect to, replaced by loopback.
fn reachable_base(scheme: &str, addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("{scheme}://{addr}")
}

/// Checks a public base URI (`http(s)://HOST[:PORT]`, an optional trailing `/`) and returns it
/// without the slash; `tls`: only `https`. The error names what is wrong.
pub(crate) fn check_public_uri(raw: &str, tls: bool) -> Result<String, String> {
    let uri: axum::http::Uri = raw.parse().map_err(|e| {
        format!("public URL {raw:?} is not a URL ({e}); example: http://fake-mpns:8080")
    })?;
    let scheme = uri.scheme_str().unwrap_or("");
    let allowed: &[&str] = if tls { &["https"] } else { &["http", "https"] };
    if !allowed.contains(&scheme) {
        return Err(format!(
            "public URL {raw:?} must start with {}; example: {}",
            allowed
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(" or "),
            if tls {
                "https://fake-mpns:8443"
            } else {
                "http://fake-mpns:8080"
            }
        ));
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("public URL {raw:?} has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(format!(
            "public URL {raw:?} must not hold a user name or password"
        ));
    }
    if authority.host().is_empty() {
        return Err(format!("public URL {raw:?} has no host"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(format!(
            "public URL {raw:?} must be scheme, host and port only (channel URIs add their own path)"
        ));
    }
    Ok(format!("{scheme}://{authority}"))
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

    /// `http://127.0.0.1:PORT`, the notification listener's bound address: the base of channel
    /// URIs unless [`FakeMpnsBuilder::public_uri`] set another, and of `/_fake/` unless
    /// [`FakeMpnsBuilder::control_listen`] gave the control API its own listener.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// `http://127.0.0.1:PORT` of the control API: [`uri`](Self::uri), or the control
    /// listener's when [`FakeMpnsBuilder::control_listen`] gave it one.
    pub fn control_uri(&self) -> &str {
        &self.control_uri
    }

    /// Changes the daily limit of unauthenticated channels from their next request on (as
    /// `PATCH /_fake/settings` does).
    pub fn set_daily_limit(&self, n: u32) {
        self.core.set_daily_limit(n);
    }

    /// Changes the queue capacity of every device, and of devices created from now on (as
    /// `PATCH /_fake/settings` does).
    pub fn set_queue_capacity(&self, n: usize) -> Result<(), FakeError> {
        self.core.set_queue_capacity(n)
    }

    /// Loads a scenario into the running fake (channels, device states, fault rules,
    /// settings); returns the channels it created.
    pub fn load_scenario(&self, scenario: &Scenario) -> Result<Vec<ChannelInfo>, FakeError> {
        self.core.apply_scenario(scenario)
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
    /// use mpns_harness::fake::{ChannelOptions, DeviceId};
    /// use mpns_harness::FakeMpns;
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

    /// Every message id a channel received more than once (a sender's repeats), by channel
    /// and id; unlike the records, never evicted.
    pub fn repeats(&self) -> Vec<Repeat> {
        self.core.repeats()
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

    /// Records dropped to stay within the log limits (the count per log and the byte budget,
    /// see [`FakeMpnsBuilder::log_bytes`]) since the logs were last cleared: `channel`'s, or
    /// with `None` every log's, including the one of requests to unknown channel URIs.
    pub fn records_dropped(&self, channel: Option<ChannelId>) -> Result<u64, FakeError> {
        self.core.records_dropped(channel)
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

    /// Stops serving: no new connections; requests in flight get the drain deadline
    /// ([`FakeMpnsBuilder::drain_deadline`], 10 s) to finish, then their connections are dropped.
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
    use super::reachable_base;

    #[test]
    fn an_unspecified_bound_address_becomes_loopback_in_channel_uris() {
        for (bound, base) in [
            ("0.0.0.0:8080", "http://127.0.0.1:8080"),
            ("[::]:8080", "http://[::1]:8080"),
            ("10.1.2.3:80", "http://10.1.2.3:80"),
        ] {
            assert_eq!(reachable_base("http", bound.parse().unwrap()), base);
        }
    }
}
