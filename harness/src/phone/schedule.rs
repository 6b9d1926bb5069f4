//! `ShellTileSchedule`: the phone itself pulls a tile's background image from a web server on a
//! timer, with no push channel involved (docs/mpns-protocol.md §6.6; it does not count toward the channel
//! quota and needs no `BindToShellTile` list of allowed hosts).
//!
//! A [`TileSchedule`] runs on the injected [`Clock`]: on a virtual clock a test advances a
//! week and sees 168 hourly downloads, without waiting. Each run downloads the image with
//! [`fetch_image`] (80 KB, 15 s) and hands a [`TileImageUpdate`] to the callback given at
//! creation, which applies it to the shell ([`TileImageUpdate::apply_to`]). A failed download
//! leaves the tile as it was; three failures in a row stop the schedule until
//! [`start`](TileSchedule::start) is called again.
//!
//! On an emulated phone, an app starts one with
//! [`App::start_tile_schedule`](super::App::start_tile_schedule), which applies each run to the
//! app's shell and lets `World::advance` wait for the runs; a [`TileSchedule`] on its own is
//! the engine, for tests of the schedule alone.
//!
//! # Decisions where the documentation is silent
//!
//! - **Run times**: the first run is at `StartTime`, or at the moment of `start()` when
//!   `StartTime` is unset or already past; run *n* is at `first + n × interval`, so a late run
//!   does not shift the later ones.
//! - **A month** is 30 days (a week 7 days, a day 24 hours).
//! - **Catching up**: when the clock jumps past several run times at once (one big
//!   [`Clock::advance`]), every run that became due happens, one after the other, after the
//!   jump. Each keeps its due time ([`TileImageUpdate::due`]), but its download's 15 s are
//!   measured from the moment it really starts. To interleave runs exactly with other timers,
//!   advance in steps no longer than the interval.
//! - **MaxUpdateCount** counts runs, failed or not, since the last `start()`; unset or < 1 is
//!   indefinite; ignored for `OneTime`.
//! - **`start()` again** (after a stop, after three failures, or while running) begins anew: the
//!   run count and the failures in a row go back to 0 and the first run is computed as above.
//!   A download in flight is abandoned.
//! - **`stop()`** abandons a download in flight; a run whose image has already arrived may
//!   still be applied.
//! - **The tile**: the app's primary tile by default (7.1 let a schedule target a secondary
//!   tile); the image goes to `BackgroundImage`, so templates without one (Iconic, Cycle)
//!   refuse the update with [`ShellError::UnknownProperty`].
//! - **RemoteImageUri** must be an absolute `http(s)` URI (MS also mentions "relative" without
//!   saying relative to what); anything else is refused by `start()`.

use super::fetch::fetch_image;
use super::schedule_settings::{ScheduleError, ShellTileSchedule, UpdateRecurrence};
use crate::lock::MutexExt;
use crate::phone::FetchError;
use crate::protocol::{Content, TileContent, TileValue};
use crate::screen::image::{AllowedImageUris, TileBinding};
use crate::screen::shell::{Applied, Shell, ShellError};
use crate::screen::tile::TileKey;
use crate::Clock;
use bytes::Bytes;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Consecutive failed runs after which a schedule stops itself.
pub const MAX_FAILURES_IN_A_ROW: u32 = 3;

/// One successful run: the image to show on the tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileImageUpdate {
    /// The tile.
    pub tile: TileKey,
    /// The property set: always `BackgroundImage`.
    pub property: &'static str,
    /// The image's URL (the schedule's `RemoteImageUri`).
    pub url: String,
    /// The image as downloaded.
    pub image: Bytes,
    /// Which run since the last `start()` (1 for the first).
    pub run: u32,
    /// When the run was due on the clock.
    pub due: Duration,
}

