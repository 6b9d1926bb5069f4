//! The device model: a device's connection, power, queue and its channels (one per app), behind
//! one lock, so a send and a state change on the same device are atomic while different devices
//! never contend.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::fake::answer::{Connection, Power, Subscription};
use crate::fake::error::FakeError;
use crate::fake::model::{ChannelId, Delivered, DeviceId, DeviceView};
use crate::fake::record::Log;
use crate::lock::MutexExt;
use crate::protocol::Content;

pub(super) struct Queued {
    pub(super) seq: u64,
    pub(super) channel: ChannelId,
    pub(super) due: Duration,
    pub(super) received_at: Duration,
    pub(super) content: Arc<Content>,
    pub(super) message_id: Option<String>,
}

pub(super) struct Callback {
    pub(super) uri: String,
    pub(super) blob: Bytes,
}

/// One app's channel on a device. Kept small: a fake may hold a million of them.
pub(super) struct ChannelState {
    pub(super) id: ChannelId,
    pub(super) app: Box<str>,
    pub(super) authenticated: bool,
    pub(super) service_name: Option<Box<str>>,
    /// Shared: nearly every channel has the default version.
    pub(super) os_version: Arc<str>,
    pub(super) subscription: Subscription,
    pub(super) bound_tile: bool,
    pub(super) bound_toast: bool,
    pub(super) app_running: bool,
    pub(super) primary_pinned: bool,
    pub(super) secondary: BTreeSet<String>,
    pub(super) day_start: Duration,
    pub(super) sent_today: u32,
    pub(super) callback: Option<Box<Callback>>,
    pub(super) log: Log,
    /// How many times each `X-MessageID` reached this channel (a sender's repeats), and how
    /// many requests were repeats; allocated at the first request that carries an id.
    pub(super) seen: Option<Box<SeenIds>>,
}

/// The message ids a channel received, for counting repeats.
#[derive(Default)]
pub(super) struct SeenIds {
    pub(super) times: std::collections::HashMap<Box<str>, u32>,
    pub(super) repeats: u32,
}

impl ChannelState {
    /// Notes a request's `X-MessageID`; returns how many times the channel had received it
    /// before (0 the first time).
    pub(super) fn note_message_id(&mut self, id: &str) -> u32 {
        let seen = self.seen.get_or_insert_with(Box::default);
        let times = seen.times.entry(Box::from(id)).or_insert(0);
        *times += 1;
        let before = *times - 1;
        if before > 0 {
            seen.repeats += 1;
        }
        before
    }
}

pub(super) struct DeviceState {
    pub(super) connection: Connection,
    pub(super) power: Power,
    pub(super) queue_capacity: usize,
    pub(super) queue: VecDeque<Queued>,
    /// Sorted by id; a device holds one channel per app, rarely more than a few.
    pub(super) channels: Vec<ChannelState>,
}

impl DeviceState {
    pub(super) fn channel(&self, id: ChannelId) -> Option<&ChannelState> {
        let i = self.channels.binary_search_by_key(&id, |c| c.id).ok()?;
        self.channels.get(i)
    }

    pub(super) fn channel_mut(&mut self, id: ChannelId) -> Option<&mut ChannelState> {
        let i = self.channels.binary_search_by_key(&id, |c| c.id).ok()?;
        self.channels.get_mut(i)
    }

    pub(super) fn add_channel(&mut self, c: ChannelState) {
        let at = self.channels.partition_point(|x| x.id < c.id);
        // Exactly one more: `Vec` would otherwise make room for four channels at the first.
        self.channels.reserve_exact(1);
        self.channels.insert(at, c);
    }
}

/// How a device is named.
pub(super) enum DeviceName {
    /// Named by whoever created it.
    Named(DeviceId),
    /// `device-<id>`: made for a channel created without a device name, and found through that
    /// channel instead of the map of named devices (which would cost every channel an entry).
    Default(ChannelId),
}

pub(crate) struct Device {
    pub(super) name: DeviceName,
    pub(super) state: Mutex<DeviceState>,
    /// Made on the first subscription: a broadcast channel allocates all 1024 slots up front
    /// (over 100 KB), which a million devices nobody listens to cannot afford. Until then a
    /// delivery reaches no one, as it would with a channel and no receivers.
    pub(super) sink: OnceLock<broadcast::Sender<Delivered>>,
}

impl Device {
    pub(super) fn new(name: DeviceName, queue_capacity: usize) -> Self {
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

    pub(super) fn id(&self) -> DeviceId {
        match &self.name {
            DeviceName::Named(id) => id.clone(),
            DeviceName::Default(channel) => default_device_name(*channel),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, DeviceState> {
        self.state.locked()
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<Delivered> {
        self.sink
            .get_or_init(|| broadcast::channel(DELIVERY_BUFFER).0)
            .subscribe()
    }
}

pub(super) fn default_device_name(channel: ChannelId) -> DeviceId {
    DeviceId(format!("device-{channel}"))
}

/// The channel whose default device is named `name`, if `name` has that form.
pub(super) fn default_device_channel(name: &DeviceId) -> Option<ChannelId> {
    let digits = name.0.strip_prefix("device-")?;
    let canonical = !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| digits.parse().ok().map(ChannelId))?
}

/// Deliveries a device's subscriber may fall behind by before it loses the oldest.
pub(super) const DELIVERY_BUFFER: usize = 1024;

pub(super) fn view(
    device: &Device,
    d: &DeviceState,
    id: ChannelId,
) -> Result<DeviceView, FakeError> {
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
