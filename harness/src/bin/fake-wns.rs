//! `fake-wns`: the fake WNS as a standalone process, for testing any WNS sender in any language.
//! `fake-wns --help` lists every flag; the first line on stdout is
//! `fake-wns listening on URL`. Set it up through the JSON control API under `URL/_fake/`
//! (apps, devices, channels, settings, faults, records).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use mpns_harness::cli::{parse_drain_deadline, Signals};
use mpns_harness::fake_wns::{HeaderProfile, Settings, ThrottleAnswer};
use mpns_harness::{Clock, FakeWns};

/// A fake WNS (Windows Push Notification Services) on this machine: token endpoints for the
/// Store and Entra ID flows, channels, every answer of WNS's table, emulated Windows devices.
#[derive(Parser, Debug)]
#[command(name = "fake-wns", version)]
struct Args {
    /// Address to listen on. Example: --listen 0.0.0.0:8090
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Serve https with a certificate from a test CA made at start (see --ca-out).
    #[arg(long)]
    https: bool,
    /// With --https: write the test CA's certificate (PEM) here, for the sender to trust.
    #[arg(long, value_name = "FILE", requires = "https")]
    ca_out: Option<PathBuf>,
    // (The help is an attribute: rustdoc would take the example URL for a bare link.)
    #[arg(
        long,
        value_name = "URL",
        help = "Scheme, host and port written into channel URIs and token URLs, when others reach the fake by another name. Example: --public-url https://wns.test:8443"
    )]
    public_url: Option<String>,
    /// Run on a virtual clock that only POST /_fake/clock/advance moves (default: real time).
    #[arg(long)]
    virtual_clock: bool,
    /// Seed of the generator of ids, secrets and tokens, for repeatable runs.
    #[arg(long)]
    seed: Option<u64>,
    /// Lifetime of the tokens issued, in seconds (1..=31536000).
    #[arg(long, default_value = "86400", value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    token_lifetime: u64,
    /// Which status headers answers carry.
    #[arg(long, value_enum, default_value = "both")]
    header_profile: Profile,
    /// How an app over its limit is answered.
    #[arg(long, value_enum, default_value = "406")]
    throttle_answer: Throttle,
    /// After SIGINT or SIGTERM, how long open requests may take (seconds); a second signal exits at once.
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = parse_drain_deadline)]
    drain_deadline: Duration,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Profile {
    /// X-WNS-Status and X-WNS-NotificationStatus.
    Both,
    /// Only X-WNS-Status.
    Documented,
    /// Only X-WNS-NotificationStatus.
    Legacy,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Throttle {
    /// 406, as documented.
    #[value(name = "406")]
    Documented,
    /// 429, as observed.
    #[value(name = "429")]
    Observed,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let settings = Settings {
        token_lifetime_secs: args.token_lifetime,
        header_profile: match args.header_profile {
            Profile::Both => HeaderProfile::Both,
            Profile::Documented => HeaderProfile::Documented,
            Profile::Legacy => HeaderProfile::Legacy,
        },
        throttle_answer: match args.throttle_answer {
            Throttle::Documented => ThrottleAnswer::Documented406,
            Throttle::Observed => ThrottleAnswer::Observed429,
        },
        ..Settings::default()
    };
    let mut builder = FakeWns::builder()
        .listen(args.listen)
        .settings(settings)
        .clock(if args.virtual_clock {
            Clock::virtual_clock()
        } else {
            Clock::real()
        });
    if args.https {
        builder = builder.https();
    }
    if let Some(url) = &args.public_url {
        builder = builder.public_url(url);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-wns: cannot install signal handlers: {e}");
            return ExitCode::from(2);
        }
    };
    let fake = match builder.start().await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let (Some(path), Some(pem)) = (&args.ca_out, fake.ca_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!(
                "fake-wns: cannot write the test CA to {}: {e}",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "fake-wns listening on {}", fake.url());
        let _ = out.flush();
    }
    signals.wait().await;
    signals
        .drain("fake-wns", fake.shutdown(), args.drain_deadline)
        .await
}
