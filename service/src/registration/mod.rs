//! The registration service phones talk to: the recipe's WCF `PushService` and `ImageService`
//! as one JSON-over-HTTP API (axum), backed by SQLite so that a restart loses nothing.
//!
//! The recipe kept subscribers in a map that two different locks guarded, never pruned expired
//! channels, accepted any URI as a channel and joined the image parameter into a file path.
//! Here a channel URI is accepted only on an allowed push host (it is where the service will
//! send requests), bodies are size-limited, user names are checked, images are drawn from
//! parameters instead of read from files, and every send is logged with its outcome.
//!
//! # Routes
//!
//! | Method and path | Body / query | Answer |
//! |---|---|---|
//! | `POST /api/registrations` | `{"user_name", "channel_uri", "os_version", "platform"?}` (`platform`: `mpns`, the default, or `wns`) | 201 new or 200 replaced: `{"registration", "replaced"}` |
//! | `DELETE /api/registrations/{user}` | | 204, or 404 if not registered |
//! | `GET /api/server-info?user=` | `user` optional | `{"push_pattern", "pattern", "counter"}`: the active pattern and the user's counter for it (0 without a user) |
//! | `GET /api/subscribers?after=<user_name>&limit=<1..=1000, default 100>` | | `{"count", "subscribers": [registration…], "next"}` by user name; `count` is the total, `next` the `after` of the next page or null |
//! | `GET /api/status-log?after=&limit=` | `after` = last id seen (0), `limit` 1..=1000 (100) | `{"entries": [...]}` oldest first |
//! | `POST /api/tile-update` | `{"user_name", "number"}` | 202 `{"request", "image_uri"}`: "Test Now" of Tile Schedule, recorded (whatever the active pattern) and announced as [`ServiceEvent::TileUpdateRequested`]; the user must be registered |
//! | `GET /images/custom.png?text=&size=&color=&background=` | | the Custom Tile image (PNG) |
//! | `GET /images/numbers/{n}.png` | `n` in `0..=99` | a Tile Schedule number image (PNG) |
//! | `GET /ImageService/GetTileImage?parameter=numberN.png` | also `?uri=` | the recipe's URL, both query keys (its mismatch fixed) |
//!
//! [`router_with`] adds another layer's routes, such as the operator's routes of
//! [`crate::patterns`] (`/api/patterns`, `/api/patterns/active`, `/api/patterns/{pattern}/send`).
//! With them comes the API's OpenAPI 3.1 document at [`OPENAPI_PATH`] (`/api/openapi.json`,
//! open), versioned [`API_VERSION`] and kept as `docs/openapi/registration-service.json`.
//!
//! Errors are `{"error": {"code", "field", "message"}}`: 422 for a field that breaks a rule
//! (the message names field, rule and limit) or a JSON array where an object is expected, 400
//! for unreadable JSON or query, 413 for a body over the limit (16 KiB by default), 415 without
//! `Content-Type: application/json`, 404 for
//! unknown users, routes and images, 405 for a route that does not take the method. Anything that is not exactly an image of the set — `../`,
//! `%2e%2e`, absolute paths, `100`, `007`, huge numbers, unknown backgrounds — is a 404.
//!
//! # Served as it ships
//!
//! [`serve`] and [`serve_with`] run their own accept loop (hyper's HTTP/1 with a timer) rather
//! than `axum::serve`, which has no timeouts, and put a guard before every route:
//!
//! - header-read, body and idle deadlines and a connection cap ([`ServerLimits`]; a connection
//!   over the cap is closed at once, a body too slow gets `408`);
//! - `413` from a `Content-Length` over the body limit, before any `100 Continue`;
//! - `Host` and `Origin` must name this listener (its address, `localhost`, the public base
//!   URL's host, [`ServiceConfig::public_names`]), else `421` or `403`: DNS rebinding;
//! - the phones' routes (register, unregister, server info, tile update, images) are open and
//!   rate-limited per client IP ([`RateLimit`], `429` with `Retry-After`);
//! - every other route is the operator's: with [`ServiceConfig::operator_token`] it needs
//!   `Authorization: Bearer <token>` (`401`), and a call that changes state needs
//!   `Content-Type: application/json` or [`OPERATOR_HEADER`] (`403`), which a page of another
//!   site cannot send without a CORS preflight. Beyond loopback [`serve`] refuses to start
//!   without a token unless [`ServiceConfig::open_operator_routes`].
//!
//! A JSON array where an object is expected is `422` (serde would take it as the fields in
//! order). The [`router`] alone (for `oneshot` tests) has the routes' own checks but not the
//! guard.
//!
//! # Rules for untrusted input
//!
//! - **WNS channel URIs** (`"platform": "wns"`, [`AllowedHosts::check_wns`]): `https` only, a
//!   subdomain of `notify.windows.com` on port 443 wherever `*.notify.live.net` is allowed, or
//!   exactly a configured host (a fake WNS); the path `/` and the query `token=<token>`. The
//!   `os_version` of a WNS registration is a Windows 10 or 11 version (`10`, `11`,
//!   `10.0.22631.4460`).
//! - **Channel URIs** ([`AllowedHosts`]): `http` or `https`, no user information (`@`), no
//!   backslash or percent-escape in the host, host a subdomain of `notify.live.net` on the
//!   scheme's default port, or exactly one of the hosts the operator configured. IP literals in
//!   any form (`10.0.0.1`, `127.1`, `2130706433`, `[::1]`) are refused unless configured. The
//!   check is on the name: a `*.notify.live.net` name that resolves to a private address is
//!   not caught here. A live host is at most 253 characters, each label at most 63. The path
//!   must be a channel path, with no query or fragment: `/throttledthirdparty/01.00/<token>` or
//!   `/unthrottledthirdparty/01.00/<token>` on every allowed host, and also
//!   `/u/1/<dc>/<token>/...` on `*.notify.live.net` (an allowed host does not open all its
//!   paths: a fake MPNS's `/_fake/reset` is refused). At most 2048 bytes.
//! - **User names**: 1..=64 characters after normalisation to NFC, no control or invisible
//!   formatting characters (which make two names look alike), no leading or trailing
//!   whitespace; compared exactly once normalised.
//! - **OS versions**: `7.0`, `7.1`/`7.5`, `7.8`, `8.0`, `8.1` or a full `Environment.OSVersion`
//!   string such as `8.0.10492.0`; kept as sent, read with [`Registration::os`].
//!
//! # Example
//!
//! ```
//! use mpns_service::registration::{router, ServiceConfig, ServiceState, Store};
//! use tower::ServiceExt;
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let state = ServiceState::new(Store::in_memory().unwrap(), ServiceConfig::default());
//! let response = router(state)
//!     .oneshot(
//!         axum::http::Request::post("/api/registrations")
//!             .header("content-type", "application/json")
//!             .body(axum::body::Body::from(
//!                 r#"{"user_name":"ann","channel_uri":"http://db3.notify.live.net/throttledthirdparty/01.00/AAF","os_version":"7.1"}"#,
//!             ))
//!             .unwrap(),
//!     )
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), 201);
//! # }
//! ```

