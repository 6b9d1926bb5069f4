//! Rules for what phones may send the service. The channel URI matters most: the service later
//! POSTs to it, so an unchecked one would turn the service into a request forwarder to any
//! host, including the operator's private network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::field::FieldError;
use mpns::{ChannelUri, OsVersion};

/// The longest user name, in characters.
pub const MAX_USER_NAME_CHARS: usize = 64;
/// The longest channel URI accepted, in bytes. Real ones are about 150; the limit only keeps
/// a hostile one from filling the database (the column itself is unbounded text).
pub const MAX_CHANNEL_URI_BYTES: usize = 2048;
const MAX_OS_VERSION_BYTES: usize = 32;
const LIVE_SUFFIX: &str = ".notify.live.net";
/// The longest DNS name, in characters (RFC 1035 §2.3.4, without the trailing dot).
const MAX_DNS_NAME: usize = 253;
/// The longest DNS label.
const MAX_DNS_LABEL: usize = 63;

/// Which hosts channel URIs may point at: any subdomain of `notify.live.net` (on the scheme's
/// default port), plus the exact `host` or `host:port` entries the operator adds; and on those
/// hosts, which paths: only channel paths (see [`AllowedHosts::check`]), so that an allowed host
/// does not open all its paths (a fake MPNS's `/_fake/reset`, say).
///
/// ```
/// use mpns_service::registration::AllowedHosts;
///
/// let hosts = AllowedHosts::default().with_host("127.0.0.1:4040").unwrap();
/// assert!(hosts.check("http://db3.notify.live.net/throttledthirdparty/01.00/AAF").is_ok());
/// assert!(hosts.check("http://127.0.0.1:4040/throttledthirdparty/01.00/AAF").is_ok());
/// let refused = hosts.check("http://127.0.0.1:4040/_fake/reset").unwrap_err();
/// assert!(refused.to_string().contains("not a channel path"));
/// let refused = hosts.check("http://x.notify.live.net@evil.example/").unwrap_err();
/// assert!(refused.to_string().contains("user information"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    live: bool,
    exact: Vec<(String, Option<u16>)>,
}

impl Default for AllowedHosts {
    /// `*.notify.live.net` only.
    fn default() -> Self {
        AllowedHosts {
            live: true,
            exact: Vec::new(),
        }
    }
}

impl AllowedHosts {
    /// No host at all; add the ones to allow with [`AllowedHosts::with_host`].
    pub fn none() -> AllowedHosts {
        AllowedHosts {
            live: false,
            exact: Vec::new(),
        }
    }

    /// Also allows exactly `host` (on the scheme's default port) or `host:port`. IP literals
    /// are allowed here, and only here: `127.0.0.1:4040`, `[::1]:4040`, `fake-mpns.test`.
    ///
    /// # Errors
    /// A message naming the problem when `entry` is not a host name or IP with optional port.
    pub fn with_host(mut self, entry: &str) -> Result<AllowedHosts, String> {
        let (host, port) = split_host_port(entry)
            .map_err(|why| format!("allowed host {entry:?} is not host[:port]: {why}"))?;
        if !is_ip_literal(&host) && !is_dns_name(&host) {
            return Err(format!(
                "allowed host {entry:?} is not host[:port]: {host:?} is neither a DNS name nor an IP address"
            ));
        }
        self.exact.push((host, port));
        Ok(self)
    }

