//! `mpns send wns-toast | wns-badge | wns-tile | wns-raw`: one WNS notification from flags, sent
//! with the `wns` crate's client (which gets and caches the OAuth token, and refreshes it once
//! on a 401), the typed outcome printed and the exit code chosen by its action, as `mpns send`
//! does for MPNS. `docs/wns-protocol.md` is the protocol as the project understands it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{answered, fail};
use wns::{
    Action, Badge, ChannelUri, Client, Credentials, Glyph, Notification, Options, Outcome, Raw,
    Tile, TileBinding, TileSize, Toast,
};

/// The environment variable read when `--client-id` is not given.
const ENV_CLIENT_ID: &str = "WNS_CLIENT_ID";
/// The environment variable read when `--client-secret` is not given.
const ENV_CLIENT_SECRET: &str = "WNS_CLIENT_SECRET";

/// Flags every WNS kind takes: the channel, the app's credentials, and how to reach WNS.
#[derive(Debug, Args)]
pub(crate) struct WnsCommon {
    /// The channel URI the Windows app gave you (https on *.notify.windows.com).
    #[arg(long, value_name = "URI")]
    channel: String,
    /// The app's client id: its package SID (Store flow) or its Entra ID application id
    /// (with --tenant). Default: the environment variable WNS_CLIENT_ID.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// The app's client secret. Default: the environment variable WNS_CLIENT_SECRET, which is
    /// safer (a flag shows in the process list). Never printed.
    #[arg(long, value_name = "SECRET")]
    client_secret: Option<String>,
    /// Use the Entra ID flow with this directory (tenant) id or domain, instead of the Store flow.
    #[arg(long, value_name = "TENANT")]
    tenant: Option<String>,
    /// Get tokens here instead of the flow's Microsoft endpoint (for a fake WNS, whose app
    /// credentials carry their token URL).
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// Also send to channels on this host:port (a fake WNS); real channels are always https on
    /// *.notify.windows.com.
    #[arg(long, value_name = "HOST:PORT")]
    allow_host: Option<String>,
    /// Trust this CA (PEM) for https, besides the system roots: a fake WNS's test CA
    /// (fake-wns --https --ca-out FILE).
    #[arg(long, value_name = "FILE")]
    root_ca: Option<PathBuf>,
    /// X-WNS-Tag: a toast with the same tag (and group) replaces the older one.
    #[arg(long)]
    tag: Option<String>,
    /// X-WNS-TTL: seconds WNS and the device keep it before dropping it.
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<u64>,
    /// Give up when the whole request takes longer than this many seconds (1 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

/// What `wns-badge` shows.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum GlyphArg {
    /// Clears the badge.
    None,
    /// activity
    Activity,
    /// alarm
    Alarm,
    /// alert
    Alert,
    /// attention
    Attention,
    /// available
    Available,
    /// away
    Away,
    /// busy
    Busy,
    /// error
    Error,
    /// newMessage
    NewMessage,
    /// paused
    Paused,
    /// playing
    Playing,
    /// unavailable
    Unavailable,
}

impl From<GlyphArg> for Glyph {
    fn from(g: GlyphArg) -> Glyph {
        match g {
            GlyphArg::None => Glyph::None,
            GlyphArg::Activity => Glyph::Activity,
            GlyphArg::Alarm => Glyph::Alarm,
            GlyphArg::Alert => Glyph::Alert,
            GlyphArg::Attention => Glyph::Attention,
            GlyphArg::Available => Glyph::Available,
            GlyphArg::Away => Glyph::Away,
            GlyphArg::Busy => Glyph::Busy,
            GlyphArg::Error => Glyph::Error,
            GlyphArg::NewMessage => Glyph::NewMessage,
            GlyphArg::Paused => Glyph::Paused,
            GlyphArg::Playing => Glyph::Playing,
            GlyphArg::Unavailable => Glyph::Unavailable,
        }
    }
}

/// The size of a `wns-tile`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SizeArg {
    /// TileSmall.
    Small,
    /// TileMedium.
    Medium,
    /// TileWide.
    Wide,
    /// TileLarge (desktop only).
    Large,
}

impl From<SizeArg> for TileSize {
    fn from(s: SizeArg) -> TileSize {
        match s {
            SizeArg::Small => TileSize::Small,
            SizeArg::Medium => TileSize::Medium,
            SizeArg::Wide => TileSize::Wide,
            SizeArg::Large => TileSize::Large,
        }
    }
}

/// One WNS notification, built from its subcommand's flags.
#[derive(Debug)]
pub(crate) enum WnsKind {
    /// A ToastGeneric toast: its lines of text and the launch arguments.
    Toast {
        text: Vec<String>,
        launch: Option<String>,
    },
    /// A number (0 clears, above 99 shows 99+) or a glyph.
    Badge {
        number: Option<u32>,
        glyph: Option<GlyphArg>,
    },
    /// An adaptive tile (Windows 10) with lines of text, in one size.
    Tile { text: Vec<String>, size: SizeArg },
    /// A raw body.
    Raw { data: Vec<u8> },
}

