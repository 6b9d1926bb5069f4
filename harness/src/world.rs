//! A whole simulated world for one test: a fake MPNS on an ephemeral loopback port and any
//! number of emulated phones on it, all on one injected clock.
//!
//! The phones need no port of their own: like a real push client they hold a connection to
//! MPNS, here the fake's in-process delivery stream. Senders reach them only through channel
//! URIs, over real HTTP.
//!
//! Time moves only when the test says so: [`World::advance`] moves the clock, runs whatever
//! became due (batched deliveries, daily-limit windows, tile schedules, image download
//! timeouts, ...) and returns once every phone has applied the result, so a test asserts right
//! after it. After a send that needs no time to pass, [`World::settle`] does the same without
//! moving the clock.
//!
//! Tile schedules ([`App::start_tile_schedule`](crate::phone::App::start_tile_schedule)) run
//! on the World's clock: advancing a virtual week runs an hourly schedule 168 times, in order,
//! before `advance` returns (the runs happen after the jump, each with its own due time; to
//! interleave them exactly with other timers, advance in steps no longer than the interval).
//!
//! Windows devices live beside the phones: [`World::add_windows_device`] adds one to a fake WNS
//! that the World starts, on the same clock, the first time it is asked for
//! ([`World::fake_wns`]), so that a World of phones alone starts as fast as before. The fake WNS
//! serves https with its test CA ([`FakeWns::ca_pem`]), as WNS does. A Windows device applies a
//! notification while the fake answers the request, so there is nothing to settle; advancing the
//! World ages its channels (410 after 30 days) and the tokens the fake issued.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::fake::{FakeMpns, FakeMpnsBuilder};
use crate::fake_wns::server::FakeWns;
use crate::fake_wns::{ChannelRequest, FakeWnsError, WnsChannel};
use crate::lock::MutexExt;
use crate::phone::http::Http;
use crate::phone::{Phone, PhoneError};
use crate::windows::{WindowsDevice, WindowsVersion};

