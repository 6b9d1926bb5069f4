//! The one error type of the phone's API. Each message names the rule broken and the fix, as
//! a test author reads it in a failed `unwrap`.

use super::channel::OsVersion;
use super::schedule_settings::ScheduleError;
use crate::fake::FakeError;
use crate::protocol::Template;
use crate::screen::shell::ShellError;
use crate::screen::tile::TileKey;

/// What went wrong with a call on a phone or one of its apps. The phone is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// The OS version is not one the phone knows.
    #[error("{0}")]
    BadOsVersion(String),
    /// The World already has a phone of that name.
    #[error("the World already has a phone named '{name}'; pick another name")]
    PhoneAlreadyExists {
        /// The name.
        name: String,
    },
    /// No app of that name is installed.
    #[error("no app '{app}' is installed; install it first")]
    UnknownApp {
        /// The name asked for.
        app: String,
    },
    /// An app of that name is already installed.
    #[error("app '{app}' is already installed")]
    AppAlreadyInstalled {
        /// The name.
        app: String,
    },
    /// The call is app code, and the app is not running.
    #[error("cannot {action}: app '{app}' is not running (app code runs only when the app does); launch it first")]
    AppNotRunning {
        /// The app.
        app: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The app already has a channel (one per app; `InvalidOperationException`).
    #[error("app '{app}' already has channel '{channel}' (one channel per app); use find_channel, or close it first")]
    ChannelAlreadyOpen {
        /// The app.
        app: String,
        /// Its channel's name.
        channel: String,
    },
    /// As many apps as the OS allows already hold channels (`InvalidOperationException`,
    /// "Channel quota exceeded").
    #[error("Channel quota exceeded: {limit} apps already hold a channel on this phone (limit {limit}); close one first")]
    ChannelQuotaExceeded {
        /// The quota.
        limit: usize,
    },
    /// The app has no open channel.
    #[error("cannot {action}: app '{app}' has no open channel; open one first")]
    NoChannel {
        /// The app.
        app: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The channel is already bound to that (`InvalidOperationException`).
    #[error("the channel of app '{app}' is already bound to the shell {what}; unbind it first")]
    AlreadyBound {
        /// The app.
        app: String,
        /// `toast` or `tile`.
        what: &'static str,
    },
    /// The list of allowed remote image URIs is invalid.
    #[error("{0}")]
    AllowedUris(String),
    /// The template does not exist on this OS version.
    #[error("the {} template does not exist on Windows Phone {os} (7.8 and later)", crate::screen::tile::template_name(*.template))]
    TemplateNotSupported {
        /// The template.
        template: Template,
        /// The phone's OS.
        os: OsVersion,
    },
    /// The shell refused (pinning, tapping).
    #[error(transparent)]
    Shell(ShellError),
    /// A tile schedule was asked for a secondary tile that is not pinned (a secondary tile's
    /// schedule belongs to the tile, which exists only while pinned).
    #[error("cannot start a tile schedule for the {tile} of app '{app}': it is not pinned; pin it first")]
    TileNotPinned {
        /// The app.
        app: String,
        /// The tile.
        tile: TileKey,
    },
    /// The tile schedule cannot start.
    #[error(transparent)]
    Schedule(ScheduleError),
    /// The fake MPNS refused a change.
    #[error("fake MPNS: {0}")]
    Fake(#[source] FakeError),
}

impl From<ShellError> for PhoneError {
    fn from(e: ShellError) -> Self {
        Self::Shell(e)
    }
}

impl From<ScheduleError> for PhoneError {
    fn from(e: ScheduleError) -> Self {
        Self::Schedule(e)
    }
}

impl From<FakeError> for PhoneError {
    fn from(e: FakeError) -> Self {
        Self::Fake(e)
    }
}
