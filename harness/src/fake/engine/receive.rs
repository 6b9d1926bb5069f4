//! The request path: what happens to a notification once its request is understood. It counts,
//! queues, delivers and records under one device lock, and drops evicted records only after
//! letting go of it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{ms, Core, DAY};
use crate::fake::answer::{decide, Answer, ChannelFacts, Connection, Facts, Fate, Subscription};
use crate::fake::device::{ChannelState, Device, DeviceState, Queued};
use crate::fake::events::Event;
use crate::fake::model::{Delivered, DeliveryState};
use crate::fake::record::{set_delivery, Kept, Log, Outcome, RequestInfo};
use crate::fake::registry::ChannelRef;
use crate::lock::MutexExt;
use crate::protocol::{Batching, Content, Inspected, Target};

impl Core {
    pub(super) fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Appends `rec` within the log's count and the fake's byte budget; returns the oldest
    /// record dropped, if any, for the caller to drop once it has let go of the lock (freeing a
    /// record is most of what this costs).
    #[must_use = "the oldest record is dropped by the caller, outside the lock"]
    pub(super) fn push_log(&self, log: &mut Log, rec: Arc<Kept>) -> Option<Arc<Kept>> {
        log.push(rec, self.config.log_limit, self.config.log_bytes)
    }

    /// Records a request that named no known channel or was refused before reaching one,
    /// `channel` being the channel if the URI named one.
    pub(crate) fn record_refused(
        &self,
        channel: Option<&ChannelRef>,
        info: RequestInfo,
        inspected: Option<&Inspected>,
        answer: Answer,
        fate: Option<Fate>,
        diagnostics: Vec<String>,
    ) {
        let outcome = Outcome {
            seq: self.next_seq(),
            received_at_ms: ms(self.clock.now()),
            channel: channel.map(|c| c.id),
            inspected: inspected.map(|_| self.config.mode),
            target: inspected.map(|i| i.target),
            batching: inspected.map(|i| i.batching),
            response: answer,
            fate,
            diagnostics,
            delivery: DeliveryState::NotQueued,
            repeat: 0,
        };
        let rec = Arc::new(Kept::new(info, outcome));
        self.events.emit(|| Event::Notification {
            record: rec.record_with(|_, _, _| inspected.map(|i| Arc::new(i.content.clone()))),
        });
        let mut evicted = None;
        let stored = channel.is_some_and(|c| {
            let mut d = c.device.lock();
            match d.channel_mut(c.id) {
                Some(ch) => {
                    evicted = self.push_log(&mut ch.log, rec.clone());
                    true
                }
                None => false,
            }
        });
        if !stored {
            let mut u = self.unrouted.locked();
            evicted = self.push_log(&mut u, rec);
        }
        drop(evicted);
        self.touch();
    }

