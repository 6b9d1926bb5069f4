//! `mpns serve`: the registration service and the push patterns on a SQLite file (or a
//! PostgreSQL database that several `mpns serve` processes share), sending to a real (or fake)
//! MPNS, without the sandbox's phones and console.
//!
//! Its send queue lives in the database: a restart on the same `--data` (or `--database`)
//! resumes every unfinished batch (see `mpns_service::patterns`); on PostgreSQL the other
//! processes take over a dead one's jobs once their leases run out (the hidden `--lease`
//! shortens them for tests). For process-level tests, the hidden
//! `--virtual-clock` runs the service on a clock that moves only through
//! `POST /_test/clock/advance` (`{"seconds": N}`) and is kept in the data folder
//! (`virtual-clock`, the time in ms since the Unix epoch, written on each advance), so retries
//! parked on it survive a restart at the virtual time they were parked at.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Args;
use mpns::{Client, Clock, ManualClock};
use mpns_service::patterns::{Patterns, PatternsConfig, DEFAULT_CONCURRENCY, DEFAULT_LEASE};
use mpns_service::registration::{
    redact_database_url as redact, router_with, serve_with, AllowedHosts, ServiceConfig, Store,
    DEFAULT_DB_FILE,
};

/// Run the registration service and the push patterns on a SQLite file or a PostgreSQL
/// database: phones register at /api/register, the operator sends with
/// /api/patterns/{pattern}/send. Every send is planned in the database before it is accepted,
/// so a restart resumes it. Several processes may serve one PostgreSQL database: each claims
/// jobs the others skip, and takes over a dead one's once their leases run out.
///
/// Listens on 127.0.0.1 only (the operator routes have no authentication).
///
/// Examples:
///   mpns serve --data ./data --allow-host 127.0.0.1:8080      # a fake MPNS on 8080
///   mpns serve --port 0 --allow-host db3.notify.live.net
///   WNS_CLIENT_ID=... WNS_CLIENT_SECRET=... mpns serve   # One Time reaches WNS registrations too
///   mpns serve --database postgres://mpns@127.0.0.1:5432/mpns --port 8001
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct ServeArgs {
    /// The folder of the SQLite file (created if missing). Example: --data ./data
    #[arg(long, value_name = "PATH", default_value = "data")]
    pub data: PathBuf,

    /// The database instead of the file under --data: a postgres:// URL (PostgreSQL, which
    /// several processes may share), or the path of a SQLite file.
    /// Example: --database postgres://mpns:secret@127.0.0.1:5432/mpns
    #[arg(long, value_name = "URL|PATH")]
    pub database: Option<String>,

    /// The port on 127.0.0.1; 0 picks a free one (printed). Example: --port 8000
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    pub port: u16,

    /// A push host channel URIs may point at besides *.notify.live.net, as host[:port];
    /// repeatable. Example: --allow-host 127.0.0.1:8080
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    pub allow_hosts: Vec<String>,

    /// Requests in flight at most. Example: --concurrency 32
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,

    /// After Ctrl-C or SIGTERM, how long open requests may take to finish, in seconds.
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = mpns_harness::cli::parse_drain_deadline)]
    pub drain_deadline: Duration,

    /// WNS credentials, for registrations of Windows 10/11 devices.
    #[command(flatten)]
    pub wns: super::wns_config::WnsConfigArgs,

    /// Tests only: a clock that moves only through POST /_test/clock/advance, kept in the data
    /// folder across restarts (it starts at 2026-01-01T10:00:00Z the first time).
    #[arg(long, hide = true)]
    pub virtual_clock: bool,

    /// Tests only: how long a claimed job stays this process's, in seconds (default 300).
    #[arg(long, hide = true, value_name = "SECS")]
    pub lease: Option<f64>,
}

/// The virtual clock's file in the data folder.
const CLOCK_FILE: &str = "virtual-clock";

/// Where the virtual clock starts the first time: 2026-01-01T10:00:00Z.
const CLOCK_START_MS: u64 = 1_767_261_600_000;

/// A [`ManualClock`] whose time is written to a file on each advance.
#[derive(Clone)]
struct KeptClock {
    clock: ManualClock,
    file: PathBuf,
}

