//! The five push patterns of the recipe, server side: what the operator's "Send" and
//! "Activate" do, and how the service reacts when a phone registers or asks for a tile.
//!
//! [`Patterns`] runs beside the registration service ([`crate::registration`]): it shares its
//! [`ServiceState`] (store, clock, events) and sends with one [`Client`]. The operator reaches it
//! through [`router`] (`GET /api/patterns`,
//! `POST /api/patterns/active`, `POST /api/patterns/{pattern}/send`).
//!
//! | Pattern | Send | On registration | On "Test Now" |
//! |---|---|---|---|
//! | One Time | any mix of tile, toast, raw to every subscriber | – | – |
//! | Counter | raw probe; tile with the user's counter + 1 where the app is not seen running | counter reset, tile with Count 0 | – |
//! | Ask to Pin | the tile (stored per user); raw `AskToPin` where it was suppressed | the stored tile again, same check | – |
//! | Custom Tile | a tile whose image is this service's `/images/custom.png?...` | – | – |
//! | Tile Schedule | (no send: the phone schedules) | – | a tile with the chosen number image |
//!
//! Activating a pattern stores it as the active one and sends the raw `Update Info` to every
//! subscriber, so running apps re-read the server info. A pattern can be sent only while it is
//! active (the recipe's Send button was on the active tab), and registrations and "Test Now"
//! are answered by the active pattern only.
//!
//! # Sending: the durable send queue
//!
//! Nothing an operator sends lives only in the process. Send, Activate's `Update Info`, and
//! the reactions to a registration or a "Test Now" each commit a *batch* to the store before
//! they answer: who asked, when, the pattern's settings, and one *job* per subscriber ×
//! message (One Time: each of its messages), with its state (queued, in flight, waiting to
//! retry until T, delivered, given up, cancelled), attempts and last outcome
//! (`registration/store/send_queue.rs`). A 100,000-subscriber plan is one `INSERT … SELECT`.
//!
//! A worker (`sender.rs`) claims due jobs with a lease and sends them through the `mpns`
//! [`Client`] at the recipe's High priority, at most [`PatternsConfig::concurrency`] requests
//! in flight. Each answer is recorded with its status-log row (which prunes a channel MPNS
//! calls expired, 404), the job's next state and its follow-ups (Counter's tile, Ask to Pin's
//! raw: `steps.rs`) in one transaction; answers that arrive together share it. What MPNS asks
//! to retry (QueueFull and 503: back-off in minutes; 406 and 412: hourly) is the same job
//! waiting with a due time on the service's [`Clock`](mpns::Clock), under the
//! [`RetryPolicy`]. A job's `X-MessageID` is fixed (derived from its batch and row), so a
//! repeat is recognisable; every attempt re-checks the channel against the allowed hosts of
//! now, and one refused is logged, not sent.
//!
//! [`Patterns::start`] resumes every unfinished batch: jobs an earlier process left in flight
//! are logged as possibly sent and sent again (the only duplicates possible: requests on the
//! wire when a process died, each with its `X-MessageID`); retries wait for their due time.
//! On a database several processes share (PostgreSQL), each process's worker claims jobs the
//! others skip, looks at the queue every 200 ms when it has nothing in hand (for batches
//! other processes planned, and jobs whose lease ran out), and takes its counts of unfinished
//! jobs from the database, so [`Batch::finished`] and [`Patterns::wait_idle`] wait for the
//! jobs whichever process sends them.
//!
//! [`Batch::finished`] waits for a batch's jobs (retries included), [`Patterns::cancel`]
//! cancels one; tests wait for reactions with [`Patterns::wait_for_events`], then
//! [`Patterns::wait_idle`].
//!
//! # Richer tiles for newer phones
//!
//! A subscriber's registered OS version decides the shape of what it gets, never its content:
//! 8.0 and later get every tile as a Flip tile (`Version="2.0"`, same BackgroundImage, Count and
//! Title on the front), 7.x the standard tile (7.8 too: the Flip template reaches a 7.8 app only
//! if it "lights up", which a registration does not tell); a One Time toast's `Param` goes to 7.1
//! and later and is left out for 7.0, which fails a toast that has one; its `Sound` (a path, or
//! silent) goes to 8.0 GDR3 and later only, as earlier phones know no `wp:Sound`. Ask to Pin keeps to the
//! primary tile on every OS (a secondary tile exists only once the app created it). Every
//! message is built with the device's OS level, so nothing it lacks can be sent.
//!
//! # Decisions where the recipe was silent or wrong
//!
//! - Counter's probe is judged on its first answer (see [`Counter`]); a probe that gets no answer
//!   sends nothing more, as in the recipe. The counter stops at 99 (the recipe threw past it).
//! - Ask to Pin judges the tile's final answer, after retries: `Suppressed` asks to pin.
//! - The status log also records the `Update Info` raw messages, which the recipe did not log.
//! - The Counter and Ask to Pin settings a registration uses are those of the last send (the
//!   recipe's form values), kept in the database with the per-user counters and last tiles, so
//!   a restarted service answers registrations as before.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mpns_service::patterns::{Patterns, PatternsConfig, SendRequest, OneTime};
//! use mpns_service::registration::{PatternKind, ServiceConfig, ServiceState, Store};
//!
//! let state = ServiceState::new(Store::open("mpns-service.sqlite3")?, ServiceConfig::default());
//! let patterns = Patterns::start(state, mpns::Client::new(), PatternsConfig::default());
//! patterns.activate(PatternKind::OneTime).await?;
//! let batch = patterns.send(SendRequest::OneTime(OneTime::default())).await?;
//! println!("sending to {} subscribers", batch.subscribers());
//! batch.finished().await;
//! # Ok(()) }
//! ```

