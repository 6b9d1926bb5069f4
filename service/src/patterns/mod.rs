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
//! # Sending
//!
//! Every send goes through the `mpns` [`Client`] at the recipe's High priority (immediate
//! class). Each attempt is logged as by [`Store::record_send`](crate::registration::Store::record_send)
//! (rows that arrive together in one transaction), which prunes the registrations of a channel
//! MPNS calls expired (404). What MPNS asks to retry (QueueFull and 503: back-off in minutes;
//! 406 and 412: hourly) is retried on the service's [`Clock`](mpns::Clock) under the
//! [`RetryPolicy`], each retry logged too, until it is accepted, refused for good, or the
//! policy's limits are reached. Each subscriber's share of an action
//! (One Time: each of its messages) is a job in its own task; at most
//! [`PatternsConfig::concurrency`] requests are in flight, and a job waiting to retry holds no
//! slot. A batch's jobs start a few at a time, as earlier ones get past their first attempt
//! (only started jobs hold their state), but all count as running from the start. The operator's call returns once the batch is
//! under way; [`Batch::finished`] waits for its jobs (retries included). Tests wait for
//! reactions to events with [`Patterns::wait_for_events`], then [`Patterns::wait_idle`].
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
mod tile_schedule;
mod tiles;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, Notify};

pub use ask_to_pin::{AskToPin, ASK_TO_PIN};
pub use counter::Counter;
pub use custom_tile::CustomTile;
pub use error::PatternError;
pub use one_time::OneTime;
pub use routes::router;

use crate::registration::{PatternKind, Registration, ServiceEvent, ServiceState, Store};
use mpns::{ChannelUri, Client, Message, RetryPolicy};
use sender::{JobGuard, Jobs, Sender, Tracker};

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

type JobFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// How the patterns send.
#[derive(Debug, Clone)]
pub struct PatternsConfig {
    /// When to retry what MPNS asks to retry.
    pub retry: RetryPolicy,
    /// Requests in flight at most (at least 1).
    pub concurrency: usize,
}

impl Default for PatternsConfig {
    fn default() -> Self {
        PatternsConfig {
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
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

/// The jobs one operator action started.
#[derive(Debug)]
#[must_use = "a batch runs on its own; keep it to wait for it with `finished`"]
pub struct Batch {
    pattern: PatternKind,
    subscribers: usize,
    tracker: Arc<Tracker>,
}

impl Batch {
    /// The pattern that sent it.
    pub fn pattern(&self) -> PatternKind {
        self.pattern
    }

    /// How many subscribers it was sent to.
    pub fn subscribers(&self) -> usize {
        self.subscribers
    }

    /// Jobs (sends, follow-ups, retries) still running.
    pub fn in_flight(&self) -> usize {
        self.tracker.running()
    }

    /// Completes once every job of the batch has ended, retries included. With retries pending
    /// this waits on the clock: a test advances it.
    pub async fn finished(&self) {
        self.tracker.wait_idle().await;
    }
}

/// What the jobs share.
#[derive(Clone)]
pub(crate) struct Ctx {
    state: ServiceState,
    sender: Sender,
    /// Counted by every job and retry started under this context.
    trackers: Vec<Arc<Tracker>>,
}

impl Ctx {
    fn with(&self, tracker: &Arc<Tracker>) -> Ctx {
        let mut ctx = self.clone();
        ctx.trackers.push(tracker.clone());
        ctx
    }

    fn spawn(&self, job: JobFuture) {
        self.sender.spawn(JobGuard::new(self.trackers.clone()), job);
    }

    /// Starts a batch's jobs as earlier ones get past their first attempt; they count as
    /// running from now.
    fn start(&self, jobs: Jobs) {
        self.sender.start_batch(self.trackers.clone(), jobs);
    }
}

/// The registration's channel, or `None` (logged) when it no longer parses.
fn channel(reg: &Registration) -> Option<ChannelUri> {
    match reg.channel_uri.parse() {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(user = %reg.user_name, error = %e, "stored channel URI unusable");
            None
        }
    }
}

/// What a send keeps of each subscriber while its jobs run. The subscribers are read into it
/// one at a time, and a fan-out to 100,000 holds 100,000 of these for the whole send, so each
/// keeps only what its jobs need; the jobs are made from it one at a time as they start.
trait Plan: Send + 'static {
    /// Notes one subscriber; one that cannot be sent to is logged and left out.
    fn add(&mut self, reg: Registration);

    /// The jobs, made as they start.
    fn into_jobs(self: Box<Self>, ctx: &Ctx) -> Jobs;
}

/// Activation's `Update Info`: the same raw message to every subscriber's channel.
struct UpdateInfo {
    pattern: PatternKind,
    message: Message,
    channels: Vec<ChannelUri>,
}

impl Plan for UpdateInfo {
    fn add(&mut self, reg: Registration) {
        self.channels.extend(channel(&reg));
    }

