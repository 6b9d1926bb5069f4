//! The one place the snapshot settings live: every snapshot is named explicitly and stored in the
//! repository's top-level `snapshots/` folder as `<name>.snap`, whichever module asserts it.

use std::path::PathBuf;

/// Settings for `insta` assertions: `snapshot_settings().bind(|| insta::assert_snapshot!(name, text))`.
///
/// The folder is given as an absolute path, because insta resolves a relative one against the
/// asserting file's directory, which differs from module to module. No module prefix: the name
/// alone is the file name, so snapshots keep their names when tests move between modules.
pub(crate) fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshots_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// `<repository>/snapshots`, next to the `harness` package.
fn snapshots_dir() -> PathBuf {
    let harness = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    harness
        .parent()
        .expect("the harness package sits inside the repository")
        .join("snapshots")
}
