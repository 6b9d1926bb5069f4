//! The sandbox: the whole world in one process, for trying the push patterns by hand.
//!
//! [`Sandbox::start`] boots, on loopback:
//!
//! - the fake MPNS ([`mpns_harness::FakeMpns`]) on an ephemeral port;
//! - the registration service with the patterns ([`crate::registration::router_with`] and
//!   [`crate::patterns::router`]) and
//!   its SQLite file under [`SandboxConfig::data_dir`], so a second start finds the data of the
//!   first (its unfinished sends resume; registrations on the first start's fake MPNS, whose
//!   port is gone, are dropped);
//! - three emulated phones running the Push Patterns app, each in another situation
//!   ([`Situation`]), registered with the service under fixed user names (`ann`, `bob`, `cat`);
//! - a fake WNS (the World's, https with its test CA) and a fourth device, a Windows 11 PC
//!   ([`WINDOWS_PC`], user `dan`), whose app's WNS channel is registered with the service over
//!   HTTP with platform `wns`; the patterns send to it with the app's WNS credentials, so One
//!   Time reaches it (a toast, the count as a badge, the raw to its background task);
//! - the web console, on the same port as the service: `/` is the console, `/api/...` the
//!   service, `/console/api/...` the console's own JSON and its server-sent events.
//!
//! # The clock
//!
//! Everything runs on one clock: the harness's virtual clock, which a ticker moves forward
//! every 100 ms by the real time that passed, so the sandbox follows real time; "advance the
//! clock" in the console jumps it ahead (a retry MPNS asked for in an hour happens at once),
//! and from then on the sandbox runs that much ahead of real time. Log times are the wall-clock
//! time at start plus the clock's time. The clock restarts at the wall-clock time with each
//! start.
//!
//! # Routes of the console
//!
//! | Method and path | Body | Answer |
//! |---|---|---|
//! | `GET /` | | the console (HTML; its CSS and JS under `/console/`) |
//! | `GET /console/api/state` | | `{"now", "advanced_seconds", "fake", "service", "phones": [...], "windows": [...], "faults": [...], "tile_requests": [...]}` (`windows`: the Windows PC's name, user, channel, badge, notification center, raws received, last events and SVG screen) |
//! | `GET /console/api/events` | | server-sent events: `phones`, `log`, `subscribers`, `clock` (what changed) |
//! | `POST /console/api/phones/{phone}/connection` | `{"connection": "Connected"\|"TempDisconnected"\|"Disconnected"\|"Inactive"}` | 200 the phone |
//! | `POST /console/api/phones/{phone}/power` | `{"level": "Normal"\|"Low"\|"CriticalLow"}` | 200 the phone |
//! | `POST /console/api/phones/{phone}/app` | `{"state": "foreground"\|"background"\|"closed"}` | 200 the phone |
//! | `POST /console/api/phones/{phone}/pin` / `.../unpin` | | 200 the phone |
//! | `POST /console/api/phones/{phone}/expire` | | 200: the fake answers 404 Expired for its channel from now on |
//! | `POST /console/api/phones/{phone}/unknown-error` | | 200 the phone: its app's channel raises `ErrorOccurred` with `ChannelErrorType.Unknown` and stays open (docs/mpns-protocol.md §6.2); 422 when the app has no channel |
//! | `POST /console/api/phones/{phone}/register` | | 200: the app opens a channel if it has none and registers again |
//! | `POST /console/api/phones/{phone}/dismiss-prompt` | `{"show_again": bool}` | 200 the phone: OK pressed on the app's AskToPin popup; 422 when none is shown |
//! | `POST /console/api/phones/{phone}/test-now` | `{"number": N}` (0..=9, the app's number images) | 200: the app's "Test Now" (Tile Schedule): the service sends a tile with number image N |
//! | `POST /console/api/faults` | `{"count": N}` (1..=1000) | 200: the next N sends get 503 |
//! | `DELETE /console/api/faults` | | 204 |
//! | `POST /console/api/clock/advance` | `{"seconds": N}` (1..=86400×7) | 200 `{"now", "advanced_seconds"}` |
//!
//! The console's page and static files are open. Its `/console/api/...` routes are the
//! operator's, like the service's operator routes: with an operator token they need
//! `Authorization: Bearer <token>` (the page asks for it once and keeps it for the tab), and
//! the calls that change state need `Content-Type: application/json` or `X-Mpns-Operator: 1`
//! (see [`crate::registration`]'s security notes). The sandbox listens on 127.0.0.1 unless
//! [`SandboxConfig::ip`] says otherwise.
//!
//! Every refusal is JSON `{"error": {"code", "field", "message"}}`, also a body that is not
//! JSON, not well-formed or missing a field (`not_json`, `malformed_json`, `wrong_fields`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), mpns_service::sandbox::SandboxError> {
//! use mpns_service::sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig {
//!     data_dir: "data".into(),
//!     port: 0,
//!     ..SandboxConfig::default()
//! })
//! .await?;
//! println!("open {}", sandbox.console_url());
//! // ... later:
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod clock;
mod console;
mod push_app;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use mpns_harness::{App, Phone, PushPatterns, WindowsPc, World};
use tokio::sync::{broadcast, watch};