    /// Decides the answer to a well-formed notification on `channel` (None: unknown) and does
    /// what it implies: count it, queue it, deliver it, record it.
    pub(crate) fn receive(
        &self,
        channel: Option<&ChannelRef>,
        inspected: Inspected,
        client_cn: Option<&str>,
        info: RequestInfo,
    ) -> Answer {
        let Some(cref) = channel else {
            let (answer, fate) = decide(&Facts { channel: None });
            let diags = inspected.diagnostics.clone();
            self.record_refused(None, info, Some(&inspected), answer, Some(fate), diags);
            return answer;
        };
        let now = self.clock.now();
        let seq = self.next_seq();
        let mut schedule = None;
        // Dropped after the device's lock is released.
        let evicted;
        let (answer, rec) = {
            let mut d = cref.device.lock();
            let (connection, power, queue_len, capacity) =
                (d.connection, d.power, d.queue.len(), d.queue_capacity);
            let Some(c) = d.channel_mut(cref.id) else {
                drop(d);
                let (answer, fate) = decide(&Facts { channel: None });
                let diags = inspected.diagnostics.clone();
                self.record_refused(None, info, Some(&inspected), answer, Some(fate), diags);
                return answer;
            };
            if now.saturating_sub(c.day_start) >= DAY {
                c.day_start = now;
                c.sent_today = 0;
            }
            let tile_pinned = match &inspected.content {
                Content::Tile(t) => match &t.id {
                    None => c.primary_pinned,
                    Some(id) => c.secondary.contains(id.as_str()),
                },
                _ => true,
            };
            let facts = Facts {
                channel: Some(ChannelFacts {
                    subscription: c.subscription,
                    connection,
                    authenticated: c.authenticated,
                    certified: self.certified(c, client_cn),
                    sent_today: c.sent_today,
                    daily_limit: self.daily_limit(),
                    target: inspected.target,
                    bound_tile: c.bound_tile,
                    bound_toast: c.bound_toast,
                    tile_pinned,
                    app_running: c.app_running,
                    power,
                    queue_len,
                    queue_capacity: capacity,
                }),
            };
            let (answer, fate) = decide(&facts);
            if fate.counts_toward_limit() {
                c.sent_today = c.sent_today.saturating_add(1);
            }
            let Inspected {
                target,
                batching,
                message_id,
                content,
                diagnostics,
            } = inspected;
            let repeat = message_id.as_deref().map_or(0, |id| c.note_message_id(id));
            let content = Arc::new(content);
            let delivery = if fate == Fate::Accepted {
                let due = now.saturating_add(match batching {
                    Batching::Immediate => Duration::ZERO,
                    Batching::Within450s => Duration::from_secs(450),
                    Batching::Within900s => Duration::from_secs(900),
                });
                DeliveryState::Queued { due_at_ms: ms(due) }
            } else {
                DeliveryState::NotQueued
            };
            let outcome = Outcome {
                seq,
                received_at_ms: ms(now),
                channel: Some(cref.id),
                inspected: Some(self.config.mode),
                target: Some(target),
                batching: Some(batching),
                response: answer,
                fate: Some(fate),
                diagnostics,
                delivery: delivery.clone(),
                repeat,
            };
            let kept = Arc::new(Kept::new(info, outcome));
            // The event shows the record as it is now (queued); the log's copy moves on to
            // delivered below.
            let for_event = self
                .events
                .listened()
                .then(|| kept.record_with(|_, _, _| Some(content.clone())));
            evicted = self.push_log(&mut c.log, kept);
            if let DeliveryState::Queued { due_at_ms } = delivery {
                let due = Duration::from_millis(due_at_ms);
                d.queue.push_back(Queued {
                    seq,
                    channel: cref.id,
                    due,
                    received_at: now,
                    content,
                    message_id,
                });
                if due <= now {
                    if d.connection == Connection::Connected {
                        self.pump(&cref.device, &mut d, now);
                    }
                } else {
                    schedule = Some(due);
                }
            }
            (answer, for_event)
        };
        drop(evicted);
        if let Some(due) = schedule {
            let weak = Arc::downgrade(&cref.device);
            let core = self.self_ref.clone();
            self.clock.schedule_at(due, move || {
                if let (Some(dev), Some(core)) = (weak.upgrade(), core.upgrade()) {
                    let now = core.clock.now();
                    let mut d = dev.lock();
                    if d.connection == Connection::Connected {
                        core.pump(&dev, &mut d, now);
                    }
                    drop(d);
                    core.touch();
                }
            });
        }
        if let Some(record) = rec {
            self.events.emit(|| Event::Notification { record });
        }
        self.touch();
        answer
    }

    /// Whether the sender may use this authenticated channel: its verified client certificate's
    /// subject CN equals the channel's service name (any verified certificate when the channel
    /// has none), or plain HTTP is trusted by configuration.
    pub(super) fn certified(&self, c: &ChannelState, client_cn: Option<&str>) -> bool {
        if self.config.allow_authenticated_over_http {
            return true;
        }
        match (client_cn, c.service_name.as_deref()) {
            (Some(cn), Some(name)) => cn.eq_ignore_ascii_case(name),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Delivers every due notification in the queue of a connected device, in arrival order.
    pub(super) fn pump(&self, dev: &Device, d: &mut DeviceState, now: Duration) {
        if !d.queue.iter().any(|q| q.due <= now) {
            return;
        }
        let mut due = std::mem::take(&mut d.queue);
        if due.iter().any(|q| q.due > now) {
            let (now_due, later) = due.into_iter().partition(|q| q.due <= now);
            d.queue = later;
            due = now_due;
        }
        while let Some(q) = due.pop_front() {
            let Some(c) = d.channel_mut(q.channel) else {
                continue;
            };
            let outcome = if c.subscription == Subscription::Expired {
                Err("the channel expired before delivery")
            } else if matches!(*q.content, Content::Raw { .. }) && !c.app_running {
                Err("raw notification discarded: the app is not running")
            } else {
                Ok(())
            };
            let state = match outcome {
                Ok(()) => DeliveryState::Delivered { at_ms: ms(now) },
                Err(reason) => DeliveryState::Discarded {
                    reason: reason.into(),
                },
            };
            set_delivery(&mut c.log, q.seq, state);
            match outcome {
                Ok(()) => {
                    let target = match &*q.content {
                        Content::Tile(_) => Target::Tile,
                        Content::Toast(_) => Target::Toast,
                        Content::Raw { .. } => Target::Raw,
                    };
                    if let Some(sink) = dev.sink.get() {
                        let _ = sink.send(Delivered {
                            channel: q.channel,
                            app: c.app.clone().into(),
                            seq: q.seq,
                            content: q.content,
                            message_id: q.message_id,
                            received_at: q.received_at,
                            delivered_at: now,
                        });
                    }
                    self.events.emit(|| Event::Delivered {
                        channel: q.channel,
                        seq: q.seq,
                        target,
                        at_ms: ms(now),
                    });
                }
                Err(reason) => self.events.emit(|| Event::Discarded {
                    channel: q.channel,
                    seq: q.seq,
                    reason: reason.into(),
                }),
            }
        }
        if d.queue.is_empty() {
            // Keeps the queue's allocation for the next notification.
            d.queue = due;
        }
    }
}
