//! Downloading a remote tile image the way the phone did: over real HTTP, small, and quickly.
//!
//! The phone gave up on a tile image larger than 80 KB or slower than 15 s and left the tile as
//! it was (docs/mpns-protocol.md §5.7, §6.6). Both limits are enforced here, the time on the injected
//! [`Clock`] so that a test can make a download "take" 15 s by advancing a virtual clock while
//! its server holds the answer.
//!
//! # Decisions where the documentation is silent
//!
//! - **Status**: only a 2xx answer is an image; redirects follow the `reqwest::Client`'s policy.
//! - **Content type**: `image/*` and `application/octet-stream` are accepted, and so is an
//!   answer without a `Content-Type`; anything else (an HTML error page served with 200, JSON,
//!   text) is refused before the body is read.
//! - **Format**: the phone's tiles showed PNG and JPEG only, so the body must start with the
//!   PNG signature (`89 50 4E 47 0D 0A 1A 0A`) or the JPEG one (`FF D8 FF`); an empty body is
//!   refused too. Nothing further is decoded.
//! - **Size**: a `Content-Length` over the limit is refused before the body is read; without
//!   one, the body is streamed and the download stops at the first chunk that would take it
//!   over the limit (that chunk is not kept). Exactly the limit is allowed.
//! - **Time**: the limit covers the whole download (connect, headers and body). On a virtual
//!   clock only virtual time counts: a download never times out while the clock stands still.

use crate::Clock;
use bytes::{Bytes, BytesMut};
use reqwest::Url;
use std::time::Duration;

/// The largest tile image the phone took (80 KB).
pub const MAX_IMAGE_BYTES: u64 = 80 * 1024;

/// How long the phone waited for a tile image (15 s).
pub const IMAGE_TIMEOUT: Duration = Duration::from_secs(15);

/// The limits of one image download. The default is the phone's: 80 KB within 15 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// The largest body accepted, in bytes (inclusive).
    pub max_bytes: u64,
    /// The longest the whole download may take, measured on the [`Clock`].
    pub timeout: Duration,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            max_bytes: MAX_IMAGE_BYTES,
            timeout: IMAGE_TIMEOUT,
        }
    }
}

/// Why a remote tile image was not used. Each names the image's host (`host:port` when the
/// URL has a port), the rule and the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL is not an absolute `http(s)` URL with a host.
    #[error("Image URL '{url}' cannot be fetched: {reason}.")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The connection failed or broke (refused, reset, bad TLS, malformed HTTP).
    #[error("Image from {host} could not be downloaded: {message}.")]
    Transport {
        /// The image's host.
        host: String,
        /// What the HTTP client said.
        message: String,
    },
    /// The server answered with a status other than 2xx.
    #[error("Image from {host} was answered with status {status}; only 2xx carries an image.")]
    Status {
        /// The image's host.
        host: String,
        /// The status code.
        status: u16,
    },
    /// The server said the body is something other than an image.
    #[error("Image from {host} has Content-Type '{content_type}', which is not an image (accepted: image/*, application/octet-stream).")]
    NotAnImage {
        /// The image's host.
        host: String,
        /// The `Content-Type` it sent.
        content_type: String,
    },
    /// The body is neither a PNG nor a JPEG (or is empty).
    #[error("{}", not_png_or_jpeg(.host, .first_bytes))]
    NotPngOrJpeg {
        /// The image's host.
        host: String,
        /// Its first bytes (at most 8; none for an empty body).
        first_bytes: Vec<u8>,
    },
    /// The image is larger than the limit.
    #[error("{}", too_large(.host, *.bytes, *.declared, *.limit))]
    TooLarge {
        /// The image's host.
        host: String,
        /// Its size by `Content-Length` when `declared`, else the bytes received when the
        /// download stopped (the whole image is larger still).
        bytes: u64,
        /// Whether `bytes` is the `Content-Length` (nothing was downloaded).
        declared: bool,
        /// The limit in bytes.
        limit: u64,
    },
    /// The download did not finish within the time limit (on the injected clock).
    #[error("Image from {host} did not arrive within the {} limit; download abandoned.", duration_words(*.limit))]
    Timeout {
        /// The image's host.
        host: String,
        /// The limit.
        limit: Duration,
    },
}

