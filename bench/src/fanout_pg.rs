//! Issue 13, point 8 on PostgreSQL: One Time to every registration through the durable queue
//! in a PostgreSQL database, with this process alone (`fanout-pg`) or with two more service
//! processes sharing the database (`fanout-pg3`: each runs the patterns' queue worker on the
//! same database, `--role pg-worker`). The time runs from the operator's call to the batch's
//! end as the database counts it (every job finished, whichever process sent it).
//!
//! The server is `--database-url` (a role that may create databases); each run makes a fresh
//! database with a random name and drops it at the end.

use std::io::Write as _;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use mpns_service::patterns::{Patterns, PatternsConfig};
use mpns_service::registration::{AllowedHosts, ServiceConfig, ServiceState, Store};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::fake::FakeProcess;
use crate::fanout::send_toast;
use crate::load::client;
use crate::procfs::{mb_text, proc_mb};
use crate::report::{emit, fmt_num, Row};
use crate::{Args, Res};

/// The lease of the one-process run: its resume step waits for the jobs the dropped worker
/// held to come free (five minutes by default).
const RESUME_LEASE: Duration = Duration::from_secs(3);

/// A fresh database on the server, dropped with this.
struct Database {
    server: String,
    name: String,
    url: String,
}

impl Database {
    fn create(server: &str) -> Res<Database> {
        let name = format!("mpns_bench_{}", uuid::Uuid::new_v4().simple());
        let mut client =
            postgres::Client::connect(server, postgres::NoTls).map_err(|e| e.to_string())?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| e.to_string())?;
        let (head, query) = server
            .split_once('?')
            .map_or((server, None), |(h, q)| (h, Some(q)));
        let after = head.find("://").map_or(0, |i| i + 3);
        let base = head[after..]
            .find('/')
            .map_or(head, |slash| &head[..after + slash]);
        let url = match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        };
        Ok(Database {
            server: server.to_owned(),
            name,
            url,
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // The sync client blocks: not on a runtime's thread.
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&server, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

fn service_config(fake_uri: &str) -> Res<ServiceConfig> {
    let host = fake_uri
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(ServiceConfig {
        allowed_hosts: AllowedHosts::default().with_host(&host)?,
        ..ServiceConfig::default()
    })
}

async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Res<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())
}

