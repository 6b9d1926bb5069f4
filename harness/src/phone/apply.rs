//! What the phone does with one delivery: the decision (`delivery::decide`) applied to the
//! app's shell, inbox and records, under the phone's lock.

use super::delivery::{decide, Bindings, DeliveryFate, Incoming};
use super::events::{ChannelError, PhoneEvent};
use super::outcome::{DeliveryRecord, Outcome, RawNotification};
use super::state::{AppData, PhoneInner, PhoneState};
use crate::fake::Delivered;
use crate::protocol::Content;
use crate::screen::shell::FetchId;
use crate::screen::tile::TileKey;
use crate::screen::toast::Toast;

/// A download the task runs for a tile update.
pub(super) struct FetchJob {
    pub(super) app: String,
    pub(super) seq: u64,
    pub(super) id: FetchId,
    pub(super) url: String,
}

/// What the phone does with one delivery; returns the downloads to start.
pub(super) fn apply_delivery(p: &PhoneInner, st: &mut PhoneState, d: &Delivered) -> Vec<FetchJob> {
    let power = st.power;
    let limit = st.rate_limit;
    let os = p.os;
    let Some((name, app)) = st
        .apps
        .iter_mut()
        .find(|(_, a)| a.channel_ids.contains(&d.channel))
    else {
        return Vec::new();
    };
    let name = name.clone();
    let kind = match &*d.content {
        Content::Toast(_) => "toast",
        Content::Tile(_) => "tile",
        Content::Raw { .. } => "raw",
    };
    let record = |app: &mut AppData, outcome| {
        app.record(DeliveryRecord {
            seq: d.seq,
            at: d.delivered_at,
            kind,
            outcome,
        })
    };
    let Some(channel) = app.channel.as_mut().filter(|c| c.id == d.channel) else {
        record(app, Outcome::ChannelClosed);
        return Vec::new();
    };
    let channel_name = channel.name.clone();
    match channel.take(d.delivered_at, limit) {
        Ok(()) => {}
        Err(first) => {
            if first {
                p.push_event(PhoneEvent::ErrorOccurred {
                    app: name.clone(),
                    channel: channel_name,
                    error: ChannelError::NotificationRateTooHigh,
                    message: format!(
                        "More than {} notifications within {} s; the excess is dropped.",
                        limit.max,
                        limit.per.as_secs()
                    ),
                });
            }
            record(app, Outcome::RateTooHigh);
            return Vec::new();
        }
    }
    let bindings = Bindings {
        toast: channel.toast,
        tile: channel.tile.is_some(),
    };
    let binding = channel.tile.clone().unwrap_or_default();
    if let Err(message) = os.check(&d.content) {
        payload_format_error(p, &name, app, message.clone());
        record(
            app,
            Outcome::Refused {
                error: Some(ChannelError::PayloadFormatError),
                message,
            },
        );
        return Vec::new();
    }
    let incoming = match &*d.content {
        Content::Toast(_) => Incoming::Toast,
        Content::Raw { .. } => Incoming::Raw,
        Content::Tile(t) => Incoming::Tile {
            pinned: app.shell.is_pinned(&TileKey::from_id(t.id.as_deref())),
        },
    };
    let fate = decide(incoming, app.state, power, bindings);
    match (fate, &*d.content) {
        (DeliveryFate::ToastEvent, Content::Toast(t)) => match Toast::from_content(t) {
            Ok(toast) => {
                p.push_event(PhoneEvent::ShellToastNotificationReceived {
                    app: name,
                    channel: channel_name,
                    toast,
                });
                record(app, Outcome::ToastEvent);
            }
            Err(message) => {
                payload_format_error(p, &name, app, message.clone());
                record(
                    app,
                    Outcome::Refused {
                        error: Some(ChannelError::PayloadFormatError),
                        message,
                    },
                );
            }
        },
        (DeliveryFate::RawDelivered, Content::Raw { body }) => {
            let headers = raw_headers(p, d);
            app.raw_inbox.push(RawNotification {
                seq: d.seq,
                at: d.delivered_at,
                body: body.clone(),
                headers: headers.clone(),
            });
            p.push_event(PhoneEvent::HttpNotificationReceived {
                app: name,
                channel: channel_name,
                body: body.clone(),
                headers,
            });
            record(app, Outcome::RawDelivered);
        }
        (DeliveryFate::ShownInTray | DeliveryFate::TileUpdated, _) => {
            match app.shell.apply(&d.content, &binding) {
                Ok(crate::screen::shell::Applied::ToastShown { index }) => {
                    record(app, Outcome::ShownInTray { index });
                }
                Ok(crate::screen::shell::Applied::TileUpdated { tile, fetches }) => {
                    if fetches.is_empty() {
                        record(app, Outcome::TileUpdated { tile });
                    } else {
                        record(
                            app,
                            Outcome::TileWaiting {
                                tile,
                                images: fetches.len(),
                            },
                        );
                        return fetches
                            .into_iter()
                            .map(|f| FetchJob {
                                app: name.clone(),
                                seq: d.seq,
                                id: f.id,
                                url: f.url,
                            })
                            .collect();
                    }
                }
                Ok(crate::screen::shell::Applied::TileNotPinned { tile }) => {
                    record(app, Outcome::TileNotPinned { tile });
                }
                Ok(crate::screen::shell::Applied::NotForShell) => {}
                Err(e) => {
                    let message = e.to_string();
                    let error = e.channel_error().map(|k| match k {
                        crate::screen::shell::ChannelErrorKind::PayloadFormatError => {
                            ChannelError::PayloadFormatError
                        }
                        crate::screen::shell::ChannelErrorKind::MessageBadContent => {
                            ChannelError::MessageBadContent
                        }
                    });
                    match error {
                        Some(ChannelError::PayloadFormatError) => {
                            payload_format_error(p, &name, app, message.clone());
                        }
                        Some(error) => p.push_event(PhoneEvent::ErrorOccurred {
                            app: name.clone(),
                            channel: channel_name,
                            error,
                            message: message.clone(),
                        }),
                        None => {}
                    }
                    record(app, Outcome::Refused { error, message });
                }
            }
        }
        (DeliveryFate::Suppressed(why), _) => record(app, Outcome::Suppressed(why)),
        (DeliveryFate::Discarded(why), _) => record(app, Outcome::Discarded(why)),
        // decide() only gives ToastEvent for toasts and RawDelivered for raw.
        (DeliveryFate::ToastEvent | DeliveryFate::RawDelivered, _) => {}
    }
    Vec::new()
}

/// Raises `PayloadFormatError` and closes the app's channel (its subscription expires).
pub(super) fn payload_format_error(p: &PhoneInner, name: &str, app: &mut AppData, message: String) {
    if let Some(c) = app.channel.take() {
        p.push_event(PhoneEvent::ErrorOccurred {
            app: name.to_owned(),
            channel: c.name.clone(),
            error: ChannelError::PayloadFormatError,
            message: format!("{message} The channel was closed; reopen it."),
        });
        p.expire(c.id);
    }
}

/// The headers of the request that carried a raw delivery, as the fake recorded them.
pub(super) fn raw_headers(p: &PhoneInner, d: &Delivered) -> Vec<(String, String)> {
    p.fake
        .notification(d.channel, d.seq)
        .map(|r| {
            r.headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
