//! The `status_log` table: every send and what came back. Recording a send also notes it as the
//! last outcome of the registrations on that channel, and prunes them when MPNS said the
//! channel expired, in the same transaction.

use std::time::SystemTime;

use rusqlite::params;

use super::times::{from_millis, serialize_time, to_millis};
use super::{Store, StoreError};
use crate::registration::{PatternKind, Platform};
use mpns::{DeviceConnectionStatus, MessageKind, NotificationStatus, Outcome, SubscriptionStatus};

/// One row of the message status log: one send and what came back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StatusEntry {
    /// The row id, increasing; 0 until stored.
    pub id: i64,
    /// The pattern that sent it, by display name ("Counter").
    pub pattern: String,
    /// "Tile", "Toast" or "Raw".
    pub message_type: String,
    /// The HTTP status, absent when no answer came back.
    pub http_status: Option<u16>,
    /// `X-NotificationStatus`, as named by the protocol.
    pub notification_status: Option<String>,
    /// `X-DeviceConnectionStatus`.
    pub device_connection_status: Option<String>,
    /// `X-SubscriptionStatus`.
    pub subscription_status: Option<String>,
    /// The message id echoed by MPNS.
    pub message_id: Option<String>,
    /// The channel the message went to.
    pub channel_uri: String,
    /// When the answer (or the failure) arrived.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub at: SystemTime,
    /// The transport failure, when no answer came back (or, for WNS, its error description).
    pub error: Option<String>,
    /// The push service the message went through.
    pub platform: Platform,
}

impl StatusEntry {
    /// A log row for an answer MPNS gave.
    pub fn from_outcome(
        pattern: PatternKind,
        kind: MessageKind,
        channel_uri: &str,
        outcome: &Outcome,
        at: SystemTime,
    ) -> StatusEntry {
        StatusEntry {
            id: 0,
            pattern: pattern.display_name().to_owned(),
            message_type: message_type(kind).to_owned(),
            http_status: Some(outcome.status),
            notification_status: outcome.notification.as_ref().map(notification_name),
            device_connection_status: outcome.device.as_ref().map(device_name),
            subscription_status: outcome.subscription.as_ref().map(subscription_name),
            message_id: outcome.message_id.clone(),
            channel_uri: channel_uri.to_owned(),
            at,
            error: None,
            platform: Platform::Mpns,
        }
    }

    /// A log row for an answer WNS gave: its status header in the notification column, its
    /// device status (when asked for) in the device column, its error description in the error
    /// column; WNS has no subscription status.
    pub fn from_wns_outcome(
        pattern: PatternKind,
        message_type: &str,
        channel_uri: &str,
        outcome: &wns::Outcome,
        at: SystemTime,
    ) -> StatusEntry {
        StatusEntry {
            id: 0,
            pattern: pattern.display_name().to_owned(),
            message_type: message_type.to_owned(),
            http_status: Some(outcome.status),
            notification_status: outcome.notification_status().map(|s| match s {
                wns::NotificationStatus::Received => "received".to_owned(),
                wns::NotificationStatus::Dropped => "dropped".to_owned(),
                wns::NotificationStatus::ChannelThrottled => "channelthrottled".to_owned(),
                wns::NotificationStatus::Other(v) => v.clone(),
            }),
            device_connection_status: outcome.device.as_ref().map(|d| match d {
                wns::DeviceConnectionStatus::Connected => "connected".to_owned(),
                wns::DeviceConnectionStatus::Disconnected => "disconnected".to_owned(),
                wns::DeviceConnectionStatus::TempDisconnected => "tempdisconnected".to_owned(),
                wns::DeviceConnectionStatus::Other(v) => v.clone(),
            }),
            subscription_status: None,
            message_id: outcome.message_id.clone(),
            channel_uri: channel_uri.to_owned(),
            at,
            error: outcome.error_description.clone(),
            platform: Platform::Wns,
        }
    }

    /// A log row for a send that got no answer (refused connection, timeout, TLS failure).
    pub fn from_failure(
        pattern: PatternKind,
        kind: MessageKind,
        channel_uri: &str,
        error: &str,
        at: SystemTime,
    ) -> StatusEntry {
        StatusEntry {
            id: 0,
            pattern: pattern.display_name().to_owned(),
            message_type: message_type(kind).to_owned(),
            http_status: None,
            notification_status: None,
            device_connection_status: None,
            subscription_status: None,
            message_id: None,
            channel_uri: channel_uri.to_owned(),
            at,
            error: Some(error.to_owned()),
            platform: Platform::Mpns,
        }
    }

    /// A log row for a WNS send that got no answer, or was not made (`error` says why).
    pub fn from_wns_failure(
        pattern: PatternKind,
        message_type: &str,
        channel_uri: &str,
        error: &str,
        at: SystemTime,
    ) -> StatusEntry {
        StatusEntry {
            id: 0,
            pattern: pattern.display_name().to_owned(),
            message_type: message_type.to_owned(),
            http_status: None,
            notification_status: None,
            device_connection_status: None,
            subscription_status: None,
            message_id: None,
            channel_uri: channel_uri.to_owned(),
            at,
            error: Some(error.to_owned()),
            platform: Platform::Wns,
        }
    }

