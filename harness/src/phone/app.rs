//! The `App` handle's API: what a test does as the app's code (launch, channel calls) and as
//! its user (pinning, tapping). Every change is written through to the fake's device model while
//! the phone's lock is held, so the fake never answers for a state the phone has left.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use super::channel::{Channel, ChannelView};
use super::delivery::AppState;
use super::error::PhoneError;
use super::events::{ChannelError, PhoneEvent};
use super::handle::{App, Phone};
use super::outcome::{DeliveryRecord, RawNotification};
use super::schedule::{ScheduleStatus, TileImageUpdate, TileSchedule};
use super::schedule_settings::ShellTileSchedule;
use super::state::{running, AppData, PhoneInner, ScheduleEntry};
use crate::fake::ChannelOptions;
use crate::protocol::Template;
use crate::screen::image::{AllowedImageUris, TileBinding};
use crate::screen::shell::Shell;
use crate::screen::tile::{Tile, TileKey};
use crate::screen::toast::{LaunchTarget, Toast};

/// Tells one schedule of an app from the one that replaced it.
static NEXT_SCHEDULE: AtomicU64 = AtomicU64::new(1);

impl App {
    pub(crate) fn new(phone: Phone, name: &str) -> Self {
        Self {
            phone,
            name: name.to_owned(),
        }
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The phone it is on.
    pub fn phone(&self) -> &Phone {
        &self.phone
    }

    /// Runs `f` on the app's data with the phone locked.
    fn with<R>(&self, f: impl FnOnce(&mut AppData) -> R) -> R {
        let mut st = self.phone.inner.lock();
        let app = st
            .apps
            .get_mut(&self.name)
            .expect("an App handle names an installed app (apps are never uninstalled)");
        f(app)
    }

    fn running(&self, action: &'static str) -> Result<(), PhoneError> {
        if self.state() == AppState::NotRunning {
            return Err(PhoneError::AppNotRunning {
                app: self.name.clone(),
                action,
            });
        }
        Ok(())
    }

    // ----- app state -----

    /// Where the app is.
    pub fn state(&self) -> AppState {
        self.with(|a| a.state)
    }

    /// Where the app was last launched (its start page, or a toast's `Param`).
    pub fn launched_at(&self) -> Option<LaunchTarget> {
        self.with(|a| a.launched_at.clone())
    }

    /// Brings the app to the foreground at its start page (the app in the foreground before
    /// goes to the background).
    pub fn launch(&self) {
        let target = self.with(|a| LaunchTarget::from_param(None, a.shell.start_page()));
        self.launch_at(target);
    }

    fn launch_at(&self, target: LaunchTarget) {
        let mut st = self.phone.inner.lock();
        let names: Vec<String> = st.apps.keys().cloned().collect();
        for name in names {
            let a = st.apps.get_mut(&name).expect("listed");
            let was = a.state;
            if name == self.name {
                a.state = AppState::Foreground;
                a.launched_at = Some(target.clone());
            } else if a.state == AppState::Foreground {
                a.state = AppState::Background;
            }
            if running(was) != running(a.state) {
                let _ = self.phone.inner.sync_fake(a);
            }
        }
    }

    /// Sends the app to the background (the user pressed Start).
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`].
    pub fn send_to_background(&self) -> Result<(), PhoneError> {
        self.running("go to the background")?;
        self.with(|a| a.state = AppState::Background);
        Ok(())
    }

    /// Stops the app. Its channel stays open if bound to toast or tile; a channel bound to
    /// neither (raw only) is closed, and its URI answers 404 from then on.
    pub fn close(&self) {
        let mut st = self.phone.inner.lock();
        let a = st.apps.get_mut(&self.name).expect("installed");
        a.state = AppState::NotRunning;
        let raw_only = a
            .channel
            .as_ref()
            .is_some_and(|c| !c.toast && c.tile.is_none());
        if raw_only {
            if let Some(c) = a.channel.take() {
                self.phone.inner.expire(c.id);
            }
        } else {
            let _ = self.phone.inner.sync_fake(a);
        }
    }

    // ----- channel -----

    /// `new HttpNotificationChannel(name)` + `Open()`: an unauthenticated channel. The URI
    /// arrives with `ChannelUriUpdated`; when the phone is not connected, `ErrorOccurred
    /// (ChannelOpenFailed)` is raised instead and the app has no channel.
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`], [`PhoneError::ChannelAlreadyOpen`],
    /// [`PhoneError::ChannelQuotaExceeded`].
    pub fn open_channel(&self, name: &str) -> Result<(), PhoneError> {
        self.open(name, None)
    }

    /// `new HttpNotificationChannel(name, serviceName)` + `Open()`: an authenticated channel
    /// (sent to over HTTPS with a client certificate whose CN is `service_name`).
    ///
    /// # Errors
    /// As [`open_channel`](Self::open_channel).
    pub fn open_authenticated_channel(
        &self,
        name: &str,
        service_name: &str,
    ) -> Result<(), PhoneError> {
        self.open(name, Some(service_name))
    }

    fn open(&self, name: &str, service: Option<&str>) -> Result<(), PhoneError> {
        self.running("open a channel")?;
        let p = &self.phone.inner;
        let mut st = p.lock();
        let quota = p.os.channel_quota();
        let held = st.apps.values().filter(|a| a.channel.is_some()).count();
        let connected = st.connection == crate::fake::Connection::Connected;
        let a = st.apps.get_mut(&self.name).expect("installed");
        if let Some(c) = &a.channel {
            return Err(PhoneError::ChannelAlreadyOpen {
                app: self.name.clone(),
                channel: c.name.clone(),
            });
        }
        if held >= quota {
            return Err(PhoneError::ChannelQuotaExceeded { limit: quota });
        }
        if !connected {
            p.push_event(PhoneEvent::ErrorOccurred {
                app: self.name.clone(),
                channel: name.to_owned(),
                error: ChannelError::ChannelOpenFailed,
                message: "The push client could not reach MPNS (the phone is not connected); open the channel again later.".into(),
            });
            return Ok(());
        }
        let label = match a.channel_ids.len() {
            0 => self.name.clone(),
            n => format!("{}#{}", self.name, n + 1),
        };
        let mut state = a.device_update();
        state.bound_tile = Some(false);
        state.bound_toast = Some(false);
        let info = p.fake.create_channel(ChannelOptions {
            device: Some(p.device.clone()),
            app: Some(label),
            os_version: Some(p.os.as_str().to_owned()),
            authenticated: service.is_some(),
            service_name: service.map(str::to_owned),
            device_state: Some(state),
            token: None,
        })?;
        a.channel_ids.push(info.id);
        a.channel = Some(Channel {
            name: name.to_owned(),
            service_name: service.map(str::to_owned),
            id: info.id,
            uri: info.uri.clone(),
            toast: false,
            tile: None,
            uri_updates: 1,
            window: (p.clock.now(), 0, false),
        });
        p.push_event(PhoneEvent::ChannelUriUpdated {
            app: self.name.clone(),
            channel: name.to_owned(),
            uri: info.uri,
        });
        Ok(())
    }

    /// `HttpNotificationChannel.Find(name)`: the app's open channel if it has that name.
    pub fn find_channel(&self, name: &str) -> Option<ChannelView> {
        self.with(|a| {
            a.channel
                .as_ref()
                .filter(|c| c.name == name)
                .map(Channel::view)
        })
    }

    /// The app's open channel, whatever its name.
    pub fn channel(&self) -> Option<ChannelView> {
        self.with(|a| a.channel.as_ref().map(Channel::view))
    }

    /// The open channel's URI.
    pub fn channel_uri(&self) -> Option<String> {
        self.with(|a| a.channel.as_ref().map(|c| c.uri.clone()))
    }

    fn change_channel(
        &self,
        action: &'static str,
        f: impl FnOnce(&mut Channel) -> Result<(), PhoneError>,
    ) -> Result<(), PhoneError> {
        self.running(action)?;
        let mut st = self.phone.inner.lock();
        let a = st.apps.get_mut(&self.name).expect("installed");
        let Some(c) = a.channel.as_mut() else {
            return Err(PhoneError::NoChannel {
                app: self.name.clone(),
                action,
            });
        };
        f(c)?;
        self.phone.inner.sync_fake(a)
    }

    /// `BindToShellToast()`.
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`], [`PhoneError::NoChannel`], [`PhoneError::AlreadyBound`].
    pub fn bind_toast(&self) -> Result<(), PhoneError> {
        let app = self.name.clone();
        self.change_channel("bind to shell toasts", |c| {
            if c.toast {
                return Err(PhoneError::AlreadyBound { app, what: "toast" });
            }
            c.toast = true;
            Ok(())
        })
    }

