//! Counter ("push counter resets when user logs on"): a raw probe to every subscriber; where the
//! answer does not show a running app, the user's unread counter goes up by one and a tile
//! shows it. Registering (the app was launched and logged in) resets the counter and clears the
//! badge.

use serde::{Deserialize, Serialize};

use super::tiles::{self, field_error, TileFront};
use crate::registration::{FieldError, JobData, NewJob, Registration};
use mpns::{
    DeviceConnectionStatus, Message, NotificationStatus, OsVersion, Outcome, SubscriptionStatus,
};

/// What the operator sends with Counter. The defaults are the recipe's.
///
/// The decision is the recipe's, on the probe's first answer: `Received` + `Connected` +
/// `Active` reads as "the app runs and got the raw", so nothing more; `TempDisconnected` means
/// nothing more either (the raw is queued for the device); any other answer (412, 406, 503,
/// QueueFull, Suppressed) sends the tile. An expired channel (404, pruned) and a probe that got
/// no answer at all send nothing more. The probe is still a message (the running app shows it in
/// its inbox), so when MPNS asks for a retry it is retried like every other send, while the
/// tile goes out at once.
///
/// A raw to a closed app on a connected phone is discarded by the phone (docs/mpns-protocol.md §9.1); the
/// recipe's rule only works if MPNS then answers something other than `Received`, and the fake
/// MPNS answers `Suppressed`. That reads as not running, so the user's counter goes up and the
/// counted tile is sent (pinned down by a test). Should a real MPNS answer `Received` there, the
/// user would read as running and get no tile.
///
/// The counter is incremented in one SQL statement that stops at 99, so concurrent sends never
/// lose an increment and never overflow (the recipe's counter passed 99 and threw).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Counter {
    /// The tile's BackgroundImage.
    pub background_image: String,
    /// The tile's Title.
    pub title: String,
    /// The probe's text (shown in the running app's inbox).
    pub raw_message: String,
}

impl Default for Counter {
    fn default() -> Self {
        Counter {
            background_image: super::TILE_BACKGROUNDS[1].to_owned(),
            title: "Updates".into(),
            raw_message: "Game Update".into(),
        }
    }
}

impl Counter {
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        tiles::check_front_fields(&self.background_image, &self.title)?;
        tiles::raw(&self.raw_message).map_err(field_error("raw_message"))?;
        Ok(())
    }

    fn front(&self, count: u8) -> TileFront {
        TileFront {
            background_image: Some(self.background_image.clone()),
            count: Some(count),
            title: Some(self.title.clone()),
        }
    }
}

/// What the probe's first answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Received, Connected, Active: the app runs and has the message.
    AppRunning,
    /// The device is briefly away; the raw waits for it.
    TempDisconnected,
    /// The channel expired (its registrations were pruned).
    Expired,
    /// Anything else: count it, and show it on the tile.
    NotRunning,
}

pub(crate) fn read_probe(outcome: &Outcome) -> Probe {
    if outcome.status == 404 && outcome.subscription == Some(SubscriptionStatus::Expired) {
        return Probe::Expired;
    }
    if outcome.device == Some(DeviceConnectionStatus::TempDisconnected) {
        return Probe::TempDisconnected;
    }
    if outcome.status == 200
        && outcome.notification == Some(NotificationStatus::Received)
        && outcome.device == Some(DeviceConnectionStatus::Connected)
        && outcome.subscription == Some(SubscriptionStatus::Active)
    {
        return Probe::AppRunning;
    }
    Probe::NotRunning
}

/// A registration while Counter is active: the badge is cleared (a tile with Count 0 and the
/// pattern's background and title). The store already reset the counter when it registered
/// the user ([`Store::register`](crate::registration::Store::register)).
pub(crate) fn reset_job(reg: &Registration) -> NewJob {
    NewJob {
        user_name: reg.user_name.clone(),
        channel_uri: reg.channel_uri.clone(),
        os_version: reg.os_version.clone(),
        platform: reg.platform,
        step: "tile",
        data: JobData::Text("0".into()),
    }
}

/// The probe: the raw message.
pub(crate) fn probe(settings: &Counter) -> Result<Message, mpns::MessageError> {
    tiles::raw(&settings.raw_message)
}

/// The counted tile.
pub(crate) fn tile(
    settings: &Counter,
    os: OsVersion,
    count: u8,
) -> Result<Message, mpns::MessageError> {
    tiles::tile(os, &settings.front(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)]) -> Probe {
        read_probe(&Outcome::from_parts(status, headers.iter().copied()))
    }

    #[test]
    fn the_probe_rule_follows_the_recipe_row_by_row() {
        let n = "X-NotificationStatus";
        let d = "X-DeviceConnectionStatus";
        let s = "X-SubscriptionStatus";
        let full = |ns, ds, ss| [(n, ns), (d, ds), (s, ss)];
        assert_eq!(
            answer(200, &full("Received", "Connected", "Active")),
            Probe::AppRunning
        );
        assert_eq!(
            answer(200, &full("Received", "TempDisconnected", "Active")),
            Probe::TempDisconnected
        );
        assert_eq!(
            answer(200, &full("QueueFull", "TempDisconnected", "Active")),
            Probe::TempDisconnected,
            "TempDisconnected wins, as in the recipe"
        );
        assert_eq!(
            answer(404, &full("Dropped", "Connected", "Expired")),
            Probe::Expired
        );
        for not_running in [
            answer(200, &full("Suppressed", "Connected", "Active")),
            answer(200, &full("QueueFull", "Connected", "Active")),
            answer(412, &[(n, "Dropped"), (d, "Inactive")]),
            answer(406, &full("Dropped", "Connected", "Active")),
            answer(503, &[]),
            // Values in other casing parse the same; a 200 that says Expired is not the
            // documented expiry (a 404), but not an app seen running either.
            answer(200, &full("received", "connected", "expired")),
        ] {
            assert_eq!(not_running, Probe::NotRunning);
        }
    }
}
