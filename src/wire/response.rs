//! HTTP answer -> [`Outcome`], as data.
//!
//! MPNS says what happened in three custom headers next to the status code. This module reads
//! them without judging (unknown values are kept, absent headers stay absent) and then derives
//! one recommended [`Action`] from the whole answer, so callers never re-implement the status
//! table of docs/mpns-protocol.md (§3.2) and never lose the real status code, as the .NET
//! recipe did.

use std::fmt;
use std::time::Duration;

/// `X-NotificationStatus`: what MPNS did with this one notification.
///
/// ```
/// use mpns::{NotificationStatus, Outcome};
///
/// let outcome = Outcome::from_parts(200, [("X-NotificationStatus", "queuefull")]);
/// assert_eq!(outcome.notification, Some(NotificationStatus::QueueFull));
/// let odd = Outcome::from_parts(200, [("X-NotificationStatus", "Maybe")]);
/// assert_eq!(odd.notification, Some(NotificationStatus::Other("Maybe".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotificationStatus {
    /// Accepted and queued for the device (not a delivery receipt).
    Received,
    /// Not accepted: the channel expired, the daily quota is used up, or the device is away.
    Dropped,
    /// The device's queue at MPNS is full; send again later.
    QueueFull,
    /// Accepted and then discarded: the channel does not take this kind of notification now.
    Suppressed,
    /// A value the protocol does not document, kept as sent.
    Other(String),
}

/// `X-DeviceConnectionStatus`: what MPNS last knew about the phone's connection.
///
/// ```
/// use mpns::{DeviceConnectionStatus, Outcome};
///
/// let outcome = Outcome::from_parts(412, [("X-DeviceConnectionStatus", "InActive")]);
/// assert_eq!(outcome.device, Some(DeviceConnectionStatus::Inactive));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceConnectionStatus {
    /// The phone holds a live connection.
    Connected,
    /// The connection is briefly lost; notifications queue until it returns.
    TempDisconnected,
    /// The phone has been away for longer.
    Disconnected,
    /// The phone is inactive (the WP7.1 wording; also written `InActive`).
    Inactive,
    /// A value the protocol does not document, kept as sent.
    Other(String),
}

/// `X-SubscriptionStatus`: whether the channel still exists.
///
/// ```
/// use mpns::{Outcome, SubscriptionStatus};
///
/// let outcome = Outcome::from_parts(503, Vec::<(&str, &str)>::new());
/// assert_eq!(outcome.subscription, None); // absent, not "unknown"
/// let gone = Outcome::from_parts(404, [("X-SubscriptionStatus", "Expired")]);
/// assert_eq!(gone.subscription, Some(SubscriptionStatus::Expired));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    /// The channel is valid.
    Active,
    /// The channel is gone; stop sending to it.
    Expired,
    /// A value the protocol does not document, kept as sent.
    Other(String),
}

/// Why an answer says "send again later".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryReason {
    /// 200 with `QueueFull`: back off exponentially, in minutes.
    QueueFull,
    /// 503, or another 5xx, or 429: MPNS (or something in front of it) cannot take the request
    /// now; back off exponentially, in minutes.
    ServiceUnavailable,
    /// 406: the unauthenticated daily limit (500 per channel) or a per-second flood limit was
    /// hit; retry at most once an hour, for up to a day.
    DailyLimit,
    /// 412: the device is disconnected or inactive; retry no sooner than an hour. MPNS may block
    /// senders that retry faster.
    DeviceUnreachable,
}

impl RetryReason {
    /// The least delay before the next attempt: one minute for back-off reasons, one hour for
    /// 406 and 412.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(mpns::RetryReason::DeviceUnreachable.min_delay(), Duration::from_secs(3600));
    /// assert_eq!(mpns::RetryReason::QueueFull.min_delay(), Duration::from_secs(60));
    /// ```
    pub fn min_delay(self) -> Duration {
        match self {
            RetryReason::QueueFull | RetryReason::ServiceUnavailable => Duration::from_secs(60),
            RetryReason::DailyLimit | RetryReason::DeviceUnreachable => Duration::from_secs(3600),
        }
    }
}

