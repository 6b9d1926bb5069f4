//! Recording what became of claimed jobs (their log rows, next states and follow-ups in one
//! transaction), cancelling batches, and reading the queue's progress (see `send_queue.rs`).

use std::collections::HashMap;

use super::db::{args, Arg, Dialect, Sql, Tx};
use super::send_queue::{insert_job, BatchProgress, Changes, Finish, JobState};
use super::status_log::record_all;
use super::times::{from_millis, to_millis};
use super::{Store, StoreError};

impl Store {
    /// Records attempts in one transaction: each one's status-log row (as
    /// [`Store::record_sends`]: last outcome, expired channels pruned), the job's next state
    /// and its follow-ups. The job keeps its `owner`: which process made its last attempt. A
    /// job of a cancelled batch that would wait is cancelled instead, and a cancelled batch
    /// gets no follow-ups. `committed` runs after the commit, under the
    /// store's lock, with what changed.
    ///
    /// Only jobs still in flight under `owner` change: a job taken back from this worker
    /// (after a restart in the same process, or once its lease ran out on a shared database)
    /// belongs to whoever took it, so a late answer here logs its row and changes nothing
    /// else, and is not counted as finished.
    pub(crate) fn finish_jobs(
        &self,
        owner: &str,
        finishes: &[Finish],
        committed: impl FnOnce(&Changes) + Send,
    ) -> Result<Changes, StoreError> {
        let changes = self.write(|| true, |tx| finish_in(tx, owner, finishes), committed)?;
        changes.ok_or_else(|| StoreError::Task("a live write did nothing".into()))
    }

    /// Cancels the batch: its queued and waiting jobs are never sent; jobs in flight finish
    /// (and are not retried). Returns how many jobs were cancelled, or `None` for no such
    /// batch. `committed` runs under the store's lock with that count.
    pub(crate) fn cancel_batch(
        &self,
        batch_id: i64,
        committed: impl FnOnce(usize) + Send,
    ) -> Result<Option<usize>, StoreError> {
        let cancelled = self.write(
            || true,
            |tx| {
                if tx.execute(
                    &Sql::same("UPDATE send_batches SET cancelled = 1 WHERE id = ?1"),
                    args![batch_id],
                )? == 0
                {
                    return Ok(None);
                }
                let n = tx.execute(
                    &Sql::same(
                        "UPDATE send_jobs SET state = 5, owner = NULL, lease_until = NULL
                         WHERE batch_id = ?1 AND state IN (0, 2)",
                    ),
                    args![batch_id],
                )?;
                Ok(Some(n as usize))
            },
            |n| {
                if let Some(n) = n {
                    committed(*n);
                }
            },
        )?;
        Ok(cancelled.flatten())
    }

    /// Unfinished jobs (queued, in flight, waiting) per batch: what a restart resumes.
    pub(crate) fn unfinished_jobs(&self) -> Result<HashMap<i64, usize>, StoreError> {
        self.tx(unfinished_in)
    }

    /// [`Store::unfinished_jobs`] read under this process's queue lock, with `seen` called
    /// there: no commit of this process falls between the read and `seen`.
    pub(crate) fn unfinished_jobs_locked(
        &self,
        seen: impl FnOnce(&HashMap<i64, usize>) + Send,
    ) -> Result<(), StoreError> {
        self.write(|| true, unfinished_in, seen)?;
        Ok(())
    }

    /// The latest batches (newest first, at most `limit`), with their jobs counted by state.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn batches(&self, limit: u32) -> Result<Vec<BatchProgress>, StoreError> {
        self.tx(|tx| {
            let rows = tx.query(
                &Sql::same(
                    "SELECT id, pattern, origin, created_at, cancelled FROM send_batches
                     ORDER BY id DESC LIMIT ?1",
                ),
                args![i64::from(limit)],
            )?;
            let mut batches = Vec::with_capacity(rows.len());
            for r in rows {
                let mut b = BatchProgress {
                    id: r.int(0)?,
                    pattern: r.text(1)?,
                    origin: r.text(2)?,
                    created_at: from_millis(r.int(3)?),
                    cancelled: r.int(4)? != 0,
                    queued: 0,
                    in_flight: 0,
                    waiting: 0,
                    waiting_until: None,
                    delivered: 0,
                    given_up: 0,
                    cancelled_jobs: 0,
                };
                let counts = tx.query(
                    &Sql::same(
                        "SELECT state, COUNT(*), MIN(due_at) FROM send_jobs WHERE batch_id = ?1
                         GROUP BY state",
                    ),
                    args![b.id],
                )?;
                for c in counts {
                    let n = c.int(1)? as u64;
                    match JobState::from_code(c.int(0)?) {
                        JobState::Queued => b.queued = n,
                        JobState::InFlight => b.in_flight = n,
                        JobState::Waiting => {
                            b.waiting = n;
                            b.waiting_until = Some(from_millis(c.int(2)?));
                        }
                        JobState::Delivered => b.delivered = n,
                        JobState::GivenUp => b.given_up = n,
                        JobState::Cancelled => b.cancelled_jobs = n,
                    }
                }
                batches.push(b);
            }
            Ok(batches)
        })
    }
}

