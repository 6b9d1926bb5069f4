//! What the service's tests share: the sandbox's console in headless Chromium ([`browser`]),
//! the World of the end-to-end tests ([`e2e`]), the patterns' scenes on a virtual clock
//! ([`patterns`]), the service's own fixtures ([`service`]), and the one way to take a
//! snapshot ([`snapshots`]).

pub(crate) mod browser;
pub(crate) mod e2e;
pub(crate) mod patterns;
pub(crate) mod pg;
pub(crate) mod props;
pub(crate) mod service;
pub(crate) mod tile_image;

use std::future::Future;
use std::time::Duration;

use mpns_service::patterns::{self as pattern_routes, Patterns};
use mpns_service::registration::router_with;

/// How long (wall-clock time) a test waits for something before it fails.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Awaits `future` for at most [`WAIT_LIMIT`] of wall-clock time; fails the test naming `what`
/// otherwise, so that a regression fails instead of hanging (and a virtual clock does not move
/// the deadline).
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
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The service's routes with the operator's pattern routes, as the sandbox puts them together.
pub(crate) fn app(patterns: Patterns) -> axum::Router {
    router_with(patterns.state().clone(), pattern_routes::router(patterns))
}
