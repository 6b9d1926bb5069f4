//! WNS's answer as data: the status code, both status headers, the device's connection status,
//! the ids WNS gives for support, `Retry-After`, and what to do next.

use std::time::Duration;

/// `X-WNS-Status` (documented) or `X-WNS-NotificationStatus` (its undocumented twin, the only
/// one in older traffic): what WNS did with the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationStatus {
    /// `received`: accepted; not a promise that the device showed it.
    Received,
    /// `dropped`: dropped on purpose (an error, or the device refused the kind).
    Dropped,
    /// `channelthrottled`: this channel sent too much; back off.
    ChannelThrottled,
    /// Another value (`appthrottled` has been seen), kept as sent.
    Other(String),
}

impl NotificationStatus {
    fn parse(value: &str) -> NotificationStatus {
        match value.trim().to_ascii_lowercase().as_str() {
            "received" => NotificationStatus::Received,
            "dropped" => NotificationStatus::Dropped,
            "channelthrottled" => NotificationStatus::ChannelThrottled,
            _ => NotificationStatus::Other(value.trim().to_owned()),
        }
    }
}

/// `X-WNS-DeviceConnectionStatus`, sent when the request asked for it
/// ([`Options::request_for_status`](crate::Options::request_for_status)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceConnectionStatus {
    /// `connected`.
    Connected,
    /// `disconnected`.
    Disconnected,
    /// `tempdisconnected` (also read from `tempconnected`, the spelling of one table).
    TempDisconnected,
    /// Another value (`unknown` has been seen), kept as sent.
    Other(String),
}

impl DeviceConnectionStatus {
    fn parse(value: &str) -> DeviceConnectionStatus {
        match value.trim().to_ascii_lowercase().as_str() {
            "connected" => DeviceConnectionStatus::Connected,
            "disconnected" => DeviceConnectionStatus::Disconnected,
            "tempdisconnected" | "tempconnected" => DeviceConnectionStatus::TempDisconnected,
            _ => DeviceConnectionStatus::Other(value.trim().to_owned()),
        }
    }
}

/// What a back end should do after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Nothing: WNS took it.
    Done,
    /// WNS dropped it (`200` with status `dropped`): log it; sending again will not help.
    Log,
    /// Send again later: not before `retry_after` when WNS said so (406, 429, 503, or `200` with
    /// `channelthrottled`).
    BackOff {
        /// WNS's `Retry-After`, when it gave one in seconds.
        retry_after: Option<Duration>,
    },
    /// The token was refused (401): get a new one and send once more.
    /// [`Client::send`](crate::Client::send) already did, so seeing this means the new token
    /// was refused too.
    RefreshToken,
    /// The token is good but not for this channel's app (403): fix the app's identity (package
    /// SID, or the Entra app mapped to the package).
    FixAppIdentity,
    /// The channel is unknown (404) or expired (410): forget it; the app will register a new one.
    ForgetChannel,
    /// The body is too large (413): shrink it.
    Shrink,
    /// WNS refused the request's form (400, 405): fix the request.
    FixRequest,
    /// WNS failed (500 and other answers): log it with the message id and debug trace.
    Report,
}

/// WNS's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status code.
    pub status: u16,
    /// `X-WNS-Status` as sent.
    pub status_header: Option<NotificationStatus>,
    /// `X-WNS-NotificationStatus` as sent.
    pub notification_status_header: Option<NotificationStatus>,
    /// `X-WNS-DeviceConnectionStatus`.
    pub device: Option<DeviceConnectionStatus>,
    /// `X-WNS-Msg-ID`.
    pub message_id: Option<String>,
    /// `X-WNS-Debug-Trace`.
    pub debug_trace: Option<String>,
    /// `X-WNS-Error-Description`.
    pub error_description: Option<String>,
    /// `Retry-After` in seconds (the HTTP-date form is not used by WNS and is read as absent).
    pub retry_after: Option<Duration>,
    /// `MS-CV`, the correlation vector.
    pub correlation_vector: Option<String>,
}

