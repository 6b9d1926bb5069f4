//! Send Windows Phone push notifications through MPNS (Microsoft Push Notification Service).
//!
//! The crate is split the way a push back end thinks about the job:
//! typed, validated messages ([`Toast`], [`Tile`], [`FlipTile`], [`IconicTile`], [`CycleTile`],
//! [`Raw`]) that render to exact wire payloads once, pure functions that turn a message into HTTP
//! request bytes and an HTTP answer into an [`Outcome`], and an async [`Client`] that sends them.
//!
//! Comments that mention "the recipe" mean Microsoft's .NET *Push Notification Server Side
//! Helper Library* sample this project started from: `docs/push-recipe.md` in the repository says
//! what it was and what we changed; `docs/mpns-protocol.md` is the protocol as this crate
//! understands it, with links to Microsoft's pages.
//!
//! MPNS answers are data, not errors: every answer, even a 404, is an [`Outcome`] with a
//! recommended [`Action`]. [`TransportError`] is kept for the cases where no answer came back.
//!
//! ```
//! use mpns::{ChannelUri, NotificationClass, Toast, WireRequest};
//!
//! // The channel URI the phone's app handed to your service.
//! let channel: ChannelUri = "http://127.0.0.1:9/throttledthirdparty/01.00/AAFbc87n".parse()?;
//!
//! // Validated and rendered once, here; `&` in Param is escaped once, to `&amp;`.
//! let toast = Toast::new()
//!     .text1("Hi")
//!     .text2("There")
//!     .param("/Page2.xaml?a=1&b=2")
//!     .class(NotificationClass::Immediate)
//!     .build()?;
//!
//! // The exact HTTP request MPNS will receive.
//! let request = WireRequest::notification(&channel, &toast, uuid::Uuid::nil());
//! let http = String::from_utf8(request.to_http_bytes())?;
//! println!("{http}");
//! assert!(http.starts_with("POST /throttledthirdparty/01.00/AAFbc87n HTTP/1.1\r\n"));
//! assert!(http.contains("X-WindowsPhone-Target: toast\r\n"));
//! assert!(http.ends_with("<wp:Param>/Page2.xaml?a=1&amp;b=2</wp:Param></wp:Toast></wp:Notification>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod message;
mod wire;

pub use client::{
    send_with_retry, BuildError, BulkResult, Client, ClientBuilder, Clock, ManualClock, Retried,
    Retry, RetryPolicy, Sleep, Stop, TokioClock, TransportError, TransportErrorKind,
};

pub use message::{
    CycleTile, FlipTile, IconicTile, Message, MessageError, MessageKind, NotificationClass,
    OsVersion, Raw, Tile, Toast, MAX_BODY,
};
pub use wire::{
    Action, DeviceConnectionStatus, NotificationStatus, Outcome, RetryReason, SubscriptionStatus,
};
pub use wire::{
    ChannelUri, ChannelUriError, RequestError, WireRequest, MAX_CALLBACK_BLOB, MAX_HEADER_BYTES,
};

/// The README's examples, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
