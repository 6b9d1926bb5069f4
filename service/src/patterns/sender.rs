//! The one way the patterns send: through the `mpns` [`Client`], with a bounded number of
//! requests in flight, every attempt logged before it returns (rows that arrive together are
//! committed together, [`Store::record_sends`]), and the retries MPNS
//! asks for (QueueFull, 503, 406, 412) waited out on the injected [`Clock`] under the
//! [`RetryPolicy`]'s limits.
//!
//! A job (everything one subscriber gets from one operator action) runs in its own task, so a
//! device that needs an hourly retry never holds up the others. The concurrency bound is on the
//! HTTP requests (a semaphore permit per attempt), not on the jobs: a job asleep on the clock
//! holds no permit. The store is only touched between requests, through [`Store::run`], so no
//! lock is held while a request is on the wire.
//!
//! A batch's jobs are started lazily ([`Sender::start_batch`]): the next one starts when fewer
//! than [`STARTS_PER_SLOT`] × concurrency started jobs are on their first attempt (on the wire
//! or waiting for its log row). So only started jobs hold a future (a fan-out to 100,000
//! subscribers does not build 100,000 of them up front), while a job parked on a retry, past
//! its first attempt, never keeps the next ones from starting.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::JobFuture;
use crate::registration::{PatternKind, Recorded, StatusEntry, Store};
use mpns::{ChannelUri, Client, Clock, Message, Outcome, Retry, RetryPolicy, TransportError};

/// Counts running jobs and wakes waiters when none are left.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    running: AtomicUsize,
    idle: Notify,
}

/// Held by a running job; dropping it ends the job for its trackers.
pub(crate) struct JobGuard {
    trackers: Vec<Arc<Tracker>>,
}

impl Tracker {
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn add(&self, n: usize) {
        self.running.fetch_add(n, Ordering::SeqCst);
    }

