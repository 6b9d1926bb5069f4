//! Creating channels and changing devices: the operator's side of the engine. A change that
//! reconnects a device pumps its queue; one that makes it inactive fires the callbacks.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::Core;
use crate::fake::answer::{Connection, Subscription};
use crate::fake::device::{default_device_name, view, ChannelState, Device, DeviceName};
use crate::fake::error::FakeError;
use crate::fake::events::Event;
use crate::fake::model::{
    CallbackInfo, ChannelId, ChannelInfo, ChannelOptions, Delivered, DeviceId, DeviceUpdate,
    DeviceView, Repeat,
};
use crate::fake::registry::{Slot, Token};
use crate::lock::{MutexExt, RwLockExt};

impl Core {
    pub(crate) fn create_channel(&self, opts: ChannelOptions) -> Result<ChannelInfo, FakeError> {
        if !opts.authenticated && opts.service_name.is_some() {
            return Err(FakeError::Invalid(
                "service_name is only meaningful with \"authenticated\": true".into(),
            ));
        }
        if let Some(cap) = opts.device_state.as_ref().and_then(|u| u.queue_capacity) {
            check_capacity(cap)?;
        }
        for (field, value) in [
            ("device", opts.device.as_ref().map(|d| d.0.as_str())),
            ("app", opts.app.as_deref()),
            ("os_version", opts.os_version.as_deref()),
            ("service_name", opts.service_name.as_deref()),
        ] {
            check_name(field, value)?;
        }
        // Checked again when the channel goes into the registry; this spares the work when the
        // fake is already full.
        if self.registry().count >= self.config.max_channels {
            return Err(self.too_many_channels());
        }
        // Channels with fixed tokens are created one at a time, so that two of the same token
        // cannot both pass the check below.
        let _fixed = opts.token.as_ref().map(|_| self.fixed_tokens.locked());
        let fixed = match &opts.token {
            Some(t) => {
                let token = Token::fixed(t).map_err(FakeError::Invalid)?;
                if let Some((other, _)) = self.registry().find(token.as_str()) {
                    return Err(FakeError::Invalid(format!(
                        "token {t:?} is already the token of channel {other}"
                    )));
                }
                Some(token)
            }
            None => None,
        };
        let id = ChannelId(self.next_channel.fetch_add(1, Ordering::Relaxed) + 1);
        let app: Box<str> = match &opts.app {
            Some(app) => app.as_str().into(),
            None => format!("app-{id}").into(),
        };
        // For a default device, the map of named devices stays read-locked until the channel
        // is in the registry, so that nobody names `device-<id>` in between and gets another.
        let (device, named) = match &opts.device {
            Some(name) => (self.device(name), None),
            None => {
                let named = self.devices.read_locked();
                let device = match named.get(&default_device_name(id)) {
                    Some(d) => d.clone(),
                    None => Arc::new(Device::new(DeviceName::Default(id), self.queue_capacity())),
                };
                (device, Some(named))
            }
        };
        let token = fixed.unwrap_or_else(|| self.new_token());
        {
            let mut d = device.lock();
            if let Some(existing) = d.channels.iter().find(|c| c.app == app) {
                return Err(FakeError::AppHasChannel {
                    device: device.id(),
                    app: app.into(),
                    existing: existing.id,
                });
            }
            let os_version = match opts.os_version.as_deref() {
                None => self.default_os_version.clone(),
                Some(v) if *v == *self.default_os_version => self.default_os_version.clone(),
                Some(v) => Arc::from(v),
            };
            d.add_channel(ChannelState {
                id,
                app: app.clone(),
                authenticated: opts.authenticated,
                service_name: opts.service_name.as_deref().map(Box::from),
                os_version,
                subscription: Subscription::Active,
                bound_tile: true,
                bound_toast: true,
                app_running: true,
                primary_pinned: true,
                secondary: BTreeSet::new(),
                day_start: self.clock.now(),
                seen: None,
                sent_today: 0,
                callback: None,
                log: self.new_log(),
            });
        }
        let slot = Slot {
            token,
            authenticated: opts.authenticated,
            device: device.clone(),
        };
        let inserted = {
            let mut registry = self.registry_mut();
            if registry.count >= self.config.max_channels {
                None
            } else {
                Some(registry.insert(id, slot))
            }
        };
        match inserted {
            Some(true) => {}
            Some(false) => {
                return Err(FakeError::Invalid(format!(
                    "channel {id} was being created when the fake was reset; create it again"
                )))
            }
            None => {
                // Another creation took the last place: this channel leaves its device again.
                device.lock().channels.retain(|c| c.id != id);
                return Err(self.too_many_channels());
            }
        }
        drop(named);
        self.events.emit(|| Event::ChannelCreated {
            channel: id,
            uri: self.uri_of(opts.authenticated, token.as_str()),
            device: device.id(),
            app: app.into(),
        });
        if let Some(update) = &opts.device_state {
            self.update_device(id, update)?;
        }
        self.touch();
        self.channel_info(id)
    }

