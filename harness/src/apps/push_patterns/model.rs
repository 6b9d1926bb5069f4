//! What the app shows and keeps: its settings, screens, server info and prompt (public values),
//! and the model behind one lock that the handle and the event task share.

/// The push settings (docs/push-recipe.md §4.6). Push is off by default, the others on.
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

/// Which view the app shows (docs/push-recipe.md §4.3).
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

/// The AskToPin popup (docs/push-recipe.md §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// "Important".
    pub title: &'static str,
    /// [`ASK_TO_PIN_TEXT`](super::ASK_TO_PIN_TEXT).
    pub text: &'static str,
    /// The "Show this message again" check-box, as shown.
    pub show_again: bool,
}

/// The app's state.
#[derive(Debug)]
pub(super) struct Model {
    // persisted ("isolated storage")
    pub(super) settings: Settings,
    pub(super) user_name: Option<String>,
    pub(super) show_ask_again: bool,
    pub(super) loaded_once: bool,
    // one run
    pub(super) screen: Screen,
    pub(super) inbox: Vec<String>,
    pub(super) server_info: Option<ServerInfo>,
    pub(super) prompt: Option<Prompt>,
    pub(super) registered_uri: Option<String>,
    pub(super) selected: u8,
    // counters for tests
    pub(super) registrations: u32,
    pub(super) prompts_shown: u32,
    pub(super) errors: Vec<String>,
}
