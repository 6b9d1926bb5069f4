//! What becomes of a notification that reaches the phone, by app state, channel bindings and
//! battery (docs/mpns-protocol.md §6.3, §6.4, §9.2), as one pure function the push client consults.

/// Where the app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppState {
    /// Not running (never started, or closed).
    NotRunning,
    /// Running but not visible (dormant/suspended).
    Background,
    /// On screen.
    Foreground,
}

/// The Push Client's power policy (`ChannelPowerLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerLevel {
    /// `NormalPowerLevel`: everything is delivered.
    Normal,
    /// `LowPowerLevel`: raw only.
    Low,
    /// `CriticalLowPowerLevel`: nothing.
    CriticalLow,
}

/// What arrived, with what the decision needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Incoming {
    /// A toast.
    Toast,
    /// A tile update; `pinned` tells whether the tile it targets (primary or the secondary
    /// with that `Id`) is on the start screen.
    Tile {
        /// Whether the target tile is pinned.
        pinned: bool,
    },
    /// A raw notification.
    Raw,
}

/// How the app's channel is bound to the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bindings {
    /// `BindToShellToast()` was called.
    pub toast: bool,
    /// `BindToShellTile(...)` was called.
    pub tile: bool,
}

/// Why something was not shown or delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    /// Battery low: only raw gets through.
    LowPower,
    /// Battery critically low: nothing gets through.
    CriticalLowPower,
    /// The channel is not bound to shell toasts.
    ToastNotBound,
    /// The channel is not bound to the shell tile.
    TileNotBound,
    /// The targeted tile is not pinned.
    TileNotPinned,
    /// Raw for an app that is not running.
    AppNotRunning,
    /// Raw for an app in the background (suspended apps get no events).
    AppInBackground,
}

/// The fate of one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryFate {
    /// The toast goes to the tray (and pops up at the top of the screen).
    ShownInTray,
    /// The app is in the foreground: no toast is shown; `ShellToastNotificationReceived` is
    /// raised instead (and the toast is lost if the app has no handler).
    ToastEvent,
    /// The running app gets `HttpNotificationReceived`.
    RawDelivered,
    /// The shell updates the tile.
    TileUpdated,
    /// Suppressed by the channel's policy: not bound, not pinned, or battery. MPNS answers
    /// `X-NotificationStatus: Suppressed` for these.
    Suppressed(Why),
    /// Raw thrown away because no running app can take it (MPNS still answered Received).
    Discarded(Why),
}

/// Decides what the phone does with `incoming` (docs/mpns-protocol.md §6.3/§6.4):
///
/// 1. Battery first: `CriticalLow` suppresses everything, `Low` everything but raw.
/// 2. Toast: suppressed unless bound to shell toasts; then shown in the tray unless the app is in
///    the foreground, where it raises `ShellToastNotificationReceived` instead (pre-GDR3
///    behaviour; the obscured-foreground case of GDR3 is not modelled).
/// 3. Tile: suppressed unless bound to the shell tile and the target tile is pinned; then
///    updated whatever the app is doing (apps cannot intercept tiles).
/// 4. Raw: needs no binding; delivered only to an app in the foreground. An app in the
///    background is suspended on Windows Phone, so raw is discarded as for a closed app
///    (docs/mpns-protocol.md §6.4 says "not delivered" for background; marked unconfirmed there).
///
/// ```
/// use mpns_harness::phone::{decide, AppState, Bindings, DeliveryFate, Incoming, PowerLevel, Why};
///
/// let bound = Bindings { toast: true, tile: true };
/// assert_eq!(decide(Incoming::Toast, AppState::NotRunning, PowerLevel::Normal, bound), DeliveryFate::ShownInTray);
/// assert_eq!(decide(Incoming::Toast, AppState::Foreground, PowerLevel::Normal, bound), DeliveryFate::ToastEvent);
/// assert_eq!(decide(Incoming::Raw, AppState::Foreground, PowerLevel::Low, bound), DeliveryFate::RawDelivered);
/// assert_eq!(
///     decide(Incoming::Tile { pinned: true }, AppState::Background, PowerLevel::Low, bound),
///     DeliveryFate::Suppressed(Why::LowPower)
/// );
/// ```
pub fn decide(
    incoming: Incoming,
    app: AppState,
    power: PowerLevel,
    bindings: Bindings,
) -> DeliveryFate {
    match (power, incoming) {
        (PowerLevel::CriticalLow, _) => return DeliveryFate::Suppressed(Why::CriticalLowPower),
        (PowerLevel::Low, Incoming::Toast | Incoming::Tile { .. }) => {
            return DeliveryFate::Suppressed(Why::LowPower)
        }
        _ => {}
    }
    match incoming {
        Incoming::Toast if !bindings.toast => DeliveryFate::Suppressed(Why::ToastNotBound),
        Incoming::Toast if app == AppState::Foreground => DeliveryFate::ToastEvent,
        Incoming::Toast => DeliveryFate::ShownInTray,
        Incoming::Tile { .. } if !bindings.tile => DeliveryFate::Suppressed(Why::TileNotBound),
        Incoming::Tile { pinned: false } => DeliveryFate::Suppressed(Why::TileNotPinned),
        Incoming::Tile { pinned: true } => DeliveryFate::TileUpdated,
        Incoming::Raw => match app {
            AppState::Foreground => DeliveryFate::RawDelivered,
            AppState::Background => DeliveryFate::Discarded(Why::AppInBackground),
            AppState::NotRunning => DeliveryFate::Discarded(Why::AppNotRunning),
        },
    }
}