    /// Checks an untrusted channel URI; `Ok` gives it parsed.
    ///
    /// After the scheme and host, the rest of the URI must be a channel path, with no query
    /// or fragment (docs/mpns-protocol.md §1.1):
    /// - on every allowed host, `/throttledthirdparty/01.00/<token>` or
    ///   `/unthrottledthirdparty/01.00/<token>`, the shapes the fake MPNS hands out;
    /// - on `*.notify.live.net` also the later WP8 shape `/u/1/<dc>/<token>/<seg>...`: 2 to 8
    ///   segments after `/u/1/`.
    ///
    /// A token or segment is 1 or more of `A-Z a-z 0-9 - _ = . ~` (base64url and the
    /// characters of real tokens), not only dots (`.` and `..` are path steps).
    ///
    /// # Errors
    /// A [`FieldError`] on field `channel_uri`, saying which rule it broke.
    pub fn check(&self, uri: &str) -> Result<ChannelUri, FieldError> {
        let invalid =
            |code: &'static str, message: String| FieldError::new("channel_uri", code, message);
        not_too_long(uri)?;
        let channel: ChannelUri = uri.parse().map_err(|e: mpns::ChannelUriError| {
            let code = match &e {
                mpns::ChannelUriError::Scheme(_) => "scheme_not_allowed",
                mpns::ChannelUriError::NoHost(_) => "no_host",
                mpns::ChannelUriError::BadCharacter(_) => "bad_character",
                mpns::ChannelUriError::Unsendable { authority, .. }
                    if authority.contains('\\') || authority.contains('%') =>
                {
                    return escaped_host(uri);
                }
                mpns::ChannelUriError::BadPort { .. }
                | mpns::ChannelUriError::Unsendable { .. } => "bad_host",
            };
            invalid(code, e.to_string())
        })?;
        // The checks read the URI as the sender parsed it: the authority as written, and the
        // host and port the HTTP client will connect to (a port outside 1..=65535 and a host
        // HTTP cannot carry were refused by the parse).
        let https = channel.is_https();
        let authority = channel.authority();
        if authority.contains('@') {
            return Err(invalid(
                "userinfo_not_allowed",
                format!("channel URI {uri:?} contains user information (an '@' before the host); channel URIs never do"),
            ));
        }
        if authority.contains('\\') || authority.contains('%') {
            return Err(escaped_host(uri));
        }
        let host = channel.host();
        let port = channel.port();
        let host = host.to_ascii_lowercase();
        let default_port = if https { 443 } else { 80 };
        let effective = port.unwrap_or(default_port);

        for (allowed, allowed_port) in &self.exact {
            if *allowed == host && allowed_port.unwrap_or(default_port) == effective {
                return channel_path(&channel, false).map(|()| channel);
            }
        }
        if is_ip_literal(&host) {
            let ip = match host.strip_prefix('[') {
                Some(v6) => v6.trim_end_matches(']').parse::<IpAddr>().ok(),
                None => loose_ipv4(&host).map(IpAddr::V4),
            };
            let what = match ip {
                Some(ip) if is_private(ip) => "a private, loopback or link-local address",
                _ => "an IP address",
            };
            return Err(invalid(
                "host_not_allowed",
                format!(
                    "channel URI host {host} is {what}; only *.notify.live.net and the configured push hosts are allowed"
                ),
            ));
        }
        if self.live && host.ends_with(LIVE_SUFFIX) {
            if let Some(problem) = dns_name_problem(&host) {
                return Err(invalid("bad_host", format!("channel URI host {problem}")));
            }
        }
        if self.live && is_live_host(&host) {
            if effective != default_port {
                return Err(invalid(
                    "port_not_allowed",
                    format!(
                        "channel URI port {effective} is not allowed for {host}; MPNS hosts use the default port {default_port}"
                    ),
                ));
            }
            return channel_path(&channel, true).map(|()| channel);
        }
        Err(invalid(
            "host_not_allowed",
            format!(
                "channel URI host {} is not an allowed push host; allowed: {}",
                display_host(&host, port),
                self.describe("*.notify.live.net")
            ),
        ))
    }

