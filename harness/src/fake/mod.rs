//! The fake MPNS server: answers channel URIs as Microsoft documented MPNS, keeps a device model
//! per channel, and exposes a control API, fault injection and expectations for tests.
//!
//! Start it in-process with [`FakeMpns::start`] (or [`FakeMpns::builder`]), or as a process with
//! `cargo run -p mpns-harness --bin fake-mpns -- --listen 127.0.0.1:8080`.
//!
//! [`FakeMpns`], its builder and [`FakeError`] are at the crate root; this module holds what
//! they take and return: channels, device state, records, answers, faults, events, expectations
//! and the TLS settings.
//!
//! # Control API (JSON under `/_fake/`)
//!
//! | Request | Does |
//! |---|---|
//! | `POST /_fake/channels` (optional [`ChannelOptions`] body) | creates a channel, `201` with `id`, `uri`, `device_state`; `507` once the fake holds `max_channels` (default 1 000 000) until a reset; `400` for a name over 256 bytes |
//! | `GET /_fake/channels`, `GET /_fake/channels/{id}` | lists channels ([`ChannelInfo`]) |
//! | `POST /_fake/channels/{id}/rotate` | gives the channel a new URI (the old one answers 404) |
//! | `GET`, `PUT` or `PATCH /_fake/channels/{id}/device` ([`DeviceUpdate`] body) | reads or changes device state ([`DeviceView`]); unset fields stay |
//! | `GET`, `DELETE /_fake/channels/{id}/notifications` | what was sent to the channel ([`NotificationRecord`]s), or forgets it; the `X-Fake-Records-Dropped` header counts the records the log dropped to stay within its limits |
//! | `GET`, `DELETE /_fake/notifications` | the same across all channels and unknown URIs |
//! | `POST /_fake/reset` | forgets channels, devices, records and fault rules |
//! | `GET /_fake/events` | server-sent events, one per [`Event`], named by its `type` |
//! | `POST`, `GET`, `DELETE /_fake/faults`, `DELETE /_fake/faults/{id}` | fault rules ([`FaultRule`]); a used-up counted rule is no longer checked, and only the newest [`SPENT_KEPT`] of those are listed |
//! | `GET /_fake/repeats` | every `X-MessageID` a channel received more than once ([`Repeat`]s) and the total of repeated requests; each record's `repeat` and each channel's `repeats` count them too (requests a fault rule answered never reached the channel and are not counted), and reset forgets them |
//! | `GET /_fake/clock`, `POST /_fake/clock/advance` (`{"seconds": 450}` or `{"ms": ...}`) | reads or moves a virtual clock |
//! | `GET`, `PATCH /_fake/settings` (`{"daily_limit": 1, "queue_capacity": 5}`) | reads or changes the daily limit and the queue capacity (of every device, and of new ones) |
//! | `GET /_fake/openapi.json` | this API's OpenAPI 3.1 document (kept as `docs/openapi/fake-mpns.json`) |
//! | `GET /_fake/channels/{id}/notifications/{seq}/body` | the record's body, the exact bytes sent (the record's `body` is lossy UTF-8) |
//! | `GET /_fake/channels/{id}/notifications/{seq}/render` | the toast or tile as a phone would show it (SVG); `422` naming why for raw, malformed or refused ones |
//! | `GET /_fake/ui` (and `GET /`) | the web view: channels, their notifications live, fault rules; built on this API only |
//! | `POST /_fake/scenario` ([`Scenario`] as JSON) | creates its channels, sets its device states, settings and fault rules; `200` with the created [`ChannelInfo`]s |
//!
//! `POST /_fake/channels` takes a fixed `token` (the channel URI is then known in advance).
//! With [`FakeMpnsBuilder::control_listen`] the control API has a listener of its own and the
//! notification listener serves channel URIs only.
//!
//! Field names are snake_case; state values are spelled as MPNS spells them on the wire
//! (`"Connected"`, `"TempDisconnected"`, `"Expired"`, `"CriticalLow"`). Errors are
//! `{"error": "..."}` with a 4xx status (507 for the channel cap).
//!
//! Bodies must be sent with `Content-Type: application/json` (`415` otherwise) and be JSON
//! objects (`422` for an array); a `POST` without a JSON body needs the header
//! `X-Requested-With` (any value; `403` otherwise), so that a page of another site open in a
//! developer's browser cannot reset the fake or install fault rules. A `Content-Length` over
//! 2 MiB is `413` from the head; a body slower than 30 s is `408`.
//!
//! # Connections
//!
//! A client has [`FakeMpnsBuilder::header_timeout`](crate::FakeMpnsBuilder::header_timeout)
//! (10 s) to send each request head, which is also how long a keep-alive connection may stay
//! idle, and at most [`FakeMpnsBuilder::max_connections`](crate::FakeMpnsBuilder::max_connections)
//! (1024) connections are open at once on each listener.
//!
//! # Limits
//!
//! Each log of records (one per channel, one for unknown channel URIs) keeps at most
//! `log_limit` records (10 000), and all of them together about `log_bytes` (256 MiB): a log
//! that records a request while all are over the budget drops its own oldest records, keeping
//! its newest. A record keeps at most [`HEADERS_KEPT`] of headers and [`PATH_KEPT`] of path.
//! Channels are capped at `max_channels`; an emulated phone whose app opens a channel past it
//! gets [`FakeError::TooManyChannels`] as `PhoneError::Fake`.

mod answer;
mod channel_uri;
pub(crate) mod conn;
pub(crate) mod control;
mod device;
mod engine;
pub(crate) mod error;
mod events;
mod expect;
mod faults;
mod model;
#[cfg(test)]
mod model_tests;
mod record;
mod registry;
mod scenario;
pub(crate) mod server;
pub(crate) mod tls;

pub use answer::{Answer, Connection, Fate, NotificationStatus, Power, Subscription};
pub(crate) use error::FakeError;
pub use events::Event;
pub use expect::Expect;
pub use faults::{FaultAction, FaultRule, FaultStatus, TargetFilter, SPENT_KEPT};
pub use model::{
    CallbackInfo, ChannelId, ChannelInfo, ChannelOptions, Delivered, DeliveryState, DeviceId,
    DeviceUpdate, DeviceView, NotificationRecord, Repeat,
};
pub use record::{HEADERS_KEPT, PATH_KEPT};
pub use scenario::Scenario;
pub(crate) use server::{FakeMpns, FakeMpnsBuilder};
pub use tls::TlsConfig;