impl FetchError {
    /// A short name of the rule broken, for logs and renderings: `bad url`, `transport`,
    /// `status`, `not an image`, `not png or jpeg`, `too large`, `timeout`.
    pub fn rule(&self) -> &'static str {
        match self {
            FetchError::BadUrl { .. } => "bad url",
            FetchError::Transport { .. } => "transport",
            FetchError::Status { .. } => "status",
            FetchError::NotAnImage { .. } => "not an image",
            FetchError::NotPngOrJpeg { .. } => "not png or jpeg",
            FetchError::TooLarge { .. } => "too large",
            FetchError::Timeout { .. } => "timeout",
        }
    }
}

/// `92160 bytes (90 KB)`, or just `81921 bytes` when not a whole number of KB.
fn size(bytes: u64) -> String {
    if bytes > 0 && bytes % 1024 == 0 {
        format!("{bytes} bytes ({} KB)", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// `80 KB` or `1000 bytes`.
fn limit_words(limit: u64) -> String {
    if limit > 0 && limit % 1024 == 0 {
        format!("{} KB", limit / 1024)
    } else {
        format!("{limit} bytes")
    }
}

/// The message of [`FetchError::NotPngOrJpeg`].
fn not_png_or_jpeg(host: &str, first_bytes: &[u8]) -> String {
    if first_bytes.is_empty() {
        return format!("Image from {host} is empty; a tile image must be a PNG or a JPEG.");
    }
    let hex: Vec<String> = first_bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "Image from {host} is neither a PNG nor a JPEG (it starts with {}); a tile image must be one of them.",
        hex.join(" ")
    )
}

/// The message of [`FetchError::TooLarge`].
fn too_large(host: &str, bytes: u64, declared: bool, limit: u64) -> String {
    if declared {
        format!(
            "Image from {host} is {} by its Content-Length, over the {} limit; not downloaded.",
            size(bytes),
            limit_words(limit)
        )
    } else {
        format!(
            "Image from {host} passed the {} limit while downloading (at least {}); download stopped.",
            limit_words(limit),
            size(bytes)
        )
    }
}

fn duration_words(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Downloads a tile image with the phone's limits ([`FetchLimits::default`]: 80 KB within 15 s
/// on `clock`). See [`fetch_image_with`].
///
/// # Errors
///
/// A [`FetchError`] naming the host, the rule and the limit.
pub async fn fetch_image(
    http: &reqwest::Client,
    clock: &Clock,
    url: &str,
) -> Result<Bytes, FetchError> {
    fetch_image_with(http, clock, url, FetchLimits::default()).await
}

/// Downloads a tile image: a GET of `url` that must answer 2xx with an image content type and
/// a PNG or JPEG body of at most `limits.max_bytes`, all within `limits.timeout` on `clock`
/// (see the module doc for each rule). The body is never buffered beyond the limit.
///
/// ```
/// use mpns_harness::phone::{fetch_image, FetchError};
/// use mpns_harness::Clock;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let http = reqwest::Client::new();
/// let err = fetch_image(&http, &Clock::virtual_clock(), "ftp://example.com/a.png")
///     .await
///     .unwrap_err();
/// assert!(matches!(err, FetchError::BadUrl { .. }), "{err}");
/// # });
/// ```
///
/// # Errors
///
/// A [`FetchError`] naming the host, the rule and the limit.
pub async fn fetch_image_with(
    http: &reqwest::Client,
    clock: &Clock,
    url: &str,
    limits: FetchLimits,
) -> Result<Bytes, FetchError> {
    let parsed = parse_url(url)?;
    let host = host_of(&parsed);
    let download = download(http, parsed, &host, limits.max_bytes);
    tokio::select! {
        biased;
        result = download => result,
        () = clock.sleep(limits.timeout) => Err(FetchError::Timeout {
            host: host.clone(),
            limit: limits.timeout,
        }),
    }
}

fn parse_url(url: &str) -> Result<Url, FetchError> {
    let bad = |reason: String| FetchError::BadUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| bad(format!("it is not an absolute URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the scheme '{}' is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host".to_owned()));
    }
    Ok(parsed)
}

/// `host` or `host:port` as written in the URL.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The error and each of its sources, joined (skipping a source already quoted).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let words = s.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        source = s.source();
    }
    text
}

