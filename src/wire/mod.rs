//! Pure functions between messages and HTTP: no sockets here, so everything is testable as data.

mod channel;
mod request;

pub use channel::{ChannelUri, ChannelUriError};
pub use request::WireRequest;
