//! Channels, devices and their queues: what the fake knows, and what happens to a notification
//! once its request is understood.
//!
//! Locking: a channel token is resolved through a read-locked map (held only to clone one
//! `Arc`); then only that channel's device is locked. A device lock covers the device's
//! connection, power, queue and all its channels (one per app), so a send and a state change on
//! the same device are atomic, while different devices never contend. Lock order: registry maps
//! before a device, never the reverse while holding a device.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, Weak};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use bytes::Bytes;
use hashbrown::HashTable;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};

use super::answer::{
    decide, Answer, ChannelFacts, Connection, Facts, Fate, NotificationStatus, Power, Subscription,
};
use super::events::{Event, Events};
use super::faults::Faults;
use super::protocol::{Batching, Content, Inspected, Mode, Target};
use crate::clock::Clock;
use crate::lock::{MutexExt, RwLockExt};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A channel's id in the control API (`/_fake/channels/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub u64);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A device's name. A device holds at most one channel per app.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(pub String);

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for DeviceId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// A change to a device and one of its channels; unset fields stay as they are.
/// `connection`, `power` and `queue_capacity` belong to the device (shared by its channels); the
/// rest belong to the channel's app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceUpdate {
    /// Device connection.
    pub connection: Option<Connection>,
    /// Channel subscription (`Expired` makes sends answer 404).
    pub subscription: Option<Subscription>,
    /// Battery policy.
    pub power: Option<Power>,
    /// Whether the channel is bound to tile notifications.
    pub bound_tile: Option<bool>,
    /// Whether the channel is bound to toasts.
    pub bound_toast: Option<bool>,
    /// Whether the app runs (raw notifications are discarded otherwise).
    pub app_running: Option<bool>,
    /// Whether the app's primary tile is pinned.
    pub primary_tile_pinned: Option<bool>,
    /// The pinned secondary tiles, by `Id` (navigation URI); replaces the list.
    pub secondary_tiles: Option<Vec<String>>,
    /// How many notifications may wait in the device queue.
    pub queue_capacity: Option<usize>,
}

impl DeviceUpdate {
    /// A change of the connection only.
    pub fn connection(c: Connection) -> Self {
        Self {
            connection: Some(c),
            ..Self::default()
        }
    }
}

/// A device and one of its channels, as seen through that channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceView {
    /// The device.
    pub device: DeviceId,
    /// The channel's app.
    pub app: String,
    /// Device connection.
    pub connection: Connection,
    /// Channel subscription.
    pub subscription: Subscription,
    /// Battery policy.
    pub power: Power,
    /// Bound to tiles.
    pub bound_tile: bool,
    /// Bound to toasts.
    pub bound_toast: bool,
    /// App running.
    pub app_running: bool,
    /// Primary tile pinned.
    pub primary_tile_pinned: bool,
    /// Pinned secondary tiles by `Id`.
    pub secondary_tiles: Vec<String>,
    /// Device queue capacity.
    pub queue_capacity: usize,
    /// Notifications waiting in the device queue now.
    pub queued: usize,
}

/// How to create a channel from Rust (emulated phones) or through `POST /_fake/channels`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelOptions {
    /// The device (created on first use). Default: a fresh `device-<id>`.
    pub device: Option<DeviceId>,
    /// The app. Default: `app-<id>`.
    pub app: Option<String>,
    /// The device's OS version, e.g. `"7.1"` or `"8.0"` (informational). Default `"8.0"`.
    pub os_version: Option<String>,
    /// Authenticated channel (`/unthrottledthirdparty/`, no daily limit, callbacks).
    pub authenticated: bool,
    /// The certificate subject CN the authenticated sender must present.
    pub service_name: Option<String>,
    /// Initial state, applied over the defaults (connected, bound to tile and toast, app
    /// running, primary tile pinned, power normal).
    pub device_state: Option<DeviceUpdate>,
}

/// A channel as listed by `GET /_fake/channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelInfo {
    /// Its id.
    pub id: ChannelId,
    /// The channel URI a sender POSTs to.
    pub uri: String,
    /// Its device.
    pub device: DeviceId,
    /// Its app.
    pub app: String,
    /// Authenticated or not.
    pub authenticated: bool,
    /// Service name for authenticated channels.
    pub service_name: Option<String>,
    /// OS version.
    pub os_version: String,
    /// Notifications counted toward today's limit.
    pub sent_today: u32,
    /// The stored `/callback` registration, if any.
    pub callback: Option<CallbackInfo>,
}

/// A `/callback` registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackInfo {
    /// `X-CallbackURI`.
    pub uri: String,
    /// The blob, as text (lossy).
    pub blob: String,
}

/// A notification that reached a device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivered {
    /// The channel.
    pub channel: ChannelId,
    /// The app the channel belongs to.
    pub app: String,
    /// The notification's sequence number (as in the notification records).
    pub seq: u64,
    /// What it carries (shared with the notification record).
    pub content: Arc<Content>,
    /// `X-MessageID`, if sent.
    pub message_id: Option<String>,
    /// When MPNS took it (clock time).
    pub received_at: Duration,
    /// When it reached the device (clock time).
    pub delivered_at: Duration,
}

/// What became of an accepted notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not taken for delivery (refused, suppressed, queue full).
    NotQueued,
    /// Waiting in the device queue.
    Queued {
        /// When it becomes due, in clock ms.
        due_at_ms: u64,
    },
    /// Reached the device.
    Delivered {
        /// When, in clock ms.
        at_ms: u64,
    },
    /// Discarded on the way.
    Discarded {
        /// Why.
        reason: String,
    },
}

