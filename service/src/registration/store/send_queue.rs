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
//! **Claiming** (`claims.rs`) is one statement: `UPDATE send_jobs SET state = in_flight,
//! owner = ?, lease_until = ? WHERE id IN (SELECT id FROM send_jobs WHERE state IN (queued,
//! waiting) AND due_at <= now ORDER BY due_at, id LIMIT n) RETURNING ...`. SQLite serialises
//! writers, so no two claims overlap; on PostgreSQL the inner `SELECT` has `FOR UPDATE SKIP
//! LOCKED`, so that several processes claim disjoint jobs without waiting on each other. On
//! SQLite one process owns the file, so at start it takes over every job left in flight by an
//! earlier process at once ([`Store::release_abandoned`]); on PostgreSQL the others may be
//! alive, so a job in flight is taken over only once its lease has run out on the wall clock,
//! by whichever process claims next. Either way the takeover writes a status-log row (the
//! request may have reached MPNS) and the job goes out again with the same `X-MessageID`.
//! Outcomes are recorded by `finish.rs`.
//!
//! **Size.** A job row holds the user name, channel URI, OS version, a short step name and
//! (rarely) a few bytes of data: about 150 bytes with its index entries. A plan is written by
//! one `INSERT … SELECT` from `registrations`, in the database's own loop, so 300,000 jobs (a One
//! Time of three messages to 100,000 subscribers) commit in well under a second. Finished jobs
//! are kept until [`Store::forget_finished_batches`]: the status log is the lasting record of
//! each outcome. At tens of millions of subscribers the plan stays one statement, but its
//! commit grows linearly (measured in BENCHMARKS.md up to 1,000,000); the way further is the
//! range job: one row per block of subscribers (by user name) with per-subscriber rows only
//! where a retry or failure needs one; the interface here does not change for it. On
//! PostgreSQL the same holds, and the sending scales out: every process claims its own jobs
//! (`SKIP LOCKED`), each answer group is a few set-based statements (`finish.rs`), so more
//! processes add sending capacity until the database's commits are the limit.

use std::collections::HashMap;
use std::time::SystemTime;

use uuid::Uuid;

