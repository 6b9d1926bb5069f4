//! Channels, devices and their queues: what the fake knows, and what happens to a notification
//! once its request is understood.
//!
//! Locking: a channel token is resolved through a read-locked map (held only to clone one
//! `Arc`); then only that channel's device is locked. A device lock covers the device's
//! connection, power, queue and all its channels (one per app), so a send and a state change on
//! the same device are atomic, while different devices never contend. Lock order: registry maps
//! before a device, never the reverse while holding a device.

mod callbacks;
mod channels;
mod log;
mod receive;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::fake::device::{default_device_channel, Device, DeviceName};
use crate::fake::error::FakeError;
use crate::fake::events::{Event, Events};
use crate::fake::faults::Faults;
use crate::fake::model::{ChannelId, DeviceId};
use crate::fake::record::{Log, LOG_BYTES_DEFAULT};
use crate::fake::registry::{ChannelRef, Registry, Token, TOKEN_LEN};
use crate::lock::{MutexExt, RwLockExt};
use crate::protocol::Mode;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The default cap on channels: a million, what the fake is built and measured to hold
/// (BENCHMARKS.md, the scale run).
pub(crate) const MAX_CHANNELS_DEFAULT: usize = 1_000_000;

pub(crate) struct Config {
    pub mode: Mode,
    pub daily_limit: u32,
    pub queue_capacity: usize,
    pub log_limit: usize,
    /// The byte budget of all logs together (see `record::Log`).
    pub log_bytes: usize,
    /// The most channels the fake holds at once.
    pub max_channels: usize,
    pub allow_authenticated_over_http: bool,
    pub seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            mode: Mode::Lenient,
            daily_limit: 500,
            queue_capacity: 30,
            log_limit: 10_000,
            log_bytes: LOG_BYTES_DEFAULT,
            max_channels: MAX_CHANNELS_DEFAULT,
            allow_authenticated_over_http: false,
            seed: None,
        }
    }
}

/// The fake's state, shared by the HTTP server, the control API and the Rust API.
pub(crate) struct Core {
    pub config: Config,
    pub clock: Clock,
    pub events: Events,
    pub faults: Faults,
    /// Pinged on every recorded notification, delivery and state change while someone waits.
    pub changed: Notify,
    /// How many wait helpers are waiting on `changed`.
    pub waiting: AtomicUsize,
    /// Cancelled when the server shuts down (ends event streams and held requests).
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Notifications an unauthenticated channel takes per day: `config.daily_limit` at start,
    /// changed at run time by `PATCH /_fake/settings`.
    daily_limit: AtomicU32,
    /// The queue capacity of devices created from now on (see [`Core::set_queue_capacity`]).
    queue_capacity: AtomicUsize,
    base_uri: OnceLock<String>,
    tls_base_uri: OnceLock<String>,
    /// Lock order: `devices`, then `registry`, then a device.
    registry: RwLock<Registry>,
    /// Named devices only; a channel's default device lives in its slot.
    devices: RwLock<HashMap<DeviceId, Arc<Device>>>,
    /// Requests to channel URIs that name no known channel.
    unrouted: Mutex<Log>,
    /// The bytes of every log (`unrouted` and each channel's), against `config.log_bytes`.
    log_used: Arc<AtomicUsize>,
    /// The version a channel gets when none is given.
    default_os_version: Arc<str>,
    next_channel: AtomicU64,
    next_seq: AtomicU64,
    rng: Mutex<StdRng>,
    /// Held while a channel with a fixed token is created (see `create_channel`).
    fixed_tokens: Mutex<()>,
    http: OnceLock<reqwest::Client>,
    self_ref: Weak<Core>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Core {
    pub(crate) fn new(config: Config, clock: Clock) -> Arc<Self> {
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        let log_used = Arc::new(AtomicUsize::new(0));
        let (daily_limit, queue_capacity) = (config.daily_limit, config.queue_capacity);
        Arc::new_cyclic(|me| Core {
            config,
            daily_limit: AtomicU32::new(daily_limit),
            queue_capacity: AtomicUsize::new(queue_capacity),
            clock,
            events: Events::new(),
            faults: Faults::default(),
            changed: Notify::new(),
            waiting: AtomicUsize::new(0),
            shutdown: tokio_util::sync::CancellationToken::new(),
            base_uri: OnceLock::new(),
            tls_base_uri: OnceLock::new(),
            registry: RwLock::new(Registry::new(1)),
            devices: RwLock::default(),
            unrouted: Mutex::new(Log::new(log_used.clone())),
            log_used,
            default_os_version: Arc::from("8.0"),
            next_channel: AtomicU64::new(0),
            next_seq: AtomicU64::new(0),
            rng: Mutex::new(rng),
            fixed_tokens: Mutex::new(()),
            http: OnceLock::new(),
            self_ref: me.clone(),
        })
    }

    /// Sets `http://HOST:PORT` (and `https://HOST:PORT` with TLS) once the listeners are bound.
    pub(crate) fn set_base_uri(&self, base: String, tls: Option<String>) {
        let _ = self.base_uri.set(base);
        if let Some(tls) = tls {
            let _ = self.tls_base_uri.set(tls);
        }
    }

    /// Notifications an unauthenticated channel takes per day, now.
    pub(crate) fn daily_limit(&self) -> u32 {
        self.daily_limit.load(Ordering::Relaxed)
    }

    /// The queue capacity new devices get, now.
    pub(crate) fn queue_capacity(&self) -> usize {
        self.queue_capacity.load(Ordering::Relaxed)
    }

    /// Changes the daily limit of every unauthenticated channel, from its next request on.
    pub(crate) fn set_daily_limit(&self, n: u32) {
        self.daily_limit.store(n, Ordering::Relaxed);
        self.touch();
    }

    /// Changes the queue capacity of every device there is and of those created from now on
    /// (a device's own capacity can still be changed afterwards through its channel).
    pub(crate) fn set_queue_capacity(&self, n: usize) -> Result<(), FakeError> {
        channels::check_capacity(n)?;
        // Under the map of named devices, so that no device is created in between with the
        // old capacity.
        let named = self.devices.write_locked();
        self.queue_capacity.store(n, Ordering::Relaxed);
        let mut devices: Vec<Arc<Device>> = named.values().cloned().collect();
        devices.extend(self.channel_list().into_iter().map(|(_, d)| d));
        drop(named);
        for d in devices {
            d.lock().queue_capacity = n;
        }
        self.touch();
        Ok(())
    }

    fn uri_of(&self, authenticated: bool, token: &str) -> String {
        let (kind, base) = if authenticated {
            (
                "unthrottledthirdparty",
                self.tls_base_uri.get().or(self.base_uri.get()),
            )
        } else {
            ("throttledthirdparty", self.base_uri.get())
        };
        let base = base.map(String::as_str).unwrap_or("http://127.0.0.1:0");
        format!("{base}/{kind}/01.00/{token}")
    }

    fn new_token(&self) -> Token {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut rng = self.rng.locked();
        // "AAE"/"AAF" prefixes as seen on real channel URIs, then 61 random base64url characters.
        let mut t = [0; TOKEN_LEN];
        t[..3].copy_from_slice(b"AAF");
        for c in &mut t[3..] {
            *c = ALPHABET[rng.random_range(0..64usize)];
        }
        Token::generated(t)
    }

    /// An empty log, counted against the fake's byte budget.
    pub(super) fn new_log(&self) -> Log {
        Log::new(self.log_used.clone())
    }

    /// Wakes the wait helpers, if any wait (`notify_waiters` takes a lock; skip it otherwise).
    pub(crate) fn touch(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.changed.notify_waiters();
        }
    }

    fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read_locked()
    }

    fn registry_mut(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry.write_locked()
    }

    /// The device named `id`: a named one, or a channel's default device.
    fn find_device(
        &self,
        id: &DeviceId,
        named: &HashMap<DeviceId, Arc<Device>>,
    ) -> Option<Arc<Device>> {
        if let Some(d) = named.get(id) {
            return Some(d.clone());
        }
        let channel = default_device_channel(id)?;
        let registry = self.registry();
        let device = &registry.slot(channel)?.device;
        matches!(device.name, DeviceName::Default(c) if c == channel).then(|| device.clone())
    }

    /// The device named `id`, created if new.
    fn device(&self, id: &DeviceId) -> Arc<Device> {
        {
            let named = self.devices.read_locked();
            if let Some(d) = self.find_device(id, &named) {
                return d;
            }
        }
        let mut named = self.devices.write_locked();
        if let Some(d) = self.find_device(id, &named) {
            return d;
        }
        let d = Arc::new(Device::new(
            DeviceName::Named(id.clone()),
            self.queue_capacity(),
        ));
        named.insert(id.clone(), d.clone());
        d
    }

    fn channel_ref(&self, id: ChannelId) -> Result<ChannelRef, FakeError> {
        let registry = self.registry();
        let slot = registry.slot(id).ok_or(FakeError::NoSuchChannel(id))?;
        Ok(slot.to_ref(id))
    }

    /// The channel with this id, as the request path would resolve it.
    #[cfg(test)]
    pub(crate) fn resolve_id(&self, id: ChannelId) -> Option<ChannelRef> {
        self.channel_ref(id).ok()
    }

    /// Resolves a channel URI's token; `authenticated` is the URI's kind.
    pub(crate) fn resolve(&self, token: &str, authenticated: bool) -> Option<ChannelRef> {
        let registry = self.registry();
        let (id, slot) = registry.find(token)?;
        (slot.authenticated == authenticated).then(|| slot.to_ref(id))
    }

    /// Forgets every channel, device, record and fault rule (the clock keeps its time).
    pub(crate) fn reset(&self) {
        {
            let mut named = self.devices.write_locked();
            named.clear();
            // Channels created from now on start the new table.
            let next = self.next_channel.load(Ordering::Relaxed) + 1;
            *self.registry_mut() = Registry::new(next);
        }
        self.unrouted.locked().clear();
        self.faults.clear();
        self.events.emit(|| Event::Reset);
        self.touch();
    }

    pub(crate) fn advance(&self, by: Duration) {
        self.clock.advance(by);
        let now_ms = ms(self.clock.now());
        self.events.emit(|| Event::ClockAdvanced { now_ms });
        self.touch();
    }
}