/// Unfinished jobs per batch, read through the two partial indexes (queued or waiting; in
/// flight), so the cost follows the unfinished jobs, not every job kept.
fn unfinished_in(tx: &mut Tx<'_>) -> Result<HashMap<i64, usize>, StoreError> {
    tx.query(
        &Sql::same(
            "SELECT batch_id, COUNT(*) FROM (
                 SELECT batch_id FROM send_jobs WHERE state IN (0, 2)
                 UNION ALL
                 SELECT batch_id FROM send_jobs WHERE state = 1) AS u
             GROUP BY batch_id",
        ),
        &[],
    )?
    .iter()
    .map(|r| Ok((r.int(0)?, r.int(1)? as usize)))
    .collect()
}

fn finish_in(tx: &mut Tx<'_>, owner: &str, finishes: &[Finish]) -> Result<Changes, StoreError> {
    let mut changes = Changes::default();
    let entries: Vec<_> = finishes.iter().filter_map(|f| f.entry.as_ref()).collect();
    let mut recorded = record_all(tx, &entries)?.into_iter();
    for f in finishes {
        changes
            .recorded
            .push(f.entry.as_ref().and_then(|_| recorded.next()));
    }
    let mut cancelled: HashMap<i64, bool> = HashMap::new();
    for f in finishes {
        if let std::collections::hash_map::Entry::Vacant(e) = cancelled.entry(f.batch_id) {
            let c = tx
                .query_opt(
                    &Sql::same("SELECT cancelled FROM send_batches WHERE id = ?1"),
                    args![f.batch_id],
                )?
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            e.insert(c != 0);
        }
    }
    let next: Vec<JobState> = finishes
        .iter()
        .map(|f| {
            if cancelled[&f.batch_id] && f.next == JobState::Waiting {
                JobState::Cancelled
            } else {
                f.next
            }
        })
        .collect();
    let mut changed: std::collections::HashSet<i64> = std::collections::HashSet::new();
    match tx.dialect() {
        Dialect::Sqlite => {
            for (f, next) in finishes.iter().zip(&next) {
                let n = tx.execute(
                    &Sql::same(
                        "UPDATE send_jobs SET state = ?2, due_at = COALESCE(?3, due_at),
                                attempts = attempts + ?4, last_outcome = ?5, lease_until = NULL
                         WHERE id = ?1 AND state = 1 AND owner = ?6",
                    ),
                    args![
                        f.job_id,
                        next.code(),
                        f.due.map(to_millis),
                        i64::from(f.entry.is_some()),
                        &f.outcome,
                        owner
                    ],
                )?;
                if n > 0 {
                    changed.insert(f.job_id);
                }
            }
        }
        // One round trip for the whole group.
        Dialect::Postgres if !finishes.is_empty() => {
            let rows = tx.query(
                &Sql::each(
                    "",
                    "UPDATE send_jobs j SET state = u.state, due_at = COALESCE(u.due, j.due_at),
                            attempts = j.attempts + u.attempted, last_outcome = u.outcome,
                            lease_until = NULL
                     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[])
                          AS u(id, state, due, attempted, outcome)
                     WHERE j.id = u.id AND j.state = 1 AND j.owner = $6
                     RETURNING j.id",
                ),
                &[
                    Arg::Ints(finishes.iter().map(|f| Some(f.job_id)).collect()),
                    Arg::Ints(next.iter().map(|n| Some(n.code())).collect()),
                    Arg::Ints(finishes.iter().map(|f| f.due.map(to_millis)).collect()),
                    Arg::Ints(
                        finishes
                            .iter()
                            .map(|f| Some(i64::from(f.entry.is_some())))
                            .collect(),
                    ),
                    Arg::Texts(finishes.iter().map(|f| Some(f.outcome.clone())).collect()),
                    Arg::Text(owner),
                ],
            )?;
            for row in rows {
                changed.insert(row.int(0)?);
            }
        }
        Dialect::Postgres => {}
    }
    for (f, next) in finishes.iter().zip(&next) {
        if !changed.contains(&f.job_id) {
            // Taken back from this worker: its new owner finishes it.
            continue;
        }
        if next.is_final() {
            *changes.finished.entry(f.batch_id).or_default() += 1;
        }
        if !cancelled[&f.batch_id] && !f.follow_ups.is_empty() {
            let now = f.entry.as_ref().map(|e| to_millis(e.at));
            for job in &f.follow_ups {
                insert_job(tx, f.batch_id, job, now.unwrap_or(0))?;
            }
            *changes.added.entry(f.batch_id).or_default() += f.follow_ups.len();
        }
    }
    Ok(changes)
}
