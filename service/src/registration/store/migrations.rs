//! The schema as a list of steps per dialect, and the code that applies the missing ones to a
//! SQLite file. A database records how many steps it has (SQLite: `PRAGMA user_version`;
//! PostgreSQL: the `mpns_schema` row, applied by `postgres.rs` under an advisory lock), so an
//! old database is brought forward and a fresh one is built by the same path. Step `i` of one
//! dialect is step `i` of the other, so a schema version means the same tables on both.

use rusqlite::Connection;

use super::StoreError;

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
    // 5: the durable send queue (send_queue.rs): batches, and their jobs with state, due time
    // (service clock) and lease (wall clock). Partial indexes keep the claim query on the
    // unfinished jobs only.
    "CREATE TABLE send_batches (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid       TEXT NOT NULL,
        pattern    TEXT NOT NULL,
        origin     TEXT NOT NULL,
        spec       TEXT,
        created_at INTEGER NOT NULL,
        jobs       INTEGER NOT NULL DEFAULT 0,
        cancelled  INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE send_jobs (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id     INTEGER NOT NULL REFERENCES send_batches (id),
        user_name    TEXT NOT NULL,
        channel_uri  TEXT NOT NULL,
        os_version   TEXT NOT NULL,
        step         TEXT NOT NULL,
        data         TEXT,
        state        INTEGER NOT NULL,
        due_at       INTEGER NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        owner        TEXT,
        lease_until  INTEGER,
        last_outcome TEXT
    );
    CREATE INDEX send_jobs_due ON send_jobs (due_at, id) WHERE state IN (0, 2);
    CREATE INDEX send_jobs_leased ON send_jobs (lease_until) WHERE state = 1;
    CREATE INDEX send_jobs_by_batch ON send_jobs (batch_id, state);",
    // 6: the push service of each registration, job and log row ('mpns' or 'wns'); rows
    // written before are MPNS ones.
    "ALTER TABLE registrations ADD COLUMN platform TEXT NOT NULL DEFAULT 'mpns';
    ALTER TABLE send_jobs ADD COLUMN platform TEXT NOT NULL DEFAULT 'mpns';
    ALTER TABLE status_log ADD COLUMN platform TEXT NOT NULL DEFAULT 'mpns';",
];

/// [`MIGRATIONS`] in PostgreSQL's words: every integer is `BIGINT` (the store reads and writes
/// `i64`), row ids are identity columns. Append only, in step with [`MIGRATIONS`].
pub(crate) const PG_MIGRATIONS: &[&str] = &[
    // 1: registrations and the status log.
    "CREATE TABLE registrations (
        user_name     TEXT PRIMARY KEY NOT NULL,
        channel_uri   TEXT NOT NULL,
        os_version    TEXT NOT NULL,
        registered_at BIGINT NOT NULL
    );
    CREATE INDEX registrations_by_channel ON registrations (channel_uri);
    CREATE TABLE status_log (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        pattern      TEXT NOT NULL,
        message_type TEXT NOT NULL,
        http_status  BIGINT,
        notification TEXT,
        device       TEXT,
        subscription TEXT,
        message_id   TEXT,
        channel_uri  TEXT NOT NULL,
        at           BIGINT NOT NULL,
        error        TEXT
    );",
    // 2: the outcome of the last send to each registration.
    "ALTER TABLE registrations ADD COLUMN last_outcome TEXT;",
    // 3: per-pattern state and the recorded \"Test Now\" requests.
    "CREATE TABLE active_pattern (
        id      BIGINT PRIMARY KEY CHECK (id = 1),
        pattern TEXT NOT NULL
    );
    CREATE TABLE counters (
        pattern   TEXT NOT NULL,
        user_name TEXT NOT NULL,
        count     BIGINT NOT NULL CHECK (count BETWEEN 0 AND 99),
        PRIMARY KEY (pattern, user_name)
    );
    CREATE TABLE last_tiles (
        pattern    TEXT NOT NULL,
        user_name  TEXT NOT NULL,
        tile_json  TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (pattern, user_name)
    );
    CREATE TABLE tile_requests (
        id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        user_name   TEXT NOT NULL,
        channel_uri TEXT NOT NULL,
        number      BIGINT NOT NULL,
        image_uri   TEXT NOT NULL,
        at          BIGINT NOT NULL
    );",
    // 4: the settings of each pattern's last send.
    "CREATE TABLE pattern_settings (
        pattern       TEXT PRIMARY KEY NOT NULL,
        settings_json TEXT NOT NULL,
        updated_at    BIGINT NOT NULL
    );",
    // 5: the durable send queue.
    "CREATE TABLE send_batches (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        uuid       TEXT NOT NULL,
        pattern    TEXT NOT NULL,
        origin     TEXT NOT NULL,
        spec       TEXT,
        created_at BIGINT NOT NULL,
        jobs       BIGINT NOT NULL DEFAULT 0,
        cancelled  BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE send_jobs (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        batch_id     BIGINT NOT NULL REFERENCES send_batches (id),
        user_name    TEXT NOT NULL,
        channel_uri  TEXT NOT NULL,
        os_version   TEXT NOT NULL,
        step         TEXT NOT NULL,
        data         TEXT,
        state        BIGINT NOT NULL,
        due_at       BIGINT NOT NULL,
        attempts     BIGINT NOT NULL DEFAULT 0,
        owner        TEXT,
        lease_until  BIGINT,
        last_outcome TEXT
    );
    CREATE INDEX send_jobs_due ON send_jobs (due_at, id) WHERE state IN (0, 2);
    CREATE INDEX send_jobs_leased ON send_jobs (lease_until) WHERE state = 1;
    CREATE INDEX send_jobs_by_batch ON send_jobs (batch_id, state);",
    // 6: the push service of each registration, job and log row.
    "ALTER TABLE registrations ADD COLUMN platform TEXT NOT NULL DEFAULT 'mpns';
    ALTER TABLE send_jobs ADD COLUMN platform TEXT NOT NULL DEFAULT 'mpns';
    ALTER TABLE status_log ADD COLUMN platform TEXT NOT NULL DEFAULT 'mpns';",
];

/// The schema version a database has once opened by this build.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const _: () = assert!(MIGRATIONS.len() == PG_MIGRATIONS.len());

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_version_5_file_keeps_its_rows_and_they_read_as_mpns_after_the_platform_step() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &MIGRATIONS[..5]).unwrap();
        conn.execute_batch(
            "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at)
               VALUES ('ann', 'http://db3.notify.live.net/throttledthirdparty/01.00/a', '8.0', 1);
             INSERT INTO status_log (pattern, message_type, channel_uri, at)
               VALUES ('One Time', 'Toast', 'http://db3.notify.live.net/throttledthirdparty/01.00/a', 2);
             INSERT INTO send_batches (uuid, pattern, origin, created_at)
               VALUES ('00000000-0000-0000-0000-000000000000', 'one-time', 'operator', 3);
             INSERT INTO send_jobs (batch_id, user_name, channel_uri, os_version, step, state, due_at)
               VALUES (1, 'ann', 'http://db3.notify.live.net/throttledthirdparty/01.00/a', '8.0', 'toast', 0, 3);",
        )
        .unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        for table in ["registrations", "status_log", "send_jobs"] {
            let platforms: Vec<String> = conn
                .prepare(&format!("SELECT platform FROM {table}"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(platforms, ["mpns"], "{table}");
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
}
