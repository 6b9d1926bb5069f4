//! The `PushPatterns` handle and the state it shares with its event task. Kept apart from the
//! handle's methods so that the event task, the back-end client and the renderer reach the
//! state through this file, and the file that installs the app can start the task without the
//! task's file needing it back.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::AppError;
use super::model::Model;
use crate::lock::MutexExt;
use crate::phone::{App, AppState};

pub(super) struct Inner {
    pub(super) app: App,
    pub(super) base: String,
    pub(super) http: reqwest::Client,
    pub(super) model: Mutex<Model>,
    /// Held from opening a channel until its URI is registered, so that the event task does not
    /// register the same URI a second time meanwhile.
    pub(super) registering: tokio::sync::Mutex<()>,
    /// The event position the task has fully handled.
    pub(super) processed: watch::Sender<usize>,
    pub(super) task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = self.task.locked().take() {
            t.abort();
        }
    }
}

/// The Push Patterns app on one phone: a handle (cloning shares it).
///
/// ```no_run
/// # async fn demo(world: &mpns_harness::World, service_url: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use mpns_harness::push_patterns::Settings;
/// use mpns_harness::PushPatterns;
///
/// let phone = world.add_phone("lumia", "8.0")?;
/// let app = PushPatterns::install(&phone, service_url)?;
/// app.pin()?;
/// app.launch().await?;                    // first launch: the settings screen
/// app.set_settings(Settings::all_on()).await?;
/// app.login("ann").await?;                // opens the channel, binds it, registers
/// world.settle().await;
/// app.settle().await;
/// println!("{}", app.render_text());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PushPatterns {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for PushPatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushPatterns")
            .field("phone", &self.inner.app.phone().name())
            .field("service", &self.inner.base)
            .finish_non_exhaustive()
    }
}

impl PushPatterns {
    pub(super) fn model(&self) -> MutexGuard<'_, Model> {
        self.inner.model.locked()
    }

    pub(super) fn require_running(&self, action: &'static str) -> Result<(), AppError> {
        if self.inner.app.state() == AppState::NotRunning {
            return Err(AppError::NotRunning { action });
        }
        Ok(())
    }
}
