//! `mpns sandbox`: the fake MPNS, the registration service, three phones and the web console in
//! one process (see `mpns_service::sandbox`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mpns_service::registration::{RateLimit, ServerLimits, ServiceConfig};
use mpns_service::sandbox::{Sandbox, SandboxConfig, PHONES, WINDOWS_PC};

/// The operator token from --operator-token, --operator-token-file or MPNS_OPERATOR_TOKEN, in
/// that order; an empty one is an error (it would let anyone in).
fn operator_token(args: &SandboxArgs) -> Result<Option<String>, String> {
    let token = if let Some(t) = &args.operator_token {
        Some(t.clone())
    } else if let Some(path) = &args.operator_token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--operator-token-file {}: {e}", path.display()))?;
        Some(text.lines().next().unwrap_or("").trim().to_owned())
    } else {
        std::env::var("MPNS_OPERATOR_TOKEN").ok()
    };
    match token {
        Some(t) if t.trim().is_empty() => {
            Err("the operator token is empty; give a non-empty token".into())
        }
        other => Ok(other),
    }
}

/// Start the sandbox: a fake MPNS, the registration service with its SQLite file, three
/// emulated phones running the Push Patterns app, and a web console to drive them all.
///
/// Everything listens on 127.0.0.1 by default (--listen changes the console's and service's
/// address; beyond loopback the operator's routes need a token). The console and the service
/// share one port; the fake MPNS takes a free port of its own, on 127.0.0.1. Ctrl-C (SIGINT) or SIGTERM stops it: open requests get
/// --drain-deadline (10 s) to finish, and a second Ctrl-C or SIGTERM exits at once (code 130). A second
/// start with the same --data finds the registrations, counters and status log of the first;
/// the phones register again under the same user names (ann, bob, cat).
///
/// Time runs on one clock for everything: real time, plus whatever the console's "advance the
/// clock" added (so a retry MPNS asked for in an hour can happen now).
///
/// Examples:
///   mpns                                  # the same as `mpns sandbox`
///   mpns sandbox --port 0                 # any free port (printed)
///   mpns sandbox --data /tmp/mpns-demo -v # another data folder, debug logs
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct SandboxArgs {
    /// The folder of the sandbox's SQLite file (created if missing). Example: --data ./data
    #[arg(long, value_name = "PATH", default_value = "data")]
    pub data: PathBuf,

    /// The console's port (the service answers on it too); 0 picks a free one.
    /// Example: --port 8000
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    pub port: u16,

    /// The console's and service's address. Beyond loopback the operator's routes need a token
    /// (--operator-token, --operator-token-file or MPNS_OPERATOR_TOKEN); without one the
    /// sandbox does not start (exit code 2) unless --insecure-no-operator-auth.
    /// Example: --listen 0.0.0.0
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub listen: std::net::IpAddr,

    /// The operator's token: the operator's routes and the console's API then need
    /// `Authorization: Bearer TOKEN` (the console asks for it once). The environment variable
    /// MPNS_OPERATOR_TOKEN gives it too. Example: --operator-token "$(openssl rand -hex 16)"
    #[arg(long, value_name = "TOKEN", conflicts_with = "operator_token_file")]
    pub operator_token: Option<String>,

    /// A file whose first line is the operator's token. Example: --operator-token-file /run/secrets/mpns
    #[arg(long, value_name = "PATH")]
    pub operator_token_file: Option<PathBuf>,

    /// Serve the operator's routes without a token on a non-loopback --listen address: anyone
    /// who reaches the port can send to every subscriber.
    #[arg(long)]
    pub insecure_no_operator_auth: bool,

    /// A host name this server is reached by, besides its address and `localhost` (a `Host` or
    /// `Origin` naming any other is refused); repeatable. Example: --public-name push.example.com
    #[arg(long, value_name = "NAME")]
    pub public_name: Vec<String>,

    /// Seconds a client has to send a request's head; also the idle keep-alive timeout.
    /// Example: --header-timeout 5
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = mpns_harness::cli::parse_drain_deadline)]
    pub header_timeout: std::time::Duration,

    /// Seconds a client has to send a whole request body (else 408). Example: --body-timeout 10
    #[arg(long, default_value = "30", value_name = "SECS", value_parser = mpns_harness::cli::parse_drain_deadline)]
    pub body_timeout: std::time::Duration,

    /// The most connections open at once; more are closed when accepted. Example: --max-connections 256
    #[arg(long, default_value_t = mpns_service::registration::DEFAULT_MAX_CONNECTIONS, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub max_connections: usize,

    /// Requests a second one phone-facing client (one IP address) may make on average, at most
    /// twice as many at once; 0 turns the limit off. Example: --phone-rate-limit 20
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub phone_rate_limit: u32,

    /// After Ctrl-C or SIGTERM, how long open requests may take to finish before their
    /// connections are dropped (exit code 0), in seconds; a second Ctrl-C or SIGTERM meanwhile
    /// exits at once with exit code 130. Example: --drain-deadline 2.5
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = mpns_harness::cli::parse_drain_deadline)]
    pub drain_deadline: std::time::Duration,
}

