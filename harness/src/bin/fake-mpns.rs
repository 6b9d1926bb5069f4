//! `fake-mpns`: the fake MPNS server as a standalone process, for testing any MPNS sender in any
//! language. `fake-mpns --help` lists every flag.

use std::process::ExitCode;

use clap::Parser;
use mpns_harness::cli::{run, FakeMpnsArgs};

#[tokio::main]
async fn main() -> ExitCode {
    run(FakeMpnsArgs::parse()).await
}
