//! Where a tile image comes from, and whether the shell may use it.
//!
//! The phone took images from three places (docs/mpns-protocol.md §5.7): the app package, the app's
//! isolated storage (only under `Shared/ShellContent`), and the web. The first two are local and
//! apply at once; a web image is fetched first, and only from the base URIs the app listed when it
//! bound its channel to the shell tile.

use reqwest::Url;

/// Longest base URI a channel may list for remote tile images (MS: 256 characters each).
pub const MAX_ALLOWED_URI_CHARS: usize = 256;

/// Where an image URI points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A file in the app package: `/Images/a.png` or `Assets/Tiles/x.png`.
    Package,
    /// A file in isolated storage under `isostore:/Shared/ShellContent/`.
    IsolatedStorage,
    /// An `http` or `https` URL (parsed), to be fetched before use.
    Remote(Url),
}

impl ImageSource {
    /// Whether the image applies without a download.
    pub fn is_local(&self) -> bool {
        !matches!(self, ImageSource::Remote(_))
    }

    /// A short word for renderings: `package`, `isostore` or `remote`.
    pub fn word(&self) -> &'static str {
        match self {
            ImageSource::Package => "package",
            ImageSource::IsolatedStorage => "isostore",
            ImageSource::Remote(_) => "remote",
        }
    }
}

/// Why an image URI cannot be used. Each is a `MessageBadContent` on the channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The URI is in none of the three accepted forms.
    #[error("Image URI '{uri}' is invalid: {reason}.")]
    Invalid {
        /// The URI as sent.
        uri: String,
        /// What is wrong, in plain words.
        reason: String,
    },
    /// A remote image while the channel is bound to the tile without a list of base URIs.
    #[error("Remote image '{uri}' is not allowed: the channel was bound to the tile without a list of allowed base URIs (MessageBadContent).")]
    RemoteNotBound {
        /// The URL as sent.
        uri: String,
    },
    /// A remote image whose URL starts with none of the channel's base URIs.
    #[error("Remote image '{uri}' is not allowed: it starts with none of the channel's allowed base URIs (MessageBadContent).")]
    RemoteNotAllowed {
        /// The URL as sent.
        uri: String,
    },
    /// A remote image where the template takes only local ones (Cycle images).
    #[error("Remote image '{uri}' is not allowed here: cycle images must be local (package or isostore).")]
    RemoteNotSupported {
        /// The URL as sent.
        uri: String,
    },
}

const ISOSTORE: &str = "isostore:";
const SHELL_CONTENT: &str = "/shared/shellcontent/";

/// Classifies a non-empty image URI.
///
/// - `http://` / `https://` with a host: [`ImageSource::Remote`];
/// - `isostore:/Shared/ShellContent/<file>` (folder names compared without regard to case, as
///   on the phone's file system): [`ImageSource::IsolatedStorage`]; any other `isostore:` path
///   is invalid;
/// - any other scheme (`ftp:`, `ms-appx:`, `file:`), a protocol-relative `//host/...` or an
///   empty string: invalid;
/// - everything else is a path in the app package: [`ImageSource::Package`].
///
/// ```
/// use mpns_harness::phone::{classify_image, ImageSource};
///
/// assert_eq!(classify_image("/Images/a.png"), Ok(ImageSource::Package));
/// assert_eq!(classify_image("Assets/x.png"), Ok(ImageSource::Package));
/// assert_eq!(classify_image("isostore:/Shared/ShellContent/t.jpg"), Ok(ImageSource::IsolatedStorage));
/// assert!(classify_image("isostore:/Data/t.jpg").is_err());
/// assert!(matches!(classify_image("https://img.example.com/a.png"), Ok(ImageSource::Remote(_))));
/// ```
///
/// # Errors
///
/// [`ImageError::Invalid`], naming the rule the URI breaks.
pub fn classify_image(uri: &str) -> Result<ImageSource, ImageError> {
    let invalid = |reason: &str| ImageError::Invalid {
        uri: uri.to_owned(),
        reason: reason.to_owned(),
    };
    if uri.trim().is_empty() {
        return Err(invalid("it is empty"));
    }
    if uri.trim() != uri {
        return Err(invalid("it starts or ends with white space"));
    }
    if let Some(scheme) = scheme_of(uri) {
        let lower = scheme.to_ascii_lowercase();
        if lower == "http" || lower == "https" {
            return match Url::parse(uri) {
                Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => {
                    Ok(ImageSource::Remote(url))
                }
                Ok(_) => Err(invalid("a remote image URL needs a host")),
                Err(e) => Err(invalid(&format!("it is not a valid URL ({e})"))),
            };
        }
        if lower == "isostore" {
            let path = &uri[ISOSTORE.len()..];
            let lower_path = path.to_ascii_lowercase();
            return match lower_path.strip_prefix(SHELL_CONTENT) {
                Some(rest) if !rest.is_empty() && !rest.ends_with('/') => {
                    Ok(ImageSource::IsolatedStorage)
                }
                Some(_) => Err(invalid(
                    "it names the ShellContent folder, not a file in it",
                )),
                None => Err(invalid(
                    "isolated-storage images must be under isostore:/Shared/ShellContent/",
                )),
            };
        }
        return Err(invalid(&format!(
            "the scheme '{scheme}' is not supported: use a package path, isostore:/Shared/ShellContent/... or http(s)"
        )));
    }
    if uri.starts_with("//") {
        return Err(invalid(
            "a protocol-relative URL ('//host/...') is neither a package path nor a full http(s) URL",
        ));
    }
    Ok(ImageSource::Package)
}

