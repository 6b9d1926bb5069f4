//! The console's JSON contract: what `console.js` (and the sandbox tests) read from the
//! console's routes, as types. A field renamed here is a field renamed in the browser, so the
//! shapes live in one place instead of in `json!` calls spread over the handlers.

use serde::Serialize;

use crate::registration::TileRequest;
use mpns_harness::fake::FaultStatus;

/// `GET /console/api/state`: the whole page.
#[derive(Debug, Serialize)]
pub(super) struct ConsoleState {
    /// The simulated clock, in milliseconds since the Unix epoch.
    pub(super) now_ms: u64,
    /// How far the operator has advanced the clock.
    pub(super) advanced_seconds: u64,
    /// The fake MPNS's base URL.
    pub(super) fake: String,
    /// The registration service's base URL.
    pub(super) service: String,
    pub(super) phones: Vec<PhoneView>,
    /// The Windows PC (WNS), when it started.
    pub(super) windows: Vec<WindowsView>,
    /// The fake's fault rules.
    pub(super) faults: Vec<FaultStatus>,
    /// The last five "Test Now" requests, newest first; `null` before the patterns run.
    pub(super) tile_requests: Option<Vec<TileRequest>>,
}

/// One emulated phone, as drawn: also the answer to a phone action.
#[derive(Debug, Serialize)]
pub(super) struct PhoneView {
    pub(super) name: String,
    /// The user its app logs in as.
    pub(super) user: String,
    /// `7.0`, `7.1`, `8.0`…
    pub(super) os: &'static str,
    /// What the sandbox set it up as ("app closed, tile pinned"…).
    pub(super) situation: &'static str,
    /// `Connected`, `TempDisconnected`, `Disconnected` or `Inactive`.
    pub(super) connection: String,
    /// `Normal`, `Low` or `CriticalLow`.
    pub(super) power: String,
    /// `closed`, `background` or `foreground`.
    pub(super) app_state: &'static str,
    /// Whether the primary tile is pinned (then `tile` is set).
    pub(super) pinned: bool,
    pub(super) tile: Option<TileView>,
    pub(super) channel: Option<ChannelView>,
    /// The last toast shown.
    pub(super) toast: Option<ToastView>,
    /// How many toasts were shown.
    pub(super) toasts: usize,
    /// The app's last 20 raw notifications, newest first.
    pub(super) inbox: Vec<RawView>,
    /// The Push Patterns app's AskToPin popup, while it is on the screen.
    pub(super) prompt: Option<PromptView>,
    /// The phone's last 8 events, newest first, described.
    pub(super) events: Vec<String>,
    /// The phone's screen.
    pub(super) svg: String,
}

/// The Windows PC, as drawn.
#[derive(Debug, Serialize)]
pub(super) struct WindowsView {
    pub(super) name: String,
    /// The user its app registered as.
    pub(super) user: String,
    /// `Windows 11`.
    pub(super) os: &'static str,
    /// The app's WNS channel, as registered with the service.
    pub(super) channel: String,
    /// The app's badge ("7", "99+", a glyph), if one shows.
    pub(super) badge: Option<String>,
    /// The app's toasts in the notification center, newest first, as text.
    pub(super) toasts: Vec<String>,
    /// Raw notifications the app's background task received, newest first, as text.
    pub(super) raws: Vec<String>,
    /// The device's last 8 events, newest first, described.
    pub(super) events: Vec<String>,
    /// The device's screen.
    pub(super) svg: String,
}

/// The primary tile.
#[derive(Debug, Serialize)]
pub(super) struct TileView {
    pub(super) count: u64,
    pub(super) badge: Option<u8>,
    pub(super) title: Option<String>,
    pub(super) background_image: Option<String>,
}

/// The app's push channel.
#[derive(Debug, Serialize)]
pub(super) struct ChannelView {
    pub(super) name: String,
    pub(super) uri: String,
    pub(super) toast_bound: bool,
    pub(super) tile_bound: bool,
}

/// A toast as shown.
#[derive(Debug, Serialize)]
pub(super) struct ToastView {
    pub(super) text1: String,
    pub(super) text2: String,
    pub(super) param: Option<String>,
}

/// A raw notification in the app's inbox.
#[derive(Debug, Serialize)]
pub(super) struct RawView {
    /// When it arrived, in the phone's milliseconds.
    pub(super) at_ms: u64,
    /// Its body, as UTF-8 (invalid bytes replaced).
    pub(super) text: String,
}

/// The AskToPin popup.
#[derive(Debug, Serialize)]
pub(super) struct PromptView {
    pub(super) title: &'static str,
    pub(super) text: &'static str,
    pub(super) show_again: bool,
}

/// `POST /console/api/faults`: the rule added.
#[derive(Debug, Serialize)]
pub(super) struct FaultAdded {
    pub(super) id: u64,
    pub(super) count: u64,
}

/// `POST /console/api/clock/advance`: the clock after the jump.
#[derive(Debug, Serialize)]
pub(super) struct ClockView {
    pub(super) now_ms: u64,
    pub(super) advanced_seconds: u64,
}

/// A refusal, `{"error": {"code", "field", "message"}}`, the service's shape.
#[derive(Debug, Serialize)]
pub(super) struct ErrorBody {
    pub(super) error: ErrorView,
}

/// What was refused: `code` is always `invalid` here.
#[derive(Debug, Serialize)]
pub(super) struct ErrorView {
    pub(super) code: &'static str,
    pub(super) field: String,
    pub(super) message: String,
}
