//! What the tests share: insta settings and a clock the tests move.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use wns::{Clock, Sleep};

/// Snapshots live in the repository's top-level `snapshots/` folder, named `wns_*`.
pub(crate) fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// A clock that moves only when told; sleepers wake when it passes their deadline.
#[derive(Clone)]
pub(crate) struct TestClock {
    now: Arc<Mutex<SystemTime>>,
    moved: Arc<Notify>,
    sleepers: Arc<Mutex<usize>>,
    slept: Arc<Notify>,
}

impl TestClock {
    pub(crate) fn new() -> TestClock {
        TestClock {
            now: Arc::new(Mutex::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            )),
            moved: Arc::new(Notify::new()),
            sleepers: Arc::new(Mutex::new(0)),
            slept: Arc::new(Notify::new()),
        }
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
        self.moved.notify_waiters();
    }

    /// Waits (bounded) until `n` tasks sleep on the clock.
    pub(crate) async fn wait_for_sleepers(&self, n: usize) {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let slept = self.slept.notified();
                if *self.sleepers.lock().unwrap() >= n {
                    return;
                }
                slept.await;
            }
        })
        .await
        .expect("the sleepers within 10 s");
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self.now() + duration;
        let me = self.clone();
        *me.sleepers.lock().unwrap() += 1;
        me.slept.notify_waiters();
        Box::pin(async move {
            loop {
                let moved = me.moved.notified();
                if me.now() >= deadline {
                    break;
                }
                moved.await;
            }
            *me.sleepers.lock().unwrap() -= 1;
        })
    }
}

/// A fake's (or a World's) virtual clock, as the sender reads time; it counts the sender's
/// sleeps, so that a test moves time only once the sender waits.
#[derive(Clone)]
pub(crate) struct FakeClock {
    pub(crate) clock: mpns_harness::Clock,
    pub(crate) sleeps: Arc<AtomicUsize>,
}

impl FakeClock {
    pub(crate) fn new(clock: &mpns_harness::Clock) -> FakeClock {
        FakeClock {
            clock: clock.clone(),
            sleeps: Arc::default(),
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        // The wait starts now, not when the future is first polled.
        let at = self.clock.now() + duration;
        let clock = self.clock.clone();
        self.sleeps.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { clock.sleep_until(at).await })
    }
}
