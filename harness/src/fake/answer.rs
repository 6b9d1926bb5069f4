//! What MPNS answers to a well-formed notification, decided from plain facts about the channel
//! and its device, without IO, so that the whole status table of docs/mpns-protocol.md §3.2 is one small
//! function that a model-based property test can check.
//!
//! Precedence, first match wins (docs/mpns-protocol.md §3.2 lists causes, not their order; this order is the
//! one that makes every documented row reachable and each answer explainable):
//!
//! 1. unknown channel, or subscription `Expired` → 404 Dropped/`<device>`/Expired. An unknown
//!    channel reports `Disconnected` (MPNS knows no device for it); an `Inactive` device reports
//!    `Disconnected` too, since the 404 rows only list Connected, TempDisconnected, Disconnected;
//! 2. authenticated channel without a valid client certificate → 401;
//! 3. device `Disconnected` → 412 Dropped/Disconnected (WP8 wording), `Inactive` → 412
//!    Dropped/Inactive (WP7.1 wording); no `X-SubscriptionStatus`;
//! 4. unauthenticated channel that already took its daily limit → 406 Dropped/`<device>`/Active;
//! 5. class not bound, target tile not pinned, raw for an app that is not running, or power
//!    level forbids the type → 200 Suppressed;
//! 6. device queue full → 200 QueueFull (an immediate notification to a connected device passes
//!    through the queue too, so a capacity of 0 makes everything QueueFull);
//! 7. otherwise 200 Received.
//!
//! Raw for an app that is not running: docs/mpns-protocol.md says the phone discards it (§6.4, §9.1)
//! but not what MPNS answered. The recipe's Counter pattern (a Microsoft sample) reads
//! `Received`+`Connected`+`Active` to a raw probe as "the app is running" and otherwise counts
//! the tile badge up, which only works if MPNS answered otherwise; so the fake answers
//! `Suppressed`. A raw accepted while the app runs but discarded because it stopped before
//! delivery is still answered `Received`.

use serde::{Deserialize, Serialize};

use crate::protocol::Target;

/// `X-NotificationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum NotificationStatus {
    /// Accepted and queued (not a delivery receipt).
    Received,
    /// Refused (404, 406, 412).
    Dropped,
    /// The device queue overflowed.
    QueueFull,
    /// Accepted then dropped: class not bound, tile not pinned, raw for an app that is not
    /// running, or low battery.
    Suppressed,
}

/// The device's connection, as `X-DeviceConnectionStatus` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Connection {
    /// The push client holds a live connection: notifications are delivered when due.
    Connected,
    /// Briefly away: notifications queue and are delivered, in order, on reconnect.
    TempDisconnected,
    /// Away for longer: sends get 412.
    Disconnected,
    /// Inactive: sends get 412, and callbacks registered on the device's channels fire.
    Inactive,
}

/// The channel's subscription, as `X-SubscriptionStatus` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Subscription {
    /// The channel exists.
    Active,
    /// The channel is gone: sends get 404.
    Expired,
}

/// The device's battery policy (docs/mpns-protocol.md §6.3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
pub enum Power {
    /// Everything is delivered.
    #[default]
    Normal,
    /// Only raw notifications are delivered; tiles and toasts are Suppressed.
    Low,
    /// Nothing is delivered: everything is Suppressed.
    CriticalLow,
}

impl Connection {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "Connected",
            Self::TempDisconnected => "TempDisconnected",
            Self::Disconnected => "Disconnected",
            Self::Inactive => "Inactive",
        }
    }
}

impl NotificationStatus {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "Received",
            Self::Dropped => "Dropped",
            Self::QueueFull => "QueueFull",
            Self::Suppressed => "Suppressed",
        }
    }
}

impl Subscription {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expired => "Expired",
        }
    }
}

/// An MPNS answer: the HTTP status and the three status headers (absent ones are `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// `X-NotificationStatus`.
    pub notification: Option<NotificationStatus>,
    /// `X-DeviceConnectionStatus`.
    pub device: Option<Connection>,
    /// `X-SubscriptionStatus`.
    pub subscription: Option<Subscription>,
}

impl Answer {
    /// An answer with a status code and no MPNS status headers (400, 401, 405, 503).
    pub const fn bare(status: u16) -> Self {
        Self {
            status,
            notification: None,
            device: None,
            subscription: None,
        }
    }

    const fn full(
        status: u16,
        n: NotificationStatus,
        d: Connection,
        s: Option<Subscription>,
    ) -> Self {
        Self {
            status,
            notification: Some(n),
            device: Some(d),
            subscription: s,
        }
    }
}

/// Why a notification got the answer it got, and what happens to it next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// 404: no such channel (or the URI names it under the wrong kind).
    UnknownChannel,
    /// 404: the subscription expired.
    Expired,
    /// 401: authenticated channel, no valid client certificate.
    Unauthorized,
    /// 412: device disconnected or inactive.
    DeviceUnreachable,
    /// 406: the daily limit was reached.
    Throttled,
    /// 200 Suppressed: the channel is not bound to this notification class.
    NotBound,
    /// 200 Suppressed: the target tile is not pinned.
    TileNotPinned,
    /// 200 Suppressed: the power level forbids this type.
    PowerLevel,
    /// 200 Suppressed: raw for an app that is not running.
    AppNotRunning,
    /// 200 QueueFull.
    QueueFull,
    /// 200 Received: queued for delivery.
    Accepted,
}

