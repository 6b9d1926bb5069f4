//! Send Windows push notifications through WNS (Windows Push Notification Services), the
//! successor of MPNS that Windows 10 and 11 apps use.
//!
//! The crate pulls nothing of the `mpns` crate. It is split as that one is: typed, validated
//! notifications ([`Toast`], [`Tile`], [`LegacyTile`], [`Badge`], [`Raw`]) rendered once into a
//! [`Notification`]; pure wire work ([`WireRequest`] writes the exact request,
//! [`Outcome::from_parts`] reads the answer with the [`Action`] to take); OAuth tokens
//! ([`Credentials`] for both flows, [`parse_token_answer`]); and an async [`Client`] that keeps
//! one token, refreshes it before it expires and once per 401, whatever the concurrency.
//!
//! `docs/wns-protocol.md` in the repository is the protocol as this crate understands it, with
//! links to Microsoft's pages.
//!
//! ```
//! use wns::{ChannelUri, Options, Priority, Toast, WireRequest};
//!
//! let channel: ChannelUri = "https://db5.notify.windows.com/?token=AwYAAAB%2bQAhY".parse()?;
//! let toast = Toast::new()
//!     .text("Ann & Bob")
//!     .text("Lunch at 1?")
//!     .build()?
//!     .with_options(Options::new().priority(Priority::High).tag("lunch"))?;
//!
//! let http = String::from_utf8(WireRequest::notification(&channel, &toast, "EgAcAQ").to_http_bytes())?;
//! assert!(http.starts_with("POST /?token=AwYAAAB%2bQAhY HTTP/1.1\r\n"));
//! assert!(http.contains("X-WNS-Tag: lunch\r\nX-WNS-PRIORITY: 1\r\n"));
//! assert!(http.ends_with(
//!     "<toast><visual><binding template=\"ToastGeneric\"><text>Ann &amp; Bob</text><text>Lunch at 1?</text></binding></visual></toast>"
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auth;
mod client;
mod message;
mod wire;

pub use auth::{
    parse_token_answer, AuthError, Credentials, Token, ENTRA_SCOPE, STORE_SCOPE, STORE_TOKEN_URL,
};
pub use client::{
    BulkResult, Client, ClientBuilder, Clock, RetryPolicy, SendError, Sleep, SystemClock,
};
pub use message::{
    ActivationType, Audio, Badge, BuildError, CachePolicy, Glyph, Image, ImagePlacement, Input,
    Kind, LegacyTile, Notification, Options, Priority, Raw, Scenario, Tile, TileBinding,
    TileImagePlacement, TileSize, TileTextStyle, Toast, ToastAction, ToastDuration, MAX_PAYLOAD,
    MAX_TAG,
};
pub use wire::{
    Action, ChannelUri, ChannelUriError, DeviceConnectionStatus, Match, NotificationStatus,
    Outcome, WireRequest, WNS_DOMAIN,
};
