//! What an app keeps about the notifications delivered to it: raw payloads received and what
//! became of each notification. Plain values, shown by the renderer and returned by `App`.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use super::delivery::Why;
use super::events::ChannelError;
use crate::screen::tile::TileKey;

/// A raw notification the app received (`HttpNotificationReceived`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawNotification {
    /// The fake's sequence number of the request.
    pub seq: u64,
    /// Clock time of delivery.
    pub at: Duration,
    /// The body.
    pub body: Bytes,
    /// The request's headers, in order.
    pub headers: Vec<(String, String)>,
}

/// What became of one notification delivered to an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The toast went to the tray at this index.
    ShownInTray {
        /// Index in the tray.
        index: usize,
    },
    /// The app was in the foreground: `ShellToastNotificationReceived`.
    ToastEvent,
    /// `HttpNotificationReceived`.
    RawDelivered,
    /// The tile was updated.
    TileUpdated {
        /// The tile.
        tile: TileKey,
    },
    /// The tile update waits for remote images.
    TileWaiting {
        /// The tile.
        tile: TileKey,
        /// How many.
        images: usize,
    },
    /// The images an update waited for arrived: it applied.
    ImagesApplied {
        /// The tile.
        tile: TileKey,
    },
    /// An image failed: the update was dropped.
    ImageFailed {
        /// The tile.
        tile: TileKey,
        /// Why.
        reason: String,
    },
    /// The targeted tile is not pinned.
    TileNotPinned {
        /// The tile.
        tile: TileKey,
    },
    /// Not shown: not bound, not pinned, or battery.
    Suppressed(Why),
    /// Raw thrown away: the app was not in the foreground.
    Discarded(Why),
    /// The phone refused it, raising `error` if any (a template mismatch raises none).
    Refused {
        /// The channel error raised.
        error: Option<ChannelError>,
        /// Why.
        message: String,
    },
    /// Over the channel's rate limit: dropped.
    RateTooHigh,
    /// It arrived for a channel the app had closed meanwhile: dropped.
    ChannelClosed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShownInTray { index } => write!(f, "shown in the toast tray (#{index})"),
            Self::ToastEvent => f.write_str("ShellToastNotificationReceived (app in foreground)"),
            Self::RawDelivered => f.write_str("HttpNotificationReceived"),
            Self::TileUpdated { tile } => write!(f, "{tile} updated"),
            Self::TileWaiting { tile, images } => {
                write!(f, "{tile} update waits for {images} remote image(s)")
            }
            Self::ImagesApplied { tile } => write!(f, "{tile} updated once its images arrived"),
            Self::ImageFailed { tile, reason } => {
                write!(f, "{tile} update dropped: {reason}")
            }
            Self::TileNotPinned { tile } => write!(f, "{tile} is not pinned: nothing changed"),
            Self::Suppressed(why) => write!(f, "suppressed ({why:?})"),
            Self::Discarded(why) => write!(f, "discarded ({why:?})"),
            Self::Refused {
                error: Some(e),
                message,
            } => write!(f, "refused with {e}: {message}"),
            Self::Refused {
                error: None,
                message,
            } => write!(f, "ignored: {message}"),
            Self::RateTooHigh => f.write_str("dropped: NotificationRateTooHigh"),
            Self::ChannelClosed => f.write_str("dropped: the channel was closed"),
        }
    }
}

/// One notification delivered to an app, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The fake's sequence number of the request.
    pub seq: u64,
    /// Clock time.
    pub at: Duration,
    /// `toast`, `tile` or `raw`.
    pub kind: &'static str,
    /// What became of it.
    pub outcome: Outcome,
}
