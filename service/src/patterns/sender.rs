//! The one way the patterns send: through the durable queue in the store. An operator action
//! (or a reaction to a phone) commits its whole plan as a batch of jobs ([`Sender::enqueue`])
//! before it answers; this module's worker claims due jobs with a lease, sends each through
//! the `mpns` [`Client`] with a bounded number of requests in flight, and records the answer,
//! its status-log row, the job's next state and its follow-up jobs in one transaction
//! ([`Store::finish_jobs`]; the answers that arrive while a commit is going on are committed
//! together next). Nothing counts as delivered before its commit.
//!
//! Retries are jobs with a later due time on the injected [`Clock`], under the
//! [`RetryPolicy`]'s limits: a 412 parked for an hour is a row, and goes out at its time after
//! any restart. At start, jobs an earlier process left in flight are taken back (their request
//! may have reached MPNS: a repeat carries the same `X-MessageID`, derived from the job), and
//! every unfinished batch resumes.
//!
//! A job to a WNS registration (a Windows 10/11 device) goes through the same queue, sent with
//! the `wns` client when the service has WNS credentials ([`steps::wns_message`] says what it
//! sends: One Time and Counter have WNS equivalents). Its answer maps to the queue's states:
//! 200 delivered (a `dropped` one too, as MPNS's suppressed is; the log says which); 406, 429, 503, `channelthrottled` and no answer wait
//! and retry, not before `Retry-After`, under [`WNS_RETRY`]; 404 and 410 give up and forget
//! the channel (the log row prunes its registrations); 400, 403, 413 and the rest give up with
//! WNS's reason in the log. A 401 never reaches here: the `wns` client refreshes its token and
//! sends once more itself.
//!
//! The worker holds at most [`STARTS_PER_SLOT`] × concurrency claimed jobs (on the wire or
//! waiting for their commit), so a fan-out to millions holds a few hundred jobs in memory, not
//! millions. It sleeps on the clock (until the next due job) only when it holds none; while
//! jobs are in hand, each commit wakes it. So when a test sees the clock's one sleeper, every
//! job left is parked on a retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, Notify, Semaphore};
use uuid::Uuid;

use super::steps;
use crate::registration::{
    message_id, parse_os_version, BatchSpec, Changes, ClaimedJob, Finish, JobState, NewBatch,
    PatternKind, PlanRules, Platform, ServiceState, StatusEntry, Store, StoreError, Targets,
};
use mpns::{Client, Clock, Message, OsVersion, Retry, RetryPolicy};

/// How WNS jobs retry: up to 8 times, backing off from a minute to an hour, or after WNS's
/// `Retry-After` when it gives one (capped at an hour).
pub(crate) const WNS_RETRY: wns::RetryPolicy = wns::RetryPolicy {
    max_retries: 8,
    first_backoff: Duration::from_secs(60),
    max_delay: Duration::from_secs(3600),
};

/// Counts a batch's unfinished jobs and wakes waiters when none are left.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    running: AtomicUsize,
    idle: Notify,
}

impl Tracker {
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn add(&self, n: usize) {
        self.running.fetch_add(n, Ordering::SeqCst);
    }

    /// What the store counts (a shared database: other processes finish jobs too).
    fn set(&self, n: usize) {
        self.running.store(n, Ordering::SeqCst);
        if n == 0 {
            self.idle.notify_waiters();
        }
    }

    fn sub(&self, n: usize) {
        if n == 0 {
            return;
        }
        let before = self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| {
                Some(r.saturating_sub(n))
            })
            .unwrap_or(0);
        if before <= n {
            self.idle.notify_waiters();
        }
    }

    pub(crate) async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// How many jobs the worker holds at once, per request slot: more than one, so that the wire
