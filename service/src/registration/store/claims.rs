//! Claiming due jobs with a lease, and taking back the jobs a dead process left in flight (see
//! `send_queue.rs` for the queue's design).

use std::time::SystemTime;

use super::db::{args, Arg, Dialect, Sql, Tx};
use super::send_queue::{claimed, message_id, ClaimedJob, JOB_COLUMNS};
use super::status_log::insert_row;
use super::times::{from_millis, to_millis};
use super::{QueueLock, StatusEntry, Store, StoreError};
use crate::registration::{PatternKind, Platform};

/// SQLite: due jobs, and jobs whose lease ran out, in one statement (writers are serialised).
/// PostgreSQL: due jobs only, skipping rows another process is claiming right now; jobs whose
/// lease ran out are taken back first, with their log rows ([`take_back`]).
fn claim_sql() -> Sql {
    Sql::owned(
        format!(
            "UPDATE send_jobs SET state = 1, owner = ?1, lease_until = ?2
             WHERE id IN (
                 SELECT id FROM (SELECT id FROM send_jobs
                                 WHERE state IN (0, 2) AND due_at <= ?3
                                 ORDER BY due_at, id LIMIT ?5)
                 UNION ALL
                 SELECT id FROM (SELECT id FROM send_jobs
                                 WHERE state = 1 AND lease_until <= ?4 LIMIT ?5))
             RETURNING {JOB_COLUMNS}"
        ),
        format!(
            "UPDATE send_jobs SET state = 1, owner = $1, lease_until = $2
             WHERE id IN (SELECT id FROM send_jobs
                          WHERE state IN (0, 2) AND due_at <= $3
                          ORDER BY due_at, id LIMIT $4
                          FOR UPDATE SKIP LOCKED)
             RETURNING {JOB_COLUMNS}"
        ),
    )
}

