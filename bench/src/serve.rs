//! Issue 13, point 8 on the real binary: One Time to every registration through `mpns serve`
//! processes, the way an operator runs the service. `serve` on a SQLite file, `serve-pg` and
//! `serve-pg3` on a fresh PostgreSQL database (`--database-url`) with one and three processes.
//!
//! The registrations are written into the database before any service starts (not timed); the
//! fake MPNS runs in a process of its own. The wall time runs from the operator's HTTP call
//! (`POST /api/patterns/one-time/send`) to the moment `GET /api/batches` shows the batch
//! finished, polled at an interval that grows with the batch (each poll counts the batch's
//! jobs, which costs the service a little). Peak memory is each `mpns serve` process's own
//! (`VmHWM`), so nothing the bench holds is in it.
//!
//! With one process the run ends with a restart: a second One Time is under way when the
//! process gets `kill -9` (after a quarter of the first send's time); a new `mpns serve`
//! starts on the same database, and the figure is the time from that start to the first
//! request the fake receives after it, read from the fake's own clock. On PostgreSQL the jobs
//! the dead process held wait for their lease (the hidden `--lease`, 3 s here, five minutes by
//! default).
//!
//! The `mpns` binary is the one next to this program: `cargo build --release -p mpns-service`
//! first.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use mpns_service::registration::{Platform, Registration, Store, DEFAULT_DB_FILE};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::fake::FakeProcess;
use crate::fanout::TempDir;
use crate::pg::{blocking, Database};
use crate::procfs::{cpu_secs, mb_text, proc_mb};
use crate::report::{emit, Row};
use crate::{Args, Res};

/// The PostgreSQL runs' lease (`mpns serve --lease`): a killed process's jobs come free after it.
const PG_LEASE_SECS: &str = "3";

/// The longest a run may wait for a service (to start, or a batch to finish).
const LIMIT: Duration = Duration::from_secs(900);

/// Where the services keep their data.
enum Data {
    Sqlite(TempDir),
    Postgres(Database),
}

impl Data {
    /// `mpns serve`'s flags for it.
    fn flags(&self) -> Vec<String> {
        match self {
            Data::Sqlite(dir) => vec!["--data".into(), dir.0.display().to_string()],
            Data::Postgres(db) => vec![
                "--database".into(),
                db.url.clone(),
                "--lease".into(),
                PG_LEASE_SECS.into(),
            ],
        }
    }
}

/// One `mpns serve` process and its base URL.
struct Service {
    child: Child,
    url: String,
}

impl Service {
    async fn start(mpns: &PathBuf, data: &Data, fake_host: &str, concurrency: usize) -> Res<Self> {
        let mut child = Command::new(mpns)
            .arg("serve")
            .args(data.flags())
            .args(["--port", "0", "--allow-host", fake_host, "-q"])
            .args(["--concurrency", &concurrency.to_string()])
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", mpns.display()))?;
        let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        tokio::time::timeout(LIMIT, out.read_line(&mut line))
            .await
            .map_err(|_| "mpns serve printed nothing")?
            .map_err(|e| e.to_string())?;
        let url = line
            .trim()
            .strip_prefix("mpns service on ")
            .ok_or_else(|| format!("mpns serve said {line:?}"))?
            .trim_end_matches('/')
            .to_owned();
        // Read on, so that the service never blocks on a full pipe.
        tokio::spawn(async move {
            let mut rest = String::new();
            while out.read_line(&mut rest).await.is_ok_and(|n| n > 0) {
                rest.clear();
            }
        });
        Ok(Service { child, url })
    }

    fn peak_mb(&self) -> Option<f64> {
        proc_mb(self.child.id(), "VmHWM")
    }
}

/// How often a run asks for its batch's progress: each answer counts the batch's jobs
/// (about 35 ms of PostgreSQL's time at 100,000), which would otherwise weigh on the run.
fn poll_every(k: usize) -> Duration {
    Duration::from_millis((k as u64 / 200).clamp(100, 5000))
}

/// CPU seconds used so far by the processes named `name` on this machine, with their ended
/// children's (a PostgreSQL server's backends end with their connections, and its postmaster
/// collects their time).
fn cpu_of_all(name: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .filter_map(|pid| cpu_secs(Some(pid)))
        .map(|(own, ended)| own + ended)
        .sum()
}

/// CPU seconds of one process, with its ended children's.
fn cpu_of(pid: Option<u32>) -> f64 {
    cpu_secs(pid).map_or(0.0, |(own, ended)| own + ended)
}

/// The `mpns` binary beside this program.
fn mpns_binary() -> Res<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mpns = exe.with_file_name("mpns");
    if mpns.is_file() {
        Ok(mpns)
    } else {
        Err(format!(
            "{} not found: build it first with `cargo build --release -p mpns-service`",
            mpns.display()
        ))
    }
}

