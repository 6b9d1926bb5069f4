//! The `mpns` command: send one notification and see what MPNS answered, or run the fake MPNS.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Windows Phone push notifications through MPNS, from the command line.
///
/// Examples:
///   mpns fake-mpns --listen 127.0.0.1:8080
///   mpns send toast --channel http://127.0.0.1:8080/throttledthirdparty/01.00/AAF... --text1 Hi --text2 There
///   mpns send tile --channel URI --count 3 --title Quest --json
#[derive(Debug, Parser)]
#[command(name = "mpns", version, verbatim_doc_comment)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send one notification to a channel URI and print MPNS's answer and what to do next.
    ///
    /// Exit codes, for scripts: 0 delivered or queued, 1 no answer (transport error), 2 bad
    /// arguments or an invalid message (nothing was sent), 3 retry later, 4 suppressed, 5 remove
    /// the channel, 6 fix the request, 7 check credentials, 8 an answer MPNS never documented.
    Send(cli::send::SendArgs),
    /// Run the fake MPNS server (the same as the harness's `fake-mpns` binary).
    FakeMpns(mpns_harness::cli::FakeMpnsArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    match Args::parse().command {
        Command::Send(args) => cli::send::run(args).await,
        Command::FakeMpns(args) => mpns_harness::cli::run(args).await,
    }
}
