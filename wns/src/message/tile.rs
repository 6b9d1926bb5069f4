//! Tiles: adaptive tiles (Windows 10) and the legacy template catalogue of Windows 8.x, which
//! Windows 10 still takes. Windows 11 shows no live tiles: WNS accepts a tile notification for a
//! Windows 11 device and nothing is shown.

use bytes::Bytes;

use super::error::check_text;
use super::toast::check_image_src;
use super::xml::{attr, text_element};
use super::{BuildError, Kind, Notification};

/// An adaptive tile's size, one binding each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSize {
    /// `TileSmall`.
    Small,
    /// `TileMedium`.
    Medium,
    /// `TileWide`.
    Wide,
    /// `TileLarge` (desktop only).
    Large,
}

impl TileSize {
    fn template(self) -> &'static str {
        match self {
            TileSize::Small => "TileSmall",
            TileSize::Medium => "TileMedium",
            TileSize::Wide => "TileWide",
            TileSize::Large => "TileLarge",
        }
    }
}

/// `hint-style` of an adaptive tile's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each is the style its name says
pub enum TileTextStyle {
    Caption,
    CaptionSubtle,
    Body,
    BodySubtle,
    Base,
    BaseSubtle,
    Subtitle,
    SubtitleSubtle,
    Title,
    TitleSubtle,
    TitleNumeral,
    Subheader,
    SubheaderSubtle,
    SubheaderNumeral,
    Header,
    HeaderSubtle,
    HeaderNumeral,
}

impl TileTextStyle {
    fn as_str(self) -> &'static str {
        use TileTextStyle::*;
        match self {
            Caption => "caption",
            CaptionSubtle => "captionSubtle",
            Body => "body",
            BodySubtle => "bodySubtle",
            Base => "base",
            BaseSubtle => "baseSubtle",
            Subtitle => "subtitle",
            SubtitleSubtle => "subtitleSubtle",
            Title => "title",
            TitleSubtle => "titleSubtle",
            TitleNumeral => "titleNumeral",
            Subheader => "subheader",
            SubheaderSubtle => "subheaderSubtle",
            SubheaderNumeral => "subheaderNumeral",
            Header => "header",
            HeaderSubtle => "headerSubtle",
            HeaderNumeral => "headerNumeral",
        }
    }
}

/// Where an adaptive tile's image goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileImagePlacement {
    /// Among the texts.
    Inline,
    /// Behind everything (at most one per binding).
    Background,
    /// Slides in from the top (at most one per binding).
    Peek,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Text(String, Option<TileTextStyle>),
    Image(String, TileImagePlacement),
}

/// One size of an adaptive tile: texts and images, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileBinding {
    size: TileSize,
    items: Vec<Item>,
}

impl TileBinding {
    /// The binding for one size.
    pub fn new(size: TileSize) -> TileBinding {
        TileBinding {
            size,
            items: Vec::new(),
        }
    }

    /// A text in the default style.
    pub fn text(mut self, text: impl Into<String>) -> TileBinding {
        self.items.push(Item::Text(text.into(), None));
        self
    }

    /// A text in a style.
    pub fn styled_text(mut self, text: impl Into<String>, style: TileTextStyle) -> TileBinding {
        self.items.push(Item::Text(text.into(), Some(style)));
        self
    }

    /// An image (same sources as a toast's, see [`Image`](crate::Image)).
    pub fn image(mut self, src: impl Into<String>, placement: TileImagePlacement) -> TileBinding {
        self.items.push(Item::Image(src.into(), placement));
        self
    }
}

/// An adaptive tile (Windows 10 only): one [`TileBinding`] per size it updates.
///
/// ```
/// use wns::{Tile, TileBinding, TileSize, TileTextStyle};
///
/// let tile = Tile::new()
///     .binding(TileBinding::new(TileSize::Medium).styled_text("Mon 21°", TileTextStyle::Subtitle))
///     .binding(TileBinding::new(TileSize::Wide).text("Monday: sunny, 21°"))
///     .build()?;
/// assert!(tile.body().starts_with(b"<tile><visual><binding template=\"TileMedium\">"));
/// # Ok::<(), wns::BuildError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tile {
    display_name: Option<String>,
    bindings: Vec<TileBinding>,
}

impl Tile {
    /// A tile without bindings: add at least one.
    pub fn new() -> Tile {
        Tile::default()
    }

    /// The name shown on the tile.
    pub fn display_name(mut self, name: impl Into<String>) -> Tile {
        self.display_name = Some(name.into());
        self
    }

    /// The content for one size.
    pub fn binding(mut self, binding: TileBinding) -> Tile {
        self.bindings.push(binding);
        self
    }

