//! The fake WNS's vocabulary: apps and their credentials, channels, connection states,
//! settings, fault rules and records.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which token flow an app uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "flow")]
pub enum Flow {
    /// `login.live.com/accesstoken.srf`, scope `notify.windows.com`; the client id is the package
    /// SID.
    Store,
    /// Microsoft Entra ID, `/{tenant}/oauth2/v2.0/token`, scope `https://wns.windows.com/.default`.
    Entra {
        /// The directory (tenant) id or domain.
        tenant: String,
    },
}

/// An app registered with the fake, and what its back end authenticates with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCredentials {
    /// The app's name (the fake's key for it).
    pub name: String,
    /// The token flow.
    #[serde(flatten)]
    pub flow: Flow,
    /// `client_id` (package SID or application id).
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Where the back end gets tokens, on this fake.
    pub token_url: String,
}

/// Which kind of device a channel belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Windows 10 or 11.
    #[default]
    Windows,
    /// Windows Phone 8.1: takes `X-WNS-SuppressPopup` and `DELETE` with `X-WNS-Match`.
    WindowsPhone81,
}

/// What a test asks for when it creates a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelRequest {
    /// The app the channel is for (registered with the fake).
    pub app: String,
    /// The device it lives on (added to the fake); the app is installed there if it is not.
    pub device: String,
    /// The platform (default Windows).
    #[serde(default)]
    pub platform: Platform,
    /// A secondary tile's channel (tiles and badges only) instead of the app's primary one.
    #[serde(default)]
    pub secondary_tile: Option<String>,
    /// A fixed token (letters, digits, `%`, `-`, `_`), so that the URI is known in advance;
    /// default: a random one.
    #[serde(default)]
    pub token: Option<String>,
}

impl ChannelRequest {
    /// The app's primary channel on a Windows device.
    pub fn new(app: impl Into<String>, device: impl Into<String>) -> ChannelRequest {
        ChannelRequest {
            app: app.into(),
            device: device.into(),
            platform: Platform::Windows,
            secondary_tile: None,
            token: None,
        }
    }
}

/// A channel the fake handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WnsChannel {
    /// The fake's id for it.
    pub id: u64,
    /// The channel URI, as a device would hand it to its back end.
    pub uri: String,
    /// The app.
    pub app: String,
    /// The device.
    pub device: String,
    /// Its platform.
    pub platform: Platform,
    /// The secondary tile, for a secondary tile's channel.
    pub secondary_tile: Option<String>,
    /// When it expires (30 days after it was made), on the fake's clock, in seconds.
    pub expires_at_secs: u64,
    /// The device's connection.
    pub connection: Connection,
    /// Notifications waiting for the device to come back (one toast, tile and badge, and a raw
    /// sent with `X-WNS-Cache-Policy: cache`).
    pub cached: usize,
}

/// The device's connection to WNS, per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// Online: notifications reach the device at once.
    #[default]
    Connected,
    /// Offline: WNS caches (see [`WnsChannel::cached`]).
    Disconnected,
    /// Briefly offline: cached as for disconnected.
    TempDisconnected,
}

/// Which status headers the fake sends, so that senders reading only one are caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderProfile {
    /// `X-WNS-Status` and `X-WNS-NotificationStatus`, as WNS has sent since about 2016.
    #[default]
    Both,
    /// Only the documented `X-WNS-Status`.
    Documented,
    /// Only `X-WNS-NotificationStatus`, as in 2012–2013 traffic.
    Legacy,
}

/// How the fake answers an app over its rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleAnswer {
    /// `406`, as documented.
    #[default]
    Documented406,
    /// `429` "App is throttled", as observed from 2023 on.
    Observed429,
}

/// The fake's settings, changed at run time with `PATCH /_fake/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Status headers sent.
    pub header_profile: HeaderProfile,
    /// The answer to an app over `app_limit_per_minute`.
    pub throttle_answer: ThrottleAnswer,
    /// Notifications an app may send per minute of the fake's clock (none: no limit).
    pub app_limit_per_minute: Option<u32>,
    /// Notifications one channel takes per minute before `200` with `channelthrottled`.
    pub channel_limit_per_minute: Option<u32>,
    /// Notifications an app may send in all (the "monthly quota"), then `429`.
    pub monthly_quota: Option<u64>,
    /// `Retry-After` on throttling answers, in seconds.
    pub retry_after_secs: u32,
    /// Lifetime of the tokens issued, in seconds.
    pub token_lifetime_secs: u64,
    /// Every send answered `410` "Domain Blocked", as WNS answers a sender it blocked for abuse.
    pub domain_blocked: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            header_profile: HeaderProfile::Both,
            throttle_answer: ThrottleAnswer::Documented406,
            app_limit_per_minute: None,
            channel_limit_per_minute: None,
            monthly_quota: None,
            retry_after_secs: 60,
            token_lifetime_secs: 86_400,
            domain_blocked: false,
        }
    }
}

/// A scripted answer: the next `times` requests (to one channel, or any) get `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WnsFault {
    /// The status to answer (400 to 599).
    pub status: u16,
    /// How many requests (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// Only requests to this channel.
    #[serde(default)]
    pub channel: Option<u64>,
    /// `Retry-After`, in seconds.
    #[serde(default)]
    pub retry_after_secs: Option<u32>,
    /// `X-WNS-Error-Description`.
    #[serde(default)]
    pub description: Option<String>,
}

fn one() -> u32 {
    1
}

/// One request the fake received, with its answer and what the lint found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WnsRecord {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// When, on the fake's clock, in ms.
    pub at_ms: u64,
    /// `POST` or `DELETE`.
    pub method: String,
    /// The channel, when the URI named one the fake knows.
    pub channel: Option<u64>,
    /// The request's headers (at most 8 KB of them kept).
    pub headers: Vec<(String, String)>,
    /// The body's length.
    pub body_len: usize,
    /// The body (at most 5,000 bytes kept), lossily as text.
    pub body: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers.
    pub answer_headers: Vec<(String, String)>,
    /// What the device did, when it was delivered.
    pub device_outcome: Option<String>,
    /// What a careful sender would fix; empty when nothing.
    pub lint: Vec<String>,
}

/// Channel lifetime.
pub(crate) const CHANNEL_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