/// is busy while answers wait for their commit (the database commits more slowly than the
/// wire answers; answers that wait together commit together). A transaction's cost barely
/// grows with its rows, so the more that wait, the fewer commits: on PostgreSQL, 4 per slot
/// (64 jobs at concurrency 16) sent 100,000 toasts in 14.9 s, 16 per slot in 7.8 s (SQLite 5.5
/// and 3.6 s). The price is in a crash: a kill leaves at most this many jobs per slot whose
/// answer was not committed; those that had reached MPNS go again under their `X-MessageID`.
pub(crate) const STARTS_PER_SLOT: usize = 16;

/// How often a worker on a shared database (PostgreSQL) looks at the queue when it has nothing
/// in hand: for jobs other processes planned, jobs whose lease ran out, and the counts of the
/// batches this process tracks, which other processes' commits change.
const POLL: Duration = Duration::from_millis(200);

/// A plan of at least this many jobs refreshes the database's statistics
/// ([`Store::refresh_statistics`]).
const ANALYZE_AFTER: usize = 10_000;

/// The most answers committed in one transaction.
const ROWS_PER_WRITE: usize = 256;

/// A batch's shared part, and its messages built once per step and OS level.
struct Prepared {
    spec: BatchSpec,
    built: Mutex<HashMap<(String, String), Result<Message, String>>>,
}

/// The shared sending machinery of all patterns. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Sender {
    inner: Arc<Shared>,
}

struct Shared {
    state: ServiceState,
    client: Client,
    /// The WNS client, when the service has WNS credentials.
    wns: Option<wns::Client>,
    policy: RetryPolicy,
    permits: Semaphore,
    hand: usize,
    in_hand: AtomicUsize,
    /// Set when the patterns stop: a claim still waiting for the store takes nothing.
    stopped: std::sync::atomic::AtomicBool,
    /// The worker sleeps until the next due time: every unfinished job waits for a retry.
    asleep: std::sync::atomic::AtomicBool,
    /// This process's name on its leases.
    owner: String,
    /// How long a claim lasts on the wall clock without its process.
    lease: Duration,
    wake: Notify,
    /// Unfinished batches' trackers; `all` counts every unfinished job.
    trackers: Mutex<HashMap<i64, Arc<Tracker>>>,
    all: Arc<Tracker>,
    prepared: Mutex<HashMap<i64, Arc<Prepared>>>,
}

/// A committed batch: its id, how many subscribers and jobs, and its tracker.
pub(crate) struct Planned {
    pub id: i64,
    pub subscribers: usize,
    pub tracker: Arc<Tracker>,
}