mod api;
mod error;
mod field;
mod guard;
mod images;
mod listener;
mod openapi;
// Used by the sandbox console's routes only, so far.
#[cfg(feature = "sandbox")]
mod json_body;
mod store;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use mpns::{Clock, TokioClock};

pub(crate) use api::json_body;
#[cfg(test)]
pub(crate) use api::table as service_table;
pub use error::ServiceError;
pub(crate) use error::{error_response, ErrorBody};
pub use field::FieldError;
pub(crate) use guard::is_json;
pub use guard::{RateLimit, OPERATOR_HEADER};
pub(crate) use images::CustomImage;
pub use images::{MAX_NUMBER, TILE_SIZE};
#[cfg(feature = "sandbox")]
pub(crate) use json_body::JsonBody;
pub use listener::{
    ServerLimits, DEFAULT_BODY_TIMEOUT, DEFAULT_DRAIN_DEADLINE, DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
};
pub(crate) use openapi::openapi_with;
pub use store::redact_database_url;
pub(crate) use store::{
    message_id, BatchSpec, Changes, ClaimedJob, Finish, JobData, NewBatch, NewJob, PlanRules,
    Targets,
};
pub use store::{BatchProgress, JobState};
pub use store::{
    Platform, Recorded, Registration, StatusEntry, Store, StoreError, TileRequest, DEFAULT_DB_FILE,
    MAX_COUNTER, SCHEMA_VERSION,
};
pub(crate) use validate::parse_os_version;
pub use validate::{AllowedHosts, MAX_CHANNEL_URI_BYTES, MAX_USER_NAME_CHARS};

