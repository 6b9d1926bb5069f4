//! `/callback` registrations: MPNS's promise to tell a sender when a device goes inactive,
//! posted from the engine so that no device lock is held across the HTTP call.

use std::time::Duration;

use bytes::Bytes;

use super::Core;
use crate::fake::answer::{decide, Answer, Connection, Facts, NotificationStatus, Subscription};
use crate::fake::device::Callback;
use crate::fake::events::Event;
use crate::fake::model::ChannelId;
use crate::fake::registry::ChannelRef;

impl Core {
    /// Stores a `/callback` registration. Returns the answer (200 with subscription and device
    /// status, 401 on an unauthenticated or uncertified channel, 404 on an unknown one).
    pub(crate) fn register_callback(
        &self,
        channel: Option<&ChannelRef>,
        client_cn: Option<&str>,
        uri: String,
        blob: Bytes,
    ) -> Answer {
        let Some(cref) = channel else {
            return decide(&Facts { channel: None }).0;
        };
        let answer = {
            let mut d = cref.device.lock();
            let connection = d.connection;
            let Some(c) = d.channel_mut(cref.id) else {
                return decide(&Facts { channel: None }).0;
            };
            if c.subscription == Subscription::Expired {
                return Answer {
                    status: 404,
                    notification: Some(NotificationStatus::Dropped),
                    device: Some(match connection {
                        Connection::Inactive => Connection::Disconnected,
                        other => other,
                    }),
                    subscription: Some(Subscription::Expired),
                };
            }
            if !c.authenticated || !self.certified(c, client_cn) {
                return Answer::bare(401);
            }
            c.callback = Some(Box::new(Callback {
                uri: uri.clone(),
                blob,
            }));
            Answer {
                status: 200,
                notification: None,
                device: Some(connection),
                subscription: Some(Subscription::Active),
            }
        };
        self.events.emit(|| Event::CallbackRegistered {
            channel: cref.id,
            uri,
        });
        self.touch();
        answer
    }

    pub(super) fn post_callback(&self, channel: ChannelId, cb: Callback) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.http.get_or_init(reqwest::Client::new).clone();
        let core = self.self_ref.clone();
        handle.spawn(async move {
            let result = client
                .post(&cb.uri)
                .header("Content-Type", "application/octet-stream")
                .body(cb.blob)
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            if let Some(core) = core.upgrade() {
                let (status, error) = match result {
                    Ok(r) => (Some(r.status().as_u16()), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                core.events.emit(|| Event::CallbackPosted {
                    channel,
                    uri: cb.uri,
                    status,
                    error,
                });
                core.touch();
            }
        });
    }
}
