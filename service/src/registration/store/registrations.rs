//! The `registrations` table: one row per user, the phone's channel and OS. Registering also
//! resets the user's Counter in the same transaction while Counter is active (the recipe's
//! "counter resets when the user logs on").

use std::time::SystemTime;

use super::db::{args, Row, Sql};
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
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn register(&self, registration: &Registration) -> Result<bool, StoreError> {
        self.tx(|tx| {
            let existed = tx
                .query_one(
                    &Sql::same("SELECT EXISTS (SELECT 1 FROM registrations WHERE user_name = ?1)"),
                    args![&registration.user_name],
                )?
                .int(0)?
                != 0;
            tx.execute(
                &Sql::same(
                    "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at, last_outcome, platform)
                     VALUES (?1, ?2, ?3, ?4, NULL, ?5)
                     ON CONFLICT (user_name) DO UPDATE SET
                       channel_uri = excluded.channel_uri,
                       platform = excluded.platform,
                       os_version = excluded.os_version,
                       registered_at = excluded.registered_at,
                       last_outcome = NULL",
                ),
                args![
                    &registration.user_name,
                    &registration.channel_uri,
                    &registration.os_version,
                    to_millis(registration.registered_at),
                    registration.platform.as_str(),
                ],
            )?;
            tx.execute(
                &Sql::same(
                    "DELETE FROM counters WHERE pattern = ?1 AND user_name = ?2
                       AND EXISTS (SELECT 1 FROM active_pattern WHERE id = 1 AND pattern = ?1)",
                ),
                args![PatternKind::Counter.id(), registration.user_name.as_str()],
            )?;
            Ok(existed)
        })
    }

    /// Removes a user's registration. Returns whether there was one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn unregister(&self, user_name: &str) -> Result<bool, StoreError> {
        let n = self.tx(|tx| {
            tx.execute(
                &Sql::same("DELETE FROM registrations WHERE user_name = ?1"),
                args![user_name],
            )
        })?;
        Ok(n > 0)
    }

    /// One user's registration.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn registration(&self, user_name: &str) -> Result<Option<Registration>, StoreError> {
        const SQL: Sql = Sql::same(
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
             FROM registrations WHERE user_name = ?1",
        );
        self.tx(|tx| {
            tx.query_opt(&SQL, args![user_name])?
                .map(|r| registration_from_row(&r))
                .transpose()
        })
    }

    /// Every registration, by user name.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn subscribers(&self) -> Result<Vec<Registration>, StoreError> {
        const SQL: Sql = Sql::same(
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
             FROM registrations ORDER BY user_name",
        );
        self.tx(|tx| {
            tx.query(&SQL, &[])?
                .iter()
                .map(registration_from_row)
                .collect()
        })
    }

    /// One page of registrations by user name: at most `limit` of those whose name sorts after
    /// `after` (keyset paging), and how many registrations there are in all.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn subscribers_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Registration>, u64), StoreError> {
        const PAGE: Sql = Sql::each(
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
             FROM registrations WHERE ?1 IS NULL OR user_name > ?1
             ORDER BY user_name LIMIT ?2",
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome, platform
             FROM registrations WHERE $1::text IS NULL OR user_name > $1::text
             ORDER BY user_name LIMIT $2",
        );
        self.tx(|tx| {
            let total = tx
                .query_one(&Sql::same("SELECT COUNT(*) FROM registrations"), &[])?
                .int(0)?;
            let page = tx
                .query(&PAGE, args![after, i64::from(limit)])?
                .iter()
                .map(registration_from_row)
                .collect::<Result<_, _>>()?;
            Ok((page, u64::try_from(total).unwrap_or(0)))
        })
    }
}

fn registration_from_row(r: &Row) -> Result<Registration, StoreError> {
    Ok(Registration {
        user_name: r.text(0)?,
        channel_uri: r.text(1)?,
        os_version: r.text(2)?,
        registered_at: from_millis(r.int(3)?),
        last_outcome: r.opt_text(4)?,
        platform: Platform::from_stored(&r.text(5)?),
    })
}
