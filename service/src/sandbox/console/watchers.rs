//! What tells the open consoles to refresh: change notices ("phones", "subscribers", "log"),
//! sent to the browsers as server-sent events.

use std::sync::Arc;
use std::time::Duration;

use crate::sandbox::Shared;

/// The task that turns what happens into change notices: the fake's events and new
/// registrations at once; each phone's events and new rows in the status log are looked for
/// every 150 ms (a phone applies a delivery after the fake answered, the service logs it after
/// the answer came back).
pub(in crate::sandbox) fn spawn_watchers(shared: &Arc<Shared>) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(patterns) = shared.patterns.get() else {
        return Vec::new();
    };
    let state = patterns.state().clone();
    let shared = shared.clone();
    let mut stop = shared.stop.clone();
    let mut phone_events: Vec<_> = shared.slots().iter().map(|s| s.phone.events()).collect();
    let mut fake_events = shared.world.fake().events();
    let mut registrations = state.subscribe();
    vec![tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(150));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_id = 0i64;
        let mut pc_events = 0usize;
        loop {
            tokio::select! {
                e = fake_events.recv() => match e {
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => shared.changed("phones"),
                    Err(_) => {}
                },
                _ = registrations.recv() => shared.changed("subscribers"),
                _ = interval.tick() => {
                    let mut phones_changed = false;
                    for events in &mut phone_events {
                        for e in events.drain() {
                            tracing::debug!(event = %e.describe(), "phone event");
                            phones_changed = true;
                        }
                    }
                    // The Windows PC applies a notification while the fake WNS answers it.
                    if let Some(w) = shared.windows.get() {
                        let n = w.pc.with(|d, _| d.events().len());
                        if n != pc_events {
                            pc_events = n;
                            phones_changed = true;
                        }
                    }
                    if phones_changed {
                        shared.changed("phones");
                    }
                    let store = state.store().clone();
                    let after = last_id;
                    if let Ok(rows) = store.run(move |s| s.status_log(after, 1000)).await {
                        if let Some(last) = rows.last() {
                            last_id = last.id;
                            shared.changed("log");
                        }
                    }
                }
                _ = stop.changed() => return,
            }
        }
    })]
}