use crate::patterns::{Patterns, PatternsConfig};
use crate::registration::{
    router_with, serve_with, AllowedHosts, Platform, RunningService, ServiceConfig, Store,
};
use clock::SandboxClock;
use mpns::Client;

/// The SQLite file's name inside the data folder.
pub const DB_FILE: &str = "mpns-sandbox.sqlite3";

/// Where a phone's app is when the sandbox starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Situation {
    /// The primary tile is pinned and the app runs in the background: tiles and toasts show.
    PinnedInBackground,
    /// Nothing pinned and the app closed: tiles are Suppressed, toasts show.
    NotPinned,
    /// The tile is pinned and the app is on screen: raw messages reach its inbox.
    Foreground,
}

impl Situation {
    /// A short description for people.
    pub fn describe(self) -> &'static str {
        match self {
            Situation::PinnedInBackground => "pinned, app in background",
            Situation::NotPinned => "not pinned, app closed",
            Situation::Foreground => "pinned, app in foreground",
        }
    }
}

/// The three phones: (phone name, user name, OS, situation).
pub const PHONES: [(&str, &str, &str, Situation); 3] = [
    ("ann-lumia-920", "ann", "8.0", Situation::PinnedInBackground),
    ("bob-lumia-800", "bob", "7.1", Situation::NotPinned),
    ("cat-lumia-610", "cat", "7.8", Situation::Foreground),
];

/// The Windows PC: (device name, user name). Its app is [`WINDOWS_APP`].
pub const WINDOWS_PC: (&str, &str) = ("dan-pc", "dan");

/// The Push Patterns app's name on the fake WNS, installed on [`WINDOWS_PC`].
pub const WINDOWS_APP: &str = "pushpatterns";

/// How to start the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The folder of the SQLite file (created if missing).
    pub data_dir: PathBuf,
    /// The console's (and service's) port; 0 picks a free one.
    pub port: u16,
    /// The console's (and service's) address: 127.0.0.1 by default. Any other than a loopback
    /// address needs [`ServiceConfig::operator_token`] in [`service`](SandboxConfig::service),
    /// or its `open_operator_routes`.
    pub ip: IpAddr,
    /// The service's settings that the sandbox does not decide itself: limits, the operator
    /// token, public names, the phones' rate limit (its hosts, base URL and clock are the
    /// sandbox's).
    pub service: ServiceConfig,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            data_dir: PathBuf::from("data"),
            port: 8000,
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            service: ServiceConfig::default(),
        }
    }
}

