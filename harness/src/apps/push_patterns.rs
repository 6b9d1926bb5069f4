//! The recipe's "Push Patterns" phone app (reference §4.2-§4.6), on an emulated phone.
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

use crate::lock::MutexExt;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::mpns::protocol::Template;
use crate::phone::{
    App, AppState, EventStream, OsVersion, Phone, PhoneError, PhoneEvent, ScheduleStatus,
    ShellTileSchedule, TileKey,
};

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
pub const TILE_SCHEDULE: &str = "Tile Schedule";

/// How many number images the schedule panel lists (`number0.png` ... `number9.png`).
pub const NUMBER_IMAGES: u8 = 10;

/// How long (wall-clock) an HTTP call to the service may take, and a settle may wait.
const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// The push settings (reference §4.6). Push is off by default, the others on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// "Push Notifications": the opt-in for everything else.
    pub push: bool,
    /// "Tile Notifications".
    pub tile: bool,
    /// "Toast Notifications".
    pub toast: bool,
    /// "Raw Notifications".
    pub raw: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            push: false,
            tile: true,
            toast: true,
            raw: true,
        }
    }
}

impl Settings {
    /// Everything on.
    pub fn all_on() -> Settings {
        Settings {
            push: true,
            ..Settings::default()
        }
    }
}

/// Which view the app shows (reference §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The app is not running.
    NotRunning,
    /// "push settings": the first launch.
    PushSettings,
    /// "registration": no user name saved yet.
    Login,
    /// "server status": server info, raw messages, the schedule panel.
    Inbox,
}

/// What `GET /api/server-info` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The active pattern's display name ("Ask to Pin").
    pub push_pattern: String,
    /// The user's counter for it.
    pub counter: i64,
}

/// The AskToPin popup (reference §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// "Important".
    pub title: &'static str,
    /// [`ASK_TO_PIN_TEXT`].
    pub text: &'static str,
    /// The "Show this message again" check-box, as shown.
    pub show_again: bool,
}

/// What went wrong in the app. The app is unchanged unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The phone refused a channel or shell call.
    #[error(transparent)]
    Phone(PhoneError),
    /// The app must be running for that.
    #[error("cannot {action}: Push Patterns is not running; launch it first")]
    NotRunning {
        /// What was attempted.
        action: &'static str,
    },
    /// No user name saved yet.
    #[error("cannot {action}: no user is logged in; log in first")]
    NotLoggedIn {
        /// What was attempted.
        action: &'static str,
    },
    /// The user name is empty (the recipe's "Invalid user name").
    #[error("Invalid user name: it must not be empty")]
    BadUserName,
    /// The phone could not open the channel (not connected to MPNS).
    #[error("the push channel could not be opened (the phone is not connected to MPNS); launch again later")]
    ChannelOpenFailed,
    /// Push is off: no channel.
    #[error("cannot {action}: push notifications are off; turn them on in the settings")]
    PushOff {
        /// What was attempted.
        action: &'static str,
    },
    /// A number image outside the panel's list.
    #[error("number {number} is out of range 0..={}", NUMBER_IMAGES - 1)]
    NumberOutOfRange {
        /// The number asked for.
        number: u8,
    },
    /// The service could not be reached or answered something unreadable.
    #[error("{call}: {message}")]
    Http {
        /// The call.
        call: &'static str,
        /// Why.
        message: String,
    },
    /// The service refused.
    #[error("{call}: the service answered {status}: {message}")]
    Service {
        /// The call.
        call: &'static str,
        /// The HTTP status.
        status: u16,
        /// The service's message.
        message: String,
    },
    /// The tile schedule could not start.
    #[error("tile schedule: {0}")]
    Schedule(String),
}

impl From<PhoneError> for AppError {
    fn from(e: PhoneError) -> Self {
        AppError::Phone(e)
    }
}

