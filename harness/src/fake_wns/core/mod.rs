//! The fake WNS's state and rules, without sockets: apps, devices, channels, the offline cache,
//! faults and records here; tokens in `tokens`, the answer table in `answer`, what a careful
//! sender would fix in `lint`. The HTTP layer (`http.rs`) only translates.

mod answer;
mod lint;
mod tokens;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::model::{
    AppCredentials, ChannelRequest, Connection, HeaderProfile, Settings, WnsChannel, WnsFault,
    WnsRecord, CHANNEL_LIFETIME,
};
use crate::clock::Clock;
use crate::lock::MutexExt;
use crate::windows::{Delivery, DeviceOutcome, WindowsDevice, WindowsVersion};

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

    /// The status headers the [`HeaderProfile`] sends, with `value`.
    fn with_status(self, profile: HeaderProfile, value: &str) -> Answer {
        match profile {
            HeaderProfile::Both => self
                .header("X-WNS-Status", value)
                .header("X-WNS-NotificationStatus", value),
            HeaderProfile::Documented => self.header("X-WNS-Status", value),
            HeaderProfile::Legacy => self.header("X-WNS-NotificationStatus", value),
        }
    }

    fn body(mut self, body: String) -> Answer {
        self.body = body;
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
        let mut lint = lint::lint(&req);
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