/// Why the sandbox did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The data folder or the database could not be opened.
    #[error("data folder {path}: {message}")]
    Data {
        /// The folder or file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The address could not be bound, or may not be served as configured (a non-loopback
    /// address without an operator token).
    #[error("cannot listen on {addr}: {source}{hint}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What to do about it, for people.
        hint: &'static str,
        /// The bind error.
        source: std::io::Error,
    },
    /// A phone could not start or register.
    #[error("phone {phone}: {message}")]
    Phone {
        /// The phone's name.
        phone: String,
        /// What failed.
        message: String,
    },
}

/// One phone of the sandbox and its app.
#[derive(Clone)]
pub(crate) struct Slot {
    pub(crate) phone: Phone,
    pub(crate) app: App,
    /// The Push Patterns app running on `app`.
    pub(crate) push_app: PushPatterns,
    pub(crate) user: String,
    pub(crate) situation: Situation,
}

/// The Windows PC of the sandbox.
#[derive(Clone)]
pub(crate) struct WindowsSlot {
    pub(crate) pc: WindowsPc,
    pub(crate) user: String,
    pub(crate) channel: String,
}

/// What the console's handlers share.
pub(crate) struct Shared {
    pub(crate) world: World,
    pub(crate) clock: SandboxClock,
    pub(crate) patterns: OnceLock<Patterns>,
    pub(crate) slots: OnceLock<Vec<Slot>>,
    pub(crate) windows: OnceLock<WindowsSlot>,
    /// The fake WNS's base URL.
    pub(crate) wns_url: OnceLock<String>,
    pub(crate) service_url: OnceLock<String>,
    /// What changed: `phones`, `log`, `subscribers`, `clock`.
    pub(crate) changes: broadcast::Sender<&'static str>,
    pub(crate) stop: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn changed(&self, what: &'static str) {
        let _ = self.changes.send(what);
    }

    pub(crate) fn slots(&self) -> &[Slot] {
        self.slots.get().map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn service_url(&self) -> &str {
        self.service_url.get().map(String::as_str).unwrap_or("")
    }
}

/// A running sandbox. [`Sandbox::shutdown`] stops it; dropping it stops the servers without
/// waiting.
pub struct Sandbox {
    shared: Arc<Shared>,
    service: RunningService,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("console", &self.console_url())
            .field("fake_mpns", &self.fake_mpns_url())
            .finish_non_exhaustive()
    }
}

