//! What an app sets on a `ShellTileSchedule` before starting it (interval, recurrence, count,
//! start time, image URI) and why `start()` can refuse it. Plain values, checked once at
//! `start()`, apart from the engine that runs them.

use crate::screen::tile::TileKey;
use std::time::Duration;

/// `UpdateInterval`: how often a recurring schedule runs. Hourly is the shortest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UpdateInterval {
    /// Every hour.
    #[default]
    EveryHour,
    /// Every 24 hours.
    EveryDay,
    /// Every 7 days.
    EveryWeek,
    /// Every 30 days.
    EveryMonth,
}

impl UpdateInterval {
    /// The time between runs (a month is 30 days).
    pub fn period(self) -> Duration {
        const HOUR: u64 = 3600;
        Duration::from_secs(match self {
            UpdateInterval::EveryHour => HOUR,
            UpdateInterval::EveryDay => 24 * HOUR,
            UpdateInterval::EveryWeek => 7 * 24 * HOUR,
            UpdateInterval::EveryMonth => 30 * 24 * HOUR,
        })
    }
}

/// `UpdateRecurrence`: run once, or every interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UpdateRecurrence {
    /// Every [`UpdateInterval`].
    #[default]
    Interval,
    /// Once, at the start time.
    OneTime,
}

/// The settings of a schedule, as an app set the properties of a `ShellTileSchedule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellTileSchedule {
    /// `Recurrence`.
    pub recurrence: UpdateRecurrence,
    /// `Interval` (ignored for [`UpdateRecurrence::OneTime`]).
    pub interval: UpdateInterval,
    /// `StartTime` on the clock; `None` (or a past time): when `start()` is called.
    pub start_time: Option<Duration>,
    /// `MaxUpdateCount`: runs before the schedule finishes; < 1 is indefinite. Ignored for
    /// [`UpdateRecurrence::OneTime`].
    pub max_update_count: i32,
    /// `RemoteImageUri`: an absolute `http(s)` URI.
    pub remote_image_uri: String,
    /// The tile whose `BackgroundImage` it sets (the primary tile unless set otherwise).
    pub tile: TileKey,
}

impl ShellTileSchedule {
    /// Hourly, from `start()`, indefinitely, for the primary tile: what most apps set.
    pub fn new(remote_image_uri: impl Into<String>) -> ShellTileSchedule {
        ShellTileSchedule {
            recurrence: UpdateRecurrence::Interval,
            interval: UpdateInterval::EveryHour,
            start_time: None,
            max_update_count: 0,
            remote_image_uri: remote_image_uri.into(),
            tile: TileKey::Primary,
        }
    }

    pub(super) fn check(&self) -> Result<(), ScheduleError> {
        let bad = |reason: &str| ScheduleError::BadRemoteImageUri {
            uri: self.remote_image_uri.clone(),
            reason: reason.to_owned(),
        };
        match reqwest::Url::parse(&self.remote_image_uri) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                Err(bad("the scheme is not http or https"))
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) => Err(bad("it has no host")),
            Ok(_) => Ok(()),
            Err(e) => Err(bad(&format!("it is not an absolute URI ({e})"))),
        }
    }
}

/// Why a schedule cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// `RemoteImageUri` is not an absolute `http(s)` URI.
    #[error(
        "RemoteImageUri '{uri}' cannot be scheduled: {reason}; it must be an absolute http(s) URI."
    )]
    BadRemoteImageUri {
        /// The URI as set.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `start()` was called outside a tokio runtime, where nothing could run the schedule.
    #[error("TileSchedule::start was called outside a tokio runtime; call it from async code or inside Runtime::enter.")]
    NoRuntime,
}