/// The app's state.
#[derive(Debug)]
struct Model {
    // persisted ("isolated storage")
    settings: Settings,
    user_name: Option<String>,
    show_ask_again: bool,
    loaded_once: bool,
    // one run
    screen: Screen,
    inbox: Vec<String>,
    server_info: Option<ServerInfo>,
    prompt: Option<Prompt>,
    registered_uri: Option<String>,
    selected: u8,
    // counters for tests
    registrations: u32,
    prompts_shown: u32,
    errors: Vec<String>,
}

struct Inner {
    app: App,
    base: String,
    http: reqwest::Client,
    model: Mutex<Model>,
    /// Held from opening a channel until its URI is registered, so that the event task does not
    /// register the same URI a second time meanwhile.
    registering: tokio::sync::Mutex<()>,
    /// The event position the task has fully handled.
    processed: watch::Sender<usize>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = lock(&self.task).take() {
            t.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.locked()
}

/// The Push Patterns app on one phone: a handle (cloning shares it).
///
/// ```no_run
/// # async fn demo(world: &mpns_harness::World, service_url: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use mpns_harness::apps::{PushPatterns, Settings};
///
/// let phone = world.add_phone("lumia", "8.0")?;
/// let app = PushPatterns::install(&phone, service_url)?;
/// app.pin()?;
/// app.launch().await?;                    // first launch: the settings screen
/// app.set_settings(Settings::all_on()).await?;
/// app.login("ann").await?;                // opens the channel, binds it, registers
/// world.settle().await;
/// app.settle().await;
/// println!("{}", app.render_text());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PushPatterns {
    inner: Arc<Inner>,
}

impl fmt::Debug for PushPatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushPatterns")
            .field("phone", &self.inner.app.phone().name())
            .field("service", &self.inner.base)
            .finish_non_exhaustive()
    }
}

/// Which schedule call [`PushPatterns::schedule_backend`] makes.
enum ScheduleOp {
    Start(ShellTileSchedule),
    Stop,
    Status,
    Settled,
}

