//! `mpns sandbox`: the fake MPNS, the registration service, three phones and the web console in
//! one process (see `mpns_service::sandbox`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mpns_service::sandbox::{Sandbox, SandboxConfig, PHONES};

/// Start the sandbox: a fake MPNS, the registration service with its SQLite file, three
/// emulated phones running the Push Patterns app, and a web console to drive them all.
///
/// Everything listens on 127.0.0.1 only. The console and the service share one port; the fake
/// MPNS takes a free port of its own. Ctrl-C (SIGINT) or SIGTERM stops it: open requests get
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

    /// The console's port on 127.0.0.1 (the service answers on it too); 0 picks a free one.
    /// Example: --port 8000
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    pub port: u16,

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
    let config = SandboxConfig {
        data_dir: args.data.clone(),
        port: args.port,
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
        let _ = writeln!(out, "  data:                 {}", args.data.display());
        let users: Vec<String> = PHONES
            .iter()
            .map(|(phone, user, os, situation)| {
                format!("{user} ({phone}, WP {os}, {})", situation.describe())
            })
            .collect();
        let _ = writeln!(out, "  phones:               {}", users.join("; "));
        let _ = writeln!(out, "Press Ctrl-C to stop.");
        let _ = out.flush();
    }
    signals.wait().await;
    tracing::info!("stopping");
    signals
        .drain("mpns sandbox", sandbox.shutdown(), args.drain_deadline)
        .await
}