impl TileImageUpdate {
    /// Sets the tile's `BackgroundImage` to the downloaded image, as a tile push of that one
    /// property would (the template is the tile's own; the image counts as already fetched).
    /// Returns `Ok(false)` when the tile is not pinned (nothing changes).
    ///
    /// # Errors
    ///
    /// The [`ShellError`] the shell gives, e.g. [`ShellError::UnknownProperty`] for a template
    /// without `BackgroundImage`. The shell is unchanged.
    pub fn apply_to(&self, shell: &mut Shell) -> Result<bool, ShellError> {
        let Some(tile) = shell.tile(&self.tile) else {
            return Ok(false);
        };
        let push = Content::Tile(TileContent {
            id: match &self.tile {
                TileKey::Primary => None,
                TileKey::Secondary(id) => Some(id.clone()),
            },
            template: tile.template(),
            version2: true,
            properties: vec![(self.property.to_owned(), TileValue::Set(self.url.clone()))],
        });
        // The schedule needs no channel binding: allow exactly this image's origin.
        let origin = reqwest::Url::parse(&self.url)
            .map(|u| format!("{}/", u.origin().ascii_serialization()))
            .unwrap_or_default();
        let binding = AllowedImageUris::new([origin])
            .map(TileBinding::RemoteFrom)
            .unwrap_or_default();
        match shell.apply(&push, &binding)? {
            Applied::TileUpdated { fetches, .. } => {
                for f in fetches {
                    shell.image_fetched(f.id);
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Where a schedule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleState {
    /// Created; `start()` not called yet.
    NotStarted,
    /// Waiting for the next run.
    Waiting {
        /// When it is due on the clock.
        next_run: Duration,
    },
    /// Downloading the image of a run.
    Fetching {
        /// When the run was due.
        due: Duration,
    },
    /// Stopped by `stop()`.
    Stopped,
    /// Stopped by itself after [`MAX_FAILURES_IN_A_ROW`] failed runs.
    StoppedAfterFailures,
    /// Done: the one-time run happened, or `MaxUpdateCount` runs did.
    Finished,
}

/// What a schedule has done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleStatus {
    /// Where it is.
    pub state: ScheduleState,
    /// Runs since the last `start()` (what `MaxUpdateCount` counts).
    pub runs: u32,
    /// Runs ever, successful ones, failed ones.
    pub total_runs: u32,
    /// Runs whose image was downloaded and handed over.
    pub successes: u32,
    /// Runs whose download failed.
    pub failures: u32,
    /// Failed runs since the last success or `start()`.
    pub failures_in_a_row: u32,
    /// The last download error.
    pub last_error: Option<FetchError>,
}

impl ScheduleStatus {
    /// Whether the schedule will run again without a `start()`.
    pub fn is_running(&self) -> bool {
        matches!(
            self.state,
            ScheduleState::Waiting { .. } | ScheduleState::Fetching { .. }
        )
    }
}

type Apply = Box<dyn FnMut(TileImageUpdate) + Send>;

struct Shared {
    clock: Clock,
    http: reqwest::Client,
    settings: ShellTileSchedule,
    plan: Mutex<Plan>,
    status: watch::Sender<ScheduleStatus>,
    apply: Mutex<Apply>,
}

/// The schedule's bookkeeping, changed under one lock.
struct Plan {
    /// Bumped by every start/stop; a task of an older generation changes nothing.
    generation: u64,
    /// The first run since the last start.
    first: Duration,
    status: ScheduleStatus,
    task: Option<JoinHandle<()>>,
}

impl Plan {
    /// When the next run is due, if there is one.
    fn next_due(&self, s: &ShellTileSchedule) -> Option<Duration> {
        let runs = self.status.runs;
        match s.recurrence {
            UpdateRecurrence::OneTime => (runs == 0).then_some(self.first),
            UpdateRecurrence::Interval => {
                let max = u32::try_from(s.max_update_count).unwrap_or(0);
                if max >= 1 && runs >= max {
                    return None;
                }
                let offset = s
                    .interval
                    .period()
                    .checked_mul(runs)
                    .unwrap_or(Duration::MAX);
                Some(self.first.saturating_add(offset))
            }
        }
    }

    /// The state after a run (or a start): waiting for the next, or done.
    fn settle(&mut self, s: &ShellTileSchedule) {
        self.status.state = if self.status.failures_in_a_row >= MAX_FAILURES_IN_A_ROW {
            ScheduleState::StoppedAfterFailures
        } else {
            match self.next_due(s) {
                Some(next_run) => ScheduleState::Waiting { next_run },
                None => ScheduleState::Finished,
            }
        };
    }
}

/// A running `ShellTileSchedule` on one clock. Dropping it stops it.
///
/// ```
/// use mpns_harness::phone::{ScheduleState, ShellTileSchedule, TileSchedule, UpdateInterval};
/// use mpns_harness::Clock;
/// use std::time::Duration;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let clock = Clock::virtual_clock();
/// let mut settings = ShellTileSchedule::new("http://127.0.0.1:9/tile.png");
/// settings.interval = UpdateInterval::EveryDay;
/// settings.start_time = Some(Duration::from_secs(3600));
/// let schedule = TileSchedule::new(settings, clock.clone(), reqwest::Client::new(), |_update| {});
/// schedule.start().unwrap();
/// assert_eq!(
///     schedule.status().state,
///     ScheduleState::Waiting { next_run: Duration::from_secs(3600) }
/// );
/// schedule.stop();
/// assert!(!schedule.status().is_running());
/// # });
/// ```
pub struct TileSchedule {
    shared: Arc<Shared>,
}

impl fmt::Debug for TileSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TileSchedule")
            .field("settings", &self.shared.settings)
            .field("status", &self.status())
            .finish()
    }
}

impl TileSchedule {
    /// A schedule with these settings, not started. `apply` receives each downloaded image, in
    /// run order, from the schedule's task; it must not block, nor call back into this
    /// schedule. A typical `apply` locks the app's [`Shell`] and calls
    /// [`TileImageUpdate::apply_to`]. If `apply` panics, the schedule stops
    /// ([`ScheduleState::Stopped`]) and [`start`](Self::start) may run it again.
    pub fn new(
        settings: ShellTileSchedule,
        clock: Clock,
        http: reqwest::Client,
        apply: impl FnMut(TileImageUpdate) + Send + 'static,
    ) -> TileSchedule {
        let status = ScheduleStatus {
            state: ScheduleState::NotStarted,
            runs: 0,
            total_runs: 0,
            successes: 0,
            failures: 0,
            failures_in_a_row: 0,
            last_error: None,
        };
        TileSchedule {
            shared: Arc::new(Shared {
                clock,
                http,
                settings,
                plan: Mutex::new(Plan {
                    generation: 0,
                    first: Duration::ZERO,
                    status: status.clone(),
                    task: None,
                }),
                status: watch::channel(status).0,
                apply: Mutex::new(Box::new(apply)),
            }),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ShellTileSchedule {
        &self.shared.settings
    }

    /// `Start()`: (re)starts the schedule (see the module doc: the count and the failures in a
    /// row restart from 0). Call it inside a tokio runtime: the schedule runs as a task on it.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::BadRemoteImageUri`] or [`ScheduleError::NoRuntime`]; the schedule is
    /// then unchanged.
    pub fn start(&self) -> Result<(), ScheduleError> {
        self.shared.settings.check()?;
        let handle = tokio::runtime::Handle::try_current().map_err(|_| ScheduleError::NoRuntime)?;
        let mut plan = self.shared.lock();
        if let Some(task) = plan.task.take() {
            task.abort();
        }
        plan.generation += 1;
        let now = self.shared.clock.now();
        plan.first = self.shared.settings.start_time.map_or(now, |t| t.max(now));
        plan.status.runs = 0;
        plan.status.failures_in_a_row = 0;
        plan.settle(&self.shared.settings);
        self.shared.status.send_replace(plan.status.clone());
        let generation = plan.generation;
        plan.task = Some(handle.spawn(run(self.shared.clone(), generation)));
        Ok(())
    }

    /// `Stop()`: no further runs until [`start`](Self::start); a download in flight is
    /// abandoned. Stopping a schedule that is not running changes nothing.
    pub fn stop(&self) {
        let mut plan = self.shared.lock();
        if let Some(task) = plan.task.take() {
            task.abort();
        }
        plan.generation += 1;
        if plan.status.is_running() {
            plan.status.state = ScheduleState::Stopped;
            self.shared.status.send_replace(plan.status.clone());
        }
    }

    /// What the schedule has done so far (a run shows once its image has been applied).
    pub fn status(&self) -> ScheduleStatus {
        self.shared.status.borrow().clone()
    }

    /// Waits until the status satisfies `condition` (checked now and after each change) and
    /// returns it. A run's image is applied before its run shows in the status.
    pub async fn wait_for(
        &self,
        mut condition: impl FnMut(&ScheduleStatus) -> bool,
    ) -> ScheduleStatus {
        let mut rx = self.shared.status.subscribe();
        let seen = rx.wait_for(|s| condition(s)).await.map(|s| s.clone());
        // The sender lives in `self.shared`, so the channel cannot close while we wait.
        seen.unwrap_or_else(|_| self.status())
    }

    /// Waits until nothing is due at the clock's current time: every run that became due has
    /// happened (and been applied) and no download is in flight, or the schedule is not
    /// running. Call it after advancing a virtual clock.
    pub async fn settled(&self) -> ScheduleStatus {
        let clock = self.shared.clock.clone();
        self.wait_for(|s| match s.state {
            ScheduleState::Waiting { next_run } => next_run > clock.now(),
            ScheduleState::Fetching { .. } => false,
            _ => true,
        })
        .await
    }
}

impl Drop for TileSchedule {
    fn drop(&mut self) {
        let mut plan = self.shared.lock();
        plan.generation += 1;
        if let Some(task) = plan.task.take() {
            task.abort();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Plan> {
        self.plan.locked()
    }

    /// Marks the run due at `due` as fetching, if this generation is still current.
    fn begin(&self, generation: u64, due: Duration) -> bool {
        let mut plan = self.lock();
        if plan.generation != generation {
            return false;
        }
        plan.status.state = ScheduleState::Fetching { due };
        self.status.send_replace(plan.status.clone());
        true
    }
}

/// What a run leaves to do once recorded.
enum Recorded {
    /// Apply this image, then publish the status.
    Apply(TileImageUpdate),
    /// The run failed; the status is published.
    Failed,
    /// The schedule was stopped or restarted meanwhile: this task ends.
    Stale,
}

async fn run(shared: Arc<Shared>, generation: u64) {
    loop {
        let due = {
            let plan = shared.lock();
            if plan.generation != generation {
                return;
            }
            match plan.status.state {
                ScheduleState::Waiting { next_run } => next_run,
                _ => return,
            }
        };
        shared.clock.sleep_until(due).await;
        if !shared.begin(generation, due) {
            return;
        }
        let result = fetch_image(
            &shared.http,
            &shared.clock,
            &shared.settings.remote_image_uri,
        )
        .await;
        match record(&shared, generation, due, result) {
            Recorded::Apply(update) => {
                let applied = {
                    let mut apply = shared.apply.locked();
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (apply)(update)))
                };
                let mut plan = shared.lock();
                if plan.generation != generation {
                    return;
                }
                if applied.is_err() {
                    // The panic message went to the panic hook; stop rather than leave
                    // waiters hanging on a task that is gone.
                    plan.generation += 1;
                    plan.status.state = ScheduleState::Stopped;
                    shared.status.send_replace(plan.status.clone());
                    return;
                }
                shared.status.send_replace(plan.status.clone());
            }
            Recorded::Failed => {}
            Recorded::Stale => return,
        }
    }
}

fn record(
    shared: &Shared,
    generation: u64,
    due: Duration,
    result: Result<Bytes, FetchError>,
) -> Recorded {
    let mut plan = shared.lock();
    if plan.generation != generation {
        return Recorded::Stale;
    }
    let s = &mut plan.status;
    s.runs += 1;
    s.total_runs += 1;
    let run = s.runs;
    let image = match result {
        Ok(image) => {
            s.successes += 1;
            s.failures_in_a_row = 0;
            Some(image)
        }
        Err(e) => {
            tracing::debug!(run, error = %e, "tile schedule run failed");
            s.failures += 1;
            s.failures_in_a_row += 1;
            s.last_error = Some(e);
            None
        }
    };
    plan.settle(&shared.settings);
    match image {
        Some(image) => Recorded::Apply(TileImageUpdate {
            tile: shared.settings.tile.clone(),
            property: "BackgroundImage",
            url: shared.settings.remote_image_uri.clone(),
            image,
            run,
            due,
        }),
        None => {
            shared.status.send_replace(plan.status.clone());
            Recorded::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::schedule_settings::{UpdateInterval, UpdateRecurrence};

    fn plan(first: u64) -> Plan {
        Plan {
            generation: 0,
            first: Duration::from_secs(first),
            status: ScheduleStatus {
                state: ScheduleState::NotStarted,
                runs: 0,
                total_runs: 0,
                successes: 0,
                failures: 0,
                failures_in_a_row: 0,
                last_error: None,
            },
            task: None,
        }
    }

    #[test]
    fn run_n_is_due_n_intervals_after_the_first() {
        let s = ShellTileSchedule {
            interval: UpdateInterval::EveryDay,
            ..ShellTileSchedule::new("http://x/a.png")
        };
        let mut p = plan(100);
        assert_eq!(p.next_due(&s), Some(Duration::from_secs(100)));
        p.status.runs = 3;
        assert_eq!(p.next_due(&s), Some(Duration::from_secs(100 + 3 * 86_400)));
    }

    #[test]
    fn max_update_count_below_one_is_indefinite_and_ignored_for_one_time() {
        let mut s = ShellTileSchedule::new("http://x/a.png");
        let mut p = plan(0);
        p.status.runs = 1_000;
        for max in [0, -5] {
            s.max_update_count = max;
            assert!(p.next_due(&s).is_some(), "max {max}");
        }
        s.max_update_count = 1_000;
        assert_eq!(p.next_due(&s), None);
        s.recurrence = UpdateRecurrence::OneTime;
        s.max_update_count = 5;
        p.status.runs = 0;
        assert_eq!(p.next_due(&s), Some(Duration::ZERO));
        p.status.runs = 1;
        assert_eq!(p.next_due(&s), None);
    }

    #[test]
    fn a_month_is_thirty_days() {
        assert_eq!(
            UpdateInterval::EveryMonth.period(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            UpdateInterval::EveryWeek.period(),
            Duration::from_secs(7 * 86_400)
        );
    }

    #[test]
    fn remote_image_uri_must_be_absolute_http() {
        for uri in [
            "/Images/a.png",
            "ftp://x/a.png",
            "isostore:/Shared/ShellContent/a.png",
        ] {
            let err = ShellTileSchedule::new(uri).check().unwrap_err();
            assert!(err.to_string().contains(uri), "{err}");
        }
        assert!(ShellTileSchedule::new("https://cdn.example.com/t.png")
            .check()
            .is_ok());
    }
}