impl Sender {
    /// Starts the worker (inside a tokio runtime): takes back the jobs an earlier process left
    /// in flight and resumes every unfinished batch. The worker stops when the returned handle
    /// is aborted.
    pub(crate) fn start(
        state: ServiceState,
        client: Client,
        wns: Option<wns::Client>,
        policy: RetryPolicy,
        concurrency: usize,
        lease: Duration,
    ) -> (Sender, tokio::task::JoinHandle<()>) {
        let owner = Uuid::new_v4().to_string();
        let shared = Arc::new(Shared {
            client,
            wns,
            policy,
            permits: Semaphore::new(concurrency.max(1)),
            hand: concurrency.max(1) * STARTS_PER_SLOT,
            in_hand: AtomicUsize::new(0),
            asleep: Default::default(),
            stopped: Default::default(),
            owner,
            lease,
            wake: Notify::new(),
            trackers: Mutex::new(HashMap::new()),
            all: Arc::new(Tracker::default()),
            prepared: Mutex::new(HashMap::new()),
            state,
        });
        let store = shared.state.store();
        let now = shared.state.clock().now();
        match store.release_abandoned(&shared.owner, now, steps::message_type) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "jobs left in flight by an earlier process are sent again (same X-MessageID)"
            ),
            Err(e) => tracing::error!(error = %e, "jobs left in flight could not be taken back"),
        }
        match store.unfinished_jobs() {
            Ok(batches) => {
                let mut trackers = lock(&shared.trackers);
                for (batch, n) in batches {
                    tracing::info!(batch, jobs = n, "unfinished batch resumes");
                    let tracker = Arc::new(Tracker::default());
                    tracker.add(n);
                    shared.all.add(n);
                    trackers.insert(batch, tracker);
                }
            }
            Err(e) => tracing::error!(error = %e, "unfinished batches could not be read"),
        }
        let worker = tokio::spawn(work(shared.clone()));
        (Sender { inner: shared }, worker)
    }

    pub(crate) fn state(&self) -> &ServiceState {
        &self.inner.state
    }

    pub(crate) fn store(&self) -> &Store {
        self.inner.state.store()
    }

    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.inner.state.clock()
    }

    /// Stops claiming (the worker task is aborted by its owner): a claim that was waiting for
    /// the store's claim lock takes nothing, so a start after this one finds every job it must
    /// resume.
    pub(crate) fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
    }

    /// Whether every unfinished job waits for its due time on the clock (the worker sleeps
    /// until the first of them).
    pub(crate) fn parked(&self) -> bool {
        self.inner.asleep.load(Ordering::SeqCst)
    }

    /// Every unfinished job, of all batches.
    pub(crate) fn all(&self) -> &Arc<Tracker> {
        &self.inner.all
    }

    /// Commits a batch's plan (see [`Store::plan_batch`]) and wakes the worker. The batch's
    /// jobs count as running from the commit on.
    pub(crate) async fn enqueue(
        &self,
        batch: NewBatch,
        targets: Targets,
        rules: PlanRules,
    ) -> Result<Result<Planned, PatternKind>, StoreError> {
        let shared = self.inner.clone();
        let tracker = Arc::new(Tracker::default());
        let counted = tracker.clone();
        let planned = self
            .store()
            .run(move |s| {
                s.plan_batch(&batch, &targets, &rules, |id, jobs| {
                    if jobs > 0 {
                        counted.add(jobs);
                        shared.all.add(jobs);
                        lock(&shared.trackers).insert(id, counted);
                    }
                })
            })
            .await?;
        Ok(planned.map(|(id, subscribers, jobs)| {
            self.inner.wake.notify_one();
            if jobs >= ANALYZE_AFTER {
                // Beside the send, not before its answer: the plans made before it ends are
                // made again once it has.
                let store = self.store().clone();
                tokio::spawn(async move {
                    if let Err(e) = store.run(|s| s.refresh_statistics()).await {
                        tracing::warn!(error = %e, "the planner's statistics were not refreshed");
                    }
                });
            }
            Planned {
                id,
                subscribers,
                tracker,
            }
        }))
    }

    /// Cancels a batch: jobs not yet on the wire are never sent. `None` for no such batch.
    pub(crate) async fn cancel(&self, batch: i64) -> Result<Option<usize>, StoreError> {
        let shared = self.inner.clone();
        self.store()
            .run(move |s| {
                s.cancel_batch(batch, |n| {
                    shared.apply(&Changes {
                        finished: HashMap::from([(batch, n)]),
                        ..Changes::default()
                    });
                })
            })
            .await
    }
}

impl Shared {
    /// Counts what a commit changed: follow-ups first, so that a batch never reads as
    /// finished between a job's end and its follow-up's start.
    fn apply(&self, changes: &Changes) {
        let mut trackers = lock(&self.trackers);
        for (batch, n) in &changes.added {
            trackers.entry(*batch).or_default().add(*n);
            self.all.add(*n);
        }
        for (batch, n) in &changes.finished {
            // A batch no tracker counts (planned by another process since the last look)
            // is not in `all` either.
            if let Some(t) = trackers.get(batch) {
                t.sub(*n);
                if t.running() == 0 {
                    trackers.remove(batch);
                    lock(&self.prepared).remove(batch);
                }
                self.all.sub(*n);
            }
        }
    }

    /// Sets every count to what the store holds (read under the store's lock, so no commit of
    /// this process falls between the read and this): on a shared database the other
    /// processes plan and finish jobs too.
    fn reconcile(&self, unfinished: &HashMap<i64, usize>) {
        let mut trackers = lock(&self.trackers);
        for (batch, n) in unfinished {
            trackers.entry(*batch).or_default().set(*n);
        }
        trackers.retain(|batch, t| {
            let keep = unfinished.contains_key(batch);
            if !keep {
                t.set(0);
                lock(&self.prepared).remove(batch);
            }
            keep
        });
        self.all.set(unfinished.values().sum());
    }

