//! What the sender's tests share.

pub(crate) mod proxy;

use std::future::Future;
use std::time::Duration;

/// How long (wall-clock time) a test waits for something before it fails.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Awaits `future` for at most [`WAIT_LIMIT`] of wall-clock time, and fails the test with a
/// message naming `what` was awaited if it takes longer: a regression then shows as a failure,
/// not as a test (and a CI job) that never ends. Virtual clocks do not move this deadline.
pub(crate) async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT_LIMIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("waited {WAIT_LIMIT:?} (wall clock) for {what}; it never came"),
    }
}

/// The settings every snapshot is taken with: the repository's top-level `snapshots/` folder,
/// named by the test alone (no module prefix), so a test can move between modules.
pub(crate) fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}
