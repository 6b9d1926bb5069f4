//! Everything the service must not forget, in one SQLite database: registrations, the state the
//! push patterns keep per user, and the log of every send.
//!
//! **Concurrency choice.** One [`rusqlite::Connection`] behind a `std::sync::Mutex`, held only
//! for the few statements of one operation. SQLite serialises writers anyway, so a pool would
//! buy nothing but `SQLITE_BUSY` handling; one lock also makes every operation (such as the
//! clamped counter increment) atomic with respect to every other. The methods are synchronous;
//! async code calls them through [`Store::run`], which moves the call onto tokio's blocking
//! pool so that a slow disk (an `fsync` on commit) never stalls a runtime worker.
//!
//! **Schema.** `PRAGMA user_version` holds how many steps of `MIGRATIONS` have been applied;
//! opening a database applies the missing ones in order, each in its own transaction, so an old
//! file is brought forward and a fresh one is built by the same path.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use super::validate::parse_os_version;
use super::PatternKind;
use mpns::{
    DeviceConnectionStatus, MessageKind, NotificationStatus, OsVersion, Outcome, SubscriptionStatus,
};

/// The schema, one step per entry; step `i` takes `user_version` from `i` to `i + 1`.
/// Append only: never edit a step that has shipped.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: registrations and the status log.
    "CREATE TABLE registrations (
        user_name     TEXT PRIMARY KEY NOT NULL,
        channel_uri   TEXT NOT NULL,
        os_version    TEXT NOT NULL,
        registered_at INTEGER NOT NULL
    );
    CREATE INDEX registrations_by_channel ON registrations (channel_uri);
    CREATE TABLE status_log (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        pattern      TEXT NOT NULL,
        message_type TEXT NOT NULL,
        http_status  INTEGER,
        notification TEXT,
        device       TEXT,
        subscription TEXT,
        message_id   TEXT,
        channel_uri  TEXT NOT NULL,
        at           INTEGER NOT NULL,
        error        TEXT
    );",
    // 2: the outcome of the last send to each registration.
    "ALTER TABLE registrations ADD COLUMN last_outcome TEXT;",
    // 3: per-pattern state and the recorded \"Test Now\" requests.
    "CREATE TABLE active_pattern (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        pattern TEXT NOT NULL
    );
    CREATE TABLE counters (
        pattern   TEXT NOT NULL,
        user_name TEXT NOT NULL,
        count     INTEGER NOT NULL CHECK (count BETWEEN 0 AND 99),
        PRIMARY KEY (pattern, user_name)
    );
    CREATE TABLE last_tiles (
        pattern    TEXT NOT NULL,
        user_name  TEXT NOT NULL,
        tile_json  TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (pattern, user_name)
    );
    CREATE TABLE tile_requests (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_name   TEXT NOT NULL,
        channel_uri TEXT NOT NULL,
        number      INTEGER NOT NULL,
        image_uri   TEXT NOT NULL,
        at          INTEGER NOT NULL
    );",
    // 4: the settings of each pattern's last send (a registration is answered with them).
    "CREATE TABLE pattern_settings (
        pattern       TEXT PRIMARY KEY NOT NULL,
        settings_json TEXT NOT NULL,
        updated_at    INTEGER NOT NULL
    );",
];

/// The schema version a database has once opened by this build.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database file name the service uses when the operator names none.
pub const DEFAULT_DB_FILE: &str = "mpns-service.sqlite3";

/// The highest counter value: a tile's Count is 0..=99, so the counter stops there.
pub const MAX_COUNTER: u8 = 99;

/// A storage failure: the database could not be opened, migrated, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer version of this program.
    #[error(
        "database schema version {found} is newer than the {known} versions this program knows; \
         use a newer build or another database file"
    )]
    TooNew {
        /// `user_version` found in the file.
        found: i64,
        /// The number of migrations this build has.
        known: usize,
    },
    /// A blocking store task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
}

