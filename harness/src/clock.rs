//! Time, injected. MPNS behaviour depends on time (450/900 s batching, 500 notifications a day),
//! and so will the phones and the service; one [`Clock`] shared by all of them lets a test jump a
//! virtual day forward in microseconds and still see every timer fire in order.
//!
//! A virtual clock only moves when [`Clock::advance`] is called; timers that became due run
//! inside that call, in time order. A real clock follows the wall clock and runs timers on tokio.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use crate::lock::MutexExt;

type Task = Box<dyn FnOnce() + Send>;

/// A clock shared by everything in one simulated world. Cloning shares it.
///
/// Times are [`Duration`]s since the clock started.
///
/// ```
/// use mpns_harness::Clock;
/// use std::time::Duration;
///
/// let clock = Clock::virtual_clock();
/// let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
/// let f = fired.clone();
/// clock.schedule_in(Duration::from_secs(450), move || f.store(true, std::sync::atomic::Ordering::SeqCst));
/// clock.advance(Duration::from_secs(449));
/// assert!(!fired.load(std::sync::atomic::Ordering::SeqCst));
/// clock.advance(Duration::from_secs(1));
/// assert!(fired.load(std::sync::atomic::Ordering::SeqCst));
/// assert_eq!(clock.now(), Duration::from_secs(450));
/// ```
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    kind: Kind,
    /// Virtual time in ns, readable without the lock (written under it).
    now_ns: AtomicU64,
    state: Mutex<State>,
    /// Woken whenever virtual time moves.
    moved: Notify,
}

enum Kind {
    Virtual,
    Real(tokio::time::Instant),
}

#[derive(Default)]
struct State {
    now: Duration,
    next_seq: u64,
    /// Due time and insertion order -> task.
    timers: BTreeMap<(Duration, u64), Task>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("virtual", &self.is_virtual())
            .field("now", &self.now())
            .finish()
    }
}

impl Default for Clock {
    /// A virtual clock: tests are deterministic by default.
    fn default() -> Self {
        Self::virtual_clock()
    }
}

impl Clock {
    /// A clock that stands still until [`advance`](Self::advance) moves it.
    pub fn virtual_clock() -> Self {
        Self::with_kind(Kind::Virtual)
    }

    /// A clock that follows the wall clock (for the standalone binary). Timers run on the tokio
    /// runtime of the caller, so create it inside one.
    pub fn real() -> Self {
        Self::with_kind(Kind::Real(tokio::time::Instant::now()))
    }

    fn with_kind(kind: Kind) -> Self {
        Self {
            inner: Arc::new(Inner {
                kind,
                now_ns: AtomicU64::new(0),
                state: Mutex::new(State::default()),
                moved: Notify::new(),
            }),
        }
    }

    /// Whether this clock only moves on [`advance`](Self::advance).
    pub fn is_virtual(&self) -> bool {
        matches!(self.inner.kind, Kind::Virtual)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.locked()
    }

    /// Time since the clock started.
    pub fn now(&self) -> Duration {
        match self.inner.kind {
            Kind::Virtual => Duration::from_nanos(self.inner.now_ns.load(Ordering::SeqCst)),
            Kind::Real(start) => start.elapsed(),
        }
    }

    /// Runs `task` once the clock reaches `at` (at once, on the next advance, if `at` is past).
    /// Tasks due at the same time run in the order they were scheduled. Tasks must not block; they
    /// may schedule further tasks.
    pub fn schedule_at(&self, at: Duration, task: impl FnOnce() + Send + 'static) {
        match self.inner.kind {
            Kind::Virtual => {
                let mut s = self.lock();
                let seq = s.next_seq;
                s.next_seq += 1;
                s.timers.insert((at, seq), Box::new(task));
            }
            Kind::Real(start) => {
                let deadline = start + at;
                match tokio::runtime::Handle::try_current() {
                    Ok(handle) => {
                        handle.spawn(async move {
                            tokio::time::sleep_until(deadline).await;
                            task();
                        });
                    }
                    // Outside a runtime nothing could ever run it later: run it now rather than
                    // losing it.
                    Err(_) => task(),
                }
            }
        }
    }