/// Runs one WNS send.
pub(crate) async fn run(common: WnsCommon, kind: WnsKind) -> ExitCode {
    let notification = match build(&common, kind) {
        Ok(n) => n,
        Err(e) => return fail(2, &e),
    };
    let channel: ChannelUri = match common.channel.parse() {
        Ok(c) => c,
        Err(e) => return fail(2, &format!("--channel: {e}")),
    };
    let client = match client(&common) {
        Ok(c) => c,
        Err(e) => return fail(2, &e),
    };
    answered(
        client.send(&channel, &notification).await,
        (common.json, "WNS"),
        print_outcome,
        |o| exit_code(&o.action()),
    )
}

/// The exit codes of `mpns send`, by the WNS action closest to the MPNS one.
fn exit_code(action: &Action) -> u8 {
    match action {
        Action::Done => 0,
        Action::BackOff { .. } => 3,
        Action::Log => 4,
        Action::ForgetChannel => 5,
        Action::FixRequest | Action::Shrink => 6,
        Action::RefreshToken | Action::FixAppIdentity => 7,
        _ => 8,
    }
}

fn action_words(action: &Action) -> &'static str {
    match action {
        Action::Done => "done",
        Action::Log => "log (WNS dropped it)",
        Action::BackOff { .. } => "back off",
        Action::RefreshToken => "refresh the token (the new one was refused too)",
        Action::FixAppIdentity => "fix the app identity (the token is not for this channel's app)",
        Action::ForgetChannel => "forget the channel",
        Action::Shrink => "shrink the payload",
        Action::FixRequest => "fix the request",
        _ => "report",
    }
}

fn credentials(common: &WnsCommon) -> Result<Credentials, String> {
    let from_env = |flag: &str, var: &str| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("give --{flag} or set {var}"))
    };
    let id = match &common.client_id {
        Some(id) => id.clone(),
        None => from_env("client-id", ENV_CLIENT_ID)?,
    };
    let secret = match &common.client_secret {
        Some(s) => s.clone(),
        None => from_env("client-secret", ENV_CLIENT_SECRET)?,
    };
    let credentials = match &common.tenant {
        Some(tenant) => {
            Credentials::entra(tenant, id, secret).map_err(|e| format!("--tenant: {e}"))?
        }
        None => Credentials::store(id, secret),
    };
    Ok(match &common.token_url {
        Some(url) => credentials.with_token_url(url.clone()),
        None => credentials,
    })
}

fn client(common: &WnsCommon) -> Result<Client, String> {
    let mut builder =
        Client::builder(credentials(common)?).timeout(Duration::from_secs(common.timeout));
    if let Some(host) = &common.allow_host {
        builder = builder.allow_host(host.clone());
    }
    if let Some(ca) = &common.root_ca {
        builder = builder.add_root_certificate_pem(&super::read(ca, "--root-ca")?);
    }
    builder.build().map_err(|e| e.to_string())
}

fn build(common: &WnsCommon, kind: WnsKind) -> Result<Notification, String> {
    let err = |e: wns::BuildError| e.to_string();
    let built = match kind {
        WnsKind::Toast { text, launch } => {
            let mut t = Toast::new();
            for line in text {
                t = t.text(line);
            }
            if let Some(l) = launch {
                t = t.launch(l);
            }
            t.build()
        }
        WnsKind::Badge { number, glyph } => match (number, glyph) {
            (Some(n), None) => Badge::number(n).build(),
            (None, Some(g)) => Badge::glyph(g.into()).build(),
            _ => return Err("give --number or --glyph".into()),
        },
        WnsKind::Tile { text, size } => {
            let mut b = TileBinding::new(size.into());
            for line in text {
                b = b.text(line);
            }
            Tile::new().binding(b).build()
        }
        WnsKind::Raw { data } => Raw::new(data).build(),
    }
    .map_err(err)?;
    let mut options = Options::new();
    let mut any = false;
    if let Some(tag) = &common.tag {
        options = options.tag(tag.clone());
        any = true;
    }
    if let Some(ttl) = common.ttl {
        options = options.ttl(Duration::from_secs(ttl));
        any = true;
    }
    if any {
        built.with_options(options).map_err(err)
    } else {
        Ok(built)
    }
}

fn print_outcome(outcome: &Outcome, json: bool) {
    let action = outcome.action();
    let status = outcome
        .notification_status()
        .map(|s| format!("{s:?}").to_ascii_lowercase());
    let device = outcome
        .device
        .as_ref()
        .map(|d| format!("{d:?}").to_ascii_lowercase());
    let retry_after = match action {
        Action::BackOff { retry_after } => retry_after.map(|d| d.as_secs()),
        _ => None,
    };
    if json {
        let value = serde_json::json!({
            "status": outcome.status,
            "notification": status,
            "device": device,
            "message_id": outcome.message_id,
            "error_description": outcome.error_description,
            "action": action_words(&action),
            "retry_after_s": retry_after,
        });
        println!("{value}");
        return;
    }
    let text = |v: Option<&str>| v.unwrap_or("-").to_owned();
    println!(
        "{} notification={} device={} message-id={}",
        outcome.status,
        text(status.as_deref()),
        text(device.as_deref()),
        text(outcome.message_id.as_deref()),
    );
    if let Some(d) = &outcome.error_description {
        println!("error: {d}");
    }
    match retry_after {
        Some(s) => println!("action: {} (not before {s} s)", action_words(&action)),
        None => println!("action: {}", action_words(&action)),
    }
}