mod ask_to_pin;
mod counter;
mod custom_tile;
mod error;
mod one_time;
mod routes;
mod sender;
mod steps;
mod tile_schedule;
mod tiles;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, Notify};

pub use ask_to_pin::{AskToPin, ASK_TO_PIN};
pub use counter::Counter;
pub use custom_tile::CustomTile;
pub use error::PatternError;
pub use one_time::OneTime;
pub use routes::router;

use crate::registration::{
    JobData, NewBatch, NewJob, PatternKind, PlanRules, ServiceEvent, ServiceState, Store,
    StoreError, Targets,
};
use mpns::{Client, RetryPolicy};
use sender::{Planned, Sender, Tracker};

/// The raw text that tells running apps to re-read the server info (the recipe's, exactly).
pub const UPDATE_INFO: &str = "Update Info";

/// The recipe's three tile backgrounds: images inside the phone app's package.
pub const TILE_BACKGROUNDS: [&str; 3] = [
    "/Resources/TileImages/TileBackground1.jpg",
    "/Resources/TileImages/TileBackground2.jpg",
    "/Resources/TileImages/TileBackground3.jpg",
];

/// The default number of requests in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The default [`PatternsConfig::lease`]: five minutes.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// How the patterns send.
#[derive(Debug, Clone)]
pub struct PatternsConfig {
    /// When to retry what MPNS asks to retry.
    pub retry: RetryPolicy,
    /// Requests in flight at most (at least 1).
    pub concurrency: usize,
    /// How long a claimed job stays this process's on the wall clock: on a shared database
    /// (PostgreSQL), a job in flight in a process that died goes to another once its lease
    /// has run out. Longer than any request may take (the client's timeouts).
    pub lease: std::time::Duration,
}

impl Default for PatternsConfig {
    fn default() -> Self {
        PatternsConfig {
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            lease: DEFAULT_LEASE,
        }
    }
}

/// What the operator sends: one pattern's settings. Tile Schedule has no send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendRequest {
    /// One Time.
    OneTime(OneTime),
    /// Counter.
    Counter(Counter),
    /// Ask to Pin.
    AskToPin(AskToPin),
    /// Custom Tile.
    CustomTile(CustomTile),
}

impl SendRequest {
    /// The pattern this request belongs to.
    pub fn pattern(&self) -> PatternKind {
        match self {
            SendRequest::OneTime(_) => PatternKind::OneTime,
            SendRequest::Counter(_) => PatternKind::Counter,
            SendRequest::AskToPin(_) => PatternKind::AskToPin,
            SendRequest::CustomTile(_) => PatternKind::CustomTile,
        }
    }
}

/// The jobs one operator action (or reaction) committed to the send queue.
#[derive(Debug)]
#[must_use = "a batch runs on its own; keep it to wait for it with `finished`"]
pub struct Batch {
    pattern: PatternKind,
    id: i64,
    subscribers: usize,
    tracker: Arc<Tracker>,
}

