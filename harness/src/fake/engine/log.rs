//! Reading and clearing the notification logs, per channel and for unrouted requests.

use std::sync::Arc;

use super::Core;
use crate::fake::error::FakeError;
use crate::fake::events::Event;
use crate::fake::model::{ChannelId, NotificationRecord};
use crate::fake::record::find_seq;
use crate::lock::MutexExt;

impl Core {
    /// The record numbered `seq` on `channel`, if its log still holds it.
    pub(crate) fn notification(
        &self,
        channel: ChannelId,
        seq: u64,
    ) -> Option<Arc<NotificationRecord>> {
        let r = self.channel_ref(channel).ok()?;
        let d = r.device.lock();
        let log = d.channel(channel)?.log.records();
        let i = find_seq(log, seq)?;
        Some(log[i].to_record())
    }

    /// Records in order; `channel` None lists every channel and the unrouted requests.
    pub(crate) fn notifications(
        &self,
        channel: Option<ChannelId>,
    ) -> Result<Vec<Arc<NotificationRecord>>, FakeError> {
        if let Some(id) = channel {
            let r = self.channel_ref(id)?;
            let d = r.device.lock();
            let c = d.channel(id).ok_or(FakeError::NoSuchChannel(id))?;
            return Ok(c.log.records().iter().map(|k| k.to_record()).collect());
        }
        let mut all: Vec<_> = self
            .unrouted
            .locked()
            .records()
            .iter()
            .map(|k| k.to_record())
            .collect();
        for (id, dev) in self.channel_list() {
            if let Some(c) = dev.lock().channel(id) {
                all.extend(c.log.records().iter().map(|k| k.to_record()));
            }
        }
        all.sort_by_key(|r| r.seq);
        Ok(all)
    }

    pub(crate) fn notification_count(&self) -> usize {
        let mut n = self.unrouted.locked().len();
        for (id, dev) in self.channel_list() {
            n += dev.lock().channel(id).map_or(0, |c| c.log.len());
        }
        n
    }

    /// Records dropped to stay within the log limits (count and bytes) since the logs were last
    /// cleared: `channel`'s, or with None every log's, the unrouted requests' included.
    pub(crate) fn records_dropped(&self, channel: Option<ChannelId>) -> Result<u64, FakeError> {
        if let Some(id) = channel {
            let r = self.channel_ref(id)?;
            let d = r.device.lock();
            let c = d.channel(id).ok_or(FakeError::NoSuchChannel(id))?;
            return Ok(c.log.dropped());
        }
        let mut n = self.unrouted.locked().dropped();
        for (id, dev) in self.channel_list() {
            n += dev.lock().channel(id).map_or(0, |c| c.log.dropped());
        }
        Ok(n)
    }

    /// The bytes all logs hold now, as their records' costs count them.
    #[cfg(test)]
    pub(crate) fn log_bytes_used(&self) -> usize {
        self.log_used.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn clear_notifications(&self, channel: Option<ChannelId>) -> Result<(), FakeError> {
        if let Some(id) = channel {
            let r = self.channel_ref(id)?;
            let mut d = r.device.lock();
            d.channel_mut(id)
                .ok_or(FakeError::NoSuchChannel(id))?
                .log
                .clear();
        } else {
            self.unrouted.locked().clear();
            for (id, dev) in self.channel_list() {
                if let Some(c) = dev.lock().channel_mut(id) {
                    c.log.clear();
                }
            }
        }
        self.events.emit(|| Event::NotificationsCleared { channel });
        self.touch();
        Ok(())
    }
}
