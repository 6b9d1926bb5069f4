//! What a phone's channels raise, as a log the test can await: the `HttpNotificationChannel`
//! events of docs/mpns-protocol.md §6.1/§6.2, in the order they happened.
//!
//! Events are kept (not broadcast), so a test that looks after the fact still sees them: each
//! [`EventStream`] reads the log from its own position. Waits are bounded by a wall-clock limit
//! (10 s) that fails the test with what was seen, instead of hanging.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use super::delivery::PowerLevel;
use crate::lock::MutexExt;
use crate::screen::toast::Toast;

/// How long a wait helper waits (wall-clock) before it fails the test.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Most events a phone keeps; older ones are forgotten (streams skip them).
const LOG_LIMIT: usize = 10_000;

/// `ChannelConnectionStatus`: whether the push client holds its connection to MPNS. The
/// phone's four connection states map to two: `Connected`, or `Disconnected` for
/// TempDisconnected, Disconnected and Inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelConnectionStatus {
    /// Connected to MPNS.
    Connected,
    /// Not connected.
    Disconnected,
}

/// `ErrorOccurred`'s `ErrorType` (docs/mpns-protocol.md §6.2), with `ErrorAdditionalData` where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelError {
    /// The push client could not reach MPNS to open the channel (the phone was not connected);
    /// the channel is not open: open it again later.
    ChannelOpenFailed,
    /// A notification was malformed for this phone: the channel has been closed and must be
    /// reopened (and its new URI sent to the service).
    PayloadFormatError,
    /// A tile referenced an image the channel may not use (remote image without a matching
    /// allowed URI, or not a usable image URI).
    MessageBadContent,
    /// The service sent more notifications to the channel than the phone takes in its rate
    /// window; the excess was dropped.
    NotificationRateTooHigh,
    /// The battery policy changed to `level`.
    PowerLevelChanged {
        /// The new level.
        level: PowerLevel,
    },
    /// Anything else (docs/mpns-protocol.md §6.2: "anything else"). The documentation gives it
    /// no consequence, so the phone changes nothing: the channel stays open with the same URI
    /// and bindings, and notifications keep arriving (only `PayloadFormatError` is documented
    /// to disconnect a channel). Nothing on the phone causes it by itself; a test raises it with
    /// [`App::raise_unknown_error`](super::App::raise_unknown_error).
    Unknown,
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChannelOpenFailed => f.write_str("ChannelOpenFailed"),
            Self::PayloadFormatError => f.write_str("PayloadFormatError"),
            Self::MessageBadContent => f.write_str("MessageBadContent"),
            Self::NotificationRateTooHigh => f.write_str("NotificationRateTooHigh"),
            Self::PowerLevelChanged { level } => write!(f, "PowerLevelChanged({level:?})"),
            Self::Unknown => f.write_str("Unknown"),
        }
    }
}

/// One event raised by an app's channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneEvent {
    /// The channel got its URI (on open) or a new one (rotation by MPNS).
    ChannelUriUpdated {
        /// The app.
        app: String,
        /// The channel's name.
        channel: String,
        /// The URI to send to the service.
        uri: String,
    },
    /// `ErrorOccurred`.
    ErrorOccurred {
        /// The app.
        app: String,
        /// The channel's name.
        channel: String,
        /// What went wrong.
        error: ChannelError,
        /// A sentence saying why.
        message: String,
    },
    /// A toast arrived while the app was in the foreground (and was not shown).
    ShellToastNotificationReceived {
        /// The app.
        app: String,
        /// The channel's name.
        channel: String,
        /// The toast (`wp:Text1`, `wp:Text2`, `wp:Param`, sound).
        toast: Toast,
    },
    /// A raw notification reached the app in the foreground.
    HttpNotificationReceived {
        /// The app.
        app: String,
        /// The channel's name.
        channel: String,
        /// The body as sent.
        body: Bytes,
        /// The HTTP headers of the request that carried it, in order (values lossy UTF-8).
        headers: Vec<(String, String)>,
    },
    /// The channel's connection to MPNS changed.
    ConnectionStatusChanged {
        /// The app.
        app: String,
        /// The channel's name.
        channel: String,
        /// The new status.
        status: ChannelConnectionStatus,
    },
}

impl PhoneEvent {
    /// The app whose channel raised it.
    pub fn app(&self) -> &str {
        match self {
            Self::ChannelUriUpdated { app, .. }
            | Self::ErrorOccurred { app, .. }
            | Self::ShellToastNotificationReceived { app, .. }
            | Self::HttpNotificationReceived { app, .. }
            | Self::ConnectionStatusChanged { app, .. } => app,
        }
    }

    /// The channel's name.
    pub fn channel(&self) -> &str {
        match self {
            Self::ChannelUriUpdated { channel, .. }
            | Self::ErrorOccurred { channel, .. }
            | Self::ShellToastNotificationReceived { channel, .. }
            | Self::HttpNotificationReceived { channel, .. }
            | Self::ConnectionStatusChanged { channel, .. } => channel,
        }
    }

    /// The error, for `ErrorOccurred`.
    pub fn error(&self) -> Option<ChannelError> {
        match self {
            Self::ErrorOccurred { error, .. } => Some(*error),
            _ => None,
        }
    }