impl Batch {
    /// The pattern that sent it.
    pub fn pattern(&self) -> PatternKind {
        self.pattern
    }

    /// Its id in the send queue (see [`Patterns::cancel`] and `GET /api/batches`).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// How many subscribers it was sent to.
    pub fn subscribers(&self) -> usize {
        self.subscribers
    }

    /// Jobs (sends, follow-ups, retries) not finished yet: queued, in flight or waiting.
    pub fn in_flight(&self) -> usize {
        self.tracker.running()
    }

    /// Completes once every job of the batch has ended, retries included. With retries pending
    /// this waits on the clock: a test advances it.
    pub async fn finished(&self) {
        self.tracker.wait_idle().await;
    }
}

/// The settings a registration is answered with: the last ones sent.
#[derive(Debug, Default)]
struct Current {
    counter: Counter,
    ask_to_pin: AskToPin,
}

impl Current {
    /// The settings of the last sends before a restart (the defaults for a pattern never sent,
    /// or whose stored settings this build cannot read).
    fn saved(store: &Store) -> Current {
        fn load<T: serde::de::DeserializeOwned + Default>(
            store: &Store,
            pattern: PatternKind,
        ) -> T {
            let read = store
                .pattern_settings(pattern)
                .map_err(|e| e.to_string())
                .and_then(|json| {
                    json.map(serde_json::from_value)
                        .transpose()
                        .map_err(|e| e.to_string())
                });
            read.unwrap_or_else(|error| {
                tracing::warn!(pattern = pattern.id(), %error, "stored settings unreadable; using the defaults");
                None
            })
            .unwrap_or_default()
        }
        Current {
            counter: load(store, PatternKind::Counter),
            ask_to_pin: load(store, PatternKind::AskToPin),
        }
    }
}

/// The push patterns, running. Cheap to clone; the event listener and the send queue's worker
/// stop when the last clone is dropped.
#[derive(Clone)]
pub struct Patterns {
    inner: Arc<Inner>,
}

struct Inner {
    sender: Sender,
    current: Arc<Mutex<Current>>,
    handled: Arc<Handled>,
    listener: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.sender.stop();
        self.listener.abort();
        self.worker.abort();
    }
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patterns")
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

/// What a send commits: its settings, steps and the state that changes with it.
struct SendPlan {
    spec: String,
    steps: Vec<&'static str>,
    settings: Option<String>,
    last_tile: Option<String>,
}

impl Patterns {
    /// Starts the patterns on the service's state: from now on registrations and "Test Now"
    /// requests are answered by the active pattern, and every batch the store holds unfinished
    /// (from before a restart) resumes. Call inside a tokio runtime.
    pub fn start(state: ServiceState, client: Client, config: PatternsConfig) -> Patterns {
        Patterns::start_with_wns(state, client, None, config)
    }

    /// [`Patterns::start`], and WNS registrations (Windows 10/11 devices) sent to with `wns`:
    /// One Time reaches them with its WNS equivalents (a toast, the count as a badge, the raw),
    /// Counter with its probe raw and its count as a badge; Ask to Pin, Custom Tile and Tile
    /// Schedule are not sent to them, and their status-log rows say so. Without a
    /// WNS client, jobs to WNS registrations are given up with a row saying why.
    pub fn start_with_wns(
        state: ServiceState,
        client: Client,
        wns: Option<wns::Client>,
        config: PatternsConfig,
    ) -> Patterns {
        let (sender, worker) = Sender::start(
            state.clone(),
            client,
            wns,
            config.retry,
            config.concurrency,
            config.lease,
        );
        let current = Arc::new(Mutex::new(Current::saved(state.store())));
        let handled = Arc::new(Handled::default());
        // Subscribe before returning, so that no event after `start` is missed.
        let events = state.subscribe();
        let listener = tokio::spawn(listen(
            sender.clone(),
            current.clone(),
            handled.clone(),
            events,
        ));
        Patterns {
            inner: Arc::new(Inner {
                sender,
                current,
                handled,
                listener,
                worker,
            }),
        }
    }

    /// The service state the patterns run on.
    pub fn state(&self) -> &ServiceState {
        self.inner.sender.state()
    }

    /// Jobs (sends, follow-ups, retries) not finished now, across all batches and reactions.
    pub fn in_flight(&self) -> usize {
        self.inner.sender.all().running()
    }

