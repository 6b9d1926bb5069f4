//! Pure functions between messages and HTTP: no sockets here, so everything is testable as data.

mod channel;
mod request;
mod response;

pub(crate) use channel::request_uri;
pub use channel::{ChannelUri, ChannelUriError};
pub(crate) use request::{notification_headers, MESSAGE_ID};
pub use request::{RequestError, WireRequest, MAX_CALLBACK_BLOB, MAX_HEADER_BYTES};
pub use response::{
    Action, DeviceConnectionStatus, NotificationStatus, Outcome, RetryReason, SubscriptionStatus,
};
