//! One tile on the start screen: its template, the values its properties hold, and how those
//! values sit on the tile's faces (the tables of docs/mpns-protocol.md §5.3–§5.6).

use crate::protocol::Template;
use std::collections::BTreeMap;
use std::fmt;

/// Which tile of the app: the primary (Application) tile, or a secondary tile keyed by its
/// navigation URI (the `Id` attribute of `wp:Tile`). Sorts the primary tile first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TileKey {
    /// The Application Tile (`wp:Tile` without `Id`).
    Primary,
    /// A secondary tile, by navigation URI (e.g. `/City.xaml?name=Oslo`).
    Secondary(String),
}

impl TileKey {
    /// The key a tile push targets: `Id` present → secondary, absent → primary.
    pub fn from_id(id: Option<&str>) -> TileKey {
        match id {
            Some(id) => TileKey::Secondary(id.to_owned()),
            None => TileKey::Primary,
        }
    }
}

impl fmt::Display for TileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TileKey::Primary => f.write_str("primary tile"),
            TileKey::Secondary(id) => write!(f, "secondary tile '{id}'"),
        }
    }
}

/// The template's name as written in `Template="..."` (`Standard` for none).
pub(crate) fn template_name(t: Template) -> &'static str {
    match t {
        Template::Standard => "Standard",
        Template::FlipTile => "FlipTile",
        Template::IconicTile => "IconicTile",
        Template::CycleTile => "CycleTile",
    }
}

/// A tile size on the start screen. The WP7 standard tile has one size, reported as medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Size {
    /// Small (159×159 Flip/Cycle, 110×110 Iconic icon).
    Small,
    /// Medium (336×336; 173×173 for the WP7 standard tile).
    Medium,
    /// Wide (691×336).
    Wide,
}

/// Front or back of a flipping tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// What shows first.
    Front,
    /// What the tile flips to (Standard and FlipTile only).
    Back,
}

/// What a property does on a face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An image (background, icon or one of the cycle images).
    Image,
    /// The count badge.
    Count,
    /// The title line.
    Title,
    /// Body text (back content, wide content rows).
    Content,
    /// The background colour (Iconic).
    Color,
}

use Role::{Color, Content, Count, Image, Title};

type Layout = &'static [(Size, Side, &'static [(Role, &'static str)])];

const STANDARD: Layout = &[
    (
        Size::Medium,
        Side::Front,
        &[
            (Image, "BackgroundImage"),
            (Count, "Count"),
            (Title, "Title"),
        ],
    ),
    (
        Size::Medium,
        Side::Back,
        &[
            (Image, "BackBackgroundImage"),
            (Title, "BackTitle"),
            (Content, "BackContent"),
        ],
    ),
];

const FLIP: Layout = &[
    (
        Size::Small,
        Side::Front,
        &[(Image, "SmallBackgroundImage"), (Count, "Count")],
    ),
    (
        Size::Medium,
        Side::Front,
        &[
            (Image, "BackgroundImage"),
            (Count, "Count"),
            (Title, "Title"),
        ],
    ),
    (
        Size::Medium,
        Side::Back,
        &[
            (Image, "BackBackgroundImage"),
            (Title, "BackTitle"),
            (Content, "BackContent"),
        ],
    ),
    (
        Size::Wide,
        Side::Front,
        &[
            (Image, "WideBackgroundImage"),
            (Count, "Count"),
            (Title, "Title"),
        ],
    ),
    (
        Size::Wide,
        Side::Back,
        &[
            (Image, "WideBackBackgroundImage"),
            (Title, "BackTitle"),
            (Content, "WideBackContent"),
        ],
    ),
];

const ICONIC: Layout = &[
    (
        Size::Small,
        Side::Front,
        &[
            (Image, "SmallIconImage"),
            (Count, "Count"),
            (Color, "BackgroundColor"),
        ],
    ),
    (
        Size::Medium,
        Side::Front,
        &[
            (Image, "IconImage"),
            (Count, "Count"),
            (Title, "Title"),
            (Color, "BackgroundColor"),
        ],
    ),
    (
        Size::Wide,
        Side::Front,
        &[
            (Image, "IconImage"),
            (Count, "Count"),
            (Content, "WideContent1"),
            (Content, "WideContent2"),
            (Content, "WideContent3"),
            (Title, "Title"),
            (Color, "BackgroundColor"),
        ],
    ),
];

const CYCLE_IMAGES: &[(Role, &str)] = &[
    (Image, "CycleImage1"),
    (Image, "CycleImage2"),
    (Image, "CycleImage3"),
    (Image, "CycleImage4"),
    (Image, "CycleImage5"),
    (Image, "CycleImage6"),
    (Image, "CycleImage7"),
    (Image, "CycleImage8"),
    (Image, "CycleImage9"),
    (Count, "Count"),
    (Title, "Title"),
];

const CYCLE: Layout = &[
    (
        Size::Small,
        Side::Front,
        &[(Image, "SmallBackgroundImage"), (Count, "Count")],
    ),
    (Size::Medium, Side::Front, CYCLE_IMAGES),
    (Size::Wide, Side::Front, CYCLE_IMAGES),
];

fn layout(t: Template) -> Layout {
    match t {
        Template::Standard => STANDARD,
        Template::FlipTile => FLIP,
        Template::IconicTile => ICONIC,
        Template::CycleTile => CYCLE,
    }
}

/// The role a template's property plays (`None` if the template has no such property).
pub(crate) fn role_of(t: Template, property: &str) -> Option<Role> {
    layout(t)
        .iter()
        .flat_map(|(_, _, slots)| slots.iter())
        .find(|(_, p)| *p == property)
        .map(|(r, _)| *r)
}

/// One slot of a face: which property, its role, and its value (`None` when unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    /// What the property does here.
    pub role: Role,
    /// The property (element) name.
    pub property: &'static str,
    /// The value, if set.
    pub value: Option<&'a str>,
}

/// One face of a tile at one size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Face<'a> {
    /// Small, medium or wide.
    pub size: Size,
    /// Front or back.
    pub side: Side,
    /// The properties this face shows, in display order.
    pub slots: Vec<Slot<'a>>,
}