    /// Jobs parked on the clock: while every unfinished job waits for a retry's due time (the
    /// send queue's worker then sleeps on the clock until the first of them), all of them;
    /// otherwise none. A test that sees `parked() == in_flight() > 0` advances the clock.
    pub fn parked(&self) -> usize {
        if self.inner.sender.parked() {
            self.in_flight()
        } else {
            0
        }
    }

    /// Completes once no job is unfinished (retries included). Reactions to events the
    /// listener has not picked up yet are not counted.
    pub async fn wait_idle(&self) {
        self.inner.sender.all().wait_idle().await;
    }

    /// How many service events (registrations, "Test Now" requests) the patterns have handled
    /// since [`start`](Patterns::start); a reaction's jobs are committed (and counted by
    /// [`in_flight`](Patterns::in_flight)) before its event counts as handled.
    pub fn events_handled(&self) -> u64 {
        self.inner.handled.count.load(Ordering::SeqCst)
    }

    /// Completes once [`events_handled`](Patterns::events_handled) reaches `n`: a test that
    /// made `n` registrations waits here, then on [`wait_idle`](Patterns::wait_idle).
    pub async fn wait_for_events(&self, n: u64) {
        loop {
            let changed = self.inner.handled.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.events_handled() >= n {
                return;
            }
            changed.await;
        }
    }

    /// Makes `pattern` the active one and sends the raw `Update Info` to every subscriber;
    /// returns once the change and the whole plan are committed.
    ///
    /// # Errors
    /// [`PatternError::Store`] when the store fails.
    pub async fn activate(&self, pattern: PatternKind) -> Result<Batch, PatternError> {
        let planned = self
            .inner
            .sender
            .enqueue(
                NewBatch {
                    pattern,
                    origin: "activate",
                    spec: None,
                    at: self.state().clock().now(),
                },
                Targets::AllSubscribers {
                    steps: vec![steps::UPDATE_INFO_STEP],
                },
                PlanRules {
                    set_active: Some(pattern),
                    ..PlanRules::default()
                },
            )
            .await?
            .map_err(|active| PatternError::Internal(format!("{} is active", active.id())))?;
        tracing::info!(pattern = pattern.id(), "pattern activated");
        Ok(batch(pattern, planned))
    }

    /// Sends a pattern to every subscriber. The request is checked first (a field that breaks a
    /// rule is [`PatternError::Invalid`] naming it), and its pattern must be the active one.
    /// Returns once the whole plan (every subscriber's jobs) is committed to the send queue.
    ///
    /// # Errors
    /// [`PatternError::Invalid`] for a bad field, [`PatternError::NotActive`] when the pattern
    /// is not active, [`PatternError::Store`] when the store fails.
    pub async fn send(&self, request: SendRequest) -> Result<Batch, PatternError> {
        let pattern = request.pattern();
        let plan = match &request {
            SendRequest::OneTime(r) => {
                let checked = r.clone().check()?;
                SendPlan {
                    spec: json(checked.request()),
                    steps: checked.steps(),
                    settings: None,
                    last_tile: None,
                }
            }
            SendRequest::Counter(r) => {
                r.check()?;
                SendPlan {
                    spec: json(r),
                    steps: vec!["probe"],
                    settings: Some(json(r)),
                    last_tile: None,
                }
            }
            SendRequest::AskToPin(r) => {
                let front = r.check()?;
                SendPlan {
                    spec: json(&front),
                    steps: vec!["tile"],
                    settings: Some(json(r)),
                    last_tile: Some(json(&front)),
                }
            }
            SendRequest::CustomTile(r) => SendPlan {
                spec: json(&r.check(self.state())?),
                steps: vec!["tile"],
                settings: None,
                last_tile: None,
            },
        };
        let planned = self
            .inner
            .sender
            .enqueue(
                NewBatch {
                    pattern,
                    origin: "send",
                    spec: Some(plan.spec),
                    at: self.state().clock().now(),
                },
                Targets::AllSubscribers { steps: plan.steps },
                PlanRules {
                    require_active: Some(pattern),
                    settings: plan.settings.map(|s| (pattern, s)),
                    last_tile_of_all: plan.last_tile.map(|t| (pattern, t)),
                    ..PlanRules::default()
                },
            )
            .await?
            .map_err(|active| PatternError::NotActive { pattern, active })?;
        match request {
            SendRequest::Counter(settings) => self.current().counter = settings,
            SendRequest::AskToPin(settings) => self.current().ask_to_pin = settings,
            SendRequest::OneTime(_) | SendRequest::CustomTile(_) => {}
        }
        let batch = batch(pattern, planned);
        tracing::info!(
            pattern = pattern.id(),
            batch = batch.id,
            subscribers = batch.subscribers,
            "pattern sent"
        );
        Ok(batch)
    }