/// One request that reached a channel URI (or a URI that looked like one), with its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationRecord {
    /// Global arrival order.
    pub seq: u64,
    /// The channel, if the URI named a known one.
    pub channel: Option<ChannelId>,
    /// Clock time of arrival, in ms.
    pub received_at_ms: u64,
    /// HTTP method.
    #[serde(serialize_with = "ser::method")]
    pub method: Method,
    /// Request URI (path and query); serialized as the path.
    #[serde(rename = "path", serialize_with = "ser::path")]
    pub uri: Uri,
    /// Request headers in order; serialized as `[name, value]` pairs (values lossy UTF-8).
    #[serde(serialize_with = "ser::headers")]
    pub headers: HeaderMap,
    /// Body as sent; serialized as text (lossy UTF-8).
    #[serde(serialize_with = "ser::bytes")]
    pub body: Bytes,
    /// The parsed notification, if the request was well formed.
    pub content: Option<Arc<Content>>,
    /// Tile, toast or raw, if known.
    pub target: Option<Target>,
    /// The interval, if known.
    pub batching: Option<Batching>,
    /// The `X-MessageID` answered.
    #[serde(serialize_with = "ser::header_value")]
    pub message_id: HeaderValue,
    /// The answer given.
    pub response: Answer,
    /// Why that answer.
    pub fate: Option<Fate>,
    /// Deviations from the documented protocol, in plain words.
    pub diagnostics: Vec<String>,
    /// What happened afterwards.
    pub delivery: DeliveryState,
}

/// What the request path knows about a request besides its inspection: its method, and one
/// buffer of its own holding the body, the message ID, the path and the headers (packed).
pub(crate) struct RequestInfo {
    pub method: Method,
    /// The request target as hyper read it when it is not a plain path (the path is in
    /// `data` otherwise).
    pub other_uri: Option<Uri>,
    /// The body, the `X-MessageID` answered, the path and query, and the headers packed by
    /// [`pack_headers`], one after the other.
    pub data: Bytes,
    /// The lengths of the body, the message ID and the path in `data`.
    pub lens: [usize; 3],
}

/// `data` cut into the body, the message ID, the path and the packed headers.
fn split_data(data: &Bytes, lens: [u32; 3]) -> [Bytes; 4] {
    let mut rest = data.clone();
    let mut take = |n: u32| rest.split_to(usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()));
    let [body, id, path] = lens.map(&mut take);
    [body, id, path, rest]
}

/// A record as the log keeps it, smaller than a [`NotificationRecord`]: the request in one
/// buffer (headers packed, the path as bytes), and the content parsed again when the record is
/// read. Inspection depends only on the method, the headers, the body and the mode, all kept,
/// so the content read back is the content the request had on arrival.
///
/// Most records are never read, and the oldest one is dropped for every new one once a
/// channel's log is full; by then it is long out of the CPU's caches. A header map, a URI and
/// the parsed content cost allocations to build, and cache misses to free.
#[derive(Clone)]
struct Kept {
    method: Method,
    other_uri: Option<Box<Uri>>,
    data: Bytes,
    lens: [u32; 3],
    outcome: Outcome,
}

/// What a record says besides its request.
#[derive(Clone)]
struct Outcome {
    seq: u64,
    received_at_ms: u64,
    channel: Option<ChannelId>,
    /// The mode the request was inspected in, when it was inspected successfully.
    inspected: Option<Mode>,
    target: Option<Target>,
    batching: Option<Batching>,
    response: Answer,
    fate: Option<Fate>,
    diagnostics: Vec<String>,
    delivery: DeliveryState,
}

impl Kept {
    fn new(info: RequestInfo, outcome: Outcome) -> Self {
        Kept {
            method: info.method,
            other_uri: info.other_uri.map(Box::new),
            data: info.data,
            lens: info.lens.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            outcome,
        }
    }

    fn seq(&self) -> u64 {
        self.outcome.seq
    }

    /// The record, with its content parsed again from the request.
    fn to_record(&self) -> Arc<NotificationRecord> {
        self.record_with(|method, headers, body| {
            let mode = self.outcome.inspected?;
            let inspected = super::protocol::inspect(method, headers, body, mode).ok()?;
            Some(Arc::new(inspected.content))
        })
    }

    /// The record, its content given by `content` (from the method, headers and body).
    fn record_with(
        &self,
        content: impl FnOnce(&Method, &HeaderMap, &Bytes) -> Option<Arc<Content>>,
    ) -> Arc<NotificationRecord> {
        let [body, id, path, packed] = split_data(&self.data, self.lens);
        let headers = unpack_headers(&packed);
        let uri = match &self.other_uri {
            Some(uri) => Uri::clone(uri),
            // It was a valid URI when the request arrived.
            None => Uri::from_maybe_shared(path).unwrap_or_default(),
        };
        let content = content(&self.method, &headers, &body);
        let o = &self.outcome;
        Arc::new(NotificationRecord {
            seq: o.seq,
            channel: o.channel,
            received_at_ms: o.received_at_ms,
            method: self.method.clone(),
            uri,
            headers,
            body,
            content,
            target: o.target,
            batching: o.batching,
            message_id: HeaderValue::from_maybe_shared(id).unwrap_or(HeaderValue::from_static("")),
            response: o.response,
            fate: o.fate,
            diagnostics: o.diagnostics.clone(),
            delivery: o.delivery.clone(),
        })
    }
}

/// The bytes [`pack_headers`] writes for `headers`.
pub(crate) fn packed_len(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| 8 + name.as_str().len() + value.len())
        .sum()
}

/// Writes each header as its name and its value, each as a 4-byte length and the bytes.
pub(crate) fn pack_headers(headers: &HeaderMap, buf: &mut impl bytes::BufMut) {
    for (name, value) in headers {
        for part in [name.as_str().as_bytes(), value.as_bytes()] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            buf.put_slice(&len.to_le_bytes());
            buf.put_slice(part);
        }
    }
}

fn unpack_headers(packed: &Bytes) -> HeaderMap {
    let mut at = 0;
    let mut next = || {
        let len = packed.get(at..at + 4)?;
        let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
        let start = at + 4;
        at = start.checked_add(len).filter(|end| *end <= packed.len())?;
        Some(packed.slice(start..at))
    };
    let mut headers = HeaderMap::new();
    while let (Some(name), Some(value)) = (next(), next()) {
        // Both were a valid name and value when packed.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&name),
            HeaderValue::from_maybe_shared(value),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

/// Serializers that turn the HTTP types of a record into plain JSON text.
mod ser {
    use axum::http::{HeaderMap, HeaderValue, Method, Uri};
    use serde::ser::SerializeSeq;
    use serde::Serializer;

    pub fn method<S: Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.as_str())
    }

    pub fn path<S: Serializer>(u: &Uri, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(u.path())
    }

    pub fn bytes<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }

    pub fn header_value<S: Serializer>(v: &HeaderValue, s: S) -> Result<S::Ok, S::Error> {
        bytes(v.as_bytes(), s)
    }

    pub fn headers<S: Serializer>(h: &HeaderMap, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(h.len()))?;
        for (name, value) in h {
            seq.serialize_element(&(name.as_str(), String::from_utf8_lossy(value.as_bytes())))?;
        }
        seq.end()
    }
}

