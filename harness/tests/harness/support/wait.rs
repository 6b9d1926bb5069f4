//! A deadline for the waits the harness's own helpers do not bound: a regression then fails the
//! test with a message saying what never came, instead of leaving it (and CI) hanging.

use std::future::Future;
use std::time::Duration;

/// How long (wall-clock time) a test waits for something before it fails.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Awaits `future` for at most [`WAIT_LIMIT`] of wall-clock time; fails the test naming `what`
/// otherwise. A virtual clock does not move this deadline.
pub(crate) async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT_LIMIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("waited {WAIT_LIMIT:?} (wall clock) for {what}; it never came"),
    }
}
