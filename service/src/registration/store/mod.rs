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
//! file is brought forward and a fresh one is built by the same path (`migrations.rs`).
//!
//! **Layout.** This file holds [`Store`] itself: opening, the lock and the blocking-pool
//! runner. Each table group adds its methods to `Store` in a file of its own: `registrations`,
//! `pattern_state` (active pattern, counters, last tiles, settings), `status_log`,
//! `send_queue` (the durable send queue) and `tile_requests`; `times` is how instants are stored and shown.

mod migrations;
mod pattern_state;
mod registrations;
mod send_queue;
mod status_log;
mod tile_requests;
mod times;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

pub(crate) use migrations::MIGRATIONS;
pub use migrations::SCHEMA_VERSION;
pub use pattern_state::MAX_COUNTER;
pub use registrations::{Platform, Registration};
pub(crate) use send_queue::{
    message_id, BatchSpec, Changes, ClaimedJob, Finish, JobData, NewBatch, NewJob, PlanRules,
    Targets,
};
pub use send_queue::{BatchProgress, JobState};
pub use status_log::{Recorded, StatusEntry};
pub use tile_requests::TileRequest;

/// The database file name the service uses when the operator names none.
pub const DEFAULT_DB_FILE: &str = "mpns-service.sqlite3";

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
        migrations::migrate(&mut conn, MIGRATIONS)?;
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

    pub(super) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (statements are
        // atomic, transactions roll back on drop), so a poisoned lock is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
