//! The `mpns` command: the sandbox (the default), send one notification and see what MPNS
//! answered, or run the fake MPNS.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mpns_harness::cli::LogArgs;

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

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let log = LogArgs {
        verbose: args.verbose,
        quiet: args.quiet,
    };
    match args.command {
        Some(Command::Send(args)) => {
            log.init();
            cli::send::run(args).await
        }
        // The fake's own -v and -q (`mpns fake-mpns -q`) add to the global ones (`mpns -q
        // fake-mpns`); its `run` sets up logging.
        Some(Command::Serve(args)) => {
            log.init();
            cli::serve::run(args).await
        }
        Some(Command::FakeMpns(mut fake)) => {
            fake.log.verbose = fake.log.verbose.max(log.verbose);
            fake.log.quiet = fake.log.quiet.max(log.quiet);
            mpns_harness::cli::run(fake).await
        }
        Some(Command::Sandbox(args)) => {
            log.init();
            cli::sandbox::run(args).await
        }
        None => {
            log.init();
            cli::sandbox::run(args.sandbox).await
        }
    }
}
