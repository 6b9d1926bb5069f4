//! The app's event task: raw notifications and URI changes handled in order, as the recipe's
//! handlers did on the UI thread, with a position `settle` waits on so tests never sleep.

use std::sync::Weak;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::app::{Inner, PushPatterns};
use super::model::Prompt;
use super::schedule::ScheduleOp;
use super::{APP_NAME, ASK_TO_PIN, ASK_TO_PIN_TEXT, WAIT_LIMIT};
use crate::lock::MutexExt;
use crate::phone::{AppState, EventStream, PhoneEvent};

impl PushPatterns {
    /// Returns once the app's task has handled every event the phone raised before the call
    /// (inbox, prompt, server info refresh, re-registration done). Call after the World
    /// settled.
    ///
    /// # Panics
    /// After 10 s of wall-clock time (a service that does not answer).
    pub async fn settle(&self) {
        let target = self.inner.app.phone().events().position();
        let mut rx = self.inner.processed.subscribe();
        let stopped = self
            .inner
            .task
            .locked()
            .as_ref()
            .is_none_or(JoinHandle::is_finished);
        if !stopped {
            let waited = tokio::time::timeout(WAIT_LIMIT, rx.wait_for(|&p| p >= target)).await;
            if waited.is_err() {
                let handled = *self.inner.processed.borrow();
                panic!(
                    "Push Patterns on '{}' did not handle its events within {} s (handled up to {}, waiting for {target}); is the service answering?",
                    self.inner.app.phone().name(),
                    WAIT_LIMIT.as_secs(),
                    handled
                );
            }
        }
        let _ = self.schedule_backend(ScheduleOp::Settled).await;
    }

    /// Stops the app's event task (raw messages are no longer handled). Dropping the last handle
    /// stops it too.
    pub fn stop(&self) {
        if let Some(t) = self.inner.task.locked().take() {
            t.abort();
        }
    }

    /// Handles one phone event (the task's work).
    pub(super) async fn handle(&self, event: PhoneEvent) {
        if event.app() != APP_NAME || self.inner.app.state() != AppState::Foreground {
            // Another app's, or this app is not running its code (suspended or closed).
            return;
        }
        match event {
            PhoneEvent::HttpNotificationReceived { body, .. } => {
                let refresh = {
                    let mut m = self.model();
                    if !(m.settings.push && m.settings.raw) {
                        false
                    } else {
                        m.inbox
                            .insert(0, String::from_utf8_lossy(&body).into_owned());
                        if body.as_ref() == ASK_TO_PIN.as_bytes()
                            && m.show_ask_again
                            && m.prompt.is_none()
                        {
                            m.prompt = Some(Prompt {
                                title: "Important",
                                text: ASK_TO_PIN_TEXT,
                                show_again: true,
                            });
                            m.prompts_shown += 1;
                        }
                        true
                    }
                };
                if refresh {
                    if let Err(e) = self.refresh_server_info().await {
                        self.model().errors.push(format!("Error: {e}"));
                    }
                }
            }
            PhoneEvent::ChannelUriUpdated { uri, .. } => {
                let _guard = self.inner.registering.lock().await;
                let needed = {
                    let m = self.model();
                    m.settings.push
                        && m.user_name.is_some()
                        && m.registered_uri.is_some()
                        && m.registered_uri.as_deref() != Some(uri.as_str())
                };
                if needed {
                    if let Err(e) = self.register(&uri).await {
                        self.model().errors.push(format!("Error: {e}"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The app's event task: handles every event of the phone from the app's install on, in order,
/// and publishes how far it got. Ends when the app is dropped.
pub(super) async fn run(app: Weak<Inner>, mut events: EventStream) {
    loop {
        // `next` fails a test after 10 s without events; a quiet phone is normal here, so wait
        // in shorter turns (a turn that ends without an event consumes nothing).
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .ok();
        let Some(inner) = app.upgrade() else { return };
        let position = events.position();
        if let Some(event) = event {
            PushPatterns { inner }.handle(event).await;
            let Some(inner) = app.upgrade() else { return };
            inner.processed.send_replace(position);
        } else {
            inner.processed.send_replace(position);
        }
    }
}
