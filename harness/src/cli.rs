//! The `fake-mpns` command line, shared by the harness's own binary and the `mpns fake-mpns`
//! subcommand, so both take the same flags and behave the same.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::fake::{Scenario, TlsConfig};
use crate::protocol::Mode;
use crate::{Clock, FakeMpns};

/// A fake Microsoft Push Notification Service (MPNS) for testing push senders.
///
/// It answers channel URIs exactly as MPNS documented (200 Received/QueueFull/Suppressed, 400,
/// 401, 404, 405, 406, 412, and 503 from fault rules) and records every request with
/// diagnostics. Drive it with the JSON control API under /_fake/:
///
///   curl -s -X POST -H 'X-Requested-With: curl' http://127.0.0.1:8080/_fake/channels   # -> {"id":1,"uri":...}
///   curl -s -X PATCH http://127.0.0.1:8080/_fake/channels/1/device --json '{"connection":"TempDisconnected"}'
///   curl -s http://127.0.0.1:8080/_fake/channels/1/notifications
///   curl -s http://127.0.0.1:8080/_fake/faults --json '{"action":"status_503","count":2}'
///   curl -s -X PATCH http://127.0.0.1:8080/_fake/settings --json '{"daily_limit":1}'
///   curl -sN http://127.0.0.1:8080/_fake/events                       # server-sent events
///
/// Open http://127.0.0.1:8080/ in a browser to watch notifications arrive (the web view at
/// /_fake/ui: channels, notifications live with headers, payload, lint and the phone's drawing,
/// fault rules).
///
/// A scenario file (--scenario) preloads channels with fixed tokens, device states, fault
/// rules, the daily limit and the queue capacity.
///
/// The first line on stdout is exactly `fake-mpns listening on http://ADDR`. SIGINT or SIGTERM
/// stops it: it stops accepting, lets open requests finish for at most --drain-deadline
/// (10 s), then drops what is left (exit code 0 either way). A second SIGINT or SIGTERM during
/// that drain exits at once with exit code 130.
#[derive(Debug, Parser)]
#[command(name = "fake-mpns", version, verbatim_doc_comment)]
pub struct FakeMpnsArgs {
    /// Log output: -v, -q.
    #[command(flatten)]
    pub log: LogArgs,

    /// Address to listen on; port 0 picks a free port (printed on the first line).
    /// Example: --listen 127.0.0.1:8080
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,

    /// Scheme, host and port written into channel URIs instead of the bound address, so that
    /// other machines or containers can reach them (without it, 0.0.0.0 becomes 127.0.0.1).
    /// Example: --public-url http://fake-mpns:8080
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// The same for authenticated channels on the https listener (needs --tls-cert).
    /// Example: --public-tls-url https://fake-mpns:8443
    #[arg(long, value_name = "URL", value_parser = parse_public_tls_url, requires = "tls_cert")]
    pub public_tls_url: Option<String>,

    /// Serve the control API (/_fake/...) on its own listener at this address (a third line
    /// `fake-mpns control listening on http://ADDR` is printed); the notification listener then
    /// serves channel URIs only. Example: --control-listen 127.0.0.1:8081
    #[arg(long, value_name = "ADDR")]
    pub control_listen: Option<SocketAddr>,

    /// Start in the state a scenario file describes (JSON, or TOML when the name ends in
    /// .toml): channels with fixed tokens, device states, fault rules, daily limit and queue
    /// capacity (these two win over the flags). Example: --scenario fixtures/scenarios/example.toml
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// Refuse (400) what MPNS took in practice but the documentation does not allow: no XML
    /// declaration, other element orders, WP8 templates without Version="2.0", Content-Type
    /// variants, `raw`/`tile` target spellings. Example: --strict
    #[arg(long)]
    pub strict: bool,

    /// Seed for channel tokens and so reproducible channel URIs. Example: --seed 42
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Notifications that may wait in a device queue before MPNS answers QueueFull.
    /// Example: --queue-capacity 5
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub queue_capacity: usize,

    /// Notifications an unauthenticated channel takes per day before MPNS answers 406.
    /// Example: --daily-limit 10
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub daily_limit: u32,

