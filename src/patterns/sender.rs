//! The one way the patterns send: through the `mpns` [`Client`], with a bounded number of
//! requests in flight, every attempt logged with [`Store::record_send`], and the retries MPNS
//! asks for (QueueFull, 503, 406, 412) waited out on the injected [`Clock`] under the
//! [`RetryPolicy`]'s limits.
//!
//! A job (everything one subscriber gets from one operator action) runs in its own task, so a
//! device that needs an hourly retry never holds up the others. The concurrency bound is on the
//! HTTP requests (a semaphore permit per attempt), not on the jobs: a job asleep on the clock
//! holds no permit. The store is only touched between requests, through [`Store::run`], so no
//! lock is held while a request is on the wire.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use crate::service::{PatternKind, StatusEntry, Store};
use crate::{ChannelUri, Client, Clock, Message, Outcome, Retry, RetryPolicy, TransportError};

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
            t.running.fetch_add(1, Ordering::SeqCst);
        }
        JobGuard { trackers }
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        for t in &self.trackers {
            if t.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                t.idle.notify_waiters();
            }
        }
    }
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
            store,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
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
            result = self.attempt(pattern, channel, message, id).await;
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
        let result = {
            // The semaphore is never closed.
            let _permit = self.permits.acquire().await.ok();
            // Boxed once the permit is held: a request's state is a few KB, and unboxed it
            // would be part of every job's future, so a fan-out to 100,000 subscribers would
            // hold 100,000 of them while at most `concurrency` run.
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
        match self.store.run(move |s| s.record_send(&entry)).await {
            Ok(recorded) if !recorded.pruned.is_empty() => {
                tracing::info!(%channel, users = ?recorded.pruned, "expired channel pruned");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "could not record a pattern send"),
        }
        result
    }
}
