//! Badges: a number or one of Windows' glyphs on the tile and the taskbar icon.

use bytes::Bytes;

use super::xml::attr;
use super::{BuildError, Kind, Notification};

/// The glyphs a badge can show; there are no others and no custom images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each is the glyph its name says
pub enum Glyph {
    /// Clears the badge (as the number 0 does).
    None,
    Activity,
    Alarm,
    Alert,
    Attention,
    Available,
    Away,
    Busy,
    Error,
    NewMessage,
    Paused,
    Playing,
    Unavailable,
}

impl Glyph {
    /// The `value` attribute's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Glyph::None => "none",
            Glyph::Activity => "activity",
            Glyph::Alarm => "alarm",
            Glyph::Alert => "alert",
            Glyph::Attention => "attention",
            Glyph::Available => "available",
            Glyph::Away => "away",
            Glyph::Busy => "busy",
            Glyph::Error => "error",
            Glyph::NewMessage => "newMessage",
            Glyph::Paused => "paused",
            Glyph::Playing => "playing",
            Glyph::Unavailable => "unavailable",
        }
    }
}

/// A badge.
///
/// ```
/// use wns::{Badge, Glyph};
///
/// assert_eq!(Badge::number(7).build()?.body().as_ref(), b"<badge value=\"7\"/>");
/// assert_eq!(Badge::glyph(Glyph::NewMessage).build()?.body().as_ref(), b"<badge value=\"newMessage\"/>");
/// # Ok::<(), wns::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    /// A count: 0 clears the badge; Windows shows numbers above 99 as "99+".
    Number(u32),
    /// A glyph.
    Glyph(Glyph),
}

impl Badge {
    /// A count.
    pub fn number(n: u32) -> Badge {
        Badge::Number(n)
    }

    /// A glyph.
    pub fn glyph(glyph: Glyph) -> Badge {
        Badge::Glyph(glyph)
    }

    /// Renders the badge.
    pub fn build(&self) -> Result<Notification, BuildError> {
        let value = match self {
            Badge::Number(n) => n.to_string(),
            Badge::Glyph(g) => g.as_str().to_owned(),
        };
        let mut xml = String::from("<badge");
        attr(&mut xml, "value", &value);
        xml.push_str("/>");
        Notification::new(Kind::Badge, Bytes::from(xml))
    }
}