impl Fate {
    /// Whether this notification counts toward the daily limit (MPNS took it).
    pub(crate) fn counts_toward_limit(self) -> bool {
        matches!(
            self,
            Fate::NotBound
                | Fate::TileNotPinned
                | Fate::PowerLevel
                | Fate::AppNotRunning
                | Fate::QueueFull
                | Fate::Accepted
        )
    }
}

/// Everything the decision depends on.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    /// `None` for an unknown channel.
    pub channel: Option<ChannelFacts>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChannelFacts {
    pub subscription: Subscription,
    pub connection: Connection,
    pub authenticated: bool,
    pub certified: bool,
    pub sent_today: u32,
    pub daily_limit: u32,
    pub target: Target,
    pub bound_tile: bool,
    pub bound_toast: bool,
    /// Whether the tile the notification targets (primary or secondary `Id`) is pinned; ignored
    /// for toast and raw.
    pub tile_pinned: bool,
    /// Whether the channel's app is running (raw reaches only a running app).
    pub app_running: bool,
    pub power: Power,
    pub queue_len: usize,
    pub queue_capacity: usize,
}

/// The decision; see the module documentation for the precedence.
pub(crate) fn decide(facts: &Facts) -> (Answer, Fate) {
    use Connection::*;
    use NotificationStatus::*;
    let Some(c) = &facts.channel else {
        return (
            Answer::full(404, Dropped, Disconnected, Some(Subscription::Expired)),
            Fate::UnknownChannel,
        );
    };
    let reported = match c.connection {
        Inactive => Disconnected,
        other => other,
    };
    if c.subscription == Subscription::Expired {
        return (
            Answer::full(404, Dropped, reported, Some(Subscription::Expired)),
            Fate::Expired,
        );
    }
    if c.authenticated && !c.certified {
        return (Answer::bare(401), Fate::Unauthorized);
    }
    if matches!(c.connection, Disconnected | Inactive) {
        return (
            Answer::full(412, Dropped, c.connection, None),
            Fate::DeviceUnreachable,
        );
    }
    let active = Some(Subscription::Active);
    if !c.authenticated && c.sent_today >= c.daily_limit {
        return (
            Answer::full(406, Dropped, c.connection, active),
            Fate::Throttled,
        );
    }
    let suppressed = match c.target {
        Target::Tile if !c.bound_tile => Some(Fate::NotBound),
        Target::Toast if !c.bound_toast => Some(Fate::NotBound),
        Target::Tile if !c.tile_pinned => Some(Fate::TileNotPinned),
        Target::Raw if !c.app_running => Some(Fate::AppNotRunning),
        _ => match (c.power, c.target) {
            (Power::Normal, _) | (Power::Low, Target::Raw) => None,
            _ => Some(Fate::PowerLevel),
        },
    };
    if let Some(fate) = suppressed {
        return (Answer::full(200, Suppressed, c.connection, active), fate);
    }
    if c.queue_len >= c.queue_capacity {
        return (
            Answer::full(200, QueueFull, c.connection, active),
            Fate::QueueFull,
        );
    }
    (
        Answer::full(200, Received, c.connection, active),
        Fate::Accepted,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> ChannelFacts {
        ChannelFacts {
            subscription: Subscription::Active,
            connection: Connection::Connected,
            authenticated: false,
            certified: false,
            sent_today: 0,
            daily_limit: 500,
            target: Target::Toast,
            bound_tile: true,
            bound_toast: true,
            tile_pinned: true,
            app_running: true,
            power: Power::Normal,
            queue_len: 0,
            queue_capacity: 30,
        }
    }

    fn run(c: ChannelFacts) -> (Answer, Fate) {
        decide(&Facts { channel: Some(c) })
    }

    #[test]
    fn expired_subscription_on_an_inactive_device_reports_disconnected_with_404() {
        let (a, f) = run(ChannelFacts {
            subscription: Subscription::Expired,
            connection: Connection::Inactive,
            ..ok()
        });
        assert_eq!(a.status, 404);
        assert_eq!(a.device, Some(Connection::Disconnected));
        assert_eq!(f, Fate::Expired);
    }

    #[test]
    fn raw_for_an_app_that_is_not_running_is_suppressed_and_other_types_are_not() {
        let closed = |target| {
            run(ChannelFacts {
                target,
                app_running: false,
                ..ok()
            })
            .1
        };
        assert_eq!(closed(Target::Raw), Fate::AppNotRunning);
        assert_eq!(closed(Target::Toast), Fate::Accepted);
        assert_eq!(closed(Target::Tile), Fate::Accepted);
    }

    #[test]
    fn low_power_suppresses_toast_but_lets_raw_through() {
        let low = |target| {
            run(ChannelFacts {
                power: Power::Low,
                target,
                ..ok()
            })
            .1
        };
        assert_eq!(low(Target::Toast), Fate::PowerLevel);
        assert_eq!(low(Target::Tile), Fate::PowerLevel);
        assert_eq!(low(Target::Raw), Fate::Accepted);
    }

    #[test]
    fn authenticated_channels_ignore_the_daily_limit() {
        let (a, _) = run(ChannelFacts {
            authenticated: true,
            certified: true,
            sent_today: 10_000,
            ..ok()
        });
        assert_eq!(a.status, 200);
    }
}