    /// The most channels the fake holds; creating one past it answers 507 (POST
    /// /_fake/channels) until a reset. Example: --max-channels 1000
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_channels: usize,

    /// Byte budget of all recorded requests together (each channel's log and the one of
    /// unknown channel URIs); past it a log forgets its oldest records, counted in the
    /// X-Fake-Records-Dropped header of GET /_fake/notifications. Example: --log-bytes 67108864
    #[arg(long, default_value_t = 256 * 1024 * 1024, value_name = "BYTES")]
    pub log_bytes: usize,

    /// Run on a virtual clock that only moves with POST /_fake/clock/advance (batched
    /// notifications and the daily limit then follow that clock). Example: --virtual-clock
    #[arg(long)]
    pub virtual_clock: bool,

    /// Accept sends to authenticated channels over plain HTTP as if a valid client certificate
    /// was presented (otherwise they answer 401). Example: --allow-authenticated-over-http
    #[arg(long)]
    pub allow_authenticated_over_http: bool,

    /// Serve authenticated channels over https with this certificate chain (PEM, leaf first);
    /// needs --tls-key. Their URIs become https://TLS-ADDR/unthrottledthirdparty/01.00/TOKEN
    /// and a second line `fake-mpns tls listening on https://TLS-ADDR` is printed.
    /// Example: --tls-cert server.pem
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Private key of --tls-cert (PEM). Example: --tls-key server-key.pem
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Client certificates must chain to this CA (PEM); without it any client certificate is
    /// taken and only its subject CN is compared with the service name.
    /// Example: --tls-client-ca clients-ca.pem
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// Address of the https listener. Example: --tls-listen 127.0.0.1:8443
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub tls_listen: SocketAddr,

    /// After SIGINT or SIGTERM, how long open requests may take to finish before their
    /// connections are dropped, in seconds (fractions allowed). Example: --drain-deadline 2.5
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = parse_drain_deadline)]
    pub drain_deadline: Duration,
}

/// How much the fake logs (on stderr); `RUST_LOG`, when set, wins.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct LogArgs {
    /// More log output (-v debug, -vv trace). Example: -v
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Less log output (-q warnings only, -qq errors only). Example: -q
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
}

impl LogArgs {
    /// The level of this project's crates: `info` by default.
    pub fn level(&self) -> &'static str {
        match (self.verbose, self.quiet) {
            (0, 0) => "info",
            (1, _) => "debug",
            (v, _) if v >= 2 => "trace",
            (_, 1) => "warn",
            _ => "error",
        }
    }

    /// Sends logs to stderr (stdout keeps only the lines scripts read), unless logging was set
    /// up already.
    pub fn init(&self) {
        use tracing_subscriber::EnvFilter;
        let level = self.level();
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new(format!(
                "warn,mpns={level},mpns_service={level},mpns_harness={level}"
            ))
        });
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            // Colours only on a terminal: a log redirected to a file stays plain text.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .try_init();
    }
}

/// Parses `--public-url`: `http(s)://HOST[:PORT]`.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    crate::fake::server::check_public_uri(s, false)
}

/// Parses `--public-tls-url`: `https://HOST[:PORT]`.
pub fn parse_public_tls_url(s: &str) -> Result<String, String> {
    crate::fake::server::check_public_uri(s, true)
}

/// The exit code when a second SIGINT or SIGTERM cuts the drain short (128 + SIGINT, as shells
/// report an interrupted command).
pub const SECOND_SIGNAL_EXIT_CODE: i32 = 130;

/// Parses `--drain-deadline SECS`: a non-negative, finite number of seconds.
pub fn parse_drain_deadline(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("`{s}` is not a usable number of seconds"))
}