/// The version of the service's HTTP API (its paths, methods and JSON shapes): the OpenAPI
/// document's `info.version`, not the crate's. Within a major version fields and routes may be
/// added; none is removed or changes meaning (the README's "What is stable").
pub const API_VERSION: &str = "1.0.0";

/// Where the API's OpenAPI 3.1 document is served, by the operator's routes
/// ([`crate::patterns::router`]); open, like the console's static files (it holds no data).
pub const OPENAPI_PATH: &str = "/api/openapi.json";

/// The default request body limit: 16 KiB, far above any real registration.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024;

/// The five push patterns of the recipe; one is active at a time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PatternKind {
    /// "One Time": tile, toast and raw to everyone.
    OneTime,
    /// "Counter": a per-user unread counter on the tile, reset when the user logs on.
    Counter,
    /// "Ask to Pin": asks users whose tile is not pinned to pin it.
    AskToPin,
    /// "Custom Tile": the tile's image is drawn by this service.
    CustomTile,
    /// "Tile Schedule": the phone fetches number images on a schedule.
    TileSchedule,
}

impl PatternKind {
    /// All patterns, in the recipe's tab order.
    pub const ALL: [PatternKind; 5] = [
        PatternKind::OneTime,
        PatternKind::Counter,
        PatternKind::AskToPin,
        PatternKind::CustomTile,
        PatternKind::TileSchedule,
    ];

    /// The name phones show ("Ask to Pin"); the app compares it to pick its panels.
    pub fn display_name(self) -> &'static str {
        match self {
            PatternKind::OneTime => "One Time",
            PatternKind::Counter => "Counter",
            PatternKind::AskToPin => "Ask to Pin",
            PatternKind::CustomTile => "Custom Tile",
            PatternKind::TileSchedule => "Tile Schedule",
        }
    }

    /// The stable id stored and used in JSON (`ask-to-pin`).
    pub fn id(self) -> &'static str {
        match self {
            PatternKind::OneTime => "one-time",
            PatternKind::Counter => "counter",
            PatternKind::AskToPin => "ask-to-pin",
            PatternKind::CustomTile => "custom-tile",
            PatternKind::TileSchedule => "tile-schedule",
        }
    }

    /// The pattern with this [`id`](PatternKind::id).
    pub fn from_id(id: &str) -> Option<PatternKind> {
        PatternKind::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// Something phones did that the patterns react to (the recipe's `Subscribed` and
/// `TileUpdateRequest` events).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceEvent {
    /// A phone registered (new or replacing); stored before the event is sent.
    Registered(Registration),
    /// A phone asked for "Test Now"; recorded before the event is sent.
    TileUpdateRequested(TileRequest),
}

