//! The fake WNS's state and rules, without sockets: tokens, channels, the answer table, the
//! offline cache, faults, throttling and records. The HTTP layer (`http.rs`) only translates.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::model::{
    AppCredentials, ChannelRequest, Connection, Flow, HeaderProfile, Platform, Settings,
    ThrottleAnswer, WnsChannel, WnsFault, WnsRecord, CHANNEL_LIFETIME,
};
use crate::clock::Clock;
use crate::lock::MutexExt;
use crate::windows::payload::{check_image, check_root, parse};
use crate::windows::{Delivery, DeviceOutcome, WindowsDevice, WindowsVersion, WnsKind};

/// Most bytes WNS takes in a body.
pub(crate) const MAX_BODY: usize = 5000;
/// Records kept (the oldest are forgotten).
const RECORDS_KEPT: usize = 10_000;
/// Header bytes kept per record.
const HEADERS_KEPT: usize = 8 * 1024;
/// Where the fake's clock starts, as a date: `SystemTime` for the devices.
const EPOCH_SECS: u64 = 1_800_000_000;

/// An answer, before HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

struct App {
    creds: AppCredentials,
    /// Send times within the last minute, for the per-app limit.
    window: VecDeque<Duration>,
    sent: u64,
}

struct Issued {
    app: String,
    expires_at: Duration,
}

struct Channel {
    info: WnsChannel,
    created: Duration,
    window: VecDeque<Duration>,
    cache: Vec<Delivery>,
}

struct State {
    settings: Settings,
    apps: BTreeMap<String, App>,
    tokens: HashMap<String, Issued>,
    channels: BTreeMap<u64, Channel>,
    by_token: HashMap<String, u64>,
    devices: BTreeMap<String, WindowsDevice>,
    faults: Vec<WnsFault>,
    records: VecDeque<WnsRecord>,
    next_seq: u64,
    next_channel: u64,
    rng: StdRng,
}

/// One request as the HTTP layer read it.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) channel_token: Option<&'a str>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: &'a [u8],
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The fake's state behind one lock; every handler takes it briefly and never across I/O.
pub(crate) struct Core {
    clock: Clock,
    base_url: String,
    state: Mutex<State>,
}

fn random_hex(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789ABCDEF"[rng.random_range(0..16usize)]))
        .collect()
}