/// Runs the fake MPNS until SIGINT or SIGTERM: prints `fake-mpns listening on http://ADDR` (and
/// the https line when TLS is configured) as the first stdout line, then serves. Exit code 0 on
/// a stop (drained or not, see [`Signals::drain`]), 130 on a second signal, 2 when it cannot start.
pub async fn run(args: FakeMpnsArgs) -> ExitCode {
    args.log.init();
    let clock = if args.virtual_clock {
        Clock::virtual_clock()
    } else {
        Clock::real()
    };
    let mut builder = FakeMpns::builder()
        .listen(args.listen)
        .mode(if args.strict {
            Mode::Strict
        } else {
            Mode::Lenient
        })
        .clock(clock)
        .queue_capacity(args.queue_capacity)
        .daily_limit(args.daily_limit)
        .max_channels(args.max_channels)
        .log_bytes(args.log_bytes)
        .allow_authenticated_over_http(args.allow_authenticated_over_http);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(url) = &args.public_url {
        builder = builder.public_uri(url.clone());
    }
    if let Some(url) = &args.public_tls_url {
        builder = builder.public_tls_uri(url.clone());
    }
    if let Some(addr) = args.control_listen {
        builder = builder.control_listen(addr);
    }
    if let Some(path) = &args.scenario {
        match Scenario::from_file(path) {
            Ok(s) => builder = builder.scenario(s),
            Err(e) => {
                eprintln!("fake-mpns: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        match TlsConfig::from_files(cert, key, args.tls_client_ca.as_deref()) {
            Ok(tls) => builder = builder.tls(tls).tls_listen(args.tls_listen),
            Err(e) => {
                eprintln!("fake-mpns: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-mpns: cannot install signal handlers: {e}");
            return ExitCode::from(2);
        }
    };
    let fake = match builder.try_start().await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            let e = e.to_string();
            // The builder's "scenario: channels[1]: ..." gets the file's name.
            match (e.strip_prefix("scenario: "), &args.scenario) {
                (Some(rest), Some(path)) => {
                    eprintln!("fake-mpns: scenario file {}: {rest}", path.display());
                }
                _ => eprintln!("fake-mpns: {e}"),
            }
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("fake-mpns: cannot start on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "fake-mpns listening on {}", fake.uri());
        if let Some(tls) = fake.tls_uri() {
            let _ = writeln!(out, "fake-mpns tls listening on {tls}");
        }
        if args.control_listen.is_some() {
            let _ = writeln!(out, "fake-mpns control listening on {}", fake.control_uri());
        }
        let _ = out.flush();
    }
    signals.wait().await;
    signals
        .drain("fake-mpns", fake.shutdown(), args.drain_deadline)
        .await
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere) handlers, installed before the first line is printed so that a signal
/// sent as soon as the line is read is never missed.
#[cfg(unix)]
pub struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Installs the handlers; call it before announcing that the server listens.
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for the next SIGINT or SIGTERM.
    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

#[cfg(not(unix))]
pub struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Installs the handlers; call it before announcing that the server listens.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    /// Waits for the next Ctrl-C.
    pub async fn wait(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

impl Signals {
    /// Runs `shutdown` (a server's graceful stop, already told to accept nothing new) for at most
    /// `deadline` after the first signal, first saying so on stderr. When the deadline passes first, a line on stderr says
    /// so and the process exits with code 0, dropping the connections still open. When a second
    /// signal comes first, the process exits at once with [`SECOND_SIGNAL_EXIT_CODE`]. Both
    /// forced exits end the process here (no destructor waits on a hung connection); a drain that
    /// finishes in time returns exit code 0.
    pub async fn drain(
        mut self,
        name: &str,
        shutdown: impl Future<Output = ()>,
        deadline: Duration,
    ) -> ExitCode {
        eprintln!(
            "{name}: stopping; open requests have {:.1} s to finish (a second signal exits at once)",
            deadline.as_secs_f64()
        );
        tokio::select! {
            () = shutdown => ExitCode::SUCCESS,
            () = tokio::time::sleep(deadline) => {
                eprintln!(
                    "{name}: open requests did not finish within {:.1} s; dropping their connections",
                    deadline.as_secs_f64()
                );
                std::process::exit(0);
            }
            () = self.wait() => {
                eprintln!("{name}: second signal; exiting at once");
                std::process::exit(SECOND_SIGNAL_EXIT_CODE);
            }
        }
    }
}
