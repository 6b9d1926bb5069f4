//! A channel URI: where MPNS accepts notifications for one app on one device.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// An absolute `http` or `https` channel URI, as the phone's push client handed it out.
///
/// ```
/// let uri: mpns::ChannelUri = "http://db3.notify.live.net/throttledthirdparty/01.00/AAF".parse().unwrap();
/// assert_eq!(uri.as_str(), "http://db3.notify.live.net/throttledthirdparty/01.00/AAF");
/// assert!("ftp://example.com/x".parse::<mpns::ChannelUri>().is_err());
/// assert!("HTTPS://host/unthrottledthirdparty/01.00/AAE".parse::<mpns::ChannelUri>().unwrap().is_https());
/// ```
#[derive(Clone)]
pub struct ChannelUri {
    text: String,
    /// Where the authority (`[userinfo@]host[:port]`) ends in `text`; it starts after `://`.
    authority_end: usize,
    /// The URI parsed once for the HTTP client, so that a bulk send does not parse it again
    /// for every request; `None` if HTTP cannot carry it (sending it is then an error).
    request_uri: Option<hyper::Uri>,
}

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
        &self.text
    }

    /// Whether the channel is on TLS (authenticated channels are).
    pub fn is_https(&self) -> bool {
        self.text
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// The authority as written, `[userinfo@]host[:port]`: everything between `://` and the
    /// path, query or fragment.
    ///
    /// ```
    /// let uri: mpns::ChannelUri = "http://ann@db3.notify.live.net:80/x?y".parse().unwrap();
    /// assert_eq!(uri.authority(), "ann@db3.notify.live.net:80");
    /// ```
    pub fn authority(&self) -> &str {
        let start = if self.is_https() { 8 } else { 7 };
        &self.text[start..self.authority_end]
    }

    /// The host the sender connects to, as the HTTP client parsed it (an IPv6 address keeps
    /// its brackets; letters keep their case); `None` if HTTP cannot carry this URI (for
    /// example a `%` in the host), in which case sending to it fails.
    ///
    /// ```
    /// let uri: mpns::ChannelUri = "http://[::1]:9000/x".parse().unwrap();
    /// assert_eq!(uri.host(), Some("[::1]"));
    /// let escaped: mpns::ChannelUri = "http://127.0.0.1%3a4040/x".parse().unwrap();
    /// assert_eq!(escaped.host(), None);
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.request_uri.as_ref()?.host()
    }

    /// The URI as the HTTP client takes it.
    pub(crate) fn request_uri(&self) -> Option<&hyper::Uri> {
        self.request_uri.as_ref()
    }
}

/// The URI for the request line. Characters a URI may not hold (non-ASCII, quotes, braces) are
/// percent-encoded, as a browser would; a URI HTTP still cannot carry gives `None`.
pub(crate) fn request_uri(text: &str) -> Option<hyper::Uri> {
    let allowed = |byte: u8| byte.is_ascii() && !b"\"<>\\^`{|}".contains(&byte);
    if text.bytes().all(allowed) {
        return hyper::Uri::try_from(text).ok();
    }
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if allowed(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    hyper::Uri::try_from(encoded).ok()
}

// Equality, hashing and `Debug` are those of the text; the parsed URI is derived from it.
impl PartialEq for ChannelUri {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for ChannelUri {}

impl Hash for ChannelUri {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Debug for ChannelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChannelUri").field(&self.text).finish()
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
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.starts_with(':') {
            return Err(ChannelUriError::NoHost(s.to_owned()));
        }
        Ok(ChannelUri {
            text: s.to_owned(),
            authority_end: s.len() - rest.len() + authority.len(),
            request_uri: request_uri(s),
        })
    }
}

impl fmt::Display for ChannelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_uri_is_parsed_once_and_keeps_the_text() {
        let uri: ChannelUri = "http://h:9/throttledthirdparty/01.00/AAF?x=1"
            .parse()
            .unwrap();
        let parsed = uri.request_uri().unwrap();
        assert_eq!(parsed.authority().unwrap().as_str(), "h:9");
        assert_eq!(
            parsed.path_and_query().unwrap().as_str(),
            "/throttledthirdparty/01.00/AAF?x=1"
        );
    }

    #[test]
    fn characters_http_does_not_allow_are_percent_encoded_in_the_request_uri() {
        let uri: ChannelUri = "http://h/ch/Ä{1}".parse().unwrap();
        assert_eq!(uri.as_str(), "http://h/ch/Ä{1}");
        assert_eq!(uri.request_uri().unwrap().path(), "/ch/%C3%84%7B1%7D");
    }
}
