//! The emulated Windows Phone's shell: what the user sees of an app's notifications.
//!
//! At its core, pure (no clock, no sockets; kept in the crate's `screen` module, below the fake
//! MPNS, whose web view draws notifications with it): the start screen with the app's pinned tiles
//! ([`Shell`], [`Tile`]), the toast tray ([`Toast`]), the rules for tile images
//! ([`classify_image`], [`AllowedImageUris`]), the table of what each notification does by app
//! state and battery ([`decide`]), and two renderings of the whole visible state: stable text
//! for snapshots ([`render_text`]) and an SVG picture for people ([`render_svg`]).
//!
//! On top of it, the push client: a [`Phone`] on a fake MPNS with [`App`]s, each with one
//! channel (open, find, bind, close), applying what MPNS delivers through [`decide`] and the
//! shell, downloading remote images ([`fetch_image`]: at most 80 KB, within 15 s on the
//! injected clock), running each app's tile schedules ([`App::start_tile_schedule`], on
//! [`TileSchedule`]), and raising [`PhoneEvent`]s a test awaits. Its own decisions are listed
//! on [`Phone`] and [`App::start_tile_schedule`]; the `World` boots phones.
//!
//! [`Phone`], [`App`] and [`PhoneError`] are at the crate root; this module holds the rest of
//! the phone's vocabulary.
//!
//! # Decisions where the documentation is silent
//!
//! - **Template**: a tile keeps the template it was pinned with; a push for another one is
//!   refused whole with [`ShellError::TemplateMismatch`] (the local API's text,
//!   [`TEMPLATE_MISMATCH`]) and raises no channel error. Changing template = unpin, pin again.
//! - **All or nothing**: a tile push is checked whole before anything changes; any bad value
//!   leaves the tile as it was.
//! - **Count**: decimal digits only (white space around ignored); 0 hides the badge, 1..=99
//!   show, larger shows 99. A sign, a fraction or text is a `PayloadFormatError`.
//! - **Empty values**: `<wp:Title></wp:Title>` clears like `Action="Clear"` (an empty text or
//!   image shows nothing either way; MS documents this for empty image URIs).
//! - **Images**: any image problem is `MessageBadContent`. Remote images are allowed by
//!   *base URI*: same scheme, host and port, and a path that starts with the listed one.
//!   Cycle images must be local; other Cycle images (the small one) may be remote. Pinning
//!   takes local images only.
//! - **Remote images**: the update waits whole until every image arrived; one failure drops it.
//!   Updates apply in the order they complete, so a slow older update can land after a newer
//!   one. Unpinning (or pinning anew) drops the waiting updates of that tile.
//! - **Unpinned tiles**: a push to a tile that is not pinned (primary or secondary) changes
//!   nothing and is reported as [`Applied::TileNotPinned`].
//! - **Toasts**: Param must start with `/` or `?` (else `PayloadFormatError`); tapping does not
//!   remove a toast from the tray; an empty `wp:Sound` counts as silent.
//! - **Raw** reaches only an app in the foreground: a background app is suspended.
//! - **Faces**: a back face shows only once something on it is set; Iconic wide uses
//!   `IconImage` (MS: "medium and large"), Cycle medium and wide show the same images.

mod app;
mod apply;
mod channel;
mod delivery;
mod device;
pub(crate) mod error;
mod events;
mod fetch;
pub(crate) mod handle;
pub(crate) mod http;
mod outcome;
mod render_phone;
mod schedule;
mod schedule_settings;
mod state;
mod task;

pub use crate::screen::image::{
    check_remote_image, classify_image, AllowedImageUris, ImageError, ImageSource, TileBinding,
    MAX_ALLOWED_URI_CHARS,
};
pub use crate::screen::render_svg::render_svg;
pub use crate::screen::render_text::{render_text, render_tile_text};
pub use crate::screen::shell::{
    Applied, ChannelErrorKind, FetchId, FetchProgress, ImageFetch, Shell, ShellError,
    TEMPLATE_MISMATCH,
};
pub use crate::screen::tile::{Face, Role, Side, Size, Slot, Tile, TileKey};
pub use crate::screen::toast::{LaunchTarget, Toast, ToastSound};
pub use channel::{ChannelView, OsVersion, RateLimit};
pub use delivery::{decide, AppState, Bindings, DeliveryFate, Incoming, PowerLevel, Why};
pub(crate) use error::PhoneError;
pub use events::{ChannelConnectionStatus, ChannelError, EventStream, PhoneEvent};
pub use fetch::{
    fetch_image, fetch_image_with, FetchError, FetchLimits, IMAGE_TIMEOUT, MAX_IMAGE_BYTES,
};
pub(crate) use handle::{App, Phone};
pub use outcome::{DeliveryRecord, Outcome, RawNotification};
pub use schedule::{
    ScheduleState, ScheduleStatus, TileImageUpdate, TileSchedule, MAX_FAILURES_IN_A_ROW,
};
pub use schedule_settings::{ScheduleError, ShellTileSchedule, UpdateInterval, UpdateRecurrence};