impl Face<'_> {
    /// Whether the face is ever seen: a front always is; a back only once something on it is
    /// set (the tile does not flip to an empty back).
    pub fn is_shown(&self) -> bool {
        self.side == Side::Front || self.slots.iter().any(|s| s.value.is_some())
    }
}

/// A pinned tile: its template and the properties that hold a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    template: Template,
    values: BTreeMap<&'static str, String>,
}

impl Tile {
    pub(crate) fn new(template: Template) -> Tile {
        Tile {
            template,
            values: BTreeMap::new(),
        }
    }

    /// The template the tile was pinned with; it never changes.
    pub fn template(&self) -> Template {
        self.template
    }

    /// The value of a property (`None` when unset or cleared).
    pub fn get(&self, property: &str) -> Option<&str> {
        self.values.get(property).map(String::as_str)
    }

    /// Every property that holds a value, by name.
    pub fn values(&self) -> &BTreeMap<&'static str, String> {
        &self.values
    }

    /// The `Count` as a number (0 when unset). Values are checked on arrival, so this is
    /// always a whole number; very large ones saturate.
    pub fn count(&self) -> u64 {
        self.get("Count")
            .and_then(|c| parse_count(c).ok())
            .unwrap_or(0)
    }

    /// The badge the tile shows: `None` for a count of 0, the count for 1..=99, and 99 for
    /// anything larger (observed on devices).
    pub fn badge(&self) -> Option<u8> {
        badge_for(self.count())
    }

    /// The front title (`Title`), if set.
    pub fn title(&self) -> Option<&str> {
        self.get("Title")
    }

    /// The tile's faces with their current values, in layout order (small, medium, wide; front
    /// before back).
    pub fn faces(&self) -> Vec<Face<'_>> {
        layout(self.template)
            .iter()
            .map(|(size, side, slots)| Face {
                size: *size,
                side: *side,
                slots: slots
                    .iter()
                    .map(|(role, property)| Slot {
                        role: *role,
                        property,
                        value: self.get(property),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Sets (`Some`) or clears (`None`) checked values.
    pub(crate) fn put(&mut self, property: &'static str, value: Option<String>) {
        match value {
            Some(v) => {
                self.values.insert(property, v);
            }
            None => {
                self.values.remove(property);
            }
        }
    }
}

/// The badge for a count: hidden at 0, 1..=99 as is, 99 above.
pub(crate) fn badge_for(count: u64) -> Option<u8> {
    match count {
        0 => None,
        // 1..=99 fits in u8.
        n => Some(n.min(99) as u8),
    }
}

/// Reads a `Count` value: a whole number 0 or more in decimal digits (surrounding white space
/// ignored). Numbers too large for `u64` saturate (they show 99 anyway).
///
/// # Errors
///
/// A message naming the value and the rule, for a sign, a fraction, or anything not a number.
pub(crate) fn parse_count(value: &str) -> Result<u64, String> {
    let v = value.trim_matches(|c: char| c.is_ascii_whitespace());
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "Count '{value}' is not a whole number 0 or more (shown 1..=99, hidden at 0)."
        ));
    }
    Ok(v.parse::<u64>().unwrap_or(u64::MAX))
}

/// What an Iconic `BackgroundColor` shows: the colour as `#RRGGBB` when the value is
/// `#AARRGGBB` with alpha `FF`, else `None` (the phone uses the theme colour).
pub(crate) fn opaque_color(value: &str) -> Option<String> {
    let hex = value.strip_prefix('#')?;
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (alpha, rgb) = hex.split_at(2);
    alpha
        .eq_ignore_ascii_case("FF")
        .then(|| format!("#{}", rgb.to_ascii_uppercase()))
}
