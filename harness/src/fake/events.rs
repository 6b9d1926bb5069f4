//! Everything that happens inside the fake, as a stream: the control API serves it as SSE
//! (`GET /_fake/events`) for a live view, and Rust code can subscribe directly. Events are only
//! built when someone listens, so an unobserved fake pays nothing for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use super::answer::{Answer, Fate};
use super::model::{ChannelId, DeviceId, DeviceView, NotificationRecord};
use crate::protocol::Target;

/// One thing that happened. Serialized with a `type` field in snake_case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A channel was created.
    ChannelCreated {
        /// Its id.
        channel: ChannelId,
        /// Its URI.
        uri: String,
        /// Its device.
        device: DeviceId,
        /// Its app.
        app: String,
    },
    /// A channel got a new URI; the old one now answers 404.
    ChannelRotated {
        /// Its id.
        channel: ChannelId,
        /// The new URI.
        uri: String,
    },
    /// Device or channel state changed.
    DeviceChanged {
        /// The channel through which it was changed (or the first channel of the device).
        channel: Option<ChannelId>,
        /// The device.
        device: DeviceId,
        /// The state after the change, seen from that channel.
        state: Option<DeviceView>,
    },
    /// A request reached a channel URI and was answered.
    Notification {
        /// The full record.
        #[schema(value_type = NotificationRecord)]
        record: Arc<NotificationRecord>,
    },
    /// A notification reached the device.
    Delivered {
        /// The channel.
        channel: ChannelId,
        /// The notification's sequence number.
        seq: u64,
        /// Its type.
        target: Target,
        /// Virtual time of delivery in ms.
        at_ms: u64,
    },
    /// A queued notification was discarded instead of delivered.
    Discarded {
        /// The channel.
        channel: ChannelId,
        /// The notification's sequence number.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// A `/callback` registration was stored.
    CallbackRegistered {
        /// The channel.
        channel: ChannelId,
        /// `X-CallbackURI`.
        uri: String,
    },
    /// A stored callback was POSTed because the device went Inactive.
    CallbackPosted {
        /// The channel.
        channel: ChannelId,
        /// Where it was POSTed.
        uri: String,
        /// The HTTP status the callback URI answered, if it answered.
        status: Option<u16>,
        /// The transport error, if it did not.
        error: Option<String>,
    },
    /// A fault rule changed the answer to a request.
    FaultApplied {
        /// The rule's id.
        rule: u64,
        /// The channel, if the URI named a known one.
        channel: Option<ChannelId>,
        /// What the rule did.
        action: String,
    },
    /// The virtual clock moved.
    ClockAdvanced {
        /// Virtual time now, in ms.
        now_ms: u64,
    },
    /// The recorded notifications were cleared.
    NotificationsCleared {
        /// Only this channel's, or all.
        channel: Option<ChannelId>,
    },
    /// Everything was reset.
    Reset,
}

/// Where events go.
///
/// `listened` spares the request path the channel's internal lock while nobody listens: it is
/// set on subscribe and cleared when a send finds no receiver left.
pub(crate) struct Events {
    tx: broadcast::Sender<Event>,
    listened: AtomicBool,
}

impl Events {
    pub(crate) fn new() -> Self {
        Self {
            tx: broadcast::channel(4096).0,
            listened: AtomicBool::new(false),
        }
    }

    pub(crate) fn emit(&self, make: impl FnOnce() -> Event) {
        if !self.listened.load(Ordering::SeqCst) {
            return;
        }
        if self.tx.send(make()).is_err() {
            self.listened.store(false, Ordering::SeqCst);
            // A subscriber may have arrived between the failed send and the store.
            if self.tx.receiver_count() > 0 {
                self.listened.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Whether anyone may be listening (so an event would be built).
    pub(crate) fn listened(&self) -> bool {
        self.listened.load(Ordering::SeqCst)
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        let rx = self.tx.subscribe();
        self.listened.store(true, Ordering::SeqCst);
        rx
    }
}

/// A compact description of an answer for event and report text.
pub(crate) fn describe(answer: &Answer, fate: Option<Fate>) -> String {
    let mut s = answer.status.to_string();
    for part in [
        answer.notification.map(|n| n.as_str()),
        answer.device.map(|d| d.as_str()),
        answer.subscription.map(|s| s.as_str()),
    ]
    .into_iter()
    .flatten()
    {
        s.push(' ');
        s.push_str(part);
    }
    if let Some(f) = fate {
        s.push_str(&format!(" ({f:?})"));
    }
    s
}
