//! The `mpns` command: the sandbox (the default), send one notification and see what MPNS
//! answered, or run the fake MPNS.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Windows Phone push notifications through MPNS, from the command line.
///
/// Without a subcommand, `mpns` runs the sandbox: a fake MPNS, the registration service, three
/// emulated phones and a web console, all on 127.0.0.1 (see `mpns sandbox --help`).
///
/// Examples:
///   mpns                                   # the sandbox; open the printed console URL
///   mpns sandbox --port 0 --data /tmp/demo
///   mpns fake-mpns --listen 127.0.0.1:8080
///   mpns serve --data ./data --allow-host 127.0.0.1:8080
///   mpns send toast --channel http://127.0.0.1:8080/throttledthirdparty/01.00/AAF... --text1 Hi --text2 There
///   mpns send tile --channel URI --count 3 --title Quest --json
#[derive(Debug, Parser)]
#[command(name = "mpns", version, verbatim_doc_comment)]
struct Args {
    /// More log output (-v debug, -vv trace). RUST_LOG, when set, wins.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// Less log output (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    quiet: u8,

    /// Without a subcommand: the sandbox's flags (`mpns --port 0` = `mpns sandbox --port 0`).
    #[command(flatten)]
    sandbox: cli::sandbox::SandboxArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send one notification to a channel URI and print MPNS's answer and what to do next.
    ///
    /// Exit codes, for scripts: 0 delivered or queued, 1 no answer (transport error), 2 bad
    /// arguments or an invalid message (nothing was sent), 3 retry later, 4 suppressed, 5 remove
    /// the channel, 6 fix the request, 7 check credentials, 8 an answer MPNS never documented.
    Send(cli::send::SendArgs),
    Serve(cli::serve::ServeArgs),
    // The subcommands' help (with examples) is the doc of their argument types.
    FakeMpns(mpns_harness::cli::FakeMpnsArgs),
    Sandbox(cli::sandbox::SandboxArgs),
}

/// Logs go to stderr, so stdout keeps only the lines scripts read.
fn init_logging(verbose: u8, quiet: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match (verbose, quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,mpns={level},mpns_harness={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log redirected to a file stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.verbose, args.quiet);
    match args.command {
        Some(Command::Send(args)) => cli::send::run(args).await,
        Some(Command::Serve(args)) => cli::serve::run(args).await,
        Some(Command::FakeMpns(args)) => mpns_harness::cli::run(args).await,
        Some(Command::Sandbox(args)) => cli::sandbox::run(args).await,
        None => cli::sandbox::run(args.sandbox).await,
    }
}
