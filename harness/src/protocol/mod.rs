//! What a sender's request means, read with the harness's own parser: the notification it
//! carries, or why MPNS would refuse it, and every deviation from the documented protocol in
//! plain words, so a user can lint their own sender.
//!
//! Where docs/mpns-protocol.md leaves MPNS's behaviour open, this reader decides as follows.
//!
//! | Request | Lenient (default) | Strict |
//! |---|---|---|
//! | no XML declaration | accepted, diagnostic | 400 |
//! | property elements out of Microsoft's order | accepted, diagnostic | 400 |
//! | Flip/Iconic/Cycle without `Version="2.0"` | accepted, diagnostic | 400 |
//! | `Content-Type: text/xml` without `charset=utf-8` | accepted, diagnostic | 400 |
//! | raw without `Content-Type`, or not `text/xml`, or another charset | accepted, diagnostic | 400 |
//! | `X-WindowsPhone-Target` `tile`/`Tile`/`raw` or other casing | accepted, diagnostic | 400 |
//! | `X-MessageID` that is not a GUID | accepted, diagnostic | 400 |
//! | MPNS elements under a prefix other than `wp:` | accepted, diagnostic | 400 |
//! | `Action="Clear"` on an element that also has a value | cleared, diagnostic | 400 |
//! | raw body over 1 KB (and at most 3 KB) | accepted, diagnostic | 400 |
//! | no `X-NotificationClass` | immediate, diagnostic | immediate, diagnostic |
//! | text that looks escaped twice (`&amp;amp;`) | accepted, diagnostic | accepted, diagnostic |
//! | tile `ID` instead of `Id` | accepted | accepted |
//!
//! Refused with 400 in both modes: a class that does not fit the target, an unknown target,
//! a header sent twice, headers over 1 KB (each header counted as `Name: value\r\n`), a body over
//! 3 KB, a wrong `Content-Length`, a toast or tile without `Content-Type: text/xml` (or with a
//! charset other than UTF-8), a body that is not UTF-8 or not well-formed XML, any DOCTYPE (so
//! no entity is ever expanded), entities other than the five predefined ones, character
//! references to characters XML does not allow, a root that is not `Notification` in the
//! namespace `WPNotification`, a body of the other type than the target, anything but exactly
//! one `wp:Toast`/`wp:Tile`, elements or attributes the template does not take, an element
//! twice, an unknown `Template`, `Version` other than `2.0`, and `Silent="true"` with a path.
//! Other methods than POST get 405. Values are never refused, since MPNS did not read them, but
//! those the phone would not show as meant get a note in both modes: a toast with no text, a
//! `Param` that starts with neither `/` nor `?`, an empty `Sound`, a tile `Id` not starting with
//! `/`, a `Count` that is not a whole number 0..=99, an Iconic `BackgroundColor` that is not
//! `#AARRGGBB` with alpha `FF`, a remote Cycle image.

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde::Serialize;

mod headers;
mod lint;
mod text;
mod xml;

/// How forgiving the fake is about what real senders sent and MPNS took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Accept what MPNS accepted in practice (no XML declaration, any element order, no
    /// `Version="2.0"`, charset-less or absent Content-Type on raw, `raw`/`tile` target spellings);
    /// each such deviation is still reported as a diagnostic.
    #[default]
    Lenient,
    /// Reject each of those deviations with 400.
    Strict,
}

/// The notification type, from `X-WindowsPhone-Target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// `token` (or `tile`, leniently).
    Tile,
    /// `toast`.
    Toast,
    /// No target header (or `raw`, leniently).
    Raw,
}

/// The delivery interval, from `X-NotificationClass` (absent means immediate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Batching {
    /// Class 1, 2 or 3 (or no header).
    Immediate,
    /// Class 11, 12 or 13.
    Within450s,
    /// Class 21, 22 or 23.
    Within900s,
}

/// A request MPNS would accept, with what it carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspected {
    /// Tile, toast or raw.
    pub target: Target,
    /// When to deliver.
    pub batching: Batching,
    /// The `X-MessageID` sent, if any.
    pub message_id: Option<String>,
    /// The parsed notification.
    pub content: Content,
    /// Deviations from the documented protocol that lenient mode let through, in plain words.
    pub diagnostics: Vec<String>,
}

/// The parsed notification.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Content {
    /// A toast.
    Toast(ToastContent),
    /// A tile update of any template.
    Tile(TileContent),
    /// Raw bytes for the running app.
    Raw {
        /// The body as sent.
        #[serde(serialize_with = "bytes_as_text")]
        #[schema(value_type = String)]
        body: Bytes,
    },
}

/// `wp:Toast` children, each `None` when the element is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct ToastContent {
    /// `wp:Text1`.
    pub text1: Option<String>,
    /// `wp:Text2`.
    pub text2: Option<String>,
    /// `wp:Param`.
    pub param: Option<String>,
    /// `wp:Sound`.
    pub sound: Option<Sound>,
}

/// `wp:Sound`: a package path, or `Silent="true"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sound {
    /// An app-relative `.wav`/`.mp3` path.
    Path(String),
    /// `<wp:Sound Silent="true"/>`.
    Silent,
}

/// Tile templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Template {
    /// The WP7 standard tile (no `Template` attribute).
    Standard,
    /// `FlipTile`.
    FlipTile,
    /// `IconicTile`.
    IconicTile,
    /// `CycleTile`.
    CycleTile,
}