    /// Checks an untrusted WNS channel URI; `Ok` gives it parsed for the `wns` client.
    ///
    /// A WNS channel is `https` on a sub-domain of `notify.windows.com` (allowed wherever
    /// `*.notify.live.net` is: the real push services) on the default port, or on an exactly
    /// allowed host (a fake WNS, which serves https too), with the path `/` and the query
    /// `token=<token>`, the token 1 or more of `A-Z a-z 0-9 % - _ . ~` (docs/wns-protocol.md).
    ///
    /// # Errors
    /// A [`FieldError`] on field `channel_uri`, saying which rule it broke.
    pub fn check_wns(&self, uri: &str) -> Result<wns::ChannelUri, FieldError> {
        let invalid =
            |code: &'static str, message: String| FieldError::new("channel_uri", code, message);
        not_too_long(uri)?;
        let channel = wns::ChannelUri::parse(uri).map_err(|e| {
            let code = match e {
                wns::ChannelUriError::Scheme(_) => "scheme_not_allowed",
                wns::ChannelUriError::UserInfo => "userinfo_not_allowed",
                _ => "bad_uri",
            };
            invalid(code, format!("channel URI {uri:?}: {e}"))
        })?;
        let parsed: hyper::Uri = uri
            .parse()
            .map_err(|e| invalid("bad_uri", format!("channel URI {uri:?}: {e}")))?;
        if !parsed
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
        {
            return Err(invalid(
                "scheme_not_allowed",
                format!("WNS channel URI {uri:?} is not https; WNS channels always are"),
            ));
        }
        let authority = channel.authority();
        if authority.contains('\\') || authority.contains('%') {
            return Err(escaped_host(uri));
        }
        let host = parsed.host().unwrap_or_default().to_ascii_lowercase();
        let port = parsed.port_u16();
        let effective = port.unwrap_or(443);
        let exact = self
            .exact
            .iter()
            .any(|(h, p)| *h == host && p.unwrap_or(443) == effective);
        let real_wns = self.live && channel.is_wns() && effective == 443;
        if !(exact || real_wns) {
            return Err(invalid(
                "host_not_allowed",
                format!(
                    "WNS channel URI host {} is not an allowed push host; allowed: {}",
                    display_host(&host, port),
                    self.describe("*.notify.windows.com")
                ),
            ));
        }
        let rest = uri
            .len()
            .checked_sub(channel.path_and_query().len())
            .and_then(|start| uri.get(start..))
            .unwrap_or("");
        let token = rest.strip_prefix("/?token=").unwrap_or("");
        let token_ok = !token.is_empty()
            && token.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'%' | b'-' | b'_' | b'.' | b'~')
            });
        if !uri.ends_with(channel.path_and_query()) || !token_ok {
            return Err(invalid(
                "not_a_channel_path",
                format!(
                    "WNS channel URI {uri:?} is not a channel path: expected /?token=<token> after the host"
                ),
            ));
        }
        Ok(channel)
    }

    /// The hosts allowed, for an error message: `live` is how the live service's hosts are
    /// written (`*.notify.live.net` for MPNS, `*.notify.windows.com` for WNS).
    fn describe(&self, live: &str) -> String {
        let mut parts = Vec::new();
        if self.live {
            parts.push(live.to_owned());
        }
        for (host, port) in &self.exact {
            parts.push(display_host(host, *port));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A channel URI of at most [`MAX_CHANNEL_URI_BYTES`], MPNS's or WNS's.
fn not_too_long(uri: &str) -> Result<(), FieldError> {
    if uri.len() > MAX_CHANNEL_URI_BYTES {
        return Err(FieldError::new(
            "channel_uri",
            "too_long",
            format!(
                "channel_uri is {} bytes long; the limit is {MAX_CHANNEL_URI_BYTES}",
                uri.len()
            ),
        ));
    }
    Ok(())
}

/// Whether `uri`'s path is a channel path (see [`AllowedHosts::check`]); `live` allows the
/// later WP8 shape of `*.notify.live.net` too.
fn channel_path(uri: &ChannelUri, live: bool) -> Result<(), FieldError> {
    let text = uri.as_str();
    let scheme = if uri.is_https() { 8 } else { 7 };
    let rest = &text[scheme + uri.authority().len()..];
    let refuse = |why: String| {
        let shapes = if live {
            "/throttledthirdparty/01.00/<token>, /unthrottledthirdparty/01.00/<token> or /u/1/<dc>/<token>/..."
        } else {
            "/throttledthirdparty/01.00/<token> or /unthrottledthirdparty/01.00/<token>"
        };
        Err(FieldError::new(
            "channel_uri",
            "path_not_allowed",
            format!("channel URI path {rest:?} is not a channel path: {why}; expected {shapes}"),
        ))
    };
    if rest.contains(['?', '#']) {
        return refuse("channel URIs have no query or fragment".to_owned());
    }
    let segments: Vec<&str> = match rest.strip_prefix('/') {
        Some(path) => path.split('/').collect(),
        None => return refuse("there is no path".to_owned()),
    };
    let (expected, tokens) = match segments.as_slice() {
        ["throttledthirdparty" | "unthrottledthirdparty", "01.00", tokens @ ..] => (1..=1, tokens),
        ["u", "1", tokens @ ..] if live => (2..=8, tokens),
        _ => return refuse("it does not start with a channel prefix".to_owned()),
    };
    if !expected.contains(&tokens.len()) {
        return refuse(format!(
            "{} segment(s) after the prefix, where {}..={} are expected",
            tokens.len(),
            expected.start(),
            expected.end()
        ));
    }
    if let Some(bad) = tokens.iter().find(|t| !is_token(t)) {
        return refuse(format!(
            "the token {bad:?} is not 1 or more of A-Z a-z 0-9 - _ = . ~ (and not only dots)"
        ));
    }
    Ok(())
}

/// A channel token or path segment: base64url and `=.~`, not empty, not only dots.
fn is_token(t: &str) -> bool {
    !t.is_empty()
        && !t.bytes().all(|b| b == b'.')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'.' | b'~'))
}

