//! The clock the client reads for token expiry and waits on between retries, injectable so that
//! tests can move time.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// A future that completes after a sleep.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Time, as the client sees it.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> SystemTime;
    /// A future that completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The system's clock and tokio's timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}
