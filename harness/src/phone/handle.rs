//! The two handles a test holds, `Phone` and `App`: cheap clones of a shared phone. Their types
//! live apart from their methods so that each handle's API file can name the other without the
//! two files importing each other.

use std::fmt;
use std::sync::Arc;

use super::state::PhoneInner;

/// An emulated Windows Phone. Cloning shares it.
///
/// Build one with `World::add_phone` (or [`Phone::start`] on a fake of your own); install apps
/// with [`install`](Self::install) and drive them through [`App`].
///
/// The phone is the source of truth for what MPNS must know about it: every change made through
/// it (binding, pinning, launching, power, connection) is written to the fake's device model at
/// once, so the fake answers `Suppressed`, `412` or `404` exactly when the phone would drop the
/// notification.
///
/// # Settling
///
/// The fake hands deliveries to the phone's task through an in-process stream; the task applies
/// them shortly after. [`Phone::settle`] returns once every delivery handed over before the call
/// is applied and every remote image download it started has finished, so a test asserts right
/// after it (or after `World::advance`, which settles every phone).
///
/// # Decisions where the documentation is silent
///
/// - **Quota** (docs/mpns-protocol.md §4, §9.6): opening a channel when the OS's quota of apps holding one
///   (15 on 7.0, 30 later) is reached fails at once with [`PhoneError::ChannelQuotaExceeded`]
///   (the API's `InvalidOperationException`), not with an event.
/// - **ChannelOpenFailed**: opening while the phone is not `Connected` (TempDisconnected too) raises
///   `ErrorOccurred(ChannelOpenFailed)` and leaves the app without a channel (open again later).
/// - **A second open** of any channel in an app that has one is
///   [`PhoneError::ChannelAlreadyOpen`]; binding twice is [`PhoneError::AlreadyBound`];
///   unbinding what is not bound does nothing.
/// - **The channel API needs the app running** (open, bind, unbind, close): app code only runs
///   then. Pinning is the user's business and works any time.
/// - **Closing** a channel (or losing it to a `PayloadFormatError`) expires its subscription in
///   the fake: sends to its URI get 404 Dropped/Expired. Reopening makes a new channel with a new
///   URI (the fake names the app `app#2`, `app#3`, ... for later channels).
/// - **An app that stops** (`close`) keeps its channel only if it is bound to toast or tile; a
///   raw-only channel is closed (docs/mpns-protocol.md §6.1, lifecycle 3).
/// - **OS versions** (docs/mpns-protocol.md §5.9, §9.4): 7.1 fields on 7.0 and WP8 templates below 7.8 are a
///   `PayloadFormatError`.
/// - **Rate** ([`RateLimit`], default 100 per minute of clock time per channel): the first
///   notification over the limit in a window raises `NotificationRateTooHigh`; every one over
///   it is dropped.
/// - **Raw headers**: `HttpNotificationReceived` carries the headers of the request as the fake
///   recorded it.
/// - **Connection status events**: `ConnectionStatusChanged` is raised per open channel when the
///   two-valued `ChannelConnectionStatus` changes (Connected ⇄ anything else).
/// - **When a notification is judged**: by the app's state, the power level and the bindings at
///   the moment the phone applies it (right after delivery; a test that changes them between a
///   send and [`settle`](Self::settle) races with the phone's task).
/// - **Raw for an app in the background**: the fake delivers it (the app runs) and the phone
///   discards it (a suspended app gets no events); for a closed app the fake discards it.
/// - **Tile schedules** ([`App::start_tile_schedule`]) belong to the shell, not to a channel:
///   they need none, do not count toward the quota, need no allowed-domain list, run whether
///   the app runs or not, and ignore the MPNS connection and the power level (the phone
///   downloads over its own HTTP client on the World's clock). [`settle`](Self::settle) waits
///   for their due runs too. Details on [`App::start_tile_schedule`].
///
/// [`PhoneError::ChannelQuotaExceeded`]: super::PhoneError::ChannelQuotaExceeded
/// [`PhoneError::ChannelAlreadyOpen`]: super::PhoneError::ChannelAlreadyOpen
/// [`PhoneError::AlreadyBound`]: super::PhoneError::AlreadyBound
/// [`RateLimit`]: super::RateLimit
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::protocol::Template;
/// use mpns_harness::phone::TileKey;
/// use mpns_harness::World;
///
/// let world = World::start().await;
/// let phone = world.add_phone("lumia", "8.0").unwrap();
/// let app = phone.install("weather").unwrap();
/// app.pin_primary(Template::FlipTile, &[]).unwrap();
/// app.launch();
/// app.open_channel("push").unwrap();
/// app.bind_tile().unwrap();
///
/// let xml = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Template="FlipTile"><wp:Count>4</wp:Count></wp:Tile></wp:Notification>"#;
/// let answer = reqwest::Client::new()
///     .post(app.channel_uri().unwrap())
///     .header("Content-Type", "text/xml; charset=utf-8")
///     .header("X-WindowsPhone-Target", "token")
///     .header("X-NotificationClass", "1")
///     .body(xml)
///     .send()
///     .await
///     .unwrap();
/// assert_eq!(answer.headers()["X-NotificationStatus"], "Received");
/// world.settle().await;
/// assert_eq!(app.tile(&TileKey::Primary).unwrap().badge(), Some(4));
/// assert!(phone.render_text().contains("badge: 4"));
/// # }
/// ```
#[derive(Clone)]
pub struct Phone {
    pub(crate) inner: Arc<PhoneInner>,
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Phone")
            .field("name", &self.inner.name)
            .field("os", &self.inner.os)
            .finish()
    }
}

/// An app on a [`Phone`]: a handle (cloning shares the app).
///
/// Channel calls (`open_channel`, `bind_*`, `unbind_*`, `close_channel`) are app code: they
/// need the app running. Everything else can be called any time.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::protocol::Template;
/// use mpns_harness::phone::AppState;
/// use mpns_harness::World;
///
/// let world = World::start().await;
/// let phone = world.add_phone("lumia", "8.0").unwrap();
/// let weather = phone.install("weather").unwrap();
/// weather.pin_primary(Template::FlipTile, &[("Title", "Weather")]).unwrap();
/// weather.launch();
/// weather.open_channel("push").unwrap();
/// weather.bind_toast().unwrap();
/// weather.bind_tile().unwrap();
/// assert_eq!(weather.state(), AppState::Foreground);
/// assert!(weather.channel_uri().unwrap().starts_with(world.fake().uri()));
/// # }
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) phone: Phone,
    pub(crate) name: String,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("phone", &self.phone.inner.name)
            .field("name", &self.name)
            .finish()
    }
}
