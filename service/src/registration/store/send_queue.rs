//! The durable send queue: `send_batches` (one row per operator action or reaction: who asked,
//! when, what) and `send_jobs` (one row per subscriber × message: its step, state, due time,
//! attempts, lease and last outcome). The patterns commit a batch's whole plan here before the
//! operator's call returns ([`Store::plan_batch`]); the sender's worker claims due jobs with a
//! lease ([`Store::claim_jobs`]) and records each answer, its status-log row and the job's next
//! state in one transaction ([`Store::finish_jobs`]).
//!
//! **States** ([`JobState`]): queued → in flight → delivered, given up, or waiting (a retry due
//! at a time on the injected clock) → in flight again; queued and waiting jobs can be
//! cancelled. Due times are on the service's clock (virtual in tests and the sandbox), so a
//! retry parked for an hour survives a restart and goes out at its time. Leases are on the
//! wall clock: they are about a process being alive, not about the pattern's time.
//!
//! **Message ids.** A job's `X-MessageID` is derived from its batch's UUID and its row id
//! ([`message_id`]), so it is the same on every attempt, across restarts, without storing it.
//!
//! **Claiming, and PostgreSQL.** [`Store::claim_jobs`] is one statement:
//! `UPDATE send_jobs SET state = in_flight, owner = ?, lease_until = ? WHERE id IN (SELECT id
//! FROM send_jobs WHERE (state IN (queued, waiting) AND due_at <= now) OR (state = in_flight
//! AND lease_until <= wall_now) ORDER BY due_at, id LIMIT n) RETURNING ...`. SQLite serialises
//! writers, so no two claims overlap. On PostgreSQL (the next round) the same statement gets
//! `FOR UPDATE SKIP LOCKED` in the inner `SELECT`, so that several processes claim disjoint
//! jobs without waiting on each other; the methods of this file are the interface that back
//! end implements. On SQLite one process owns the file, so at start it takes over every job
//! left in flight by an earlier process at once ([`Store::release_abandoned`]) instead of
//! waiting for the leases to run out.
//!
//! **Size.** A job row holds the user name, channel URI, OS version, a short step name and
//! (rarely) a few bytes of data: about 150 bytes with its index entries. A plan is written by
//! one `INSERT … SELECT` from `registrations`, in SQLite's own loop, so 300,000 jobs (a One
//! Time of three messages to 100,000 subscribers) commit in well under a second. Finished jobs
//! are kept until [`Store::forget_finished_batches`]: the status log is the lasting record of
//! each outcome. At tens of millions of subscribers the plan stays one statement, but its
//! commit grows linearly (measured in BENCHMARKS.md up to 1,000,000); the way further is the
//! range job: one row per block of subscribers (by user name) with per-subscriber rows only
//! where a retry or failure needs one; the interface here does not change for it.

use std::collections::HashMap;
use std::time::SystemTime;

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::times::{from_millis, serialize_time, to_millis};
use super::{Recorded, StatusEntry, Store, StoreError};
use crate::registration::{PatternKind, Platform};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Planned, not sent yet.
    Queued,
    /// Claimed by a worker: its request may be on the wire.
    InFlight,
    /// MPNS asked for a retry; due again at the job's due time.
    Waiting,
    /// Accepted by MPNS (200).
    Delivered,
    /// Finished without a 200: refused for good, expired, retries exhausted, or not sendable.
    GivenUp,
    /// The operator cancelled the batch before the job went on the wire.
    Cancelled,
}

impl JobState {
    const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::InFlight,
        JobState::Waiting,
        JobState::Delivered,
        JobState::GivenUp,
        JobState::Cancelled,
    ];

    fn code(self) -> i64 {
        match self {
            JobState::Queued => 0,
            JobState::InFlight => 1,
            JobState::Waiting => 2,
            JobState::Delivered => 3,
            JobState::GivenUp => 4,
            JobState::Cancelled => 5,
        }
    }

    fn from_code(code: i64) -> JobState {
        JobState::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(JobState::GivenUp)
    }

    /// Whether the job is done (delivered, given up or cancelled).
    pub fn is_final(self) -> bool {
        self.code() >= 3
    }
}

