//! Pure wire work: channel URIs, the request a notification becomes, and the answer read back.

mod channel;
mod request;
mod response;

pub use channel::{ChannelUri, ChannelUriError, WNS_DOMAIN};
pub use request::{Match, WireRequest};
pub use response::{Action, DeviceConnectionStatus, NotificationStatus, Outcome};