    /// `UnbindToShellToast()` (nothing when not bound).
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`], [`PhoneError::NoChannel`].
    pub fn unbind_toast(&self) -> Result<(), PhoneError> {
        self.change_channel("unbind from shell toasts", |c| {
            c.toast = false;
            Ok(())
        })
    }

    /// `BindToShellTile()`: tile updates with local images only.
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`], [`PhoneError::NoChannel`], [`PhoneError::AlreadyBound`].
    pub fn bind_tile(&self) -> Result<(), PhoneError> {
        self.bind_tile_as(TileBinding::LocalImagesOnly)
    }

    /// `BindToShellTile(Collection<Uri>)`: remote images allowed from these base URIs (each an
    /// absolute http(s) URI of at most 256 characters).
    ///
    /// # Errors
    /// [`PhoneError::AllowedUris`] naming the entry and the limit, and those of
    /// [`bind_tile`](Self::bind_tile).
    pub fn bind_tile_with<I, S>(&self, allowed: I) -> Result<(), PhoneError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let allowed = AllowedImageUris::new(allowed).map_err(PhoneError::AllowedUris)?;
        self.bind_tile_as(TileBinding::RemoteFrom(allowed))
    }

    fn bind_tile_as(&self, binding: TileBinding) -> Result<(), PhoneError> {
        let app = self.name.clone();
        self.change_channel("bind to the shell tile", |c| {
            if c.tile.is_some() {
                return Err(PhoneError::AlreadyBound { app, what: "tile" });
            }
            c.tile = Some(binding);
            Ok(())
        })
    }

    /// `UnbindToShellTile()` (nothing when not bound).
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`], [`PhoneError::NoChannel`].
    pub fn unbind_tile(&self) -> Result<(), PhoneError> {
        self.change_channel("unbind from the shell tile", |c| {
            c.tile = None;
            Ok(())
        })
    }

    /// `Close()`: the channel is gone; its URI answers 404 Dropped/Expired from now on.
    ///
    /// # Errors
    /// [`PhoneError::AppNotRunning`], [`PhoneError::NoChannel`].
    pub fn close_channel(&self) -> Result<(), PhoneError> {
        self.running("close the channel")?;
        let mut st = self.phone.inner.lock();
        let a = st.apps.get_mut(&self.name).expect("installed");
        let Some(c) = a.channel.take() else {
            return Err(PhoneError::NoChannel {
                app: self.name.clone(),
                action: "close the channel",
            });
        };
        self.phone.inner.expire(c.id);
        Ok(())
    }

    /// The push client reports an error of no documented type: `ErrorOccurred` with
    /// `ChannelErrorType.Unknown` and `message` (docs/mpns-protocol.md §6.2). Raised whatever
    /// the app's state, as `ErrorOccurred` is (§6.1). The channel is left as it was: open, with
    /// the same URI and bindings, so notifications keep arriving; the fake is not told anything.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use mpns_harness::phone::{ChannelError, PhoneEvent};
    /// use mpns_harness::World;
    ///
    /// let world = World::start().await;
    /// let phone = world.add_phone("lumia", "8.0").unwrap();
    /// let app = phone.install("weather").unwrap();
    /// app.launch();
    /// app.open_channel("push").unwrap();
    /// let uri = app.channel_uri();
    /// let mut events = phone.events();
    /// app.raise_unknown_error("The push client failed.").unwrap();
    /// let e = events.wait_for(|e| e.error().is_some()).await;
    /// assert_eq!(e.error(), Some(ChannelError::Unknown));
    /// assert_eq!(app.channel_uri(), uri);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`PhoneError::NoChannel`] when the app has no open channel (nothing is raised).
    pub fn raise_unknown_error(&self, message: &str) -> Result<(), PhoneError> {
        let st = self.phone.inner.lock();
        let a = st.apps.get(&self.name).expect("installed");
        let Some(c) = &a.channel else {
            return Err(PhoneError::NoChannel {
                app: self.name.clone(),
                action: "raise an Unknown channel error",
            });
        };
        self.phone.inner.push_event(PhoneEvent::ErrorOccurred {
            app: self.name.clone(),
            channel: c.name.clone(),
            error: ChannelError::Unknown,
            message: message.to_owned(),
        });
        Ok(())
    }

    // ----- shell -----

    /// Pins the app's primary tile with a template and initial values (local images only).
    ///
    /// # Errors
    /// [`PhoneError::TemplateNotSupported`] on an OS without the template, or the shell's
    /// refusal.
    pub fn pin_primary(
        &self,
        template: Template,
        initial: &[(&str, &str)],
    ) -> Result<(), PhoneError> {
        self.pin(TileKey::Primary, template, initial)
    }

    /// Pins a secondary tile whose navigation URI (the push's `Id`) is `id`.
    ///
    /// # Errors
    /// As [`pin_primary`](Self::pin_primary).
    pub fn pin_secondary(
        &self,
        id: &str,
        template: Template,
        initial: &[(&str, &str)],
    ) -> Result<(), PhoneError> {
        self.pin(TileKey::Secondary(id.to_owned()), template, initial)
    }

    fn pin(
        &self,
        key: TileKey,
        template: Template,
        initial: &[(&str, &str)],
    ) -> Result<(), PhoneError> {
        let os = self.phone.inner.os;
        if !os.supports_template(template) {
            return Err(PhoneError::TemplateNotSupported { template, os });
        }
        let mut st = self.phone.inner.lock();
        let a = st.apps.get_mut(&self.name).expect("installed");
        a.shell.pin(key, template, initial)?;
        self.phone.inner.sync_fake(a)
    }

    /// Unpins a tile; returns whether it was pinned. A secondary tile's schedule stops and is
    /// forgotten with it; the primary tile's schedule goes on (see
    /// [`start_tile_schedule`](Self::start_tile_schedule)).
    pub fn unpin(&self, tile: &TileKey) -> bool {
        let mut st = self.phone.inner.lock();
        let a = st.apps.get_mut(&self.name).expect("installed");
        let was = a.shell.unpin(tile);
        if matches!(tile, TileKey::Secondary(_)) {
            if let Some(e) = a.schedules.remove(tile) {
                e.schedule.stop();
            }
        }
        let _ = self.phone.inner.sync_fake(a);
        was
    }

    /// The pinned tile.
    pub fn tile(&self, tile: &TileKey) -> Option<Tile> {
        self.with(|a| a.shell.tile(tile).cloned())
    }

    /// The toast tray, in arrival order.
    pub fn toasts(&self) -> Vec<Toast> {
        self.with(|a| a.shell.toasts().to_vec())
    }

    /// Taps the toast at `index` in the app's tray: the app comes to the foreground at the
    /// toast's `Param` (page and query; the start page without one).
    ///
    /// # Errors
    /// The shell's [`NoSuchToast`](super::ShellError::NoSuchToast).
    pub fn tap_toast(&self, index: usize) -> Result<LaunchTarget, PhoneError> {
        let target = self.with(|a| a.shell.tap(index))?;
        self.launch_at(target.clone());
        Ok(target)
    }

    /// A copy of the app's shell (for the shell's own renderers).
    pub fn shell(&self) -> Shell {
        self.with(|a| a.shell.clone())
    }

    // ----- tile schedules -----

    /// `new ShellTileSchedule(tile) { ... }.Start()`: the phone downloads
    /// `settings.remote_image_uri` on the schedule and shows it as the `BackgroundImage` of
    /// `settings.tile` (see [`TileSchedule`] for the run times, the 80 KB / 15 s download
    /// rules and the stop after three failures in a row).
    ///
    /// An app has at most one schedule per tile, as the real API had one `ShellTileSchedule`
    /// object per `ShellTile`: starting one for a tile that has one already restarts it when
    /// the settings are the same (like calling `Start()` again: the run count and the failures
    /// in a row restart from 0, the totals are kept) and otherwise replaces it (the old one
    /// stops; the new one's history starts empty).
    ///
    /// Decisions where the documentation is silent:
    /// - **No channel** is needed, nor any allowed-domain list; schedules do not count toward
    ///   the channel quota (docs/mpns-protocol.md §6.6) and run whatever the app's state, the MPNS
    ///   connection and the power level.
    /// - **The primary tile** may be unpinned: its schedule still runs and downloads, and the
    ///   image shows nowhere (counted as not shown); once the tile is pinned again the next run
    ///   shows. Unpinning the primary tile does not stop its schedule.
    /// - **A secondary tile** must be pinned to get a schedule (the real API built it from an
    ///   existing `ShellTile`); unpinning the tile stops and forgets its schedule.
    /// - **Closing the app** does not stop its schedules: they belong to the shell.
    /// - **Templates without `BackgroundImage`** (Iconic, Cycle) refuse each image (counted as
    ///   not shown, with the shell's reason in the phone's text); the schedule goes on.
    /// - The phone's [`settle`](Phone::settle) (and so `World::advance`) waits for every run
    ///   that became due, so a test asserts the tile right after advancing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use mpns_harness::protocol::Template;
    /// use mpns_harness::phone::{ScheduleState, ShellTileSchedule, TileKey};
    /// use mpns_harness::World;
    /// use std::time::Duration;
    ///
    /// let world = World::start().await;
    /// let phone = world.add_phone("lumia", "8.0").unwrap();
    /// let news = phone.install("news").unwrap();
    /// news.pin_primary(Template::FlipTile, &[("Title", "News")]).unwrap();
    /// let mut settings = ShellTileSchedule::new("http://127.0.0.1:9/tile.png");
    /// settings.start_time = Some(Duration::from_secs(3600));
    /// news.start_tile_schedule(settings).unwrap();
    /// let status = news.tile_schedule(&TileKey::Primary).unwrap();
    /// assert_eq!(status.state, ScheduleState::Waiting { next_run: Duration::from_secs(3600) });
    /// assert!(news.stop_tile_schedule(&TileKey::Primary));
    /// assert_eq!(news.tile_schedule(&TileKey::Primary).unwrap().state, ScheduleState::Stopped);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`PhoneError::Schedule`] for a `RemoteImageUri` that is not an absolute http(s) URI (or
    /// outside a tokio runtime); [`PhoneError::TileNotPinned`] for a secondary tile that is not
    /// pinned. The app's schedules are then unchanged.
    pub fn start_tile_schedule(&self, settings: ShellTileSchedule) -> Result<(), PhoneError> {
        let tile = settings.tile.clone();
        let mut st = self.phone.inner.lock();
        let a = st.apps.get_mut(&self.name).expect("installed");
        if matches!(tile, TileKey::Secondary(_)) && !a.shell.is_pinned(&tile) {
            return Err(PhoneError::TileNotPinned {
                app: self.name.clone(),
                tile,
            });
        }
        if let Some(e) = a
            .schedules
            .get_mut(&tile)
            .filter(|e| *e.schedule.settings() == settings)
        {
            e.schedule.start()?;
            return Ok(());
        }
        let id = NEXT_SCHEDULE.fetch_add(1, Ordering::Relaxed);
        let phone = Arc::downgrade(&self.phone.inner);
        let app = self.name.clone();
        let schedule = TileSchedule::new(
            settings,
            self.phone.inner.clock.clone(),
            self.phone.inner.http.get(),
            move |update| show_scheduled(&phone, &app, id, &update),
        );
        schedule.start()?;
        let entry = ScheduleEntry {
            schedule: Arc::new(schedule),
            id,
            shown: 0,
            not_shown: 0,
            last_not_shown: None,
        };
        if let Some(old) = a.schedules.insert(tile, entry) {
            old.schedule.stop();
        }
        Ok(())
    }

    /// `ShellTileSchedule.Stop()` for this tile's schedule: no more runs until it is started
    /// again (its status stays readable). Returns whether it was running.
    pub fn stop_tile_schedule(&self, tile: &TileKey) -> bool {
        self.with(|a| {
            a.schedules.get(tile).is_some_and(|e| {
                let was = e.schedule.status().is_running();
                e.schedule.stop();
                was
            })
        })
    }

    /// The status of this tile's schedule, if the app ever started one for it.
    pub fn tile_schedule(&self, tile: &TileKey) -> Option<ScheduleStatus> {
        self.with(|a| a.schedules.get(tile).map(|e| e.schedule.status()))
    }

    // ----- what arrived -----

    /// Raw notifications received, in order.
    pub fn raw_inbox(&self) -> Vec<RawNotification> {
        self.with(|a| a.raw_inbox.clone())
    }

    /// What became of each notification delivered to the app (the last 1000), in order.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.with(|a| a.records.iter().cloned().collect())
    }
}

/// A schedule's run downloaded an image: show it on the app's tile (the schedule's task calls
/// this; it locks the phone).
fn show_scheduled(phone: &Weak<PhoneInner>, app: &str, id: u64, update: &TileImageUpdate) {
    let Some(inner) = phone.upgrade() else {
        return;
    };
    let mut st = inner.lock();
    let Some(a) = st.apps.get_mut(app) else {
        return;
    };
    let result = update.apply_to(&mut a.shell);
    let Some(e) = a.schedules.get_mut(&update.tile).filter(|e| e.id == id) else {
        return;
    };
    match result {
        Ok(true) => e.shown += 1,
        Ok(false) => {
            e.not_shown += 1;
            e.last_not_shown = Some(format!("the {} is not pinned", update.tile));
        }
        Err(err) => {
            e.not_shown += 1;
            e.last_not_shown = Some(err.to_string());
        }
    }
}