    async fn prepared(&self, batch: i64) -> Option<Arc<Prepared>> {
        if let Some(p) = lock(&self.prepared).get(&batch) {
            return Some(p.clone());
        }
        let spec = match self.state.store().run(move |s| s.batch_spec(batch)).await {
            Ok(spec) => spec?,
            Err(e) => {
                tracing::error!(batch, error = %e, "batch unreadable");
                return None;
            }
        };
        let prepared = Arc::new(Prepared {
            spec,
            built: Mutex::new(HashMap::new()),
        });
        Some(
            lock(&self.prepared)
                .entry(batch)
                .or_insert(prepared)
                .clone(),
        )
    }

    /// One attempt at a claimed job, and what to record.
    async fn attempt(&self, job: ClaimedJob, prepared: Option<Arc<Prepared>>) -> Finish {
        let clock = self.state.clock();
        let mut finish = Finish {
            job_id: job.id,
            batch_id: job.batch_id,
            entry: None,
            next: JobState::GivenUp,
            due: None,
            outcome: String::new(),
            follow_ups: Vec::new(),
        };
        let Some(prepared) = prepared else {
            finish.outcome = "not sent: its batch is unreadable".into();
            return finish;
        };
        if job.platform == Platform::Wns {
            return self.attempt_wns(job, &prepared, finish).await;
        }
        let pattern = prepared.spec.pattern;
        let os = parse_os_version(&job.os_version).unwrap_or(OsVersion::V7_0);
        let built = if job.data.is_none() {
            let key = (job.step.clone(), job.os_version.clone());
            let mut cache = lock(&prepared.built);
            cache
                .entry(key)
                .or_insert_with(|| steps::message(&prepared.spec, &job, os))
                .clone()
        } else {
            steps::message(&prepared.spec, &job, os)
        };
        let message = match built {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(user = %job.user_name, step = %job.step, error = %e, "message not built");
                finish.outcome = format!("not sent: {e}");
                return finish;
            }
        };
        // The allowed hosts of now, not of the registration's day (issue 14, finding 5).
        let channel = match self.state.check_channel(&job.channel_uri) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(user = %job.user_name, channel = %job.channel_uri, error = %e.message, "stored channel refused; not sent");
                let why = format!("not sent: {}", e.message);
                finish.entry = Some(StatusEntry::from_failure(
                    pattern,
                    message.kind(),
                    &job.channel_uri,
                    &why,
                    clock.now(),
                ));
                finish.outcome = why;
                return finish;
            }
        };
        let id = message_id(prepared.spec.uuid, job.id);
        let result = {
            // The semaphore is never closed.
            let _permit = self.permits.acquire().await.ok();
            Box::pin(self.client.send_with_id(&channel, &message, id)).await
        };
        let attempt = job.attempts + 1;
        let at = clock.now();
        let entry = match &result {
            Ok(outcome) => {
                StatusEntry::from_outcome(pattern, message.kind(), channel.as_str(), outcome, at)
            }
            Err(error) => StatusEntry::from_failure(
                pattern,
                message.kind(),
                channel.as_str(),
                &error.to_string(),
                at,
            ),
        };
        (finish.next, finish.due) = match self.policy.decide(&result, attempt) {
            Retry::After(delay) => {
                tracing::debug!(%channel, attempt, ?delay, "pattern send waits to retry");
                (JobState::Waiting, Some(at + delay))
            }
            Retry::Never(_) if result.as_ref().is_ok_and(|o| o.status == 200) => {
                (JobState::Delivered, None)
            }
            Retry::Never(_) => (JobState::GivenUp, None),
        };
        finish.follow_ups =
            steps::follow_ups(pattern, &job, &result, attempt, finish.next.is_final());
        finish.outcome = entry.summary();
        finish.entry = Some(entry);
        finish
    }
}