impl Outcome {
    /// Reads an answer from its status code and headers (names in any case).
    ///
    /// ```
    /// use wns::{Action, NotificationStatus, Outcome};
    ///
    /// let outcome = Outcome::from_parts(200, [("X-WNS-NOTIFICATIONSTATUS", "received"), ("X-WNS-Msg-ID", "73B9D5431ABF0590")]);
    /// assert_eq!(outcome.notification_status(), Some(&NotificationStatus::Received));
    /// assert_eq!(outcome.action(), Action::Done);
    /// ```
    pub fn from_parts<'a>(
        status: u16,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Outcome {
        let mut o = Outcome {
            status,
            status_header: None,
            notification_status_header: None,
            device: None,
            message_id: None,
            debug_trace: None,
            error_description: None,
            retry_after: None,
            correlation_vector: None,
        };
        for (name, value) in headers {
            let value_owned = || Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match name.to_ascii_lowercase().as_str() {
                "x-wns-status" => o.status_header = Some(NotificationStatus::parse(value)),
                "x-wns-notificationstatus" => {
                    o.notification_status_header = Some(NotificationStatus::parse(value))
                }
                "x-wns-deviceconnectionstatus" => {
                    o.device = Some(DeviceConnectionStatus::parse(value))
                }
                "x-wns-msg-id" => o.message_id = value_owned(),
                "x-wns-debug-trace" => o.debug_trace = value_owned(),
                "x-wns-error-description" => o.error_description = value_owned(),
                "ms-cv" => o.correlation_vector = value_owned(),
                "retry-after" => {
                    o.retry_after = value.trim().parse::<u64>().ok().map(Duration::from_secs)
                }
                _ => {}
            }
        }
        o
    }

    /// What WNS did with the notification: `X-WNS-Status`, or `X-WNS-NotificationStatus` when
    /// only that one came (older front ends send only it).
    pub fn notification_status(&self) -> Option<&NotificationStatus> {
        self.status_header
            .as_ref()
            .or(self.notification_status_header.as_ref())
    }

    /// Whether WNS accepted it (`200` and not dropped or throttled).
    pub fn is_received(&self) -> bool {
        self.status == 200
            && matches!(
                self.notification_status(),
                None | Some(NotificationStatus::Received)
            )
    }

    /// What to do next.
    pub fn action(&self) -> Action {
        match self.status {
            200 => match self.notification_status() {
                Some(NotificationStatus::Dropped) => Action::Log,
                Some(NotificationStatus::ChannelThrottled) => Action::BackOff {
                    retry_after: self.retry_after,
                },
                _ => Action::Done,
            },
            400 | 405 => Action::FixRequest,
            401 => Action::RefreshToken,
            403 => Action::FixAppIdentity,
            404 | 410 => Action::ForgetChannel,
            413 => Action::Shrink,
            406 | 429 | 503 => Action::BackOff {
                retry_after: self.retry_after,
            },
            _ => Action::Report,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_status_header_is_read_and_the_documented_one_wins() {
        let only_old = Outcome::from_parts(200, [("x-wns-notificationstatus", "dropped")]);
        assert_eq!(
            only_old.notification_status(),
            Some(&NotificationStatus::Dropped)
        );
        let only_new = Outcome::from_parts(200, [("X-WNS-Status", "channelThrottled")]);
        assert_eq!(
            only_new.notification_status(),
            Some(&NotificationStatus::ChannelThrottled)
        );
        let both = Outcome::from_parts(
            200,
            [
                ("X-WNS-Status", "received"),
                ("X-WNS-NotificationStatus", "dropped"),
            ],
        );
        assert_eq!(
            both.notification_status(),
            Some(&NotificationStatus::Received)
        );
    }

    #[test]
    fn every_answer_of_the_table_has_its_action() {
        let a = |status, retry: Option<&str>| {
            let headers: Vec<(&str, &str)> =
                retry.map(|r| ("Retry-After", r)).into_iter().collect();
            Outcome::from_parts(status, headers).action()
        };
        assert_eq!(a(200, None), Action::Done);
        assert_eq!(a(400, None), Action::FixRequest);
        assert_eq!(a(401, None), Action::RefreshToken);
        assert_eq!(a(403, None), Action::FixAppIdentity);
        assert_eq!(a(404, None), Action::ForgetChannel);
        assert_eq!(a(405, None), Action::FixRequest);
        assert_eq!(
            a(406, Some("900")),
            Action::BackOff {
                retry_after: Some(Duration::from_secs(900))
            }
        );
        assert_eq!(a(410, None), Action::ForgetChannel);
        assert_eq!(a(413, None), Action::Shrink);
        assert_eq!(
            a(429, Some("60")),
            Action::BackOff {
                retry_after: Some(Duration::from_secs(60))
            }
        );
        assert_eq!(a(500, None), Action::Report);
        assert_eq!(a(503, None), Action::BackOff { retry_after: None });
    }

    #[test]
    fn device_status_reads_both_spellings_and_keeps_unknown_values() {
        let d = |v| {
            Outcome::from_parts(200, [("X-WNS-DeviceConnectionStatus", v)])
                .device
                .unwrap()
        };
        assert_eq!(d("tempconnected"), DeviceConnectionStatus::TempDisconnected);
        assert_eq!(
            d("TempDisconnected"),
            DeviceConnectionStatus::TempDisconnected
        );
        assert_eq!(
            d("unknown"),
            DeviceConnectionStatus::Other("unknown".into())
        );
    }
}
