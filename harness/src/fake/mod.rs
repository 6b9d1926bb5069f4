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
//! | `POST /_fake/channels` (optional [`ChannelOptions`] body) | creates a channel, `201` with `id`, `uri`, `device_state` |
//! | `GET /_fake/channels`, `GET /_fake/channels/{id}` | lists channels ([`ChannelInfo`]) |
//! | `POST /_fake/channels/{id}/rotate` | gives the channel a new URI (the old one answers 404) |
//! | `GET`, `PUT` or `PATCH /_fake/channels/{id}/device` ([`DeviceUpdate`] body) | reads or changes device state ([`DeviceView`]); unset fields stay |
//! | `GET`, `DELETE /_fake/channels/{id}/notifications` | what was sent to the channel ([`NotificationRecord`]s), or forgets it |
//! | `GET`, `DELETE /_fake/notifications` | the same across all channels and unknown URIs |
//! | `POST /_fake/reset` | forgets channels, devices, records and fault rules |
//! | `GET /_fake/events` | server-sent events, one per [`Event`], named by its `type` |
//! | `POST`, `GET`, `DELETE /_fake/faults`, `DELETE /_fake/faults/{id}` | fault rules ([`FaultRule`]); a used-up counted rule is no longer checked, and only the newest [`SPENT_KEPT`] of those are listed |
//! | `GET /_fake/repeats` | every `X-MessageID` a channel received more than once ([`Repeat`]s) and the total of repeated requests; each record's `repeat` and each channel's `repeats` count them too (requests a fault rule answered never reached the channel and are not counted), and reset forgets them |
//! | `GET /_fake/clock`, `POST /_fake/clock/advance` (`{"seconds": 450}` or `{"ms": ...}`) | reads or moves a virtual clock |
//!
//! Field names are snake_case; state values are spelled as MPNS spells them on the wire
//! (`"Connected"`, `"TempDisconnected"`, `"Expired"`, `"CriticalLow"`). Errors are
//! `{"error": "..."}` with a 4xx status.

mod answer;
mod channel_uri;
mod conn;
mod control;
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
pub(crate) mod server;
mod tls;

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
pub(crate) use server::{FakeMpns, FakeMpnsBuilder};
pub use tls::TlsConfig;