impl Shared {
    /// One attempt at a claimed WNS job (see the module's doc for the mapping of answers).
    async fn attempt_wns(
        &self,
        job: ClaimedJob,
        prepared: &Prepared,
        mut finish: Finish,
    ) -> Finish {
        let clock = self.state.clock();
        let pattern = prepared.spec.pattern;
        let not_sent = |why: String, message_type: &str, mut finish: Finish| {
            tracing::warn!(user = %job.user_name, step = %job.step, why = %why, "WNS job not sent");
            finish.entry = Some(StatusEntry::from_wns_failure(
                pattern,
                message_type,
                &job.channel_uri,
                &why,
                clock.now(),
            ));
            finish.outcome = why;
            finish
        };
        let (notification, message_type) = match steps::wns_message(&prepared.spec, &job) {
            Ok(built) => built,
            Err(e) => {
                let ty = steps::wns_message_type(&job.step);
                return not_sent(format!("not sent: {e}"), ty, finish);
            }
        };
        let Some(client) = &self.wns else {
            let why = "not sent: the service has no WNS credentials (mpns serve --wns-client-id/--wns-client-secret)";
            return not_sent(why.to_owned(), message_type, finish);
        };
        let channel = match self.state.check_wns_channel(&job.channel_uri) {
            Ok(c) => c,
            Err(e) => return not_sent(format!("not sent: {}", e.message), message_type, finish),
        };
        let result = {
            let _permit = self.permits.acquire().await.ok();
            Box::pin(client.send(&channel, &notification)).await
        };
        let attempt = job.attempts + 1;
        let at = clock.now();
        let retry = |after: Option<Duration>| {
            if attempt <= WNS_RETRY.max_retries {
                (
                    JobState::Waiting,
                    Some(at + WNS_RETRY.delay(attempt, after)),
                )
            } else {
                (JobState::GivenUp, None)
            }
        };
        let entry = match &result {
            Ok(outcome) => {
                StatusEntry::from_wns_outcome(pattern, message_type, channel.as_str(), outcome, at)
            }
            Err(error) => StatusEntry::from_wns_failure(
                pattern,
                message_type,
                channel.as_str(),
                &error.to_string(),
                at,
            ),
        };
        (finish.next, finish.due) = match &result {
            Ok(outcome) => match outcome.action() {
                wns::Action::BackOff { retry_after } => retry(retry_after),
                _ if outcome.status == 200 => (JobState::Delivered, None),
                _ => (JobState::GivenUp, None),
            },
            Err(wns::SendError::Timeout(_) | wns::SendError::Transport(_)) => retry(None),
            Err(_) => (JobState::GivenUp, None),
        };
        let accepted = result.as_ref().is_ok_and(wns::Outcome::is_received);
        finish.follow_ups = steps::wns_follow_ups(pattern, &job, accepted, attempt);
        finish.outcome = entry.summary();
        finish.entry = Some(entry);
        finish
    }
}

