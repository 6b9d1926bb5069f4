//! Why a message could not be built. Every message names the field, the rule and the limit,
//! so the text alone tells the caller what to change.

use super::OsVersion;

/// A message builder refused its input. Returned by every `build()`; nothing is sent.
///
/// ```
/// use mpns::{MessageError, Tile};
///
/// let err = Tile::new().count(120).build().unwrap_err();
/// assert_eq!(err, MessageError::CountOutOfRange { field: "Count", value: 120 });
/// assert_eq!(err.to_string(), "Count 120 is out of range 0..=99");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// A text or attribute value holds a character XML 1.0 does not allow (controls other than
    /// tab, LF and CR; U+FFFE; U+FFFF).
    #[error(
        "{field} contains U+{code:04X} at character {index}, which XML 1.0 does not allow",
        code = u32::from(*ch)
    )]
    InvalidXmlChar {
        /// The element or attribute, e.g. `Text1`.
        field: &'static str,
        /// The offending character.
        ch: char,
        /// Its position in the value, in characters from 0.
        index: usize,
    },
    /// A tile `Count` outside 0..=99.
    #[error("{field} {value} is out of range 0..=99")]
    CountOutOfRange {
        /// Always `Count`.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A toast `Param` that starts with neither `/` nor `?`.
    #[error(
        "Param {value:?} must start with / (a page of the app) or ? (a query string for the default page)"
    )]
    BadParam {
        /// The value given.
        value: String,
    },
    /// A toast `Sound` that is not an app-relative path.
    #[error("Sound {value:?} must be the path of a sound file inside the app package: {reason}")]
    BadSound {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A secondary tile `Id` that is not an app-relative navigation URI.
    #[error("tile Id {value:?} must be the secondary tile's navigation URI, starting with /")]
    BadTileId {
        /// The value given.
        value: String,
    },
    /// An Iconic tile `BackgroundColor` that is not `#AARRGGBB` with alpha `FF`.
    #[error("BackgroundColor {value:?} must be #AARRGGBB with alpha FF: {reason}")]
    BadColor {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A Cycle tile image with an `http`/`https` URI; cycle images must be in the app package
    /// or isolated storage.
    #[error("{field} {value:?} is remote, but cycle tile images must be local URIs (not http:// or https://)")]
    RemoteCycleImage {
        /// `CycleImage1` to `CycleImage9`.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A Cycle tile image index outside 1..=9 (or more than 9 images).
    #[error("CycleImage index {index} is out of range 1..=9 (a cycle tile has at most 9 images)")]
    CycleImageIndex {
        /// The index given (for a list of images: its length).
        index: usize,
    },
    /// The target OS level lacks a feature the message uses.
    #[error("{feature} needs Windows Phone {needs} or later, but the target OS is {target}")]
    Unsupported {
        /// The element, attribute or template, e.g. `Param` or `FlipTile`.
        feature: &'static str,
        /// The first OS level that has it.
        needs: OsVersion,
        /// The OS level given with `.os(...)`.
        target: OsVersion,
    },
    /// The message would show nothing.
    #[error("{what} is empty: {rule}")]
    Empty {
        /// `Toast`, `Tile`, ...
        what: &'static str,
        /// What it needs.
        rule: &'static str,
    },
    /// The rendered body is longer than the limit.
    #[error("{what} is {len} bytes, {over} over the limit of {limit} bytes", over = len - limit)]
    TooLarge {
        /// Which limit: `payload` (3072 bytes, all kinds) or `raw payload` (1024 by default).
        what: &'static str,
        /// The body's length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A raw size limit above what MPNS accepts for any body.
    #[error("raw payload limit {limit} is above the MPNS body limit of {max} bytes")]
    RawLimit {
        /// The limit asked for.
        limit: usize,
        /// The largest allowed limit (3072).
        max: usize,
    },
}
