//! What a sender's request means, read with the harness's own parser: the notification it
//! carries, or why MPNS would refuse it, and every deviation from the documented protocol in
//! plain words, so a user can lint their own sender.

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde::Serialize;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
        body: Bytes,
    },
}

/// `wp:Toast` children, each `None` when the element is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sound {
    /// An app-relative `.wav`/`.mp3` path.
    Path(String),
    /// `<wp:Sound Silent="true"/>`.
    Silent,
}

/// Tile templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TileContent {
    /// `Id` (or `ID`) attribute: the secondary tile's navigation URI; `None` for the primary tile.
    pub id: Option<String>,
    /// The template.
    pub template: Template,
    /// Whether `Version="2.0"` was on `wp:Notification`.
    pub version2: bool,
    /// Property elements in document order, by local name (`Count`, `BackgroundImage`, ...).
    pub properties: Vec<(String, TileValue)>,
}

/// A tile property's new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Reads one notification request (the channel path has already been resolved).
pub fn inspect(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    mode: Mode,
) -> Result<Inspected, Rejection> {
    let _ = (method, headers, body, mode);
    Err(Rejection {
        status: 400,
        diagnostics: vec!["not implemented yet".into()],
    })
}