    /// Cancels a batch: its jobs not yet on the wire are never sent (those on the wire finish
    /// and are not retried). Returns how many jobs were cancelled, `None` for no such batch.
    ///
    /// # Errors
    /// [`PatternError::Store`] when the store fails.
    pub async fn cancel(&self, batch: i64) -> Result<Option<usize>, PatternError> {
        Ok(self.inner.sender.cancel(batch).await?)
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        lock(&self.inner.current)
    }
}

fn batch(pattern: PatternKind, planned: Planned) -> Batch {
    Batch {
        pattern,
        id: planned.id,
        subscribers: planned.subscribers,
        tracker: planned.tracker,
    }
}

/// Settings as the JSON stored with a batch.
fn json<T: serde::Serialize>(settings: &T) -> String {
    // Plain structs of strings and numbers: serializing cannot fail.
    serde_json::to_string(settings).unwrap_or_default()
}

/// Counts handled events.
#[derive(Debug, Default)]
struct Handled {
    count: AtomicU64,
    changed: Notify,
}

impl Handled {
    fn add(&self, n: u64) {
        self.count.fetch_add(n, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

/// Reacts to registrations and "Test Now" requests with the pattern active when the event is
/// handled (a registration racing an activation gets the new pattern's answer, as the phone
/// will also learn from the `Update Info`). Each reaction is a batch of its own, committed
/// before the event counts as handled.
async fn listen(
    sender: Sender,
    current: Arc<Mutex<Current>>,
    handled: Arc<Handled>,
    mut events: broadcast::Receiver<ServiceEvent>,
) {
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "patterns fell behind the service's events");
                handled.add(n);
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if let Err(e) = react(&sender, &current, &event).await {
            tracing::error!(error = %e, "reaction not queued");
        }
        handled.add(1);
    }
}

/// Queues the active pattern's reaction to one event, if it has one.
async fn react(
    sender: &Sender,
    current: &Mutex<Current>,
    event: &ServiceEvent,
) -> Result<(), StoreError> {
    let store = sender.store();
    let active = store.run(|s| s.active_pattern()).await?;
    let (origin, spec, job) = match (event, active) {
        (ServiceEvent::Registered(reg), PatternKind::Counter) => {
            let settings = serde_json::to_string(&lock(current).counter).ok();
            ("registration", settings, counter::reset_job(reg))
        }
        (ServiceEvent::Registered(reg), PatternKind::AskToPin) => {
            let Ok(fallback) = lock(current).ask_to_pin.check() else {
                return Ok(());
            };
            let user = reg.user_name.clone();
            let stored = store
                .run(move |s| s.last_tile(PatternKind::AskToPin, &user))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "Ask to Pin stored tile unreadable");
                    None
                })
                .and_then(|v| serde_json::from_value::<tiles::TileFront>(v).ok())
                .unwrap_or(fallback);
            let job = NewJob {
                user_name: reg.user_name.clone(),
                channel_uri: reg.channel_uri.clone(),
                os_version: reg.os_version.clone(),
                platform: reg.platform,
                step: "tile",
                data: JobData::Text(serde_json::to_string(&stored).unwrap_or_default()),
            };
            ("registration", None, job)
        }
        (ServiceEvent::TileUpdateRequested(request), PatternKind::TileSchedule) => {
            let user = request.user_name.clone();
            let reg = store.run(move |s| s.registration(&user)).await?;
            ("test_now", None, tile_schedule::job(request, reg.as_ref()))
        }
        _ => return Ok(()),
    };
    sender
        .enqueue(
            NewBatch {
                pattern: active,
                origin,
                spec,
                at: sender.clock().now(),
            },
            Targets::Jobs(vec![job]),
            PlanRules::default(),
        )
        .await?
        .ok();
    Ok(())
}

/// The patterns' one lock: a panic while it was held leaves `Current` whole (every change to it
/// is one assignment), so a poisoned lock is still used.
fn lock(current: &Mutex<Current>) -> std::sync::MutexGuard<'_, Current> {
    current
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