fn random_chars(rng: &mut StdRng, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

impl Core {
    pub(crate) fn new(clock: Clock, base_url: String, seed: Option<u64>) -> Core {
        let rng = match seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Core {
            clock,
            base_url,
            state: Mutex::new(State {
                settings: Settings::default(),
                apps: BTreeMap::new(),
                tokens: HashMap::new(),
                channels: BTreeMap::new(),
                by_token: HashMap::new(),
                devices: BTreeMap::new(),
                faults: Vec::new(),
                records: VecDeque::new(),
                next_seq: 1,
                next_channel: 1,
                rng,
            }),
        }
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn date(now: Duration) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH_SECS) + now
    }

    pub(crate) fn settings(&self) -> Settings {
        self.state.locked().settings.clone()
    }

    pub(crate) fn set_settings(&self, settings: Settings) -> Result<(), String> {
        if settings.token_lifetime_secs == 0 {
            return Err("token_lifetime_secs must be at least 1".into());
        }
        if settings.app_limit_per_minute == Some(0) || settings.channel_limit_per_minute == Some(0)
        {
            return Err("a per-minute limit must be at least 1 (or absent for none)".into());
        }
        self.state.locked().settings = settings;
        Ok(())
    }

    /// Registers an app and makes up its credentials.
    pub(crate) fn register_app(&self, name: &str, flow: Flow) -> Result<AppCredentials, String> {
        if name.is_empty() || name.len() > 256 {
            return Err("an app name is 1 to 256 characters".into());
        }
        if let Flow::Entra { tenant } = &flow {
            if tenant.is_empty()
                || !tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                return Err(format!(
                    "the tenant {tenant:?} is not a directory id or domain"
                ));
            }
        }
        let mut s = self.state.locked();
        if s.apps.contains_key(name) {
            return Err(format!("the app {name:?} is already registered"));
        }
        let (client_id, token_url) = match &flow {
            Flow::Store => (
                format!(
                    "ms-app://s-1-15-2-{}",
                    s.rng.random_range(1_000_000_000u64..9_999_999_999)
                ),
                format!("{}/accesstoken.srf", self.base_url),
            ),
            Flow::Entra { tenant } => {
                let h = random_hex(&mut s.rng, 32).to_ascii_lowercase();
                (
                    format!(
                        "{}-{}-{}-{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[12..16],
                        &h[16..20],
                        &h[20..]
                    ),
                    format!("{}/{tenant}/oauth2/v2.0/token", self.base_url),
                )
            }
        };
        let creds = AppCredentials {
            name: name.to_owned(),
            flow,
            client_id,
            client_secret: random_chars(&mut s.rng, 32),
            token_url,
        };
        s.apps.insert(
            name.to_owned(),
            App {
                creds: creds.clone(),
                window: VecDeque::new(),
                sent: 0,
            },
        );
        Ok(creds)
    }

    /// Answers a token request: `tenant` is `None` on the Store endpoint.
    pub(crate) fn token(&self, tenant: Option<&str>, form: &[(String, String)]) -> Answer {
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let oauth_error = |error: &str, description: &str| {
            Answer::new(400)
                .header("Content-Type", "application/json")
                .header("Cache-Control", "no-store")
                .tap_body(
                    serde_json::json!({"error": error, "error_description": description})
                        .to_string(),
                )
        };
        if field("grant_type") != Some("client_credentials") {
            return oauth_error(
                "unsupported_grant_type",
                "grant_type must be client_credentials",
            );
        }
        let (Some(client_id), Some(secret)) = (field("client_id"), field("client_secret")) else {
            return oauth_error(
                "invalid_request",
                "client_id and client_secret are required",
            );
        };
        let now = self.now();
        let mut s = self.state.locked();
        let lifetime = s.settings.token_lifetime_secs;
        let found = s
            .apps
            .values()
            .find(|a| a.creds.client_id == client_id)
            .map(|a| {
                (
                    a.creds.name.clone(),
                    a.creds.client_secret.clone(),
                    a.creds.flow.clone(),
                )
            });
        let Some((app, expected_secret, flow)) = found else {
            return oauth_error("invalid_client", "Invalid client id")
                .header("x-wlid-error", "0x80045A78");
        };
        match (&flow, tenant) {
            (Flow::Store, None) => {
                if field("scope") != Some("notify.windows.com") {
                    return oauth_error("invalid_scope", "scope must be notify.windows.com");
                }
            }
            (Flow::Entra { tenant: t }, Some(asked)) if t == asked => {
                let scope_ok = field("scope") == Some("https://wns.windows.com/.default")
                    || field("resource") == Some("https://wns.windows.com/");
                if !scope_ok {
                    return oauth_error(
                        "invalid_scope",
                        "scope must be https://wns.windows.com/.default",
                    );
                }
            }
            _ => {
                return oauth_error(
                    "invalid_client",
                    "the app is not registered for this token endpoint",
                )
            }
        }
        if secret != expected_secret {
            return oauth_error("invalid_client", "Invalid client secret");
        }
        let (value, body) = match flow {
            Flow::Store => {
                let value = format!("EgAcAQMAAAAALYAAY{}=", random_chars(&mut s.rng, 120));
                let body = serde_json::json!({"token_type": "bearer", "access_token": value, "expires_in": lifetime});
                (value, body)
            }
            Flow::Entra { .. } => {
                let value = format!(
                    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.{}.{}",
                    random_chars(&mut s.rng, 200),
                    random_chars(&mut s.rng, 86)
                );
                let l = lifetime.saturating_sub(1).max(1).to_string();
                let body = serde_json::json!({"token_type": "Bearer", "expires_in": l, "ext_expires_in": l, "access_token": value});
                (value, body)
            }
        };
        s.tokens.insert(
            value,
            Issued {
                app,
                expires_at: now + Duration::from_secs(lifetime),
            },
        );
        Answer::new(200)
            .header("Content-Type", "application/json")
            .header("Cache-Control", "no-store")
            .tap_body(body.to_string())
    }

    pub(crate) fn add_device(&self, name: &str, version: WindowsVersion) -> Result<(), String> {
        if name.is_empty() || name.len() > 256 {
            return Err("a device name is 1 to 256 characters".into());
        }
        let mut s = self.state.locked();
        if s.devices.contains_key(name) {
            return Err(format!("the device {name:?} already exists"));
        }
        s.devices
            .insert(name.to_owned(), WindowsDevice::new(name, version));
        Ok(())
    }

    /// Runs `f` on a device.
    pub(crate) fn with_device<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut WindowsDevice, SystemTime) -> T,
    ) -> Result<T, String> {
        let now = Self::date(self.now());
        let mut s = self.state.locked();
        let device = s
            .devices
            .get_mut(name)
            .ok_or_else(|| format!("no device {name:?}"))?;
        Ok(f(device, now))
    }

    pub(crate) fn create_channel(&self, req: &ChannelRequest) -> Result<WnsChannel, String> {
        let now = self.now();
        let mut s = self.state.locked();
        if !s.apps.contains_key(&req.app) {
            return Err(format!("no app {:?}: register it first", req.app));
        }
        let device = s
            .devices
            .get_mut(&req.device)
            .ok_or_else(|| format!("no device {:?}: add it first", req.device))?;
        device.install(&req.app);
        if let Some(tile) = &req.secondary_tile {
            device.pin_secondary_tile(&req.app, tile);
        }
        let token = match &req.token {
            Some(t) => {
                if t.is_empty()
                    || t.len() > 512
                    || !t
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"%-_".contains(&b))
                {
                    return Err("a fixed token is 1 to 512 letters, digits, '%', '-' or '_'".into());
                }
                if s.by_token.contains_key(t) {
                    return Err(format!("the token {t:?} is taken"));
                }
                t.clone()
            }
            None => {
                // Real tokens are URL-encoded base64 with a version-like prefix; the "%2b" makes a
                // sender that decodes or re-encodes the URI miss the channel (404), as WNS does.
                let a = random_chars(&mut s.rng, 30);
                let b = random_chars(&mut s.rng, 30);
                format!("AwYAAAB{a}%2b{b}")
            }
        };
        let id = s.next_channel;
        s.next_channel += 1;
        let info = WnsChannel {
            id,
            uri: format!("{}/?token={token}", self.base_url),
            app: req.app.clone(),
            device: req.device.clone(),
            platform: req.platform,
            secondary_tile: req.secondary_tile.clone(),
            expires_at_secs: (now + CHANNEL_LIFETIME).as_secs(),
            connection: Connection::Connected,
            cached: 0,
        };
        s.by_token.insert(token, id);
        s.channels.insert(
            id,
            Channel {
                info: info.clone(),
                created: now,
                window: VecDeque::new(),
                cache: Vec::new(),
            },
        );
        Ok(info)
    }

    pub(crate) fn channel(&self, id: u64) -> Option<WnsChannel> {
        self.state
            .locked()
            .channels
            .get(&id)
            .map(|c| c.info.clone())
    }

    pub(crate) fn channels(&self) -> Vec<WnsChannel> {
        self.state
            .locked()
            .channels
            .values()
            .map(|c| c.info.clone())
            .collect()
    }

    /// Changes a channel's connection; coming back, the cached notifications are delivered, in
    /// the order they were sent.
    pub(crate) fn set_connection(
        &self,
        id: u64,
        connection: Connection,
    ) -> Result<Vec<DeviceOutcome>, String> {
        let now = Self::date(self.now());
        let mut s = self.state.locked();
        let ch = s
            .channels
            .get_mut(&id)
            .ok_or_else(|| format!("no channel {id}"))?;
        ch.info.connection = connection;
        if connection != Connection::Connected {
            return Ok(Vec::new());
        }
        let cached = std::mem::take(&mut ch.cache);
        ch.info.cached = 0;
        let (device, app) = (ch.info.device.clone(), ch.info.app.clone());
        let dev = s
            .devices
            .get_mut(&device)
            .expect("a channel's device exists");
        Ok(cached
            .into_iter()
            .map(|d| dev.deliver(&app, d, now))
            .collect())
    }

    pub(crate) fn add_fault(&self, fault: WnsFault) -> Result<(), String> {
        if !(400..=599).contains(&fault.status) {
            return Err(format!("status {} is not 400..=599", fault.status));
        }
        if fault.times == 0 {
            return Err("times must be at least 1".into());
        }
        self.state.locked().faults.push(fault);
        Ok(())
    }

    pub(crate) fn faults(&self) -> Vec<WnsFault> {
        self.state.locked().faults.clone()
    }

    pub(crate) fn clear_faults(&self) {
        self.state.locked().faults.clear();
    }

    pub(crate) fn records(&self) -> Vec<WnsRecord> {
        self.state.locked().records.iter().cloned().collect()
    }

    /// Forgets channels, tokens, faults and records; apps, devices and settings stay.
    pub(crate) fn reset(&self) {
        let mut s = self.state.locked();
        s.channels.clear();
        s.by_token.clear();
        s.tokens.clear();
        s.faults.clear();
        s.records.clear();
    }

    /// Answers a notification request and records it.
    pub(crate) fn notify(&self, req: Incoming<'_>) -> Answer {
        let now = self.now();
        let mut s = self.state.locked();
        let channel = req.channel_token.and_then(|t| s.by_token.get(t).copied());
        let mut lint = lint(&req);
        let mut outcome = None;
        let answer = self.answer(&mut s, &req, channel, now, &mut lint, &mut outcome);
        let answer = self.envelope(&mut s, &req, answer);
        let seq = s.next_seq;
        s.next_seq += 1;
        let mut kept = 0;
        let headers = req
            .headers
            .iter()
            .take_while(|(n, v)| {
                kept += n.len() + v.len();
                kept <= HEADERS_KEPT
            })
            .cloned()
            .collect();
        s.records.push_back(WnsRecord {
            seq,
            at_ms: now.as_millis() as u64,
            method: req.method.to_owned(),
            channel,
            headers,
            body_len: req.body.len(),
            body: String::from_utf8_lossy(&req.body[..req.body.len().min(MAX_BODY)]).into_owned(),
            status: answer.status,
            answer_headers: answer.headers.clone(),
            device_outcome: outcome,
            lint,
        });
        if s.records.len() > RECORDS_KEPT {
            s.records.pop_front();
        }
        answer
    }

    /// The answer table, in the order the fake checks (WNS does not document its order).
    fn answer(
        &self,
        s: &mut State,
        req: &Incoming<'_>,
        channel: Option<u64>,
        now: Duration,
        lint: &mut Vec<String>,
        outcome: &mut Option<String>,
    ) -> Answer {
        let status_dropped = |a: Answer| a.header("X-WNS-Status", "dropped");
        if req.method != "POST" && req.method != "DELETE" {
            return Answer::new(405).header("Allow", "POST, DELETE");
        }
        if req
            .header("Transfer-Encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
        {
            return Answer::new(400).header(
                "X-WNS-Error-Description",
                "Chunked transfer encoding is not supported; send Content-Length",
            );
        }
        if req.header("Content-Length").is_none() {
            return Answer::new(411)
                .header("X-WNS-Error-Description", "Content-Length is required");
        }
        // Who is sending.
        let bearer = req.header("Authorization").and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let Some(issued) = bearer.and_then(|t| s.tokens.get(t)) else {
            return Answer::new(401).header(
                "WWW-Authenticate",
                "Bearer error=\"invalid_request\",error_description=\"Invalid token\"",
            );
        };
        if now >= issued.expires_at {
            return Answer::new(401).header(
                "WWW-Authenticate",
                "Bearer error=\"invalid_request\",error_description=\"Token expired\"",
            );
        }
        let app = issued.app.clone();
        if s.settings.domain_blocked {
            return Answer::new(410).header("X-WNS-Error-Description", "Domain Blocked");
        }
        // To which channel.
        let Some(id) = channel else {
            return Answer::new(404);
        };
        let ch = s.channels.get(&id).expect("by_token points at a channel");
        if ch.info.app != app {
            return status_dropped(Answer::new(403)).header(
                "X-WNS-Error-Description",
                "Channel URL incompatible with caller app",
            );
        }
        if now >= ch.created + CHANNEL_LIFETIME {
            return Answer::new(410);
        }
        let phone = ch.info.platform == Platform::WindowsPhone81;
        // Scripted answers.
        if let Some(i) = s
            .faults
            .iter()
            .position(|f| f.channel.is_none_or(|c| c == id))
        {
            let f = &mut s.faults[i];
            let mut a = Answer::new(f.status);
            if let Some(r) = f.retry_after_secs {
                a = a.header("Retry-After", r.to_string());
            }
            if let Some(d) = &f.description {
                a = a.header("X-WNS-Error-Description", d.clone());
            }
            f.times -= 1;
            if f.times == 0 {
                s.faults.remove(i);
            }
            return a;
        }
        if req.method == "DELETE" {
            if !phone {
                return Answer::new(405).header(
                    "X-WNS-Error-Description",
                    "DELETE is for Windows Phone channels only",
                );
            }
            let Some(m) = req.header("X-WNS-Match").and_then(parse_match) else {
                return Answer::new(400).header(
                    "X-WNS-Error-Description",
                    "X-WNS-Match is missing or malformed",
                );
            };
            let (device, app_name) = (ch.info.device.clone(), ch.info.app.clone());
            let removed = s
                .devices
                .get_mut(&device)
                .map(|d| d.remove_toasts(&app_name, m.0.as_deref(), m.1.as_deref()))
                .unwrap_or(0);
            *outcome = Some(format!("removed {removed} toast(s)"));
            return Answer::new(200).with_status(s.settings.header_profile, "received");
        }
        // What it is.
        let Some(kind) = req.header("X-WNS-Type").and_then(WnsKind::parse) else {
            return Answer::new(400).header(
                "X-WNS-Error-Description",
                "X-WNS-Type must be wns/toast, wns/tile, wns/badge or wns/raw",
            );
        };
        let content_type = req
            .header("Content-Type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if kind == WnsKind::Raw && content_type != "application/octet-stream" {
            return status_dropped(Answer::new(400)).header(
                "X-WNS-Error-Description",
                "Content-Type should be application/octet-stream",
            );
        }
        if kind != WnsKind::Raw && content_type != "text/xml" {
            return status_dropped(Answer::new(400))
                .header("X-WNS-Error-Description", "Content-Type should be text/xml");
        }
        let mut delivery = Delivery::new(kind, req.body.to_vec());
        match read_options(req, kind, phone, now, &mut delivery) {
            Ok(()) => {}
            Err(why) => {
                return status_dropped(Answer::new(400)).header("X-WNS-Error-Description", why)
            }
        }
        if req.body.len() > MAX_BODY {
            return Answer::new(413);
        }
        // How much.
        let minute = Duration::from_secs(60);
        let settings = s.settings.clone();
        let a = s.apps.get_mut(&app).expect("a token's app exists");
        while a.window.front().is_some_and(|t| *t + minute <= now) {
            a.window.pop_front();
        }
        if settings.monthly_quota.is_some_and(|q| a.sent >= q) {
            return Answer::new(429).header("X-WNS-Error-Description", "Monthly Quota Exceeded");
        }
        if settings
            .app_limit_per_minute
            .is_some_and(|l| a.window.len() >= l as usize)
        {
            let retry = settings.retry_after_secs.to_string();
            return match settings.throttle_answer {
                ThrottleAnswer::Documented406 => Answer::new(406).header("Retry-After", retry),
                ThrottleAnswer::Observed429 => Answer::new(429)
                    .header("Retry-After", retry)
                    .header("X-WNS-Error-Description", "App is throttled. Wait for the seconds of the value in Retry-After header and try again"),
            };
        }
        a.window.push_back(now);
        a.sent += 1;
        let ch = s.channels.get_mut(&id).expect("looked up above");
        while ch.window.front().is_some_and(|t| *t + minute <= now) {
            ch.window.pop_front();
        }
        if settings
            .channel_limit_per_minute
            .is_some_and(|l| ch.window.len() >= l as usize)
        {
            return Answer::new(200)
                .with_status(settings.header_profile, "channelthrottled")
                .header("Retry-After", settings.retry_after_secs.to_string());
        }
        ch.window.push_back(now);
        let cache_policy = req
            .header("X-WNS-Cache-Policy")
            .map(str::to_ascii_lowercase);
        let offline = ch.info.connection != Connection::Connected;
        let cached = offline
            && match kind {
                WnsKind::Raw => cache_policy.as_deref() == Some("cache"),
                _ => cache_policy.as_deref() != Some("no-cache"),
            };
        // Offline and not cached: WNS says "dropped" (its table: a notification the device
        // cannot get now and that is not kept).
        let status = if offline && !cached {
            "dropped"
        } else {
            "received"
        };
        let mut answer = Answer::new(200).with_status(settings.header_profile, status);
        if req
            .header("X-WNS-RequestForStatus")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let words = match ch.info.connection {
                Connection::Connected => "connected",
                Connection::Disconnected => "disconnected",
                Connection::TempDisconnected => "tempdisconnected",
            };
            answer = answer.header("X-WNS-DeviceConnectionStatus", words);
        }
        if offline {
            if cached {
                ch.cache.retain(|d| d.kind != kind);
                ch.cache.push(delivery);
                *outcome = Some("cached until the device is back".into());
            } else {
                *outcome = Some("dropped: the device is offline and it is not cached".into());
            }
            ch.info.cached = ch.cache.len();
            return answer;
        }
        let (device, app_name) = (ch.info.device.clone(), ch.info.app.clone());
        let dev = s
            .devices
            .get_mut(&device)
            .expect("a channel's device exists");
        let result = dev.deliver(&app_name, delivery, Self::date(now));
        if let DeviceOutcome::Dropped(reason) = &result {
            lint.push(format!(
                "WNS accepted it, but the device dropped it: {reason:?}"
            ));
        }
        *outcome = Some(format!("{result:?}"));
        answer
    }

    /// What every answer carries: an empty body, a message id, a debug trace, the correlation
    /// vector (echoed or made), HSTS.
    fn envelope(&self, s: &mut State, req: &Incoming<'_>, mut a: Answer) -> Answer {
        let cv = match req.header("MS-CV") {
            Some(cv) => cv.to_owned(),
            None => format!("{}.0", random_chars(&mut s.rng, 22)),
        };
        let id = random_hex(&mut s.rng, 16);
        let trace = format!("FAKEWNS{}", random_hex(&mut s.rng, 6));
        a.headers.push(("X-WNS-Msg-ID".into(), id));
        a.headers.push(("X-WNS-Debug-Trace".into(), trace));
        a.headers.push(("MS-CV".into(), cv));
        a.headers.push((
            "Strict-Transport-Security".into(),
            "max-age=31536000; includeSubDomains".into(),
        ));
        a
    }
}