/// Why `host` cannot be a DNS name by length: over 253 characters, or a label over 63.
fn dns_name_problem(host: &str) -> Option<String> {
    if host.len() > MAX_DNS_NAME {
        return Some(format!(
            "is {} characters long; DNS names are at most {MAX_DNS_NAME}",
            host.len()
        ));
    }
    host.split('.').find(|l| l.len() > MAX_DNS_LABEL).map(|l| {
        format!(
            "has a label of {} characters ({}...); DNS labels are at most {MAX_DNS_LABEL}",
            l.len(),
            l.chars().take(16).collect::<String>()
        )
    })
}

fn display_host(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// Splits an allowed-host entry `host[:port]` (with `[v6]` brackets kept in the host),
/// lowercasing the host.
fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(after) = authority.strip_prefix('[') {
        let close = after
            .find(']')
            .ok_or_else(|| "an IPv6 address is missing its ']'".to_owned())?;
        let host = &authority[..close + 2];
        match &authority[close + 2..] {
            "" => (host, None),
            p => (
                host,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("unexpected {p:?} after the IPv6 address"))?,
                ),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the host is empty".to_owned());
    }
    let port = port.map(parse_port).transpose()?;
    Ok((host.to_ascii_lowercase(), port))
}

/// A port: 1 to 5 digits (no sign), in `1..=65535`.
fn parse_port(p: &str) -> Result<u16, String> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {p:?} is not a number in 1..=65535"));
    }
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("port {p} is out of range 1..=65535")),
    }
}

/// A backslash or percent-escape in the host: refused whether or not HTTP could carry it.
fn escaped_host(uri: &str) -> FieldError {
    FieldError::new(
        "channel_uri",
        "bad_character",
        format!("channel URI {uri:?} has a backslash or percent-escape in its host"),
    )
}

/// `*.notify.live.net`: at least one label before the suffix, each label a DNS label, the
/// whole name at most 253 characters.
fn is_live_host(host: &str) -> bool {
    match host.strip_suffix(LIVE_SUFFIX) {
        Some(prefix) if !prefix.is_empty() => host.len() <= MAX_DNS_NAME && is_dns_name(prefix),
        _ => false,
    }
}

/// Letters, digits and inner hyphens in non-empty labels of at most 63 bytes; no trailing dot.
fn is_dns_name(name: &str) -> bool {
    name.len() <= MAX_DNS_NAME
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_DNS_LABEL
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        // An all-numeric last label is an IPv4 form (`127.1`, `2130706433`), not a name.
        && !name
            .rsplit('.')
            .next()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
}

/// Anything a resolver or HTTP stack might read as an IP address: bracketed IPv6, dotted
/// IPv4, and the short, decimal, octal and hex IPv4 forms (`127.1`, `2130706433`, `0x7f.1`).
fn is_ip_literal(host: &str) -> bool {
    if host.starts_with('[') {
        return true;
    }
    host.split('.').all(|part| {
        let digits = part
            .strip_prefix("0x")
            .map(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
        digits.unwrap_or(!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Reads IPv4 the way `inet_aton` does: one to four parts, each decimal, octal (leading `0`)
/// or hex (`0x`), the last part filling the remaining bytes (`127.1` is 127.0.0.1).
fn loose_ipv4(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        let value = if let Some(hex) = part.strip_prefix("0x") {
            u32::from_str_radix(hex, 16).ok()?
        } else if part.len() > 1 && part.starts_with('0') {
            u32::from_str_radix(&part[1..], 8).ok()?
        } else {
            part.parse::<u32>().ok()?
        };
        values.push(value);
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|&v| v > 255) {
        return None;
    }
    let tail_bits = 8 * (4 - head.len() as u32);
    if tail_bits < 32 && *last >> tail_bits != 0 {
        return None;
    }
    let mut addr = *last;
    for (i, &v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(addr))
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link-local
                || v6.to_ipv4_mapped().is_some_and(is_private_v4)
                || v6 == Ipv6Addr::LOCALHOST
        }
    }
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // carrier-grade NAT
}

/// A user name: 1..=64 characters, no control or invisible formatting characters, no
/// leading or trailing whitespace. Anything else (letters of any script, digits, spaces inside,
/// punctuation) is fine; names are compared exactly.
///
/// # Errors
/// A [`FieldError`] on field `user_name`, naming the rule.
/// A user name in Unicode Normalization Form C. Phones may send the same visible name in
/// different forms (`José` with a precomposed `é`, or `Jose` followed by U+0301); without this
/// they would register as two users, and one of them would never get its pushes. Every route
/// normalises a name here before checking its length (in characters, so NFC's) and storing it.
pub(crate) fn nfc(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfc().collect()
}

pub(crate) fn check_user_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err(FieldError::new(
            field,
            "empty",
            format!("{field} is empty; it must be 1..={MAX_USER_NAME_CHARS} characters"),
        ));
    }
    if chars > MAX_USER_NAME_CHARS {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("{field} is {chars} characters long; the limit is {MAX_USER_NAME_CHARS}"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| c.is_control() || is_invisible_format(c))
    {
        return Err(FieldError::new(
            field,
            "bad_character",
            format!(
                "{field} contains the control or invisible character U+{:04X}",
                bad as u32
            ),
        ));
    }
    if name.trim() != name {
        return Err(FieldError::new(
            field,
            "surrounding_whitespace",
            format!("{field} {name:?} starts or ends with whitespace"),
        ));
    }
    Ok(())
}

/// Zero-width and bidirectional formatting characters, which make two names look alike.
fn is_invisible_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064
        | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB)
}