    /// Whether the push service said the channel is gone: MPNS with 404 and
    /// `X-SubscriptionStatus: Expired`; WNS with 404 (unknown) or 410 (expired).
    pub fn is_expired(&self) -> bool {
        match self.platform {
            Platform::Mpns => {
                self.http_status == Some(404)
                    && self.subscription_status.as_deref() == Some("Expired")
            }
            Platform::Wns => matches!(self.http_status, Some(404 | 410)),
        }
    }

    pub(crate) fn summary(&self) -> String {
        match self.http_status {
            None => format!(
                "no answer: {}",
                self.error.as_deref().unwrap_or("unknown error")
            ),
            Some(status) => format!(
                "{status} {}/{}/{}",
                self.notification_status.as_deref().unwrap_or("-"),
                self.device_connection_status.as_deref().unwrap_or("-"),
                self.subscription_status.as_deref().unwrap_or("-"),
            ),
        }
    }
}

/// What [`Store::record_send`] did besides logging.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The log row's id.
    pub id: i64,
    /// Users whose registration was removed because MPNS said their channel expired.
    pub pruned: Vec<String>,
}

impl Store {
    /// Appends a send to the status log, notes it as the last outcome of every registration on
    /// that channel, and removes those registrations when MPNS said the channel expired
    /// (404 `Expired`). All in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn record_send(&self, entry: &StatusEntry) -> Result<Recorded, StoreError> {
        let mut recorded = self.record_sends(std::slice::from_ref(entry))?;
        Ok(recorded.pop().unwrap_or_default())
    }

    /// [`Store::record_send`] for several sends, in order, in one transaction (one commit for
    /// all: what a fan-out's log writer uses).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails; then none of them is recorded.
    pub fn record_sends(&self, entries: &[StatusEntry]) -> Result<Vec<Recorded>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut recorded = Vec::with_capacity(entries.len());
        for entry in entries {
            recorded.push(record_in(&tx, entry)?);
        }
        tx.commit()?;
        Ok(recorded)
    }

    /// Status log rows with an id greater than `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn status_log(&self, after: i64, limit: u32) -> Result<Vec<StatusEntry>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, pattern, message_type, http_status, notification, device, subscription,
                    message_id, channel_uri, at, error, platform
             FROM status_log WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
            Ok(StatusEntry {
                id: r.get(0)?,
                pattern: r.get(1)?,
                message_type: r.get(2)?,
                http_status: r.get(3)?,
                notification_status: r.get(4)?,
                device_connection_status: r.get(5)?,
                subscription_status: r.get(6)?,
                message_id: r.get(7)?,
                channel_uri: r.get(8)?,
                at: from_millis(r.get(9)?),
                error: r.get(10)?,
                platform: Platform::from_stored(&r.get::<_, String>(11)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Records one send inside `tx` (see [`Store::record_send`]): the log row, the registrations'
/// last outcome, and the pruning of an expired channel.
pub(super) fn record_in(
    tx: &rusqlite::Transaction<'_>,
    entry: &StatusEntry,
) -> Result<Recorded, StoreError> {
    // Cached statements: this runs once per send, and compiling the SQL each time
    // cost more than running it.
    tx.prepare_cached(
        "INSERT INTO status_log (pattern, message_type, http_status, notification, device,
                                     subscription, message_id, channel_uri, at, error, platform)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        entry.pattern,
        entry.message_type,
        entry.http_status,
        entry.notification_status,
        entry.device_connection_status,
        entry.subscription_status,
        entry.message_id,
        entry.channel_uri,
        to_millis(entry.at),
        entry.error,
        entry.platform.as_str(),
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("UPDATE registrations SET last_outcome = ?1 WHERE channel_uri = ?2")?
        .execute(params![entry.summary(), entry.channel_uri])?;
    let mut pruned = Vec::new();
    if entry.is_expired() {
        let mut stmt = tx.prepare_cached(
            "DELETE FROM registrations WHERE channel_uri = ?1 RETURNING user_name",
        )?;
        let rows = stmt.query_map([&entry.channel_uri], |r| r.get::<_, String>(0))?;
        pruned = rows.collect::<Result<Vec<_>, _>>()?;
        pruned.sort();
    }
    Ok(Recorded { id, pruned })
}

fn message_type(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Tile => "Tile",
        MessageKind::Toast => "Toast",
        MessageKind::Raw => "Raw",
    }
}

fn notification_name(s: &NotificationStatus) -> String {
    match s {
        NotificationStatus::Received => "Received".into(),
        NotificationStatus::Dropped => "Dropped".into(),
        NotificationStatus::QueueFull => "QueueFull".into(),
        NotificationStatus::Suppressed => "Suppressed".into(),
        NotificationStatus::Other(v) => v.clone(),
    }
}

fn device_name(s: &DeviceConnectionStatus) -> String {
    match s {
        DeviceConnectionStatus::Connected => "Connected".into(),
        DeviceConnectionStatus::TempDisconnected => "TempDisconnected".into(),
        DeviceConnectionStatus::Disconnected => "Disconnected".into(),
        DeviceConnectionStatus::Inactive => "Inactive".into(),
        DeviceConnectionStatus::Other(v) => v.clone(),
    }
}

fn subscription_name(s: &SubscriptionStatus) -> String {
    match s {
        SubscriptionStatus::Active => "Active".into(),
        SubscriptionStatus::Expired => "Expired".into(),
        SubscriptionStatus::Other(v) => v.clone(),
    }
}
