//! The device's state and the rules that turn a delivery into an outcome.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::payload::{check_root, parse, read_badge, read_tile, read_toast, TileView, ToastView};
use super::{
    AppState, Delivery, DeviceEvent, DeviceOutcome, DropReason, EventLog, PowerState,
    WindowsVersion, WnsKind,
};

/// Most toasts the notification center keeps per app.
const CENTER_PER_APP: usize = 20;

#[derive(Debug, Clone)]
struct AppInfo {
    state: AppState,
    background_task: bool,
    exempt: bool,
    secondary_tiles: Vec<String>,
    raw_received: Vec<Vec<u8>>,
    raw_to_task: Vec<Vec<u8>>,
}

/// A toast in the notification center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CenterToast {
    pub(crate) app: String,
    pub(crate) tag: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) view: ToastView,
    pub(crate) at: SystemTime,
}

/// An emulated Windows 10 or 11 device: see the [module](crate::windows) for its rules.
///
/// ```
/// use std::time::SystemTime;
/// use mpns_harness::windows::{AppState, Delivery, DeviceOutcome, WindowsDevice, WindowsVersion, WnsKind};
///
/// let mut pc = WindowsDevice::new("ann-pc", WindowsVersion::Windows11);
/// pc.install("contoso.chat");
/// let now = SystemTime::UNIX_EPOCH;
/// let toast = br#"<toast><visual><binding template="ToastGeneric"><text>Ann</text><text>Lunch?</text></binding></visual></toast>"#;
/// assert_eq!(pc.deliver("contoso.chat", Delivery::new(WnsKind::Toast, &toast[..]), now), DeviceOutcome::Toast { replaced: false });
/// // Windows 11 has no live tiles: WNS took it, the device drops it.
/// let tile = br#"<tile><visual><binding template="TileMedium"><text>Hi</text></binding></visual></tile>"#;
/// assert!(matches!(pc.deliver("contoso.chat", Delivery::new(WnsKind::Tile, &tile[..]), now), DeviceOutcome::Dropped(_)));
/// assert!(pc.render_text().contains("Ann — Lunch?"));
/// ```
#[derive(Debug, Clone)]
pub struct WindowsDevice {
    name: String,
    version: WindowsVersion,
    power: PowerState,
    apps: BTreeMap<String, AppInfo>,
    center: Vec<CenterToast>,
    banner: Option<usize>,
    tiles: BTreeMap<(String, Option<String>), Vec<TileView>>,
    badges: BTreeMap<String, String>,
    held: Vec<(String, Delivery)>,
    log: Vec<DeviceEvent>,
}