impl Store {
    /// Claims up to `limit` jobs for `owner`: queued or waiting ones due by `now` (the
    /// service's clock), and in-flight ones whose lease ran out by `wall_now`. Each is marked
    /// in flight under `owner` until `lease_until` (wall clock). Oldest due first. Nothing is
    /// claimed unless `live()`, asked under the claim lock (on SQLite, the connection's), which
    /// [`Store::release_abandoned`] takes too: a worker stopped while its claim waited for the
    /// lock must not take jobs that a new start has already released.
    ///
    /// On PostgreSQL, when `expired` is set, jobs whose lease ran out are first taken back as
    /// [`Store::release_abandoned`] does (a log row each), in the same transaction;
    /// `message_type` names a step's message type for those rows. (The worker asks for that
    /// every few hundred milliseconds, not on every claim: a lease runs for minutes.)
    pub(crate) fn claim_jobs(
        &self,
        owner: &str,
        (now, wall_now, lease_until): (SystemTime, SystemTime, SystemTime),
        limit: usize,
        live: impl FnOnce() -> bool + Send,
        (expired, message_type): (bool, impl Fn(&str) -> &'static str + Send + Sync),
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let claimed = self.write_under(
            QueueLock::Claims,
            live,
            |tx| {
                let limit = limit as i64;
                let rows = match tx.dialect() {
                    Dialect::Sqlite => tx.query(
                        &claim_sql(),
                        args![
                            owner,
                            to_millis(lease_until),
                            to_millis(now),
                            to_millis(wall_now),
                            limit
                        ],
                    )?,
                    Dialect::Postgres => {
                        // A claim lost with the server (not with this process) only puts its
                        // jobs back in the queue, to go out again under their X-MessageID: it
                        // does not wait for the disk. Outcomes (`finish.rs`) do.
                        tx.execute(&Sql::each("", "SET LOCAL synchronous_commit = off"), &[])?;
                        if expired {
                            take_back(tx, owner, Some(wall_now), now, &message_type)?;
                        }
                        tx.query(
                            &claim_sql(),
                            args![owner, to_millis(lease_until), to_millis(now), limit],
                        )?
                    }
                };
                rows.iter().map(claimed).collect::<Result<Vec<_>, _>>()
            },
            |_| {},
        )?;
        let mut jobs = claimed.unwrap_or_default();
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// When the next waiting (or queued) job is due, on the service's clock.
    pub(crate) fn next_due(&self) -> Result<Option<SystemTime>, StoreError> {
        let due = self.tx(|tx| {
            tx.query_one(
                &Sql::same("SELECT MIN(due_at) FROM send_jobs WHERE state IN (0, 2)"),
                &[],
            )?
            .opt_int(0)
        })?;
        Ok(due.map(from_millis))
    }

    /// Puts back the jobs left in flight by a process that died. With SQLite one process owns
    /// the database, so whoever opens it takes back every job of another owner at once; with
    /// PostgreSQL the others may be alive, so only jobs whose lease has run out (on the wall
    /// clock) are taken. Each gets a status-log row saying that its request may have reached
    /// MPNS without its answer being recorded (so the log has a row for every request MPNS may
    /// have received; the resend carries the same `X-MessageID`). `message_type` names a
    /// step's message type. Returns how many.
    pub(crate) fn release_abandoned(
        &self,
        owner: &str,
        at: SystemTime,
        message_type: impl Fn(&str) -> &'static str + Send + Sync,
    ) -> Result<usize, StoreError> {
        let released = self.write_under(
            QueueLock::Claims,
            || true,
            |tx| {
                let expired_by = match tx.dialect() {
                    Dialect::Sqlite => None,
                    Dialect::Postgres => Some(SystemTime::now()),
                };
                take_back(tx, owner, expired_by, at, &message_type)
            },
            |_| {},
        )?;
        Ok(released.unwrap_or(0))
    }
}

/// Takes back jobs in flight under another owner than `owner` (all of them, or those whose
/// lease ran out by `expired_by`): a log row each, and queued again.
fn take_back(
    tx: &mut Tx<'_>,
    owner: &str,
    expired_by: Option<SystemTime>,
    at: SystemTime,
    message_type: &dyn Fn(&str) -> &'static str,
) -> Result<usize, StoreError> {
    const ALL: Sql = Sql::same(
        "SELECT j.id, j.step, j.channel_uri, b.pattern, b.uuid, j.platform
         FROM send_jobs j JOIN send_batches b ON b.id = j.batch_id
         WHERE j.state = 1 AND j.owner IS DISTINCT FROM ?1",
    );
    const EXPIRED: Sql = Sql::each(
        "SELECT j.id, j.step, j.channel_uri, b.pattern, b.uuid, j.platform
         FROM send_jobs j JOIN send_batches b ON b.id = j.batch_id
         WHERE j.state = 1 AND j.owner IS DISTINCT FROM ?1 AND j.lease_until <= ?2",
        "SELECT j.id, j.step, j.channel_uri, b.pattern, b.uuid, j.platform
         FROM send_jobs j JOIN send_batches b ON b.id = j.batch_id
         WHERE j.state = 1 AND j.owner IS DISTINCT FROM $1 AND j.lease_until <= $2
         FOR UPDATE OF j SKIP LOCKED",
    );
    let rows = match expired_by {
        None => tx.query(&ALL, args![owner])?,
        Some(wall) => tx.query(&EXPIRED, args![owner, to_millis(wall)])?,
    };
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let (id, step, channel_uri) = (row.int(0)?, row.text(1)?, row.text(2)?);
        let pattern = PatternKind::from_id(&row.text(3)?).unwrap_or(PatternKind::OneTime);
        let message_id = row
            .text(4)?
            .parse()
            .ok()
            .map(|u| message_id(u, id).to_string());
        let entry = StatusEntry {
            message_id,
            ..StatusEntry::unanswered(
                pattern,
                (message_type(&step), Platform::from_stored(&row.text(5)?)),
                &channel_uri,
                "no answer recorded: the process stopped while this request was in flight; \
                 sent again with the same X-MessageID",
                at,
            )
        };
        insert_row(tx, &entry)?;
        ids.push(Some(id));
    }
    match tx.dialect() {
        Dialect::Sqlite => {
            tx.execute(
                &Sql::same(
                    "UPDATE send_jobs SET state = 0, owner = NULL, lease_until = NULL
                     WHERE state = 1 AND owner IS DISTINCT FROM ?1",
                ),
                args![owner],
            )?;
        }
        Dialect::Postgres if !ids.is_empty() => {
            tx.execute(
                &Sql::each(
                    "",
                    "UPDATE send_jobs SET state = 0, owner = NULL, lease_until = NULL
                     WHERE id = ANY($1::bigint[])",
                ),
                &[Arg::Ints(ids.clone())],
            )?;
        }
        Dialect::Postgres => {}
    }
    Ok(ids.len())
}