    /// Validates and renders the tile.
    pub fn build(&self) -> Result<Notification, BuildError> {
        if self.bindings.is_empty() {
            return Err(BuildError::Missing { field: "binding" });
        }
        if let Some(name) = &self.display_name {
            check_text("display_name", name)?;
        }
        for (i, b) in self.bindings.iter().enumerate() {
            if self.bindings[..i].iter().any(|o| o.size == b.size) {
                return Err(BuildError::invalid(
                    "binding",
                    format!("two bindings for {}", b.size.template()),
                ));
            }
            if b.items.is_empty() {
                return Err(BuildError::Missing {
                    field: "binding.text",
                });
            }
            for placement in [TileImagePlacement::Background, TileImagePlacement::Peek] {
                let n = b
                    .items
                    .iter()
                    .filter(|it| matches!(it, Item::Image(_, p) if *p == placement))
                    .count();
                if n > 1 {
                    return Err(BuildError::TooMany {
                        field: if placement == TileImagePlacement::Background {
                            "binding.image (background)"
                        } else {
                            "binding.image (peek)"
                        },
                        max: 1,
                        given: n,
                    });
                }
            }
            for item in &b.items {
                match item {
                    Item::Text(t, _) => check_text("binding.text", t)?,
                    Item::Image(src, _) => check_image_src("binding.image", src)?,
                }
            }
        }
        let mut xml = String::from("<tile><visual");
        if let Some(name) = &self.display_name {
            attr(&mut xml, "displayName", name);
        }
        xml.push('>');
        for b in &self.bindings {
            xml.push_str("<binding");
            attr(&mut xml, "template", b.size.template());
            xml.push('>');
            for item in &b.items {
                match item {
                    Item::Text(t, None) => text_element(&mut xml, "text", &[], t),
                    Item::Text(t, Some(style)) => {
                        text_element(&mut xml, "text", &[("hint-style", style.as_str())], t)
                    }
                    Item::Image(src, placement) => {
                        xml.push_str("<image");
                        attr(&mut xml, "src", src);
                        match placement {
                            TileImagePlacement::Inline => {}
                            TileImagePlacement::Background => {
                                attr(&mut xml, "placement", "background")
                            }
                            TileImagePlacement::Peek => attr(&mut xml, "placement", "peek"),
                        }
                        xml.push_str("/>");
                    }
                }
            }
            xml.push_str("</binding>");
        }
        xml.push_str("</visual></tile>");
        Notification::new(Kind::Tile, Bytes::from(xml))
    }
}

/// A tile in one of the Windows 8.x templates (`TileSquare150x150Text01`,
/// `TileWide310x150ImageAndText01`, ...), which Windows 10 still takes (Windows 11 shows no
/// tiles). Texts and images are numbered in the order they are added.
///
/// ```
/// let tile = wns::LegacyTile::new("TileWide310x150Text03").text("Hello").build()?;
/// assert_eq!(
///     tile.body().as_ref(),
///     br#"<tile><visual version="2"><binding template="TileWide310x150Text03"><text id="1">Hello</text></binding></visual></tile>"#
/// );
/// # Ok::<(), wns::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyTile {
    bindings: Vec<LegacyBinding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LegacyBinding {
    template: String,
    fallback: Option<String>,
    texts: Vec<String>,
    images: Vec<String>,
}

impl LegacyTile {
    /// A tile in `template`.
    pub fn new(template: impl Into<String>) -> LegacyTile {
        LegacyTile {
            bindings: vec![LegacyBinding {
                template: template.into(),
                fallback: None,
                texts: Vec::new(),
                images: Vec::new(),
            }],
        }
    }

    /// The Windows 8 name of the template, for devices that know only those.
    pub fn fallback(mut self, name: impl Into<String>) -> LegacyTile {
        self.last().fallback = Some(name.into());
        self
    }

    /// The next numbered text.
    pub fn text(mut self, text: impl Into<String>) -> LegacyTile {
        self.last().texts.push(text.into());
        self
    }

    /// The next numbered image.
    pub fn image(mut self, src: impl Into<String>) -> LegacyTile {
        self.last().images.push(src.into());
        self
    }

    /// Adds another template's binding (another size), after this one's.
    pub fn and(mut self, other: LegacyTile) -> LegacyTile {
        self.bindings.extend(other.bindings);
        self
    }

    fn last(&mut self) -> &mut LegacyBinding {
        self.bindings
            .last_mut()
            .expect("a legacy tile has a binding")
    }

    /// Validates and renders the tile.
    pub fn build(&self) -> Result<Notification, BuildError> {
        let mut xml = String::from("<tile><visual version=\"2\">");
        for b in &self.bindings {
            check_template("template", &b.template)?;
            if let Some(f) = &b.fallback {
                check_template("fallback", f)?;
            }
            if b.texts.is_empty() && b.images.is_empty() {
                return Err(BuildError::Missing { field: "text" });
            }
            xml.push_str("<binding");
            attr(&mut xml, "template", &b.template);
            if let Some(f) = &b.fallback {
                attr(&mut xml, "fallback", f);
            }
            xml.push('>');
            for (i, src) in b.images.iter().enumerate() {
                check_image_src("image", src)?;
                xml.push_str("<image");
                attr(&mut xml, "id", &(i + 1).to_string());
                attr(&mut xml, "src", src);
                xml.push_str("/>");
            }
            for (i, t) in b.texts.iter().enumerate() {
                check_text("text", t)?;
                text_element(&mut xml, "text", &[("id", &(i + 1).to_string())], t);
            }
            xml.push_str("</binding>");
        }
        xml.push_str("</visual></tile>");
        Notification::new(Kind::Tile, Bytes::from(xml))
    }
}

/// A template name: `Tile` followed by letters and digits (the catalogue's names all are).
fn check_template(field: &'static str, name: &str) -> Result<(), BuildError> {
    if name.len() > 64
        || !name.starts_with("Tile")
        || name.len() == 4
        || !name.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(BuildError::invalid(
            field,
            format!("{name:?} is not a tile template name (such as TileWide310x150Text01)"),
        ));
    }
    Ok(())
}
