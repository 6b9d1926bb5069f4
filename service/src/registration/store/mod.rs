//! Everything the service must not forget, in one database: registrations, the state the
//! push patterns keep per user, the log of every send and the durable send queue. Two back
//! ends behind the one API: SQLite (a file, the embedded default: `cargo run` and `cargo test`
//! need no set-up) and PostgreSQL (`postgres://...`: several service processes on one
//! database, each claiming jobs the others skip).
//!
//! **Concurrency choice, SQLite.** One [`rusqlite::Connection`] behind a `std::sync::Mutex`,
//! held only for the few statements of one operation. SQLite serialises writers anyway, so a
//! pool would buy nothing but `SQLITE_BUSY` handling; one lock also makes every operation (such
//! as the clamped counter increment) atomic with respect to every other.
//!
//! **Concurrency choice, PostgreSQL.** A small pool of connections (`postgres.rs`); every
//! operation is one transaction, and what must not be done twice at once is decided by the
//! database (`FOR UPDATE SKIP LOCKED` in the claim, upserts, one-statement increments). The
//! queue's own writes of one process still take process-wide locks, as on SQLite, so that the
//! worker's in-process counts change with each commit and a stopped worker's claim takes
//! nothing: one for what changes the counts (plan, finish, cancel, the count read), one for
//! claims and take-backs (a job moves between queued and in flight, both unfinished), so a
//! claim runs while the previous answers commit. Other processes are not held by either.
//!
//! The methods are synchronous; async code calls them through [`Store::run`], which moves the
//! call onto tokio's blocking pool so that a slow disk (an `fsync` on commit) or a slow network
//! never stalls a runtime worker.
//!
//! **Schema.** A list of steps per dialect (`migrations.rs`); SQLite records how many are
//! applied in `PRAGMA user_version`, PostgreSQL in `mpns_schema`. Opening a database applies
//! the missing ones in order, each in its own transaction, so an old file is brought forward
//! and a fresh one is built by the same path.
//!
//! **Layout.** This file holds [`Store`] itself: opening, the lock and the blocking-pool
//! runner; `db.rs` the statements, arguments and rows both back ends share; `postgres.rs` the
//! pool. Each table group adds its methods to `Store` in a file of its own, with the SQL of
//! both dialects side by side where they differ: `registrations`, `pattern_state` (active
//! pattern, counters, last tiles, settings), `status_log`, the durable send queue
//! (`send_queue`: batches and plans; `claims`: claiming with leases; `finish`: outcomes,
//! cancelling, progress) and `tile_requests`; `times` is how instants are stored and shown.

mod claims;
mod db;
mod finish;
mod migrations;
mod pattern_state;
mod postgres;
mod registrations;
mod send_queue;
mod status_log;
#[cfg(test)]
mod test_database;
#[cfg(test)]
mod testing;
mod tile_requests;
mod times;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use db::Tx;

pub(crate) use migrations::MIGRATIONS;
pub use migrations::SCHEMA_VERSION;
pub use pattern_state::MAX_COUNTER;
pub use postgres::redact as redact_database_url;
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
    /// PostgreSQL reported an error.
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// The `postgres://` URL could not be read.
    #[error("bad PostgreSQL URL {url}: {message}")]
    BadUrl {
        /// The URL, password hidden.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The PostgreSQL server could not be reached or refused the connection.
    #[error("could not connect to PostgreSQL at {url}: {message}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// Why.
        message: String,
    },
    /// No pooled PostgreSQL connection could be had in time.
    #[error("no connection to PostgreSQL at {url}: {message}")]
    Pool {
        /// The URL, password hidden.
        url: String,
        /// Why.
        message: String,
    },
    /// A row held a value of another kind than the store wrote (a database changed by hand).
    #[error("unexpected value in the database: {0}")]
    Column(String),
    /// The database was written by a newer version of this program.
    #[error(
        "database schema version {found} is newer than the {known} versions this program knows; \
         use a newer build or another database"
    )]
    TooNew {
        /// The schema version found in the database.
        found: i64,
        /// The number of migrations this build has.
        known: usize,
    },
    /// A blocking store task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
}

/// Where the store keeps its data.
enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres {
        pool: postgres::PgPool,
        /// This process's queue commits (plans, outcomes, cancels, the count read), one at a
        /// time (see the module doc).
        lock: Mutex<()>,
        /// This process's claims and take-backs, one at a time, beside the commits.
        claims: Mutex<()>,
    },
}

/// Which of this process's queue locks a write takes on PostgreSQL (on SQLite every write
/// holds the one connection).
#[derive(Clone, Copy)]
enum QueueLock {
    /// Writes that change what the worker counts: plans, outcomes, cancels, the count read.
    Commits,
    /// Claims and take-backs: a job moves between queued and in flight, both unfinished, so
    /// no count changes and they need not wait for a commit to end.
    Claims,
}

