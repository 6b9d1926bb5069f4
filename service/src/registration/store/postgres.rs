//! The PostgreSQL back end: a small pool of connections to one database that several service
//! processes share.
//!
//! **Crates.** The synchronous `postgres` client (the rust-postgres project, well kept, the
//! same protocol code as `tokio-postgres` under a blocking API) keeps the store's API as it is
//! on SQLite: synchronous methods, called from async code through [`Store::run`] on tokio's
//! blocking pool. Its pool is `r2d2` (well kept, small, synchronous like the client); the
//! connection manager is the few lines below rather than `r2d2_postgres`, so that each pooled
//! connection carries its own cache of prepared statements.
//!
//! **Blocking in async code.** The sync client drives each connection with a tokio runtime of
//! its own, and tokio refuses to block on a runtime from a thread that is running async tasks
//! (it panics). Tokio's blocking pool is not such a thread, so [`Store::run`] calls go straight
//! through; a store method called directly from async code (a test's set-up, a start-up read)
//! is moved to a short-lived thread of its own ([`outside_async`]). Dropping the pool closes
//! connections, which blocks too, so the last `Store` hands its pool to a plain thread to drop.
//!
//! **Migrations.** The schema's version is the row of `mpns_schema`; steps are applied under a
//! session advisory lock, so that several processes starting at once on one database apply
//! each step once and the others wait for it.

use std::cell::Cell;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::db::StatementCache;
use super::migrations::PG_MIGRATIONS;
use super::StoreError;

/// A pooled connection and its prepared statements.
pub(super) struct PgConn {
    pub(super) client: Client,
    pub(super) cache: StatementCache,
}

/// Opens connections for the pool.
#[derive(Debug)]
pub(super) struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.config.connect(NoTls)?,
            cache: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// The pool; dropped on a thread of its own (see the module doc).
pub(super) struct PgPool {
    pool: Option<r2d2::Pool<Manager>>,
    pub(super) shown: String,
}

impl Drop for PgPool {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            // Joined, so that a process that drops its store has closed its connections.
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl PgPool {
    pub(super) fn get(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StoreError::Task("the pool is closed".into()))?;
        pool.get().map_err(|e| StoreError::Pool {
            url: self.shown.clone(),
            message: e.to_string(),
        })
    }
}

/// Connections per process: the queue's claims and commits, and the HTTP handlers' reads.
const POOL_SIZE: u32 = 8;

/// Connects to `url`, migrates the database and returns the pool. Errors name the URL with its
/// password hidden.
pub(super) fn connect(url: &str) -> Result<PgPool, StoreError> {
    let shown = redact(url);
    let mut config = postgres::Config::from_str(url).map_err(|e| StoreError::BadUrl {
        url: shown.clone(),
        message: e.to_string(),
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("mpns-service");
    }
    let manager = Manager { config };
    let mut first = outside_async(|| r2d2::ManageConnection::connect(&manager)).map_err(|e| {
        StoreError::Connect {
            url: shown.clone(),
            message: e.to_string(),
        }
    })?;
    outside_async(|| migrate(&mut first.client, PG_MIGRATIONS))?;
    let pool = r2d2::Pool::builder()
        .max_size(POOL_SIZE)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(10))
        .build_unchecked(manager);
    outside_async(move || drop(first));
    Ok(PgPool {
        pool: Some(pool),
        shown,
    })
}

/// Applies the missing steps of `steps`, under an advisory lock (see the module doc).
pub(super) fn migrate(client: &mut Client, steps: &[&str]) -> Result<(), StoreError> {
    // Any fixed number: "mpns" in ASCII.
    const LOCK: i64 = 0x6d70_6e73;
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK])?;
    let result = migrate_locked(client, steps);
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK]);
    result?;
    unlocked?;
    Ok(())
}

fn migrate_locked(client: &mut Client, steps: &[&str]) -> Result<(), StoreError> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS mpns_schema (
             one     BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
             version BIGINT NOT NULL
         );
         INSERT INTO mpns_schema (version) VALUES (0) ON CONFLICT DO NOTHING;",
    )?;
    let current: i64 = client
        .query_one("SELECT version FROM mpns_schema", &[])?
        .try_get(0)?;
    if current > steps.len() as i64 {
        return Err(StoreError::TooNew {
            found: current,
            known: steps.len(),
        });
    }
    for (index, sql) in steps.iter().enumerate().skip(current.max(0) as usize) {
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute(
            "UPDATE mpns_schema SET version = $1",
            &[&((index + 1) as i64)],
        )?;
        tx.commit()?;
        tracing::debug!(version = index + 1, "PostgreSQL database migrated");
    }
    Ok(())
}

/// The schema version recorded in the database.
pub(super) fn schema_version(client: &mut Client) -> Result<i64, StoreError> {
    Ok(client
        .query_one("SELECT version FROM mpns_schema", &[])?
        .try_get(0)?)
}

thread_local! {
    static ON_BLOCKING_POOL: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as a blocking-pool thread while `f` runs ([`Store::run`]).
pub(super) fn on_blocking_pool<R>(f: impl FnOnce() -> R) -> R {
    let before = ON_BLOCKING_POOL.with(|c| c.replace(true));
    let r = f();
    ON_BLOCKING_POOL.with(|c| c.set(before));
    r
}

/// Runs `f` where the sync client may block: here, unless this thread may be running async
/// tasks, in which case on a short-lived thread of its own.
pub(super) fn outside_async<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let safe = ON_BLOCKING_POOL.with(Cell::get) || tokio::runtime::Handle::try_current().is_err();
    if safe {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// A database URL as it may be shown or logged: the password replaced by `***` (in the user
/// part, or a `password=` parameter).
///
/// ```
/// use mpns_service::registration::redact_database_url;
/// assert_eq!(
///     redact_database_url("postgres://mpns:secret@127.0.0.1:5432/mpns"),
///     "postgres://mpns:***@127.0.0.1:5432/mpns"
/// );
/// ```
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // A key=value connection string: hide a password=... pair.
        return url
            .split_whitespace()
            .map(|kv| {
                if kv.to_ascii_lowercase().starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let user = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None => userinfo.to_owned(),
    };
    let mut shown = String::with_capacity(url.len());
    shown.push_str(&url[..scheme_end + 3]);
    shown.push_str(&user);
    shown.push_str(&rest[at..]);
    if let Some(q) = shown.find('?') {
        // `?password=...` is a parameter too.
        let (head, query) = shown.split_at(q);
        let query = query[1..]
            .split('&')
            .map(|kv| {
                if kv.to_ascii_lowercase().starts_with("password=") {
                    "password=***".to_owned()
                } else {
                    kv.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("&");
        return format!("{head}?{query}");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_url_never_has_its_password() {
        assert_eq!(
            redact("postgres://ann:s3cret@db:5432/mpns"),
            "postgres://ann:***@db:5432/mpns"
        );
        assert_eq!(
            redact("postgresql://ann@db/mpns?password=s3cret&sslmode=disable"),
            "postgresql://ann@db/mpns?password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://db/mpns"), "postgres://db/mpns");
        assert_eq!(
            redact("host=db password=s3cret user=ann"),
            "host=db password=*** user=ann"
        );
    }
}
