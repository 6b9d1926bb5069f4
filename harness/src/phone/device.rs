//! The `Phone` handle's API: starting a phone, installing apps, connection and power, events,
//! settling and rendering. Every change is written to the fake's device model at once (see
//! `Phone`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::channel::{OsVersion, RateLimit};
use super::delivery::PowerLevel;
use super::error::PhoneError;
use super::events::{ChannelConnectionStatus, ChannelError, EventLog, EventStream, PhoneEvent};
use super::handle::{App, Phone};
use super::http::Http;
use super::schedule::TileSchedule;
use super::state::{AppData, Cmd, PhoneInner, PhoneState};
use super::task::Task;
use crate::fake::{Connection, DeviceId, DeviceUpdate, FakeMpns, Power};
use crate::lock::MutexExt;
use crate::screen::tile::TileKey;

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
        super::render_phone::render_phone_text(&self.inner)
    }

    /// The whole phone as an SVG picture: a status bar, then each app's caption and its shell's
    /// picture ([`render_svg`](super::render_svg)).
    pub fn render_svg(&self) -> String {
        super::render_phone::render_phone_svg(&self.inner)
    }
}
