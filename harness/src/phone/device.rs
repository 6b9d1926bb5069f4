//! An emulated phone: a device on a fake MPNS with apps, their channels and shells, a connection
//! and a battery, and a task that applies what MPNS delivers.

use crate::lock::MutexExt;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;

use super::app::{App, AppData, DeliveryRecord, Outcome, RawNotification};
use super::channel::{OsVersion, RateLimit};
use super::delivery::{decide, AppState, Bindings, DeliveryFate, Incoming, PowerLevel};
use super::events::{ChannelConnectionStatus, ChannelError, EventLog, EventStream, PhoneEvent};
use super::schedule::{ScheduleError, TileSchedule};
use super::shell::{FetchId, FetchProgress, ShellError};
use super::tile::TileKey;
use super::toast::Toast;
use crate::clock::Clock;
use crate::mpns::protocol::{Content, Template};
use crate::mpns::{
    Connection, Delivered, DeviceId, DeviceUpdate, Event, FakeError, FakeMpns, Power, Subscription,
};

/// Downloads a remote tile image with the phone's rules (at most 80 KB, within 15 s on the
/// injected clock, PNG or JPEG).
async fn fetch_remote(http: &reqwest::Client, clock: &Clock, url: &str) -> Result<Bytes, String> {
    super::fetch::fetch_image(http, clock, url)
        .await
        .map_err(|e| e.to_string())
}

/// A World's HTTP client for image downloads, built on first use (a World that never downloads
/// never builds it) and shared by its phones.
#[derive(Clone, Default)]
pub(crate) struct Http(Arc<OnceLock<reqwest::Client>>);

impl Http {
    pub(crate) fn get(&self) -> reqwest::Client {
        self.0.get_or_init(|| http_client(None)).clone()
    }
}