/// One phone app's registration: who, where to push, and which OS it runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Registration {
    /// The key: a later registration with the same name replaces this one.
    pub user_name: String,
    /// Where the service pushes; validated against the allowed hosts when registered.
    pub channel_uri: String,
    /// The OS version as the phone reported it (validated, see [`Registration::os`]).
    pub os_version: String,
    /// When it was registered (or last replaced).
    #[serde(serialize_with = "serialize_time")]
    pub registered_at: SystemTime,
    /// A short text for the last send's outcome ("200 Received/Connected/Active"), if any.
    pub last_outcome: Option<String>,
}

impl Registration {
    /// The OS level the phone reported, for choosing what a message may contain.
    pub fn os(&self) -> OsVersion {
        parse_os_version(&self.os_version).unwrap_or(OsVersion::V7_0)
    }
}

/// One row of the message status log: one send and what came back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
    pub at: SystemTime,
    /// The transport failure, when no answer came back.
    pub error: Option<String>,
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
        }
    }

    /// Whether MPNS said the channel is gone (404 with `X-SubscriptionStatus: Expired`).
    pub fn is_expired(&self) -> bool {
        self.http_status == Some(404) && self.subscription_status.as_deref() == Some("Expired")
    }

    fn summary(&self) -> String {
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

/// A "Test Now" request of the Tile Schedule pattern, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TileRequest {
    /// The row id.
    pub id: i64,
    /// Who asked.
    pub user_name: String,
    /// Their channel at the time.
    pub channel_uri: String,
    /// The number image asked for.
    pub number: u8,
    /// The image URI the tile points at.
    pub image_uri: String,
    /// When.
    #[serde(serialize_with = "serialize_time")]
    pub at: SystemTime,
}

