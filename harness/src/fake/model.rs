//! The fake's public data: ids, options, views and records as the Rust API and the control
//! API's JSON show them. Plain values with no locks, so every other part of the fake (events,
//! faults, the engine) can name them without depending on the engine.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::fake::answer::{Answer, Connection, Fate, Power, Subscription};
use crate::protocol::{Batching, Content, Target};

/// A channel's id in the control API (`/_fake/channels/{id}`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct ChannelId(pub u64);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A device's name. A device holds at most one channel per app.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    #[schema(maximum = 1_000_000)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// A fixed token, so that the channel URI is known in advance
    /// (`http://HOST:PORT/throttledthirdparty/01.00/<token>`): 1..=64 characters of `A-Z a-z
    /// 0-9 - _`, not used by another channel. Default: 64 random characters starting `AAF`.
    pub token: Option<String>,
}

/// A channel as listed by `GET /_fake/channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    /// Records its log dropped (oldest first) to stay within the fake's log limits: the
    /// count per log and the byte budget of all logs (since the log was last cleared).
    pub records_dropped: u64,
    /// The stored `/callback` registration, if any.
    pub callback: Option<CallbackInfo>,
    /// Requests whose `X-MessageID` this channel had already received (repeats).
    pub repeats: u32,
}

/// Message ids a channel received more than once (`GET /_fake/repeats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Repeat {
    /// The channel.
    pub channel: ChannelId,
    /// The `X-MessageID`.
    pub message_id: String,
    /// How many times it arrived (2 or more).
    pub times: u32,
}

/// A `/callback` registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NotificationRecord {
    /// Global arrival order.
    pub seq: u64,
    /// The channel, if the URI named a known one.
    pub channel: Option<ChannelId>,
    /// Clock time of arrival, in ms.
    pub received_at_ms: u64,
    /// HTTP method.
    #[serde(serialize_with = "ser::method")]
    #[schema(value_type = String)]
    pub method: Method,
    /// Request URI (path and query); serialized as the path.
    #[serde(rename = "path", serialize_with = "ser::path")]
    #[schema(value_type = String)]
    pub uri: Uri,
    /// Request headers in order; serialized as `[name, value]` pairs (values lossy UTF-8).
    #[serde(serialize_with = "ser::headers")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub headers: HeaderMap,
    /// Body as sent; serialized as text (lossy UTF-8).
    #[serde(serialize_with = "ser::bytes")]
    #[schema(value_type = String)]
    pub body: Bytes,
    /// The parsed notification, if the request was well formed.
    #[schema(value_type = Option<Content>)]
    pub content: Option<Arc<Content>>,
    /// Tile, toast or raw, if known.
    pub target: Option<Target>,
    /// The interval, if known.
    pub batching: Option<Batching>,
    /// The `X-MessageID` answered.
    #[serde(serialize_with = "ser::header_value")]
    #[schema(value_type = String)]
    pub message_id: HeaderValue,
    /// The answer given.
    pub response: Answer,
    /// Why that answer.
    pub fate: Option<Fate>,
    /// Deviations from the documented protocol, in plain words.
    pub diagnostics: Vec<String>,
    /// What happened afterwards.
    pub delivery: DeliveryState,
    /// How many times this channel had already received this request's `X-MessageID` (0 the
    /// first time): a sender's repeat of one message, such as a resend after a crash.
    pub repeat: u32,
}

/// Serializers that turn the HTTP types of a record into plain JSON text.
mod ser {
    use axum::http::{HeaderMap, HeaderValue, Method, Uri};
    use serde::ser::SerializeSeq;
    use serde::Serializer;

    pub(super) fn method<S: Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.as_str())
    }

    pub(super) fn path<S: Serializer>(u: &Uri, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(u.path())
    }

    pub(super) fn bytes<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }

    pub(super) fn header_value<S: Serializer>(v: &HeaderValue, s: S) -> Result<S::Ok, S::Error> {
        bytes(v.as_bytes(), s)
    }

    pub(super) fn headers<S: Serializer>(h: &HeaderMap, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(h.len()))?;
        for (name, value) in h {
            seq.serialize_element(&(name.as_str(), String::from_utf8_lossy(value.as_bytes())))?;
        }
        seq.end()
    }
}