/// Runs the sandbox until SIGINT or SIGTERM, then drains as [`mpns_harness::cli::Signals::drain`]
/// says. Exit code 0 on a stop, 130 on a second signal, 2 when it cannot start.
pub(crate) async fn run(args: SandboxArgs) -> ExitCode {
    let mut signals = match mpns_harness::cli::Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mpns sandbox: cannot install signal handlers: {e}");
            return ExitCode::from(2);
        }
    };
    let token = match operator_token(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mpns sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    if args.header_timeout.is_zero() || args.body_timeout.is_zero() || args.max_connections == 0 {
        eprintln!(
            "mpns sandbox: --header-timeout, --body-timeout and --max-connections must be above 0"
        );
        return ExitCode::from(2);
    }
    let phone_rate_limit =
        std::num::NonZeroU32::new(args.phone_rate_limit).map(|per_second| RateLimit {
            per_second,
            burst: per_second.saturating_mul(std::num::NonZeroU32::MIN.saturating_add(1)),
        });
    let config = SandboxConfig {
        data_dir: args.data.clone(),
        port: args.port,
        ip: args.listen,
        service: ServiceConfig {
            limits: ServerLimits {
                header_timeout: args.header_timeout,
                body_timeout: args.body_timeout,
                max_connections: args.max_connections,
                drain_deadline: args.drain_deadline,
            },
            operator_token: token,
            open_operator_routes: args.insecure_no_operator_auth,
            public_names: args.public_name.clone(),
            phone_rate_limit,
            ..ServiceConfig::default()
        },
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mpns sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "mpns sandbox console on {}", sandbox.console_url());
        let _ = writeln!(
            out,
            "  registration service: {}/api/",
            sandbox.service_url()
        );
        let _ = writeln!(
            out,
            "  fake MPNS:            {}/_fake/",
            sandbox.fake_mpns_url()
        );
        let _ = writeln!(
            out,
            "  fake WNS:             {}/_fake/",
            sandbox.fake_wns_url()
        );
        let _ = writeln!(out, "  data:                 {}", args.data.display());
        let users: Vec<String> = PHONES
            .iter()
            .map(|(phone, user, os, situation)| {
                format!("{user} ({phone}, WP {os}, {})", situation.describe())
            })
            .collect();
        let _ = writeln!(out, "  phones:               {}", users.join("; "));
        let (pc, user) = WINDOWS_PC;
        let _ = writeln!(
            out,
            "  Windows PC:           {user} ({pc}, Windows 11, WNS, app with a background task)"
        );
        let _ = writeln!(out, "Press Ctrl-C to stop.");
        let _ = out.flush();
    }
    signals.wait().await;
    tracing::info!("stopping");
    signals
        .drain("mpns sandbox", sandbox.shutdown(), args.drain_deadline)
        .await
}