impl PushPatterns {
    /// Installs the app on `phone` (not running, tile not pinned) and starts its event task.
    /// `service_url` is the registration service's base URL (`http://127.0.0.1:8000`).
    ///
    /// # Errors
    /// [`AppError::Phone`] if the app is already installed; [`AppError::Http`] for a base URL
    /// that is not an absolute http(s) URL.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn install(phone: &Phone, service_url: &str) -> Result<PushPatterns, AppError> {
        let base = service_url.trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(AppError::Http {
                    call: "install",
                    message: format!(
                        "service URL {base:?} is not an absolute http(s) URL such as http://127.0.0.1:8000"
                    ),
                })
            }
        }
        let app = phone.install(APP_NAME)?;
        let http = crate::phone::http::http_client(Some(WAIT_LIMIT));
        let events = phone.events();
        let (processed, _) = watch::channel(events.position());
        let inner = Arc::new(Inner {
            app,
            base,
            http,
            model: Mutex::new(Model {
                settings: Settings::default(),
                user_name: None,
                show_ask_again: true,
                loaded_once: false,
                screen: Screen::NotRunning,
                inbox: Vec::new(),
                server_info: None,
                prompt: None,
                registered_uri: None,
                selected: 0,
                registrations: 0,
                prompts_shown: 0,
                errors: Vec::new(),
            }),
            registering: tokio::sync::Mutex::new(()),
            processed,
            task: Mutex::new(None),
        });
        let task = tokio::spawn(run(Arc::downgrade(&inner), events));
        *lock(&inner.task) = Some(task);
        Ok(PushPatterns { inner })
    }

    fn model(&self) -> MutexGuard<'_, Model> {
        lock(&self.inner.model)
    }

    /// The phone app underneath (channel, shell, raw inbox as the phone saw it).
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// The service's base URL.
    pub fn service_url(&self) -> &str {
        &self.inner.base
    }

    /// The user pins the primary tile: the Flip template on 8.0 and later, the standard tile on
    /// 7.x, with the manifest's image and title ("Push Patterns").
    ///
    /// # Errors
    /// [`AppError::Phone`] if the shell refuses (already pinned).
    pub fn pin(&self) -> Result<(), AppError> {
        let template = if self.inner.app.phone().os() >= OsVersion::Wp80 {
            Template::FlipTile
        } else {
            Template::Standard
        };
        self.inner.app.pin_primary(
            template,
            &[
                ("BackgroundImage", "/Background.png"),
                ("Title", "Push Patterns"),
            ],
        )?;
        Ok(())
    }

    /// Launches the app: the first launch shows the push settings, a launch without a saved
    /// user name the login; otherwise it logs in at once (which, with push on, opens or finds
    /// the channel and registers it).
    ///
    /// # Errors
    /// As [`login`](Self::login); the error is also kept in [`errors`](Self::errors).
    pub async fn launch(&self) -> Result<(), AppError> {
        self.inner.app.launch();
        let user = {
            let mut m = self.model();
            let first = !m.loaded_once;
            m.loaded_once = true;
            m.screen = match (&m.user_name, first) {
                (_, true) => Screen::PushSettings,
                (None, false) => Screen::Login,
                (Some(_), false) => Screen::Inbox,
            };
            if first {
                None
            } else {
                m.user_name.clone()
            }
        };
        match user {
            Some(user) => self.login(&user).await,
            None => Ok(()),
        }
    }

    /// The user presses Start: the app goes to the background (raw no longer reaches it).
    ///
    /// # Errors
    /// [`AppError::Phone`] if it is not running.
    pub fn send_to_background(&self) -> Result<(), AppError> {
        self.inner.app.send_to_background()?;
        Ok(())
    }

    /// Closes the app (its channel stays open while bound to tile or toast). The inbox, the
    /// server info and an open prompt are gone; settings and the user name stay.
    pub fn close(&self) {
        self.inner.app.close();
        let mut m = self.model();
        m.screen = Screen::NotRunning;
        m.inbox.clear();
        m.server_info = None;
        m.prompt = None;
        m.registered_uri = None;
    }

    /// Logs in as `user` (saved for later launches): with push on, connects (opens or finds the
    /// channel, binds it as the settings say) and registers user name, channel URI and OS
    /// version; then reads the server info and shows the inbox.
    ///
    /// # Errors
    /// [`AppError::BadUserName`], [`AppError::NotRunning`], [`AppError::ChannelOpenFailed`],
    /// and the service's or the phone's refusal; the error is also kept in
    /// [`errors`](Self::errors).
    pub async fn login(&self, user: &str) -> Result<(), AppError> {
        let result = self.try_login(user).await;
        if let Err(e) = &result {
            self.model().errors.push(format!("Login: {e}"));
        }
        result
    }

    async fn try_login(&self, user: &str) -> Result<(), AppError> {
        if user.trim().is_empty() {
            return Err(AppError::BadUserName);
        }
        self.require_running("log in")?;
        let push = {
            let mut m = self.model();
            m.user_name = Some(user.to_owned());
            m.settings.push
        };
        if push {
            self.connect().await?;
        }
        self.refresh_server_info().await?;
        self.model().screen = Screen::Inbox;
        Ok(())
    }

    fn require_running(&self, action: &'static str) -> Result<(), AppError> {
        if self.inner.app.state() == AppState::NotRunning {
            return Err(AppError::NotRunning { action });
        }
        Ok(())
    }

    /// Opens (or finds) the channel, binds it, and registers its URI.
    async fn connect(&self) -> Result<(), AppError> {
        let _guard = self.inner.registering.lock().await;
        let app = &self.inner.app;
        if app.find_channel(CHANNEL_NAME).is_none() {
            app.open_channel(CHANNEL_NAME)?;
        }
        let Some(channel) = app.find_channel(CHANNEL_NAME) else {
            return Err(AppError::ChannelOpenFailed);
        };
        self.update_bindings()?;
        self.register(&channel.uri).await
    }

    /// Binds or unbinds tile and toast as the settings say (push off unbinds both).
    fn update_bindings(&self) -> Result<(), AppError> {
        let app = &self.inner.app;
        let Some(channel) = app.find_channel(CHANNEL_NAME) else {
            return Ok(());
        };
        let s = self.model().settings;
        let want_tile = s.push && s.tile;
        let want_toast = s.push && s.toast;
        match (want_tile, channel.tile_binding.is_some()) {
            (true, false) => app.bind_tile_with([format!("{}/", self.inner.base)])?,
            (false, true) => app.unbind_tile()?,
            _ => {}
        }
        match (want_toast, channel.toast_bound) {
            (true, false) => app.bind_toast()?,
            (false, true) => app.unbind_toast()?,
            _ => {}
        }
        Ok(())
    }

    /// `POST /api/registrations`; call with `registering` held.
    async fn register(&self, uri: &str) -> Result<(), AppError> {
        let user = self
            .model()
            .user_name
            .clone()
            .ok_or(AppError::NotLoggedIn { action: "register" })?;
        let body = serde_json::json!({
            "user_name": user,
            "channel_uri": uri,
            "os_version": self.inner.app.phone().os().as_str(),
        });
        self.call(
            "Register",
            self.inner
                .http
                .post(format!("{}/api/registrations", self.inner.base))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await?;
        let mut m = self.model();
        m.registered_uri = Some(uri.to_owned());
        m.registrations += 1;
        Ok(())
    }

    /// Sends a request; a non-2xx answer is [`AppError::Service`] with the service's message.
    async fn call(
        &self,
        call: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, AppError> {
        let http = |e: reqwest::Error| AppError::Http {
            call,
            message: e.to_string(),
        };
        let response = request.send().await.map_err(http)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(http)?;
        let value: serde_json::Value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| AppError::Http {
                call,
                message: format!("the answer is not JSON ({e})"),
            })?
        };
        if !(200..300).contains(&status) {
            let message = value["error"]["message"]
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            return Err(AppError::Service {
                call,
                status,
                message,
            });
        }
        Ok(value)
    }

    /// `GET /api/server-info?user=`: the active pattern and the user's counter, shown in the
    /// inbox (and deciding whether the schedule panel shows).
    ///
    /// # Errors
    /// [`AppError::Http`] or [`AppError::Service`].
    pub async fn refresh_server_info(&self) -> Result<ServerInfo, AppError> {
        let mut url = reqwest::Url::parse(&format!("{}/api/server-info", self.inner.base))
            .map_err(|e| AppError::Http {
                call: "GetServerInfo",
                message: e.to_string(),
            })?;
        if let Some(user) = self.model().user_name.clone() {
            url.query_pairs_mut().append_pair("user", &user);
        }
        let value = self.call("GetServerInfo", self.inner.http.get(url)).await?;
        let info = ServerInfo {
            push_pattern: value["push_pattern"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            counter: value["counter"].as_i64().unwrap_or_default(),
        };
        self.model().server_info = Some(info.clone());
        Ok(info)
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.model().settings
    }

    /// Changes the settings (kept across launches). While the app runs: tile and toast are bound
    /// or unbound at once; push turned on connects and registers (when logged in); push turned
    /// off unbinds, closes the channel and unregisters.
    ///
    /// # Errors
    /// The phone's or the service's refusal; the settings are changed anyway (as a toggle
    /// switch would be) and the error is kept in [`errors`](Self::errors).
    pub async fn set_settings(&self, settings: Settings) -> Result<(), AppError> {
        let (was, user) = {
            let mut m = self.model();
            let was = m.settings;
            m.settings = settings;
            (was, m.user_name.clone())
        };
        if self.inner.app.state() == AppState::NotRunning {
            return Ok(());
        }
        let result = match (was.push, settings.push, user) {
            (false, true, Some(_)) => self.connect().await,
            (true, false, user) => self.disconnect(user).await,
            _ => self.update_bindings(),
        };
        if let Err(e) = &result {
            self.model().errors.push(format!("Settings: {e}"));
        }
        result
    }

    /// Unbinds, closes the channel and unregisters the user.
    async fn disconnect(&self, user: Option<String>) -> Result<(), AppError> {
        let _guard = self.inner.registering.lock().await;
        let app = &self.inner.app;
        if app.find_channel(CHANNEL_NAME).is_some() {
            self.update_bindings()?;
            app.close_channel()?;
        }
        self.model().registered_uri = None;
        let Some(user) = user else { return Ok(()) };
        let mut url = reqwest::Url::parse(&format!("{}/api/registrations", self.inner.base))
            .map_err(|e| AppError::Http {
                call: "Unregister",
                message: e.to_string(),
            })?;
        url.path_segments_mut()
            .map_err(|()| AppError::Http {
                call: "Unregister",
                message: "the service URL cannot take a path".into(),
            })?
            .push(&user);
        match self.call("Unregister", self.inner.http.delete(url)).await {
            // Not registered (pruned, or never): nothing to undo.
            Ok(_) | Err(AppError::Service { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The saved user name.
    pub fn user_name(&self) -> Option<String> {
        self.model().user_name.clone()
    }

    /// The view shown.
    pub fn screen(&self) -> Screen {
        self.model().screen
    }

    /// "Raw Messages (last on top)".
    pub fn inbox(&self) -> Vec<String> {
        self.model().inbox.clone()
    }

    /// The server info last read.
    pub fn server_info(&self) -> Option<ServerInfo> {
        self.model().server_info.clone()
    }

    /// The AskToPin popup, while shown.
    pub fn prompt(&self) -> Option<Prompt> {
        self.model().prompt.clone()
    }

    /// The user presses OK on the popup, with "Show this message again" checked or not (kept
    /// across launches). Returns whether a popup was shown.
    pub fn dismiss_prompt(&self, show_again: bool) -> bool {
        let mut m = self.model();
        let shown = m.prompt.take().is_some();
        if shown {
            m.show_ask_again = show_again;
        }
        shown
    }

    /// Whether the AskToPin popup will show (the stored "Show this message again").
    pub fn shows_ask_to_pin(&self) -> bool {
        self.model().show_ask_again
    }

    /// How many times the AskToPin popup was shown.
    pub fn prompts_shown(&self) -> u32 {
        self.model().prompts_shown
    }

    /// How many registrations the service accepted from this app.
    pub fn registrations(&self) -> u32 {
        self.model().registrations
    }

    /// The errors the recipe showed in message boxes ("Login: ...", "Error: ...").
    pub fn errors(&self) -> Vec<String> {
        self.model().errors.clone()
    }

    /// Whether the schedule panel shows: the server's active pattern is Tile Schedule.
    pub fn shows_schedule_panel(&self) -> bool {
        self.model()
            .server_info
            .as_ref()
            .is_some_and(|i| i.push_pattern == TILE_SCHEDULE)
    }

    /// The number selected in the schedule panel's list (0 at first).
    pub fn selected_number(&self) -> u8 {
        self.model().selected
    }

    /// Selects `number<n>.png` in the schedule panel's list.
    ///
    /// # Errors
    /// [`AppError::NumberOutOfRange`] outside `0..=9`.
    pub fn select_number(&self, n: u8) -> Result<(), AppError> {
        if n >= NUMBER_IMAGES {
            return Err(AppError::NumberOutOfRange { number: n });
        }
        self.model().selected = n;
        Ok(())
    }

    /// The URL of a number image on the service.
    pub fn number_image_url(&self, n: u8) -> String {
        format!("{}/images/numbers/{n}.png", self.inner.base)
    }

    /// "Schedule": starts an hourly `ShellTileSchedule` on the primary tile (from now,
    /// indefinitely) pointing at the selected number image. Like "Test Now" it can be called
    /// whether the panel shows or not (the service answers "Test Now" only while Tile Schedule is
    /// active).
    ///
    /// # Errors
    /// [`AppError::NotRunning`], or the schedule's refusal.
    pub async fn schedule(&self) -> Result<(), AppError> {
        self.require_running("schedule the tile")?;
        let url = self.number_image_url(self.selected_number());
        self.schedule_backend(ScheduleOp::Start(ShellTileSchedule::new(url)))
            .await
            .map(|_| ())
    }

    /// Stops the tile schedule (nothing if none runs).
    pub async fn stop_schedule(&self) {
        let _ = self.schedule_backend(ScheduleOp::Stop).await;
    }

    /// What the tile schedule has done, if one was started.
    pub async fn schedule_status(&self) -> Option<ScheduleStatus> {
        self.schedule_backend(ScheduleOp::Status)
            .await
            .ok()
            .flatten()
    }

    /// "Test Now": `POST /api/tile-update` with the selected number; the service sends the tile
    /// (while Tile Schedule is active). Returns the image URI the service named.
    ///
    /// # Errors
    /// [`AppError::NotLoggedIn`], [`AppError::NotRunning`], [`AppError::Service`] (e.g. 404
    /// when the user is not registered).
    pub async fn test_now(&self) -> Result<String, AppError> {
        self.require_running("test the tile now")?;
        let (user, number) = {
            let m = self.model();
            (m.user_name.clone(), m.selected)
        };
        let user = user.ok_or(AppError::NotLoggedIn {
            action: "test the tile now",
        })?;
        let body = serde_json::json!({ "user_name": user, "number": number });
        let value = self
            .call(
                "UpdateTile",
                self.inner
                    .http
                    .post(format!("{}/api/tile-update", self.inner.base))
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
            .await?;
        Ok(value["image_uri"].as_str().unwrap_or_default().to_owned())
    }

    /// The only code that touches tile schedules: the app's one schedule, on its primary tile.
    async fn schedule_backend(&self, op: ScheduleOp) -> Result<Option<ScheduleStatus>, AppError> {
        let app = &self.inner.app;
        match op {
            ScheduleOp::Start(settings) => app
                .start_tile_schedule(settings)
                .map(|()| None)
                .map_err(AppError::Phone),
            ScheduleOp::Stop => {
                app.stop_tile_schedule(&TileKey::Primary);
                Ok(None)
            }
            ScheduleOp::Status => Ok(app.tile_schedule(&TileKey::Primary)),
            ScheduleOp::Settled => {
                // The phone settles its schedules with its deliveries.
                app.phone().settle().await;
                Ok(None)
            }
        }
    }

    /// Returns once the app's task has handled every event the phone raised before the call
    /// (inbox, prompt, server info refresh, re-registration done). Call after the World
    /// settled.
    ///
    /// # Panics
    /// After 10 s of wall-clock time (a service that does not answer).
    pub async fn settle(&self) {
        let target = self.inner.app.phone().events().position();
        let mut rx = self.inner.processed.subscribe();
        let stopped = lock(&self.inner.task)
            .as_ref()
            .is_none_or(JoinHandle::is_finished);
        if !stopped {
            let waited = tokio::time::timeout(WAIT_LIMIT, rx.wait_for(|&p| p >= target)).await;
            if waited.is_err() {
                let handled = *self.inner.processed.borrow();
                panic!(
                    "Push Patterns on '{}' did not handle its events within {} s (handled up to {}, waiting for {target}); is the service answering?",
                    self.inner.app.phone().name(),
                    WAIT_LIMIT.as_secs(),
                    handled
                );
            }
        }
        let _ = self.schedule_backend(ScheduleOp::Settled).await;
    }

    /// Stops the app's event task (raw messages are no longer handled). Dropping the last handle
    /// stops it too.
    pub fn stop(&self) {
        if let Some(t) = lock(&self.inner.task).take() {
            t.abort();
        }
    }

    /// Handles one phone event (the task's work).
    async fn handle(&self, event: PhoneEvent) {
        if event.app() != APP_NAME || self.inner.app.state() != AppState::Foreground {
            // Another app's, or this app is not running its code (suspended or closed).
            return;
        }
        match event {
            PhoneEvent::HttpNotificationReceived { body, .. } => {
                let refresh = {
                    let mut m = self.model();
                    if !(m.settings.push && m.settings.raw) {
                        false
                    } else {
                        m.inbox
                            .insert(0, String::from_utf8_lossy(&body).into_owned());
                        if body.as_ref() == ASK_TO_PIN.as_bytes()
                            && m.show_ask_again
                            && m.prompt.is_none()
                        {
                            m.prompt = Some(Prompt {
                                title: "Important",
                                text: ASK_TO_PIN_TEXT,
                                show_again: true,
                            });
                            m.prompts_shown += 1;
                        }
                        true
                    }
                };
                if refresh {
                    if let Err(e) = self.refresh_server_info().await {
                        self.model().errors.push(format!("Error: {e}"));
                    }
                }
            }
            PhoneEvent::ChannelUriUpdated { uri, .. } => {
                let _guard = self.inner.registering.lock().await;
                let needed = {
                    let m = self.model();
                    m.settings.push
                        && m.user_name.is_some()
                        && m.registered_uri.is_some()
                        && m.registered_uri.as_deref() != Some(uri.as_str())
                };
                if needed {
                    if let Err(e) = self.register(&uri).await {
                        self.model().errors.push(format!("Error: {e}"));
                    }
                }
            }
            _ => {}
        }
    }

    /// The app's screen as stable text (service URL shown as `<service>`), for snapshots.
    pub fn render_text(&self) -> String {
        let m = self.model();
        let on = |b: bool| if b { "on" } else { "off" };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Push Patterns on {:?} · screen {:?} · user {}",
            self.inner.app.phone().name(),
            m.screen,
            m.user_name
                .as_deref()
                .map_or_else(|| "(none)".to_owned(), |u| format!("{u:?}"))
        );
        let s = m.settings;
        let _ = writeln!(
            out,
            "settings: push {}, tile {}, toast {}, raw {} · show AskToPin again: {}",
            on(s.push),
            on(s.tile),
            on(s.toast),
            on(s.raw),
            if m.show_ask_again { "yes" } else { "no" }
        );
        let _ = writeln!(
            out,
            "registered: {} · registrations accepted: {}",
            if m.registered_uri.is_some() {
                "yes"
            } else {
                "no"
            },
            m.registrations
        );
        match &m.server_info {
            Some(i) => {
                let _ = writeln!(
                    out,
                    "active push pattern: {} · counter: {}",
                    i.push_pattern, i.counter
                );
            }
            None => {
                let _ = writeln!(out, "active push pattern: (not read)");
            }
        }
        match &m.prompt {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "popup {:?}: {:?} [{}] Show this message again",
                    p.title,
                    p.text,
                    if p.show_again { "x" } else { " " }
                );
            }
            None => {
                let _ = writeln!(out, "popup: none (shown {} time(s))", m.prompts_shown);
            }
        }
        let _ = writeln!(out, "raw messages (last on top): {}", m.inbox.len());
        for r in &m.inbox {
            let _ = writeln!(out, "  {r:?}");
        }
        if m.server_info
            .as_ref()
            .is_some_and(|i| i.push_pattern == TILE_SCHEDULE)
        {
            let _ = writeln!(
                out,
                "schedule panel: number0.png..number{}.png, selected number{}.png",
                NUMBER_IMAGES - 1,
                m.selected
            );
        }
        let _ = writeln!(out, "errors: {}", m.errors.len());
        for e in &m.errors {
            let _ = writeln!(out, "  {e}");
        }
        out.replace(&self.inner.base, "<service>")
    }
}

/// The app's event task: handles every event of the phone from the app's install on, in order,
/// and publishes how far it got. Ends when the app is dropped.
async fn run(app: Weak<Inner>, mut events: EventStream) {
    loop {
        // `next` fails a test after 10 s without events; a quiet phone is normal here, so wait
        // in shorter turns (a turn that ends without an event consumes nothing).
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .ok();
        let Some(inner) = app.upgrade() else { return };
        let position = events.position();
        if let Some(event) = event {
            PushPatterns { inner }.handle(event).await;
            let Some(inner) = app.upgrade() else { return };
            inner.processed.send_replace(position);
        } else {
            inner.processed.send_replace(position);
        }
    }
}
