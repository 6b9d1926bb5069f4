//! The sandbox's one clock: the harness's virtual clock, moved forward in real time by a
//! ticker, plus whatever the operator adds with "advance the clock".

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use mpns::Sleep;

/// How often the ticker moves the virtual clock to catch up with real time.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// `mpns::Clock` over the harness clock the fake MPNS and the phones run on, so the service's
/// retries, the fake's batching and the phones' schedules all see the same time.
///
/// Time is real time since start plus [`SandboxClock::advanced`]: a ticker moves the virtual
/// clock every [`TICK`] by the real time that passed, and [`SandboxClock::advance`] jumps it.
#[derive(Clone)]
pub(crate) struct SandboxClock {
    clock: mpns_harness::Clock,
    base: SystemTime,
    advanced_ms: Arc<AtomicU64>,
}

impl SandboxClock {
    pub(crate) fn new(clock: mpns_harness::Clock) -> SandboxClock {
        SandboxClock {
            base: SystemTime::now() - clock.now(),
            clock,
            advanced_ms: Arc::default(),
        }
    }

    /// Jumps the clock forward (timers that become due run, in order).
    pub(crate) fn advance(&self, by: Duration) {
        self.advanced_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        self.clock.advance(by);
    }

    /// How far the operator moved the clock ahead of real time.
    pub(crate) fn advanced(&self) -> Duration {
        Duration::from_millis(self.advanced_ms.load(Ordering::SeqCst))
    }

    /// Runs the ticker until `stop` turns true.
    pub(crate) fn spawn_ticker(
        &self,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last = Instant::now();
            loop {
                tokio::select! {
                    _ = interval.tick() => {
                        let now = Instant::now();
                        clock.advance(now - last);
                        last = now;
                    }
                    _ = stop.changed() => return,
                }
            }
        })
    }
}

impl mpns::Clock for SandboxClock {
    fn now(&self) -> SystemTime {
        self.base + self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let at = self.clock.now().saturating_add(duration);
        let clock = self.clock.clone();
        Box::pin(async move { clock.sleep_until(at).await })
    }
}
