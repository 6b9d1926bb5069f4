//! Send Windows Phone push notifications through MPNS (Microsoft Push Notification Service).
//!
//! The crate is split the way a push back end thinks about the job:
//! typed, validated messages ([`Toast`], [`Tile`], [`FlipTile`], [`IconicTile`], [`CycleTile`],
//! [`Raw`]) that render to exact wire payloads once, pure functions that turn a message into HTTP
//! request bytes and an HTTP answer into an [`Outcome`], and an async [`Client`] that sends them.
//!
//! MPNS answers are data, not errors: every answer, even a 404, is an [`Outcome`] with a
//! recommended [`Action`]. [`TransportError`] is kept for the cases where no answer came back.

mod client;
mod message;
mod wire;

pub use client::{
    send_with_retry, BuildError, BulkResult, Client, ClientBuilder, Clock, ManualClock, Retried,
    Retry, RetryPolicy, Sleep, Stop, TokioClock, TransportError, TransportErrorKind,
};

pub use message::{
    CycleTile, FlipTile, IconicTile, Message, MessageError, MessageKind, NotificationClass,
    OsVersion, Raw, Tile, Toast,
};
pub use wire::{
    Action, DeviceConnectionStatus, NotificationStatus, Outcome, RetryReason, SubscriptionStatus,
};
pub use wire::{
    ChannelUri, ChannelUriError, RequestError, WireRequest, MAX_CALLBACK_BLOB, MAX_HEADER_BYTES,
};