/// How the service is set up.
#[derive(Clone)]
pub struct ServiceConfig {
    /// Which hosts channel URIs may point at.
    pub allowed_hosts: AllowedHosts,
    /// The URL phones and MPNS reach this service at, for image URIs in tiles
    /// (`http://127.0.0.1:8000`, no trailing slash). [`serve`] fills it in from the bound
    /// address when it is `None`; elsewhere `None` means `http://localhost:8000`, the recipe's.
    pub public_base_url: Option<String>,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Where time comes from (registration times, log times).
    pub clock: Arc<dyn Clock>,
    /// Timeouts and the connection cap of the listener [`serve`] opens.
    pub limits: ServerLimits,
    /// The operator's token: with one, the operator's routes need `Authorization: Bearer
    /// <token>`. [`serve`] refuses to listen beyond loopback without one unless
    /// [`open_operator_routes`](ServiceConfig::open_operator_routes) is set.
    pub operator_token: Option<String>,
    /// Serve the operator's routes without a token on a non-loopback address (the command
    /// line's `--insecure-no-operator-auth`).
    pub open_operator_routes: bool,
    /// Host names (and addresses) the listener answers to besides its own address,
    /// `localhost` and the host of [`public_base_url`](ServiceConfig::public_base_url); any
    /// other `Host` or `Origin` is refused.
    pub public_names: Vec<String>,
    /// The per-client rate limit of the phone-facing routes; `None` turns it off.
    pub phone_rate_limit: Option<RateLimit>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            allowed_hosts: AllowedHosts::default(),
            public_base_url: None,
            body_limit: DEFAULT_BODY_LIMIT,
            clock: Arc::new(TokioClock),
            limits: ServerLimits::default(),
            operator_token: None,
            open_operator_routes: false,
            public_names: Vec::new(),
            phone_rate_limit: Some(RateLimit::default()),
        }
    }
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("allowed_hosts", &self.allowed_hosts)
            .field("public_base_url", &self.public_base_url)
            .field("body_limit", &self.body_limit)
            .field("limits", &self.limits)
            .field(
                "operator_token",
                &self.operator_token.as_ref().map(|_| "(set)"),
            )
            .field("open_operator_routes", &self.open_operator_routes)
            .field("public_names", &self.public_names)
            .field("phone_rate_limit", &self.phone_rate_limit)
            .finish_non_exhaustive()
    }
}

/// What the handlers share: the store, the rules and the clock. Cheap to clone.
#[derive(Clone)]
pub struct ServiceState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    allowed_hosts: AllowedHosts,
    public_base_url: String,
    body_limit: usize,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<ServiceEvent>,
}

impl std::fmt::Debug for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceState")
            .field("public_base_url", &self.inner.public_base_url)
            .finish_non_exhaustive()
    }
}

impl ServiceState {
    /// The state for [`router`].
    pub fn new(store: Store, config: ServiceConfig) -> ServiceState {
        let (events, _) = broadcast::channel(1024);
        let base = config
            .public_base_url
            .unwrap_or_else(|| "http://localhost:8000".to_owned());
        ServiceState {
            inner: Arc::new(Inner {
                store,
                allowed_hosts: config.allowed_hosts,
                public_base_url: base.trim_end_matches('/').to_owned(),
                body_limit: config.body_limit,
                clock: config.clock,
                events,
            }),
        }
    }

    /// Checks a stored channel URI against the allowed hosts of now (they may have changed
    /// since it was registered).
    pub(crate) fn check_channel(&self, uri: &str) -> Result<mpns::ChannelUri, FieldError> {
        self.inner.allowed_hosts.check(uri)
    }

    /// [`check_channel`](Self::check_channel) for a stored WNS channel.
    pub(crate) fn check_wns_channel(&self, uri: &str) -> Result<wns::ChannelUri, FieldError> {
        self.inner.allowed_hosts.check_wns(uri)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Events from now on. A receiver that falls more than 1024 events behind loses the
    /// oldest (`RecvError::Lagged`); the store still has everything.
    pub fn subscribe(&self) -> broadcast::Receiver<ServiceEvent> {
        self.inner.events.subscribe()
    }

    /// The URL of a Tile Schedule number image, or `None` outside `0..=MAX_NUMBER`.
    pub fn number_image_uri(&self, n: u8) -> Option<String> {
        (n <= MAX_NUMBER).then(|| format!("{}/images/numbers/{n}.png", self.inner.public_base_url))
    }

    /// The URL of a Custom Tile image with these parameters (percent-encoded here).
    pub fn custom_image_uri(&self, text: &str, size: u32, color: &str, background: &str) -> String {
        format!(
            "{}/images/custom.png?text={}&size={size}&color={}&background={}",
            self.inner.public_base_url,
            percent_encode(text),
            percent_encode(color),
            percent_encode(background)
        )
    }

    /// The service's clock, shared with the patterns.
    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    fn emit(&self, event: ServiceEvent) {
        // No receiver is fine: nobody is listening yet.
        let _ = self.inner.events.send(event);
    }
}

/// Everything but the unreserved characters of RFC 3986 (letters, digits, `-._~`) is escaped
/// in query values.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes a query value: UTF-8, every byte but the unreserved characters as `%XX`.
fn percent_encode(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE)
}