/// A batch to commit: who asked for what.
#[derive(Debug, Clone)]
pub(crate) struct NewBatch {
    pub pattern: PatternKind,
    /// "send", "activate" or a reaction ("registration", "test_now").
    pub origin: &'static str,
    /// What the jobs' messages are built from (the pattern's settings as JSON), if shared.
    pub spec: Option<String>,
    pub at: SystemTime,
}

/// Pattern state that changes in the plan's transaction.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlanRules {
    /// Refuse unless this pattern is the active one.
    pub require_active: Option<PatternKind>,
    /// Make this pattern the active one.
    pub set_active: Option<PatternKind>,
    /// Store these settings (JSON) as the pattern's last.
    pub settings: Option<(PatternKind, String)>,
    /// Store this tile (JSON) as every subscriber's last for the pattern.
    pub last_tile_of_all: Option<(PatternKind, String)>,
}

/// Which subscribers a batch goes to, and what each gets.
#[derive(Debug, Clone)]
pub(crate) enum Targets {
    /// Every subscriber, each getting these steps in this order.
    AllSubscribers { steps: Vec<&'static str> },
    /// Given jobs (a reaction to one phone).
    Jobs(Vec<NewJob>),
}

/// One job to add.
#[derive(Debug, Clone)]
pub(crate) struct NewJob {
    pub user_name: String,
    pub channel_uri: String,
    pub os_version: String,
    pub platform: Platform,
    pub step: &'static str,
    pub data: JobData,
}

/// A job's own part of what it sends (beside its batch's spec).
#[derive(Debug, Clone)]
pub(crate) enum JobData {
    None,
    Text(String),
    /// The user's counter for this pattern, incremented (stopping at 99) in the transaction
    /// that adds the job; the job's data is the new count.
    IncrementedCounter(PatternKind),
}

/// A claimed job, with what the worker needs to send it.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedJob {
    pub id: i64,
    pub batch_id: i64,
    pub user_name: String,
    pub channel_uri: String,
    pub os_version: String,
    pub platform: Platform,
    pub step: String,
    pub data: Option<String>,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// What a batch's jobs share, read once per batch by the worker.
#[derive(Debug, Clone)]
pub(crate) struct BatchSpec {
    pub pattern: PatternKind,
    pub uuid: Uuid,
    pub spec: Option<String>,
}

/// What became of one attempt, to record.
#[derive(Debug, Clone)]
pub(crate) struct Finish {
    pub job_id: i64,
    pub batch_id: i64,
    /// The status-log row (none when nothing was sent and nothing is worth a row).
    pub entry: Option<StatusEntry>,
    /// The job's state from now: waiting (with its due time), delivered or given up.
    pub next: JobState,
    pub due: Option<SystemTime>,
    pub outcome: String,
    /// Jobs this answer adds to the batch (Counter's tile, Ask to Pin's raw).
    pub follow_ups: Vec<NewJob>,
}

/// What [`Store::finish_jobs`] changed in the counts of unfinished jobs, per batch.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Follow-up jobs added, per batch.
    pub added: HashMap<i64, usize>,
    /// Jobs that reached a final state, per batch.
    pub finished: HashMap<i64, usize>,
    /// Per finish, in order: what its log row did.
    pub recorded: Vec<Option<Recorded>>,
}

/// A batch as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BatchProgress {
    /// The batch's id.
    pub id: i64,
    /// The pattern's id (`one-time`).
    pub pattern: String,
    /// What started it: `send`, `activate`, `registration` or `test_now`.
    pub origin: String,
    /// When it was accepted.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: SystemTime,
    /// Whether the operator cancelled it.
    pub cancelled: bool,
    /// Jobs per state.
    pub queued: u64,
    /// Jobs whose request may be on the wire.
    pub in_flight: u64,
    /// Jobs waiting to retry.
    pub waiting: u64,
    /// When the first waiting job is due, if any.
    #[serde(serialize_with = "serialize_opt_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub waiting_until: Option<SystemTime>,
    /// Jobs accepted by MPNS.
    pub delivered: u64,
    /// Jobs finished without a 200.
    pub given_up: u64,
    /// Jobs cancelled before they were sent.
    pub cancelled_jobs: u64,
}

