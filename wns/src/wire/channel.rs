//! Channel URIs, kept exactly as the device handed them over (WNS answers 404 to a URI that was
//! decoded or re-encoded on the way), and the rule on where a sender may post.

use std::fmt;
use std::str::FromStr;

use hyper::Uri;

/// The domain every WNS channel lives under. Its sub-domains change (`db5`, `hk2`, `wns2-by3p`,
/// ...), so only the suffix is checked.
pub const WNS_DOMAIN: &str = "notify.windows.com";

/// A channel URI as the device handed it over, parsed only enough to post to it.
///
/// Parsing checks the syntax (absolute `http` or `https` URI with a host, no user name); whether
/// the client may post there (`https` on `*.notify.windows.com`, or a host allowed for tests)
/// is [`Client`](crate::Client)'s check, before any I/O.
///
/// ```
/// let channel: wns::ChannelUri = "https://db5.notify.windows.com/?token=AwYAAAB%2bQAhY".parse()?;
/// assert!(channel.is_wns());
/// assert_eq!(channel.as_str(), "https://db5.notify.windows.com/?token=AwYAAAB%2bQAhY");
/// # Ok::<(), wns::ChannelUriError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ChannelUri {
    text: String,
    uri: Uri,
    phone: bool,
}

/// Why a text is not a channel URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelUriError {
    /// Not an absolute URI.
    #[error("not an absolute URI: {0}")]
    Syntax(String),
    /// A scheme other than `https` (or `http`, which only an allowed test host may use).
    #[error("the scheme must be https, got {0:?}")]
    Scheme(String),
    /// User information before the host.
    #[error("a channel URI carries no user name or password")]
    UserInfo,
}

impl ChannelUri {
    /// Parses a channel URI.
    pub fn parse(text: &str) -> Result<ChannelUri, ChannelUriError> {
        let uri: Uri = text
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| ChannelUriError::Syntax(e.to_string()))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| ChannelUriError::Syntax("no scheme".into()))?;
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return Err(ChannelUriError::Scheme(scheme.to_owned()));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| ChannelUriError::Syntax("no host".into()))?;
        if authority.as_str().contains('@') {
            return Err(ChannelUriError::UserInfo);
        }
        if authority.host().is_empty() {
            return Err(ChannelUriError::Syntax("no host".into()));
        }
        Ok(ChannelUri {
            text: text.to_owned(),
            uri,
            phone: false,
        })
    }

    /// Marks the channel as a Windows Phone 8.1 app's: only such channels take
    /// [`Options::suppress_popup`](crate::Options::suppress_popup) and
    /// [`Client::delete`](crate::Client::delete). The URI does not say which platform it
    /// belongs to; the device that registered it does.
    pub fn windows_phone(mut self) -> ChannelUri {
        self.phone = true;
        self
    }

    /// Whether it is marked as a Windows Phone 8.1 channel.
    pub fn is_windows_phone(&self) -> bool {
        self.phone
    }

    /// The URI, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `host:port`, or `host` without an explicit port, lower-cased.
    pub fn authority(&self) -> String {
        self.uri
            .authority()
            .map(|a| a.as_str().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Whether it is an `https` URI on a sub-domain of `notify.windows.com`.
    pub fn is_wns(&self) -> bool {
        let host = self.uri.host().unwrap_or_default().to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        self.is_https()
            && host.len() > WNS_DOMAIN.len() + 1
            && host.ends_with(WNS_DOMAIN)
            && host.as_bytes()[host.len() - WNS_DOMAIN.len() - 1] == b'.'
    }

    pub(crate) fn is_https(&self) -> bool {
        self.uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
    }

    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request target: path and query, as given.
    pub fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    }
}

impl FromStr for ChannelUri {
    type Err = ChannelUriError;
    fn from_str(s: &str) -> Result<ChannelUri, ChannelUriError> {
        ChannelUri::parse(s)
    }
}

impl fmt::Display for ChannelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for ChannelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelUri({:?}", self.text)?;
        if self.phone {
            f.write_str(", windows phone")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sub_domains_of_notify_windows_com_over_https_are_wns() {
        let wns = |s: &str| ChannelUri::parse(s).unwrap().is_wns();
        assert!(wns("https://db5.notify.windows.com/?token=x"));
        assert!(wns("https://WNS2-BY3P.Notify.Windows.com/?token=x"));
        assert!(!wns("http://db5.notify.windows.com/?token=x"));
        assert!(!wns("https://notify.windows.com/?token=x"));
        assert!(!wns("https://evilnotify.windows.com/?token=x"));
        assert!(!wns("https://db5.notify.windows.com.evil.example/?token=x"));
    }

    #[test]
    fn other_schemes_user_names_and_relative_uris_are_refused() {
        assert!(matches!(
            ChannelUri::parse("ftp://db5.notify.windows.com/"),
            Err(ChannelUriError::Scheme(_))
        ));
        assert_eq!(
            ChannelUri::parse("https://u:p@db5.notify.windows.com/"),
            Err(ChannelUriError::UserInfo)
        );
        assert!(matches!(
            ChannelUri::parse("/?token=x"),
            Err(ChannelUriError::Syntax(_))
        ));
    }
}