/// Errors of the Rust and control APIs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// No channel with this id.
    #[error("no channel with id {0}; GET /_fake/channels lists them")]
    NoSuchChannel(ChannelId),
    /// The device already has a channel for that app.
    #[error("device {device} already has channel {existing} for app {app}; a device holds one channel per app (rotate or expire it instead)")]
    AppHasChannel {
        /// The device.
        device: DeviceId,
        /// The app.
        app: String,
        /// Its existing channel.
        existing: ChannelId,
    },
    /// A field is invalid.
    #[error("{0}")]
    Invalid(String),
}

pub(crate) struct Config {
    pub mode: Mode,
    pub daily_limit: u32,
    pub queue_capacity: usize,
    pub log_limit: usize,
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
            allow_authenticated_over_http: false,
            seed: None,
        }
    }
}

struct Queued {
    seq: u64,
    channel: ChannelId,
    due: Duration,
    received_at: Duration,
    content: Arc<Content>,
    message_id: Option<String>,
}

struct Callback {
    uri: String,
    blob: Bytes,
}

/// One app's channel on a device. Kept small: a fake may hold a million of them.
struct ChannelState {
    id: ChannelId,
    app: Box<str>,
    authenticated: bool,
    service_name: Option<Box<str>>,
    /// Shared: nearly every channel has the default version.
    os_version: Arc<str>,
    subscription: Subscription,
    bound_tile: bool,
    bound_toast: bool,
    app_running: bool,
    primary_pinned: bool,
    secondary: BTreeSet<String>,
    day_start: Duration,
    sent_today: u32,
    callback: Option<Box<Callback>>,
    log: VecDeque<Arc<Kept>>,
}

struct DeviceState {
    connection: Connection,
    power: Power,
    queue_capacity: usize,
    queue: VecDeque<Queued>,
    /// Sorted by id; a device holds one channel per app, rarely more than a few.
    channels: Vec<ChannelState>,
}

impl DeviceState {
    fn channel(&self, id: ChannelId) -> Option<&ChannelState> {
        let i = self.channels.binary_search_by_key(&id, |c| c.id).ok()?;
        self.channels.get(i)
    }

    fn channel_mut(&mut self, id: ChannelId) -> Option<&mut ChannelState> {
        let i = self.channels.binary_search_by_key(&id, |c| c.id).ok()?;
        self.channels.get_mut(i)
    }

    fn add_channel(&mut self, c: ChannelState) {
        let at = self.channels.partition_point(|x| x.id < c.id);
        // Exactly one more: `Vec` would otherwise make room for four channels at the first.
        self.channels.reserve_exact(1);
        self.channels.insert(at, c);
    }
}

/// How a device is named.
enum DeviceName {
    /// Named by whoever created it.
    Named(DeviceId),
    /// `device-<id>`: made for a channel created without a device name, and found through that
    /// channel instead of the map of named devices (which would cost every channel an entry).
    Default(ChannelId),
}

pub(crate) struct Device {
    name: DeviceName,
    state: Mutex<DeviceState>,
    /// Made on the first subscription: a broadcast channel allocates all 1024 slots up front
    /// (over 100 KB), which a million devices nobody listens to cannot afford. Until then a
    /// delivery reaches no one, as it would with a channel and no receivers.
    sink: OnceLock<broadcast::Sender<Delivered>>,
}

impl Device {
    fn new(name: DeviceName, queue_capacity: usize) -> Self {
        Device {
            name,
            state: Mutex::new(DeviceState {
                connection: Connection::Connected,
                power: Power::Normal,
                queue_capacity,
                queue: VecDeque::new(),
                channels: Vec::new(),
            }),
            sink: OnceLock::new(),
        }
    }

    fn id(&self) -> DeviceId {
        match &self.name {
            DeviceName::Named(id) => id.clone(),
            DeviceName::Default(channel) => default_device_name(*channel),
        }
    }

    fn lock(&self) -> MutexGuard<'_, DeviceState> {
        self.state.locked()
    }

    fn subscribe(&self) -> broadcast::Receiver<Delivered> {
        self.sink
            .get_or_init(|| broadcast::channel(DELIVERY_BUFFER).0)
            .subscribe()
    }
}

fn default_device_name(channel: ChannelId) -> DeviceId {
    DeviceId(format!("device-{channel}"))
}

/// The channel whose default device is named `name`, if `name` has that form.
fn default_device_channel(name: &DeviceId) -> Option<ChannelId> {
    let digits = name.0.strip_prefix("device-")?;
    let canonical = !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| digits.parse().ok().map(ChannelId))?
}

/// Deliveries a device's subscriber may fall behind by before it loses the oldest.
const DELIVERY_BUFFER: usize = 1024;

/// Characters in a channel token: `AAF` and 61 random base64url characters.
const TOKEN_LEN: usize = 64;

/// A channel URI's token, kept inline (a million channels make a million of them).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Token([u8; TOKEN_LEN]);

