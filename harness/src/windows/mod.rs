//! An emulated Windows device for WNS: what a Windows 10 or 11 PC does with each notification
//! WNS hands it. Pure: no clock, no sockets; the time of each step is passed in.
//!
//! A [`WindowsDevice`] has apps ([`AppState`]: foreground, background, not running; a background
//! task or not), a power state ([`PowerState`]) with per-app battery exemptions, the notification
//! center (toasts, replaced by tag and group), Start tiles (Windows 10 only) and badges. Each
//! [`Delivery`] ends as a [`DeviceOutcome`]: shown, updated, handed to the app or its background
//! task, held until the power state lets it through, or dropped with a [`DropReason`] — the
//! cases WNS accepts with `200` and the device then drops silently (kind and root disagree, a
//! root in the wrong case, an image the device cannot load, an expired TTL, an empty raw, a raw
//! for an app that is not running and has no background task, a tile on Windows 11). Every
//! outcome is written to the device's event log ([`DeviceEvent`]), the way Windows writes to its
//! `PushNotifications-Platform` and `TWinUI` logs. [`WindowsDevice::render_text`] and
//! [`WindowsDevice::render_svg`] show the whole visible state.
//!
//! # Decisions where the documentation is silent
//!
//! - **Power** (after Microsoft's priority page, for desktops): plugged in or screen on, all
//!   is delivered; screen off on battery, priority 1 (high) is delivered, 2 and 3 only for
//!   exempted apps, 4 (very low) is held; battery saver holds everything but exempted apps'.
//!   Held notifications go out, oldest first, when the power state or an exemption lets them;
//!   an expired TTL drops them then.
//! - **Notification center**: a toast with the same app, tag and group replaces the older one
//!   (in place); at most 20 toasts per app, the oldest dropped.
//! - **Tiles**: the latest notification replaces the tile's content (no notification queue).
//!   Windows 11 has no live tiles: a tile notification is dropped with [`DropReason::NoLiveTiles`].
//! - **Badges**: 0 and `none` clear; above 99 shows "99+".
//! - **Raw**: an app in the foreground gets it; otherwise its background task, when registered;
//!   otherwise it is dropped.
//! - **Secondary-tile channels** take tiles and badges only.

mod device;
pub(crate) mod payload;
mod render;

use std::time::SystemTime;

pub use device::WindowsDevice;
pub use payload::{TileView, ToastView};

/// Which Windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowsVersion {
    /// Windows 10: live tiles on Start.
    Windows10,
    /// Windows 11: no live tiles.
    Windows11,
}

/// Where an app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppState {
    /// On screen, running.
    Foreground,
    /// Running, not on screen (suspended for a UWP app).
    Background,
    /// Not running.
    NotRunning,
}

/// The device's power, which decides what waits (see the module's decisions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    /// On the mains.
    PluggedIn,
    /// On battery with the screen on.
    BatteryScreenOn,
    /// On battery with the screen off.
    BatteryScreenOff,
    /// Battery saver on.
    BatterySaver,
}

/// `X-WNS-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WnsKind {
    /// `wns/toast`.
    Toast,
    /// `wns/tile`.
    Tile,
    /// `wns/badge`.
    Badge,
    /// `wns/raw`.
    Raw,
}

impl WnsKind {
    /// The header's value.
    pub fn wns_type(self) -> &'static str {
        match self {
            WnsKind::Toast => "wns/toast",
            WnsKind::Tile => "wns/tile",
            WnsKind::Badge => "wns/badge",
            WnsKind::Raw => "wns/raw",
        }
    }

    /// Reads a header value (`wns/toast`, ...).
    pub fn parse(value: &str) -> Option<WnsKind> {
        match value {
            "wns/toast" => Some(WnsKind::Toast),
            "wns/tile" => Some(WnsKind::Tile),
            "wns/badge" => Some(WnsKind::Badge),
            "wns/raw" => Some(WnsKind::Raw),
            _ => None,
        }
    }

    /// Priority without `X-WNS-PRIORITY`: toast 1, tile and badge 2, raw 3.
    pub fn default_priority(self) -> u8 {
        match self {
            WnsKind::Toast => 1,
            WnsKind::Tile | WnsKind::Badge => 2,
            WnsKind::Raw => 3,
        }
    }
}

/// One notification as WNS hands it to the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `X-WNS-Type`.
    pub kind: WnsKind,
    /// The body.
    pub body: Vec<u8>,
    /// `X-WNS-Tag`.
    pub tag: Option<String>,
    /// `X-WNS-Group`.
    pub group: Option<String>,
    /// `X-WNS-PRIORITY` (1 to 4); `None` for the kind's default.
    pub priority: Option<u8>,
    /// When `X-WNS-TTL` runs out, counted from WNS's receipt.
    pub expires_at: Option<SystemTime>,
    /// The secondary tile whose channel it came on; `None` for the app's primary channel.
    pub secondary_tile: Option<String>,
}

impl Delivery {
    /// A notification on the app's primary channel with no optional header.
    pub fn new(kind: WnsKind, body: impl Into<Vec<u8>>) -> Delivery {
        Delivery {
            kind,
            body: body.into(),
            tag: None,
            group: None,
            priority: None,
            expires_at: None,
            secondary_tile: None,
        }
    }

    /// The priority that applies.
    pub fn priority(&self) -> u8 {
        self.priority.unwrap_or(self.kind.default_priority())
    }
}

/// Why the device dropped a notification WNS had accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// `X-WNS-Type` and the XML's root disagree.
    TypeMismatch {
        /// The header.
        wns_type: &'static str,
        /// The root element's name.
        root: String,
    },
    /// The root's name is right but for its case.
    CaseError(String),
    /// Not well-formed, or missing a part the kind needs.
    BadXml(String),
    /// An image source the device cannot load.
    BadImage(String),
    /// Its TTL ran out before it could be shown.
    Expired,
    /// A raw notification with no bytes.
    EmptyRaw,
    /// A raw notification for an app that is not running and has no background task.
    AppNotRunning,
    /// A tile notification on Windows 11.
    NoLiveTiles,
    /// No such app on the device.
    UnknownApp,
    /// A secondary-tile channel carried a toast or raw notification.
    NotForSecondaryTile,
    /// The secondary tile is not pinned.
    TileNotPinned,
}

/// What the device did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// A toast went to the notification center, with a banner unless the app was on screen
    /// (then the app's own handler saw it first).
    Toast {
        /// Whether it replaced an older toast with the same tag and group.
        replaced: bool,
    },
    /// The tile changed.
    TileUpdated,
    /// The badge changed (or cleared).
    BadgeUpdated,
    /// The app in the foreground got the raw notification.
    RawToApp,
    /// The app's background task got it.
    RawToBackgroundTask,
    /// Held until the power state lets it through.
    Held,
    /// Dropped.
    Dropped(DropReason),
}

/// Which of Windows' logs an event goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventLog {
    /// `Microsoft-Windows-PushNotifications-Platform/Operational`: what arrived and was not
    /// received (dropped before the app or the shell).
    Platform,
    /// `Microsoft-Windows-TWinUI/Operational`: what the shell received, showed or did not show.
    Shell,
}

/// One line of the device's event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEvent {
    /// When.
    pub at: SystemTime,
    /// Which log.
    pub log: EventLog,
    /// The app.
    pub app: String,
    /// What happened, in words.
    pub message: String,
}