    /// A one-line description without URIs (they are random), for renderings and reports.
    pub fn describe(&self) -> String {
        match self {
            Self::ChannelUriUpdated { app, channel, .. } => {
                format!("{app}/{channel}: ChannelUriUpdated")
            }
            Self::ErrorOccurred {
                app,
                channel,
                error,
                message,
            } => format!("{app}/{channel}: ErrorOccurred {error}: {message}"),
            Self::ShellToastNotificationReceived {
                app,
                channel,
                toast,
            } => format!(
                "{app}/{channel}: ShellToastNotificationReceived {:?} {:?} param {:?}",
                toast.text1, toast.text2, toast.param
            ),
            Self::HttpNotificationReceived {
                app, channel, body, ..
            } => format!(
                "{app}/{channel}: HttpNotificationReceived {} bytes {:?}",
                body.len(),
                preview(body)
            ),
            Self::ConnectionStatusChanged {
                app,
                channel,
                status,
            } => format!("{app}/{channel}: ConnectionStatusChanged {status:?}"),
        }
    }
}

/// The body as text, cut at 60 characters.
pub(crate) fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.chars().count() > 60 {
        let mut t: String = text.chars().take(59).collect();
        t.push('…');
        t
    } else {
        text.into_owned()
    }
}

#[derive(Default)]
struct Log {
    /// Absolute index of `events[0]`.
    base: usize,
    events: VecDeque<PhoneEvent>,
}

/// The phone's event log, shared by its streams.
#[derive(Default)]
pub(crate) struct EventLog {
    log: Mutex<Log>,
    added: Notify,
}

impl EventLog {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.locked()
    }

    pub(crate) fn push(&self, e: PhoneEvent) {
        {
            let mut l = self.lock();
            if l.events.len() >= LOG_LIMIT {
                l.events.pop_front();
                l.base += 1;
            }
            l.events.push_back(e);
        }
        self.added.notify_waiters();
    }

    /// Absolute index one past the last event.
    pub(crate) fn end(&self) -> usize {
        let l = self.lock();
        l.base + l.events.len()
    }

    /// The event at absolute index `at` or the first one kept after it, with its index.
    fn get(&self, at: usize) -> Option<(usize, PhoneEvent)> {
        let l = self.lock();
        let at = at.max(l.base);
        l.events.get(at - l.base).map(|e| (at, e.clone()))
    }

    pub(crate) fn all(&self) -> Vec<PhoneEvent> {
        self.lock().events.iter().cloned().collect()
    }
}

/// A reader of a phone's events, from the point it was made (or from the start).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::phone::PhoneEvent;
/// use mpns_harness::World;
///
/// let world = World::start().await;
/// let phone = world.add_phone("lumia", "8.0").unwrap();
/// let mut events = phone.events();
/// let app = phone.install("weather").unwrap();
/// app.launch();
/// app.open_channel("push").unwrap();
/// let e = events
///     .wait_for(|e| matches!(e, PhoneEvent::ChannelUriUpdated { .. }))
///     .await;
/// assert_eq!(e.app(), "weather");
/// # }
/// ```
#[derive(Clone)]
pub struct EventStream {
    log: Arc<EventLog>,
    next: usize,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("next", &self.next)
            .finish()
    }
}

impl EventStream {
    pub(crate) fn new(log: Arc<EventLog>, from: usize) -> Self {
        Self { log, next: from }
    }

    /// The absolute index of the next event this stream reads.
    pub(crate) fn position(&self) -> usize {
        self.next
    }

    /// The next event if one is already there.
    pub fn try_next(&mut self) -> Option<PhoneEvent> {
        let (at, e) = self.log.get(self.next)?;
        self.next = at + 1;
        Some(e)
    }

    /// Every event already there, consumed.
    pub fn drain(&mut self) -> Vec<PhoneEvent> {
        std::iter::from_fn(|| self.try_next()).collect()
    }

    /// Waits for the next event.
    ///
    /// # Panics
    /// After 10 s of wall-clock time without one (a test that waits for an event that never
    /// comes fails instead of hanging); the message says what to check.
    pub async fn next(&mut self) -> PhoneEvent {
        self.wait_for(|_| true).await
    }

    /// Waits for the first event (from the stream's position) that `matches`, consuming it
    /// and those before it, and returns it.
    ///
    /// # Panics
    /// After 10 s of wall-clock time without one; the message lists the events skipped.
    pub async fn wait_for(&mut self, mut matches: impl FnMut(&PhoneEvent) -> bool) -> PhoneEvent {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        let mut skipped = Vec::new();
        let log = self.log.clone();
        loop {
            let added = log.added.notified();
            tokio::pin!(added);
            added.as_mut().enable();
            while let Some(e) = self.try_next() {
                if matches(&e) {
                    return e;
                }
                skipped.push(e.describe());
            }
            if tokio::time::timeout_at(deadline, added).await.is_err() {
                panic!(
                    "phone: waited {} s for an event that never came; skipped {} event(s): [{}]. Did the test settle the World, advance the clock past a batching interval, or send to the right channel URI?",
                    WAIT_LIMIT.as_secs(),
                    skipped.len(),
                    skipped.join("; ")
                );
            }
        }
    }
}