fn serialize_opt_time<S: serde::Serializer>(
    t: &Option<SystemTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_time(t, s),
        None => s.serialize_none(),
    }
}

/// A job's `X-MessageID`: its batch's UUID with the job's row id folded into the last eight
/// bytes. The same on every attempt and across restarts; distinct within a batch. The UUID's
/// version and variant bits (bytes 6 and 8) are untouched for ids below 2^56.
pub(crate) fn message_id(batch: Uuid, job_id: i64) -> Uuid {
    Uuid::from_u128(batch.as_u128() ^ (job_id as u64 & 0x00ff_ffff_ffff_ffff) as u128)
}

const JOB_COLUMNS: &str =
    "id, batch_id, user_name, channel_uri, os_version, step, data, attempts, platform";

fn claimed(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimedJob> {
    Ok(ClaimedJob {
        id: r.get(0)?,
        batch_id: r.get(1)?,
        user_name: r.get(2)?,
        channel_uri: r.get(3)?,
        os_version: r.get(4)?,
        step: r.get(5)?,
        data: r.get(6)?,
        attempts: r.get(7)?,
        platform: Platform::from_stored(&r.get::<_, String>(8)?),
    })
}

fn insert_job(
    tx: &rusqlite::Transaction<'_>,
    batch_id: i64,
    job: &NewJob,
    due: i64,
) -> Result<(), StoreError> {
    let data = match &job.data {
        JobData::None => None,
        JobData::Text(t) => Some(t.clone()),
        JobData::IncrementedCounter(pattern) => {
            let count: i64 = tx.query_row(
                "INSERT INTO counters (pattern, user_name, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (pattern, user_name) DO UPDATE SET count = MIN(count + 1, ?3)
                 RETURNING count",
                params![pattern.id(), job.user_name, super::MAX_COUNTER],
                |r| r.get(0),
            )?;
            Some(count.to_string())
        }
    };
    tx.prepare_cached(
        "INSERT INTO send_jobs (batch_id, user_name, channel_uri, os_version, step, data, state, due_at, platform)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)",
    )?
    .execute(params![
        batch_id,
        job.user_name,
        job.channel_uri,
        job.os_version,
        job.step,
        data,
        due,
        job.platform.as_str()
    ])?;
    Ok(())
}

impl Store {
    /// Commits a batch and all its jobs in one transaction, with the pattern state that must
    /// change with it ([`PlanRules`]); refused with `Ok(Err(active))` when the rules require
    /// another active pattern. `committed` runs once it is committed, before any worker can
    /// claim a job of it (the store's lock is still held), with the batch's id and its number
    /// of jobs. Returns the batch's id, its subscribers and its jobs.
    pub(crate) fn plan_batch(
        &self,
        batch: &NewBatch,
        targets: &Targets,
        rules: &PlanRules,
        committed: impl FnOnce(i64, usize),
    ) -> Result<Result<(i64, usize, usize), PatternKind>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if let Some(required) = rules.require_active {
            let active: Option<String> = tx
                .query_row("SELECT pattern FROM active_pattern WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            let active = active
                .and_then(|n| PatternKind::from_id(&n))
                .unwrap_or(PatternKind::OneTime);
            if active != required {
                return Ok(Err(active));
            }
        }
        if let Some(pattern) = rules.set_active {
            tx.execute(
                "INSERT INTO active_pattern (id, pattern) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET pattern = excluded.pattern",
                [pattern.id()],
            )?;
        }
        if let Some((pattern, settings)) = &rules.settings {
            tx.execute(
                "INSERT INTO pattern_settings (pattern, settings_json, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (pattern) DO UPDATE SET
                   settings_json = excluded.settings_json, updated_at = excluded.updated_at",
                params![pattern.id(), settings, to_millis(batch.at)],
            )?;
        }
        if let Some((pattern, tile)) = &rules.last_tile_of_all {
            tx.execute(
                "INSERT INTO last_tiles (pattern, user_name, tile_json, updated_at)
                 SELECT ?1, user_name, ?2, ?3 FROM registrations WHERE true
                 ON CONFLICT (pattern, user_name) DO UPDATE SET
                   tile_json = excluded.tile_json, updated_at = excluded.updated_at",
                params![pattern.id(), tile, to_millis(batch.at)],
            )?;
        }
        let at = to_millis(batch.at);
        tx.execute(
            "INSERT INTO send_batches (uuid, pattern, origin, spec, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                Uuid::new_v4().to_string(),
                batch.pattern.id(),
                batch.origin,
                batch.spec,
                at
            ],
        )?;
        let id = tx.last_insert_rowid();
        let (subscribers, jobs) = match targets {
            Targets::AllSubscribers { steps } => {
                let subscribers: i64 =
                    tx.query_row("SELECT COUNT(*) FROM registrations", [], |r| r.get(0))?;
                // One statement: the steps as a VALUES table, crossed with the subscribers in
                // user-name order, each subscriber's steps in the given order.
                let values = steps
                    .iter()
                    .enumerate()
                    .map(|(i, _)| format!("(?{}, {i})", i + 3))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO send_jobs (batch_id, user_name, channel_uri, os_version, step, state, due_at, platform)
                     SELECT ?1, r.user_name, r.channel_uri, r.os_version, s.column1, 0, ?2, r.platform
                     FROM registrations r CROSS JOIN (VALUES {values}) s
                     ORDER BY r.user_name, s.column2"
                );
                let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(id), Box::new(at)];
                args.extend(
                    steps
                        .iter()
                        .map(|s| Box::new(s.to_string()) as Box<dyn rusqlite::ToSql>),
                );
                let jobs = if steps.is_empty() {
                    0
                } else {
                    tx.execute(&sql, rusqlite::params_from_iter(args.iter()))?
                };
                (subscribers as usize, jobs)
            }
            Targets::Jobs(jobs) => {
                for job in jobs {
                    insert_job(&tx, id, job, at)?;
                }
                (jobs.len(), jobs.len())
            }
        };
        tx.execute(
            "UPDATE send_batches SET jobs = ?2 WHERE id = ?1",
            params![id, jobs as i64],
        )?;
        tx.commit()?;
        committed(id, jobs);
        Ok(Ok((id, subscribers, jobs)))
    }

    /// Claims up to `limit` jobs for `owner`: queued or waiting ones due by `now` (the
    /// service's clock), and in-flight ones whose lease ran out by `wall_now`. Each is marked
    /// in flight under `owner` until `lease_until` (wall clock). Oldest due first. Nothing is
    /// claimed unless `live()`, asked under the store's lock: a worker stopped while its claim
    /// waited for the lock must not take jobs that a new start has already released.
    pub(crate) fn claim_jobs(
        &self,
        owner: &str,
        (now, wall_now, lease_until): (SystemTime, SystemTime, SystemTime),
        limit: usize,
        live: impl FnOnce() -> bool,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let conn = self.lock();
        if !live() {
            return Ok(Vec::new());
        }
        let mut stmt = conn.prepare_cached(&format!(
            "UPDATE send_jobs SET state = 1, owner = ?1, lease_until = ?2
             WHERE id IN (
                 SELECT id FROM (SELECT id FROM send_jobs
                                 WHERE state IN (0, 2) AND due_at <= ?3
                                 ORDER BY due_at, id LIMIT ?5)
                 UNION ALL
                 SELECT id FROM (SELECT id FROM send_jobs
                                 WHERE state = 1 AND lease_until <= ?4 LIMIT ?5))
             RETURNING {JOB_COLUMNS}"
        ))?;
        let rows = stmt.query_map(
            params![
                owner,
                to_millis(lease_until),
                to_millis(now),
                to_millis(wall_now),
                limit as i64
            ],
            claimed,
        )?;
        let mut jobs = rows.collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// When the next waiting (or queued) job is due, on the service's clock.
    pub(crate) fn next_due(&self) -> Result<Option<SystemTime>, StoreError> {
        let conn = self.lock();
        let due: Option<i64> = conn
            .prepare_cached("SELECT MIN(due_at) FROM send_jobs WHERE state IN (0, 2)")?
            .query_row([], |r| r.get(0))?;
        Ok(due.map(from_millis))
    }

    /// Puts back every job left in flight by another owner (a process that died): with SQLite
    /// one process owns the database, so whoever opens it takes them over at once. Each gets a
    /// status-log row saying that its request may have reached MPNS without its answer being
    /// recorded (so the log has a row for every request MPNS may have received; the resend
    /// carries the same `X-MessageID`). `message_type` names a step's message type. Returns how
    /// many.
    pub(crate) fn release_abandoned(
        &self,
        owner: &str,
        at: SystemTime,
        message_type: impl Fn(&str) -> &'static str,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let abandoned = {
            let mut stmt = tx.prepare(
                "SELECT j.id, j.step, j.channel_uri, b.pattern, b.uuid, j.platform
                 FROM send_jobs j JOIN send_batches b ON b.id = j.batch_id
                 WHERE j.state = 1 AND j.owner IS NOT ?1",
            )?;
            let rows = stmt.query_map([owner], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for (id, step, channel_uri, pattern, uuid, platform) in &abandoned {
            let pattern = PatternKind::from_id(pattern).unwrap_or(PatternKind::OneTime);
            let message_id = uuid.parse().ok().map(|u| message_id(u, *id).to_string());
            let entry = StatusEntry {
                id: 0,
                pattern: pattern.display_name().to_owned(),
                message_type: message_type(step).to_owned(),
                http_status: None,
                notification_status: None,
                device_connection_status: None,
                subscription_status: None,
                message_id,
                channel_uri: channel_uri.clone(),
                at,
                platform: Platform::from_stored(platform),
                error: Some(
                    "no answer recorded: the process stopped while this request was in flight; \
                     sent again with the same X-MessageID"
                        .into(),
                ),
            };
            tx.prepare_cached(
                "INSERT INTO status_log (pattern, message_type, http_status, notification, device,
                                         subscription, message_id, channel_uri, at, error, platform)
                 VALUES (?1, ?2, NULL, NULL, NULL, NULL, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                entry.pattern,
                entry.message_type,
                entry.message_id,
                entry.channel_uri,
                to_millis(entry.at),
                entry.error,
                entry.platform.as_str(),
            ])?;
        }
        tx.execute(
            "UPDATE send_jobs SET state = 0, owner = NULL, lease_until = NULL
             WHERE state = 1 AND owner IS NOT ?1",
            [owner],
        )?;
        tx.commit()?;
        Ok(abandoned.len())
    }

    /// The batch's shared part, for building its jobs' messages.
    pub(crate) fn batch_spec(&self, batch_id: i64) -> Result<Option<BatchSpec>, StoreError> {
        let conn = self.lock();
        let row = conn
            .prepare_cached("SELECT pattern, uuid, spec FROM send_batches WHERE id = ?1")?
            .query_row([batch_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .optional()?;
        Ok(row.and_then(|(pattern, uuid, spec)| {
            Some(BatchSpec {
                pattern: PatternKind::from_id(&pattern)?,
                uuid: uuid.parse().ok()?,
                spec,
            })
        }))
    }

    /// Records attempts in one transaction: each one's status-log row (as
    /// [`Store::record_sends`]: last outcome, expired channels pruned), the job's next state
    /// and its follow-ups. A job of a cancelled batch that would wait is cancelled instead,
    /// and a cancelled batch gets no follow-ups. `committed` runs after the commit, under the
    /// store's lock, with what changed.
    pub(crate) fn finish_jobs(
        &self,
        finishes: &[Finish],
        committed: impl FnOnce(&Changes),
    ) -> Result<Changes, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut changes = Changes::default();
        for f in finishes {
            let recorded = match &f.entry {
                Some(entry) => Some(super::status_log::record_in(&tx, entry)?),
                None => None,
            };
            changes.recorded.push(recorded);
            let cancelled: bool = tx
                .prepare_cached("SELECT cancelled FROM send_batches WHERE id = ?1")?
                .query_row([f.batch_id], |r| r.get(0))
                .optional()?
                .unwrap_or(false);
            let next = if cancelled && f.next == JobState::Waiting {
                JobState::Cancelled
            } else {
                f.next
            };
            let now = f.entry.as_ref().map(|e| to_millis(e.at));
            tx.prepare_cached(
                "UPDATE send_jobs SET state = ?2, due_at = COALESCE(?3, due_at),
                        attempts = attempts + ?4, last_outcome = ?5, owner = NULL,
                        lease_until = NULL
                 WHERE id = ?1",
            )?
            .execute(params![
                f.job_id,
                next.code(),
                f.due.map(to_millis),
                i64::from(f.entry.is_some()),
                f.outcome,
            ])?;
            if next.is_final() {
                *changes.finished.entry(f.batch_id).or_default() += 1;
            }
            if !cancelled && !f.follow_ups.is_empty() {
                for job in &f.follow_ups {
                    insert_job(&tx, f.batch_id, job, now.unwrap_or(0))?;
                }
                *changes.added.entry(f.batch_id).or_default() += f.follow_ups.len();
            }
        }
        tx.commit()?;
        committed(&changes);
        Ok(changes)
    }

    /// Cancels the batch: its queued and waiting jobs are never sent; jobs in flight finish
    /// (and are not retried). Returns how many jobs were cancelled, or `None` for no such
    /// batch. `committed` runs under the store's lock with that count.
    pub(crate) fn cancel_batch(
        &self,
        batch_id: i64,
        committed: impl FnOnce(usize),
    ) -> Result<Option<usize>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if tx.execute(
            "UPDATE send_batches SET cancelled = 1 WHERE id = ?1",
            [batch_id],
        )? == 0
        {
            return Ok(None);
        }
        let n = tx.execute(
            "UPDATE send_jobs SET state = 5, owner = NULL, lease_until = NULL
             WHERE batch_id = ?1 AND state IN (0, 2)",
            [batch_id],
        )?;
        tx.commit()?;
        committed(n);
        Ok(Some(n))
    }

    /// Unfinished jobs (queued, in flight, waiting) per batch: what a restart resumes.
    pub(crate) fn unfinished_jobs(&self) -> Result<HashMap<i64, usize>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT batch_id, COUNT(*) FROM send_jobs WHERE state IN (0, 1, 2) GROUP BY batch_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest batches (newest first, at most `limit`), with their jobs counted by state.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn batches(&self, limit: u32) -> Result<Vec<BatchProgress>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, pattern, origin, created_at, cancelled FROM send_batches
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(BatchProgress {
                id: r.get(0)?,
                pattern: r.get(1)?,
                origin: r.get(2)?,
                created_at: from_millis(r.get(3)?),
                cancelled: r.get(4)?,
                queued: 0,
                in_flight: 0,
                waiting: 0,
                waiting_until: None,
                delivered: 0,
                given_up: 0,
                cancelled_jobs: 0,
            })
        })?;
        let mut batches = rows.collect::<Result<Vec<_>, _>>()?;
        let mut counts = conn.prepare_cached(
            "SELECT state, COUNT(*), MIN(due_at) FROM send_jobs WHERE batch_id = ?1 GROUP BY state",
        )?;
        for b in &mut batches {
            let rows = counts.query_map([b.id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (state, n, due) = row?;
                let n = n as u64;
                match JobState::from_code(state) {
                    JobState::Queued => b.queued = n,
                    JobState::InFlight => b.in_flight = n,
                    JobState::Waiting => {
                        b.waiting = n;
                        b.waiting_until = Some(from_millis(due));
                    }
                    JobState::Delivered => b.delivered = n,
                    JobState::GivenUp => b.given_up = n,
                    JobState::Cancelled => b.cancelled_jobs = n,
                }
            }
        }
        Ok(batches)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::registration::Registration;

    fn store_with(users: &[&str]) -> Store {
        let store = Store::in_memory().unwrap();
        for u in users {
            store
                .register(&Registration {
                    user_name: (*u).into(),
                    channel_uri: format!("http://127.0.0.1:1/c/{u}"),
                    os_version: "8.0".into(),
                    registered_at: UNIX_EPOCH,
                    last_outcome: None,
                    platform: crate::registration::Platform::Mpns,
                })
                .unwrap();
        }
        store
    }

    fn plan(store: &Store, steps: Vec<&'static str>) -> (i64, usize, usize) {
        let batch = NewBatch {
            pattern: PatternKind::OneTime,
            origin: "send",
            spec: None,
            at: UNIX_EPOCH + Duration::from_secs(100),
        };
        store
            .plan_batch(
                &batch,
                &Targets::AllSubscribers { steps },
                &PlanRules::default(),
                |_, _| {},
            )
            .unwrap()
            .unwrap()
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn a_plan_has_each_subscribers_steps_in_order_and_claims_take_them_once() {
        let store = store_with(&["bob", "ann"]);
        let (_, subscribers, jobs) = plan(&store, vec!["tile", "toast"]);
        assert_eq!((subscribers, jobs), (2, 4));
        let claimed = store
            .claim_jobs("a", (at(100), at(0), at(60)), 10, || true)
            .unwrap();
        let order: Vec<_> = claimed
            .iter()
            .map(|j| format!("{}:{}", j.user_name, j.step))
            .collect();
        assert_eq!(order, ["ann:tile", "ann:toast", "bob:tile", "bob:toast"]);
        // Leased: another owner takes nothing until the lease runs out on the wall clock.
        assert!(store
            .claim_jobs("b", (at(100), at(59), at(120)), 10, || true)
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .claim_jobs("b", (at(100), at(60), at(120)), 10, || true)
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn a_waiting_job_is_claimed_only_at_its_due_time_and_a_cancelled_one_never() {
        let store = store_with(&["ann", "bob"]);
        let (batch, _, _) = plan(&store, vec!["tile"]);
        let claimed = store
            .claim_jobs("a", (at(100), at(0), at(60)), 10, || true)
            .unwrap();
        let finishes: Vec<_> = claimed
            .iter()
            .map(|j| Finish {
                job_id: j.id,
                batch_id: batch,
                entry: None,
                next: JobState::Waiting,
                due: Some(at(3700)),
                outcome: "412".into(),
                follow_ups: Vec::new(),
            })
            .collect();
        store.finish_jobs(&finishes, |_| {}).unwrap();
        assert_eq!(store.next_due().unwrap(), Some(at(3700)));
        assert!(store
            .claim_jobs("a", (at(3699), at(0), at(60)), 10, || true)
            .unwrap()
            .is_empty());
        assert_eq!(store.cancel_batch(batch, |_| {}).unwrap(), Some(2));
        assert!(store
            .claim_jobs("a", (at(3700), at(0), at(60)), 10, || true)
            .unwrap()
            .is_empty());
        let shown = &store.batches(1).unwrap()[0];
        assert_eq!(
            (shown.cancelled, shown.cancelled_jobs, shown.waiting),
            (true, 2, 0)
        );
        assert_eq!(store.cancel_batch(batch + 1, |_| {}).unwrap(), None);
    }

    #[test]
    fn jobs_left_in_flight_by_another_process_are_logged_and_queued_again() {
        let store = store_with(&["ann"]);
        plan(&store, vec!["toast"]);
        let first = store
            .claim_jobs("dead", (at(100), at(0), at(600)), 10, || true)
            .unwrap();
        assert_eq!(
            store
                .release_abandoned("new", at(200), |_| "Toast")
                .unwrap(),
            1
        );
        let log = store.status_log(0, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert!(log[0].error.as_deref().unwrap().contains("in flight"));
        let again = store
            .claim_jobs("new", (at(200), at(0), at(600)), 10, || true)
            .unwrap();
        assert_eq!(
            again[0].id, first[0].id,
            "the same job, so the same X-MessageID"
        );
    }

    #[test]
    fn a_stopped_worker_claims_nothing() {
        let store = store_with(&["ann"]);
        plan(&store, vec!["toast"]);
        let claimed = store.claim_jobs("a", (at(100), at(0), at(60)), 10, || false);
        assert!(claimed.unwrap().is_empty());
        let claimed = store.claim_jobs("b", (at(100), at(0), at(60)), 10, || true);
        assert_eq!(claimed.unwrap().len(), 1);
    }

    #[test]
    fn a_message_id_is_fixed_per_job_and_distinct_between_jobs() {
        let batch = Uuid::new_v4();
        assert_eq!(message_id(batch, 7), message_id(batch, 7));
        assert_ne!(message_id(batch, 7), message_id(batch, 8));
        assert_eq!(message_id(batch, 7).get_version_num(), 4);
    }
}