    /// Runs `task` after `delay` from now.
    pub fn schedule_in(&self, delay: Duration, task: impl FnOnce() + Send + 'static) {
        let at = self.now().saturating_add(delay);
        self.schedule_at(at, task);
    }

    /// Moves a virtual clock forward by `by`, running every task that becomes due, in time order,
    /// with [`now`](Self::now) equal to each task's due time while it runs.
    ///
    /// # Panics
    /// On a real clock: it cannot be moved.
    pub fn advance(&self, by: Duration) {
        assert!(
            self.is_virtual(),
            "Clock::advance called on a real clock; build the server with Clock::virtual_clock() to control time"
        );
        let target = self.lock().now.saturating_add(by);
        loop {
            let task = {
                let mut s = self.lock();
                match s.timers.first_key_value() {
                    Some((&(at, _), _)) if at <= target => {
                        let (_, task) = s.timers.pop_first().expect("a first timer");
                        if at > s.now {
                            s.now = at;
                            self.publish(at);
                        }
                        task
                    }
                    _ => {
                        s.now = target;
                        self.publish(target);
                        break;
                    }
                }
            };
            task();
        }
        self.inner.moved.notify_waiters();
    }

    fn publish(&self, now: Duration) {
        let ns = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        self.inner.now_ns.store(ns, Ordering::SeqCst);
    }

    /// Number of tasks waiting on a virtual clock (always 0 on a real one).
    pub fn pending_timers(&self) -> usize {
        self.lock().timers.len()
    }

    /// Completes once the clock has reached `at`: on a virtual clock, when some
    /// [`advance`](Self::advance) gets there; on a real clock, after sleeping.
    pub async fn sleep_until(&self, at: Duration) {
        match self.inner.kind {
            Kind::Real(start) => tokio::time::sleep_until(start + at).await,
            Kind::Virtual => loop {
                let moved = self.inner.moved.notified();
                tokio::pin!(moved);
                moved.as_mut().enable();
                if self.now() >= at {
                    return;
                }
                moved.await;
            },
        }
    }

    /// Completes once `d` has passed on this clock.
    pub async fn sleep(&self, d: Duration) {
        let at = self.now().saturating_add(d);
        self.sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn timers_run_in_due_order_and_see_their_own_due_time() {
        let clock = Clock::virtual_clock();
        let log = Arc::new(Mutex::new(Vec::new()));
        for (i, secs) in [(0, 30u64), (1, 10), (2, 10), (3, 90)] {
            let log = log.clone();
            let c = clock.clone();
            clock.schedule_in(Duration::from_secs(secs), move || {
                log.lock().unwrap().push((i, c.now().as_secs()));
            });
        }
        clock.advance(Duration::from_secs(60));
        assert_eq!(*log.lock().unwrap(), vec![(1, 10), (2, 10), (0, 30)]);
        assert_eq!(clock.now(), Duration::from_secs(60));
        assert_eq!(clock.pending_timers(), 1);
    }

    #[test]
    fn a_task_may_schedule_another_that_falls_inside_the_same_advance() {
        let clock = Clock::virtual_clock();
        let count = Arc::new(AtomicUsize::new(0));
        let (c, n) = (clock.clone(), count.clone());
        clock.schedule_in(Duration::from_secs(1), move || {
            n.fetch_add(1, Ordering::SeqCst);
            let n2 = n.clone();
            c.schedule_in(Duration::from_secs(1), move || {
                n2.fetch_add(1, Ordering::SeqCst);
            });
        });
        clock.advance(Duration::from_secs(5));
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn sleep_until_wakes_when_virtual_time_gets_there() {
        let clock = Clock::virtual_clock();
        let c = clock.clone();
        let waiter = tokio::spawn(async move { c.sleep(Duration::from_secs(100)).await });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(50));
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        clock.advance(Duration::from_secs(50));
        waiter.await.unwrap();
    }
}