/// The service's database; cheap to clone (all clones share one connection).
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database file at `path` and migrates it to the latest
    /// schema.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the file cannot be opened or written;
    /// [`StoreError::TooNew`] when it was written by a newer build.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        // WAL keeps readers and the single writer out of each other's way and survives a crash;
        // NORMAL is durable across application crashes, which is what a restart needs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Store::setup(conn)
    }

    /// A private, empty database in memory, for tests.
    ///
    /// ```
    /// let store = mpns_service::registration::Store::in_memory().unwrap();
    /// assert!(store.subscribers().unwrap().is_empty());
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if SQLite cannot allocate it.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn, MIGRATIONS)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The schema version of the open database (the number of migrations applied).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if it cannot be read.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .lock()
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Runs `f` on tokio's blocking pool, so that async handlers never wait on the disk.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let store = mpns_service::registration::Store::in_memory().unwrap();
    /// let n = store.run(|s| s.subscribers().map(|v| v.len())).await.unwrap();
    /// assert_eq!(n, 0);
    /// # }
    /// ```
    ///
    /// # Errors
    /// Whatever `f` returns, or [`StoreError::Task`] if it panicked.
    pub async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (statements are
        // atomic, transactions roll back on drop), so a poisoned lock is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

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
            "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at, last_outcome)
             VALUES (?1, ?2, ?3, ?4, NULL)
             ON CONFLICT (user_name) DO UPDATE SET
               channel_uri = excluded.channel_uri,
               os_version = excluded.os_version,
               registered_at = excluded.registered_at,
               last_outcome = NULL",
            params![
                registration.user_name,
                registration.channel_uri,
                registration.os_version,
                to_millis(registration.registered_at),
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
                "SELECT user_name, channel_uri, os_version, registered_at, last_outcome
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

    /// Every registration, by user name, handed to `f` as it is read, so that a caller keeping
    /// only part of each (a send to every subscriber) never holds them all. Returns how many
    /// there were.
    pub(crate) fn for_each_subscriber(
        &self,
        mut f: impl FnMut(Registration),
    ) -> Result<usize, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT user_name, channel_uri, os_version, registered_at, last_outcome
             FROM registrations ORDER BY user_name",
        )?;
        let mut n = 0;
        for row in stmt.query_map([], registration_from_row)? {
            f(row?);
            n += 1;
        }
        Ok(n)
    }

    /// The pattern phones are told about; One Time until one is set.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn active_pattern(&self) -> Result<PatternKind, StoreError> {
        let name: Option<String> = self
            .lock()
            .query_row("SELECT pattern FROM active_pattern WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(name
            .and_then(|n| PatternKind::from_id(&n))
            .unwrap_or(PatternKind::OneTime))
    }

    /// Makes `pattern` the active one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn set_active_pattern(&self, pattern: PatternKind) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO active_pattern (id, pattern) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET pattern = excluded.pattern",
            [pattern.id()],
        )?;
        Ok(())
    }

    /// A user's counter for a pattern; 0 when there is none.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn counter(&self, pattern: PatternKind, user_name: &str) -> Result<u8, StoreError> {
        let count: Option<u8> = self
            .lock()
            .query_row(
                "SELECT count FROM counters WHERE pattern = ?1 AND user_name = ?2",
                [pattern.id(), user_name],
                |r| r.get(0),
            )
            .optional()?;
        Ok(count.unwrap_or(0))
    }

    /// Adds one to a user's counter, stopping at [`MAX_COUNTER`], and returns the new value.
    /// A counter that did not exist becomes 1. One statement, so concurrent increments are
    /// never lost.
    ///
    /// ```
    /// use mpns_service::registration::{PatternKind, Store};
    /// let store = Store::in_memory().unwrap();
    /// assert_eq!(store.increment_counter(PatternKind::Counter, "ann").unwrap(), 1);
    /// for _ in 0..200 { store.increment_counter(PatternKind::Counter, "ann").unwrap(); }
    /// assert_eq!(store.counter(PatternKind::Counter, "ann").unwrap(), 99);
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn increment_counter(
        &self,
        pattern: PatternKind,
        user_name: &str,
    ) -> Result<u8, StoreError> {
        Ok(self.lock().query_row(
            "INSERT INTO counters (pattern, user_name, count) VALUES (?1, ?2, 1)
             ON CONFLICT (pattern, user_name) DO UPDATE SET count = MIN(count + 1, ?3)
             RETURNING count",
            params![pattern.id(), user_name, MAX_COUNTER],
            |r| r.get(0),
        )?)
    }

    /// Forgets a user's counter (it reads 0 again).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn reset_counter(&self, pattern: PatternKind, user_name: &str) -> Result<(), StoreError> {
        self.lock().execute(
            "DELETE FROM counters WHERE pattern = ?1 AND user_name = ?2",
            [pattern.id(), user_name],
        )?;
        Ok(())
    }

    /// The last tile a pattern sent a user, as the JSON the pattern stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn last_tile(
        &self,
        pattern: PatternKind,
        user_name: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.json_column(
            "SELECT tile_json FROM last_tiles WHERE pattern = ?1 AND user_name = ?2",
            [pattern.id(), user_name],
        )
    }

    /// The JSON text column the query's one row holds, if there is a row.
    fn json_column(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = self
            .lock()
            .query_row(sql, params, |r| r.get(0))
            .optional()?;
        // Only this program writes these columns, always from a `Value`.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Remembers the last tile a pattern sent a user (replacing the previous one).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn set_last_tile(
        &self,
        pattern: PatternKind,
        user_name: &str,
        tile: &serde_json::Value,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO last_tiles (pattern, user_name, tile_json, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (pattern, user_name) DO UPDATE SET
               tile_json = excluded.tile_json, updated_at = excluded.updated_at",
            params![pattern.id(), user_name, tile.to_string(), to_millis(at)],
        )?;
        Ok(())
    }

    /// The settings of a pattern's last send, as the JSON the patterns stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn pattern_settings(
        &self,
        pattern: PatternKind,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.json_column(
            "SELECT settings_json FROM pattern_settings WHERE pattern = ?1",
            [pattern.id()],
        )
    }

    /// Remembers the settings of a pattern's last send (replacing the previous ones).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn set_pattern_settings(
        &self,
        pattern: PatternKind,
        settings: &serde_json::Value,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO pattern_settings (pattern, settings_json, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (pattern) DO UPDATE SET
               settings_json = excluded.settings_json, updated_at = excluded.updated_at",
            params![pattern.id(), settings.to_string(), to_millis(at)],
        )?;
        Ok(())
    }

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
            // Cached statements: this runs once per send, and compiling the SQL each time
            // cost more than running it.
            tx.prepare_cached(
                "INSERT INTO status_log (pattern, message_type, http_status, notification, device,
                                         subscription, message_id, channel_uri, at, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
            recorded.push(Recorded { id, pruned });
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
                    message_id, channel_uri, at, error
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
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a "Test Now" request and returns it with its id.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn record_tile_request(
        &self,
        user_name: &str,
        channel_uri: &str,
        number: u8,
        image_uri: &str,
        at: SystemTime,
    ) -> Result<TileRequest, StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO tile_requests (user_name, channel_uri, number, image_uri, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_name, channel_uri, number, image_uri, to_millis(at)],
        )?;
        Ok(TileRequest {
            id: conn.last_insert_rowid(),
            user_name: user_name.to_owned(),
            channel_uri: channel_uri.to_owned(),
            number,
            image_uri: image_uri.to_owned(),
            at: from_millis(to_millis(at)),
        })
    }

    /// Recorded "Test Now" requests, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn tile_requests(&self) -> Result<Vec<TileRequest>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, user_name, channel_uri, number, image_uri, at FROM tile_requests ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TileRequest {
                id: r.get(0)?,
                user_name: r.get(1)?,
                channel_uri: r.get(2)?,
                number: r.get(3)?,
                image_uri: r.get(4)?,
                at: from_millis(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Brings `conn` from its `user_version` to `steps.len()`, one transaction per step.
pub(crate) fn migrate(conn: &mut Connection, steps: &[&str]) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > steps.len() as i64 {
        return Err(StoreError::TooNew {
            found: current,
            known: steps.len(),
        });
    }
    for (index, sql) in steps.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
        tracing::debug!(version = index + 1, "database migrated");
    }
    Ok(())
}

