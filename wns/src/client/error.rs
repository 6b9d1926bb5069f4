//! Why a send did not get an answer from WNS.

use crate::{AuthError, BuildError};

/// A send that got no answer from WNS, or was refused before any I/O. WNS's answers, even
/// errors, are [`Outcome`](crate::Outcome)s, not this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The channel is not one the client may post to: not `https` on a sub-domain of
    /// `notify.windows.com`, nor a host allowed with
    /// [`ClientBuilder::allow_host`](crate::ClientBuilder::allow_host).
    #[error("refusing to send to {channel}: only https channels on *.notify.windows.com (or an allowed test host) are sent to")]
    ChannelNotAllowed {
        /// The channel URI.
        channel: String,
    },
    /// An option or request only a Windows Phone 8.1 channel takes, for another channel.
    #[error("{0} is for Windows Phone 8.1 channels only (mark the channel with ChannelUri::windows_phone)")]
    PhoneOnly(&'static str),
    /// The request could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// No token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// No answer within the client's timeout.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The connection failed (refused, reset, TLS).
    #[error("transport: {0}")]
    Transport(String),
}