/// Builds an HTTP client with TLS settings made once per process: making them reads every system
/// root certificate, milliseconds of CPU that a test suite starting a World per test paid again
/// and again. Each client keeps its own connection pool (a pool must not outlive the runtime
/// its connections run on, and every test has its own runtime).
pub(crate) fn http_client(timeout: Option<std::time::Duration>) -> reqwest::Client {
    static TLS: OnceLock<Option<native_tls::TlsConnector>> = OnceLock::new();
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(tls) = TLS.get_or_init(|| native_tls::TlsConnector::new().ok()) {
        builder = builder.use_preconfigured_tls(tls.clone());
    }
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

/// What went wrong with a call on a phone or one of its apps. The phone is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// The OS version is not one the phone knows.
    #[error("{0}")]
    BadOsVersion(String),
    /// The World already has a phone of that name.
    #[error("the World already has a phone named '{name}'; pick another name")]
    PhoneAlreadyExists {
        /// The name.
        name: String,
    },
    /// No app of that name is installed.
    #[error("no app '{app}' is installed; install it first")]
    UnknownApp {
        /// The name asked for.
        app: String,
    },
    /// An app of that name is already installed.
    #[error("app '{app}' is already installed")]
    AppAlreadyInstalled {
        /// The name.
        app: String,
    },
    /// The call is app code, and the app is not running.
    #[error("cannot {action}: app '{app}' is not running (app code runs only when the app does); launch it first")]
    AppNotRunning {
        /// The app.
        app: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The app already has a channel (one per app; `InvalidOperationException`).
    #[error("app '{app}' already has channel '{channel}' (one channel per app); use find_channel, or close it first")]
    ChannelAlreadyOpen {
        /// The app.
        app: String,
        /// Its channel's name.
        channel: String,
    },
    /// As many apps as the OS allows already hold channels (`InvalidOperationException`,
    /// "Channel quota exceeded").
    #[error("Channel quota exceeded: {limit} apps already hold a channel on this phone (limit {limit}); close one first")]
    ChannelQuotaExceeded {
        /// The quota.
        limit: usize,
    },
    /// The app has no open channel.
    #[error("cannot {action}: app '{app}' has no open channel; open one first")]
    NoChannel {
        /// The app.
        app: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The channel is already bound to that (`InvalidOperationException`).
    #[error("the channel of app '{app}' is already bound to the shell {what}; unbind it first")]
    AlreadyBound {
        /// The app.
        app: String,
        /// `toast` or `tile`.
        what: &'static str,
    },
    /// The list of allowed remote image URIs is invalid.
    #[error("{0}")]
    AllowedUris(String),
    /// The template does not exist on this OS version.
    #[error("the {} template does not exist on Windows Phone {os} (7.8 and later)", super::tile::template_name(*.template))]
    TemplateNotSupported {
        /// The template.
        template: Template,
        /// The phone's OS.
        os: OsVersion,
    },
    /// The shell refused (pinning, tapping).
    #[error(transparent)]
    Shell(ShellError),
    /// A tile schedule was asked for a secondary tile that is not pinned (a secondary tile's
    /// schedule belongs to the tile, which exists only while pinned).
    #[error("cannot start a tile schedule for the {tile} of app '{app}': it is not pinned; pin it first")]
    TileNotPinned {
        /// The app.
        app: String,
        /// The tile.
        tile: TileKey,
    },
    /// The tile schedule cannot start.
    #[error(transparent)]
    Schedule(ScheduleError),
    /// The fake MPNS refused a change.
    #[error("fake MPNS: {0}")]
    Fake(#[source] FakeError),
}

impl From<ShellError> for PhoneError {
    fn from(e: ShellError) -> Self {
        Self::Shell(e)
    }
}

impl From<ScheduleError> for PhoneError {
    fn from(e: ScheduleError) -> Self {
        Self::Schedule(e)
    }
}

impl From<FakeError> for PhoneError {
    fn from(e: FakeError) -> Self {
        Self::Fake(e)
    }
}

/// The phone's mutable state.
pub(crate) struct PhoneState {
    pub connection: Connection,
    pub power: PowerLevel,
    pub rate_limit: RateLimit,
    pub apps: BTreeMap<String, AppData>,
    pub lost_deliveries: u64,
}

pub(crate) struct PhoneInner {
    pub name: String,
    pub device: DeviceId,
    pub os: OsVersion,
    pub fake: Arc<FakeMpns>,
    pub clock: Clock,
    pub events: Arc<EventLog>,
    /// The HTTP client for image downloads (shared by the World's phones).
    pub http: Http,
    state: Mutex<PhoneState>,
    /// The default stream's position (for [`Phone::next_event`]).
    cursor: Mutex<usize>,
    cmds: mpsc::UnboundedSender<Cmd>,
    in_flight: AtomicUsize,
}

enum Cmd {
    Settle(oneshot::Sender<()>),
}

/// An emulated Windows Phone. Cloning shares it.
///
/// Build one with `World::add_phone` (or [`Phone::start`] on a fake of your own); install apps
/// with [`install`](Self::install) and drive them through [`App`].
///
/// The phone is the source of truth for what MPNS must know about it: every change made through
/// it (binding, pinning, launching, power, connection) is written to the fake's device model at
/// once, so the fake answers `Suppressed`, `412` or `404` exactly when the phone would drop the
/// notification.
///
/// # Settling
///
/// The fake hands deliveries to the phone's task through an in-process stream; the task applies
/// them shortly after. [`Phone::settle`] returns once every delivery handed over before the call
/// is applied and every remote image download it started has finished, so a test asserts right
/// after it (or after `World::advance`, which settles every phone).
///
/// # Decisions where the documentation is silent
///
/// - **Quota** (reference §4, §9.6): opening a channel when the OS's quota of apps holding one
///   (15 on 7.0, 30 later) is reached fails at once with [`PhoneError::ChannelQuotaExceeded`]
///   (the API's `InvalidOperationException`), not with an event.
/// - **ChannelOpenFailed**: opening while the phone is not `Connected` (TempDisconnected too) raises
///   `ErrorOccurred(ChannelOpenFailed)` and leaves the app without a channel (open again later).
/// - **A second open** of any channel in an app that has one is
///   [`PhoneError::ChannelAlreadyOpen`]; binding twice is [`PhoneError::AlreadyBound`];
///   unbinding what is not bound does nothing.
/// - **The channel API needs the app running** (open, bind, unbind, close): app code only runs
///   then. Pinning is the user's business and works any time.
/// - **Closing** a channel (or losing it to a `PayloadFormatError`) expires its subscription in
///   the fake: sends to its URI get 404 Dropped/Expired. Reopening makes a new channel with a new
///   URI (the fake names the app `app#2`, `app#3`, ... for later channels).
/// - **An app that stops** (`close`) keeps its channel only if it is bound to toast or tile; a
///   raw-only channel is closed (reference §6.1, lifecycle 3).
/// - **OS versions** (§5.9, §9.4): 7.1 fields on 7.0 and WP8 templates below 7.8 are a
///   `PayloadFormatError`.
/// - **Rate** ([`RateLimit`], default 100 per minute of clock time per channel): the first
///   notification over the limit in a window raises `NotificationRateTooHigh`; every one over
///   it is dropped.
/// - **Raw headers**: `HttpNotificationReceived` carries the headers of the request as the fake
///   recorded it.
/// - **Connection status events**: `ConnectionStatusChanged` is raised per open channel when the
///   two-valued `ChannelConnectionStatus` changes (Connected ⇄ anything else).
/// - **When a notification is judged**: by the app's state, the power level and the bindings at
///   the moment the phone applies it (right after delivery; a test that changes them between a
///   send and [`settle`](Self::settle) races with the phone's task).
/// - **Raw for an app in the background**: the fake delivers it (the app runs) and the phone
///   discards it (a suspended app gets no events); for a closed app the fake discards it.
/// - **Tile schedules** ([`App::start_tile_schedule`]) belong to the shell, not to a channel:
///   they need none, do not count toward the quota, need no allowed-domain list, run whether
///   the app runs or not, and ignore the MPNS connection and the power level (the phone
///   downloads over its own HTTP client on the World's clock). [`settle`](Self::settle) waits
///   for their due runs too. Details on [`App::start_tile_schedule`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::mpns::protocol::Template;
/// use mpns_harness::phone::TileKey;
/// use mpns_harness::World;
///
/// let world = World::start().await;
/// let phone = world.add_phone("lumia", "8.0").unwrap();
/// let app = phone.install("weather").unwrap();
/// app.pin_primary(Template::FlipTile, &[]).unwrap();
/// app.launch();
/// app.open_channel("push").unwrap();
/// app.bind_tile().unwrap();
///
/// let xml = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Template="FlipTile"><wp:Count>4</wp:Count></wp:Tile></wp:Notification>"#;
/// let answer = reqwest::Client::new()
///     .post(app.channel_uri().unwrap())
///     .header("Content-Type", "text/xml; charset=utf-8")
///     .header("X-WindowsPhone-Target", "token")
///     .header("X-NotificationClass", "1")
///     .body(xml)
///     .send()
///     .await
///     .unwrap();
/// assert_eq!(answer.headers()["X-NotificationStatus"], "Received");
/// world.settle().await;
/// assert_eq!(app.tile(&TileKey::Primary).unwrap().badge(), Some(4));
/// assert!(phone.render_text().contains("badge: 4"));
/// # }
/// ```
#[derive(Clone)]
pub struct Phone {
    pub(crate) inner: Arc<PhoneInner>,
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Phone")
            .field("name", &self.inner.name)
            .field("os", &self.inner.os)
            .finish()
    }
}

impl Phone {
    /// Starts a phone named `name` (its device id on the fake) running OS `os` (`"7.1"`,
    /// `"8.0"`, ...): connected, normal power, no apps. Spawns its task on the current tokio
    /// runtime.
    ///
    /// # Errors
    /// [`PhoneError::BadOsVersion`].
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(fake: Arc<FakeMpns>, name: &str, os: &str) -> Result<Phone, PhoneError> {
        Self::start_with(fake, name, os, Http::default())
    }

    pub(crate) fn start_with(
        fake: Arc<FakeMpns>,
        name: &str,
        os: &str,
        http: Http,
    ) -> Result<Phone, PhoneError> {
        let os = OsVersion::parse(os).map_err(PhoneError::BadOsVersion)?;
        let device = DeviceId(name.to_owned());
        let deliveries = fake.deliveries(&device);
        let fake_events = fake.events();
        let (cmds, cmd_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(PhoneInner {
            name: name.to_owned(),
            device,
            os,
            clock: fake.clock().clone(),
            fake,
            events: Arc::new(EventLog::default()),
            http: http.clone(),
            state: Mutex::new(PhoneState {
                connection: Connection::Connected,
                power: PowerLevel::Normal,
                rate_limit: RateLimit::default(),
                apps: BTreeMap::new(),
                lost_deliveries: 0,
            }),
            cursor: Mutex::new(0),
            cmds,
            in_flight: AtomicUsize::new(0),
        });
        let task = Task {
            phone: Arc::downgrade(&inner),
            deliveries: Some(deliveries),
            fake_events: Some(fake_events),
            cmds: cmd_rx,
            fetches: JoinSet::new(),
            waiters: Vec::new(),
            http,
        };
        tokio::spawn(task.run());
        Ok(Phone { inner })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, PhoneState> {
        self.inner.lock()
    }

    /// The phone's name (its device id on the fake).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The device id on the fake.
    pub fn device_id(&self) -> &DeviceId {
        &self.inner.device
    }

    /// The OS version.
    pub fn os(&self) -> OsVersion {
        self.inner.os
    }

    /// The fake MPNS the phone is on.
    pub fn fake(&self) -> &FakeMpns {
        &self.inner.fake
    }

    /// The device's connection to MPNS.
    pub fn connection(&self) -> Connection {
        self.lock().connection
    }

    /// The battery policy.
    pub fn power(&self) -> PowerLevel {
        self.lock().power
    }

    /// Installs an app whose start page is `/MainPage.xaml`: not running, nothing pinned.
    ///
    /// # Errors
    /// [`PhoneError::AppAlreadyInstalled`].
    pub fn install(&self, app: &str) -> Result<App, PhoneError> {
        self.install_with_start_page(app, "/MainPage.xaml")
    }

    /// Installs an app with its start page (where a launch without a page goes).
    ///
    /// # Errors
    /// [`PhoneError::AppAlreadyInstalled`].
    pub fn install_with_start_page(&self, app: &str, start_page: &str) -> Result<App, PhoneError> {
        let mut st = self.lock();
        if st.apps.contains_key(app) {
            return Err(PhoneError::AppAlreadyInstalled {
                app: app.to_owned(),
            });
        }
        st.apps
            .insert(app.to_owned(), AppData::new(app, start_page));
        Ok(App::new(self.clone(), app))
    }

    /// The installed app with this name.
    pub fn app(&self, app: &str) -> Option<App> {
        self.lock()
            .apps
            .contains_key(app)
            .then(|| App::new(self.clone(), app))
    }

    /// The installed apps' names, in order.
    pub fn apps(&self) -> Vec<String> {
        self.lock().apps.keys().cloned().collect()
    }

    /// How many apps hold a channel, and the OS's quota.
    pub fn channels_held(&self) -> (usize, usize) {
        let n = self
            .lock()
            .apps
            .values()
            .filter(|a| a.channel.is_some())
            .count();
        (n, self.inner.os.channel_quota())
    }

    /// Changes the device's connection (the fake learns it at once: `TempDisconnected` queues,
    /// `Disconnected`/`Inactive` get 412, reconnecting delivers the queue). Each open channel
    /// raises `ConnectionStatusChanged` when its two-valued status changes.
    pub fn set_connection(&self, connection: Connection) {
        let mut st = self.lock();
        let was = st.connection;
        st.connection = connection;
        let _ = self.inner.fake.update_device_by_id(
            &self.inner.device,
            &DeviceUpdate {
                connection: Some(connection),
                ..Default::default()
            },
        );
        let status = |c| match c {
            Connection::Connected => ChannelConnectionStatus::Connected,
            _ => ChannelConnectionStatus::Disconnected,
        };
        if status(was) != status(connection) {
            for (name, a) in &st.apps {
                if let Some(c) = &a.channel {
                    self.inner.events.push(PhoneEvent::ConnectionStatusChanged {
                        app: name.clone(),
                        channel: c.name.clone(),
                        status: status(connection),
                    });
                }
            }
        }
    }

    /// Changes the battery policy (the fake learns it at once). Each open channel raises
    /// `ErrorOccurred(PowerLevelChanged)` when it changes.
    pub fn set_power(&self, level: PowerLevel) {
        let mut st = self.lock();
        if st.power == level {
            return;
        }
        st.power = level;
        let _ = self.inner.fake.update_device_by_id(
            &self.inner.device,
            &DeviceUpdate {
                power: Some(match level {
                    PowerLevel::Normal => Power::Normal,
                    PowerLevel::Low => Power::Low,
                    PowerLevel::CriticalLow => Power::CriticalLow,
                }),
                ..Default::default()
            },
        );
        for (name, a) in &st.apps {
            if let Some(c) = &a.channel {
                self.inner.events.push(PhoneEvent::ErrorOccurred {
                    app: name.clone(),
                    channel: c.name.clone(),
                    error: ChannelError::PowerLevelChanged { level },
                    message: format!("The push client's power level is now {level:?}."),
                });
            }
        }
    }

    /// Changes how many notifications a channel takes per window (see [`RateLimit`]).
    pub fn set_rate_limit(&self, limit: RateLimit) {
        self.lock().rate_limit = limit;
    }

    /// Deliveries the phone missed because it fell more than 1024 behind the fake.
    pub fn lost_deliveries(&self) -> u64 {
        self.lock().lost_deliveries
    }

    /// A stream of the events raised from now on.
    pub fn events(&self) -> EventStream {
        EventStream::new(self.inner.events.clone(), self.inner.events.end())
    }

    /// A stream of every event the phone still keeps (the last 10 000), from the first.
    pub fn events_from_start(&self) -> EventStream {
        EventStream::new(self.inner.events.clone(), 0)
    }

    /// Every event kept, in order.
    pub fn all_events(&self) -> Vec<PhoneEvent> {
        self.inner.events.all()
    }

    /// The next event on the phone's own stream (which starts at its first event).
    ///
    /// # Panics
    /// After 10 s of wall-clock time without one.
    pub async fn next_event(&self) -> PhoneEvent {
        self.wait_for(|_| true).await
    }

    /// Waits on the phone's own stream for the first event that `matches` (consuming those
    /// before it) and returns it.
    ///
    /// # Panics
    /// After 10 s of wall-clock time without one; the message lists the events skipped.
    pub async fn wait_for(&self, matches: impl FnMut(&PhoneEvent) -> bool) -> PhoneEvent {
        let from = *self.inner.cursor.locked();
        let mut s = EventStream::new(self.inner.events.clone(), from);
        let e = s.wait_for(matches).await;
        let mut c = self.inner.cursor.locked();
        *c = (*c).max(s.position());
        e
    }

    /// Events on the phone's own stream not consumed yet (consumes them).
    pub fn take_events(&self) -> Vec<PhoneEvent> {
        let mut c = self.inner.cursor.locked();
        let mut s = EventStream::new(self.inner.events.clone(), *c);
        let out = s.drain();
        *c = s.position();
        out
    }

    /// Returns once every notification the fake delivered to this phone before the call has
    /// been applied, every remote image download started meanwhile has finished, and every
    /// tile schedule of every app has run (and applied) whatever is due at the clock's time.
    ///
    /// # Panics
    /// After 10 s of wall-clock time without settling: an image server that never answers keeps
    /// its download open until the clock passes its 15 s limit (advance the World instead).
    pub async fn settle(&self) {
        self.settle_schedules().await;
        let (tx, rx) = oneshot::channel();
        if self.inner.cmds.send(Cmd::Settle(tx)).is_err() {
            return;
        }
        if tokio::time::timeout(super::events::WAIT_LIMIT, rx)
            .await
            .is_err()
        {
            panic!(
                "phone '{}' did not settle within {} s: {} image download(s) still running. A download waits for its server up to 15 s of clock time; with a virtual clock, call world.advance(Duration::from_secs(15)) to time it out",
                self.inner.name,
                super::events::WAIT_LIMIT.as_secs(),
                self.inner.in_flight.load(Ordering::SeqCst)
            );
        }
    }

    /// Waits until no tile schedule of any app has a run due at the clock's time or a download
    /// in flight.
    async fn settle_schedules(&self) {
        let all: Vec<(String, TileKey, Arc<TileSchedule>)> = self
            .lock()
            .apps
            .iter()
            .flat_map(|(name, a)| {
                a.schedules
                    .iter()
                    .map(|(k, e)| (name.clone(), k.clone(), e.schedule.clone()))
            })
            .collect();
        if all.is_empty() {
            return;
        }
        let wait = futures_util::future::join_all(all.iter().map(|(_, _, s)| s.settled()));
        if tokio::time::timeout(super::events::WAIT_LIMIT, wait)
            .await
            .is_err()
        {
            let busy: Vec<String> = all
                .iter()
                .map(|(app, tile, s)| format!("{app} {tile}: {:?}", s.status().state))
                .collect();
            panic!(
                "the tile schedules of phone '{}' did not settle within {} s ({}). A run's download waits for its server up to 15 s of clock time; with a virtual clock, call world.advance(Duration::from_secs(15)) to time it out",
                self.inner.name,
                super::events::WAIT_LIMIT.as_secs(),
                busy.join("; ")
            );
        }
    }

    /// The whole phone as stable text, for snapshots: status (OS, clock, connection, power,
    /// channels held), then per app its state, channel (without its random URI), shell
    /// ([`render_text`](super::render_text)), its tile schedules if it has any (settings,
    /// state, runs, images shown), raw inbox, the last 20 notifications with what
    /// became of them, and the last 20 events. Call [`settle`](Self::settle) first.
    pub fn render_text(&self) -> String {
        super::render_phone::render_phone_text(self)
    }

    /// The whole phone as an SVG picture: a status bar, then each app's caption and its shell's
    /// picture ([`render_svg`](super::render_svg)).
    pub fn render_svg(&self) -> String {
        super::render_phone::render_phone_svg(self)
    }

    /// Writes the app's channel-related state to the fake (bindings, running, pinned tiles,
    /// subscription). Call with the state locked.
    pub(crate) fn sync_fake(&self, app: &AppData) -> Result<(), PhoneError> {
        let Some(c) = &app.channel else {
            return Ok(());
        };
        self.inner.fake.update_device(c.id, &app.device_update())?;
        Ok(())
    }

    /// Expires a channel in the fake (closed on the phone).
    pub(crate) fn expire(&self, id: crate::mpns::ChannelId) {
        let _ = self.inner.fake.update_device(
            id,
            &DeviceUpdate {
                subscription: Some(Subscription::Expired),
                ..Default::default()
            },
        );
    }

    pub(crate) fn push_event(&self, e: PhoneEvent) {
        self.inner.events.push(e);
    }
}

impl PhoneInner {
    fn lock(&self) -> MutexGuard<'_, PhoneState> {
        self.state.locked()
    }
}

/// A download the task runs for a tile update.
struct FetchJob {
    app: String,
    seq: u64,
    id: FetchId,
    url: String,
}

struct FetchDone {
    job: FetchJob,
    result: Result<(), String>,
}

/// The phone's task: applies deliveries, follows channel rotations, runs image downloads and
/// answers settle requests.
struct Task {
    phone: Weak<PhoneInner>,
    deliveries: Option<broadcast::Receiver<Delivered>>,
    fake_events: Option<broadcast::Receiver<Event>>,
    cmds: mpsc::UnboundedReceiver<Cmd>,
    fetches: JoinSet<FetchDone>,
    waiters: Vec<oneshot::Sender<()>>,
    http: Http,
}

impl Task {
    async fn run(mut self) {
        loop {
            tokio::select! {
                biased;
                d = recv(&mut self.deliveries) => match d {
                    Ok(d) => self.deliver(d),
                    Err(broadcast::error::RecvError::Lagged(n)) => self.lost(n),
                    Err(broadcast::error::RecvError::Closed) => self.deliveries = None,
                },
                e = recv(&mut self.fake_events) => match e {
                    Ok(e) => self.fake_event(&e),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.resync(),
                    Err(broadcast::error::RecvError::Closed) => self.fake_events = None,
                },
                Some(done) = self.fetches.join_next(), if !self.fetches.is_empty() => {
                    if let Ok(done) = done {
                        self.fetched(done);
                    }
                }
                c = self.cmds.recv() => match c {
                    Some(Cmd::Settle(ack)) => {
                        self.drain();
                        self.waiters.push(ack);
                    }
                    None => break,
                },
            }
            let Some(phone) = self.phone.upgrade() else {
                break;
            };
            phone.in_flight.store(self.fetches.len(), Ordering::SeqCst);
            if self.fetches.is_empty() {
                for w in self.waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        }
    }

    /// Applies everything already handed over.
    fn drain(&mut self) {
        while let Some(rx) = self.deliveries.as_mut() {
            match rx.try_recv() {
                Ok(d) => self.deliver(d),
                Err(broadcast::error::TryRecvError::Lagged(n)) => self.lost(n),
                Err(broadcast::error::TryRecvError::Closed) => self.deliveries = None,
                Err(broadcast::error::TryRecvError::Empty) => break,
            }
        }
        while let Some(rx) = self.fake_events.as_mut() {
            match rx.try_recv() {
                Ok(e) => self.fake_event(&e),
                Err(broadcast::error::TryRecvError::Lagged(_)) => self.resync(),
                Err(broadcast::error::TryRecvError::Closed) => self.fake_events = None,
                Err(broadcast::error::TryRecvError::Empty) => break,
            }
        }
    }

    fn phone(&self) -> Option<Phone> {
        self.phone.upgrade().map(|inner| Phone { inner })
    }

    fn lost(&mut self, n: u64) {
        if let Some(p) = self.phone() {
            p.lock().lost_deliveries += n;
        }
    }

    fn fake_event(&mut self, e: &Event) {
        if let Event::ChannelRotated { channel, uri } = e {
            if let Some(p) = self.phone() {
                let mut st = p.lock();
                rotated(&p, &mut st, *channel, uri);
            }
        }
    }

    /// After missing fake events: compares every open channel's URI with the fake's.
    fn resync(&mut self) {
        let Some(p) = self.phone() else { return };
        let mut st = p.lock();
        let ids: Vec<_> = st
            .apps
            .values()
            .filter_map(|a| a.channel.as_ref().map(|c| c.id))
            .collect();
        for id in ids {
            if let Ok(info) = p.inner.fake.channel(id) {
                rotated(&p, &mut st, id, &info.uri);
            }
        }
    }

    fn deliver(&mut self, d: Delivered) {
        let Some(p) = self.phone() else { return };
        let jobs = {
            let mut st = p.lock();
            apply_delivery(&p, &mut st, &d)
        };
        for job in jobs {
            let http = self.http.clone();
            let clock = p.inner.clock.clone();
            self.fetches.spawn(async move {
                let client = http.get();
                let result = fetch_remote(&client, &clock, &job.url).await.map(|_| ());
                FetchDone { job, result }
            });
        }
    }

    fn fetched(&mut self, done: FetchDone) {
        let Some(p) = self.phone() else { return };
        let mut st = p.lock();
        let now = p.inner.clock.now();
        let Some(app) = st.apps.get_mut(&done.job.app) else {
            return;
        };
        let progress = match &done.result {
            Ok(()) => app.shell.image_fetched(done.job.id),
            Err(_) => app.shell.image_failed(done.job.id),
        };
        let outcome = match (progress, done.result) {
            (FetchProgress::Applied { tile }, _) => Some(Outcome::ImagesApplied { tile }),
            (FetchProgress::Dropped { tile }, Err(reason)) => {
                Some(Outcome::ImageFailed { tile, reason })
            }
            _ => None,
        };
        if let Some(outcome) = outcome {
            app.record(DeliveryRecord {
                seq: done.job.seq,
                at: now,
                kind: "tile",
                outcome,
            });
        }
    }
}

async fn recv<T: Clone>(
    rx: &mut Option<broadcast::Receiver<T>>,
) -> Result<T, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The fake gave channel `id` the URI `uri`: if it is an open channel of this phone with
/// another URI, take it and raise `ChannelUriUpdated`.
fn rotated(p: &Phone, st: &mut PhoneState, id: crate::mpns::ChannelId, uri: &str) {
    for (name, a) in st.apps.iter_mut() {
        if let Some(c) = a.channel.as_mut().filter(|c| c.id == id && c.uri != uri) {
            c.uri = uri.to_owned();
            c.uri_updates += 1;
            p.push_event(PhoneEvent::ChannelUriUpdated {
                app: name.clone(),
                channel: c.name.clone(),
                uri: uri.to_owned(),
            });
        }
    }
}

/// What the phone does with one delivery; returns the downloads to start.
fn apply_delivery(p: &Phone, st: &mut PhoneState, d: &Delivered) -> Vec<FetchJob> {
    let power = st.power;
    let limit = st.rate_limit;
    let os = p.inner.os;
    let Some((name, app)) = st
        .apps
        .iter_mut()
        .find(|(_, a)| a.channel_ids.contains(&d.channel))
    else {
        return Vec::new();
    };
    let name = name.clone();
    let kind = match &*d.content {
        Content::Toast(_) => "toast",
        Content::Tile(_) => "tile",
        Content::Raw { .. } => "raw",
    };
    let record = |app: &mut AppData, outcome| {
        app.record(DeliveryRecord {
            seq: d.seq,
            at: d.delivered_at,
            kind,
            outcome,
        })
    };
    let Some(channel) = app.channel.as_mut().filter(|c| c.id == d.channel) else {
        record(app, Outcome::ChannelClosed);
        return Vec::new();
    };
    let channel_name = channel.name.clone();
    match channel.take(d.delivered_at, limit) {
        Ok(()) => {}
        Err(first) => {
            if first {
                p.push_event(PhoneEvent::ErrorOccurred {
                    app: name.clone(),
                    channel: channel_name,
                    error: ChannelError::NotificationRateTooHigh,
                    message: format!(
                        "More than {} notifications within {} s; the excess is dropped.",
                        limit.max,
                        limit.per.as_secs()
                    ),
                });
            }
            record(app, Outcome::RateTooHigh);
            return Vec::new();
        }
    }
    let bindings = Bindings {
        toast: channel.toast,
        tile: channel.tile.is_some(),
    };
    let binding = channel.tile.clone().unwrap_or_default();
    if let Err(message) = os.check(&d.content) {
        payload_format_error(p, &name, app, message.clone());
        record(
            app,
            Outcome::Refused {
                error: Some(ChannelError::PayloadFormatError),
                message,
            },
        );
        return Vec::new();
    }
    let incoming = match &*d.content {
        Content::Toast(_) => Incoming::Toast,
        Content::Raw { .. } => Incoming::Raw,
        Content::Tile(t) => Incoming::Tile {
            pinned: app.shell.is_pinned(&TileKey::from_id(t.id.as_deref())),
        },
    };
    let fate = decide(incoming, app.state, power, bindings);
    match (fate, &*d.content) {
        (DeliveryFate::ToastEvent, Content::Toast(t)) => match Toast::from_content(t) {
            Ok(toast) => {
                p.push_event(PhoneEvent::ShellToastNotificationReceived {
                    app: name,
                    channel: channel_name,
                    toast,
                });
                record(app, Outcome::ToastEvent);
            }
            Err(message) => {
                payload_format_error(p, &name, app, message.clone());
                record(
                    app,
                    Outcome::Refused {
                        error: Some(ChannelError::PayloadFormatError),
                        message,
                    },
                );
            }
        },
        (DeliveryFate::RawDelivered, Content::Raw { body }) => {
            let headers = raw_headers(p, d);
            app.raw_inbox.push(RawNotification {
                seq: d.seq,
                at: d.delivered_at,
                body: body.clone(),
                headers: headers.clone(),
            });
            p.push_event(PhoneEvent::HttpNotificationReceived {
                app: name,
                channel: channel_name,
                body: body.clone(),
                headers,
            });
            record(app, Outcome::RawDelivered);
        }
        (DeliveryFate::ShownInTray | DeliveryFate::TileUpdated, _) => {
            match app.shell.apply(&d.content, &binding) {
                Ok(super::shell::Applied::ToastShown { index }) => {
                    record(app, Outcome::ShownInTray { index });
                }
                Ok(super::shell::Applied::TileUpdated { tile, fetches }) => {
                    if fetches.is_empty() {
                        record(app, Outcome::TileUpdated { tile });
                    } else {
                        record(
                            app,
                            Outcome::TileWaiting {
                                tile,
                                images: fetches.len(),
                            },
                        );
                        return fetches
                            .into_iter()
                            .map(|f| FetchJob {
                                app: name.clone(),
                                seq: d.seq,
                                id: f.id,
                                url: f.url,
                            })
                            .collect();
                    }
                }
                Ok(super::shell::Applied::TileNotPinned { tile }) => {
                    record(app, Outcome::TileNotPinned { tile });
                }
                Ok(super::shell::Applied::NotForShell) => {}
                Err(e) => {
                    let message = e.to_string();
                    let error = e.channel_error().map(|k| match k {
                        super::shell::ChannelErrorKind::PayloadFormatError => {
                            ChannelError::PayloadFormatError
                        }
                        super::shell::ChannelErrorKind::MessageBadContent => {
                            ChannelError::MessageBadContent
                        }
                    });
                    match error {
                        Some(ChannelError::PayloadFormatError) => {
                            payload_format_error(p, &name, app, message.clone());
                        }
                        Some(error) => p.push_event(PhoneEvent::ErrorOccurred {
                            app: name.clone(),
                            channel: channel_name,
                            error,
                            message: message.clone(),
                        }),
                        None => {}
                    }
                    record(app, Outcome::Refused { error, message });
                }
            }
        }
        (DeliveryFate::Suppressed(why), _) => record(app, Outcome::Suppressed(why)),
        (DeliveryFate::Discarded(why), _) => record(app, Outcome::Discarded(why)),
        // decide() only gives ToastEvent for toasts and RawDelivered for raw.
        (DeliveryFate::ToastEvent | DeliveryFate::RawDelivered, _) => {}
    }
    Vec::new()
}

/// Raises `PayloadFormatError` and closes the app's channel (its subscription expires).
fn payload_format_error(p: &Phone, name: &str, app: &mut AppData, message: String) {
    if let Some(c) = app.channel.take() {
        p.push_event(PhoneEvent::ErrorOccurred {
            app: name.to_owned(),
            channel: c.name.clone(),
            error: ChannelError::PayloadFormatError,
            message: format!("{message} The channel was closed; reopen it."),
        });
        p.expire(c.id);
    }
}

/// The headers of the request that carried a raw delivery, as the fake recorded them.
fn raw_headers(p: &Phone, d: &Delivered) -> Vec<(String, String)> {
    p.inner
        .fake
        .notification(d.channel, d.seq)
        .map(|r| {
            r.headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The app state the fake needs: whether raw can reach it.
pub(crate) fn running(state: AppState) -> bool {
    state != AppState::NotRunning
}