/// The scheme of `uri` if it starts with `letter *(letter / digit / "+" / "-" / ".") ":"`.
fn scheme_of(uri: &str) -> Option<&str> {
    let colon = uri.find(':')?;
    let scheme = &uri[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// The base URIs a channel listed in `BindToShellTile(Collection<Uri>)`.
///
/// A remote image is allowed when it **starts with** one of them, compared on the parsed URLs:
/// same scheme, same host (without regard to case), same port, and the image's path begins
/// with the base URI's path. So `http://img.example.com` allows
/// `http://img.example.com/tiles/a.png` but not `http://img.example.com.evil.net/a.png`
/// (a plain string prefix would), and `http://cdn.example.com/tiles/` does not allow
/// `http://cdn.example.com/other/a.png`; `http` and `https` are distinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedImageUris {
    bases: Vec<Url>,
}

impl AllowedImageUris {
    /// Checks the list as `BindToShellTile` did: each entry an absolute `http(s)` URI of at most
    /// [`MAX_ALLOWED_URI_CHARS`] characters. An empty list is allowed (and allows nothing).
    ///
    /// ```
    /// use mpns_harness::phone::AllowedImageUris;
    ///
    /// let allowed = AllowedImageUris::new(["http://img.example.com/tiles/"]).unwrap();
    /// assert!(allowed.allows("http://IMG.example.com/tiles/a.png"));
    /// assert!(!allowed.allows("http://img.example.com/other/a.png"));
    ///
    /// let long = format!("http://img.example.com/{}", "a".repeat(240));
    /// let err = AllowedImageUris::new([long]).unwrap_err();
    /// assert!(err.contains("over the limit of 256"), "{err}");
    /// ```
    ///
    /// # Errors
    ///
    /// A message naming the entry, its length or what is wrong with it, and the limit.
    pub fn new<I, S>(uris: I) -> Result<AllowedImageUris, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut bases = Vec::new();
        for (i, uri) in uris.into_iter().enumerate() {
            let uri = uri.as_ref();
            let n = uri.chars().count();
            if n > MAX_ALLOWED_URI_CHARS {
                return Err(format!(
                    "Allowed image URI {} has {n} characters, over the limit of {MAX_ALLOWED_URI_CHARS}.",
                    i + 1
                ));
            }
            match Url::parse(uri) {
                Ok(url)
                    if matches!(url.scheme(), "http" | "https")
                        && url.host_str().is_some_and(|h| !h.is_empty()) =>
                {
                    bases.push(url)
                }
                _ => {
                    return Err(format!(
                        "Allowed image URI {} ('{uri}') is not an absolute http(s) URI.",
                        i + 1
                    ))
                }
            }
        }
        Ok(AllowedImageUris { bases })
    }

    /// Whether the remote image `url` starts with one of the base URIs (see the type's doc).
    /// A string that is not an `http(s)` URL is never allowed.
    pub fn allows(&self, url: &str) -> bool {
        let Ok(url) = Url::parse(url) else {
            return false;
        };
        self.bases.iter().any(|base| {
            base.scheme() == url.scheme()
                && base.host_str() == url.host_str()
                && base.port_or_known_default() == url.port_or_known_default()
                && url.path().starts_with(base.path())
        })
    }

    /// The base URIs, normalised.
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.bases.iter().map(Url::as_str)
    }
}

/// How the channel is bound to the shell tile, as far as images go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TileBinding {
    /// `BindToShellTile()`: local images only.
    #[default]
    LocalImagesOnly,
    /// `BindToShellTile(Collection<Uri>)`: remote images from these base URIs too.
    RemoteFrom(AllowedImageUris),
}

/// Whether a remote image URL may be fetched for a tile on a channel bound as `binding`:
/// only if the channel was bound with a list of base URIs and the URL starts with one of them
/// (see [`AllowedImageUris`]); otherwise the phone raises `MessageBadContent`.
///
/// ```
/// use mpns_harness::phone::{check_remote_image, AllowedImageUris, TileBinding};
///
/// let bound = TileBinding::RemoteFrom(AllowedImageUris::new(["https://cdn.example.com"]).unwrap());
/// assert!(check_remote_image("https://cdn.example.com/a.png", &bound).is_ok());
/// assert!(check_remote_image("https://evil.example.net/a.png", &bound).is_err());
/// assert!(check_remote_image("https://cdn.example.com/a.png", &TileBinding::LocalImagesOnly).is_err());
/// ```
///
/// # Errors
///
/// [`ImageError::RemoteNotBound`] or [`ImageError::RemoteNotAllowed`].
pub fn check_remote_image(url: &str, binding: &TileBinding) -> Result<(), ImageError> {
    match binding {
        TileBinding::LocalImagesOnly => Err(ImageError::RemoteNotBound {
            uri: url.to_owned(),
        }),
        TileBinding::RemoteFrom(allowed) if allowed.allows(url) => Ok(()),
        TileBinding::RemoteFrom(_) => Err(ImageError::RemoteNotAllowed {
            uri: url.to_owned(),
        }),
    }
}
