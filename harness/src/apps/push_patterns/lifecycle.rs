//! Installing, pinning, launching and closing the app, and what a test reads off its screens.
//! Talking to the service, the tile schedule, the event task and the rendering live in their
//! own files.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::app::{Inner, PushPatterns};
use super::error::AppError;
use super::events::run;
use super::model::{Model, Prompt, Screen, ServerInfo, Settings};
use super::{APP_NAME, NUMBER_IMAGES, TILE_SCHEDULE, WAIT_LIMIT};
use crate::lock::MutexExt;
use crate::phone::{App, OsVersion, Phone};
use crate::protocol::Template;

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
        *inner.task.locked() = Some(task);
        Ok(PushPatterns { inner })
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

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.model().settings
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
}