/// What the sender should do after an answer.
///
/// Decisions beyond the documented table (each has a row in `fixtures/responses/status-table.csv`):
/// - 200 `Received` with the device `Disconnected` or `Inactive` is [`Action::Queued`], like
///   `TempDisconnected`: MPNS took it, the phone is away.
/// - 200 `Received` without a device header is [`Action::Delivered`].
/// - 200 `Dropped` (undocumented; seen when the phone refuses background work) is
///   [`Action::Suppressed`]: accepted by nobody, and a blind retry will not help.
/// - 200 without `X-NotificationStatus`, or with an unknown value, is [`Action::Unknown`]: the
///   answer did not come from MPNS as documented.
/// - Only 404 with `X-SubscriptionStatus: Expired` is [`Action::RemoveChannel`]. A 404 without
///   `Expired` (a wrong host, a proxy, a WNS endpoint) is [`Action::Unknown`], so a
///   misconfiguration never wipes a registration database. 400 and 401 never remove a channel.
/// - 400, 405 and 413 are [`Action::FixRequest`]; 401 and 403 are [`Action::CheckCredentials`].
/// - 406, 412 and 503 are retries whatever their headers say.
/// - 500 and the other 5xx codes, and 429, are retried like 503.
/// - 3xx (redirects are never followed), other 2xx, other 4xx and 1xx are [`Action::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Accepted and queued for a connected phone. MPNS gives no delivery receipt.
    Delivered,
    /// Accepted; the phone is away and gets it when it comes back.
    Queued,
    /// Send again, not before [`RetryReason::min_delay`].
    Retry(RetryReason),
    /// The channel expired: stop sending to it and delete it.
    RemoveChannel,
    /// The request is malformed (bad XML, bad URI, wrong method, too large): a sender bug.
    FixRequest,
    /// Sending was not authorized: check the TLS client certificate and its subject name.
    CheckCredentials,
    /// Accepted and then discarded by the channel's settings (not bound, tile not pinned,
    /// low battery). Do not retry blindly.
    Suppressed,
    /// An answer the protocol does not explain: log it, do not act on it automatically.
    Unknown,
}

impl Action {
    /// The snake-case name used in the fixtures (`delivered`, `remove_channel`, ...).
    ///
    /// ```
    /// assert_eq!(mpns::Action::RemoveChannel.as_str(), "remove_channel");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delivered => "delivered",
            Action::Queued => "queued",
            Action::Retry(_) => "retry",
            Action::RemoveChannel => "remove_channel",
            Action::FixRequest => "fix_request",
            Action::CheckCredentials => "check_credentials",
            Action::Suppressed => "suppressed",
            Action::Unknown => "unknown",
        }
    }

    /// The least delay before a retry, for [`Action::Retry`] only.
    pub fn min_delay(self) -> Option<Duration> {
        match self {
            Action::Retry(reason) => Some(reason.min_delay()),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// MPNS's answer to one request: the status code, the three status headers (each `None` when
/// absent), the echoed `X-MessageID`, and the recommended [`Action`].
///
/// An outcome is data, never an error: a 404 is as much an answer as a 200.
///
/// ```
/// use mpns::{Action, Outcome, SubscriptionStatus};
///
/// let outcome = Outcome::from_parts(404, [
///     ("X-NotificationStatus", "Dropped"),
///     ("x-deviceconnectionstatus", "Disconnected"),
///     ("X-SubscriptionStatus", "expired"),
/// ]);
/// assert_eq!(outcome.status, 404);
/// assert_eq!(outcome.subscription, Some(SubscriptionStatus::Expired));
/// assert_eq!(outcome.action(), Action::RemoveChannel);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The HTTP status code.
    pub status: u16,
    /// `X-NotificationStatus`, if present.
    pub notification: Option<NotificationStatus>,
    /// `X-DeviceConnectionStatus`, if present.
    pub device: Option<DeviceConnectionStatus>,
    /// `X-SubscriptionStatus`, if present.
    pub subscription: Option<SubscriptionStatus>,
    /// `X-MessageID` as echoed (all zeros when the request carried none), if present.
    pub message_id: Option<String>,
}

impl Outcome {
    /// Reads an answer from its status code and headers. Header names match case-insensitively,
    /// values are trimmed and matched case-insensitively; the first of repeated headers wins.
    pub fn from_parts<K, V>(status: u16, headers: impl IntoIterator<Item = (K, V)>) -> Outcome
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut outcome = Outcome {
            status,
            notification: None,
            device: None,
            subscription: None,
            message_id: None,
        };
        for (name, value) in headers {
            let name = name.as_ref();
            let value = value.as_ref().trim();
            if name.eq_ignore_ascii_case("X-NotificationStatus") && outcome.notification.is_none() {
                outcome.notification = Some(parse_notification(value));
            } else if name.eq_ignore_ascii_case("X-DeviceConnectionStatus")
                && outcome.device.is_none()
            {
                outcome.device = Some(parse_device(value));
            } else if name.eq_ignore_ascii_case("X-SubscriptionStatus")
                && outcome.subscription.is_none()
            {
                outcome.subscription = Some(parse_subscription(value));
            } else if name.eq_ignore_ascii_case("X-MessageID") && outcome.message_id.is_none() {
                outcome.message_id = Some(value.to_owned());
            }
        }
        outcome
    }

    /// The recommended action; see [`Action`] for the decisions beyond the documented table.
    ///
    /// ```
    /// use mpns::{Action, Outcome, RetryReason};
    ///
    /// let full = Outcome::from_parts(200, [("X-NotificationStatus", "QueueFull")]);
    /// assert_eq!(full.action(), Action::Retry(RetryReason::QueueFull));
    /// // A 404 that does not say Expired never removes a channel.
    /// assert_eq!(Outcome::from_parts(404, [("Server", "nginx")]).action(), Action::Unknown);
    /// ```
    pub fn action(&self) -> Action {
        use DeviceConnectionStatus as D;
        use NotificationStatus as N;
        match self.status {
            200 => match (&self.notification, &self.device) {
                (Some(N::Received), Some(D::TempDisconnected | D::Disconnected | D::Inactive)) => {
                    Action::Queued
                }
                (Some(N::Received), _) => Action::Delivered,
                (Some(N::QueueFull), _) => Action::Retry(RetryReason::QueueFull),
                (Some(N::Suppressed | N::Dropped), _) => Action::Suppressed,
                (Some(N::Other(_)) | None, _) => Action::Unknown,
            },
            404 => match self.subscription {
                Some(SubscriptionStatus::Expired) => Action::RemoveChannel,
                _ => Action::Unknown,
            },
            400 | 405 | 413 => Action::FixRequest,
            401 | 403 => Action::CheckCredentials,
            406 => Action::Retry(RetryReason::DailyLimit),
            412 => Action::Retry(RetryReason::DeviceUnreachable),
            429 | 500..=599 => Action::Retry(RetryReason::ServiceUnavailable),
            _ => Action::Unknown,
        }
    }
}