    pub(crate) fn channel_info(&self, id: ChannelId) -> Result<ChannelInfo, FakeError> {
        let (r, token) = {
            let registry = self.registry();
            let slot = registry.slot(id).ok_or(FakeError::NoSuchChannel(id))?;
            (slot.to_ref(id), slot.token)
        };
        let d = r.device.lock();
        let c = d.channel(id).ok_or(FakeError::NoSuchChannel(id))?;
        Ok(ChannelInfo {
            id,
            uri: self.uri_of(c.authenticated, token.as_str()),
            device: r.device.id(),
            app: c.app.clone().into(),
            authenticated: c.authenticated,
            service_name: c.service_name.clone().map(Into::into),
            os_version: c.os_version.as_ref().into(),
            sent_today: c.sent_today,
            records_dropped: c.log.dropped(),
            callback: c.callback.as_ref().map(|cb| CallbackInfo {
                uri: cb.uri.clone(),
                blob: String::from_utf8_lossy(&cb.blob).into_owned(),
            }),
            repeats: c.seen.as_ref().map_or(0, |s| s.repeats),
        })
    }

    /// Every message id a channel received more than once, by channel and id.
    pub(crate) fn repeats(&self) -> Vec<Repeat> {
        let mut out = Vec::new();
        for (id, device) in self.channel_list() {
            let d = device.lock();
            let Some(seen) = d.channel(id).and_then(|c| c.seen.as_ref()) else {
                continue;
            };
            out.extend(
                seen.times
                    .iter()
                    .filter(|(_, n)| **n > 1)
                    .map(|(m, n)| Repeat {
                        channel: id,
                        message_id: m.to_string(),
                        times: *n,
                    }),
            );
        }
        out.sort_by(|a, b| (a.channel, &a.message_id).cmp(&(b.channel, &b.message_id)));
        out
    }

    pub(crate) fn channel_ids(&self) -> Vec<ChannelId> {
        self.registry().channels().map(|(id, _)| id).collect()
    }

    /// Every channel with its device, copied out so that no registry lock is held while the
    /// devices are read.
    pub(super) fn channel_list(&self) -> Vec<(ChannelId, Arc<Device>)> {
        self.registry()
            .channels()
            .map(|(id, s)| (id, s.device.clone()))
            .collect()
    }

    pub(crate) fn device_view(&self, id: ChannelId) -> Result<DeviceView, FakeError> {
        let r = self.channel_ref(id)?;
        let d = r.device.lock();
        view(&r.device, &d, id)
    }

    pub(crate) fn update_device(
        &self,
        id: ChannelId,
        u: &DeviceUpdate,
    ) -> Result<DeviceView, FakeError> {
        let r = self.channel_ref(id)?;
        self.apply(&r.device, Some(id), u)
            .map(|v| v.expect("a view for the channel"))
    }

    /// Changes the device-level state (connection, power, queue capacity) of a device, whether
    /// or not it has channels yet.
    pub(crate) fn update_device_by_id(
        &self,
        device: &DeviceId,
        u: &DeviceUpdate,
    ) -> Result<(), FakeError> {
        let channel_field = [
            ("subscription", u.subscription.is_some()),
            ("bound_tile", u.bound_tile.is_some()),
            ("bound_toast", u.bound_toast.is_some()),
            ("app_running", u.app_running.is_some()),
            ("primary_tile_pinned", u.primary_tile_pinned.is_some()),
            ("secondary_tiles", u.secondary_tiles.is_some()),
        ]
        .into_iter()
        .find(|(_, set)| *set);
        if let Some((field, _)) = channel_field {
            return Err(FakeError::Invalid(format!(
                "{field} belongs to a channel, not to device {device}; change it through the channel"
            )));
        }
        let dev = self.device(device);
        self.apply(&dev, None, u).map(|_| ())
    }