/// Removes the registrations whose channel the allowed hosts of now refuse; returns how many.
fn drop_stale_registrations(store: &Store, allowed: &AllowedHosts) -> Result<usize, String> {
    let all = store.subscribers().map_err(|e| e.to_string())?;
    let mut dropped = 0;
    for reg in all {
        let refused = match reg.platform {
            Platform::Mpns => allowed.check(&reg.channel_uri).is_err(),
            Platform::Wns => allowed.check_wns(&reg.channel_uri).is_err(),
        };
        if refused {
            store
                .unregister(&reg.user_name)
                .map_err(|e| e.to_string())?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

impl Sandbox {
    /// Starts everything (see the module doc) and returns once the console is listening and
    /// the three phones are registered.
    ///
    /// # Errors
    /// The data folder cannot be created or opened, the port is taken, or a phone failed to
    /// register.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| SandboxError::Data {
            path: config.data_dir.clone(),
            message: e.to_string(),
        })?;
        let db = config.data_dir.join(DB_FILE);
        let store = Store::open(&db).map_err(|e| SandboxError::Data {
            path: db.clone(),
            message: e.to_string(),
        })?;
        tracing::info!(path = %db.display(), "database opened");

        let world = World::start_with(
            mpns_harness::FakeMpns::builder().clock(mpns_harness::Clock::virtual_clock()),
        )
        .await;
        tracing::info!(uri = %world.fake().uri(), "fake MPNS listening");
        let clock = SandboxClock::new(world.clock().clone());
        let (stop_tx, stop_rx) = watch::channel(false);
        let (changes, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            world,
            clock: clock.clone(),
            patterns: OnceLock::new(),
            slots: OnceLock::new(),
            windows: OnceLock::new(),
            wns_url: OnceLock::new(),
            service_url: OnceLock::new(),
            changes,
            stop: stop_rx.clone(),
        });

        let fake_host = shared.world.fake().addr().to_string();
        let (wns, wns_host) = start_wns(&shared.world).await?;
        if let Ok(fake) = shared.world.fake_wns().await {
            let _ = shared.wns_url.set(fake.url().to_owned());
        }
        let service_config = ServiceConfig {
            allowed_hosts: AllowedHosts::default()
                .with_host(&fake_host)
                .and_then(|hosts| hosts.with_host(&wns_host))
                .map_err(|message| SandboxError::Phone {
                    phone: "fake MPNS".into(),
                    message,
                })?,
            public_base_url: None,
            clock: Arc::new(clock.clone()),
            ..config.service.clone()
        };
        // Each start has a new fake MPNS on a new port: registrations on an earlier start's
        // fake point at a server that is gone (and a host no longer allowed), so they go
        // (issue 14, finding 5). The phones register again below.
        let stale =
            drop_stale_registrations(&store, &service_config.allowed_hosts).map_err(|message| {
                SandboxError::Data {
                    path: db.clone(),
                    message,
                }
            })?;
        if stale > 0 {
            tracing::warn!(
                registrations = stale,
                "registrations on an earlier start's fake MPNS dropped"
            );
        }
        let addr = SocketAddr::new(config.ip, config.port);
        let for_app = shared.clone();
        let service = serve_with(addr, store, service_config, move |state| {
            let patterns = Patterns::start_with_wns(
                state.clone(),
                Client::new(),
                Some(wns),
                PatternsConfig::default(),
            );
            let _ = for_app.patterns.set(patterns.clone());
            router_with(state, crate::patterns::router(patterns)).merge(console::routes(for_app))
        })
        .await
        .map_err(|source| SandboxError::Listen {
            addr,
            hint: if source.kind() == std::io::ErrorKind::InvalidInput {
                ""
            } else {
                " (pick another --port, or 0 for any free port)"
            },
            source,
        })?;
        let service_url = service.base_url();
        let _ = shared.service_url.set(service_url.clone());

        let mut tasks = vec![clock.spawn_ticker(stop_rx.clone())];
        let mut slots = Vec::new();
        for (name, user, os, situation) in PHONES {
            let phone = shared
                .world
                .add_phone(name, os)
                .map_err(|e| SandboxError::Phone {
                    phone: name.into(),
                    message: e.to_string(),
                })?;
            let push_app = push_app::start(&phone, &service_url, user, situation)
                .await
                .map_err(|message| SandboxError::Phone {
                    phone: name.into(),
                    message,
                })?;
            let app = push_app.app().clone();
            tracing::info!(
                phone = name,
                user,
                os,
                situation = situation.describe(),
                "phone started"
            );
            slots.push(Slot {
                phone,
                app,
                push_app,
                user: user.into(),
                situation,
            });
        }
        let _ = shared.slots.set(slots);
        let windows = start_windows_pc(&shared.world, &service_url).await?;
        let _ = shared.windows.set(windows);
        tasks.extend(console::spawn_watchers(&shared));
        Ok(Sandbox {
            shared,
            service,
            stop: stop_tx,
            tasks,
        })
    }

    /// The console's URL (`http://127.0.0.1:PORT/`).
    pub fn console_url(&self) -> String {
        format!("{}/", self.service.base_url())
    }

    /// The registration service's base URL (same port as the console).
    pub fn service_url(&self) -> String {
        self.service.base_url()
    }

    /// The fake MPNS's base URL (its control API is under `/_fake/`).
    pub fn fake_mpns_url(&self) -> String {
        self.shared.world.fake().uri().to_owned()
    }

    /// The phones, in the order of [`PHONES`].
    pub fn phones(&self) -> Vec<Phone> {
        self.shared
            .slots()
            .iter()
            .map(|s| s.phone.clone())
            .collect()
    }

    /// The fake WNS's base URL (its control API is under `/_fake/`).
    pub fn fake_wns_url(&self) -> String {
        self.shared.wns_url.get().cloned().unwrap_or_default()
    }

    /// The Windows PC ([`WINDOWS_PC`]).
    pub fn windows_pc(&self) -> Option<WindowsPc> {
        self.shared.windows.get().map(|w| w.pc.clone())
    }

    /// Stops the ticker, the console's event streams and the servers, and returns when done.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Err(e) = self.service.shutdown().await {
            tracing::warn!(error = %e, "service stopped with an error");
        }
        tracing::info!("sandbox stopped");
    }
}

