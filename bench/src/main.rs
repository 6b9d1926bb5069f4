//! `bench`: how fast the sender, the fake MPNS and the harness are, printed as a table of
//! figures with their targets. It measures and prints; it never asserts a timing.
//!
//! ```text
//! cargo run --release -p mpns-bench -- [ITEM ...] [--n N] [--concurrency C] [--markdown FILE]
//! ```
//!
//! Each item runs in a fresh process (this program, re-executed), so that each peak memory
//! figure (`VmHWM` of `/proc/<pid>/status`) belongs to that item alone. The fake MPNS runs in a
//! process of its own as well (again this program, serving the same `FakeMpns` the `fake-mpns`
//! command serves), so the sender and the fake are measured apart. Everything listens on
//! 127.0.0.1 and every load is bounded in count or in time.
//!
//! Items: `sender` (throughput, latency, memory, and the ceiling: the same fake loaded by `wrk`),
//! `overhead` (the fake against a bare server on the same HTTP stack, both loaded by `wrk`),
//! `fanout` (One Time to every registration in the SQLite store), `serve`, `serve-pg` and
//! `serve-pg3` (the same through `mpns serve` processes: on SQLite, and on PostgreSQL
//! (`--database-url`) with one and three processes, each run with one process ending in a
//! `kill -9` and a restart; build the binary first with `cargo build --release -p
//! mpns-service`; not in `all`), `faults` (the same fan-out
//! with seeded 503s and connection resets), `scale` (memory of the fake with many channels),
//! `world` (World start time), `payload` (building messages and requests), `suite`
//! (`cargo test --workspace`; only when asked for), `wns` (the WNS sender against the fake WNS, and
//! the ceiling: the same fake loaded by `wrk`).
//!
//! The program is split one concept per file: the arguments and the dispatch here, the parent
//! (one child process per item, then the table) in `parent`, the figures and their Markdown in
//! `report`, `/proc` readings in `procfs`, the helper processes in `fake` and `bare`, the load
//! generator in `wrk`, what every load sends in `load`, and one file per item.

mod bare;
mod fake;
mod fanout;
mod load;
mod overhead;
mod parent;
mod payload;
mod pg;
mod procfs;
mod report;
mod scale;
mod sender;
mod serve;
mod suite;
mod wns;
mod world;
mod wrk;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Measures the MPNS sender, the fake MPNS and the harness, and prints a table of figures.
#[derive(Debug, Clone, Parser)]
// `bin_name`: the usage line and clap's error messages name the command as it is run.
#[command(name = "bench", bin_name = "cargo run --release -p mpns-bench --")]
pub(crate) struct Args {
    /// What to measure; `all` (the default) is every item but `suite`.
    #[arg(value_enum)]
    pub(crate) items: Vec<Item>,

    /// Toasts the sender sends in the throughput run.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) n: usize,

    /// Requests in flight (the sender's concurrency, wrk's connection count).
    #[arg(long, default_value_t = 16)]
    pub(crate) concurrency: usize,

    /// Registrations in the store for the fan-out runs.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) registrations: usize,

    /// Channels the fake holds in the scale run.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) channels: usize,

    /// World starts timed in the `world` run.
    #[arg(long, default_value_t = 200)]
    pub(crate) starts: usize,

    /// Seconds of each wrk run.
    #[arg(long, default_value_t = 5)]
    pub(crate) duration: u64,

    /// wrk threads (the machine's cores are shared with the server under test).
    #[arg(long, default_value_t = 1)]
    pub(crate) wrk_threads: usize,

    /// The scale run stops creating channels once the fake's resident memory passes this.
    #[arg(long, default_value_t = 4096)]
    pub(crate) rss_guard_mb: u64,

    /// Also write the table as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) markdown: Option<PathBuf>,

    /// Internal: what this process is (the parent, one item, the fake, the bare server).
    #[arg(long, value_enum, default_value = "parent", hide = true)]
    pub(crate) role: Role,

    /// Internal (role fake): print every channel URI after the ready line.
    #[arg(long, hide = true)]
    pub(crate) print_uris: bool,

    /// The PostgreSQL server of `serve-pg` and `serve-pg3` (a role that may create
    /// databases; a fresh one is made and dropped). Defaults to MPNS_TEST_DATABASE_URL.
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum Item {
    All,
    Sender,
    Overhead,
    Fanout,
    Serve,
    ServePg,
    ServePg3,
    Faults,
    Scale,
    World,
    Payload,
    Wns,
    Suite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Role {
    Parent,
    Item,
    Fake,
    Bare,
    FakeWns,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async move {
        match args.role {
            Role::Parent => parent::parent(args).await,
            // On a worker of the runtime, as a back end's sends run: `block_on`'s thread is not
            // one, and every I/O wake-up would cross from a worker to it.
            Role::Item => tokio::spawn(item(args)).await.unwrap_or_else(|e| {
                eprintln!("bench: the item panicked: {e}");
                ExitCode::FAILURE
            }),
            Role::Fake => fake::fake_child(args).await,
            Role::Bare => bare::bare_child().await,
            Role::FakeWns => wns::fake_wns_child().await,
        }
    })
}

pub(crate) fn item_name(item: Item) -> &'static str {
    match item {
        Item::All => "all",
        Item::Sender => "sender",
        Item::Overhead => "overhead",
        Item::Fanout => "fanout",
        Item::Serve => "serve",
        Item::ServePg => "serve-pg",
        Item::ServePg3 => "serve-pg3",
        Item::Faults => "faults",
        Item::Scale => "scale",
        Item::World => "world",
        Item::Payload => "payload",
        Item::Wns => "wns",
        Item::Suite => "suite",
    }
}

async fn item(args: Args) -> ExitCode {
    let item = args.items.first().copied().unwrap_or(Item::All);
    let result = match item {
        Item::Sender => sender::sender(&args).await,
        Item::Overhead => overhead::overhead(&args).await,
        Item::Fanout => fanout::fanout(&args, false).await,
        Item::Serve => serve::serve(&args, 1, false).await,
        Item::ServePg => serve::serve(&args, 1, true).await,
        Item::ServePg3 => serve::serve(&args, 3, true).await,
        Item::Faults => fanout::fanout(&args, true).await,
        Item::Scale => scale::scale(&args).await,
        Item::World => world::world(&args).await,
        Item::Payload => payload::payload(),
        Item::Wns => wns::wns(&args).await,
        Item::Suite => suite::suite().await,
        Item::All => Err("the item process runs one item".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench {}: {e}", item_name(item));
            ExitCode::FAILURE
        }
    }
}

pub(crate) type Res<T> = Result<T, String>;
