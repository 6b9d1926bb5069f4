//! Injected time. Everything that waits (retries now, the patterns' schedules later) asks a
//! [`Clock`], so tests swap in a [`ManualClock`] and move time forward by hand: an hour of
//! retries runs in microseconds, deterministically, with no wall-clock sleeps.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::{oneshot, Notify};

/// A future returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of the current time and of timers.
///
/// ```
/// use std::time::Duration;
/// use mpns::{Clock, TokioClock};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let clock = TokioClock;
/// let before = clock.now();
/// clock.sleep(Duration::from_millis(1)).await;
/// assert!(clock.now() >= before);
/// # }
/// ```
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// A future that completes once `duration` has passed on this clock. The timer starts when
    /// `sleep` is called, not when the future is first polled.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// A future that completes once this clock reaches `deadline` (at once if it has).
    fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        let duration = deadline
            .duration_since(self.now())
            .unwrap_or(Duration::ZERO);
        self.sleep(duration)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        (**self).sleep(duration)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        (**self).sleep(duration)
    }
}

/// The real clock: system time and tokio timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when told to. Sleepers wake when [`ManualClock::advance`] passes
/// their deadline; [`ManualClock::wait_for_sleepers`] lets a test wait, without sleeping, until
/// the code under test is parked on the clock.
///
/// Cloning gives another handle to the same clock.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mpns::{Clock, ManualClock};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// let waiter = tokio::spawn({
///     let clock = clock.clone();
///     async move { clock.sleep(Duration::from_secs(3600)).await }
/// });
/// clock.wait_for_sleepers(1).await;
/// clock.advance(Duration::from_secs(3599));
/// assert_eq!(clock.sleepers(), 1);
/// clock.advance(Duration::from_secs(1));
/// waiter.await.unwrap();
/// // A deadline already passed completes at once.
/// clock.sleep_until(SystemTime::UNIX_EPOCH).await;
/// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(3600));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    parked: Notify,
}

#[derive(Debug)]
struct State {
    now: SystemTime,
    sleepers: Vec<(SystemTime, oneshot::Sender<()>)>,
}

impl ManualClock {
    /// A clock standing still at `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock {
            inner: Arc::new(Shared {
                state: Mutex::new(State {
                    now: start,
                    sleepers: Vec::new(),
                }),
                parked: Notify::new(),
            }),
        }
    }

    /// Moves time forward by `by` and wakes every sleeper whose deadline has come.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        state.now += by;
        let now = state.now;
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut state.sleepers)
            .into_iter()
            .partition(|(deadline, _)| *deadline <= now);
        state.sleepers = waiting;
        drop(state);
        for (_, wake) in due {
            // The sleeper may have been dropped; nothing to wake then.
            let _ = wake.send(());
        }
    }

    /// How many sleeps are pending (dropped sleeps do not count).
    pub fn sleepers(&self) -> usize {
        let mut state = self.lock();
        state.sleepers.retain(|(_, wake)| !wake.is_closed());
        state.sleepers.len()
    }

    /// The earliest pending deadline, if any.
    pub fn next_deadline(&self) -> Option<SystemTime> {
        let mut state = self.lock();
        state.sleepers.retain(|(_, wake)| !wake.is_closed());
        state.sleepers.iter().map(|(deadline, _)| *deadline).min()
    }

    /// Waits until at least `count` sleeps are pending.
    pub async fn wait_for_sleepers(&self, count: usize) {
        loop {
            let parked = self.inner.parked.notified();
            tokio::pin!(parked);
            parked.as_mut().enable();
            if self.sleepers() >= count {
                return;
            }
            parked.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked; the state is still usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        if duration.is_zero() {
            return Box::pin(std::future::ready(()));
        }
        let (wake, woken) = oneshot::channel();
        {
            let mut state = self.lock();
            let deadline = state.now + duration;
            state.sleepers.push((deadline, wake));
        }
        self.inner.parked.notify_waiters();
        Box::pin(async move {
            // If the clock is dropped, the sender goes with it: stop waiting rather than hang.
            let _ = woken.await;
        })
    }
}
