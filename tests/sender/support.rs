//! What the sender's tests share.

/// The settings every snapshot is taken with: the repository's top-level `snapshots/` folder,
/// named by the test alone (no module prefix), so a test can move between modules.
pub(crate) fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}