/// The service's database; cheap to clone (all clones share one connection or pool).
#[derive(Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &*self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres { .. } => "postgres",
        };
        f.debug_struct("Store")
            .field("backend", &kind)
            .finish_non_exhaustive()
    }
}

/// What a PostgreSQL URL starts with.
fn is_postgres_url(s: &str) -> bool {
    let lower = s.get(..13).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
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

    /// Connects to a PostgreSQL database (`postgres://user:password@host:port/name`) and
    /// migrates it to the latest schema. Several processes may do so at once on one database.
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for a URL that cannot be read, [`StoreError::Connect`] when the
    /// server cannot be reached or refuses, [`StoreError::Postgres`] when a migration fails,
    /// [`StoreError::TooNew`] when it was written by a newer build. None shows the password.
    pub fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Arc::new(Backend::Postgres {
                pool: postgres::connect(url)?,
                lock: Mutex::new(()),
                claims: Mutex::new(()),
            }),
        })
    }

    /// A `postgres://` (or `postgresql://`) URL connects to PostgreSQL ([`Store::connect`]);
    /// anything else is a SQLite file path ([`Store::open`]).
    ///
    /// # Errors
    /// As [`Store::connect`] or [`Store::open`].
    pub fn open_database(database: &str) -> Result<Store, StoreError> {
        if is_postgres_url(database) {
            Store::connect(database)
        } else {
            Store::open(database)
        }
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
            backend: Arc::new(Backend::Sqlite(Mutex::new(conn))),
        })
    }

    /// Whether several processes may share this database (PostgreSQL): the send queue then
    /// looks for work the others planned, and leaves their jobs in flight to their leases.
    pub fn is_shared(&self) -> bool {
        matches!(&*self.backend, Backend::Postgres { .. })
    }

    /// The schema version of the open database (the number of migrations applied).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if it cannot be read.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        match &*self.backend {
            Backend::Sqlite(conn) => {
                Ok(lock(conn).query_row("PRAGMA user_version", [], |row| row.get(0))?)
            }
            Backend::Postgres { pool, .. } => postgres::outside_async(|| {
                let mut conn = pool.get()?;
                postgres::schema_version(&mut conn.client)
            }),
        }
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
        tokio::task::spawn_blocking(move || postgres::on_blocking_pool(|| f(&store)))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// [`Store::tx`] under this process's commit lock: nothing is done unless `live()` (asked
    /// under the lock), and `committed` runs after the commit, still under it.
    fn write<R: Send>(
        &self,
        live: impl FnOnce() -> bool + Send,
        f: impl FnOnce(&mut Tx<'_>) -> Result<R, StoreError> + Send,
        committed: impl FnOnce(&R) + Send,
    ) -> Result<Option<R>, StoreError> {
        self.write_under(QueueLock::Commits, live, f, committed)
    }

    /// [`Store::write`] under the given lock of the queue's two.
    fn write_under<R: Send>(
        &self,
        which: QueueLock,
        live: impl FnOnce() -> bool + Send,
        f: impl FnOnce(&mut Tx<'_>) -> Result<R, StoreError> + Send,
        committed: impl FnOnce(&R) + Send,
    ) -> Result<Option<R>, StoreError> {
        match &*self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = lock(conn);
                if !live() {
                    return Ok(None);
                }
                let mut tx = Tx::Lite(conn.transaction()?);
                let r = f(&mut tx)?;
                tx.commit()?;
                committed(&r);
                Ok(Some(r))
            }
            Backend::Postgres {
                pool,
                lock: commits,
                claims,
            } => postgres::outside_async(|| {
                let _held = lock(match which {
                    QueueLock::Commits => commits,
                    QueueLock::Claims => claims,
                });
                if !live() {
                    return Ok(None);
                }
                let r = pg_transaction(pool, f)?;
                committed(&r);
                Ok(Some(r))
            }),
        }
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    /// Without the queue lock on PostgreSQL (reads and the phones' writes).
    fn tx<R: Send>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<R, StoreError> + Send,
    ) -> Result<R, StoreError> {
        match &*self.backend {
            Backend::Sqlite(_) => self
                .write(|| true, f, |_| {})
                .and_then(|r| r.ok_or_else(|| StoreError::Task("a live write did nothing".into()))),
            Backend::Postgres { pool, .. } => postgres::outside_async(|| pg_transaction(pool, f)),
        }
    }
}

/// Runs `f` in one transaction on a pooled PostgreSQL connection: committed when it returns
/// `Ok`, rolled back otherwise.
fn pg_transaction<R>(
    pool: &postgres::PgPool,
    f: impl FnOnce(&mut Tx<'_>) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let mut conn = pool.get()?;
    let postgres::PgConn { client, cache } = &mut *conn;
    let mut tx = Tx::Pg {
        tx: client.transaction()?,
        cache,
    };
    let r = f(&mut tx)?;
    tx.commit()?;
    Ok(r)
}

/// A panic while holding a lock cannot leave the database inconsistent (statements are
/// atomic, transactions roll back on drop), so a poisoned lock is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