impl KeptClock {
    fn open(dir: &Path) -> Result<KeptClock, String> {
        let file = dir.join(CLOCK_FILE);
        let ms = match std::fs::read_to_string(&file) {
            Ok(text) => text.trim().parse::<u64>().map_err(|e| {
                format!(
                    "{}: not a time in ms ({e}); delete it to start over",
                    file.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => CLOCK_START_MS,
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let kept = KeptClock {
            clock: ManualClock::new(UNIX_EPOCH + Duration::from_millis(ms)),
            file,
        };
        kept.save()?;
        Ok(kept)
    }

    fn now_ms(&self) -> u64 {
        let since = self.clock.now().duration_since(UNIX_EPOCH);
        since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Writes the time to a temporary file and renames it over the old one, so a kill never
    /// leaves half a number.
    fn save(&self) -> Result<(), String> {
        let tmp = self.file.with_extension("tmp");
        std::fs::write(&tmp, self.now_ms().to_string())
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| format!("{}: {e}", self.file.display()))
    }

    fn advance(&self, by: Duration) -> Result<(), String> {
        self.clock.advance(by);
        self.save()
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

/// `POST /_test/clock/advance` and `GET /_test/clock`.
fn clock_routes(clock: KeptClock) -> Router {
    let read = clock.clone();
    Router::new()
        .route(
            "/_test/clock",
            get(move || {
                let ms = read.now_ms();
                async move { Json(serde_json::json!({ "now_ms": ms })) }
            }),
        )
        .route(
            "/_test/clock/advance",
            post(move |Json(body): Json<Advance>| {
                let clock = clock.clone();
                async move {
                    let result = clock.advance(Duration::from_secs(body.seconds));
                    match result {
                        Ok(()) => Ok(Json(serde_json::json!({ "now_ms": clock.now_ms() }))),
                        Err(e) => Err((axum::http::StatusCode::INTERNAL_SERVER_ERROR, e)),
                    }
                }
            }),
        )
}

/// Runs the service until SIGINT or SIGTERM. Exit code 0 on a stop, 2 when it cannot start.
pub(crate) async fn run(args: ServeArgs) -> ExitCode {
    match start(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mpns serve: {e}");
            ExitCode::from(2)
        }
    }
}

async fn start(args: ServeArgs) -> Result<ExitCode, String> {
    let mut signals = mpns_harness::cli::Signals::install()
        .map_err(|e| format!("cannot install signal handlers: {e}"))?;
    std::fs::create_dir_all(&args.data).map_err(|e| format!("{}: {e}", args.data.display()))?;
    let (store, shown) = match &args.database {
        Some(database) => {
            let database = database.clone();
            // Connecting blocks: on tokio's blocking pool, as every store call.
            let store = tokio::task::spawn_blocking(move || Store::open_database(&database))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            let shown = args.database.as_deref().map(redact).unwrap_or_default();
            (store, shown)
        }
        None => {
            let db = args.data.join(DEFAULT_DB_FILE);
            let store = Store::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
            (store, db.display().to_string())
        }
    };
    let lease = match args.lease {
        None => DEFAULT_LEASE,
        Some(secs) => Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("--lease {secs}: not a positive number of seconds"))?,
    };
    let mut allowed_hosts = AllowedHosts::default();
    for host in &args.allow_hosts {
        allowed_hosts = allowed_hosts.with_host(host)?;
    }
    let kept = args
        .virtual_clock
        .then(|| KeptClock::open(&args.data))
        .transpose()?;
    let clock: Arc<dyn Clock> = match &kept {
        Some(k) => Arc::new(k.clock.clone()),
        None => Arc::new(mpns::TokioClock),
    };
    let config = ServiceConfig {
        allowed_hosts,
        clock,
        ..ServiceConfig::default()
    };
    let patterns_config = PatternsConfig {
        concurrency: args.concurrency.max(1),
        lease,
        ..PatternsConfig::default()
    };
    let wns = args.wns.client(&args.allow_hosts)?;
    let wns_on = wns.is_some();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let service = serve_with(addr, store, config, move |state| {
        let patterns = Patterns::start_with_wns(state.clone(), Client::new(), wns, patterns_config);
        let app = router_with(state, mpns_service::patterns::router(patterns));
        match kept {
            Some(k) => app.merge(clock_routes(k)),
            None => app,
        }
    })
    .await
    .map_err(|e| {
        format!(
            "cannot listen on 127.0.0.1:{}: {e} (pick another --port, or 0)",
            args.port
        )
    })?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "mpns service on {}", service.base_url());
        let _ = writeln!(out, "  data: {shown}");
        if wns_on {
            let _ = writeln!(out, "  wns: on (One Time reaches WNS registrations)");
        }
        let _ = out.flush();
    }
    signals.wait().await;
    Ok(signals
        .drain(
            "mpns serve",
            async {
                let _ = service.shutdown().await;
            },
            args.drain_deadline,
        )
        .await)
}