/// The worker: claims due jobs while it has room, sends each in a task of its own, and waits
/// (for a commit, a new plan, or the next due time) when there is nothing to claim.
async fn work(shared: Arc<Shared>) {
    let (done, finished) = mpsc::unbounded_channel::<Finish>();
    let writer = tokio::spawn(write(shared.clone(), finished));
    let _stop_writer = AbortOnDrop(writer);
    let clock = shared.state.clock();
    let store = shared.state.store().clone();
    let polls = store.is_shared();
    let mut looked = tokio::time::Instant::now();
    let mut expired_looked = tokio::time::Instant::now();
    loop {
        // Only with nothing in hand: while this process sends, its own commits keep its
        // counts, and the read would hold its queue lock from them.
        if polls && looked.elapsed() >= POLL && shared.in_hand.load(Ordering::SeqCst) == 0 {
            looked = tokio::time::Instant::now();
            let counted = shared.clone();
            let read = store
                .run(move |s| s.unfinished_jobs_locked(|u| counted.reconcile(u)))
                .await;
            if let Err(e) = read {
                tracing::error!(error = %e, "send queue unreadable");
            }
        }
        let room = shared.hand - shared.in_hand.load(Ordering::SeqCst);
        if room > 0 {
            let lease = shared.lease;
            let (owner, now, wall) = (shared.owner.clone(), clock.now(), SystemTime::now());
            let expired = expired_looked.elapsed() >= POLL;
            if expired {
                expired_looked = tokio::time::Instant::now();
            }
            let live = shared.clone();
            let claimed = store
                .run(move |s| {
                    s.claim_jobs(
                        &owner,
                        (now, wall, wall + lease),
                        room,
                        || !live.stopped.load(Ordering::SeqCst),
                        (expired, steps::message_type),
                    )
                })
                .await;
            match claimed {
                Ok(jobs) => {
                    let n = jobs.len();
                    shared.in_hand.fetch_add(n, Ordering::SeqCst);
                    for job in jobs {
                        // Read here, in claim order, so that the jobs take their request
                        // slots in that order (a subscriber's tile, toast, raw).
                        let prepared = shared.prepared(job.batch_id).await;
                        let (shared, done) = (shared.clone(), done.clone());
                        tokio::spawn(async move {
                            let finish = shared.attempt(job, prepared).await;
                            // The writer ends only with this worker.
                            let _ = done.send(finish);
                        });
                    }
                    if n == room {
                        continue;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "send queue unreadable; trying again in a second");
                    // Real time: a failing disk is not on the service's clock.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        }
        if shared.in_hand.load(Ordering::SeqCst) > 0 {
            // Each commit wakes us.
            shared.wake.notified().await;
            continue;
        }
        // On a shared database, other processes' work is found by looking again.
        let poll = async {
            if polls {
                tokio::time::sleep(POLL).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        match store.run(|s| s.next_due()).await {
            Ok(Some(due)) if due <= clock.now() => continue,
            Ok(Some(due)) => {
                let sleep = clock.sleep_until(due);
                shared.asleep.store(true, Ordering::SeqCst);
                tokio::select! {
                    () = shared.wake.notified() => {}
                    () = sleep => {}
                    () = poll => {}
                }
                shared.asleep.store(false, Ordering::SeqCst);
            }
            Ok(None) => {
                tokio::select! {
                    () = shared.wake.notified() => {}
                    () = poll => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "send queue unreadable; trying again in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Commits the answers: those that arrive while a commit is going on are committed next,
/// together. One commit per answer was what held a fan-out back.
async fn write(shared: Arc<Shared>, mut finished: mpsc::UnboundedReceiver<Finish>) {
    let mut waiting = Vec::with_capacity(ROWS_PER_WRITE);
    while finished.recv_many(&mut waiting, ROWS_PER_WRITE).await > 0 {
        let finishes: Vec<Finish> = std::mem::take(&mut waiting);
        let n = finishes.len();
        let counted = shared.clone();
        let written = shared
            .state
            .store()
            .run(move |s| {
                let changes =
                    s.finish_jobs(&counted.owner.clone(), &finishes, |c| counted.apply(c))?;
                Ok((finishes, changes))
            })
            .await;
        match written {
            Ok((finishes, changes)) => {
                for (f, recorded) in finishes.iter().zip(&changes.recorded) {
                    if let Some(r) = recorded.as_ref().filter(|r| !r.pruned.is_empty()) {
                        let channel = f.entry.as_ref().map(|e| e.channel_uri.as_str());
                        tracing::info!(channel, users = ?r.pruned, "expired channel pruned");
                    }
                }
            }
            // The jobs stay in flight under this process's lease: they are sent again after
            // a restart, or when the lease runs out.
            Err(e) => tracing::error!(error = %e, answers = n, "could not record pattern sends"),
        }
        shared.in_hand.fetch_sub(n, Ordering::SeqCst);
        shared.wake.notify_one();
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The sender's locks guard maps that every change leaves whole, so a poisoned one is used.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
