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
    /// for every request (a URI HTTP cannot carry is refused when parsed).
    request_uri: hyper::Uri,
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
    /// A port that is empty, not a number, 0 or above 65535 (which an HTTP client would
    /// otherwise quietly replace by the scheme's default port).
    #[error("channel URI {uri:?}: {why}")]
    BadPort {
        /// The URI as given.
        uri: String,
        /// What is wrong with the port (`port 99999 is out of range 1..=65535`).
        why: String,
    },
    /// A host and port HTTP cannot send to, even with its path percent-encoded (an unclosed
    /// `[`, a `%` or `\\` in the host, a character after `]`).
    #[error("channel URI {uri:?}: {authority:?} is not a host and port HTTP can send to")]
    Unsendable {
        /// The URI as given.
        uri: String,
        /// Its authority as written, between `://` and the path.
        authority: String,
    },
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
    /// its brackets; letters keep their case). A URI whose host HTTP cannot carry (for example
    /// a `%` in the host) is refused when parsed.
    ///
    /// ```
    /// let uri: mpns::ChannelUri = "http://[::1]:9000/x".parse().unwrap();
    /// assert_eq!(uri.host(), "[::1]");
    /// assert!("http://127.0.0.1%3a4040/x".parse::<mpns::ChannelUri>().is_err());
    /// ```
    pub fn host(&self) -> &str {
        self.request_uri.host().unwrap_or_default()
    }

    /// The port written in the URI, if any (always in 1..=65535: other ports are refused when
    /// the URI is parsed).
    ///
    /// ```
    /// let uri: mpns::ChannelUri = "http://127.0.0.1:9000/x".parse().unwrap();
    /// assert_eq!(uri.port(), Some(9000));
    /// assert_eq!("http://db3.notify.live.net/x".parse::<mpns::ChannelUri>().unwrap().port(), None);
    /// assert!("http://db3.notify.live.net:99999/x".parse::<mpns::ChannelUri>().is_err());
    /// ```
    pub fn port(&self) -> Option<u16> {
        self.request_uri.port_u16()
    }

    /// The URI as the HTTP client takes it.
    pub(crate) fn request_uri(&self) -> &hyper::Uri {
        &self.request_uri
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

/// A port as written after the host: one to five digits, 1..=65535.
fn check_port(p: &str) -> Result<u16, String> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {p:?} is not a number in 1..=65535"));
    }
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("port {p} is out of range 1..=65535")),
    }
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
        let unsendable = || ChannelUriError::Unsendable {
            uri: s.to_owned(),
            authority: authority.to_owned(),
        };
        let host_and_port = authority.rsplit('@').next().unwrap_or(authority);
        let after_host = match host_and_port.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once(']').ok_or_else(unsendable)?.1,
            None => host_and_port
                .find(':')
                .map_or("", |at| &host_and_port[at..]),
        };
        if !after_host.is_empty() {
            let port = after_host.strip_prefix(':').ok_or_else(unsendable)?;
            check_port(port).map_err(|why| ChannelUriError::BadPort {
                uri: s.to_owned(),
                why,
            })?;
        }
        let request_uri = request_uri(s).ok_or_else(unsendable)?;
        Ok(ChannelUri {
            text: s.to_owned(),
            authority_end: s.len() - rest.len() + authority.len(),
            request_uri,
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
        let parsed = uri.request_uri();
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
        assert_eq!(uri.request_uri().path(), "/ch/%C3%84%7B1%7D");
    }

    #[test]
    fn ports_outside_1_to_65535_and_unsendable_hosts_are_refused_when_parsed() {
        for (uri, why) in [
            ("http://h:99999/x", "port 99999 is out of range 1..=65535"),
            ("http://h:65616/x", "port 65616 is out of range 1..=65535"),
            ("http://h:0/x", "port 0 is out of range 1..=65535"),
            ("http://h:/x", "port \"\" is not a number in 1..=65535"),
            (
                "http://h:+80/x",
                "port \"+80\" is not a number in 1..=65535",
            ),
            (
                "http://h:80:80/x",
                "port \"80:80\" is not a number in 1..=65535",
            ),
            (
                "http://[::1]:99999/x",
                "port 99999 is out of range 1..=65535",
            ),
        ] {
            let err = uri.parse::<ChannelUri>().unwrap_err();
            assert!(
                matches!(err, ChannelUriError::BadPort { .. }),
                "{uri}: {err:?}"
            );
            assert!(err.to_string().ends_with(why), "{uri}: {err}");
        }
        for uri in [
            "http://[::1/x",
            "http://[::1]x/x",
            "http://127.0.0.1%3a4040/x",
            "http://h\\x/y",
        ] {
            let err = uri.parse::<ChannelUri>().unwrap_err();
            assert!(
                matches!(err, ChannelUriError::Unsendable { .. }),
                "{uri}: {err:?}"
            );
        }
        let edge: ChannelUri = "http://h:65535/x".parse().unwrap();
        assert_eq!((edge.host(), edge.port()), ("h", Some(65535)));
        let v6: ChannelUri = "https://[::1]:1/x".parse().unwrap();
        assert_eq!((v6.host(), v6.port()), ("[::1]", Some(1)));
    }
}
