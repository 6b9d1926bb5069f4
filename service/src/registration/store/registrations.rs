//! The `registrations` table: one row per user, the phone's channel and OS. Registering also
//! resets the user's Counter in the same transaction while Counter is active (the recipe's
//! "counter resets when the user logs on").

use std::time::SystemTime;

use rusqlite::{params, OptionalExtension};

use super::times::{from_millis, serialize_time, to_millis};
use super::{Store, StoreError};
use crate::registration::validate::parse_os_version;
use crate::registration::PatternKind;
use mpns::OsVersion;

/// Which push service a registration's channel belongs to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// A Windows Phone channel on MPNS (the default: a registration that names no platform).
    #[default]
    Mpns,
    /// A Windows 10/11 channel on WNS (`https://*.notify.windows.com/?token=...`).
    Wns,
}

impl Platform {
    /// `mpns` or `wns`, as stored and as the API takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Mpns => "mpns",
            Platform::Wns => "wns",
        }
    }

    /// Reads a stored value; anything but `wns` is MPNS (the column's default).
    pub(crate) fn from_stored(s: &str) -> Platform {
        if s == "wns" {
            Platform::Wns
        } else {
            Platform::Mpns
        }
    }
}

/// One phone app's registration: who, where to push, and which OS it runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Registration {
    /// The key: a later registration with the same name replaces this one.
    pub user_name: String,
    /// Where the service pushes; validated against the allowed hosts when registered.
    pub channel_uri: String,
    /// The OS version as the phone reported it (validated, see [`Registration::os`]).
    pub os_version: String,
    /// When it was registered (or last replaced).
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: SystemTime,
    /// A short text for the last send's outcome ("200 Received/Connected/Active"), if any.
    pub last_outcome: Option<String>,
    /// The push service of the channel.
    pub platform: Platform,
}

impl Registration {
    /// The OS level the phone reported, for choosing what a message may contain.
    pub fn os(&self) -> OsVersion {
        parse_os_version(&self.os_version).unwrap_or(OsVersion::V7_0)
    }
}

impl Store {
    /// Adds the registration, or replaces the one with the same user name. Returns whether one
    /// was replaced. While Counter is the active pattern, the user's counter goes back to 0 in
    /// the same transaction (the recipe's "counter resets when the user logs on"), so the
    /// server info a phone reads right after registering already shows it.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn register(&self, registration: &Registration) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let existed: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM registrations WHERE user_name = ?1)",
            [&registration.user_name],
            |row| row.get(0),
        )?;
        tx.execute(
            "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at, last_outcome, platform)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5)
             ON CONFLICT (user_name) DO UPDATE SET
               channel_uri = excluded.channel_uri,
               platform = excluded.platform,
               os_version = excluded.os_version,
               registered_at = excluded.registered_at,
               last_outcome = NULL",
            params![
                registration.user_name,
                registration.channel_uri,
                registration.os_version,
                to_millis(registration.registered_at),
                registration.platform.as_str(),
            ],
        )?;
        tx.execute(
            "DELETE FROM counters WHERE pattern = ?1 AND user_name = ?2
               AND EXISTS (SELECT 1 FROM active_pattern WHERE id = 1 AND pattern = ?1)",
            [PatternKind::Counter.id(), registration.user_name.as_str()],
        )?;
        tx.commit()?;
        Ok(existed)
    }

    /// Removes a user's registration. Returns whether there was one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn unregister(&self, user_name: &str) -> Result<bool, StoreError> {
        let n = self.lock().execute(
            "DELETE FROM registrations WHERE user_name = ?1",
            [user_name],
        )?;
        Ok(n > 0)
    }

    /// One user's registration.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn registration(&self, user_name: &str) -> Result<Option<Registration>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
                 FROM registrations WHERE user_name = ?1",
                [user_name],
                registration_from_row,
            )
            .optional()?)
    }

    /// Every registration, by user name.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn subscribers(&self) -> Result<Vec<Registration>, StoreError> {
        let mut all = Vec::new();
        self.for_each_subscriber(|r| all.push(r))?;
        Ok(all)
    }

    /// One page of registrations by user name: at most `limit` of those whose name sorts after
    /// `after` (keyset paging), and how many registrations there are in all.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn subscribers_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Registration>, u64), StoreError> {
        let conn = self.lock();
        let total: i64 = conn.query_row("SELECT COUNT(*) FROM registrations", [], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
             FROM registrations WHERE ?1 IS NULL OR user_name > ?1
             ORDER BY user_name LIMIT ?2",
        )?;
        let page = stmt
            .query_map(params![after, limit], registration_from_row)?
            .collect::<Result<_, _>>()?;
        Ok((page, u64::try_from(total).unwrap_or(0)))
    }

    /// Every registration, by user name, handed to `f` as it is read, so that a caller keeping
    /// only part of each (a send to every subscriber) never holds them all. Returns how many
    /// there were.
    pub(crate) fn for_each_subscriber(
        &self,
        mut f: impl FnMut(Registration),
    ) -> Result<usize, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
             FROM registrations ORDER BY user_name",
        )?;
        let mut n = 0;
        for row in stmt.query_map([], registration_from_row)? {
            f(row?);
            n += 1;
        }
        Ok(n)
    }
}

fn registration_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Registration> {
    Ok(Registration {
        user_name: r.get(0)?,
        channel_uri: r.get(1)?,
        os_version: r.get(2)?,
        registered_at: from_millis(r.get(3)?),
        last_outcome: r.get(4)?,
        platform: Platform::from_stored(&r.get::<_, String>(5)?),
    })
}