/// A fake MPNS and its phones, sharing one clock.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::World;
/// use std::time::Duration;
///
/// let world = World::start().await;
/// let phone = world.add_phone("lumia", "8.0").unwrap();
/// assert_eq!(world.phone("lumia").unwrap().name(), phone.name());
/// world.advance(Duration::from_secs(450)).await;
/// assert_eq!(world.now(), Duration::from_secs(450));
/// # }
/// ```
pub struct World {
    fake: Arc<FakeMpns>,
    phones: Mutex<BTreeMap<String, Phone>>,
    /// The fake WNS, started on first use.
    wns: tokio::sync::OnceCell<Arc<FakeWns>>,
    /// The Windows devices' names, in the order they were added.
    windows: Mutex<Vec<String>>,
    http: Http,
    started_in: Duration,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("fake", &self.fake.uri())
            .field("phones", &self.lock().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl World {
    /// Starts a lenient fake MPNS on `127.0.0.1:0` with a virtual clock, and no phones yet.
    pub async fn start() -> World {
        Self::start_with(FakeMpns::builder()).await
    }

    /// Starts the World's fake from `builder` (its clock included: a real clock makes
    /// [`advance`](Self::advance) panic).
    pub async fn start_with(builder: FakeMpnsBuilder) -> World {
        let t0 = Instant::now();
        let fake = Arc::new(builder.start().await);
        World {
            fake,
            phones: Mutex::new(BTreeMap::new()),
            wns: tokio::sync::OnceCell::new(),
            windows: Mutex::new(Vec::new()),
            http: Http::default(),
            started_in: t0.elapsed(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Phone>> {
        self.phones.locked()
    }

    /// How long (wall-clock) starting the World took.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The fake MPNS.
    pub fn fake(&self) -> &FakeMpns {
        &self.fake
    }

    /// The shared clock.
    pub fn clock(&self) -> &Clock {
        self.fake.clock()
    }

    /// Clock time.
    pub fn now(&self) -> Duration {
        self.clock().now()
    }

    /// Adds a phone named `name` (its device id on the fake) running `os` (`"7.0"`, `"7.1"`,
    /// `"7.8"`, `"8.0"`, `"8.0.10492"` for GDR3, `"8.1"`): connected, normal power, no apps.
    ///
    /// # Errors
    /// [`PhoneError::PhoneAlreadyExists`], [`PhoneError::BadOsVersion`].
    pub fn add_phone(&self, name: &str, os: &str) -> Result<Phone, PhoneError> {
        let mut phones = self.lock();
        if phones.contains_key(name) || self.windows.locked().iter().any(|n| n == name) {
            return Err(PhoneError::PhoneAlreadyExists {
                name: name.to_owned(),
            });
        }
        let phone = Phone::start_with(self.fake.clone(), name, os, self.http.clone())?;
        phones.insert(name.to_owned(), phone.clone());
        Ok(phone)
    }

    /// The phone with this name.
    pub fn phone(&self, name: &str) -> Option<Phone> {
        self.lock().get(name).cloned()
    }

    /// Every phone, by name.
    pub fn phones(&self) -> Vec<Phone> {
        self.lock().values().cloned().collect()
    }

    /// Returns once every phone has applied what the fake delivered to it before the call (and
    /// finished the image downloads that started), and every tile schedule has run whatever is
    /// due at the clock's time ([`Phone::settle`]).
    ///
    /// # Panics
    /// As [`Phone::settle`].
    pub async fn settle(&self) {
        let phones = self.phones();
        futures_util::future::join_all(phones.iter().map(Phone::settle)).await;
    }

    /// Moves the clock forward by `by`, running everything that became due in time order
    /// (batched deliveries, tile schedule runs, ...), then [`settle`](Self::settle)s: the tile
    /// a schedule updated shows the new image when this returns.
    ///
    /// # Panics
    /// If the World runs on a real clock.
    pub async fn advance(&self, by: Duration) {
        self.fake.advance(by);
        self.settle().await;
    }

    /// The World's fake WNS: https with its own test CA on `127.0.0.1:0`, on the World's clock,
    /// started the first time it is asked for.
    ///
    /// # Errors
    /// When the fake cannot start (no port, no test CA).
    pub async fn fake_wns(&self) -> Result<&FakeWns, FakeWnsError> {
        let fake = self
            .wns
            .get_or_try_init(|| async {
                FakeWns::builder()
                    .https()
                    .clock(self.clock().clone())
                    .start()
                    .await
                    .map(Arc::new)
            })
            .await?;
        Ok(fake)
    }

    /// Adds a Windows device named `name` to the fake WNS (starting it), connected and plugged
    /// in, with no apps: [`WindowsPc::open_channel`] installs one and gets its channel.
    ///
    /// # Errors
    /// [`FakeWnsError`] when the name is taken (by a device or a phone) or the fake cannot start.
    pub async fn add_windows_device(
        &self,
        name: &str,
        version: WindowsVersion,
    ) -> Result<WindowsPc, FakeWnsError> {
        if self.lock().contains_key(name) {
            return Err(FakeWnsError(format!("a phone is already named {name:?}")));
        }
        let fake = self.fake_wns().await?;
        fake.add_device(name, version)?;
        self.windows.locked().push(name.to_owned());
        Ok(self
            .windows_device(name)
            .expect("the device was just added"))
    }

    /// The Windows device with this name.
    pub fn windows_device(&self, name: &str) -> Option<WindowsPc> {
        let fake = self.wns.get()?;
        self.windows
            .locked()
            .iter()
            .any(|n| n == name)
            .then(|| WindowsPc {
                name: name.to_owned(),
                fake: fake.clone(),
            })
    }

    /// Every Windows device, in the order they were added.
    pub fn windows_devices(&self) -> Vec<WindowsPc> {
        let names = self.windows.locked().clone();
        names
            .iter()
            .filter_map(|n| self.windows_device(n))
            .collect()
    }

    /// Every phone rendered as text, by name, then every Windows device in the order added,
    /// separated by blank lines.
    pub fn render_text(&self) -> String {
        self.phones()
            .iter()
            .map(Phone::render_text)
            .chain(self.windows_devices().iter().map(WindowsPc::render_text))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A Windows device in a [`World`], on the World's fake WNS. Cloning shares it.
#[derive(Clone)]
pub struct WindowsPc {
    name: String,
    fake: Arc<FakeWns>,
}

impl fmt::Debug for WindowsPc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowsPc")
            .field("name", &self.name)
            .field("fake", &self.fake.url())
            .finish()
    }
}

impl WindowsPc {
    /// The device's name on the fake WNS.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Installs `app` (registered with the fake WNS) if it is not, and gets its primary
    /// channel, as the app asking Windows for one would.
    ///
    /// # Errors
    /// [`FakeWnsError`] when the app is not registered with the fake.
    pub fn open_channel(&self, app: &str) -> Result<WnsChannel, FakeWnsError> {
        self.fake
            .create_channel(&ChannelRequest::new(app, self.name.as_str()))
    }

    /// Looks at or changes the device (app states, power, what it shows); the time passed is
    /// the World's clock as a date.
    pub fn with<T>(&self, f: impl FnOnce(&mut WindowsDevice, std::time::SystemTime) -> T) -> T {
        self.fake
            .device(&self.name, f)
            .expect("a World's Windows device stays on its fake WNS")
    }

    /// The visible state as text ([`WindowsDevice::render_text`]).
    pub fn render_text(&self) -> String {
        self.with(|d, _| d.render_text())
    }

    /// The visible state as SVG ([`WindowsDevice::render_svg`]).
    pub fn render_svg(&self) -> String {
        self.with(|d, _| d.render_svg())
    }
}
