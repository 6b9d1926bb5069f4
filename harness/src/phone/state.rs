//! The phone's state behind its one lock: connection, power, rate limit and each app's data
//! (shell, channel, inbox, records, schedules). The handles, the task and the renderer all
//! read and change it through `PhoneInner`, so the task, the delivery code and the renderer
//! need no handle, and the `App` handle needs nothing of the `Phone` handle's API.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};

use super::channel::{Channel, OsVersion, RateLimit};
use super::delivery::{AppState, PowerLevel};
use super::error::PhoneError;
use super::events::{EventLog, PhoneEvent};
use super::http::Http;
use super::outcome::{DeliveryRecord, RawNotification};
use super::schedule::TileSchedule;
use crate::clock::Clock;
use crate::fake::{ChannelId, Connection, DeviceId, DeviceUpdate, FakeMpns, Subscription};
use crate::lock::MutexExt;
use crate::screen::shell::Shell;
use crate::screen::tile::TileKey;
use crate::screen::toast::LaunchTarget;

/// The phone's mutable state.
pub(crate) struct PhoneState {
    pub connection: Connection,
    pub power: PowerLevel,
    pub rate_limit: RateLimit,
    pub apps: BTreeMap<String, AppData>,
    pub lost_deliveries: u64,
}

pub(crate) struct PhoneInner {
    pub name: String,
    pub device: DeviceId,
    pub os: OsVersion,
    pub fake: Arc<FakeMpns>,
    pub clock: Clock,
    pub events: Arc<EventLog>,
    /// The HTTP client for image downloads (shared by the World's phones).
    pub http: Http,
    pub(super) state: Mutex<PhoneState>,
    /// The default stream's position (for [`Phone::next_event`]).
    pub(super) cursor: Mutex<usize>,
    pub(super) cmds: mpsc::UnboundedSender<Cmd>,
    pub(super) in_flight: AtomicUsize,
}

/// What a handle asks of the phone's task.
pub(crate) enum Cmd {
    Settle(oneshot::Sender<()>),
}

impl PhoneInner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, PhoneState> {
        self.state.locked()
    }

    /// Writes the app's channel-related state to the fake (bindings, running, pinned tiles,
    /// subscription). Call with the state locked.
    pub(crate) fn sync_fake(&self, app: &AppData) -> Result<(), PhoneError> {
        let Some(c) = &app.channel else {
            return Ok(());
        };
        self.fake.update_device(c.id, &app.device_update())?;
        Ok(())
    }

    /// Expires a channel in the fake (closed on the phone).
    pub(crate) fn expire(&self, id: crate::fake::ChannelId) {
        let _ = self.fake.update_device(
            id,
            &DeviceUpdate {
                subscription: Some(Subscription::Expired),
                ..Default::default()
            },
        );
    }

    pub(crate) fn push_event(&self, e: PhoneEvent) {
        self.events.push(e);
    }
}

/// The app state the fake needs: whether raw can reach it.
pub(crate) fn running(state: AppState) -> bool {
    state != AppState::NotRunning
}

/// Most delivery records an app keeps (older ones are forgotten).
const RECORD_LIMIT: usize = 1000;

/// One tile schedule of an app, and what its runs did to the shell.
pub(crate) struct ScheduleEntry {
    pub schedule: Arc<TileSchedule>,
    /// Which schedule this is (a run of a replaced one counts nowhere).
    pub id: u64,
    /// Downloaded images the shell showed.
    pub shown: u32,
    /// Downloaded images the shell did not show (tile not pinned, template refused).
    pub not_shown: u32,
    /// Why the last one was not shown.
    pub last_not_shown: Option<String>,
}

/// An app inside the phone.
pub(crate) struct AppData {
    pub shell: Shell,
    pub state: AppState,
    pub channel: Option<Channel>,
    /// Every fake channel the app ever had (a delivery for a closed one is dropped).
    pub channel_ids: Vec<ChannelId>,
    pub launched_at: Option<LaunchTarget>,
    pub raw_inbox: Vec<RawNotification>,
    pub records: VecDeque<DeliveryRecord>,
    /// Tile schedules, one per tile.
    pub schedules: BTreeMap<TileKey, ScheduleEntry>,
}

impl AppData {
    pub(crate) fn new(name: &str, start_page: &str) -> Self {
        Self {
            shell: Shell::new(name, start_page),
            state: AppState::NotRunning,
            channel: None,
            channel_ids: Vec::new(),
            launched_at: None,
            raw_inbox: Vec::new(),
            records: VecDeque::new(),
            schedules: BTreeMap::new(),
        }
    }

    pub(crate) fn record(&mut self, r: DeliveryRecord) {
        if self.records.len() >= RECORD_LIMIT {
            self.records.pop_front();
        }
        self.records.push_back(r);
    }

    /// What the fake must know about this app's channel.
    pub(crate) fn device_update(&self) -> DeviceUpdate {
        let (toast, tile) = self
            .channel
            .as_ref()
            .map_or((false, false), |c| (c.toast, c.tile.is_some()));
        DeviceUpdate {
            subscription: Some(Subscription::Active),
            bound_tile: Some(tile),
            bound_toast: Some(toast),
            app_running: Some(running(self.state)),
            primary_tile_pinned: Some(self.shell.is_pinned(&TileKey::Primary)),
            secondary_tiles: Some(
                self.shell
                    .tiles()
                    .filter_map(|(k, _)| match k {
                        TileKey::Secondary(id) => Some(id.clone()),
                        TileKey::Primary => None,
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }
}