/// Reads the OS version a phone reports: short forms (`7.0`, `7.1`, `7.5`, `7.8`, `8.0`,
/// `8.1`) or `Environment.OSVersion` as the phone prints it (`7.10.7720.68`, `8.0.10492.0`).
/// Later versions (8.1, 10) map to the newest level the crate knows.
pub(crate) fn parse_os_version(s: &str) -> Option<OsVersion> {
    let mut parts = s.split('.');
    let number = |p: Option<&str>| -> Option<Option<u32>> {
        match p {
            None => Some(None),
            Some(p) if !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok().map(Some)
            }
            Some(_) => None,
        }
    };
    let major = number(parts.next())??;
    let minor = number(parts.next())??;
    let build = number(parts.next())?;
    let _revision = number(parts.next())?;
    if parts.next().is_some() {
        return None;
    }
    Some(match (major, minor) {
        (7, 0) => OsVersion::V7_0,
        // 7.10 is how 7.5 ("Mango") reports itself; builds from 8858 on are 7.8.
        (7, 1 | 5 | 10) if build.unwrap_or(0) >= 8858 => OsVersion::V7_8,
        (7, 1 | 5 | 10) => OsVersion::V7_1,
        (7, 8) => OsVersion::V7_8,
        (8, 0) if build.unwrap_or(0) >= 10492 => OsVersion::V8_0Gdr3,
        (8, 0) => OsVersion::V8_0,
        (8, _) | (9..=99, _) => OsVersion::V8_0Gdr3,
        _ => return None,
    })
}

/// Checks the version a Windows 10 or 11 device reports with a WNS registration: `10` or `11`,
/// or a full version such as `10.0.22631.4460` (Windows 11 reports 10.0 with a build of 22000
/// or more).
pub(crate) fn check_windows_version(s: &str) -> Result<(), FieldError> {
    let ok = s.len() <= MAX_OS_VERSION_BYTES
        && (s == "10" || s == "11" || s.starts_with("10.") || s.starts_with("11."))
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "os_version",
            "unknown",
            format!(
                "os_version {s:?} is not a Windows 10 or 11 version; expected 10, 11 or a full version such as 10.0.22631.4460"
            ),
        ))
    }
}

pub(crate) fn check_os_version(s: &str) -> Result<OsVersion, FieldError> {
    if s.len() > MAX_OS_VERSION_BYTES {
        return Err(FieldError::new(
            "os_version",
            "too_long",
            format!(
                "os_version is {} bytes long; the limit is {MAX_OS_VERSION_BYTES}",
                s.len()
            ),
        ));
    }
    parse_os_version(s).ok_or_else(|| {
        FieldError::new(
            "os_version",
            "unknown",
            format!(
                "os_version {s:?} is not a Windows Phone version; expected 7.0, 7.1, 7.5, 7.8, 8.0, 8.1 or a full version such as 8.0.10492.0"
            ),
        )
    })
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