use super::db::{args, Row, Sql, Tx};
use super::pattern_state::{active_in, INCREMENT, SET_ACTIVE, SET_SETTINGS};
use super::times::{serialize_time, to_millis};
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

    pub(super) fn code(self) -> i64 {
        match self {
            JobState::Queued => 0,
            JobState::InFlight => 1,
            JobState::Waiting => 2,
            JobState::Delivered => 3,
            JobState::GivenUp => 4,
            JobState::Cancelled => 5,
        }
    }

    pub(super) fn from_code(code: i64) -> JobState {
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

pub(super) fn serialize_opt_time<S: serde::Serializer>(
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

pub(super) const JOB_COLUMNS: &str =
    "id, batch_id, user_name, channel_uri, os_version, step, data, attempts, platform";

pub(super) fn claimed(r: &Row) -> Result<ClaimedJob, StoreError> {
    Ok(ClaimedJob {
        id: r.int(0)?,
        batch_id: r.int(1)?,
        user_name: r.text(2)?,
        channel_uri: r.text(3)?,
        os_version: r.text(4)?,
        step: r.text(5)?,
        data: r.opt_text(6)?,
        attempts: r.small(7)?,
        platform: Platform::from_stored(&r.text(8)?),
    })
}

/// Adds one job to a batch (a reaction's, or a follow-up), due at `due`.
pub(super) fn insert_job(
    tx: &mut Tx<'_>,
    batch_id: i64,
    job: &NewJob,
    due: i64,
) -> Result<(), StoreError> {
    let data = match &job.data {
        JobData::None => None,
        JobData::Text(t) => Some(t.clone()),
        JobData::IncrementedCounter(pattern) => {
            let count = tx
                .query_one(
                    &INCREMENT,
                    args![pattern.id(), &job.user_name, super::MAX_COUNTER],
                )?
                .int(0)?;
            Some(count.to_string())
        }
    };
    tx.execute(
        &Sql::same(
            "INSERT INTO send_jobs (batch_id, user_name, channel_uri, os_version, step, data, state, due_at, platform)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)",
        ),
        args![
            batch_id,
            &job.user_name,
            &job.channel_uri,
            &job.os_version,
            job.step,
            data.as_deref(),
            due,
            job.platform.as_str()
        ],
    )?;
    Ok(())
}

/// Every subscriber's steps, in one statement: the steps as a `VALUES` table, crossed with
/// the subscribers in user-name order, each subscriber's steps in the given order.
/// PostgreSQL wants the parameters' types where nothing around them says it.
fn plan_all(steps: &[&'static str]) -> Sql {
    let values = |pg: bool| {
        steps
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if pg {
                    format!("(${}::text, {i})", i + 3)
                } else {
                    format!("(?{}, {i})", i + 3)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Sql::owned(
        format!(
            "INSERT INTO send_jobs (batch_id, user_name, channel_uri, os_version, step, state, due_at, platform)
             SELECT ?1, r.user_name, r.channel_uri, r.os_version, s.column1, 0, ?2, r.platform
             FROM registrations r CROSS JOIN (VALUES {}) s
             ORDER BY r.user_name, s.column2",
            values(false)
        ),
        format!(
            "INSERT INTO send_jobs (batch_id, user_name, channel_uri, os_version, step, state, due_at, platform)
             SELECT $1::bigint, r.user_name, r.channel_uri, r.os_version, s.column1, 0, $2::bigint, r.platform
             FROM registrations r CROSS JOIN (VALUES {}) s
             ORDER BY r.user_name, s.column2",
            values(true)
        ),
    )
}

/// Every subscriber's last tile for a pattern, in one statement.
const LAST_TILE_OF_ALL: Sql = Sql::each(
    "INSERT INTO last_tiles (pattern, user_name, tile_json, updated_at)
     SELECT ?1, user_name, ?2, ?3 FROM registrations WHERE true
     ON CONFLICT (pattern, user_name) DO UPDATE SET
       tile_json = excluded.tile_json, updated_at = excluded.updated_at",
    "INSERT INTO last_tiles (pattern, user_name, tile_json, updated_at)
     SELECT $1::text, user_name, $2::text, $3::bigint FROM registrations WHERE true
     ON CONFLICT (pattern, user_name) DO UPDATE SET
       tile_json = excluded.tile_json, updated_at = excluded.updated_at",
);

impl Store {
    /// Commits a batch and all its jobs in one transaction, with the pattern state that must
    /// change with it ([`PlanRules`]); refused with `Ok(Err(active))` when the rules require
    /// another active pattern. `committed` runs once it is committed, before any outcome of its
    /// jobs can be committed in this process (the commit lock is still held; on PostgreSQL a
    /// claim may already take its jobs), with the batch's id and its number of jobs. Returns
    /// the batch's id, its subscribers and its jobs.
    pub(crate) fn plan_batch(
        &self,
        batch: &NewBatch,
        targets: &Targets,
        rules: &PlanRules,
        committed: impl FnOnce(i64, usize) + Send,
    ) -> Result<Result<(i64, usize, usize), PatternKind>, StoreError> {
        let planned = self.write(
            || true,
            |tx| plan_in(tx, batch, targets, rules),
            |planned| {
                if let Ok((id, _, jobs)) = planned {
                    committed(*id, *jobs);
                }
            },
        )?;
        planned.ok_or_else(|| StoreError::Task("a live write did nothing".into()))
    }

    /// Brings the planner's statistics of the queue's tables up to date after a large plan:
    /// PostgreSQL's `ANALYZE` of `registrations` and `send_jobs` (a sample of each, tens of
    /// milliseconds at a million rows). Nothing on SQLite, whose plans here do not depend on
    /// statistics.
    ///
    /// Why: until autovacuum first analyses a table, PostgreSQL guesses that each value of an
    /// indexed column matches 0.5 % of the rows; with registrations imported just before a
    /// fan-out, the answers' group of 80 channels then looked like 40 % of the table, and each
    /// commit scanned every registration (2 ms a group at 100,000).
    pub(crate) fn refresh_statistics(&self) -> Result<(), StoreError> {
        if !self.is_shared() {
            return Ok(());
        }
        self.tx(|tx| {
            // Behind a long VACUUM of the same table (autovacuum's), give up rather than hold
            // a pooled connection: the next large plan tries again.
            tx.execute(&Sql::each("", "SET LOCAL lock_timeout = '2s'"), &[])?;
            tx.execute(&Sql::each("", "ANALYZE registrations, send_jobs"), &[])?;
            Ok(())
        })
    }

    /// The batch's shared part, for building its jobs' messages.
    pub(crate) fn batch_spec(&self, batch_id: i64) -> Result<Option<BatchSpec>, StoreError> {
        let row = self.tx(|tx| {
            tx.query_opt(
                &Sql::same("SELECT pattern, uuid, spec FROM send_batches WHERE id = ?1"),
                args![batch_id],
            )
        })?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (pattern, uuid, spec) = (row.text(0)?, row.text(1)?, row.opt_text(2)?);
        Ok((|| {
            Some(BatchSpec {
                pattern: PatternKind::from_id(&pattern)?,
                uuid: uuid.parse().ok()?,
                spec,
            })
        })())
    }
}

fn plan_in(
    tx: &mut Tx<'_>,
    batch: &NewBatch,
    targets: &Targets,
    rules: &PlanRules,
) -> Result<Result<(i64, usize, usize), PatternKind>, StoreError> {
    if let Some(required) = rules.require_active {
        let active = active_in(tx)?;
        if active != required {
            return Ok(Err(active));
        }
    }
    let at = to_millis(batch.at);
    if let Some(pattern) = rules.set_active {
        tx.execute(&SET_ACTIVE, args![pattern.id()])?;
    }
    if let Some((pattern, settings)) = &rules.settings {
        tx.execute(&SET_SETTINGS, args![pattern.id(), settings, at])?;
    }
    if let Some((pattern, tile)) = &rules.last_tile_of_all {
        tx.execute(&LAST_TILE_OF_ALL, args![pattern.id(), tile, at])?;
    }
    let uuid = Uuid::new_v4().to_string();
    let id = tx
        .query_one(
            &Sql::same(
                "INSERT INTO send_batches (uuid, pattern, origin, spec, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            ),
            args![
                &uuid,
                batch.pattern.id(),
                batch.origin,
                batch.spec.as_deref(),
                at
            ],
        )?
        .int(0)?;
    let (subscribers, jobs) = match targets {
        Targets::AllSubscribers { steps } => {
            let subscribers = tx
                .query_one(&Sql::same("SELECT COUNT(*) FROM registrations"), &[])?
                .int(0)?;
            let jobs = if steps.is_empty() {
                0
            } else {
                let mut args = vec![super::db::Arg::Int(id), super::db::Arg::Int(at)];
                args.extend(steps.iter().map(|s| super::db::Arg::Text(s)));
                tx.execute(&plan_all(steps), &args)? as usize
            };
            (subscribers as usize, jobs)
        }
        Targets::Jobs(jobs) => {
            for job in jobs {
                insert_job(tx, id, job, at)?;
            }
            (jobs.len(), jobs.len())
        }
    };
    tx.execute(
        &Sql::same("UPDATE send_batches SET jobs = ?2 WHERE id = ?1"),
        args![id, jobs as i64],
    )?;
    Ok(Ok((id, subscribers, jobs)))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::registration::store::testing::{stores, TestStore};
    use crate::registration::Registration;

    /// `owner` claims up to 10 due jobs at `(now, wall_now, lease_until)`, taking back
    /// expired leases; every step's message type is a toast.
    fn claim(
        store: &Store,
        owner: &str,
        times: (SystemTime, SystemTime, SystemTime),
    ) -> Vec<ClaimedJob> {
        store
            .claim_jobs(owner, times, 10, || true, (true, |_| "Toast"))
            .unwrap()
    }

    /// One store per back end (`testing.rs`), with these subscribers.
    fn stores_with(users: &[&str]) -> Vec<TestStore> {
        let stores = stores();
        for store in &stores {
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
        }
        stores
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
    fn refreshing_statistics_gives_postgresql_its_column_statistics_and_sqlite_nothing_to_do() {
        for store in stores_with(&["ann", "bob", "cid"]) {
            let store = &*store;
            plan(store, vec!["toast"]);
            store.refresh_statistics().unwrap();
            if !store.is_shared() {
                continue;
            }
            // What the planner reads: without it a registration's channel was taken to match
            // 0.5 % of the table.
            let analysed = |table: &str| {
                store
                    .tx(|tx| {
                        tx.query_one(
                            &Sql::each(
                                "",
                                "SELECT COUNT(*) FROM pg_stats
                                 WHERE schemaname = current_schema() AND tablename = $1",
                            ),
                            args![table],
                        )?
                        .int(0)
                    })
                    .unwrap()
            };
            assert!(analysed("registrations") > 0, "registrations analysed");
            assert!(analysed("send_jobs") > 0, "send_jobs analysed");
        }
    }

    #[test]
    fn a_plan_has_each_subscribers_steps_in_order_and_claims_take_them_once() {
        for store in stores_with(&["bob", "ann"]) {
            let store = &*store;
            let (_, subscribers, jobs) = plan(store, vec!["tile", "toast"]);
            assert_eq!((subscribers, jobs), (2, 4));
            let claimed = claim(store, "a", (at(100), at(0), at(60)));
            let order: Vec<_> = claimed
                .iter()
                .map(|j| format!("{}:{}", j.user_name, j.step))
                .collect();
            assert_eq!(order, ["ann:tile", "ann:toast", "bob:tile", "bob:toast"]);
            // Leased: another owner takes nothing until the lease runs out on the wall clock.
            assert!(claim(store, "b", (at(100), at(59), at(120))).is_empty());
            assert_eq!(claim(store, "b", (at(100), at(60), at(120))).len(), 4);
        }
    }

    #[test]
    fn a_waiting_job_is_claimed_only_at_its_due_time_and_a_cancelled_one_never() {
        for store in stores_with(&["ann", "bob"]) {
            let store = &*store;
            let (batch, _, _) = plan(store, vec!["tile"]);
            let claimed = claim(store, "a", (at(100), at(0), at(60)));
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
            store.finish_jobs("a", &finishes, |_| {}).unwrap();
            assert_eq!(store.next_due().unwrap(), Some(at(3700)));
            assert!(claim(store, "a", (at(3699), at(0), at(60))).is_empty());
            assert_eq!(store.cancel_batch(batch, |_| {}).unwrap(), Some(2));
            assert!(claim(store, "a", (at(3700), at(0), at(60))).is_empty());
            let shown = &store.batches(1).unwrap()[0];
            assert_eq!(
                (shown.cancelled, shown.cancelled_jobs, shown.waiting),
                (true, 2, 0)
            );
            assert_eq!(store.cancel_batch(batch + 1, |_| {}).unwrap(), None);
        }
    }

    #[test]
    fn jobs_left_in_flight_by_another_process_are_logged_and_queued_again() {
        for store in stores_with(&["ann"]) {
            let store = &*store;
            plan(store, vec!["toast"]);
            let first = claim(store, "dead", (at(100), at(0), at(600)));
            assert_eq!(
                store
                    .release_abandoned("new", at(200), |_| "Toast")
                    .unwrap(),
                1
            );
            let log = store.status_log(0, 10).unwrap();
            assert_eq!(log.len(), 1);
            assert!(log[0].error.as_deref().unwrap().contains("in flight"));
            let again = claim(store, "new", (at(200), at(0), at(600)));
            assert_eq!(
                again[0].id, first[0].id,
                "the same job, so the same X-MessageID"
            );
        }
    }

    #[test]
    fn a_late_answer_for_a_job_taken_back_logs_its_row_and_changes_nothing_else() {
        for store in stores_with(&["ann"]) {
            let store = &*store;
            let (batch, _, _) = plan(store, vec!["toast"]);
            let old = claim(store, "old", (at(100), at(0), at(60)));
            store
                .release_abandoned("new", at(200), |_| "Toast")
                .unwrap();
            let late = Finish {
                job_id: old[0].id,
                batch_id: batch,
                entry: Some(StatusEntry::from_failure(
                    PatternKind::OneTime,
                    mpns::MessageKind::Toast,
                    "http://127.0.0.1:1/c/ann",
                    "late",
                    at(201),
                )),
                next: JobState::Delivered,
                due: None,
                outcome: "late".into(),
                follow_ups: Vec::new(),
            };
            let changes = store.finish_jobs("old", &[late], |_| {}).unwrap();
            assert!(changes.finished.is_empty(), "not counted as finished");
            assert_eq!(
                store.status_log(0, 10).unwrap().len(),
                2,
                "its row is logged"
            );
            let again = claim(store, "new", (at(200), at(0), at(600)));
            assert_eq!(again.len(), 1, "the job is the new owner's to send");
        }
    }

    #[test]
    fn a_stopped_worker_claims_nothing() {
        for store in stores_with(&["ann"]) {
            let store = &*store;
            plan(store, vec!["toast"]);
            let claimed = store.claim_jobs(
                "a",
                (at(100), at(0), at(60)),
                10,
                || false,
                (true, |_| "Toast"),
            );
            assert!(claimed.unwrap().is_empty());
            let claimed = store.claim_jobs(
                "b",
                (at(100), at(0), at(60)),
                10,
                || true,
                (true, |_| "Toast"),
            );
            assert_eq!(claimed.unwrap().len(), 1);
        }
    }

    #[test]
    fn a_message_id_is_fixed_per_job_and_distinct_between_jobs() {
        let batch = Uuid::new_v4();
        assert_eq!(message_id(batch, 7), message_id(batch, 7));
        assert_ne!(message_id(batch, 7), message_id(batch, 8));
        assert_eq!(message_id(batch, 7).get_version_num(), 4);
    }
}
