//! The recipe's "Push Patterns" phone app (docs/push-recipe.md §4.2-§4.6), on an emulated phone.
//!
//! The app wraps an [`App`] and talks to the registration service over HTTP only (JSON):
//! `POST /api/registrations`, `DELETE /api/registrations/{user}`, `GET /api/server-info?user=`,
//! `POST /api/tile-update`, and the service's number images for the tile schedule.
//!
//! Raw notifications are handled by a small task per app instance that reads the phone's events
//! (`HttpNotificationReceived`, `ChannelUriUpdated`), as the recipe's handlers did on the UI
//! thread. [`PushPatterns::settle`] returns once the task has handled every event raised before
//! the call (HTTP calls included); [`PushPatterns::stop`] (or dropping the last handle) ends it.
//!
//! # Decisions where the recipe was silent or wrong
//!
//! - **Push off means no channel** (the Marketplace opt-out the recipe's settings exist for):
//!   the recipe opened its channel and registered even with push off. Here, with push off, login
//!   only saves the user name and reads the server info; turning push on opens the channel, binds
//!   it as the settings say and registers; turning it off unbinds, closes the channel and
//!   unregisters (`DELETE /api/registrations/{user}`), so the service stops sending at once.
//! - **Registration**: on every launch with a saved user name (push on), and again whenever the
//!   channel's URI changes (`ChannelUriUpdated` while the app runs: the recipe ignored it for a
//!   channel that already existed). Nothing is registered twice for the same URI in one run.
//! - **Channel**: unauthenticated (the recipe named a service, which makes an authenticated
//!   channel that needs a client certificate on the sender: the recipe's server had none).
//! - **Tile binding**: remote images allowed from the service's base URL only (the recipe's
//!   `[http://localhost:8000]`), so Custom Tile and "Test Now" images download.
//! - **Primary tile**: [`PushPatterns::pin`] pins the Flip template on 8.0 and later and the
//!   standard tile on 7.x, the shapes the patterns send to each OS.
//! - **What persists** (the recipe's isolated storage): the settings, the user name and "show
//!   this message again". The inbox, the server info and an open prompt belong to one run of the
//!   app and are cleared by [`PushPatterns::close`].
//! - **Raw while push or raw is off** is not shown (the recipe forwarded raw only when both were
//!   on); the server info is not refreshed for it either.
//! - **The schedule** points at `/images/numbers/{n}.png` of the service, the number the user
//!   selected (the recipe's URL used a query key its service did not read, and a parameter never
//!   bound to the selection).
//! - **Errors** the recipe showed in message boxes are kept in [`PushPatterns::errors`].
//!
//! [`App`]: crate::App
//! [`PushPatterns::settle`]: crate::PushPatterns::settle
//! [`PushPatterns::stop`]: crate::PushPatterns::stop
//! [`PushPatterns::pin`]: crate::PushPatterns::pin
//! [`PushPatterns::close`]: crate::PushPatterns::close
//! [`PushPatterns::errors`]: crate::PushPatterns::errors

pub(crate) mod app;
mod backend;
mod error;
mod events;
mod lifecycle;
mod model;
mod render;
mod schedule;

use std::time::Duration;

pub use error::AppError;
pub use model::{Prompt, Screen, ServerInfo, Settings};

/// The app's name on the phone.
pub const APP_NAME: &str = "PushPatterns";

/// The channel's name (the recipe's).
pub const CHANNEL_NAME: &str = "OneTimePatternChannel";

/// The raw body that asks the user to pin the tile, exactly.
pub const ASK_TO_PIN: &str = "AskToPin";

/// The prompt's text (the recipe's).
pub const ASK_TO_PIN_TEXT: &str =
    "Please pin your application to Start Screen so this application can work properly.";

/// The server's name of the pattern that shows the schedule panel.
pub(crate) const TILE_SCHEDULE: &str = "Tile Schedule";

/// How many number images the schedule panel lists (`number0.png` ... `number9.png`).
pub(crate) const NUMBER_IMAGES: u8 = 10;

/// How long (wall-clock) an HTTP call to the service may take, and a settle may wait.
const WAIT_LIMIT: Duration = Duration::from_secs(10);
