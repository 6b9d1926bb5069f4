//! The `fake-mpns` command line, shared by the harness's own binary and the `mpns fake-mpns`
//! subcommand, so both take the same flags and behave the same.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::fake::TlsConfig;
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
///   curl -sN http://127.0.0.1:8080/_fake/events                       # server-sent events
///
/// The first line on stdout is exactly `fake-mpns listening on http://ADDR`. SIGINT or SIGTERM
/// stops it: it stops accepting, lets open requests finish for at most --drain-deadline
/// (10 s), then drops what is left (exit code 0 either way). A second SIGINT or SIGTERM during
/// that drain exits at once with exit code 130.
#[derive(Debug, Parser)]
#[command(name = "fake-mpns", version, verbatim_doc_comment)]
pub struct FakeMpnsArgs {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    /// Example: --listen 127.0.0.1:8080
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,

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
