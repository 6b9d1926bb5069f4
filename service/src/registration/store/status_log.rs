//! The `status_log` table: every send and what came back. Recording a send also notes it as the
//! last outcome of the registrations on that channel, and prunes them when MPNS said the
//! channel expired, in the same transaction.

use std::time::SystemTime;

use super::db::{args, Arg, Dialect, Sql, Tx};
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
        Self::unanswered(
            pattern,
            (message_type(kind), Platform::Mpns),
            channel_uri,
            error,
            at,
        )
    }

    /// A log row for a WNS send that got no answer, or was not made (`error` says why).
    pub fn from_wns_failure(
        pattern: PatternKind,
        message_type: &str,
        channel_uri: &str,
        error: &str,
        at: SystemTime,
    ) -> StatusEntry {
        Self::unanswered(
            pattern,
            (message_type, Platform::Wns),
            channel_uri,
            error,
            at,
        )
    }

    /// A log row for a request to `platform` with no answer to record (`error` says why).
    pub(super) fn unanswered(
        pattern: PatternKind,
        (message_type, platform): (&str, Platform),
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
            platform,
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
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails; then none of
    /// them is recorded.
    pub fn record_sends(&self, entries: &[StatusEntry]) -> Result<Vec<Recorded>, StoreError> {
        let entries: Vec<&StatusEntry> = entries.iter().collect();
        self.tx(|tx| record_all(tx, &entries))
    }

    /// Status log rows with an id greater than `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn status_log(&self, after: i64, limit: u32) -> Result<Vec<StatusEntry>, StoreError> {
        const SQL: Sql = Sql::same(
            "SELECT id, pattern, message_type, http_status, notification, device, subscription,
                    message_id, channel_uri, at, error, platform
             FROM status_log WHERE id > ?1 ORDER BY id LIMIT ?2",
        );
        self.tx(|tx| {
            tx.query(&SQL, args![after, i64::from(limit)])?
                .iter()
                .map(|r| {
                    Ok(StatusEntry {
                        id: r.int(0)?,
                        pattern: r.text(1)?,
                        message_type: r.text(2)?,
                        http_status: r.opt_small(3)?,
                        notification_status: r.opt_text(4)?,
                        device_connection_status: r.opt_text(5)?,
                        subscription_status: r.opt_text(6)?,
                        message_id: r.opt_text(7)?,
                        channel_uri: r.text(8)?,
                        at: from_millis(r.int(9)?),
                        error: r.opt_text(10)?,
                        platform: Platform::from_stored(&r.text(11)?),
                    })
                })
                .collect()
        })
    }
}

/// Appends one row to the log; returns its id.
const INSERT: Sql = Sql::same(
    "INSERT INTO status_log (pattern, message_type, http_status, notification, device,
                             subscription, message_id, channel_uri, at, error, platform)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
);