    /// Applies `u` to a device and, when given, one of its channels; pumps the queue of a
    /// connected device and fires callbacks when it goes Inactive.
    pub(super) fn apply(
        &self,
        dev: &Arc<Device>,
        channel: Option<ChannelId>,
        u: &DeviceUpdate,
    ) -> Result<Option<DeviceView>, FakeError> {
        if let Some(cap) = u.queue_capacity {
            check_capacity(cap)?;
        }
        let now = self.clock.now();
        let mut fire = Vec::new();
        let result = {
            let mut d = dev.lock();
            if let Some(id) = channel {
                if d.channel(id).is_none() {
                    return Err(FakeError::NoSuchChannel(id));
                }
            }
            let was = d.connection;
            if let Some(x) = u.connection {
                d.connection = x;
            }
            if let Some(x) = u.power {
                d.power = x;
            }
            if let Some(x) = u.queue_capacity {
                d.queue_capacity = x;
            }
            if let Some(c) = channel.and_then(|id| d.channel_mut(id)) {
                if let Some(x) = u.subscription {
                    c.subscription = x;
                }
                if let Some(x) = u.bound_tile {
                    c.bound_tile = x;
                }
                if let Some(x) = u.bound_toast {
                    c.bound_toast = x;
                }
                if let Some(x) = u.app_running {
                    c.app_running = x;
                }
                if let Some(x) = u.primary_tile_pinned {
                    c.primary_pinned = x;
                }
                if let Some(x) = &u.secondary_tiles {
                    c.secondary = x.iter().cloned().collect();
                }
            }
            if d.connection == Connection::Inactive && was != Connection::Inactive {
                for c in d.channels.iter_mut() {
                    if let Some(cb) = c.callback.take() {
                        fire.push((c.id, cb));
                    }
                }
            }
            if d.connection == Connection::Connected {
                self.pump(dev, &mut d, now);
            }
            match channel {
                Some(id) => Some(view(dev, &d, id)?),
                None => None,
            }
        };
        for (cid, cb) in fire {
            self.post_callback(cid, *cb);
        }
        self.events.emit(|| Event::DeviceChanged {
            channel,
            device: dev.id(),
            state: result.clone(),
        });
        self.touch();
        Ok(result)
    }

    /// Gives the channel a new token; the old URI answers 404 from now on.
    pub(crate) fn rotate(&self, id: ChannelId) -> Result<ChannelInfo, FakeError> {
        let r = self.channel_ref(id)?;
        let new = self.new_token();
        self.registry_mut()
            .retoken(id, new)
            .ok_or(FakeError::NoSuchChannel(id))?;
        self.events.emit(|| Event::ChannelRotated {
            channel: id,
            uri: self.uri_of(r.authenticated, new.as_str()),
        });
        self.touch();
        self.channel_info(id)
    }

    pub(crate) fn subscribe_device(&self, device: &DeviceId) -> broadcast::Receiver<Delivered> {
        self.device(device).subscribe()
    }
}

/// The longest device, app, OS version or service name a channel takes, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 256;

/// A name a channel is created with: at most [`MAX_NAME_BYTES`].
fn check_name(field: &str, value: Option<&str>) -> Result<(), FakeError> {
    match value {
        Some(v) if v.len() > MAX_NAME_BYTES => Err(FakeError::Invalid(format!(
            "{field} is {} bytes long; the limit is {MAX_NAME_BYTES}",
            v.len()
        ))),
        _ => Ok(()),
    }
}

impl Core {
    fn too_many_channels(&self) -> FakeError {
        FakeError::TooManyChannels {
            limit: self.config.max_channels,
        }
    }
}

pub(super) fn check_capacity(cap: usize) -> Result<(), FakeError> {
    if cap > 1_000_000 {
        return Err(FakeError::Invalid(format!(
            "queue_capacity {cap} is out of range 0..=1000000"
        )));
    }
    Ok(())
}

impl Core {
    /// Loads a scenario: the settings, then the channels, the device states and the fault
    /// rules, in order. Stops at the first error, which names the entry (`channels[2]: ...`);
    /// what came before it stays applied.
    pub(crate) fn apply_scenario(
        &self,
        scenario: &crate::fake::scenario::Scenario,
    ) -> Result<Vec<ChannelInfo>, FakeError> {
        let at = |what: String| move |e: FakeError| FakeError::Invalid(format!("{what}: {e}"));
        // Fault rules are checked before anything is applied, as are the settings.
        for (i, rule) in scenario.faults.iter().enumerate() {
            rule.validate()
                .map_err(|e| FakeError::Invalid(format!("faults[{i}]: {e}")))?;
        }
        if let Some(cap) = scenario.queue_capacity {
            check_capacity(cap).map_err(at("queue_capacity".into()))?;
        }
        if let Some(cap) = scenario.queue_capacity {
            self.set_queue_capacity(cap)
                .map_err(at("queue_capacity".into()))?;
        }
        if let Some(n) = scenario.daily_limit {
            self.set_daily_limit(n);
        }
        let mut created = Vec::with_capacity(scenario.channels.len());
        for (i, opts) in scenario.channels.iter().enumerate() {
            created.push(
                self.create_channel(opts.clone())
                    .map_err(at(format!("channels[{i}]")))?,
            );
        }
        for (device, update) in &scenario.devices {
            self.update_device_by_id(device, update)
                .map_err(at(format!("devices.{device}")))?;
        }
        for (i, rule) in scenario.faults.iter().enumerate() {
            self.faults
                .add(rule.clone())
                .map_err(|e| FakeError::Invalid(format!("faults[{i}]: {e}")))?;
        }
        Ok(created)
    }
}