/// The service's routes (see the module doc), with the body limit applied.
pub fn router(state: ServiceState) -> Router {
    api::routes(state, Router::new())
}

/// The service's routes plus `extra`, another layer's routes (such as the operator's pattern
/// routes, [`crate::patterns::router`]), under the service's fallback for unknown routes and
/// methods and its body limit.
pub fn router_with(state: ServiceState, extra: Router) -> Router {
    api::routes(state, extra)
}

/// A running service; dropping it shuts it down too, without waiting.
#[derive(Debug)]
#[must_use = "dropping the handle stops the service"]
pub struct RunningService {
    addr: SocketAddr,
    state: ServiceState,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningService {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ip:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state (store, events).
    pub fn state(&self) -> &ServiceState {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish, and returns when done.
    ///
    /// # Errors
    /// The server's I/O error, if it failed.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other),
            None => Ok(()),
        }
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Binds `addr` (port 0 picks a free one), returns once listening, and serves until
/// [`RunningService::shutdown`].
///
/// # Errors
/// The bind error.
pub async fn serve(
    addr: SocketAddr,
    store: Store,
    config: ServiceConfig,
) -> std::io::Result<RunningService> {
    serve_with(addr, store, config, router).await
}

/// Like [`serve`], with the routes `app` makes from the state (created once the address is
/// known, so image URIs name it): for example the service with the operator's pattern routes.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use mpns_service::patterns::{self, Patterns, PatternsConfig};
/// use mpns_service::registration::{router_with, serve_with, ServiceConfig, Store};
///
/// let store = Store::open("mpns-service.sqlite3").expect("database");
/// let running = serve_with("127.0.0.1:8000".parse().unwrap(), store, ServiceConfig::default(), |state| {
///     let patterns = Patterns::start(state.clone(), mpns::Client::new(), PatternsConfig::default());
///     router_with(state, patterns::router(patterns))
/// })
/// .await?;
/// println!("service and patterns at {}", running.base_url());
/// # Ok(()) }
/// ```
///
/// # Errors
/// The bind error; `InvalidInput` for a non-loopback `addr` without
/// [`ServiceConfig::operator_token`] (unless [`ServiceConfig::open_operator_routes`]).
pub async fn serve_with(
    addr: SocketAddr,
    store: Store,
    mut config: ServiceConfig,
    app: impl FnOnce(ServiceState) -> Router,
) -> std::io::Result<RunningService> {
    if !addr.ip().is_loopback() && config.operator_token.is_none() && !config.open_operator_routes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "refusing to serve the operator's routes without a token on {addr}, which is not a loopback address: give a token (--operator-token, --operator-token-file or MPNS_OPERATOR_TOKEN) or, to serve them open on purpose, --insecure-no-operator-auth"
            ),
        ));
    }
    if config
        .operator_token
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the operator token is empty",
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    if config.public_base_url.is_none() {
        config.public_base_url = Some(format!("http://{addr}"));
    }
    let mut names = config.public_names.clone();
    if let Some(host) = config
        .public_base_url
        .as_deref()
        .and_then(|u| u.split_once("://"))
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
    {
        names.push(host.to_owned());
    }
    let limits = config.limits;
    let guard = Arc::new(guard::Guard::new(
        names,
        config.operator_token.clone(),
        config.phone_rate_limit,
        config.body_limit,
        limits.body_timeout,
    ));
    let state = ServiceState::new(store, config);
    let app = app(state.clone()).layer(axum::middleware::from_fn_with_state(guard, guard::guard));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(listener::serve(listener, app, limits, shutdown.clone()));
    tracing::info!(%addr, "registration service listening");
    Ok(RunningService {
        addr,
        state,
        shutdown,
        task: Some(task),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_keep_only_unreserved_characters() {
        let encoded = super::percent_encode("Hi there/ü~-._#&=+%").to_string();
        assert_eq!(encoded, "Hi%20there%2F%C3%BC~-._%23%26%3D%2B%25");
    }
}