    fn sub(&self, n: usize) {
        if n > 0 && self.running.fetch_sub(n, Ordering::SeqCst) == n {
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

impl JobGuard {
    pub(crate) fn new(trackers: Vec<Arc<Tracker>>) -> JobGuard {
        for t in &trackers {
            t.add(1);
        }
        JobGuard { trackers }
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        for t in &self.trackers {
            t.sub(1);
        }
    }
}

/// A batch's jobs, built one at a time as they start (see [`Sender::start_batch`]).
pub(crate) struct Jobs {
    /// Exactly how many `next` yields: all are counted as running from the start.
    count: usize,
    next: Box<dyn Iterator<Item = JobFuture> + Send>,
}

impl Jobs {
    /// `count` must be the number of jobs `next` yields.
    pub(crate) fn new(
        count: usize,
        next: impl Iterator<Item = JobFuture> + Send + 'static,
    ) -> Jobs {
        Jobs {
            count,
            next: Box::new(next),
        }
    }
}

/// Jobs counted by the trackers before they start, so that a batch's progress and its end are
/// the same as if every job had been started at once. Each started job takes one over; what
/// is left when this is dropped is given back.
struct Pending {
    trackers: Vec<Arc<Tracker>>,
    left: usize,
}

impl Pending {
    fn new(trackers: Vec<Arc<Tracker>>, count: usize) -> Pending {
        for t in &trackers {
            t.add(count);
        }
        Pending {
            trackers,
            left: count,
        }
    }

    /// The guard of the next job to start.
    fn start_one(&mut self) -> JobGuard {
        if self.left == 0 {
            // More jobs than announced: count this one on its own.
            return JobGuard::new(self.trackers.clone());
        }
        self.left -= 1;
        JobGuard {
            trackers: self.trackers.clone(),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        for t in &self.trackers {
            t.sub(self.left);
        }
    }
}

/// How many of a batch's jobs may be on their first attempt, per request slot. More than one:
/// the store writes one log row at a time, more slowly than the wire answers, so jobs queue
/// for it; with no more started jobs than slots, the wire would wait for the store. Four keeps
/// both busy, and bounds the jobs (and the store's blocking threads) queued for the store.
pub(crate) const STARTS_PER_SLOT: usize = 4;

tokio::task_local! {
    /// The start a batch's job was given (see [`Sender::start_batch`]); its first attempt
    /// holds it until logged.
    static STARTED_WITH: Cell<Option<OwnedSemaphorePermit>>;
}

/// What one message's sends came to.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// The last answer (or failure).
    pub result: Result<Outcome, TransportError>,
}

impl Sent {
    pub(crate) fn outcome(&self) -> Option<&Outcome> {
        self.result.as_ref().ok()
    }
}

/// The shared sending machinery of all patterns. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Sender {
    client: Client,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    store: Store,
    permits: Arc<Semaphore>,
    /// Batch jobs on their first attempt (see [`Sender::start_batch`]).
    starts: Arc<Semaphore>,
    log: LogWriter,
}

impl Sender {
    pub(crate) fn new(
        client: Client,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
        store: Store,
        concurrency: usize,
    ) -> Sender {
        Sender {
            client,
            clock,
            policy,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            starts: Arc::new(Semaphore::new(concurrency.max(1) * STARTS_PER_SLOT)),
            log: LogWriter::start(store.clone()),
            store,
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs `job` in its own task, counted by `guard`'s trackers until it ends.
    pub(crate) fn spawn<F>(&self, guard: JobGuard, job: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(async move {
            job.await;
            drop(guard);
        });
    }

    /// Starts a batch's jobs, counted by `trackers` from now until each ends: in order, each
    /// once fewer than [`STARTS_PER_SLOT`] × concurrency started jobs are on their first
    /// attempt. A job's start is released when its first attempt is logged (in
    /// [`Sender::attempt`]) or when the job ends. A job past its first attempt (following up,
    /// or parked on a retry) holds none, so an hour's wait does not hold back the next ones.
    pub(crate) fn start_batch(&self, trackers: Vec<Arc<Tracker>>, jobs: Jobs) {
        let mut pending = Pending::new(trackers, jobs.count);
        let starts = self.starts.clone();
        tokio::spawn(async move {
            for job in jobs.next {
                // The semaphore is never closed.
                let start = starts.clone().acquire_owned().await.ok();
                let guard = pending.start_one();
                tokio::spawn(STARTED_WITH.scope(Cell::new(start), async move {
                    job.await;
                    drop(guard);
                }));
            }
            drop(pending);
        });
    }

    /// Sends and keeps retrying while the policy asks, returning the final result.
    pub(crate) async fn send_settled(
        &self,
        pattern: PatternKind,
        channel: &ChannelUri,
        message: &Message,
    ) -> Sent {
        let id = message.message_id().unwrap_or_else(Uuid::new_v4);
        // Boxed: a job's future stays small while it waits to start, so a fan-out to 100,000
        // subscribers does not hold 100,000 copies of the whole request state machine.
        let first = Box::pin(self.attempt(pattern, channel, message, id)).await;
        Box::pin(self.retry_from(pattern, channel, message, id, first, 1)).await
    }

    /// Sends once and returns that first answer; if the policy asks for a retry, the retries
    /// go on in a task of their own, counted by `trackers`.
    pub(crate) async fn send_first(
        &self,
        pattern: PatternKind,
        channel: &ChannelUri,
        message: &Message,
        trackers: &[Arc<Tracker>],
    ) -> Sent {
        let id = message.message_id().unwrap_or_else(Uuid::new_v4);
        let first = Box::pin(self.attempt(pattern, channel, message, id)).await;
        if matches!(self.policy.decide(&first, 1), Retry::After(_)) {
            let sender = self.clone();
            let (channel, message) = (channel.clone(), message.clone());
            let result = first.clone();
            self.spawn(JobGuard::new(trackers.to_vec()), async move {
                sender
                    .retry_from(pattern, &channel, &message, id, result, 1)
                    .await;
            });
        }
        Sent { result: first }
    }

    async fn retry_from(
        &self,
        pattern: PatternKind,
        channel: &ChannelUri,
        message: &Message,
        id: Uuid,
        mut result: Result<Outcome, TransportError>,
        mut attempt: u32,
    ) -> Sent {
        while let Retry::After(delay) = self.policy.decide(&result, attempt) {
            tracing::debug!(%channel, attempt, ?delay, "pattern send waits to retry");
            self.clock.sleep(delay).await;
            attempt += 1;
            // Boxed, so that a job asleep on the clock does not carry room for a whole attempt.
            result = Box::pin(self.attempt(pattern, channel, message, id)).await;
        }
        Sent { result }
    }

    /// One request, then its log row (which prunes an expired channel's registrations).
    async fn attempt(
        &self,
        pattern: PatternKind,
        channel: &ChannelUri,
        message: &Message,
        id: Uuid,
    ) -> Result<Outcome, TransportError> {
        // A batch job's first attempt holds the job's start until it is logged.
        let _start = STARTED_WITH.try_with(Cell::take).ok().flatten();
        let result = {
            // The semaphore is never closed.
            let _permit = self.permits.acquire().await.ok();
            // Boxed once the permit is held: a request's state is a few KB, and unboxed it
            // would be part of every job's future.
            Box::pin(self.client.send_with_id(channel, message, id)).await
        };
        let at = self.clock.now();
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
        match self.log.record(entry).await {
            Ok(recorded) if !recorded.pruned.is_empty() => {
                tracing::info!(%channel, users = ?recorded.pruned, "expired channel pruned");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "could not record a pattern send"),
        }
        result
    }
}

/// Writes the attempts' log rows. Each attempt hands its row over and waits until it is
/// written; the rows that arrive while a write is going on are written next, together, in one
/// transaction. One commit per row (and a blocking thread per waiting row) was what held a
/// fan-out back: the wire answers faster than SQLite commits.
#[derive(Clone)]
struct LogWriter {
    rows: mpsc::UnboundedSender<LogRow>,
}

/// A row to write, and where to say what was recorded.
type LogRow = (StatusEntry, oneshot::Sender<Result<Recorded, String>>);

/// The most rows written in one transaction.
const ROWS_PER_WRITE: usize = 256;

impl LogWriter {
    /// Starts the writer task (inside a tokio runtime); it ends when the last clone is dropped.
    fn start(store: Store) -> LogWriter {
        let (rows, mut incoming) = mpsc::unbounded_channel::<LogRow>();
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(ROWS_PER_WRITE);
            while incoming.recv_many(&mut waiting, ROWS_PER_WRITE).await > 0 {
                let (entries, acks): (Vec<StatusEntry>, Vec<_>) = waiting.drain(..).unzip();
                match store.run(move |s| s.record_sends(&entries)).await {
                    Ok(recorded) => {
                        for (ack, recorded) in acks.into_iter().zip(recorded) {
                            let _ = ack.send(Ok(recorded));
                        }
                    }
                    Err(e) => {
                        let error = e.to_string();
                        for ack in acks {
                            let _ = ack.send(Err(error.clone()));
                        }
                    }
                }
            }
        });
        LogWriter { rows }
    }

    /// Writes `entry` (with the rows waiting beside it) and returns what was recorded.
    async fn record(&self, entry: StatusEntry) -> Result<Recorded, String> {
        let stopped = || "the status log writer has stopped".to_owned();
        let (ack, written) = oneshot::channel();
        self.rows.send((entry, ack)).map_err(|_| stopped())?;
        written.await.map_err(|_| stopped())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_builds_its_jobs_only_as_earlier_ones_get_past_their_first_attempt() {
        let sender = Sender::new(
            Client::new(),
            Arc::new(mpns::TokioClock),
            RetryPolicy::default(),
            Store::in_memory().unwrap(),
            2,
        );
        let starts = 2 * STARTS_PER_SLOT;
        let tracker = Arc::new(Tracker::default());
        let built = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let job_started = Arc::new(Notify::new());
        // Jobs that never send keep their start until they end: here, until the gate opens.
        let gate = Arc::new(Semaphore::new(0));
        let jobs = (0..30).map({
            let (built, started, job_started, gate) = (
                built.clone(),
                started.clone(),
                job_started.clone(),
                gate.clone(),
            );
            move |_| -> JobFuture {
                built.fetch_add(1, Ordering::SeqCst);
                let (started, job_started, gate) =
                    (started.clone(), job_started.clone(), gate.clone());
                Box::pin(async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    job_started.notify_one();
                    let _pass = gate.acquire().await;
                })
            }
        });
        sender.start_batch(vec![tracker.clone()], Jobs::new(30, jobs));
        assert_eq!(tracker.running(), 30, "every job counts from the start");

        while started.load(Ordering::SeqCst) < starts {
            job_started.notified().await;
        }
        assert_eq!(
            built.load(Ordering::SeqCst),
            starts + 1,
            "only the next job is built, waiting for a start"
        );
        assert_eq!(tracker.running(), 30);

        gate.add_permits(30);
        tracker.wait_idle().await;
        assert_eq!(built.load(Ordering::SeqCst), 30);
        assert_eq!(started.load(Ordering::SeqCst), 30);
    }
}
