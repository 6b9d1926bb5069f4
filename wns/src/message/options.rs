//! The optional `X-WNS-*` headers, typed: cache policy, time to live, request for status, tag,
//! group, suppress-popup, priority and correlation vector.

use std::time::Duration;

use super::{BuildError, Kind};

/// Whether WNS keeps the notification for a device that is offline.
///
/// WNS keeps one toast, one tile and one badge per channel (the latest), and a raw notification
/// only with [`CachePolicy::Cache`]. Without the header, tiles and badges are cached and raw is
/// not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// `X-WNS-Cache-Policy: cache`.
    Cache,
    /// `X-WNS-Cache-Policy: no-cache`.
    NoCache,
}

/// `X-WNS-PRIORITY`: how a device on battery treats the notification. Without the header, a
/// toast is [`Priority::High`], a tile or badge [`Priority::Medium`], raw [`Priority::Low`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// 1: delivered even when the screen is off on battery.
    High = 1,
    /// 2: delivered on battery with the screen off only for apps the user exempted.
    Medium = 2,
    /// 3: as medium.
    Low = 3,
    /// 4: kept until the screen is on or the device is plugged in.
    VeryLow = 4,
}

/// The optional headers of one notification, set on a built notification with
/// [`Notification::with_options`](crate::Notification::with_options), which checks them.
///
/// ```
/// use std::time::Duration;
/// use wns::{Options, Priority, Toast};
///
/// let toast = Toast::new()
///     .text("Storm warning")
///     .build()?
///     .with_options(Options::new().ttl(Duration::from_secs(3600)).priority(Priority::High).tag("storm"))?;
/// assert_eq!(toast.options().tag_value(), Some("storm"));
/// # Ok::<(), wns::BuildError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub(crate) cache_policy: Option<CachePolicy>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) request_for_status: bool,
    pub(crate) tag: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) suppress_popup: bool,
    pub(crate) priority: Option<Priority>,
    pub(crate) ms_cv: Option<String>,
}

/// Longest tag or group WNS takes.
pub const MAX_TAG: usize = 16;

impl Options {
    /// No optional header.
    pub fn new() -> Options {
        Options::default()
    }

    /// `X-WNS-Cache-Policy`.
    pub fn cache_policy(mut self, policy: CachePolicy) -> Options {
        self.cache_policy = Some(policy);
        self
    }

    /// `X-WNS-TTL`, in whole seconds from WNS's receipt; after it the device does not show the
    /// notification. Sub-second parts are dropped; zero is refused.
    pub fn ttl(mut self, ttl: Duration) -> Options {
        self.ttl = Some(ttl);
        self
    }

    /// `X-WNS-RequestForStatus: true`: the answer then says whether the device is connected.
    pub fn request_for_status(mut self) -> Options {
        self.request_for_status = true;
        self
    }

    /// `X-WNS-Tag`: up to 16 letters and digits; a tile with the same tag replaces the older
    /// one in the tile's queue, a toast with the same tag (and group) replaces the older one in
    /// the notification center.
    pub fn tag(mut self, tag: impl Into<String>) -> Options {
        self.tag = Some(tag.into());
        self
    }

    /// `X-WNS-Group` (toasts): up to 16 letters and digits, the notification center's group.
    pub fn group(mut self, group: impl Into<String>) -> Options {
        self.group = Some(group.into());
        self
    }

    /// `X-WNS-SuppressPopup: true` (toasts): straight to the notification center, no banner.
    /// Windows Phone 8.1 channels only: WNS drops it on a Windows channel, so the client
    /// refuses it there (see [`ChannelUri::windows_phone`](crate::ChannelUri::windows_phone)).
    pub fn suppress_popup(mut self) -> Options {
        self.suppress_popup = true;
        self
    }

    /// `X-WNS-PRIORITY`.
    pub fn priority(mut self, priority: Priority) -> Options {
        self.priority = Some(priority);
        self
    }

    /// `MS-CV`, the correlation vector WNS logs with the request (it makes one when absent).
    pub fn correlation_vector(mut self, cv: impl Into<String>) -> Options {
        self.ms_cv = Some(cv.into());
        self
    }

    /// The tag, if set.
    pub fn tag_value(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// Whether popups are suppressed.
    pub fn suppresses_popup(&self) -> bool {
        self.suppress_popup
    }

    /// Checks the options against the kind of notification they go with.
    pub(crate) fn check(&self, kind: Kind) -> Result<(), BuildError> {
        let not_for = |option: &'static str| BuildError::NotForKind {
            option,
            kind: kind.name(),
        };
        if let Some(ttl) = self.ttl {
            if ttl.as_secs() == 0 {
                return Err(BuildError::invalid(
                    "X-WNS-TTL",
                    "must be at least one second",
                ));
            }
        }
        if let Some(tag) = &self.tag {
            if !matches!(kind, Kind::Toast | Kind::Tile) {
                return Err(not_for("X-WNS-Tag"));
            }
            check_label("X-WNS-Tag", tag)?;
        }
        if let Some(group) = &self.group {
            if kind != Kind::Toast {
                return Err(not_for("X-WNS-Group"));
            }
            check_label("X-WNS-Group", group)?;
        }
        if self.suppress_popup && kind != Kind::Toast {
            return Err(not_for("X-WNS-SuppressPopup"));
        }
        if let Some(cv) = &self.ms_cv {
            if cv.is_empty() || cv.len() > 128 || !cv.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(BuildError::invalid(
                    "MS-CV",
                    "must be 1 to 128 visible ASCII characters",
                ));
            }
        }
        Ok(())
    }

    /// The headers these options add, in a fixed order.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(p) = self.cache_policy {
            let v = match p {
                CachePolicy::Cache => "cache",
                CachePolicy::NoCache => "no-cache",
            };
            out.push(("X-WNS-Cache-Policy", v.to_owned()));
        }
        if let Some(ttl) = self.ttl {
            out.push(("X-WNS-TTL", ttl.as_secs().to_string()));
        }
        if self.request_for_status {
            out.push(("X-WNS-RequestForStatus", "true".to_owned()));
        }
        if let Some(tag) = &self.tag {
            out.push(("X-WNS-Tag", tag.clone()));
        }
        if let Some(group) = &self.group {
            out.push(("X-WNS-Group", group.clone()));
        }
        if self.suppress_popup {
            out.push(("X-WNS-SuppressPopup", "true".to_owned()));
        }
        if let Some(p) = self.priority {
            out.push(("X-WNS-PRIORITY", (p as u8).to_string()));
        }
        if let Some(cv) = &self.ms_cv {
            out.push(("MS-CV", cv.clone()));
        }
        out
    }
}

/// A tag or group: 1 to 16 ASCII letters and digits.
pub(crate) fn check_label(field: &'static str, value: &str) -> Result<(), BuildError> {
    if value.is_empty()
        || value.len() > MAX_TAG
        || !value.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(BuildError::invalid(
            field,
            format!("must be 1 to {MAX_TAG} ASCII letters and digits, got {value:?}"),
        ));
    }
    Ok(())
}