/// `wp:Tile`: which tile, which template, and each property element in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TileContent {
    /// `Id` (or `ID`) attribute: the secondary tile's navigation URI; `None` for the primary tile.
    pub id: Option<String>,
    /// The template.
    pub template: Template,
    /// Whether `Version="2.0"` was on `wp:Notification`.
    pub version2: bool,
    /// Property elements in document order, by local name (`Count`, `BackgroundImage`, ...).
    #[schema(value_type = Vec<Vec<Value>>)]
    pub properties: Vec<(String, TileValue)>,
}

/// A tile property's new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TileValue {
    /// Set to this text (unescaped).
    Set(String),
    /// `Action="Clear"`: reset to empty/default.
    Clear,
}

/// A request MPNS refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// 400 or 405.
    pub status: u16,
    /// Why, in plain words (at least one entry).
    pub diagnostics: Vec<String>,
}

fn bytes_as_text<S: serde::Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

/// Most bytes a notification body may have (3 KB); larger requests get 400.
pub const MAX_BODY_BYTES: usize = 3072;

/// Most bytes a raw body may have and still be safe (1 KB). Lenient mode accepts raw bodies up
/// to [`MAX_BODY_BYTES`] with a diagnostic; strict mode answers 400 above this.
pub const SAFE_RAW_BYTES: usize = 1024;

pub use headers::MAX_HEADER_BYTES;

/// Reads one notification request (the channel path has already been resolved).
///
/// Checks, in order: the method (405 unless POST), the header block size
/// ([`MAX_HEADER_BYTES`]), `X-WindowsPhone-Target`, `X-NotificationClass`, `X-MessageID`,
/// `Content-Type`, `Content-Length`, the body size ([`MAX_BODY_BYTES`], [`SAFE_RAW_BYTES`]),
/// then the XML of a toast or tile. Every problem found is reported, errors first; a request
/// with any error is a [`Rejection`] with status 400.
///
/// Never panics, and runs in time linear in the input: a DOCTYPE is refused on sight, so no
/// entity is ever expanded.
///
/// ```
/// use axum::http::{HeaderMap, Method};
/// use mpns_harness::protocol::{inspect, Content, Mode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("content-type", "text/xml; charset=utf-8".parse().unwrap());
/// headers.insert("x-windowsphone-target", "toast".parse().unwrap());
/// headers.insert("x-notificationclass", "2".parse().unwrap());
/// let body = br#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hi</wp:Text1></wp:Toast></wp:Notification>"#;
///
/// let seen = inspect(&Method::POST, &headers, body, Mode::Strict).unwrap();
/// let Content::Toast(toast) = seen.content else { panic!("a toast") };
/// assert_eq!(toast.text1.as_deref(), Some("Hi"));
/// assert!(seen.diagnostics.is_empty());
///
/// let refused = inspect(&Method::GET, &headers, body, Mode::Lenient).unwrap_err();
/// assert_eq!(refused.status, 405);
/// ```
pub fn inspect(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    mode: Mode,
) -> Result<Inspected, Rejection> {
    if method != Method::POST {
        return Err(Rejection {
            status: 405,
            diagnostics: vec![format!(
                "Method {} is not allowed: MPNS accepts only POST.",
                text::shorten(method.as_str())
            )],
        });
    }
    let mut f = Findings::new(mode);
    let head = headers::read(headers, body.len(), &mut f);
    let fits = body.len() <= MAX_BODY_BYTES;
    if !fits {
        f.error(format!(
            "The body has {} bytes, over MPNS's limit of {MAX_BODY_BYTES} bytes (3 KB).",
            body.len()
        ));
    }
    let content = match head.target {
        Some(Target::Raw) if fits => {
            if body.len() > SAFE_RAW_BYTES {
                f.deviation(format!(
                    "The raw body has {} bytes, over the {SAFE_RAW_BYTES} bytes (1 KB) that are safe for raw notifications.",
                    body.len()
                ));
            }
            // Copied only when it is going to be returned.
            f.errors.is_empty().then(|| Content::Raw {
                body: Bytes::copy_from_slice(body),
            })
        }
        Some(target) if fits => xml::read(body, target, &mut f),
        _ => None,
    };
    match content {
        Some(content) if f.errors.is_empty() => {
            lint::values(&content, &mut f);
            Ok(Inspected {
                target: head.target.unwrap_or(Target::Raw),
                batching: head.batching,
                message_id: head.message_id,
                content,
                diagnostics: f.notes,
            })
        }
        _ => Err(f.reject()),
    }
}

/// What the checks found: errors (400 in any mode) and notes (reported, not refused).
pub(crate) struct Findings {
    mode: Mode,
    errors: Vec<String>,
    notes: Vec<String>,
}

impl Findings {
    fn new(mode: Mode) -> Findings {
        Findings {
            mode,
            errors: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A problem MPNS refuses in either mode.
    fn error(&mut self, msg: impl Into<String>) {
        self.errors.push(msg.into());
    }

    /// Worth telling, never refused.
    fn note(&mut self, msg: impl Into<String>) {
        self.notes.push(msg.into());
    }

    /// What real senders sent and MPNS took: a note in lenient mode, an error in strict mode.
    fn deviation(&mut self, msg: impl Into<String>) {
        match self.mode {
            Mode::Lenient => self.note(msg),
            Mode::Strict => self.error(msg),
        }
    }

    fn reject(mut self) -> Rejection {
        if self.errors.is_empty() {
            self.errors
                .push("The request could not be read as a notification.".to_owned());
        }
        self.errors.append(&mut self.notes);
        Rejection {
            status: 400,
            diagnostics: self.errors,
        }
    }
}