trait StatusHeaders {
    fn with_status(self, profile: HeaderProfile, value: &str) -> Self;
    fn tap_body(self, body: String) -> Self;
}

impl StatusHeaders for Answer {
    fn with_status(self, profile: HeaderProfile, value: &str) -> Answer {
        match profile {
            HeaderProfile::Both => self
                .header("X-WNS-Status", value)
                .header("X-WNS-NotificationStatus", value),
            HeaderProfile::Documented => self.header("X-WNS-Status", value),
            HeaderProfile::Legacy => self.header("X-WNS-NotificationStatus", value),
        }
    }

    fn tap_body(mut self, body: String) -> Answer {
        self.body = body;
        self
    }
}

/// `X-WNS-Match`: `type:wns/toast;all`, `;tag=…`, `;group=…`, or both: (tag, group).
fn parse_match(v: &str) -> Option<(Option<String>, Option<String>)> {
    let rest = v.strip_prefix("type:wns/toast;")?;
    if rest == "all" {
        return Some((None, None));
    }
    let (mut tag, mut group) = (None, None);
    for part in rest.split(';') {
        match part.split_once('=')? {
            ("tag", t) if valid_label(t) => tag = Some(t.to_owned()),
            ("group", g) if valid_label(g) => group = Some(g.to_owned()),
            _ => return None,
        }
    }
    (tag.is_some() || group.is_some()).then_some((tag, group))
}