impl Token {
    fn as_str(&self) -> &str {
        // Only `new_token` makes tokens, from ASCII characters.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// A channel as the request path finds it.
struct Slot {
    token: Token,
    authenticated: bool,
    device: Arc<Device>,
}

impl Slot {
    /// The channel `id` held in this slot, as handlers use it.
    fn to_ref(&self, id: ChannelId) -> ChannelRef {
        ChannelRef {
            id,
            authenticated: self.authenticated,
            device: self.device.clone(),
        }
    }
}

/// The token of the slot at `i` in a registry's table, if a channel is there.
fn token_at(slots: &[Option<Slot>], i: usize) -> Option<&str> {
    slots.get(i)?.as_ref().map(|s| s.token.as_str())
}

/// Every channel by id, and an index from token to channel.
///
/// The index holds positions in `slots` rather than tokens, so each token is stored once.
struct Registry {
    /// The id of `slots[0]`: a reset starts the table afresh at the next id.
    base: u64,
    /// By id; `None` for an id whose creation failed.
    slots: Vec<Option<Slot>>,
    by_token: HashTable<usize>,
    hasher: RandomState,
}

impl Registry {
    fn new(base: u64) -> Self {
        Registry {
            base,
            slots: Vec::new(),
            by_token: HashTable::new(),
            hasher: RandomState::new(),
        }
    }

    fn index(&self, id: ChannelId) -> Option<usize> {
        usize::try_from(id.0.checked_sub(self.base)?).ok()
    }

    fn slot(&self, id: ChannelId) -> Option<&Slot> {
        self.slots.get(self.index(id)?)?.as_ref()
    }

    fn find(&self, token: &str) -> Option<(ChannelId, &Slot)> {
        let hash = self.hasher.hash_one(token);
        let &i = self
            .by_token
            .find(hash, |&i| token_at(&self.slots, i) == Some(token))?;
        let slot = self.slots.get(i)?.as_ref()?;
        Some((ChannelId(self.base + i as u64), slot))
    }

    /// Indexes the token of the slot at `i`.
    fn index_token(&mut self, i: usize) {
        let Some(token) = token_at(&self.slots, i) else {
            return;
        };
        let hash = self.hasher.hash_one(token);
        let (slots, hasher) = (&self.slots, &self.hasher);
        let rehash = |&j: &usize| hasher.hash_one(token_at(slots, j).unwrap_or_default());
        self.by_token.insert_unique(hash, i, rehash);
    }

    fn unindex_token(&mut self, i: usize) {
        let Some(token) = token_at(&self.slots, i) else {
            return;
        };
        if let Ok(entry) = self
            .by_token
            .find_entry(self.hasher.hash_one(token), |&j| j == i)
        {
            entry.remove();
        }
    }

    /// Adds a channel; `false` if its id belongs before the last reset.
    fn insert(&mut self, id: ChannelId, slot: Slot) -> bool {
        let Some(i) = self.index(id) else {
            return false;
        };
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some(slot);
        self.index_token(i);
        true
    }

    /// Gives a channel a new token, returning the old one.
    fn retoken(&mut self, id: ChannelId, token: Token) -> Option<Token> {
        let i = self.index(id)?;
        self.unindex_token(i);
        let slot = self.slots.get_mut(i)?.as_mut()?;
        let old = std::mem::replace(&mut slot.token, token);
        self.index_token(i);
        Some(old)
    }

    fn channels(&self) -> impl Iterator<Item = (ChannelId, &Slot)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((ChannelId(self.base + i as u64), s.as_ref()?)))
    }
}