/// Starts the World's fake WNS and registers the Push Patterns app with it; the WNS client the
/// patterns send with (the app's credentials, the fake's test CA trusted) and the fake's
/// `host:port`.
async fn start_wns(world: &World) -> Result<(wns::Client, String), SandboxError> {
    let fail = |message: String| SandboxError::Phone {
        phone: "fake WNS".into(),
        message,
    };
    let fake = world.fake_wns().await.map_err(|e| fail(e.to_string()))?;
    tracing::info!(url = %fake.url(), "fake WNS listening");
    let app = fake
        .register_app(WINDOWS_APP, mpns_harness::fake_wns::Flow::Store)
        .map_err(|e| fail(e.to_string()))?;
    let host = fake.addr().to_string();
    let ca = fake.ca_pem().unwrap_or_default();
    let client = wns::Client::builder(
        wns::Credentials::store(app.client_id, app.client_secret).with_token_url(app.token_url),
    )
    .allow_host(host.clone())
    .add_root_certificate_pem(ca.as_bytes())
    .build()
    .map_err(|e| fail(e.to_string()))?;
    Ok((client, host))
}

/// Adds the Windows 11 PC, installs the app with a background task (so raw notifications reach
/// it while it is not running), and registers its channel with the service over HTTP, as the
/// app would.
async fn start_windows_pc(world: &World, service_url: &str) -> Result<WindowsSlot, SandboxError> {
    let (name, user) = WINDOWS_PC;
    let fail = |message: String| SandboxError::Phone {
        phone: name.into(),
        message,
    };
    let pc = world
        .add_windows_device(name, mpns_harness::windows::WindowsVersion::Windows11)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let channel = pc
        .open_channel(WINDOWS_APP)
        .map_err(|e| fail(e.to_string()))?
        .uri;
    pc.with(|d, _| d.set_background_task(WINDOWS_APP, true));
    let body = serde_json::json!({
        "user_name": user,
        "channel_uri": channel,
        "os_version": "10.0.22631",
        "platform": "wns",
    });
    post_json(service_url, "/api/registrations", &body.to_string())
        .await
        .map_err(fail)?;
    tracing::info!(device = name, user, "Windows PC registered");
    Ok(WindowsSlot {
        pc,
        user: user.into(),
        channel,
    })
}

/// One JSON POST to the service (plain http on loopback), as a device's app makes it; an
/// answer other than 200 or 201 is an error with its body.
async fn post_json(base: &str, path: &str, body: &str) -> Result<(), String> {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot reach the service at {base}: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .map_err(|e| e.to_string())?;
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status();
    let text = read_body(answer.into_body()).await;
    conn.abort();
    if status == hyper::StatusCode::OK || status == hyper::StatusCode::CREATED {
        Ok(())
    } else {
        Err(format!("registering with the service: {status} {text}"))
    }
}

/// The answer's body as text, at most 64 KiB of it.
async fn read_body(mut body: hyper::body::Incoming) -> String {
    use hyper::body::Body as _;
    let mut bytes = Vec::new();
    while let Some(Ok(frame)) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
            if bytes.len() > 64 * 1024 {
                break;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