fn valid_label(v: &str) -> bool {
    !v.is_empty() && v.len() <= 16 && v.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Reads the optional headers into the delivery, refusing what WNS answers 400 to.
fn read_options(
    req: &Incoming<'_>,
    kind: WnsKind,
    phone: bool,
    now: Duration,
    d: &mut Delivery,
) -> Result<(), String> {
    if let Some(v) = req.header("X-WNS-Cache-Policy") {
        if !v.eq_ignore_ascii_case("cache") && !v.eq_ignore_ascii_case("no-cache") {
            return Err(format!("X-WNS-Cache-Policy {v:?}: cache or no-cache"));
        }
    }
    if let Some(v) = req.header("X-WNS-TTL") {
        let secs: u64 = v
            .trim()
            .parse()
            .map_err(|_| format!("X-WNS-TTL {v:?} is not a number of seconds"))?;
        d.expires_at = Some(Core::date(now + Duration::from_secs(secs)));
    }
    if let Some(v) = req.header("X-WNS-Tag") {
        if !valid_label(v) {
            return Err(format!("X-WNS-Tag {v:?}: 1 to 16 letters and digits"));
        }
        d.tag = Some(v.to_owned());
    }
    if let Some(v) = req.header("X-WNS-Group") {
        if !valid_label(v) {
            return Err(format!("X-WNS-Group {v:?}: 1 to 16 letters and digits"));
        }
        d.group = Some(v.to_owned());
    }
    if let Some(v) = req.header("X-WNS-PRIORITY") {
        match v.trim().parse::<u8>() {
            Ok(p @ 1..=4) => d.priority = Some(p),
            _ => return Err(format!("X-WNS-PRIORITY {v:?}: 1 to 4")),
        }
    }
    if req.header("X-WNS-SuppressPopup").is_some() {
        if !phone {
            return Err("X-WNS-SuppressPopup is for Windows Phone channels only".into());
        }
        if kind != WnsKind::Toast {
            return Err("X-WNS-SuppressPopup is for toasts only".into());
        }
    }
    Ok(())
}

/// What a careful sender would fix, whatever the answer.
fn lint(req: &Incoming<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let kind = req.header("X-WNS-Type").and_then(WnsKind::parse);
    if req
        .header("Expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        out.push("Expect: 100-continue costs a round trip; WNS advises against it".into());
    }
    match kind {
        Some(WnsKind::Raw) if req.body.is_empty() => {
            out.push("an empty raw body: WNS accepts it, the device never delivers it".into())
        }
        Some(WnsKind::Raw) | None => {}
        Some(kind) => match parse(req.body).and_then(|root| check_root(&root, kind).map(|()| root))
        {
            Err(reason) => out.push(format!("the device will drop this payload: {reason:?}")),
            Ok(root) => {
                let mut stack = vec![&root];
                while let Some(el) = stack.pop() {
                    if el.name == "image" {
                        if let Err(reason) = check_image(el.attr("src").unwrap_or_default()) {
                            out.push(format!("the device will drop this payload: {reason:?}"));
                        }
                    }
                    stack.extend(el.children.iter());
                }
            }
        },
    }
    out
}