fn accepted_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("image/") || essence == "application/octet-stream"
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8] = b"\xFF\xD8\xFF";

async fn download(
    http: &reqwest::Client,
    url: Url,
    host: &str,
    max_bytes: u64,
) -> Result<Bytes, FetchError> {
    let transport = |e: reqwest::Error| FetchError::Transport {
        host: host.to_owned(),
        message: describe(&e),
    };
    let mut response = http.get(url).send().await.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            host: host.to_owned(),
            status: status.as_u16(),
        });
    }
    if let Some(value) = response.headers().get(reqwest::header::CONTENT_TYPE) {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if !accepted_content_type(&text) {
            return Err(FetchError::NotAnImage {
                host: host.to_owned(),
                content_type: text,
            });
        }
    }
    let declared = response.content_length();
    if let Some(n) = declared.filter(|n| *n > max_bytes) {
        return Err(FetchError::TooLarge {
            host: host.to_owned(),
            bytes: n,
            declared: true,
            limit: max_bytes,
        });
    }
    let capacity = declared.unwrap_or(8 * 1024).min(max_bytes);
    let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        let total = body.len() as u64 + chunk.len() as u64;
        if total > max_bytes {
            return Err(FetchError::TooLarge {
                host: host.to_owned(),
                bytes: total,
                declared: false,
                limit: max_bytes,
            });
        }
        body.extend_from_slice(&chunk);
    }
    if !(body.starts_with(PNG_SIGNATURE) || body.starts_with(JPEG_SIGNATURE)) {
        return Err(FetchError::NotPngOrJpeg {
            host: host.to_owned(),
            first_bytes: body.iter().take(8).copied().collect(),
        });
    }
    Ok(body.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_of_images_and_octet_streams_are_accepted() {
        assert!(accepted_content_type("image/png"));
        assert!(accepted_content_type("Image/JPEG; charset=binary"));
        assert!(accepted_content_type("application/octet-stream"));
        assert!(!accepted_content_type("text/html; charset=utf-8"));
        assert!(!accepted_content_type("application/json"));
        assert!(!accepted_content_type("imagery/png"));
    }

    #[test]
    fn too_large_names_host_size_and_limit() {
        let e = FetchError::TooLarge {
            host: "127.0.0.1:8080".into(),
            bytes: 90 * 1024,
            declared: true,
            limit: MAX_IMAGE_BYTES,
        };
        assert_eq!(
            e.to_string(),
            "Image from 127.0.0.1:8080 is 92160 bytes (90 KB) by its Content-Length, over the 80 KB limit; not downloaded."
        );
    }

    #[test]
    fn urls_other_than_absolute_http_are_refused() {
        for url in [
            "",
            "/Images/a.png",
            "ftp://x/a.png",
            "http://",
            "isostore:/a.png",
        ] {
            assert!(
                matches!(parse_url(url), Err(FetchError::BadUrl { .. })),
                "{url}"
            );
        }
        let ok = parse_url("https://cdn.example.com:8443/t.png").unwrap();
        assert_eq!(host_of(&ok), "cdn.example.com:8443");
        assert_eq!(
            host_of(&parse_url("http://cdn.example.com/t.png").unwrap()),
            "cdn.example.com"
        );
    }
}