/// A service process of the bench: the patterns' queue worker on the database, until stdin
/// closes (`--role pg-worker --database-url URL --fake-uri URI`).
pub(crate) async fn pg_worker(args: Args) -> ExitCode {
    let run = async {
        let url = args.database_url.clone().ok_or("no --database-url")?;
        let store = blocking(move || Store::connect(&url))
            .await?
            .map_err(|e| e.to_string())?;
        let fake = args.fake_uri.clone().ok_or("no --fake-uri")?;
        let state = ServiceState::new(store, service_config(&fake)?);
        let config = PatternsConfig {
            concurrency: args.concurrency.max(1),
            ..PatternsConfig::default()
        };
        let patterns = Patterns::start(state, client(config.concurrency)?, config);
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "ready");
            let _ = out.flush();
        }
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(_)) = lines.next_line().await {}
        drop(patterns);
        Res::Ok(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench pg-worker: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn start_worker(args: &Args, url: &str, fake: &str) -> Res<Child> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args([
            "--role",
            "pg-worker",
            "--database-url",
            url,
            "--fake-uri",
            fake,
            "--concurrency",
            &args.concurrency.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line).await.map_err(|e| e.to_string())?;
    if line.trim() != "ready" {
        return Err(format!("a pg-worker said {line:?}"));
    }
    Ok(child)
}

pub(crate) async fn fanout_pg(args: &Args, processes: usize) -> Res<()> {
    let server = args
        .database_url
        .clone()
        .or_else(|| std::env::var("MPNS_TEST_DATABASE_URL").ok())
        .ok_or(
            "needs a PostgreSQL server: --database-url postgres://... (or MPNS_TEST_DATABASE_URL)",
        )?;
    let k = args.registrations.max(1);
    let label = format!(
        "postgres, {processes} process{}",
        if processes == 1 { "" } else { "es" }
    );
    eprintln!("  fake with {k} channels ...");
    let mut fake = FakeProcess::start(k, true, args.rss_guard_mb).await?;
    if fake.uris.len() != k {
        return Err(format!("the fake made {} of {k} channels", fake.uris.len()));
    }
    let db = blocking(move || Database::create(&server)).await??;
    let url = db.url.clone();
    let store = blocking(move || Store::connect(&url))
        .await?
        .map_err(|e| e.to_string())?;
    eprintln!("  {k} registrations into PostgreSQL (one statement) ...");
    let (url, uris) = (db.url.clone(), fake.uris.clone());
    blocking(move || -> Res<()> {
        let names: Vec<String> = (0..uris.len()).map(|i| format!("user{i:07}")).collect();
        let mut c = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        c.execute(
            "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at)
             SELECT n, u, '8.0', 0 FROM unnest($1::text[], $2::text[]) AS x(n, u)",
            &[&names, &uris],
        )
        .map_err(|e| e.to_string())?;
        Ok(())
    })
    .await??;
    let fake_uri = fake.uris[0].clone();
    let mut workers = Vec::new();
    for _ in 1..processes {
        workers.push(start_worker(args, &db.url, &fake_uri).await?);
    }
    let config = PatternsConfig {
        concurrency: args.concurrency.max(1),
        // The resume run (one process) drops a worker holding claimed jobs: they go out again
        // once this runs out.
        lease: RESUME_LEASE,
        ..PatternsConfig::default()
    };
    let state = ServiceState::new(store.clone(), service_config(&fake_uri)?);
    let patterns = Patterns::start(state.clone(), client(config.concurrency)?, config.clone());
    eprintln!("  One Time toast to {k} subscribers ({label}) ...");
    let t0 = Instant::now();
    let batch = send_toast(&patterns).await?;
    let accepted = t0.elapsed().as_secs_f64();
    // The batch's count follows this process's commits, and the database's whenever this
    // process has nothing in hand (every 200 ms): other processes finish jobs too. Polling
    // the database from here instead would load it beside the run.
    tokio::time::timeout(Duration::from_secs(600), batch.finished())
        .await
        .map_err(|_| "the batch did not finish in 10 minutes")?;
    let wall = t0.elapsed().as_secs_f64();
    let mut peaks = vec![proc_mb(None, "VmHWM")];
    for w in &workers {
        peaks.push(proc_mb(w.id(), "VmHWM"));
    }
    let counted = fake.count().await?;
    emit(Row::at_most(
        &format!("fan-out ({label}): One Time toast to {k} subscribers, wall time"),
        wall,
        "s",
        10.0,
    ));
    emit(Row::at_most(
        &format!("fan-out ({label}): the send accepted (whole plan committed) after"),
        accepted,
        "s",
        2.0,
    ));
    emit(Row::info(
        format!("fan-out ({label}): toasts/s"),
        fmt_num(k as f64 / wall),
    ));
    emit(Row::info(
        format!("fan-out ({label}): peak memory per process (VmHWM; the first holds the fake's {k} URIs)"),
        peaks
            .iter()
            .map(|p| mb_text(*p))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    emit(Row {
        figure: format!("fan-out ({label}): channels delivered, counted at the fake"),
        value: format!("{} / {k}", counted.delivered_channels),
        target: format!("{k}"),
        verdict: if counted.delivered_channels == k {
            "ok"
        } else {
            "MISSED"
        }
        .into(),
    });
    for w in &mut workers {
        drop(w.stdin.take());
    }
    for mut w in workers {
        let _ = w.wait().await;
    }
    drop(batch);
    if processes == 1 {
        crate::fanout::resume(&state, config, k, patterns).await?;
    } else {
        drop(patterns);
    }
    drop(store);
    drop(fake.stdin);
    let mut child = fake.child;
    let _ = child.wait().await;
    drop(db);
    Ok(())
}