impl WindowsDevice {
    /// A device with no apps, plugged in.
    pub fn new(name: impl Into<String>, version: WindowsVersion) -> WindowsDevice {
        WindowsDevice {
            name: name.into(),
            version,
            power: PowerState::PluggedIn,
            apps: BTreeMap::new(),
            center: Vec::new(),
            banner: None,
            tiles: BTreeMap::new(),
            badges: BTreeMap::new(),
            held: Vec::new(),
            log: Vec::new(),
        }
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which Windows.
    pub fn version(&self) -> WindowsVersion {
        self.version
    }

    /// Installs an app (not running, no background task); again, nothing changes.
    pub fn install(&mut self, app: &str) {
        self.apps.entry(app.to_owned()).or_insert(AppInfo {
            state: AppState::NotRunning,
            background_task: false,
            exempt: false,
            secondary_tiles: Vec::new(),
            raw_received: Vec::new(),
            raw_to_task: Vec::new(),
        });
    }

    fn app_mut(&mut self, app: &str) -> Option<&mut AppInfo> {
        self.apps.get_mut(app)
    }

    /// Moves an app to the foreground, background or closes it. Unknown apps are ignored.
    pub fn set_app_state(&mut self, app: &str, state: AppState) {
        if let Some(a) = self.app_mut(app) {
            a.state = state;
        }
    }

    /// Registers (or removes) the app's push background task.
    pub fn set_background_task(&mut self, app: &str, registered: bool) {
        if let Some(a) = self.app_mut(app) {
            a.background_task = registered;
        }
    }

    /// Pins a secondary tile of the app (its own channel takes tiles and badges).
    pub fn pin_secondary_tile(&mut self, app: &str, tile_id: &str) {
        if let Some(a) = self.app_mut(app) {
            if !a.secondary_tiles.iter().any(|t| t == tile_id) {
                a.secondary_tiles.push(tile_id.to_owned());
            }
        }
    }

    /// Exempts the app from battery limits (or not), then lets through what it frees.
    pub fn set_exempt(
        &mut self,
        app: &str,
        exempt: bool,
        now: SystemTime,
    ) -> Vec<(String, DeviceOutcome)> {
        if let Some(a) = self.app_mut(app) {
            a.exempt = exempt;
        }
        self.release(now)
    }

    /// Changes the power state, then lets through, oldest first, what now may go.
    pub fn set_power(
        &mut self,
        power: PowerState,
        now: SystemTime,
    ) -> Vec<(String, DeviceOutcome)> {
        self.power = power;
        self.release(now)
    }

    /// The power state.
    pub fn power(&self) -> PowerState {
        self.power
    }

    fn may_deliver(&self, app: &str, priority: u8) -> bool {
        let exempt = self.apps.get(app).is_some_and(|a| a.exempt);
        match self.power {
            PowerState::PluggedIn | PowerState::BatteryScreenOn => true,
            PowerState::BatteryScreenOff => priority == 1 || (exempt && priority < 4),
            PowerState::BatterySaver => exempt && priority < 4,
        }
    }

    fn release(&mut self, now: SystemTime) -> Vec<(String, DeviceOutcome)> {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::new();
        for (app, d) in held {
            if self.may_deliver(&app, d.priority()) {
                let outcome = self.apply(&app, d, now);
                out.push((app, outcome));
            } else {
                self.held.push((app, d));
            }
        }
        out
    }

    /// What WNS hands the device for `app`.
    pub fn deliver(&mut self, app: &str, delivery: Delivery, now: SystemTime) -> DeviceOutcome {
        if !self.apps.contains_key(app) {
            return self.dropped(app, now, DropReason::UnknownApp);
        }
        if !self.may_deliver(app, delivery.priority()) {
            self.event(
                now,
                EventLog::Platform,
                app,
                format!(
                    "{} (priority {}) held: {:?}",
                    delivery.kind.wns_type(),
                    delivery.priority(),
                    self.power
                ),
            );
            self.held.push((app.to_owned(), delivery));
            return DeviceOutcome::Held;
        }
        self.apply(app, delivery, now)
    }

    fn apply(&mut self, app: &str, d: Delivery, now: SystemTime) -> DeviceOutcome {
        if d.expires_at.is_some_and(|at| now >= at) {
            return self.dropped(app, now, DropReason::Expired);
        }
        if let Some(tile) = &d.secondary_tile {
            if matches!(d.kind, WnsKind::Toast | WnsKind::Raw) {
                return self.dropped(app, now, DropReason::NotForSecondaryTile);
            }
            let pinned = self.apps[app].secondary_tiles.iter().any(|t| t == tile);
            if !pinned {
                return self.dropped(app, now, DropReason::TileNotPinned);
            }
        }
        if d.kind == WnsKind::Raw {
            return self.raw(app, d.body, now);
        }
        let root = match parse(&d.body).and_then(|r| check_root(&r, d.kind).map(|()| r)) {
            Ok(root) => root,
            Err(reason) => return self.dropped(app, now, reason),
        };
        match d.kind {
            WnsKind::Toast => match read_toast(&root) {
                Ok(view) => self.toast(app, d.tag, d.group, view, now),
                Err(reason) => self.dropped(app, now, reason),
            },
            WnsKind::Tile => {
                if self.version == WindowsVersion::Windows11 {
                    return self.dropped(app, now, DropReason::NoLiveTiles);
                }
                match read_tile(&root) {
                    Ok(views) => {
                        self.event(now, EventLog::Shell, app, "tile updated".into());
                        self.tiles.insert((app.to_owned(), d.secondary_tile), views);
                        DeviceOutcome::TileUpdated
                    }
                    Err(reason) => self.dropped(app, now, reason),
                }
            }
            WnsKind::Badge => match read_badge(&root) {
                Ok(value) => {
                    let message = match &value {
                        Some(v) => format!("badge {v}"),
                        None => "badge cleared".to_owned(),
                    };
                    match value {
                        Some(v) => self.badges.insert(app.to_owned(), v),
                        None => self.badges.remove(app),
                    };
                    self.event(now, EventLog::Shell, app, message);
                    DeviceOutcome::BadgeUpdated
                }
                Err(reason) => self.dropped(app, now, reason),
            },
            WnsKind::Raw => unreachable!("raw is handled above"),
        }
    }

    fn raw(&mut self, app: &str, body: Vec<u8>, now: SystemTime) -> DeviceOutcome {
        if body.is_empty() {
            return self.dropped(app, now, DropReason::EmptyRaw);
        }
        let info = self.apps.get_mut(app).expect("checked by deliver");
        let n = body.len();
        if info.state == AppState::Foreground {
            info.raw_received.push(body);
            self.event(
                now,
                EventLog::Platform,
                app,
                format!("raw ({n} bytes) to the app"),
            );
            DeviceOutcome::RawToApp
        } else if info.background_task {
            info.raw_to_task.push(body);
            self.event(
                now,
                EventLog::Platform,
                app,
                format!("raw ({n} bytes) to the background task"),
            );
            DeviceOutcome::RawToBackgroundTask
        } else {
            self.dropped(app, now, DropReason::AppNotRunning)
        }
    }

    fn toast(
        &mut self,
        app: &str,
        tag: Option<String>,
        group: Option<String>,
        view: ToastView,
        now: SystemTime,
    ) -> DeviceOutcome {
        let entry = CenterToast {
            app: app.to_owned(),
            tag: tag.clone(),
            group: group.clone(),
            view,
            at: now,
        };
        let same =
            |t: &CenterToast| t.app == app && tag.is_some() && t.tag == tag && t.group == group;
        let replaced = match self.center.iter().position(same) {
            Some(i) => {
                self.center[i] = entry;
                self.banner = Some(i);
                true
            }
            None => {
                self.center.push(entry);
                let of_app: Vec<usize> = (0..self.center.len())
                    .filter(|&i| self.center[i].app == app)
                    .collect();
                if of_app.len() > CENTER_PER_APP {
                    self.center.remove(of_app[0]);
                }
                self.banner = Some(self.center.len() - 1);
                false
            }
        };
        let on_screen = self.apps[app].state == AppState::Foreground;
        if on_screen {
            // The app's own handler saw it first; the shell still keeps it, without a banner.
            self.banner = None;
        }
        self.event(
            now,
            EventLog::Shell,
            app,
            format!(
                "toast {}{}",
                if replaced { "replaced" } else { "shown" },
                if on_screen {
                    " (app on screen: no banner)"
                } else {
                    ""
                }
            ),
        );
        DeviceOutcome::Toast { replaced }
    }

    fn dropped(&mut self, app: &str, now: SystemTime, reason: DropReason) -> DeviceOutcome {
        let log = match reason {
            DropReason::NoLiveTiles | DropReason::TileNotPinned => EventLog::Shell,
            _ => EventLog::Platform,
        };
        self.event(now, log, app, format!("dropped: {reason:?}"));
        DeviceOutcome::Dropped(reason)
    }

    fn event(&mut self, at: SystemTime, log: EventLog, app: &str, message: String) {
        self.log.push(DeviceEvent {
            at,
            log,
            app: app.to_owned(),
            message,
        });
    }

    /// Removes the app's toasts with this tag and/or group (both `None`: all of the app's).
    pub fn remove_toasts(&mut self, app: &str, tag: Option<&str>, group: Option<&str>) -> usize {
        let before = self.center.len();
        self.center.retain(|t| {
            !(t.app == app
                && tag.is_none_or(|g| t.tag.as_deref() == Some(g))
                && group.is_none_or(|g| t.group.as_deref() == Some(g)))
        });
        self.banner = None;
        before - self.center.len()
    }

    /// The notification center, oldest first: `(app, toast)`.
    pub fn notification_center(&self) -> Vec<(&str, &ToastView)> {
        self.center
            .iter()
            .map(|t| (t.app.as_str(), &t.view))
            .collect()
    }

    /// The toast shown as a banner now, if any.
    pub fn banner(&self) -> Option<(&str, &ToastView)> {
        self.banner
            .and_then(|i| self.center.get(i))
            .map(|t| (t.app.as_str(), &t.view))
    }

    /// The app's primary tile (or a secondary tile's) content, per size.
    pub fn tile(&self, app: &str, secondary: Option<&str>) -> Option<&[TileView]> {
        self.tiles
            .get(&(app.to_owned(), secondary.map(str::to_owned)))
            .map(Vec::as_slice)
    }

    /// The app's badge text (a number, "99+" or a glyph's name), if one shows.
    pub fn badge(&self, app: &str) -> Option<&str> {
        self.badges.get(app).map(String::as_str)
    }

    /// Raw notifications the app received in the foreground, and those its background task got.
    pub fn raw_received(&self, app: &str) -> (Vec<&[u8]>, Vec<&[u8]>) {
        self.apps.get(app).map_or((Vec::new(), Vec::new()), |a| {
            (
                a.raw_received.iter().map(Vec::as_slice).collect(),
                a.raw_to_task.iter().map(Vec::as_slice).collect(),
            )
        })
    }

    /// How many deliveries wait on the power state.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// The event log, oldest first.
    pub fn events(&self) -> &[DeviceEvent] {
        &self.log
    }

    pub(crate) fn center(&self) -> &[CenterToast] {
        &self.center
    }

    pub(crate) fn badges(&self) -> &BTreeMap<String, String> {
        &self.badges
    }

    pub(crate) fn tiles(&self) -> &BTreeMap<(String, Option<String>), Vec<TileView>> {
        &self.tiles
    }
}