async fn call(request: reqwest::RequestBuilder) -> Res<Value> {
    let answer = request.send().await.map_err(|e| e.to_string())?;
    let status = answer.status();
    let body: Value = answer.json().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("the service answered {status}: {body}"))
    }
}

/// Sends the toast-only One Time; returns the batch id.
async fn send(http: &reqwest::Client, url: &str, k: usize) -> Res<i64> {
    let answer = call(
        http.post(format!("{url}/api/patterns/one-time/send"))
            .json(&json!({"tile": false, "raw": false})),
    )
    .await?;
    if answer["subscribers"] != k {
        return Err(format!(
            "the send reached other than {k} subscribers: {answer}"
        ));
    }
    answer["batch"]
        .as_i64()
        .ok_or_else(|| format!("no batch in {answer}"))
}

/// A batch's job counts: (answers recorded, unfinished).
async fn progress(http: &reqwest::Client, url: &str, batch: i64) -> Res<(u64, u64)> {
    let list = call(http.get(format!("{url}/api/batches?limit=5"))).await?;
    let b = list["batches"]
        .as_array()
        .and_then(|l| l.iter().find(|b| b["id"] == batch))
        .ok_or_else(|| format!("batch {batch} not listed: {list}"))?;
    let sum = |keys: &[&str]| keys.iter().filter_map(|k| b[k].as_u64()).sum::<u64>();
    Ok((
        sum(&["delivered", "given_up", "waiting"]),
        sum(&["queued", "in_flight", "waiting"]),
    ))
}

/// Polls until `done` holds for the batch's counts.
async fn until(
    http: &reqwest::Client,
    url: &str,
    batch: i64,
    every: Duration,
    done: impl Fn((u64, u64)) -> bool,
) -> Res<()> {
    let t0 = Instant::now();
    while !done(progress(http, url, batch).await?) {
        if t0.elapsed() > LIMIT {
            return Err(format!("batch {batch}: not there after {LIMIT:?}"));
        }
        tokio::time::sleep(every).await;
    }
    Ok(())
}