fn registration_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Registration> {
    Ok(Registration {
        user_name: r.get(0)?,
        channel_uri: r.get(1)?,
        os_version: r.get(2)?,
        registered_at: from_millis(r.get(3)?),
        last_outcome: r.get(4)?,
    })
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

/// Milliseconds since the Unix epoch (negative before it), as stored.
fn to_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn from_millis(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

fn serialize_time<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// `2026-11-26T12:54:26.123Z`; times before 1970 are shown as the epoch.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let secs = (ms / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift to a calendar whose years start on 1 March, so the leap day ends a year;
    // eras are the 400-year cycles of 146_097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_renders_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_698_866);
        assert_eq!(rfc3339(t), "2026-11-26T13:14:26.000Z");
    }

    fn schema(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn migrating_from_every_older_version_gives_the_fresh_schema() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh, MIGRATIONS).unwrap();
        let expected = schema(&fresh);
        assert!(expected.iter().any(|t| t.contains("last_outcome")));
        for old in 0..MIGRATIONS.len() {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate(&mut conn, &MIGRATIONS[..old]).unwrap();
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, old as i64);
            migrate(&mut conn, MIGRATIONS).unwrap();
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, SCHEMA_VERSION, "from version {old}");
            assert_eq!(schema(&conn), expected, "from version {old}");
        }
    }

    #[test]
    fn a_failing_migration_step_leaves_the_version_where_it_was() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [MIGRATIONS[0], "CREATE TABLE broken (;"];
        assert!(migrate(&mut conn, &steps).is_err());
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
    }

    #[test]
    fn millis_round_trip_on_both_sides_of_the_epoch() {
        for ms in [-86_400_001_i64, -1, 0, 1, 1_795_698_866_123] {
            assert_eq!(to_millis(from_millis(ms)), ms);
        }
    }
}
