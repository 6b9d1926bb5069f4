//! The phone's background task: it applies deliveries, follows channel rotations, runs image
//! downloads and answers settle requests, holding only a weak reference so a dropped phone
//! stops it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;

use super::apply::{apply_delivery, FetchJob};
use super::events::PhoneEvent;
use super::http::{fetch_remote, Http};
use super::outcome::{DeliveryRecord, Outcome};
use super::state::{Cmd, PhoneInner, PhoneState};
use crate::fake::{Delivered, Event};
use crate::screen::shell::FetchProgress;

pub(super) struct FetchDone {
    job: FetchJob,
    result: Result<(), String>,
}

/// The phone's task: applies deliveries, follows channel rotations, runs image downloads and
/// answers settle requests.
pub(crate) struct Task {
    pub(super) phone: Weak<PhoneInner>,
    pub(super) deliveries: Option<broadcast::Receiver<Delivered>>,
    pub(super) fake_events: Option<broadcast::Receiver<Event>>,
    pub(super) cmds: mpsc::UnboundedReceiver<Cmd>,
    pub(super) fetches: JoinSet<FetchDone>,
    pub(super) waiters: Vec<oneshot::Sender<()>>,
    pub(super) http: Http,
}

impl Task {
    pub(super) async fn run(mut self) {
        loop {
            tokio::select! {
                biased;
                d = recv(&mut self.deliveries) => match d {
                    Ok(d) => self.deliver(d),
                    Err(broadcast::error::RecvError::Lagged(n)) => self.lost(n),
                    Err(broadcast::error::RecvError::Closed) => self.deliveries = None,
                },
                e = recv(&mut self.fake_events) => match e {
                    Ok(e) => self.fake_event(&e),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.resync(),
                    Err(broadcast::error::RecvError::Closed) => self.fake_events = None,
                },
                Some(done) = self.fetches.join_next(), if !self.fetches.is_empty() => {
                    if let Ok(done) = done {
                        self.fetched(done);
                    }
                }
                c = self.cmds.recv() => match c {
                    Some(Cmd::Settle(ack)) => {
                        self.drain();
                        self.waiters.push(ack);
                    }
                    None => break,
                },
            }
            let Some(phone) = self.phone.upgrade() else {
                break;
            };
            phone.in_flight.store(self.fetches.len(), Ordering::SeqCst);
            if self.fetches.is_empty() {
                for w in self.waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        }
    }

    /// Applies everything already handed over.
    fn drain(&mut self) {
        while let Some(rx) = self.deliveries.as_mut() {
            match rx.try_recv() {
                Ok(d) => self.deliver(d),
                Err(broadcast::error::TryRecvError::Lagged(n)) => self.lost(n),
                Err(broadcast::error::TryRecvError::Closed) => self.deliveries = None,
                Err(broadcast::error::TryRecvError::Empty) => break,
            }
        }
        while let Some(rx) = self.fake_events.as_mut() {
            match rx.try_recv() {
                Ok(e) => self.fake_event(&e),
                Err(broadcast::error::TryRecvError::Lagged(_)) => self.resync(),
                Err(broadcast::error::TryRecvError::Closed) => self.fake_events = None,
                Err(broadcast::error::TryRecvError::Empty) => break,
            }
        }
    }

    fn phone(&self) -> Option<Arc<PhoneInner>> {
        self.phone.upgrade()
    }

    fn lost(&mut self, n: u64) {
        if let Some(p) = self.phone() {
            p.lock().lost_deliveries += n;
        }
    }

    fn fake_event(&mut self, e: &Event) {
        if let Event::ChannelRotated { channel, uri } = e {
            if let Some(p) = self.phone() {
                let mut st = p.lock();
                rotated(&p, &mut st, *channel, uri);
            }
        }
    }

    /// After missing fake events: compares every open channel's URI with the fake's.
    fn resync(&mut self) {
        let Some(p) = self.phone() else { return };
        let mut st = p.lock();
        let ids: Vec<_> = st
            .apps
            .values()
            .filter_map(|a| a.channel.as_ref().map(|c| c.id))
            .collect();
        for id in ids {
            if let Ok(info) = p.fake.channel(id) {
                rotated(&p, &mut st, id, &info.uri);
            }
        }
    }

    fn deliver(&mut self, d: Delivered) {
        let Some(p) = self.phone() else { return };
        let jobs = {
            let mut st = p.lock();
            apply_delivery(&p, &mut st, &d)
        };
        for job in jobs {
            let http = self.http.clone();
            let clock = p.clock.clone();
            self.fetches.spawn(async move {
                let client = http.get();
                let result = fetch_remote(&client, &clock, &job.url).await.map(|_| ());
                FetchDone { job, result }
            });
        }
    }

    fn fetched(&mut self, done: FetchDone) {
        let Some(p) = self.phone() else { return };
        let mut st = p.lock();
        let now = p.clock.now();
        let Some(app) = st.apps.get_mut(&done.job.app) else {
            return;
        };
        let progress = match &done.result {
            Ok(()) => app.shell.image_fetched(done.job.id),
            Err(_) => app.shell.image_failed(done.job.id),
        };
        let outcome = match (progress, done.result) {
            (FetchProgress::Applied { tile }, _) => Some(Outcome::ImagesApplied { tile }),
            (FetchProgress::Dropped { tile }, Err(reason)) => {
                Some(Outcome::ImageFailed { tile, reason })
            }
            _ => None,
        };
        if let Some(outcome) = outcome {
            app.record(DeliveryRecord {
                seq: done.job.seq,
                at: now,
                kind: "tile",
                outcome,
            });
        }
    }
}

pub(super) async fn recv<T: Clone>(
    rx: &mut Option<broadcast::Receiver<T>>,
) -> Result<T, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The fake gave channel `id` the URI `uri`: if it is an open channel of this phone with
/// another URI, take it and raise `ChannelUriUpdated`.
pub(super) fn rotated(p: &PhoneInner, st: &mut PhoneState, id: crate::fake::ChannelId, uri: &str) {
    for (name, a) in st.apps.iter_mut() {
        if let Some(c) = a.channel.as_mut().filter(|c| c.id == id && c.uri != uri) {
            c.uri = uri.to_owned();
            c.uri_updates += 1;
            p.push_event(PhoneEvent::ChannelUriUpdated {
                app: name.clone(),
                channel: c.name.clone(),
                uri: uri.to_owned(),
            });
        }
    }
}
