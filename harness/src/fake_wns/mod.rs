//! A fake WNS: the other side of the `wns` sender (or any WNS sender), on loopback.
//!
//! It issues tokens on both flows' endpoints (`/accesstoken.srf` for the Store flow,
//! `/{tenant}/oauth2/v2.0/token` for Entra ID), bound to an app and expiring on the fake's
//! [`Clock`](crate::Clock); hands out channels bound to an app and a device
//! (`{url}/?token=...`, expiring after 30 days); answers every row of WNS's table; caches for
//! offline devices (one toast, tile and badge per channel, raw only with `cache`); and delivers
//! to emulated Windows devices ([`crate::windows`]). Each request is recorded with its answer
//! and lint findings ([`WnsRecord`]). A JSON control API under `/_fake/` does at run time what
//! the Rust API does.
//!
//! # The answer table, in the order the fake checks (WNS does not document its order)
//!
//! | Check | Answer |
//! |---|---|
//! | method other than POST and DELETE | 405 |
//! | `Transfer-Encoding: chunked` | 400 (WNS does not take chunked bodies; its status for them is unconfirmed) |
//! | no `Content-Length` | 411 (unconfirmed) |
//! | no, unknown or another flow's bearer token | 401, `WWW-Authenticate: Bearer error="invalid_request",error_description="Invalid token"` |
//! | an expired token | 401, `…"Token expired"` |
//! | a URI that names no channel | 404 |
//! | the token's app is not the channel's | 403, "Channel URL incompatible with caller app" |
//! | the sender blocked ([`Settings::domain_blocked`]) | 410, "Domain Blocked" |
//! | a channel 30 days old | 410 |
//! | a scripted fault ([`WnsFault`]) | its status |
//! | `DELETE` on a Windows channel, or without a valid `X-WNS-Match` | 405, 400 |
//! | `X-WNS-Type` missing or unknown; the wrong `Content-Type`; a bad optional header; `X-WNS-SuppressPopup` on a Windows channel | 400 |
//! | a body over 5,000 bytes | 413 |
//! | the app's monthly quota used up | 429 "Monthly Quota Exceeded" |
//! | the app over its per-minute limit | 406 (documented) or 429 (observed), `Retry-After` ([`ThrottleAnswer`]) |
//! | the channel over its per-minute limit | 200, `channelthrottled` |
//! | otherwise | 200, `received` (delivered to the device, or cached while it is offline); `dropped` when the device is offline and the notification is not cached |
//!
//! The control API takes JSON bodies only (`Content-Type: application/json`, `415` otherwise;
//! objects where objects are expected), and `POST /_fake/reset`, which has no body, needs the
//! header `X-Requested-With`, so that a page of another site cannot drive the fake. Connections
//! get the fake MPNS's limits: a header timeout that is also the idle timeout (10 s,
//! [`FakeWnsBuilder::header_timeout`]) and a cap on open connections (1024,
//! [`FakeWnsBuilder::max_connections`]).
//!
//! Status headers follow the [`HeaderProfile`]: both (default), only the documented
//! `X-WNS-Status`, or only the older `X-WNS-NotificationStatus`. Every answer has an empty body,
//! a 16-hex `X-WNS-Msg-ID`, an `X-WNS-Debug-Trace`, `MS-CV` (echoed, or made) and HSTS.

mod core;
mod http;
mod model;
pub(crate) mod server;

pub use model::{
    AppCredentials, ChannelRequest, Connection, Flow, HeaderProfile, Platform, Settings,
    ThrottleAnswer, WnsChannel, WnsFault, WnsRecord,
};
pub use server::{FakeWnsBuilder, FakeWnsError};
