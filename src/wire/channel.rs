//! A channel URI: where MPNS accepts notifications for one app on one device.

use std::fmt;
use std::str::FromStr;

/// An absolute `http` or `https` channel URI, as the phone's push client handed it out.
///
/// ```
/// let uri: mpns::ChannelUri = "http://db3.notify.live.net/throttledthirdparty/01.00/AAF".parse().unwrap();
/// assert_eq!(uri.as_str(), "http://db3.notify.live.net/throttledthirdparty/01.00/AAF");
/// assert!("ftp://example.com/x".parse::<mpns::ChannelUri>().is_err());
/// assert!("HTTPS://host/unthrottledthirdparty/01.00/AAE".parse::<mpns::ChannelUri>().unwrap().is_https());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelUri(String);

/// Why a string is not a usable channel URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelUriError {
    /// The scheme is neither `http` nor `https`.
    #[error("channel URI {0:?} must start with http:// or https://")]
    Scheme(String),
    /// No host after the scheme.
    #[error("channel URI {0:?} has no host")]
    NoHost(String),
    /// Whitespace or control characters, which cannot be sent in a request line.
    #[error("channel URI {0:?} contains whitespace or control characters")]
    BadCharacter(String),
}

impl ChannelUri {
    /// The URI as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the channel is on TLS (authenticated channels are).
    pub fn is_https(&self) -> bool {
        self.0
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }
}

impl FromStr for ChannelUri {
    type Err = ChannelUriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ChannelUriError::BadCharacter(s.to_owned()));
        }
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &s[8..]
        } else if lower.starts_with("http://") {
            &s[7..]
        } else {
            return Err(ChannelUriError::Scheme(s.to_owned()));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.starts_with(':') {
            return Err(ChannelUriError::NoHost(s.to_owned()));
        }
        Ok(ChannelUri(s.to_owned()))
    }
}

impl fmt::Display for ChannelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