    fn into_jobs(self: Box<Self>, ctx: &Ctx) -> Jobs {
        let UpdateInfo {
            pattern,
            message,
            channels,
        } = *self;
        let ctx = ctx.clone();
        Jobs::new(
            channels.len(),
            channels.into_iter().map(move |channel| -> JobFuture {
                let (ctx, message) = (ctx.clone(), message.clone());
                Box::pin(async move {
                    ctx.sender.send_settled(pattern, &channel, &message).await;
                })
            }),
        )
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

/// The push patterns, running. Cheap to clone; the event listener stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct Patterns {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: Ctx,
    current: Arc<Mutex<Current>>,
    handled: Arc<Handled>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patterns")
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Patterns {
    /// Starts the patterns on the service's state: from now on registrations and "Test Now"
    /// requests are answered by the active pattern. Call inside a tokio runtime.
    pub fn start(state: ServiceState, client: Client, config: PatternsConfig) -> Patterns {
        let sender = Sender::new(
            client,
            state.clock(),
            config.retry,
            state.store().clone(),
            config.concurrency,
        );
        let ctx = Ctx {
            state: state.clone(),
            sender,
            trackers: vec![Arc::new(Tracker::default())],
        };
        let current = Arc::new(Mutex::new(Current::saved(state.store())));
        let handled = Arc::new(Handled::default());
        // Subscribe before returning, so that no event after `start` is missed.
        let events = state.subscribe();
        let listener = tokio::spawn(listen(
            ctx.clone(),
            current.clone(),
            handled.clone(),
            events,
        ));
        Patterns {
            inner: Arc::new(Inner {
                ctx,
                current,
                handled,
                listener,
            }),
        }
    }

    /// The service state the patterns run on.
    pub fn state(&self) -> &ServiceState {
        &self.inner.ctx.state
    }

    /// Jobs (sends, follow-ups, retries) running now, across all batches and reactions.
    pub fn in_flight(&self) -> usize {
        self.inner.ctx.trackers[0].running()
    }

    /// Completes once no job is running (retries included). Reactions to events the listener
    /// has not picked up yet are not counted.
    pub async fn wait_idle(&self) {
        self.inner.ctx.trackers[0].wait_idle().await;
    }

    /// How many service events (registrations, "Test Now" requests) the patterns have handled
    /// since [`start`](Patterns::start); a reaction's jobs are running (and counted by
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

    /// Makes `pattern` the active one and sends the raw `Update Info` to every subscriber.
    ///
    /// # Errors
    /// [`PatternError::Store`] when the store fails.
    pub async fn activate(&self, pattern: PatternKind) -> Result<Batch, PatternError> {
        let store = self.state().store();
        let mut plan = Box::new(UpdateInfo {
            pattern,
            message: tiles::raw(UPDATE_INFO)
                .map_err(|e| PatternError::Internal(format!("Update Info not built: {e}")))?,
            channels: Vec::new(),
        });
        let (subscribers, plan) = store
            .run(move |s| {
                s.set_active_pattern(pattern)?;
                let n = s.for_each_subscriber(|reg| plan.add(reg))?;
                Ok((n, plan))
            })
            .await?;
        tracing::info!(pattern = pattern.id(), "pattern activated");
        let batch = self.batch(pattern, subscribers);
        let ctx = self.inner.ctx.with(&batch.tracker);
        ctx.start(plan.into_jobs(&ctx));
        Ok(batch)
    }

    /// Sends a pattern to every subscriber. The request is checked first (a field that breaks a
    /// rule is [`PatternError::Invalid`] naming it), and its pattern must be the active one.
    ///
    /// # Errors
    /// [`PatternError::Invalid`] for a bad field, [`PatternError::NotActive`] when the pattern
    /// is not active, [`PatternError::Store`] when the store fails.
    pub async fn send(&self, request: SendRequest) -> Result<Batch, PatternError> {
        let pattern = request.pattern();
        let mut plan: Box<dyn Plan> = match &request {
            SendRequest::OneTime(r) => Box::new(one_time::Plan::new(r.clone().check()?)),
            SendRequest::Counter(r) => {
                r.check()?;
                Box::new(counter::Plan::new(r.clone()))
            }
            SendRequest::AskToPin(r) => Box::new(ask_to_pin::Plan::new(r.check()?)),
            SendRequest::CustomTile(r) => Box::new(custom_tile::Plan::new(r.check(self.state())?)),
        };
        // The settings a registration will be answered with, stored with the send.
        let saved = match &request {
            SendRequest::Counter(settings) => serde_json::to_value(settings).ok(),
            SendRequest::AskToPin(settings) => serde_json::to_value(settings).ok(),
            SendRequest::OneTime(_) | SendRequest::CustomTile(_) => None,
        };
        let at = self.state().clock().now();
        let read = self
            .state()
            .store()
            .run(move |s| {
                let active = s.active_pattern()?;
                if active != pattern {
                    return Ok(Err(active));
                }
                if let Some(saved) = &saved {
                    s.set_pattern_settings(pattern, saved, at)?;
                }
                let n = s.for_each_subscriber(|reg| plan.add(reg))?;
                Ok(Ok((n, plan)))
            })
            .await?;
        let (subscribers, plan) =
            read.map_err(|active| PatternError::NotActive { pattern, active })?;
        match request {
            SendRequest::Counter(settings) => self.current().counter = settings,
            SendRequest::AskToPin(settings) => self.current().ask_to_pin = settings,
            SendRequest::OneTime(_) | SendRequest::CustomTile(_) => {}
        }
        let batch = self.batch(pattern, subscribers);
        let ctx = self.inner.ctx.with(&batch.tracker);
        ctx.start(plan.into_jobs(&ctx));
        tracing::info!(pattern = pattern.id(), subscribers, "pattern sent");
        Ok(batch)
    }

    fn batch(&self, pattern: PatternKind, subscribers: usize) -> Batch {
        Batch {
            pattern,
            subscribers,
            tracker: Arc::new(Tracker::default()),
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        lock(&self.inner.current)
    }
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
/// will also learn from the `Update Info`).
async fn listen(
    ctx: Ctx,
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
        let active = match ctx.state.store().run(|s| s.active_pattern()).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "active pattern unreadable");
                handled.add(1);
                continue;
            }
        };
        let job = match (&event, active) {
            (ServiceEvent::Registered(reg), PatternKind::Counter) => {
                let settings = lock(&current).counter.clone();
                counter::on_registered(&ctx, &settings, reg)
            }
            (ServiceEvent::Registered(reg), PatternKind::AskToPin) => {
                let fallback = lock(&current).ask_to_pin.check().ok();
                fallback.map(|front| ask_to_pin::on_registered(&ctx, front, reg))
            }
            (ServiceEvent::TileUpdateRequested(request), PatternKind::TileSchedule) => {
                tile_schedule::on_tile_request(&ctx, request)
            }
            _ => None,
        };
        if let Some(job) = job {
            ctx.spawn(job);
        }
        handled.add(1);
    }
}

/// The patterns' one lock: a panic while it was held leaves `Current` whole (every change to it
/// is one assignment), so a poisoned lock is still used.
fn lock(current: &Mutex<Current>) -> std::sync::MutexGuard<'_, Current> {
    current
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
