//! An app's push channel (`HttpNotificationChannel`, docs/mpns-protocol.md §6.1) and the phone's OS
//! version, which decides what a notification may contain (docs/mpns-protocol.md §5.9).

use std::fmt;
use std::time::Duration;

use crate::fake::ChannelId;
use crate::protocol::{Content, Template, TileValue};
use crate::screen::image::TileBinding;

/// A Windows Phone OS version, as far as push notifications tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsVersion {
    /// 7.0: 15 apps may hold channels; no toast `Param`, no tile `Id`, back faces or `Clear`.
    Wp70,
    /// 7.1 ("7.5", Mango): 30 channels, `Param`, secondary tiles, back faces, `Clear`.
    Wp71,
    /// 7.8: also the Flip, Iconic and Cycle templates.
    Wp78,
    /// 8.0.
    Wp80,
    /// 8.0 GDR3 ("Update 3", OS 8.0.10492): also toast `wp:Sound` and silent toasts
    /// (docs/mpns-protocol.md §5.2, §5.9).
    Wp80Gdr3,
    /// 8.1 (Silverlight).
    Wp81,
}

impl OsVersion {
    /// Reads `"7.0"`, `"7.1"` (or `"7.5"`), `"7.8"`, `"8.0"`, `"8.0.10492"` (or `"8.0.10492.0"`,
    /// `"8.0 GDR3"`), `"8.1"`.
    ///
    /// # Errors
    /// A message listing the versions understood.
    pub fn parse(s: &str) -> Result<OsVersion, String> {
        match s.trim() {
            "7.0" => Ok(Self::Wp70),
            "7.1" | "7.5" => Ok(Self::Wp71),
            "7.8" => Ok(Self::Wp78),
            "8.0" => Ok(Self::Wp80),
            "8.0.10492" | "8.0.10492.0" | "8.0 GDR3" => Ok(Self::Wp80Gdr3),
            "8.1" => Ok(Self::Wp81),
            other => Err(format!(
                "OS version '{other}' is not one of 7.0, 7.1 (or 7.5), 7.8, 8.0, 8.0.10492 (GDR3), 8.1"
            )),
        }
    }

    /// As written in [`parse`](Self::parse) (`7.1` for Mango, `8.0.10492` for GDR3: the
    /// `Environment.OSVersion` a registration sends, which says GDR3 by its build number).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wp70 => "7.0",
            Self::Wp71 => "7.1",
            Self::Wp78 => "7.8",
            Self::Wp80 => "8.0",
            Self::Wp80Gdr3 => "8.0.10492",
            Self::Wp81 => "8.1",
        }
    }

    /// How many third-party apps may hold a push channel at once (docs/mpns-protocol.md §4): 15 on 7.0,
    /// 30 from 7.1 on (the WP8 value is undocumented; 30 is kept).
    pub fn channel_quota(self) -> usize {
        match self {
            Self::Wp70 => 15,
            _ => 30,
        }
    }

    /// Whether tiles of this template can exist on this version.
    pub fn supports_template(self, t: Template) -> bool {
        t == Template::Standard || self >= Self::Wp78
    }

    /// Why this version cannot take `content` (a `PayloadFormatError` on the phone,
    /// docs/mpns-protocol.md §9.4): 7.1 fields on 7.0, WP8 templates below 7.8.
    pub(crate) fn check(self, content: &Content) -> Result<(), String> {
        let v = self.as_str();
        match content {
            Content::Toast(t) if self == Self::Wp70 && t.param.is_some() => Err(format!(
                "wp:Param is not supported on Windows Phone {v} (7.1 and later)"
            )),
            Content::Tile(t) => {
                if !self.supports_template(t.template) {
                    return Err(format!(
                        "the {} template is not supported on Windows Phone {v} (7.8 and later)",
                        crate::screen::tile::template_name(t.template)
                    ));
                }
                if self == Self::Wp70 {
                    if t.id.is_some() {
                        return Err(format!(
                            "a tile Id (secondary tile) is not supported on Windows Phone {v} (7.1 and later)"
                        ));
                    }
                    for (name, value) in &t.properties {
                        // The back face's properties; `BackgroundImage` is the front's.
                        if name.starts_with("Back") && name != "BackgroundImage" {
                            return Err(format!(
                                "wp:{name} (back of the tile) is not supported on Windows Phone {v} (7.1 and later)"
                            ));
                        }
                        if *value == TileValue::Clear {
                            return Err(format!(
                                "Action=\"Clear\" on wp:{name} is not supported on Windows Phone {v} (7.1 and later)"
                            ));
                        }
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many notifications one channel takes within a window of clock time before the phone
/// raises `NotificationRateTooHigh` and drops the excess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Notifications taken per window.
    pub max: u32,
    /// The window.
    pub per: Duration,
}

impl Default for RateLimit {
    /// 100 per minute of clock time: far above what a real service sent one app, so only a
    /// test that means to flood a channel meets it.
    fn default() -> Self {
        Self {
            max: 100,
            per: Duration::from_secs(60),
        }
    }
}

/// What a test can read about an app's open channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelView {
    /// The channel's name in the app.
    pub name: String,
    /// The service name of an authenticated channel.
    pub service_name: Option<String>,
    /// Its id in the fake MPNS.
    pub id: ChannelId,
    /// The channel URI (`ChannelUri`).
    pub uri: String,
    /// `IsShellToastBound`.
    pub toast_bound: bool,
    /// How it is bound to the shell tile (`None`: not bound; `IsShellTileBound` is `is_some`).
    pub tile_binding: Option<TileBinding>,
    /// How many times `ChannelUriUpdated` was raised for it.
    pub uri_updates: u32,
}

/// An open channel, inside the phone.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub name: String,
    pub service_name: Option<String>,
    pub id: ChannelId,
    pub uri: String,
    pub toast: bool,
    pub tile: Option<TileBinding>,
    pub uri_updates: u32,
    /// Start of the current rate window, notifications taken in it, and whether the error was
    /// raised in it.
    pub window: (Duration, u32, bool),
}

impl Channel {
    pub(crate) fn view(&self) -> ChannelView {
        ChannelView {
            name: self.name.clone(),
            service_name: self.service_name.clone(),
            id: self.id,
            uri: self.uri.clone(),
            toast_bound: self.toast,
            tile_binding: self.tile.clone(),
            uri_updates: self.uri_updates,
        }
    }

    /// Counts a notification arriving at `now`; `Err(first)` when it is over the limit
    /// (`first`: the first one over it in this window).
    pub(crate) fn take(&mut self, now: Duration, limit: RateLimit) -> Result<(), bool> {
        let (start, n, warned) = &mut self.window;
        if now.saturating_sub(*start) >= limit.per || now < *start {
            *start = now;
            *n = 0;
            *warned = false;
        }
        if *n >= limit.max {
            let first = !*warned;
            *warned = true;
            return Err(first);
        }
        *n += 1;
        Ok(())
    }
}