fn parse_notification(value: &str) -> NotificationStatus {
    let is = |s: &str| value.eq_ignore_ascii_case(s);
    if is("Received") {
        NotificationStatus::Received
    } else if is("Dropped") {
        NotificationStatus::Dropped
    } else if is("QueueFull") {
        NotificationStatus::QueueFull
    } else if is("Suppressed") {
        NotificationStatus::Suppressed
    } else {
        NotificationStatus::Other(value.to_owned())
    }
}

fn parse_device(value: &str) -> DeviceConnectionStatus {
    let is = |s: &str| value.eq_ignore_ascii_case(s);
    if is("Connected") {
        DeviceConnectionStatus::Connected
    } else if is("TempDisconnected") {
        DeviceConnectionStatus::TempDisconnected
    } else if is("Disconnected") {
        DeviceConnectionStatus::Disconnected
    } else if is("Inactive") {
        DeviceConnectionStatus::Inactive
    } else {
        DeviceConnectionStatus::Other(value.to_owned())
    }
}

fn parse_subscription(value: &str) -> SubscriptionStatus {
    if value.eq_ignore_ascii_case("Active") {
        SubscriptionStatus::Active
    } else if value.eq_ignore_ascii_case("Expired") {
        SubscriptionStatus::Expired
    } else {
        SubscriptionStatus::Other(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_headers_stay_absent_and_unknown_values_are_kept() {
        let outcome = Outcome::from_parts(200, [("X-DeviceConnectionStatus", " Sleeping ")]);
        assert_eq!(outcome.notification, None);
        assert_eq!(outcome.subscription, None);
        assert_eq!(outcome.message_id, None);
        assert_eq!(
            outcome.device,
            Some(DeviceConnectionStatus::Other("Sleeping".into()))
        );
    }

    #[test]
    fn inactive_spelled_with_a_capital_a_is_inactive() {
        let outcome = Outcome::from_parts(412, [("X-DEVICECONNECTIONSTATUS", "InActive")]);
        assert_eq!(outcome.device, Some(DeviceConnectionStatus::Inactive));
    }

    #[test]
    fn the_first_of_repeated_headers_wins() {
        let outcome = Outcome::from_parts(
            200,
            [
                ("X-NotificationStatus", "Received"),
                ("X-NotificationStatus", "Dropped"),
                ("X-MessageID", "00000000-0000-0000-0000-000000000000"),
            ],
        );
        assert_eq!(outcome.notification, Some(NotificationStatus::Received));
        assert_eq!(
            outcome.message_id.as_deref(),
            Some("00000000-0000-0000-0000-000000000000")
        );
    }
}