/// Records sends inside `tx`, in order (see [`Store::record_send`]): the log rows, the
/// registrations' last outcome, and the pruning of expired channels.
///
/// On SQLite, statement by statement (each one costs microseconds). On PostgreSQL each
/// statement is a round trip, so the whole group is four set-based statements over arrays:
/// the rows inserted in order, each channel's last outcome taken from its last entry, the
/// expired channels' registrations deleted (their users told to the first entry that expired
/// the channel, as the row-by-row order would).
pub(super) fn record_all(
    tx: &mut Tx<'_>,
    entries: &[&StatusEntry],
) -> Result<Vec<Recorded>, StoreError> {
    if tx.dialect() == Dialect::Sqlite {
        return entries.iter().map(|e| record_in(tx, e)).collect();
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let texts = |f: &dyn Fn(&StatusEntry) -> Option<String>| {
        Arg::Texts(entries.iter().map(|e| f(e)).collect())
    };
    let mut ids: Vec<i64> = tx
        .query(
            &Sql::each(
                "",
                "INSERT INTO status_log (pattern, message_type, http_status, notification, device,
                                         subscription, message_id, channel_uri, at, error,
                                         platform)
                 SELECT p, t, s, n, d, sub, m, c, a, e, pl
                 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[],
                             $11::text[])
                      WITH ORDINALITY AS u(p, t, s, n, d, sub, m, c, a, e, pl, ord)
                 ORDER BY ord
                 RETURNING id",
            ),
            &[
                texts(&|e| Some(e.pattern.clone())),
                texts(&|e| Some(e.message_type.clone())),
                Arg::Ints(
                    entries
                        .iter()
                        .map(|e| e.http_status.map(i64::from))
                        .collect(),
                ),
                texts(&|e| e.notification_status.clone()),
                texts(&|e| e.device_connection_status.clone()),
                texts(&|e| e.subscription_status.clone()),
                texts(&|e| e.message_id.clone()),
                texts(&|e| Some(e.channel_uri.clone())),
                Arg::Ints(entries.iter().map(|e| Some(to_millis(e.at))).collect()),
                texts(&|e| e.error.clone()),
                texts(&|e| Some(e.platform.as_str().to_owned())),
            ],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_, _>>()?;
    // Identity values are taken in the order the rows are inserted.
    ids.sort_unstable();
    // The registrations this group changes, locked in one order: two processes recording
    // groups that share channels then wait for each other instead of deadlocking.
    tx.query(
        &Sql::each(
            "",
            "SELECT 1 FROM registrations WHERE channel_uri = ANY($1::text[])
             ORDER BY channel_uri, user_name FOR UPDATE",
        ),
        &[texts(&|e| Some(e.channel_uri.clone()))],
    )?;
    // `= ANY` as well as the join: before the table's first ANALYZE, the generic plan of the
    // join alone scanned every registration (2 ms per group at 100,000); with it a group of a
    // few dozen channels is looked up in the index. Larger groups still need the statistics
    // (`Store::refresh_statistics`, after a large plan).
    tx.execute(
        &Sql::each(
            "",
            "UPDATE registrations r SET last_outcome = u.summary
             FROM (SELECT DISTINCT ON (channel) channel, summary
                   FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(channel, summary, ord)
                   ORDER BY channel, ord DESC) u
             WHERE r.channel_uri = ANY($1::text[]) AND r.channel_uri = u.channel",
        ),
        &[
            texts(&|e| Some(e.channel_uri.clone())),
            texts(&|e| Some(e.summary())),
        ],
    )?;
    let expired: Vec<Option<String>> = entries
        .iter()
        .filter(|e| e.is_expired())
        .map(|e| Some(e.channel_uri.clone()))
        .collect();
    let mut pruned: std::collections::HashMap<String, Vec<String>> = Default::default();
    if !expired.is_empty() {
        for row in tx.query(
            &Sql::each(
                "",
                "DELETE FROM registrations WHERE channel_uri = ANY($1::text[])
                 RETURNING channel_uri, user_name",
            ),
            &[Arg::Texts(expired)],
        )? {
            pruned.entry(row.text(0)?).or_default().push(row.text(1)?);
        }
    }
    let mut recorded = Vec::with_capacity(entries.len());
    for (entry, id) in entries.iter().zip(ids) {
        let mut users = if entry.is_expired() {
            pruned.remove(&entry.channel_uri).unwrap_or_default()
        } else {
            Vec::new()
        };
        users.sort();
        recorded.push(Recorded { id, pruned: users });
    }
    Ok(recorded)
}

/// Writes `entry` as a log row inside `tx`, and nothing else; returns its id.
pub(super) fn insert_row(tx: &mut Tx<'_>, entry: &StatusEntry) -> Result<i64, StoreError> {
    tx.query_one(
        &INSERT,
        args![
            entry.pattern.as_str(),
            entry.message_type.as_str(),
            entry.http_status.map(i64::from),
            entry.notification_status.as_deref(),
            entry.device_connection_status.as_deref(),
            entry.subscription_status.as_deref(),
            entry.message_id.as_deref(),
            entry.channel_uri.as_str(),
            to_millis(entry.at),
            entry.error.as_deref(),
            entry.platform.as_str(),
        ],
    )?
    .int(0)
}

/// Records one send inside `tx` (see [`Store::record_send`]): the log row, the registrations'
/// last outcome, and the pruning of an expired channel.
pub(super) fn record_in(tx: &mut Tx<'_>, entry: &StatusEntry) -> Result<Recorded, StoreError> {
    let id = insert_row(tx, entry)?;
    let summary = entry.summary();
    tx.execute(
        &Sql::same("UPDATE registrations SET last_outcome = ?1 WHERE channel_uri = ?2"),
        args![&summary, &entry.channel_uri],
    )?;
    let mut pruned = Vec::new();
    if entry.is_expired() {
        pruned = tx
            .query(
                &Sql::same("DELETE FROM registrations WHERE channel_uri = ?1 RETURNING user_name"),
                args![&entry.channel_uri],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<Vec<_>, _>>()?;
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