/// One subscriber per channel, written before any service runs.
async fn register(data: &Data, uris: Vec<String>) -> Res<()> {
    match data {
        Data::Sqlite(dir) => {
            let file = dir.0.join(DEFAULT_DB_FILE);
            blocking(move || -> Res<()> {
                let store = Store::open(file).map_err(|e| e.to_string())?;
                let now = SystemTime::now();
                for (i, uri) in uris.into_iter().enumerate() {
                    store
                        .register(&Registration {
                            user_name: format!("user{i:07}"),
                            channel_uri: uri,
                            os_version: "8.0".into(),
                            registered_at: now,
                            last_outcome: None,
                            platform: Platform::Mpns,
                        })
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            })
            .await?
        }
        Data::Postgres(db) => crate::pg::register_all(&db.url, uris).await,
    }
}

pub(crate) async fn serve(args: &Args, processes: usize, postgres: bool) -> Res<()> {
    let mpns = mpns_binary()?;
    let k = args.registrations.max(1);
    let label = match (postgres, processes) {
        (false, _) => "mpns serve, SQLite".to_owned(),
        (true, 1) => "mpns serve, postgres, 1 process".to_owned(),
        (true, n) => format!("mpns serve, postgres, {n} processes"),
    };
    eprintln!("  fake with {k} channels ...");
    let mut fake = FakeProcess::start(k, true, args.rss_guard_mb).await?;
    if fake.uris.len() != k {
        return Err(format!("the fake made {} of {k} channels", fake.uris.len()));
    }
    let fake_host = fake.uris[0]
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let data = if postgres {
        let server = crate::pg::server_url(args)?;
        let db = blocking(move || Database::create(&server)).await??;
        let url = db.url.clone();
        // Migrated here, so the services start on the schema.
        drop(
            blocking(move || Store::connect(&url))
                .await?
                .map_err(|e| e.to_string())?,
        );
        Data::Postgres(db)
    } else {
        Data::Sqlite(TempDir::new("serve")?)
    };
    eprintln!("  {k} registrations ...");
    let t0 = Instant::now();
    register(&data, std::mem::take(&mut fake.uris)).await?;
    eprintln!("  ... in {:.1} s", t0.elapsed().as_secs_f64());

    let mut services = Vec::new();
    for _ in 0..processes {
        services.push(Service::start(&mpns, &data, &fake_host, args.concurrency).await?);
    }
    let http = reqwest::Client::new();
    let every = poll_every(k);
    let url = services[0].url.clone();
    eprintln!("  One Time toast to {k} subscribers ({label}) ...");
    let cpu = |services: &[Service]| {
        let each: Vec<f64> = services.iter().map(|s| cpu_of(s.child.id())).collect();
        (each, cpu_of(fake.pid()), cpu_of_all("postgres"))
    };
    let before = cpu(&services);
    let t0 = Instant::now();
    let batch = send(&http, &url, k).await?;
    let accepted = t0.elapsed().as_secs_f64();
    until(&http, &url, batch, every, |(_, left)| left == 0).await?;
    let wall = t0.elapsed().as_secs_f64();
    let after = cpu(&services);
    let peaks: Vec<_> = services.iter().map(Service::peak_mb).collect();
    let counted = fake.count().await?;
    // Issue 13's targets: 100,000 in under 10 s, 1,000,000 in under 120 s.
    let target = if k > 100_000 { 120.0 } else { 10.0 };
    emit(Row::at_most(
        &format!(
            "{label}: One Time toast to {k} subscribers, call to the batch's end (polled every {:.1} s)",
            every.as_secs_f64()
        ),
        wall,
        "s",
        target,
    ));
    crate::fanout::send_rows(&label, accepted, k, wall);
    let worst = peaks.iter().flatten().fold(0.0_f64, |a, b| a.max(*b));
    emit(Row::at_most(
        &format!(
            "{label}: peak memory per mpns serve process (VmHWM: {})",
            peaks
                .iter()
                .map(|p| mb_text(*p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        worst,
        "MB",
        150.0,
    ));
    let services_cpu: Vec<String> = after
        .0
        .iter()
        .zip(&before.0)
        .map(|(a, b)| format!("{:.1} s", a - b))
        .collect();
    let mut cpu_text = format!(
        "mpns serve {}; the fake {:.1} s",
        services_cpu.join(", "),
        after.1 - before.1
    );
    if postgres {
        cpu_text += &format!("; PostgreSQL {:.1} s", after.2 - before.2);
    }
    emit(Row::info(
        format!("{label}: CPU time from the call to the batch's end (2 cores)"),
        cpu_text,
    ));
    emit(Row {
        figure: format!("{label}: channels delivered, counted at the fake"),
        value: format!("{} / {k}", counted.delivered_channels),
        target: format!("{k}"),
        verdict: if counted.dropped > 0 {
            "unknown: the fake forgot records"
        } else if counted.delivered_channels == k && counted.duplicates == 0 {
            "ok"
        } else {
            "MISSED"
        }
        .into(),
    });
    if processes == 1 {
        restart(
            &mut fake,
            &mpns,
            &data,
            &fake_host,
            args,
            services.remove(0),
            (k, wall),
        )
        .await?;
    }
    drop(services);
    drop(fake.stdin);
    let _ = fake.child.wait().await;
    drop(data);
    Ok(())
}

/// A second One Time, `kill -9` about a quarter of the way, a new `mpns serve` on the same
/// data: the time from its start to the first request the fake receives, and what the fake
/// counted.
async fn restart(
    fake: &mut FakeProcess,
    mpns: &PathBuf,
    data: &Data,
    fake_host: &str,
    args: &Args,
    mut service: Service,
    (k, first_wall): (usize, f64),
) -> Res<()> {
    let http = reqwest::Client::new();
    let url = service.url.clone();
    let batch = send(&http, &url, k).await?;
    // A quarter of the first send's time, rather than polling for a quarter of the answers:
    // each poll counts the batches' jobs, and polled often that would slow the send itself.
    tokio::time::sleep(Duration::from_secs_f64(first_wall / 4.0)).await;
    let (at_kill, _) = progress(&http, &url, batch).await?;
    service.child.start_kill().map_err(|e| e.to_string())?;
    let _ = service.child.wait().await;
    let mark = fake.mark().await?;
    let t0 = Instant::now();
    let service = Service::start(mpns, data, fake_host, args.concurrency).await?;
    let started = t0.elapsed().as_secs_f64();
    let every = poll_every(k);
    until(&http, &service.url, batch, every, |(_, left)| left == 0).await?;
    let all = t0.elapsed().as_secs_f64();
    let first = fake
        .first_after(mark)
        .await?
        .ok_or("the fake received nothing after the restart")?;
    let counted = fake.count().await?;
    emit(Row::at_most(
        "restart: kill -9 of mpns serve mid-send, a new one started: to the first resumed request at the fake",
        (first - mark) as f64 / 1000.0,
        "s",
        2.0,
    ));
    emit(Row::info(
        "restart: answers recorded at the kill / the new process listening after / the batch finished after",
        format!("{at_kill} / {started:.2} s / {all:.2} s"),
    ));
    emit(Row {
        figure: "restart: channels that got the second toast / repeats under the same X-MessageID"
            .into(),
        value: format!(
            "{} / {}",
            counted.delivered_channels.min(k),
            counted.duplicate_same_id
        ),
        target: format!("{k} / at most the jobs held at the kill"),
        verdict: if counted.dropped > 0 {
            "unknown: the fake forgot records"
        } else if counted.missing.is_empty() && counted.duplicates - counted.duplicate_same_id == k
        {
            "ok"
        } else {
            "MISSED"
        }
        .into(),
    });
    drop(service);
    Ok(())
}