/// A resolved channel URI.
#[derive(Clone)]
pub(crate) struct ChannelRef {
    pub id: ChannelId,
    authenticated: bool,
    device: Arc<Device>,
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
    base_uri: OnceLock<String>,
    tls_base_uri: OnceLock<String>,
    /// Lock order: `devices`, then `registry`, then a device.
    registry: RwLock<Registry>,
    /// Named devices only; a channel's default device lives in its slot.
    devices: RwLock<HashMap<DeviceId, Arc<Device>>>,
    /// Requests to channel URIs that name no known channel.
    unrouted: Mutex<VecDeque<Arc<Kept>>>,
    /// The version a channel gets when none is given.
    default_os_version: Arc<str>,
    next_channel: AtomicU64,
    next_seq: AtomicU64,
    rng: Mutex<StdRng>,
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
        Arc::new_cyclic(|me| Core {
            config,
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
            unrouted: Mutex::default(),
            default_os_version: Arc::from("8.0"),
            next_channel: AtomicU64::new(0),
            next_seq: AtomicU64::new(0),
            rng: Mutex::new(rng),
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
        Token(t)
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
            self.config.queue_capacity,
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

    pub(crate) fn create_channel(&self, opts: ChannelOptions) -> Result<ChannelInfo, FakeError> {
        if !opts.authenticated && opts.service_name.is_some() {
            return Err(FakeError::Invalid(
                "service_name is only meaningful with \"authenticated\": true".into(),
            ));
        }
        if let Some(cap) = opts.device_state.as_ref().and_then(|u| u.queue_capacity) {
            check_capacity(cap)?;
        }
        let id = ChannelId(self.next_channel.fetch_add(1, Ordering::Relaxed) + 1);
        let app: Box<str> = match &opts.app {
            Some(app) => app.as_str().into(),
            None => format!("app-{id}").into(),
        };
        // For a default device, the map of named devices stays read-locked until the channel
        // is in the registry, so that nobody names `device-<id>` in between and gets another.
        let (device, named) = match &opts.device {
            Some(name) => (self.device(name), None),
            None => {
                let named = self.devices.read_locked();
                let device = match named.get(&default_device_name(id)) {
                    Some(d) => d.clone(),
                    None => Arc::new(Device::new(
                        DeviceName::Default(id),
                        self.config.queue_capacity,
                    )),
                };
                (device, Some(named))
            }
        };
        let token = self.new_token();
        {
            let mut d = device.lock();
            if let Some(existing) = d.channels.iter().find(|c| c.app == app) {
                return Err(FakeError::AppHasChannel {
                    device: device.id(),
                    app: app.into(),
                    existing: existing.id,
                });
            }
            let os_version = match opts.os_version.as_deref() {
                None => self.default_os_version.clone(),
                Some(v) if *v == *self.default_os_version => self.default_os_version.clone(),
                Some(v) => Arc::from(v),
            };
            d.add_channel(ChannelState {
                id,
                app: app.clone(),
                authenticated: opts.authenticated,
                service_name: opts.service_name.as_deref().map(Box::from),
                os_version,
                subscription: Subscription::Active,
                bound_tile: true,
                bound_toast: true,
                app_running: true,
                primary_pinned: true,
                secondary: BTreeSet::new(),
                day_start: self.clock.now(),
                sent_today: 0,
                callback: None,
                log: VecDeque::new(),
            });
        }
        let slot = Slot {
            token,
            authenticated: opts.authenticated,
            device: device.clone(),
        };
        if !self.registry_mut().insert(id, slot) {
            return Err(FakeError::Invalid(format!(
                "channel {id} was being created when the fake was reset; create it again"
            )));
        }
        drop(named);
        self.events.emit(|| Event::ChannelCreated {
            channel: id,
            uri: self.uri_of(opts.authenticated, token.as_str()),
            device: device.id(),
            app: app.into(),
        });
        if let Some(update) = &opts.device_state {
            self.update_device(id, update)?;
        }
        self.touch();
        self.channel_info(id)
    }

    pub(crate) fn channel_info(&self, id: ChannelId) -> Result<ChannelInfo, FakeError> {
        let (r, token) = {
            let registry = self.registry();
            let slot = registry.slot(id).ok_or(FakeError::NoSuchChannel(id))?;
            (slot.to_ref(id), slot.token)
        };
        let d = r.device.lock();
        let c = d.channel(id).ok_or(FakeError::NoSuchChannel(id))?;
        Ok(ChannelInfo {
            id,
            uri: self.uri_of(c.authenticated, token.as_str()),
            device: r.device.id(),
            app: c.app.clone().into(),
            authenticated: c.authenticated,
            service_name: c.service_name.clone().map(Into::into),
            os_version: c.os_version.as_ref().into(),
            sent_today: c.sent_today,
            callback: c.callback.as_ref().map(|cb| CallbackInfo {
                uri: cb.uri.clone(),
                blob: String::from_utf8_lossy(&cb.blob).into_owned(),
            }),
        })
    }

    pub(crate) fn channel_ids(&self) -> Vec<ChannelId> {
        self.registry().channels().map(|(id, _)| id).collect()
    }

    /// Every channel with its device, copied out so that no registry lock is held while the
    /// devices are read.
    fn channel_list(&self) -> Vec<(ChannelId, Arc<Device>)> {
        self.registry()
            .channels()
            .map(|(id, s)| (id, s.device.clone()))
            .collect()
    }

    pub(crate) fn device_view(&self, id: ChannelId) -> Result<DeviceView, FakeError> {
        let r = self.channel_ref(id)?;
        let d = r.device.lock();
        view(&r.device, &d, id)
    }

    pub(crate) fn update_device(
        &self,
        id: ChannelId,
        u: &DeviceUpdate,
    ) -> Result<DeviceView, FakeError> {
        let r = self.channel_ref(id)?;
        self.apply(&r.device, Some(id), u)
            .map(|v| v.expect("a view for the channel"))
    }

    /// Changes the device-level state (connection, power, queue capacity) of a device, whether
    /// or not it has channels yet.
    pub(crate) fn update_device_by_id(
        &self,
        device: &DeviceId,
        u: &DeviceUpdate,
    ) -> Result<(), FakeError> {
        let channel_field = [
            ("subscription", u.subscription.is_some()),
            ("bound_tile", u.bound_tile.is_some()),
            ("bound_toast", u.bound_toast.is_some()),
            ("app_running", u.app_running.is_some()),
            ("primary_tile_pinned", u.primary_tile_pinned.is_some()),
            ("secondary_tiles", u.secondary_tiles.is_some()),
        ]
        .into_iter()
        .find(|(_, set)| *set);
        if let Some((field, _)) = channel_field {
            return Err(FakeError::Invalid(format!(
                "{field} belongs to a channel, not to device {device}; change it through the channel"
            )));
        }
        let dev = self.device(device);
        self.apply(&dev, None, u).map(|_| ())
    }

    /// Applies `u` to a device and, when given, one of its channels; pumps the queue of a
    /// connected device and fires callbacks when it goes Inactive.
    fn apply(
        &self,
        dev: &Arc<Device>,
        channel: Option<ChannelId>,
        u: &DeviceUpdate,
    ) -> Result<Option<DeviceView>, FakeError> {
        if let Some(cap) = u.queue_capacity {
            check_capacity(cap)?;
        }
        let now = self.clock.now();
        let mut fire = Vec::new();
        let result = {
            let mut d = dev.lock();
            if let Some(id) = channel {
                if d.channel(id).is_none() {
                    return Err(FakeError::NoSuchChannel(id));
                }
            }
            let was = d.connection;
            if let Some(x) = u.connection {
                d.connection = x;
            }
            if let Some(x) = u.power {
                d.power = x;
            }
            if let Some(x) = u.queue_capacity {
                d.queue_capacity = x;
            }
            if let Some(c) = channel.and_then(|id| d.channel_mut(id)) {
                if let Some(x) = u.subscription {
                    c.subscription = x;
                }
                if let Some(x) = u.bound_tile {
                    c.bound_tile = x;
                }
                if let Some(x) = u.bound_toast {
                    c.bound_toast = x;
                }
                if let Some(x) = u.app_running {
                    c.app_running = x;
                }
                if let Some(x) = u.primary_tile_pinned {
                    c.primary_pinned = x;
                }
                if let Some(x) = &u.secondary_tiles {
                    c.secondary = x.iter().cloned().collect();
                }
            }
            if d.connection == Connection::Inactive && was != Connection::Inactive {
                for c in d.channels.iter_mut() {
                    if let Some(cb) = c.callback.take() {
                        fire.push((c.id, cb));
                    }
                }
            }
            if d.connection == Connection::Connected {
                self.pump(dev, &mut d, now);
            }
            match channel {
                Some(id) => Some(view(dev, &d, id)?),
                None => None,
            }
        };
        for (cid, cb) in fire {
            self.post_callback(cid, *cb);
        }
        self.events.emit(|| Event::DeviceChanged {
            channel,
            device: dev.id(),
            state: result.clone(),
        });
        self.touch();
        Ok(result)
    }

    /// Gives the channel a new token; the old URI answers 404 from now on.
    pub(crate) fn rotate(&self, id: ChannelId) -> Result<ChannelInfo, FakeError> {
        let r = self.channel_ref(id)?;
        let new = self.new_token();
        self.registry_mut()
            .retoken(id, new)
            .ok_or(FakeError::NoSuchChannel(id))?;
        self.events.emit(|| Event::ChannelRotated {
            channel: id,
            uri: self.uri_of(r.authenticated, new.as_str()),
        });
        self.touch();
        self.channel_info(id)
    }

    pub(crate) fn subscribe_device(&self, device: &DeviceId) -> broadcast::Receiver<Delivered> {
        self.device(device).subscribe()
    }

    fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Appends `rec`; returns the oldest record when the log was full, for the caller to drop
    /// once it has let go of the lock (freeing a record is most of what this costs).
    #[must_use = "the oldest record is dropped by the caller, outside the lock"]
    fn push_log(&self, log: &mut VecDeque<Arc<Kept>>, rec: Arc<Kept>) -> Option<Arc<Kept>> {
        let evicted = if log.len() >= self.config.log_limit.max(1) {
            log.pop_front()
        } else {
            None
        };
        log.push_back(rec);
        evicted
    }

    /// Records a request that named no known channel or was refused before reaching one,
    /// `channel` being the channel if the URI named one.
    pub(crate) fn record_refused(
        &self,
        channel: Option<&ChannelRef>,
        info: RequestInfo,
        inspected: Option<&Inspected>,
        answer: Answer,
        fate: Option<Fate>,
        diagnostics: Vec<String>,
    ) {
        let outcome = Outcome {
            seq: self.next_seq(),
            received_at_ms: ms(self.clock.now()),
            channel: channel.map(|c| c.id),
            inspected: inspected.map(|_| self.config.mode),
            target: inspected.map(|i| i.target),
            batching: inspected.map(|i| i.batching),
            response: answer,
            fate,
            diagnostics,
            delivery: DeliveryState::NotQueued,
        };
        let rec = Arc::new(Kept::new(info, outcome));
        self.events.emit(|| Event::Notification {
            record: rec.record_with(|_, _, _| inspected.map(|i| Arc::new(i.content.clone()))),
        });
        let mut evicted = None;
        let stored = channel.is_some_and(|c| {
            let mut d = c.device.lock();
            match d.channel_mut(c.id) {
                Some(ch) => {
                    evicted = self.push_log(&mut ch.log, rec.clone());
                    true
                }
                None => false,
            }
        });
        if !stored {
            let mut u = self.unrouted.locked();
            evicted = self.push_log(&mut u, rec);
        }
        drop(evicted);
        self.touch();
    }

    /// Decides the answer to a well-formed notification on `channel` (None: unknown) and does
    /// what it implies: count it, queue it, deliver it, record it.
    pub(crate) fn receive(
        &self,
        channel: Option<&ChannelRef>,
        inspected: Inspected,
        client_cn: Option<&str>,
        info: RequestInfo,
    ) -> Answer {
        let Some(cref) = channel else {
            let (answer, fate) = decide(&Facts { channel: None });
            let diags = inspected.diagnostics.clone();
            self.record_refused(None, info, Some(&inspected), answer, Some(fate), diags);
            return answer;
        };
        let now = self.clock.now();
        let seq = self.next_seq();
        let mut schedule = None;
        // Dropped after the device's lock is released.
        let evicted;
        let (answer, rec) = {
            let mut d = cref.device.lock();
            let (connection, power, queue_len, capacity) =
                (d.connection, d.power, d.queue.len(), d.queue_capacity);
            let Some(c) = d.channel_mut(cref.id) else {
                drop(d);
                let (answer, fate) = decide(&Facts { channel: None });
                let diags = inspected.diagnostics.clone();
                self.record_refused(None, info, Some(&inspected), answer, Some(fate), diags);
                return answer;
            };
            if now.saturating_sub(c.day_start) >= DAY {
                c.day_start = now;
                c.sent_today = 0;
            }
            let tile_pinned = match &inspected.content {
                Content::Tile(t) => match &t.id {
                    None => c.primary_pinned,
                    Some(id) => c.secondary.contains(id.as_str()),
                },
                _ => true,
            };
            let facts = Facts {
                channel: Some(ChannelFacts {
                    subscription: c.subscription,
                    connection,
                    authenticated: c.authenticated,
                    certified: self.certified(c, client_cn),
                    sent_today: c.sent_today,
                    daily_limit: self.config.daily_limit,
                    target: inspected.target,
                    bound_tile: c.bound_tile,
                    bound_toast: c.bound_toast,
                    tile_pinned,
                    app_running: c.app_running,
                    power,
                    queue_len,
                    queue_capacity: capacity,
                }),
            };
            let (answer, fate) = decide(&facts);
            if fate.counts_toward_limit() {
                c.sent_today = c.sent_today.saturating_add(1);
            }
            let Inspected {
                target,
                batching,
                message_id,
                content,
                diagnostics,
            } = inspected;
            let content = Arc::new(content);
            let delivery = if fate == Fate::Accepted {
                let due = now.saturating_add(match batching {
                    Batching::Immediate => Duration::ZERO,
                    Batching::Within450s => Duration::from_secs(450),
                    Batching::Within900s => Duration::from_secs(900),
                });
                DeliveryState::Queued { due_at_ms: ms(due) }
            } else {
                DeliveryState::NotQueued
            };
            let outcome = Outcome {
                seq,
                received_at_ms: ms(now),
                channel: Some(cref.id),
                inspected: Some(self.config.mode),
                target: Some(target),
                batching: Some(batching),
                response: answer,
                fate: Some(fate),
                diagnostics,
                delivery: delivery.clone(),
            };
            let kept = Arc::new(Kept::new(info, outcome));
            // The event shows the record as it is now (queued); the log's copy moves on to
            // delivered below.
            let for_event = self
                .events
                .listened()
                .then(|| kept.record_with(|_, _, _| Some(content.clone())));
            evicted = self.push_log(&mut c.log, kept);
            if let DeliveryState::Queued { due_at_ms } = delivery {
                let due = Duration::from_millis(due_at_ms);
                d.queue.push_back(Queued {
                    seq,
                    channel: cref.id,
                    due,
                    received_at: now,
                    content,
                    message_id,
                });
                if due <= now {
                    if d.connection == Connection::Connected {
                        self.pump(&cref.device, &mut d, now);
                    }
                } else {
                    schedule = Some(due);
                }
            }
            (answer, for_event)
        };
        drop(evicted);
        if let Some(due) = schedule {
            let weak = Arc::downgrade(&cref.device);
            let core = self.self_ref.clone();
            self.clock.schedule_at(due, move || {
                if let (Some(dev), Some(core)) = (weak.upgrade(), core.upgrade()) {
                    let now = core.clock.now();
                    let mut d = dev.lock();
                    if d.connection == Connection::Connected {
                        core.pump(&dev, &mut d, now);
                    }
                    drop(d);
                    core.touch();
                }
            });
        }
        if let Some(record) = rec {
            self.events.emit(|| Event::Notification { record });
        }
        self.touch();
        answer
    }

    /// Whether the sender may use this authenticated channel: its verified client certificate's
    /// subject CN equals the channel's service name (any verified certificate when the channel
    /// has none), or plain HTTP is trusted by configuration.
    fn certified(&self, c: &ChannelState, client_cn: Option<&str>) -> bool {
        if self.config.allow_authenticated_over_http {
            return true;
        }
        match (client_cn, c.service_name.as_deref()) {
            (Some(cn), Some(name)) => cn.eq_ignore_ascii_case(name),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Delivers every due notification in the queue of a connected device, in arrival order.
    fn pump(&self, dev: &Device, d: &mut DeviceState, now: Duration) {
        if !d.queue.iter().any(|q| q.due <= now) {
            return;
        }
        let mut due = std::mem::take(&mut d.queue);
        if due.iter().any(|q| q.due > now) {
            let (now_due, later) = due.into_iter().partition(|q| q.due <= now);
            d.queue = later;
            due = now_due;
        }
        while let Some(q) = due.pop_front() {
            let Some(c) = d.channel_mut(q.channel) else {
                continue;
            };
            let outcome = if c.subscription == Subscription::Expired {
                Err("the channel expired before delivery")
            } else if matches!(*q.content, Content::Raw { .. }) && !c.app_running {
                Err("raw notification discarded: the app is not running")
            } else {
                Ok(())
            };
            let state = match outcome {
                Ok(()) => DeliveryState::Delivered { at_ms: ms(now) },
                Err(reason) => DeliveryState::Discarded {
                    reason: reason.into(),
                },
            };
            set_delivery(&mut c.log, q.seq, state);
            match outcome {
                Ok(()) => {
                    let target = match &*q.content {
                        Content::Tile(_) => Target::Tile,
                        Content::Toast(_) => Target::Toast,
                        Content::Raw { .. } => Target::Raw,
                    };
                    if let Some(sink) = dev.sink.get() {
                        let _ = sink.send(Delivered {
                            channel: q.channel,
                            app: c.app.clone().into(),
                            seq: q.seq,
                            content: q.content,
                            message_id: q.message_id,
                            received_at: q.received_at,
                            delivered_at: now,
                        });
                    }
                    self.events.emit(|| Event::Delivered {
                        channel: q.channel,
                        seq: q.seq,
                        target,
                        at_ms: ms(now),
                    });
                }
                Err(reason) => self.events.emit(|| Event::Discarded {
                    channel: q.channel,
                    seq: q.seq,
                    reason: reason.into(),
                }),
            }
        }
        if d.queue.is_empty() {
            // Keeps the queue's allocation for the next notification.
            d.queue = due;
        }
    }

    /// Stores a `/callback` registration. Returns the answer (200 with subscription and device
    /// status, 401 on an unauthenticated or uncertified channel, 404 on an unknown one).
    pub(crate) fn register_callback(
        &self,
        channel: Option<&ChannelRef>,
        client_cn: Option<&str>,
        uri: String,
        blob: Bytes,
    ) -> Answer {
        let Some(cref) = channel else {
            return decide(&Facts { channel: None }).0;
        };
        let answer = {
            let mut d = cref.device.lock();
            let connection = d.connection;
            let Some(c) = d.channel_mut(cref.id) else {
                return decide(&Facts { channel: None }).0;
            };
            if c.subscription == Subscription::Expired {
                return Answer {
                    status: 404,
                    notification: Some(NotificationStatus::Dropped),
                    device: Some(match connection {
                        Connection::Inactive => Connection::Disconnected,
                        other => other,
                    }),
                    subscription: Some(Subscription::Expired),
                };
            }
            if !c.authenticated || !self.certified(c, client_cn) {
                return Answer::bare(401);
            }
            c.callback = Some(Box::new(Callback {
                uri: uri.clone(),
                blob,
            }));
            Answer {
                status: 200,
                notification: None,
                device: Some(connection),
                subscription: Some(Subscription::Active),
            }
        };
        self.events.emit(|| Event::CallbackRegistered {
            channel: cref.id,
            uri,
        });
        self.touch();
        answer
    }

    fn post_callback(&self, channel: ChannelId, cb: Callback) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.http.get_or_init(reqwest::Client::new).clone();
        let core = self.self_ref.clone();
        handle.spawn(async move {
            let result = client
                .post(&cb.uri)
                .header("Content-Type", "application/octet-stream")
                .body(cb.blob)
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            if let Some(core) = core.upgrade() {
                let (status, error) = match result {
                    Ok(r) => (Some(r.status().as_u16()), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                core.events.emit(|| Event::CallbackPosted {
                    channel,
                    uri: cb.uri,
                    status,
                    error,
                });
                core.touch();
            }
        });
    }

    /// The record numbered `seq` on `channel`, if its log still holds it.
    pub(crate) fn notification(
        &self,
        channel: ChannelId,
        seq: u64,
    ) -> Option<Arc<NotificationRecord>> {
        let r = self.channel_ref(channel).ok()?;
        let d = r.device.lock();
        let log = &d.channel(channel)?.log;
        let i = find_seq(log, seq)?;
        Some(log[i].to_record())
    }

    /// Records in order; `channel` None lists every channel and the unrouted requests.
    pub(crate) fn notifications(
        &self,
        channel: Option<ChannelId>,
    ) -> Result<Vec<Arc<NotificationRecord>>, FakeError> {
        if let Some(id) = channel {
            let r = self.channel_ref(id)?;
            let d = r.device.lock();
            let c = d.channel(id).ok_or(FakeError::NoSuchChannel(id))?;
            return Ok(c.log.iter().map(|k| k.to_record()).collect());
        }
        let mut all: Vec<_> = self
            .unrouted
            .locked()
            .iter()
            .map(|k| k.to_record())
            .collect();
        for (id, dev) in self.channel_list() {
            if let Some(c) = dev.lock().channel(id) {
                all.extend(c.log.iter().map(|k| k.to_record()));
            }
        }
        all.sort_by_key(|r| r.seq);
        Ok(all)
    }

    pub(crate) fn notification_count(&self) -> usize {
        let mut n = self.unrouted.locked().len();
        for (id, dev) in self.channel_list() {
            n += dev.lock().channel(id).map_or(0, |c| c.log.len());
        }
        n
    }

    pub(crate) fn clear_notifications(&self, channel: Option<ChannelId>) -> Result<(), FakeError> {
        if let Some(id) = channel {
            let r = self.channel_ref(id)?;
            let mut d = r.device.lock();
            d.channel_mut(id)
                .ok_or(FakeError::NoSuchChannel(id))?
                .log
                .clear();
        } else {
            self.unrouted.locked().clear();
            for (id, dev) in self.channel_list() {
                if let Some(c) = dev.lock().channel_mut(id) {
                    c.log.clear();
                }
            }
        }
        self.events.emit(|| Event::NotificationsCleared { channel });
        self.touch();
        Ok(())
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

fn set_delivery(log: &mut VecDeque<Arc<Kept>>, seq: u64, state: DeliveryState) {
    let Some(i) = find_seq(log, seq) else {
        return;
    };
    Arc::make_mut(&mut log[i]).outcome.delivery = state;
}

/// Where record `seq` is in a log.
fn find_seq(log: &VecDeque<Arc<Kept>>, seq: u64) -> Option<usize> {
    // Most often the newest record: delivered as it arrives.
    if log.back().is_some_and(|r| r.seq() == seq) {
        return Some(log.len() - 1);
    }
    // Sequence numbers are taken before the device's lock, so two requests racing on one
    // channel may be logged out of order: a search by halves that misses looks at each.
    log.binary_search_by_key(&seq, |r| r.seq())
        .ok()
        .or_else(|| log.iter().rposition(|r| r.seq() == seq))
}

fn check_capacity(cap: usize) -> Result<(), FakeError> {
    if cap > 1_000_000 {
        return Err(FakeError::Invalid(format!(
            "queue_capacity {cap} is out of range 0..=1000000"
        )));
    }
    Ok(())
}

fn view(device: &Device, d: &DeviceState, id: ChannelId) -> Result<DeviceView, FakeError> {
    let c = d.channel(id).ok_or(FakeError::NoSuchChannel(id))?;
    Ok(DeviceView {
        device: device.id(),
        app: c.app.clone().into(),
        connection: d.connection,
        subscription: c.subscription,
        power: d.power,
        bound_tile: c.bound_tile,
        bound_toast: c.bound_toast,
        app_running: c.app_running,
        primary_tile_pinned: c.primary_pinned,
        secondary_tiles: c.secondary.iter().cloned().collect(),
        queue_capacity: d.queue_capacity,
        queued: d.queue.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Arc<Core> {
        Core::new(
            Config {
                seed: Some(1),
                ..Config::default()
            },
            Clock::virtual_clock(),
        )
    }

    fn connection(core: &Core, id: ChannelId) -> Connection {
        core.device_view(id).unwrap().connection
    }

    fn token(info: &ChannelInfo) -> &str {
        info.uri.rsplit('/').next().unwrap()
    }

    #[test]
    fn a_channel_without_a_device_name_gets_device_named_after_its_id() {
        let core = core();
        let first = core.create_channel(ChannelOptions::default()).unwrap();
        assert_eq!(first.device, DeviceId::from("device-1"));
        let joined = core
            .create_channel(ChannelOptions {
                device: Some("device-1".into()),
                app: Some("other".into()),
                ..ChannelOptions::default()
            })
            .unwrap();
        let alone = core.create_channel(ChannelOptions::default()).unwrap();
        assert_eq!(alone.device, DeviceId::from("device-3"));

        let off = DeviceUpdate::connection(Connection::Disconnected);
        core.update_device_by_id(&"device-1".into(), &off).unwrap();
        assert_eq!(connection(&core, first.id), Connection::Disconnected);
        assert_eq!(connection(&core, joined.id), Connection::Disconnected);
        assert_eq!(connection(&core, alone.id), Connection::Connected);
    }

    #[test]
    fn a_device_named_before_its_default_channel_exists_is_the_one_the_channel_gets() {
        let core = core();
        let off = DeviceUpdate::connection(Connection::TempDisconnected);
        core.update_device_by_id(&"device-1".into(), &off).unwrap();
        // Not channel 1's name: a look-alike with a leading zero is a device of its own.
        core.update_device_by_id(&"device-02".into(), &off).unwrap();
        let first = core.create_channel(ChannelOptions::default()).unwrap();
        let second = core.create_channel(ChannelOptions::default()).unwrap();
        assert_eq!(connection(&core, first.id), Connection::TempDisconnected);
        assert_eq!(connection(&core, second.id), Connection::Connected);
    }

    #[test]
    fn tokens_resolve_to_their_channel_until_rotated_and_after_a_reset() {
        let core = core();
        let a = core.create_channel(ChannelOptions::default()).unwrap();
        let b = core
            .create_channel(ChannelOptions {
                authenticated: true,
                ..ChannelOptions::default()
            })
            .unwrap();
        assert_eq!(core.resolve(token(&a), false).map(|r| r.id), Some(a.id));
        assert!(core.resolve(token(&a), true).is_none(), "wrong kind of URI");
        assert_eq!(core.resolve(token(&b), true).map(|r| r.id), Some(b.id));

        let rotated = core.rotate(a.id).unwrap();
        assert!(core.resolve(token(&a), false).is_none());
        assert_eq!(
            core.resolve(token(&rotated), false).map(|r| r.id),
            Some(a.id)
        );
        assert_eq!(core.resolve(token(&b), true).map(|r| r.id), Some(b.id));

        core.reset();
        assert!(core.resolve(token(&rotated), false).is_none());
        assert_eq!(core.channel_info(a.id), Err(FakeError::NoSuchChannel(a.id)));
        let c = core.create_channel(ChannelOptions::default()).unwrap();
        assert_eq!(c.id, ChannelId(3), "ids go on counting after a reset");
        assert_eq!(core.resolve(token(&c), false).map(|r| r.id), Some(c.id));
        assert_eq!(core.channel_ids(), vec![c.id]);
    }
}
